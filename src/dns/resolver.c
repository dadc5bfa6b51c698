/*
 * resolver.c - SP_SVC_RESOLVER (resolver.h): other planes' lookups through
 * the stub's queries (stub_query.c), and the friend zones added at run
 * time.  A run-time friend is a struct dns_stub_zone like a [friend]
 * section's, made by the same dns_stub__zone_new() (anchor parsing, DNSKEY
 * cache); it lives in stub->friends, which a reload does not touch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/node.h"
#include "core/service.h"
#include "dns/stub_int.h"

/* ---- the end of a lookup ---- */

void dns_stub__lookup_done(struct dns_stub_query *q, int status, ldns_rr_list *rrset)
{
	dns_resolver_cb cb = q->cb;
	void *arg = q->cb_arg;
	struct dns_stub *stub = q->stub;

	q->cb = NULL;
	if (status == 0)
		stub->n.lookups_ok++;
	else
		stub->n.lookups_failed++;
	/* The query is gone first: the callback may start lookups, cancel, change friends. */
	dns_stub__query_finish(q);
	if (cb != NULL)
		cb(arg, status, status == 0 ? rrset : NULL);
	ldns_rr_list_deep_free(rrset);
}

void dns_stub__lookup_answer(struct dns_stub_query *q, const ldns_pkt *from,
			     const struct dns_validate_verdict *v)
{
	if (v == NULL || v->sec != DNS_V_SECURE) {
		dns_stub__lookup_done(q, SP_EAUTH, NULL);
		return;
	}
	if (v->nxname || ldns_pkt_get_rcode(from) == LDNS_RCODE_NXDOMAIN) {
		dns_stub__lookup_done(q, SP_ENOTFOUND, NULL);
		return;
	}
	ldns_rr_list *l = dns_stub__answer_rrset(ldns_pkt_answer(from), ldns_rr_owner(q->question),
						 ldns_rr_get_type(q->question));
	if (l == NULL) {
		dns_stub__lookup_done(q, -ENOMEM, NULL);
		return;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(l, i)) > v->ttl)
			ldns_rr_set_ttl(ldns_rr_list_rr(l, i), v->ttl);
	dns_stub__lookup_done(q, ldns_rr_list_rr_count(l) > 0 ? 0 : SP_ENOTFOUND, l);
}

/* ---- the queries of lookups (stub_query.c runs their steps) ---- */

static void lookup_kick(uv_timer_t *t)
{
	dns_stub__step_begin(t->data);
}

