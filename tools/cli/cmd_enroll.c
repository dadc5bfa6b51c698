/*
 * cmd_enroll.c - `signpost enroll NAME [--ttl DURATION] [--json]`: the
 * running signpost issues a one-time enrollment token for device NAME.
 *
 * The CLI checks the name and the duration and forwards the control word
 * `enroll NAME TTL_SECONDS [json]`; the daemon keeps what it needs to check
 * the token's secret and prints the token alone on its reply's last line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

/* A token lives an hour unless --ttl says otherwise (the default). */
#define ENROLL_TTL_DEFAULT_S 3600
/* The daemon's bound (cp_ctl.c): an unspent token is a standing invitation. */
#define ENROLL_TTL_MAX_S (30 * 86400)
/* The daemon writes STATE/tokens before it answers: the allowance of `zone`. */
#define ENROLL_TIMEOUT_MS 30000

enum { O_TTL = 256 };

/* --ttl DURATION, the only option of enroll's own; state is the uint64_t of seconds. */
static int enroll_option(const struct cli_cmd *cmd, void *state, int c, char *arg)
{
	uint64_t *ttl = state;
	if (cli_parse_duration(arg, ttl) != 0 || *ttl > ENROLL_TTL_MAX_S)
		return cli_usage(cmd, "--ttl %s: not a duration such as 90s, 30m, 1h "
				      "or 2d (at most 30d)", arg);
	return CLI_OK;
}

static int enroll_request(const struct cli_cmd *cmd, const struct cli_ctx *ctx, void *state,
			  char *name, bool json)
{
	const uint64_t *ttl = state;
	char ttl_text[24];
	snprintf(ttl_text, sizeof(ttl_text), "%" PRIu64, *ttl);
	char *req[] = { "enroll", name, ttl_text, "json", NULL };
	return cli_ctl_forward(cmd, ctx, json ? 4 : 3, req, ENROLL_TIMEOUT_MS);
}

static const struct option enroll_opts[] = {
	{ "ttl", required_argument, NULL, O_TTL },
	{ NULL, 0, NULL, 0 },
};

static const struct cli_ctl_spec enroll_spec = {
	.json_word = "json",
	.operand = "the device's NAME",
	.device = true,
	.opts = enroll_opts,
	.option = enroll_option,
	.request = enroll_request,
};

static int enroll_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	uint64_t ttl = ENROLL_TTL_DEFAULT_S;
	return cli_ctl_command(cmd, argc, argv, ctx, &enroll_spec, &ttl);
}

const struct cli_cmd cli_cmd_enroll = {
	.name = "enroll",
	.run = enroll_run,
	.summary = "issue a one-time token that enrolls device NAME (on the signpost)",
	.help = "Usage: signpost [-c FILE] enroll NAME [--ttl DURATION] [--json]\n"
		"\n"
		"Asks the running signpost (found through the control-socket of its\n"
		"configuration FILE) for a one-time enrollment token for device NAME of its\n"
		"zone.  The token is printed alone on the last line; on the device,\n"
		"  signpost init device --token TOKEN --dir DIR\n"
		"makes everything the device needs.  The token can be used once, before it\n"
		"expires; the signpost keeps only a hash of its secret.\n"
		"\n"
		"Options:\n"
		"  --ttl DURATION     how long the token is valid: 90s, 30m, 1h, 2d\n"
		"                     (default 1h, at most 30d)\n"
		"  -j, --json         print the answer as one JSON object\n"
		"  -c, --config FILE  the signpost's configuration (as before the command)\n"
		"  -h, --help         show this help\n",
};
