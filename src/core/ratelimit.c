/* ratelimit.c - keyed per-prefix token buckets; see ratelimit.h. */
#include "core/ratelimit.h"

#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define UNITS_PER_TOKEN 1000000000ull	/* a nanosecond brings `rate` units */
#define MAX_SLOTS ((size_t)1 << 24)

static uint64_t cap_of(const struct sp_rl_conf *c)
{
	return (uint64_t)c->burst * UNITS_PER_TOKEN;
}

/* Time for an empty bucket to fill: past it, a bucket is full whatever it held. */
static uint64_t full_ns_of(const struct sp_rl_conf *c)
{
	return cap_of(c) / c->rate + 1;
}

static void conf_fix(struct sp_rl_conf *c)
{
	if (c->rate == 0)
		c->rate = 1;
	if (c->burst == 0)
		c->burst = 1;
	if (c->v4_bits > 32)
		c->v4_bits = 32;
	if (c->v6_bits > 128)
		c->v6_bits = 128;
}

/* The mask of the first `bits` bits of a 16-byte address, as two loaded words. */
static void mask_of(unsigned bits, uint64_t m[2])
{
	uint8_t k[16] = { 0 };

	for (unsigned i = 0; i < 16 && bits > 0; i++) {
		unsigned take = bits < 8 ? bits : 8;
		k[i] = (uint8_t)(0xff00u >> take);
		bits -= take;
	}
	memcpy(m, k, 16);
}

int sp_rl_init(struct sp_rl *rl, size_t slots, const struct sp_rl_conf *conf)
{
	size_t n = 64;

	memset(rl, 0, sizeof(*rl));
	while (n < slots && n < MAX_SLOTS)
		n <<= 1;
	rl->e = calloc(n, sizeof(*rl->e));
	if (rl->e == NULL)
		return -ENOMEM;
	rl->n = n;
	rl->c = *conf;
	conf_fix(&rl->c);
	rl->full_ns = full_ns_of(&rl->c);
	uint64_t m4[2];
	mask_of(rl->c.v4_bits, m4);
	rl->mask4 = (uint32_t)m4[0];	/* the first 4 bytes, as loaded on this host */
	mask_of(rl->c.v6_bits, rl->mask6);
	randombytes_buf(rl->hkey, sizeof(rl->hkey));
	return 0;
}

void sp_rl_deinit(struct sp_rl *rl)
{
	free(rl->e);
	rl->e = NULL;
	rl->n = 0;
	rl->used = 0;
	sodium_memzero(rl->hkey, sizeof(rl->hkey));
}

void sp_rl_set_rate(struct sp_rl *rl, uint32_t rate, uint32_t burst)
{
	rl->c.rate = rate;
	rl->c.burst = burst;
	conf_fix(&rl->c);
	rl->full_ns = full_ns_of(&rl->c);
}

/* sa's family (4 or 6) and masked prefix; 0 if sa is not IP. */
static uint8_t prefix_of(const struct sp_rl *rl, const struct sockaddr *sa, uint64_t key[2])
{
	if (sa->sa_family == AF_INET) {
		uint32_t a;
		memcpy(&a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		key[0] = a & rl->mask4;
		key[1] = 0;
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		key[0] &= rl->mask6[0];
		key[1] &= rl->mask6[1];
		return 6;
	}
	return 0;
}

/* Bring b up to now; true if it is full (then nothing is owed to the past). */
static bool refill(struct sp_rl_bucket *b, const struct sp_rl_conf *c, uint64_t full_ns,
		   uint64_t now_ns)
{
	uint64_t cap = cap_of(c);

	if (now_ns > b->last_ns) {
		uint64_t dt = now_ns - b->last_ns;
		/* dt * rate cannot overflow below full_ns: it is at most cap + rate. */
		b->credit = dt >= full_ns ? cap : b->credit + dt * c->rate;
		b->last_ns = now_ns;
	}
	if (b->credit >= cap) {
		b->credit = cap;
		return true;
	}
	return false;
}

void sp_rl_bucket_init(struct sp_rl_bucket *b, const struct sp_rl_conf *conf, uint64_t now_ns)
{
	struct sp_rl_conf c = *conf;

	conf_fix(&c);
	b->last_ns = now_ns;
	b->credit = cap_of(&c);
}

bool sp_rl_bucket_take(struct sp_rl_bucket *b, const struct sp_rl_conf *conf, uint64_t now_ns)
{
	struct sp_rl_conf c = *conf;

	conf_fix(&c);
	(void)refill(b, &c, full_ns_of(&c), now_ns);
	if (b->credit < UNITS_PER_TOKEN)
		return false;
	b->credit -= UNITS_PER_TOKEN;
	return true;
}

/* An entry whose bucket has refilled completely can be forgotten at no cost. */
static bool idle(const struct sp_rl *rl, const struct sp_rl_entry *e, uint64_t now_ns)
{
	return e->family == 0 || (now_ns > e->b.last_ns && now_ns - e->b.last_ns >= rl->full_ns);
}

enum sp_rl_verdict sp_rl_take(struct sp_rl *rl, const struct sockaddr *sa, uint64_t now_ns,
			      struct sp_rl_entry **entry)
{
	uint64_t key[2], h;
	struct sp_rl_entry *set, *e = NULL, *spare = NULL, *oldest = NULL;
	uint8_t fam;

	if (entry != NULL)
		*entry = NULL;
	if (rl->e == NULL || (fam = prefix_of(rl, sa, key)) == 0)
		return SP_RL_NOT_IP;
	/*
	 * Hash as few bytes as the table keys on (one SipHash block for IPv4 and
	 * IPv6 up to /64).  The family is folded in, so that 192.0.2.0/24 and
	 * c000:200::/24 land apart; whatever collides only shares a set, since
	 * entries compare family and key in full.
	 */
	uint64_t in[2] = { key[0] ^ ((uint64_t)fam << 56), key[1] };
	crypto_shorthash((unsigned char *)&h, (const unsigned char *)in,
			 rl->c.v6_bits > 64 ? 16 : 8, rl->hkey);
	set = &rl->e[(h * SP_RL_WAYS) & (rl->n - 1)];
	for (unsigned w = 0; w < SP_RL_WAYS; w++) {
		struct sp_rl_entry *x = &set[w];
		if (x->family == fam && x->key[0] == key[0] && x->key[1] == key[1]) {
			e = x;
			break;
		}
		if (spare == NULL && idle(rl, x, now_ns))
			spare = x;
		if (oldest == NULL || x->b.last_ns < oldest->b.last_ns)
			oldest = x;
	}
	if (e == NULL) {
		if (spare == NULL) {
			if (rl->c.refuse_when_full) {
				rl->n_refused++;
				return SP_RL_REFUSED;
			}
			spare = oldest;
			rl->n_evicted++;
		}
		if (spare->family == 0)
			rl->used++;
		e = spare;
		e->key[0] = key[0];
		e->key[1] = key[1];
		e->family = fam;
		e->limited = 0;
		e->b.last_ns = now_ns;
		e->b.credit = cap_of(&rl->c);
	}
	if (entry != NULL)
		*entry = e;
	if (refill(&e->b, &rl->c, rl->full_ns, now_ns))
		e->limited = 0;
	if (e->b.credit >= UNITS_PER_TOKEN) {
		e->b.credit -= UNITS_PER_TOKEN;
		return SP_RL_PASS;
	}
	e->limited++;
	return SP_RL_LIMITED;
}
