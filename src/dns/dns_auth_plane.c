/*
 * dns_auth_plane.c - the authoritative DNS plane (role = signpost): wires the
 * zone engine, the server, UPDATE, transfers and NOTIFY together, provides
 * the zone as a service (zone_svc.h) and emits SP_EV_ZONE_CHANGED.  On a
 * device its start() does nothing and status says so; the stub is another
 * plane (dns_stub_plane.c).  Both share the pure message layer.
 *
 * Timers: "dns.maintain" re-signs RRsets whose signatures near expiry (see
 * sign.h: SIG_REFRESH leaves a week, so an hourly look is plenty);
 * "dns.zone-sync" writes run-time changes back to the zone file a second
 * after the first unwritten one (and at stop); plus the NOTIFY retry, which
 * notify.c describes.
 *
 * Reload: check() (auth_conf.c) reads the configuration only and never
 * loads or signs the zone on the loop.  prepare() builds a new signed zone
 * only when the zone file's path, a key file's path or a key changed;
 * otherwise commit() keeps the running zone, its journal and signatures.
 */
#include "dns/dns.h"
#include "dns/dns_schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "dns/answer.h"
#include "dns/notify.h"
#include "dns/plane.h"
#include "dns/query.h"
#include "dns/server.h"
#include "dns/update.h"
#include "dns/xfr.h"
#include "dns/zone.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static struct sp_interval dns_maintain_iv = {
	"dns.maintain", 60u * 60u * 1000u,
	"signatures are refreshed a week before they expire, so an hourly check is ample",
};

static struct sp_interval dns_zone_sync_iv = {
	"dns.zone-sync", 1000u,
	"a burst of changes (a device enrolling, an UPDATE script) is written back to the file once",
};

/* ---- serving ---- */

struct emit_one {
	uint8_t *out;
	size_t cap, len;
};

/* UDP transfers answer with one message: keep the first. */
static int emit_to_buf(void *ctx, const uint8_t *msg, size_t len)
{
	struct emit_one *e = ctx;

	if (e->len != 0 || len > e->cap)
		return 1;
	memcpy(e->out, msg, len);
	e->len = len;
	return 0;
}

