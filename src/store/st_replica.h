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

/*
 * A device's store id: BLAKE2b-128 of "signpost store device" and its
 * WireGuard (X25519) public key, so a peer computes it from the key the
 * tunnel authenticated, and the HELLO's device must be that one.
 */
void st_device_id(const uint8_t wg_public[32], uint8_t out[ST_ID_LEN]);

/* Order of items: hlc, then id bytes.  <0, 0, >0 like memcmp. */
int st_item_cmp(const struct st_item *a, const struct st_item *b);

/*
 * The fingerprint of a set of ids: their sum as 128-bit little-endian
 * integers, and their count (order-free, so it can be kept up to date one
 * op at a time and taken over any range from prefix sums).  The digest
 * both sides compare is BLAKE2b-128 of the sum and count.  Op ids are
 * BLAKE2b outputs of the ops, so only a peer who could forge hash
 * preimages could make two different sets sum alike; the peers are the
 * user's own devices or friends reading, and a wrong "identical" costs a
 * missed repair, never a lost or accepted op.
 */
struct st_fp {
	uint64_t lo, hi, n;
};
void st_fp_add(struct st_fp *f, const uint8_t id[ST_ID_LEN]);
/* a - b: the fingerprint of a range from two prefix sums. */
struct st_fp st_fp_sub(struct st_fp a, struct st_fp b);
void st_fp_digest(const struct st_fp *f, uint8_t out[ST_ID_LEN]);

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
	/* Group the applies of one frame: all stored, or (commit 0) none. */
	int (*begin)(void *ctx);
	int (*end)(void *ctx, int commit);
	/* Visit the op with this id (fn called once), or SP_ENOTFOUND. */
	int (*get)(void *ctx, const uint8_t id[ST_ID_LEN], st_op_fn fn, void *arg);
	/*
	 * Apply one encoded op (untrusted: decoded and checked here) received
	 * from a peer: 0 stored (its new local seq in *seq), 1 already held,
	 * SP_EMALFORMED, SP_ELIMIT (clock skew), or a storage error.
	 * Idempotent; order-independent.
	 */
	int (*apply)(void *ctx, const uint8_t *op, size_t len, uint64_t *seq);
	/*
	 * All items passing f, sorted, in a malloc'd array the caller frees:
	 * 0 or -ENOMEM.
	 */
	int (*items)(void *ctx, const struct st_filter *f, struct st_item **out, size_t *n);
	/* The fingerprint of the ops passing f (what HELLO and DONE carry). */
	int (*digest)(void *ctx, const struct st_filter *f, struct st_fp *out);
	/*
	 * Ops collected as garbage (st_db_gc): gone() says whether this id was
	 * one (0, with its stamp and collection) or not (SP_ENOTFOUND);
	 * forget() takes a peer's word that it was (the op goes too if held
	 * here; untrusted input: checked).
	 */
	int (*gone)(void *ctx, const uint8_t id[ST_ID_LEN], uint64_t *hlc, char *coll, size_t cap);
	int (*forget)(void *ctx, uint64_t hlc, const uint8_t id[ST_ID_LEN], const char *coll,
		      size_t coll_len);
	/*
	 * The cursor kept for a peer: the epoch of its database we last synced
	 * with and the last seq of theirs we hold all up to; SP_ENOTFOUND if
	 * none.  Putting one for a new epoch forgets the old.
	 */
	int (*cursor_get)(void *ctx, const uint8_t peer[ST_ID_LEN],
			  uint8_t peer_epoch[ST_EPOCH_LEN], uint64_t *seq);
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
