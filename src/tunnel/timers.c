/*
 * timers.c - every WireGuard timer of a peer (loop code), as in WireGuard's
 * timers.c.  The periods are named intervals ("tunnel.*") so that tests can
 * shorten them with SIGNPOST_INTERVALS; they are never longer than the
 * protocol's constants in messages.h.
 *
 *   t_retransmit     handshake retry: rekey-timeout + jitter (up to 333 ms)
 *                    after each initiation; after rekey-attempt /
 *                    rekey-timeout attempts we give up, purge the staged
 *                    packets and arm t_zero_keys.
 *   t_keepalive      send an empty keepalive if we received data and sent
 *                    nothing back for tunnel.keepalive.
 *   t_new_handshake  start a handshake if we sent data and received nothing
 *                    for keepalive + rekey-timeout (+ jitter): the peer is gone.
 *   t_zero_keys      wipe all keys after 3 * reject-after without a new session.
 *   t_persistent     persistent keepalive every N seconds (per peer, config or UAPI)
 *                    after any authenticated packet in either direction.
 *
 * Not peer timers, in the same list: tunnel.pending-expiry and
 * tunnel.no-peer-event (nopeer.c), checked when the table of packets
 * waiting for a peer is touched.
 *
 * Rekey after time (tunnel.rekey-after) and reject after time
 * (tunnel.reject-after) are checked on the send and receive paths
 * (tun__kp_should_rekey_send / _recv, tun__kp_usable), as WireGuard does:
 * those ask the pure, tested rules of transport.c with these intervals.
 */
#include <sodium.h>

#include "core/log.h"
#include "tunnel/device.h"
#include "tunnel/peers.h"

struct sp_interval tun_iv_rekey_after = { "tunnel.rekey-after", 120000,
	"WireGuard REKEY_AFTER_TIME: the initiator starts a new handshake on a key this old" };
struct sp_interval tun_iv_reject_after = { "tunnel.reject-after", 180000,
	"WireGuard REJECT_AFTER_TIME: a key this old is never used again" };
struct sp_interval tun_iv_rekey_attempt = { "tunnel.rekey-attempt", 90000,
	"WireGuard REKEY_ATTEMPT_TIME: stop retrying a handshake after this long" };
struct sp_interval tun_iv_rekey_timeout = { "tunnel.rekey-timeout", 5000,
	"WireGuard REKEY_TIMEOUT: retransmit an unanswered initiation after this" };
struct sp_interval tun_iv_keepalive = { "tunnel.keepalive", 10000,
	"WireGuard KEEPALIVE_TIMEOUT: answer received data with a keepalive after this" };
struct sp_interval tun_iv_zero_keys = { "tunnel.zero-keys", 540000,
	"WireGuard: keys are wiped after 3 * REJECT_AFTER_TIME without a new session" };

struct sp_interval *const tun_intervals[TUN_N_INTERVALS] = {
	&tun_iv_rekey_after, &tun_iv_reject_after, &tun_iv_rekey_attempt,
	&tun_iv_rekey_timeout, &tun_iv_keepalive, &tun_iv_zero_keys,
	&tun_iv_pending_expiry, &tun_iv_no_peer_event,
};

static uint64_t ns(const struct sp_interval *iv, uint64_t protocol_max)
{
	uint64_t v = iv->ms * TUN_MSEC;
	return v < protocol_max ? v : protocol_max;
}

/* The key-age limits of the running tunnel: the intervals, capped at the protocol's. */
static struct tun_noise_ages ages(void)
{
	struct tun_noise_ages a = {
		.rekey_after_time = ns(&tun_iv_rekey_after, TUN_REKEY_AFTER_TIME),
		.reject_after_time = ns(&tun_iv_reject_after, TUN_REJECT_AFTER_TIME),
		.keepalive_timeout = ns(&tun_iv_keepalive, TUN_KEEPALIVE_TIMEOUT),
		.rekey_timeout = ns(&tun_iv_rekey_timeout, TUN_REKEY_TIMEOUT),
	};
	return a;
}

/* The send and receive paths ask the pure rules (transport.c), with these ages. */
bool tun__kp_usable(const struct tun_noise_keypair *kp, uint64_t now)
{
	struct tun_noise_ages a = ages();
	return kp && tun_noise_keypair_usable(kp, now, &a);
}

bool tun__kp_should_rekey_send(const struct tun_noise_keypair *kp, uint64_t now)
{
	struct tun_noise_ages a = ages();
	return kp && tun_noise_keypair_should_rekey_send(kp, now, &a);
}

bool tun__kp_should_rekey_recv(const struct tun_noise_keypair *kp, uint64_t now)
{
	struct tun_noise_ages a = ages();
	return kp && tun_noise_keypair_should_rekey_recv(kp, now, &a);
}

static uint64_t ms_of(const struct sp_interval *iv, uint64_t protocol_max)
{
	return ns(iv, protocol_max) / TUN_MSEC;
}

