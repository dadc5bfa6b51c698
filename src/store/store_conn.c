/*
 * store_conn.c - one sync connection (loop code): a TCP stream to or from
 * a peer's overlay address on the loop, its st_session on the worker.
 *
 * Who the peer is comes from the tunnel, never from the bytes: the peer's
 * overlay address must be a tunnel peer's (tun_whois), its store device id
 * is derived from that peer's WireGuard key, and the session refuses a
 * HELLO that names another.  An address in the own zone's /48 is an own
 * device (everything, both ways); one in the /48 of a zone something is
 * shared with is a friend's device (the shared collections, read-only);
 * anyone else is refused before a byte is read.
 *
 * Flow: frames are gathered in inq while the connection's one job is busy
 * (bounded: STORE_INBOX_MAX holds the stream, so a fast peer waits for our
 * disk); each job feeds them to the session and brings back at most about
 * ST_OUT_HIGH of output, which is written before the next is asked for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/log.h"
#include "store/st_hlc.h"
#include "store/st_files.h"
#include "store/st_frame.h"
#include "store/store_int.h"
#include "tunnel/peers.h"
#include "tunnel/overlay.h"

/* A sync connection is kept open while idle: pushes arrive whenever written. */
#define CONN_KEEPALIVE_S 25

/* ---- the worker half ---- */

static void on_chunk(void *arg, const uint8_t hash[ST_HASH_LEN], int rc)
{
	(void)hash, (void)rc;
	struct store_cjob *j = arg;
	if (j->chunks_out)
		j->chunks_out--;
	j->files_dirty = true;
}

static void on_ops(void *arg, size_t n)
{
	struct store_cjob *j = arg;
	j->stored += n;
	j->files_dirty = true;
}

static int want_chunk(void *arg, const uint8_t hash[ST_HASH_LEN])
{
	struct store_cjob *j = arg;
	if (j->chunks_out >= ST_CHUNKQ_MAX)
		return 1;
	int rc = st_session_want_chunk(j->sess, hash);
	if (rc == SP_ELIMIT)
		return 1;
	if (rc == 0)
		j->chunks_out++;
	return rc;
}

#define FETCH_NAMES 64		/* incomplete files looked at in one scan */
#define FETCH_QUEUE_MAX 65536	/* missing chunks queued by one scan (2 MiB of hashes) */

struct fetch_names {
	char name[FETCH_NAMES][ST_KEY_MAX + 1];
	size_t n;
};

static int note_incomplete(void *arg, const char *name, uint64_t size, uint64_t chunks,
			   size_t missing, const struct st_value *v)
{
	(void)size, (void)chunks, (void)v;
	struct fetch_names *f = arg;
	if (missing == 0)
		return 0;
	snprintf(f->name[f->n++], sizeof(f->name[0]), "%s", name);
	return f->n == FETCH_NAMES;
}

static int queue_missing(void *arg, const uint8_t hash[ST_HASH_LEN])
{
	struct store_cjob *j = arg;
	if (j->fetch_n == FETCH_QUEUE_MAX)
		return 1;
	memcpy(j->fetchq[j->fetch_n++], hash, ST_HASH_LEN);
	return 0;
}

/* Find what is missing of the files here: one scan, then the queue is worked off. */
static void fetch_scan(struct store_cjob *j, struct st_db *db)
{
	struct fetch_names *f = calloc(1, sizeof(*f));
	if (!j->fetchq)
		j->fetchq = malloc(FETCH_QUEUE_MAX * sizeof(*j->fetchq));
	if (!f || !j->fetchq) {
		free(f);
		return;
	}
	j->files_dirty = false;
	j->fetch_n = j->fetch_at = 0;
	(void)st_files_ls(db, note_incomplete, f);
	for (size_t i = 0; i < f->n; i++) {
		size_t n;
		if (st_files_missing(db, f->name[i], queue_missing, j, &n) == 1)
			break;
	}
	/* More than one scan holds: look again once this queue is done. */
	if (f->n == FETCH_NAMES || j->fetch_n == FETCH_QUEUE_MAX)
		j->files_dirty = true;
	free(f);
}

/*
 * Own devices fetch every file's chunks as soon as its manifest is here.
 * Scanning the files costs a lookup per chunk, so it runs only when the
 * queue of the last scan is worked off (index chunks first: the data
 * chunks they list are found by the scan after they arrive).
 */
