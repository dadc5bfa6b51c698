/*
 * test_transport.c - the node's shared UDP socket (transport.h) on loopback:
 * handlers per kind and batch_end, drops counted, the sticky source (a reply
 * leaves from the loopback address the request was sent to: 127.0.0.1 and
 * 127.0.0.2 are both ours), batched sends split back into datagrams, and a
 * port change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/transport.h"

struct rec {
	struct sp_transport *t;
	unsigned got, batches;
	uint8_t last_first;
	size_t last_len;
	union sp_endpoint last_src;
	struct sp_local last_local;
	bool echo;		/* reply to each datagram from where it arrived */
};

static void on_recv(void *arg, struct sp_dgram *d)
{
	struct rec *r = arg;
	r->got++;
	r->last_first = d->len ? d->buf[0] : 0;
	r->last_len = d->len;
	r->last_src = *d->src;
	r->last_local = *d->local;
	if (r->echo) {
		struct sp_local src = *d->local;
		assert_int_equal(sp_transport_send(r->t, d->src, &src, d->buf, d->len), 0);
	}
}

static void on_batch_end(void *arg)
{
	((struct rec *)arg)->batches++;
}

/* Run the loop until *counter reaches want, or 5 s pass. */
static void run_until(uv_loop_t *loop, const unsigned *counter, unsigned want)
{
	uint64_t deadline = uv_hrtime() + 5000000000ull;
	while (*counter < want && uv_hrtime() < deadline) {
		uv_run(loop, UV_RUN_NOWAIT);
		if (*counter < want)
			usleep(1000);
	}
	assert_true(*counter >= want);
}

/* A plain client socket on 127.0.0.1, port picked by the kernel. */
static int client(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_to(int fd, const char *addr, uint16_t port, const uint8_t *buf, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, addr, &a.sin_addr);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)len);
}

/* Receive one datagram within 5 s; its length, and the source address in from. */
static ssize_t recv_from(int fd, uint8_t *buf, size_t cap, char from[INET_ADDRSTRLEN])
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1)
		return -1;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&a, &al);
	if (n >= 0 && from)
		inet_ntop(AF_INET, &a.sin_addr, from, INET_ADDRSTRLEN);
	return n;
}

static void close_transport(uv_loop_t *loop, struct sp_transport *t)
{
	sp_transport_close(t);
	uv_run(loop, UV_RUN_DEFAULT);	/* the poll handle's close callback frees it */
}

