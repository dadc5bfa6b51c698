/* test_answer.c - answers of the DNS engine, checked with ldns (signatures, denial, TC). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include "dns_testlib.h"

static bool has_type_bit(const ldns_rr *nsec, uint16_t t)
{
	return ldns_nsec_bitmap_covers_type(ldns_rr_rdf(nsec, 1), t);
}

static ldns_rr *find_rr(ldns_rr_list *l, ldns_rr_type t)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t)
			return ldns_rr_list_rr(l, i);
	return NULL;
}

static void test_positive_signed(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	ldns_rr_list *keys = t_keys_of(z);
	ldns_pkt *p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false,
			    t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(p));
	assert_true(ldns_pkt_rd(p));
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);

	/* Without DO: no RRSIG. */
	p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_AAAA, 1232, false, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_null(find_rr(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG));
	ldns_pkt_free(p);

	/* DNSKEY at the apex, signed by the KSK, verifies against the keys themselves. */
	p = t_ask(z, "example.test.", LDNS_RR_TYPE_DNSKEY, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);

	/* A device's DNSKEY (flags 0): ordinary data signed by the ZSK. */
	p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_DNSKEY, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);

	/*
	 * A device's key as a KEY record (flags 512, a host key): ordinary data,
	 * signed once, by the ZSK (not the KSK, which signs only the apex keys).
	 */
	struct dns_changeset *cs = dns_changeset_new();
	ldns_rr *krr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&krr, "nas.example.test. 300 IN KEY 512 3 15 "
					     "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 0, NULL,
					     NULL), LDNS_STATUS_OK);
	assert_int_equal(dns_changeset_add(cs, krr), 0);
	assert_int_equal(dns_zone_apply(z, cs, now, NULL), 0);
	dns_changeset_free(cs);
	p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_KEY, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_non_null(find_rr(ldns_pkt_answer(p), LDNS_RR_TYPE_KEY));
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_rr *ksig = find_rr(ldns_pkt_answer(p), LDNS_RR_TYPE_RRSIG);
	assert_non_null(ksig);
	uint16_t zsk_tag = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++)
		if (ldns_rdf2native_int16(ldns_rr_rdf(ldns_rr_list_rr(keys, i), 0)) == 256)
			zsk_tag = ldns_calc_keytag(ldns_rr_list_rr(keys, i));
	assert_int_equal(ldns_rdf2native_int16(ldns_rr_rrsig_keytag(ksig)), zsk_tag);
	ldns_pkt_free(p);

	/* CNAME for another type. */
	p = t_ask(z, "www.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false, t_now_ms(), NULL);
	assert_non_null(find_rr(ldns_pkt_answer(p), LDNS_RR_TYPE_CNAME));
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);

	ldns_rr_list_deep_free(keys);
	dns_zone_free(z);
}

/* Check a negative DO answer: SOA + NSEC at qname, both signed, and the denial proves the type absent. */
static ldns_rr *check_denial(ldns_pkt *p, ldns_rr_list *keys, const char *qname, ldns_rr_type qt)
{
	ldns_rr_list *auth = ldns_pkt_authority(p);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_non_null(find_rr(auth, LDNS_RR_TYPE_SOA));
	ldns_rr *nsec = find_rr(auth, LDNS_RR_TYPE_NSEC);
	assert_non_null(nsec);
	assert_int_equal(t_verify_section(auth, keys), 2);
	ldns_rdf *qn = ldns_dname_new_frm_str(qname);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(nsec), qn), 0);
	assert_false(has_type_bit(nsec, qt));
	assert_true(has_type_bit(nsec, LDNS_RR_TYPE_RRSIG));
	assert_true(has_type_bit(nsec, LDNS_RR_TYPE_NSEC));
	/* ldns's own NODATA check agrees. */
	ldns_rr *question = ldns_rr_new_frm_type(qt);
	ldns_rr_set_owner(question, qn);
	ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC)
			ldns_rr_list_push_rr(nsecs, rr);
		else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			ldns_rr_list_push_rr(sigs, rr);
	}
	assert_int_equal(ldns_dnssec_verify_denial(question, nsecs, sigs), LDNS_STATUS_OK);
	ldns_rr_free(question);
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(sigs);
	/* Negative TTL = min(SOA TTL, MINIMUM) = 300. */
	assert_int_equal(ldns_rr_ttl(nsec), 300);
	return nsec;
}

