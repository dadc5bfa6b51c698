# Helpers shared by every module's CMakeLists.txt.

# ---- pure (protocol) code versus loop code (docs/ARCHITECTURE.md) ----
#
# Protocol code builds into the *_proto libraries, which neither include nor link libuv; loop
# code (sockets, timers, the TUN device) builds into the libraries that link their _proto.
# Two checks hold the line:
#   - compile: every pure target has cmake/pure-include/ first on its include path, whose uv.h
#     is an #error, so an #include <uv.h> in pure code, direct or through another header,
#     stops the build (ctest build_pure_guard_* proves it fires);
#   - configure: sp_check_pure_links() fails if libuv is anywhere in a pure target's link
#     closure (a pure library linking a loop one).
set(SP_PURE_INCLUDE ${CMAKE_CURRENT_LIST_DIR}/pure-include)

# sp_pure(TARGET...): mark targets as pure code (the include guard and the link check).
function(sp_pure)
  foreach(t ${ARGN})
    target_include_directories(${t} BEFORE PRIVATE ${SP_PURE_INCLUDE})
    set_property(GLOBAL APPEND PROPERTY SP_PURE_TARGETS ${t})
  endforeach()
endfunction()

# sp_split_sources(PROTO_VAR LOOP_VAR LOOP a.c ... [NOT_PROTO b.c ...]): the .c files of the
# current folder, classified: those named in LOOP go to LOOP_VAR, those in NOT_PROTO (built by
# another target of the folder) to neither, every other file to PROTO_VAR.  So a new pure file
# joins the proto library by itself, and a new loop file left off the list fails to compile
# loudly (the guard).  A listed file that does not exist is an error too.
function(sp_split_sources proto_var loop_var)
  cmake_parse_arguments(S "" "" "LOOP;NOT_PROTO" ${ARGN})
  file(GLOB all CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  foreach(f ${S_LOOP} ${S_NOT_PROTO})
    if(NOT f IN_LIST all)
      message(FATAL_ERROR "${CMAKE_CURRENT_LIST_FILE}: ${f} is listed but does not exist")
    endif()
  endforeach()
  set(proto "")
  set(loop "")
  foreach(f ${all})
    if(f IN_LIST S_LOOP)
      list(APPEND loop ${CMAKE_CURRENT_SOURCE_DIR}/${f})
    elseif(NOT f IN_LIST S_NOT_PROTO)
      list(APPEND proto ${CMAKE_CURRENT_SOURCE_DIR}/${f})
    endif()
  endforeach()
  set(${proto_var} ${proto} PARENT_SCOPE)
  set(${loop_var} ${loop} PARENT_SCOPE)
endfunction()

# sp_check_pure_links(): at the end of the top-level CMakeLists.txt, once every target exists.
function(sp_check_pure_links)
  get_property(pure GLOBAL PROPERTY SP_PURE_TARGETS)
  foreach(t ${pure})
    set(seen "")
    set(todo ${t})
    set(via_${t} "${t}")
    while(todo)
      list(POP_FRONT todo cur)
      if(cur IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${cur})
      if(cur STREQUAL "PkgConfig::LIBUV" OR cur MATCHES "(^|/)libuv[.](so|a)")
        message(FATAL_ERROR "${t} is pure code and must not link libuv, but does: ${via_${cur}}"
                " (see docs/ARCHITECTURE.md, pure and loop code)")
      endif()
      if(NOT TARGET ${cur})
        continue()
      endif()
      get_target_property(libs ${cur} INTERFACE_LINK_LIBRARIES)
      if(cur STREQUAL t)
        get_target_property(libs ${cur} LINK_LIBRARIES)
      endif()
      if(NOT libs)
        continue()
      endif()
      foreach(l ${libs})
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
        if(l MATCHES "^\\$<" OR l IN_LIST seen)
          continue()
        endif()
        list(APPEND todo ${l})
        if(NOT DEFINED via_${l})
          set(via_${l} "${via_${cur}} -> ${l}")
        endif()
      endforeach()
    endwhile()
  endforeach()
endfunction()

# sp_pure_guard_tests(): ctests that the guard fires (a probe that includes uv.h directly, one
# through a loop header, must fail to compile with the pure flags and say why), that the pure
# flags otherwise build (a probe with pure headers only compiles), and that the link check
# refuses a pure library linking a loop one (cmake/pure-probe/linkcheck/, configured apart).
function(sp_pure_guard_tests)
  add_test(NAME build_pure_guard_links
           COMMAND ${CMAKE_COMMAND} -S ${PROJECT_SOURCE_DIR}/cmake/pure-probe/linkcheck
                   -B ${CMAKE_BINARY_DIR}/pure-linkcheck -DCMAKE_C_COMPILER=${CMAKE_C_COMPILER})
  set_tests_properties(build_pure_guard_links PROPERTIES TIMEOUT 120 PASS_REGULAR_EXPRESSION
    "must[ \n]+not[ \n]+link[ \n]+libuv,[ \n]+but[ \n]+does:[ \n]+probe_pure[ \n]+->[ \n]+probe_loop[ \n]+->[ \n]+PkgConfig::LIBUV")
  foreach(p direct transitive clean)
    add_library(sp_pure_probe_${p} OBJECT EXCLUDE_FROM_ALL
                ${PROJECT_SOURCE_DIR}/cmake/pure-probe/${p}.c)
    target_include_directories(sp_pure_probe_${p} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    sp_pure(sp_pure_probe_${p})
    # The object is removed first so that every run compiles the probe afresh.
    add_test(NAME build_pure_guard_${p}
             COMMAND sh -c "rm -f \"$1\" && exec \"$2\" --build \"$3\" --target \"$4\""
                     sh $<TARGET_OBJECTS:sp_pure_probe_${p}> ${CMAKE_COMMAND} ${CMAKE_BINARY_DIR}
                     sp_pure_probe_${p})
    set_tests_properties(build_pure_guard_${p} PROPERTIES TIMEOUT 120
                         RESOURCE_LOCK sp_build_dir)
  endforeach()
  set_tests_properties(build_pure_guard_direct build_pure_guard_transitive PROPERTIES
                       PASS_REGULAR_EXPRESSION "protocol code must not include uv[.]h")
endfunction()

# sp_unit_test(NAME SOURCES a.c b.c LIBS x y [PURE]): a cmocka test run by ctest.
# PURE: the test covers pure code (links only *_proto libraries, the uv.h guard applies).
function(sp_unit_test name)
  cmake_parse_arguments(T "PURE" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  if(T_PURE)
    sp_pure(${name})
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120)
endfunction()

# sp_fuzz_target(NAME SOURCES f.c LIBS x [PURE]): NAME.c defines LLVMFuzzerTestOneInput.
# Always builds fuzz_NAME_replay, which ctest runs over tests/fuzz/corpus/NAME/;
# with -DFUZZ=ON (clang) also builds the libFuzzer binary fuzz_NAME.  PURE as sp_unit_test.
function(sp_fuzz_target name)
  cmake_parse_arguments(T "PURE" "" "SOURCES;LIBS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_executable(fuzz_${name}_replay ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c)
  target_link_libraries(fuzz_${name}_replay PRIVATE ${T_LIBS})
  target_include_directories(fuzz_${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/src)
  add_test(NAME fuzz_${name} COMMAND fuzz_${name}_replay ${corpus})
  set_tests_properties(fuzz_${name} PROPERTIES TIMEOUT 300)
  if(T_PURE)
    sp_pure(fuzz_${name}_replay)
  endif()
  if(FUZZ)
    add_executable(fuzz_${name} ${T_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE ${T_LIBS})
    target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    if(T_PURE)
      sp_pure(fuzz_${name})
    endif()
  endif()
endfunction()

# sp_script_test(NAME SCRIPT path [LABELS l]): a shell test (network namespaces etc.).
# The script gets the build directory as $1 and runs as root.
function(sp_script_test name)
  cmake_parse_arguments(T "" "SCRIPT;TIMEOUT" "LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND bash ${T_SCRIPT} ${CMAKE_BINARY_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
endfunction()
