/*
 * cmd_ping.c - `signpost ping NAME [-c N] [--json]`: on a device, ping another
 * device through the tunnel's current path (control word `ping NAME N [json]`),
 * one line per reply naming the path, like `tailscale ping`.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PING_COUNT_DEFAULT 4
#define PING_COUNT_MAX 1000

/* -c N / --count N (val 'n', so -n N too); state is the long count. */
static int ping_option(const struct cli_cmd *cmd, void *state, int c, char *arg)
{
	long *count = state;
	char *end;
	*count = strtol(arg, &end, 10);
	if (*end || *count < 1 || *count > PING_COUNT_MAX)
		return cli_usage(cmd, "-c %s: not a count (1..%d)", arg, PING_COUNT_MAX);
	return CLI_OK;
}

static int ping_request(const struct cli_cmd *cmd, const struct cli_ctx *ctx, void *state,
			char *name, bool json)
{
	const long *count = state;
	char n[16];
	snprintf(n, sizeof(n), "%ld", *count);
	char *req[] = { "ping", name, n, "json", NULL };
	/* Up to 10 s for the tunnel, then a second a ping, and the last one's 2 s. */
	return cli_ctl_forward(cmd, ctx, json ? 4 : 3, req, (int)(*count * 1000 + 15000));
}

static const struct option ping_opts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static const struct cli_ctl_spec ping_spec = {
	.json_word = "json",
	.operand = "the NAME to ping",
	.opts = ping_opts,
	.option = ping_option,
	.request = ping_request,
};

static int ping_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	long count = PING_COUNT_DEFAULT;
	/* -c is --count here, as in ping(8); the configuration is --config. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-c") == 0)
			argv[i] = "--count";
	return cli_ctl_command(cmd, argc, argv, ctx, &ping_spec, &count);
}

const struct cli_cmd cli_cmd_ping = {
	.name = "ping",
	.run = ping_run,
	.summary = "ping a device through its tunnel, naming the path",
	.help = "Usage: signpost [--config FILE] ping NAME [-c N] [--json]\n"
		"\n"
		"On a device: sends N pings (default 4, one a second) to device NAME (a label of\n"
		"the own zone, or NAME.ZONE of a friend's) through the tunnel to it, making the\n"
		"tunnel first if there is none.  Each reply names the path it took: `via\n"
		"ADDR:PORT` for a direct path (where the packets go) or `via relay SIGNPOST` for\n"
		"a relayed one, and the round-trip time; a line says when the path changed.\n"
		"\n"
		"Options:\n"
		"  -c, --count N      how many pings (1..1000)\n"
		"      --json         one JSON object a line\n"
		"      --config FILE  the device's configuration\n"
		"  -h, --help         show this help\n",
};
