/*
 * ctl_client.c - the control socket, client side: blocking, for the CLI
 * (library sp_core_client, no libuv); see ctl.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move exactly len bytes in direction `out` before the deadline. */
static int io_full(int fd, void *buf, size_t len, bool out, int64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { fd, out ? POLLOUT : POLLIN, 0 };
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return pr == 0 ? -ETIMEDOUT : -errno;
		ssize_t n = out ? send(fd, (char *)buf + done, len - done, MSG_NOSIGNAL)
				: recv(fd, (char *)buf + done, len - done, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		done += (size_t)n;
	}
	return 0;
}

int sp_ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, int *status,
		char **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	size_t len = 0;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (argc == 0 || argc > SP_CTL_ARGS_MAX || len > SP_CTL_REQ_MAX)
		return -E2BIG;
	uint8_t *req = malloc(4 + len);
	if (req == NULL)
		return -ENOMEM;
	uint32_t n = htonl((uint32_t)len);
	memcpy(req, &n, 4);
	size_t off = 4;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(req + off, argv[i], l);
		off += l;
	}

	int64_t deadline = now_ms() + timeout_ms;
	int rc, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out_req;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out_fd;
	}
	rc = io_full(fd, req, 4 + len, true, deadline);
	if (rc)
		goto out_fd;
	uint8_t head[8];
	rc = io_full(fd, head, 8, false, deadline);
	if (rc)
		goto out_fd;
	uint32_t st, rlen;
	memcpy(&st, head, 4);
	memcpy(&rlen, head + 4, 4);
	rlen = ntohl(rlen);
	if (rlen > SP_CTL_REPLY_MAX) {
		rc = SP_EPROTO;
		goto out_fd;
	}
	char *text = malloc((size_t)rlen + 1);
	if (text == NULL) {
		rc = -ENOMEM;
		goto out_fd;
	}
	rc = io_full(fd, text, rlen, false, deadline);
	if (rc) {
		free(text);
		goto out_fd;
	}
	text[rlen] = '\0';
	*status = (int)ntohl(st);
	*reply = text;
out_fd:
	close(fd);
out_req:
	free(req);
	return rc;
}
