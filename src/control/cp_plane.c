/*
 * cp_plane.c - the control plane (loop code): control datagrams on the
 * node's one UDP socket, their box keys, replay refusal and dispatch to the
 * role (cp_signpost.c or cp_device.c).
 *
 * The receive path, in order, for every datagram the classifier sorts here:
 *   size and header (cp_msg_peek) -> a sender with no cached box key passes
 *   the per-prefix newcomer limit (its box key costs a Diffie-Hellman) ->
 *   open (MAC, strict body) -> replay table -> PING answered here, anything
 *   else to the role.
 * Nothing is answered before the box opened, so a forged or replayed
 * datagram gets no reply at all.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "control/cp_int.h"
#include "control/cp_schema.h"
#include "control/cp_tls.h"
#include "core/log.h"
#include "core/status.h"
#include "dns/hostkey.h"
#include "tunnel/path.h"
#include "tunnel/peers.h"

extern struct sp_interval cp_iv_register, cp_iv_retry, cp_iv_addr_check, cp_iv_reprobe;
static struct sp_interval *const cp_intervals[] = { &cp_iv_register, &cp_iv_retry,
						    &cp_iv_addr_check, &cp_iv_reprobe,
						    &cp_iv_tls_handshake, &cp_iv_tls_idle };

uint64_t cp__now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

int cp__ed_to_x(const uint8_t ed[32], uint8_t x[32])
{
	return crypto_sign_ed25519_pk_to_curve25519(x, ed) == 0 ? 0 : SP_ECRYPTO;
}

void cp__fqdn(char *out, size_t cap, const char *label, const char *zone)
{
	if (label == NULL || label[0] == '\0')
		snprintf(out, cap, "%s", zone);
	else
		snprintf(out, cap, "%s.%s", label, zone);
}

bool cp__split(const char *fqdn, char label[64], char zone[256])
{
	const char *dot = strchr(fqdn, '.');
	if (dot == NULL || dot == fqdn || (size_t)(dot - fqdn) > 63 || dot[1] == '\0')
		return false;
	memcpy(label, fqdn, (size_t)(dot - fqdn));
	label[dot - fqdn] = '\0';
	snprintf(zone, 256, "%s", dot + 1);
	size_t n = strlen(zone);
	if (zone[n - 1] != '.' && n < 255) {
		zone[n] = '.';
		zone[n + 1] = '\0';
	}
	for (char *c = label; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (char *c = zone; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return true;
}

bool cp__rrset_has_key(const ldns_rr_list *rrset, const uint8_t ed[32])
{
	uint8_t k[DNS_HOSTKEY_LEN];
	for (size_t i = 0; rrset && i < ldns_rr_list_rr_count(rrset); i++)
		if (dns_hostkey_parse(ldns_rr_list_rr(rrset, i), k) == 0 && memcmp(k, ed, 32) == 0)
			return true;
	return false;
}

/*
 * The box key for a remote node: cached, or made now through key custody
 * (the node's private key never leaves it).  The least recently used entry
 * makes room and is wiped.
 */
static int box_key(struct cp_plane *cp, const uint8_t ed[32], uint64_t now,
		   const struct cp_key **key)
{
	struct cp_key *victim = &cp->keys[0];
	for (size_t i = 0; i < CP_KEYS_MAX; i++) {
		struct cp_key *k = &cp->keys[i];
		if (k->used_ns != 0 && memcmp(k->ed, ed, 32) == 0) {	/* public keys */
			k->used_ns = now;
			*key = k;
			return 0;
		}
		if (k->used_ns < victim->used_ns)
			victim = k;
	}
	uint8_t x[32], dh[32];
	int rc = cp__ed_to_x(ed, x);
	if (rc == 0)
		rc = sp_keys_dh(cp->node->keys, x, dh);
	if (rc)
		return rc;
	sodium_memzero(victim, sizeof(*victim));
	rc = cp_box_key(dh, victim->box);
	sodium_memzero(dh, sizeof(dh));
	if (rc == 0)
		rc = cp_rdata_key(victim->box, cp->ed, victim->rdata_tx);
	if (rc == 0)
		rc = cp_rdata_key(victim->box, ed, victim->rdata_rx);
	if (rc) {
		sodium_memzero(victim, sizeof(*victim));
		return rc;
	}
	memcpy(victim->ed, ed, 32);
	victim->used_ns = now ? now : 1;
	*key = victim;
	return 0;
}

