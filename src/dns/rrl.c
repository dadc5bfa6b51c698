/* rrl.c - response rate limiting on core's per-prefix limiter; see rrl.h. */
#include "dns/rrl.h"

#include <string.h>

#define NS_PER_MS 1000000ull

/* A bucket holds one second of responses: short bursts pass, floods do not. */
static struct sp_rl_conf rrl_conf(uint32_t rate)
{
	return (struct sp_rl_conf){
		.rate = rate, .burst = rate, .v4_bits = DNS_RRL_V4_BITS, .v6_bits = DNS_RRL_V6_BITS,
	};
}

int dns_rrl_init(struct dns_rrl *r, size_t n_buckets, uint32_t rate, uint32_t slip)
{
	struct sp_rl_conf c = rrl_conf(rate);

	memset(r, 0, sizeof(*r));
	int err = sp_rl_init(&r->t, n_buckets, &c);
	if (err < 0)
		return err;
	dns_rrl_set(r, rate, slip);
	return 0;
}

void dns_rrl_set(struct dns_rrl *r, uint32_t rate, uint32_t slip)
{
	r->rate = rate;
	r->slip = slip;
	if (rate != 0)
		sp_rl_set_rate(&r->t, rate, rate);
}

void dns_rrl_deinit(struct dns_rrl *r)
{
	sp_rl_deinit(&r->t);
}

enum dns_rrl_verdict dns_rrl_check(struct dns_rrl *r, const struct sockaddr *sa, uint64_t now_ms)
{
	struct sp_rl_entry *e;

	/* Off costs one test: the answer path of a server without RRL. */
	if (r->rate == 0)
		return DNS_RRL_PASS;
	if (sp_rl_take(&r->t, sa, now_ms * NS_PER_MS, &e) != SP_RL_LIMITED)
		return DNS_RRL_PASS;	/* a token, or not IP (nothing to key on) */
	if (r->slip != 0 && e->limited % r->slip == 0) {
		r->n_slipped++;
		return DNS_RRL_SLIP;
	}
	r->n_dropped++;
	return DNS_RRL_DROP;
}
