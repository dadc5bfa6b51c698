/*
 * test_msg.c - the control wire format v1: every type round trips (body
 * and sealed datagram); any flipped byte, a wrong key, a swapped inner
 * type, non-zero padding, any truncation and every over-long count or
 * string are refused; min_len padding; the box key equals
 * crypto_box_beforenm; replies to unknown senders stay under CP_PAD_MIN.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "control/cp_msg.h"
#include "control/cp_wire.h"
#include "cp_samples.h"

static uint8_t key[CP_KEY_LEN], sender[CP_KEY_LEN];

static int setup(void **state)
{
	memset(key, 0x4b, sizeof(key));
	memset(sender, 0x53, sizeof(sender));
	return 0;
}

static void seal(const struct cp_msg *m, size_t min_len, uint8_t *out, size_t *len)
{
	assert_int_equal(cp_msg_seal(key, sender, m, min_len, out, CP_MSG_MAX, len), 0);
}

static void test_round_trip_every_type(void **state)
{
	for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
		struct cp_msg m, got;
		uint8_t body[CP_MSG_MAX], dgram[CP_MSG_MAX], ed[CP_KEY_LEN];
		size_t blen, dlen;
		enum cp_type pt;

		cps_sample((enum cp_type)t, &m);
		assert_int_equal(cp_body_encode(&m, body, sizeof(body), &blen), 0);
		assert_int_equal(cp_body_decode((enum cp_type)t, body, blen, &got), 0);
		got.counter = m.counter;
		assert_memory_equal(&m, &got, cp_msg_used(&m));	/* the rest is not read */

		seal(&m, 0, dgram, &dlen);
		assert_int_equal(dlen, CP_MSG_MIN + blen);
		assert_int_equal(cp_msg_peek(dgram, dlen, ed, &pt), 0);
		assert_int_equal(pt, t);
		assert_memory_equal(ed, sender, CP_KEY_LEN);
		assert_int_equal(cp_msg_open(key, dgram, dlen, &got), 0);
		assert_memory_equal(&m, &got, cp_msg_used(&m));	/* the rest is not read */
		assert_string_not_equal(cp_type_str((enum cp_type)t), "unknown");
	}
}

static void test_empty_and_none_fields(void **state)
{
	struct cp_msg m, got;
	uint8_t d[CP_MSG_MAX];
	size_t n;

	/* REGISTER of an enrolled device: no token, no endpoint, and a
	 * refusal REGISTER_ACK with no observed address. */
	memset(&m, 0, sizeof(m));
	m.type = CP_REGISTER;
	strcpy(m.u.reg.name, "nas");
	seal(&m, 0, d, &n);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	assert_false(got.u.reg.has_token);
	assert_int_equal(got.u.reg.n_ep, 0);
	assert_memory_equal(&m, &got, cp_msg_used(&m));	/* the rest is not read */

	memset(&m, 0, sizeof(m));
	m.type = CP_REGISTER_ACK;
	m.u.reg_ack.status = CP_E_TOKEN_REUSED;
	seal(&m, 0, d, &n);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	assert_int_equal(got.u.reg_ack.observed.sa.sa_family, AF_UNSPEC);
	assert_int_equal(got.u.reg_ack.status, CP_E_TOKEN_REUSED);

	memset(&m, 0, sizeof(m));
	m.type = CP_FRIENDS;
	m.u.friends.parts = 1;
	seal(&m, 0, d, &n);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	assert_memory_equal(&m, &got, cp_msg_used(&m));	/* the rest is not read */
}

static void test_every_flipped_byte_refused(void **state)
{
	for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
		struct cp_msg m, got;
		uint8_t d[CP_MSG_MAX];
		size_t n;

		cps_sample((enum cp_type)t, &m);
		seal(&m, t == CP_PING ? CP_PAD_MIN : 0, d, &n);
		for (size_t i = 0; i < n; i++) {
			static const uint8_t flips[] = { 0x01, 0x80, 0xff };
			for (size_t f = 0; f < sizeof(flips); f++) {
				d[i] ^= flips[f];
				int err = cp_msg_open(key, d, n, &got);
				if (err == 0)
					fail_msg("type %d: byte %zu ^ 0x%02x accepted", t, i, flips[f]);
				d[i] ^= flips[f];
			}
		}
		assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	}
}