static bool key_cached(const struct cp_plane *cp, const uint8_t ed[32])
{
	for (size_t i = 0; i < CP_KEYS_MAX; i++)
		if (cp->keys[i].used_ns != 0 && memcmp(cp->keys[i].ed, ed, 32) == 0)
			return true;
	return false;
}

int cp__seal(struct cp_plane *cp, const uint8_t to[32], struct cp_msg *m, size_t min_len,
	     uint8_t buf[CP_MSG_MAX], size_t *n)
{
	const struct cp_key *key;
	m->counter = cp_counter_next(&cp->counter, cp__now_us());
	int rc = box_key(cp, to, uv_hrtime(), &key);
	if (rc == 0)
		rc = cp_msg_seal(key->box, cp->ed, m, min_len, buf, CP_MSG_MAX, n);
	return rc;
}

/* The queue's next buffer (flushed first if full). */
static uint8_t *txq_slot(struct cp_plane *cp)
{
	if (cp->txq->n == CP_TXQ_MAX)
		cp__flush(cp);
	return cp->txq->buf[cp->txq->n];
}

/* The datagram written in txq_slot(), n bytes, waits for cp__flush(). */
static void txq_commit(struct cp_plane *cp, const union sp_endpoint *dst, size_t n)
{
	struct cp_txq *q = cp->txq;
	unsigned i = q->n++;
	q->dst[i] = *dst;
	q->tx[i] = (struct sp_tx){ .buf = q->buf[i], .len = n, .dst = &q->dst[i], .src = NULL };
}

/*
 * The end of a frame written (rc 0) in txq_slot() (queued) or in buf (TLS,
 * or no queue): it waits for cp__flush(), or goes now.
 */
static int txq_or_send(struct cp_plane *cp, int rc, bool queued, struct cp_tls_conn *conn,
		       const union sp_endpoint *dst, const uint8_t *buf, size_t n)
{
	if (rc == 0 && queued) {
		txq_commit(cp, dst, n);
		return 0;
	}
	if (rc == 0)
		rc = conn ? cp__tls_send(cp, conn, buf, n)
			  : sp_transport_send(cp->transport, dst, NULL, buf, n);
	if (rc) {
		cp->st.tx_errors++;
		return rc;
	}
	cp->st.tx++;
	return 0;
}

int cp__send(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
	     struct cp_msg *m, size_t min_len, size_t max_len)
{
	uint8_t buf[CP_MSG_MAX];
	size_t n = 0;
	int rc = cp__seal(cp, to, m, min_len, buf, &n);
	if (rc == 0 && n > max_len)
		rc = SP_ELIMIT;	/* never more to a stranger than it sent */
	/* A node that reached us over TLS (its network blocks UDP) is answered there. */
	struct cp_tls_conn *conn = rc == 0 ? cp__tls_route(cp, to) : NULL;
	return txq_or_send(cp, rc, false, conn, dst, buf, n);
}

int cp__send_queued(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
		    struct cp_msg *m)
{
	if (cp->txq == NULL || cp__tls_route(cp, to) != NULL)
		return cp__send(cp, to, dst, m, 0, CP_NO_LIMIT);	/* TLS frames go at once */
	size_t n = 0;
	int rc = cp__seal(cp, to, m, 0, txq_slot(cp), &n);
	if (rc) {
		cp->st.tx_errors++;
		return rc;
	}
	txq_commit(cp, dst, n);
	return 0;
}

int cp__send_rdata(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
		   const uint8_t dest[32], const uint8_t *payload, size_t len)
{
	const struct cp_key *key;
	int rc = box_key(cp, to, uv_hrtime(), &key);
	if (rc) {
		cp->st.tx_errors++;
		return rc;
	}
	struct cp_tls_conn *conn = cp__tls_route(cp, to);
	uint8_t buf[CP_MSG_MAX];
	bool queued = cp->txq != NULL && conn == NULL;
	uint8_t *out = queued ? txq_slot(cp) : buf;
	size_t n = 0;
	uint64_t counter = cp_counter_next(&cp->counter, cp__now_us());
	rc = cp_rdata_seal(key->rdata_tx, cp->ed, dest, counter, payload, len, out, CP_MSG_MAX, &n);
	return txq_or_send(cp, rc, queued, conn, dst, buf, n);
}