static void test_negative_signed(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	ldns_rr_list *keys = t_keys_of(z);

	/* NODATA at an existing name: bitmap shows what is there. */
	ldns_pkt *p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_TXT, 1232, true, false,
			    t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_rr *nsec = check_denial(p, keys, "nas.example.test.", LDNS_RR_TYPE_TXT);
	assert_true(has_type_bit(nsec, LDNS_RR_TYPE_AAAA));
	assert_false(has_type_bit(nsec, 128));
	ldns_pkt_free(p);

	/* Non-existent name: compact denial, NOERROR with NXNAME. */
	p = t_ask(z, "nope.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	nsec = check_denial(p, keys, "nope.example.test.", LDNS_RR_TYPE_AAAA);
	assert_true(has_type_bit(nsec, 128));
	assert_false(has_type_bit(nsec, LDNS_RR_TYPE_AAAA));
	ldns_pkt_free(p);

	/* The same with the CO flag restores NXDOMAIN (RFC 9824). */
	p = t_ask(z, "nope2.example.test.", LDNS_RR_TYPE_A, 1232, true, true, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);

	/* Empty non-terminal: NODATA with only RRSIG and NSEC. */
	p = t_ask(z, "deep.example.test.", LDNS_RR_TYPE_A, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	nsec = check_denial(p, keys, "deep.example.test.", LDNS_RR_TYPE_A);
	assert_false(has_type_bit(nsec, 128));
	assert_false(has_type_bit(nsec, LDNS_RR_TYPE_TXT));
	ldns_pkt_free(p);

	/* Without DO: a plain NXDOMAIN with the SOA. */
	p = t_ask(z, "nope.example.test.", LDNS_RR_TYPE_AAAA, 0, false, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	assert_int_equal(ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);

	/* Asked for the NSEC itself: the compact NSEC, signed, in the answer. */
	p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_NSEC, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_non_null(find_rr(ldns_pkt_answer(p), LDNS_RR_TYPE_NSEC));
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);

	struct dns_zone_stats st;
	dns_zone_stats(z, &st);
	assert_true(st.sigs_denial >= 4);
	ldns_rr_list_deep_free(keys);
	dns_zone_free(z);
}

static void test_ecdsa_zone(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ECDSAP256SHA256, now);
	ldns_rr_list *keys = t_keys_of(z);
	ldns_pkt *p = t_ask(z, "ns1.example.test.", LDNS_RR_TYPE_A, 1232, true, false,
			    t_now_ms(), NULL);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);
	p = t_ask(z, "gone.example.test.", LDNS_RR_TYPE_A, 1232, true, false, t_now_ms(), NULL);
	check_denial(p, keys, "gone.example.test.", LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(keys);
	dns_zone_free(z);
}

static void test_cache_case_and_id(void **state)
{
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, time(NULL));
	uint8_t qb[512], a1[4096], a2[4096];
	struct dns_answer_ctx ctx = { .now_ms = t_now_ms() };
	struct dns_query q;
	size_t l1, l2;
	size_t ql = t_query(qb, sizeof(qb), 7, "NaS.ExAmPlE.TeSt.", LDNS_RR_TYPE_AAAA, 1232, true, false);
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, a1, sizeof(a1), &l1, &ctx), 0);
	ql = t_query(qb, sizeof(qb), 9, "nas.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false);
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, a2, sizeof(a2), &l2, &ctx), 0);
	struct dns_zone_stats st;
	dns_zone_stats(z, &st);
	assert_int_equal(st.answers_built, 1);
	assert_int_equal(st.answers_cached, 1);
	assert_int_equal(l1, l2);
	/* Same bytes apart from the ID and the case of the question. */
	assert_int_equal(a1[1], 7);
	assert_int_equal(a2[1], 9);
	assert_memory_equal(a1 + 12, "\003NaS\007ExAmPlE\004TeSt", 18);
	assert_memory_equal(a2 + 12, "\003nas\007example\004test", 18);
	assert_memory_equal(a1 + 2, a2 + 2, 10);
	assert_memory_equal(a1 + 30, a2 + 30, l1 - 30);
	dns_zone_free(z);
}

