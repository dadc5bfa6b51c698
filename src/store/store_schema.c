/*
 * store_schema.c - the store plane's section of signpost.conf: [store].
 * Every option has a default that works: a device made from a token keeps
 * its replica next to its configuration and syncs with its own devices
 * over the tunnel with nothing to set.  Pure.
 */
#include <stddef.h>
#include <string.h>

#include "store/store_schema.h"

static const char *const auto_yes_no[] = { "auto", "yes", "no", NULL };

static const struct sp_opt store_opts[] = {
	{ "enabled", SP_T_ENUM, "auto", 0, 0, auto_yes_no, false,
	  "keep a replica of the personal container and sync it (auto: yes on a device)" },
	{ "path", SP_T_PATH, "store.db", 0, 0, NULL, false,
	  "the replica's SQLite database (WAL mode; readable with the sqlite3 shell)" },
	{ "port", SP_T_INT, "7734", 1, 65535, NULL, false,
	  "TCP port of the sync protocol, on the overlay address only" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

const struct sp_section_schema store_schema[] = {
	{ "store", false, "The personal container: a replicated store of documents and files.",
	  store_opts },
	{ NULL, false, NULL, NULL },
};

bool store_schema_enabled(const struct sp_config *cfg)
{
	const char *v = sp_cfg_str(sp_config_get(cfg, "store"), "enabled");
	if (v == NULL || strcmp(v, "auto") == 0) {
		const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
		return role != NULL && strcmp(role, "device") == 0;
	}
	return strcmp(v, "yes") == 0;
}
