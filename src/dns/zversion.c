/*
 * zversion.c - turning the unsigned content into a signed version: RRsets
 * grouped per name, RRSIGs reused from the previous version when the RRset
 * did not change and its signatures are far from expiry, and the NSEC chain
 * that secondaries receive by AXFR.
 */
#include "dns/zone_impl.h"

#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"

static int rr_owner_type_cmp(const void *a, const void *b)
{
	const ldns_rr *x = *(ldns_rr *const *)a, *y = *(ldns_rr *const *)b;
	int c = ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(y));
	if (c != 0)
		return c;
	uint16_t tx = ldns_rr_get_type(x), ty = ldns_rr_get_type(y);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return ldns_rr_compare(x, y);
}

/* One RR's RDATA bytes, for order-independent comparison. */
struct rd_bytes {
	const uint8_t *p;
	size_t len;
};

static int rd_bytes_cmp(const void *a, const void *b)
{
	const struct rd_bytes *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/*
 * Fingerprint of an RRset for change detection: TTL, then each RR's RDATA
 * exactly as stored (case kept, so that a case change is a change too), in
 * sorted order, length-prefixed.
 */
static int rrset_canon(struct dns__rrset *s)
{
	size_t n = ldns_rr_list_rr_count(s->rrs);
	ldns_buffer *buf = ldns_buffer_new(256);
	size_t *off = calloc(n + 1, sizeof(*off));
	struct rd_bytes *rb = calloc(n ? n : 1, sizeof(*rb));
	int rc = -ENOMEM;
	if (buf == NULL || off == NULL || rb == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		off[i] = ldns_buffer_position(buf);
		if (ldns_rr_rdata2buffer_wire(buf, ldns_rr_list_rr(s->rrs, i)) != LDNS_STATUS_OK) {
			rc = SP_ELDNS;
			goto out;
		}
	}
	off[n] = ldns_buffer_position(buf);
	if (!ldns_buffer_status_ok(buf)) {
		rc = SP_ELDNS;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rb[i].p = ldns_buffer_begin(buf) + off[i];
		rb[i].len = off[i + 1] - off[i];
	}
	qsort(rb, n, sizeof(*rb), rd_bytes_cmp);
	s->canon_len = 4 + off[n] + 2 * n;
	s->canon = malloc(s->canon_len);
	if (s->canon == NULL)
		goto out;
	uint32_t ttl = ldns_rr_ttl(ldns_rr_list_rr(s->rrs, 0));
	uint8_t *p = s->canon;
	*p++ = (uint8_t)(ttl >> 24), *p++ = (uint8_t)(ttl >> 16), *p++ = (uint8_t)(ttl >> 8), *p++ = (uint8_t)ttl;
	for (size_t i = 0; i < n; i++) {
		*p++ = (uint8_t)(rb[i].len >> 8);
		*p++ = (uint8_t)rb[i].len;
		memcpy(p, rb[i].p, rb[i].len);
		p += rb[i].len;
	}
	rc = 0;
out:
	free(rb);
	free(off);
	ldns_buffer_free(buf);
	return rc;
}

static void rrset_deinit(struct dns__rrset *s)
{
	ldns_rr_list_deep_free(s->rrs);
	for (unsigned i = 0; i < s->nsig; i++)
		ldns_rr_free(s->sigs[i]);
	free(s->canon);
	free(s->blob);
	memset(s, 0, sizeof(*s));
}

static const struct dns__rrset *node_find_set(const struct dns__node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	return NULL;
}

/* Sign s (or copy the signatures of the identical old RRset). */
static int rrset_sign(struct dns_zone *z, struct dns__rrset *s, const struct dns__rrset *old,
		      bool apex, time_t now)
{
	int rc = rrset_canon(s);
	if (rc != 0)
		return rc;
	if (z->keys.n == 0)
		return 0;
	if (old && old->nsig > 0 && old->canon_len == s->canon_len &&
	    memcmp(old->canon, s->canon, s->canon_len) == 0 &&
	    (int64_t)old->sig_expire - (int64_t)now > SIG_REFRESH) {
		for (unsigned i = 0; i < old->nsig; i++)
			s->sigs[i] = ldns_rr_clone(old->sigs[i]);
		s->nsig = old->nsig;
		s->sig_expire = old->sig_expire;
		return 0;
	}
	s->sig_expire = (uint32_t)(now + SIG_LIFETIME);
	for (unsigned k = 0; k < z->keys.n; k++) {
		/* Only the apex key set is the KSK's; a DNSKEY below the apex (device keys are KEY
		 * records now, hostkey.h) or a KEY RRset is ordinary data, signed by the ZSK. */
		bool use = apex && s->type == LDNS_RR_TYPE_DNSKEY ? dns_key_signs_dnskey(&z->keys, k)
								 : dns_key_signs_zone(&z->keys, k);
		if (!use)
			continue;
		rc = dns_sign_rrset(&z->keys.key[k], s->rrs, now, &s->sigs[s->nsig]);
		if (rc != 0)
			return rc;
		s->nsig++;
		z->st.sigs_made++;
	}
	return 0;
}

static void node_deinit(struct dns__node *n)
{
	for (unsigned i = 0; i < n->nsets; i++)
		rrset_deinit(&n->sets[i]);
	free(n->sets);
	rrset_deinit(&n->nsec);
	for (unsigned i = 0; i < n->ndeny; i++)
		free(n->deny_sig[i]);
	ldns_rdf_deep_free(n->owner);
}

void dns__version_free(struct dns__version *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nnodes; i++)
		node_deinit(&v->nodes[i]);
	free(v->nodes);
	free(v);
}

