/*
 * test_uapi.c - the WireGuard userspace API text protocol.
 *
 * Requests are written as wg(8) writes them (wireguard-tools ipc-uapi.h:
 * set=1, device keys, then per peer public_key, preshared_key, endpoint,
 * persistent_keepalive_interval, replace_allowed_ips, allowed_ip...).
 * test_uapi_wg.c checks the same against the real `wg`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>

#include "tunnel/uapi.h"
#include "uapi_fixture.h"

static struct tun_uapi_set *S;

static int setup(void **state)
{
	S = tun_uapi_set_new();
	return S == NULL;
}

static int teardown(void **state)
{
	tun_uapi_set_free(S);
	S = NULL;
	return 0;
}

static int parse(const char *text)
{
	return tun_uapi_parse_set(text, strlen(text), S);
}

static void test_setconf(void **state)
{
	/* As `wg setconf` sends a file with an interface and two peers. */
	const char *req =
		"set=1\n"
		"private_key=" K1 "\n"
		"listen_port=51820\n"
		"fwmark=4660\n"
		"replace_peers=true\n"
		"public_key=" K2 "\n"
		"preshared_key=" PSK "\n"
		"endpoint=192.0.2.7:51821\n"
		"persistent_keepalive_interval=25\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.10.0.2/32\n"
		"allowed_ip=fd12:3456:789a::/48\n"
		"public_key=" K3 "\n"
		"endpoint=[2001:db8::1]:4500\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=0.0.0.0/0\n"
		"allowed_ip=::/0\n"
		"\n";
	uint8_t k[32];
	assert_int_equal(parse(req), 0);
	assert_int_equal(S->flags, TUN_UAPI_SET_PRIVATE_KEY | TUN_UAPI_SET_LISTEN_PORT |
					   TUN_UAPI_SET_FWMARK | TUN_UAPI_SET_REPLACE_PEERS);
	key(K1, k);
	assert_memory_equal(S->private_key, k, 32);
	assert_int_equal(S->listen_port, 51820);
	assert_int_equal(S->fwmark, 4660);
	assert_int_equal(S->n_peers, 2);
	assert_int_equal(S->n_aips, 4);

	const struct tun_uapi_peer *p = &S->peers[0];
	key(K2, k);
	assert_memory_equal(p->public_key, k, 32);
	key(PSK, k);
	assert_memory_equal(p->preshared_key, k, 32);
	assert_int_equal(p->flags, TUN_UAPI_PEER_PRESHARED_KEY | TUN_UAPI_PEER_ENDPOINT |
					   TUN_UAPI_PEER_KEEPALIVE | TUN_UAPI_PEER_REPLACE_AIPS);
	assert_int_equal(p->endpoint.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(p->endpoint.in4.sin_port), 51821);
	assert_int_equal(ntohl(p->endpoint.in4.sin_addr.s_addr), 0xc0000207);
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->aip_first, 0);
	assert_int_equal(p->aip_count, 2);
	assert_int_equal(S->aips[0].family, AF_INET);
	assert_int_equal(S->aips[0].cidr, 32);
	assert_memory_equal(S->aips[0].addr, "\x0a\x0a\x00\x02", 4);
	assert_int_equal(S->aips[1].family, AF_INET6);
	assert_int_equal(S->aips[1].cidr, 48);
	assert_memory_equal(S->aips[1].addr, "\xfd\x12\x34\x56\x78\x9a\0\0", 8);
	assert_false(S->aips[1].remove);

	p = &S->peers[1];
	key(K3, k);
	assert_memory_equal(p->public_key, k, 32);
	assert_int_equal(p->flags, TUN_UAPI_PEER_ENDPOINT | TUN_UAPI_PEER_REPLACE_AIPS);
	assert_int_equal(p->endpoint.sa.sa_family, AF_INET6);
	assert_int_equal(ntohs(p->endpoint.in6.sin6_port), 4500);
	assert_memory_equal(p->endpoint.in6.sin6_addr.s6_addr, "\x20\x01\x0d\xb8", 4);
	assert_int_equal(p->aip_first, 2);
	assert_int_equal(p->aip_count, 2);
	assert_int_equal(S->aips[2].cidr, 0);
	assert_int_equal(S->aips[3].family, AF_INET6);
	assert_int_equal(S->aips[3].cidr, 0);
}

