/*
 * fuzz_store_frame.c - arbitrary bytes as a stream of sync frames
 * (src/store/st_frame.c).  Checks: each frame that decodes re-encodes to
 * exactly its bytes (one encoding per frame), decoded counts stay within
 * their bounds, and the splitter never reads past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/st_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct st_buf *b, const uint8_t *frame, size_t len)
{
	if (b->err || b->len != len || memcmp(b->p, frame, len) != 0)
		abort();
}

static void check(uint8_t type, const uint8_t *body, size_t len, const uint8_t *frame,
		  size_t flen)
{
	struct st_buf b = { 0 };
	struct st_hello h;
	static struct st_range r[ST_RANGES_MAX];
	struct st_ops_iter it;
	const uint8_t *ids, *hash, *p;
	uint8_t digest[ST_ID_LEN];
	uint64_t v;
	size_t n, off;
	char text[ST_ERROR_TEXT_MAX + 1];
	int code;

	switch (type) {
	case ST_F_HELLO:
		if (st_hello_decode(body, len, &h) == 0) {
			st_frame_hello(&b, &h);
			same(&b, frame, flen);
		}
		break;
	case ST_F_CAUGHT_UP:
		if (st_u64_decode(body, len, &v) == 0) {
			st_frame_u64(&b, ST_F_CAUGHT_UP, v);
			same(&b, frame, flen);
		}
		break;
	case ST_F_DONE:
		if (st_done_decode(body, len, &v, digest) == 0) {
			st_frame_done(&b, v, digest);
			same(&b, frame, flen);
		}
		break;
	case ST_F_RANGES:
		if (st_ranges_decode(body, len, r, &n) == 0) {
			if (n > ST_RANGES_MAX)
				abort();
			off = st_frame_begin(&b, ST_F_RANGES);
			for (size_t i = 0; i < n; i++) {
				if (r[i].mode == ST_R_IDS && r[i].n_ids > ST_IDS_MAX)
					abort();
				if (i && st_bound_cmp(&r[i - 1].upper, &r[i].upper) >= 0)
					abort();
				st_frame_range_add(&b, &r[i]);
			}
			st_frame_end(&b, off, n);
			same(&b, frame, flen);
		}
		break;
	case ST_F_WANT:
		if (st_want_decode(body, len, &ids, &n) == 0) {
			if (n < 1 || n > ST_WANT_MAX)
				abort();
			off = st_frame_begin(&b, ST_F_WANT);
			for (size_t i = 0; i < n; i++)
				st_frame_id_add(&b, ids + i * ST_ID_LEN);
			st_frame_end(&b, off, n);
			same(&b, frame, flen);
		}
		break;
	case ST_F_OPS:
		if (st_ops_iter_init(&it, body, len) == 0) {
			off = st_frame_begin(&b, ST_F_OPS);
			size_t k = 0;
			while (st_ops_iter_next(&it, &p, &n)) {
				if (n < 1 || n > ST_OP_MAX)
					abort();
				st_frame_ops_add(&b, p, n);
				k++;
			}
			st_frame_end(&b, off, k);
			same(&b, frame, flen);
		}
		break;
	case ST_F_CHUNK_WANT:
		if (st_chunk_want_decode(body, len, &hash) == 0) {
			st_frame_chunk_want(&b, hash);
			same(&b, frame, flen);
		}
		break;
	case ST_F_CHUNK:
		if (st_chunk_decode(body, len, &hash, &p, &n) == 0) {
			if (n > ST_CDC_MAX)
				abort();
			st_frame_chunk(&b, hash, p, n);
			same(&b, frame, flen);
		}
		break;
	case ST_F_GONE:
		if (st_gone_iter_init(&it, body, len) == 0) {
			struct st_gone g;
			off = st_frame_begin(&b, ST_F_GONE);
			size_t k = 0;
			while (st_gone_iter_next(&it, &g)) {
				if (!st_coll_valid(g.coll, g.coll_len, 1))
					abort();
				st_frame_gone_add(&b, &g);
				k++;
			}
			st_frame_end(&b, off, k);
			same(&b, frame, flen);
		}
		break;
	case ST_F_ERROR:
		if (st_error_decode(body, len, &code, text) == 0 && strlen(text) > ST_ERROR_TEXT_MAX)
			abort();
		break;
	}
	st_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size > 0) {
		uint8_t type;
		const uint8_t *body;
		size_t body_len, frame_len;
		if (st_frame_split(data, size, &type, &body, &body_len, &frame_len) != 1)
			break;
		if (frame_len > size || body + body_len > data + size)
			abort();
		check(type, body, body_len, data, frame_len);
		data += frame_len;
		size -= frame_len;
	}
	return 0;
}
