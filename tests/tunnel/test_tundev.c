/*
 * test_tundev.c - TUN creation and netlink configuration, for real.
 *
 * Touches network interfaces, so every test is skipped unless
 * test_tundev_netns.sh runs it inside a network namespace of its own
 * (SP_TUN_NETNS_TEST=1, and SP_TUN_NETNS_INODE names the inode of the
 * namespace the script made, which must be ours).  The
 * result is checked with `ip`, independently of our netlink code, and by
 * passing packets through the device both ways.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tunnel/overlay.h"
#include "tunnel/tundev.h"

static const char *IFN;	/* interface name chosen by the script */
static int FD = -1, FD2 = -1;	/* closed by close_fds even when a test fails */

static int close_fds(void **state)
{
	if (FD >= 0)
		close(FD);
	if (FD2 >= 0)
		close(FD2);
	FD = FD2 = -1;
	return 0;
}

static void require_netns(void)
{
	struct stat self;
	const char *on = getenv("SP_TUN_NETNS_TEST");
	const char *ino = getenv("SP_TUN_NETNS_INODE");
	IFN = getenv("SP_TUN_IFNAME");
	if (on == NULL || strcmp(on, "1") != 0 || IFN == NULL || ino == NULL)
		skip();
	/* Belt and braces: only ever configure the namespace the script made. */
	if (stat("/proc/self/ns/net", &self) != 0 ||
	    (unsigned long long)self.st_ino != strtoull(ino, NULL, 10))
		skip();
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output of a shell command (an `ip` query), NUL-terminated. */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
	static char out[16384];
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

static void expect_in(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

static void expect_not_in(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) != NULL)
		fail_msg("did not expect \"%s\" in:\n%s", needle, haystack);
}

/*
 * Read packets from the TUN fd until one of IP version ver has destination
 * dst (4 or 16 bytes); other traffic (router solicitations, MLD) is skipped.
 */