static uint64_t jitter_ms(void)
{
	/* up to a third of a second, or a fifteenth of a shortened rekey-timeout */
	uint64_t max = TUN_REKEY_TIMEOUT_JITTER_MAX / TUN_MSEC;
	uint64_t rt = ms_of(&tun_iv_rekey_timeout, TUN_REKEY_TIMEOUT);
	if (max > rt / 15 + 1)
		max = rt / 15 + 1;
	return randombytes_uniform((uint32_t)max);
}

static struct tun_peer *peer_of(uv_timer_t *t)
{
	return t->data;
}

static void on_retransmit(uv_timer_t *t)
{
	struct tun_peer *p = peer_of(t);
	uint64_t max = ms_of(&tun_iv_rekey_attempt, TUN_REKEY_ATTEMPT_TIME) /
		       (ms_of(&tun_iv_rekey_timeout, TUN_REKEY_TIMEOUT) ?: 1);
	if (p->handshake_attempts > max) {
		sp_info("tunnel: handshake did not complete after %u attempts, giving up",
			p->handshake_attempts + 1);
		uv_timer_stop(&p->t_keepalive);
		tun_peer_purge_staged(p);
		if (!uv_is_active((uv_handle_t *)&p->t_zero_keys))
			tun_timers_session_derived(p);
		return;
	}
	p->handshake_attempts++;
	p->dev->stats.hs_retries++;
	sp_debug("tunnel: handshake not answered, retrying (attempt %u)", p->handshake_attempts + 1);
	tun_send_initiation(p, true);
}

static void on_keepalive(uv_timer_t *t)
{
	struct tun_peer *p = peer_of(t);
	tun_send_keepalive(p);
	if (p->need_another_keepalive) {
		p->need_another_keepalive = false;
		uv_timer_start(&p->t_keepalive, on_keepalive,
			       ms_of(&tun_iv_keepalive, TUN_KEEPALIVE_TIMEOUT), 0);
	}
}

static void on_new_handshake(uv_timer_t *t)
{
	struct tun_peer *p = peer_of(t);
	sp_debug("tunnel: no reply to sent data, starting a new handshake");
	tun_send_initiation(p, false);
}

static void on_zero_keys(uv_timer_t *t)
{
	tun_peer_zero_keys(peer_of(t));
}

static void on_persistent(uv_timer_t *t)
{
	struct tun_peer *p = peer_of(t);
	if (p->keepalive)
		tun_send_keepalive(p);
}

int tun_timers_init(struct tun_peer *p)
{
	uv_timer_t *ts[] = { &p->t_retransmit, &p->t_keepalive, &p->t_new_handshake,
			     &p->t_zero_keys, &p->t_persistent };
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		int rc = uv_timer_init(p->dev->loop, ts[i]);
		if (rc)
			return sp_from_uv(rc);	/* uv_timer_init cannot fail on Linux */
		ts[i]->data = p;
		p->open_handles++;
	}
	return 0;
}

void tun_timers_close(struct tun_peer *p, uv_close_cb close_cb)
{
	uv_timer_t *ts[] = { &p->t_retransmit, &p->t_keepalive, &p->t_new_handshake,
			     &p->t_zero_keys, &p->t_persistent };
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		uv_timer_stop(ts[i]);
		uv_close((uv_handle_t *)ts[i], close_cb);
	}
}

void tun_timers_data_sent(struct tun_peer *p)
{
	if (!uv_is_active((uv_handle_t *)&p->t_new_handshake))
		uv_timer_start(&p->t_new_handshake, on_new_handshake,
			       ms_of(&tun_iv_keepalive, TUN_KEEPALIVE_TIMEOUT) +
				       ms_of(&tun_iv_rekey_timeout, TUN_REKEY_TIMEOUT) + jitter_ms(),
			       0);
}

void tun_timers_data_received(struct tun_peer *p)
{
	if (!uv_is_active((uv_handle_t *)&p->t_keepalive))
		uv_timer_start(&p->t_keepalive, on_keepalive,
			       ms_of(&tun_iv_keepalive, TUN_KEEPALIVE_TIMEOUT), 0);
	else
		p->need_another_keepalive = true;
}

void tun_timers_any_authenticated_packet_sent(struct tun_peer *p)
{
	uv_timer_stop(&p->t_keepalive);
}

void tun_timers_any_authenticated_packet_received(struct tun_peer *p)
{
	uv_timer_stop(&p->t_new_handshake);
}

void tun_timers_handshake_initiated(struct tun_peer *p)
{
	uv_timer_start(&p->t_retransmit, on_retransmit,
		       ms_of(&tun_iv_rekey_timeout, TUN_REKEY_TIMEOUT) + jitter_ms(), 0);
}

void tun_timers_handshake_complete(struct tun_peer *p)
{
	uv_timer_stop(&p->t_retransmit);
	p->handshake_attempts = 0;
	tun__peer_session_up(p);
}

void tun_timers_session_derived(struct tun_peer *p)
{
	uv_timer_start(&p->t_zero_keys, on_zero_keys,
		       ms_of(&tun_iv_zero_keys, 3 * TUN_REJECT_AFTER_TIME), 0);
}

void tun_timers_any_authenticated_packet_traversal(struct tun_peer *p)
{
	if (p->keepalive)
		uv_timer_start(&p->t_persistent, on_persistent, (uint64_t)p->keepalive * 1000, 0);
}
