/* dns_schema.h - the DNS planes' configuration sections (pure; see dns_schema.c). */
#ifndef DNS_SCHEMA_H
#define DNS_SCHEMA_H

#include "core/config.h"

extern const struct sp_section_schema dns_schema[];

#endif
