/*
 * cp_tls.c - control datagrams over TCP + TLS 1.3; see cp_tls.h.
 *
 * Data path.  In: TCP bytes -> the stream helper cuts TLS records
 * (tls_record_frame) -> tls_on_record() writes each record into the SSL's
 * read BIO -> SSL_read() plaintext -> tls_cut_frames() -> on_frame().
 * Out: cp_tls_send() -> `stage` (length + datagram, the frames of one loop
 * turn) -> SSL_write (one record per 16 KiB, not one per frame: a relayed
 * session sends thousands of frames a second) -> the write BIO ->
 * tls_flush() -> sp_stream_write(), at the next loop turn (the idle handle
 * `flusher`) so the frames of one turn make one TCP write.  Frames sent
 * before the handshake wait in `pend`.
 *
 * Timers: the stream's idle timer (control.tls-idle, also closes a peer that
 * stopped reading), and one per connection for the handshake deadline
 * (control.tls-handshake), stopped when the handshake is done.
 *
 * Teardown: the stream's on_close (once) unlinks the connection from its
 * server, reports CLOSED and closes the handshake timer; the memory goes
 * when the stream (tls_on_closed), the timer and the flusher
 * (tls_timer_closed) have all called back.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "control/cp_tls.h"
#include "core/log.h"
#include "core/stream.h"
#include "core/timer.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct sp_interval cp_iv_tls_handshake = { "control.tls-handshake", 10000,
	"a TCP peer that does not finish the TLS handshake gives its slot back" };
struct sp_interval cp_iv_tls_idle = { "control.tls-idle", 90000,
	"a TLS relay connection with no input is closed (a device registers every 25 s)" };

/* The certificate is not checked by anyone (cp_tls.h): a long life saves a renewal path. */
#define TLS_CERT_DAYS 3650
/*
 * After our close_notify, input is still read (and dropped) until the peer
 * closes, for at most this long: closing a socket with unread input makes
 * the kernel send a reset and drop what we had not yet sent, the very
 * frames a graceful close promises to deliver.
 */
#define TLS_LINGER_MS 2000
/* Encrypted bytes gathered before a write is made at once (a few TCP segments' worth). */
#define TLS_FLUSH_BYTES (64u * 1024u)
/* Frames gathered into one TLS record: TLS 1.3's largest plaintext record. */
#define TLS_STAGE_MAX 16384u
/* Our bytes per TLS record carrying one frame: header 5, content type 1, AEAD tag 16. */
#define TLS_RECORD_OVERHEAD 22u

enum tls_state { TLS_CONNECTING, TLS_HANDSHAKE, TLS_OPEN, TLS_CLOSED };

static const char *const state_names[] = { "connecting", "handshake", "open", "closed" };

struct cp_tls_server {
	uv_tcp_t tcp;
	uv_loop_t *loop;
	SSL_CTX *ctx;
	cp_tls_frame_fn on_frame;
	cp_tls_state_fn on_state;
	cp_tls_batch_fn on_batch;
	void *arg;
	struct cp_tls_conn *conns;	/* open ones, linked */
	unsigned nconns;
	struct cp_tls_stats st;
	bool closing;
};

struct cp_tls_conn {
	struct sp_stream st;
	uv_timer_t hs_timer;
	uv_idle_t flusher;		/* frames sent in one loop turn go out in one write */
	uv_connect_t creq;
	struct cp_tls_server *srv;	/* NULL: a client connection */
	struct cp_tls_conn *next, *prev;
	SSL_CTX *ctx;			/* a client's own */
	SSL *ssl;
	enum tls_state state;
	enum cp_tls_why why;
	bool quiet;			/* failed inside cp_tls_connect: no callbacks */
	bool reported;			/* CONNECTED was reported */
	bool detached;			/* unlinked and CLOSED reported (tls_detach) */
	bool stream_done;
	unsigned own_handles;		/* hs_timer and flusher, until closed */
	cp_tls_frame_fn on_frame;
	cp_tls_state_fn on_state;
	cp_tls_batch_fn on_batch;
	void *arg;
	void *data;
	uint8_t *pend;			/* framed plaintext waiting for the handshake */
	size_t pend_len, pend_cap;
	union sp_endpoint peer;		/* cp_tls_conn_peer(), once known (family 0: not yet) */
	size_t stage_len;		/* framed plaintext of this loop turn, not yet a record */
	uint8_t stage[TLS_STAGE_MAX];
	size_t plen;			/* plaintext bytes in pbuf */
	uint8_t pbuf[2 + CP_TLS_FRAME_MAX];
};

