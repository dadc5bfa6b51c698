/*
 * st_session.c - the sync session's state machine (pure code); the flow is
 * in st_session.h, the frames in st_frame.h, reconciliation in st_recon.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/st_frame.h"
#include "store/st_recon.h"
#include "store/st_session.h"

/* Local seqs of ops that came from this peer: never echoed back to it. */
#define ST_ECHO_MAX 65536

struct echo_run {
	uint64_t lo, hi;
};

struct st_session {
	struct st_replica rep;
	struct st_session_cfg cfg;
	enum st_session_state state;
	struct st_session_stats st;
	char error[ST_ERROR_TEXT_MAX + 64];

	uint8_t *in;			/* partial frame from the peer */
	size_t in_len, in_cap;
	struct st_buf out;

	struct st_hello me, peer;
	int cursors;			/* this session reads and writes cursors */

	/* What we send: ops after send_seq by seq (streaming), and queued ids. */
	int streaming;
	uint64_t send_seq, told_seq;	/* told_seq: the last CAUGHT_UP we sent */
	struct st_idvec sendq;
	size_t sendq_at;
	struct echo_run *echo;
	size_t n_echo, echo_at;

	/* Reconciliation. */
	struct st_recon recon;
	struct st_range *rin;		/* a received RANGES, decoded (ST_RANGES_MAX) */
	int recon_loaded, recon_over, repaired;
	uint64_t snap_seq;

	/* End of the first sync: CAUGHT_UP and DONE both ways. */
	int up_sent, up_recv, done_sent, done_recv;
	uint64_t peer_count, done_count, done_seq;
	uint8_t live_sent[ST_ID_LEN];		/* LIVE: the digest of our last DONE */
	uint64_t live_sent_count;
	uint8_t peer_digest[ST_ID_LEN];

	/* Chunks: asked of us (answered in pump), asked by us (outstanding). */
	uint8_t chunk_q[ST_CHUNKQ_MAX][ST_HASH_LEN];
	size_t n_chunk_q;
	uint8_t chunk_out[ST_CHUNKQ_MAX][ST_HASH_LEN];
	size_t n_chunk_out;
};

const char *st_session_state_name(enum st_session_state s)
{
	static const char *const n[] = { "HELLO", "SYNC", "LIVE", "CLOSED" };
	return s <= ST_S_CLOSED ? n[s] : "?";
}

const char *st_sync_path_name(enum st_sync_path p)
{
	static const char *const n[] = { "none", "in-step", "cursor", "reconcile" };
	return p <= ST_PATH_RECON ? n[p] : "?";
}

static void enter(struct st_session *s, enum st_session_state to)
{
	if (s->state == to)
		return;
	sp_debug("store: session %s -> %s", st_session_state_name(s->state),
	       st_session_state_name(to));
	s->state = to;
}

/* Close with an error: tell the peer why, remember it, return it. */
static int fail(struct st_session *s, int rc, const char *what)
{
	if (s->state == ST_S_CLOSED)
		return rc;
	snprintf(s->error, sizeof(s->error), "%s: %s", what, sp_strerror(rc));
	st_frame_error(&s->out, rc, s->error);
	enter(s, ST_S_CLOSED);
	return rc;
}

static int full_set(const struct st_session *s)
{
	return s->cfg.filter.colls == NULL && s->cfg.send && s->cfg.accept;
}

int st_session_new(struct st_replica rep, const struct st_session_cfg *cfg,
		   struct st_session **out)
{
	struct st_session *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rep = rep;
	s->cfg = *cfg;
	s->state = ST_S_HELLO;
	s->cursors = full_set(s) && !cfg->no_cursor;

