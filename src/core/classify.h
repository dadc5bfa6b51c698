/*
 * classify.h - sort a datagram on the node's UDP port by its first bytes.
 *
 * Every datagram the transport receives is one of these kinds; the kinds
 * cannot be confused with each other (pure code, no loop):
 *
 *   SP_KIND_WIREGUARD  the first four bytes are a WireGuard type, 1..4 as a
 *                      little-endian uint32 (the type byte, then three zero
 *                      bytes), with that type's exact length: initiation 148,
 *                      response 92, cookie reply 64, data at least 32.  A
 *                      WireGuard type with any other length is DROPPED and
 *                      counted (SP_CLASS_BAD_LENGTH), never passed on.
 *                      Data messages are not checked for a multiple of 16:
 *                      WireGuard pads the plaintext to 16 but never past the
 *                      MTU (wireguard-go, the Linux module), so a full-size
 *                      packet on an MTU such as 1420 (1420 % 16 = 12) makes
 *                      a 1452-byte message; refusing it would break interop.
 *   SP_KIND_STUN       RFC 8489: the two top bits of the first byte are 0, the
 *                      magic cookie 0x2112A442 is at offset 4, and the length
 *                      field (bytes 2-3) is the rest of the message after the
 *                      20-byte header, a multiple of 4.  RFC 3489 messages
 *                      (no cookie) are not STUN here: unknown.  WireGuard is
 *                      tested first; no STUN message collides, since a STUN
 *                      message with first four bytes 0x0[1-4] 0 0 0 would
 *                      have method 0 (reserved) or be a length-0 message of
 *                      type 0x0100..0x0400 that RFC 8489 does not define.
 *   SP_KIND_CONTROL    a signpost control message: it starts with the four
 *                      bytes SP_CTL_MAGIC = F5 'S' 'P' 'C'.  The first byte
 *                      0xF5 has its top two bits set, so it is never STUN
 *                      (top bits 00) and never a WireGuard type (1..4); it is
 *                      also outside every range RFC 7983 assigns for demuxing
 *                      STUN (0-3), ZRTP (16-19), DTLS (20-63), TURN channels
 *                      (64-79) and RTP/RTCP (128-191).  The three ASCII bytes
 *                      that follow make a random datagram match 1 in 2^32.
 *                      What comes after the magic is the control plane's.
 *   SP_KIND_UNKNOWN    anything else, including empty datagrams (counted).
 */
#ifndef SP_CLASSIFY_H
#define SP_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

enum sp_kind {
	SP_KIND_WIREGUARD = 0,
	SP_KIND_STUN,
	SP_KIND_CONTROL,
	SP_KIND_UNKNOWN,
	SP_KIND_MAX
};

/* What sp_classify() found: a kind to hand on, or a reason to drop. */
enum sp_class {
	SP_CLASS_WIREGUARD = SP_KIND_WIREGUARD,
	SP_CLASS_STUN = SP_KIND_STUN,
	SP_CLASS_CONTROL = SP_KIND_CONTROL,
	SP_CLASS_UNKNOWN = SP_KIND_UNKNOWN,
	SP_CLASS_BAD_LENGTH,	/* a WireGuard type with the wrong length: drop */
};

#define SP_CTL_MAGIC "\xf5SPC"
#define SP_CTL_MAGIC_LEN 4

#define SP_STUN_HEADER_LEN 20
#define SP_STUN_MAGIC_COOKIE 0x2112A442u

/* WireGuard's fixed message lengths (messages.h has the structs). */
#define SP_WG_INITIATION_LEN 148
#define SP_WG_RESPONSE_LEN 92
#define SP_WG_COOKIE_LEN 64
#define SP_WG_DATA_MIN_LEN 32

/* Per-kind counters, for `signpost status`. */
struct sp_classify_stats {
	uint64_t received[SP_KIND_MAX];	/* datagrams of each kind (unknown ones too) */
	uint64_t bad_length;		/* WireGuard types of the wrong length, dropped */
	uint64_t unhandled;		/* a kind with no handler registered, dropped */
};

/* Classify len bytes at buf (buf may be NULL when len is 0). */
enum sp_class sp_classify(const uint8_t *buf, size_t len);
/* Classify and count in *st. */
enum sp_class sp_classify_count(struct sp_classify_stats *st, const uint8_t *buf, size_t len);
/* "wireguard", "stun", "control", "unknown". */
const char *sp_kind_name(enum sp_kind kind);

#endif
