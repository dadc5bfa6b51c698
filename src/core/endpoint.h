/*
 * endpoint.h - the one address/endpoint type of the node.
 *
 * An endpoint is an IPv4 or IPv6 socket address (port 0 when only an address
 * is meant).  The configuration parses every address and endpoint option into
 * this type once, when the file is read (sp_cfg_endpoints); the tunnel, the
 * DNS stub, NOTIFY and the transport all use it.  Pure code.
 */
#ifndef SP_ENDPOINT_H
#define SP_ENDPOINT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"

union sp_endpoint {
	struct sockaddr sa;		/* sa_family AF_UNSPEC (0): no endpoint */
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* "[v6]:port", "v4:port", a bare address when default_port >= 0. */
#define SP_ENDPOINT_STRLEN 72	/* INET6_ADDRSTRLEN (46) + "[]:65535" + scope */

/*
 * Parse "a.b.c.d:port", "[v6]:port" or, when allow_bare, a bare address
 * (port = default_port).  Port 0 is refused in "host:port" form.  Returns 0
 * or SP_EMALFORMED; *out is zeroed first.
 */
int sp_endpoint_parse(const char *text, bool allow_bare, uint16_t default_port,
		      union sp_endpoint *out) SP_MUST_CHECK;
/* From a sockaddr of either family (a v4-mapped v6 address becomes v4). */
int sp_endpoint_from_sa(union sp_endpoint *out, const struct sockaddr *sa, socklen_t len)
	SP_MUST_CHECK;
/* Length of the sockaddr to pass to sendto/bind; 0 for no endpoint. */
socklen_t sp_endpoint_len(const union sp_endpoint *ep);
uint16_t sp_endpoint_port(const union sp_endpoint *ep);
void sp_endpoint_set_port(union sp_endpoint *ep, uint16_t port);
/* Same family, address and port. */
bool sp_endpoint_equal(const union sp_endpoint *a, const union sp_endpoint *b);
/* "192.0.2.1:53" or "[2001:db8::1]:53" ("-" for none); returns out. */
char *sp_endpoint_format(const union sp_endpoint *ep, char out[SP_ENDPOINT_STRLEN]);
/* The address alone, without port or brackets. */
char *sp_endpoint_format_addr(const union sp_endpoint *ep, char out[SP_ENDPOINT_STRLEN]);

#endif
