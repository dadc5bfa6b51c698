/*
 * cp_tls.h - control datagrams over TCP + TLS 1.3, for networks where UDP
 * to the signpost is blocked (loop code).
 *
 * Each frame is a 2-byte big-endian length and one control datagram of
 * 1..CP_MSG_MAX bytes: the same sealed boxes as on UDP (cp_msg.h).  The
 * control layer authenticates every frame (crypto_box between node keys,
 * the replay table), so TLS adds no authentication here: it carries the
 * frames through middleboxes that only pass TLS (often only on 443) and
 * hides the framing.  Hence the server makes a fresh self-signed Ed25519
 * certificate at start, in memory, and the client does not verify it: an
 * attacker in the path who terminates TLS sees only sealed boxes it cannot
 * open or forge, exactly as on UDP.
 *
 * OpenSSL runs over memory BIOs on a libuv TCP handle; the TCP side is the
 * shared stream helper (core/stream.h): its framing callback cuts the byte
 * stream into TLS records (bounded, malformed headers refused), and it
 * brings the input bound, output back-pressure, the idle/stalled timer,
 * close counters and two-phase teardown.  The control frames inside are
 * cut here, from the decrypted bytes.
 *
 * A connection: CONNECTING (client: TCP) -> HANDSHAKE -> OPEN -> CLOSED.
 * on_state() reports CP_TLS_CONNECTED once the handshake is done and
 * CP_TLS_CLOSED once with the reason; after CLOSED the conn pointer must no
 * longer be used (its memory goes when libuv's close callbacks have run).
 * A server reports CLOSED only for connections it reported CONNECTED.
 */
#ifndef CP_TLS_H
#define CP_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "control/cp_msg.h"
#include "core/endpoint.h"
#include "core/error.h"
#include "core/interval.h"

/* Connections one server holds at once; more are accepted and closed at once. */
#define CP_TLS_CONNS_MAX 256u
/*
 * Output queued per connection (encrypted bytes the kernel has not taken,
 * plus frames waiting for the handshake); cp_tls_send() refuses with
 * SP_ELIMIT past it.  About 180 frames of 1400 bytes: a few round trips of
 * a relayed WireGuard session, not a place to hide a slow peer.
 */
#define CP_TLS_QUEUE_MAX (256u * 1024u)
/* Largest control datagram in one frame (the frame adds 2 bytes). */
#define CP_TLS_FRAME_MAX CP_MSG_MAX
/* A TLS record: 5-byte header and at most 2^14 + 256 bytes (RFC 8446 5.2). */
#define CP_TLS_RECORD_MAX (5u + 16384u + 256u)

/*
 * "control.tls-handshake" (default 10 s): a connection that has not finished
 * its handshake by then is closed (a peer must not hold a slot by opening
 * TCP and sending nothing).  "control.tls-idle" (default 90 s): nothing
 * received for that long closes the connection; a device sends a REGISTER
 * every 25 s (control.register), so a live one never gets there.  The
 * control plane lists both with its intervals; tests shorten them.
 */
extern struct sp_interval cp_iv_tls_handshake, cp_iv_tls_idle;

struct cp_tls_server;
struct cp_tls_conn;

enum cp_tls_event { CP_TLS_CONNECTED, CP_TLS_CLOSED };

/* Why a connection closed. */
enum cp_tls_why {
	CP_TLS_WHY_NONE,	/* with CP_TLS_CONNECTED */
	CP_TLS_WHY_PEER,	/* the peer closed (close_notify, EOF or reset) */
	CP_TLS_WHY_IDLE,	/* nothing received for control.tls-idle */
	CP_TLS_WHY_STALLED,	/* the peer stopped reading what we queued */
	CP_TLS_WHY_MALFORMED,	/* not TLS records, or an empty frame */
	CP_TLS_WHY_OVERSIZE,	/* a frame longer than CP_TLS_FRAME_MAX */
	CP_TLS_WHY_HANDSHAKE,	/* no handshake within control.tls-handshake */
	CP_TLS_WHY_TLS,		/* the handshake or a record failed */
	CP_TLS_WHY_CONNECT,	/* the TCP connection failed (client) */
	CP_TLS_WHY_ERROR,	/* a socket error or no memory */
	CP_TLS_WHY_LOCAL,	/* cp_tls_close() or the server closing */
	CP_TLS_WHY_N
};

/* Short name of a reason ("idle", "handshake", ...). */
const char *cp_tls_why_name(enum cp_tls_why why);

/* One frame (valid during the call only).  May send on c, or close it. */
typedef void (*cp_tls_frame_fn)(struct cp_tls_conn *c, const uint8_t *frame, size_t len,
				void *arg);
