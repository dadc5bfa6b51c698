/*
 * test_resolver.c - SP_SVC_RESOLVER (resolver.h) and SP_EV_NAME_ANSWERED,
 * in process on loopback: a signpost S serves friend.test. (its own keys,
 * a KEY record added at run time through its zone service); a second
 * signpost R provides the resolver with no stub listener and learns
 * friend.test. at run time with dns_resolver_friend_set.  Lookups of KEY
 * and AAAA validate and return the RRset; a missing
 * name or type is a validated denial; a wrong anchor is bogus; an
 * unreachable zone times out; friend_remove forgets the zone; cancelled
 * lookups and lookups pending at stop never call back; the pending bound
 * holds.  A device D's stub answers an application's AAAA under the run-time
 * friend zone with AD and emits SP_EV_NAME_ANSWERED with the address (and
 * not for a bogus answer).  Every run ends with uv_loop_close() == 0.
 */
#include "dns_testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/keys.h"
#include "core/log.h"
#include "core/node.h"
#include "core/service.h"
#include "dns/dns.h"
#include "dns/dns_schema.h"
#include "dns/resolver.h"
#include "dns/stub_int.h"
#include "dns/zone_svc.h"

#define F_ORIGIN "friend.test."

static const char f_zone_text[] =
	"$ORIGIN friend.test.\n"
	"$TTL 3600\n"
	"@ IN SOA ns1.friend.test. hostmaster.friend.test. 2024010101 3600 900 604800 300\n"
	"@ IN NS ns1.friend.test.\n"
	"ns1 IN A 192.0.2.1\n"
	"nas IN AAAA fd00:f::2\n";

#define KEY_B64 "P+vk0kdxwJXo56NJAAHxhLQy49b4PzVDH+Ha9H+uVfs="

static char dir[64];
static char ds_good[512], ds_wrong[512];

static const struct sp_plane *const planes[] = { &dns_auth_plane, &dns_stub_plane };

static void write_file(const char *sub, const char *name, const char *text, mode_t mode)
{
	char path[192];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* The DS text of a KSK (private key text) for friend.test. */
static void ds_of(const char *ksk, char *out, size_t cap)
{
	struct dns_keyset ks;
	memset(&ks, 0, sizeof(ks));
	ldns_rdf *origin = ldns_dname_new_frm_str(F_ORIGIN);
	assert_int_equal(dns_keyset_load_text(&ks, origin, ksk, DNS_KEY_FLAGS_KSK), 0);
	ldns_rr_list *ds = dns_keyset_ds(&ks);
	assert_non_null(ds);
	char *s = ldns_rr2str(ldns_rr_list_rr(ds, 0));
	assert_non_null(s);
	assert_true(strlen(s) < cap);
	strcpy(out, s);
	out[strcspn(out, "\n")] = '\0';
	free(s);
	ldns_rr_list_deep_free(ds);
	dns_keyset_deinit(&ks);
	ldns_rdf_deep_free(origin);
}

/* A node's directory: its node key, and for a signpost its zone keys and zone file. */
static void make_node_dir(const char *sub, const char *zone_text, char *ds, size_t ds_cap)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s/node.key", dir, sub);
	struct sp_keypair kp;
	assert_int_equal(sp_key_generate(&kp), 0);
	assert_int_equal(sp_key_save(path, &kp), 0);
	sp_key_wipe(&kp);
	if (zone_text == NULL)
		return;
	char *ksk = t_keygen_text(LDNS_SIGN_ED25519), *zsk = t_keygen_text(LDNS_SIGN_ED25519);
	write_file(sub, "ksk.key", ksk, 0600);
	write_file(sub, "zsk.key", zsk, 0600);
	if (ds != NULL)
		ds_of(ksk, ds, ds_cap);
	free(ksk);
	free(zsk);
	write_file(sub, "zone.db", zone_text, 0644);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/sp-resolver-XXXXXX");
	if (mkdtemp(dir) == NULL || sodium_init() < 0)
		return -1;
	sp_log_init("test", SP_LOG_WARNING, true, false);
	static const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema };
	if (sp_config_schema_compose(frags, 2) != 0)
		return -1;
	make_node_dir("s", f_zone_text, ds_good, sizeof(ds_good));
	make_node_dir("r", t_zone_text, NULL, 0);
	make_node_dir("d", NULL, NULL, 0);
	/* A well-formed anchor of friend.test. that none of its keys matches. */
	char *other = t_keygen_text(LDNS_SIGN_ED25519);
	ds_of(other, ds_wrong, sizeof(ds_wrong));
	free(other);
	/* Shorter exchanges: an unreachable zone gives up in well under a second. */
	dns_stub__query_timeout.ms = 150;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Run the loop until cond holds, at most 5 s. */
