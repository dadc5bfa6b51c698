/*
 * uapi_apply.c - what a UAPI request does to the device (loop code): the
 * get reply from a snapshot, and a parsed set request applied through the
 * peer service (peers.h), so peers made with `wg set` are owner uapi.  The
 * socket side is uapi_server.c, the text protocol uapi.c.
 *
 * Key custody: the node has one identity.  A set with a private_key that is
 * not the node's (or all zero: "remove it") is refused with EPERM before
 * anything changes, so `wg set IF private-key FILE` fails; the node's own
 * key is accepted and changes nothing.  A get prints private_key= (the
 * stock `wg` derives the public key from it) from a copy that custody hands
 * out for this one purpose and that is wiped after the reply is built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"
#include "tunnel/uapi.h"

/* ---- get ---- */

struct aip_fill {
	struct tun_uapi_snap_aip *a;
	size_t n, cap;
};

static int aip_cb(int family, const uint8_t *addr, uint8_t cidr, void *ctx)
{
	struct aip_fill *f = ctx;
	if (f->n >= f->cap)
		return 1;
	struct tun_uapi_snap_aip *a = &f->a[f->n++];
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, addr, family == AF_INET ? 4 : 16);
	a->family = (uint8_t)family;
	a->cidr = cidr;
	return 0;
}

/* Serialize snap into a heap buffer, growing it until the text fits. */
static int write_get(const struct tun_uapi_snap *snap, char **out, size_t *len)
{
	size_t cap = 4096;
	int rc = -ENOMEM;
	for (int tries = 0; tries < 3; tries++) {
		char *buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		rc = tun_uapi_write_get(snap, buf, cap, len);
		if (rc == 0) {
			*out = buf;
			return 0;
		}
		sodium_memzero(buf, cap);
		free(buf);
		if (rc != SP_ETRUNC)
			return rc;
		cap = *len + 1;
	}
	return rc;
}

int tun__uapi_get(struct tun_device *dev, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	size_t n_aips = tun_aip_count(&dev->aip, NULL);
	struct tun_uapi_snap_peer *peers = calloc(dev->n_peers + 1, sizeof(*peers));
	struct aip_fill f = { calloc(n_aips + 1, sizeof(*f.a)), 0, n_aips };
	int rc = -ENOMEM;
	if (!peers || !f.a)
		goto done;
	size_t i = 0;
	for (struct tun_peer *p = dev->peers; p && i < dev->n_peers; p = p->next_peer, i++) {
		struct tun_uapi_snap_peer *s = &peers[i];
		memcpy(s->public_key, p->public_key, TUN_KEY_LEN);
		memcpy(s->preshared_key, p->hs.preshared_key, TUN_KEY_LEN);
		s->endpoint = p->direct.dst;
		s->last_handshake_sec = p->last_handshake.tv_sec;
		s->last_handshake_nsec = p->last_handshake.tv_nsec;
		s->tx_bytes = p->tx_bytes;
		s->rx_bytes = p->rx_bytes;
		s->keepalive = p->keepalive;
		size_t first = f.n;
		(void)tun_aip_walk_peer(&dev->aip, p, aip_cb, &f);
		s->aips = f.a + first;
		s->n_aips = f.n - first;
	}
	struct tun_uapi_snap snap = {
		.listen_port = dev->listen_port, .peers = peers, .n_peers = i,
	};
	/* A key process that refuses to export leaves private_key= out (keystore.h). */
	snap.has_private_key = sp_keys_export_wireguard(dev->keys, snap.private_key) == 0;
	rc = write_get(&snap, out, len);
	sodium_memzero(&snap, sizeof(snap));
done:
	if (peers) {
		sodium_memzero(peers, (dev->n_peers + 1) * sizeof(*peers));
		free(peers);
	}
	free(f.a);
	return rc;
}

/* ---- set ---- */

