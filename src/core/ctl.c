/* ctl.c - the control socket, daemon and client sides; see ctl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
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

/* A CLI sends its request at once; a client that dawdles longer is dropped. */
#define CTL_CONN_TIMEOUT_MS 5000
/* The CLI is one person at a terminal; a few connections at once are plenty. */
#define CTL_CONN_MAX 16
#define CTL_HANDLERS_MAX 32

struct ctl_handler {
	char word[32];
	sp_ctl_fn fn;
	void *arg;
};

struct ctl_conn {
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wreq;
	uint8_t head[8];	/* reply status and length, written before the text */
	struct sp_ctl *ctl;
	struct ctl_conn *next;
	uint8_t *req;
	size_t req_len;		/* bytes received so far */
	struct sp_buf reply;
	int closing;		/* handles still to close */
	bool answered;
};

struct sp_ctl {
	struct sp_node *node;
	uv_pipe_t listener;
	char *path;
	struct ctl_conn *conns;
	unsigned n_conns;
	struct ctl_handler handlers[CTL_HANDLERS_MAX];
	size_t n_handlers;
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
	if (ctl == NULL || strlen(word) >= sizeof(ctl->handlers[0].word))
		return -EINVAL;
	for (size_t i = 0; i < ctl->n_handlers; i++)
		if (strcmp(ctl->handlers[i].word, word) == 0) {
			ctl->handlers[i].fn = fn;
			ctl->handlers[i].arg = arg;
			return 0;
		}
	if (ctl->n_handlers == CTL_HANDLERS_MAX)
		return SP_ELIMIT;
	struct ctl_handler *h = &ctl->handlers[ctl->n_handlers++];
	strcpy(h->word, word);
	h->fn = fn;
	h->arg = arg;
	return 0;
}

static void ctl_conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	if (--c->closing > 0)
		return;
	struct sp_ctl *ctl = c->ctl;
	for (struct ctl_conn **pp = &ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctl->n_conns--;
	free(c->req);
	sp_buf_free(&c->reply);
	free(c);
	ctl_maybe_free(ctl);
}

static void ctl_conn_close(struct ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = 2;
	uv_close((uv_handle_t *)&c->pipe, ctl_conn_closed);
	uv_close((uv_handle_t *)&c->timer, ctl_conn_closed);
}

static void ctl_timeout(uv_timer_t *t)
{
	struct ctl_conn *c = t->data;
	sp_warn("control socket: client %s in %d ms; closing",
		c->answered ? "did not take its reply" : "sent no complete request", CTL_CONN_TIMEOUT_MS);
	ctl_conn_close(c);
}

static void ctl_written(uv_write_t *w, int status)
{
	ctl_conn_close(w->data);
}

static void ctl_reply(struct ctl_conn *c, int status)
{
	if (c->reply.oom) {
		sp_buf_free(&c->reply);
		sp_buf_printf(&c->reply, "reply too large\n");
		status = SP_ELIMIT;
	}
	uint32_t st = htonl((uint32_t)status), len = htonl((uint32_t)c->reply.len);
	memcpy(c->head, &st, 4);
	memcpy(c->head + 4, &len, 4);
	/* Both buffers live in c until its close callback: uv_write only copies the array. */
	uv_buf_t bufs[2] = { uv_buf_init((char *)c->head, sizeof(c->head)),
			     uv_buf_init(c->reply.data ? c->reply.data : "", (unsigned)c->reply.len) };
	c->answered = true;
	c->wreq.data = c;
	uv_read_stop((uv_stream_t *)&c->pipe);
	/* A client that does not read its reply is dropped as one that does not ask. */
	uv_timer_start(&c->timer, ctl_timeout, CTL_CONN_TIMEOUT_MS, 0);
	if (uv_write(&c->wreq, (uv_stream_t *)&c->pipe, bufs, 2, ctl_written) != 0)
		ctl_conn_close(c);
}

static bool ctl_peer_allowed(struct ctl_conn *c)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	sp_warn("control socket: refused uid %u (pid %d)", (unsigned)cred.uid, (int)cred.pid);
	return false;
}

int sp_ctl_parse_request(char *body, size_t len, char *argv[SP_CTL_ARGS_MAX + 1])
{
	int argc = 0;
	size_t off = 0;
	while (off < len) {
		char *end = memchr(body + off, '\0', len - off);
		if (end == NULL || argc == SP_CTL_ARGS_MAX)
			return SP_EMALFORMED;
		argv[argc++] = body + off;
		off = (size_t)(end - body) + 1;
	}
	argv[argc] = NULL;
	return argc > 0 ? argc : SP_EMALFORMED;
}

