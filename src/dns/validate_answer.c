/*
 * validate_answer.c - an answer from a zone against its validated keys.
 *
 * Positive answers: every RRset in the answer section must be in the zone
 * and signed; the chain from the question through CNAMEs must end in data of
 * the asked type, or in a proven denial.  A wildcard expansion needs proof
 * that the name itself does not exist.  Negative answers need NSEC proofs
 * (validate_nsec.c).  A referral to a child zone is reported insecure: the
 * stub does not follow delegations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/validate.h"
#include "dns/validate_int.h"

/* Is there an earlier RR in sect with the same owner and type as rr i? */
static bool seen_before(const ldns_rr_list *sect, size_t i)
{
	const ldns_rr *rr = ldns_rr_list_rr(sect, i);
	for (size_t j = 0; j < i; j++) {
		const ldns_rr *o = ldns_rr_list_rr(sect, j);
		if (ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
		    ldns_dname_compare(ldns_rr_owner(o), ldns_rr_owner(rr)) == 0)
			return true;
	}
	return false;
}

/* Verify every RRset of the answer section; remember wildcard expansions. */
static int verify_answer_section(const struct dns_validate_keys *ks, const ldns_rr_list *an,
				 uint32_t now, struct dns_validate_verdict *v, uint32_t *ttl,
				 ldns_rr_list *expanded)
{
	size_t n = ldns_rr_list_rr_count(an);
	if (n > DNS__VAL_MAX_RRS) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "too many answer records (%zu)", n);
		return SP_EBOGUS;
	}
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG || seen_before(an, i))
			continue;
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || !dns_validate__in_zone(ldns_rr_owner(rr), ks->zone)) {
			dns_validate__bogus(v, DNS_V_EDE_BOGUS, "answer holds a record outside the zone");
			return SP_EBOGUS;
		}
		ldns_rr_list *set = dns_validate__rrset(an, ldns_rr_owner(rr), ldns_rr_get_type(rr));
		if (set == NULL)
			return -ENOMEM;
		bool exp = false;
		int rc = dns_validate__verify_rrset(ks->zone, ks->keys, set, an, now, v, ttl, &exp);
		ldns_rr_list_free(set);
		if (rc != 0)
			return rc;
		if (exp && !ldns_rr_list_push_rr(expanded, rr))
			return -ENOMEM;
	}
	return 0;
}

/* Is there an RRset (owner, type) in the answer?  ANY matches every type. */
static bool has_rrset(const ldns_rr_list *an, const ldns_rdf *owner, ldns_rr_type type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if ((type == LDNS_RR_TYPE_ANY || ldns_rr_get_type(rr) == type) &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			return true;
	}
	return false;
}

static const ldns_rr *find_cname(const ldns_rr_list *an, const ldns_rdf *owner)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) >= 1 &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0)
			return rr;
	}
	return NULL;
}

/* A referral: NS records below the apex in the authority section, no SOA. */
static bool is_referral(const struct dns_validate_keys *ks, const ldns_rr_list *auth)
{
	bool ns = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			return false;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), ks->zone) != 0 &&
		    dns_validate__in_zone(ldns_rr_owner(rr), ks->zone))
			ns = true;
	}
	return ns;
}

/* Verify the SOA RRset of the authority section, if there is one. */
static int verify_soa(const struct dns_validate_keys *ks, const ldns_rr_list *auth, uint32_t now,
		      struct dns_validate_verdict *v, uint32_t *ttl)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
			continue;
		if (ldns_dname_compare(ldns_rr_owner(rr), ks->zone) != 0) {
			dns_validate__bogus(v, DNS_V_EDE_BOGUS, "SOA in the authority section is not the apex's");
			return SP_EBOGUS;
		}
		ldns_rr_list *set = dns_validate__rrset(auth, ks->zone, LDNS_RR_TYPE_SOA);
		if (set == NULL)
			return -ENOMEM;
		bool exp = false;
		int rc = dns_validate__verify_rrset(ks->zone, ks->keys, set, auth, now, v, ttl, &exp);
		ldns_rr_list_free(set);
		return rc;
	}
	return 0;
}

/*
 * Follow the chain from qname.  Returns the name whose data is missing
 * (to be denied), or NULL when the chain ends in data or leaves the zone.
 */
static const ldns_rdf *walk_chain(const struct dns_validate_keys *ks, const ldns_rr_list *an,
				  const ldns_rdf *qname, ldns_rr_type qtype, struct dns_validate_verdict *v,
				  bool *loop)
{
	const ldns_rdf *cur = qname;
	*loop = false;
	for (int hops = 0; hops < DNS__VAL_MAX_CHAIN; hops++) {
		if (has_rrset(an, cur, qtype))
			return NULL;
		const ldns_rr *cn = qtype == LDNS_RR_TYPE_CNAME ? NULL : find_cname(an, cur);
		if (cn == NULL)
			return cur;
		cur = ldns_rr_rdf(cn, 0);
		if (!dns_validate__in_zone(cur, ks->zone))
			return NULL;	/* the rest is another zone's business */
	}
	*loop = true;
	dns_validate__bogus(v, DNS_V_EDE_BOGUS, "CNAME chain longer than %d", DNS__VAL_MAX_CHAIN);
	return NULL;
}

