/*
 * test_peers.c - the peer service (peers.c) on a device without sockets:
 * owners and their rules (who may change and remove whose peer, config
 * taking over, what replace_peers removes), per-owner counts, tun_whois by
 * overlay address through the allowed IPs, and the PEER_UP / PEER_DOWN
 * events delivered through the node's queue (in pairs, with key and owner).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sodium.h>

#include "core/node.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"

struct fx {
	uv_loop_t loop;
	struct sp_node node;
	struct tun_device dev;
	struct tun_peers ps;
	uint8_t sk[32];
	int ups, downs;
	struct sp_event last;
};

static void on_event(void *arg, const struct sp_event *ev)
{
	struct fx *f = arg;
	if (ev->type == SP_EV_PEER_UP)
		f->ups++;
	else if (ev->type == SP_EV_PEER_DOWN)
		f->downs++;
	f->last = *ev;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->node.loop = &f->loop;
	assert_int_equal(sp__services_init(&f->node), 0);
	f->dev.loop = &f->loop;
	f->dev.index = calloc(TUN_INDEX_SLOTS, sizeof(*f->dev.index));
	assert_non_null(f->dev.index);
	tun_aip_init(&f->dev.aip);
	memset(f->sk, 0x42, sizeof(f->sk));
	assert_int_equal(tun_noise_static_init_raw(&f->dev.st, f->sk), 0);
	assert_int_equal(tun_peers_init(&f->ps, &f->dev, &f->node), 0);
	assert_true(sp_event_subscribe(&f->node, SP_EV_PEER_UP, on_event, f) > 0);
	assert_true(sp_event_subscribe(&f->node, SP_EV_PEER_DOWN, on_event, f) > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tun_peers_deinit(&f->ps);
	while (f->dev.peers)
		tun_peer_remove(f->dev.peers);
	sp__services_close(&f->node);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	/* every peer's memory went in its close callbacks, and no handle is left */
	assert_int_equal(f->dev.open_handles, 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tun_aip_deinit(&f->dev.aip);
	free(f->dev.index);
	free(f);
	return 0;
}

static void pk_of(uint8_t n, uint8_t pk[32])
{
	memset(pk, 0, 32);
	pk[0] = n;
	pk[31] = 0x40;
}

static struct tun_peer_spec spec_of(uint8_t n, const struct tun_peer_aip *aips, size_t n_aips)
{
	struct tun_peer_spec s;
	memset(&s, 0, sizeof(s));
	pk_of(n, s.public_key);
	s.flags = TUN_PEER_REPLACE_AIPS;
	s.aips = aips;
	s.n_aips = n_aips;
	return s;
}

static struct tun_peer_aip aip6(const char *text, uint8_t cidr)
{
	struct tun_peer_aip a;
	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(AF_INET6, text, a.addr), 1);
	a.family = AF_INET6;
	a.cidr = cidr;
	return a;
}

static const uint8_t *addr6(const char *text)
{
	static uint8_t a[16];
	assert_int_equal(inet_pton(AF_INET6, text, a), 1);
	return a;
}

static void run_events(struct fx *f)
{
	/* events are delivered on a later loop turn, never inside the emitter */
	(void)uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void test_owner_rules(void **state)
{
	struct fx *f = *state;
	uint8_t pk[32];
	struct tun_peer *p = NULL;

	struct tun_peer_spec s = spec_of(1, NULL, 0);
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_CONTROL, &s, &p), 0);
	assert_non_null(p);
	assert_int_equal(tun_peer_owner(p), SP_OWNER_CONTROL);
	/* another run-time owner may neither change nor remove it */
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_NAT, &s, NULL), -EBUSY);
	pk_of(1, pk);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_NAT, pk), -EBUSY);
	/* the configuration cannot remove it either (a reload only removes its own) */
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_CONFIG, pk), -EBUSY);
	/* the UAPI may change it and keeps the owner */
	s.flags |= TUN_PEER_SET_KEEPALIVE;
	s.keepalive = 25;
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_UAPI, &s, &p), 0);
	assert_int_equal(tun_peer_owner(p), SP_OWNER_CONTROL);
	assert_int_equal(p->keepalive, 25);
	/* a [peer] section takes it over */
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_CONFIG, &s, &p), 0);
	assert_int_equal(tun_peer_owner(p), SP_OWNER_CONFIG);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_CONTROL, pk), -EBUSY);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_CONFIG), 1);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_CONTROL), 0);

	/* our own key and a bad owner are refused; update-only creates nothing */
	struct tun_peer_spec own = spec_of(0, NULL, 0);
	memcpy(own.public_key, f->dev.st.public_key, 32);
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_UAPI, &own, NULL), -EINVAL);
	struct tun_peer_spec s2 = spec_of(2, NULL, 0);
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_MAX, &s2, NULL), -EINVAL);
	s2.flags |= TUN_PEER_UPDATE_ONLY;
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_UAPI, &s2, &p), 0);
	assert_null(p);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_MAX), 1);

	/* one of each owner; replace_peers removes config and uapi only */
	for (int o = 0; o < SP_OWNER_MAX; o++) {
		struct tun_peer_spec so = spec_of((uint8_t)(10 + o), NULL, 0);
		assert_int_equal(tun_peers_set(&f->ps, (enum sp_owner)o, &so, NULL), 0);
	}
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_CONFIG), 2);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_UAPI), 1);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_MAX), 6);
	tun_peers_remove_replaceable(&f->ps);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_CONFIG), 0);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_UAPI), 0);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_CONTROL), 1);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_NAT), 1);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_TEST), 1);
	/* an owner removes its own; an unknown key is SP_ENOTFOUND */
	pk_of(10 + SP_OWNER_NAT, pk);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_NAT, pk), 0);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_NAT, pk), SP_ENOTFOUND);
	/* the UAPI removes anyone's */
	pk_of(10 + SP_OWNER_TEST, pk);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_UAPI, pk), 0);
	assert_int_equal(tun_peers_count(&f->ps, SP_OWNER_MAX), 1);
	assert_ptr_equal(tun_peers_get(&f->node), &f->ps);
}

