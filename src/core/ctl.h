/*
 * ctl.h - the control socket between the `signpost` CLI and signpostd, and
 * the control command API of the planes.
 *
 * A Unix stream socket, created mode 0600, whose peers must also pass an
 * SO_PEERCRED check (root or the daemon's own uid): that is how every control
 * message is authenticated.  One request per connection:
 *
 *   request: u32 length (network order), then argv as NUL-terminated strings
 *            (at most SP_CTL_REQ_MAX bytes, at most SP_CTL_ARGS_MAX words),
 *            complete within 5 s of connecting
 *   reply:   one or more records, each: u32 type, i32 status, u32 length, text
 *            (network order, text at most SP_CTL_REPLY_MAX bytes):
 *              SP_CTL_REC_CHUNK  part of the reply, sent as the command makes
 *                                progress; status 0; the CLI prints it at once
 *              SP_CTL_REC_END    the last record: status is the command's
 *                                result (0 or an error of error.h), text the
 *                                rest of the reply
 *
 * A command answered at once sends only the end record.  A client that takes
 * no reply output for 5 s while some is queued is dropped.
 *
 * argv[0] selects a handler registered with sp_ctl_register().  The node
 * registers "status" itself ("status --json" for JSON).
 */
#ifndef SP_CTL_H
#define SP_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define SP_CTL_REQ_MAX 65536
#define SP_CTL_ARGS_MAX 64
#define SP_CTL_REPLY_MAX (16u << 20)

/* Reply record types (see above). */
#define SP_CTL_REC_CHUNK 1u
#define SP_CTL_REC_END 2u
#define SP_CTL_REC_HEAD 12u

/* A handler's return value: "I answer later with sp_ctl_req_finish()". */
#define SP_CTL_LATER 1

struct sp_node;
struct sp_ctl;
struct sp_buf;
struct sp_ctl_req;

/*
 * A control command: argv[0] is the command word ("zone", "status", ...).
 * arg is what was registered.  Handlers run on the loop thread and must not
 * block.  Either:
 *   - write the reply to out and return 0 or an error (the CLI exits
 *     non-zero and prints out): the reply goes at once; or
 *   - return SP_CTL_LATER and keep req: the request stays open until
 *     sp_ctl_req_finish(req, status); meanwhile sp_ctl_req_write() streams
 *     progress to the client, and out collects the end record's text.
 * argv, out and req stay valid until the request ends (finish or cancel).
 * sp_ctl_req_write() may also be used before returning 0.
 */
typedef int (*sp_ctl_fn)(struct sp_ctl_req *req, void *arg, int argc, char **argv,
			 struct sp_buf *out);

/*
 * Register fn for the command word (shorter than 32 bytes).  Returns 0,
 * -EEXIST if the word is taken (a word has one owner), SP_ELIMIT when the
 * table is full, or -EINVAL.
 */
int sp_ctl_register(struct sp_node *node, const char *word, sp_ctl_fn fn, void *arg) SP_MUST_CHECK;

/* The node the request came to. */
struct sp_node *sp_ctl_req_node(const struct sp_ctl_req *req);

/* The end record's text (what the handler got as out). */
struct sp_buf *sp_ctl_req_out(struct sp_ctl_req *req);

/*
 * Send len bytes of text to the client now, as one chunk record.  Returns
 * 0; SP_ELIMIT if the client is more than SP_CTL_REPLY_MAX behind (the text
 * is dropped: slow down or finish); -EPIPE once the client is gone (the
 * cancel callback has run or will run before the loop turns).
 */
int sp_ctl_req_write(struct sp_ctl_req *req, const char *text, size_t len) SP_MUST_CHECK;
int sp_ctl_req_printf(struct sp_ctl_req *req, const char *fmt, ...) SP_MUST_CHECK
	__attribute__((format(printf, 2, 3)));

/*
 * End a request: send the end record with status and the text in out.  req
 * is gone after the call (do not use it, no cancel follows).  Safe to call
 * while the client is going away (then nothing is sent).
 */
void sp_ctl_req_finish(struct sp_ctl_req *req, int status);

/*
 * Ask for cancel(req, arg) if the request ends before finish: the client
 * went away, or the node stops (the control socket stops before the planes).
 * The callback drops the plane's reference; req is freed after it returns,
 * and it must not call finish.  One callback per request; NULL removes it.
 */
void sp_ctl_req_on_cancel(struct sp_ctl_req *req, void (*cancel)(struct sp_ctl_req *req, void *arg),
			  void *arg);

/*
 * Split a request body (after the length word) into argv, in place: pure,
 * for the daemon and the fuzz target.  argv gets at most SP_CTL_ARGS_MAX
 * words plus a NULL.  Returns the word count, or SP_EMALFORMED.
 */
int sp_ctl_parse_request(char *body, size_t len, char *argv[SP_CTL_ARGS_MAX + 1]);

struct sp_status;
/* Add the control connections' close counters ("control-closed-WHY", non-zero ones) to st. */
void sp_ctl_status(const struct sp_ctl *ctl, struct sp_status *st);

/* Listen on path (an old socket file there is replaced). */
int sp_ctl_start(struct sp_node *node, const char *path, struct sp_ctl **out) SP_MUST_CHECK;
/* Close the listener and every connection (deferred requests are cancelled now); frees in close callbacks. */
void sp_ctl_stop(struct sp_ctl *ctl);

/*
 * Client side, blocking (for the CLI): send argv and take the reply records
 * as they come: text(arg, text, len, end, status) runs for each chunk (end
 * false, status 0) and for the end record (end true, the daemon's status);
 * text is NUL-terminated and valid during the call; a non-zero return stops
 * and is returned.  timeout_ms bounds connecting and sending, and each wait
 * for the next record.  Returns 0 once the end record came, or an error
 * reaching the daemon.
 */
typedef int (*sp_ctl_text_fn)(void *arg, const char *text, size_t len, bool end, int status);
int sp_ctl_call_stream(const char *path, int argc, char *const *argv, int timeout_ms,
		       sp_ctl_text_fn text, void *arg) SP_MUST_CHECK;

/*
 * The same, collecting the whole reply (at most SP_CTL_REPLY_MAX bytes, else
 * SP_ELIMIT): *reply is malloc'd and NUL-terminated; *status is the daemon's
 * result.  Returns 0 if a reply came, or an error reaching the daemon.
 */
int sp_ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, int *status,
		char **reply) SP_MUST_CHECK;

#endif
