/*
 * config.h - the configuration file, declared by one schema table.
 *
 * The file is INI (see ini.h).  Every section and option is declared once in
 * sp_config_schema (config_schema.c): type, range, default and help.  That
 * table drives parsing, `signpostd --check`, the defaults, and the
 * configuration reference in the README (tests/unit/test_config.c checks the
 * README against it).  Unknown sections and options are errors.  Every error
 * names the file, line and option.
 *
 * A loaded struct sp_config is immutable; SIGHUP loads a new one and swaps it
 * in whole only when every plane accepts it.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "endpoint.h"
#include "error.h"

enum sp_opt_type {
	SP_T_STRING,	/* any text */
	SP_T_INT,	/* decimal integer in [min, max] */
	SP_T_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	SP_T_ENUM,	/* one of choices[] */
	SP_T_IP,	/* IPv4 or IPv6 address */
	SP_T_IPLIST,	/* comma-separated IP addresses */
	SP_T_ENDPOINT,	/* IPv4:port or [IPv6]:port */
	SP_T_ENDPOINTS,	/* comma-separated endpoints */
	SP_T_PATH,	/* file path; relative paths are taken from the config file's folder */
	SP_T_DNAME,	/* absolute domain name; a missing final dot is added */
	SP_T_KEY,	/* base64 of 32 bytes (a public key) */
	SP_T_PREFIXES,	/* comma-separated IP/len prefixes */
	SP_T_TEXT,	/* free text such as DNS record data */
};

struct sp_opt {
	const char *name;
	enum sp_opt_type type;
	const char *def;	/* default as text; NULL: unset unless given */
	long long min, max;	/* SP_T_INT */
	const char *const *choices; /* SP_T_ENUM, NULL-terminated */
	bool required;
	const char *help;
};

struct sp_section_schema {
	const char *name;
	bool repeatable;	/* may appear many times, e.g. [peer] */
	const char *help;
	const struct sp_opt *opts; /* terminated by an entry with name == NULL */
};

/*
 * The schema is composed: core declares [node] (sp_core_schema) and every
 * plane declares its own sections in its own file (struct sp_plane.sections).
 * sp_config_schema_compose() joins them once at start, before any file is
 * read; a section declared by two planes (e.g. [dns], shared by the
 * authoritative server and the stub) gets the options of both, in order.
 * sp_config_schema is the composed table, terminated by name == NULL; until
 * composed it is core's alone.
 */
extern const struct sp_section_schema *sp_config_schema;
extern const struct sp_section_schema sp_core_schema[];
/*
 * Compose core's sections with fragments[0..n) (each terminated by name ==
 * NULL; NULL entries are skipped).  -EEXIST if two fragments declare one
 * option of one section, or disagree on whether a section repeats.
 */
int sp_config_schema_compose(const struct sp_section_schema *const *fragments, size_t n)
	SP_MUST_CHECK;

struct sp_config_value {
	char *text;		/* normalised text (NULL if unset) */
	long long num;		/* SP_T_INT and SP_T_BOOL value */
	union sp_endpoint *eps;	/* SP_T_IP*, SP_T_ENDPOINT*: parsed once (bare addresses: port 0) */
	size_t n_eps;
	unsigned line;		/* 0 for defaults */
};

struct sp_config_section {
	const struct sp_section_schema *schema;
	unsigned line;		/* 0 for an implicit section of defaults */
	struct sp_config_value *values; /* one per schema option */
};

struct sp_config {
	char *path;		/* as given */
	char *dir;		/* folder of path, for relative paths */
	struct sp_config_section *sections;
	size_t n_sections;
};

/*
 * Load and validate path.  Errors are logged as "FILE:LINE: option: what"
 * and SP_ECONFIG is returned; *out is set only on success.
 */
int sp_config_load(const char *path, struct sp_config **out) SP_MUST_CHECK;

/* Same, from text in memory; path is used in messages and for relative paths. */
int sp_config_parse(const char *path, const char *text, size_t len,
		    struct sp_config **out) SP_MUST_CHECK;

void sp_config_free(struct sp_config *cfg);

/* The one instance of a non-repeatable section (always present: defaults). */
const struct sp_config_section *sp_config_get(const struct sp_config *cfg, const char *section);

/* Iterate a repeatable section: pass prev = NULL to start; NULL at the end. */
const struct sp_config_section *sp_config_next(const struct sp_config *cfg, const char *section,
					       const struct sp_config_section *prev);

/* Typed reads; the option name must be in the section's schema. */
const char *sp_cfg_str(const struct sp_config_section *s, const char *opt);
/* SP_T_IP, SP_T_IPLIST, SP_T_ENDPOINT(S): the parsed addresses (n = 0 when unset). */
const union sp_endpoint *sp_cfg_endpoints(const struct sp_config_section *s, const char *opt,
					  size_t *n);
/* The first of them, or NULL. */
const union sp_endpoint *sp_cfg_endpoint(const struct sp_config_section *s, const char *opt);
long long sp_cfg_int(const struct sp_config_section *s, const char *opt);
bool sp_cfg_bool(const struct sp_config_section *s, const char *opt);
unsigned sp_cfg_line(const struct sp_config_section *s, const char *opt);

/* Log "FILE:LINE: [section] option: message" for a plane's own checks. */
void sp_config_error(const struct sp_config *cfg, const struct sp_config_section *s,
		     const char *opt, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Split "a:p" / "[v6]:p" into host (no brackets) and port. */
int sp_endpoint_split(const char *text, char *host, size_t hostlen, uint16_t *port) SP_MUST_CHECK;

/* Write the configuration reference (Markdown) from the schema. */
void sp_config_reference(FILE *f);

#endif
