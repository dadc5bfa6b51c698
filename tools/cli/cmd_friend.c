/*
 * cmd_friend.c - `signpost friend add|list|remove`: the running signpost's
 * friends, kept there and pushed to its devices over control.
 *
 * Everything the daemon cannot check better is checked here, so that a typo
 * is refused before it reaches the daemon: the zone is a domain name, the
 * anchor parses as the zone's DS or DNSKEY records (as the stub will parse
 * it), the signpost is an endpoint and each allowed name one DNS label.
 * What is forwarded is normalised (absolute lower-case zone, the anchor's
 * records one per "; "-separated piece, ADDR:PORT, lower-case names).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/endpoint.h"
#include "dns/validate.h"

/* Changing friends rewrites STATE/friends and pushes to devices: the allowance of `zone`. */
#define FRIEND_TIMEOUT_MS 30000
/* The list is answered from memory. */
#define FRIEND_LIST_TIMEOUT_MS 10000
/*
 * The anchor travels to the devices as one string of a FRIENDS message, at
 * most 255 bytes (the control wire's string length is one byte).
 */
#define FRIEND_ANCHOR_MAX 255
/* The friend's DNS when --signpost names no port. */
#define FRIEND_DNS_PORT 53

extern const struct cli_cmd cli_cmd_friend_add, cli_cmd_friend_list, cli_cmd_friend_remove;

/* The zone argument, normalised (malloc'd) or NULL after a usage message. */
static char *friend_zone(const struct cli_cmd *cmd, const char *text, int *ret)
{
	char *zone = cli_zone_name(text);
	if (zone == NULL)
		*ret = cli_usage(cmd, "%s: not a domain name of host-name labels "
				      "(e.g. bob.example.)", text);
	return zone;
}

/*
 * The anchor's records, checked as the stub checks a trust anchor, one
 * line each joined by "; " (malloc'd), or NULL after a usage message.
 */
static char *friend_anchor(const struct cli_cmd *cmd, const char *zone, const char *text,
			   int *ret)
{
	struct dns_validate_anchor *ta = NULL;
	char err[256];
	if (dns_validate_anchor_parse(zone, text, &ta, err, sizeof(err)) != 0) {
		*ret = cli_usage(cmd, "--anchor: not a DS or DNSKEY record of %s: %s", zone, err);
		return NULL;
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	bool ok = f != NULL;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(ta->rrs); i++) {
		char *s = cli_rr_str(ldns_rr_list_rr(ta->rrs, i));
		ok = s != NULL && fprintf(f, "%s%s", i ? "; " : "", s) >= 0;
		free(s);
	}
	if (f != NULL && fclose(f) != 0)
		ok = false;
	dns_validate_anchor_free(ta);
	if (!ok) {
		free(out);
		*ret = cli_fail(cmd, "out of memory");
		return NULL;
	}
	if (len > FRIEND_ANCHOR_MAX) {
		*ret = cli_usage(cmd, "--anchor: %zu bytes, more than the %d a device is sent: "
				      "give one DS record (`signpost ds`)", len, FRIEND_ANCHOR_MAX);
		free(out);
		return NULL;
	}
	return out;
}

