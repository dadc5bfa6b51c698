/*
 * test_tsig.c - TSIG against ldns's own implementation: requests signed by
 * ldns verify here, answers signed here verify in ldns, and every error
 * case of RFC 8945 5.2 gives the answer the RFC asks for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/tsig.h"

#define KEYNAME "update.alice.example."
#define SECRET "a2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXMtbG9uZz8="
#define OTHER_SECRET "b3RoZXIta2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXM="

/* A query for alice.example. SOA, signed by ldns with name/secret at ldns's clock. */
static uint8_t *signed_query(const char *name, const char *secret, size_t *len, ldns_rdf **mac)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, "alice.example.", LDNS_RR_TYPE_SOA,
						    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0x1234);
	assert_int_equal(ldns_pkt_tsig_sign(p, name, secret, 300, "hmac-sha256.", NULL),
			 LDNS_STATUS_OK);
	uint8_t *wire = NULL;
	assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	if (mac)
		*mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	ldns_pkt_free(p);
	return wire;
}

/* An answer to the query: same ID, QR set, question copied. */
static size_t make_answer(const uint8_t *q, size_t qlen, const struct dns_tsig_state *st,
			  uint8_t *out, uint16_t rcode)
{
	size_t n = st->present ? st->unsigned_len : qlen;
	memcpy(out, q, n);
	out[2] |= 0x80;
	out[3] = (uint8_t)((out[3] & 0xf0) | rcode);
	out[10] = out[11] = 0;	/* the question's additional (its TSIG) is gone */
	return n;
}

static ldns_rr *answer_tsig(const uint8_t *a, size_t alen, ldns_pkt **pkt)
{
	assert_int_equal(ldns_wire2pkt(pkt, a, alen), LDNS_STATUS_OK);
	ldns_rr *t = ldns_pkt_tsig(*pkt);
	assert_non_null(t);
	return t;
}

static uint16_t rdf16(const ldns_rr *t, size_t i) { return ldns_rdf2native_int16(ldns_rr_rdf(t, i)); }

static struct dns_tsig_key key;

static int setup(void **s)
{
	assert_int_equal(dns_tsig_key_init(&key, "Update.Alice.Example", SECRET), 0);
	return 0;
}

static void test_key_init(void **s)
{
	assert_string_equal(key.name_text, KEYNAME);
	assert_int_equal(key.name_len, strlen(KEYNAME) + 1);
	assert_int_equal(key.secret_len, 35);
	struct dns_tsig_key k;
	assert_int_equal(dns_tsig_key_init(&k, "a..b", SECRET), SP_EKEYFORMAT);
	assert_int_equal(dns_tsig_key_init(&k, "a.b", "!!!not base64"), SP_EKEYFORMAT);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_key_load(void **s)
{
	char path[] = "/tmp/test_tsig_keyXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct dns_tsig_key k;

	/* The exact shape tsig-keygen writes, plus a comment. */
	write_file(path, "# made by a test\nkey \"update.alice.example\" {\n\talgorithm hmac-sha256;\n"
			 "\tsecret \"" SECRET "\";\n};\n", 0600);
	assert_int_equal(dns_tsig_key_load(path, &k), 0);
	assert_string_equal(k.name_text, KEYNAME);
	assert_memory_equal(k.secret, key.secret, key.secret_len);
	dns_tsig_key_wipe(&k);
	assert_int_equal(k.secret_len, 0);

	/* Looser than 0600: refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(dns_tsig_key_load(path, &k), SP_EKEYPERM);

	/* Other algorithm, missing secret, garbage: refused. */
	write_file(path, "key x { algorithm hmac-md5; secret \"" SECRET "\"; };", 0600);
	assert_int_equal(dns_tsig_key_load(path, &k), SP_EKEYFORMAT);
	write_file(path, "key x { algorithm hmac-sha256; };", 0600);
	assert_int_equal(dns_tsig_key_load(path, &k), SP_EKEYFORMAT);
	write_file(path, "key \"x\" { algorithm hmac-sha256; secret \"" SECRET "\"", 0600);
	assert_int_equal(dns_tsig_key_load(path, &k), SP_EKEYFORMAT);
	unlink(path);
	assert_int_equal(dns_tsig_key_load(path, &k), -ENOENT);
}

static void test_unsigned(void **s)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, "alice.example.", LDNS_RR_TYPE_SOA,
						    LDNS_RR_CLASS_IN, 0), LDNS_STATUS_OK);
	uint8_t *wire;
	size_t len;
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	struct dns_tsig_state st;
	assert_int_equal(dns_tsig_verify(wire, len, &key, 1, (uint64_t)time(NULL), &st), 0);
	assert_false(st.present);
	/* Signing an answer to an unsigned request adds nothing. */
	uint8_t out[512];
	size_t n = make_answer(wire, len, &st, out, 0);
	size_t before = n;
	assert_int_equal(dns_tsig_sign(out, &n, sizeof(out), &st, 1), 0);
	assert_int_equal(n, before);
	free(wire);
	ldns_pkt_free(p);
}

