/*
 * wire.h - bounds-checked reading and writing of DNS wire format.
 *
 * A cursor carries a sticky error in the style of Knot's wire_ctx: the first
 * short read or write sets err (SP_EMALFORMED for reads, SP_ETRUNC for
 * writes); every later read returns zeros and every later write is dropped,
 * so a parser checks err once at the end.  No allocation, no globals.
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define DNS_NAME_MAXLEN 255	/* RFC 1035 2.3.4: wire length of a name */
#define DNS_LABEL_MAXLEN 63
#define DNS_HEADER_LEN 12
/* A legal name has at most 127 labels, so more pointer hops than that is a loop. */
#define DNS_MAX_PTR_HOPS 127

/* Read cursor over untrusted bytes (not owned). */
struct dns_wire {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err;
};

/* Write cursor over a caller's buffer. */
struct dns_wbuf {
	uint8_t *base;
	size_t cap;
	size_t pos;
	int err;
};

void dns_wire_init(struct dns_wire *w, const uint8_t *buf, size_t len);
/* Fixed-size big-endian reads; 0 after an error. */
uint8_t dns_wire_u8(struct dns_wire *w);
uint16_t dns_wire_u16(struct dns_wire *w);
uint32_t dns_wire_u32(struct dns_wire *w);
/* Copy n bytes out (zeroes out on error). */
void dns_wire_bytes(struct dns_wire *w, uint8_t *out, size_t n);
void dns_wire_skip(struct dns_wire *w, size_t n);
size_t dns_wire_left(const struct dns_wire *w);

/*
 * Read a (possibly compressed) name at the cursor into out (uncompressed wire
 * form, at most DNS_NAME_MAXLEN bytes), lowercased if lower is true.  The
 * cursor advances past the name as it sits in the message (past the first
 * pointer).  Pointers must point strictly backwards and at most
 * DNS_MAX_PTR_HOPS are followed.  Returns the name's length, 0 on error
 * (and sets w->err).  *labels gets the label count (root = 0) if not NULL.
 */
size_t dns_wire_name(struct dns_wire *w, uint8_t out[DNS_NAME_MAXLEN], bool lower,
		     uint8_t *labels);

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
