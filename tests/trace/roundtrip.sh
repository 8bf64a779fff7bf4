#!/bin/sh
# Close the loop: a simulated run traced with `swiotlb run --trace` (and a
# vhost-user-blk run with `swiotlb blk --trace`), read back by `swiotlb
# trace`, must reconstruct exactly the high-water mark the library itself
# recorded (io_tlb_used_hiwater).
#
# Why the reconstruction must be exact here, not merely close:
#  - order: while a run is traced, every map, unmap and sync is made and
#    written under one lock (platform/sim/dmatrace.h, vhost/frontend.c), so
#    the trace's order is the order in which the library allocated and
#    freed, even with three worker threads;
#  - recognition: the machine is plain x86 (device address = physical
#    address) with swiotlb=force, so every map bounces and its dma_addr
#    differs from its phys_addr; no pool needs to be known;
#  - slots: the library reserves ceil((orig & min_align_mask & 2047 + size)
#    / 2048) slots and returns the slot's address plus that offset (the
#    workload passes no alloc_align_mask), so dma_addr & 2047 gives the
#    offset back and the reconstruction counts the same slots, NVMe's
#    512-byte-aligned buffers included;
#  - nothing else: the hiwater starts at 0 on a new instance, failed maps
#    (the 1024-slot pool runs full, so there are many) allocate nothing and
#    are traced as failed, every unmap follows its map in the trace.
# The peak itself is not hard-coded: it is whatever the run reached.
#
#   sh roundtrip.sh path/to/swiotlb
set -u
tool=$1
fails=0
count=0
tmp=${TMPDIR:-/tmp}/swiotlb-roundtrip.$$
trap 'rm -f "$tmp".*' EXIT

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
check() { # WHAT GOT WANT
	count=$((count + 1))
	if [ -z "$2" ] || [ "$2" != "$3" ]; then
		fail "$1: got '$2', wanted '$3'"
	fi
}
has() { # FILE TEXT
	count=$((count + 1))
	grep -qF -- "$2" "$1" || fail "no '$2' in $1"
}

# ---- swiotlb run --trace
"$tool" run --machine x86 --mem 8G --cpus 4 --cmdline swiotlb=1024,force \
	--device d0,type=scsi --device n0,type=nic --device v0,type=nvme \
	--job j,ios=3000,threads=3,bs=512-65536,align=512 --json --no-progress --trace "$tmp.trace" >"$tmp.run" ||
	fail "swiotlb run --trace exited $?"
"$tool" trace --json "$tmp.trace" >"$tmp.json" 2>"$tmp.err" || fail "swiotlb trace exited $?"
hiwater=$(sed -n 's/.*"stats":{"io_tlb_nslabs":[0-9]*,"io_tlb_used":[0-9]*,"io_tlb_used_hiwater":\([0-9]*\).*/\1/p' "$tmp.run")
peak=$(sed -n 's/.*"load":{[^}]*"peak":{"slots":\([0-9]*\).*/\1/p' "$tmp.json")
check "run: reconstructed peak vs the run's io_tlb_used_hiwater" "$peak" "$hiwater"
echo "run: io_tlb_used_hiwater $hiwater, reconstructed peak $peak"
count=$((count + 1))
[ "${hiwater:-0}" -gt 0 ] || fail "run: no hiwater in the run's JSON"
# every kind of event the run makes, read with no line skipped or malformed
for k in '"skipped":0' '"malformed":0' '"unmatched_unmaps":0' '"remapped_while_live":0' '"swiotlb_bounced":' \
	'"dma_map_phys":' '"dma_unmap_phys":' '"dma_map_sg":' '"dma_unmap_sg":' '"dma_map_sg_err":' \
	'"dma_sync_single_for_cpu":'; do
	has "$tmp.json" "$k"
