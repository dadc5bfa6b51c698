/*
 * test_tls.c - the TLS relay carrier (cp_tls): frames both ways in order, a
 * frame split across many TCP reads, the output bound (SP_ELIMIT), an
 * oversize frame and bytes that are not TLS, the handshake deadline, the
 * idle close, the connection bound, shutdown with frames in flight, a TLS
 * 1.3 handshake with `openssl s_client`, and a throughput figure.
 *
 * One thread, two loops: the server's and the client's, turned in
 * UV_RUN_NOWAIT steps, so the client can stop reading (its loop is not
 * run) while the server writes.  Every wait polls with a deadline; every
 * loop must close with 0 (no handle leaked).  Loopback only, port 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/cp_tls.h"
#include "core/log.h"

#define NCLIENTS ((int)CP_TLS_CONNS_MAX + 1)

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct fix {
	uv_loop_t sl, cl;
	struct cp_tls_server *srv;
	union sp_endpoint ep;
	bool run_client;
	bool echo;		/* the server answers each frame with the same bytes */
	bool busy;		/* no sleep between steps (bench, proxy) */
	bool seq_only;		/* check the sequence number only (bench: measure cp_tls, not us) */
	/* server side */
	struct cp_tls_conn *s_conn;	/* the last connected */
	int s_frames, s_connected, s_closed;
	uint32_t s_seq;
	bool s_bad_order;
	enum cp_tls_why s_why;
	size_t s_bytes;
	uint8_t s_last[CP_MSG_MAX];
	size_t s_last_len;
	int64_t s_last_ms, s_closed_ms;	/* last frame in, CLOSED reported */
	/* client side */
	struct cp_tls_conn *c[NCLIENTS];
	int c_frames, c_connected, c_closed;
	uint32_t c_seq;
	bool c_bad_order;
	enum cp_tls_why c_why;
	/* the byte-by-byte proxy */
	int px_listen, px_a, px_b;
	size_t px_chunk;
	unsigned px_to_server;	/* writes toward the server */
	/* a child process */
	pid_t child;
	int child_status;
};


/* A frame: 4-byte sequence number, then bytes derived from it. */
static size_t make_frame(uint8_t *buf, uint32_t seq, size_t len)
{
	buf[0] = (uint8_t)(seq >> 24);
	buf[1] = (uint8_t)(seq >> 16);
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	for (size_t i = 4; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i);
	return len;
}

/* Is frame the next in order (and intact)? */
static bool check_frame(const uint8_t *buf, size_t len, uint32_t want)
{
	if (len < 4)
		return false;
	uint32_t seq = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (seq != want)
		return false;
	for (size_t i = 4; i < len; i++)
		if (buf[i] != (uint8_t)(seq * 31 + i))
			return false;
	return true;
}

static void s_on_frame(struct cp_tls_conn *c, const uint8_t *frame, size_t len, void *arg)
{
	struct fix *f = arg;
	f->s_last_len = len < sizeof(f->s_last) ? len : sizeof(f->s_last);
	memcpy(f->s_last, frame, f->s_last_len);
	f->s_bytes += len;
	f->s_last_ms = now_ms();
	if (f->seq_only ? len < 4 || frame[3] != (uint8_t)f->s_seq || frame[2] != (uint8_t)(f->s_seq >> 8)
			: !check_frame(frame, len, f->s_seq))
		f->s_bad_order = true;
	f->s_seq++;
	f->s_frames++;
	/* The conn maps to what the test put there when it connected. */
	if (cp_tls_conn_get_data(c) != f)
		f->s_bad_order = true;
	if (f->echo)
		assert_int_equal(cp_tls_send(c, frame, len), 0);
}

static void s_on_state(struct cp_tls_conn *c, enum cp_tls_event ev, enum cp_tls_why why, void *arg)
{
	struct fix *f = arg;
	if (ev == CP_TLS_CONNECTED) {
		f->s_connected++;
		f->s_conn = c;
		cp_tls_conn_set_data(c, f);
		union sp_endpoint peer;
		assert_int_equal(cp_tls_conn_peer(c, &peer), 0);
		assert_int_equal(peer.sa.sa_family, AF_INET);
	} else {
		f->s_closed++;
		f->s_why = why;
		f->s_closed_ms = now_ms();
		if (f->s_conn == c)
			f->s_conn = NULL;
	}
}

