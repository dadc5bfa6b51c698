/*
 * update.c - RFC 2136 dynamic UPDATE: TSIG first, then the zone section,
 * the prerequisites (3.2), the update section prescan (3.4.1), and one
 * all-or-nothing changeset for the engine (3.4.2).
 */
#include "dns/update.h"

#include <string.h>

#include <ldns/ldns.h>

#include "core/log.h"
#include "dns/acl.h"
#include "dns/msgscan.h"
#include "dns/zone.h"

enum {
	RC_NOERROR = 0, RC_FORMERR = 1, RC_SERVFAIL = 2, RC_NXDOMAIN = 3, RC_NOTIMP = 4,
	RC_REFUSED = 5, RC_YXDOMAIN = 6, RC_YXRRSET = 7, RC_NXRRSET = 8, RC_NOTAUTH = 9,
	RC_NOTZONE = 10,
};

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

static bool in_zone(const struct dns_zone *z, const ldns_rdf *name)
{
	const ldns_rdf *o = dns_zone_origin(z);
	return ldns_dname_compare(name, o) == 0 || ldns_dname_is_subdomain(name, o);
}

static bool is_meta(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_ANY || t == LDNS_RR_TYPE_AXFR || t == LDNS_RR_TYPE_IXFR ||
	       t == LDNS_RR_TYPE_MAILA || t == LDNS_RR_TYPE_MAILB || t == LDNS_RR_TYPE_TSIG ||
	       t == LDNS_RR_TYPE_OPT || t == LDNS_RR_TYPE_TKEY;
}

/* Types whose data the engine owns: serial and DNSSEC (policy of update.h). */
static bool is_engine_owned(const struct dns_zone *z, const ldns_rr *rr)
{
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAMS:
	case LDNS_RR_TYPE_CDS:
	case LDNS_RR_TYPE_CDNSKEY:
		return true;
	case LDNS_RR_TYPE_DNSKEY:
	case LDNS_RR_TYPE_ANY:
		/* DNSKEY at the apex is the zone's keys; "delete all" there would hit them. */
		return ldns_dname_compare(ldns_rr_owner(rr), dns_zone_origin(z)) == 0;
	default:
		return false;
	}
}

/* Compare two RRsets as sets of RDATA (TTL ignored), RFC 2136 3.2.3. */
static bool same_set(const ldns_rr_list *a, const ldns_rr_list *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const ldns_rr_list *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < ldns_rr_list_rr_count(x); i++) {
			bool found = false;
			for (size_t j = 0; j < ldns_rr_list_rr_count(y) && !found; j++)
				found = ldns_rr_compare(ldns_rr_list_rr(x, i),
							ldns_rr_list_rr(y, j)) == 0;
			if (!found)
				return false;
		}
	}
	return true;
}

/* The value-dependent prerequisites: every (name, type) group must match exactly. */
static int check_rrsets(const struct dns_zone *z, const ldns_rr_list *temp)
{
	size_t n = ldns_rr_list_rr_count(temp);
	int rc = RC_NOERROR;
	for (size_t i = 0; i < n && rc == RC_NOERROR; i++) {
		const ldns_rr *r = ldns_rr_list_rr(temp, i);
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const ldns_rr *p = ldns_rr_list_rr(temp, k);
			seen = ldns_rr_get_type(p) == ldns_rr_get_type(r) &&
			       ldns_dname_compare(ldns_rr_owner(p), ldns_rr_owner(r)) == 0;
		}
		if (seen)
			continue;
		ldns_rr_list *want = ldns_rr_list_new(), *have = NULL;
		if (want == NULL)
			return RC_SERVFAIL;
		for (size_t k = i; k < n; k++) {
			ldns_rr *p = ldns_rr_list_rr(temp, k);
			if (ldns_rr_get_type(p) == ldns_rr_get_type(r) &&
			    ldns_dname_compare(ldns_rr_owner(p), ldns_rr_owner(r)) == 0)
				ldns_rr_list_push_rr(want, p);
		}
		if (dns_zone_lookup(z, ldns_rr_owner(r), ldns_rr_get_type(r), &have) != 0 ||
		    !same_set(want, have))
			rc = RC_NXRRSET;
		ldns_rr_list_free(want);	/* shallow: the RRs belong to temp */
		ldns_rr_list_deep_free(have);
	}
	return rc;
}

