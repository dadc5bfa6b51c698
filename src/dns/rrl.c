/* rrl.c - token buckets per source prefix; see rrl.h. */
#include "dns/rrl.h"

#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A bucket holds one second of responses: short bursts pass, floods do not. */
#define RRL_BURST_MS 1000u

int dns_rrl_init(struct dns_rrl *r, size_t n_buckets, uint32_t rate, uint32_t slip)
{
	size_t n = 64;

	memset(r, 0, sizeof(*r));
	while (n < n_buckets && n < ((size_t)1 << 24))
		n <<= 1;
	r->b = calloc(n, sizeof(*r->b));
	if (r->b == NULL)
		return -ENOMEM;
	r->n = n;
	randombytes_buf(r->hkey, sizeof(r->hkey));
	dns_rrl_set(r, rate, slip);
	return 0;
}

void dns_rrl_set(struct dns_rrl *r, uint32_t rate, uint32_t slip)
{
	r->rate = rate;
	r->slip = slip;
}

void dns_rrl_deinit(struct dns_rrl *r)
{
	free(r->b);
	r->b = NULL;
	r->n = 0;
}

/* The prefix of sa as 8 bytes: tag 4 and a /24, or tag 6 and a /56. */
static int rrl_prefix(const struct sockaddr *sa, uint8_t out[8])
{
	memset(out, 0, 8);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		out[0] = 4;
		memcpy(out + 1, &s4->sin_addr, 3);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		out[0] = 6;
		memcpy(out + 1, &s6->sin6_addr, 7);
		return 0;
	}
	return -1;
}

static void rrl_refill(const struct dns_rrl *r, struct dns_rrl_bucket *b, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->rate * RRL_BURST_MS;
	/* A clock that went backwards refills nothing rather than wrapping. */
	uint64_t dt = now_ms > b->last_ms ? now_ms - b->last_ms : 0;

	if (dt >= RRL_BURST_MS)
		b->tokens = cap;
	else
		b->tokens += dt * r->rate; /* rate per second == thousandths per ms */
	if (b->tokens >= cap) {
		b->tokens = cap;
		b->limited = 0;
	}
	b->last_ms = now_ms;
}

enum dns_rrl_verdict dns_rrl_check(struct dns_rrl *r, const struct sockaddr *sa, uint64_t now_ms)
{
	uint8_t key[8], h[crypto_shorthash_BYTES];
	struct dns_rrl_bucket *b, *alt;
	uint64_t idx;

	if (r->rate == 0 || r->b == NULL || rrl_prefix(sa, key) < 0)
		return DNS_RRL_PASS;
	crypto_shorthash(h, key, sizeof(key), r->hkey);
	memcpy(&idx, h, sizeof(idx));
	/* Two candidate slots; a miss evicts the one idle the longest. */
	b = &r->b[idx & (r->n - 1)];
	alt = &r->b[(idx & (r->n - 1)) ^ 1];
	if (memcmp(b->prefix, key, 8) != 0) {
		if (memcmp(alt->prefix, key, 8) == 0) {
			b = alt;
		} else {
			if (alt->last_ms < b->last_ms)
				b = alt;
			memcpy(b->prefix, key, 8);
			b->tokens = (uint64_t)r->rate * RRL_BURST_MS;
			b->last_ms = now_ms;
			b->limited = 0;
		}
	}
	rrl_refill(r, b, now_ms);
	if (b->tokens >= 1000) {
		b->tokens -= 1000;
		return DNS_RRL_PASS;
	}
	b->limited++;
	if (r->slip != 0 && b->limited % r->slip == 0) {
		r->n_slipped++;
		return DNS_RRL_SLIP;
	}
	r->n_dropped++;
	return DNS_RRL_DROP;
}
