/* log.c - leveled logging to stderr and syslog. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
	int level;
	bool to_stderr;
	bool to_syslog;
	bool plain;
	const char *ident;
} sp_log_cfg = { SP_LOG_INFO, true, false, false, "signpost" };

static const char *const sp_log_names[] = {
	[SP_LOG_ERR] = "error", [SP_LOG_WARNING] = "warning", [SP_LOG_NOTICE] = "notice",
	[SP_LOG_INFO] = "info", [SP_LOG_DEBUG] = "debug",
};

void sp_log_init(const char *ident, int level, bool to_stderr, bool to_syslog)
{
	if (sp_log_cfg.to_syslog)
		closelog();
	sp_log_cfg.ident = ident ? ident : "signpost";
	sp_log_cfg.level = level;
	sp_log_cfg.to_stderr = to_stderr;
	sp_log_cfg.to_syslog = to_syslog;
	if (to_syslog)
		openlog(sp_log_cfg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void sp_log_set_level(int level) { sp_log_cfg.level = level; }
void sp_log_set_plain(bool plain) { sp_log_cfg.plain = plain; }
int sp_log_get_level(void) { return sp_log_cfg.level; }

int sp_log_level_parse(const char *name)
{
	for (int i = SP_LOG_ERR; i <= SP_LOG_DEBUG; i++)
		if (strcasecmp(name, sp_log_names[i]) == 0)
			return i;
	return -1;
}

const char *sp_log_level_name(int level)
{
	if (level < SP_LOG_ERR || level > SP_LOG_DEBUG)
		return "?";
	return sp_log_names[level];
}

static void sp_vlog(int level, const char *fmt, va_list ap0);

void sp_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sp_vlog(level, fmt, ap);
	va_end(ap);
}

void sp_log_limited(struct sp_log_limit *lim, int level, const char *fmt, ...)
{
	if (level > sp_log_cfg.level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long long now = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	if (now - lim->window_start_ms >= SP_LOG_WINDOW_MS) {
		if (lim->suppressed)
			sp_log(level, "(%u similar messages suppressed)", lim->suppressed);
		lim->window_start_ms = now;
		lim->count = 0;
		lim->suppressed = 0;
	}
	if (lim->count >= SP_LOG_BURST) {
		lim->suppressed++;
		return;
	}
	lim->count++;
	va_list ap;
	va_start(ap, fmt);
	sp_vlog(level, fmt, ap);
	va_end(ap);
}

static void sp_vlog(int level, const char *fmt, va_list ap0)
{
	if (level > sp_log_cfg.level)
		return;
	va_list ap;
	if (sp_log_cfg.to_stderr && sp_log_cfg.plain) {
		va_copy(ap, ap0);
		flockfile(stderr);
		fprintf(stderr, "%s: ", sp_log_cfg.ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
		va_end(ap);
	} else if (sp_log_cfg.to_stderr) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		va_copy(ap, ap0);
		flockfile(stderr);
		fprintf(stderr, "%s.%03ldZ %s[%s]: ", stamp, ts.tv_nsec / 1000000L,
			sp_log_cfg.ident, sp_log_level_name(level));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
		va_end(ap);
	}
	if (sp_log_cfg.to_syslog) {
		va_copy(ap, ap0);
		vsyslog(level, fmt, ap);
		va_end(ap);
	}
}
