/* status.c - status lists and their text and JSON forms; see status.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

void sp_status_init(struct sp_status *st)
{
	memset(st, 0, sizeof(*st));
}

void sp_status_section(struct sp_status *st, const char *section)
{
	st->section = section;
}

void sp_status_add(struct sp_status *st, const char *key, const char *fmt, ...)
{
	if (st->n >= SP_STATUS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *value = NULL;
	int n = vasprintf(&value, fmt, ap);
	va_end(ap);
	char *k = strdup(key);
	if (n < 0 || k == NULL) {
		free(k);
		if (n >= 0)
			free(value);
		return;
	}
	st->items[st->n++] = (struct sp_status_item){ st->section, k, value };
}

void sp_status_deinit(struct sp_status *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->items[i].key);
		free(st->items[i].value);
	}
	st->n = 0;
}

void sp_json_string(struct sp_buf *out, const char *s)
{
	sp_buf_append(out, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sp_buf_printf(out, "\\%c", c);
		else if (c < 0x20)
			sp_buf_printf(out, "\\u%04x", c);
		else
			sp_buf_append(out, s, 1);
	}
	sp_buf_append(out, "\"", 1);
}

static bool same_section(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

void sp_status_render(const struct sp_status *st, bool json, struct sp_buf *out)
{
	const char *cur = NULL;
	if (!json) {
		for (size_t i = 0; i < st->n; i++) {
			const struct sp_status_item *it = &st->items[i];
			if (it->section && !same_section(it->section, cur))
				sp_buf_printf(out, "%s:\n", it->section);
			cur = it->section;
			sp_buf_printf(out, "%s%s: %s\n", it->section ? "  " : "", it->key, it->value);
		}
		return;
	}
	/* Top-level items first, then one object per section, in order of first use. */
	sp_buf_append(out, "{", 1);
	bool first = true;
	for (size_t i = 0; i < st->n; i++) {
		if (st->items[i].section)
			continue;
		sp_buf_printf(out, "%s", first ? "" : ",");
		sp_json_string(out, st->items[i].key);
		sp_buf_append(out, ":", 1);
		sp_json_string(out, st->items[i].value);
		first = false;
	}
	for (size_t i = 0; i < st->n; i++) {
		const char *sec = st->items[i].section;
		bool seen = false;
		for (size_t j = 0; j < i && sec; j++)
			if (same_section(st->items[j].section, sec))
				seen = true;
		if (sec == NULL || seen)
			continue;
		sp_buf_printf(out, "%s", first ? "" : ",");
		first = false;
		sp_json_string(out, sec);
		sp_buf_append(out, ":{", 2);
		bool f2 = true;
		for (size_t j = i; j < st->n; j++) {
			if (!same_section(st->items[j].section, sec))
				continue;
			sp_buf_printf(out, "%s", f2 ? "" : ",");
			f2 = false;
			sp_json_string(out, st->items[j].key);
			sp_buf_append(out, ":", 1);
			sp_json_string(out, st->items[j].value);
		}
		sp_buf_append(out, "}", 1);
	}
	sp_buf_append(out, "}\n", 2);
}
