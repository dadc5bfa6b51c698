/*
 * cmd_devices.c - `signpost devices [--json]`: the running signpost's
 * enrolled devices (control word `devices [json]`).
 */
#include <getopt.h>
#include <stdbool.h>

#include "cli.h"

/* The list is answered from memory; a daemon that takes longer is stuck. */
#define DEVICES_TIMEOUT_MS 10000

static int devices_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
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
	char *req[] = { "devices", "json", NULL };
	return cli_ctl_forward(cmd, ctx, json ? 2 : 1, req, DEVICES_TIMEOUT_MS);
}

const struct cli_cmd cli_cmd_devices = {
	.name = "devices",
	.run = devices_run,
	.summary = "list the signpost's enrolled devices",
	.help = "Usage: signpost [-c FILE] devices [--json]\n"
		"\n"
		"Asks the running signpost (through the control-socket of its configuration\n"
		"FILE) for its enrolled devices: for each its name, node key, overlay\n"
		"address, last contact and endpoints.\n"
		"\n"
		"Options:\n"
		"  -j, --json         print them as JSON\n"
		"  -c, --config FILE  the signpost's configuration (as before the command)\n"
		"  -h, --help         show this help\n",
};
