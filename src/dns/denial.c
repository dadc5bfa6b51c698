/* denial.c - RFC 9824 compact denial NSEC data and the signing rate limit. */
#include "dns/denial.h"

#include <string.h>

#include "dns/wire.h"

size_t dns_nsec_bitmap(const uint16_t *types, size_t n, uint8_t *out, size_t cap)
{
	size_t pos = 0, i = 0;
	while (i < n) {
		uint8_t win = (uint8_t)(types[i] >> 8);
		uint8_t bits[32] = { 0 };
		unsigned maxoct = 0;
		for (; i < n && (types[i] >> 8) == win; i++) {
			unsigned lo = types[i] & 0xff;
			bits[lo / 8] |= (uint8_t)(0x80 >> (lo % 8));
			if (lo / 8 + 1 > maxoct)
				maxoct = lo / 8 + 1;
		}
		if (pos + 2 + maxoct > cap)
			return 0;
		out[pos++] = win;
		out[pos++] = (uint8_t)maxoct;
		memcpy(out + pos, bits, maxoct);
		pos += maxoct;
	}
	return pos;
}

size_t dns_denial_nsec_rdata(const uint8_t *name, const uint16_t *types, size_t n,
			     uint8_t *out, size_t cap)
{
	size_t nl = dns_name_len(name), pos = 0;
	/* Next name "\000.name": the immediate canonical successor of name. */
	if (nl + 2 <= DNS_NAME_MAXLEN) {
		if (cap < nl + 2)
			return 0;
		out[0] = 1;
		out[1] = 0;
		pos = 2;
	}
	if (cap < pos + nl)
		return 0;
	memcpy(out + pos, name, nl);
	dns_name_lower(out + pos);
	pos += nl;
	size_t bl = dns_nsec_bitmap(types, n, out + pos, cap - pos);
	if (bl == 0 && n > 0)
		return 0;
	return pos + bl;
}
