/*
 * keys.h - node identity keys.
 *
 * A node's identity is an Ed25519 key pair (libsodium).  Its X25519 form,
 * from libsodium's birational map, is the node's WireGuard static key: one
 * key is published (in the zone, as a KEY record of flags 512 at the node's
 * name: dns/hostkey.h) and one is kept.
 *
 * On disk a private key is the base64 of the 32-byte Ed25519 seed, one line,
 * in a file of mode 0600 (as `wg genkey` prints a key).  Loading refuses a
 * file whose mode gives any access to group or others.
 */
#ifndef SP_KEYS_H
#define SP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SP_KEY_LEN 32
/* base64 of 32 bytes with padding, plus NUL */
#define SP_KEY_B64_LEN 45

struct sp_keypair {
	uint8_t seed[SP_KEY_LEN];	/* secret */
	uint8_t ed_pk[SP_KEY_LEN];
	uint8_t ed_sk[64];		/* secret (libsodium form: seed || pk) */
	uint8_t x_pk[SP_KEY_LEN];	/* WireGuard public key */
	uint8_t x_sk[SP_KEY_LEN];	/* secret: WireGuard private key */
};

/* Fresh random identity. */
int sp_key_generate(struct sp_keypair *kp) SP_MUST_CHECK;
/* Derive the whole pair from a seed. */
int sp_key_from_seed(struct sp_keypair *kp, const uint8_t seed[SP_KEY_LEN]) SP_MUST_CHECK;
/* Wipe every secret byte. */
void sp_key_wipe(struct sp_keypair *kp);

/* base64 <-> 32 bytes.  Decoding accepts surrounding whitespace only. */
void sp_key_to_b64(const uint8_t key[SP_KEY_LEN], char out[SP_KEY_B64_LEN]);
int sp_key_from_b64(const char *text, uint8_t key[SP_KEY_LEN]) SP_MUST_CHECK;

/* Parse a private key (the seed) from text, as in a key file or on stdin. */
int sp_key_parse_private(const char *text, struct sp_keypair *kp) SP_MUST_CHECK;

/*
 * Load a private key file: refuses (SP_EKEYPERM) a file whose mode allows
 * group or other access, SP_EKEYFORMAT for bad contents.  Errors are logged
 * with the path.  The read buffer is wiped.
 */
int sp_key_load(const char *path, struct sp_keypair *kp) SP_MUST_CHECK;

/* Write a private key file (mode 0600, O_EXCL: never overwrites). */
int sp_key_save(const char *path, const struct sp_keypair *kp) SP_MUST_CHECK;

/* Read a whole secret file of at most max bytes into buf (NUL-terminated), mode checked. */
int sp_secret_file_read(const char *path, char *buf, size_t max) SP_MUST_CHECK;
/* Create a file of mode 0600 holding text; fails if it exists.  Errors are logged. */
int sp_secret_file_write(const char *path, const char *text) SP_MUST_CHECK;
/*
 * Create path with mode, holding text; fails if it exists (O_EXCL, and a
 * symbolic link is not followed); on a failure after creating it, the file is removed.
 * Returns 0 or a negative errno; logs nothing (the caller names the file).
 */
int sp_file_create(const char *path, const char *text, unsigned mode) SP_MUST_CHECK;

#endif
