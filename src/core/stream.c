/*
 * stream.c - one accepted stream connection: framing, bounded input,
 * back-pressure, idle timeout, close accounting; see stream.h.
 *
 * Timers: one per stream, its owner's idle period (conf.idle_ms), repeating,
 * re-armed on input (or on a complete frame).  What a tick decides is in
 * stream.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "node.h"
#include "stream.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Most DNS queries and control requests fit the first buffer. */
#define STREAM_RBUF_INITIAL 1024u
/* Defaults of the back-pressure bounds: a few socket buffers of answers, and small answers add up. */
#define STREAM_PAUSE_BYTES (256u * 1024u)
#define STREAM_PAUSE_WRITES 1024u

struct stream_write {
	uv_write_t req;
	struct sp_stream *s;
	size_t len;
	uint8_t data[];
};

static void wipe(const struct sp_stream *s, void *p, size_t n)
{
	if (s->conf.secret && p != NULL && n > 0)
		sodium_memzero(p, n);
}

static void stream_process(struct sp_stream *s);

/* Last phase: both handles closed and every write called back. */
static void stream_maybe_closed(struct sp_stream *s)
{
	if (s->state != SP_STREAM_CLOSING || s->handles > 0 || s->writes > 0)
		return;
	wipe(s, s->rbuf, s->rcap);
	free(s->rbuf);
	s->rbuf = NULL;
	s->conf.ops->on_closed(s);	/* may free s */
}

static void stream_handle_closed(uv_handle_t *h)
{
	struct sp_stream *s = h->data;
	s->handles--;
	stream_maybe_closed(s);
}

void sp_stream_close(struct sp_stream *s, enum sp_stream_why why)
{
	if (s->state == SP_STREAM_CLOSING)
		return;
	/* An ending stream keeps the reason it ended for, unless something went wrong since. */
	if (s->state == SP_STREAM_OPEN || why != SP_STREAM_LOCAL)
		s->why = why;
	s->state = SP_STREAM_CLOSING;
	if (s->conf.stats)
		s->conf.stats->closed[s->why]++;
	if (s->conf.ops->on_close)
		s->conf.ops->on_close(s, s->why);
	uv_close(&s->u.h, stream_handle_closed);
	uv_close((uv_handle_t *)&s->idle, stream_handle_closed);
}

void sp_stream_end(struct sp_stream *s, enum sp_stream_why why)
{
	if (s->state != SP_STREAM_OPEN)
		return;
	s->state = SP_STREAM_ENDING;
	s->why = why;
	if (s->reading) {
		(void)uv_read_stop(&s->u.s);
		s->reading = false;
	}
	if (s->writes == 0)
		sp_stream_close(s, why);
}

size_t sp_stream_queued(const struct sp_stream *s)
{
	return uv_stream_get_write_queue_size(&s->u.s);
}

/* Is the output behind by 1/div of either bound? */
static bool stream_backlogged(const struct sp_stream *s, unsigned div)
{
	return s->writes >= s->conf.pause_writes / div ||
	       sp_stream_queued(s) >= s->conf.pause_bytes / div;
}

static enum sp_stream_why why_of_error(int err)
{
	return err == UV_EOF || err == UV_ECONNRESET || err == UV_EPIPE ? SP_STREAM_PEER
									: SP_STREAM_ERROR;
}

static void stream_written(uv_write_t *req, int status)
{
	struct stream_write *w = container_of(req, struct stream_write, req);
	struct sp_stream *s = w->s;

	wipe(s, w->data, w->len);
	free(w);
	s->writes--;
	if (s->state == SP_STREAM_CLOSING) {
		stream_maybe_closed(s);
		return;
	}
	if (status < 0) {
		sp_stream_close(s, why_of_error(status));
		return;
	}
	if (s->state == SP_STREAM_ENDING) {
		if (s->writes == 0)
			sp_stream_close(s, s->why);
		return;
	}
	/* The peer reads again: handle what is buffered and read on. */
	if (s->paused && !s->held && !stream_backlogged(s, 2)) {
		s->paused = false;
		stream_process(s);
	}
}

int sp_stream_writev(struct sp_stream *s, const uv_buf_t *bufs, unsigned n)
{
	size_t len = 0;

	if (s->state != SP_STREAM_OPEN)
		return -EPIPE;
	for (unsigned i = 0; i < n; i++)
		len += bufs[i].len;
	if (len > UINT_MAX)
		return SP_ELIMIT;
	struct stream_write *w = malloc(sizeof(*w) + len);
	if (w == NULL) {
		sp_stream_close(s, SP_STREAM_ERROR);
		return -ENOMEM;
	}
	w->s = s;
	w->len = len;
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		if (bufs[i].len > 0)
			memcpy(w->data + off, bufs[i].base, bufs[i].len);
		off += bufs[i].len;
	}
	uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
	int err = uv_write(&w->req, &s->u.s, &b, 1, stream_written);
	if (err < 0) {
		wipe(s, w->data, len);
		free(w);
		sp_stream_close(s, why_of_error(err));
		return sp_from_uv(err);
	}
	s->writes++;
	return 0;
}

