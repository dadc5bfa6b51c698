/*
 * fuzz_control_open.c - whole control datagrams opened with the fixed key.
 *
 * The first input byte picks the mode:
 *   even  the rest is a datagram as received (header checks, MAC; the
 *         genuine seeds of the corpus open);
 *   odd   the rest is an outer type byte then a plaintext, which the target
 *         boxes itself under a fixed header, so that the fuzzer reaches the
 *         checks behind the MAC: inner type, reserved byte, body_len,
 *         padding and the body.
 * Whatever opens must re-seal and open to the same message.
 */
#include "control/cp_wire.h"
#include "fuzz_control_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_msg m;
	uint8_t d[CP_MSG_MAX], ed[CP_KEY_LEN];
	enum cp_type type;
	size_t n;

	fz_cp_init();
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		if (cp_msg_peek(data + 1, size - 1, ed, &type) == 0 &&
		    memcmp(ed, data + 1 + 8, CP_KEY_LEN) != 0)
			abort();
		if (cp_msg_open(fz_cp_key, data + 1, size - 1, &m) != 0)
			return 0;
	} else {
		if (size < 2 || size - 2 > CP_MSG_MAX - CP_HDR_LEN - CP_BOX_OVERHEAD)
			return 0;
		memset(d, 0, CP_HDR_LEN);
		memcpy(d, CP_MAGIC, CP_MAGIC_LEN);
		d[4] = CP_VERSION;
		d[5] = data[1];
		memcpy(d + 8, fz_cp_sender, CP_KEY_LEN);
		if (cp__msg_box(fz_cp_key, d, sizeof(d), data + 2, size - 2, &n) != 0)
			abort();
		if (cp_msg_open(fz_cp_key, d, n, &m) != 0)
			return 0;
		if (m.type != data[1])
			abort();
	}
	fz_cp_reseal(&m);
	return 0;
}
