/* test_service.c - services and events between planes (service.h), and key custody. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/keystore.h"
#include "core/log.h"
#include "core/node.h"
#include "core/service.h"

struct rec {
	int calls;
	struct sp_event last;
	bool emitting;		/* set while the emitter's stack is live */
	bool ran_inside_emit;
	struct sp_node *node;
	int sub_to_drop;
};

static void on_event(void *arg, const struct sp_event *ev)
{
	struct rec *r = arg;
	r->calls++;
	r->last = *ev;
	if (r->emitting)
		r->ran_inside_emit = true;
	if (r->sub_to_drop)
		sp_event_unsubscribe(r->node, r->sub_to_drop);
}

static struct sp_node *node_new(uv_loop_t *loop)
{
	struct sp_node *n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->loop = loop;
	assert_int_equal(sp__services_init(n), 0);
	return n;
}

static void test_services(void **state)
{
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sp_node *n = node_new(&loop);
	int a, b;
	assert_null(sp_service_get(n, SP_SVC_TRANSPORT));
	assert_int_equal(sp_service_provide(n, SP_SVC_TRANSPORT, &a), 0);
	assert_ptr_equal(sp_service_get(n, SP_SVC_TRANSPORT), &a);
	/* One provider per service: a second is an error, not a silent replace. */
	assert_int_equal(sp_service_provide(n, SP_SVC_TRANSPORT, &b), -EEXIST);
	assert_ptr_equal(sp_service_get(n, SP_SVC_TRANSPORT), &a);
	/* Only the provider can withdraw it. */
	sp_service_withdraw(n, SP_SVC_TRANSPORT, &b);
	assert_ptr_equal(sp_service_get(n, SP_SVC_TRANSPORT), &a);
	sp_service_withdraw(n, SP_SVC_TRANSPORT, &a);
	assert_null(sp_service_get(n, SP_SVC_TRANSPORT));
	assert_int_equal(sp_service_provide(n, SP_SVC_MAX, &a), -EINVAL);
	sp__services_close(n);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(n);
}

static void test_events(void **state)
{
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct sp_node *n = node_new(&loop);
	struct rec up = { .node = n }, port = { .node = n }, port2 = { .node = n };
	int s_up = sp_event_subscribe(n, SP_EV_PEER_UP, on_event, &up);
	int s_port = sp_event_subscribe(n, SP_EV_PORT_CHANGED, on_event, &port);
	int s_port2 = sp_event_subscribe(n, SP_EV_PORT_CHANGED, on_event, &port2);
	assert_true(s_up > 0 && s_port > 0 && s_port2 > 0);

	struct sp_event ev = { .type = SP_EV_PORT_CHANGED };
	ev.u.port.old_port = 51820;
	ev.u.port.new_port = 40000;
	port.emitting = port2.emitting = true;
	sp_event_emit(n, &ev);
	/* Never delivered inside the emitter's stack. */
	assert_int_equal(port.calls, 0);
	port.emitting = port2.emitting = false;
	/* The second subscriber drops itself on delivery. */
	port2.sub_to_drop = s_port2;
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(port.calls, 1);
	assert_int_equal(port2.calls, 1);
	assert_false(port.ran_inside_emit);
	assert_int_equal(port.last.u.port.new_port, 40000);
	assert_int_equal(up.calls, 0);	/* other types are not delivered */

	sp_event_emit(n, &ev);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(port.calls, 2);
	assert_int_equal(port2.calls, 1);	/* unsubscribed */

	/* A bounded queue: past SP_EVENT_QUEUE_MAX waiting events, the rest are counted and dropped. */
	for (int i = 0; i < SP_EVENT_QUEUE_MAX + 10; i++)
		sp_event_emit(n, &ev);
	assert_int_equal(n->events.dropped, 10);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(port.calls, 2 + SP_EVENT_QUEUE_MAX);

	/* Subscriptions are bounded too. */
	int ids[SP_EVENT_SUBS_MAX];
	int got = 0, rc;
	while ((rc = sp_event_subscribe(n, SP_EV_ZONE_CHANGED, on_event, &up)) > 0)
		ids[got++] = rc;
	assert_int_equal(rc, SP_ELIMIT);
	assert_int_equal(got, SP_EVENT_SUBS_MAX - 2);
	for (int i = 0; i < got; i++)
		sp_event_unsubscribe(n, ids[i]);

	sp__services_close(n);
	sp_event_emit(n, &ev);	/* after close: ignored, no use of the closed timer */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	free(n);
}