static void tls_close_why(struct cp_tls_conn *c, enum cp_tls_why why);

const char *cp_tls_why_name(enum cp_tls_why why)
{
	static const char *const names[CP_TLS_WHY_N] = {
		[CP_TLS_WHY_NONE] = "none", [CP_TLS_WHY_PEER] = "peer",
		[CP_TLS_WHY_IDLE] = "idle", [CP_TLS_WHY_STALLED] = "stalled",
		[CP_TLS_WHY_MALFORMED] = "malformed", [CP_TLS_WHY_OVERSIZE] = "oversize",
		[CP_TLS_WHY_HANDSHAKE] = "handshake", [CP_TLS_WHY_TLS] = "tls",
		[CP_TLS_WHY_CONNECT] = "connect", [CP_TLS_WHY_ERROR] = "error",
		[CP_TLS_WHY_LOCAL] = "local",
	};
	return (unsigned)why < CP_TLS_WHY_N ? names[why] : "?";
}

static void tls_enter(struct cp_tls_conn *c, enum tls_state to)
{
	sp_log(SP_LOG_DEBUG, "control: tls %s %s -> %s", c->srv ? "server" : "client",
	       state_names[c->state], state_names[to]);
	c->state = to;
}

/* Drop OpenSSL's error queue (it is per thread and would pile up); debug-log the first. */
static void tls_drop_errors(const char *what)
{
	unsigned long e = ERR_get_error();
	if (e != 0) {
		char buf[160];
		ERR_error_string_n(e, buf, sizeof(buf));
		sp_log(SP_LOG_DEBUG, "control: tls %s: %s", what, buf);
	}
	ERR_clear_error();
}

/* ---- the stream helper's side ---- */

/* Framing for the stream helper: one whole TLS record, or malformed. */
static int tls_record_frame(struct sp_stream *s, const uint8_t *buf, size_t len)
{
	(void)s;
	if (len < 5)
		return 0;
	/* Content types 20..24 (RFC 8446 5.1), legacy version 3.x, bounded length. */
	if (buf[0] < 20 || buf[0] > 24 || buf[1] != 3)
		return SP_EMALFORMED;
	size_t n = 5 + ((size_t)buf[3] << 8 | buf[4]);
	if (n > CP_TLS_RECORD_MAX)
		return SP_EMALFORMED;
	return len >= n ? (int)n : 0;
}

/* Hand everything OpenSSL wrote to the TCP stream.  0 or an error (c closes). */
static int tls_flush(struct cp_tls_conn *c)
{
	BIO *w = SSL_get_wbio(c->ssl);
	char *p;
	long n = BIO_get_mem_data(w, &p);

	if (n <= 0)
		return 0;
	int err = sp_stream_write(&c->st, p, (size_t)n);
	(void)BIO_reset(w);	/* a read-write memory BIO empties on reset */
	if (err < 0 && err != -EPIPE)
		tls_close_why(c, CP_TLS_WHY_ERROR);
	return err;
}