static void test_set_small(void **state)
{
	/* `wg set wg0 peer K2 remove` */
	assert_int_equal(parse("set=1\npublic_key=" K2 "\nremove=true\n\n"), 0);
	assert_int_equal(S->flags, 0);
	assert_int_equal(S->n_peers, 1);
	assert_int_equal(S->peers[0].flags, TUN_UAPI_PEER_REMOVE);
	/* `wg set wg0 listen-port 0 private-key /dev/null-ish zero key` */
	assert_int_equal(parse("set=1\nprivate_key=" ZERO "\nlisten_port=0\n\n"), 0);
	assert_int_equal(S->flags, TUN_UAPI_SET_PRIVATE_KEY | TUN_UAPI_SET_LISTEN_PORT);
	assert_true(sodium_is_zero(S->private_key, 32));
	assert_int_equal(S->n_peers, 0);
	/* An empty set is legal; the closing empty line may be left out. */
	assert_int_equal(parse("set=1\n\n"), 0);
	assert_int_equal(parse("set=1\n"), 0);
	/* Everything else a peer may carry, upper-case hex accepted. */
	assert_int_equal(parse("set=1\npublic_key=" K2 "\nupdate_only=true\n"
			       "protocol_version=1\npersistent_keepalive_interval=0\n"
			       "preshared_key=" ZERO "\nallowed_ip=-10.1.0.0/16\n"
			       "public_key=E84B5A6D2717C1003A13B431570353DBACA9146CF150C5F8575680FEBA52027A\n"
			       "endpoint=[fe80::1%7]:1\n"
			       "\n"), 0);
	assert_int_equal(S->n_peers, 2);
	assert_int_equal(S->peers[0].flags, TUN_UAPI_PEER_UPDATE_ONLY |
					    TUN_UAPI_PEER_PROTOCOL_VERSION |
					    TUN_UAPI_PEER_KEEPALIVE | TUN_UAPI_PEER_PRESHARED_KEY);
	assert_true(S->aips[0].remove);
	assert_int_equal(S->aips[0].cidr, 16);
	uint8_t k[32];
	key(K1, k);
	assert_memory_equal(S->peers[1].public_key, k, 32);
	assert_int_equal(S->peers[1].endpoint.in6.sin6_scope_id, 7);
	assert_int_equal(S->peers[1].aip_count, 0);
	/* Lines after the empty line are not part of this request. */
	assert_int_equal(parse("set=1\n\nbogus\n"), 0);
}

static void test_set_errors(void **state)
{
	static const struct {
		const char *req;
		int err;
	} cases[] = {
		{ "get=1\n\n", -EPROTO },
		{ "", -EPROTO },
		{ "set=1\nlisten_port\n\n", -EPROTO },
		{ "set=1\nbogus=1\n\n", -EINVAL },
		{ "set=1\nendpoint=1.2.3.4:5\n\n", -EINVAL },		/* peer key, no peer */
		{ "set=1\npublic_key=" K2 "\nlisten_port=1\n\n", -EINVAL },	/* device key in peer */
		{ "set=1\nprivate_key=" K1 "0\n\n", -EINVAL },
		{ "set=1\nprivate_key=e84b\n\n", -EINVAL },
		{ "set=1\nprivate_key=x84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n\n", -EINVAL },
		{ "set=1\nlisten_port=65536\n\n", -EINVAL },
		{ "set=1\nlisten_port=-1\n\n", -EINVAL },
		{ "set=1\nlisten_port= 1\n\n", -EINVAL },
		{ "set=1\nlisten_port=\n\n", -EINVAL },
		{ "set=1\nfwmark=4294967296\n\n", -EINVAL },
		{ "set=1\nfwmark=0x10\n\n", -EINVAL },
		{ "set=1\nreplace_peers=false\n\n", -EINVAL },
		{ "set=1\nreplace_peers=TRUE\n\n", -EINVAL },
		{ "set=1\npublic_key=\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nremove=1\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nprotocol_version=2\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\npersistent_keepalive_interval=65536\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nallowed_ip=10.0.0.0/33\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nallowed_ip=fd00::/129\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nallowed_ip=10.0.0.0\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nallowed_ip=10.0.0/8\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nallowed_ip=10.0.0.0/\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nallowed_ip=--10.0.0.0/8\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=1.2.3.4\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=1.2.3.4:\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=1.2.3.4:65536\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=::1:51820\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=[::1]\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=[::1]51820\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=[1.2.3.4]:1\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=[fe80::1%]:1\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nendpoint=example.com:51820\n\n", -EINVAL },
		{ "set=1\npublic_key=" K2 "\nPublic_Key=" K2 "\n\n", -EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].req);
		if (r != cases[i].err)
			fail_msg("case %zu: %s -> %d, want %d", i, cases[i].req, r, cases[i].err);
		assert_int_equal(S->n_peers, 0);	/* wiped on error */
		assert_true(sodium_is_zero(S->private_key, 32));
	}
	/* An embedded NUL is not silently cut off. */
	static const char nul[] = "set=1\npublic_key=" K2 "\nallowed_ip=10.0.0.0\0/8\n\n";
	assert_int_equal(tun_uapi_parse_set(nul, sizeof(nul) - 1, S), -EINVAL);
}

