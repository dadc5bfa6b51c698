/*
 * validate_nsec.c - authenticated denial of existence with NSEC.
 *
 * Three shapes of proof are accepted, all from NSEC records that verified:
 *   - classic and RFC 4470 "white lies": an NSEC whose owner sorts before
 *     the name and whose next name sorts after it (canonical order, RFC 4034
 *     6.1) covers the name; NXDOMAIN also needs the wildcard at the closest
 *     encloser covered;
 *   - RFC 9824 compact denial: an NSEC at the name itself whose bitmap holds
 *     NXNAME says the name does not exist (sent with NOERROR, or NXDOMAIN by
 *     resolvers that restore it);
 *   - NODATA: an NSEC at the name whose bitmap lacks the type and CNAME,
 *     an empty non-terminal (covering NSEC whose next name is below the
 *     name), or a wildcard NSEC without the type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/validate.h"
#include "dns/validate_int.h"

/* RFC 9824: the NXNAME meta type in the NSEC bitmap of a compact denial. */
enum { NXNAME = 128 };

int dns_validate__collect_nsecs(const struct dns_validate_keys *ks, const ldns_rr_list *auth, uint32_t now,
		       struct dns_validate_verdict *v, uint32_t *ttl, ldns_rr_list **out)
{
	ldns_rr_list *nsecs = ldns_rr_list_new();
	if (nsecs == NULL)
		return -ENOMEM;
	*out = nsecs;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth) && i < DNS__VAL_MAX_RRS; i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC)
			continue;
		if (!dns_validate__in_zone(ldns_rr_owner(rr), ks->zone) || ldns_rr_rd_count(rr) < 2 ||
		    ldns_rr_rdf(rr, 0) == NULL || ldns_rr_rdf(rr, 1) == NULL ||
		    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) != LDNS_RDF_TYPE_DNAME)
			continue;
		ldns_rr_list *set = dns_validate__rrset(auth, ldns_rr_owner(rr), LDNS_RR_TYPE_NSEC);
		if (set == NULL)
			return -ENOMEM;
		bool exp = false;
		int rc = dns_validate__verify_rrset(ks->zone, ks->keys, set, auth, now, v, ttl, &exp);
		ldns_rr_list_free(set);
		if (rc != 0)
			return rc;
		/* A wildcard-expanded NSEC proves nothing about its own owner. */
		if (!exp && !ldns_rr_list_push_rr(nsecs, rr))
			return -ENOMEM;
	}
	return 0;
}

static bool nsec_has(const ldns_rr *nsec, uint16_t type)
{
	const ldns_rdf *bm = ldns_rr_rdf(nsec, 1);
	return bm != NULL && ldns_nsec_bitmap_covers_type(bm, type);
}

/* Strictly between owner and next in canonical order (wrapping at the end). */
static bool nsec_covers(const ldns_rr *nsec, const ldns_rdf *name)
{
	const ldns_rdf *owner = ldns_rr_owner(nsec), *next = ldns_rr_rdf(nsec, 0);
	int a = ldns_dname_compare(owner, name), b = ldns_dname_compare(name, next);
	if (a >= 0 && b >= 0)
		return false;
	if (ldns_dname_compare(owner, next) < 0)
		return a < 0 && b < 0;
	return a < 0 || b < 0;	/* the last NSEC of the chain */
}

/*
 * Usable to deny names below its owner?  Not at a delegation point (NS
 * without SOA) nor at a DNAME: the names below belong elsewhere.
 */
static bool nsec_usable_below(const ldns_rr *nsec, const ldns_rdf *name)
{
	if (!ldns_dname_is_subdomain(name, ldns_rr_owner(nsec)))
		return true;
	if (nsec_has(nsec, LDNS_RR_TYPE_DNAME))
		return false;
	return !(nsec_has(nsec, LDNS_RR_TYPE_NS) && !nsec_has(nsec, LDNS_RR_TYPE_SOA));
}

static const ldns_rr *find_covering(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
		if (nsec_covers(n, name) && nsec_usable_below(n, name))
			return n;
	}
	return NULL;
}

static const ldns_rr *find_matching(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
		if (ldns_dname_compare(ldns_rr_owner(n), name) == 0)
			return n;
	}
	return NULL;
}

/* Number of labels a and b share from the right (the root not counted). */
static unsigned shared_labels(const ldns_rdf *a, const ldns_rdf *b)
{
	unsigned la = ldns_dname_label_count(a), lb = ldns_dname_label_count(b), k = 0;
	while (k < la && k < lb) {
		ldns_rdf *sa = ldns_dname_clone_from(a, (uint16_t)(la - k - 1));
		ldns_rdf *sb = ldns_dname_clone_from(b, (uint16_t)(lb - k - 1));
		bool eq = sa && sb && ldns_dname_compare(sa, sb) == 0;
		ldns_rdf_deep_free(sa);
		ldns_rdf_deep_free(sb);
		if (!eq)
			break;
		k++;
	}
	return k;
}

/*
 * The closest encloser of a name that a covering NSEC denies: the longest
 * ancestor shared with the NSEC's owner or next name.  It must be a proper
 * ancestor of the name (the name does not exist) and at or below the apex;
 * white lies (RFC 4470) may use "\000.name" as the next name, which would
 * otherwise make the name its own encloser.
 */