static int wait_packet(int fd, int ver, const uint8_t *dst, int64_t deadline)
{
	uint8_t pkt[2048];
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(deadline - now_ms())) != 1)
			continue;
		ssize_t n = read(fd, pkt, sizeof(pkt));
		if (n <= 0)
			continue;
		if (ver == 4 && n >= 20 && pkt[0] >> 4 == 4 && memcmp(pkt + 16, dst, 4) == 0)
			return 1;
		if (ver == 6 && n >= 40 && pkt[0] >> 4 == 6 && memcmp(pkt + 24, dst, 16) == 0)
			return 1;
	}
	return 0;
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void test_configure(void **state)
{
	require_netns();
	char name[IFNAMSIZ];
	assert_int_equal(tun_dev_open(IFN, &FD, name), 0);
	int fd = FD;
	assert_string_equal(name, IFN);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	uint8_t scratch[64];
	assert_int_equal(read(fd, scratch, sizeof(scratch)), -1);
	assert_true(errno == EAGAIN || errno == EIO);	/* EIO while the link is down */

	/* The overlay address of a test device and its zone's /48. */
	static const uint8_t pk[32] = { 42 };
	uint8_t a6[16], p6[16];
	char a6s[INET6_ADDRSTRLEN], p6s[INET6_ADDRSTRLEN], buf[256];
	assert_int_equal(tun_overlay_addr("netns-test.example.", pk, a6), 0);
	assert_int_equal(tun_overlay_prefix("netns-test.example.", p6), 0);
	inet_ntop(AF_INET6, a6, a6s, sizeof(a6s));
	inet_ntop(AF_INET6, p6, p6s, sizeof(p6s));
	uint8_t a4[4] = { 10, 77, 0, 1 }, r4[4] = { 10, 99, 0, 0 }, r4b[4] = { 10, 98, 1, 2 };

	assert_int_equal(tun_dev_set_mtu(IFN, 1380), 0);
	assert_int_equal(tun_dev_add_addr(IFN, AF_INET6, a6, 128), 0);
	assert_int_equal(tun_dev_add_addr(IFN, AF_INET, a4, 24), 0);
	assert_int_equal(tun_dev_set_up(IFN, true), 0);
	assert_int_equal(tun_dev_add_route(IFN, AF_INET6, p6, 48, 0), 0);
	assert_int_equal(tun_dev_add_route(IFN, AF_INET, r4, 16, 0), 0);
	assert_int_equal(tun_dev_add_route(IFN, AF_INET, r4b, 16, 0), 0);	/* host bits dropped */
	/* Applying the same configuration again is not an error. */
	assert_int_equal(tun_dev_add_addr(IFN, AF_INET6, a6, 128), 0);
	assert_int_equal(tun_dev_add_route(IFN, AF_INET6, p6, 48, 0), 0);

	char *out = run("ip -o link show dev %s", IFN);
	expect_in(out, "mtu 1380");
	expect_in(out, ",UP");
	expect_in(out, "POINTOPOINT");
	out = run("ip -6 -o addr show dev %s", IFN);
	snprintf(buf, sizeof(buf), "inet6 %s/128 scope global", a6s);
	expect_in(out, buf);
	/* Our address is usable at once (the kernel's link-local may still be tentative). */
	char *line = strstr(out, buf), *eol = strchr(line, '\n');
	if (eol != NULL)
		*eol = '\0';
	expect_not_in(line, "tentative");
	out = run("ip -4 -o addr show dev %s", IFN);
	expect_in(out, "inet 10.77.0.1/24");
	out = run("ip -6 route show dev %s", IFN);
	snprintf(buf, sizeof(buf), "%s/48 proto static", p6s);
	expect_in(out, buf);
	out = run("ip -4 route show dev %s", IFN);
	expect_in(out, "10.99.0.0/16 proto static scope link");
	expect_in(out, "10.98.0.0/16 proto static scope link");
	expect_in(out, "10.77.0.0/24 proto kernel");

	/* Packets routed to the device come out of the fd, both families. */
	int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 d6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	memcpy(&d6.sin6_addr, p6, 16);
	d6.sin6_addr.s6_addr[15] = 5;
	assert_int_equal(sendto(s6, "x", 1, 0, (struct sockaddr *)&d6, sizeof(d6)), 1);
	assert_true(wait_packet(fd, 6, d6.sin6_addr.s6_addr, now_ms() + 5000));
	close(s6);
	int s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in d4 = { .sin_family = AF_INET, .sin_port = htons(9) };
	inet_pton(AF_INET, "10.99.1.1", &d4.sin_addr);
	assert_int_equal(sendto(s4, "x", 1, 0, (struct sockaddr *)&d4, sizeof(d4)), 1);
	assert_true(wait_packet(fd, 4, (const uint8_t *)&d4.sin_addr, now_ms() + 5000));

	/* A packet written to the fd is delivered to a local socket. */
	struct sockaddr_in l4 = { .sin_family = AF_INET, .sin_port = htons(40001) };
	memcpy(&l4.sin_addr, a4, 4);
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(r, (struct sockaddr *)&l4, sizeof(l4)), 0);
	uint8_t pkt[32] = { 0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, IPPROTO_UDP, 0, 0,
			    10, 99, 1, 1, 10, 77, 0, 1,
			    0x30, 0x39, 0x9c, 0x41, 0, 12, 0, 0, 'p', 'i', 'n', 'g' };
	uint16_t ck = ip_checksum(pkt, 20);
	pkt[10] = (uint8_t)(ck >> 8);
	pkt[11] = (uint8_t)ck;
	assert_int_equal(write(fd, pkt, sizeof(pkt)), (ssize_t)sizeof(pkt));
	struct pollfd pr = { .fd = r, .events = POLLIN };
	assert_int_equal(poll(&pr, 1, 5000), 1);
	char got[16];
	assert_int_equal(recv(r, got, sizeof(got), 0), 4);
	assert_memory_equal(got, "ping", 4);
	close(r);
	close(s4);

	/* Removal. */
	assert_int_equal(tun_dev_del_route(IFN, AF_INET, r4, 16, 0), 0);
	assert_int_equal(tun_dev_del_route(IFN, AF_INET, r4, 16, 0), -ESRCH);
	expect_not_in(run("ip -4 route show dev %s", IFN), "10.99.0.0/16");
	assert_int_equal(tun_dev_del_route(IFN, AF_INET6, p6, 48, 0), 0);
	expect_not_in(run("ip -6 route show dev %s", IFN), "/48");
	assert_int_equal(tun_dev_del_addr(IFN, AF_INET6, a6, 128), 0);
	assert_int_equal(tun_dev_del_addr(IFN, AF_INET6, a6, 128), -EADDRNOTAVAIL);
	expect_not_in(run("ip -6 -o addr show dev %s", IFN), a6s);
	assert_int_equal(tun_dev_set_up(IFN, false), 0);
	expect_not_in(run("ip -o link show dev %s", IFN), ",UP");

	/* Closing the fd removes the interface. */
	close(fd);
	FD = -1;
	int64_t deadline = now_ms() + 5000;
	while (if_nametoindex(IFN) != 0 && now_ms() < deadline)
		poll(NULL, 0, 10);
	assert_int_equal(if_nametoindex(IFN), 0);
}

