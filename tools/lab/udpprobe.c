/*
 * udpprobe: a tiny UDP/TCP probe for the NAT lab (tests/lab/natlab.sh).
 *
 * It answers one question a NAT test asks again and again: "from which
 * address and port did the far end see me?".  Built by natlab.sh with cc
 * (lab_build_probe), it needs nothing but libc.
 *
 *   udpprobe serve PORT SECONDS
 *       Bind UDP and TCP on [::]:PORT (IPv4 too, dual stack) for SECONDS.
 *       Print "ready" once bound.  Each datagram is answered with the text
 *       "ADDR PORT" of its sender and logged as "udp ADDR PORT PAYLOAD"; each
 *       TCP connection gets "ADDR PORT\n" and is logged as "tcp ADDR PORT".
 *   udpprobe send [-l] [-t SECONDS] SRCPORT ADDR PORT [ADDR PORT...]
 *       From one UDP socket bound to SRCPORT, send "probe" to each
 *       destination in turn (resent every 200 ms) and print the mapping it
 *       reports: "map ADDR PORT SEEN_ADDR SEEN_PORT".  With -l, keep the
 *       socket, print "listening" and log every datagram that arrives as
 *       "from ADDR PORT PAYLOAD" until one carries "stop" (exit 0).
 *       Exit 1 when a destination does not answer, 2 when -l times out.
 *   udpprobe sendonly SRCPORT ADDR PORT TEXT
 *       Send one datagram TEXT from SRCPORT (SO_REUSEPORT, so it may share a
 *       port with a running "serve") and exit.
 *   udpprobe tcp [-t SECONDS] ADDR PORT
 *       Connect over TCP and print "map ADDR PORT SEEN_ADDR SEEN_PORT".
 *
 * Every wait is bounded by the -t deadline (default 5 s) or SECONDS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROBE_RESEND_MS 200
#define PROBE_DEFAULT_S 5
#define PROBE_MAX_S 3600
#define PROBE_BUF 512

struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long d = deadline - now_ms();

	return d < 0 ? 0 : (int)d;
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_endpoint(const char *host, const char *port, struct endpoint *ep)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ep->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ep->ss;
	long p;

	memset(ep, 0, sizeof(*ep));
	if (parse_num(port, 0, 65535, &p))
		return -1;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)p);
		ep->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)p);
		ep->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Text form of an address, with IPv4-mapped IPv6 shown as plain IPv4. */
static void format_endpoint(const struct sockaddr_storage *ss, char *buf, size_t n,
			    unsigned *port)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	snprintf(buf, n, "?");
	*port = 0;
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)n);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, (socklen_t)n);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)n);
		*port = ntohs(s6->sin6_port);
	}
}

static int same_endpoint(const struct sockaddr_storage *a, const struct endpoint *b)
{
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];
	unsigned px, py;

	format_endpoint(a, x, sizeof(x), &px);
	format_endpoint(&b->ss, y, sizeof(y), &py);
	return px == py && strcmp(x, y) == 0;
}

/* Payloads are logged on one line: keep printable ASCII only. */
static void sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			s[i] = '.';
	s[n] = '\0';
}

static int bound_socket(int family, int type, unsigned port, int share)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, zero = 0;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (share)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Answer from the address the datagram was sent to, not the interface's first address, so
 * that a host with several addresses (lab_add_addr) answers correctly.  A dual-stack socket
 * reports IPv4 destinations through IP_PKTINFO and IPv6 ones through IPV6_PKTINFO; the same
 * control message, sent back, picks the source address.
 */
static void serve_udp(int fd)
{
	char buf[PROBE_BUF + 1], addr[INET6_ADDRSTRLEN], reply[INET6_ADDRSTRLEN + 8];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} in, out;
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = PROBE_BUF };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = in.buf, .msg_controllen = sizeof(in.buf) };
	struct cmsghdr *c;
	size_t outlen = 0;
	unsigned port;
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return;
	sanitize(buf, (size_t)n);
	format_endpoint(&from, addr, sizeof(addr), &port);
	printf("udp %s %u %s\n", addr, port, buf);
	snprintf(reply, sizeof(reply), "%s %u", addr, port);

	memset(&out, 0, sizeof(out));
	for (c = CMSG_FIRSTHDR(&msg); c && outlen == 0; c = CMSG_NXTHDR(&msg, c)) {
		struct cmsghdr *o = (struct cmsghdr *)out.buf;

		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			outlen = CMSG_SPACE(sizeof(pi));
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi6_ifindex = 0;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			outlen = CMSG_SPACE(sizeof(pi));
		}
	}
	iov.iov_base = reply;
	iov.iov_len = strlen(reply);
	msg.msg_control = outlen ? out.buf : NULL;
	msg.msg_controllen = outlen;
	msg.msg_flags = 0;
	if (sendmsg(fd, &msg, 0) < 0)
		perror("udpprobe serve: reply");
}

