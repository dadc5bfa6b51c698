/*
 * uapi_fixture.h - the keys and the device snapshot that both UAPI tests use
 * (test_uapi.c against our serializer, test_uapi_wg.c against the real `wg`).
 * Included after cmocka.h and tunnel/uapi.h; not a test of its own.
 */
#ifndef TESTS_TUNNEL_UAPI_FIXTURE_H
#define TESTS_TUNNEL_UAPI_FIXTURE_H

#include <arpa/inet.h>
#include <string.h>

#define K1 "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
#define K2 "b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33"
#define K3 "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376"
#define PSK "188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static void key(const char *hex, uint8_t out[32])
{
	assert_int_equal(tun_uapi_key_from_hex(hex, strlen(hex), out), 0);
}

/* Two peers: one with a PSK, endpoint, counters and two prefixes; one IPv6 with ::/0. */
static void fill_snapshot(struct tun_uapi_snap *s, struct tun_uapi_snap_peer *peers,
			  struct tun_uapi_snap_aip *aips)
{
	memset(s, 0, sizeof(*s));
	memset(peers, 0, 2 * sizeof(*peers));
	memset(aips, 0, 3 * sizeof(*aips));
	s->has_private_key = true;
	key(K1, s->private_key);
	s->listen_port = 51820;
	key(K2, peers[0].public_key);
	key(PSK, peers[0].preshared_key);
	assert_int_equal(tun_uapi_parse_endpoint("192.0.2.7:51821", 15, &peers[0].endpoint), 0);
	peers[0].last_handshake_sec = 1700000000;
	peers[0].last_handshake_nsec = 123456789;
	peers[0].tx_bytes = 18446744073709551615u;
	peers[0].rx_bytes = 1;
	peers[0].keepalive = 25;
	aips[0].family = AF_INET;
	inet_pton(AF_INET, "10.10.0.2", aips[0].addr);
	aips[0].cidr = 32;
	aips[1].family = AF_INET6;
	inet_pton(AF_INET6, "fd12:3456:789a::", aips[1].addr);
	aips[1].cidr = 48;
	peers[0].aips = aips;
	peers[0].n_aips = 2;
	key(K3, peers[1].public_key);
	assert_int_equal(tun_uapi_parse_endpoint("[2001:db8::1]:4500", 18, &peers[1].endpoint), 0);
	aips[2].family = AF_INET6;
	aips[2].cidr = 0;
	peers[1].aips = aips + 2;
	peers[1].n_aips = 1;
	s->peers = peers;
	s->n_peers = 2;
}

#endif
