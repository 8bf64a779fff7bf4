#!/bin/sh
# swiotlb trace end to end: the report, the JSON document's keys, replay and
# advise on the inputs of this directory, and bad options (each exits 2
# naming its option).
#
#   sh cli.sh path/to/swiotlb path/to/tests/trace
set -u
tool=$1
dir=$2
. "$(dirname "$0")/../expect.sh"


# also: the last output holds TEXT
has() {
	count=$((count + 1))
	if ! grep -qF -- "$1" "$out"; then
		echo "FAIL: no '$1' in the output of the previous command" >&2
		fails=$((fails + 1))
	fi
}

cd "$dir" || exit 1

# explain: a confidential guest's log, every cause, grouped by device
expect 0 "Failures: 4 (too_large 1, exhausted 1, fragmented 1, unknown 1)" -- trace guest.log
has "0000:01:00.0: too_large x1, 368640 bytes = 180 slots needed; pool 524288 slots, 364 used"
has "guest.log:17"
has "17 more messages were dropped"
has "memory encryption  AMD SEV SEV-ES SEV-SNP"
expect 0 "guest.log:22: malformed buffer_is_full line: unreadable (sz: N bytes)" -- trace guest.log
expect 0 '"format":"swiotlb-trace","version":1' -- trace --json guest.log
for k in '"lines":23' '"skipped":3' '"malformed":1' '"events":{' '"devices":[' '"failures":[' '"pools":[' '"peak":{' \
	'"cause":"too_large","slots_needed":180' '"used":null' '"file":"guest.log","line":17,"device":"0000:01:00.0"'; do
	has "$k"
done
# the same log from stdin, and with --opt=value
stdin=guest.log
expect 0 '"lines":23' -- trace --json -
stdin=

# the load: swiotlb_bounced + dma_map_phys/dma_unmap_phys pairs against the logged pool
expect 0 "Load reconstructed from the dma: events" -- trace load.trace
has "pool default      peak"
expect 0 '"dma_events":true' -- trace --json load.trace
has '"name":"0000:00:04.0","dma_mask":"0xffffffff"'
# replay: 128 slots cannot hold the peak (exit 1), the logged 64 MiB can; with
# the trace's 8 CPUs the kernel makes swiotlb=128 one segment per area
expect 1 "failures" -- trace replay --cmdline swiotlb=128 --cpus 1 load.trace
has "exhausted"
expect 0 "pool default    1024 slots" -- trace replay --cmdline swiotlb=128 load.trace
expect 0 "maps" -- trace replay --cmdline=swiotlb=32768 --cpus=4 load.trace
has "failures 0"
expect 0 '"replay":{"cmdline":"swiotlb=32768","ok":true' -- trace replay --json --cmdline swiotlb=32768 load.trace
expect 0 "maps" -- trace replay --policy linux --cmdline swiotlb=32768 load.trace
has "failures 0"
# advise: the paste-able line, in slots and in bytes
expect 0 "Put on the kernel command line:" -- trace advise load.trace
has "slots of 2 KiB ="
has "kernel default (64 MiB)"
expect 0 '"advise":{"recommended":{"cmdline":"swiotlb=' -- trace advise --json --headroom 50 load.trace
stdin=load.trace
expect 0 "Put on the kernel command line:" -- trace advise -
stdin=
# several files merged; debugfs snapshots
expect 0 "2 files" -- trace guest.log load.trace
expect 0 "io_tlb_used up to 900, io_tlb_used_hiwater 1500" -- trace debugfs.txt
has "restricted@50000000"
expect 0 "swiotlb=2048" -- trace advise debugfs.txt

# options
expect 2 "--frobnicate: unknown option" -- trace --frobnicate guest.log
expect 2 "-x: unknown option" -- trace -x guest.log
expect 2 "--cpus: needs a value" -- trace guest.log --cpus
expect 2 "--cpus: '0' is not a CPU count" -- trace --cpus=0 guest.log
expect 2 "--headroom: 'lots' is not a percentage" -- trace advise --headroom lots guest.log
expect 2 "--pool: 'p' is not NAME=START-END" -- trace --pool p guest.log
expect 2 "--pool: 'p=0x2000-0x1000' is empty" -- trace --pool p=0x2000-0x1000 guest.log
expect 2 "--dynamic: 'on': libswiotlb has no dynamic" -- trace replay --dynamic=on guest.log
expect 2 "--dialect: 'rfc2021' needs --cmdline" -- trace replay --dialect rfc2021 guest.log
expect 2 "--cmdline: " -- trace replay --cmdline swiotlb=abc load.trace
expect 2 "--dialect: 'klingon' is not a dialect" -- trace replay --cmdline swiotlb=1 --dialect klingon load.trace
expect 2 "no input file" -- trace
expect 2 "/nonexistent.log: No such file or directory" -- trace /nonexistent.log
expect 0 "usage: swiotlb trace" -- trace --help
expect 0 "usage: swiotlb trace" -- help trace
# --pool tells the reconstruction where a pool is when the log does not
expect 0 '"name":"mine","source":"--pool","start":"0xb8000000"' -- trace --json --pool mine=0xb8000000+64M load.trace