int sp_stream_write(struct sp_stream *s, const void *data, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	if (len > UINT_MAX)
		return SP_ELIMIT;
	return sp_stream_writev(s, &b, 1);
}

/* Input (or a frame) arrived: the idle period starts again. */
static void stream_active(struct sp_stream *s)
{
	s->idle_wq = SIZE_MAX;
	if (s->conf.idle_ms > 0)
		(void)uv_timer_again(&s->idle);
}

static void stream_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct sp_stream *s = h->data;

	(void)hint;
	if (s->rbuf == NULL) {
		s->rbuf = malloc(s->conf.rbuf_initial);
		s->rcap = s->rbuf ? s->conf.rbuf_initial : 0;
	} else if (s->rlen == s->rcap && s->rcap < s->conf.rbuf_max) {
		/* Grow for the frame being read, never past the bound. */
		size_t cap = s->rcap * 2 < s->conf.rbuf_max ? s->rcap * 2 : s->conf.rbuf_max;
		uint8_t *nb;
		if (s->conf.secret) {
			/* realloc would leave a copy of the old bytes behind. */
			nb = malloc(cap);
			if (nb != NULL) {
				memcpy(nb, s->rbuf, s->rlen);
				wipe(s, s->rbuf, s->rcap);
				free(s->rbuf);
			}
		} else {
			nb = realloc(s->rbuf, cap);
		}
		if (nb != NULL) {
			s->rbuf = nb;
			s->rcap = cap;
		}
	}
	if (s->rbuf == NULL || s->rlen >= s->rcap) {
		*buf = uv_buf_init(NULL, 0);	/* libuv reports UV_ENOBUFS: we close */
		return;
	}
	*buf = uv_buf_init((char *)s->rbuf + s->rlen, (unsigned)(s->rcap - s->rlen));
}

static void stream_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
	struct sp_stream *s = st->data;

	(void)buf;
	if (n < 0) {
		sp_stream_close(s, n == UV_ENOBUFS ? SP_STREAM_ERROR : why_of_error((int)n));
		return;
	}
	if (n == 0 || s->state != SP_STREAM_OPEN)
		return;
	s->rlen += (size_t)n;
	s->last_active = uv_now(s->u.h.loop);
	if (!s->conf.idle_per_frame)
		stream_active(s);
	stream_process(s);
}

/* Handle every complete frame buffered, unless the peer reads its output too slowly. */
static void stream_process(struct sp_stream *s)
{
	size_t off = 0;
	bool need_more = false;

	if (s->processing)
		return;
	s->processing = true;
	while (s->state == SP_STREAM_OPEN && off < s->rlen) {
		if (s->held || stream_backlogged(s, 1)) {
			if (!s->paused && s->conf.stats)
				s->conf.stats->paused++;
			s->paused = true;
			break;
		}
		int n = s->conf.ops->frame(s, s->rbuf + off, s->rlen - off);
		if (n == 0) {
			need_more = true;
			break;
		}
		if (n < 0 || (size_t)n > s->rlen - off) {
			if (s->conf.ops->on_bad)
				s->conf.ops->on_bad(s, n < 0 ? n : SP_EMALFORMED, s->rbuf + off,
						    s->rlen - off);
			sp_stream_end(s, SP_STREAM_MALFORMED);
			break;
		}
		if (s->conf.idle_per_frame)
			stream_active(s);
		s->conf.ops->on_frame(s, s->rbuf + off, (size_t)n);
		wipe(s, s->rbuf + off, (size_t)n);
		off += (size_t)n;
	}
	if (off > 0) {
		memmove(s->rbuf, s->rbuf + off, s->rlen - off);
		s->rlen -= off;
		wipe(s, s->rbuf + s->rlen, off);
	}
	if (s->state == SP_STREAM_OPEN && need_more && s->rlen >= s->conf.rbuf_max) {
		if (s->conf.ops->on_bad)
			s->conf.ops->on_bad(s, SP_ELIMIT, s->rbuf, s->rlen);
		sp_stream_end(s, SP_STREAM_OVERSIZE);
	}
	if (s->rlen == 0 && s->rcap > s->conf.rbuf_initial && s->state != SP_STREAM_CLOSING) {
		/* A big frame went through: give the memory back. */
		uint8_t *nb = realloc(s->rbuf, s->conf.rbuf_initial);
		if (nb != NULL) {
			s->rbuf = nb;
			s->rcap = s->conf.rbuf_initial;
		}
	}
	if (s->state == SP_STREAM_OPEN) {
		if (s->paused && s->reading) {
			(void)uv_read_stop(&s->u.s);
			s->reading = false;
		} else if (!s->paused && !s->reading) {
			if (uv_read_start(&s->u.s, stream_alloc, stream_read) < 0)
				sp_stream_close(s, SP_STREAM_ERROR);
			else
				s->reading = true;
		}
	}
	s->processing = false;
}

