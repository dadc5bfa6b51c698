/*
 * nat.h - the NAT plane (src/nat/, loop code): this node's public addresses
 * and the STUN server and client on the node's one UDP socket.
 * docs/ARCHITECTURE.md, "NAT plane".
 *
 * The plane is the node's SP_SVC_NAT service (nat_get).  It knows the
 * candidates other nodes may reach this one at (server-reflexive addresses
 * learnt by STUN, endpoints mapped on the gateway by PCP/NAT-PMP/UPnP) and
 * emits SP_EV_CANDIDATES_CHANGED when that list changes.  Started after the
 * tunnel and before control: { dns_auth, dns_stub, tun, nat, cp }.
 */
#ifndef NAT_NAT_H
#define NAT_NAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/endpoint.h"
#include "core/error.h"

struct sp_node;
struct sp_plane;
struct nat;

extern const struct sp_plane nat_plane;

/* Most candidates the plane keeps (server-reflexive per server, mapped per protocol). */
#define NAT_CANDIDATES_MAX 8

/* The node's NAT plane (SP_SVC_NAT), or NULL when it is off. */
struct nat *nat_get(const struct sp_node *node);

/*
 * Copy the candidates known now, best first (a mapped endpoint, then
 * server-reflexive ones, most recently confirmed first) into out[0..max).
 * Returns how many were copied.
 */
size_t nat_candidates(struct nat *nat, union sp_endpoint *out, size_t max);

/*
 * How this node's NAT maps: one public port for every destination
 * (endpoint-independent: hole punching works), or a port of its own per
 * destination (dependent: a peer reaches it only by the many-probes
 * technique, cp_spray.c).  Learnt by discovery when the STUN server names an
 * OTHER-ADDRESS (RFC 5780 test II: the same port asked from its other IP),
 * or from two servers; unknown until then.
 */
enum nat_mapping {
	NAT_MAPPING_UNKNOWN = 0,
	NAT_MAPPING_INDEPENDENT,
	NAT_MAPPING_DEPENDENT,
};
enum nat_mapping nat_mapping(const struct nat *nat);
const char *nat_mapping_name(enum nat_mapping m);

/* What one STUN query learnt. */
struct nat_stun_result {
	int status;			/* 0; -ETIMEDOUT (no answer); SP_EPROTO (error response) */
	uint16_t error_code;		/* the server's ERROR-CODE (300..699) when SP_EPROTO */
	union sp_endpoint server;	/* asked */
	union sp_endpoint mapped;	/* XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS): my address seen */
	union sp_endpoint origin;	/* where the answer came from (RESPONSE-ORIGIN if given) */
	union sp_endpoint other;	/* OTHER-ADDRESS (RFC 5780), family 0 if none */
	union sp_endpoint local;	/* the local address and port it arrived on (family 0: unknown) */
	uint64_t rtt_ns;		/* from the last try sent to the answer */
	unsigned tries;			/* requests sent */
};

typedef void (*nat_stun_fn)(void *arg, const struct nat_stun_result *r);

/* CHANGE-REQUEST flags (RFC 5780): answer from the other address and/or port. */
#define NAT_STUN_CHANGE_IP 0x4u
#define NAT_STUN_CHANGE_PORT 0x2u

/*
 * Ask server for this node's public endpoint: a binding request on the
 * node's UDP socket, retransmitted on the RFC 8489 schedule (bounded, see
 * nat_stun.c).  cb runs once, on a later loop turn, with the result or
 * -ETIMEDOUT.  0, SP_ELIMIT (too many queries pending), -ENOTCONN (no
 * transport).
 */
int nat_stun_query(struct nat *nat, const union sp_endpoint *server, nat_stun_fn cb, void *arg)
	SP_MUST_CHECK;
/* The same with CHANGE-REQUEST flags (NAT_STUN_CHANGE_*), for behaviour discovery. */
int nat_stun_query_change(struct nat *nat, const union sp_endpoint *server, unsigned change,
			  nat_stun_fn cb, void *arg) SP_MUST_CHECK;
/* Forget every pending query of arg: their callbacks never run. */
void nat_stun_cancel(struct nat *nat, void *arg);

#endif
