/*
 * init_device.c - `signpost init device`: a new device of a user's zone in
 * DIR, with its configuration (the signpost as its tunnel peer) and node key,
 * and the lines that enroll it on the signpost.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/endpoint.h"
#include "core/keys.h"
#include "core/log.h"
#include "dns/hostkey.h"
#include "init.h"
#include "tunnel/overlay.h"

enum { O_ZONE = 256, O_NAME, O_DIR, O_SIGNPOST, O_SIGNPOST_KEY, O_SIGNPOST_DNS, O_TRUST_ANCHOR };

struct device_init {
	char *zone;
	const char *name, *dir, *signpost, *signpost_key, *signpost_dns, *trust_anchor;
	struct sp_keypair node;
	struct init_conf conf;
};

/* Persistent keepalive to the signpost (s): UDP NAT mappings commonly expire after 30 s. */
#define DEVICE_KEEPALIVE_S 25

/* IPv4:port or [IPv6]:port with a non-zero port. */
static bool endpoint_ok(const char *text)
{
	union sp_endpoint ep;
	return sp_endpoint_parse(text, false, 0, &ep) == 0;
}

/* One DS or DNSKEY record, in presentation format, owned by zone. */
static bool anchor_ok(const char *text, const char *zone)
{
	if (strchr(text, '\n') != NULL)
		return false;
	ldns_rr *rr = NULL;
	ldns_rdf *apex = ldns_dname_new_frm_str(zone);
	bool ok = apex != NULL &&
		  ldns_rr_new_frm_str(&rr, text, CLI_DNSKEY_TTL, NULL, NULL) == LDNS_STATUS_OK &&
		  (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ||
		   ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY) &&
		  ldns_dname_compare(ldns_rr_owner(rr), apex) == 0;
	if (rr != NULL)
		ldns_rr_free(rr);
	if (apex != NULL)
		ldns_rdf_deep_free(apex);
	return ok;
}

