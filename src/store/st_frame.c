/*
 * st_frame.c - the sync frames' codec (pure code).  st_frame.h gives the
 * encoding; every decoder here checks exact lengths and the named bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_frame.h"
#include "store/st_json.h"
#include "store/st_wire.h"

/* The session keeps its output near ST_FRAME_FILL; this is a backstop. */
#define ST_BUF_MAX (16u * ST_FRAME_MAX)

const char *st_frame_name(int type)
{
	static const char *const names[] = {
		[ST_F_HELLO] = "HELLO", [ST_F_OPS] = "OPS", [ST_F_CAUGHT_UP] = "CAUGHT_UP",
		[ST_F_RANGES] = "RANGES", [ST_F_WANT] = "WANT", [ST_F_DONE] = "DONE",
		[ST_F_CHUNK_WANT] = "CHUNK_WANT", [ST_F_CHUNK] = "CHUNK", [ST_F_ERROR] = "ERROR",
		[ST_F_GONE] = "GONE",
	};
	if (type <= 0 || type > ST_F_GONE)
		return "unknown";
	return names[type];
}

void st_buf_free(struct st_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void st_buf_consume(struct st_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static uint8_t *buf_room(struct st_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = cap <= ST_BUF_MAX ? realloc(b->p, cap) : NULL;
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	uint8_t *at = b->p + b->len;
	b->len += n;
	return at;
}

static void buf_bytes(struct st_buf *b, const void *in, size_t n)
{
	uint8_t *at = buf_room(b, n);
	if (at && n)
		memcpy(at, in, n);
}

static void buf_uint(struct st_buf *b, uint64_t v, unsigned n)
{
	uint8_t *at = buf_room(b, n);
	for (unsigned k = 0; at && k < n; k++)
		at[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
}

static void patch_uint(uint8_t *at, uint64_t v, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		at[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
}

/* Frames with a count (OPS, RANGES, WANT) reserve a u16 for it after the type. */
static int counted(uint8_t type)
{
	return type == ST_F_OPS || type == ST_F_RANGES || type == ST_F_WANT || type == ST_F_GONE;
}

size_t st_frame_begin(struct st_buf *b, enum st_frame_type type)
{
	size_t off = b->len;
	buf_uint(b, 0, 4);
	buf_uint(b, type, 1);
	if (counted(type))
		buf_uint(b, 0, 2);
	return off;
}

void st_frame_end(struct st_buf *b, size_t off, size_t n)
{
	if (b->err)
		return;
	size_t len = b->len - off - 4;
	if (len > ST_FRAME_MAX) {
		/* The session never builds one this large; refuse to send it. */
		b->err = -EMSGSIZE;
		return;
	}
	patch_uint(b->p + off, len, 4);
	if (counted(b->p[off + 4]))
		patch_uint(b->p + off + ST_FRAME_HDR, n, 2);
}

void st_frame_hello(struct st_buf *b, const struct st_hello *h)
{
	size_t off = st_frame_begin(b, ST_F_HELLO);
	buf_uint(b, h->version, 1);
	buf_bytes(b, h->device, ST_ID_LEN);
	buf_bytes(b, h->epoch, ST_EPOCH_LEN);
	buf_uint(b, h->max_seq, 8);
	buf_uint(b, h->count, 8);
	buf_bytes(b, h->digest, ST_ID_LEN);
	buf_bytes(b, h->known_epoch, ST_EPOCH_LEN);
	buf_uint(b, h->known_seq, 8);
	st_frame_end(b, off, 0);
}

void st_frame_ops_add(struct st_buf *b, const uint8_t *op, size_t len)
{
	buf_uint(b, len, 4);
	buf_bytes(b, op, len);
}

static void bound_put(struct st_buf *b, const struct st_bound *bd)
{
	buf_uint(b, bd->hlc, 8);
	buf_uint(b, bd->plen, 1);
	if (bd->plen != ST_BOUND_END)
		buf_bytes(b, bd->prefix, bd->plen);
}

void st_frame_range_add(struct st_buf *b, const struct st_range *r)
{
	bound_put(b, &r->upper);
	buf_uint(b, r->mode, 1);
	if (r->mode == ST_R_FP) {
		buf_uint(b, r->count, 8);
		buf_bytes(b, r->fp, ST_ID_LEN);
	} else if (r->mode == ST_R_IDS) {
		buf_uint(b, r->n_ids, 2);
		buf_bytes(b, r->ids, r->n_ids * ST_ID_LEN);
	}
}

void st_frame_id_add(struct st_buf *b, const uint8_t id[ST_ID_LEN])
{
	buf_bytes(b, id, ST_ID_LEN);
}

void st_frame_u64(struct st_buf *b, enum st_frame_type type, uint64_t v)
{
	size_t off = st_frame_begin(b, type);
	buf_uint(b, v, 8);
	st_frame_end(b, off, 0);
}

void st_frame_done(struct st_buf *b, uint64_t count, const uint8_t digest[ST_ID_LEN])
{
	size_t off = st_frame_begin(b, ST_F_DONE);
	buf_uint(b, count, 8);
	buf_bytes(b, digest, ST_ID_LEN);
	st_frame_end(b, off, 0);
}

void st_frame_chunk_want(struct st_buf *b, const uint8_t hash[ST_HASH_LEN])
{
	size_t off = st_frame_begin(b, ST_F_CHUNK_WANT);
	buf_bytes(b, hash, ST_HASH_LEN);
	st_frame_end(b, off, 0);
}

void st_frame_chunk(struct st_buf *b, const uint8_t hash[ST_HASH_LEN], const uint8_t *data,
		    size_t len)
{
	size_t off = st_frame_begin(b, ST_F_CHUNK);
	buf_bytes(b, hash, ST_HASH_LEN);
	buf_bytes(b, data, len);
	st_frame_end(b, off, 0);
}

void st_frame_error(struct st_buf *b, int code, const char *text)
{
	size_t n = strlen(text);
	if (n > ST_ERROR_TEXT_MAX)
		n = ST_ERROR_TEXT_MAX;
	size_t off = st_frame_begin(b, ST_F_ERROR);
	buf_uint(b, (uint16_t)-code, 2);
	buf_bytes(b, text, n);
	st_frame_end(b, off, 0);
}

int st_frame_split(const uint8_t *buf, size_t len, uint8_t *type, const uint8_t **body,
		   size_t *body_len, size_t *frame_len)
{
	if (len < 4)
		return 0;
	uint64_t n = (uint64_t)buf[0] << 24 | (uint64_t)buf[1] << 16 | (uint64_t)buf[2] << 8 | buf[3];
	if (n < 1 || n > ST_FRAME_MAX)
		return SP_EMALFORMED;
	if (len - 4 < n)
		return 0;
	*type = buf[4];
	*body = buf + ST_FRAME_HDR;
	*body_len = (size_t)n - 1;
	*frame_len = (size_t)n + 4;
	return 1;
}

int st_hello_decode(const uint8_t *b, size_t len, struct st_hello *h)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	h->version = (uint8_t)st__rd_uint(&r, 1);
	st__rd_copy(&r, h->device, ST_ID_LEN);
	st__rd_copy(&r, h->epoch, ST_EPOCH_LEN);
	h->max_seq = st__rd_uint(&r, 8);
	h->count = st__rd_uint(&r, 8);
	st__rd_copy(&r, h->digest, ST_ID_LEN);
	st__rd_copy(&r, h->known_epoch, ST_EPOCH_LEN);
	h->known_seq = st__rd_uint(&r, 8);
	return st__rd_end(&r);
}

int st_u64_decode(const uint8_t *b, size_t len, uint64_t *v)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	*v = st__rd_uint(&r, 8);
	return st__rd_end(&r);
}

int st_done_decode(const uint8_t *b, size_t len, uint64_t *count, uint8_t digest[ST_ID_LEN])
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	*count = st__rd_uint(&r, 8);
	st__rd_copy(&r, digest, ST_ID_LEN);
	return st__rd_end(&r);
}

static void bound_get(struct st__rd *r, struct st_bound *bd)
{
	memset(bd, 0, sizeof(*bd));
	bd->hlc = st__rd_uint(r, 8);
	bd->plen = (uint8_t)st__rd_uint(r, 1);
	if (bd->plen == ST_BOUND_END)
		return;
	if (bd->plen > ST_ID_LEN) {
		r->err = SP_EMALFORMED;
		return;
	}
	st__rd_copy(r, bd->prefix, bd->plen);
}

int st_ranges_decode(const uint8_t *b, size_t len, struct st_range *out, size_t *n)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	size_t k = (size_t)st__rd_uint(&r, 2);
	if (k > ST_RANGES_MAX)
		return SP_EMALFORMED;
	for (size_t i = 0; i < k && !r.err; i++) {
		struct st_range *g = &out[i];
		memset(g, 0, sizeof(*g));
		bound_get(&r, &g->upper);
		if (i > 0 && (out[i - 1].upper.plen == ST_BOUND_END ||
			      st_bound_cmp(&out[i - 1].upper, &g->upper) >= 0))
			return SP_EMALFORMED;
		g->mode = (enum st_range_mode)st__rd_uint(&r, 1);
		switch (g->mode) {
		case ST_R_SKIP:
			break;
		case ST_R_FP:
			g->count = st__rd_uint(&r, 8);
			st__rd_copy(&r, g->fp, ST_ID_LEN);
			break;
		case ST_R_IDS:
			g->n_ids = (size_t)st__rd_uint(&r, 2);
			if (g->n_ids > ST_IDS_MAX)
				return SP_EMALFORMED;
			g->ids = st__rd_take(&r, g->n_ids * ST_ID_LEN);
			for (size_t j = 1; g->ids && j < g->n_ids; j++)
				if (memcmp(g->ids + (j - 1) * ST_ID_LEN, g->ids + j * ST_ID_LEN,
					   ST_ID_LEN) >= 0)
					return SP_EMALFORMED;
			break;
		default:
			return SP_EMALFORMED;
		}
	}
	/* A non-empty message covers the whole space: its last range ends at the end. */
	if (k > 0 && !r.err && out[k - 1].upper.plen != ST_BOUND_END)
		return SP_EMALFORMED;
	*n = k;
	return st__rd_end(&r);
}

