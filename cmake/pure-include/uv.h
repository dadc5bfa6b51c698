/*
 * Guard for pure (protocol) code, not libuv: every *_proto library, the CLI
 * and the unit tests and fuzz targets of pure code have cmake/pure-include/
 * first on their include path, so an #include <uv.h>, direct or through
 * another header, lands here and stops the build (once per file).
 *
 * Hit by a new file that is loop code (it owns handles or timers)?  Name it
 * in LOOP of its folder's CMakeLists.txt (a test: LOOP_TESTS of
 * tests/CMakeLists.txt).  Hit by pure code?  It includes a loop header:
 * include the pure header that declares what it needs, or split one off.
 */
#ifndef SP_PURE_UV_GUARD
#define SP_PURE_UV_GUARD
#error "protocol code must not include uv.h: see docs/ARCHITECTURE.md (pure and loop code)"
#endif
