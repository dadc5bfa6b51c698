/*
 * init_signpost.c - `signpost init signpost`: a new signpost in DIR with its
 * configuration, node key, the zone's DNSSEC keys, a TSIG key and a zone file.
 * Everything is made in memory first, then written; a failure half-way
 * removes what was written.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "core/keys.h"
#include "core/log.h"
#include "dns/hostkey.h"
#include "init.h"

/* SOA timers (seconds): secondaries follow NOTIFY, these are fallbacks. */
#define SOA_REFRESH 3600
#define SOA_RETRY 900
#define SOA_EXPIRE 1209600	/* two weeks without the primary before a secondary gives up */
#define SOA_MINIMUM 300		/* negative-answer TTL: new device names show up quickly */
#define ZONE_TTL 3600
#define DEFAULT_TUNNEL_PORT 51820
#define DEFAULT_DNS_PORT 53

enum { O_ZONE = 256, O_DIR, O_ADDRESS, O_PORT, O_DNS_PORT, O_ALGORITHM, O_NAME };

struct signpost_init {
	char *zone;		/* absolute, lower case */
	const char *dir, *address, *name, *algorithm;
	long port, dns_port;
	int family;
	/* made in memory before anything is written */
	struct sp_keypair node;
	ldns_key *ksk, *zsk;
	ldns_rr *ksk_rr, *ds;
	char *tsig_text, *zone_text;
	struct init_conf conf;
};