#define RUN_UNTIL(loop, cond)                                                   \
	do {                                                                    \
		for (int i_ = 0; i_ < 500 && !(cond); i_++) {                   \
			uv_run((loop), UV_RUN_NOWAIT);                          \
			usleep(10000);                                          \
		}                                                               \
		assert_true(cond);                                              \
	} while (0)

static void run_a_while(uv_loop_t *loop, int turns)
{
	for (int i = 0; i < turns; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
}

struct test_node {
	struct sp_node node;
	char addr[32];
	int port, stub_port;
};

/* Start a node of role in dir/sub on a random loopback address (another if taken). */
static void node_start_with(struct test_node *t, uv_loop_t *loop, const char *sub,
			    const char *role, const char *zone, const char *extra)
{
	int rc = -1;
	for (int attempt = 0; attempt < 10 && rc != 0; attempt++) {
		snprintf(t->addr, sizeof(t->addr), "127.%u.%u.%u", 20 + randombytes_uniform(200),
			 1 + randombytes_uniform(250), 1 + randombytes_uniform(250));
		t->port = 20000 + (int)randombytes_uniform(12000);
		t->stub_port = t->port + 1;
		char text[1536], conf[160];
		snprintf(text, sizeof(text),
			 "[node]\nrole = %s\nzone = %s\nname = ns\nlog-level = warning\n"
			 "key-file = %s/%s/node.key\ncontrol-socket = %s/%s/ctl.sock\n"
			 "[dns]\nlisten = %s\nport = %d\nzone-file = %s/%s/zone.db\nzone-sync = no\n"
			 "ksk-file = %s/%s/ksk.key\nzsk-file = %s/%s/zsk.key\n"
			 "tsig-key-file = none.key\nrrl-rate = 0\n"
			 "stub-listen = %s\nstub-port = %d\nupstream = 127.0.0.1:9\n%s",
			 role, zone, dir, sub, dir, sub, t->addr, t->port, dir, sub, dir, sub, dir,
			 sub, t->addr, t->stub_port, extra);
		write_file(sub, "node.conf", text, 0644);
		snprintf(conf, sizeof(conf), "%s/%s/node.conf", dir, sub);
		struct sp_config *cfg;
		assert_int_equal(sp_config_load(conf, &cfg), 0);
		rc = sp_node_start(&t->node, loop, cfg, planes, 2);
		if (rc != 0) {
			for (int i = 0; i < 20; i++)
				uv_run(loop, UV_RUN_NOWAIT);
			sp_node_deinit(&t->node);
		}
	}
	assert_int_equal(rc, 0);
}

static void node_start(struct test_node *t, uv_loop_t *loop, const char *sub, const char *role,
		       const char *zone)
{
	node_start_with(t, loop, sub, role, zone, "");
}

static void node_stop(struct test_node *t, uv_loop_t *loop)
{
	sp_node_stop(&t->node);
	run_a_while(loop, 5);
	assert_null(dns_resolver_get(&t->node));
}

static union sp_endpoint endpoint_of(const char *addr, int port)
{
	union sp_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ep;
	assert_int_equal(uv_ip4_addr(addr, port, s4), 0);
	return ep;
}

/* Is addr:port free for UDP and TCP (nobody listens there)? */
static bool port_free(const char *addr, int port)
{
	union sp_endpoint ep = endpoint_of(addr, port);
	bool ok = true;
	int types[] = { SOCK_DGRAM, SOCK_STREAM };
	for (int i = 0; i < 2; i++) {
		int fd = socket(AF_INET, types[i], 0);
		assert_true(fd >= 0);
		if (bind(fd, (struct sockaddr *)&ep, sizeof(struct sockaddr_in)) != 0)
			ok = false;
		close(fd);
	}
	return ok;
}

/* ---- lookups ---- */

struct result {
	int calls, status;
	size_t count;
	ldns_rr *first;		/* a clone of the RRset's first record */
};

static void on_result(void *arg, int status, const ldns_rr_list *rrset)
{
	struct result *r = arg;
	r->calls++;
	r->status = status;
	r->count = rrset ? ldns_rr_list_rr_count(rrset) : 0;
	ldns_rr_free(r->first);
	r->first = rrset && r->count ? ldns_rr_clone(ldns_rr_list_rr(rrset, 0)) : NULL;
	if (status == 0)
		assert_non_null(rrset);
	else
		assert_null(rrset);
}

static void result_clear(struct result *r)
{
	ldns_rr_free(r->first);
	memset(r, 0, sizeof(*r));
}

/* One lookup to its end; returns its status (r holds the RRset's first record). */
static int lookup(uv_loop_t *loop, struct dns_resolver *res, const char *name, uint16_t type,
		  struct result *r)
{
	result_clear(r);
	assert_int_equal(dns_resolver_lookup(res, name, type, on_result, r), 0);
	assert_int_equal(r->calls, 0);	/* never inside the call */
	RUN_UNTIL(loop, r->calls == 1);
	return r->status;
}

static void assert_aaaa(const ldns_rr *rr, const char *owner, const char *addr)
{
	uint8_t want[16];
	assert_non_null(rr);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(rr), o), 0);
	ldns_rdf_deep_free(o);
	assert_int_equal(inet_pton(AF_INET6, addr, want), 1);
	assert_memory_equal(ldns_rdf_data(ldns_rr_rdf(rr, 0)), want, 16);
}

