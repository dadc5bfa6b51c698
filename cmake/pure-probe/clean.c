/*
 * Must compile with the pure flags (ctest build_pure_guard_clean): the
 * control for the two probes that must fail, so that their failure is the
 * guard and not broken flags.
 */
#include "core/config.h"
#include "core/ctl.h"
#include "core/reply.h"

int sp_pure_probe_clean(void);
int sp_pure_probe_clean(void)
{
	return SP_CTL_ARGS_MAX > 0 ? 0 : 1;
}
