/*
 * st_files.c - files as chunks, index chunks and a manifest (st_files.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "store/st_cdc.h"
#include "store/st_files.h"

#define READ_BUF (4u * ST_CDC_MAX)

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly {"size":N,"chunks":K,"index":["hex",...]}: anything else is not ours. */
int st_manifest_parse(const char *json, size_t len, struct st_manifest *m)
{
	memset(m, 0, sizeof(*m));
	const char *p = json, *end = json + len;
	uint64_t *nums[2] = { &m->size, &m->chunks };
	static const char *const heads[2] = { "{\"size\":", ",\"chunks\":" };
	for (int f = 0; f < 2; f++) {
		size_t hl = strlen(heads[f]);
		if ((size_t)(end - p) < hl || memcmp(p, heads[f], hl) != 0)
			return SP_EMALFORMED;
		p += hl;
		int digits = 0;
		while (p < end && *p >= '0' && *p <= '9' && digits < 19) {
			*nums[f] = *nums[f] * 10 + (uint64_t)(*p++ - '0');
			digits++;
		}
		if (!digits)
			return SP_EMALFORMED;
	}
	static const char idx[] = ",\"index\":[";
	if ((size_t)(end - p) < sizeof(idx) - 1 || memcmp(p, idx, sizeof(idx) - 1) != 0)
		return SP_EMALFORMED;
	p += sizeof(idx) - 1;
	size_t cap = (size_t)(end - p) / (2 * ST_HASH_LEN + 3) + 1;
	if (cap > ST_INDEX_MAX)
		cap = ST_INDEX_MAX;
	m->index = malloc(cap * ST_HASH_LEN);
	if (!m->index)
		return -ENOMEM;
	while (p < end && *p == '"') {
		if (m->n_index == cap || (size_t)(end - p) < 2 * ST_HASH_LEN + 2 ||
		    p[2 * ST_HASH_LEN + 1] != '"')
			goto bad;
		for (size_t i = 0; i < ST_HASH_LEN; i++) {
			int hi = hex_val(p[1 + 2 * i]), lo = hex_val(p[2 + 2 * i]);
			if (hi < 0 || lo < 0)
				goto bad;
			m->index[m->n_index][i] = (uint8_t)(hi << 4 | lo);
		}
		m->n_index++;
		p += 2 * ST_HASH_LEN + 2;
		if (p < end && *p == ',')
			p++;
		else
			break;
	}
	if (end - p != 2 || p[0] != ']' || p[1] != '}')
		goto bad;
	/* The index holds the chunks: K of them fill exactly ceil(K / 2048) index chunks. */
	if (m->n_index != (m->chunks + ST_INDEX_HASHES - 1) / ST_INDEX_HASHES ||
	    m->size < m->chunks || m->size > m->chunks * (uint64_t)ST_CDC_MAX)
		goto bad;
	return 0;
bad:
	st_manifest_free(m);
	return SP_EMALFORMED;
}

void st_manifest_free(struct st_manifest *m)
{
	free(m->index);
	memset(m, 0, sizeof(*m));
}

struct put_state {
	struct st_replica rep;
	uint8_t (*idx)[ST_HASH_LEN];		/* index chunks so far */
	size_t n_idx, cap_idx;
	uint8_t cur[ST_INDEX_HASHES][ST_HASH_LEN];	/* the index chunk being filled */
	size_t n_cur;
	uint64_t chunks;
};

static int chunk_store(struct st_replica *rep, const uint8_t *data, size_t len,
		       uint8_t hash[ST_HASH_LEN])
{
	crypto_generichash(hash, ST_HASH_LEN, data, len, NULL, 0);
	return rep->vt->chunk_put(rep->ctx, hash, data, len);
}

static int index_flush(struct put_state *ps)
{
	if (ps->n_cur == 0)
		return 0;
	if (ps->n_idx == ps->cap_idx) {
		size_t cap = ps->cap_idx ? 2 * ps->cap_idx : 8;
		if (cap > ST_INDEX_MAX)
			return -EFBIG;
		void *p = realloc(ps->idx, cap * ST_HASH_LEN);
		if (!p)
			return -ENOMEM;
		ps->idx = p;
		ps->cap_idx = cap;
	}
	int rc = chunk_store(&ps->rep, ps->cur[0], ps->n_cur * ST_HASH_LEN, ps->idx[ps->n_idx]);
	if (rc != 0)
		return rc;
	ps->n_idx++;
	ps->n_cur = 0;
	return 0;
}

static int add_chunk(struct put_state *ps, const uint8_t *data, size_t len)
{
	int rc = chunk_store(&ps->rep, data, len, ps->cur[ps->n_cur]);
	if (rc != 0)
		return rc;
	ps->chunks++;
	if (++ps->n_cur == ST_INDEX_HASHES)
		return index_flush(ps);
	return 0;
}

