/* tun_schema.h - the tunnel plane's configuration sections (pure; see tun_schema.c). */
#ifndef TUN_SCHEMA_H
#define TUN_SCHEMA_H

#include "core/config.h"

extern const struct sp_section_schema tun_schema[];

#endif
