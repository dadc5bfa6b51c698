/*
 * cmd_devices.c - `signpost devices [--json]`: the running signpost's
 * enrolled devices (control word `devices [json]`).
 */
#include "cli.h"

/* The list is answered from memory; a daemon that takes longer is stuck. */
#define DEVICES_TIMEOUT_MS 10000

static const struct cli_ctl_spec devices_spec = {
	.words = { "devices" },
	.json_word = "json",
	.timeout_ms = DEVICES_TIMEOUT_MS,
};

static int devices_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_ctl_command(cmd, argc, argv, ctx, &devices_spec, NULL);
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
