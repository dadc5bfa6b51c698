/*
 * resolver.h - validated lookups for other planes: SP_SVC_RESOLVER (loop code).
 *
 * The stub plane (dns_stub_plane.c) provides it from start() until stop()
 * whenever [dns] enabled = yes, in role device (next to the stub's
 * listener) and in role signpost (no listener: the authoritative server
 * owns the DNS port).  A lookup runs through the stub's own machinery
 * (stub_query.c, stub_xchg.c, validate.h): the zone's DNSKEY set fetched
 * from the zone's servers and validated with its trust anchor (cached as
 * for the stub's clients), then the answer asked with DO and validated.
 *
 * Zones a lookup may ask: the node's own zone on a device ([signpost] dns,
 * validated with [signpost] trust-anchor), every [friend] section, and the
 * friend zones added at run time with dns_resolver_friend_set().  On a
 * signpost the own zone is not a resolver zone (its records are in
 * SP_SVC_ZONE): lookups of it are refused like any unknown name.
 * Run-time friends survive a reload; one of the same zone as a [friend]
 * section hides that section until it is removed.
 *
 * Loop code: call on the loop thread, like everything of the node.
 */
#ifndef DNS_RESOLVER_H
#define DNS_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "core/endpoint.h"
#include "core/error.h"

struct sp_node;
struct dns_resolver;

/* Lookups of other planes in flight at once (inside the stub's 256 queries). */
#define DNS_RESOLVER_MAX_PENDING 64
/* Friend zones added at run time. */
#define DNS_RESOLVER_MAX_FRIENDS 64
/* DNS servers of one friend zone. */
#define DNS_RESOLVER_MAX_SERVERS 8

/*
 * The result of one lookup, called once on a later loop turn (never inside
 * dns_resolver_lookup).  status:
 *   0              rrset holds the validated records of the asked type at
 *                  the name (after a CNAME chain inside the zone), TTLs no
 *                  longer than the signatures allow
 *   SP_ENOTFOUND   validated denial: the name or the type does not exist
 *   SP_EBOGUS      the DNSKEY set or the answer failed validation (a wrong
 *                  anchor, a forged or expired signature)
 *   SP_EAUTH       provably unsigned (insecure): nothing validated
 *   -ETIMEDOUT     no server of the zone answered (bounded retries)
 *   SP_EPROTO      the server answered with an error (REFUSED, SERVFAIL, ...)
 *   SP_EMALFORMED, -ENOMEM   the reply did not parse; out of memory
 * rrset is NULL unless status is 0, and lives only during the call (clone
 * what you keep).  The callback may start lookups and change friends.
 */
typedef void (*dns_resolver_cb)(void *arg, int status, const ldns_rr_list *rrset);

/* The node's resolver, or NULL ([dns] enabled = no, or the stub plane is not running). */
struct dns_resolver *dns_resolver_get(const struct sp_node *node);

/*
 * Look up fqdn (absolute or not: a final dot is implied) of type, class IN,
 * validated.  Returns 0 (cb will run exactly once, unless cancelled or the
 * plane stops), SP_ENOTFOUND for a name in no resolver zone, SP_EAUTH for a
 * zone without trust anchor, -EINVAL for a name that does not parse or a NULL
 * cb, SP_ELIMIT with DNS_RESOLVER_MAX_PENDING lookups (or the stub's 256
 * queries) in flight, -ESHUTDOWN while the plane stops.
 *
 * Cancellation: when the plane stops, pending lookups are dropped and their
 * callbacks are NEVER called (planes stop in reverse order, so a consumer
 * that started after the stub plane is gone by then).  A consumer that stops
 * earlier, or abandons its state, calls dns_resolver_cancel() first.
 */
int dns_resolver_lookup(struct dns_resolver *r, const char *fqdn, uint16_t type,
			dns_resolver_cb cb, void *arg) SP_MUST_CHECK;

/*
 * Drop every pending lookup with this cb and arg (cb NULL: any cb with arg);
 * their callbacks are never called.  Returns how many were dropped.
 */
size_t dns_resolver_cancel(struct dns_resolver *r, dns_resolver_cb cb, void *arg);

/*
 * Add or replace the friend zone `zone`, as if it were a [friend] section:
 * anchor_text is DS and/or DNSKEY presentation text (dns_validate_anchor_parse:
 * lines or ';'-separated, every owner the zone), dns[0..n) its servers (1 to
 * DNS_RESOLVER_MAX_SERVERS, port included).  Replacing with the same anchor
 * and servers keeps the zone's cached keys; anything else starts afresh
 * (lookups in flight finish with what they had).  0, -EINVAL (bad name, no
 * or too many servers, the node's own zone), SP_EMALFORMED (anchor: the
 * reason is logged), SP_ELIMIT (DNS_RESOLVER_MAX_FRIENDS), -ENOMEM.
 */
int dns_resolver_friend_set(struct dns_resolver *r, const char *zone, const char *anchor_text,
			    const union sp_endpoint *dns, size_t n) SP_MUST_CHECK;

/*
 * Remove a friend zone added by dns_resolver_friend_set (a [friend] section
 * of the same zone, if any, is used again).  New lookups of it fail at once
 * with SP_ENOTFOUND; those in flight finish with the zone they had.  0, or
 * SP_ENOTFOUND (not a run-time friend: the own zone and [friend] sections
 * cannot be removed).
 */
int dns_resolver_friend_remove(struct dns_resolver *r, const char *zone) SP_MUST_CHECK;

#endif
