#!/bin/sh
# SPDX-License-Identifier: MIT
# smoke.sh SWIOTLB: every bench profile and the dma-map mode run to the end
# with tiny iteration counts and print well-formed results.  Nothing is timed.
set -eu
bin=$1
out=$(mktemp "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")
trap 'rm -f "$out" "$out.dat" "$out.dat.jsonl"' EXIT INT TERM

"$bin" bench --scale 0.0005 --json >"$out"
n=$(grep -c '"profile"' "$out")
if [ "$n" -ne 12 ]; then
	echo "bench: expected 12 result objects (6 profiles x 2 policies), got $n" >&2
	cat "$out" >&2
	exit 1
fi
for key in profile policy ns_per_op failures attempts floor_ns meta_bytes_per_slot; do
	if [ "$(grep -c "\"$key\":" "$out")" -ne 12 ]; then
		echo "bench: some result lacks \"$key\"" >&2
		exit 1
	fi
done
"$bin" bench --profile alloc4k --scale 0.0005 | grep -q '^alloc4k '
"$bin" bench dma-map -t 2 -g 1 -d 1 --loops 200 | grep -q '^average map latency(us):'
"$bin" bench dma-map -g 4 -d 2 -b 64 --loops 200 --json | grep -q '"map_p99_ns"'
if "$bin" bench dma-map -t 0 >/dev/null 2>&1; then
	echo "bench dma-map: -t 0 was accepted" >&2
	exit 1
fi
# median5.sh end to end on two tiny runs: its JSON reader (median5.py) finds
# every profile and policy, and the data file has plot.gp's seven columns
here=$(dirname "$0")
sh "$here/median5.sh" -n 2 -l 0 -o "$out.dat" "$bin" --scale 0.0002 --profile alloc4k --profile threads2 \
	>"$out" 2>/dev/null
for want in '^alloc4k +linux ' '^alloc4k +fast ' '^threads2 +fast .*2 threads / 1: ' \
	'^alloc4k +fast/linux per run: median ' '^floors \(median\): memcpy 4 KiB hot [0-9.]+ ns'; do
	if ! grep -Eq "$want" "$out"; then
		echo "median5.sh: no line matching '$want' in:" >&2
		cat "$out" >&2
		exit 1
	fi
done
if [ "$(awk 'NF == 7' "$out.dat" | wc -l)" -ne 2 ]; then
	echo "median5.sh: the data file is not two rows of seven columns:" >&2
	cat "$out.dat" >&2
	exit 1
fi
rm -f "$out.dat" "$out.dat.jsonl"
echo "bench smoke: ok"
