/*
 * test_offload.c - the TUN offload helpers of gro.c: cutting a TCP
 * super-packet into segments (headers, sequence numbers, flags, checksums
 * for IPv4 and IPv6), completing a partial checksum, and coalescing received
 * segments into one GSO write (through a socketpair standing in for the TUN
 * fd), including the cases that must not merge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "tunnel/device.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Straightforward RFC 1071 sum, big-endian words: the reference. */
static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}
static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Is the TCP checksum of an IPv4/IPv6 packet right? */
static bool tcp_csum_ok(const uint8_t *p, size_t len)
{
	size_t ih = (p[0] >> 4) == 4 ? 20 : 40;
	uint32_t s = (p[0] >> 4) == 4 ? ref_sum(p + 12, 8, 0) : ref_sum(p + 8, 32, 0);
	s += IPPROTO_TCP + (uint32_t)(len - ih);
	return ref_fold(ref_sum(p + ih, len - ih, s)) == 0xffff;
}

/* A TCP packet: IPv4 or IPv6, 12-byte timestamp option, flags, payload of a pattern. */
static size_t make_tcp(uint8_t *p, int v, uint32_t seq, uint8_t flags, size_t payload,
		       uint8_t fill)
{
	size_t ih = v == 4 ? 20 : 40, th = 32;
	size_t len = ih + th + payload;
	memset(p, 0, ih + th);
	if (v == 4) {
		p[0] = 0x45;
		wr16(p + 2, (uint16_t)len);
		wr16(p + 4, 0x1234);
		p[6] = 0x40;	/* DF */
		p[8] = 64;
		p[9] = IPPROTO_TCP;
		memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		wr16(p + 10, (uint16_t)~ref_fold(ref_sum(p, 20, 0)));
	} else {
		p[0] = 0x60;
		wr16(p + 4, (uint16_t)(th + payload));
		p[6] = IPPROTO_TCP;
		p[7] = 64;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	}
	uint8_t *t = p + ih;
	wr16(t, 40000);
	wr16(t + 2, 5201);
	wr32(t + 4, seq);
	wr32(t + 8, 777);
	t[12] = (uint8_t)((th / 4) << 4);
	t[13] = flags;
	wr16(t + 14, 500);
	memcpy(t + 20, "\x01\x01\x08\x0a\x00\x00\x00\x05\x00\x00\x00\x06", 12);
	for (size_t i = 0; i < payload; i++)
		t[th + i] = (uint8_t)(fill + i);
	wr16(t + 16, (uint16_t)~ref_fold(ref_sum(t, th + payload,
						 ((p[0] >> 4) == 4 ? ref_sum(p + 12, 8, 0)
								   : ref_sum(p + 8, 32, 0)) +
							 IPPROTO_TCP + (uint32_t)(th + payload))));
	return len;
}

static void check_segments(int v)
{
	static uint8_t big[70000], seg[2000];
	size_t total = 5000, mss = 1400;
	size_t len = make_tcp(big, v, 1000, 0x18 /* ACK|PSH */, total, 7);
	size_t iphl, hl;
	assert_true(tun__tso_shape(big, len, &iphl, &hl));
	assert_int_equal(hl, iphl + 32);
	size_t got = 0;
	unsigned i;
	for (i = 0; i < 10; i++) {
		size_t n = tun__tso_build(big, len, iphl, hl, mss, i, seg);
		if (n == 0)
			break;
		size_t plen = n - hl;
		assert_int_equal(plen, total - got < mss ? total - got : mss);
		assert_true(tcp_csum_ok(seg, n));
		assert_int_equal(rd32(seg + iphl + 4), 1000 + got);
		bool last = got + plen == total;
		assert_int_equal(seg[iphl + 13], last ? 0x18 : 0x10);
		assert_memory_equal(seg + hl, big + hl + got, plen);
		if (v == 4) {
			assert_int_equal(rd16(seg + 2), n);
			assert_int_equal(rd16(seg + 4), 0x1234 + i);
			assert_int_equal(ref_fold(ref_sum(seg, 20, 0)), 0xffff);
		} else {
			assert_int_equal(rd16(seg + 4), n - 40);
		}
		got += plen;
	}
	assert_int_equal(i, 4);
	assert_int_equal(got, total);
}

static void test_tso_v4(void **state) { (void)state; check_segments(4); }
static void test_tso_v6(void **state) { (void)state; check_segments(6); }

static void test_tso_shape_rejects(void **state)
{
	(void)state;
	uint8_t p[200];
	size_t iphl, hl;
	size_t len = make_tcp(p, 6, 1, 0x10, 10, 0);
	p[6] = IPPROTO_UDP;
	assert_false(tun__tso_shape(p, len, &iphl, &hl));
	len = make_tcp(p, 6, 1, 0x10, 10, 0);
	p[40 + 12] = 0xf0;	/* data offset past the end */
	assert_false(tun__tso_shape(p, 60, &iphl, &hl));
	assert_false(tun__tso_shape(p, 10, &iphl, &hl));
}

