/*
 * noise.h - the WireGuard handshake (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s)
 * and the transport data messages, pure: bytes in, bytes out.
 *
 * No clock, no sockets, no globals of its own (hash.h caches the OpenSSL
 * objects process-wide).  Times are uint64_t nanoseconds of a monotonic clock
 * passed in as `now`; the TAI64N timestamp of an initiation is passed in by
 * the caller (tun_tai64n() builds one from the wall clock).  Indices are host
 * order values; the caller allocates local indices (random, unique in its
 * index table) and looks peers up by index or by static key.
 *
 * Secrets (ephemeral keys, chaining keys, hashes, DH results) are wiped with
 * sodium_memzero on every path.  A failed consume_* leaves the handshake as
 * it was.  All functions return 0 or a negative code of core/error.h:
 * SP_EMALFORMED (wrong length/type), SP_EAUTH (does not authenticate),
 * SP_ESTATE (not legal in the handshake's state), SP_EREPLAY (replayed
 * timestamp or counter), SP_ELIMIT (initiation flood), SP_EEXPIRED (key too
 * old or too used), SP_ECRYPTO (a primitive failed, e.g. a low-order key).
 */
#ifndef TUN_NOISE_H
#define TUN_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "core/error.h"
#include "tunnel/counter.h"
#include "tunnel/messages.h"

/*
 * X25519 with our static private key: out = DH(our private key, pub).  The
 * handshake never holds that key; whoever does (the node's key custody,
 * core/keystore.h, or a test) answers through this callback.  Returns 0, or
 * nonzero for a low-order pub (all-zero result) or a failure; out is then
 * unspecified.
 */
typedef int (*tun_noise_dh_fn)(void *ctx, const uint8_t pub[TUN_KEY_LEN],
			       uint8_t out[TUN_KEY_LEN]);

/* Our static identity: the public key and the callback that holds the private half. */
struct tun_noise_static {
	uint8_t public_key[TUN_KEY_LEN];
	tun_noise_dh_fn dh;
	void *dh_ctx;				/* not owned; outlives the identity */
	bool has_identity;
};

enum tun_noise_state {
	TUN_HS_ZEROED = 0,
	TUN_HS_CREATED_INITIATION,
	TUN_HS_CONSUMED_INITIATION,
	TUN_HS_CREATED_RESPONSE,
	TUN_HS_CONSUMED_RESPONSE,
};

/* Handshake state with one peer; embed one in each peer. */
struct tun_noise_handshake {
	enum tun_noise_state state;
	const struct tun_noise_static *local;	/* not owned; must outlive the handshake */
	uint8_t remote_static[TUN_KEY_LEN];
	uint8_t preshared_key[TUN_KEY_LEN];	/* secret; zeros when none */
	uint8_t precomputed_static_static[TUN_KEY_LEN];	/* secret: DH(S_local, S_remote) */
	bool static_static_ok;			/* false for a low-order remote key */
	uint8_t remote_ephemeral[TUN_KEY_LEN];
	uint8_t ephemeral_private[TUN_KEY_LEN];	/* secret */
	uint8_t hash[TUN_HASH_LEN];		/* secret */
	uint8_t chaining_key[TUN_HASH_LEN];	/* secret */
	uint8_t latest_timestamp[TUN_TIMESTAMP_LEN];	/* greatest initiation timestamp accepted */
	uint64_t last_initiation_consumption;	/* ns; 0 = never */
	uint32_t local_index;			/* ours, set by create_initiation/response */
	uint32_t remote_index;			/* theirs */
};

/*
 * Transport keys of one session, both directions.  begin_session also makes
 * one OpenSSL ChaCha20-Poly1305 context per direction with the key set
 * (send_ctx encrypts, recv_ctx decrypts); each packet only sets the nonce.
 * The contexts are owned by the keypair: tun_noise_keypair_wipe() frees them,
 * and every keypair that held a session must be wiped before it is dropped,
 * freed or given to tun_noise_begin_session() again (or they leak).
 */
