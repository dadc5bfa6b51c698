/*
 * overlay.h - overlay IPv6 addresses, bound to zone and device key.
 *
 * Every user (zone) owns one /48 ULA prefix (RFC 4193), and every device in
 * it one address in subnet 0 of that prefix:
 *
 *   bytes 0      0xfd (ULA, locally assigned)
 *   bytes 1..5   global id: the first 5 bytes of BLAKE2b-256 (libsodium
 *                crypto_generichash, no key, 32-byte output) of the canonical
 *                zone name
 *   bytes 6..7   subnet id: 0
 *   bytes 8..15  interface identifier: the first 8 bytes of BLAKE2b-256 of
 *                the device's 32-byte Ed25519 public key
 *
 * The canonical zone name is the presentation form in ASCII lower case with
 * exactly one trailing dot ("alice.example."); "Alice.Example" and
 * "alice.example." name the same prefix.  Anyone holding a signed AAAA and
 * the device's KEY record can recompute the address and check that they belong
 * together (tun_overlay_check).  Pure functions: no state, no I/O.
 */
#ifndef TUN_OVERLAY_H
#define TUN_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define TUN_OVERLAY_PREFIX_LEN 48	/* bits of the per-zone prefix */
#define TUN_OVERLAY_GLOBAL_ID_LEN 5	/* bytes of zone hash after 0xfd */
#define TUN_OVERLAY_IID_LEN 8		/* bytes of key hash in the address */
#define TUN_OVERLAY_ZONE_MAX 254	/* canonical text incl. final dot, no NUL */

/*
 * Canonical form of a zone name into out (NUL-terminated, at most
 * TUN_OVERLAY_ZONE_MAX + 1 bytes).  Returns the length, or SP_EMALFORMED for
 * an empty name, an empty label, a label over 63 bytes, a name over 253
 * characters or a byte outside printable ASCII.  The root "." is refused:
 * it is nobody's zone.
 */
int tun_overlay_zone_canonical(const char *zone, char out[TUN_OVERLAY_ZONE_MAX + 1]) SP_MUST_CHECK;

/* The zone's /48 prefix into out (bytes 6..15 zeroed).  0 or SP_EMALFORMED. */
int tun_overlay_prefix(const char *zone, uint8_t out[16]) SP_MUST_CHECK;

/* A device's overlay address from zone and Ed25519 public key.  0 or SP_EMALFORMED. */
int tun_overlay_addr(const char *zone, const uint8_t ed25519_pk[32], uint8_t out[16]) SP_MUST_CHECK;

/*
 * Check that addr is the overlay address of ed25519_pk in zone: 0 when it is,
 * SP_EAUTH when it is not, SP_EMALFORMED for a bad zone name.
 */
int tun_overlay_check(const char *zone, const uint8_t ed25519_pk[32], const uint8_t addr[16]) SP_MUST_CHECK;

#endif
