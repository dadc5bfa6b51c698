/*
 * tsig.c - TSIG (RFC 8945), HMAC-SHA256 only.
 *
 * The digest of a request or a single answer (RFC 8945 4.3):
 *   [request MAC size, request MAC]   only for an answer
 *   the message without its TSIG RR, ARCOUNT one less, ID = Original ID
 *   TSIG variables: key name, class ANY, TTL 0, algorithm name, Time Signed,
 *                   Fudge, Error, Other Len, Other Data (names canonical)
 * The digest of the second and later messages of a transfer (5.3.1):
 *   prior MAC size, prior MAC, the message, Time Signed, Fudge.
 */
#include "dns/tsig.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "dns/msgscan.h"

#define DNS_CLASS_ANY 255
#define DNS_TSIG_MAC_MIN 16	/* RFC 8945 5.2.2.1: at least half the hash and 10 octets */

/* "hmac-sha256." in wire format. */
static const uint8_t hmac_sha256_name[] = "\x0bhmac-sha256";
#define HMAC_SHA256_NAME_LEN 13

/* The TSIG RR of a message, as parsed. */
struct tsig_rr {
	uint8_t key_name[256];
	size_t key_name_len;
	uint8_t alg_name[256];
	size_t alg_name_len;
	uint64_t time_signed;
	uint16_t fudge;
	const uint8_t *mac;
	uint16_t mac_len;
	uint16_t orig_id;
	uint16_t error;
	const uint8_t *other;
	uint16_t other_len;
};

/* ---- HMAC through OpenSSL's EVP_MAC ---- */

static EVP_MAC_CTX *hmac_begin(const struct dns_tsig_key *k)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return NULL;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (ctx == NULL)
		return NULL;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_MAC_init(ctx, k->secret, k->secret_len, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int hmac_put(EVP_MAC_CTX *ctx, const void *p, size_t n)
{
	return EVP_MAC_update(ctx, p, n) == 1 ? 0 : SP_ECRYPTO;
}

static int hmac_put16(EVP_MAC_CTX *ctx, uint16_t v)
{
	uint8_t b[2];
	dns__put16(b, v);
	return hmac_put(ctx, b, 2);
}

static void put48(uint8_t *p, uint64_t v)
{
	dns__put16(p, (uint16_t)(v >> 32));
	dns__put32(p + 2, (uint32_t)v);
}

static int hmac_end(EVP_MAC_CTX *ctx, uint8_t out[DNS_TSIG_MAC_LEN])
{
	size_t n = 0;
	int ok = EVP_MAC_final(ctx, out, &n, DNS_TSIG_MAC_LEN) == 1 && n == DNS_TSIG_MAC_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : SP_ECRYPTO;
}

/* The message without its TSIG: header with ID and ARCOUNT replaced, then the body. */
static int hmac_put_msg(EVP_MAC_CTX *ctx, const uint8_t *msg, size_t len, uint16_t id,
			uint16_t arcount)
{
	uint8_t hdr[DNS_HEADER_LEN];
	memcpy(hdr, msg, DNS_HEADER_LEN);
	dns__put16(hdr, id);
	dns__put16(hdr + 10, arcount);
	int err = hmac_put(ctx, hdr, sizeof(hdr));
	if (err == 0)
		err = hmac_put(ctx, msg + DNS_HEADER_LEN, len - DNS_HEADER_LEN);
	return err;
}

/* TSIG variables (RFC 8945 4.3.3); timers only when `full` is false. */
static int hmac_put_vars(EVP_MAC_CTX *ctx, const struct tsig_rr *t, bool full)
{
	uint8_t b[10];
	int err = 0;
	if (full) {
		err = hmac_put(ctx, t->key_name, t->key_name_len);
		dns__put16(b, DNS_CLASS_ANY);
		dns__put32(b + 2, 0);
		if (err == 0)
			err = hmac_put(ctx, b, 6);
		if (err == 0)
			err = hmac_put(ctx, t->alg_name, t->alg_name_len);
	}
	put48(b, t->time_signed);
	dns__put16(b + 6, t->fudge);
	if (err == 0)
		err = hmac_put(ctx, b, 8);
	if (full) {
		dns__put16(b, t->error);
		dns__put16(b + 2, t->other_len);
		if (err == 0)
			err = hmac_put(ctx, b, 4);
		if (err == 0 && t->other_len)
			err = hmac_put(ctx, t->other, t->other_len);
	}
	return err;
}

/*
 * The MAC of one message into out: the prior MAC with its size (when prior
 * is not NULL), the message, then the TSIG variables of t (all of them when
 * full, else only the timers).  When stripped, msg is cut where its TSIG RR
 * began and is digested as it was before signing: ID = Original ID and
 * ARCOUNT one less (RFC 8945 4.3.2).
 */
static int tsig_mac(const struct dns_tsig_key *k, const uint8_t *prior, size_t prior_len,
		    const uint8_t *msg, size_t len, bool stripped, const struct tsig_rr *t,
		    bool full, uint8_t out[DNS_TSIG_MAC_LEN])
{
	EVP_MAC_CTX *ctx = hmac_begin(k);
	if (ctx == NULL)
		return SP_ECRYPTO;
	int err = 0;
	if (prior != NULL) {
		err = hmac_put16(ctx, (uint16_t)prior_len);
		if (err == 0)
			err = hmac_put(ctx, prior, prior_len);
	}
	if (err == 0 && stripped)
		err = hmac_put_msg(ctx, msg, len, t->orig_id, (uint16_t)(dns__get16(msg + 10) - 1));
	else if (err == 0)
		err = hmac_put(ctx, msg, len);
	if (err == 0)
		err = hmac_put_vars(ctx, t, full);
	if (err != 0) {
		EVP_MAC_CTX_free(ctx);
		return err;
	}
	return hmac_end(ctx, out);
}

/* A TSIG RR to sign msg with: names, Fudge, Original ID (msg's ID), Time Signed now. */
static void tsig_rr_new(struct tsig_rr *t, const uint8_t *key_name, size_t key_name_len,
			const uint8_t *alg_name, size_t alg_name_len, const uint8_t *msg,
			uint64_t now)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->key_name, key_name, key_name_len);
	t->key_name_len = key_name_len;
	memcpy(t->alg_name, alg_name, alg_name_len);
	t->alg_name_len = alg_name_len;
	t->time_signed = now;
	t->fudge = DNS_TSIG_FUDGE;
	t->orig_id = dns__get16(msg);
}

