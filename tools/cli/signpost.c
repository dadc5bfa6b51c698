/*
 * signpost.c - the `signpost` command-line tool: global options and the
 * table of subcommands.  Each subcommand lives in its own cmd_*.c file.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "control/cp_schema.h"
#include "dns/dns_schema.h"
#include "nat/nat_schema.h"
#include "store/store_schema.h"
#include "tunnel/tun_schema.h"
#include "core/log.h"

static const struct cli_cmd *const commands[] = {
	&cli_cmd_genkey, &cli_cmd_pubkey, &cli_cmd_init,   &cli_cmd_status,
	&cli_cmd_ds,	 &cli_cmd_dnskey, &cli_cmd_zone,   &cli_cmd_wg_quick,
	&cli_cmd_enroll, &cli_cmd_devices, &cli_cmd_revoke, &cli_cmd_friend, &cli_cmd_ping,
	&cli_cmd_stun,	 &cli_cmd_netcheck, &cli_cmd_store,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: signpost [-c FILE] COMMAND [ARGS...]\n"
		   "\n"
		   "Creates keys and configurations for Signpost nodes and talks to a running\n"
		   "signpostd over its control socket.\n"
		   "\n"
		   "Options:\n"
		   "  -c, --config FILE  the node's configuration (default %s)\n"
		   "  -h, --help         show this help\n"
		   "  -V, --version      show the version\n"
		   "\n"
		   "Commands:\n",
		CLI_DEFAULT_CONFIG);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'signpost help COMMAND' or 'signpost COMMAND --help' describes a command.\n");
}

static const struct cli_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void cli_help(const struct cli_cmd *cmd, FILE *f)
{
	fputs(cmd->help, f);
}

static void vmessage(const struct cli_cmd *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "signpost%s%s: ", cmd ? " " : "", cmd ? cmd->name : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'signpost help%s%s'.\n", cmd ? " " : "", cmd ? cmd->name : "");
	return CLI_USAGE;
}

int cli_fail(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	return CLI_ERR;
}

int cli_getopt(const struct cli_cmd *cmd, int argc, char **argv, const struct option *opts,
	       int *done)
{
	/* Short options from the table: 'x' or 'x:' for each printable val. */
	char shorts[64] = ":";
	size_t n = 1;
	for (const struct option *o = opts; o->name && n + 3 < sizeof(shorts); o++) {
		if (o->flag || o->val <= ' ' || o->val > '~')
			continue;
		shorts[n++] = (char)o->val;
		if (o->has_arg == required_argument)
			shorts[n++] = ':';
	}
	shorts[n] = '\0';

	int c = getopt_long(argc, argv, shorts, opts, NULL);
	switch (c) {
	case 'h':
		cli_help(cmd, stdout);
		*done = CLI_OK;
		return 0;
	case ':':
		*done = cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
		return 0;
	case '?':
		if (optopt)
			*done = cli_usage(cmd, "unknown option -%c", optopt);
		else
			*done = cli_usage(cmd, "unknown option %s", argv[optind - 1]);
		return 0;
	default:
		return c;
	}
}

int cli_config_load(const struct cli_cmd *cmd, const struct cli_ctx *ctx, struct sp_config **out)
{
	int rc = sp_config_load(ctx->config_path, out);
	if (rc) {
		/* The core logged the file, line and option; add what to do. */
		fprintf(stderr, "signpost %s: cannot use configuration %s%s\n", cmd->name,
			ctx->config_path,
			strcmp(ctx->config_path, CLI_DEFAULT_CONFIG) == 0
				? " (name one with -c FILE)" : "");
		return CLI_ERR;
	}
	return CLI_OK;
}

/* `signpost help CMD [KIND]` is `signpost CMD [KIND] --help`. */
static int run_help(int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc < 2) {
		usage(stdout);
		return CLI_OK;
	}
	const struct cli_cmd *cmd = find_command(argv[1]);
	if (cmd == NULL)
		return cli_usage(NULL, "unknown command '%s'", argv[1]);
	/* Only init and friend have kinds; other words after CMD are ignored here. */
	bool kind = argc > 2 && (cmd == &cli_cmd_init || cmd == &cli_cmd_friend);
	char *sub[] = { argv[1], kind ? argv[2] : "--help", "--help", NULL };
	optind = 0;
	return cmd->run(cmd, kind ? 3 : 2, sub, ctx);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx ctx = { .config_path = CLI_DEFAULT_CONFIG };

	/* Messages from the core go to stderr; the CLI has no syslog. */
	sp_log_init("signpost", SP_LOG_WARNING, true, false);
	sp_log_set_plain(true);
	/* The same sections signpostd composes from its planes (see signpostd.c). */
	static const struct sp_section_schema *const schema[] = { dns_auth_schema, dns_stub_schema,
								  tun_schema, nat_schema, cp_schema,
								  store_schema };
	if (sp_config_schema_compose(schema, sizeof(schema) / sizeof(schema[0])) != 0)
		return 1;

	int c;
	/* '+': stop at the command word, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'V':
			printf("signpost %s\n", CLI_VERSION);
			return CLI_OK;
		case ':':
			return cli_usage(NULL, "option %s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return cli_usage(NULL, "unknown option -%c", optopt);
			return cli_usage(NULL, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "help") == 0)
		return run_help(argc, argv, &ctx);
	const struct cli_cmd *cmd = find_command(argv[0]);
	if (cmd == NULL)
		return cli_usage(NULL, "unknown command '%s'", argv[0]);
	optind = 0; /* glibc: start over for the command's own options */
	return cmd->run(cmd, argc, argv, &ctx);
}
