/* test_zone.c - changesets, serials, cache invalidation, journal/IXFR, AXFR validity. */
#include "dns_testlib.h"

#include <sys/wait.h>
#include <unistd.h>

static ldns_rr *rr_of(const char *s)
{
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, s, 3600, NULL, NULL), LDNS_STATUS_OK);
	return rr;
}

static int notified;
static uint32_t notified_old, notified_new;

static void on_change(void *arg, uint32_t o, uint32_t n)
{
	(void)arg;
	notified++;
	notified_old = o;
	notified_new = n;
}

static bool list_has(ldns_rr_list *l, const char *s)
{
	ldns_rr *want = rr_of(s);
	bool found = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++)
		found = ldns_rr_compare(ldns_rr_list_rr(l, i), want) == 0;
	ldns_rr_free(want);
	return found;
}

static size_t count_type(ldns_rr_list *l, ldns_rr_type t)
{
	size_t c = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		c += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t;
	return c;
}

static void test_apply_serial_cache_journal(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	dns_zone_set_listener(z, on_change, NULL);
	notified = 0;
	uint32_t s0 = dns_zone_serial(z);
	assert_int_equal(s0, 2024010101u);

	/* The name is missing and that answer gets cached. */
	ldns_pkt *p = t_ask(z, "laptop.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false,
			    t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);

	struct dns_changeset *cs = dns_changeset_new();
	assert_int_equal(dns_changeset_add(cs, rr_of("laptop.example.test. 300 IN AAAA fd00::7")), 0);
	assert_int_equal(dns_changeset_add(cs, rr_of("laptop.example.test. 300 IN DNSKEY 0 3 15 "
						      "P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs=")), 0);
	uint32_t s1 = 0;
	assert_int_equal(dns_zone_apply(z, cs, now, &s1), 0);
	dns_changeset_free(cs);
	/* Unixtime is ahead of 2024010101 in serial arithmetic?  Either way it moved forward once. */
	assert_true(s1 == (uint32_t)now || s1 == s0 + 1);
	assert_int_equal(dns_zone_serial(z), s1);
	assert_int_equal(notified, 1);
	assert_int_equal(notified_old, s0);
	assert_int_equal(notified_new, s1);

	/* The cached negative answer is gone: the new record is served, signed. */
	ldns_rr_list *keys = t_keys_of(z);
	p = t_ask(z, "laptop.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);
	p = t_ask(z, "example.test.", LDNS_RR_TYPE_SOA, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 2)), s1);
	assert_int_equal(t_verify_section(ldns_pkt_answer(p), keys), 1);
	ldns_pkt_free(p);

	/* Lookup for UPDATE prerequisites. */
	ldns_rdf *owner = ldns_dname_new_frm_str("laptop.example.test.");
	ldns_rr_list *got = NULL;
	assert_int_equal(dns_zone_lookup(z, owner, LDNS_RR_TYPE_ANY, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 2);
	ldns_rr_list_deep_free(got);
	assert_int_equal(dns_zone_lookup(z, owner, LDNS_RR_TYPE_TXT, NULL), SP_ENOTFOUND);

	/* IXFR from s0: SOA(s1), SOA(s0), removed..., SOA(s1), added..., SOA(s1). */
	ldns_rr_list *ix = NULL;
	assert_int_equal(dns_zone_ixfr(z, s0, &ix), 0);
	size_t n = ldns_rr_list_rr_count(ix);
	assert_true(n > 6);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ix, 0)), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ix, 1), 2)), s0);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(ix, n - 1), 2)), s1);
	assert_true(list_has(ix, "laptop.example.test. 300 IN AAAA fd00::7"));
	/* The NSEC chain changed around the new name, with signatures. */
	assert_true(count_type(ix, LDNS_RR_TYPE_NSEC) >= 2);
	assert_true(count_type(ix, LDNS_RR_TYPE_RRSIG) >= 4);
	ldns_rr_list_deep_free(ix);
	assert_int_equal(dns_zone_ixfr(z, s0 - 5, &ix), SP_ENOTFOUND);
	assert_int_equal(dns_zone_ixfr(z, s1, &ix), 0);
	assert_int_equal(ldns_rr_list_rr_count(ix), 1);
	ldns_rr_list_deep_free(ix);

	/* An effectless changeset leaves the serial alone. */
	cs = dns_changeset_new();
	assert_int_equal(dns_changeset_add(cs, rr_of("laptop.example.test. 300 IN AAAA fd00::7")), 0);
	assert_int_equal(dns_changeset_del_rrset(cs, ldns_dname_new_frm_str("none.example.test."),
						 LDNS_RR_TYPE_ANY), 0);
	uint32_t s2 = 0;
	assert_int_equal(dns_zone_apply(z, cs, now, &s2), 0);
	assert_int_equal(s2, s1);
	assert_int_equal(notified, 1);
	dns_changeset_free(cs);

	/* Deleting one exact RR ignores its TTL and the owner's case. */
	cs = dns_changeset_new();
	assert_int_equal(dns_changeset_add(cs, rr_of("laptop.example.test. 300 IN AAAA fd00::8")), 0);
	assert_int_equal(dns_changeset_del_rr(cs, rr_of("LapTop.example.test. 1 IN AAAA fd00::7")), 0);
	assert_int_equal(dns_zone_apply(z, cs, now, &s2), 0);
	dns_changeset_free(cs);
	assert_int_equal(dns_zone_lookup(z, owner, LDNS_RR_TYPE_AAAA, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 1);
	assert_true(list_has(got, "laptop.example.test. 300 IN AAAA fd00::8"));
	ldns_rr_list_deep_free(got);
	s1 = s2;

	/* Deleting the name; apex SOA/NS deletions are ignored. */
	cs = dns_changeset_new();
	assert_int_equal(dns_changeset_del_rrset(cs, ldns_rdf_clone(owner), LDNS_RR_TYPE_ANY), 0);
	assert_int_equal(dns_changeset_del_rrset(cs, ldns_dname_new_frm_str("example.test."),
						 LDNS_RR_TYPE_ANY), 0);
	assert_int_equal(dns_zone_apply(z, cs, now, &s2), 0);
	dns_changeset_free(cs);
	assert_true(s2 == s1 + 1);
	assert_false(dns_zone_name_exists(z, owner));
	ldns_rdf *apex = ldns_dname_new_frm_str("example.test.");
	assert_int_equal(dns_zone_lookup(z, apex, LDNS_RR_TYPE_NS, NULL), 0);
	assert_int_equal(dns_zone_lookup(z, apex, LDNS_RR_TYPE_SOA, NULL), 0);
	assert_int_equal(dns_zone_lookup(z, apex, LDNS_RR_TYPE_DNSKEY, NULL), 0);
	/* IXFR from s0 spans all three entries: 1 + 2 * 3 + 1 SOAs. */
	assert_int_equal(dns_zone_ixfr(z, s0, &ix), 0);
	assert_int_equal(count_type(ix, LDNS_RR_TYPE_SOA), 8);
	ldns_rr_list_deep_free(ix);

	ldns_rdf_deep_free(apex);
	ldns_rdf_deep_free(owner);
	ldns_rr_list_deep_free(keys);
	dns_zone_free(z);
}