static int parse_options(const struct cli_cmd *cmd, int argc, char **argv, struct signpost_init *in)
{
	static const struct option opts[] = {
		{ "zone", required_argument, NULL, O_ZONE },
		{ "dir", required_argument, NULL, O_DIR },
		{ "address", required_argument, NULL, O_ADDRESS },
		{ "port", required_argument, NULL, O_PORT },
		{ "dns-port", required_argument, NULL, O_DNS_PORT },
		{ "algorithm", required_argument, NULL, O_ALGORITHM },
		{ "name", required_argument, NULL, O_NAME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *zone = NULL;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		switch (c) {
		case 0:
			return done == CLI_OK ? CLI_DONE : done;
		case O_ZONE: zone = optarg; break;
		case O_DIR: in->dir = optarg; break;
		case O_ADDRESS: in->address = optarg; break;
		case O_NAME: in->name = optarg; break;
		case O_ALGORITHM: in->algorithm = optarg; break;
		case O_PORT:
			if ((in->port = cli_parse_port(optarg, 0)) < 0)
				return cli_usage(cmd, "--port %s: not a port (0..65535)", optarg);
			break;
		case O_DNS_PORT:
			if ((in->dns_port = cli_parse_port(optarg, 1)) < 0)
				return cli_usage(cmd, "--dns-port %s: not a port (1..65535)", optarg);
			break;
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (zone == NULL || in->dir == NULL || in->address == NULL)
		return cli_usage(cmd, "--zone, --dir and --address are required");
	int ret = init_check_names(cmd, zone, in->name, &in->zone);
	if (ret != CLI_OK)
		return ret;
	unsigned char ip[16];
	if (inet_pton(AF_INET, in->address, ip) == 1)
		in->family = AF_INET;
	else if (inet_pton(AF_INET6, in->address, ip) == 1)
		in->family = AF_INET6;
	else
		return cli_usage(cmd, "--address %s: not an IPv4 or IPv6 address", in->address);
	if (cli_dnssec_algorithm(in->algorithm) == 0)
		return cli_usage(cmd, "--algorithm %s: use ed25519 or ecdsap256sha256",
				 in->algorithm);
	return CLI_OK;
}

/*
 * The zone's apex, the signpost's address, its node key as a KEY record (RFC
 * 2535/3445: flags 512 = host key, protocol 3, algorithm 15 = Ed25519) at
 * its own name, and its control endpoint as _signpost._udp SRV: knowing the
 * zone and its trust anchor is enough to find and authenticate the signpost.
 * With --port 0 the port is chosen at start, so there is no SRV to write.
 */
static char *zone_text(const struct signpost_init *in)
{
	char b64[SP_KEY_B64_LEN], *srv = NULL, *text = NULL;
	sp_key_to_b64(in->node.ed_pk, b64);
	int n = in->port != 0
		? asprintf(&srv, "_signpost._udp\tIN\tSRV\t0 0 %ld %s.%s\n", in->port, in->name,
			   in->zone)
		: asprintf(&srv, "; no _signpost._udp SRV: the UDP port is chosen at start (--port 0)\n");
	if (n < 0)
		return NULL;
	n = asprintf(&text,
		"; Zone %s, written by `signpost init signpost`.\n"
		"; signpostd loads this file at start and signs the zone online: the DNSKEY\n"
		"; records come from ksk.key and zsk.key, and devices are added at run time\n"
		"; (`signpost zone add`), so this file only holds the zone's apex and the\n"
		"; signpost itself: its address, its node key (KEY, flags 512: a host key)\n"
		"; and its UDP endpoint (_signpost._udp SRV).\n"
		"$ORIGIN %s\n"
		"$TTL %d\n"
		"@\tIN\tSOA\t%s.%s hostmaster.%s (\n"
		"\t\t%lld\t; serial (signpostd bumps it on every change)\n"
		"\t\t%d\t; refresh\n"
		"\t\t%d\t; retry\n"
		"\t\t%d\t; expire\n"
		"\t\t%d )\t; negative-answer TTL\n"
		"@\tIN\tNS\t%s.%s\n"
		"%s\tIN\t%s\t%s\n"
		"%s\tIN\tKEY\t%d %d %d %s\n"
		"%s",
		in->zone, in->zone, ZONE_TTL, in->name, in->zone, in->zone,
		(long long)time(NULL), SOA_REFRESH, SOA_RETRY, SOA_EXPIRE, SOA_MINIMUM,
		in->name, in->zone, in->name, in->family == AF_INET ? "A" : "AAAA", in->address,
		in->name, DNS_HOSTKEY_FLAGS, DNS_HOSTKEY_PROTOCOL, DNS_HOSTKEY_ALG, b64, srv);
	free(srv);
	return n < 0 ? NULL : text;
}

/* Parse our own zone text with ldns, as the DNS plane will. */
static bool zone_text_ok(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	if (f == NULL)
		return false;
	ldns_zone *z = NULL;
	ldns_status st = ldns_zone_new_frm_fp(&z, f, NULL, ZONE_TTL, LDNS_RR_CLASS_IN);
	fclose(f);
	if (z != NULL)
		ldns_zone_deep_free(z);
	return st == LDNS_STATUS_OK;
}

static int conf_text(struct signpost_init *in, const char *conf_path)
{
	struct init_conf *c = &in->conf;
	if (init_conf_begin(c) != 0)
		return -ENOMEM;
	init_conf_comment(c, "signpost.conf: the signpost of %s, written by `signpost init signpost`.",
			  in->zone);
	init_conf_node(c, "signpost", in->zone, in->name);
	init_conf_section(c, "dns");
	init_conf_opt(c, "listen", true, "%s", in->address);
	init_conf_opt(c, "port", true, "%ld", in->dns_port);
	init_conf_opt(c, "zone-file", true, "zone.db");
	init_conf_opt(c, "ksk-file", true, "ksk.key");
	init_conf_opt(c, "zsk-file", true, "zsk.key");
	init_conf_opt(c, "algorithm", true, "%s", in->algorithm);
	init_conf_opt(c, "tsig-key-file", true, "tsig.key");
	init_conf_blank(c);
	init_conf_comment(c, "A secondary name server that may transfer the zone (repeat for more):");
	init_conf_comment(c, "[secondary]");
	init_conf_comment(c, "address = 192.0.2.53");
	init_conf_section(c, "tunnel");
	init_conf_comment(c, "Needs CAP_NET_ADMIN (a TUN device); turn on once signpostd runs as root.");
	init_conf_opt(c, "enabled", true, "no");
	init_conf_opt(c, "listen-port", true, "%ld", in->port);
	return init_conf_end(c, conf_path);
}

/* Make every key and text in memory; nothing touches the disk. */
static int make_all(const struct cli_cmd *cmd, void *arg, const char *dir, const char *conf_path)
{
	struct signpost_init *in = arg;
	/* The socket lives in DIR; a Unix socket path is at most 107 bytes. */
	if (strlen(dir) + sizeof("/signpost.sock") > sizeof(((struct sockaddr_un *)0)->sun_path))
		fprintf(stderr, "signpost %s: warning: %s/signpost.sock is too long for a Unix "
				"socket; set control-socket to a shorter path\n", cmd->name, dir);
	int alg = cli_dnssec_algorithm(in->algorithm);
	if (sp_key_generate(&in->node) != 0)
		return cli_fail(cmd, "cannot generate the node key (libsodium failed)");
	if (cli_dnssec_key_new(alg, in->zone, CLI_KSK_FLAGS, &in->ksk) != 0 ||
	    cli_dnssec_key_new(alg, in->zone, CLI_ZSK_FLAGS, &in->zsk) != 0)
		return cli_fail(cmd, "cannot generate %s DNSSEC keys (ldns failed)", in->algorithm);
	if ((in->ksk_rr = cli_dnssec_dnskey(in->ksk)) == NULL ||
	    (in->ds = cli_dnssec_ds(in->ksk_rr)) == NULL)
		return cli_fail(cmd, "cannot make the DNSKEY and DS records (ldns failed)");

	char *key_name = NULL;
	if (asprintf(&key_name, "tsig.%s", in->zone) < 0)
		return cli_fail(cmd, "out of memory");
	in->tsig_text = cli_tsig_key_text(key_name);
	free(key_name);
	if (in->tsig_text == NULL)
		return cli_fail(cmd, "cannot make the TSIG key");

	if ((in->zone_text = zone_text(in)) == NULL || !zone_text_ok(in->zone_text))
		return cli_fail(cmd, "internal: cannot make a zone file for %s", in->zone);
	if (conf_text(in, conf_path) != 0)
		return cli_fail(cmd, "internal: cannot make %s", conf_path);
	return CLI_OK;
}

/* A writer for struct init_file; arg: ldns_key *const *. */
static int write_dnssec_key(const char *path, const void *arg)
{
	return cli_dnssec_key_save(path, *(ldns_key *const *)arg);
}

static void print_next_steps(const void *arg, const char *dir)
{
	const struct signpost_init *in = arg;
	char b64[SP_KEY_B64_LEN], wg[SP_KEY_B64_LEN];
	sp_key_to_b64(in->node.ed_pk, b64);
	sp_key_to_b64(in->node.x_pk, wg);
	const char *a = in->family == AF_INET6 ? "[" : "", *b = in->family == AF_INET6 ? "]" : "";
	/* --port 0 lets the daemon pick: the user looks it up in `signpost status`. */
	char port[16] = "PORT";
	if (in->port != 0)
		snprintf(port, sizeof(port), "%ld", in->port);

	printf("Created the signpost of %s in %s:\n"
	       "  signpost.conf      configuration\n"
	       "  node.key           node identity key (secret, 0600)\n"
	       "  ksk.key, zsk.key   DNSSEC keys of the zone, %s (secret, 0600)\n"
	       "  tsig.key           TSIG key for `nsupdate -k` (secret, 0600)\n"
	       "  zone.db            the zone file\n"
	       "\n"
	       "Node public key:      %s\n"
	       "WireGuard public key: %s\n"
	       "\n"
	       "Next steps:\n"
	       "1. Check and start the signpost:\n"
	       "     signpostd --check -c %s/signpost.conf\n"
	       "     signpostd -c %s/signpost.conf\n"
	       "     signpost -c %s/signpost.conf status\n"
	       "2. Delegate %s to it: at the registrar of the parent zone, set\n"
	       "     %s IN NS %s.%s\n"
	       "     %s.%s IN %s %s   (glue)\n",
	       in->zone, dir, in->algorithm, b64, wg, dir, dir, dir, in->zone, in->zone,
	       in->name, in->zone, in->name, in->zone, in->family == AF_INET ? "A" : "AAAA",
	       in->address);
	if (in->dns_port != 53)
		printf("   (resolvers ask on port 53: forward it to port %ld, where signpostd listens)\n",
		       in->dns_port);
	printf("   and give it this DS record, which secures the delegation with DNSSEC:\n     ");
	cli_rr_print(stdout, in->ds);
	printf("3. Give friends the trust anchor of %s (their [friend] trust-anchor,\n"
	       "   unbound's trust-anchor: \"...\"); `signpost ds` and `signpost dnskey` print it again:\n"
	       "     ",
	       in->zone);
	cli_rr_print(stdout, in->ds);
	printf("4. Enroll each device: on the device run\n"
	       "     signpost init device --zone %s --name NAME --dir DIR \\\n"
	       "         --signpost %s%s%s:%s --signpost-key %s \\\n"
	       "         --signpost-dns %s%s%s:%ld --trust-anchor \"",
	       in->zone, a, in->address, b, port, b64, a, in->address, b, in->dns_port);
	char *ds = cli_rr_str(in->ds);
	printf("%s\"\n"
	       "   and then the `signpost zone add` line it prints, here.\n",
	       ds ? ds : "");
	free(ds);
}

static int init_signpost_run(const struct cli_cmd *cmd, int argc, char **argv,
			     struct cli_ctx *ctx)
{
	struct signpost_init in = { .name = "ns", .algorithm = "ed25519",
			      .port = DEFAULT_TUNNEL_PORT, .dns_port = DEFAULT_DNS_PORT };
	/* In the order written: the configuration last, once all it names exist. */
	const struct init_file files[] = {
		{ "node.key", init_write_key, &in.node },
		{ "ksk.key", write_dnssec_key, &in.ksk },
		{ "zsk.key", write_dnssec_key, &in.zsk },
		{ "tsig.key", init_write_secret, &in.tsig_text },
		{ "zone.db", init_write_text, &in.zone_text },
		{ "signpost.conf", init_write_text, &in.conf.text },
	};
	const struct init_steps steps = {
		.files = files,
		.n_files = sizeof(files) / sizeof(files[0]),
		.conf_name = "signpost.conf",
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
	cli_dnssec_key_free(in.ksk);
	cli_dnssec_key_free(in.zsk);
	ldns_rr_free(in.ksk_rr);
	ldns_rr_free(in.ds);
	cli_free_secret(in.tsig_text);
	free(in.zone_text);
	init_conf_free(&in.conf);
	free(in.zone);
	return ret;
}

const struct cli_cmd cli_cmd_init_signpost = {
	.name = "init signpost",
	.run = init_signpost_run,
	.summary = "create a signpost",
	.help = "Usage: signpost init signpost --zone ZONE --dir DIR --address IP\n"
		"                              [--port N] [--dns-port N] [--name LABEL]\n"
		"                              [--algorithm ed25519|ecdsap256sha256]\n"
		"\n"
		"Creates DIR (mode 0700) holding a new signpost for ZONE:\n"
		"  signpost.conf     the configuration (role signpost)\n"
		"  node.key          the node's Ed25519 identity key (0600)\n"
		"  ksk.key, zsk.key  the zone's DNSSEC key-signing and zone-signing keys, BIND\n"
		"                    private-key files (0600)\n"
		"  tsig.key          an HMAC-SHA256 TSIG key for `nsupdate -k` (0600)\n"
		"  zone.db           the zone file: SOA, NS, the signpost's address (A or\n"
		"                    AAAA) and node key (KEY 512 3 15) at NAME.ZONE, and\n"
		"                    _signpost._udp.ZONE SRV 0 0 PORT NAME.ZONE.\n"
		"Refuses to overwrite any existing file.  Prints the DS record to give the\n"
		"parent zone and the trust anchor for friends.\n"
		"\n"
		"Options:\n"
		"  --zone ZONE       the user's zone, e.g. alice.example.\n"
		"  --dir DIR         folder to create the files in\n"
		"  --address IP      public address of the signpost: DNS listens on it and the\n"
		"                    zone's name server points at it\n"
		"  --port N          UDP port of the tunnel socket (default 51820), published\n"
		"                    in the _signpost._udp SRV record\n"
		"  --dns-port N      port of the DNS server (default 53)\n"
		"  --name LABEL      the signpost's name in the zone (default ns)\n"
		"  --algorithm ALG   DNSSEC algorithm: ed25519 (15, default) or\n"
		"                    ecdsap256sha256 (13)\n"
		"  -h, --help        show this help\n",
};
