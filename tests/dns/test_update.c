/*
 * test_update.c - RFC 2136 UPDATE with TSIG: requests built and signed by
 * ldns (as nsupdate would send them), answers checked with ldns, and the
 * zone checked through the engine's lookup.
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
#include <ldns/ldns.h>

#include "dns/update.h"
#include "dns/zone.h"

#define KEYNAME "update.alice.example."
#define SECRET "a2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXMtbG9uZz8="
#define WRONG_SECRET "b3RoZXIta2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXM="

static const char zone_text[] =
	"$ORIGIN alice.example.\n$TTL 3600\n"
	"@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ IN NS ns1\n"
	"ns1 IN A 192.0.2.1\n"
	"laptop IN AAAA fd00::1\n"
	"laptop IN AAAA fd00::2\n"
	"nas IN TXT \"hello\"\n";

struct fx {
	struct dns_zone *z;
	struct dns_tsig_key key;
	time_t now;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dns_keyset ks;
	memset(&ks, 0, sizeof(ks));
	f->now = time(NULL);
	assert_int_equal(dns_zone_new(&f->z, "alice.example.", &ks), 0);
	assert_int_equal(dns_zone_load_text(f->z, zone_text, f->now), 0);
	assert_int_equal(dns_tsig_key_init(&f->key, KEYNAME, SECRET), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dns_zone_free(f->z);
	dns_tsig_key_wipe(&f->key);
	free(f);
	return 0;
}

/* An RR from text; "owner ttl class type" without RDATA too (ldns wants RDATA). */
static ldns_rr *rr(const char *text)
{
	ldns_rr *r = NULL;
	if (ldns_rr_new_frm_str(&r, text, 0, NULL, NULL) == LDNS_STATUS_OK)
		return r;
	char owner[256], cls[16], type[16];
	unsigned ttl;
	assert_int_equal(sscanf(text, "%255s %u %15s %15s", owner, &ttl, cls, type), 4);
	r = ldns_rr_new();
	ldns_rr_set_owner(r, ldns_dname_new_frm_str(owner));
	ldns_rr_set_ttl(r, ttl);
	ldns_rr_set_class(r, ldns_get_rr_class_by_name(cls));
	ldns_rr_set_type(r, ldns_get_rr_type_by_name(type));
	return r;
}

/* Build an UPDATE: prereqs and updates as ldns RR texts (NULL-terminated). */
static uint8_t *build(const char *zone, const char *const *pre, const char *const *up,
		      const char *keyname, const char *secret, size_t *len, ldns_rdf **mac)
{
	ldns_rdf *zname = ldns_dname_new_frm_str(zone);
	/* Built by hand: ldns_update_pkt_new() leaks the lists it replaces. */
	ldns_pkt *p = ldns_pkt_query_new(zname, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	if (p)
		ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	for (; p && pre && *pre; pre++)
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr(*pre));
	for (; p && up && *up; up++)
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr(*up));
	assert_non_null(p);
	ldns_pkt_set_id(p, 4242);
	if (keyname)
		assert_int_equal(ldns_pkt_tsig_sign(p, keyname, secret, 300, "hmac-sha256.", NULL),
				 LDNS_STATUS_OK);
	uint8_t *wire;
	assert_int_equal(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	if (mac)
		*mac = keyname ? ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3)) : NULL;
	ldns_pkt_free(p);
	return wire;
}

/* Send one request; returns the answer's RCODE, fills *tsig_error (or -1 if no TSIG). */
static int run(struct fx *f, uint8_t *req, size_t len, uint64_t now, bool *changed,
	       int *tsig_error, ldns_rdf *mac)
{
	uint8_t out[4096];
	size_t olen = 0;
	bool ch = false;
	int err = dns_update_handle(f->z, req, len, NULL, &f->key, now, out, sizeof(out), &olen,
				    &ch);
	assert_int_equal(err, 0);
	assert_true(olen >= 12);
	ldns_pkt *a = NULL;
	assert_int_equal(ldns_wire2pkt(&a, out, olen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(a), 4242);
	assert_true(ldns_pkt_qr(a));
	assert_int_equal(ldns_pkt_get_opcode(a), LDNS_PACKET_UPDATE);
	int rcode = ldns_pkt_get_rcode(a);
	ldns_rr *t = ldns_pkt_tsig(a);
	if (tsig_error)
		*tsig_error = t ? ldns_rdf2native_int16(ldns_rr_rdf(t, 5)) : -1;
	if (mac != NULL && t != NULL && ldns_rdf_size(ldns_rr_rdf(t, 3)) > 2)
		assert_true(ldns_pkt_tsig_verify(a, out, olen, KEYNAME, SECRET, mac));
	ldns_pkt_free(a);
	if (changed)
		*changed = ch;
	free(req);
	return rcode;
}

/* Signed request with the right key, at the right time. */
static int update(struct fx *f, const char *const *pre, const char *const *up, bool *changed)
{
	size_t len;
	ldns_rdf *mac;
	uint8_t *req = build("alice.example.", pre, up, KEYNAME, SECRET, &len, &mac);
	int te;
	int rc = run(f, req, len, (uint64_t)time(NULL), changed, &te, mac);
	assert_int_equal(te, 0);	/* every answer to a good request is signed, error 0 */
	ldns_rdf_deep_free(mac);
	return rc;
}

static int count(struct fx *f, const char *owner, ldns_rr_type type)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	ldns_rr_list *l = NULL;
	int n = dns_zone_lookup(f->z, o, type, &l) == 0 ? (int)ldns_rr_list_rr_count(l) : 0;
	ldns_rr_list_deep_free(l);
	ldns_rdf_deep_free(o);
	return n;
}

