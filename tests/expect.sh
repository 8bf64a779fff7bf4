# SPDX-License-Identifier: MIT
# Sourced by the command-line tests (sim/cli.sh, trace/cli.sh, tools/messages.sh):
#
#   expect STATUS SUBSTRING -- ARGS...   run "$tool" ARGS: its exit status must be
#                                        STATUS and SUBSTRING (if not empty) must
#                                        appear in its standard output or error;
#                                        standard input is $stdin (default
#                                        /dev/null, so nothing waits on a terminal)
#   fail MESSAGE                         count a failure, show the last output
#   expect_done NAME                     print the tally; false if anything failed
#
# The last command's output stays in "$out" and "$out.err" for further checks.
fails=0
count=0
out=$(mktemp "${TMPDIR:-/tmp}/swiotlb-cli.XXXXXX")
trap 'rm -f "$out" "$out.err"' EXIT
limit=
command -v timeout >/dev/null && limit="timeout 60"

fail() {
	echo "FAIL: swiotlb $*" >&2
	sed 's/^/  | /' "$out.err" "$out" | head -30 | cat -v >&2
	fails=$((fails + 1))
}

expect() {
	want_status=$1
	want_text=$2
	shift 3
	count=$((count + 1))
	$limit "$tool" "$@" >"$out" 2>"$out.err" <"${stdin:-/dev/null}"
	status=$?
	if [ "$status" -ne "$want_status" ]; then
		fail "$*: exit $status, wanted $want_status"
	elif [ -n "$want_text" ] && ! grep -qF -- "$want_text" "$out.err" "$out"; then
		fail "$*: no '$want_text' in the output"
	fi
}

expect_done() {
	echo "$1: $count checks, $fails failed"
	[ "$fails" -eq 0 ]
}