int cp__send_fwd(struct cp_plane *cp, const uint8_t to[32], const union sp_endpoint *dst,
		 const uint8_t origin[32], const uint8_t *payload, size_t len)
{
	struct cp_tls_conn *conn = cp__tls_route(cp, to);
	uint8_t buf[CP_MSG_MAX];
	bool queued = cp->txq != NULL && conn == NULL;
	uint8_t *out = queued ? txq_slot(cp) : buf;
	size_t n = 0;
	int rc = cp_fwd_write(out, CP_MSG_MAX, cp->ed, origin, payload, len, &n);
	return txq_or_send(cp, rc, queued, conn, dst, buf, n);
}

void cp__flush(struct cp_plane *cp)
{
	struct cp_txq *q = cp->txq;
	if (q != NULL && q->n > 0) {
		unsigned sent = sp_transport_send_batch(cp->transport, q->tx, q->n);
		cp->st.tx += sent;
		cp->st.tx_errors += q->n - sent;
		q->n = 0;
	}
	if (cp->rx_relayed) {
		/* The relayed WireGuard datagrams of this batch go into the TUN device coalesced. */
		struct tun_peers *ps = tun_peers_get(cp->node);
		cp->rx_relayed = false;
		if (ps)
			tun_path_input_flush(ps->dev);
	}
}

int cp__open(struct cp_plane *cp, const uint8_t *buf, size_t len, uint64_t now,
	     uint8_t sender[32], struct cp_msg *m)
{
	enum cp_type type;
	const struct cp_key *key;
	if (len > CP_MSG_MAX || cp_msg_peek(buf, len, sender, &type) != 0) {
		cp->st.rx_bad++;
		return SP_EMALFORMED;
	}
	if (box_key(cp, sender, now, &key) != 0 || cp_msg_open(key->box, buf, len, m) != 0) {
		cp->st.rx_auth++;
		return SP_EAUTH;
	}
	uint64_t now_us = cp__now_us();
	if (cp_replay_check(&cp->replay, sender, m->counter, now_us) != 0 ||
	    cp_replay_accept(&cp->replay, sender, m->counter, now_us) != 0) {
		cp->st.rx_replay++;
		cp_msg_wipe(m);
		return SP_EREPLAY;
	}
	return 0;
}

int cp__send_via(struct cp_plane *cp, const uint8_t to[32], const uint8_t relay[32],
		 const union sp_endpoint *relay_ep, struct cp_msg *m, size_t min_len)
{
	uint8_t buf[CP_MSG_MAX];
	size_t n = 0;
	int rc = cp__seal(cp, to, m, min_len, buf, &n);
	if (rc == 0 && n > CP_RELAY_MAX)
		rc = SP_ELIMIT;
	if (rc) {
		cp->st.tx_errors++;
		return rc;
	}
	struct cp_msg r = { .type = CP_RELAY };
	memcpy(r.u.relay.peer, to, 32);
	r.u.relay.len = (uint16_t)n;
	memcpy(r.u.relay.payload, buf, n);
	return cp__send(cp, relay, relay_ep, &r, 0, CP_NO_LIMIT);
}

/* PING is answered by every node: a PONG with the address it came from (path probing). */
void cp__answer_ping(struct cp_plane *cp, const struct cp_in *in, const struct cp_msg *m)
{
	struct cp_msg r = { .type = CP_PONG };
	r.u.pong.tx_id = m->u.ping.tx_id;
	int rc;
	if (in->relay) {
		/* Through the relay it came by: the address seen is the relay's, say none. */
		rc = cp__send_via(cp, in->sender, in->relay, in->src, &r, 0);
	} else {
		r.u.pong.observed = *in->src;
		rc = cp__send(cp, in->sender, in->src, &r, 0, in->len);
	}
	if (rc != 0)
		sp_log_rl(SP_LOG_DEBUG, "control: no pong: %s", sp_strerror(rc));
}

