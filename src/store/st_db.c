/*
 * st_db.c - one device's replica in SQLite.  st_db.h gives the resolution
 * rules; the tables (readable with the sqlite3 shell) are:
 *
 *   meta(k, v)            device id, epoch
 *   ops(seq, id, hlc, device, coll, key, kind, value, raw)
 *                         every op held; seq is arrival order, raw the
 *                         canonical encoding (what sync sends)
 *   seen(id)              every op id that some held op has seen
 *   heads(coll, key, id)  ops of a key not in seen: the winner and conflicts
 *   docs(coll, key, json) the winning value of each present key
 *   docs_fts(json)        FTS5 over docs (rowid = docs.rowid)
 *   cursors(peer, epoch, seq), peers(device, ...), chunks(hash, data)
 *
 * Applying an op inserts its seen ids into seen, drops them from heads, and
 * adds the op to heads unless it is itself in seen; then the key's winner is
 * recomputed.  Each step depends only on the set of ops held, so any order
 * of arrival, and any repetition, gives the same tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store/st_db.h"
#include "store/st_db_int.h"
#include "store/st_hlc.h"
#include "store/st_json.h"


static const char *const st_sql_text[Q__N] = {
	/* An op collected as garbage counts as held: it is never stored again. */
	[Q_OP_HAS] = "SELECT 1 FROM ops WHERE id = ?1 UNION ALL SELECT 1 FROM collected WHERE id = ?1",
	[Q_OP_INSERT] = "INSERT INTO ops(id, hlc, device, coll, key, kind, value, raw) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[Q_SEEN_INSERT] = "INSERT OR IGNORE INTO seen(id) VALUES (?1)",
	[Q_SEEN_HAS] = "SELECT 1 FROM seen WHERE id = ?1",
	[Q_HEAD_DROP] = "DELETE FROM heads WHERE id = ?1",
	[Q_HEAD_INSERT] = "INSERT OR IGNORE INTO heads(coll, key, id) VALUES (?1, ?2, ?3)",
	[Q_HEADS_OF] = "SELECT o.id, o.hlc, o.device, o.kind, o.value FROM heads h "
		       "JOIN ops o ON o.id = h.id WHERE h.coll = ?1 AND h.key = ?2 "
		       "ORDER BY o.hlc DESC, o.device DESC, o.id DESC",
	[Q_DOC_PUT] = "INSERT INTO docs(coll, key, json) VALUES (?1, ?2, ?3) "
		      "ON CONFLICT(coll, key) DO UPDATE SET json = excluded.json",
	[Q_DOC_DEL] = "DELETE FROM docs WHERE coll = ?1 AND key = ?2",
	[Q_DOC_ROWID] = "SELECT rowid FROM docs WHERE coll = ?1 AND key = ?2",
	[Q_FTS_DEL] = "DELETE FROM docs_fts WHERE rowid = ?1",
	[Q_FTS_PUT] = "INSERT INTO docs_fts(rowid, json) VALUES (?1, ?2)",
	[Q_DOC_LS] = "SELECT coll, key FROM docs WHERE coll = ?1 ORDER BY key",
	[Q_SEARCH] = "SELECT d.coll, d.key FROM docs_fts f JOIN docs d ON d.rowid = f.rowid "
		     "WHERE docs_fts MATCH ?1 AND substr(d.coll, 1, 1) <> '_' "
		     "ORDER BY f.rank LIMIT ?2",
	[Q_CONFLICT_KEYS] = "SELECT coll, key FROM heads GROUP BY coll, key HAVING count(*) > 1 "
			    "ORDER BY coll, key",
	[Q_OPS_SINCE] = "SELECT seq, coll, raw FROM ops WHERE seq > ?1 ORDER BY seq",
	[Q_OP_RAW] = "SELECT seq, raw FROM ops WHERE id = ?1",
	/* The set both sides reconcile: the ops held and the ids of those collected. */
	[Q_ITEMS] = "SELECT hlc, id, coll FROM ops UNION ALL SELECT hlc, id, coll FROM collected "
		    "ORDER BY 1, 2",
	[Q_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM ops",
	[Q_CUR_GET] = "SELECT epoch, seq FROM cursors WHERE peer = ?1",
	[Q_CUR_FORGET] = "DELETE FROM cursors WHERE peer = ?1 AND epoch <> ?2",
	[Q_IDS] = "SELECT id FROM ops UNION ALL SELECT id FROM collected",
	[Q_CUR_PUT] = "INSERT INTO cursors(peer, epoch, seq) VALUES (?1, ?2, ?3) "
		      "ON CONFLICT(peer, epoch) DO UPDATE SET seq = max(seq, excluded.seq)",
	[Q_CHUNK_HAS] = "SELECT 1 FROM chunks WHERE hash = ?1",
	[Q_CHUNK_GET] = "SELECT data FROM chunks WHERE hash = ?1",
	[Q_CHUNK_PUT] = "INSERT OR IGNORE INTO chunks(hash, data) VALUES (?1, ?2)",
	/* agreed_seq never moves back: a later sync that did not agree keeps the old one. */
	[Q_PEER_PUT] = "INSERT INTO peers(device, last_sync_ms, ops_in, ops_out, bytes_in, "
		       "bytes_out, identical, digest, agreed_seq, own) "
		       "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10) ON CONFLICT(device) DO UPDATE SET "
		       "last_sync_ms = ?2, ops_in = ?3, ops_out = ?4, bytes_in = ?5, bytes_out = ?6, "
		       "identical = ?7, digest = ?8, agreed_seq = max(agreed_seq, ?9), own = ?10",
	[Q_PEERS] = "SELECT device, last_sync_ms, ops_in, ops_out, bytes_in, bytes_out, identical, "
		    "digest, agreed_seq, own FROM peers ORDER BY device",
};

