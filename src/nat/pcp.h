/*
 * pcp.h - Port Control Protocol messages (RFC 6887), pure code: the MAP
 * opcode's request (UDP or TCP, version 2) and a strict parser of the
 * server's response.
 *
 * Addresses on the wire are 16 bytes; an IPv4 address is IPv4-mapped
 * (::ffff:a.b.c.d), as RFC 6887 section 5 says, and the request carries the
 * client's own address as the server should see it (a NAT between them is
 * answered with ADDRESS_MISMATCH).  The nonce (12 random bytes, kept for the
 * mapping's life) ties a response, a renewal and a deletion to the mapping.
 *
 * Parsing (pcp_parse_response) refuses, as SP_EMALFORMED: fewer than 24
 * bytes, more than PCP_MSG_MAX, a length that is not a multiple of 4; a
 * version other than 2; the response bit clear; an opcode other than MAP;
 * a successful response without the 36-byte MAP body; an option whose
 * length runs past the end.  An error response may be the bare header
 * (then has_map is false: nothing ties it to a request but its source).
 * A response of NAT-PMP's version 0 is not PCP (pcp_is_natpmp tells the
 * client to fall back, RFC 6887 section 9).
 */
#ifndef NAT_PCP_H
#define NAT_PCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define PCP_PORT 5351
#define PCP_VERSION 2
#define PCP_OP_MAP 1
#define PCP_R_BIT 0x80u
#define PCP_HDR_LEN 24
#define PCP_MAP_LEN 36
#define PCP_MAP_REQ_LEN (PCP_HDR_LEN + PCP_MAP_LEN)
#define PCP_MSG_MAX 1100		/* RFC 6887 section 7: no PCP message is larger */
#define PCP_NONCE_LEN 12
#define PCP_PROTO_TCP 6
#define PCP_PROTO_UDP 17

/* Result codes (RFC 6887 section 7.4). */
enum pcp_result {
	PCP_R_SUCCESS = 0,
	PCP_R_UNSUPP_VERSION = 1,
	PCP_R_NOT_AUTHORIZED = 2,
	PCP_R_MALFORMED_REQUEST = 3,
	PCP_R_UNSUPP_OPCODE = 4,
	PCP_R_UNSUPP_OPTION = 5,
	PCP_R_MALFORMED_OPTION = 6,
	PCP_R_NETWORK_FAILURE = 7,
	PCP_R_NO_RESOURCES = 8,
	PCP_R_UNSUPP_PROTOCOL = 9,
	PCP_R_USER_EX_QUOTA = 10,
	PCP_R_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_R_ADDRESS_MISMATCH = 12,
	PCP_R_EXCESSIVE_REMOTE_PEERS = 13,
};

/* A MAP request. */
struct pcp_map_request {
	uint32_t lifetime;		/* seconds wanted; 0 deletes the mapping */
	uint8_t client_addr[16];	/* the client's own address (IPv4-mapped for v4) */
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;		/* PCP_PROTO_UDP or _TCP */
	uint16_t internal_port;
	uint16_t external_port;		/* suggested (0: any) */
	uint8_t external_addr[16];	/* suggested (::ffff:0.0.0.0: any IPv4) */
};

/* A parsed response. */
struct pcp_response {
	uint8_t opcode;
	uint8_t result;
	uint32_t lifetime;		/* granted, or for an error how long it lasts */
	uint32_t epoch;
	bool has_map;			/* the MAP body below was present */
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;
	uint16_t internal_port;
	uint16_t external_port;		/* assigned */
	uint8_t external_addr[16];	/* assigned */
	unsigned options;		/* options that followed (skipped) */
};

/* Write a MAP request into out[0..cap); *len gets its length.  0, SP_ETRUNC, -EINVAL. */
int pcp_write_map_request(uint8_t *out, size_t cap, const struct pcp_map_request *req,
			  size_t *len) SP_MUST_CHECK;

/* Parse a response (see the top of this file).  0 or SP_EMALFORMED; *out is zeroed first. */
int pcp_parse_response(const uint8_t *buf, size_t len, struct pcp_response *out) SP_MUST_CHECK;

/* true when buf is a NAT-PMP (version 0) answer: the server speaks NAT-PMP only. */
bool pcp_is_natpmp(const uint8_t *buf, size_t len);

/* Write a 4-byte IPv4 address as IPv4-mapped IPv6 into out[16]. */
void pcp_addr_from_v4(uint8_t out[16], const uint8_t v4[4]);

/* true when a[16] is IPv4-mapped; then v4[4] gets the address. */
bool pcp_addr_to_v4(const uint8_t a[16], uint8_t v4[4]);

/* The result code's name, e.g. "NOT_AUTHORIZED"; "UNKNOWN" for another value. */
const char *pcp_result_str(uint8_t result);

#endif
