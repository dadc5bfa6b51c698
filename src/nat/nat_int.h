/*
 * nat_int.h - the NAT plane's internals, shared by its loop files
 * (nat_plane.c, nat_stun.c).  Not for other planes: they use nat.h.
 */
#ifndef NAT_INT_H
#define NAT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/node.h"
#include "core/ratelimit.h"
#include "core/service.h"
#include "core/transport.h"
#include "nat/nat.h"
#include "nat/nat_portmap.h"

/* Most STUN queries in flight at once (discovery, netcheck and control words together). */
#define NAT_STUN_QUERIES_MAX 16
/* Most STUN servers a node asks for its own address ([nat] stun-servers). */
#define NAT_STUN_SERVERS_MAX 4

struct nat_query {
	bool used;
	uint8_t txid[16];
	union sp_endpoint server;
	uint32_t change;
	size_t pad;			/* request padded to this size (0: none) */
	nat_stun_fn cb;
	void *arg;
	uint64_t sent_ns;		/* the last try */
	uint64_t due_ns;		/* next retransmission or the end */
	uint64_t rto_ns;
	unsigned tries;
};

/* The STUN server: rate limit and the RFC 5780 second socket. */
struct nat_stun_srv {
	bool on;
	struct sp_rl rl;
	bool rl_ready;
	bool other_on;			/* [nat] stun-other-address: the socket below is open */
	uv_udp_t other_sock;		/* bound to the other address, port + 1 */
	union sp_endpoint other;	/* its address and port, OTHER-ADDRESS */
	bool port_on;			/* port_sock bound: CHANGE-REQUEST "port only" */
	bool port_closing;		/* port_sock initialised but not bound: close only */
	uv_udp_t port_sock;		/* the wildcard of other's family, other's port (send only) */
	uint64_t requests, answered, changed, errors_420, limited, dropped, tx_errors;
};

/* The STUN client: queries in flight, and the periodic discovery of a device. */
struct nat_stun_cli {
	struct nat_query q[NAT_STUN_QUERIES_MAX];
	uv_timer_t timer;		/* the earliest due query */
	uv_timer_t refresh;		/* discovery every nat.stun-refresh */
	union sp_endpoint servers[NAT_STUN_SERVERS_MAX];
	union sp_endpoint mapped[NAT_STUN_SERVERS_MAX];	/* what each told last (family 0: none) */
	size_t n_servers;
	union sp_endpoint other_mapped;	/* what the first server's OTHER-ADDRESS IP told */
	enum nat_mapping mapping;	/* nat_mapping() */
	uint64_t queries, answers, timeouts, errors, stray;
};

struct nat {
	struct sp_node *node;
	bool enabled;
	bool is_signpost;
	char off_reason[128];
	struct sp_transport *transport;
	bool own_transport;		/* opened here (a signpost without tunnel) */
	bool provided;			/* SP_SVC_NAT */
	bool registered;		/* SP_KIND_STUN handler on the transport */
	struct nat_stun_srv srv;
	struct nat_stun_cli cli;
	bool timers_ready;
	bool stopped;
	unsigned closing;		/* handles whose close callback is due; freed at 0 */
	struct {
		union sp_endpoint ep;
		uint64_t seen_ns;	/* last confirmed */
	} cand[NAT_CANDIDATES_MAX];
	size_t n_cand;
	union sp_endpoint mapped;	/* the gateway's port mapping (family 0: none) */
	char mapped_by[16];		/* "pcp", "nat-pmp", "upnp" */
	struct nat_portmap *portmap;	/* nat_portmap.h; NULL: [nat] port-mapping off */
};

/* nat_stun.c: the STUN server and client on the transport (start after the transport is set). */
int nat__stun_start(struct nat *nat) SP_MUST_CHECK;
void nat__stun_stop(struct nat *nat);
void nat__stun_status(struct nat *nat, struct sp_status *st);
/* nat_ctl.c, nat_netcheck.c: the control words `stun` and `netcheck`. */
int nat__ctl_start(struct nat *nat) SP_MUST_CHECK;
int nat__netcheck_start(struct nat *nat) SP_MUST_CHECK;
/* nat_plane.c: a handle of the plane closed; the last one frees it. */
void nat__handle_closed(uv_handle_t *h);

/*
 * nat_plane.c: the port-mapping module's on_mapped callback (ISSUE9 contract:
 * nat_portmap_start(..., nat__on_mapped, nat)): a mapping made (first
 * candidate) or lost (mapped NULL); emits SP_EV_CANDIDATES_CHANGED.
 */
void nat__on_mapped(void *arg, const union sp_endpoint *mapped, const char *protocol);

/* nat_plane.c: record a server-reflexive/mapped candidate (NULL old: new); emits on change. */
void nat__candidate_set(struct nat *nat, const union sp_endpoint *old,
			const union sp_endpoint *ep, uint64_t now);

#endif
