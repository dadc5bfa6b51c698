/* common.c - small helpers shared by the CLI's commands. */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

long cli_parse_port(const char *text, long min)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > 65535)
		return -1;
	return v;
}
