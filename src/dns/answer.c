/*
 * answer.c - building responses, the prebuilt-answer cache, and the
 * UDP size limit / TC handling.
 */
#include "dns/answer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <sodium.h>

#include "dns/zone_impl.h"

#define TYPE_OPT 41
#define OPT_LEN 11		/* root, type, class, TTL, RDLENGTH 0 */
#define KF_DO 1
#define KF_EDNS 2
#define KF_CO 4

/* ---- the answer cache --------------------------------------------------- */

/*
 * One array of DNS_ANSWER_CACHE_SLOTS, direct-mapped, in two regions: answers
 * for names that exist (positive, NODATA, empty non-terminals: a bounded set)
 * in the first, answers for names that do not exist (one per random name in
 * a flood, rarely asked twice) in the last DNS_ANSWER_NEG_SLOTS, so that such
 * a flood only evicts other denials, never the answers for real names.
 */
#define POS_SLOTS (DNS_ANSWER_CACHE_SLOTS - DNS_ANSWER_NEG_SLOTS)

enum acache_region { AC_NONE, AC_POS, AC_NEG };

static size_t acache_slot(uint32_t h, enum acache_region r)
{
	return r == AC_NEG ? POS_SLOTS + h % DNS_ANSWER_NEG_SLOTS : h % POS_SLOTS;
}

static uint32_t acache_hash(const struct dns_zone *z, const uint8_t *qname, size_t qlen,
			    uint16_t qtype, uint8_t kf)
{
	uint8_t in[DNS_NAME_MAXLEN + 3], out[crypto_shorthash_BYTES];
	memcpy(in, qname, qlen);
	in[qlen] = (uint8_t)(qtype >> 8);
	in[qlen + 1] = (uint8_t)qtype;
	in[qlen + 2] = kf;
	crypto_shorthash(out, in, qlen + 3, z->acache_key);
	uint32_t h;
	memcpy(&h, out, sizeof(h));
	return h;
}

void dns__acache_flush(struct dns_zone *z)
{
	if (z->acache == NULL)
		return;
	for (size_t i = 0; i < DNS_ANSWER_CACHE_SLOTS; i++) {
		free(z->acache[i]);
		z->acache[i] = NULL;
	}
}

static bool acache_match(const struct dns__acache_entry *e, uint32_t h,
			 const struct dns_query *q, uint8_t kf)
{
	return e && e->hash == h && e->qtype == q->qtype && e->kflags == kf &&
	       e->qname_len == q->qname_len && memcmp(e->qname, q->qname, q->qname_len) == 0;
}

/* The cached answer in either region (whether the name exists is not known yet). */
static const struct dns__acache_entry *acache_get(const struct dns_zone *z, uint32_t h,
						  const struct dns_query *q, uint8_t kf)
{
	if (z->acache == NULL)
		return NULL;
	const struct dns__acache_entry *e = z->acache[acache_slot(h, AC_POS)];
	if (acache_match(e, h, q, kf))
		return e;
	e = z->acache[acache_slot(h, AC_NEG)];
	return acache_match(e, h, q, kf) ? e : NULL;
}

static void acache_put(struct dns_zone *z, enum acache_region region, uint32_t h,
		       const struct dns_query *q, uint8_t kf, const uint8_t *wire, size_t len)
{
	if (region == AC_NONE)
		return;
	if (z->acache == NULL) {
		z->acache = calloc(DNS_ANSWER_CACHE_SLOTS, sizeof(*z->acache));
		if (z->acache == NULL)
			return;
	}
	struct dns__acache_entry *e = malloc(sizeof(*e) + len);
	if (e == NULL)
		return;
	e->hash = h;
	e->qtype = q->qtype;
	e->kflags = kf;
	e->qname_len = q->qname_len;
	memcpy(e->qname, q->qname, q->qname_len);
	e->len = (uint16_t)len;
	memcpy(e->wire, wire, len);
	size_t slot = acache_slot(h, region);
	free(z->acache[slot]);	/* a collision replaces the older answer of its region */
	z->acache[slot] = e;
}

/* ---- response writing ---------------------------------------------------- */

struct resp {
	struct dns_wbuf b;
	const uint8_t *qname;	/* lowercase, written at offset 12 */
	size_t qoff[128];	/* offsets of the qname's labels (compression targets) */
	size_t nq;
	uint16_t an, ns, ar;
};