static void c_on_frame(struct cp_tls_conn *c, const uint8_t *frame, size_t len, void *arg)
{
	struct fix *f = arg;
	(void)c;
	if (!check_frame(frame, len, f->c_seq))
		f->c_bad_order = true;
	f->c_seq++;
	f->c_frames++;
}

static void c_on_state(struct cp_tls_conn *c, enum cp_tls_event ev, enum cp_tls_why why, void *arg)
{
	struct fix *f = arg;
	if (ev == CP_TLS_CONNECTED) {
		f->c_connected++;
		return;
	}
	f->c_closed++;
	f->c_why = why;
	for (int i = 0; i < NCLIENTS; i++)
		if (f->c[i] == c)
			f->c[i] = NULL;
}

/* The proxy moves at most px_chunk bytes each way per step: many small TCP reads. */
static void proxy_step(struct fix *f)
{
	uint8_t buf[64];
	ssize_t n;

	if (f->px_listen < 0)
		return;
	if (f->px_a < 0) {
		f->px_a = accept4(f->px_listen, NULL, NULL, SOCK_NONBLOCK);
		if (f->px_a < 0)
			return;
		f->px_b = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(f->px_b >= 0);
		assert_int_equal(connect(f->px_b, &f->ep.sa, sp_endpoint_len(&f->ep)), 0);
		assert_int_equal(fcntl(f->px_b, F_SETFL, O_NONBLOCK), 0);
		int one = 1;
		(void)setsockopt(f->px_a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		(void)setsockopt(f->px_b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	n = recv(f->px_a, buf, f->px_chunk, 0);
	if (n > 0) {
		assert_int_equal(send(f->px_b, buf, (size_t)n, 0), n);
		f->px_to_server++;
	}
	n = recv(f->px_b, buf, f->px_chunk, 0);
	if (n > 0)
		assert_int_equal(send(f->px_a, buf, (size_t)n, 0), n);
}

static void step(struct fix *f)
{
	uv_run(&f->sl, UV_RUN_NOWAIT);
	if (f->run_client)
		uv_run(&f->cl, UV_RUN_NOWAIT);
	proxy_step(f);
	if (f->child > 0) {
		int st;
		if (waitpid(f->child, &st, WNOHANG) == f->child) {
			f->child = 0;
			f->child_status = st;
		}
	}
	if (!f->busy)
		usleep(200);
}

/* Step until cond holds; false at the deadline. */
static bool run_until(struct fix *f, bool (*cond)(struct fix *), int ms)
{
	int64_t deadline = now_ms() + ms;
	while (!cond(f)) {
		if (now_ms() > deadline)
			return false;
		step(f);
	}
	return true;
}

static void run_for(struct fix *f, int ms)
{
	int64_t end = now_ms() + ms;
	while (now_ms() < end)
		step(f);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->sl), 0);
	assert_int_equal(uv_loop_init(&f->cl), 0);
	f->run_client = true;
	f->px_listen = f->px_a = f->px_b = -1;
	cp_iv_tls_handshake.ms = 10000;
	cp_iv_tls_idle.ms = 90000;
	union sp_endpoint bind;
	assert_int_equal(sp_endpoint_parse("127.0.0.1", true, 0, &bind), 0);
	assert_int_equal(cp_tls_listen(&f->sl, &bind, s_on_frame, f, &f->srv), 0);
	cp_tls_server_set_state_fn(f->srv, s_on_state);
	assert_int_equal(cp_tls_server_endpoint(f->srv, &f->ep), 0);
	assert_true(sp_endpoint_port(&f->ep) != 0);
	*state = f;
	return 0;
}

static bool loops_idle_client(struct fix *f) { return !uv_loop_alive(&f->cl); }

static bool loops_idle(struct fix *f)
{
	return !uv_loop_alive(&f->sl) && !uv_loop_alive(&f->cl);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	for (int i = 0; i < NCLIENTS; i++)
		if (f->c[i])
			cp_tls_close(f->c[i]);
	cp_tls_server_close(f->srv);
	f->run_client = true;
	assert_true(run_until(f, loops_idle, 5000));
	assert_int_equal(uv_loop_close(&f->sl), 0);
	assert_int_equal(uv_loop_close(&f->cl), 0);
	if (f->px_a >= 0)
		close(f->px_a);
	if (f->px_b >= 0)
		close(f->px_b);
	if (f->px_listen >= 0)
		close(f->px_listen);
	if (f->child > 0) {
		kill(f->child, SIGKILL);
		(void)waitpid(f->child, NULL, 0);
	}
	free(f);
	return 0;
}

static bool client_connected(struct fix *f) { return f->c_connected >= 1 && f->s_connected >= 1; }
static bool client_closed(struct fix *f) { return f->c_closed >= 1; }
static bool server_closed(struct fix *f) { return f->s_closed >= 1; }
static bool both_closed(struct fix *f) { return f->s_closed >= 1 && f->c_closed >= 1; }

static int want_frames;
static bool got_server_frames(struct fix *f) { return f->s_frames >= want_frames; }
static bool got_client_frames(struct fix *f) { return f->c_frames >= want_frames; }

/* Frames of every size both ways, in order, the server answering on the same conn. */
static void test_frames_both_ways(void **state)
{
	struct fix *f = *state;
	uint8_t buf[CP_MSG_MAX];

	f->echo = true;
	/* Sent before the handshake is done: they wait, in order. */
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_null(cp_tls_conn_get_data(f->c[0]));
	uint32_t seq = 0;
	for (; seq < 10; seq++)
		assert_int_equal(cp_tls_send(f->c[0], buf, make_frame(buf, seq, 4 + seq)), 0);
	assert_true(run_until(f, client_connected, 5000));
	for (; seq < 400; seq++) {
		size_t len = 4 + (seq * 37) % (CP_MSG_MAX - 3);	/* 4 .. CP_MSG_MAX */
		assert_int_equal(cp_tls_send(f->c[0], buf, make_frame(buf, seq, len)), 0);
	}
	/* The largest frame, CP_MSG_MAX bytes, goes through too. */
	assert_int_equal(cp_tls_send(f->c[0], buf, make_frame(buf, seq, CP_MSG_MAX)), 0);
	want_frames = 401;
	assert_true(run_until(f, got_client_frames, 10000));
	assert_int_equal(f->s_frames, 401);
	assert_int_equal(f->c_frames, 401);
	assert_false(f->s_bad_order);
	assert_false(f->c_bad_order);
	assert_int_equal(cp_tls_send(f->c[0], buf, CP_MSG_MAX + 1), -EMSGSIZE);
	assert_int_equal(cp_tls_send(f->c[0], buf, 0), -EMSGSIZE);
	const struct cp_tls_stats *st = cp_tls_server_stats(f->srv);
	assert_int_equal(st->handshakes, 1);
	assert_int_equal(st->frames_in, 401);
	assert_int_equal(st->frames_out, 401);
	assert_int_equal(cp_tls_server_conns(f->srv), 1);
}

/* A raw TCP socket to the server (or anywhere), non-blocking. */
static int raw_connect(const union sp_endpoint *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, &to->sa, sp_endpoint_len(to)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

static int raw_fd;
static bool raw_eof;
static bool raw_closed(struct fix *f)
{
	uint8_t buf[4096];
	ssize_t n;
	(void)f;
	while ((n = recv(raw_fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		raw_eof = true;
	return raw_eof;
}

/* The handshake and a frame pass through a proxy that forwards 7 bytes at a time. */
static void test_split_reads(void **state)
{
	struct fix *f = *state;
	uint8_t buf[CP_MSG_MAX];
	union sp_endpoint px;
	socklen_t len = sizeof(px);

	f->px_chunk = 7;
	f->busy = true;
	f->px_listen = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(f->px_listen >= 0);
	assert_int_equal(sp_endpoint_parse("127.0.0.1", true, 0, &px), 0);
	assert_int_equal(bind(f->px_listen, &px.sa, sp_endpoint_len(&px)), 0);
	assert_int_equal(listen(f->px_listen, 4), 0);
	assert_int_equal(getsockname(f->px_listen, &px.sa, &len), 0);
	assert_int_equal(cp_tls_connect(&f->cl, &px, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 20000));
	unsigned hs_writes = f->px_to_server;
	assert_true(hs_writes > 20);	/* the ClientHello alone came in many reads */
	assert_int_equal(cp_tls_send(f->c[0], buf, make_frame(buf, 0, 1400)), 0);
	want_frames = 1;
	assert_true(run_until(f, got_server_frames, 20000));
	assert_true(f->px_to_server - hs_writes >= 1400 / 7);
	assert_false(f->s_bad_order);

	/* A frame in one-byte TLS records: the framing spans records too. */
	make_frame(buf, 1, 300);
	uint8_t hdr[2] = { 300 >> 8, 300 & 0xff };
	assert_int_equal(cp_tls__send_raw(f->c[0], hdr, 1), 0);
	assert_int_equal(cp_tls__send_raw(f->c[0], hdr + 1, 1), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(cp_tls__send_raw(f->c[0], buf + i, 1), 0);
	want_frames = 2;
	assert_true(run_until(f, got_server_frames, 20000));
	assert_int_equal(f->s_frames, 2);
	assert_false(f->s_bad_order);
}

/* A client that does not read: the server's queue fills, SP_ELIMIT, then all arrive in order. */
static void test_queue_full(void **state)
{
	struct fix *f = *state;
	uint8_t buf[1400];
	uint32_t sent = 0;
	int err = 0;

	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 5000));
	f->run_client = false;
	/* Kernel buffers take some megabytes first; the bound is what remains. */
	for (int64_t deadline = now_ms() + 20000; now_ms() < deadline && err == 0;) {
		err = cp_tls_send(f->s_conn, buf, make_frame(buf, sent, sizeof(buf)));
		if (err == 0)
			sent++;
		else
			break;
		if (sent % 64 == 0)
			step(f);
	}
	assert_int_equal(err, SP_ELIMIT);
	assert_true(cp_tls_queued(f->s_conn) <= CP_TLS_QUEUE_MAX);
	assert_true(cp_tls_queued(f->s_conn) > CP_TLS_QUEUE_MAX - 2 * (sizeof(buf) + 64));
	assert_int_equal(cp_tls_send(f->s_conn, buf, sizeof(buf)), SP_ELIMIT);
	/* The connection is still fine: the reader catches up and gets every frame. */
	f->run_client = true;
	f->busy = true;
	want_frames = (int)sent;
	assert_true(run_until(f, got_client_frames, 20000));
	assert_int_equal(f->c_frames, sent);
	assert_false(f->c_bad_order);
	assert_int_equal(cp_tls_send(f->s_conn, buf, make_frame(buf, sent, sizeof(buf))), 0);
	want_frames = (int)sent + 1;
	assert_true(run_until(f, got_client_frames, 5000));
	printf("# queue full after %u frames of 1400 bytes (kernel buffers + %u KiB)\n", sent,
	       CP_TLS_QUEUE_MAX / 1024);
}

/* Frames sent while the handshake does not come are bounded too. */
static void test_queue_before_handshake(void **state)
{
	struct fix *f = *state;
	uint8_t buf[1400] = { 0 };
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	union sp_endpoint ep;
	socklen_t len = sizeof(ep);
	int n = 0, err = 0;

	/* A listener that never answers (the kernel completes TCP, nobody speaks TLS). */
	assert_true(lfd >= 0);
	assert_int_equal(sp_endpoint_parse("127.0.0.1", true, 0, &ep), 0);
	assert_int_equal(bind(lfd, &ep.sa, sp_endpoint_len(&ep)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, &ep.sa, &len), 0);
	assert_int_equal(cp_tls_connect(&f->cl, &ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	while ((err = cp_tls_send(f->c[0], buf, sizeof(buf))) == 0 && n < 10000)
		n++;
	assert_int_equal(err, SP_ELIMIT);
	assert_true((size_t)n * 1402 <= CP_TLS_QUEUE_MAX);
	assert_true((size_t)n * 1402 > CP_TLS_QUEUE_MAX - 2 * 1424);
	cp_tls_close(f->c[0]);
	assert_int_equal(f->c_closed, 1);
	assert_int_equal(f->c_why, CP_TLS_WHY_LOCAL);
	assert_int_equal(f->c_connected, 0);
	assert_true(run_until(f, loops_idle_client, 5000));
	close(lfd);
}

/* A frame longer than CP_MSG_MAX closes the connection; so do an empty frame and non-TLS bytes. */
static void test_oversize(void **state)
{
	struct fix *f = *state;
	uint8_t buf[CP_MSG_MAX + 2] = { 0 };

	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 5000));
	buf[0] = (CP_MSG_MAX + 1) >> 8;
	buf[1] = (CP_MSG_MAX + 1) & 0xff;
	assert_int_equal(cp_tls__send_raw(f->c[0], buf, 100), 0);
	assert_true(run_until(f, both_closed, 5000));
	assert_int_equal(f->s_why, CP_TLS_WHY_OVERSIZE);
	assert_int_equal(f->c_why, CP_TLS_WHY_PEER);
	assert_int_equal(f->s_frames, 0);
	assert_int_equal(cp_tls_server_stats(f->srv)->closed[CP_TLS_WHY_OVERSIZE], 1);

	/* An empty frame. */
	f->c_connected = f->s_connected = 0;
	f->c_closed = f->s_closed = 0;
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 5000));
	memset(buf, 0, 4);
	assert_int_equal(cp_tls__send_raw(f->c[0], buf, 4), 0);
	assert_true(run_until(f, both_closed, 5000));
	assert_int_equal(f->s_why, CP_TLS_WHY_MALFORMED);

	/* Plain text to the TLS port (a stray HTTP client). */
	raw_fd = raw_connect(&f->ep);
	raw_eof = false;
	const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(send(raw_fd, http, strlen(http), 0), (ssize_t)strlen(http));
	assert_true(run_until(f, raw_closed, 5000));
	close(raw_fd);
	assert_int_equal(cp_tls_server_stats(f->srv)->closed[CP_TLS_WHY_MALFORMED], 2);
	assert_int_equal(cp_tls_server_conns(f->srv), 0);
}

/* A peer that opens TCP and never speaks is closed at the handshake deadline. */
static void test_handshake_timeout(void **state)
{
	struct fix *f = *state;

	cp_iv_tls_handshake.ms = 300;
	int64_t t0 = now_ms();
	raw_fd = raw_connect(&f->ep);
	raw_eof = false;
	assert_true(run_until(f, raw_closed, 5000));
	int64_t took = now_ms() - t0;
	close(raw_fd);
	assert_true(took >= 250);
	assert_int_equal(cp_tls_server_stats(f->srv)->closed[CP_TLS_WHY_HANDSHAKE], 1);
	assert_int_equal(cp_tls_server_conns(f->srv), 0);
	assert_int_equal(f->s_closed, 0);	/* never reported: never connected */
	printf("# a silent TCP peer closed after %lld ms (control.tls-handshake 300)\n",
	       (long long)took);
}

/* Input keeps a connection; none for control.tls-idle closes it. */
static void test_idle(void **state)
{
	struct fix *f = *state;
	uint8_t buf[64];

	/* The client's conn is made with the long default; the server's is accepted with 400 ms. */
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	cp_iv_tls_idle.ms = 400;
	assert_true(run_until(f, client_connected, 5000));
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(cp_tls_send(f->c[0], buf, make_frame(buf, i, sizeof(buf))), 0);
		run_for(f, 100);
	}
	assert_int_equal(f->s_closed, 0);	/* 1 s of traffic, kept */
	assert_true(run_until(f, both_closed, 5000));
	int64_t took = f->s_closed_ms - f->s_last_ms;
	assert_int_equal(f->s_why, CP_TLS_WHY_IDLE);
	assert_int_equal(f->c_why, CP_TLS_WHY_PEER);
	assert_true(took >= 380);	/* the period counts from the last input */
	assert_int_equal(f->s_frames, 10);
}

static bool all_connected(struct fix *f)
{
	return f->c_connected >= (int)CP_TLS_CONNS_MAX && f->s_connected >= (int)CP_TLS_CONNS_MAX;
}

/* CP_TLS_CONNS_MAX connections, then one more is refused; a freed slot takes a new one. */
static void test_conn_bound(void **state)
{
	struct fix *f = *state;

	f->busy = true;
	for (int i = 0; i < (int)CP_TLS_CONNS_MAX; i++)
		assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[i]), 0);
	assert_true(run_until(f, all_connected, 30000));
	assert_int_equal(cp_tls_server_conns(f->srv), CP_TLS_CONNS_MAX);
	assert_int_equal(f->s_connected, CP_TLS_CONNS_MAX);
	int last = (int)CP_TLS_CONNS_MAX;
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[last]), 0);
	assert_true(run_until(f, client_closed, 5000));
	assert_null(f->c[last]);
	assert_int_equal(f->c_connected, CP_TLS_CONNS_MAX);
	assert_true(f->c_why == CP_TLS_WHY_PEER || f->c_why == CP_TLS_WHY_TLS);
	assert_int_equal(cp_tls_server_stats(f->srv)->refused, 1);
	/* Close one; a new connection gets its slot. */
	cp_tls_close(f->c[0]);
	assert_true(run_until(f, server_closed, 5000));
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	f->c_connected--;
	assert_true(run_until(f, all_connected, 5000));
	assert_int_equal(cp_tls_server_conns(f->srv), CP_TLS_CONNS_MAX);
}

