/*
 * wire.h - the one reader (and writer) of DNS wire format.
 *
 * A cursor carries a sticky error in the style of Knot's wire_ctx: the first
 * short read or write sets err (SP_EMALFORMED for reads, SP_ETRUNC for
 * writes); every later read returns zeros and every later write is dropped,
 * so a parser checks err once at the end.  No allocation, no globals.
 *
 * Every part of the DNS code that reads a message (the query hot path,
 * TSIG, UPDATE, transfers, NOTIFY replies, the stub, the validator's check
 * before ldns) reads it through these functions, so that one rule decides
 * what a name, a question and a record header are:
 *   dns_wire_name()      a name, compression followed by the rule below
 *   dns_wire_question()  one question entry (name, QTYPE, QCLASS)
 *   dns_wire_rr()        one record header, RDATA checked to fit and skipped
 *
 * Compression rule (RFC 1035 4.1.4, made strict): a pointer must land in
 * the message body (never in the 12-byte header, which holds no names: the
 * cursor knows the header once dns_wire_header() or dns_wire_init_msg()
 * saw it) and strictly before the place it is read from: before the name's start for
 * the first pointer, before the previous pointer's target for each later
 * one.  Every hop therefore moves backwards, so pointers cannot loop, and a
 * real compressor (which points at names it already wrote) always
 * satisfies it.  Labels are at most 63 octets, the name at most 255, the
 * 0x40/0x80 label types are refused, and at most DNS_MAX_PTR_HOPS pointers
 * are followed.
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

#define DNS_NAME_MAXLEN 255	/* RFC 1035 2.3.4: wire length of a name */
#define DNS_LABEL_MAXLEN 63
#define DNS_HEADER_LEN 12
/*
 * Pointers followed in one name.  Backward-only pointers cannot loop; this
 * bounds the work one hostile name can cause.  A name has at most 127
 * labels (255 octets, 2 per label at least) and each hop of a real
 * compressor lands on at least one label, so 127 is never short.
 */
#define DNS_MAX_PTR_HOPS 127

/* Read cursor over untrusted bytes (not owned). */
struct dns_wire {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err;
	size_t floor;	/* lowest offset a pointer may land on: past the header */
};

/* Write cursor over a caller's buffer. */
struct dns_wbuf {
	uint8_t *base;
	size_t cap;
	size_t pos;
	int err;
};

/* The fixed header (RFC 1035 4.1.1). */
struct dns_hdr {
	uint16_t id;
	uint16_t flags;		/* QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE */
	uint16_t qdcount, ancount, nscount, arcount;
};

/* A record header as dns_wire_rr() found it; offsets into the message. */
struct dns_rr_hdr {
	size_t off;		/* the owner name */
	size_t owner_len;	/* uncompressed, root included */
	uint16_t type, klass;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdata;		/* the RDATA (rdlen bytes, inside the message) */
};

/* Point w at buf[0..len) (not copied), position 0, no error. */
static inline void dns_wire_init(struct dns_wire *w, const uint8_t *buf, size_t len)
{
	w->base = buf;
	w->len = buf ? len : 0;
	w->pos = 0;
	w->err = 0;
	w->floor = 0;	/* a bare buffer of names; dns_wire_header() raises it */
}

/*
 * Point w at the whole message msg[0..len) at offset pos (past its header),
 * as a walk that read the header would be: pointers into the header are
 * refused.  For reading a part that an earlier walk located.
 */
static inline void dns_wire_init_msg(struct dns_wire *w, const uint8_t *msg, size_t len,
				     size_t pos)
{
	dns_wire_init(w, msg, len);
	w->floor = DNS_HEADER_LEN;
	if (pos < DNS_HEADER_LEN || pos > w->len)
		w->err = SP_EMALFORMED;
	else
		w->pos = pos;
}

/* True if n more bytes can be read; else sets the sticky error. */
static inline bool dns__wire_need(struct dns_wire *w, size_t n)
{
	if (w->err)
		return false;
	if (w->len - w->pos < n) {
		w->err = SP_EMALFORMED;
		return false;
	}
	return true;
}

/* Fixed-size big-endian reads; 0 after an error. */
static inline uint8_t dns_wire_u8(struct dns_wire *w)
{
	if (!dns__wire_need(w, 1))
		return 0;
	return w->base[w->pos++];
}

