/*
 * nat_netcheck.c - the control word `netcheck [json]` (loop code): what the
 * network between this node and the Internet allows, found with STUN on
 * the node's own UDP socket, and what it means for direct paths.
 *
 * Probes, all at once: a binding request (padded, so an RFC 5780 server
 * can name its OTHER-ADDRESS within its size rule) to each STUN server of
 * the node, and CHANGE-REQUESTs (IP and port; port only) to the first.  When the
 * first names an other address, a second round asks that address on the
 * first server's port.  Then:
 *   udp        works if any server answered;
 *   mapping    endpoint-independent if every destination saw one public
 *              endpoint, dependent if they differ, unknown with one;
 *   filtering  (RFC 5780 4.4) endpoint-independent if the answer from the
 *              other address and port came through, else address-dependent
 *              if the one from the other port did, else address-and-port-
 *              dependent; unknown without a second address;
 *   port kept  the public port is the node's UDP port;
 *   latency    the round trip to each server.
 * Port mapping (PCP, NAT-PMP, UPnP) is reported once the plane runs it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"
#include "core/reply.h"
#include "core/status.h"
#include "nat/nat_int.h"

#define NC_PROBES_MAX (NAT_STUN_SERVERS_MAX + 3)

struct nc_probe {
	struct nat_netcheck *job;
	union sp_endpoint to;
	unsigned change;		/* NAT_STUN_CHANGE_* asked */
	bool second;			/* sent to the other address in the second round */
	bool done;
	struct nat_stun_result r;
};

struct nat_netcheck {
	struct nat *nat;
	struct sp_ctl_req *req;
	bool json;
	struct nc_probe p[NC_PROBES_MAX];
	size_t n, pending;
	bool second_round;
};

static const char *mapping_of(const struct nat_netcheck *j, size_t *dests)
{
	const union sp_endpoint *first = NULL;
	bool differ = false;
	*dests = 0;
	for (size_t i = 0; i < j->n; i++) {
		const struct nc_probe *p = &j->p[i];
		if (p->change || p->r.status != 0)
			continue;
		(*dests)++;
		if (first == NULL)
			first = &p->r.mapped;
		else if (!sp_endpoint_equal(first, &p->r.mapped))
			differ = true;
	}
	if (*dests < 2)
		return "unknown";
	return differ ? "endpoint-dependent" : "endpoint-independent";
}

static const struct nc_probe *changed_probe(const struct nat_netcheck *j, unsigned change)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->p[i].change == change)
			return &j->p[i];
	return NULL;
}

/* RFC 5780 section 4.4: test II (change IP and port), then test III (port only). */
static const char *filtering_of(const struct nat_netcheck *j)
{
	const struct nc_probe *both = changed_probe(j, NAT_STUN_CHANGE_IP | NAT_STUN_CHANGE_PORT);
	const struct nc_probe *port = changed_probe(j, NAT_STUN_CHANGE_PORT);
	if (both == NULL || both->r.status == SP_EPROTO)
		return "unknown";	/* no server that can change (no second address) */
	if (both->r.status == 0)
		return "endpoint-independent";
	if (port == NULL || port->r.status == SP_EPROTO)
		return "address-dependent or stricter";
	return port->r.status == 0 ? "address-dependent" : "address-and-port-dependent";
}

static const char *meaning(bool udp, bool natted, const char *mapping, const char *filtering)
{
	if (!udp)
		return "No STUN server answered over UDP: UDP may be blocked here, so direct paths "
		       "cannot work and sessions go through the signpost's relay.";
	if (!natted && strcmp(filtering, "endpoint-independent") == 0)
		return "No NAT and no filtering: this node's own address is public, so peers can "
		       "reach it directly.";
	if (strcmp(mapping, "endpoint-dependent") == 0)
		return "The NAT gives a new public port per destination (symmetric): a direct path "
		       "needs the other side's NAT to be endpoint-independent (with many probes "
		       "when it filters by port); otherwise the relay carries the session.";
	if (strcmp(filtering, "endpoint-independent") == 0)
		return "The NAT keeps one public endpoint for every destination and lets anyone "
		       "send to it: peers can reach this node directly, even from behind hard NATs.";
	if (strcmp(mapping, "endpoint-independent") == 0)
		return "The NAT keeps one public endpoint for every destination: hole punching "
		       "gives direct paths with every peer whose own NAT is not symmetric.";
	return "Only one destination answered, so the mapping behaviour is unknown: direct "
	       "paths are tried, and the relay carries the session if they fail.";
}

