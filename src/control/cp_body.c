/*
 * cp_body.c - the bodies of control messages, one encoder and one strict
 * decoder per type, field order as in the table of ISSUE8.md (cp_msg.h).
 * Encoders check what decoders check, so that we never send what a peer
 * of the same version would refuse.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "control/cp_msg.h"
#include "control/cp_wire.h"

/* ---- encoders ---- */

static void enc_register(struct cp__wr *w, const struct cp_register *b)
{
	static const uint8_t zero[CP_TOKEN_ID_LEN + CP_TOKEN_SECRET_LEN];

	cp__wr_str(w, b->name, CP_NAME_MAX, CP__STR_NAME);
	if (b->has_token) {
		/* An all-zero token would read back as "no token". */
		if (sodium_is_zero(b->token_id, sizeof(b->token_id)) &&
		    sodium_is_zero(b->token_secret, sizeof(b->token_secret))) {
			if (!w->err)
				w->err = -EINVAL;
			return;
		}
		cp__wr_bytes(w, b->token_id, sizeof(b->token_id));
		cp__wr_bytes(w, b->token_secret, sizeof(b->token_secret));
	} else {
		cp__wr_bytes(w, zero, sizeof(zero));
	}
	cp__wr_eps(w, b->ep, b->n_ep, CP_EP_ANYPORT);
}

static void enc_status(struct cp__wr *w, enum cp_status s)
{
	if ((unsigned)s > CP_STATUS_MAX) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	cp__wr_u8(w, (uint8_t)s);
}

static void enc_register_ack(struct cp__wr *w, const struct cp_register_ack *b)
{
	enc_status(w, b->status);
	cp__wr_ep(w, &b->observed, CP_EP_NONE);
	cp__wr_bytes(w, b->overlay, CP_ADDR_LEN);
	cp__wr_u16(w, b->keepalive_s);
}

static void enc_connect(struct cp__wr *w, const struct cp_connect *b)
{
	cp__wr_u64(w, b->req_id);
	cp__wr_str(w, b->target, CP_NAME_MAX, CP__STR_NAME);
	cp__wr_bytes(w, b->target_addr, CP_ADDR_LEN);
	cp__wr_str(w, b->from_name, CP_NAME_MAX, CP__STR_NAME);
	cp__wr_eps(w, b->ep, b->n_ep, CP_EP_ANYPORT);
}

static void enc_connect_ack(struct cp__wr *w, const struct cp_connect_ack *b)
{
	cp__wr_u64(w, b->req_id);
	enc_status(w, b->status);
	cp__wr_str(w, b->name, CP_NAME_MAX, CP__STR_NAME);
	cp__wr_bytes(w, b->key, CP_KEY_LEN);
	cp__wr_bytes(w, b->overlay, CP_ADDR_LEN);
	cp__wr_eps(w, b->ep, b->n_ep, CP_EP_ANYPORT);
}

static void enc_cmm(struct cp__wr *w, const struct cp_call_me_maybe *b)
{
	cp__wr_str(w, b->name, CP_NAME_MAX, CP__STR_NAME);
	cp__wr_bytes(w, b->key, CP_KEY_LEN);
	cp__wr_bytes(w, b->overlay, CP_ADDR_LEN);
	cp__wr_eps(w, b->ep, b->n_ep, CP_EP_ANYPORT);
}

static void enc_relay(struct cp__wr *w, const struct cp_relay *b)
{
	if (b->len == 0 || b->len > CP_RELAY_MAX) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	cp__wr_bytes(w, b->peer, CP_KEY_LEN);
	cp__wr_u16(w, b->len);
	cp__wr_bytes(w, b->payload, b->len);
}