static void test_valid_and_answer(void **s)
{
	size_t len;
	ldns_rdf *qmac;
	uint8_t *q = signed_query(KEYNAME, SECRET, &len, &qmac);
	struct dns_tsig_state st;
	uint64_t now = (uint64_t)time(NULL);
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, now, &st), 0);
	assert_true(st.present);
	assert_ptr_equal(st.key, &key);
	assert_int_equal(st.error, 0);

	uint8_t out[1024];
	size_t n = make_answer(q, len, &st, out, 0);
	assert_int_equal(dns_tsig_sign(out, &n, sizeof(out), &st, now), 0);
	ldns_pkt *a;
	ldns_rr *t = answer_tsig(out, n, &a);
	assert_int_equal(rdf16(t, 5), 0);	/* error */
	assert_true(ldns_pkt_tsig_verify(a, out, n, KEYNAME, SECRET, qmac));
	/* The answer does not verify against another request's MAC. */
	size_t len2;
	ldns_rdf *qmac2;
	uint8_t *q2 = signed_query(KEYNAME, SECRET, &len2, &qmac2);
	ldns_rdf_data(qmac2)[2] ^= 1;
	assert_false(ldns_pkt_tsig_verify(a, out, n, KEYNAME, SECRET, qmac2));
	/* Too small a buffer: SP_ETRUNC and nothing written. */
	size_t m = make_answer(q, len, &st, out, 0), before = m;
	assert_int_equal(dns_tsig_sign(out, &m, m + 20, &st, now), SP_ETRUNC);
	assert_int_equal(m, before);
	ldns_pkt_free(a);
	ldns_rdf_deep_free(qmac);
	ldns_rdf_deep_free(qmac2);
	free(q);
	free(q2);
}

static void test_badsig(void **s)
{
	size_t len;
	uint8_t *q = signed_query(KEYNAME, OTHER_SECRET, &len, NULL);
	struct dns_tsig_state st;
	uint64_t now = (uint64_t)time(NULL);
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, now, &st), SP_EAUTH);
	assert_int_equal(st.error, DNS_TSIG_BADSIG);
	assert_null(st.key);

	/* The answer is NOTAUTH with an unsigned TSIG RR carrying BADSIG. */
	uint8_t out[1024];
	size_t n = make_answer(q, len, &st, out, DNS_RCODE_NOTAUTH);
	assert_int_equal(dns_tsig_sign(out, &n, sizeof(out), &st, now), 0);
	ldns_pkt *a;
	ldns_rr *t = answer_tsig(out, n, &a);
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOTAUTH);
	assert_int_equal(rdf16(t, 5), DNS_TSIG_BADSIG);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(t, 3)), 2);	/* MAC size 0, no MAC */
	ldns_pkt_free(a);

	/* A tampered byte in a well-signed request is BADSIG too. */
	free(q);
	q = signed_query(KEYNAME, SECRET, &len, NULL);
	q[13] ^= 0x20;	/* case of the first letter of the question name */
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, now, &st), SP_EAUTH);
	assert_int_equal(st.error, DNS_TSIG_BADSIG);
	free(q);
}