static void resp_init(struct resp *r, uint8_t *buf, size_t cap, const uint8_t *qname)
{
	dns_wbuf_init(&r->b, buf, cap);
	r->qname = qname;
	r->nq = 0;
	r->an = r->ns = r->ar = 0;
	for (size_t p = 0; p < DNS_NAME_MAXLEN && qname[p] && r->nq < 128; p += 1u + qname[p])
		r->qoff[r->nq++] = p;
}

/* Write name, compressed against the qname's suffixes in the question. */
static void put_name(struct resp *r, const uint8_t *name)
{
	for (size_t p = 0;; p += 1u + name[p]) {
		for (size_t k = 0; k < r->nq; k++)
			if (dns_name_equal(name + p, r->qname + r->qoff[k])) {
				dns_wbuf_bytes(&r->b, name, p);
				dns_wbuf_u16(&r->b, (uint16_t)(0xc000 | (DNS_HEADER_LEN + r->qoff[k])));
				return;
			}
		if (name[p] == 0 || p >= DNS_NAME_MAXLEN)
			break;
	}
	dns_wbuf_bytes(&r->b, name, dns_name_len(name));
}

static bool blob_add(ldns_buffer *b, const ldns_rr *rr)
{
	/* ldns's fixed-size writes do not grow the buffer: reserve first. */
	if (!ldns_buffer_reserve(b, 12))
		return false;
	size_t at = ldns_buffer_position(b);
	ldns_buffer_write_u16(b, 0);
	ldns_buffer_write_u16(b, ldns_rr_get_type(rr));
	ldns_buffer_write_u16(b, LDNS_RR_CLASS_IN);
	ldns_buffer_write_u32(b, ldns_rr_ttl(rr));
	size_t rdat = ldns_buffer_position(b);
	ldns_buffer_write_u16(b, 0);
	if (ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK || !ldns_buffer_status_ok(b))
		return false;
	size_t rdlen = ldns_buffer_position(b) - rdat - 2;
	if (rdlen > 65535 - 10)
		return false;
	ldns_buffer_write_u16_at(b, rdat, (uint16_t)rdlen);
	ldns_buffer_write_u16_at(b, at, (uint16_t)(rdlen + 10));
	return true;
}

/* Wire form of an RRset and its signatures, made once per version. */
static int rrset_blob(struct dns__rrset *s)
{
	if (s->blob)
		return 0;
	ldns_buffer *b = ldns_buffer_new(512);
	if (b == NULL)
		return -ENOMEM;
	bool ok = true;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(s->rrs); i++)
		ok = blob_add(b, ldns_rr_list_rr(s->rrs, i));
	for (unsigned k = 0; ok && k < s->nsig; k++)
		ok = blob_add(b, s->sigs[k]);
	int rc = SP_ELDNS;
	if (ok && ldns_buffer_position(b) <= UINT32_MAX) {
		s->blob_len = (uint32_t)ldns_buffer_position(b);
		s->blob = malloc(s->blob_len ? s->blob_len : 1);
		rc = s->blob ? 0 : -ENOMEM;
		if (s->blob)
			memcpy(s->blob, ldns_buffer_begin(b), s->blob_len);
	}
	ldns_buffer_free(b);
	return rc;
}

/* The RRset at owner (and its RRSIGs if dnssec), optionally with another TTL. */
static void put_rrset(struct resp *r, const uint8_t *owner, const struct dns__rrset *cs,
		      bool dnssec, uint16_t *count, const uint32_t *ttl_override)
{
	struct dns__rrset *s = (struct dns__rrset *)cs;	/* the blob is a cache */
	if (rrset_blob(s) != 0) {
		r->b.err = SP_ELDNS;
		return;
	}
	size_t nrr = ldns_rr_list_rr_count(s->rrs), n = dnssec ? nrr + s->nsig : nrr;
	const uint8_t *p = s->blob;
	for (size_t i = 0; i < n; i++) {
		uint16_t len = (uint16_t)(p[0] << 8 | p[1]);
		put_name(r, owner);
		size_t at = r->b.pos;
		dns_wbuf_bytes(&r->b, p + 2, len);
		if (ttl_override && !r->b.err) {
			uint32_t t = *ttl_override;
			uint8_t *tp = r->b.base + at + 4;
			tp[0] = (uint8_t)(t >> 24), tp[1] = (uint8_t)(t >> 16);
			tp[2] = (uint8_t)(t >> 8), tp[3] = (uint8_t)t;
		}
		(*count)++;
		p += 2 + len;
	}
}

