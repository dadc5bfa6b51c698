/* node.c - lifecycle of a running node: start, reload, stop; see node.h. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "log.h"
#include "node.h"
#include "status.h"

static const char *node_role(const struct sp_config *cfg)
{
	return sp_cfg_str(sp_config_get(cfg, "node"), "role");
}

static void node_apply_logging(const struct sp_config *cfg)
{
	const struct sp_config_section *n = sp_config_get(cfg, "node");
	sp_log_init("signpostd", sp_log_level_parse(sp_cfg_str(n, "log-level")), true,
		    sp_cfg_bool(n, "syslog"));
}

int sp_node_check(const struct sp_config *cfg, const struct sp_plane *const *planes,
		  size_t n_planes)
{
	struct sp_keys *keys = NULL;
	const struct sp_config_section *n = sp_config_get(cfg, "node");
	int rc = sp_keys_load(sp_cfg_str(n, "key-file"), &keys);
	sp_keys_free(keys);
	if (rc) {
		sp_config_error(cfg, n, "key-file", "%s", sp_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < n_planes; i++) {
		rc = planes[i]->check ? planes[i]->check(cfg) : 0;
		if (rc)
			return rc;
	}
	return 0;
}

int sp_node_compose_schema(const struct sp_plane *const *planes, size_t n_planes)
{
	const struct sp_section_schema *frags[SP_MAX_PLANES];
	if (n_planes > SP_MAX_PLANES)
		return SP_ELIMIT;
	for (size_t i = 0; i < n_planes; i++)
		frags[i] = planes[i]->sections;
	int rc = sp_config_schema_compose(frags, n_planes);
	if (rc)
		sp_err("internal: the planes' configuration schemas conflict: %s", sp_strerror(rc));
	return rc;
}

struct sp_keys *sp_keys_get(const struct sp_node *node)
{
	return sp_service_get(node, SP_SVC_KEYS);
}

static int node_status(struct sp_ctl_req *req, void *arg, int argc, char **argv,
		       struct sp_buf *out)
{
	struct sp_node *node = sp_ctl_req_node(req);
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	const struct sp_config_section *n = sp_config_get(node->cfg, "node");
	struct sp_status *st = malloc(sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	sp_status_init(st);
	sp_status_add(st, "role", "%s", node_role(node->cfg));
	sp_status_add(st, "zone", "%s", sp_cfg_str(n, "zone"));
	sp_status_add(st, "name", "%s", sp_cfg_str(n, "name") ? sp_cfg_str(n, "name") : "");
	sp_status_add(st, "uptime", "%llu",
		      (unsigned long long)((uv_now(node->loop) - node->started_ms) / 1000));
	sp_status_add(st, "reloads", "%u ok, %u refused", node->reloads_ok, node->reloads_refused);
	char pk[SP_KEY_B64_LEN];
	sp_key_to_b64(sp_keys_ed_public(node->keys), pk);
	sp_status_add(st, "public-key", "%s", pk);
	sp_key_to_b64(sp_keys_x_public(node->keys), pk);
	sp_status_add(st, "wireguard-key", "%s", pk);
	sp_status_add(st, "events", "%llu emitted, %llu dropped",
		      (unsigned long long)node->events.emitted,
		      (unsigned long long)node->events.dropped);
	sp_ctl_status(node->ctl, st);
	for (size_t i = 0; i < node->n_planes; i++) {
		sp_status_section(st, node->planes[i].ops->name);
		if (!node->planes[i].running)
			sp_status_add(st, "state", "stopped");
		else if (node->planes[i].ops->status)
			node->planes[i].ops->status(node->planes[i].state, st);
	}
	sp_status_render(st, json, out);
	sp_status_deinit(st);
	free(st);
	return 0;
}

static void node_on_signal(uv_signal_t *s, int signum)
{
	struct sp_node *node = s->data;
	if (signum == SIGHUP) {
		sp_notice("SIGHUP: reloading %s", node->cfg->path);
		if (sp_node_reload(node) == 0)
			node->reloads_ok++;
		else
			node->reloads_refused++;
		return;
	}
	sp_notice("%s: shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	sp_node_stop(node);
}

int sp_node_reload(struct sp_node *node)
{
	struct sp_config *cfg;
	int rc = sp_config_load(node->cfg->path, &cfg);
	if (rc) {
		sp_err("reload: %s refused; keeping the running configuration", node->cfg->path);
		return rc;
	}
	/* Identity and control socket are fixed for the life of the process. */
	const struct sp_config_section *a = sp_config_get(node->cfg, "node");
	const struct sp_config_section *b = sp_config_get(cfg, "node");
	static const char *const fixed[] = { "role", "zone", "key-file", "control-socket" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (strcmp(sp_cfg_str(a, fixed[i]), sp_cfg_str(b, fixed[i])) != 0) {
			sp_config_error(cfg, b, fixed[i], "cannot change on reload; restart signpostd");
			sp_config_free(cfg);
			return SP_ECONFIG;
		}
	}
	void *pending[SP_MAX_PLANES] = { 0 };
	size_t prepared = 0;
	for (; prepared < node->n_planes; prepared++) {
		const struct sp_plane *p = node->planes[prepared].ops;
		rc = p->check ? p->check(cfg) : 0;
		if (rc == 0 && node->planes[prepared].running && p->prepare)
			rc = p->prepare(node->planes[prepared].state, cfg, &pending[prepared]);
		if (rc)
			break;
	}
	if (rc) {
		sp_err("reload: plane %s refused %s; keeping the running configuration",
		       node->planes[prepared].ops->name, cfg->path);
		for (size_t i = 0; i < prepared; i++) {
			const struct sp_plane *p = node->planes[i].ops;
			if (node->planes[i].running && p->prepare && p->abort)
				p->abort(node->planes[i].state, pending[i]);
		}
		sp_config_free(cfg);
		return rc;
	}
	for (size_t i = 0; i < node->n_planes; i++) {
		const struct sp_plane *p = node->planes[i].ops;
		if (!node->planes[i].running)
			continue;
		if (p->prepare && p->commit)
			p->commit(node->planes[i].state, pending[i]);
	}
	struct sp_config *old = node->cfg;
	node->cfg = cfg;
	sp_config_free(old);
	node_apply_logging(cfg);
	sp_notice("configuration %s reloaded", cfg->path);
	return 0;
}

