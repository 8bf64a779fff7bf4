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

expect_done "trace cli"
