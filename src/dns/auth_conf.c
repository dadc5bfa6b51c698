/*
 * auth_conf.c - the authoritative DNS plane's configuration: [dns] listen
 * and limits, the zone keys, the zone file, the TSIG key, and check().
 *
 * check() reads the configuration only: the addresses (parsed once by
 * config.c), [secondary], the TSIG key, the zone keys (mode 0600, format)
 * and that the zone file is a readable file.  It loads and signs the zone
 * only offline (`signpostd --check`, no plane serving in the process), since
 * nothing else would read the file before a start; on SIGHUP the zone is
 * loaded by prepare(), and only when its files or keys changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "dns/plane.h"
#include "dns/zone.h"

/* Authoritative planes serving in this process: 0 means check() runs offline (--check). */
unsigned dns__auth_serving;
/*
 * Zone files loaded and signed by this process, kept or not (status
 * "zone-loads"): a reload that keeps the zone must not move it.
 */
uint64_t dns__zone_loads;

bool dns__auth_in_role(const struct sp_config *cfg)
{
	const char *role = sp_cfg_str(sp_config_get(cfg, "node"), "role");
	return role == NULL || strcmp(role, "device") != 0;
}

int dns__auth_conf_read(const struct sp_config *cfg, struct dns_auth_conf *pc)
{
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	size_t n = 0;
	/* Parsed once when the file was read (config.h); bare addresses, port 0. */
	const union sp_endpoint *eps = sp_cfg_endpoints(d, "listen", &n);

	memset(pc, 0, sizeof(*pc));
	if (n == 0) {
		sp_config_error(cfg, d, "listen", "no address");
		return SP_ECONFIG;
	}
	if (n > DNS_AUTH_LISTEN_MAX) {
		sp_config_error(cfg, d, "listen", "more than %d addresses", DNS_AUTH_LISTEN_MAX);
		return SP_ECONFIG;
	}
	memcpy(pc->addrs, eps, n * sizeof(*eps));
	pc->srv.addrs = pc->addrs;
	pc->srv.n_addrs = n;
	pc->srv.port = (uint16_t)sp_cfg_int(d, "port");
	pc->srv.tcp_clients = (unsigned)sp_cfg_int(d, "tcp-clients");
	pc->srv.tcp_idle_ms = (uint64_t)sp_cfg_int(d, "tcp-idle-timeout") * 1000u;
	pc->srv.rrl_rate = (uint32_t)sp_cfg_int(d, "rrl-rate");
	pc->srv.rrl_slip = (uint32_t)sp_cfg_int(d, "rrl-slip");
	pc->udp_payload = (uint16_t)sp_cfg_int(d, "udp-payload");
	pc->denial_rate = (uint32_t)sp_cfg_int(d, "denial-sign-rate");
	return 0;
}

/* The zone keys of cfg into ks (mode 0600 and format checked, logged).  Cheap: two small files. */
int dns__auth_keys_load(const struct sp_config *cfg, struct dns_keyset *ks)
{
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	const char *origin = sp_cfg_str(sp_config_get(cfg, "node"), "zone");
	ldns_rdf *o = NULL;

	memset(ks, 0, sizeof(*ks));
	if (ldns_str2rdf_dname(&o, origin) != LDNS_STATUS_OK) {
		sp_err("dns: bad zone name %s", origin);
		return SP_ECONFIG;
	}
	int err = dns_keyset_load(ks, o, sp_cfg_str(d, "ksk-file"), sp_cfg_str(d, "zsk-file"));
	ldns_rdf_deep_free(o);
	if (err < 0)
		dns_keyset_deinit(ks);
	return err;
}

/* Keys and zone file into a new signed zone: the expensive step.  Logs what is wrong. */
int dns__auth_zone_open(const struct sp_config *cfg, struct dns_zone **out)
{
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	const char *origin = sp_cfg_str(sp_config_get(cfg, "node"), "zone");
	struct dns_keyset ks;
	struct dns_zone *z = NULL;
	int err;

	err = dns__auth_keys_load(cfg, &ks);
	if (err < 0)
		return err;
	dns__zone_loads++;
	err = dns_zone_new(&z, origin, &ks);
	if (err < 0) {
		dns_keyset_deinit(&ks);
		return err;
	}
	err = dns_zone_load_file(z, sp_cfg_str(d, "zone-file"), time(NULL));
	if (err < 0) {
		sp_err("dns: cannot load zone file %s: %s", sp_cfg_str(d, "zone-file"),
		       sp_strerror(err));
		dns_zone_free(z);
		return err;
	}
	*out = z;
	return 0;
}

