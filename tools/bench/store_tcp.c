/*
 * store_tcp.c - the store's sync protocol over a real TCP socket, for the
 * side-by-side with Syncthing (tools/bench/store.sh).  Blocking I/O and
 * poll(), one session, one connection; no tunnel, no encryption.
 *
 *   store_tcp [opts] serve DB PORT        accept one peer, answer it, exit at its EOF
 *   store_tcp [opts] sync DB HOST PORT    sync with the server, then fetch every
 *                                         missing chunk of every file in _files
 *   store_tcp [opts] import DB DIR        st_files_put every regular file under DIR
 *                                         (name: its path relative to DIR)
 *   store_tcp [opts] export DB DIR [PFX]  st_files_get every file (whose name starts
 *                                         with PFX) into DIR
 *
 *   -n NAME   this device's name: its id is BLAKE2b-128 of NAME (default: DB)
 *   -i HEX    this device's id, 32 hex digits (instead of -n)
 *   -p NAME   the peer's name (serve, sync: required, or -P HEX)
 *   -t SECS   give up after SECS (default 600)
 *
 * serve prints "listening PORT" once it listens; both print one line
 * "store_tcp ROLE: ... sent=B recv=B secs=S" at the end (bytes on the TCP
 * stream, both ways, not counting TCP/IP headers).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "store/st_hlc.h"
#include "store/st_db.h"
#include "store/st_files.h"
#include "store/st_session.h"

static double timeout_s = 600;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "store_tcp: %s: %s\n", what, rc < 0 ? sp_strerror(rc) : "failed");
	exit(1);
}

static void name_id(const char *name, uint8_t id[ST_ID_LEN])
{
	crypto_generichash(id, ST_ID_LEN, (const uint8_t *)name, strlen(name), NULL, 0);
}

static int hex_id(const char *hex, uint8_t id[ST_ID_LEN])
{
	size_t n;
	return strlen(hex) == 2 * ST_ID_LEN &&
	       sodium_hex2bin(id, ST_ID_LEN, hex, strlen(hex), NULL, &n, NULL) == 0 &&
	       n == ST_ID_LEN ? 0 : -1;
}

/* ---- files: the names in _files ---- */

struct names {
	char **v;
	size_t n, cap;
	size_t missing;		/* chunks missing, summed */
};

static int names_add(struct names *ns, const char *name)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 256;
		char **v = realloc(ns->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	if (!(ns->v[ns->n] = strdup(name)))
		return -ENOMEM;
	ns->n++;
	return 0;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

/* Every file (with_missing 0) or only those missing chunks here (1). */
struct ls_arg {
	struct names *ns;
	int with_missing;
};

static int ls_cb(void *arg, const char *name, uint64_t size, uint64_t chunks, size_t missing,
		 const struct st_value *v)
{
	(void)size, (void)chunks, (void)v;
	struct ls_arg *a = arg;
	if (a->with_missing && !missing)
		return 0;
	a->ns->missing += missing;
	return names_add(a->ns, name);
}

static int list_files(struct st_db *db, int with_missing, struct names *ns)
{
	struct ls_arg a = { ns, with_missing };
	return st_files_ls(db, ls_cb, &a);
}

/* ---- the chunk fetch: every chunk of every file not held here ---- */

struct fetch {
	uint8_t (*h)[ST_HASH_LEN];
	size_t n, cap, next;	/* wanted: h[0..n), asked for: h[0..next) */
	size_t outstanding, got, absent;
	int rounds;
};

static int want_cb(void *arg, const uint8_t hash[ST_HASH_LEN])
{
	struct fetch *f = arg;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 1024;
		void *v = realloc(f->h, cap * ST_HASH_LEN);
		if (!v)
			return -ENOMEM;
		f->h = v;
		f->cap = cap;
	}
	memcpy(f->h[f->n++], hash, ST_HASH_LEN);
	return 0;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ST_HASH_LEN);
}

/* The next round: what is missing now (index chunks reveal more data chunks). */
static int fetch_collect(struct st_db *db, struct fetch *f)
{
	struct names ns = { 0 };
	int rc = list_files(db, 1, &ns);
	f->n = f->next = 0;
	for (size_t i = 0; rc == 0 && i < ns.n; i++) {
		size_t k;
		rc = st_files_missing(db, ns.v[i], want_cb, f, &k);
	}
	names_free(&ns);
	if (rc != 0)
		return rc;
	/* Files may share chunks: ask for each once. */
	qsort(f->h, f->n, ST_HASH_LEN, hash_cmp);
	size_t u = 0;
	for (size_t i = 0; i < f->n; i++)
		if (u == 0 || memcmp(f->h[u - 1], f->h[i], ST_HASH_LEN) != 0)
			memmove(f->h[u++], f->h[i], ST_HASH_LEN);
	f->n = u;
	f->rounds++;
	return 0;
}