static ldns_rdf *closest_encloser(const struct dns_validate_keys *ks, const ldns_rr *nsec,
				  const ldns_rdf *name)
{
	unsigned ln = ldns_dname_label_count(name), lz = ldns_dname_label_count(ks->zone);
	unsigned k = shared_labels(name, ldns_rr_owner(nsec));
	unsigned k2 = shared_labels(name, ldns_rr_rdf(nsec, 0));
	if (k2 > k)
		k = k2;
	if (k >= ln)
		k = ln - 1;
	if (k < lz)
		k = lz;
	return ldns_dname_clone_from(name, (uint16_t)(ln - k));
}

/* "*." + ce, or NULL when that name would be too long (then no wildcard can exist). */
static ldns_rdf *wildcard_of(const ldns_rdf *ce)
{
	size_t n = ldns_rdf_size(ce);
	if (n + 2 > LDNS_MAX_DOMAINLEN)
		return NULL;
	uint8_t buf[LDNS_MAX_DOMAINLEN + 2];
	buf[0] = 1;
	buf[1] = '*';
	memcpy(buf + 2, ldns_rdf_data(ce), n);
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, n + 2, buf);
}

int dns_validate__deny_name(const struct dns_validate_keys *ks, const ldns_rr_list *nsecs, const ldns_rdf *name,
		   struct dns_validate_verdict *v)
{
	const ldns_rr *m = find_matching(nsecs, name);
	if (m != NULL) {
		if (nsec_has(m, NXNAME)) {
			v->nxname = true;	/* RFC 9824 compact denial */
			return 0;
		}
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "NXDOMAIN but an NSEC shows the name exists");
		return SP_EBOGUS;
	}
	const ldns_rr *cover = find_covering(nsecs, name);
	if (cover == NULL) {
		dns_validate__bogus(v, DNS_V_EDE_NSEC_MISSING, "NXDOMAIN without an NSEC covering the name");
		return SP_EBOGUS;
	}
	ldns_rdf *ce = closest_encloser(ks, cover, name);
	if (ce == NULL)
		return -ENOMEM;
	ldns_rdf *wc = wildcard_of(ce);
	ldns_rdf_deep_free(ce);
	if (wc == NULL)
		return 0;
	int rc = 0;
	if (find_matching(nsecs, wc) != NULL) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "NXDOMAIN but the wildcard exists");
		rc = SP_EBOGUS;
	} else if (find_covering(nsecs, wc) == NULL) {
		dns_validate__bogus(v, DNS_V_EDE_NSEC_MISSING, "NXDOMAIN without proof that no wildcard exists");
		rc = SP_EBOGUS;
	}
	ldns_rdf_deep_free(wc);
	return rc;
}

int dns_validate__deny_type(const struct dns_validate_keys *ks, const ldns_rr_list *nsecs, const ldns_rdf *name,
		   ldns_rr_type type, struct dns_validate_verdict *v)
{
	const ldns_rr *m = find_matching(nsecs, name);
	if (m != NULL) {
		/* An NSEC at a delegation proves nothing but the missing DS. */
		bool deleg = nsec_has(m, LDNS_RR_TYPE_NS) && !nsec_has(m, LDNS_RR_TYPE_SOA);
		if (nsec_has(m, type) || nsec_has(m, LDNS_RR_TYPE_CNAME) ||
		    (deleg && type != LDNS_RR_TYPE_DS)) {
			dns_validate__bogus(v, DNS_V_EDE_BOGUS, "NODATA but the NSEC lists the type");
			return SP_EBOGUS;
		}
		v->nxname = nsec_has(m, NXNAME);
		return 0;
	}
	const ldns_rr *cover = find_covering(nsecs, name);
	if (cover == NULL) {
		dns_validate__bogus(v, DNS_V_EDE_NSEC_MISSING, "NODATA without an NSEC for the name");
		return SP_EBOGUS;
	}
	/* Empty non-terminal: the next name lies below the name. */
	if (ldns_dname_is_subdomain(ldns_rr_rdf(cover, 0), name))
		return 0;
	/* Wildcard NODATA: the name is covered, the wildcard exists without the type. */
	ldns_rdf *ce = closest_encloser(ks, cover, name);
	if (ce == NULL)
		return -ENOMEM;
	ldns_rdf *wc = wildcard_of(ce);
	ldns_rdf_deep_free(ce);
	const ldns_rr *wm = wc ? find_matching(nsecs, wc) : NULL;
	ldns_rdf_deep_free(wc);
	if (wm != NULL && !nsec_has(wm, type) && !nsec_has(wm, LDNS_RR_TYPE_CNAME))
		return 0;
	dns_validate__bogus(v, DNS_V_EDE_NSEC_MISSING, "NODATA without a matching NSEC");
	return SP_EBOGUS;
}

int dns_validate__deny_closer(const ldns_rr_list *nsecs, const ldns_rdf *name, struct dns_validate_verdict *v)
{
	if (find_covering(nsecs, name) != NULL)
		return 0;
	const ldns_rr *m = find_matching(nsecs, name);
	if (m != NULL && nsec_has(m, NXNAME))
		return 0;
	dns_validate__bogus(v, DNS_V_EDE_NSEC_MISSING, "wildcard answer without proof that the name is absent");
	return SP_EBOGUS;
}
