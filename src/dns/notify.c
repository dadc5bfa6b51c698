/*
 * notify.c - NOTIFY out (RFC 1996), loop code on libuv.
 *
 * Timers (one per secondary):
 *   retry  dns.notify-retry, doubled after each unanswered try, plus up to
 *          25 % jitter; after DNS_NOTIFY_TRIES tries the secondary is given
 *          up on until the next change (it still polls the SOA on its own).
 */
#include "dns/notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "dns/msgscan.h"

struct sp_interval dns_notify_retry_iv = {
	"dns.notify-retry", 2000,
	"RFC 1996 3.6: retry an unanswered NOTIFY; 2 s is about the secondary's round trip "
	"plus its SOA check, doubled on each retry",
};
struct sp_interval *const dns_notify_intervals[] = { &dns_notify_retry_iv };
const size_t dns_notify_n_intervals = 1;

#define NOTIFY_JITTER_PCT 25
#define NOTIFY_MSG_MAX 1536		/* a NOTIFY is question + one SOA + TSIG */
#define NOTIFY_SOA_MAX 1024

struct notify_target {
	struct dns_notify *owner;
	struct sockaddr_storage addr;
	uv_timer_t timer;
	uint16_t id;
	unsigned tries;
	bool pending;
	struct dns_tsig_state st;
};

struct dns_notify {
	uv_loop_t *loop;
	uv_udp_t udp4, udp6;
	bool has4, has6;
	struct dns_tsig_key key;
	bool has_key;
	uint8_t zone[256];
	size_t zone_len;
	uint8_t soa[NOTIFY_SOA_MAX];
	size_t soa_len;
	struct notify_target *t;
	size_t n;
	unsigned acked, gave_up;
	unsigned open_handles;
	bool closing;
	uint8_t rbuf[NOTIFY_MSG_MAX];
};

/* ---- pure message code ---- */

int dns_notify_create(uint8_t *buf, size_t cap, size_t *len, uint16_t id,
		      const uint8_t *zone, size_t zone_len, const uint8_t *soa_rr,
		      size_t soa_rr_len, const struct dns_tsig_key *key, uint64_t now_wall,
		      struct dns_tsig_state *st)
{
	memset(st, 0, sizeof(*st));
	if (zone_len == 0 || zone_len > 255 || DNS_HEADER_LEN + zone_len + 4 + soa_rr_len > cap)
		return SP_ETRUNC;
	memset(buf, 0, DNS_HEADER_LEN);
	dns__put16(buf, id);
	buf[2] = (uint8_t)(DNS_OPCODE_NOTIFY << 3 | 0x04);	/* opcode NOTIFY, AA */
	dns__put16(buf + 4, 1);
	dns__put16(buf + 6, soa_rr != NULL && soa_rr_len > 0 ? 1 : 0);
	size_t n = DNS_HEADER_LEN;
	memcpy(buf + n, zone, zone_len);
	n += zone_len;
	dns__put16(buf + n, 6);		/* SOA */
	dns__put16(buf + n + 2, 1);	/* IN */
	n += 4;
	if (soa_rr != NULL && soa_rr_len > 0) {
		memcpy(buf + n, soa_rr, soa_rr_len);
		n += soa_rr_len;
	}
	*len = n;
	if (key == NULL)
		return 0;
	return dns_tsig_sign_request(buf, len, cap, key, now_wall, st);
}

int dns_notify_consume_reply(const uint8_t *msg, size_t len, uint16_t id,
			     const uint8_t *zone, size_t zone_len, struct dns_tsig_state *st,
			     uint64_t now_wall)
{
	struct dns__scan sc;
	if (dns__msg_scan(msg, len, &sc) != 0)
		return SP_EMALFORMED;
	if (dns__get16(msg) != id || !(msg[2] & 0x80) || ((msg[2] >> 3) & 0x0f) != DNS_OPCODE_NOTIFY)
		return SP_EPROTO;
	if (sc.qdcount == 1) {
		uint8_t name[DNS_NAME_MAXLEN];
		struct dns_wire w;
		dns_wire_init_msg(&w, msg, len, DNS_HEADER_LEN);
		size_t nl = dns_wire_question(&w, name, NULL, NULL, NULL);
		if (w.err)
			return SP_EMALFORMED;
		if (nl != zone_len || memcmp(name, zone, nl) != 0)
			return SP_EPROTO;
	}
	if (st != NULL && st->present) {
		int err = dns_tsig_verify_reply(msg, len, st, now_wall);
		if (err != 0)
			return err;
	}
	return (msg[3] & 0x0f) == 0 ? 0 : SP_EPROTO;
}