/* Cut the complete frames out of the plaintext buffer and deliver them; how many. */
static unsigned tls_cut_frames(struct cp_tls_conn *c)
{
	size_t off = 0;
	unsigned delivered = 0;

	while (c->state == TLS_OPEN && c->plen - off >= 2) {
		size_t n = (size_t)c->pbuf[off] << 8 | c->pbuf[off + 1];
		if (n == 0 || n > CP_TLS_FRAME_MAX) {
			tls_close_why(c, n == 0 ? CP_TLS_WHY_MALFORMED : CP_TLS_WHY_OVERSIZE);
			return delivered;
		}
		if (c->plen - off < 2 + n)
			break;
		if (c->srv)
			c->srv->st.frames_in++;
		c->on_frame(c, c->pbuf + off + 2, n, c->arg);
		delivered++;
		off += 2 + n;
	}
	if (off > 0 && c->state == TLS_OPEN) {
		memmove(c->pbuf, c->pbuf + off, c->plen - off);
		c->plen -= off;
	}
	return delivered;
}

/* Read the plaintext the SSL has, frame by frame. */
static void tls_read_plain(struct cp_tls_conn *c)
{
	unsigned delivered = 0;
	while (c->state == TLS_OPEN) {
		int n = SSL_read(c->ssl, c->pbuf + c->plen, (int)(sizeof(c->pbuf) - c->plen));
		if (n <= 0) {
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ)
				break;
			tls_drop_errors("read");
			tls_close_why(c, e == SSL_ERROR_ZERO_RETURN ? CP_TLS_WHY_PEER : CP_TLS_WHY_TLS);
			break;
		}
		c->plen += (size_t)n;
		delivered += tls_cut_frames(c);
	}
	if (delivered > 0 && c->on_batch)
		c->on_batch(c, c->arg);
}

/* Lingering after our close_notify: drop input until the peer's close_notify (or an error). */
static void tls_linger_read(struct cp_tls_conn *c)
{
	uint8_t scratch[4096];
	int n;

	while ((n = SSL_read(c->ssl, scratch, sizeof(scratch))) > 0)
		;
	if (SSL_get_error(c->ssl, n) != SSL_ERROR_WANT_READ) {
		ERR_clear_error();
		sp_stream_close(&c->st, SP_STREAM_LOCAL);
	}
}

static int tls_write_plain(struct cp_tls_conn *c, const uint8_t *buf, size_t len);

/* The staged frames become a record (and go out with the next flush). */
static int tls_stage_out(struct cp_tls_conn *c)
{
	size_t n = c->stage_len;
	c->stage_len = 0;
	if (c->state != TLS_OPEN)
		return n ? -EPIPE : 0;	/* closed meanwhile: the frames go with it */
	return tls_write_plain(c, c->stage, n);
}

static void tls_flusher_run(uv_idle_t *h)
{
	struct cp_tls_conn *c = h->data;
	(void)uv_idle_stop(h);
	if (tls_stage_out(c) < 0)
		return;
	(void)uv_idle_stop(h);	/* the record is written below, not a turn later */
	(void)tls_flush(c);
}

/*
 * Encrypt into the write BIO.  The TCP write waits for the next loop turn
 * (an idle handle, so the loop does not block first) unless TLS_FLUSH_BYTES
 * are waiting: the frames of one turn go out in one write, not one each.
 */
static int tls_write_plain(struct cp_tls_conn *c, const uint8_t *buf, size_t len)
{
	if (len == 0)
		return 0;
	int n = SSL_write(c->ssl, buf, (int)len);
	if (n <= 0 || (size_t)n != len) {
		tls_drop_errors("write");
		tls_close_why(c, CP_TLS_WHY_TLS);
		return SP_ECRYPTO;
	}
	if (BIO_ctrl_pending(SSL_get_wbio(c->ssl)) >= TLS_FLUSH_BYTES)
		return tls_flush(c);
	if (uv_idle_start(&c->flusher, tls_flusher_run) < 0)
		return tls_flush(c);
	return 0;
}

static void tls_handshake_done(struct cp_tls_conn *c)
{
	(void)uv_timer_stop(&c->hs_timer);
	tls_enter(c, TLS_OPEN);
	if (c->srv)
		c->srv->st.handshakes++;
	c->reported = true;
	if (c->on_state)
		c->on_state(c, CP_TLS_CONNECTED, CP_TLS_WHY_NONE, c->arg);
	if (c->state == TLS_OPEN && c->pend_len > 0) {
		int err = tls_write_plain(c, c->pend, c->pend_len);
		free(c->pend);
		c->pend = NULL;
		c->pend_len = c->pend_cap = 0;
		(void)err;	/* on an error c is closing already */
	}
}

