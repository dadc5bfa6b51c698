/*
 * ctl.c - the control socket, daemon and client sides; see ctl.h.
 *
 * Each connection is an sp_stream (stream.h) framed by the request's length
 * word; it carries one request through these states:
 *
 *   READING -> RUNNING (the handler's call) -> DONE       answered at once
 *                                           -> DEFERRED -> DONE   finish or cancel
 *
 * Timers: the stream's idle period, CTL_CONN_TIMEOUT_MS, counted from the
 * connection until the request is complete, then between reply progress.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "node.h"
#include "stream.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* A CLI sends its request at once and reads its reply; a client that dawdles longer is dropped. */
#define CTL_CONN_TIMEOUT_MS 5000
/* The CLI is one person at a terminal; a few connections at once are plenty. */
#define CTL_CONN_MAX 16
#define CTL_HANDLERS_MAX 32

struct ctl_handler {
	char word[32];
	sp_ctl_fn fn;
	void *arg;
};

enum ctl_req_state { CTL_REQ_READING, CTL_REQ_RUNNING, CTL_REQ_DEFERRED, CTL_REQ_DONE };

struct sp_ctl_req {
	struct ctl_conn *conn;
	enum ctl_req_state state;
	bool gone;			/* the client went away during the handler's call */
	char *body;			/* the request's words; argv points into it */
	char *argv[SP_CTL_ARGS_MAX + 1];
	int argc;
	struct sp_buf out;
	void (*cancel)(struct sp_ctl_req *req, void *arg);
	void *cancel_arg;
};

struct ctl_conn {
	struct sp_stream st;
	struct sp_ctl *ctl;
	struct ctl_conn *next;
	struct sp_ctl_req req;
};

struct sp_ctl {
	struct sp_node *node;
	uv_pipe_t listener;
	char *path;
	struct ctl_conn *conns;		/* until their memory is freed */
	unsigned n_conns;
	struct ctl_handler handlers[CTL_HANDLERS_MAX];
	size_t n_handlers;
	struct sp_stream_stats stats;
	bool stopping;
	bool listener_closed;
};

/* After stop, the last close callback (listener or connection) frees ctl. */
static void ctl_maybe_free(struct sp_ctl *ctl)
{
	if (ctl->stopping && ctl->listener_closed && ctl->n_conns == 0) {
		free(ctl->path);
		free(ctl);
	}
}

int sp_ctl_register(struct sp_node *node, const char *word, sp_ctl_fn fn, void *arg)
{
	struct sp_ctl *ctl = node->ctl;
	if (ctl == NULL || fn == NULL || strlen(word) >= sizeof(ctl->handlers[0].word))
		return -EINVAL;
	for (size_t i = 0; i < ctl->n_handlers; i++)
		if (strcmp(ctl->handlers[i].word, word) == 0) {
			sp_err("control command '%s' is registered twice", word);
			return -EEXIST;
		}
	if (ctl->n_handlers == CTL_HANDLERS_MAX)
		return SP_ELIMIT;
	struct ctl_handler *h = &ctl->handlers[ctl->n_handlers++];
	strcpy(h->word, word);
	h->fn = fn;
	h->arg = arg;
	return 0;
}

/* ---- requests ---- */

struct sp_node *sp_ctl_req_node(const struct sp_ctl_req *req)
{
	return req->conn->ctl->node;
}

struct sp_buf *sp_ctl_req_out(struct sp_ctl_req *req)
{
	return &req->out;
}

void sp_ctl_req_on_cancel(struct sp_ctl_req *req, void (*cancel)(struct sp_ctl_req *req, void *arg),
			  void *arg)
{
	req->cancel = cancel;
	req->cancel_arg = arg;
}

static int ctl_record(struct ctl_conn *c, uint32_t type, int status, const char *text, size_t len)
{
	uint8_t head[SP_CTL_REC_HEAD];
	uint32_t w[3] = { htonl(type), htonl((uint32_t)status), htonl((uint32_t)len) };
	memcpy(head, w, sizeof(head));
	uv_buf_t b[2] = { uv_buf_init((char *)head, sizeof(head)),
			  uv_buf_init((char *)(text ? text : ""), (unsigned)len) };
	return sp_stream_writev(&c->st, b, 2);
}

int sp_ctl_req_write(struct sp_ctl_req *req, const char *text, size_t len)
{
	struct ctl_conn *c = req->conn;
	if (req->state == CTL_REQ_DONE || req->gone || !sp_stream_is_open(&c->st))
		return -EPIPE;
	/* The client reads what we send; one that does not is not buffered for without bound. */
	if (len > SP_CTL_REPLY_MAX || sp_stream_queued(&c->st) + len > SP_CTL_REPLY_MAX)
		return SP_ELIMIT;
	return ctl_record(c, SP_CTL_REC_CHUNK, 0, text, len);
}