static void test_sender_key_is_authenticated(void **state)
{
	/* The sign bit of an Ed25519 key does not change its X25519 form, so
	 * only the header-bound nonce stops this. */
	struct cp_msg m, got;
	uint8_t d[CP_MSG_MAX];
	size_t n;

	cps_sample(CP_PING, &m);
	seal(&m, 0, d, &n);
	d[8 + 31] ^= 0x80;
	assert_int_equal(cp_msg_open(key, d, n, &got), SP_EAUTH);
}

static void test_wrong_key_refused(void **state)
{
	struct cp_msg m, got;
	uint8_t d[CP_MSG_MAX], other[CP_KEY_LEN];
	size_t n;

	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
		cps_sample((enum cp_type)t, &m);
		assert_int_equal(cp_msg_seal(other, sender, &m, 0, d, sizeof(d), &n), 0);
		assert_int_equal(cp_msg_open(key, d, n, &got), SP_EAUTH);
		/* got is zeroed: no half-decoded secret left behind. */
		struct cp_msg zero;
		memset(&zero, 0, sizeof(zero));
		assert_memory_equal(&got, &zero, sizeof(got));
	}
}

static void test_peek_header_checks(void **state)
{
	struct cp_msg m;
	uint8_t d[CP_MSG_MAX + 1];
	size_t n;

	cps_sample(CP_PING, &m);
	seal(&m, 0, d, &n);
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), 0);
	assert_int_equal(cp_msg_peek(NULL, n, NULL, NULL), SP_EMALFORMED);
	assert_int_equal(cp_msg_peek(d, CP_MSG_MIN - 1, NULL, NULL), SP_EMALFORMED);
	assert_int_equal(cp_msg_peek(d, CP_MSG_MAX + 1, NULL, NULL), SP_EMALFORMED);
	d[0] = 0xf4;
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), SP_EMALFORMED);
	d[0] = 0xf5;
	d[4] = 2;
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), SP_EPROTO);
	d[4] = 1;
	d[5] = 0;
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), SP_EMALFORMED);
	d[5] = CP_TYPE_MAX + 1;
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), SP_EMALFORMED);
	d[5] = CP_PING;
	d[7] = 1;
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), SP_EMALFORMED);
	d[7] = 0;
	assert_int_equal(cp_msg_peek(d, n, NULL, NULL), 0);
}

/* A datagram of outer type `outer` around a hand-made plaintext. */
static size_t craft(uint8_t *d, enum cp_type outer, const uint8_t *plain, size_t plen)
{
	size_t n = 0;
	memset(d, 0, CP_HDR_LEN);
	memcpy(d, CP_MAGIC, 4);
	d[4] = CP_VERSION;
	d[5] = (uint8_t)outer;
	memcpy(d + 8, sender, CP_KEY_LEN);
	randombytes_buf(d + 40, CP_NONCE_LEN);
	assert_int_equal(cp__msg_box(key, d, CP_MSG_MAX, plain, plen, &n), 0);
	return n;
}

/* Plaintext header + body of a sample of type t; returns its length. */
static size_t plain_of(enum cp_type t, uint8_t *p, size_t cap)
{
	struct cp_msg m;
	size_t blen;
	cps_sample(t, &m);
	assert_int_equal(cp_body_encode(&m, p + CP_PLAIN_HDR, cap - CP_PLAIN_HDR, &blen), 0);
	p[0] = (uint8_t)t;
	p[1] = 0;
	cp__put16(p + 2, (uint16_t)blen);
	cp__put64(p + 4, 77);
	return CP_PLAIN_HDR + blen;
}

