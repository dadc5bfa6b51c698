/*
 * test_zone_svc.c - the zone service (zone_svc.h) over the authoritative
 * plane's running zone: lookup, add and delete through the changeset path
 * (signed, one serial bump each, the zone's listener called), refusals
 * leaving the zone alone; every record of a type (the signpost's list of
 * devices by their KEY records).  The plane's own wiring (provided at start,
 * SP_EV_ZONE_CHANGED) is exercised by test_reload.sh.
 */
#include "dns_testlib.h"

#include "dns/plane.h"
#include "dns/zone_svc.h"

static int changes;
static uint32_t last_serial;

static void on_change(void *arg, uint32_t o, uint32_t n)
{
	(void)arg;
	(void)o;
	changes++;
	last_serial = n;
}

static ldns_rr *rr_of(const char *s)
{
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, s, 3600, NULL, NULL), LDNS_STATUS_OK);
	return rr;
}

static ldns_rdf *name_of(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	assert_non_null(d);
	return d;
}

static void test_lookup_add_del(void **state)
{
	(void)state;
	struct dns_auth p;
	memset(&p, 0, sizeof(p));
	p.zone = t_zone(LDNS_SIGN_ED25519, time(NULL));
	dns_zone_set_listener(p.zone, on_change, NULL);
	dns__zone_svc_init(&p);
	const struct dns_zone_svc *zs = &p.svc;
	changes = 0;

	assert_int_equal(ldns_dname_compare(dns_zone_svc_origin(zs), dns_zone_origin(p.zone)), 0);
	uint32_t s0 = dns_zone_svc_serial(zs);
	assert_int_equal(s0, dns_zone_serial(p.zone));

	/* A device's AAAA and KEY, as enrollment will publish them. */
	ldns_rdf *laptop = name_of("laptop.example.test.");
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_AAAA, NULL), SP_ENOTFOUND);
	uint32_t s1 = 0;
	assert_int_equal(dns_zone_svc_add(zs, rr_of("laptop.example.test. 300 IN AAAA fd00::7"), &s1),
			 0);
	assert_true(s1 != s0);
	assert_int_equal(dns_zone_svc_serial(zs), s1);
	assert_int_equal(changes, 1);
	assert_int_equal(last_serial, s1);
	uint32_t s2 = 0;
	assert_int_equal(dns_zone_svc_add(zs, rr_of("laptop.example.test. 300 IN KEY 512 3 15 "
						    "P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs="),
					  &s2),
			 0);
	assert_int_equal(changes, 2);
	ldns_rr_list *got = NULL;
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_ANY, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 2);
	ldns_rr_list_deep_free(got);

	/* The answer path sees it, signed: the service is the zone, not a copy. */
	ldns_rr_list *keys = t_keys_of(p.zone);
	ldns_pkt *a = t_ask(p.zone, "laptop.example.test.", LDNS_RR_TYPE_AAAA, 1232, true, false,
			    t_now_ms(), NULL);
	assert_int_equal(ldns_pkt_ancount(a), 2);
	assert_int_equal(t_verify_section(ldns_pkt_answer(a), keys), 1);
	ldns_pkt_free(a);
	ldns_rr_list_deep_free(keys);

	/* Adding what is there changes nothing: no serial bump, no listener call. */
	uint32_t s3 = 0;
	assert_int_equal(dns_zone_svc_add(zs, rr_of("laptop.example.test. 300 IN AAAA fd00::7"), &s3),
			 0);
	assert_int_equal(dns_zone_svc_serial(zs), s2);
	assert_int_equal(changes, 2);

	/* Refused as by `signpost zone add` (a name outside the zone): nothing changes. */
	uint32_t s4 = 0;
	assert_int_not_equal(dns_zone_svc_add(zs, rr_of("x.other.test. 300 IN A 192.0.2.1"), &s4), 0);
	assert_int_equal(dns_zone_svc_serial(zs), s2);
	assert_int_equal(changes, 2);

	/* Delete one RRset, then the rest of the name. */
	assert_int_equal(dns_zone_svc_del(zs, laptop, LDNS_RR_TYPE_AAAA, NULL), 0);
	assert_int_equal(changes, 3);
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_AAAA, NULL), SP_ENOTFOUND);
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_KEY, NULL), 0);
	uint32_t s5 = 0;
	assert_int_equal(dns_zone_svc_del(zs, laptop, LDNS_RR_TYPE_ANY, &s5), 0);
	assert_int_equal(changes, 4);
	assert_int_equal(last_serial, s5);
	assert_false(dns_zone_name_exists(p.zone, laptop));

	ldns_rdf_deep_free(laptop);
	dns_zone_free(p.zone);
}

