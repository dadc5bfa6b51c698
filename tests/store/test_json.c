/* test_json.c - the document check: accepts RFC 8259 JSON, refuses the rest, bounds depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/st_json.h"

static int check(const char *s)
{
	return st_json_check(s, strlen(s), NULL);
}

static void accepts_valid(void **state)
{
	(void)state;
	static const char *good[] = {
		"{}", "[]", "0", "-0.5e+10", "\"x\"", "true", "false", "null", " {\"a\" : [1, 2, {}]} ",
		"{\"title\":\"caf\xc3\xa9\",\"n\":12,\"tags\":[\"a\",\"b\"],\"x\":null}",
		"\"\\u00e9\\ud83d\\ude00\\n\\\"\\/\"", "\"\xf0\x9f\x98\x80\"", "[[[[]]]]", "1E5",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (check(good[i]) != 0)
			fail_msg("refused valid JSON: %s", good[i]);
	}
}

static void refuses_invalid(void **state)
{
	(void)state;
	static const char *bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\"}", "{1:2}", "01", "1.", ".5", "-",
		"1e", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12g4\"", "\"\\udc00\"", "\"\\ud800\"",
		"\"\\ud800\\u0041\"", "[1 2]", "{} {}", "1 2", "\"\x01\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xe2\x82\"", "[}", "{]", "NaN",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (check(bad[i]) != SP_EMALFORMED)
			fail_msg("accepted invalid JSON: %s", bad[i]);
	}
}

static void reports_where(void **state)
{
	(void)state;
	size_t at = 99;
	assert_int_equal(st_json_check("[1,2,x]", 7, &at), SP_EMALFORMED);
	assert_int_equal(at, 5);
	/* Embedded NUL: the length, not the terminator, bounds the text. */
	assert_int_equal(st_json_check("[1]\0", 4, &at), SP_EMALFORMED);
}

static void bounds_depth(void **state)
{
	(void)state;
	char buf[2 * (ST_JSON_DEPTH + 1)];
	for (int d = ST_JSON_DEPTH; d <= ST_JSON_DEPTH + 1; d++) {
		memset(buf, '[', (size_t)d);
		memset(buf + d, ']', (size_t)d);
		int rc = st_json_check(buf, 2 * (size_t)d, NULL);
		assert_int_equal(rc, d <= ST_JSON_DEPTH ? 0 : SP_EMALFORMED);
	}
	/* Mixed containers: each close must match its own open. */
	assert_int_equal(check("[{\"a\":[{}]}]"), 0);
	assert_int_equal(check("[{\"a\":[{}}]]"), SP_EMALFORMED);
}

static void plain_utf8(void **state)
{
	(void)state;
	assert_true(st_json_utf8_plain("notes/2026 caf\xc3\xa9", 16));
	assert_false(st_json_utf8_plain("a\tb", 3));
	assert_false(st_json_utf8_plain("a\x7f", 2));
	assert_false(st_json_utf8_plain("\xff", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_valid),
		cmocka_unit_test(refuses_invalid),
		cmocka_unit_test(reports_where),
		cmocka_unit_test(bounds_depth),
		cmocka_unit_test(plain_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