static char *manifest_json(const struct put_state *ps, uint64_t size, size_t *len)
{
	size_t cap = 64 + ps->n_idx * (2 * ST_HASH_LEN + 3);
	char *j = malloc(cap);
	if (!j)
		return NULL;
	size_t n = (size_t)snprintf(j, cap, "{\"size\":%llu,\"chunks\":%llu,\"index\":[",
				    (unsigned long long)size, (unsigned long long)ps->chunks);
	for (size_t i = 0; i < ps->n_idx; i++) {
		j[n++] = '"';
		sodium_bin2hex(j + n, 2 * ST_HASH_LEN + 1, ps->idx[i], ST_HASH_LEN);
		n += 2 * ST_HASH_LEN;
		j[n++] = '"';
		if (i + 1 < ps->n_idx)
			j[n++] = ',';
	}
	j[n++] = ']';
	j[n++] = '}';
	j[n] = '\0';
	*len = n;
	return j;
}

static int put_chunks(struct put_state *ps, int fd, uint64_t total, st_progress_fn fn, void *arg,
		      uint64_t *size)
{
	uint8_t *buf = malloc(READ_BUF);
	if (!buf)
		return -ENOMEM;
	size_t have = 0;
	int eof = 0, rc = 0;
	*size = 0;
	while (rc == 0 && (!eof || have > 0)) {
		if (!eof && have < READ_BUF) {
			ssize_t r = read(fd, buf + have, READ_BUF - have);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				break;
			}
			if (r == 0)
				eof = 1;
			have += (size_t)r;
			*size += (uint64_t)r;
			if (!eof && have < READ_BUF)
				continue;
		}
		size_t at = 0;
		for (;;) {
			size_t c = st_cdc_next(buf + at, have - at, eof);
			if (c == 0 || (rc = add_chunk(ps, buf + at, c)) != 0)
				break;
			at += c;
			if (at == have)
				break;
		}
		memmove(buf, buf + at, have - at);
		have -= at;
		if (fn)
			fn(arg, *size - have, total);
	}
	free(buf);
	return rc;
}

