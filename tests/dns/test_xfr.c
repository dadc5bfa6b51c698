/*
 * test_xfr.c - AXFR/IXFR out and NOTIFY out.
 *
 * Transfers: queries built by ldns, every answer message parsed and its
 * TSIG chain checked by ldns (RFC 8945 5.3.1), access by address and key.
 * NOTIFY: a fake secondary on 127.0.0.1 that ignores the first NOTIFY and
 * answers the retry; another that never answers, so the sender gives up.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <uv.h>

#include "dns/dns_schema.h"
#include "dns/msgscan.h"
#include "dns/notify.h"
#include "dns/xfr.h"
#include "dns/zone.h"

#define KEYNAME "xfr.alice.example."
#define SECRET "a2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXMtbG9uZz8="
#define WRONG_SECRET "b3RoZXIta2V5LWZvci10ZXN0aW5nLW9ubHktMzItYnl0ZXM="
#define N_NAMES 3000	/* enough for several 16 KiB messages */

struct fx {
	struct dns_zone *z;
	struct dns_tsig_key key;
	struct dns_acl acl;
	struct sockaddr_in allowed, other;
};

/* Collected answer messages. */
struct msgs {
	uint8_t *m[512];
	size_t len[512];
	size_t n;
};

static int collect(void *ctx, const uint8_t *msg, size_t len)
{
	struct msgs *ms = ctx;
	assert_true(len <= 65535);
	assert_true(ms->n < 512);
	ms->m[ms->n] = malloc(len);
	memcpy(ms->m[ms->n], msg, len);
	ms->len[ms->n++] = len;
	return 0;
}

static void msgs_free(struct msgs *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->m[i]);
	ms->n = 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dns_keyset ks;
	memset(&ks, 0, sizeof(ks));
	size_t cap = 200 + N_NAMES * 64, n = 0;
	char *text = malloc(cap);
	n += (size_t)snprintf(text + n, cap - n,
			      "$ORIGIN alice.example.\n$TTL 3600\n"
			      "@ IN SOA ns1 hostmaster 100 7200 3600 1209600 300\n"
			      "@ IN NS ns1\nns1 IN A 192.0.2.1\n");
	for (int i = 0; i < N_NAMES; i++)
		n += (size_t)snprintf(text + n, cap - n, "dev%d IN AAAA fd00::%x\n", i, i + 1);
	assert_int_equal(dns_zone_new(&f->z, "alice.example.", &ks), 0);
	assert_int_equal(dns_zone_load_text(f->z, text, time(NULL)), 0);
	free(text);
	assert_int_equal(dns_tsig_key_init(&f->key, KEYNAME, SECRET), 0);
	f->acl.v = calloc(1, sizeof(*f->acl.v));
	f->acl.n = 1;
	struct sockaddr_in *a = (struct sockaddr_in *)&f->acl.v[0].addr;
	uv_ip4_addr("127.0.0.2", 53, a);
	uv_ip4_addr("127.0.0.2", 40000, &f->allowed);
	uv_ip4_addr("127.0.0.3", 40000, &f->other);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	dns_zone_free(f->z);
	dns_tsig_key_wipe(&f->key);
	dns_acl_deinit(&f->acl);
	free(f);
	return 0;
}

/* An AXFR or IXFR query; soa_serial > 0 adds the IXFR authority SOA. */
static uint8_t *query(const char *zone, ldns_rr_type type, uint32_t soa_serial,
		      const char *keyname, const char *secret, size_t *len, ldns_rdf **mac)
{
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_pkt_query_new_frm_str(&p, zone, type, LDNS_RR_CLASS_IN, 0),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 777);
	if (soa_serial) {
		char t[200];
		snprintf(t, sizeof(t), "%s 0 IN SOA ns1.%s hostmaster.%s %u 1 1 1 1", zone, zone,
			 zone, soa_serial);
		ldns_rr *soa;
		assert_int_equal(ldns_rr_new_frm_str(&soa, t, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
	}
	if (keyname)
		assert_int_equal(ldns_pkt_tsig_sign(p, keyname, secret, 300, "hmac-sha256.", NULL),
				 LDNS_STATUS_OK);
	uint8_t *w;
	assert_int_equal(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	if (mac)
		*mac = keyname ? ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3)) : NULL;
	ldns_pkt_free(p);
	return w;
}

