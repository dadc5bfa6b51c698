/* Must NOT compile with the pure flags: includes uv.h directly (ctest build_pure_guard_direct). */
#include <uv.h>

int sp_pure_probe_direct(void);
int sp_pure_probe_direct(void)
{
	return 0;
}
