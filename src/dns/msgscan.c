/* msgscan.c - bounds-checked walking of wire-format DNS messages. */
#include "dns/msgscan.h"

#include <ctype.h>
#include <string.h>

#define DNS_TYPE_TSIG_SCAN 250
#define DNS_MAX_POINTERS 64	/* a name longer than 255 bytes cannot need more */

int dns__name_read(const uint8_t *msg, size_t len, size_t *off, uint8_t *out, size_t *out_len)
{
	size_t p = *off, o = 0, after = 0;
	unsigned jumps = 0;

	for (;;) {
		if (p >= len)
			return SP_EMALFORMED;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > DNS_MAX_POINTERS)
				return SP_EMALFORMED;
			if (after == 0)
				after = p + 2;
			p = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			continue;
		}
		if (l & 0xc0)
			return SP_EMALFORMED;
		if (p + 1 + l > len || o + 1 + l > 255)
			return SP_EMALFORMED;
		out[o++] = l;
		for (size_t i = 0; i < l; i++)
			out[o++] = (uint8_t)tolower(msg[p + 1 + i]);
		p += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	*off = after ? after : p;
	*out_len = o;
	return 0;
}

int dns__name_skip(const uint8_t *msg, size_t len, size_t *off)
{
	size_t p = *off;
	unsigned labels = 0;

	while (p < len && labels++ < 128) {
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return SP_EMALFORMED;
			*off = p + 2;
			return 0;
		}
		if (l & 0xc0)
			return SP_EMALFORMED;
		p += 1 + (size_t)l;
		if (l == 0) {
			if (p > len)
				return SP_EMALFORMED;
			*off = p;
			return 0;
		}
	}
	return SP_EMALFORMED;
}

int dns__msg_scan(const uint8_t *msg, size_t len, struct dns__scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	if (len < DNS_HDR_LEN)
		return SP_EMALFORMED;
	sc->qdcount = dns__get16(msg + 4);
	sc->ancount = dns__get16(msg + 6);
	sc->nscount = dns__get16(msg + 8);
	sc->arcount = dns__get16(msg + 10);

	size_t off = DNS_HDR_LEN;
	for (unsigned i = 0; i < sc->qdcount; i++) {
		if (dns__name_skip(msg, len, &off) != 0 || off + 4 > len)
			return SP_EMALFORMED;
		off += 4;
	}
	sc->question_end = off;
	unsigned nrr = (unsigned)sc->ancount + sc->nscount + sc->arcount;
	for (unsigned i = 0; i < nrr; i++) {
		size_t start = off;
		if (dns__name_skip(msg, len, &off) != 0 || off + 10 > len)
			return SP_EMALFORMED;
		uint16_t type = dns__get16(msg + off);
		uint16_t rdlen = dns__get16(msg + off + 8);
		if (off + 10 + rdlen > len)
			return SP_EMALFORMED;
		if (type == DNS_TYPE_TSIG_SCAN)
			sc->n_tsig++;
		sc->last_rr = start;
		sc->last_type = type;
		sc->last_rdata = off + 10;
		sc->last_rdlen = rdlen;
		off += 10 + (size_t)rdlen;
	}
	sc->end = off;
	return 0;
}

int dns__reply_start(const uint8_t *req, size_t qend, uint16_t qdcount, uint8_t rcode,
		     uint8_t *out, size_t cap, size_t *len)
{
	if (qend < DNS_HDR_LEN || qend > cap)
		return SP_ETRUNC;
	memcpy(out, req, qend);
	out[2] = (uint8_t)(0x80 | (req[2] & 0x79) | 0x04);	/* QR, opcode, AA, RD */
	out[3] = (uint8_t)(rcode & 0x0f);
	dns__put16(out + 4, qdcount);
	memset(out + 6, 0, 6);
	*len = qend;
	return 0;
}
