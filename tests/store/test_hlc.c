/* test_hlc.c - the hybrid logical clock: monotonic, follows the wall clock, bounds skew. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/st_hlc.h"

static void follows_wall_clock(void **state)
{
	(void)state;
	struct st_hlc c = { 0 };
	uint64_t a = st_hlc_now(&c, 1000);
	assert_int_equal(ST_HLC_MS(a), 1000);
	assert_int_equal(a & 0xffff, 0);
	uint64_t b = st_hlc_now(&c, 2000);
	assert_int_equal(ST_HLC_MS(b), 2000);
}

static void monotonic_when_clock_stalls_or_steps_back(void **state)
{
	(void)state;
	struct st_hlc c = { 0 };
	uint64_t a = st_hlc_now(&c, 5000);
	uint64_t b = st_hlc_now(&c, 5000);
	uint64_t d = st_hlc_now(&c, 4000);
	assert_true(b > a);
	assert_true(d > b);
	assert_int_equal(ST_HLC_MS(d), 5000);
}

static void observed_stamp_orders_later_writes(void **state)
{
	(void)state;
	struct st_hlc c = { 0 };
	uint64_t remote = (uint64_t)9000 << 16 | 7;
	assert_int_equal(st_hlc_observe(&c, remote, 8000), 0);
	assert_true(st_hlc_now(&c, 8000) > remote);
}

static void refuses_far_future(void **state)
{
	(void)state;
	struct st_hlc c = { 0 };
	uint64_t before = st_hlc_now(&c, 1000);
	uint64_t remote = (1000 + ST_HLC_MAX_SKEW_MS + 1) << 16;
	assert_int_equal(st_hlc_observe(&c, remote, 1000), SP_ELIMIT);
	assert_true(st_hlc_now(&c, 1000) == before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(follows_wall_clock),
		cmocka_unit_test(monotonic_when_clock_stalls_or_steps_back),
		cmocka_unit_test(observed_stamp_orders_later_writes),
		cmocka_unit_test(refuses_far_future),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