struct tun_noise_keypair {
	uint8_t send_key[TUN_KEY_LEN];		/* secret */
	uint8_t recv_key[TUN_KEY_LEN];		/* secret */
	EVP_CIPHER_CTX *send_ctx;		/* secret key schedule; owned */
	EVP_CIPHER_CTX *recv_ctx;		/* secret key schedule; owned */
	uint64_t send_counter;			/* next nonce to send */
	struct tun_counter recv_counter;	/* replay window */
	uint64_t birthdate;			/* ns, from begin_session's now */
	uint32_t local_index;			/* data messages to us carry this */
	uint32_t remote_index;			/* we write this into data messages we send */
	bool is_initiator;
	bool valid;				/* false after tun_noise_keypair_wipe() */
};

/*
 * Scratch of a half-consumed initiation: step one decrypted the initiator's
 * static key, the caller looks that key up, step two finishes.  Holds
 * secrets; tun_noise_consume_initiation_finish() wipes it on every path, and
 * tun_noise_initiation_ctx_wipe() does when the caller drops it.
 */
struct tun_noise_initiation_ctx {
	uint8_t remote_static[TUN_KEY_LEN];	/* the initiator's static key: look it up */
	uint8_t remote_ephemeral[TUN_KEY_LEN];
	uint8_t hash[TUN_HASH_LEN];
	uint8_t chaining_key[TUN_HASH_LEN];
	uint8_t encrypted_timestamp[TUN_TIMESTAMP_LEN + TUN_AUTHTAG_LEN];
	const struct tun_noise_static *local;
	uint32_t remote_index;
	bool ready;
};

/*
 * Set our identity: our X25519 public key and the DH callback over the
 * matching private key (dh_ctx kept by pointer).  SP_ECRYPTO if dh is NULL.
 */
int tun_noise_static_init(struct tun_noise_static *st, const uint8_t public_key[TUN_KEY_LEN],
			  tun_noise_dh_fn dh, void *dh_ctx) SP_MUST_CHECK;
/*
 * A DH callback over a raw private key that the CALLER holds (ctx points to
 * its 32 bytes): for tests, fuzz targets and tools, never for the node's own
 * identity (that is key custody's, sp_keys_dh).
 */
int tun_noise_dh_raw(void *ctx, const uint8_t pub[TUN_KEY_LEN], uint8_t out[TUN_KEY_LEN]);
/*
 * An identity over such a raw key (tests, fuzz targets): the public key of
 * private_key, and tun_noise_dh_raw over private_key, which is kept BY
 * POINTER: the caller's buffer must outlive st.
 */
int tun_noise_static_init_raw(struct tun_noise_static *st,
			      const uint8_t private_key[TUN_KEY_LEN]) SP_MUST_CHECK;
/* Forget our identity. */
void tun_noise_static_deinit(struct tun_noise_static *st);

/*
 * Set up the handshake with one peer: our identity `local` (kept by
 * pointer), the peer's static public key, an optional preshared key (NULL =
 * none).  Precomputes DH(local, remote) through local's DH callback (secret,
 * kept per peer as WireGuard does); a low-order remote key is accepted
 * here but every handshake with it fails with SP_ECRYPTO.
 */
int tun_noise_handshake_init(struct tun_noise_handshake *hs,
			     const struct tun_noise_static *local,
			     const uint8_t remote_static[TUN_KEY_LEN],
			     const uint8_t preshared_key[TUN_KEY_LEN]) SP_MUST_CHECK;
/* Replace the preshared key (NULL = none). */
void tun_noise_handshake_set_psk(struct tun_noise_handshake *hs,
				 const uint8_t preshared_key[TUN_KEY_LEN]);
/*
 * Recompute the static-static DH after our identity changed (the pointer to
 * `local` stays).  The state is cleared.
 */
int tun_noise_handshake_rekey_static(struct tun_noise_handshake *hs) SP_MUST_CHECK;
/* Drop a handshake in progress (state ZEROED, ephemeral state wiped); keeps keys and timestamp. */
void tun_noise_handshake_clear(struct tun_noise_handshake *hs);
/* Wipe everything, including the peer's keys. */
void tun_noise_handshake_deinit(struct tun_noise_handshake *hs);

/*
 * Initiator, step 1: build a handshake initiation into *msg from `local_index`
 * and the 12-byte TAI64N `timestamp`.  The MACs are left zero: the caller adds
 * them with tun_cookie_add_macs().  State becomes CREATED_INITIATION (any
 * earlier handshake in progress is dropped).
 */
