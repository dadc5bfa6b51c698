/*
 * store_int.h - the store plane's state (internal to src/store; loop code):
 * store_plane.c (lifecycle, the listener, finding the own devices),
 * store_conn.c (one sync connection: a stream on the loop, its session on
 * the worker thread), store_ctl.c (the `store` control word).
 *
 * Threads: everything here is loop-thread state except what a job's run()
 * touches, which is the worker's: the database, and each connection's
 * session (struct store_cjob's worker half).  A connection has at most one
 * job queued or running, so its frames reach its session in order.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/interval.h"
#include "core/node.h"
#include "core/stream.h"
#include "store/st_db.h"
#include "store/st_session.h"
#include "store/st_work.h"

#define STORE_CONNS_MAX 32		/* sync connections at once, both directions */
#define STORE_INBOX_MAX (4u << 20)	/* bytes of one peer waiting for the worker */
#define STORE_SHARES_MAX 64		/* (collection, zone) pairs shared with friends */

/* Who is at the other end, decided from the overlay address the tunnel vouches for. */
enum store_kind {
	STORE_OWN,		/* one of the user's own devices: everything, both ways */
	STORE_FRIEND,		/* a friend's device: reads the collections shared with its zone */
	STORE_READER,		/* we read what a friend shares with us, into its own replica */
};

#define STORE_FRIENDS_MAX 16

/* A zone whose devices we look for: the own, or a friend's (we read what it shares). */
struct store_zone {
	struct store_plane *sp;
	char zone[256];
	uint8_t prefix[16];
	bool own, used;
};

/* A friend's replica on this device (worker thread only): what it shares with us. */
struct store_fdb {
	char zone[256];
	struct st_db *db;
};

struct store_share {
	char coll[ST_COLL_MAX + 1];
	char zone[256];
	uint8_t prefix[16];		/* the zone's overlay /48 */
};

struct store_conn;

/* A connection's one job, and the session it drives on the worker thread. */
struct store_cjob {
	struct st_job job;
	struct store_conn *c;
	/* Worker half. */
	struct st_session *sess;
	struct st_db *db;		/* STORE_READER: the friend's replica; else NULL (the own) */
	const char *colls[STORE_SHARES_MAX];	/* a friend's filter (names in the plane's copy) */
	char coll_names[STORE_SHARES_MAX][ST_COLL_MAX + 1];
	size_t n_colls;
	bool files_dirty;	/* manifests may have come: look for chunks to fetch */
	unsigned chunks_out;	/* chunk requests outstanding */
	uint8_t (*fetchq)[ST_HASH_LEN];	/* missing chunks found by the last scan */
	size_t fetch_n, fetch_at;
	uint64_t recorded_ops;	/* ops in+out at the last peers-table record, and what it said */
	int recorded_identical;
	uint8_t recorded_digest[ST_ID_LEN];
	/* Exchanged at each run: loop -> worker ... */
	uint8_t *in;
	size_t in_len;
	bool notify, close;
	size_t own_devices;		/* other own devices the zone lists (tombstone collection) */
	/* ... worker -> loop. */
	uint8_t *out;
	size_t out_len;
	bool more;		/* the session has more output ready */
	size_t stored;		/* ops stored from the peer in this run */
	int rc;
	enum st_session_state state;
	struct st_session_stats stats;
	char error[256];
};

struct store_conn {
	struct sp_stream st;		/* first: the stream helper's container */
	struct store_plane *sp;
	struct store_conn *next;
	uint8_t addr[16];		/* the peer's overlay address */
	char name[64];			/* for logs: its address */
	char zone[256];			/* STORE_READER: the friend's zone */
	enum store_kind kind;
	bool outgoing, started, opened, dead, busy, notify, stream_closed;
	uint8_t peer_key[32];		/* its WireGuard key (the tunnel's) */
	uint8_t peer_dev[ST_ID_LEN];	/* its store device id */
	uv_connect_t connect_req;
	uint8_t *inq;			/* frames waiting for the worker */
	size_t inq_len, inq_cap;
	bool more;			/* the session had more output when its job ended */
	struct store_cjob job;
	/* Copies from the last job, for status and `store sync status`. */
	enum st_session_state state;
	struct st_session_stats stats;
	char error[256];
};

struct store_plane {
	struct sp_node *node;
	bool enabled;
	char off_reason[256];
	char zone[256];			/* own zone, absolute */
	char fqdn[300];			/* this device's name */
	uint8_t prefix[16], overlay[16];
	uint8_t device[ST_ID_LEN];
	uint16_t port;
	char path[4096];
	struct st_db *db;		/* the worker's, once started */
	struct st_work *work;
	uv_tcp_t listener;
	uv_timer_t discover, tick;
	unsigned handles;		/* open handles of the plane itself */
	struct store_conn *conns;
	unsigned n_conns;
	struct store_share shares[STORE_SHARES_MAX];
	size_t n_shares;
	struct store_zone zones[1 + STORE_FRIENDS_MAX];	/* [0]: the own */
	struct store_fdb fdb[STORE_FRIENDS_MAX];	/* the worker's */
	struct sp_stream_stats stream_stats;
	uint64_t accepted, refused, connects, lookups;
	size_t n_own_devices;		/* other devices in the own zone's _devices list */
	bool stopping, work_closed;
};

extern struct sp_interval store_iv_discover;

/* store_plane.c: free the plane once stopped and everything it owned has closed. */
void store__maybe_free(struct store_plane *sp);

/* store_plane.c: read what zone shares with us, from its devices (loop thread). */
void store__follow(struct store_plane *sp, const char *zone);

/* store_plane.c, on the worker: the replica of what friend zone shares with us (opened on first use). */
struct st_db *store__friend_db(struct store_plane *sp, const char *zone);

/* store_conn.c: connect to a device of z (own, or a friend's to read from). */
int store__connect(struct store_plane *sp, const struct store_zone *z,
		   const uint8_t addr[16]) SP_MUST_CHECK;
void store__accept(struct store_plane *sp);
/* Wake every session: local ops were written (or came from one peer: skip). */
void store__notify(struct store_plane *sp, const struct store_conn *except);
void store__kick_all(struct store_plane *sp);
void store__close_all(struct store_plane *sp);
struct store_conn *store__conn_by_addr(struct store_plane *sp, const uint8_t addr[16]);

/* store_ctl.c */
int store__ctl_start(struct store_plane *sp) SP_MUST_CHECK;
/* Reload the loop's copy of the shares from the database (through the worker). */
void store__shares_load(struct store_plane *sp);

#endif
