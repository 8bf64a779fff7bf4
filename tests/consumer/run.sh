#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh SOURCE_DIR BUILD_DIR C_COMPILER
# Installs the build (under DESTDIR, then to a prefix of its own) and builds
# and runs tests/consumer's C and C++ programs out of tree three ways: with
# pkg-config, with find_package(swiotlb CONFIG), and with add_subdirectory()
# of the source tree.  Exit 77 (skip) without a C++ compiler or pkg-config.
set -eu
src=$1
build=$2
cc=$3
cxx=${CXX:-c++}
here=$src/tests/consumer
for tool in "$cxx" pkg-config cmake; do
	if ! command -v "$tool" >/dev/null; then
		echo "consumers: $tool not found, skipped (tests/run-all.sh installs it)"
		exit 77
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swiotlb-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
step() { echo "--- consumers: $*"; }

step "install with DESTDIR"
DESTDIR=$tmp/destdir cmake --install "$build" >/dev/null
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
for f in include/swiotlb/swiotlb.h include/swiotlb/posix.h; do
	[ -f "$tmp/destdir$configured/$f" ] || { echo "DESTDIR install lacks $configured/$f" >&2; exit 1; }
done

step "install to a prefix of its own"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name swiotlb.pc)
[ -n "$pc" ] || { echo "no swiotlb.pc installed" >&2; exit 1; }
[ -f "$tmp/prefix/share/man/man3/libswiotlb.3" ] || { echo "no man pages installed" >&2; exit 1; }

step "pkg-config"
export PKG_CONFIG_PATH="$(dirname "$pc")"
libdir=$(pkg-config --variable=libdir swiotlb)
pkg-config --exists 'swiotlb >= 0.1' swiotlb-posix
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror -o "$tmp/pc-c" "$here/consumer.c" \
	$(pkg-config --cflags --libs swiotlb-posix) -Wl,-rpath,"$libdir"
"$tmp/pc-c"
# shellcheck disable=SC2046
$cxx -std=c++17 -Wall -Wextra -Werror -o "$tmp/pc-cxx" "$here/consumer.cpp" \
	$(pkg-config --cflags --libs swiotlb-posix) -Wl,-rpath,"$libdir"
"$tmp/pc-cxx"
# the examples build as their comments say
for ex in two-pools force-bounce; do
	# shellcheck disable=SC2046
	$cc -std=c11 -Wall -Wextra -Werror -o "$tmp/$ex" "$src/examples/$ex.c" \
		$(pkg-config --cflags --libs swiotlb-posix) -Wl,-rpath,"$libdir"
	"$tmp/$ex" >/dev/null
done
# the program is linked to the shared library by its SONAME
readelf -d "$tmp/pc-c" | grep -q 'NEEDED.*libswiotlb-posix\.so\.'

step "find_package(swiotlb CONFIG)"
cmake -S "$here" -B "$tmp/package" -DMODE=package -DCMAKE_PREFIX_PATH="$tmp/prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$tmp/package" -j2 >/dev/null
"$tmp/package/consumer_c"
"$tmp/package/consumer_cxx"
[ ! -x "$tmp/package/consumer_static" ] || "$tmp/package/consumer_static"

step "add_subdirectory()"
cmake -S "$here" -B "$tmp/subdir" -DMODE=subdir -DSWIOTLB_SOURCE="$src" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$tmp/subdir" -j2 >/dev/null
"$tmp/subdir/consumer_c"
"$tmp/subdir/consumer_cxx"
echo "consumers: pkg-config, find_package and add_subdirectory, in C and C++: all pass"
