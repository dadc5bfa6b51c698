/*
 * test_ctl.c - control commands that answer later: a deferred reply from a
 * timer, a streamed reply (chunks in order, before the end, then the status),
 * a client that goes away while its request is deferred (the cancel runs),
 * the node stopping with a request deferred; and a word registered twice.
 *
 * The loop runs on the main thread with the control socket of a bare node;
 * the clients run on a second thread and end it through a uv_async.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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

#include "core/ctl.h"
#include "core/log.h"
#include "core/node.h"

#define STREAM_LINES 5

/* The "plane": handlers, its timers, the requests it holds. */
struct plane {
	struct sp_node node;
	uv_timer_t later_timer, stream_timer;
	uv_async_t done;
	struct sp_ctl_req *later_req, *stream_req, *hang_req[2];
	int stream_sent;
	atomic_int stream_finished, hangs, cancels;
	char dir[64], sock[128];
};
static struct plane P;

static void later_fire(uv_timer_t *t)
{
	struct sp_buf *out = sp_ctl_req_out(P.later_req);
	sp_buf_printf(out, "answered later\n");
	sp_ctl_req_finish(P.later_req, 0);
	P.later_req = NULL;
}

/* "later": answers from a timer, 100 ms on. */
static int cmd_later(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	assert_ptr_equal(arg, &P);
	assert_ptr_equal(sp_ctl_req_node(req), &P.node);
	P.later_req = req;
	uv_timer_start(&P.later_timer, later_fire, 100, 0);
	return SP_CTL_LATER;
}

static void stream_fire(uv_timer_t *t)
{
	struct sp_ctl_req *req = P.stream_req;
	if (P.stream_sent < STREAM_LINES) {
		assert_int_equal(sp_ctl_req_printf(req, "line %d\n", P.stream_sent), 0);
		P.stream_sent++;
		return;
	}
	uv_timer_stop(t);
	sp_buf_printf(sp_ctl_req_out(req), "end\n");
	atomic_store(&P.stream_finished, 1);
	sp_ctl_req_finish(req, -ERANGE);
	P.stream_req = NULL;
}

/* "stream": a line every 40 ms, then the end record with a status of its own. */
static int cmd_stream(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	P.stream_req = req;
	P.stream_sent = 0;
	uv_timer_start(&P.stream_timer, stream_fire, 40, 40);
	return SP_CTL_LATER;
}

static void hang_cancel(struct sp_ctl_req *req, void *arg)
{
	struct sp_ctl_req **slot = arg;
	assert_ptr_equal(*slot, req);
	*slot = NULL;
	atomic_fetch_add(&P.cancels, 1);
}

/* "hang": never answers; the plane hears when the request goes away. */
static int cmd_hang(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	int i = atomic_load(&P.hangs);
	P.hang_req[i] = req;
	sp_ctl_req_on_cancel(req, hang_cancel, &P.hang_req[i]);
	atomic_fetch_add(&P.hangs, 1);
	return SP_CTL_LATER;
}

static void plane_closed(uv_handle_t *h) { }

