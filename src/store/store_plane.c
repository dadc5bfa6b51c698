/*
 * store_plane.c - the store plane (loop code): the replica's database on
 * its worker thread, the sync listener on the overlay address, and finding
 * the user's other devices to sync with.
 *
 * The own devices come from the own zone, validated: the signpost keeps a
 * PTR record per device at _devices.ZONE (published and withdrawn with the
 * device's AAAA and KEY), and each name's AAAA is its overlay address.
 * Connecting a TCP socket there is enough: the packet that has no tunnel
 * peer yet makes the control plane connect one (SP_EV_NO_PEER).
 *
 * Timers:
 *   store.discover   look the own devices up again and connect missing ones
 *   tick (50 ms)     hand sessions with more output to the worker once the
 *                    socket drained (the stream helper has no drain event)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ldns/ldns.h>

#include "core/config.h"
#include "core/log.h"
#include "core/status.h"
#include "core/timer.h"
#include "dns/resolver.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store/store_schema.h"
#include "tunnel/overlay.h"

struct sp_interval store_iv_discover = {
	"store.discover", 30000,
	"devices come and go over minutes; a new one is also found when it connects to us"
};
static struct sp_interval *const store_intervals[] = { &store_iv_discover };

#define TICK_MS 50
#define FIRST_DISCOVER_MS 1000

static int store_check(const struct sp_config *cfg)
{
	if (!store_schema_enabled(cfg))
		return 0;
	const char *zone = sp_cfg_str(sp_config_get(cfg, "node"), "zone");
	if (!zone || !*zone) {
		sp_err("%s: [store] needs [node] zone (the own devices are found in it)", cfg->path);
		return SP_ECONFIG;
	}
	return 0;
}

void store__maybe_free(struct store_plane *sp)
{
	if (sp->stopping && sp->handles == 0 && sp->work_closed && sp->n_conns == 0)
		free(sp);
}

static void handle_closed(uv_handle_t *h)
{
	struct store_plane *sp = h->data;
	sp->handles--;
	store__maybe_free(sp);
}

/* ---- finding the own devices, and friends' ---- */

static void aaaa_done(void *arg, int status, const ldns_rr_list *rrset)
{
	struct store_zone *z = arg;
	struct store_plane *sp = z->sp;
	if (status != 0 || sp->stopping)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		const ldns_rdf *a = ldns_rr_rdf(rr, 0);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_AAAA || !a || ldns_rdf_size(a) != 16)
			continue;
		const uint8_t *addr = ldns_rdf_data(a);
		/* Only the zone's own overlay addresses, and never this device. */
		if (memcmp(addr, sp->overlay, 16) == 0 || memcmp(addr, z->prefix, 6) != 0 ||
		    store__conn_by_addr(sp, addr))
			continue;
		/*
		 * Tell the control plane the name first, as the stub does for its
		 * clients: the tunnel our connection needs is then made (and shown)
		 * by name, not only by address.
		 */
		struct sp_event ev = { .type = SP_EV_NAME_ANSWERED };
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));
		if (owner) {
			snprintf(ev.u.name.fqdn, sizeof(ev.u.name.fqdn), "%s", owner);
			for (char *p = ev.u.name.fqdn; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			memcpy(ev.u.name.addr, addr, 16);
			sp_event_emit(sp->node, &ev);
			free(owner);
		}
		int rc = store__connect(sp, z, addr);
		if (rc && rc != SP_ELIMIT)
			sp_warn("store: cannot connect to a device of %s: %s", z->zone, sp_strerror(rc));
	}
}

