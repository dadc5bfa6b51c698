/*
 * cp_wire.h - the bounds-checked cursors of the control plane's bodies and
 * tokens (internal to src/control; pure code).
 *
 * A read cursor carries a sticky error (as dns/wire.h): the first short or
 * invalid read sets err to SP_EMALFORMED and every later read returns
 * zeros, so a decoder checks err once at the end.  A write cursor sets
 * SP_ETRUNC when out of room and -EINVAL when asked to write something that
 * is not valid (the writer checks the same rules as the reader, so that we
 * never send what we would refuse).
 */
#ifndef CP_WIRE_H
#define CP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "control/cp_msg.h"

struct cp__rd {
	const uint8_t *p;
	size_t len, pos;
	int err;
};

struct cp__wr {
	uint8_t *p;
	size_t cap, pos;
	int err;
};

/* String classes: names have no space, anchors may. */
enum cp__str { CP__STR_NAME, CP__STR_TEXT };

static inline void cp__rd_init(struct cp__rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->pos = 0;
	r->err = 0;
}

static inline void cp__wr_init(struct cp__wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->pos = 0;
	w->err = 0;
}

/* Read n bytes into out (zeros on error). */
void cp__rd_bytes(struct cp__rd *r, void *out, size_t n);
uint8_t cp__rd_u8(struct cp__rd *r);
uint16_t cp__rd_u16(struct cp__rd *r);
uint32_t cp__rd_u32(struct cp__rd *r);
uint64_t cp__rd_u64(struct cp__rd *r);
/* A string of at most max bytes into out[max + 1], NUL-terminated. */
void cp__rd_str(struct cp__rd *r, char *out, size_t max, enum cp__str cls);
/*
 * What an endpoint field may hold besides an address and a port:
 *   CP_EP_NONE     family 0 (all zero): AF_UNSPEC, "none";
 *   CP_EP_ANYPORT  port 0: a candidate behind an endpoint-dependent NAT,
 *                  "this address, a port of its own for each destination"
 *                  (the many-probes technique sprays it, cp_spray.c).
 */
#define CP_EP_NONE 1u
#define CP_EP_ANYPORT 2u
/* One endpoint; ok: CP_EP_* allowed. */
void cp__rd_ep(struct cp__rd *r, union sp_endpoint *ep, unsigned ok);
/* n(1) then n endpoints, n <= CP_EP_MAX; ok: CP_EP_* allowed in each. */
void cp__rd_eps(struct cp__rd *r, union sp_endpoint ep[CP_EP_MAX], uint8_t *n, unsigned ok);
/* Sets SP_EMALFORMED unless everything was read. */
void cp__rd_end(struct cp__rd *r);

void cp__wr_bytes(struct cp__wr *w, const void *in, size_t n);
void cp__wr_u8(struct cp__wr *w, uint8_t v);
void cp__wr_u16(struct cp__wr *w, uint16_t v);
void cp__wr_u32(struct cp__wr *w, uint32_t v);
void cp__wr_u64(struct cp__wr *w, uint64_t v);
/* A NUL-terminated string in[] of at most max bytes, checked as the reader does. */
void cp__wr_str(struct cp__wr *w, const char *in, size_t max, enum cp__str cls);
void cp__wr_ep(struct cp__wr *w, const union sp_endpoint *ep, unsigned ok);
void cp__wr_eps(struct cp__wr *w, const union sp_endpoint *ep, uint8_t n, unsigned ok);

/* True if the byte may appear in a string of class cls. */
static inline bool cp__str_byte_ok(uint8_t c, enum cp__str cls)
{
	return c >= (cls == CP__STR_NAME ? 0x21 : 0x20) && c <= 0x7e;
}

/* Big-endian stores/loads for the fixed headers. */
static inline void cp__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t cp__get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void cp__put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t cp__get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Box the plaintext plain[0..plain_len) into out[CP_HDR_LEN..), the
 * cleartext header being already in out[0..CP_HDR_LEN); the box nonce is
 * derived from that header (cp_msg.h).  *out_len: the whole datagram.
 * Returns 0, SP_ETRUNC or SP_ECRYPTO.  Exposed for tests that build
 * malformed plaintexts.
 */
int cp__msg_box(const uint8_t key[CP_KEY_LEN], uint8_t *out, size_t cap, const uint8_t *plain,
		size_t plain_len, size_t *out_len) SP_MUST_CHECK;

#endif
