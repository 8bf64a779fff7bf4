/* SPDX-License-Identifier: MIT */
/*
 * `swiotlb trace`'s reader: parser vectors for every generation of every
 * format it accepts (built from the kernel's format strings as
 * docs/trace.md lists them, plus public kernel lines quoted there), the
 * prefixes around log lines, debugfs snapshots, the failure
 * classification, the reconstruction of map/unmap pairs, and bad input:
 * binary garbage, every truncation of every vector, a 100 000-character
 * line, inconsistent pairs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "trace.h"

static struct tev_parser ps;

static struct tev parse(const char *line)
{
	struct tev ev;
	tev_parse(&ps, line, strlen(line), &ev);
	return ev;
}

static bool dev_is(const struct tev *ev, const char *name)
{
	return ev->dev && ev->dev_len == strlen(name) && !memcmp(ev->dev, name, ev->dev_len);
}

static bool str_is(const char *p, size_t n, const char *s)
{
	return p && n == strlen(s) && !memcmp(p, s, n);
}

/* ------------------------------------------------------------ trace */

static void test_bounced(void)
{
	/* current kernels: bool force, FORCE or NORMAL (real lines from public docs) */
	struct tev ev = parse("keybroker-app-143     [000] b..2.  1772.607321: swiotlb_bounced: dev_name: 0000:00:00.0 "
			      "dma_mask=ffffffffffffffff dev_addr=80b6717e size=66 FORCE");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK(!ev.malformed);
	CHECK(dev_is(&ev, "0000:00:00.0"));
	CHECK_EQ_U64(ev.mask, UINT64_MAX);
	CHECK_EQ_U64(ev.dma, 0x80b6717e);
	CHECK_EQ_U64(ev.size, 66);
	CHECK_EQ_U64(ev.force, TF_FORCE);
	CHECK_EQ_U64(ev.cpu, 0);
	CHECK(ev.has_ts && ev.ts > 1772.6073 && ev.ts < 1772.6074);

	ev = parse("jbd2/mmcblk2p6--289     [006] .....   197.926040: swiotlb_bounced: dev_name: d4281000.sdh "
		   "dma_mask=ffffffff dev_addr=ffffffffffffffff size=4096 NORMAL");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK(dev_is(&ev, "d4281000.sdh"));
	CHECK_EQ_U64(ev.mask, 0xffffffff);
	CHECK_EQ_U64(ev.dma, UINT64_MAX); /* all ones on that vendor kernel: still parsed */
	CHECK_EQ_U64(ev.force, TF_NORMAL);
	CHECK_EQ_U64(ev.cpu, 6);

	/* v4.10 - 5.16: enum swiotlb_force, NO_FORCE possible */
	ev = parse("kworker/0:1-12 [000] .... 10.5: swiotlb_bounced: dev_name: 0000:03:00.0 dma_mask=ffffffff "
		   "dev_addr=123456000 size=1500 NO_FORCE");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK_EQ_U64(ev.force, TF_NO_FORCE);
	CHECK_EQ_U64(ev.size, 1500);
	/* v3.13 - 4.9: an int argument whose rendering was not recovered: any token */
	ev = parse("ksoftirqd/1-16 [001] ..s1 33.000001: swiotlb_bounced: dev_name: 0000:03:00.0 dma_mask=ffffffff "
		   "dev_addr=123456000 size=1500 0");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK(!ev.malformed);
	CHECK_EQ_U64(ev.force, TF_OTHER);
	/* dma_mask=0: a device without a mask */
	ev = parse("a-1 [000] .... 1.0: swiotlb_bounced: dev_name: x dma_mask=0 dev_addr=1000 size=8 NORMAL");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK_EQ_U64(ev.mask, 0);
	/* trace-cmd report: no flags column, padding after the event name */
	ev = parse("             fio-2214  [003]   512.000101: swiotlb_bounced:      dev_name: 0000:00:04.0 "
		   "dma_mask=ffffffff dev_addr=10c2a3000 size=4096 NORMAL");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK(dev_is(&ev, "0000:00:04.0"));
	CHECK_EQ_U64(ev.dma, 0x10c2a3000);
	/* record-tgid column */
	ev = parse("fio-2214  (   2210) [003] d..1. 512.000101: swiotlb_bounced: dev_name: 0000:00:04.0 "
		   "dma_mask=ffffffff dev_addr=10c2a3000 size=4096 NORMAL");
	CHECK_EQ_U64(ev.kind, TEV_BOUNCED);
	CHECK_EQ_U64(ev.cpu, 3);
}