/* A RELAY_DATA to a signpost: the same checks as a boxed message, then the relay. */
static int rdata_input(struct cp_plane *cp, const uint8_t *buf, size_t len,
		       const union sp_endpoint *src, uint64_t now, struct cp_tls_conn *conn)
{
	const uint8_t *sender = buf + 8;
	const struct cp_key *key;
	struct cp_rdata r;
	if (!cp->sp || len <= CP_HDR_LEN) {
		cp->st.rx_unexpected++;
		return SP_EPROTO;
	}
	if (!key_cached(cp, sender) && sp_rl_take(&cp->newcomers, &src->sa, now, NULL) != SP_RL_PASS) {
		cp->st.rx_limited++;
		return SP_ELIMIT;
	}
	int rc = box_key(cp, sender, now, &key);
	if (rc == 0)
		rc = cp_rdata_open(key->rdata_rx, buf, len, &r);
	if (rc) {
		if (rc == SP_EMALFORMED)
			cp->st.rx_bad++;
		else
			cp->st.rx_auth++;
		return rc;
	}
	uint64_t now_us = cp__now_us();
	if (cp_replay_check(&cp->replay, sender, r.counter, now_us) != 0 ||
	    cp_replay_accept(&cp->replay, sender, r.counter, now_us) != 0) {
		cp->st.rx_replay++;
		return SP_EREPLAY;
	}
	if (conn)
		cp__tls_learn(cp, sender, conn);
	struct cp_in in = { sender, src, len, now, NULL };
	cp__signpost_relay(cp, &in, r.dest, r.payload, r.len);
	return 0;
}

int cp__input(struct cp_plane *cp, const uint8_t *buf, size_t len, const union sp_endpoint *src,
	      uint64_t now, struct cp_tls_conn *conn)
{
	uint8_t sender[32];
	enum cp_type type;
	cp->st.rx++;
	if (cp_fwd_is(buf, len)) {
		/* A relayed payload from a signpost: not boxed, authenticated end to end. */
		struct cp_fwd f;
		if (cp_fwd_parse(buf, len, &f) != 0) {
			cp->st.rx_bad++;
			return SP_EMALFORMED;
		}
		if (!cp->dev) {
			cp->st.rx_unexpected++;
			return SP_EPROTO;
		}
		cp__device_forwarded(cp->dev, &f, src, now, conn);
		return 0;
	}
	if (cp_rdata_is(buf, len))
		return rdata_input(cp, buf, len, src, now, conn);
	if (len > CP_MSG_MAX || cp_msg_peek(buf, len, sender, &type) != 0) {
		cp->st.rx_bad++;
		return SP_EMALFORMED;
	}
	if (!key_cached(cp, sender) && sp_rl_take(&cp->newcomers, &src->sa, now, NULL) != SP_RL_PASS) {
		cp->st.rx_limited++;
		return SP_ELIMIT;
	}
	struct cp_msg m;
	int rc = cp__open(cp, buf, len, now, sender, &m);
	if (rc) {
		if (rc == SP_EREPLAY) {
			char who[SP_ENDPOINT_STRLEN];
			sp_endpoint_format(src, who);
			sp_log_rl(SP_LOG_NOTICE, "control: replayed or stale message from %s refused",
				  who);
		}
		return rc;
	}
	if (conn)
		cp__tls_learn(cp, sender, conn);	/* it is answered on the way it came */
	struct cp_in in = { sender, src, len, now, NULL };
	if (m.type == CP_PING) {
		cp__answer_ping(cp, &in, &m);
		if (cp->dev)
			cp__path_pinged(cp->dev, &in);
	} else if (cp->sp) {
		cp__signpost_input(cp, &in, &m);
	} else if (cp->dev) {
		cp__device_input(cp, &in, &m);
	}
	cp_msg_wipe(&m);	/* a REGISTER carries a token's secret */
	return 0;
}

static void on_dgram(void *arg, struct sp_dgram *d)
{
	if (cp__input(arg, d->buf, d->len, d->src, d->now, NULL) != 0)
		return;	/* counted */
}

static void on_batch_end(void *arg)
{
	cp__flush(arg);
}

static bool role_is_signpost(const struct sp_config *cfg)
{
	const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
	return role != NULL && strcmp(role, "signpost") == 0;
}

