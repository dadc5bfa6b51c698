/*
 * fuzz_nat_stun.c - arbitrary bytes as a STUN datagram: parsed strictly
 * (src/nat/stun.c) and answered as the server would.  Checks: a parsed
 * message stays inside its bytes; an answer is never larger than the
 * request or STUN_ANSWER_FLOOR, parses itself, is a response of the same
 * transaction, and tells the source's address; a rewrite of what was
 * parsed parses again to the same addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(const uint8_t *data, size_t size, const union sp_endpoint *src,
			 const union sp_endpoint *other)
{
	static const union sp_endpoint *const none[4];
	struct stun_answer_ctx ctx = { .src = src, .origin = src, .other = other,
				       .software = "signpost fuzz" };
	if (other) {
		ctx.changed[1] = other;
		ctx.changed[3] = other;
	} else {
		memcpy(ctx.changed, none, sizeof(none));
	}
	uint8_t out[STUN_MSG_MAX];
	size_t n;
	uint32_t change;
	enum stun_verdict v = stun_answer(data, size, &ctx, out, &n, &change);
	if (v == STUN_DROP)
		return;
	if (n > (size > STUN_ANSWER_FLOOR ? size : STUN_ANSWER_FLOOR))
		abort();	/* the size rule */
	struct stun_msg a;
	if (stun_parse(out, n, &a) != 0 || memcmp(a.txid, data + 4, 16) != 0 ||
	    a.method != STUN_BINDING)
		abort();
	if (a.cls == STUN_SUCCESS) {
		const union sp_endpoint *got = a.legacy ? &a.mapped : &a.xor_mapped;
		if (!(a.legacy ? a.has_mapped : a.has_xor_mapped) || !sp_endpoint_equal(got, src))
			abort();
	} else if (a.cls != STUN_ERROR || a.error_code != 420) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	if (stun_parse(data, size, &m) == 0) {
		if (m.len != size || (m.software && (m.software < data ||
						     m.software + m.software_len > data + size)))
			abort();
		/* Rewrite the addresses it carried; they must come back the same. */
		uint8_t out[STUN_MSG_MAX];
		struct stun_writer w;
		size_t n;
		struct stun_msg r;
		stun_w_init(&w, out, sizeof(out), m.type, m.txid);
		if (m.has_xor_mapped)
			stun_w_addr(&w, STUN_A_XOR_MAPPED_ADDRESS, &m.xor_mapped, true);
		if (m.has_mapped)
			stun_w_addr(&w, STUN_A_MAPPED_ADDRESS, &m.mapped, false);
		if (m.has_other)
			stun_w_addr(&w, STUN_A_OTHER_ADDRESS, &m.other, false);
		if (stun_w_finish(&w, true, &n) != 0 || stun_parse(out, n, &r) != 0)
			abort();
		if (r.has_xor_mapped != m.has_xor_mapped ||
		    (m.has_xor_mapped && !sp_endpoint_equal(&r.xor_mapped, &m.xor_mapped)) ||
		    (m.has_mapped && !sp_endpoint_equal(&r.mapped, &m.mapped)) ||
		    (m.has_other && !sp_endpoint_equal(&r.other, &m.other)) || !r.fingerprint)
			abort();
	}
	union sp_endpoint v4 = { .in4 = { .sin_family = AF_INET, .sin_port = htons(40000) } };
	union sp_endpoint v6 = { .in6 = { .sin6_family = AF_INET6, .sin6_port = htons(3478) } };
	union sp_endpoint other = { .in4 = { .sin_family = AF_INET, .sin_port = htons(3479) } };
	v4.in4.sin_addr.s_addr = htonl(0xc6336407);
	v6.in6.sin6_addr.s6_addr[0] = 0x20;
	v6.in6.sin6_addr.s6_addr[15] = 7;
	other.in4.sin_addr.s_addr = htonl(0xc000020b);
	check_answer(data, size, &v4, NULL);
	check_answer(data, size, &v6, &other);
	return 0;
}
