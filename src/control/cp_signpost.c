/*
 * cp_signpost.c - the signpost role of the control plane (loop code):
 * REGISTER (enrollment by token, then keep-alive), CONNECT (own devices
 * and friends' devices, policy, call-me-maybe), RELAY between nodes with no
 * direct path, and REVOKE/FRIENDS pushed to its devices.
 *
 * Refusals are answered only as large as the request (the sender may be a
 * stranger) and never carry an address of a device.
 */
#include <errno.h>
#include <ldns/ldns.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/cp_signpost.h"
#include "control/cp_token.h"
#include "core/log.h"
#include "core/status.h"
#include "dns/hostkey.h"
#include "dns/resolver.h"
#include "dns/zone.h"
#include "dns/zone_svc.h"
#include "tunnel/overlay.h"

#define PAIR_LIFE_NS (90ull * 1000000000ull)	/* a relay pair without traffic or connect */
#define DEVICE_TTL 300				/* TTL of a device's AAAA and KEY */

extern struct sp_interval cp_iv_register;

static bool dev_online(const struct cp_sdev *d, uint64_t now)
{
	return d->ep.sa.sa_family != 0 &&
	       now - d->last_ns < 3 * cp_iv_register.ms * 1000000ull;
}

static struct cp_sdev *dev_by_key(struct cp_signpost *s, const uint8_t ed[32])
{
	for (size_t i = 0; i < CP_DEVICES_MAX; i++)
		if (s->dev[i].used && !s->dev[i].revoked && memcmp(s->dev[i].ed, ed, 32) == 0)
			return &s->dev[i];
	return NULL;
}

struct cp_sdev *cp__dev_by_name(struct cp_signpost *s, const char *name)
{
	for (size_t i = 0; i < CP_DEVICES_MAX; i++)
		if (s->dev[i].used && !s->dev[i].revoked && strcasecmp(s->dev[i].name, name) == 0)
			return &s->dev[i];
	return NULL;
}

static struct cp_sdev *dev_by_overlay(struct cp_signpost *s, const uint8_t addr[16])
{
	for (size_t i = 0; i < CP_DEVICES_MAX; i++)
		if (s->dev[i].used && !s->dev[i].revoked &&
		    memcmp(s->dev[i].overlay, addr, 16) == 0)
			return &s->dev[i];
	return NULL;
}

static struct cp_sdev *dev_add(struct cp_signpost *s, const uint8_t ed[32], const char *name)
{
	struct cp_sdev *d = dev_by_key(s, ed);
	if (d)
		return d;
	for (size_t i = 0; i < CP_DEVICES_MAX; i++) {
		if (s->dev[i].used)
			continue;
		d = &s->dev[i];
		memset(d, 0, sizeof(*d));
		d->used = true;
		memcpy(d->ed, ed, 32);
		snprintf(d->name, sizeof(d->name), "%s", name);
		if (tun_overlay_addr(s->cp->zone, ed, d->overlay) != 0)
			memset(d->overlay, 0, 16);
		return d;
	}
	return NULL;
}

/* The device list is the zone's KEY records one label below the apex (not my own). */
void cp__devices_reload(struct cp_signpost *s)
{
	struct dns_zone_svc *zs = dns_zone_svc_get(s->cp->node);
	ldns_rr_list *keys = NULL;
	if (zs == NULL || dns_zone_svc_each_type(zs, LDNS_RR_TYPE_KEY, &keys) != 0)
		keys = NULL;
	bool seen[CP_DEVICES_MAX] = { false };
	const ldns_rdf *origin = zs ? dns_zone_svc_origin(zs) : NULL;
	for (size_t i = 0; keys && i < ldns_rr_list_rr_count(keys); i++) {
		ldns_rr *rr = ldns_rr_list_rr(keys, i);
		uint8_t ed[DNS_HOSTKEY_LEN];
		if (dns_hostkey_parse(rr, ed) != 0 ||
		    ldns_dname_label_count(ldns_rr_owner(rr)) != ldns_dname_label_count(origin) + 1)
			continue;
		if (memcmp(ed, s->cp->ed, 32) == 0)
			continue;
		ldns_rdf *label = ldns_dname_label(ldns_rr_owner(rr), 0);
		char *text = label ? ldns_rdf2str(label) : NULL;
		if (text) {
			size_t n = strlen(text);
			if (n && text[n - 1] == '.')
				text[n - 1] = '\0';
			struct cp_sdev *d = dev_add(s, ed, text);
			if (d)
				seen[d - s->dev] = true;
		}
		free(text);
		ldns_rdf_deep_free(label);
	}
	ldns_rr_list_deep_free(keys);
	for (size_t i = 0; i < CP_DEVICES_MAX; i++)
		if (s->dev[i].used && !seen[i])
			memset(&s->dev[i], 0, sizeof(s->dev[i]));
}