/* Close with frames queued: they are delivered first, then the close; both ways. */
static void test_shutdown_in_flight(void **state)
{
	struct fix *f = *state;
	uint8_t buf[1400];

	f->busy = true;
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 5000));
	for (uint32_t i = 0; i < 150; i++)
		assert_int_equal(cp_tls_send(f->c[0], buf, make_frame(buf, i, sizeof(buf))), 0);
	cp_tls_close(f->c[0]);
	assert_int_equal(f->c_closed, 1);
	assert_int_equal(f->c_why, CP_TLS_WHY_LOCAL);
	assert_null(f->c[0]);	/* CLOSED was reported: the pointer is gone for the user */
	/*
	 * The server still talks to the closing client: the client reads and
	 * drops it until the server closes, so no reset loses the frames.
	 */
	assert_int_equal(cp_tls_send(f->s_conn, buf, make_frame(buf, 0, 100)), 0);
	assert_true(run_until(f, server_closed, 5000));
	assert_int_equal(f->s_frames, 150);
	assert_false(f->s_bad_order);
	assert_int_equal(f->s_why, CP_TLS_WHY_PEER);

	/* The server goes away with frames queued toward a client. */
	f->c_connected = f->s_connected = f->c_closed = f->s_closed = 0;
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 5000));
	for (uint32_t i = 0; i < 150; i++)
		assert_int_equal(cp_tls_send(f->s_conn, buf, make_frame(buf, i, sizeof(buf))), 0);
	cp_tls_server_close(f->srv);
	f->srv = NULL;
	assert_int_equal(f->s_closed, 1);
	assert_int_equal(f->s_why, CP_TLS_WHY_LOCAL);
	assert_true(run_until(f, client_closed, 5000));
	assert_int_equal(f->c_frames, 150);
	assert_false(f->c_bad_order);
	assert_int_equal(f->c_why, CP_TLS_WHY_PEER);
	/* Both ends closed by close_notify: well before the linger bound of 2 s. */
	int64_t t0 = now_ms();
	assert_true(run_until(f, loops_idle, 1500));
	printf("# handles gone %lld ms after the close\n", (long long)(now_ms() - t0));
}