/* Parse every message, check TSIG chain when mac != NULL, return all answer RRs. */
static ldns_rr_list *gather(const struct msgs *ms, ldns_rdf *mac, int *rcode, int *tsig_err)
{
	ldns_rr_list *all = ldns_rr_list_new();
	ldns_rdf *prev = mac ? ldns_rdf_clone(mac) : NULL;
	*tsig_err = -1;
	for (size_t i = 0; i < ms->n; i++) {
		ldns_pkt *p;
		assert_int_equal(ldns_wire2pkt(&p, ms->m[i], ms->len[i]), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(p), 777);
		assert_true(ldns_pkt_qr(p));
		assert_int_equal(ldns_pkt_qdcount(p), i == 0 ? 1 : 0);
		*rcode = ldns_pkt_get_rcode(p);
		ldns_rr *t = ldns_pkt_tsig(p);
		if (t)
			*tsig_err = ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
		if (prev != NULL) {
			/* Signed request: every message is signed, chained to the one before. */
			assert_non_null(t);
			assert_true(ldns_pkt_tsig_verify_next(p, ms->m[i], ms->len[i], KEYNAME,
							      SECRET, prev, i > 0));
			ldns_rdf_deep_free(prev);
			prev = ldns_rdf_clone(ldns_rr_rdf(t, 3));
		}
		for (size_t k = 0; k < ldns_pkt_ancount(p); k++)
			ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_answer(p), k)));
		ldns_pkt_free(p);
	}
	ldns_rdf_deep_free(prev);
	return all;
}

static uint32_t soa_serial(const ldns_rr *rr)
{
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	return ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
}

static void test_axfr(void **state)
{
	struct fx *f = *state;
	size_t len;
	ldns_rdf *mac;
	struct msgs ms = { 0 };
	uint8_t *q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, KEYNAME, SECRET, &len, &mac);
	assert_true(dns_xfr_is_xfr(q, len));
	assert_int_equal(dns_xfr_answer(f->z, q, len, (struct sockaddr *)&f->allowed, true, &f->acl,
					&f->key, (uint64_t)time(NULL), collect, &ms), 0);
	assert_true(ms.n > 1);
	int rcode, te;
	ldns_rr_list *all = gather(&ms, mac, &rcode, &te);
	assert_int_equal(rcode, 0);
	assert_int_equal(te, 0);
	ldns_rr_list *want;
	assert_int_equal(dns_zone_axfr(f->z, &want), 0);
	assert_int_equal(ldns_rr_list_rr_count(all), ldns_rr_list_rr_count(want));
	assert_int_equal(ldns_rr_list_rr_count(all), N_NAMES + 4);
	size_t n = ldns_rr_list_rr_count(all);
	assert_int_equal(soa_serial(ldns_rr_list_rr(all, 0)), dns_zone_serial(f->z));
	assert_int_equal(soa_serial(ldns_rr_list_rr(all, n - 1)), dns_zone_serial(f->z));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ldns_rr_compare(ldns_rr_list_rr(all, i), ldns_rr_list_rr(want, i)), 0);
	ldns_rr_list_deep_free(all);
	ldns_rr_list_deep_free(want);
	ldns_rdf_deep_free(mac);
	msgs_free(&ms);
	free(q);
}

/* Run a transfer query that must be refused in one message; returns rcode. */
static int refused(struct fx *f, uint8_t *q, size_t len, struct sockaddr_in *from, bool tcp,
		   const struct dns_tsig_key *key, int *te)
{
	struct msgs ms = { 0 };
	int err = dns_xfr_answer(f->z, q, len, (struct sockaddr *)from, tcp, &f->acl, key,
				 (uint64_t)time(NULL), collect, &ms);
	assert_true(err != 0);
	assert_int_equal(ms.n, 1);
	int rcode;
	ldns_rr_list *all = gather(&ms, NULL, &rcode, te);
	assert_int_equal(ldns_rr_list_rr_count(all), 0);
	ldns_rr_list_deep_free(all);
	msgs_free(&ms);
	free(q);
	return rcode;
}

