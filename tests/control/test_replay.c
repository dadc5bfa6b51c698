/*
 * test_replay.c - the control replay table: first and increasing counters
 * pass; a duplicate, one older than the 128-counter bitmap, one outside
 * the time window (past or future) are refused; reordering inside the
 * bitmap passes once; a full table evicts only senders older than the
 * window, refuses a newcomer otherwise (counted); check changes nothing;
 * a flood of senders never grows the table; forget.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "control/cp_replay.h"

#define S 1000000ull
#define NOW (1767225600ull * S)

static void key_of(uint8_t k[32], uint32_t i)
{
	memset(k, 0, 32);
	memcpy(k, &i, sizeof(i));
	k[31] = 0x5a;
}

static void test_init_bounds(void **state)
{
	struct cp_replay t;
	uint8_t k[32] = { 1 };
	assert_int_equal(cp_replay_init(&t, 0), -EINVAL);
	cp_replay_deinit(&t);
	assert_int_equal(cp_replay_init(&t, (1u << 24) + 1), -EINVAL);
	cp_replay_deinit(&t);
	/* A zeroed / failed table refuses rather than crashes. */
	assert_int_equal(cp_replay_accept(&t, k, NOW, NOW), -EINVAL);
	assert_int_equal(cp_replay_check(&t, k, NOW, NOW), -EINVAL);
	cp_replay_forget(&t, k);
	assert_int_equal(cp_replay_init(&t, 4096), 0);
	assert_true(t.nslots >= 8192);
	cp_replay_deinit(&t);
	cp_replay_deinit(NULL);
}

static void test_duplicate_and_order(void **state)
{
	struct cp_replay t;
	uint8_t a[32], b[32];
	key_of(a, 1);
	key_of(b, 2);
	assert_int_equal(cp_replay_init(&t, 16), 0);

	assert_int_equal(cp_replay_accept(&t, a, NOW, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, NOW, NOW), SP_EREPLAY);
	/* Another sender has its own counters. */
	assert_int_equal(cp_replay_accept(&t, b, NOW, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, NOW + 1, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, NOW + 1, NOW), SP_EREPLAY);
	/* A jump ahead, then the ones skipped, each once. */
	assert_int_equal(cp_replay_accept(&t, a, NOW + 100, NOW), 0);
	for (uint64_t c = NOW + 2; c < NOW + 100; c += 7) {
		assert_int_equal(cp_replay_check(&t, a, c, NOW), 0);
		assert_int_equal(cp_replay_accept(&t, a, c, NOW), 0);
		assert_int_equal(cp_replay_accept(&t, a, c, NOW), SP_EREPLAY);
	}
	assert_int_equal(cp_replay_accept(&t, a, NOW, NOW), SP_EREPLAY);
	assert_int_equal(cp_replay_accept(&t, a, NOW + 100, NOW), SP_EREPLAY);
	assert_int_equal(t.refused_replay, 2 + 14 + 2);
	cp_replay_deinit(&t);
}

static void test_bitmap_edge(void **state)
{
	struct cp_replay t;
	uint8_t a[32];
	key_of(a, 3);
	assert_int_equal(cp_replay_init(&t, 4), 0);
	uint64_t top = NOW + 1000;
	assert_int_equal(cp_replay_accept(&t, a, top, NOW), 0);
	/* 128 below the top is the last the bitmap holds; 129 is too old. */
	assert_int_equal(cp_replay_accept(&t, a, top - 129, NOW), SP_EREPLAY);
	assert_int_equal(cp_replay_accept(&t, a, top - 128, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, top - 128, NOW), SP_EREPLAY);
	assert_int_equal(cp_replay_accept(&t, a, top - 64, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, top - 65, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, top - 63, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, top - 64, NOW), SP_EREPLAY);
	assert_int_equal(cp_replay_accept(&t, a, top - 65, NOW), SP_EREPLAY);
	assert_int_equal(cp_replay_accept(&t, a, top - 63, NOW), SP_EREPLAY);
	/* Moving the top by 64, then 65, then 200 keeps what must be kept. */
	for (uint64_t step = 1; step <= 200; step += 63) {
		uint64_t old = top;
		top += step;
		assert_int_equal(cp_replay_accept(&t, a, top, NOW), 0);
		assert_int_equal(cp_replay_accept(&t, a, old, NOW),
				 SP_EREPLAY);	/* seen, or too old now */
	}
	/* Every counter in the window, once, in reverse order, then none again. */
	top += 1000;
	assert_int_equal(cp_replay_accept(&t, a, top, NOW), 0);
	for (uint64_t d = 128; d >= 1; d--)
		assert_int_equal(cp_replay_accept(&t, a, top - d, NOW), 0);
	for (uint64_t d = 0; d <= 129; d++)
		assert_int_equal(cp_replay_accept(&t, a, top - d, NOW), SP_EREPLAY);
	cp_replay_deinit(&t);
}