static void fetch_chunks(struct store_cjob *j, struct st_db *db)
{
	struct st_replica rep = st_db_replica(db);
	if (j->fetch_at == j->fetch_n && j->files_dirty)
		fetch_scan(j, db);
	while (j->chunks_out < ST_CHUNKQ_MAX && j->fetch_at < j->fetch_n) {
		const uint8_t *h = j->fetchq[j->fetch_at++];
		if (rep.vt->chunk_has(rep.ctx, h) == 1)
			continue;	/* another device brought it meanwhile */
		if (want_chunk(j, h) != 0)
			break;
	}
}

/*
 * Remember the peer's sync (sync status), and once every own device has
 * agreed up to some seq, collect the tombstones all of them hold.
 */
static void record_peer(struct store_cjob *j, struct st_db *db)
{
	const struct st_session_stats *st = st_session_stats(j->sess);
	if (!st->synced || (st->ops_in + st->ops_out + 1 == j->recorded_ops &&
			    st->identical == j->recorded_identical &&
			    memcmp(st->digest, j->recorded_digest, ST_ID_LEN) == 0))
		return;
	struct st_db_peer p = { .last_sync_ms = st_wall_ms(), .ops_in = st->ops_in,
				.ops_out = st->ops_out, .bytes_in = st->bytes_in,
				.bytes_out = st->bytes_out, .identical = st->identical,
				.agreed_seq = st->identical ? st->agreed_seq : 0,
				.own = j->c->kind == STORE_OWN };
	memcpy(p.device, j->c->peer_dev, ST_ID_LEN);
	memcpy(p.digest, st->digest, ST_ID_LEN);
	if (st_db_peer_record(db, &p) != 0)
		return;
	j->recorded_ops = st->ops_in + st->ops_out + 1;
	j->recorded_identical = st->identical;
	memcpy(j->recorded_digest, st->digest, ST_ID_LEN);
	uint64_t upto;
	size_t n = 0;
	if (p.own && st_db_gc_horizon(db, j->own_devices, &upto) == 0 &&
	    st_db_gc(db, upto, &n) == 0 && n > 0)
		sp_log(SP_LOG_INFO, "store: collected %zu deleted key%s every own device holds", n,
		       n == 1 ? "" : "s");
}

static void conn_run(struct st_job *job, struct st_db *db)
{
	struct store_cjob *j = (struct store_cjob *)job;
	struct store_conn *c = j->c;
	j->rc = 0;
	j->stored = 0;
	j->out = NULL;
	j->out_len = 0;
	if (j->db)
		db = j->db;
	if (j->close) {
		if (j->sess)
			record_peer(j, db);
		st_session_free(j->sess);
		j->sess = NULL;
		return;
	}
	/* The whole job is one transaction (each frame a savepoint inside it): one commit per
	 * read, not one per chunk or per frame. */
	int txn = 0;
	if (!j->sess) {
		/* Own devices: all, both ways.  A friend reads the shared ones.  We read a friend's. */
		struct st_session_cfg cfg = { .send = c->kind != STORE_READER,
					      .accept = c->kind != STORE_FRIEND,
					      .initiator = c->outgoing, .on_chunk = on_chunk,
					      .on_ops = on_ops, .arg = j };
		memcpy(cfg.peer, c->peer_dev, ST_ID_LEN);
		if (c->kind == STORE_FRIEND)
			cfg.filter = (struct st_filter){ j->colls, j->n_colls };
		if (c->kind == STORE_READER && !(j->db = store__friend_db(c->sp, c->zone)))
			j->rc = -EIO;
		if (j->rc == 0)
			j->rc = st_session_new(st_db_replica(j->db ? j->db : db), &cfg, &j->sess);
		j->files_dirty = c->kind != STORE_FRIEND;
	}
	if (j->db)
		db = j->db;	/* a friend's replica from here on */
	if (j->rc == 0)
		txn = st_db_begin(db) == 0;
	if (j->rc == 0 && j->in_len)
		j->rc = st_session_input(j->sess, j->in, j->in_len);
	free(j->in);
	j->in = NULL;
	j->in_len = 0;
	if (j->rc == 0 && j->notify)
		j->rc = st_session_notify(j->sess);
	if (j->rc == 0 && c->kind != STORE_FRIEND && st_session_state(j->sess) == ST_S_LIVE &&
	    j->chunks_out < ST_CHUNKQ_MAX / 2 && (j->files_dirty || j->fetch_at < j->fetch_n))
		fetch_chunks(j, db);
	/* Nothing the output says may go out uncommitted. */
	int committed = !txn || st_db_commit(db) == 0;
	if (!committed && j->rc == 0)
		j->rc = -EIO;
	if (j->sess) {
		size_t n;
		const uint8_t *o = st_session_output(j->sess, &n);
		if (committed && n && (j->out = malloc(n)) != NULL) {
			memcpy(j->out, o, n);
			j->out_len = n;
			int rc = st_session_sent(j->sess, n);
			if (j->rc == 0)
				j->rc = rc;
		}
		(void)st_session_output(j->sess, &n);
		j->more = n > 0;
		j->state = st_session_state(j->sess);
		j->stats = *st_session_stats(j->sess);
		snprintf(j->error, sizeof(j->error), "%s", st_session_error(j->sess));
		record_peer(j, db);
	}
}

