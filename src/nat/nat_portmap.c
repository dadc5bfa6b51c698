/*
 * nat_portmap.c - port mapping on the default gateway (loop code), a thin
 * adapter around the pure codecs pcp.c and natpmp.c, and miniupnpc.
 *
 * States (one function changes them, enter()):
 *   PCP        MAP request to gateway:5351, retransmitted from nat.pcp-rto
 *              doubling, PCP_TRIES times; a NAT-PMP answer (version 0) or an
 *              error result moves on at once
 *   NATPMP_ADDR, NATPMP_MAP  the external address, then the mapping, from
 *              nat.natpmp-rto doubling, NATPMP_TRIES times each
 *   UPNP       discovery, IGD and AddPortMapping in a uv_queue_work worker
 *              (miniupnpc blocks); the worker touches only this object's
 *              upnp fields and never the loop
 *   MAPPED     renewed at half the granted lifetime (by the same protocol)
 *   IDLE       nothing worked: all again after nat.portmap-retry
 *   DELETING   on stop: lifetime 0 (or DeletePortMapping), bounded
 *   CLOSED     handles closing; freed when the last one and the worker are done
 *
 * Timers: one uv_timer (retransmission, renewal, retry and the deletion bound).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <sodium.h>

#include "core/log.h"
#include "core/reply.h"
#include "nat/nat_portmap.h"
#include "nat/natpmp.h"
#include "nat/pcp.h"

struct sp_interval nat_iv_portmap_lifetime = { "nat.portmap-lifetime", 7200000,
	"lifetime asked for a mapping: RFC 6886 recommends two hours; renewed at half" };
struct sp_interval nat_iv_pcp_rto = { "nat.pcp-rto", 3000,
	"RFC 6887 section 8.1.1: PCP's initial retransmission time (IRT), doubled each try" };
struct sp_interval nat_iv_natpmp_rto = { "nat.natpmp-rto", 250,
	"RFC 6886 section 3.1: NAT-PMP's first retransmission after 250 ms, doubled each try" };
struct sp_interval nat_iv_portmap_retry = { "nat.portmap-retry", 300000,
	"no protocol worked: try the gateway again (it may have been reconfigured)" };

/*
 * Tries per request.  RFC 6887 retransmits PCP without end and RFC 6886
 * NAT-PMP 9 times (64 s); both are bounded here so that a gateway without
 * either reaches UPnP in about 13 s (3 + 6 s, then 0.25 + 0.5 + 1 + 2 s).
 */
#define PCP_TRIES 2
#define NATPMP_TRIES 4
/* Deletion on stop: 3 tries 250 ms apart, then give up (the lifetime ends it anyway). */
#define DELETE_TRIES 3
#define DELETE_RTO_MS 250
/* UPnP discovery waits this long for SSDP answers (miniupnpc's delay). */
#define UPNP_DISCOVER_MS 2000
/* A permanent UPnP lease is refreshed anyway (the router may have restarted). */
#define UPNP_PERMANENT_REFRESH_S 1800

enum pm_state { PM_PCP, PM_NATPMP_ADDR, PM_NATPMP_MAP, PM_UPNP, PM_MAPPED, PM_IDLE,
		PM_DELETING, PM_CLOSED };
static const char *const state_names[] = { "pcp", "nat-pmp-address", "nat-pmp-map", "upnp",
					   "mapped", "idle", "deleting", "closed" };

enum upnp_op { UPNP_ADD, UPNP_DEL };

struct nat_portmap {
	uv_loop_t *loop;
	enum nat_portmap_mode mode;
	uint16_t port;
	nat_portmap_fn cb;
	void *arg;
	enum pm_state state;
	bool have_gw;
	struct sockaddr_in gw;
	struct sockaddr_in local;	/* my address toward the gateway (PCP's client address) */
	uv_udp_t sock;
	uv_timer_t timer;
	bool sock_open;
	unsigned open_handles;
	bool work_busy;
	bool stopping;
	unsigned tries;
	uint64_t rto_ms;
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t natpmp_ext[4];
	/* The mapping (family 0: none). */
	union sp_endpoint mapped;
	const char *proto;		/* "pcp", "nat-pmp", "upnp" */
	uint32_t lifetime_s;
	uint64_t mapped_at_ms;		/* uv_now of the last grant */
	bool have_epoch;
	uint32_t epoch;
	uint64_t epoch_at_ms;
	uint64_t renewals, failures, gateway_restarts;
	char last_error[80];
	/* UPnP: written by the worker while work_busy, read by the loop after. */
	uv_work_t work;
	enum upnp_op upnp_op;
	bool igd;
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lanaddr[64];
	char ext_ip[40];
	uint32_t upnp_lease;
	int upnp_rc;			/* 0 or a UPnP/miniupnpc error */
	char upnp_err[64];
};

