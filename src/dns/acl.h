/*
 * acl.h - who may transfer the zone and who is NOTIFYed: the [secondary]
 * sections of the configuration.
 */
#ifndef DNS_ACL_H
#define DNS_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/config.h"

struct dns_acl_entry {
	struct sockaddr_storage addr;	/* the secondary, with its NOTIFY port */
	bool notify;			/* send it NOTIFY on a zone change */
};

/*
 * A list of secondaries; embed it and call dns_acl_init / dns_acl_deinit.
 * src4/src6: the first IPv4/IPv6 address of [dns] listen (port 0), from
 * which NOTIFY is sent, so that a secondary sees it come from the address
 * it transfers from (unset for a wildcard or missing address).
 */
struct dns_acl {
	struct dns_acl_entry *v;
	size_t n;
	struct sockaddr_storage src4, src6;
	bool has_src4, has_src6;
};

/* Build the list from every [secondary] section.  0, SP_ECONFIG or -ENOMEM. */
int dns_acl_init(struct dns_acl *acl, const struct sp_config *cfg) SP_MUST_CHECK;

/* Free the list (the struct itself is the caller's). */
void dns_acl_deinit(struct dns_acl *acl);

/* Is this source address (port ignored; v4-mapped v6 matches v4) listed? */
bool dns_acl_allows(const struct dns_acl *acl, const struct sockaddr *from);

/* "addr#port" of a socket address for the log ("?" if unknown). */
const char *dns_acl_addr_str(const struct sockaddr *sa, char *buf, size_t cap);

#endif
