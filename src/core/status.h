/*
 * status.h - building and rendering `signpost status` (core internal).
 *
 * The node opens one section per plane (sp_status_section) and the plane adds
 * key/value pairs with sp_status_add (node.h).  Rendered as "key: value"
 * text or as one JSON object.
 */
#ifndef SP_STATUS_H
#define SP_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"

#define SP_STATUS_MAX 256

struct sp_status_item {
	const char *section;	/* NULL: top level */
	char *key, *value;
};

struct sp_status {
	const char *section;
	struct sp_status_item items[SP_STATUS_MAX];
	size_t n;
};

void sp_status_init(struct sp_status *st);
void sp_status_section(struct sp_status *st, const char *section);
void sp_status_render(const struct sp_status *st, bool json, struct sp_buf *out);
void sp_status_deinit(struct sp_status *st);

/* Append s to out as a JSON string literal. */
void sp_json_string(struct sp_buf *out, const char *s);

#endif