static void test_plaintext_checks(void **state)
{
	uint8_t p[CP_MSG_MAX], d[CP_MSG_MAX];
	struct cp_msg got;
	size_t pl, n;

	/* The crafted path itself opens (so the refusals below are honest). */
	pl = plain_of(CP_CONNECT, p, sizeof(p));
	n = craft(d, CP_CONNECT, p, pl);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	assert_int_equal(got.counter, 77);

	/* Inner type differs from the outer one, either way round. */
	for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
		int o = t == CP_TYPE_MAX ? CP_TYPE_MIN : t + 1;
		pl = plain_of((enum cp_type)t, p, sizeof(p));
		n = craft(d, (enum cp_type)o, p, pl);
		assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);
	}
	/* Even with a body that parses as both (PING and PONG share the u64). */
	pl = plain_of(CP_PING, p, sizeof(p));
	n = craft(d, CP_REVOKE, p, pl);
	assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);

	/* Reserved byte. */
	pl = plain_of(CP_PING, p, sizeof(p));
	p[1] = 1;
	n = craft(d, CP_PING, p, pl);
	assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);

	/* body_len past the plaintext, and short of the body. */
	pl = plain_of(CP_PING, p, sizeof(p));
	cp__put16(p + 2, (uint16_t)(pl - CP_PLAIN_HDR + 1));
	n = craft(d, CP_PING, p, pl);
	assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);
	cp__put16(p + 2, 0xffff);
	n = craft(d, CP_PING, p, pl);
	assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);
	pl = plain_of(CP_PING, p, sizeof(p));
	cp__put16(p + 2, 7);	/* the last body byte counts as padding: non-zero */
	n = craft(d, CP_PING, p, pl);
	assert_int_not_equal(cp_msg_open(key, d, n, &got), 0);

	/* Zero padding is fine; one non-zero byte anywhere in it is not. */
	pl = plain_of(CP_PING, p, sizeof(p));
	memset(p + pl, 0, 500);
	n = craft(d, CP_PING, p, pl + 500);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	for (size_t i = 0; i < 500; i += 37) {
		p[pl + i] = 0x01;
		n = craft(d, CP_PING, p, pl + 500);
		assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);
		p[pl + i] = 0;
	}
	p[pl + 499] = 0x80;
	n = craft(d, CP_PING, p, pl + 500);
	assert_int_equal(cp_msg_open(key, d, n, &got), SP_EPROTO);
}

static void test_truncation_at_every_length(void **state)
{
	for (int t = CP_TYPE_MIN; t <= CP_TYPE_MAX; t++) {
		struct cp_msg m, got;
		uint8_t body[CP_MSG_MAX + 1], d[CP_MSG_MAX];
		size_t blen, n;

		cps_sample((enum cp_type)t, &m);
		assert_int_equal(cp_body_encode(&m, body, sizeof(body), &blen), 0);
		for (size_t l = 0; l < blen; l++)
			assert_int_equal(cp_body_decode((enum cp_type)t, body, l, &got),
					 SP_EMALFORMED);
		/* One byte more is refused too: nothing may be left over. */
		body[blen] = 0;
		assert_int_equal(cp_body_decode((enum cp_type)t, body, blen + 1, &got),
				 SP_EMALFORMED);
		seal(&m, 0, d, &n);
		for (size_t l = 0; l < n; l++)
			assert_int_not_equal(cp_msg_open(key, d, l, &got), 0);
	}
	struct cp_msg got;
	assert_int_equal(cp_body_decode((enum cp_type)0, (const uint8_t *)"", 0, &got), -EINVAL);
	assert_int_equal(cp_body_decode((enum cp_type)11, (const uint8_t *)"", 0, &got), -EINVAL);
}

/* Encode the sample, let `mut` change the bytes, decode into *got: the decoder's answer. */
static int mutated(enum cp_type t, void (*mut)(uint8_t *b, size_t *len), struct cp_msg *got)
{
	struct cp_msg m;
	uint8_t b[CP_MSG_MAX * 2];
	size_t len;

	cps_sample(t, &m);
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &len), 0);
	mut(b, &len);
	return cp_body_decode(t, b, len, got);
}

/* The same, expecting a refusal. */
static void refused(enum cp_type t, void (*mut)(uint8_t *b, size_t *len))
{
	struct cp_msg got;
	assert_int_equal(mutated(t, mut, &got), SP_EMALFORMED);
}

