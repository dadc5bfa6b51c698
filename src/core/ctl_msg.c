/*
 * ctl_msg.c - the control request format (pure): split a request body into
 * words.  Apart from ctl.c so that the fuzz target and sp_core_proto have
 * it without libuv; see ctl.h.
 */
#include <string.h>

#include "ctl.h"

int sp_ctl_parse_request(char *body, size_t len, char *argv[SP_CTL_ARGS_MAX + 1])
{
	int argc = 0;
	size_t off = 0;
	while (off < len) {
		char *end = memchr(body + off, '\0', len - off);
		if (end == NULL || argc == SP_CTL_ARGS_MAX)
			return SP_EMALFORMED;
		argv[argc++] = body + off;
		off = (size_t)(end - body) + 1;
	}
	argv[argc] = NULL;
	return argc > 0 ? argc : SP_EMALFORMED;
}