static void serve_tcp(int lfd)
{
	char addr[INET6_ADDRSTRLEN], reply[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	unsigned port;
	int fd = accept4(lfd, (struct sockaddr *)&from, &flen, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	format_endpoint(&from, addr, sizeof(addr), &port);
	printf("tcp %s %u\n", addr, port);
	snprintf(reply, sizeof(reply), "%s %u\n", addr, port);
	if (write(fd, reply, strlen(reply)) < 0)
		perror("udpprobe: tcp write");
	close(fd);
}

static int cmd_serve(int argc, char **argv)
{
	struct pollfd pfd[2];
	long port, secs;
	long long deadline;
	int family = AF_INET6;

	if (argc != 2 || parse_num(argv[0], 1, 65535, &port) ||
	    parse_num(argv[1], 1, PROBE_MAX_S, &secs))
		return 64;
	pfd[0].fd = bound_socket(family, SOCK_DGRAM, (unsigned)port, 1);
	if (pfd[0].fd < 0) {
		family = AF_INET; /* no IPv6 in this namespace */
		pfd[0].fd = bound_socket(family, SOCK_DGRAM, (unsigned)port, 1);
	}
	pfd[1].fd = bound_socket(family, SOCK_STREAM, (unsigned)port, 0);
	if (pfd[0].fd < 0 || pfd[1].fd < 0 || listen(pfd[1].fd, 16) < 0) {
		perror("udpprobe serve: bind");
		return 1;
	}
	{
		int one = 1;

		setsockopt(pfd[0].fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(pfd[0].fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	pfd[0].events = pfd[1].events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	deadline = now_ms() + secs * 1000;
	while (left_ms(deadline) > 0) {
		if (poll(pfd, 2, left_ms(deadline)) <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			serve_udp(pfd[0].fd);
		if (pfd[1].revents & POLLIN)
			serve_tcp(pfd[1].fd);
		fflush(stdout);
	}
	return 0;
}

/* Wait for one datagram until deadline; returns its length or -1. */
static ssize_t recv_until(int fd, long long deadline, char *buf, struct sockaddr_storage *from)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	socklen_t flen = sizeof(*from);
	ssize_t n;

	if (poll(&pfd, 1, left_ms(deadline)) <= 0)
		return -1;
	n = recvfrom(fd, buf, PROBE_BUF, MSG_DONTWAIT, (struct sockaddr *)from, &flen);
	if (n >= 0)
		sanitize(buf, (size_t)n);
	return n;
}

static int probe_one(int fd, int family, const char *host, const char *port,
		     long long deadline)
{
	char buf[PROBE_BUF + 1];
	struct sockaddr_storage from;
	struct endpoint dst;

	if (parse_endpoint(host, port, &dst) || dst.ss.ss_family != family)
		return 64; /* one socket: every destination in the same family */
	while (left_ms(deadline) > 0) {
		long long resend = now_ms() + PROBE_RESEND_MS;

		if (sendto(fd, "probe", 5, 0, (struct sockaddr *)&dst.ss, dst.len) < 0) {
			fprintf(stderr, "udpprobe: send to %s %s: %s\n", host, port, strerror(errno));
			return 1;
		}
		if (resend > deadline)
			resend = deadline;
		while (left_ms(resend) > 0) {
			if (recv_until(fd, resend, buf, &from) < 0)
				continue;
			if (!same_endpoint(&from, &dst))
				continue;
			printf("map %s %s %s\n", host, port, buf);
			fflush(stdout);
			return 0;
		}
	}
	fprintf(stderr, "udpprobe: no answer from %s %s\n", host, port);
	return 1;
}

static int listen_for_stop(int fd, long long deadline)
{
	char buf[PROBE_BUF + 1], addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage from;
	unsigned port;

	printf("listening\n");
	fflush(stdout);
	while (left_ms(deadline) > 0) {
		if (recv_until(fd, deadline, buf, &from) < 0)
			continue;
		format_endpoint(&from, addr, sizeof(addr), &port);
		printf("from %s %u %s\n", addr, port, buf);
		fflush(stdout);
		if (strcmp(buf, "stop") == 0)
			return 0;
	}
	return 2;
}

static int cmd_send(int argc, char **argv)
{
	struct endpoint first;
	long secs = PROBE_DEFAULT_S, sport;
	long long deadline;
	int listen_after = 0, fd, rc = 0;

	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "-l") == 0) {
			listen_after = 1;
			argc--, argv++;
		} else if (strcmp(argv[0], "-t") == 0 && argc > 1 &&
			   !parse_num(argv[1], 1, PROBE_MAX_S, &secs)) {
			argc -= 2, argv += 2;
		} else {
			return 64;
		}
	}
	if (argc < 3 || argc % 2 != 1 || parse_num(argv[0], 0, 65535, &sport) ||
	    parse_endpoint(argv[1], argv[2], &first))
		return 64;
	fd = bound_socket(first.ss.ss_family, SOCK_DGRAM, (unsigned)sport, 0);
	if (fd < 0) {
		perror("udpprobe send: bind");
		return 1;
	}
	deadline = now_ms() + secs * 1000;
	for (int i = 1; i + 1 < argc && rc == 0; i += 2)
		rc = probe_one(fd, first.ss.ss_family, argv[i], argv[i + 1], deadline);
	if (rc == 0 && listen_after)
		rc = listen_for_stop(fd, deadline);
	close(fd);
	return rc;
}

static int cmd_sendonly(int argc, char **argv)
{
	struct endpoint dst;
	long sport;
	int fd;

	if (argc != 4 || parse_num(argv[0], 0, 65535, &sport) ||
	    parse_endpoint(argv[1], argv[2], &dst))
		return 64;
	fd = bound_socket(dst.ss.ss_family, SOCK_DGRAM, (unsigned)sport, 1);
	if (fd < 0) {
		perror("udpprobe sendonly: bind");
		return 1;
	}
	if (sendto(fd, argv[3], strlen(argv[3]), 0, (struct sockaddr *)&dst.ss, dst.len) < 0) {
		perror("udpprobe sendonly");
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

static int cmd_tcp(int argc, char **argv)
{
	char buf[PROBE_BUF + 1];
	struct endpoint dst;
	struct pollfd pfd;
	long secs = PROBE_DEFAULT_S;
	long long deadline;
	size_t got = 0;
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	if (argc > 1 && strcmp(argv[0], "-t") == 0) {
		if (parse_num(argv[1], 1, PROBE_MAX_S, &secs))
			return 64;
		argc -= 2, argv += 2;
	}
	if (argc != 2 || parse_endpoint(argv[0], argv[1], &dst))
		return 64;
	deadline = now_ms() + secs * 1000;
	fd = socket(dst.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1;
	if (connect(fd, (struct sockaddr *)&dst.ss, dst.len) < 0 && errno != EINPROGRESS) {
		perror("udpprobe tcp: connect");
		close(fd);
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, left_ms(deadline)) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		fprintf(stderr, "udpprobe tcp: connect to %s %s failed: %s\n", argv[0], argv[1],
			err ? strerror(err) : "timeout");
		close(fd);
		return 1;
	}
	pfd.events = POLLIN;
	while (got < PROBE_BUF && left_ms(deadline) > 0) {
		ssize_t n;

		if (poll(&pfd, 1, left_ms(deadline)) <= 0)
			continue;
		n = read(fd, buf + got, PROBE_BUF - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	while (got > 0 && buf[got - 1] == '\n')
		got--;
	if (got == 0) {
		fprintf(stderr, "udpprobe tcp: no answer from %s %s\n", argv[0], argv[1]);
		return 1;
	}
	sanitize(buf, got);
	printf("map %s %s %s\n", argv[0], argv[1], buf);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 64;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		rc = cmd_serve(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "send") == 0)
		rc = cmd_send(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "sendonly") == 0)
		rc = cmd_sendonly(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "tcp") == 0)
		rc = cmd_tcp(argc - 2, argv + 2);
	if (rc == 64)
		fprintf(stderr, "usage: udpprobe serve PORT SECONDS\n"
				"       udpprobe send [-l] [-t SECONDS] SRCPORT ADDR PORT [ADDR PORT...]\n"
				"       udpprobe sendonly SRCPORT ADDR PORT TEXT\n"
				"       udpprobe tcp [-t SECONDS] ADDR PORT\n");
	return rc;
}