/* Remember the request's TSIG RR (all but its MAC) in st. */
static void tsig_state_set(struct dns_tsig_state *st, const struct tsig_rr *t)
{
	st->present = true;
	memcpy(st->key_name, t->key_name, t->key_name_len);
	st->key_name_len = t->key_name_len;
	memcpy(st->alg_name, t->alg_name, t->alg_name_len);
	st->alg_name_len = t->alg_name_len;
	st->time_signed = t->time_signed;
	st->fudge = t->fudge;
	st->orig_id = t->orig_id;
}

/* ---- parsing ---- */

/* Find and parse the TSIG RR; *found false if there is none. */
static int tsig_parse(const uint8_t *msg, size_t len, struct dns__scan *sc, struct tsig_rr *t,
		      bool *found)
{
	*found = false;
	if (dns__msg_scan(msg, len, sc) != 0)
		return SP_EMALFORMED;
	if (sc->n_tsig == 0)
		return 0;
	/* RFC 8945 5.2: exactly one TSIG, the last RR of the additional section. */
	if (sc->n_tsig > 1 || sc->last_type != DNS_TYPE_TSIG || sc->arcount == 0)
		return SP_EMALFORMED;
	/* Owner (the key name), then the RDATA: a reader bounded by the RDATA's end. */
	struct dns_wire w;
	struct dns_rr_hdr rr;
	dns_wire_init_msg(&w, msg, len, sc->last_rr);
	if (dns_wire_rr(&w, &rr, t->key_name) != 0)
		return SP_EMALFORMED;
	dns_name_lower(t->key_name);
	t->key_name_len = rr.owner_len;
	if (rr.klass != DNS_CLASS_ANY || rr.ttl != 0)
		return SP_EMALFORMED;
	dns_wire_init_msg(&w, msg, rr.rdata + rr.rdlen, rr.rdata);
	t->alg_name_len = dns_wire_name(&w, t->alg_name, true, NULL);
	uint16_t hi = dns_wire_u16(&w);
	t->time_signed = (uint64_t)hi << 32 | dns_wire_u32(&w);
	t->fudge = dns_wire_u16(&w);
	t->mac_len = dns_wire_u16(&w);
	t->mac = msg + w.pos;
	dns_wire_skip(&w, t->mac_len);
	t->orig_id = dns_wire_u16(&w);
	t->error = dns_wire_u16(&w);
	t->other_len = dns_wire_u16(&w);
	size_t p = w.pos;
	dns_wire_skip(&w, t->other_len);
	if (w.err || dns_wire_left(&w) != 0)
		return SP_EMALFORMED;
	t->other = msg + p;
	*found = true;
	return 0;
}

static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static bool time_ok(uint64_t now, uint64_t signed_at, uint16_t fudge)
{
	uint64_t d = now > signed_at ? now - signed_at : signed_at - now;
	return d <= fudge;
}