/* "a,b,c": each a device label, none twice; lower-cased in place. */
static int friend_allow(const struct cli_cmd *cmd, char *list)
{
	cli_lower(list);
	size_t n = strlen(list);
	if (n == 0 || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		return cli_usage(cmd, "--allow %s: a comma-separated list of device names", list);
	for (char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		char name[64];
		if (l >= sizeof(name))
			return cli_usage(cmd, "--allow: '%.*s...' is longer than a DNS label", 20, p);
		memcpy(name, p, l);
		name[l] = '\0';
		if (!cli_is_label(name))
			return cli_usage(cmd, "--allow: '%s' is not a device name (one DNS label: "
					      "letters, digits, hyphens)", name);
		/* Earlier names are whole words before p. */
		for (char *q = list; q < p;) {
			size_t k = strcspn(q, ",");
			if (k == l && memcmp(q, name, l) == 0)
				return cli_usage(cmd, "--allow: '%s' is listed twice", name);
			q += k + 1;
		}
		p += l;
		if (*p == ',')
			p++;
	}
	return CLI_OK;
}

enum { O_ANCHOR = 256, O_SIGNPOST, O_ALLOW };

/* What friend add's own options say. */
struct friend_add {
	const char *anchor_text, *signpost;
	char *allow;
};

static int friend_add_option(const struct cli_cmd *cmd, void *state, int c, char *arg)
{
	struct friend_add *fa = state;
	switch (c) {
	case O_ANCHOR: fa->anchor_text = arg; break;
	case O_SIGNPOST: fa->signpost = arg; break;
	case O_ALLOW: fa->allow = arg; break;
	}
	return CLI_OK;
}

static int friend_add_request(const struct cli_cmd *cmd, const struct cli_ctx *ctx, void *state,
			      char *zone_text, bool json)
{
	struct friend_add *fa = state;
	if (fa->anchor_text == NULL)
		return cli_usage(cmd, "--anchor is required: the friend's DS or DNSKEY record");

	int ret = CLI_OK;
	char *anchor = NULL;
	char *zone = friend_zone(cmd, zone_text, &ret);
	if (zone == NULL)
		return ret;
	if ((anchor = friend_anchor(cmd, zone, fa->anchor_text, &ret)) == NULL)
		goto out;
	char ep_text[SP_ENDPOINT_STRLEN] = "-";
	if (fa->signpost != NULL) {
		union sp_endpoint ep;
		if (sp_endpoint_parse(fa->signpost, true, FRIEND_DNS_PORT, &ep) != 0) {
			ret = cli_usage(cmd, "--signpost %s: not ADDRESS or ADDRESS:PORT "
					     "([IPv6]:PORT with a port)", fa->signpost);
			goto out;
		}
		sp_endpoint_format(&ep, ep_text);
	}
	if (fa->allow != NULL && (ret = friend_allow(cmd, fa->allow)) != CLI_OK)
		goto out;
	char *req[] = { "friend", "add", zone, anchor, ep_text, fa->allow ? fa->allow : "-", NULL };
	ret = cli_ctl_forward(cmd, ctx, 6, req, FRIEND_TIMEOUT_MS);
out:
	free(anchor);
	free(zone);
	return ret;
}

static const struct option friend_add_opts[] = {
	{ "anchor", required_argument, NULL, O_ANCHOR },
	{ "signpost", required_argument, NULL, O_SIGNPOST },
	{ "allow", required_argument, NULL, O_ALLOW },
	{ NULL, 0, NULL, 0 },
};

static const struct cli_ctl_spec friend_add_spec = {
	.operand = "the friend's ZONE",
	.opts = friend_add_opts,
	.option = friend_add_option,
	.request = friend_add_request,
};

static int friend_add_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	struct friend_add fa = { NULL, NULL, NULL };
	return cli_ctl_command(cmd, argc, argv, ctx, &friend_add_spec, &fa);
}

static const struct cli_ctl_spec friend_list_spec = {
	.words = { "friend", "list" },
	.json_word = "json",
	.timeout_ms = FRIEND_LIST_TIMEOUT_MS,
};

static int friend_list_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	return cli_ctl_command(cmd, argc, argv, ctx, &friend_list_spec, NULL);
}

static int friend_remove_request(const struct cli_cmd *cmd, const struct cli_ctx *ctx,
				 void *state, char *zone_text, bool json)
{
	int ret = CLI_OK;
	char *zone = friend_zone(cmd, zone_text, &ret);
	if (zone == NULL)
		return ret;
	char *req[] = { "friend", "remove", zone, NULL };
	ret = cli_ctl_forward(cmd, ctx, 3, req, FRIEND_TIMEOUT_MS);
	free(zone);
	return ret;
}

static const struct cli_ctl_spec friend_remove_spec = {
	.operand = "the friend's ZONE",
	.request = friend_remove_request,
};

