#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a synthetic DMA trace in the kernel's current text format (v6.18+:
swiotlb_bounced, dma_map_phys, dma_unmap_phys) for `swiotlb trace`'s
throughput benchmark (docs/performance.md).  A boot log line declares the
pool; mappings take slots next-fit from it and live for a few operations.

    bench/trace-gen.py LINES [SEED] > big.trace
"""
import random
import sys

lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
BASE, NSLOTS = 0xB8000000, 32768
devs = [("0000:00:04.0", "ffffffff"), ("0000:00:05.0", "ffffffffffffffff"), ("0000:00:06.0", "ffffffff")]
used = bytearray(NSLOTS)
cursor = 0
live = []
out = sys.stdout
w = out.write
w("[    0.100000] software IO TLB: mapped [mem 0x%016x-0x%016x] (64MB)\n" % (BASE, BASE + NSLOTS * 2048))
n = 1
t = 100.0
while n < lines:
    t += 0.000003
    cpu = rng.randrange(8)
    if live and (len(live) > 64 or rng.random() < 0.45):
        i = rng.randrange(len(live))
        dev, dma, size, s, k = live.pop(i)
        for j in range(s, s + k):
            used[j] = 0
        w("fio-2214 [%03d] ..... %.6f: dma_unmap_phys: %s dir=TO_DEVICE dma_addr=%x size=%d attrs=\n"
          % (cpu, t, dev[0], dma, size))
        n += 1
        continue
    dev = devs[rng.randrange(len(devs))]
    size = rng.choice((512, 1500, 4096, 4096, 8192, 65536))
    k = (size + 2047) // 2048
    s = cursor
    while any(used[s:s + k]) or s + k > NSLOTS or (s // 128) != ((s + k - 1) // 128):
        s = (s + 1) % NSLOTS
    for j in range(s, s + k):
        used[j] = 1
    cursor = (s + k) % NSLOTS
    phys = 0x100000000 + rng.randrange(1 << 30) & ~0xFFF
    dma = BASE + s * 2048
    w("fio-2214 [%03d] ..... %.6f: swiotlb_bounced: dev_name: %s dma_mask=%s dev_addr=%x size=%d NORMAL\n"
      % (cpu, t, dev[0], dev[1], phys, size))
    w("fio-2214 [%03d] ..... %.6f: dma_map_phys: %s dir=TO_DEVICE dma_addr=%x size=%d phys_addr=%x attrs=\n"
      % (cpu, t, dev[0], dma, size, phys))
    live.append((dev, dma, size, s, k))
    n += 2
