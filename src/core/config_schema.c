/*
 * config_schema.c - core's own section of signpost.conf ([node]), and the
 * composition of every plane's sections into the one schema.
 *
 * Each plane declares its sections in its own file (dns/auth_schema.c,
 * dns/stub_schema.c, tunnel/tun_schema.c); composed, the table is the single source of
 * truth: parsing, defaults, --check and the README's configuration
 * reference (`signpostd --config-reference`) all come from it.  Keep help
 * texts to one sentence.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char *const roles[] = { "signpost", "device", NULL };
static const char *const levels[] = { "error", "warning", "notice", "info", "debug", NULL };

static const struct sp_opt node_opts[] = {
	{ "role", SP_T_ENUM, NULL, 0, 0, roles, true,
	  "signpost: authoritative server of the zone; device: a member of it" },
	{ "zone", SP_T_DNAME, NULL, 0, 0, NULL, true, "the user's zone, e.g. alice.example." },
	{ "name", SP_T_STRING, NULL, 0, 0, NULL, false,
	  "this node's label in the zone (devices: required by `signpost init device`)" },
	{ "key-file", SP_T_PATH, "node.key", 0, 0, NULL, false,
	  "the node's Ed25519 private key (base64, mode 0600)" },
	{ "control-socket", SP_T_PATH, "signpost.sock", 0, 0, NULL, false,
	  "Unix socket for the `signpost` CLI (created mode 0600)" },
	{ "log-level", SP_T_ENUM, "info", 0, 0, levels, false, "least severe level that is logged" },
	{ "syslog", SP_T_BOOL, "no", 0, 0, NULL, false, "also log to syslog (daemon facility)" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema sp_core_schema[] = {
	{ "node", false, "Who this node is.", node_opts },
	{ NULL, false, NULL, NULL },
};

const struct sp_section_schema *sp_config_schema = sp_core_schema;

/* Most sections and options of a composed schema (a bound, not a guess: today ~10 and ~60). */
#define SCHEMA_SECTIONS_MAX 64
#define SCHEMA_OPTS_MAX 256

static struct sp_section_schema composed[SCHEMA_SECTIONS_MAX + 1];
static struct sp_opt composed_opts[SCHEMA_OPTS_MAX + SCHEMA_SECTIONS_MAX];

static size_t count_opts(const struct sp_opt *o)
{
	size_t n = 0;
	while (o[n].name)
		n++;
	return n;
}

int sp_config_schema_compose(const struct sp_section_schema *const *fragments, size_t n)
{
	const struct sp_section_schema *all[SCHEMA_SECTIONS_MAX];
	size_t n_all = 0, n_sec = 0, n_opt = 0;

	/* Every declaration in order: core's first, then each fragment's. */
	for (size_t f = 0; f <= n; f++) {
		const struct sp_section_schema *frag = f == 0 ? sp_core_schema : fragments[f - 1];
		for (; frag && frag->name; frag++) {
			if (n_all == SCHEMA_SECTIONS_MAX)
				return SP_ELIMIT;
			all[n_all++] = frag;
		}
	}
	for (size_t i = 0; i < n_all; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || strcmp(all[j]->name, all[i]->name) == 0;
		if (seen)
			continue;
		/* A new section: its options are those of every declaration of its name. */
		struct sp_section_schema *sec = &composed[n_sec++];
		*sec = *all[i];
		sec->opts = &composed_opts[n_opt];
		for (size_t j = i; j < n_all; j++) {
			if (strcmp(all[j]->name, all[i]->name) != 0)
				continue;
			if (all[j]->repeatable != all[i]->repeatable)
				return -EEXIST;
			size_t k = count_opts(all[j]->opts);
			if (n_opt + k + 1 > SCHEMA_OPTS_MAX + SCHEMA_SECTIONS_MAX)
				return SP_ELIMIT;
			for (size_t o = 0; o < k; o++) {
				for (const struct sp_opt *p = sec->opts; p < &composed_opts[n_opt]; p++)
					if (strcmp(p->name, all[j]->opts[o].name) == 0)
						return -EEXIST;
				composed_opts[n_opt++] = all[j]->opts[o];
			}
		}
		composed_opts[n_opt++] = (struct sp_opt){ 0 };
	}
	composed[n_sec] = (struct sp_section_schema){ 0 };
	sp_config_schema = composed;
	return 0;
}
