/*
 * store_ctl.c - the `store` control word (loop code; the work runs on the
 * store's worker thread).  The words, as `signpost store` sends them (a
 * final "json" asks for JSON; "progress" streams a progress bar):
 *
 *   store put COLL KEY JSON             store get COLL KEY
 *   store del COLL KEY                  store ls COLL
 *   store search TEXT                   store conflicts
 *   store put-file PATH NAME            store get-file NAME DEST
 *   store ls-files                      store sync-status
 *   store share COLL ZONE               store unshare COLL ZONE
 *   store shares
 *   ... friend ZONE                     (reads) that friend's replica here: what it shares
 *
 * The request's words are copied into the job: a client that leaves does
 * not take them away from under the worker; its job still runs (a write
 * the worker began is finished) and only the reply is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <sodium.h>

#include "core/ctl.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/status.h"
#include "store/st_files.h"
#include "store/st_hlc.h"
#include "store/store_int.h"
#include "tunnel/overlay.h"

#define CTL_ARGS 8
#define SEARCH_LIMIT 100

struct ctl_job {
	struct st_job job;
	struct store_plane *sp;
	struct sp_ctl_req *req;		/* NULL once the client left */
	int argc;
	char *argv[CTL_ARGS];
	bool json, progress, wrote, shares_changed, peers;
	char friend_zone[256];		/* "friend ZONE": read that friend's replica */
	int rc;
	struct sp_buf out;
	uint64_t last_note_ms;
};

struct ctl_note {
	struct st_job job;
	struct ctl_job *parent;
	char text[160];
};

static void hex8(const uint8_t *id, char out[17])
{
	sodium_bin2hex(out, 17, id, 8);
}

static void iso_time(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- replies: one value, text or JSON ---- */

static void put_value(struct ctl_job *j, const char *coll, const char *key,
		      const struct st_value *v, const char *role)
{
	char dev[17], when[32];
	hex8(v->device, dev);
	iso_time(ST_HLC_MS(v->hlc), when);
	if (j->json) {
		sp_buf_printf(&j->out, "{\"coll\":");
		sp_json_string(&j->out, coll);
		sp_buf_printf(&j->out, ",\"key\":");
		sp_json_string(&j->out, key);
		sp_buf_printf(&j->out, ",\"value\":");
		if (v->json)
			sp_buf_append(&j->out, v->json, v->len);
		else
			sp_buf_printf(&j->out, "null");
		sp_buf_printf(&j->out, ",\"deleted\":%s,\"device\":\"%s\",\"time\":\"%s\"",
			      v->json ? "false" : "true", dev, when);
		if (role)
			sp_buf_printf(&j->out, ",\"role\":\"%s\"", role);
		sp_buf_printf(&j->out, "}");
	} else if (role) {
		sp_buf_printf(&j->out, "  %-8s %s %s %.*s\n", role, dev, when,
			      v->json ? (int)v->len : 9, v->json ? v->json : "(deleted)");
	} else {
		sp_buf_printf(&j->out, "%s\t%.*s\n", key, (int)v->len, v->json);
	}
}

static int get_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		  size_t n_conflicts)
{
	struct ctl_job *j = arg;
	if (j->json) {
		put_value(j, coll, key, v, NULL);
		j->out.len--;	/* reopen the object to add the count */
		sp_buf_printf(&j->out, ",\"conflicts\":%zu}\n", n_conflicts);
	} else {
		sp_buf_printf(&j->out, "%.*s\n", (int)v->len, v->json);
		if (n_conflicts)
			sp_buf_printf(&j->out, "# %zu conflicting value%s: signpost store conflicts\n",
				      n_conflicts, n_conflicts == 1 ? "" : "s");
	}
	return 0;
}

struct list_state {
	struct ctl_job *j;
	size_t n;
	int with_coll;
};

static int list_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		   size_t n_conflicts)
{
	(void)n_conflicts;
	struct list_state *ls = arg;
	struct ctl_job *j = ls->j;
	if (j->json) {
		if (ls->n)
			sp_buf_printf(&j->out, ",");
		put_value(j, coll, key, v, NULL);
	} else if (ls->with_coll) {
		sp_buf_printf(&j->out, "%s\t%s\t%.*s\n", coll, key, (int)v->len, v->json);
	} else {
		put_value(j, coll, key, v, NULL);
	}
	ls->n++;
	return 0;
}