static int friend_remove_run(const struct cli_cmd *cmd, int argc, char **argv,
			     struct cli_ctx *ctx)
{
	return cli_ctl_command(cmd, argc, argv, ctx, &friend_remove_spec, NULL);
}

static int friend_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc < 2)
		return cli_usage(cmd, "say what to do: add, list or remove");
	if (cli_is_help(argv[1])) {
		cli_help(cmd, stdout);
		return CLI_OK;
	}
	static const struct cli_cmd *const subs[] = { &cli_cmd_friend_add, &cli_cmd_friend_list,
						      &cli_cmd_friend_remove };
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i]->name + strlen("friend "), argv[1]) == 0)
			return subs[i]->run(subs[i], argc - 1, argv + 1, ctx);
	return cli_usage(cmd, "unknown action '%s': add, list or remove", argv[1]);
}

#define FRIEND_ADD_USAGE \
	"Usage: signpost [-c FILE] friend add ZONE --anchor RR [--signpost ADDR[:PORT]]\n" \
	"                                     [--allow NAME,NAME...]\n"
#define FRIEND_LIST_USAGE "       signpost [-c FILE] friend list [--json]\n"
#define FRIEND_REMOVE_USAGE "       signpost [-c FILE] friend remove ZONE\n"

const struct cli_cmd cli_cmd_friend_add = {
	.name = "friend add",
	.run = friend_add_run,
	.summary = "add or replace a friend's zone",
	.help = FRIEND_ADD_USAGE
		"\n"
		"Tells the running signpost that ZONE is a friend's: its devices are found\n"
		"by names under ZONE, validated with the anchor.  The signpost keeps the\n"
		"friend and pushes it to its own devices.  Adding a friend again replaces it.\n"
		"\n"
		"Options:\n"
		"  --anchor RR          the friend's DS or DNSKEY record, as `signpost ds`\n"
		"                       prints it on the friend's signpost (required)\n"
		"  --signpost ADDR[:PORT]\n"
		"                       the friend's DNS server (port 53 by default), when\n"
		"                       ZONE is not delegated in public DNS\n"
		"  --allow NAME,NAME    which of my devices the friend's devices may reach\n"
		"                       (none by default)\n"
		"  -c, --config FILE    the signpost's configuration (as before the command)\n"
		"  -h, --help           show this help\n",
};

const struct cli_cmd cli_cmd_friend_list = {
	.name = "friend list",
	.run = friend_list_run,
	.summary = "list the friends",
	.help = "Usage: signpost [-c FILE] friend list [--json]\n"
		"\n"
		"Prints the running signpost's friends: zone, anchor, DNS server and the\n"
		"devices each may reach.\n"
		"\n"
		"Options:\n"
		"  -j, --json           print them as JSON\n"
		"  -c, --config FILE    the signpost's configuration (as before the command)\n"
		"  -h, --help           show this help\n",
};

const struct cli_cmd cli_cmd_friend_remove = {
	.name = "friend remove",
	.run = friend_remove_run,
	.summary = "remove a friend",
	.help = "Usage: signpost [-c FILE] friend remove ZONE\n"
		"\n"
		"Removes the friend ZONE from the running signpost and from its devices:\n"
		"their devices are refused from then on.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE    the signpost's configuration (as before the command)\n"
		"  -h, --help           show this help\n",
};

const struct cli_cmd cli_cmd_friend = {
	.name = "friend",
	.run = friend_run,
	.summary = "add, list or remove friends' zones (on the signpost)",
	.help = FRIEND_ADD_USAGE FRIEND_LIST_USAGE FRIEND_REMOVE_USAGE
		"\n"
		"A friend is a zone whose devices may reach mine: their keys are validated\n"
		"in the friend's zone with the anchor I hold, and my policy says which of my\n"
		"devices each friend may reach.  The running signpost (found through the\n"
		"control-socket of its configuration FILE) keeps its friends and pushes them\n"
		"to its devices.\n"
		"\n"
		"'signpost friend add --help' (and list, remove) describes each.\n",
};
