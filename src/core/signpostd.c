/*
 * signpostd.c - the node daemon: parse arguments, load the configuration,
 * run the loop until SIGTERM, close everything, exit 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "control/control.h"
#include "core/config.h"
#include "core/log.h"
#include "core/node.h"
#include "dns/dns.h"
#include "nat/nat.h"
#include "store/store.h"
#include "tunnel/tunnel.h"

/* The planes in start order; they stop in reverse. */
/* The control plane comes last: it uses the tunnel's socket and peers, the zone and the resolver. */
/* NAT before control: it opens the node's socket if the tunnel did not, and control uses it. */
/* The store after all: it asks the tunnel who a peer is and the resolver for the own devices. */
static const struct sp_plane *const planes[] = { &dns_auth_plane, &dns_stub_plane, &tun_plane,
						 &nat_plane, &cp_plane, &store_plane };
#define N_PLANES (sizeof(planes) / sizeof(planes[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: signpostd -c FILE [--check] [--log-level LEVEL]\n"
		"       signpostd --config-reference\n"
		"\n"
		"Run a Signpost node (signpost or device role, as the configuration says)\n"
		"in the foreground until SIGTERM or SIGINT; SIGHUP re-reads FILE and applies\n"
		"it whole or not at all.\n"
		"\n"
		"  -c, --config FILE     configuration file (see README: configuration)\n"
		"  -n, --check           check FILE and the key it names, print\n"
		"                        'configuration OK' and exit 0, or name the file,\n"
		"                        line and option at fault and exit 1\n"
		"  -l, --log-level L     override node.log-level (error..debug)\n"
		"      --config-reference  print the configuration reference (Markdown)\n"
		"  -h, --help            this text\n"
		"  -V, --version         print the version\n"
		"\n"
		"Environment: SIGNPOST_INTERVALS=name=ms,... shortens named timers (tests).\n");
}

static void register_intervals(void)
{
	for (size_t i = 0; i < N_PLANES; i++)
		if (planes[i]->intervals)
			sp_interval_register(planes[i]->intervals, planes[i]->n_intervals);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check", no_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "config-reference", no_argument, NULL, 'R' }, { NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *level = NULL;
	bool check = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:nl:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': check = true; break;
		case 'l': level = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("signpostd %s\n", SIGNPOST_VERSION); return 0;
		case 'R':
			if (sp_node_compose_schema(planes, N_PLANES) != 0)
				return 1;
			sp_config_reference(stdout);
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "signpostd: libsodium failed to initialise\n");
		return 1;
	}
	if (level && sp_log_level_parse(level) < 0) {
		fprintf(stderr, "signpostd: unknown log level '%s'\n", level);
		return 2;
	}
	sp_log_init("signpostd", SP_LOG_INFO, true, false);
	/* A TCP or control client that hangs up before its answer is written must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if (sp_node_compose_schema(planes, N_PLANES) != 0)
		return 1;
	struct sp_config *cfg;
	if (sp_config_load(path, &cfg) != 0)
		return 1;
	register_intervals();
	const char *spec = getenv("SIGNPOST_INTERVALS");
	if (spec && sp_interval_override(spec) != 0) {
		sp_config_free(cfg);
		return 1;
	}
	if (check) {
		int rc = sp_node_check(cfg, planes, N_PLANES);
		sp_config_free(cfg);
		if (rc)
			return 1;
		printf("configuration OK\n");
		return 0;
	}

	uv_loop_t loop;
	if (uv_loop_init(&loop) != 0) {
		sp_config_free(cfg);
		return 1;
	}
	struct sp_node node;
	int rc = sp_node_start(&node, &loop, cfg, planes, N_PLANES);
	if (rc == 0 && level)
		sp_log_set_level(sp_log_level_parse(level));
	uv_run(&loop, UV_RUN_DEFAULT);
	sp_node_deinit(&node);
	int closerc = uv_loop_close(&loop);
	if (closerc != 0) {
		/* A handle outlived shutdown: a bug worth failing loudly for in tests. */
		sp_err("event loop did not close cleanly: %s", uv_strerror(closerc));
		return 1;
	}
	if (rc == 0)
		sp_notice("stopped");
	return rc == 0 ? 0 : 1;
}
