/*
 * pending.c - the bounded table of packets waiting for a peer (pending.h).
 * Pure code: no libuv, no clock of its own.
 */
#include "tunnel/pending.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void tun_pend_init(struct tun_pend *t, size_t slot_cap)
{
	memset(t, 0, sizeof(*t));
	t->slot_cap = slot_cap;
}

static size_t slots_size(const struct tun_pend *t)
{
	return (size_t)TUN_PEND_DESTS * TUN_PEND_PER_DEST * t->slot_cap;
}

void tun_pend_deinit(struct tun_pend *t)
{
	if (t->slots) {
		/* plaintext of the user's traffic */
		sodium_memzero(t->slots, slots_size(t));
		free(t->slots);
	}
	t->slots = NULL;
	memset(t->d, 0, sizeof(t->d));
}

int tun_pend_dst_of(const uint8_t *pkt, size_t len, uint8_t addr[16])
{
	if (len >= 20 && (pkt[0] >> 4) == 4) {
		memcpy(addr, v4mapped, sizeof(v4mapped));
		memcpy(addr + 12, pkt + 16, 4);
		return 0;
	}
	if (len >= 40 && (pkt[0] >> 4) == 6) {
		memcpy(addr, pkt + 24, 16);
		return 0;
	}
	return -EINVAL;
}

bool tun_pend_wanted(const uint8_t addr[16])
{
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		const uint8_t *a = addr + 12;
		/* 0/8 "this network", 127/8 loopback, 224/4 multicast and 240/4 (with broadcast) */
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	}
	if (addr[0] == 0xff)
		return false;				/* multicast */
	if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
		return false;				/* fe80::/10 link-local */
	static const uint8_t zero[15] = { 0 };
	if (memcmp(addr, zero, sizeof(zero)) == 0 && addr[15] <= 1)
		return false;				/* :: and ::1 */
	return true;
}

static uint8_t *slot(struct tun_pend *t, const struct tun_pend_dest *d, unsigned i)
{
	size_t di = (size_t)(d - t->d);
	return t->slots + (di * TUN_PEND_PER_DEST + i) * t->slot_cap;
}

static void drop_oldest(struct tun_pend_dest *d)
{
	d->head = (d->head + 1) % TUN_PEND_PER_DEST;
	d->count--;
}

static void dest_free(struct tun_pend_dest *d)
{
	memset(d, 0, sizeof(*d));
}

/* Drop d's packets older than max_age; free d when none is left. */
static void dest_expire(struct tun_pend *t, struct tun_pend_dest *d, uint64_t now,
			uint64_t max_age)
{
	/* packets are in arrival order: the old ones are at the head */
	while (d->count > 0 && now - d->at[d->head] >= max_age) {
		drop_oldest(d);
		t->st.expired++;
	}
	if (d->count == 0)
		dest_free(d);
}

void tun_pend_expire(struct tun_pend *t, uint64_t now, uint64_t max_age)
{
	for (size_t i = 0; i < TUN_PEND_DESTS; i++)
		if (t->d[i].used)
			dest_expire(t, &t->d[i], now, max_age);
}

/* The destination for addr: existing, free, or the first-created one evicted. */
static struct tun_pend_dest *dest_get(struct tun_pend *t, const uint8_t addr[16])
{
	struct tun_pend_dest *free_d = NULL, *oldest = NULL;
	for (size_t i = 0; i < TUN_PEND_DESTS; i++) {
		struct tun_pend_dest *d = &t->d[i];
		if (!d->used) {
			if (!free_d)
				free_d = d;
			continue;
		}
		if (memcmp(d->addr, addr, 16) == 0)
			return d;
		if (!oldest || d->created_seq < oldest->created_seq)
			oldest = d;
	}
	struct tun_pend_dest *d = free_d;
	if (!d) {
		d = oldest;
		t->st.dropped += d->count;
		dest_free(d);
	}
	d->used = true;
	memcpy(d->addr, addr, 16);
	d->created_seq = ++t->seq;
	return d;
}

int tun_pend_hold(struct tun_pend *t, const uint8_t addr[16], const uint8_t *pkt, size_t len,
		  uint64_t now, uint64_t max_age, uint64_t event_gap, bool *emit)
{
	if (emit)
		*emit = false;
	if (len == 0 || len > t->slot_cap || len > UINT16_MAX) {
		t->st.dropped++;
		return SP_ELIMIT;
	}
	if (!t->slots) {
		t->slots = malloc(slots_size(t));
		if (!t->slots) {
			t->st.dropped++;
			return -ENOMEM;
		}
	}
	tun_pend_expire(t, now, max_age);
	struct tun_pend_dest *d = dest_get(t, addr);
	if (d->count == TUN_PEND_PER_DEST) {
		drop_oldest(d);
		t->st.dropped++;
	}
	unsigned i = (d->head + d->count) % TUN_PEND_PER_DEST;
	memcpy(slot(t, d, i), pkt, len);
	d->len[i] = (uint16_t)len;
	d->at[i] = now;
	d->count++;
	t->st.queued++;
	if (d->last_event == 0 || now - d->last_event >= event_gap) {
		/* a clock at 0 would look like "never": 1 ns later is as good */
		d->last_event = now ? now : 1;
		t->st.events++;
		if (emit)
			*emit = true;
	}
	return 0;
}

size_t tun_pend_count(const struct tun_pend *t)
{
	size_t n = 0;
	for (size_t i = 0; i < TUN_PEND_DESTS; i++)
		n += t->d[i].used ? t->d[i].count : 0;
	return n;
}

size_t tun_pend_dests(const struct tun_pend *t)
{
	size_t n = 0;
	for (size_t i = 0; i < TUN_PEND_DESTS; i++)
		n += t->d[i].used;
	return n;
}

size_t tun_pend_release(struct tun_pend *t, tun_pend_find_fn find, tun_pend_out_fn out, void *arg,
			uint64_t now, uint64_t max_age)
{
	size_t n = 0;
	tun_pend_expire(t, now, max_age);
	for (size_t i = 0; i < TUN_PEND_DESTS; i++) {
		struct tun_pend_dest *d = &t->d[i];
		if (!d->used)
			continue;
		void *to = find(arg, d->addr);
		if (!to)
			continue;
		for (unsigned k = 0; k < d->count; k++) {
			unsigned s = (d->head + k) % TUN_PEND_PER_DEST;
			out(arg, to, slot(t, d, s), d->len[s]);
			n++;
		}
		t->st.sent += d->count;
		dest_free(d);
	}
	return n;
}
