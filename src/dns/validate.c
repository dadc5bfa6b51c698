/*
 * validate.c - trust anchors, the zone's DNSKEY RRset, and answers.
 *
 * Denial of existence (NSEC) lives in validate_nsec.c.  Everything here is
 * pure: packets and anchors in, verdicts out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/msgscan.h"
#include "dns/validate.h"
#include "dns/validate_int.h"

/* DNSKEY flags (RFC 4034 2.1.1, RFC 5011 3). */
#define DNSKEY_F_ZONE 0x0100
#define DNSKEY_F_REVOKE 0x0080

/* Longest anchor text we parse; a handful of records fits many times over. */
#define ANCHOR_TEXT_MAX 16384

void dns_validate__bogus(struct dns_validate_verdict *v, int ede, const char *fmt, ...)
{
	va_list ap;
	v->sec = DNS_V_BOGUS;
	v->ede = ede;
	v->ttl = 0;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

static void verdict_init(struct dns_validate_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->sec = DNS_V_BOGUS;
	v->ede = DNS_V_EDE_BOGUS;
	snprintf(v->reason, sizeof(v->reason), "not validated");
}

bool dns_validate__in_zone(const ldns_rdf *name, const ldns_rdf *zone)
{
	if (name == NULL || zone == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return false;
	return ldns_dname_compare(name, zone) == 0 || ldns_dname_is_subdomain(name, zone);
}

/* RFC 1982 serial arithmetic, as RRSIG times use (RFC 4034 3.1.5). */
static bool serial_le(uint32_t a, uint32_t b)
{
	return (int32_t)(b - a) >= 0;
}

static uint16_t rr_u16(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);
	return f && ldns_rdf_size(f) == 2 ? ldns_rdf2native_int16(f) : 0;
}

ldns_rr_list *dns_validate__rrset(const ldns_rr_list *sect, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();
	if (out == NULL)
		return NULL;
	size_t n = ldns_rr_list_rr_count(sect);
	for (size_t i = 0; i < n && i < DNS__VAL_MAX_RRS; i++) {
		ldns_rr *rr = ldns_rr_list_rr(sect, i);
		if (ldns_rr_get_type(rr) == type && ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
		    !ldns_rr_list_push_rr(out, rr)) {
			ldns_rr_list_free(out);
			return NULL;
		}
	}
	return out;
}

/* Labels of an owner name as RRSIG counts them: no root, no leading '*'. */
static unsigned sig_label_count(const ldns_rdf *owner)
{
	unsigned n = ldns_dname_label_count(owner);
	const uint8_t *d = ldns_rdf_data(owner);
	if (n > 0 && ldns_rdf_size(owner) >= 2 && d[0] == 1 && d[1] == '*')
		n--;
	return n;
}

/* One RRSIG's fixed checks; NULL when it may be tried, else why not. */
static const char *sig_usable(const ldns_rr *sig, const ldns_rdf *zone, const ldns_rr_list *rrset,
			      uint32_t now, int *ede)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	*ede = DNS_V_EDE_BOGUS;
	if (ldns_rr_rd_count(sig) < 9 || ldns_rr_rrsig_signame(sig) == NULL ||
	    ldns_rr_rrsig_labels(sig) == NULL || ldns_rr_rrsig_expiration(sig) == NULL ||
	    ldns_rr_rrsig_inception(sig) == NULL || ldns_rr_rrsig_origttl(sig) == NULL)
		return "malformed RRSIG";
	if (ldns_dname_compare(ldns_rr_rrsig_signame(sig), zone) != 0)
		return "RRSIG signer is not the zone";
	if (ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)) > sig_label_count(ldns_rr_owner(first)))
		return "RRSIG label count exceeds the owner's";
	uint32_t inc = ldns_rdf2native_int32(ldns_rr_rrsig_inception(sig));
	uint32_t exp = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig));
	if (!serial_le(now, exp)) {
		*ede = DNS_V_EDE_SIG_EXPIRED;
		return "RRSIG expired";
	}
	if (!serial_le(inc, now)) {
		*ede = DNS_V_EDE_SIG_NOT_YET;
		return "RRSIG not yet valid";
	}
	return NULL;
}

