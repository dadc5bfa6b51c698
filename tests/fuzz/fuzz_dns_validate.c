/*
 * fuzz_dns_validate.c - arbitrary bytes as answers to the stub's validator.
 *
 * The first byte picks the step: even validates the rest as the zone's
 * DNSKEY answer against a fixed anchor (the DS of a fixed key), odd as an
 * answer from the zone against that key's key set.  The fixed key's seed is
 * shared with tests/dns/gen_validate_corpus.c, so the corpus holds answers
 * that really validate, and tampered ones.  Never crash, never leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "now" for every run: inside the corpus signatures' validity period. */
#define FUZZ_NOW 1800000000u

static const char key_text[] =
	"Private-key-format: v1.2\n"
	"Algorithm: 15 (ED25519)\n"
	"PrivateKey: c2lnbnBvc3QtZnV6ei1zZWVkLWZvci1kbnMtdmFsaWQ=\n";

static struct dns_validate_anchor *anchor;
static struct dns_validate_keys *keyset;

static void setup(void)
{
	FILE *f = fmemopen((void *)key_text, sizeof(key_text) - 1, "r");
	ldns_key *k = NULL;
	if (f == NULL || ldns_key_new_frm_fp(&k, f) != LDNS_STATUS_OK)
		abort();
	fclose(f);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("a.example."));
	ldns_key_set_flags(k, 257);
	ldns_rr *dnskey = ldns_key2rr(k);
	ldns_rr *ds = ldns_key_rr2ds(dnskey, LDNS_SHA256);
	char *text = ldns_rr2str(ds), err[160];
	if (text == NULL || dns_validate_anchor_parse("a.example.", text, &anchor, err, sizeof(err)) != 0)
		abort();
	free(text);
	ldns_rr_free(ds);
	keyset = calloc(1, sizeof(*keyset));
	keyset->zone = ldns_dname_new_frm_str("a.example.");
	keyset->keys = ldns_rr_list_new();
	keyset->ttl = 300;
	ldns_rr_list_push_rr(keyset->keys, dnskey);
	ldns_key_deep_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_validate_verdict v;
	if (anchor == NULL)
		setup();
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		struct dns_validate_keys *ks = NULL;
		if (dns_validate_dnskey(anchor, data + 1, size - 1, FUZZ_NOW, &ks, &v) != 0)
			return 0;
		if (v.sec == DNS_V_SECURE && ks == NULL)
			abort();
		dns_validate_keys_free(ks);
	} else {
		if (dns_validate_answer(keyset, data + 1, size - 1, FUZZ_NOW, &v) != 0)
			return 0;
	}
	if (v.sec != DNS_V_SECURE && v.sec != DNS_V_INSECURE && v.sec != DNS_V_BOGUS)
		abort();
	return 0;
}
