/*
 * test_natpmp.c - the NAT-PMP codec (src/nat/natpmp.c): requests byte for
 * byte as RFC 6886 lays them out, responses parsed, strict refusals, the
 * epoch rule that detects a restarted gateway.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nat/natpmp.h"

static void test_requests(void **state)
{
	(void)state;
	uint8_t b[16];
	assert_int_equal(natpmp_write_addr_request(b), 2);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 0);
	size_t n;
	assert_int_equal(natpmp_write_map_request(b, sizeof(b), NATPMP_OP_MAP_UDP, 51820, 51821,
						  7200, &n), 0);
	static const uint8_t want[] = { 0, 1, 0, 0, 0xca, 0x6c, 0xca, 0x6d, 0, 0, 0x1c, 0x20 };
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	/* Deletion: lifetime 0, external port 0. */
	assert_int_equal(natpmp_write_map_request(b, sizeof(b), NATPMP_OP_MAP_UDP, 51820, 0, 0, &n), 0);
	assert_int_equal(b[6] | b[7] | b[8] | b[9] | b[10] | b[11], 0);
	assert_int_equal(natpmp_write_map_request(b, 11, NATPMP_OP_MAP_UDP, 1, 1, 1, &n), SP_ETRUNC);
	assert_int_equal(natpmp_write_map_request(b, sizeof(b), NATPMP_OP_ADDR, 1, 1, 1, &n), -EINVAL);
	assert_int_equal(natpmp_write_map_request(b, sizeof(b), NATPMP_OP_MAP_UDP, 0, 1, 1, &n),
			 -EINVAL);
}

static void test_responses(void **state)
{
	(void)state;
	struct natpmp_response r;
	static const uint8_t addr[] = { 0, 128, 0, 0, 0, 0, 0x03, 0xe8, 198, 51, 100, 7 };
	assert_int_equal(natpmp_parse_response(addr, sizeof(addr), &r), 0);
	assert_int_equal(r.op, NATPMP_OP_ADDR);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.epoch, 1000);
	assert_true(r.full);
	static const uint8_t ip[4] = { 198, 51, 100, 7 };
	assert_memory_equal(r.external_addr, ip, 4);

	static const uint8_t map[] = { 0, 129, 0, 0, 0, 0, 0, 9, 0xca, 0x6c, 0x9c, 0x40,
				       0, 0, 0x0e, 0x10 };
	assert_int_equal(natpmp_parse_response(map, sizeof(map), &r), 0);
	assert_int_equal(r.op, NATPMP_OP_MAP_UDP);
	assert_int_equal(r.internal_port, 51820);
	assert_int_equal(r.external_port, 40000);
	assert_int_equal(r.lifetime, 3600);

	static const uint8_t refused[] = { 0, 129, 0, 2, 0, 0, 0, 9, 0xca, 0x6c, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(natpmp_parse_response(refused, sizeof(refused), &r), 0);
	assert_int_equal(r.result, NATPMP_R_NOT_AUTHORIZED);
	assert_string_equal(natpmp_result_str(r.result), "NOT_AUTHORIZED");
	assert_string_equal(natpmp_result_str(77), "UNKNOWN");

	/* The bare header: an error only. */
	static const uint8_t bare_err[] = { 0, 128, 0, 1, 0, 0, 0, 9 };
	assert_int_equal(natpmp_parse_response(bare_err, sizeof(bare_err), &r), 0);
	assert_false(r.full);
	assert_int_equal(r.result, NATPMP_R_UNSUPP_VERSION);
	static const uint8_t bare_ok[] = { 0, 129, 0, 0, 0, 0, 0, 9 };
	assert_int_equal(natpmp_parse_response(bare_ok, sizeof(bare_ok), &r), SP_EMALFORMED);
}

static void test_refusals(void **state)
{
	(void)state;
	struct natpmp_response r;
	uint8_t m[17] = { 0, 129, 0, 0, 0, 0, 0, 9, 0xca, 0x6c, 0x9c, 0x40, 0, 0, 0x0e, 0x10, 0 };
	assert_int_equal(natpmp_parse_response(m, 17, &r), SP_EMALFORMED);	/* too long */
	assert_int_equal(natpmp_parse_response(m, 15, &r), SP_EMALFORMED);	/* too short */
	assert_int_equal(natpmp_parse_response(m, 12, &r), SP_EMALFORMED);	/* addr length, map op */
	assert_int_equal(natpmp_parse_response(m, 0, &r), SP_EMALFORMED);
	m[0] = 2;	/* PCP's version */
	assert_int_equal(natpmp_parse_response(m, 16, &r), SP_EMALFORMED);
	m[0] = 0;
	m[1] = 1;	/* a request, not a response */
	assert_int_equal(natpmp_parse_response(m, 16, &r), SP_EMALFORMED);
	m[1] = 131;	/* no such opcode */
	assert_int_equal(natpmp_parse_response(m, 16, &r), SP_EMALFORMED);
	/* A request must not parse as a response. */
	uint8_t q[12];
	size_t n;
	assert_int_equal(natpmp_write_map_request(q, sizeof(q), NATPMP_OP_MAP_UDP, 1, 1, 1, &n), 0);
	assert_int_equal(natpmp_parse_response(q, n, &r), SP_EMALFORMED);
}

static void test_epoch(void **state)
{
	(void)state;
	assert_true(natpmp_epoch_ok(1000, 1100, 100));
	assert_true(natpmp_epoch_ok(1000, 1086, 100));	/* 7/8 of 100 = 87, less 2 s */
	assert_false(natpmp_epoch_ok(1000, 1080, 100));	/* restarted since */
	assert_false(natpmp_epoch_ok(1000, 5, 1));		/* moved back */
	assert_true(natpmp_epoch_ok(1000, 999, 0));		/* one second back: clock skew */
	assert_false(natpmp_epoch_ok(1000, 998, 0));
	assert_true(natpmp_epoch_ok(UINT32_MAX - 1, UINT32_MAX, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
