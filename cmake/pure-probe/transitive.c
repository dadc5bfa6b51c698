/*
 * Must NOT compile with the pure flags: core/node.h is a loop header that
 * includes uv.h (ctest build_pure_guard_transitive).
 */
#include "core/node.h"

int sp_pure_probe_transitive(void);
int sp_pure_probe_transitive(void)
{
	return 0;
}