static void test_dma_single(void)
{
	/* v6.18+: dma_map_phys / dma_unmap_phys (derived example lines of docs/trace.md) */
	struct tev ev = parse("fio-2214 [003] ..... 512.000109: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c401000 "
			      "size=4096 phys_addr=10c2a3000 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_MAP);
	CHECK_EQ_U64(ev.name, TN_DMA_MAP_PHYS);
	CHECK(!ev.malformed);
	CHECK(dev_is(&ev, "0000:00:04.0"));
	CHECK_EQ_U64(ev.dir, 1);
	CHECK_EQ_U64(ev.dma, 0x7c401000);
	CHECK_EQ_U64(ev.size, 4096);
	CHECK(ev.has_phys);
	CHECK_EQ_U64(ev.phys, 0x10c2a3000);
	ev = parse("fio-2214 [003] ..... 512.000240: dma_unmap_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c401000 "
		   "size=4096 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_UNMAP);
	CHECK_EQ_U64(ev.name, TN_DMA_UNMAP_PHYS);
	CHECK_EQ_U64(ev.dma, 0x7c401000);
	/* v6.12 - v6.17: dma_map_page / dma_unmap_page / *_resource, attrs decoded */
	ev = parse("kworker/u8:2-55 [001] ..... 3.1: dma_map_page: 0000:00:1f.2 dir=FROM_DEVICE dma_addr=fffff000 "
		   "size=512 phys_addr=2fffff000 attrs=SKIP_CPU_SYNC|NO_WARN");
	CHECK_EQ_U64(ev.kind, TEV_MAP);
	CHECK_EQ_U64(ev.name, TN_DMA_MAP_PAGE);
	CHECK_EQ_U64(ev.dir, 2);
	CHECK_EQ_U64(ev.size, 512);
	ev = parse("kworker/u8:2-55 [001] ..... 3.2: dma_unmap_page: 0000:00:1f.2 dir=FROM_DEVICE dma_addr=fffff000 "
		   "size=512 attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_UNMAP_PAGE);
	ev = parse("x-1 [000] ..... 3.3: dma_map_resource: dw-dmac dir=BIDIRECTIONAL dma_addr=fe000000 size=4 "
		   "phys_addr=fe000000 attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_MAP_RESOURCE);
	CHECK_EQ_U64(ev.dir, 0);
	ev = parse("x-1 [000] ..... 3.4: dma_unmap_resource: dw-dmac dir=NONE dma_addr=fe000000 size=4 attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_UNMAP_RESOURCE);
	CHECK_EQ_U64(ev.dir, 3);
	/* a failed map is traced with DMA_MAPPING_ERROR */
	ev = parse("fio-2214 [003] ..... 512.1: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=ffffffffffffffff "
		   "size=4096 phys_addr=10c2a3000 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_MAP);
	CHECK_EQ_U64(ev.dma, UINT64_MAX);
	/* v6.18's MMIO attribute */
	ev = parse("x-1 [000] ..... 3.4: dma_map_phys: 0000:00:04.0 dir=BIDIRECTIONAL dma_addr=fe000000 size=4 "
		   "phys_addr=fe000000 attrs=MMIO");
	CHECK(!ev.malformed);
	/* syncs */
	ev = parse("irq/5-7 [002] d.h1. 9.0: dma_sync_single_for_cpu: 0000:00:04.0 dir=FROM_DEVICE dma_addr=7c401000 size=64");
	CHECK_EQ_U64(ev.kind, TEV_SYNC);
	CHECK_EQ_U64(ev.name, TN_DMA_SYNC_SINGLE_FOR_CPU);
	CHECK_EQ_U64(ev.size, 64);
	ev = parse("irq/5-7 [002] d.h1. 9.0: dma_sync_single_for_device: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c401000 size=64");
	CHECK_EQ_U64(ev.name, TN_DMA_SYNC_SINGLE_FOR_DEVICE);
	ev = parse("<idle>-0 [000] d.h1. 9.1: dma_sync_sg_for_cpu: 0000:00:05.0 dir=FROM_DEVICE dma_addrs={0x7c402000,0x7c403000} "
		   "sizes={0x1000,0x200}");
	CHECK_EQ_U64(ev.kind, TEV_SYNC_SG);
	CHECK_EQ_U64(ev.n_dma, 2);
	CHECK_EQ_U64(ev.sizes[1], 0x200);
	ev = parse("<idle>-0 [000] d.h1. 9.1: dma_sync_sg_for_device: 0000:00:05.0 dir=TO_DEVICE dma_addrs={0x1} sizes={0x2}");
	CHECK_EQ_U64(ev.name, TN_DMA_SYNC_SG_FOR_DEVICE);
}

static void test_dma_sg(void)
{
	/* early 2026: capped arrays with nents=a/b ents=c/d */
	struct tev ev = parse("kworker/3:1-97 [003] ..... 512.000300: dma_map_sg: 0000:00:05.0 dir=FROM_DEVICE nents=2/2 "
			      "ents=2/2 dma_addrs={0x7c402000,0x7c403000} sizes={0x1000,0x200} "
			      "phys_addrs={0x10d000000,0x10d3c1000} attrs=");
	CHECK_EQ_U64(ev.kind, TEV_MAP_SG);
	CHECK(!ev.malformed);
	CHECK(ev.has_counts);
	CHECK_EQ_U64(ev.nents, 2);
	CHECK_EQ_U64(ev.full_ents, 2);
	CHECK(!ev.truncated);
	CHECK_EQ_U64(ev.n_dma, 2);
	CHECK_EQ_U64(ev.n_size, 2);
	CHECK_EQ_U64(ev.n_phys, 2);
	CHECK_EQ_U64(ev.dmas[1], 0x7c403000);
	CHECK_EQ_U64(ev.sizes[0], 0x1000); /* sizes print in hex too */
	CHECK_EQ_U64(ev.physs[1], 0x10d3c1000);
	ev = parse("k-9 [000] ..... 5.0: dma_map_sg: virtio3 dir=TO_DEVICE nents=128/1000 ents=128/1000 [TRUNCATED] "
		   "dma_addrs={0x1000} sizes={0x1000} phys_addrs={0x2000} attrs=");
	CHECK_EQ_U64(ev.kind, TEV_MAP_SG);
	CHECK(ev.truncated);
	CHECK_EQ_U64(ev.full_nents, 1000);
	/* v6.12 - early 2026: no counts */
	ev = parse("k-9 [000] ..... 5.0: dma_map_sg: 0000:00:05.0 dir=TO_DEVICE dma_addrs={0x7c402000} sizes={0x600} "
		   "phys_addrs={0x10d000000} attrs=WEAK_ORDERING");
	CHECK_EQ_U64(ev.kind, TEV_MAP_SG);
	CHECK(!ev.has_counts);
	CHECK_EQ_U64(ev.sizes[0], 0x600);
	/* unmap_sg carries physical addresses */
	ev = parse("k-9 [000] ..... 5.1: dma_unmap_sg: 0000:00:05.0 dir=TO_DEVICE phys_addrs={0x10d000000} attrs=");
	CHECK_EQ_U64(ev.kind, TEV_UNMAP_SG);
	CHECK_EQ_U64(ev.n_phys, 1);
	CHECK_EQ_U64(ev.physs[0], 0x10d000000);
	/* v6.13+: dma_map_sg_err, whose dma_addrs are physical addresses */
	ev = parse("k-9 [000] ..... 5.2: dma_map_sg_err: 0000:00:05.0 dir=TO_DEVICE dma_addrs={0x10d000000,0x10d001000} "
		   "err=-12 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_MAP_SG_ERR);
	CHECK_EQ_U64(ev.err, -12);
	CHECK_EQ_U64(ev.n_dma, 2);
	/* an empty list */
	ev = parse("k-9 [000] ..... 5.3: dma_unmap_sg: d dir=TO_DEVICE phys_addrs={} attrs=");
	CHECK_EQ_U64(ev.kind, TEV_UNMAP_SG);
	CHECK(!ev.malformed);
	CHECK_EQ_U64(ev.n_phys, 0);
}

static void test_dma_alloc(void)
{
	/* v6.12-rc1..rc3: phys_addr */
	struct tev ev = parse("modprobe-300 [001] ..... 4.0: dma_alloc: 0000:00:02.0 dma_addr=12340000 size=8192 "
			      "phys_addr=12340000 flags=GFP_KERNEL attrs=");
	CHECK_EQ_U64(ev.kind, TEV_ALLOC);
	CHECK(!ev.malformed);
	CHECK_EQ_U64(ev.size, 8192);
	/* v6.12 final: hashed virt_addr, no dir */
	ev = parse("modprobe-300 [001] ..... 4.0: dma_alloc: 0000:00:02.0 dma_addr=12340000 size=8192 "
		   "virt_addr=00000000a1b2c3d4 flags=GFP_KERNEL|__GFP_ZERO attrs=");
	CHECK_EQ_U64(ev.kind, TEV_ALLOC);
	/* v6.13+: dir (unreliable until v6.18); failed allocations print 0 */
	ev = parse("modprobe-300 [001] ..... 4.0: dma_alloc: 0000:00:02.0 dir=BIDIRECTIONAL dma_addr=0 size=8192 "
		   "virt_addr=0000000000000000 flags=GFP_ATOMIC attrs=");
	CHECK_EQ_U64(ev.kind, TEV_ALLOC);
	CHECK_EQ_U64(ev.dir, 0);
	ev = parse("m-3 [001] ..... 4.1: dma_free: 0000:00:02.0 dir=BIDIRECTIONAL dma_addr=12340000 size=8192 "
		   "virt_addr=00000000a1b2c3d4 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_FREE);
	ev = parse("m-3 [001] ..... 4.1: dma_free: 0000:00:02.0 dma_addr=12340000 size=8192 virt_addr=00000000a1b2c3d4 attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_FREE);
	ev = parse("m-3 [001] ..... 4.2: dma_alloc_pages: d dir=TO_DEVICE dma_addr=1000 size=4096 virt_addr=0000000011112222 "
		   "flags=GFP_KERNEL attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_ALLOC_PAGES);
	ev = parse("m-3 [001] ..... 4.3: dma_free_pages: d dir=TO_DEVICE dma_addr=1000 size=4096 virt_addr=0000000011112222 attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_FREE_PAGES);
	ev = parse("m-3 [001] ..... 4.4: dma_alloc_sgt: d dir=FROM_DEVICE dma_addr=1000 size=8192 phys_addrs={0x5000,0x9000} "
		   "flags=GFP_KERNEL attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_ALLOC_SGT);
	CHECK_EQ_U64(ev.n_phys, 2);
	ev = parse("m-3 [001] ..... 4.5: dma_alloc_sgt_err: d dir=FROM_DEVICE dma_addr=0 size=8192 "
		   "virt_addr=0000000000000000 flags=GFP_KERNEL attrs=");
	CHECK_EQ_U64(ev.name, TN_DMA_ALLOC_SGT_ERR);
	ev = parse("m-3 [001] ..... 4.6: dma_free_sgt: d dir=FROM_DEVICE dma_addr=1000 size=8192 phys_addrs={0x5000,0x9000}");
	CHECK_EQ_U64(ev.name, TN_DMA_FREE_SGT);
}

static void test_trace_other(void)
{
	struct tev ev = parse("# tracer: nop");
	CHECK_EQ_U64(ev.kind, TEV_HEADER);
	ev = parse("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION");
	CHECK_EQ_U64(ev.kind, TEV_HEADER);
	ev = parse("version = 6");
	CHECK_EQ_U64(ev.kind, TEV_HEADER);
	ev = parse("CPU 3 is empty");
	CHECK_EQ_U64(ev.kind, TEV_HEADER);
	ev = parse("CPU:3 [LOST 120 EVENTS]");
	CHECK_EQ_U64(ev.kind, TEV_LOST);
	CHECK_EQ_U64(ev.a, 120);
	/* another subsystem's event: unknown, not malformed */
	ev = parse("bash-1 [000] ..... 1.0: sched_switch: prev_comm=bash prev_pid=1 ==> next_comm=x next_pid=2");
	CHECK_EQ_U64(ev.kind, TEV_UNKNOWN);
	CHECK(!ev.malformed);
	/* quoted in mail */
	ev = parse("> > fio-2214 [003] ..... 512.000240: dma_unmap_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c401000 "
		   "size=4096 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_UNMAP);
	CHECK(!ev.malformed);
}

static void test_dma_malformed(void)
{
	struct tev ev = parse("f-1 [003] ..... 512.0: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=zz size=4096 "
			      "phys_addr=1 attrs=");
	CHECK_EQ_U64(ev.kind, TEV_MAP);
	CHECK(ev.malformed);
	CHECK(ev.why != NULL);
	ev = parse("f-1 [003] ..... 512.0: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=1000");
	CHECK(ev.malformed);
	ev = parse("f-1 [003] ..... 512.0: dma_map_phys: 0000:00:04.0 dir=SIDEWAYS dma_addr=1000 size=1 phys_addr=1 attrs=");
	CHECK(ev.malformed);
	ev = parse("f-1 [003] ..... 512.0: dma_map_sg: d dir=TO_DEVICE dma_addrs={0x1,0x2} sizes={0x1} phys_addrs={0x1} attrs=");
	CHECK(ev.malformed);
	ev = parse("f-1 [003] ..... 512.0: dma_map_sg: d dir=TO_DEVICE dma_addrs={0x1,0x2 sizes={0x1} attrs=");
	CHECK(ev.malformed);
	ev = parse("f-1 [003] ..... 512.0: swiotlb_bounced: 0000:00:04.0 dma_mask=1 dev_addr=1 size=1 NORMAL");
	CHECK(ev.malformed); /* no "dev_name:" */
	ev = parse("f-1 [003] ..... 512.0: dma_map_phys: dir=TO_DEVICE dma_addr=1000 size=1 phys_addr=1 attrs=");
	CHECK(ev.malformed); /* no device */
	ev = parse("f-1 [003] ..... 512.0: swiotlb_bounced: dev_name: d dma_mask=1 dev_addr=12345678901234567 size=1 NORMAL");
	CHECK(ev.malformed); /* more than 64 bits */
	ev = parse("f-1 [003] ..... 512.0: dma_map_phys: d dir=TO_DEVICE dma_addr=1 size=99999999999999999999999 phys_addr=1 attrs=");
	CHECK(ev.malformed);
}

/* ------------------------------------------------------------ logs */

static void test_log_prefixes(void)
{
	const char *full = "nvme 0000:00:04.0: swiotlb buffer is full (sz: 4096 bytes), total 32768 (slots), used 32767 (slots)";
	const char *pfx[] = {"", "[  13.000000] ", "<4>[  13.000000] ", "Mar 03 12:00:00 host kernel: ",
			     "2026-03-03T12:00:00+0000 host kernel: ", "> [  13.000000] ", "> > ", "[Tue Mar  3 12:00:00 2026] ",
			     "Mar 03 12:00:00 host kernel: [   13.000000] "};
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		char line[400];
		snprintf(line, sizeof(line), "%s%s", pfx[i], full);
		struct tev ev = parse(line);
		CHECK_EQ_U64(ev.kind, TEV_FULL);
		CHECK(dev_is(&ev, "0000:00:04.0"));
		CHECK(str_is(ev.drv, ev.drv_len, "nvme"));
		CHECK_EQ_U64(ev.size, 4096);
		CHECK_EQ_U64(ev.total, 32768);
		CHECK_EQ_U64(ev.used, 32767);
		if (strstr(pfx[i], "13.0"))
			CHECK(ev.has_ts && ev.ts == 13.0);
	}
}

static void test_log_failures(void)
{
	/* <= v3.13 */
	struct tev ev = parse("[    5.0] swiotlb buffer is full");
	CHECK_EQ_U64(ev.kind, TEV_FULL);
	CHECK(!ev.has_size);
	CHECK(!ev.dev);
	/* v3.14 - v5.1 */
	ev = parse("[    5.0] ath9k 0000:02:00.0: swiotlb buffer is full (sz: 65536 bytes)");
	CHECK_EQ_U64(ev.kind, TEV_FULL);
	CHECK(ev.has_size && !ev.has_total);
	CHECK_EQ_U64(ev.size, 65536);
	/* v5.2+: the public report of docs/trace.md's case 1 */
	ev = parse("[  100.0] nvidia 0000:01:00.0: swiotlb buffer is full (sz: 368640 bytes), total 524288 (slots), used 364 (slots)");
	CHECK_EQ_U64(ev.kind, TEV_FULL);
	CHECK(ev.has_total && ev.has_used && !ev.has_largest);
	CHECK_EQ_U64(ev.size, 368640);
	CHECK_EQ_U64(ev.total, 524288);
	CHECK_EQ_U64(ev.used, 364);
	/* libswiotlb's own line adds the largest free run (src/map.c) */
	ev = parse("nvme0: swiotlb buffer is full (sz: 8192 bytes), total 1024 (slots), used 900 (slots), largest free run 3 (slots)");
	CHECK_EQ_U64(ev.kind, TEV_FULL);
	CHECK(dev_is(&ev, "nvme0"));
	CHECK(!ev.drv);
	CHECK(ev.has_largest);
	CHECK_EQ_U64(ev.largest, 3);
	ev = parse("nvme0: swiotlb: request can never fit (sz: 368640 bytes = 180 slots after padding and alignment, more than a segment's 128; max mapping size 262144)");
	CHECK_EQ_U64(ev.kind, TEV_NEVER_FIT);
	CHECK_EQ_U64(ev.size, 368640);
	/* 4.x */
	ev = parse("[ 12.5] DMA: Out of SW-IOMMU space for 524288 bytes at device 1-1:1.0");
	CHECK_EQ_U64(ev.kind, TEV_OUT_OF_SPACE);
	CHECK_EQ_U64(ev.size, 524288);
	CHECK(dev_is(&ev, "1-1:1.0"));
	ev = parse("[ 12.5] swiotlb: coherent allocation failed for device 0000:03:00.0 size=2097152");
	CHECK_EQ_U64(ev.kind, TEV_COHERENT_FAILED);
	CHECK(dev_is(&ev, "0000:03:00.0"));
	CHECK_EQ_U64(ev.size, 2097152);
	ev = parse("[ 1.0] nvme 0000:00:04.0: Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer");
	CHECK_EQ_U64(ev.kind, TEV_NO_BUFFER);
	CHECK(dev_is(&ev, "0000:00:04.0"));
	ev = parse("[ 2.0] Kernel panic - not syncing: Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer");
	CHECK_EQ_U64(ev.kind, TEV_NO_BUFFER);
	ev = parse("[ 3.0] swiotlb_tbl_map_single: 20 callbacks suppressed");
	CHECK_EQ_U64(ev.kind, TEV_SUPPRESSED);
	CHECK_EQ_U64(ev.a, 20);
	ev = parse("[ 3.0] swiotlb: 7 callbacks suppressed");
	CHECK_EQ_U64(ev.kind, TEV_SUPPRESSED);
	ev = parse("[ 3.0] __ratelimit: 7 callbacks suppressed");
	CHECK_EQ_U64(ev.kind, TEV_UNKNOWN); /* not swiotlb's */
	/* malformed */
	ev = parse("[ 5.0] nvme 0000:00:04.0: swiotlb buffer is full (sz: x bytes)");
	CHECK_EQ_U64(ev.kind, TEV_FULL);
	CHECK(ev.malformed);
	ev = parse("[ 5.0] nvme 0000:00:04.0: swiotlb buffer is full (sz: 4096 bytes), total 10 (slots), used");
	CHECK(ev.malformed);
}

static void test_log_boot(void)
{
	/* the three dialects of the "mapped" line, and the pre-3.15 form */
	struct tev ev = parse("[    0.5] software IO TLB: mapped [mem 0x00000000ffdff000-0x00000000fffff000] (2MB)");
	CHECK_EQ_U64(ev.kind, TEV_MAPPED);
	CHECK_EQ_U64(ev.a, 0xffdff000);
	CHECK_EQ_U64(ev.b, 0xfffff000);
	CHECK_EQ_U64(ev.label_len, 0);
	ev = parse("software IO TLB: Low Mem mapped [mem 0x0000000234e00000-0x000000023ce00000] (128MB)");
	CHECK_EQ_U64(ev.kind, TEV_MAPPED);
	CHECK(str_is(ev.label, ev.label_len, "Low Mem"));
	ev = parse("software IO TLB: High Mem mapped [mem 0x0000000400000000-0x0000000480000000] (2048MB)");
	CHECK(str_is(ev.label, ev.label_len, "High Mem"));
	ev = parse("software IO TLB: pool dev32 mapped [mem 0x0000000080000000-0x0000000084000000] (64MB)");
	CHECK(str_is(ev.label, ev.label_len, "pool dev32"));
	ev = parse("[    0.0] software IO TLB [mem 0xbbfd0000-0xbffcffff] (64MB) mapped at [ffff8800bbfd0000-ffff8800bffcffff]");
	CHECK_EQ_U64(ev.kind, TEV_MAPPED);
	CHECK_EQ_U64(ev.b, 0xbffd0000); /* inclusive end made exclusive */
	ev = parse("software IO TLB: mapped [mem 0xzz-0x1] (2MB)");
	CHECK_EQ_U64(ev.kind, TEV_MAPPED);
	CHECK(ev.malformed);

	ev = parse("[    0.0] software IO TLB: area num 8.");
	CHECK_EQ_U64(ev.kind, TEV_AREA_NUM);
	CHECK_EQ_U64(ev.a, 8);
	ev = parse("[    0.0] software IO TLB: SWIOTLB bounce buffer size adjusted to 982MB");
	CHECK_EQ_U64(ev.kind, TEV_ADJUSTED_TO);
	CHECK_EQ_U64(ev.a, 982);
	ev = parse("[    0.0] SWIOTLB bounce buffer size adjusted to 965MB for SEV");
	CHECK_EQ_U64(ev.kind, TEV_ADJUSTED_TO);
	CHECK_EQ_U64(ev.a, 965);
	ev = parse("[    0.0] software IO TLB: SWIOTLB bounce buffer size roundup to 1024MB");
	CHECK_EQ_U64(ev.kind, TEV_ROUNDUP);
	CHECK_EQ_U64(ev.a, 1024);
	ev = parse("software IO TLB: SWIOTLB bounce buffer size adjusted 524288 -> 262144 slabs");
	CHECK_EQ_U64(ev.kind, TEV_ADJUSTED_SLABS);
	CHECK_EQ_U64(ev.a, 524288);
	CHECK_EQ_U64(ev.b, 262144);
	ev = parse("software IO TLB: swiotlb_memblock_alloc: Failed to allocate 1073741824 bytes tlb structure");
	CHECK_EQ_U64(ev.kind, TEV_ALLOC_FAILED);
	CHECK_EQ_U64(ev.a, 1073741824);
	ev = parse("software IO TLB: Failed to allocate new pool");
	CHECK_EQ_U64(ev.kind, TEV_ALLOC_FAILED);
	ev = parse("[    0.0] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP");
	CHECK_EQ_U64(ev.kind, TEV_MEM_ENCRYPT);
	CHECK(str_is(ev.str, ev.str_len, "AMD SEV SEV-ES SEV-SNP"));
	ev = parse("[    0.0] BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable");
	CHECK_EQ_U64(ev.kind, TEV_E820);
	CHECK_EQ_U64(ev.a, 0x100000000);
	CHECK_EQ_U64(ev.b, 0x180000000);
	CHECK(ev.dma);
	ev = parse("[    0.0] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved");
	CHECK_EQ_U64(ev.kind, TEV_E820);
	CHECK(!ev.dma);
	ev = parse("[    0.0] Command line: BOOT_IMAGE=/vmlinuz ro swiotlb=262144,force quiet");
	CHECK_EQ_U64(ev.kind, TEV_CMDLINE);
	ev = parse("[    0.0] Kernel command line: swiotlb=4096,1");
	CHECK_EQ_U64(ev.kind, TEV_CMDLINE);
	ev = parse("[    0.0] smpboot: Allowing 16 CPUs, 0 hotplug CPUs");
	CHECK_EQ_U64(ev.kind, TEV_CPUS);
	CHECK_EQ_U64(ev.a, 16);
	ev = parse("[    0.0] setup_percpu: NR_CPUS:8192 nr_cpumask_bits:4 nr_cpu_ids:4 nr_node_ids:1");
	CHECK_EQ_U64(ev.kind, TEV_CPUS);
	CHECK_EQ_U64(ev.a, 4);
	ev = parse("[    0.0] Memory: 16318868K/16776676K available (16384K kernel code, ...)");
	CHECK_EQ_U64(ev.kind, TEV_MEMORY);
	CHECK_EQ_U64(ev.a, 16776676ull << 10);
	ev = parse("[    0.0] pci 0000:00:02.0: reg 0x10: [mem 0xfd000000-0xfdffffff pref]");
	CHECK_EQ_U64(ev.kind, TEV_UNKNOWN);
}

static void test_debugfs(void)
{
	struct tev ev = parse("/sys/kernel/debug/swiotlb/io_tlb_nslabs:32768");
	CHECK_EQ_U64(ev.kind, TEV_DEBUGFS);
	CHECK(str_is(ev.str, ev.str_len, "io_tlb_nslabs"));
	CHECK_EQ_U64(ev.a, 32768);
	CHECK_EQ_U64(ev.label_len, 0);
	ev = parse("/sys/kernel/debug/swiotlb/io_tlb_used_hiwater:4");
	CHECK(str_is(ev.str, ev.str_len, "io_tlb_used_hiwater"));
	ev = parse("/sys/kernel/debug/swiotlb/restricted-dma-pool@50000000/io_tlb_used:17");
	CHECK_EQ_U64(ev.kind, TEV_DEBUGFS);
	CHECK(str_is(ev.label, ev.label_len, "restricted-dma-pool@50000000"));
	CHECK_EQ_U64(ev.a, 17);
	ev = parse("io_tlb_transient_nslabs:0");
	CHECK_EQ_U64(ev.kind, TEV_DEBUGFS);
	ev = parse("  io_tlb_used-highmem 5");
	CHECK_EQ_U64(ev.kind, TEV_DEBUGFS);
	CHECK(str_is(ev.label, ev.label_len, "highmem"));
	CHECK(str_is(ev.str, ev.str_len, "io_tlb_used"));
	ev = parse("/sys/kernel/debug/swiotlb/io_tlb_used:abc");
	CHECK(ev.kind != TEV_DEBUGFS);
	/* time stamps between snapshots */
	ev = parse("1767225600");
	CHECK_EQ_U64(ev.kind, TEV_TIMESTAMP);
	CHECK(ev.ts == 1767225600.0);
	ev = parse("1767225600.5");
	CHECK(ev.kind == TEV_TIMESTAMP && ev.ts == 1767225600.5);
	ev = parse("2026-01-01T00:00:01");
	CHECK(ev.kind == TEV_TIMESTAMP && ev.ts == 1767225601.0);
	ev = parse("2026-01-01 00:00:02+00:00");
	CHECK(ev.kind == TEV_TIMESTAMP && ev.ts == 1767225602.0);
	ev = parse("Thu Jan  1 00:00:03 UTC 2026");
	CHECK(ev.kind == TEV_TIMESTAMP && ev.ts == 1767225603.0);
	ev = parse("Thu Jan  1 00:00:04 2026");
	CHECK(ev.kind == TEV_TIMESTAMP && ev.ts == 1767225604.0);
	ev = parse("42");
	CHECK_EQ_U64(ev.kind, TEV_UNKNOWN);
}

/* ------------------------------------------------------------ explain */

static void test_explain(void)
{
	struct trace_explanation x;
	/* docs/trace.md case 1: 360 KiB with the pool almost empty */
	trace_explain(TEV_FULL, true, 368640, true, 524288, true, 364, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_TOO_LARGE);
	CHECK_EQ_U64(x.slots_needed, 180);
	/* 256 KiB exactly fits one segment; one byte more does not */
	trace_explain(TEV_FULL, true, 262144, true, 32768, true, 32768 - 128, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_FRAGMENTED);
	CHECK_EQ_U64(x.slots_needed, 128);
	trace_explain(TEV_FULL, true, 262145, false, 0, false, 0, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_TOO_LARGE); /* the size alone settles it */
	CHECK_EQ_U64(x.slots_needed, 129);
	/* docs/trace.md case 14: used 32764 of 32768, 2 slots needed -> fragmented (4 free) */
	trace_explain(TEV_FULL, true, 4096, true, 32768, true, 32764, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_FRAGMENTED);
	trace_explain(TEV_FULL, true, 4096, true, 32768, true, 32767, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_EXHAUSTED);
	trace_explain(TEV_FULL, true, 4097, true, 32768, true, 32766, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_EXHAUSTED); /* 3 slots needed, 2 free */
	CHECK_EQ_U64(x.slots_needed, 3);
	/* "used" above "total" (transient pools count in used): nothing free */
	trace_explain(TEV_FULL, true, 2048, true, 100, true, 150, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_EXHAUSTED);
	trace_explain(TEV_FULL, true, 4096, false, 0, false, 0, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_UNKNOWN);
	CHECK(x.has_slots);
	trace_explain(TEV_FULL, false, 0, false, 0, false, 0, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_UNKNOWN);
	CHECK(!x.has_slots);
	trace_explain(TEV_NO_BUFFER, false, 0, false, 0, false, 0, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_NO_POOL);
	trace_explain(TEV_NEVER_FIT, true, 8192, false, 0, false, 0, false, 0, &x);
	CHECK_EQ_U64(x.cause, CAUSE_TOO_LARGE);
	trace_explain(TEV_FULL, true, 8192, true, 1024, true, 900, true, 3, &x);
	CHECK_EQ_U64(x.cause, CAUSE_FRAGMENTED);
	for (int c = 0; c < CAUSE_COUNT; c++) {
		CHECK(strlen(trace_advice(c)) > 20);
		CHECK(strcmp(trace_cause_name(c), "unknown") || c == CAUSE_UNKNOWN);
	}
	CHECK_EQ_U64(trace_kernel_round(1, 1), 128);
	CHECK_EQ_U64(trace_kernel_round(129, 1), 256);
	CHECK_EQ_U64(trace_kernel_round(32768, 8), 32768);
	CHECK_EQ_U64(trace_kernel_round(100, 8), 1024);
	CHECK_EQ_U64(trace_kernel_round(40000, 3), 65536);
}

/* ------------------------------------------------------------ the model */

static void feed_lines(struct trace_model *m, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct tev ev;
		tev_parse(&ps, lines[i], strlen(lines[i]), &ev);
		if (ev.kind > TEV_HEADER && !ev.malformed)
			trace_model_feed(m, 0, i + 1, &ev);
	}
}

static void test_model_pairs(void)
{
	static const char *const lines[] = {
		"[    0.1] software IO TLB: mapped [mem 0x000000007c400000-0x000000007c600000] (2MB)",
		/* 1 KiB into its slot: 1024 + 4096 bytes -> 3 slots */
		"a-1 [000] ..... 10.0: dma_map_phys: dev0 dir=TO_DEVICE dma_addr=7c400400 size=4096 phys_addr=10c2a3400 attrs=",
		"a-1 [000] ..... 10.1: dma_map_sg: dev1 dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x7c402000,0x7c403000} "
		"sizes={0x1000,0x200} phys_addrs={0x10d000000,0x10d3c1000} attrs=",
		/* direct: outside the pool */
		"a-1 [000] ..... 10.2: dma_map_phys: dev0 dir=TO_DEVICE dma_addr=20000000 size=4096 phys_addr=20000000 attrs=",
		"a-1 [000] ..... 10.3: dma_unmap_sg: dev1 dir=FROM_DEVICE phys_addrs={0x10d000000,0x10d3c1000} attrs=",
		"a-1 [000] ..... 10.4: dma_unmap_phys: dev0 dir=TO_DEVICE dma_addr=7c400400 size=4096 attrs=",
		/* an unmap nobody mapped, and one of the wrong device */
		"a-1 [000] ..... 10.5: dma_unmap_phys: dev0 dir=TO_DEVICE dma_addr=7c500000 size=4096 attrs=",
		"a-1 [000] ..... 10.6: dma_map_phys: dev0 dir=TO_DEVICE dma_addr=7c404000 size=2048 phys_addr=1 attrs=",
		"a-1 [000] ..... 10.7: dma_unmap_phys: dev1 dir=TO_DEVICE dma_addr=7c404000 size=2048 attrs=",
		/* the same bounce address mapped again while live: its unmap was lost */
		"a-1 [000] ..... 10.8: dma_map_phys: dev0 dir=TO_DEVICE dma_addr=7c404000 size=2048 phys_addr=1 attrs=",
		/* a failed map */
		"a-1 [000] ..... 10.9: dma_map_phys: dev0 dir=TO_DEVICE dma_addr=ffffffffffffffff size=2048 phys_addr=1 attrs=",
		"a-1 [000] ..... 100.0: dma_unmap_phys: dev0 dir=TO_DEVICE dma_addr=20000000 size=4096 attrs=",
	};
	struct trace_model m;
	trace_model_init(&m);
	feed_lines(&m, lines, sizeof(lines) / sizeof(lines[0]));
	trace_model_finish(&m);
	REQUIRE(m.npools >= 1);
	CHECK(m.pools[0].known);
	CHECK_EQ_U64(m.pools[0].start, 0x7c400000);
	CHECK_EQ_U64(m.maps, 6);
	CHECK_EQ_U64(m.bounced_maps, 5);
	CHECK_EQ_U64(m.failed_maps, 1);
	/* 3 + 2 + 1 slots at 10.1 */
	CHECK_EQ_U64(m.peak_total_slots, 6);
	CHECK_EQ_U64(m.peak_total_bytes, 4096 + 4096 + 512);
	CHECK_EQ_U64(m.pools[0].peak_slots, 6);
	CHECK(m.pools[0].peak_time == 10.1);
	CHECK_EQ_U64(m.unmatched_unmaps, 2);
	CHECK_EQ_U64(m.remapped, 1);
	CHECK_EQ_U64(m.ndevs, 2);
	CHECK_EQ_U64(m.devs[0]->peak_slots, 3);
	CHECK_EQ_U64(m.devs[1]->peak_slots, 3);
	/* the dev0 mapping at 7c404000, 89 s before the end, is a leak */
	CHECK_EQ_U64(m.devs[0]->leaks, 1);
	CHECK_EQ_U64(m.devs[0]->leaked_slots, 1);
	CHECK_EQ_U64(m.devs[1]->leaks, 0);
	CHECK_EQ_U64(m.total_slots, 1);
	trace_model_free(&m);
}

static void test_model_no_pool(void)
{
	/* no log: a map is bounced when dma != phys, or when a swiotlb_bounced of
	 * the same device and size came just before on the same CPU */
	static const char *const lines[] = {
		"a-1 [001] ..... 1.0: swiotlb_bounced: dev_name: d dma_mask=ffffffff dev_addr=200000000 size=512 NORMAL",
		"a-1 [001] ..... 1.0: dma_map_phys: d dir=TO_DEVICE dma_addr=7c401000 size=512 phys_addr=200000000 attrs=",
		"a-1 [002] ..... 1.1: dma_map_phys: d dir=TO_DEVICE dma_addr=30000000 size=512 phys_addr=30000000 attrs=",
		"a-1 [003] ..... 1.2: swiotlb_bounced: dev_name: d dma_mask=ffffffff dev_addr=30001000 size=512 FORCE",
		"a-1 [003] ..... 1.2: dma_map_page: d dir=TO_DEVICE dma_addr=30001000 size=512 phys_addr=30001000 attrs=",
		"a-1 [003] ..... 1.3: swiotlb_bounced: dev_name: d dma_mask=ffffffff dev_addr=30002000 size=512 FORCE",
		"a-1 [002] ..... 1.3: dma_map_page: d dir=TO_DEVICE dma_addr=30002000 size=512 phys_addr=30002000 attrs=",
	};
	struct trace_model m;
	trace_model_init(&m);
	feed_lines(&m, lines, sizeof(lines) / sizeof(lines[0]));
	CHECK_EQ_U64(m.bounced_maps, 2); /* not the direct one, not the other CPU's */
	CHECK_EQ_U64(m.devs[0]->bounces, 3);
	CHECK_EQ_U64(m.devs[0]->forced, 2);
	CHECK_EQ_U64(m.devs[0]->dma_mask, 0xffffffff);
	CHECK_EQ_U64(m.npools, 1);
	CHECK(!m.pools[0].known);
	trace_model_free(&m);
}

static void test_model_failures(void)
{
	static const char *const lines[] = {
		"[ 1.0] nvidia 0000:01:00.0: swiotlb buffer is full (sz: 368640 bytes), total 524288 (slots), used 364 (slots)",
		"[ 2.0] swiotlb buffer is full",
		"[ 2.0] DMA: Out of SW-IOMMU space for 4096 bytes at device 0000:00:05.0",
		"[ 3.0] e 0000:00:05.0: swiotlb buffer is full (sz: 4096 bytes), total 32768 (slots), used 32767 (slots)",
		"[ 4.0] e 0000:00:05.0: swiotlb buffer is full (sz: 4096 bytes), total 32768 (slots), used 1 (slots)",
	};
	struct trace_model m;
	trace_model_init(&m);
	feed_lines(&m, lines, sizeof(lines) / sizeof(lines[0]));
	REQUIRE(m.nfails == 4); /* the 4.x pair is one failure */
	CHECK_EQ_U64(m.fails[0].ex.cause, CAUSE_TOO_LARGE);
	CHECK_EQ_U64(m.fails[0].line, 1);
	CHECK_EQ_U64(m.fails[1].ex.cause, CAUSE_UNKNOWN);
	CHECK(m.fails[1].has_size && m.fails[1].size == 4096); /* taken from the Out of SW-IOMMU line */
	CHECK(m.fails[1].dev >= 0);
	CHECK_EQ_U64(m.fails[2].ex.cause, CAUSE_EXHAUSTED);
	CHECK_EQ_U64(m.fails[3].ex.cause, CAUSE_FRAGMENTED);
	CHECK_EQ_U64(m.causes[CAUSE_TOO_LARGE], 1);
	CHECK_EQ_U64(m.causes[CAUSE_UNKNOWN], 1);
	trace_model_free(&m);
}

/* ------------------------------------------------------------ bad input */

static const char *const vectors[] = {
	"fio-2214 [003] ..... 512.000101: swiotlb_bounced: dev_name: 0000:00:04.0 dma_mask=ffffffff dev_addr=10c2a3000 size=4096 NORMAL",
	"fio-2214 [003] ..... 512.000109: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c401000 size=4096 phys_addr=10c2a3000 attrs=",
	"fio-2214 [003] ..... 512.000240: dma_unmap_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c401000 size=4096 attrs=",
	"kworker/3:1-97 [003] ..... 512.000300: dma_map_sg: 0000:00:05.0 dir=FROM_DEVICE nents=2/2 ents=2/2 dma_addrs={0x7c402000,0x7c403000} sizes={0x1000,0x200} phys_addrs={0x10d000000,0x10d3c1000} attrs=",
	"[  100.0] nvidia 0000:01:00.0: swiotlb buffer is full (sz: 368640 bytes), total 524288 (slots), used 364 (slots)",
	"[    0.5] software IO TLB: mapped [mem 0x00000000ffdff000-0x00000000fffff000] (2MB)",
	"[    0.0] BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable",
	"/sys/kernel/debug/swiotlb/io_tlb_used:17",
	"Thu Jan  1 00:00:03 UTC 2026",
};

static void test_truncations(void)
{
	/* every prefix of every vector parses without a crash, and a map or an
	 * unmap cut before its size is never taken as a complete event */
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		size_t n = strlen(vectors[v]);
		const char *sz = strstr(vectors[v], " size=");
		for (size_t k = 0; k <= n; k++) {
			char *copy = malloc(k ? k : 1); /* exact size: ASan sees any overread */
			REQUIRE(copy);
			memcpy(copy, vectors[v], k);
			struct tev ev;
			tev_parse(&ps, copy, k, &ev);
			if ((ev.kind == TEV_MAP || ev.kind == TEV_UNMAP) && sz && k < (size_t)(sz - vectors[v]) + 7)
				CHECK(ev.malformed);
			free(copy);
		}
	}
}

static void test_garbage(void)
{
	/* binary garbage (an LCG: the same bytes every run) never crashes the parser */
	uint64_t x = 12345;
	char buf[512];
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 500);
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (char)(x >> 56);
		}
		/* half the rounds start like an event, to get past the first checks */
		if (round & 1 && n > 60)
			memcpy(buf, "f-1 [003] ..... 512.0: dma_map_sg: d dir=TO_DEVICE dma_addrs={", 60);
		struct tev ev;
		tev_parse(&ps, buf, n, &ev);
		CHECK(ev.kind >= TEV_UNKNOWN && ev.kind < TEV_NKINDS);
	}
}

static char *write_tmp(const char *text, size_t len)
{
	char *path = strdup("/tmp/swiotlb-test-trace-XXXXXX");
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, len) == (ssize_t)len);
	close(fd);
	return path;
}

static void test_files(void)
{
	/* a 100 000-character line between two good ones, a NUL byte, a
	 * malformed event and a last line without a newline */
	size_t big = 100000;
	size_t cap = big + 4096;
	char *text = malloc(cap);
	REQUIRE(text);
	size_t len = 0;
	len += (size_t)snprintf(text + len, cap - len, "%s\n", vectors[6]); /* e820: no pool known */
	memset(text + len, 'x', big);
	len += big;
	text[len++] = '\n';
	len += (size_t)snprintf(text + len, cap - len, "%s\n", vectors[1]);
	memcpy(text + len, "abc\0def\n", 8);
	len += 8;
	len += (size_t)snprintf(text + len, cap - len,
				"f-1 [003] ..... 512.5: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=zz size=1 "
				"phys_addr=1 attrs=\n%s",
				vectors[2]);
	char *path = write_tmp(text, len);
	struct trace_model m;
	trace_model_init(&m);
	m.quiet_malformed = true;
	char *paths[] = {path};
	CHECK_EQ_U64(trace_run_pass(&m, paths, 1), 0);
	CHECK_EQ_U64(m.lines, 6);
	CHECK_EQ_U64(m.skipped, 2); /* the long line, the binary one */
	CHECK_EQ_U64(m.binary, 1);
	CHECK_EQ_U64(m.malformed, 1);
	REQUIRE(m.nmalformed_listed == 1);
	CHECK_EQ_U64(m.malformed_list[0].line, 5);
	CHECK_EQ_U64(m.bounced_maps, 1);
	CHECK_EQ_U64(m.unmaps, 1);
	CHECK_EQ_U64(m.unmatched_unmaps, 0);
	trace_model_free(&m);
	unlink(path);
	free(path);

	/* a single line of 1 MiB + 10 bytes: cut, counted, skipped; the next line still read */
	size_t huge = TRACE_LINE_MAX + 10;
	char *t2 = malloc(huge + 200);
	REQUIRE(t2);
	memset(t2, 'y', huge);
	t2[huge] = '\n';
	size_t l2 = huge + 1 + (size_t)snprintf(t2 + huge + 1, 199, "%s\n", vectors[7]);
	path = write_tmp(t2, l2);
	trace_model_init(&m);
	m.quiet_malformed = true;
	paths[0] = path;
	CHECK_EQ_U64(trace_run_pass(&m, paths, 1), 0);
	CHECK_EQ_U64(m.lines, 2);
	CHECK_EQ_U64(m.overlong, 1);
	CHECK_EQ_U64(m.events[TN_DEBUGFS], 1);
	trace_model_free(&m);
	unlink(path);
	free(path);
	free(t2);
	free(text);

	/* two files merged by time */
	const char *a = "[ 1.0] e 0000:00:05.0: swiotlb buffer is full (sz: 4096 bytes)\n"
			"[ 3.0] e 0000:00:05.0: swiotlb buffer is full (sz: 8192 bytes)\n";
	const char *b = "f-1 [000] ..... 2.0: dma_map_phys: d dir=TO_DEVICE dma_addr=1000 size=8 phys_addr=2000 attrs=\n";
	char *pa = write_tmp(a, strlen(a)), *pb = write_tmp(b, strlen(b));
	char *two[] = {pa, pb};
	trace_model_init(&m);
	CHECK_EQ_U64(trace_run_pass(&m, two, 2), 0);
	CHECK_EQ_U64(m.lines, 3);
	REQUIRE(m.nfails == 2);
	CHECK_EQ_U64(m.fails[1].line, 2);
	CHECK_EQ_U64(m.fails[1].file, 0);
	CHECK_EQ_U64(m.maps, 1);
	trace_model_free(&m);
	char *missing[] = {"/nonexistent/trace"};
	trace_model_init(&m);
	CHECK_EQ_U64(trace_run_pass(&m, missing, 1), 2);
	trace_model_free(&m);
	unlink(pa);
	unlink(pb);
	free(pa);
	free(pb);
}

int main(void)
{
	tev_parser_init(&ps);
	test_bounced();
	test_dma_single();
	test_dma_sg();
	test_dma_alloc();
	test_trace_other();
	test_dma_malformed();
	test_log_prefixes();
	test_log_failures();
	test_log_boot();
	test_debugfs();
	test_explain();
	test_model_pairs();
	test_model_no_pool();
	test_model_failures();
	test_truncations();
	test_garbage();
	test_files();
	tev_parser_free(&ps);
	return check_done("test_trace");
}