static void report(struct nat_netcheck *j)
{
	struct sp_buf *out = sp_ctl_req_out(j->req);
	char a[SP_ENDPOINT_STRLEN], b[SP_ENDPOINT_STRLEN], c[SP_ENDPOINT_STRLEN];
	size_t answered = 0, dests;
	const union sp_endpoint *pub = NULL;
	bool natted = false;
	for (size_t i = 0; i < j->n; i++)
		if (!j->p[i].change && j->p[i].r.status == 0) {
			answered++;
			if (pub == NULL)
				pub = &j->p[i].r.mapped;
			/* Seen from outside as we are here: no address translation on this path. */
			natted = natted || !sp_endpoint_equal(&j->p[i].r.mapped, &j->p[i].r.local);
		}
	bool udp = answered > 0;
	const char *mapping = mapping_of(j, &dests);
	const char *filtering = udp ? filtering_of(j) : "unknown";
	uint16_t port = sp_transport_port(j->nat->transport);
	bool kept = pub && sp_endpoint_port(pub) == port;
	const char *what = meaning(udp, natted, mapping, filtering);
	char pmap[160];
	nat_portmap_describe(j->nat->portmap, pmap, sizeof(pmap));
	if (j->json) {
		sp_buf_printf(out, "{\"udp\":%s,\"public_address\":", udp ? "true" : "false");
		if (pub)
			sp_json_string(out, sp_endpoint_format(pub, a));
		else
			sp_buf_printf(out, "null");
		sp_buf_printf(out, ",\"nat\":%s,\"local_port\":%u,\"port_kept\":%s,\"mapping\":",
			      !udp ? "null" : natted ? "true" : "false", port, kept ? "true" : "false");
		sp_json_string(out, mapping);
		sp_buf_printf(out, ",\"filtering\":");
		sp_json_string(out, filtering);
		sp_buf_printf(out, ",\"port_mapping\":");
		sp_json_string(out, pmap);
		sp_buf_printf(out, ",\"servers\":[");
		for (size_t i = 0; i < j->n; i++) {
			const struct nc_probe *p = &j->p[i];
			sp_buf_printf(out, "%s{\"server\":", i ? "," : "");
			sp_json_string(out, sp_endpoint_format(&p->to, a));
			sp_buf_printf(out, ",\"change\":\"%s\",\"answered\":%s",
				      p->change == NAT_STUN_CHANGE_PORT ? "port"
				      : p->change ? "ip-and-port" : "none",
				      p->r.status == 0 ? "true" : "false");
			if (p->r.status == 0) {
				sp_buf_printf(out, ",\"mapped\":");
				sp_json_string(out, sp_endpoint_format(&p->r.mapped, a));
				sp_buf_printf(out, ",\"origin\":");
				sp_json_string(out, sp_endpoint_format(&p->r.origin, a));
				sp_buf_printf(out, ",\"rtt_ms\":%.3f", (double)p->r.rtt_ns / 1e6);
			} else if (p->r.status == SP_EPROTO) {
				sp_buf_printf(out, ",\"error_code\":%u", p->r.error_code);
			}
			sp_buf_printf(out, "}");
		}
		sp_buf_printf(out, "],\"meaning\":");
		sp_json_string(out, what);
		sp_buf_printf(out, "}\n");
		return;
	}
	sp_buf_printf(out, "udp: %s (%zu of %zu STUN destinations answered)\n",
		      udp ? "works" : "no answer", answered, j->n - 2);
	sp_buf_printf(out, "public-address: %s\n", pub ? sp_endpoint_format(pub, a) : "unknown");
	sp_buf_printf(out, "nat: %s\n", !udp ? "unknown" : natted ? "yes" : "none (this host's own address)");
	sp_buf_printf(out, "port-kept: %s (local port %u)\n", !pub ? "unknown" : kept ? "yes" : "no",
		      port);
	sp_buf_printf(out, "mapping: %s (%zu destinations)\n", mapping, dests);
	sp_buf_printf(out, "filtering: %s\n", filtering);
	sp_buf_printf(out, "port-mapping: %s\n", pmap);
	for (size_t i = 0; i < j->n; i++) {
		const struct nc_probe *p = &j->p[i];
		const char *kind = p->change == NAT_STUN_CHANGE_PORT ? " (change port)"
				   : p->change ? " (change IP and port)"
				   : p->second ? " (other address)" : "";
		if (p->r.status == 0)
			sp_buf_printf(out, "server %s%s: mapped %s from %s, rtt %.3f ms\n",
				      sp_endpoint_format(&p->to, a), kind,
				      sp_endpoint_format(&p->r.mapped, b),
				      sp_endpoint_format(&p->r.origin, c),
				      (double)p->r.rtt_ns / 1e6);
		else if (p->r.status == SP_EPROTO)
			sp_buf_printf(out, "server %s%s: error %u\n", sp_endpoint_format(&p->to, a), kind,
				      p->r.error_code);
		else
			sp_buf_printf(out, "server %s%s: no answer\n", sp_endpoint_format(&p->to, a),
				      kind);
	}
	sp_buf_printf(out, "meaning: %s\n", what);
}

