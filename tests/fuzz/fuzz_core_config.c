/* fuzz_core_config.c - arbitrary bytes as a configuration file must never crash. */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/log.h"
#include "dns/dns_schema.h"
#include "tunnel/tun_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) {
		/* Errors are the expected outcome: keep the output quiet. */
		sp_log_init("fuzz", 0, false, false);
		/* The schema signpostd composes: core's and the planes'. */
		static const struct sp_section_schema *const frags[] = { dns_auth_schema, dns_stub_schema,
									 tun_schema };
		if (sp_config_schema_compose(frags, 3) != 0)
			return 0;
		once = 1;
	}
	struct sp_config *cfg = NULL;
	if (sp_config_parse("/fuzz/signpost.conf", (const char *)data, size, &cfg) == 0) {
		/* Walk what was accepted, as the planes would. */
		for (const struct sp_section_schema *sc = sp_config_schema; sc->name; sc++) {
			const struct sp_config_section *s = NULL;
			while ((s = sp_config_next(cfg, sc->name, s)) != NULL)
				for (const struct sp_opt *o = sc->opts; o->name; o++)
					(void)sp_cfg_str(s, o->name);
		}
		sp_config_free(cfg);
	}
	return 0;
}
