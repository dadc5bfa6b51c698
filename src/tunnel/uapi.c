/*
 * uapi.c - WireGuard userspace API text: framing, set parsing, get replies.
 *
 * Input is untrusted (any local root process may connect): every value is
 * parsed with explicit lengths, never with strtoul on unterminated text,
 * and every count is bounded before anything is stored.
 */
#include "tunnel/uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char OP_GET[] = "get=1\n";
static const char OP_SET[] = "set=1\n";
#define OP_LEN 6

int tun_uapi_frame(const char *buf, size_t len, enum tun_uapi_op *op)
{
	size_t head = len < OP_LEN ? len : OP_LEN;
	int is_get = memcmp(buf, OP_GET, head) == 0;
	int is_set = memcmp(buf, OP_SET, head) == 0;
	if (!is_get && !is_set)
		return -EPROTO;
	if (len < OP_LEN)
		return 0;
	if (is_get) {
		if (len < OP_LEN + 1)
			return 0;
		if (buf[OP_LEN] != '\n')
			return -EINVAL;
		*op = TUN_UAPI_GET;
		return OP_LEN + 1;
	}
	/* The "\n" of "set=1\n" may be the first of the closing pair. */
	size_t scan = len < TUN_UAPI_MAX_REQUEST ? len : TUN_UAPI_MAX_REQUEST;
	const char *end = memmem(buf + OP_LEN - 1, scan - (OP_LEN - 1), "\n\n", 2);
	if (end == NULL)
		return len >= TUN_UAPI_MAX_REQUEST ? -E2BIG : 0;
	*op = TUN_UAPI_SET;
	return (int)(end - buf) + 2;
}

struct tun_uapi_set *tun_uapi_set_new(void)
{
	return calloc(1, sizeof(struct tun_uapi_set));
}

void tun_uapi_set_free(struct tun_uapi_set *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tun_uapi_key_from_hex(const char *hex, size_t len, uint8_t key[TUN_UAPI_KEY_LEN])
{
	if (len != 2 * TUN_UAPI_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < TUN_UAPI_KEY_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			sodium_memzero(key, TUN_UAPI_KEY_LEN);
			return -EINVAL;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void tun_uapi_key_to_hex(const uint8_t key[TUN_UAPI_KEY_LEN], char out[2 * TUN_UAPI_KEY_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < TUN_UAPI_KEY_LEN; i++) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 0xf];
	}
	out[2 * TUN_UAPI_KEY_LEN] = '\0';
}

/* Unsigned decimal of at most max; leading zeros allowed, nothing else. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (len == 0 || len > 20)
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int is_true(const char *v, size_t len)
{
	return len == 4 && memcmp(v, "true", 4) == 0;
}

/* Copy to a NUL-terminated buffer for inet_pton; refuses embedded NULs. */
static int cstr(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap || memchr(s, '\0', len) != NULL)
		return -EINVAL;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int tun_uapi_parse_endpoint(const char *text, size_t len, union sp_endpoint *out)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	const char *colon;
	uint64_t port;
	memset(out, 0, sizeof(*out));
	if (len > 0 && text[0] == '[') {
		const char *close = memchr(text, ']', len);
		if (close == NULL || close + 1 >= text + len || close[1] != ':')
			return -EINVAL;
		colon = close + 1;
		if (cstr(host, sizeof(host), text + 1, (size_t)(close - text - 1)) != 0)
			return -EINVAL;
		uint32_t scope = 0;
		char *pct = strchr(host, '%');
		if (pct != NULL) {
			*pct++ = '\0';
			uint64_t n;
			size_t plen = strlen(pct);
			if (parse_uint(pct, plen, UINT32_MAX, &n) == 0)
				scope = (uint32_t)n;
			else if (plen == 0 || plen >= IF_NAMESIZE || (scope = if_nametoindex(pct)) == 0)
				return -EINVAL;
		}
		if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) != 1)
			goto bad;
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_scope_id = scope;
	} else {
		colon = memrchr(text, ':', len);
		if (colon == NULL || cstr(host, sizeof(host), text, (size_t)(colon - text)) != 0)
			return -EINVAL;
		if (inet_pton(AF_INET, host, &out->in4.sin_addr) != 1)
			goto bad;
		out->in4.sin_family = AF_INET;
	}
	if (parse_uint(colon + 1, (size_t)(text + len - colon - 1), UINT16_MAX, &port) != 0)
		goto bad;
	if (out->sa.sa_family == AF_INET6)
		out->in6.sin6_port = htons((uint16_t)port);
	else
		out->in4.sin_port = htons((uint16_t)port);
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int tun_uapi_format_endpoint(const union sp_endpoint *ep, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	int n;
	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in4.sin_addr, host, sizeof(host));
		n = snprintf(buf, cap, "%s:%u", host, ntohs(ep->in4.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, host, sizeof(host));
		if (ep->in6.sin6_scope_id != 0)
			n = snprintf(buf, cap, "[%s%%%" PRIu32 "]:%u", host, ep->in6.sin6_scope_id,
				     ntohs(ep->in6.sin6_port));
		else
			n = snprintf(buf, cap, "[%s]:%u", host, ntohs(ep->in6.sin6_port));
	} else {
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= cap ? SP_ETRUNC : n;
}

