/*
 * stun.c - STUN messages (RFC 8489), pure code.  See stun.h for the rules.
 */
#include <string.h>

#include "nat/stun.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	/* Bitwise: a message is at most STUN_MSG_MAX bytes, and no table to keep. */
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		c ^= buf[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

/* An address attribute's value: 0, family, port, address; XORed with the header if xor. */
static int parse_addr(const uint8_t *v, size_t n, const uint8_t *hdr, bool xor,
		      union sp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (n < 4)
		return SP_EMALFORMED;
	uint16_t port = rd16(v + 2);
	if (xor)
		port ^= (uint16_t)(STUN_MAGIC >> 16);
	if (v[1] == 0x01) {
		if (n != 8)
			return SP_EMALFORMED;
		ep->in4.sin_family = AF_INET;
		ep->in4.sin_port = htons(port);
		uint8_t *a = (uint8_t *)&ep->in4.sin_addr;
		for (int i = 0; i < 4; i++)
			a[i] = (uint8_t)(v[4 + i] ^ (xor ? hdr[4 + i] : 0));
		return 0;
	}
	if (v[1] == 0x02) {
		if (n != 20)
			return SP_EMALFORMED;
		ep->in6.sin6_family = AF_INET6;
		ep->in6.sin6_port = htons(port);
		uint8_t *a = ep->in6.sin6_addr.s6_addr;
		for (int i = 0; i < 16; i++)
			a[i] = (uint8_t)(v[4 + i] ^ (xor ? hdr[4 + i] : 0));
		return 0;
	}
	return SP_EMALFORMED;
}

static bool known_attr(uint16_t t)
{
	switch (t) {
	case STUN_A_MAPPED_ADDRESS: case STUN_A_CHANGE_REQUEST: case STUN_A_SOURCE_ADDRESS:
	case STUN_A_CHANGED_ADDRESS: case STUN_A_USERNAME: case STUN_A_MESSAGE_INTEGRITY:
	case STUN_A_ERROR_CODE: case STUN_A_UNKNOWN_ATTRIBUTES: case STUN_A_REALM:
	case STUN_A_NONCE: case STUN_A_MESSAGE_INTEGRITY_SHA256: case STUN_A_USERHASH:
	case STUN_A_XOR_MAPPED_ADDRESS: case STUN_A_PADDING: case STUN_A_RESPONSE_PORT:
		return true;
	default:
		return t >= 0x8000u;	/* comprehension-optional: may be ignored */
	}
}

static int parse_attr(struct stun_msg *m, const uint8_t *buf, uint16_t t, const uint8_t *v,
		      size_t n)
{
	bool legacy = m->legacy;
	switch (t) {
	case STUN_A_XOR_MAPPED_ADDRESS:
		if (m->has_xor_mapped || legacy)
			return 0;	/* the first counts; XOR means nothing without the cookie */
		m->has_xor_mapped = true;
		return parse_addr(v, n, buf, true, &m->xor_mapped);
	case STUN_A_MAPPED_ADDRESS:
		if (m->has_mapped)
			return 0;
		m->has_mapped = true;
		return parse_addr(v, n, buf, false, &m->mapped);
	case STUN_A_RESPONSE_ORIGIN:
	case STUN_A_SOURCE_ADDRESS:
		if (m->has_origin)
			return 0;
		m->has_origin = true;
		return parse_addr(v, n, buf, false, &m->origin);
	case STUN_A_OTHER_ADDRESS:
	case STUN_A_CHANGED_ADDRESS:
		if (m->has_other)
			return 0;
		m->has_other = true;
		return parse_addr(v, n, buf, false, &m->other);
	case STUN_A_CHANGE_REQUEST:
		if (n != 4)
			return SP_EMALFORMED;
		if (!m->has_change) {
			m->has_change = true;
			m->change = rd32(v) & (STUN_CHANGE_IP | STUN_CHANGE_PORT);
		}
		return 0;
	case STUN_A_ERROR_CODE: {
		if (n < 4 || n > 4 + 763)
			return SP_EMALFORMED;
		unsigned cls = v[2] & 7u, num = v[3];
		if (cls < 3 || cls > 6 || num > 99)
			return SP_EMALFORMED;
		if (!m->has_error) {
			m->has_error = true;
			m->error_code = (uint16_t)(cls * 100 + num);
		}
		return 0;
	}
	case STUN_A_SOFTWARE:
		if (n > STUN_SOFTWARE_MAX)
			return SP_EMALFORMED;
		if (m->software == NULL) {
			m->software = v;
			m->software_len = n;
		}
		return 0;
	case STUN_A_PADDING:
		m->padding_len += n;
		return 0;
	case STUN_A_MESSAGE_INTEGRITY:
	case STUN_A_MESSAGE_INTEGRITY_SHA256:
		m->integrity = true;
		return 0;
	default:
		if (!known_attr(t) && m->n_unknown < STUN_UNKNOWN_MAX) {
			for (size_t i = 0; i < m->n_unknown; i++)
				if (m->unknown[i] == t)
					return 0;
			m->unknown[m->n_unknown++] = t;
		}
		return 0;
	}
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (len < STUN_HEADER_LEN || len > STUN_MSG_MAX || (buf[0] & 0xc0) != 0)
		return SP_EMALFORMED;
	size_t body = rd16(buf + 2);
	if (body % 4 != 0 || body != len - STUN_HEADER_LEN)
		return SP_EMALFORMED;
	m->type = rd16(buf);
	m->cls = m->type & STUN_CLASS_MASK;
	m->method = (uint16_t)((m->type & 0x000f) | ((m->type & 0x00e0) >> 1) |
			       ((m->type & 0x3e00) >> 2));
	m->legacy = rd32(buf + 4) != STUN_MAGIC;
	memcpy(m->txid, buf + 4, 16);
	m->len = len;
	size_t off = STUN_HEADER_LEN;
	while (off < len) {
		if (m->fingerprint)
			return SP_EMALFORMED;	/* FINGERPRINT must be the last attribute */
		if (len - off < 4)
			return SP_EMALFORMED;
		uint16_t t = rd16(buf + off);
		size_t n = rd16(buf + off + 2);
		size_t padded = (n + 3u) & ~(size_t)3u;
		if (padded > len - off - 4)
			return SP_EMALFORMED;
		const uint8_t *v = buf + off + 4;
		if (t == STUN_A_FINGERPRINT) {
			if (n != 4 || rd32(v) != (stun_crc32(buf, off) ^ STUN_FINGERPRINT_XOR))
				return SP_EMALFORMED;
			m->fingerprint = true;
		} else {
			int rc = parse_attr(m, buf, t, v, n);
			if (rc)
				return rc;
		}
		off += 4 + padded;
	}
	return 0;
}

void stun_w_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
		 const uint8_t txid[16])
{
	w->buf = buf;
	w->cap = cap < STUN_MSG_MAX ? cap : STUN_MSG_MAX;
	w->len = 0;
	w->err = 0;
	if (w->cap < STUN_HEADER_LEN) {
		w->err = SP_ETRUNC;
		return;
	}
	wr16(buf, type & 0x3fffu);
	wr16(buf + 2, 0);
	memcpy(buf + 4, txid, 16);
	w->len = STUN_HEADER_LEN;
}