static const char st_schema[] =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS ops(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" id BLOB NOT NULL UNIQUE, hlc INTEGER NOT NULL, device BLOB NOT NULL,"
	" coll TEXT NOT NULL, key TEXT NOT NULL, kind INTEGER NOT NULL, value TEXT,"
	" raw BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS ops_item ON ops(hlc, id);"
	"CREATE TABLE IF NOT EXISTS seen(id BLOB PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS heads(coll TEXT NOT NULL, key TEXT NOT NULL,"
	" id BLOB NOT NULL UNIQUE, PRIMARY KEY(coll, key, id)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS docs(rowid INTEGER PRIMARY KEY, coll TEXT NOT NULL,"
	" key TEXT NOT NULL, json TEXT NOT NULL, UNIQUE(coll, key));"
	"CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(json);"
	"CREATE TABLE IF NOT EXISTS cursors(peer BLOB NOT NULL, epoch BLOB NOT NULL,"
	" seq INTEGER NOT NULL, PRIMARY KEY(peer, epoch)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS peers(device BLOB PRIMARY KEY, last_sync_ms INTEGER,"
	" ops_in INTEGER, ops_out INTEGER, bytes_in INTEGER, bytes_out INTEGER,"
	" identical INTEGER, digest BLOB, agreed_seq INTEGER NOT NULL DEFAULT 0,"
	" own INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS collected(id BLOB PRIMARY KEY, hlc INTEGER NOT NULL,"
	" coll TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS chunks(hash BLOB PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS shares(coll TEXT NOT NULL, zone TEXT NOT NULL,"
	" PRIMARY KEY(coll, zone)) WITHOUT ROWID;";


int st__db_err(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return SP_EMALFORMED;
	default:
		return -EIO;
	}
}

