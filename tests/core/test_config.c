/* test_config.c - schema-driven configuration: values, defaults, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/ini.h"
#include "core/log.h"

/* Capture stderr so that the error text itself can be asserted. */
static char errbuf[8192];

static int parse_capture(const char *text, struct sp_config **out)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	int rc = sp_config_parse("/etc/sp/test.conf", text, strlen(text), out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	return rc;
}

static const char *minimal = "[node]\nrole = signpost\nzone = alice.example\n";

static void test_minimal_and_defaults(void **state)
{
	struct sp_config *cfg;
	assert_int_equal(parse_capture(minimal, &cfg), 0);
	const struct sp_config_section *n = sp_config_get(cfg, "node");
	assert_non_null(n);
	assert_string_equal(sp_cfg_str(n, "role"), "signpost");
	/* The final dot is added. */
	assert_string_equal(sp_cfg_str(n, "zone"), "alice.example.");
	/* Relative paths are taken from the config file's folder. */
	assert_string_equal(sp_cfg_str(n, "key-file"), "/etc/sp/node.key");
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	assert_non_null(d);
	assert_int_equal(sp_cfg_int(d, "port"), 53);
	assert_int_equal(sp_cfg_int(d, "udp-payload"), 1232);
	assert_true(sp_cfg_bool(d, "enabled"));
	assert_int_equal(sp_cfg_line(d, "port"), 0);
	assert_null(sp_config_next(cfg, "peer", NULL));
	sp_config_free(cfg);
}

static void test_values_and_repeatable(void **state)
{
	const char *text = "# comment\n"
			   "[node]\nrole = device\nzone = bob.example.\nname = laptop\n"
			   "\n[dns]\nport = 5353\nenabled = off\n"
			   "[peer]\npublic-key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
			   "endpoint = [2001:db8::1]:51820\nallowed-ips = fd00::/8, 10.0.0.0/24\n"
			   "[peer]\npublic-key = BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\n"
			   "endpoint = 192.0.2.1:1\n";
	struct sp_config *cfg;
	assert_int_equal(parse_capture(text, &cfg), 0);
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	assert_int_equal(sp_cfg_int(d, "port"), 5353);
	assert_int_equal(sp_cfg_line(d, "port"), 8);
	assert_false(sp_cfg_bool(d, "enabled"));
	const struct sp_config_section *p1 = sp_config_next(cfg, "peer", NULL);
	const struct sp_config_section *p2 = sp_config_next(cfg, "peer", p1);
	assert_non_null(p1);
	assert_non_null(p2);
	assert_null(sp_config_next(cfg, "peer", p2));
	assert_string_equal(sp_cfg_str(p1, "endpoint"), "[2001:db8::1]:51820");
	assert_string_equal(sp_cfg_str(p2, "endpoint"), "192.0.2.1:1");
	sp_config_free(cfg);
}

struct bad_case {
	const char *text;
	const char *expect;	/* substring of the error output */
};