static void test_signpost_resolver(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct test_node s, r;
	struct result res = { 0 };
	assert_int_equal(uv_loop_init(&loop), 0);
	node_start(&s, &loop, "s", "signpost", F_ORIGIN);
	node_start(&r, &loop, "r", "signpost", T_ORIGIN);

	/* Both signposts provide the resolver, and neither opened a stub listener. */
	struct dns_resolver *rr = dns_resolver_get(&r.node);
	assert_non_null(rr);
	assert_non_null(dns_resolver_get(&s.node));
	assert_non_null(dns_zone_svc_get(&r.node));
	assert_true(port_free(r.addr, r.stub_port));
	assert_true(port_free(s.addr, s.stub_port));
	assert_false(port_free(s.addr, s.port));	/* the authoritative server is there */

	/* Unknown zones, and the own zone on a signpost, are refused at once. */
	assert_int_equal(dns_resolver_lookup(rr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, on_result,
					     &res), SP_ENOTFOUND);
	assert_int_equal(dns_resolver_lookup(rr, "ns1.example.test.", LDNS_RR_TYPE_A, on_result,
					     &res), SP_ENOTFOUND);
	assert_int_equal(dns_resolver_lookup(rr, "a..b", LDNS_RR_TYPE_A, on_result, &res), -EINVAL);
	assert_int_equal(dns_resolver_lookup(rr, "x.friend.test.", LDNS_RR_TYPE_A, NULL, NULL),
			 -EINVAL);

	/* Friends at run time: bad ones refused, the real one added. */
	union sp_endpoint sdns = endpoint_of(s.addr, s.port);
	assert_int_equal(dns_resolver_friend_set(rr, F_ORIGIN, "hello world", &sdns, 1),
			 SP_EMALFORMED);
	assert_int_equal(dns_resolver_friend_set(rr, "other.test.", ds_good, &sdns, 1),
			 SP_EMALFORMED);	/* the anchor's owner is another zone */
	assert_int_equal(dns_resolver_friend_set(rr, F_ORIGIN, ds_good, &sdns, 0), -EINVAL);
	assert_int_equal(dns_resolver_friend_set(rr, T_ORIGIN, "example.test. IN DS 1 15 2 00112233",
						 &sdns, 1), -EINVAL);	/* own zone */
	assert_int_equal(dns_resolver_friend_set(rr, F_ORIGIN, ds_good, &sdns, 1), 0);

	/* Run-time friends are not configuration: a reload keeps them. */
	assert_int_equal(sp_node_reload(&r.node), 0);
	assert_int_equal(rr->stub->n_friends, 1);

	/* A device's KEY, published by the friend's signpost at run time, signed. */
	ldns_rr *key = NULL;
	assert_int_equal(ldns_rr_new_frm_str(&key, "laptop.friend.test. 300 IN KEY 512 3 15 " KEY_B64,
					     300, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr *key_copy = ldns_rr_clone(key);
	assert_int_equal(dns_zone_svc_add(dns_zone_svc_get(&s.node), key, NULL), 0);

	assert_int_equal(lookup(&loop, rr, "laptop.friend.test.", LDNS_RR_TYPE_KEY, &res), 0);
	assert_int_equal(res.count, 1);
	assert_int_equal(ldns_rr_get_type(res.first), LDNS_RR_TYPE_KEY);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(res.first), ldns_rr_owner(key_copy)), 0);
	assert_true(ldns_rr_ttl(res.first) <= 300);
	assert_int_equal(ldns_rr_rd_count(res.first), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ldns_rdf_compare(ldns_rr_rdf(res.first, i), ldns_rr_rdf(key_copy, i)),
				 0);
	ldns_rr_free(key_copy);

	/* AAAA, by name (no final dot, any case). */
	assert_int_equal(lookup(&loop, rr, "nas.friend.test", LDNS_RR_TYPE_AAAA, &res), 0);
	assert_aaaa(res.first, "nas.friend.test.", "fd00:f::2");
	assert_int_equal(lookup(&loop, rr, "NAS.Friend.Test.", LDNS_RR_TYPE_AAAA, &res), 0);
	assert_aaaa(res.first, "nas.friend.test.", "fd00:f::2");
	struct dns_stub *stub = rr->stub;
	uint64_t ok_before = stub->n.lookups_ok;

	/* Validated denials: no such name (compact denial), no such type (NODATA). */
	assert_int_equal(lookup(&loop, rr, "nope.friend.test.", LDNS_RR_TYPE_AAAA, &res),
			 SP_ENOTFOUND);
	assert_int_equal(lookup(&loop, rr, "nas.friend.test.", LDNS_RR_TYPE_TXT, &res),
			 SP_ENOTFOUND);
	assert_int_equal(stub->n.lookups_ok, ok_before);

	/* Replacing with the same anchor and servers keeps the zone (and its keys). */
	struct dns_stub_zone *z = stub->friends[0];
	assert_non_null(z->keys);
	assert_int_equal(dns_resolver_friend_set(rr, F_ORIGIN, ds_good, &sdns, 1), 0);
	assert_ptr_equal(stub->friends[0], z);

	/* A wrong anchor: the DNSKEY set does not validate. */
	assert_int_equal(dns_resolver_friend_set(rr, F_ORIGIN, ds_wrong, &sdns, 1), 0);
	assert_int_equal(stub->n_friends, 1);
	assert_int_equal(lookup(&loop, rr, "laptop.friend.test.", LDNS_RR_TYPE_KEY, &res),
			 SP_EBOGUS);
	assert_int_equal(lookup(&loop, rr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, &res),
			 SP_EBOGUS);
	/* The right one again: fresh keys, validated. */
	assert_int_equal(dns_resolver_friend_set(rr, F_ORIGIN, ds_good, &sdns, 1), 0);
	assert_int_equal(lookup(&loop, rr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, &res), 0);

	/* A callback may start the next lookup (and sees its RRset only then). */
	struct result chained = { 0 };
	result_clear(&res);
	assert_int_equal(dns_resolver_lookup(rr, "laptop.friend.test.", LDNS_RR_TYPE_KEY, on_result,
					     &res), 0);
	RUN_UNTIL(&loop, res.calls == 1);
	assert_int_equal(dns_resolver_lookup(rr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, on_result,
					     &chained), 0);
	RUN_UNTIL(&loop, chained.calls == 1);
	assert_int_equal(chained.status, 0);
	result_clear(&chained);

	/* Removed: unknown again, at once. */
	assert_int_equal(dns_resolver_friend_remove(rr, F_ORIGIN), 0);
	assert_int_equal(dns_resolver_friend_remove(rr, F_ORIGIN), SP_ENOTFOUND);
	assert_int_equal(dns_resolver_lookup(rr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, on_result,
					     &res), SP_ENOTFOUND);

	/* A zone whose server does not answer: bounded retries, then -ETIMEDOUT. */
	union sp_endpoint dead = endpoint_of(s.addr, s.stub_port);
	assert_int_equal(dns_resolver_friend_set(rr, "gone.test.", "gone.test. IN DS 1 15 2 00112233",
						 &dead, 1), 0);
	assert_int_equal(lookup(&loop, rr, "x.gone.test.", LDNS_RR_TYPE_AAAA, &res), -ETIMEDOUT);

	/* The pending bound, and cancellation: cancelled callbacks never run. */
	struct result many = { 0 };
	for (int i = 0; i < DNS_RESOLVER_MAX_PENDING; i++)
		assert_int_equal(dns_resolver_lookup(rr, "x.gone.test.", LDNS_RR_TYPE_AAAA, on_result,
						     &many), 0);
	assert_int_equal(dns_resolver_lookup(rr, "x.gone.test.", LDNS_RR_TYPE_AAAA, on_result,
					     &many), SP_ELIMIT);
	assert_int_equal(dns_resolver_cancel(rr, on_result, &res), 0);
	assert_int_equal(dns_resolver_cancel(rr, on_result, &many), DNS_RESOLVER_MAX_PENDING);
	assert_int_equal(stub->n_lookups, 0);
	run_a_while(&loop, 100);	/* longer than the retries would take */
	assert_int_equal(many.calls, 0);

	/* A lookup pending when the plane stops is dropped without a call. */
	assert_int_equal(dns_resolver_lookup(rr, "x.gone.test.", LDNS_RR_TYPE_AAAA, on_result,
					     &many), 0);
	node_stop(&r, &loop);
	node_stop(&s, &loop);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(many.calls, 0);
	sp_node_deinit(&r.node);
	sp_node_deinit(&s.node);
	assert_int_equal(uv_loop_close(&loop), 0);
	result_clear(&res);
}