/* The cached statement q, reset and unbound, ready for binding. */
static sqlite3_stmt *db_q(struct st_db *db, enum st_sql q)
{
	if (!db->q[q] && sqlite3_prepare_v3(db->sql, st_sql_text[q], -1, SQLITE_PREPARE_PERSISTENT,
					    &db->q[q], NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(db->q[q]);
	sqlite3_clear_bindings(db->q[q]);
	return db->q[q];
}

/* Run one statement to completion (no rows wanted). */
int st__db_step_done(sqlite3_stmt *s)
{
	if (!s)
		return -EIO;
	int rc = sqlite3_step(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : st__db_err(rc);
}

int st__db_exec(struct st_db *db, const char *sql)
{
	return st__db_err(sqlite3_exec(db->sql, sql, NULL, NULL, NULL));
}

/* Read meta k into out (len bytes), or store val there when absent. */
static int db_meta(struct st_db *db, const char *k, const uint8_t *val, uint8_t *out, size_t len)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, "SELECT v FROM meta WHERE k = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int ok = (size_t)sqlite3_column_bytes(s, 0) == len;
		if (ok)
			memcpy(out, sqlite3_column_blob(s, 0), len);
		sqlite3_finalize(s);
		return ok ? 0 : SP_EMALFORMED;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return st__db_err(rc);
	rc = sqlite3_prepare_v2(db->sql, "INSERT INTO meta(k, v) VALUES (?1, ?2)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, val, (int)len, SQLITE_STATIC);
	rc = st__db_step_done(s);
	sqlite3_finalize(s);
	if (rc == 0)
		memcpy(out, val, len);
	return rc;
}

int st_db_open(const char *path, const uint8_t device[ST_ID_LEN], struct st_db **out)
{
	struct st_db *db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	int rc = st__db_err(sqlite3_open_v2(path, &db->sql,
					SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						SQLITE_OPEN_NOMUTEX, NULL));
	if (rc == 0)
		rc = st__db_err(sqlite3_busy_timeout(db->sql, 5000));
	if (rc == 0)
		rc = st__db_exec(db, st_schema);
	uint8_t fresh[ST_EPOCH_LEN], owner[ST_ID_LEN];
	randombytes_buf(fresh, sizeof(fresh));
	if (rc == 0)
		rc = db_meta(db, "device", device, owner, ST_ID_LEN);
	if (rc == 0 && memcmp(owner, device, ST_ID_LEN) != 0)
		rc = SP_ESTATE;
	if (rc == 0)
		rc = db_meta(db, "epoch", fresh, db->epoch, ST_EPOCH_LEN);
	if (rc == 0) {
		/* The clock starts after every stamp held, ours or observed. */
		sqlite3_stmt *s;
		rc = st__db_err(sqlite3_prepare_v2(db->sql, "SELECT coalesce(max(hlc), 0) FROM ops",
					       -1, &s, NULL));
		if (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
			db->hlc.last = (uint64_t)sqlite3_column_int64(s, 0);
		if (rc == 0)
			sqlite3_finalize(s);
	}
	if (rc != 0) {
		st_db_close(db);
		return rc;
	}
	memcpy(db->device, device, ST_ID_LEN);
	*out = db;
	return 0;
}

void st_db_close(struct st_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < Q__N; i++)
		sqlite3_finalize(db->q[i]);
	sqlite3_close(db->sql);
	free(db->items);
	free(db->tail);
	free(db);
}

void st__db_invalidate(struct st_db *db)
{
	db->fp_valid = 0;
	db->items_valid = 0;
	db->n_tail = 0;
}

/* The tail is merged in at this size even if nobody asks, to bound it. */
#define ITEMS_TAIL_MAX 65536

static int item_qcmp(const void *a, const void *b)
{
	return st_item_cmp(a, b);
}

/* Merge the sorted tail into items (both sorted): 0 or -ENOMEM (cache dropped). */
static int items_merge(struct st_db *db)
{
	if (db->n_tail == 0)
		return 0;
	if (db->n_tail > 1)
		qsort(db->tail, db->n_tail, sizeof(*db->tail), item_qcmp);
	size_t n = db->n_items + db->n_tail;
	struct st_item *m = malloc(n * sizeof(*m));
	if (!m) {
		st__db_invalidate(db);
		return -ENOMEM;
	}
	size_t i = 0, j = 0, k = 0;
	while (i < db->n_items || j < db->n_tail) {
		if (j == db->n_tail || (i < db->n_items && st_item_cmp(&db->items[i], &db->tail[j]) < 0))
			m[k++] = db->items[i++];
		else
			m[k++] = db->tail[j++];
	}
	free(db->items);
	db->items = m;
	db->n_items = n;
	db->n_tail = 0;
	return 0;
}

void st__db_added(struct st_db *db, uint64_t hlc, const uint8_t id[ST_ID_LEN])
{
	st_fp_add(&db->fp, id);
	if (!db->items_valid)
		return;
	if (db->n_tail == db->cap_tail) {
		size_t cap = db->cap_tail ? 2 * db->cap_tail : 1024;
		struct st_item *t = realloc(db->tail, cap * sizeof(*t));
		if (!t) {
			db->items_valid = 0;
			return;
		}
		db->tail = t;
		db->cap_tail = cap;
	}
	db->tail[db->n_tail].hlc = hlc;
	memcpy(db->tail[db->n_tail].id, id, ST_ID_LEN);
	if (++db->n_tail >= ITEMS_TAIL_MAX)
		(void)items_merge(db);
}

int st_db_begin(struct st_db *db)
{
	return st__db_exec(db, "BEGIN IMMEDIATE");
}

int st_db_commit(struct st_db *db)
{
	int rc = st__db_exec(db, "COMMIT");
	if (rc != 0) {
		st__db_exec(db, "ROLLBACK");
		st__db_invalidate(db);
	}
	return rc;
}

void st__bind_id(sqlite3_stmt *s, int i, const uint8_t *id, size_t len)
{
	sqlite3_bind_blob(s, i, id, (int)len, SQLITE_STATIC);
}

/* Recompute the docs row (and its FTS row) of one key from its heads. */
int st__db_resolve(struct st_db *db, const char *coll, size_t coll_len, const char *key,
		      size_t key_len)
{
	sqlite3_stmt *s = db_q(db, Q_DOC_ROWID);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, coll, (int)coll_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, (int)key_len, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		sqlite3_int64 rowid = sqlite3_column_int64(s, 0);
		sqlite3_stmt *d = db_q(db, Q_FTS_DEL);
		if (!d)
			return -EIO;
		sqlite3_bind_int64(d, 1, rowid);
		if ((rc = st__db_step_done(d)) != 0)
			return rc;
	} else if (rc != SQLITE_DONE)
		return st__db_err(rc);

	s = db_q(db, Q_HEADS_OF);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, coll, (int)coll_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, (int)key_len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st__db_err(rc);
	if (rc == SQLITE_DONE || sqlite3_column_int(s, 3) == ST_OP_DEL) {
		sqlite3_stmt *d = db_q(db, Q_DOC_DEL);
		if (!d)
			return -EIO;
		sqlite3_bind_text(d, 1, coll, (int)coll_len, SQLITE_STATIC);
		sqlite3_bind_text(d, 2, key, (int)key_len, SQLITE_STATIC);
		return st__db_step_done(d);
	}
	const char *json = (const char *)sqlite3_column_text(s, 4);
	int json_len = sqlite3_column_bytes(s, 4);
	sqlite3_stmt *p = db_q(db, Q_DOC_PUT);
	if (!p)
		return -EIO;
	sqlite3_bind_text(p, 1, coll, (int)coll_len, SQLITE_STATIC);
	sqlite3_bind_text(p, 2, key, (int)key_len, SQLITE_STATIC);
	sqlite3_bind_text(p, 3, json, json_len, SQLITE_TRANSIENT);
	if ((rc = st__db_step_done(p)) != 0)
		return rc;
	/* Reserved collections (file manifests) are not searched. */
	if (coll[0] == '_')
		return 0;
	/* The upsert's rowid: last_insert_rowid() misses the update case. */
	sqlite3_stmt *r = db_q(db, Q_DOC_ROWID);
	if (!r)
		return -EIO;
	sqlite3_bind_text(r, 1, coll, (int)coll_len, SQLITE_STATIC);
	sqlite3_bind_text(r, 2, key, (int)key_len, SQLITE_STATIC);
	if (sqlite3_step(r) != SQLITE_ROW)
		return -EIO;
	sqlite3_int64 rowid = sqlite3_column_int64(r, 0);
	sqlite3_stmt *f = db_q(db, Q_FTS_PUT);
	if (!f)
		return -EIO;
	sqlite3_bind_int64(f, 1, rowid);
	sqlite3_bind_text(f, 2, json, json_len, SQLITE_TRANSIENT);
	return st__db_step_done(f);
}

/*
 * Store one decoded op (raw is its encoding, id its id): 0 stored, 1 held
 * already.  Runs inside the caller's transaction or in one of its own.
 */
static int db_store(struct st_db *db, const struct st_op *op, const uint8_t *raw, size_t len,
		    const uint8_t id[ST_ID_LEN])
{
	sqlite3_stmt *s = db_q(db, Q_OP_HAS);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, id, ST_ID_LEN);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return st__db_err(rc);

	s = db_q(db, Q_OP_INSERT);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, id, ST_ID_LEN);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)op->hlc);
	st__bind_id(s, 3, op->device, ST_ID_LEN);
	sqlite3_bind_text(s, 4, op->coll, (int)op->coll_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, op->key, (int)op->key_len, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, (int)op->kind);
	if (op->value)
		sqlite3_bind_text(s, 7, (const char *)op->value, (int)op->value_len, SQLITE_STATIC);
	st__bind_id(s, 8, raw, len);
	if ((rc = st__db_step_done(s)) != 0)
		return rc;
	st__db_added(db, op->hlc, id);
	db->last_seq = (uint64_t)sqlite3_last_insert_rowid(db->sql);

	for (size_t i = 0; i < op->n_seen; i++) {
		const uint8_t *sid = op->seen + i * ST_ID_LEN;
		if (!(s = db_q(db, Q_SEEN_INSERT)))
			return -EIO;
		st__bind_id(s, 1, sid, ST_ID_LEN);
		if ((rc = st__db_step_done(s)) != 0)
			return rc;
		if (!(s = db_q(db, Q_HEAD_DROP)))
			return -EIO;
		st__bind_id(s, 1, sid, ST_ID_LEN);
		if ((rc = st__db_step_done(s)) != 0)
			return rc;
	}
	if (!(s = db_q(db, Q_SEEN_HAS)))
		return -EIO;
	st__bind_id(s, 1, id, ST_ID_LEN);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		if (!(s = db_q(db, Q_HEAD_INSERT)))
			return -EIO;
		sqlite3_bind_text(s, 1, op->coll, (int)op->coll_len, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, op->key, (int)op->key_len, SQLITE_STATIC);
		st__bind_id(s, 3, id, ST_ID_LEN);
		if ((rc = st__db_step_done(s)) != 0)
			return rc;
	} else if (rc != SQLITE_ROW)
		return st__db_err(rc);
	rc = st__db_resolve(db, op->coll, op->coll_len, op->key, op->key_len);
	return rc;
}