/* RFC 2136 3.2: the prerequisite section (ldns's answer section). */
static int check_prereqs(const struct dns_zone *z, const ldns_rr_list *pre)
{
	ldns_rr_list *temp = ldns_rr_list_new();
	int rc = RC_NOERROR;
	if (temp == NULL)
		return RC_SERVFAIL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(pre) && rc == RC_NOERROR; i++) {
		ldns_rr *rr = ldns_rr_list_rr(pre, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);
		ldns_rr_type type = ldns_rr_get_type(rr);
		ldns_rr_class cls = ldns_rr_get_class(rr);
		if (ldns_rr_ttl(rr) != 0) {
			rc = RC_FORMERR;
		} else if (!in_zone(z, owner)) {
			rc = RC_NOTZONE;
		} else if (cls == LDNS_RR_CLASS_ANY || cls == LDNS_RR_CLASS_NONE) {
			bool exists;
			if (ldns_rr_rd_count(rr) != 0) {
				rc = RC_FORMERR;
				break;
			}
			if (type == LDNS_RR_TYPE_ANY)
				exists = dns_zone_name_exists(z, owner);
			else
				exists = dns_zone_lookup(z, owner, type, NULL) == 0;
			if (cls == LDNS_RR_CLASS_ANY && !exists)
				rc = type == LDNS_RR_TYPE_ANY ? RC_NXDOMAIN : RC_NXRRSET;
			else if (cls == LDNS_RR_CLASS_NONE && exists)
				rc = type == LDNS_RR_TYPE_ANY ? RC_YXDOMAIN : RC_YXRRSET;
		} else if (cls == LDNS_RR_CLASS_IN) {
			if (is_meta(type))
				rc = RC_FORMERR;
			else
				ldns_rr_list_push_rr(temp, rr);
		} else {
			rc = RC_FORMERR;
		}
	}
	if (rc == RC_NOERROR)
		rc = check_rrsets(z, temp);
	ldns_rr_list_free(temp);
	return rc;
}

/* RFC 2136 3.4.1 prescan, then our policy; builds the changeset as it goes. */
static int prescan_updates(const struct dns_zone *z, const ldns_rr_list *ups,
			   struct dns_changeset *cs)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(ups); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ups, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		ldns_rr_class cls = ldns_rr_get_class(rr);
		if (!in_zone(z, ldns_rr_owner(rr)))
			return RC_NOTZONE;
		if (cls == LDNS_RR_CLASS_IN) {
			if (is_meta(type))
				return RC_FORMERR;
		} else if (cls == LDNS_RR_CLASS_ANY) {
			if (ldns_rr_ttl(rr) != 0 || ldns_rr_rd_count(rr) != 0 ||
			    (is_meta(type) && type != LDNS_RR_TYPE_ANY))
				return RC_FORMERR;
		} else if (cls == LDNS_RR_CLASS_NONE) {
			if (ldns_rr_ttl(rr) != 0 || is_meta(type))
				return RC_FORMERR;
		} else {
			return RC_FORMERR;
		}
		if (is_engine_owned(z, rr))
			return RC_REFUSED;

		int err;
		if (cls == LDNS_RR_CLASS_ANY) {
			ldns_rdf *owner = ldns_rdf_clone(ldns_rr_owner(rr));
			if (owner == NULL)
				return RC_SERVFAIL;
			err = dns_changeset_del_rrset(cs, owner, type);
		} else {
			ldns_rr *c = ldns_rr_clone(rr);
			if (c == NULL)
				return RC_SERVFAIL;
			ldns_rr_set_class(c, LDNS_RR_CLASS_IN);
			err = cls == LDNS_RR_CLASS_IN ? dns_changeset_add(cs, c)
						      : dns_changeset_del_rr(cs, c);
		}
		if (err != 0)
			return RC_SERVFAIL;
	}
	return RC_NOERROR;
}