static int apply_peer(struct tun_peers *ps, const struct tun_uapi_set *s,
		      const struct tun_uapi_peer *up, struct tun_peer_aip *aips)
{
	if (sodium_memcmp(up->public_key, ps->dev->st.public_key, TUN_KEY_LEN) == 0)
		return 0;	/* our own key: ignored, as wireguard-go does */
	if (up->flags & TUN_UAPI_PEER_REMOVE) {
		int rc = tun_peers_remove(ps, SP_OWNER_UAPI, up->public_key);
		return rc == SP_ENOTFOUND ? 0 : rc;
	}
	struct tun_peer_spec spec;
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.public_key, up->public_key, TUN_KEY_LEN);
	if (up->flags & TUN_UAPI_PEER_UPDATE_ONLY)
		spec.flags |= TUN_PEER_UPDATE_ONLY;
	if (up->flags & TUN_UAPI_PEER_PRESHARED_KEY) {
		spec.flags |= TUN_PEER_SET_PSK;
		memcpy(spec.psk, up->preshared_key, TUN_KEY_LEN);
	}
	if (up->flags & TUN_UAPI_PEER_ENDPOINT) {
		spec.flags |= TUN_PEER_SET_ENDPOINT;
		_Static_assert(sizeof(spec.endpoint) >= sizeof(up->endpoint), "endpoint sizes");
		memcpy(&spec.endpoint, &up->endpoint, sizeof(up->endpoint));
	}
	if (up->flags & TUN_UAPI_PEER_KEEPALIVE) {
		spec.flags |= TUN_PEER_SET_KEEPALIVE;
		spec.keepalive = up->keepalive;
	}
	if (up->flags & TUN_UAPI_PEER_REPLACE_AIPS)
		spec.flags |= TUN_PEER_REPLACE_AIPS;
	for (uint32_t i = 0; i < up->aip_count; i++) {
		const struct tun_uapi_aip *a = &s->aips[up->aip_first + i];
		memcpy(aips[i].addr, a->addr, sizeof(aips[i].addr));
		aips[i].family = a->family;
		aips[i].cidr = a->cidr;
		aips[i].remove = a->remove;
	}
	spec.aips = aips;
	spec.n_aips = up->aip_count;
	int rc = tun_peers_set(ps, SP_OWNER_UAPI, &spec, NULL);
	sodium_memzero(spec.psk, sizeof(spec.psk));
	return rc;
}

static int apply_set(struct tun_device *dev, const struct tun_uapi_set *s)
{
	int rc;
	if ((s->flags & TUN_UAPI_SET_PRIVATE_KEY) &&
	    !sp_keys_is_wireguard_private(dev->keys, s->private_key)) {
		sp_warn("tunnel: UAPI private_key refused: the node has one identity "
			"(its key file); a different key would not match the published key");
		return -EPERM;
	}
	if (s->flags & TUN_UAPI_SET_LISTEN_PORT) {
		rc = tun_device_set_listen_port(dev, s->listen_port);
		if (rc)
			return rc;
	}
	/* Outside the plane (unit tests) the device has no service handle: use one here. */
	struct tun_peers local = { .dev = dev };
	struct tun_peers *ps = dev->svc ? dev->svc : &local;
	if (s->flags & TUN_UAPI_SET_REPLACE_PEERS)
		tun_peers_remove_replaceable(ps);
	struct tun_peer_aip *aips = calloc(s->n_aips + 1, sizeof(*aips));
	if (!aips)
		return -ENOMEM;
	rc = 0;
	for (uint32_t i = 0; i < s->n_peers && rc == 0; i++)
		rc = apply_peer(ps, s, &s->peers[i], aips);
	free(aips);
	return rc;
}

int tun__uapi_set(struct tun_device *dev, const char *text, size_t len)
{
	struct tun_uapi_set *s = tun_uapi_set_new();
	if (!s)
		return -ENOMEM;
	int rc = tun_uapi_parse_set(text, len, s);
	if (rc == 0)
		rc = apply_set(dev, s);
	if (rc)
		sp_info("tunnel: UAPI set refused: %s", sp_strerror(rc));
	tun_uapi_set_free(s);
	return rc < SP_EBASE ? -EINVAL : rc;
}
