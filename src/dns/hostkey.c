/*
 * hostkey.c - a node's Ed25519 key as a KEY record (hostkey.h).
 */
#include "dns/hostkey.h"

#include <errno.h>
#include <string.h>

/* KEY RDATA: flags(2) protocol(1) algorithm(1) key; the same layout as DNSKEY (RFC 4034 2.1). */
#define HOSTKEY_RDLEN (4 + DNS_HOSTKEY_LEN)

int dns_hostkey_rr(const ldns_rdf *owner, uint32_t ttl, const uint8_t ed_pk[DNS_HOSTKEY_LEN],
		   ldns_rr **out)
{
	*out = NULL;
	if (owner == NULL || ldns_rdf_get_type(owner) != LDNS_RDF_TYPE_DNAME ||
	    !ldns_dname_absolute(owner))
		return -EINVAL;
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = ldns_rdf_clone(owner);
	ldns_rdf *f = ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, DNS_HOSTKEY_FLAGS);
	ldns_rdf *p = ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, DNS_HOSTKEY_PROTOCOL);
	ldns_rdf *a = ldns_native2rdf_int8(LDNS_RDF_TYPE_ALG, DNS_HOSTKEY_ALG);
	ldns_rdf *k = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, DNS_HOSTKEY_LEN, ed_pk);
	if (rr == NULL || o == NULL || f == NULL || p == NULL || a == NULL || k == NULL) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		ldns_rdf_deep_free(f);
		ldns_rdf_deep_free(p);
		ldns_rdf_deep_free(a);
		ldns_rdf_deep_free(k);
		return -ENOMEM;
	}
	ldns_rr_set_type(rr, LDNS_RR_TYPE_KEY);
	/* push_rdf only fails to grow its array; the rdfs pushed so far are the rr's. */
	ldns_rdf *fields[4] = { f, p, a, k };
	for (size_t i = 0; i < 4; i++) {
		if (!ldns_rr_push_rdf(rr, fields[i])) {
			for (size_t j = i; j < 4; j++)
				ldns_rdf_deep_free(fields[j]);
			ldns_rdf_deep_free(o);
			ldns_rr_free(rr);
			return -ENOMEM;
		}
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	*out = rr;
	return 0;
}

/* A host KEY RR's wire RDATA into buf (HOSTKEY_RDLEN bytes); false if rr is not one. */
static bool hostkey_rdata(const ldns_rr *rr, uint8_t buf[HOSTKEY_RDLEN])
{
	if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_KEY ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) != 4)
		return false;
	/* Read each field by its size, not its ldns type: a KEY made from wire or text alike. */
	static const size_t want[4] = { 2, 1, 1, DNS_HOSTKEY_LEN };
	size_t off = 0;
	for (size_t i = 0; i < 4; i++) {
		const ldns_rdf *d = ldns_rr_rdf(rr, i);
		if (d == NULL || ldns_rdf_size(d) != want[i])
			return false;
		memcpy(buf + off, ldns_rdf_data(d), want[i]);
		off += want[i];
	}
	return buf[0] == (DNS_HOSTKEY_FLAGS >> 8) && buf[1] == (DNS_HOSTKEY_FLAGS & 0xff) &&
	       buf[2] == DNS_HOSTKEY_PROTOCOL && buf[3] == DNS_HOSTKEY_ALG;
}

int dns_hostkey_parse(const ldns_rr *rr, uint8_t ed_pk[DNS_HOSTKEY_LEN])
{
	uint8_t buf[HOSTKEY_RDLEN];
	if (!hostkey_rdata(rr, buf))
		return SP_EMALFORMED;
	memcpy(ed_pk, buf + 4, DNS_HOSTKEY_LEN);
	return 0;
}

int dns_hostkey_find(const ldns_rr_list *list, const ldns_rdf *owner,
		     uint8_t ed_pk[DNS_HOSTKEY_LEN])
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
		    dns_hostkey_parse(rr, ed_pk) == 0)
			return 0;
	}
	return SP_ENOTFOUND;
}
