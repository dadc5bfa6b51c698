/*
 * cmd_ctl.c - commands that the running daemon implements: the CLI forwards
 * argv over the control socket and prints the reply as it streams in
 * (`zone`; `wg-quick` builds on it), and cli_ctl_command, which runs the
 * commands that check their options first (`status`, `enroll`, `devices`,
 * `revoke`, `friend`, `ping`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/config.h"
#include "core/ctl.h"

/* Zone changes sign records: allow the daemon a moment under load. */
#define CTL_TIMEOUT_MS 30000

/* The control socket named by ctx's configuration; *cfg owns the string. */
static int ctl_path(const struct cli_cmd *cmd, const struct cli_ctx *ctx, struct sp_config **cfg,
		    const char **path)
{
	int ret = cli_config_load(cmd, ctx, cfg);
	if (ret == CLI_OK)
		*path = sp_cfg_str(sp_config_get(*cfg, "node"), "control-socket");
	return ret;
}

static int ctl_unreachable(const struct cli_cmd *cmd, const char *path, int rc)
{
	return cli_fail(cmd, "cannot reach signpostd at %s: %s%s", path, sp_strerror(rc),
			(rc == -ENOENT || rc == -ECONNREFUSED)
				? " (is signpostd running with this configuration?)" : "");
}

int cli_ctl_call(const struct cli_cmd *cmd, const struct cli_ctx *ctx, int argc,
		 char *const *argv, int timeout_ms, int *status, char **reply)
{
	struct sp_config *cfg;
	const char *path;
	int ret = ctl_path(cmd, ctx, &cfg, &path);
	if (ret != CLI_OK)
		return ret;
	*reply = NULL;
	int rc = sp_ctl_call(path, argc, argv, timeout_ms, status, reply);
	if (rc)
		ret = ctl_unreachable(cmd, path, rc);
	sp_config_free(cfg);
	return ret;
}

int cli_ctl_print(const struct cli_cmd *cmd, int status, const char *reply)
{
	FILE *out = status == 0 ? stdout : stderr;
	size_t len = reply ? strlen(reply) : 0;
	if (status != 0)
		fprintf(stderr, "signpost %s: signpostd: %s%s", cmd->name, len ? "" : sp_strerror(status),
			len ? "" : "\n");
	if (len) {
		fputs(reply, out);
		if (reply[len - 1] != '\n')
			fputc('\n', out);
	}
	if (fflush(stdout) != 0)
		return cli_fail(cmd, "cannot write to stdout");
	return status == 0 ? CLI_OK : CLI_ERR;
}

/* Printing a reply as it streams in: chunks at once to stdout, the end as cli_ctl_print. */
struct ctl_printer {
	const struct cli_cmd *cmd;
	int ret;
};

static int print_record(void *arg, const char *text, size_t len, bool end, int status)
{
	struct ctl_printer *p = arg;
	if (end) {
		p->ret = cli_ctl_print(p->cmd, status, text);
		return 0;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
		return -EIO;
	return 0;
}

int cli_ctl_forward(const struct cli_cmd *cmd, const struct cli_ctx *ctx, int argc,
		    char *const *argv, int timeout_ms)
{
	struct sp_config *cfg;
	const char *path;
	int ret = ctl_path(cmd, ctx, &cfg, &path);
	if (ret != CLI_OK)
		return ret;
	struct ctl_printer p = { cmd, CLI_OK };
	int rc = sp_ctl_call_stream(path, argc, argv, timeout_ms, print_record, &p);
	if (rc == -EIO)
		ret = cli_fail(cmd, "cannot write to stdout");
	else if (rc)
		ret = ctl_unreachable(cmd, path, rc);
	else
		ret = p.ret;
	sp_config_free(cfg);
	return ret;
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

/*
 * Arguments go to the daemon untouched, so only a leading help word is ours.
 * The daemon checks the rest and explains what it refuses.
 */
int cli_ctl_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc >= 2 && cli_is_help(argv[1])) {
		cli_help(cmd, stdout);
		return CLI_OK;
	}
	if (argc < 2)
		return cli_usage(cmd, "missing arguments");
	if (argc > SP_CTL_ARGS_MAX)
		return cli_usage(cmd, "too many arguments (at most %d)", SP_CTL_ARGS_MAX);
	return cli_ctl_forward(cmd, ctx, argc, argv, CTL_TIMEOUT_MS);
}