static void on_zone_changed(void *arg, const struct sp_event *ev)
{
	(void)ev;
	cp__devices_reload(arg);
}

/* ---- relay pairs ---- */

static struct cp_pair *pair_find(struct cp_signpost *s, const uint8_t x[32], const uint8_t y[32],
				 bool *swapped, uint64_t now)
{
	for (size_t i = 0; i < CP_PAIRS_MAX; i++) {
		struct cp_pair *p = &s->pair[i];
		if (!p->used)
			continue;
		if (now > p->expires_ns) {
			p->used = false;
			continue;
		}
		if (memcmp(p->a, x, 32) == 0 && memcmp(p->b, y, 32) == 0) {
			*swapped = false;
			return p;
		}
		if (memcmp(p->a, y, 32) == 0 && memcmp(p->b, x, 32) == 0) {
			*swapped = true;
			return p;
		}
	}
	return NULL;
}

static void pair_allow(struct cp_signpost *s, const uint8_t a[32], const union sp_endpoint *a_ep,
		       const uint8_t b[32], uint64_t now)
{
	bool swapped;
	struct cp_pair *p = pair_find(s, a, b, &swapped, now), *oldest = NULL;
	for (size_t i = 0; !p && i < CP_PAIRS_MAX; i++) {
		if (!s->pair[i].used) {
			p = &s->pair[i];
			break;
		}
		if (!oldest || s->pair[i].expires_ns < oldest->expires_ns)
			oldest = &s->pair[i];
	}
	if (!p) {
		p = oldest;
	}
	if (!p->used || memcmp(p->a, a, 32) != 0 || memcmp(p->b, b, 32) != 0) {
		if (!p->used || !(memcmp(p->a, b, 32) == 0 && memcmp(p->b, a, 32) == 0)) {
			memset(p, 0, sizeof(*p));
			memcpy(p->a, a, 32);
			memcpy(p->b, b, 32);
			p->a_ep = *a_ep;
		} else {
			p->b_ep = *a_ep;
		}
	} else {
		p->a_ep = *a_ep;
	}
	p->used = true;
	p->expires_ns = now + PAIR_LIFE_NS;
}

static void pairs_forget(struct cp_signpost *s, const uint8_t ed[32])
{
	for (size_t i = 0; i < CP_PAIRS_MAX; i++)
		if (s->pair[i].used &&
		    (memcmp(s->pair[i].a, ed, 32) == 0 || memcmp(s->pair[i].b, ed, 32) == 0))
			s->pair[i].used = false;
}

/* ---- REGISTER ---- */

static enum cp_status check_token(struct cp_signpost *s, const uint8_t ed[32],
				  const struct cp_register *r, struct cp_tok **out)
{
	uint8_t h[32];
	if (cp_token_secret_hash(r->token_secret, h) != 0)
		return CP_E_BUSY;
	for (size_t i = 0; i < CP_TOKENS_MAX; i++) {
		struct cp_tok *t = &s->tok[i];
		if (!t->used || sodium_memcmp(t->id, r->token_id, 16) != 0)
			continue;
		if (sodium_memcmp(t->hash, h, 32) != 0 || strcasecmp(t->name, r->name) != 0)
			return CP_E_TOKEN_FORGED;
		if (t->spent)
			return CP_E_TOKEN_REUSED;
		if (t->expiry < (int64_t)time(NULL))
			return CP_E_TOKEN_EXPIRED;
		struct cp_sdev *other = cp__dev_by_name(s, r->name);
		if (other && memcmp(other->ed, ed, 32) != 0)
			return CP_E_NAME_TAKEN;
		*out = t;
		return CP_OK;
	}
	return CP_E_TOKEN_FORGED;
}

/*
 * The device list's record: _devices.ZONE PTR NAME.ZONE, one per device,
 * so the user's devices find each other (the store syncs with them) with a
 * validated lookup.  Friends can read it as they can read NAME's AAAA.
 */
static int device_ptr(struct cp_signpost *s, const char *fqdn, ldns_rr **out)
{
	char line[600];
	snprintf(line, sizeof(line), "_devices.%s %d IN PTR %s", s->cp->zone, DEVICE_TTL, fqdn);
	return ldns_rr_new_frm_str(out, line, DEVICE_TTL, NULL, NULL) == LDNS_STATUS_OK ? 0
											: SP_ELDNS;
}

