/*
 * ctl.h - the control socket between the `signpost` CLI and signpostd.
 *
 * A Unix stream socket, created mode 0600, whose peers must also pass an
 * SO_PEERCRED check (root or the daemon's own uid): that is how every control
 * message is authenticated.  One request per connection:
 *
 *   request: u32 length (network order), then argv as NUL-terminated strings
 *            (at most SP_CTL_REQ_MAX bytes, at most SP_CTL_ARGS_MAX words)
 *   reply:   i32 status (0 or an error of error.h), u32 length, reply text
 *
 * argv[0] selects a handler registered with sp_ctl_register() (node.h).
 * The node registers "status" itself ("status --json" for JSON).
 */
#ifndef SP_CTL_H
#define SP_CTL_H

#include <stddef.h>

#include "error.h"

#define SP_CTL_REQ_MAX 65536
#define SP_CTL_ARGS_MAX 64
#define SP_CTL_REPLY_MAX (16u << 20)

struct sp_node;
struct sp_ctl;

/*
 * Split a request body (after the length word) into argv, in place: pure,
 * for the daemon and the fuzz target.  argv gets at most SP_CTL_ARGS_MAX
 * words plus a NULL.  Returns the word count, or SP_EMALFORMED.
 */
int sp_ctl_parse_request(char *body, size_t len, char *argv[SP_CTL_ARGS_MAX + 1]);

/* Listen on path (an old socket file there is replaced). */
int sp_ctl_start(struct sp_node *node, const char *path, struct sp_ctl **out) SP_MUST_CHECK;
/* Close the listener and every connection; frees in close callbacks. */
void sp_ctl_stop(struct sp_ctl *ctl);

/*
 * Client side, blocking (for the CLI): send argv, wait up to timeout_ms for
 * the reply.  *reply is malloc'd and NUL-terminated; *status is the daemon's
 * result.  Returns 0 if a reply came, or an error reaching the daemon.
 */
int sp_ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, int *status,
		char **reply) SP_MUST_CHECK;

#endif