/* Run fn inside a transaction unless one is open already. */
int st__db_in_txn(struct st_db *db, int (*body)(struct st_db *, void *), void *arg)
{
	int own = sqlite3_get_autocommit(db->sql);
	int rc = own ? st_db_begin(db) : 0;
	if (rc != 0)
		return rc;
	rc = body(db, arg);
	if (own) {
		if (rc >= 0 && st_db_commit(db) == 0)
			return rc;
		st__db_exec(db, "ROLLBACK");
		st__db_invalidate(db);
		return rc < 0 ? rc : -EIO;
	}
	return rc;
}

struct db_write {
	const char *coll, *key, *json;
	size_t len;
	enum st_op_kind kind;
	uint64_t wall_ms;
	uint8_t *id;
};

static int db_write_body(struct st_db *db, void *arg)
{
	struct db_write *w = arg;
	uint8_t seen[ST_SEEN_MAX * ST_ID_LEN];
	size_t n_seen = 0;

	sqlite3_stmt *s = db_q(db, Q_HEADS_OF);
	if (!s)
		return -EIO;
	sqlite3_bind_text(s, 1, w->coll, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, w->key, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n_seen < ST_SEEN_MAX) {
		if (sqlite3_column_bytes(s, 0) != ST_ID_LEN)
			return SP_EMALFORMED;
		memcpy(seen + n_seen++ * ST_ID_LEN, sqlite3_column_blob(s, 0), ST_ID_LEN);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return st__db_err(rc);
	/* The encoding wants the seen ids ascending (insertion sort: at most 16). */
	for (size_t i = 1; i < n_seen; i++)
		for (size_t j = i; j > 0 && memcmp(seen + (j - 1) * ST_ID_LEN, seen + j * ST_ID_LEN,
						   ST_ID_LEN) > 0; j--) {
			uint8_t t[ST_ID_LEN];
			memcpy(t, seen + j * ST_ID_LEN, ST_ID_LEN);
			memcpy(seen + j * ST_ID_LEN, seen + (j - 1) * ST_ID_LEN, ST_ID_LEN);
			memcpy(seen + (j - 1) * ST_ID_LEN, t, ST_ID_LEN);
		}

	struct st_op op = {
		.hlc = st_hlc_now(&db->hlc, w->wall_ms), .kind = w->kind, .coll = w->coll,
		.coll_len = strlen(w->coll), .key = w->key, .key_len = strlen(w->key),
		.n_seen = n_seen, .seen = n_seen ? seen : NULL,
		.value = (const uint8_t *)w->json, .value_len = w->json ? w->len : 0,
	};
	memcpy(op.device, db->device, ST_ID_LEN);
	size_t cap = ST_OP_FIXED + op.coll_len + op.key_len + n_seen * ST_ID_LEN + op.value_len;
	uint8_t *raw = malloc(cap);
	if (!raw)
		return -ENOMEM;
	int n = st_op_encode(&op, raw, cap);
	uint8_t id[ST_ID_LEN];
	if (n > 0) {
		st_op_id(raw, (size_t)n, id);
		rc = db_store(db, &op, raw, (size_t)n, id);
		if (rc == 0 && w->id)
			memcpy(w->id, id, ST_ID_LEN);
	} else {
		rc = n;
	}
	free(raw);
	return rc;
}

static int db_write(struct st_db *db, struct db_write *w, unsigned flags)
{
	size_t cl = strlen(w->coll), kl = strlen(w->key);
	if (!st_coll_valid(w->coll, cl, flags & ST_DB_RESERVED) || !st_key_valid(w->key, kl))
		return SP_EMALFORMED;
	if (w->json && (w->len == 0 || w->len > ST_VALUE_MAX ||
			st_json_check(w->json, w->len, NULL) != 0))
		return SP_EMALFORMED;
	return st__db_in_txn(db, db_write_body, w);
}

int st_db_put(struct st_db *db, const char *coll, const char *key, const char *json, size_t len,
	      unsigned flags, uint64_t wall_ms, uint8_t id[ST_ID_LEN])
{
	struct db_write w = { coll, key, json, len, ST_OP_PUT, wall_ms, id };
	if (!json)
		return SP_EMALFORMED;
	return db_write(db, &w, flags);
}

int st_db_del(struct st_db *db, const char *coll, const char *key, unsigned flags,
	      uint64_t wall_ms, uint8_t id[ST_ID_LEN])
{
	struct db_write w = { coll, key, NULL, 0, ST_OP_DEL, wall_ms, id };
	return db_write(db, &w, flags);
}

/* Fill v from a Q_HEADS_OF row. */
static void head_value(sqlite3_stmt *s, struct st_value *v, int winner)
{
	memset(v, 0, sizeof(*v));
	if (sqlite3_column_bytes(s, 0) == ST_ID_LEN)
		memcpy(v->id, sqlite3_column_blob(s, 0), ST_ID_LEN);
	v->hlc = (uint64_t)sqlite3_column_int64(s, 1);
	if (sqlite3_column_bytes(s, 2) == ST_ID_LEN)
		memcpy(v->device, sqlite3_column_blob(s, 2), ST_ID_LEN);
	if (sqlite3_column_int(s, 3) == ST_OP_PUT) {
		v->json = (const char *)sqlite3_column_text(s, 4);
		v->len = (size_t)sqlite3_column_bytes(s, 4);
	}
	v->winner = winner;
}

/*
 * Call fn for the heads of coll/key: only the winner (all == 0) or every
 * head.  SP_ENOTFOUND when the key has no present value (all == 0).
 */
static int db_heads(struct st_db *db, const char *coll, const char *key, int all,
		    st_value_fn fn, void *arg)
{
	/* A private statement: fn may call back into the database. */
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_HEADS_OF], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	size_t n = 0;
	struct st_value v;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		n++;
	if (rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return st__db_err(rc);
	}
	sqlite3_reset(s);
	rc = SP_ENOTFOUND;
	for (size_t i = 0; sqlite3_step(s) == SQLITE_ROW; i++) {
		head_value(s, &v, i == 0);
		if (!all && !v.json)
			break;
		rc = fn(arg, coll, key, &v, n - 1);
		if (rc != 0 || !all)
			break;
	}
	sqlite3_finalize(s);
	return rc;
}

