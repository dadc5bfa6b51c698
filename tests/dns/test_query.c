/* test_query.c - the hot-path parse of header, question, OPT and TSIG position. */
#include "dns_testlib.h"

static void test_plain_and_edns(void **state)
{
	uint8_t b[512];
	struct dns_query q;
	size_t l = t_query(b, sizeof(b), 0xbeef, "Nas.Example.Test.", LDNS_RR_TYPE_AAAA, 0, false, false);
	assert_int_equal(dns_query_parse(b, l, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_NOERROR);
	assert_int_equal(q.id, 0xbeef);
	assert_int_equal(q.opcode, DNS_OP_QUERY);
	assert_true(q.has_question);
	assert_false(q.edns);
	assert_int_equal(q.qtype, LDNS_RR_TYPE_AAAA);
	assert_int_equal(q.qclass, LDNS_RR_CLASS_IN);
	assert_int_equal(q.qname_len, 18);
	assert_int_equal(q.qname_labels, 3);
	assert_memory_equal(q.qname, "\003nas\007example\004test", 18);
	assert_memory_equal(q.qname_orig, "\003Nas\007Example\004Test", 18);
	assert_int_equal(q.question_end, 12 + 18 + 4);

	l = t_query(b, sizeof(b), 1, "example.test.", LDNS_RR_TYPE_SOA, 1400, true, true);
	assert_int_equal(dns_query_parse(b, l, &q), 0);
	assert_true(q.edns);
	assert_true(q.do_bit);
	assert_int_equal(q.edns_payload, 1400);
	assert_int_equal(q.edns_version, 0);
	assert_true(q.edns_flags & DNS_EDNS_CO);

	/* A payload below 512 counts as 512. */
	l = t_query(b, sizeof(b), 1, "example.test.", LDNS_RR_TYPE_SOA, 100, false, false);
	assert_int_equal(dns_query_parse(b, l, &q), 0);
	assert_int_equal(q.edns_payload, 512);
}

static void test_malformed(void **state)
{
	uint8_t b[512];
	struct dns_query q;
	size_t l = t_query(b, sizeof(b), 1, "nas.example.test.", LDNS_RR_TYPE_A, 1232, false, false);
	/* Every truncation either drops (short header) or is a FORMERR, never a crash. */
	for (size_t cut = 0; cut < l; cut++) {
		int rc = dns_query_parse(b, cut, &q);
		if (cut < 12)
			assert_int_equal(rc, SP_EMALFORMED);
		else
			assert_int_equal(q.rcode, DNS_RC_FORMERR);
	}
	/* Two OPT records. */
	uint8_t two[600];
	memcpy(two, b, l);
	memcpy(two + l, b + l - 11, 11);
	two[11] = 2;
	assert_int_equal(dns_query_parse(two, l + 11, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_FORMERR);
	/* Compressed qname. */
	memcpy(two, b, l);
	two[12] = 0xc0;
	two[13] = 0x0c;
	assert_int_equal(dns_query_parse(two, l, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_FORMERR);
	/* No question in a QUERY. */
	memcpy(two, b, 12);
	two[5] = 0;
	two[11] = 0;
	assert_int_equal(dns_query_parse(two, 12, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_FORMERR);
	/* EDNS version 1: BADVERS. */
	memcpy(two, b, l);
	two[l - 11 + 6] = 1;
	assert_int_equal(dns_query_parse(two, l, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_BADVERS);
}

static void test_tsig_noted(void **state)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, "example.test.", LDNS_RR_TYPE_SOA,
						    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_tsig_sign(p, "k.", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",
					    300, "hmac-sha256.", NULL), LDNS_STATUS_OK);
	uint8_t *w = NULL;
	size_t wl = 0;
	assert_int_equal(ldns_pkt2wire(&w, p, &wl), LDNS_STATUS_OK);
	struct dns_query q;
	assert_int_equal(dns_query_parse(w, wl, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_NOERROR);
	assert_true(q.has_tsig);
	assert_int_equal(q.tsig_off, q.question_end);
	assert_memory_equal(w + q.tsig_off, "\001k\0", 3);
	free(w);
	ldns_pkt_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_edns),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_tsig_noted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
