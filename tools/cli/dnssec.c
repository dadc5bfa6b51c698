/*
 * dnssec.c - the zone's DNSSEC keys (BIND private-key files written and read
 * by ldns), their DNSKEY and DS records, and TSIG key files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "core/keys.h"
#include "core/log.h"

/* Key files are a few hundred bytes; this bounds what we read. */
#define KEY_FILE_MAX 8192
#define TSIG_SECRET_LEN 32

int cli_dnssec_algorithm(const char *name)
{
	if (strcmp(name, "ed25519") == 0)
		return LDNS_SIGN_ED25519;
	if (strcmp(name, "ecdsap256sha256") == 0)
		return LDNS_SIGN_ECDSAP256SHA256;
	return 0;
}

/* Give k (taken over: freed on failure) its owner zone and DNSKEY flags; *out = k. */
static int key_finish(ldns_key *k, const char *zone, uint16_t flags, ldns_key **out)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(zone);
	if (owner == NULL) {
		ldns_key_deep_free(k);
		return SP_ELDNS;
	}
	ldns_key_set_pubkey_owner(k, owner);
	ldns_key_set_flags(k, flags);
	*out = k;
	return 0;
}

int cli_dnssec_key_new(int algorithm, const char *zone, uint16_t flags, ldns_key **out)
{
	/* The size is ignored for the elliptic-curve algorithms we offer. */
	ldns_key *k = ldns_key_new_frm_algorithm((ldns_signing_algorithm)algorithm, 256);
	if (k == NULL)
		return SP_ECRYPTO;
	return key_finish(k, zone, flags, out);
}

void cli_dnssec_key_free(ldns_key *key)
{
	if (key != NULL)
		ldns_key_deep_free(key);
}

void cli_free_secret(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

int cli_dnssec_key_save(const char *path, const ldns_key *key)
{
	char *text = ldns_key2str(key);
	if (text == NULL)
		return SP_ELDNS;
	int rc = sp_secret_file_write(path, text);
	cli_free_secret(text);
	return rc;
}

int cli_dnssec_key_load(const char *path, const char *zone, uint16_t flags, ldns_key **out)
{
	char *buf = malloc(KEY_FILE_MAX);
	if (buf == NULL)
		return -ENOMEM;
	int rc = sp_secret_file_read(path, buf, KEY_FILE_MAX);
	if (rc) {
		free(buf);
		return rc;
	}
	ldns_key *k = NULL;
	int line = 0;
	ldns_status st = LDNS_STATUS_MEM_ERR;
	FILE *f = fmemopen(buf, strlen(buf), "r");
	if (f != NULL) {
		/* Unbuffered: no stdio copy of the secret outlives fclose. */
		setvbuf(f, NULL, _IONBF, 0);
		st = ldns_key_new_frm_fp_l(&k, f, &line);
		fclose(f);
	}
	sodium_memzero(buf, KEY_FILE_MAX);
	free(buf);
	if (st != LDNS_STATUS_OK) {
		sp_err("%s:%d: not a DNSSEC private-key file: %s", path, line,
		       ldns_get_errorstr_by_id(st));
		return SP_EKEYFORMAT;
	}
	return key_finish(k, zone, flags, out);
}

ldns_rr *cli_dnssec_dnskey(const ldns_key *key)
{
	ldns_rr *rr = ldns_key2rr(key);
	if (rr != NULL)
		ldns_rr_set_ttl(rr, CLI_DNSKEY_TTL);
	return rr;
}

ldns_rr *cli_dnssec_ds(const ldns_rr *dnskey)
{
	return ldns_key_rr2ds(dnskey, LDNS_SHA256);
}

char *cli_rr_str(const ldns_rr *rr)
{
	char *s = ldns_rr2str_fmt(ldns_output_format_nocomments, rr);
	if (s == NULL)
		return NULL;
	/* ldns separates fields with tabs: spaces paste better into config files. */
	for (char *p = s; *p; p++)
		if (*p == '\t')
			*p = ' ';
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

void cli_rr_print(FILE *f, const ldns_rr *rr)
{
	char *s = cli_rr_str(rr);
	if (s != NULL)
		fprintf(f, "%s\n", s);
	free(s);
}

void cli_rdata_print(FILE *f, const ldns_rr *rr, size_t first)
{
	for (size_t i = first; i < ldns_rr_rd_count(rr); i++) {
		char *s = ldns_rdf2str(ldns_rr_rdf(rr, i));
		if (s == NULL)
			continue;
		fprintf(f, "%s%s", i > first ? " " : "", s);
		free(s);
	}
}

char *cli_tsig_key_text(const char *key_name)
{
	uint8_t secret[TSIG_SECRET_LEN];
	char b64[sodium_base64_ENCODED_LEN(TSIG_SECRET_LEN, sodium_base64_VARIANT_ORIGINAL)];
	if (sodium_init() < 0)
		return NULL;
	randombytes_buf(secret, sizeof(secret));
	sodium_bin2base64(b64, sizeof(b64), secret, sizeof(secret), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(secret, sizeof(secret));

	char *text = NULL;
	if (asprintf(&text,
		     "key \"%s\" {\n"
		     "\talgorithm hmac-sha256;\n"
		     "\tsecret \"%s\";\n"
		     "};\n",
		     key_name, b64) < 0)
		text = NULL;
	sodium_memzero(b64, sizeof(b64));
	return text;
}