int st_db_get(struct st_db *db, const char *coll, const char *key, st_value_fn fn, void *arg)
{
	return db_heads(db, coll, key, 0, fn, arg);
}

/* Walk a (coll, key) list from a private statement, calling fn per key's winner or heads. */
static int db_walk_keys(struct st_db *db, sqlite3_stmt *s, int key_col, int all, st_value_fn fn,
			void *arg)
{
	int rc, r = 0;
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *coll = (const char *)sqlite3_column_text(s, 0);
		const char *key = (const char *)sqlite3_column_text(s, key_col);
		r = db_heads(db, coll, key, all, fn, arg);
		if (r == SP_ENOTFOUND)
			r = 0;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = st__db_err(rc);
	sqlite3_finalize(s);
	return r;
}

int st_db_ls(struct st_db *db, const char *coll, st_value_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_DOC_LS], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_text(s, 1, coll, -1, SQLITE_TRANSIENT);
	return db_walk_keys(db, s, 1, 0, fn, arg);
}

int st_db_search(struct st_db *db, const char *query, size_t limit, st_value_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_SEARCH], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_text(s, 1, query, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	rc = db_walk_keys(db, s, 1, 0, fn, arg);
	/* A query FTS5 cannot parse is the user's input at fault, not the disk. */
	return rc == -EIO ? SP_EMALFORMED : rc;
}

