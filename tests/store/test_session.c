/*
 * test_session.c - the sync session between two SQLite replicas joined in
 * memory (st_pair): each path (in step, cursor, reconciliation) ends with
 * identical replicas, counted in bytes and round trips; live push; chunks;
 * a friend reads only what is shared; hostile frames close the session and
 * change nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "store/st_db.h"
#include "store/st_frame.h"
#include "store/st_pair.h"
#include "store/st_session.h"

static const uint8_t dev_a[ST_ID_LEN] = { 0xa }, dev_b[ST_ID_LEN] = { 0xb },
		     dev_c[ST_ID_LEN] = { 0xc };
static uint64_t clock_ms = 1700000000000ull;

static struct st_db *open_mem(const uint8_t *dev)
{
	struct st_db *db;
	assert_int_equal(st_db_open(":memory:", dev, &db), 0);
	return db;
}

static void put(struct st_db *db, const char *coll, const char *key, const char *json)
{
	assert_int_equal(st_db_put(db, coll, key, json, strlen(json), 0, ++clock_ms, NULL), 0);
}

static void put_many(struct st_db *db, const char *coll, const char *tag, int n)
{
	assert_int_equal(st_db_begin(db), 0);
	for (int i = 0; i < n; i++) {
		char key[64], json[96];
		snprintf(key, sizeof(key), "%s-%d", tag, i);
		snprintf(json, sizeof(json), "{\"n\":%d,\"tag\":\"%s\"}", i, tag);
		put(db, coll, key, json);
	}
	assert_int_equal(st_db_commit(db), 0);
}

static struct st_session_cfg cfg_for(const uint8_t *peer, int initiator)
{
	struct st_session_cfg c = { .send = 1, .accept = 1, .initiator = initiator };
	memcpy(c.peer, peer, ST_ID_LEN);
	return c;
}

static void digest_of(struct st_db *db, const struct st_filter *f, struct st_fp *fp)
{
	struct st_replica r = st_db_replica(db);
	assert_int_equal(r.vt->digest(r.ctx, f, fp), 0);
}

static void assert_same(struct st_db *x, struct st_db *y)
{
	struct st_fp a, b;
	digest_of(x, NULL, &a);
	digest_of(y, NULL, &b);
	assert_int_equal(a.n, b.n);
	assert_true(a.lo == b.lo && a.hi == b.hi);
}

/* One whole session between x (initiating) and y; returns its path. */
static enum st_sync_path sync_once(struct st_db *x, const uint8_t *xd, struct st_db *y,
				   const uint8_t *yd, int no_cursor, struct st_pair *out)
{
	struct st_session_cfg cx = cfg_for(yd, 1), cy = cfg_for(xd, 0);
	cx.no_cursor = cy.no_cursor = no_cursor;
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, st_db_replica(x), &cx, st_db_replica(y), &cy), 0);
	assert_int_equal(st_pair_run(&p, 1000), 0);
	assert_int_equal(st_session_state(p.s[0]), ST_S_LIVE);
	assert_int_equal(st_session_state(p.s[1]), ST_S_LIVE);
	const struct st_session_stats *s0 = st_session_stats(p.s[0]),
				      *s1 = st_session_stats(p.s[1]);
	assert_true(s0->identical && s1->identical);
	assert_int_equal(s0->path, s1->path);
	enum st_sync_path path = s0->path;
	if (out)
		*out = p;
	else
		st_pair_close(&p);
	return path;
}

/* ops_since callback: keep the first op of "gone" (the test's collected key). */
static int keep_first(void *arg, uint64_t seq, const uint8_t *op, size_t len)
{
	(void)seq;
	struct { uint8_t op[512]; size_t len; } *k = arg;
	struct st_op o;
	if (k->len == 0 && len <= sizeof(k->op) && st_op_decode(&o, op, len) == 0 &&
	    o.key_len == 4 && memcmp(o.key, "gone", 4) == 0) {
		memcpy(k->op, op, len);
		k->len = len;
	}
	return 0;
}

