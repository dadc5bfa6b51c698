/*
 * st_replica.h - what the sync protocol needs of a replica (the seam
 * between the pure sync code, st_session, and the database, st_db).
 *
 * A replica is a set of ops plus what it remembers of its peers.  Each op it
 * stores gets a local sequence number in arrival order (never reused), so a
 * peer that remembers "I have all of yours up to seq N" (a cursor, valid for
 * one database epoch) needs only the ops after N: the fast path.  The items,
 * (hlc, op id) pairs in (hlc, id) order, are what range-based reconciliation
 * compares: the repair path that needs no memory of the peer.
 *
 * st_db implements this over SQLite (st_db_replica); tests/store/ has an
 * in-memory one.  All calls happen on the one thread that owns the replica.
 */
#ifndef STORE_ST_REPLICA_H
#define STORE_ST_REPLICA_H

#include <stddef.h>
#include <stdint.h>

#include "store/st_op.h"

#define ST_EPOCH_LEN 16		/* random per database: a recreated one starts afresh */
#define ST_HASH_LEN 32		/* chunk hashes: BLAKE2b-256 of the chunk */

/* One element of the reconciled set. */
struct st_item {
	uint64_t hlc;
	uint8_t id[ST_ID_LEN];
};

/* Order of items: hlc, then id bytes.  <0, 0, >0 like memcmp. */
int st_item_cmp(const struct st_item *a, const struct st_item *b);

/*
 * Which ops a session exchanges.  Own devices: every collection (colls
 * NULL).  A friend: only the collections shared with the friend's zone, and
 * nothing is accepted from them (the session refuses their OPS).
 */
struct st_filter {
	const char *const *colls;	/* NULL: all; else n_colls names */
	size_t n_colls;
};

/* Called for each op visited; a non-zero return stops the walk and is returned. */
typedef int (*st_op_fn)(void *arg, uint64_t seq, const uint8_t *op, size_t len);

struct st_replica_vt {
	/* This replica's device id and database epoch. */
	void (*self)(void *ctx, uint8_t device[ST_ID_LEN], uint8_t epoch[ST_EPOCH_LEN]);
	/* The highest local seq assigned (0: empty). */
	uint64_t (*max_seq)(void *ctx);
	/*
	 * Visit ops with seq > after in seq order that pass filter, until fn
	 * stops it or about max_bytes of ops were visited; *last gets the
	 * last seq looked at (passing or not), so the caller can resume.
	 */
	int (*ops_since)(void *ctx, uint64_t after, const struct st_filter *f, size_t max_bytes,
			 st_op_fn fn, void *arg, uint64_t *last);
	/* Visit the op with this id (fn called once), or SP_ENOTFOUND. */
	int (*get)(void *ctx, const uint8_t id[ST_ID_LEN], st_op_fn fn, void *arg);
	/*
	 * Apply one encoded op (untrusted: decoded and checked here) received
	 * from a peer: 0 stored, 1 already held, SP_EMALFORMED, SP_ELIMIT
	 * (clock skew), or a storage error.  Idempotent; order-independent.
	 */
	int (*apply)(void *ctx, const uint8_t *op, size_t len);
	/*
	 * All items passing f, sorted, in a malloc'd array the caller frees:
	 * 0 or -ENOMEM.
	 */
	int (*items)(void *ctx, const struct st_filter *f, struct st_item **out, size_t *n);
	/* The cursor kept for a peer's database: the last seq of theirs we hold all up to. */
	int (*cursor_get)(void *ctx, const uint8_t peer[ST_ID_LEN],
			  const uint8_t peer_epoch[ST_EPOCH_LEN], uint64_t *seq);
	int (*cursor_put)(void *ctx, const uint8_t peer[ST_ID_LEN],
			  const uint8_t peer_epoch[ST_EPOCH_LEN], uint64_t seq);
	/* Chunks (files): has, get into a malloc'd buffer, put (hash checked here). */
	int (*chunk_has)(void *ctx, const uint8_t hash[ST_HASH_LEN]);	/* 1, 0, <0 */
	int (*chunk_get)(void *ctx, const uint8_t hash[ST_HASH_LEN], uint8_t **data, size_t *len);
	int (*chunk_put)(void *ctx, const uint8_t hash[ST_HASH_LEN], const uint8_t *data, size_t len);
};

struct st_replica {
	const struct st_replica_vt *vt;
	void *ctx;
};

#endif