int st_db_conflicts(struct st_db *db, st_value_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_CONFLICT_KEYS], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	return db_walk_keys(db, s, 1, 1, fn, arg);
}

static uint64_t db_count(struct st_db *db, const char *sql)
{
	sqlite3_stmt *s;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(db->sql, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int st_db_stats(struct st_db *db, struct st_db_stats *out)
{
	out->ops = db_count(db, "SELECT count(*) FROM ops");
	out->docs = db_count(db, "SELECT count(*) FROM docs WHERE substr(coll, 1, 1) <> '_'");
	out->conflicts = db_count(db, "SELECT count(*) FROM (SELECT 1 FROM heads "
				      "GROUP BY coll, key HAVING count(*) > 1)");
	out->chunks = db_count(db, "SELECT count(*) FROM chunks");
	out->chunk_bytes = db_count(db, "SELECT coalesce(sum(length(data)), 0) FROM chunks");
	out->max_seq = db_count(db, st_sql_text[Q_MAX_SEQ]);
	return 0;
}

int st_db_peer_record(struct st_db *db, const struct st_db_peer *p)
{
	sqlite3_stmt *s = db_q(db, Q_PEER_PUT);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, p->device, ST_ID_LEN);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)p->last_sync_ms);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)p->ops_in);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)p->ops_out);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)p->bytes_in);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)p->bytes_out);
	sqlite3_bind_int(s, 7, p->identical);
	st__bind_id(s, 8, p->digest, ST_ID_LEN);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)p->agreed_seq);
	sqlite3_bind_int(s, 10, p->own);
	return st__db_step_done(s);
}

int st_db_peers(struct st_db *db, st_peer_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_PEERS], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	int r = 0;
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct st_db_peer p = { 0 };
		if (sqlite3_column_bytes(s, 0) == ST_ID_LEN)
			memcpy(p.device, sqlite3_column_blob(s, 0), ST_ID_LEN);
		p.last_sync_ms = (uint64_t)sqlite3_column_int64(s, 1);
		p.ops_in = (uint64_t)sqlite3_column_int64(s, 2);
		p.ops_out = (uint64_t)sqlite3_column_int64(s, 3);
		p.bytes_in = (uint64_t)sqlite3_column_int64(s, 4);
		p.bytes_out = (uint64_t)sqlite3_column_int64(s, 5);
		p.identical = sqlite3_column_int(s, 6);
		if (sqlite3_column_bytes(s, 7) == ST_ID_LEN)
			memcpy(p.digest, sqlite3_column_blob(s, 7), ST_ID_LEN);
		p.agreed_seq = (uint64_t)sqlite3_column_int64(s, 8);
		p.own = sqlite3_column_int(s, 9);
		r = fn(arg, &p);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = st__db_err(rc);
	sqlite3_finalize(s);
	return r;
}

int st_db_share(struct st_db *db, const char *coll, const char *zone, int on)
{
	if (!st_coll_valid(coll, strlen(coll), 0) || !*zone || strlen(zone) > 255)
		return SP_EMALFORMED;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, on ? "INSERT OR IGNORE INTO shares(coll, zone) VALUES (?1, ?2)"
						: "DELETE FROM shares WHERE coll = ?1 AND zone = ?2",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, zone, -1, SQLITE_STATIC);
	rc = st__db_step_done(s);
	int changed = sqlite3_changes(db->sql);
	sqlite3_finalize(s);
	if (rc == 0 && !on && changed == 0)
		return SP_ENOTFOUND;
	return rc;
}

int st_db_shares(struct st_db *db, st_share_fn fn, void *arg)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, "SELECT coll, zone FROM shares ORDER BY zone, coll", -1,
				    &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	int r = 0;
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		r = fn(arg, (const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1));
	if (r == 0 && rc != SQLITE_DONE)
		r = st__db_err(rc);
	sqlite3_finalize(s);
	return r;
}