static void test_badkey(void **s)
{
	size_t len;
	uint8_t *q = signed_query("someone.else.", SECRET, &len, NULL);
	struct dns_tsig_state st;
	uint64_t now = (uint64_t)time(NULL);
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, now, &st), SP_EAUTH);
	assert_int_equal(st.error, DNS_TSIG_BADKEY);
	uint8_t out[1024];
	size_t n = make_answer(q, len, &st, out, DNS_RCODE_NOTAUTH);
	assert_int_equal(dns_tsig_sign(out, &n, sizeof(out), &st, now), 0);
	ldns_pkt *a;
	ldns_rr *t = answer_tsig(out, n, &a);
	assert_int_equal(rdf16(t, 5), DNS_TSIG_BADKEY);
	assert_int_equal(ldns_rdf_size(ldns_rr_rdf(t, 3)), 2);
	char *owner = ldns_rdf2str(ldns_rr_owner(t));
	assert_string_equal(owner, "someone.else.");
	free(owner);
	ldns_pkt_free(a);
	free(q);

	/* No keys at all: BADKEY as well. */
	q = signed_query(KEYNAME, SECRET, &len, NULL);
	assert_int_equal(dns_tsig_verify(q, len, NULL, 0, now, &st), SP_EAUTH);
	assert_int_equal(st.error, DNS_TSIG_BADKEY);
	free(q);
}

static void test_badtime(void **s)
{
	size_t len;
	ldns_rdf *qmac;
	uint8_t *q = signed_query(KEYNAME, SECRET, &len, &qmac);
	struct dns_tsig_state st;
	uint64_t client = (uint64_t)time(NULL);
	/* Within the fudge: fine; past it: BADTIME (after the MAC verified). */
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, client + 290, &st), 0);
	uint64_t now = client + 3600;
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, now, &st), SP_EAUTH);
	assert_int_equal(st.error, DNS_TSIG_BADTIME);
	assert_ptr_equal(st.key, &key);

	uint8_t out[1024];
	size_t n = make_answer(q, len, &st, out, DNS_RCODE_NOTAUTH);
	assert_int_equal(dns_tsig_sign(out, &n, sizeof(out), &st, now), 0);
	ldns_pkt *a;
	ldns_rr *t = answer_tsig(out, n, &a);
	assert_int_equal(rdf16(t, 5), DNS_TSIG_BADTIME);
	/* Signed with the request's key (ldns does not check the time). */
	assert_true(ldns_pkt_tsig_verify(a, out, n, KEYNAME, SECRET, qmac));
	/* Time Signed is the client's time, Other Data is ours (48 bits). */
	const uint8_t *ts = ldns_rdf_data(ldns_rr_rdf(t, 1));
	uint64_t tsv = (uint64_t)ts[0] << 40 | (uint64_t)ts[1] << 32 | (uint64_t)ts[2] << 24 |
		       (uint64_t)ts[3] << 16 | (uint64_t)ts[4] << 8 | ts[5];
	assert_int_equal(tsv, st.time_signed);
	const ldns_rdf *other = ldns_rr_rdf(t, 6);
	assert_int_equal(ldns_rdf_size(other), 8);	/* length + 6 bytes */
	const uint8_t *od = ldns_rdf_data(other) + 2;
	uint64_t odv = (uint64_t)od[0] << 40 | (uint64_t)od[1] << 32 | (uint64_t)od[2] << 24 |
		       (uint64_t)od[3] << 16 | (uint64_t)od[4] << 8 | od[5];
	assert_int_equal(odv, now);
	ldns_pkt_free(a);
	ldns_rdf_deep_free(qmac);
	free(q);
}

