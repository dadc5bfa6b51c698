/*
 * node.h - a running signpostd: the loop, its configuration and its planes.
 *
 * A plane (DNS, tunnel, later NAT and store) plugs into the node through a
 * struct sp_plane.  The node owns the one uv loop; planes embed their handles
 * in their own state and close them from stop().  Lifecycle:
 *
 *   start:   for each plane: check(cfg), then start(node, &state)
 *   SIGHUP:  load the new file; check(new) and prepare(state, new, &pending)
 *            on every plane; only if all succeed, commit(state, pending) on
 *            every plane (which cannot fail) and swap node->cfg; otherwise
 *            abort(state, pending) on those that prepared: all or nothing
 *   SIGTERM: stop(state) on every plane, close the node's own handles, run
 *            the loop until every handle is closed, uv_loop_close() == 0
 *
 * Control commands (the `signpost` CLI over the control socket) are
 * registered by planes with sp_ctl_register() (ctl.h).
 */
#ifndef SP_NODE_H
#define SP_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "ctl.h"
#include "error.h"
#include "interval.h"
#include "keys.h"
#include "keystore.h"
#include "service.h"
#include "reply.h"
#include "timer.h"

struct sp_node;
struct sp_status;
struct sp_buf;

struct sp_plane {
	const char *name;	/* "dns", "tunnel", ... */
	/*
	 * The configuration sections and options this plane owns (terminated
	 * by name == NULL), composed with core's and the other planes' into
	 * the one schema before any file is read (config.h).  NULL: none.
	 */
	const struct sp_section_schema *sections;
	/* Is this configuration acceptable?  No side effects; log file:line errors. */
	int (*check)(const struct sp_config *cfg);
	/* Start serving; *state is the plane's own object.  0 or an error. */
	int (*start)(struct sp_node *node, void **state);
	/*
	 * Reload in two phases.  prepare() builds everything the new
	 * configuration needs (allocations, sockets, keys) without changing
	 * what runs, and returns it in *pending; commit() switches to it and
	 * cannot fail; abort() drops it when another plane refused.  A plane
	 * with nothing to reload leaves all three NULL.  prepare() refuses, with
	 * a file:line message, what cannot change without a restart.
	 */
	int (*prepare)(void *state, const struct sp_config *cfg, void **pending);
	void (*commit)(void *state, void *pending);
	void (*abort)(void *state, void *pending);
	/* Begin asynchronous teardown: close every handle; free in close callbacks. */
	void (*stop)(void *state);
	/* Describe the plane's state, e.g. sp_status_add(st, "state", "serving"). */
	void (*status)(void *state, struct sp_status *st);
	/* Timers this plane uses, registered before SIGNPOST_INTERVALS applies. */
	struct sp_interval *const *intervals;
	size_t n_intervals;
};

#define SP_MAX_PLANES 8

struct sp_node {
	uv_loop_t *loop;
	struct sp_config *cfg;
	struct sp_keys *keys;		/* node identity in custody (SP_SVC_KEYS); freed at exit */
	uint64_t started_ms;		/* uv_now() at start */
	int64_t started_wall;		/* time(NULL) at start */
	struct {
		const struct sp_plane *ops;
		void *state;
		bool running;
	} planes[SP_MAX_PLANES];
	size_t n_planes;
	struct sp_ctl *ctl;
	uv_signal_t sig_term, sig_int, sig_hup;
	unsigned reloads_ok, reloads_refused; /* SIGHUP outcomes, shown by status */
	void *services[SP_SVC_MAX];	/* service.h */
	struct sp_node_events {
		struct sp_event_sub {
			enum sp_event_type type;
			sp_event_fn fn;		/* NULL: free slot */
			void *arg;
		} subs[SP_EVENT_SUBS_MAX];
		struct sp_event queue[SP_EVENT_QUEUE_MAX];
		unsigned head, count;
		uint64_t emitted, dropped;
		uv_timer_t timer;		/* delivers the queue on the next loop turn */
		bool ready;
	} events;
	bool stopping;
};

/* Status pairs (sp_status_add) and reply buffers (struct sp_buf): reply.h. */

/* Control commands (sp_ctl_fn, sp_ctl_register, deferred replies): ctl.h. */

/*
 * Lifecycle, used by signpostd.  sp_node_check() runs every plane's check()
 * and loads the key (mode and format).  sp_node_start() takes ownership of
 * cfg, loads the key, opens the control socket, installs the signal handlers
 * and starts the planes; on failure it stops what it started (run the loop
 * to let handles close).  sp_node_stop() begins a clean shutdown; the loop
 * then ends by itself.  sp_node_deinit() frees what is left after the loop.
 */
int sp_node_check(const struct sp_config *cfg, const struct sp_plane *const *planes,
		  size_t n_planes) SP_MUST_CHECK;
/* Compose the planes' sections with core's into the one schema (before any load). */
int sp_node_compose_schema(const struct sp_plane *const *planes, size_t n_planes) SP_MUST_CHECK;
int sp_node_start(struct sp_node *node, uv_loop_t *loop, struct sp_config *cfg,
		  const struct sp_plane *const *planes, size_t n_planes) SP_MUST_CHECK;
void sp_node_stop(struct sp_node *node);
void sp_node_deinit(struct sp_node *node);
/* Re-read node->cfg->path and apply it whole, or keep the old one. */
int sp_node_reload(struct sp_node *node);

#endif