static void on_chunk(void *arg, const uint8_t hash[ST_HASH_LEN], int rc)
{
	(void)hash;
	struct fetch *f = arg;
	if (f->outstanding)
		f->outstanding--;
	if (rc == 0)
		f->got++;
	else
		f->absent++;
}

/* ---- one session over a connected socket ---- */

static int run(int fd, struct st_db *db, const uint8_t peer[ST_ID_LEN], int initiator,
	       const char *role)
{
	struct fetch f = { 0 };
	struct st_session_cfg cfg = { .send = 1, .accept = 1, .initiator = initiator,
				      .on_chunk = on_chunk, .arg = &f };
	memcpy(cfg.peer, peer, ST_ID_LEN);
	struct st_session *s;
	int rc = st_session_new(st_db_replica(db), &cfg, &s);
	if (rc != 0)
		die("session", rc);
	static uint8_t buf[256 * 1024];
	uint64_t sent = 0, recvd = 0;
	double t0 = now_s(), t_live = 0;
	int fetching = 0, done = 0, shut = 0, eof = 0, result = 0;
	size_t got_before = 0;
	while (!eof) {
		if (now_s() - t0 > timeout_s) {
			fprintf(stderr, "store_tcp %s: timed out after %.0f s\n", role, timeout_s);
			result = 1;
			break;
		}
		enum st_session_state st = st_session_state(s);
		if (st == ST_S_CLOSED) {
			fprintf(stderr, "store_tcp %s: session closed: %s\n", role, st_session_error(s));
			result = 1;
			break;
		}
		/* The syncing side, once LIVE: fetch in rounds until nothing is missing. */
		if (initiator && st == ST_S_LIVE && !done) {
			if (!t_live)
				t_live = now_s();
			if (!fetching || (f.outstanding == 0 && f.next == f.n)) {
				/* A round that got nothing (the peer lacks them): stop. */
				int stuck = fetching && f.n > 0 && f.got == got_before;
				got_before = f.got;
				if ((rc = fetch_collect(db, &f)) != 0)
					die("missing chunks", rc);
				fetching = 1;
				if (f.n == 0 || stuck || f.rounds > 64) {
					if (f.n)
						fprintf(stderr, "store_tcp %s: %zu chunks still missing"
							" (the peer has none of them)\n", role, f.n);
					result = f.n != 0;
					done = 1;
				}
			}
			while (!done && f.outstanding < ST_CHUNKQ_MAX && f.next < f.n) {
				if ((rc = st_session_want_chunk(s, f.h[f.next++])) != 0)
					die("want chunk", rc);
				f.outstanding++;
			}
		}
		size_t len;
		const uint8_t *out = st_session_output(s, &len);
		if (done && len == 0 && !shut) {
			shutdown(fd, SHUT_WR);	/* the server exits at our EOF */
			shut = 1;
		}
		struct pollfd p = { fd, POLLIN | (len ? POLLOUT : 0), 0 };
		if (poll(&p, 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			die("poll", -errno);
		}
		if (p.revents & POLLOUT) {
			ssize_t n = send(fd, out, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "store_tcp %s: send: %s\n", role, strerror(errno));
				result = 1;
				break;
			}
			if (n > 0) {
				sent += (uint64_t)n;
				if ((rc = st_session_sent(s, (size_t)n)) != 0)
					die("sent", rc);
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "store_tcp %s: recv: %s\n", role, strerror(errno));
				result = 1;
				break;
			}
			if (n == 0)
				eof = 1;
			if (n > 0) {
				recvd += (uint64_t)n;
				/* One transaction per read, as the store plane runs one per job. */
				int txn = st_db_begin(db) == 0;
				if ((rc = st_session_input(s, buf, (size_t)n)) != 0)
					fprintf(stderr, "store_tcp %s: input: %s\n", role, sp_strerror(rc));
				if (txn && st_db_commit(db) != 0)
					die("commit", -EIO);
			}
		}
	}
	double t = now_s() - t0;
	const struct st_session_stats *ss = st_session_stats(s);
	if (st_session_state(s) != ST_S_LIVE || !ss->identical)
		result = 1;
	printf("store_tcp %s: %s path=%s identical=%d ops_in=%llu ops_out=%llu chunks=%zu"
	       " live_after=%.3f sent=%llu recv=%llu secs=%.3f\n",
	       role, result ? "FAILED" : "ok", st_sync_path_name(ss->path), ss->identical,
	       (unsigned long long)ss->ops_in, (unsigned long long)ss->ops_out, f.got,
	       t_live ? t_live - t0 : 0, (unsigned long long)sent, (unsigned long long)recvd, t);
	st_session_free(s);
	free(f.h);
	return result;
}

