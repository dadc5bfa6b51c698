/*
 * test_counter.c - the replay window: in order, out of order, duplicates,
 * too old, far ahead, the nonce-space end, and a random run against a
 * straightforward model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tunnel/counter.h"

#define W TUN_COUNTER_WINDOW_SIZE

static void test_in_order(void **state)
{
	struct tun_counter c;
	tun_counter_init(&c);
	for (uint64_t i = 0; i < 20000; i++) {
		assert_true(tun_counter_check(&c, i));
		assert_true(tun_counter_validate(&c, i));
		assert_false(tun_counter_validate(&c, i));
	}
	assert_false(tun_counter_validate(&c, 0));
	assert_false(tun_counter_validate(&c, 19999));
}

static void test_out_of_order(void **state)
{
	struct tun_counter c;
	tun_counter_init(&c);
	assert_true(tun_counter_validate(&c, 10));
	assert_true(tun_counter_validate(&c, 5));
	assert_true(tun_counter_validate(&c, 0));
	assert_true(tun_counter_validate(&c, 9));
	assert_false(tun_counter_validate(&c, 5));
	assert_false(tun_counter_validate(&c, 10));
	assert_true(tun_counter_validate(&c, 11));
	assert_true(tun_counter_validate(&c, 1));
	/* check never records */
	assert_true(tun_counter_check(&c, 2));
	assert_true(tun_counter_check(&c, 2));
	assert_true(tun_counter_validate(&c, 2));
	assert_false(tun_counter_check(&c, 2));
}

static void test_window_edges(void **state)
{
	struct tun_counter c;
	tun_counter_init(&c);
	uint64_t top = 3 * W + 17;
	assert_true(tun_counter_validate(&c, top));
	/* the oldest counter still inside the window, and the first one outside */
	assert_true(tun_counter_validate(&c, top - (W - 1)));
	assert_false(tun_counter_validate(&c, top - W));
	assert_false(tun_counter_validate(&c, 0));
	assert_true(tun_counter_validate(&c, top - 1));
	/* far ahead: everything before falls out, the bitmap is clean for the new range */
	uint64_t far = top + 10 * W;
	assert_true(tun_counter_validate(&c, far));
	assert_false(tun_counter_validate(&c, top));
	assert_false(tun_counter_validate(&c, top - 1));
	for (uint64_t i = far - (W - 1); i < far; i += 61)
		assert_true(tun_counter_validate(&c, i));
	assert_false(tun_counter_validate(&c, far));
	/* ahead by a bit more than a bitmap's worth, then by less than a word */
	assert_true(tun_counter_validate(&c, far + TUN_COUNTER_BITS_TOTAL + 3));
	assert_true(tun_counter_validate(&c, far + TUN_COUNTER_BITS_TOTAL + 5));
	assert_true(tun_counter_validate(&c, far + TUN_COUNTER_BITS_TOTAL + 4));
	assert_false(tun_counter_validate(&c, far + TUN_COUNTER_BITS_TOTAL + 4));
}

static void test_limit(void **state)
{
	struct tun_counter c;
	tun_counter_init(&c);
	assert_false(tun_counter_check(&c, TUN_REJECT_AFTER_MESSAGES));
	assert_false(tun_counter_validate(&c, UINT64_MAX));
	assert_true(tun_counter_validate(&c, TUN_REJECT_AFTER_MESSAGES - 1));
	assert_false(tun_counter_validate(&c, TUN_REJECT_AFTER_MESSAGES - 1));
	assert_true(tun_counter_validate(&c, TUN_REJECT_AFTER_MESSAGES - 2));
	assert_false(tun_counter_validate(&c, TUN_REJECT_AFTER_MESSAGES));
}

/* Random counters near a moving front against a model: seen set + greatest. */
static void test_random_model(void **state)
{
	enum { N = 200000, SPAN = 3 * TUN_COUNTER_BITS_TOTAL };
	struct tun_counter c;
	uint8_t *seen = calloc(N + SPAN, 1);
	assert_non_null(seen);
	tun_counter_init(&c);
	srand(12345);
	int64_t greatest = -1;
	uint64_t front = 0;
	for (int k = 0; k < N; k++) {
		front += (uint64_t)(rand() % 3);
		int64_t delta = (rand() % (2 * TUN_COUNTER_BITS_TOTAL)) - 3 * TUN_COUNTER_BITS_TOTAL / 2;
		int64_t n = (int64_t)front + delta;
		if (n < 0)
			n = 0;
		if (n >= N + SPAN)
			continue;
		bool want = !seen[n] && (greatest < 0 || n > greatest - (int64_t)W);
		bool got = tun_counter_validate(&c, (uint64_t)n);
		assert_int_equal(got, want);
		if (got) {
			seen[n] = 1;
			if (n > greatest)
				greatest = n;
		}
	}
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_random_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