static void test_errors_name_file_line_option(void **state)
{
	static const struct bad_case cases[] = {
		{ "[node]\nrole = signpost\nzone = a.example\ncolour = blue\n",
		  "/etc/sp/test.conf:4: [node] colour: unknown option" },
		{ "[node]\nrole = signpost\nzone = a.example\n[nodes]\n",
		  "/etc/sp/test.conf:4: [nodes]: unknown section" },
		{ "[node]\nrole = king\nzone = a.example\n",
		  "/etc/sp/test.conf:2: [node] role: 'king' is not one of: signpost device" },
		{ "[node]\nrole = signpost\nzone = a.example\n[dns]\nport = 70000\n",
		  "/etc/sp/test.conf:5: [dns] port: 70000 is out of range 1..65535" },
		{ "[node]\nrole = signpost\nzone = a.example\n[dns]\nport = 5x\n",
		  "/etc/sp/test.conf:5: [dns] port: '5x' is not a whole number" },
		{ "[node]\nrole = signpost\nzone = a.example\n[dns]\nenabled = maybe\n",
		  "test.conf:5: [dns] enabled: 'maybe' is not yes or no" },
		{ "[node]\nrole = signpost\nzone = a.example\njust words\n",
		  "/etc/sp/test.conf:4: expected 'key = value'" },
		{ "role = signpost\n", "/etc/sp/test.conf:1: option outside of any [section]" },
		{ "[node\n", "/etc/sp/test.conf:1: section header needs a closing ']'" },
		{ "[node]\nrole = signpost\n", "[node] zone: required option is missing" },
		{ "[node]\nrole = signpost\nzone = a..example\n", "test.conf:3: [node] zone: not a valid" },
		{ "[node]\nrole = signpost\nzone = a.example\nzone = b.example\n",
		  "test.conf:4: [node] zone: option given twice (first on line 3)" },
		{ "[node]\nrole = signpost\nzone = a.example\n[node]\n",
		  "test.conf:4: [node]: section given twice" },
		{ "[node]\nrole = signpost\nzone = a.example\n[dns]\nlisten = 127.0.0.1,\n",
		  "test.conf:5: [dns] listen: expected a comma-separated list" },
		{ "[node]\nrole = signpost\nzone = a.example\n[dns]\nlisten = 300.1.1.1\n",
		  "test.conf:5: [dns] listen" },
		{ "[node]\nrole = signpost\nzone = a.example\n[peer]\npublic-key = abc\n",
		  "test.conf:5: [peer] public-key: expected the base64 form of a 32-byte key" },
		{ "[node]\nrole = signpost\nzone = a.example\n[peer]\n"
		  "public-key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nendpoint = 1.2.3.4\n",
		  "test.conf:6: [peer] endpoint: expected IPv4:port or [IPv6]:port" },
		{ "[node]\nrole = signpost\nzone = a.example\n[peer]\n"
		  "public-key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nallowed-ips = fd00::/129\n",
		  "test.conf:6: [peer] allowed-ips" },
		{ "[node]\nrole = signpost\nzone = a.example\n[peer]\nendpoint = 1.2.3.4:5\n",
		  "test.conf:4: [peer] public-key: required option is missing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_config *cfg = NULL;
		int rc = parse_capture(cases[i].text, &cfg);
		if (rc != SP_ECONFIG || strstr(errbuf, cases[i].expect) == NULL)
			fail_msg("case %zu: rc %d, output '%s', wanted '%s'", i, rc, errbuf,
				 cases[i].expect);
		assert_null(cfg);
	}
}

static void test_endpoint_split(void **state)
{
	char host[64];
	uint16_t port;
	assert_int_equal(sp_endpoint_split("192.0.2.7:53", host, sizeof(host), &port), 0);
	assert_string_equal(host, "192.0.2.7");
	assert_int_equal(port, 53);
	assert_int_equal(sp_endpoint_split("[::1]:5300", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 5300);
	assert_int_not_equal(sp_endpoint_split("::1:53", host, sizeof(host), &port), 0);
	assert_int_not_equal(sp_endpoint_split("host:53", host, sizeof(host), &port), 0);
	assert_int_not_equal(sp_endpoint_split("1.2.3.4:0", host, sizeof(host), &port), 0);
	assert_int_not_equal(sp_endpoint_split("1.2.3.4:", host, sizeof(host), &port), 0);
}

static int count_cb(void *user, unsigned line, const char *s, const char *k, const char *v)
{
	(*(int *)user)++;
	return 0;
}

static void test_ini_limits(void **state)
{
	/* A line longer than the limit is an error, not a silent truncation. */
	size_t n = SP_INI_LINE_MAX + 10;
	char *text = malloc(n + 16);
	strcpy(text, "[a]\nk = ");
	memset(text + 8, 'x', n);
	text[8 + n] = '\0';
	unsigned line;
	const char *msg;
	int count = 0;
	assert_int_equal(sp_ini_parse(text, strlen(text), count_cb, &count, &line, &msg),
			 SP_ECONFIG);
	assert_int_equal(line, 2);
	assert_string_equal(msg, "line too long");
	free(text);
	/* NUL bytes inside a line are refused. */
	static const char nul[] = "[a]\nk = v\0w\n";
	assert_int_equal(sp_ini_parse(nul, sizeof(nul) - 1, count_cb, &count, &line, &msg),
			 SP_ECONFIG);
	assert_int_equal(line, 2);
	/* CRLF line ends are fine. */
	count = 0;
	static const char crlf[] = "[a]\r\nk = v\r\n";
	assert_int_equal(sp_ini_parse(crlf, sizeof(crlf) - 1, count_cb, &count, &line, &msg), 0);
	assert_int_equal(count, 2);
}

int main(void)
{
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_values_and_repeatable),
		cmocka_unit_test(test_errors_name_file_line_option),
		cmocka_unit_test(test_endpoint_split),
		cmocka_unit_test(test_ini_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
