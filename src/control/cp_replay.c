/*
 * cp_replay.c - the replay table: open addressing with linear probing over
 * a power-of-two slot array at most half full, keyed by SipHash of the
 * sender key; deletion shifts the following run back (no tombstones, so
 * a lookup never walks further than the run it is in).  See cp_replay.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/cp_replay.h"

#define MAX_CAPACITY (1u << 24)

int cp_replay_init(struct cp_replay *t, size_t capacity)
{
	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > MAX_CAPACITY)
		return -EINVAL;
	size_t n = 1;
	while (n < 2 * capacity)
		n <<= 1;
	t->slot = calloc(n, sizeof(*t->slot));
	if (t->slot == NULL)
		return -ENOMEM;
	t->nslots = n;
	t->capacity = capacity;
	randombytes_buf(t->hash_key, sizeof(t->hash_key));
	return 0;
}

void cp_replay_deinit(struct cp_replay *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	sodium_memzero(t, sizeof(*t));
}

static size_t home(const struct cp_replay *t, const uint8_t key[32])
{
	uint64_t h;
	crypto_shorthash((unsigned char *)&h, key, 32, t->hash_key);
	return (size_t)h & (t->nslots - 1);
}

/* The slot holding key, or NULL. */
static struct cp_replay_slot *find(const struct cp_replay *t, const uint8_t key[32])
{
	size_t mask = t->nslots - 1;
	for (size_t i = home(t, key);; i = (i + 1) & mask) {
		struct cp_replay_slot *s = &t->slot[i];
		if (!s->used)
			return NULL;	/* at most half full: an empty slot always ends the run */
		if (memcmp(s->key, key, 32) == 0)
			return s;
	}
}

static void remove_slot(struct cp_replay *t, struct cp_replay_slot *s)
{
	size_t mask = t->nslots - 1;
	size_t hole = (size_t)(s - t->slot);

	memset(s, 0, sizeof(*s));
	t->used--;
	/* Shift back every later member of the run that may live in the hole:
	 * one whose home is not cyclically in (hole, j]. */
	for (size_t j = (hole + 1) & mask; t->slot[j].used; j = (j + 1) & mask) {
		size_t h = home(t, t->slot[j].key);
		bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
		if (stays)
			continue;
		t->slot[hole] = t->slot[j];
		memset(&t->slot[j], 0, sizeof(t->slot[j]));
		hole = j;
	}
}

static bool too_far(uint64_t counter, uint64_t now)
{
	uint64_t d = counter > now ? counter - now : now - counter;
	return d > CP_REPLAY_WINDOW_US;
}

static bool expired(const struct cp_replay_slot *s, uint64_t now)
{
	return now > CP_REPLAY_WINDOW_US && s->top < now - CP_REPLAY_WINDOW_US;
}

/* The evictable slot with the oldest top, or NULL (a scan, only when full). */
static struct cp_replay_slot *victim(const struct cp_replay *t, uint64_t now)
{
	struct cp_replay_slot *best = NULL;
	for (size_t i = 0; i < t->nslots; i++) {
		struct cp_replay_slot *s = &t->slot[i];
		if (s->used && expired(s, now) && (best == NULL || s->top < best->top))
			best = s;
	}
	return best;
}

static bool bit_get(const struct cp_replay_slot *s, uint64_t i)
{
	return (s->bits[i / 64] >> (i % 64)) & 1;
}

/* The verdict for a known sender's counter (time already checked). */
static int verdict(const struct cp_replay_slot *s, uint64_t counter)
{
	if (counter > s->top)
		return 0;
	uint64_t d = s->top - counter;
	if (d == 0 || d > CP_REPLAY_BITS || bit_get(s, d - 1))
		return SP_EREPLAY;
	return 0;
}

/* Shift the window left by n (a new top n above the old one). */
static void shift(struct cp_replay_slot *s, uint64_t n)
{
	if (n >= 128) {
		s->bits[0] = s->bits[1] = 0;
	} else if (n >= 64) {
		s->bits[1] = s->bits[0] << (n - 64);
		s->bits[0] = 0;
	} else if (n > 0) {
		s->bits[1] = (s->bits[1] << n) | (s->bits[0] >> (64 - n));
		s->bits[0] <<= n;
	}
}

static void record(struct cp_replay_slot *s, uint64_t counter)
{
	if (counter > s->top) {
		uint64_t n = counter - s->top;
		shift(s, n);
		/* The old top is now n - 1 below the new one. */
		if (n - 1 < CP_REPLAY_BITS)
			s->bits[(n - 1) / 64] |= 1ull << ((n - 1) % 64);
		s->top = counter;
	} else {
		uint64_t i = s->top - counter - 1;
		s->bits[i / 64] |= 1ull << (i % 64);
	}
}

int cp_replay_check(const struct cp_replay *t, const uint8_t key[32], uint64_t counter,
		    uint64_t now_us)
{
	if (t->slot == NULL)
		return -EINVAL;
	if (too_far(counter, now_us))
		return SP_EEXPIRED;
	const struct cp_replay_slot *s = find(t, key);
	if (s)
		return verdict(s, counter);
	if (t->used >= t->capacity && victim(t, now_us) == NULL)
		return SP_ELIMIT;
	return 0;
}

int cp_replay_accept(struct cp_replay *t, const uint8_t key[32], uint64_t counter,
		     uint64_t now_us)
{
	int err;

	if (t->slot == NULL)
		return -EINVAL;
	if (too_far(counter, now_us)) {
		t->refused_time++;
		return SP_EEXPIRED;
	}
	struct cp_replay_slot *s = find(t, key);
	if (s) {
		err = verdict(s, counter);
		if (err != 0) {
			t->refused_replay++;
			return err;
		}
		record(s, counter);
		t->accepted++;
		return 0;
	}
	if (t->used >= t->capacity) {
		struct cp_replay_slot *v = victim(t, now_us);
		if (v == NULL) {
			t->refused_full++;
			return SP_ELIMIT;
		}
		remove_slot(t, v);
		t->evicted++;
	}
	size_t mask = t->nslots - 1, i = home(t, key);
	while (t->slot[i].used)
		i = (i + 1) & mask;
	s = &t->slot[i];
	memcpy(s->key, key, 32);
	s->top = counter;
	s->bits[0] = s->bits[1] = 0;
	s->used = 1;
	t->used++;
	t->accepted++;
	return 0;
}

void cp_replay_forget(struct cp_replay *t, const uint8_t key[32])
{
	if (t->slot == NULL)
		return;
	struct cp_replay_slot *s = find(t, key);
	if (s)
		remove_slot(t, s);
}