int tun_noise_create_initiation(struct tun_noise_handshake *hs,
				struct tun_msg_initiation *msg, uint32_t local_index,
				const uint8_t timestamp[TUN_TIMESTAMP_LEN]) SP_MUST_CHECK;

/*
 * Responder, step 1 of 2: check type and length of an initiation and decrypt
 * the initiator's static key into ctx->remote_static.  Does not check MACs
 * (the caller does with tun_cookie_validate() first).  On error ctx is wiped.
 */
int tun_noise_consume_initiation_begin(const struct tun_noise_static *local,
				       const uint8_t *msg, size_t len,
				       struct tun_noise_initiation_ctx *ctx) SP_MUST_CHECK;

/*
 * Responder, step 2 of 2: with the handshake of the peer whose static key is
 * ctx->remote_static, decrypt the timestamp, reject a replay (timestamp not
 * greater than the last accepted: SP_EREPLAY) and a flood (less than
 * 1/TUN_INITIATIONS_PER_SECOND since the last accepted one: SP_ELIMIT), then
 * store the state (CONSUMED_INITIATION).  ctx is wiped on every path.
 */
int tun_noise_consume_initiation_finish(struct tun_noise_initiation_ctx *ctx,
					struct tun_noise_handshake *hs,
					uint64_t now) SP_MUST_CHECK;

/* Wipe a ctx that will not be finished (e.g. the static key is unknown). */
void tun_noise_initiation_ctx_wipe(struct tun_noise_initiation_ctx *ctx);

/* Peer lookup by static public key for the one-call form; NULL = unknown peer. */
typedef struct tun_noise_handshake *(*tun_noise_lookup_fn)(
	void *arg, const uint8_t remote_static[TUN_KEY_LEN]);

/*
 * Both steps in one call, looking the peer up with `lookup`.  On success
 * *hs_out is the peer's handshake.  SP_ENOTFOUND when lookup returns NULL.
 */
int tun_noise_consume_initiation(const struct tun_noise_static *local,
				 const uint8_t *msg, size_t len, uint64_t now,
				 tun_noise_lookup_fn lookup, void *arg,
				 struct tun_noise_handshake **hs_out) SP_MUST_CHECK;

/*
 * Responder: build the response to the consumed initiation.  MACs left zero
 * (tun_cookie_add_macs()).  State becomes CREATED_RESPONSE; the caller then
 * calls tun_noise_begin_session().
 */
int tun_noise_create_response(struct tun_noise_handshake *hs,
			      struct tun_msg_response *msg, uint32_t local_index) SP_MUST_CHECK;

/*
 * Initiator: consume a response.  The caller found `hs` by the message's
 * receiver index (tun_msg_receiver_index()); it must be in state
 * CREATED_INITIATION with that local index.  MACs are not checked here.
 * State becomes CONSUMED_RESPONSE; the caller then calls begin_session.
 */
int tun_noise_consume_response(struct tun_noise_handshake *hs,
			       const uint8_t *msg, size_t len) SP_MUST_CHECK;

/*
 * Derive the transport keys from a completed handshake (CONSUMED_RESPONSE on
 * the initiator, CREATED_RESPONSE on the responder) into *kp, with birthdate
 * `now`, make its two cipher contexts, and clear the handshake.  *kp is
 * overwritten without being read: it must not hold a live session (wipe it
 * first).  SP_ESTATE leaves *kp untouched; SP_ECRYPTO (OpenSSL failed) zeroes
 * it (invalid, no contexts) and keeps the handshake.  The responder must not send
 * data on its new keypair until it has received a data message on it (the
 * initiator's confirmation); that is the loop code's rule.
 */
int tun_noise_begin_session(struct tun_noise_handshake *hs,
			    struct tun_noise_keypair *kp, uint64_t now) SP_MUST_CHECK;

/*
 * Free a keypair's cipher contexts (OpenSSL cleanses them), wipe its keys and
 * mark it invalid.  Idempotent; fine on a zeroed keypair.
 */
void tun_noise_keypair_wipe(struct tun_noise_keypair *kp);

