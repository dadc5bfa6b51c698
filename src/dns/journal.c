/*
 * journal.c - the differences between successive signed versions, kept for
 * IXFR (RFC 1995).  Each entry holds what a secondary must remove and add,
 * signatures and NSEC changes included, so that the zone it ends up with is
 * exactly our new version.  Bounded by DNS_JOURNAL_MAX_RRS: the oldest
 * entries are dropped and IXFR from before them falls back to AXFR.
 */
#include "dns/zone_impl.h"

#include <stdlib.h>
#include <string.h>

static bool rr_same(const ldns_rr *x, const ldns_rr *y)
{
	/* ldns_rr_compare ignores the TTL; a TTL change is a change for the secondary. */
	return ldns_rr_compare(x, y) == 0 && ldns_rr_ttl(x) == ldns_rr_ttl(y);
}

static bool push_clone(ldns_rr_list *l, const ldns_rr *rr);

/* A read-only run of RRs: an RRset's records (from an ldns list) or its signatures. */
struct rr_view {
	const ldns_rr_list *l;
	ldns_rr *const *arr;
	size_t n;
};

static const ldns_rr *view_rr(const struct rr_view *v, size_t i)
{
	return v->l ? ldns_rr_list_rr(v->l, i) : v->arr[i];
}

static struct rr_view view_rrs(const struct dns__rrset *s)
{
	struct rr_view v = { .l = s ? s->rrs : NULL };
	v.n = v.l ? ldns_rr_list_rr_count(v.l) : 0;
	return v;
}

static struct rr_view view_sigs(const struct dns__rrset *s)
{
	return (struct rr_view){ .arr = s ? s->sigs : NULL, .n = s ? s->nsig : 0 };
}

/* Push every RR of a that is not in b (both small: one RRset's RRs or signatures). */
static bool diff_rrs(const struct rr_view *a, const struct rr_view *b, ldns_rr_list *out,
		     const ldns_rr *skip)
{
	for (size_t i = 0; i < a->n; i++) {
		const ldns_rr *x = view_rr(a, i);
		bool found = x == skip;
		for (size_t j = 0; j < b->n && !found; j++)
			found = rr_same(x, view_rr(b, j));
		if (!found && !push_clone(out, x))
			return false;
	}
	return true;
}

/* Differences of one RRset (either side may be NULL or empty) into removed/added. */
static bool diff_set(const struct dns__rrset *a, const struct dns__rrset *b, struct dns__jentry *e,
		     const ldns_rr *old_soa, const ldns_rr *new_soa)
{
	struct rr_view ra = view_rrs(a), rb = view_rrs(b), sa = view_sigs(a), sb = view_sigs(b);
	/* An absent RRset (e.g. the NSEC of an unsigned zone) has no fingerprint at all. */
	bool same_data = a && b && a->canon_len == b->canon_len &&
			 (a->canon_len == 0 || memcmp(a->canon, b->canon, a->canon_len) == 0);
	if (!same_data && (!diff_rrs(&ra, &rb, e->removed, old_soa) ||
			   !diff_rrs(&rb, &ra, e->added, new_soa)))
		return false;
	return diff_rrs(&sa, &sb, e->removed, NULL) && diff_rrs(&sb, &sa, e->added, NULL);
}

/* All RRsets of a node present on one side only, or in both. */
static bool diff_node(const struct dns__node *a, const struct dns__node *b, struct dns__jentry *e,
		      const ldns_rr *old_soa, const ldns_rr *new_soa)
{
	unsigned i = 0, j = 0, na = a ? a->nsets : 0, nb = b ? b->nsets : 0;
	while (i < na || j < nb) {
		const struct dns__rrset *x = NULL, *y = NULL;
		if (j == nb || (i < na && a->sets[i].type < b->sets[j].type))
			x = &a->sets[i++];
		else if (i == na || b->sets[j].type < a->sets[i].type)
			y = &b->sets[j++];
		else
			x = &a->sets[i++], y = &b->sets[j++];
		if (!diff_set(x, y, e, old_soa, new_soa))
			return false;
	}
	return diff_set(a ? &a->nsec : NULL, b ? &b->nsec : NULL, e, NULL, NULL);
}