static void paths_in_step_cursor_and_recon(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
	put_many(a, "notes", "a", 300);
	put_many(b, "notes", "b", 200);
	struct st_pair p;

	/* Strangers: reconciliation; both end with all 500. */
	assert_int_equal(sync_once(a, dev_a, b, dev_b, 0, &p), ST_PATH_RECON);
	assert_int_equal(st_session_stats(p.s[0])->ops_in, 200);
	assert_int_equal(st_session_stats(p.s[1])->ops_in, 300);
	st_pair_close(&p);
	assert_same(a, b);

	/* Nothing new: the HELLOs agree, one round trip. */
	assert_int_equal(sync_once(a, dev_a, b, dev_b, 0, &p), ST_PATH_IN_STEP);
	assert_int_equal(st_pair_round_trips(&p), 1);
	assert_true(p.bytes[0] < 200 && p.bytes[1] < 200);
	st_pair_close(&p);

	/* One new op each side: the cursors carry exactly those. */
	put(a, "notes", "late-a", "{\"x\":1}");
	put(b, "notes", "late-b", "{\"x\":2}");
	assert_int_equal(sync_once(b, dev_b, a, dev_a, 0, &p), ST_PATH_CURSOR);
	assert_int_equal(st_session_stats(p.s[0])->ops_in, 1);
	assert_int_equal(st_session_stats(p.s[1])->ops_in, 1);
	assert_true(st_pair_round_trips(&p) <= 2);
	st_pair_close(&p);
	assert_same(a, b);

	/* The same difference by reconciliation alone (no cursors). */
	put(a, "notes", "later-a", "{\"x\":3}");
	assert_int_equal(sync_once(a, dev_a, b, dev_b, 1, &p), ST_PATH_RECON);
	assert_int_equal(st_session_stats(p.s[1])->ops_in, 1);
	assert_int_equal(st_session_stats(p.s[0])->ops_in, 0);
	st_pair_close(&p);
	assert_same(a, b);
	st_db_close(a);
	st_db_close(b);
}

/* Many scattered differences both ways, reconciled with no memory of the peer. */
static void recon_scattered(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b), *c = open_mem(dev_c);
	put_many(c, "notes", "base", 3000);
	/* a and b each get the base from c, then each writes its own, interleaved in time. */
	assert_int_equal(sync_once(c, dev_c, a, dev_a, 0, NULL), ST_PATH_RECON);
	assert_int_equal(sync_once(c, dev_c, b, dev_b, 0, NULL), ST_PATH_RECON);
	for (int i = 0; i < 150; i++) {
		char key[32];
		snprintf(key, sizeof(key), "k%d", i);
		put(i % 3 ? a : b, "notes", key, "{\"v\":true}");
	}
	struct st_pair p;
	assert_int_equal(sync_once(a, dev_a, b, dev_b, 1, &p), ST_PATH_RECON);
	uint64_t in0 = st_session_stats(p.s[0])->ops_in, in1 = st_session_stats(p.s[1])->ops_in;
	assert_int_equal(in0 + in1, 150);
	assert_true(st_session_stats(p.s[0])->recon_rounds >= 2);
	st_pair_close(&p);
	assert_same(a, b);
	st_db_close(a);
	st_db_close(b);
	st_db_close(c);
}

/* A cursor that claims more than the peer holds: the DONE digests disagree and it repairs. */
static void lying_cursor_repairs(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
	put_many(a, "notes", "a", 20);
	assert_int_equal(sync_once(a, dev_a, b, dev_b, 0, NULL), ST_PATH_RECON);
	put_many(a, "notes", "more", 10);
	put(b, "notes", "bee", "{}");
	/* b forgets it lacks a's last ten: its cursor of a jumps to a's max. */
	struct st_replica rb = st_db_replica(b), ra = st_db_replica(a);
	uint8_t dev[ST_ID_LEN], ep[ST_EPOCH_LEN];
	ra.vt->self(ra.ctx, dev, ep);
	assert_int_equal(rb.vt->cursor_put(rb.ctx, dev_a, ep, ra.vt->max_seq(ra.ctx)), 0);
	struct st_pair p;
	sync_once(b, dev_b, a, dev_a, 0, &p);
	assert_int_equal(st_session_stats(p.s[0])->path, ST_PATH_RECON);
	st_pair_close(&p);
	assert_same(a, b);
	st_db_close(a);
	st_db_close(b);
}

