/*
 * store_bench.c - the store plane's costs, printed as plain text tables
 * (tools/bench/store.sh runs it):
 *
 *   a. sync between two SQLite replicas of N ops joined in memory (st_pair):
 *      bytes both ways, round trips and wall time, for the cursor path and
 *      for reconciliation (cfg.no_cursor), per scenario of differences;
 *   b. local write rate: st_db_put batched and one commit per write, beside
 *      raw SQLite inserts of the same rows (WAL, synchronous=NORMAL);
 *   c. content-defined chunking throughput (st_cdc) and BLAKE2b-256 for scale.
 *
 * Usage: store_bench [-n N] [-d DIR] [-x PARTS]
 *   -n N      ops per replica in part a (default 1000000)
 *   -d DIR    where the database files go (default: a mkdtemp in /tmp,
 *             removed at the end; a given DIR is left, its files removed)
 *   -x PARTS  which parts to run, e.g. "ab" (default "abc")
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "core/error.h"
#include "store/st_hlc.h"
#include "store/st_cdc.h"
#include "store/st_db.h"
#include "store/st_op.h"
#include "store/st_pair.h"
#include "store/st_session.h"

#define BATCH_BUILD 10000	/* ops per transaction while building a replica */
#define COPY_BYTES (4u << 20)	/* ops per copy transaction: about this many bytes */
#define N_RECENT 10000
#define N_SCATTER 1000

static const uint8_t dev_a[ST_ID_LEN] = { 0xa }, dev_b[ST_ID_LEN] = { 0xb },
		     dev_c[ST_ID_LEN] = { 0xc };
static char dir[4096];
static int own_dir;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "store_bench: %s: %s\n", what, sp_strerror(rc));
		exit(1);
	}
}

static void db_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void rm_db(const char *name)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[4200];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s%s", dir, name, sfx[i]);
		unlink(p);
	}
}

static struct st_db *open_db(const char *name, const uint8_t *dev)
{
	char p[4200];
	struct st_db *db;
	rm_db(name);
	db_path(p, sizeof(p), name);
	check(st_db_open(p, dev, &db), p);
	return db;
}

/* The rows every part writes: key k<i>, a small JSON document. */
static int row(char *key, size_t kcap, char *json, size_t jcap, const char *tag, uint64_t i)
{
	snprintf(key, kcap, "%s%08llu", tag, (unsigned long long)i);
	return snprintf(json, jcap, "{\"n\":%llu,\"title\":\"note %llu\",\"done\":false}",
			(unsigned long long)i, (unsigned long long)i);
}

static void put_rows(struct st_db *db, const char *tag, uint64_t n, uint64_t batch)
{
	char key[64], json[128];
	for (uint64_t i = 0; i < n; i += batch) {
		check(st_db_begin(db), "begin");
		for (uint64_t j = i; j < i + batch && j < n; j++) {
			int len = row(key, sizeof(key), json, sizeof(json), tag, j);
			check(st_db_put(db, "notes", key, json, (size_t)len, 0, st_wall_ms(), NULL), "put");
		}
		check(st_db_commit(db), "commit");
	}
}

/* ---- a. sync cost ---- */

struct copy_state {
	struct st_replica to;
	const uint8_t *skip;	/* bitmap by visit index, or NULL */
	uint64_t visited, copied;
};

static int copy_op(void *arg, uint64_t seq, const uint8_t *op, size_t len)
{
	(void)seq;
	struct copy_state *c = arg;
	uint64_t i = c->visited++;
	if (c->skip && (c->skip[i / 8] >> (i % 8) & 1))
		return 0;
	uint64_t s;
	int rc = c->to.vt->apply(c->to.ctx, op, len, &s);
	if (rc < 0)
		return rc;
	c->copied++;
	return 0;
}

/* Copy every op of from to to (those not marked in skip), in batches. */
static uint64_t copy_ops(struct st_db *from, struct st_db *to, const uint8_t *skip)
{
	struct st_replica rf = st_db_replica(from);
	struct copy_state c = { st_db_replica(to), skip, 0, 0 };
	uint64_t after = 0, last = 0, max = rf.vt->max_seq(rf.ctx);
	while (after < max) {
		check(c.to.vt->begin(c.to.ctx), "copy begin");
		check(rf.vt->ops_since(rf.ctx, after, NULL, COPY_BYTES, copy_op, &c, &last),
		      "ops_since");
		check(c.to.vt->end(c.to.ctx, 1), "copy commit");
		if (last <= after)
			break;
		after = last;
	}
	return c.copied;
}