static void test_add_delete(void **state)
{
	struct fx *f = *state;
	bool ch;
	uint32_t s0 = dns_zone_serial(f->z);
	const char *add[] = { "phone.alice.example. 300 IN AAAA fd00::3", NULL };
	assert_int_equal(update(f, NULL, add, &ch), LDNS_RCODE_NOERROR);
	assert_true(ch);
	assert_int_equal(count(f, "phone.alice.example.", LDNS_RR_TYPE_AAAA), 1);
	uint32_t s1 = dns_zone_serial(f->z);
	assert_true((int32_t)(s1 - s0) > 0);

	/* Adding it again changes nothing: no serial bump, changed false. */
	assert_int_equal(update(f, NULL, add, &ch), LDNS_RCODE_NOERROR);
	assert_false(ch);
	assert_int_equal(dns_zone_serial(f->z), s1);

	/* Delete one RR (class NONE), then a whole RRset (class ANY), then a name. */
	const char *del1[] = { "laptop.alice.example. 0 NONE AAAA fd00::1", NULL };
	assert_int_equal(update(f, NULL, del1, &ch), LDNS_RCODE_NOERROR);
	assert_true(ch);
	assert_int_equal(count(f, "laptop.alice.example.", LDNS_RR_TYPE_AAAA), 1);
	const char *delset[] = { "laptop.alice.example. 0 ANY AAAA", NULL };
	assert_int_equal(update(f, NULL, delset, &ch), LDNS_RCODE_NOERROR);
	assert_int_equal(count(f, "laptop.alice.example.", LDNS_RR_TYPE_AAAA), 0);
	const char *delname[] = { "phone.alice.example. 0 ANY ANY", NULL };
	assert_int_equal(update(f, NULL, delname, &ch), LDNS_RCODE_NOERROR);
	assert_int_equal(count(f, "phone.alice.example.", LDNS_RR_TYPE_ANY), 0);

	/* Several changes in one request are one commit: one serial bump. */
	uint32_t before = dns_zone_serial(f->z);
	const char *two[] = { "a.alice.example. 300 IN A 192.0.2.10",
			      "b.alice.example. 300 IN A 192.0.2.11", NULL };
	assert_int_equal(update(f, NULL, two, &ch), LDNS_RCODE_NOERROR);
	assert_int_equal(count(f, "a.alice.example.", LDNS_RR_TYPE_A), 1);
	assert_int_equal(count(f, "b.alice.example.", LDNS_RR_TYPE_A), 1);
	uint32_t after = dns_zone_serial(f->z);
	assert_true((int32_t)(after - before) > 0);

	/* A device DNSKEY (flags 0, below the apex) is allowed. */
	const char *dk[] = { "nas.alice.example. 300 IN DNSKEY 0 3 15 "
			     "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", NULL };
	assert_int_equal(update(f, NULL, dk, &ch), LDNS_RCODE_NOERROR);
	assert_int_equal(count(f, "nas.alice.example.", LDNS_RR_TYPE_DNSKEY), 1);
}