static void test_truncation(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	/* A TXT RRset far above 512 bytes. */
	struct dns_changeset *cs = dns_changeset_new();
	for (int i = 0; i < 16; i++) {
		char line[256];
		ldns_rr *rr = NULL;
		snprintf(line, sizeof(line), "big.example.test. 60 IN TXT \"%02d %s\"", i,
			 "0123456789012345678901234567890123456789");
		assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
		assert_int_equal(dns_changeset_add(cs, rr), 0);
	}
	assert_int_equal(dns_zone_apply(z, cs, now, NULL), 0);
	dns_changeset_free(cs);

	size_t len;
	ldns_pkt *p = t_ask(z, "big.example.test.", LDNS_RR_TYPE_TXT, 0, false, false, t_now_ms(), &len);
	assert_true(ldns_pkt_tc(p));
	assert_true(len <= 512);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);

	p = t_ask(z, "big.example.test.", LDNS_RR_TYPE_TXT, 600, true, false, t_now_ms(), &len);
	assert_true(ldns_pkt_tc(p));
	assert_true(len <= 600);
	assert_true(ldns_pkt_edns_udp_size(p) > 0);	/* the OPT stays */
	assert_true(ldns_pkt_edns(p));
	ldns_pkt_free(p);

	p = t_ask(z, "big.example.test.", LDNS_RR_TYPE_TXT, 4096, true, false, t_now_ms(), &len);
	assert_false(ldns_pkt_tc(p));
	assert_true(len > 600 && len <= 1232);
	assert_int_equal(ldns_pkt_ancount(p), 17);
	ldns_pkt_free(p);

	/* Over TCP nothing is cut. */
	uint8_t qb[512], ab[65535];
	struct dns_query q;
	size_t ql = t_query(qb, sizeof(qb), 1, "big.example.test.", LDNS_RR_TYPE_TXT, 0, false, false);
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	struct dns_answer_ctx ctx = { .now_ms = t_now_ms(), .tcp = true };
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &len, &ctx), 0);
	assert_true(len > 512);
	assert_int_equal(ab[2] & 0x02, 0);
	dns_zone_free(z);
}

static void test_errors(void **state)
{
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, time(NULL));
	uint8_t qb[512], ab[4096];
	struct dns_query q;
	struct dns_answer_ctx ctx = { .now_ms = t_now_ms() };
	size_t len, ql;

	/* Outside the zone: REFUSED, no AA. */
	ql = t_query(qb, sizeof(qb), 1, "other.test.", LDNS_RR_TYPE_A, 1232, false, false);
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &len, &ctx), 0);
	assert_int_equal(ab[3] & 0xf, DNS_RC_REFUSED);
	assert_int_equal(ab[2] & 0x04, 0);
	assert_int_equal(ab[11], 1);	/* OPT echoed */

	/* Unknown opcode: NOTIMP. */
	ql = t_query(qb, sizeof(qb), 1, "nas.example.test.", LDNS_RR_TYPE_A, 0, false, false);
	qb[2] = (uint8_t)((qb[2] & 0x87) | (2 << 3));	/* STATUS */
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &len, &ctx), 0);
	assert_int_equal(ab[3] & 0xf, DNS_RC_NOTIMP);

	/* EDNS version 1: BADVERS = extended rcode 1 in the OPT, header rcode 0. */
	ql = t_query(qb, sizeof(qb), 1, "nas.example.test.", LDNS_RR_TYPE_A, 1232, false, false);
	qb[ql - 11 + 6] = 1;	/* OPT TTL: ext-rcode, VERSION, flags */
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(q.rcode, DNS_RC_BADVERS);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &len, &ctx), 0);
	assert_int_equal(ab[3] & 0xf, 0);
	assert_int_equal(ab[len - 11 + 5], 1);

	/* Two questions: FORMERR. */
	ql = t_query(qb, sizeof(qb), 1, "nas.example.test.", LDNS_RR_TYPE_A, 0, false, false);
	qb[5] = 2;
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &len, &ctx), 0);
	assert_int_equal(ab[3] & 0xf, DNS_RC_FORMERR);

	/* AXFR on the answer path: NOTIMP (the transfer code takes it first). */
	ql = t_query(qb, sizeof(qb), 1, "example.test.", LDNS_RR_TYPE_AXFR, 0, false, false);
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &len, &ctx), 0);
	assert_int_equal(ab[3] & 0xf, DNS_RC_NOTIMP);

	/* A response is never answered. */
	qb[2] |= 0x80;
	assert_int_equal(dns_query_parse(qb, ql, &q), SP_EMALFORMED);
	dns_zone_free(z);
}

