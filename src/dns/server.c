/*
 * server.c - UDP (batched) and TCP (framed, pipelined, bounded) listeners.
 *
 * Timers: one per TCP connection, "dns.tcp-idle" from [dns] tcp-idle-timeout,
 * re-armed on every read; a connection still writing is given more time only
 * while its write queue shrinks (a peer that pipelines and never reads is
 * closed after two idle periods).  When every slot is taken, a connection
 * from a source address holding fewer than its share (a quarter of
 * tcp-clients, at least 1) takes over the least recently active connection
 * of the address holding the most above its share: one host cannot keep
 * every slot from the others.
 */
#include "dns/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/stream.h"
#include "dns/rrl.h"
#include "dns/wire.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* Stop reading a connection whose unsent answers pass this; resume below half. */
#define TCP_READ_PAUSE_BYTES (256u * 1024u)
/* ... or this many queued answers (each also costs a write request): small answers add up. */
#define TCP_READ_PAUSE_WRITES 1024u
/* Refuse emitted messages past this backlog: a zone transfer to a stalled reader. */
#define TCP_EMIT_MAX_BYTES (64u * 1024u * 1024u)
/* First read buffer of a connection; a longer frame grows it, up to 2 + DNS_MSG_MAX. */
#define TCP_RBUF_INITIAL 1024u
/* recvmmsg rounds per readiness callback, so TCP and timers get their turn. */
#define UDP_ROUNDS 8

struct dns_udp {
	uv_poll_t poll;
	int fd;
	bool pktinfo;		/* bound to a wildcard: answer from the address asked */
	struct dns_server *srv;
	struct dns_udp *next;
};

/* Room for one IPv4 or IPv6 packet-info control message. */
#define UDP_CMSG_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))

struct dns_tcp_listener {
	uv_tcp_t tcp;
	struct dns_server *srv;
	struct dns_tcp_listener *next;
};

/* One client connection: the shared stream helper does framing, bounds and idle. */
struct dns_tcp_conn {
	struct sp_stream st;
	struct dns_server *srv;
	struct dns_tcp_conn *prev, *next;
	struct sockaddr_storage peer;
};

struct dns_server {
	uv_loop_t *loop;
	dns_server_fn fn;
	void *arg;
	void (*on_closed)(void *arg);
	struct dns_udp *udp;
	struct dns_tcp_listener *listeners;
	struct dns_tcp_conn *conns;
	unsigned tcp_clients;
	uint64_t tcp_idle_ms;
	struct dns_rrl rrl;
	struct dns_server_stats st;
	int handles;		/* every open handle, for the final free */
	bool stopping;
	/* UDP batch buffers: one thread, so one set per server. */
	const struct dns_udp *rx_socket;	/* the socket msgs is set up for; NULL: none */
	unsigned rx_dirty;	/* headers the last recvmmsg wrote back */
	struct mmsghdr msgs[DNS_UDP_BATCH], out_msgs[DNS_UDP_BATCH];
	struct iovec iov[DNS_UDP_BATCH], out_iov[DNS_UDP_BATCH];
	struct sockaddr_storage from[DNS_UDP_BATCH];
	uint8_t cmsg_in[DNS_UDP_BATCH][UDP_CMSG_SPACE];
	uint8_t cmsg_out[DNS_UDP_BATCH][UDP_CMSG_SPACE];
	uint8_t in[DNS_UDP_BATCH][DNS_UDP_MAX];
	uint8_t out[DNS_UDP_BATCH][DNS_UDP_MAX];
	uint8_t tcp_out[DNS_MSG_MAX];
};

static void server_handle_closed(struct dns_server *s)
{
	if (--s->handles > 0)
		return;
	void (*cb)(void *) = s->on_closed;
	void *arg = s->arg;
	dns_rrl_deinit(&s->rrl);
	free(s);
	if (cb != NULL)
		cb(arg);
}

/* ---- UDP ---- */

/* Cut an answer down to header and question with TC set (RRL slip). */
static size_t slip_answer(uint8_t *msg, size_t len)
{
	size_t end = dns_wire_question_end(msg, len);

	if (end == 0)
		return 0;
	msg[2] |= 0x02;				/* TC */
	msg[5] = end > 12 ? 1 : 0;
	msg[4] = 0;
	memset(msg + 6, 0, 6);			/* no answer, authority or additional */
	return end;
}

/*
 * A socket bound to 0.0.0.0 or :: must answer from the address the query
 * went to, or a client on a host with several addresses drops the answer:
 * copy the query's destination into the answer's source (IP_PKTINFO).
 */