/*
 * Check sig against each key of its tag, one at a time, counting failures in
 * v->sig_failures.  LDNS_STATUS_OK, LDNS_STATUS_MEM_ERR, another error when
 * no key verified, or LDNS_STATUS_CRYPTO_TSIG_ERR (standing for "budget
 * spent") once the answer's failures reach DNS_VALIDATE_MAX_SIG_FAILURES.
 */
static ldns_status verify_one_by_one(const ldns_rr_list *rrset, const ldns_rr *sig,
				     const ldns_rr_list *keys, struct dns_validate_verdict *v)
{
	ldns_status last = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	ldns_rr_list *one = ldns_rr_list_new();

	if (one == NULL)
		return LDNS_STATUS_MEM_ERR;
	for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
		ldns_rr *key = ldns_rr_list_rr(keys, k);
		if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY || ldns_calc_keytag(key) != tag)
			continue;
		if (v->sig_failures >= DNS_VALIDATE_MAX_SIG_FAILURES) {
			last = LDNS_STATUS_CRYPTO_TSIG_ERR;
			break;
		}
		ldns_rr_list_set_rr_count(one, 0);
		if (!ldns_rr_list_push_rr(one, key)) {
			last = LDNS_STATUS_MEM_ERR;
			break;
		}
		last = ldns_verify_rrsig_keylist_notime(rrset, sig, one, NULL);
		if (last == LDNS_STATUS_OK || last == LDNS_STATUS_MEM_ERR)
			break;
		v->sig_failures++;
	}
	ldns_rr_list_free(one);
	return last;
}

int dns_validate__verify_rrset(const ldns_rdf *zone, const ldns_rr_list *keys, const ldns_rr_list *rrset,
		      const ldns_rr_list *sect, uint32_t now, struct dns_validate_verdict *v, uint32_t *ttl,
		      bool *expanded)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	ldns_rr_type type = ldns_rr_get_type(first);
	const char *why = NULL;
	int ede = DNS_V_EDE_RRSIGS_MISSING;
	size_t n = ldns_rr_list_rr_count(sect);
	char tname[32];
	{
		char *t = ldns_rr_type2str(type);
		snprintf(tname, sizeof(tname), "%s", t ? t : "?");
		free(t);
	}

	for (size_t i = 0; i < n && i < DNS__VAL_MAX_RRS; i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sect, i);
		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG ||
		    ldns_dname_compare(ldns_rr_owner(sig), ldns_rr_owner(first)) != 0 ||
		    ldns_rr_rrsig_typecovered(sig) == NULL ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) != type)
			continue;
		int e;
		const char *w = sig_usable(sig, zone, rrset, now, &e);
		if (w == NULL) {
			ldns_status st = verify_one_by_one(rrset, sig, keys, v);
			if (st == LDNS_STATUS_MEM_ERR)
				return -ENOMEM;
			if (st == LDNS_STATUS_CRYPTO_TSIG_ERR) {
				char *owner = ldns_rdf2str(ldns_rr_owner(first));
				dns_validate__bogus(v, DNS_V_EDE_BOGUS,
						    "%s %s: more than %d failed signature checks",
						    owner ? owner : "?", tname,
						    DNS_VALIDATE_MAX_SIG_FAILURES);
				free(owner);
				return SP_EBOGUS;
			}
			if (st == LDNS_STATUS_OK) {
				uint32_t exp = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig));
				uint32_t left = exp - now, ottl = ldns_rdf2native_int32(
					ldns_rr_rrsig_origttl(sig));
				if (left < *ttl)
					*ttl = left;
				if (ottl < *ttl)
					*ttl = ottl;
				for (size_t k = 0; k < ldns_rr_list_rr_count(rrset); k++)
					if (ldns_rr_ttl(ldns_rr_list_rr(rrset, k)) < *ttl)
						*ttl = ldns_rr_ttl(ldns_rr_list_rr(rrset, k));
				*expanded = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig)) <
					    sig_label_count(ldns_rr_owner(first));
				return 0;
			}
			w = "signature does not verify with the zone's keys";
			e = DNS_V_EDE_BOGUS;
		}
		/* Keep the most telling reason: a bad signature beats a stale one. */
		if (why == NULL || e == DNS_V_EDE_BOGUS) {
			why = w;
			ede = e;
		}
	}
	char *owner = ldns_rdf2str(ldns_rr_owner(first));
	dns_validate__bogus(v, ede, "%s %s: %s", owner ? owner : "?", tname, why ? why : "no RRSIG");
	free(owner);
	return SP_EBOGUS;
}

