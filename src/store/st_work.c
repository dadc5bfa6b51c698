/*
 * st_work.c - the store's worker thread (st_work.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "core/log.h"
#include "store/st_work.h"

struct st_work {
	uv_loop_t *loop;
	struct st_db *db;
	uv_thread_t thread;
	uv_mutex_t mu;
	uv_cond_t cv;
	uv_async_t async;
	struct st_job *todo, **todo_tail;	/* under mu */
	struct st_job *done, **done_tail;	/* under mu */
	bool quit;				/* under mu */
	unsigned pending;			/* loop thread */
	void (*closed)(void *arg);
	void *closed_arg;
};

static void push(struct st_job **head, struct st_job ***tail, struct st_job *j)
{
	j->next = NULL;
	**tail = j;
	*tail = &j->next;
}

static void worker_main(void *arg)
{
	struct st_work *w = arg;
	uv_mutex_lock(&w->mu);
	for (;;) {
		while (!w->todo && !w->quit)
			uv_cond_wait(&w->cv, &w->mu);
		struct st_job *j = w->todo;
		if (!j)
			break;	/* quit, and nothing left */
		w->todo = j->next;
		if (!w->todo)
			w->todo_tail = &w->todo;
		uv_mutex_unlock(&w->mu);
		j->run(j, w->db);
		uv_mutex_lock(&w->mu);
		push(&w->done, &w->done_tail, j);
		uv_async_send(&w->async);
	}
	uv_mutex_unlock(&w->mu);
}

static void async_closed(uv_handle_t *h);

static void on_async(uv_async_t *a)
{
	struct st_work *w = a->data;
	uv_mutex_lock(&w->mu);
	struct st_job *j = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	uv_mutex_unlock(&w->mu);
	while (j) {
		struct st_job *next = j->next;
		if (j->run)
			w->pending--;
		j->done(j);
		j = next;
	}
}

int st_work_start(uv_loop_t *loop, struct st_db *db, struct st_work **out)
{
	struct st_work *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->db = db;
	w->todo_tail = &w->todo;
	w->done_tail = &w->done;
	int rc = uv_mutex_init(&w->mu);
	if (rc == 0 && (rc = uv_cond_init(&w->cv)) != 0)
		uv_mutex_destroy(&w->mu);
	if (rc == 0 && (rc = uv_async_init(loop, &w->async, on_async)) != 0) {
		uv_cond_destroy(&w->cv);
		uv_mutex_destroy(&w->mu);
	}
	if (rc != 0) {
		free(w);
		return rc;
	}
	w->async.data = w;
	if ((rc = uv_thread_create(&w->thread, worker_main, w)) != 0) {
		/* Nothing runs yet: w is freed when the async handle has closed. */
		uv_close((uv_handle_t *)&w->async, async_closed);
		return rc;
	}
	*out = w;
	return 0;
}

void st_work_submit(struct st_work *w, struct st_job *j)
{
	w->pending++;
	uv_mutex_lock(&w->mu);
	push(&w->todo, &w->todo_tail, j);
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
}

void st_work_note(struct st_work *w, struct st_job *note)
{
	note->run = NULL;
	uv_mutex_lock(&w->mu);
	push(&w->done, &w->done_tail, note);
	uv_async_send(&w->async);
	uv_mutex_unlock(&w->mu);
}

unsigned st_work_pending(const struct st_work *w)
{
	return w->pending;
}

static void async_closed(uv_handle_t *h)
{
	struct st_work *w = h->data;
	void (*closed)(void *) = w->closed;
	void *arg = w->closed_arg;
	uv_cond_destroy(&w->cv);
	uv_mutex_destroy(&w->mu);
	free(w);
	if (closed)
		closed(arg);
}

void st_work_stop(struct st_work *w, void (*closed)(void *arg), void *arg)
{
	uv_mutex_lock(&w->mu);
	w->quit = true;
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
	uv_thread_join(&w->thread);
	/* Deliver what finished (done callbacks see the plane stopping). */
	on_async(&w->async);
	w->closed = closed;
	w->closed_arg = arg;
	uv_close((uv_handle_t *)&w->async, async_closed);
}
