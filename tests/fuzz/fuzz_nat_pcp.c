/*
 * fuzz_nat_pcp.c - arbitrary bytes as a PCP response (src/nat/pcp.c).
 * Checks: a parsed response is within the size bounds, a successful one
 * has its MAP body, the fields are the bytes at their offsets, and a
 * request written from the parsed fields is never taken for a response.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat/pcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcp_response r;
	if (pcp_parse_response(data, size, &r) != 0)
		return 0;
	if (size < PCP_HDR_LEN || size > PCP_MSG_MAX || size % 4 || data[0] != PCP_VERSION)
		abort();
	if (r.result == PCP_R_SUCCESS && !r.has_map)
		abort();
	if (pcp_is_natpmp(data, size))
		abort();
	if (!r.has_map)
		return 0;
	if (memcmp(r.nonce, data + PCP_HDR_LEN, PCP_NONCE_LEN) != 0 ||
	    memcmp(r.external_addr, data + PCP_HDR_LEN + 20, 16) != 0 ||
	    r.external_port != (uint16_t)(data[PCP_HDR_LEN + 18] << 8 | data[PCP_HDR_LEN + 19]))
		abort();
	uint8_t v4[4];
	if (pcp_addr_to_v4(r.external_addr, v4)) {
		uint8_t again[16];
		pcp_addr_from_v4(again, v4);
		if (memcmp(again, r.external_addr, 16) != 0)
			abort();
	}
	struct pcp_map_request q = { .lifetime = r.lifetime, .protocol = r.protocol,
				     .internal_port = r.internal_port,
				     .external_port = r.external_port };
	memcpy(q.nonce, r.nonce, PCP_NONCE_LEN);
	memcpy(q.external_addr, r.external_addr, 16);
	uint8_t req[PCP_MAP_REQ_LEN];
	size_t n;
	int rc = pcp_write_map_request(req, sizeof(req), &q, &n);
	if (rc == 0) {
		struct pcp_response back;
		if (n != PCP_MAP_REQ_LEN || pcp_parse_response(req, n, &back) == 0)
			abort();
	}
	(void)pcp_result_str(r.result);
	return 0;
}
