/*
 * fuzz_control_common.h - shared by the control fuzz targets: the fixed
 * box key and sender of the corpus generator (gen_control_corpus.py), and
 * the body check every per-type target runs.
 *
 * The control encoding is canonical (one encoding per message), so a body
 * that decodes must encode back to exactly the same bytes, decode again to
 * the same struct, and survive a seal/open round trip; anything else is a
 * bug and aborts.
 */
#ifndef FUZZ_CONTROL_COMMON_H
#define FUZZ_CONTROL_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/cp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Must match gen_control_corpus.py. */
static const uint8_t fz_cp_key[CP_KEY_LEN] = {
	0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b,
	0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b, 0x4b,
};
static const uint8_t fz_cp_sender[CP_KEY_LEN] = {
	0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53,
	0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53,
};

static inline void fz_cp_init(void)
{
	static int done;
	if (!done) {
		if (sodium_init() < 0)
			abort();	/* the environment is broken, not the input */
		done = 1;
	}
}

/* m (a decoded message) seals, opens with the same key, and is unchanged. */
static inline void fz_cp_reseal(const struct cp_msg *m)
{
	static struct cp_msg again;
	uint8_t d[CP_MSG_MAX];
	size_t n;

	if (cp_msg_seal(fz_cp_key, fz_cp_sender, m, 0, d, sizeof(d), &n) != 0)
		abort();
	if (cp_msg_open(fz_cp_key, d, n, &again) != 0 || memcmp(m, &again, cp_msg_used(m)) != 0)	/* the rest is not read */
		abort();
}

/* The body of a message of `type`, fuzzed. */
static inline int fz_cp_body(enum cp_type type, const uint8_t *data, size_t size)
{
	static struct cp_msg m, again;
	uint8_t out[CP_MSG_MAX];
	size_t n;

	fz_cp_init();
	if (cp_body_decode(type, data, size, &m) != 0)
		return 0;
	if (cp_body_encode(&m, out, sizeof(out), &n) != 0)
		abort();
	if (n != size || memcmp(out, data, size) != 0)
		abort();
	if (cp_body_decode(type, out, n, &again) != 0 || memcmp(&m, &again, cp_msg_used(&m)) != 0)
		abort();
	m.counter = 1767225600000000ull;
	fz_cp_reseal(&m);
	return 0;
}

#endif
