# SPDX-License-Identifier: MIT
# swiotlb_add_library(<target> OUTPUT <file name> EXPORT <name in swiotlb::>
#                     SOURCES ... [DEPENDS <our targets>] [LIBS <others>]
#                     [DEFINES ...] [OPTIONS ...] [INCLUDES ...])
#
# Compiles the sources once (position-independent, -fvisibility=hidden: only
# what the headers mark SWIOTLB_API is exported) and makes of the objects:
#   <target>         the static archive lib<file name>.a.  Always defined,
#                    because the tools and tests link it (they may use
#                    internals); built by default and installed only with
#                    SWIOTLB_BUILD_STATIC.
#   <target>_shared  the shared object lib<file name>.so with SONAME and
#                    versioned symbols, with SWIOTLB_BUILD_SHARED.
# and swiotlb::<name> (plus swiotlb::<name>_static when both exist) for
# projects that embed this one, the same names the installed package exports.

# SONAME: lib<name>.so.<major>, or .so.0.<minor> while the major is 0 (every
# 0.x release may change the ABI).
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(SWIOTLB_SOVERSION 0.${PROJECT_VERSION_MINOR})
else()
  set(SWIOTLB_SOVERSION ${PROJECT_VERSION_MAJOR})
endif()
set(SWIOTLB_SYMVER "SWIOTLB_${SWIOTLB_SOVERSION}")
set(SWIOTLB_VERSION_SCRIPT ${PROJECT_BINARY_DIR}/swiotlb.map)
configure_file(${CMAKE_CURRENT_LIST_DIR}/swiotlb.map.in ${SWIOTLB_VERSION_SCRIPT} @ONLY)

set(SWIOTLB_LIBRARY_TARGETS "" CACHE INTERNAL "")

function(swiotlb_add_library target)
  cmake_parse_arguments(A "" "OUTPUT;EXPORT" "SOURCES;DEPENDS;LIBS;DEFINES;OPTIONS;INCLUDES" ${ARGN})
  set(inc $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

  add_library(${target}_objects OBJECT ${A_SOURCES})
  set_target_properties(${target}_objects PROPERTIES
    POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
  target_include_directories(${target}_objects PRIVATE ${PROJECT_SOURCE_DIR}/include ${A_INCLUDES})
  target_compile_definitions(${target}_objects PRIVATE ${A_DEFINES})
  target_compile_options(${target}_objects PRIVATE ${A_OPTIONS})

  add_library(${target} STATIC $<TARGET_OBJECTS:${target}_objects>)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${A_OUTPUT} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${target} PUBLIC ${inc})
  target_link_libraries(${target} PUBLIC ${A_DEPENDS} ${A_LIBS})
  if(NOT SWIOTLB_BUILD_STATIC)
    set_target_properties(${target} PROPERTIES EXCLUDE_FROM_ALL ON)
  endif()
  set(installed "")
  set(main ${target})

  if(SWIOTLB_BUILD_SHARED)
    set(deps "")
    foreach(d IN LISTS A_DEPENDS)
      list(APPEND deps ${d}_shared)
    endforeach()
    add_library(${target}_shared SHARED $<TARGET_OBJECTS:${target}_objects>)
    set_target_properties(${target}_shared PROPERTIES
      OUTPUT_NAME ${A_OUTPUT} VERSION ${PROJECT_VERSION} SOVERSION ${SWIOTLB_SOVERSION}
      EXPORT_NAME ${A_EXPORT} LINK_DEPENDS ${SWIOTLB_VERSION_SCRIPT})
    target_include_directories(${target}_shared PUBLIC ${inc})
    target_link_libraries(${target}_shared PUBLIC ${deps} ${A_LIBS})
    target_link_options(${target}_shared PRIVATE "LINKER:--version-script=${SWIOTLB_VERSION_SCRIPT}")
    if(NOT SWIOTLB_SANITIZE_FLAGS AND NOT SWIOTLB_FUZZ)
      # every dependency declared: the shared object loads on its own
      target_link_options(${target}_shared PRIVATE "LINKER:--no-undefined")
    endif()
    set(main ${target}_shared)
    list(APPEND installed ${target}_shared)
    if(SWIOTLB_BUILD_STATIC)
      set_target_properties(${target} PROPERTIES EXPORT_NAME ${A_EXPORT}_static)
      add_library(swiotlb::${A_EXPORT}_static ALIAS ${target})
      list(APPEND installed ${target})
    endif()
  else()
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${A_EXPORT})
    list(APPEND installed ${target})
  endif()
  add_library(swiotlb::${A_EXPORT} ALIAS ${main})
  set(SWIOTLB_LIBRARY_TARGETS ${SWIOTLB_LIBRARY_TARGETS} ${installed} CACHE INTERNAL "")
endfunction()
