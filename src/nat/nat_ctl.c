/*
 * nat_ctl.c - the NAT plane's control word (loop code):
 *
 *   stun SERVER [change|change-ip|change-port]
 *                          one binding request to SERVER (ADDR:PORT) on the
 *                          node's UDP socket; "change" asks CHANGE-REQUEST
 *                          (IP and port, RFC 5780), the others one of them.  The reply lines:
 *                          mapped, origin, other, rtt-ms, tries; status 0,
 *                          or non-zero with "error ..." on timeout/refusal.
 *
 * It is how tests (tests/nat/test_stun_interop.sh) drive our client against
 * another project's server; netcheck builds on the same queries.
 */
#include <errno.h>
#include <string.h>

#include "core/ctl.h"
#include "core/reply.h"
#include "nat/nat_int.h"

static void stun_done(void *arg, const struct nat_stun_result *r)
{
	struct sp_ctl_req *req = arg;
	struct sp_buf *out = sp_ctl_req_out(req);
	char a[SP_ENDPOINT_STRLEN];
	if (r->status == 0) {
		sp_buf_printf(out, "mapped %s\n", sp_endpoint_format(&r->mapped, a));
		sp_buf_printf(out, "origin %s\n", sp_endpoint_format(&r->origin, a));
		sp_buf_printf(out, "other %s\n",
			      r->other.sa.sa_family ? sp_endpoint_format(&r->other, a) : "-");
		sp_buf_printf(out, "rtt-ms %.3f\n", (double)r->rtt_ns / 1e6);
		sp_buf_printf(out, "tries %u\n", r->tries);
	} else if (r->status == SP_EPROTO) {
		sp_buf_printf(out, "error %u from %s\n", r->error_code,
			      sp_endpoint_format(&r->origin, a));
	} else {
		sp_buf_printf(out, "error no answer from %s after %u tries\n",
			      sp_endpoint_format(&r->server, a), r->tries);
	}
	sp_ctl_req_on_cancel(req, NULL, NULL);
	sp_ctl_req_finish(req, r->status);
}

static void stun_cancel(struct sp_ctl_req *req, void *arg)
{
	nat_stun_cancel(arg, req);
}

static int cmd_stun(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	struct nat *nat = arg;
	union sp_endpoint server;
	unsigned change = 0;
	if (argc == 3 && strcmp(argv[2], "change") == 0)
		change = NAT_STUN_CHANGE_IP | NAT_STUN_CHANGE_PORT;
	else if (argc == 3 && strcmp(argv[2], "change-ip") == 0)
		change = NAT_STUN_CHANGE_IP;
	else if (argc == 3 && strcmp(argv[2], "change-port") == 0)
		change = NAT_STUN_CHANGE_PORT;
	if ((argc != 2 && change == 0) || sp_endpoint_parse(argv[1], false, 0, &server) != 0) {
		sp_buf_printf(out, "usage: stun ADDR:PORT [change|change-ip|change-port]\n");
		return -EINVAL;
	}
	int rc = change ? nat_stun_query_change(nat, &server, change, stun_done, req)
			: nat_stun_query(nat, &server, stun_done, req);
	if (rc) {
		sp_buf_printf(out, "error %s\n", sp_strerror(rc));
		return rc;
	}
	sp_ctl_req_on_cancel(req, stun_cancel, nat);
	return SP_CTL_LATER;
}

int nat__ctl_start(struct nat *nat)
{
	int rc = sp_ctl_register(nat->node, "stun", cmd_stun, nat);
	return rc ? rc : nat__netcheck_start(nat);
}