static void test_denial_rate_limit(void **state)
{
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, time(NULL));
	dns_zone_set_denial_rate(z, 2);
	uint64_t now = t_now_ms();
	int ok = 0, fail = 0;
	for (int i = 0; i < 6; i++) {
		char name[64];
		snprintf(name, sizeof(name), "r%d.example.test.", i);
		ldns_pkt *p = t_ask(z, name, LDNS_RR_TYPE_A, 1232, true, false, now, NULL);
		if (ldns_pkt_get_rcode(p) == LDNS_RCODE_SERVFAIL)
			fail++;
		else
			ok++;
		ldns_pkt_free(p);
	}
	assert_int_equal(ok, 2);
	assert_int_equal(fail, 4);
	struct dns_zone_stats st;
	dns_zone_stats(z, &st);
	assert_int_equal(st.denial_limited, 4);
	/* An answer already made is served from the cache without a token. */
	ldns_pkt *p = t_ask(z, "r0.example.test.", LDNS_RR_TYPE_A, 1232, true, false, now, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	/* A second later the bucket has refilled. */
	p = t_ask(z, "r5.example.test.", LDNS_RR_TYPE_A, 1232, true, false, now + 1000, NULL);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ldns_pkt_free(p);
	dns_zone_free(z);
}

/* Ask name with DO from peer; returns the rcode and whether an RRSIG came in authority. */
static int ask_from(struct dns_zone *z, const char *name, const struct sockaddr *peer,
		    uint64_t now, bool *signed_nsec)
{
	uint8_t qb[512], ab[4096];
	struct dns_query q;
	size_t ql = t_query(qb, sizeof(qb), 7, name, LDNS_RR_TYPE_A, 1232, true, false), al = 0;
	struct dns_answer_ctx ctx = { .now_ms = now, .peer = peer };

	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &al, &ctx), 0);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, ab, al), LDNS_STATUS_OK);
	int rc = ldns_pkt_get_rcode(p);
	*signed_nsec = find_rr(ldns_pkt_authority(p), LDNS_RR_TYPE_RRSIG) != NULL &&
		       find_rr(ldns_pkt_authority(p), LDNS_RR_TYPE_NSEC) != NULL;
	ldns_pkt_free(p);
	return rc;
}

/* One prefix flooding random names cannot starve another prefix's denials. */
static void test_denial_share_per_prefix(void **state)
{
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, time(NULL));
	struct sockaddr_in a = { .sin_family = AF_INET }, b = { .sin_family = AF_INET };
	uint64_t now = t_now_ms();
	bool sig;
	int fail = 0;

	dns_zone_set_denial_rate(z, 16);
	inet_pton(AF_INET, "192.0.2.10", &a.sin_addr);
	inet_pton(AF_INET, "198.51.100.20", &b.sin_addr);
	for (int i = 0; i < 40; i++) {
		char name[64];
		snprintf(name, sizeof(name), "flood%d.example.test.", i);
		if (ask_from(z, name, (struct sockaddr *)&a, now, &sig) == LDNS_RCODE_SERVFAIL)
			fail++;
	}
	/* The flooder got its share (16 / DNS_ANSWER_DENY_SHARE_DIV), then SERVFAIL. */
	assert_int_equal(fail, 40 - 16 / DNS_ANSWER_DENY_SHARE_DIV);
	/* Another prefix, same instant: still a signed denial. */
	for (int i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof(name), "other%d.example.test.", i);
		assert_int_equal(ask_from(z, name, (struct sockaddr *)&b, now, &sig),
				 LDNS_RCODE_NOERROR);
		assert_true(sig);
	}
	dns_zone_free(z);
}

