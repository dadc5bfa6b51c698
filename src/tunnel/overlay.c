/* overlay.c - overlay address derivation (see overlay.h for the layout). */
#include "tunnel/overlay.h"

#include <string.h>

#include <sodium.h>

int tun_overlay_zone_canonical(const char *zone, char out[TUN_OVERLAY_ZONE_MAX + 1])
{
	size_t n = zone != NULL ? strnlen(zone, TUN_OVERLAY_ZONE_MAX + 1) : 0;
	if (n == 0 || n > TUN_OVERLAY_ZONE_MAX)
		return SP_EMALFORMED;
	/* Without its final dot the name may have at most 253 characters. */
	size_t body = zone[n - 1] == '.' ? n - 1 : n;
	if (body == 0 || body > TUN_OVERLAY_ZONE_MAX - 1)
		return SP_EMALFORMED;

	size_t label = 0;
	for (size_t i = 0; i < body; i++) {
		unsigned char c = (unsigned char)zone[i];
		if (c <= 0x20 || c >= 0x7f)
			return SP_EMALFORMED;
		if (c == '.') {
			if (label == 0)
				return SP_EMALFORMED;
			label = 0;
		} else if (++label > 63) {
			return SP_EMALFORMED;
		}
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
	}
	if (label == 0)
		return SP_EMALFORMED;
	out[body] = '.';
	out[body + 1] = '\0';
	return (int)(body + 1);
}

int tun_overlay_prefix(const char *zone, uint8_t out[16])
{
	char canon[TUN_OVERLAY_ZONE_MAX + 1];
	int n = tun_overlay_zone_canonical(zone, canon);
	if (n < 0)
		return n;
	uint8_t h[crypto_generichash_BYTES];
	if (crypto_generichash(h, sizeof(h), (const uint8_t *)canon, (size_t)n, NULL, 0) != 0)
		return SP_ECRYPTO;
	memset(out, 0, 16);
	out[0] = 0xfd;
	memcpy(out + 1, h, TUN_OVERLAY_GLOBAL_ID_LEN);
	return 0;
}

int tun_overlay_addr(const char *zone, const uint8_t ed25519_pk[32], uint8_t out[16])
{
	int r = tun_overlay_prefix(zone, out);
	if (r < 0)
		return r;
	uint8_t h[crypto_generichash_BYTES];
	if (crypto_generichash(h, sizeof(h), ed25519_pk, 32, NULL, 0) != 0)
		return SP_ECRYPTO;
	memcpy(out + 16 - TUN_OVERLAY_IID_LEN, h, TUN_OVERLAY_IID_LEN);
	return 0;
}

int tun_overlay_check(const char *zone, const uint8_t ed25519_pk[32], const uint8_t addr[16])
{
	uint8_t want[16];
	int r = tun_overlay_addr(zone, ed25519_pk, want);
	if (r < 0)
		return r;
	return memcmp(want, addr, 16) == 0 ? 0 : SP_EAUTH;
}