/* Delivered one byte at a time, and with writes while LIVE pushed at once. */
static void bytewise_and_live(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
	put_many(a, "notes", "a", 40);
	put_many(b, "notes", "b", 5);
	struct st_session_cfg ca = cfg_for(dev_b, 1), cb = cfg_for(dev_a, 0);
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, st_db_replica(a), &ca, st_db_replica(b), &cb), 0);
	int rc, guard = 0;
	while ((rc = st_pair_step(&p, 1)) == 1 && guard++ < 200000)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(st_session_state(p.s[0]), ST_S_LIVE);
	assert_same(a, b);

	put(a, "notes", "live", "{\"pushed\":1}");
	assert_int_equal(st_session_notify(p.s[0]), 0);
	assert_int_equal(st_pair_run(&p, 100), 0);
	assert_same(a, b);
	/* Both sides compared digests again after the push: identical, not a guess. */
	assert_true(st_session_stats(p.s[0])->identical && st_session_stats(p.s[1])->identical);
	/* Concurrent writes on both while live: both end identical too. */
	put(a, "notes", "both-a", "{}");
	put(b, "notes", "both-b", "{}");
	assert_int_equal(st_session_notify(p.s[0]), 0);
	assert_int_equal(st_session_notify(p.s[1]), 0);
	assert_int_equal(st_pair_run(&p, 100), 0);
	assert_same(a, b);
	assert_true(st_session_stats(p.s[0])->identical && st_session_stats(p.s[1])->identical);
	/* Not echoed back: a got only b's own ops. */
	assert_int_equal(st_session_stats(p.s[0])->ops_in, 6);
	st_pair_close(&p);
	st_db_close(a);
	st_db_close(b);
}

static int chunk_rc = 1;
static void on_chunk(void *arg, const uint8_t hash[ST_HASH_LEN], int rc)
{
	(void)arg, (void)hash;
	chunk_rc = rc;
}

static void chunks_on_demand(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
	struct st_replica ra = st_db_replica(a), rb = st_db_replica(b);
	uint8_t data[5000], hash[ST_HASH_LEN], other[ST_HASH_LEN] = { 1 };
	randombytes_buf(data, sizeof(data));
	crypto_generichash(hash, sizeof(hash), data, sizeof(data), NULL, 0);
	assert_int_equal(ra.vt->chunk_put(ra.ctx, hash, data, sizeof(data)), 0);

	struct st_session_cfg ca = cfg_for(dev_b, 1), cb = cfg_for(dev_a, 0);
	cb.on_chunk = on_chunk;
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, ra, &ca, rb, &cb), 0);
	assert_int_equal(st_pair_run(&p, 100), 0);
	assert_int_equal(st_session_want_chunk(p.s[1], hash), 0);
	assert_int_equal(st_pair_run(&p, 100), 0);
	assert_int_equal(chunk_rc, 0);
	assert_int_equal(rb.vt->chunk_has(rb.ctx, hash), 1);
	assert_int_equal(st_session_want_chunk(p.s[1], other), 0);
	assert_int_equal(st_pair_run(&p, 100), 0);
	assert_int_equal(chunk_rc, SP_ENOTFOUND);
	assert_int_equal(st_session_state(p.s[1]), ST_S_LIVE);

	/* A chunk nobody asked for closes the session. */
	struct st_buf f = { 0 };
	st_frame_chunk(&f, other, data, 10);
	assert_true(st_session_input(p.s[1], f.p, f.len) < 0);
	assert_int_equal(st_session_state(p.s[1]), ST_S_CLOSED);
	st_buf_free(&f);
	st_pair_close(&p);
	st_db_close(a);
	st_db_close(b);
}