int st_want_decode(const uint8_t *b, size_t len, const uint8_t **ids, size_t *n)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	size_t k = (size_t)st__rd_uint(&r, 2);
	if (k < 1 || k > ST_WANT_MAX)
		return SP_EMALFORMED;
	*ids = st__rd_take(&r, k * ST_ID_LEN);
	*n = k;
	return st__rd_end(&r);
}

int st_chunk_want_decode(const uint8_t *b, size_t len, const uint8_t **hash)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	*hash = st__rd_take(&r, ST_HASH_LEN);
	return st__rd_end(&r);
}

int st_chunk_decode(const uint8_t *b, size_t len, const uint8_t **hash, const uint8_t **data,
		    size_t *data_len)
{
	if (len < ST_HASH_LEN || len - ST_HASH_LEN > ST_CDC_MAX)
		return SP_EMALFORMED;
	*hash = b;
	*data = b + ST_HASH_LEN;
	*data_len = len - ST_HASH_LEN;
	return 0;
}

int st_error_decode(const uint8_t *b, size_t len, int *code, char *text)
{
	if (len < 2 || len - 2 > ST_ERROR_TEXT_MAX || !st_json_utf8_plain((const char *)b + 2, len - 2))
		return SP_EMALFORMED;
	*code = -(int)((unsigned)b[0] << 8 | b[1]);
	memcpy(text, b + 2, len - 2);
	text[len - 2] = '\0';
	return 0;
}

