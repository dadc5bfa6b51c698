/*
 * msgscan.h - whole-message walks on the one wire reader (dns/wire.h), for
 * TSIG, UPDATE, transfers, NOTIFY replies and the check that runs before a
 * message is handed to ldns (the stub and the validator).
 */
#ifndef DNS_MSGSCAN_H
#define DNS_MSGSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dns/wire.h"

/* Byte helpers for messages we build or that a walk already checked. */
static inline uint16_t dns__get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void dns__put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void dns__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

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

/*
 * Walk every section with dns_wire_question() and dns_wire_rr(), and read
 * the names inside the RDATA of the types that carry names ldns would
 * decompress (NS, CNAME, SOA, MX, SRV, RRSIG, NSEC, ...), so that a message
 * this accepts holds no name the one reader refuses.  0 or SP_EMALFORMED
 * (trailing bytes are allowed).
 */
int dns__msg_scan(const uint8_t *msg, size_t len, struct dns__scan *sc) SP_MUST_CHECK;

/* dns__msg_scan() for a yes/no answer: may msg be handed to ldns_wire2pkt()? */
bool dns__msg_check(const uint8_t *msg, size_t len);

/*
 * Start an answer to req: its header and question section req[0..qend)
 * (qend = DNS_HEADER_LEN with qdcount 0 for no question), QR and AA set, RD
 * kept, rcode set, other counts 0.  0 or SP_ETRUNC.
 */
int dns__reply_start(const uint8_t *req, size_t qend, uint16_t qdcount, uint8_t rcode,
		     uint8_t *out, size_t cap, size_t *len);

#endif
