/* interval.c - registry and overrides of named intervals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interval.h"
#include "log.h"

/* A node has a few dozen timers at most; a fixed table keeps this simple. */
#define SP_INTERVAL_MAX 128

static struct sp_interval *sp_intervals[SP_INTERVAL_MAX];
static size_t sp_n_intervals;

void sp_interval_register(struct sp_interval *const *ivs, size_t n)
{
	for (size_t i = 0; i < n && sp_n_intervals < SP_INTERVAL_MAX; i++) {
		if (sp_interval_find(ivs[i]->name) == NULL)
			sp_intervals[sp_n_intervals++] = ivs[i];
	}
}

struct sp_interval *sp_interval_find(const char *name)
{
	for (size_t i = 0; i < sp_n_intervals; i++)
		if (strcmp(sp_intervals[i]->name, name) == 0)
			return sp_intervals[i];
	return NULL;
}

int sp_interval_override(const char *spec)
{
	char *copy = strdup(spec), *save = NULL;
	int rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		if (eq == NULL) {
			sp_err("SIGNPOST_INTERVALS: '%s' is not name=milliseconds", item);
			rc = SP_ECONFIG;
			break;
		}
		*eq = '\0';
		struct sp_interval *iv = sp_interval_find(item);
		errno = 0;
		unsigned long long ms = strtoull(eq + 1, &end, 10);
		if (iv == NULL || *end != '\0' || errno || ms == 0) {
			sp_err("SIGNPOST_INTERVALS: %s '%s=%s'", iv ? "bad value in" : "unknown interval",
			       item, eq + 1);
			rc = SP_ECONFIG;
			break;
		}
		iv->ms = ms;
		sp_notice("interval %s set to %llu ms", iv->name, ms);
	}
	free(copy);
	return rc;
}