static void send_request(struct nat_portmap *pm);
static void close_all(struct nat_portmap *pm);
static void start_work(struct nat_portmap *pm, enum upnp_op op);

static void enter(struct nat_portmap *pm, enum pm_state s)
{
	if (pm->state != s)
		sp_info("nat: portmap %s -> %s", state_names[pm->state], state_names[s]);
	pm->state = s;
}

int nat_portmap_mode_parse(const char *text, enum nat_portmap_mode *out)
{
	if (!strcmp(text, "yes") || !strcmp(text, "auto"))
		*out = NAT_PM_ANY;
	else if (!strcmp(text, "pcp"))
		*out = NAT_PM_PCP;
	else if (!strcmp(text, "nat-pmp"))
		*out = NAT_PM_NATPMP;
	else if (!strcmp(text, "upnp"))
		*out = NAT_PM_UPNP;
	else
		return -EINVAL;
	return 0;
}

/* The default IPv4 gateway from /proc/net/route (netlink would say the same, with more code). */
static int default_gateway(struct sockaddr_in *gw)
{
	FILE *f = fopen("/proc/net/route", "r");
	if (!f)
		return -errno;
	char line[256];
	int rc = -ENETUNREACH;
	while (fgets(line, sizeof(line), f)) {
		char ifname[32];
		unsigned dst, gwa, flags;
		if (sscanf(line, "%31s %x %x %x", ifname, &dst, &gwa, &flags) != 4)
			continue;	/* the header line */
		if (dst == 0 && (flags & 0x2) /* RTF_GATEWAY */ && gwa != 0) {
			memset(gw, 0, sizeof(*gw));
			gw->sin_family = AF_INET;
			gw->sin_addr.s_addr = gwa;	/* the file prints it in network order */
			gw->sin_port = htons(NATPMP_PORT);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static void timer_cb(uv_timer_t *t);

static void arm_cb(struct nat_portmap *pm, uint64_t ms)
{
	(void)uv_timer_start(&pm->timer, timer_cb, ms, 0);
}

static void go_idle(struct nat_portmap *pm);

/* Begin a request state: first try now, from its initial retransmission time. */
static void begin(struct nat_portmap *pm, enum pm_state s)
{
	enter(pm, s);
	pm->tries = 0;
	if (s == PM_UPNP) {
		(void)uv_timer_stop(&pm->timer);
		start_work(pm, UPNP_ADD);
		return;
	}
	if (!pm->sock_open) {
		/* No gateway for PCP/NAT-PMP: only UPnP (multicast discovery) can work. */
		if (pm->mode == NAT_PM_ANY)
			begin(pm, PM_UPNP);
		else
			go_idle(pm);
		return;
	}
	pm->rto_ms = s == PM_PCP ? nat_iv_pcp_rto.ms : nat_iv_natpmp_rto.ms;
	send_request(pm);
}

/* The first protocol of the mode (again). */
static void restart(struct nat_portmap *pm)
{
	switch (pm->mode) {
	case NAT_PM_ANY:
	case NAT_PM_PCP:
		begin(pm, PM_PCP);
		break;
	case NAT_PM_NATPMP:
		begin(pm, PM_NATPMP_ADDR);
		break;
	case NAT_PM_UPNP:
		begin(pm, PM_UPNP);
		break;
	}
}

static void go_idle(struct nat_portmap *pm)
{
	enter(pm, PM_IDLE);
	arm_cb(pm, nat_iv_portmap_retry.ms);
}

/* This protocol failed (no answer, an error): the next one, or a lost mapping. */
static void protocol_failed(struct nat_portmap *pm, const char *why)
{
	pm->failures++;
	snprintf(pm->last_error, sizeof(pm->last_error), "%s: %s", state_names[pm->state], why);
	sp_info("nat: portmap %s", pm->last_error);
	if (pm->mapped.sa.sa_family) {
		/* A renewal failed: the mapping is gone; look again from the start. */
		const char *proto = pm->proto;
		memset(&pm->mapped, 0, sizeof(pm->mapped));
		pm->proto = NULL;
		if (pm->cb)
			pm->cb(pm->arg, NULL, proto);
		restart(pm);
		return;
	}
	if (pm->mode != NAT_PM_ANY) {
		go_idle(pm);
		return;
	}
	if (pm->state == PM_PCP)
		begin(pm, PM_NATPMP_ADDR);
	else if (pm->state == PM_NATPMP_ADDR || pm->state == PM_NATPMP_MAP)
		begin(pm, PM_UPNP);
	else
		go_idle(pm);
}

static void granted(struct nat_portmap *pm, const char *proto, const uint8_t ext[4],
		    uint16_t ext_port, uint32_t lifetime_s)
{
	union sp_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	ep.in4.sin_family = AF_INET;
	memcpy(&ep.in4.sin_addr, ext, 4);
	ep.in4.sin_port = htons(ext_port);
	bool renewal = pm->mapped.sa.sa_family && pm->proto == proto;
	bool same = renewal && sp_endpoint_equal(&ep, &pm->mapped);
	if (renewal) {
		pm->renewals++;
		sp_info("nat: portmap renewed by %s (%llu), lifetime %u s", proto,
			(unsigned long long)pm->renewals, lifetime_s);
	}
	pm->mapped = ep;
	pm->proto = proto;
	pm->lifetime_s = lifetime_s;
	pm->mapped_at_ms = uv_now(pm->loop);
	enter(pm, PM_MAPPED);
	uint64_t renew_s = lifetime_s ? lifetime_s / 2 : UPNP_PERMANENT_REFRESH_S;
	arm_cb(pm, (renew_s ? renew_s : 1) * 1000);
	if (!same) {
		char s[SP_ENDPOINT_STRLEN];
		sp_notice("nat: port %u mapped to %s by %s, lifetime %u s", pm->port,
			  sp_endpoint_format(&ep, s), proto, lifetime_s);
		if (pm->cb)
			pm->cb(pm->arg, &pm->mapped, proto);
	}
}

static void note_epoch(struct nat_portmap *pm, uint32_t epoch)
{
	uint64_t now = uv_now(pm->loop);
	if (pm->have_epoch && !natpmp_epoch_ok(pm->epoch, epoch, (now - pm->epoch_at_ms) / 1000)) {
		/* The gateway lost its state; this answer's mapping is the new one. */
		pm->gateway_restarts++;
		sp_notice("nat: the gateway restarted (epoch %u after %u)", epoch, pm->epoch);
	}
	pm->have_epoch = true;
	pm->epoch = epoch;
	pm->epoch_at_ms = now;
}

static void send_request(struct nat_portmap *pm)
{
	uint8_t b[PCP_MAP_REQ_LEN];
	size_t n = 0;
	int rc = 0;
	bool deleting = pm->state == PM_DELETING;
	bool pcp = pm->state == PM_PCP || (deleting && pm->proto && !strcmp(pm->proto, "pcp"));
	uint32_t lifetime = deleting ? 0 : (uint32_t)(nat_iv_portmap_lifetime.ms / 1000);
	if (pcp) {
		struct pcp_map_request q = { .lifetime = lifetime, .protocol = PCP_PROTO_UDP,
					     .internal_port = pm->port, .external_port = pm->port };
		pcp_addr_from_v4(q.client_addr, (const uint8_t *)&pm->local.sin_addr);
		memcpy(q.nonce, pm->nonce, PCP_NONCE_LEN);
		static const uint8_t any[4];
		if (pm->mapped.sa.sa_family) {
			/* Renewal or deletion: ask for what we hold. */
			q.external_port = sp_endpoint_port(&pm->mapped);
			pcp_addr_from_v4(q.external_addr, (const uint8_t *)&pm->mapped.in4.sin_addr);
		} else {
			pcp_addr_from_v4(q.external_addr, any);
		}
		rc = pcp_write_map_request(b, sizeof(b), &q, &n);
	} else if (pm->state == PM_NATPMP_ADDR) {
		n = natpmp_write_addr_request(b);
	} else {
		/* NAT-PMP map, renewal, or deletion (lifetime 0 and external port 0). */
		uint16_t ext = pm->mapped.sa.sa_family ? sp_endpoint_port(&pm->mapped) : pm->port;
		rc = natpmp_write_map_request(b, sizeof(b), NATPMP_OP_MAP_UDP, pm->port,
					      deleting ? 0 : ext, lifetime, &n);
	}
	if (rc == 0) {
		uv_buf_t buf = uv_buf_init((char *)b, (unsigned)n);
		rc = uv_udp_try_send(&pm->sock, &buf, 1, NULL);
		if (rc >= 0)
			rc = 0;
	}
	if (rc)
		sp_info("nat: portmap send: %s", uv_strerror(rc));
	pm->tries++;
	arm_cb(pm, pm->rto_ms);
	pm->rto_ms *= 2;
}

static void timer_cb(uv_timer_t *t)
{
	struct nat_portmap *pm = t->data;
	switch (pm->state) {
	case PM_PCP:
		if (pm->tries < PCP_TRIES)
			send_request(pm);
		else
			protocol_failed(pm, "no answer");
		break;
	case PM_NATPMP_ADDR:
	case PM_NATPMP_MAP:
		if (pm->tries < NATPMP_TRIES)
			send_request(pm);
		else
			protocol_failed(pm, "no answer");
		break;
	case PM_MAPPED:
		/* Half the lifetime passed: renew with the protocol that made it. */
		if (!strcmp(pm->proto, "pcp"))
			begin(pm, PM_PCP);
		else if (!strcmp(pm->proto, "nat-pmp"))
			begin(pm, PM_NATPMP_MAP);
		else
			begin(pm, PM_UPNP);
		break;
	case PM_IDLE:
		restart(pm);
		break;
	case PM_DELETING:
		if (pm->tries < DELETE_TRIES) {
			pm->rto_ms = DELETE_RTO_MS;
			send_request(pm);
		} else {
			sp_info("nat: portmap: no answer to the deletion");
			close_all(pm);
		}
		break;
	default:
		break;
	}
}

static void on_pcp(struct nat_portmap *pm, const uint8_t *b, size_t n)
{
	if (pcp_is_natpmp(b, n)) {
		/* RFC 6887 section 9: a NAT-PMP server answered; speak its version. */
		protocol_failed(pm, "the gateway speaks NAT-PMP only");
		return;
	}
	struct pcp_response r;
	if (pcp_parse_response(b, n, &r) != 0)
		return;
	if (r.has_map && (memcmp(r.nonce, pm->nonce, PCP_NONCE_LEN) != 0 ||
			  r.protocol != PCP_PROTO_UDP || r.internal_port != pm->port))
		return;	/* not our mapping */
	note_epoch(pm, r.epoch);
	if (pm->state == PM_DELETING) {
		close_all(pm);
		return;
	}
	uint8_t v4[4];
	if (r.result != PCP_R_SUCCESS || !r.has_map || r.lifetime == 0 ||
	    !pcp_addr_to_v4(r.external_addr, v4)) {
		protocol_failed(pm, r.result ? pcp_result_str(r.result) : "no IPv4 mapping");
		return;
	}
	granted(pm, "pcp", v4, r.external_port, r.lifetime);
}

static void on_natpmp(struct nat_portmap *pm, const uint8_t *b, size_t n)
{
	struct natpmp_response r;
	if (natpmp_parse_response(b, n, &r) != 0)
		return;
	uint8_t want = pm->state == PM_NATPMP_ADDR ? NATPMP_OP_ADDR : NATPMP_OP_MAP_UDP;
	if (r.op != want || (r.full && want == NATPMP_OP_MAP_UDP && r.internal_port != pm->port))
		return;
	note_epoch(pm, r.epoch);
	if (pm->state == PM_DELETING) {
		close_all(pm);
		return;
	}
	if (r.result != NATPMP_R_SUCCESS) {
		protocol_failed(pm, natpmp_result_str(r.result));
		return;
	}
	if (pm->state == PM_NATPMP_ADDR) {
		memcpy(pm->natpmp_ext, r.external_addr, 4);
		begin(pm, PM_NATPMP_MAP);
		return;
	}
	if (r.lifetime == 0) {
		protocol_failed(pm, "lifetime 0");
		return;
	}
	granted(pm, "nat-pmp", pm->natpmp_ext, r.external_port, r.lifetime);
}

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char rx[PCP_MSG_MAX + 4];	/* one loop thread; consumed before the next read */
	(void)h;
	(void)size;
	*buf = uv_buf_init(rx, sizeof(rx));
}

static void recv_cb(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct nat_portmap *pm = u->data;
	(void)flags;
	if (nread <= 0 || !from || from->sa_family != AF_INET)
		return;
	/* The socket is connected to gateway:5351, but check: only the gateway answers. */
	const struct sockaddr_in *f = (const struct sockaddr_in *)from;
	if (f->sin_addr.s_addr != pm->gw.sin_addr.s_addr || f->sin_port != htons(NATPMP_PORT))
		return;
	const uint8_t *b = (const uint8_t *)buf->base;
	size_t n = (size_t)nread;
	bool pcp_now = pm->state == PM_PCP ||
		       (pm->state == PM_DELETING && pm->proto && !strcmp(pm->proto, "pcp"));
	if (pcp_now)
		on_pcp(pm, b, n);
	else if (pm->state == PM_NATPMP_ADDR || pm->state == PM_NATPMP_MAP ||
		 pm->state == PM_DELETING)
		on_natpmp(pm, b, n);
}

/* ---- UPnP IGD, in a worker thread ---- */

static void upnp_work(uv_work_t *w)
{
	struct nat_portmap *pm = w->data;
	char port[8];
	snprintf(port, sizeof(port), "%u", pm->port);
	pm->upnp_rc = 0;
	pm->upnp_err[0] = 0;
	if (pm->upnp_op == UPNP_DEL) {
		if (pm->igd)
			pm->upnp_rc = UPNP_DeletePortMapping(pm->urls.controlURL,
							     pm->data.first.servicetype, port,
							     "UDP", NULL);
		return;
	}
	if (!pm->igd) {
		int err = 0;
		struct UPNPDev *devs = upnpDiscover(UPNP_DISCOVER_MS, NULL, NULL, UPNP_LOCAL_PORT_ANY,
						    0, 2, &err);
		if (!devs) {
			pm->upnp_rc = -1;
			snprintf(pm->upnp_err, sizeof(pm->upnp_err), "no UPnP device (%d)", err);
			return;
		}
		int r = UPNP_GetValidIGD(devs, &pm->urls, &pm->data, pm->lanaddr,
					 sizeof(pm->lanaddr));
		freeUPNPDevlist(devs);
		if (r != 1 && r != 2) {
			if (r)
				FreeUPNPUrls(&pm->urls);
			pm->upnp_rc = -1;
			snprintf(pm->upnp_err, sizeof(pm->upnp_err), "no valid IGD (%d)", r);
			return;
		}
		pm->igd = true;
	}
	pm->ext_ip[0] = 0;
	int r = UPNP_GetExternalIPAddress(pm->urls.controlURL, pm->data.first.servicetype,
					  pm->ext_ip);
	if (r != UPNPCOMMAND_SUCCESS || !pm->ext_ip[0]) {
		pm->upnp_rc = r ? r : -1;
		snprintf(pm->upnp_err, sizeof(pm->upnp_err), "GetExternalIPAddress: %s",
			 strupnperror(r));
		return;
	}
	char lease[16];
	snprintf(lease, sizeof(lease), "%u", (unsigned)(nat_iv_portmap_lifetime.ms / 1000));
	r = UPNP_AddPortMapping(pm->urls.controlURL, pm->data.first.servicetype, port, port,
				pm->lanaddr, "signpost", "UDP", NULL, lease);
	if (r == 725) {
		/* OnlyPermanentLeasesSupported: ask for 0 and refresh it ourselves. */
		snprintf(lease, sizeof(lease), "0");
		r = UPNP_AddPortMapping(pm->urls.controlURL, pm->data.first.servicetype, port, port,
					pm->lanaddr, "signpost", "UDP", NULL, lease);
	}
	if (r != UPNPCOMMAND_SUCCESS) {
		pm->upnp_rc = r;
		snprintf(pm->upnp_err, sizeof(pm->upnp_err), "AddPortMapping: %d %s", r,
			 strupnperror(r));
		return;
	}
	pm->upnp_lease = (uint32_t)strtoul(lease, NULL, 10);
}

static void maybe_free(struct nat_portmap *pm)
{
	if (pm->state == PM_CLOSED && pm->open_handles == 0 && !pm->work_busy) {
		if (pm->igd)
			FreeUPNPUrls(&pm->urls);
		free(pm);
	}
}

static void upnp_done(uv_work_t *w, int status)
{
	struct nat_portmap *pm = w->data;
	pm->work_busy = false;
	if (pm->state == PM_CLOSED) {
		maybe_free(pm);
		return;
	}
	if (pm->upnp_op == UPNP_DEL || status != 0) {
		close_all(pm);
		return;
	}
	if (pm->stopping) {
		/* Stopped while adding or renewing: delete what the worker made or we held. */
		if (pm->upnp_rc == 0 || pm->mapped.sa.sa_family)
			start_work(pm, UPNP_DEL);
		else
			close_all(pm);
		return;
	}
	struct in_addr a;
	if (pm->upnp_rc != 0 || inet_pton(AF_INET, pm->ext_ip, &a) != 1) {
		protocol_failed(pm, pm->upnp_err[0] ? pm->upnp_err : "bad external address");
		return;
	}
	granted(pm, "upnp", (const uint8_t *)&a, pm->port, pm->upnp_lease);
}

static void start_work(struct nat_portmap *pm, enum upnp_op op)
{
	pm->upnp_op = op;
	pm->work.data = pm;
	int rc = uv_queue_work(pm->loop, &pm->work, upnp_work, upnp_done);
	if (rc == 0) {
		pm->work_busy = true;
		return;
	}
	if (op == UPNP_DEL)
		close_all(pm);
	else
		protocol_failed(pm, uv_strerror(rc));
}

/* ---- life ---- */

static void handle_closed(uv_handle_t *h)
{
	struct nat_portmap *pm = h->data;
	pm->open_handles--;
	maybe_free(pm);
}

static void close_all(struct nat_portmap *pm)
{
	if (pm->state == PM_CLOSED)
		return;
	enter(pm, PM_CLOSED);
	(void)uv_timer_stop(&pm->timer);
	uv_close((uv_handle_t *)&pm->timer, handle_closed);
	if (pm->sock_open)
		uv_close((uv_handle_t *)&pm->sock, handle_closed);
	pm->sock_open = false;
}

static int open_socket(struct nat_portmap *pm)
{
	int rc = uv_udp_init(pm->loop, &pm->sock);
	if (rc)
		return rc;
	pm->sock.data = pm;
	pm->open_handles++;
	pm->sock_open = true;
	struct sockaddr_in any = { .sin_family = AF_INET };
	rc = uv_udp_bind(&pm->sock, (const struct sockaddr *)&any, 0);
	if (rc == 0)
		rc = uv_udp_connect(&pm->sock, (const struct sockaddr *)&pm->gw);
	int len = sizeof(pm->local);
	if (rc == 0)
		rc = uv_udp_getsockname(&pm->sock, (struct sockaddr *)&pm->local, &len);
	if (rc == 0)
		rc = uv_udp_recv_start(&pm->sock, alloc_cb, recv_cb);
	return rc;
}

int nat_portmap_start(uv_loop_t *loop, uint16_t port, enum nat_portmap_mode mode,
		      const union sp_endpoint *gateway, nat_portmap_fn on_mapped, void *arg,
		      struct nat_portmap **out)
{
	*out = NULL;
	if (port == 0)
		return -EINVAL;
	struct nat_portmap *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->loop = loop;
	pm->port = port;
	pm->mode = mode;
	pm->cb = on_mapped;
	pm->arg = arg;
	pm->state = PM_IDLE;
	randombytes_buf(pm->nonce, sizeof(pm->nonce));
	int rc = uv_timer_init(loop, &pm->timer);
	if (rc) {
		free(pm);
		return rc;
	}
	pm->timer.data = pm;
	pm->open_handles = 1;
	if (gateway && gateway->sa.sa_family == AF_INET) {
		pm->gw = gateway->in4;
		pm->gw.sin_port = htons(NATPMP_PORT);
		pm->have_gw = true;
	} else {
		pm->have_gw = default_gateway(&pm->gw) == 0;
	}
	if (!pm->have_gw && mode != NAT_PM_UPNP && mode != NAT_PM_ANY) {
		close_all(pm);
		return -ENETUNREACH;
	}
	if (pm->have_gw) {
		rc = open_socket(pm);
		if (rc) {
			close_all(pm);
			return rc;
		}
	}
	char s[INET_ADDRSTRLEN] = "none";
	if (pm->have_gw)
		inet_ntop(AF_INET, &pm->gw.sin_addr, s, sizeof(s));
	sp_notice("nat: port mapping for UDP port %u, gateway %s", port, s);
	restart(pm);
	*out = pm;
	return 0;
}

void nat_portmap_stop(struct nat_portmap *pm)
{
	if (!pm || pm->stopping)
		return;
	pm->stopping = true;
	pm->cb = NULL;
	(void)uv_timer_stop(&pm->timer);
	if (pm->work_busy)
		return;	/* upnp_done decides: delete what was made, then close */
	if (pm->mapped.sa.sa_family && pm->proto && !strcmp(pm->proto, "upnp")) {
		enter(pm, PM_DELETING);
		start_work(pm, UPNP_DEL);
	} else if (pm->mapped.sa.sa_family && pm->sock_open) {
		enter(pm, PM_DELETING);
		pm->tries = 0;
		pm->rto_ms = DELETE_RTO_MS;
		send_request(pm);
	} else {
		close_all(pm);
	}
}

static uint64_t lifetime_left(const struct nat_portmap *pm)
{
	if (!pm->mapped.sa.sa_family)
		return 0;
	uint64_t age = (uv_now(pm->loop) - pm->mapped_at_ms) / 1000;
	return age < pm->lifetime_s ? pm->lifetime_s - age : 0;
}

void nat_portmap_describe(const struct nat_portmap *pm, char *buf, size_t len)
{
	char s[SP_ENDPOINT_STRLEN];
	if (!pm) {
		snprintf(buf, len, "off ([nat] port-mapping = no)");
		return;
	}
	if (pm->mapped.sa.sa_family) {
		snprintf(buf, len, "%s: mapped %s (%llu s left)", pm->proto ? pm->proto : "?",
			 sp_endpoint_format(&pm->mapped, s), (unsigned long long)lifetime_left(pm));
		return;
	}
	switch (pm->state) {
	case PM_PCP:
	case PM_NATPMP_ADDR:
	case PM_NATPMP_MAP:
	case PM_UPNP:
		snprintf(buf, len, "trying %s", state_names[pm->state]);
		return;
	default:
		snprintf(buf, len, "none found (%s tried%s%s)",
			 pm->mode == NAT_PM_ANY ? "pcp, nat-pmp, upnp" : "the configured protocol",
			 pm->last_error[0] ? "; last: " : "", pm->last_error);
		return;
	}
}

void nat_portmap_status(const struct nat_portmap *pm, struct sp_status *st)
{
	if (!pm) {
		sp_status_add(st, "port-mapping-state", "off");
		return;
	}
	char s[SP_ENDPOINT_STRLEN];
	sp_status_add(st, "port-mapping-state", "%s", state_names[pm->state]);
	sp_status_add(st, "port-mapping-protocol", "%s", pm->proto ? pm->proto : "none");
	sp_status_add(st, "port-mapping-external", "%s",
		      pm->mapped.sa.sa_family ? sp_endpoint_format(&pm->mapped, s) : "none");
	sp_status_add(st, "port-mapping-lifetime-left", "%llu s",
		      (unsigned long long)lifetime_left(pm));
	sp_status_add(st, "port-mapping-renewals", "%llu", (unsigned long long)pm->renewals);
	sp_status_add(st, "port-mapping-failures", "%llu%s%s", (unsigned long long)pm->failures,
		      pm->last_error[0] ? ", last: " : "", pm->last_error);
}
