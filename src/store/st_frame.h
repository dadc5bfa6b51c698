/*
 * st_frame.h - the sync protocol's frames (pure code: no I/O, no globals).
 * docs/ARCHITECTURE.md, "Store plane", walks through a session.
 *
 * A session is a byte stream (TCP to the peer's overlay address) of frames:
 *
 *   u32 len | u8 type | body[len - 1]        (big-endian, 1 <= len <= ST_FRAME_MAX)
 *
 *   HELLO      u8 version | device[16] | epoch[16] | u64 max_seq |
 *              u64 count | digest[16] | known_epoch[16] | u64 known_seq
 *              (who I am, what I hold, and how far I hold yours)
 *   OPS        u16 n | n * (u32 len | op)       (st_op.h encoding, 1 <= n)
 *   CAUGHT_UP  u64 seq                          (you now hold all of mine up to seq)
 *   RANGES     u16 n | n * range                (reconciliation; n = 0: finished)
 *      range:  bound | u8 mode | SKIP: - / FP: u64 count | fp[16] / IDS: u16 k | k * id[16]
 *      bound:  u64 hlc | u8 plen (0..16, 0xff: the end) | id prefix[plen]
 *   WANT       u16 n | n * id[16]               (send me these ops)
 *   DONE       u64 count | digest[16]           (my set now; both agree: identical)
 *   CHUNK_WANT hash[32]
 *   CHUNK      hash[32] | data (1..ST_CDC_MAX)  (data empty: I do not have it)
 *   ERROR      u16 code | text (UTF-8, <= 200)  (then the sender closes)
 *   GONE       u16 n | n * (u64 hlc | id[16] | u8 coll_len | coll)
 *              (ops you asked for that were collected as garbage: st_db_gc)
 *
 * Every count has a named bound below, checked here, so a decoder never
 * lets a peer make the session allocate more than one frame's worth.
 */
#ifndef STORE_ST_FRAME_H
#define STORE_ST_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/st_cdc.h"
#include "store/st_op.h"
#include "store/st_replica.h"

#define ST_PROTO_VERSION 1
#define ST_FRAME_HDR 5
/* One largest op fits in one OPS frame, with room for its length. */
#define ST_FRAME_MAX (ST_OP_MAX + 64)
/* OPS frames are filled to about this much (ops larger than it go alone). */
#define ST_FRAME_FILL (64u * 1024u)
#define ST_RANGES_MAX 8192	/* ranges in one RANGES frame (the decoder's array is the caller's) */
#define ST_IDS_MAX 1024		/* ids in one IDS range */
#define ST_WANT_MAX 4096	/* ids in one WANT frame */
#define ST_ERROR_TEXT_MAX 200
#define ST_GONE_MAX 4096	/* entries in one GONE frame */
#define ST_BOUND_END 0xff

enum st_frame_type {
	ST_F_HELLO = 1,
	ST_F_OPS,
	ST_F_CAUGHT_UP,
	ST_F_RANGES,
	ST_F_WANT,
	ST_F_DONE,
	ST_F_CHUNK_WANT,
	ST_F_CHUNK,
	ST_F_ERROR,
	ST_F_GONE,
};

const char *st_frame_name(int type);

struct st_hello {
	uint8_t version;
	uint8_t device[ST_ID_LEN];
	uint8_t epoch[ST_EPOCH_LEN];
	uint64_t max_seq;
	uint64_t count;
	uint8_t digest[ST_ID_LEN];
	uint8_t known_epoch[ST_EPOCH_LEN];	/* all zero: I remember nothing of you */
	uint64_t known_seq;
};

/* A range's upper bound in (hlc, id) order: items below it are in the range. */
struct st_bound {
	uint64_t hlc;
	uint8_t plen;			/* 0..ST_ID_LEN, or ST_BOUND_END */
	uint8_t prefix[ST_ID_LEN];	/* zero past plen */
};

enum st_range_mode { ST_R_SKIP = 0, ST_R_FP = 1, ST_R_IDS = 2 };

struct st_range {
	struct st_bound upper;
	enum st_range_mode mode;
	uint64_t count;			/* FP */
	uint8_t fp[ST_ID_LEN];		/* FP */
	size_t n_ids;			/* IDS */
	const uint8_t *ids;		/* IDS: borrowed, n_ids * ST_ID_LEN, ascending */
};

/* A growable output buffer of whole frames; err (-ENOMEM) is sticky. */
struct st_buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

