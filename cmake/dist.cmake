# SPDX-License-Identifier: MIT
# cmake --build build --target dist:      build/libswiotlb-<version>.tar.gz
# cmake --build build --target distcheck: the tarball, unpacked alone,
#                                         configures, builds and passes its tests
if(NOT SWIOTLB_TOP_LEVEL)
  return()
endif()
add_custom_target(dist
  COMMAND sh ${PROJECT_SOURCE_DIR}/cmake/dist.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${PROJECT_VERSION}
  COMMENT "source tarball libswiotlb-${PROJECT_VERSION}.tar.gz"
  VERBATIM)
add_custom_target(distcheck
  COMMAND sh ${PROJECT_SOURCE_DIR}/tests/distcheck.sh ${PROJECT_BINARY_DIR}/libswiotlb-${PROJECT_VERSION}.tar.gz
  DEPENDS dist
  COMMENT "building and testing the source tarball alone"
  VERBATIM)
