/*
 * test_walkers.c - every parser of DNS messages reads through the one wire
 * reader, so each refuses the same hostile messages: the query hot path,
 * UPDATE, TSIG, the transfer and NOTIFY code, the stub (its client and
 * answer reader) and the validator.  Each hostile message is built once and
 * given to all of them (with QR and the opcode each one expects); a good
 * message with backward compression is accepted by all, so the refusals are
 * the reader's rule and not a parser that refuses everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "core/log.h"
#include "dns/msgscan.h"
#include "dns/notify.h"
#include "dns/query.h"
#include "dns/stub_int.h"
#include "dns/tsig.h"
#include "dns/update.h"
#include "dns/validate.h"
#include "dns/wire.h"
#include "dns/xfr.h"

#define T_SOA 6
#define T_CNAME 5
#define T_TXT 16
#define T_AXFR 252

/* A message under test: body after the header, the counts, where QTYPE sits. */
struct hostile {
	const char *what;
	uint8_t body[300];
	size_t body_len;
	uint16_t qd, an;
	size_t qtype_at;	/* body offset of QTYPE, 0 if the question does not get that far */
	bool in_question;	/* the question itself is bad (else a later record) */
};

static struct hostile cases[8];
static size_t n_cases;

static struct hostile *add(const char *what, const uint8_t *b, size_t n, uint16_t qd,
			   uint16_t an, size_t qtype_at, bool in_q)
{
	struct hostile *h = &cases[n_cases++];
	assert_true(n_cases <= sizeof(cases) / sizeof(cases[0]));
	h->what = what;
	memcpy(h->body, b, n);
	h->body_len = n;
	h->qd = qd;
	h->an = an;
	h->qtype_at = qtype_at;
	h->in_question = in_q;
	return h;
}

static void make_cases(void)
{
	n_cases = 0;
	/* Question name a forward pointer to a good name after the question. */
	const uint8_t fwd[] = { 0xc0, 18, 0, T_SOA, 0, 1, 1, 'a', 0 };
	add("forward pointer", fwd, sizeof(fwd), 1, 0, 2, true);
	/* Question name a pointer into the header. */
	const uint8_t hdr[] = { 0xc0, 2, 0, T_SOA, 0, 1 };
	add("pointer into the header", hdr, sizeof(hdr), 1, 0, 2, true);
	/* Question name cut in the middle of a label. */
	const uint8_t cut[] = { 3, 'w', 'w' };
	add("truncated label", cut, sizeof(cut), 1, 0, 0, true);
	/* An obsolete label type (0x40). */
	const uint8_t ext[] = { 0x41, 'a', 0, 0, T_SOA, 0, 1 };
	add("label type 0x40", ext, sizeof(ext), 1, 0, 3, true);
	/* A 256-octet question name: 3 x 63 + 62, root. */
	uint8_t big[300];
	size_t o = 0;
	for (int i = 0; i < 4; i++) {
		big[o++] = i < 3 ? 63 : 62;
		memset(big + o, 'x', big[o - 1]);
		o += big[o - 1];
	}
	big[o++] = 0;
	size_t qt = o;
	big[o++] = 0, big[o++] = T_SOA, big[o++] = 0, big[o++] = 1;
	add("256-octet name", big, o, 1, 0, qt, true);
	/* A good question, then an answer whose owner loops: 19 -> 21 -> 19 ... */
	const uint8_t loop[] = { 1, 'a', 0, 0, T_SOA, 0, 1, 0xc0, 21, 0xc0, 19, 0, 1, 0, 0, 0, 0,
				 0, 0 };
	add("pointer loop in an owner", loop, sizeof(loop), 1, 1, 3, false);
	/* A good question, then an answer whose owner points forward (at a good name). */
	const uint8_t fwd_rr[] = { 1, 'a', 0, 0, T_SOA, 0, 1, 0xc0, 31, 0, T_TXT, 0, 1, 0, 0, 0,
				   0, 0, 3, 1, 'b', 0 };
	add("forward pointer in an owner", fwd_rr, sizeof(fwd_rr), 1, 1, 3, false);
}

/* The message for h with these header flags (QR/opcode) and QTYPE. */
static size_t build(const struct hostile *h, uint16_t id, uint16_t flags, uint16_t qtype,
		    uint8_t *m)
{
	memset(m, 0, DNS_HEADER_LEN);
	m[0] = (uint8_t)(id >> 8), m[1] = (uint8_t)id;
	m[2] = (uint8_t)(flags >> 8), m[3] = (uint8_t)flags;
	m[5] = (uint8_t)h->qd;
	m[7] = (uint8_t)h->an;
	memcpy(m + DNS_HEADER_LEN, h->body, h->body_len);
	if (h->qtype_at != 0) {
		m[DNS_HEADER_LEN + h->qtype_at] = (uint8_t)(qtype >> 8);
		m[DNS_HEADER_LEN + h->qtype_at + 1] = (uint8_t)qtype;
	}
	return DNS_HEADER_LEN + h->body_len;
}

