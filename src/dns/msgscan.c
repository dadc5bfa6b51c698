/* msgscan.c - whole-message walks on the one wire reader. */
#include "dns/msgscan.h"

#include <string.h>

#define DNS_TYPE_TSIG_SCAN 250

/*
 * Where the names sit in the RDATA of the types that have them (RFC 3597 4
 * lists the compressible ones; ldns decompresses every name field it knows,
 * so the others are here too).  Layout: 'N' a name, 'S' a character-string,
 * a digit that many fixed bytes.
 */
static const struct {
	uint16_t type;
	const char *layout;
} rdata_names[] = {
	{ 2, "N" }, { 3, "N" }, { 4, "N" }, { 5, "N" },		/* NS MD MF CNAME */
	{ 6, "NN" }, { 7, "N" }, { 8, "N" }, { 9, "N" },	/* SOA MB MG MR */
	{ 12, "N" }, { 14, "NN" }, { 15, "2N" }, { 17, "NN" },	/* PTR MINFO MX RP */
	{ 18, "2N" }, { 21, "2N" }, { 24, "99N" }, { 26, "2NN" },	/* AFSDB RT SIG PX */
	{ 30, "N" }, { 33, "6N" }, { 35, "4SSSN" }, { 36, "2N" },	/* NXT SRV NAPTR KX */
	{ 39, "N" }, { 46, "99N" }, { 47, "N" }, { 58, "NN" },	/* DNAME RRSIG NSEC TALINK */
	{ 64, "2N" }, { 65, "2N" }, { 107, "2N" },		/* SVCB HTTPS LP */
	{ 249, "N" }, { 250, "N" },				/* TKEY TSIG */
};

/* Read the names in rr's RDATA (errors stick in w). */
static void check_rdata_names(struct dns_wire *w, const struct dns_rr_hdr *rr)
{
	const char *layout = NULL;
	/* Empty RDATA is legal for any type in UPDATE (RFC 2136 2.5.2) and prerequisites. */
	if (rr->rdlen == 0)
		return;
	for (size_t i = 0; i < sizeof(rdata_names) / sizeof(rdata_names[0]); i++)
		if (rdata_names[i].type == rr->type)
			layout = rdata_names[i].layout;
	if (layout == NULL)
		return;
	struct dns_wire r;
	dns_wire_init_msg(&r, w->base, rr->rdata + rr->rdlen, rr->rdata);
	for (const char *c = layout; *c && !r.err; c++) {
		if (*c == 'N')
			(void)dns_wire_name(&r, NULL, false, NULL);
		else if (*c == 'S')
			dns_wire_skip(&r, dns_wire_u8(&r));
		else
			dns_wire_skip(&r, (size_t)(*c - '0'));
	}
	if (r.err)
		w->err = r.err;
}

int dns__msg_scan(const uint8_t *msg, size_t len, struct dns__scan *sc)
{
	struct dns_wire w;
	struct dns_hdr h;
	struct dns_rr_hdr rr;

	memset(sc, 0, sizeof(*sc));
	dns_wire_init(&w, msg, len);
	dns_wire_header(&w, &h);
	if (w.err)
		return SP_EMALFORMED;
	sc->qdcount = h.qdcount;
	sc->ancount = h.ancount;
	sc->nscount = h.nscount;
	sc->arcount = h.arcount;

	for (unsigned i = 0; i < sc->qdcount && !w.err; i++)
		(void)dns_wire_question(&w, NULL, NULL, NULL, NULL);
	if (w.err)
		return SP_EMALFORMED;
	sc->question_end = w.pos;
	unsigned nrr = (unsigned)sc->ancount + sc->nscount + sc->arcount;
	for (unsigned i = 0; i < nrr; i++) {
		if (dns_wire_rr(&w, &rr, NULL) != 0)
			return SP_EMALFORMED;
		check_rdata_names(&w, &rr);
		if (w.err)
			return SP_EMALFORMED;
		if (rr.type == DNS_TYPE_TSIG_SCAN)
			sc->n_tsig++;
		sc->last_rr = rr.off;
		sc->last_type = rr.type;
		sc->last_rdata = rr.rdata;
		sc->last_rdlen = rr.rdlen;
	}
	sc->end = w.pos;
	return 0;
}

bool dns__msg_check(const uint8_t *msg, size_t len)
{
	struct dns__scan sc;
	return dns__msg_scan(msg, len, &sc) == 0;
}

int dns__reply_start(const uint8_t *req, size_t qend, uint16_t qdcount, uint8_t rcode,
		     uint8_t *out, size_t cap, size_t *len)
{
	if (qend < DNS_HEADER_LEN || qend > cap)
		return SP_ETRUNC;
	memcpy(out, req, qend);
	out[2] = (uint8_t)(0x80 | (req[2] & 0x79) | 0x04);	/* QR, opcode, AA, RD */
	out[3] = (uint8_t)(rcode & 0x0f);
	dns__put16(out + 4, qdcount);
	memset(out + 6, 0, 6);
	*len = qend;
	return 0;
}