static void test_limits(void **state)
{
	size_t cap = TUN_UAPI_MAX_REQUEST + 4096;
	char *buf = malloc(cap);
	assert_non_null(buf);
	/* One peer too many. */
	size_t n = (size_t)sprintf(buf, "set=1\n");
	for (int i = 0; i <= TUN_UAPI_MAX_PEERS; i++)
		n += (size_t)sprintf(buf + n, "public_key=%064x\n", i);
	assert_int_equal(tun_uapi_parse_set(buf, n, S), -E2BIG);
	/* Exactly the limit is fine. */
	n = (size_t)sprintf(buf, "set=1\n");
	for (int i = 0; i < TUN_UAPI_MAX_PEERS; i++)
		n += (size_t)sprintf(buf + n, "public_key=%064x\n", i);
	assert_int_equal(tun_uapi_parse_set(buf, n, S), 0);
	assert_int_equal(S->n_peers, TUN_UAPI_MAX_PEERS);
	/* One allowed IP too many. */
	n = (size_t)sprintf(buf, "set=1\npublic_key=" K2 "\n");
	for (int i = 0; i <= TUN_UAPI_MAX_AIPS; i++)
		n += (size_t)sprintf(buf + n, "allowed_ip=10.%d.%d.0/24\n", i >> 8, i & 255);
	assert_int_equal(tun_uapi_parse_set(buf, n, S), -E2BIG);
	/* A line longer than TUN_UAPI_MAX_LINE. */
	n = (size_t)sprintf(buf, "set=1\npublic_key=" K2 "\nendpoint=");
	memset(buf + n, '1', TUN_UAPI_MAX_LINE);
	n += TUN_UAPI_MAX_LINE;
	n += (size_t)sprintf(buf + n, "\n\n");
	assert_int_equal(tun_uapi_parse_set(buf, n, S), -EINVAL);
	/* A request past the size bound. */
	memset(buf, '\n', cap);
	memcpy(buf, "set=1\n", 6);
	assert_int_equal(tun_uapi_parse_set(buf, TUN_UAPI_MAX_REQUEST + 1, S), -E2BIG);
	free(buf);
}

static void test_frame(void **state)
{
	enum tun_uapi_op op = 0;
	assert_int_equal(tun_uapi_frame("get=1\n\n", 7, &op), 7);
	assert_int_equal(op, TUN_UAPI_GET);
	assert_int_equal(tun_uapi_frame("get=1\n\nset=1\n", 13, &op), 7);
	assert_int_equal(tun_uapi_frame("get=1\n", 6, &op), 0);
	assert_int_equal(tun_uapi_frame("ge", 2, &op), 0);
	assert_int_equal(tun_uapi_frame("", 0, &op), 0);
	assert_int_equal(tun_uapi_frame("get=1\nx", 7, &op), -EINVAL);
	assert_int_equal(tun_uapi_frame("got=1\n\n", 7, &op), -EPROTO);
	assert_int_equal(tun_uapi_frame("x", 1, &op), -EPROTO);
	const char *set = "set=1\nlisten_port=1\n\nget=1\n\n";
	assert_int_equal(tun_uapi_frame(set, strlen(set), &op), 21);
	assert_int_equal(op, TUN_UAPI_SET);
	assert_int_equal(tun_uapi_frame(set, 20, &op), 0);
	assert_int_equal(tun_uapi_frame("set=1\n\n", 7, &op), 7);
	assert_int_equal(tun_uapi_frame("set=1\n", 6, &op), 0);
	char *big = malloc(TUN_UAPI_MAX_REQUEST);
	assert_non_null(big);
	memset(big, 'a', TUN_UAPI_MAX_REQUEST);
	memcpy(big, "set=1\n", 6);
	assert_int_equal(tun_uapi_frame(big, TUN_UAPI_MAX_REQUEST, &op), -E2BIG);
	assert_int_equal(tun_uapi_frame(big, TUN_UAPI_MAX_REQUEST - 1, &op), 0);
	free(big);
}