static int emit_to_tcp(void *ctx, const uint8_t *msg, size_t len)
{
	return dns_server_tcp_emit(ctx, msg, len) < 0 ? 1 : 0;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t plane_on_query(void *arg, const struct dns_server_req *req, uint8_t *out, size_t cap)
{
	struct dns_auth *p = arg;
	struct dns_query q;
	size_t len = 0;
	uint64_t now_ms = wall_ms();

	if (dns_query_parse(req->q, req->qlen, &q) < 0)
		return 0;
	if (q.opcode == DNS_OP_UPDATE) {
		bool changed = false;
		p->updates++;
		int err = dns_update_handle(p->zone, req->q, req->qlen, req->peer,
					    p->have_tsig ? &p->tsig : NULL, now_ms / 1000u, out,
					    cap, &len, &changed);
		if (err < 0)
			sp_debug("dns: UPDATE: %s", sp_strerror(err));
		return len;
	}
	if (q.opcode == DNS_OP_QUERY && q.rcode == DNS_RC_NOERROR && q.has_question &&
	    (q.qtype == DNS_TYPE_AXFR || q.qtype == DNS_TYPE_IXFR)) {
		struct emit_one e = { out, cap, 0 };
		p->xfrs++;
		int err = dns_xfr_answer(p->zone, req->q, req->qlen, req->peer, req->tcp, &p->acl,
					 p->have_tsig ? &p->tsig : NULL, now_ms / 1000u,
					 req->tcp ? emit_to_tcp : emit_to_buf,
					 req->tcp ? (void *)req->conn : (void *)&e);
		if (err < 0)
			sp_debug("dns: transfer refused or cut: %s", sp_strerror(err));
		return req->tcp ? 0 : e.len;
	}
	struct dns_answer_ctx ctx = { .now_ms = now_ms, .tcp = req->tcp, .peer = req->peer };
	if (dns_answer(p->zone, &q, out, cap, &len, &ctx) < 0)
		return 0;
	return len;
}

static void plane_on_sync(uv_timer_t *t)
{
	struct dns_auth *p = container_of(t, struct dns_auth, sync);

	/* On failure (logged) the change stays dirty: the next one or the stop retries. */
	if (p->dirty && dns__zone_write(p->zone, p->zone_file) == 0)
		p->dirty = false;
}

/* The zone has a new serial: tell the secondaries and the other planes. */
static void plane_announce(struct dns_auth *p, uint32_t new_serial)
{
	ldns_rr_list *soa = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	struct sp_event ev = { .type = SP_EV_ZONE_CHANGED };

	ev.u.zone.serial = new_serial;
	sp_event_emit(p->node, &ev);
	if (p->notify == NULL)
		return;
	if (dns_zone_lookup(p->zone, dns_zone_origin(p->zone), LDNS_RR_TYPE_SOA, &soa) < 0)
		return;
	if (ldns_rr_list_rr_count(soa) > 0 &&
	    ldns_rr2wire(&wire, ldns_rr_list_rr(soa, 0), LDNS_SECTION_ANSWER, &wlen) ==
		    LDNS_STATUS_OK) {
		const uint8_t *apex = dns_zone_origin_wire(p->zone);
		size_t alen = ldns_rdf_size(dns_zone_origin(p->zone));
		dns_notify_zone_changed(p->notify, apex, alen, wire, wlen);
	}
	free(wire);
	ldns_rr_list_deep_free(soa);
}

/* The zone's serial moved (UPDATE, `signpost zone`, the zone service, re-signing). */
static void plane_on_zone_change(void *arg, uint32_t old_serial, uint32_t new_serial)
{
	struct dns_auth *p = arg;

	sp_info("dns: zone serial %u -> %u", old_serial, new_serial);
	if (p->zone_file != NULL) {
		p->dirty = true;
		if (!uv_is_active((uv_handle_t *)&p->sync))
			(void)sp_timer_start(&p->sync, plane_on_sync, &dns_zone_sync_iv, 0);
	}
	plane_announce(p, new_serial);
}

static void plane_on_maintain(uv_timer_t *t)
{
	struct dns_auth *p = container_of(t, struct dns_auth, maintain);
	int n = dns_zone_maintain(p->zone, time(NULL));

	if (n < 0)
		sp_err("dns: re-signing failed: %s", sp_strerror(n));
	else if (n > 0)
		sp_info("dns: re-signed %d RRsets", n);
}

static void plane_free(struct dns_auth *p)
{
	dns_zone_free(p->zone);
	dns__zone_from_free(&p->from);
	dns_acl_deinit(&p->acl);
	dns_tsig_key_wipe(&p->tsig);
	free(p->replay);
	free(p->zone_file);
	free(p);
}

static void plane_part_closed(struct dns_auth *p)
{
	if (--p->closing == 0)
		plane_free(p);
}

static void plane_on_server_closed(void *arg)
{
	plane_part_closed(arg);
}

static void plane_on_timer_closed(uv_handle_t *h)
{
	plane_part_closed(h->data);
}

static void dns_auth_stop(void *state)
{
	struct dns_auth *p = state;

	if (p == NULL)
		return;
	if (!p->in_role || !p->enabled) {
		free(p);
		return;
	}
	if (p->svc_provided) {
		sp_service_withdraw(p->node, SP_SVC_ZONE, &p->svc);
		p->svc_provided = false;
		dns__auth_serving--;
	}
	/* One extra count held here, so nothing frees p before the last close is asked. */
	p->closing++;
	dns_notify_close(p->notify);
	p->notify = NULL;
	if (p->server != NULL) {
		p->closing++;
		dns_server_stop(p->server);
		p->server = NULL;
	}
	/* Changes not yet written back go to the file now, before the process ends. */
	if (p->dirty && p->zone_file != NULL && dns__zone_write(p->zone, p->zone_file) == 0)
		p->dirty = false;
	p->closing += 2;
	uv_close((uv_handle_t *)&p->maintain, plane_on_timer_closed);
	uv_close((uv_handle_t *)&p->sync, plane_on_timer_closed);
	plane_part_closed(p);
}

/* A loaded zone gets the answer-path settings and the listener. */
static void zone_attach(struct dns_auth *p, struct dns_zone *z, const struct dns_auth_conf *pc)
{
	dns_zone_set_udp_payload(z, pc->udp_payload);
	dns_zone_set_denial_rate(z, pc->denial_rate);
	dns_zone_set_listener(z, plane_on_zone_change, p);
}

static int signpost_start(struct dns_auth *p)
{
	const struct sp_config *cfg = p->node->cfg;
	struct dns_auth_conf pc;
	int err;

	err = dns__auth_conf_read(cfg, &pc);
	if (err == 0)
		err = dns__auth_tsig_open(cfg, &p->tsig, &p->have_tsig);
	if (err == 0) {
		/* Signed UPDATEs already applied are refused if they come again. */
		p->replay = calloc(1, sizeof(*p->replay));
		if (p->replay == NULL)
			err = -ENOMEM;
		p->tsig.replay = p->replay;
	}
	if (err == 0)
		err = dns_acl_init(&p->acl, cfg);
	if (err == 0)
		err = dns__zone_from_set(&p->from, cfg);
	if (err == 0)
		err = dns__auth_zone_open(cfg, &p->zone);
	if (err < 0)
		return err;
	zone_attach(p, p->zone, &pc);
	(void)uv_timer_init(p->node->loop, &p->maintain);
	(void)uv_timer_init(p->node->loop, &p->sync);
	p->maintain.data = p;
	p->sync.data = p;
	if (sp_cfg_bool(sp_config_get(cfg, "dns"), "zone-sync")) {
		p->zone_file = strdup(sp_cfg_str(sp_config_get(cfg, "dns"), "zone-file"));
		if (p->zone_file == NULL)
			return -ENOMEM;
	}
	err = sp_timer_repeat(&p->maintain, plane_on_maintain, &dns_maintain_iv);
	if (err == 0)
		err = dns_notify_new(p->node->loop, &p->acl, p->have_tsig ? &p->tsig : NULL,
				     &p->notify);
	if (err == 0)
		err = dns__ctl_zone_register(p);
	if (err == 0) {
		err = dns_server_start(p->node->loop, &pc.srv, plane_on_query,
				       plane_on_server_closed, p, &p->server);
	}
	if (err == 0) {
		dns__zone_svc_init(p);
		err = sp_service_provide(p->node, SP_SVC_ZONE, &p->svc);
		p->svc_provided = err == 0;
		dns__auth_serving += p->svc_provided;
	}
	if (err < 0)
		return err;
	struct dns_zone_stats zs;
	dns_zone_stats(p->zone, &zs);
	sp_notice("dns: serving %s serial %u on port %u (%zu addresses)",
		  sp_cfg_str(sp_config_get(cfg, "node"), "zone"), zs.serial, pc.srv.port,
		  pc.srv.n_addrs);
	return 0;
}

static int dns_auth_start(struct sp_node *node, void **state)
{
	struct dns_auth *p = calloc(1, sizeof(*p));
	int err;

	if (p == NULL)
		return -ENOMEM;
	p->node = node;
	p->enabled = sp_cfg_bool(sp_config_get(node->cfg, "dns"), "enabled");
	p->in_role = dns__auth_in_role(node->cfg);
	if (!p->enabled || !p->in_role) {
		*state = p;
		return 0;
	}
	err = signpost_start(p);
	if (err < 0) {
		/* The timer was initialised only if the zone loaded: close what exists. */
		if (p->zone != NULL) {
			dns_auth_stop(p);
		} else {
			plane_free(p);	/* p->zone is NULL: nothing else was made */
		}
		return err;
	}
	*state = p;
	return 0;
}

/* What a reload of a signpost's DNS plane switches to at commit. */
struct dns_pending {
	struct dns_auth_conf pc;		/* limits, payload, denial rate */
	struct dns_acl acl;
	struct dns_tsig_key key;	/* secret: wiped at commit or abort */
	bool have_tsig;
	struct dns_notify *notify;
	struct dns_zone *zone;		/* a new zone, only if its files or keys changed */
	struct dns_zone_origin_conf from;
	char *sync_file;		/* zone-sync target, or NULL for zone-sync = no */
};

static void pending_free(struct dns_pending *pd)
{
	dns_notify_close(pd->notify);
	dns_acl_deinit(&pd->acl);
	dns_tsig_key_wipe(&pd->key);
	dns_zone_free(pd->zone);
	dns__zone_from_free(&pd->from);
	free(pd->sync_file);
	free(pd);
}

/* Same listen addresses (in order) and port? */
static bool listen_same(const struct dns_auth_conf *a, const struct dns_auth_conf *b)
{
	if (a->srv.port != b->srv.port || a->srv.n_addrs != b->srv.n_addrs)
		return false;
	for (size_t i = 0; i < a->srv.n_addrs; i++)
		if (!sp_endpoint_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

/*
 * The zone part of prepare: keep the running zone unless its files or keys
 * changed; then load and sign the new one here, once (check() did not).
 */
static int prepare_zone(struct dns_auth *p, const struct sp_config *cfg, struct dns_pending *pd)
{
	struct dns_keyset ks;
	int err = dns__auth_keys_load(cfg, &ks);

	if (err < 0)
		return err;
	bool same = dns__zone_from_same(&p->from, cfg) && dns__auth_keys_same(p->zone, &ks);
	dns_keyset_deinit(&ks);
	if (same)
		return 0;
	/* Reading the file the running zone writes back to: write what is pending first. */
	const char *path = sp_cfg_str(sp_config_get(cfg, "dns"), "zone-file");
	if (p->dirty && p->zone_file != NULL && strcmp(p->zone_file, path) == 0 &&
	    dns__zone_write(p->zone, p->zone_file) == 0)
		p->dirty = false;
	sp_notice("dns: zone file or keys changed: loading %s", path);
	err = dns__auth_zone_open(cfg, &pd->zone);
	if (err == 0)
		err = dns__zone_from_set(&pd->from, cfg);
	return err;
}

/*
 * Reload, phase one: build the new ACL, TSIG key and NOTIFY sockets (and a
 * new zone only if its files or keys changed) without touching what runs.
 * The listen sockets are not re-bound on reload: a new [dns] listen, port or
 * enabled is refused (file:line) and needs a restart.
 */
static int dns_auth_prepare(void *state, const struct sp_config *cfg, void **pending)
{
	struct dns_auth *p = state;
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	struct dns_pending *pd;
	int err;

	*pending = NULL;
	if (p == NULL || !p->in_role)
		return 0;
	if (sp_cfg_bool(d, "enabled") != p->enabled) {
		sp_config_error(cfg, d, "enabled", "cannot change on reload; restart signpostd");
		return SP_ECONFIG;
	}
	if (!p->enabled)
		return 0;
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		return -ENOMEM;
	struct dns_auth_conf *old = malloc(sizeof(*old));
	if (old == NULL) {
		free(pd);
		return -ENOMEM;
	}
	err = dns__auth_conf_read(cfg, &pd->pc);
	if (err == 0 && dns__auth_conf_read(p->node->cfg, old) == 0 && !listen_same(old, &pd->pc)) {
		bool port = old->srv.port != pd->pc.srv.port;
		sp_config_error(cfg, d, port ? "port" : "listen",
				"cannot change on reload; restart signpostd");
		err = SP_ECONFIG;
	}
	free(old);
	if (err < 0) {
		free(pd);
		return SP_ECONFIG;
	}
	if (dns_acl_init(&pd->acl, cfg) < 0) {
		free(pd);
		return SP_ECONFIG;
	}
	if (dns__auth_tsig_open(cfg, &pd->key, &pd->have_tsig) < 0 ||
	    dns_notify_new(p->node->loop, &pd->acl, pd->have_tsig ? &pd->key : NULL,
			   &pd->notify) < 0) {
		pd->notify = NULL;
		pending_free(pd);
		return SP_ECONFIG;
	}
	if (sp_cfg_bool(d, "zone-sync") &&
	    (pd->sync_file = strdup(sp_cfg_str(d, "zone-file"))) == NULL) {
		pending_free(pd);
		return -ENOMEM;
	}
	err = prepare_zone(p, cfg, pd);
	if (err < 0) {
		pending_free(pd);
		return err == -ENOMEM ? err : SP_ECONFIG;
	}
	*pending = pd;
	return 0;
}

/* Commit's zone part: switch to the new zone, if prepare built one. */
static void commit_zone(struct dns_auth *p, struct dns_pending *pd)
{
	/* Run-time changes of the old zone reach its file before it goes. */
	if (p->dirty && p->zone_file != NULL && dns__zone_write(p->zone, p->zone_file) == 0)
		p->dirty = false;
	free(p->zone_file);
	p->zone_file = pd->sync_file;
	pd->sync_file = NULL;
	if (pd->zone == NULL)
		return;
	uint32_t old_serial = dns_zone_serial(p->zone);
	dns_zone_free(p->zone);
	p->zone = pd->zone;
	pd->zone = NULL;
	dns__zone_from_free(&p->from);
	p->from = pd->from;
	memset(&pd->from, 0, sizeof(pd->from));
	p->dirty = false;
	zone_attach(p, p->zone, &pd->pc);
	sp_info("dns: zone reloaded, serial %u -> %u", old_serial, dns_zone_serial(p->zone));
	plane_announce(p, dns_zone_serial(p->zone));
}

/* Reload, phase two: switch to what dns_auth_prepare() built.  Cannot fail. */
static void dns_auth_commit(void *state, void *pending)
{
	struct dns_auth *p = state;
	struct dns_pending *pd = pending;

	if (p == NULL || pd == NULL)
		return;
	dns_server_set_limits(p->server, &pd->pc.srv);
	dns_notify_close(p->notify);
	p->notify = pd->notify;
	pd->notify = NULL;
	dns_acl_deinit(&p->acl);
	p->acl = pd->acl;
	memset(&pd->acl, 0, sizeof(pd->acl));
	/* The replay memory stays: a request seen before the reload is still a replay. */
	dns_tsig_key_wipe(&p->tsig);
	p->tsig = pd->key;
	p->tsig.replay = p->replay;
	p->have_tsig = pd->have_tsig;
	commit_zone(p, pd);
	dns_zone_set_udp_payload(p->zone, pd->pc.udp_payload);
	dns_zone_set_denial_rate(p->zone, pd->pc.denial_rate);
	pending_free(pd);
}

/* Reload refused by another plane: drop what dns_auth_prepare() built. */
static void dns_auth_abort(void *state, void *pending)
{
	struct dns_pending *pd = pending;

	if (state == NULL || pd == NULL)
		return;
	pending_free(pd);
}

static void dns_auth_status(void *state, struct sp_status *st)
{
	struct dns_auth *p = state;

	if (p != NULL && !p->in_role) {
		sp_status_add(st, "state", "not in this role");
		return;
	}
	if (p == NULL || !p->enabled) {
		sp_status_add(st, "state", "off");
		return;
	}
	struct dns_zone_stats zs;
	struct dns_server_stats ss;
	dns_zone_stats(p->zone, &zs);
	dns_server_stats(p->server, &ss);
	sp_status_add(st, "state", "serving");
	sp_status_add(st, "zone", "%s", sp_cfg_str(sp_config_get(p->node->cfg, "node"), "zone"));
	sp_status_add(st, "serial", "%u", zs.serial);
	sp_status_add(st, "names", "%u", zs.names);
	sp_status_add(st, "rrsets", "%u", zs.rrsets);
	sp_status_add(st, "queries-udp", "%llu", (unsigned long long)ss.udp_queries);
	sp_status_add(st, "queries-tcp", "%llu", (unsigned long long)ss.tcp_queries);
	sp_status_add(st, "tcp-open", "%u", ss.tcp_open);
	sp_status_add(st, "tcp-refused", "%llu", (unsigned long long)ss.tcp_refused);
	sp_status_add(st, "tcp-evicted", "%llu", (unsigned long long)ss.tcp_evicted);
	sp_stream_stats_status(&ss.tcp_closes, "tcp", st);
	sp_status_add(st, "rrl-dropped", "%llu", (unsigned long long)ss.rrl_dropped);
	sp_status_add(st, "rrl-slipped", "%llu", (unsigned long long)ss.rrl_slipped);
	sp_status_add(st, "answers-cached", "%llu", (unsigned long long)zs.answers_cached);
	sp_status_add(st, "answers-built", "%llu", (unsigned long long)zs.answers_built);
	sp_status_add(st, "sigs-made", "%llu", (unsigned long long)zs.sigs_made);
	sp_status_add(st, "sigs-denial", "%llu", (unsigned long long)zs.sigs_denial);
	sp_status_add(st, "denial-limited", "%llu", (unsigned long long)zs.denial_limited);
	sp_status_add(st, "updates", "%llu", (unsigned long long)p->updates);
	sp_status_add(st, "transfers", "%llu", (unsigned long long)p->xfrs);
	sp_status_add(st, "zone-loads", "%llu", (unsigned long long)dns__zone_loads);
}

/* ---- the plane ---- */

#define DNS_AUTH_INTERVALS_MAX 8
static struct sp_interval *dns_auth_intervals[DNS_AUTH_INTERVALS_MAX];

struct sp_plane dns_auth_plane = {
	.name = "dns", .sections = dns_auth_schema, .check = dns__auth_check,
	.start = dns_auth_start, .prepare = dns_auth_prepare, .commit = dns_auth_commit,
	.abort = dns_auth_abort, .stop = dns_auth_stop, .status = dns_auth_status,
	.intervals = dns_auth_intervals,
};

/*
 * NOTIFY's interval lives in notify.c and its count is not a compile-time
 * constant here, so the list is gathered before main() runs (signpostd
 * registers it first thing).
 */
__attribute__((constructor)) static void dns_auth_intervals_gather(void)
{
	size_t n = 0;

	dns_auth_intervals[n++] = &dns_maintain_iv;
	dns_auth_intervals[n++] = &dns_zone_sync_iv;
	for (size_t i = 0; i < dns_notify_n_intervals && n < DNS_AUTH_INTERVALS_MAX; i++)
		dns_auth_intervals[n++] = dns_notify_intervals[i];
	dns_auth_plane.n_intervals = n;
}
