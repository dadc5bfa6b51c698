/*
 * transport.c - the node's UDP socket: batched receive with GRO splitting,
 * classification, sticky sources, batched send with GSO trains, rebinding.
 * Loop code; see transport.h.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "node.h"
#include "service.h"
#include "transport.h"

/* Socket buffers large enough for a few batches at line rate. */
#define SP_TRANSPORT_SOCKBUF (4 << 20)
/* recvmmsg rounds per wakeup: bounded, so the loop serves the other fds too. */
#define SP_TRANSPORT_ROUNDS 4
/* Largest GSO train: what the kernel takes (a UDP payload of 64 KiB less headers). */
#define SP_TRANSPORT_GSO_MAX 65000

struct handler {
	sp_transport_recv_fn fn;	/* NULL: none */
	sp_transport_batch_end_fn batch_end;
	void *arg;
};

struct sp_transport {
	uv_loop_t *loop;
	struct sp_node *node;
	int fd;
	int family;			/* AF_INET6 (dual stack) or AF_INET */
	uint16_t port;
	uv_poll_t *poll;		/* heap: replaced when the port changes */
	unsigned open_handles;
	bool closing;
	bool gso_off;			/* the kernel refused UDP_SEGMENT once: send plainly */
	uint8_t *rx_bufs;		/* SP_TRANSPORT_BATCH x SP_TRANSPORT_RX_BUF */
	struct handler h[SP_KIND_MAX];
	struct sp_transport_stats stats;
};

/* Control space for a received datagram: GRO size and both packet-info forms. */
#define RX_CTL_SPACE                                                                  \
	(CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +           \
	 CMSG_SPACE(sizeof(struct in_pktinfo)))
/* Control space for a sent message: the GSO size and one packet-info. */
#define TX_CTL_SPACE (CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(struct in6_pktinfo)))

/* ---- socket ---- */

static int udp_open(uint16_t port, int *fd_out, int *family_out, uint16_t *port_out)
{
	int fam = AF_INET6;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fam = AF_INET;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
	}
	int one = 1, zero = 0, big = SP_TRANSPORT_SOCKBUF;
	if (fam == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		/* The local address of each datagram (v4 ones arrive v4-mapped). */
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	/* Force (root) or ask for large buffers; a smaller one only costs speed. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	/* Take coalesced datagrams (UDP GRO): one trip through the stack for many. */
	(void)setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	union sp_endpoint a;
	memset(&a, 0, sizeof(a));
	socklen_t alen;
	if (fam == AF_INET6) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		a.in6.sin6_addr = in6addr_any;
		alen = sizeof(a.in6);
	} else {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(port);
		alen = sizeof(a.in4);
	}
	if (bind(fd, &a.sa, alen) != 0 || getsockname(fd, &a.sa, &alen) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*fd_out = fd;
	*family_out = fam;
	*port_out = sp_endpoint_port(&a);
	return 0;
}

/* ---- receive ---- */

/* The local address in a datagram's control messages. */
static void local_from_cmsgs(struct msghdr *mh, struct sp_local *l, size_t *seg)
{
	memset(l, 0, sizeof(*l));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int g;
			memcpy(&g, CMSG_DATA(c), sizeof(g));
			if (g > 0)
				*seg = (size_t)g;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* spec_dst: the local address (the destination, for unicast). */
			memset(&l->addr, 0, sizeof(l->addr));
			l->addr.in4.sin_family = AF_INET;
			l->addr.in4.sin_addr = pi.ipi_spec_dst;
			l->ifindex = (unsigned)pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr)) {
				if (l->addr.sa.sa_family == AF_INET)
					continue;	/* IP_PKTINFO said it already */
				memset(&l->addr, 0, sizeof(l->addr));
				l->addr.in4.sin_family = AF_INET;
				memcpy(&l->addr.in4.sin_addr, &pi.ipi6_addr.s6_addr[12], 4);
			} else {
				memset(&l->addr, 0, sizeof(l->addr));
				l->addr.in6.sin6_family = AF_INET6;
				l->addr.in6.sin6_addr = pi.ipi6_addr;
				if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
					l->addr.in6.sin6_scope_id = pi.ipi6_ifindex;
			}
			l->ifindex = pi.ipi6_ifindex;
		}
	}
}