/* The owner sends only the shared collection and accepts nothing; the reader reads. */
static void friend_reads_shared_only(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *r = open_mem(dev_c);
	put_many(a, "photos", "p", 30);
	put_many(a, "diary", "d", 30);
	const char *shared[] = { "photos" };
	struct st_session_cfg owner = cfg_for(dev_c, 0), reader = cfg_for(dev_a, 1);
	owner.filter = (struct st_filter){ shared, 1 };
	owner.accept = 0;
	reader.send = 0;
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, st_db_replica(a), &owner, st_db_replica(r), &reader), 0);
	assert_int_equal(st_pair_run(&p, 1000), 0);
	assert_int_equal(st_session_state(p.s[0]), ST_S_LIVE);
	assert_true(st_session_stats(p.s[0])->identical);
	struct st_db_stats st;
	assert_int_equal(st_db_stats(r, &st), 0);
	assert_int_equal(st.ops, 30);
	assert_int_equal(st_db_stats(a, &st), 0);
	assert_int_equal(st.ops, 60);

	/* A friend asks for a chunk by hash: refused (no content probing). */
	struct st_buf cw = { 0 };
	uint8_t h[ST_HASH_LEN] = { 5 };
	st_frame_chunk_want(&cw, h);
	struct st_pair q;
	assert_int_equal(st_pair_open(&q, st_db_replica(a), &owner, st_db_replica(r), &reader), 0);
	assert_int_equal(st_pair_run(&q, 1000), 0);
	assert_int_equal(st_session_input(q.s[0], cw.p, cw.len), SP_EPROTO);
	st_buf_free(&cw);
	st_pair_close(&q);

	/* OPS from the reader are refused. */
	struct st_buf f = { 0 };
	size_t off = st_frame_begin(&f, ST_F_OPS);
	uint8_t op[128];
	struct st_op o = { .hlc = 1, .kind = ST_OP_PUT, .coll = "photos", .coll_len = 6,
			   .key = "x", .key_len = 1, .value = (const uint8_t *)"1", .value_len = 1 };
	int n = st_op_encode(&o, op, sizeof(op));
	assert_true(n > 0);
	st_frame_ops_add(&f, op, (size_t)n);
	st_frame_end(&f, off, 1);
	assert_int_equal(st_session_input(p.s[0], f.p, f.len), SP_EPROTO);
	assert_int_equal(st_db_stats(a, &st), 0);
	assert_int_equal(st.ops, 60);
	st_buf_free(&f);
	st_pair_close(&p);
	st_db_close(a);
	st_db_close(r);
}

/* Feed a session b (peer a) these bytes after a's real HELLO; b's store must not change. */
static int hostile(struct st_db *a, struct st_db *b, const uint8_t *bytes, size_t len)
{
	struct st_session_cfg ca = cfg_for(dev_b, 1), cb = cfg_for(dev_a, 0);
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, st_db_replica(a), &ca, st_db_replica(b), &cb), 0);
	size_t hl;
	const uint8_t *h = st_session_output(p.s[0], &hl);
	struct st_fp before, after;
	digest_of(b, NULL, &before);
	int rc = st_session_input(p.s[1], h, hl);
	if (rc == 0)
		rc = st_session_input(p.s[1], bytes, len);
	digest_of(b, NULL, &after);
	assert_int_equal(before.n, after.n);
	assert_true(before.lo == after.lo);
	if (rc < 0) {
		assert_int_equal(st_session_state(p.s[1]), ST_S_CLOSED);
		/* The peer is told why: an ERROR frame is the last thing out. */
		size_t ol;
		const uint8_t *o = st_session_output(p.s[1], &ol);
		assert_true(ol > ST_FRAME_HDR);
		(void)o;
	}
	st_pair_close(&p);
	return rc;
}