static void put_opt(struct resp *r, uint16_t payload, uint8_t ext_rcode, uint16_t eflags)
{
	dns_wbuf_u8(&r->b, 0);
	dns_wbuf_u16(&r->b, TYPE_OPT);
	dns_wbuf_u16(&r->b, payload);
	dns_wbuf_u32(&r->b, (uint32_t)ext_rcode << 24 | eflags);
	dns_wbuf_u16(&r->b, 0);
	r->ar++;
}

static void put_header(struct dns_wbuf *b, const struct dns_query *q, uint16_t flags)
{
	dns_wbuf_u16(b, q->id);
	dns_wbuf_u16(b, flags);
	dns_wbuf_u16(b, q->has_question ? 1 : 0);
	dns_wbuf_u16(b, 0);
	dns_wbuf_u16(b, 0);
	dns_wbuf_u16(b, 0);
}

int dns_answer_error(const struct dns_query *q, uint8_t rcode, uint16_t udp_payload,
		     uint8_t *out, size_t cap, size_t *len)
{
	struct resp r;
	resp_init(&r, out, cap, q->qname);
	uint16_t flags = DNS_FLAG_QR | (uint16_t)(q->opcode << 11) |
			 (q->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | (rcode & 0xf);
	put_header(&r.b, q, flags);
	if (q->has_question) {
		dns_wbuf_bytes(&r.b, q->qname_orig, q->qname_len);
		dns_wbuf_u16(&r.b, q->qtype);
		dns_wbuf_u16(&r.b, q->qclass);
	}
	if (q->edns) {
		put_opt(&r, udp_payload ? udp_payload : DNS_UDP_PAYLOAD_DEFAULT,
			(uint8_t)(rcode >> 4), q->edns_flags & DNS_EDNS_DO);
		dns_wbuf_put_u16_at(&r.b, 10, r.ar);
	}
	if (r.b.err)
		return r.b.err;
	*len = r.b.pos;
	return 0;
}

/* ---- denial (compact, RFC 9824) ------------------------------------------ */

#define NS_PER_MS 1000000ull

/* The denial budget: per second, a bucket of one second; shares keyed by /24 and /56. */
static struct sp_rl_conf deny_conf(uint32_t per_second)
{
	return (struct sp_rl_conf){ .rate = per_second ? per_second : 1,
				    .burst = per_second ? per_second : 1,
				    .v4_bits = 24, .v6_bits = 56 };
}

/* Take a token from the source prefix's share of the denial budget. */
static bool deny_share_take(struct dns_zone *z, const struct sockaddr *peer, uint64_t now_ms)
{
	if (peer == NULL)
		return true;
	if (z->shares.e == NULL) {
		struct sp_rl_conf c = deny_conf(z->denial_rate / DNS_ANSWER_DENY_SHARE_DIV);
		if (sp_rl_init(&z->shares, DNS_ANSWER_DENY_SHARES, &c) < 0)
			return true;	/* the global bucket still applies */
	}
	/* A newcomer evicts the least recently seen prefix of its set; not IP: no share. */
	return sp_rl_take(&z->shares, peer, now_ms * NS_PER_MS, NULL) != SP_RL_LIMITED;
}

/*
 * Write the compact-denial NSEC at the qname and its RRSIG(s).  sig_cache
 * (node-owned, may be NULL) keeps the signatures of a NODATA at an existing
 * name.  Returns false if the signing budget is exhausted.
 */
static bool put_denial(struct dns_zone *z, struct resp *r, const uint16_t *types, size_t nt,
		       struct dns__node *node, time_t now, uint64_t now_ms,
		       const struct sockaddr *peer, uint16_t *count)
{
	const struct dns__version *v = z->v;
	uint8_t rdata[DNS_NAME_MAXLEN + 2 + 34 * 16];
	size_t rdlen = dns_denial_nsec_rdata(r->qname, types, nt, rdata, sizeof(rdata));
	if (rdlen == 0) {
		r->b.err = SP_ETRUNC;
		return true;
	}
	put_name(r, r->qname);
	dns_wbuf_u16(&r->b, LDNS_RR_TYPE_NSEC);
	dns_wbuf_u16(&r->b, LDNS_RR_CLASS_IN);
	dns_wbuf_u32(&r->b, v->neg_ttl);
	dns_wbuf_u16(&r->b, (uint16_t)rdlen);
	dns_wbuf_bytes(&r->b, rdata, rdlen);
	(*count)++;

	bool cached = node && node->ndeny > 0 &&
		      (int64_t)node->deny_expire - (int64_t)now > SIG_REFRESH;
	if (!cached) {
		struct sp_rl_conf budget = deny_conf(z->denial_rate);
		if (!z->bucket_ready) {
			sp_rl_bucket_init(&z->bucket, &budget, now_ms * NS_PER_MS);
			z->bucket_ready = true;
		}
		/* The source's share first: a flood from one prefix stops there. */
		if (!deny_share_take(z, peer, now_ms) ||
		    !sp_rl_bucket_take(&z->bucket, &budget, now_ms * NS_PER_MS))
			return false;
		/* A refresh replaces the signatures made a week ago: free them first. */
		for (unsigned i = 0; node && i < node->ndeny; i++) {
			free(node->deny_sig[i]);
			node->deny_sig[i] = NULL;
		}
		if (node)
			node->ndeny = 0;
	}
	uint8_t labels = (uint8_t)dns_name_labels(r->qname);
	if (r->qname[0] == 1 && r->qname[1] == '*')
		labels--;
	struct dns_sig_hdr h = {
		.type_covered = LDNS_RR_TYPE_NSEC, .labels = labels, .orig_ttl = v->neg_ttl,
		.inception = (uint32_t)(now - SIG_INCEPTION_BACKDATE),
		.expiration = (uint32_t)(now + SIG_LIFETIME),
	};
	const uint8_t *rdp[1] = { rdata };
	uint16_t rdl[1] = { (uint16_t)rdlen };
	unsigned made = 0;
	for (unsigned k = 0; k < z->keys.n; k++) {
		if (!dns_key_signs_zone(&z->keys, k))
			continue;
		uint8_t sig[18 + DNS_NAME_MAXLEN + DNS_SIG_MAXLEN];
		const uint8_t *sp = sig;
		size_t slen = 0;
		if (cached) {
			if (made >= node->ndeny)
				break;
			sp = node->deny_sig[made];
			slen = node->deny_sig_len[made];
		} else {
			if (dns_sign_wire(&z->keys.key[k], z->origin_wire, r->qname, &h, rdp, rdl, 1,
					  sig, sizeof(sig), &slen) != 0) {
				r->b.err = SP_ECRYPTO;
				return true;
			}
			z->st.sigs_denial++;
			if (node && made < DNS_KEYS_MAX) {
				node->deny_sig[made] = malloc(slen);
				if (node->deny_sig[made]) {
					memcpy(node->deny_sig[made], sig, slen);
					node->deny_sig_len[made] = (uint16_t)slen;
					node->ndeny = made + 1;
					node->deny_expire = h.expiration;
				}
			}
		}
		made++;
		put_name(r, r->qname);
		dns_wbuf_u16(&r->b, LDNS_RR_TYPE_RRSIG);
		dns_wbuf_u16(&r->b, LDNS_RR_CLASS_IN);
		dns_wbuf_u32(&r->b, v->neg_ttl);
		dns_wbuf_u16(&r->b, (uint16_t)slen);
		dns_wbuf_bytes(&r->b, sp, slen);
		(*count)++;
	}
	return true;
}

/* Sorted types at node plus RRSIG and NSEC (and NXNAME for a non-existent name). */
static size_t denial_types(const struct dns__node *n, bool nxname, uint16_t *t, size_t max)
{
	size_t c = 0;
	uint16_t extra[3] = { LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_NSEC, DNS_TYPE_NXNAME };
	size_t ne = nxname ? 3 : 2, e = 0;
	unsigned k = 0, nk = n ? n->nsets : 0;
	while ((k < nk || e < ne) && c < max) {
		if (e < ne && (k == nk || extra[e] < n->sets[k].type))
			t[c++] = extra[e++];
		else if (e < ne && n->sets[k].type == extra[e])
			k++;
		else
			t[c++] = n->sets[k++].type;
	}
	return c;
}

/* ---- building a full answer ----------------------------------------------- */

static const struct dns__rrset *find_set(const struct dns__node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nsets; i++)
		if (n->sets[i].type == type)
			return &n->sets[i];
	return NULL;
}