static void test_access(void **state)
{
	struct fx *f = *state;
	size_t len;
	int te;
	uint8_t *q;
	/* Not a [secondary]: REFUSED, even with the key. */
	q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, KEYNAME, SECRET, &len, NULL);
	assert_int_equal(refused(f, q, len, &f->other, true, &f->key, &te), LDNS_RCODE_REFUSED);
	assert_int_equal(te, 0);
	/* A [secondary] without TSIG while the zone has a key: REFUSED. */
	q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, NULL, NULL, &len, NULL);
	assert_int_equal(refused(f, q, len, &f->allowed, true, &f->key, &te), LDNS_RCODE_REFUSED);
	assert_int_equal(te, -1);
	/* Wrong secret / wrong key name: NOTAUTH with BADSIG / BADKEY. */
	q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, KEYNAME, WRONG_SECRET, &len, NULL);
	assert_int_equal(refused(f, q, len, &f->allowed, true, &f->key, &te), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 16);
	q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, "who.", SECRET, &len, NULL);
	assert_int_equal(refused(f, q, len, &f->allowed, true, &f->key, &te), LDNS_RCODE_NOTAUTH);
	assert_int_equal(te, 17);
	/* Another zone: NOTAUTH.  AXFR over UDP: NOTIMP. */
	q = query("bob.example.", LDNS_RR_TYPE_AXFR, 0, KEYNAME, SECRET, &len, NULL);
	assert_int_equal(refused(f, q, len, &f->allowed, true, &f->key, &te), LDNS_RCODE_NOTAUTH);
	q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, KEYNAME, SECRET, &len, NULL);
	assert_int_equal(refused(f, q, len, &f->allowed, false, &f->key, &te), LDNS_RCODE_NOTIMPL);
	/* No key configured: the address alone is enough. */
	struct msgs ms = { 0 };
	q = query("alice.example.", LDNS_RR_TYPE_AXFR, 0, NULL, NULL, &len, NULL);
	assert_int_equal(dns_xfr_answer(f->z, q, len, (struct sockaddr *)&f->allowed, true, &f->acl,
					NULL, (uint64_t)time(NULL), collect, &ms), 0);
	assert_true(ms.n > 1);
	msgs_free(&ms);
	free(q);
	/* Not a transfer query. */
	q = query("alice.example.", LDNS_RR_TYPE_SOA, 0, NULL, NULL, &len, NULL);
	assert_false(dns_xfr_is_xfr(q, len));
	free(q);
}

static void change(struct fx *f, const char *add, const char *del_owner)
{
	struct dns_changeset *cs = dns_changeset_new();
	ldns_rr *r;
	assert_int_equal(ldns_rr_new_frm_str(&r, add, 0, NULL, NULL), LDNS_STATUS_OK);
	assert_int_equal(dns_changeset_add(cs, r), 0);
	if (del_owner)
		assert_int_equal(dns_changeset_del_rrset(cs, ldns_dname_new_frm_str(del_owner),
							 LDNS_RR_TYPE_ANY), 0);
	uint32_t serial;
	assert_int_equal(dns_zone_apply(f->z, cs, time(NULL), &serial), 0);
	dns_changeset_free(cs);
}

static ldns_rr_list *ixfr(struct fx *f, uint32_t from, bool tcp, size_t *nmsg)
{
	size_t len;
	ldns_rdf *mac;
	struct msgs ms = { 0 };
	uint8_t *q = query("alice.example.", LDNS_RR_TYPE_IXFR, from, KEYNAME, SECRET, &len, &mac);
	assert_true(dns_xfr_is_xfr(q, len));
	assert_int_equal(dns_xfr_answer(f->z, q, len, (struct sockaddr *)&f->allowed, tcp, &f->acl,
					&f->key, (uint64_t)time(NULL), collect, &ms), 0);
	int rcode, te;
	ldns_rr_list *all = gather(&ms, mac, &rcode, &te);
	assert_int_equal(rcode, 0);
	assert_int_equal(te, 0);
	*nmsg = ms.n;
	msgs_free(&ms);
	ldns_rdf_deep_free(mac);
	free(q);
	return all;
}