static void test_malformed(void **s)
{
	size_t len;
	uint8_t *q = signed_query(KEYNAME, SECRET, &len, NULL);
	struct dns_tsig_state st;
	uint64_t now = (uint64_t)time(NULL);
	/* Truncated anywhere: malformed, never a crash. */
	for (size_t cut = 0; cut < len; cut++) {
		int r = dns_tsig_verify(q, cut, &key, 1, now, &st);
		assert_true(r == SP_EMALFORMED || r == 0);
	}
	/* A TSIG RR that is not the last one: FORMERR. */
	uint8_t *two = malloc(len + 100);
	size_t rrlen = len - 12 - (size_t)(strlen("alice.example.") + 1 + 4);
	memcpy(two, q, len);
	memcpy(two + len, q + len - rrlen, rrlen);
	two[11] = 2;
	assert_int_equal(dns_tsig_verify(two, len + rrlen, &key, 1, now, &st), SP_EMALFORMED);
	free(two);
	free(q);
}

static void test_request_and_reply(void **s)
{
	/* Our client side (NOTIFY) against our server side, and ldns. */
	uint8_t msg[512] = { 0xab, 0xcd, 0x20, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t n = 12;
	const uint8_t qname[] = "\x05" "alice" "\x07" "example" "\x00" "\x00\x06\x00\x01";
	memcpy(msg + n, qname, sizeof(qname) - 1);
	n += sizeof(qname) - 1;
	struct dns_tsig_state cst, sst;
	uint64_t now = (uint64_t)time(NULL);
	assert_int_equal(dns_tsig_sign_request(msg, &n, sizeof(msg), &key, now, &cst), 0);
	ldns_pkt *p;
	assert_int_equal(ldns_wire2pkt(&p, msg, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(p, msg, n, KEYNAME, SECRET, NULL));
	ldns_pkt_free(p);
	assert_int_equal(dns_tsig_verify(msg, n, &key, 1, now, &sst), 0);

	uint8_t out[512];
	size_t m = make_answer(msg, n, &sst, out, 0);
	assert_int_equal(dns_tsig_sign(out, &m, sizeof(out), &sst, now), 0);
	assert_int_equal(dns_tsig_verify_reply(out, m, &cst, now), 0);
	assert_int_equal(dns_tsig_verify_reply(out, m, &cst, now + 1000), SP_EEXPIRED);
	out[13] ^= 0x20;
	assert_int_equal(dns_tsig_verify_reply(out, m, &cst, now), SP_EAUTH);
}

static void test_multi_message(void **s)
{
	/* Three answers of a transfer, chained as RFC 8945 5.3.1 says; ldns checks. */
	size_t len;
	ldns_rdf *qmac;
	uint8_t *q = signed_query(KEYNAME, SECRET, &len, &qmac);
	struct dns_tsig_state st;
	uint64_t now = (uint64_t)time(NULL);
	assert_int_equal(dns_tsig_verify(q, len, &key, 1, now, &st), 0);
	ldns_rdf *prev = ldns_rdf_clone(qmac);
	for (int i = 0; i < 3; i++) {
		uint8_t out[1024];
		size_t n = make_answer(q, len, &st, out, 0);
		assert_int_equal(dns_tsig_sign(out, &n, sizeof(out), &st, now), 0);
		ldns_pkt *a;
		ldns_rr *t = answer_tsig(out, n, &a);
		assert_true(ldns_pkt_tsig_verify_next(a, out, n, KEYNAME, SECRET, prev, i > 0));
		ldns_rdf_deep_free(prev);
		prev = ldns_rdf_clone(ldns_rr_rdf(t, 3));
		ldns_pkt_free(a);
	}
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(qmac);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_init),
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_valid_and_answer),
		cmocka_unit_test(test_badsig),
		cmocka_unit_test(test_badkey),
		cmocka_unit_test(test_badtime),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_request_and_reply),
		cmocka_unit_test(test_multi_message),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