void stun_w_attr(struct stun_writer *w, uint16_t type, const void *val, size_t n)
{
	if (w->err)
		return;
	size_t padded = (n + 3u) & ~(size_t)3u;
	if (n > 0xffffu || 4 + padded > w->cap - w->len) {
		w->err = SP_ETRUNC;
		return;
	}
	uint8_t *p = w->buf + w->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)n);
	if (n)
		memcpy(p + 4, val, n);
	memset(p + 4 + n, 0, padded - n);
	w->len += 4 + padded;
}

size_t stun_addr_attr_len(const union sp_endpoint *ep)
{
	return ep->sa.sa_family == AF_INET6 ? 24 : 12;
}

void stun_w_addr(struct stun_writer *w, uint16_t type, const union sp_endpoint *ep, bool xor)
{
	uint8_t v[20] = { 0 };
	size_t n;
	const uint8_t *a;
	if (w->err)
		return;
	if (ep->sa.sa_family == AF_INET) {
		v[1] = 0x01;
		n = 8;
		a = (const uint8_t *)&ep->in4.sin_addr;
	} else if (ep->sa.sa_family == AF_INET6) {
		v[1] = 0x02;
		n = 20;
		a = ep->in6.sin6_addr.s6_addr;
	} else {
		w->err = SP_EMALFORMED;
		return;
	}
	uint16_t port = sp_endpoint_port(ep);
	if (xor)
		port ^= (uint16_t)(STUN_MAGIC >> 16);
	wr16(v + 2, port);
	for (size_t i = 0; i < n - 4; i++)
		v[4 + i] = (uint8_t)(a[i] ^ (xor ? w->buf[4 + i] : 0));
	stun_w_attr(w, type, v, n);
}