static void test_kinds_and_sticky_source(void **state)
{
	(void)state;
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sp_transport *t;
	assert_int_equal(sp_transport_new(&loop, NULL, 0, &t), 0);
	uint16_t port = sp_transport_port(t);
	assert_true(port != 0);

	struct rec wg = { .t = t, .echo = true }, ctl = { .t = t };
	assert_int_equal(sp_transport_register(t, SP_KIND_WIREGUARD, on_recv, on_batch_end, &wg), 0);
	assert_int_equal(sp_transport_register(t, SP_KIND_WIREGUARD, on_recv, NULL, &ctl), -EEXIST);
	assert_int_equal(sp_transport_register(t, SP_KIND_UNKNOWN, on_recv, NULL, &ctl), -EINVAL);
	assert_int_equal(sp_transport_register(t, SP_KIND_CONTROL, on_recv, NULL, &ctl), 0);

	int c = client();
	uint8_t msg[148], back[2048];
	memset(msg, 0, sizeof(msg));
	msg[0] = 1;	/* an initiation-sized WireGuard message */
	char from[INET_ADDRSTRLEN];

	/* Sticky source: the echo leaves from the address each request was sent to. */
	const char *dsts[] = { "127.0.0.2", "127.0.0.1", "127.0.0.3" };
	for (unsigned i = 0; i < 3; i++) {
		send_to(c, dsts[i], port, msg, sizeof(msg));
		run_until(&loop, &wg.got, i + 1);
		char local[SP_ENDPOINT_STRLEN];
		sp_endpoint_format_addr(&wg.last_local.addr, local);
		assert_string_equal(local, dsts[i]);
		assert_true(wg.last_local.ifindex != 0);
		assert_int_equal(wg.last_src.sa.sa_family, AF_INET);	/* v4-mapped given as IPv4 */
		assert_int_equal(recv_from(c, back, sizeof(back), from), (ssize_t)sizeof(msg));
		assert_string_equal(from, dsts[i]);
	}
	assert_true(wg.batches >= 1 && wg.batches <= wg.got);

	/* Control magic to its handler; STUN has none: unhandled; bad lengths and junk counted. */
	uint8_t cm[16] = { 0xf5, 'S', 'P', 'C' };
	send_to(c, "127.0.0.1", port, cm, sizeof(cm));
	run_until(&loop, &ctl.got, 1);
	assert_int_equal(ctl.last_len, sizeof(cm));
	assert_int_equal(ctl.batches, 0);	/* no batch_end registered: none called */

	const struct sp_transport_stats *s = sp_transport_stats(t);
	uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	send_to(c, "127.0.0.1", port, stun, sizeof(stun));
	send_to(c, "127.0.0.1", port, msg, 147);	/* initiation one short */
	uint8_t junk[3] = { 'a', 'b', 'c' };
	send_to(c, "127.0.0.1", port, junk, sizeof(junk));
	send_to(c, "127.0.0.1", port, msg, 0);		/* empty */
	uint64_t dropped = 0;
	uint64_t deadline = uv_hrtime() + 5000000000ull;
	while (uv_hrtime() < deadline) {
		uv_run(&loop, UV_RUN_NOWAIT);
		dropped = s->kinds.unhandled + s->kinds.bad_length + s->kinds.received[SP_KIND_UNKNOWN];
		if (dropped >= 4)
			break;
		usleep(1000);
	}
	assert_int_equal(s->kinds.received[SP_KIND_STUN], 1);
	assert_int_equal(s->kinds.unhandled, 1);
	assert_int_equal(s->kinds.bad_length, 1);
	assert_int_equal(s->kinds.received[SP_KIND_UNKNOWN], 2);
	assert_int_equal(s->kinds.received[SP_KIND_WIREGUARD], 3);
	assert_int_equal(s->kinds.received[SP_KIND_CONTROL], 1);
	assert_int_equal(wg.got, 3);	/* the short one never reached the handler */

	/* A source that is not ours is refused by the kernel: forgotten, sent without it. */
	struct sp_local bogus = { 0 };
	bogus.addr.in4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.77", &bogus.addr.in4.sin_addr);
	assert_int_equal(sp_transport_send(t, &wg.last_src, &bogus, msg, 32), 0);
	assert_int_equal(bogus.addr.sa.sa_family, 0);
	assert_int_equal(s->src_forgotten, 1);
	assert_int_equal(recv_from(c, back, sizeof(back), from), 32);

	sp_transport_unregister(t, SP_KIND_CONTROL, &wg);	/* not its handler: stays */
	send_to(c, "127.0.0.1", port, cm, sizeof(cm));
	run_until(&loop, &ctl.got, 2);
	close(c);
	close_transport(&loop, t);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_batch_and_port(void **state)
{
	(void)state;
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sp_transport *t;
	assert_int_equal(sp_transport_new(&loop, NULL, 0, &t), 0);
	int c = client();
	struct sockaddr_in ca;
	socklen_t cal = sizeof(ca);
	assert_int_equal(getsockname(c, (struct sockaddr *)&ca, &cal), 0);
	union sp_endpoint dst;
	assert_int_equal(sp_endpoint_from_sa(&dst, (struct sockaddr *)&ca, cal), 0);

	/*
	 * 20 datagrams, one destination and source: 19 of 1200 bytes and a
	 * shorter last one (a GSO train where the kernel offers it), then one
	 * to the same place of another length.  The client (no GRO) must see
	 * 21 datagrams with these lengths, in order.
	 */
	static uint8_t bufs[21][1200];
	struct sp_tx tx[21];
	struct sp_local src = { 0 };
	src.addr.in4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &src.addr.in4.sin_addr);
	for (unsigned i = 0; i < 21; i++) {
		memset(bufs[i], (int)i, sizeof(bufs[i]));
		tx[i] = (struct sp_tx){ .buf = bufs[i], .len = i == 19 ? 700 : i == 20 ? 900 : 1200,
					.dst = &dst, .src = &src };
	}
	assert_int_equal(sp_transport_send_batch(t, tx, 21), 21);
	for (unsigned i = 0; i < 21; i++) {
		uint8_t back[2048];
		char from[INET_ADDRSTRLEN];
		ssize_t n = recv_from(c, back, sizeof(back), from);
		assert_int_equal(n, (ssize_t)tx[i].len);
		assert_int_equal(back[0], i);
		assert_string_equal(from, "127.0.0.2");
	}

	/* A port change: the old port is gone, the new one receives, the counter moved. */
	uint16_t old = sp_transport_port(t);
	struct rec wg = { .t = t };
	assert_int_equal(sp_transport_register(t, SP_KIND_WIREGUARD, on_recv, on_batch_end, &wg), 0);
	assert_int_equal(sp_transport_set_port(t, old), 0);	/* same port: nothing */
	assert_int_equal(sp_transport_stats(t)->port_changes, 0);
	assert_int_equal(sp_transport_set_port(t, 0), 0);
	uint16_t now_port = sp_transport_port(t);
	assert_true(now_port != 0 && now_port != old);
	assert_int_equal(sp_transport_stats(t)->port_changes, 1);
	uint8_t msg[32] = { 4 };
	send_to(c, "127.0.0.1", now_port, msg, sizeof(msg));
	run_until(&loop, &wg.got, 1);
	assert_int_equal(wg.last_first, 4);
	assert_int_equal(wg.batches, 1);

	close(c);
	close_transport(&loop, t);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_sticky_source),
		cmocka_unit_test(test_batch_and_port),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
