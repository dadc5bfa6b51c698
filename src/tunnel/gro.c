/*
 * gro.c - receive-side coalescing of TCP segments before they go into the
 * TUN device (loop code).
 *
 * Writing one packet per write() makes the kernel run its whole receive path
 * per 1.4 KB segment.  The TUN device is opened with IFF_VNET_HDR, so
 * consecutive segments of one TCP flow out of one receive batch can go in as
 * one large packet with a virtio_net_hdr asking for GSO (what the kernel's
 * own GRO would build): far fewer writes and trips through TCP.  The
 * segments were authenticated by the tunnel (AEAD), so the merged packet
 * carries a partial checksum (NEEDS_CSUM) instead of a verified one, as
 * wireguard-go does.  Only plain cases merge: IPv4 without options or
 * fragments, IPv6 without extension headers, TCP with only ACK (PSH on the
 * last segment), identical options, contiguous sequence numbers, equal
 * segment sizes (the last may be shorter).  Anything else is written as it is.
 *
 * The send side is the mirror image: with TUN offloads on, the kernel hands
 * us TCP super-packets of up to 64 KiB (one trip through its stack instead
 * of ~45); tun__tso_build() cuts them into MSS-sized segments with their own
 * headers and checksums, each then encrypted like any packet.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tunnel/device.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; p += 2, n -= 2)
		s += be16(p);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Ones' complement sum over native-order 16-bit words (byte-order independent, RFC 1071). */
static uint64_t csum_native(const uint8_t *p, size_t n, uint64_t s)
{
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		s += (v & 0xffffffffu) + (v >> 32);
	}
	for (; n >= 2; p += 2, n -= 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		s += v;
	}
	if (n) {
		uint16_t v = 0;
		memcpy(&v, p, 1);
		s += v;
	}
	return s;
}

static uint16_t fold64(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int tun__csum_complete(uint8_t *pkt, size_t len, size_t start, size_t offset)
{
	if (start + offset + 2 > len)
		return -EINVAL;
	/* the field holds the pseudo-header sum already */
	uint16_t c = (uint16_t)~fold64(csum_native(pkt + start, len - start, 0));
	memcpy(pkt + start + offset, &c, 2);
	return 0;
}

bool tun__tso_shape(const uint8_t *p, size_t len, size_t *iphl, size_t *hl)
{
	size_t ih;
	if (len >= 20 && (p[0] >> 4) == 4) {
		ih = (size_t)(p[0] & 0x0f) * 4;
		if (ih < 20 || p[9] != IPPROTO_TCP)
			return false;
	} else if (len >= 40 && (p[0] >> 4) == 6) {
		ih = 40;
		if (p[6] != IPPROTO_TCP)
			return false;
	} else {
		return false;
	}
	if (len < ih + 20)
		return false;
	size_t th = (size_t)(p[ih + 12] >> 4) * 4;
	if (th < 20 || ih + th > len)
		return false;
	*iphl = ih;
	*hl = ih + th;
	return true;
}

size_t tun__tso_build(const uint8_t *pkt, size_t len, size_t iphl, size_t hl, size_t mss,
		      unsigned i, uint8_t *out)
{
	size_t total = len - hl, off = (size_t)i * mss;
	if (off >= total)
		return 0;
	size_t plen = total - off < mss ? total - off : mss;
	bool last = off + plen >= total;
	memcpy(out, pkt, hl);
	memcpy(out + hl, pkt + hl + off, plen);
	uint8_t *t = out + iphl;
	size_t tcplen = hl - iphl + plen;
	uint64_t ps;
	/* by the version, not the header length: IPv4 with 20 bytes of options is 40 long too */
	if ((pkt[0] >> 4) == 4) {
		put16(out + 2, (uint16_t)(hl + plen));
		put16(out + 4, (uint16_t)(be16(pkt + 4) + i));	/* IP ID increments, as GSO does */
		put16(out + 10, 0);
		put16(out + 10, (uint16_t)~fold(sum16(out, iphl, 0)));
		ps = csum_native(out + 12, 8, 0);
	} else {
		put16(out + 4, (uint16_t)(tcplen));
		ps = csum_native(out + 8, 32, 0);
	}
	uint32_t seq = be32(t + 4) + (uint32_t)off;
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	if (!last)
		t[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		t[13] &= (uint8_t)~0x80;	/* CWR only on the first segment */
	uint16_t pl[2] = { htons(IPPROTO_TCP), htons((uint16_t)tcplen) };
	ps = csum_native((const uint8_t *)pl, 4, ps);
	t[16] = t[17] = 0;
	uint16_t c = (uint16_t)~fold64(csum_native(t, tcplen, ps));
	memcpy(t + 16, &c, 2);
	return hl + plen;
}

int tun__tun_write(struct tun_device *dev, const uint8_t *pkt, size_t len)
{
	if (!dev->vnet_hdr)
		return write(dev->tun_fd, pkt, len) < 0 ? -errno : 0;
	struct virtio_net_hdr h;
	memset(&h, 0, sizeof(h));
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)pkt, len } };
	return writev(dev->tun_fd, iov, 2) < 0 ? -errno : 0;
}

/*
 * Header lengths of a mergeable TCP segment (IP header, IP+TCP headers) and
 * its payload length; false if this packet never merges.
 */