static void probe_done(void *arg, const struct nat_stun_result *r);

static int probe(struct nat_netcheck *j, const union sp_endpoint *to, unsigned change,
		 bool second)
{
	if (j->n == NC_PROBES_MAX)
		return SP_ELIMIT;
	struct nc_probe *p = &j->p[j->n];
	memset(p, 0, sizeof(*p));
	p->job = j;
	p->to = *to;
	p->change = change;
	p->second = second;
	int rc = nat_stun_query_change(j->nat, to, change, probe_done, p);
	if (rc)
		return rc;
	j->n++;
	j->pending++;
	return 0;
}

static void job_free(struct nat_netcheck *j)
{
	for (size_t i = 0; i < j->n; i++)
		nat_stun_cancel(j->nat, &j->p[i]);
	free(j);
}

static void probe_done(void *arg, const struct nat_stun_result *r)
{
	struct nc_probe *p = arg;
	struct nat_netcheck *j = p->job;
	p->r = *r;
	p->done = true;
	if (--j->pending > 0)
		return;
	/* Round two: the first server's other address, on the first server's port. */
	const struct nc_probe *first = &j->p[0];
	if (!j->second_round && first->r.status == 0 && first->r.other.sa.sa_family != 0) {
		j->second_round = true;
		union sp_endpoint to = first->r.other;
		sp_endpoint_set_port(&to, sp_endpoint_port(&first->to));
		bool asked = false;
		for (size_t i = 0; i < j->n; i++)
			asked = asked || (!j->p[i].change && sp_endpoint_equal(&j->p[i].to, &to));
		if (!asked && probe(j, &to, 0, true) == 0)
			return;
	}
	report(j);
	sp_ctl_req_on_cancel(j->req, NULL, NULL);
	sp_ctl_req_finish(j->req, 0);
	job_free(j);
}

static void netcheck_cancel(struct sp_ctl_req *req, void *arg)
{
	job_free(arg);
}

static int cmd_netcheck(struct sp_ctl_req *req, void *arg, int argc, char **argv,
			struct sp_buf *out)
{
	struct nat *nat = arg;
	bool json = argc == 2 && strcmp(argv[1], "json") == 0;
	if (argc > 2 || (argc == 2 && !json)) {
		sp_buf_printf(out, "usage: netcheck [json]\n");
		return -EINVAL;
	}
	if (nat->cli.n_servers == 0) {
		sp_buf_printf(out, "no STUN server to ask: set [nat] stun-servers (a device asks "
				   "its [control] signpost)\n");
		return SP_ENOTFOUND;
	}
	struct nat_netcheck *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->nat = nat;
	j->req = req;
	j->json = json;
	int rc = 0;
	for (size_t i = 0; i < nat->cli.n_servers && rc == 0; i++)
		rc = probe(j, &nat->cli.servers[i], 0, false);
	if (rc == 0)
		rc = probe(j, &nat->cli.servers[0], NAT_STUN_CHANGE_IP | NAT_STUN_CHANGE_PORT, false);
	if (rc == 0)
		rc = probe(j, &nat->cli.servers[0], NAT_STUN_CHANGE_PORT, false);
	if (rc) {
		job_free(j);
		sp_buf_printf(out, "error %s\n", sp_strerror(rc));
		return rc;
	}
	sp_ctl_req_on_cancel(req, netcheck_cancel, j);
	return SP_CTL_LATER;
}

int nat__netcheck_start(struct nat *nat)
{
	return sp_ctl_register(nat->node, "netcheck", cmd_netcheck, nat);
}