/*
 * Build the response into buf (ID 0, RD/CD clear).  *region: where to cache
 * it, AC_NONE for SERVFAIL, AC_NEG when the name does not exist.
 */
static int build(struct dns_zone *z, const struct dns_query *q, uint8_t kf, uint8_t *buf,
		 size_t cap, size_t *len, uint64_t now_ms, const struct sockaddr *peer,
		 enum acache_region *region)
{
	const struct dns__version *v = z->v;
	bool dnssec = (kf & KF_DO) && z->keys.n > 0;
	time_t now = (time_t)(now_ms / 1000);
	struct resp r;
	resp_init(&r, buf, cap, q->qname);
	uint8_t rcode = DNS_RC_NOERROR;
	dns_wbuf_bytes(&r.b, (uint8_t[DNS_HEADER_LEN]){ 0 }, DNS_HEADER_LEN);
	dns_wbuf_bytes(&r.b, q->qname, q->qname_len);
	dns_wbuf_u16(&r.b, q->qtype);
	dns_wbuf_u16(&r.b, q->qclass);
	*region = AC_NONE;

	size_t ins = 0;
	struct dns__node *node = (struct dns__node *)dns__version_find(v, q->qname, &ins);
	const struct dns__rrset *apex_soa = find_set(&v->nodes[0], LDNS_RR_TYPE_SOA);
	const struct dns__rrset *s = NULL;
	if (node) {
		s = q->qtype == LDNS_RR_TYPE_ANY ? &node->sets[0] : find_set(node, q->qtype);
		if (s == NULL)
			s = find_set(node, LDNS_RR_TYPE_CNAME);
	}
	bool exists = node != NULL ||
		      (ins < v->nnodes && dns_name_is_sub(v->nodes[ins].wire, q->qname));
	uint16_t types[80];
	size_t nt = denial_types(node, !exists, types, 80);
	bool denied = true;
	if (s) {
		put_rrset(&r, node->wire, s, dnssec, &r.an, NULL);
	} else if (dnssec && q->qtype == LDNS_RR_TYPE_NSEC) {
		/* Asked for the NSEC itself: the one a signed zone would have here is the compact one. */
		denied = put_denial(z, &r, types, nt, node, now, now_ms, peer, &r.an);
	} else {
		if (!exists && (!dnssec || (kf & KF_CO)))
			rcode = DNS_RC_NXDOMAIN;
		put_rrset(&r, v->nodes[0].wire, apex_soa, dnssec, &r.ns, &v->neg_ttl);
		if (dnssec)
			denied = put_denial(z, &r, types, nt, node, now, now_ms, peer, &r.ns);
	}
	if (!denied) {
		z->st.denial_limited++;
		return dns_answer_error(q, DNS_RC_SERVFAIL, z->udp_payload, buf, cap, len);
	}
	if (kf & KF_EDNS)
		put_opt(&r, z->udp_payload, 0,
			(uint16_t)((kf & KF_DO ? DNS_EDNS_DO : 0) | (kf & KF_CO ? DNS_EDNS_CO : 0)));
	if (r.b.err)
		return dns_answer_error(q, DNS_RC_SERVFAIL, z->udp_payload, buf, cap, len);
	dns_wbuf_put_u16_at(&r.b, 2, (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA | rcode));
	dns_wbuf_put_u16_at(&r.b, 4, 1);
	dns_wbuf_put_u16_at(&r.b, 6, r.an);
	dns_wbuf_put_u16_at(&r.b, 8, r.ns);
	dns_wbuf_put_u16_at(&r.b, 10, r.ar);
	*len = r.b.pos;
	*region = exists ? AC_POS : AC_NEG;
	return 0;
}

