/*
 * init_token.c - `signpost init device --token TOKEN --dir DIR`: a device
 * made from the one-time token its signpost printed (`signpost enroll`).
 *
 * The token (cp_token.h) carries everything: the zone and the device's
 * name, the signpost's control endpoints and Ed25519 key, the zone's trust
 * anchor and the secret that proves the token on the first REGISTER.  This
 * writes the device's node key, DIR/token (0600, until enrollment spends
 * it) and DIR/device.conf: the stub validating the zone with the anchor and
 * asking the signpost's DNS (at the control endpoint's address, port 53),
 * the tunnel on, and [control] naming the signpost, its key and the token.
 * Nothing is written for a token that is not one or has expired.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "control/cp_token.h"
#include "core/endpoint.h"
#include "core/keys.h"
#include "core/log.h"
#include "dns/validate.h"
#include "init.h"
#include "tunnel/overlay.h"

/* The signpost's DNS server is at its control address, on the DNS port. */
#define TOKEN_DNS_PORT 53
/* The longest line read from stdin (--token -): a token and some white space. */
#define TOKEN_TEXT_MAX (CP_TOKEN_TEXT_MAX + 64)

enum { O_TOKEN = 256, O_DIR, O_FLAGS };

struct token_init {
	const char *dir;
	char *text;			/* the token as given, trimmed (secret) */
	char *token_file;		/* DIR/token's content: text + newline (secret) */
	struct cp_token tok;		/* decoded (secret) */
	char *zone;			/* tok.zone, normalised */
	char name[64];
	char signpost[SP_ENDPOINT_STRLEN], dns[SP_ENDPOINT_STRLEN];
	char signpost_key[SP_KEY_B64_LEN];
	struct sp_keypair node;
	struct init_conf conf;
};

bool init_token_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--token") == 0 || strncmp(argv[i], "--token=", 8) == 0)
			return true;
	}
	return false;
}

/* "2026-12-03 18:30:00 UTC" into out. */
static void utc_text(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if ((uint64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "%llu (Unix time)", (unsigned long long)t);
}

/* Trim surrounding white space (a pasted token often carries a newline); malloc'd. */
static char *token_trim(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n' ||
			 text[n - 1] == '\r'))
		n--;
	return strndup(text, n);
}

/* --token -: the first line of stdin. */
static char *token_from_stdin(void)
{
	char buf[TOKEN_TEXT_MAX];
	char *out = NULL;
	if (fgets(buf, sizeof(buf), stdin) != NULL)
		out = token_trim(buf);
	sodium_memzero(buf, sizeof(buf));
	return out;
}

/*
 * What the token says, checked as each piece will be used: the zone and
 * name as init checks them, the anchor as the stub parses it, at least one
 * endpoint, a signpost key with an X25519 form.  A decoder that accepted
 * the token already holds most of this; a message here names the piece.
 */
static int token_check(const struct cli_cmd *cmd, struct token_init *in)
{
	struct cp_token *t = &in->tok;
	char when[32];
	uint64_t now = (uint64_t)time(NULL);
	if (t->expiry <= now) {
		utc_text(t->expiry, when);
		return cli_fail(cmd, "token expired at %s: ask the signpost for a new one "
				     "(`signpost enroll %s`)", when, t->name);
	}
	if ((in->zone = cli_zone_name(t->zone)) == NULL)
		return cli_fail(cmd, "the token's zone '%s' is not a domain name", t->zone);
	/* A label is at most 63 bytes: it fits in->name. */
	if (!cli_is_label(t->name))
		return cli_fail(cmd, "the token's device name '%s' is not one DNS label", t->name);
	memcpy(in->name, t->name, strlen(t->name) + 1);
	cli_lower(in->name);
	struct dns_validate_anchor *ta = NULL;
	char err[256];
	if (dns_validate_anchor_parse(in->zone, t->anchor, &ta, err, sizeof(err)) != 0)
		return cli_fail(cmd, "the token's trust anchor for %s does not parse: %s", in->zone,
				err);
	dns_validate_anchor_free(ta);
	if (t->n_ep == 0 || sp_endpoint_len(&t->ep[0]) == 0 || sp_endpoint_port(&t->ep[0]) == 0)
		return cli_fail(cmd, "the token names no endpoint of the signpost");
	uint8_t x[SP_KEY_LEN];
	if (crypto_sign_ed25519_pk_to_curve25519(x, t->signpost_ed) != 0)
		return cli_fail(cmd, "the token's signpost key is not a usable public key");
	sp_endpoint_format(&t->ep[0], in->signpost);
	union sp_endpoint dns = t->ep[0];
	sp_endpoint_set_port(&dns, TOKEN_DNS_PORT);
	sp_endpoint_format(&dns, in->dns);
	sp_key_to_b64(t->signpost_ed, in->signpost_key);
	return CLI_OK;
}

