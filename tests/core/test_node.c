/*
 * test_node.c - node lifecycle: start, control socket, SIGHUP reload applied
 * whole or not at all, SIGTERM shutdown with every handle closed.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/ctl.h"
#include "core/log.h"
#include "core/node.h"
#include "dns/dns_schema.h"
#include "tunnel/tun_schema.h"

static char dir[64], conf[128], sock[128];

/* A plane that owns one repeating timer, and counts its callbacks. */
struct fake {
	uv_timer_t timer;
	int starts, reloads, aborts, stops, closed;
	long long port;
};
static struct fake fake;

static void fake_tick(uv_timer_t *t) { }
static void fake_closed(uv_handle_t *h) { fake.closed++; }

static int fake_check(const struct sp_config *cfg)
{
	/* Refuse port 9 so that a test can offer a config the plane rejects. */
	return sp_cfg_int(sp_config_get(cfg, "dns"), "port") == 9 ? SP_ECONFIG : 0;
}

/* "big": a reply far larger than a socket buffer, of a pattern the client checks. */
#define BIG_REPLY (1u << 20)
static int fake_big(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	for (unsigned i = 0; i < BIG_REPLY / 16; i++)
		sp_buf_printf(out, "%015u\n", i);
	return 0;
}

static int fake_start(struct sp_node *node, void **state)
{
	fake.starts++;
	if (sp_ctl_register(node, "big", fake_big, NULL) != 0)
		return SP_ELIMIT;
	fake.port = sp_cfg_int(sp_config_get(node->cfg, "dns"), "port");
	uv_timer_init(node->loop, &fake.timer);
	uv_timer_start(&fake.timer, fake_tick, 50, 50);
	*state = &fake;
	return 0;
}

/* prepare() keeps the new port aside; only commit() makes it current. */
static int fake_prepare(void *state, const struct sp_config *cfg, void **pending)
{
	long long *port = malloc(sizeof(*port));
	if (port == NULL)
		return -ENOMEM;
	*port = sp_cfg_int(sp_config_get(cfg, "dns"), "port");
	*pending = port;
	return 0;
}

static void fake_commit(void *state, void *pending)
{
	fake.reloads++;
	fake.port = *(long long *)pending;
	free(pending);
}

static void fake_abort(void *state, void *pending)
{
	fake.aborts++;
	free(pending);
}

/* A second plane that refuses port 7 in prepare(), after the first prepared. */
static int picky_prepare(void *state, const struct sp_config *cfg, void **pending)
{
	*pending = NULL;
	return sp_cfg_int(sp_config_get(cfg, "dns"), "port") == 7 ? -EADDRINUSE : 0;
}

static void picky_commit(void *state, void *pending) { }
static int picky_start(struct sp_node *node, void **state) { *state = NULL; return 0; }
static void picky_stop(void *state) { }

static void fake_stop(void *state)
{
	fake.stops++;
	uv_close((uv_handle_t *)&fake.timer, fake_closed);
}

static void fake_status(void *state, struct sp_status *st)
{
	sp_status_add(st, "state", "ticking");
	sp_status_add(st, "port", "%lld", fake.port);
}

static const struct sp_plane fake_plane = {
	.name = "fake", .check = fake_check, .start = fake_start, .prepare = fake_prepare,
	.commit = fake_commit, .abort = fake_abort, .stop = fake_stop, .status = fake_status,
};
static const struct sp_plane picky_plane = {
	.name = "picky", .start = picky_start, .prepare = picky_prepare, .commit = picky_commit,
	.stop = picky_stop,
};
static const struct sp_plane *const planes[] = { &fake_plane, &picky_plane };