static void test_apply_atomic_and_refused(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	uint32_t s0 = dns_zone_serial(z);
	const char *bad[] = {
		"other.test. 300 IN A 192.0.2.9",				/* outside */
		"a.example.test. 300 IN NSEC b.example.test. A",		/* ours */
		"example.test. 300 IN DNSKEY 257 3 15 P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs=",
		"nas.example.test. 300 IN CNAME www.example.test.",		/* CNAME + data */
		"www.example.test. 300 IN A 192.0.2.3",				/* data at a CNAME */
		"sub.example.test. 300 IN NS ns.elsewhere.test.",		/* delegation */
		"example.test. 300 IN DS 1 15 2 0011223344556677889900112233445566778899001122334455667788990011",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dns_changeset *cs = dns_changeset_new();
		assert_int_equal(dns_changeset_add(cs, rr_of("fine.example.test. 300 IN A 192.0.2.8")), 0);
		assert_int_equal(dns_changeset_add(cs, rr_of(bad[i])), 0);
		assert_int_equal(dns_zone_apply(z, cs, now, NULL), SP_EPROTO);
		dns_changeset_free(cs);
		/* Nothing of the changeset stuck. */
		ldns_rdf *fine = ldns_dname_new_frm_str("fine.example.test.");
		assert_false(dns_zone_name_exists(z, fine));
		ldns_rdf_deep_free(fine);
		assert_int_equal(dns_zone_serial(z), s0);
	}
	dns_zone_free(z);
}