/* Denial signatures refreshed after SIG_REFRESH replace the old ones (LSan sees a leak otherwise). */
static void test_denial_refresh(void **state)
{
	time_t t0 = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, t0);
	uint64_t now = (uint64_t)t0 * 1000u;
	bool sig;

	/* NODATA at an existing name keeps its signatures on the node. */
	assert_int_equal(ask_from(z, "nas.example.test.", NULL, now, &sig), LDNS_RCODE_NOERROR);
	assert_true(sig);
	struct dns_zone_stats st;
	dns_zone_stats(z, &st);
	uint64_t made = st.sigs_denial;
	uint8_t qb[512], ab[4096];
	struct dns_query q;
	size_t ql = t_query(qb, sizeof(qb), 8, "nas.example.test.", LDNS_RR_TYPE_MX, 1232, true,
			    false), al = 0;
	uint64_t later = now + (uint64_t)(SIG_REFRESH + 3600) * 1000u;
	struct dns_answer_ctx ctx = { .now_ms = later };
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &al, &ctx), 0);
	dns_zone_stats(z, &st);
	assert_true(st.sigs_denial > made);	/* re-signed, not reused */
	dns_zone_free(z);
}

/* Answer q (already parsed) with no peer; the answer must be a NOERROR or NXDOMAIN. */
static void answer_ok(struct dns_zone *z, const uint8_t *qb, size_t ql, uint64_t now)
{
	uint8_t ab[4096];
	struct dns_query q;
	struct dns_answer_ctx ctx = { .now_ms = now };
	size_t al = 0;
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &al, &ctx), 0);
	assert_true(al >= 12);
	assert_true((ab[3] & 0xf) == DNS_RC_NOERROR || (ab[3] & 0xf) == DNS_RC_NXDOMAIN);
}

/*
 * A flood of distinct names that do not exist (each a fresh compact denial,
 * or a plain NXDOMAIN without DO) must not evict the cached answers for
 * names that exist: positive answers and NODATA stay cache hits.
 */
static void test_flood_keeps_cached_answers(void **state)
{
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, time(NULL));
	dns_zone_set_denial_rate(z, 1000000);
	uint64_t now = t_now_ms();
	static const struct {
		const char *name;
		ldns_rr_type type;
		bool dobit;
	} warm[] = {
		{ "nas.example.test.", LDNS_RR_TYPE_AAAA, true },
		{ "nas.example.test.", LDNS_RR_TYPE_AAAA, false },
		{ "nas.example.test.", LDNS_RR_TYPE_DNSKEY, true },
		{ "nas.example.test.", LDNS_RR_TYPE_TXT, true },	/* NODATA */
		{ "deep.example.test.", LDNS_RR_TYPE_A, true },	/* NODATA at an ENT */
		{ "example.test.", LDNS_RR_TYPE_DNSKEY, true },
		{ "www.example.test.", LDNS_RR_TYPE_AAAA, true },
		{ "ns1.example.test.", LDNS_RR_TYPE_A, false },
	};
	const size_t nw = sizeof(warm) / sizeof(warm[0]);
	uint8_t wq[8][512], fq[2][512];
	size_t wl[8];
	struct dns_zone_stats st0, st1, st2;

	assert_true(nw <= 8);
	for (size_t i = 0; i < nw; i++)
		wl[i] = t_query(wq[i], sizeof(wq[i]), (uint16_t)i, warm[i].name, warm[i].type,
				1232, warm[i].dobit, false);
	for (size_t i = 0; i < nw; i++)
		answer_ok(z, wq[i], wl[i], now);
	/* Asked again: hits (two of them may share a slot by chance: allow one such pair). */
	dns_zone_stats(z, &st0);
	for (size_t i = 0; i < nw; i++)
		answer_ok(z, wq[i], wl[i], now);
	dns_zone_stats(z, &st1);
	uint64_t hits = st1.answers_cached - st0.answers_cached;
	assert_true(hits >= nw - 2);

	/* Distinct random names below the zone, with and without DO (label patched in place). */
	size_t fl = t_query(fq[0], sizeof(fq[0]), 1, "r0000000.example.test.", LDNS_RR_TYPE_AAAA,
			    1232, true, false);
	assert_int_equal(t_query(fq[1], sizeof(fq[1]), 1, "r0000000.example.test.",
				 LDNS_RR_TYPE_AAAA, 1232, false, false), fl);
	const uint32_t flood = 64000;	/* about the cache's size: old code evicted ~63% */
	uint32_t seed = (uint32_t)randombytes_random();
	for (uint32_t i = 0; i < flood; i++) {
		uint8_t *qb = fq[i % 2];
		/* i -> i * odd + seed is a bijection: every name differs. */
		snprintf((char *)qb + 13, 9, "%08x", i * 2654435761u + seed);
		qb[21] = 7;	/* snprintf's NUL over the next label's length byte */
		answer_ok(z, qb, fl, now);
	}
	dns_zone_stats(z, &st2);
	assert_int_equal(st2.answers_built - st1.answers_built, flood);
	assert_true(st2.sigs_denial - st1.sigs_denial >= flood / 2);
	/* The last denial itself is still served from the cache (no new signature). */
	answer_ok(z, fq[(flood - 1) % 2], fl, now);
	dns_zone_stats(z, &st1);
	assert_int_equal(st1.answers_cached, st2.answers_cached + 1);
	assert_int_equal(st1.sigs_denial, st2.sigs_denial);

	/* Every answer that was a hit before the flood still is. */
	for (size_t i = 0; i < nw; i++)
		answer_ok(z, wq[i], wl[i], now);
	dns_zone_stats(z, &st2);
	assert_int_equal(st2.answers_cached - st1.answers_cached, hits);
	assert_int_equal(st2.answers_built - st1.answers_built, nw - hits);
	dns_zone_free(z);
}

