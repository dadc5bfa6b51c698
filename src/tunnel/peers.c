/*
 * peers.c - the peer service (peers.h): add, update and remove peers on
 * behalf of an owner, who-is by overlay address, and the peer up/down
 * events.  Loop code; the peer's own mechanics are peer.c.
 */
#include "tunnel/peers.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "core/node.h"
#include "tunnel/device.h"

int tun_peers_init(struct tun_peers *ps, struct tun_device *dev, struct sp_node *node)
{
	memset(ps, 0, sizeof(*ps));
	ps->dev = dev;
	ps->node = node;
	if (node) {
		int rc = sp_service_provide(node, SP_SVC_PEERS, ps);
		if (rc)
			return rc;
		ps->provided = true;
	}
	dev->svc = ps;
	return 0;
}

void tun_peers_deinit(struct tun_peers *ps)
{
	if (!ps || !ps->dev)
		return;
	if (ps->provided)
		sp_service_withdraw(ps->node, SP_SVC_PEERS, ps);
	if (ps->dev->svc == ps)
		ps->dev->svc = NULL;
	memset(ps, 0, sizeof(*ps));
}

struct tun_peers *tun_peers_get(const struct sp_node *node)
{
	return sp_service_get(node, SP_SVC_PEERS);
}

/* May `by` change a peer that `owner` made?  (peers.h: the rules) */
static bool may_change(enum sp_owner owner, enum sp_owner by)
{
	return by == owner || by == SP_OWNER_CONFIG || by == SP_OWNER_UAPI;
}

static bool may_remove(enum sp_owner owner, enum sp_owner by)
{
	return by == owner || by == SP_OWNER_UAPI;
}

static void apply_aips(struct tun_device *dev, struct tun_peer *p,
		       const struct tun_peer_spec *spec, int *first_err)
{
	if (spec->flags & TUN_PEER_REPLACE_AIPS)
		tun_aip_remove_peer(&dev->aip, p);
	for (size_t i = 0; i < spec->n_aips; i++) {
		const struct tun_peer_aip *a = &spec->aips[i];
		int rc = a->remove ? tun_aip_remove(&dev->aip, a->family, a->addr, a->cidr, p)
				   : tun_aip_insert(&dev->aip, a->family, a->addr, a->cidr, p);
		/* removing a prefix the peer does not have is not an error (as wireguard-go) */
		if (rc && !(a->remove && rc == SP_ENOTFOUND) && *first_err == 0)
			*first_err = rc;
	}
}

int tun_peers_set(struct tun_peers *ps, enum sp_owner owner, const struct tun_peer_spec *spec,
		  struct tun_peer **out)
{
	struct tun_device *dev = ps->dev;
	if (out)
		*out = NULL;
	if ((unsigned)owner >= SP_OWNER_MAX ||
	    sodium_memcmp(spec->public_key, dev->st.public_key, TUN_KEY_LEN) == 0)
		return -EINVAL;
	const uint8_t *psk = NULL;
	if ((spec->flags & TUN_PEER_SET_PSK) && !sodium_is_zero(spec->psk, TUN_KEY_LEN))
		psk = spec->psk;
	struct tun_peer *p = tun_peer_find(dev, spec->public_key);
	if (p && !may_change(p->owner, owner))
		return -EBUSY;
	if (!p) {
		if (spec->flags & TUN_PEER_UPDATE_ONLY)
			return 0;
		int rc = tun_peer_new(dev, spec->public_key, psk, &p);
		if (rc)
			return rc;
		p->owner = owner;
	} else {
		if (owner == SP_OWNER_CONFIG && p->owner != SP_OWNER_CONFIG) {
			/* Configuration takes over a run-time peer; its session stays. */
			sp_info("tunnel: a [peer] section takes over a peer that %s made",
				sp_owner_name(p->owner));
			p->owner = SP_OWNER_CONFIG;
		}
		/* Only the key changes: the sessions derived with the old PSK run on. */
		if (spec->flags & TUN_PEER_SET_PSK)
			tun_noise_handshake_set_psk(&p->hs, psk);
	}
	if (spec->flags & TUN_PEER_SET_ENDPOINT)
		tun_peer_set_endpoint(p, &spec->endpoint.sa);
	int err = 0;
	apply_aips(dev, p, spec, &err);
	if (spec->n_aips)
		tun__peer_routes_apply(p);	/* a relayed peer's new host routes get its MTU */
	if (spec->flags & TUN_PEER_SET_KEEPALIVE) {
		bool was_off = p->keepalive == 0;
		p->keepalive = spec->keepalive;
		/* wireguard-go sends one at once when persistent keepalive is switched on */
		if (was_off && p->keepalive && p->direct.dst.sa.sa_family)
			tun_send_keepalive(p);
	}
	/* Packets that waited for an address this peer now holds go to it (nopeer.c). */
	tun__pending_release(dev);
	if (out)
		*out = p;
	return err;
}

int tun_peers_remove(struct tun_peers *ps, enum sp_owner owner,
		     const uint8_t public_key[TUN_KEY_LEN])
{
	struct tun_peer *p = tun_peer_find(ps->dev, public_key);
	if (!p)
		return SP_ENOTFOUND;
	if (!may_remove(p->owner, owner))
		return -EBUSY;
	tun_peer_remove(p);
	return 0;
}

void tun_peers_remove_replaceable(struct tun_peers *ps)
{
	for (struct tun_peer *p = ps->dev->peers, *next; p; p = next) {
		next = p->next_peer;
		if (p->owner == SP_OWNER_CONFIG || p->owner == SP_OWNER_UAPI)
			tun_peer_remove(p);
	}
}

const struct tun_peer *tun_whois(const struct tun_peers *ps, const uint8_t overlay_addr[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!ps || !ps->dev)
		return NULL;
	if (memcmp(overlay_addr, v4mapped, sizeof(v4mapped)) == 0)
		return tun_aip_lookup4(&ps->dev->aip, overlay_addr + 12);
	return tun_aip_lookup6(&ps->dev->aip, overlay_addr);
}

const struct tun_peer *tun_peers_find(const struct tun_peers *ps,
				      const uint8_t public_key[TUN_KEY_LEN])
{
	return tun_peer_find(ps->dev, public_key);
}

size_t tun_peers_count(const struct tun_peers *ps, enum sp_owner owner)
{
	size_t n = 0;
	for (const struct tun_peer *p = ps->dev->peers; p; p = p->next_peer)
		if (owner == SP_OWNER_MAX || p->owner == owner)
			n++;
	return n;
}

const uint8_t *tun_peer_public_key(const struct tun_peer *p)
{
	return p->public_key;
}

enum sp_owner tun_peer_owner(const struct tun_peer *p)
{
	return p->owner;
}

bool tun_peer_is_up(const struct tun_peer *p)
{
	return p->up;
}

static void emit(struct tun_peer *p, enum sp_event_type type)
{
	struct tun_peers *ps = p->dev->svc;
	if (!ps || !ps->node)
		return;
	struct sp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	memcpy(ev.u.peer.public_key, p->public_key, TUN_KEY_LEN);
	ev.u.peer.owner = p->owner;
	sp_event_emit(ps->node, &ev);
}

void tun__peer_session_up(struct tun_peer *p)
{
	if (p->up || p->dead)
		return;
	p->up = true;
	emit(p, SP_EV_PEER_UP);
}

void tun__peer_session_down(struct tun_peer *p)
{
	if (!p->up)
		return;
	p->up = false;
	emit(p, SP_EV_PEER_DOWN);
}
