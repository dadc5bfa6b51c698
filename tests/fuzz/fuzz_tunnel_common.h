/*
 * fuzz_tunnel_common.h - the fixed test identities and the deterministic
 * random source shared by the tunnel fuzz targets and the corpus generator
 * (tests/tunnel/test_fuzz_corpus.c).
 *
 * libsodium's random source is replaced by a counter-seeded ChaCha20 stream
 * (randombytes_buf_deterministic), reset at the start of every input, so the
 * same sequence of calls yields the same ephemeral keys, cookie secret and
 * nonces in the generator and in the fuzz target: valid seeds stay valid.
 * For tests and fuzzing only.
 */
#ifndef FUZZ_TUNNEL_COMMON_H
#define FUZZ_TUNNEL_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tunnel/cookie.h"
#include "tunnel/hash.h"
#include "tunnel/noise.h"

static uint64_t fz_rng_counter;

static inline const char *fz_rng_name(void)
{
	return "signpost-fuzz";
}

static inline void fz_rng_buf(void *buf, size_t size)
{
	uint8_t seed[randombytes_SEEDBYTES] = { 0x5e };
	memcpy(seed + 8, &fz_rng_counter, sizeof(fz_rng_counter));
	fz_rng_counter++;
	randombytes_buf_deterministic(buf, size, seed);
}

static inline uint32_t fz_rng_random(void)
{
	uint32_t v;
	fz_rng_buf(&v, sizeof(v));
	return v;
}

static inline void fz_rng_stir(void)
{
}

static struct randombytes_implementation fz_rng = {
	.implementation_name = fz_rng_name,
	.random = fz_rng_random,
	.stir = fz_rng_stir,
	.uniform = NULL,
	.buf = fz_rng_buf,
	.close = NULL,
};

/* Source address bytes of the initiator as the responder sees them. */
static const uint8_t fz_src[6] = { 127, 0, 0, 1, 0xca, 0x6c };
/* Fixed indices of the deterministic handshake. */
#define FZ_INITIATOR_INDEX 0x11223344u
#define FZ_RESPONDER_INDEX 0x55667788u

struct fz_world {
	struct tun_noise_static ini, resp;	/* I (initiator) and R (responder) */
	uint8_t ini_sk[TUN_KEY_LEN], resp_sk[TUN_KEY_LEN];	/* their raw keys (DH callbacks) */
	struct tun_noise_handshake ini_hs;	/* I's handshake with R */
	struct tun_noise_handshake resp_hs;	/* R's handshake with I */
	struct tun_cookie_maker ini_maker;	/* I's macs for R */
	struct tun_cookie_maker resp_maker;	/* R's macs for I */
	struct tun_cookie_checker ini_checker, resp_checker;
	uint8_t timestamp[TUN_TIMESTAMP_LEN];
	uint64_t now;
};

/* Install the deterministic random source (once) and initialise the crypto. */
static inline void fz_global_init(void)
{
	static int done;
	if (done)
		return;
	randombytes_set_implementation(&fz_rng);
	if (tun_crypto_init() != 0)
		abort();	/* the test environment is broken, not the input */
	done = 1;
}

/* A fresh world: both identities, handshakes, makers and checkers; RNG reset. */
static inline void fz_world_init(struct fz_world *w)
{
	fz_global_init();
	fz_rng_counter = 0;
	memset(w, 0, sizeof(*w));
	memset(w->ini_sk, 0x49, sizeof(w->ini_sk));
	if (tun_noise_static_init_raw(&w->ini, w->ini_sk) != 0)
		abort();
	memset(w->resp_sk, 0x52, sizeof(w->resp_sk));
	if (tun_noise_static_init_raw(&w->resp, w->resp_sk) != 0 ||
	    tun_noise_handshake_init(&w->ini_hs, &w->ini, w->resp.public_key, NULL) != 0 ||
	    tun_noise_handshake_init(&w->resp_hs, &w->resp, w->ini.public_key, NULL) != 0 ||
	    tun_cookie_maker_init(&w->ini_maker, w->resp.public_key) != 0 ||
	    tun_cookie_maker_init(&w->resp_maker, w->ini.public_key) != 0 ||
	    tun_cookie_checker_init(&w->ini_checker, w->ini.public_key) != 0 ||
	    tun_cookie_checker_init(&w->resp_checker, w->resp.public_key) != 0)
		abort();
	struct timespec wall = { .tv_sec = 1767225600, .tv_nsec = 0 };
	tun_tai64n(w->timestamp, &wall);
	w->now = 1000 * TUN_NSEC_PER_SEC;
}

/* I builds its (deterministic) initiation to R, with MACs. */
static inline void fz_make_initiation(struct fz_world *w, struct tun_msg_initiation *init)
{
	if (tun_noise_create_initiation(&w->ini_hs, init, FZ_INITIATOR_INDEX, w->timestamp) != 0 ||
	    tun_cookie_add_macs(&w->ini_maker, (uint8_t *)init, sizeof(*init), w->now) != 0)
		abort();
}

static inline struct tun_noise_handshake *fz_lookup(void *arg, const uint8_t key[TUN_KEY_LEN])
{
	struct fz_world *w = arg;
	return memcmp(key, w->ini.public_key, TUN_KEY_LEN) == 0 ? &w->resp_hs : NULL;
}

/*
 * The whole deterministic handshake: fills init and resp (each may be used
 * as a seed) and both keypairs.  Returns 0 on success.
 */
static inline int fz_handshake(struct fz_world *w, struct tun_msg_initiation *init,
			struct tun_msg_response *resp, struct tun_noise_keypair *ikp,
			struct tun_noise_keypair *rkp)
{
	struct tun_noise_handshake *hs;

	fz_make_initiation(w, init);
	if (tun_noise_consume_initiation(&w->resp, (uint8_t *)init, sizeof(*init), w->now,
					 fz_lookup, w, &hs) != 0 ||
	    tun_noise_create_response(&w->resp_hs, resp, FZ_RESPONDER_INDEX) != 0 ||
	    tun_cookie_add_macs(&w->resp_maker, (uint8_t *)resp, sizeof(*resp), w->now) != 0 ||
	    tun_noise_begin_session(&w->resp_hs, rkp, w->now) != 0 ||
	    tun_noise_consume_response(&w->ini_hs, (uint8_t *)resp, sizeof(*resp)) != 0 ||
	    tun_noise_begin_session(&w->ini_hs, ikp, w->now) != 0)
		return -1;
	return 0;
}

#endif