void dns__zone_from_free(struct dns_zone_origin_conf *f)
{
	free(f->zone_file);
	free(f->ksk_file);
	free(f->zsk_file);
	memset(f, 0, sizeof(*f));
}

/* Remember which files cfg's zone comes from. */
int dns__zone_from_set(struct dns_zone_origin_conf *f, const struct sp_config *cfg)
{
	const struct sp_config_section *d = sp_config_get(cfg, "dns");

	memset(f, 0, sizeof(*f));
	f->zone_file = strdup(sp_cfg_str(d, "zone-file"));
	f->ksk_file = strdup(sp_cfg_str(d, "ksk-file"));
	f->zsk_file = strdup(sp_cfg_str(d, "zsk-file"));
	if (f->zone_file == NULL || f->ksk_file == NULL || f->zsk_file == NULL) {
		dns__zone_from_free(f);
		return -ENOMEM;
	}
	return 0;
}

bool dns__zone_from_same(const struct dns_zone_origin_conf *f, const struct sp_config *cfg)
{
	const struct sp_config_section *d = sp_config_get(cfg, "dns");

	return strcmp(f->zone_file, sp_cfg_str(d, "zone-file")) == 0 &&
	       strcmp(f->ksk_file, sp_cfg_str(d, "ksk-file")) == 0 &&
	       strcmp(f->zsk_file, sp_cfg_str(d, "zsk-file")) == 0;
}

/* Does the running zone sign with exactly the keys of ks? */
bool dns__auth_keys_same(const struct dns_zone *z, const struct dns_keyset *ks)
{
	const struct dns_keyset *cur = dns_zone_keys(z);

	if (cur->n != ks->n)
		return false;
	for (unsigned i = 0; i < ks->n; i++)
		if (ldns_rr_compare(cur->key[i].dnskey, ks->key[i].dnskey) != 0)
			return false;
	return true;
}

/* The TSIG key, if the file exists: no file means UPDATE is refused. */
int dns__auth_tsig_open(const struct sp_config *cfg, struct dns_tsig_key *key, bool *have)
{
	const char *path = sp_cfg_str(sp_config_get(cfg, "dns"), "tsig-key-file");
	int err = dns_tsig_key_load(path, key);

	*have = err == 0;
	if (err == -ENOENT) {
		sp_notice("dns: no TSIG key at %s: UPDATE is refused, transfers go by address",
			  path);
		return 0;
	}
	if (err < 0)
		sp_err("dns: cannot load TSIG key %s: %s", path, sp_strerror(err));
	return err;
}

/* The zone file is there to be read (its content is read by start or a changed reload). */
static int zone_file_check(const struct sp_config *cfg)
{
	const struct sp_config_section *d = sp_config_get(cfg, "dns");
	const char *path = sp_cfg_str(d, "zone-file");
	struct stat st;

	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		sp_config_error(cfg, d, "zone-file", "cannot read %s: %s", path, strerror(errno));
		return SP_ECONFIG;
	}
	if (!S_ISREG(st.st_mode)) {
		sp_config_error(cfg, d, "zone-file", "%s is not a file", path);
		return SP_ECONFIG;
	}
	return 0;
}

int dns__auth_check(const struct sp_config *cfg)
{
	struct dns_auth_conf pc;
	struct dns_tsig_key key;
	struct dns_keyset ks;
	struct dns_acl acl;
	bool have = false;
	int err;

	if (!sp_cfg_bool(sp_config_get(cfg, "dns"), "enabled") || !dns__auth_in_role(cfg))
		return 0;
	err = dns__auth_conf_read(cfg, &pc);
	if (err < 0)
		return err;
	if (dns_acl_init(&acl, cfg) < 0)
		return SP_ECONFIG;
	dns_acl_deinit(&acl);
	err = dns__auth_tsig_open(cfg, &key, &have);
	dns_tsig_key_wipe(&key);
	if (err < 0)
		return err;
	err = dns__auth_keys_load(cfg, &ks);
	dns_keyset_deinit(&ks);
	if (err < 0)
		return err;
	err = zone_file_check(cfg);
	if (err < 0 || dns__auth_serving > 0)
		return err;
	/* Offline (--check): a trial load, so that a zone file that does not parse or sign shows now. */
	struct dns_zone *z = NULL;
	err = dns__auth_zone_open(cfg, &z);
	dns_zone_free(z);
	return err;
}

