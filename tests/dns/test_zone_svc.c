/*
 * test_zone_svc.c - the zone service (zone_svc.h) over the authoritative
 * plane's running zone: lookup, add and delete through the changeset path
 * (signed, one serial bump each, the zone's listener called), refusals
 * leaving the zone alone.  The plane's own wiring (provided at start,
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_add_del),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