static int cp_check(const struct sp_config *cfg)
{
	const struct sp_config_section *c = sp_config_get(cfg, "control");
	if (!sp_cfg_bool(c, "enabled") || role_is_signpost(cfg))
		return 0;
	size_t n = 0;
	sp_cfg_endpoints(c, "signpost", &n);
	if (n == 0 || sp_cfg_str(c, "signpost-key") == NULL)
		return 0; /* a device without a signpost: control stays off (logged at start) */
	if (sp_endpoint_port(sp_cfg_endpoint(c, "signpost")) == 0) {
		sp_config_error(cfg, c, "signpost", "needs a port (ADDR:PORT)");
		return SP_ECONFIG;
	}
	return 0;
}

static void cp_free(struct cp_plane *cp)
{
	if (cp->keys) {
		sodium_memzero(cp->keys, CP_KEYS_MAX * sizeof(*cp->keys));
		sodium_free(cp->keys);
	}
	free(cp->txq);
	if (cp->replay_ready)
		cp_replay_deinit(&cp->replay);
	sp_rl_deinit(&cp->newcomers);
	free(cp);
}

/* Control stays off but the plane object lives on for status. */
static void cp_free_keep(struct cp_plane *cp)
{
	sodium_memzero(cp->keys, CP_KEYS_MAX * sizeof(*cp->keys));
	sodium_free(cp->keys);
	cp->keys = NULL;
	free(cp->txq);
	cp->txq = NULL;
	cp_replay_deinit(&cp->replay);
	cp->replay_ready = false;
	sp_rl_deinit(&cp->newcomers);
	memset(&cp->newcomers, 0, sizeof(cp->newcomers));
	cp->enabled = false;
}

static int start_failed(struct cp_plane *cp, int rc)
{
	cp__tls_stop(cp);
	if (cp->transport) {
		sp_transport_unregister(cp->transport, SP_KIND_CONTROL, cp);
		if (cp->own_transport) {
			sp_service_withdraw(cp->node, SP_SVC_TRANSPORT, cp->transport);
			sp_transport_close(cp->transport);
		}
	}
	sp_err("control: cannot start: %s", sp_strerror(rc));
	cp_free(cp);
	return rc;
}

