/*
 * cmd_revoke.c - `signpost revoke NAME`: the running signpost forgets device
 * NAME (control word `revoke NAME`): it removes its records, refuses its
 * messages and tells the user's other devices to close their sessions with it.
 */
#include "cli.h"

/* Removing records signs the zone again: the allowance of `zone`. */
#define REVOKE_TIMEOUT_MS 30000

static const struct cli_ctl_spec revoke_spec = {
	.words = { "revoke" },
	.operand = "the device's NAME",
	.device = true,
	.timeout_ms = REVOKE_TIMEOUT_MS,
};

static int revoke_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_ctl_command(cmd, argc, argv, ctx, &revoke_spec, NULL);
}

const struct cli_cmd cli_cmd_revoke = {
	.name = "revoke",
	.run = revoke_run,
	.summary = "revoke device NAME: its records go, its sessions close",
	.help = "Usage: signpost [-c FILE] revoke NAME\n"
		"\n"
		"Tells the running signpost (through the control-socket of its configuration\n"
		"FILE) to revoke device NAME of its zone: its AAAA and KEY records are\n"
		"removed, its control messages refused from now on, and the user's other\n"
		"devices close every session with it within seconds.  To enroll it again,\n"
		"issue a new token with `signpost enroll NAME`.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  the signpost's configuration (as before the command)\n"
		"  -h, --help         show this help\n",
};
