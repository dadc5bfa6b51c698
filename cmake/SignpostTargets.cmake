# Helpers shared by every module's CMakeLists.txt.

# sp_unit_test(NAME SOURCES a.c b.c LIBS x y): a cmocka test run by ctest.
function(sp_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120)
endfunction()

# sp_fuzz_target(NAME SOURCES f.c LIBS x): NAME.c defines LLVMFuzzerTestOneInput.
# Always builds fuzz_NAME_replay, which ctest runs over tests/fuzz/corpus/NAME/;
# with -DFUZZ=ON (clang) also builds the libFuzzer binary fuzz_NAME.
function(sp_fuzz_target name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_executable(fuzz_${name}_replay ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c)
  target_link_libraries(fuzz_${name}_replay PRIVATE ${T_LIBS})
  target_include_directories(fuzz_${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/src)
  add_test(NAME fuzz_${name} COMMAND fuzz_${name}_replay ${corpus})
  set_tests_properties(fuzz_${name} PROPERTIES TIMEOUT 300)
  if(FUZZ)
    add_executable(fuzz_${name} ${T_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE ${T_LIBS})
    target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
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