static void hostile_frames_change_nothing(void **state)
{
	(void)state;
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
	put_many(a, "notes", "a", 3);
	put_many(b, "notes", "b", 3);

	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, ST_F_OPS };
	assert_int_equal(hostile(a, b, huge, sizeof(huge)), SP_EMALFORMED);
	static const uint8_t unknown[] = { 0, 0, 0, 1, 99 };
	assert_int_equal(hostile(a, b, unknown, sizeof(unknown)), SP_EPROTO);
	/* DONE before anything was caught up. */
	struct st_buf f = { 0 };
	uint8_t zero[ST_ID_LEN] = { 0 };
	st_frame_done(&f, 0, zero);
	assert_int_equal(hostile(a, b, f.p, f.len), SP_ESTATE);
	st_buf_free(&f);

	/* An OPS frame whose second op is bad: the first is not kept either. */
	uint8_t op[128];
	struct st_op o = { .hlc = 5ull << 16, .kind = ST_OP_PUT, .coll = "notes", .coll_len = 5,
			   .key = "ok", .key_len = 2, .value = (const uint8_t *)"{}", .value_len = 2 };
	int n = st_op_encode(&o, op, sizeof(op));
	assert_true(n > 0);
	size_t off = st_frame_begin(&f, ST_F_OPS);
	st_frame_ops_add(&f, op, (size_t)n);
	op[n - 1] = '!';	/* the JSON of the copy no longer parses */
	st_frame_ops_add(&f, op, (size_t)n);
	st_frame_end(&f, off, 2);
	assert_int_equal(hostile(a, b, f.p, f.len), SP_EMALFORMED);
	st_buf_free(&f);

	/* An op stamped far in the future (clock skew) is refused. */
	o.hlc = ((uint64_t)time(NULL) * 1000 + 3600 * 1000ull) << 16;
	n = st_op_encode(&o, op, sizeof(op));
	off = st_frame_begin(&f, ST_F_OPS);
	st_frame_ops_add(&f, op, (size_t)n);
	st_frame_end(&f, off, 1);
	assert_int_equal(hostile(a, b, f.p, f.len), SP_ELIMIT);
	st_buf_free(&f);

	/* RANGES out of order. */
	off = st_frame_begin(&f, ST_F_RANGES);
	struct st_range r1 = { .upper = { .hlc = 9 }, .mode = ST_R_SKIP };
	struct st_range r2 = { .upper = { .hlc = 3 }, .mode = ST_R_SKIP };
	st_frame_range_add(&f, &r1);
	st_frame_range_add(&f, &r2);
	st_frame_end(&f, off, 2);
	assert_true(hostile(a, b, f.p, f.len) < 0);
	st_buf_free(&f);

	/* A HELLO from a device other than the one the tunnel vouched for. */
	struct st_session_cfg cb = cfg_for(dev_c, 0), ca = cfg_for(dev_b, 1);
	struct st_pair p;
	assert_int_equal(st_pair_open(&p, st_db_replica(a), &ca, st_db_replica(b), &cb), 0);
	assert_int_equal(st_pair_run(&p, 10), SP_EAUTH);
	assert_int_equal(st_session_state(p.s[1]), ST_S_CLOSED);
	st_pair_close(&p);
	st_db_close(a);
	st_db_close(b);
}

/*
 * Writes landing at every point of a session, on either side or both: once
 * quiet, both sides say identical (the LIVE digests were compared again).
 */
static void writes_at_every_step_end_identical(void **state)
{
	(void)state;
	for (int k = 0; k < 10; k++)
		for (int who = 0; who < 3; who++) {
			struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b);
			put(a, "notes", "first", "{}");
			struct st_session_cfg ca = cfg_for(dev_b, 1), cb = cfg_for(dev_a, 0);
			struct st_pair p;
			assert_int_equal(st_pair_open(&p, st_db_replica(a), &ca, st_db_replica(b), &cb), 0);
			for (int i = 0; i < 60; i++) {
				if (i == k && who != 1) {
					put(b, "notes", "from-b", "{}");
					assert_int_equal(st_session_notify(p.s[1]), 0);
				}
				if (i == k && who != 0) {
					put(a, "notes", "from-a", "{}");
					assert_int_equal(st_session_notify(p.s[0]), 0);
				}
				assert_true(st_pair_step(&p, 0) >= 0);
			}
			assert_same(a, b);
			assert_true(st_session_stats(p.s[0])->identical);
			assert_true(st_session_stats(p.s[1])->identical);
			st_pair_close(&p);
			st_db_close(a);
			st_db_close(b);
		}
}