/* ---- the loop half ---- */

static void conn_free(struct store_conn *c)
{
	struct store_plane *sp = c->sp;
	free(c->inq);
	free(c->job.in);
	free(c->job.out);
	free(c->job.fetchq);
	free(c);
	sp->n_conns--;
	store__maybe_free(sp);
}

static void conn_kick(struct store_conn *c);

/* Free c once its stream has closed and its session is gone (two-phase teardown). */
static void conn_finish(struct store_conn *c)
{
	if (c->busy)
		return;	/* conn_done comes back here */
	if (c->job.sess) {
		if (c->sp->work) {
			c->job.close = true;
			c->busy = true;
			st_work_submit(c->sp->work, &c->job.job);
			return;
		}
		/* The worker has stopped: the loop alone holds the session now. */
		st_session_free(c->job.sess);
		c->job.sess = NULL;
	}
	if (c->stream_closed)
		conn_free(c);
}

static void conn_done(struct st_job *job)
{
	struct store_cjob *j = (struct store_cjob *)job;
	struct store_conn *c = j->c;
	c->busy = false;
	if (j->close) {
		conn_finish(c);
		return;
	}
	c->state = j->state;
	c->stats = j->stats;
	memcpy(c->error, j->error, sizeof(c->error));
	c->more = j->more;
	/* A failed write closes the stream, and on_close marks c dead. */
	if (j->out_len && sp_stream_is_open(&c->st) && sp_stream_write(&c->st, j->out, j->out_len))
		sp_debug("store: write to %s failed", c->name);
	free(j->out);
	j->out = NULL;
	j->out_len = 0;
	if (j->stored)
		store__notify(c->sp, c);
	if (c->dead) {
		conn_finish(c);
		return;
	}
	if (j->rc != 0) {
		sp_log(SP_LOG_NOTICE, "store: sync with %s ended: %s", c->name,
		       c->error[0] ? c->error : sp_strerror(j->rc));
		sp_stream_end(&c->st, SP_STREAM_LOCAL);
		return;
	}
	if (c->st.held && c->inq_len < STORE_INBOX_MAX / 2)
		sp_stream_hold(&c->st, false);
	conn_kick(c);
}

/* Hand what waits to the worker, unless a job is out or the socket is backed up. */
static void conn_kick(struct store_conn *c)
{
	struct store_plane *sp = c->sp;
	if (c->busy || c->dead || !sp->work || sp->stopping || !c->started)
		return;
	bool opening = !c->opened;
	bool room = sp_stream_queued(&c->st) < ST_OUT_HIGH;
	if (!opening && !c->inq_len && !c->notify && !(c->more && room))
		return;
	if (!room && !c->inq_len)
		return;
	c->job.in = c->inq;
	c->job.in_len = c->inq_len;
	c->inq = NULL;
	c->inq_len = c->inq_cap = 0;
	c->job.notify = c->notify;
	c->notify = false;
	c->job.own_devices = sp->n_own_devices;
	c->busy = true;
	c->opened = true;
	st_work_submit(sp->work, &c->job.job);
}

void store__kick_all(struct store_plane *sp)
{
	for (struct store_conn *c = sp->conns; c; c = c->next)
		if (c->more)
			conn_kick(c);
}

void store__notify(struct store_plane *sp, const struct store_conn *except)
{
	for (struct store_conn *c = sp->conns; c; c = c->next) {
		if (c == except)
			continue;
		c->notify = true;
		conn_kick(c);
	}
}