/* ---- loop code ---- */

static uv_udp_t *socket_for(struct dns_notify *n, const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return n->has4 ? &n->udp4 : NULL;
	return n->has6 ? &n->udp6 : NULL;
}

static void retry_cb(uv_timer_t *timer);

static void send_one(struct notify_target *t)
{
	struct dns_notify *n = t->owner;
	uint8_t msg[NOTIFY_MSG_MAX];
	size_t len;
	char who[80];

	t->tries++;
	/* A fresh ID for each try: a late answer to an earlier try is not taken. */
	t->id = (uint16_t)randombytes_uniform(65536);
	int err = dns_notify_create(msg, sizeof(msg), &len, t->id, n->zone, n->zone_len, n->soa,
				    n->soa_len, n->has_key ? &n->key : NULL,
				    (uint64_t)time(NULL), &t->st);
	uv_udp_t *u = socket_for(n, &t->addr);
	if (err == 0 && u != NULL) {
		uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
		int r = uv_udp_try_send(u, &b, 1, (const struct sockaddr *)&t->addr);
		if (r < 0)
			sp_debug("dns: NOTIFY to %s: %s",
				 dns_acl_addr_str((const struct sockaddr *)&t->addr, who, sizeof(who)),
				 uv_strerror(r));
	}
	/* Back off: retry after base * 2^(tries-1), with jitter. */
	struct sp_interval iv = dns_notify_retry_iv;
	iv.ms = dns_notify_retry_iv.ms << (t->tries - 1 < 10 ? t->tries - 1 : 10);
	(void)sp_timer_start(&t->timer, retry_cb, &iv, NOTIFY_JITTER_PCT);
}

static void retry_cb(uv_timer_t *timer)
{
	struct notify_target *t = timer->data;
	char who[80];
	if (!t->pending || t->owner->closing)
		return;
	if (t->tries >= DNS_NOTIFY_TRIES) {
		t->pending = false;
		t->owner->gave_up++;
		sp_notice("dns: NOTIFY to %s: no answer after %u tries",
			  dns_acl_addr_str((const struct sockaddr *)&t->addr, who, sizeof(who)),
			  t->tries);
		return;
	}
	send_one(t);
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct dns_notify *n = h->data;
	*buf = uv_buf_init((char *)n->rbuf, sizeof(n->rbuf));
}

static void recv_cb(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
		    unsigned flags)
{
	struct dns_notify *n = u->data;
	char who[80];
	if (nread <= 0 || from == NULL || (flags & UV_UDP_PARTIAL) || n->closing)
		return;
	for (size_t i = 0; i < n->n; i++) {
		struct notify_target *t = &n->t[i];
		if (!t->pending || !same_peer(&t->addr, from))
			continue;
		int err = dns_notify_consume_reply((const uint8_t *)buf->base, (size_t)nread, t->id,
						   n->zone, n->zone_len, &t->st,
						   (uint64_t)time(NULL));
		if (err == 0) {
			t->pending = false;
			uv_timer_stop(&t->timer);
			n->acked++;
			sp_debug("dns: NOTIFY to %s acknowledged", dns_acl_addr_str(from, who, sizeof(who)));
		} else {
			sp_debug("dns: NOTIFY reply from %s ignored: %s",
				 dns_acl_addr_str(from, who, sizeof(who)), sp_strerror(err));
		}
		return;
	}
}

