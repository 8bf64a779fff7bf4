# SPDX-License-Identifier: MIT
# cmake --install: headers under include/swiotlb/, the libraries, the swiotlb
# program, man pages (sections 1 and 3), one pkg-config file per library and
# the CMake package (find_package(swiotlb CONFIG) -> swiotlb::swiotlb,
# swiotlb::posix, swiotlb::sim, swiotlb::vhost as built).  DESTDIR and
# --prefix work: the pkg-config files and the package locate themselves.
if(NOT SWIOTLB_INSTALL)
  return()
endif()
include(CMakePackageConfigHelpers)

set(_swiotlb_headers export.h platform.h stats.h swiotlb.h posix.h)
if(TARGET swiotlb_sim)
  list(APPEND _swiotlb_headers sim.h)
endif()
if(TARGET swiotlb_vhost)
  list(APPEND _swiotlb_headers vhost_blk.h)
endif()
list(TRANSFORM _swiotlb_headers PREPEND ${PROJECT_SOURCE_DIR}/include/swiotlb/)
install(FILES ${_swiotlb_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/swiotlb COMPONENT dev)

install(TARGETS ${SWIOTLB_LIBRARY_TARGETS} EXPORT swiotlbTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

if(SWIOTLB_BUILD_TOOLS)
  install(TARGETS swiotlb RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bin)
  file(GLOB _swiotlb_man1 ${PROJECT_SOURCE_DIR}/man/*.1)
  if(NOT TARGET swiotlb_vhost)
    list(FILTER _swiotlb_man1 EXCLUDE REGEX "swiotlb-blk\\.1$")
  endif()
  install(FILES ${_swiotlb_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT bin)
endif()
file(GLOB _swiotlb_man3 ${PROJECT_SOURCE_DIR}/man/*.3)
if(NOT TARGET swiotlb_sim)
  list(FILTER _swiotlb_man3 EXCLUDE REGEX "/swiotlb_sim[^/]*\\.3$")
endif()
if(NOT TARGET swiotlb_vhost)
  list(FILTER _swiotlb_man3 EXCLUDE REGEX "/swiotlb_vblk[^/]*\\.3$")
endif()
install(FILES ${_swiotlb_man3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3 COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libswiotlb
        COMPONENT lib)

# pkg-config: prefix is found from the file's own place, so the files stay
# right after `cmake --install --prefix` or a move of the whole tree.
set(_swiotlb_pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SWIOTLB_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _swiotlb_up /root/${_swiotlb_pcdir} /root)
  string(REGEX REPLACE "/$" "" _swiotlb_up "${_swiotlb_up}")
  set(SWIOTLB_PC_PREFIX "\${pcfiledir}/${_swiotlb_up}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(SWIOTLB_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(SWIOTLB_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
function(swiotlb_pkgconfig target name lib description requires libs_private)
  if(NOT TARGET ${target})
    return()
  endif()
  set(SWIOTLB_PC_NAME ${name})
  set(SWIOTLB_PC_LIB ${lib})
  set(SWIOTLB_PC_DESCRIPTION "${description}")
  set(SWIOTLB_PC_REQUIRES "${requires}")
  set(SWIOTLB_PC_LIBS_PRIVATE "${libs_private}")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/swiotlb.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc DESTINATION ${_swiotlb_pcdir} COMPONENT dev)
endfunction()
swiotlb_pkgconfig(swiotlb_core swiotlb swiotlb
  "portable software IO TLB (DMA bounce buffering), the freestanding core" "" "")
swiotlb_pkgconfig(swiotlb_posix swiotlb-posix swiotlb-posix
  "libswiotlb's POSIX platform: pools in a simulated physical address space" "swiotlb" "-pthread")
swiotlb_pkgconfig(swiotlb_sim swiotlb-sim swiotlb-sim
  "libswiotlb's simulated machines (x86, SEV, SEV-SNP, TDX, Xen PV)" "swiotlb-posix" "-pthread")
swiotlb_pkgconfig(swiotlb_vhost swiotlb-vhost swiotlb-vhost
  "libswiotlb's vhost-user-blk front end and built-in back end" "swiotlb-posix" "-pthread")

# The CMake package.
set(_swiotlb_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/swiotlb)
install(EXPORT swiotlbTargets NAMESPACE swiotlb:: DESTINATION ${_swiotlb_cmakedir} COMPONENT dev)
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_swiotlb_compat SameMinorVersion) # 0.x: every minor release may break the ABI
else()
  set(_swiotlb_compat SameMajorVersion)
endif()
set(SWIOTLB_COMPONENTS posix)
foreach(_m sim vhost)
  if(TARGET swiotlb_${_m})
    list(APPEND SWIOTLB_COMPONENTS ${_m})
  endif()
endforeach()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/swiotlbConfig.cmake.in
  ${PROJECT_BINARY_DIR}/swiotlbConfig.cmake INSTALL_DESTINATION ${_swiotlb_cmakedir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/swiotlbConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_swiotlb_compat})
install(FILES ${PROJECT_BINARY_DIR}/swiotlbConfig.cmake ${PROJECT_BINARY_DIR}/swiotlbConfigVersion.cmake
        DESTINATION ${_swiotlb_cmakedir} COMPONENT dev)
