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
