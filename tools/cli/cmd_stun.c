/*
 * cmd_stun.c - `signpost stun ADDR:PORT [change|change-ip|change-port]`: the running node asks a
 * STUN server for its public address on its own UDP socket (the NAT
 * plane's `stun` control word, src/nat/nat_ctl.c) and prints what it saw.
 */
#include "cli.h"

const struct cli_cmd cli_cmd_stun = {
	.name = "stun",
	.run = cli_ctl_run,
	.summary = "ask a STUN server for this node's public address (on the node's UDP port)",
	.help = "Usage: signpost [-c FILE] stun ADDR:PORT [change|change-ip|change-port]\n"
		"\n"
		"The running signpostd sends a STUN binding request (RFC 8489) to ADDR:PORT\n"
		"from the node's UDP socket, retransmitted up to 4 times in 7.5 s, and prints\n"
		"the answer: mapped (this node's address as the server saw it), origin (where\n"
		"the answer came from), other (the server's RFC 5780 OTHER-ADDRESS, '-' if\n"
		"none), rtt-ms and tries.  'change' asks the server to answer from its other\n"
		"address and port (CHANGE-REQUEST), 'change-ip' and 'change-port' from one of\n"
		"them.  Exits non-zero without an answer.\n",
};