/* Record what a session agreed, as the plane does after each sync. */
static void record(struct st_db *db, const uint8_t *peer, const struct st_pair *p, int side)
{
	const struct st_session_stats *st = st_session_stats(p->s[side]);
	struct st_db_peer rec = { .identical = st->identical, .agreed_seq = st->agreed_seq, .own = 1 };
	memcpy(rec.device, peer, ST_ID_LEN);
	assert_true(st->identical);
	assert_int_equal(st_db_peer_record(db, &rec), 0);
}

static int count_ops(struct st_db *db)
{
	struct st_db_stats st;
	assert_int_equal(st_db_stats(db, &st), 0);
	return (int)st.ops;
}

/* A delete every own device holds is collected; the set stays the same; a newcomer hears GONE. */
static void tombstones_collected(void **state)
{
	(void)state;
	static const uint8_t dev_d[ST_ID_LEN] = { 0xd };
	struct st_db *a = open_mem(dev_a), *b = open_mem(dev_b), *c = open_mem(dev_c),
		     *d = open_mem(dev_d);
	put_many(a, "notes", "keep", 5);
	put(a, "notes", "gone", "{\"v\":1}");
	put(a, "notes", "gone", "{\"v\":2}");
	assert_int_equal(st_db_del(a, "notes", "gone", 0, ++clock_ms, NULL), 0);
	struct st_pair p;
	uint64_t upto;
	size_t n;
	/* Only b has agreed: with two other devices listed, nothing may go. */
	sync_once(a, dev_a, b, dev_b, 0, &p);
	record(a, dev_b, &p, 0);
	st_pair_close(&p);
	assert_int_equal(st_db_gc_horizon(a, 2, &upto), SP_ENOTFOUND);
	sync_once(a, dev_a, c, dev_c, 0, &p);
	record(a, dev_c, &p, 0);
	st_pair_close(&p);
	assert_int_equal(st_db_gc_horizon(a, 2, &upto), 0);
	assert_int_equal(st_db_gc_horizon(a, 0, &upto), SP_ENOTFOUND);

	struct st_fp before, after;
	digest_of(a, NULL, &before);
	assert_int_equal(st_db_gc(a, upto, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count_ops(a), 5);
	digest_of(a, NULL, &after);
	assert_true(before.n == after.n && before.lo == after.lo && before.hi == after.hi);

	/* b, which still holds the three ops of "gone", is in step with a. */
	assert_int_equal(sync_once(b, dev_b, a, dev_a, 0, NULL), ST_PATH_IN_STEP);
	/* An old op of the collected key, offered again, counts as held. */
	struct st_replica rb = st_db_replica(b), ra = st_db_replica(a);
	struct opbuf { uint8_t op[512]; size_t len; } first = { .len = 0 };
	uint64_t last;
	assert_int_equal(rb.vt->ops_since(rb.ctx, 0, NULL, SIZE_MAX, keep_first, &first, &last), 0);
	assert_true(first.len > 0);
	assert_int_equal(ra.vt->apply(ra.ctx, first.op, first.len, NULL), 1);
	assert_int_equal(count_ops(a), 5);

	/* d, new, reconciles with a: the live ops as OPS, the collected as GONE. */
	assert_int_equal(sync_once(d, dev_d, a, dev_a, 0, &p), ST_PATH_RECON);
	assert_int_equal(st_session_stats(p.s[1])->gone_out, 3);
	st_pair_close(&p);
	assert_same(a, d);
	assert_int_equal(count_ops(d), 5);
	st_db_close(a);
	st_db_close(b);
	st_db_close(c);
	st_db_close(d);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths_in_step_cursor_and_recon),
		cmocka_unit_test(recon_scattered),
		cmocka_unit_test(lying_cursor_repairs),
		cmocka_unit_test(bytewise_and_live),
		cmocka_unit_test(chunks_on_demand),
		cmocka_unit_test(friend_reads_shared_only),
		cmocka_unit_test(hostile_frames_change_nothing),
		cmocka_unit_test(tombstones_collected),
		cmocka_unit_test(writes_at_every_step_end_identical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
