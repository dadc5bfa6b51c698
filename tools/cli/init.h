/*
 * init.h - shared by `signpost init signpost` and `signpost init device`:
 * the new node's folder, the files created in it (removed again if init
 * fails half-way), and configuration text checked against the schema.
 */
#ifndef SP_CLI_INIT_H
#define SP_CLI_INIT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"

#define INIT_MAX_FILES 8

struct init_dir {
	char *dir;			/* as given, without trailing slashes */
	bool created;			/* we made the folder (remove it on failure) */
	char *paths[INIT_MAX_FILES];	/* files created so far */
	size_t n_paths;
};

extern const struct cli_cmd cli_cmd_init_signpost, cli_cmd_init_device;

/* "DIR/name", malloc'd (aborts the command on NULL: callers check). */
char *init_path(const struct init_dir *d, const char *name);

/*
 * Check that none of names[] exists in dir (refusing to overwrite), then
 * create dir with mode 0700 if it does not exist.  Messages name the file.
 */
int init_dir_prepare(const struct cli_cmd *cmd, struct init_dir *d, const char *dir,
		     const char *const *names) SP_MUST_CHECK;

/* Record a file created in d (for rollback). */
void init_dir_created(struct init_dir *d, char *path);

/* On failure (ok == false) remove what was created; free d's memory either way. */
void init_dir_finish(struct init_dir *d, bool ok);

/* Normalise a zone name to absolute presentation form ("alice.example."); NULL if bad. */
char *init_zone_name(const char *text);

/* Is text one DNS label of letters, digits and hyphens (a host name)? */
bool init_is_label(const char *text);

/* Configuration text under construction, every option checked against the schema. */
struct init_conf {
	FILE *f;
	char *text;
	size_t len;
	const char *section;
	bool bad;
};

int init_conf_begin(struct init_conf *c) SP_MUST_CHECK;
/* A blank line. */
void init_conf_blank(struct init_conf *c);
/* A free comment line ("# text"). */
void init_conf_comment(struct init_conf *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "[name]" with the section's help as a comment. */
void init_conf_section(struct init_conf *c, const char *name);
/* "opt = value", preceded by the schema's help for opt; commented out if active is false. */
void init_conf_opt(struct init_conf *c, const char *opt, bool active, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Finish and check the text with the real parser (as if it were at path).
 * Returns 0 and leaves c->text, or an error (internal: a schema mismatch).
 */
int init_conf_end(struct init_conf *c, const char *path) SP_MUST_CHECK;
void init_conf_free(struct init_conf *c);

#endif
