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

struct nat_stun_srv;
struct nat_stun_cli;

struct nat {
	struct sp_node *node;
	bool enabled;
	bool is_signpost;
	char off_reason[128];
	struct sp_transport *transport;
	bool own_transport;		/* opened here (a signpost without tunnel) */
	bool provided;			/* SP_SVC_NAT */
	struct nat_stun_srv *srv;	/* NULL: not a STUN server */
	struct nat_stun_cli *cli;	/* queries, the periodic discovery */
	struct {
		union sp_endpoint ep;
		uint64_t seen_ns;	/* last confirmed */
	} cand[NAT_CANDIDATES_MAX];
	size_t n_cand;
};

/* nat_plane.c: record a server-reflexive/mapped candidate (NULL old: new); emits on change. */
void nat__candidate_set(struct nat *nat, const union sp_endpoint *old,
			const union sp_endpoint *ep, uint64_t now);

#endif