const struct dns__node *dns__version_find(const struct dns__version *v, const uint8_t *name,
					  size_t *ins)
{
	size_t lo = 0, hi = v ? v->nnodes : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = dns_name_cmp(v->nodes[mid].wire, name);
		if (c == 0) {
			if (ins)
				*ins = mid;
			return &v->nodes[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ins)
		*ins = lo;
	return NULL;
}

/* The chain NSEC at node i (next = following name, wrapping to the apex). */
static int node_nsec(struct dns_zone *z, struct dns__version *v, size_t i,
		     const struct dns__version *old, time_t now)
{
	struct dns__node *n = &v->nodes[i];
	ldns_rr *nsec = ldns_rr_new();
	if (nsec == NULL)
		return -ENOMEM;
	ldns_rr_set_type(nsec, LDNS_RR_TYPE_NSEC);
	ldns_rr_set_owner(nsec, ldns_rdf_clone(n->owner));
	ldns_rr_set_ttl(nsec, v->neg_ttl);
	ldns_rr_set_class(nsec, LDNS_RR_CLASS_IN);
	ldns_rr_push_rdf(nsec, ldns_rdf_clone(v->nodes[(i + 1) % v->nnodes].owner));
	uint16_t types[64];
	size_t nt = 0;
	bool rrsig_done = false, nsec_done = false;
	for (unsigned k = 0; k < n->nsets && nt < 60; k++) {
		uint16_t t = n->sets[k].type;
		if (!rrsig_done && t > LDNS_RR_TYPE_RRSIG) {
			types[nt++] = LDNS_RR_TYPE_RRSIG;
			rrsig_done = true;
		}
		if (!nsec_done && t > LDNS_RR_TYPE_NSEC) {
			types[nt++] = LDNS_RR_TYPE_NSEC;
			nsec_done = true;
		}
		types[nt++] = t;
	}
	if (!rrsig_done)
		types[nt++] = LDNS_RR_TYPE_RRSIG;
	if (!nsec_done)
		types[nt++] = LDNS_RR_TYPE_NSEC;
	uint8_t bm[64 * 34];
	size_t bl = dns_nsec_bitmap(types, nt, bm, sizeof(bm));
	ldns_rr_push_rdf(nsec, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_BITMAP, bl, bm));
	n->nsec.type = LDNS_RR_TYPE_NSEC;
	n->nsec.rrs = ldns_rr_list_new();
	if (n->nsec.rrs == NULL) {
		ldns_rr_free(nsec);
		return -ENOMEM;
	}
	ldns_rr_list_push_rr(n->nsec.rrs, nsec);
	const struct dns__node *on = old ? dns__version_find(old, n->wire, NULL) : NULL;
	return rrset_sign(z, &n->nsec, on ? &on->nsec : NULL, false, now);
}

/* Carry the lazily made NODATA signatures over when the node's types did not change. */
static void node_carry_denial(struct dns__node *n, const struct dns__node *on, time_t now)
{
	if (on == NULL || on->ndeny == 0 || on->nsets != n->nsets ||
	    (int64_t)on->deny_expire - (int64_t)now <= SIG_REFRESH)
		return;
	for (unsigned k = 0; k < n->nsets; k++)
		if (on->sets[k].type != n->sets[k].type ||
		    ldns_rr_ttl(ldns_rr_list_rr(on->sets[k].rrs, 0)) !=
			    ldns_rr_ttl(ldns_rr_list_rr(n->sets[k].rrs, 0)))
			return;
	for (unsigned k = 0; k < on->ndeny; k++) {
		n->deny_sig[k] = malloc(on->deny_sig_len[k]);
		if (n->deny_sig[k] == NULL)
			break;
		memcpy(n->deny_sig[k], on->deny_sig[k], on->deny_sig_len[k]);
		n->deny_sig_len[k] = on->deny_sig_len[k];
		n->ndeny = k + 1;
	}
	n->deny_expire = on->deny_expire;
}

