/*
 * fuzz_dns_update.c - RFC 2136 UPDATE handling on untrusted bytes.
 *
 * Input: one mode byte, then a DNS message.  Mode bit 0 set: the harness
 * signs the message with the zone's key first, so the fuzzer reaches the
 * prerequisite and update code past the MAC; clear: the message goes in as
 * it is (TSIG parsing and verification).  Bit 1 set: the message goes to
 * the transfer code (AXFR/IXFR) instead, from a listed secondary, over TCP
 * if bit 2 is set.  A fresh small zone per input keeps runs independent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "dns/update.h"
#include "dns/xfr.h"
#include "dns/zone.h"

#define FUZZ_NOW 1700000000u
#define FUZZ_MSG_MAX 4096

static const char zone_text[] =
	"$ORIGIN alice.example.\n$TTL 3600\n"
	"@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
	"@ IN NS ns1\nns1 IN A 192.0.2.1\n"
	"laptop IN AAAA fd00::1\nlaptop IN AAAA fd00::2\nnas IN TXT \"hello\"\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every transfer message must fit TCP's two-byte length. */
static int check_msg(void *ctx, const uint8_t *msg, size_t len)
{
	(void)ctx;
	if (len < 12 || len > 65535 || !(msg[2] & 0x80))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_tsig_key key;
	static int ready;
	if (!ready) {
		sp_log_set_level(SP_LOG_ERR);
		if (dns_tsig_key_init(&key, "fuzz.key.",
				      "a2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXMtbG9uZz8=") != 0)
			abort();
		ready = 1;
	}
	if (size < 1 || size > FUZZ_MSG_MAX)
		return 0;

	struct dns_keyset ks;
	struct dns_zone *z = NULL;
	memset(&ks, 0, sizeof(ks));
	if (dns_zone_new(&z, "alice.example.", &ks) != 0)
		abort();
	if (dns_zone_load_text(z, zone_text, FUZZ_NOW) != 0)
		abort();

	uint8_t msg[FUZZ_MSG_MAX + 1024], out[FUZZ_MSG_MAX + 1024];
	size_t len = size - 1, out_len = 0;
	memcpy(msg, data + 1, len);
	if (data[0] & 1) {
		struct dns_tsig_state st;
		if (dns_tsig_sign_request(msg, &len, sizeof(msg), &key, FUZZ_NOW, &st) != 0)
			len = size - 1;
	}
	if (data[0] & 2) {
		struct dns_acl_entry e;
		struct dns_acl acl;
		memset(&e, 0, sizeof(e));
		memset(&acl, 0, sizeof(acl));
		acl.v = &e;
		acl.n = 1;
		struct sockaddr_in *sin = (struct sockaddr_in *)&e.addr;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(0x7f000001);
		(void)dns_xfr_answer(z, msg, len, (const struct sockaddr *)sin, (data[0] & 4) != 0,
				     &acl, &key, FUZZ_NOW, check_msg, NULL);
	} else {
		bool changed = false;
		(void)dns_update_handle(z, msg, len, NULL, &key, FUZZ_NOW, out, sizeof(out),
					&out_len, &changed);
		if (out_len > sizeof(out))
			abort();
	}
	dns_zone_free(z);
	return 0;
}