/* A few thousand mutated queries: always a well-formed answer or a silent drop. */
static void test_mutations(void **state)
{
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, time(NULL));
	dns_zone_set_denial_rate(z, 1000000);
	const char *names[] = { "nas.example.test.", "example.test.", "nope.example.test.",
				"deep.example.test.", "www.example.test." };
	uint32_t x = 2463534242u;
	int answered = 0;
	for (int i = 0; i < 5000; i++) {
		uint8_t qb[512], ab[4096];
		size_t ql = t_query(qb, sizeof(qb), (uint16_t)i, names[i % 5],
				    (ldns_rr_type)(i % 3 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_DNSKEY),
				    i % 2 ? 1232 : 0, i % 4 < 2, false);
		int flips = 1 + i % 4;
		for (int f = 0; f < flips; f++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			qb[x % ql] = (uint8_t)(x >> 8);
		}
		if (i % 7 == 0)
			ql = x % (ql + 1);
		struct dns_query q;
		if (dns_query_parse(qb, ql, &q) != 0)
			continue;
		size_t al = 0;
		struct dns_answer_ctx ctx = { .now_ms = t_now_ms() };
		assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &al, &ctx), 0);
		assert_true(al >= 12 && al <= (q.edns ? 1232u : 512u));
		ldns_pkt *p = NULL;
		ldns_status st = ldns_wire2pkt(&p, ab, al);
		if (st != LDNS_STATUS_OK) {
			fprintf(stderr, "iteration %d: %s; query/answer:\n", i, ldns_get_errorstr_by_id(st));
			for (size_t k = 0; k < ql; k++)
				fprintf(stderr, "%02x", qb[k]);
			fprintf(stderr, "\n");
			for (size_t k = 0; k < al; k++)
				fprintf(stderr, "%02x", ab[k]);
			fprintf(stderr, "\n");
		}
		assert_int_equal(st, LDNS_STATUS_OK);
		ldns_pkt_free(p);
		answered++;
	}
	assert_true(answered > 1000);
	dns_zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive_signed),
		cmocka_unit_test(test_negative_signed),
		cmocka_unit_test(test_ecdsa_zone),
		cmocka_unit_test(test_cache_case_and_id),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_denial_rate_limit),
		cmocka_unit_test(test_denial_share_per_prefix),
		cmocka_unit_test(test_denial_refresh),
		cmocka_unit_test(test_flood_keeps_cached_answers),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