/* Publish NAME AAAA (overlay), NAME KEY 512 3 15 (the key) and its PTR in one change. */
static int publish(struct cp_signpost *s, const char *name, const uint8_t ed[32],
		   const uint8_t overlay[16])
{
	struct dns_zone_svc *zs = dns_zone_svc_get(s->cp->node);
	if (zs == NULL)
		return SP_ESTATE;
	char fqdn[256], line[512], a[INET6_ADDRSTRLEN];
	cp__fqdn(fqdn, sizeof(fqdn), name, s->cp->zone);
	inet_ntop(AF_INET6, overlay, a, sizeof(a));
	struct dns_changeset *cs = dns_changeset_new();
	ldns_rdf *owner = ldns_dname_new_frm_str(fqdn);
	ldns_rr *aaaa = NULL, *key = NULL, *ptr = NULL;
	int rc = cs && owner ? 0 : -ENOMEM;
	snprintf(line, sizeof(line), "%s %d IN AAAA %s", fqdn, DEVICE_TTL, a);
	if (rc == 0 && ldns_rr_new_frm_str(&aaaa, line, DEVICE_TTL, NULL, NULL) != LDNS_STATUS_OK)
		rc = SP_ELDNS;
	if (rc == 0)
		rc = dns_hostkey_rr(owner, DEVICE_TTL, ed, &key);
	if (rc == 0)
		rc = device_ptr(s, fqdn, &ptr);
	/* The changeset owns what it is given, added or not. */
	if (rc == 0) {
		rc = dns_changeset_add(cs, aaaa);
		aaaa = NULL;
	}
	if (rc == 0) {
		rc = dns_changeset_add(cs, key);
		key = NULL;
	}
	if (rc == 0) {
		rc = dns_changeset_add(cs, ptr);
		ptr = NULL;
	}
	ldns_rr_free(aaaa);
	ldns_rr_free(key);
	ldns_rr_free(ptr);
	ldns_rdf_deep_free(owner);
	uint32_t serial = 0;
	if (rc == 0)
		rc = dns_zone_svc_apply(zs, cs, &serial);
	dns_changeset_free(cs);
	return rc;
}

/*
 * A device enrolled before the _devices PTR existed has none: publish the
 * missing ones, in one change, when the signpost starts.
 */
static void devices_ptr_backfill(struct cp_signpost *s)
{
	struct dns_zone_svc *zs = dns_zone_svc_get(s->cp->node);
	char list[300];
	snprintf(list, sizeof(list), "_devices.%s", s->cp->zone);
	ldns_rdf *owner = ldns_dname_new_frm_str(list);
	ldns_rr_list *have = NULL;
	if (!zs || !owner || dns_zone_svc_lookup(zs, owner, LDNS_RR_TYPE_PTR, &have) == -ENOMEM) {
		ldns_rdf_deep_free(owner);
		return;
	}
	struct dns_changeset *cs = dns_changeset_new();
	size_t added = 0;
	int rc = cs ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < CP_DEVICES_MAX; i++) {
		const struct cp_sdev *d = &s->dev[i];
		if (!d->used || d->revoked)
			continue;
		char fqdn[256];
		cp__fqdn(fqdn, sizeof(fqdn), d->name, s->cp->zone);
		ldns_rdf *target = ldns_dname_new_frm_str(fqdn);
		bool found = false;
		for (size_t k = 0; target && have && k < ldns_rr_list_rr_count(have); k++) {
			const ldns_rdf *t = ldns_rr_rdf(ldns_rr_list_rr(have, k), 0);
			found |= t && ldns_dname_compare(t, target) == 0;
		}
		ldns_rdf_deep_free(target);
		ldns_rr *ptr = NULL;
		if (found || (rc = device_ptr(s, fqdn, &ptr)) != 0)
			continue;
		rc = dns_changeset_add(cs, ptr);
		added++;
	}
	uint32_t serial;
	if (rc == 0 && added)
		rc = dns_zone_svc_apply(zs, cs, &serial);
	if (rc)
		sp_warn("control: cannot publish _devices PTR records: %s", sp_strerror(rc));
	else if (added)
		sp_log(SP_LOG_INFO, "control: published _devices PTR for %zu device(s) enrolled before",
		       added);
	dns_changeset_free(cs);
	ldns_rr_list_deep_free(have);
	ldns_rdf_deep_free(owner);
}

