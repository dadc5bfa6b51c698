/*
 * ratelimiter.c - per-source handshake rate limit on core's limiter (pure).
 */
#include "tunnel/ratelimiter.h"

int tun_ratelimiter_init(struct tun_ratelimiter *rl)
{
	const struct sp_rl_conf c = {
		.rate = TUN_RL_PER_SECOND, .burst = TUN_RL_BURST,
		.v4_bits = 32, .v6_bits = 64, .refuse_when_full = true,
	};
	return sp_rl_init(&rl->t, TUN_RL_SLOTS, &c);
}

void tun_ratelimiter_deinit(struct tun_ratelimiter *rl)
{
	sp_rl_deinit(&rl->t);
}

bool tun_ratelimiter_allow(struct tun_ratelimiter *rl, const struct sockaddr *src, uint64_t now)
{
	/* Not IP, a busy table, an empty bucket: all refused. */
	return sp_rl_take(&rl->t, src, now, NULL) == SP_RL_PASS;
}