int dns_stub__lookup(struct dns_stub *stub, struct dns_stub_zone *zone, const ldns_rdf *name,
		     ldns_rr_type type, dns_resolver_cb cb, void *arg)
{
	struct dns_stub_query *q = calloc(1, sizeof(*q));
	ldns_rdf *owner = ldns_rdf_clone(name);
	ldns_rr *qr = ldns_rr_new();
	if (q == NULL || owner == NULL || qr == NULL) {
		free(q);
		ldns_rdf_deep_free(owner);
		ldns_rr_free(qr);
		return -ENOMEM;
	}
	ldns_rr_set_owner(qr, owner);
	ldns_rr_set_type(qr, type);
	ldns_rr_set_class(qr, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(qr, true);
	q->stub = stub;
	q->question = qr;
	q->lookup = true;
	q->orphan = true;	/* no client: nothing is ever sent back on a socket */
	q->cb = cb;
	q->cb_arg = arg;
	q->udp_max = 512;
	dns_stub__query_link(stub, q);
	stub->n_lookups++;
	stub->n.lookups++;
	zone->refs++;
	q->zone = zone;
	bool fresh = zone->keys != NULL && uv_now(stub->loop) < zone->keys_expire_ms;
	q->step = fresh ? DNS_STUB_ANSWER : DNS_STUB_KEYS;
	/* On the next turn: a failure of the first step must not call back into the caller. */
	uv_timer_start(&q->timer, lookup_kick, 0, 0);
	return 0;
}

size_t dns_stub__lookups_cancel(struct dns_stub *stub, dns_resolver_cb cb, void *arg)
{
	size_t n = 0;
	struct dns_stub_query *q = stub->queries;
	while (q != NULL) {
		struct dns_stub_query *next = q->next;	/* query_finish unlinks q, frees it later */
		if (q->lookup && q->cb != NULL && q->cb_arg == arg && (cb == NULL || q->cb == cb)) {
			q->cb = NULL;
			dns_stub__query_finish(q);
			n++;
		}
		q = next;
	}
	return n;
}

/* ---- the service ---- */

struct dns_resolver *dns_resolver_get(const struct sp_node *node)
{
	return sp_service_get(node, SP_SVC_RESOLVER);
}

int dns_stub__resolver_provide(struct dns_stub *stub)
{
	stub->resolver.stub = stub;
	int rc = sp_service_provide(stub->node, SP_SVC_RESOLVER, &stub->resolver);
	stub->resolver_provided = rc == 0;
	return rc;
}

void dns_stub__resolver_withdraw(struct dns_stub *stub)
{
	if (!stub->resolver_provided)
		return;
	sp_service_withdraw(stub->node, SP_SVC_RESOLVER, &stub->resolver);
	stub->resolver_provided = false;
}

void dns_stub__friends_clear(struct dns_stub *stub)
{
	for (size_t i = 0; i < stub->n_friends; i++)
		dns_stub__zone_unref(stub->friends[i]);
	stub->n_friends = 0;
}

/* A name from another plane's text, canonical; NULL if it does not parse. */
static ldns_rdf *name_of(const char *text)
{
	if (text == NULL || *text == '\0' || strlen(text) > 254)
		return NULL;
	ldns_rdf *d = ldns_dname_new_frm_str(text);
	if (d != NULL)
		ldns_dname2canonical(d);
	return d;
}

int dns_resolver_lookup(struct dns_resolver *r, const char *fqdn, uint16_t type,
			dns_resolver_cb cb, void *arg)
{
	if (r == NULL || cb == NULL)
		return -EINVAL;
	struct dns_stub *stub = r->stub;
	if (stub->stopping)
		return -ESHUTDOWN;
	ldns_rdf *name = name_of(fqdn);
	if (name == NULL)
		return -EINVAL;
	int rc;
	struct dns_stub_zone *z = dns_stub__zone_lookup(stub, name);
	if (z == NULL)
		rc = SP_ENOTFOUND;
	else if (z->anchor == NULL)
		rc = SP_EAUTH;	/* configured without a trust anchor: nothing to validate with */
	else if (stub->n_lookups >= DNS_RESOLVER_MAX_PENDING ||
		 stub->n_queries >= DNS_STUB_MAX_PENDING)
		rc = SP_ELIMIT;
	else
		rc = dns_stub__lookup(stub, z, name, (ldns_rr_type)type, cb, arg);
	ldns_rdf_deep_free(name);
	return rc;
}

size_t dns_resolver_cancel(struct dns_resolver *r, dns_resolver_cb cb, void *arg)
{
	return r != NULL ? dns_stub__lookups_cancel(r->stub, cb, arg) : 0;
}

static bool same_servers(const struct dns_stub_zone *a, const struct dns_stub_zone *b)
{
	if (a->n_servers != b->n_servers)
		return false;
	for (size_t i = 0; i < a->n_servers; i++)
		if (a->servers[i].len != b->servers[i].len ||
		    memcmp(&a->servers[i].sa, &b->servers[i].sa, a->servers[i].len) != 0)
			return false;
	return true;
}

static ssize_t friend_index(const struct dns_stub *stub, const ldns_rdf *name)
{
	for (size_t i = 0; i < stub->n_friends; i++)
		if (ldns_dname_compare(stub->friends[i]->name, name) == 0)
			return (ssize_t)i;
	return -1;
}

int dns_resolver_friend_set(struct dns_resolver *r, const char *zone, const char *anchor_text,
			    const union sp_endpoint *dns, size_t n)
{
	struct dns_stub_server servers[DNS_RESOLVER_MAX_SERVERS];
	struct dns_stub_zone *z = NULL;
	char err[200];

	if (r == NULL || anchor_text == NULL || dns == NULL || n == 0 ||
	    n > DNS_RESOLVER_MAX_SERVERS)
		return -EINVAL;
	struct dns_stub *stub = r->stub;
	for (size_t i = 0; i < n; i++) {
		socklen_t len = sp_endpoint_len(&dns[i]);
		if (len == 0 || sp_endpoint_port(&dns[i]) == 0)
			return -EINVAL;
		memset(&servers[i], 0, sizeof(servers[i]));
		servers[i].len = len;
		memcpy(&servers[i].sa, &dns[i], len);
	}
	int rc = dns_stub__zone_new(zone, anchor_text, servers, n, &z, err, sizeof(err));
	if (rc != 0) {
		sp_warn("dns resolver: friend %s: %s", zone ? zone : "(null)", err);
		return rc;
	}
	if (stub->own_zone != NULL && ldns_dname_compare(z->name, stub->own_zone) == 0) {
		sp_warn("dns resolver: friend %s: that is the node's own zone", zone);
		dns_stub__zone_unref(z);
		return -EINVAL;
	}
	ssize_t i = friend_index(stub, z->name);
	if (i >= 0) {
		struct dns_stub_zone *old = stub->friends[i];
		if (dns_validate_anchor_equal(old->anchor, z->anchor) && same_servers(old, z)) {
			/* Nothing changed: keep the validated keys we have. */
			dns_stub__zone_unref(z);
			return 0;
		}
		/* Lookups in flight keep their reference to the old zone. */
		dns_stub__zone_unref(old);
		stub->friends[i] = z;
		sp_info("dns resolver: friend %s replaced", zone);
		return 0;
	}
	if (stub->n_friends == DNS_RESOLVER_MAX_FRIENDS) {
		dns_stub__zone_unref(z);
		return SP_ELIMIT;
	}
	stub->friends[stub->n_friends++] = z;
	sp_info("dns resolver: friend %s added (%zu server(s))", zone, n);
	return 0;
}

int dns_resolver_friend_remove(struct dns_resolver *r, const char *zone)
{
	if (r == NULL)
		return -EINVAL;
	struct dns_stub *stub = r->stub;
	ldns_rdf *name = name_of(zone);
	if (name == NULL)
		return -EINVAL;
	ssize_t i = friend_index(stub, name);
	ldns_rdf_deep_free(name);
	if (i < 0)
		return SP_ENOTFOUND;
	dns_stub__zone_unref(stub->friends[i]);
	stub->friends[i] = stub->friends[--stub->n_friends];
	sp_info("dns resolver: friend %s removed", zone);
	return 0;
}