static bool tcp_shape(const uint8_t *p, size_t len, size_t *iphl, size_t *hl, size_t *payload)
{
	size_t ih;
	if (len >= 20 && (p[0] >> 4) == 4) {
		ih = (size_t)(p[0] & 0x0f) * 4;
		/* no options, TCP, not a fragment (MF clear, offset 0) */
		if (ih != 20 || p[9] != IPPROTO_TCP || (be16(p + 6) & 0x3fff) != 0 ||
		    be16(p + 2) != len)
			return false;
	} else if (len >= 40 && (p[0] >> 4) == 6) {
		ih = 40;
		if (p[6] != IPPROTO_TCP || (size_t)be16(p + 4) + 40 != len)
			return false;
	} else {
		return false;
	}
	if (len < ih + 20)
		return false;
	const uint8_t *t = p + ih;
	size_t th = (size_t)(t[12] >> 4) * 4;
	uint8_t flags = t[13];
	if (th < 20 || ih + th > len || (flags & ~(TCP_ACK | TCP_PSH)) != 0 || !(flags & TCP_ACK))
		return false;
	*iphl = ih;
	*hl = ih + th;
	*payload = len - ih - th;
	return *payload > 0;
}

/* Can the segment p (shape iphl/hl/payload) follow the packet being built? */
static bool can_append(const struct tun_device *dev, const uint8_t *p, size_t iphl, size_t hl,
		       size_t payload)
{
	const uint8_t *c = dev->gro_buf;
	if (dev->gro_len == 0 || hl != dev->gro_hl || iphl != dev->gro_iphl || dev->gro_psh ||
	    payload > dev->gro_mss || dev->gro_last_short ||
	    dev->gro_len + payload > 65535 || dev->gro_segs >= TUN_BATCH)
		return false;
	if (iphl == 20) {
		/* version/ihl, tos; flags (DF); ttl, protocol; addresses */
		if (c[0] != p[0] || c[1] != p[1] || (c[6] & 0xe0) != (p[6] & 0xe0) || c[8] != p[8] ||
		    memcmp(c + 12, p + 12, 8) != 0)
			return false;
	} else {
		/* version, class, flow label; next header, hop limit; addresses */
		if (memcmp(c, p, 4) != 0 || memcmp(c + 6, p + 6, 34) != 0)
			return false;
	}
	const uint8_t *ct = c + iphl, *pt = p + iphl;
	/* ports; ack; data offset, flags (but PSH), window; options */
	if (memcmp(ct, pt, 4) != 0 || memcmp(ct + 8, pt + 8, 4) != 0 || ct[12] != pt[12] ||
	    (ct[13] & ~TCP_PSH) != (pt[13] & ~TCP_PSH) || memcmp(ct + 14, pt + 14, 2) != 0 ||
	    memcmp(ct + 20, pt + 20, hl - iphl - 20) != 0)
		return false;
	return be32(pt + 4) == dev->gro_next_seq;
}

void tun__rx_flush(struct tun_device *dev)
{
	if (dev->gro_len == 0)
		return;
	uint8_t *p = dev->gro_buf;
	size_t len = dev->gro_len;
	dev->gro_len = 0;
	if (dev->gro_segs == 1) {
		if (tun__tun_write(dev, p, len) != 0)
			dev->stats.tx_dropped++;
		return;
	}
	size_t iphl = dev->gro_iphl;
	struct virtio_net_hdr h;
	memset(&h, 0, sizeof(h));
	uint32_t s;
	size_t tcplen = len - iphl;
	if (iphl == 20) {
		put16(p + 2, (uint16_t)len);
		put16(p + 10, 0);
		put16(p + 10, (uint16_t)~fold(sum16(p, 20, 0)));
		s = sum16(p + 12, 8, 0);
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		put16(p + 4, (uint16_t)(len - 40));
		s = sum16(p + 8, 32, 0);
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	/* partial checksum: the pseudo-header sum, completed by whoever needs it */
	s += IPPROTO_TCP + (uint32_t)tcplen;
	put16(p + iphl + 16, fold(s));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.hdr_len = (uint16_t)dev->gro_hl;
	h.gso_size = (uint16_t)dev->gro_mss;
	h.csum_start = (uint16_t)iphl;
	h.csum_offset = 16;
	struct iovec iov[2] = { { &h, sizeof(h) }, { p, len } };
	if (writev(dev->tun_fd, iov, 2) < 0)
		dev->stats.tx_dropped++;
}

void tun__rx_deliver(struct tun_device *dev, const uint8_t *pkt, size_t len)
{
	size_t iphl, hl, payload;
	if (!dev->vnet_hdr || !dev->gro_buf || !tcp_shape(pkt, len, &iphl, &hl, &payload)) {
		tun__rx_flush(dev);
		if (tun__tun_write(dev, pkt, len) != 0)
			dev->stats.tx_dropped++;
		return;
	}
	if (can_append(dev, pkt, iphl, hl, payload)) {
		memcpy(dev->gro_buf + dev->gro_len, pkt + hl, payload);
		dev->gro_len += payload;
		dev->gro_segs++;
		dev->gro_next_seq += (uint32_t)payload;
		dev->gro_last_short = payload < dev->gro_mss;
		dev->gro_psh = (pkt[iphl + 13] & TCP_PSH) != 0;
		/* the merged packet carries the last segment's PSH */
		dev->gro_buf[iphl + 13] |= pkt[iphl + 13] & TCP_PSH;
		return;
	}
	tun__rx_flush(dev);
	memcpy(dev->gro_buf, pkt, len);
	dev->gro_len = len;
	dev->gro_segs = 1;
	dev->gro_iphl = iphl;
	dev->gro_hl = hl;
	dev->gro_mss = payload;
	dev->gro_next_seq = be32(pkt + iphl + 4) + (uint32_t)payload;
	dev->gro_last_short = false;
	dev->gro_psh = (pkt[iphl + 13] & TCP_PSH) != 0;
}
