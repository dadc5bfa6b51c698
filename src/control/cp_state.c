/*
 * cp_state.c - the signpost's two state files under [control] state-dir:
 *
 *   tokens   one issued token a line: ID-HEX NAME EXPIRY HASH-HEX issued|spent
 *            (the hash of the secret, never the secret; spent tokens are
 *            kept until a week past their expiry, to say "already used")
 *   friends  one friend a line, tab-separated: ZONE ANCHOR DNS|- ALLOW|-
 *
 * Both are written whole to NAME.tmp (0600) and renamed, so a crash leaves
 * the old file or the new one.  A line that does not parse is refused at
 * start with FILE:LINE.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/cp_signpost.h"
#include "core/log.h"

#define KEEP_SPENT_S (7 * 86400)

static void path_of(const struct cp_signpost *s, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", s->state_dir, name);
}

/* Open NAME for reading; a missing file is an empty one (*f NULL). */
static int open_state(const struct cp_signpost *s, const char *name, char *path, size_t cap,
		      FILE **f)
{
	path_of(s, name, path, cap);
	*f = fopen(path, "r");
	if (*f == NULL && errno != ENOENT) {
		int e = -errno;
		sp_err("control: %s: %s", path, strerror(errno));
		return e;
	}
	return 0;
}

static int write_state(const struct cp_signpost *s, const char *name, const char *text)
{
	char path[4200], tmp[4210];
	path_of(s, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = -errno;
		sp_err("control: %s: %s", tmp, strerror(errno));
		return e;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	int rc = off == len && fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc) {
		sp_err("control: cannot write %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

int cp__tokens_load(struct cp_signpost *s)
{
	char path[4200], line[512];
	FILE *f;
	int rc = open_state(s, "tokens", path, sizeof(path), &f);
	if (rc || f == NULL)
		return rc;
	unsigned lineno = 0;
	size_t n = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char id[64], name[64], hash[80], state[16];
		long long expiry;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		struct cp_tok *t = n < CP_TOKENS_MAX ? &s->tok[n] : NULL;
		size_t il = 0, hl = 0;
		if (t == NULL ||
		    sscanf(line, "%63s %63s %lld %79s %15s", id, name, &expiry, hash, state) != 5 ||
		    sodium_hex2bin(t->id, 16, id, strlen(id), NULL, &il, NULL) != 0 || il != 16 ||
		    sodium_hex2bin(t->hash, 32, hash, strlen(hash), NULL, &hl, NULL) != 0 ||
		    hl != 32 || (strcmp(state, "issued") != 0 && strcmp(state, "spent") != 0)) {
			sp_err("%s:%u: not a token line (ID NAME EXPIRY HASH issued|spent)", path,
			       lineno);
			rc = SP_ECONFIG;
			break;
		}
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->expiry = expiry;
		t->spent = strcmp(state, "spent") == 0;
		t->used = true;
		n++;
	}
	fclose(f);
	return rc;
}

int cp__tokens_save(struct cp_signpost *s)
{
	size_t cap = CP_TOKENS_MAX * 200 + 64, len = 0;
	char *text = malloc(cap);
	if (!text)
		return -ENOMEM;
	int64_t now = (int64_t)time(NULL);
	len += (size_t)snprintf(text, cap, "# issued enrollment tokens (signpostd writes this)\n");
	for (size_t i = 0; i < CP_TOKENS_MAX; i++) {
		struct cp_tok *t = &s->tok[i];
		if (!t->used)
			continue;
		if (t->expiry + KEEP_SPENT_S < now) {
			t->used = false;	/* long expired: forget it */
			continue;
		}
		char id[33], hash[65];
		sodium_bin2hex(id, sizeof(id), t->id, 16);
		sodium_bin2hex(hash, sizeof(hash), t->hash, 32);
		len += (size_t)snprintf(text + len, cap - len, "%s %s %lld %s %s\n", id, t->name,
					(long long)t->expiry, hash, t->spent ? "spent" : "issued");
	}
	int rc = write_state(s, "tokens", text);
	free(text);
	return rc;
}

int cp__friends_load(struct cp_signpost *s)
{
	char path[4200], line[1024];
	FILE *f;
	int rc = open_state(s, "friends", path, sizeof(path), &f);
	if (rc || f == NULL)
		return rc;
	unsigned lineno = 0;
	s->n_friends = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *field[4] = { NULL }, *save = NULL, *p = line;
		int k = 0;
		for (char *tok = strtok_r(p, "\t", &save); tok && k < 4;
		     tok = strtok_r(NULL, "\t", &save))
			field[k++] = tok;
		struct cp_sfriend *fr = s->n_friends < CP_FRIENDS_LIST_MAX ?
					       &s->friends[s->n_friends] : NULL;
		memset(fr ? fr : &(struct cp_sfriend){ 0 }, 0, sizeof(struct cp_sfriend));
		if (fr == NULL || k != 4 || strlen(field[0]) >= sizeof(fr->zone) ||
		    strlen(field[1]) >= sizeof(fr->anchor) || strlen(field[3]) >= sizeof(fr->allow) ||
		    (strcmp(field[2], "-") != 0 && sp_endpoint_parse(field[2], false, 0, &fr->dns) != 0)) {
			sp_err("%s:%u: not a friend line (ZONE<tab>ANCHOR<tab>DNS|-<tab>ALLOW|-)",
			       path, lineno);
			rc = SP_ECONFIG;
			break;
		}
		snprintf(fr->zone, sizeof(fr->zone), "%s", field[0]);
		snprintf(fr->anchor, sizeof(fr->anchor), "%s", field[1]);
		snprintf(fr->allow, sizeof(fr->allow), "%s", strcmp(field[3], "-") ? field[3] : "");
		s->n_friends++;
	}
	fclose(f);
	return rc;
}

int cp__friends_save(struct cp_signpost *s)
{
	size_t cap = CP_FRIENDS_LIST_MAX * (sizeof(struct cp_sfriend) + 80) + 64, len = 0;
	char *text = malloc(cap);
	if (!text)
		return -ENOMEM;
	len += (size_t)snprintf(text, cap, "# friends: ZONE ANCHOR DNS|- ALLOW|- "
					   "(signpostd writes this; use `signpost friend`)\n");
	for (size_t i = 0; i < s->n_friends; i++) {
		const struct cp_sfriend *f = &s->friends[i];
		char dns[SP_ENDPOINT_STRLEN] = "-";
		if (f->dns.sa.sa_family)
			sp_endpoint_format(&f->dns, dns);
		len += (size_t)snprintf(text + len, cap - len, "%s\t%s\t%s\t%s\n", f->zone,
					f->anchor, dns, f->allow[0] ? f->allow : "-");
	}
	int rc = write_state(s, "friends", text);
	free(text);
	return rc;
}