static int serve(struct st_db *db, const uint8_t peer[ST_ID_LEN], const char *port)
{
	int ls = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, zero = 0;
	if (ls < 0)
		die("socket", -errno);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any,
				  .sin6_port = htons((uint16_t)atoi(port)) };
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 1) != 0)
		die("bind/listen", -errno);
	printf("listening %s\n", port);
	fflush(stdout);
	struct pollfd p = { ls, POLLIN, 0 };
	int r = poll(&p, 1, (int)(timeout_s * 1000));
	if (r <= 0)
		die("no peer connected", r < 0 ? -errno : -ETIMEDOUT);
	int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept", -errno);
	close(ls);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int rc = run(fd, db, peer, 0, "serve");
	close(fd);
	return rc;
}

static int sync_with(struct st_db *db, const uint8_t peer[ST_ID_LEN], const char *host,
		     const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "store_tcp: %s: %s\n", host, gai_strerror(rc));
		return 1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("connect", -errno);
	freeaddrinfo(ai);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = run(fd, db, peer, 1, "sync");
	close(fd);
	return rc;
}

/* ---- import / export ---- */

static struct st_db *import_db;
static size_t import_root, import_n;
static uint64_t import_bytes;

static int import_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !S_ISREG(sb->st_mode))
		return 0;
	const char *name = path + import_root;
	while (*name == '/')
		name++;
	int rc = st_files_put(import_db, name, path, st_wall_ms(), NULL, NULL);
	if (rc != 0) {
		fprintf(stderr, "store_tcp import: %s: %s\n", path, sp_strerror(rc));
		return 1;
	}
	import_n++;
	import_bytes += (uint64_t)sb->st_size;
	return 0;
}

static int import_dir(struct st_db *db, const char *dir)
{
	import_db = db;
	import_root = strlen(dir);
	double t0 = now_s();
	int rc = nftw(dir, import_one, 64, FTW_PHYS);
	printf("store_tcp import: %zu files, %llu bytes, %.3f s\n", import_n,
	       (unsigned long long)import_bytes, now_s() - t0);
	return rc != 0;
}

static int mkdirs(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		int rc = mkdir(path, 0755);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int export_dir(struct st_db *db, const char *dir, const char *prefix)
{
	struct names ns = { 0 };
	double t0 = now_s();
	int rc = list_files(db, 0, &ns), bad = rc != 0;
	size_t n = 0;
	for (size_t i = 0; i < ns.n; i++) {
		char dest[8192];
		if (prefix && strncmp(ns.v[i], prefix, strlen(prefix)) != 0)
			continue;
		n++;
		snprintf(dest, sizeof(dest), "%s/%s", dir, ns.v[i]);
		if ((rc = mkdirs(dest)) != 0 || (rc = st_files_get(db, ns.v[i], dest, NULL, NULL)) != 0) {
			fprintf(stderr, "store_tcp export: %s: %s\n", ns.v[i], sp_strerror(rc));
			bad = 1;
		}
	}
	printf("store_tcp export: %zu files, %.3f s\n", n, now_s() - t0);
	names_free(&ns);
	return bad;
}

static void usage(void)
{
	fprintf(stderr, "usage: store_tcp [-n NAME | -i HEX] [-p PEER | -P HEX] [-t SECS]\n"
			"         serve DB PORT | sync DB HOST PORT | import DB DIR | export DB DIR [PREFIX]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	uint8_t self[ST_ID_LEN], peer[ST_ID_LEN];
	int have_self = 0, have_peer = 0, c;
	if (sodium_init() < 0)
		return 1;
	while ((c = getopt(argc, argv, "n:i:p:P:t:")) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'i':
			if (hex_id(optarg, self) != 0)
				usage();
			have_self = 1;
			break;
		case 'p':
			name_id(optarg, peer);
			have_peer = 1;
			break;
		case 'P':
			if (hex_id(optarg, peer) != 0)
				usage();
			have_peer = 1;
			break;
		case 't':
			timeout_s = atof(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		usage();
	const char *cmd = argv[0], *path = argv[1];
	if (!have_self)
		name_id(name ? name : path, self);
	struct st_db *db;
	int rc = st_db_open(path, self, &db);
	if (rc != 0)
		die(path, rc);
	int r;
	if (strcmp(cmd, "serve") == 0 && argc == 3 && have_peer)
		r = serve(db, peer, argv[2]);
	else if (strcmp(cmd, "sync") == 0 && argc == 4 && have_peer)
		r = sync_with(db, peer, argv[2], argv[3]);
	else if (strcmp(cmd, "import") == 0 && argc == 3)
		r = import_dir(db, argv[2]);
	else if (strcmp(cmd, "export") == 0 && (argc == 3 || argc == 4))
		r = export_dir(db, argv[2], argc == 4 ? argv[3] : NULL);
	else
		usage();
	st_db_close(db);
	return r;
}