static void enc_friends(struct cp__wr *w, const struct cp_friends *b)
{
	if (b->parts == 0 || b->part >= b->parts || b->n > CP_FRIENDS_MAX) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	cp__wr_u32(w, b->generation);
	cp__wr_u8(w, b->part);
	cp__wr_u8(w, b->parts);
	cp__wr_u8(w, b->n);
	for (uint8_t i = 0; i < b->n; i++) {
		const struct cp_friend *f = &b->f[i];
		if (f->zone[0] == '\0' || f->anchor[0] == '\0') {
			if (!w->err)
				w->err = -EINVAL;
			return;
		}
		cp__wr_str(w, f->zone, CP_NAME_MAX, CP__STR_NAME);
		cp__wr_str(w, f->anchor, CP_ANCHOR_MAX, CP__STR_TEXT);
		cp__wr_eps(w, f->ep, f->n_ep, 0);
	}
}

int cp_body_encode(const struct cp_msg *m, uint8_t *out, size_t cap, size_t *out_len)
{
	struct cp__wr w;

	*out_len = 0;
	/* Never more than fits one datagram, whatever the caller's buffer. */
	cp__wr_init(&w, out, cap < CP_BODY_MAX ? cap : CP_BODY_MAX);
	switch (m->type) {
	case CP_REGISTER: enc_register(&w, &m->u.reg); break;
	case CP_REGISTER_ACK: enc_register_ack(&w, &m->u.reg_ack); break;
	case CP_CONNECT: enc_connect(&w, &m->u.connect); break;
	case CP_CONNECT_ACK: enc_connect_ack(&w, &m->u.connect_ack); break;
	case CP_CALL_ME_MAYBE: enc_cmm(&w, &m->u.cmm); break;
	case CP_PING: cp__wr_u64(&w, m->u.ping.tx_id); break;
	case CP_PONG:
		cp__wr_u64(&w, m->u.pong.tx_id);
		cp__wr_ep(&w, &m->u.pong.observed, CP_EP_NONE);
		break;
	case CP_RELAY: enc_relay(&w, &m->u.relay); break;
	case CP_REVOKE: cp__wr_bytes(&w, m->u.revoke.key, CP_KEY_LEN); break;
	case CP_FRIENDS: enc_friends(&w, &m->u.friends); break;
	default: return -EINVAL;
	}
	if (w.err != 0) {
		/* What was written may hold a token secret. */
		if (out && w.pos)
			sodium_memzero(out, w.pos);
		return w.err;
	}
	*out_len = w.pos;
	return 0;
}

/* ---- decoders ---- */