/* ---- trust anchors ---- */

void dns_validate_anchor_free(struct dns_validate_anchor *ta)
{
	if (ta == NULL)
		return;
	ldns_rdf_deep_free(ta->zone);
	ldns_rr_list_deep_free(ta->rrs);
	free(ta);
}

static int anchor_add(struct dns_validate_anchor *ta, const char *text, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL);
	if (st != LDNS_STATUS_OK) {
		snprintf(err, errlen, "'%s': %s", text, ldns_get_errorstr_by_id(st));
		return SP_EMALFORMED;
	}
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_DNSKEY) {
		snprintf(err, errlen, "'%s': not a DS or DNSKEY record", text);
		goto bad;
	}
	if (ldns_dname_compare(ldns_rr_owner(rr), ta->zone) != 0) {
		snprintf(err, errlen, "'%s': owner is not the zone", text);
		goto bad;
	}
	if (t == LDNS_RR_TYPE_DNSKEY && !(rr_u16(rr, 0) & DNSKEY_F_ZONE)) {
		snprintf(err, errlen, "'%s': DNSKEY is not a zone key", text);
		goto bad;
	}
	if (t == LDNS_RR_TYPE_DS && ldns_rr_rd_count(rr) < 4) {
		snprintf(err, errlen, "'%s': DS has too few fields", text);
		goto bad;
	}
	if (!ldns_rr_list_push_rr(ta->rrs, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
bad:
	ldns_rr_free(rr);
	return SP_EMALFORMED;
}

int dns_validate_anchor_parse(const char *zone, const char *text, struct dns_validate_anchor **out, char *err,
		     size_t errlen)
{
	int rc = -ENOMEM;
	char *copy = NULL;
	struct dns_validate_anchor *ta = calloc(1, sizeof(*ta));
	*out = NULL;
	snprintf(err, errlen, "out of memory");
	if (ta == NULL)
		return -ENOMEM;
	if (strlen(text) > ANCHOR_TEXT_MAX) {
		snprintf(err, errlen, "anchor text longer than %d bytes", ANCHOR_TEXT_MAX);
		rc = SP_EMALFORMED;
		goto out;
	}
	ta->zone = ldns_dname_new_frm_str(zone);
	ta->rrs = ldns_rr_list_new();
	copy = strdup(text);
	if (ta->rrs == NULL || copy == NULL)
		goto out;
	if (ta->zone == NULL) {
		snprintf(err, errlen, "'%s' is not a domain name", zone);
		rc = SP_EMALFORMED;
		goto out;
	}
	ldns_dname2canonical(ta->zone);
	char *save = NULL;
	for (char *tok = strtok_r(copy, ";\n", &save); tok; tok = strtok_r(NULL, ";\n", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		size_t l = strlen(tok);
		while (l > 0 && (tok[l - 1] == ' ' || tok[l - 1] == '\t' || tok[l - 1] == '\r'))
			tok[--l] = '\0';
		/* A piece that does not start with an absolute owner name is a
		 * comment, such as the ";{id = ...}" ldns prints after a DNSKEY. */
		size_t first = strcspn(tok, " \t");
		if (l == 0 || first == 0 || tok[first - 1] != '.')
			continue;
		rc = anchor_add(ta, tok, err, errlen);
		if (rc != 0)
			goto out;
	}
	if (ldns_rr_list_rr_count(ta->rrs) == 0) {
		snprintf(err, errlen, "no DS or DNSKEY record (each starts with the absolute zone "
			 "name, as `signpost ds` prints it)");
		rc = SP_EMALFORMED;
		goto out;
	}
	*out = ta;
	ta = NULL;
	rc = 0;
	err[0] = '\0';
out:
	free(copy);
	dns_validate_anchor_free(ta);
	return rc;
}

static bool rdata_equal(const ldns_rr *a, const ldns_rr *b, size_t n)
{
	if (ldns_rr_rd_count(a) < n || ldns_rr_rd_count(b) < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return false;
	return true;
}

bool dns_validate_anchor_equal(const struct dns_validate_anchor *a, const struct dns_validate_anchor *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	size_t n = ldns_rr_list_rr_count(a->rrs);
	if (ldns_dname_compare(a->zone, b->zone) != 0 || n != ldns_rr_list_rr_count(b->rrs))
		return false;
	for (size_t i = 0; i < n; i++)
		if (ldns_rr_compare(ldns_rr_list_rr(a->rrs, i), ldns_rr_list_rr(b->rrs, i)) != 0)
			return false;
	return true;
}

/* Does this DNSKEY match one of the anchor's records? */
static bool key_matches_anchor(const ldns_rr *key, const struct dns_validate_anchor *ta)
{
	if (ldns_rr_rd_count(key) < 4)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ta->rrs); i++) {
		const ldns_rr *a = ldns_rr_list_rr(ta->rrs, i);
		if (ldns_rr_get_type(a) == LDNS_RR_TYPE_DNSKEY) {
			if (rdata_equal(a, key, 4))
				return true;
			continue;
		}
		/* DS: digest the key the same way and compare all four fields. */
		uint8_t dt = ldns_rdf2native_int8(ldns_rr_rdf(a, 2));
		ldns_rr *ds = ldns_key_rr2ds(key, (ldns_hash)dt);
		bool eq = ds != NULL && rdata_equal(a, ds, 4);
		ldns_rr_free(ds);
		if (eq)
			return true;
	}
	return false;
}

void dns_validate_keys_free(struct dns_validate_keys *ks)
{
	if (ks == NULL)
		return;
	ldns_rdf_deep_free(ks->zone);
	ldns_rr_list_deep_free(ks->keys);
	free(ks);
}

static bool usable_zone_key(const ldns_rr *key)
{
	uint16_t f = rr_u16(key, 0);
	return ldns_rr_rd_count(key) >= 4 && (f & DNSKEY_F_ZONE) && !(f & DNSKEY_F_REVOKE);
}

/* Build the key set from a verified DNSKEY RRset. */
static int keyset_new(const ldns_rdf *zone, const ldns_rr_list *rrset, uint32_t ttl,
		      struct dns_validate_keys **out)
{
	struct dns_validate_keys *ks = calloc(1, sizeof(*ks));
	if (ks == NULL)
		return -ENOMEM;
	ks->zone = ldns_rdf_clone(zone);
	ks->keys = ldns_rr_list_new();
	ks->ttl = ttl;
	if (ks->zone == NULL || ks->keys == NULL)
		goto nomem;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *k = ldns_rr_list_rr(rrset, i);
		if (!usable_zone_key(k))
			continue;
		ldns_rr *c = ldns_rr_clone(k);
		if (c == NULL || !ldns_rr_list_push_rr(ks->keys, c)) {
			ldns_rr_free(c);
			goto nomem;
		}
	}
	*out = ks;
	return 0;
nomem:
	dns_validate_keys_free(ks);
	return -ENOMEM;
}

