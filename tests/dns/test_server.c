/*
 * test_server.c - the DNS server's sockets: UDP batches and RRL slips, TCP
 * framing with pipelining and split reads, multi-message emits, the
 * connection bound, idle timeouts, and a clean close of every handle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "dns/server.h"

struct fixture {
	uv_loop_t loop;
	struct dns_server *srv;
	uint16_t port;
	int closed;
	unsigned handled;
};

/* Echo the query with QR set; a first question byte 'E' also emits three messages. */
static size_t echo(void *arg, const struct dns_server_req *req, uint8_t *out, size_t cap)
{
	struct fixture *f = arg;

	f->handled++;
	if (req->qlen < 12 || req->qlen > cap)
		return 0;
	memcpy(out, req->q, req->qlen);
	out[2] |= 0x80;
	if (req->tcp && req->qlen > 12 && req->q[12] == 'E') {
		for (int i = 0; i < 3; i++) {
			out[13] = (uint8_t)('0' + i);
			assert_int_equal(dns_server_tcp_emit(req->conn, out, req->qlen), 0);
		}
		return 0;
	}
	return req->qlen;
}

static void on_closed(void *arg)
{
	((struct fixture *)arg)->closed++;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *listen_addr = "127.0.0.1";

static void start(struct fixture *f, uint32_t rate, uint32_t slip, unsigned clients, uint64_t idle)
{
	union sp_endpoint addrs[1];
	assert_int_equal(sp_endpoint_parse(listen_addr, true, 0, &addrs[0]), 0);
	struct dns_server_conf c = {
		.addrs = addrs, .n_addrs = 1, .port = 0, .tcp_clients = clients,
		.tcp_idle_ms = idle, .rrl_rate = rate, .rrl_slip = slip,
	};
	int err = -1;

	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	/* Port 0 gives UDP a free port that TCP may find taken: then try another. */
	for (int i = 0; i < 20 && err != 0; i++) {
		err = dns_server_start(&f->loop, &c, echo, on_closed, f, &f->srv);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(err, 0);
	f->port = dns_server_port(f->srv);
	assert_int_not_equal(f->port, 0);
}

static void finish(struct fixture *f)
{
	dns_server_stop(f->srv);
	for (int i = 0; i < 1000 && f->closed == 0; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->closed, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static struct sockaddr_in server_addr(const struct fixture *f)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(f->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int client_to(const struct fixture *f, int type, const char *dst)
{
	struct sockaddr_in a = server_addr(f);
	assert_int_equal(inet_pton(AF_INET, dst, &a.sin_addr), 1);
	int fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static int client(const struct fixture *f, int type)
{
	return client_to(f, type, "127.0.0.1");
}

/* Run the loop and read from fd until want bytes came, EOF, or 3 s passed. */
static ssize_t pump_read(struct fixture *f, int fd, uint8_t *buf, size_t want)
{
	size_t got = 0;
	uint64_t end = now_ms() + 3000;

	while (got < want && now_ms() < end) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		ssize_t n = recv(fd, buf + got, want - got, 0);
		if (n == 0)
			return -1;	/* EOF */
		if (n > 0)
			got += (size_t)n;
		else if (errno != EAGAIN)
			return -1;
		else
			usleep(1000);
	}
	return (ssize_t)got;
}

static void query(uint8_t *q, uint16_t id, uint8_t mark)
{
	memset(q, 0, 16);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[12] = mark;
}

static void test_udp_batch(void **state)
{
	struct fixture f;
	uint8_t q[16], a[64];

	start(&f, 0, 0, 4, 1000);
	int fd = client(&f, SOCK_DGRAM);
	for (uint16_t i = 0; i < 100; i++) {
		query(q, i, 'q');
		assert_int_equal(send(fd, q, sizeof(q), 0), (ssize_t)sizeof(q));
	}
	unsigned got = 0;
	uint64_t end = now_ms() + 3000;
	while (got < 100 && now_ms() < end) {
		uv_run(&f.loop, UV_RUN_NOWAIT);
		while (recv(fd, a, sizeof(a), 0) == (ssize_t)sizeof(q)) {
			assert_true(a[2] & 0x80);
			got++;
		}
	}
	assert_int_equal(got, 100);
	close(fd);
	finish(&f);
}

/*
 * Bound to 0.0.0.0, the server must answer from the address the query went
 * to: the client's connected socket drops a reply from any other source.
 */
static void test_udp_wildcard_source(void **state)
{
	struct fixture f;
	uint8_t q[16], a[64];

	listen_addr = "0.0.0.0";
	start(&f, 0, 0, 4, 1000);
	listen_addr = "127.0.0.1";
	const char *dsts[] = { "127.0.0.1", "127.0.0.2", "127.1.2.3" };
	for (int d = 0; d < 3; d++) {
		int fd = client_to(&f, SOCK_DGRAM, dsts[d]);
		query(q, (uint16_t)d, 'q');
		assert_int_equal(send(fd, q, sizeof(q), 0), (ssize_t)sizeof(q));
		ssize_t n = -1;
		uint64_t end = now_ms() + 3000;
		while (n < 0 && now_ms() < end) {
			uv_run(&f.loop, UV_RUN_NOWAIT);
			n = recv(fd, a, sizeof(a), 0);
		}
		assert_int_equal(n, (ssize_t)sizeof(q));
		assert_int_equal(a[1], d);
		close(fd);
	}
	finish(&f);
}

static void test_udp_rrl_slip(void **state)
{
	struct fixture f;
	uint8_t q[17], a[64];

	start(&f, 5, 1, 4, 1000);
	int fd = client(&f, SOCK_DGRAM);
	for (uint16_t i = 0; i < 20; i++) {
		query(q, i, 0);	/* root name: a slipped answer keeps the question */
		q[5] = 1;	/* qdcount 1: name 0, then type and class */
		q[14] = 1;
		q[16] = 1;
		assert_int_equal(send(fd, q, sizeof(q), 0), 17);
	}
	unsigned full = 0, tc = 0;
	uint64_t end = now_ms() + 3000;
	while (full + tc < 20 && now_ms() < end) {
		uv_run(&f.loop, UV_RUN_NOWAIT);
		ssize_t n;
		while ((n = recv(fd, a, sizeof(a), 0)) > 0) {
			if (a[2] & 0x02)
				tc++;
			else
				full++;
		}
	}
	/* Slip 1: every limited answer is sent truncated; only the burst goes whole. */
	assert_true(full >= 5 && full <= 6);
	assert_int_equal(full + tc, 20);
	struct dns_server_stats st;
	dns_server_stats(f.srv, &st);
	assert_int_equal(st.rrl_slipped, tc);
	close(fd);
	finish(&f);
}

static void test_tcp_pipelined_split(void **state)
{
	struct fixture f;
	uint8_t frames[3 * 18], a[3 * 18];

	start(&f, 0, 0, 4, 5000);
	int fd = client(&f, SOCK_STREAM);
	for (int i = 0; i < 3; i++) {
		frames[i * 18] = 0;
		frames[i * 18 + 1] = 16;
		query(frames + i * 18 + 2, (uint16_t)(100 + i), 'q');
	}
	/* The first frame a byte at a time, the other two in one write. */
	for (int i = 0; i < 18; i++) {
		assert_int_equal(send(fd, frames + i, 1, 0), 1);
		uv_run(&f.loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(send(fd, frames + 18, 36, 0), 36);
	assert_int_equal(pump_read(&f, fd, a, sizeof(a)), (ssize_t)sizeof(a));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(a[i * 18 + 1], 16);
		assert_int_equal(a[i * 18 + 3], 100 + i);	/* answers in order */
		assert_true(a[i * 18 + 4] & 0x80);
	}
	close(fd);
	finish(&f);
}

static void test_tcp_big_frame(void **state)
{
	struct fixture f;
	static uint8_t fr[2 + 5000 + 18], a[2 + 5000 + 18];

	start(&f, 0, 0, 4, 5000);
	int fd = client(&f, SOCK_STREAM);
	/* A 5000-byte message (larger than the first buffer), then a small one. */
	fr[0] = 5000 >> 8;
	fr[1] = 5000 & 0xff;
	for (size_t i = 0; i < 5000; i++)
		fr[2 + i] = (uint8_t)i;
	fr[2 + 12] = 'q';
	fr[5002] = 0;
	fr[5003] = 16;
	query(fr + 5004, 9, 'q');
	for (size_t off = 0; off < sizeof(fr); off += 700) {
		size_t n = sizeof(fr) - off < 700 ? sizeof(fr) - off : 700;
		assert_int_equal(send(fd, fr + off, n, 0), (ssize_t)n);
		uv_run(&f.loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(pump_read(&f, fd, a, sizeof(a)), (ssize_t)sizeof(a));
	assert_int_equal(a[0] << 8 | a[1], 5000);
	assert_int_equal(a[2 + 4999], (uint8_t)4999);
	assert_int_equal(a[5003], 16);
	assert_int_equal(a[5005], 9);
	close(fd);
	finish(&f);
}

static void test_tcp_emit(void **state)
{
	struct fixture f;
	uint8_t fr[18], a[3 * 18];

	start(&f, 0, 0, 4, 5000);
	int fd = client(&f, SOCK_STREAM);
	fr[0] = 0;
	fr[1] = 16;
	query(fr + 2, 7, 'E');
	assert_int_equal(send(fd, fr, sizeof(fr), 0), (ssize_t)sizeof(fr));
	assert_int_equal(pump_read(&f, fd, a, sizeof(a)), (ssize_t)sizeof(a));
	for (int i = 0; i < 3; i++)
		assert_int_equal(a[i * 18 + 2 + 13], '0' + i);
	close(fd);
	finish(&f);
}

static void test_tcp_limit_and_idle(void **state)
{
	struct fixture f;
	uint8_t a[4];

	start(&f, 0, 0, 2, 200);
	int c1 = client(&f, SOCK_STREAM), c2 = client(&f, SOCK_STREAM);
	uint64_t end = now_ms() + 2000;
	struct dns_server_stats st;
	do {
		uv_run(&f.loop, UV_RUN_NOWAIT);
		dns_server_stats(f.srv, &st);
	} while (st.tcp_open < 2 && now_ms() < end);
	assert_int_equal(st.tcp_open, 2);
	/* A third connection is accepted and closed at once. */
	int c3 = client(&f, SOCK_STREAM);
	assert_int_equal(pump_read(&f, c3, a, sizeof(a)), -1);
	dns_server_stats(f.srv, &st);
	assert_int_equal(st.tcp_refused, 1);
	/* The idle ones are closed by the server after the timeout. */
	assert_int_equal(pump_read(&f, c1, a, sizeof(a)), -1);
	assert_int_equal(pump_read(&f, c2, a, sizeof(a)), -1);
	dns_server_stats(f.srv, &st);
	assert_int_equal(st.tcp_idle_closed, 2);
	assert_int_equal(st.tcp_open, 0);
	close(c1);
	close(c2);
	close(c3);
	finish(&f);
}

/* Wait until the server counts want open connections (3 s at most). */
static void wait_open(struct fixture *f, unsigned want)
{
	struct dns_server_stats st;
	uint64_t end = now_ms() + 3000;
	do {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		dns_server_stats(f->srv, &st);
	} while (st.tcp_open != want && now_ms() < end);
	assert_int_equal(st.tcp_open, want);
}

/* A TCP client from source address src (a loopback address). */
static int client_from(const struct fixture *f, const char *src)
{
	struct sockaddr_in a = server_addr(f), b;
	memset(&b, 0, sizeof(b));
	b.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, src, &b.sin_addr), 1);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&b, sizeof(b)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* One host holding every slot gives one up to another host; not to itself. */
static void test_tcp_share_per_host(void **state)
{
	struct fixture f;
	uint8_t fr[18], a[18];
	int held[4];

	start(&f, 0, 0, 4, 60000);
	for (int i = 0; i < 4; i++)
		held[i] = client(&f, SOCK_STREAM);
	wait_open(&f, 4);
	/* The same host asks for a fifth: refused. */
	int same = client(&f, SOCK_STREAM);
	assert_int_equal(pump_read(&f, same, a, sizeof(a)), -1);
	/* Another host gets a slot and an answer. */
	int other = client_from(&f, "127.0.0.2");
	fr[0] = 0;
	fr[1] = 16;
	query(fr + 2, 42, 'q');
	assert_int_equal(send(other, fr, sizeof(fr), 0), (ssize_t)sizeof(fr));
	assert_int_equal(pump_read(&f, other, a, sizeof(a)), (ssize_t)sizeof(a));
	assert_int_equal(a[3], 42);
	struct dns_server_stats st;
	dns_server_stats(f.srv, &st);
	assert_int_equal(st.tcp_evicted, 1);
	assert_int_equal(st.tcp_refused, 1);
	assert_int_equal(st.tcp_open, 4);
	for (int i = 0; i < 4; i++)
		close(held[i]);
	close(same);
	close(other);
	finish(&f);
}

/* A client that pipelines and never reads is closed once its backlog stops moving. */
static void test_tcp_unread_backlog_closed(void **state)
{
	struct fixture f;
	enum { FR = 2 + 60000 };
	static uint8_t fr[FR];
	int small = 4096;

	start(&f, 0, 0, 4, 200);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct sockaddr_in sa = server_addr(&f);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	fr[0] = (FR - 2) >> 8;
	fr[1] = (FR - 2) & 0xff;
	query(fr + 2, 1, 'q');
	/* Send until the server stops reading (bounded: 64 MB or 10 s). */
	size_t pos = 0;
	int stuck = 0;
	uint64_t end = now_ms() + 10000;
	while (stuck < 300 && pos < 64u * 1024 * 1024 && now_ms() < end) {
		ssize_t n = send(fd, fr + pos % FR, FR - pos % FR, MSG_NOSIGNAL);
		if (n > 0) {
			pos += (size_t)n;
			stuck = 0;
		} else {
			stuck++;
			usleep(1000);
		}
		uv_run(&f.loop, UV_RUN_NOWAIT);
	}
	assert_true(stuck >= 300);	/* the server paused reading */
	/* Never read: after two idle periods without progress the server closes it. */
	struct dns_server_stats st;
	end = now_ms() + 5000;
	do {
		uv_run(&f.loop, UV_RUN_NOWAIT);
		usleep(1000);
		dns_server_stats(f.srv, &st);
	} while (st.tcp_open > 0 && now_ms() < end);
	assert_int_equal(st.tcp_open, 0);
	assert_int_equal(st.tcp_idle_closed, 1);
	close(fd);
	finish(&f);
}

static void test_stop_with_open_connection(void **state)
{
	struct fixture f;

	start(&f, 0, 0, 4, 60000);
	int fd = client(&f, SOCK_STREAM);
	struct dns_server_stats st;
	uint64_t end = now_ms() + 2000;
	do {
		uv_run(&f.loop, UV_RUN_NOWAIT);
		dns_server_stats(f.srv, &st);
	} while (st.tcp_open < 1 && now_ms() < end);
	assert_int_equal(st.tcp_open, 1);
	finish(&f);	/* closes the connection too; the loop must end empty */
	close(fd);
}

static void test_bad_address(void **state)
{
	/* The second is no address at all (family unset): the first socket is closed again. */
	union sp_endpoint addrs[2] = { 0 };
	assert_int_equal(sp_endpoint_parse("127.0.0.1", true, 0, &addrs[0]), 0);
	struct dns_server_conf c = { .addrs = addrs, .n_addrs = 2, .tcp_clients = 1,
				     .tcp_idle_ms = 1000 };
	uv_loop_t loop;
	struct dns_server *s = NULL;
	int closed = 0;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_not_equal(dns_server_start(&loop, &c, echo, on_closed, &closed, &s), 0);
	assert_null(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_batch),
		cmocka_unit_test(test_udp_wildcard_source),
		cmocka_unit_test(test_udp_rrl_slip),
		cmocka_unit_test(test_tcp_pipelined_split),
		cmocka_unit_test(test_tcp_big_frame),
		cmocka_unit_test(test_tcp_emit),
		cmocka_unit_test(test_tcp_limit_and_idle),
		cmocka_unit_test(test_tcp_share_per_host),
		cmocka_unit_test(test_tcp_unread_backlog_closed),
		cmocka_unit_test(test_stop_with_open_connection),
		cmocka_unit_test(test_bad_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