static void udp_reply_source(const struct msghdr *in, struct msghdr *out, uint8_t *buf)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(in); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			out->msg_control = buf;
			out->msg_controllen = CMSG_SPACE(sizeof(pi));
			struct cmsghdr *o = CMSG_FIRSTHDR(out);
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			out->msg_control = buf;
			out->msg_controllen = CMSG_SPACE(sizeof(pi));
			struct cmsghdr *o = CMSG_FIRSTHDR(out);
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return;
		}
	}
}

static void udp_round_answer(struct dns_server *s, struct dns_udp *u, unsigned n)
{
	unsigned n_out = 0;
	uint64_t now = uv_now(s->loop);

	for (unsigned i = 0; i < n; i++) {
		struct dns_server_req req = {
			.q = s->in[i],
			.qlen = s->msgs[i].msg_len,
			.peer = (const struct sockaddr *)&s->from[i],
			.tcp = false,
		};
		s->st.udp_queries++;
		/* A datagram cut short by our buffer is not a query we can parse. */
		if (s->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		size_t alen = s->fn(s->arg, &req, s->out[n_out], DNS_UDP_MAX);
		if (alen == 0 || alen > DNS_UDP_MAX)
			continue;
		switch (dns_rrl_check(&s->rrl, req.peer, now)) {
		case DNS_RRL_PASS:
			break;
		case DNS_RRL_SLIP:
			s->st.rrl_slipped++;
			alen = slip_answer(s->out[n_out], alen);
			if (alen == 0)
				continue;
			break;
		case DNS_RRL_DROP:
			s->st.rrl_dropped++;
			continue;
		}
		s->out_iov[n_out].iov_base = s->out[n_out];
		s->out_iov[n_out].iov_len = alen;
		memset(&s->out_msgs[n_out].msg_hdr, 0, sizeof(s->out_msgs[n_out].msg_hdr));
		s->out_msgs[n_out].msg_hdr.msg_name = &s->from[i];
		s->out_msgs[n_out].msg_hdr.msg_namelen = s->msgs[i].msg_hdr.msg_namelen;
		s->out_msgs[n_out].msg_hdr.msg_iov = &s->out_iov[n_out];
		s->out_msgs[n_out].msg_hdr.msg_iovlen = 1;
		if (u->pktinfo)
			udp_reply_source(&s->msgs[i].msg_hdr, &s->out_msgs[n_out].msg_hdr,
					 s->cmsg_out[n_out]);
		n_out++;
	}
	unsigned sent = 0;
	while (sent < n_out) {
		int r = sendmmsg(u->fd, s->out_msgs + sent, n_out - sent, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* A full send buffer drops the rest: the clients retry, as on any loss. */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				sent++;	/* skip the datagram the kernel refused (e.g. EPERM) */
			else
				break;
			continue;
		}
		sent += (unsigned)r;
	}
}

/* Receive headers for every slot of the batch, for socket u. */
static void udp_rx_prepare(struct dns_server *s, struct dns_udp *u)
{
	for (unsigned i = 0; i < DNS_UDP_BATCH; i++) {
		s->iov[i].iov_base = s->in[i];
		s->iov[i].iov_len = DNS_UDP_MAX;
		memset(&s->msgs[i].msg_hdr, 0, sizeof(s->msgs[i].msg_hdr));
		s->msgs[i].msg_hdr.msg_name = &s->from[i];
		s->msgs[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		if (u->pktinfo) {
			s->msgs[i].msg_hdr.msg_control = s->cmsg_in[i];
			s->msgs[i].msg_hdr.msg_controllen = UDP_CMSG_SPACE;
		}
	}
	s->rx_socket = u;
	s->rx_dirty = 0;
}

static void udp_on_readable(uv_poll_t *h, int status, int events)
{
	struct dns_udp *u = container_of(h, struct dns_udp, poll);
	struct dns_server *s = u->srv;

	if (status < 0 || s->stopping)
		return;
	for (int round = 0; round < UDP_ROUNDS; round++) {
		/*
		 * The kernel writes back only the name and control lengths and the
		 * flags, and only of the datagrams it returned: reset those, not
		 * the whole batch (most wakeups at moderate rates carry 1-4).
		 */
		if (s->rx_socket != u) {
			udp_rx_prepare(s, u);
		} else {
			for (unsigned i = 0; i < s->rx_dirty; i++) {
				s->msgs[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
				s->msgs[i].msg_hdr.msg_controllen = u->pktinfo ? UDP_CMSG_SPACE : 0;
				s->msgs[i].msg_hdr.msg_flags = 0;
			}
		}
		int n = recvmmsg(u->fd, s->msgs, DNS_UDP_BATCH, MSG_DONTWAIT, NULL);
		s->rx_dirty = n > 0 ? (unsigned)n : 1;	/* a failed call may still have written the first */
		if (n <= 0)
			return;
		udp_round_answer(s, u, (unsigned)n);
		if ((unsigned)n < DNS_UDP_BATCH)
			return;
	}
}

static void udp_on_close(uv_handle_t *h)
{
	struct dns_udp *u = container_of((uv_poll_t *)h, struct dns_udp, poll);
	struct dns_server *s = u->srv;

	if (s->rx_socket == u)
		s->rx_socket = NULL;	/* a new socket at this address is set up anew */
	close(u->fd);
	free(u);
	server_handle_closed(s);
}

static bool addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int udp_open(struct dns_server *s, const struct sockaddr_storage *ss, const char *text)
{
	int one = 1, err;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						   sizeof(struct sockaddr_in);
	if (bind(fd, (const struct sockaddr *)ss, sl) < 0) {
		err = -errno;
		sp_err("dns: cannot bind UDP %s: %s", text, sp_strerror(err));
		close(fd);
		return err;
	}
	struct dns_udp *u = calloc(1, sizeof(*u));
	if (u == NULL) {
		close(fd);
		return -ENOMEM;
	}
	u->fd = fd;
	if (addr_is_wildcard(ss)) {
		bool v6 = ss->ss_family == AF_INET6;
		u->pktinfo = setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
					v6 ? IPV6_RECVPKTINFO : IP_PKTINFO, &one, sizeof(one)) == 0;
	}
	u->srv = s;
	err = uv_poll_init_socket(s->loop, &u->poll, fd);
	if (err < 0) {
		close(fd);
		free(u);
		return sp_from_uv(err);
	}
	s->handles++;
	u->next = s->udp;
	s->udp = u;
	err = uv_poll_start(&u->poll, UV_READABLE, udp_on_readable);
	return err < 0 ? sp_from_uv(err) : 0;
}

/* ---- TCP ---- */

static struct dns_tcp_conn *conn_of(struct sp_stream *st)
{
	return container_of(st, struct dns_tcp_conn, st);
}

/* First phase of teardown: unlinked at once, so a slot is free for the next accept. */
static void conn_on_close(struct sp_stream *st, enum sp_stream_why why)
{
	struct dns_tcp_conn *c = conn_of(st);
	struct dns_server *s = c->srv;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->st.tcp_open--;
	if (why == SP_STREAM_IDLE || why == SP_STREAM_STALLED)
		s->st.tcp_idle_closed++;
}

static void conn_on_closed(struct sp_stream *st)
{
	struct dns_tcp_conn *c = conn_of(st);
	struct dns_server *s = c->srv;

	free(c);
	server_handle_closed(s);
}

static void conn_close(struct dns_tcp_conn *c)
{
	sp_stream_close(&c->st, SP_STREAM_LOCAL);
}

static int conn_send(struct dns_tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (!sp_stream_is_open(&c->st) || len > DNS_MSG_MAX)
		return SP_ELIMIT;
	uint8_t head[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	uv_buf_t b[2] = { uv_buf_init((char *)head, 2), uv_buf_init((char *)msg, (unsigned)len) };
	return sp_stream_writev(&c->st, b, 2);
}

int dns_server_tcp_emit(struct dns_tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (sp_stream_queued(&c->st) > TCP_EMIT_MAX_BYTES)
		return SP_ELIMIT;
	return conn_send(c, msg, len);
}

/* One query (2-byte length, then the message): answer it in order. */
static void conn_on_frame(struct sp_stream *st, const uint8_t *frame, size_t len)
{
	struct dns_tcp_conn *c = conn_of(st);
	struct dns_server *s = c->srv;
	struct dns_server_req req = {
		.q = frame + 2,
		.qlen = len - 2,
		.peer = (const struct sockaddr *)&c->peer,
		.tcp = true,
		.conn = c,
	};

	s->st.tcp_queries++;
	size_t alen = s->fn(s->arg, &req, s->tcp_out, sizeof(s->tcp_out));
	if (alen > 0 && alen <= DNS_MSG_MAX && conn_send(c, s->tcp_out, alen) < 0)
		conn_close(c);
}

static const struct sp_stream_ops conn_ops = {
	.frame = sp_stream_frame_u16,
	.on_frame = conn_on_frame,
	.on_close = conn_on_close,
	.on_closed = conn_on_closed,
};

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

static unsigned host_conns(const struct dns_server *s, const struct sockaddr_storage *peer)
{
	unsigned n = 0;

	for (const struct dns_tcp_conn *c = s->conns; c != NULL; c = c->next)
		n += same_host(&c->peer, peer);
	return n;
}

static uint32_t host_hash(const struct sockaddr_storage *a)
{
	const uint8_t *p = NULL;
	size_t n = 0;
	uint32_t h = 2166136261u;

	if (a->ss_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		n = 4;
	} else if (a->ss_family == AF_INET6) {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Buckets of the per-host count sketch; candidates checked exactly per full accept. */
#define TCP_SKETCH 1024u
#define TCP_SKETCH_CHECKS 16u

/*
 * Every slot is taken and peer asks for one: if peer holds less than its
 * share, close the least recently active connection of a host holding more
 * than its share.  O(tcp-clients), only when full: a count sketch finds the
 * candidate hosts, an exact count confirms them (collisions only cost a check).
 */
static bool make_room_for(struct dns_server *s, const struct sockaddr_storage *peer)
{
	unsigned share = s->tcp_clients / 4 ? s->tcp_clients / 4 : 1;
	uint32_t sketch[TCP_SKETCH];
	struct dns_tcp_conn *victim = NULL;
	unsigned checks = 0;

	if (host_conns(s, peer) >= share)
		return false;
	memset(sketch, 0, sizeof(sketch));
	for (const struct dns_tcp_conn *c = s->conns; c != NULL; c = c->next)
		sketch[host_hash(&c->peer) % TCP_SKETCH]++;
	for (struct dns_tcp_conn *c = s->conns; c != NULL && victim == NULL; c = c->next) {
		uint32_t *b = &sketch[host_hash(&c->peer) % TCP_SKETCH];
		if (*b <= share || checks >= TCP_SKETCH_CHECKS)
			continue;
		checks++;
		if (host_conns(s, &c->peer) > share)
			victim = c;
		else
			*b = 0;	/* a collision: do not check this bucket again */
	}
	if (victim == NULL)
		return false;
	for (struct dns_tcp_conn *c = s->conns; c != NULL; c = c->next)
		if (same_host(&c->peer, &victim->peer) && c->st.last_active < victim->st.last_active)
			victim = c;
	s->st.tcp_evicted++;
	conn_close(victim);
	return true;
}

static void tcp_on_connection(uv_stream_t *ls, int status)
{
	struct dns_tcp_listener *l = container_of((uv_tcp_t *)ls, struct dns_tcp_listener, tcp);
	struct dns_server *s = l->srv;

	if (status < 0 || s->stopping)
		return;
	/* Accepted first in any case: the source decides whether it gets a slot. */
	struct dns_tcp_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	const struct sp_stream_conf conf = {
		.ops = &conn_ops,
		.rbuf_initial = TCP_RBUF_INITIAL,
		.rbuf_max = 2 + DNS_MSG_MAX,
		.pause_bytes = TCP_READ_PAUSE_BYTES,
		.pause_writes = TCP_READ_PAUSE_WRITES,
		.idle_ms = s->tcp_idle_ms,
		.stats = &s->st.tcp_closes,
	};
	if (sp_stream_init(&c->st, s->loop, SP_STREAM_TCP, &conf, c) < 0) {
		free(c);
		return;
	}
	c->srv = s;
	s->handles++;
	int len = sizeof(c->peer);
	bool ok = sp_stream_accept(&c->st, ls) == 0 &&
		  uv_tcp_getpeername(&c->st.u.tcp, (struct sockaddr *)&c->peer, &len) == 0;
	/* Full: a pending connection would wake us forever, so it is closed at once. */
	bool room = ok && (s->st.tcp_open < s->tcp_clients || make_room_for(s, &c->peer));
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->st.tcp_open++;
	if (ok && !room) {
		s->st.tcp_refused++;
		conn_close(c);
		return;
	}
	s->st.tcp_accepted++;
	if (!ok || sp_stream_start(&c->st) < 0) {
		conn_close(c);
		return;
	}
	(void)uv_tcp_nodelay(&c->st.u.tcp, 1);
}

static void listener_on_close(uv_handle_t *h)
{
	struct dns_tcp_listener *l = container_of((uv_tcp_t *)h, struct dns_tcp_listener, tcp);
	struct dns_server *s = l->srv;

	free(l);
	server_handle_closed(s);
}

static int tcp_open(struct dns_server *s, const struct sockaddr_storage *ss, const char *text)
{
	struct dns_tcp_listener *l = calloc(1, sizeof(*l));
	int err;

	if (l == NULL)
		return -ENOMEM;
	l->srv = s;
	err = uv_tcp_init(s->loop, &l->tcp);
	if (err < 0) {
		free(l);
		return sp_from_uv(err);
	}
	s->handles++;
	l->next = s->listeners;
	s->listeners = l;
	err = uv_tcp_bind(&l->tcp, (const struct sockaddr *)ss,
			  ss->ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (err == 0)
		err = uv_listen((uv_stream_t *)&l->tcp, 128, tcp_on_connection);
	if (err < 0)
		sp_err("dns: cannot listen on TCP %s: %s", text, uv_strerror(err));
	return err < 0 ? sp_from_uv(err) : 0;
}

/* ---- lifecycle ---- */

void dns_server_set_limits(struct dns_server *s, const struct dns_server_conf *conf)
{
	s->tcp_clients = conf->tcp_clients ? conf->tcp_clients : 1;
	s->tcp_idle_ms = conf->tcp_idle_ms ? conf->tcp_idle_ms : 1;
	dns_rrl_set(&s->rrl, conf->rrl_rate, conf->rrl_slip);
}

int dns_server_start(uv_loop_t *loop, const struct dns_server_conf *conf, dns_server_fn fn,
		     void (*on_closed)(void *arg), void *arg, struct dns_server **out)
{
	struct dns_server *s = calloc(1, sizeof(*s));
	int err;

	if (s == NULL)
		return -ENOMEM;
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	err = dns_rrl_init(&s->rrl, DNS_RRL_BUCKETS, conf->rrl_rate, conf->rrl_slip);
	if (err < 0) {
		free(s);
		return err;
	}
	dns_server_set_limits(s, conf);
	/* Held until the end of start, so a failed start cannot free s under us. */
	s->handles = 1;
	for (size_t i = 0; i < conf->n_addrs; i++) {
		struct sockaddr_storage ss;
		union sp_endpoint ep = conf->addrs[i];
		char text[SP_ENDPOINT_STRLEN];
		sp_endpoint_set_port(&ep, conf->port);
		memset(&ss, 0, sizeof(ss));
		if (sp_endpoint_len(&ep) == 0) {
			sp_err("dns: listen address %zu is not an address", i);
			err = SP_ECONFIG;
			break;
		}
		memcpy(&ss, &ep, sp_endpoint_len(&ep));
		sp_endpoint_format_addr(&ep, text);
		err = udp_open(s, &ss, text);
		if (err < 0)
			break;
		if (conf->port == 0) {
			/* Tests bind port 0: TCP takes the port UDP was given. */
			uint16_t port = htons(dns_server_port(s));
			if (ss.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&ss)->sin6_port = port;
			else
				((struct sockaddr_in *)&ss)->sin_port = port;
		}
		err = tcp_open(s, &ss, text);
		if (err < 0)
			break;
	}
	if (err < 0) {
		dns_server_stop(s);
		server_handle_closed(s);
		return err;
	}
	s->handles--;
	s->on_closed = on_closed;
	if (s->handles == 0) {
		/* No address at all: nothing to close later, so free now. */
		err = SP_ECONFIG;
		dns_rrl_deinit(&s->rrl);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void dns_server_stop(struct dns_server *s)
{
	if (s == NULL || s->stopping)
		return;
	s->stopping = true;
	for (struct dns_udp *u = s->udp; u != NULL; u = u->next) {
		(void)uv_poll_stop(&u->poll);
		uv_close((uv_handle_t *)&u->poll, udp_on_close);
	}
	s->udp = NULL;
	for (struct dns_tcp_listener *l = s->listeners; l != NULL; l = l->next)
		uv_close((uv_handle_t *)&l->tcp, listener_on_close);
	s->listeners = NULL;
	while (s->conns != NULL)
		conn_close(s->conns);
}

uint16_t dns_server_port(const struct dns_server *s)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (s->udp == NULL || getsockname(s->udp->fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void dns_server_stats(const struct dns_server *s, struct dns_server_stats *st)
{
	*st = s->st;
}