/* The one question of pkt, or NULL (and *v bogus). */
static const ldns_rr *one_question(const ldns_pkt *pkt, struct dns_validate_verdict *v)
{
	if (ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "answer does not have exactly one question");
		return NULL;
	}
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	if (ldns_rr_get_class(q) != LDNS_RR_CLASS_IN) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "question class is not IN");
		return NULL;
	}
	return q;
}

static int validate_dnskey_pkt(const struct dns_validate_anchor *ta, const ldns_pkt *pkt, uint32_t now,
			       struct dns_validate_keys **keys, struct dns_validate_verdict *v)
{
	const ldns_rr *q = one_question(pkt, v);
	if (q == NULL)
		return 0;
	if (ldns_rr_get_type(q) != LDNS_RR_TYPE_DNSKEY ||
	    ldns_dname_compare(ldns_rr_owner(q), ta->zone) != 0) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "not an answer to the zone's DNSKEY query");
		return 0;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		dns_validate__bogus(v, DNS_V_EDE_DNSKEY_MISSING, "DNSKEY query failed (rcode %d)",
			   (int)ldns_pkt_get_rcode(pkt));
		return 0;
	}
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_rr_list *rrset = dns_validate__rrset(an, ta->zone, LDNS_RR_TYPE_DNSKEY);
	ldns_rr_list *trusted = ldns_rr_list_new();
	int rc = -ENOMEM;
	if (rrset == NULL || trusted == NULL)
		goto out;
	rc = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		ldns_rr *k = ldns_rr_list_rr(rrset, i);
		if (ldns_rr_get_class(k) != LDNS_RR_CLASS_IN) {
			dns_validate__bogus(v, DNS_V_EDE_BOGUS, "DNSKEY class is not IN");
			goto out;
		}
		if (usable_zone_key(k) && key_matches_anchor(k, ta) &&
		    !ldns_rr_list_push_rr(trusted, k)) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (ldns_rr_list_rr_count(rrset) == 0) {
		dns_validate__bogus(v, DNS_V_EDE_DNSKEY_MISSING, "no DNSKEY RRset in the answer");
		goto out;
	}
	if (ldns_rr_list_rr_count(trusted) == 0) {
		dns_validate__bogus(v, DNS_V_EDE_DNSKEY_MISSING, "no DNSKEY matches the trust anchor");
		goto out;
	}
	/* The set must be signed by a key the anchor vouches for. */
	uint32_t ttl = UINT32_MAX;
	bool expanded = false;
	rc = dns_validate__verify_rrset(ta->zone, trusted, rrset, an, now, v, &ttl, &expanded);
	if (rc == SP_EBOGUS) {
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (expanded) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "DNSKEY RRset signed as a wildcard");
		goto out;
	}
	rc = keyset_new(ta->zone, rrset, ttl, keys);
	if (rc == 0) {
		v->sec = DNS_V_SECURE;
		v->ede = DNS_V_EDE_NONE;
		v->ttl = ttl;
		v->reason[0] = '\0';
	}