static int parse_options(const struct cli_cmd *cmd, int argc, char **argv, struct device_init *in)
{
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, O_ZONE },
		{ "name", required_argument, NULL, O_NAME },
		{ "dir", required_argument, NULL, O_DIR },
		{ "signpost", required_argument, NULL, O_SIGNPOST },
		{ "signpost-key", required_argument, NULL, O_SIGNPOST_KEY },
		{ "signpost-dns", required_argument, NULL, O_SIGNPOST_DNS },
		{ "trust-anchor", required_argument, NULL, O_TRUST_ANCHOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *zone = NULL;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		switch (c) {
		case 0: return done == CLI_OK ? CLI_DONE : done;
		case O_ZONE: zone = optarg; break;
		case O_NAME: in->name = optarg; break;
		case O_DIR: in->dir = optarg; break;
		case O_SIGNPOST: in->signpost = optarg; break;
		case O_SIGNPOST_KEY: in->signpost_key = optarg; break;
		case O_SIGNPOST_DNS: in->signpost_dns = optarg; break;
		case O_TRUST_ANCHOR: in->trust_anchor = optarg; break;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (!zone || !in->name || !in->dir || !in->signpost || !in->signpost_key)
		return cli_usage(cmd, "--zone, --name, --dir, --signpost and --signpost-key are required");
	int ret = init_check_names(cmd, zone, in->name, &in->zone);
	if (ret != CLI_OK)
		return ret;
	if (!endpoint_ok(in->signpost))
		return cli_usage(cmd, "--signpost %s: not IPv4:PORT or [IPv6]:PORT", in->signpost);
	if (in->signpost_dns && !endpoint_ok(in->signpost_dns))
		return cli_usage(cmd, "--signpost-dns %s: not IPv4:PORT or [IPv6]:PORT",
				 in->signpost_dns);
	if (in->trust_anchor && !anchor_ok(in->trust_anchor, in->zone))
		return cli_usage(cmd, "--trust-anchor: not a DS or DNSKEY record of %s (as "
				      "`signpost ds` prints it)", in->zone);
	uint8_t pk[SP_KEY_LEN], x[SP_KEY_LEN];
	if (sp_key_from_b64(in->signpost_key, pk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(x, pk) != 0)
		return cli_usage(cmd, "--signpost-key %s: not a public key (base64 of 32 bytes, "
				      "as `signpost init signpost` prints it)", in->signpost_key);
	return CLI_OK;
}

/*
 * The zone's /48 in presentation form ("fd12:3456:789a::/48") into out, and
 * the signpost's WireGuard (X25519) public key, from its Ed25519 key, in base64.
 */
static int signpost_peer(const struct device_init *in, char prefix[INET6_ADDRSTRLEN + 4],
			 char wg[SP_KEY_B64_LEN])
{
	uint8_t net[16], ed[SP_KEY_LEN], x[SP_KEY_LEN];
	char text[INET6_ADDRSTRLEN];
	if (tun_overlay_prefix(in->zone, net) != 0 ||
	    inet_ntop(AF_INET6, net, text, sizeof(text)) == NULL)
		return SP_EMALFORMED;
	snprintf(prefix, INET6_ADDRSTRLEN + 4, "%s/%d", text, TUN_OVERLAY_PREFIX_LEN);
	/* parse_options checked the key; a failure here is internal. */
	if (sp_key_from_b64(in->signpost_key, ed) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(x, ed) != 0)
		return SP_EMALFORMED;
	sp_key_to_b64(x, wg);
	return 0;
}

static int conf_text(struct device_init *in, const char *conf_path)
{
	struct init_conf *c = &in->conf;
	char prefix[INET6_ADDRSTRLEN + 4], wg[SP_KEY_B64_LEN];
	int rc = signpost_peer(in, prefix, wg);
	if (rc != 0)
		return rc;
	if (init_conf_begin(c) != 0)
		return -ENOMEM;
	init_conf_comment(c, "device.conf: device %s.%s, written by `signpost init device`.",
			  in->name, in->zone);
	init_conf_node(c, "device", in->zone, in->name);
	init_conf_section(c, "signpost");
	init_conf_opt(c, "address", true, "%s", in->signpost);
	init_conf_opt(c, "public-key", true, "%s", in->signpost_key);
	if (in->signpost_dns)
		init_conf_opt(c, "dns", true, "%s", in->signpost_dns);
	if (in->trust_anchor)
		init_conf_opt(c, "trust-anchor", true, "%s", in->trust_anchor);
	init_conf_section(c, "dns");
	init_conf_opt(c, "stub-listen", false, "127.0.0.1");
	init_conf_opt(c, "stub-port", false, "53");
	init_conf_blank(c);
	init_conf_comment(c, "A friend's zone that the stub resolver validates (repeat for more):");
	init_conf_comment(c, "[friend]");
	init_conf_comment(c, "zone = bob.example.");
	init_conf_comment(c, "signpost = 198.51.100.7:53");
	init_conf_comment(c, "trust-anchor = (the line `signpost ds` prints on Bob's signpost)");
	init_conf_section(c, "tunnel");
	init_conf_comment(c, "Needs CAP_NET_ADMIN (a TUN device): to turn it on, set enabled = yes and");
	init_conf_comment(c, "run signpostd as root (or with that capability), once the signpost has");
	init_conf_comment(c, "this device's [peer] (the lines `signpost init device` printed).");
	init_conf_opt(c, "enabled", true, "no");
	init_conf_section(c, "peer");
	init_conf_comment(c, "The signpost: its WireGuard key, from --signpost-key (on the signpost,");
	init_conf_comment(c, "`signpost pubkey --wireguard < node.key` prints the same); the zone's");
	init_conf_comment(c, "overlay /48 goes through it.");
	init_conf_opt(c, "public-key", true, "%s", wg);
	init_conf_opt(c, "endpoint", true, "%s", in->signpost);
	init_conf_opt(c, "allowed-ips", true, "%s", prefix);
	init_conf_opt(c, "persistent-keepalive", true, "%d", DEVICE_KEEPALIVE_S);
	return init_conf_end(c, conf_path);
}

/* Make the node key and the configuration in memory. */
static int make_all(const struct cli_cmd *cmd, void *arg, const char *dir, const char *conf_path)
{
	struct device_init *in = arg;
	(void)dir;
	if (sp_key_generate(&in->node) != 0)
		return cli_fail(cmd, "cannot generate the node key (libsodium failed)");
	if (conf_text(in, conf_path) != 0)
		return cli_fail(cmd, "internal: cannot make %s", conf_path);
	return CLI_OK;
}

static void print_next_steps(const void *arg, const char *dir)
{
	const struct device_init *in = arg;
	char b64[SP_KEY_B64_LEN], wg[SP_KEY_B64_LEN], overlay[INET6_ADDRSTRLEN] = "?";
	uint8_t addr[16];
	sp_key_to_b64(in->node.ed_pk, b64);
	sp_key_to_b64(in->node.x_pk, wg);
	/* The overlay address is bound to the key: anyone can recompute it from the KEY record. */
	if (tun_overlay_addr(in->zone, in->node.ed_pk, addr) == 0)
		inet_ntop(AF_INET6, addr, overlay, sizeof(overlay));
	printf("Created device %s.%s in %s:\n"
	       "  device.conf  configuration, with the signpost as its tunnel [peer]\n"
	       "  node.key     node identity key (secret, 0600)\n"
	       "\n"
	       "Node public key (Ed25519):     %s\n"
	       "WireGuard public key (X25519): %s\n"
	       "Overlay address:               %s\n"
	       "\n"
	       "Next steps:\n"
	       "1. Enroll the device: on the signpost of %s, run\n"
	       "     signpost -c SIGNPOST-DIR/signpost.conf zone add %s.%s KEY \"%d %d %d %s\"\n"
	       "     signpost -c SIGNPOST-DIR/signpost.conf zone add %s.%s AAAA %s\n"
	       "   (a KEY record of flags 512: the device's host key, not a zone key; the\n"
	       "   AAAA is its overlay address, derived from the zone and that key).\n"
	       "2. Let it into the signpost's tunnel: append these lines to\n"
	       "   SIGNPOST-DIR/signpost.conf, then send signpostd a SIGHUP (it re-reads them):\n"
	       "     [peer]\n"
	       "     # %s.%s\n"
	       "     public-key = %s\n"
	       "     allowed-ips = %s/128\n"
	       "3. Check and start the device (its tunnel: [tunnel] enabled = yes, as root):\n"
	       "     signpostd --check -c %s/device.conf\n"
	       "     signpostd -c %s/device.conf\n",
	       in->name, in->zone, dir, b64, wg, overlay, in->zone, in->name, in->zone,
	       DNS_HOSTKEY_FLAGS, DNS_HOSTKEY_PROTOCOL, DNS_HOSTKEY_ALG, b64,
	       in->name, in->zone, overlay, in->name, in->zone, wg, overlay, dir, dir);
}

static int init_device_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	struct device_init in = { 0 };
	/* In the order written: the configuration last, once the key it names exists. */
	const struct init_file files[] = {
		{ "node.key", init_write_key, &in.node },
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
	init_conf_free(&in.conf);
	free(in.zone);
	return ret;
}

const struct cli_cmd cli_cmd_init_device = {
	.name = "init device",
	.run = init_device_run,
	.summary = "create a device",
	.help = "Usage: signpost init device --zone ZONE --name NAME --dir DIR\n"
		"                            --signpost IP:PORT --signpost-key KEY\n"
		"                            [--signpost-dns IP:PORT] [--trust-anchor RR]\n"
		"\n"
		"Creates DIR (mode 0700) holding a new device NAME.ZONE:\n"
		"  device.conf  the configuration (role device)\n"
		"  node.key     the device's Ed25519 identity key (0600)\n"
		"device.conf has the signpost as the tunnel's one [peer] (its WireGuard key,\n"
		"derived from --signpost-key, at --signpost, for the zone's overlay /48) and\n"
		"the tunnel off until enabled = yes is set.  Refuses to overwrite any existing\n"
		"file.  Prints the device's public keys, the `signpost zone add` lines that\n"
		"enroll it on the signpost, and the [peer] lines to add to signpost.conf.\n"
		"\n"
		"Options:\n"
		"  --zone ZONE           the user's zone, e.g. alice.example.\n"
		"  --name NAME           the device's name in the zone, e.g. laptop\n"
		"  --dir DIR             folder to create the files in\n"
		"  --signpost IP:PORT    the signpost's tunnel endpoint ([IPv6]:PORT for IPv6)\n"
		"  --signpost-key KEY    the signpost's node public key, as\n"
		"                        `signpost init signpost` printed it\n"
		"  --signpost-dns IP:PORT  the signpost's DNS server (optional)\n"
		"  --trust-anchor RR     the zone's DS or DNSKEY record, as `signpost ds`\n"
		"                        prints it: the stub validates the zone with it\n"
		"  -h, --help            show this help\n",
};
