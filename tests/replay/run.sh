#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh SWIOTLB SCRIPT
#
# Runs `SWIOTLB replay --json SCRIPT` and compares its standard output with
# SCRIPT's .expected file (same name, .expected instead of .swtl).  The
# replay's exit status must equal N from a first-line comment "# exit: N"
# of the script (default 0).  Exit 0 when both hold; otherwise print the
# differences and exit 1.
#
# The .expected files are assertions about the library: each value in them
# was worked out from docs/kernel-semantics.md, not captured from a run.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 SWIOTLB SCRIPT.swtl" >&2
	exit 2
fi
bin=$1
script=$2
expected=${script%.swtl}.expected

if [ ! -f "$script" ]; then
	echo "$0: no script $script" >&2
	exit 1
fi
if [ ! -f "$expected" ]; then
	echo "$0: no expected output $expected" >&2
	exit 1
fi

want=0
first=$(head -n 1 "$script")
case $first in
"# exit:"*)
	want=$(printf '%s\n' "$first" | sed 's/^# exit:[[:space:]]*//; s/[[:space:]]*$//')
	;;
esac

out=$(mktemp "${TMPDIR:-/tmp}/replay.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT INT TERM

"$bin" replay --json "$script" >"$out"
got=$?

status=0
if ! diff -u "$expected" "$out"; then
	echo "$0: output of $script differs from $expected (- expected, + actual)"
	status=1
fi
if [ "$got" != "$want" ]; then
	echo "$0: replay exited with status $got, expected $want"
	status=1
fi
exit $status