static int conn_frame(struct sp_stream *s, const uint8_t *buf, size_t len)
{
	(void)s;
	uint8_t type;
	const uint8_t *body;
	size_t body_len, frame_len;
	int rc = st_frame_split(buf, len, &type, &body, &body_len, &frame_len);
	return rc <= 0 ? rc : (int)frame_len;
}

static void conn_on_frame(struct sp_stream *s, const uint8_t *frame, size_t len)
{
	struct store_conn *c = (struct store_conn *)s;
	if (c->inq_len + len > c->inq_cap) {
		size_t cap = c->inq_cap ? c->inq_cap : 65536;
		while (cap < c->inq_len + len)
			cap *= 2;
		uint8_t *p = realloc(c->inq, cap);
		if (!p) {
			sp_stream_close(s, SP_STREAM_ERROR);
			return;
		}
		c->inq = p;
		c->inq_cap = cap;
	}
	memcpy(c->inq + c->inq_len, frame, len);
	c->inq_len += len;
	if (c->inq_len >= STORE_INBOX_MAX)
		sp_stream_hold(s, true);	/* the worker is behind: the peer waits */
	conn_kick(c);
}

static void conn_on_close(struct sp_stream *s, enum sp_stream_why why)
{
	struct store_conn *c = (struct store_conn *)s;
	struct store_plane *sp = c->sp;
	c->dead = true;
	for (struct store_conn **pp = &sp->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->started)
		sp_log(SP_LOG_INFO, "store: connection with %s closed (%s)", c->name,
		       sp_stream_why_name(why));
}

static void conn_on_closed(struct sp_stream *s)
{
	struct store_conn *c = (struct store_conn *)s;
	c->stream_closed = true;
	conn_finish(c);
}

static const struct sp_stream_ops conn_ops = {
	.frame = conn_frame,
	.on_frame = conn_on_frame,
	.on_close = conn_on_close,
	.on_closed = conn_on_closed,
};

static struct store_conn *conn_new(struct store_plane *sp, bool outgoing)
{
	if (sp->n_conns >= STORE_CONNS_MAX)
		return NULL;
	struct store_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	struct sp_stream_conf conf = {
		.ops = &conn_ops,
		.rbuf_initial = 65536,
		.rbuf_max = ST_FRAME_MAX + 4,
		.pause_bytes = 4 * ST_OUT_HIGH,
		.stats = &sp->stream_stats,
	};
	if (sp_stream_init(&c->st, sp->node->loop, SP_STREAM_TCP, &conf, c) != 0) {
		free(c);
		return NULL;
	}
	c->sp = sp;
	c->outgoing = outgoing;
	c->job.c = c;
	c->job.job.run = conn_run;
	c->job.job.done = conn_done;
	c->state = ST_S_HELLO;
	sp->n_conns++;
	c->next = sp->conns;
	sp->conns = c;
	return c;
}

struct store_conn *store__conn_by_addr(struct store_plane *sp, const uint8_t addr[16])
{
	for (struct store_conn *c = sp->conns; c; c = c->next)
		if (memcmp(c->addr, addr, 16) == 0)
			return c;
	return NULL;
}

/*
 * Decide who the peer at addr is (the tunnel's word for it): 0 and c's
 * kind, key, device id and (for a friend) filter; or SP_EAUTH.
 */
static int conn_identify(struct store_conn *c, const uint8_t addr[16])
{
	struct store_plane *sp = c->sp;
	memcpy(c->addr, addr, 16);
	char a[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, addr, a, sizeof(a));
	snprintf(c->name, sizeof(c->name), "%s", a);
	struct tun_peers *ps = tun_peers_get(sp->node);
	const struct tun_peer *p = ps ? tun_whois(ps, addr) : NULL;
	if (!p)
		return SP_EAUTH;
	memcpy(c->peer_key, tun_peer_public_key(p), 32);
	st_device_id(c->peer_key, c->peer_dev);
	if (memcmp(addr, sp->prefix, 6) == 0) {
		c->kind = STORE_OWN;
		return 0;
	}
	if (c->outgoing && c->kind == STORE_READER)
		return 0;	/* we dialled a friend's device to read what it shares */
	c->kind = STORE_FRIEND;
	c->job.n_colls = 0;
	for (size_t i = 0; i < sp->n_shares && c->job.n_colls < STORE_SHARES_MAX; i++) {
		if (memcmp(addr, sp->shares[i].prefix, 6) != 0)
			continue;
		snprintf(c->job.coll_names[c->job.n_colls], sizeof(c->job.coll_names[0]), "%s",
			 sp->shares[i].coll);
		c->job.colls[c->job.n_colls] = c->job.coll_names[c->job.n_colls];
		c->job.n_colls++;
	}
	return c->job.n_colls ? 0 : SP_EAUTH;
}