static int parse_aip(const char *v, size_t len, struct tun_uapi_aip *out)
{
	char host[INET6_ADDRSTRLEN];
	uint64_t cidr;
	memset(out, 0, sizeof(*out));
	if (len > 0 && v[0] == '-') {
		out->remove = true;
		v++;
		len--;
	}
	const char *slash = memchr(v, '/', len);
	if (slash == NULL || cstr(host, sizeof(host), v, (size_t)(slash - v)) != 0)
		return -EINVAL;
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	unsigned max = out->family == AF_INET ? 32 : 128;
	if (parse_uint(slash + 1, (size_t)(v + len - slash - 1), max, &cidr) != 0)
		return -EINVAL;
	out->cidr = (uint8_t)cidr;
	return 0;
}

#define KEY_IS(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, sizeof(lit) - 1) == 0)

static int parse_device_line(struct tun_uapi_set *s, const char *key, size_t klen,
			     const char *v, size_t vlen)
{
	uint64_t n;
	if (KEY_IS("private_key")) {
		if (tun_uapi_key_from_hex(v, vlen, s->private_key) != 0)
			return -EINVAL;
		s->flags |= TUN_UAPI_SET_PRIVATE_KEY;
	} else if (KEY_IS("listen_port")) {
		if (parse_uint(v, vlen, UINT16_MAX, &n) != 0)
			return -EINVAL;
		s->listen_port = (uint16_t)n;
		s->flags |= TUN_UAPI_SET_LISTEN_PORT;
	} else if (KEY_IS("fwmark")) {
		if (parse_uint(v, vlen, UINT32_MAX, &n) != 0)
			return -EINVAL;
		s->fwmark = (uint32_t)n;
		s->flags |= TUN_UAPI_SET_FWMARK;
	} else if (KEY_IS("replace_peers")) {
		if (!is_true(v, vlen))
			return -EINVAL;
		s->flags |= TUN_UAPI_SET_REPLACE_PEERS;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int parse_peer_line(struct tun_uapi_set *s, struct tun_uapi_peer *p, const char *key,
			   size_t klen, const char *v, size_t vlen)
{
	uint64_t n;
	if (KEY_IS("remove") || KEY_IS("update_only") || KEY_IS("replace_allowed_ips")) {
		if (!is_true(v, vlen))
			return -EINVAL;
		p->flags |= KEY_IS("remove") ? TUN_UAPI_PEER_REMOVE
			    : KEY_IS("update_only") ? TUN_UAPI_PEER_UPDATE_ONLY
						    : TUN_UAPI_PEER_REPLACE_AIPS;
	} else if (KEY_IS("preshared_key")) {
		if (tun_uapi_key_from_hex(v, vlen, p->preshared_key) != 0)
			return -EINVAL;
		p->flags |= TUN_UAPI_PEER_PRESHARED_KEY;
	} else if (KEY_IS("endpoint")) {
		if (tun_uapi_parse_endpoint(v, vlen, &p->endpoint) != 0)
			return -EINVAL;
		p->flags |= TUN_UAPI_PEER_ENDPOINT;
	} else if (KEY_IS("persistent_keepalive_interval")) {
		if (parse_uint(v, vlen, UINT16_MAX, &n) != 0)
			return -EINVAL;
		p->keepalive = (uint16_t)n;
		p->flags |= TUN_UAPI_PEER_KEEPALIVE;
	} else if (KEY_IS("allowed_ip")) {
		if (s->n_aips >= TUN_UAPI_MAX_AIPS)
			return -E2BIG;
		if (parse_aip(v, vlen, &s->aips[s->n_aips]) != 0)
			return -EINVAL;
		s->n_aips++;
		p->aip_count++;
	} else if (KEY_IS("protocol_version")) {
		if (vlen != 1 || v[0] != '1')
			return -EINVAL;
		p->flags |= TUN_UAPI_PEER_PROTOCOL_VERSION;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int parse_lines(const char *text, size_t len, struct tun_uapi_set *s)
{
	if (len > TUN_UAPI_MAX_REQUEST)
		return -E2BIG;
	if (len < OP_LEN || memcmp(text, OP_SET, OP_LEN) != 0)
		return -EPROTO;
	struct tun_uapi_peer *peer = NULL;
	size_t pos = OP_LEN;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += llen + 1;
		if (llen == 0)
			break;	/* the empty line ends the request */
		if (llen > TUN_UAPI_MAX_LINE)
			return -EINVAL;
		const char *eq = memchr(line, '=', llen);
		if (eq == NULL)
			return -EPROTO;
		const char *key = line, *v = eq + 1;
		size_t klen = (size_t)(eq - line), vlen = llen - klen - 1;
		int r;
		if (KEY_IS("public_key")) {
			if (s->n_peers >= TUN_UAPI_MAX_PEERS)
				return -E2BIG;
			peer = &s->peers[s->n_peers];
			if (tun_uapi_key_from_hex(v, vlen, peer->public_key) != 0)
				return -EINVAL;
			peer->aip_first = s->n_aips;
			s->n_peers++;
			continue;
		}
		if (peer == NULL)
			r = parse_device_line(s, key, klen, v, vlen);
		else
			r = parse_peer_line(s, peer, key, klen, v, vlen);
		if (r != 0)
			return r;
	}
	return 0;
}

int tun_uapi_parse_set(const char *text, size_t len, struct tun_uapi_set *out)
{
	sodium_memzero(out, sizeof(*out));
	int r = parse_lines(text, len, out);
	if (r != 0)
		sodium_memzero(out, sizeof(*out));
	return r;
}

/* An output cursor that counts what would not fit, like snprintf. */
struct out {
	char *buf;
	size_t cap, len;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char tmp[TUN_UAPI_MAX_LINE];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = (int)sizeof(tmp) - 1;	/* our lines are far shorter */
	if (o->len + (size_t)n < o->cap)
		memcpy(o->buf + o->len, tmp, (size_t)n);
	o->len += (size_t)n;
	sodium_memzero(tmp, sizeof(tmp));
}

static void out_key(struct out *o, const char *name, const uint8_t key[TUN_UAPI_KEY_LEN])
{
	char hex[2 * TUN_UAPI_KEY_LEN + 1];
	tun_uapi_key_to_hex(key, hex);
	out_printf(o, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

int tun_uapi_write_get(const struct tun_uapi_snap *snap, char *buf, size_t cap, size_t *len)
{
	struct out o = { buf, cap, 0 };
	if (snap->has_private_key)
		out_key(&o, "private_key", snap->private_key);
	if (snap->listen_port != 0)
		out_printf(&o, "listen_port=%u\n", snap->listen_port);
	if (snap->fwmark != 0)
		out_printf(&o, "fwmark=%" PRIu32 "\n", snap->fwmark);
	for (size_t i = 0; i < snap->n_peers; i++) {
		const struct tun_uapi_snap_peer *p = &snap->peers[i];
		out_key(&o, "public_key", p->public_key);
		out_key(&o, "preshared_key", p->preshared_key);
		out_printf(&o, "protocol_version=1\n");
		char ep[INET6_ADDRSTRLEN + 24];
		if (tun_uapi_format_endpoint(&p->endpoint, ep, sizeof(ep)) > 0)
			out_printf(&o, "endpoint=%s\n", ep);
		out_printf(&o, "last_handshake_time_sec=%" PRId64 "\n", p->last_handshake_sec);
		out_printf(&o, "last_handshake_time_nsec=%" PRId64 "\n", p->last_handshake_nsec);
		out_printf(&o, "tx_bytes=%" PRIu64 "\n", p->tx_bytes);
		out_printf(&o, "rx_bytes=%" PRIu64 "\n", p->rx_bytes);
		out_printf(&o, "persistent_keepalive_interval=%u\n", p->keepalive);
		for (size_t j = 0; j < p->n_aips; j++) {
			const struct tun_uapi_snap_aip *a = &p->aips[j];
			char ip[INET6_ADDRSTRLEN];
			if (a->family != AF_INET && a->family != AF_INET6)
				continue;
			inet_ntop(a->family, a->addr, ip, sizeof(ip));
			out_printf(&o, "allowed_ip=%s/%u\n", ip, a->cidr);
		}
	}
	out_printf(&o, "errno=0\n\n");
	*len = o.len;
	if (o.len >= cap) {
		if (cap > 0)
			sodium_memzero(buf, cap);
		return SP_ETRUNC;
	}
	buf[o.len] = '\0';
	return 0;
}

int tun_uapi_write_errno(int err, char *buf, size_t cap)
{
	if (cap < 32)
		return SP_ETRUNC;
	if (err > 0)
		err = -err;
	if (err <= SP_EBASE)
		err = err == SP_ELIMIT ? -E2BIG : err == SP_ENOTFOUND ? -ENOENT : -EINVAL;
	return snprintf(buf, cap, "errno=%d\n\n", err);
}