static void write_conf(int port)
{
	FILE *f = fopen(conf, "w");
	fprintf(f, "[node]\nrole = signpost\nzone = t.example\nname = ns\n"
		   "control-socket = %s\n[dns]\nport = %d\n", sock, port);
	fclose(f);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/sp-node-XXXXXX");
	if (mkdtemp(dir) == NULL || sodium_init() < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/node.conf", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	char key[128];
	snprintf(key, sizeof(key), "%s/node.key", dir);
	struct sp_keypair kp;
	if (sp_key_generate(&kp) || sp_key_save(key, &kp))
		return -1;
	sp_key_wipe(&kp);
	sp_log_init("test", SP_LOG_WARNING, true, false);
	/* The configuration has a [dns] section: compose the planes' schema as signpostd does. */
	static const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema,
								 tun_schema };
	return sp_config_schema_compose(frags, 3);
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

struct client_result {
	int rc_status, st_status;
	char *status, *json, *unknown;
	int st_unknown;
	int reloads_seen_good, reloads_seen_bad;
	long long port_after_good, port_after_bad;
	char *final;
	int big_status;
	bool big_ok;
	int idle_fd;		/* a connection left open across shutdown */
};

static int call(const char *a0, const char *a1, int *st, char **reply)
{
	char *argv[] = { (char *)a0, (char *)a1, NULL };
	return sp_ctl_call(sock, a1 ? 2 : 1, argv, 5000, st, reply);
}

/* Send SIGHUP and wait (bounded) until status reports the outcome `expect`. */
static void reload_and_wait(const char *expect)
{
	kill(getpid(), SIGHUP);
	for (int i = 0; i < 500; i++) {
		int st;
		char *reply = NULL;
		bool done = call("status", NULL, &st, &reply) == 0 && strstr(reply, expect);
		free(reply);
		if (done)
			return;
		usleep(10000);
	}
}

static void client_thread(void *arg)
{
	struct client_result *r = arg;
	r->rc_status = call("status", NULL, &r->st_status, &r->status);
	int st;
	(void)call("status", "--json", &st, &r->json);
	(void)call("no-such-command", NULL, &r->st_unknown, &r->unknown);

	/* A reply much larger than the socket buffer arrives whole and in order. */
	char *big = NULL;
	r->big_ok = call("big", NULL, &r->big_status, &big) == 0 && strlen(big) == BIG_REPLY;
	for (unsigned i = 0; r->big_ok && i < BIG_REPLY / 16; i += 4099) {
		char want[17];
		snprintf(want, sizeof(want), "%015u\n", i);
		r->big_ok = memcmp(big + (size_t)i * 16, want, 16) == 0;
	}
	free(big);

	/* A client that connects and says nothing is still open at SIGTERM. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock);
	r->idle_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(r->idle_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(r->idle_fd);
		r->idle_fd = -1;
	}

	/* A good reload is applied. */
	write_conf(5301);
	reload_and_wait("reloads: 1 ok, 0 refused");
	r->reloads_seen_good = fake.reloads;
	r->port_after_good = fake.port;
	/* A config the plane refuses is not applied at all; neither is a broken file. */
	write_conf(9);
	reload_and_wait("reloads: 1 ok, 1 refused");
	/* The first plane prepares port 7, the second refuses it: the first aborts. */
	write_conf(7);
	reload_and_wait("reloads: 1 ok, 2 refused");
	FILE *f = fopen(conf, "a");
	fputs("nonsense\n", f);
	fclose(f);
	reload_and_wait("reloads: 1 ok, 3 refused");
	char *last = NULL;
	(void)call("status", NULL, &st, &last);
	r->final = last;
	r->reloads_seen_bad = fake.reloads;
	r->port_after_bad = fake.port;
	kill(getpid(), SIGTERM);
}

static void test_lifecycle(void **state)
{
	write_conf(5300);
	struct sp_config *cfg;
	assert_int_equal(sp_config_load(conf, &cfg), 0);
	assert_int_equal(sp_node_check(cfg, planes, 2), 0);

	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sp_node node;
	assert_int_equal(sp_node_start(&node, &loop, cfg, planes, 2), 0);
	struct stat st;
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	struct client_result r = { 0 };
	uv_thread_t tid;
	assert_int_equal(uv_thread_create(&tid, client_thread, &r), 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_thread_join(&tid);

	assert_int_equal(r.rc_status, 0);
	assert_int_equal(r.st_status, 0);
	assert_non_null(strstr(r.status, "role: signpost\n"));
	assert_non_null(strstr(r.status, "zone: t.example.\n"));
	assert_non_null(strstr(r.status, "name: ns\n"));
	assert_non_null(strstr(r.status, "uptime: "));
	assert_non_null(strstr(r.status, "fake:\n  state: ticking\n  port: 5300\n"));
	assert_non_null(strstr(r.json, "\"role\":\"signpost\""));
	assert_non_null(strstr(r.json, "\"fake\":{\"state\":\"ticking\",\"port\":\"5300\"}"));
	assert_int_equal(r.st_unknown, SP_ENOTFOUND);
	assert_int_equal(r.big_status, 0);
	assert_true(r.big_ok);
	/* The idle connection was open when the node stopped (the sanitizer build checks
	 * that closing it then touched no freed memory). */
	assert_true(r.idle_fd >= 0);
	close(r.idle_fd);
	assert_non_null(strstr(r.unknown, "unknown command"));
	assert_int_equal(r.reloads_seen_good, 1);
	assert_int_equal(r.port_after_good, 5301);
	assert_int_equal(r.reloads_seen_bad, 1);
	assert_int_equal(r.port_after_bad, 5301);
	assert_non_null(strstr(r.final, "reloads: 1 ok, 3 refused"));
	assert_int_equal(fake.aborts, 1);
	assert_non_null(strstr(r.final, "port: 5301"));
	free(r.final);

	assert_int_equal(fake.starts, 1);
	assert_int_equal(fake.stops, 1);
	assert_int_equal(fake.closed, 1);
	sp_node_deinit(&node);
	/* Every handle was closed: the loop closes cleanly. */
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_not_equal(stat(sock, &st), 0);
	free(r.status);
	free(r.json);
	free(r.unknown);
}

int main(void)
{
	/* As signpostd does: a peer that hangs up costs an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
