/*
 * test_path.c - a tunnel peer's paths (path.h) on loopback: the direct path
 * sends through the transport from its sticky source, a relay path through
 * its owner's function, the preferred path is settable and falls back to
 * the direct one, and datagrams given to tun_path_input reach the WireGuard
 * receive path without moving the direct path (no roaming to a relay).
 * The device is built by hand (no TUN interface): only what paths touch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/transport.h"
#include "tunnel/device.h"
#include "tunnel/path.h"

struct relay_rec {
	unsigned calls;
	size_t len;
	struct tun_path *path;
	unsigned flushes;
	unsigned held_at_flush;		/* calls when the last flush ran */
};

static int relay_send(void *arg, struct tun_path *path, const uint8_t *buf, size_t len)
{
	struct relay_rec *r = arg;
	r->calls++;
	r->len = len;
	r->path = path;
	return 0;
}

static void relay_flush(void *arg, struct tun_path *path)
{
	struct relay_rec *r = arg;
	assert_ptr_equal(path, r->path);
	r->flushes++;
	r->held_at_flush = r->calls;
}

static void test_paths(void **state)
{
	(void)state;
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sp_transport *t;
	assert_int_equal(sp_transport_new(&loop, NULL, 0, &t), 0);

	struct tun_device *dev = calloc(1, sizeof(*dev));
	assert_non_null(dev);
	dev->transport = t;
	dev->index = calloc(TUN_INDEX_SLOTS, sizeof(*dev->index));
	assert_non_null(dev->index);
	struct tun_peer *peer = calloc(1, sizeof(*peer));
	assert_non_null(peer);
	peer->dev = dev;

	/* No address yet: the direct path is preferred but cannot send. */
	assert_ptr_equal(tun_peer_path(peer), &peer->direct);
	assert_false(tun_path_usable(tun_peer_path(peer)));
	uint8_t msg[64] = { 4 };
	assert_int_equal(tun_path_send(dev, &peer->direct, msg, sizeof(msg)), -EDESTADDRREQ);

	/* A client on 127.0.0.1; the direct path to it, with 127.0.0.2 as the sticky source. */
	int c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(c >= 0);
	struct sockaddr_in ca = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &ca.sin_addr);
	assert_int_equal(bind(c, (struct sockaddr *)&ca, sizeof(ca)), 0);
	socklen_t cal = sizeof(ca);
	assert_int_equal(getsockname(c, (struct sockaddr *)&ca, &cal), 0);
	union sp_endpoint dst;
	assert_int_equal(sp_endpoint_from_sa(&dst, (struct sockaddr *)&ca, cal), 0);
	struct sp_local src = { 0 };
	src.addr.in4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &src.addr.in4.sin_addr);
	tun_peer_set_direct(peer, &dst, &src);
	assert_true(tun_path_usable(&peer->direct));
	assert_true(sp_endpoint_equal(&peer->direct.dst, &dst));
	assert_true(sp_endpoint_equal(&peer->direct.src.addr, &src.addr));
	assert_int_equal(tun_path_send(dev, tun_peer_path(peer), msg, sizeof(msg)), 0);
	struct pollfd p = { .fd = c, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t back[256];
	assert_int_equal(recvfrom(c, back, sizeof(back), 0, (struct sockaddr *)&from, &fl), 64);
	char fa[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &from.sin_addr, fa, sizeof(fa));
	assert_string_equal(fa, "127.0.0.2");

	/* A relay preferred by another plane: sends go to its function; NULL restores direct. */
	struct relay_rec rec = { 0 };
	struct tun_path relay;
	union sp_endpoint via;
	assert_int_equal(sp_endpoint_parse("198.51.100.7:3478", false, 0, &via), 0);
	tun_path_init_relay(&relay, &via, relay_send, relay_flush, &rec);
	assert_true(tun_path_usable(&relay));
	tun_peer_set_path(peer, &relay);
	assert_ptr_equal(tun_peer_path(peer), &relay);
	assert_int_equal(tun_path_send(dev, tun_peer_path(peer), msg, 48), 0);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.len, 48);
	assert_ptr_equal(rec.path, &relay);
	/* A datagram sent alone is flushed at once, after its send. */
	assert_int_equal(rec.flushes, 1);
	assert_int_equal(rec.held_at_flush, 1);

	/* A relayed datagram (data for an unknown index) reaches the receive path, no roaming. */
	uint64_t no_key = dev->stats.rx_no_key;
	uint8_t data[32] = { 4, 0, 0, 0, 0x11, 0x22, 0x33, 0x44 };
	tun_path_input(dev, &relay, data, sizeof(data), tun_now());
	assert_int_equal(dev->stats.rx_no_key, no_key + 1);
	assert_true(sp_endpoint_equal(&peer->direct.dst, &dst));

	tun_peer_set_path(peer, NULL);
	assert_ptr_equal(tun_peer_path(peer), &peer->direct);
	tun_peer_set_path(peer, &peer->direct);	/* the direct path itself: same as NULL */
	assert_null(peer->path);

	/* Roaming with no known source forgets the sticky one. */
	tun_peer_set_direct(peer, &dst, NULL);
	assert_int_equal(peer->direct.src.addr.sa.sa_family, 0);

	close(c);
	free(peer);
	free(dev->index);
	free(dev);
	sp_transport_close(t);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
