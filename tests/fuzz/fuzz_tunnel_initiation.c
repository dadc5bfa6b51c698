/*
 * fuzz_tunnel_initiation.c - arbitrary bytes as a handshake initiation to
 * the fixed responder: MAC checks, cookie reply, both consume steps and, when
 * the bytes are a valid initiation, the response and the session.
 */
#include "fuzz_tunnel_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_world w;
	struct tun_noise_handshake *hs = NULL;
	struct tun_msg_cookie reply;
	struct tun_msg_response resp;
	struct tun_noise_keypair kp;

	fz_world_init(&w);
	enum tun_cookie_mac_state ms = tun_cookie_validate(&w.resp_checker, data, size, fz_src,
							   sizeof(fz_src), true, w.now);
	if (ms != TUN_MAC_INVALID &&
	    tun_cookie_create_reply(&w.resp_checker, &reply, data, size, fz_src, sizeof(fz_src),
				    w.now) != 0)
		abort();
	(void)tun_msg_classify(data, size);
	if (tun_noise_consume_initiation(&w.resp, data, size, w.now, fz_lookup, &w, &hs) != 0)
		return 0;
	if (hs != &w.resp_hs)
		abort();
	/* Accepted: a second copy must be a replay. */
	if (tun_noise_consume_initiation(&w.resp, data, size, w.now + TUN_NSEC_PER_SEC, fz_lookup,
					 &w, &hs) != SP_EREPLAY)
		abort();
	if (tun_noise_create_response(&w.resp_hs, &resp, FZ_RESPONDER_INDEX) != 0 ||
	    tun_noise_begin_session(&w.resp_hs, &kp, w.now) != 0)
		abort();
	tun_noise_keypair_wipe(&kp);
	return 0;
}