static void ptr_done(void *arg, int status, const ldns_rr_list *rrset)
{
	struct store_zone *z = arg;
	struct store_plane *sp = z->sp;
	if (sp->stopping)
		return;
	if (status != 0) {
		if (status != SP_ENOTFOUND)
			sp_debug("store: _devices.%s: %s", z->zone, sp_strerror(status));
		return;
	}
	struct dns_resolver *res = dns_resolver_get(sp->node);
	size_t others = 0;
	for (size_t i = 0; res && i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_PTR || !ldns_rr_rdf(rr, 0))
			continue;
		char *name = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		if (!name)
			continue;
		/* Only names inside the zone, and never this device. */
		size_t nl = strlen(name), zl = strlen(z->zone);
		if (strcasecmp(name, sp->fqdn) != 0 && nl > zl &&
		    strcasecmp(name + nl - zl, z->zone) == 0 && name[nl - zl - 1] == '.') {
			others++;
			sp->lookups++;
			if (dns_resolver_lookup(res, name, LDNS_RR_TYPE_AAAA, aaaa_done, z) != 0)
				sp_debug("store: cannot look %s up", name);
		}
		free(name);
	}
	/* Tombstones are collected only when all of these have agreed (store_conn.c). */
	if (z->own)
		sp->n_own_devices = others;
}

static void lookup_devices(struct store_plane *sp, struct dns_resolver *res, struct store_zone *z)
{
	char q[300];
	snprintf(q, sizeof(q), "_devices.%s", z->zone);
	sp->lookups++;
	if (dns_resolver_lookup(res, q, LDNS_RR_TYPE_PTR, ptr_done, z) != 0)
		sp_debug("store: cannot look %s up", q);
}

/*
 * Read what friend zone shares with us, from its devices, from now on:
 * asked for by a `--friend ZONE` read, or found at start as a replica we
 * keep.  Friends' devices are never dialled unasked: connecting to every
 * device of every friend would make tunnels nobody wanted.
 */
void store__follow(struct store_plane *sp, const char *zone)
{
	struct store_zone *free_slot = NULL;
	if (strcasecmp(zone, sp->zone) == 0)
		return;
	for (size_t i = 1; i <= STORE_FRIENDS_MAX; i++) {
		struct store_zone *z = &sp->zones[i];
		if (z->used && strcasecmp(z->zone, zone) == 0)
			return;
		if (!z->used && !free_slot)
			free_slot = z;
	}
	if (!free_slot || tun_overlay_prefix(zone, free_slot->prefix) != 0)
		return;
	snprintf(free_slot->zone, sizeof(free_slot->zone), "%s", zone);
	free_slot->sp = sp;
	free_slot->used = true;
	struct dns_resolver *res = dns_resolver_get(sp->node);
	if (res && !sp->stopping)
		lookup_devices(sp, res, free_slot);
}

/* The friends whose replicas we keep: store.db.friends/ZONE.db */
static void follow_kept(struct store_plane *sp)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s.friends", sp->path);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 3 && n < 256 && strcmp(e->d_name + n - 3, ".db") == 0) {
			char zone[256];
			snprintf(zone, sizeof(zone), "%.*s", (int)(n - 2), e->d_name);
			store__follow(sp, zone);
		}
	}
	closedir(d);
}

static void discover(uv_timer_t *t)
{
	struct store_plane *sp = t->data;
	struct dns_resolver *res = dns_resolver_get(sp->node);
	if (!res || sp->stopping)
		return;
	for (size_t i = 0; i <= STORE_FRIENDS_MAX; i++)
		if (sp->zones[i].used)
			lookup_devices(sp, res, &sp->zones[i]);
}

struct st_db *store__friend_db(struct store_plane *sp, const char *zone)
{
	struct store_fdb *slot = NULL;
	for (size_t i = 0; i < STORE_FRIENDS_MAX; i++) {
		if (sp->fdb[i].db && strcasecmp(sp->fdb[i].zone, zone) == 0)
			return sp->fdb[i].db;
		if (!sp->fdb[i].db && !slot)
			slot = &sp->fdb[i];
	}
	if (!slot)
		return NULL;
	/* Next to the own replica: store.db -> store.db.friends/alice.example.db */
	char dir[4200], path[4600];
	snprintf(dir, sizeof(dir), "%s.friends", sp->path);
	(void)mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%sdb", dir, zone);
	int rc = st_db_open(path, sp->device, &slot->db);
	if (rc != 0) {
		sp_warn("store: %s: %s", path, sp_strerror(rc));
		slot->db = NULL;
		return NULL;
	}
	snprintf(slot->zone, sizeof(slot->zone), "%s", zone);
	return slot->db;
}

