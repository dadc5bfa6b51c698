/*
 * cmd_netcheck.c - `signpost netcheck [--json]`: what the network lets this
 * node do, found by the running node with STUN on its own UDP socket (the
 * NAT plane's `netcheck` control word, src/nat/nat_netcheck.c).
 */
#include <string.h>

#include "cli.h"

/* The probes retransmit for 7.5 s at most, in two rounds. */
#define NETCHECK_TIMEOUT_MS 20000

static int run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_help(cmd, stdout);
			return CLI_OK;
		} else {
			return cli_usage(cmd, "unknown argument '%s'", argv[i]);
		}
	}
	char *req[] = { "netcheck", "json", NULL };
	return cli_ctl_forward(cmd, ctx, json ? 2 : 1, req, NETCHECK_TIMEOUT_MS);
}

const struct cli_cmd cli_cmd_netcheck = {
	.name = "netcheck",
	.run = run,
	.summary = "what the network allows: UDP, public address, NAT mapping and filtering",
	.help = "Usage: signpost [-c FILE] netcheck [--json]\n"
		"\n"
		"The running signpostd asks its STUN servers ([nat] stun-servers, else a\n"
		"device's signpost) from the node's UDP port and prints: whether UDP works,\n"
		"the public address, whether the NAT keeps the local port, its mapping\n"
		"(endpoint-independent or dependent: the public endpoint seen by two\n"
		"destinations) and filtering (an answer from the server's other address and\n"
		"port came through, RFC 5780), the round trip to each server, and a sentence\n"
		"on what that means for direct paths.\n"
		"\n"
		"  -j, --json   print one JSON object\n",
};