sqlite3 *st_db_sqlite(struct st_db *db)
{
	return db->sql;
}

/* ---- the replica interface (st_replica.h) ---- */

static int filter_pass(const struct st_filter *f, const char *coll)
{
	if (!f || !f->colls)
		return 1;
	for (size_t i = 0; i < f->n_colls; i++)
		if (strcmp(f->colls[i], coll) == 0)
			return 1;
	return 0;
}

static void rp_self(void *ctx, uint8_t device[ST_ID_LEN], uint8_t epoch[ST_EPOCH_LEN])
{
	struct st_db *db = ctx;
	memcpy(device, db->device, ST_ID_LEN);
	memcpy(epoch, db->epoch, ST_EPOCH_LEN);
}

static uint64_t rp_max_seq(void *ctx)
{
	return db_count(ctx, st_sql_text[Q_MAX_SEQ]);
}

static int rp_ops_since(void *ctx, uint64_t after, const struct st_filter *f, size_t max_bytes,
			st_op_fn fn, void *arg, uint64_t *last)
{
	struct st_db *db = ctx;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_OPS_SINCE], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)after);
	size_t bytes = 0;
	int r = 0;
	*last = after;
	while (r == 0 && bytes < max_bytes && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		const char *coll = (const char *)sqlite3_column_text(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 2);
		if (filter_pass(f, coll)) {
			r = fn(arg, seq, sqlite3_column_blob(s, 2), len);
			bytes += len;
		}
		*last = seq;
	}
	if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = st__db_err(rc);
	sqlite3_finalize(s);
	return r;
}

static int rp_get(void *ctx, const uint8_t id[ST_ID_LEN], st_op_fn fn, void *arg)
{
	struct st_db *db = ctx;
	sqlite3_stmt *s = db_q(db, Q_OP_RAW);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, id, ST_ID_LEN);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return SP_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return st__db_err(rc);
	return fn(arg, (uint64_t)sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1),
		  (size_t)sqlite3_column_bytes(s, 1));
}

struct rp_apply {
	const uint8_t *raw;
	size_t len;
};

static int rp_items(void *ctx, const struct st_filter *f, struct st_item **out, size_t *n);

static int rp_apply_body(struct st_db *db, void *arg)
{
	struct rp_apply *a = arg;
	struct st_op op;
	if (st_op_decode(&op, a->raw, a->len) != 0)
		return SP_EMALFORMED;
	int rc = st_hlc_observe(&db->hlc, op.hlc, st_wall_ms());
	if (rc != 0)
		return rc;
	uint8_t id[ST_ID_LEN];
	st_op_id(a->raw, a->len, id);
	return db_store(db, &op, a->raw, a->len, id);
}

static int rp_apply(void *ctx, const uint8_t *op, size_t len, uint64_t *seq)
{
	struct st_db *db = ctx;
	struct rp_apply a = { op, len };
	int rc = st__db_in_txn(db, rp_apply_body, &a);
	if (rc == 0 && seq)
		*seq = db->last_seq;
	return rc;
}

/*
 * A frame's applies are a savepoint: its own transaction when none is open,
 * or a part of the caller's (the store plane runs a whole job in one), so
 * that a frame that fails is undone alone.
 */
static int rp_begin(void *ctx)
{
	return st__db_exec(ctx, "SAVEPOINT st_frame");
}

static int rp_end(void *ctx, int commit)
{
	struct st_db *db = ctx;
	if (commit)
		return st__db_exec(db, "RELEASE st_frame");
	st__db_invalidate(db);
	int rc = st__db_exec(db, "ROLLBACK TO st_frame");
	int rc2 = st__db_exec(db, "RELEASE st_frame");
	return rc ? rc : rc2;
}

static int rp_digest(void *ctx, const struct st_filter *f, struct st_fp *out)
{
	struct st_db *db = ctx;
	if (!f || !f->colls) {
		if (!db->fp_valid) {
			sqlite3_stmt *s = db_q(db, Q_IDS);
			if (!s)
				return -EIO;
			struct st_fp fp = { 0 };
			int rc;
			while ((rc = sqlite3_step(s)) == SQLITE_ROW)
				if (sqlite3_column_bytes(s, 0) == ST_ID_LEN)
					st_fp_add(&fp, sqlite3_column_blob(s, 0));
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				return st__db_err(rc);
			db->fp = fp;
			db->fp_valid = 1;
		}
		*out = db->fp;
		return 0;
	}
	struct st_item *items;
	size_t n;
	int rc = rp_items(ctx, f, &items, &n);
	if (rc != 0)
		return rc;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		st_fp_add(out, items[i].id);
	free(items);
	return 0;
}

