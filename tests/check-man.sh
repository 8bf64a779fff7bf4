#!/bin/sh
# SPDX-License-Identifier: MIT
# check-man.sh MAN_DIR VERSION HEADER...
# The manual travels with the code: every page's NAME parses (lexgrog), mandb
# indexes them all, every function a header declares SWIOTLB_API has a page
# of its name (`man swiotlb_map` works), and every page names this version.
# Runs on the installed layout (man1/, man3/), where `.so man3/x.3` resolves.
# Exit 77 (skip) without man-db (tests/run-all.sh installs it).
set -eu
src=$1
version=$2
shift 2
for tool in lexgrog mandb whatis; do
	command -v $tool >/dev/null || { echo "man: $tool not found (package man-db), skipped"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swiotlb-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/man1" "$tmp/man3"
cp "$src"/*.1 "$tmp/man1/"
cp "$src"/*.3 "$tmp/man3/"
fail=0
# one lexgrog for all pages: it reports "parse failed" per page it cannot read
if lexgrog "$tmp"/man1/* "$tmp"/man3/* 2>&1 | grep -E 'parse failed|can.t resolve' >"$tmp/bad"; then
	echo "man: lexgrog cannot parse the NAME section of:" >&2
	sed "s|$tmp/||; s/^/  /" "$tmp/bad" >&2
	fail=1
fi
for page in "$tmp"/man1/* "$tmp"/man3/*; do
	name=$(basename "$page")
	if ! head -n 3 "$page" | grep -q '^\.so ' && ! grep -q "^\.TH .*\"libswiotlb $version\"" "$page"; then
		echo "man: $name: its .TH line does not say \"libswiotlb $version\"" >&2
		fail=1
	fi
done
mandb -c -q "$tmp" >/dev/null 2>&1 || { echo "man: mandb could not index the pages" >&2; fail=1; }
names=$(sed -n 's/^SWIOTLB_API[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' "$@" | sort -u)
n=0
# shellcheck disable=SC2086
whatis -M "$tmp" $names swiotlb swiotlb-blk libswiotlb >"$tmp/whatis" 2>&1 || true
for f in $names swiotlb swiotlb-blk libswiotlb; do
	n=$((n + 1))
	case $f in
	swiotlb | swiotlb-blk) sec=1 ;;
	*) sec=3 ;;
	esac
	if [ ! -f "$tmp/man$sec/$f.$sec" ]; then
		echo "man: no file man$sec/$f.$sec (a page, or a .so link to its group's page)" >&2
		fail=1
	fi
	if ! grep -q "^$f ([13])  *- " "$tmp/whatis" || grep -q "^$f ([13]).*unknown subject" "$tmp/whatis"; then
		echo "man: no indexed page for $f: $(grep "$f" "$tmp/whatis")" >&2
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "man: $(ls "$tmp"/man1 "$tmp"/man3 | grep -c '\.[13]$') pages parse and index; all $n names have one"
exit $fail
