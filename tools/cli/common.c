/* common.c - small helpers shared by the CLI's commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

long cli_parse_port(const char *text, long min)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > 65535)
		return -1;
	return v;
}

int cli_parse_duration(const char *text, uint64_t *secs)
{
	static const struct {
		char unit;
		uint64_t mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	uint64_t v = 0;
	const char *p = text;
	/* Digits only: strtoull would take a sign or leading spaces. */
	if (*p < '0' || *p > '9')
		return SP_EMALFORMED;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (CLI_DURATION_MAX - (uint64_t)(*p - '0')) / 10)
			return SP_EMALFORMED;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	uint64_t mult = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (p[0] == units[i].unit && p[1] == '\0')
			mult = units[i].mult;
	if (mult == 0 || v == 0 || v > CLI_DURATION_MAX / mult)
		return SP_EMALFORMED;
	*secs = v * mult;
	return 0;
}

bool cli_is_label(const char *text)
{
	size_t n = strlen(text);
	if (n == 0 || n > 63 || text[0] == '-' || text[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = text[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	return true;
}

char *cli_zone_name(const char *text)
{
	if (text[0] == '\0' || strcmp(text, ".") == 0 || strchr(text, ' ') || strchr(text, '\\'))
		return NULL;
	ldns_rdf *rdf = ldns_dname_new_frm_str(text);
	if (rdf == NULL)
		return NULL;
	/* Every label must be a host-name label: the zone holds device names. */
	bool ok = ldns_dname_label_count(rdf) >= 1;
	for (uint8_t i = 0; ok && i < ldns_dname_label_count(rdf); i++) {
		ldns_rdf *label = ldns_dname_label(rdf, i);
		char *s = label ? ldns_rdf2str(label) : NULL;
		if (s) {
			size_t n = strlen(s);
			if (n && s[n - 1] == '.')
				s[n - 1] = '\0';
		}
		ok = s && cli_is_label(s);
		free(s);
		ldns_rdf_deep_free(label);
	}
	ldns_dname2canonical(rdf);
	char *out = ok ? ldns_rdf2str(rdf) : NULL;
	ldns_rdf_deep_free(rdf);
	return out;
}

void cli_lower(char *text)
{
	for (; *text; text++)
		if (*text >= 'A' && *text <= 'Z')
			*text = (char)(*text - 'A' + 'a');
}