	struct st_fp fp;
	int rc = rep.vt->digest(rep.ctx, &cfg->filter, &fp);
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->me.version = ST_PROTO_VERSION;
	rep.vt->self(rep.ctx, s->me.device, s->me.epoch);
	s->me.max_seq = rep.vt->max_seq(rep.ctx);
	s->me.count = fp.n;
	st_fp_digest(&fp, s->me.digest);
	if (s->cursors &&
	    rep.vt->cursor_get(rep.ctx, cfg->peer, s->me.known_epoch, &s->me.known_seq) != 0) {
		memset(s->me.known_epoch, 0, ST_EPOCH_LEN);
		s->me.known_seq = 0;
	}
	st_frame_hello(&s->out, &s->me);
	s->st.frames_out++;
	if (s->out.err) {
		st_session_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void st_session_free(struct st_session *s)
{
	if (!s)
		return;
	free(s->in);
	st_buf_free(&s->out);
	st_idvec_free(&s->sendq);
	free(s->echo);
	free(s->rin);
	if (s->recon_loaded)
		st_recon_free(&s->recon);
	free(s);
}

enum st_session_state st_session_state(const struct st_session *s)
{
	return s->state;
}

const struct st_session_stats *st_session_stats(const struct st_session *s)
{
	return &s->st;
}

const char *st_session_error(const struct st_session *s)
{
	return s->error;
}

/* --- what we send ------------------------------------------------------ */

static void echo_note(struct st_session *s, uint64_t seq)
{
	if (s->n_echo && s->echo[s->n_echo - 1].hi + 1 == seq) {
		s->echo[s->n_echo - 1].hi = seq;
		return;
	}
	if (s->n_echo == ST_ECHO_MAX)
		return;		/* an echo costs bytes, never correctness */
	if (s->n_echo % 256 == 0) {
		void *p = realloc(s->echo, (s->n_echo + 256) * sizeof(*s->echo));
		if (!p)
			return;
		s->echo = p;
	}
	s->echo[s->n_echo].lo = s->echo[s->n_echo].hi = seq;
	s->n_echo++;
}

/* Did the op with this local seq come from the peer?  Seqs are asked in rising order. */
static int echo_is(struct st_session *s, uint64_t seq)
{
	while (s->echo_at < s->n_echo && s->echo[s->echo_at].hi < seq)
		s->echo_at++;
	return s->echo_at < s->n_echo && s->echo[s->echo_at].lo <= seq;
}

/* An OPS frame being filled. */
struct ops_fill {
	struct st_session *s;
	size_t off, n;
	int open;
};

static void fill_close(struct ops_fill *f)
{
	if (!f->open)
		return;
	st_frame_end(&f->s->out, f->off, f->n);
	f->s->st.frames_out++;
	f->open = 0;
}

static int fill_op(void *arg, uint64_t seq, const uint8_t *op, size_t len)
{
	struct ops_fill *f = arg;
	struct st_session *s = f->s;
	if (seq && echo_is(s, seq))
		return 0;
	if (f->open && (f->n == UINT16_MAX || s->out.len - f->off + len + 4 > ST_FRAME_FILL))
		fill_close(f);
	if (!f->open) {
		f->off = st_frame_begin(&s->out, ST_F_OPS);
		f->n = 0;
		f->open = 1;
	}
	st_frame_ops_add(&s->out, op, len);
	f->n++;
	s->st.ops_out++;
	return s->out.len >= ST_OUT_HIGH;	/* stop the walk: the writer drains first */
}

/* An op asked for that was collected: say so, so the peer stops counting it missing. */
static int send_gone(struct st_session *s, struct ops_fill *f, const uint8_t id[ST_ID_LEN])
{
	char coll[ST_COLL_MAX + 1];
	struct st_gone g = { .id = id, .coll = coll };
	int rc = s->rep.vt->gone(s->rep.ctx, id, &g.hlc, coll, sizeof(coll));
	if (rc == SP_ENOTFOUND)
		return 0;	/* neither held nor collected: a WANT for nothing */
	if (rc != 0)
		return rc;
	g.coll_len = strlen(coll);
	fill_close(f);
	size_t off = st_frame_begin(&s->out, ST_F_GONE);
	st_frame_gone_add(&s->out, &g);
	st_frame_end(&s->out, off, 1);
	s->st.frames_out++;
	s->st.gone_out++;
	return 0;
}

static int pump_sendq(struct st_session *s, struct ops_fill *f)
{
	while (s->sendq_at < s->sendq.n && s->out.len < ST_OUT_HIGH) {
		const uint8_t *id = s->sendq.id[s->sendq_at++];
		int rc = s->rep.vt->get(s->rep.ctx, id, fill_op, f);
		if (rc == SP_ENOTFOUND)
			rc = send_gone(s, f, id);
		if (rc < 0)
			return rc;
	}
	if (s->sendq_at == s->sendq.n) {
		st_idvec_free(&s->sendq);
		s->sendq_at = 0;
	}
	return 0;
}

static int pump_stream(struct st_session *s, struct ops_fill *f)
{
	uint64_t max = s->rep.vt->max_seq(s->rep.ctx);
	while (s->send_seq < max && s->out.len < ST_OUT_HIGH) {
		uint64_t last = s->send_seq;
		int rc = s->rep.vt->ops_since(s->rep.ctx, s->send_seq, &s->cfg.filter, ST_FRAME_FILL,
					      fill_op, f, &last);
		if (rc < 0)
			return rc;
		if (last <= s->send_seq)
			break;
		s->send_seq = last;
	}
	return 0;
}

static void send_done(struct st_session *s)
{
	struct st_fp fp;
	if (s->rep.vt->digest(s->rep.ctx, &s->cfg.filter, &fp) != 0)
		memset(&fp, 0, sizeof(fp));
	st_fp_digest(&fp, s->st.digest);
	s->done_count = fp.n;
	s->done_seq = s->rep.vt->max_seq(s->rep.ctx);
	st_frame_done(&s->out, fp.n, s->st.digest);
	s->st.frames_out++;
	s->done_sent = 1;
}

static void compare_digests(struct st_session *s);
static void live_done(struct st_session *s);
static int live_changed(struct st_session *s);

/* Produce what is due, up to ST_OUT_HIGH. */
static int pump(struct st_session *s)
{
	if (s->state == ST_S_CLOSED)
		return 0;
	struct ops_fill f = { .s = s };
	int rc = 0;
	while (s->n_chunk_q && s->out.len < ST_OUT_HIGH) {
		const uint8_t *h = s->chunk_q[--s->n_chunk_q];
		uint8_t *data = NULL;
		size_t len = 0;
		rc = s->rep.vt->chunk_get(s->rep.ctx, h, &data, &len);
		if (rc < 0 && rc != SP_ENOTFOUND)
			return fail(s, rc, "reading a chunk");
		st_frame_chunk(&s->out, h, data, rc == 0 ? len : 0);
		s->st.frames_out++;
		free(data);
	}
	if (s->cfg.send) {
		if ((rc = pump_sendq(s, &f)) == 0 && s->streaming)
			rc = pump_stream(s, &f);
		fill_close(&f);
		if (rc < 0)
			return fail(s, rc, "reading ops to send");
	}
	int drained = s->sendq.n == 0 &&
		      (!s->streaming || s->send_seq >= s->rep.vt->max_seq(s->rep.ctx));
	if (s->state == ST_S_SYNC && drained && !s->up_sent &&
	    (s->st.path == ST_PATH_CURSOR || s->recon_over)) {
		st_frame_u64(&s->out, ST_F_CAUGHT_UP, s->send_seq);
		s->st.frames_out++;
		s->told_seq = s->send_seq;
		s->up_sent = 1;
	}
	if (s->state == ST_S_SYNC && s->up_sent && s->up_recv && !s->done_sent)
		send_done(s);
	if (s->state == ST_S_SYNC && s->done_sent && s->done_recv)
		compare_digests(s);
	if (s->state == ST_S_LIVE && drained && s->cursors && s->told_seq < s->send_seq) {
		st_frame_u64(&s->out, ST_F_CAUGHT_UP, s->send_seq);
		s->st.frames_out++;
		s->told_seq = s->send_seq;
	}
	if (s->out.err)
		return fail(s, s->out.err, "building output");
	return 0;
}

/* --- reconciliation ---------------------------------------------------- */

static int recon_load(struct st_session *s)
{
	if (s->recon_loaded)
		return 0;
	struct st_item *items;
	size_t n;
	s->snap_seq = s->rep.vt->max_seq(s->rep.ctx);
	int rc = s->rep.vt->items(s->rep.ctx, &s->cfg.filter, &items, &n);
	if (rc != 0)
		return rc;
	if ((rc = st_recon_init(&s->recon, items, n)) != 0)
		return rc;
	s->recon_loaded = 1;
	return 0;
}

static void recon_begin(struct st_session *s)
{
	s->st.path = ST_PATH_RECON;
	s->streaming = 0;
	s->recon_over = 0;
	s->up_sent = s->up_recv = s->done_sent = s->done_recv = 0;
	if (s->recon_loaded)
		st_recon_free(&s->recon);
	s->recon_loaded = 0;
}

static int recon_start(struct st_session *s)
{
	recon_begin(s);
	if (!s->cfg.initiator)
		return 0;	/* the other side sends the first RANGES */
	int rc = recon_load(s);
	if (rc != 0)
		return fail(s, rc, "loading items");
	st_recon_start(&s->recon, &s->out);
	s->st.frames_out++;
	s->st.recon_rounds++;
	return 0;
}

/* After reconciliation we hold all of theirs, they all of ours up to snap_seq. */
static void recon_finish(struct st_session *s)
{
	s->recon_over = 1;
	s->streaming = s->cfg.send;
	s->send_seq = s->snap_seq;
}

static void compare_digests(struct st_session *s)
{
	s->st.synced = 1;
	s->st.identical = s->done_count == s->peer_count &&
			  memcmp(s->st.digest, s->peer_digest, ST_ID_LEN) == 0;
	if (s->st.identical)
		s->st.agreed_seq = s->done_seq;
	memcpy(s->live_sent, s->st.digest, ST_ID_LEN);
	s->live_sent_count = s->done_count;
	if (!s->st.identical && s->st.path == ST_PATH_CURSOR && !s->repaired) {
		/* The cursors lied (a database restored from backup?): reconcile once. */
		s->repaired = 1;
		sp_log(SP_LOG_INFO, "store: digests differ after a cursor sync: reconciling");
		recon_start(s);
		return;
	}
	enter(s, ST_S_LIVE);
}

/* --- frames from the peer ---------------------------------------------- */

static int on_hello(struct st_session *s, const uint8_t *b, size_t len)
{
	struct st_hello *p = &s->peer;
	if (st_hello_decode(b, len, p) != 0)
		return fail(s, SP_EMALFORMED, "HELLO");
	if (p->version != ST_PROTO_VERSION)
		return fail(s, SP_EPROTO, "HELLO version");
	if (memcmp(p->device, s->cfg.peer, ST_ID_LEN) != 0)
		return fail(s, SP_EAUTH, "HELLO from another device than the tunnel's");
	enter(s, ST_S_SYNC);
	if (p->count == s->me.count && memcmp(p->digest, s->me.digest, ST_ID_LEN) == 0) {
		/* In step: each holds all of the other's, as of the HELLOs. */
		s->st.path = ST_PATH_IN_STEP;
		s->st.synced = s->st.identical = 1;
		s->st.agreed_seq = s->me.max_seq;
		memcpy(s->st.digest, s->me.digest, ST_ID_LEN);
		memcpy(s->live_sent, s->me.digest, ST_ID_LEN);
		s->live_sent_count = s->me.count;
		s->streaming = s->cfg.send;
		s->send_seq = s->told_seq = s->me.max_seq;
		if (s->cursors) {
			int rc = s->rep.vt->cursor_put(s->rep.ctx, p->device, p->epoch, p->max_seq);
			if (rc != 0)
				return fail(s, rc, "saving the cursor");
		}
		enter(s, ST_S_LIVE);
		return 0;
	}
	/* Both sides decide the same from the two HELLOs. */
	int theirs_ok = memcmp(p->known_epoch, s->me.epoch, ST_EPOCH_LEN) == 0 &&
			p->known_seq <= s->me.max_seq;
	int mine_ok = memcmp(s->me.known_epoch, p->epoch, ST_EPOCH_LEN) == 0 &&
		      s->me.known_seq <= p->max_seq;
	if (s->cursors && theirs_ok && mine_ok && p->known_seq > 0 && s->me.known_seq > 0) {
		s->st.path = ST_PATH_CURSOR;
		s->streaming = 1;
		s->send_seq = p->known_seq;
		return 0;
	}
	return recon_start(s);
}

static int on_ops(struct st_session *s, const uint8_t *b, size_t len)
{
	if (!s->cfg.accept)
		return fail(s, SP_EPROTO, "OPS from a peer we only send to");
	struct st_ops_iter it;
	if (st_ops_iter_init(&it, b, len) != 0)
		return fail(s, SP_EMALFORMED, "OPS");
	int rc = s->rep.vt->begin(s->rep.ctx);
	if (rc != 0)
		return fail(s, rc, "storing ops");
	const uint8_t *op;
	size_t n, stored = 0, total = it.n;
	uint64_t seqs_first = 0, seqs_last = 0;
	while (st_ops_iter_next(&it, &op, &n)) {
		uint64_t seq = 0;
		rc = s->rep.vt->apply(s->rep.ctx, op, n, &seq);
		if (rc < 0)
			break;
		if (rc == 0) {
			if (!stored)
				seqs_first = seq;
			seqs_last = seq;
			stored++;
		}
	}
	if (rc < 0) {
		(void)s->rep.vt->end(s->rep.ctx, 0);
		return fail(s, rc, "an op in OPS");
	}
	if ((rc = s->rep.vt->end(s->rep.ctx, 1)) != 0)
		return fail(s, rc, "committing ops");
	/* The frame's ops got consecutive seqs (one writer, one transaction). */
	for (uint64_t q = seqs_first; stored && q <= seqs_last; q++)
		echo_note(s, q);
	s->st.ops_in += total;
	if (stored && s->cfg.on_ops)
		s->cfg.on_ops(s->cfg.arg, stored);
	return 0;
}

static int on_gone(struct st_session *s, const uint8_t *b, size_t len)
{
	if (!s->cfg.accept)
		return fail(s, SP_EPROTO, "GONE from a peer we only send to");
	struct st_ops_iter it;
	if (st_gone_iter_init(&it, b, len) != 0)
		return fail(s, SP_EMALFORMED, "GONE");
	int rc = s->rep.vt->begin(s->rep.ctx);
	if (rc != 0)
		return fail(s, rc, "storing GONE");
	struct st_gone g;
	while (rc == 0 && st_gone_iter_next(&it, &g)) {
		rc = s->rep.vt->forget(s->rep.ctx, g.hlc, g.id, g.coll, g.coll_len);
		s->st.gone_in++;
	}
	if (rc != 0) {
		(void)s->rep.vt->end(s->rep.ctx, 0);
		return fail(s, rc, "an entry of GONE");
	}
	if ((rc = s->rep.vt->end(s->rep.ctx, 1)) != 0)
		return fail(s, rc, "committing GONE");
	return 0;
}

static int on_caught_up(struct st_session *s, const uint8_t *b, size_t len)
{
	uint64_t seq;
	if (st_u64_decode(b, len, &seq) != 0)
		return fail(s, SP_EMALFORMED, "CAUGHT_UP");
	if (s->state == ST_S_SYNC && s->st.path == ST_PATH_RECON && !s->recon_over)
		return fail(s, SP_ESTATE, "CAUGHT_UP before reconciliation ended");
	if (s->cursors) {
		int rc = s->rep.vt->cursor_put(s->rep.ctx, s->peer.device, s->peer.epoch, seq);
		if (rc != 0)
			return fail(s, rc, "saving the cursor");
	}
	if (s->state == ST_S_SYNC)
		s->up_recv = 1;
	else if (s->state == ST_S_LIVE)
		return live_changed(s);	/* the pusher learns whether we are identical now */
	return 0;
}

static int on_ranges(struct st_session *s, const uint8_t *b, size_t len)
{
	size_t n;
	if (!s->rin && !(s->rin = malloc(ST_RANGES_MAX * sizeof(*s->rin))))
		return fail(s, -ENOMEM, "RANGES");
	struct st_range *in = s->rin;
	if (s->state != ST_S_SYNC || s->st.path != ST_PATH_RECON || s->recon_over)
		return fail(s, SP_ESTATE, "RANGES outside reconciliation");
	if (st_ranges_decode(b, len, in, &n) != 0)
		return fail(s, SP_EMALFORMED, "RANGES");
	s->st.recon_rounds++;
	if (n == 0) {
		recon_finish(s);
		return 0;
	}
	int rc = recon_load(s);
	if (rc != 0)
		return fail(s, rc, "loading items");
	struct st_idvec need = { 0 };
	size_t off = s->out.len;
	rc = st_recon_answer(&s->recon, in, n, &s->out, s->cfg.send ? &s->sendq : NULL,
			     s->cfg.accept ? &need : NULL);
	if (rc == 0 && s->sendq.n - s->sendq_at > ST_SENDQ_MAX)
		rc = SP_ELIMIT;
	if (rc != 0) {
		st_idvec_free(&need);
		return fail(s, rc, "answering RANGES");
	}
	s->st.frames_out++;
	s->st.recon_rounds++;
	/* Our answer is empty when everything matched: we ended it. */
	int over = s->out.len - off == ST_FRAME_HDR + 2;
	/* WANT goes before our answer's successor, so move the answer after it. */
	for (size_t i = 0; i < need.n; i += ST_WANT_MAX) {
		size_t k = need.n - i < ST_WANT_MAX ? need.n - i : ST_WANT_MAX;
		size_t w = st_frame_begin(&s->out, ST_F_WANT);
		for (size_t j = 0; j < k; j++)
			st_frame_id_add(&s->out, need.id[i + j]);
		st_frame_end(&s->out, w, k);
		s->st.frames_out++;
	}
	st_idvec_free(&need);
	if (over)
		recon_finish(s);
	return 0;
}

static int on_want(struct st_session *s, const uint8_t *b, size_t len)
{
	const uint8_t *ids;
	size_t n;
	if (!s->cfg.send)
		return fail(s, SP_EPROTO, "WANT of a peer we do not send to");
	if (st_want_decode(b, len, &ids, &n) != 0)
		return fail(s, SP_EMALFORMED, "WANT");
	if (s->sendq.n - s->sendq_at + n > ST_SENDQ_MAX)
		return fail(s, SP_ELIMIT, "WANT beyond the send queue");
	for (size_t i = 0; i < n; i++)
		st_idvec_push(&s->sendq, ids + i * ST_ID_LEN);
	return s->sendq.err ? fail(s, s->sendq.err, "WANT") : 0;
}

/*
 * LIVE: our digest now, sent after we applied a push (the pusher learns
 * whether we are identical) or when the peer's DONE differs from the last
 * one we sent; so after the last change both sides have compared both.
 */
static void live_done(struct st_session *s)
{
	send_done(s);
	memcpy(s->live_sent, s->st.digest, ST_ID_LEN);
	s->live_sent_count = s->done_count;
}

/* Our digest now, and whether it moved since the last DONE we sent. */
static int live_digest(struct st_session *s, struct st_fp *fp, uint8_t mine[ST_ID_LEN], int *moved)
{
	int rc = s->rep.vt->digest(s->rep.ctx, &s->cfg.filter, fp);
	if (rc != 0)
		return fail(s, rc, "the digest");
	st_fp_digest(fp, mine);
	*moved = fp->n != s->live_sent_count || memcmp(mine, s->live_sent, ST_ID_LEN) != 0;
	return 0;
}

/* LIVE, the peer caught us up: tell it our digest if the push changed it. */
static int live_changed(struct st_session *s)
{
	struct st_fp fp;
	uint8_t mine[ST_ID_LEN];
	int moved, rc = live_digest(s, &fp, mine, &moved);
	if (rc == 0 && moved)
		live_done(s);
	return rc;
}

static int on_done_live(struct st_session *s)
{
	struct st_fp fp;
	uint8_t mine[ST_ID_LEN];
	int moved, rc = live_digest(s, &fp, mine, &moved);
	if (rc != 0)
		return rc;
	int was = s->st.identical;
	s->st.identical = fp.n == s->peer_count && memcmp(mine, s->peer_digest, ST_ID_LEN) == 0;
	if (s->st.identical) {
		s->st.agreed_seq = s->rep.vt->max_seq(s->rep.ctx);
		memcpy(s->st.digest, mine, ST_ID_LEN);
	}
	/* Reply when ours moved, or when we just found we agree: the peer may not know yet. */
	if (moved || (!was && s->st.identical))
		live_done(s);
	return 0;
}

static int on_done(struct st_session *s, const uint8_t *b, size_t len)
{
	if (st_done_decode(b, len, &s->peer_count, s->peer_digest) != 0)
		return fail(s, SP_EMALFORMED, "DONE");
	if (s->state == ST_S_LIVE)
		return on_done_live(s);
	if (s->state != ST_S_SYNC || !s->up_sent || !s->up_recv || s->done_recv)
		return fail(s, SP_ESTATE, "DONE out of turn");
	s->done_recv = 1;
	/* Now, not in pump: a repair's RANGES may follow in the same read. */
	if (s->done_sent)
		compare_digests(s);
	return 0;
}

static int on_chunk_want(struct st_session *s, const uint8_t *b, size_t len)
{
	const uint8_t *h;
	if (st_chunk_want_decode(b, len, &h) != 0)
		return fail(s, SP_EMALFORMED, "CHUNK_WANT");
	/*
	 * Files are not shared with friends (their manifests are in _files, which
	 * cannot be shared): a filtered session serves no chunk, so a friend cannot
	 * probe for content by guessing its hash.
	 */
	if (!s->cfg.send || s->cfg.filter.colls)
		return fail(s, SP_EPROTO, "CHUNK_WANT of a peer we serve no files to");
	if (s->n_chunk_q == ST_CHUNKQ_MAX)
		return fail(s, SP_ELIMIT, "too many chunk requests");
	memcpy(s->chunk_q[s->n_chunk_q++], h, ST_HASH_LEN);
	return 0;
}

static int on_chunk(struct st_session *s, const uint8_t *b, size_t len)
{
	const uint8_t *h, *data;
	size_t n;
	if (st_chunk_decode(b, len, &h, &data, &n) != 0)
		return fail(s, SP_EMALFORMED, "CHUNK");
	size_t i = 0;
	while (i < s->n_chunk_out && memcmp(s->chunk_out[i], h, ST_HASH_LEN) != 0)
		i++;
	if (i == s->n_chunk_out)
		return fail(s, SP_EPROTO, "CHUNK not asked for");
	uint8_t hash[ST_HASH_LEN];
	memcpy(hash, h, ST_HASH_LEN);
	memmove(s->chunk_out[i], s->chunk_out[i + 1], (s->n_chunk_out - i - 1) * ST_HASH_LEN);
	s->n_chunk_out--;
	int rc = n ? s->rep.vt->chunk_put(s->rep.ctx, hash, data, n) : SP_ENOTFOUND;
	if (rc == SP_EAUTH)
		return fail(s, rc, "CHUNK does not match its hash");
	if (rc < 0 && rc != SP_ENOTFOUND)
		return fail(s, rc, "storing a chunk");
	if (s->cfg.on_chunk)
		s->cfg.on_chunk(s->cfg.arg, hash, rc);
	return 0;
}

static int on_error(struct st_session *s, const uint8_t *b, size_t len)
{
	int code;
	char text[ST_ERROR_TEXT_MAX + 1];
	if (st_error_decode(b, len, &code, text) != 0)
		snprintf(text, sizeof(text), "(unreadable)");
	snprintf(s->error, sizeof(s->error), "peer: %s", text);
	enter(s, ST_S_CLOSED);
	return SP_EPROTO;
}

static int on_frame(struct st_session *s, uint8_t type, const uint8_t *b, size_t len)
{
	s->st.frames_in++;
	if (type == ST_F_ERROR)
		return on_error(s, b, len);
	if ((s->state == ST_S_HELLO) != (type == ST_F_HELLO))
		return fail(s, SP_ESTATE, s->state == ST_S_HELLO ? "a frame before HELLO"
								: "a second HELLO");
	switch (type) {
	case ST_F_HELLO:
		return on_hello(s, b, len);
	case ST_F_OPS:
		return on_ops(s, b, len);
	case ST_F_CAUGHT_UP:
		return on_caught_up(s, b, len);
	case ST_F_RANGES:
		return on_ranges(s, b, len);
	case ST_F_WANT:
		return on_want(s, b, len);
	case ST_F_DONE:
		return on_done(s, b, len);
	case ST_F_CHUNK_WANT:
		return on_chunk_want(s, b, len);
	case ST_F_CHUNK:
		return on_chunk(s, b, len);
	case ST_F_GONE:
		return on_gone(s, b, len);
	default:
		return fail(s, SP_EPROTO, "unknown frame type");
	}
}

/* Append n bytes to the partial frame held. */
static int in_add(struct st_session *s, const uint8_t *p, size_t n)
{
	if (s->in_len + n > s->in_cap) {
		size_t cap = s->in_cap ? s->in_cap : 4096;
		while (cap < s->in_len + n)
			cap *= 2;
		uint8_t *q = realloc(s->in, cap);
		if (!q)
			return -ENOMEM;
		s->in = q;
		s->in_cap = cap;
	}
	memcpy(s->in + s->in_len, p, n);
	s->in_len += n;
	return 0;
}

int st_session_input(struct st_session *s, const uint8_t *p, size_t n)
{
	if (s->state == ST_S_CLOSED)
		return SP_ESTATE;
	s->st.bytes_in += n;
	while (n > 0) {
		uint8_t type;
		const uint8_t *body;
		size_t body_len, frame_len;
		int rc;
		if (s->in_len == 0) {
			rc = st_frame_split(p, n, &type, &body, &body_len, &frame_len);
			if (rc < 0)
				return fail(s, rc, "frame length");
			if (rc == 0) {
				/* The start of a frame: keep it until the rest arrives. */
				if (in_add(s, p, n) != 0)
					return fail(s, -ENOMEM, "input");
				break;
			}
			p += frame_len;
			n -= frame_len;
		} else {
			/* Complete the frame held: its header first, then exactly its length. */
			size_t want = 4;
			if (s->in_len >= 4) {
				uint64_t fl = (uint64_t)s->in[0] << 24 | (uint64_t)s->in[1] << 16 |
					      (uint64_t)s->in[2] << 8 | s->in[3];
				if (fl < 1 || fl > ST_FRAME_MAX)
					return fail(s, SP_EMALFORMED, "frame length");
				want = (size_t)fl + 4;
			}
			size_t take = want - s->in_len < n ? want - s->in_len : n;
			if (in_add(s, p, take) != 0)
				return fail(s, -ENOMEM, "input");
			p += take;
			n -= take;
			rc = st_frame_split(s->in, s->in_len, &type, &body, &body_len, &frame_len);
			if (rc < 0)
				return fail(s, rc, "frame length");
			if (rc == 0)
				continue;
			s->in_len = 0;	/* body stays valid until in_add is called again */
		}
		if ((rc = on_frame(s, type, body, body_len)) != 0)
			return rc;
	}
	return pump(s);
}

const uint8_t *st_session_output(struct st_session *s, size_t *len)
{
	*len = s->out.len;
	return s->out.p;
}

int st_session_sent(struct st_session *s, size_t n)
{
	s->st.bytes_out += n;
	st_buf_consume(&s->out, n);
	return pump(s);
}

int st_session_notify(struct st_session *s)
{
	return pump(s);
}

int st_session_want_chunk(struct st_session *s, const uint8_t hash[ST_HASH_LEN])
{
	if (s->state == ST_S_HELLO || s->state == ST_S_CLOSED)
		return SP_ESTATE;
	for (size_t i = 0; i < s->n_chunk_out; i++)
		if (memcmp(s->chunk_out[i], hash, ST_HASH_LEN) == 0)
			return 0;
	if (s->n_chunk_out == ST_CHUNKQ_MAX)
		return SP_ELIMIT;
	memcpy(s->chunk_out[s->n_chunk_out++], hash, ST_HASH_LEN);
	st_frame_chunk_want(&s->out, hash);
	s->st.frames_out++;
	return s->out.err;
}
