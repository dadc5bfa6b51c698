/*
 * fuzz_tunnel_cookie.c - arbitrary bytes as a cookie reply to the fixed
 * initiator's (deterministic) initiation; a reply that is accepted must
 * yield a mac2 the responder's checker accepts.
 */
#include "fuzz_tunnel_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_world w;
	struct tun_msg_initiation init;

	fz_world_init(&w);
	fz_make_initiation(&w, &init);
	if (tun_cookie_consume_reply(&w.ini_maker, data, size, w.now) != 0)
		return 0;
	if (tun_cookie_add_macs(&w.ini_maker, (uint8_t *)&init, sizeof(init), w.now) != 0)
		abort();
	/* Only the genuine reply (same deterministic secret) gives a valid mac2. */
	(void)tun_cookie_validate(&w.resp_checker, (uint8_t *)&init, sizeof(init), fz_src,
				  sizeof(fz_src), true, w.now);
	return 0;
}
