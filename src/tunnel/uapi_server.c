/*
 * uapi_server.c - the WireGuard cross-platform API on
 * /var/run/wireguard/IFNAME.sock (libuv pipe server), so that wg(8) shows
 * and configures the device as it does wireguard-go's.  The text protocol is
 * the pure uapi.c; this file owns the sockets and applies a parsed set
 * request to the device (a request that does not parse changes nothing).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "core/stream.h"
#include "tunnel/device.h"
#include "tunnel/uapi.h"

#define UAPI_DIR "/var/run/wireguard"
#define UAPI_MAX_CONNS 16
/* A client with replies queued that takes none of them for this long is dropped. */
#define UAPI_STALL_MS 10000

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* One wg(8) client; the shared stream helper frames, bounds and wipes its bytes. */
struct uapi_conn {
	struct sp_stream st;
	struct tun_uapi_server *srv;
	struct uapi_conn *next;
};

struct tun_uapi_server {
	struct tun_device *dev;
	uv_pipe_t listener;
	char path[108];
	struct uapi_conn *conns;
	unsigned n_conns;
	unsigned open_handles;
	struct sp_stream_stats closes;	/* connections closed, by reason */
	bool stopping;
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

static struct uapi_conn *conn_of(struct sp_stream *st)
{
	return container_of(st, struct uapi_conn, st);
}

static void on_conn_closed(struct sp_stream *st)
{
	struct uapi_conn *c = conn_of(st);
	struct tun_uapi_server *srv = c->srv;
	struct uapi_conn **pp = &srv->conns;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	srv->n_conns--;
	free(c);
	server_release(srv);
}

static void conn_close(struct uapi_conn *c)
{
	sp_stream_close(&c->st, SP_STREAM_LOCAL);
}

/* Send data (get replies carry the private key: wiped here, the copy by the helper). */
static void conn_write(struct uapi_conn *c, char *data, size_t len)
{
	if (sp_stream_write(&c->st, data, len) != 0)
		conn_close(c);
	sodium_memzero(data, len);
	free(data);
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

/* ---- get and set: uapi_apply.c, over the device and the node's key custody ---- */

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

static void do_set(struct uapi_conn *c, const uint8_t *text, size_t n)
{
	write_errno(c, tun__uapi_set(c->srv->dev, (const char *)text, n));
}

static int uapi_frame(struct sp_stream *st, const uint8_t *buf, size_t len)
{
	enum tun_uapi_op op;
	(void)st;
	return tun_uapi_frame((const char *)buf, len, &op);
}

static void on_frame(struct sp_stream *st, const uint8_t *frame, size_t len)
{
	enum tun_uapi_op op;
	struct uapi_conn *c = conn_of(st);
	if (tun_uapi_frame((const char *)frame, len, &op) <= 0)
		return;		/* cannot happen: the same bytes framed a moment ago */
	if (op == TUN_UAPI_GET)
		do_get(c);
	else
		do_set(c, frame, len);
}

/* A request that does not frame gets its errno, except an unknown operation (wireguard-go). */
static void on_bad(struct sp_stream *st, int err, const uint8_t *buf, size_t len)
{
	(void)buf;
	(void)len;
	if (err != -EPROTO)
		write_errno(conn_of(st), err == SP_ELIMIT ? -E2BIG : err);
}

/* wg(8) may keep its connection; only one that does not read its replies is closed. */
static bool on_idle(struct sp_stream *st)
{
	(void)st;
	return true;
}

static const struct sp_stream_ops uapi_stream_ops = {
	.frame = uapi_frame,
	.on_frame = on_frame,
	.on_bad = on_bad,
	.on_idle = on_idle,
	.on_closed = on_conn_closed,
};

static void on_connection(uv_stream_t *listener, int status)
{
	struct tun_uapi_server *srv = listener->data;
	if (status < 0 || srv->stopping)
		return;
	struct uapi_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	const struct sp_stream_conf conf = {
		.ops = &uapi_stream_ops,
		.rbuf_initial = 8192,
		/* tun_uapi_frame refuses a request past TUN_UAPI_MAX_REQUEST (E2BIG) first. */
		.rbuf_max = TUN_UAPI_MAX_REQUEST + 4096,
		.idle_ms = UAPI_STALL_MS,
		.secret = true,		/* set requests and get replies carry private keys */
		.stats = &srv->closes,
	};
	if (sp_stream_init(&c->st, listener->loop, SP_STREAM_PIPE, &conf, c) != 0) {
		free(c);
		return;
	}
	c->srv = srv;
	c->next = srv->conns;
	srv->conns = c;
	srv->n_conns++;
	srv->open_handles++;
	if (sp_stream_accept(&c->st, listener) != 0 || srv->n_conns > UAPI_MAX_CONNS ||
	    sp_stream_start(&c->st) != 0)
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
