/*
 * cp_int.h - the control plane's internals, shared by its loop files
 * (cp_plane.c: socket, keys, replay, dispatch; cp_signpost.c: the signpost
 * role; cp_device.c: the device role; cp_ctl.c: the signpost's commands).
 *
 * Every control datagram is a box (cp_msg.h) sealed to the receiver's node
 * key by the sender's: the plane keeps one precomputed box key per remote
 * node it talks to (a bounded cache, wiped on eviction), refuses replays
 * (cp_replay.h) and rate-limits senders it has no box key for yet, since
 * only those cost a Diffie-Hellman.
 */
#ifndef CP_INT_H
#define CP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "control/cp_msg.h"
#include "control/cp_replay.h"
#include "core/endpoint.h"
#include "core/node.h"
#include "core/ratelimit.h"
#include "core/transport.h"

struct cp_signpost;
struct cp_device;
struct cp_tlsr;
struct cp_tls_conn;

#define CP_KEYS_MAX 256		/* remote nodes with a cached box key */
#define CP_REPLAY_SENDERS 4096	/* senders remembered by the replay table */

/* One remote node's precomputed box key. */
struct cp_key {
	uint8_t ed[32];
	uint8_t box[32];	/* secret */
	uint8_t rdata_tx[32];	/* secret: RELAY_DATA from me to this node (cp_rdata_key) */
	uint8_t rdata_rx[32];	/* secret: RELAY_DATA from this node to me */
	uint64_t used_ns;	/* 0: free slot */
};

struct cp_stats {
	uint64_t rx, rx_bad, rx_auth, rx_replay, rx_limited, rx_unexpected;
	uint64_t tx, tx_errors;
	uint64_t relayed, relayed_bytes, relay_refused;
};

/*
 * Relayed datagrams sealed during a receive batch (the signpost's forwards)
 * or a tunnel send batch (a device's datagrams to its relay), sent together
 * by cp__flush(): one sendmmsg, and a GSO train where they share a length.
 */
#define CP_TXQ_MAX SP_TRANSPORT_BATCH
struct cp_txq {
	uint8_t buf[CP_TXQ_MAX][CP_MSG_MAX];
	struct sp_tx tx[CP_TXQ_MAX];
	union sp_endpoint dst[CP_TXQ_MAX];
	unsigned n;
};

struct cp_plane {
	struct sp_node *node;
	bool enabled, is_signpost;
	char off_reason[96];		/* status: why control is off */
	struct sp_transport *transport;
	bool own_transport;		/* made here: no tunnel plane provides one */
	char zone[CP_NAME_MAX + 1];	/* canonical, final dot */
	char name[64];			/* this node's label */
	uint8_t ed[32];			/* our identity */
	struct cp_key *keys;		/* CP_KEYS_MAX, sodium_malloc */
	struct cp_replay replay;
	bool replay_ready;
	struct sp_rl newcomers;		/* senders without a cached box key, per prefix */
	uint64_t counter;		/* last counter sent */
	struct cp_stats st;
	struct cp_txq *txq;		/* sent by cp__flush() */
	bool rx_relayed;		/* relayed WireGuard datagrams wait in the tunnel's coalescing */
	struct cp_tlsr *tls;		/* cp_tlsroute.c: TLS listener (signpost), routes */
	uint16_t tls_port;		/* [control] tls-port; 0: no TLS */
	struct cp_signpost *sp;		/* role signpost */
	struct cp_device *dev;		/* role device */
};

/* The reply limit for a sender we do not know: no larger than what it sent. */
#define CP_NO_LIMIT SIZE_MAX

/*
 * Seal m to the node `to` (Ed25519) and send it to dst, padded to min_len
 * and refused (SP_ELIMIT) when larger than max_len.  m->counter is set here.
 */
int cp__send(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
	     struct cp_msg *m, size_t min_len, size_t max_len) SP_MUST_CHECK;
/* Seal m for `to` with the next counter into buf; *n gets its length. */
int cp__seal(struct cp_plane *cp, const uint8_t to[32], struct cp_msg *m, size_t min_len,
	     uint8_t buf[CP_MSG_MAX], size_t *n) SP_MUST_CHECK;
/*
 * As cp__send (no padding, no limit), but the datagram waits in the queue
 * until cp__flush(); a node reached over TLS is sent to at once.
 */
int cp__send_queued(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
		    struct cp_msg *m) SP_MUST_CHECK;
/* A RELAY_DATA frame (cp_msg.h) to the signpost `to` at dst for dest, queued likewise. */
int cp__send_rdata(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
		   const uint8_t dest[32], const uint8_t *payload, size_t len) SP_MUST_CHECK;
/* A RELAYED frame (cp_msg.h) for `to` at dst, queued as cp__send_queued's. */
int cp__send_fwd(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
		 const uint8_t origin[32], const uint8_t *payload, size_t len) SP_MUST_CHECK;
/*
 * Send what cp__send_queued queued, and let the relayed WireGuard datagrams
 * received since the last flush into the TUN device.  Run at the end of each
 * receive batch, after each TLS frame and at the end of a tunnel send batch.
 */