/* The owner of l's i-th RR as text, for comparisons (static buffer). */
static const char *owner_at(const ldns_rr_list *l, size_t i)
{
	static char buf[256];
	char *s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(l, i)));
	assert_non_null(s);
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

static void test_each_type(void **state)
{
	(void)state;
	struct dns_auth p;
	memset(&p, 0, sizeof(p));
	p.zone = t_zone(LDNS_SIGN_ED25519, time(NULL));
	dns__zone_svc_init(&p);
	const struct dns_zone_svc *zs = &p.svc;

	/* No KEY yet (the fixture's device key is a DNSKEY); ANY is not a type here. */
	ldns_rr_list *got = (ldns_rr_list *)&got;
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, &got), SP_ENOTFOUND);
	assert_null(got);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, NULL), SP_ENOTFOUND);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_ANY, NULL), SP_ENOTFOUND);

	/* Two devices added in reverse order come back in canonical order, with their data. */
	static const char *keys[] = {
		"phone.example.test. 300 IN KEY 512 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
		"laptop.example.test. 300 IN KEY 512 3 15 P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs=",
	};
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(dns_zone_svc_add(zs, rr_of(keys[i]), NULL), 0);
	assert_int_equal(dns_zone_svc_add(zs, rr_of("laptop.example.test. 300 IN AAAA fd00::7"), NULL),
			 0);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, NULL), 0);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 2);
	assert_string_equal(owner_at(got, 0), "laptop.example.test.");
	assert_string_equal(owner_at(got, 1), "phone.example.test.");
	for (size_t i = 0; i < 2; i++) {
		ldns_rr *want = rr_of(keys[1 - i]);
		assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(got, i), want), 0);
		assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(got, i)), LDNS_RR_TYPE_KEY);
		ldns_rr_free(want);
	}
	/* A deep copy: changing and freeing it leaves the zone as it was. */
	ldns_rr_set_ttl(ldns_rr_list_rr(got, 0), 1);
	ldns_rr_list_deep_free(got);
	ldns_rdf *laptop = name_of("laptop.example.test.");
	ldns_rr_list *one = NULL;
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_KEY, &one), 0);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(one, 0)), 300);
	ldns_rr_list_deep_free(one);

	/* Every name, the apex included: the zone's own DNSKEYs and the fixture's device DNSKEY. */
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_DNSKEY, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 3);
	assert_string_equal(owner_at(got, 0), "example.test.");
	assert_string_equal(owner_at(got, 2), "nas.example.test.");
	ldns_rr_list_deep_free(got);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_TXT, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 1);
	assert_string_equal(owner_at(got, 0), "x.deep.example.test.");
	ldns_rr_list_deep_free(got);
	/* Unsigned data only: no RRSIG or NSEC, although the zone is signed. */
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_RRSIG, NULL), SP_ENOTFOUND);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_NSEC, NULL), SP_ENOTFOUND);

	/* A device removed is gone from the list; the last one removed leaves none. */
	assert_int_equal(dns_zone_svc_del(zs, laptop, LDNS_RR_TYPE_ANY, NULL), 0);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, &got), 0);
	assert_int_equal(ldns_rr_list_rr_count(got), 1);
	assert_string_equal(owner_at(got, 0), "phone.example.test.");
	ldns_rr_list_deep_free(got);
	ldns_rdf *phone = name_of("phone.example.test.");
	assert_int_equal(dns_zone_svc_del(zs, phone, LDNS_RR_TYPE_KEY, NULL), 0);
	assert_int_equal(dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, &got), SP_ENOTFOUND);
	assert_null(got);

	ldns_rdf_deep_free(phone);
	ldns_rdf_deep_free(laptop);
	dns_zone_free(p.zone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_add_del),
		cmocka_unit_test(test_each_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