void st_buf_free(struct st_buf *b);
/* Drop the first n bytes (they were written to the stream). */
void st_buf_consume(struct st_buf *b, size_t n);

/*
 * Encoders append one whole frame to b.  A frame being built (OPS,
 * RANGES, WANT) is begun, added to, and ended; _begin returns its offset.
 */
void st_frame_hello(struct st_buf *b, const struct st_hello *h);
size_t st_frame_begin(struct st_buf *b, enum st_frame_type type);
void st_frame_ops_add(struct st_buf *b, const uint8_t *op, size_t len);
void st_frame_range_add(struct st_buf *b, const struct st_range *r);
void st_frame_id_add(struct st_buf *b, const uint8_t id[ST_ID_LEN]);
/* Patch the length (and the count n of OPS, RANGES, WANT) of the frame at off. */
void st_frame_end(struct st_buf *b, size_t off, size_t n);
void st_frame_u64(struct st_buf *b, enum st_frame_type type, uint64_t v);	/* CAUGHT_UP */
void st_frame_done(struct st_buf *b, uint64_t count, const uint8_t digest[ST_ID_LEN]);
void st_frame_chunk_want(struct st_buf *b, const uint8_t hash[ST_HASH_LEN]);
void st_frame_chunk(struct st_buf *b, const uint8_t hash[ST_HASH_LEN], const uint8_t *data,
		    size_t len);
void st_frame_error(struct st_buf *b, int code, const char *text);

/*
 * Find the first whole frame in buf[0..len): 1 and *type, *body, *body_len,
 * *frame_len when there is one; 0 when more bytes are needed; SP_EMALFORMED
 * for a length outside 1..ST_FRAME_MAX.
 */
int st_frame_split(const uint8_t *buf, size_t len, uint8_t *type, const uint8_t **body,
		   size_t *body_len, size_t *frame_len) SP_MUST_CHECK;

/* Decoders of bodies (untrusted): 0 or SP_EMALFORMED. */
int st_hello_decode(const uint8_t *b, size_t len, struct st_hello *h) SP_MUST_CHECK;
int st_u64_decode(const uint8_t *b, size_t len, uint64_t *v) SP_MUST_CHECK;
int st_done_decode(const uint8_t *b, size_t len, uint64_t *count,
		   uint8_t digest[ST_ID_LEN]) SP_MUST_CHECK;
/* RANGES into r[ST_RANGES_MAX] (ids borrowed from b); bounds strictly ascending. */
int st_ranges_decode(const uint8_t *b, size_t len, struct st_range *r, size_t *n) SP_MUST_CHECK;
/* WANT: *ids borrowed, n ids. */
int st_want_decode(const uint8_t *b, size_t len, const uint8_t **ids, size_t *n) SP_MUST_CHECK;
int st_chunk_want_decode(const uint8_t *b, size_t len, const uint8_t **hash) SP_MUST_CHECK;
int st_chunk_decode(const uint8_t *b, size_t len, const uint8_t **hash, const uint8_t **data,
		    size_t *data_len) SP_MUST_CHECK;
/* ERROR: text copied NUL-terminated into text[ST_ERROR_TEXT_MAX + 1]. */
int st_error_decode(const uint8_t *b, size_t len, int *code, char *text) SP_MUST_CHECK;

/* OPS: walk the ops of a body.  _init checks the framing of every op. */
struct st_ops_iter {
	const uint8_t *p;
	size_t left, n;
};
int st_ops_iter_init(struct st_ops_iter *it, const uint8_t *b, size_t len) SP_MUST_CHECK;
/* 1 and the next op, or 0 at the end. */
int st_ops_iter_next(struct st_ops_iter *it, const uint8_t **op, size_t *len);

/* GONE: entries borrow from the body. */
struct st_gone {
	uint64_t hlc;
	const uint8_t *id;
	const char *coll;
	size_t coll_len;
};
void st_frame_gone_add(struct st_buf *b, const struct st_gone *g);
int st_gone_iter_init(struct st_ops_iter *it, const uint8_t *b, size_t len) SP_MUST_CHECK;
int st_gone_iter_next(struct st_ops_iter *it, struct st_gone *g);

/* Bounds: is item below b?  Compare two bounds (<0, 0, >0). */
int st_bound_above(const struct st_bound *b, const struct st_item *item);
int st_bound_cmp(const struct st_bound *a, const struct st_bound *b);

#endif
