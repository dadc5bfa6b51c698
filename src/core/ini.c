/* ini.c - INI reader with line numbers; see ini.h. */
#include <ctype.h>
#include <string.h>

#include "error.h"
#include "ini.h"

static char *ini_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int ini_fail(unsigned line, const char *msg, unsigned *err_line, const char **err_msg)
{
	*err_line = line;
	*err_msg = msg;
	return SP_ECONFIG;
}

int sp_ini_parse(const char *text, size_t len, sp_ini_cb cb, void *user,
		 unsigned *err_line, const char **err_msg)
{
	char buf[SP_INI_LINE_MAX + 1];
	char section[128] = "";
	unsigned line = 0;
	size_t pos = 0;

	*err_line = 0;
	*err_msg = NULL;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		line++;
		if (n > SP_INI_LINE_MAX)
			return ini_fail(line, "line too long", err_line, err_msg);
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(buf, '\0', n) != NULL)
			return ini_fail(line, "NUL byte in line", err_line, err_msg);

		char *s = ini_trim(buf);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end == NULL || end[1] != '\0')
				return ini_fail(line, "section header needs a closing ']'", err_line,
						err_msg);
			*end = '\0';
			char *name = ini_trim(s + 1);
			if (*name == '\0' || strlen(name) >= sizeof(section))
				return ini_fail(line, "bad section name", err_line, err_msg);
			strcpy(section, name);
			int rc = cb(user, line, section, NULL, NULL);
			if (rc)
				return rc;
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL)
			return ini_fail(line, "expected 'key = value'", err_line, err_msg);
		*eq = '\0';
		char *key = ini_trim(s), *value = ini_trim(eq + 1);
		if (*key == '\0')
			return ini_fail(line, "empty option name", err_line, err_msg);
		if (*section == '\0')
			return ini_fail(line, "option outside of any [section]", err_line, err_msg);
		int rc = cb(user, line, section, key, value);
		if (rc)
			return rc;
	}
	return 0;
}
