/*
 * fuzz_control_rdata.c - RELAY_DATA frames (a device's tunnel datagram for
 * its signpost, authenticated but not encrypted again: cp_msg.h), opened
 * with the key of the corpus generator's box key and sender.
 *
 * The first input byte picks the mode:
 *   even  the rest is a frame as received (the corpus's genuine frames
 *         open; anything else must be refused without reading past it);
 *   odd   the rest is a destination (32), a counter (8) and a payload that
 *         the target seals itself, so that the fuzzer reaches past the tag.
 * Whatever opens must seal again to a frame that opens to the same fields.
 */
#include "control/cp_wire.h"
#include "fuzz_control_common.h"

static void reseal(const uint8_t key[CP_KEY_LEN], const struct cp_rdata *r)
{
	uint8_t d[CP_MSG_MAX];
	size_t n;
	struct cp_rdata again;
	if (cp_rdata_seal(key, r->sender, r->dest, r->counter, r->payload, r->len, d, sizeof(d),
			  &n) != 0 ||
	    n != CP_RDATA_OVERHEAD + r->len || cp_rdata_open(key, d, n, &again) != 0 ||
	    memcmp(again.dest, r->dest, CP_KEY_LEN) != 0 || again.counter != r->counter ||
	    again.len != r->len || memcmp(again.payload, r->payload, r->len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t key[CP_KEY_LEN];
	struct cp_rdata r;
	uint8_t d[CP_MSG_MAX];
	size_t n;

	fz_cp_init();
	if (cp_rdata_key(fz_cp_key, fz_cp_sender, key) != 0)
		abort();
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		if (cp_rdata_open(key, data + 1, size - 1, &r) != 0)
			return 0;
		if (r.len == 0 || r.len > CP_RELAY_MAX || r.payload != data + 1 + CP_HDR_LEN)
			abort();
	} else {
		if (size < 1 + CP_KEY_LEN + 8 + 1)
			return 0;
		const uint8_t *dest = data + 1;
		uint64_t counter = cp__get64(data + 1 + CP_KEY_LEN);
		const uint8_t *payload = data + 1 + CP_KEY_LEN + 8;
		size_t len = size - 1 - CP_KEY_LEN - 8;
		int rc = cp_rdata_seal(key, fz_cp_sender, dest, counter, payload, len, d, sizeof(d), &n);
		if (len > CP_RELAY_MAX) {
			if (rc != -EINVAL)
				abort();
			return 0;
		}
		if (rc != 0 || cp_rdata_open(key, d, n, &r) != 0 || r.counter != counter ||
		    memcmp(r.dest, dest, CP_KEY_LEN) != 0)
			abort();
		d[CP_HDR_LEN] ^= 1;	/* one payload bit: refused */
		struct cp_rdata bad;
		if (cp_rdata_open(key, d, n, &bad) != SP_EAUTH)
			abort();
		d[CP_HDR_LEN] ^= 1;
		if (cp_rdata_open(key, d, n, &r) != 0)
			abort();
	}
	reseal(key, &r);
	return 0;
}
