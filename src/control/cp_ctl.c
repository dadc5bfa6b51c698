/*
 * cp_ctl.c - the signpost's control-socket words for enrollment, devices
 * and friends (the CLI side is tools/cli/cmd_enroll.c and friends):
 *
 *   enroll NAME TTL-SECONDS [json]        issue a one-time token (last line)
 *   devices [json]                        enrolled devices, last contact, endpoints
 *   revoke NAME                           remove a device and close its sessions
 *   friend add ZONE ANCHOR DNS|- ALLOW|-  add or replace a friend zone
 *   friend list [json] | friend remove ZONE
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/cp_signpost.h"
#include "control/cp_token.h"
#include "core/log.h"
#include "core/status.h"
#include "dns/resolver.h"

#define TTL_MAX (30 * 86400)

static bool is_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static void utc(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static struct cp_tok *token_slot(struct cp_signpost *s)
{
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < CP_TOKENS_MAX; i++)
		if (!s->tok[i].used)
			return &s->tok[i];
	for (size_t i = 0; i < CP_TOKENS_MAX; i++)
		if (s->tok[i].expiry < now)
			return &s->tok[i];	/* an expired one makes room */
	return NULL;
}

static int cmd_enroll(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	(void)req;
	struct cp_plane *cp = arg;
	struct cp_signpost *s = cp->sp;
	char *end = NULL;
	long ttl = argc >= 3 ? strtol(argv[2], &end, 10) : 0;
	bool json = argc == 4 && strcmp(argv[3], "json") == 0;
	if (argc < 3 || argc > 4 || (argc == 4 && !json) || !end || *end || ttl <= 0 ||
	    ttl > TTL_MAX) {
		sp_buf_printf(out, "usage: enroll NAME TTL-SECONDS [json] (TTL up to %d)\n", TTL_MAX);
		return -EINVAL;
	}
	const char *name = argv[1];
	if (!is_label(name)) {
		sp_buf_printf(out, "enroll: '%s' is not a device name (one DNS label)\n", name);
		return -EINVAL;
	}
	if (cp__dev_by_name(s, name) || strcasecmp(name, cp->name) == 0) {
		sp_buf_printf(out, "enroll: %s.%s exists already; revoke it first\n", name, cp->zone);
		return -EEXIST;
	}
	struct cp_token tk = { 0 };
	tk.expiry = (uint64_t)time(NULL) + (uint64_t)ttl;
	randombytes_buf(tk.id, sizeof(tk.id));
	randombytes_buf(tk.secret, sizeof(tk.secret));
	memcpy(tk.signpost_ed, cp->ed, 32);
	snprintf(tk.zone, sizeof(tk.zone), "%s", cp->zone);
	snprintf(tk.name, sizeof(tk.name), "%s", name);
	tk.n_ep = (uint8_t)cp__public_endpoints(s, tk.ep);
	int rc = cp__zone_ds(s, tk.anchor, sizeof(tk.anchor));
	struct cp_tok *t = token_slot(s);
	char text[CP_TOKEN_TEXT_MAX];
	if (rc == 0 && t == NULL)
		rc = SP_ELIMIT;
	if (rc == 0 && tk.n_ep == 0)
		rc = SP_ECONFIG;
	if (rc == 0)
		rc = cp_token_encode(&tk, text, sizeof(text));
	if (rc) {
		cp_token_wipe(&tk);
		sp_buf_printf(out, "enroll: cannot issue a token: %s%s\n", sp_strerror(rc),
			      rc == SP_ECONFIG ? " (no [control] endpoint and no [dns] listen)" : "");
		return rc;
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	memcpy(t->id, tk.id, 16);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->expiry = (int64_t)tk.expiry;
	rc = cp_token_secret_hash(tk.secret, t->hash);
	cp_token_wipe(&tk);
	if (rc == 0)
		rc = cp__tokens_save(s);
	if (rc) {
		t->used = false;
		sodium_memzero(text, sizeof(text));
		sp_buf_printf(out, "enroll: cannot record the token: %s\n", sp_strerror(rc));
		return rc;
	}
	char when[32];
	utc(t->expiry, when);
	if (json) {
		sp_buf_printf(out, "{\"name\":\"%s.%s\",\"expires\":\"%s\",\"expires_unix\":%lld,"
				   "\"token\":\"%s\"}\n", name, cp->zone, when, (long long)t->expiry,
			      text);
	} else {
		sp_buf_printf(out, "enrollment token for %s.%s, valid until %s (%ld s), once:\n",
			      name, cp->zone, when, ttl);
		sp_buf_printf(out, "on the device: signpost init device --token TOKEN --dir DIR\n");
		sp_buf_printf(out, "%s\n", text);
	}
	sodium_memzero(text, sizeof(text));
	sp_notice("control: token issued for %s.%s, valid until %s", name, cp->zone, when);
	return 0;
}

static void ago(int64_t then, char out[32])
{
	if (then == 0) {
		snprintf(out, 32, "never");
		return;
	}
	long long d = (long long)time(NULL) - then;
	snprintf(out, 32, "%llds ago", d < 0 ? 0 : d);
}

static int cmd_devices(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	(void)req;
	struct cp_plane *cp = arg;
	struct cp_signpost *s = cp->sp;
	bool json = argc == 2 && strcmp(argv[1], "json") == 0;
	if (argc > 2 || (argc == 2 && !json)) {
		sp_buf_printf(out, "usage: devices [json]\n");
		return -EINVAL;
	}
	size_t n = 0;
	if (json)
		sp_buf_printf(out, "[");
	else
		sp_buf_printf(out, "%-24s %-44s %-28s %-12s %s\n", "NAME", "KEY", "OVERLAY",
			      "LAST-CONTACT", "ENDPOINTS");
	for (size_t i = 0; i < CP_DEVICES_MAX; i++) {
		struct cp_sdev *d = &s->dev[i];
		if (!d->used || d->revoked)
			continue;
		char fqdn[256], key[SP_KEY_B64_LEN], ov[INET6_ADDRSTRLEN], last[32];
		char eps[CP_EP_MAX + 1][SP_ENDPOINT_STRLEN];
		size_t ne = 0;
		cp__fqdn(fqdn, sizeof(fqdn), d->name, cp->zone);
		sp_key_to_b64(d->ed, key);
		inet_ntop(AF_INET6, d->overlay, ov, sizeof(ov));
		ago(d->last_wall, last);
		if (d->ep.sa.sa_family)
			sp_endpoint_format(&d->ep, eps[ne++]);
		for (size_t k = 0; k < d->n_local; k++)
			sp_endpoint_format(&d->local[k], eps[ne++]);
		if (json) {
			sp_buf_printf(out, "%s{\"name\":", n ? "," : "");
			sp_json_string(out, fqdn);
			sp_buf_printf(out, ",\"key\":\"%s\",\"overlay\":\"%s\",\"last_contact\":%lld,"
					   "\"endpoints\":[", key, ov, (long long)d->last_wall);
			for (size_t k = 0; k < ne; k++) {
				sp_buf_printf(out, "%s", k ? "," : "");
				sp_json_string(out, eps[k]);
			}
			sp_buf_printf(out, "]}");
		} else {
			sp_buf_printf(out, "%-24s %-44s %-28s %-12s", fqdn, key, ov, last);
			for (size_t k = 0; k < ne; k++)
				sp_buf_printf(out, "%s%s", k ? "," : " ", eps[k]);
			sp_buf_printf(out, "%s\n", ne ? "" : " -");
		}
		n++;
	}
	if (json)
		sp_buf_printf(out, "]\n");
	return 0;
}

static int cmd_revoke(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	(void)req;
	struct cp_plane *cp = arg;
	if (argc != 2) {
		sp_buf_printf(out, "usage: revoke NAME\n");
		return -EINVAL;
	}
	struct cp_sdev *d = cp__dev_by_name(cp->sp, argv[1]);
	if (d == NULL) {
		sp_buf_printf(out, "revoke: no device '%s' in %s\n", argv[1], cp->zone);
		return SP_ENOTFOUND;
	}
	unsigned told = 0;
	char name[64];
	snprintf(name, sizeof(name), "%s", d->name);
	int rc = cp__revoke(cp->sp, d, &told);
	if (rc) {
		sp_buf_printf(out, "revoke: %s: %s\n", name, sp_strerror(rc));
		return rc;
	}
	sp_buf_printf(out, "revoked %s.%s: its records are removed and its messages refused; "
			   "%u other device(s) told to close their sessions with it\n",
		      name, cp->zone, told);
	return 0;
}

static struct cp_sfriend *friend_find(struct cp_signpost *s, const char *zone)
{
	for (size_t i = 0; i < s->n_friends; i++)
		if (strcasecmp(s->friends[i].zone, zone) == 0)
			return &s->friends[i];
	return NULL;
}

static void zone_canon(const char *in, char out[256])
{
	size_t n = strlen(in);
	snprintf(out, 256, "%s%s", in, n && in[n - 1] == '.' ? "" : ".");
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

static int friend_add(struct cp_plane *cp, int argc, char **argv, struct sp_buf *out)
{
	struct cp_signpost *s = cp->sp;
	if (argc != 6) {
		sp_buf_printf(out, "usage: friend add ZONE ANCHOR DNS|- ALLOW|-\n");
		return -EINVAL;
	}
	struct cp_sfriend f = { 0 };
	zone_canon(argv[2], f.zone);
	if (strcasecmp(f.zone, cp->zone) == 0) {
		sp_buf_printf(out, "friend add: %s is this signpost's own zone\n", f.zone);
		return -EINVAL;
	}
	if (strlen(argv[3]) >= sizeof(f.anchor) || strchr(argv[3], '\t') ||
	    strlen(argv[5]) >= sizeof(f.allow)) {
		sp_buf_printf(out, "friend add: anchor or allow list too long\n");
		return -EINVAL;
	}
	snprintf(f.anchor, sizeof(f.anchor), "%s", argv[3]);
	if (strcmp(argv[4], "-") != 0 && sp_endpoint_parse(argv[4], true, 53, &f.dns) != 0) {
		sp_buf_printf(out, "friend add: '%s' is not ADDR[:PORT]\n", argv[4]);
		return -EINVAL;
	}
	snprintf(f.allow, sizeof(f.allow), "%s", strcmp(argv[5], "-") ? argv[5] : "");
	struct dns_resolver *res = dns_resolver_get(cp->node);
	int rc = res ? dns_resolver_friend_set(res, f.zone, f.anchor, &f.dns,
					       f.dns.sa.sa_family ? 1 : 0)
		     : SP_ESTATE;
	if (rc) {
		sp_buf_printf(out, "friend add: %s: %s%s\n", f.zone, sp_strerror(rc),
			      rc == SP_EMALFORMED ? " (the anchor does not parse: see the log)"
			      : rc == -EINVAL ? " (give --signpost ADDR: where its DNS answers)" : "");
		return rc;
	}
	struct cp_sfriend *slot = friend_find(s, f.zone);
	bool replaced = slot != NULL;
	if (!slot && s->n_friends < CP_FRIENDS_LIST_MAX)
		slot = &s->friends[s->n_friends++];
	if (!slot) {
		sp_buf_printf(out, "friend add: already %d friends\n", CP_FRIENDS_LIST_MAX);
		return SP_ELIMIT;
	}
	*slot = f;
	rc = cp__friends_save(s);
	if (rc) {
		sp_buf_printf(out, "friend add: cannot write the friends file: %s\n", sp_strerror(rc));
		return rc;
	}
	cp__friends_changed(s);
	sp_buf_printf(out, "friend %s %s; its devices may reach: %s\n", f.zone,
		      replaced ? "updated" : "added", f.allow[0] ? f.allow : "none of mine");
	sp_notice("control: friend %s %s (may reach: %s)", f.zone, replaced ? "updated" : "added",
		  f.allow[0] ? f.allow : "none");
	return 0;
}

static int friend_remove(struct cp_plane *cp, int argc, char **argv, struct sp_buf *out)
{
	struct cp_signpost *s = cp->sp;
	char zone[256];
	if (argc != 3) {
		sp_buf_printf(out, "usage: friend remove ZONE\n");
		return -EINVAL;
	}
	zone_canon(argv[2], zone);
	struct cp_sfriend *f = friend_find(s, zone);
	if (!f) {
		sp_buf_printf(out, "friend remove: %s is not a friend\n", zone);
		return SP_ENOTFOUND;
	}
	struct dns_resolver *res = dns_resolver_get(cp->node);
	if (res && dns_resolver_friend_remove(res, zone) != 0)
		sp_info("control: %s was not known to the resolver", zone);
	*f = s->friends[--s->n_friends];
	int rc = cp__friends_save(s);
	if (rc) {
		sp_buf_printf(out, "friend remove: cannot write the friends file: %s\n",
			      sp_strerror(rc));
		return rc;
	}
	cp__friends_changed(s);
	sp_buf_printf(out, "friend %s removed\n", zone);
	return 0;
}

static int friend_list(struct cp_plane *cp, bool json, struct sp_buf *out)
{
	struct cp_signpost *s = cp->sp;
	if (json)
		sp_buf_printf(out, "[");
	else
		sp_buf_printf(out, "%-24s %-22s %-20s %s\n", "ZONE", "SIGNPOST", "MAY-REACH",
			      "ANCHOR");
	for (size_t i = 0; i < s->n_friends; i++) {
		const struct cp_sfriend *f = &s->friends[i];
		char dns[SP_ENDPOINT_STRLEN] = "-";
		if (f->dns.sa.sa_family)
			sp_endpoint_format(&f->dns, dns);
		if (json) {
			sp_buf_printf(out, "%s{\"zone\":", i ? "," : "");
			sp_json_string(out, f->zone);
			sp_buf_printf(out, ",\"signpost\":");
			sp_json_string(out, dns);
			sp_buf_printf(out, ",\"allow\":");
			sp_json_string(out, f->allow);
			sp_buf_printf(out, ",\"anchor\":");
			sp_json_string(out, f->anchor);
			sp_buf_printf(out, "}");
		} else {
			sp_buf_printf(out, "%-24s %-22s %-20s %s\n", f->zone, dns,
				      f->allow[0] ? f->allow : "-", f->anchor);
		}
	}
	if (json)
		sp_buf_printf(out, "]\n");
	return 0;
}

static int cmd_friend(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	(void)req;
	struct cp_plane *cp = arg;
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return friend_add(cp, argc, argv, out);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return friend_remove(cp, argc, argv, out);
	if (argc >= 2 && strcmp(argv[1], "list") == 0 &&
	    (argc == 2 || (argc == 3 && strcmp(argv[2], "json") == 0)))
		return friend_list(cp, argc == 3, out);
	sp_buf_printf(out, "usage: friend add ZONE ANCHOR DNS|- ALLOW|- | friend list [json] | "
			   "friend remove ZONE\n");
	return -EINVAL;
}

int cp__ctl_register(struct cp_plane *cp)
{
	static const struct {
		const char *word;
		sp_ctl_fn fn;
	} words[] = {
		{ "enroll", cmd_enroll },
		{ "devices", cmd_devices },
		{ "revoke", cmd_revoke },
		{ "friend", cmd_friend },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int rc = sp_ctl_register(cp->node, words[i].word, words[i].fn, cp);
		if (rc)
			return rc;
	}
	return 0;
}
