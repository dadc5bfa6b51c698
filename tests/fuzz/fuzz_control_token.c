/*
 * fuzz_control_token.c - arbitrary text as an enrollment token: refused
 * cleanly, or canonical (encodes back to the same text, trailing
 * whitespace aside, and decodes to the same token).
 */
#include "control/cp_token.h"
#include "fuzz_control_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[8192], again[CP_TOKEN_TEXT_MAX];
	static struct cp_token t, t2;

	fz_cp_init();
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cp_token_decode(text, &t) != 0)
		return 0;
	if (cp_token_encode(&t, again, sizeof(again)) != 0)
		abort();
	size_t n = strlen(again);
	if (strncmp(text, again, n) != 0 || strspn(text + n, " \t\r\n") != strlen(text + n))
		abort();
	if (cp_token_decode(again, &t2) != 0 || memcmp(&t, &t2, sizeof(t)) != 0)
		abort();
	cp_token_wipe(&t);
	cp_token_wipe(&t2);
	return 0;
}