static void test_time_window(void **state)
{
	struct cp_replay t;
	uint8_t a[32];
	key_of(a, 4);
	assert_int_equal(cp_replay_init(&t, 4), 0);
	assert_int_equal(cp_replay_accept(&t, a, NOW - CP_REPLAY_WINDOW_US - 1, NOW), SP_EEXPIRED);
	assert_int_equal(cp_replay_accept(&t, a, NOW + CP_REPLAY_WINDOW_US + 1, NOW), SP_EEXPIRED);
	assert_int_equal(cp_replay_check(&t, a, 0, NOW), SP_EEXPIRED);
	assert_int_equal(cp_replay_check(&t, a, UINT64_MAX, NOW), SP_EEXPIRED);
	assert_int_equal(t.refused_time, 2);
	assert_int_equal(t.used, 0);
	assert_int_equal(cp_replay_accept(&t, a, NOW - CP_REPLAY_WINDOW_US, NOW), 0);
	assert_int_equal(cp_replay_accept(&t, a, NOW + CP_REPLAY_WINDOW_US, NOW), 0);
	/* The same message an hour later: refused by time alone. */
	assert_int_equal(cp_replay_accept(&t, a, NOW + CP_REPLAY_WINDOW_US, NOW + 3600 * S),
			 SP_EEXPIRED);
	/* A receiver clock near 0 does not wrap. */
	uint8_t b[32];
	key_of(b, 5);
	assert_int_equal(cp_replay_accept(&t, b, 5, 3), 0);
	assert_int_equal(cp_replay_accept(&t, b, CP_REPLAY_WINDOW_US + 4, 3), SP_EEXPIRED);
	cp_replay_deinit(&t);
}

static void test_full_table(void **state)
{
	struct cp_replay t;
	uint8_t k[32];
	const size_t cap = 64;
	assert_int_equal(cp_replay_init(&t, cap), 0);
	/* Fill, with tops spread over 10 s. */
	for (uint32_t i = 0; i < cap; i++) {
		key_of(k, 100 + i);
		assert_int_equal(cp_replay_accept(&t, k, NOW + i * 100000, NOW + i * 100000), 0);
	}
	assert_int_equal(t.used, cap);
	/* All heard within the window: a newcomer is refused, counted. */
	key_of(k, 999);
	assert_int_equal(cp_replay_check(&t, k, NOW + 10 * S, NOW + 10 * S), SP_ELIMIT);
	assert_int_equal(cp_replay_accept(&t, k, NOW + 10 * S, NOW + 10 * S), SP_ELIMIT);
	assert_int_equal(t.refused_full, 1);
	/* Known senders still pass. */
	key_of(k, 100);
	assert_int_equal(cp_replay_accept(&t, k, NOW + 10 * S, NOW + 10 * S), 0);
	/* 65.05 s on: only key 101 (top NOW + 0.1 s) is older than now - 60 s,
	 * 100 was refreshed and the others are younger. */
	uint64_t now = NOW + 60 * S + 150000;
	key_of(k, 999);
	assert_int_equal(cp_replay_accept(&t, k, now, now), 0);
	assert_int_equal(t.evicted, 1);
	assert_int_equal(t.used, cap);
	key_of(k, 101);
	assert_int_equal(cp_replay_check(&t, k, now, now), SP_ELIMIT);
	key_of(k, 998);
	assert_int_equal(cp_replay_accept(&t, k, now, now), SP_ELIMIT);
	/* The evicted sender's old counter is refused by time, as promised. */
	key_of(k, 101);
	assert_int_equal(cp_replay_accept(&t, k, NOW + 100000, now), SP_EEXPIRED);
	/* The others are all still there. */
	for (uint32_t i = 2; i < cap; i++) {
		key_of(k, 100 + i);
		assert_int_equal(cp_replay_accept(&t, k, NOW + i * 100000, now), SP_EREPLAY);
	}
	cp_replay_deinit(&t);
}

static void test_flood_and_forget(void **state)
{
	struct cp_replay t;
	uint8_t k[32];
	const size_t cap = 1000;
	assert_int_equal(cp_replay_init(&t, cap), 0);
	size_t slots = t.nslots;
	/* 100000 senders, one a millisecond: the table stays at its capacity
	 * and every sender it holds is found again. */
	uint64_t ok = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		uint64_t now = NOW + (uint64_t)i * 1000;
		key_of(k, i);
		ok += cp_replay_accept(&t, k, now, now) == 0;
		assert_true(t.used <= cap);
	}
	assert_int_equal(t.nslots, slots);
	assert_int_equal(ok + t.refused_full, 100000);
	assert_true(ok > 1000);
	assert_true(t.evicted > 0);
	size_t found = 0;
	uint64_t end = NOW + 100000ull * 1000;
	for (uint32_t i = 0; i < 100000; i++) {
		key_of(k, i);
		found += cp_replay_check(&t, k, NOW + (uint64_t)i * 1000, end) == SP_EREPLAY;
	}
	assert_int_equal(found, t.used);
	/* Forget removes one and keeps the runs intact for the rest. */
	size_t before = t.used, forgotten = 0;
	for (uint32_t i = 0; i < 100000; i += 3) {
		key_of(k, i);
		if (cp_replay_check(&t, k, NOW + (uint64_t)i * 1000, end) == SP_EREPLAY) {
			cp_replay_forget(&t, k);
			forgotten++;
			assert_int_not_equal(cp_replay_check(&t, k, NOW + (uint64_t)i * 1000, end),
					     SP_EREPLAY);
		}
	}
	assert_int_equal(t.used, before - forgotten);
	found = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		key_of(k, i);
		found += cp_replay_check(&t, k, NOW + (uint64_t)i * 1000, end) == SP_EREPLAY;
	}
	assert_int_equal(found, t.used);
	cp_replay_deinit(&t);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_duplicate_and_order),
		cmocka_unit_test(test_bitmap_edge),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_flood_and_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
