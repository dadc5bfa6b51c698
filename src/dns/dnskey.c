/* dnskey.c - loading the zone's KSK/ZSK from BIND private-key files. */
#include "dns/dnskey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/keys.h"
#include "core/log.h"

#define DNSKEY_TTL 3600
#define KEYFILE_MAX 4096

/* Value of "Field: value" in a key file (points into text, up to end of line). */
static const char *keyfile_field(const char *text, const char *field, size_t *vlen)
{
	size_t fl = strlen(field);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
			const char *v = p + fl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = v;
			while (*e && *e != '\n' && *e != '\r')
				e++;
			*vlen = (size_t)(e - v);
			return v;
		}
	}
	return NULL;
}

static int key_ed25519(struct dns_key *k, const ldns_rdf *origin, const char *text)
{
	size_t vlen;
	const char *v = keyfile_field(text, "PrivateKey", &vlen);
	uint8_t seed[64], pk[32];
	size_t got = 0;
	if (v == NULL || sodium_base642bin(seed, sizeof(seed), v, vlen, " \t", &got, NULL,
					   sodium_base64_VARIANT_ORIGINAL) != 0 || got != 32) {
		sodium_memzero(seed, sizeof(seed));
		return SP_EKEYFORMAT;
	}
	crypto_sign_seed_keypair(pk, k->ed_sk, seed);
	sodium_memzero(seed, sizeof(seed));

	char b64[64], *owner = ldns_rdf2str(origin), line[512];
	sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), "%s %d IN DNSKEY %u 3 15 %s", owner ? owner : ".",
		 DNSKEY_TTL, k->flags, b64);
	free(owner);
	if (ldns_rr_new_frm_str(&k->dnskey, line, 0, NULL, NULL) != LDNS_STATUS_OK)
		return SP_ELDNS;
	return 0;
}

static int key_ecdsa(struct dns_key *k, const ldns_rdf *origin, const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	if (f == NULL)
		return SP_ELDNS;
	ldns_status st = ldns_key_new_frm_fp(&k->lk, f);
	fclose(f);
	if (st != LDNS_STATUS_OK || ldns_key_algorithm(k->lk) != LDNS_SIGN_ECDSAP256SHA256) {
		if (st == LDNS_STATUS_OK)
			ldns_key_deep_free(k->lk);
		k->lk = NULL;
		return SP_EKEYFORMAT;
	}
	ldns_key_set_flags(k->lk, k->flags);
	ldns_key_set_pubkey_owner(k->lk, ldns_rdf_clone(origin));
	k->dnskey = ldns_key2rr(k->lk);
	if (k->dnskey == NULL)
		return SP_ELDNS;
	ldns_rr_set_ttl(k->dnskey, DNSKEY_TTL);
	return 0;
}

int dns_keyset_load_text(struct dns_keyset *ks, const ldns_rdf *origin, const char *text,
			 uint16_t flags)
{
	if (ks->n >= DNS_KEYS_MAX)
		return SP_ELIMIT;
	if (sodium_init() < 0)
		return SP_ECRYPTO;
	struct dns_key *k = &ks->key[ks->n];
	memset(k, 0, sizeof(*k));
	k->flags = flags;
	size_t vlen;
	const char *alg = keyfile_field(text, "Algorithm", &vlen);
	if (alg == NULL)
		return SP_EKEYFORMAT;
	k->alg = (uint8_t)atoi(alg);
	int rc;
	if (k->alg == LDNS_ED25519)
		rc = key_ed25519(k, origin, text);
	else if (k->alg == LDNS_ECDSAP256SHA256)
		rc = key_ecdsa(k, origin, text);
	else
		rc = SP_EKEYFORMAT;
	if (rc != 0) {
		sodium_memzero(k->ed_sk, sizeof(k->ed_sk));
		ldns_rr_free(k->dnskey);
		if (k->lk)
			ldns_key_deep_free(k->lk);
		memset(k, 0, sizeof(*k));
		return rc;
	}
	k->tag = ldns_calc_keytag(k->dnskey);
	ks->n++;
	return 0;
}

int dns_keyset_load_file(struct dns_keyset *ks, const ldns_rdf *origin, const char *path,
			 uint16_t flags)
{
	char buf[KEYFILE_MAX];
	int rc = sp_secret_file_read(path, buf, sizeof(buf));
	if (rc == 0) {
		rc = dns_keyset_load_text(ks, origin, buf, flags);
		if (rc != 0)
			sp_err("%s: not a usable DNSSEC private key (%s)", path, sp_strerror(rc));
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int dns_keyset_load(struct dns_keyset *ks, const ldns_rdf *origin, const char *ksk_path,
		    const char *zsk_path)
{
	int rc = dns_keyset_load_file(ks, origin, ksk_path, DNS_KEY_FLAGS_KSK);
	if (rc == 0 && zsk_path != NULL)
		rc = dns_keyset_load_file(ks, origin, zsk_path, DNS_KEY_FLAGS_ZSK);
	return rc;
}

void dns_keyset_deinit(struct dns_keyset *ks)
{
	for (unsigned i = 0; i < ks->n && i < DNS_KEYS_MAX; i++) {
		sodium_memzero(ks->key[i].ed_sk, sizeof(ks->key[i].ed_sk));
		ldns_rr_free(ks->key[i].dnskey);
		if (ks->key[i].lk)
			ldns_key_deep_free(ks->key[i].lk);
	}
	memset(ks, 0, sizeof(*ks));
}

ldns_rr_list *dns_keyset_dnskeys(const struct dns_keyset *ks)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (unsigned i = 0; l && i < ks->n; i++)
		ldns_rr_list_push_rr(l, ldns_rr_clone(ks->key[i].dnskey));
	return l;
}

ldns_rr_list *dns_keyset_ds(const struct dns_keyset *ks)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (unsigned i = 0; l && i < ks->n; i++) {
		if (!(ks->key[i].flags & LDNS_KEY_SEP_KEY))
			continue;
		ldns_rr *ds = ldns_key_rr2ds(ks->key[i].dnskey, LDNS_SHA256);
		if (ds)
			ldns_rr_list_push_rr(l, ds);
	}
	return l;
}

static bool keyset_has_nonsep(const struct dns_keyset *ks)
{
	for (unsigned i = 0; i < ks->n; i++)
		if (!(ks->key[i].flags & LDNS_KEY_SEP_KEY))
			return true;
	return false;
}

bool dns_key_signs_dnskey(const struct dns_keyset *ks, unsigned i)
{
	/* The KSK signs the key set; with no KSK at all the ZSK has to. */
	bool has_sep = false;
	for (unsigned j = 0; j < ks->n; j++)
		has_sep |= (ks->key[j].flags & LDNS_KEY_SEP_KEY) != 0;
	return (ks->key[i].flags & LDNS_KEY_SEP_KEY) || !has_sep;
}

bool dns_key_signs_zone(const struct dns_keyset *ks, unsigned i)
{
	return !(ks->key[i].flags & LDNS_KEY_SEP_KEY) || !keyset_has_nonsep(ks);
}