static void test_key_custody(void **state)
{
	struct sp_keypair kp, copy;
	assert_int_equal(sp_key_generate(&kp), 0);
	copy = kp;
	struct sp_keys *k;
	assert_int_equal(sp_keys_from_pair(&kp, &k), 0);
	/* The caller's copy is wiped: custody holds the only one. */
	uint8_t zero[64] = { 0 };
	assert_memory_equal(kp.ed_sk, zero, 64);
	assert_memory_equal(sp_keys_ed_public(k), copy.ed_pk, 32);
	assert_memory_equal(sp_keys_x_public(k), copy.x_pk, 32);

	/* Signatures verify with the public key. */
	const uint8_t msg[] = "register laptop";
	uint8_t sig[SP_SIG_LEN];
	assert_int_equal(sp_keys_sign(k, msg, sizeof(msg), sig), 0);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), copy.ed_pk), 0);

	/* Diffie-Hellman agrees with the peer's side. */
	uint8_t peer_pk[32], peer_sk[32], ours[32], theirs[32];
	crypto_box_keypair(peer_pk, peer_sk);
	assert_int_equal(sp_keys_dh(k, peer_pk, ours), 0);
	assert_int_equal(crypto_scalarmult(theirs, peer_sk, copy.x_pk), 0);
	assert_memory_equal(ours, theirs, 32);
	/* A low-order point is refused. */
	uint8_t low[32] = { 0 };
	assert_int_equal(sp_keys_dh(k, low, ours), SP_ECRYPTO);

	/* Seal to the peer; the peer opens with our public key; a flipped bit is refused. */
	uint8_t nonce[SP_BOX_NONCE_LEN], box[64 + SP_BOX_MAC_LEN], plain[64];
	randombytes_buf(nonce, sizeof(nonce));
	assert_int_equal(sp_keys_seal(k, peer_pk, nonce, msg, sizeof(msg), box), 0);
	assert_int_equal(crypto_box_open_easy(plain, box, sizeof(msg) + SP_BOX_MAC_LEN, nonce,
					      copy.x_pk, peer_sk), 0);
	assert_memory_equal(plain, msg, sizeof(msg));
	uint8_t reply[16 + SP_BOX_MAC_LEN];
	assert_int_equal(crypto_box_easy(reply, (const uint8_t *)"pong pong pong!", 16, nonce,
					 copy.x_pk, peer_sk), 0);
	assert_int_equal(sp_keys_open(k, peer_pk, nonce, reply, sizeof(reply), plain), 0);
	assert_memory_equal(plain, "pong pong pong!", 16);
	reply[3] ^= 1;
	assert_int_equal(sp_keys_open(k, peer_pk, nonce, reply, sizeof(reply), plain), SP_EAUTH);
	assert_int_equal(sp_keys_open(k, peer_pk, nonce, reply, 3, plain), SP_EMALFORMED);

	/* The UAPI's identity check. */
	assert_true(sp_keys_is_wireguard_private(k, copy.x_sk));
	assert_false(sp_keys_is_wireguard_private(k, peer_sk));
	sp_key_wipe(&copy);
	sp_keys_free(k);
	sp_keys_free(NULL);
}

int main(void)
{
	sp_log_init("test", SP_LOG_ERR, true, false);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_key_custody),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
