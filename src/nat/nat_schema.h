/* nat_schema.h - the NAT plane's configuration section (pure; see nat_schema.c). */
#ifndef NAT_SCHEMA_H
#define NAT_SCHEMA_H

#include <stdbool.h>

#include "core/config.h"

extern const struct sp_section_schema nat_schema[];

/*
 * The effective value of an auto/yes/no option of [nat] ("stun-server",
 * "port-mapping"): "auto" means yes on the role named by on_role
 * ("signpost" or "device").
 */
bool nat_schema_flag(const struct sp_config *cfg, const char *option, const char *on_role);

#endif