/* After the frames of one TLS record were delivered (the user's batch end: flush there). */
typedef void (*cp_tls_batch_fn)(struct cp_tls_conn *c, void *arg);
/* c is connected (why CP_TLS_WHY_NONE) or closed (why says why); see above. */
typedef void (*cp_tls_state_fn)(struct cp_tls_conn *c, enum cp_tls_event ev,
				enum cp_tls_why why, void *arg);

/* Counters of one server; for status. */
struct cp_tls_stats {
	uint64_t accepted;		/* TCP connections taken */
	uint64_t refused;		/* closed at once: CP_TLS_CONNS_MAX were open */
	uint64_t handshakes;		/* connections that reached OPEN */
	uint64_t frames_in, frames_out;
	uint64_t closed[CP_TLS_WHY_N];
};

/*
 * Listen on bind (port 0: any free port; cp_tls_server_endpoint() says
 * which) with a fresh self-signed certificate.  Frames of every connection
 * go to on_frame(conn, ..., arg).  Returns 0 with *out set, or an error
 * (SP_ECRYPTO: OpenSSL failed; a libuv error: bind/listen) with nothing to
 * close.
 */
int cp_tls_listen(uv_loop_t *loop, const union sp_endpoint *bind, cp_tls_frame_fn on_frame,
		  void *arg, struct cp_tls_server **out) SP_MUST_CHECK;

/* Optional: on_state for the server's connections (CONNECTED, then CLOSED). */
void cp_tls_server_set_state_fn(struct cp_tls_server *srv, cp_tls_state_fn on_state);

/* The bound endpoint (with the port the kernel chose).  0 or an error. */
int cp_tls_server_endpoint(struct cp_tls_server *srv, union sp_endpoint *out) SP_MUST_CHECK;

/* Open connections now (handshaking or open). */
unsigned cp_tls_server_conns(const struct cp_tls_server *srv);

const struct cp_tls_stats *cp_tls_server_stats(const struct cp_tls_server *srv);

/*
 * Stop listening and close every connection (each gets close_notify after
 * the output queued so far; on_state CLOSED/LOCAL runs for each, at once).
 * The memory goes with libuv's close callbacks.  NULL is a no-op.
 */
void cp_tls_server_close(struct cp_tls_server *srv);

/*
 * Connect to `to`: TCP, then the TLS 1.3 handshake.  on_state() runs with
 * CP_TLS_CONNECTED, and always once with CP_TLS_CLOSED (also when the TCP
 * connection fails: CP_TLS_WHY_CONNECT).  Frames sent before CONNECTED wait
 * (within CP_TLS_QUEUE_MAX).  Returns 0 with *out set, or an error with no
 * callback to come.
 */
int cp_tls_connect(uv_loop_t *loop, const union sp_endpoint *to, cp_tls_frame_fn on_frame,
		   cp_tls_state_fn on_state, void *arg, struct cp_tls_conn **out) SP_MUST_CHECK;

/*
 * Queue one frame of len bytes (1..CP_TLS_FRAME_MAX, else -EMSGSIZE) on c.
 * Returns 0, SP_ELIMIT when CP_TLS_QUEUE_MAX bytes would be exceeded (the
 * frame is dropped: a datagram carrier may drop), -EPIPE when c is closing,
 * or another error (c then closes).
 */
int cp_tls_send(struct cp_tls_conn *c, const void *buf, size_t len) SP_MUST_CHECK;

/* Output queued on c, bytes (as counted against CP_TLS_QUEUE_MAX). */
size_t cp_tls_queued(const struct cp_tls_conn *c);

/*
 * Close c: what is queued is still written, then close_notify, then TCP
 * closes.  on_state CLOSED/LOCAL runs at once.  Idempotent.
 */
void cp_tls_close(struct cp_tls_conn *c);

/* The batch-end callback (may be NULL) of a connection, or of every connection of a server. */
void cp_tls_conn_set_batch_fn(struct cp_tls_conn *c, cp_tls_batch_fn on_batch);
void cp_tls_server_set_batch_fn(struct cp_tls_server *srv, cp_tls_batch_fn on_batch);

/* A per-connection pointer of the user's (e.g. the device behind it); NULL at first. */
void cp_tls_conn_set_data(struct cp_tls_conn *c, void *data);
void *cp_tls_conn_get_data(const struct cp_tls_conn *c);

/* The peer's address and port (asked once, then remembered).  0 or an error. */
int cp_tls_conn_peer(struct cp_tls_conn *c, union sp_endpoint *out) SP_MUST_CHECK;

/* For tests only: write len plaintext bytes inside TLS with no framing (a bad peer). */
int cp_tls__send_raw(struct cp_tls_conn *c, const void *buf, size_t len) SP_MUST_CHECK;

#endif
