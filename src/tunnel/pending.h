/*
 * pending.h - packets waiting for a peer: a bounded table, per destination
 * (pure code, no libuv).
 *
 * A packet read from the TUN device whose destination no peer's allowed IPs
 * hold is not dropped at once: another plane (control) may be opening a
 * session to that address right now (name-triggered connections).  The
 * packet waits here until a peer that holds the address is added, or until
 * it is too old.  Everything is bounded and allocated once:
 *
 *   - TUN_PEND_DESTS destinations; a new one past that evicts the destination
 *     that was created first (its packets count as dropped);
 *   - TUN_PEND_PER_DEST packets per destination; one more drops the oldest of
 *     that destination (counted);
 *   - a packet older than max_age (the caller's named interval) is dropped
 *     (counted as expired) the next time the table is touched; a
 *     destination without packets is freed;
 *   - the slots (TUN_PEND_DESTS * TUN_PEND_PER_DEST of slot_cap bytes) are
 *     allocated on the first packet held, never again, and freed (wiped:
 *     user traffic in clear) by tun_pend_deinit.
 *
 * A destination is a 16-byte address: IPv6 as it is, IPv4 v4-mapped
 * (::ffff:a.b.c.d).  Time is the caller's monotonic clock in ns.
 */
#ifndef TUN_PENDING_H
#define TUN_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define TUN_PEND_DESTS 16	/* destinations waiting at once */
#define TUN_PEND_PER_DEST 8	/* packets kept per destination */

struct tun_pend_dest {
	bool used;
	uint8_t addr[16];
	uint64_t created_seq;		/* creation order: the smallest is evicted first */
	uint64_t last_event;		/* ns of the last "no peer" event; 0 none yet */
	unsigned head, count;		/* ring of this destination's slots */
	uint16_t len[TUN_PEND_PER_DEST];
	uint64_t at[TUN_PEND_PER_DEST];	/* ns each packet arrived */
};

/* Counters shown by `signpost status` ("pending-*"). */
struct tun_pend_stats {
	uint64_t queued;	/* packets taken into the table */
	uint64_t dropped;	/* pushed out by a full destination or an evicted one, or refused */
	uint64_t expired;	/* older than max_age */
	uint64_t sent;		/* handed to a peer by tun_pend_release */
	uint64_t events;	/* "no peer" events asked for (tun_pend_hold's *emit) */
};

struct tun_pend {
	size_t slot_cap;	/* largest packet; 0: the table refuses everything */
	uint8_t *slots;		/* DESTS * PER_DEST * slot_cap, on first use */
	uint64_t seq;
	struct tun_pend_dest d[TUN_PEND_DESTS];
	struct tun_pend_stats st;
};

/* An empty table for packets of up to slot_cap bytes (nothing allocated yet). */
void tun_pend_init(struct tun_pend *t, size_t slot_cap);
/* Wipe and free the slots; the table is empty (and may be used again). */
void tun_pend_deinit(struct tun_pend *t);

/*
 * The destination of an IP packet as a table address (IPv4 v4-mapped).
 * 0, or -EINVAL when pkt is not an IPv4 or IPv6 packet long enough to have one.
 */
int tun_pend_dst_of(const uint8_t *pkt, size_t len, uint8_t addr[16]) SP_MUST_CHECK;
/*
 * May a packet to addr wait for a peer?  Not for addresses no peer can ever
 * hold: unspecified, loopback, multicast (the kernel's own MLD and router
 * solicitations go out of every interface), IPv6 link-local, IPv4
 * broadcast.
 */
bool tun_pend_wanted(const uint8_t addr[16]);

/*
 * Keep a copy of pkt for destination addr.  First drops what is older than
 * max_age ns.  *emit (may be NULL) is set when the caller should tell the
 * node (SP_EV_NO_PEER): the first packet of a destination, then at most once
 * per event_gap ns.  Returns 0; SP_ELIMIT for a packet over slot_cap (or a
 * table with slot_cap 0); -ENOMEM when the slots cannot be allocated (both
 * counted as dropped).
 */
int tun_pend_hold(struct tun_pend *t, const uint8_t addr[16], const uint8_t *pkt, size_t len,
		  uint64_t now, uint64_t max_age, uint64_t event_gap, bool *emit) SP_MUST_CHECK;

/* Drop every packet older than max_age ns (counted as expired), freeing empty destinations. */
void tun_pend_expire(struct tun_pend *t, uint64_t now, uint64_t max_age);

/* Packets and destinations waiting now. */
size_t tun_pend_count(const struct tun_pend *t);
size_t tun_pend_dests(const struct tun_pend *t);

/*
 * Who takes a destination's packets: find returns the receiver for addr,
 * NULL to keep them waiting; out gets each packet, oldest first (pkt is
 * valid during the call only).
 */
typedef void *(*tun_pend_find_fn)(void *arg, const uint8_t addr[16]);
typedef void (*tun_pend_out_fn)(void *arg, void *to, const uint8_t *pkt, size_t len);

/*
 * After dropping what is older than max_age: hand the packets of every
 * destination that find gives a receiver to out, and free those
 * destinations.  Returns the number of packets handed out (counted as sent).
 */
size_t tun_pend_release(struct tun_pend *t, tun_pend_find_fn find, tun_pend_out_fn out, void *arg,
			uint64_t now, uint64_t max_age);

#endif
