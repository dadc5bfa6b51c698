/*
 * test_uapi_wg.c - the UAPI text against the real wg(8).
 *
 * wg talks to /var/run/wireguard/NAME.sock when that socket exists, so a
 * socket of ours, named uniquely for this run, plays the daemon: what
 * `wg set` and `wg setconf` send must parse to what was asked, an errno we
 * send must make wg fail, and `wg show dump` must print our get reply.
 * No interface is created or touched.  Skipped when wg is not installed
 * or /var/run/wireguard cannot be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <poll.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tunnel/uapi.h"
#include "uapi_fixture.h"

static struct tun_uapi_set *S;

struct wg_run {
	char dir_created;
	char sock[108], keyfile[64], pskfile[64], conffile[64];
	int lfd;
	pid_t pid;
	int out_fd;		/* wg's stdout when captured */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return poll(&p, 1, (int)left) == 1;
}

/*
 * Serve one request on the listening socket: connections that close
 * without sending (wg's existence probe) are skipped.  Returns the request
 * length in buf, or -1 on timeout.
 */
static int serve_one(int lfd, char *buf, size_t cap, const char *reply, int64_t deadline)
{
	while (wait_readable(lfd, deadline)) {
		int c = accept(lfd, NULL, NULL);
		if (c < 0)
			continue;
		size_t len = 0;
		enum tun_uapi_op op;
		int framed = 0;
		while (framed == 0 && len < cap && wait_readable(c, deadline)) {
			ssize_t n = read(c, buf + len, cap - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			framed = tun_uapi_frame(buf, len, &op);
		}
		if (framed > 0) {
			assert_int_equal(write(c, reply, strlen(reply)), (ssize_t)strlen(reply));
			close(c);
			return framed;
		}
		close(c);
	}
	return -1;
}

static void wg_cleanup(struct wg_run *w)
{
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		w->pid = 0;
	}
	if (w->out_fd >= 0)
		close(w->out_fd);
	if (w->lfd >= 0)
		close(w->lfd);
	unlink(w->sock);
	unlink(w->keyfile);
	unlink(w->pskfile);
	unlink(w->conffile);
	if (w->dir_created)
		rmdir("/var/run/wireguard");
}

static int wg_exit_status(struct wg_run *w, int64_t deadline)
{
	int st;
	while (now_ms() < deadline) {
		pid_t r = waitpid(w->pid, &st, WNOHANG);
		if (r == w->pid) {
			w->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);	/* polling a child with a deadline */
	}
	return -1;
}

static void write_key_file(const char *path, const char *hex)
{
	uint8_t k[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	key(hex, k);
	sodium_bin2base64(b64, sizeof(b64), k, 32, sodium_base64_VARIANT_ORIGINAL);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dprintf(fd, "%s\n", b64), (int)strlen(b64) + 1);
	close(fd);
}

static const char *b64(const char *hex, char *out)
{
	uint8_t k[32];
	key(hex, k);
	return sodium_bin2base64(out, 45, k, 32, sodium_base64_VARIANT_ORIGINAL);
}

