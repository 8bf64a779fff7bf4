#!/bin/sh
# SPDX-License-Identifier: MIT
# distcheck.sh TARBALL [ctest args...]
# The source release stands alone: unpacked in an empty directory, with
# nothing of the tree it came from nor of ../shared, it configures, builds
# and passes its tests, and it cites nothing outside itself.
set -eu
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swiotlb-distcheck.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"
tar -xzf "$tarball"
dir=$(ls)
[ -f "$dir/LICENSE" ] && [ -f "$dir/CMakeLists.txt" ] || { echo "distcheck: $dir lacks LICENSE or CMakeLists.txt" >&2; exit 1; }
if grep -rIl -e '\.\./shared/' -e 'shared/[r]eference' -e '[r]eference §' "$dir"; then
	echo "distcheck: the files above point outside the release" >&2
	exit 1
fi
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2
cmake -S "$dir" -B build -DCMAKE_INSTALL_PREFIX="$tmp/prefix" >/dev/null
cmake --build build -j"$jobs" >/dev/null
ctest --test-dir build --output-on-failure -j"$jobs" "$@"
cmake --install build >/dev/null
[ -f "$tmp/prefix/include/swiotlb/swiotlb.h" ]
echo "distcheck: $(basename "$tarball") builds, passes its tests and installs on its own"