int st_ops_iter_init(struct st_ops_iter *it, const uint8_t *b, size_t len)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	size_t k = (size_t)st__rd_uint(&r, 2);
	if (k < 1)
		return SP_EMALFORMED;
	it->n = k;
	it->p = r.p;
	it->left = r.left;
	for (size_t i = 0; i < k && !r.err; i++) {
		size_t n = (size_t)st__rd_uint(&r, 4);
		if (n < 1 || n > ST_OP_MAX)
			return SP_EMALFORMED;
		st__rd_take(&r, n);
	}
	return st__rd_end(&r);
}

int st_ops_iter_next(struct st_ops_iter *it, const uint8_t **op, size_t *len)
{
	if (it->n == 0)
		return 0;
	struct st__rd r;
	st__rd_init(&r, it->p, it->left);
	*len = (size_t)st__rd_uint(&r, 4);
	*op = st__rd_take(&r, *len);
	it->p = r.p;
	it->left = r.left;
	it->n--;
	return 1;
}

int st_bound_above(const struct st_bound *b, const struct st_item *item)
{
	if (b->plen == ST_BOUND_END)
		return 1;
	if (item->hlc != b->hlc)
		return item->hlc < b->hlc;
	return memcmp(item->id, b->prefix, ST_ID_LEN) < 0;
}

int st_bound_cmp(const struct st_bound *a, const struct st_bound *b)
{
	int ae = a->plen == ST_BOUND_END, be = b->plen == ST_BOUND_END;
	if (ae || be)
		return ae - be;
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->prefix, b->prefix, ST_ID_LEN);
}

void st_frame_gone_add(struct st_buf *b, const struct st_gone *g)
{
	buf_uint(b, g->hlc, 8);
	buf_bytes(b, g->id, ST_ID_LEN);
	buf_uint(b, g->coll_len, 1);
	buf_bytes(b, g->coll, g->coll_len);
}

static void gone_get(struct st__rd *r, struct st_gone *g)
{
	g->hlc = st__rd_uint(r, 8);
	g->id = st__rd_take(r, ST_ID_LEN);
	g->coll_len = (size_t)st__rd_uint(r, 1);
	g->coll = (const char *)st__rd_take(r, g->coll_len);
}

int st_gone_iter_init(struct st_ops_iter *it, const uint8_t *b, size_t len)
{
	struct st__rd r;
	st__rd_init(&r, b, len);
	size_t k = (size_t)st__rd_uint(&r, 2);
	if (k < 1 || k > ST_GONE_MAX)
		return SP_EMALFORMED;
	it->n = k;
	it->p = r.p;
	it->left = r.left;
	for (size_t i = 0; i < k && !r.err; i++) {
		struct st_gone g;
		gone_get(&r, &g);
		if (!r.err && !st_coll_valid(g.coll, g.coll_len, 1))
			return SP_EMALFORMED;
	}
	return st__rd_end(&r);
}

int st_gone_iter_next(struct st_ops_iter *it, struct st_gone *g)
{
	if (it->n == 0)
		return 0;
	struct st__rd r;
	st__rd_init(&r, it->p, it->left);
	gone_get(&r, g);
	it->p = r.p;
	it->left = r.left;
	it->n--;
	return 1;
}