static void ctl_dispatch(struct ctl_conn *c)
{
	char *argv[SP_CTL_ARGS_MAX + 1];

	if (!ctl_peer_allowed(c)) {
		sp_buf_printf(&c->reply, "permission denied\n");
		ctl_reply(c, -EPERM);
		return;
	}
	int argc = sp_ctl_parse_request((char *)c->req + 4, c->req_len - 4, argv);
	if (argc < 0) {
		sp_buf_printf(&c->reply, "malformed request\n");
		ctl_reply(c, argc);
		return;
	}
	for (size_t i = 0; i < c->ctl->n_handlers; i++) {
		struct ctl_handler *h = &c->ctl->handlers[i];
		if (strcmp(h->word, argv[0]) == 0) {
			int rc = h->fn(c->ctl->node, h->arg, argc, argv, &c->reply);
			ctl_reply(c, rc);
			return;
		}
	}
	sp_buf_printf(&c->reply, "unknown command '%s'\n", argv[0]);
	ctl_reply(c, SP_ENOTFOUND);
}

static void ctl_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_conn *c = h->data;
	size_t want = 4;
	if (c->req_len >= 4) {
		uint32_t n;
		memcpy(&n, c->req, 4);
		want = 4 + ntohl(n);
	}
	buf->base = (char *)c->req + c->req_len;
	buf->len = want > c->req_len ? want - c->req_len : 0;
}

static void ctl_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_conn *c = s->data;
	if (nread < 0 || c->answered) {
		ctl_conn_close(c);
		return;
	}
	c->req_len += (size_t)nread;
	if (c->req_len < 4)
		return;
	uint32_t n;
	memcpy(&n, c->req, 4);
	n = ntohl(n);
	if (n == 0 || n > SP_CTL_REQ_MAX) {
		sp_buf_printf(&c->reply, "request size %u out of range\n", n);
		ctl_reply(c, SP_ELIMIT);
		return;
	}
	if (c->req_len == 4 + (size_t)n)
		ctl_dispatch(c);
}

static void ctl_on_connection(uv_stream_t *server, int status)
{
	struct sp_ctl *ctl = server->data;
	if (status < 0 || ctl->stopping)
		return;
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (c)
		c->req = malloc(4 + SP_CTL_REQ_MAX);
	if (c == NULL || c->req == NULL) {
		free(c);
		return;
	}
	c->ctl = ctl;
	uv_pipe_init(server->loop, &c->pipe, 0);
	uv_timer_init(server->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	c->next = ctl->conns;
	ctl->conns = c;
	ctl->n_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 || ctl->n_conns > CTL_CONN_MAX) {
		ctl_conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, ctl_timeout, CTL_CONN_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&c->pipe, ctl_alloc, ctl_read);
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

void sp_ctl_stop(struct sp_ctl *ctl)
{
	if (ctl == NULL)
		return;
	ctl->stopping = true;
	for (struct ctl_conn *c = ctl->conns; c; c = c->next)
		ctl_conn_close(c);
	unlink(ctl->path);
	uv_close((uv_handle_t *)&ctl->listener, ctl_listener_closed);
}

/* Client side. */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move exactly len bytes in direction `out` before the deadline. */
static int io_full(int fd, void *buf, size_t len, bool out, int64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { fd, out ? POLLOUT : POLLIN, 0 };
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return pr == 0 ? -ETIMEDOUT : -errno;
		ssize_t n = out ? send(fd, (char *)buf + done, len - done, MSG_NOSIGNAL)
				: recv(fd, (char *)buf + done, len - done, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		done += (size_t)n;
	}
	return 0;
}

int sp_ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, int *status,
		char **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	size_t len = 0;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (argc == 0 || argc > SP_CTL_ARGS_MAX || len > SP_CTL_REQ_MAX)
		return -E2BIG;
	uint8_t *req = malloc(4 + len);
	if (req == NULL)
		return -ENOMEM;
	uint32_t n = htonl((uint32_t)len);
	memcpy(req, &n, 4);
	size_t off = 4;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(req + off, argv[i], l);
		off += l;
	}

	int64_t deadline = now_ms() + timeout_ms;
	int rc, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out_req;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out_fd;
	}
	rc = io_full(fd, req, 4 + len, true, deadline);
	if (rc)
		goto out_fd;
	uint8_t head[8];
	rc = io_full(fd, head, 8, false, deadline);
	if (rc)
		goto out_fd;
	uint32_t st, rlen;
	memcpy(&st, head, 4);
	memcpy(&rlen, head + 4, 4);
	rlen = ntohl(rlen);
	if (rlen > SP_CTL_REPLY_MAX) {
		rc = SP_EPROTO;
		goto out_fd;
	}
	char *text = malloc((size_t)rlen + 1);
	if (text == NULL) {
		rc = -ENOMEM;
		goto out_fd;
	}
	rc = io_full(fd, text, rlen, false, deadline);
	if (rc) {
		free(text);
		goto out_fd;
	}
	text[rlen] = '\0';
	*status = (int)ntohl(st);
	*reply = text;
out_fd:
	close(fd);
out_req:
	free(req);
	return rc;
}
