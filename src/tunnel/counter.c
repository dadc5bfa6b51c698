/*
 * counter.c - sliding replay window over transport counters (RFC 6479).
 *
 * The bitmap is a ring of 64-bit words indexed by counter / 64.  Moving the
 * window forward clears the words between the old greatest counter's word
 * and the new one's; a word is reused only after it fell out of the window,
 * which is why the window is 64 bits shorter than the bitmap.
 */
#include "tunnel/counter.h"

#include <string.h>

#define WORDS (TUN_COUNTER_BITS_TOTAL / 64)

_Static_assert((TUN_COUNTER_BITS_TOTAL % 64) == 0 && (WORDS & (WORDS - 1)) == 0,
	       "the window is a power-of-two number of words");

void tun_counter_init(struct tun_counter *c)
{
	memset(c, 0, sizeof(*c));
}

static bool counter_ahead(const struct tun_counter *c, uint64_t n)
{
	return c->next == 0 || n >= c->next;
}

static bool bit_is_set(const struct tun_counter *c, uint64_t n)
{
	uint64_t bit = n % TUN_COUNTER_BITS_TOTAL;
	return (c->bitmap[bit / 64] >> (bit % 64)) & 1;
}

bool tun_counter_check(const struct tun_counter *c, uint64_t n)
{
	if (n >= TUN_REJECT_AFTER_MESSAGES)
		return false;
	if (counter_ahead(c, n))
		return true;
	/* Behind the greatest counter seen (next - 1): inside the window and unseen? */
	if (c->next - 1 - n >= TUN_COUNTER_WINDOW_SIZE)
		return false;
	return !bit_is_set(c, n);
}

bool tun_counter_validate(struct tun_counter *c, uint64_t n)
{
	if (!tun_counter_check(c, n))
		return false;
	if (counter_ahead(c, n)) {
		if (c->next != 0) {
			uint64_t cur = (c->next - 1) / 64, target = n / 64;
			uint64_t steps = target - cur;
			if (steps > WORDS)
				steps = WORDS;
			for (uint64_t i = 1; i <= steps; i++)
				c->bitmap[(cur + i) % WORDS] = 0;
		}
		c->next = n + 1;
	}
	uint64_t bit = n % TUN_COUNTER_BITS_TOTAL;
	c->bitmap[bit / 64] |= UINT64_C(1) << (bit % 64);
	return true;
}
