/*
 * st_wire.h - bounds-checked cursors for the store's wire formats (internal
 * to src/store; pure code).
 *
 * A read cursor's error is sticky: the first short read sets err and every
 * later read returns zeros (or NULL), so a decoder checks err once at the
 * end.  A write cursor into a fixed buffer sets err (SP_ETRUNC) when out of
 * room and writes nothing more.
 */
#ifndef STORE_ST_WIRE_H
#define STORE_ST_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

struct st__rd {
	const uint8_t *p;
	size_t left;
	int err;
};

struct st__wr {
	uint8_t *p;
	size_t cap, pos;
	int err;
};

static inline void st__rd_init(struct st__rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = p ? len : 0;
	r->err = 0;
}

/* n bytes in place, or NULL (and err set) when fewer are left. */
static inline const uint8_t *st__rd_take(struct st__rd *r, size_t n)
{
	if (r->err || n > r->left) {
		r->err = SP_EMALFORMED;
		return NULL;
	}
	const uint8_t *at = r->p;
	r->p += n;
	r->left -= n;
	return at;
}

/* An n-byte big-endian unsigned integer (n <= 8); 0 on error. */
static inline uint64_t st__rd_uint(struct st__rd *r, unsigned n)
{
	const uint8_t *at = st__rd_take(r, n);
	uint64_t v = 0;
	for (unsigned k = 0; at && k < n; k++)
		v = v << 8 | at[k];
	return v;
}

static inline void st__rd_copy(struct st__rd *r, void *out, size_t n)
{
	const uint8_t *at = st__rd_take(r, n);
	if (at)
		memcpy(out, at, n);
	else
		memset(out, 0, n);
}

/* Sets err unless everything was read; returns err. */
static inline int st__rd_end(struct st__rd *r)
{
	if (!r->err && r->left != 0)
		r->err = SP_EMALFORMED;
	return r->err;
}

static inline void st__wr_init(struct st__wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->pos = 0;
	w->err = 0;
}

static inline void st__wr_bytes(struct st__wr *w, const void *in, size_t n)
{
	if (w->err || n > w->cap - w->pos) {
		w->err = SP_ETRUNC;
		return;
	}
	if (n)
		memcpy(w->p + w->pos, in, n);
	w->pos += n;
}

static inline void st__wr_uint(struct st__wr *w, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned k = 0; k < n; k++)
		b[k] = (uint8_t)(v >> (8 * (n - 1 - k)));
	st__wr_bytes(w, b, n);
}

#endif
