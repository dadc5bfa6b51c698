/*
 * msgscan.h - bounds-checked walking of a wire-format DNS message, for the
 * TSIG, UPDATE, transfer and NOTIFY code (not the query hot path).
 */
#ifndef DNS_MSGSCAN_H
#define DNS_MSGSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define DNS_HDR_LEN 12

static inline uint16_t dns__get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t dns__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void dns__put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void dns__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/*
 * Read the name at *off of msg[0..len), following compression pointers
 * (bounded), into out (uncompressed, lower case, at most 255 bytes) and
 * set *off past the name as it sits at *off.  0 or SP_EMALFORMED.
 */
int dns__name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *out, size_t *out_len);

/* Skip the name at *off without expanding it.  0 or SP_EMALFORMED. */
int dns__name_skip(const uint8_t *msg, size_t len, size_t *off);

/* Where the parts of a message are. */
struct dns__scan {
	uint16_t qdcount, ancount, nscount, arcount;
	size_t question_end;	/* offset after the question section */
	size_t last_rr;		/* offset of the last RR (0 if none) */
	uint16_t last_type;	/* its type */
	size_t last_rdata;	/* offset of its RDATA */
	uint16_t last_rdlen;
	unsigned n_tsig;	/* TSIG RRs seen anywhere */
	size_t end;		/* offset after the last RR */
};

/* Walk every section.  0 or SP_EMALFORMED (trailing bytes are allowed). */
int dns__msg_scan(const uint8_t *msg, size_t len, struct dns__scan *sc);

/*
 * Start an answer to req: its header and question section req[0..qend)
 * (qend = DNS_HDR_LEN with qdcount 0 for no question), QR and AA set, RD
 * kept, rcode set, other counts 0.  0 or SP_ETRUNC.
 */
int dns__reply_start(const uint8_t *req, size_t qend, uint16_t qdcount, uint8_t rcode,
		     uint8_t *out, size_t cap, size_t *len);

#endif
