/*
 * ctl_client.c - the control socket's client side (blocking, for the CLI):
 * send one request, take the reply records as they come; see ctl.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
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

/* The request frame: u32 length, then the words NUL-terminated. */
static int build_request(int argc, char *const *argv, uint8_t **out, size_t *out_len)
{
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
	*out = req;
	*out_len = 4 + len;
	return 0;
}

/* Read records until the end record; each wait for a record has timeout_ms. */
static int read_records(int fd, int timeout_ms, sp_ctl_text_fn text, void *arg)
{
	for (;;) {
		int64_t deadline = now_ms() + timeout_ms;
		uint8_t head[SP_CTL_REC_HEAD];
		int rc = io_full(fd, head, sizeof(head), false, deadline);
		if (rc)
			return rc;
		uint32_t w[3];
		memcpy(w, head, sizeof(w));
		uint32_t type = ntohl(w[0]), len = ntohl(w[2]);
		int status = (int)ntohl(w[1]);
		if ((type != SP_CTL_REC_CHUNK && type != SP_CTL_REC_END) || len > SP_CTL_REPLY_MAX)
			return SP_EPROTO;
		char *t = malloc((size_t)len + 1);
		if (t == NULL)
			return -ENOMEM;
		rc = io_full(fd, t, len, false, deadline);
		if (rc == 0) {
			t[len] = '\0';
			bool end = type == SP_CTL_REC_END;
			rc = text(arg, t, len, end, end ? status : 0);
			if (rc == 0 && end) {
				free(t);
				return 0;
			}
		}
		free(t);
		if (rc)
			return rc;
	}
}

int sp_ctl_call_stream(const char *path, int argc, char *const *argv, int timeout_ms,
		       sp_ctl_text_fn text, void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	uint8_t *req;
	size_t len;
	int rc = build_request(argc, argv, &req, &len);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out_req;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out_fd;
	}
	rc = io_full(fd, req, len, true, now_ms() + timeout_ms);
	if (rc == 0)
		rc = read_records(fd, timeout_ms, text, arg);
out_fd:
	close(fd);
out_req:
	free(req);
	return rc;
}

/* sp_ctl_call collects every record into one text. */
struct collect {
	char *text;
	size_t len;
	int status;
};

static int collect_text(void *arg, const char *text, size_t len, bool end, int status)
{
	struct collect *c = arg;
	if (len > SP_CTL_REPLY_MAX - c->len)
		return SP_ELIMIT;
	char *nt = realloc(c->text, c->len + len + 1);
	if (nt == NULL)
		return -ENOMEM;
	memcpy(nt + c->len, text, len);
	c->len += len;
	nt[c->len] = '\0';
	c->text = nt;
	if (end)
		c->status = status;
	return 0;
}

int sp_ctl_call(const char *path, int argc, char *const *argv, int timeout_ms, int *status,
		char **reply)
{
	struct collect c = { NULL, 0, 0 };
	int rc = sp_ctl_call_stream(path, argc, argv, timeout_ms, collect_text, &c);
	if (rc) {
		free(c.text);
		return rc;
	}
	*status = c.status;
	*reply = c.text;
	return 0;
}
