# SPDX-License-Identifier: MIT
# The build's options.  All are prefixed SWIOTLB_; what only the project's own
# developers want (tests, fuzzers, tools, -Werror, installing) defaults to ON
# at the top level and OFF when the project is embedded.

if(SWIOTLB_TOP_LEVEL AND NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "build type" FORCE)
endif()

# Tests follow CTest's BUILD_TESTING when the consumer set it.
set(_swiotlb_tests_default ${SWIOTLB_TOP_LEVEL})
if(DEFINED BUILD_TESTING AND NOT BUILD_TESTING)
  set(_swiotlb_tests_default OFF)
endif()
option(SWIOTLB_BUILD_TESTS "build the tests, fuzz drivers and examples and register them with CTest"
       ${_swiotlb_tests_default})
option(SWIOTLB_BUILD_TOOLS "build and install the swiotlb program" ${SWIOTLB_TOP_LEVEL})
option(SWIOTLB_WERROR "treat warnings as errors" ${SWIOTLB_TOP_LEVEL})
option(SWIOTLB_INSTALL "install headers, libraries, pkg-config files and the CMake package"
       ${SWIOTLB_TOP_LEVEL})
option(SWIOTLB_MODULES "build the optional modules (sim, vhost)" ON)
option(SWIOTLB_FUZZ "build libFuzzer targets (clang); instruments everything for coverage" OFF)
# Debug mode (docs/debug.md): compiles in the hooks that swiotlb_config.debug
# turns on at run time.  Off: the hooks compile to nothing.
option(SWIOTLB_DEBUG "compile in the debug mode (redzones, poison, unmap history, leak report)" OFF)

# Shared and static libraries.  BUILD_SHARED_LIBS picks one kind when it is
# set; otherwise the top level builds both (what a packager ships) and an
# embedding project gets static archives.  Either can be forced.
if(DEFINED BUILD_SHARED_LIBS)
  set(_swiotlb_shared_default ${BUILD_SHARED_LIBS})
  if(BUILD_SHARED_LIBS)
    set(_swiotlb_static_default OFF)
  else()
    set(_swiotlb_static_default ON)
  endif()
else()
  set(_swiotlb_shared_default ${SWIOTLB_TOP_LEVEL})
  set(_swiotlb_static_default ON)
endif()
option(SWIOTLB_BUILD_SHARED "build the shared libraries" ${_swiotlb_shared_default})
option(SWIOTLB_BUILD_STATIC "build and install the static libraries" ${_swiotlb_static_default})
if(NOT SWIOTLB_BUILD_SHARED AND NOT SWIOTLB_BUILD_STATIC)
  message(FATAL_ERROR "SWIOTLB_BUILD_SHARED and SWIOTLB_BUILD_STATIC are both OFF: nothing to build")
endif()

# Sanitizers: a comma- (or semicolon-) separated list passed to -fsanitize=.
set(SWIOTLB_SANITIZE "" CACHE STRING
    "sanitizers to build with: a list of address, undefined, thread, leak (e.g. address,undefined); empty for none")
set(_swiotlb_sanitizers address undefined thread leak)
set(SWIOTLB_SANITIZE_FLAGS "")
if(SWIOTLB_SANITIZE)
  string(REPLACE "," ";" _swiotlb_list "${SWIOTLB_SANITIZE}")
  foreach(_s IN LISTS _swiotlb_list)
    if(NOT _s IN_LIST _swiotlb_sanitizers)
      message(FATAL_ERROR "SWIOTLB_SANITIZE: '${_s}' is not a sanitizer; give a comma-separated "
                          "list of: address, undefined, thread, leak (e.g. -DSWIOTLB_SANITIZE=address,undefined)")
    endif()
  endforeach()
  if("thread" IN_LIST _swiotlb_list AND ("address" IN_LIST _swiotlb_list OR "leak" IN_LIST _swiotlb_list))
    message(FATAL_ERROR "SWIOTLB_SANITIZE: thread cannot be combined with address or leak")
  endif()
  string(REPLACE ";" "," SWIOTLB_SANITIZE_FLAGS "${_swiotlb_list}")
endif()
