/* service.c - services and events between planes; see service.h. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "node.h"
#include "service.h"

int sp_service_provide(struct sp_node *node, enum sp_service_id id, void *obj)
{
	if ((unsigned)id >= SP_SVC_MAX || obj == NULL)
		return -EINVAL;
	if (node->services[id] != NULL)
		return -EEXIST;
	node->services[id] = obj;
	return 0;
}

void sp_service_withdraw(struct sp_node *node, enum sp_service_id id, void *obj)
{
	if ((unsigned)id < SP_SVC_MAX && node->services[id] == obj)
		node->services[id] = NULL;
}

void *sp_service_get(const struct sp_node *node, enum sp_service_id id)
{
	return (unsigned)id < SP_SVC_MAX ? node->services[id] : NULL;
}

int sp_event_subscribe(struct sp_node *node, enum sp_event_type type, sp_event_fn fn, void *arg)
{
	if ((unsigned)type >= SP_EV_MAX || fn == NULL)
		return -EINVAL;
	for (int i = 0; i < SP_EVENT_SUBS_MAX; i++) {
		struct sp_event_sub *s = &node->events.subs[i];
		if (s->fn == NULL) {
			*s = (struct sp_event_sub){ .type = type, .fn = fn, .arg = arg };
			return i + 1;
		}
	}
	return SP_ELIMIT;
}

void sp_event_unsubscribe(struct sp_node *node, int id)
{
	if (id > 0 && id <= SP_EVENT_SUBS_MAX)
		node->events.subs[id - 1].fn = NULL;
}

static void events_deliver(uv_timer_t *t)
{
	struct sp_node *node = t->data;
	struct sp_node_events *e = &node->events;
	/* Events emitted by subscribers now wait for the next round: bounded work per wakeup. */
	unsigned n = e->count;
	while (n-- > 0 && e->count > 0) {
		struct sp_event ev = e->queue[e->head];
		e->head = (e->head + 1) % SP_EVENT_QUEUE_MAX;
		e->count--;
		for (int i = 0; i < SP_EVENT_SUBS_MAX; i++)
			if (e->subs[i].fn && e->subs[i].type == ev.type)
				e->subs[i].fn(e->subs[i].arg, &ev);
	}
	if (e->count > 0 && !node->stopping)
		uv_timer_start(&e->timer, events_deliver, 0, 0);
}

void sp_event_emit(struct sp_node *node, const struct sp_event *ev)
{
	struct sp_node_events *e = &node->events;
	if (!e->ready || node->stopping)
		return;
	if (e->count == SP_EVENT_QUEUE_MAX) {
		e->dropped++;
		sp_log_rl(SP_LOG_WARNING, "events: queue full, %s dropped", sp_event_name(ev->type));
		return;
	}
	e->queue[(e->head + e->count) % SP_EVENT_QUEUE_MAX] = *ev;
	e->count++;
	e->emitted++;
	if (!uv_is_active((uv_handle_t *)&e->timer))
		uv_timer_start(&e->timer, events_deliver, 0, 0);
}

const char *sp_event_name(enum sp_event_type type)
{
	static const char *const names[SP_EV_MAX] = {
		[SP_EV_PEER_UP] = "peer-up", [SP_EV_PEER_DOWN] = "peer-down",
		[SP_EV_PATH_CHANGED] = "path-changed", [SP_EV_ZONE_CHANGED] = "zone-changed",
		[SP_EV_PORT_CHANGED] = "port-changed", [SP_EV_NO_PEER] = "no-peer",
		[SP_EV_NAME_ANSWERED] = "name-answered",
		[SP_EV_CANDIDATES_CHANGED] = "candidates-changed",
	};
	return (unsigned)type < SP_EV_MAX ? names[type] : "unknown";
}

const char *sp_owner_name(enum sp_owner owner)
{
	static const char *const names[SP_OWNER_MAX] = {
		[SP_OWNER_CONFIG] = "config", [SP_OWNER_UAPI] = "uapi",
		[SP_OWNER_CONTROL] = "control", [SP_OWNER_NAT] = "nat", [SP_OWNER_TEST] = "test",
	};
	return (unsigned)owner < SP_OWNER_MAX ? names[owner] : "unknown";
}

int sp__services_init(struct sp_node *node)
{
	int rc = uv_timer_init(node->loop, &node->events.timer);
	if (rc)
		return sp_from_uv(rc);
	node->events.timer.data = node;
	node->events.ready = true;
	return 0;
}

static void events_closed(uv_handle_t *h) { }

void sp__services_close(struct sp_node *node)
{
	if (!node->events.ready)
		return;
	node->events.ready = false;
	node->events.count = 0;
	uv_close((uv_handle_t *)&node->events.timer, events_closed);
}
