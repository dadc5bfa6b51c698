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

extern const struct cli_cmd cli_cmd_init_signpost, cli_cmd_init_device;

/* `init device --token` (init_token.c): a device made from an enrollment token. */
extern const struct cli_cmd cli_cmd_init_token;
/* Does the command line of `init device` (argv[0] "device") give --token? */
bool init_token_wanted(int argc, char **argv);

/*
 * One file that init writes: DIR/name, made by write(path, arg), which
 * returns 0 or an error code and never overwrites.
 */
struct init_file {
	const char *name;
	int (*write)(const char *path, const void *arg);
	const void *arg;
};

/* Writers for struct init_file. */
/* arg: const struct sp_keypair *, saved as a private key file (0600). */
int init_write_key(const char *path, const void *arg);
/* arg: char *const *, the text of a file of mode 0644. */
int init_write_text(const char *path, const void *arg);
/* arg: char *const *, the text of a secret file (0600). */
int init_write_secret(const char *path, const void *arg);

/* What one kind of init makes, for init_create(). */
struct init_steps {
	const struct init_file *files;	/* in the order written: the configuration last */
	size_t n_files;
	const char *conf_name;		/* the configuration's file name, one of files[] */
	/*
	 * Make every key and text in memory (nothing touches the disk); dir is
	 * the folder as it will be named, conf_path the configuration's path.
	 * Returns an exit code, with a message on failure.
	 */
	int (*make)(const struct cli_cmd *cmd, void *arg, const char *dir, const char *conf_path);
	/* Print what to do next; dir is the folder as an absolute path where possible. */
	void (*print)(const void *arg, const char *dir);
	void *arg;			/* the command's state, passed to make and print */
};

/*
 * Create a node in dir: refuse if any of the files exists, create dir (mode
 * 0700) if it does not exist, make everything in memory, write the files,
 * then print the next steps.  A failure half-way removes what was written
 * (and dir, if it was created here).  Returns an exit code.
 */
int init_create(const struct cli_cmd *cmd, const char *dir, const struct init_steps *s);

/*
 * Check --zone and --name: *zone_out is the zone normalised to absolute
 * presentation form ("alice.example.", malloc'd), name one host-name label.
 * Returns an exit code (CLI_USAGE with a message naming the option).
 */
int init_check_names(const struct cli_cmd *cmd, const char *zone, const char *name,
		     char **zone_out) SP_MUST_CHECK;

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
 * The lines every node's configuration starts with, after its first comment:
 * how to check and start it, and the [node] section of a node of role in
 * zone, called name, with its key and control socket in its folder.
 */
void init_conf_node(struct init_conf *c, const char *role, const char *zone, const char *name);
/*
 * Finish and check the text with the real parser (as if it were at path).
 * Returns 0 and leaves c->text, or an error (internal: a schema mismatch,
 * logged).
 */
int init_conf_end(struct init_conf *c, const char *path) SP_MUST_CHECK;
void init_conf_free(struct init_conf *c);

#endif