/* Write the AXFR output to a file and let ldns-verify-zone judge it. */
static void check_axfr_verifies(ldns_signing_algorithm alg)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(alg, now);
	struct dns_changeset *cs = dns_changeset_new();
	for (int i = 0; i < 50; i++) {
		char line[128];
		snprintf(line, sizeof(line), "dev%d.example.test. 300 IN AAAA fd00::%x", i, i + 1);
		assert_int_equal(dns_changeset_add(cs, rr_of(line)), 0);
	}
	assert_int_equal(dns_zone_apply(z, cs, now, NULL), 0);
	dns_changeset_free(cs);

	ldns_rr_list *ax = NULL;
	assert_int_equal(dns_zone_axfr(z, &ax), 0);
	size_t n = ldns_rr_list_rr_count(ax);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ax, 0)), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ax, n - 1)), LDNS_RR_TYPE_SOA);
	/* 5 names from the file + 50 devices: one NSEC each (none at the empty non-terminal). */
	assert_int_equal(count_type(ax, LDNS_RR_TYPE_NSEC), 55);

	char path[] = "/tmp/dns_test_axfr_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i + 1 < n; i++)
		ldns_rr_print(f, ldns_rr_list_rr(ax, i));
	fclose(f);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ldns-verify-zone %s >/dev/null 2>&1", path);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "ldns-verify-zone %s", path);
		assert_int_equal(system(cmd), 0);
	}
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	unlink(path);
	ldns_rr_list_deep_free(ax);
	dns_zone_free(z);
}

static void test_axfr_verifies(void **state) { check_axfr_verifies(LDNS_SIGN_ED25519); }
static void test_axfr_verifies_ecdsa(void **state) { check_axfr_verifies(LDNS_SIGN_ECDSAP256SHA256); }

static bool rr_same(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_rr_compare(a, b) == 0 && ldns_rr_ttl(a) == ldns_rr_ttl(b);
}

/* Body of an AXFR (without the closing SOA) as a sorted list of clones. */
static ldns_rr_list *axfr_set(struct dns_zone *z)
{
	ldns_rr_list *ax = NULL;
	assert_int_equal(dns_zone_axfr(z, &ax), 0);
	ldns_rr_free(ldns_rr_list_pop_rr(ax));
	ldns_rr_list_sort(ax);
	return ax;
}

static void remove_rr(ldns_rr_list *l, const ldns_rr *rr)
{
	size_t n = ldns_rr_list_rr_count(l);
	for (size_t i = 0; i < n; i++)
		if (rr_same(ldns_rr_list_rr(l, i), rr)) {
			ldns_rr_free(ldns_rr_list_rr(l, i));
			ldns_rr_list_set_rr(l, ldns_rr_list_rr(l, n - 1), i);
			ldns_rr_list_set_rr_count(l, n - 1);
			return;
		}
	fail_msg("IXFR removes an RR the old zone does not have");
}

