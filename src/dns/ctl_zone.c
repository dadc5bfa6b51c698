/*
 * ctl_zone.c - the "zone" control command of a signpost:
 *
 *   zone add NAME [TTL] [IN] TYPE RDATA...   add one record
 *   zone del NAME [TYPE]                     delete an RRset, or every RRset at NAME
 *   zone show                                the unsigned content, with the serial
 *
 * NAME is relative to the zone unless it ends with a dot.  Changes go through
 * the engine's changeset, so they are signed at once, bump the SOA serial and
 * reach the secondaries by NOTIFY like an UPDATE.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "dns/plane.h"
#include "dns/zone.h"

/* TTL of a record added without one: an hour, as the zone file's default. */
#define CTL_DEFAULT_TTL 3600

static const char usage[] = "usage: zone add NAME [TTL] TYPE RDATA... | zone del NAME [TYPE] | "
			    "zone show\n";

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Owner name: relative names are taken below the zone's origin. */
static int owner_parse(const struct dns_zone *z, const char *text, ldns_rdf **out)
{
	ldns_rdf *d = NULL;

	if (strcmp(text, "@") == 0) {
		*out = ldns_rdf_clone(dns_zone_origin(z));
		return *out != NULL ? 0 : -ENOMEM;
	}
	if (ldns_str2rdf_dname(&d, text) != LDNS_STATUS_OK)
		return SP_EMALFORMED;
	if (!ldns_dname_str_absolute(text) &&
	    ldns_dname_cat(d, dns_zone_origin(z)) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(d);
		return SP_EMALFORMED;
	}
	*out = d;
	return 0;
}

static int zone_apply(struct dns_auth *p, struct dns_changeset *cs, struct sp_buf *out)
{
	uint32_t before = dns_zone_serial(p->zone), serial = before;
	/* The zone service's path too (zone_svc.h): one way to change the zone. */
	int err = dns__auth_apply(p, cs, &serial);

	dns_changeset_free(cs);
	if (err < 0) {
		sp_buf_printf(out, "refused: %s\n", sp_strerror(err));
		return err;
	}
	if (dns_zone_serial(p->zone) == before)
		sp_buf_printf(out, "no change; serial %u\n", before);
	else
		sp_buf_printf(out, "ok; serial %u\n", dns_zone_serial(p->zone));
	return 0;
}

static int zone_add(struct dns_auth *p, int argc, char **argv, struct sp_buf *out)
{
	struct dns_changeset *cs;
	ldns_rdf *owner = NULL;
	ldns_rr *rr = NULL;
	char *text = NULL, *owner_text = NULL;
	size_t len = 0;
	int i = 3, err;
	long ttl = CTL_DEFAULT_TTL;

	if (argc < 5) {
		sp_buf_printf(out, "%s", usage);
		return SP_EMALFORMED;
	}
	if (all_digits(argv[i])) {
		ttl = strtol(argv[i], NULL, 10);
		if (ttl > 0x7fffffffL) {
			sp_buf_printf(out, "TTL too large\n");
			return SP_EMALFORMED;
		}
		i++;
	}
	if (i < argc && strcasecmp(argv[i], "IN") == 0)
		i++;
	if (argc - i < 2) {
		sp_buf_printf(out, "%s", usage);
		return SP_EMALFORMED;
	}
	err = owner_parse(p->zone, argv[2], &owner);
	if (err < 0) {
		sp_buf_printf(out, "bad name %s\n", argv[2]);
		return err;
	}
	owner_text = ldns_rdf2str(owner);
	ldns_rdf_deep_free(owner);
	if (owner_text == NULL)
		return -ENOMEM;
	/* "owner ttl IN type rdata..." for ldns's parser. */
	len = strlen(owner_text) + 32;
	for (int j = i; j < argc; j++)
		len += strlen(argv[j]) + 3;
	text = malloc(len);
	if (text == NULL) {
		free(owner_text);
		return -ENOMEM;
	}
	int off = snprintf(text, len, "%s %ld IN", owner_text, ttl);
	for (int j = i; j < argc && off > 0 && (size_t)off < len; j++)
		/* RDATA may come as one word or several: join them (TXT brings its own quotes). */
		off += snprintf(text + off, len - (size_t)off, " %s", argv[j]);
	free(owner_text);
	ldns_status st = ldns_rr_new_frm_str(&rr, text, CTL_DEFAULT_TTL, dns_zone_origin(p->zone),
					     NULL);
	if (st != LDNS_STATUS_OK) {
		sp_buf_printf(out, "cannot parse \"%s\": %s\n", text, ldns_get_errorstr_by_id(st));
		free(text);
		return SP_EMALFORMED;
	}
	free(text);
	cs = dns_changeset_new();
	if (cs == NULL) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	err = dns_changeset_add(cs, rr);
	if (err < 0) {
		dns_changeset_free(cs);
		return err;
	}
	return zone_apply(p, cs, out);
}

static int zone_del(struct dns_auth *p, int argc, char **argv, struct sp_buf *out)
{
	struct dns_changeset *cs;
	ldns_rdf *owner = NULL;
	ldns_rr_type type = LDNS_RR_TYPE_ANY;
	int err;

	if (argc < 3 || argc > 4) {
		sp_buf_printf(out, "%s", usage);
		return SP_EMALFORMED;
	}
	if (argc == 4) {
		type = ldns_get_rr_type_by_name(argv[3]);
		if (type == 0) {
			sp_buf_printf(out, "unknown type %s\n", argv[3]);
			return SP_EMALFORMED;
		}
	}
	err = owner_parse(p->zone, argv[2], &owner);
	if (err < 0) {
		sp_buf_printf(out, "bad name %s\n", argv[2]);
		return err;
	}
	if (!dns_zone_name_exists(p->zone, owner)) {
		sp_buf_printf(out, "no such name %s\n", argv[2]);
		ldns_rdf_deep_free(owner);
		return SP_ENOTFOUND;
	}
	cs = dns_changeset_new();
	if (cs == NULL) {
		ldns_rdf_deep_free(owner);
		return -ENOMEM;
	}
	err = dns_changeset_del_rrset(cs, owner, type);
	if (err < 0) {
		dns_changeset_free(cs);
		return err;
	}
	return zone_apply(p, cs, out);
}

static int zone_show(struct dns_auth *p, struct sp_buf *out)
{
	char *text = dns_zone_to_text(p->zone);

	if (text == NULL)
		return -ENOMEM;
	sp_buf_printf(out, "; serial %u\n", dns_zone_serial(p->zone));
	sp_buf_append(out, text, strlen(text));
	free(text);
	return 0;
}

static int ctl_zone(struct sp_ctl_req *req, void *arg, int argc, char **argv,
		    struct sp_buf *out)
{
	struct dns_auth *p = arg;

	if (p->zone == NULL) {
		sp_buf_printf(out, "this node serves no zone\n");
		return SP_ESTATE;
	}
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return zone_add(p, argc, argv, out);
	if (argc >= 2 && strcmp(argv[1], "del") == 0)
		return zone_del(p, argc, argv, out);
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return zone_show(p, out);
	sp_buf_printf(out, "%s", usage);
	return SP_EMALFORMED;
}

int dns__ctl_zone_register(struct dns_auth *p)
{
	return sp_ctl_register(p->node, "zone", ctl_zone, p);
}