/* ---- the device's stub and SP_EV_NAME_ANSWERED ---- */

static int names_seen;
static struct sp_event last_name;

static void on_name(void *arg, const struct sp_event *ev)
{
	(void)arg;
	assert_int_equal(ev->type, SP_EV_NAME_ANSWERED);
	names_seen++;
	last_name = *ev;
}

/* Ask the device's stub like an application (UDP, DO) and wait for the reply. */
static ldns_pkt *ask_stub(uv_loop_t *loop, const struct test_node *d, const char *name,
			  ldns_rr_type type)
{
	uint8_t q[512], a[4096];
	size_t ql = t_query(q, sizeof(q), 0x4242, name, type, 1232, true, false);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	union sp_endpoint to = endpoint_of(d->addr, d->stub_port);
	assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&to, sizeof(struct sockaddr_in)),
			 (ssize_t)ql);
	ssize_t n = -1;
	RUN_UNTIL(loop, n > 0 || (n = recv(fd, a, sizeof(a), 0)) > 0);	/* cond runs twice */
	close(fd);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, a, (size_t)n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(p), 0x4242);
	return p;
}

static void test_device_name_answered(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct test_node s, d;
	uint8_t want[16];
	assert_int_equal(uv_loop_init(&loop), 0);
	node_start(&s, &loop, "s", "signpost", F_ORIGIN);
	node_start(&d, &loop, "d", "device", "home.test.");
	assert_false(port_free(d.addr, d.stub_port));	/* a device's stub listens */
	struct dns_resolver *dr = dns_resolver_get(&d.node);
	assert_non_null(dr);
	names_seen = 0;
	assert_true(sp_event_subscribe(&d.node, SP_EV_NAME_ANSWERED, on_name, NULL) > 0);

	/* The friend zone exists only at run time; the stub answers it validated. */
	union sp_endpoint sdns = endpoint_of(s.addr, s.port);
	assert_int_equal(dns_resolver_friend_set(dr, F_ORIGIN, ds_good, &sdns, 1), 0);
	ldns_pkt *p = ask_stub(&loop, &d, "nas.friend.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_ad(p));
	ldns_pkt_free(p);
	RUN_UNTIL(&loop, names_seen == 1);
	assert_string_equal(last_name.u.name.fqdn, "nas.friend.test.");
	assert_int_equal(inet_pton(AF_INET6, "fd00:f::2", want), 1);
	assert_memory_equal(last_name.u.name.addr, want, 16);

	/* In another case: the event names the record's owner, in lower case. */
	memset(&last_name, 0, sizeof(last_name));
	p = ask_stub(&loop, &d, "NAS.Friend.test.", LDNS_RR_TYPE_AAAA);
	assert_true(ldns_pkt_ad(p));
	ldns_pkt_free(p);
	RUN_UNTIL(&loop, names_seen == 2);
	assert_string_equal(last_name.u.name.fqdn, "nas.friend.test.");
	assert_memory_equal(last_name.u.name.addr, want, 16);

	/* No event for other types, denials, or a bogus answer (SERVFAIL). */
	p = ask_stub(&loop, &d, "ns1.friend.test.", LDNS_RR_TYPE_A);
	assert_true(ldns_pkt_ad(p));
	ldns_pkt_free(p);
	p = ask_stub(&loop, &d, "nope.friend.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	assert_int_equal(dns_resolver_friend_set(dr, F_ORIGIN, ds_wrong, &sdns, 1), 0);
	p = ask_stub(&loop, &d, "nas.friend.test.", LDNS_RR_TYPE_AAAA);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(p);
	run_a_while(&loop, 20);
	assert_int_equal(names_seen, 2);

	/* The device's resolver sees the zone too; removed, the stub forwards it upstream. */
	assert_int_equal(dns_resolver_friend_set(dr, F_ORIGIN, ds_good, &sdns, 1), 0);
	struct result res = { 0 };
	assert_int_equal(lookup(&loop, dr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, &res), 0);
	assert_aaaa(res.first, "nas.friend.test.", "fd00:f::2");
	result_clear(&res);
	assert_int_equal(dns_resolver_friend_remove(dr, F_ORIGIN), 0);
	uint64_t fwd = dr->stub->n.forwarded;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t q[512];
	size_t ql = t_query(q, sizeof(q), 0x4343, "nas.friend.test.", LDNS_RR_TYPE_AAAA, 1232, true,
			    false);
	union sp_endpoint to = endpoint_of(d.addr, d.stub_port);
	assert_int_equal(sendto(fd, q, ql, 0, (struct sockaddr *)&to, sizeof(struct sockaddr_in)),
			 (ssize_t)ql);
	RUN_UNTIL(&loop, dr->stub->n.forwarded == fwd + 1);
	close(fd);
	assert_int_equal(names_seen, 2);

	node_stop(&d, &loop);
	node_stop(&s, &loop);
	uv_run(&loop, UV_RUN_DEFAULT);
	sp_node_deinit(&d.node);
	sp_node_deinit(&s.node);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A device's own zone: asked of [signpost] dns, validated with [signpost] trust-anchor. */
static void test_device_own_zone(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct test_node s, d;
	struct result res = { 0 };
	char extra[768];
	assert_int_equal(uv_loop_init(&loop), 0);
	node_start(&s, &loop, "s", "signpost", F_ORIGIN);
	snprintf(extra, sizeof(extra), "[signpost]\ndns = %s:%d\ntrust-anchor = %s\n", s.addr,
		 s.port, ds_good);
	node_start_with(&d, &loop, "d", "device", F_ORIGIN, extra);
	struct dns_resolver *dr = dns_resolver_get(&d.node);
	assert_non_null(dr);
	assert_int_equal(lookup(&loop, dr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, &res), 0);
	assert_aaaa(res.first, "nas.friend.test.", "fd00:f::2");
	result_clear(&res);
	/* The own zone is not a friend: it cannot be replaced at run time. */
	union sp_endpoint sdns = endpoint_of(s.addr, s.port);
	assert_int_equal(dns_resolver_friend_set(dr, F_ORIGIN, ds_wrong, &sdns, 1), -EINVAL);
	assert_int_equal(dns_resolver_friend_remove(dr, F_ORIGIN), SP_ENOTFOUND);
	node_stop(&d, &loop);

	/* Without a trust anchor nothing validates: the resolver refuses at once. */
	struct test_node d2;
	snprintf(extra, sizeof(extra), "[signpost]\ndns = %s:%d\n", s.addr, s.port);
	node_start_with(&d2, &loop, "d", "device", F_ORIGIN, extra);
	dr = dns_resolver_get(&d2.node);
	assert_non_null(dr);
	assert_int_equal(dns_resolver_lookup(dr, "nas.friend.test.", LDNS_RR_TYPE_AAAA, on_result,
					     &res), SP_EAUTH);
	node_stop(&d2, &loop);
	node_stop(&s, &loop);
	uv_run(&loop, UV_RUN_DEFAULT);
	sp_node_deinit(&d.node);
	sp_node_deinit(&d2.node);
	sp_node_deinit(&s.node);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signpost_resolver),
		cmocka_unit_test(test_device_name_answered),
		cmocka_unit_test(test_device_own_zone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
