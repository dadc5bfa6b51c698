/*
 * cp_msg.h - the control plane's wire format, version 1 (pure code).
 *
 * Every control datagram (docs: /work/wt/ISSUE8.md, "Wire format v1"):
 *
 *   off len
 *   0   4   magic F5 53 50 43 (SP_CTL_MAGIC; core/classify.h routes it here)
 *   4   1   version = CP_VERSION
 *   5   1   type (enum cp_type), repeated inside the box and compared
 *   6   2   reserved, zero
 *   8   32  sender's Ed25519 public key (its identity)
 *   40  24  nonce field (random)
 *   64  ..  crypto_box_easy_afternm(plaintext) = 16-byte MAC + plaintext
 *
 * Plaintext: type(1) reserved(1) body_len(2, BE) counter(8, BE)
 *            body(body_len) zero padding.
 *
 * The box nonce is BLAKE2b-192 of the whole 64-byte cleartext header (which
 * holds the random nonce field), so the MAC covers the header too: a
 * changed sender key, type or reserved byte fails to open like a changed
 * ciphertext byte.  (An Ed25519 key and its negation share one X25519 key,
 * so without this a flipped sign bit of the sender key would still open,
 * under a new identity and a fresh replay entry.)
 *
 * The box key is precomputed per peer (cp_box_key() of the X25519 shared
 * secret that key custody's sp_keys_dh gives), so this codec never holds a
 * private key.  Every message is a fixed-size struct cp_msg: nothing here
 * allocates, and no input makes it crash (fuzz targets fuzz_control_*).
 *
 * On the wire, inside bodies:
 *   u8/u16/u32/u64   big endian
 *   string           len(1) bytes (no NUL; names: printable ASCII without
 *                    space, 0x21..0x7e; anchors: 0x20..0x7e)
 *   key              32 bytes
 *   address          16 bytes (an overlay IPv6 address)
 *   endpoint         family(1: 4 or 6) port(2) addr(16; v4 in the first 4
 *                    bytes, the other 12 zero); port 0 refused.  The single
 *                    "observed" endpoints (REGISTER_ACK, PONG) may also be
 *                    family 0 with port and address all zero: none (a
 *                    refusal carries no address).
 *   endpoint list    n(1, <= CP_EP_MAX) endpoints
 */
#ifndef CP_MSG_H
#define CP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/endpoint.h"
#include "core/error.h"

#define CP_VERSION 1
#define CP_MAGIC "\xf5SPC"	/* = SP_CTL_MAGIC */
#define CP_MAGIC_LEN 4
#define CP_KEY_LEN 32		/* Ed25519 public key, box key */
#define CP_NONCE_LEN 24
#define CP_ADDR_LEN 16		/* overlay IPv6 address */
#define CP_HDR_LEN 64		/* cleartext header */
#define CP_BOX_OVERHEAD 16	/* Poly1305 MAC */
#define CP_PLAIN_HDR 12		/* type, reserved, body_len, counter */
#define CP_MSG_MAX 2048		/* largest datagram sealed or opened */
/* Smallest datagram: header, MAC, plaintext header, empty body. */
#define CP_MSG_MIN (CP_HDR_LEN + CP_BOX_OVERHEAD + CP_PLAIN_HDR)
/* Largest body that fits CP_MSG_MAX. */
#define CP_BODY_MAX (CP_MSG_MAX - CP_MSG_MIN)
/*
 * Requests from a sender the receiver may not know yet (REGISTER, CONNECT,
 * PING) are padded to this (cp_msg_seal min_len), so that a reply is never
 * larger than the request: no amplification.  1200 fits any IPv6 path.
 */
#define CP_PAD_MIN 1200

#define CP_NAME_MAX 253		/* a label or an FQDN with its final dot */
#define CP_ANCHOR_MAX 255	/* DS or DNSKEY presentation text */
#define CP_EP_MAX 8		/* endpoints in one list */
#define CP_EP_WIRE 19		/* an endpoint on the wire */
#define CP_RELAY_MAX 1600	/* a relayed WireGuard datagram */
#define CP_FRIENDS_MAX 4	/* friend zones in one FRIENDS part */
#define CP_TOKEN_ID_LEN 16
#define CP_TOKEN_SECRET_LEN 32

