/*
 * fuzz_control_register.c - arbitrary bytes as the body of a control
 * CP_REGISTER message (no crypto): refused cleanly, or canonical (see
 * fuzz_control_common.h).
 */
#include "fuzz_control_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_cp_body(CP_REGISTER, data, size);
}
