/*
 * st_recon.c - range-based set reconciliation (pure code); st_recon.h has
 * the rules of an answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_recon.h"

void st_idvec_push(struct st_idvec *v, const uint8_t id[ST_ID_LEN])
{
	if (v->err)
		return;
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 256;
		void *p = realloc(v->id, cap * ST_ID_LEN);
		if (!p) {
			v->err = -ENOMEM;
			return;
		}
		v->id = p;
		v->cap = cap;
	}
	memcpy(v->id[v->n++], id, ST_ID_LEN);
}

void st_idvec_free(struct st_idvec *v)
{
	free(v->id);
	memset(v, 0, sizeof(*v));
}

int st_recon_init(struct st_recon *r, struct st_item *items, size_t n)
{
	r->items = items;
	r->n = n;
	r->pre = malloc((n + 1) * sizeof(*r->pre));
	if (!r->pre) {
		st_recon_free(r);
		return -ENOMEM;
	}
	memset(&r->pre[0], 0, sizeof(r->pre[0]));
	for (size_t i = 0; i < n; i++) {
		r->pre[i + 1] = r->pre[i];
		st_fp_add(&r->pre[i + 1], items[i].id);
	}
	return 0;
}

void st_recon_free(struct st_recon *r)
{
	free(r->items);
	free(r->pre);
	memset(r, 0, sizeof(*r));
}

struct st_fp st_recon_total(const struct st_recon *r)
{
	return r->pre[r->n];
}

/* How many items lie below bound b. */
static size_t below(const struct st_recon *r, const struct st_bound *b)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st_bound_above(b, &r->items[mid]))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The shortest bound with items[i - 1] below it and items[i] not (0 < i < n). */
static void bound_between(const struct st_recon *r, size_t i, struct st_bound *b)
{
	const struct st_item *p = &r->items[i - 1], *q = &r->items[i];
	memset(b, 0, sizeof(*b));
	b->hlc = q->hlc;
	if (p->hlc != q->hlc)
		return;
	size_t d = 0;
	while (d < ST_ID_LEN - 1 && p->id[d] == q->id[d])
		d++;
	b->plen = (uint8_t)(d + 1);
	memcpy(b->prefix, q->id, b->plen);
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ST_ID_LEN);
}

/* The answer being built: ranges so far, and a run of SKIPs not yet written. */
struct answer {
	const struct st_recon *r;
	struct st_buf *out;
	size_t off, n_out, n_real;
	int skip_open;
	struct st_bound skip_upper;
};

static void put_range(struct answer *a, const struct st_range *g)
{
	st_frame_range_add(a->out, g);
	a->n_out++;
}

static void flush_skip(struct answer *a)
{
	if (!a->skip_open)
		return;
	struct st_range g = { .upper = a->skip_upper, .mode = ST_R_SKIP };
	put_range(a, &g);
	a->skip_open = 0;
}

static void emit_skip(struct answer *a, const struct st_bound *upper)
{
	a->skip_open = 1;
	a->skip_upper = *upper;
}

static void emit_fp(struct answer *a, size_t lo, size_t hi, const struct st_bound *upper)
{
	struct st_fp f = st_fp_sub(a->r->pre[hi], a->r->pre[lo]);
	struct st_range g = { .upper = *upper, .mode = ST_R_FP, .count = f.n };
	st_fp_digest(&f, g.fp);
	flush_skip(a);
	put_range(a, &g);
	a->n_real++;
}

/* List items [lo, hi) (at most ST_RECON_IDS) by id. */
static void emit_ids(struct answer *a, size_t lo, size_t hi, const struct st_bound *upper)
{
	uint8_t ids[ST_RECON_IDS][ST_ID_LEN];
	size_t k = hi - lo;
	for (size_t i = 0; i < k; i++)
		memcpy(ids[i], a->r->items[lo + i].id, ST_ID_LEN);
	if (k > 1)
		qsort(ids, k, ST_ID_LEN, id_cmp);
	struct st_range g = { .upper = *upper, .mode = ST_R_IDS, .n_ids = k, .ids = ids[0] };
	flush_skip(a);
	put_range(a, &g);
	a->n_real++;
}

/* Our items [lo, hi) differ from the peer's in the range ending at upper. */
static void answer_differs(struct answer *a, size_t lo, size_t hi, const struct st_bound *upper)
{
	size_t m = hi - lo;
	if (m <= ST_RECON_IDS) {
		emit_ids(a, lo, hi, upper);
		return;
	}
	size_t from = lo;
	for (size_t j = 1; j <= ST_RECON_SPLIT; j++) {
		size_t to = j == ST_RECON_SPLIT ? hi : lo + m * j / ST_RECON_SPLIT;
		struct st_bound b;
		if (to == hi)
			b = *upper;
		else
			bound_between(a->r, to, &b);
		if (to - from <= ST_RECON_INLINE)
			emit_ids(a, from, to, &b);
		else
			emit_fp(a, from, to, &b);
		from = to;
	}
}