/* Copy a prebuilt response for q, cutting it to header+question(+OPT) with TC if too big. */
static int emit(const struct dns_zone *z, const struct dns_query *q, const uint8_t *wire,
		size_t wlen, uint8_t *out, size_t cap, size_t *len, bool tcp)
{
	size_t limit = q->edns ? (q->edns_payload < z->udp_payload ? q->edns_payload
								  : z->udp_payload)
			       : DNS_UDP_PAYLOAD_NOEDNS;
	if (tcp)
		limit = 65535;
	if (limit > cap)
		limit = cap;
	size_t qend = DNS_HEADER_LEN + q->qname_len + 4;
	if (wlen <= limit) {
		memcpy(out, wire, wlen);
		*len = wlen;
	} else {
		memcpy(out, wire, qend);
		out[2] |= DNS_FLAG_TC >> 8;
		memset(out + 6, 0, 6);
		*len = qend;
		if (q->edns) {
			/* The OPT is always the last record of what we build. */
			memcpy(out + qend, wire + wlen - OPT_LEN, OPT_LEN);
			out[11] = 1;
			*len += OPT_LEN;
		}
	}
	out[0] = (uint8_t)(q->id >> 8);
	out[1] = (uint8_t)q->id;
	out[2] |= (uint8_t)((q->flags & DNS_FLAG_RD) >> 8);
	out[3] |= (uint8_t)(q->flags & DNS_FLAG_CD);
	memcpy(out + DNS_HEADER_LEN, q->qname_orig, q->qname_len);	/* 0x20 echo */
	return 0;
}

