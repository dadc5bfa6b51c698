/*
 * fuzz_dns_tsig.c - TSIG parsing and verification, the signed answers made
 * from what verification found, and the NOTIFY reply and transfer query
 * checks, all on untrusted bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/notify_msg.h"
#include "dns/tsig.h"
#include "dns/xfr.h"

#define FUZZ_NOW 1700000000u
#define FUZZ_MSG_MAX 65535

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_tsig_key key;
	static int ready;
	if (!ready) {
		if (dns_tsig_key_init(&key, "fuzz.key.",
				      "a2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXMtbG9uZz8=") != 0)
			abort();
		ready = 1;
	}
	if (size > FUZZ_MSG_MAX)
		return 0;

	/* Server side: verify, then answer as the state says (copy of the question part). */
	struct dns_tsig_state st;
	int r = dns_tsig_verify(data, size, &key, 1, FUZZ_NOW, &st);
	if (st.present && (r == 0 || r == SP_EAUTH) && size >= 12) {
		static uint8_t out[FUZZ_MSG_MAX + 1024];
		size_t n = st.unsigned_len < 512 ? st.unsigned_len : 512;
		if (n >= 12) {
			memcpy(out, data, n);
			out[2] |= 0x80;
			out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
			if (dns_tsig_sign(out, &n, sizeof(out), &st, FUZZ_NOW) == 0 && n > sizeof(out))
				abort();
		}
	}

	/* Client side: the input as a reply to a NOTIFY we signed. */
	uint8_t req[512];
	size_t rlen;
	struct dns_tsig_state cst;
	const uint8_t zone[] = "\x05" "alice" "\x07" "example";
	if (dns_notify_create(req, sizeof(req), &rlen, 0x4242, zone, sizeof(zone), NULL, 0, &key,
			      FUZZ_NOW, &cst) != 0)
		abort();
	int a = dns_notify_consume_reply(data, size, 0x4242, zone, sizeof(zone), &cst, FUZZ_NOW);
	int b = dns_tsig_verify_reply(data, size, &cst, FUZZ_NOW);
	if (a == 0 && b != 0)	/* an acknowledged NOTIFY reply is always a valid signed one */
		abort();
	(void)dns_xfr_is_xfr(data, size);
	return 0;
}
