/* sign.c - RRSIG creation over canonical wire data (RFC 4034 3.1.8.1, 6.2). */
#include "dns/sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "dns/wire.h"

/* Signed data up to this size is assembled on the stack (denials, small RRsets). */
#define SIGN_STACK_BUF 2048

static int sign_ecdsa(const struct dns_key *key, const uint8_t *data, size_t len, uint8_t *sig)
{
	EVP_PKEY *pkey = ldns_key_evp_key(key->lk);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[128];
	size_t derlen = sizeof(der);
	int rc = SP_ECRYPTO;
	if (pkey == NULL || ctx == NULL)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, der, &derlen, data, len) != 1)
		goto out;
	/* DNSSEC wants r || s, 32 bytes each (RFC 6605 4), not DER. */
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (es == NULL)
		goto out;
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32)
		rc = 0;
	ECDSA_SIG_free(es);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int dns_sign_wire(const struct dns_key *key, const uint8_t *signer, const uint8_t *owner,
		  const struct dns_sig_hdr *h, const uint8_t *const *rdata, const uint16_t *rdlen,
		  unsigned n, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t signer_len = dns_name_len(signer), owner_len = dns_name_len(owner);
	size_t hdr_len = 18 + signer_len;
	size_t total = hdr_len;
	for (unsigned i = 0; i < n; i++)
		total += owner_len + 10 + rdlen[i];
	if (cap < hdr_len + DNS_SIG_MAXLEN)
		return SP_ETRUNC;

	/* The RRSIG RDATA header goes straight into out, and is also the data's prefix. */
	struct dns_wbuf b;
	dns_wbuf_init(&b, out, cap);
	dns_wbuf_u16(&b, h->type_covered);
	dns_wbuf_u8(&b, key->alg);
	dns_wbuf_u8(&b, h->labels);
	dns_wbuf_u32(&b, h->orig_ttl);
	dns_wbuf_u32(&b, h->expiration);
	dns_wbuf_u32(&b, h->inception);
	dns_wbuf_u16(&b, key->tag);
	dns_wbuf_bytes(&b, signer, signer_len);
	dns_name_lower(out + 18);

	uint8_t stackbuf[SIGN_STACK_BUF];
	uint8_t *data = total <= sizeof(stackbuf) ? stackbuf : malloc(total);
	if (data == NULL)
		return -ENOMEM;
	struct dns_wbuf d;
	dns_wbuf_init(&d, data, total);
	dns_wbuf_bytes(&d, out, hdr_len);
	for (unsigned i = 0; i < n; i++) {
		size_t at = d.pos;
		dns_wbuf_bytes(&d, owner, owner_len);
		dns_name_lower(data + at);
		dns_wbuf_u16(&d, h->type_covered);
		dns_wbuf_u16(&d, LDNS_RR_CLASS_IN);
		dns_wbuf_u32(&d, h->orig_ttl);
		dns_wbuf_u16(&d, rdlen[i]);
		dns_wbuf_bytes(&d, rdata[i], rdlen[i]);
	}
	int rc = 0;
	uint8_t *sig = out + hdr_len;
	if (d.err)
		rc = SP_ETRUNC;
	else if (key->alg == LDNS_ED25519)
		rc = crypto_sign_detached(sig, NULL, data, total, key->ed_sk) == 0 ? 0 : SP_ECRYPTO;
	else if (key->alg == LDNS_ECDSAP256SHA256 && key->lk != NULL)
		rc = sign_ecdsa(key, data, total, sig);
	else
		rc = SP_ECRYPTO;
	if (data != stackbuf)
		free(data);
	*outlen = hdr_len + DNS_SIG_MAXLEN;
	return rc;
}

/* One RR's canonical RDATA, for sorting. */
struct canon_rd {
	uint8_t *p;
	uint16_t len;
};

static int canon_cmp(const void *a, const void *b)
{
	const struct canon_rd *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	if (c != 0)
		return c;
	return (int)x->len - (int)y->len;
}

