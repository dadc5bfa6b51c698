/*
 * st_session.h - one sync session with one peer (pure code: bytes in,
 * bytes out, over an st_replica; the store plane owns the socket).
 * docs/ARCHITECTURE.md, "Store plane", has a session step by step.
 *
 * Both sides send HELLO at once.  Then:
 *
 *   in step   the digests in the HELLOs agree: nothing more (one round trip);
 *   cursor    both remember each other (own devices, same database epochs):
 *             each streams the ops after the peer's cursor, then CAUGHT_UP;
 *   recon     otherwise: range-based reconciliation (st_recon.h), WANT and
 *             OPS for the differences, then CAUGHT_UP.
 *
 * After both CAUGHT_UPs each side sends DONE with its digest; agreeing
 * digests mean identical replicas.  A cursor sync whose digests disagree
 * (a restored database, say) repairs itself once by reconciling.  Then
 * the session is LIVE: new local ops are pushed as they are written
 * (st_session_notify), and file chunks are fetched on demand.
 *
 *   HELLO --> SYNC --> LIVE         any error --> CLOSED
 */
#ifndef STORE_ST_SESSION_H
#define STORE_ST_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/st_replica.h"

/* Output is produced up to about this much before the writer drains it. */
#define ST_OUT_HIGH (256u * 1024u)
/* Chunk requests one peer may have outstanding with us. */
#define ST_CHUNKQ_MAX 256
/* Op ids one session may have queued to send (WANTs and reconciliation). */
#define ST_SENDQ_MAX (4u * 1024u * 1024u)

enum st_session_state { ST_S_HELLO, ST_S_SYNC, ST_S_LIVE, ST_S_CLOSED };
enum st_sync_path { ST_PATH_NONE, ST_PATH_IN_STEP, ST_PATH_CURSOR, ST_PATH_RECON };

const char *st_session_state_name(enum st_session_state s);
const char *st_sync_path_name(enum st_sync_path p);

struct st_session_cfg {
	uint8_t peer[ST_ID_LEN];	/* the device the tunnel says is at the other end */
	struct st_filter filter;	/* the set compared and sent (colls NULL: all) */
	int send;			/* we may send ops (a friend's reader may not) */
	int accept;			/* we accept ops (from a friend: never) */
	int initiator;			/* the side that connected starts reconciliation */
	int no_cursor;			/* reconcile even when cursors would do (bench) */
	/* A chunk asked for with st_session_want_chunk arrived (rc 0, stored) or
	 * the peer has none (SP_ENOTFOUND).  May be NULL. */
	void (*on_chunk)(void *arg, const uint8_t hash[ST_HASH_LEN], int rc);
	/* Ops were stored from the peer (the plane tells its other sessions). */
	void (*on_ops)(void *arg, size_t n);
	void *arg;
};

struct st_session_stats {
	enum st_sync_path path;
	uint64_t ops_in, ops_out, bytes_in, bytes_out, frames_in, frames_out;
	uint64_t recon_rounds;		/* RANGES frames both ways */
	int synced;			/* DONE exchanged at least once */
	int identical;			/* the digests agreed at the last DONE or HELLO */
	uint8_t digest[ST_ID_LEN];	/* ours then */
	uint64_t agreed_seq;		/* identical: the peer holds all our ops up to this seq */
	uint64_t gone_in, gone_out;	/* collected ops announced (GONE) each way */
};

struct st_session;

/* A new session over rep (borrowed); it queues its HELLO.  0 or -ENOMEM. */
int st_session_new(struct st_replica rep, const struct st_session_cfg *cfg,
		   struct st_session **out) SP_MUST_CHECK;
void st_session_free(struct st_session *s);

/*
 * Bytes from the peer.  0, or an error: the session is CLOSED, an ERROR
 * frame for the peer waits in the output, and the frame that failed
 * changed nothing in the replica.
 */
int st_session_input(struct st_session *s, const uint8_t *p, size_t n) SP_MUST_CHECK;

/* Bytes to write to the peer now (may be 0); st_session_sent says how many went. */
const uint8_t *st_session_output(struct st_session *s, size_t *len);
int st_session_sent(struct st_session *s, size_t n) SP_MUST_CHECK;

/* Local ops were written: push them to the peer when LIVE. */
int st_session_notify(struct st_session *s) SP_MUST_CHECK;
/* Ask the peer for a chunk (answered through cfg->on_chunk). */
int st_session_want_chunk(struct st_session *s, const uint8_t hash[ST_HASH_LEN]) SP_MUST_CHECK;

enum st_session_state st_session_state(const struct st_session *s);
const struct st_session_stats *st_session_stats(const struct st_session *s);
/* Why it closed: our error or the peer's ERROR text ("" if none). */
const char *st_session_error(const struct st_session *s);

#endif