static int same(struct st_db *x, struct st_db *y)
{
	struct st_replica rx = st_db_replica(x), ry = st_db_replica(y);
	struct st_fp a, b;
	check(rx.vt->digest(rx.ctx, NULL, &a), "digest");
	check(ry.vt->digest(ry.ctx, NULL, &b), "digest");
	return a.n == b.n && a.lo == b.lo && a.hi == b.hi;
}

struct row_res {
	char scenario[48];
	int no_cursor;
	enum st_sync_path path;
	uint64_t bytes, rt, ops;
	double ms;
	int ok;
};
static struct row_res results[16];
static size_t n_results;

static void print_row(FILE *f, const struct row_res *r)
{
	fprintf(f, "%-36s %-9s %-8s %12llu %6llu %8llu %10.1f %s\n", r->scenario,
	       r->no_cursor ? "no_cursor" : "normal", st_sync_path_name(r->path),
	       (unsigned long long)r->bytes, (unsigned long long)r->rt,
	       (unsigned long long)r->ops, r->ms, r->ok ? "" : "NOT IDENTICAL");
}

static void print_head(void)
{
	printf("%-36s %-9s %-8s %12s %6s %8s %10s\n", "scenario", "cfg", "path", "bytes",
	       "rtrips", "ops", "ms");
}

/* One session between a (initiator) and b; records and prints a row. */
static void sync_measure(struct st_db *a, struct st_db *b, const char *scenario, int no_cursor)
{
	struct st_session_cfg ca = { .send = 1, .accept = 1, .initiator = 1,
				     .no_cursor = no_cursor };
	struct st_session_cfg cb = { .send = 1, .accept = 1, .no_cursor = no_cursor };
	memcpy(ca.peer, dev_b, ST_ID_LEN);
	memcpy(cb.peer, dev_a, ST_ID_LEN);
	struct st_pair p;
	double t0 = now_s();
	check(st_pair_open(&p, st_db_replica(a), &ca, st_db_replica(b), &cb), "pair open");
	int rc = st_pair_run(&p, 10000000);
	double t1 = now_s();
	if (rc < 0)
		fprintf(stderr, "store_bench: %s: %s (%s / %s)\n", scenario, sp_strerror(rc),
			st_session_error(p.s[0]), st_session_error(p.s[1]));
	const struct st_session_stats *s0 = st_session_stats(p.s[0]), *s1 = st_session_stats(p.s[1]);
	struct row_res *r = &results[n_results < 16 ? n_results++ : 15];
	snprintf(r->scenario, sizeof(r->scenario), "%s", scenario);
	r->no_cursor = no_cursor;
	r->path = s0->path;
	r->bytes = p.bytes[0] + p.bytes[1];
	r->rt = st_pair_round_trips(&p);
	r->ops = s0->ops_in + s1->ops_in;
	r->ms = (t1 - t0) * 1000;
	r->ok = rc == 0 && st_session_state(p.s[0]) == ST_S_LIVE &&
		st_session_state(p.s[1]) == ST_S_LIVE && s0->identical && s1->identical &&
		same(a, b);
	fprintf(stderr, "  ");
	print_row(stderr, r);
	st_pair_close(&p);
}

/* n new ops on db, in one transaction. */
static void new_ops(struct st_db *db, const char *tag, uint64_t n)
{
	put_rows(db, tag, n, n);
}

/*
 * N_SCATTER ops written by a third device with old stamps, applied to db
 * only: each takes the stamp of a random op already held, so they fall at
 * scattered places all over the (hlc, id) order.
 */
static void scattered_ops(struct st_db *db, int round)
{
	struct st_replica r = st_db_replica(db);
	struct st_item *items;
	size_t n;
	check(r.vt->items(r.ctx, NULL, &items, &n), "items");
	check(r.vt->begin(r.ctx), "begin");
	for (int i = 0; i < N_SCATTER; i++) {
		char key[64], json[64];
		snprintf(key, sizeof(key), "scatter-%d-%d", round, i);
		int jl = snprintf(json, sizeof(json), "{\"s\":%d}", i);
		struct st_op o = { .hlc = items[randombytes_uniform((uint32_t)n)].hlc,
				   .kind = ST_OP_PUT, .coll = "notes", .coll_len = 5,
				   .key = key, .key_len = strlen(key),
				   .value = (const uint8_t *)json, .value_len = (size_t)jl };
		memcpy(o.device, dev_c, ST_ID_LEN);
		uint8_t buf[256];
		int len = st_op_encode(&o, buf, sizeof(buf));
		check(len, "op encode");
		uint64_t seq;
		check(r.vt->apply(r.ctx, buf, (size_t)len, &seq), "apply");
	}
	check(r.vt->end(r.ctx, 1), "commit");
	free(items);
}