enum cp_type {
	CP_REGISTER = 1,	/* device -> its signpost */
	CP_REGISTER_ACK,	/* signpost -> device */
	CP_CONNECT,		/* node -> a signpost: a path to one of its names */
	CP_CONNECT_ACK,		/* signpost -> node */
	CP_CALL_ME_MAYBE,	/* signpost -> its device: who is coming */
	CP_PING,		/* any: path probe */
	CP_PONG,		/* any: carries the address the prober was seen from */
	CP_RELAY,		/* node <-> signpost: a forwarded WireGuard datagram */
	CP_REVOKE,		/* signpost -> its devices */
	CP_FRIENDS,		/* signpost -> its devices: friend zones and anchors */
};
#define CP_TYPE_MIN CP_REGISTER
#define CP_TYPE_MAX CP_FRIENDS

/* Status in REGISTER_ACK and CONNECT_ACK; one byte on the wire. */
enum cp_status {
	CP_OK = 0,
	CP_E_TOKEN_REUSED,
	CP_E_TOKEN_EXPIRED,
	CP_E_TOKEN_FORGED,
	CP_E_UNKNOWN_DEVICE,
	CP_E_REVOKED,
	CP_E_NAME_TAKEN,
	CP_E_REFUSED,
	CP_E_NO_SUCH_NAME,
	CP_E_OFFLINE,
	CP_E_BUSY,
};
#define CP_STATUS_MAX CP_E_BUSY

/* REGISTER: a device tells its signpost who and where it is. */
struct cp_register {
	char name[CP_NAME_MAX + 1];	/* its label */
	bool has_token;			/* false: all zero on the wire (enrolled) */
	uint8_t token_id[CP_TOKEN_ID_LEN];
	uint8_t token_secret[CP_TOKEN_SECRET_LEN];	/* secret: cp_msg_wipe */
	uint8_t n_ep;
	union sp_endpoint ep[CP_EP_MAX];	/* its local addresses + port */
};

/* REGISTER_ACK: the signpost's answer. */
struct cp_register_ack {
	enum cp_status status;
	union sp_endpoint observed;	/* AF_UNSPEC: none */
	uint8_t overlay[CP_ADDR_LEN];
	uint16_t keepalive_s;		/* re-register period */
};

/* CONNECT: a node asks a signpost for a path to one of its names. */
struct cp_connect {
	uint64_t req_id;
	char target[CP_NAME_MAX + 1];	/* label, or empty (then by address) */
	uint8_t target_addr[CP_ADDR_LEN];	/* overlay; all zero when by name */
	char from_name[CP_NAME_MAX + 1];	/* requester FQDN */
	uint8_t n_ep;
	union sp_endpoint ep[CP_EP_MAX];	/* requester endpoints */
};

/* CONNECT_ACK: the path (or the refusal: then no endpoints). */
struct cp_connect_ack {
	uint64_t req_id;
	enum cp_status status;
	char name[CP_NAME_MAX + 1];	/* target FQDN */
	uint8_t key[CP_KEY_LEN];	/* target Ed25519 */
	uint8_t overlay[CP_ADDR_LEN];
	uint8_t n_ep;
	union sp_endpoint ep[CP_EP_MAX];	/* target endpoints */
};

/* CALL_ME_MAYBE: the signpost tells its device who is coming. */
struct cp_call_me_maybe {
	char name[CP_NAME_MAX + 1];	/* peer FQDN */
	uint8_t key[CP_KEY_LEN];	/* peer Ed25519 */
	uint8_t overlay[CP_ADDR_LEN];
	uint8_t n_ep;
	union sp_endpoint ep[CP_EP_MAX];	/* peer endpoints, incl. the observed one */
};

struct cp_ping {
	uint64_t tx_id;
};

