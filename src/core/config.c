/* config.c - schema-driven configuration loading; see config.h. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "ini.h"
#include "log.h"

/* A configuration is a few kilobytes; refuse anything absurd rather than read it. */
#define CONFIG_FILE_MAX (1 << 20)
/* Bounds the work a hostile or broken file can cause. */
#define CONFIG_SECTIONS_MAX 4096

struct config_parse {
	struct sp_config *cfg;
	struct sp_config_section *cur; /* NULL after an unknown section */
};

static size_t schema_nopts(const struct sp_section_schema *sc)
{
	size_t n = 0;
	while (sc->opts[n].name)
		n++;
	return n;
}

static const struct sp_section_schema *schema_find(const char *name)
{
	for (const struct sp_section_schema *sc = sp_config_schema; sc->name; sc++)
		if (strcmp(sc->name, name) == 0)
			return sc;
	return NULL;
}

static int opt_index(const struct sp_section_schema *sc, const char *name)
{
	for (int i = 0; sc->opts[i].name; i++)
		if (strcmp(sc->opts[i].name, name) == 0)
			return i;
	return -1;
}

static void config_vlog(const struct sp_config *cfg, unsigned line, const char *section,
			const char *opt, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line == 0 && section)	/* an implicit section: no line to name */
		sp_err("%s: [%s]%s%s: %s", cfg->path, section, opt ? " " : "", opt ? opt : "", msg);
	else if (opt)
		sp_err("%s:%u: [%s] %s: %s", cfg->path, line, section, opt, msg);
	else if (section)
		sp_err("%s:%u: [%s]: %s", cfg->path, line, section, msg);
	else
		sp_err("%s:%u: %s", cfg->path, line, msg);
}

static void config_log(const struct sp_config *cfg, unsigned line, const char *section,
		       const char *opt, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void config_log(const struct sp_config *cfg, unsigned line, const char *section,
		       const char *opt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_vlog(cfg, line, section, opt, fmt, ap);
	va_end(ap);
}

void sp_config_error(const struct sp_config *cfg, const struct sp_config_section *s,
		     const char *opt, const char *fmt, ...)
{
	va_list ap;
	unsigned line = s->line;
	if (opt && sp_cfg_line(s, opt))
		line = sp_cfg_line(s, opt);
	va_start(ap, fmt);
	config_vlog(cfg, line, s->schema->name, opt, fmt, ap);
	va_end(ap);
}

static struct sp_config_section *section_add(struct sp_config *cfg,
					     const struct sp_section_schema *sc, unsigned line)
{
	if (cfg->n_sections >= CONFIG_SECTIONS_MAX)
		return NULL;
	struct sp_config_section *ns =
		realloc(cfg->sections, (cfg->n_sections + 1) * sizeof(*ns));
	if (ns == NULL)
		return NULL;
	cfg->sections = ns;
	struct sp_config_section *s = &ns[cfg->n_sections];
	s->schema = sc;
	s->line = line;
	s->values = calloc(schema_nopts(sc) + 1, sizeof(*s->values));
	if (s->values == NULL)
		return NULL;
	cfg->n_sections++;
	return s;
}

int sp_endpoint_split(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	union sp_endpoint ep;
	char a[SP_ENDPOINT_STRLEN];
	if (sp_endpoint_parse(text, false, 0, &ep) != 0)
		return SP_EMALFORMED;
	sp_endpoint_format_addr(&ep, a);
	if (strlen(a) >= hostlen)
		return SP_EMALFORMED;
	strcpy(host, a);
	*port = sp_endpoint_port(&ep);
	return 0;
}

static bool valid_ip(const char *s)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

static bool valid_prefix(const char *s)
{
	char host[64];
	const char *slash = strchr(s, '/');
	if (slash == NULL || (size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	char *end;
	errno = 0;
	long len = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end || errno || len < 0)
		return false;
	unsigned char tmp[16];
	if (inet_pton(AF_INET, host, tmp) == 1)
		return len <= 32;
	if (inet_pton(AF_INET6, host, tmp) == 1)
		return len <= 128;
	return false;
}

/* Check each comma-separated item of a list with ok(); empty items are refused. */
static bool valid_list(const char *s, bool (*ok)(const char *))
{
	char item[256];
	const char *p = s;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, ",");
		size_t m = n;
		while (m > 0 && p[m - 1] == ' ')
			m--;
		if (m == 0 || m >= sizeof(item))
			return false;
		memcpy(item, p, m);
		item[m] = '\0';
		if (!ok(item))
			return false;
		p += n;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return false;
		}
	}
	return true;
}