static void tls_handshake_step(struct cp_tls_conn *c)
{
	int r = SSL_do_handshake(c->ssl);
	if (tls_flush(c) < 0)
		return;
	if (r == 1) {
		tls_handshake_done(c);
		return;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e != SSL_ERROR_WANT_READ) {
		tls_drop_errors("handshake");
		tls_close_why(c, CP_TLS_WHY_TLS);
	}
}

/* One TLS record arrived (the stream helper's on_frame). */
static void tls_on_record(struct sp_stream *s, const uint8_t *rec, size_t len)
{
	struct cp_tls_conn *c = container_of(s, struct cp_tls_conn, st);

	if (c->state == TLS_CONNECTING)
		return;
	if (BIO_write(SSL_get_rbio(c->ssl), rec, (int)len) != (int)len) {
		tls_close_why(c, CP_TLS_WHY_ERROR);
		return;
	}
	if (c->state == TLS_CLOSED) {
		tls_linger_read(c);
		return;
	}
	if (c->state == TLS_HANDSHAKE)
		tls_handshake_step(c);
	if (c->state == TLS_OPEN) {
		tls_read_plain(c);
		/* Reading may have made output (a KeyUpdate answer). */
		if (c->state == TLS_OPEN)
			(void)tls_flush(c);
	}
}

static void tls_on_bad(struct sp_stream *s, int err, const uint8_t *buf, size_t len)
{
	struct cp_tls_conn *c = container_of(s, struct cp_tls_conn, st);
	(void)buf;
	(void)len;
	c->why = err == SP_ELIMIT ? CP_TLS_WHY_OVERSIZE : CP_TLS_WHY_MALFORMED;
}

static enum cp_tls_why why_of_stream(enum sp_stream_why w)
{
	switch (w) {
	case SP_STREAM_PEER: return CP_TLS_WHY_PEER;
	case SP_STREAM_IDLE: return CP_TLS_WHY_IDLE;
	case SP_STREAM_STALLED: return CP_TLS_WHY_STALLED;
	case SP_STREAM_MALFORMED: return CP_TLS_WHY_MALFORMED;
	case SP_STREAM_OVERSIZE: return CP_TLS_WHY_OVERSIZE;
	case SP_STREAM_LOCAL: return CP_TLS_WHY_LOCAL;
	default: return CP_TLS_WHY_ERROR;
	}
}

static void tls_maybe_free(struct cp_tls_conn *c)
{
	if (!c->stream_done || c->own_handles > 0)
		return;
	SSL_free(c->ssl);	/* the session keys with it, cleared by OpenSSL */
	SSL_CTX_free(c->ctx);
	free(c->pend);
	free(c);
}

static void tls_timer_closed(uv_handle_t *h)
{
	struct cp_tls_conn *c = h->data;
	c->own_handles--;
	tls_maybe_free(c);
}

/*
 * c stops being usable (once): unlink it from its server, count why, report
 * CLOSED.  A server tells only of connections it reported; a client always.
 */
static void tls_detach(struct cp_tls_conn *c)
{
	struct cp_tls_server *srv = c->srv;

	if (c->detached)
		return;
	c->detached = true;
	if (c->state != TLS_CLOSED)
		tls_enter(c, TLS_CLOSED);
	if (srv) {
		if (c->prev)
			c->prev->next = c->next;
		else
			srv->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		srv->nconns--;
		srv->st.closed[c->why]++;
		c->srv = NULL;
	}
	if (!c->quiet && c->on_state && (c->reported || srv == NULL))
		c->on_state(c, CP_TLS_CLOSED, c->why, c->arg);
}

