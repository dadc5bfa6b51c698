/* zone.c - zone lifecycle, loading, reading and the AXFR view. */
#include "dns/zone_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "dns/query.h"

int dns_zone_new(struct dns_zone **out, const char *origin, struct dns_keyset *keys)
{
	if (sodium_init() < 0)
		return SP_ECRYPTO;
	struct dns_zone *z = calloc(1, sizeof(*z));
	if (z == NULL)
		return -ENOMEM;
	randombytes_buf(z->acache_key, sizeof(z->acache_key));
	if (ldns_str2rdf_dname(&z->origin, origin) != LDNS_STATUS_OK ||
	    ldns_rdf_size(z->origin) > DNS_NAME_MAXLEN) {
		free(z);
		return SP_ECONFIG;
	}
	ldns_dname2canonical(z->origin);
	memcpy(z->origin_wire, ldns_rdf_data(z->origin), ldns_rdf_size(z->origin));
	if (keys) {
		z->keys = *keys;
		memset(keys, 0, sizeof(*keys));	/* ownership moved: no second wipe/free */
	}
	z->udp_payload = DNS_UDP_PAYLOAD_DEFAULT;
	z->denial_rate = 2000;
	z->jmax = DNS_JOURNAL_MAX_RRS;
	*out = z;
	return 0;
}

void dns_zone_free(struct dns_zone *z)
{
	if (z == NULL)
		return;
	dns__acache_flush(z);
	free(z->acache);
	sp_rl_deinit(&z->shares);
	free(z->scratch);
	dns__journal_clear(z);
	dns__version_free(z->v);
	ldns_rr_list_deep_free(z->content);
	dns_keyset_deinit(&z->keys);
	ldns_rdf_deep_free(z->origin);
	free(z);
}

const ldns_rdf *dns_zone_origin(const struct dns_zone *z) { return z->origin; }
const uint8_t *dns_zone_origin_wire(const struct dns_zone *z) { return z->origin_wire; }
uint32_t dns_zone_serial(const struct dns_zone *z) { return z->v ? z->v->serial : 0; }
const ldns_rr *dns_zone_soa(const struct dns_zone *z) { return z->v ? z->v->soa : NULL; }
const struct dns_keyset *dns_zone_keys(const struct dns_zone *z) { return &z->keys; }

bool dns_zone_contains(const struct dns_zone *z, const uint8_t *name)
{
	return dns_name_is_sub(name, z->origin_wire);
}

void dns_zone_set_listener(struct dns_zone *z, dns_zone_listener cb, void *arg)
{
	z->listener = cb;
	z->listener_arg = arg;
}

void dns_zone_set_udp_payload(struct dns_zone *z, uint16_t payload)
{
	z->udp_payload = payload < DNS_UDP_PAYLOAD_NOEDNS ? DNS_UDP_PAYLOAD_NOEDNS : payload;
	dns__acache_flush(z);
}

void dns_zone_set_denial_rate(struct dns_zone *z, uint32_t per_second)
{
	z->denial_rate = per_second ? per_second : 1;
	z->bucket_ready = false;
	sp_rl_deinit(&z->shares);	/* the shares follow the new rate */
}

void dns_zone_set_journal_limit(struct dns_zone *z, size_t max_rrs)
{
	z->jmax = max_rrs;
}

void dns_zone_stats(const struct dns_zone *z, struct dns_zone_stats *st)
{
	*st = z->st;
	st->serial = dns_zone_serial(z);
	st->names = z->v ? (uint32_t)z->v->nnodes : 0;
	st->rrsets = z->v ? (uint32_t)z->v->nrrsets : 0;
}

/* Types that only we make; never taken from a file or an UPDATE. */
static bool type_is_ours(const struct dns_zone *z, const ldns_rr *rr)
{
	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAM:
		return true;
	case LDNS_RR_TYPE_DNSKEY:
		return ldns_dname_compare(ldns_rr_owner(rr), z->origin) == 0;
	default:
		return false;
	}
}