static void test_csum_complete(void **state)
{
	(void)state;
	uint8_t p[2000], q[2000];
	size_t len = make_tcp(p, 6, 99, 0x10, 1001, 3);	/* odd length */
	memcpy(q, p, len);
	/* what the kernel hands over with NEEDS_CSUM: the pseudo-header sum in the field */
	wr16(q + 56, ref_fold(ref_sum(q + 8, 32, 0) + IPPROTO_TCP + (uint32_t)(len - 40)));
	assert_int_equal(tun__csum_complete(q, len, 40, 16), 0);
	assert_memory_equal(p, q, len);
	assert_int_equal(tun__csum_complete(q, 50, 40, 16), -EINVAL);
}

/* A device whose "TUN fd" is a datagram socketpair: each write is one message. */
struct rig {
	struct tun_device dev;
	int peer;
};

static void rig_init(struct rig *r)
{
	int sv[2];
	memset(r, 0, sizeof(*r));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	r->dev.tun_fd = sv[0];
	r->peer = sv[1];
	r->dev.vnet_hdr = true;
	r->dev.gro_buf = malloc(65536);
	assert_non_null(r->dev.gro_buf);
}

static void rig_deinit(struct rig *r)
{
	free(r->dev.gro_buf);
	close(r->dev.tun_fd);
	close(r->peer);
}

/* Read one write: its virtio header and packet; returns the packet length, 0 if none. */
static size_t rig_read(struct rig *r, struct virtio_net_hdr *h, uint8_t *pkt, size_t cap)
{
	uint8_t buf[70000];
	ssize_t n = recv(r->peer, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	assert_true((size_t)n >= sizeof(*h) && (size_t)n - sizeof(*h) <= cap);
	memcpy(h, buf, sizeof(*h));
	memcpy(pkt, buf + sizeof(*h), (size_t)n - sizeof(*h));
	return (size_t)n - sizeof(*h);
}

static void test_gro_merges(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint8_t p[2000], out[70000];
	struct virtio_net_hdr h;
	uint32_t seq = 5000;
	for (int i = 0; i < 3; i++) {
		size_t len = make_tcp(p, 6, seq, i == 2 ? 0x18 : 0x10, i == 2 ? 500 : 1000, (uint8_t)i);
		tun__rx_deliver(&r.dev, p, len);
		seq += i == 2 ? 500 : 1000;
	}
	assert_int_equal(rig_read(&r, &h, out, sizeof(out)), 0);	/* nothing until the flush */
	tun__rx_flush(&r.dev);
	size_t n = rig_read(&r, &h, out, sizeof(out));
	assert_int_equal(n, 72 + 2500);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_size, 1000);
	assert_int_equal(h.hdr_len, 72);
	assert_int_equal(h.csum_start, 40);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(rd16(out + 4), 32 + 2500);
	assert_int_equal(rd32(out + 44), 5000);
	assert_int_equal(out[53], 0x18);	/* PSH of the last segment */
	/* the partial checksum completes to a valid one */
	assert_int_equal(tun__csum_complete(out, n, 40, 16), 0);
	assert_true(tcp_csum_ok(out, n));
	assert_int_equal(out[72 + 1000], 1);	/* second segment's payload follows the first */
	rig_deinit(&r);
}

static void test_gro_keeps_apart(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint8_t p[2000], out[70000];
	struct virtio_net_hdr h;
	/* a gap in the sequence, then a SYN, then UDP: four plain writes */
	size_t len = make_tcp(p, 4, 100, 0x10, 800, 0);
	tun__rx_deliver(&r.dev, p, len);
	len = make_tcp(p, 4, 100 + 800 + 1, 0x10, 800, 0);
	tun__rx_deliver(&r.dev, p, len);
	len = make_tcp(p, 4, 5000, 0x12, 0, 0);
	tun__rx_deliver(&r.dev, p, len);
	len = make_tcp(p, 4, 1, 0x10, 100, 0);
	p[9] = IPPROTO_UDP;
	tun__rx_deliver(&r.dev, p, len);
	tun__rx_flush(&r.dev);
	int writes = 0;
	while (rig_read(&r, &h, out, sizeof(out)) > 0) {
		assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		writes++;
	}
	assert_int_equal(writes, 4);
	rig_deinit(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tso_v4),
		cmocka_unit_test(test_tso_v6),
		cmocka_unit_test(test_tso_shape_rejects),
		cmocka_unit_test(test_csum_complete),
		cmocka_unit_test(test_gro_merges),
		cmocka_unit_test(test_gro_keeps_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
