/*
 * device.c - the tunnel device: TUN fd, its place on the node's transport,
 * index table, load detection.  Loop code: everything runs on the uv loop thread.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/hash.h"
#include "tunnel/tundev.h"

/*
 * Packets the kernel queues for us on the TUN device.  The default (500)
 * overflows while the loop is busy with a receive batch and TCP then backs
 * off; a few batches more absorb that without building a long queue.
 */
#define TUN_TXQUEUELEN 2000

/*
 * Open the TUN interface with a virtio_net_hdr on every packet (IFF_VNET_HDR)
 * so that received TCP segments can be written coalesced (gro.c).  No
 * offloads are enabled for reading: the kernel hands us whole, checksummed
 * packets.  Returns 0 or -errno; the caller falls back to tun_dev_open().
 */
static int tun_open_vnet(const char *name, int *fd, char actual[IFNAMSIZ])
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (name && strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	if (name)
		memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	int t = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t < 0)
		return -errno;
	int hdr = (int)sizeof(struct virtio_net_hdr);
	if (ioctl(t, TUNSETIFF, &ifr) < 0 || ioctl(t, TUNSETVNETHDRSZ, &hdr) < 0) {
		int e = -errno;
		close(t);
		return e;
	}
	/* Let the kernel hand us TCP super-packets (cut in send.c / gro.c). */
	if (ioctl(t, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0)
		sp_debug("tunnel: TUN offloads unavailable: %s", strerror(errno));
	memcpy(actual, ifr.ifr_name, IFNAMSIZ);
	actual[IFNAMSIZ - 1] = '\0';
	*fd = t;
	return 0;
}

/* Set the TUN interface's queue length; failure only costs speed. */
static void set_txqueuelen(const char *ifname, int qlen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_qlen = qlen;
	if (ioctl(s, SIOCSIFTXQLEN, &ifr) != 0)
		sp_debug("tunnel: cannot set the queue length of %s", ifname);
	close(s);
}

uint64_t tun_now(void)
{
	return uv_hrtime();
}

/* ---- index table: open addressing, linear probing, backward-shift delete ---- */

static size_t slot_of(uint32_t index)
{
	/* indices are random already */
	return (index * 2654435761u) & (TUN_INDEX_SLOTS - 1);
}

struct tun_index_entry *tun__index_find(struct tun_device *dev, uint32_t index)
{
	if (index == 0)
		return NULL;
	size_t i = slot_of(index);
	for (size_t n = 0; n < TUN_INDEX_SLOTS; n++, i = (i + 1) & (TUN_INDEX_SLOTS - 1)) {
		if (dev->index[i].index == index)
			return &dev->index[i];
		if (dev->index[i].index == 0)
			return NULL;
	}
	return NULL;
}

uint32_t tun__index_add(struct tun_device *dev, struct tun_peer *peer,
			struct tun_noise_keypair *kp)
{
	for (;;) {
		uint32_t index = randombytes_random();
		if (index == 0 || tun__index_find(dev, index))
			continue;
		size_t i = slot_of(index);
		while (dev->index[i].index != 0)
			i = (i + 1) & (TUN_INDEX_SLOTS - 1);
		dev->index[i] = (struct tun_index_entry){
			.index = index, .is_keypair = kp != NULL, .peer = peer, .kp = kp
		};
		return index;
	}
}

void tun__index_set_keypair(struct tun_device *dev, uint32_t index, struct tun_noise_keypair *kp)
{
	struct tun_index_entry *e = tun__index_find(dev, index);
	if (e) {
		e->is_keypair = true;
		e->kp = kp;
	}
}

void tun__index_del(struct tun_device *dev, uint32_t index)
{
	struct tun_index_entry *e = tun__index_find(dev, index);
	if (!e)
		return;
	size_t i = (size_t)(e - dev->index);
	size_t j = i;
	dev->index[i].index = 0;
	/* Shift later members of the probe run back so lookups never stop early. */
	for (;;) {
		j = (j + 1) & (TUN_INDEX_SLOTS - 1);
		if (dev->index[j].index == 0)
			return;
		size_t k = slot_of(dev->index[j].index);
		bool movable = (i <= j) ? (k <= i || k > j) : (k <= i && k > j);
		if (movable) {
			dev->index[i] = dev->index[j];
			dev->index[j].index = 0;
			i = j;
		}
	}
}

/* ---- load ---- */

bool tun__under_load(struct tun_device *dev, uint64_t now)
{
	if (now - dev->load_window_start >= TUN_NSEC_PER_SEC) {
		dev->load_prev = (now - dev->load_window_start < 2 * TUN_NSEC_PER_SEC)
					 ? dev->load_count : 0;
		dev->load_window_start = now;
		dev->load_count = 0;
	}
	dev->load_count++;
	/* Stay under load for a second after the rate falls, as WireGuard does. */
	if (dev->load_count > TUN_LOAD_HANDSHAKES_PER_SEC ||
	    dev->load_prev > TUN_LOAD_HANDSHAKES_PER_SEC)
		dev->under_load_until = now + TUN_NSEC_PER_SEC;
	return now < dev->under_load_until;
}

/* ---- sockets ---- */

static void on_tun_poll(uv_poll_t *h, int status, int events)
{
	struct tun_device *dev = h->data;
	if (status < 0 || !(events & UV_READABLE))
		return;
	tun__tun_readable(dev);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct tun_device *dev = h->data;
	if (--dev->open_handles == 0 && dev->on_closed)
		dev->on_closed(dev);
}

int tun_device_set_listen_port(struct tun_device *dev, uint16_t port)
{
	int rc = sp_transport_set_port(dev->transport, port);
	dev->listen_port = sp_transport_port(dev->transport);
	return rc;
}

