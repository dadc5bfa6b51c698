/*
 * stun.h - STUN messages (RFC 8489), pure code: a strict parser, a writer,
 * and the binding server's answer (stun_answer).
 *
 * Parsing (stun_parse) refuses, as SP_EMALFORMED: a message shorter than
 * the header or longer than STUN_MSG_MAX; the top two bits set; a length
 * field that is not the rest of the datagram or not a multiple of 4; an
 * attribute whose value or padding runs past the end; an address attribute
 * of a wrong family or length; a FINGERPRINT that is not the last attribute
 * or whose CRC-32 (XOR 0x5354554e) does not match; a CHANGE-REQUEST or
 * ERROR-CODE of a wrong length.  The padding bytes' values are ignored, as
 * RFC 8489 section 14 says.  A message without the magic cookie is an RFC
 * 3489 message (legacy = true: its whole 16-byte id is the transaction id
 * and the XOR attributes mean nothing).  The first of two attributes of one
 * type counts; comprehension-required attributes (type < 0x8000) this code
 * does not know are listed in unknown[] (the server answers them with 420).
 */
#ifndef NAT_STUN_H
#define NAT_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/endpoint.h"
#include "core/error.h"

#define STUN_HEADER_LEN 20
#define STUN_MAGIC 0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554eu
/* Largest message parsed or written: RFC 8489 asks for 548 at least over IPv4; MTU-sized. */
#define STUN_MSG_MAX 1500

/* Message classes (already in their bit positions of the type) and the one method. */
#define STUN_REQUEST 0x0000u
#define STUN_INDICATION 0x0010u
#define STUN_SUCCESS 0x0100u
#define STUN_ERROR 0x0110u
#define STUN_CLASS_MASK 0x0110u
#define STUN_BINDING 0x0001u

/* Attributes. */
#define STUN_A_MAPPED_ADDRESS 0x0001u
#define STUN_A_CHANGE_REQUEST 0x0003u		/* RFC 5780 (and 3489) */
#define STUN_A_SOURCE_ADDRESS 0x0004u		/* RFC 3489: RESPONSE-ORIGIN's ancestor */
#define STUN_A_CHANGED_ADDRESS 0x0005u		/* RFC 3489: OTHER-ADDRESS's ancestor */
#define STUN_A_USERNAME 0x0006u
#define STUN_A_MESSAGE_INTEGRITY 0x0008u
#define STUN_A_ERROR_CODE 0x0009u
#define STUN_A_UNKNOWN_ATTRIBUTES 0x000Au
#define STUN_A_REALM 0x0014u
#define STUN_A_NONCE 0x0015u
#define STUN_A_MESSAGE_INTEGRITY_SHA256 0x001Cu
#define STUN_A_USERHASH 0x001Eu
#define STUN_A_XOR_MAPPED_ADDRESS 0x0020u
#define STUN_A_PADDING 0x0026u			/* RFC 5780 */
#define STUN_A_RESPONSE_PORT 0x0027u		/* RFC 5780 */
#define STUN_A_SOFTWARE 0x8022u
#define STUN_A_ALTERNATE_SERVER 0x8023u
#define STUN_A_FINGERPRINT 0x8028u
#define STUN_A_RESPONSE_ORIGIN 0x802Bu		/* RFC 5780 */
#define STUN_A_OTHER_ADDRESS 0x802Cu		/* RFC 5780 */

/* CHANGE-REQUEST flags. */
#define STUN_CHANGE_IP 0x4u
#define STUN_CHANGE_PORT 0x2u

/* Most unknown comprehension-required attributes remembered from one message. */
#define STUN_UNKNOWN_MAX 8
/* SOFTWARE: RFC 8489 allows 763 bytes (128 characters). */
#define STUN_SOFTWARE_MAX 763

/* A parsed message; pointers point into the parsed buffer. */
struct stun_msg {
	uint16_t type;			/* class | method bits */
	uint16_t method;		/* STUN_BINDING, ... */
	uint16_t cls;			/* STUN_REQUEST, ... */
	bool legacy;			/* RFC 3489: no magic cookie */
	uint8_t txid[16];		/* header bytes 4..19 (cookie + 96-bit id, or 3489's 128 bits) */
	size_t len;			/* the whole message */
	bool fingerprint;		/* a FINGERPRINT was present (and matched) */
	bool integrity;			/* MESSAGE-INTEGRITY(-SHA256) present (not checked: no credentials) */
	bool has_change;
	uint32_t change;		/* CHANGE-REQUEST flags */
	bool has_xor_mapped, has_mapped, has_origin, has_other;
	union sp_endpoint xor_mapped, mapped, origin, other;
	bool has_error;
	uint16_t error_code;		/* 300..699 */
	const uint8_t *software;
	size_t software_len;
	size_t padding_len;		/* PADDING attribute value (RFC 5780) */
	uint16_t unknown[STUN_UNKNOWN_MAX];
	size_t n_unknown;
};