static void send_friends(struct cp_signpost *s, const struct cp_sdev *d)
{
	size_t parts = (s->n_friends + CP_FRIENDS_MAX - 1) / CP_FRIENDS_MAX;
	if (parts == 0)
		parts = 1;
	for (size_t p = 0; p < parts; p++) {
		struct cp_msg m = { .type = CP_FRIENDS };
		struct cp_friends *f = &m.u.friends;
		f->generation = s->friends_gen;
		f->part = (uint8_t)p;
		f->parts = (uint8_t)parts;
		for (size_t i = p * CP_FRIENDS_MAX; i < s->n_friends && f->n < CP_FRIENDS_MAX; i++) {
			struct cp_friend *e = &f->f[f->n++];
			snprintf(e->zone, sizeof(e->zone), "%s", s->friends[i].zone);
			snprintf(e->anchor, sizeof(e->anchor), "%s", s->friends[i].anchor);
			e->n_ep = 0;
			if (s->friends[i].dns.sa.sa_family)
				e->ep[e->n_ep++] = s->friends[i].dns;
		}
		if (cp__send(s->cp, d->ed, &d->ep, &m, 0, CP_NO_LIMIT) != 0)
			sp_log_rl(SP_LOG_INFO, "control: friends list not sent to %s", d->name);
	}
}

static void reply_register(struct cp_signpost *s, const struct cp_in *in, enum cp_status st,
			   const struct cp_sdev *d)
{
	struct cp_msg r = { .type = CP_REGISTER_ACK };
	r.u.reg_ack.status = st;
	r.u.reg_ack.observed = *in->src;
	if (d)
		memcpy(r.u.reg_ack.overlay, d->overlay, 16);
	r.u.reg_ack.keepalive_s = (uint16_t)((cp_iv_register.ms + 999) / 1000);
	(void)s;
	if (cp__send(s->cp, in->sender, in->src, &r, 0, d ? CP_NO_LIMIT : in->len) != 0)
		sp_log_rl(SP_LOG_INFO, "control: register reply not sent");
}

static void on_register(struct cp_signpost *s, const struct cp_in *in, struct cp_msg *m)
{
	struct cp_register *r = &m->u.reg;
	char who[SP_ENDPOINT_STRLEN];
	sp_endpoint_format(in->src, who);
	struct cp_sdev *d = dev_by_key(s, in->sender);
	if (d == NULL && r->has_token) {
		struct cp_tok *t = NULL;
		enum cp_status st = check_token(s, in->sender, r, &t);
		if (st == CP_OK) {
			uint8_t overlay[16];
			int rc = tun_overlay_addr(s->cp->zone, in->sender, overlay);
			if (rc == 0)
				rc = publish(s, t->name, in->sender, overlay);
			if (rc) {
				sp_err("control: cannot publish %s: %s", t->name, sp_strerror(rc));
				st = CP_E_BUSY;
			} else {
				t->spent = true;
				if (cp__tokens_save(s) != 0)
					sp_warn("control: tokens file not written");
				d = dev_add(s, in->sender, t->name);
				s->enrolled++;
				sp_notice("control: enrolled %s.%s from %s (token spent)", t->name,
					  s->cp->zone, who);
			}
		}
		if (st != CP_OK) {
			s->tokens_refused++;
			sp_log_rl(SP_LOG_NOTICE, "control: enrollment of '%s' from %s refused: %s",
				  r->name, who, cp_status_str(st));
			reply_register(s, in, st, NULL);
			return;
		}
	}
	if (d == NULL) {
		bool revoked = false;
		for (size_t i = 0; i < CP_DEVICES_MAX && i < s->n_revoked; i++)
			revoked |= memcmp(s->revoked[i], in->sender, 32) == 0;
		sp_log_rl(SP_LOG_INFO, "control: register from %s key at %s refused",
			  revoked ? "a revoked" : "an unknown", who);
		reply_register(s, in, revoked ? CP_E_REVOKED : CP_E_UNKNOWN_DEVICE, NULL);
		return;
	}
	if (d->ep.sa.sa_family == 0 || !sp_endpoint_equal(&d->ep, in->src))
		sp_info("control: %s.%s is at %s", d->name, s->cp->zone, who);
	d->ep = *in->src;
	d->n_local = r->n_ep;
	memcpy(d->local, r->ep, sizeof(d->local));
	d->last_ns = in->now;
	d->last_wall = (int64_t)time(NULL);
	reply_register(s, in, CP_OK, d);
	send_friends(s, d);
}

/* ---- CONNECT ---- */

static void refuse_connect(struct cp_signpost *s, const uint8_t to[32],
			   const union sp_endpoint *src, size_t limit, uint64_t req_id,
			   enum cp_status st)
{
	struct cp_msg r = { .type = CP_CONNECT_ACK };
	r.u.connect_ack.req_id = req_id;
	r.u.connect_ack.status = st;
	s->refused_connects++;
	if (cp__send(s->cp, to, src, &r, 0, limit) != 0)
		sp_log_rl(SP_LOG_INFO, "control: refusal not sent");
}

