/*
 * test_nopeer.c - packets to no peer wait for one (nopeer.c) on a device
 * without a TUN interface, on loopback: three packets to an unknown overlay
 * address give one SP_EV_NO_PEER (with the address) and wait; a multicast
 * one is dropped at once; tun_peers_set adding a peer with that allowed IP
 * stages them and starts the handshake; the test plays the remote peer
 * (Noise responder on a socket of its own), answers, and decrypts the three
 * packets, intact and in order, from the device's first data messages.
 * Then the per-destination limit and expiry, through the same entry points,
 * with their counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/log.h"
#include "core/node.h"
#include "core/transport.h"
#include "tunnel/device.h"
#include "tunnel/hash.h"
#include "tunnel/peers.h"

struct fx {
	uv_loop_t loop;
	struct sp_node node;
	struct sp_transport *t;
	struct tun_device dev;
	struct tun_peers ps;
	uint8_t sk[32];
	int events;
	struct sp_event last;
	/* the remote peer, played by the test */
	int sock;
	union sp_endpoint sock_ep;
	uint8_t r_sk[32];
	struct tun_noise_static r_st;
	struct tun_noise_handshake r_hs;
	struct tun_cookie_maker r_maker;
	struct tun_noise_keypair r_kp;
};

static void on_event(void *arg, const struct sp_event *ev)
{
	struct fx *f = arg;
	f->events++;
	f->last = *ev;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(tun_crypto_init(), 0);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->node.loop = &f->loop;
	assert_int_equal(sp__services_init(&f->node), 0);
	assert_int_equal(sp_transport_new(&f->loop, NULL, 0, &f->t), 0);
	struct tun_device *d = &f->dev;
	d->loop = &f->loop;
	d->tun_fd = -1;
	d->transport = f->t;
	d->mtu = 1420;
	d->buf_size = TUN_MSG_DATA_HEADER_LEN + d->mtu + TUN_MESSAGE_PADDING_MULTIPLE +
		      TUN_AUTHTAG_LEN + 64;
	d->index = calloc(TUN_INDEX_SLOTS, sizeof(*d->index));
	assert_non_null(d->index);
	tun_aip_init(&d->aip);
	tun_pend_init(&d->pend, d->mtu);
	memset(f->sk, 0x42, sizeof(f->sk));
	assert_int_equal(tun_noise_static_init_raw(&d->st, f->sk), 0);
	assert_int_equal(tun_cookie_checker_init(&d->checker, d->st.public_key), 0);
	assert_int_equal(tun_ratelimiter_init(&d->rl), 0);
	assert_int_equal(sp_transport_register(f->t, SP_KIND_WIREGUARD, tun__recv,
					       tun__recv_batch_end, d),
			 0);
	assert_int_equal(tun_peers_init(&f->ps, d, &f->node), 0);
	assert_true(sp_event_subscribe(&f->node, SP_EV_NO_PEER, on_event, f) > 0);

	/* the remote peer: a socket on 127.0.0.1 and a Noise identity */
	f->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->sock >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(f->sock, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t al = sizeof(a);
	assert_int_equal(getsockname(f->sock, (struct sockaddr *)&a, &al), 0);
	assert_int_equal(sp_endpoint_from_sa(&f->sock_ep, (struct sockaddr *)&a, al), 0);
	memset(f->r_sk, 0x17, sizeof(f->r_sk));
	assert_int_equal(tun_noise_static_init_raw(&f->r_st, f->r_sk), 0);
	assert_int_equal(tun_noise_handshake_init(&f->r_hs, &f->r_st, d->st.public_key, NULL), 0);
	assert_int_equal(tun_cookie_maker_init(&f->r_maker, d->st.public_key), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct tun_device *d = &f->dev;
	tun_peers_deinit(&f->ps);
	while (d->peers)
		tun_peer_remove(d->peers);
	sp_transport_unregister(f->t, SP_KIND_WIREGUARD, d);
	sp_transport_close(f->t);
	sp__services_close(&f->node);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(d->open_handles, 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tun_pend_deinit(&d->pend);
	tun_aip_deinit(&d->aip);
	tun_ratelimiter_deinit(&d->rl);
	tun_cookie_checker_deinit(&d->checker);
	tun_noise_static_deinit(&d->st);
	free(d->index);
	tun_noise_keypair_wipe(&f->r_kp);
	tun_noise_handshake_deinit(&f->r_hs);
	tun_cookie_maker_deinit(&f->r_maker);
	tun_noise_static_deinit(&f->r_st);
	close(f->sock);
	free(f);
	return 0;
}

/* An IPv6 UDP-ish packet of 80 bytes to dst, byte 40 tags it. */
static size_t pkt6(uint8_t *p, const char *dst, uint8_t tag)
{
	memset(p, 0, 80);
	p[0] = 0x60;
	p[4] = 0, p[5] = 40;	/* payload length */
	p[6] = 17, p[7] = 64;
	assert_int_equal(inet_pton(AF_INET6, "fd99::1", p + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
	p[40] = tag;
	return 80;
}

static const uint8_t *a6(const char *text)
{
	static uint8_t a[16];
	assert_int_equal(inet_pton(AF_INET6, text, a), 1);
	return a;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the loop until the remote's socket has a datagram (5 s deadline); its length. */
static ssize_t remote_recv(struct fx *f, uint8_t *buf, size_t cap)
{
	int64_t end = now_ms() + 5000;
	while (now_ms() < end) {
		(void)uv_run(&f->loop, UV_RUN_NOWAIT);
		struct pollfd p = { .fd = f->sock, .events = POLLIN };
		if (poll(&p, 1, 10) == 1)
			return recv(f->sock, buf, cap, 0);
	}
	return -1;
}

/* Run the loop until events are delivered (a later loop turn) or 2 s passed. */
static void run_events(struct fx *f, int want)
{
	int64_t end = now_ms() + 2000;
	while (f->events < want && now_ms() < end)
		(void)uv_run(&f->loop, UV_RUN_NOWAIT);
	(void)uv_run(&f->loop, UV_RUN_NOWAIT);
}

static struct tun_noise_handshake *lookup_remote(void *arg, const uint8_t key[TUN_KEY_LEN])
{
	struct fx *f = arg;
	return memcmp(f->r_hs.remote_static, key, TUN_KEY_LEN) == 0 ? &f->r_hs : NULL;
}

static void set_peer(struct fx *f, const char *aip)
{
	struct tun_peer_aip a;
	memset(&a, 0, sizeof(a));
	memcpy(a.addr, a6(aip), 16);
	a.family = AF_INET6;
	a.cidr = 128;
	struct tun_peer_spec s;
	memset(&s, 0, sizeof(s));
	memcpy(s.public_key, f->r_st.public_key, 32);
	s.flags = TUN_PEER_SET_ENDPOINT;
	s.endpoint = f->sock_ep;
	s.aips = &a;
	s.n_aips = 1;
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_CONTROL, &s, NULL), 0);
}

static void test_wait_then_deliver(void **state)
{
	struct fx *f = *state;
	struct tun_device *d = &f->dev;
	uint8_t p[80];
	for (uint8_t i = 0; i < 3; i++) {
		pkt6(p, "fd11:2233:4455::7", i + 1);
		tun__no_peer(d, p, sizeof(p), tun_now());
	}
	/* the kernel's own multicast (MLD, router solicitations) never waits */
	pkt6(p, "ff02::16", 9);
	tun__no_peer(d, p, sizeof(p), tun_now());
	assert_int_equal(d->stats.tx_dropped, 1);
	assert_int_equal(tun_pend_count(&d->pend), 3);
	assert_int_equal(d->pend.st.queued, 3);
	/* one event for three packets (within a second), delivered on a later loop turn */
	assert_int_equal(f->events, 0);
	run_events(f, 1);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last.type, SP_EV_NO_PEER);
	assert_memory_equal(f->last.u.addr.addr, a6("fd11:2233:4455::7"), 16);
	assert_string_equal(sp_event_name(SP_EV_NO_PEER), "no-peer");

	/* a peer for another address takes nothing */
	set_peer(f, "fd11:2233:4455::8");
	assert_int_equal(tun_pend_count(&d->pend), 3);
	const struct tun_peer *peer = tun_peers_find(&f->ps, f->r_st.public_key);
	assert_non_null(peer);
	assert_int_equal(peer->staged_count, 0);

	/* the peer gets the address: the packets are staged on it and a handshake starts */
	set_peer(f, "fd11:2233:4455::7");
	assert_int_equal(tun_pend_count(&d->pend), 0);
	assert_int_equal(d->pend.st.sent, 3);
	assert_int_equal(peer->staged_count, 3);
	uint8_t buf[2048];
	ssize_t n = remote_recv(f, buf, sizeof(buf));
	assert_int_equal(n, sizeof(struct tun_msg_initiation));
	assert_int_equal(buf[0], TUN_MSG_INITIATION);

	/* the remote answers; the device's session comes up and the staged packets go out */
	struct tun_noise_handshake *found = NULL;
	uint64_t now = tun_now();
	assert_int_equal(tun_noise_consume_initiation(&f->r_st, buf, (size_t)n, now, lookup_remote,
						      f, &found),
			 0);
	struct tun_msg_response resp;
	assert_int_equal(tun_noise_create_response(&f->r_hs, &resp, 0x77), 0);
	assert_int_equal(tun_cookie_add_macs(&f->r_maker, (uint8_t *)&resp, sizeof(resp), now), 0);
	tun_noise_keypair_wipe(&f->r_kp);
	assert_int_equal(tun_noise_begin_session(&f->r_hs, &f->r_kp, now), 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(sp_transport_port(f->t)) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(sendto(f->sock, &resp, sizeof(resp), 0, (struct sockaddr *)&to, sizeof(to)),
			 sizeof(resp));
	for (uint8_t i = 0; i < 3; i++) {
		n = remote_recv(f, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(buf[0], TUN_MSG_DATA);
		size_t plain = 0;
		assert_int_equal(tun_noise_decrypt(&f->r_kp, buf, (size_t)n, tun_now(), &plain, NULL),
				 0);
		assert_true(plain >= 80);
		uint8_t want[80];
		pkt6(want, "fd11:2233:4455::7", i + 1);
		assert_memory_equal(buf + TUN_MSG_DATA_HEADER_LEN, want, sizeof(want));
	}
	assert_int_equal(peer->staged_count, 0);
	assert_true(tun_peer_is_up(peer));
	/* now the address has a peer: the send path finds it and does not come here again */
	pkt6(p, "fd11:2233:4455::7", 4);
	assert_ptr_equal(tun_aip_lookup_dst(&d->aip, p, sizeof(p)), peer);
}

static void test_limits_and_expiry(void **state)
{
	struct fx *f = *state;
	struct tun_device *d = &f->dev;
	uint8_t p[80];
	/* ten packets to one destination: eight kept, the two oldest dropped */
	for (uint8_t i = 0; i < 10; i++) {
		pkt6(p, "fd11:2233:4455::a", i);
		tun__no_peer(d, p, sizeof(p), tun_now());
	}
	assert_int_equal(tun_pend_count(&d->pend), 8);
	assert_int_equal(d->pend.st.dropped, 2);
	/* seventeen more destinations: the first-created (::a, with its eight) is evicted */
	char name[64];
	for (unsigned k = 0; k < TUN_PEND_DESTS; k++) {
		snprintf(name, sizeof(name), "fd11:2233:4455::1:%x", k);
		pkt6(p, name, 0);
		tun__no_peer(d, p, sizeof(p), tun_now());
	}
	assert_int_equal(tun_pend_dests(&d->pend), TUN_PEND_DESTS);
	assert_int_equal(d->pend.st.dropped, 10);
	run_events(f, 1 + TUN_PEND_DESTS);
	assert_int_equal(f->events, 1 + TUN_PEND_DESTS);
	/* the evicted destination gets nothing when its peer comes */
	set_peer(f, "fd11:2233:4455::a");
	assert_int_equal(d->pend.st.sent, 0);
	assert_int_equal(tun_pend_dests(&d->pend), TUN_PEND_DESTS);

	/* expiry, with tunnel.pending-expiry shortened: older packets are never sent */
	uint64_t saved = tun_iv_pending_expiry.ms;
	tun_iv_pending_expiry.ms = 20;
	int64_t until = now_ms() + 40;
	while (now_ms() < until)
		(void)poll(NULL, 0, 5);
	tun__pending_expire(d);
	assert_int_equal(tun_pend_dests(&d->pend), 0);
	assert_int_equal(d->pend.st.expired, TUN_PEND_DESTS);
	pkt6(p, "fd11:2233:4455::1:0", 0);
	tun__no_peer(d, p, sizeof(p), tun_now());
	until = now_ms() + 40;
	while (now_ms() < until)
		(void)poll(NULL, 0, 5);
	/* the peer for it comes too late: the packet expired on the way in */
	set_peer(f, "fd11:2233:4455::1:0");
	assert_int_equal(d->pend.st.sent, 0);
	assert_int_equal(d->pend.st.expired, TUN_PEND_DESTS + 1);
	const struct tun_peer *peer = tun_peers_find(&f->ps, f->r_st.public_key);
	assert_int_equal(peer->staged_count, 0);
	tun_iv_pending_expiry.ms = saved;
}

int main(void)
{
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wait_then_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_expiry, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
