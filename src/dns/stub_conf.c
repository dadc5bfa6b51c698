/*
 * stub_conf.c - the stub resolver's zones, anchors and upstreams.
 *
 * Zones: the node's own zone ([node] zone, asked of [signpost] dns and
 * validated with [signpost] trust-anchor) and every [friend] (zone,
 * signpost, trust-anchor).  Upstreams: [dns] upstream, else the nameservers
 * of /etc/resolv.conf (never the stub's own address: that would loop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dns/stub_int.h"

#define RESOLV_CONF "/etc/resolv.conf"

/* A nameserver of /etc/resolv.conf (not configuration: it may carry an IPv6 "%iface" scope). */
static int addr_from(const char *host, uint16_t port, struct dns_stub_server *out)
{
	memset(out, 0, sizeof(*out));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;
		if (uv_ip6_addr(host, port, s6) != 0)
			return SP_ECONFIG;
		out->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;
		if (uv_ip4_addr(host, port, s4) != 0)
			return SP_ECONFIG;
		out->len = sizeof(*s4);
	}
	return 0;
}

/* An endpoint option (parsed once when the file was read, config.h) into servers. */
static int endpoints_get(const struct sp_config *cfg, const struct sp_config_section *s,
			 const char *opt, struct dns_stub_server *out, size_t *n)
{
	size_t k = 0;
	const union sp_endpoint *eps = sp_cfg_endpoints(s, opt, &k);

	*n = 0;
	if (k > DNS_STUB_MAX_SERVERS) {
		sp_config_error(cfg, s, opt, "more than %d addresses", DNS_STUB_MAX_SERVERS);
		return SP_ECONFIG;
	}
	for (size_t i = 0; i < k; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].len = sp_endpoint_len(&eps[i]);
		memcpy(&out[i].sa, &eps[i], out[i].len);
	}
	*n = k;
	return 0;
}

static bool same_addr(const struct dns_stub_server *a, const struct sockaddr_storage *b,
		      socklen_t blen)
{
	return a->len == blen && memcmp(&a->sa, b, blen) == 0;
}

/* Nameservers of /etc/resolv.conf, port 53, except our own listener. */
static void resolv_conf_read(struct dns_stub_conf *c)
{
	FILE *f = fopen(RESOLV_CONF, "r");
	char line[512];
	if (f == NULL)
		return;
	while (c->n_upstream < DNS_STUB_MAX_SERVERS && fgets(line, sizeof(line), f) != NULL) {
		char host[128];
		if (sscanf(line, " nameserver %127s", host) != 1)
			continue;
		/* uv_ip6_addr keeps a link-local address's "%iface" scope. */
		struct dns_stub_server *srv = &c->upstream[c->n_upstream];
		if (addr_from(host, 53, srv) != 0)
			continue;
		if (same_addr(srv, &c->listen, c->listen_len)) {
			sp_notice("dns stub: not forwarding to %s: that is the stub itself", host);
			continue;
		}
		c->n_upstream++;
	}
	fclose(f);
}

void dns_stub__zone_unref(struct dns_stub_zone *z)
{
	if (z == NULL || --z->refs > 0)
		return;
	ldns_rdf_deep_free(z->name);
	dns_validate_anchor_free(z->anchor);
	dns_validate_keys_free(z->keys);
	free(z);
}

void dns_stub__conf_clear(struct dns_stub_conf *c)
{
	for (size_t i = 0; i < c->n_zones; i++)
		dns_stub__zone_unref(c->zones[i]);
	memset(c, 0, sizeof(*c));
}

struct dns_stub_zone *dns_stub__zone_find(const struct dns_stub_conf *c, const ldns_rdf *name)
{
	struct dns_stub_zone *best = NULL;
	for (size_t i = 0; i < c->n_zones; i++) {
		struct dns_stub_zone *z = c->zones[i];
		if (ldns_dname_compare(name, z->name) != 0 && !ldns_dname_is_subdomain(name, z->name))
			continue;
		if (best == NULL || ldns_dname_label_count(z->name) > ldns_dname_label_count(best->name))
			best = z;
	}
	return best;
}

int dns_stub__zone_new(const char *zone, const char *anchor_text,
		       const struct dns_stub_server *servers, size_t n, struct dns_stub_zone **out,
		       char *err, size_t errlen)
{
	struct dns_stub_zone *z;
	int rc;

	*out = NULL;
	if (n > DNS_STUB_MAX_SERVERS) {
		snprintf(err, errlen, "more than %d addresses", DNS_STUB_MAX_SERVERS);
		return -EINVAL;
	}
	z = calloc(1, sizeof(*z));
	if (z == NULL)
		return -ENOMEM;
	z->refs = 1;
	z->name = zone ? ldns_dname_new_frm_str(zone) : NULL;
	if (z->name == NULL) {
		snprintf(err, errlen, "'%s' is not a domain name", zone ? zone : "(null)");
		rc = -EINVAL;
		goto fail;
	}
	ldns_dname2canonical(z->name);
	memcpy(z->servers, servers, n * sizeof(*servers));
	z->n_servers = n;
	if (anchor_text != NULL) {
		rc = dns_validate_anchor_parse(zone, anchor_text, &z->anchor, err, errlen);
		if (rc != 0)
			goto fail;
	}
	*out = z;
	return 0;
fail:
	dns_stub__zone_unref(z);
	return rc;
}

