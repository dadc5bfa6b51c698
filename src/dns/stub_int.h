/*
 * stub_int.h - internals of the device stub resolver (stub*.c).
 *
 * stub_conf.c reads zones, anchors and upstreams from the configuration;
 * stub.c owns the listeners and the clients; stub_query.c runs one client
 * query: forward it, or fetch the zone's keys, ask the zone's signpost and
 * validate (validate.h); stub_xchg.c carries one message to a server and
 * back (UDP, TCP on truncation, timeouts, retries).  resolver.c offers the
 * same queries to other planes (resolver.h): a query with a callback
 * instead of a client, and the friend zones added at run time.
 */
#ifndef DNS_STUB_INT_H
#define DNS_STUB_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/config.h"
#include "core/interval.h"
#include "core/stream.h"
#include "core/timer.h"
#include "dns/resolver.h"
#include "dns/stub.h"
#include "dns/validate.h"

#define DNS_STUB_MAX_PENDING 256	/* client queries in flight; more get SERVFAIL */
#define DNS_STUB_MAX_TCP 64		/* client TCP connections at once */
#define DNS_STUB_MAX_SERVERS 8		/* addresses per zone or upstream list */
#define DNS_STUB_MAX_ZONES 64		/* own zone plus friends */
#define DNS_STUB_TRIES_MIN 3		/* attempts per exchange (servers rotate) */
#define DNS_STUB_KEY_TTL_MAX 3600	/* longest a validated DNSKEY set is trusted, s */
#define DNS_STUB_PAYLOAD 1232		/* EDNS payload we offer (DNS flag day 2020) */
#define DNS_STUB_MSG_MAX 65535
/* Stop reading a client connection with this much unsent (bytes or replies); resume at half. */
#define DNS_STUB_TCP_PAUSE_BYTES (256u * 1024u)
#define DNS_STUB_TCP_PAUSE_WRITES 1024u

extern struct sp_interval dns_stub__query_timeout;
extern struct sp_interval dns_stub__tcp_idle;

struct dns_stub_server {
	struct sockaddr_storage sa;
	socklen_t len;
};

/* A zone answered by its own signpost; shared by the queries that use it. */
struct dns_stub_zone {
	unsigned refs;
	ldns_rdf *name;
	struct dns_validate_anchor *anchor;	/* NULL: relayed without validation, never AD */
	struct dns_stub_server servers[DNS_STUB_MAX_SERVERS];
	size_t n_servers;
	struct dns_validate_keys *keys;		/* the validated DNSKEY set, or NULL */
	uint64_t keys_expire_ms;		/* uv_now() when keys must be fetched again */
};

/* What the configuration asks for; built by dns_stub__conf_read. */
struct dns_stub_conf {
	struct sockaddr_storage listen;
	socklen_t listen_len;
	struct dns_stub_zone *zones[DNS_STUB_MAX_ZONES];
	size_t n_zones;
	struct dns_stub_server upstream[DNS_STUB_MAX_SERVERS];
	size_t n_upstream;
};

struct dns_stub_conn;

/* The service object of SP_SVC_RESOLVER (resolver.h): a view of the stub. */
struct dns_resolver {
	struct dns_stub *stub;
};

struct dns_stub {
	struct sp_node *node;
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_tcp_t tcp;
	struct dns_stub_conf conf;
	bool listening;			/* the listeners are open (role device) */
	ldns_rdf *own_zone;		/* [node] zone: never a run-time friend */
	/* Friend zones added at run time (resolver.h); a reload keeps them. */
	struct dns_stub_zone *friends[DNS_RESOLVER_MAX_FRIENDS];
	size_t n_friends;
	struct dns_resolver resolver;	/* SP_SVC_RESOLVER */
	bool resolver_provided;
	size_t n_lookups;		/* queries of other planes in flight */
	struct dns_stub_query *queries;	/* in flight, doubly linked */
	size_t n_queries;
	struct dns_stub_conn *conns;
	size_t n_conns;
	unsigned live;			/* handles and objects not yet freed */
	struct sp_stream_stats tcp_closes;	/* client connections closed, by reason */
	bool stopping;
	uint8_t rbuf[DNS_STUB_MSG_MAX];	/* UDP receive buffer of the listener */
	struct {
		uint64_t queries, forwarded, secure, insecure, bogus, servfail, refused_busy;
		uint64_t lookups, lookups_ok, lookups_failed, names_answered;
	} n;
};

/* A client TCP connection (the shared stream helper frames, bounds and times it). */
struct dns_stub_conn {
	struct sp_stream st;
	struct dns_stub *stub;
	struct dns_stub_conn *next;
	unsigned pending;		/* queries answering on this connection */
};

/* What a query is waiting for (stub_query.c says more). */
enum dns_stub_step { DNS_STUB_FORWARD, DNS_STUB_KEYS, DNS_STUB_ANSWER };

struct dns_stub_xchg;

/* One client query in flight. */
struct dns_stub_query {
	struct dns_stub *stub;
	struct dns_stub_query *prev, *next;
	uv_timer_t timer;
	/* the client: a listener's, or another plane's lookup (cb set, orphan true) */
	bool lookup;			/* another plane's (counted in stub->n_lookups) */
	dns_resolver_cb cb;		/* NULL once called or cancelled */
	void *cb_arg;
	struct dns_stub_conn *conn;	/* TCP client, or NULL */
	bool orphan;			/* the client is gone */
	struct sockaddr_storage client;
	uint16_t id;
	bool rd, cd, want_do, want_ad, edns;
	size_t udp_max;
	ldns_rr *question;		/* the client's question, its case kept */
	uint8_t *req;			/* the client's message (FORWARD) */
	size_t req_len;
	/* the exchange */
	enum dns_stub_step step;
	struct dns_stub_zone *zone;	/* a reference, or NULL for FORWARD */
	uint8_t *msg;
	size_t msg_len, qend;
	struct dns_stub_xchg *att;	/* the exchange in flight, or NULL */
	unsigned tries;
	size_t server;
	bool keys_fetched;		/* this query already fetched the zone's keys */
};

