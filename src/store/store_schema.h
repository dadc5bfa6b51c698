/* store_schema.h - the store plane's configuration section (pure; see store_schema.c). */
#ifndef STORE_SCHEMA_H
#define STORE_SCHEMA_H

#include <stdbool.h>

#include "core/config.h"

extern const struct sp_section_schema store_schema[];

/* Is the store on?  "auto": on a device (its replica syncs with nothing to set). */
bool store_schema_enabled(const struct sp_config *cfg);

#endif
