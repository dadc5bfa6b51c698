/*
 * test_validate.c - the stub's DNSSEC validation against tampered answers.
 *
 * Each test builds a small signed zone with ldns (Ed25519 KSK and ZSK),
 * assembles answer packets as a signpost would send them, tampers with some,
 * and checks the verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "dns/hostkey.h"
#include "dns/validate.h"

#define ZONE "a.example."

struct zone {
	ldns_key *ksk, *zsk;
	ldns_rr *ksk_rr, *zsk_rr;
	ldns_key_list *ksk_list, *zsk_list;
};

static uint32_t now;

static ldns_key *make_key(uint16_t flags, uint32_t inception, uint32_t expiration, ldns_rr **rr)
{
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ED25519, 256);
	assert_non_null(k);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(ZONE));
	ldns_key_set_flags(k, flags);
	ldns_key_set_inception(k, inception);
	ldns_key_set_expiration(k, expiration);
	*rr = ldns_key2rr(k);
	assert_non_null(*rr);
	ldns_rr_set_ttl(*rr, 300);
	ldns_key_set_keytag(k, ldns_calc_keytag(*rr));
	return k;
}

/* A zone whose signatures run from inception to expiration. */
static void zone_init_times(struct zone *z, uint32_t inception, uint32_t expiration)
{
	z->ksk = make_key(257, inception, expiration, &z->ksk_rr);
	z->zsk = make_key(256, inception, expiration, &z->zsk_rr);
	z->ksk_list = ldns_key_list_new();
	z->zsk_list = ldns_key_list_new();
	ldns_key_list_push_key(z->ksk_list, z->ksk);
	ldns_key_list_push_key(z->zsk_list, z->zsk);
}

static void zone_init(struct zone *z)
{
	zone_init_times(z, now - 3600, now + 14 * 86400);
}

static void zone_free(struct zone *z)
{
	/* A key list frees the keys it holds. */
	ldns_key_list_free(z->ksk_list);
	ldns_key_list_free(z->zsk_list);
	ldns_rr_free(z->ksk_rr);
	ldns_rr_free(z->zsk_rr);
}

static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&r, text, 300, NULL, NULL), LDNS_STATUS_OK);
	return r;
}

/* A response packet for (qname, qtype) with rcode. */
static ldns_pkt *response(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype, LDNS_RR_CLASS_IN, 0);
	assert_non_null(p);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, rcode);
	return p;
}

/* Push the RRs of text (one per '|') into section, signed with keys unless NULL. */
static void add_signed(ldns_pkt *p, ldns_pkt_section sec, ldns_key_list *keys, const char *text)
{
	ldns_rr_list *set = ldns_rr_list_new();
	char *copy = strdup(text), *save = NULL;
	for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save))
		ldns_rr_list_push_rr(set, rr(t));
	free(copy);
	if (keys != NULL) {
		ldns_rr_list *sigs = ldns_sign_public(set, keys);
		assert_non_null(sigs);
		for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
			ldns_pkt_push_rr(p, sec, ldns_rr_list_rr(set, i));
		for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
			ldns_pkt_push_rr(p, sec, ldns_rr_list_rr(sigs, i));
		ldns_rr_list_free(sigs);
	} else {
		for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
			ldns_pkt_push_rr(p, sec, ldns_rr_list_rr(set, i));
	}
	ldns_rr_list_free(set);
}