/* Read the configuration (check_only: do not log as errors twice). 0 or SP_ECONFIG. */
int dns_stub__conf_read(const struct sp_config *cfg, struct dns_stub_conf *out);
void dns_stub__conf_clear(struct dns_stub_conf *c);

void dns_stub__zone_unref(struct dns_stub_zone *z);
/*
 * A new zone (one reference) named zone, asked of servers[0..n), validated
 * with anchor_text (NULL: relayed unvalidated).  The one parser of [friend]
 * sections and run-time friends.  0, SP_EMALFORMED (reason in err), -EINVAL
 * (bad name), -ENOMEM.
 */
int dns_stub__zone_new(const char *zone, const char *anchor_text,
		       const struct dns_stub_server *servers, size_t n, struct dns_stub_zone **out,
		       char *err, size_t errlen) SP_MUST_CHECK;
/* The configured zone that holds name (longest match), or NULL. */
struct dns_stub_zone *dns_stub__zone_find(const struct dns_stub_conf *c, const ldns_rdf *name);
/* The zone of the stub that holds name: configured or run-time friend, longest match. */
struct dns_stub_zone *dns_stub__zone_lookup(const struct dns_stub *stub, const ldns_rdf *name);

/* Handle one client query (UDP: conn NULL, from set; TCP: conn set). */
void dns_stub__query(struct dns_stub *stub, const uint8_t *msg, size_t len,
		     const struct sockaddr *from, struct dns_stub_conn *conn);
/*
 * Start a lookup of another plane (resolver.c checked the zone: it has an
 * anchor).  The first step starts on a later loop turn, so cb never runs
 * inside the caller.  0 or -ENOMEM.
 */
int dns_stub__lookup(struct dns_stub *stub, struct dns_stub_zone *zone, const ldns_rdf *name,
		     ldns_rr_type type, dns_resolver_cb cb, void *arg) SP_MUST_CHECK;
/* Drop the lookups with cb (NULL: any) and arg; their callbacks never run. */
size_t dns_stub__lookups_cancel(struct dns_stub *stub, dns_resolver_cb cb, void *arg);
/* Abandon every query (stop); their memory goes in close callbacks, no callback runs. */
void dns_stub__queries_abort(struct dns_stub *stub);
/* A connection is going away: its queries answer nobody. */
void dns_stub__queries_forget_conn(struct dns_stub *stub, struct dns_stub_conn *conn);

/* Count a new query in the stub and give it its timer (query_finish undoes both). */
void dns_stub__query_link(struct dns_stub *stub, struct dns_stub_query *q);
/* Build what the query sends for its current step, then send it. */
void dns_stub__step_begin(struct dns_stub_query *q);
/* The query is done: unlinked, its exchange and timer closed (memory freed in the close). */
void dns_stub__query_finish(struct dns_stub_query *q);
/*
 * The records of type t that answer name in a validated answer section:
 * at name, or at the end of the CNAME chain from it (which the validator
 * kept inside the zone).  A new list of clones (maybe empty), or NULL.
 */
ldns_rr_list *dns_stub__answer_rrset(const ldns_rr_list *an, const ldns_rdf *name, ldns_rr_type t);
/* resolver.c: a lookup's end (the query finishes, then its callback runs; rrset is taken). */
void dns_stub__lookup_done(struct dns_stub_query *q, int status, ldns_rr_list *rrset);
/* resolver.c: a lookup's validated answer: the RRset, a validated denial, or why not. */
void dns_stub__lookup_answer(struct dns_stub_query *q, const ldns_pkt *from,
			     const struct dns_validate_verdict *v);

/* Send a reply to a client (UDP or TCP); trims to the client's size on UDP. */
void dns_stub__reply(struct dns_stub *stub, const struct sockaddr *to, struct dns_stub_conn *conn,
		     const uint8_t *msg, size_t len, size_t udp_max);
/* An object of the stub was freed: maybe the stub itself can go. */
void dns_stub__release(struct dns_stub *stub);

/* resolver.c: provide SP_SVC_RESOLVER (start), withdraw it and drop the friends (stop). */
int dns_stub__resolver_provide(struct dns_stub *stub) SP_MUST_CHECK;
void dns_stub__resolver_withdraw(struct dns_stub *stub);
void dns_stub__friends_clear(struct dns_stub *stub);

/* Send q->msg to the current server of q's step (stub_xchg.c). */
void dns_stub__xchg_start(struct dns_stub_query *q, bool tcp);
/* Abandon an exchange: its handle closes and frees it.  NULL is fine. */
void dns_stub__xchg_close(struct dns_stub_xchg *x);
/* The exchange got its reply (msg is only valid during the call). */
void dns_stub__query_got(struct dns_stub_query *q, const uint8_t *msg, size_t len);
/* No server answered: SERVFAIL with EDE 22 (No Reachable Authority). */
void dns_stub__query_unreachable(struct dns_stub_query *q, const char *why);

/* Offset just past the question of msg (one question), or 0 if malformed. */
size_t dns_stub__question_end(const uint8_t *msg, size_t len);
/*
 * Parse a message from the network (a client's query, a server's answer)
 * into *p, which the caller frees: the one wire reader's walk first, then
 * ldns.  0, or SP_EMALFORMED with *p NULL.
 */
int dns_stub__parse(const uint8_t *msg, size_t len, ldns_pkt **p) SP_MUST_CHECK;

#endif