int st_files_put(struct st_db *db, const char *name, const char *path, uint64_t wall_ms,
		 st_progress_fn fn, void *arg)
{
	if (!st_key_valid(name, strlen(name)))
		return SP_EMALFORMED;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	uint64_t total = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	struct put_state *ps = calloc(1, sizeof(*ps));
	if (!ps) {
		close(fd);
		return -ENOMEM;
	}
	ps->rep = st_db_replica(db);
	uint64_t size = 0;
	int rc = st_db_begin(db);
	if (rc == 0)
		rc = put_chunks(ps, fd, total, fn, arg, &size);
	if (rc == 0)
		rc = index_flush(ps);
	char *json = NULL;
	size_t len = 0;
	if (rc == 0 && !(json = manifest_json(ps, size, &len)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = st_db_put(db, ST_FILES_COLL, name, json, len, ST_DB_RESERVED, wall_ms, NULL);
	if (rc == 0)
		rc = st_db_commit(db);
	else
		(void)ps->rep.vt->end(ps->rep.ctx, 0);
	free(json);
	free(ps->idx);
	free(ps);
	close(fd);
	return rc;
}

/* The manifest of name. */
struct man_get {
	struct st_manifest m;
	int rc;
};

static int man_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		  size_t n_conflicts)
{
	(void)coll, (void)key, (void)n_conflicts;
	struct man_get *g = arg;
	g->rc = st_manifest_parse(v->json, v->len, &g->m);
	return 0;
}

static int manifest_of(struct st_db *db, const char *name, struct st_manifest *m)
{
	struct man_get g = { .rc = SP_ENOTFOUND };
	int rc = st_db_get(db, ST_FILES_COLL, name, man_cb, &g);
	if (rc != 0)
		return rc;
	*m = g.m;
	return g.rc;
}

/* Walk the data chunks of a manifest: fn(arg, hash, data or NULL if missing, len). */
typedef int (*walk_fn)(void *arg, const uint8_t hash[ST_HASH_LEN], const uint8_t *data,
		       size_t len);

static int walk(struct st_db *db, const struct st_manifest *m, int want_data, walk_fn fn,
		void *arg, size_t *idx_missing)
{
	struct st_replica rep = st_db_replica(db);
	uint64_t seen = 0;
	int rc = 0;
	*idx_missing = 0;
	for (size_t i = 0; i < m->n_index && rc == 0; i++) {
		uint8_t *ix;
		size_t ixl;
		rc = rep.vt->chunk_get(rep.ctx, m->index[i], &ix, &ixl);
		if (rc == SP_ENOTFOUND) {
			(*idx_missing)++;
			rc = fn(arg, m->index[i], NULL, 0);
			continue;
		}
		if (rc != 0)
			break;
		if (ixl % ST_HASH_LEN || ixl / ST_HASH_LEN > ST_INDEX_HASHES) {
			free(ix);
			return SP_EMALFORMED;
		}
		for (size_t k = 0; k < ixl / ST_HASH_LEN && rc == 0; k++, seen++) {
			const uint8_t *h = ix + k * ST_HASH_LEN;
			uint8_t *data = NULL;
			size_t dl = 0;
			int has = want_data ? rep.vt->chunk_get(rep.ctx, h, &data, &dl)
					    : (rep.vt->chunk_has(rep.ctx, h) == 1 ? 0 : SP_ENOTFOUND);
			if (has != 0 && has != SP_ENOTFOUND)
				rc = has;
			else
				rc = fn(arg, h, has == 0 ? (data ? data : (const uint8_t *)"") : NULL, dl);
			free(data);
		}
		free(ix);
	}
	if (rc == 0 && *idx_missing == 0 && seen != m->chunks)
		return SP_EMALFORMED;
	return rc;
}

struct missing_state {
	st_hash_fn fn;
	void *arg;
	size_t n;
};

static int missing_cb(void *arg, const uint8_t hash[ST_HASH_LEN], const uint8_t *data, size_t len)
{
	(void)len;
	struct missing_state *ms = arg;
	if (data)
		return 0;
	ms->n++;
	return ms->fn ? ms->fn(ms->arg, hash) : 0;
}

int st_files_missing(struct st_db *db, const char *name, st_hash_fn fn, void *arg, size_t *n)
{
	struct st_manifest m;
	int rc = manifest_of(db, name, &m);
	if (rc != 0)
		return rc;
	struct missing_state ms = { fn, arg, 0 };
	size_t im;
	rc = walk(db, &m, 0, missing_cb, &ms, &im);
	st_manifest_free(&m);
	*n = ms.n;
	return rc;
}

struct write_state {
	int fd;
	uint64_t done, total;
	st_progress_fn fn;
	void *arg;
};

static int write_cb(void *arg, const uint8_t hash[ST_HASH_LEN], const uint8_t *data, size_t len)
{
	(void)hash;
	struct write_state *ws = arg;
	if (!data)
		return -EAGAIN;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(ws->fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	ws->done += len;
	if (ws->fn && (ws->done % (1u << 20) < len || ws->done == ws->total))
		ws->fn(ws->arg, ws->done, ws->total);
	return 0;
}

int st_files_get(struct st_db *db, const char *name, const char *dest, st_progress_fn fn,
		 void *arg)
{
	struct st_manifest m;
	int rc = manifest_of(db, name, &m);
	if (rc != 0)
		return rc;
	size_t n_missing = 0;
	if ((rc = st_files_missing(db, name, NULL, NULL, &n_missing)) != 0 || n_missing) {
		st_manifest_free(&m);
		return rc ? rc : -EAGAIN;
	}
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.signpost-part", dest) >= (int)sizeof(tmp)) {
		st_manifest_free(&m);
		return -ENAMETOOLONG;
	}
	struct write_state ws = { .total = m.size, .fn = fn, .arg = arg };
	ws.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ws.fd < 0) {
		st_manifest_free(&m);
		return -errno;
	}
	size_t im;
	rc = walk(db, &m, 1, write_cb, &ws, &im);
	if (rc == 0 && ws.done != m.size)
		rc = SP_EMALFORMED;
	if (rc == 0 && fsync(ws.fd) != 0)
		rc = -errno;
	if (close(ws.fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, dest) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	st_manifest_free(&m);
	return rc;
}

struct ls_state {
	struct st_db *db;
	st_file_fn fn;
	void *arg;
};

static int ls_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		 size_t n_conflicts)
{
	(void)coll, (void)n_conflicts;
	struct ls_state *ls = arg;
	struct st_manifest m;
	if (st_manifest_parse(v->json, v->len, &m) != 0)
		return 0;	/* not a manifest: not listed */
	struct missing_state ms = { 0 };
	size_t im;
	int rc = walk(ls->db, &m, 0, missing_cb, &ms, &im);
	uint64_t size = m.size, chunks = m.chunks;
	st_manifest_free(&m);
	if (rc != 0 && rc != SP_EMALFORMED)
		return rc;
	return ls->fn(ls->arg, key, size, chunks, ms.n, v);
}

int st_files_ls(struct st_db *db, st_file_fn fn, void *arg)
{
	struct ls_state ls = { db, fn, arg };
	return st_db_ls(db, ST_FILES_COLL, ls_cb, &ls);
}