/* REGISTER: name(1+6) token(48) n_ep at 55. */
static void reg_n_ep_9(uint8_t *b, size_t *len)
{
	b[55] = 9;
	memset(b + *len, 0, CP_EP_WIRE);
	b[*len] = 4;
	b[*len + 2] = 1;
	*len += CP_EP_WIRE;
}
static void reg_name_254(uint8_t *b, size_t *len)
{
	uint8_t tail[CP_MSG_MAX];
	memcpy(tail, b + 7, *len - 7);
	b[0] = 254;
	memset(b + 1, 'a', 254);
	memcpy(b + 255, tail, *len - 7);
	*len = *len - 7 + 255;
}
static void reg_name_nul(uint8_t *b, size_t *len) { b[3] = 0; }
static void reg_name_space(uint8_t *b, size_t *len) { b[3] = ' '; }
static void reg_name_ctl(uint8_t *b, size_t *len) { b[3] = '\n'; }
static void reg_name_high(uint8_t *b, size_t *len) { b[3] = 0xc3; }
static void reg_name_len_over(uint8_t *b, size_t *len) { b[0] = 0xff; }
/* first endpoint at 56: family, port(2), addr(16) */
static void ep_family_5(uint8_t *b, size_t *len) { b[56] = 5; }
static void ep_family_0(uint8_t *b, size_t *len) { memset(b + 56, 0, CP_EP_WIRE); }
static void ep_port_0(uint8_t *b, size_t *len) { b[57] = b[58] = 0; }
static void ep_v4_tail(uint8_t *b, size_t *len) { b[56 + 3 + 15] = 1; }

/* REGISTER_ACK: status(1) observed(19) overlay(16) keepalive(2). */
static void ack_status_11(uint8_t *b, size_t *len) { b[0] = CP_STATUS_MAX + 1; }
static void ack_none_with_port(uint8_t *b, size_t *len)
{
	memset(b + 1, 0, CP_EP_WIRE);
	b[3] = 1;
}
static void ack_none_with_addr(uint8_t *b, size_t *len)
{
	memset(b + 1, 0, CP_EP_WIRE);
	b[19] = 1;
}

/* RELAY: peer(32) len(2) payload. */
static void relay_len_0(uint8_t *b, size_t *len)
{
	b[32] = b[33] = 0;
	*len = 34;
}
static void relay_len_1601(uint8_t *b, size_t *len)
{
	cp__put16(b + 32, CP_RELAY_MAX + 1);
	b[*len] = 0;
	*len += 1;
}
static void relay_len_short(uint8_t *b, size_t *len) { cp__put16(b + 32, CP_RELAY_MAX - 1); }

/* FRIENDS: generation(4) part(1) parts(1) n(1) entries. */
static void friends_n_5(uint8_t *b, size_t *len) { b[6] = CP_FRIENDS_MAX + 1; }
static void friends_parts_0(uint8_t *b, size_t *len) { b[4] = 0; b[5] = 0; }
static void friends_part_eq(uint8_t *b, size_t *len) { b[4] = b[5]; }
static void friends_empty_zone(uint8_t *b, size_t *len)
{
	/* Only the first entry: zone "" anchor "x" no endpoint. */
	b[6] = 1;
	b[7] = 0;
	b[8] = 1;
	b[9] = 'x';
	b[10] = 0;
	*len = 11;
}
static void friends_empty_anchor(uint8_t *b, size_t *len)
{
	b[6] = 1;
	b[7] = 1;
	b[8] = 'z';
	b[9] = 0;
	b[10] = 0;
	*len = 11;
}
static void friends_anchor_tab(uint8_t *b, size_t *len)
{
	/* zone of entry 0: len at 7 */
	size_t a = 7 + 1 + b[7];
	b[a + 3] = '\t';
}

/* CONNECT: req_id(8) target(1+3) target_addr(16) from_name(1+19) n_ep. */
static void connect_n_ep_255(uint8_t *b, size_t *len) { b[8 + 4 + 16 + 20] = 255; }

