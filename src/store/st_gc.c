/*
 * st_gc.c - collecting tombstones (st_db.h, "Collecting tombstones"), and
 * the replica interface's gone() and forget() that carry a collection to
 * peers that never had the ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_db_int.h"

int st_db_gc_horizon(struct st_db *db, size_t own_devices, uint64_t *upto)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, "SELECT count(*), coalesce(min(agreed_seq), 0) FROM peers "
				    "WHERE own = 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	rc = sqlite3_step(s);
	uint64_t n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
	*upto = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 1) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return st__db_err(rc);
	/* own_devices 0: the device list is not known yet, so nobody can be sure. */
	return own_devices > 0 && n >= own_devices && *upto > 0 ? 0 : SP_ENOTFOUND;
}

/* Move every op of coll/key into collected; the key has no heads left and no document. */
static int collect_key(struct st_db *db, const char *coll, const char *key)
{
	static const char *const steps[] = {
		"INSERT OR IGNORE INTO collected(id, hlc, coll) SELECT id, hlc, coll FROM ops "
		"WHERE coll = ?1 AND key = ?2",
		"DELETE FROM seen WHERE id IN (SELECT id FROM ops WHERE coll = ?1 AND key = ?2)",
		"DELETE FROM heads WHERE coll = ?1 AND key = ?2",
		"DELETE FROM ops WHERE coll = ?1 AND key = ?2",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sqlite3_stmt *s;
		int rc = sqlite3_prepare_v2(db->sql, steps[i], -1, &s, NULL);
		if (rc != SQLITE_OK)
			return st__db_err(rc);
		sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
		rc = st__db_step_done(s);
		sqlite3_finalize(s);
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct gc_run {
	uint64_t upto;
	size_t n;
};

static int gc_body(struct st_db *db, void *arg)
{
	struct gc_run *g = arg;
	/* Keys whose one head is a delete that every own device holds. */
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql,
				    "SELECT h.coll, h.key FROM heads h JOIN ops o ON o.id = h.id "
				    "WHERE o.kind = 2 AND o.seq <= ?1 AND NOT EXISTS (SELECT 1 FROM "
				    "heads h2 WHERE h2.coll = h.coll AND h2.key = h.key AND h2.id <> h.id)",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)g->upto);
	/* Collect after the walk: the statement must not see its own deletions. */
	char (*keys)[2][ST_KEY_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			void *p = realloc(keys, nc * sizeof(*keys));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			keys = p;
			cap = nc;
		}
		snprintf(keys[n][0], sizeof(keys[n][0]), "%s", sqlite3_column_text(s, 0));
		snprintf(keys[n][1], sizeof(keys[n][1]), "%s", sqlite3_column_text(s, 1));
		n++;
	}
	sqlite3_finalize(s);
	rc = rc == SQLITE_DONE ? 0 : st__db_err(rc);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = collect_key(db, keys[i][0], keys[i][1]);
	free(keys);
	g->n = n;
	return rc;
}

int st_db_gc(struct st_db *db, uint64_t upto, size_t *collected)
{
	struct gc_run g = { upto, 0 };
	int rc = st__db_in_txn(db, gc_body, &g);
	*collected = rc == 0 ? g.n : 0;
	return rc;
}

int st__rp_gone(void *ctx, const uint8_t id[ST_ID_LEN], uint64_t *hlc, char *coll, size_t cap)
{
	struct st_db *db = ctx;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, "SELECT hlc, coll FROM collected WHERE id = ?1", -1, &s,
				    NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	st__bind_id(s, 1, id, ST_ID_LEN);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*hlc = (uint64_t)sqlite3_column_int64(s, 0);
		snprintf(coll, cap, "%s", sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? SP_ENOTFOUND : st__db_err(rc);
}

struct forget {
	uint64_t hlc;
	const uint8_t *id;
	const char *coll;
	size_t coll_len;
};

static int run_id(struct st_db *db, const char *sql, const uint8_t *id)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	st__bind_id(s, 1, id, ST_ID_LEN);
	rc = st__db_step_done(s);
	sqlite3_finalize(s);
	return rc;
}

static int forget_body(struct st_db *db, void *arg)
{
	struct forget *f = arg;
	sqlite3_stmt *s;
	/*
	 * Only this op goes, not its key: a write the peer never saw (concurrent
	 * with its delete) may be here, and must stay.
	 */
	int rc = sqlite3_prepare_v2(db->sql, "SELECT coll, key, hlc FROM ops WHERE id = ?1", -1, &s,
				    NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	st__bind_id(s, 1, f->id, ST_ID_LEN);
	char coll[ST_COLL_MAX + 1] = "", key[ST_KEY_MAX + 1] = "";
	int held = (rc = sqlite3_step(s)) == SQLITE_ROW;
	if (held) {
		/* What we hold is what we know: its own stamp and collection, not the peer's word. */
		snprintf(coll, sizeof(coll), "%s", sqlite3_column_text(s, 0));
		snprintf(key, sizeof(key), "%s", sqlite3_column_text(s, 1));
		f->hlc = (uint64_t)sqlite3_column_int64(s, 2);
		f->coll = coll;
		f->coll_len = strlen(coll);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st__db_err(rc);
	rc = sqlite3_prepare_v2(db->sql, "INSERT OR IGNORE INTO collected(id, hlc, coll) "
				"VALUES (?1, ?2, ?3)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	st__bind_id(s, 1, f->id, ST_ID_LEN);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)f->hlc);
	sqlite3_bind_text(s, 3, f->coll, (int)f->coll_len, SQLITE_STATIC);
	rc = st__db_step_done(s);
	sqlite3_finalize(s);
	if (rc != 0 || !held)
		return rc;
	if ((rc = run_id(db, "DELETE FROM heads WHERE id = ?1", f->id)) == 0 &&
	    (rc = run_id(db, "DELETE FROM ops WHERE id = ?1", f->id)) == 0)
		rc = st__db_resolve(db, coll, strlen(coll), key, strlen(key));
	return rc;
}

int st__rp_forget(void *ctx, uint64_t hlc, const uint8_t id[ST_ID_LEN], const char *coll,
		  size_t coll_len)
{
	struct st_db *db = ctx;
	if (!st_coll_valid(coll, coll_len, 1))
		return SP_EMALFORMED;
	struct forget f = { hlc, id, coll, coll_len };
	st__db_invalidate(db);	/* the set may grow by this id: recount it */
	return st__db_in_txn(db, forget_body, &f);
}