/* Their ids of a range against ours, items [lo, hi). */
static int answer_ids(struct answer *a, size_t lo, size_t hi, const struct st_range *g,
		      struct st_idvec *have, struct st_idvec *need)
{
	size_t m = hi - lo;
	if (have)
		for (size_t i = lo; i < hi; i++)
			if (!g->n_ids || !bsearch(a->r->items[i].id, g->ids, g->n_ids, ST_ID_LEN, id_cmp))
				st_idvec_push(have, a->r->items[i].id);
	if (need && g->n_ids) {
		uint8_t (*mine)[ST_ID_LEN] = m ? malloc(m * ST_ID_LEN) : NULL;
		if (m && !mine)
			return -ENOMEM;
		for (size_t i = 0; i < m; i++)
			memcpy(mine[i], a->r->items[lo + i].id, ST_ID_LEN);
		if (m > 1)
			qsort(mine, m, ST_ID_LEN, id_cmp);
		for (size_t j = 0; j < g->n_ids; j++) {
			const uint8_t *id = g->ids + j * ST_ID_LEN;
			if (!m || !bsearch(id, mine, m, ST_ID_LEN, id_cmp))
				st_idvec_push(need, id);
		}
		free(mine);
	}
	if ((have && have->err) || (need && need->err))
		return -ENOMEM;
	return 0;
}

static const struct st_bound bound_end = { .plen = ST_BOUND_END };

void st_recon_start(const struct st_recon *r, struct st_buf *out)
{
	struct answer a = { .r = r, .out = out };
	a.off = st_frame_begin(out, ST_F_RANGES);
	answer_differs(&a, 0, r->n, &bound_end);
	st_frame_end(out, a.off, a.n_out);
}

int st_recon_answer(const struct st_recon *r, const struct st_range *in, size_t n,
		    struct st_buf *out, struct st_idvec *have, struct st_idvec *need)
{
	struct answer a = { .r = r, .out = out };
	a.off = st_frame_begin(out, ST_F_RANGES);
	size_t lo = 0;
	for (size_t k = 0; k < n; k++) {
		const struct st_range *g = &in[k];
		size_t hi = below(r, &g->upper);
		if (hi < lo)
			return SP_EMALFORMED;
		/* Room for one more cut: else the rest goes back as one FP, for the next round. */
		if (a.n_out + ST_RECON_SPLIT + 2 > ST_RANGES_MAX ||
		    out->len - a.off + ST_RECON_CUT_BYTES > ST_RECON_FRAME_BYTES) {
			emit_fp(&a, lo, r->n, &bound_end);
			break;
		}
		struct st_fp f = st_fp_sub(r->pre[hi], r->pre[lo]);
		uint8_t fp[ST_ID_LEN];
		int rc;
		switch (g->mode) {
		case ST_R_SKIP:
			emit_skip(&a, &g->upper);
			break;
		case ST_R_FP:
			st_fp_digest(&f, fp);
			if (f.n == g->count && memcmp(fp, g->fp, ST_ID_LEN) == 0) {
				emit_skip(&a, &g->upper);
			} else if (g->count == 0) {
				/* They hold nothing here: all of ours is theirs to have. */
				for (size_t i = lo; have && i < hi; i++)
					st_idvec_push(have, r->items[i].id);
				emit_skip(&a, &g->upper);
			} else if (hi == lo) {
				emit_ids(&a, lo, hi, &g->upper);
			} else {
				answer_differs(&a, lo, hi, &g->upper);
			}
			break;
		case ST_R_IDS:
			rc = answer_ids(&a, lo, hi, g, have, need);
			if (rc != 0)
				return rc;
			emit_skip(&a, &g->upper);
			break;
		}
		lo = hi;
	}
	if ((have && have->err) || (need && need->err))
		return -ENOMEM;
	if (a.n_real == 0) {
		/* Every range matched: an empty RANGES says reconciliation is over. */
		out->len = a.off;
		size_t off = st_frame_begin(out, ST_F_RANGES);
		st_frame_end(out, off, 0);
		return 0;
	}
	if (a.skip_open)
		flush_skip(&a);
	st_frame_end(out, a.off, a.n_out);
	return 0;
}