static uint8_t *wire(ldns_pkt *p, size_t *len)
{
	uint8_t *w = NULL;
	assert_int_equal(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

/* The DNSKEY answer: both keys, signed by signer. */
static uint8_t *dnskey_answer(ldns_rr *k1, ldns_rr *k2, ldns_key_list *signer, size_t *len)
{
	ldns_pkt *p = response(ZONE, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr_list_push_rr(set, ldns_rr_clone(k1));
	if (k2)
		ldns_rr_list_push_rr(set, ldns_rr_clone(k2));
	ldns_rr_list *sigs = ldns_sign_public(set, signer);
	for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(set, i));
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(sigs, i));
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(set);
	return wire(p, len);
}

/* The anchor text of a key: its SHA-256 DS, or the DNSKEY itself. */
static struct dns_validate_anchor *anchor_of(ldns_rr *key, bool as_ds)
{
	ldns_rr *a = as_ds ? ldns_key_rr2ds(key, LDNS_SHA256) : ldns_rr_clone(key);
	char *text = ldns_rr2str(a), err[200];
	struct dns_validate_anchor *ta = NULL;
	assert_int_equal(dns_validate_anchor_parse(ZONE, text, &ta, err, sizeof(err)), 0);
	free(text);
	ldns_rr_free(a);
	return ta;
}

/* Validate the zone's DNSKEY set against its own KSK's DS: the key set. */
static struct dns_validate_keys *keys_of(struct zone *z)
{
	size_t len;
	uint8_t *w = dnskey_answer(z->ksk_rr, z->zsk_rr, z->ksk_list, &len);
	struct dns_validate_anchor *ta = anchor_of(z->ksk_rr, true);
	struct dns_validate_keys *ks = NULL;
	struct dns_validate_verdict v;
	assert_int_equal(dns_validate_dnskey(ta, w, len, now, &ks, &v), 0);
	assert_int_equal(v.sec, DNS_V_SECURE);
	assert_non_null(ks);
	free(w);
	dns_validate_anchor_free(ta);
	return ks;
}

static enum dns_validate_security check(struct dns_validate_keys *ks, ldns_pkt *p, struct dns_validate_verdict *v)
{
	size_t len;
	uint8_t *w = wire(p, &len);
	assert_int_equal(dns_validate_answer(ks, w, len, now, v), 0);
	free(w);
	if (getenv("VALIDATE_VERBOSE"))
		print_message("verdict %d: %s\n", v->sec, v->reason);
	return v->sec;
}

static void test_anchor_parse(void **state)
{
	struct dns_validate_anchor *ta = NULL;
	char err[200];
	assert_int_equal(dns_validate_anchor_parse(ZONE, "a.example. IN DS 1234 15 2 "
				"0011223344556677889900112233445566778899001122334455667788990011",
				&ta, err, sizeof(err)), 0);
	assert_int_equal(ldns_rr_list_rr_count(ta->rrs), 1);
	dns_validate_anchor_free(ta);
	assert_int_equal(dns_validate_anchor_parse(ZONE, "garbage here", &ta, err, sizeof(err)), SP_EMALFORMED);
	assert_null(ta);
	assert_int_equal(dns_validate_anchor_parse(ZONE, "b.example. IN DS 1 15 2 00", &ta, err, sizeof(err)),
			 SP_EMALFORMED);
	assert_non_null(strstr(err, "owner"));
	assert_int_equal(dns_validate_anchor_parse(ZONE, "a.example. IN A 192.0.2.1", &ta, err, sizeof(err)),
			 SP_EMALFORMED);
	assert_int_equal(dns_validate_anchor_parse(ZONE, " ; \n", &ta, err, sizeof(err)), SP_EMALFORMED);
}

static void test_dnskey_good(void **state)
{
	struct zone z;
	zone_init(&z);
	size_t len;
	uint8_t *w = dnskey_answer(z.ksk_rr, z.zsk_rr, z.ksk_list, &len);
	for (int as_ds = 0; as_ds < 2; as_ds++) {
		struct dns_validate_anchor *ta = anchor_of(z.ksk_rr, as_ds);
		struct dns_validate_keys *ks = NULL;
		struct dns_validate_verdict v;
		assert_int_equal(dns_validate_dnskey(ta, w, len, now, &ks, &v), 0);
		assert_int_equal(v.sec, DNS_V_SECURE);
		assert_int_equal(ldns_rr_list_rr_count(ks->keys), 2);
		assert_true(ks->ttl > 0 && ks->ttl <= 300);
		dns_validate_keys_free(ks);
		dns_validate_anchor_free(ta);
	}
	free(w);
	zone_free(&z);
}

/* Keys that do not match the anchor, or a set signed only by a key the anchor does not name. */
static void test_dnskey_wrong_key(void **state)
{
	struct zone z, evil;
	zone_init(&z);
	zone_init(&evil);
	struct dns_validate_anchor *ta = anchor_of(z.ksk_rr, true);
	struct dns_validate_keys *ks = NULL;
	struct dns_validate_verdict v;
	size_t len;

	uint8_t *w = dnskey_answer(evil.ksk_rr, evil.zsk_rr, evil.ksk_list, &len);
	assert_int_equal(dns_validate_dnskey(ta, w, len, now, &ks, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_DNSKEY_MISSING);
	assert_null(ks);
	free(w);

	/* The real KSK is in the set, but an attacker's key signed it. */
	w = dnskey_answer(z.ksk_rr, evil.zsk_rr, evil.zsk_list, &len);
	assert_int_equal(dns_validate_dnskey(ta, w, len, now, &ks, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	assert_null(ks);
	free(w);

	/* Signed by the zone's own ZSK only: the anchor names the KSK. */
	w = dnskey_answer(z.ksk_rr, z.zsk_rr, z.zsk_list, &len);
	assert_int_equal(dns_validate_dnskey(ta, w, len, now, &ks, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	free(w);

	/* Not a DNSKEY answer at all. */
	uint8_t junk[12] = { 0 };
	assert_int_equal(dns_validate_dnskey(ta, junk, sizeof(junk), now, &ks, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);

	dns_validate_anchor_free(ta);
	zone_free(&z);
	zone_free(&evil);
}

static void test_dnskey_expired(void **state)
{
	struct zone z;
	zone_init_times(&z, now - 30 * 86400, now - 86400);
	struct dns_validate_anchor *ta = anchor_of(z.ksk_rr, true);
	struct dns_validate_keys *ks = NULL;
	struct dns_validate_verdict v;
	size_t len;
	uint8_t *w = dnskey_answer(z.ksk_rr, z.zsk_rr, z.ksk_list, &len);
	assert_int_equal(dns_validate_dnskey(ta, w, len, now, &ks, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_SIG_EXPIRED);
	free(w);
	dns_validate_anchor_free(ta);
	zone_free(&z);
}

#define AAAA "laptop.a.example. 300 IN AAAA fd12:3456:789a::1"

static void test_answer_good(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_SECURE);
	assert_int_equal(v.ttl, 300);

	/* A CNAME chain inside the zone. */
	p = response("www.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, "www.a.example. 60 IN CNAME laptop.a.example.");
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_SECURE);
	assert_int_equal(v.ttl, 60);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

/*
 * A device's key as a KEY record (flags 512, a host key) at its name: zone
 * data signed by the ZSK, validated like an AAAA; a flipped key byte or a
 * stranger's signature is bogus.
 */
static void test_answer_host_key(void **state)
{
	struct zone z, evil;
	zone_init(&z);
	zone_init(&evil);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	static const char key[] = "laptop.a.example. 300 IN KEY 512 3 15 "
				  "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=";
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_KEY, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, key);
	size_t len;
	uint8_t *w = wire(p, &len);
	assert_int_equal(dns_validate_answer(ks, w, len, now, &v), 0);
	assert_int_equal(v.sec, DNS_V_SECURE);
	assert_int_equal(v.ttl, 300);

	/* The key read from the validated answer is the one published. */
	ldns_pkt *back = NULL;
	assert_int_equal(ldns_wire2pkt(&back, w, len), LDNS_STATUS_OK);
	ldns_rdf *owner = ldns_dname_new_frm_str("laptop.a.example.");
	uint8_t pk[32], want[32];
	size_t got = 0;
	assert_int_equal(sodium_base642bin(want, sizeof(want),
					   "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 44, NULL, &got,
					   NULL, sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(dns_hostkey_find(ldns_pkt_answer(back), owner, pk), 0);
	assert_memory_equal(pk, want, 32);
	ldns_rdf_deep_free(owner);
	ldns_pkt_free(back);

	/* One bit of the key flipped on the wire. */
	uint8_t *at = memmem(w, len, want, sizeof(want));
	assert_non_null(at);
	at[31] ^= 0x01;
	assert_int_equal(dns_validate_answer(ks, w, len, now, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_BOGUS);
	free(w);

	/* A KEY signed by someone else's zone key. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_KEY, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, evil.zsk_list, key);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
	zone_free(&evil);
}

/* Flip one byte of the AAAA's RDATA on the wire. */
static void test_answer_flipped_byte(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, AAAA);
	size_t len;
	uint8_t *w = wire(p, &len);
	static const uint8_t addr[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t *at = memmem(w, len, addr, sizeof(addr));
	assert_non_null(at);
	assert_int_equal(dns_validate_answer(ks, w, len, now, &v), 0);
	assert_int_equal(v.sec, DNS_V_SECURE);
	at[15] ^= 0x01;
	assert_int_equal(dns_validate_answer(ks, w, len, now, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_BOGUS);
	free(w);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

static void test_answer_wrong_key(void **state)
{
	struct zone z, evil;
	zone_init(&z);
	zone_init(&evil);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, evil.zsk_list, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
	zone_free(&evil);
}

/*
 * KeyTrap-style load: 40 RRSIGs with the zone's key tag that fail, then the
 * good one.  Each is a signature check; after DNS_VALIDATE_MAX_SIG_FAILURES
 * failures the answer is bogus without trying the rest.
 */
static void test_answer_sig_failure_budget(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr_list_push_rr(set, rr(AAAA));
	ldns_rr_list *sigs = ldns_sign_public(set, z.zsk_list);
	assert_non_null(sigs);
	assert_int_equal(ldns_rr_list_rr_count(sigs), 1);
	ldns_rr *good = ldns_rr_list_rr(sigs, 0);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(set, 0));
	for (int i = 0; i < 40; i++) {
		ldns_rr *bad = ldns_rr_clone(good);
		ldns_rdf *sig = ldns_rr_rdf(bad, 8);
		ldns_rdf_data(sig)[i % ldns_rdf_size(sig)] ^= (uint8_t)(1 + i / 64);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, bad);
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, good);
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(set);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	assert_int_equal(v.sig_failures, DNS_VALIDATE_MAX_SIG_FAILURES);
	assert_non_null(strstr(v.reason, "failed signature checks"));

	/* A few failures below the budget still let the good signature through. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	set = ldns_rr_list_new();
	ldns_rr_list_push_rr(set, rr(AAAA));
	sigs = ldns_sign_public(set, z.zsk_list);
	good = ldns_rr_list_rr(sigs, 0);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(set, 0));
	for (int i = 0; i < 3; i++) {
		ldns_rr *bad = ldns_rr_clone(good);
		ldns_rdf_data(ldns_rr_rdf(bad, 8))[i] ^= 0x5a;
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, bad);
	}
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, good);
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(set);
	assert_int_equal(check(ks, p, &v), DNS_V_SECURE);
	assert_int_equal(v.sig_failures, 3);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

static void test_answer_expired(void **state)
{
	struct zone z, old;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	/* Same keys, signatures that ran out yesterday. */
	old = z;
	ldns_key_set_inception(z.zsk, now - 30 * 86400);
	ldns_key_set_expiration(z.zsk, now - 86400);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, old.zsk_list, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_SIG_EXPIRED);
	/* And not valid yet. */
	ldns_key_set_inception(z.zsk, now + 86400);
	ldns_key_set_expiration(z.zsk, now + 30 * 86400);
	p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, old.zsk_list, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_SIG_NOT_YET);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

static void test_answer_missing_rrsig(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, NULL, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_RRSIGS_MISSING);

	/* Data outside the zone is never accepted. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, AAAA);
	add_signed(p, LDNS_SECTION_ANSWER, NULL, "evil.example. 300 IN AAAA ::1");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);

	/* An answer that does not hold the asked type is no positive answer. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, z.zsk_list, AAAA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

#define SOA "a.example. 300 IN SOA ns.a.example. hostmaster.a.example. 1 7200 3600 1209600 300"

/* A classic NSEC chain: a.example. -> laptop -> nas -> a.example. */
static void test_nxdomain_nsec(void **state)
{
	struct zone z, evil;
	zone_init(&z);
	zone_init(&evil);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;

	/* foo and *.a.example. both sort between a.example. and laptop. */
	ldns_pkt *p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list, SOA);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "a.example. 300 IN NSEC laptop.a.example. SOA NS DNSKEY RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_SECURE);

	/* A good proof, but an unsigned SOA (its minimum TTL drives negative caching). */
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, NULL, SOA);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "a.example. 300 IN NSEC laptop.a.example. SOA NS DNSKEY RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_RRSIGS_MISSING);

	/* No proof at all. */
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list, SOA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	assert_int_equal(v.ede, DNS_V_EDE_NSEC_MISSING);

	/* A real, signed NSEC that does not cover the name (zzz sorts after nas). */
	p = response("zzz.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "a.example. 300 IN NSEC laptop.a.example. SOA NS DNSKEY RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);

	/* A forged proof: signed by a key the anchor does not vouch for. */
	p = response("nas.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, evil.zsk_list,
		   "laptop.a.example. 300 IN NSEC zz.a.example. AAAA RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);

	/* A forged proof: a real NSEC's next name widened after signing. */
	p = response("nas.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "laptop.a.example. 300 IN NSEC nas.a.example. AAAA RRSIG NSEC");
	size_t len;
	uint8_t *w = wire(p, &len);
	uint8_t *at = memmem(w, len, "\003nas\001a\007example", 15);
	assert_non_null(at);
	at[1] = 'z';	/* next name "zas": now it would cover nas */
	assert_int_equal(dns_validate_answer(ks, w, len, now, &v), 0);
	assert_int_equal(v.sec, DNS_V_BOGUS);
	free(w);

	/* The wildcard exists: NXDOMAIN is a lie. */
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "*.a.example. 300 IN NSEC laptop.a.example. AAAA RRSIG NSEC");
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "a.example. 300 IN NSEC *.a.example. SOA NS DNSKEY RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
	zone_free(&evil);
}

/* RFC 4470 minimally covering NSEC records ("white lies"). */
static void test_nxdomain_white_lies(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list, SOA);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "fon\\255.a.example. 300 IN NSEC \\000.foo.a.example. RRSIG NSEC");
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "\\041\\255.a.example. 300 IN NSEC \\000.*.a.example. RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_SECURE);

	/* Without the wildcard proof the answer is bogus. */
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "fon\\255.a.example. 300 IN NSEC \\000.foo.a.example. RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

/* RFC 9824 compact denial: NOERROR, an NSEC at the name with NXNAME. */
static void test_compact_denial(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	for (int nx = 0; nx < 2; nx++) {
		ldns_pkt *p = response("foo.a.example.", LDNS_RR_TYPE_AAAA,
				       nx ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR);
		add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list, SOA);
		add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
			   "foo.a.example. 300 IN NSEC \\000.foo.a.example. RRSIG NSEC TYPE128");
		assert_int_equal(check(ks, p, &v), DNS_V_SECURE);
		assert_true(v.nxname);
	}
	/* NXDOMAIN with an NSEC that shows the name exists. */
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "laptop.a.example. 300 IN NSEC \\000.laptop.a.example. AAAA RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

static void test_nodata(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("laptop.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list, SOA);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "laptop.a.example. 300 IN NSEC \\000.laptop.a.example. AAAA DNSKEY RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_SECURE);
	assert_false(v.nxname);

	/* The NSEC lists the asked type: the empty answer hides data. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "laptop.a.example. 300 IN NSEC \\000.laptop.a.example. AAAA DNSKEY RRSIG NSEC");
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);

	/* An empty answer with no proof. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_AUTHORITY, z.zsk_list, SOA);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

static void test_wildcard(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	/* Sign the wildcard, then rename it to the expanded name, as a server does. */
	ldns_pkt *p = response("x.w.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr_list_push_rr(set, rr("*.w.a.example. 300 IN TXT \"hi\""));
	ldns_rr_list *sigs = ldns_sign_public(set, z.zsk_list);
	ldns_rr *t = ldns_rr_list_rr(set, 0), *s = ldns_rr_list_rr(sigs, 0);
	ldns_rdf_deep_free(ldns_rr_owner(t));
	ldns_rr_set_owner(t, ldns_dname_new_frm_str("x.w.a.example."));
	ldns_rdf_deep_free(ldns_rr_owner(s));
	ldns_rr_set_owner(s, ldns_dname_new_frm_str("x.w.a.example."));
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, t);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, s);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	ldns_pkt *p2 = ldns_pkt_clone(p);
	/* Without proof that x.w.a.example. does not exist: bogus. */
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	add_signed(p2, LDNS_SECTION_AUTHORITY, z.zsk_list,
		   "*.w.a.example. 300 IN NSEC zz.w.a.example. TXT RRSIG NSEC");
	assert_int_equal(check(ks, p2, &v), DNS_V_SECURE);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

static void test_referral_and_rcode(void **state)
{
	struct zone z;
	zone_init(&z);
	struct dns_validate_keys *ks = keys_of(&z);
	struct dns_validate_verdict v;
	ldns_pkt *p = response("x.sub.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_AUTHORITY, NULL, "sub.a.example. 300 IN NS ns.other.example.");
	assert_int_equal(check(ks, p, &v), DNS_V_INSECURE);
	p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_SERVFAIL);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	p = response("other.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	assert_int_equal(check(ks, p, &v), DNS_V_BOGUS);
	/* An answer of bare RRSIGs has nothing signed in it: never secure. */
	p = response("laptop.a.example.", LDNS_RR_TYPE_RRSIG, LDNS_RCODE_NOERROR);
	add_signed(p, LDNS_SECTION_ANSWER, NULL,
		   "laptop.a.example. 300 IN RRSIG AAAA 15 3 300 20300101000000 20200101000000 "
		   "1234 a.example. AAAA");
	assert_int_equal(check(ks, p, &v), DNS_V_INSECURE);
	dns_validate_keys_free(ks);
	zone_free(&z);
}

int main(void)
{
	now = (uint32_t)time(NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchor_parse),
		cmocka_unit_test(test_dnskey_good),
		cmocka_unit_test(test_dnskey_wrong_key),
		cmocka_unit_test(test_dnskey_expired),
		cmocka_unit_test(test_answer_good),
		cmocka_unit_test(test_answer_host_key),
		cmocka_unit_test(test_answer_flipped_byte),
		cmocka_unit_test(test_answer_wrong_key),
		cmocka_unit_test(test_answer_sig_failure_budget),
		cmocka_unit_test(test_answer_expired),
		cmocka_unit_test(test_answer_missing_rrsig),
		cmocka_unit_test(test_nxdomain_nsec),
		cmocka_unit_test(test_nxdomain_white_lies),
		cmocka_unit_test(test_compact_denial),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_referral_and_rcode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
