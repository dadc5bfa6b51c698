/*
 * fuzz_control_fwd.c - RELAYED frames, the one control datagram that is not
 * boxed (a signpost forwarding a relayed payload, cp_msg.h).  A frame that
 * parses must be written back to exactly the same bytes; one that does not
 * must not be taken for a frame by the writer's rules either.
 */
#include "fuzz_control_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_fwd f;
	uint8_t out[CP_MSG_MAX];
	size_t n;

	if (cp_fwd_parse(data, size, &f) != 0) {
		if (size > CP_FWD_HDR_LEN && size <= CP_FWD_HDR_LEN + CP_RELAY_MAX &&
		    cp_fwd_is(data, size) && data[6] == 0 && data[7] == 0)
			abort();	/* a well-formed frame refused */
		return 0;
	}
	if (f.len == 0 || f.len > CP_RELAY_MAX || f.payload != data + CP_FWD_HDR_LEN)
		abort();
	if (cp_fwd_write(out, sizeof(out), f.sender, f.origin, f.payload, f.len, &n) != 0 ||
	    n != size || memcmp(out, data, size) != 0)
		abort();
	return 0;
}