static void stream_idle_tick(uv_timer_t *t)
{
	struct sp_stream *s = container_of(t, struct sp_stream, idle);

	if (s->state == SP_STREAM_CLOSING)
		return;
	/* Output still draining to the peer is not idle, as long as it drains. */
	size_t wq = sp_stream_queued(s);
	if (wq > 0 && wq < s->idle_wq) {
		s->idle_wq = wq;
		return;
	}
	if (wq > 0) {
		sp_stream_close(s, SP_STREAM_STALLED);
		return;
	}
	if (s->state == SP_STREAM_ENDING)
		return;		/* written; the last callbacks are on their way */
	if (s->conf.ops->on_idle && s->conf.ops->on_idle(s))
		return;
	sp_stream_close(s, SP_STREAM_IDLE);
}

int sp_stream_init(struct sp_stream *s, uv_loop_t *loop, enum sp_stream_kind kind,
		   const struct sp_stream_conf *conf, void *arg)
{
	const struct sp_stream_ops *ops = conf->ops;

	if (ops == NULL || ops->frame == NULL || ops->on_frame == NULL || ops->on_closed == NULL ||
	    conf->rbuf_max == 0 || conf->rbuf_max > INT_MAX)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->conf = *conf;
	if (s->conf.rbuf_initial == 0)
		s->conf.rbuf_initial = STREAM_RBUF_INITIAL;
	if (s->conf.rbuf_initial > s->conf.rbuf_max)
		s->conf.rbuf_initial = s->conf.rbuf_max;
	if (s->conf.pause_bytes == 0)
		s->conf.pause_bytes = STREAM_PAUSE_BYTES;
	if (s->conf.pause_writes == 0)
		s->conf.pause_writes = STREAM_PAUSE_WRITES;
	int err = kind == SP_STREAM_TCP ? uv_tcp_init(loop, &s->u.tcp)
					: uv_pipe_init(loop, &s->u.pipe, 0);
	if (err < 0)
		return sp_from_uv(err);
	(void)uv_timer_init(loop, &s->idle);
	s->u.h.data = s;
	s->idle.data = s;
	s->handles = 2;
	s->arg = arg;
	s->idle_wq = SIZE_MAX;
	s->last_active = uv_now(loop);
	s->state = SP_STREAM_OPEN;
	return 0;
}

int sp_stream_accept(struct sp_stream *s, uv_stream_t *listener)
{
	return sp_from_uv(uv_accept(listener, &s->u.s));
}

int sp_stream_start(struct sp_stream *s)
{
	int err;

	if (s->state != SP_STREAM_OPEN)
		return SP_ESTATE;
	s->last_active = uv_now(s->u.h.loop);
	if (s->conf.idle_ms > 0) {
		err = uv_timer_start(&s->idle, stream_idle_tick, s->conf.idle_ms, s->conf.idle_ms);
		if (err < 0)
			return sp_from_uv(err);
	}
	err = uv_read_start(&s->u.s, stream_alloc, stream_read);
	if (err < 0)
		return sp_from_uv(err);
	s->reading = true;
	return 0;
}

void sp_stream_hold(struct sp_stream *s, bool hold)
{
	s->held = hold;
	if (hold) {
		/* Frames wait and reading stops (now, or when the frame loop returns). */
		s->paused = true;
		stream_process(s);
	} else if (s->paused && !stream_backlogged(s, 2)) {
		s->paused = false;
		stream_process(s);
	}
}

int sp_stream_frame_u16(struct sp_stream *s, const uint8_t *buf, size_t len)
{
	(void)s;
	if (len < 2)
		return 0;
	size_t n = 2 + ((size_t)buf[0] << 8 | buf[1]);
	return len >= n ? (int)n : 0;
}

const char *sp_stream_why_name(enum sp_stream_why why)
{
	static const char *const names[SP_STREAM_WHY_N] = {
		[SP_STREAM_PEER] = "peer", [SP_STREAM_IDLE] = "idle",
		[SP_STREAM_STALLED] = "stalled", [SP_STREAM_MALFORMED] = "malformed",
		[SP_STREAM_OVERSIZE] = "oversize", [SP_STREAM_ERROR] = "error",
		[SP_STREAM_LOCAL] = "local",
	};
	return (unsigned)why < SP_STREAM_WHY_N ? names[why] : "?";
}

void sp_stream_stats_status(const struct sp_stream_stats *stats, const char *prefix,
			    struct sp_status *st)
{
	char key[64];

	for (int i = 0; i < SP_STREAM_WHY_N; i++) {
		if (stats->closed[i] == 0)
			continue;
		snprintf(key, sizeof(key), "%s-closed-%s", prefix, sp_stream_why_name(i));
		sp_status_add(st, key, "%llu", (unsigned long long)stats->closed[i]);
	}
	if (stats->paused > 0) {
		snprintf(key, sizeof(key), "%s-paused", prefix);
		sp_status_add(st, key, "%llu", (unsigned long long)stats->paused);
	}
}