static void test_wg_interop(void **state)
{
	struct wg_run w = { .lfd = -1, .out_fd = -1 };
	char name[16], kb2[45], kb3[45], kb1[45], pub[45], buf[8192];
	snprintf(name, sizeof(name), "spu%x", (unsigned)getpid() & 0xffffffu);
	if (mkdir("/var/run/wireguard", 0755) == 0)
		w.dir_created = 1;
	else if (errno != EEXIST)
		skip();
	snprintf(w.sock, sizeof(w.sock), "/var/run/wireguard/%s.sock", name);
	snprintf(w.keyfile, sizeof(w.keyfile), "/tmp/%s.key", name);
	snprintf(w.pskfile, sizeof(w.pskfile), "/tmp/%s.psk", name);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, w.sock);
	w.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (w.lfd < 0 || bind(w.lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(w.lfd, 4) != 0) {
		wg_cleanup(&w);
		skip();
	}
	write_key_file(w.keyfile, K1);
	write_key_file(w.pskfile, PSK);
	b64(K1, kb1);
	b64(K2, kb2);
	b64(K3, kb3);

	/* 1. wg set: what the real tool sends parses to what was asked. */
	char *set_argv[] = { "wg", "set", name, "private-key", w.keyfile, "listen-port", "51820",
			     "fwmark", "0x1234", "peer", kb2, "preshared-key", w.pskfile,
			     "endpoint", "192.0.2.7:51821", "persistent-keepalive", "25",
			     "allowed-ips", "10.10.0.2/32,fd12:3456:789a::/48",
			     "peer", kb3, "remove", NULL };
	if (posix_spawnp(&w.pid, "wg", NULL, NULL, set_argv, environ) != 0) {
		w.pid = 0;
		wg_cleanup(&w);
		skip();
	}
	int64_t deadline = now_ms() + 10000;
	int n = serve_one(w.lfd, buf, sizeof(buf), "errno=0\n\n", deadline);
	assert_true(n > 0);
	assert_int_equal(wg_exit_status(&w, deadline), 0);
	assert_int_equal(tun_uapi_parse_set(buf, (size_t)n, S), 0);
	uint8_t k[32];
	key(K1, k);
	assert_int_equal(S->flags, TUN_UAPI_SET_PRIVATE_KEY | TUN_UAPI_SET_LISTEN_PORT |
					   TUN_UAPI_SET_FWMARK);
	assert_memory_equal(S->private_key, k, 32);
	assert_int_equal(S->listen_port, 51820);
	assert_int_equal(S->fwmark, 0x1234);
	assert_int_equal(S->n_peers, 2);
	assert_int_equal(S->peers[0].flags, TUN_UAPI_PEER_PRESHARED_KEY | TUN_UAPI_PEER_ENDPOINT |
						   TUN_UAPI_PEER_KEEPALIVE | TUN_UAPI_PEER_REPLACE_AIPS);
	key(PSK, k);
	assert_memory_equal(S->peers[0].preshared_key, k, 32);
	assert_int_equal(S->peers[0].keepalive, 25);
	assert_int_equal(S->peers[0].aip_count, 2);
	assert_int_equal(S->peers[1].flags, TUN_UAPI_PEER_REMOVE);

	/* 1b. wg setconf: replace_peers and replace_allowed_ips from a file. */
	char *conf = w.conffile;
	snprintf(w.conffile, sizeof(w.conffile), "/tmp/%s.conf", name);
	FILE *cf = fopen(conf, "w");
	assert_non_null(cf);
	fprintf(cf, "[Interface]\nPrivateKey = %s\nListenPort = 4242\n\n"
		    "[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.0/8, ::/0\n"
		    "Endpoint = [2001:db8::7]:9\nPersistentKeepalive = 5\n", kb1, kb3);
	fclose(cf);
	char *setconf_argv[] = { "wg", "setconf", name, conf, NULL };
	assert_int_equal(posix_spawnp(&w.pid, "wg", NULL, NULL, setconf_argv, environ), 0);
	deadline = now_ms() + 10000;
	n = serve_one(w.lfd, buf, sizeof(buf), "errno=0\n\n", deadline);
	assert_true(n > 0);
	assert_int_equal(wg_exit_status(&w, deadline), 0);
	assert_int_equal(tun_uapi_parse_set(buf, (size_t)n, S), 0);
	assert_true(S->flags & TUN_UAPI_SET_REPLACE_PEERS);
	assert_true(S->flags & TUN_UAPI_SET_PRIVATE_KEY);
	assert_int_equal(S->listen_port, 4242);
	assert_int_equal(S->n_peers, 1);
	assert_true(S->peers[0].flags & TUN_UAPI_PEER_REPLACE_AIPS);
	assert_true(S->peers[0].flags & TUN_UAPI_PEER_ENDPOINT);
	assert_int_equal(S->peers[0].endpoint.sa.sa_family, AF_INET6);
	assert_int_equal(ntohs(S->peers[0].endpoint.in6.sin6_port), 9);
	assert_int_equal(S->peers[0].keepalive, 5);
	assert_int_equal(S->peers[0].aip_count, 2);
	assert_int_equal(S->aips[1].family, AF_INET6);
	assert_int_equal(S->aips[1].cidr, 0);

	/* 2. A refused set: wg reports the errno we send. */
	char *set2_argv[] = { "wg", "set", name, "listen-port", "1", NULL };
	assert_int_equal(posix_spawnp(&w.pid, "wg", NULL, NULL, set2_argv, environ), 0);
	deadline = now_ms() + 10000;
	assert_true(serve_one(w.lfd, buf, sizeof(buf), "errno=-98\n\n", deadline) > 0);
	assert_int_not_equal(wg_exit_status(&w, deadline), 0);

	/* 3. wg show dump reads our get reply. */
	struct tun_uapi_snap snap;
	struct tun_uapi_snap_peer peers[2];
	struct tun_uapi_snap_aip aips[3];
	char reply[4096];
	size_t rlen;
	fill_snapshot(&snap, peers, aips);
	assert_int_equal(tun_uapi_write_get(&snap, reply, sizeof(reply), &rlen), 0);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	char *show_argv[] = { "wg", "show", name, "dump", NULL };
	assert_int_equal(posix_spawnp(&w.pid, "wg", &fa, NULL, show_argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	w.out_fd = pfd[0];
	deadline = now_ms() + 10000;
	assert_true(serve_one(w.lfd, buf, sizeof(buf), reply, deadline) > 0);
	size_t olen = 0;
	while (olen < sizeof(buf) - 1 && wait_readable(w.out_fd, deadline)) {
		ssize_t r = read(w.out_fd, buf + olen, sizeof(buf) - 1 - olen);
		if (r <= 0)
			break;
		olen += (size_t)r;
	}
	buf[olen] = '\0';
	assert_int_equal(wg_exit_status(&w, deadline), 0);

	uint8_t sk[32], pk[32];
	key(K1, sk);
	crypto_scalarmult_base(pk, sk);
	sodium_bin2base64(pub, sizeof(pub), pk, 32, sodium_base64_VARIANT_ORIGINAL);
	char want[3][512], psk[45];
	snprintf(want[0], sizeof(want[0]), "%s\t%s\t51820\toff\n", kb1, pub);
	snprintf(want[1], sizeof(want[1]),
		 "%s\t%s\t192.0.2.7:51821\t10.10.0.2/32,fd12:3456:789a::/48\t1700000000\t1\t"
		 "18446744073709551615\t25\n", kb2, b64(PSK, psk));
	snprintf(want[2], sizeof(want[2]), "%s\t(none)\t[2001:db8::1]:4500\t::/0\t0\t0\t0\toff\n",
		 kb3);
	size_t total = 0;
	for (int i = 0; i < 3; i++) {
		if (strstr(buf, want[i]) == NULL)
			fail_msg("wg show dump lacks line %d:\n%s--- got:\n%s", i, want[i], buf);
		total += strlen(want[i]);
	}
	assert_int_equal(olen, total);
	wg_cleanup(&w);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	S = tun_uapi_set_new();
	if (S == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_interop),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	tun_uapi_set_free(S);
	return r;
}
