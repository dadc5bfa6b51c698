/*
 * notify.h - NOTIFY out (RFC 1996): tell the secondaries the zone changed.
 *
 * Loop code on libuv.  On each zone change the plane calls
 * dns_notify_zone_changed(); every [secondary] with notify=yes then gets a
 * NOTIFY (opcode 4, AA, question ZONE SOA, the new SOA in the answer
 * section), TSIG-signed when the zone has a key, from one UDP socket.  A
 * secondary that does not answer is retried with backoff and jitter
 * (intervals dns.notify-retry, up to DNS_NOTIFY_TRIES times); a reply with
 * the same ID, opcode NOTIFY, QR set and (when signed) a valid TSIG stops
 * the retries for that secondary.  A newer change restarts the round.
 *
 * The message builders are pure: notify_msg.h.
 */
#ifndef DNS_NOTIFY_H
#define DNS_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/error.h"
#include "core/timer.h"
#include "dns/acl.h"
#include "dns/notify_msg.h"
#include "dns/tsig.h"

#define DNS_NOTIFY_TRIES 5		/* RFC 1996 3.6: retry a few times, then give up */

/* Intervals, for the plane's struct sp_plane.intervals. */
extern struct sp_interval dns_notify_retry_iv;
extern struct sp_interval *const dns_notify_intervals[];
extern const size_t dns_notify_n_intervals;

struct dns_notify;

/*
 * Start the sender: one UDP socket bound to an ephemeral port (v4 and v6
 * as the secondaries need), from acl->src4/src6 when set (the [dns] listen
 * address, so secondaries see NOTIFY come from the primary they know).  Copies the secondaries with notify=yes from
 * acl and the key (NULL: unsigned).  0 or an error.
 */
int dns_notify_new(uv_loop_t *loop, const struct dns_acl *acl, const struct dns_tsig_key *key,
		   struct dns_notify **out) SP_MUST_CHECK;

/*
 * The zone changed: notify every secondary.  zone is the apex (wire),
 * soa_rr the new SOA in wire format (as for dns_notify_create).
 */
void dns_notify_zone_changed(struct dns_notify *n, const uint8_t *zone, size_t zone_len,
			     const uint8_t *soa_rr, size_t soa_rr_len);

/* How many NOTIFYs were acknowledged / given up (for status and tests). */
void dns_notify_counts(const struct dns_notify *n, unsigned *acked, unsigned *gave_up);

/* Close the socket and timers; frees n in the last close callback.  NULL ok. */
void dns_notify_close(struct dns_notify *n);

#endif
