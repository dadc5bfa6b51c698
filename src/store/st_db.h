/*
 * st_db.h - one device's replica in SQLite (WAL mode).
 * docs/ARCHITECTURE.md, "Store plane", lists the tables.
 *
 * Synchronous and single-threaded: the store plane calls it from its one
 * worker thread (st_work), never from the event loop.  Writes stamp ops with
 * the database's hybrid logical clock; reads show the resolved state:
 *
 *   heads of a key: its ops that no other op of the key has seen;
 *   winner: the head with the greatest (hlc, device, id);
 *   value: the winner's, or absent when the winner is a delete;
 *   conflicts: every other head, kept visible until a later write, which
 *   lists all heads it saw in its seen set, settles them.
 */
#ifndef STORE_ST_DB_H
#define STORE_ST_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/st_op.h"
#include "store/st_replica.h"

struct st_db;
struct sqlite3;

/*
 * Open (creating it and its tables if needed) the database at path, for
 * the device with this id.  An existing database of another device is
 * refused (SP_ESTATE).  ":memory:" works, for tests.
 */
int st_db_open(const char *path, const uint8_t device[ST_ID_LEN], struct st_db **out) SP_MUST_CHECK;
void st_db_close(struct st_db *db);

/* Group writes in one transaction (st_db_put/del inside commit at _commit). */
int st_db_begin(struct st_db *db) SP_MUST_CHECK;
int st_db_commit(struct st_db *db) SP_MUST_CHECK;

#define ST_DB_RESERVED 0x1	/* flag: the collection may be a reserved one (_files) */

/*
 * Put a JSON document (checked) / delete a key, as a new op that has seen
 * every current head of the key.  wall_ms is the wall clock.  The op's id
 * goes to id (may be NULL).  SP_EMALFORMED for a bad name or JSON.
 */
int st_db_put(struct st_db *db, const char *coll, const char *key, const char *json, size_t len,
	      unsigned flags, uint64_t wall_ms, uint8_t id[ST_ID_LEN]) SP_MUST_CHECK;
int st_db_del(struct st_db *db, const char *coll, const char *key, unsigned flags,
	      uint64_t wall_ms, uint8_t id[ST_ID_LEN]) SP_MUST_CHECK;

/* One value of a key: the winner, or a conflicting head. */
struct st_value {
	const char *json;		/* NULL: a delete */
	size_t len;
	uint64_t hlc;
	uint8_t device[ST_ID_LEN];
	uint8_t id[ST_ID_LEN];
	int winner;
};

/* Called per key (ls, search) or per value (conflicts); non-zero stops and is returned. */
typedef int (*st_value_fn)(void *arg, const char *coll, const char *key,
			   const struct st_value *v, size_t n_conflicts);

/* The winning value of coll/key (fn called once), or SP_ENOTFOUND (absent or deleted). */
int st_db_get(struct st_db *db, const char *coll, const char *key, st_value_fn fn, void *arg);
/* Every present key of coll in key order. */
int st_db_ls(struct st_db *db, const char *coll, st_value_fn fn, void *arg);
/* Documents whose JSON text matches an FTS5 query, best first, at most limit. */
int st_db_search(struct st_db *db, const char *query, size_t limit, st_value_fn fn, void *arg);
/* Every conflicted key: fn once per head (winner first), n_conflicts = heads - 1. */
int st_db_conflicts(struct st_db *db, st_value_fn fn, void *arg);

/* Counts for status: ops held, present documents, conflicted keys, chunks, bytes of chunks. */
struct st_db_stats {
	uint64_t ops, docs, conflicts, chunks, chunk_bytes, max_seq;
};
int st_db_stats(struct st_db *db, struct st_db_stats *out);

/* Per-peer sync record, kept in the peers table (sync status). */
struct st_db_peer {
	uint8_t device[ST_ID_LEN];
	uint64_t last_sync_ms;		/* wall clock of the last completed sync; 0 never */
	uint64_t ops_in, ops_out, bytes_in, bytes_out;
	int identical;			/* digests agreed at the last sync */
	uint8_t digest[ST_ID_LEN];	/* the agreed digest then */
	uint64_t agreed_seq;		/* our max seq when digests last agreed: it holds all up to it */
	int own;			/* one of the user's own devices (counts for collection) */
};
int st_db_peer_record(struct st_db *db, const struct st_db_peer *p) SP_MUST_CHECK;
typedef int (*st_peer_fn)(void *arg, const struct st_db_peer *p);
int st_db_peers(struct st_db *db, st_peer_fn fn, void *arg);

/*
 * Collections shared, read-only, with a friend's zone (absolute, lower
 * case): share (on) or unshare (SP_ENOTFOUND if it was not shared).
 */
int st_db_share(struct st_db *db, const char *coll, const char *zone, int on) SP_MUST_CHECK;
typedef int (*st_share_fn)(void *arg, const char *coll, const char *zone);
int st_db_shares(struct st_db *db, st_share_fn fn, void *arg);

/*
 * Collecting tombstones (st_gc.c).  A key whose only head is a delete
 * stamped at local seq <= upto, when every own device holds all our ops
 * up to upto, needs none of its ops any more: they are removed, and only
 * their ids (with stamp and collection) are kept in `collected`, so the set
 * the peers reconcile is unchanged, an old op that comes again is "held",
 * and a device that never had them is told they are gone (GONE).
 *
 * st_db_gc_horizon: the upto that every own device has agreed to (the
 * least agreed_seq of the own peers), if at least own_devices (> 0) of them
 * have a record; else SP_ENOTFOUND (collect nothing: someone may lack it).
 */
int st_db_gc_horizon(struct st_db *db, size_t own_devices, uint64_t *upto) SP_MUST_CHECK;
int st_db_gc(struct st_db *db, uint64_t upto, size_t *collected) SP_MUST_CHECK;

/* This database as the sync protocol's replica (valid while db is open). */
struct st_replica st_db_replica(struct st_db *db);

/* The SQLite handle, for the store's own modules (st_files); not for other planes. */
struct sqlite3 *st_db_sqlite(struct st_db *db);

#endif
