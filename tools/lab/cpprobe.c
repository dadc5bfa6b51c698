/*
 * cpprobe.c - send one control message (src/control/cp_msg.h) and print
 * what comes back: a real peer of the control protocol for the tests, with
 * its own throwaway identity, that can also misbehave on purpose.
 *
 *   cpprobe --to ADDR:PORT --to-key B64 [options] ping
 *   cpprobe --to ADDR:PORT --to-key B64 [options] connect TARGET FROM-FQDN
 *   cpprobe --to ADDR:PORT --to-key B64 [options] register NAME
 *
 *   --key-file F   sign as this node key (default: a fresh random one)
 *   --wrong-key    seal with a box key for someone else: the receiver cannot open it
 *   --repeat N     send the very same datagram N times (a replay from the 2nd on)
 *   --timeout MS   wait this long for each reply (default 1000)
 *
 * One line per datagram sent: "reply TYPE status=... n_ep=N size=BYTES" or
 * "no reply".  Exit 0 when every datagram was sent.  Lab use only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "control/cp_msg.h"
#include "core/keys.h"

static uint64_t now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static int usage(void)
{
	fprintf(stderr, "usage: cpprobe --to ADDR:PORT --to-key B64 [--key-file F] [--wrong-key] "
			"[--repeat N] [--timeout MS] ping | connect TARGET FROM-FQDN | "
			"register NAME\n");
	return 2;
}

static int box_key_for(const struct sp_keypair *me, const uint8_t peer_ed[32], uint8_t key[32])
{
	uint8_t x[32], dh[32];
	if (crypto_sign_ed25519_pk_to_curve25519(x, peer_ed) != 0 ||
	    crypto_scalarmult(dh, me->x_sk, x) != 0)
		return -1;
	int rc = cp_box_key(dh, key);
	sodium_memzero(dh, sizeof(dh));
	return rc;
}

static void print_reply(const uint8_t key[32], const uint8_t *buf, size_t len)
{
	struct cp_msg r;
	if (cp_msg_open(key, buf, len, &r) != 0) {
		printf("reply unreadable size=%zu\n", len);
		return;
	}
	switch (r.type) {
	case CP_PONG: {
		char ep[SP_ENDPOINT_STRLEN];
		printf("reply pong observed=%s size=%zu\n", sp_endpoint_format(&r.u.pong.observed, ep),
		       len);
		break;
	}
	case CP_CONNECT_ACK:
		printf("reply connect_ack status=%s n_ep=%u name=%s size=%zu\n",
		       cp_status_str(r.u.connect_ack.status), r.u.connect_ack.n_ep,
		       r.u.connect_ack.name[0] ? r.u.connect_ack.name : "-", len);
		break;
	case CP_REGISTER_ACK:
		printf("reply register_ack status=%s size=%zu\n", cp_status_str(r.u.reg_ack.status),
		       len);
		break;
	default:
		printf("reply %s size=%zu\n", cp_type_str(r.type), len);
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },	   { "to-key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'f' }, { "wrong-key", no_argument, NULL, 'w' },
		{ "repeat", required_argument, NULL, 'r' },   { "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *to_key = NULL, *key_file = NULL;
	int repeat = 1, timeout = 1000, c;
	bool wrong = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'k': to_key = optarg; break;
		case 'f': key_file = optarg; break;
		case 'w': wrong = true; break;
		case 'r': repeat = atoi(optarg); break;
		case 'T': timeout = atoi(optarg); break;
		default: return usage();
		}
	}
	if (!to || !to_key || optind >= argc || repeat < 1 || sodium_init() < 0)
		return usage();
	union sp_endpoint dst;
	uint8_t peer_ed[32];
	struct sp_keypair me;
	if (sp_endpoint_parse(to, false, 0, &dst) != 0 || sp_key_from_b64(to_key, peer_ed) != 0)
		return usage();
	if ((key_file ? sp_key_load(key_file, &me) : sp_key_generate(&me)) != 0) {
		fprintf(stderr, "cpprobe: no key\n");
		return 1;
	}
	struct cp_msg m = { .counter = now_us() };
	const char *cmd = argv[optind];
	if (strcmp(cmd, "ping") == 0 && optind + 1 == argc) {
		m.type = CP_PING;
		randombytes_buf(&m.u.ping.tx_id, sizeof(m.u.ping.tx_id));
	} else if (strcmp(cmd, "connect") == 0 && optind + 3 == argc) {
		m.type = CP_CONNECT;
		randombytes_buf(&m.u.connect.req_id, sizeof(m.u.connect.req_id));
		snprintf(m.u.connect.target, sizeof(m.u.connect.target), "%s", argv[optind + 1]);
		snprintf(m.u.connect.from_name, sizeof(m.u.connect.from_name), "%s", argv[optind + 2]);
	} else if (strcmp(cmd, "register") == 0 && optind + 2 == argc) {
		m.type = CP_REGISTER;
		snprintf(m.u.reg.name, sizeof(m.u.reg.name), "%s", argv[optind + 1]);
	} else {
		return usage();
	}
	uint8_t key[32], seal_key[32], buf[CP_MSG_MAX];
	size_t n = 0;
	if (box_key_for(&me, peer_ed, key) != 0)
		return 1;
	memcpy(seal_key, key, 32);
	if (wrong) {
		struct sp_keypair other;	/* the box is for the right receiver, keyed wrong */
		if (sp_key_generate(&other) != 0 || box_key_for(&other, peer_ed, seal_key) != 0)
			return 1;
		sp_key_wipe(&other);
	}
	if (cp_msg_seal(seal_key, me.ed_pk, &m, CP_PAD_MIN, buf, sizeof(buf), &n) != 0)
		return 1;
	int fd = socket(dst.sa.sa_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, &dst.sa, sp_endpoint_len(&dst)) != 0) {
		perror("cpprobe: socket");
		return 1;
	}
	for (int i = 0; i < repeat; i++) {
		if (send(fd, buf, n, 0) != (ssize_t)n) {
			perror("cpprobe: send");
			return 1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t rb[CP_MSG_MAX];
		if (poll(&p, 1, timeout) == 1) {
			ssize_t got = recv(fd, rb, sizeof(rb), 0);
			if (got > 0)
				print_reply(key, rb, (size_t)got);
			else
				printf("no reply\n");
		} else {
			printf("no reply\n");
		}
		fflush(stdout);
	}
	close(fd);
	sp_key_wipe(&me);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(seal_key, sizeof(seal_key));
	return 0;
}
