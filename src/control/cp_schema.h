/* cp_schema.h - the control plane's configuration section (pure; see cp_schema.c). */
#ifndef CP_SCHEMA_H
#define CP_SCHEMA_H

#include "core/config.h"

extern const struct sp_section_schema cp_schema[];

#endif
