/*
 * fuzz_control_connect_ack.c - arbitrary bytes as the body of a control
 * CP_CONNECT_ACK message (no crypto): refused cleanly, or canonical (see
 * fuzz_control_common.h).
 */
#include "fuzz_control_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_cp_body(CP_CONNECT_ACK, data, size);
}