/* The clients are done: stop the control socket (cancelling what is deferred) and close. */
static void on_done(uv_async_t *a)
{
	sp_ctl_stop(P.node.ctl);
	P.node.ctl = NULL;
	uv_close((uv_handle_t *)&P.later_timer, plane_closed);
	uv_close((uv_handle_t *)&P.stream_timer, plane_closed);
	uv_close((uv_handle_t *)&P.done, plane_closed);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool wait_for(atomic_int *v, int want, int ms)
{
	int64_t deadline = now_ms() + ms;
	while (atomic_load(v) < want) {
		if (now_ms() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

/* A raw client: sends one request and keeps the connection; -1 on failure. */
static int raw_request(const char *word)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, P.sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uint8_t req[64];
	size_t n = strlen(word) + 1;
	uint32_t len = htonl((uint32_t)n);
	memcpy(req, &len, 4);
	memcpy(req + 4, word, n);
	if (send(fd, req, 4 + n, MSG_NOSIGNAL) != (ssize_t)(4 + n)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct stream_seen {
	char text[256];
	int chunks, chunks_before_end, status;
	bool end;
};

static int stream_text(void *arg, const char *text, size_t len, bool end, int status)
{
	struct stream_seen *s = arg;
	if (!end) {
		s->chunks++;
		/* A chunk reaches the client while the command is still running. */
		if (atomic_load(&P.stream_finished) == 0)
			s->chunks_before_end++;
	} else {
		s->end = true;
		s->status = status;
	}
	strncat(s->text, text, sizeof(s->text) - strlen(s->text) - 1);
	return 0;
}

struct results {
	int later_rc, later_status;
	char *later_reply;
	int stream_rc;
	struct stream_seen seen;
	bool hang1_cancelled, hang2_started;
	int hang2_fd;
};

static void clients(void *arg)
{
	struct results *r = arg;
	char *later[] = { "later", NULL };
	r->later_rc = sp_ctl_call(P.sock, 1, later, 5000, &r->later_status, &r->later_reply);

	char *stream[] = { "stream", NULL };
	r->stream_rc = sp_ctl_call_stream(P.sock, 1, stream, 5000, stream_text, &r->seen);

	/* A client that goes away while its request is deferred: the plane's cancel runs. */
	int fd = raw_request("hang");
	if (fd >= 0 && wait_for(&P.hangs, 1, 5000)) {
		close(fd);
		r->hang1_cancelled = wait_for(&P.cancels, 1, 5000);
	}
	/* One still waiting when the node stops. */
	r->hang2_fd = raw_request("hang");
	r->hang2_started = r->hang2_fd >= 0 && wait_for(&P.hangs, 2, 5000);
	uv_async_send(&P.done);
}

static void test_deferred_and_streamed(void **state)
{
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&P, 0, sizeof(P));
	strcpy(P.dir, "/tmp/sp-ctl-XXXXXX");
	assert_non_null(mkdtemp(P.dir));
	snprintf(P.sock, sizeof(P.sock), "%s/ctl.sock", P.dir);
	P.node.loop = &loop;
	assert_int_equal(sp_ctl_start(&P.node, P.sock, &P.node.ctl), 0);
	assert_int_equal(sp_ctl_register(&P.node, "later", cmd_later, &P), 0);
	assert_int_equal(sp_ctl_register(&P.node, "stream", cmd_stream, &P), 0);
	assert_int_equal(sp_ctl_register(&P.node, "hang", cmd_hang, &P), 0);
	uv_timer_init(&loop, &P.later_timer);
	uv_timer_init(&loop, &P.stream_timer);
	uv_async_init(&loop, &P.done, on_done);

	struct results r = { 0 };
	uv_thread_t tid;
	assert_int_equal(uv_thread_create(&tid, clients, &r), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_thread_join(&tid);

	/* Deferred: the reply the timer wrote, with its status. */
	assert_int_equal(r.later_rc, 0);
	assert_int_equal(r.later_status, 0);
	assert_string_equal(r.later_reply, "answered later\n");
	free(r.later_reply);
	/* Streamed: every line, in order, before the end record and its status. */
	assert_int_equal(r.stream_rc, 0);
	assert_true(r.seen.end);
	assert_int_equal(r.seen.status, -ERANGE);
	assert_int_equal(r.seen.chunks, STREAM_LINES);
	assert_int_equal(r.seen.chunks_before_end, STREAM_LINES);
	assert_string_equal(r.seen.text, "line 0\nline 1\nline 2\nline 3\nline 4\nend\n");
	/* The client that left was cancelled; the one left waiting, at stop. */
	assert_true(r.hang1_cancelled);
	assert_true(r.hang2_started);
	assert_int_equal(atomic_load(&P.cancels), 2);
	assert_null(P.hang_req[0]);
	assert_null(P.hang_req[1]);
	close(r.hang2_fd);
	/* Every handle was closed and every request freed. */
	assert_int_equal(uv_loop_close(&loop), 0);
	rmdir(P.dir);
}

/* A command word has one owner: a second registration is refused, the first kept. */
static void test_register_twice(void **state)
{
	uv_loop_t loop;
	struct sp_node node = { .loop = &loop };
	char dir[64] = "/tmp/sp-ctl-XXXXXX", sock[128];
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	assert_int_equal(sp_ctl_start(&node, sock, &node.ctl), 0);
	assert_int_equal(sp_ctl_register(&node, "later", cmd_later, &P), 0);
	assert_int_equal(sp_ctl_register(&node, "later", cmd_hang, NULL), -EEXIST);
	assert_int_equal(sp_ctl_register(&node, "stream", cmd_stream, &P), 0);
	sp_ctl_stop(node.ctl);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	sp_log_init("test", SP_LOG_WARNING, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred_and_streamed),
		cmocka_unit_test(test_register_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