static void endpoints_of(struct cp_signpost *s, const struct cp_sdev *d, union sp_endpoint *ep,
			 uint8_t *n)
{
	*n = 0;
	/* The address of a device on TLS is a TCP one: no candidate for UDP probes. */
	if (cp__tls_route(s->cp, d->ed) == NULL)
		ep[(*n)++] = d->ep;
	for (size_t i = 0; i < d->n_local && *n < CP_EP_MAX; i++)
		ep[(*n)++] = d->local[i];
}

/*
 * Accept a connect from `from` (its FQDN, key, overlay, where it is) to my
 * device t: the pair may relay, t hears who is coming, `from` gets t's
 * endpoints.
 */
static void accept_connect(struct cp_signpost *s, const uint8_t from[32], const char *from_fqdn,
			   const union sp_endpoint *src, const struct cp_connect *c,
			   struct cp_sdev *t, uint64_t now)
{
	char who[256];
	pair_allow(s, from, src, t->ed, now);
	struct cp_msg cmm = { .type = CP_CALL_ME_MAYBE };
	struct cp_call_me_maybe *k = &cmm.u.cmm;
	snprintf(k->name, sizeof(k->name), "%s", from_fqdn);
	memcpy(k->key, from, 32);
	char label[64], zone[256];
	if (!cp__split(from_fqdn, label, zone) || tun_overlay_addr(zone, from, k->overlay) != 0)
		memset(k->overlay, 0, 16);
	if (cp__tls_route(s->cp, from) == NULL)
		k->ep[k->n_ep++] = *src;	/* (a TCP address, on TLS: no candidate) */
	for (size_t i = 0; i < c->n_ep && k->n_ep < CP_EP_MAX; i++)
		k->ep[k->n_ep++] = c->ep[i];
	if (cp__send(s->cp, t->ed, &t->ep, &cmm, 0, CP_NO_LIMIT) != 0)
		sp_log_rl(SP_LOG_INFO, "control: call-me-maybe to %s not sent", t->name);

	struct cp_msg r = { .type = CP_CONNECT_ACK };
	struct cp_connect_ack *a = &r.u.connect_ack;
	a->req_id = c->req_id;
	a->status = CP_OK;
	cp__fqdn(a->name, sizeof(a->name), t->name, s->cp->zone);
	memcpy(a->key, t->ed, 32);
	memcpy(a->overlay, t->overlay, 16);
	endpoints_of(s, t, a->ep, &a->n_ep);
	if (cp__send(s->cp, from, src, &r, 0, CP_NO_LIMIT) != 0)
		sp_log_rl(SP_LOG_INFO, "control: connect reply not sent");
	cp__fqdn(who, sizeof(who), t->name, s->cp->zone);
	sp_info("control: connect %s -> %s accepted", from_fqdn, who);
}

static struct cp_sdev *connect_target(struct cp_signpost *s, const struct cp_connect *c)
{
	static const uint8_t zero[16];
	if (memcmp(c->target_addr, zero, 16) != 0)
		return dev_by_overlay(s, c->target_addr);
	return cp__dev_by_name(s, c->target);
}

static bool allowed(const struct cp_sfriend *f, const char *label)
{
	size_t n = strlen(label);
	for (const char *p = f->allow; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && strncasecmp(p, label, n) == 0)
			return true;
		p += len + (e ? 1 : 0);
	}
	return false;
}

static struct cp_sfriend *friend_of(struct cp_signpost *s, const char *zone)
{
	for (size_t i = 0; i < s->n_friends; i++)
		if (strcasecmp(s->friends[i].zone, zone) == 0)
			return &s->friends[i];
	return NULL;
}

static void check_done(void *arg, int status, const ldns_rr_list *rrset)
{
	struct cp_check *k = arg;
	struct cp_signpost *s = k->s;
	bool ok = status == 0 && cp__rrset_has_key(rrset, k->sender);
	struct cp_connect *c = &k->m.u.connect;
	char who[SP_ENDPOINT_STRLEN];
	sp_endpoint_format(&k->src, who);
	struct cp_sdev *t = connect_target(s, c);
	if (!ok) {
		sp_notice("control: connect from %s claiming %s refused: its key is not %s's "
			  "validated KEY (%s)", who, c->from_name, c->from_name,
			  status ? sp_strerror(status) : "no match");
		refuse_connect(s, k->sender, &k->src, k->len, c->req_id, CP_E_REFUSED);
	} else if (t == NULL || !dev_online(t, uv_hrtime())) {
		refuse_connect(s, k->sender, &k->src, k->len, c->req_id,
			       t ? CP_E_OFFLINE : CP_E_NO_SUCH_NAME);
	} else {
		accept_connect(s, k->sender, c->from_name, &k->src, c, t, uv_hrtime());
	}
	k->used = false;
}

