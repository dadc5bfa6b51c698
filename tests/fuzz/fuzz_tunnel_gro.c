/*
 * fuzz_tunnel_gro.c - gro.c on arbitrary bytes: the receive-side merge of
 * decrypted inner packets (whose contents a peer controls) and the cutting
 * of TUN super-packets (tun__tso_shape / tun__tso_build), plus
 * tun__csum_complete.  The device is a zeroed struct whose TUN fd is
 * /dev/null; every packet is an exact-size heap copy so that a read past
 * its end is caught, and every output buffer is exactly hl + mss long.
 *
 * Input: flags (1 byte: bit 0 vnet_hdr, bit 1 flush after each packet),
 * mss (2), csum start (2), csum offset (1), then packets as a 2-byte
 * big-endian length and that many bytes (a short last one is cut).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tunnel/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PACKETS 256

/* Ones' complement sum of a header, folded (0xffff when its checksum is right). */
static uint16_t ip_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void cut(const uint8_t *pkt, size_t len, size_t mss)
{
	size_t iphl = 0, hl = 0;
	/* the preconditions send.c checks before cutting */
	if (!tun__tso_shape(pkt, len, &iphl, &hl) || mss == 0 || hl + mss > TUN_TSO_MAX)
		return;
	if (iphl < 20 || hl < iphl + 20 || hl > len)
		abort();
	uint8_t *out = malloc(hl + mss);
	if (!out)
		return;
	size_t total = 0;
	for (unsigned i = 0; i < TUN_TSO_MAX; i++) {
		size_t seg = tun__tso_build(pkt, len, iphl, hl, mss, i, out);
		if (seg == 0)
			break;
		if (seg > hl + mss || seg <= hl)
			abort();
		/* an IPv4 segment's header checksum is valid (whatever its options) */
		if ((out[0] >> 4) == 4 && ip_sum(out, iphl) != 0xffff)
			abort();
		total += seg - hl;
	}
	/* the segments carry the payload exactly once */
	if (total != len - hl)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	if (null_fd < 0)
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (size < 6 || null_fd < 0)
		return 0;
	uint8_t flags = data[0];
	size_t mss = (size_t)(data[1] << 8 | data[2]);
	size_t cstart = (size_t)(data[3] << 8 | data[4]), coff = data[5];
	data += 6;
	size -= 6;

	struct tun_device *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return 0;
	dev->tun_fd = null_fd;
	dev->vnet_hdr = flags & 1;
	dev->gro_buf = malloc(65536);	/* as tun_device_init allocates it */
	if (!dev->gro_buf) {
		free(dev);
		return 0;
	}
	for (unsigned n = 0; n < MAX_PACKETS && size >= 2; n++) {
		size_t len = (size_t)(data[0] << 8 | data[1]);
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		uint8_t *pkt = malloc(len ? len : 1);
		if (!pkt)
			break;
		memcpy(pkt, data, len);
		data += len;
		size -= len;

		tun__rx_deliver(dev, pkt, len);
		if (dev->gro_len > 65535 || dev->gro_segs > TUN_BATCH)
			abort();
		if (flags & 2)
			tun__rx_flush(dev);
		cut(pkt, len, mss);
		(void)tun__csum_complete(pkt, len, cstart, coff);
		free(pkt);
	}
	tun__rx_flush(dev);
	if (dev->gro_len != 0)
		abort();
	free(dev->gro_buf);
	free(dev);
	return 0;
}