/* A secondary that applies our IXFR to our old AXFR gets exactly our new AXFR. */
static void test_ixfr_replays_to_axfr(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	uint32_t s0 = dns_zone_serial(z);
	ldns_rr_list *zone = axfr_set(z);
	const char *adds[] = { "a.example.test. 300 IN AAAA fd00::a", "b.example.test. 300 IN AAAA fd00::b",
			       "nas.example.test. 300 IN AAAA fd00::c", "zz.example.test. 60 IN TXT hi" };
	for (size_t i = 0; i < 4; i++) {
		struct dns_changeset *cs = dns_changeset_new();
		assert_int_equal(dns_changeset_add(cs, rr_of(adds[i])), 0);
		if (i == 3)
			assert_int_equal(dns_changeset_del_rrset(cs, ldns_dname_new_frm_str("a.example.test."), 0), 0);
		assert_int_equal(dns_zone_apply(z, cs, now + (time_t)i, NULL), 0);
		dns_changeset_free(cs);
	}
	ldns_rr_list *ix = NULL;
	assert_int_equal(dns_zone_ixfr(z, s0, &ix), 0);
	size_t n = ldns_rr_list_rr_count(ix);
	bool adding = true;
	for (size_t i = 1; i + 1 < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(ix, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			adding = !adding;
		if (adding)
			ldns_rr_list_push_rr(zone, ldns_rr_clone(rr));
		else
			remove_rr(zone, rr);
	}
	ldns_rr_list_sort(zone);
	ldns_rr_list *want = axfr_set(z);
	assert_int_equal(ldns_rr_list_rr_count(zone), ldns_rr_list_rr_count(want));
	for (size_t i = 0; i < ldns_rr_list_rr_count(want); i++)
		assert_true(rr_same(ldns_rr_list_rr(zone, i), ldns_rr_list_rr(want, i)));
	ldns_rr_list_deep_free(want);
	ldns_rr_list_deep_free(zone);
	ldns_rr_list_deep_free(ix);
	dns_zone_free(z);
}

/* The journal keeps only the newest entries; IXFR from before them is refused. */
static void test_journal_bound(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	dns_zone_set_journal_limit(z, 60);
	uint32_t serials[8];
	for (int i = 0; i < 8; i++) {
		serials[i] = dns_zone_serial(z);
		char line[96];
		snprintf(line, sizeof(line), "j%d.example.test. 300 IN AAAA fd00::%x", i, i + 1);
		struct dns_changeset *cs = dns_changeset_new();
		assert_int_equal(dns_changeset_add(cs, rr_of(line)), 0);
		assert_int_equal(dns_zone_apply(z, cs, now, NULL), 0);
		dns_changeset_free(cs);
	}
	ldns_rr_list *ix = NULL;
	assert_int_equal(dns_zone_ixfr(z, serials[0], &ix), SP_ENOTFOUND);
	assert_int_equal(dns_zone_ixfr(z, serials[7], &ix), 0);
	ldns_rr_list_deep_free(ix);
	dns_zone_free(z);
}

static void test_maintain_refresh(void **state)
{
	time_t now = time(NULL);
	struct dns_zone *z = t_zone(LDNS_SIGN_ED25519, now);
	notified = 0;
	dns_zone_set_listener(z, on_change, NULL);
	/* Nothing to do while the signatures are young. */
	assert_int_equal(dns_zone_maintain(z, now + 3600), 0);
	assert_int_equal(notified, 0);
	uint32_t s0 = dns_zone_serial(z);
	/* Eight days on, less than SIG_REFRESH remains: everything is re-signed. */
	time_t later = now + 8 * 24 * 3600;
	int n = dns_zone_maintain(z, later);
	assert_true(n > 10);
	assert_int_equal(notified, 1);
	assert_true(dns_zone_serial(z) != s0);
	ldns_rr_list *ax = NULL;
	assert_int_equal(dns_zone_axfr(z, &ax), 0);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ax); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ax, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			assert_true(ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(rr)) >
				    later + SIG_REFRESH);
	}
	ldns_rr_list_deep_free(ax);
	dns_zone_free(z);
}

static void test_load_errors(void **state)
{
	struct dns_zone *z = NULL;
	assert_int_equal(dns_zone_new(&z, T_ORIGIN, NULL), 0);
	/* No SOA. */
	assert_int_not_equal(dns_zone_load_text(z, "$ORIGIN example.test.\n@ 300 IN NS ns1\n", 0), 0);
	/* Name outside the zone. */
	assert_int_not_equal(dns_zone_load_text(z, "$ORIGIN example.test.\n"
				"@ 300 IN SOA ns1 h 1 2 3 4 5\n@ 300 IN NS ns1\nfoo.other. 300 IN A 1.2.3.4\n", 0), 0);
	/* Unsigned zone (no keys) still answers. */
	assert_int_equal(dns_zone_load_text(z, t_zone_text, time(NULL)), 0);
	ldns_pkt *p = t_ask(z, "nas.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false, t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* Changes and the journal work without keys too (no NSEC, no RRSIG). */
	uint32_t s0 = dns_zone_serial(z);
	struct dns_changeset *cs = dns_changeset_new();
	assert_int_equal(dns_changeset_add(cs, rr_of("u.example.test. 300 IN A 192.0.2.7")), 0);
	assert_int_equal(dns_zone_apply(z, cs, time(NULL), NULL), 0);
	dns_changeset_free(cs);
	ldns_rr_list *ix = NULL;
	assert_int_equal(dns_zone_ixfr(z, s0, &ix), 0);
	assert_int_equal(ldns_rr_list_rr_count(ix), 5);	/* SOA, old SOA, new SOA, A, SOA */
	ldns_rr_list_deep_free(ix);
	char *text = dns_zone_to_text(z);
	assert_non_null(strstr(text, "fd00:1234:5678::1"));
	free(text);
	dns_zone_free(z);
	dns_zone_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_serial_cache_journal),
		cmocka_unit_test(test_apply_atomic_and_refused),
		cmocka_unit_test(test_axfr_verifies),
		cmocka_unit_test(test_axfr_verifies_ecdsa),
		cmocka_unit_test(test_ixfr_replays_to_axfr),
		cmocka_unit_test(test_journal_bound),
		cmocka_unit_test(test_maintain_refresh),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