/* Hand one datagram to its kind's handler; returns the kind's bit if it was handled. */
static unsigned dispatch(struct sp_transport *t, struct sp_dgram *d)
{
	enum sp_class c = sp_classify_count(&t->stats.kinds, d->buf, d->len);
	if (c == SP_CLASS_BAD_LENGTH || c == SP_CLASS_UNKNOWN)
		return 0;
	struct handler *h = &t->h[c];
	if (!h->fn) {
		t->stats.kinds.unhandled++;
		return 0;
	}
	h->fn(h->arg, d);
	return 1u << c;
}

static void on_readable(struct sp_transport *t)
{
	struct mmsghdr msgs[SP_TRANSPORT_BATCH];
	struct iovec iov[SP_TRANSPORT_BATCH];
	struct sockaddr_in6 names[SP_TRANSPORT_BATCH];
	union {
		char buf[RX_CTL_SPACE];
		struct cmsghdr align;
	} ctl[SP_TRANSPORT_BATCH];
	for (int round = 0; round < SP_TRANSPORT_ROUNDS; round++) {
		for (unsigned i = 0; i < SP_TRANSPORT_BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = t->rx_bufs + (size_t)i * SP_TRANSPORT_RX_BUF,
						 .iov_len = SP_TRANSPORT_RX_BUF };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &names[i],
							   .msg_namelen = sizeof(names[i]),
							   .msg_iov = &iov[i], .msg_iovlen = 1,
							   .msg_control = ctl[i].buf,
							   .msg_controllen = sizeof(ctl[i].buf) };
			msgs[i].msg_len = 0;
		}
		int n = recvmmsg(t->fd, msgs, SP_TRANSPORT_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		unsigned seen = 0;
		uint64_t now = uv_hrtime();
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				t->stats.rx_truncated++;
				continue;
			}
			union sp_endpoint src;
			if (sp_endpoint_from_sa(&src, (struct sockaddr *)&names[i],
						msgs[i].msg_hdr.msg_namelen) != 0)
				continue;
			struct sp_local local;
			/* A GRO read holds datagrams of seg bytes (the last may be shorter). */
			size_t len = msgs[i].msg_len, seg = len;
			local_from_cmsgs(&msgs[i].msg_hdr, &local, &seg);
			uint8_t *base = iov[i].iov_base;
			struct sp_dgram d = { .src = &src, .local = &local, .now = now };
			size_t off = 0;
			do {
				d.buf = base + off;
				d.len = len - off < seg ? len - off : seg;
				seen |= dispatch(t, &d);
				if (t->closing)
					return;
				off += seg;
			} while (off < len);
		}
		for (unsigned k = 0; k < SP_KIND_MAX; k++)
			if ((seen & (1u << k)) && t->h[k].fn && t->h[k].batch_end)
				t->h[k].batch_end(t->h[k].arg);
		if (n < SP_TRANSPORT_BATCH || t->closing)
			return;
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct sp_transport *t = h->data;
	if (status < 0 || !(events & UV_READABLE))
		return;
	on_readable(t);
}

/* ---- lifetime ---- */

static void maybe_free(struct sp_transport *t)
{
	if (t->closing && t->open_handles == 0) {
		free(t->rx_bufs);
		free(t);
	}
}

static void poll_closed(uv_handle_t *h)
{
	struct sp_transport *t = h->data;
	free(h);
	t->open_handles--;
	maybe_free(t);
}

static int poll_start(struct sp_transport *t)
{
	uv_poll_t *p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	int rc = uv_poll_init(t->loop, p, t->fd);
	if (rc) {
		free(p);
		return sp_from_uv(rc);
	}
	p->data = t;
	t->open_handles++;
	t->poll = p;
	return sp_from_uv(uv_poll_start(p, UV_READABLE, on_poll));
}

static void poll_close(struct sp_transport *t)
{
	if (!t->poll)
		return;
	uv_poll_stop(t->poll);
	uv_close((uv_handle_t *)t->poll, poll_closed);
	t->poll = NULL;
}