static void test_whois(void **state)
{
	struct fx *f = *state;
	struct tun_peer_aip a1[] = { aip6("fd00:1::", 48), aip6("fd00:1:0:5::", 64) };
	struct tun_peer_aip a2[] = { aip6("fd00:1:0:5::7", 128) };
	struct tun_peer_aip a3[1];
	memset(a3, 0, sizeof(a3));
	a3[0].family = AF_INET;
	a3[0].cidr = 24;
	inet_pton(AF_INET, "10.9.8.0", a3[0].addr);
	struct tun_peer_spec s1 = spec_of(1, a1, 2), s2 = spec_of(2, a2, 1), s3 = spec_of(3, a3, 1);
	struct tun_peer *p1, *p2, *p3;
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_CONFIG, &s1, &p1), 0);
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_CONTROL, &s2, &p2), 0);
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_UAPI, &s3, &p3), 0);

	assert_ptr_equal(tun_whois(&f->ps, addr6("fd00:1::1")), p1);
	assert_ptr_equal(tun_whois(&f->ps, addr6("fd00:1:0:5::8")), p1);
	/* the longest prefix wins, and the key names the peer */
	assert_ptr_equal(tun_whois(&f->ps, addr6("fd00:1:0:5::7")), p2);
	assert_memory_equal(tun_peer_public_key(tun_whois(&f->ps, addr6("fd00:1:0:5::7"))),
			    s2.public_key, 32);
	assert_null(tun_whois(&f->ps, addr6("fd00:2::1")));
	/* IPv4-mapped asks the IPv4 table */
	assert_ptr_equal(tun_whois(&f->ps, addr6("::ffff:10.9.8.77")), p3);
	assert_null(tun_whois(&f->ps, addr6("::ffff:10.9.9.1")));

	/* replacing p1's allowed IPs moves the answer; removing p2 drops its /128 */
	struct tun_peer_aip a1b[] = { aip6("fd00:3::", 48) };
	s1 = spec_of(1, a1b, 1);
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_CONFIG, &s1, NULL), 0);
	assert_null(tun_whois(&f->ps, addr6("fd00:1::1")));
	assert_ptr_equal(tun_whois(&f->ps, addr6("fd00:3::1")), p1);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_CONTROL, s2.public_key), 0);
	assert_null(tun_whois(&f->ps, addr6("fd00:1:0:5::7")));
	/* an incremental removal (UAPI allowed_ip=-PREFIX) */
	struct tun_peer_aip rm = a3[0];
	rm.remove = true;
	s3 = spec_of(3, &rm, 1);
	s3.flags = 0;
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_UAPI, &s3, NULL), 0);
	assert_null(tun_whois(&f->ps, addr6("::ffff:10.9.8.77")));
}

static void test_events(void **state)
{
	struct fx *f = *state;
	struct tun_peer_spec s = spec_of(7, NULL, 0);
	struct tun_peer *p;
	assert_int_equal(tun_peers_set(&f->ps, SP_OWNER_TEST, &s, &p), 0);
	run_events(f);
	assert_int_equal(f->ups + f->downs, 0);	/* a new peer has no session yet */
	assert_false(tun_peer_is_up(p));

	tun__peer_session_up(p);	/* what timers.c calls when a handshake completes */
	assert_true(tun_peer_is_up(p));
	assert_int_equal(f->ups, 0);	/* not inside the emitter's stack */
	run_events(f);
	assert_int_equal(f->ups, 1);
	assert_int_equal(f->last.u.peer.owner, SP_OWNER_TEST);
	assert_memory_equal(f->last.u.peer.public_key, s.public_key, 32);
	tun__peer_session_up(p);	/* a rekey: no second UP */
	run_events(f);
	assert_int_equal(f->ups, 1);

	tun_peer_zero_keys(p);		/* t_zero_keys fired */
	run_events(f);
	assert_int_equal(f->downs, 1);
	assert_false(tun_peer_is_up(p));
	tun_peer_zero_keys(p);		/* DOWN only after UP */
	run_events(f);
	assert_int_equal(f->downs, 1);

	tun__peer_session_up(p);
	assert_int_equal(tun_peers_remove(&f->ps, SP_OWNER_TEST, s.public_key), 0);
	run_events(f);
	assert_int_equal(f->ups, 2);
	assert_int_equal(f->downs, 2);	/* removed while up */
	assert_int_equal(f->last.type, SP_EV_PEER_DOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_owner_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whois, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