/* Bind to src (port 0) if given, else to the wildcard address of family. */
static int open_socket(struct dns_notify *n, uv_udp_t *u, int family,
		       const struct sockaddr_storage *src, bool *opened)
{
	struct sockaddr_storage any;
	memset(&any, 0, sizeof(any));
	int err = 0;
	if (src != NULL)
		any = *src;
	else if (family == AF_INET)
		err = uv_ip4_addr("0.0.0.0", 0, (struct sockaddr_in *)&any);
	else
		err = uv_ip6_addr("::", 0, (struct sockaddr_in6 *)&any);
	if (err == 0)
		err = uv_udp_init(n->loop, u);
	if (err != 0)
		return sp_from_uv(err);
	n->open_handles++;
	*opened = true;
	u->data = n;
	err = uv_udp_bind(u, (const struct sockaddr *)&any, family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (err == 0)
		err = uv_udp_recv_start(u, alloc_cb, recv_cb);
	return sp_from_uv(err);
}

static void close_cb(uv_handle_t *h)
{
	struct dns_notify *n = h->data;
	if (--n->open_handles == 0) {
		free(n->t);
		sodium_memzero(&n->key, sizeof(n->key));
		free(n);
	}
}

int dns_notify_new(uv_loop_t *loop, const struct dns_acl *acl, const struct dns_tsig_key *key,
		   struct dns_notify **out)
{
	struct dns_notify *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->loop = loop;
	if (key != NULL) {
		n->key = *key;
		n->has_key = true;
	}
	size_t want = 0;
	for (size_t i = 0; i < acl->n; i++)
		want += acl->v[i].notify;
	n->t = want ? calloc(want, sizeof(*n->t)) : NULL;
	if (want && n->t == NULL) {
		sodium_memzero(&n->key, sizeof(n->key));
		free(n);
		return -ENOMEM;
	}
	/* Handles are counted as they open, so close() can free whatever got set up. */
	int err = 0;
	for (size_t i = 0; i < acl->n && err == 0; i++) {
		if (!acl->v[i].notify)
			continue;
		struct notify_target *t = &n->t[n->n];
		t->owner = n;
		t->addr = acl->v[i].addr;
		err = sp_from_uv(uv_timer_init(loop, &t->timer));
		if (err == 0) {
			t->timer.data = t;
			n->open_handles++;
			n->n++;
			if (t->addr.ss_family == AF_INET)
				n->has4 = true;
			else
				n->has6 = true;
		}
	}
	bool want4 = n->has4, want6 = n->has6;
	n->has4 = n->has6 = false;
	if (err == 0 && want4)
		err = open_socket(n, &n->udp4, AF_INET, acl->has_src4 ? &acl->src4 : NULL, &n->has4);
	if (err == 0 && want6)
		err = open_socket(n, &n->udp6, AF_INET6, acl->has_src6 ? &acl->src6 : NULL, &n->has6);
	if (err != 0) {
		sp_err("dns: NOTIFY socket: %s", sp_strerror(err));
		dns_notify_close(n);
		return err;
	}
	*out = n;
	return 0;
}

void dns_notify_zone_changed(struct dns_notify *n, const uint8_t *zone, size_t zone_len,
			     const uint8_t *soa_rr, size_t soa_rr_len)
{
	if (n == NULL || n->closing || zone_len == 0 || zone_len > sizeof(n->zone))
		return;
	memcpy(n->zone, zone, zone_len);
	n->zone_len = zone_len;
	n->soa_len = 0;
	if (soa_rr != NULL && soa_rr_len <= sizeof(n->soa)) {
		memcpy(n->soa, soa_rr, soa_rr_len);
		n->soa_len = soa_rr_len;
	}
	/* A newer change restarts the round for every secondary. */
	for (size_t i = 0; i < n->n; i++) {
		struct notify_target *t = &n->t[i];
		uv_timer_stop(&t->timer);
		t->tries = 0;
		t->pending = true;
		send_one(t);
	}
}

void dns_notify_counts(const struct dns_notify *n, unsigned *acked, unsigned *gave_up)
{
	*acked = n ? n->acked : 0;
	*gave_up = n ? n->gave_up : 0;
}

void dns_notify_close(struct dns_notify *n)
{
	if (n == NULL || n->closing)
		return;
	n->closing = true;
	if (n->open_handles == 0) {
		free(n->t);
		sodium_memzero(&n->key, sizeof(n->key));
		free(n);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		n->t[i].timer.data = n;
		uv_close((uv_handle_t *)&n->t[i].timer, close_cb);
	}
	if (n->has4)
		uv_close((uv_handle_t *)&n->udp4, close_cb);
	if (n->has6)
		uv_close((uv_handle_t *)&n->udp6, close_cb);
}
