/*
 * stream.h - one accepted stream connection (TCP or Unix), shared by every
 * stream server of the node: the DNS server's TCP, the stub's TCP, the
 * control socket and the UAPI socket (loop code).
 *
 * The helper owns the uv handle, an idle timer, a bounded input buffer and
 * the write queue; its owner supplies the framing and what a frame means:
 *
 *   input:   bytes are read into a buffer that starts at rbuf_initial bytes
 *            and grows up to rbuf_max, never further: a peer cannot make us
 *            allocate without bound.  After each read, ops->frame() is asked
 *            about the bytes buffered: "need more" (0), "a frame of n bytes is
 *            complete" (n), or "malformed" (negative).  Complete frames go to
 *            ops->on_frame() in order; a full buffer with no complete frame
 *            is an oversize frame.  Either refusal calls ops->on_bad() (which
 *            may write a last answer), then the stream ends.
 *   output:  sp_stream_write() copies and queues.  While queued output is at
 *            or above pause_bytes or pause_writes, no further frame is handled
 *            and reading stops; both below half resumes (RFC 7766 6.2.3: a
 *            client that does not read its answers must not make us buffer
 *            without bound).
 *   idle:    every idle_ms without input (or without a complete frame, with
 *            idle_per_frame) the timer looks: output still draining keeps the
 *            connection; output that did not shrink over a period closes it
 *            (STALLED: the peer does not read); no output and ops->on_idle()
 *            absent or false closes it (IDLE).
 *
 * States: OPEN -> ENDING (sp_stream_end: no more input, close when the output
 * is written) -> CLOSING (uv_close issued) -> freed by the owner in
 * ops->on_closed().  Teardown is two-phase (STYLE.md): ops->on_close() runs
 * once when the stream stops being usable, so the owner unlinks it at once;
 * ops->on_closed() runs after the last handle and write completed, and only
 * then may the owner free the memory the stream is embedded in.
 *
 * Close accounting: every stream counts why it closed in the owner's
 * struct sp_stream_stats, so status can show it.
 */
#ifndef SP_STREAM_H
#define SP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"

struct sp_status;

/* Why a stream closed (counted in struct sp_stream_stats). */
enum sp_stream_why {
	SP_STREAM_PEER,		/* the peer closed or reset the connection */
	SP_STREAM_IDLE,		/* nothing received for the idle period */
	SP_STREAM_STALLED,	/* queued output did not shrink over an idle period */
	SP_STREAM_MALFORMED,	/* the framing refused the input */
	SP_STREAM_OVERSIZE,	/* a frame larger than the input bound */
	SP_STREAM_ERROR,	/* a read or write failed, or no memory */
	SP_STREAM_LOCAL,	/* the owner closed it (done, evicted, stopping) */
	SP_STREAM_WHY_N
};

/* Counters an owner keeps for all its streams; zero-initialise. */
struct sp_stream_stats {
	uint64_t closed[SP_STREAM_WHY_N];
	uint64_t paused;	/* times reading stopped for back-pressure */
};

enum sp_stream_state { SP_STREAM_OPEN, SP_STREAM_ENDING, SP_STREAM_CLOSING };

enum sp_stream_kind { SP_STREAM_TCP, SP_STREAM_PIPE };

struct sp_stream;

struct sp_stream_ops {
	/*
	 * Framing: look at the len bytes buffered (len > 0).  Return 0 for
	 * "need more", n (1..len) when the first n bytes are one complete
	 * frame, or a negative error when the bytes are malformed.  Pure.
	 */
	int (*frame)(struct sp_stream *s, const uint8_t *buf, size_t len);
	/* A complete frame (valid during the call only).  May write, end or close. */
	void (*on_frame)(struct sp_stream *s, const uint8_t *frame, size_t len);
	/*
	 * Optional: the input was refused (err is the framing's error, or
	 * SP_ELIMIT for an oversize frame); buf holds what is buffered.  May
	 * write a last answer; the stream then ends.
	 */
	void (*on_bad)(struct sp_stream *s, int err, const uint8_t *buf, size_t len);
	/* Optional: an idle period passed with no output queued; true keeps the stream. */
	bool (*on_idle)(struct sp_stream *s);
	/* Optional: the stream is going away (why); unlink it now.  Runs once. */
	void (*on_close)(struct sp_stream *s, enum sp_stream_why why);
	/* Every handle and write is done: the owner may free the stream's memory now. */
	void (*on_closed)(struct sp_stream *s);
};