#define F_QR 0x8000
#define F_OP(o) ((uint16_t)((o) << 11))

static unsigned emitted;
static uint8_t emitted_rcode;

static int emit(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	emitted++;
	emitted_rcode = len >= DNS_HEADER_LEN ? (msg[3] & 0x0f) : 0xff;
	return 0;
}

/* Every parser's verdict on one message; true means it was refused as malformed. */
struct verdicts {
	bool query, update, tsig, xfr_is, xfr_answer, notify, stub_query, stub_answer, validate,
	    dnskey, qend, scan;
};

static void run_all(const struct hostile *h, struct verdicts *v)
{
	uint8_t m[512], out[1024];
	size_t len, out_len;
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(5353) };
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(v, 0, sizeof(*v));

	/* The query hot path: FORMERR. */
	struct dns_query q;
	len = build(h, 1, F_OP(DNS_OP_QUERY), 1, m);
	assert_int_equal(dns_query_parse(m, len, &q), 0);
	v->query = q.rcode == DNS_RC_FORMERR;

	/* UPDATE: a FORMERR reply (before any zone is touched), SP_EMALFORMED. */
	bool changed = false;
	len = build(h, 2, F_OP(DNS_OP_UPDATE), T_SOA, m);
	int rc = dns_update_handle(NULL, m, len, (struct sockaddr *)&from, NULL, 0, out,
				   sizeof(out), &out_len, &changed);
	v->update = rc == SP_EMALFORMED && out_len >= DNS_HEADER_LEN && (out[3] & 0x0f) == 1;
	assert_false(changed);

	/* TSIG. */
	struct dns_tsig_state st;
	len = build(h, 3, F_OP(DNS_OP_QUERY), T_AXFR, m);
	v->tsig = dns_tsig_verify(m, len, NULL, 0, 0, &st) == SP_EMALFORMED;

	/* Transfers: the server's cheap look, and the answer (a FORMERR message). */
	v->xfr_is = !dns_xfr_is_xfr(m, len);
	/* (Only when malformed: a message that parses goes on to the zone, and there is none.) */
	if (!dns__msg_check(m, len)) {
		emitted = 0;
		rc = dns_xfr_answer(NULL, m, len, (struct sockaddr *)&from, true, NULL, NULL, 0,
				    emit, NULL);
		v->xfr_answer = rc == SP_EMALFORMED && emitted == 1 && emitted_rcode == 1;
	}

	/* A NOTIFY reply. */
	len = build(h, 4, F_QR | F_OP(DNS_OP_NOTIFY), T_SOA, m);
	v->notify = dns_notify_consume_reply(m, len, 4, (const uint8_t *)"\001a", 3, NULL, 0) ==
		    SP_EMALFORMED;

	/* The stub: a client's query and a server's answer. */
	ldns_pkt *p = NULL;
	len = build(h, 5, F_OP(DNS_OP_QUERY), 1, m);
	v->stub_query = dns_stub__parse(m, len, &p) == SP_EMALFORMED && p == NULL;
	ldns_pkt_free(p);
	len = build(h, 5, F_QR | F_OP(DNS_OP_QUERY), 1, m);
	v->stub_answer = dns_stub__parse(m, len, &p) == SP_EMALFORMED && p == NULL;
	ldns_pkt_free(p);

	/* Cutting to header + question (TC answers, RRL slips), and the walk itself. */
	v->qend = dns_wire_question_end(m, len) == 0;
	v->scan = !dns__msg_check(m, len);

	/* The validator's wire entry points: bogus, "does not parse". */
	if (!v->stub_answer)
		return;		/* a parsed answer would need keys to go on */
	struct dns_validate_verdict vd;
	assert_int_equal(dns_validate_answer(NULL, m, len, 0, &vd), 0);
	v->validate = vd.sec == DNS_V_BOGUS && strstr(vd.reason, "does not parse") != NULL;
	struct dns_validate_keys *keys = NULL;
	assert_int_equal(dns_validate_dnskey(NULL, m, len, 0, &keys, &vd), 0);
	v->dnskey = vd.sec == DNS_V_BOGUS && keys == NULL &&
		    strstr(vd.reason, "does not parse") != NULL;
}

