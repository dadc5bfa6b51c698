/*
 * cp_wire.c - the control plane's bounded cursors: integers, strings and
 * endpoints of bodies and tokens (see cp_wire.h and cp_msg.h for the
 * encodings).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "control/cp_wire.h"

/* ---- reading ---- */

static bool rd_need(struct cp__rd *r, size_t n)
{
	if (r->err)
		return false;
	if (r->len - r->pos < n) {
		r->err = SP_EMALFORMED;
		return false;
	}
	return true;
}

void cp__rd_bytes(struct cp__rd *r, void *out, size_t n)
{
	if (!rd_need(r, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->pos, n);
	r->pos += n;
}

uint8_t cp__rd_u8(struct cp__rd *r)
{
	uint8_t v;
	cp__rd_bytes(r, &v, 1);
	return v;
}

uint16_t cp__rd_u16(struct cp__rd *r)
{
	uint8_t b[2];
	cp__rd_bytes(r, b, 2);
	return cp__get16(b);
}

uint32_t cp__rd_u32(struct cp__rd *r)
{
	uint8_t b[4];
	cp__rd_bytes(r, b, 4);
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

uint64_t cp__rd_u64(struct cp__rd *r)
{
	uint8_t b[8];
	cp__rd_bytes(r, b, 8);
	return cp__get64(b);
}

void cp__rd_str(struct cp__rd *r, char *out, size_t max, enum cp__str cls)
{
	size_t n = cp__rd_u8(r);

	out[0] = '\0';
	if (r->err)
		return;
	if (n > max || !rd_need(r, n)) {
		r->err = SP_EMALFORMED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!cp__str_byte_ok(r->p[r->pos + i], cls)) {
			r->err = SP_EMALFORMED;
			return;
		}
	}
	memcpy(out, r->p + r->pos, n);
	out[n] = '\0';
	r->pos += n;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

void cp__rd_ep(struct cp__rd *r, union sp_endpoint *ep, unsigned ok)
{
	uint8_t fam = cp__rd_u8(r);
	uint16_t port = cp__rd_u16(r);
	uint8_t addr[16];

	cp__rd_bytes(r, addr, sizeof(addr));
	memset(ep, 0, sizeof(*ep));
	if (r->err)
		return;
	if (fam == 0 && (ok & CP_EP_NONE) && port == 0 && all_zero(addr, sizeof(addr)))
		return;	/* AF_UNSPEC: none */
	if (port == 0 && !(ok & CP_EP_ANYPORT))
		goto bad;
	if (fam == 4) {
		/* One encoding per address: the unused 12 bytes are zero. */
		if (!all_zero(addr + 4, 12))
			goto bad;
		ep->in4.sin_family = AF_INET;
		ep->in4.sin_port = htons(port);
		memcpy(&ep->in4.sin_addr, addr, 4);
		return;
	}
	if (fam == 6) {
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons(port);
		memcpy(&ep->in6.sin6_addr, addr, 16);
		return;
	}
bad:
	memset(ep, 0, sizeof(*ep));
	r->err = SP_EMALFORMED;
}

void cp__rd_eps(struct cp__rd *r, union sp_endpoint ep[CP_EP_MAX], uint8_t *n, unsigned ok)
{
	uint8_t cnt = cp__rd_u8(r);

	*n = 0;
	if (r->err)
		return;
	if (cnt > CP_EP_MAX) {
		r->err = SP_EMALFORMED;
		return;
	}
	for (uint8_t i = 0; i < cnt && !r->err; i++)
		cp__rd_ep(r, &ep[i], ok & CP_EP_ANYPORT);
	if (!r->err)
		*n = cnt;
}

void cp__rd_end(struct cp__rd *r)
{
	if (!r->err && r->pos != r->len)
		r->err = SP_EMALFORMED;
}

/* ---- writing ---- */

void cp__wr_bytes(struct cp__wr *w, const void *in, size_t n)
{
	if (w->err)
		return;
	if (w->cap - w->pos < n) {
		w->err = SP_ETRUNC;
		return;
	}
	memcpy(w->p + w->pos, in, n);
	w->pos += n;
}

void cp__wr_u8(struct cp__wr *w, uint8_t v)
{
	cp__wr_bytes(w, &v, 1);
}

void cp__wr_u16(struct cp__wr *w, uint16_t v)
{
	uint8_t b[2];
	cp__put16(b, v);
	cp__wr_bytes(w, b, 2);
}

void cp__wr_u32(struct cp__wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	cp__wr_bytes(w, b, 4);
}

void cp__wr_u64(struct cp__wr *w, uint64_t v)
{
	uint8_t b[8];
	cp__put64(b, v);
	cp__wr_bytes(w, b, 8);
}

void cp__wr_str(struct cp__wr *w, const char *in, size_t max, enum cp__str cls)
{
	size_t n = strnlen(in, max + 1);

	if (w->err)
		return;
	if (n > max) {
		w->err = -EINVAL;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!cp__str_byte_ok((uint8_t)in[i], cls)) {
			w->err = -EINVAL;
			return;
		}
	}
	cp__wr_u8(w, (uint8_t)n);
	cp__wr_bytes(w, in, n);
}

void cp__wr_ep(struct cp__wr *w, const union sp_endpoint *ep, unsigned ok)
{
	uint8_t b[CP_EP_WIRE] = { 0 };

	if (w->err)
		return;
	switch (ep->sa.sa_family) {
	case AF_UNSPEC:
		if (!(ok & CP_EP_NONE)) {
			w->err = -EINVAL;
			return;
		}
		break;
	case AF_INET:
		if (ep->in4.sin_port == 0 && !(ok & CP_EP_ANYPORT))
			goto bad;
		b[0] = 4;
		memcpy(b + 1, &ep->in4.sin_port, 2);	/* already network order */
		memcpy(b + 3, &ep->in4.sin_addr, 4);
		break;
	case AF_INET6:
		if (ep->in6.sin6_port == 0 && !(ok & CP_EP_ANYPORT))
			goto bad;
		b[0] = 6;
		memcpy(b + 1, &ep->in6.sin6_port, 2);
		memcpy(b + 3, &ep->in6.sin6_addr, 16);
		break;
	default:
		goto bad;
	}
	cp__wr_bytes(w, b, sizeof(b));
	return;
bad:
	w->err = -EINVAL;
}

void cp__wr_eps(struct cp__wr *w, const union sp_endpoint *ep, uint8_t n, unsigned ok)
{
	if (w->err)
		return;
	if (n > CP_EP_MAX) {
		w->err = -EINVAL;
		return;
	}
	cp__wr_u8(w, n);
	for (uint8_t i = 0; i < n; i++)
		cp__wr_ep(w, &ep[i], ok & CP_EP_ANYPORT);
}