int dns__version_build(struct dns_zone *z, const struct dns__version *old, time_t now,
		       struct dns__version **out)
{
	size_t n = ldns_rr_list_rr_count(z->content);
	ldns_rr **rrs = malloc((n ? n : 1) * sizeof(*rrs));
	struct dns__version *v = calloc(1, sizeof(*v));
	int rc = -ENOMEM;
	if (rrs == NULL || v == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		rrs[i] = ldns_rr_list_rr(z->content, i);
	qsort(rrs, n, sizeof(*rrs), rr_owner_type_cmp);
	v->nodes = calloc(n ? n : 1, sizeof(*v->nodes));
	if (v->nodes == NULL)
		goto fail;

	for (size_t i = 0; i < n;) {
		struct dns__node *nd = &v->nodes[v->nnodes++];
		nd->owner = ldns_rdf_clone(ldns_rr_owner(rrs[i]));
		if (nd->owner == NULL)
			goto fail;
		ldns_dname2canonical(nd->owner);
		nd->wire = ldns_rdf_data(nd->owner);
		size_t j = i;
		while (j < n && ldns_dname_compare(ldns_rr_owner(rrs[j]), nd->owner) == 0)
			j++;
		nd->sets = calloc(j - i, sizeof(*nd->sets));
		if (nd->sets == NULL)
			goto fail;
		while (i < j) {
			struct dns__rrset *s = &nd->sets[nd->nsets++];
			s->type = ldns_rr_get_type(rrs[i]);
			s->rrs = ldns_rr_list_new();
			if (s->rrs == NULL)
				goto fail;
			for (; i < j && ldns_rr_get_type(rrs[i]) == s->type; i++)
				ldns_rr_list_push_rr(s->rrs, ldns_rr_clone(rrs[i]));
			v->nrrsets++;
		}
	}
	/* The apex sorts first; it must hold the SOA. */
	const struct dns__rrset *soa = v->nnodes ? node_find_set(&v->nodes[0], LDNS_RR_TYPE_SOA) : NULL;
	if (soa == NULL || ldns_dname_compare(v->nodes[0].owner, z->origin) != 0) {
		rc = SP_ECONFIG;
		goto fail;
	}
	v->soa = ldns_rr_list_rr(soa->rrs, 0);
	v->serial = ldns_rdf2native_int32(ldns_rr_rdf(v->soa, 2));
	uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(v->soa, 6));
	v->neg_ttl = ldns_rr_ttl(v->soa) < minimum ? ldns_rr_ttl(v->soa) : minimum;

	v->min_expire = UINT32_MAX;
	for (size_t i = 0; i < v->nnodes; i++) {
		struct dns__node *nd = &v->nodes[i];
		const struct dns__node *on = old ? dns__version_find(old, nd->wire, NULL) : NULL;
		for (unsigned k = 0; k < nd->nsets; k++) {
			const struct dns__rrset *os = on ? node_find_set(on, nd->sets[k].type) : NULL;
			rc = rrset_sign(z, &nd->sets[k], os, i == 0, now);
			if (rc != 0)
				goto fail;
			if (nd->sets[k].nsig && nd->sets[k].sig_expire < v->min_expire)
				v->min_expire = nd->sets[k].sig_expire;
		}
		if (z->keys.n > 0) {
			rc = node_nsec(z, v, i, old, now);
			if (rc != 0)
				goto fail;
			if (nd->nsec.sig_expire < v->min_expire)
				v->min_expire = nd->nsec.sig_expire;
			node_carry_denial(nd, on, now);
		}
	}
	free(rrs);
	*out = v;
	return 0;
fail:
	free(rrs);
	dns__version_free(v);
	return rc;
}

ldns_rr_list *dns__version_rrs(const struct dns__version *v)
{
	ldns_rr_list *l = ldns_rr_list_new();
	for (size_t i = 0; l && i < v->nnodes; i++) {
		const struct dns__node *nd = &v->nodes[i];
		for (unsigned k = 0; k < nd->nsets; k++) {
			ldns_rr_list_push_rr_list(l, nd->sets[k].rrs);
			for (unsigned s = 0; s < nd->sets[k].nsig; s++)
				ldns_rr_list_push_rr(l, nd->sets[k].sigs[s]);
		}
		if (nd->nsec.rrs) {
			ldns_rr_list_push_rr_list(l, nd->nsec.rrs);
			for (unsigned s = 0; s < nd->nsec.nsig; s++)
				ldns_rr_list_push_rr(l, nd->nsec.sigs[s]);
		}
	}
	return l;
}