static void jentry_free(struct dns__jentry *e)
{
	ldns_rr_list_deep_free(e->removed);
	ldns_rr_list_deep_free(e->added);
	free(e);
}

void dns__journal_clear(struct dns_zone *z)
{
	while (z->jhead) {
		struct dns__jentry *e = z->jhead;
		z->jhead = e->next;
		jentry_free(e);
	}
	z->jtail = NULL;
	z->jrrs = 0;
}

static bool push_clone(ldns_rr_list *l, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	return c && ldns_rr_list_push_rr(l, c);
}

int dns__journal_add(struct dns_zone *z, const struct dns__version *old,
		     const struct dns__version *nv)
{
	struct dns__jentry *e = calloc(1, sizeof(*e));
	int rc = -ENOMEM;
	if (e == NULL)
		goto fail;
	e->from = old->serial;
	e->to = nv->serial;
	e->removed = ldns_rr_list_new();
	e->added = ldns_rr_list_new();
	if (e->removed == NULL || e->added == NULL || !push_clone(e->removed, old->soa) ||
	    !push_clone(e->added, nv->soa))
		goto fail;
	/* Both versions are in canonical name order: merge them node by node. */
	size_t i = 0, j = 0;
	while (i < old->nnodes || j < nv->nnodes) {
		const struct dns__node *a = NULL, *b = NULL;
		int c = i == old->nnodes ? 1 : j == nv->nnodes ? -1
				: dns_name_cmp(old->nodes[i].wire, nv->nodes[j].wire);
		if (c <= 0)
			a = &old->nodes[i++];
		if (c >= 0)
			b = &nv->nodes[j++];
		if (!diff_node(a, b, e, old->soa, nv->soa))
			goto fail;
	}
	if (z->jtail)
		z->jtail->next = e;
	else
		z->jhead = e;
	z->jtail = e;
	z->jrrs += ldns_rr_list_rr_count(e->removed) + ldns_rr_list_rr_count(e->added);
	while (z->jhead && z->jrrs > z->jmax) {
		struct dns__jentry *h = z->jhead;
		z->jrrs -= ldns_rr_list_rr_count(h->removed) + ldns_rr_list_rr_count(h->added);
		z->jhead = h->next;
		if (z->jtail == h)
			z->jtail = NULL;
		jentry_free(h);
	}
	return 0;
fail:
	if (e)
		jentry_free(e);
	return rc;
}

int dns_zone_ixfr(const struct dns_zone *z, uint32_t from_serial, ldns_rr_list **out)
{
	if (z->v == NULL)
		return SP_ENOTFOUND;
	const struct dns__jentry *e = z->jhead;
	if (from_serial != z->v->serial) {
		while (e && e->from != from_serial)
			e = e->next;
		if (e == NULL)
			return SP_ENOTFOUND;
	} else {
		e = NULL;
	}
	ldns_rr_list *l = ldns_rr_list_new();
	if (l == NULL || !push_clone(l, z->v->soa))
		goto nomem;
	for (; e; e = e->next) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(e->removed); i++)
			if (!push_clone(l, ldns_rr_list_rr(e->removed, i)))
				goto nomem;
		for (size_t i = 0; i < ldns_rr_list_rr_count(e->added); i++)
			if (!push_clone(l, ldns_rr_list_rr(e->added, i)))
				goto nomem;
	}
	if (from_serial != z->v->serial && !push_clone(l, z->v->soa))
		goto nomem;
	*out = l;
	return 0;
nomem:
	ldns_rr_list_deep_free(l);
	return -ENOMEM;
}
