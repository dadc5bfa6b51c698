/* acl.c - the [secondary] sections as an address list. */
#include "dns/acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The NOTIFY source addresses: the first specific v4 and v6 of [dns] listen. */
static void notify_sources(struct dns_acl *acl, const struct sp_config *cfg)
{
	size_t n = 0;
	/* Parsed once when the file was read (config.h), with port 0. */
	const union sp_endpoint *eps = sp_cfg_endpoints(sp_config_get(cfg, "dns"), "listen", &n);

	for (size_t i = 0; i < n; i++) {
		const union sp_endpoint *ep = &eps[i];
		if (ep->sa.sa_family == AF_INET && !acl->has_src4 &&
		    ep->in4.sin_addr.s_addr != htonl(INADDR_ANY)) {
			memcpy(&acl->src4, &ep->in4, sizeof(ep->in4));
			acl->has_src4 = true;
		} else if (ep->sa.sa_family == AF_INET6 && !acl->has_src6 &&
			   !IN6_IS_ADDR_UNSPECIFIED(&ep->in6.sin6_addr)) {
			memcpy(&acl->src6, &ep->in6, sizeof(ep->in6));
			acl->has_src6 = true;
		}
	}
}

int dns_acl_init(struct dns_acl *acl, const struct sp_config *cfg)
{
	memset(acl, 0, sizeof(*acl));
	notify_sources(acl, cfg);
	size_t n = 0;
	const struct sp_config_section *s = NULL;
	while ((s = sp_config_next(cfg, "secondary", s)) != NULL)
		n++;
	if (n == 0)
		return 0;
	acl->v = calloc(n, sizeof(*acl->v));
	if (acl->v == NULL)
		return -ENOMEM;
	s = NULL;
	while ((s = sp_config_next(cfg, "secondary", s)) != NULL) {
		struct dns_acl_entry *e = &acl->v[acl->n];
		const union sp_endpoint *addr = sp_cfg_endpoint(s, "address");
		if (addr == NULL || sp_endpoint_len(addr) == 0) {
			sp_config_error(cfg, s, "address", "not an IP address");
			dns_acl_deinit(acl);
			return SP_ECONFIG;
		}
		union sp_endpoint ep = *addr;
		sp_endpoint_set_port(&ep, (uint16_t)sp_cfg_int(s, "port"));
		memcpy(&e->addr, &ep, sp_endpoint_len(&ep));
		e->notify = sp_cfg_bool(s, "notify");
		acl->n++;
	}
	return 0;
}

void dns_acl_deinit(struct dns_acl *acl)
{
	free(acl->v);
	memset(acl, 0, sizeof(*acl));
}

/* The IPv4 address inside sa (plain or v4-mapped v6), or false. */
static bool as_v4(const struct sockaddr *sa, struct in_addr *out)
{
	if (sa->sa_family == AF_INET) {
		*out = ((const struct sockaddr_in *)sa)->sin_addr;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(&out->s_addr, a->s6_addr + 12, 4);
			return true;
		}
	}
	return false;
}

bool dns_acl_allows(const struct dns_acl *acl, const struct sockaddr *from)
{
	if (from == NULL)
		return false;
	struct in_addr f4, e4;
	bool from_v4 = as_v4(from, &f4);
	for (size_t i = 0; i < acl->n; i++) {
		const struct sockaddr *e = (const struct sockaddr *)&acl->v[i].addr;
		if (from_v4) {
			if (as_v4(e, &e4) && e4.s_addr == f4.s_addr)
				return true;
		} else if (from->sa_family == AF_INET6 && e->sa_family == AF_INET6 &&
			   memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
				  &((const struct sockaddr_in6 *)e)->sin6_addr,
				  sizeof(struct in6_addr)) == 0) {
			return true;
		}
	}
	return false;
}

const char *dns_acl_addr_str(const struct sockaddr *sa, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "0";
	if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
		socklen_t sl = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
							 : sizeof(struct sockaddr_in6);
		if (getnameinfo(sa, sl, host, sizeof(host), port, sizeof(port),
				NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(host, sizeof(host), "?");
	}
	snprintf(buf, cap, "%s#%s", host, port);
	return buf;
}
