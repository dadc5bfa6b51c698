/*
 * fuzz_tunnel_data.c - arbitrary bytes as a transport data message to both
 * ends of the fixed (deterministic) session.  A message that decrypts must
 * not decrypt a second time (replay).
 */
#include "fuzz_tunnel_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_decrypt(const struct tun_noise_keypair *tpl, const uint8_t *data, size_t size,
			uint64_t now)
{
	static struct tun_noise_keypair kp;
	uint8_t *buf = malloc(size ? size : 1);
	uint8_t *again = malloc(size ? size : 1);
	size_t plain = 0;

	if (buf == NULL || again == NULL)
		goto out;
	kp = *tpl;
	memcpy(buf, data, size);
	memcpy(again, data, size);
	if (tun_noise_decrypt(&kp, buf, size, now, &plain, NULL) == 0) {
		if (plain + TUN_MSG_DATA_OVERHEAD != size)
			abort();
		if (tun_noise_decrypt(&kp, again, size, now, &plain, NULL) != SP_EREPLAY)
			abort();
	}
out:
	free(buf);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_world w;
	static struct tun_noise_keypair ikp, rkp;
	static int ready;
	struct tun_msg_initiation init;
	struct tun_msg_response resp;

	if (!ready) {
		fz_world_init(&w);
		if (fz_handshake(&w, &init, &resp, &ikp, &rkp) != 0)
			abort();
		ready = 1;
	}
	if (size > 65536)
		return 0;
	try_decrypt(&rkp, data, size, w.now);
	try_decrypt(&ikp, data, size, w.now);
	return 0;
}
