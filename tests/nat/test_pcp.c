/*
 * test_pcp.c - the PCP MAP codec (src/nat/pcp.c): the request laid out as
 * RFC 6887 sections 7.1 and 11.1 say, responses parsed (with options),
 * strict refusals, NAT-PMP's answer recognised for the fallback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nat/pcp.h"

static const uint8_t nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
static const uint8_t lan[4] = { 192, 168, 1, 20 };
static const uint8_t pub[4] = { 198, 51, 100, 7 };

static size_t response(uint8_t *b, uint8_t result, uint16_t eport)
{
	memset(b, 0, PCP_MAP_REQ_LEN);
	b[0] = 2;
	b[1] = 0x81;
	b[3] = result;
	b[4] = 0, b[5] = 0, b[6] = 0x1c, b[7] = 0x20;	/* 7200 */
	b[11] = 42;					/* epoch */
	memcpy(b + 24, nonce, 12);
	b[36] = PCP_PROTO_UDP;
	b[40] = 0xca, b[41] = 0x6c;
	b[42] = (uint8_t)(eport >> 8), b[43] = (uint8_t)eport;
	pcp_addr_from_v4(b + 44, pub);
	return PCP_MAP_REQ_LEN;
}

static void test_request(void **state)
{
	(void)state;
	struct pcp_map_request q = { .lifetime = 7200, .protocol = PCP_PROTO_UDP,
				     .internal_port = 51820, .external_port = 51820 };
	pcp_addr_from_v4(q.client_addr, lan);
	memcpy(q.nonce, nonce, 12);
	static const uint8_t any[4];
	pcp_addr_from_v4(q.external_addr, any);
	uint8_t b[PCP_MAP_REQ_LEN];
	size_t n;
	assert_int_equal(pcp_write_map_request(b, sizeof(b), &q, &n), 0);
	assert_int_equal(n, 60);
	assert_int_equal(b[0], 2);
	assert_int_equal(b[1], 1);		/* MAP, R clear */
	assert_int_equal(b[2] | b[3], 0);
	assert_int_equal(b[6] << 8 | b[7], 7200);
	static const uint8_t mapped_lan[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
						192, 168, 1, 20 };
	assert_memory_equal(b + 8, mapped_lan, 16);
	assert_memory_equal(b + 24, nonce, 12);
	assert_int_equal(b[36], 17);
	assert_int_equal(b[37] | b[38] | b[39], 0);
	assert_int_equal(b[40] << 8 | b[41], 51820);
	assert_int_equal(b[42] << 8 | b[43], 51820);
	assert_int_equal(b[54], 0xff);
	assert_int_equal(b[55], 0xff);
	/* A request never parses as a response. */
	struct pcp_response r;
	assert_int_equal(pcp_parse_response(b, n, &r), SP_EMALFORMED);
	assert_int_equal(pcp_write_map_request(b, 59, &q, &n), SP_ETRUNC);
	q.protocol = 0;
	assert_int_equal(pcp_write_map_request(b, sizeof(b), &q, &n), -EINVAL);
	q.protocol = PCP_PROTO_UDP;
	q.internal_port = 0;
	assert_int_equal(pcp_write_map_request(b, sizeof(b), &q, &n), -EINVAL);
}

static void test_response(void **state)
{
	(void)state;
	uint8_t b[PCP_MSG_MAX + 4];
	size_t n = response(b, 0, 40000);
	struct pcp_response r;
	assert_int_equal(pcp_parse_response(b, n, &r), 0);
	assert_true(r.has_map);
	assert_int_equal(r.result, PCP_R_SUCCESS);
	assert_int_equal(r.lifetime, 7200);
	assert_int_equal(r.epoch, 42);
	assert_memory_equal(r.nonce, nonce, 12);
	assert_int_equal(r.protocol, PCP_PROTO_UDP);
	assert_int_equal(r.internal_port, 51820);
	assert_int_equal(r.external_port, 40000);
	uint8_t v4[4];
	assert_true(pcp_addr_to_v4(r.external_addr, v4));
	assert_memory_equal(v4, pub, 4);
	/* Options are skipped (THIRD_PARTY with its 16-byte address, one padded). */
	b[n] = 1, b[n + 1] = 0, b[n + 2] = 0, b[n + 3] = 16;
	memset(b + n + 4, 0, 16);
	b[n + 20] = 0x82, b[n + 21] = 0, b[n + 22] = 0, b[n + 23] = 3;
	memcpy(b + n + 24, "abc", 4);
	assert_int_equal(pcp_parse_response(b, n + 28, &r), 0);
	assert_int_equal(r.options, 2);
	/* The second option's length runs past the end. */
	b[n + 23] = 5;
	assert_int_equal(pcp_parse_response(b, n + 28, &r), SP_EMALFORMED);
	/* An error response, with and without the body. */
	n = response(b, PCP_R_ADDRESS_MISMATCH, 0);
	assert_int_equal(pcp_parse_response(b, n, &r), 0);
	assert_int_equal(r.result, 12);
	assert_string_equal(pcp_result_str(r.result), "ADDRESS_MISMATCH");
	assert_string_equal(pcp_result_str(200), "UNKNOWN");
	assert_int_equal(pcp_parse_response(b, PCP_HDR_LEN, &r), 0);
	assert_false(r.has_map);
	b[3] = 0;
	assert_int_equal(pcp_parse_response(b, PCP_HDR_LEN, &r), SP_EMALFORMED);
}

static void test_refusals(void **state)
{
	(void)state;
	uint8_t b[PCP_MSG_MAX + 8];
	struct pcp_response r;
	size_t n = response(b, 0, 1);
	assert_int_equal(pcp_parse_response(b, n - 4, &r), SP_EMALFORMED);	/* body cut */
	assert_int_equal(pcp_parse_response(b, n + 2, &r), SP_EMALFORMED);	/* unaligned */
	assert_int_equal(pcp_parse_response(b, 20, &r), SP_EMALFORMED);
	memset(b + n, 0, sizeof(b) - n);
	b[n + 3] = (uint8_t)(PCP_MSG_MAX - n - 4 + 4 - 4);	/* fits up to PCP_MSG_MAX... */
	assert_int_equal(pcp_parse_response(b, PCP_MSG_MAX + 4, &r), SP_EMALFORMED);	/* too big */
	n = response(b, 0, 1);
	b[0] = 1;
	assert_int_equal(pcp_parse_response(b, n, &r), SP_EMALFORMED);
	b[0] = 2;
	b[1] = 0x82;	/* PEER */
	assert_int_equal(pcp_parse_response(b, n, &r), SP_EMALFORMED);
	/* NAT-PMP's "unsupported version" tells the client to fall back. */
	static const uint8_t natpmp[] = { 0, 129, 0, 1, 0, 0, 0, 9 };
	assert_true(pcp_is_natpmp(natpmp, sizeof(natpmp)));
	assert_int_equal(pcp_parse_response(natpmp, sizeof(natpmp), &r), SP_EMALFORMED);
	n = response(b, 0, 1);
	assert_false(pcp_is_natpmp(b, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