int sp_ctl_req_printf(struct sp_ctl_req *req, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int rc = sp_ctl_req_write(req, text, (size_t)n);
	free(text);
	return rc;
}

void sp_ctl_req_finish(struct sp_ctl_req *req, int status)
{
	struct ctl_conn *c = req->conn;
	if (req->state == CTL_REQ_DONE)
		return;
	req->state = CTL_REQ_DONE;
	if (req->gone || !sp_stream_is_open(&c->st))
		return;
	if (req->out.oom) {
		sp_buf_free(&req->out);
		sp_buf_printf(&req->out, "reply too large\n");
		status = SP_ELIMIT;
	}
	if (ctl_record(c, SP_CTL_REC_END, status, req->out.data, req->out.len) == 0)
		sp_stream_end(&c->st, SP_STREAM_LOCAL);
}

/* Answer at once with a message of our own (refusals before any handler runs). */
static void ctl_refuse(struct ctl_conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ctl_refuse(struct ctl_conn *c, int status, const char *fmt, ...)
{
	char text[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->req.state = CTL_REQ_DONE;
	if (ctl_record(c, SP_CTL_REC_END, status, text, strlen(text)) == 0)
		sp_stream_end(&c->st, SP_STREAM_LOCAL);
}

/* The request ends without a finish: the plane hears of it and drops req. */
static void ctl_req_cancel(struct sp_ctl_req *req)
{
	if (req->state == CTL_REQ_RUNNING) {
		req->gone = true;	/* the handler is on the stack: cancel after it returns */
		return;
	}
	if (req->state != CTL_REQ_DEFERRED)
		return;
	req->state = CTL_REQ_DONE;
	if (req->cancel)
		req->cancel(req, req->cancel_arg);
}

static bool ctl_peer_allowed(struct ctl_conn *c)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (uv_fileno((uv_handle_t *)sp_stream_handle(&c->st), &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	sp_warn("control socket: refused uid %u (pid %d)", (unsigned)cred.uid, (int)cred.pid);
	return false;
}


static void ctl_dispatch(struct ctl_conn *c, const uint8_t *frame, size_t len)
{
	struct sp_ctl_req *req = &c->req;

	if (!ctl_peer_allowed(c)) {
		ctl_refuse(c, -EPERM, "permission denied\n");
		return;
	}
	/* A copy that lives as long as the request: a deferred handler keeps argv. */
	req->body = malloc(len - 4 + 1);
	if (req->body == NULL) {
		ctl_refuse(c, -ENOMEM, "out of memory\n");
		return;
	}
	memcpy(req->body, frame + 4, len - 4);
	req->argc = sp_ctl_parse_request(req->body, len - 4, req->argv);
	if (req->argc < 0) {
		ctl_refuse(c, req->argc, "malformed request\n");
		return;
	}
	const struct ctl_handler *h = NULL;
	for (size_t i = 0; i < c->ctl->n_handlers && h == NULL; i++)
		if (strcmp(c->ctl->handlers[i].word, req->argv[0]) == 0)
			h = &c->ctl->handlers[i];
	if (h == NULL) {
		ctl_refuse(c, SP_ENOTFOUND, "unknown command '%.64s'\n", req->argv[0]);
		return;
	}
	req->state = CTL_REQ_RUNNING;
	int rc = h->fn(req, h->arg, req->argc, req->argv, &req->out);
	if (rc != SP_CTL_LATER) {
		sp_ctl_req_finish(req, rc);
		return;
	}
	if (req->state != CTL_REQ_RUNNING)
		return;		/* finished during the call */
	req->state = CTL_REQ_DEFERRED;
	if (req->gone) {
		req->gone = false;
		ctl_req_cancel(req);
	}
}

/* ---- connections ---- */

static struct ctl_conn *conn_of(struct sp_stream *s)
{
	return container_of(s, struct ctl_conn, st);
}

/* One request: u32 length, then that many bytes; nothing may follow it. */
static int ctl_frame(struct sp_stream *s, const uint8_t *buf, size_t len)
{
	if (conn_of(s)->req.state != CTL_REQ_READING)
		return SP_EPROTO;
	if (len < 4)
		return 0;
	uint32_t n;
	memcpy(&n, buf, 4);
	n = ntohl(n);
	if (n == 0 || n > SP_CTL_REQ_MAX)
		return SP_ELIMIT;
	return len >= 4 + (size_t)n ? (int)(4 + n) : 0;
}

static void ctl_on_frame(struct sp_stream *s, const uint8_t *frame, size_t len)
{
	ctl_dispatch(conn_of(s), frame, len);
}

static void ctl_on_bad(struct sp_stream *s, int err, const uint8_t *buf, size_t len)
{
	struct ctl_conn *c = conn_of(s);
	if (c->req.state != CTL_REQ_READING || len < 4)
		return;
	uint32_t n;
	memcpy(&n, buf, 4);
	ctl_refuse(c, SP_ELIMIT, "request size %u out of range\n", ntohl(n));
}

/* A deferred request waits as long as its plane needs; a silent client does not. */
static bool ctl_on_idle(struct sp_stream *s)
{
	return conn_of(s)->req.state == CTL_REQ_DEFERRED;
}

static void ctl_on_close(struct sp_stream *s, enum sp_stream_why why)
{
	struct ctl_conn *c = conn_of(s);
	if (why == SP_STREAM_IDLE || why == SP_STREAM_STALLED)
		sp_warn("control socket: client %s in %d ms; closing",
			why == SP_STREAM_STALLED ? "did not take its reply"
						 : "sent no complete request",
			CTL_CONN_TIMEOUT_MS);
	ctl_req_cancel(&c->req);
}

static void ctl_on_closed(struct sp_stream *s)
{
	struct ctl_conn *c = conn_of(s);
	struct sp_ctl *ctl = c->ctl;
	for (struct ctl_conn **pp = &ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctl->n_conns--;
	free(c->req.body);
	sp_buf_free(&c->req.out);
	free(c);
	ctl_maybe_free(ctl);
}

static const struct sp_stream_ops ctl_stream_ops = {
	.frame = ctl_frame,
	.on_frame = ctl_on_frame,
	.on_bad = ctl_on_bad,
	.on_idle = ctl_on_idle,
	.on_close = ctl_on_close,
	.on_closed = ctl_on_closed,
};

static void ctl_on_connection(uv_stream_t *server, int status)
{
	struct sp_ctl *ctl = server->data;
	if (status < 0 || ctl->stopping)
		return;
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	const struct sp_stream_conf conf = {
		.ops = &ctl_stream_ops,
		.rbuf_max = 4 + SP_CTL_REQ_MAX,
		.idle_ms = CTL_CONN_TIMEOUT_MS,
		.idle_per_frame = true,		/* the request must be complete in time */
		.stats = &ctl->stats,
	};
	if (sp_stream_init(&c->st, server->loop, SP_STREAM_PIPE, &conf, c) != 0) {
		free(c);
		return;
	}
	c->ctl = ctl;
	c->req.conn = c;
	c->next = ctl->conns;
	ctl->conns = c;
	ctl->n_conns++;
	if (sp_stream_accept(&c->st, server) != 0 || ctl->n_conns > CTL_CONN_MAX ||
	    sp_stream_start(&c->st) != 0)
		sp_stream_close(&c->st, SP_STREAM_LOCAL);
}

static void ctl_listener_closed(uv_handle_t *h)
{
	struct sp_ctl *ctl = h->data;
	ctl->listener_closed = true;
	ctl->stopping = true;
	ctl_maybe_free(ctl);
}

int sp_ctl_start(struct sp_node *node, const char *path, struct sp_ctl **out)
{
	struct sockaddr_un sa;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		sp_err("%s: control socket path too long", path);
		return -ENAMETOOLONG;
	}
	struct sp_ctl *ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL || (ctl->path = strdup(path)) == NULL) {
		free(ctl);
		return -ENOMEM;
	}
	ctl->node = node;
	uv_pipe_init(node->loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	/* A socket file left by a crashed daemon would make bind fail; a live one is ours too. */
	unlink(path);
	/* Create the socket file 0600 from the start, not chmod it afterwards. */
	mode_t old = umask(0177);
	int rc = uv_pipe_bind(&ctl->listener, path);
	umask(old);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&ctl->listener, 8, ctl_on_connection);
	if (rc != 0) {
		sp_err("%s: cannot listen on control socket: %s", path, uv_strerror(rc));
		uv_close((uv_handle_t *)&ctl->listener, ctl_listener_closed);
		return sp_from_uv(rc);
	}
	*out = ctl;
	return 0;
}

void sp_ctl_status(const struct sp_ctl *ctl, struct sp_status *st)
{
	if (ctl != NULL)
		sp_stream_stats_status(&ctl->stats, "control", st);
}

void sp_ctl_stop(struct sp_ctl *ctl)
{
	if (ctl == NULL)
		return;
	ctl->stopping = true;
	/* Closing runs each deferred request's cancel now, while its plane still runs. */
	for (struct ctl_conn *c = ctl->conns; c; c = c->next)
		sp_stream_close(&c->st, SP_STREAM_LOCAL);
	unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->listener, ctl_listener_closed);
}