static int validate(const struct dns_validate_keys *ks, const ldns_pkt *pkt, uint32_t now,
		    struct dns_validate_verdict *v, ldns_rr_list *expanded, ldns_rr_list **nsecs)
{
	if (ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "answer does not have exactly one question");
		return 0;
	}
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	const ldns_rdf *qname = ldns_rr_owner(q);
	ldns_rr_type qtype = ldns_rr_get_type(q);
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(pkt);
	const ldns_rr_list *an = ldns_pkt_answer(pkt), *auth = ldns_pkt_authority(pkt);
	uint32_t ttl = UINT32_MAX;
	bool loop;
	int rc;

	if (ldns_rr_get_class(q) != LDNS_RR_CLASS_IN || !dns_validate__in_zone(qname, ks->zone)) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "question is not for the zone");
		return 0;
	}
	if (qtype == LDNS_RR_TYPE_RRSIG) {
		/* RRSIGs are not signed themselves: nothing here could earn AD. */
		v->sec = DNS_V_INSECURE;
		v->ede = DNS_V_EDE_NONE;
		snprintf(v->reason, sizeof(v->reason), "RRSIG queries are not validated");
		return 0;
	}
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "server answered rcode %d", (int)rcode);
		return 0;
	}
	if (ldns_rr_list_rr_count(auth) > DNS__VAL_MAX_RRS) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "too many authority records");
		return 0;
	}
	rc = verify_answer_section(ks, an, now, v, &ttl, expanded);
	if (rc != 0)
		return rc == SP_EBOGUS ? 0 : rc;

	const ldns_rdf *missing = walk_chain(ks, an, qname, qtype, v, &loop);
	if (loop)
		return 0;
	if (missing == NULL && rcode == LDNS_RCODE_NXDOMAIN) {
		dns_validate__bogus(v, DNS_V_EDE_BOGUS, "NXDOMAIN with an answer");
		return 0;
	}
	if (missing != NULL && rcode == LDNS_RCODE_NOERROR && is_referral(ks, auth)) {
		v->sec = DNS_V_INSECURE;
		v->ede = DNS_V_EDE_NONE;
		v->ttl = 0;
		snprintf(v->reason, sizeof(v->reason), "referral to a child zone (not followed)");
		return 0;
	}
	if (missing != NULL || ldns_rr_list_rr_count(expanded) > 0) {
		rc = dns_validate__collect_nsecs(ks, auth, now, v, &ttl, nsecs);
		if (rc != 0)
			return rc == SP_EBOGUS ? 0 : rc;
	}
	if (missing != NULL) {
		/* The SOA of a negative answer sets how long it is cached: it must verify too. */
		rc = verify_soa(ks, auth, now, v, &ttl);
		if (rc != 0)
			return rc == SP_EBOGUS ? 0 : rc;
		rc = rcode == LDNS_RCODE_NXDOMAIN ? dns_validate__deny_name(ks, *nsecs, missing, v)
						  : dns_validate__deny_type(ks, *nsecs, missing, qtype, v);
		if (rc != 0)
			return rc == SP_EBOGUS ? 0 : rc;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(expanded); i++) {
		rc = dns_validate__deny_closer(*nsecs, ldns_rr_owner(ldns_rr_list_rr(expanded, i)), v);
		if (rc != 0)
			return rc == SP_EBOGUS ? 0 : rc;
	}
	v->sec = DNS_V_SECURE;
	v->ede = DNS_V_EDE_NONE;
	v->ttl = ttl == UINT32_MAX ? 0 : ttl;
	if (missing == NULL || ldns_dname_compare(missing, qname) != 0)
		v->nxname = false;	/* only the question's own name gets NXDOMAIN back */
	v->reason[0] = '\0';
	return 0;
}

int dns_validate_answer_pkt(const struct dns_validate_keys *ks, const ldns_pkt *pkt, uint32_t now,
			    struct dns_validate_verdict *v)
{
	ldns_rr_list *expanded = ldns_rr_list_new(), *nsecs = NULL;
	memset(v, 0, sizeof(*v));
	dns_validate__bogus(v, DNS_V_EDE_BOGUS, "not validated");
	int rc = expanded ? validate(ks, pkt, now, v, expanded, &nsecs) : -ENOMEM;
	ldns_rr_list_free(expanded);
	ldns_rr_list_free(nsecs);
	return rc;
}
