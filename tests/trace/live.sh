#!/bin/sh
# swiotlb trace --live on a directory of files made for the purpose, shaped
# like /sys/kernel/debug/swiotlb (a restricted pool's subdirectory
# included): samples while a script changes the files, stops after
# --count, --duration or SIGINT with every sample whole, reads back as
# input, plots; a missing or wrong directory says how to mount debugfs.
# Every wait is bounded (polls of 0.05 s, at most 20 s).
#
#   sh live.sh path/to/swiotlb
set -u
tool=$1
fails=0
count=0
tmp=${TMPDIR:-/tmp}/swiotlb-live.$$
dir=$tmp/swiotlb
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$dir/restricted@50000000" || exit 1

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
has() { # FILE TEXT
	count=$((count + 1))
	grep -qF -- "$2" "$1" || { fail "no '$2' in $1"; sed 's/^/  | /' "$1" | head -20 >&2; }
}
# a counter changes as debugfs files do: whole values, never half written
put() { # FILE VALUE
	echo "$2" >"$(dirname "$1")/.new" && mv "$(dirname "$1")/.new" "$1"
}
samples() { # FILE: time stamps written so far
	grep -c '^[0-9]*\.[0-9]*$' "$1" 2>/dev/null || echo 0
}
wait_samples() { # FILE N: bounded wait for N samples
	n=0
	while [ "$(samples "$1")" -lt "$2" ] && [ $n -lt 400 ]; do
		sleep 0.05
		n=$((n + 1))
	done
}

put "$dir/io_tlb_nslabs" 32768
put "$dir/io_tlb_used" 10
put "$dir/io_tlb_used_hiwater" 10
put "$dir/io_tlb_transient_nslabs" 0
put "$dir/restricted@50000000/io_tlb_nslabs" 1024
put "$dir/restricted@50000000/io_tlb_used" 3
echo "not a counter" >"$dir/README"

# 1. --count: the files change after the first sample; the samples show it
"$tool" trace --live "$dir" --interval 0.5 --count 4 --output "$tmp/s1" >"$tmp/r1" 2>"$tmp/e1" &
pid=$!
wait_samples "$tmp/s1" 1
put "$dir/io_tlb_used" 200
put "$dir/io_tlb_used_hiwater" 200
put "$dir/restricted@50000000/io_tlb_used" 7
wait "$pid"
status=$?
pid=
count=$((count + 1))
[ "$status" -eq 0 ] || fail "--live --count exited $status"
count=$((count + 1))
[ "$(samples "$tmp/s1")" -eq 4 ] || fail "--count 4 wrote $(samples "$tmp/s1") samples"
count=$((count + 1))
[ "$(grep -c '^swiotlb/io_tlb_used:' "$tmp/s1")" -eq 4 ] || fail "not every sample has io_tlb_used"
count=$((count + 1))
[ "$(grep '^swiotlb/io_tlb_used:' "$tmp/s1" | head -1)" = "swiotlb/io_tlb_used:10" ] || fail "first sample is not 10"
count=$((count + 1))
[ "$(grep '^swiotlb/io_tlb_used:' "$tmp/s1" | tail -1)" = "swiotlb/io_tlb_used:200" ] || fail "last sample is not 200"
has "$tmp/s1" "swiotlb/restricted@50000000/io_tlb_nslabs:1024"
count=$((count + 1))
grep -q README "$tmp/s1" && fail "a file that is not a counter was sampled"
# the report follows, and the progress line is for terminals only
has "$tmp/r1" "io_tlb_nslabs 32768, io_tlb_used up to 200, io_tlb_used_hiwater 200"
has "$tmp/r1" "restricted@50000000 io_tlb_nslabs 1024, io_tlb_used up to 7"
has "$tmp/e1" "4 samples of $dir in"
count=$((count + 1))
grep -q 'sample 1/4' "$tmp/e1" && fail "a progress line went to a file"
# the samples are input like any debugfs paste, with no line unread
"$tool" trace --json "$tmp/s1" >"$tmp/j1" || fail "reading the samples back exited $?"
has "$tmp/j1" '"skipped":0,"malformed":0'
has "$tmp/j1" '"io_tlb_used_max":200'

# 2. SIGINT stops it cleanly: exit 0, every sample whole
"$tool" trace --live "$dir" --interval 0.05 --output "$tmp/s2" >"$tmp/r2" 2>"$tmp/e2" &
pid=$!
wait_samples "$tmp/s2" 3
kill -INT "$pid"
wait "$pid"
status=$?
pid=
count=$((count + 1))
[ "$status" -eq 0 ] || fail "--live stopped by SIGINT exited $status"
has "$tmp/e2" "(stopped by SIGINT)"
n=$(samples "$tmp/s2")
count=$((count + 1))
[ "$n" -ge 3 ] && [ "$(grep -c '^swiotlb/' "$tmp/s2")" -eq $((6 * n)) ] ||
	fail "after SIGINT: $n samples, $(grep -c '^swiotlb/' "$tmp/s2") counter lines (6 per sample wanted)"
count=$((count + 1))
[ "$(tail -1 "$tmp/s2")" = "swiotlb/restricted@50000000/io_tlb_used:7" ] || fail "the last sample is cut: $(tail -1 "$tmp/s2")"
has "$tmp/r2" "io_tlb_used up to 200"

# 3. --duration ends by itself; samples to stdout; a plot of the readings
"$tool" trace --live "$dir" --interval 0.1 --duration 0.3 --plot "$tmp/p.svg" >"$tmp/s3" 2>"$tmp/e3"
status=$?
count=$((count + 1))
[ "$status" -eq 0 ] || fail "--live --duration exited $status"
count=$((count + 1))
[ "$(samples "$tmp/s3")" -ge 1 ] || fail "--duration wrote no sample"
if command -v gnuplot >/dev/null; then
	has "$tmp/p.svg" "pool default: slots in use (peak 200 of 32768 slots, 0.6 %)"
fi

# 4. no directory, not a directory, no counters: said, with how to mount debugfs
expect2() { # TEXT ARGS...
	want=$1
	shift
	count=$((count + 1))
	"$tool" "$@" >"$tmp/o" 2>"$tmp/e"
	status=$?
	[ "$status" -eq 2 ] || fail "swiotlb $*: exit $status, wanted 2"
	grep -qF -- "$want" "$tmp/e" || { fail "swiotlb $*: no '$want' in"; sed 's/^/  | /' "$tmp/e" >&2; }
}
expect2 "$tmp/none does not exist" trace --live "$tmp/none"
has "$tmp/e" "mount -t debugfs none /sys/kernel/debug"
expect2 "is not a directory" trace --live "$dir/io_tlb_used"
mkdir "$tmp/empty"
expect2 "no io_tlb_* files in $tmp/empty" trace --live="$tmp/empty"
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$tmp/empty"
	expect2 "Permission denied" trace --live "$tmp/empty"
	has "$tmp/e" "mount -t debugfs none /sys/kernel/debug"
	chmod 755 "$tmp/empty"
fi

# 5. options name themselves
expect2 "--interval: '0' is not a number of seconds" trace --live "$dir" --interval 0
expect2 "--count: 'x' is not a number of samples" trace --live "$dir" --count x
expect2 "--count: goes with --live" trace --count 3 "$tmp/s1"
expect2 "--live: samples a running kernel: it goes with no replay" trace replay --live "$dir"
expect2 "--live: takes one directory" trace --live "$dir" "$dir"
expect2 "--output: " trace --live "$dir" --count 1 --output "$tmp/none/x"

echo "trace live: $count checks, $fails failed"
[ "$fails" -eq 0 ]
