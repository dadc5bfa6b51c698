/*
 * st_work.h - the store's worker thread (loop code).
 *
 * SQLite calls can wait on a disk (a commit, a checkpoint, a cold page);
 * none of that may stall the event loop, which carries DNS and the tunnel.
 * So the store's database belongs to one thread of its own: the loop hands
 * it jobs in order, it runs each job's run() with the database, and the
 * loop gets each job back, in the same order, in done().  One thread, not
 * libuv's pool: st_db and the sync sessions are single-threaded by design,
 * and FIFO order is what keeps a session's frames in order.
 *
 * A job may send notes to the loop while it runs (st_work_note: progress
 * of a long put-file); they arrive before its done().
 */
#ifndef STORE_ST_WORK_H
#define STORE_ST_WORK_H

#include <stdbool.h>
#include <uv.h>

#include "core/error.h"

struct st_db;
struct st_work;

struct st_job {
	/* On the worker thread, with the database.  NULL: a note (done only). */
	void (*run)(struct st_job *j, struct st_db *db);
	/* On the loop, after run(). */
	void (*done)(struct st_job *j);
	struct st_job *next;
};

/* Start the thread for db (which it owns from now on, until stopped). */
int st_work_start(uv_loop_t *loop, struct st_db *db, struct st_work **out) SP_MUST_CHECK;

/* Queue a job (loop thread). */
void st_work_submit(struct st_work *w, struct st_job *j);

/* From inside run(): hand a note job (run NULL) to the loop now. */
void st_work_note(struct st_work *w, struct st_job *note);

/* Jobs queued or running (loop thread). */
unsigned st_work_pending(const struct st_work *w);

/*
 * Finish the queued jobs, end the thread, close the async handle; then
 * closed(arg) runs on the loop and the database may be closed.
 */
void st_work_stop(struct st_work *w, void (*closed)(void *arg), void *arg);

#endif