static void test_ixfr(void **state)
{
	struct fx *f = *state;
	size_t nmsg;
	uint32_t s0 = dns_zone_serial(f->z);

	/* Up to date: the single current SOA. */
	ldns_rr_list *l = ixfr(f, s0, true, &nmsg);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, 0)), s0);
	ldns_rr_list_deep_free(l);

	change(f, "new1.alice.example. 300 IN AAAA fd00::aaaa", "dev7.alice.example.");
	uint32_t s1 = dns_zone_serial(f->z);
	change(f, "new2.alice.example. 300 IN AAAA fd00::bbbb", NULL);
	uint32_t s2 = dns_zone_serial(f->z);

	/* Incremental: cur SOA, (old SOA, removed, new SOA, added)*, cur SOA. */
	l = ixfr(f, s0, true, &nmsg);
	size_t n = ldns_rr_list_rr_count(l);
	assert_true(n < 40);	/* a diff, not the zone */
	assert_int_equal(nmsg, 1);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, 0)), s2);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, 1)), s0);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, n - 1)), s2);
	bool saw_s1 = false, saw_new2 = false;
	for (size_t i = 0; i < n; i++) {
		ldns_rr *r = ldns_rr_list_rr(l, i);
		if (ldns_rr_get_type(r) == LDNS_RR_TYPE_SOA && soa_serial(r) == s1)
			saw_s1 = true;
		char *o = ldns_rdf2str(ldns_rr_owner(r));
		if (strcmp(o, "new2.alice.example.") == 0)
			saw_new2 = true;
		free(o);
	}
	assert_true(saw_s1);
	assert_true(saw_new2);
	ldns_rr_list_deep_free(l);

	/* From a serial the journal never held: the whole zone, AXFR form. */
	l = ixfr(f, s0 - 1000, true, &nmsg);
	n = ldns_rr_list_rr_count(l);
	assert_true(n > N_NAMES);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, 0)), s2);
	assert_int_not_equal(ldns_rr_get_type(ldns_rr_list_rr(l, 1)), LDNS_RR_TYPE_SOA);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, n - 1)), s2);
	ldns_rr_list_deep_free(l);

	/* Over UDP: the single current SOA, whatever the client has. */
	l = ixfr(f, s0, false, &nmsg);
	assert_int_equal(ldns_rr_list_rr_count(l), 1);
	assert_int_equal(soa_serial(ldns_rr_list_rr(l, 0)), s2);
	ldns_rr_list_deep_free(l);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *q = query("alice.example.", LDNS_RR_TYPE_IXFR, 5, KEYNAME, SECRET, &len, NULL);
	struct msgs ms = { 0 };
	for (size_t cut = 0; cut < len; cut++) {
		(void)dns_xfr_answer(f->z, q, cut, (struct sockaddr *)&f->allowed, true, &f->acl,
				     &f->key, (uint64_t)time(NULL), collect, &ms);
		assert_true(ms.n <= 1);
		msgs_free(&ms);
	}
	free(q);
}

/* ---- NOTIFY ---- */

struct sec {
	uv_udp_t udp;
	struct sockaddr_in addr;
	unsigned received;
	unsigned ignore_first;	/* how many NOTIFYs to leave unanswered */
	const struct dns_tsig_key *key;
	uint8_t buf[2048];
};

static void sec_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
	struct sec *sc = h->data;
	*b = uv_buf_init((char *)sc->buf, sizeof(sc->buf));
}

