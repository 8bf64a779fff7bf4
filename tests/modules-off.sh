#!/bin/sh
# SPDX-License-Identifier: MIT
# modules-off.sh SOURCE_DIR C_COMPILER
# -DSWIOTLB_MODULES=OFF (the fuzzing setting of docs/architecture.md) builds
# a swiotlb program with the commands that need no module, which still work,
# and without those that do.
set -eu
src=$1
cc=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swiotlb-nomod.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cmake -S "$src" -B "$tmp" -DSWIOTLB_MODULES=OFF -DSWIOTLB_BUILD_TESTS=OFF -DSWIOTLB_BUILD_SHARED=OFF \
	-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER="$cc" >/dev/null
cmake --build "$tmp" -j2 --target swiotlb >/dev/null
bin=$tmp/tools/swiotlb
help=$("$bin" help)
for cmd in replay demo bench; do
	echo "$help" | grep -q "^  $cmd " || { echo "modules-off: '$cmd' missing from help" >&2; exit 1; }
done
for cmd in boot run blk; do
	if echo "$help" | grep -q "^  $cmd "; then
		echo "modules-off: '$cmd' listed without its module" >&2
		exit 1
	fi
	rc=0
	"$bin" "$cmd" >/dev/null 2>&1 || rc=$?
	[ $rc -eq 2 ] || { echo "modules-off: '$cmd' exited $rc, not 2 (unknown command)" >&2; exit 1; }
done
"$bin" demo >/dev/null
"$bin" replay "$src/tests/replay/two_pools.swtl" >/dev/null
echo "modules-off: replay, demo and bench built and working; boot, run and blk absent"