/* The handshake's static Diffie-Hellman, answered by key custody. */
static int keys_dh(void *ctx, const uint8_t pub[TUN_KEY_LEN], uint8_t out[TUN_KEY_LEN])
{
	return sp_keys_dh(ctx, pub, out);
}

int tun_device_init(struct tun_device *dev, uv_loop_t *loop, struct sp_keys *keys,
		    const char *ifname, size_t mtu, struct sp_transport *transport)
{
	memset(dev, 0, sizeof(*dev));
	dev->loop = loop;
	dev->tun_fd = -1;
	dev->mtu = mtu;
	dev->transport = transport;
	dev->listen_port = sp_transport_port(transport);
	tun_aip_init(&dev->aip);
	int rc = tun_crypto_init();
	if (rc)
		return rc;
	dev->keys = keys;
	rc = tun_noise_static_init(&dev->st, sp_keys_x_public(keys), keys_dh, keys);
	if (rc)
		return rc;
	rc = tun_cookie_checker_init(&dev->checker, dev->st.public_key);
	if (rc)
		goto out_static;
	rc = tun_ratelimiter_init(&dev->rl);
	if (rc)
		goto out_mem;
	rc = -ENOMEM;
	dev->index = calloc(TUN_INDEX_SLOTS, sizeof(*dev->index));
	/* room for the header, the padded packet and the tag */
	dev->buf_size = TUN_MSG_DATA_HEADER_LEN + mtu + TUN_MESSAGE_PADDING_MULTIPLE +
			TUN_AUTHTAG_LEN + 64;
	dev->tx_bufs = malloc(dev->buf_size * TUN_BATCH);
	if (!dev->index || !dev->tx_bufs)
		goto out_mem;
	/* packets of up to what the send path reads (send.c pktcap) wait for a peer */
	tun_pend_init(&dev->pend, dev->buf_size - TUN_MSG_DATA_HEADER_LEN -
					  TUN_MESSAGE_PADDING_MULTIPLE - TUN_AUTHTAG_LEN);
	dev->gro_buf = malloc(65536);
	dev->tso_buf = malloc(TUN_TSO_MAX);
	rc = dev->gro_buf && dev->tso_buf ? tun_open_vnet(ifname, &dev->tun_fd, dev->ifname) : -ENOMEM;
	dev->vnet_hdr = rc == 0;
	if (rc)
		rc = tun_dev_open(ifname, &dev->tun_fd, dev->ifname);
	if (rc) {
		sp_err("tunnel: cannot create TUN interface %s: %s", ifname, sp_strerror(rc));
		goto out_mem;
	}
	rc = tun_dev_set_mtu(dev->ifname, (uint32_t)mtu);
	if (rc)
		goto out_tun;
	set_txqueuelen(dev->ifname, TUN_TXQUEUELEN);
	rc = sp_transport_register(transport, SP_KIND_WIREGUARD, tun__recv, tun__recv_batch_end, dev);
	if (rc) {
		sp_err("tunnel: the transport has a WireGuard handler already");
		goto out_tun;
	}
	/* Register with the loop last: nothing above needs asynchronous undo. */
	rc = sp_from_uv(uv_poll_init(loop, &dev->tun_poll, dev->tun_fd));
	if (rc)
		goto out_registered;
	dev->tun_poll.data = dev;
	dev->open_handles++;
	dev->tun_poll_on = true;
	/* on error the caller runs tun_device_close() */
	return sp_from_uv(uv_poll_start(&dev->tun_poll, UV_READABLE, on_tun_poll));

out_registered:
	sp_transport_unregister(transport, SP_KIND_WIREGUARD, dev);
out_tun:
	close(dev->tun_fd);
	dev->tun_fd = -1;
out_mem:
	free(dev->index);
	free(dev->tx_bufs);
	free(dev->gro_buf);
	free(dev->tso_buf);
	dev->gro_buf = dev->tso_buf = NULL;
	dev->index = NULL;
	dev->tx_bufs = NULL;
	tun_ratelimiter_deinit(&dev->rl);
	tun_cookie_checker_deinit(&dev->checker);
out_static:
	tun_noise_static_deinit(&dev->st);
	return rc;
}

static void device_free_state(struct tun_device *dev)
{
	tun_pend_deinit(&dev->pend);
	tun_aip_deinit(&dev->aip);
	free(dev->index);
	dev->index = NULL;
	free(dev->tx_bufs);
	free(dev->gro_buf);
	free(dev->tso_buf);
	dev->gro_buf = dev->tso_buf = NULL;
	dev->tx_bufs = NULL;
	tun_ratelimiter_deinit(&dev->rl);
	tun_cookie_checker_deinit(&dev->checker);
	tun_noise_static_deinit(&dev->st);
}

void tun_device_close(struct tun_device *dev)
{
	if (dev->closing)
		return;
	dev->closing = true;
	sp_transport_unregister(dev->transport, SP_KIND_WIREGUARD, dev);
	tun_uapi_server_stop(dev);
	while (dev->peers)
		tun_peer_remove(dev->peers);
	/* Keep one reference while closing so on_closed cannot run early. */
	dev->open_handles++;
	if (dev->tun_poll_on) {
		uv_poll_stop(&dev->tun_poll);
		uv_close((uv_handle_t *)&dev->tun_poll, on_handle_closed);
		dev->tun_poll_on = false;
	}
	/* uv_poll does not own the fd: closing it deletes the interface. */
	if (dev->tun_fd >= 0)
		close(dev->tun_fd);
	dev->tun_fd = -1;
	device_free_state(dev);
	if (--dev->open_handles == 0 && dev->on_closed)
		dev->on_closed(dev);
}
