/*
 * messages.h - every WireGuard wire struct, size and protocol limit.
 *
 * The layout is exactly WireGuard's (https://www.wireguard.com/protocol/):
 * packed structs, every integer field little-endian on the wire.  Use
 * tun_le32()/tun_put_le32() and friends to read and write the integer fields;
 * the byte arrays are copied as they are.
 *
 * The message type is one byte followed by three zero bytes; a receiver reads
 * the first four bytes as a little-endian uint32 and compares with the enum.
 */
#ifndef TUN_MESSAGES_H
#define TUN_MESSAGES_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Lengths of the primitives. */
#define TUN_KEY_LEN		32	/* X25519 keys, symmetric keys, psk */
#define TUN_HASH_LEN		32	/* BLAKE2s-256 */
#define TUN_AUTHTAG_LEN		16	/* Poly1305 */
#define TUN_TIMESTAMP_LEN	12	/* TAI64N */
#define TUN_COOKIE_LEN		16	/* keyed BLAKE2s-128 */
#define TUN_COOKIE_NONCE_LEN	24	/* XChaCha20-Poly1305 nonce */
#define TUN_MAC_LEN		16	/* mac1, mac2 */

/* Protocol strings (no terminating NUL on the wire or in a hash). */
#define TUN_NOISE_CONSTRUCTION	"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
#define TUN_NOISE_IDENTIFIER	"WireGuard v1 zx2c4 Jason@zx2c4.com"
#define TUN_LABEL_MAC1		"mac1----"
#define TUN_LABEL_COOKIE	"cookie--"

/* Time, in nanoseconds (all times in this module are uint64_t ns of a monotonic clock). */
#define TUN_NSEC_PER_SEC	1000000000ULL
#define TUN_MSEC		1000000ULL

/*
 * Protocol limits (WireGuard paper, section 6).  These are the protocol's
 * values; the loop code may shorten the timeouts for tests, never lengthen.
 */
/* Initiator starts a new handshake after this many messages on one key. */
#define TUN_REKEY_AFTER_MESSAGES	(1ULL << 60)
/* Never send or accept a counter this large: 2^64 - 2^13 - 1 (paper), i.e.
 * leave room for the replay window below the nonce space end. */
#define TUN_REJECT_AFTER_MESSAGES	(UINT64_MAX - TUN_COUNTER_WINDOW_SIZE - 1)
/* Initiator rekeys when its current key is this old (and it sends). */
#define TUN_REKEY_AFTER_TIME		(120ULL * TUN_NSEC_PER_SEC)
/* A key this old is never used again, in either direction. */
#define TUN_REJECT_AFTER_TIME		(180ULL * TUN_NSEC_PER_SEC)
/* Keep retrying a handshake (every REKEY_TIMEOUT) for this long, then give up. */
#define TUN_REKEY_ATTEMPT_TIME		(90ULL * TUN_NSEC_PER_SEC)
/* Retransmit an unanswered initiation after this (plus jitter). */
#define TUN_REKEY_TIMEOUT		(5ULL * TUN_NSEC_PER_SEC)
/* Jitter added to each handshake retransmission: up to a third of a second. */
#define TUN_REKEY_TIMEOUT_JITTER_MAX	(333ULL * TUN_MSEC)
/* Send an empty keepalive if we received data but sent nothing for this long. */
#define TUN_KEEPALIVE_TIMEOUT		(10ULL * TUN_NSEC_PER_SEC)
/* The responder's cookie secret rotates this often. */
#define TUN_COOKIE_SECRET_MAX_AGE	(120ULL * TUN_NSEC_PER_SEC)
/* A stored cookie is used only while younger than MAX_AGE - LATENCY. */
#define TUN_COOKIE_SECRET_LATENCY	(5ULL * TUN_NSEC_PER_SEC)
/* At most this many initiations per second are consumed from one peer. */
#define TUN_INITIATIONS_PER_SECOND	50
/* Handshake attempts before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
#define TUN_MAX_TIMER_HANDSHAKES	(TUN_REKEY_ATTEMPT_TIME / TUN_REKEY_TIMEOUT)
/* Transport plaintext is zero-padded to a multiple of this. */
#define TUN_MESSAGE_PADDING_MULTIPLE	16

/* Replay window (RFC 6479 style), see counter.h. */
#define TUN_COUNTER_BITS_TOTAL		8192
#define TUN_COUNTER_WINDOW_SIZE		(TUN_COUNTER_BITS_TOTAL - 64)

/* Message types (first byte; the next three bytes are zero). */
enum tun_msg_type {
	TUN_MSG_INVALID = 0,
	TUN_MSG_INITIATION = 1,
	TUN_MSG_RESPONSE = 2,
	TUN_MSG_COOKIE = 3,
	TUN_MSG_DATA = 4,
};

struct tun_msg_header {
	uint32_t type;			/* le32: enum tun_msg_type */
} __attribute__((packed));