/* The most options of its own a cli_ctl_spec may have. */
#define CTL_OWN_OPTS_MAX 8

/* spec's option table into opts: its own options, --json if it has it, --config, --help. */
static int ctl_options(const struct cli_cmd *cmd, const struct cli_ctl_spec *spec,
		       struct option opts[static CTL_OWN_OPTS_MAX + 4])
{
	static const struct option json = { "json", no_argument, NULL, 'j' },
				   config = { "config", required_argument, NULL, 'c' },
				   help = { "help", no_argument, NULL, 'h' };
	size_t n = 0;
	for (const struct option *o = spec->opts; o != NULL && o->name != NULL; o++) {
		if (n == CTL_OWN_OPTS_MAX)
			return cli_fail(cmd, "internal: more than %d options", CTL_OWN_OPTS_MAX);
		opts[n++] = *o;
	}
	if (spec->json_word != NULL)
		opts[n++] = json;
	opts[n++] = config;
	opts[n++] = help;
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	return CLI_OK;
}

int cli_ctl_command(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx,
		    const struct cli_ctl_spec *spec, void *state)
{
	struct option opts[CTL_OWN_OPTS_MAX + 4];
	int ret = ctl_options(cmd, spec, opts);
	if (ret != CLI_OK)
		return ret;
	bool json = false;
	int c;
	while ((c = cli_getopt(cmd, argc, argv, opts, &ret)) != -1) {
		if (c == 0)
			return ret;
		if (c == 'j')
			json = true;
		else if (c == 'c')
			ctx->config_path = optarg;
		else if (spec->option != NULL && (ret = spec->option(cmd, state, c, optarg)) != CLI_OK)
			return ret;
	}
	int n_operands = spec->operand != NULL;
	if (argc - optind < n_operands)
		return cli_usage(cmd, "missing %s", spec->operand);
	if (argc - optind > n_operands)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + n_operands]);
	char *operand = n_operands ? argv[optind] : NULL;
	if (spec->device) {
		if (!cli_is_label(operand))
			return cli_usage(cmd, "%s: not a device name (one DNS label: letters, "
					      "digits, hyphens)", operand);
		cli_lower(operand);
	}
	if (spec->request != NULL)
		return spec->request(cmd, ctx, state, operand, json);

	/* sp_ctl_call only reads the words: the casts drop const for its argv type. */
	char *req[5];
	int n = 0;
	for (size_t i = 0; i < sizeof(spec->words) / sizeof(spec->words[0]) && spec->words[i]; i++)
		req[n++] = (char *)spec->words[i];
	if (operand != NULL)
		req[n++] = operand;
	if (json)
		req[n++] = (char *)spec->json_word;
	req[n] = NULL;
	return cli_ctl_forward(cmd, ctx, n, req, spec->timeout_ms);
}

const struct cli_cmd cli_cmd_zone = {
	.name = "zone",
	.run = cli_ctl_run,
	.summary = "show or change the records of the running signpost's zone",
	.help = "Usage: signpost [-c FILE] zone add NAME [TTL] [IN] TYPE RDATA...\n"
		"       signpost [-c FILE] zone del NAME [TYPE]\n"
		"       signpost [-c FILE] zone show\n"
		"\n"
		"Changes the zone served by the running signpostd (found through the\n"
		"control-socket of its configuration FILE).  Every change bumps the SOA serial,\n"
		"is signed at once and is sent to the secondaries by NOTIFY.\n"
		"\n"
		"  add NAME [TTL] TYPE RDATA\n"
		"                       add a record, e.g. to enroll a device:\n"
		"                       zone add laptop.alice.example. KEY \"512 3 15 KEY\"\n"
		"  del NAME [TYPE]      delete the records of NAME (only TYPE if given)\n"
		"  show                 print the zone\n"
		"\n"
		"NAME is relative to the zone unless it ends with a dot.\n",
};