int sp_node_start(struct sp_node *node, uv_loop_t *loop, struct sp_config *cfg,
		  const struct sp_plane *const *planes, size_t n_planes)
{
	memset(node, 0, sizeof(*node));
	node->loop = loop;
	node->cfg = cfg;
	node->started_ms = uv_now(loop);
	node->started_wall = (int64_t)time(NULL);
	node_apply_logging(cfg);

	const struct sp_config_section *n = sp_config_get(cfg, "node");
	int rc = sp_keys_load(sp_cfg_str(n, "key-file"), &node->keys);
	if (rc)
		return rc;
	rc = sp__services_init(node);
	if (rc)
		goto fail;
	rc = sp_service_provide(node, SP_SVC_KEYS, node->keys);
	if (rc)
		goto fail;

	rc = sp_ctl_start(node, sp_cfg_str(n, "control-socket"), &node->ctl);
	if (rc)
		goto fail;
	rc = sp_ctl_register(node, "status", node_status, NULL);
	if (rc)
		goto fail;

	uv_signal_t *sigs[] = { &node->sig_term, &node->sig_int, &node->sig_hup };
	const int nums[] = { SIGTERM, SIGINT, SIGHUP };
	for (int i = 0; i < 3; i++) {
		uv_signal_init(loop, sigs[i]);
		sigs[i]->data = node;
		uv_signal_start(sigs[i], node_on_signal, nums[i]);
	}

	for (size_t i = 0; i < n_planes && i < SP_MAX_PLANES; i++) {
		node->planes[i].ops = planes[i];
		node->n_planes++;
		rc = planes[i]->start(node, &node->planes[i].state);
		if (rc) {
			sp_err("plane %s failed to start: %s", planes[i]->name, sp_strerror(rc));
			goto fail;
		}
		node->planes[i].running = true;
	}
	char pk[SP_KEY_B64_LEN];
	sp_key_to_b64(sp_keys_ed_public(node->keys), pk);
	sp_notice("%s %s%s%s started, key %s", node_role(cfg),
		  sp_cfg_str(n, "name") ? sp_cfg_str(n, "name") : "",
		  sp_cfg_str(n, "name") ? "." : "", sp_cfg_str(n, "zone"), pk);
	return 0;
fail:
	sp_node_stop(node);
	return rc;
}

static void node_noop_close(uv_handle_t *h) { }

void sp_node_stop(struct sp_node *node)
{
	if (node->stopping)
		return;
	node->stopping = true;
	/* First: deferred control requests are cancelled while their planes still run. */
	sp_ctl_stop(node->ctl);
	node->ctl = NULL;
	for (size_t i = node->n_planes; i-- > 0;) {
		if (node->planes[i].running) {
			node->planes[i].running = false;
			node->planes[i].ops->stop(node->planes[i].state);
		}
	}
	sp__services_close(node);
	uv_signal_t *sigs[] = { &node->sig_term, &node->sig_int, &node->sig_hup };
	for (int i = 0; i < 3; i++)
		if (uv_is_active((uv_handle_t *)sigs[i]) && !uv_is_closing((uv_handle_t *)sigs[i]))
			uv_close((uv_handle_t *)sigs[i], node_noop_close);
}

void sp_node_deinit(struct sp_node *node)
{
	sp_service_withdraw(node, SP_SVC_KEYS, node->keys);
	sp_keys_free(node->keys);
	node->keys = NULL;
	sp_config_free(node->cfg);
	node->cfg = NULL;
}
