/*
 * uapi_server.c - the WireGuard cross-platform API on
 * /var/run/wireguard/IFNAME.sock (libuv pipe server), so that wg(8) shows
 * and configures the device as it does wireguard-go's.  The text protocol is
 * the pure uapi.c; this file owns the sockets, uapi_apply.c applies a
 * parsed set request to the device and builds the get reply.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/uapi.h"

#define UAPI_DIR "/var/run/wireguard"
#define UAPI_MAX_CONNS 16

struct uapi_conn {
	uv_pipe_t pipe;
	struct tun_uapi_server *srv;
	struct uapi_conn *next;
	char *buf;
	size_t len, cap;
	bool closing;
};

struct tun_uapi_server {
	struct tun_device *dev;
	uv_pipe_t listener;
	char path[108];
	struct uapi_conn *conns;
	unsigned n_conns;
	unsigned open_handles;
	bool stopping;
};

struct write_req {
	uv_write_t req;
	char *data;
};

static void server_release(struct tun_uapi_server *srv)
{
	if (--srv->open_handles > 0)
		return;
	struct tun_device *dev = srv->dev;
	free(srv);
	if (--dev->open_handles == 0 && dev->on_closed)
		dev->on_closed(dev);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct uapi_conn *c = h->data;
	struct tun_uapi_server *srv = c->srv;
	struct uapi_conn **pp = &srv->conns;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	srv->n_conns--;
	if (c->buf) {
		sodium_memzero(c->buf, c->cap);	/* may hold a private key */
		free(c->buf);
	}
	free(c);
	server_release(srv);
}

static void conn_close(struct uapi_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	(void)status;
	sodium_memzero(w->data, strlen(w->data));	/* get replies carry the private key */
	free(w->data);
	free(w);
}

static void conn_write(struct uapi_conn *c, char *data, size_t len)
{
	struct write_req *w = malloc(sizeof(*w));
	if (!w) {
		free(data);
		conn_close(c);
		return;
	}
	w->data = data;
	uv_buf_t b = uv_buf_init(data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) != 0) {
		free(data);
		free(w);
		conn_close(c);
	}
}

static void write_errno(struct uapi_conn *c, int err)
{
	char *out = malloc(32);
	if (!out) {
		conn_close(c);
		return;
	}
	int n = tun_uapi_write_errno(err, out, 32);
	if (n < 0) {
		free(out);
		conn_close(c);
		return;
	}
	conn_write(c, out, (size_t)n);
}

/* ---- get and set: the text is uapi_apply.c's ---- */

static void do_get(struct uapi_conn *c)
{
	char *out = NULL;
	size_t len = 0;
	int rc = tun__uapi_get(c->srv->dev, &out, &len);
	if (rc == 0)
		conn_write(c, out, len);
	else
		write_errno(c, rc);
}

static void do_set(struct uapi_conn *c, size_t n)
{
	write_errno(c, tun__uapi_set(c->srv->dev, c->buf, n));
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct uapi_conn *c = h->data;
	(void)suggested;
	if (c->cap - c->len < 4096 && c->cap < TUN_UAPI_MAX_REQUEST + 4096) {
		size_t ncap = c->cap ? c->cap * 2 : 8192;
		char *nb = malloc(ncap);
		if (nb) {
			if (c->buf) {
				memcpy(nb, c->buf, c->len);
				sodium_memzero(c->buf, c->cap);
				free(c->buf);
			}
			c->buf = nb;
			c->cap = ncap;
		}
	}
	*b = uv_buf_init(c->buf ? c->buf + c->len : NULL, (unsigned)(c->buf ? c->cap - c->len : 0));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct uapi_conn *c = st->data;
	(void)b;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	/* Bounded: each round consumes one whole request. */
	while (!c->closing && c->len > 0) {
		enum tun_uapi_op op;
		int n = tun_uapi_frame(c->buf, c->len, &op);
		if (n == 0) {
			if (c->len >= c->cap)
				conn_close(c);
			return;
		}
		if (n < 0) {
			if (n != -EPROTO)
				write_errno(c, n);
			uv_read_stop(st);
			conn_close(c);
			return;
		}
		if (op == TUN_UAPI_GET)
			do_get(c);
		else
			do_set(c, (size_t)n);
		sodium_memzero(c->buf, (size_t)n);
		memmove(c->buf, c->buf + n, c->len - (size_t)n);
		c->len -= (size_t)n;
	}
}

static void on_connection(uv_stream_t *listener, int status)
{
	struct tun_uapi_server *srv = listener->data;
	if (status < 0 || srv->stopping)
		return;
	struct uapi_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	uv_pipe_init(listener->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = srv->conns;
	srv->conns = c;
	srv->n_conns++;
	srv->open_handles++;
	if (uv_accept(listener, (uv_stream_t *)&c->pipe) != 0 || srv->n_conns > UAPI_MAX_CONNS ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		conn_close(c);
}

static void on_listener_closed(uv_handle_t *h)
{
	server_release(h->data);
}

int tun_uapi_server_start(struct tun_device *dev)
{
	struct tun_uapi_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->dev = dev;
	snprintf(srv->path, sizeof(srv->path), UAPI_DIR "/%s.sock", dev->ifname);
	if (mkdir(UAPI_DIR, 0755) != 0 && errno != EEXIST) {
		int e = -errno;
		free(srv);
		return e;
	}
	(void)unlink(srv->path);
	int rc = uv_pipe_init(dev->loop, &srv->listener, 0);
	if (rc) {
		free(srv);
		return sp_from_uv(rc);
	}
	srv->listener.data = srv;
	srv->open_handles = 1;
	dev->open_handles++;
	dev->uapi = srv;
	mode_t old = umask(0077);
	rc = uv_pipe_bind(&srv->listener, srv->path);
	umask(old);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->listener, 16, on_connection);
	if (rc) {
		sp_err("tunnel: cannot serve %s: %s", srv->path, uv_strerror(rc));
		tun_uapi_server_stop(dev);
		return sp_from_uv(rc);
	}
	(void)chmod(srv->path, 0600);
	return 0;
}

void tun_uapi_server_stop(struct tun_device *dev)
{
	struct tun_uapi_server *srv = dev->uapi;
	if (!srv)
		return;
	dev->uapi = NULL;
	srv->stopping = true;
	(void)unlink(srv->path);
	for (struct uapi_conn *c = srv->conns; c; c = c->next)
		conn_close(c);
	uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
}
