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
# The raw JSON of every run is kept next to it (DATAFILE.jsonl).  The JSON is
# read by median5.py (python3), never as text.
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
here=$(dirname "$0")
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
	"$bin" bench --json "$@" | python3 "$here/median5.py" tag "$i" "$(load)" >>"$raw"
	i=$((i + 1))
done

# everything that reads the JSON is in median5.py
python3 "$here/median5.py" summary "$raw" "$data"
