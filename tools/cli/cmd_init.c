/*
 * cmd_init.c - `signpost init signpost|device`: the dispatcher and what both
 * share (the folder, rollback, configuration text checked against the schema).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/keys.h"
#include "core/log.h"
#include "init.h"

#define INIT_MAX_FILES 8

/* The new node's folder and the files created in it, removed again on failure. */
struct init_dir {
	char *dir;			/* as given, without trailing slashes */
	bool created;			/* we made the folder (remove it on failure) */
	char *paths[INIT_MAX_FILES];	/* files created so far */
	size_t n_paths;
};

int init_write_key(const char *path, const void *arg)
{
	return sp_key_save(path, arg);
}

int init_write_text(const char *path, const void *arg)
{
	return sp_file_create(path, *(char *const *)arg, 0644);
}

int init_write_secret(const char *path, const void *arg)
{
	return sp_secret_file_write(path, *(char *const *)arg);
}

/* "DIR/name", malloc'd (NULL when out of memory). */
static char *init_path(const struct init_dir *d, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", d->dir, name) < 0)
		return NULL;
	return p;
}

/*
 * Check that none of the n files exists in dir (refusing to overwrite),
 * then create dir with mode 0700 if it does not exist.  Messages name the
 * file.
 */
static int init_dir_prepare(const struct cli_cmd *cmd, struct init_dir *d, const char *dir,
			    const struct init_file *files, size_t n)
{
	memset(d, 0, sizeof(*d));
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len == 0)
		return cli_usage(cmd, "--dir: empty path");
	d->dir = strndup(dir, len);
	if (d->dir == NULL)
		return cli_fail(cmd, "out of memory");

	struct stat st;
	if (stat(d->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return cli_fail(cmd, "--dir %s: exists and is not a folder", d->dir);
		for (size_t i = 0; i < n; i++) {
			char *p = init_path(d, files[i].name);
			if (p == NULL)
				return cli_fail(cmd, "out of memory");
			int exists = lstat(p, &st) == 0;
			if (exists)
				cli_fail(cmd, "%s already exists: refusing to overwrite it "
					      "(remove it or choose another --dir)", p);
			free(p);
			if (exists)
				return CLI_ERR;
		}
		if (stat(d->dir, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
			fprintf(stderr, "signpost %s: warning: %s is accessible to others "
					"(mode %04o); the keys inside are 0600 anyway\n",
				cmd->name, d->dir, (unsigned)(st.st_mode & 07777));
		return CLI_OK;
	}
	if (errno != ENOENT)
		return cli_fail(cmd, "--dir %s: %s", d->dir, strerror(errno));
	if (mkdir(d->dir, 0700) < 0)
		return cli_fail(cmd, "cannot create folder %s: %s", d->dir, strerror(errno));
	/* mkdir's mode is masked by the umask; the folder holds secrets. */
	if (chmod(d->dir, 0700) < 0)
		return cli_fail(cmd, "cannot chmod 0700 %s: %s", d->dir, strerror(errno));
	d->created = true;
	return CLI_OK;
}

/* Record a file created in d (for rollback). */
static void init_dir_created(struct init_dir *d, char *path)
{
	if (d->n_paths < INIT_MAX_FILES)
		d->paths[d->n_paths++] = path;
	else
		free(path);
}

/*
 * Write the n files in order, each recorded in d for rollback.  Stops at the
 * first failure, with a message naming the file.  Returns an exit code.
 */
static int init_dir_write(const struct cli_cmd *cmd, struct init_dir *d,
			  const struct init_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *path = init_path(d, files[i].name);
		if (path == NULL)
			return cli_fail(cmd, "out of memory");
		int rc = files[i].write(path, files[i].arg);
		if (rc) {
			cli_fail(cmd, "cannot write %s: %s", path, sp_strerror(rc));
			free(path);
			return CLI_ERR;
		}
		init_dir_created(d, path);
	}
	return CLI_OK;
}

/* On failure (ok == false) remove what was created; free d's memory either way. */
static void init_dir_finish(struct init_dir *d, bool ok)
{
	for (size_t i = 0; i < d->n_paths; i++) {
		if (!ok)
			unlink(d->paths[i]);
		free(d->paths[i]);
	}
	if (!ok && d->created && d->dir)
		rmdir(d->dir);
	free(d->dir);
	memset(d, 0, sizeof(*d));
}

int init_create(const struct cli_cmd *cmd, const char *dir, const struct init_steps *s)
{
	struct init_dir d = { 0 };
	char *conf_path = NULL;
	bool ok = false;
	int ret = init_dir_prepare(cmd, &d, dir, s->files, s->n_files);
	if (ret != CLI_OK)
		goto out;
	if ((conf_path = init_path(&d, s->conf_name)) == NULL) {
		ret = cli_fail(cmd, "out of memory");
		goto out;
	}
	if ((ret = s->make(cmd, s->arg, d.dir, conf_path)) != CLI_OK)
		goto out;
	if ((ret = init_dir_write(cmd, &d, s->files, s->n_files)) != CLI_OK)
		goto out;
	ok = true;
	char real[PATH_MAX];
	s->print(s->arg, realpath(d.dir, real) ? real : d.dir);
	if (fflush(stdout) != 0)
		ret = cli_fail(cmd, "cannot write to stdout");
out:
	init_dir_finish(&d, ok);
	free(conf_path);
	return ret;
}

int init_check_names(const struct cli_cmd *cmd, const char *zone, const char *name,
		     char **zone_out)
{
	if ((*zone_out = cli_zone_name(zone)) == NULL)
		return cli_usage(cmd, "--zone %s: not a domain name of host-name labels", zone);
	if (!cli_is_label(name))
		return cli_usage(cmd, "--name %s: not one DNS label (letters, digits, hyphens)",
				 name);
	return CLI_OK;
}

int init_conf_begin(struct init_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
	return c->f ? 0 : -ENOMEM;
}

void init_conf_comment(struct init_conf *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", c->f);
	vfprintf(c->f, fmt, ap);
	fputc('\n', c->f);
	va_end(ap);
}

void init_conf_blank(struct init_conf *c)
{
	fputc('\n', c->f);
}

static const struct sp_section_schema *find_section(const char *name)
{
	for (const struct sp_section_schema *s = sp_config_schema; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

void init_conf_section(struct init_conf *c, const char *name)
{
	const struct sp_section_schema *s = find_section(name);
	if (s == NULL) {
		sp_err("internal: no section [%s] in the configuration schema", name);
		c->bad = true;
		return;
	}
	c->section = name;
	fprintf(c->f, "\n# %s\n[%s]\n", s->help, name);
}

void init_conf_opt(struct init_conf *c, const char *opt, bool active, const char *fmt, ...)
{
	const struct sp_section_schema *s = c->section ? find_section(c->section) : NULL;
	const struct sp_opt *o = NULL;
	for (const struct sp_opt *i = s ? s->opts : NULL; i && i->name; i++)
		if (strcmp(i->name, opt) == 0)
			o = i;
	if (o == NULL) {
		sp_err("internal: no option %s in [%s] of the configuration schema", opt,
		       c->section ? c->section : "?");
		c->bad = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	fprintf(c->f, "# %s\n%s%s = ", o->help, active ? "" : "#", opt);
	vfprintf(c->f, fmt, ap);
	fputc('\n', c->f);
	va_end(ap);
}

void init_conf_node(struct init_conf *c, const char *role, const char *zone, const char *name)
{
	init_conf_comment(c, "Check it with `signpostd --check -c FILE`; start it with `signpostd -c FILE`.");
	init_conf_comment(c, "Relative paths are taken from this file's folder.");
	init_conf_section(c, "node");
	init_conf_opt(c, "role", true, "%s", role);
	init_conf_opt(c, "zone", true, "%s", zone);
	init_conf_opt(c, "name", true, "%s", name);
	init_conf_opt(c, "key-file", true, "node.key");
	init_conf_opt(c, "control-socket", true, "signpost.sock");
}

int init_conf_end(struct init_conf *c, const char *path)
{
	int rc = fclose(c->f) != 0 ? -ENOMEM : 0;
	c->f = NULL;
	if (rc == 0 && (c->bad || c->text == NULL))
		rc = SP_ECONFIG;
	if (rc == 0) {
		struct sp_config *cfg = NULL;
		rc = sp_config_parse(path, c->text, c->len, &cfg);
		sp_config_free(cfg);
	}
	if (rc)
		sp_err("internal: the configuration written by init does not parse");
	return rc;
}

void init_conf_free(struct init_conf *c)
{
	if (c->f)
		fclose(c->f);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

/* Is --help or -h among the options (before "--")? */
static bool init_help_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int init_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc < 2)
		return cli_usage(cmd, "say what to create: signpost or device");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cli_help(cmd, stdout);
		return CLI_OK;
	}
	const struct cli_cmd *sub = NULL;
	if (strcmp(argv[1], "signpost") == 0)
		sub = &cli_cmd_init_signpost;
	else if (strcmp(argv[1], "device") == 0)
		sub = init_token_wanted(argc - 1, argv + 1) ? &cli_cmd_init_token
							    : &cli_cmd_init_device;
	else
		return cli_usage(cmd, "unknown kind '%s': signpost or device", argv[1]);
	/* `init device --help` shows the token form first: it is the usual one. */
	if (sub == &cli_cmd_init_device && init_help_wanted(argc - 1, argv + 1)) {
		cli_help(&cli_cmd_init_token, stdout);
		fputc('\n', stdout);
	}
	return sub->run(sub, argc - 1, argv + 1, ctx);
}

const struct cli_cmd cli_cmd_init = {
	.name = "init",
	.run = init_run,
	.summary = "create the keys and configuration of a signpost or a device",
	.help = "Usage: signpost init signpost --zone ZONE --dir DIR --address IP [OPTIONS]\n"
		"       signpost init device --token TOKEN --dir DIR\n"
		"       signpost init device --zone ZONE --name NAME --dir DIR\n"
		"                            --signpost IP:PORT --signpost-key KEY\n"
		"\n"
		"Creates a new node in DIR: its configuration, its keys (mode 0600) and, for a\n"
		"signpost, the zone's DNSSEC keys, TSIG key and zone file.  Existing files are\n"
		"never overwritten.  Then prints what to do next.\n"
		"\n"
		"'signpost init signpost --help' and 'signpost init device --help' list the\n"
		"options of each.\n",
};