struct dns_stub_zone *dns_stub__zone_lookup(const struct dns_stub *stub, const ldns_rdf *name)
{
	struct dns_stub_zone *best = dns_stub__zone_find(&stub->conf, name);
	for (size_t i = 0; i < stub->n_friends; i++) {
		struct dns_stub_zone *z = stub->friends[i];
		if (ldns_dname_compare(name, z->name) != 0 && !ldns_dname_is_subdomain(name, z->name))
			continue;
		/* A run-time friend hides a [friend] section of the same zone (resolver.h). */
		if (best == NULL || ldns_dname_label_count(z->name) >= ldns_dname_label_count(best->name))
			best = z;
	}
	return best;
}

/* Add a zone from section s; anchor_opt may be unset (then no validation). */
static int zone_add(const struct sp_config *cfg, struct dns_stub_conf *c,
		    const struct sp_config_section *s, const char *zone, const char *servers_opt,
		    const char *anchor_opt)
{
	struct dns_stub_server servers[DNS_STUB_MAX_SERVERS];
	struct dns_stub_zone *z = NULL;
	size_t n = 0;
	char err[200];
	int rc = endpoints_get(cfg, s, servers_opt, servers, &n);
	if (rc != 0)
		return rc;
	const char *ta = anchor_opt ? sp_cfg_str(s, anchor_opt) : NULL;
	rc = dns_stub__zone_new(zone, ta, servers, n, &z, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc != 0) {
		sp_config_error(cfg, s, rc == -EINVAL ? "zone" : anchor_opt, "%s", err);
		return SP_ECONFIG;
	}
	for (size_t i = 0; i < c->n_zones; i++) {
		if (ldns_dname_compare(c->zones[i]->name, z->name) == 0) {
			sp_config_error(cfg, s, "zone", "zone %s is configured twice", zone);
			rc = SP_ECONFIG;
			goto fail;
		}
	}
	if (c->n_zones == DNS_STUB_MAX_ZONES) {
		sp_config_error(cfg, s, "zone", "more than %d zones", DNS_STUB_MAX_ZONES);
		rc = SP_ECONFIG;
		goto fail;
	}
	c->zones[c->n_zones++] = z;
	return 0;
fail:
	dns_stub__zone_unref(z);
	return rc;
}

int dns_stub__conf_read(const struct sp_config *cfg, struct dns_stub_conf *c)
{
	const struct sp_config_section *dns = sp_config_get(cfg, "dns");
	const struct sp_config_section *node = sp_config_get(cfg, "node");
	const struct sp_config_section *sp = sp_config_get(cfg, "signpost");
	const union sp_endpoint *l = sp_cfg_endpoint(dns, "stub-listen");
	int rc;

	memset(c, 0, sizeof(*c));
	if (l == NULL || sp_endpoint_len(l) == 0) {
		sp_config_error(cfg, dns, "stub-listen", "not an address");
		return SP_ECONFIG;
	}
	union sp_endpoint ep = *l;
	sp_endpoint_set_port(&ep, (uint16_t)sp_cfg_int(dns, "stub-port"));
	c->listen_len = sp_endpoint_len(&ep);
	memcpy(&c->listen, &ep, c->listen_len);

	/*
	 * On a signpost the own zone is the authoritative plane's: [signpost]
	 * (a device's view of its signpost) does not apply, only [friend].
	 */
	const char *role = sp_cfg_str(node, "role");
	bool device = role == NULL || strcmp(role, "signpost") != 0;
	if (!device) {
		/* nothing here: the friends below */
	} else if (sp_cfg_str(sp, "dns") != NULL) {
		rc = zone_add(cfg, c, sp, sp_cfg_str(node, "zone"), "dns", "trust-anchor");
		if (rc != 0)
			goto fail;
	} else if (sp_cfg_str(sp, "trust-anchor") != NULL) {
		sp_config_error(cfg, sp, "trust-anchor", "needs [signpost] dns to ask");
		rc = SP_ECONFIG;
		goto fail;
	}
	for (const struct sp_config_section *f = sp_config_next(cfg, "friend", NULL); f;
	     f = sp_config_next(cfg, "friend", f)) {
		rc = zone_add(cfg, c, f, sp_cfg_str(f, "zone"), "signpost", "trust-anchor");
		if (rc != 0)
			goto fail;
	}
	if (sp_cfg_str(dns, "upstream") != NULL) {
		rc = endpoints_get(cfg, dns, "upstream", c->upstream, &c->n_upstream);
		if (rc != 0)
			goto fail;
	} else {
		resolv_conf_read(c);
	}
	return 0;
fail:
	dns_stub__conf_clear(c);
	return rc;
}
