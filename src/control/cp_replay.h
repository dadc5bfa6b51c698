/*
 * cp_replay.h - the control plane's replay table (pure code).
 *
 * A control message carries the sender's counter: its clock in
 * microseconds, strictly increasing per sender process.  The receiver
 * keeps, per sender Ed25519 key, the highest counter accepted and a
 * 128-bit bitmap of the counters just below it (bit i: top - 1 - i seen),
 * in a table whose capacity is fixed at init (allocated then, never after).
 *
 * A counter is refused when
 *   - it is more than CP_REPLAY_WINDOW_US away from now (either way):
 *     SP_EEXPIRED (clock skew, or an old message replayed later);
 *   - it was accepted already, or is more than 128 below the highest one
 *     (older than the bitmap): SP_EREPLAY.  Counters are microseconds, so
 *     a message overtaken by one sent more than 128 us later is refused;
 *     control traffic retries, and relayed WireGuard has its own counter;
 *   - the sender is new and the table is full of senders heard from within
 *     the window: SP_ELIMIT (counted in `refused_full`).  A full table
 *     evicts the entry with the oldest highest counter, but only one below
 *     now - CP_REPLAY_WINDOW_US: every counter of that sender is refused by
 *     the time check already, so forgetting it admits no replay.
 *
 * Only authenticated messages (the box opened) come here, so a sender key
 * is one that holds its private key; the slots are found by a keyed hash
 * (SipHash, random key per table), so keys cannot be chosen to collide.
 *
 * now_us is the receiver's wall clock (the same clock senders use); a
 * clock stepped back by more than the window could let the counters of an
 * evicted sender in again, so callers pass a clock that does not jump
 * back.
 */
#ifndef CP_REPLAY_H
#define CP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Messages older or newer than this (receiver's clock) are refused:
 * generous for unsynchronised clocks, short for a replay. */
#define CP_REPLAY_WINDOW_US (60ull * 1000000ull)
#define CP_REPLAY_BITS 128

struct cp_replay_slot {
	uint8_t key[32];
	uint64_t top;		/* highest counter accepted */
	uint64_t bits[2];	/* bits[0] bit i: top-1-i seen; bits[1] bit i: top-65-i */
	uint8_t used;
};

struct cp_replay {
	struct cp_replay_slot *slot;	/* nslots (power of two, >= 2 x capacity) */
	size_t nslots;
	size_t capacity;	/* most senders held */
	size_t used;		/* senders held */
	uint8_t hash_key[16];	/* SipHash key, random at init */
	/* Counters, for status. */
	uint64_t accepted;
	uint64_t refused_replay;	/* SP_EREPLAY */
	uint64_t refused_time;		/* SP_EEXPIRED */
	uint64_t refused_full;		/* SP_ELIMIT */
	uint64_t evicted;
};

/*
 * Allocate a table for up to `capacity` senders (1..2^24).  Returns 0,
 * -EINVAL or -ENOMEM.  The only allocation of the module.
 */
int cp_replay_init(struct cp_replay *t, size_t capacity) SP_MUST_CHECK;
/* Free the table; t may be NULL, zeroed, or have failed init. */
void cp_replay_deinit(struct cp_replay *t);

/*
 * Would `counter` from `key` be accepted at now_us?  Changes nothing,
 * counts nothing.  Returns 0, SP_EEXPIRED, SP_EREPLAY or SP_ELIMIT as above.
 */
int cp_replay_check(const struct cp_replay *t, const uint8_t key[32], uint64_t counter,
		    uint64_t now_us) SP_MUST_CHECK;

/*
 * Check and record in one step, after the message's box opened: on 0 the
 * counter is marked seen (the sender added, evicting an expired entry if
 * the table is full); on refusal nothing changes but the refusal counter.
 * Call it before acting on the message, whatever the action's outcome: a
 * message refused by the handler stays spent.  Same returns as
 * cp_replay_check.
 */
int cp_replay_accept(struct cp_replay *t, const uint8_t key[32], uint64_t counter,
		     uint64_t now_us) SP_MUST_CHECK;

/*
 * Forget a sender; no-op if unknown.  Only for a key whose messages are
 * refused from now on anyway (a revoked device): forgetting a live sender
 * would let its messages of the last window be replayed.
 */
void cp_replay_forget(struct cp_replay *t, const uint8_t key[32]);

#endif