static void test_overlong_and_invalid_fields(void **state)
{
	refused(CP_REGISTER, reg_n_ep_9);
	refused(CP_REGISTER, reg_name_254);
	refused(CP_REGISTER, reg_name_nul);
	refused(CP_REGISTER, reg_name_space);
	refused(CP_REGISTER, reg_name_ctl);
	refused(CP_REGISTER, reg_name_high);
	refused(CP_REGISTER, reg_name_len_over);
	refused(CP_REGISTER, ep_family_5);
	refused(CP_REGISTER, ep_family_0);
	/* Port 0 in a candidate list: "a port of its own per destination" (CP_EP_ANYPORT). */
	{
		struct cp_msg m, got;
		uint8_t b[CP_MSG_MAX * 2];
		size_t len;
		assert_int_equal(mutated(CP_REGISTER, ep_port_0, &got), 0);
		assert_int_equal(sp_endpoint_port(&got.u.reg.ep[0]), 0);
		cps_sample(CP_REGISTER, &m);
		assert_int_equal(got.u.reg.ep[0].sa.sa_family, m.u.reg.ep[0].sa.sa_family);
		/* ... but not where a friend's DNS is: the same bytes, port 0, are refused there. */
		cps_sample(CP_FRIENDS, &m);
		assert_int_equal(cp_body_encode(&m, b, sizeof(b), &len), 0);
		const union sp_endpoint *e = &m.u.friends.f[1].ep[0];
		assert_int_equal(e->sa.sa_family, AF_INET);
		uint8_t wire[7] = { 4 };
		memcpy(wire + 1, &e->in4.sin_port, 2);
		memcpy(wire + 3, &e->in4.sin_addr, 4);
		uint8_t *at = memmem(b, len, wire, sizeof(wire));
		assert_non_null(at);
		assert_int_equal(cp_body_decode(CP_FRIENDS, b, len, &got), 0);
		at[1] = at[2] = 0;
		assert_int_equal(cp_body_decode(CP_FRIENDS, b, len, &got), SP_EMALFORMED);
	}
	refused(CP_REGISTER, ep_v4_tail);
	refused(CP_REGISTER_ACK, ack_status_11);
	refused(CP_REGISTER_ACK, ack_none_with_port);
	refused(CP_REGISTER_ACK, ack_none_with_addr);
	refused(CP_RELAY, relay_len_0);
	refused(CP_RELAY, relay_len_1601);
	refused(CP_RELAY, relay_len_short);
	refused(CP_FRIENDS, friends_n_5);
	refused(CP_FRIENDS, friends_parts_0);
	refused(CP_FRIENDS, friends_part_eq);
	refused(CP_FRIENDS, friends_empty_zone);
	refused(CP_FRIENDS, friends_empty_anchor);
	refused(CP_FRIENDS, friends_anchor_tab);
	refused(CP_CONNECT, connect_n_ep_255);

	/* A body over CP_BODY_MAX is refused whatever it holds. */
	static uint8_t big[CP_BODY_MAX + 1];
	struct cp_msg got;
	assert_int_equal(cp_body_decode(CP_RELAY, big, sizeof(big), &got), SP_EMALFORMED);
}

