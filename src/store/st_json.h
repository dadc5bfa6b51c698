/*
 * st_json.h - JSON check for documents (pure code).
 *
 * The store keeps a document's JSON text as written; it only checks it:
 * one value (RFC 8259) with nothing but whitespace around it, strings of
 * valid UTF-8 (no surrogates encoded as UTF-8, no overlong forms, \u escapes
 * well formed), nesting at most ST_JSON_DEPTH deep.  The depth bound keeps
 * SQLite's json functions and every reader of the store from deep recursion
 * on hostile input; the check itself uses no recursion and no allocation.
 */
#ifndef STORE_ST_JSON_H
#define STORE_ST_JSON_H

#include <stddef.h>

#include "core/error.h"

#define ST_JSON_DEPTH 64

/*
 * 0 when text[0..len) is one valid JSON value, else SP_EMALFORMED with
 * *where (may be NULL) set to the offset of the first byte at fault.
 */
int st_json_check(const char *text, size_t len, size_t *where) SP_MUST_CHECK;

/* Is s[0..len) valid UTF-8 with no control character (C0 or DEL)? 1 or 0. */
int st_json_utf8_plain(const char *s, size_t len);

#endif