static bool valid_endpoint(const char *s)
{
	union sp_endpoint ep;
	return sp_endpoint_parse(s, false, 0, &ep) == 0;
}

/* Most addresses in one list option: bounds what a file can make us allocate. */
#define CONFIG_LIST_MAX 64

/*
 * Parse an address or endpoint option (already validated) into the one
 * endpoint type, once, when the file is read (bare addresses get port 0).
 */
static const char *endpoints_parse(const char *text, bool bare, struct sp_config_value *v)
{
	union sp_endpoint eps[CONFIG_LIST_MAX];
	size_t n = 0;
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		size_t len = strcspn(p, ",");
		while (len > 0 && p[len - 1] == ' ')
			len--;
		char item[SP_ENDPOINT_STRLEN + 8];
		if (len >= sizeof(item))
			return "address too long";
		if (n == CONFIG_LIST_MAX)
			return "too many addresses in one list";
		memcpy(item, p, len);
		item[len] = '\0';
		if (sp_endpoint_parse(item, bare, 0, &eps[n]) != 0)
			return "not an address";
		n++;
		p += len;
		while (*p == ' ')
			p++;
	}
	union sp_endpoint *copy = n ? malloc(n * sizeof(*copy)) : NULL;
	if (n && copy == NULL)
		return "out of memory";
	if (n)
		memcpy(copy, eps, n * sizeof(*copy));
	free(v->eps);
	v->eps = copy;
	v->n_eps = n;
	return NULL;
}

static bool valid_dname(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 254)
		return false;
	if (strcmp(s, ".") == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (c <= ' ' || c >= 127 || ++label > 63) {
			return false;
		}
	}
	return true;
}