static void on_connect(struct cp_signpost *s, const struct cp_in *in, struct cp_msg *m)
{
	struct cp_connect *c = &m->u.connect;
	char who[SP_ENDPOINT_STRLEN];
	sp_endpoint_format(in->src, who);
	struct cp_sdev *from = dev_by_key(s, in->sender);
	struct cp_sdev *t = connect_target(s, c);
	if (from) {
		/* My own device: every other device of mine is allowed. */
		from->ep = *in->src;
		from->last_ns = in->now;
		if (t == NULL || t == from)
			return refuse_connect(s, in->sender, in->src, CP_NO_LIMIT, c->req_id,
					      CP_E_NO_SUCH_NAME);
		if (!dev_online(t, in->now))
			return refuse_connect(s, in->sender, in->src, CP_NO_LIMIT, c->req_id,
					      CP_E_OFFLINE);
		char fqdn[256];
		cp__fqdn(fqdn, sizeof(fqdn), from->name, s->cp->zone);
		struct cp_connect copy = *c;
		copy.n_ep = from->n_local;
		memcpy(copy.ep, from->local, sizeof(copy.ep));
		return accept_connect(s, in->sender, fqdn, in->src, &copy, t, in->now);
	}
	/* A stranger: only a friend's device, to a device my policy opens to that friend. */
	char label[64], zone[256];
	struct cp_sfriend *f = cp__split(c->from_name, label, zone) ? friend_of(s, zone) : NULL;
	const char *tname = t ? t->name : c->target;
	if (f == NULL || strcasecmp(zone, s->cp->zone) == 0) {
		sp_notice("control: connect from %s claiming '%s' refused: not a friend's zone", who,
			  c->from_name);
		return refuse_connect(s, in->sender, in->src, in->len, c->req_id, CP_E_REFUSED);
	}
	if (t == NULL || !allowed(f, tname)) {
		sp_notice("control: connect from %s (%s) to '%s' refused by policy", who,
			  c->from_name, tname);
		return refuse_connect(s, in->sender, in->src, in->len, c->req_id, CP_E_REFUSED);
	}
	struct dns_resolver *res = dns_resolver_get(s->cp->node);
	struct cp_check *k = NULL;
	for (size_t i = 0; i < CP_CHECKS_MAX && !k; i++)
		if (!s->checks[i].used)
			k = &s->checks[i];
	if (res == NULL || k == NULL)
		return refuse_connect(s, in->sender, in->src, in->len, c->req_id, CP_E_BUSY);
	memset(k, 0, sizeof(*k));
	k->used = true;
	k->s = s;
	memcpy(k->sender, in->sender, 32);
	k->src = *in->src;
	k->len = in->len;
	k->m = *m;
	/* Is this key the one the friend's zone publishes for that name? (DNSSEC, my anchor) */
	if (dns_resolver_lookup(res, c->from_name, LDNS_RR_TYPE_KEY, check_done, k) != 0) {
		k->used = false;
		return refuse_connect(s, in->sender, in->src, in->len, c->req_id, CP_E_BUSY);
	}
}

/* ---- RELAY ---- */

void cp__signpost_relay(struct cp_plane *cp, const struct cp_in *in, const uint8_t dest[32],
			const uint8_t *payload, size_t len)
{
	struct cp_signpost *s = cp->sp;
	bool swapped;
	struct cp_pair *p = pair_find(s, in->sender, dest, &swapped, in->now);
	struct cp_sdev *to = dev_by_key(s, dest);
	const union sp_endpoint *dst = NULL;
	if (p) {
		/* Follow the sender; a party that is my device is wherever it registered. */
		union sp_endpoint *from_ep = swapped ? &p->b_ep : &p->a_ep;
		*from_ep = *in->src;
		dst = to ? &to->ep : (swapped ? &p->a_ep : &p->b_ep);
		p->expires_ns = in->now + PAIR_LIFE_NS;
	}
	if (dst == NULL || dst->sa.sa_family == 0) {
		s->cp->st.relay_refused++;
		return;
	}
	struct cp_sdev *from = dev_by_key(s, in->sender);
	if (from) {
		from->ep = *in->src;
		from->last_ns = in->now;
	}
	/* Forwarded as it is, not boxed again: its payload is authenticated end to end. */
	if (cp__send_fwd(s->cp, dest, dst, in->sender, payload, len) == 0) {
		s->cp->st.relayed++;
		s->cp->st.relayed_bytes += len;
	}
}