static int cp_start(struct sp_node *node, void **state)
{
	*state = NULL;
	const struct sp_config_section *c = sp_config_get(node->cfg, "control");
	const struct sp_config_section *n = sp_config_get(node->cfg, "node");
	struct cp_plane *cp = calloc(1, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	cp->node = node;
	cp->enabled = sp_cfg_bool(c, "enabled");
	cp->is_signpost = role_is_signpost(node->cfg);
	*state = cp;
	if (!cp->enabled)
		return 0;
	if (!cp->is_signpost && (sp_cfg_endpoint(c, "signpost") == NULL ||
				 sp_cfg_str(c, "signpost-key") == NULL)) {
		sp_notice("control: off: no [control] signpost and signpost-key");
		snprintf(cp->off_reason, sizeof(cp->off_reason), "no [control] signpost");
		cp->enabled = false;
		return 0;
	}
	snprintf(cp->zone, sizeof(cp->zone), "%s", sp_cfg_str(n, "zone"));
	const char *name = sp_cfg_str(n, "name");
	snprintf(cp->name, sizeof(cp->name), "%s", name ? name : "");
	memcpy(cp->ed, sp_keys_ed_public(node->keys), 32);
	static const struct sp_rl_conf rl_conf = {
		.rate = 20, .burst = 40, .v4_bits = 32, .v6_bits = 64,
	};
	int rc = sp_rl_init(&cp->newcomers, 1024, &rl_conf);
	if (rc)
		return start_failed(cp, rc);
	cp->keys = sodium_malloc(CP_KEYS_MAX * sizeof(*cp->keys));
	if (!cp->keys)
		return start_failed(cp, -ENOMEM);
	sodium_memzero(cp->keys, CP_KEYS_MAX * sizeof(*cp->keys));
	cp->txq = malloc(sizeof(*cp->txq));	/* sealed datagrams: ciphertext only */
	if (!cp->txq)
		return start_failed(cp, -ENOMEM);
	cp->txq->n = 0;
	rc = cp_replay_init(&cp->replay, CP_REPLAY_SENDERS);
	if (rc)
		return start_failed(cp, rc);
	cp->replay_ready = true;
	/*
	 * The tunnel (started before us) owns the node's socket.  A signpost
	 * without TUN (no root) opens it here, on the same option: [tunnel]
	 * listen-port is the node's one UDP port, whichever plane opens it.
	 */
	cp->transport = sp_transport_get(node);
	if (cp->transport == NULL) {
		long long port = sp_cfg_int(sp_config_get(node->cfg, "tunnel"), "listen-port");
		rc = sp_transport_new(node->loop, node, (uint16_t)port, &cp->transport);
		if (rc) {
			/* Not fatal: DNS still serves; status and this line say why control is off. */
			sp_err("control: off: cannot open UDP port %lld: %s", port, sp_strerror(rc));
			cp->transport = NULL;
			snprintf(cp->off_reason, sizeof(cp->off_reason), "UDP port %lld: %s", port,
				 sp_strerror(rc));
			cp_free_keep(cp);
			return 0;
		}
		cp->own_transport = true;
		rc = sp_service_provide(node, SP_SVC_TRANSPORT, cp->transport);
		if (rc)
			return start_failed(cp, rc);
	}
	rc = sp_transport_register(cp->transport, SP_KIND_CONTROL, on_dgram, on_batch_end, cp);
	if (rc)
		return start_failed(cp, rc);
	cp->tls_port = (uint16_t)sp_cfg_int(c, "tls-port");
	rc = cp__tls_start(cp);
	if (rc)
		return start_failed(cp, rc);
	rc = cp->is_signpost ? cp__signpost_start(cp) : cp__device_start(cp);
	if (rc)
		return start_failed(cp, rc);
	/* "own socket": the node's UDP socket without a tunnel (opened here or by the NAT plane). */
	sp_notice("control: %s role, UDP port %u%s", cp->is_signpost ? "signpost" : "device",
		  sp_transport_port(cp->transport),
		  cp->own_transport || tun_peers_get(node) == NULL ? " (own socket)" : "");
	return 0;
}

static void cp_stop(void *state)
{
	struct cp_plane *cp = state;
	if (!cp)
		return;
	if (cp->sp)
		cp__signpost_stop(cp);
	if (cp->dev)
		cp__device_stop(cp);
	cp__tls_stop(cp);
	if (cp->transport) {
		sp_transport_unregister(cp->transport, SP_KIND_CONTROL, cp);
		if (cp->own_transport) {
			sp_service_withdraw(cp->node, SP_SVC_TRANSPORT, cp->transport);
			sp_transport_close(cp->transport);
		}
	}
	if (cp->keys)
		cp_free(cp);
	else
		free(cp);	/* cp_free_keep freed the rest */
}

static void cp_status(void *state, struct sp_status *st)
{
	struct cp_plane *cp = state;
	if (!cp || !cp->enabled) {
		sp_status_add(st, "state", "off%s%s", cp && cp->off_reason[0] ? ": " : "",
			      cp ? cp->off_reason : "");
		return;
	}
	sp_status_add(st, "state", "up");
	if (cp->own_transport)
		sp_transport_status(cp->transport, st);	/* udp-port and the classifier's counts */
	else
		sp_status_add(st, "udp-port", "%u", sp_transport_port(cp->transport));
	sp_status_add(st, "rx", "%llu", (unsigned long long)cp->st.rx);
	sp_status_add(st, "rx-malformed", "%llu", (unsigned long long)cp->st.rx_bad);
	sp_status_add(st, "rx-unauthenticated", "%llu", (unsigned long long)cp->st.rx_auth);
	sp_status_add(st, "rx-replayed", "%llu", (unsigned long long)cp->st.rx_replay);
	sp_status_add(st, "rx-rate-limited", "%llu", (unsigned long long)cp->st.rx_limited);
	sp_status_add(st, "rx-unexpected", "%llu", (unsigned long long)cp->st.rx_unexpected);
	sp_status_add(st, "tx", "%llu", (unsigned long long)cp->st.tx);
	sp_status_add(st, "tx-errors", "%llu", (unsigned long long)cp->st.tx_errors);
	cp__tls_status(cp, st);
	if (cp->sp)
		cp__signpost_status(cp, st);
	if (cp->dev)
		cp__device_status(cp, st);
}

const struct sp_plane cp_plane = {
	.name = "control",
	.sections = cp_schema,
	.check = cp_check,
	.start = cp_start,
	.stop = cp_stop,
	.status = cp_status,
	.intervals = cp_intervals,
	.n_intervals = sizeof(cp_intervals) / sizeof(cp_intervals[0]),
};