static void test_prereqs(void **state)
{
	struct fx *f = *state;
	bool ch;
	const char *add[] = { "x.alice.example. 300 IN A 192.0.2.99", NULL };

	/* Name in use (ANY ANY): nas exists, nobody does not. */
	const char *inuse[] = { "nas.alice.example. 0 ANY ANY", NULL };
	assert_int_equal(update(f, inuse, add, &ch), LDNS_RCODE_NOERROR);
	const char *inuse2[] = { "nobody.alice.example. 0 ANY ANY", NULL };
	assert_int_equal(update(f, inuse2, add, &ch), LDNS_RCODE_NXDOMAIN);
	/* Name not in use (NONE ANY). */
	const char *notinuse[] = { "nas.alice.example. 0 NONE ANY", NULL };
	assert_int_equal(update(f, notinuse, add, &ch), LDNS_RCODE_YXDOMAIN);
	/* RRset exists / does not exist (value-independent). */
	const char *exists[] = { "nas.alice.example. 0 ANY A", NULL };
	assert_int_equal(update(f, exists, add, &ch), LDNS_RCODE_NXRRSET);
	const char *notexists[] = { "nas.alice.example. 0 NONE TXT", NULL };
	assert_int_equal(update(f, notexists, add, &ch), LDNS_RCODE_YXRRSET);
	/* Value-dependent: the whole RRset must match, TTL ignored. */
	const char *val_ok[] = { "laptop.alice.example. 0 IN AAAA fd00::2",
				 "laptop.alice.example. 0 IN AAAA fd00::1", NULL };
	const char *add2[] = { "y.alice.example. 300 IN A 192.0.2.98", NULL };
	assert_int_equal(update(f, val_ok, add2, &ch), LDNS_RCODE_NOERROR);
	assert_true(ch);
	const char *val_part[] = { "laptop.alice.example. 0 IN AAAA fd00::2", NULL };
	assert_int_equal(update(f, val_part, add, &ch), LDNS_RCODE_NXRRSET);
	/* A failed prerequisite changes nothing. */
	assert_false(ch);
	/* TTL must be 0 in a prerequisite. */
	const char *badttl[] = { "nas.alice.example. 5 ANY ANY", NULL };
	assert_int_equal(update(f, badttl, add, &ch), LDNS_RCODE_FORMERR);
	/* Outside the zone. */
	const char *outside[] = { "bob.example. 0 ANY ANY", NULL };
	assert_int_equal(update(f, outside, add, &ch), LDNS_RCODE_NOTZONE);
}

static void test_policy(void **state)
{
	struct fx *f = *state;
	bool ch;
	uint32_t s0 = dns_zone_serial(f->z);
	const char *const refused[] = {
		"alice.example. 300 IN SOA ns1.alice.example. h.alice.example. 99 1 1 1 1",
		"alice.example. 300 IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
		"alice.example. 0 ANY ANY",
		"nas.alice.example. 300 IN NSEC zzz.alice.example. A RRSIG NSEC",
		"nas.alice.example. 0 ANY RRSIG",
		"alice.example. 300 IN CDS 1 15 2 "
		"0000000000000000000000000000000000000000000000000000000000000000",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *up[] = { "ok.alice.example. 300 IN A 192.0.2.7", refused[i], NULL };
		assert_int_equal(update(f, NULL, up, &ch), LDNS_RCODE_REFUSED);
		assert_false(ch);
	}
	/* All or nothing: the good first RR was not applied either. */
	assert_int_equal(count(f, "ok.alice.example.", LDNS_RR_TYPE_A), 0);
	assert_int_equal(dns_zone_serial(f->z), s0);

	const char *outside[] = { "www.bob.example. 300 IN A 192.0.2.1", NULL };
	assert_int_equal(update(f, NULL, outside, &ch), LDNS_RCODE_NOTZONE);
	size_t len;
	/* Another zone in the zone section: NOTAUTH (signed, TSIG error 0). */
	const char *add[] = { "www.bob.example. 300 IN A 192.0.2.1", NULL };
	ldns_rdf *mac;
	uint8_t *req = build("bob.example.", NULL, add, KEYNAME, SECRET, &len, &mac);
	int te;
	assert_int_equal(run(f, req, len, (uint64_t)time(NULL), &ch, &te, mac), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 0);
	ldns_rdf_deep_free(mac);
}