static void test_encoder_refuses_invalid(void **state)
{
	struct cp_msg m;
	uint8_t b[CP_MSG_MAX];
	size_t n = 99;

	cps_sample(CP_REGISTER, &m);
	memset(m.u.reg.name, 'a', sizeof(m.u.reg.name));	/* no NUL within 254 */
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	assert_int_equal(n, 0);
	cps_sample(CP_REGISTER, &m);
	memset(m.u.reg.name, 'a', CP_NAME_MAX);
	m.u.reg.name[CP_NAME_MAX] = '\0';	/* 253: fine */
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), 0);
	cps_sample(CP_REGISTER, &m);
	m.u.reg.n_ep = CP_EP_MAX + 1;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_REGISTER, &m);
	m.u.reg.ep[2].sa.sa_family = AF_UNIX;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	/* Port 0: a candidate of an endpoint-dependent NAT, but no place to ask DNS at. */
	cps_sample(CP_REGISTER, &m);
	m.u.reg.ep[0].in4.sin_port = 0;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), 0);
	cps_sample(CP_FRIENDS, &m);
	sp_endpoint_set_port(&m.u.friends.f[1].ep[0], 0);	/* f[1] has one */
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_PONG, &m);
	m.u.pong.observed.sa.sa_family = AF_INET;
	m.u.pong.observed.in4.sin_port = 0;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_REGISTER, &m);
	memset(m.u.reg.token_id, 0, CP_TOKEN_ID_LEN);
	memset(m.u.reg.token_secret, 0, CP_TOKEN_SECRET_LEN);
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_CONNECT, &m);
	strcpy(m.u.connect.from_name, "has space.");
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_CONNECT_ACK, &m);
	m.u.connect_ack.status = (enum cp_status)(CP_STATUS_MAX + 1);
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_RELAY, &m);
	m.u.relay.len = CP_RELAY_MAX + 1;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	m.u.relay.len = 0;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_FRIENDS, &m);
	m.u.friends.n = CP_FRIENDS_MAX + 1;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	cps_sample(CP_FRIENDS, &m);
	m.u.friends.part = m.u.friends.parts;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);
	m.type = (enum cp_type)0;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), -EINVAL);

	/* Four friends with the longest anchors and full endpoint lists do
	 * not fit one datagram: SP_ETRUNC, so the signpost splits parts. */
	cps_sample(CP_FRIENDS, &m);
	for (int i = 0; i < CP_FRIENDS_MAX; i++) {
		memset(m.u.friends.f[i].zone, 'z', CP_NAME_MAX);
		memset(m.u.friends.f[i].anchor, 'A', CP_ANCHOR_MAX);
		cps_eps(m.u.friends.f[i].ep, &m.u.friends.f[i].n_ep, CP_EP_MAX);
	}
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), SP_ETRUNC);
	m.u.friends.n = 2;
	assert_int_equal(cp_body_encode(&m, b, sizeof(b), &n), 0);
	/* A small buffer is SP_ETRUNC too. */
	assert_int_equal(cp_body_encode(&m, b, 100, &n), SP_ETRUNC);
}

static void test_padding_min_len(void **state)
{
	struct cp_msg m, got;
	uint8_t d[CP_MSG_MAX];
	size_t n;

	cps_sample(CP_PING, &m);
	seal(&m, CP_PAD_MIN, d, &n);
	assert_int_equal(n, CP_PAD_MIN);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	assert_int_equal(got.u.ping.tx_id, m.u.ping.tx_id);
	/* A message already longer than min_len is not padded. */
	cps_sample(CP_RELAY, &m);
	seal(&m, CP_PAD_MIN, d, &n);
	assert_true(n > CP_PAD_MIN);
	size_t natural = n;
	seal(&m, 0, d, &n);
	assert_int_equal(n, natural);
	/* Exactly CP_MSG_MAX is allowed, more is not; cap is honoured. */
	cps_sample(CP_PING, &m);
	seal(&m, CP_MSG_MAX, d, &n);
	assert_int_equal(n, CP_MSG_MAX);
	assert_int_equal(cp_msg_open(key, d, n, &got), 0);
	assert_int_equal(cp_msg_seal(key, sender, &m, CP_MSG_MAX + 1, d, sizeof(d), &n), -EINVAL);
	assert_int_equal(cp_msg_seal(key, sender, &m, CP_PAD_MIN, d, CP_PAD_MIN - 1, &n),
			 SP_ETRUNC);
	assert_int_equal(cp_msg_seal(key, sender, &m, 0, d, CP_MSG_MIN + 7, &n), SP_ETRUNC);
	assert_int_equal(cp_msg_seal(key, sender, &m, 0, d, CP_MSG_MIN + 8, &n), 0);
	m.type = (enum cp_type)0;
	assert_int_equal(cp_msg_seal(key, sender, &m, 0, d, sizeof(d), &n), -EINVAL);
}

static void test_replies_to_strangers_are_small(void **state)
{
	/* Amplification: the largest REGISTER_ACK, CONNECT_ACK refusal (no
	 * endpoints, longest name) and PONG are under a padded request. */
	struct cp_msg m;
	uint8_t d[CP_MSG_MAX];
	size_t n;

	cps_sample(CP_REGISTER_ACK, &m);
	cps_ep6(&m.u.reg_ack.observed, "2001:db8::1", 1);
	seal(&m, 0, d, &n);
	assert_true(n <= CP_PAD_MIN);
	cps_sample(CP_CONNECT_ACK, &m);
	m.u.connect_ack.status = CP_E_REFUSED;
	m.u.connect_ack.n_ep = 0;
	memset(m.u.connect_ack.name, 'n', CP_NAME_MAX);
	seal(&m, 0, d, &n);
	assert_true(n <= CP_PAD_MIN);
	cps_sample(CP_PONG, &m);
	seal(&m, 0, d, &n);
	assert_true(n <= CP_PAD_MIN);
}

