/*
 * crash_driver.c - the processes test_crash.sh kills with SIGKILL.
 *
 *   crash_driver write DB N      N puts, one commit each; prints "acked ID" after each
 *   crash_driver sync DST SRC    one whole sync SRC -> DST (both files), printing
 *                                "held N" (ops in DST) after every flight
 *   crash_driver check DB        PRAGMA integrity_check, then "ops N" and "id ID" per op
 *
 * Device ids are fixed per role (the writer is 0x0a.., the sync target 0x0b..).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "core/log.h"
#include "store/st_hlc.h"
#include "store/st_db.h"
#include "store/st_pair.h"

static const uint8_t dev_w[ST_ID_LEN] = { 0xa }, dev_dst[ST_ID_LEN] = { 0xb };

static int do_write(const char *path, long n)
{
	struct st_db *db;
	if (st_db_open(path, dev_w, &db) != 0)
		return 1;
	for (long i = 0; i < n; i++) {
		char key[32], json[64], hex[2 * ST_ID_LEN + 1];
		uint8_t id[ST_ID_LEN];
		snprintf(key, sizeof(key), "k%ld", i % 500);
		snprintf(json, sizeof(json), "{\"i\":%ld}", i);
		if (st_db_put(db, "notes", key, json, strlen(json), 0, st_wall_ms(), id) != 0)
			return 1;
		sodium_bin2hex(hex, sizeof(hex), id, ST_ID_LEN);
		printf("acked %s\n", hex);
		fflush(stdout);
	}
	st_db_close(db);
	return 0;
}

static int do_sync(const char *dst, const char *src)
{
	struct st_db *d, *s;
	if (st_db_open(dst, dev_dst, &d) != 0 || st_db_open(src, dev_w, &s) != 0)
		return 1;
	struct st_session_cfg cd = { .send = 1, .accept = 1, .initiator = 1 },
			      cs = { .send = 1, .accept = 1 };
	memcpy(cd.peer, dev_w, ST_ID_LEN);
	memcpy(cs.peer, dev_dst, ST_ID_LEN);
	struct st_pair p;
	if (st_pair_open(&p, st_db_replica(d), &cd, st_db_replica(s), &cs) != 0)
		return 1;
	int rc;
	while ((rc = st_pair_step(&p, 64 * 1024)) == 1) {
		struct st_db_stats st;
		if (st_db_stats(d, &st) == 0)
			printf("held %llu\n", (unsigned long long)st.ops);
		fflush(stdout);
	}
	int identical = st_session_stats(p.s[0])->identical;
	printf("%s\n", rc == 0 && identical ? "identical" : "different");
	st_pair_close(&p);
	st_db_close(d);
	st_db_close(s);
	return rc == 0 && identical ? 0 : 1;
}

static int do_check(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 1;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		return 1;
	while (sqlite3_step(s) == SQLITE_ROW)
		printf("integrity %s\n", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT hex(id) FROM ops", -1, &s, NULL) != SQLITE_OK)
		return 1;
	long n = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		printf("id %s\n", (const char *)sqlite3_column_text(s, 0));
		n++;
	}
	sqlite3_finalize(s);
	printf("ops %ld\n", n);
	sqlite3_close(db);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	sp_log_set_level(SP_LOG_WARNING);
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2], atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "sync") == 0)
		return do_sync(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return do_check(argv[2]);
	fprintf(stderr, "usage: crash_driver write DB N | sync DST SRC | check DB\n");
	return 2;
}