void cp__signpost_input(struct cp_plane *cp, const struct cp_in *in, struct cp_msg *m)
{
	struct cp_signpost *s = cp->sp;
	switch (m->type) {
	case CP_REGISTER:
		on_register(s, in, m);
		break;
	case CP_CONNECT:
		on_connect(s, in, m);
		break;
	case CP_RELAY:
		cp__signpost_relay(cp, in, m->u.relay.peer, m->u.relay.payload, m->u.relay.len);
		break;
	default:
		cp->st.rx_unexpected++;
		break;
	}
}

/* ---- revocation and friends ---- */

int cp__revoke(struct cp_signpost *s, struct cp_sdev *d, unsigned *told)
{
	struct dns_zone_svc *zs = dns_zone_svc_get(s->cp->node);
	if (zs == NULL)
		return SP_ESTATE;
	char fqdn[256];
	cp__fqdn(fqdn, sizeof(fqdn), d->name, s->cp->zone);
	ldns_rdf *owner = ldns_dname_new_frm_str(fqdn);
	struct dns_changeset *cs = dns_changeset_new();
	int rc = owner && cs ? 0 : -ENOMEM;
	/* Each operation owns its copy of the owner name. */
	if (rc == 0)
		rc = dns_changeset_del_rrset(cs, ldns_rdf_clone(owner), LDNS_RR_TYPE_AAAA);
	if (rc == 0)
		rc = dns_changeset_del_rrset(cs, ldns_rdf_clone(owner), LDNS_RR_TYPE_KEY);
	ldns_rr *ptr = NULL;
	if (rc == 0 && (rc = device_ptr(s, fqdn, &ptr)) == 0)
		rc = dns_changeset_del_rr(cs, ptr);
	uint32_t serial;
	if (rc == 0)
		rc = dns_zone_svc_apply(zs, cs, &serial);
	dns_changeset_free(cs);
	ldns_rdf_deep_free(owner);
	if (rc)
		return rc;
	d->revoked = true;
	memcpy(s->revoked[s->n_revoked++ % CP_DEVICES_MAX], d->ed, 32);
	pairs_forget(s, d->ed);
	*told = 0;
	uint64_t now = uv_hrtime();
	for (size_t i = 0; i < CP_DEVICES_MAX; i++) {
		struct cp_sdev *o = &s->dev[i];
		if (!o->used || o->revoked || !dev_online(o, now))
			continue;
		struct cp_msg m = { .type = CP_REVOKE };
		memcpy(m.u.revoke.key, d->ed, 32);
		/* Twice: a lost datagram would leave a session open until the next register. */
		if (cp__send(s->cp, o->ed, &o->ep, &m, 0, CP_NO_LIMIT) == 0)
			(*told)++;
		if (cp__send(s->cp, o->ed, &o->ep, &m, 0, CP_NO_LIMIT) != 0)
			sp_log_rl(SP_LOG_INFO, "control: revoke not sent twice");
	}
	sp_notice("control: revoked %s: records removed, %u devices told", fqdn, *told);
	return 0;
}

void cp__friends_changed(struct cp_signpost *s)
{
	s->friends_gen++;
	uint64_t now = uv_hrtime();
	for (size_t i = 0; i < CP_DEVICES_MAX; i++)
		if (s->dev[i].used && !s->dev[i].revoked && dev_online(&s->dev[i], now))
			send_friends(s, &s->dev[i]);
}

int cp__zone_ds(struct cp_signpost *s, char *out, size_t cap)
{
	struct dns_zone_svc *zs = dns_zone_svc_get(s->cp->node);
	ldns_rr_list *keys = NULL;
	if (zs == NULL)
		return SP_ESTATE;
	int rc = dns_zone_svc_lookup(zs, dns_zone_svc_origin(zs), LDNS_RR_TYPE_DNSKEY, &keys);
	if (rc)
		return rc;
	rc = SP_ENOTFOUND;
	for (size_t i = 0; i < ldns_rr_list_rr_count(keys) && rc == SP_ENOTFOUND; i++) {
		ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (ldns_rdf2native_int16(ldns_rr_rdf(k, 0)) != 257)
			continue;
		ldns_rr *ds = ldns_key_rr2ds(k, LDNS_SHA256);
		char *text = ds ? ldns_rr2str(ds) : NULL;
		if (text) {
			text[strcspn(text, "\n")] = '\0';
			for (char *c = text; *c; c++)
				if (*c == '\t')
					*c = ' ';
			rc = (size_t)snprintf(out, cap, "%s", text) < cap ? 0 : SP_ETRUNC;
		}
		free(text);
		ldns_rr_free(ds);
	}
	ldns_rr_list_deep_free(keys);
	return rc;
}