struct cp_pong {
	uint64_t tx_id;
	union sp_endpoint observed;	/* where the PING came from; AF_UNSPEC: none */
};

/* RELAY: a WireGuard datagram forwarded through a signpost. */
/* What a RELAY adds around the datagram it carries: header, MAC, plaintext header, peer, length. */
#define CP_RELAY_OVERHEAD (CP_MSG_MIN + CP_KEY_LEN + 2)

struct cp_relay {
	uint8_t peer[CP_KEY_LEN];	/* to: destination; from the signpost: origin */
	uint16_t len;			/* 1..CP_RELAY_MAX */
	uint8_t payload[CP_RELAY_MAX];
};

/*
 * RELAYED: what a signpost sends the destination of a RELAY.  Not boxed: its
 * payload is authenticated end to end (a WireGuard datagram, or a control
 * message the origin sealed for the destination), so boxing it again only
 * cost time (a quarter of a relayed datagram's crypto).  As with TURN's
 * ChannelData, the framing itself is not authenticated: a forged frame
 * carries a payload the destination's WireGuard or box refuses, as it would
 * on a direct path.  Layout: magic(4) version(1) type(1) = CP_RELAYED,
 * reserved(2) = 0, sender(32): the signpost, origin(32), payload (1 to
 * CP_RELAY_MAX bytes).  The type byte is outside the boxed types, so
 * cp_msg_peek refuses it and no boxed message is ever read as one.
 */
#define CP_RELAYED 0x80
#define CP_FWD_HDR_LEN (8 + 2 * CP_KEY_LEN)

struct cp_fwd {
	const uint8_t *sender;		/* the signpost (Ed25519), as the frame says */
	const uint8_t *origin;		/* who sent the RELAY */
	const uint8_t *payload;
	size_t len;
};

/* Write a RELAYED frame into out[0..cap); *out_len its length.  0, -EINVAL or SP_ETRUNC. */
int cp_fwd_write(uint8_t *out, size_t cap, const uint8_t sender[CP_KEY_LEN],
		 const uint8_t origin[CP_KEY_LEN], const uint8_t *payload, size_t len,
		 size_t *out_len) SP_MUST_CHECK;
/* Is buf a RELAYED frame (magic, version, type)?  Then cp_fwd_parse says whether it is valid. */
bool cp_fwd_is(const uint8_t *buf, size_t len);
/* Parse a RELAYED frame; f points into buf.  0 or SP_EMALFORMED. */
int cp_fwd_parse(const uint8_t *buf, size_t len, struct cp_fwd *f) SP_MUST_CHECK;

/*
 * RELAY_DATA: a device's tunnel datagram for its signpost to relay (the
 * per-packet path; control messages along a relayed path still go in a
 * boxed RELAY).  The payload is already authenticated end to end, so it is
 * authenticated here, not encrypted again: XChaCha20-Poly1305 with the
 * header and the payload as associated data, and only the destination and
 * the counter encrypted (who talks to whom stays hidden, as in a RELAY).
 * Authentication is what the signpost needs (a RELAY_DATA moves the pair's
 * address to its source, and counts against the sender's caps), and a
 * Poly1305 over the datagram costs a third of re-encrypting it.  The key is
 * the pair's box key bound to the sender (cp_rdata_key), the nonce the
 * header's random nonce field, the counter the sender's (replay table).
 * Layout: magic(4) version(1) type(1) = CP_RELAY_DATA, reserved(2) = 0,
 * sender(32), nonce(24) | payload (1..CP_RELAY_MAX) | destination(32) and
 * counter(8), encrypted | tag(16).
 */
#define CP_RELAY_DATA 0x81
#define CP_RDATA_SEALED (CP_KEY_LEN + 8)
#define CP_RDATA_OVERHEAD (CP_HDR_LEN + CP_RDATA_SEALED + CP_BOX_OVERHEAD)

struct cp_rdata {
	const uint8_t *sender;
	uint8_t dest[CP_KEY_LEN];
	uint64_t counter;
	const uint8_t *payload;		/* into the frame */
	size_t len;
};

