/* cmd_status.c - `signpost status`: ask the running daemon how it is. */
#include "cli.h"

/* status is answered from memory; a daemon that takes longer is stuck. */
#define STATUS_TIMEOUT_MS 5000

static const struct cli_ctl_spec status_spec = {
	.words = { "status" },
	.json_word = "--json",
	.timeout_ms = STATUS_TIMEOUT_MS,
};

static int status_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_ctl_command(cmd, argc, argv, ctx, &status_spec, NULL);
}

const struct cli_cmd cli_cmd_status = {
	.name = "status",
	.run = status_run,
	.summary = "show the running node's role, zone, uptime and planes",
	.help = "Usage: signpost [-c FILE] status [--json]\n"
		"\n"
		"Asks the running signpostd (through the control-socket named in its\n"
		"configuration FILE) for its role, zone, name, uptime and the state of each\n"
		"plane, and prints them.\n"
		"\n"
		"Options:\n"
		"  -j, --json         print the same as one JSON object\n"
		"  -c, --config FILE  the node's configuration (as before the command)\n"
		"  -h, --help         show this help\n",
};