out:
	ldns_rr_list_free(trusted);
	ldns_rr_list_free(rrset);
	return rc;
}

int dns_validate_dnskey(const struct dns_validate_anchor *ta, const uint8_t *pkt, size_t len, uint32_t now,
			struct dns_validate_keys **keys, struct dns_validate_verdict *v)
{
	ldns_pkt *p = NULL;
	*keys = NULL;
	verdict_init(v);
	/* The one reader's rule first: ldns would follow forward pointers. */
	if (!dns__msg_check(pkt, len) || ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "DNSKEY answer does not parse");
		return 0;
	}
	int rc = validate_dnskey_pkt(ta, p, now, keys, v);
	ldns_pkt_free(p);
	return rc;
}

int dns_validate_answer(const struct dns_validate_keys *keys, const uint8_t *pkt, size_t len, uint32_t now,
			struct dns_validate_verdict *v)
{
	ldns_pkt *p = NULL;
	verdict_init(v);
	/* The one reader's rule first: ldns would follow forward pointers. */
	if (!dns__msg_check(pkt, len) || ldns_wire2pkt(&p, pkt, len) != LDNS_STATUS_OK) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "answer does not parse");
		return 0;
	}
	int rc = dns_validate_answer_pkt(keys, p, now, v);
	ldns_pkt_free(p);
	return rc;
}