/* Limits of one stream; copied at sp_stream_init(). */
struct sp_stream_conf {
	const struct sp_stream_ops *ops;
	size_t rbuf_initial;	/* first input buffer size (0: 1024) */
	size_t rbuf_max;	/* input bound, at least one whole frame; at most INT_MAX */
	size_t pause_bytes;	/* stop reading with this much output queued (0: 256 KiB) */
	unsigned pause_writes;	/* ... or this many writes (0: 1024) */
	uint64_t idle_ms;	/* idle period; 0: no timer */
	bool idle_per_frame;	/* only a complete frame counts as activity */
	bool secret;		/* input and output may hold keys: wipe them */
	struct sp_stream_stats *stats;	/* close counters, or NULL */
};

/* Embed in the owner's connection struct; get back with container_of. */
struct sp_stream {
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} u;
	uv_timer_t idle;
	struct sp_stream_conf conf;
	void *arg;		/* the owner's, untouched */
	uint8_t *rbuf;
	size_t rlen, rcap;
	size_t idle_wq;		/* output queued at the last idle tick; SIZE_MAX: none */
	unsigned writes;	/* writes queued, not yet completed */
	unsigned handles;	/* open handles */
	uint64_t last_active;	/* uv_now() of the last input */
	enum sp_stream_state state;
	enum sp_stream_why why;	/* set when ENDING or CLOSING */
	bool paused;		/* back-pressure: frames wait, reading stopped */
	bool held;		/* the owner is busy with earlier frames (sp_stream_hold) */
	bool reading;
	bool processing;	/* inside the frame loop: do not re-enter */
};

/*
 * Initialise s (handles included) for kind on loop.  From then on the stream
 * must be closed (sp_stream_close), and conf->ops->on_closed() runs once at
 * the end.  Returns 0 or an error, with nothing to close.
 */
int sp_stream_init(struct sp_stream *s, uv_loop_t *loop, enum sp_stream_kind kind,
		   const struct sp_stream_conf *conf, void *arg) SP_MUST_CHECK;

/* Accept a pending connection of listener into s (not yet reading). */
int sp_stream_accept(struct sp_stream *s, uv_stream_t *listener) SP_MUST_CHECK;

/* Start reading and the idle timer.  On an error the owner closes s. */
int sp_stream_start(struct sp_stream *s) SP_MUST_CHECK;

/* The uv stream, for getpeername, uv_fileno, nodelay. */
static inline uv_stream_t *sp_stream_handle(struct sp_stream *s) { return &s->u.s; }

/*
 * Queue the concatenation of bufs as one write (copied).  Returns 0,
 * -EPIPE if the stream no longer accepts output, or -ENOMEM / a libuv error
 * (the stream then closes with SP_STREAM_ERROR).
 */
int sp_stream_writev(struct sp_stream *s, const uv_buf_t *bufs, unsigned n) SP_MUST_CHECK;
int sp_stream_write(struct sp_stream *s, const void *data, size_t len) SP_MUST_CHECK;

/* Output queued and not yet handed to the kernel, in bytes. */
size_t sp_stream_queued(const struct sp_stream *s);

/* Is the stream still open for input and output? */
static inline bool sp_stream_is_open(const struct sp_stream *s)
{
	return s->state == SP_STREAM_OPEN;
}

/* No more input: close once the queued output is written (why is counted). */
void sp_stream_end(struct sp_stream *s, enum sp_stream_why why);

/* Close now; queued output is dropped.  Idempotent; an ending stream keeps its why. */
void sp_stream_close(struct sp_stream *s, enum sp_stream_why why);

/*
 * The owner's own back-pressure: while held, no frame is handled and
 * reading stops, as when output backs up (the store holds a connection
 * while its worker thread is behind).  Releasing handles what is buffered.
 */
void sp_stream_hold(struct sp_stream *s, bool hold);

/* Frame of a 2-byte big-endian length prefix (DNS over TCP, RFC 1035 4.2.2). */
int sp_stream_frame_u16(struct sp_stream *s, const uint8_t *buf, size_t len);

/* Short name of a close reason ("idle", "stalled", ...). */
const char *sp_stream_why_name(enum sp_stream_why why);

/* Add "PREFIX-closed-WHY" counters (non-zero ones) and "PREFIX-paused" to st. */
void sp_stream_stats_status(const struct sp_stream_stats *stats, const char *prefix,
			    struct sp_status *st);

#endif
