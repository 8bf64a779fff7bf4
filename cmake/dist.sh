#!/bin/sh
# SPDX-License-Identifier: MIT
# dist.sh SOURCE_DIR OUTPUT_DIR VERSION: write OUTPUT_DIR/libswiotlb-VERSION.tar.gz,
# the source release.  In a git checkout it holds the tracked files as they
# are in the working tree (a warning says when they differ from HEAD); in an
# unpacked tarball, everything but build directories.
set -eu
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
name=libswiotlb-$3
tarball=$out/$name.tar.gz
list=$(mktemp "${TMPDIR:-/tmp}/swiotlb-dist.XXXXXX")
trap 'rm -f "$list"' EXIT INT TERM
cd "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z >"$list"
	if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
		echo "dist: warning: tracked files differ from HEAD; the tarball holds them as they are" >&2
	fi
else
	find . -path ./.git -prune -o -path './build*' -prune -o -type f -print0 | sed -z 's|^\./||' >"$list"
fi
# files of the tree only, sorted, with a fixed owner and date, so the same
# tree gives the same tarball
mtime=$(git log -1 --format=%cI 2>/dev/null || echo "2026-01-01T00:00:00Z")
tar --null -T "$list" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
	--transform "s|^|$name/|" -cf - | gzip -n >"$tarball"
echo "dist: $tarball ($(wc -c <"$tarball") bytes)"
