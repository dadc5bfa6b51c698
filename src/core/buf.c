/* buf.c - growable output buffer for control replies; see node.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "reply.h"

static bool buf_reserve(struct sp_buf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	/* Replies are bounded like everything else a node produces. */
	if (cap > SP_CTL_REPLY_MAX) {
		b->oom = true;
		return false;
	}
	char *nd = realloc(b->data, cap);
	if (nd == NULL) {
		b->oom = true;
		return false;
	}
	b->data = nd;
	b->cap = cap;
	return true;
}

void sp_buf_append(struct sp_buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void sp_buf_printf(struct sp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sp_buf_free(struct sp_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
