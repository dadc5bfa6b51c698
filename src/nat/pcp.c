/*
 * pcp.c - PCP MAP messages (RFC 6887): the request and a strict response
 * parser.  Pure: bytes in, bytes out.
 */
#include <errno.h>
#include <string.h>

#include "nat/pcp.h"

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void pcp_addr_from_v4(uint8_t out[16], const uint8_t v4[4])
{
	memcpy(out, v4mapped_prefix, 12);
	memcpy(out + 12, v4, 4);
}

bool pcp_addr_to_v4(const uint8_t a[16], uint8_t v4[4])
{
	if (memcmp(a, v4mapped_prefix, 12) != 0)
		return false;
	memcpy(v4, a + 12, 4);
	return true;
}

int pcp_write_map_request(uint8_t *out, size_t cap, const struct pcp_map_request *req,
			  size_t *len)
{
	*len = 0;
	/* Port 0 means "all ports" and is legal only with protocol 0 (RFC 6887 11.1). */
	if ((req->protocol != PCP_PROTO_UDP && req->protocol != PCP_PROTO_TCP) ||
	    req->internal_port == 0)
		return -EINVAL;
	if (cap < PCP_MAP_REQ_LEN)
		return SP_ETRUNC;
	memset(out, 0, PCP_MAP_REQ_LEN);
	out[0] = PCP_VERSION;
	out[1] = PCP_OP_MAP;	/* R bit clear: a request */
	put32(out + 4, req->lifetime);
	memcpy(out + 8, req->client_addr, 16);
	uint8_t *m = out + PCP_HDR_LEN;
	memcpy(m, req->nonce, PCP_NONCE_LEN);
	m[12] = req->protocol;
	put16(m + 16, req->internal_port);
	put16(m + 18, req->external_port);
	memcpy(m + 20, req->external_addr, 16);
	*len = PCP_MAP_REQ_LEN;
	return 0;
}

bool pcp_is_natpmp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[0] == 0 && (buf[1] & PCP_R_BIT);
}

int pcp_parse_response(const uint8_t *buf, size_t len, struct pcp_response *out)
{
	memset(out, 0, sizeof(*out));
	if (len < PCP_HDR_LEN || len > PCP_MSG_MAX || len % 4 != 0)
		return SP_EMALFORMED;
	if (buf[0] != PCP_VERSION || !(buf[1] & PCP_R_BIT) ||
	    (buf[1] & (uint8_t)~PCP_R_BIT) != PCP_OP_MAP)
		return SP_EMALFORMED;
	out->opcode = PCP_OP_MAP;
	out->result = buf[3];
	out->lifetime = get32(buf + 4);
	out->epoch = get32(buf + 8);
	if (len == PCP_HDR_LEN) {
		/* Only an error may come without the body (e.g. UNSUPP_VERSION, MALFORMED_REQUEST). */
		return out->result == PCP_R_SUCCESS ? SP_EMALFORMED : 0;
	}
	if (len < PCP_MAP_REQ_LEN)
		return SP_EMALFORMED;
	const uint8_t *m = buf + PCP_HDR_LEN;
	out->has_map = true;
	memcpy(out->nonce, m, PCP_NONCE_LEN);
	out->protocol = m[12];
	out->internal_port = get16(m + 16);
	out->external_port = get16(m + 18);
	memcpy(out->external_addr, m + 20, 16);
	/* Options: code, reserved, length, data padded to 4 (RFC 6887 section 7.3). */
	size_t off = PCP_MAP_REQ_LEN;
	while (off < len) {
		if (len - off < 4)
			return SP_EMALFORMED;
		size_t olen = get16(buf + off + 2);
		size_t padded = (olen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return SP_EMALFORMED;
		off += 4 + padded;
		out->options++;
	}
	return 0;
}

const char *pcp_result_str(uint8_t result)
{
	static const char *const names[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED", "MALFORMED_REQUEST",
		"UNSUPP_OPCODE", "UNSUPP_OPTION", "MALFORMED_OPTION", "NETWORK_FAILURE",
		"NO_RESOURCES", "UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};
	return result < sizeof(names) / sizeof(names[0]) ? names[result] : "UNKNOWN";
}
