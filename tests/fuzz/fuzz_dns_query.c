/*
 * fuzz_dns_query.c - arbitrary bytes as a query against a small fixed,
 * signed zone: dns_query_parse() then dns_answer() over UDP and TCP, and the
 * error path.  The response must fit the buffer and parse back as a header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/query.h"
#include "dns/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed Ed25519 key (test only) so that runs are reproducible. */
static const char fuzz_key[] = "Private-key-format: v1.2\nAlgorithm: 15 (ED25519)\n"
			       "PrivateKey: Q1FvNS0cxHtNIIZ+K2wrAUZaPIDJ2srPpXb1qML7byU=\n";
static const char fuzz_zone_text[] =
	"$ORIGIN example.test.\n$TTL 3600\n"
	"@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n"
	"@ IN NS ns1\nns1 IN A 192.0.2.1\nns1 IN AAAA 2001:db8::1\n"
	"nas IN AAAA fd00::1\nnas IN TXT \"a device\"\nwww IN CNAME nas\n"
	"x.deep IN TXT \"below an empty non-terminal\"\n"
	"big IN TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"1123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"2123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"3123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"4123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"5123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"6123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big IN TXT \"7123456789012345678901234567890123456789012345678901234567890123456789\"\n";

#define FUZZ_NOW 1767225600	/* 2026-01-01: fixed so that runs are reproducible */

static struct dns_zone *fuzz_zone(void)
{
	static struct dns_zone *z;
	if (z)
		return z;
	struct dns_keyset ks = { 0 };
	ldns_rdf *origin = ldns_dname_new_frm_str("example.test.");
	if (dns_keyset_load_text(&ks, origin, fuzz_key, DNS_KEY_FLAGS_KSK) != 0 ||
	    dns_zone_new(&z, "example.test.", &ks) != 0 ||
	    dns_zone_load_text(z, fuzz_zone_text, FUZZ_NOW) != 0)
		abort();	/* the fixed zone is ours, not fuzz input */
	ldns_rdf_deep_free(origin);
	dns_zone_set_denial_rate(z, 1000000);
	return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65535];
	struct dns_zone *z = fuzz_zone();
	struct dns_query q;
	if (dns_query_parse(data, size, &q) != 0)
		return 0;
	for (int tcp = 0; tcp < 2; tcp++) {
		struct dns_answer_ctx ctx = { .now_ms = (uint64_t)FUZZ_NOW * 1000, .tcp = tcp };
		size_t len = 0;
		if (dns_answer(z, &q, out, sizeof(out), &len, &ctx) != 0)
			abort();
		if (len < 12 || len > sizeof(out) || (!tcp && len > 4096))
			abort();
		if (out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
			abort();
	}
	size_t len = 0;
	if (dns_answer_error(&q, DNS_RC_REFUSED, 1232, out, 512, &len) == 0 && len > 512)
		abort();
	return 0;
}
