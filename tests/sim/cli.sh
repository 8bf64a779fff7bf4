#!/bin/sh
# swiotlb boot / run on bad machine files and bad options: each must exit 2
# with a message naming the place (file:line or --option) and the field, and
# never crash.  Also a few runs that must work or fail cleanly (exit 0 / 1).
#
#   sh cli.sh path/to/swiotlb path/to/tests/sim
set -u
tool=$1
dir=$2
top=$(cd "$dir/../.." && pwd)
. "$(dirname "$0")/../expect.sh"


cd "$dir" || exit 1
for f in bad-*.sim; do
	text=$(sed -n '1s/^# expect: //p' "$f")
	expect 2 "$text" -- boot --machine-file "$f"
	expect 2 "$text" -- run --no-progress "$f"
done

expect 2 "--mem: mem: '20Q' is not a size" -- boot --mem 20Q
expect 2 "--machine: kind: 'foo' is not a guest kind" -- boot --machine foo --mem 4G
expect 2 "--cpus: cpus: '0' is not a CPU count" -- boot --mem 4G --cpus 0
expect 2 "--cmdline: cmdline: swiotlb=abc:" -- boot --mem 4G --cmdline swiotlb=abc
expect 2 "--dialect: dialect: 'klingon' is not mainline, rfc2021 or named" -- boot --mem 4G --dialect klingon
expect 2 "command line: low-mem: 4096 MiB must be" -- boot --mem 8G --low-mem 4G
expect 2 "unknown option '--frobnicate'" -- boot --frobnicate
expect 2 "--mem needs a value" -- boot --mem
expect 2 "--mem SIZE is required" -- boot
expect 2 "unexpected argument 'extra'" -- boot --mem 4G extra
expect 2 "/nonexistent.sim: No such file or directory" -- boot --machine-file /nonexistent.sim
expect 2 "has 4 sections (tdx, tdx-any, sev-snp, sev-snp-any): choose one with --section" -- \
	boot --machine-file "$top/scenarios/swiotlb-any.sim"
expect 2 "has no section [nope]" -- boot --machine-file "$top/scenarios/swiotlb-any.sim" --section nope
expect 2 "--device: device x: mask: '0x123' is not a DMA mask" -- run --mem 4G --device x,mask=0x123
expect 2 "--device: device x: depth: '0' is not a queue depth" -- run --mem 4G --device x,depth=0
expect 2 "--job: job j: bs: '0' must be from 1 byte to 1 GiB" -- run --mem 4G --job j,bs=0
expect 2 "--job: job j: devices: no device named 'zz'" -- run --mem 4G --device a --job j,devices=zz
expect 2 "--job: job j: runtime: '5y' is not a run time" -- run --mem 4G --job j,runtime=5y
expect 2 "one scenario at a time" -- run a.sim b.sim
expect 2 "unknown option '--device'" -- boot --mem 4G --device x
expect 2 "--cmdline: longer than" -- boot --mem 4G --cmdline "$(printf '%01100d' 0)"

# what must work, or fail as an I/O failure rather than a crash
expect 0 "" -- boot --mem 4G --cmdline swiotlb=12abc --lenient
expect 0 "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP" -- boot --machine-file good-dmesg.sim
expect 0 '"pools":[{"name":"default"' -- boot --machine-file good-dmesg.sim --json
expect 0 "software IO TLB: mapped [mem" -- boot --machine x86 --mem 20G --cmdline "swiotlb=65536"
expect 0 "all RAM below 4 GiB: no pool needed" -- boot --machine x86 --mem 2G
expect 0 "iommu=off" -- boot --machine x86 --mem 8G --cmdline iommu=off
expect 0 "result: PASS" -- run --machine sev --mem 4G --device n0,type=nvme --job j,bs=4k,ios=50
expect 1 "request can never fit" -- run --machine sev --mem 4G --device n0,type=nvme --job j,bs=512k,ios=10
expect 1 "result: FAIL (2 of 3 expectations failed)" -- run --no-progress expect-fail.sim
expect 1 "no result named pool.nope.slots (there are: pool.default.slots" -- run --no-progress expect-fail.sim
expect 0 '"ok":true' -- run --json --machine tdx --mem 4G --device nic0,type=nic --job j,bs=1514,ios=100
expect 2 "--device: device e: hostile: 'steal' is not a behaviour" -- run --mem 4G --device e,hostile=steal
expect 0 "verdict        kept: no byte reached another device's original" -- run --machine sev --mem 4G \
	--cmdline swiotlb=1024 --device n0,type=nvme --device e,hostile=all --job j,bs=4k,ios=200
expect 0 '"verify":{"ok":true,' -- run --json --machine sev --mem 4G --cmdline swiotlb=1024 \
	--device n0,type=nvme --device e,hostile=peek+lie --job j,bs=4k,ios=200

expect_done "cli.sh"