static bool child_done(struct fix *f) { return f->child == 0; }

/* `openssl s_client` completes a TLS 1.3 handshake and its framed stdin arrives as a frame. */
static void test_interop_s_client(void **state)
{
	struct fix *f = *state;
	char in[] = "/tmp/test_tls_in.XXXXXX", out[] = "/tmp/test_tls_out.XXXXXX";
	int ifd = mkstemp(in), ofd = mkstemp(out);
	char port[16];

	assert_true(ifd >= 0 && ofd >= 0);
	uint8_t frame[2 + 5] = { 0, 5, 'h', 'e', 'l', 'l', 'o' };
	assert_int_equal(write(ifd, frame, sizeof(frame)), (ssize_t)sizeof(frame));
	assert_int_equal(lseek(ifd, 0, SEEK_SET), 0);
	snprintf(port, sizeof(port), "127.0.0.1:%u", sp_endpoint_port(&f->ep));
	f->echo = false;
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		dup2(ifd, 0);
		dup2(ofd, 1);
		dup2(ofd, 2);
		/* -ign_eof: stay until the server closes, so the frame surely went out. */
		execlp("openssl", "openssl", "s_client", "-connect", port, "-tls1_3", "-ign_eof",
		       (char *)NULL);
		_exit(127);
	}
	close(ifd);
	want_frames = 1;
	assert_true(run_until(f, got_server_frames, 10000));
	assert_int_equal(f->s_last_len, 5);
	assert_memory_equal(f->s_last, "hello", 5);
	cp_tls_server_close(f->srv);
	f->srv = NULL;
	assert_true(run_until(f, child_done, 10000));
	char text[16384] = { 0 };
	assert_true(pread(ofd, text, sizeof(text) - 1, 0) > 0);
	close(ofd);
	unlink(in);
	unlink(out);
	if (strstr(text, "TLSv1.3") == NULL)
		fprintf(stderr, "%s\n", text);
	assert_non_null(strstr(text, "TLSv1.3"));
	assert_non_null(strstr(text, "CN = signpost"));
}

