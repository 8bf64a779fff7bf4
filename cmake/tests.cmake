# SPDX-License-Identifier: MIT
# Tests of the build and of the installed package itself (the code's tests
# are in tests/CMakeLists.txt).
set(_swiotlb_public_headers swiotlb.h posix.h)
set(_swiotlb_shared_libs $<TARGET_FILE:swiotlb_core_shared> $<TARGET_FILE:swiotlb_posix_shared>)
foreach(_m sim:sim.h vhost:vhost_blk.h)
  string(REPLACE ":" ";" _m ${_m})
  list(GET _m 0 _name)
  list(GET _m 1 _header)
  if(TARGET swiotlb_${_name})
    list(APPEND _swiotlb_public_headers ${_header})
    list(APPEND _swiotlb_shared_libs $<TARGET_FILE:swiotlb_${_name}_shared>)
  endif()
endforeach()
list(TRANSFORM _swiotlb_public_headers PREPEND ${PROJECT_SOURCE_DIR}/include/swiotlb/)

# The shared objects export exactly the public API, versioned.
if(SWIOTLB_BUILD_SHARED)
  add_test(NAME exports COMMAND sh ${PROJECT_SOURCE_DIR}/tests/check-exports.sh
           ${_swiotlb_public_headers} -- ${_swiotlb_shared_libs})
endif()

# Out-of-tree consumers of the installed library (pkg-config, find_package,
# add_subdirectory; C and C++), and the tool without modules.  Instrumented
# builds are left out: their libraries need the sanitizer runtimes.
if(SWIOTLB_INSTALL AND NOT SWIOTLB_SANITIZE_FLAGS AND NOT SWIOTLB_FUZZ)
  add_test(NAME consumers COMMAND sh ${PROJECT_SOURCE_DIR}/tests/consumer/run.sh
           ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(consumers PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
  add_test(NAME modules_off COMMAND sh ${PROJECT_SOURCE_DIR}/tests/modules-off.sh
           ${PROJECT_SOURCE_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(modules_off PROPERTIES TIMEOUT 600)
endif()

# The manual: every page parses and is indexed, every public function has one.
add_test(NAME man_pages COMMAND sh ${PROJECT_SOURCE_DIR}/tests/check-man.sh ${PROJECT_SOURCE_DIR}/man
         ${PROJECT_VERSION} ${PROJECT_SOURCE_DIR}/include/swiotlb/swiotlb.h ${PROJECT_SOURCE_DIR}/include/swiotlb/posix.h
         ${PROJECT_SOURCE_DIR}/include/swiotlb/sim.h ${PROJECT_SOURCE_DIR}/include/swiotlb/vhost_blk.h)
set_tests_properties(man_pages PROPERTIES SKIP_RETURN_CODE 77)
