/*
 * gen_validate_corpus.c - writes the seed corpus of fuzz_dns_validate.
 *
 * Not a test: build by hand and run once, then commit the files:
 *   cc -I src tests/dns/gen_validate_corpus.c $(pkg-config --cflags --libs ldns) -o gen
 *   ./gen tests/fuzz/corpus/dns_validate
 * Uses the fuzz target's fixed key, so the good answers really validate;
 * tampered, truncated and malformed variants follow each one.
 */
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char key_text[] =
	"Private-key-format: v1.2\n"
	"Algorithm: 15 (ED25519)\n"
	"PrivateKey: c2lnbnBvc3QtZnV6ei1zZWVkLWZvci1kbnMtdmFsaWQ=\n";

static const char *dir;
static ldns_key_list *keys;
static ldns_rr *dnskey;

static void put(const char *name, uint8_t mode, const uint8_t *w, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(&mode, 1, 1, f);
	fwrite(w, 1, len, f);
	fclose(f);
}

/* Write pkt, then truncated and bit-flipped copies of it. */
static void put_variants(const char *name, uint8_t mode, ldns_pkt *p)
{
	uint8_t *w = NULL;
	size_t len = 0;
	char n[256];
	if (ldns_pkt2wire(&w, p, &len) != LDNS_STATUS_OK)
		exit(1);
	put(name, mode, w, len);
	size_t cuts[] = { 12, len / 3, len / 2, len - 40, len - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (cuts[i] >= len)
			continue;
		snprintf(n, sizeof(n), "%s-cut%zu", name, cuts[i]);
		put(n, mode, w, cuts[i]);
	}
	size_t flips[] = { 5, 7, len / 2, len - 20, len - 2 };
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		if (flips[i] >= len)
			continue;
		w[flips[i]] ^= 0x10;
		snprintf(n, sizeof(n), "%s-flip%zu", name, flips[i]);
		put(n, mode, w, len);
		w[flips[i]] ^= 0x10;
	}
	free(w);
	ldns_pkt_free(p);
}

static ldns_pkt *response(const char *qname, ldns_rr_type t, ldns_pkt_rcode rcode)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), t, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, rcode);
	return p;
}

/* Add the RRs of text ('|'-separated), signed unless sign is false. */
static void add(ldns_pkt *p, ldns_pkt_section s, bool sign, const char *text)
{
	ldns_rr_list *set = ldns_rr_list_new();
	char *copy = strdup(text), *save = NULL;
	for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, t, 300, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "bad rr %s\n", t);
			exit(1);
		}
		ldns_rr_list_push_rr(set, rr);
	}
	free(copy);
	ldns_rr_list *sigs = sign ? ldns_sign_public(set, keys) : ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_list_rr(set, i));
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		ldns_pkt_push_rr(p, s, ldns_rr_list_rr(sigs, i));
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
}

#define SOA "a.example. 300 IN SOA ns.a.example. host.a.example. 1 7200 3600 1209600 300"

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	dir = argv[1];
	FILE *f = fmemopen((void *)key_text, sizeof(key_text) - 1, "r");
	ldns_key *k = NULL;
	if (f == NULL || ldns_key_new_frm_fp(&k, f) != LDNS_STATUS_OK)
		return 1;
	fclose(f);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("a.example."));
	ldns_key_set_flags(k, 257);
	ldns_key_set_inception(k, 1700000000u);
	ldns_key_set_expiration(k, 1900000000u);
	dnskey = ldns_key2rr(k);
	ldns_rr_set_ttl(dnskey, 300);
	ldns_key_set_keytag(k, ldns_calc_keytag(dnskey));
	keys = ldns_key_list_new();
	ldns_key_list_push_key(keys, k);
	char *ktext = ldns_rr2str(dnskey);
	ktext[strcspn(ktext, ";\n")] = '\0';

	ldns_pkt *p = response("a.example.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_ANSWER, true, ktext);
	put_variants("dnskey-good", 0, p);
	p = response("a.example.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_ANSWER, false, ktext);
	put_variants("dnskey-nosig", 0, p);
	p = response("a.example.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_SERVFAIL);
	put_variants("dnskey-servfail", 0, p);

	p = response("laptop.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_ANSWER, true, "laptop.a.example. 300 IN AAAA fd00::1");
	put_variants("aaaa-good", 1, p);
	p = response("laptop.a.example.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_ANSWER, true,
	    "laptop.a.example. 300 IN DNSKEY 0 3 15 "
	    "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=");
	put_variants("device-key", 1, p);
	p = response("www.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_ANSWER, true, "www.a.example. 300 IN CNAME laptop.a.example.");
	add(p, LDNS_SECTION_ANSWER, true, "laptop.a.example. 300 IN AAAA fd00::1");
	put_variants("cname", 1, p);
	p = response("www.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_ANSWER, true, "www.a.example. 300 IN CNAME www.a.example.");
	put_variants("cname-loop", 1, p);
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add(p, LDNS_SECTION_AUTHORITY, true, SOA);
	add(p, LDNS_SECTION_AUTHORITY, true,
	    "a.example. 300 IN NSEC laptop.a.example. SOA NS DNSKEY RRSIG NSEC");
	put_variants("nxdomain-nsec", 1, p);
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN);
	add(p, LDNS_SECTION_AUTHORITY, true, SOA);
	add(p, LDNS_SECTION_AUTHORITY, true,
	    "fon\\255.a.example. 300 IN NSEC \\000.foo.a.example. RRSIG NSEC");
	add(p, LDNS_SECTION_AUTHORITY, true,
	    "\\041\\255.a.example. 300 IN NSEC \\000.*.a.example. RRSIG NSEC");
	put_variants("nxdomain-white-lies", 1, p);
	p = response("foo.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_AUTHORITY, true, SOA);
	add(p, LDNS_SECTION_AUTHORITY, true,
	    "foo.a.example. 300 IN NSEC \\000.foo.a.example. RRSIG NSEC TYPE128");
	put_variants("compact-nxname", 1, p);
	p = response("laptop.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_AUTHORITY, true, SOA);
	add(p, LDNS_SECTION_AUTHORITY, true,
	    "laptop.a.example. 300 IN NSEC \\000.laptop.a.example. AAAA DNSKEY RRSIG NSEC");
	put_variants("nodata", 1, p);
	p = response("x.sub.a.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR);
	add(p, LDNS_SECTION_AUTHORITY, false, "sub.a.example. 300 IN NS ns.b.example.");
	put_variants("referral", 1, p);

	/* Hand-made malformed packets. */
	static const uint8_t empty[1] = { 0 };
	put("empty", 1, empty, 0);
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x84, 0x00 };
	put("header-only", 1, hdr, sizeof(hdr));
	static const uint8_t manyq[12] = { 0x12, 0x34, 0x84, 0x00, 0xff, 0xff, 0xff, 0xff };
	put("counts-huge", 1, manyq, sizeof(manyq));
	static const uint8_t loop[] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					0xc0, 0x0c, 0, 28, 0, 1 };
	put("compression-loop", 1, loop, sizeof(loop));
	put("compression-loop-dnskey", 0, loop, sizeof(loop));
	static const uint8_t badlabel[] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					    0x50, 'a', 0, 0, 28, 0, 1 };
	put("bad-label", 1, badlabel, sizeof(badlabel));
	uint8_t junk[200];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	put("junk", 1, junk, sizeof(junk));
	put("junk-dnskey", 0, junk, sizeof(junk));

	free(ktext);
	ldns_rr_free(dnskey);
	ldns_key_list_free(keys);
	return 0;
}
