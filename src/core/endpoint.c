/* endpoint.c - the one address/endpoint type; see endpoint.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"

static int parse_addr(const char *host, uint16_t port, union sp_endpoint *out)
{
	if (inet_pton(AF_INET, host, &out->in4.sin_addr) == 1) {
		out->in4.sin_family = AF_INET;
		out->in4.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons(port);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return SP_EMALFORMED;
}

int sp_endpoint_parse(const char *text, bool allow_bare, uint16_t default_port,
		      union sp_endpoint *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0')
		return SP_EMALFORMED;
	if (allow_bare && strlen(text) < sizeof(host) && parse_addr(text, default_port, out) == 0)
		return 0;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (close == NULL || close[1] != ':')
			return SP_EMALFORMED;
		hl = (size_t)(close - text - 1);
		colon = close + 1;
		text++;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL || strchr(text, ':') != colon)
			return SP_EMALFORMED;
		hl = (size_t)(colon - text);
	}
	if (hl == 0 || hl >= sizeof(host))
		return SP_EMALFORMED;
	memcpy(host, text, hl);
	host[hl] = '\0';
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno || p == 0 || p > 65535)
		return SP_EMALFORMED;
	return parse_addr(host, (uint16_t)p, out);
}

int sp_endpoint_from_sa(union sp_endpoint *out, const struct sockaddr *sa, socklen_t len)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(&out->in4, sa, sizeof(out->in4));
		return 0;
	}
	if (sa->sa_family != AF_INET6 || len < (socklen_t)sizeof(struct sockaddr_in6))
		return SP_EMALFORMED;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		out->in4.sin_family = AF_INET;
		out->in4.sin_port = s6->sin6_port;
		memcpy(&out->in4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	out->in6 = *s6;
	return 0;
}

socklen_t sp_endpoint_len(const union sp_endpoint *ep)
{
	switch (ep->sa.sa_family) {
	case AF_INET: return sizeof(ep->in4);
	case AF_INET6: return sizeof(ep->in6);
	default: return 0;
	}
}

uint16_t sp_endpoint_port(const union sp_endpoint *ep)
{
	switch (ep->sa.sa_family) {
	case AF_INET: return ntohs(ep->in4.sin_port);
	case AF_INET6: return ntohs(ep->in6.sin6_port);
	default: return 0;
	}
}

void sp_endpoint_set_port(union sp_endpoint *ep, uint16_t port)
{
	if (ep->sa.sa_family == AF_INET)
		ep->in4.sin_port = htons(port);
	else if (ep->sa.sa_family == AF_INET6)
		ep->in6.sin6_port = htons(port);
}

bool sp_endpoint_equal(const union sp_endpoint *a, const union sp_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	case AF_INET6:
		return a->in6.sin6_port == b->in6.sin6_port &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0 &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id;
	default:
		return true;
	}
}

char *sp_endpoint_format_addr(const union sp_endpoint *ep, char out[SP_ENDPOINT_STRLEN])
{
	const void *a = ep->sa.sa_family == AF_INET ? (const void *)&ep->in4.sin_addr
						    : (const void *)&ep->in6.sin6_addr;
	if ((ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6) ||
	    inet_ntop(ep->sa.sa_family, a, out, SP_ENDPOINT_STRLEN) == NULL)
		snprintf(out, SP_ENDPOINT_STRLEN, "-");
	return out;
}

char *sp_endpoint_format(const union sp_endpoint *ep, char out[SP_ENDPOINT_STRLEN])
{
	char a[INET6_ADDRSTRLEN];
	const void *src = ep->sa.sa_family == AF_INET ? (const void *)&ep->in4.sin_addr
						      : (const void *)&ep->in6.sin6_addr;
	if ((ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6) ||
	    inet_ntop(ep->sa.sa_family, src, a, sizeof(a)) == NULL)
		a[0] = '\0';
	if (ep->sa.sa_family == AF_INET)
		snprintf(out, SP_ENDPOINT_STRLEN, "%s:%u", a, sp_endpoint_port(ep));
	else
		snprintf(out, SP_ENDPOINT_STRLEN, "[%s]:%u", a, sp_endpoint_port(ep));
	if (a[0] == '\0')
		snprintf(out, SP_ENDPOINT_STRLEN, "-");
	return out;
}
