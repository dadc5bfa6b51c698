/*
 * ratelimiter.c - per-source token buckets for handshake messages (pure).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tunnel/ratelimiter.h"

#define NSEC_PER_SEC 1000000000ull
/* One packet costs this much credit; credit accrues at one ns per ns. */
#define PACKET_COST (NSEC_PER_SEC / TUN_RL_PER_SECOND)
#define TOKEN_MAX (PACKET_COST * TUN_RL_BURST)
/* An entry idle this long has a full bucket again: its slot may be reused. */
#define IDLE_NS NSEC_PER_SEC

int tun_ratelimiter_init(struct tun_ratelimiter *rl)
{
	memset(rl, 0, sizeof(*rl));
	rl->slots = calloc(TUN_RL_SLOTS, sizeof(*rl->slots));
	if (!rl->slots)
		return -ENOMEM;
	randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
	return 0;
}

void tun_ratelimiter_deinit(struct tun_ratelimiter *rl)
{
	free(rl->slots);
	rl->slots = NULL;
	rl->used = 0;
	sodium_memzero(rl->hash_key, sizeof(rl->hash_key));
}

/* The bucket key of a source: family, then the /32 or the /64.  false: not IP. */
static bool source_key(const struct sockaddr *src, uint8_t key[17])
{
	memset(key, 0, 17);
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;
		key[0] = 4;
		memcpy(key + 1, &s4->sin_addr, 4);
		return true;
	}
	if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
		key[0] = 6;
		memcpy(key + 1, &s6->sin6_addr, 8);
		return true;
	}
	return false;
}

static bool idle(const struct tun_rl_entry *e, uint64_t now)
{
	return e->last == 0 || now - e->last >= IDLE_NS;
}

bool tun_ratelimiter_allow(struct tun_ratelimiter *rl, const struct sockaddr *src, uint64_t now)
{
	uint8_t key[17];
	if (!rl->slots || !source_key(src, key))
		return false;
	if (now == 0)
		now = 1;	/* last == 0 marks a free slot */
	uint64_t h;
	crypto_shorthash((unsigned char *)&h, key, sizeof(key), rl->hash_key);
	struct tun_rl_entry *free_slot = NULL;
	for (size_t i = 0; i < TUN_RL_PROBES; i++) {
		struct tun_rl_entry *e = &rl->slots[(h + i) & (TUN_RL_SLOTS - 1)];
		if (e->last != 0 && memcmp(e->key, key, sizeof(key)) == 0) {
			uint64_t t = e->tokens + (now > e->last ? now - e->last : 0);
			if (t > TOKEN_MAX)
				t = TOKEN_MAX;
			e->last = now;
			if (t < PACKET_COST) {
				e->tokens = t;
				return false;
			}
			e->tokens = t - PACKET_COST;
			return true;
		}
		if (!free_slot && idle(e, now))
			free_slot = e;
	}
	if (!free_slot)
		return false;	/* the window is full of busy sources */
	if (free_slot->last == 0)
		rl->used++;
	memcpy(free_slot->key, key, sizeof(key));
	free_slot->last = now;
	free_slot->tokens = TOKEN_MAX - PACKET_COST;
	return true;
}