/* ---- server side ---- */

int dns_tsig_verify(const uint8_t *msg, size_t len, const struct dns_tsig_key *keys,
		    size_t nkeys, uint64_t now, struct dns_tsig_state *st)
{
	struct dns__scan sc;
	struct tsig_rr t;
	bool found;

	memset(st, 0, sizeof(*st));
	int err = tsig_parse(msg, len, &sc, &t, &found);
	if (err != 0 || !found)
		return err;

	tsig_state_set(st, &t);
	st->unsigned_len = sc.last_rr;

	/* 5.2.1 key check: name and algorithm must both be known. */
	for (size_t i = 0; i < nkeys; i++)
		if (name_eq(keys[i].name, keys[i].name_len, t.key_name, t.key_name_len))
			st->key = &keys[i];
	if (st->key == NULL ||
	    !name_eq(t.alg_name, t.alg_name_len, hmac_sha256_name, HMAC_SHA256_NAME_LEN)) {
		st->key = NULL;
		st->error = DNS_TSIG_BADKEY;
		return SP_EAUTH;
	}

	/* 5.2.2.1: a MAC longer than the hash or shorter than half of it is malformed. */
	if (t.mac_len > DNS_TSIG_MAC_LEN || t.mac_len < DNS_TSIG_MAC_MIN) {
		st->key = NULL;
		return SP_EMALFORMED;
	}

	/* 5.2.2 MAC check. */
	uint8_t mac[DNS_TSIG_MAC_LEN];
	if ((err = tsig_mac(st->key, NULL, 0, msg, sc.last_rr, true, &t, true, mac)) != 0)
		return err;
	if (sodium_memcmp(mac, t.mac, t.mac_len) != 0) {
		/* An unverified MAC is not echoed: the error answer goes unsigned. */
		st->key = NULL;
		st->error = DNS_TSIG_BADSIG;
		return SP_EAUTH;
	}
	memcpy(st->mac, t.mac, t.mac_len);
	st->mac_len = t.mac_len;

	/* 5.2.3 time check, only after the MAC verified. */
	if (!time_ok(now, t.time_signed, t.fudge)) {
		st->error = DNS_TSIG_BADTIME;
		return SP_EAUTH;
	}
	/* 5.2.2.1: our local policy takes only full-length MACs. */
	if (t.mac_len < DNS_TSIG_MAC_LEN) {
		st->error = DNS_TSIG_BADTRUNC;
		return SP_EAUTH;
	}
	return 0;
}

int dns_tsig_replay_check(const struct dns_tsig_key *key, struct dns_tsig_state *st,
			  uint64_t now)
{
	struct dns_tsig_replay *r = key != NULL ? key->replay : NULL;
	size_t free_slot = DNS_TSIG_REPLAY_MAX;

	if (r == NULL || !st->present || st->key == NULL)
		return 0;
	for (size_t i = 0; i < DNS_TSIG_REPLAY_MAX; i++) {
		bool live = r->e[i].until >= now;
		if (live && sodium_memcmp(r->e[i].mac, st->mac, sizeof(r->e[i].mac)) == 0) {
			st->error = DNS_TSIG_BADTIME;
			return SP_EAUTH;
		}
		if (!live && free_slot == DNS_TSIG_REPLAY_MAX)
			free_slot = i;
	}
	if (free_slot == DNS_TSIG_REPLAY_MAX || st->mac_len < sizeof(r->e[0].mac)) {
		/* More signed requests in one window than we can remember: refuse, do not forget. */
		st->error = DNS_TSIG_BADTIME;
		return SP_EAUTH;
	}
	memcpy(r->e[free_slot].mac, st->mac, sizeof(r->e[free_slot].mac));
	r->e[free_slot].until = st->time_signed + st->fudge;
	return 0;
}

/* Write the TSIG RR at msg + *len and bump ARCOUNT. */
static int tsig_append(uint8_t *msg, size_t *len, size_t cap, const struct tsig_rr *t)
{
	size_t rdlen = t->alg_name_len + 10 + t->mac_len + 6 + t->other_len;
	size_t need = t->key_name_len + 10 + rdlen;
	if (*len < DNS_HEADER_LEN || *len + need > cap || rdlen > 0xffff)
		return SP_ETRUNC;
	uint16_t ar = dns__get16(msg + 10);
	if (ar == 0xffff)
		return SP_ETRUNC;
	uint8_t *p = msg + *len;
	memcpy(p, t->key_name, t->key_name_len);
	p += t->key_name_len;
	dns__put16(p, DNS_TYPE_TSIG);
	dns__put16(p + 2, DNS_CLASS_ANY);
	dns__put32(p + 4, 0);
	dns__put16(p + 8, (uint16_t)rdlen);
	p += 10;
	memcpy(p, t->alg_name, t->alg_name_len);
	p += t->alg_name_len;
	put48(p, t->time_signed);
	dns__put16(p + 6, t->fudge);
	dns__put16(p + 8, t->mac_len);
	p += 10;
	if (t->mac_len)
		memcpy(p, t->mac, t->mac_len);
	p += t->mac_len;
	dns__put16(p, t->orig_id);
	dns__put16(p + 2, t->error);
	dns__put16(p + 4, t->other_len);
	p += 6;
	if (t->other_len)
		memcpy(p, t->other, t->other_len);
	dns__put16(msg + 10, (uint16_t)(ar + 1));
	*len += need;
	return 0;
}