void stun_w_error(struct stun_writer *w, unsigned code, const char *reason)
{
	uint8_t v[4 + 128] = { 0 };
	size_t r = reason ? strlen(reason) : 0;
	if (r > 128)
		r = 128;
	if (code < 300 || code > 699) {
		w->err = SP_EMALFORMED;
		return;
	}
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	if (r)
		memcpy(v + 4, reason, r);
	stun_w_attr(w, STUN_A_ERROR_CODE, v, 4 + r);
}

int stun_w_finish(struct stun_writer *w, bool fingerprint, size_t *out_len)
{
	*out_len = 0;
	if (w->err)
		return w->err;
	if (fingerprint) {
		if (w->cap - w->len < 8)
			return w->err = SP_ETRUNC;
		/* The CRC covers the header with its length already counting FINGERPRINT. */
		wr16(w->buf + 2, (uint16_t)(w->len + 8 - STUN_HEADER_LEN));
		uint32_t crc = stun_crc32(w->buf, w->len) ^ STUN_FINGERPRINT_XOR;
		uint8_t v[4];
		wr32(v, crc);
		stun_w_attr(w, STUN_A_FINGERPRINT, v, 4);
	}
	wr16(w->buf + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
	*out_len = w->len;
	return 0;
}

int stun_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[16], uint32_t change,
			 size_t pad_to, const char *software, size_t *out_len)
{
	struct stun_writer w;
	stun_w_init(&w, buf, cap, STUN_REQUEST | STUN_BINDING, txid);
	if (change) {
		uint8_t v[4];
		wr32(v, change & (STUN_CHANGE_IP | STUN_CHANGE_PORT));
		stun_w_attr(&w, STUN_A_CHANGE_REQUEST, v, 4);
	}
	if (software)
		stun_w_attr(&w, STUN_A_SOFTWARE, software, strlen(software));
	/* PADDING up to pad_to bytes in all (with the 8 of FINGERPRINT): room for a full answer. */
	if (!w.err && pad_to >= w.len + 8 + 4 + 8) {
		static const uint8_t zeros[STUN_MSG_MAX];
		size_t n = pad_to - w.len - 8 - 4;
		n &= ~(size_t)3u;
		stun_w_attr(&w, STUN_A_PADDING, zeros, n);
	}
	return stun_w_finish(&w, true, out_len);
}