int sp_transport_new(uv_loop_t *loop, struct sp_node *node, uint16_t port,
		     struct sp_transport **out)
{
	*out = NULL;
	struct sp_transport *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->node = node;
	t->fd = -1;
	t->rx_bufs = malloc((size_t)SP_TRANSPORT_BATCH * SP_TRANSPORT_RX_BUF);
	int rc = t->rx_bufs ? udp_open(port, &t->fd, &t->family, &t->port) : -ENOMEM;
	if (rc) {
		if (rc != -ENOMEM)
			sp_err("transport: cannot bind UDP port %u: %s", port, sp_strerror(rc));
		free(t->rx_bufs);
		free(t);
		return rc;
	}
	rc = poll_start(t);
	if (rc) {
		sp_err("transport: cannot watch the UDP socket: %s", sp_strerror(rc));
		sp_transport_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

void sp_transport_close(struct sp_transport *t)
{
	if (!t || t->closing)
		return;
	t->closing = true;
	memset(t->h, 0, sizeof(t->h));
	poll_close(t);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	maybe_free(t);
}

int sp_transport_register(struct sp_transport *t, enum sp_kind kind, sp_transport_recv_fn fn,
			  sp_transport_batch_end_fn batch_end, void *arg)
{
	if ((unsigned)kind >= SP_KIND_UNKNOWN || fn == NULL)
		return -EINVAL;
	if (t->h[kind].fn)
		return -EEXIST;
	t->h[kind] = (struct handler){ .fn = fn, .batch_end = batch_end, .arg = arg };
	return 0;
}

void sp_transport_unregister(struct sp_transport *t, enum sp_kind kind, void *arg)
{
	if (t && (unsigned)kind < SP_KIND_UNKNOWN && t->h[kind].arg == arg)
		memset(&t->h[kind], 0, sizeof(t->h[kind]));
}

int sp_transport_set_port(struct sp_transport *t, uint16_t port)
{
	if (port != 0 && port == t->port)
		return 0;
	int fd, fam;
	uint16_t got;
	int rc = udp_open(port, &fd, &fam, &got);
	if (rc)
		return rc;
	poll_close(t);
	close(t->fd);
	uint16_t old = t->port;
	t->fd = fd;
	t->family = fam;
	t->port = got;
	rc = poll_start(t);
	if (old != got) {
		t->stats.port_changes++;
		sp_info("transport: UDP port %u -> %u", old, got);
		if (t->node) {
			struct sp_event ev = { .type = SP_EV_PORT_CHANGED };
			ev.u.port.old_port = old;
			ev.u.port.new_port = got;
			sp_event_emit(t->node, &ev);
		}
	}
	return rc;
}

uint16_t sp_transport_port(const struct sp_transport *t)
{
	return t->port;
}

const struct sp_transport_stats *sp_transport_stats(const struct sp_transport *t)
{
	return &t->stats;
}

struct sp_transport *sp_transport_get(const struct sp_node *node)
{
	return sp_service_get(node, SP_SVC_TRANSPORT);
}

void sp_transport_status(const struct sp_transport *t, struct sp_status *st)
{
	const struct sp_transport_stats *s = &t->stats;
	sp_status_add(st, "udp-port", "%u", t->port);
	for (unsigned k = 0; k < SP_KIND_MAX; k++) {
		char key[32];
		snprintf(key, sizeof(key), "rx-%s", sp_kind_name(k));
		sp_status_add(st, key, "%llu", (unsigned long long)s->kinds.received[k]);
	}
	sp_status_add(st, "rx-bad-length", "%llu", (unsigned long long)s->kinds.bad_length);
	sp_status_add(st, "rx-unhandled", "%llu", (unsigned long long)s->kinds.unhandled);
	sp_status_add(st, "rx-truncated", "%llu", (unsigned long long)s->rx_truncated);
	sp_status_add(st, "tx-errors", "%llu", (unsigned long long)s->tx_errors);
	sp_status_add(st, "source-forgotten", "%llu", (unsigned long long)s->src_forgotten);
	sp_status_add(st, "port-changes", "%llu", (unsigned long long)s->port_changes);
}

/* ---- send ---- */

/* dst in the socket's family (IPv4 is v4-mapped on a dual-stack socket); 0 if impossible. */
static socklen_t name_for(const struct sp_transport *t, const union sp_endpoint *ep,
			  struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	if (ep->sa.sa_family == AF_INET6) {
		if (t->family != AF_INET6)
			return 0;
		*out = ep->in6;
		return sizeof(*out);
	}
	if (ep->sa.sa_family != AF_INET)
		return 0;
	if (t->family == AF_INET) {
		memcpy(out, &ep->in4, sizeof(ep->in4));
		return sizeof(ep->in4);
	}
	out->sin6_family = AF_INET6;
	out->sin6_port = ep->in4.sin_port;
	out->sin6_addr.s6_addr[10] = 0xff;
	out->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&out->sin6_addr.s6_addr[12], &ep->in4.sin_addr, 4);
	return sizeof(*out);
}

/* Is there a usable source hint for dst? */
static bool has_src(const struct sp_local *src, const union sp_endpoint *dst)
{
	return src && src->addr.sa.sa_family != 0 && src->addr.sa.sa_family == dst->sa.sa_family;
}

static bool same_src(const struct sp_local *a, const struct sp_local *b)
{
	if (a == b)
		return true;
	bool ha = a && a->addr.sa.sa_family, hb = b && b->addr.sa.sa_family;
	if (!ha || !hb)
		return ha == hb;
	return a->ifindex == b->ifindex && sp_endpoint_equal(&a->addr, &b->addr);
}

/* Control messages of one outgoing message: GSO size (seg > 0) and the source. */
static size_t put_cmsgs(struct msghdr *mh, char *buf, uint16_t seg, const struct sp_local *src,
			const union sp_endpoint *dst)
{
	mh->msg_control = buf;
	mh->msg_controllen = TX_CTL_SPACE;
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	size_t used = 0;
	if (seg) {
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		used += CMSG_SPACE(sizeof(seg));
		c = (struct cmsghdr *)(buf + used);
	}
	if (has_src(src, dst)) {
		if (dst->sa.sa_family == AF_INET) {
			/* Only the address: the route may pick another interface now. */
			struct in_pktinfo pi = { .ipi_spec_dst = src->addr.in4.sin_addr };
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			used += CMSG_SPACE(sizeof(pi));
		} else {
			struct in6_pktinfo pi = { .ipi6_addr = src->addr.in6.sin6_addr };
			/* A link-local source means nothing without its interface. */
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				pi.ipi6_ifindex = src->ifindex;
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			used += CMSG_SPACE(sizeof(pi));
		}
	}
	mh->msg_controllen = used;
	if (used == 0)
		mh->msg_control = NULL;
	return used;
}

/* The kernel's answer to a source address that is no longer ours. */
static bool src_refused(int err)
{
	return err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH;
}

static void forget_src(struct sp_transport *t, struct sp_local *src)
{
	char a[SP_ENDPOINT_STRLEN];
	sp_debug("transport: source %s refused, sending without it",
		 sp_endpoint_format_addr(&src->addr, a));
	memset(src, 0, sizeof(*src));
	t->stats.src_forgotten++;
}

int sp_transport_send(struct sp_transport *t, const union sp_endpoint *dst, struct sp_local *src,
		      const uint8_t *buf, size_t len)
{
	struct sockaddr_in6 name;
	socklen_t nl = name_for(t, dst, &name);
	if (nl == 0 || t->fd < 0)
		return -EDESTADDRREQ;
	union {
		char buf[TX_CTL_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_name = &name, .msg_namelen = nl, .msg_iov = &iov, .msg_iovlen = 1 };
	memset(&ctl, 0, sizeof(ctl));
	put_cmsgs(&mh, ctl.buf, 0, src, dst);
	if (sendmsg(t->fd, &mh, 0) >= 0)
		return 0;
	int e = errno;
	if (mh.msg_controllen && src_refused(e)) {
		forget_src(t, src);
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		if (sendmsg(t->fd, &mh, 0) >= 0)
			return 0;
		e = errno;
	}
	t->stats.tx_errors++;
	return -e;
}

/* sendmmsg a run of prepared messages; returns how many were sent (errno set if fewer). */
static unsigned send_msgs(int fd, struct mmsghdr *m, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		int s = sendmmsg(fd, m + done, n - done, 0);
		if (s <= 0)
			break;
		done += (unsigned)s;
	}
	return done;
}

/*
 * Send up to SP_TRANSPORT_BATCH datagrams.  Runs to one destination from one
 * source with one length (the last may be shorter) go as one UDP GSO
 * message: one trip through the kernel's stack for the whole run.
 */
static unsigned send_chunk(struct sp_transport *t, struct sp_tx *tx, unsigned n)
{
	struct mmsghdr m[SP_TRANSPORT_BATCH];
	struct iovec iov[SP_TRANSPORT_BATCH];
	struct sockaddr_in6 names[SP_TRANSPORT_BATCH];
	socklen_t nl[SP_TRANSPORT_BATCH];
	unsigned first[SP_TRANSPORT_BATCH + 1];
	union {
		char buf[TX_CTL_SPACE];
		struct cmsghdr align;
	} ctl[SP_TRANSPORT_BATCH];
	unsigned ng = 0, i = 0;
	for (unsigned k = 0; k < n; k++) {
		iov[k] = (struct iovec){ .iov_base = (void *)tx[k].buf, .iov_len = tx[k].len };
		nl[k] = name_for(t, tx[k].dst, &names[k]);
	}
	while (i < n) {
		if (nl[i] == 0) {
			/* no address in the socket's family: it cannot go; the rest waits */
			break;
		}
		unsigned j = i + 1;
		size_t seg = tx[i].len, total = seg;
		if (!t->gso_off) {
			while (j < n && nl[j] == nl[i] && memcmp(&names[j], &names[i], nl[i]) == 0 &&
			       same_src(tx[j].src, tx[i].src) && tx[j].len <= seg &&
			       total + tx[j].len <= SP_TRANSPORT_GSO_MAX) {
				total += tx[j].len;
				j++;
				if (tx[j - 1].len < seg)
					break;	/* a shorter one ends the run */
			}
		}
		struct msghdr *mh = &m[ng].msg_hdr;
		*mh = (struct msghdr){ .msg_name = &names[i], .msg_namelen = nl[i], .msg_iov = &iov[i],
				       .msg_iovlen = j - i };
		put_cmsgs(mh, ctl[ng].buf, j - i > 1 ? (uint16_t)seg : 0, tx[i].src, tx[i].dst);
		m[ng].msg_len = 0;
		first[ng++] = i;
		i = j;
	}
	first[ng] = i;
	unsigned sent = send_msgs(t->fd, m, ng);
	if (sent == ng && first[ng] == n)
		return n;
	unsigned k = first[sent];
	if (sent == ng) {
		t->stats.tx_errors++;	/* the unaddressable datagram */
		return k;
	}
	int e = errno;
	if (has_src(tx[k].src, tx[k].dst) && src_refused(e)) {
		forget_src(t, tx[k].src);
		return k + send_chunk(t, tx + k, n - k);
	}
	if (m[sent].msg_hdr.msg_iovlen > 1 && (e == EIO || e == EINVAL || e == ENOPROTOOPT)) {
		/* no UDP GSO here (e.g. an old kernel): plain messages from now on */
		sp_info("transport: UDP GSO refused (%s), sending datagrams one by one", strerror(e));
		t->gso_off = true;
		return k + send_chunk(t, tx + k, n - k);
	}
	t->stats.tx_errors++;
	return k;
}

unsigned sp_transport_send_batch(struct sp_transport *t, struct sp_tx *tx, unsigned n)
{
	unsigned done = 0;
	if (t->fd < 0)
		return 0;
	while (done < n) {
		unsigned c = n - done < SP_TRANSPORT_BATCH ? n - done : SP_TRANSPORT_BATCH;
		unsigned s = send_chunk(t, tx + done, c);
		done += s;
		if (s < c)
			break;
	}
	return done;
}