/*
 * Encrypt one transport packet in place.  The caller puts the plaintext at
 * buf + TUN_MSG_DATA_HEADER_LEN; this pads it with zeros to a multiple of 16
 * (not beyond `mtu` when mtu > 0 and the plaintext fits in it), encrypts it,
 * appends the tag and writes the header (type, remote index, counter).
 * `cap` is the size of buf: it must hold header + padded plaintext + tag
 * (SP_ETRUNC otherwise).  *out_len is the datagram length.  SP_EEXPIRED when
 * the key is too old (REJECT_AFTER_TIME) or used up (REJECT_AFTER_MESSAGES).
 * plain_len 0 makes a keepalive.  SP_ECRYPTO if OpenSSL fails (the counter
 * is then used up, never reused).  No allocation.
 */
int tun_noise_encrypt(struct tun_noise_keypair *kp, uint8_t *buf, size_t cap,
		      size_t plain_len, size_t mtu, uint64_t now,
		      size_t *out_len) SP_MUST_CHECK;

/*
 * Decrypt one received data message in place: on success the (padded)
 * plaintext is at msg + TUN_MSG_DATA_HEADER_LEN, *plain_len bytes (0 for a
 * keepalive), and the counter is recorded in the window; *counter_out (may be
 * NULL) gets the counter.  The caller found kp by the receiver index.
 * SP_EMALFORMED, SP_EEXPIRED, SP_EREPLAY (checked before and after
 * authentication; a forged packet never moves the window), SP_EAUTH (the
 * tag is checked before the window moves and before *plain_len is set).
 * On failure the buffer contents are unspecified (the payload may hold
 * unauthenticated plaintext: do not use it).  No allocation.
 */
int tun_noise_decrypt(struct tun_noise_keypair *kp, uint8_t *msg, size_t len,
		      uint64_t now, size_t *plain_len, uint64_t *counter_out) SP_MUST_CHECK;

/*
 * The key-age rules (WireGuard's, one copy: the loop's timers call these).
 * Ages are ns.  The loop passes the tunnel.* intervals (tests shorten them);
 * tun_noise_protocol_ages holds the protocol's constants of messages.h.
 */
struct tun_noise_ages {
	uint64_t rekey_after_time;	/* REKEY_AFTER_TIME */
	uint64_t reject_after_time;	/* REJECT_AFTER_TIME */
	uint64_t keepalive_timeout;	/* KEEPALIVE_TIMEOUT */
	uint64_t rekey_timeout;		/* REKEY_TIMEOUT */
};
extern const struct tun_noise_ages tun_noise_protocol_ages;

/*
 * Should we start a new handshake after sending on kp?  True for a valid kp
 * when its send counter reached REKEY_AFTER_MESSAGES (either side), or when
 * we are its initiator and its age reached rekey_after_time.  An invalid kp
 * never asks (there is no session to refresh; sending without one starts a
 * handshake by itself).
 */
bool tun_noise_keypair_should_rekey_send(const struct tun_noise_keypair *kp, uint64_t now,
					 const struct tun_noise_ages *ages);
/*
 * Should the initiator rekey on receiving?  True for a valid kp we initiated
 * whose age reached reject_after_time - keepalive_timeout - rekey_timeout
 * (half of reject_after_time when shortened intervals leave no margin).
 */
bool tun_noise_keypair_should_rekey_recv(const struct tun_noise_keypair *kp, uint64_t now,
					 const struct tun_noise_ages *ages);
/* Has kp expired (age >= reject_after_time) or is it invalid? */
bool tun_noise_keypair_expired(const struct tun_noise_keypair *kp, uint64_t now,
			       const struct tun_noise_ages *ages);
/* May kp carry a packet: not expired, and its send counter below REJECT_AFTER_MESSAGES? */
bool tun_noise_keypair_usable(const struct tun_noise_keypair *kp, uint64_t now,
			      const struct tun_noise_ages *ages);

/*
 * TAI64N of a wall-clock time (CLOCK_REALTIME): 8 bytes big-endian
 * 2^62 + 10 + seconds, 4 bytes big-endian nanoseconds rounded down to a
 * multiple of 2^24 ns (as WireGuard does, so the timestamp does not leak
 * precise time and two initiations within one slot count as a replay).
 */
void tun_tai64n(uint8_t out[TUN_TIMESTAMP_LEN], const struct timespec *wall);

#endif