static void part_a(uint64_t n)
{
	printf("== a. sync cost: two SQLite replicas of %llu ops, joined in memory (st_pair)\n",
	       (unsigned long long)n);
	struct st_db *a = open_db("a.db", dev_a), *b = open_db("b.db", dev_b);
	double t0 = now_s();
	put_rows(a, "k", n, BATCH_BUILD);
	double t1 = now_s();
	/* B gets all of A's ops but N_SCATTER picked at random. */
	uint8_t *skip = calloc(n / 8 + 1, 1);
	if (!skip)
		check(-ENOMEM, "skip");
	uint64_t n_skip = n > 2 * N_SCATTER ? N_SCATTER : 0;
	for (uint64_t k = 0; k < n_skip;) {
		uint64_t i = ((uint64_t)randombytes_random() << 32 | randombytes_random()) % n;
		if (!(skip[i / 8] >> (i % 8) & 1)) {
			skip[i / 8] |= (uint8_t)(1u << (i % 8));
			k++;
		}
	}
	uint64_t copied = copy_ops(a, b, skip);
	double t2 = now_s();
	free(skip);
	printf("built A: %llu ops in %.1f s; copied %llu of them to B in %.1f s (B lacks %llu)\n",
	       (unsigned long long)n, t1 - t0, (unsigned long long)copied, t2 - t1,
	       (unsigned long long)(n - copied));
	/* The first sync: no cursors yet; it repairs what B lacks and leaves cursors. */
	char sc[64];
	snprintf(sc, sizeof(sc), "first sync, B lacks %llu scattered", (unsigned long long)n_skip);
	sync_measure(a, b, sc, 0);

	for (int nc = 0; nc <= 1; nc++) {
		sync_measure(a, b, "identical", nc);
		new_ops(a, nc ? "one-r" : "one-c", 1);
		sync_measure(a, b, "1 op differs (new on A)", nc);
		new_ops(a, nc ? "recent-r" : "recent-c", N_RECENT);
		sync_measure(a, b, "10,000 recent ops differ (new on A)", nc);
		scattered_ops(a, nc);
		sync_measure(a, b, "1,000 scattered ops differ (on A)", nc);
		/* Reset: one more sync; identical replicas again. */
		if (!same(a, b))
			sync_measure(a, b, "reset", 0);
	}
	printf("\nsync cost, %llu ops per replica\n", (unsigned long long)n);
	print_head();
	for (size_t i = 0; i < n_results; i++)
		print_row(stdout, &results[i]);
	printf("(bytes: both directions; rtrips: st_pair_round_trips; ops: ops stored, both sides;"
	       " ms: wall time of the session, both sides in this one process)\n"
	       "cursor rows: cfg normal after a first sync left cursors; scattered ops carry old"
	       " stamps but new local seqs, so cursors find them as easily as recent ones.\n"
	       "note: negentropy publishes about 3 round trips and 1.5 KB to find one difference"
	       " among a million items (for comparison only).\n\n");
	st_db_close(a);
	st_db_close(b);
	rm_db("a.db");
	rm_db("b.db");
}

/* ---- b. local write rate ---- */

static double ours_rate(uint64_t n, uint64_t batch)
{
	struct st_db *db = open_db("w.db", dev_a);
	char key[64], json[128];
	double t0 = now_s();
	if (batch > 1) {
		put_rows(db, "k", n, batch);
	} else {
		for (uint64_t i = 0; i < n; i++) {
			int len = row(key, sizeof(key), json, sizeof(json), "k", i);
			check(st_db_put(db, "notes", key, json, (size_t)len, 0, st_wall_ms(), NULL), "put");
		}
	}
	double t = now_s() - t0;
	st_db_close(db);
	rm_db("w.db");
	return (double)n / t;
}

static void sql_exec(sqlite3 *s, const char *q)
{
	char *err = NULL;
	if (sqlite3_exec(s, q, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "store_bench: sqlite: %s: %s\n", q, err ? err : "?");
		exit(1);
	}
}

