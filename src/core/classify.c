/* classify.c - sort datagrams by their first bytes; see classify.h. */
#include <string.h>

#include "classify.h"

static enum sp_class wireguard(uint8_t type, size_t len)
{
	size_t want;
	switch (type) {
	case 1: want = SP_WG_INITIATION_LEN; break;
	case 2: want = SP_WG_RESPONSE_LEN; break;
	case 3: want = SP_WG_COOKIE_LEN; break;
	default:
		return len >= SP_WG_DATA_MIN_LEN ? SP_CLASS_WIREGUARD : SP_CLASS_BAD_LENGTH;
	}
	return len == want ? SP_CLASS_WIREGUARD : SP_CLASS_BAD_LENGTH;
}

static int is_stun(const uint8_t *b, size_t len)
{
	if (len < SP_STUN_HEADER_LEN || (b[0] & 0xc0) != 0)
		return 0;
	uint32_t cookie = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	size_t body = (size_t)b[2] << 8 | b[3];
	return cookie == SP_STUN_MAGIC_COOKIE && body % 4 == 0 && body == len - SP_STUN_HEADER_LEN;
}

enum sp_class sp_classify(const uint8_t *b, size_t len)
{
	/* A WireGuard type can be told from its first byte and three zeros, even if short. */
	if (len >= 1 && b[0] >= 1 && b[0] <= 4 && (len < 2 || b[1] == 0) && (len < 3 || b[2] == 0) &&
	    (len < 4 || b[3] == 0))
		return len >= 4 ? wireguard(b[0], len) : SP_CLASS_BAD_LENGTH;
	if (is_stun(b, len))
		return SP_CLASS_STUN;
	if (len >= SP_CTL_MAGIC_LEN && memcmp(b, SP_CTL_MAGIC, SP_CTL_MAGIC_LEN) == 0)
		return SP_CLASS_CONTROL;
	return SP_CLASS_UNKNOWN;
}

enum sp_class sp_classify_count(struct sp_classify_stats *st, const uint8_t *buf, size_t len)
{
	enum sp_class c = sp_classify(buf, len);
	if (c == SP_CLASS_BAD_LENGTH)
		st->bad_length++;
	else
		st->received[c]++;
	return c;
}

const char *sp_kind_name(enum sp_kind kind)
{
	static const char *const names[SP_KIND_MAX] = {
		[SP_KIND_WIREGUARD] = "wireguard", [SP_KIND_STUN] = "stun",
		[SP_KIND_CONTROL] = "control", [SP_KIND_UNKNOWN] = "unknown",
	};
	return (unsigned)kind < SP_KIND_MAX ? names[kind] : "unknown";
}
