/*
 * fuzz_control_revoke.c - arbitrary bytes as the body of a control
 * CP_REVOKE message (no crypto): refused cleanly, or canonical (see
 * fuzz_control_common.h).
 */
#include "fuzz_control_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_cp_body(CP_REVOKE, data, size);
}