static bool valid_key(const char *s)
{
	unsigned char k[32];
	size_t len = 0;
	return sodium_base642bin(k, sizeof(k), s, strlen(s), NULL, &len, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0 && len == 32;
}

static int parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	for (int i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/*
 * Validate text for opt and store it normalised in v.  Returns NULL on
 * success or a message saying what is wrong.
 */
static const char *value_set(const struct sp_config *cfg, const struct sp_opt *opt,
			     struct sp_config_value *v, const char *text, unsigned line,
			     char *why, size_t whylen)
{
	char *norm = NULL;
	long long num = 0;

	switch (opt->type) {
	case SP_T_STRING:
	case SP_T_TEXT:
		break;
	case SP_T_INT: {
		char *end;
		errno = 0;
		num = strtoll(text, &end, 10);
		if (*text == '\0' || *end != '\0' || errno) {
			snprintf(why, whylen, "'%s' is not a whole number", text);
			return why;
		}
		if (num < opt->min || num > opt->max) {
			snprintf(why, whylen, "%lld is out of range %lld..%lld", num, opt->min, opt->max);
			return why;
		}
		break;
	}
	case SP_T_BOOL:
		num = parse_bool(text);
		if (num < 0) {
			snprintf(why, whylen, "'%s' is not yes or no", text);
			return why;
		}
		break;
	case SP_T_ENUM: {
		bool found = false;
		for (int i = 0; opt->choices[i]; i++)
			if (strcmp(opt->choices[i], text) == 0) {
				found = true;
				num = i;
			}
		if (!found) {
			size_t off = (size_t)snprintf(why, whylen, "'%s' is not one of:", text);
			for (int i = 0; opt->choices[i] && off < whylen; i++)
				off += (size_t)snprintf(why + off, whylen - off, " %s", opt->choices[i]);
			return why;
		}
		break;
	}
	case SP_T_IP:
		if (!valid_ip(text))
			return "not an IPv4 or IPv6 address";
		break;
	case SP_T_IPLIST:
		if (!valid_list(text, valid_ip))
			return "expected a comma-separated list of IP addresses";
		break;
	case SP_T_ENDPOINT:
		if (!valid_endpoint(text))
			return "expected IPv4:port or [IPv6]:port";
		break;
	case SP_T_ENDPOINTS:
		if (!valid_list(text, valid_endpoint))
			return "expected a comma-separated list of IPv4:port or [IPv6]:port";
		break;
	case SP_T_PREFIXES:
		if (!valid_list(text, valid_prefix))
			return "expected a comma-separated list of address/length prefixes";
		break;
	case SP_T_KEY:
		if (!valid_key(text))
			return "expected the base64 form of a 32-byte key";
		break;
	case SP_T_DNAME: {
		size_t n = strlen(text);
		if (!valid_dname(text))
			return "not a valid domain name";
		if (text[n - 1] != '.') {
			norm = malloc(n + 2);
			if (norm == NULL)
				return "out of memory";
			memcpy(norm, text, n);
			strcpy(norm + n, ".");
		}
		break;
	}
	case SP_T_PATH:
		if (*text == '\0')
			return "empty path";
		if (text[0] != '/') {
			size_t n = strlen(cfg->dir) + strlen(text) + 2;
			norm = malloc(n);
			if (norm == NULL)
				return "out of memory";
			snprintf(norm, n, "%s/%s", cfg->dir, text);
		}
		break;
	}
	if (opt->type == SP_T_IP || opt->type == SP_T_IPLIST || opt->type == SP_T_ENDPOINT ||
	    opt->type == SP_T_ENDPOINTS) {
		const char *err = endpoints_parse(text,
						  opt->type == SP_T_IP || opt->type == SP_T_IPLIST, v);
		if (err)
			return err;
	}
	if (norm == NULL && (norm = strdup(text)) == NULL)
		return "out of memory";
	free(v->text);
	v->text = norm;
	v->num = num;
	v->line = line;
	return NULL;
}

static int config_on_item(void *user, unsigned line, const char *section, const char *key,
			  const char *value)
{
	struct config_parse *p = user;
	struct sp_config *cfg = p->cfg;

	if (key == NULL) {
		const struct sp_section_schema *sc = schema_find(section);
		if (sc == NULL) {
			config_log(cfg, line, section, NULL, "unknown section");
			return SP_ECONFIG;
		}
		if (!sc->repeatable) {
			for (size_t i = 0; i < cfg->n_sections; i++)
				if (cfg->sections[i].schema == sc) {
					config_log(cfg, line, section, NULL,
						   "section given twice (first on line %u)",
						   cfg->sections[i].line);
					return SP_ECONFIG;
				}
		}
		p->cur = section_add(cfg, sc, line);
		if (p->cur == NULL) {
			config_log(cfg, line, section, NULL, "too many sections");
			return SP_ECONFIG;
		}
		return 0;
	}
	const struct sp_section_schema *sc = p->cur->schema;
	int i = opt_index(sc, key);
	if (i < 0) {
		config_log(cfg, line, section, key, "unknown option");
		return SP_ECONFIG;
	}
	if (p->cur->values[i].line) {
		config_log(cfg, line, section, key, "option given twice (first on line %u)",
			   p->cur->values[i].line);
		return SP_ECONFIG;
	}
	char why[256];
	const char *err = value_set(cfg, &sc->opts[i], &p->cur->values[i], value, line, why,
				    sizeof(why));
	if (err) {
		config_log(cfg, line, section, key, "%s", err);
		return SP_ECONFIG;
	}
	return 0;
}

/* Fill defaults, add implicit sections, check required options. */
static int config_finish(struct sp_config *cfg)
{
	for (const struct sp_section_schema *sc = sp_config_schema; sc->name; sc++) {
		if (sc->repeatable || sp_config_get(cfg, sc->name))
			continue;
		if (section_add(cfg, sc, 0) == NULL)
			return -ENOMEM;
	}
	for (size_t s = 0; s < cfg->n_sections; s++) {
		struct sp_config_section *sec = &cfg->sections[s];
		for (size_t i = 0; sec->schema->opts[i].name; i++) {
			const struct sp_opt *o = &sec->schema->opts[i];
			struct sp_config_value *v = &sec->values[i];
			if (v->text)
				continue;
			if (o->required) {
				/* An implicit section is reported against the file itself. */
				config_log(cfg, sec->line, sec->schema->name, o->name,
					   "required option is missing");
				return SP_ECONFIG;
			}
			if (o->def) {
				char why[256];
				const char *err = value_set(cfg, o, v, o->def, 0, why, sizeof(why));
				assert(err == NULL || strcmp(err, "out of memory") == 0);
				if (err)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

int sp_config_parse(const char *path, const char *text, size_t len, struct sp_config **out)
{
	struct sp_config *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	cfg->path = strdup(path);
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
	if (cfg->path == NULL || cfg->dir == NULL) {
		sp_config_free(cfg);
		return -ENOMEM;
	}

	struct config_parse p = { .cfg = cfg };
	unsigned err_line;
	const char *err_msg;
	int rc = sp_ini_parse(text, len, config_on_item, &p, &err_line, &err_msg);
	if (rc == SP_ECONFIG && err_msg)
		config_log(cfg, err_line, NULL, NULL, "%s", err_msg);
	if (rc == 0)
		rc = config_finish(cfg);
	if (rc) {
		sp_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int sp_config_load(const char *path, struct sp_config **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		sp_err("%s: cannot open configuration: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		sp_err("%s: not a regular file of at most %d bytes", path, CONFIG_FILE_MAX);
		close(fd);
		return SP_ECONFIG;
	}
	char *text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = read(fd, text, (size_t)st.st_size);
	int e = errno;
	close(fd);
	if (n != st.st_size) {
		sp_err("%s: read failed: %s", path, n < 0 ? strerror(e) : "short read");
		free(text);
		return SP_ECONFIG;
	}
	int rc = sp_config_parse(path, text, (size_t)n, out);
	free(text);
	return rc;
}

void sp_config_free(struct sp_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t s = 0; s < cfg->n_sections; s++) {
		struct sp_config_section *sec = &cfg->sections[s];
		for (size_t i = 0; sec->values && sec->schema->opts[i].name; i++) {
			free(sec->values[i].text);
			free(sec->values[i].eps);
		}
		free(sec->values);
	}
	free(cfg->sections);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

const struct sp_config_section *sp_config_get(const struct sp_config *cfg, const char *section)
{
	for (size_t i = 0; i < cfg->n_sections; i++)
		if (strcmp(cfg->sections[i].schema->name, section) == 0)
			return &cfg->sections[i];
	return NULL;
}

const struct sp_config_section *sp_config_next(const struct sp_config *cfg, const char *section,
					       const struct sp_config_section *prev)
{
	size_t start = prev ? (size_t)(prev - cfg->sections) + 1 : 0;
	for (size_t i = start; i < cfg->n_sections; i++)
		if (strcmp(cfg->sections[i].schema->name, section) == 0)
			return &cfg->sections[i];
	return NULL;
}

static const struct sp_config_value *value_of(const struct sp_config_section *s, const char *opt)
{
	int i = opt_index(s->schema, opt);
	/* A name missing from the schema is a programming error, not input. */
	assert(i >= 0);
	return &s->values[i];
}

const union sp_endpoint *sp_cfg_endpoints(const struct sp_config_section *s, const char *opt,
					  size_t *n)
{
	const struct sp_config_value *v = value_of(s, opt);
	*n = v->n_eps;
	return v->eps;
}

const union sp_endpoint *sp_cfg_endpoint(const struct sp_config_section *s, const char *opt)
{
	const struct sp_config_value *v = value_of(s, opt);
	return v->n_eps ? &v->eps[0] : NULL;
}

const char *sp_cfg_str(const struct sp_config_section *s, const char *opt)
{
	return value_of(s, opt)->text;
}

long long sp_cfg_int(const struct sp_config_section *s, const char *opt)
{
	return value_of(s, opt)->num;
}

bool sp_cfg_bool(const struct sp_config_section *s, const char *opt)
{
	return value_of(s, opt)->num != 0;
}

unsigned sp_cfg_line(const struct sp_config_section *s, const char *opt)
{
	return value_of(s, opt)->line;
}

static const char *const type_names[] = {
	[SP_T_STRING] = "string", [SP_T_INT] = "integer", [SP_T_BOOL] = "boolean",
	[SP_T_ENUM] = "choice", [SP_T_IP] = "address", [SP_T_IPLIST] = "address list",
	[SP_T_ENDPOINT] = "endpoint", [SP_T_ENDPOINTS] = "endpoint list", [SP_T_PATH] = "path",
	[SP_T_DNAME] = "domain name", [SP_T_KEY] = "key", [SP_T_PREFIXES] = "prefix list",
	[SP_T_TEXT] = "text",
};

void sp_config_reference(FILE *f)
{
	for (const struct sp_section_schema *sc = sp_config_schema; sc->name; sc++) {
		fprintf(f, "### [%s]%s\n\n%s\n\n", sc->name, sc->repeatable ? " (repeatable)" : "",
			sc->help);
		fprintf(f, "| option | type | default | meaning |\n|---|---|---|---|\n");
		for (const struct sp_opt *o = sc->opts; o->name; o++) {
			char type[256];
			if (o->type == SP_T_INT) {
				snprintf(type, sizeof(type), "integer %lld..%lld", o->min, o->max);
			} else if (o->type == SP_T_ENUM) {
				size_t off = 0;
				for (int i = 0; o->choices[i] && off < sizeof(type); i++)
					off += (size_t)snprintf(type + off, sizeof(type) - off, "%s%s",
								i ? " \\| " : "", o->choices[i]);
			} else {
				snprintf(type, sizeof(type), "%s", type_names[o->type]);
			}
			fprintf(f, "| `%s` | %s | %s | %s |\n", o->name, type,
				o->required ? "required" : o->def ? o->def : "unset", o->help);
		}
		fputc('\n', f);
	}
}
