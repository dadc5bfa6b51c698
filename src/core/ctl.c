/* ctl.c - the control socket, daemon side (loop code); see ctl.h. */
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