static int conflict_cb(void *arg, const char *coll, const char *key, const struct st_value *v,
		       size_t n_conflicts)
{
	(void)n_conflicts;
	struct list_state *ls = arg;
	struct ctl_job *j = ls->j;
	if (v->winner) {
		if (j->json)
			sp_buf_printf(&j->out, "%s{\"coll\":", ls->n ? "]}," : "");
		if (j->json) {
			sp_json_string(&j->out, coll);
			sp_buf_printf(&j->out, ",\"key\":");
			sp_json_string(&j->out, key);
			sp_buf_printf(&j->out, ",\"values\":[");
		} else {
			sp_buf_printf(&j->out, "%s %s\n", coll, key);
		}
		ls->n++;
	} else if (j->json) {
		sp_buf_printf(&j->out, ",");
	}
	put_value(j, coll, key, v, v->winner ? "winner" : "conflict");
	return 0;
}

/* ---- the commands (worker thread) ---- */

static void note_done(struct st_job *job);

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct ctl_job *j = arg;
	uint64_t now = st_wall_ms();
	if (!j->progress || (now - j->last_note_ms < 200 && done < total))
		return;
	j->last_note_ms = now;
	struct ctl_note *n = calloc(1, sizeof(*n));
	if (!n)
		return;
	int pct = total ? (int)(done * 100 / total) : 100, bar = pct * 30 / 100;
	char b[31];
	memset(b, '#', (size_t)bar);
	memset(b + bar, '.', (size_t)(30 - bar));
	b[30] = '\0';
	snprintf(n->text, sizeof(n->text), "\r%s [%s] %3d%% %.1f/%.1f MiB%s", j->argv[1], b, pct,
		 (double)done / 1048576.0, (double)total / 1048576.0, done >= total ? "\n" : "");
	n->parent = j;
	n->job.done = note_done;
	st_work_note(j->sp->work, &n->job);
}

static int file_cb(void *arg, const char *name, uint64_t size, uint64_t chunks, size_t missing,
		   const struct st_value *v)
{
	struct list_state *ls = arg;
	struct ctl_job *j = ls->j;
	char dev[17], when[32];
	hex8(v->device, dev);
	iso_time(ST_HLC_MS(v->hlc), when);
	if (j->json) {
		sp_buf_printf(&j->out, "%s{\"name\":", ls->n ? "," : "");
		sp_json_string(&j->out, name);
		sp_buf_printf(&j->out, ",\"size\":%llu,\"chunks\":%llu,\"missing\":%zu,"
			      "\"device\":\"%s\",\"time\":\"%s\"}",
			      (unsigned long long)size, (unsigned long long)chunks, missing, dev, when);
	} else {
		sp_buf_printf(&j->out, "%s\t%llu bytes\t%llu chunks\t%s\t%s\n", name,
			      (unsigned long long)size, (unsigned long long)chunks,
			      missing ? "incomplete" : "complete", when);
		if (missing)
			j->out.len--, sp_buf_printf(&j->out, " (%zu missing)\n", missing);
	}
	ls->n++;
	return 0;
}

static int peer_cb(void *arg, const struct st_db_peer *p)
{
	struct list_state *ls = arg;
	struct ctl_job *j = ls->j;
	char dev[17], when[32];
	hex8(p->device, dev);
	iso_time(p->last_sync_ms, when);
	char dg[2 * ST_ID_LEN + 1];
	sodium_bin2hex(dg, sizeof(dg), p->digest, ST_ID_LEN);
	if (j->json)
		sp_buf_printf(&j->out, "%s{\"device\":\"%s\",\"last-sync\":\"%s\",\"ops-in\":%llu,"
			      "\"ops-out\":%llu,\"bytes-in\":%llu,\"bytes-out\":%llu,"
			      "\"identical\":%s,\"digest\":\"%s\"",
			      ls->n ? "}," : "", dev, when, (unsigned long long)p->ops_in,
			      (unsigned long long)p->ops_out, (unsigned long long)p->bytes_in,
			      (unsigned long long)p->bytes_out, p->identical ? "true" : "false", dg);
	else
		sp_buf_printf(&j->out, "peer %s last-sync %s ops-in %llu ops-out %llu bytes-in %llu "
			      "bytes-out %llu %s digest %s\n", dev, when,
			      (unsigned long long)p->ops_in, (unsigned long long)p->ops_out,
			      (unsigned long long)p->bytes_in, (unsigned long long)p->bytes_out,
			      p->identical ? "identical" : "different", dg);
	ls->n++;
	return 0;
}

