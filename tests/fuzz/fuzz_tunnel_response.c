/*
 * fuzz_tunnel_response.c - arbitrary bytes as the response to the fixed
 * initiator's (deterministic) initiation: MAC check, consume, and the
 * session when the bytes are the valid response.
 */
#include "fuzz_tunnel_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_world w;
	struct tun_msg_initiation init;
	struct tun_noise_keypair kp;

	fz_world_init(&w);
	fz_make_initiation(&w, &init);
	(void)tun_cookie_validate(&w.ini_checker, data, size, fz_src, sizeof(fz_src), true, w.now);
	struct tun_noise_handshake before = w.ini_hs;
	if (tun_noise_consume_response(&w.ini_hs, data, size) != 0) {
		/* A refused response leaves the handshake untouched. */
		if (memcmp(&before, &w.ini_hs, sizeof(before)) != 0)
			abort();
		sodium_memzero(&before, sizeof(before));
		return 0;
	}
	sodium_memzero(&before, sizeof(before));
	if (tun_noise_begin_session(&w.ini_hs, &kp, w.now) != 0 || !kp.is_initiator)
		abort();
	tun_noise_keypair_wipe(&kp);
	return 0;
}
