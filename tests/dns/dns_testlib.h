/*
 * dns_testlib.h - shared helpers of the DNS engine's unit tests: a signed
 * test zone with fresh Ed25519 keys made by ldns, queries built by ldns and
 * answers checked with ldns.  Header-only (static inline), test code only.
 */
#ifndef DNS_TESTLIB_H
#define DNS_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/answer.h"
#include "dns/dnskey.h"
#include "dns/query.h"
#include "dns/sign.h"
#include "dns/zone.h"

#define T_ORIGIN "example.test."

static const char t_zone_text[] =
	"$ORIGIN example.test.\n"
	"$TTL 3600\n"
	"@ IN SOA ns1.example.test. hostmaster.example.test. 2024010101 3600 900 604800 300\n"
	"@ IN NS ns1.example.test.\n"
	"ns1 IN A 192.0.2.1\n"
	"ns1 IN AAAA 2001:db8::1\n"
	"nas IN AAAA fd00:1234:5678::1\n"
	"nas IN DNSKEY 0 3 15 P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs=\n"
	"www IN CNAME nas.example.test.\n"
	"x.deep IN TXT \"below an empty non-terminal\"\n";

/* Text of a new private key file as ldns_key2str writes it (alg 15 or 13). */
static inline char *t_keygen_text(ldns_signing_algorithm alg)
{
	ldns_key *k = ldns_key_new_frm_algorithm(alg, alg == LDNS_SIGN_ED25519 ? 256 : 256);
	assert_non_null(k);
	char *s = ldns_key2str(k);
	assert_non_null(s);
	ldns_key_deep_free(k);
	return s;
}

static inline void t_keyset(struct dns_keyset *ks, ldns_signing_algorithm alg, bool csk)
{
	ldns_rdf *origin = ldns_dname_new_frm_str(T_ORIGIN);
	memset(ks, 0, sizeof(*ks));
	char *ksk = t_keygen_text(alg);
	assert_int_equal(dns_keyset_load_text(ks, origin, ksk, DNS_KEY_FLAGS_KSK), 0);
	free(ksk);
	if (!csk) {
		char *zsk = t_keygen_text(alg);
		assert_int_equal(dns_keyset_load_text(ks, origin, zsk, DNS_KEY_FLAGS_ZSK), 0);
		free(zsk);
	}
	ldns_rdf_deep_free(origin);
}

static inline struct dns_zone *t_zone(ldns_signing_algorithm alg, time_t now)
{
	struct dns_keyset ks;
	t_keyset(&ks, alg, false);
	struct dns_zone *z = NULL;
	assert_int_equal(dns_zone_new(&z, T_ORIGIN, &ks), 0);
	assert_int_equal(dns_zone_load_text(z, t_zone_text, now), 0);
	return z;
}

/* Wire query for name/type; payload 0 = no EDNS. */
static inline size_t t_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
			     ldns_rr_type type, uint16_t payload, bool dobit, bool co)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, id);
	if (payload) {
		ldns_pkt_set_edns_udp_size(p, payload);
		ldns_pkt_set_edns_do(p, dobit);
		/* ldns only writes an OPT when it thinks EDNS is "used". */
		ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, NULL));
	}
	uint8_t *w = NULL;
	size_t wl = 0;
	assert_int_equal(ldns_pkt2wire(&w, p, &wl), LDNS_STATUS_OK);
	assert_true(wl <= cap);
	memcpy(buf, w, wl);
	if (payload && co)
		buf[wl - 11 + 7] |= 0x40;	/* CO: the OPT is last, its flags at TTL bytes 3-4 */
	free(w);
	ldns_pkt_free(p);
	return wl;
}

/* Query the zone through the hot path and parse the answer with ldns. */
static inline ldns_pkt *t_ask(struct dns_zone *z, const char *name, ldns_rr_type type,
			      uint16_t payload, bool dobit, bool co, uint64_t now_ms, size_t *alen)
{
	uint8_t qb[512], ab[65535];
	size_t ql = t_query(qb, sizeof(qb), 0x1234, name, type, payload, dobit, co);
	struct dns_query q;
	assert_int_equal(dns_query_parse(qb, ql, &q), 0);
	size_t al = 0;
	struct dns_answer_ctx ctx = { .now_ms = now_ms, .tcp = false };
	assert_int_equal(dns_answer(z, &q, ab, sizeof(ab), &al, &ctx), 0);
	if (alen)
		*alen = al;
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, ab, al), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), 0x1234);
	assert_true(ldns_pkt_qr(p));
	return p;
}

static inline ldns_rr_list *t_keys_of(struct dns_zone *z)
{
	return dns_keyset_dnskeys(dns_zone_keys(z));
}

/* Verify every RRset of a section with its RRSIGs; returns the number of RRsets verified. */
static inline int t_verify_section(ldns_rr_list *sec, ldns_rr_list *keys)
{
	int verified = 0;
	ldns_rr_list *sigs = ldns_rr_list_new(), *data = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);
		ldns_rr_list_push_rr(ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG ? sigs : data, rr);
	}
	while (ldns_rr_list_rr_count(data) > 0) {
		ldns_rr_list *set = ldns_rr_list_pop_rrset(data);
		ldns_rr *first = ldns_rr_list_rr(set, 0);
		ldns_rr_list *cov = ldns_rr_list_new();
		for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
			ldns_rr *s = ldns_rr_list_rr(sigs, i);
			if (ldns_dname_compare(ldns_rr_owner(s), ldns_rr_owner(first)) == 0 &&
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(s)) == ldns_rr_get_type(first))
				ldns_rr_list_push_rr(cov, s);
		}
		assert_true(ldns_rr_list_rr_count(cov) > 0);
		ldns_status st = ldns_verify(set, cov, keys, NULL);
		if (st != LDNS_STATUS_OK)
			fprintf(stderr, "verify failed: %s\n", ldns_get_errorstr_by_id(st));
		assert_int_equal(st, LDNS_STATUS_OK);
		verified++;
		ldns_rr_list_free(cov);
		ldns_rr_list_free(set);
	}
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(data);
	return verified;
}

static inline uint64_t t_now_ms(void)
{
	return (uint64_t)time(NULL) * 1000;
}

#endif