static double raw_rate(uint64_t n, uint64_t batch)
{
	char p[4200], key[64], json[128];
	rm_db("raw.db");
	db_path(p, sizeof(p), "raw.db");
	sqlite3 *s;
	sqlite3_stmt *ins;
	if (sqlite3_open(p, &s) != SQLITE_OK)
		check(-EIO, p);
	sql_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		    "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
	if (sqlite3_prepare_v2(s, "INSERT INTO kv (k, v) VALUES (?, ?)", -1, &ins, NULL) != SQLITE_OK)
		check(-EIO, "prepare");
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		if (batch > 1 && i % batch == 0)
			sql_exec(s, "BEGIN IMMEDIATE");
		int len = row(key, sizeof(key), json, sizeof(json), "k", i);
		sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, json, len, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			check(-EIO, "insert");
		sqlite3_reset(ins);
		if (batch > 1 && (i % batch == batch - 1 || i == n - 1))
			sql_exec(s, "COMMIT");
	}
	double t = now_s() - t0;
	sqlite3_finalize(ins);
	sqlite3_close(s);
	rm_db("raw.db");
	return (double)n / t;
}

static void part_b(void)
{
	printf("== b. local write rate (file databases in %s; WAL, synchronous=NORMAL)\n", dir);
	double ob = ours_rate(100000, 1000), rb = raw_rate(100000, 1000);
	double o1 = ours_rate(10000, 1), r1 = raw_rate(10000, 1);
	printf("%-40s %12s %12s %10s\n", "writes", "st_db_put/s", "raw/s", "ours/raw");
	printf("%-40s %12.0f %12.0f %10.2f\n", "100,000 in batches of 1,000", ob, rb, ob / rb);
	printf("%-40s %12.0f %12.0f %10.2f\n", "10,000, one commit each", o1, r1, o1 / r1);
	printf("(raw: INSERT of the same key and JSON into a table (k TEXT PRIMARY KEY, v TEXT);"
	       " ours: an op, its seen set, heads, the resolved doc and its FTS5 row)\n\n");
}

/* ---- c. chunking ---- */

static void part_c(void)
{
	const size_t len = 16u << 20;
	const int reps = 16;
	uint8_t *buf = malloc(len);
	if (!buf)
		check(-ENOMEM, "buffer");
	randombytes_buf(buf, len);
	uint64_t chunks = 0;
	double t0 = now_s();
	for (int r = 0; r < reps; r++)
		for (size_t off = 0; off < len;) {
			off += st_cdc_cut(buf + off, len - off);
			chunks++;
		}
	double tc = now_s() - t0;
	uint8_t h[32];
	t0 = now_s();
	for (int r = 0; r < reps; r++)
		crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
	double th = now_s() - t0;
	double mb = (double)len * reps / 1e6;
	printf("== c. chunking: %d x 16 MiB of random bytes (%.0f MB)\n", reps, mb);
	printf("%-36s %10s %10s %12s\n", "", "MB/s", "chunks", "avg bytes");
	printf("%-36s %10.0f %10llu %12.0f\n", "st_cdc (FastCDC 2K/8K/64K)", mb / tc,
	       (unsigned long long)chunks, (double)len * reps / (double)chunks);
	printf("%-36s %10.0f\n", "BLAKE2b-256 (crypto_generichash)", mb / th);
	printf("(storing a file costs both: a cut per chunk and a hash of its bytes)\n\n");
	free(buf);
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000;
	const char *parts = "abc", *given = NULL;
	int c;
	while ((c = getopt(argc, argv, "n:d:x:")) != -1) {
		switch (c) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			given = optarg;
			break;
		case 'x':
			parts = optarg;
			break;
		default:
			fprintf(stderr, "usage: store_bench [-n N] [-d DIR] [-x abc]\n");
			return 2;
		}
	}
	if (n < 1 || n > 100000000) {
		fprintf(stderr, "store_bench: -n: 1..100000000\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (given) {
		snprintf(dir, sizeof(dir), "%s", given);
	} else {
		snprintf(dir, sizeof(dir), "/tmp/store_bench.XXXXXX");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		own_dir = 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strchr(parts, 'a'))
		part_a(n);
	if (strchr(parts, 'b'))
		part_b();
	if (strchr(parts, 'c'))
		part_c();
	if (own_dir)
		rmdir(dir);
	return 0;
}