/* The RELAY_DATA key of frames from `sender` on a pair's box key. */
int cp_rdata_key(const uint8_t box[CP_KEY_LEN], const uint8_t sender[CP_KEY_LEN],
		 uint8_t key[CP_KEY_LEN]) SP_MUST_CHECK;
/* Seal a RELAY_DATA frame into out[0..cap).  0, -EINVAL, SP_ETRUNC or SP_ECRYPTO. */
int cp_rdata_seal(const uint8_t key[CP_KEY_LEN], const uint8_t sender[CP_KEY_LEN],
		  const uint8_t dest[CP_KEY_LEN], uint64_t counter, const uint8_t *payload,
		  size_t len, uint8_t *out, size_t cap, size_t *out_len) SP_MUST_CHECK;
/* Is buf a RELAY_DATA frame (magic, version, type)?  Its sender is at buf + 8 (cp_msg_peek's place). */
bool cp_rdata_is(const uint8_t *buf, size_t len);
/* Open one: 0, SP_EMALFORMED or SP_EAUTH (then *r holds nothing). */
int cp_rdata_open(const uint8_t key[CP_KEY_LEN], const uint8_t *buf, size_t len,
		  struct cp_rdata *r) SP_MUST_CHECK;

struct cp_revoke {
	uint8_t key[CP_KEY_LEN];	/* Ed25519 key of the revoked device */
};

/* One friend zone in FRIENDS. */
struct cp_friend {
	char zone[CP_NAME_MAX + 1];	/* FQDN, not empty */
	char anchor[CP_ANCHOR_MAX + 1];	/* DS or DNSKEY text, not empty */
	uint8_t n_ep;
	union sp_endpoint ep[CP_EP_MAX];	/* where to ask its DNS (may be none) */
};

/*
 * FRIENDS: part `part` (0-based, < parts) of generation `generation` of the
 * signpost's friend list.  A body must fit CP_BODY_MAX, so the signpost
 * sends fewer entries per part when anchors and endpoint lists are long
 * (cp_body_encode returns SP_ETRUNC when they do not fit).
 */
struct cp_friends {
	uint32_t generation;
	uint8_t part, parts;		/* parts >= 1 */
	uint8_t n;			/* <= CP_FRIENDS_MAX */
	struct cp_friend f[CP_FRIENDS_MAX];
};

/* One control message, decoded; fixed size, no pointers. */
struct cp_msg {
	enum cp_type type;
	uint64_t counter;	/* sender's clock in us, strictly increasing per sender */
	union {
		struct cp_register reg;
		struct cp_register_ack reg_ack;
		struct cp_connect connect;
		struct cp_connect_ack connect_ack;
		struct cp_call_me_maybe cmm;
		struct cp_ping ping;
		struct cp_pong pong;
		struct cp_relay relay;
		struct cp_revoke revoke;
		struct cp_friends friends;
	} u;
};

/*
 * The precomputed box key of a peer from the X25519 shared secret (the
 * output of sp_keys_dh with the peer's X25519 key): HSalsa20 of it with a
 * zero input, exactly crypto_box_beforenm.  An all-zero shared secret (a
 * low-order peer key) is refused with SP_ECRYPTO and key is zeroed.  The
 * caller wipes both with sodium_memzero when done.
 */
int cp_box_key(const uint8_t x25519_shared[32], uint8_t key[CP_KEY_LEN]) SP_MUST_CHECK;

/*
 * Peek at the cleartext header of a received datagram, before any crypto:
 * length within [CP_MSG_MIN, CP_MSG_MAX], magic, version, reserved bytes
 * zero, known type.  sender_ed (may be NULL) gets the sender's Ed25519 key
 * and type (may be NULL) the type, to pick the box key.  Nothing is
 * authenticated yet.  Returns 0, SP_EPROTO (another version) or
 * SP_EMALFORMED.
 */
int cp_msg_peek(const uint8_t *buf, size_t len, uint8_t sender_ed[CP_KEY_LEN],
		enum cp_type *type) SP_MUST_CHECK;

