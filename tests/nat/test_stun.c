/*
 * test_stun.c - the STUN codec (src/nat/stun.c): the RFC 5769 test vectors,
 * strict refusals, the writer, and the server's answer with its size rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "nat/stun.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	while (h[0] && h[1]) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* RFC 5769 2.1: request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME (space padding), MI, FP. */
static const char rfc5769_request[] =
	"00010058 2112a442 b7e7a701 bc34d686 fa87dfae 80220010 5354554e 20746573 7420636c"
	"69656e74 00240004 6e0001ff 80290008 932ff9b1 51263b36 00060009 6576746a 3a683676"
	"59202020 00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2 80280004 e57a3bcf";
/* RFC 5769 2.2: IPv4 response, 192.0.2.1:32853. */
static const char rfc5769_v4[] =
	"0101003c 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220"
	"00200008 0001a147 e112a643 00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7"
	"80280004 c07d4c96";
/* RFC 5769 2.3: IPv6 response, [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const char rfc5769_v6[] =
	"01010048 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220"
	"00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9 00080014 a382954e 4be67bf1"
	"1784c97c 8292c275 bfe3ed41 80280004 c8fb0b4c";

static void test_rfc5769_request(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = unhex(rfc5769_request, b);
	struct stun_msg m;
	assert_int_equal(n, 108);
	assert_int_equal(stun_parse(b, n, &m), 0);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_false(m.legacy);
	assert_true(m.fingerprint);
	assert_true(m.integrity);
	assert_int_equal(m.software_len, 16);
	assert_memory_equal(m.software, "STUN test client", 16);
	/* PRIORITY (0x0024) is comprehension-required and not ours: listed; ICE-CONTROLLED is not. */
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown[0], 0x0024);
	/* One flipped bit anywhere before it breaks the FINGERPRINT. */
	b[30] ^= 1;
	assert_int_equal(stun_parse(b, n, &m), SP_EMALFORMED);
}