/* An answer that must fit limit bytes: the optional attributes are added while they fit. */
static enum stun_verdict answer_ok(const struct stun_msg *m, const struct stun_answer_ctx *ctx,
				   const union sp_endpoint *origin, size_t limit, uint8_t *out,
				   size_t *out_len)
{
	struct stun_writer w;
	stun_w_init(&w, out, STUN_MSG_MAX, STUN_SUCCESS | STUN_BINDING, m->txid);
	const union sp_endpoint *src = ctx->src;
	size_t used = STUN_HEADER_LEN + stun_addr_attr_len(src);
	bool fp = false, rfc5780 = false, mapped = false, soft = false;
	size_t rfc5780_len = 0, soft_len = 0;
	if (ctx->other && origin)
		rfc5780_len = stun_addr_attr_len(ctx->other) + stun_addr_attr_len(origin);
	if (ctx->software)
		soft_len = 4 + ((strlen(ctx->software) + 3u) & ~(size_t)3u);
	if (!m->legacy && m->fingerprint && used + 8 <= limit) {
		fp = true;
		used += 8;
	}
	if (rfc5780_len && used + rfc5780_len <= limit) {
		rfc5780 = true;
		used += rfc5780_len;
	}
	if (!m->legacy && used + stun_addr_attr_len(src) <= limit) {
		mapped = true;
		used += stun_addr_attr_len(src);
	}
	if (soft_len && used + soft_len <= limit) {
		soft = true;
		used += soft_len;
	}
	if (m->legacy) {
		stun_w_addr(&w, STUN_A_MAPPED_ADDRESS, src, false);
		if (rfc5780) {
			stun_w_addr(&w, STUN_A_SOURCE_ADDRESS, origin, false);
			stun_w_addr(&w, STUN_A_CHANGED_ADDRESS, ctx->other, false);
		}
	} else {
		stun_w_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, src, true);
		if (mapped)
			stun_w_addr(&w, STUN_A_MAPPED_ADDRESS, src, false);
		if (rfc5780) {
			stun_w_addr(&w, STUN_A_RESPONSE_ORIGIN, origin, false);
			stun_w_addr(&w, STUN_A_OTHER_ADDRESS, ctx->other, false);
		}
	}
	if (soft)
		stun_w_attr(&w, STUN_A_SOFTWARE, ctx->software, strlen(ctx->software));
	if (stun_w_finish(&w, fp, out_len) != 0 || *out_len > limit)
		return STUN_DROP;
	return STUN_ANSWER;
}

/* 420 with UNKNOWN-ATTRIBUTES, as many of them as fit limit (at least one). */
static enum stun_verdict answer_420(const struct stun_msg *m, const uint16_t *unknown, size_t n,
				    size_t limit, uint8_t *out, size_t *out_len)
{
	struct stun_writer w;
	stun_w_init(&w, out, STUN_MSG_MAX, STUN_ERROR | STUN_BINDING, m->txid);
	/* Header, ERROR-CODE without reason (8), UNKNOWN-ATTRIBUTES (4 + 2n, padded). */
	size_t fit = n;
	while (fit > 1 && STUN_HEADER_LEN + 8 + 4 + ((2 * fit + 3u) & ~(size_t)3u) > limit)
		fit--;
	uint8_t v[2 * STUN_UNKNOWN_MAX];
	for (size_t i = 0; i < fit; i++)
		wr16(v + 2 * i, unknown[i]);
	stun_w_error(&w, 420, NULL);
	stun_w_attr(&w, STUN_A_UNKNOWN_ATTRIBUTES, v, 2 * fit);
	if (stun_w_finish(&w, false, out_len) != 0 || *out_len > limit)
		return STUN_DROP;
	return STUN_ANSWER;
}

enum stun_verdict stun_answer(const uint8_t *req, size_t len, const struct stun_answer_ctx *ctx,
			      uint8_t *out, size_t *out_len, uint32_t *change)
{
	struct stun_msg m;
	*out_len = 0;
	*change = 0;
	if (stun_parse(req, len, &m) != 0 || m.method != STUN_BINDING || m.cls != STUN_REQUEST)
		return STUN_DROP;	/* only requests are answered: never an answer to an answer */
	if (ctx->src == NULL ||
	    (ctx->src->sa.sa_family != AF_INET && ctx->src->sa.sa_family != AF_INET6))
		return STUN_DROP;
	size_t limit = len > STUN_ANSWER_FLOOR ? len : STUN_ANSWER_FLOOR;
	if (m.n_unknown)
		return m.legacy ? STUN_DROP : answer_420(&m, m.unknown, m.n_unknown, limit, out,
							 out_len);
	*change = m.change;
	const union sp_endpoint *origin = ctx->origin;
	if (m.change) {
		origin = ctx->changed[(m.change >> 1) & 3u];
		if (origin == NULL) {
			static const uint16_t cr = STUN_A_CHANGE_REQUEST;
			*change = 0;
			return m.legacy ? STUN_DROP : answer_420(&m, &cr, 1, limit, out, out_len);
		}
	}
	if (origin && origin->sa.sa_family == 0)
		origin = NULL;
	enum stun_verdict v = answer_ok(&m, ctx, origin, limit, out, out_len);
	if (v == STUN_ANSWER && m.change)
		v = STUN_ANSWER_CHANGED;
	return v;
}