static void tick(uv_timer_t *t)
{
	store__kick_all(t->data);
}

/* ---- the listener ---- */

static void on_connection(uv_stream_t *l, int status)
{
	struct store_plane *sp = l->data;
	if (status < 0) {
		sp_warn("store: accept: %s", uv_strerror(status));
		return;
	}
	store__accept(sp);
}

static int listen_start(struct store_plane *sp)
{
	int err = uv_tcp_init_ex(sp->node->loop, &sp->listener, AF_INET6);
	if (err)
		return err;
	sp->listener.data = sp;
	sp->handles++;
	/* The overlay address may still be tentative on the TUN device: bind anyway. */
	uv_os_fd_t fd;
	int one = 1;
	if (uv_fileno((uv_handle_t *)&sp->listener, &fd) == 0)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(sp->port) };
	memcpy(&a.sin6_addr, sp->overlay, 16);
	err = uv_tcp_bind(&sp->listener, (const struct sockaddr *)&a, 0);
	if (err == 0)
		err = uv_listen((uv_stream_t *)&sp->listener, 16, on_connection);
	return err;
}

/* ---- lifecycle ---- */

static int store_start(struct sp_node *node, void **state)
{
	*state = NULL;
	struct store_plane *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	sp->node = node;
	*state = sp;
	if (!store_schema_enabled(node->cfg)) {
		snprintf(sp->off_reason, sizeof(sp->off_reason), "[store] enabled = %s",
			 sp_cfg_str(sp_config_get(node->cfg, "store"), "enabled"));
		return 0;
	}
	const struct sp_config_section *c = sp_config_get(node->cfg, "store"),
					   *n = sp_config_get(node->cfg, "node");
	snprintf(sp->path, sizeof(sp->path), "%s", sp_cfg_str(c, "path"));
	sp->port = (uint16_t)sp_cfg_int(c, "port");
	snprintf(sp->zone, sizeof(sp->zone), "%s", sp_cfg_str(n, "zone"));
	const char *name = sp_cfg_str(n, "name");
	snprintf(sp->fqdn, sizeof(sp->fqdn), "%s.%s", name ? name : "", sp->zone);
	const uint8_t *ed = sp_keys_ed_public(node->keys), *x = sp_keys_x_public(node->keys);
	int rc = tun_overlay_prefix(sp->zone, sp->prefix);
	if (rc == 0)
		rc = tun_overlay_addr(sp->zone, ed, sp->overlay);
	if (rc) {
		sp_err("store: [node] zone %s: %s", sp->zone, sp_strerror(rc));
		return rc;
	}
	st_device_id(x, sp->device);
	struct store_zone *own = &sp->zones[0];
	own->sp = sp;
	own->own = own->used = true;
	snprintf(own->zone, sizeof(own->zone), "%s", sp->zone);
	memcpy(own->prefix, sp->prefix, 16);
	if ((rc = st_db_open(sp->path, sp->device, &sp->db)) != 0) {
		sp_err("store: %s: %s", sp->path, sp_strerror(rc));
		return rc;
	}
	if ((rc = st_work_start(node->loop, sp->db, &sp->work)) != 0) {
		st_db_close(sp->db);
		sp->db = NULL;
		return rc;
	}
	sp->enabled = true;
	if ((rc = listen_start(sp)) != 0) {
		/* Not fatal: local reads and writes still work, and we still connect out. */
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, sp->overlay, a, sizeof(a));
		sp_warn("store: cannot listen on [%s]:%u: %s", a, sp->port, uv_strerror(rc));
	}
	uv_timer_init(node->loop, &sp->discover);
	uv_timer_init(node->loop, &sp->tick);
	sp->discover.data = sp->tick.data = sp;
	sp->handles += 2;
	uv_timer_start(&sp->discover, discover, FIRST_DISCOVER_MS, store_iv_discover.ms);
	uv_timer_start(&sp->tick, tick, TICK_MS, TICK_MS);
	if ((rc = store__ctl_start(sp)) != 0)
		return rc;
	store__shares_load(sp);
	follow_kept(sp);
	sp_log(SP_LOG_INFO, "store: replica %s, device %02x%02x%02x%02x, sync port %u", sp->path,
	       sp->device[0], sp->device[1], sp->device[2], sp->device[3], sp->port);
	return 0;
}