static void dec_register(struct cp__rd *r, struct cp_register *b)
{
	cp__rd_str(r, b->name, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_bytes(r, b->token_id, sizeof(b->token_id));
	cp__rd_bytes(r, b->token_secret, sizeof(b->token_secret));
	b->has_token = !sodium_is_zero(b->token_id, sizeof(b->token_id)) ||
		       !sodium_is_zero(b->token_secret, sizeof(b->token_secret));
	cp__rd_eps(r, b->ep, &b->n_ep, CP_EP_ANYPORT);
}

static enum cp_status dec_status(struct cp__rd *r)
{
	uint8_t s = cp__rd_u8(r);
	if (s > CP_STATUS_MAX) {
		if (!r->err)
			r->err = SP_EMALFORMED;
		return CP_OK;
	}
	return (enum cp_status)s;
}

static void dec_register_ack(struct cp__rd *r, struct cp_register_ack *b)
{
	b->status = dec_status(r);
	cp__rd_ep(r, &b->observed, CP_EP_NONE);
	cp__rd_bytes(r, b->overlay, CP_ADDR_LEN);
	b->keepalive_s = cp__rd_u16(r);
}

static void dec_connect(struct cp__rd *r, struct cp_connect *b)
{
	b->req_id = cp__rd_u64(r);
	cp__rd_str(r, b->target, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_bytes(r, b->target_addr, CP_ADDR_LEN);
	cp__rd_str(r, b->from_name, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_eps(r, b->ep, &b->n_ep, CP_EP_ANYPORT);
}

static void dec_connect_ack(struct cp__rd *r, struct cp_connect_ack *b)
{
	b->req_id = cp__rd_u64(r);
	b->status = dec_status(r);
	cp__rd_str(r, b->name, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_bytes(r, b->key, CP_KEY_LEN);
	cp__rd_bytes(r, b->overlay, CP_ADDR_LEN);
	cp__rd_eps(r, b->ep, &b->n_ep, CP_EP_ANYPORT);
}

static void dec_cmm(struct cp__rd *r, struct cp_call_me_maybe *b)
{
	cp__rd_str(r, b->name, CP_NAME_MAX, CP__STR_NAME);
	cp__rd_bytes(r, b->key, CP_KEY_LEN);
	cp__rd_bytes(r, b->overlay, CP_ADDR_LEN);
	cp__rd_eps(r, b->ep, &b->n_ep, CP_EP_ANYPORT);
}

static void dec_relay(struct cp__rd *r, struct cp_relay *b)
{
	cp__rd_bytes(r, b->peer, CP_KEY_LEN);
	b->len = cp__rd_u16(r);
	if (r->err)
		return;
	if (b->len == 0 || b->len > CP_RELAY_MAX) {
		b->len = 0;
		r->err = SP_EMALFORMED;
		return;
	}
	cp__rd_bytes(r, b->payload, b->len);
}

static void dec_friends(struct cp__rd *r, struct cp_friends *b)
{
	b->generation = cp__rd_u32(r);
	b->part = cp__rd_u8(r);
	b->parts = cp__rd_u8(r);
	b->n = cp__rd_u8(r);
	if (r->err)
		return;
	if (b->parts == 0 || b->part >= b->parts || b->n > CP_FRIENDS_MAX) {
		b->n = 0;
		r->err = SP_EMALFORMED;
		return;
	}
	for (uint8_t i = 0; i < b->n && !r->err; i++) {
		struct cp_friend *f = &b->f[i];
		cp__rd_str(r, f->zone, CP_NAME_MAX, CP__STR_NAME);
		cp__rd_str(r, f->anchor, CP_ANCHOR_MAX, CP__STR_TEXT);
		cp__rd_eps(r, f->ep, &f->n_ep, 0);
		if (!r->err && (f->zone[0] == '\0' || f->anchor[0] == '\0'))
			r->err = SP_EMALFORMED;
	}
}

int cp_body_decode(enum cp_type type, const uint8_t *body, size_t len, struct cp_msg *m)
{
	struct cp__rd r;

	if (type < CP_TYPE_MIN || type > CP_TYPE_MAX) {
		memset(m, 0, sizeof(*m));
		return -EINVAL;
	}
	/* What the type uses; a RELAY's payload is written by the decoder, as far as it goes. */
	m->type = type;
	if (type == CP_RELAY)
		m->u.relay.len = 0;
	memset(m, 0, cp_msg_used(m));
	m->type = type;
	cp__rd_init(&r, body, len);
	if (len > CP_BODY_MAX)
		r.err = SP_EMALFORMED;
	switch (type) {
	case CP_REGISTER: dec_register(&r, &m->u.reg); break;
	case CP_REGISTER_ACK: dec_register_ack(&r, &m->u.reg_ack); break;
	case CP_CONNECT: dec_connect(&r, &m->u.connect); break;
	case CP_CONNECT_ACK: dec_connect_ack(&r, &m->u.connect_ack); break;
	case CP_CALL_ME_MAYBE: dec_cmm(&r, &m->u.cmm); break;
	case CP_PING: m->u.ping.tx_id = cp__rd_u64(&r); break;
	case CP_PONG:
		m->u.pong.tx_id = cp__rd_u64(&r);
		cp__rd_ep(&r, &m->u.pong.observed, CP_EP_NONE);
		break;
	case CP_RELAY: dec_relay(&r, &m->u.relay); break;
	case CP_REVOKE: cp__rd_bytes(&r, m->u.revoke.key, CP_KEY_LEN); break;
	case CP_FRIENDS: dec_friends(&r, &m->u.friends); break;
	}
	cp__rd_end(&r);
	if (r.err != 0) {
		cp_msg_wipe(m);
		return SP_EMALFORMED;
	}
	return 0;
}