static int share_cb(void *arg, const char *coll, const char *zone)
{
	struct list_state *ls = arg;
	struct ctl_job *j = ls->j;
	if (j->json) {
		sp_buf_printf(&j->out, "%s{\"coll\":", ls->n ? "," : "");
		sp_json_string(&j->out, coll);
		sp_buf_printf(&j->out, ",\"zone\":");
		sp_json_string(&j->out, zone);
		sp_buf_printf(&j->out, "}");
	} else {
		sp_buf_printf(&j->out, "%s\t%s\n", coll, zone);
	}
	ls->n++;
	return 0;
}

static void say_done(struct ctl_job *j, const char *what, const uint8_t id[ST_ID_LEN])
{
	char hex[2 * ST_ID_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), id, ST_ID_LEN);
	if (j->json)
		sp_buf_printf(&j->out, "{\"%s\":true,\"op\":\"%s\"}\n", what, hex);
	else
		sp_buf_printf(&j->out, "%s op %s\n", what, hex);
}

static void ctl_run(struct st_job *job, struct st_db *db)
{
	struct ctl_job *j = (struct ctl_job *)job;
	char **a = j->argv;
	const char *cmd = a[1];
	int n = j->argc;
	uint8_t id[ST_ID_LEN];
	struct list_state ls = { .j = j };
	int rc = -EINVAL;

	if (j->friend_zone[0]) {
		static const char *const reads[] = { "get", "ls", "search", "conflicts", "ls-files",
						     "get-file", NULL };
		int ok = 0;
		for (int i = 0; reads[i]; i++)
			ok |= strcmp(cmd, reads[i]) == 0;
		if (!ok) {
			sp_buf_printf(&j->out, "error: %s: a friend's replica is read-only\n", cmd);
			j->rc = SP_ESTATE;
			return;
		}
		if (!(db = store__friend_db(j->sp, j->friend_zone))) {
			sp_buf_printf(&j->out, "error: no replica of %s here\n", j->friend_zone);
			j->rc = SP_ENOTFOUND;
			return;
		}
	}

	if (strcmp(cmd, "put") == 0 && n == 5) {
		rc = st_db_put(db, a[2], a[3], a[4], strlen(a[4]), 0, st_wall_ms(), id);
		if (rc == SP_EMALFORMED)
			sp_buf_printf(&j->out, "error: %s/%s: not a collection and key, or not JSON\n",
				      a[2], a[3]);
		else if (rc == 0)
			say_done(j, "put", id), j->wrote = true;
	} else if (strcmp(cmd, "del") == 0 && n == 4) {
		rc = st_db_del(db, a[2], a[3], 0, st_wall_ms(), id);
		if (rc == 0)
			say_done(j, "deleted", id), j->wrote = true;
	} else if (strcmp(cmd, "get") == 0 && n == 4) {
		rc = st_db_get(db, a[2], a[3], get_cb, j);
		if (rc == SP_ENOTFOUND)
			sp_buf_printf(&j->out, "error: %s/%s: no such document\n", a[2], a[3]);
	} else if (strcmp(cmd, "ls") == 0 && n == 3) {
		sp_buf_printf(&j->out, j->json ? "[" : "");
		rc = st_db_ls(db, a[2], list_cb, &ls);
		sp_buf_printf(&j->out, j->json ? "]\n" : "");
	} else if (strcmp(cmd, "search") == 0 && n == 3) {
		ls.with_coll = 1;
		sp_buf_printf(&j->out, j->json ? "[" : "");
		rc = st_db_search(db, a[2], SEARCH_LIMIT, list_cb, &ls);
		sp_buf_printf(&j->out, j->json ? "]\n" : "");
		if (rc == -EIO || rc == SP_EMALFORMED)
			sp_buf_printf(&j->out, "error: not a search query: %s\n", a[2]);
	} else if (strcmp(cmd, "conflicts") == 0 && n == 2) {
		sp_buf_printf(&j->out, j->json ? "[" : "");
		rc = st_db_conflicts(db, conflict_cb, &ls);
		sp_buf_printf(&j->out, j->json ? (ls.n ? "]}]\n" : "]\n") : "");
		if (!j->json && ls.n == 0)
			sp_buf_printf(&j->out, "no conflicts\n");
	} else if (strcmp(cmd, "put-file") == 0 && n == 4) {
		rc = st_files_put(db, a[3], a[2], st_wall_ms(), progress, j);
		if (rc == 0) {
			j->wrote = true;
			sp_buf_printf(&j->out, j->json ? "{\"put-file\":true,\"name\":\"%s\"}\n"
						       : "put-file %s\n", a[3]);
		} else {
			sp_buf_printf(&j->out, "error: %s: %s\n", a[2], sp_strerror(rc));
		}
	} else if (strcmp(cmd, "get-file") == 0 && n == 4) {
		rc = st_files_get(db, a[2], a[3], progress, j);
		size_t missing = 0;
		if (rc == -EAGAIN && st_files_missing(db, a[2], NULL, NULL, &missing) == 0)
			sp_buf_printf(&j->out, "error: %s: %zu chunks are not here yet; they are "
				      "fetched from the own devices while connected\n", a[2], missing);
		else if (rc == SP_ENOTFOUND)
			sp_buf_printf(&j->out, "error: %s: no such file\n", a[2]);
		else if (rc)
			sp_buf_printf(&j->out, "error: %s: %s\n", a[3], sp_strerror(rc));
		else
			sp_buf_printf(&j->out, j->json ? "{\"get-file\":true,\"dest\":\"%s\"}\n"
						       : "get-file %s\n", a[3]);
	} else if (strcmp(cmd, "ls-files") == 0 && n == 2) {
		sp_buf_printf(&j->out, j->json ? "[" : "");
		rc = st_files_ls(db, file_cb, &ls);
		sp_buf_printf(&j->out, j->json ? "]\n" : "");
	} else if (strcmp(cmd, "sync-status") == 0 && n == 2) {
		struct st_db_stats st;
		rc = st_db_stats(db, &st);
		if (rc == 0 && j->json)
			sp_buf_printf(&j->out, "{\"ops\":%llu,\"docs\":%llu,\"conflicts\":%llu,"
				      "\"chunks\":%llu,\"peers\":[", (unsigned long long)st.ops,
				      (unsigned long long)st.docs, (unsigned long long)st.conflicts,
				      (unsigned long long)st.chunks);
		else if (rc == 0)
			sp_buf_printf(&j->out, "replica ops %llu docs %llu conflicts %llu chunks %llu\n",
				      (unsigned long long)st.ops, (unsigned long long)st.docs,
				      (unsigned long long)st.conflicts, (unsigned long long)st.chunks);
		if (rc == 0)
			rc = st_db_peers(db, peer_cb, &ls);
		j->peers = ls.n > 0;
	} else if ((strcmp(cmd, "share") == 0 || strcmp(cmd, "unshare") == 0) && n == 4) {
		char zone[TUN_OVERLAY_ZONE_MAX + 1];
		rc = tun_overlay_zone_canonical(a[3], zone) < 0 ? SP_EMALFORMED : 0;
		if (rc == 0)
			rc = st_db_share(db, a[2], zone, cmd[0] == 's');
		if (rc == 0) {
			j->shares_changed = true;
			sp_buf_printf(&j->out, "%s %s %s\n", cmd, a[2], zone);
		} else if (rc == SP_ENOTFOUND) {
			sp_buf_printf(&j->out, "error: %s is not shared with %s\n", a[2], zone);
		} else {
			sp_buf_printf(&j->out, "error: %s %s: not a collection and a zone\n", a[2], a[3]);
		}
	} else if (strcmp(cmd, "shares") == 0 && n == 2) {
		sp_buf_printf(&j->out, j->json ? "[" : "");
		rc = st_db_shares(db, share_cb, &ls);
		sp_buf_printf(&j->out, j->json ? "]\n" : "");
	} else {
		sp_buf_printf(&j->out, "usage: store put COLL KEY JSON | get COLL KEY | del COLL KEY | "
			      "ls COLL | search TEXT | conflicts | put-file PATH NAME | "
			      "get-file NAME DEST | ls-files | sync-status | share COLL ZONE | "
			      "unshare COLL ZONE | shares [json]\n");
	}
	if (rc < 0 && j->out.len == 0)
		sp_buf_printf(&j->out, "error: %s\n", sp_strerror(rc));
	j->rc = rc;
}

