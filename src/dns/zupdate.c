/*
 * zupdate.c - changesets (RFC 2136 semantics) applied all-or-nothing, and
 * the periodic re-signing of signatures that near expiry.
 */
#include "dns/zone_impl.h"

#include <stdlib.h>
#include <string.h>

enum cs_op { CS_ADD, CS_DEL_RR, CS_DEL_RRSET };

struct cs_item {
	enum cs_op op;
	ldns_rr *rr;		/* ADD, DEL_RR */
	ldns_rdf *owner;	/* DEL_RRSET */
	ldns_rr_type type;
};

struct dns_changeset {
	struct cs_item *items;
	size_t n, cap;
};

/* Bound on one changeset: an UPDATE message cannot carry more than this. */
#define CS_MAX_ITEMS 65535

struct dns_changeset *dns_changeset_new(void)
{
	return calloc(1, sizeof(struct dns_changeset));
}

void dns_changeset_free(struct dns_changeset *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++) {
		ldns_rr_free(cs->items[i].rr);
		ldns_rdf_deep_free(cs->items[i].owner);
	}
	free(cs->items);
	free(cs);
}

size_t dns_changeset_count(const struct dns_changeset *cs) { return cs->n; }

static int cs_push(struct dns_changeset *cs, struct cs_item it)
{
	if (cs->n == cs->cap) {
		if (cs->cap >= CS_MAX_ITEMS)
			return SP_ELIMIT;
		size_t nc = cs->cap ? cs->cap * 2 : 8;
		struct cs_item *ni = realloc(cs->items, nc * sizeof(*ni));
		if (ni == NULL)
			return -ENOMEM;
		cs->items = ni;
		cs->cap = nc;
	}
	cs->items[cs->n++] = it;
	return 0;
}

int dns_changeset_add(struct dns_changeset *cs, ldns_rr *rr)
{
	int rc = cs_push(cs, (struct cs_item){ .op = CS_ADD, .rr = rr });
	if (rc != 0)
		ldns_rr_free(rr);
	return rc;
}

int dns_changeset_del_rr(struct dns_changeset *cs, ldns_rr *rr)
{
	int rc = cs_push(cs, (struct cs_item){ .op = CS_DEL_RR, .rr = rr });
	if (rc != 0)
		ldns_rr_free(rr);
	return rc;
}

int dns_changeset_del_rrset(struct dns_changeset *cs, ldns_rdf *owner, ldns_rr_type type)
{
	if (type == 0)
		type = LDNS_RR_TYPE_ANY;
	int rc = cs_push(cs, (struct cs_item){ .op = CS_DEL_RRSET, .owner = owner, .type = type });
	if (rc != 0)
		ldns_rdf_deep_free(owner);
	return rc;
}

static bool same_owner(const ldns_rr *rr, const ldns_rdf *owner)
{
	return ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

static size_t count_at(const ldns_rr_list *l, const ldns_rdf *owner, ldns_rr_type t)
{
	size_t c = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (same_owner(rr, owner) && (t == LDNS_RR_TYPE_ANY || ldns_rr_get_type(rr) == t))
			c++;
	}
	return c;
}

static void list_remove(ldns_rr_list *l, size_t i)
{
	size_t n = ldns_rr_list_rr_count(l);
	ldns_rr_free(ldns_rr_list_rr(l, i));
	ldns_rr_list_set_rr(l, ldns_rr_list_rr(l, n - 1), i);
	ldns_rr_list_set_rr_count(l, n - 1);
}

/* Apex SOA and apex NS are protected from deletion (RFC 2136 3.4.2.3-4). */
static bool protected_rr(const struct dns_zone *z, const ldns_rr *rr, const ldns_rr_list *l)
{
	if (!same_owner(rr, z->origin))
		return false;
	ldns_rr_type t = ldns_rr_get_type(rr);
	if (t == LDNS_RR_TYPE_SOA || t == LDNS_RR_TYPE_DNSKEY)
		return true;
	return t == LDNS_RR_TYPE_NS && count_at(l, z->origin, LDNS_RR_TYPE_NS) <= 1;
}

