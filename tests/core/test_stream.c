/*
 * test_stream.c - the shared stream-connection helper: framing of partial
 * frames, an oversize frame refused, back-pressure pause and resume, idle and
 * stalled closes, and every handle closed at the end.
 *
 * One thread: the client is a non-blocking Unix socket driven between
 * UV_RUN_NOWAIT turns, so each step is deterministic and bounded by a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/stream.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct fix;

struct conn {
	struct sp_stream st;
	struct fix *f;
};

struct fix {
	char dir[64], path[108];
	uv_loop_t loop;
	uv_pipe_t listener;
	struct sp_stream_conf conf;
	struct sp_stream_stats stats;
	struct conn *c;		/* the accepted connection, until closed */
	int fd;			/* the client */
	bool drain;		/* the client reads what it gets */
	size_t received;
	int frames;
	uint8_t last[512];
	size_t last_len;
	size_t reply_len;	/* each frame is answered with this many bytes */
	int bad_err, closes, closed;
	enum sp_stream_why why;
	bool keep_idle;
};

static void on_frame(struct sp_stream *s, const uint8_t *frame, size_t len)
{
	struct fix *f = container_of(s, struct conn, st)->f;
	f->frames++;
	f->last_len = len < sizeof(f->last) ? len : sizeof(f->last);
	memcpy(f->last, frame, f->last_len);
	if (f->reply_len > 0) {
		uint8_t *r = calloc(1, f->reply_len);
		assert_non_null(r);
		assert_int_equal(sp_stream_write(s, r, f->reply_len), 0);
		free(r);
	}
}

static void on_bad(struct sp_stream *s, int err, const uint8_t *buf, size_t len)
{
	container_of(s, struct conn, st)->f->bad_err = err;
}

static bool on_idle(struct sp_stream *s)
{
	return container_of(s, struct conn, st)->f->keep_idle;
}

static void on_close(struct sp_stream *s, enum sp_stream_why why)
{
	struct fix *f = container_of(s, struct conn, st)->f;
	f->closes++;
	f->why = why;
	f->c = NULL;
}

static void on_closed(struct sp_stream *s)
{
	struct conn *c = container_of(s, struct conn, st);
	c->f->closed++;
	free(c);
}

static const struct sp_stream_ops ops = {
	.frame = sp_stream_frame_u16,
	.on_frame = on_frame,
	.on_bad = on_bad,
	.on_idle = on_idle,
	.on_close = on_close,
	.on_closed = on_closed,
};

static void on_connection(uv_stream_t *l, int status)
{
	struct fix *f = l->data;
	assert_int_equal(status, 0);
	struct conn *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->f = f;
	assert_int_equal(sp_stream_init(&c->st, &f->loop, SP_STREAM_PIPE, &f->conf, c), 0);
	assert_int_equal(sp_stream_accept(&c->st, l), 0);
	assert_int_equal(sp_stream_start(&c->st), 0);
	f->c = c;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turn the loop (and drain the client if asked) until cond holds; false at the deadline. */
static bool run_until(struct fix *f, bool (*cond)(struct fix *), int ms)
{
	int64_t deadline = now_ms() + ms;
	while (!cond(f)) {
		if (now_ms() > deadline)
			return false;
		uv_run(&f->loop, UV_RUN_NOWAIT);
		if (f->drain) {
			uint8_t buf[65536];
			ssize_t n;
			while ((n = recv(f->fd, buf, sizeof(buf), 0)) > 0)
				f->received += (size_t)n;
		}
		usleep(500);
	}
	return true;
}

static bool accepted(struct fix *f) { return f->c != NULL; }
static bool is_closed(struct fix *f) { return f->closed > 0; }

static void fix_start(struct fix *f, size_t rbuf_max, uint64_t idle_ms)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/sp-stream-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	f->conf = (struct sp_stream_conf){ .ops = &ops, .rbuf_initial = 16, .rbuf_max = rbuf_max,
					   .idle_ms = idle_ms, .stats = &f->stats };
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_pipe_init(&f->loop, &f->listener, 0), 0);
	f->listener.data = f;
	assert_int_equal(uv_pipe_bind(&f->listener, f->path), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 4, on_connection), 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_true(run_until(f, accepted, 2000));
}

static void fix_finish(struct fix *f)
{
	if (f->c != NULL)
		sp_stream_close(&f->c->st, SP_STREAM_LOCAL);
	uv_close((uv_handle_t *)&f->listener, NULL);
	assert_true(run_until(f, is_closed, 2000));
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->closed, 1);
	assert_int_equal(f->closes, 1);
	/* Every handle and write was released. */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	close(f->fd);
	unlink(f->path);
	rmdir(f->dir);
}

