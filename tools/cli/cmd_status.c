/* cmd_status.c - `signpost status`: ask the running daemon how it is. */
#include <getopt.h>
#include <stdbool.h>

#include "cli.h"

/* status is answered from memory; a daemon that takes longer is stuck. */
#define STATUS_TIMEOUT_MS 5000

static int status_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		if (c == 0)
			return done;
		if (c == 'j')
			json = true;
		else if (c == 'c')
			ctx->config_path = optarg;
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);

	char *req[] = { "status", "--json", NULL };
	return cli_ctl_forward(cmd, ctx, json ? 2 : 1, req, STATUS_TIMEOUT_MS);
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