static void conn_begin(struct store_conn *c)
{
	(void)uv_tcp_nodelay(&c->st.u.tcp, 1);
	(void)uv_tcp_keepalive(&c->st.u.tcp, 1, CONN_KEEPALIVE_S);
	if (sp_stream_start(&c->st) != 0) {
		sp_stream_close(&c->st, SP_STREAM_ERROR);
		return;
	}
	c->started = true;
	static const char *const kinds[] = { "own device", "a friend's, reading what we share",
					     "a friend's, we read what it shares" };
	sp_log(SP_LOG_INFO, "store: syncing with %s (%s, %s)", c->name, kinds[c->kind],
	       c->outgoing ? "outgoing" : "incoming");
	conn_kick(c);
}

void store__accept(struct store_plane *sp)
{
	struct store_conn *c = conn_new(sp, false);
	if (!c) {
		/* Accept and drop, so the backlog does not fill with it. */
		uv_tcp_t *t = malloc(sizeof(*t));
		if (t && uv_tcp_init(sp->node->loop, t) == 0) {
			(void)uv_accept((uv_stream_t *)&sp->listener, (uv_stream_t *)t);
			uv_close((uv_handle_t *)t, (uv_close_cb)free);
		} else {
			free(t);
		}
		sp->refused++;
		return;
	}
	if (sp_stream_accept(&c->st, (uv_stream_t *)&sp->listener) != 0) {
		sp_stream_close(&c->st, SP_STREAM_ERROR);
		return;
	}
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
	if (uv_tcp_getpeername(&c->st.u.tcp, (struct sockaddr *)&ss, &len) != 0 ||
	    ss.ss_family != AF_INET6 || conn_identify(c, a6->sin6_addr.s6_addr) != 0) {
		sp->refused++;
		sp_log(SP_LOG_NOTICE, "store: refused %s: not an own device, nor a friend's that a "
		       "collection is shared with", c->name[0] ? c->name : "a connection");
		sp_stream_close(&c->st, SP_STREAM_LOCAL);
		return;
	}
	sp->accepted++;
	conn_begin(c);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct store_conn *c = req->data;
	if (c->dead)
		return;
	if (status < 0) {
		sp_debug("store: connect to %s: %s", c->name, uv_strerror(status));
		sp_stream_close(&c->st, SP_STREAM_ERROR);
		return;
	}
	uint8_t addr[16];
	memcpy(addr, c->addr, 16);
	if (conn_identify(c, addr) != 0) {
		sp_log(SP_LOG_NOTICE, "store: %s is not a tunnel peer", c->name);
		sp_stream_close(&c->st, SP_STREAM_LOCAL);
		return;
	}
	conn_begin(c);
}

int store__connect(struct store_plane *sp, const struct store_zone *z, const uint8_t addr[16])
{
	struct store_conn *c = conn_new(sp, true);
	if (!c)
		return SP_ELIMIT;
	memcpy(c->addr, addr, 16);
	if (!z->own) {
		c->kind = STORE_READER;
		snprintf(c->zone, sizeof(c->zone), "%s", z->zone);
	}
	inet_ntop(AF_INET6, addr, c->name, sizeof(c->name));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(sp->port) };
	memcpy(&a.sin6_addr, addr, 16);
	c->connect_req.data = c;
	int err = uv_tcp_connect(&c->connect_req, &c->st.u.tcp, (const struct sockaddr *)&a,
				 on_connect);
	if (err) {
		sp_stream_close(&c->st, SP_STREAM_ERROR);
		return err;
	}
	sp->connects++;
	return 0;
}

void store__close_all(struct store_plane *sp)
{
	struct store_conn *c = sp->conns;
	while (c) {
		struct store_conn *next = c->next;
		sp_stream_close(&c->st, SP_STREAM_LOCAL);
		c = next;
	}
}
