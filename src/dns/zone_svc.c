/*
 * zone_svc.c - the zone service (zone_svc.h): its calls, and the
 * authoritative plane's implementation over the running zone.
 */
#include "dns/zone_svc.h"

#include <errno.h>
#include <time.h>

#include "core/service.h"
#include "dns/plane.h"
#include "dns/zone.h"

struct dns_zone_svc *dns_zone_svc_get(const struct sp_node *node)
{
	return sp_service_get(node, SP_SVC_ZONE);
}

uint32_t dns_zone_svc_serial(const struct dns_zone_svc *zs)
{
	return zs->ops->serial(zs->ctx);
}

const ldns_rdf *dns_zone_svc_origin(const struct dns_zone_svc *zs)
{
	return zs->ops->origin(zs->ctx);
}

int dns_zone_svc_lookup(const struct dns_zone_svc *zs, const ldns_rdf *owner, ldns_rr_type type,
			ldns_rr_list **out)
{
	return zs->ops->lookup(zs->ctx, owner, type, out);
}

int dns_zone_svc_each_type(const struct dns_zone_svc *zs, ldns_rr_type type, ldns_rr_list **out)
{
	return zs->ops->each_type(zs->ctx, type, out);
}

int dns_zone_svc_apply(const struct dns_zone_svc *zs, const struct dns_changeset *cs,
		       uint32_t *serial)
{
	return zs->ops->apply(zs->ctx, cs, serial);
}

int dns_zone_svc_add(const struct dns_zone_svc *zs, ldns_rr *rr, uint32_t *serial)
{
	struct dns_changeset *cs = dns_changeset_new();
	if (cs == NULL) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	int err = dns_changeset_add(cs, rr);
	if (err == 0)
		err = dns_zone_svc_apply(zs, cs, serial);
	dns_changeset_free(cs);
	return err;
}

int dns_zone_svc_del(const struct dns_zone_svc *zs, const ldns_rdf *owner, ldns_rr_type type,
		     uint32_t *serial)
{
	struct dns_changeset *cs = dns_changeset_new();
	ldns_rdf *o = ldns_rdf_clone(owner);
	if (cs == NULL || o == NULL) {
		dns_changeset_free(cs);
		ldns_rdf_deep_free(o);
		return -ENOMEM;
	}
	int err = dns_changeset_del_rrset(cs, o, type);
	if (err == 0)
		err = dns_zone_svc_apply(zs, cs, serial);
	dns_changeset_free(cs);
	return err;
}

/* ---- the authoritative plane's side: the running zone (it may be swapped at a reload) ---- */

int dns__auth_apply(struct dns_auth *p, const struct dns_changeset *cs, uint32_t *serial)
{
	/*
	 * The zone's listener (dns_auth_plane.c) sends NOTIFY, schedules the
	 * write-back and emits SP_EV_ZONE_CHANGED.
	 */
	return dns_zone_apply(p->zone, cs, time(NULL), serial);
}

static uint32_t auth_serial(void *ctx)
{
	return dns_zone_serial(((struct dns_auth *)ctx)->zone);
}

static const ldns_rdf *auth_origin(void *ctx)
{
	return dns_zone_origin(((struct dns_auth *)ctx)->zone);
}

static int auth_lookup(void *ctx, const ldns_rdf *owner, ldns_rr_type type, ldns_rr_list **out)
{
	return dns_zone_lookup(((struct dns_auth *)ctx)->zone, owner, type, out);
}

static int auth_each_type(void *ctx, ldns_rr_type type, ldns_rr_list **out)
{
	return dns_zone_each_type(((struct dns_auth *)ctx)->zone, type, out);
}

static int auth_apply(void *ctx, const struct dns_changeset *cs, uint32_t *serial)
{
	return dns__auth_apply(ctx, cs, serial);
}

static const struct dns_zone_svc_ops auth_svc_ops = {
	.serial = auth_serial, .origin = auth_origin, .lookup = auth_lookup,
	.each_type = auth_each_type, .apply = auth_apply,
};

void dns__zone_svc_init(struct dns_auth *p)
{
	p->svc.ops = &auth_svc_ops;
	p->svc.ctx = p;
}