static void test_box_key_is_beforenm(void **state)
{
	uint8_t apk[32], ask[32], bpk[32], bsk[32], shared[32], k1[32], k2[32], ref[32];

	for (int i = 0; i < 8; i++) {
		crypto_box_keypair(apk, ask);
		crypto_box_keypair(bpk, bsk);
		assert_int_equal(crypto_scalarmult(shared, ask, bpk), 0);
		assert_int_equal(cp_box_key(shared, k1), 0);
		assert_int_equal(crypto_box_beforenm(ref, bpk, ask), 0);
		assert_memory_equal(k1, ref, 32);
		assert_int_equal(crypto_scalarmult(shared, bsk, apk), 0);
		assert_int_equal(cp_box_key(shared, k2), 0);
		assert_memory_equal(k1, k2, 32);
	}
	/* A's seal opens with B's key. */
	struct cp_msg m, got;
	uint8_t d[CP_MSG_MAX];
	size_t n;
	cps_sample(CP_CALL_ME_MAYBE, &m);
	assert_int_equal(cp_msg_seal(k1, apk, &m, 0, d, sizeof(d), &n), 0);
	assert_int_equal(cp_msg_open(k2, d, n, &got), 0);
	assert_memory_equal(&m, &got, cp_msg_used(&m));	/* the rest is not read */

	memset(shared, 0, sizeof(shared));
	memset(k1, 0xaa, sizeof(k1));
	assert_int_equal(cp_box_key(shared, k1), SP_ECRYPTO);
	assert_true(sodium_is_zero(k1, sizeof(k1)));
}

static void test_counter_next(void **state)
{
	uint64_t last = 0;
	assert_int_equal(cp_counter_next(&last, 1000), 1000);
	assert_int_equal(cp_counter_next(&last, 1000), 1001);	/* same microsecond */
	assert_int_equal(cp_counter_next(&last, 900), 1002);	/* clock stepped back */
	assert_int_equal(cp_counter_next(&last, 5000), 5000);
	assert_int_equal(last, 5000);
}

static void test_status_words(void **state)
{
	assert_string_equal(cp_status_str(CP_E_TOKEN_REUSED), "token already used");
	assert_string_equal(cp_status_str(CP_E_TOKEN_EXPIRED), "token expired");
	assert_non_null(strstr(cp_status_str(CP_E_TOKEN_FORGED), "forged"));
	for (int a = 0; a <= CP_STATUS_MAX; a++) {
		assert_string_not_equal(cp_status_str((enum cp_status)a), "unknown status");
		for (int b = a + 1; b <= CP_STATUS_MAX; b++)
			assert_string_not_equal(cp_status_str((enum cp_status)a),
						cp_status_str((enum cp_status)b));
	}
	assert_string_equal(cp_status_str((enum cp_status)99), "unknown status");
	assert_string_equal(cp_type_str((enum cp_type)0), "unknown");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_empty_and_none_fields),
		cmocka_unit_test(test_every_flipped_byte_refused),
		cmocka_unit_test(test_sender_key_is_authenticated),
		cmocka_unit_test(test_wrong_key_refused),
		cmocka_unit_test(test_peek_header_checks),
		cmocka_unit_test(test_plaintext_checks),
		cmocka_unit_test(test_truncation_at_every_length),
		cmocka_unit_test(test_overlong_and_invalid_fields),
		cmocka_unit_test(test_encoder_refuses_invalid),
		cmocka_unit_test(test_padding_min_len),
		cmocka_unit_test(test_replies_to_strangers_are_small),
		cmocka_unit_test(test_box_key_is_beforenm),
		cmocka_unit_test(test_counter_next),
		cmocka_unit_test(test_status_words),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