# --plot: slots in use over time per pool, drawn by gnuplot
plot=${TMPDIR:-/tmp}/swiotlb-trace-plot.$$
trap 'rm -f "$out" "$out.err" "$plot".*' EXIT
# valid XML that holds the series, the pool sizes and the failures
xml_ok() {
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1"
	elif command -v python3 >/dev/null; then
		python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"
	else
		echo "note: neither xmllint nor python3: the SVG is not parsed" >&2
	fi
}
svg_has() {
	count=$((count + 1))
	if ! grep -qF -- "$2" "$1"; then
		echo "FAIL: no '$2' in $1" >&2
		fails=$((fails + 1))
	fi
}
if command -v gnuplot >/dev/null; then
	expect 0 "" -- trace --plot "$plot.svg" load.trace
	count=$((count + 1))
	if ! xml_ok "$plot.svg" || ! head -c 400 "$plot.svg" | grep -q '<svg'; then
		echo "FAIL: --plot $plot.svg is not an SVG document" >&2
		fails=$((fails + 1))
	fi
	svg_has "$plot.svg" "pool default: slots in use (peak 459 of 32768 slots, 1.4 %)"
	svg_has "$plot.svg" "<path"
	# the log's failures marked, with the size of the pool they were in
	expect 0 "" -- trace --plot "$plot.2.svg" guest.log
	svg_has "$plot.2.svg" "failures (4)"
	# debugfs readings per pool, a restricted pool's size drawn
	expect 0 "" -- trace --plot "$plot.3.svg" debugfs.txt
	xml_ok "$plot.3.svg" || { echo "FAIL: $plot.3.svg is not XML" >&2; fails=$((fails + 1)); }
	svg_has "$plot.3.svg" "pool restricted@50000000: size 1024 slots"
	svg_has "$plot.3.svg" "pool default: slots in use (peak 900 of 32768 slots, 2.7 %)"
	# PNG on request: by the name, or by --plot-format whatever the name
	expect 0 "" -- trace --plot "$plot.png" load.trace
	expect 0 "" -- trace --plot "$plot.img" --plot-format png load.trace
	for f in "$plot.png" "$plot.img"; do
		count=$((count + 1))
		if [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
			echo "FAIL: $f is not a PNG" >&2
			fails=$((fails + 1))
		fi
	done
else
	echo "note: gnuplot is not installed: the drawn plots are not checked (apt-get install gnuplot-nox)" >&2
fi
# no gnuplot on PATH: a clear message, exit 2, the script left to draw elsewhere
count=$((count + 1))
PATH=/nonexistent "$tool" trace --plot "$plot.none.svg" load.trace >"$out" 2>"$out.err"
status=$?
if [ "$status" -ne 2 ] || ! grep -qF "gnuplot is not installed, so $plot.none.svg was not drawn" "$out.err" ||
	! grep -qF "apt-get install gnuplot-nox" "$out.err" || [ -e "$plot.none.svg" ] ||
	! grep -qF "plot \$pool0 using 1:2 with steps" "$plot.none.svg.gp"; then
	echo "FAIL: --plot without gnuplot: exit $status" >&2
	sed 's/^/  | /' "$out.err" >&2
	fails=$((fails + 1))
fi
has "Load reconstructed from the dma: events"
expect 2 "--plot: nothing to plot" -- trace --plot "$plot.x.svg" --cmdline swiotlb=1 /dev/null
expect 2 "--plot-format: 'gif' is not svg or png" -- trace --plot "$plot.svg" --plot-format gif load.trace
expect 2 "--plot-format: 'png' needs --plot FILE" -- trace --plot-format png load.trace

expect_done "trace cli"
