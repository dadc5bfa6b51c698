/*
 * log.h - leveled logging to stderr and/or syslog.
 *
 * Never pass secret material to these functions.  Messages name the file,
 * line or peer at fault so that an operator can act on them.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stdbool.h>

enum sp_log_level {
	SP_LOG_ERR = 3,
	SP_LOG_WARNING = 4,
	SP_LOG_NOTICE = 5,
	SP_LOG_INFO = 6,
	SP_LOG_DEBUG = 7,
};

/* Configure the sinks.  Defaults: stderr only, level INFO, ident "signpost". */
void sp_log_init(const char *ident, int level, bool to_stderr, bool to_syslog);
void sp_log_set_level(int level);
/* Plain stderr lines ("ident: message", no timestamp or level), for the CLI. */
void sp_log_set_plain(bool plain);
int sp_log_get_level(void);
/* Parse "error", "warning", "notice", "info", "debug"; -1 if unknown. */
int sp_log_level_parse(const char *name);
const char *sp_log_level_name(int level);

void sp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Logging caused by network input must not let a peer flood the log: per
 * call site, at most SP_LOG_BURST messages per SP_LOG_WINDOW_MS, then one
 * line saying how many were suppressed.
 */
#define SP_LOG_BURST 10
#define SP_LOG_WINDOW_MS 10000
struct sp_log_limit {
	unsigned long long window_start_ms;
	unsigned count, suppressed;
};
void sp_log_limited(struct sp_log_limit *lim, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define sp_log_rl(level, ...)                                   \
	do {                                                    \
		static struct sp_log_limit sp_log_lim_;         \
		sp_log_limited(&sp_log_lim_, level, __VA_ARGS__); \
	} while (0)

#define sp_err(...) sp_log(SP_LOG_ERR, __VA_ARGS__)
#define sp_warn(...) sp_log(SP_LOG_WARNING, __VA_ARGS__)
#define sp_notice(...) sp_log(SP_LOG_NOTICE, __VA_ARGS__)
#define sp_info(...) sp_log(SP_LOG_INFO, __VA_ARGS__)
#define sp_debug(...) sp_log(SP_LOG_DEBUG, __VA_ARGS__)

#endif