/*
 * dns_zone_contains() for a parsed question, on the hot path: the parser
 * lowercased the qname and measured it, and the origin is canonical, so a
 * walk to the suffix of the origin's length and one memcmp decide.
 */
static bool qname_in_zone(const struct dns_zone *z, const struct dns_query *q)
{
	size_t olen = ldns_rdf_size(z->origin), p = 0;

	while (q->qname_len - p > olen && q->qname[p] != 0)
		p += 1u + q->qname[p];
	return q->qname_len - p == olen && memcmp(q->qname + p, z->origin_wire, olen) == 0;
}

static bool qtype_is_meta(uint16_t t)
{
	return t == TYPE_OPT || (t >= 128 && t <= 254) || t == 0;
}

int dns_answer(struct dns_zone *z, const struct dns_query *q, uint8_t *out, size_t cap,
	       size_t *len, const struct dns_answer_ctx *ctx)
{
	if (cap < DNS_UDP_PAYLOAD_NOEDNS)
		return SP_ETRUNC;
	uint8_t rc = q->rcode;
	if (rc == DNS_RC_NOERROR) {
		if (q->opcode != DNS_OP_QUERY)
			rc = DNS_RC_NOTIMP;
		else if (!q->has_question)
			rc = DNS_RC_FORMERR;
		else if (q->qclass != LDNS_RR_CLASS_IN)
			rc = DNS_RC_REFUSED;
		else if (z->v == NULL || !qname_in_zone(z, q))
			rc = DNS_RC_REFUSED;
		else if (qtype_is_meta(q->qtype))
			rc = DNS_RC_NOTIMP;	/* AXFR/IXFR are routed before; others are meta */
	}
	if (rc != DNS_RC_NOERROR)
		return dns_answer_error(q, rc, z->udp_payload, out, cap, len);

	uint8_t kf = (uint8_t)((q->do_bit ? KF_DO : 0) | (q->edns ? KF_EDNS : 0) |
			       (q->edns_flags & DNS_EDNS_CO ? KF_CO : 0));
	uint32_t h = acache_hash(z, q->qname, q->qname_len, q->qtype, kf);
	const struct dns__acache_entry *e = acache_get(z, h, q, kf);
	if (e) {
		z->st.answers_cached++;
		return emit(z, q, e->wire, e->len, out, cap, len, ctx->tcp);
	}
	if (z->scratch == NULL && (z->scratch = malloc(65535)) == NULL)
		return -ENOMEM;
	size_t blen = 0;
	enum acache_region region = AC_NONE;
	int err = build(z, q, kf, z->scratch, 65535, &blen, ctx->now_ms, ctx->peer, &region);
	if (err != 0)
		return err;
	z->st.answers_built++;
	if (region == AC_NONE) {
		/* An error response made by dns_answer_error already carries ID and case. */
		if (blen > cap)
			return SP_ETRUNC;
		memcpy(out, z->scratch, blen);
		*len = blen;
		return 0;
	}
	acache_put(z, region, h, q, kf, z->scratch, blen);
	return emit(z, q, z->scratch, blen, out, cap, len, ctx->tcp);
}
