/*
 * natpmp.c - NAT-PMP messages (RFC 6886): requests and a strict response
 * parser.  Pure: bytes in, bytes out.
 */
#include <errno.h>
#include <string.h>

#include "nat/natpmp.h"

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

size_t natpmp_write_addr_request(uint8_t *out)
{
	out[0] = NATPMP_VERSION;
	out[1] = NATPMP_OP_ADDR;
	return NATPMP_ADDR_REQ_LEN;
}

int natpmp_write_map_request(uint8_t *out, size_t cap, uint8_t op, uint16_t internal_port,
			     uint16_t external_port, uint32_t lifetime, size_t *len)
{
	*len = 0;
	if ((op != NATPMP_OP_MAP_UDP && op != NATPMP_OP_MAP_TCP) || internal_port == 0)
		return -EINVAL;
	if (cap < NATPMP_MAP_REQ_LEN)
		return SP_ETRUNC;
	out[0] = NATPMP_VERSION;
	out[1] = op;
	out[2] = out[3] = 0;	/* reserved */
	put16(out + 4, internal_port);
	put16(out + 6, external_port);
	put32(out + 8, lifetime);
	*len = NATPMP_MAP_REQ_LEN;
	return 0;
}

int natpmp_parse_response(const uint8_t *buf, size_t len, struct natpmp_response *out)
{
	memset(out, 0, sizeof(*out));
	if (len < NATPMP_HDR_LEN || buf[0] != NATPMP_VERSION || !(buf[1] & NATPMP_OP_RESPONSE))
		return SP_EMALFORMED;
	uint8_t op = buf[1] & (uint8_t)~NATPMP_OP_RESPONSE;
	size_t want;
	switch (op) {
	case NATPMP_OP_ADDR:
		want = NATPMP_ADDR_RESP_LEN;
		break;
	case NATPMP_OP_MAP_UDP:
	case NATPMP_OP_MAP_TCP:
		want = NATPMP_MAP_RESP_LEN;
		break;
	default:
		return SP_EMALFORMED;
	}
	uint16_t result = get16(buf + 2);
	/* The bare header is legal only for an error: a success must carry its body. */
	if (len != want && !(len == NATPMP_HDR_LEN && result != NATPMP_R_SUCCESS))
		return SP_EMALFORMED;
	out->op = op;
	out->result = result;
	out->epoch = get32(buf + 4);
	out->full = len == want;
	if (!out->full)
		return 0;
	if (op == NATPMP_OP_ADDR) {
		memcpy(out->external_addr, buf + 8, 4);
	} else {
		out->internal_port = get16(buf + 8);
		out->external_port = get16(buf + 10);
		out->lifetime = get32(buf + 12);
	}
	return 0;
}

const char *natpmp_result_str(uint16_t result)
{
	static const char *const names[] = { "SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED",
					     "NETWORK_FAILURE", "NO_RESOURCES", "UNSUPP_OPCODE" };
	return result < sizeof(names) / sizeof(names[0]) ? names[result] : "UNKNOWN";
}

bool natpmp_epoch_ok(uint32_t prev_epoch, uint32_t new_epoch, uint64_t elapsed_s)
{
	if ((uint64_t)new_epoch + 1 < prev_epoch)
		return false;
	/* Computed in 64 bits: neither the sum nor the subtraction can wrap. */
	uint64_t expected = (uint64_t)prev_epoch + elapsed_s * 7 / 8;
	return (uint64_t)new_epoch + 2 >= expected;
}
