/* dns.h - the DNS plane as seen by the node (placeholder until the plane lands). */
#ifndef DNS_H
#define DNS_H

#include "core/node.h"

extern const struct sp_plane dns_plane;

#endif
