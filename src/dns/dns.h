/*
 * dns.h - the DNS plane as seen by the node.
 *
 * role = signpost: the authoritative server of [node] zone (server.h) with
 * online signing (zone.h), UPDATE, transfers and NOTIFY, and the control
 * command "zone" (add, del, show).  role = device: the local validating stub
 * resolver (stub.h).  [dns] enabled = no starts nothing.
 */
#ifndef DNS_H
#define DNS_H

#include "core/node.h"

/*
 * The plane's operations for signpostd.  Not const: its interval list is
 * gathered at program start from the planes' parts (server, NOTIFY, stub).
 */
extern struct sp_plane dns_plane;

#endif