/* The stream is closing (once): detach, close the timer. */
static void tls_on_close(struct sp_stream *s, enum sp_stream_why w)
{
	struct cp_tls_conn *c = container_of(s, struct cp_tls_conn, st);

	if (c->why == CP_TLS_WHY_NONE)
		c->why = why_of_stream(w);
	uv_close((uv_handle_t *)&c->hs_timer, tls_timer_closed);
	uv_close((uv_handle_t *)&c->flusher, tls_timer_closed);
	tls_detach(c);
}

static void tls_on_closed(struct sp_stream *s)
{
	struct cp_tls_conn *c = container_of(s, struct cp_tls_conn, st);
	c->stream_done = true;
	tls_maybe_free(c);
}

static const struct sp_stream_ops tls_stream_ops = {
	.frame = tls_record_frame,
	.on_frame = tls_on_record,
	.on_bad = tls_on_bad,
	.on_close = tls_on_close,
	.on_closed = tls_on_closed,
};

/* Close now, for why (the first reason set wins). */
static void tls_close_why(struct cp_tls_conn *c, enum cp_tls_why why)
{
	if (c->why == CP_TLS_WHY_NONE)
		c->why = why;
	sp_stream_close(&c->st, why == CP_TLS_WHY_LOCAL ? SP_STREAM_LOCAL : SP_STREAM_ERROR);
}

static void tls_hs_timeout(uv_timer_t *t)
{
	struct cp_tls_conn *c = t->data;
	if (c->state == TLS_CONNECTING || c->state == TLS_HANDSHAKE)
		tls_close_why(c, CP_TLS_WHY_HANDSHAKE);
	else if (c->state == TLS_CLOSED)
		sp_stream_close(&c->st, SP_STREAM_LOCAL);	/* the linger ran out */
}

/* A connection with its stream and timer initialised, not yet started. */
static int tls_conn_new(uv_loop_t *loop, struct cp_tls_conn **out)
{
	struct sp_stream_conf conf = {
		.ops = &tls_stream_ops,
		.rbuf_initial = CP_TLS_RECORD_MAX,
		.rbuf_max = CP_TLS_RECORD_MAX,
		.pause_bytes = CP_TLS_QUEUE_MAX,
		.idle_ms = cp_iv_tls_idle.ms,
	};
	struct cp_tls_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	int err = sp_stream_init(&c->st, loop, SP_STREAM_TCP, &conf, c);
	if (err < 0) {
		free(c);
		return err;
	}
	(void)uv_timer_init(loop, &c->hs_timer);
	(void)uv_idle_init(loop, &c->flusher);
	c->hs_timer.data = c;
	c->flusher.data = c;
	c->own_handles = 2;
	*out = c;
	return 0;
}

/* Give c its SSL on memory BIOs.  0 or SP_ECRYPTO. */
static int tls_conn_ssl(struct cp_tls_conn *c, SSL_CTX *ctx, bool server)
{
	BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
	c->ssl = SSL_new(ctx);
	if (c->ssl == NULL || r == NULL || w == NULL) {
		BIO_free(r);
		BIO_free(w);
		tls_drop_errors("new");
		return SP_ECRYPTO;
	}
	SSL_set_bio(c->ssl, r, w);
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	return 0;
}

/* ---- server ---- */

/* A self-signed Ed25519 certificate and its key on ctx (both freed with ctx). */
static int tls_make_cert(SSL_CTX *ctx)
{
	int err = SP_ECRYPTO;
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *name;

	if (pkey == NULL || x == NULL)
		goto out;
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(uv_hrtime() & 0x7fffffff)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * TLS_CERT_DAYS) == NULL ||
	    X509_set_pubkey(x, pkey) != 1)
		goto out;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"signpost",
				       -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_sign(x, pkey, NULL) <= 0)
		goto out;
	if (SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_use_PrivateKey(ctx, pkey) != 1)
		goto out;
	err = 0;
out:
	if (err < 0)
		tls_drop_errors("certificate");
	X509_free(x);
	EVP_PKEY_free(pkey);	/* ctx keeps its reference; OpenSSL clears the key when it goes */
	return err;
}

