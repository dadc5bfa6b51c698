/*
 * ini.h - a small INI reader that reports line numbers.
 *
 * Syntax: "[section]" headers, "key = value" lines, comments starting with
 * '#' or ';' on their own line, blank lines.  Whitespace around keys and
 * values is trimmed; a value may be empty.  The reader is pure (text in,
 * callbacks out) so it can be fuzzed.
 */
#ifndef SP_INI_H
#define SP_INI_H

#include <stddef.h>

/*
 * Called for each section header (key == NULL, value == NULL) and each
 * key/value pair.  Return 0 to go on, or an error code to stop the parse
 * with that code.
 */
typedef int (*sp_ini_cb)(void *user, unsigned line, const char *section,
			 const char *key, const char *value);

/* Longest line accepted; longer lines are a syntax error, not a truncation. */
#define SP_INI_LINE_MAX 4096

/*
 * Parse text[0..len).  On a syntax error returns SP_ECONFIG and sets
 * *err_line and err_msg (a static string).  Returns the callback's code if
 * it stopped the parse.
 */
int sp_ini_parse(const char *text, size_t len, sp_ini_cb cb, void *user,
		 unsigned *err_line, const char **err_msg);

#endif
