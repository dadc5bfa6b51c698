/*
 * dns_schema.h - the DNS planes' configuration sections (pure).
 *
 * dns_auth_schema (auth_schema.c): [dns] enabled and the authoritative
 * server's options, [secondary].  dns_stub_schema (stub_schema.c): [dns]
 * stub-listen, stub-port, upstream, [friend], [signpost].  Composed in this
 * order (auth first), they give the reference of one [dns] section.
 */
#ifndef DNS_SCHEMA_H
#define DNS_SCHEMA_H

#include "core/config.h"

extern const struct sp_section_schema dns_auth_schema[];
extern const struct sp_section_schema dns_stub_schema[];

#endif
