/*
 * reply.h - what planes write into: status pairs and control reply text.
 *
 * Pure (no libuv), so that the status renderer (status.c) and the reply
 * buffer (buf.c) build into sp_core_proto; node.h includes this for planes.
 */
#ifndef SP_REPLY_H
#define SP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

struct sp_status;

/*
 * Status: an ordered list of (plane, key, value) that renders as text or
 * JSON.  Planes add to the section the node opened for them.
 */
void sp_status_add(struct sp_status *st, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A growable output buffer for control command replies. */
struct sp_buf {
	char *data;
	size_t len, cap;
	bool oom;		/* sticky: an append failed */
};
void sp_buf_printf(struct sp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sp_buf_append(struct sp_buf *b, const void *data, size_t len);
void sp_buf_free(struct sp_buf *b);

#endif
