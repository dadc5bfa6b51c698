/* fuzz_core_ctl.c - arbitrary bytes as a control request body must never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SP_CTL_REQ_MAX)
		return 0;
	char *body = malloc(size + 1);
	if (body == NULL)
		return 0;
	memcpy(body, data, size);
	char *argv[SP_CTL_ARGS_MAX + 1];
	int argc = sp_ctl_parse_request(body, size, argv);
	for (int i = 0; i < argc; i++)
		(void)strlen(argv[i]);
	free(body);
	return 0;
}
