/*
 * fuzz_nat_natpmp.c - arbitrary bytes as a NAT-PMP response from the
 * gateway (src/nat/natpmp.c).  Checks: a parsed response has a length its
 * opcode allows, its fields are the bytes at their offsets, and a mapping
 * request written from them parses back to nothing (a request is never
 * taken for a response).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat/natpmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natpmp_response r;
	if (natpmp_parse_response(data, size, &r) != 0)
		return 0;
	if (r.op > NATPMP_OP_MAP_TCP || data[0] != 0 || data[1] != (NATPMP_OP_RESPONSE | r.op))
		abort();
	if (!r.full && (size != NATPMP_HDR_LEN || r.result == 0))
		abort();
	if (r.full && size != (r.op == NATPMP_OP_ADDR ? NATPMP_ADDR_RESP_LEN : NATPMP_MAP_RESP_LEN))
		abort();
	if (r.full && r.op != NATPMP_OP_ADDR &&
	    (r.external_port != (uint16_t)(data[10] << 8 | data[11]) ||
	     r.internal_port != (uint16_t)(data[8] << 8 | data[9])))
		abort();
	if (r.op != NATPMP_OP_ADDR && r.internal_port != 0) {
		uint8_t req[NATPMP_MAP_REQ_LEN];
		size_t n;
		if (natpmp_write_map_request(req, sizeof(req), r.op, r.internal_port,
					     r.external_port, r.lifetime, &n) != 0 ||
		    n != NATPMP_MAP_REQ_LEN)
			abort();
		struct natpmp_response back;
		if (natpmp_parse_response(req, n, &back) == 0)
			abort();
	}
	(void)natpmp_result_str(r.result);
	(void)natpmp_epoch_ok(r.epoch, r.lifetime, r.external_port);
	return 0;
}