static const char GET_REPLY[] =
	"private_key=" K1 "\n"
	"listen_port=51820\n"
	"public_key=" K2 "\n"
	"preshared_key=" PSK "\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.7:51821\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=123456789\n"
	"tx_bytes=18446744073709551615\n"
	"rx_bytes=1\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.10.0.2/32\n"
	"allowed_ip=fd12:3456:789a::/48\n"
	"public_key=" K3 "\n"
	"preshared_key=" ZERO "\n"
	"protocol_version=1\n"
	"endpoint=[2001:db8::1]:4500\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=::/0\n"
	"errno=0\n\n";

static void test_write_get(void **state)
{
	struct tun_uapi_snap s;
	struct tun_uapi_snap_peer peers[2];
	struct tun_uapi_snap_aip aips[3];
	char buf[4096];
	size_t len = 0;
	fill_snapshot(&s, peers, aips);
	assert_int_equal(tun_uapi_write_get(&s, buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, GET_REPLY);
	assert_int_equal(len, strlen(GET_REPLY));
	/* Too small: SP_ETRUNC with the length needed, and the buffer wiped. */
	size_t need = 0;
	assert_int_equal(tun_uapi_write_get(&s, buf, 100, &need), SP_ETRUNC);
	assert_int_equal(need, strlen(GET_REPLY));
	assert_true(sodium_is_zero((const unsigned char *)buf, 100));
	assert_int_equal(tun_uapi_write_get(&s, buf, need, &len), SP_ETRUNC);
	assert_int_equal(tun_uapi_write_get(&s, buf, need + 1, &len), 0);
	/* An empty device: just the status. */
	struct tun_uapi_snap empty = { 0 };
	assert_int_equal(tun_uapi_write_get(&empty, buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "errno=0\n\n");
	s.fwmark = 7;
	s.has_private_key = false;
	s.n_peers = 0;
	assert_int_equal(tun_uapi_write_get(&s, buf, sizeof(buf), &len), 0);
	assert_string_equal(buf, "listen_port=51820\nfwmark=7\nerrno=0\n\n");
}

static void test_errno_and_endpoints(void **state)
{
	char buf[64];
	assert_int_equal(tun_uapi_write_errno(0, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "errno=0\n\n");
	tun_uapi_write_errno(-EINVAL, buf, sizeof(buf));
	assert_string_equal(buf, "errno=-22\n\n");
	tun_uapi_write_errno(EADDRINUSE, buf, sizeof(buf));
	assert_string_equal(buf, "errno=-98\n\n");
	tun_uapi_write_errno(SP_EMALFORMED, buf, sizeof(buf));
	assert_string_equal(buf, "errno=-22\n\n");
	assert_int_equal(tun_uapi_write_errno(0, buf, 8), SP_ETRUNC);

	union sp_endpoint ep;
	const char *good[] = { "1.2.3.4:0", "255.255.255.255:65535", "[::]:1",
			       "[2001:db8::ffff:1.2.3.4]:80", "[fe80::1%2]:51820" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(tun_uapi_parse_endpoint(good[i], strlen(good[i]), &ep), 0);
		assert_true(tun_uapi_format_endpoint(&ep, buf, sizeof(buf)) > 0);
		union sp_endpoint back;
		assert_int_equal(tun_uapi_parse_endpoint(buf, strlen(buf), &back), 0);
		assert_memory_equal(&ep, &back, sizeof(ep));
	}
	assert_int_equal(tun_uapi_parse_endpoint("[fe80::1%lo]:1", 14, &ep), 0);
	assert_int_equal(ep.in6.sin6_scope_id, 1);	/* loopback is always index 1 */
	assert_int_equal(tun_uapi_parse_endpoint("[fe80::1%nosuchif0]:1", 21, &ep), -EINVAL);
	assert_int_equal(tun_uapi_format_endpoint(&ep, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(tun_uapi_parse_endpoint("1.2.3.4:1", 9, &ep), 0);
	assert_int_equal(tun_uapi_format_endpoint(&ep, buf, 5), SP_ETRUNC);
	char hex[65];
	uint8_t k[32], k2[32];
	key(K1, k);
	tun_uapi_key_to_hex(k, hex);
	assert_string_equal(hex, K1);
	assert_int_equal(tun_uapi_key_from_hex(hex, 64, k2), 0);
	assert_memory_equal(k, k2, 32);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setconf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_write_get),
		cmocka_unit_test(test_errno_and_endpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