static int op_add(struct dns_zone *z, ldns_rr_list *l, const ldns_rr *rr, bool *changed)
{
	ldns_rr_type t = ldns_rr_get_type(rr);
	const ldns_rdf *owner = ldns_rr_owner(rr);
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return SP_EPROTO;
	if (!ldns_dname_is_subdomain(owner, z->origin) && !same_owner(rr, z->origin))
		return SP_EPROTO;
	if (t == LDNS_RR_TYPE_RRSIG || t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3 ||
	    t == LDNS_RR_TYPE_NSEC3PARAM || t == LDNS_RR_TYPE_ANY ||
	    (t == LDNS_RR_TYPE_DNSKEY && same_owner(rr, z->origin)))
		return SP_EPROTO;
	/*
	 * No delegations: an NS below the apex would be signed as data, which
	 * is wrong, and a DS belongs in the parent zone.
	 */
	if ((t == LDNS_RR_TYPE_NS && !same_owner(rr, z->origin)) || t == LDNS_RR_TYPE_DS)
		return SP_EPROTO;
	if (t == LDNS_RR_TYPE_SOA) {
		if (!same_owner(rr, z->origin))
			return SP_EPROTO;
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
			if (ldns_rr_get_type(ldns_rr_list_rr(l, i)) == LDNS_RR_TYPE_SOA) {
				if (ldns_rr_compare(ldns_rr_list_rr(l, i), rr) == 0 &&
				    ldns_rr_ttl(ldns_rr_list_rr(l, i)) == ldns_rr_ttl(rr))
					return 0;
				list_remove(l, i);
				break;
			}
		*changed = true;
		return ldns_rr_list_push_rr(l, ldns_rr_clone(rr)) ? 0 : -ENOMEM;
	}
	size_t here = count_at(l, owner, LDNS_RR_TYPE_ANY);
	size_t cnames = count_at(l, owner, LDNS_RR_TYPE_CNAME);
	if (t == LDNS_RR_TYPE_CNAME ? here > cnames : cnames > 0)
		return SP_EPROTO;	/* CNAME and other data (RFC 1034 3.6.2) */
	bool present = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *x = ldns_rr_list_rr(l, i);
		if (!same_owner(x, owner) || ldns_rr_get_type(x) != t)
			continue;
		/* One TTL per RRset (RFC 2181 5.2): the newest wins. */
		if (ldns_rr_ttl(x) != ldns_rr_ttl(rr)) {
			ldns_rr_set_ttl(x, ldns_rr_ttl(rr));
			*changed = true;
		}
		if (t == LDNS_RR_TYPE_CNAME) {
			list_remove(l, i);	/* a CNAME RRset holds one RR: replace */
			i--;
			*changed = true;
			continue;
		}
		if (ldns_rr_compare(x, rr) == 0)
			present = true;
	}
	if (present)
		return 0;
	*changed = true;
	return ldns_rr_list_push_rr(l, ldns_rr_clone(rr)) ? 0 : -ENOMEM;
}

static void op_del(struct dns_zone *z, ldns_rr_list *l, const struct cs_item *it, bool *changed)
{
	const ldns_rdf *owner = it->rr ? ldns_rr_owner(it->rr) : it->owner;
	ldns_rr_type t = it->rr ? ldns_rr_get_type(it->rr) : it->type;
	for (size_t i = ldns_rr_list_rr_count(l); i-- > 0;) {
		ldns_rr *x = ldns_rr_list_rr(l, i);
		if (!same_owner(x, owner) || (t != LDNS_RR_TYPE_ANY && ldns_rr_get_type(x) != t))
			continue;
		if (it->op == CS_DEL_RR && ldns_rr_compare(x, it->rr) != 0)
			continue;
		/* Deleting the whole apex NS RRset is ignored, not cut down to one RR. */
		if (it->op == CS_DEL_RRSET && ldns_rr_get_type(x) == LDNS_RR_TYPE_NS &&
		    same_owner(x, z->origin))
			continue;
		if (protected_rr(z, x, l))
			continue;
		list_remove(l, i);
		*changed = true;
	}
}

static void set_serial(ldns_rr_list *l, uint32_t serial)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			ldns_rdf_deep_free(ldns_rr_set_rdf(
				rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial), 2));
			return;
		}
	}
}

/* Unixtime when it moves forward, else old + 1 (RFC 1982 arithmetic). */
static uint32_t next_serial(uint32_t old, time_t now)
{
	uint32_t t = (uint32_t)now;
	return dns_serial_gt(t, old) ? t : old + 1;
}

int dns_zone_apply(struct dns_zone *z, const struct dns_changeset *cs, time_t now,
		   uint32_t *new_serial)
{
	if (z->v == NULL)
		return SP_ESTATE;
	ldns_rr_list *l = ldns_rr_list_clone(z->content);
	if (l == NULL)
		return -ENOMEM;
	bool changed = false;
	int rc = 0;
	for (size_t i = 0; i < cs->n && rc == 0; i++) {
		const struct cs_item *it = &cs->items[i];
		if (it->op == CS_ADD)
			rc = op_add(z, l, it->rr, &changed);
		else
			op_del(z, l, it, &changed);
	}
	if (rc == 0 && changed) {
		set_serial(l, next_serial(z->v->serial, now));
		rc = dns__zone_commit(z, l, now, true);
		if (rc == 0)
			l = NULL;
	}
	ldns_rr_list_deep_free(l);
	if (rc == 0 && new_serial)
		*new_serial = z->v->serial;
	return rc;
}

int dns_zone_maintain(struct dns_zone *z, time_t now)
{
	if (z->v == NULL || z->keys.n == 0 ||
	    (int64_t)z->v->min_expire - (int64_t)now > SIG_REFRESH)
		return 0;
	ldns_rr_list *l = ldns_rr_list_clone(z->content);
	if (l == NULL)
		return -ENOMEM;
	uint64_t before = z->st.sigs_made;
	set_serial(l, next_serial(z->v->serial, now));
	int rc = dns__zone_commit(z, l, now, true);
	if (rc != 0) {
		ldns_rr_list_deep_free(l);
		return rc;
	}
	return (int)(z->st.sigs_made - before);
}