static SSL_CTX *tls_ctx_new(bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Frames are datagrams: no resumption to keep state for, no tickets to send. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	(void)SSL_CTX_set_num_tickets(ctx, 0);
	/* The certificate is not what authenticates the peer (cp_tls.h). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static void tls_refused_closed(uv_handle_t *h)
{
	free(h);
}

static void tls_on_connection(uv_stream_t *l, int status)
{
	struct cp_tls_server *srv = l->data;
	struct cp_tls_conn *c;

	if (status < 0 || srv->closing)
		return;
	if (srv->nconns >= CP_TLS_CONNS_MAX) {
		/* Take it off the backlog and close it: a full server says so at once. */
		uv_tcp_t *t = malloc(sizeof(*t));
		if (t == NULL || uv_tcp_init(srv->loop, t) < 0) {
			free(t);
			return;
		}
		(void)uv_accept(l, (uv_stream_t *)t);
		uv_close((uv_handle_t *)t, tls_refused_closed);
		srv->st.refused++;
		return;
	}
	if (tls_conn_new(srv->loop, &c) < 0)
		return;
	c->srv = srv;
	c->on_frame = srv->on_frame;
	c->on_state = srv->on_state;
	c->on_batch = srv->on_batch;
	c->arg = srv->arg;
	c->state = TLS_HANDSHAKE;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	srv->st.accepted++;
	if (sp_stream_accept(&c->st, l) < 0 || tls_conn_ssl(c, srv->ctx, true) < 0 ||
	    sp_stream_start(&c->st) < 0 ||
	    sp_timer_start(&c->hs_timer, tls_hs_timeout, &cp_iv_tls_handshake, 0) < 0) {
		tls_close_why(c, CP_TLS_WHY_ERROR);
		return;
	}
	(void)uv_tcp_nodelay(&c->st.u.tcp, 1);
}

int cp_tls_listen(uv_loop_t *loop, const union sp_endpoint *bind, cp_tls_frame_fn on_frame,
		  void *arg, struct cp_tls_server **out)
{
	struct cp_tls_server *srv;
	int err;

	if (on_frame == NULL || sp_endpoint_len(bind) == 0)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->loop = loop;
	srv->on_frame = on_frame;
	srv->arg = arg;
	srv->ctx = tls_ctx_new(true);
	if (srv->ctx == NULL) {
		err = SP_ECRYPTO;
		goto free_srv;
	}
	err = tls_make_cert(srv->ctx);
	if (err < 0)
		goto free_ctx;
	err = uv_tcp_init(loop, &srv->tcp);
	if (err < 0)
		goto free_ctx;
	srv->tcp.data = srv;
	err = uv_tcp_bind(&srv->tcp, &bind->sa, 0);
	if (err == 0)
		err = uv_listen((uv_stream_t *)&srv->tcp, 128, tls_on_connection);
	if (err < 0) {
		/* The handle is initialised: it goes through close; quiet, nothing is open. */
		srv->closing = true;
		SSL_CTX_free(srv->ctx);
		srv->ctx = NULL;
		/* tcp is srv's first member: freeing the handle frees srv. */
		uv_close((uv_handle_t *)&srv->tcp, tls_refused_closed);
		return sp_from_uv(err);
	}
	*out = srv;
	return 0;
free_ctx:
	SSL_CTX_free(srv->ctx);
free_srv:
	free(srv);
	return err;
}

void cp_tls_conn_set_batch_fn(struct cp_tls_conn *c, cp_tls_batch_fn on_batch)
{
	c->on_batch = on_batch;
}

void cp_tls_server_set_batch_fn(struct cp_tls_server *srv, cp_tls_batch_fn on_batch)
{
	srv->on_batch = on_batch;
	for (struct cp_tls_conn *c = srv->conns; c; c = c->next)
		c->on_batch = on_batch;
}

void cp_tls_server_set_state_fn(struct cp_tls_server *srv, cp_tls_state_fn on_state)
{
	srv->on_state = on_state;
	for (struct cp_tls_conn *c = srv->conns; c; c = c->next)
		c->on_state = on_state;
}

