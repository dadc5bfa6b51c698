/*
 * cmd_revoke.c - `signpost revoke NAME`: the running signpost forgets device
 * NAME (control word `revoke NAME`): it removes its records, refuses its
 * messages and tells the user's other devices to close their sessions with it.
 */
#include <getopt.h>

#include "cli.h"

/* Removing records signs the zone again: the allowance of `zone`. */
#define REVOKE_TIMEOUT_MS 30000

static int revoke_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		if (c == 0)
			return done;
		if (c == 'c')
			ctx->config_path = optarg;
	}
	if (optind >= argc)
		return cli_usage(cmd, "missing the device's NAME");
	if (optind + 1 < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
	char *name = argv[optind];
	if (!cli_is_label(name))
		return cli_usage(cmd, "%s: not a device name (one DNS label: letters, digits, "
				      "hyphens)", name);
	cli_lower(name);
	char *req[] = { "revoke", name, NULL };
	return cli_ctl_forward(cmd, ctx, 2, req, REVOKE_TIMEOUT_MS);
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