static int parse_options(const struct cli_cmd *cmd, int argc, char **argv, struct token_init *in)
{
	/* The flag-based init's options are named only to say that the token replaces them. */
	static const struct option opts[] = {
		{ "token", required_argument, NULL, O_TOKEN },
		{ "dir", required_argument, NULL, O_DIR },
		{ "zone", required_argument, NULL, O_FLAGS + 0 },
		{ "name", required_argument, NULL, O_FLAGS + 1 },
		{ "signpost", required_argument, NULL, O_FLAGS + 2 },
		{ "signpost-key", required_argument, NULL, O_FLAGS + 3 },
		{ "signpost-dns", required_argument, NULL, O_FLAGS + 4 },
		{ "trust-anchor", required_argument, NULL, O_FLAGS + 5 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *token = NULL;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		switch (c) {
		case 0: return done == CLI_OK ? CLI_DONE : done;
		case O_TOKEN: token = optarg; break;
		case O_DIR: in->dir = optarg; break;
		default:
			return cli_usage(cmd, "--%s: the token carries the zone, the name and the "
					      "signpost; give --token and --dir only",
					 opts[2 + (c - O_FLAGS)].name);
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (token == NULL || in->dir == NULL)
		return cli_usage(cmd, "--token and --dir are required");
	bool from_stdin = strcmp(token, "-") == 0;
	in->text = from_stdin ? token_from_stdin() : token_trim(token);
	if (in->text == NULL)
		return cli_fail(cmd, from_stdin ? "no token on stdin" : "out of memory");
	/* The copy is enough: the secret no longer shows in /proc/PID/cmdline. */
	if (!from_stdin)
		sodium_memzero((char *)token, strlen(token));
	if (cp_token_decode(in->text, &in->tok) != 0)
		return cli_usage(cmd, "--token: not a Signpost token (it starts with \"%s\"; copy "
				      "the last line `signpost enroll` printed)", CP_TOKEN_PREFIX);
	return token_check(cmd, in);
}

static void control_section(struct init_conf *c, const struct token_init *in)
{
	init_conf_section(c, "control");
	init_conf_opt(c, "signpost", true, "%s", in->signpost);
	init_conf_opt(c, "signpost-key", true, "%s", in->signpost_key);
	init_conf_opt(c, "token-file", true, "token");
}

static int conf_text(struct token_init *in, const char *conf_path)
{
	struct init_conf *c = &in->conf;
	const struct cp_token *t = &in->tok;
	if (init_conf_begin(c) != 0)
		return -ENOMEM;
	init_conf_comment(c, "device.conf: device %s.%s, written by `signpost init device --token`.",
			  in->name, in->zone);
	init_conf_node(c, "device", in->zone, in->name);
	init_conf_section(c, "signpost");
	init_conf_comment(c, "The signpost's DNS: at its control address (from the token), port %d.",
			  TOKEN_DNS_PORT);
	init_conf_opt(c, "dns", true, "%s", in->dns);
	init_conf_opt(c, "trust-anchor", true, "%s", t->anchor);
	init_conf_section(c, "dns");
	init_conf_opt(c, "stub-listen", false, "127.0.0.1");
	init_conf_opt(c, "stub-port", false, "53");
	init_conf_blank(c);
	init_conf_comment(c, "Friends' zones need no configuration here: the signpost pushes them.");
	init_conf_section(c, "tunnel");
	init_conf_comment(c, "Needs CAP_NET_ADMIN (a TUN device): run signpostd as root.  Sessions with");
	init_conf_comment(c, "other devices are made on demand, from their published, validated keys.");
	init_conf_opt(c, "enabled", true, "yes");
	for (uint8_t i = 1; i < t->n_ep && i < CP_EP_MAX; i++) {
		char ep[SP_ENDPOINT_STRLEN];
		if (i == 1)
			init_conf_blank(c);
		init_conf_comment(c, "The token also names the signpost at %s.",
				  sp_endpoint_format(&t->ep[i], ep));
	}
	control_section(c, in);
	return init_conf_end(c, conf_path);
}

static int make_all(const struct cli_cmd *cmd, void *arg, const char *dir, const char *conf_path)
{
	struct token_init *in = arg;
	(void)dir;
	if (sp_key_generate(&in->node) != 0)
		return cli_fail(cmd, "cannot generate the node key (libsodium failed)");
	if (asprintf(&in->token_file, "%s\n", in->text) < 0) {
		in->token_file = NULL;
		return cli_fail(cmd, "out of memory");
	}
	if (conf_text(in, conf_path) != 0)
		return cli_fail(cmd, "internal: cannot make %s", conf_path);
	return CLI_OK;
}

static void print_next_steps(const void *arg, const char *dir)
{
	const struct token_init *in = arg;
	char b64[SP_KEY_B64_LEN], overlay[INET6_ADDRSTRLEN] = "?", when[32];
	uint8_t addr[16];
	sp_key_to_b64(in->node.ed_pk, b64);
	if (tun_overlay_addr(in->zone, in->node.ed_pk, addr) == 0)
		inet_ntop(AF_INET6, addr, overlay, sizeof(overlay));
	utc_text(in->tok.expiry, when);
	printf("Created device %s.%s in %s:\n"
	       "  device.conf  configuration: role device, the stub for %s, the tunnel on\n"
	       "  node.key     node identity key (secret, 0600)\n"
	       "  token        the enrollment token (secret, 0600), removed once it is spent\n"
	       "\n"
	       "Node public key (Ed25519):  %s\n"
	       "Overlay address:            %s\n"
	       "Signpost:                   %s (key %s)\n"
	       "Token expires:              %s\n"
	       "\n"
	       "Next step: start the device before the token expires, as root (its tunnel\n"
	       "needs a TUN device).  On its first start it enrolls with the signpost, which\n"
	       "publishes %s.%s:\n"
	       "  signpostd --check -c %s/device.conf\n"
	       "  signpostd -c %s/device.conf\n",
	       in->name, in->zone, dir, in->zone, b64, overlay, in->signpost, in->signpost_key,
	       when, in->name, in->zone, dir, dir);
}

static int init_token_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	struct token_init in = { 0 };
	(void)ctx;
	/* In the order written: the configuration last, once what it names exists. */
	const struct init_file files[] = {
		{ "node.key", init_write_key, &in.node },
		{ "token", init_write_secret, &in.token_file },
		{ "device.conf", init_write_text, &in.conf.text },
	};
	const struct init_steps steps = {
		.files = files,
		.n_files = sizeof(files) / sizeof(files[0]),
		.conf_name = "device.conf",
		.make = make_all,
		.print = print_next_steps,
		.arg = &in,
	};
	int ret = parse_options(cmd, argc, argv, &in);
	if (ret == CLI_OK)
		ret = init_create(cmd, in.dir, &steps);
	else if (ret == CLI_DONE)
		ret = CLI_OK;
	sp_key_wipe(&in.node);
	cp_token_wipe(&in.tok);
	cli_free_secret(in.text);
	cli_free_secret(in.token_file);
	init_conf_free(&in.conf);
	free(in.zone);
	return ret;
}

const struct cli_cmd cli_cmd_init_token = {
	.name = "init device",
	.run = init_token_run,
	.summary = "create a device from an enrollment token",
	.help = "Usage: signpost init device --token TOKEN --dir DIR\n"
		"\n"
		"Creates DIR (mode 0700) holding a new device, from the one-time token that\n"
		"`signpost enroll NAME` printed on the signpost (TOKEN '-' reads it from\n"
		"stdin):\n"
		"  device.conf  the configuration: role device, the zone and name from the\n"
		"               token, the stub validating the zone with the token's anchor,\n"
		"               the tunnel on, and [control] naming the signpost and its key\n"
		"  node.key     the device's Ed25519 identity key (0600)\n"
		"  token        the token (0600), until the signpost has accepted it\n"
		"An expired token or text that is not a token is refused, and nothing is\n"
		"written.  Refuses to overwrite any existing file.  Then start signpostd with\n"
		"DIR/device.conf (as root): it enrolls with the signpost on its first start.\n"
		"\n"
		"Options:\n"
		"  --token TOKEN         the token (spt1-...), or - to read it from stdin\n"
		"  --dir DIR             folder to create the files in\n"
		"  -h, --help            show this help\n",
};