/* Process a request whose TSIG verified: returns the RCODE. */
static int process(struct dns_zone *z, const uint8_t *req, size_t len, uint64_t now,
		   bool *changed, const char *who)
{
	ldns_pkt *p = NULL;
	int rc;
	if (ldns_wire2pkt(&p, req, len) != LDNS_STATUS_OK)
		return RC_FORMERR;
	const ldns_rr_list *zs = ldns_pkt_question(p);
	const ldns_rr_list *pre = ldns_pkt_answer(p), *ups = ldns_pkt_authority(p);
	if (ldns_rr_list_rr_count(zs) != 1 ||
	    ldns_rr_get_type(ldns_rr_list_rr(zs, 0)) != LDNS_RR_TYPE_SOA) {
		rc = RC_FORMERR;
		goto out;
	}
	const ldns_rr *zrr = ldns_rr_list_rr(zs, 0);
	if (ldns_rr_get_class(zrr) != LDNS_RR_CLASS_IN ||
	    ldns_dname_compare(ldns_rr_owner(zrr), dns_zone_origin(z)) != 0) {
		rc = RC_NOTAUTH;	/* 3.1.1: not a zone we are authoritative for */
		goto out;
	}
	if (ldns_rr_list_rr_count(pre) + ldns_rr_list_rr_count(ups) > DNS_UPDATE_MAX_RRS) {
		rc = RC_REFUSED;
		goto out;
	}
	if ((rc = check_prereqs(z, pre)) != RC_NOERROR)
		goto out;

	struct dns_changeset *cs = dns_changeset_new();
	if (cs == NULL) {
		rc = RC_SERVFAIL;
		goto out;
	}
	rc = prescan_updates(z, ups, cs);
	if (rc == RC_NOERROR && dns_changeset_count(cs) > 0) {
		uint32_t old = dns_zone_serial(z), serial = old;
		int err = dns_zone_apply(z, cs, (time_t)now, &serial);
		if (err == SP_EPROTO) {
			rc = RC_REFUSED;
		} else if (err != 0) {
			sp_warn("dns: UPDATE from %s: %s", who, sp_strerror(err));
			rc = RC_SERVFAIL;
		} else if (serial != old) {
			*changed = true;
			sp_info("dns: UPDATE from %s: %zu change(s), serial %u -> %u", who,
				dns_changeset_count(cs), old, serial);
		}
	}
	dns_changeset_free(cs);
out:
	ldns_pkt_free(p);
	return rc;
}

int dns_update_handle(struct dns_zone *z, const uint8_t *req, size_t len,
		      const struct sockaddr *from, const struct dns_tsig_key *key,
		      uint64_t now_wall, uint8_t *out, size_t cap, size_t *out_len,
		      bool *changed)
{
	struct dns__scan sc;
	struct dns_tsig_state st;
	char who[80];
	int rc;

	*out_len = 0;
	*changed = false;
	/* Too short, or an answer: drop, never answer an answer. */
	if (len < DNS_HEADER_LEN || (req[2] & 0x80))
		return SP_EMALFORMED;
	dns_acl_addr_str(from, who, sizeof(who));
	if (dns__msg_scan(req, len, &sc) != 0) {
		if (dns__reply_start(req, DNS_HEADER_LEN, 0, RC_FORMERR, out, cap, out_len) != 0)
			return SP_ETRUNC;
		return SP_EMALFORMED;
	}

	/*
	 * Anyone can send junk: refusals before the MAC verified are logged
	 * rate-limited (sp_log_rl), so that a flood cannot flood the log.  What
	 * an authenticated client did is logged at info.
	 */
	int terr = dns_tsig_verify(req, len, key, key ? 1 : 0, now_wall, &st);
	if (terr == SP_EMALFORMED) {
		rc = RC_FORMERR;
		st.present = false;
	} else if (terr == SP_EAUTH) {
		rc = RC_NOTAUTH;
		sp_log_rl(SP_LOG_NOTICE, "dns: UPDATE from %s refused: TSIG error %u", who, st.error);
	} else if (terr != 0) {
		rc = RC_SERVFAIL;
	} else if (!st.present || key == NULL) {
		rc = RC_REFUSED;
		sp_log_rl(SP_LOG_NOTICE, "dns: UPDATE from %s refused: not signed with the zone's TSIG key",
			  who);
	} else if (dns_tsig_replay_check(key, &st, now_wall) != 0) {
		/* A signed request seen before (RFC 8945 5.2.3 spirit): as a time error. */
		rc = RC_NOTAUTH;
		sp_log_rl(SP_LOG_NOTICE, "dns: UPDATE from %s refused: replay of a signed request",
			  who);
	} else if (((req[2] >> 3) & 0x0f) != DNS_OPCODE_UPDATE) {
		rc = RC_NOTIMP;
	} else {
		rc = process(z, req, len, now_wall, changed, who);
		if (rc != RC_NOERROR)
			sp_info("dns: UPDATE from %s: %s", who, rcode_names[rc]);
	}

	uint16_t qd = sc.qdcount == 1 ? 1 : 0;
	int err = dns__reply_start(req, qd ? sc.question_end : DNS_HEADER_LEN, qd, (uint8_t)rc, out,
				   cap, out_len);
	if (err == 0)
		err = dns_tsig_sign(out, out_len, cap, &st, now_wall);
	if (err != 0) {
		*out_len = 0;
		return err;
	}
	return 0;
}