int cp_tls_server_endpoint(struct cp_tls_server *srv, union sp_endpoint *out)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	int err = uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len);
	if (err < 0)
		return sp_from_uv(err);
	return sp_endpoint_from_sa(out, (struct sockaddr *)&ss, (socklen_t)len);
}

unsigned cp_tls_server_conns(const struct cp_tls_server *srv)
{
	return srv->nconns;
}

const struct cp_tls_stats *cp_tls_server_stats(const struct cp_tls_server *srv)
{
	return &srv->st;
}

static void tls_server_closed(uv_handle_t *h)
{
	struct cp_tls_server *srv = h->data;
	SSL_CTX_free(srv->ctx);	/* the key goes when the last SSL made from it goes */
	free(srv);
}

void cp_tls_server_close(struct cp_tls_server *srv)
{
	if (srv == NULL || srv->closing)
		return;
	srv->closing = true;
	while (srv->conns)
		cp_tls_close(srv->conns);	/* unlinks it */
	uv_close((uv_handle_t *)&srv->tcp, tls_server_closed);
}

/* ---- client ---- */

static void tls_on_connect(uv_connect_t *req, int status)
{
	struct cp_tls_conn *c = req->data;

	if (status == UV_ECANCELED || c->state != TLS_CONNECTING)
		return;		/* closed while connecting */
	if (status < 0) {
		tls_close_why(c, CP_TLS_WHY_CONNECT);
		return;
	}
	(void)uv_tcp_nodelay(&c->st.u.tcp, 1);
	tls_enter(c, TLS_HANDSHAKE);
	if (sp_stream_start(&c->st) < 0) {
		tls_close_why(c, CP_TLS_WHY_ERROR);
		return;
	}
	tls_handshake_step(c);	/* the ClientHello */
}

int cp_tls_connect(uv_loop_t *loop, const union sp_endpoint *to, cp_tls_frame_fn on_frame,
		   cp_tls_state_fn on_state, void *arg, struct cp_tls_conn **out)
{
	struct cp_tls_conn *c;
	int err;

	if (on_frame == NULL || sp_endpoint_len(to) == 0)
		return -EINVAL;
	err = tls_conn_new(loop, &c);
	if (err < 0)
		return err;
	c->on_frame = on_frame;
	c->on_state = on_state;
	c->arg = arg;
	c->state = TLS_CONNECTING;
	c->ctx = tls_ctx_new(false);
	err = c->ctx ? tls_conn_ssl(c, c->ctx, false) : SP_ECRYPTO;
	if (err == 0) {
		c->creq.data = c;
		err = sp_from_uv(uv_tcp_connect(&c->creq, &c->st.u.tcp, &to->sa, tls_on_connect));
	}
	/* The deadline covers TCP too: a SYN into a black hole ends as a handshake timeout. */
	if (err == 0)
		err = sp_timer_start(&c->hs_timer, tls_hs_timeout, &cp_iv_tls_handshake, 0);
	if (err < 0) {
		c->quiet = true;
		tls_close_why(c, CP_TLS_WHY_ERROR);
		return err;
	}
	*out = c;
	return 0;
}

/* ---- both ---- */

size_t cp_tls_queued(const struct cp_tls_conn *c)
{
	return sp_stream_queued(&c->st) + c->pend_len + c->stage_len +
	       BIO_ctrl_pending(SSL_get_wbio(c->ssl));
}

/* Queue framed plaintext until the handshake is done. */
static int tls_pend(struct cp_tls_conn *c, const uint8_t *hdr, size_t hlen, const void *buf,
		    size_t len)
{
	size_t need = c->pend_len + hlen + len;
	if (need > c->pend_cap) {
		size_t cap = c->pend_cap ? c->pend_cap : 4096;
		while (cap < need)
			cap *= 2;
		if (cap > CP_TLS_QUEUE_MAX)
			cap = CP_TLS_QUEUE_MAX;
		uint8_t *p = realloc(c->pend, cap);
		if (p == NULL)
			return -ENOMEM;
		c->pend = p;
		c->pend_cap = cap;
	}
	if (hlen > 0)
		memcpy(c->pend + c->pend_len, hdr, hlen);
	memcpy(c->pend + c->pend_len + hlen, buf, len);
	c->pend_len = need;
	return 0;
}