/* Parse buf[0..len) strictly (see above).  0 or SP_EMALFORMED. */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *m) SP_MUST_CHECK;

/* CRC-32 (ISO-HDLC, as zlib) of buf[0..len). */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/* Writer: attributes appended to a header; an error sticks and finish reports it. */
struct stun_writer {
	uint8_t *buf;
	size_t cap, len;
	int err;			/* 0 or SP_ETRUNC / SP_EMALFORMED */
};

/* Start a message of type (class | method) with the 16 header bytes txid (cookie included). */
void stun_w_init(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t type,
		 const uint8_t txid[16]);
/* An attribute of n bytes of value (padded with zeros to 4). */
void stun_w_attr(struct stun_writer *w, uint16_t type, const void *val, size_t n);
/* An address attribute; xor: XOR-MAPPED-ADDRESS style (with the header's cookie and id). */
void stun_w_addr(struct stun_writer *w, uint16_t type, const union sp_endpoint *ep, bool xor);
/* ERROR-CODE code (300..699) with a reason phrase. */
void stun_w_error(struct stun_writer *w, unsigned code, const char *reason);
/* Set the length field and, if fingerprint, append FINGERPRINT.  0 or the first error. */
int stun_w_finish(struct stun_writer *w, bool fingerprint, size_t *out_len) SP_MUST_CHECK;

/* Encoded size of an address attribute for ep (12 for IPv4, 24 for IPv6). */
size_t stun_addr_attr_len(const union sp_endpoint *ep);

/* A fresh binding request: txid[16] (cookie + 12 random bytes) is the caller's. */
int stun_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[16], uint32_t change,
			 size_t pad_to, const char *software, size_t *out_len) SP_MUST_CHECK;

/*
 * THE SERVER'S SIZE RULE.  An answer is never larger than its request, or
 * than STUN_ANSWER_FLOOR bytes when the request was smaller: 44 is the
 * header and one IPv6 address attribute (24), the least answer that still
 * tells the client its address (or, for an error, ERROR-CODE and one
 * unknown attribute).  Without that floor no real client would be answered:
 * RFC 8489 allows a bare 20-byte request, Debian's stun sends 28 bytes and
 * needs a 32-byte answer.  The gain is at most 24 bytes and 2.2x per
 * request, and requests are rate-limited per prefix (nat_stun.c).  Every
 * other attribute is added in order of use only while the answer still
 * fits: FINGERPRINT (if the request had one), OTHER-ADDRESS and
 * RESPONSE-ORIGIN (RFC 5780, when configured), MAPPED-ADDRESS (for RFC
 * 5389-era clients), SOFTWARE.  A client that wants them all pads its
 * request (PADDING, RFC 5780), as ours does.
 */
#define STUN_ANSWER_FLOOR 44

/* What the server knows when answering. */
struct stun_answer_ctx {
	const union sp_endpoint *src;		/* the request's source: the reflexive address */
	const union sp_endpoint *origin;	/* where the answer leaves from (NULL: unknown) */
	const union sp_endpoint *other;		/* the RFC 5780 other address:port (NULL: none) */
	/* Where an answer to CHANGE-REQUEST flags f leaves from: changed[f >> 1] (NULL: cannot). */
	const union sp_endpoint *changed[4];
	const char *software;			/* SOFTWARE (NULL: none) */
};

enum stun_verdict {
	STUN_DROP = 0,		/* not answered: not a binding request, malformed, or refused */
	STUN_ANSWER,		/* send out[0..*out_len) back from where it came */
	STUN_ANSWER_CHANGED,	/* send it from the other address/port the request asked for */
};

/*
 * Answer one datagram as a binding server: a success with the reflexive
 * address, 420 for unknown comprehension-required attributes, 420 for a
 * CHANGE-REQUEST when no other address exists (RFC 5780 section 6.1; an RFC
 * 3489 client is not answered then: it knows no 420).  *change gets the
 * request's CHANGE-REQUEST flags.  out must hold STUN_MSG_MAX bytes.
 */
enum stun_verdict stun_answer(const uint8_t *req, size_t len, const struct stun_answer_ctx *ctx,
			      uint8_t *out, size_t *out_len, uint32_t *change);

#endif
