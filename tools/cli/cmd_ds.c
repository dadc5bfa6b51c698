/*
 * cmd_ds.c - `signpost ds` and `signpost dnskey`: the zone's trust anchor,
 * from the key-signing key file named in the configuration.  These read
 * files only; the daemon need not run.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * Print the anchor in BIND's trust-anchors syntax (what `delv -a FILE`
 * reads): the rdata fields, the last one (key or digest) quoted.
 */
static void print_bind(FILE *f, const ldns_rr *rr, const char *kind)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	size_t n = ldns_rr_rd_count(rr);
	fprintf(f, "trust-anchors {\n\t\"%s\" %s ", owner ? owner : "", kind);
	for (size_t i = 0; i + 1 < n; i++) {
		char *s = ldns_rdf2str(ldns_rr_rdf(rr, i));
		fprintf(f, "%s ", s ? s : "");
		free(s);
	}
	char *last = n ? ldns_rdf2str(ldns_rr_rdf(rr, n - 1)) : NULL;
	fprintf(f, "\"%s\";\n};\n", last ? last : "");
	free(last);
	free(owner);
}

static int anchor_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "bind", no_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool bind = false, ds = strcmp(cmd->name, "ds") == 0;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		if (c == 0)
			return done;
		if (c == 'b')
			bind = true;
		else if (c == 'c')
			ctx->config_path = optarg;
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);

	struct sp_config *cfg;
	int ret = cli_config_load(cmd, ctx, &cfg);
	if (ret != CLI_OK)
		return ret;
	const struct sp_config_section *node = sp_config_get(cfg, "node");
	const char *zone = sp_cfg_str(node, "zone");
	const char *ksk_file = sp_cfg_str(sp_config_get(cfg, "dns"), "ksk-file");
	ldns_key *ksk = NULL;
	ldns_rr *dnskey = NULL, *dsrr = NULL;
	if (strcmp(sp_cfg_str(node, "role"), "signpost") != 0) {
		ret = cli_fail(cmd, "%s: role is not signpost: only a signpost holds the zone's keys",
			       ctx->config_path);
		goto out;
	}
	if (cli_dnssec_key_load(ksk_file, zone, CLI_KSK_FLAGS, &ksk) != 0) {
		ret = cli_fail(cmd, "cannot read the key-signing key %s ([dns] ksk-file of %s)",
			       ksk_file, ctx->config_path);
		goto out;
	}
	dnskey = cli_dnssec_dnskey(ksk);
	if (dnskey == NULL || (ds && (dsrr = cli_dnssec_ds(dnskey)) == NULL)) {
		ret = cli_fail(cmd, "%s: cannot make the %s record (ldns failed)", ksk_file,
			       ds ? "DS" : "DNSKEY");
		goto out;
	}
	const ldns_rr *rr = ds ? dsrr : dnskey;
	if (bind)
		print_bind(stdout, rr, ds ? "initial-ds" : "static-key");
	else
		cli_rr_print(stdout, rr);
	if (fflush(stdout) != 0)
		ret = cli_fail(cmd, "cannot write to stdout");
out:
	ldns_rr_free(dsrr);
	ldns_rr_free(dnskey);
	cli_dnssec_key_free(ksk);
	sp_config_free(cfg);
	return ret;
}

const struct cli_cmd cli_cmd_ds = {
	.name = "ds",
	.run = anchor_run,
	.summary = "print the zone's DS record for the parent zone and friends",
	.help = "Usage: signpost [-c FILE] ds [--bind]\n"
		"\n"
		"Prints the DS record (SHA-256) of the zone's key-signing key, read from the\n"
		"ksk-file of the signpost configuration FILE.  Give it to the parent zone to\n"
		"secure the delegation, and to friends as the zone's trust anchor (their\n"
		"[friend] trust-anchor, or unbound's trust-anchor: \"...\").\n"
		"\n"
		"Options:\n"
		"  -b, --bind         print a BIND trust-anchors { ... initial-ds ... }; block\n"
		"                     instead, as 'delv -a FILE' and named read it\n"
		"  -c, --config FILE  the signpost's configuration (as before the command)\n"
		"  -h, --help         show this help\n",
};

const struct cli_cmd cli_cmd_dnskey = {
	.name = "dnskey",
	.run = anchor_run,
	.summary = "print the zone's key-signing DNSKEY (a trust anchor)",
	.help = "Usage: signpost [-c FILE] dnskey [--bind]\n"
		"\n"
		"Prints the DNSKEY record of the zone's key-signing key (flags 257), read from\n"
		"the ksk-file of the signpost configuration FILE: a trust anchor for the zone,\n"
		"in the form unbound's trust-anchor: \"...\" and [friend] trust-anchor accept.\n"
		"\n"
		"Options:\n"
		"  -b, --bind         print a BIND trust-anchors { ... static-key ... }; block\n"
		"                     instead, as 'delv -a FILE' reads it\n"
		"  -c, --config FILE  the signpost's configuration (as before the command)\n"
		"  -h, --help         show this help\n",
};