static void sec_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
		     unsigned flags)
{
	struct sec *sc = u->data;
	if (n <= 0 || from == NULL)
		return;
	const uint8_t *m = (const uint8_t *)b->base;
	sc->received++;
	/* What a secondary checks: opcode NOTIFY, AA, the zone, a valid TSIG. */
	assert_int_equal((m[2] >> 3) & 0x0f, DNS_OPCODE_NOTIFY);
	assert_true(m[2] & 0x04);
	struct dns_tsig_state st;
	assert_int_equal(dns_tsig_verify(m, (size_t)n, sc->key, 1, (uint64_t)time(NULL), &st), 0);
	assert_true(st.present);
	ldns_pkt *p;
	assert_int_equal(ldns_wire2pkt(&p, m, (size_t)n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_int_equal(ldns_rr_get_type(ldns_pkt_answer(p)->_rrs[0]), LDNS_RR_TYPE_SOA);
	ldns_pkt_free(p);
	if (sc->received <= sc->ignore_first)
		return;
	uint8_t out[1024];
	size_t len;
	struct dns__scan scan;
	assert_int_equal(dns__msg_scan(m, (size_t)n, &scan), 0);
	assert_int_equal(dns__reply_start(m, scan.question_end, 1, 0, out, sizeof(out), &len), 0);
	assert_int_equal(dns_tsig_sign(out, &len, sizeof(out), &st, (uint64_t)time(NULL)), 0);
	uv_buf_t ob = uv_buf_init((char *)out, (unsigned)len);
	assert_true(uv_udp_try_send(u, &ob, 1, from) == (int)len);
}

static void sec_open(uv_loop_t *loop, struct sec *sc)
{
	sc->udp.data = sc;
	assert_int_equal(uv_udp_init(loop, &sc->udp), 0);
	uv_ip4_addr("127.0.0.1", 0, &sc->addr);
	assert_int_equal(uv_udp_bind(&sc->udp, (struct sockaddr *)&sc->addr, 0), 0);
	int nl = sizeof(sc->addr);
	assert_int_equal(uv_udp_getsockname(&sc->udp, (struct sockaddr *)&sc->addr, &nl), 0);
	assert_int_equal(uv_udp_recv_start(&sc->udp, sec_alloc, sec_recv), 0);
}

struct poll {
	struct dns_notify *n;
	unsigned want_acked, want_gave_up;
	bool done;
};

static void poll_cb(uv_timer_t *t)
{
	struct poll *p = t->data;
	unsigned acked, gave_up;
	dns_notify_counts(p->n, &acked, &gave_up);
	if (acked >= p->want_acked && gave_up >= p->want_gave_up) {
		p->done = true;
		uv_timer_stop(t);
	}
}

static void deadline_cb(uv_timer_t *t) { uv_stop(t->loop); }

static void test_notify(void **state)
{
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct dns_tsig_key key;
	assert_int_equal(dns_tsig_key_init(&key, KEYNAME, SECRET), 0);
	struct sec answers = { .ignore_first = 1, .key = &key };
	struct sec silent = { .ignore_first = 1000, .key = &key };
	sec_open(&loop, &answers);
	sec_open(&loop, &silent);

	struct dns_acl acl;
	memset(&acl, 0, sizeof(acl));
	acl.n = 3;
	acl.v = calloc(3, sizeof(*acl.v));
	memcpy(&acl.v[0].addr, &answers.addr, sizeof(answers.addr));
	acl.v[0].notify = true;
	memcpy(&acl.v[1].addr, &silent.addr, sizeof(silent.addr));
	acl.v[1].notify = true;
	memcpy(&acl.v[2].addr, &silent.addr, sizeof(silent.addr));
	acl.v[2].notify = false;	/* listed for transfers only: never notified */

	uint64_t saved = dns_notify_retry_iv.ms;
	dns_notify_retry_iv.ms = 20;
	struct dns_notify *n;
	assert_int_equal(dns_notify_new(&loop, &acl, &key, &n), 0);
	dns_acl_deinit(&acl);

	ldns_rr *soa;
	assert_int_equal(ldns_rr_new_frm_str(&soa, "alice.example. 300 IN SOA ns1.alice.example. "
					     "h.alice.example. 42 1 1 1 1", 0, NULL, NULL),
			 LDNS_STATUS_OK);
	uint8_t *soa_wire;
	size_t soa_len;
	assert_int_equal(ldns_rr2wire(&soa_wire, soa, LDNS_SECTION_ANSWER, &soa_len), LDNS_STATUS_OK);
	dns_notify_zone_changed(n, (const uint8_t *)"\x05" "alice" "\x07" "example", 15, soa_wire,
				soa_len);

	struct poll p = { .n = n, .want_acked = 1, .want_gave_up = 1 };
	uv_timer_t poll, deadline;
	uv_timer_init(&loop, &poll);
	uv_timer_init(&loop, &deadline);
	poll.data = &p;
	uv_timer_start(&poll, poll_cb, 5, 5);
	uv_timer_start(&deadline, deadline_cb, 20000, 0);
	while (!p.done && uv_run(&loop, UV_RUN_ONCE) && uv_is_active((uv_handle_t *)&deadline))
		;
	assert_true(p.done);
	unsigned acked, gave_up;
	dns_notify_counts(n, &acked, &gave_up);
	assert_int_equal(acked, 1);
	assert_int_equal(gave_up, 1);
	assert_int_equal(answers.received, 2);	/* first ignored, retry answered, then quiet */
	assert_int_equal(silent.received, DNS_NOTIFY_TRIES);

	dns_notify_close(n);
	uv_close((uv_handle_t *)&poll, NULL);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_close((uv_handle_t *)&answers.udp, NULL);
	uv_close((uv_handle_t *)&silent.udp, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	dns_notify_retry_iv.ms = saved;
	free(soa_wire);
	ldns_rr_free(soa);
	dns_tsig_key_wipe(&key);
}

static void test_notify_messages(void **state)
{
	/* Pure builders: a NOTIFY and the checks on its reply. */
	struct dns_tsig_key key;
	assert_int_equal(dns_tsig_key_init(&key, KEYNAME, SECRET), 0);
	const uint8_t zone[] = "\x05" "alice" "\x07" "example";
	uint8_t msg[1024], rep[1024];
	size_t len, rlen;
	struct dns_tsig_state cst, sst;
	assert_int_equal(dns_notify_create(msg, sizeof(msg), &len, 99, zone, 15, NULL, 0, &key,
					   (uint64_t)time(NULL), &cst), 0);
	assert_int_equal(dns_tsig_verify(msg, len, &key, 1, (uint64_t)time(NULL), &sst), 0);
	struct dns__scan sc;
	assert_int_equal(dns__msg_scan(msg, len, &sc), 0);
	assert_int_equal(dns__reply_start(msg, sc.question_end, 1, 0, rep, sizeof(rep), &rlen), 0);
	/* Unsigned reply to a signed NOTIFY: not taken. */
	assert_int_equal(dns_notify_consume_reply(rep, rlen, 99, zone, 15, &cst, time(NULL)), SP_EAUTH);
	assert_int_equal(dns_tsig_sign(rep, &rlen, sizeof(rep), &sst, (uint64_t)time(NULL)), 0);
	assert_int_equal(dns_notify_consume_reply(rep, rlen, 98, zone, 15, &cst, time(NULL)), SP_EPROTO);
	assert_int_equal(dns_notify_consume_reply(rep, rlen, 99, zone, 15, &cst, time(NULL)), 0);
	dns_tsig_key_wipe(&key);
}

static void test_acl(void **state)
{
	static const char conf[] =
		"[node]\nrole = signpost\nzone = alice.example.\n"
		"[dns]\nlisten = 0.0.0.0, 127.0.0.5,::1\n"
		"[secondary]\naddress = 192.0.2.53\n"
		"[secondary]\naddress = 2001:db8::53\nport = 5353\nnotify = no\n";
	struct sp_config *cfg = NULL;
	assert_int_equal(sp_config_parse("acl.conf", conf, strlen(conf), &cfg), 0);
	struct dns_acl acl;
	assert_int_equal(dns_acl_init(&acl, cfg), 0);
	assert_int_equal(acl.n, 2);
	assert_true(acl.v[0].notify);
	assert_false(acl.v[1].notify);
	assert_int_equal(ntohs(((struct sockaddr_in *)&acl.v[0].addr)->sin_port), 53);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&acl.v[1].addr)->sin6_port), 5353);
	/* NOTIFY goes out from the first specific listen address of each family. */
	char src[80];
	assert_true(acl.has_src4 && acl.has_src6);
	assert_string_equal(dns_acl_addr_str((struct sockaddr *)&acl.src4, src, sizeof(src)),
			    "127.0.0.5#0");
	assert_string_equal(dns_acl_addr_str((struct sockaddr *)&acl.src6, src, sizeof(src)),
			    "::1#0");

	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	uv_ip4_addr("192.0.2.53", 40000, &v4);	/* any source port */
	assert_true(dns_acl_allows(&acl, (struct sockaddr *)&v4));
	uv_ip4_addr("192.0.2.54", 53, &v4);
	assert_false(dns_acl_allows(&acl, (struct sockaddr *)&v4));
	uv_ip6_addr("::ffff:192.0.2.53", 1, &v6);	/* v4-mapped, as a dual-stack socket sees it */
	assert_true(dns_acl_allows(&acl, (struct sockaddr *)&v6));
	uv_ip6_addr("2001:db8::53", 1, &v6);
	assert_true(dns_acl_allows(&acl, (struct sockaddr *)&v6));
	uv_ip6_addr("2001:db8::54", 1, &v6);
	assert_false(dns_acl_allows(&acl, (struct sockaddr *)&v6));
	assert_false(dns_acl_allows(&acl, NULL));
	char buf[80];
	assert_string_equal(dns_acl_addr_str((struct sockaddr *)&v6, buf, sizeof(buf)),
			    "2001:db8::54#1");
	dns_acl_deinit(&acl);
	sp_config_free(cfg);
}

int main(void)
{
	/* The DNS planes' sections, composed as signpostd does. */
	static const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema };
	if (sp_config_schema_compose(frags, 2) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_axfr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ixfr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_notify_messages),
		cmocka_unit_test(test_acl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