int dns_sign_rrset(const struct dns_key *key, const ldns_rr_list *rrset, time_t now,
		   ldns_rr **rrsig)
{
	size_t n = ldns_rr_list_rr_count(rrset);
	if (n == 0 || n > 65535)
		return SP_EMALFORMED;
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	struct canon_rd *rd = calloc(n, sizeof(*rd));
	const uint8_t **rdp = calloc(n, sizeof(*rdp));
	uint16_t *rdl = calloc(n, sizeof(*rdl));
	ldns_buffer *buf = ldns_buffer_new(512);
	uint8_t *out = NULL;
	int rc = -ENOMEM;
	if (rd == NULL || rdp == NULL || rdl == NULL || buf == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(rrset, i));
		if (c == NULL)
			goto out;
		ldns_rr2canonical(c);
		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, c) != LDNS_STATUS_OK ||
		    ldns_buffer_position(buf) > 65535) {
			ldns_rr_free(c);
			rc = SP_ELDNS;
			goto out;
		}
		ldns_rr_free(c);
		rd[i].len = (uint16_t)ldns_buffer_position(buf);
		rd[i].p = malloc(rd[i].len ? rd[i].len : 1);
		if (rd[i].p == NULL)
			goto out;
		memcpy(rd[i].p, ldns_buffer_begin(buf), rd[i].len);
	}
	qsort(rd, n, sizeof(*rd), canon_cmp);
	unsigned m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && canon_cmp(&rd[i], &rd[m - 1]) == 0)
			continue;	/* duplicates are signed once (RFC 4034 6.3) */
		rdp[m] = rd[i].p;
		rdl[m] = rd[i].len;
		m++;
	}

	ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(first));
	ldns_dname2canonical(owner);
	uint8_t labels = ldns_dname_label_count(owner);
	if (ldns_dname_is_wildcard(owner))
		labels--;
	const uint8_t *signer = ldns_rdf_data(ldns_rr_owner(key->dnskey));
	struct dns_sig_hdr h = {
		.type_covered = ldns_rr_get_type(first),
		.labels = labels,
		.orig_ttl = ldns_rr_ttl(first),
		.inception = (uint32_t)(now - SIG_INCEPTION_BACKDATE),
		.expiration = (uint32_t)(now + SIG_LIFETIME),
	};
	size_t cap = 18 + DNS_NAME_MAXLEN + DNS_SIG_MAXLEN, outlen = 0;
	out = malloc(cap);
	if (out == NULL) {
		ldns_rdf_deep_free(owner);
		goto out;
	}
	rc = dns_sign_wire(key, signer, ldns_rdf_data(owner), &h, rdp, rdl, m, out, cap, &outlen);
	ldns_rdf_deep_free(owner);
	if (rc != 0)
		goto out;

	/* Parse the RDATA we wrote back into an ldns RR. */
	ldns_rr *sig = ldns_rr_new();
	if (sig == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	ldns_rr_set_type(sig, LDNS_RR_TYPE_RRSIG);
	ldns_rr_set_owner(sig, ldns_rdf_clone(ldns_rr_owner(first)));
	ldns_rr_set_ttl(sig, ldns_rr_ttl(first));
	ldns_rr_set_class(sig, LDNS_RR_CLASS_IN);
	size_t slen = dns_name_len(signer);
	ldns_rr_push_rdf(sig, ldns_native2rdf_int16(LDNS_RDF_TYPE_TYPE, h.type_covered));
	ldns_rr_push_rdf(sig, ldns_native2rdf_int8(LDNS_RDF_TYPE_ALG, key->alg));
	ldns_rr_push_rdf(sig, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, h.labels));
	ldns_rr_push_rdf(sig, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, h.orig_ttl));
	ldns_rr_push_rdf(sig, ldns_native2rdf_int32(LDNS_RDF_TYPE_TIME, h.expiration));
	ldns_rr_push_rdf(sig, ldns_native2rdf_int32(LDNS_RDF_TYPE_TIME, h.inception));
	ldns_rr_push_rdf(sig, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, key->tag));
	ldns_rr_push_rdf(sig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, slen, out + 18));
	ldns_rr_push_rdf(sig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, outlen - 18 - slen,
						     out + 18 + slen));
	*rrsig = sig;
	rc = 0;
out:
	if (rd)
		for (size_t i = 0; i < n; i++)
			free(rd[i].p);
	free(rd);
	free(rdp);
	free(rdl);
	free(out);
	ldns_buffer_free(buf);
	return rc;
}
