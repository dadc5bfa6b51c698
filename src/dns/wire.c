/* wire.c - bounds-checked DNS wire cursors and name helpers. */
#include "dns/wire.h"

#include <string.h>

static uint8_t lower8(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

size_t dns_wire_name(struct dns_wire *w, uint8_t out[DNS_NAME_MAXLEN], bool lower,
		     uint8_t *labels)
{
	if (w->err)
		return 0;
	const uint8_t *base = w->base;
	size_t len = w->len, p = w->pos, n = 0, end = 0;
	unsigned hops = 0, nl = 0;
	/* The lowest offset not yet allowed as a target: each hop must go below it. */
	size_t limit = w->pos;
	for (;;) {
		if (p >= len)
			goto bad;
		uint8_t c = base[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++hops > DNS_MAX_PTR_HOPS)
				goto bad;
			size_t target = (size_t)(c & 0x3f) << 8 | base[p + 1];
			if (end == 0)
				end = p + 2;
			/* Strictly backwards, and never into the header (it holds no names). */
			if (target >= limit || target < w->floor)
				goto bad;
			limit = target;
			p = target;
			continue;
		}
		if (c & 0xc0)
			goto bad;	/* 0x40/0x80: extended label types are obsolete */
		if (n + 1 + c > DNS_NAME_MAXLEN || p + 1 + c > len)
			goto bad;
		if (c == 0) {
			if (out)
				out[n] = 0;
			n++;
			break;
		}
		if (out) {
			const uint8_t *src = base + p + 1;
			uint8_t *dst = out + n + 1;
			out[n] = c;
			if (lower)
				for (unsigned i = 0; i < c; i++)
					dst[i] = lower8(src[i]);
			else
				memcpy(dst, src, c);
		}
		n += 1u + c;
		p += 1u + c;
		nl++;
	}
	w->pos = end ? end : p + 1;
	if (labels)
		*labels = (uint8_t)nl;
	return n;
bad:
	w->err = SP_EMALFORMED;
	return 0;
}

size_t dns_wire_question_end(const uint8_t *msg, size_t len)
{
	struct dns_wire w;
	struct dns_hdr h;
	dns_wire_init(&w, msg, len);
	dns_wire_header(&w, &h);
	if (w.err)
		return 0;
	if (h.qdcount == 0)
		return DNS_HEADER_LEN;
	(void)dns_wire_question(&w, NULL, NULL, NULL, NULL);
	return w.err ? 0 : w.pos;
}

void dns_wbuf_init(struct dns_wbuf *b, uint8_t *buf, size_t cap)
{
	b->base = buf;
	b->cap = buf ? cap : 0;
	b->pos = 0;
	b->err = 0;
}

static bool wbuf_need(struct dns_wbuf *b, size_t n)
{
	if (b->err)
		return false;
	if (b->cap - b->pos < n) {
		b->err = SP_ETRUNC;
		return false;
	}
	return true;
}

void dns_wbuf_u8(struct dns_wbuf *b, uint8_t v)
{
	if (wbuf_need(b, 1))
		b->base[b->pos++] = v;
}

void dns_wbuf_u16(struct dns_wbuf *b, uint16_t v)
{
	if (!wbuf_need(b, 2))
		return;
	b->base[b->pos] = (uint8_t)(v >> 8);
	b->base[b->pos + 1] = (uint8_t)v;
	b->pos += 2;
}

void dns_wbuf_u32(struct dns_wbuf *b, uint32_t v)
{
	if (!wbuf_need(b, 4))
		return;
	uint8_t *p = b->base + b->pos;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	b->pos += 4;
}

void dns_wbuf_bytes(struct dns_wbuf *b, const void *p, size_t n)
{
	if (n && wbuf_need(b, n)) {
		memcpy(b->base + b->pos, p, n);
		b->pos += n;
	}
}

void dns_wbuf_put_u16_at(struct dns_wbuf *b, size_t off, uint16_t v)
{
	if (b->err || off + 2 > b->pos)
		return;
	b->base[off] = (uint8_t)(v >> 8);
	b->base[off + 1] = (uint8_t)v;
}

size_t dns_name_len(const uint8_t *name)
{
	size_t n = 0;
	while (name[n] != 0 && n < DNS_NAME_MAXLEN)
		n += 1u + name[n];
	return n + 1;
}

unsigned dns_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	for (size_t p = 0; name[p] != 0 && p < DNS_NAME_MAXLEN; p += 1u + name[p])
		n++;
	return n;
}

void dns_name_lower(uint8_t *name)
{
	for (size_t p = 0; name[p] != 0 && p < DNS_NAME_MAXLEN; p += 1u + name[p])
		for (size_t i = 1; i <= name[p]; i++)
			name[p + i] = lower8(name[p + i]);
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t la = dns_name_len(a);
	if (la != dns_name_len(b))
		return false;
	for (size_t i = 0; i < la; i++)
		if (lower8(a[i]) != lower8(b[i]))
			return false;
	return true;
}

bool dns_name_is_sub(const uint8_t *name, const uint8_t *zone)
{
	unsigned ln = dns_name_labels(name), lz = dns_name_labels(zone);
	if (ln < lz)
		return false;
	const uint8_t *p = name;
	for (unsigned i = 0; i < ln - lz; i++)
		p += 1u + *p;
	return dns_name_equal(p, zone);
}

/* Offsets of each label of name, root excluded; returns the count. */
static unsigned name_label_offsets(const uint8_t *name, size_t off[128])
{
	unsigned n = 0;
	for (size_t p = 0; name[p] != 0 && p < DNS_NAME_MAXLEN && n < 128; p += 1u + name[p])
		off[n++] = p;
	return n;
}

int dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
	size_t oa[128], ob[128];
	unsigned na = name_label_offsets(a, oa), nb = name_label_offsets(b, ob);
	/* Compare from the rightmost label, each as lowercase octet strings. */
	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		unsigned len = la[0] < lb[0] ? la[0] : lb[0];
		for (unsigned i = 1; i <= len; i++) {
			uint8_t ca = lower8(la[i]), cb = lower8(lb[i]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	if (na == nb)
		return 0;
	return na < nb ? -1 : 1;
}
