/*
 * cmd_store.c - `signpost store ...`: the personal container on this
 * device (control word `store`, answered by the store plane's worker).
 *
 *   put COLL KEY JSON | get COLL KEY | del COLL KEY | ls COLL | search TEXT
 *   put-file PATH... [--name NAME] | get-file NAME DEST | ls-files
 *   conflicts | sync status | share COLL FRIEND-ZONE | unshare COLL FRIEND-ZONE | shares
 *
 * Paths are made absolute here: the daemon reads and writes the files.
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* A document's answer is from the database at once; a file may be large. */
#define STORE_TIMEOUT_MS 30000
#define STORE_FILE_TIMEOUT_MS (30 * 60 * 1000)

struct sub {
	const char *name;
	int min, max;		/* operands after the word */
	const char *usage;
};

static const struct sub subs[] = {
	{ "put", 3, 3, "put COLL KEY JSON" },
	{ "get", 2, 2, "get COLL KEY" },
	{ "del", 2, 2, "del COLL KEY" },
	{ "ls", 1, 1, "ls COLL" },
	{ "search", 1, 1, "search TEXT" },
	{ "conflicts", 0, 0, "conflicts" },
	{ "put-file", 1, 64, "put-file PATH... [--name NAME]" },
	{ "get-file", 2, 2, "get-file NAME DEST" },
	{ "ls-files", 0, 0, "ls-files" },
	{ "sync", 1, 1, "sync status" },
	{ "share", 2, 2, "share COLL FRIEND-ZONE" },
	{ "unshare", 2, 2, "unshare COLL FRIEND-ZONE" },
	{ "shares", 0, 0, "shares" },
};

/* --friend ZONE: the reads go to that friend's replica (what it shares with us). */
static char *friend_zone;

static int forward(const struct cli_cmd *cmd, struct cli_ctx *ctx, char **words, int n,
		   bool json, bool progress, int timeout)
{
	char *req[14];
	int k = 0;
	req[k++] = "store";
	for (int i = 0; i < n && k < 10; i++)
		req[k++] = words[i];
	if (friend_zone) {
		req[k++] = "friend";
		req[k++] = friend_zone;
	}
	if (progress)
		req[k++] = "progress";
	if (json)
		req[k++] = "json";
	req[k] = NULL;
	return cli_ctl_forward(cmd, ctx, k, req, timeout);
}

static int store_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "friend", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	bool json = false;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		if (c == 0)
			return done;
		if (c == 'n')
			name = optarg;
		else if (c == 'f' && !(friend_zone = cli_zone_name(optarg)))
			return cli_usage(cmd, "--friend %s: not a zone name", optarg);
		else if (c == 'j')
			json = true;
		else if (c == 'c')
			ctx->config_path = optarg;
	}
	char **ops = argv + optind;
	int n = argc - optind;
	if (n < 1)
		return cli_usage(cmd, "missing a store command");
	const struct sub *s = NULL;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(ops[0], subs[i].name) == 0)
			s = &subs[i];
	if (!s)
		return cli_usage(cmd, "%s: not a store command", ops[0]);
	if (n - 1 < s->min || n - 1 > s->max)
		return cli_usage(cmd, "usage: signpost store %s", s->usage);
	if (name && strcmp(s->name, "put-file") != 0)
		return cli_usage(cmd, "--name goes with put-file only");
	bool progress = !json && isatty(STDOUT_FILENO);

	if (strcmp(s->name, "sync") == 0) {
		if (strcmp(ops[1], "status") != 0)
			return cli_usage(cmd, "usage: signpost store sync status");
		char *w[] = { "sync-status" };
		return forward(cmd, ctx, w, 1, json, false, STORE_TIMEOUT_MS);
	}
	if (strcmp(s->name, "put-file") == 0) {
		if (name && n > 2)
			return cli_usage(cmd, "--name names one file, and %d were given", n - 1);
		int ret = CLI_OK;
		for (int i = 1; i < n && ret == CLI_OK; i++) {
			char abs[PATH_MAX], base[PATH_MAX];
			if (!realpath(ops[i], abs))
				return cli_fail(cmd, "%s: %m", ops[i]);
			snprintf(base, sizeof(base), "%s", ops[i]);
			char *w[] = { "put-file", abs, name ? (char *)name : basename(base) };
			ret = forward(cmd, ctx, w, 3, json, progress, STORE_FILE_TIMEOUT_MS);
		}
		return ret;
	}
	if (strcmp(s->name, "get-file") == 0) {
		char abs[PATH_MAX], dir[PATH_MAX], file[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", ops[2]);
		snprintf(file, sizeof(file), "%s", ops[2]);
		if (!realpath(dirname(dir), abs))
			return cli_fail(cmd, "%s: %m", ops[2]);
		size_t l = strlen(abs);
		snprintf(abs + l, sizeof(abs) - l, "/%s", basename(file));
		char *w[] = { "get-file", ops[1], abs };
		return forward(cmd, ctx, w, 3, json, progress, STORE_FILE_TIMEOUT_MS);
	}
	return forward(cmd, ctx, ops, n, json, false, STORE_TIMEOUT_MS);
}

const struct cli_cmd cli_cmd_store = {
	.name = "store",
	.run = store_run,
	.summary = "the personal container: documents, files, conflicts, sync",
	.help = "Usage: signpost [--config FILE] store COMMAND [--json]\n"
		"\n"
		"The personal container on this device: a replica that syncs over the tunnels\n"
		"with the user's other devices whenever two can reach each other.\n"
		"\n"
		"Commands:\n"
		"  put COLL KEY JSON        write a JSON document under KEY in collection COLL\n"
		"  get COLL KEY             the document (and how many values conflict)\n"
		"  del COLL KEY             delete it (a tombstone that syncs)\n"
		"  ls COLL                  every document of COLL\n"
		"  search TEXT              full-text search over every document (FTS5 syntax)\n"
		"  conflicts                every key with concurrent values: each value, the\n"
		"                           device and the time; a later put settles it\n"
		"  put-file PATH...         store files (chunked; an edit re-sends only what\n"
		"                           changed); the name is the base name, or --name NAME\n"
		"  get-file NAME DEST       write file NAME to DEST\n"
		"  ls-files                 every file, its size and whether all chunks are here\n"
		"  sync status              per peer: last sync, ops and bytes each way, and\n"
		"                           whether both replicas are identical (agreed digest)\n"
		"  share COLL FRIEND-ZONE   let a friend's devices read COLL (read-only; they\n"
		"                           fetch it from the devices the friend policy lets\n"
		"                           them reach)\n"
		"  unshare COLL FRIEND-ZONE stop it\n"
		"  shares                   what is shared with whom\n"
		"\n"
		"Options:\n"
		"  -n, --name NAME    put-file: the file's name in the store\n"
		"  -f, --friend ZONE  get, ls, search, conflicts, ls-files, get-file: read what\n"
		"                     friend ZONE shares with us (its replica here, read-only)\n"
		"  -j, --json         print JSON\n"
		"  -c, --config FILE  the device's configuration\n"
		"  -h, --help         show this help\n",
};