struct tun_msg_macs {
	uint8_t mac1[TUN_MAC_LEN];
	uint8_t mac2[TUN_MAC_LEN];
} __attribute__((packed));

/* Handshake initiation, 148 bytes. */
struct tun_msg_initiation {
	struct tun_msg_header header;
	uint32_t sender_index;		/* le32 */
	uint8_t unencrypted_ephemeral[TUN_KEY_LEN];
	uint8_t encrypted_static[TUN_KEY_LEN + TUN_AUTHTAG_LEN];
	uint8_t encrypted_timestamp[TUN_TIMESTAMP_LEN + TUN_AUTHTAG_LEN];
	struct tun_msg_macs macs;
} __attribute__((packed));

/* Handshake response, 92 bytes. */
struct tun_msg_response {
	struct tun_msg_header header;
	uint32_t sender_index;		/* le32 */
	uint32_t receiver_index;	/* le32 */
	uint8_t unencrypted_ephemeral[TUN_KEY_LEN];
	uint8_t encrypted_nothing[TUN_AUTHTAG_LEN];
	struct tun_msg_macs macs;
} __attribute__((packed));

/* Cookie reply, 64 bytes. */
struct tun_msg_cookie {
	struct tun_msg_header header;
	uint32_t receiver_index;	/* le32 */
	uint8_t nonce[TUN_COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[TUN_COOKIE_LEN + TUN_AUTHTAG_LEN];
} __attribute__((packed));

/* Transport data header, 16 bytes, followed by the encrypted packet and tag. */
struct tun_msg_data {
	struct tun_msg_header header;
	uint32_t receiver_index;	/* le32 */
	uint64_t counter;		/* le64 */
	uint8_t encrypted_data[];
} __attribute__((packed));

#define TUN_MSG_INITIATION_LEN	148
#define TUN_MSG_RESPONSE_LEN	92
#define TUN_MSG_COOKIE_LEN	64
#define TUN_MSG_DATA_HEADER_LEN	16
/* Smallest data message: header plus the tag of an empty (keepalive) payload. */
#define TUN_MSG_DATA_MIN_LEN	(TUN_MSG_DATA_HEADER_LEN + TUN_AUTHTAG_LEN)
/* Bytes a data message adds around the padded plaintext. */
#define TUN_MSG_DATA_OVERHEAD	TUN_MSG_DATA_MIN_LEN

_Static_assert(sizeof(struct tun_msg_initiation) == TUN_MSG_INITIATION_LEN, "initiation size");
_Static_assert(sizeof(struct tun_msg_response) == TUN_MSG_RESPONSE_LEN, "response size");
_Static_assert(sizeof(struct tun_msg_cookie) == TUN_MSG_COOKIE_LEN, "cookie size");
_Static_assert(sizeof(struct tun_msg_data) == TUN_MSG_DATA_HEADER_LEN, "data header size");

/* Little-endian field access that does not care about alignment. */
static inline uint32_t tun_le32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t tun_le64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void tun_put_le32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void tun_put_le64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * Type of a received datagram if its length is legal for that type
 * (exact for handshake and cookie messages, at least TUN_MSG_DATA_MIN_LEN
 * for data), else TUN_MSG_INVALID.  Checks the three zero bytes too.
 */
static inline enum tun_msg_type tun_msg_classify(const uint8_t *buf, size_t len)
{
	if (len < sizeof(struct tun_msg_header))
		return TUN_MSG_INVALID;
	switch (tun_le32(buf)) {
	case TUN_MSG_INITIATION:
		return len == TUN_MSG_INITIATION_LEN ? TUN_MSG_INITIATION : TUN_MSG_INVALID;
	case TUN_MSG_RESPONSE:
		return len == TUN_MSG_RESPONSE_LEN ? TUN_MSG_RESPONSE : TUN_MSG_INVALID;
	case TUN_MSG_COOKIE:
		return len == TUN_MSG_COOKIE_LEN ? TUN_MSG_COOKIE : TUN_MSG_INVALID;
	case TUN_MSG_DATA:
		return len >= TUN_MSG_DATA_MIN_LEN ? TUN_MSG_DATA : TUN_MSG_INVALID;
	default:
		return TUN_MSG_INVALID;
	}
}

/*
 * The index a received message is addressed to (our local index): the
 * receiver_index of a response, cookie reply or data message.  The caller
 * must have classified the message first.  Initiations carry none: 0.
 */
static inline uint32_t tun_msg_receiver_index(const uint8_t *buf, enum tun_msg_type type)
{
	switch (type) {
	case TUN_MSG_RESPONSE:
		return tun_le32(buf + offsetof(struct tun_msg_response, receiver_index));
	case TUN_MSG_COOKIE:
		return tun_le32(buf + offsetof(struct tun_msg_cookie, receiver_index));
	case TUN_MSG_DATA:
		return tun_le32(buf + offsetof(struct tun_msg_data, receiver_index));
	default:
		return 0;
	}
}

#endif