/* The parsers that walk the whole message (all but the query path) all refused it. */
static void assert_refused_by_whole_message_walkers(const struct verdicts *v)
{
	assert_true(v->update);
	assert_true(v->tsig);
	assert_true(v->xfr_answer);
	assert_true(v->notify);
	assert_true(v->stub_query);
	assert_true(v->stub_answer);
	assert_true(v->validate);
	assert_true(v->scan);
}

static void test_all_refuse_the_same(void **state)
{
	make_cases();
	for (size_t i = 0; i < n_cases; i++) {
		const struct hostile *h = &cases[i];
		struct verdicts v;
		print_message("%s\n", h->what);
		run_all(h, &v);
		assert_true(v.query);
		assert_refused_by_whole_message_walkers(&v);
		assert_true(v.dnskey);
		/* These two read only the header and the first question. */
		assert_int_equal(v.xfr_is, h->in_question);
		assert_int_equal(v.qend, h->in_question);
	}
}

/* A CNAME answer in the RDATA of which the name points forward (only ldns would follow it). */
static void test_rdata_names(void **state)
{
	/* "a." SOA IN; answer: owner ptr 12, CNAME IN, RDATA ptr forward to "b." after it. */
	const uint8_t b[] = { 1, 'a', 0, 0, T_SOA, 0, 1, 0xc0, 12, 0, T_CNAME, 0, 1, 0, 0, 0, 0,
			      0, 2, 0xc0, 33, 1, 'b', 0 };
	struct hostile h = { .what = "forward pointer in RDATA", .qd = 1, .an = 1, .qtype_at = 3 };
	memcpy(h.body, b, sizeof(b));
	h.body_len = sizeof(b);
	struct verdicts v;
	run_all(&h, &v);
	/* The query path never reads an answer's RDATA: it has nothing to refuse. */
	assert_false(v.query);
	assert_refused_by_whole_message_walkers(&v);
	/* Pointing backward (at the question's "a.") it is fine. */
	h.body[20] = 12;
	run_all(&h, &v);
	assert_false(v.update);
	assert_false(v.tsig);
	assert_false(v.stub_answer);
	assert_false(v.scan);
}

static void test_good_message_accepted(void **state)
{
	/* "a." SOA IN; answer: owner ptr 12 (backward), A IN, 4 bytes. */
	const uint8_t b[] = { 1, 'a', 0, 0, T_SOA, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0,
			      0, 4, 192, 0, 2, 1 };
	struct hostile h = { .what = "good", .qd = 1, .an = 1, .qtype_at = 3 };
	memcpy(h.body, b, sizeof(b));
	h.body_len = sizeof(b);
	uint8_t m[512], out[1024];
	size_t len, out_len;
	struct sockaddr_in from = { .sin_family = AF_INET };

	struct dns_query q;
	len = build(&h, 1, F_OP(DNS_OP_QUERY), 1, m);
	assert_int_equal(dns_query_parse(m, len, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_NOERROR);
	assert_true(q.has_question);

	bool changed;
	len = build(&h, 2, F_OP(DNS_OP_UPDATE), T_SOA, m);
	assert_int_equal(dns_update_handle(NULL, m, len, (struct sockaddr *)&from, NULL, 0, out,
					   sizeof(out), &out_len, &changed), 0);
	assert_int_equal(out[3] & 0x0f, DNS_RC_REFUSED);	/* unsigned: refused, not FORMERR */

	struct dns_tsig_state st;
	len = build(&h, 3, F_OP(DNS_OP_QUERY), T_AXFR, m);
	assert_int_equal(dns_tsig_verify(m, len, NULL, 0, 0, &st), 0);
	assert_false(st.present);
	assert_true(dns_xfr_is_xfr(m, len));
	assert_int_equal(dns_wire_question_end(m, len), DNS_HEADER_LEN + 7);
	assert_int_equal(dns_stub__question_end(m, len), DNS_HEADER_LEN + 7);

	len = build(&h, 4, F_QR | F_OP(DNS_OP_NOTIFY), T_SOA, m);
	assert_int_equal(dns_notify_consume_reply(m, len, 4, (const uint8_t *)"\001a", 3, NULL, 0),
			 0);

	ldns_pkt *p = NULL;
	len = build(&h, 5, F_QR | F_OP(DNS_OP_QUERY), 1, m);
	assert_int_equal(dns_stub__parse(m, len, &p), 0);
	assert_non_null(p);
	assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 1);
	ldns_pkt_free(p);
}

int main(void)
{
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_refuse_the_same),
		cmocka_unit_test(test_rdata_names),
		cmocka_unit_test(test_good_message_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