static int tls_send(struct cp_tls_conn *c, const uint8_t *hdr, size_t hlen, const void *buf,
		    size_t len)
{
	if (c->state == TLS_CLOSED || !sp_stream_is_open(&c->st))
		return -EPIPE;
	if (cp_tls_queued(c) + hlen + len + TLS_RECORD_OVERHEAD > CP_TLS_QUEUE_MAX)
		return SP_ELIMIT;
	if (c->state != TLS_OPEN)
		return tls_pend(c, hdr, hlen, buf, len);
	/* Staged: the frames of this loop turn become one record (or a few). */
	if (c->stage_len + hlen + len > sizeof(c->stage)) {
		int err = tls_stage_out(c);
		if (err < 0)
			return err;
	}
	if (hlen + len > sizeof(c->stage)) {
		int err = tls_write_plain(c, hdr, hlen);
		return err < 0 ? err : tls_write_plain(c, buf, len);
	}
	if (hlen > 0)
		memcpy(c->stage + c->stage_len, hdr, hlen);
	memcpy(c->stage + c->stage_len + hlen, buf, len);
	c->stage_len += hlen + len;
	if (uv_idle_start(&c->flusher, tls_flusher_run) < 0)
		return tls_stage_out(c);
	return 0;
}

int cp_tls_send(struct cp_tls_conn *c, const void *buf, size_t len)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (len == 0 || len > CP_TLS_FRAME_MAX)
		return -EMSGSIZE;
	int err = tls_send(c, hdr, 2, buf, len);
	if (err == 0 && c->srv)
		c->srv->st.frames_out++;
	return err;
}

int cp_tls__send_raw(struct cp_tls_conn *c, const void *buf, size_t len)
{
	return tls_send(c, NULL, 0, buf, len);
}

void cp_tls_close(struct cp_tls_conn *c)
{
	if (c->state == TLS_CLOSED)
		return;
	if (c->why == CP_TLS_WHY_NONE)
		c->why = CP_TLS_WHY_LOCAL;
	if (c->state == TLS_OPEN && sp_stream_is_open(&c->st)) {
		/*
		 * close_notify after what is queued; the peer closes on it, and
		 * its EOF closes the stream (TLS_LINGER_MS at most).
		 */
		if (tls_stage_out(c) < 0)
			return;
		(void)SSL_shutdown(c->ssl);
		tls_drop_errors("shutdown");
		if (tls_flush(c) < 0)
			return;
		tls_detach(c);
		if (uv_timer_start(&c->hs_timer, tls_hs_timeout, TLS_LINGER_MS, 0) < 0)
			sp_stream_end(&c->st, SP_STREAM_LOCAL);
		return;
	}
	sp_stream_close(&c->st, SP_STREAM_LOCAL);
}

void cp_tls_conn_set_data(struct cp_tls_conn *c, void *data)
{
	c->data = data;
}

void *cp_tls_conn_get_data(const struct cp_tls_conn *c)
{
	return c->data;
}

int cp_tls_conn_peer(struct cp_tls_conn *c, union sp_endpoint *out)
{
	/* Asked for every frame: learnt once (a connection's peer does not change). */
	if (c->peer.sa.sa_family == 0) {
		struct sockaddr_storage ss;
		int len = sizeof(ss);
		int err = uv_tcp_getpeername(&c->st.u.tcp, (struct sockaddr *)&ss, &len);
		if (err < 0)
			return sp_from_uv(err);
		err = sp_endpoint_from_sa(&c->peer, (struct sockaddr *)&ss, (socklen_t)len);
		if (err)
			return err;
	}
	*out = c->peer;
	return 0;
}