/* ---- the loop half ---- */

static void ctl_job_free(struct ctl_job *j)
{
	for (int i = 0; i < j->argc; i++)
		free(j->argv[i]);
	sp_buf_free(&j->out);
	free(j);
}

/* sync-status: what the loop knows of the connections now. */
static void live_sessions(struct ctl_job *j)
{
	struct store_plane *sp = j->sp;
	size_t k = 0;
	if (j->json)
		sp_buf_printf(&j->out, "%s],\"sessions\":[", j->peers ? "}" : "");
	for (struct store_conn *c = sp->conns; c; c = c->next, k++) {
		char dev[17];
		hex8(c->peer_dev, dev);
		const struct st_session_stats *s = &c->stats;
		const char *path = st_sync_path_name(s->path), *state = st_session_state_name(c->state);
		if (j->json)
			sp_buf_printf(&j->out, "%s{\"peer\":\"%s\",\"device\":\"%s\",\"kind\":\"%s\","
				      "\"state\":\"%s\",\"path\":\"%s\",\"ops-in\":%llu,\"ops-out\":%llu,"
				      "\"bytes-in\":%llu,\"bytes-out\":%llu,\"identical\":%s}",
				      k ? "," : "", c->name, dev, c->kind == STORE_OWN ? "own" : "friend",
				      state, path, (unsigned long long)s->ops_in,
				      (unsigned long long)s->ops_out, (unsigned long long)s->bytes_in,
				      (unsigned long long)s->bytes_out, s->identical ? "true" : "false");
		else
			sp_buf_printf(&j->out, "session %s device %s %s %s path %s ops-in %llu ops-out "
				      "%llu bytes-in %llu bytes-out %llu %s\n", c->name, dev,
				      c->kind == STORE_OWN ? "own" : "friend", state, path,
				      (unsigned long long)s->ops_in, (unsigned long long)s->ops_out,
				      (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
				      s->synced ? (s->identical ? "identical" : "different") : "syncing");
	}
	if (j->json)
		sp_buf_printf(&j->out, "]}\n");
	else if (k == 0)
		sp_buf_printf(&j->out, "no sessions now\n");
}

static void ctl_done(struct st_job *job)
{
	struct ctl_job *j = (struct ctl_job *)job;
	struct store_plane *sp = j->sp;
	if (j->wrote && !sp->stopping)
		store__notify(sp, NULL);
	if (j->shares_changed && !sp->stopping)
		store__shares_load(sp);
	if (j->req) {
		if (j->rc >= 0 && strcmp(j->argv[1], "sync-status") == 0)
			live_sessions(j);
		struct sp_buf *out = sp_ctl_req_out(j->req);
		sp_buf_append(out, j->out.data ? j->out.data : "", j->out.len);
		sp_ctl_req_on_cancel(j->req, NULL, NULL);
		sp_ctl_req_finish(j->req, j->rc < 0 ? j->rc : 0);
	}
	ctl_job_free(j);
}

static void note_done(struct st_job *job)
{
	struct ctl_note *n = (struct ctl_note *)job;
	/* A progress line that does not fit is dropped: the next one says the same, later. */
	if (n->parent->req && sp_ctl_req_write(n->parent->req, n->text, strlen(n->text)) != 0)
		sp_debug("store: a progress line was dropped");
	free(n);
}

static void ctl_cancel(struct sp_ctl_req *req, void *arg)
{
	(void)req;
	struct ctl_job *j = arg;
	j->req = NULL;	/* the job runs on; its reply goes nowhere */
}

static int cmd_store(struct sp_ctl_req *req, void *arg, int argc, char **argv, struct sp_buf *out)
{
	struct store_plane *sp = arg;
	if (!sp->enabled || !sp->work) {
		sp_buf_printf(out, "error: the store is off%s%s\n", sp->off_reason[0] ? ": " : "",
			      sp->off_reason);
		return SP_ESTATE;
	}
	struct ctl_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	/* Trailing option words, then the command's own. */
	while (argc > 2 && (strcmp(argv[argc - 1], "json") == 0 ||
			    strcmp(argv[argc - 1], "progress") == 0)) {
		if (argv[argc - 1][0] == 'j')
			j->json = true;
		else
			j->progress = true;
		argc--;
	}
	if (argc > 3 && strcmp(argv[argc - 2], "friend") == 0) {
		char zone[TUN_OVERLAY_ZONE_MAX + 1];
		if (tun_overlay_zone_canonical(argv[argc - 1], zone) < 0) {
			free(j);
			sp_buf_printf(out, "error: %s: not a zone name\n", argv[argc - 1]);
			return -EINVAL;
		}
		snprintf(j->friend_zone, sizeof(j->friend_zone), "%s", zone);
		argc -= 2;
	}
	if (argc < 2 || argc > CTL_ARGS) {
		free(j);
		sp_buf_printf(out, "usage: store COMMAND ... (signpost store --help)\n");
		return -EINVAL;
	}
	j->sp = sp;
	j->req = req;
	j->argc = argc;
	for (int i = 0; i < argc; i++)
		if (!(j->argv[i] = strdup(argv[i]))) {
			j->argc = i;
			ctl_job_free(j);
			return -ENOMEM;
		}
	j->job.run = ctl_run;
	j->job.done = ctl_done;
	if (j->friend_zone[0])
		store__follow(sp, j->friend_zone);	/* and keep it in step from now on */
	sp_ctl_req_on_cancel(req, ctl_cancel, j);
	st_work_submit(sp->work, &j->job);
	return SP_CTL_LATER;
}

/* ---- shares: the database's list, mirrored on the loop for accept() ---- */

struct shares_job {
	struct st_job job;
	struct store_plane *sp;
	struct store_share shares[STORE_SHARES_MAX];
	size_t n;
};

static int shares_collect(void *arg, const char *coll, const char *zone)
{
	struct shares_job *s = arg;
	if (s->n == STORE_SHARES_MAX)
		return 1;
	struct store_share *sh = &s->shares[s->n];
	snprintf(sh->coll, sizeof(sh->coll), "%s", coll);
	snprintf(sh->zone, sizeof(sh->zone), "%s", zone);
	if (tun_overlay_prefix(zone, sh->prefix) == 0)
		s->n++;
	return 0;
}

static void shares_run(struct st_job *job, struct st_db *db)
{
	struct shares_job *s = (struct shares_job *)job;
	(void)st_db_shares(db, shares_collect, s);
}

static void shares_done(struct st_job *job)
{
	struct shares_job *s = (struct shares_job *)job;
	struct store_plane *sp = s->sp;
	memcpy(sp->shares, s->shares, s->n * sizeof(s->shares[0]));
	sp->n_shares = s->n;
	free(s);
	/*
	 * A friend's session sends what was shared when it began: end them all,
	 * so that an unshared collection stops at once and a newly shared one
	 * flows; the friends' devices come back and are let in (or not) anew.
	 */
	for (struct store_conn *c = sp->conns; c; c = c->next)
		if (c->kind == STORE_FRIEND && !c->dead) {
			sp_log(SP_LOG_INFO, "store: shares changed: ending the session with %s", c->name);
			sp_stream_end(&c->st, SP_STREAM_LOCAL);
		}
}

void store__shares_load(struct store_plane *sp)
{
	struct shares_job *s = calloc(1, sizeof(*s));
	if (!s || !sp->work) {
		free(s);
		return;
	}
	s->sp = sp;
	s->job.run = shares_run;
	s->job.done = shares_done;
	st_work_submit(sp->work, &s->job);
}

int store__ctl_start(struct store_plane *sp)
{
	return sp_ctl_register(sp->node, "store", cmd_store, sp);
}