size_t cp__public_endpoints(struct cp_signpost *s, union sp_endpoint out[CP_EP_MAX])
{
	const struct sp_config *cfg = s->cp->node->cfg;
	size_t n = 0, k = 0;
	const union sp_endpoint *eps = sp_cfg_endpoints(sp_config_get(cfg, "control"), "endpoint",
							&n);
	if (n == 0)
		eps = sp_cfg_endpoints(sp_config_get(cfg, "dns"), "listen", &n);
	for (size_t i = 0; i < n && k < CP_EP_MAX; i++) {
		out[k] = eps[i];
		if (sp_endpoint_port(&out[k]) == 0)
			sp_endpoint_set_port(&out[k], sp_transport_port(s->cp->transport));
		k++;
	}
	return k;
}

/* ---- the role's life ---- */

int cp__signpost_start(struct cp_plane *cp)
{
	struct cp_signpost *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cp = cp;
	s->checks = calloc(CP_CHECKS_MAX, sizeof(*s->checks));
	if (!s->checks) {
		free(s);
		return -ENOMEM;
	}
	const char *dir = sp_cfg_str(sp_config_get(cp->node->cfg, "control"), "state-dir");
	snprintf(s->state_dir, sizeof(s->state_dir), "%s", dir ? dir : ".");
	cp->sp = s;
	int rc = cp__tokens_load(s);
	if (rc == 0)
		rc = cp__friends_load(s);
	if (rc)
		return rc;
	struct dns_resolver *res = dns_resolver_get(cp->node);
	for (size_t i = 0; i < s->n_friends; i++) {
		struct cp_sfriend *f = &s->friends[i];
		if (res == NULL ||
		    dns_resolver_friend_set(res, f->zone, f->anchor, &f->dns,
					    f->dns.sa.sa_family ? 1 : 0) != 0)
			sp_warn("control: friend %s: its zone cannot be validated here", f->zone);
	}
	cp__devices_reload(s);
	devices_ptr_backfill(s);
	s->sub_zone = sp_event_subscribe(cp->node, SP_EV_ZONE_CHANGED, on_zone_changed, s);
	if (s->sub_zone < 0)
		return s->sub_zone;
	return cp__ctl_register(cp);
}

void cp__signpost_stop(struct cp_plane *cp)
{
	struct cp_signpost *s = cp->sp;
	if (!s)
		return;
	if (s->sub_zone > 0)
		sp_event_unsubscribe(cp->node, s->sub_zone);
	/* The resolver (started before us) outlives us: its lookups for us must not call back. */
	struct dns_resolver *res = dns_resolver_get(cp->node);
	for (size_t i = 0; res && i < CP_CHECKS_MAX; i++)
		if (s->checks[i].used)
			dns_resolver_cancel(res, check_done, &s->checks[i]);
	cp->sp = NULL;
	free(s->checks);
	free(s);
}

void cp__signpost_status(struct cp_plane *cp, struct sp_status *st)
{
	struct cp_signpost *s = cp->sp;
	size_t n = 0, online = 0, pairs = 0;
	uint64_t now = uv_hrtime();
	for (size_t i = 0; i < CP_DEVICES_MAX; i++) {
		if (s->dev[i].used && !s->dev[i].revoked) {
			n++;
			online += dev_online(&s->dev[i], now);
		}
	}
	for (size_t i = 0; i < CP_PAIRS_MAX; i++)
		pairs += s->pair[i].used && s->pair[i].expires_ns > now;
	sp_status_add(st, "devices", "%zu", n);
	sp_status_add(st, "devices-online", "%zu", online);
	sp_status_add(st, "friends", "%zu", s->n_friends);
	sp_status_add(st, "enrolled", "%llu", (unsigned long long)s->enrolled);
	sp_status_add(st, "enrollments-refused", "%llu", (unsigned long long)s->tokens_refused);
	sp_status_add(st, "connects-refused", "%llu", (unsigned long long)s->refused_connects);
	sp_status_add(st, "relay-pairs", "%zu", pairs);
	sp_status_add(st, "relayed", "%llu", (unsigned long long)cp->st.relayed);
	sp_status_add(st, "relayed-bytes", "%llu", (unsigned long long)cp->st.relayed_bytes);
	sp_status_add(st, "relay-refused", "%llu", (unsigned long long)cp->st.relay_refused);
}
