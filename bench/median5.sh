#!/bin/sh
# SPDX-License-Identifier: MIT
#
# median5.sh [-n RUNS] [-l MAXLOAD] [-o DATAFILE] SWIOTLB [bench args...]
#
# Runs `SWIOTLB bench --json [bench args]` RUNS times (default 5).  Before
# each run it waits until the 1-minute load average is below MAXLOAD
# (default 0.7; 0 disables the wait) and records the load it started at.
# Prints, per profile and policy, the median ns per op with the min-max of
# the runs (and for frag90 the mean used fraction and failure rate, for
# threads2 the two-thread / one-thread ratio), then per profile the median
# and min-max of each run's own fast/linux ratio (both policies of a run
# share its conditions, so this is the robust figure on a shared machine).
# Writes DATAFILE (default bench/results.dat) for plot.gp:
#   profile  linux_median linux_min linux_max  fast_median fast_min fast_max
# The raw JSON of every run is kept next to it (DATAFILE.jsonl).
set -eu
runs=5
maxload=0.7
data=bench/results.dat
while getopts n:l:o: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	l) maxload=$OPTARG ;;
	o) data=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-l MAXLOAD] [-o DATAFILE] SWIOTLB [bench args]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-n RUNS] [-l MAXLOAD] [-o DATAFILE] SWIOTLB [bench args]" >&2; exit 2; }
bin=$1
shift
raw=$data.jsonl
: >"$raw"

load() { cut -d' ' -f1 /proc/loadavg; }
i=1
while [ "$i" -le "$runs" ]; do
	if [ "$maxload" != 0 ]; then
		while awk -v l="$(load)" -v m="$maxload" 'BEGIN { exit !(l >= m) }'; do
			echo "run $i: load $(load) >= $maxload, waiting" >&2
			sleep 20
		done
	fi
	echo "run $i of $runs (load average $(load))" >&2
	"$bin" bench --json "$@" | sed "s/^{/{\"run\":$i,\"load\":$(load),/" >>"$raw"
	i=$((i + 1))
done

# one line per result: run profile policy ns extra
awk '
function field(k,   r) {
	if (match($0, "\"" k "\":\"[^\"]*\"")) { r = substr($0, RSTART, RLENGTH); sub(/^[^:]*:"/, "", r); sub(/"$/, "", r); return r }
	if (match($0, "\"" k "\":[-0-9.eE]+")) { r = substr($0, RSTART, RLENGTH); sub(/^[^:]*:/, "", r); return r }
	return ""
}
{
	extra = ""
	if (field("profile") == "frag90") extra = field("mean_used") " " field("failure_rate")
	if (field("profile") == "threads2") extra = field("ratio_to_one_thread")
	print field("profile"), field("policy"), field("ns_per_op"), extra, "run=" field("run")
}' "$raw" >"$raw.flat"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

: >"$data"
printf '%-9s %-6s %12s %21s  %s\n' profile policy "median ns" "min-max" "other (median)"
for prof in $(awk '{ print $1 }' "$raw.flat" | awk '!seen[$0]++'); do
	line="$prof"
	for pol in linux fast; do
		vals=$(awk -v p="$prof" -v q="$pol" '$1 == p && $2 == q { print $3 }' "$raw.flat")
		[ -n "$vals" ] || continue
		med=$(echo "$vals" | median)
		lo=$(echo "$vals" | sort -g | head -n 1)
		hi=$(echo "$vals" | sort -g | tail -n 1)
		other=""
		if [ "$prof" = frag90 ]; then
			u=$(awk -v p="$prof" -v q="$pol" '$1 == p && $2 == q { print $4 }' "$raw.flat" | median)
			f=$(awk -v p="$prof" -v q="$pol" '$1 == p && $2 == q { print $5 }' "$raw.flat" | median)
			other="used $u, failure rate $f"
		elif [ "$prof" = threads2 ]; then
			r=$(awk -v p="$prof" -v q="$pol" '$1 == p && $2 == q { print $4 }' "$raw.flat")
			other="2 threads / 1: $(echo "$r" | median) ($(echo "$r" | minmax))"
		fi
		printf '%-9s %-6s %12s %21s  %s\n' "$prof" "$pol" "$med" "$lo-$hi" "$other"
		line="$line $med $lo $hi"
	done
	echo "$line" >>"$data"
done
for prof in $(awk '{ print $1 }' "$raw.flat" | awk '!seen[$0]++'); do
	r=$(awk -v p="$prof" '$1 == p { run = $NF; if ($2 == "linux") l[run] = $3; else f[run] = $3 }
		END { for (k in l) if (k in f && l[k] > 0) printf "%.4f\n", f[k] / l[k] }' "$raw.flat")
	[ -n "$r" ] || continue
	printf '%-9s fast/linux per run: median %s (%s)\n' "$prof" "$(echo "$r" | median)" "$(echo "$r" | minmax)"
done
r=$(awk '/"profile":"steady4k"/ && /"policy":"fast"/ && match($0, /"ns_per_op":[0-9.]+/) {
	ns = substr($0, RSTART + 12, RLENGTH - 12); match($0, /"floor_ns":[0-9.]+/); fl = substr($0, RSTART + 11, RLENGTH - 11)
	if (fl > 0) printf "%.3f\n", ns / fl }' "$raw")
[ -z "$r" ] || printf 'steady4k  fast / memcpy floor per run: median %s (%s)\n' "$(echo "$r" | median)" "$(echo "$r" | minmax)"
floor=$(awk 'match($0, /"floor_ns":[0-9.]+/) { v = substr($0, RSTART + 11, RLENGTH - 11); print v }' "$raw" | median)
mall=$(awk 'match($0, /"malloc_floor_ns":[0-9.]+/) { v = substr($0, RSTART + 18, RLENGTH - 18); print v }' "$raw" | median)
lockf=$(awk 'match($0, /"lock_floor_ns":[0-9.]+/) { v = substr($0, RSTART + 16, RLENGTH - 16); print v }' "$raw" | median)
echo "floors (median): memcpy 4 KiB hot $floor ns, malloc+free 4 KiB $mall ns, lock round trip ${lockf:-?} ns"
echo "load average at the start of each run: $(awk 'match($0, /"run":[0-9]+,"load":[0-9.]+/) { s = substr($0, RSTART, RLENGTH); if (!seen[s]++) { sub(/.*"load":/, "", s); printf "%s ", s } }' "$raw")"
rm -f "$raw.flat"
