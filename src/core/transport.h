/*
 * transport.h - the node's UDP socket, shared by the planes (loop code).
 *
 * The role of wireguard-go's conn.Bind and Tailscale's magicsock: one object
 * owns the node's UDP socket (a dual-stack IPv6 socket, or IPv4 where IPv6
 * is missing).  No plane touches the socket.
 *
 * RECEIVING.  Datagrams are read in batches (recvmmsg, UDP GRO: one read may
 * hold many datagrams of one size, which the transport splits).  Each is
 * sorted by its first bytes (classify.h) and handed to the one handler
 * registered for its kind; a kind without a handler, unknown datagrams and
 * WireGuard types of the wrong length are counted and dropped.  After each
 * batch, every handler that got datagrams in it has its batch_end called (the
 * tunnel flushes its TUN coalescing there).  Handlers run on the loop thread,
 * may write into the datagram's buffer (decrypt in place) and may send, but
 * must not keep the pointers past their return.
 *
 * STICKY SOURCE.  Every datagram comes with the local address it arrived on
 * and the interface index (IP_PKTINFO / IPV6_RECVPKTINFO).  A sender passes a
 * struct sp_local back as the source hint and the datagram leaves from that
 * address, so a host with several addresses answers from the one it was
 * asked on (as WireGuard keeps a source in its endpoint).  If the kernel
 * refuses the source (the address went away), the transport sends without it
 * and clears the hint, so the sender forgets it until the next datagram from
 * the peer teaches a new one.
 *
 * SENDING.  sp_transport_send() sends one datagram; sp_transport_send_batch()
 * sends many with sendmmsg, and consecutive datagrams to one destination
 * from one source with one length (the last may be shorter) go as one UDP
 * GSO train (UDP_SEGMENT).  No allocation per datagram on either side.
 *
 * PORT.  sp_transport_set_port() rebinds (UAPI listen_port) and emits
 * SP_EV_PORT_CHANGED on the node.
 *
 * The transport is the node's SP_SVC_TRANSPORT service while its provider
 * runs (the tunnel plane today: its listen-port is the node's UDP port).
 */
#ifndef SP_TRANSPORT_H
#define SP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "classify.h"
#include "endpoint.h"
#include "error.h"

struct sp_node;
struct sp_status;
struct sp_transport;

/* Datagrams read per recvmmsg, and sent per sendmmsg. */
#define SP_TRANSPORT_BATCH 64
/* Receive buffer per datagram slot: a UDP GRO read hands over up to 64 KiB. */
#define SP_TRANSPORT_RX_BUF 65536

/* A local address of this host (port 0) and the interface it belongs to. */
struct sp_local {
	union sp_endpoint addr;		/* sa_family 0: none, let the kernel choose */
	unsigned ifindex;
};

/* One received datagram, valid during the handler's call. */
struct sp_dgram {
	uint8_t *buf;			/* writable */
	size_t len;
	const union sp_endpoint *src;	/* the sender (a v4-mapped source is given as IPv4) */
	const struct sp_local *local;	/* where it arrived (addr family 0 if unknown) */
	uint64_t now;			/* uv_hrtime() when the batch was read, ns */
};

/* A handler for one kind; batch_end (may be NULL) runs after each batch it got datagrams in. */
typedef void (*sp_transport_recv_fn)(void *arg, struct sp_dgram *d);
typedef void (*sp_transport_batch_end_fn)(void *arg);

/* One datagram of a batch to send. */
struct sp_tx {
	const uint8_t *buf;
	size_t len;
	const union sp_endpoint *dst;
	struct sp_local *src;		/* source hint, may be NULL; cleared if refused */
};

/* Counters for `signpost status`. */
struct sp_transport_stats {
	struct sp_classify_stats kinds;
	uint64_t rx_truncated;		/* datagrams larger than the buffer, dropped */
	uint64_t tx_errors;		/* datagrams the kernel refused */
	uint64_t src_forgotten;		/* source hints the kernel refused (cleared) */
	uint64_t port_changes;		/* rebinds to another port (SP_EV_PORT_CHANGED emitted) */
};

/*
 * Open and bind the socket on port (0: the kernel picks) and start reading.
 * node (may be NULL in tests) receives the transport's events.  Returns 0
 * or a negative errno; *out is NULL on error.
 */
int sp_transport_new(uv_loop_t *loop, struct sp_node *node, uint16_t port,
		     struct sp_transport **out) SP_MUST_CHECK;
/* Stop reading, close the socket; the memory goes when the poll handle closed.  NULL is ok. */
void sp_transport_close(struct sp_transport *t);

/*
 * Set the handler of a kind (SP_KIND_WIREGUARD, _STUN or _CONTROL).
 * -EEXIST if the kind has a handler already, -EINVAL for SP_KIND_UNKNOWN.
 */
int sp_transport_register(struct sp_transport *t, enum sp_kind kind, sp_transport_recv_fn fn,
			  sp_transport_batch_end_fn batch_end, void *arg) SP_MUST_CHECK;
/* Remove the handler of kind if it is arg's (its datagrams are then dropped and counted). */
void sp_transport_unregister(struct sp_transport *t, enum sp_kind kind, void *arg);

/* Send one datagram to dst, from *src if given.  0 or a negative errno. */
int sp_transport_send(struct sp_transport *t, const union sp_endpoint *dst, struct sp_local *src,
		      const uint8_t *buf, size_t len) SP_MUST_CHECK;
/*
 * Send n datagrams in order.  Returns how many were sent: they are always
 * the first ones; the kernel refused the next (a full socket buffer, no
 * route) and the rest were not tried, as WireGuard drops them.
 */
unsigned sp_transport_send_batch(struct sp_transport *t, struct sp_tx *tx, unsigned n);

/* Rebind to port (0: pick); emits SP_EV_PORT_CHANGED if the port changed. */
int sp_transport_set_port(struct sp_transport *t, uint16_t port) SP_MUST_CHECK;
/* The bound port. */
uint16_t sp_transport_port(const struct sp_transport *t);
const struct sp_transport_stats *sp_transport_stats(const struct sp_transport *t);
/* Add the transport's lines to a status section ("udp-port", "rx-wireguard", ...). */
void sp_transport_status(const struct sp_transport *t, struct sp_status *st);

/* The node's transport (SP_SVC_TRANSPORT), or NULL when no plane provides it. */
struct sp_transport *sp_transport_get(const struct sp_node *node);

#endif
