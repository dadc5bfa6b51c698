/*
 * fuzz_dns_wire.c - the one wire reader and the parsers built on it must
 * agree on every input: a message whose walk (dns__msg_check) fails is
 * refused by the stub and the validator too; a question the walker refuses
 * is a FORMERR on the query path, and one it accepts is the query path's
 * question; a name the reader returns obeys the bounds and reads back the
 * same.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dns/msgscan.h"
#include "dns/query.h"
#include "dns/stub_int.h"
#include "dns/validate.h"
#include "dns/wire.h"

#define FUZZ_MSG_MAX 65535

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every name in the message as the reader returns it: within bounds, and stable on re-reading. */
static void check_names(const uint8_t *data, size_t size)
{
	struct dns_wire w;
	struct dns_hdr h;
	struct dns_rr_hdr rr;
	uint8_t name[DNS_NAME_MAXLEN], again[DNS_NAME_MAXLEN], labels;
	dns_wire_init(&w, data, size);
	dns_wire_header(&w, &h);
	for (unsigned i = 0; i < h.qdcount && !w.err; i++) {
		size_t n = dns_wire_question(&w, name, &labels, NULL, NULL);
		if (w.err)
			break;
		if (n == 0 || n > DNS_NAME_MAXLEN || labels > 127 || name[n - 1] != 0)
			abort();
		/* Uncompressed now: the same reader on it gives the same name. */
		struct dns_wire r;
		dns_wire_init(&r, name, n);
		if (dns_wire_name(&r, again, true, NULL) != n || r.pos != n ||
		    memcmp(again, name, n) != 0 || dns_name_len(name) != n)
			abort();
	}
	unsigned nrr = (unsigned)h.ancount + h.nscount + h.arcount;
	for (unsigned i = 0; i < nrr && !w.err; i++) {
		if (dns_wire_rr(&w, &rr, name) != 0)
			break;
		if (rr.owner_len == 0 || rr.owner_len > DNS_NAME_MAXLEN ||
		    rr.rdata + rr.rdlen > size || w.pos != rr.rdata + rr.rdlen)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		sp_log_init("fuzz", SP_LOG_ERR, true, false);
		ready = 1;
	}
	if (size > FUZZ_MSG_MAX)
		return 0;
	check_names(data, size);

	bool walk_ok = dns__msg_check(data, size);
	size_t qend = dns_wire_question_end(data, size);
	uint16_t qd = size >= DNS_HEADER_LEN ? (uint16_t)(data[4] << 8 | data[5]) : 0;

	/* The query path against the question walker (only for what it would answer). */
	struct dns_query q;
	if (dns_query_parse(data, size, &q) == 0 && qd == 1) {
		if (qend == 0 && q.rcode != DNS_RC_FORMERR)
			abort();	/* a question the walker refuses was answered */
		if (q.has_question && (qend != q.question_end || qend == 0))
			abort();	/* the two disagree on where the question ends */
		if (walk_ok && !q.has_question)
			abort();	/* the whole message walks, its one question must too */
	}
	if (dns_stub__question_end(data, size) != (qd == 1 ? qend : 0))
		abort();

	/* ldns behind the walk: what the walk refuses, nobody parses. */
	ldns_pkt *p = NULL;
	int rc = dns_stub__parse(data, size, &p);
	if ((rc == 0) != (p != NULL) || (rc == 0 && !walk_ok))
		abort();
	ldns_pkt_free(p);
	if (!walk_ok) {
		struct dns_validate_verdict v;
		if (dns_validate_answer(NULL, data, size, 0, &v) != 0 || v.sec != DNS_V_BOGUS)
			abort();
	}
	return 0;
}