static void test_rfc5769_responses(void **state)
{
	(void)state;
	uint8_t b[256];
	struct stun_msg m;
	char s[SP_ENDPOINT_STRLEN];
	size_t n = unhex(rfc5769_v4, b);
	assert_int_equal(n, 80);
	assert_int_equal(stun_parse(b, n, &m), 0);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_true(m.fingerprint);
	assert_true(m.has_xor_mapped);
	assert_string_equal(sp_endpoint_format(&m.xor_mapped, s), "192.0.2.1:32853");
	assert_int_equal(m.software_len, 11);
	n = unhex(rfc5769_v6, b);
	assert_int_equal(n, 92);
	assert_int_equal(stun_parse(b, n, &m), 0);
	assert_true(m.has_xor_mapped);
	assert_string_equal(sp_endpoint_format(&m.xor_mapped, s),
			    "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

static void test_crc32(void **state)
{
	(void)state;
	/* The check value of CRC-32/ISO-HDLC. */
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

static void test_strict(void **state)
{
	(void)state;
	uint8_t b[256], c[256];
	struct stun_msg m;
	size_t n = unhex(rfc5769_v4, b);
	/* Every truncation is refused (the length field no longer matches). */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(stun_parse(b, k, &m), SP_EMALFORMED);
	/* Top bits, length not a multiple of 4, length mismatch. */
	memcpy(c, b, n);
	c[0] |= 0x80;
	assert_int_equal(stun_parse(c, n, &m), SP_EMALFORMED);
	memcpy(c, b, n);
	c[3] = 0x3b;
	assert_int_equal(stun_parse(c, n - 1, &m), SP_EMALFORMED);
	/* An attribute longer than the message. */
	memcpy(c, b, n);
	c[22] = 0x00;
	c[23] = 0x40;
	assert_int_equal(stun_parse(c, n, &m), SP_EMALFORMED);
	/* An attribute after FINGERPRINT. */
	uint8_t tx[16] = { 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	size_t len;
	assert_int_equal(stun_binding_request(c, sizeof(c), tx, 0, 0, NULL, &len), 0);
	assert_int_equal(len, 28);
	assert_int_equal(stun_parse(c, len, &m), 0);
	assert_true(m.fingerprint);
	memcpy(c + 28, "\x80\x22\x00\x00", 4);
	c[3] += 4;
	assert_int_equal(stun_parse(c, len + 4, &m), SP_EMALFORMED);
	/* An IPv4 address attribute of IPv6 length, an unknown family. */
	struct stun_writer w;
	stun_w_init(&w, c, sizeof(c), STUN_SUCCESS | STUN_BINDING, tx);
	uint8_t v[20] = { 0, 1, 0, 80 };
	stun_w_attr(&w, STUN_A_XOR_MAPPED_ADDRESS, v, 20);
	assert_int_equal(stun_w_finish(&w, false, &len), 0);
	assert_int_equal(stun_parse(c, len, &m), SP_EMALFORMED);
	stun_w_init(&w, c, sizeof(c), STUN_SUCCESS | STUN_BINDING, tx);
	v[1] = 3;
	stun_w_attr(&w, STUN_A_MAPPED_ADDRESS, v, 8);
	assert_int_equal(stun_w_finish(&w, false, &len), 0);
	assert_int_equal(stun_parse(c, len, &m), SP_EMALFORMED);
	/* A CHANGE-REQUEST of 8 bytes. */
	stun_w_init(&w, c, sizeof(c), STUN_REQUEST | STUN_BINDING, tx);
	stun_w_attr(&w, STUN_A_CHANGE_REQUEST, v, 8);
	assert_int_equal(stun_w_finish(&w, false, &len), 0);
	assert_int_equal(stun_parse(c, len, &m), SP_EMALFORMED);
	/* No cookie: an RFC 3489 message, parsed as legacy. */
	assert_int_equal(stun_binding_request(c, sizeof(c), tx, 0, 0, NULL, &len), 0);
	c[4] = 0;
	assert_int_equal(stun_parse(c, len - 8, &m), SP_EMALFORMED);	/* length field says 8 */
	c[3] = 0;
	assert_int_equal(stun_parse(c, 20, &m), 0);
	assert_true(m.legacy);
}

static void ep4(union sp_endpoint *e, const char *a, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->in4.sin_family = AF_INET;
	e->in4.sin_port = htons(port);
	inet_pton(AF_INET, a, &e->in4.sin_addr);
}

static void ep6(union sp_endpoint *e, const char *a, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->in6.sin6_family = AF_INET6;
	e->in6.sin6_port = htons(port);
	inet_pton(AF_INET6, a, &e->in6.sin6_addr);
}

static void test_roundtrip_addr(void **state)
{
	(void)state;
	uint8_t tx[16] = { 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
			   0xfa, 0x87, 0xdf, 0xae };
	union sp_endpoint a, b;
	ep4(&a, "192.0.2.1", 32853);
	ep6(&b, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	uint8_t buf[256], ref[256];
	struct stun_writer w;
	size_t len;
	stun_w_init(&w, buf, sizeof(buf), STUN_SUCCESS | STUN_BINDING, tx);
	stun_w_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &a, true);
	assert_int_equal(stun_w_finish(&w, false, &len), 0);
	/* The same bytes as RFC 5769 2.2's attribute. */
	unhex("00200008 0001a147 e112a643", ref);
	assert_memory_equal(buf + 20, ref, 12);
	stun_w_init(&w, buf, sizeof(buf), STUN_SUCCESS | STUN_BINDING, tx);
	stun_w_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &b, true);
	stun_w_addr(&w, STUN_A_OTHER_ADDRESS, &a, false);
	assert_int_equal(stun_w_finish(&w, true, &len), 0);
	unhex("00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9", ref);
	assert_memory_equal(buf + 20, ref, 24);
	struct stun_msg m;
	assert_int_equal(stun_parse(buf, len, &m), 0);
	assert_true(m.fingerprint && m.has_xor_mapped && m.has_other);
	assert_true(sp_endpoint_equal(&m.xor_mapped, &b));
	assert_true(sp_endpoint_equal(&m.other, &a));
}

static void test_answer(void **state)
{
	(void)state;
	uint8_t tx[16] = { 0x21, 0x12, 0xa4, 0x42, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2 };
	uint8_t req[STUN_MSG_MAX], out[STUN_MSG_MAX];
	union sp_endpoint src, origin, other;
	ep4(&src, "198.51.100.7", 40000);
	ep4(&origin, "192.0.2.10", 3478);
	ep4(&other, "192.0.2.11", 3479);
	struct stun_answer_ctx ctx = { .src = &src, .origin = &origin, .software = "signpost" };
	size_t rl, ol;
	uint32_t change;
	struct stun_msg m;

	/* A bare 20-byte request: the floor answer, XOR-MAPPED-ADDRESS only (32 bytes). */
	assert_int_equal(stun_binding_request(req, sizeof(req), tx, 0, 0, NULL, &rl), 0);
	rl = 20;
	req[3] = 0;
	assert_int_equal(stun_answer(req, rl, &ctx, out, &ol, &change), STUN_ANSWER);
	assert_true(ol <= STUN_ANSWER_FLOOR);
	assert_int_equal(stun_parse(out, ol, &m), 0);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_memory_equal(m.txid, tx, 16);
	assert_true(m.has_xor_mapped && sp_endpoint_equal(&m.xor_mapped, &src));

	/* A padded request gets everything, and never more than its own size. */
	ctx.other = &other;
	ctx.changed[3] = &other;
	assert_int_equal(stun_binding_request(req, sizeof(req), tx, 0, 128, NULL, &rl), 0);
	assert_int_equal(rl, 128);
	assert_int_equal(stun_answer(req, rl, &ctx, out, &ol, &change), STUN_ANSWER);
	assert_true(ol <= rl);
	assert_int_equal(stun_parse(out, ol, &m), 0);
	assert_true(m.fingerprint && m.has_mapped && m.has_other && m.has_origin);
	assert_true(sp_endpoint_equal(&m.origin, &origin));
	assert_true(sp_endpoint_equal(&m.other, &other));
	assert_int_equal(m.software_len, 8);

	/* For every request size, the answer fits max(request, floor). */
	for (size_t pad = 0; pad <= 128; pad += 4) {
		assert_int_equal(stun_binding_request(req, sizeof(req), tx, 0, pad, NULL, &rl), 0);
		assert_int_equal(stun_answer(req, rl, &ctx, out, &ol, &change), STUN_ANSWER);
		assert_true(ol <= (rl > STUN_ANSWER_FLOOR ? rl : STUN_ANSWER_FLOOR));
		assert_int_equal(stun_parse(out, ol, &m), 0);
	}

	/* CHANGE-REQUEST: answered "changed" from the other address, which it names as origin. */
	assert_int_equal(stun_binding_request(req, sizeof(req), tx, STUN_CHANGE_IP |
					      STUN_CHANGE_PORT, 128, NULL, &rl), 0);
	assert_int_equal(stun_answer(req, rl, &ctx, out, &ol, &change), STUN_ANSWER_CHANGED);
	assert_int_equal(change, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(stun_parse(out, ol, &m), 0);
	assert_true(sp_endpoint_equal(&m.origin, &other));
	/* Port only: not possible here, 420 naming CHANGE-REQUEST. */
	assert_int_equal(stun_binding_request(req, sizeof(req), tx, STUN_CHANGE_PORT, 0, NULL,
					      &rl), 0);
	assert_int_equal(stun_answer(req, rl, &ctx, out, &ol, &change), STUN_ANSWER);
	assert_int_equal(stun_parse(out, ol, &m), 0);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(m.error_code, 420);

	/* RFC 5769's request (PRIORITY unknown): 420, no larger than the request. */
	size_t n = unhex(rfc5769_request, req);
	assert_int_equal(stun_answer(req, n, &ctx, out, &ol, &change), STUN_ANSWER);
	assert_true(ol <= n);
	assert_int_equal(stun_parse(out, ol, &m), 0);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(m.error_code, 420);
	assert_int_equal(out[20 + 8 + 4], 0x00);
	assert_int_equal(out[20 + 8 + 5], 0x24);

	/* Responses and indications are never answered. */
	n = unhex(rfc5769_v4, req);
	assert_int_equal(stun_answer(req, n, &ctx, out, &ol, &change), STUN_DROP);

	/* RFC 3489 request (no cookie, as Debian's stun sends): MAPPED-ADDRESS, 32 bytes. */
	n = unhex("00010008 011bc77a e722a97b 7444055f b149eb1e 00030004 00000000", req);
	assert_int_equal(stun_answer(req, n, &ctx, out, &ol, &change), STUN_ANSWER);
	assert_true(ol >= 32 && ol <= STUN_ANSWER_FLOOR);
	assert_int_equal(stun_parse(out, ol, &m), 0);
	assert_true(m.legacy && m.has_mapped && !m.has_xor_mapped);
	assert_true(sp_endpoint_equal(&m.mapped, &src));
	assert_memory_equal(out + 4, req + 4, 16);

	/* IPv6 source: 44 bytes for the bare request. */
	ep6(&src, "2001:db8::7", 40000);
	assert_int_equal(stun_binding_request(req, sizeof(req), tx, 0, 0, NULL, &rl), 0);
	assert_int_equal(stun_answer(req, 20, &ctx, out, &ol, &change), STUN_DROP);	/* length 8 */
	req[3] = 0;
	assert_int_equal(stun_answer(req, 20, &ctx, out, &ol, &change), STUN_ANSWER);
	assert_int_equal(ol, 44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request), cmocka_unit_test(test_rfc5769_responses),
		cmocka_unit_test(test_crc32), cmocka_unit_test(test_strict),
		cmocka_unit_test(test_roundtrip_addr), cmocka_unit_test(test_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