void cp__flush(struct cp_plane *cp);
/* The X25519 form of an Ed25519 public key (SP_ECRYPTO for a bad one). */
int cp__ed_to_x(const uint8_t ed[32], uint8_t x[32]) SP_MUST_CHECK;
/* FQDN of label in zone (or of the zone itself for an empty label). */
void cp__fqdn(char *out, size_t cap, const char *label, const char *zone);
/* Split an FQDN into its first label and the rest (the zone); false if not two parts. */
bool cp__split(const char *fqdn, char label[64], char zone[256]);
/* Is ed one of the host KEY records (512 3 15) of a validated RRset?  (dns/hostkey.h) */
bool cp__rrset_has_key(const ldns_rr_list *rrset, const uint8_t ed[32]);
/* Wall clock, microseconds. */
uint64_t cp__now_us(void);

/* What a datagram came with, for the role handlers. */
struct cp_in {
	const uint8_t *sender;		/* Ed25519 */
	const union sp_endpoint *src;	/* where it came from (the relay, if relayed) */
	size_t len;			/* bytes on the wire: the reply limit for strangers */
	uint64_t now;			/* ns (uv_hrtime) */
	const uint8_t *relay;		/* NULL, or the signpost that relayed it (Ed25519) */
};

/*
 * Open a control datagram: header, box, replay table.  0 with sender and *m
 * filled, else the error (counted in the plane's stats).
 */
int cp__open(struct cp_plane *cp, const uint8_t *buf, size_t len, uint64_t now,
	     uint8_t sender[32], struct cp_msg *m) SP_MUST_CHECK;
/*
 * Seal m to `to` and send it inside a RELAY through the signpost relay at
 * relay_ep: a control message along a relayed path (ping through the relay).
 */
int cp__send_via(struct cp_plane *cp, const uint8_t to[32], const uint8_t relay[32],
		 const union sp_endpoint *relay_ep, struct cp_msg *m, size_t min_len) SP_MUST_CHECK;
/*
 * One control datagram from src, however it came (UDP; or a TLS frame on
 * conn, which then routes to its sender): the newcomer limit, open,
 * dispatch.  0 when it opened.
 */
int cp__input(struct cp_plane *cp, const uint8_t *buf, size_t len, const union sp_endpoint *src,
	      uint64_t now, struct cp_tls_conn *conn);

/* cp_tlsroute.c: control messages over TLS where UDP is blocked */
int cp__tls_start(struct cp_plane *cp) SP_MUST_CHECK;
void cp__tls_stop(struct cp_plane *cp);
void cp__tls_status(struct cp_plane *cp, struct sp_status *st);
/* The connection that reaches node ed, or NULL (then UDP). */
struct cp_tls_conn *cp__tls_route(struct cp_plane *cp, const uint8_t ed[32]);
int cp__tls_send(struct cp_plane *cp, struct cp_tls_conn *c, const uint8_t *buf, size_t len)
	SP_MUST_CHECK;
/* Node ed is reached through conn (its sealed frame came on it). */
void cp__tls_learn(struct cp_plane *cp, const uint8_t ed[32], struct cp_tls_conn *conn);
/* Reach node ed (a signpost at udp_ep) over TLS on tls-port from now on. */
int cp__tls_connect(struct cp_plane *cp, const uint8_t ed[32], const union sp_endpoint *udp_ep)
	SP_MUST_CHECK;

/* Answer a PING with a PONG, the way it came. */
void cp__answer_ping(struct cp_plane *cp, const struct cp_in *in, const struct cp_msg *m);

/* cp_signpost.c */
int cp__signpost_start(struct cp_plane *cp) SP_MUST_CHECK;
void cp__signpost_stop(struct cp_plane *cp);
void cp__signpost_input(struct cp_plane *cp, const struct cp_in *in, struct cp_msg *m);
/* A tunnel datagram to relay: a RELAY's or a RELAY_DATA's payload for dest. */
void cp__signpost_relay(struct cp_plane *cp, const struct cp_in *in, const uint8_t dest[32],
			const uint8_t *payload, size_t len);
void cp__signpost_status(struct cp_plane *cp, struct sp_status *st);
/* cp_ctl.c: the signpost's control-socket words */
int cp__ctl_register(struct cp_plane *cp) SP_MUST_CHECK;

/* cp_device.c */
int cp__device_start(struct cp_plane *cp) SP_MUST_CHECK;
void cp__device_stop(struct cp_plane *cp);
void cp__device_input(struct cp_plane *cp, const struct cp_in *in, struct cp_msg *m);
/* A RELAYED frame from src (on conn if it came over TLS): to the want of its origin. */
void cp__device_forwarded(struct cp_device *d, const struct cp_fwd *f, const union sp_endpoint *src,
			  uint64_t now, struct cp_tls_conn *conn);
void cp__device_status(struct cp_plane *cp, struct sp_status *st);
/* cp_path.c: a PING came straight from a peer: where it came from is a candidate. */
void cp__path_pinged(struct cp_device *d, const struct cp_in *in);

#endif