done
count=$((count + 1))
grep -q '"failed_maps":0,' "$tmp.json" && fail "run: the pool never ran full (no failed map traced)"
# per device: what the run bounced is what the trace shows bounced
for d in d0 n0 v0; do
	got=$(sed -n "s/.*{\"name\":\"$d\",\"dma_mask\":[^}]*\"bounced_maps\":\([0-9]*\).*/\1/p" "$tmp.json")
	want=$(sed -n "s/.*{\"name\":\"$d\",\"type\":[^}]*\"bounced\":\([0-9]*\).*/\1/p" "$tmp.run")
	check "run: bounced maps of $d" "$got" "$want"
done
# the pool given by address: the same peak, in that pool
base=$(sed -n 's/.*"stats":{[^[]*"pools":\[{"name":"default","base":"\(0x[0-9a-f]*\)".*/\1/p' "$tmp.run")
end=$(sed -n 's/.*"stats":{[^[]*"pools":\[{"name":"default","base":"0x[0-9a-f]*","end":"\(0x[0-9a-f]*\)".*/\1/p' "$tmp.run")
"$tool" trace --json --pool "default=$base-$end" "$tmp.trace" >"$tmp.json2" || fail "swiotlb trace --pool exited $?"
has "$tmp.json2" "\"peak\":{\"default\":{\"slots\":$hiwater,"
has "$tmp.json2" "\"name\":\"default\",\"source\":\"--pool\""

# the plot of the run marks every map the full pool refused, below the pool's size
if command -v gnuplot >/dev/null; then
	"$tool" boot --machine x86 --mem 8G --cpus 4 --cmdline swiotlb=1024,force >"$tmp.boot" || fail "swiotlb boot exited $?"
	"$tool" trace --plot "$tmp.svg" "$tmp.boot" "$tmp.trace" >/dev/null || fail "swiotlb trace --plot exited $?"
	nfailed=$(sed -n 's/.*"load":{[^}]*"failed_maps":\([0-9]*\).*/\1/p' "$tmp.json")
	has "$tmp.svg" "failed maps ($nfailed)"
	has "$tmp.svg" "pool default: size 1024 slots"
	has "$tmp.svg" "pool default: slots in use (peak $hiwater)"
fi

# ---- swiotlb blk --trace (when the vhost module is built)
if "$tool" blk --help >/dev/null 2>&1; then
	"$tool" blk --builtin --trace "$tmp.btrace" --number-ios 2000 --queues 2 --rw randrw --bs 16k --pool 1m \
		--json --quiet >"$tmp.blk" 2>"$tmp.blkerr" || { fail "swiotlb blk --trace exited $?"; cat "$tmp.blkerr" >&2; }
	"$tool" trace --json "$tmp.btrace" >"$tmp.bjson" || fail "swiotlb trace (blk) exited $?"
	bhi=$(grep -o '"used_hiwater":[0-9]*' "$tmp.blk" | sed 's/.*://' | sort -n | tail -1)
	bpeak=$(sed -n 's/.*"load":{[^}]*"peak":{"slots":\([0-9]*\).*/\1/p' "$tmp.bjson")
	check "blk: reconstructed peak vs the run's used_hiwater" "$bpeak" "$bhi"
	echo "blk: used_hiwater $bhi, reconstructed peak $bpeak"
	has "$tmp.bjson" '"unmatched_unmaps":0'
	has "$tmp.bjson" '"name":"vhost-blk","dma_mask":"0xffffffffffffffff"'
	count=$((count + 1))
	"$tool" blk --builtin --trace "$tmp.x" --compare >/dev/null 2>"$tmp.err" && fail "blk --trace --compare accepted"
	has "$tmp.err" "--trace: traces one run, not --compare"
else
	echo "note: swiotlb blk is not built: its trace is not checked" >&2
fi

# ---- options
count=$((count + 1))
"$tool" run --trace >/dev/null 2>"$tmp.err" && fail "run --trace with no value accepted"
has "$tmp.err" "--trace needs a value"
count=$((count + 1))
"$tool" run --machine x86 --mem 1G --trace=/nonexistent/dir/t --no-progress >/dev/null 2>"$tmp.err" && fail "run --trace into a missing directory accepted"
has "$tmp.err" "--trace: /nonexistent/dir/t: No such file or directory"

echo "trace round trip: $count checks, $fails failed"
[ "$fails" -eq 0 ]
