/*
 * st_db_int.h - the replica's internals shared by st_db.c (tables, writes,
 * the replica interface) and st_gc.c (collecting tombstones).  Internal to
 * src/store; synchronous, single-threaded like st_db.h.
 */
#ifndef STORE_ST_DB_INT_H
#define STORE_ST_DB_INT_H

#include <sqlite3.h>

#include "store/st_db.h"
#include "store/st_hlc.h"

/* The cached statements of st_db.c (its st_sql_text). */
enum st_sql {
	Q_OP_HAS, Q_OP_INSERT, Q_SEEN_INSERT, Q_SEEN_HAS, Q_HEAD_DROP, Q_HEAD_INSERT,
	Q_HEADS_OF, Q_DOC_PUT, Q_DOC_DEL, Q_DOC_ROWID, Q_FTS_DEL, Q_FTS_PUT, Q_DOC_LS, Q_SEARCH, Q_CONFLICT_KEYS, Q_OPS_SINCE, Q_OP_RAW, Q_ITEMS, Q_MAX_SEQ, Q_CUR_GET,
	Q_CUR_PUT, Q_CUR_FORGET, Q_IDS, Q_CHUNK_HAS, Q_CHUNK_GET, Q_CHUNK_PUT, Q_PEER_PUT, Q_PEERS, Q__N
};

struct st_db {
	sqlite3 *sql;
	sqlite3_stmt *q[Q__N];
	uint8_t device[ST_ID_LEN];
	uint8_t epoch[ST_EPOCH_LEN];
	struct st_hlc hlc;
	/* The fingerprint of all ops (HELLO, DONE): kept up to date as ops are
	 * stored, recomputed from the table after a rollback. */
	struct st_fp fp;
	int fp_valid;
	/*
	 * The whole set's items, sorted, for reconciliation (reading and sorting
	 * a million rows costs about a second): items[] plus a tail of those
	 * stored since, merged in when asked.  Dropped like fp on a rollback.
	 */
	struct st_item *items, *tail;
	size_t n_items, n_tail, cap_tail;
	int items_valid;
	uint64_t last_seq;		/* the seq db_store gave its last op */
};

/* The set changed in a way the caches did not follow (a rollback): recompute them when asked. */
void st__db_invalidate(struct st_db *db);
/* A new op was stored: the caches follow it. */
void st__db_added(struct st_db *db, uint64_t hlc, const uint8_t id[ST_ID_LEN]);

/* SQLite result codes to the project's error space. */
int st__db_err(int rc);
/* Step a statement that returns no row (or ignores it): 0 or an error. */
int st__db_step_done(sqlite3_stmt *s);
int st__db_exec(struct st_db *db, const char *sql);
void st__bind_id(sqlite3_stmt *s, int i, const uint8_t *id, size_t len);
/* Recompute the resolved document of coll/key from its heads. */
int st__db_resolve(struct st_db *db, const char *coll, size_t coll_len, const char *key,
		   size_t key_len);
/* Run body inside a transaction unless one is open already. */
int st__db_in_txn(struct st_db *db, int (*body)(struct st_db *, void *), void *arg);

/* st_gc.c: the replica interface's gone() and forget() (st_replica.h). */
int st__rp_gone(void *ctx, const uint8_t id[ST_ID_LEN], uint64_t *hlc, char *coll, size_t cap);
int st__rp_forget(void *ctx, uint64_t hlc, const uint8_t id[ST_ID_LEN], const char *coll,
		  size_t coll_len);

#endif