static void send_all(struct fix *f, const void *p, size_t n)
{
	assert_int_equal(send(f->fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Give the loop a few turns (for "nothing happens" checks). */
static void settle(struct fix *f)
{
	for (int i = 0; i < 20; i++) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		usleep(500);
	}
}

static bool one_frame(struct fix *f) { return f->frames >= 1; }
static bool two_frames(struct fix *f) { return f->frames >= 2; }

static void test_partial_frames(void **state)
{
	struct fix f;
	fix_start(&f, 2 + 300, 0);
	uint8_t msg[2 + 200];
	msg[0] = 0;
	msg[1] = 200;
	for (int i = 0; i < 200; i++)
		msg[2 + i] = (uint8_t)i;

	/* One byte of the length, then the rest of it and half the body: no frame yet. */
	send_all(&f, msg, 1);
	settle(&f);
	send_all(&f, msg + 1, 101);
	settle(&f);
	assert_int_equal(f.frames, 0);
	/* The rest, with the first byte of a second frame: exactly one frame, whole. */
	uint8_t tail[99 + 1 + 1];
	memcpy(tail, msg + 102, 100);
	tail[100] = 0;
	send_all(&f, tail, sizeof(tail));
	assert_true(run_until(&f, one_frame, 2000));
	settle(&f);
	assert_int_equal(f.frames, 1);
	assert_int_equal(f.last_len, sizeof(msg));
	assert_memory_equal(f.last, msg, sizeof(msg));
	/* The second frame: its length's last byte and a 3-byte body. */
	send_all(&f, "\x03" "abc", 4);
	assert_true(run_until(&f, two_frames, 2000));
	assert_int_equal(f.last_len, 5);
	assert_memory_equal(f.last, "\x00\x03" "abc", 5);
	assert_true(sp_stream_is_open(&f.c->st));
	fix_finish(&f);
	assert_int_equal(f.stats.closed[SP_STREAM_LOCAL], 1);
}

static void test_oversize_refused(void **state)
{
	struct fix f;
	fix_start(&f, 2 + 100, 0);
	/* A frame that says 200 bytes cannot fit a 102-byte bound. */
	uint8_t msg[2 + 120] = { 0, 200 };
	send_all(&f, msg, sizeof(msg));
	assert_true(run_until(&f, is_closed, 2000));
	assert_int_equal(f.frames, 0);
	assert_int_equal(f.bad_err, SP_ELIMIT);
	assert_int_equal(f.why, SP_STREAM_OVERSIZE);
	assert_int_equal(f.stats.closed[SP_STREAM_OVERSIZE], 1);
	fix_finish(&f);
}

static bool resumed_all(struct fix *f) { return f->frames == 20 && f->received >= 20 * f->reply_len; }
static bool is_paused(struct fix *f) { return f->c && f->c->st.paused; }

static void test_backpressure(void **state)
{
	struct fix f;
	fix_start(&f, 2 + 100, 0);
	f.reply_len = 128 * 1024;
	f.c->st.conf.pause_bytes = 64 * 1024;	/* a smaller bound than the default */
	/* Twenty queries, each answered with 128 KiB, and a client that does not read. */
	uint8_t q[20][3];
	for (int i = 0; i < 20; i++) {
		q[i][0] = 0;
		q[i][1] = 1;
		q[i][2] = (uint8_t)i;
	}
	send_all(&f, q, sizeof(q));
	assert_true(run_until(&f, is_paused, 2000));
	settle(&f);
	/* Paused: the answers wait in the queue, further queries wait in the buffer. */
	assert_true(f.frames < 20);
	assert_true(sp_stream_queued(&f.c->st) >= 64 * 1024);
	assert_false(f.c->st.reading);
	assert_int_equal(f.stats.paused, 1);
	/* The client reads: the queue falls below half, the rest are answered in order. */
	f.drain = true;
	assert_true(run_until(&f, resumed_all, 5000));
	assert_int_equal(f.last[2], 19);
	assert_false(f.c->st.paused);
	assert_true(f.c->st.reading);
	fix_finish(&f);
}

static void test_idle_close(void **state)
{
	struct fix f;
	fix_start(&f, 2 + 100, 50);
	/* Silence: closed after the idle period. */
	assert_true(run_until(&f, is_closed, 2000));
	assert_int_equal(f.why, SP_STREAM_IDLE);
	assert_int_equal(f.stats.closed[SP_STREAM_IDLE], 1);
	fix_finish(&f);
}

static void test_stalled_close(void **state)
{
	struct fix f;
	fix_start(&f, 2 + 100, 50);
	/* Idle connections are kept here: only the unread backlog may close this one. */
	f.keep_idle = true;
	settle(&f);
	usleep(120 * 1000);
	settle(&f);
	assert_int_equal(f.closes, 0);
	f.reply_len = 1024 * 1024;
	send_all(&f, "\x00\x01x", 3);
	assert_true(run_until(&f, is_closed, 3000));
	assert_int_equal(f.frames, 1);
	assert_int_equal(f.why, SP_STREAM_STALLED);
	assert_int_equal(f.stats.closed[SP_STREAM_STALLED], 1);
	fix_finish(&f);
}

int main(void)
{
	sp_log_init("test", SP_LOG_WARNING, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partial_frames),
		cmocka_unit_test(test_oversize_refused),
		cmocka_unit_test(test_backpressure),
		cmocka_unit_test(test_idle_close),
		cmocka_unit_test(test_stalled_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
