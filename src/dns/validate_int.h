/*
 * validate_int.h - internals shared by validate.c and validate_nsec.c.
 */
#ifndef DNS_VALIDATE_INT_H
#define DNS_VALIDATE_INT_H

#include "dns/validate.h"

/* Most records per section we look at: bounds the quadratic RRset grouping. */
#define DNS__VAL_MAX_RRS 256
/* Longest CNAME chain we follow inside one answer. */
#define DNS__VAL_MAX_CHAIN 12

/* Set *v to bogus with an EDE code and a formatted reason. */
void dns_validate__bogus(struct dns_validate_verdict *v, int ede, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when name is zone or below it. */
bool dns_validate__in_zone(const ldns_rdf *name, const ldns_rdf *zone);

/* Shallow list of the RRs of sect with this owner and type (NULL on ENOMEM). */
ldns_rr_list *dns_validate__rrset(const ldns_rr_list *sect, const ldns_rdf *owner, ldns_rr_type type);

/*
 * Verify rrset (non-empty, one owner and type) with the RRSIGs for it in sect,
 * signed by zone with one of keys and valid at now.  0 on success (lowers
 * *ttl; *expanded says the owner was synthesised from a wildcard), else
 * SP_EBOGUS with *v filled in, or -ENOMEM.
 */
int dns_validate__verify_rrset(const ldns_rdf *zone, const ldns_rr_list *keys, const ldns_rr_list *rrset,
		      const ldns_rr_list *sect, uint32_t now, struct dns_validate_verdict *v, uint32_t *ttl,
		      bool *expanded);

/*
 * Validated NSEC records of the authority section (shallow list).  Any NSEC
 * in the zone that fails to verify makes the answer bogus (SP_EBOGUS).
 */
int dns_validate__collect_nsecs(const struct dns_validate_keys *ks, const ldns_rr_list *auth, uint32_t now,
		       struct dns_validate_verdict *v, uint32_t *ttl, ldns_rr_list **out);

/* Proof that name does not exist (NXDOMAIN), from validated NSECs. */
int dns_validate__deny_name(const struct dns_validate_keys *ks, const ldns_rr_list *nsecs, const ldns_rdf *name,
		   struct dns_validate_verdict *v);
/* Proof that name has no RRset of type (NODATA), from validated NSECs; sets v->nxname. */
int dns_validate__deny_type(const struct dns_validate_keys *ks, const ldns_rr_list *nsecs, const ldns_rdf *name,
		   ldns_rr_type type, struct dns_validate_verdict *v);
/* Proof that a wildcard expansion to name was right: name itself does not exist. */
int dns_validate__deny_closer(const ldns_rr_list *nsecs, const ldns_rdf *name, struct dns_validate_verdict *v);

#endif