/* Swap in a freshly built version; journal it when it follows a previous one. */
int dns__zone_commit(struct dns_zone *z, ldns_rr_list *content, time_t now, bool journal)
{
	ldns_rr_list *old_content = z->content;
	struct dns__version *nv = NULL;
	z->content = content;
	int rc = dns__version_build(z, z->v, now, &nv);
	if (rc == 0 && journal && z->v)
		rc = dns__journal_add(z, z->v, nv);
	if (rc != 0) {
		z->content = old_content;
		dns__version_free(nv);
		return rc;
	}
	if (!journal)
		dns__journal_clear(z);
	uint32_t old_serial = z->v ? z->v->serial : 0;
	bool had = z->v != NULL;
	dns__version_free(z->v);
	ldns_rr_list_deep_free(old_content);
	z->v = nv;
	dns__acache_flush(z);
	if (had && old_serial != nv->serial) {
		z->st.changes++;
		if (z->listener)
			z->listener(z->listener_arg, old_serial, nv->serial);
	}
	return 0;
}

static int zone_load_fp(struct dns_zone *z, FILE *f, const char *what, time_t now)
{
	ldns_zone *lz = NULL;
	int line = 0;
	ldns_status st = ldns_zone_new_frm_fp_l(&lz, f, z->origin, 3600, LDNS_RR_CLASS_IN, &line);
	if (st != LDNS_STATUS_OK) {
		sp_err("%s:%d: %s", what, line, ldns_get_errorstr_by_id(st));
		return SP_ELDNS;
	}
	ldns_rr_list *content = ldns_rr_list_new();
	int rc = SP_ECONFIG;
	ldns_rr *soa = ldns_zone_soa(lz);
	if (content == NULL || soa == NULL ||
	    ldns_dname_compare(ldns_rr_owner(soa), z->origin) != 0) {
		sp_err("%s: no SOA record for the zone origin", what);
		goto out;
	}
	ldns_rr_list_push_rr(content, ldns_rr_clone(soa));
	bool has_ns = false;
	ldns_rr_list *rrs = ldns_zone_rrs(lz);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		if (!ldns_dname_is_subdomain(ldns_rr_owner(rr), z->origin) &&
		    ldns_dname_compare(ldns_rr_owner(rr), z->origin) != 0) {
			char *o = ldns_rdf2str(ldns_rr_owner(rr));
			sp_err("%s: %s is outside the zone", what, o ? o : "?");
			free(o);
			goto out;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA || type_is_ours(z, rr))
			continue;
		if ((ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		     ldns_dname_compare(ldns_rr_owner(rr), z->origin) != 0) ||
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS) {
			char *o = ldns_rdf2str(ldns_rr_owner(rr));
			sp_err("%s: %s: delegations (NS/DS below the apex) are not supported", what,
			       o ? o : "?");
			free(o);
			goto out;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), z->origin) == 0)
			has_ns = true;
		ldns_rr_list_push_rr(content, ldns_rr_clone(rr));
	}
	if (!has_ns) {
		sp_err("%s: no NS record at the zone apex", what);
		goto out;
	}
	for (unsigned k = 0; k < z->keys.n; k++)
		ldns_rr_list_push_rr(content, ldns_rr_clone(z->keys.key[k].dnskey));
	/* A reload must still move the serial forward for the secondaries. */
	if (z->v) {
		ldns_rr *s = ldns_rr_list_rr(content, 0);
		uint32_t fs = ldns_rdf2native_int32(ldns_rr_rdf(s, 2));
		if (!dns_serial_gt(fs, z->v->serial))
			ldns_rdf_deep_free(ldns_rr_set_rdf(s, ldns_native2rdf_int32(
				LDNS_RDF_TYPE_INT32, z->v->serial + 1), 2));
	}
	rc = dns__zone_commit(z, content, now, false);
	if (rc == 0)
		content = NULL;
	else
		sp_err("%s: cannot build the signed zone: %s", what, sp_strerror(rc));
out:
	ldns_rr_list_deep_free(content);
	ldns_zone_deep_free(lz);
	return rc;
}

int dns_zone_load_file(struct dns_zone *z, const char *path, time_t now)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		int e = errno;
		sp_err("%s: %s", path, strerror(e));
		return -e;
	}
	int rc = zone_load_fp(z, f, path, now);
	fclose(f);
	return rc;
}