static void test_tsig_errors(void **state)
{
	struct fx *f = *state;
	const char *add[] = { "evil.alice.example. 300 IN A 192.0.2.66", NULL };
	size_t len;
	bool ch;
	int te;
	uint64_t now = (uint64_t)time(NULL);

	/* Unsigned: REFUSED, no TSIG in the answer. */
	uint8_t *req = build("alice.example.", NULL, add, NULL, NULL, &len, NULL);
	assert_int_equal(run(f, req, len, now, &ch, &te, NULL), LDNS_RCODE_REFUSED);
	assert_int_equal(te, -1);
	/* Wrong secret: NOTAUTH + BADSIG. */
	req = build("alice.example.", NULL, add, KEYNAME, WRONG_SECRET, &len, NULL);
	assert_int_equal(run(f, req, len, now, &ch, &te, NULL), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 16);
	/* Unknown key: NOTAUTH + BADKEY. */
	req = build("alice.example.", NULL, add, "other.key.", SECRET, &len, NULL);
	assert_int_equal(run(f, req, len, now, &ch, &te, NULL), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 17);
	/* Stale: NOTAUTH + BADTIME, and the answer is signed (checked in run). */
	ldns_rdf *mac;
	req = build("alice.example.", NULL, add, KEYNAME, SECRET, &len, &mac);
	assert_int_equal(run(f, req, len, now + 3600, &ch, &te, mac), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 18);
	ldns_rdf_deep_free(mac);
	assert_int_equal(count(f, "evil.alice.example.", LDNS_RR_TYPE_A), 0);

	/* No key configured: every UPDATE is refused (BADKEY for a signed one). */
	uint8_t out[1024];
	size_t olen;
	req = build("alice.example.", NULL, add, KEYNAME, SECRET, &len, NULL);
	assert_int_equal(dns_update_handle(f->z, req, len, NULL, NULL, now, out, sizeof(out), &olen,
					   &ch), 0);
	assert_int_equal(out[3] & 0x0f, LDNS_RCODE_NOTAUTH);
	assert_false(ch);
	free(req);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	const char *add[] = { "t.alice.example. 300 IN A 192.0.2.5", NULL };
	size_t len;
	uint8_t *req = build("alice.example.", NULL, add, KEYNAME, SECRET, &len, NULL);
	uint8_t out[1024];
	size_t olen;
	bool ch;
	uint64_t now = (uint64_t)time(NULL);
	/* Every truncation: no crash, no change, never an answer to an answer. */
	for (size_t cut = 0; cut < len; cut++) {
		(void)dns_update_handle(f->z, req, cut, NULL, &f->key, now, out, sizeof(out), &olen,
					&ch);
		assert_false(ch);
	}
	/*
	 * Every single-bit flip: no crash, and no change unless the flip is one
	 * the MAC does not cover by design: the ID (the MAC covers Original ID)
	 * and the case of the TSIG RR's names (compared in canonical form).
	 */
	size_t tsig_at = len - (strlen(KEYNAME) + 1 + 10 + 13 + 10 + 32 + 6);
	for (size_t i = 0; i < len * 8; i++) {
		size_t byte = i / 8;
		uint8_t bit = (uint8_t)(1 << (i % 8));
		req[byte] ^= bit;
		(void)dns_update_handle(f->z, req, len, NULL, &f->key, now, out, sizeof(out), &olen,
					&ch);
		req[byte] ^= bit;
		if (ch)
			assert_true(byte < 2 || (byte >= tsig_at && bit == 0x20));
	}
	req[2] |= 0x80;	/* QR: never answered */
	assert_int_equal(dns_update_handle(f->z, req, len, NULL, &f->key, now, out, sizeof(out),
					   &olen, &ch), SP_EMALFORMED);
	assert_int_equal(olen, 0);
	free(req);
}

/* A signed UPDATE sent again inside its time window is refused and changes nothing. */
static void test_replay(void **state)
{
	struct fx *f = *state;
	static struct dns_tsig_replay ring;
	const char *add[] = { "replay.alice.example. 300 IN A 192.0.2.77", NULL };
	const char *del[] = { "replay.alice.example. 0 ANY A", NULL };
	size_t len, dlen;
	bool ch;
	int te;
	ldns_rdf *mac, *dmac;
	uint64_t now = (uint64_t)time(NULL);

	memset(&ring, 0, sizeof(ring));
	f->key.replay = &ring;
	uint8_t *req = build("alice.example.", NULL, add, KEYNAME, SECRET, &len, &mac);
	uint8_t *again = malloc(len);
	assert_non_null(again);
	memcpy(again, req, len);
	assert_int_equal(run(f, req, len, now, &ch, &te, mac), LDNS_RCODE_NOERROR);
	assert_true(ch);
	assert_int_equal(count(f, "replay.alice.example.", LDNS_RR_TYPE_A), 1);
	req = build("alice.example.", NULL, del, KEYNAME, SECRET, &dlen, &dmac);
	assert_int_equal(run(f, req, dlen, now, &ch, &te, dmac), LDNS_RCODE_NOERROR);
	assert_int_equal(count(f, "replay.alice.example.", LDNS_RR_TYPE_A), 0);
	uint32_t serial = dns_zone_serial(f->z);
	/* The captured "add" again, a minute later: NOTAUTH + BADTIME, signed, no change. */
	assert_int_equal(run(f, again, len, now + 60, &ch, &te, mac), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 18);
	assert_false(ch);
	assert_int_equal(count(f, "replay.alice.example.", LDNS_RR_TYPE_A), 0);
	assert_int_equal(dns_zone_serial(f->z), serial);
	/* Without a ring (fuzzing, tools) nothing is remembered. */
	f->key.replay = NULL;
	ldns_rdf_deep_free(mac);
	ldns_rdf_deep_free(dmac);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prereqs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsig_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