/* Read the items passing f from the tables, sorted (malloc'd). */
static int items_load(struct st_db *db, const struct st_filter *f, struct st_item **out, size_t *n)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->sql, st_sql_text[Q_ITEMS], -1, &s, NULL);
	if (rc != SQLITE_OK)
		return st__db_err(rc);
	size_t cap = 0, k = 0;
	struct st_item *v = NULL;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!filter_pass(f, (const char *)sqlite3_column_text(s, 2)) ||
		    sqlite3_column_bytes(s, 1) != ST_ID_LEN)
			continue;
		if (k == cap) {
			size_t ncap = cap ? 2 * cap : 1024;
			struct st_item *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				free(v);
				sqlite3_finalize(s);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[k].hlc = (uint64_t)sqlite3_column_int64(s, 0);
		memcpy(v[k].id, sqlite3_column_blob(s, 1), ST_ID_LEN);
		k++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(v);
		return st__db_err(rc);
	}
	*out = v;
	*n = k;
	return 0;
}

static int rp_items(void *ctx, const struct st_filter *f, struct st_item **out, size_t *n)
{
	struct st_db *db = ctx;
	if (f && f->colls)
		return items_load(db, f, out, n);	/* a friend's subset: not cached */
	if (!db->items_valid) {
		free(db->items);
		db->items = NULL;
		db->n_items = db->n_tail = 0;
		int rc = items_load(db, NULL, &db->items, &db->n_items);
		if (rc != 0) {
			db->items = NULL;
			db->n_items = 0;
			return rc;
		}
		db->items_valid = 1;
	} else if (items_merge(db) != 0) {
		return items_load(db, NULL, out, n);
	}
	/* The session owns what it is given (st_recon frees it): a copy. */
	struct st_item *v = malloc((db->n_items ? db->n_items : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (db->n_items)
		memcpy(v, db->items, db->n_items * sizeof(*v));
	*out = v;
	*n = db->n_items;
	return 0;
}

static int rp_cursor_get(void *ctx, const uint8_t peer[ST_ID_LEN],
			 uint8_t peer_epoch[ST_EPOCH_LEN], uint64_t *seq)
{
	sqlite3_stmt *s = db_q(ctx, Q_CUR_GET);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, peer, ST_ID_LEN);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return SP_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return st__db_err(rc);
	if (sqlite3_column_bytes(s, 0) != ST_EPOCH_LEN)
		return SP_ENOTFOUND;
	memcpy(peer_epoch, sqlite3_column_blob(s, 0), ST_EPOCH_LEN);
	*seq = (uint64_t)sqlite3_column_int64(s, 1);
	return 0;
}

static int rp_cursor_put(void *ctx, const uint8_t peer[ST_ID_LEN],
			 const uint8_t peer_epoch[ST_EPOCH_LEN], uint64_t seq)
{
	sqlite3_stmt *s = db_q(ctx, Q_CUR_PUT);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, peer, ST_ID_LEN);
	st__bind_id(s, 2, peer_epoch, ST_EPOCH_LEN);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)seq);
	int rc = st__db_step_done(s);
	if (rc != 0 || !(s = db_q(ctx, Q_CUR_FORGET)))
		return rc ? rc : -EIO;
	/* A peer's new epoch is a new database: the old cursor means nothing. */
	st__bind_id(s, 1, peer, ST_ID_LEN);
	st__bind_id(s, 2, peer_epoch, ST_EPOCH_LEN);
	return st__db_step_done(s);
}

static int rp_chunk_has(void *ctx, const uint8_t hash[ST_HASH_LEN])
{
	sqlite3_stmt *s = db_q(ctx, Q_CHUNK_HAS);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, hash, ST_HASH_LEN);
	int rc = sqlite3_step(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : st__db_err(rc);
}

static int rp_chunk_get(void *ctx, const uint8_t hash[ST_HASH_LEN], uint8_t **data, size_t *len)
{
	sqlite3_stmt *s = db_q(ctx, Q_CHUNK_GET);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, hash, ST_HASH_LEN);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		return SP_ENOTFOUND;
	if (rc != SQLITE_ROW)
		return st__db_err(rc);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, sqlite3_column_blob(s, 0), n);
	*data = p;
	*len = n;
	return 0;
}

static int rp_chunk_put(void *ctx, const uint8_t hash[ST_HASH_LEN], const uint8_t *data,
			size_t len)
{
	uint8_t h[ST_HASH_LEN];
	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	if (sodium_memcmp(h, hash, ST_HASH_LEN) != 0)
		return SP_EAUTH;
	sqlite3_stmt *s = db_q(ctx, Q_CHUNK_PUT);
	if (!s)
		return -EIO;
	st__bind_id(s, 1, hash, ST_HASH_LEN);
	sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_STATIC);
	return st__db_step_done(s);
}

static const struct st_replica_vt st_db_vt = {
	.self = rp_self, .max_seq = rp_max_seq, .ops_since = rp_ops_since, .get = rp_get,
	.apply = rp_apply, .begin = rp_begin, .end = rp_end, .items = rp_items,
	.digest = rp_digest, .gone = st__rp_gone, .forget = st__rp_forget,
	.cursor_get = rp_cursor_get,
	.cursor_put = rp_cursor_put, .chunk_has = rp_chunk_has, .chunk_get = rp_chunk_get,
	.chunk_put = rp_chunk_put,
};

struct st_replica st_db_replica(struct st_db *db)
{
	return (struct st_replica){ &st_db_vt, db };
}