int dns_zone_load_text(struct dns_zone *z, const char *text, time_t now)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	if (f == NULL)
		return -errno;
	int rc = zone_load_fp(z, f, "zone text", now);
	fclose(f);
	return rc;
}

int dns_zone_lookup(const struct dns_zone *z, const ldns_rdf *owner, ldns_rr_type type,
		    ldns_rr_list **out)
{
	if (out)
		*out = NULL;
	if (z->v == NULL || ldns_rdf_size(owner) > DNS_NAME_MAXLEN)
		return SP_ENOTFOUND;
	uint8_t name[DNS_NAME_MAXLEN];
	memcpy(name, ldns_rdf_data(owner), ldns_rdf_size(owner));
	dns_name_lower(name);
	const struct dns__node *n = dns__version_find(z->v, name, NULL);
	if (n == NULL)
		return SP_ENOTFOUND;
	ldns_rr_list *l = out ? ldns_rr_list_new() : NULL;
	bool found = false;
	for (unsigned k = 0; k < n->nsets; k++) {
		if (type != LDNS_RR_TYPE_ANY && n->sets[k].type != type)
			continue;
		found = true;
		if (l) {
			ldns_rr_list *c = ldns_rr_list_clone(n->sets[k].rrs);
			if (c) {
				ldns_rr_list_cat(l, c);
				ldns_rr_list_free(c);
			}
		}
	}
	if (!found) {
		ldns_rr_list_free(l);
		return SP_ENOTFOUND;
	}
	if (out)
		*out = l;
	return 0;
}

int dns_zone_each_type(const struct dns_zone *z, ldns_rr_type type, ldns_rr_list **out)
{
	if (out)
		*out = NULL;
	if (z->v == NULL || type == LDNS_RR_TYPE_ANY)
		return SP_ENOTFOUND;
	ldns_rr_list *l = out ? ldns_rr_list_new() : NULL;
	if (out && l == NULL)
		return -ENOMEM;
	bool found = false;
	/* Nodes are in canonical order and each node's sets sorted by type: one pass. */
	for (size_t i = 0; i < z->v->nnodes; i++) {
		const struct dns__node *n = &z->v->nodes[i];
		for (unsigned k = 0; k < n->nsets; k++) {
			if (n->sets[k].type != type)
				continue;
			found = true;
			if (l == NULL)
				return 0;
			for (size_t j = 0; j < ldns_rr_list_rr_count(n->sets[k].rrs); j++) {
				ldns_rr *c = ldns_rr_clone(ldns_rr_list_rr(n->sets[k].rrs, j));
				if (c == NULL || !ldns_rr_list_push_rr(l, c)) {
					ldns_rr_free(c);
					ldns_rr_list_deep_free(l);
					return -ENOMEM;
				}
			}
		}
	}
	if (!found) {
		ldns_rr_list_free(l);
		return SP_ENOTFOUND;
	}
	if (out)
		*out = l;
	return 0;
}

bool dns_zone_name_exists(const struct dns_zone *z, const ldns_rdf *owner)
{
	return dns_zone_lookup(z, owner, LDNS_RR_TYPE_ANY, NULL) == 0;
}

int dns_zone_axfr(const struct dns_zone *z, ldns_rr_list **out)
{
	if (z->v == NULL)
		return SP_ENOTFOUND;
	ldns_rr_list *all = dns__version_rrs(z->v), *l = ldns_rr_list_new();
	int rc = -ENOMEM;
	if (all == NULL || l == NULL)
		goto out;
	ldns_rr_list_push_rr(l, ldns_rr_clone(z->v->soa));
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (rr != z->v->soa)
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
	ldns_rr_list_push_rr(l, ldns_rr_clone(z->v->soa));
	*out = l;
	l = NULL;
	rc = 0;
out:
	ldns_rr_list_free(all);
	ldns_rr_list_deep_free(l);
	return rc;
}

char *dns_zone_to_text(const struct dns_zone *z)
{
	if (z->content == NULL)
		return strdup("");
	ldns_rr_list *c = ldns_rr_list_clone(z->content);
	if (c == NULL)
		return NULL;
	ldns_rr_list_sort(c);
	char *s = ldns_rr_list2str(c);
	ldns_rr_list_deep_free(c);
	return s;
}
