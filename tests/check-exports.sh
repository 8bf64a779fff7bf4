#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh HEADER... -- LIBRARY.so...
# The shared objects together export exactly the functions their public
# headers declare with SWIOTLB_API: nothing internal (tlb_*, sim_*, vu_*, vshm_*),
# every declared function present in exactly one library, each under the
# version node of the linker script (name@@SWIOTLB_<soversion>).
set -eu
headers=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	headers="$headers $1"
	shift
done
[ $# -gt 0 ] && shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# the name is the identifier just before the declaration's first '(' (a
# function) or '[' (an array)
sed -n 's/^SWIOTLB_API[^([]*[^A-Za-z0-9_([]\([A-Za-z_][A-Za-z0-9_]*\)[([].*/\1/p' $headers |
	sort >"$tmp/declared"
# a declaration without the mark would be hidden from the shared objects
if grep -n -E '^(extern |const |unsigned |signed |int |void |bool |size_t |u?int[0-9]+_t |struct |enum |char |double |pid_t )' \
	$headers | grep -v -E ':(extern "C"|struct [A-Za-z0-9_]+ \{|struct [A-Za-z0-9_]+;|enum [A-Za-z0-9_]+ \{)' >"$tmp/unmarked"; then
	echo "exports: declarations without SWIOTLB_API (hidden from the shared objects):" >&2
	sed 's/^/  /' "$tmp/unmarked" >&2
	exit 1
fi
if [ ! -s "$tmp/declared" ]; then
	echo "exports: no SWIOTLB_API declaration found in$headers" >&2
	exit 1
fi
fail=0
: >"$tmp/all"
for lib in "$@"; do
	# dynamic symbols defined here, version nodes (type A) aside
	nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 != "A" {print $3}' >"$tmp/raw"
	if grep -v '@@SWIOTLB_' "$tmp/raw" >"$tmp/unversioned"; then
		echo "exports: $(basename "$lib") exports symbols without the library's version node:" >&2
		sed 's/^/  /' "$tmp/unversioned" >&2
		fail=1
	fi
	sed 's/@.*//' "$tmp/raw" | sort >"$tmp/names"
	comm -23 "$tmp/names" "$tmp/declared" >"$tmp/extra"
	if [ -s "$tmp/extra" ]; then
		echo "exports: $(basename "$lib") exports symbols no public header declares:" >&2
		sed 's/^/  /' "$tmp/extra" >&2
		fail=1
	fi
	echo "exports: $(basename "$lib"): $(wc -l <"$tmp/names") symbols"
	cat "$tmp/names" >>"$tmp/all"
done
sort "$tmp/all" | uniq -d >"$tmp/dup"
if [ -s "$tmp/dup" ]; then
	echo "exports: exported by more than one library:" >&2
	sed 's/^/  /' "$tmp/dup" >&2
	fail=1
fi
sort -u "$tmp/all" | comm -13 - "$tmp/declared" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	echo "exports: declared SWIOTLB_API but exported by no library:" >&2
	sed 's/^/  /' "$tmp/missing" >&2
	fail=1
fi
[ $fail -eq 0 ] && echo "exports: exactly the $(wc -l <"$tmp/declared") public symbols"
exit $fail