int dns_tsig_sign(uint8_t *msg, size_t *len, size_t cap, struct dns_tsig_state *st,
		  uint64_t now)
{
	if (!st->present)
		return 0;
	if (*len < DNS_HEADER_LEN)
		return SP_ETRUNC;

	struct tsig_rr t;
	uint8_t other[6], mac[DNS_TSIG_MAC_LEN];
	tsig_rr_new(&t, st->key_name, st->key_name_len, st->alg_name, st->alg_name_len, msg, now);
	t.error = st->error;

	if (st->key == NULL) {
		/* BADKEY, BADSIG: unsigned (RFC 8945 5.2.1, 5.2.2, 5.3.2), MAC size 0. */
		t.time_signed = st->time_signed;
		t.fudge = st->fudge;
		return tsig_append(msg, len, cap, &t);
	}
	if (st->error == DNS_TSIG_BADTIME) {
		/* 5.2.3: the client's time in Time Signed, ours in Other Data. */
		t.time_signed = st->time_signed;
		put48(other, now);
		t.other = other;
		t.other_len = sizeof(other);
	}

	int err = tsig_mac(st->key, st->mac, st->mac_len, msg, *len, false, &t, st->n_signed == 0,
			   mac);
	if (err != 0)
		return err;
	t.mac = mac;
	t.mac_len = DNS_TSIG_MAC_LEN;
	if ((err = tsig_append(msg, len, cap, &t)) != 0)
		return err;
	memcpy(st->mac, mac, sizeof(mac));
	st->mac_len = sizeof(mac);
	st->n_signed++;
	return 0;
}

/* ---- client side ---- */

int dns_tsig_sign_request(uint8_t *msg, size_t *len, size_t cap, const struct dns_tsig_key *key,
			  uint64_t now, struct dns_tsig_state *st)
{
	memset(st, 0, sizeof(*st));
	if (*len < DNS_HEADER_LEN)
		return SP_ETRUNC;
	struct tsig_rr t;
	uint8_t mac[DNS_TSIG_MAC_LEN];
	tsig_rr_new(&t, key->name, key->name_len, hmac_sha256_name, HMAC_SHA256_NAME_LEN, msg,
		    now);
	int err = tsig_mac(key, NULL, 0, msg, *len, false, &t, true, mac);
	if (err != 0)
		return err;
	t.mac = mac;
	t.mac_len = sizeof(mac);
	if ((err = tsig_append(msg, len, cap, &t)) != 0)
		return err;
	tsig_state_set(st, &t);
	st->key = key;
	memcpy(st->mac, mac, sizeof(mac));
	st->mac_len = sizeof(mac);
	return 0;
}

int dns_tsig_verify_reply(const uint8_t *msg, size_t len, struct dns_tsig_state *st,
			  uint64_t now)
{
	struct dns__scan sc;
	struct tsig_rr t;
	bool found;
	uint8_t mac[DNS_TSIG_MAC_LEN];

	if (st->key == NULL)
		return SP_EAUTH;
	int err = tsig_parse(msg, len, &sc, &t, &found);
	if (err != 0)
		return err;
	if (!found || t.mac_len != DNS_TSIG_MAC_LEN || t.error != 0 ||
	    !name_eq(t.key_name, t.key_name_len, st->key->name, st->key->name_len) ||
	    !name_eq(t.alg_name, t.alg_name_len, hmac_sha256_name, HMAC_SHA256_NAME_LEN))
		return SP_EAUTH;
	err = tsig_mac(st->key, st->mac, st->mac_len, msg, sc.last_rr, true, &t, true, mac);
	if (err != 0)
		return err;
	if (sodium_memcmp(mac, t.mac, DNS_TSIG_MAC_LEN) != 0)
		return SP_EAUTH;
	if (!time_ok(now, t.time_signed, t.fudge))
		return SP_EEXPIRED;
	return 0;
}
