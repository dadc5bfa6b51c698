/*
 * portmap_driver.c - a small program around src/nat/nat_portmap.c for
 * tests/nat/test_portmap.sh (until the NAT plane starts the module):
 *   portmap_driver MODE PORT [GATEWAY]
 * binds UDP PORT (answers every datagram with "echo " + its bytes and prints
 * "got ..."), maps it with MODE (pcp, nat-pmp, upnp, yes), prints
 * "mapped PROTO ADDR:PORT" / "lost PROTO" and, on SIGTERM, stops the module
 * (deletion on the gateway) and exits 0 once the loop ran dry.
 * SIGNPOST_INTERVALS shortens nat.* intervals as for signpostd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/interval.h"
#include "nat/nat_portmap.h"

static struct nat_portmap *pm;
static uv_udp_t sock;
static uv_signal_t sig;

static void on_mapped(void *arg, const union sp_endpoint *mapped, const char *protocol)
{
	(void)arg;
	char s[SP_ENDPOINT_STRLEN];
	if (mapped)
		printf("mapped %s %s\n", protocol, sp_endpoint_format(mapped, s));
	else
		printf("lost %s\n", protocol);
	fflush(stdout);
}

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	static char b[2048];
	(void)h;
	(void)size;
	*buf = uv_buf_init(b + 5, sizeof(b) - 5);
}

static void recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	(void)flags;
	if (n <= 0 || !from)
		return;
	union sp_endpoint ep;
	char s[SP_ENDPOINT_STRLEN] = "?";
	if (sp_endpoint_from_sa(&ep, from, sizeof(struct sockaddr_in6)) == 0)
		sp_endpoint_format(&ep, s);
	printf("got %.*s from %s\n", (int)n, buf->base, s);
	fflush(stdout);
	memcpy(buf->base - 5, "echo ", 5);
	uv_buf_t out = uv_buf_init(buf->base - 5, (unsigned)n + 5);
	(void)uv_udp_try_send(u, &out, 1, from);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	nat_portmap_stop(pm);
	pm = NULL;
	uv_close((uv_handle_t *)s, NULL);
	uv_close((uv_handle_t *)&sock, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: portmap_driver MODE PORT [GATEWAY]\n");
		return 2;
	}
	static struct sp_interval *const ivs[] = { &nat_iv_portmap_lifetime, &nat_iv_pcp_rto,
						   &nat_iv_natpmp_rto, &nat_iv_portmap_retry };
	sp_interval_register(ivs, 4);
	const char *spec = getenv("SIGNPOST_INTERVALS");
	if (spec && sp_interval_override(spec) != 0)
		return 2;
	enum nat_portmap_mode mode;
	if (nat_portmap_mode_parse(argv[1], &mode) != 0)
		return 2;
	uint16_t port = (uint16_t)atoi(argv[2]);
	union sp_endpoint gw, *gwp = NULL;
	if (argc > 3) {
		if (sp_endpoint_parse(argv[3], true, 5351, &gw) != 0)
			return 2;
		gwp = &gw;
	}
	uv_loop_t *loop = uv_default_loop();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (uv_udp_init(loop, &sock) || uv_udp_bind(&sock, (struct sockaddr *)&a, 0) ||
	    uv_udp_recv_start(&sock, alloc_cb, recv_cb)) {
		fprintf(stderr, "cannot bind UDP %u\n", port);
		return 1;
	}
	uv_signal_init(loop, &sig);
	uv_signal_start(&sig, on_signal, SIGTERM);
	int rc = nat_portmap_start(loop, port, mode, gwp, on_mapped, NULL, &pm);
	if (rc) {
		fprintf(stderr, "nat_portmap_start: %s\n", uv_strerror(rc));
		return 1;
	}
	printf("started\n");
	fflush(stdout);
	uv_run(loop, UV_RUN_DEFAULT);
	printf("stopped\n");
	fflush(stdout);
	return uv_loop_close(loop) == 0 ? 0 : 1;
}
