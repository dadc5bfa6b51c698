/*
 * natpmp.h - NAT-PMP messages (RFC 6886), pure code: the client's requests
 * (external address, UDP/TCP mapping, deletion) and a strict parser of the
 * gateway's responses, plus the epoch check that tells a gateway restarted.
 *
 * Parsing (natpmp_parse_response) refuses, as SP_EMALFORMED: a version other
 * than 0; an opcode without the response bit (128) or one that is not 128,
 * 129 or 130; a length other than the opcode's (12 for the address, 16 for a
 * mapping).  An error response (result != 0) may also be the bare 8-byte
 * header, which is what a gateway sends for an opcode or version it does not
 * support (RFC 6886 section 3.5).  Multi-byte fields are big-endian.
 */
#ifndef NAT_NATPMP_H
#define NAT_NATPMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define NATPMP_PORT 5351		/* the gateway's server port (PCP's too) */
#define NATPMP_VERSION 0
#define NATPMP_OP_ADDR 0
#define NATPMP_OP_MAP_UDP 1
#define NATPMP_OP_MAP_TCP 2
#define NATPMP_OP_RESPONSE 0x80u

#define NATPMP_ADDR_REQ_LEN 2
#define NATPMP_MAP_REQ_LEN 12
#define NATPMP_HDR_LEN 8		/* version, op, result, epoch */
#define NATPMP_ADDR_RESP_LEN 12
#define NATPMP_MAP_RESP_LEN 16
/* RFC 6886 section 3.3: lifetime the client should ask for (two hours). */
#define NATPMP_LIFETIME_DEFAULT 7200u

/* Result codes (RFC 6886 section 3.5). */
enum natpmp_result {
	NATPMP_R_SUCCESS = 0,
	NATPMP_R_UNSUPP_VERSION = 1,
	NATPMP_R_NOT_AUTHORIZED = 2,
	NATPMP_R_NETWORK_FAILURE = 3,
	NATPMP_R_NO_RESOURCES = 4,
	NATPMP_R_UNSUPP_OPCODE = 5,
};

/* One parsed response; the fields the opcode has not are zero. */
struct natpmp_response {
	uint8_t op;			/* the request's opcode (response bit cleared) */
	uint16_t result;
	uint32_t epoch;			/* seconds since the gateway's start of epoch */
	bool full;			/* the opcode's whole body was present */
	uint8_t external_addr[4];	/* op ADDR: the gateway's public IPv4 address */
	uint16_t internal_port;		/* op MAP: */
	uint16_t external_port;
	uint32_t lifetime;		/* seconds granted (0: deleted) */
};

/* Write the external address request into out (>= NATPMP_ADDR_REQ_LEN); returns its length. */
size_t natpmp_write_addr_request(uint8_t *out);

/*
 * Write a mapping request (op NATPMP_OP_MAP_UDP or _TCP) into out[0..cap):
 * internal_port, the external port wanted (0: any), lifetime in seconds
 * (0 with external port 0 deletes the mapping).  *len gets its length.
 * 0, SP_ETRUNC (cap too small), -EINVAL (bad op or internal port 0).
 */
int natpmp_write_map_request(uint8_t *out, size_t cap, uint8_t op, uint16_t internal_port,
			     uint16_t external_port, uint32_t lifetime, size_t *len) SP_MUST_CHECK;

/* Parse a response (see the top of this file).  0 or SP_EMALFORMED; *out is zeroed first. */
int natpmp_parse_response(const uint8_t *buf, size_t len, struct natpmp_response *out)
	SP_MUST_CHECK;

/* The result code's name, e.g. "NOT_AUTHORIZED"; "UNKNOWN" for another value. */
const char *natpmp_result_str(uint16_t result);

/*
 * RFC 6886 section 3.6 (and RFC 6887 section 8.5, the same rule for PCP):
 * is a new epoch consistent with the previous one seen elapsed_s seconds
 * ago?  false means the gateway lost its state (it restarted) and every
 * mapping must be made again.  The expected epoch is the previous one plus
 * 7/8 of the elapsed time minus 2 s (clocks differ); an epoch that moved
 * back more than one second is a restart too.
 */
bool natpmp_epoch_ok(uint32_t prev_epoch, uint32_t new_epoch, uint64_t elapsed_s);

#endif
