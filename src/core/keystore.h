/*
 * keystore.h - key custody: the one holder of the node's private keys.
 *
 * The node has one identity (keys.h): an Ed25519 key pair and its X25519
 * form.  After start, no plane holds the seed or a private key: the node
 * loads the key file into a struct sp_keys (in sodium_malloc'd memory that is
 * inaccessible between uses) and provides it as the SP_SVC_KEYS service.
 * Planes ask it to sign, to compute X25519 Diffie-Hellman, and to seal and
 * open boxes (crypto_box: authenticated to the receiver, from the sender).
 *
 * The calls are synchronous and take only public inputs, so a later
 * privilege-separated key process (OpenBSD's imsg model) can answer them
 * over a socket without changing the callers.  The one call that hands a
 * private key out, sp_keys_export_wireguard(), exists for the WireGuard UAPI
 * `get` (the stock `wg` tool derives the public key from it); a separated
 * key process would refuse it and the UAPI would report no private key.
 * Pure code: no loop.
 */
#ifndef SP_KEYSTORE_H
#define SP_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "keys.h"

struct sp_keys;
struct sp_node;

#define SP_SIG_LEN 64
#define SP_BOX_NONCE_LEN 24
#define SP_BOX_MAC_LEN 16

/* Load the key file (mode and format checked, see sp_key_load) into custody. */
int sp_keys_load(const char *path, struct sp_keys **out) SP_MUST_CHECK;
/* Take a key pair into custody; kp is wiped. */
int sp_keys_from_pair(struct sp_keypair *kp, struct sp_keys **out) SP_MUST_CHECK;
/* Wipe and free; accepts NULL. */
void sp_keys_free(struct sp_keys *keys);

/* Public halves: the Ed25519 identity and its X25519 (WireGuard) form. */
const uint8_t *sp_keys_ed_public(const struct sp_keys *keys);
const uint8_t *sp_keys_x_public(const struct sp_keys *keys);

/* Ed25519 signature of msg. */
int sp_keys_sign(struct sp_keys *keys, const uint8_t *msg, size_t len,
		 uint8_t sig[SP_SIG_LEN]) SP_MUST_CHECK;
/* X25519(our private key, peer_x); SP_ECRYPTO for a low-order peer key (all-zero result). */
int sp_keys_dh(struct sp_keys *keys, const uint8_t peer_x[SP_KEY_LEN],
	       uint8_t out[SP_KEY_LEN]) SP_MUST_CHECK;
/*
 * crypto_box (X25519, XSalsa20-Poly1305) between our key and peer_x: out
 * holds len + SP_BOX_MAC_LEN bytes.  open() returns SP_EAUTH if the box was
 * not sealed by peer_x's owner for us, or was changed.
 */
int sp_keys_seal(struct sp_keys *keys, const uint8_t peer_x[SP_KEY_LEN],
		 const uint8_t nonce[SP_BOX_NONCE_LEN], const uint8_t *msg, size_t len,
		 uint8_t *out) SP_MUST_CHECK;
int sp_keys_open(struct sp_keys *keys, const uint8_t peer_x[SP_KEY_LEN],
		 const uint8_t nonce[SP_BOX_NONCE_LEN], const uint8_t *box, size_t len,
		 uint8_t *out) SP_MUST_CHECK;
/* Is candidate our X25519 private key?  Constant time (UAPI `set private_key`). */
bool sp_keys_is_wireguard_private(struct sp_keys *keys, const uint8_t candidate[SP_KEY_LEN]);
/* Copy the X25519 private key out (UAPI `get` only; see above).  Wipe it after use. */
int sp_keys_export_wireguard(struct sp_keys *keys, uint8_t out[SP_KEY_LEN]) SP_MUST_CHECK;

/* The node's keys service (SP_SVC_KEYS), never NULL on a started node. */
struct sp_keys *sp_keys_get(const struct sp_node *node);

#endif