/* Frames per second and MB/s of 1400-byte frames over one connection (printed, not asserted). */
static void test_throughput(void **state)
{
	struct fix *f = *state;
	uint8_t buf[1400];
	const char *env = getenv("CP_TLS_BENCH_FRAMES");
	uint32_t n = env ? (uint32_t)strtoul(env, NULL, 10) : 30000, sent = 0;

	f->busy = true;
	f->seq_only = true;
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_connected, 5000));
	want_frames = (int)n;
	make_frame(buf, 0, sizeof(buf));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int64_t deadline = now_ms() + 60000;
	while (f->s_frames < (int)n && now_ms() < deadline) {
		for (;;) {
			buf[2] = (uint8_t)(sent >> 8);
			buf[3] = (uint8_t)sent;
			if (sent == n || cp_tls_send(f->c[0], buf, sizeof(buf)) != 0)
				break;
			sent++;
		}
		step(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(f->s_frames, n);
	assert_false(f->s_bad_order);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("# throughput: %u frames of 1400 bytes in %.3f s: %.0f frames/s, %.1f MB/s "
	       "(one connection, loopback, client and server on one thread)\n",
	       n, s, n / s, n * 1400.0 / s / 1e6);
}

/* A port in use is refused at listen; a connection to a closed port ends CLOSED/CONNECT. */
static void test_errors(void **state)
{
	struct fix *f = *state;
	struct cp_tls_server *again = NULL;
	union sp_endpoint closed;

	assert_int_equal(cp_tls_listen(&f->sl, &f->ep, s_on_frame, f, &again), UV_EADDRINUSE);
	assert_null(again);
	/* A port that was just free: bind, read it, close (nobody listens there now). */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t len = sizeof(closed);
	assert_int_equal(sp_endpoint_parse("127.0.0.1", true, 0, &closed), 0);
	assert_int_equal(bind(fd, &closed.sa, sp_endpoint_len(&closed)), 0);
	assert_int_equal(getsockname(fd, &closed.sa, &len), 0);
	close(fd);
	assert_int_equal(cp_tls_connect(&f->cl, &closed, c_on_frame, c_on_state, f, &f->c[0]), 0);
	assert_true(run_until(f, client_closed, 5000));
	assert_int_equal(f->c_why, CP_TLS_WHY_CONNECT);
	assert_int_equal(f->c_connected, 0);
	assert_int_equal(cp_tls_connect(&f->cl, &f->ep, NULL, c_on_state, f, &f->c[0]), -EINVAL);
}

int main(void)
{
	sp_log_init("test_tls", SP_LOG_WARNING, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_before_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interop_s_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