static inline uint16_t dns_wire_u16(struct dns_wire *w)
{
	if (!dns__wire_need(w, 2))
		return 0;
	const uint8_t *p = w->base + w->pos;
	w->pos += 2;
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t dns_wire_u32(struct dns_wire *w)
{
	if (!dns__wire_need(w, 4))
		return 0;
	const uint8_t *p = w->base + w->pos;
	w->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Copy n bytes out (zeroes out on error). */
static inline void dns_wire_bytes(struct dns_wire *w, uint8_t *out, size_t n)
{
	if (!dns__wire_need(w, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, w->base + w->pos, n);
	w->pos += n;
}

static inline void dns_wire_skip(struct dns_wire *w, size_t n)
{
	if (dns__wire_need(w, n))
		w->pos += n;
}

/* Bytes left to read (0 after an error). */
static inline size_t dns_wire_left(const struct dns_wire *w)
{
	return w->err ? 0 : w->len - w->pos;
}

/*
 * Read a (possibly compressed) name at the cursor by the rule at the top of
 * this file.  out gets it uncompressed (at most DNS_NAME_MAXLEN bytes,
 * lowercased if lower), or out is NULL to check and step over it only.  The
 * cursor advances past the name as it sits in the message (past the first
 * pointer).  Returns the name's uncompressed length (root byte included),
 * 0 on error (and sets w->err).  *labels gets the label count (root = 0)
 * if not NULL.
 */
size_t dns_wire_name(struct dns_wire *w, uint8_t out[DNS_NAME_MAXLEN], bool lower,
		     uint8_t *labels);

/* Read the header; the cursor must be at offset 0.  Errors stick in w. */
static inline void dns_wire_header(struct dns_wire *w, struct dns_hdr *h)
{
	if (!dns__wire_need(w, DNS_HEADER_LEN)) {
		memset(h, 0, sizeof(*h));
		return;
	}
	const uint8_t *p = w->base + w->pos;
	h->id = (uint16_t)(p[0] << 8 | p[1]);
	h->flags = (uint16_t)(p[2] << 8 | p[3]);
	h->qdcount = (uint16_t)(p[4] << 8 | p[5]);
	h->ancount = (uint16_t)(p[6] << 8 | p[7]);
	h->nscount = (uint16_t)(p[8] << 8 | p[9]);
	h->arcount = (uint16_t)(p[10] << 8 | p[11]);
	w->pos += DNS_HEADER_LEN;
	w->floor = w->pos;
}

/*
 * Read one question entry: the name (lowercased into name, or only checked
 * when name is NULL), QTYPE and QCLASS (either pointer may be NULL).
 * Returns the name's length, 0 on error (sticky in w).
 */
static inline size_t dns_wire_question(struct dns_wire *w, uint8_t name[DNS_NAME_MAXLEN],
				       uint8_t *labels, uint16_t *qtype, uint16_t *qclass)
{
	size_t n = dns_wire_name(w, name, true, labels);
	uint16_t t = dns_wire_u16(w), c = dns_wire_u16(w);
	if (qtype)
		*qtype = t;
	if (qclass)
		*qclass = c;
	return w->err ? 0 : n;
}

/*
 * Read one resource record's header (owner into owner as sent, or only
 * checked when owner is NULL), check that its RDATA lies inside the message
 * and step over it.  0, or SP_EMALFORMED (sticky in w).
 */
static inline int dns_wire_rr(struct dns_wire *w, struct dns_rr_hdr *rr,
			      uint8_t owner[DNS_NAME_MAXLEN])
{
	rr->off = w->pos;
	rr->owner_len = dns_wire_name(w, owner, false, NULL);
	rr->type = dns_wire_u16(w);
	rr->klass = dns_wire_u16(w);
	rr->ttl = dns_wire_u32(w);
	rr->rdlen = dns_wire_u16(w);
	rr->rdata = w->pos;
	dns_wire_skip(w, rr->rdlen);
	return w->err;
}

/*
 * Offset just past the header and the first question of msg (DNS_HEADER_LEN
 * when QDCOUNT is 0), or 0 if that much does not parse.  For cutting a
 * message down to header and question (TC answers, RRL slips).
 */
size_t dns_wire_question_end(const uint8_t *msg, size_t len);

void dns_wbuf_init(struct dns_wbuf *b, uint8_t *buf, size_t cap);
void dns_wbuf_u8(struct dns_wbuf *b, uint8_t v);
void dns_wbuf_u16(struct dns_wbuf *b, uint16_t v);
void dns_wbuf_u32(struct dns_wbuf *b, uint32_t v);
void dns_wbuf_bytes(struct dns_wbuf *b, const void *p, size_t n);
/* Overwrite a u16 already written at offset off (e.g. RDLENGTH, counts). */
void dns_wbuf_put_u16_at(struct dns_wbuf *b, size_t off, uint16_t v);

/* Name helpers on uncompressed wire names (trusted: already validated). */
size_t dns_name_len(const uint8_t *name);			/* incl. root byte */
unsigned dns_name_labels(const uint8_t *name);			/* root = 0 */
void dns_name_lower(uint8_t *name);
bool dns_name_equal(const uint8_t *a, const uint8_t *b);	/* case-insensitive */
/* True if name is sub or equal to (at or below) zone. */
bool dns_name_is_sub(const uint8_t *name, const uint8_t *zone);
/* Canonical order (RFC 4034 6.1): <0, 0, >0. */
int dns_name_cmp(const uint8_t *a, const uint8_t *b);

#endif
