/* test_sign.c - key files (format, mode), DNSKEY/DS, RRSIG validity window, CSK. */
#include "dns_testlib.h"

#include <sys/stat.h>
#include <unistd.h>

static char *write_key(ldns_key *k, mode_t mode)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/dns_test_key_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	char *s = ldns_key2str(k);
	assert_true(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	close(fd);
	free(s);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void check_key_file(ldns_signing_algorithm alg)
{
	ldns_rdf *origin = ldns_dname_new_frm_str(T_ORIGIN);
	ldns_key *k = ldns_key_new_frm_algorithm(alg, 256);
	assert_non_null(k);
	ldns_key_set_pubkey_owner(k, ldns_rdf_clone(origin));
	ldns_key_set_flags(k, DNS_KEY_FLAGS_KSK);
	ldns_rr *ref = ldns_key2rr(k);
	struct dns_keyset ks = { 0 };

	char *path = write_key(k, 0644);
	assert_int_equal(dns_keyset_load_file(&ks, origin, path, DNS_KEY_FLAGS_KSK), SP_EKEYPERM);
	assert_int_equal(ks.n, 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(dns_keyset_load_file(&ks, origin, path, DNS_KEY_FLAGS_KSK), 0);
	unlink(path);
	assert_int_equal(ks.n, 1);
	/* Our DNSKEY is ldns's DNSKEY of the same private key: same public key, tag. */
	assert_int_equal(ldns_rr_compare(ks.key[0].dnskey, ref), 0);
	assert_int_equal(ks.key[0].tag, ldns_calc_keytag(ref));
	ldns_rr_list *ds = dns_keyset_ds(&ks);
	assert_int_equal(ldns_rr_list_rr_count(ds), 1);
	assert_true(ldns_rr_compare_ds(ldns_rr_list_rr(ds, 0), ref));
	ldns_rr_list_deep_free(ds);

	/* A lone KSK is a CSK: it signs everything. */
	assert_true(dns_key_signs_dnskey(&ks, 0));
	assert_true(dns_key_signs_zone(&ks, 0));
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr *a = NULL, *b = NULL;
	ldns_rr_new_frm_str(&a, "a.example.test. 300 IN A 192.0.2.2", 0, NULL, NULL);
	ldns_rr_new_frm_str(&b, "A.Example.Test. 300 IN A 192.0.2.1", 0, NULL, NULL);
	ldns_rr_list_push_rr(set, a);
	ldns_rr_list_push_rr(set, b);
	time_t now = time(NULL);
	ldns_rr *sig = NULL;
	assert_int_equal(dns_sign_rrset(&ks.key[0], set, now, &sig), 0);
	assert_int_equal(ldns_rdf2native_time_t(ldns_rr_rrsig_inception(sig)),
			 now - SIG_INCEPTION_BACKDATE);
	assert_int_equal(ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(sig)), now + SIG_LIFETIME);
	ldns_rr_list *sigs = ldns_rr_list_new(), *keys = dns_keyset_dnskeys(&ks);
	ldns_rr_list_push_rr(sigs, sig);
	assert_int_equal(ldns_verify(set, sigs, keys, NULL), LDNS_STATUS_OK);
	/* Tampering breaks it. */
	ldns_rdf_deep_free(ldns_rr_set_rdf(a, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.3"), 0));
	assert_int_not_equal(ldns_verify(set, sigs, keys, NULL), LDNS_STATUS_OK);

	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(set);
	dns_keyset_deinit(&ks);
	ldns_rr_free(ref);
	ldns_key_deep_free(k);
	ldns_rdf_deep_free(origin);
}

static void test_ed25519_file(void **state) { check_key_file(LDNS_SIGN_ED25519); }
static void test_ecdsa_file(void **state) { check_key_file(LDNS_SIGN_ECDSAP256SHA256); }

static void test_bad_files(void **state)
{
	ldns_rdf *origin = ldns_dname_new_frm_str(T_ORIGIN);
	struct dns_keyset ks = { 0 };
	assert_int_equal(dns_keyset_load_text(&ks, origin, "Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\n", 257),
			 SP_EKEYFORMAT);
	assert_int_equal(dns_keyset_load_text(&ks, origin, "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\nPrivateKey: AAAA\n", 257),
			 SP_EKEYFORMAT);
	assert_int_equal(dns_keyset_load_text(&ks, origin, "garbage", 257), SP_EKEYFORMAT);
	assert_int_equal(dns_keyset_load_file(&ks, origin, "/nonexistent/ksk.key", 257), -ENOENT);
	assert_int_equal(ks.n, 0);
	dns_keyset_deinit(&ks);
	ldns_rdf_deep_free(origin);
}

static void test_csk_zone(void **state)
{
	struct dns_keyset ks;
	t_keyset(&ks, LDNS_SIGN_ED25519, true);
	struct dns_zone *z = NULL;
	assert_int_equal(dns_zone_new(&z, T_ORIGIN, &ks), 0);
	assert_int_equal(dns_zone_load_text(z, t_zone_text, time(NULL)), 0);
	ldns_rr_list *keys = t_keys_of(z);
	ldns_pkt *p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(keys);
	dns_zone_free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_file),
		cmocka_unit_test(test_ecdsa_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_csk_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
