/*
 * test_auth_plane.c - the two DNS planes in a node, in process: on a
 * signpost the authoritative plane provides SP_SVC_ZONE, a change through it
 * emits SP_EV_ZONE_CHANGED with the new serial, a reload with an unchanged
 * zone loads nothing (dns__zone_loads), a reload with a new zone file loads
 * it once; on a device neither the service nor a listener exists.  Every
 * run ends with uv_loop_close() == 0 (no handle left behind).
 */
#include "dns_testlib.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/keys.h"
#include "core/log.h"
#include "core/node.h"
#include "core/service.h"
#include "dns/dns.h"
#include "dns/dns_schema.h"
#include "dns/plane.h"
#include "dns/zone_svc.h"

static char dir[64], conf[128];

static const struct sp_plane *const planes[] = { &dns_auth_plane, &dns_stub_plane };

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[192];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void write_conf(const char *role, const char *addr, int port, const char *zone_file)
{
	char text[1536];
	snprintf(text, sizeof(text),
		 "[node]\nrole = %s\nzone = example.test.\nname = ns\n"
		 "control-socket = %s/ctl.sock\n"
		 "[dns]\nlisten = %s\nport = %d\nzone-file = %s\nzone-sync = no\n"
		 "tsig-key-file = none.key\nstub-listen = %s\nstub-port = %d\n",
		 role, dir, addr, port, zone_file, addr, port);
	write_file("node.conf", text, 0644);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sp-authplane-XXXXXX");
	if (mkdtemp(dir) == NULL || sodium_init() < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/node.conf", dir);
	char key[128];
	snprintf(key, sizeof(key), "%s/node.key", dir);
	struct sp_keypair kp;
	if (sp_key_generate(&kp) || sp_key_save(key, &kp))
		return -1;
	sp_key_wipe(&kp);
	char *ksk = t_keygen_text(LDNS_SIGN_ED25519), *zsk = t_keygen_text(LDNS_SIGN_ED25519);
	write_file("ksk.key", ksk, 0600);
	write_file("zsk.key", zsk, 0600);
	free(ksk);
	free(zsk);
	write_file("zone.db", t_zone_text, 0644);
	char second[sizeof(t_zone_text) + 64];
	snprintf(second, sizeof(second), "%snewname IN AAAA fd00::beef\n", t_zone_text);
	write_file("zone2.db", second, 0644);
	sp_log_init("test", SP_LOG_WARNING, true, false);
	static const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema };
	return sp_config_schema_compose(frags, 2);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int events_seen;
static uint32_t event_serial;

static void on_zone_changed(void *arg, const struct sp_event *ev)
{
	(void)arg;
	assert_int_equal(ev->type, SP_EV_ZONE_CHANGED);
	events_seen++;
	event_serial = ev->u.zone.serial;
}

/* Run the loop until cond holds (events arrive on a later turn), at most 2 s. */
#define RUN_UNTIL(loop, cond)                                                   \
	do {                                                                    \
		for (int i_ = 0; i_ < 200 && !(cond); i_++) {                   \
			uv_run((loop), UV_RUN_NOWAIT);                          \
			usleep(10000);                                          \
		}                                                               \
		assert_true(cond);                                              \
	} while (0)

/* Start a node on a random loopback address and port (another if taken). */
static void node_start(struct sp_node *node, uv_loop_t *loop, const char *role)
{
	int rc = -1;
	for (int attempt = 0; attempt < 10 && rc != 0; attempt++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "127.%u.%u.%u", 20 + randombytes_uniform(200),
			 1 + randombytes_uniform(250), 1 + randombytes_uniform(250));
		write_conf(role, addr, 20000 + (int)randombytes_uniform(12000), "zone.db");
		struct sp_config *cfg;
		assert_int_equal(sp_config_load(conf, &cfg), 0);
		assert_int_equal(uv_loop_init(loop), 0);
		rc = sp_node_start(node, loop, cfg, planes, 2);
		if (rc != 0) {
			uv_run(loop, UV_RUN_DEFAULT);
			sp_node_deinit(node);
			assert_int_equal(uv_loop_close(loop), 0);
		}
	}
	assert_int_equal(rc, 0);
}

static void node_finish(struct sp_node *node, uv_loop_t *loop)
{
	sp_node_stop(node);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_null(dns_zone_svc_get(node));
	sp_node_deinit(node);
	assert_int_equal(uv_loop_close(loop), 0);
}

static void test_signpost_service_events_reload(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct sp_node node;
	node_start(&node, &loop, "signpost");
	uint64_t loads = dns__zone_loads;

	struct dns_zone_svc *zs = dns_zone_svc_get(&node);
	assert_non_null(zs);
	events_seen = 0;
	assert_true(sp_event_subscribe(&node, SP_EV_ZONE_CHANGED, on_zone_changed, NULL) > 0);

	/* A change through the service: one event, with the serial the change returned. */
	ldns_rr *rr = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&rr, "laptop.example.test. 300 IN AAAA fd00::7", 300,
					     NULL, NULL),
			 LDNS_STATUS_OK);
	uint32_t serial = 0;
	assert_int_equal(dns_zone_svc_add(zs, rr, &serial), 0);
	assert_int_equal(dns_zone_svc_serial(zs), serial);
	RUN_UNTIL(&loop, events_seen == 1);
	assert_int_equal(event_serial, serial);

	/* A reload with the zone's files and keys unchanged loads and signs nothing. */
	assert_int_equal(sp_node_reload(&node), 0);
	assert_int_equal(dns__zone_loads, loads);
	assert_int_equal(dns_zone_svc_serial(zs), serial);
	ldns_rdf *laptop = ldns_dname_new_frm_str("laptop.example.test.");
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_AAAA, NULL), 0);
	for (int i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(events_seen, 1);

	/* A new zone file: loaded once, in prepare(), served by the same service, announced. */
	const struct sp_config_section *d = sp_config_get(node.cfg, "dns");
	char addr[SP_ENDPOINT_STRLEN];
	sp_endpoint_format_addr(sp_cfg_endpoint(d, "listen"), addr);
	write_conf("signpost", addr, (int)sp_cfg_int(d, "port"), "zone2.db");
	assert_int_equal(sp_node_reload(&node), 0);
	assert_int_equal(dns__zone_loads, loads + 1);
	ldns_rdf *newname = ldns_dname_new_frm_str("newname.example.test.");
	assert_int_equal(dns_zone_svc_lookup(zs, newname, LDNS_RR_TYPE_AAAA, NULL), 0);
	/* The run-time record lived in the old zone only (zone-sync is off). */
	assert_int_equal(dns_zone_svc_lookup(zs, laptop, LDNS_RR_TYPE_AAAA, NULL), SP_ENOTFOUND);
	RUN_UNTIL(&loop, events_seen == 2);
	assert_int_equal(event_serial, dns_zone_svc_serial(zs));
	ldns_rdf_deep_free(laptop);
	ldns_rdf_deep_free(newname);

	node_finish(&node, &loop);
}

static void test_device_has_no_zone(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct sp_node node;
	uint64_t loads = dns__zone_loads;
	node_start(&node, &loop, "device");
	assert_null(dns_zone_svc_get(&node));
	assert_int_equal(dns__zone_loads, loads);
	node_finish(&node, &loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signpost_service_events_reload),
		cmocka_unit_test(test_device_has_no_zone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
