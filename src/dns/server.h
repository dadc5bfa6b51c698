/*
 * server.h - UDP and TCP listeners of the authoritative server (loop code).
 *
 * The server owns the sockets and nothing else: each query is handed to a
 * handler (the plane), which writes the answer.  UDP reads and writes in
 * batches (recvmmsg/sendmmsg on a non-blocking socket watched by uv_poll) and
 * applies response rate limiting per source prefix (rrl.h) to UDP answers.
 * TCP uses the 2-byte length framing of RFC 1035 4.2.2 with pipelining
 * (RFC 7766): several queries in flight per connection, answers in order.
 * Connections are bounded in number and closed after an idle timeout (also
 * when unsent answers did not shrink over it); when full, a host below its
 * share (a quarter of the slots) takes a slot from a host above it.
 */
#ifndef DNS_SERVER_H
#define DNS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/stream.h"

/* Largest UDP datagram read or written; [dns] udp-payload is at most this. */
#define DNS_UDP_MAX 4096u
/* Largest DNS message (TCP frames carry a 16-bit length). */
#define DNS_MSG_MAX 65535u
/* Datagrams per recvmmsg/sendmmsg call. */
#define DNS_UDP_BATCH 32u

struct dns_server;
struct dns_tcp_conn;

/* One query as the handler sees it. */
struct dns_server_req {
	const uint8_t *q;
	size_t qlen;
	const struct sockaddr *peer;	/* source address and port */
	bool tcp;
	struct dns_tcp_conn *conn;	/* TCP only: for dns_server_tcp_emit() */
};

/*
 * Answer req into out (cap bytes: DNS_UDP_MAX for UDP, DNS_MSG_MAX for TCP)
 * and return the answer's length; 0 sends nothing.  Runs on the loop thread.
 */
typedef size_t (*dns_server_fn)(void *arg, const struct dns_server_req *req, uint8_t *out,
				size_t cap);

struct dns_server_conf {
	const union sp_endpoint *addrs;	/* parsed once by the configuration; their port is ignored */
	size_t n_addrs;
	uint16_t port;
	unsigned tcp_clients;		/* most TCP connections at once */
	uint64_t tcp_idle_ms;		/* close a connection idle this long */
	uint32_t rrl_rate;		/* UDP answers per second per prefix; 0: off */
	uint32_t rrl_slip;		/* every Nth limited answer is sent truncated; 0: drop all */
};

/* Counters for status. */
struct dns_server_stats {
	uint64_t udp_queries, tcp_queries, tcp_accepted, tcp_refused, tcp_idle_closed;
	uint64_t rrl_dropped, rrl_slipped;
	uint64_t tcp_evicted;		/* closed to give another host its share of slots */
	unsigned tcp_open;
	struct sp_stream_stats tcp_closes;	/* TCP connections closed, by reason */
};

/*
 * Bind every address on UDP and TCP and start serving.  On failure the
 * sockets opened so far are closed (run the loop to finish) and *out is not
 * set.  on_closed(arg) runs once after dns_server_stop() has closed the last
 * handle and freed the server.
 */
int dns_server_start(uv_loop_t *loop, const struct dns_server_conf *conf, dns_server_fn fn,
		     void (*on_closed)(void *arg), void *arg, struct dns_server **out) SP_MUST_CHECK;

/* Apply new limits (connections, idle timeout, RRL); listen addresses are kept. */
void dns_server_set_limits(struct dns_server *s, const struct dns_server_conf *conf);

/* Close every socket and connection; frees in close callbacks.  NULL is fine. */
void dns_server_stop(struct dns_server *s);

/* The port the server listens on (useful after binding port 0 in tests); 0 if none. */
uint16_t dns_server_port(const struct dns_server *s);

/* Current counters. */
void dns_server_stats(const struct dns_server *s, struct dns_server_stats *st);

/*
 * Queue one more message on a TCP connection during the handler's call (for
 * AXFR/IXFR, which answer with many messages: emit them all and return 0).
 * Messages go out in call order, before the handler's returned answer.  The
 * message is copied.  Returns 0, SP_ELIMIT if the connection is closing or too far
 * behind, or -ENOMEM.
 */
int dns_server_tcp_emit(struct dns_tcp_conn *c, const uint8_t *msg, size_t len) SP_MUST_CHECK;

#endif