static void work_closed(void *arg)
{
	struct store_plane *sp = arg;
	st_db_close(sp->db);
	sp->db = NULL;
	for (size_t i = 0; i < STORE_FRIENDS_MAX; i++) {
		st_db_close(sp->fdb[i].db);
		sp->fdb[i].db = NULL;
	}
	sp->work_closed = true;
	store__maybe_free(sp);
}

static void store_stop(void *state)
{
	struct store_plane *sp = state;
	if (!sp)
		return;
	sp->stopping = true;
	if (!sp->enabled) {
		free(sp);
		return;
	}
	struct dns_resolver *res = dns_resolver_get(sp->node);
	for (size_t i = 0; res && i <= STORE_FRIENDS_MAX; i++)
		dns_resolver_cancel(res, NULL, &sp->zones[i]);
	uv_close((uv_handle_t *)&sp->discover, handle_closed);
	uv_close((uv_handle_t *)&sp->tick, handle_closed);
	if (sp->listener.type)
		uv_close((uv_handle_t *)&sp->listener, handle_closed);
	/*
	 * The queued jobs finish (a write acknowledged is committed) and the
	 * thread ends; from then on the loop alone holds the sessions, and the
	 * connections free theirs as they close.
	 */
	st_work_stop(sp->work, work_closed, sp);
	sp->work = NULL;
	store__close_all(sp);
}

static void store_status(void *state, struct sp_status *st)
{
	struct store_plane *sp = state;
	if (!sp || !sp->enabled) {
		sp_status_add(st, "state", "off%s%s", sp && sp->off_reason[0] ? ": " : "",
			      sp ? sp->off_reason : "");
		return;
	}
	sp_status_add(st, "state", "up");
	sp_status_add(st, "replica", "%s", sp->path);
	sp_status_add(st, "device", "%02x%02x%02x%02x%02x%02x%02x%02x", sp->device[0],
		      sp->device[1], sp->device[2], sp->device[3], sp->device[4], sp->device[5],
		      sp->device[6], sp->device[7]);
	sp_status_add(st, "sync-port", "%u", sp->port);
	unsigned live = 0;
	for (struct store_conn *c = sp->conns; c; c = c->next)
		live += c->state == ST_S_LIVE;
	sp_status_add(st, "sessions", "%u (%u live)", sp->n_conns, live);
	sp_status_add(st, "shares", "%zu", sp->n_shares);
	sp_status_add(st, "accepted", "%llu", (unsigned long long)sp->accepted);
	sp_status_add(st, "refused", "%llu", (unsigned long long)sp->refused);
	if (sp->work)
		sp_status_add(st, "jobs-pending", "%u", st_work_pending(sp->work));
	sp_stream_stats_status(&sp->stream_stats, "sync", st);
}

const struct sp_plane store_plane = {
	.name = "store",
	.sections = store_schema,
	.check = store_check,
	.start = store_start,
	.stop = store_stop,
	.status = store_status,
	.intervals = store_intervals,
	.n_intervals = sizeof(store_intervals) / sizeof(store_intervals[0]),
};
