/* test_config.c - schema-driven configuration: values, defaults, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/ini.h"
#include "core/log.h"
#include "dns/dns_schema.h"
#include "tunnel/tun_schema.h"

/* The planes of signpostd, as it composes them. */
static const struct sp_section_schema *const real_planes[] = { dns_auth_schema, dns_stub_schema,
								    tun_schema };

static void compose_real(void)
{
	assert_int_equal(sp_config_schema_compose(real_planes, 3), 0);
}

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
	compose_real();
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

/* A plane that exists only in its own schema fragment, as a new plane would. */
static const char *const tp_modes[] = { "fast", "slow", NULL };
static const struct sp_opt tp_opts_a[] = {
	{ "level", SP_T_INT, "3", 1, 5, NULL, false, "how much" },
	{ "peer", SP_T_ENDPOINT, NULL, 0, 0, NULL, false, "where" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};
static const struct sp_opt tp_opts_b[] = {
	{ "mode", SP_T_ENUM, "fast", 0, 0, tp_modes, false, "which way" },
	{ NULL, 0, NULL, 0, 0, NULL, false, NULL },
};
static const struct sp_section_schema tp_part_a[] = {
	{ "testplane", false, "A plane declared only here.", tp_opts_a },
	{ NULL, false, NULL, NULL },
};
/* A second plane adding options to the same section, as the DNS planes share [dns]. */
static const struct sp_section_schema tp_part_b[] = {
	{ "testplane", false, "ignored: the first declaration names the section", tp_opts_b },
	{ NULL, false, NULL, NULL },
};

static void test_plane_owned_schema(void **state)
{
	const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema, tp_part_a,
						    tp_part_b };
	assert_int_equal(sp_config_schema_compose(frags, 4), 0);
	struct sp_config *cfg;
	char text[512];
	snprintf(text, sizeof(text), "%s[testplane]\nlevel = 4\nmode = slow\npeer = [2001:db8::7]:99\n",
		 minimal);
	assert_int_equal(parse_capture(text, &cfg), 0);
	const struct sp_config_section *t = sp_config_get(cfg, "testplane");
	assert_int_equal(sp_cfg_int(t, "level"), 4);
	assert_string_equal(sp_cfg_str(t, "mode"), "slow");
	const union sp_endpoint *ep = sp_cfg_endpoint(t, "peer");
	assert_non_null(ep);
	assert_int_equal(ep->sa.sa_family, AF_INET6);
	assert_int_equal(sp_endpoint_port(ep), 99);
	sp_config_free(cfg);

	/* Its errors name file, line, section and option, like core's own. */
	snprintf(text, sizeof(text), "%s[testplane]\nlevel = 9\n", minimal);
	assert_int_equal(parse_capture(text, &cfg), SP_ECONFIG);
	assert_non_null(strstr(errbuf, "/etc/sp/test.conf:5: [testplane] level: 9 is out of range 1..5"));
	snprintf(text, sizeof(text), "%s[testplane]\nmode = sideways\n", minimal);
	assert_int_equal(parse_capture(text, &cfg), SP_ECONFIG);
	assert_non_null(strstr(errbuf, "/etc/sp/test.conf:5: [testplane] mode:"));

	/* And it is in the reference, with the options of both declarations. */
	char *ref = NULL;
	size_t reflen = 0;
	FILE *f = open_memstream(&ref, &reflen);
	sp_config_reference(f);
	fclose(f);
	assert_non_null(strstr(ref, "### [testplane]\n\nA plane declared only here."));
	assert_non_null(strstr(ref, "| `level` | integer 1..5 | 3 | how much |"));
	assert_non_null(strstr(ref, "| `mode` | fast \\| slow | fast | which way |"));
	assert_non_null(strstr(ref, "### [dns]"));
	assert_null(strstr(ref, "### [tunnel]"));	/* not composed in */
	free(ref);

	/* Without the fragment the section is unknown. */
	compose_real();
	snprintf(text, sizeof(text), "%s[testplane]\nlevel = 4\n", minimal);
	assert_int_equal(parse_capture(text, &cfg), SP_ECONFIG);
	assert_non_null(strstr(errbuf, "[testplane]"));

	/* Two planes declaring one option is refused. */
	const struct sp_section_schema *const twice[] = { tp_part_a, tp_part_a };
	assert_int_equal(sp_config_schema_compose(twice, 2), -EEXIST);
	compose_real();
}

static void test_endpoints_parsed_once(void **state)
{
	compose_real();
	struct sp_config *cfg;
	char text[512];
	snprintf(text, sizeof(text),
		 "%s[dns]\nlisten = 127.0.0.1, ::1\nupstream = 192.0.2.1:5353,[2001:db8::1]:53\n",
		 minimal);
	assert_int_equal(parse_capture(text, &cfg), 0);
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	size_t n;
	const union sp_endpoint *l = sp_cfg_endpoints(d, "listen", &n);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].sa.sa_family, AF_INET);
	assert_int_equal(l[1].sa.sa_family, AF_INET6);
	assert_int_equal(sp_endpoint_port(&l[0]), 0);
	const union sp_endpoint *u = sp_cfg_endpoints(d, "upstream", &n);
	assert_int_equal(n, 2);
	char buf[SP_ENDPOINT_STRLEN];
	assert_string_equal(sp_endpoint_format(&u[0], buf), "192.0.2.1:5353");
	assert_string_equal(sp_endpoint_format(&u[1], buf), "[2001:db8::1]:53");
	sp_config_free(cfg);

	union sp_endpoint ep, ep2;
	assert_int_equal(sp_endpoint_parse("10.0.0.1:0", false, 0, &ep), SP_EMALFORMED);
	assert_int_equal(sp_endpoint_parse("10.0.0.1", false, 0, &ep), SP_EMALFORMED);
	assert_int_equal(sp_endpoint_parse("10.0.0.1", true, 53, &ep), 0);
	assert_int_equal(sp_endpoint_port(&ep), 53);
	assert_int_equal(sp_endpoint_parse("[::ffff:10.0.0.1]:53", false, 0, &ep2), 0);
	struct sockaddr_in6 mapped = ep2.in6;
	assert_int_equal(sp_endpoint_from_sa(&ep2, (struct sockaddr *)&mapped, sizeof(mapped)), 0);
	assert_true(sp_endpoint_equal(&ep, &ep2));	/* a v4-mapped source is the v4 endpoint */
	assert_int_equal(sp_endpoint_parse("host:53", false, 0, &ep), SP_EMALFORMED);
	assert_int_equal(sp_endpoint_parse("[::1]:65536", false, 0, &ep), SP_EMALFORMED);
	assert_int_equal(sp_endpoint_parse("[::1]:+5", false, 0, &ep), SP_EMALFORMED);
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
		cmocka_unit_test(test_plane_owned_schema),
		cmocka_unit_test(test_endpoints_parsed_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