/*
 * Seal m (type, counter and body; the caller sets the counter) from the
 * sender sender_ed with the box key into out[0..cap): header, then the box
 * with a random nonce.  The plaintext is padded with zeros so that the
 * datagram is at least min_len bytes (0: no padding; CP_PAD_MIN for
 * requests to a sender that may not know us).  *out_len gets the length.
 * Returns 0, -EINVAL (m is not a valid message: unknown type, a string too
 * long or with a forbidden byte, a count over its bound, min_len over
 * CP_MSG_MAX), SP_ETRUNC (the datagram would not fit cap or CP_MSG_MAX) or
 * SP_ECRYPTO.  The plaintext copy is wiped.
 */
int cp_msg_seal(const uint8_t key[CP_KEY_LEN], const uint8_t sender_ed[CP_KEY_LEN],
		const struct cp_msg *m, size_t min_len, uint8_t *out, size_t cap,
		size_t *out_len) SP_MUST_CHECK;

/*
 * Open a received datagram with the sender's box key and decode it into m
 * (zeroed first, and zeroed again on failure): the header as cp_msg_peek,
 * the MAC (SP_EAUTH: wrong key or any byte changed), then the plaintext
 * strictly: inner type equal to the outer one, reserved zero, body_len
 * within the plaintext, the body parsed by cp_body_decode with nothing
 * left over, and only zero bytes of padding after it (SP_EMALFORMED or
 * SP_EPROTO otherwise).  m->counter is the sender's; the replay check
 * (cp_replay.h) is the caller's, after this succeeded.  The plaintext copy
 * is wiped; m may hold a token secret: cp_msg_wipe it.
 */
int cp_msg_open(const uint8_t key[CP_KEY_LEN], const uint8_t *buf, size_t len,
		struct cp_msg *m) SP_MUST_CHECK;

/*
 * Encode the body of m alone (no header, no crypto) into out[0..cap);
 * *out_len gets its length.  Returns 0, -EINVAL (m not valid, as in
 * cp_msg_seal) or SP_ETRUNC (out too small, or the body over CP_BODY_MAX).
 */
int cp_body_encode(const struct cp_msg *m, uint8_t *out, size_t cap, size_t *out_len)
	SP_MUST_CHECK;

/*
 * Decode body[0..len) as the body of a message of `type` into m (zeroed
 * first; m->type set, m->counter 0; zeroed again on failure).  Strict:
 * every field read with bounds, every count and string length bounded,
 * strings with no forbidden byte, endpoint families 4 or 6 with zero
 * unused address bytes and a port, statuses known, all of body used.
 * Returns 0, -EINVAL (unknown type) or SP_EMALFORMED.  The fuzz targets
 * call this directly.
 */
int cp_body_decode(enum cp_type type, const uint8_t *body, size_t len, struct cp_msg *m)
	SP_MUST_CHECK;

/*
 * The counter of the next message a sender seals: its clock in
 * microseconds, but always above the last one (two messages in the same
 * microsecond, or a clock stepped back), as the receivers' replay tables
 * require.  *last is updated.
 */
static inline uint64_t cp_counter_next(uint64_t *last, uint64_t now_us)
{
	*last = now_us > *last ? now_us : *last + 1;
	return *last;
}

/*
 * The bytes of m its type uses, from the start: the type's member of the
 * union (for a RELAY only the datagram's len bytes of the payload), or all
 * of m for an unknown type.  What decoding clears and cp_msg_wipe wipes: a
 * relayed datagram is not cleared twice and wiped once more at 5 KiB.
 */
size_t cp_msg_used(const struct cp_msg *m);
/* Wipe m (it may hold a token secret); m may be NULL. */
void cp_msg_wipe(struct cp_msg *m);

/* The words users see for a status ("token already used", ...); never NULL. */
const char *cp_status_str(enum cp_status s);

/* The name of a type ("register", "connect-ack", ...); "unknown" if none. */
const char *cp_type_str(enum cp_type t);

#endif