static void test_errors(void **state)
{
	require_netns();
	char name[IFNAMSIZ];
	uint8_t a[16] = { 0xfd };
	assert_int_equal(tun_dev_open("this-name-is-too-long", &FD, name), -EINVAL);
	assert_int_equal(tun_dev_open(IFN, &FD, name), 0);
	assert_int_equal(tun_dev_open(IFN, &FD2, name), -EBUSY);
	assert_int_equal(tun_dev_set_mtu("nosuchif0", 1400), -ENODEV);
	assert_int_equal(tun_dev_set_up("nosuchif0", true), -ENODEV);
	assert_int_equal(tun_dev_set_mtu(IFN, 0), -EINVAL);
	assert_int_equal(tun_dev_set_mtu(IFN, 70000), -EINVAL);	/* kernel: above max_mtu */
	assert_int_equal(tun_dev_add_addr(IFN, AF_INET6, a, 129), -EINVAL);
	assert_int_equal(tun_dev_add_addr(IFN, AF_UNIX, a, 8), -EINVAL);
	assert_int_equal(tun_dev_add_route(IFN, AF_INET, a, 33, 0), -EINVAL);
	assert_int_equal(tun_dev_del_route(IFN, AF_INET6, a, 64, 0), -ESRCH);
	/* Metric: a route with one is a different route, and deleted by it. */
	assert_int_equal(tun_dev_set_up(IFN, true), 0);
	assert_int_equal(tun_dev_add_route(IFN, AF_INET6, a, 64, 500), 0);
	expect_in(run("ip -6 route show dev %s", IFN), "fd00::/64 proto static metric 500");
	assert_int_equal(tun_dev_del_route(IFN, AF_INET6, a, 64, 500), 0);
	/* Deleting by name works as closing does; the kernel may pick the name. */
	assert_int_equal(tun_dev_delete(IFN), 0);
	assert_int_equal(if_nametoindex(IFN), 0);
	assert_int_equal(tun_dev_delete(IFN), -ENODEV);
	close_fds(NULL);
	assert_int_equal(tun_dev_open(NULL, &FD, name), 0);
	assert_true(strncmp(name, "tun", 3) == 0);
	assert_true(if_nametoindex(name) != 0);
	close_fds(NULL);
	assert_int_equal(if_nametoindex(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_configure, close_fds),
		cmocka_unit_test_teardown(test_errors, close_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
