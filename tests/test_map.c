/* SPDX-License-Identifier: MIT */
/*
 * Mapping semantics with exact addresses under the linux policy (docs/kernel-semantics.md
 * §2.2-§2.7, §3.1-§3.5).  Each expected address is worked out in a comment
 * from the slot search rules, not captured from a run.
 */
#include "testlib.h"

#define P0 0x100000ull /* an 8-slot pool: slots at P0 + i*0x800 */

static void make_dev(struct swiotlb_device *d, const char *name, unsigned bits, bool force)
{
	swiotlb_device_init(d, name, swiotlb_bit_mask(bits));
	if (force)
		d->flags |= SWIOTLB_DEV_FORCE_BOUNCE;
}

/* Next-fit cursor, page alignment, wrap-around, full vs fragmented. */
static void test_cursor_and_alignment(void)
{
	struct env e;
	struct swiotlb_device d;
	uint64_t a, b, c, f, g, h;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "dev", 64, true);

	/* empty pool, cursor 0: slot 0 */
	CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0);
	CHECK_EQ_U64(a, P0);
	/* cursor 1: two slots at 1..2 */
	CHECK(env_map(&e, &d, 0x6000, 3000, SWIOTLB_TO_DEVICE, 0, 0, &b) == 0);
	CHECK_EQ_U64(b, P0 + 0x800);
	/* 4096 bytes, no min_align: page aligned; cursor 3 (0x101800) is not,
	 * slot 4 (0x102000) is */
	CHECK(env_map(&e, &d, 0x7000, 4096, SWIOTLB_TO_DEVICE, 0, 0, &c) == 0);
	CHECK_EQ_U64(c, P0 + 0x2000);
	/* cursor 6 */
	CHECK(env_map(&e, &d, 0x9000, 2048, SWIOTLB_TO_DEVICE, 0, 0, &f) == 0);
	CHECK_EQ_U64(f, P0 + 0x3000);
	/* cursor 7, then wraps to 0 */
	CHECK(env_map(&e, &d, 0xa000, 2048, SWIOTLB_TO_DEVICE, 0, 0, &g) == 0);
	CHECK_EQ_U64(g, P0 + 0x3800);
	/* from 0 the only free slot left is 3, skipped by the page-aligned map */
	CHECK(env_map(&e, &d, 0xb000, 2048, SWIOTLB_TO_DEVICE, 0, 0, &h) == 0);
	CHECK_EQ_U64(h, P0 + 0x1800);
	env_check(&e);

	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, 0, &st);
	CHECK_EQ_U64(st.used, 8);
	CHECK_EQ_U64(st.used_hiwater, 8);

	/* full: the kernel's message plus the largest free run */
	e.nlog = 0;
	CHECK(env_map(&e, &d, 0xc000, 100, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_EFULL);
	CHECK(env_logged(&e, "dev: swiotlb buffer is full (sz: 100 bytes), total 8 (slots), used 8 (slots), largest free run 0 (slots)") == 1);

	/* free slots 1..2; a page-aligned 2-slot map needs an even start: slot 2
	 * is even but its run is 1 long -> full (fragmented), not too_large */
	CHECK(swiotlb_unmap(e.tlb, &d, b, 3000, SWIOTLB_TO_DEVICE, 0) == 0);
	env_check(&e);
	CHECK_EQ_U64(swiotlb_pool_largest_free(e.tlb, 0), 2);
	e.nlog = 0;
	CHECK(env_map(&e, &d, 0xd000, 4096, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_EFULL);
	CHECK(env_logged(&e, "largest free run 2 (slots)") == 1);
	/* an unaligned 2-slot request fits at 1 */
	CHECK(env_map(&e, &d, 0xd000, 4000, SWIOTLB_TO_DEVICE, 0xfff & 0, 0, &b) == 0);
	CHECK_EQ_U64(b, P0 + 0x800);
	env_check(&e);
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.fail_full, 2);
	env_fini(&e);
}

/* min_align_mask preserves the low bits; alloc_align_mask adds pad slots. */
static void test_min_align_and_padding(void)
{
	struct env e;
	struct swiotlb_device nvme;
	uint64_t a, b, c;
	const uint64_t Q = 0x200000;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "q", Q, 16, 1) == 0);
	make_dev(&nvme, "nvme0", 64, true);
	nvme.min_align_mask = 0xfff;

	/* orig low 12 bits 0x345: bit 11 clear -> even slot, in-slot offset 0x345 */
	CHECK(env_map(&e, &nvme, 0x12345, 100, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0);
	CHECK_EQ_U64(a, Q + 0x345);
	/* low bits 0xa00: bit 11 set -> odd slot; cursor 1 is odd: Q+0x800+0x200 */
	CHECK(env_map(&e, &nvme, 0x10a00, 100, SWIOTLB_TO_DEVICE, 0, 0, &b) == 0);
	CHECK_EQ_U64(b, Q + 0xa00);
	CHECK_EQ_U64(a & 0xfff, 0x345);
	CHECK_EQ_U64(b & 0xfff, 0xa00);

	/* alloc_align 0xfff (an IOMMU granule): offset 0xc00 = one pad slot +
	 * 0x400; size ALIGN(100 + 0xc00, 4096) = 2 slots starting on a 4 KiB
	 * boundary.  Cursor 2 (Q+0x1000) is aligned: first slot 2, head 3. */
	CHECK(env_map(&e, &nvme, 0x13c00, 100, SWIOTLB_TO_DEVICE, 0xfff, 0, &c) == 0);
	CHECK_EQ_U64(c, Q + 0x1800 + 0x400);
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, 0, &st);
	CHECK_EQ_U64(st.used, 4); /* 1 + 1 + 2 (one of them padding) */
	env_check(&e);

	/* the padding slot is not part of the mapping */
	CHECK(swiotlb_sync_for_cpu(e.tlb, &nvme, Q + 0x1000, 16, SWIOTLB_TO_DEVICE) == SWIOTLB_ENOTMAPPED);
	CHECK(swiotlb_unmap(e.tlb, &nvme, c, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(swiotlb_unmap(e.tlb, &nvme, a, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(swiotlb_unmap(e.tlb, &nvme, b, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	swiotlb_get_stats(e.tlb, 0, &st);
	CHECK_EQ_U64(st.used, 0);
	env_check(&e);
	env_fini(&e);
}

/* max_mapping_size is what is guaranteed; more can fit, 129 slots never. */
static void test_too_large(void)
{
	struct env e;
	struct swiotlb_device nvme, plain;
	uint64_t a;
	const uint64_t R = 0x400000;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "r", R, 256, 1) == 0);
	make_dev(&nvme, "nvme0", 64, true);
	nvme.min_align_mask = 0xfff;
	make_dev(&plain, "plain", 64, true);

	CHECK_EQ_U64(swiotlb_max_mapping_size(&nvme), 262144 - 4096);
	CHECK_EQ_U64(swiotlb_max_mapping_size(&plain), 262144);
	/* 256 KiB from a page-aligned original: offset 0, even start, 128 slots: fits */
	CHECK(env_map(&e, &nvme, 0x1000000, 262144, SWIOTLB_FROM_DEVICE, 0, 0, &a) == 0);
	CHECK_EQ_U64(a, R);
	CHECK(swiotlb_unmap(e.tlb, &nvme, a, 262144, SWIOTLB_FROM_DEVICE, 0) == 0);
	/* low bits 0x800: odd start, so 128 slots would cross a segment: never fits */
	e.nlog = 0;
	CHECK(env_map(&e, &nvme, 0x1000800, 262144, SWIOTLB_FROM_DEVICE, 0, 0, &a) == SWIOTLB_ETOOLARGE);
	CHECK(env_logged(&e, "can never fit") == 1);
	/* ... but 126 slots' worth does: the cursor was left at 128 by the first
	 * map (a release does not move it), so the first odd slot is 129 */
	CHECK(env_map(&e, &nvme, 0x1000800, 258048, SWIOTLB_FROM_DEVICE, 0, 0, &a) == 0);
	CHECK_EQ_U64(a, R + 129 * 0x800);
	/* 129 slots: too_large at once */
	CHECK(env_map(&e, &plain, 0x2000000, 262145, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_ETOOLARGE);
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.fail_too_large, 2);
	CHECK_EQ_U64(st.fail_full, 0);

	/* larger than the only pool the device reaches: too_large, not full --
	 * also while that pool is full, and although a pool it cannot reach
	 * ("r", above its limit) would hold it */
	REQUIRE(env_pool(&e, "tiny", 0x100000, 8, 1) == 1);
	struct swiotlb_device low;
	make_dev(&low, "low", 64, true);
	low.bus_dma_limit = 0x3fffff;
	CHECK(env_map(&e, &low, 0x2000000, 9 * 2048, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_ETOOLARGE);
	for (int i = 0; i < 8; i++)
		CHECK(env_map(&e, &low, 0x2000000, 2048, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0 && a >= 0x100000 &&
		      a < 0x104000);
	CHECK(env_map(&e, &low, 0x2000000, 2048, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_EFULL);
	CHECK(env_map(&e, &low, 0x2000000, 9 * 2048, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_ETOOLARGE);
	swiotlb_get_stats(e.tlb, 1, &st);
	CHECK_EQ_U64(st.fail_too_large, 2);
	CHECK_EQ_U64(st.fail_full, 1);
	CHECK_EQ_U64(st.used, 8);
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.fail_too_large, 4);
	CHECK_EQ_U64(st.fail_full, 1);
	env_check(&e);
	env_fini(&e);
}

/* Issue 9, defects 1 and 2: masks whose arithmetic has no answer and
 * originals overlapping a pool are refused at the door, say why, and change
 * nothing -- under every policy. */
static void test_door_masks_and_overlap(void)
{
	static const char *const names[] = { "linux", "fast" };
	for (unsigned pi = 0; pi < 2; pi++) {
		struct env e;
		struct swiotlb_device d;
		uint64_t a = 0, b = 0;
		env_policy = names[pi];
		env_init(&e, 1);
		REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
		REQUIRE(env_pool(&e, "q", 0x200000, 8, 1) == 1);
		make_dev(&d, "dev", 64, true);
		env_fill(&e, 0x300000, 64, 0x11);

		/* alloc_align_mask ~0: its + 1 wrapped, making a 0-slot mapping
		 * whose slot the next map was given too */
		e.nlog = 0;
		CHECK(env_map(&e, &d, 0x300000, 16, SWIOTLB_TO_DEVICE, ~0ull, 0, NULL) == SWIOTLB_EINVAL);
		CHECK(env_logged(&e, "alignment of 2^64") == 1);
		CHECK(env_map(&e, &d, 0x300000, 16, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0);
		CHECK(env_map(&e, &d, 0x300000, 16, SWIOTLB_TO_DEVICE, 0, 0, &b) == 0);
		CHECK(a != b);
		/* the largest low mask below it is a valid request that can never fit */
		CHECK(env_map(&e, &d, 0x300000, 16, SWIOTLB_TO_DEVICE, ~0ull >> 1, 0, NULL) == SWIOTLB_ETOOLARGE);
		/* a boundary window inside a slot */
		struct swiotlb_device w = d;
		w.seg_boundary_mask = 0x3ff;
		e.nlog = 0;
		CHECK(env_map(&e, &w, 0x300000, 16, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_EINVAL);
		CHECK(env_logged(&e, "smaller than a 2048-byte slot") == 1);
		w.seg_boundary_mask = 0x7ff; /* one slot: fine */
		uint64_t c = 0;
		CHECK(env_map(&e, &w, 0x300000, 2048, SWIOTLB_TO_DEVICE, 0, 0, &c) == 0);
		CHECK(swiotlb_unmap(e.tlb, &w, c, 2048, SWIOTLB_TO_DEVICE, 0) == 0);

		/* originals overlapping a pool anywhere: spanning it, starting or
		 * ending inside it, one byte of it */
		struct swiotlb_stats before, after;
		swiotlb_get_stats(e.tlb, -1, &before);
		const struct {
			uint64_t orig;
			size_t size;
		} bad[] = { { P0 - 0x1000, 0x6000 }, { P0 - 1, 2 }, { P0 + 0x3fff, 2 }, { P0 + 0x800, 16 },
			    { 0x1ff000, 0x2000 } };
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			e.nlog = 0;
			CHECK(env_map(&e, &d, bad[i].orig, bad[i].size, SWIOTLB_FROM_DEVICE, 0, 0, NULL) == SWIOTLB_EINVAL);
			CHECK(env_logged(&e, i == 4 ? "overlaps pool q" : "overlaps pool p") == 1);
		}
		swiotlb_get_stats(e.tlb, -1, &after);
		CHECK_EQ_U64(after.used, before.used);
		CHECK_EQ_U64(after.maps, before.maps);
		/* adjacent on either side is fine */
		CHECK(env_map(&e, &d, P0 - 0x1000, 0x1000, SWIOTLB_TO_DEVICE, 0, 0, &c) == 0);
		CHECK(swiotlb_unmap(e.tlb, &d, c, 0x1000, SWIOTLB_TO_DEVICE, 0) == 0);
		CHECK(env_map(&e, &d, P0 + 0x4000, 0x1000, SWIOTLB_TO_DEVICE, 0, 0, &c) == 0);
		CHECK(swiotlb_unmap(e.tlb, &d, c, 0x1000, SWIOTLB_TO_DEVICE, 0) == 0);
		CHECK(swiotlb_unmap(e.tlb, &d, a, 16, SWIOTLB_TO_DEVICE, 0) == 0);
		CHECK(swiotlb_unmap(e.tlb, &d, b, 16, SWIOTLB_TO_DEVICE, 0) == 0);
		swiotlb_get_stats(e.tlb, -1, &after);
		CHECK_EQ_U64(after.used, 0);
		env_check(&e);
		env_fini(&e);
	}
	env_policy = "linux";
}

/* What swiotlb_max_mapping_size promises, worked out per device shape: the
 * kernel's 256 KiB less roundup(min_align_mask, 2048) (docs/kernel-semantics.md §3.1),
 * bounded by what a boundary window holds from the worst legal start, and
 * overflow-free. */
static void test_max_mapping_size(void)
{
	const struct {
		uint64_t min_align, boundary;
		size_t want;
	} t[] = {
		{ 0, 0, 262144 },
		{ 0xfff, 0, 262144 - 4096 },         /* NVMe: the kernel's 252 KiB */
		{ 0x1ff, 0, 262144 - 2048 },         /* the kernel rounds a sub-slot mask up to a slot */
		{ 0x1ffff, 0, 262144 - 131072 },     /* a start up to 63 slots into the segment */
		{ 0x3ffff, 0, 0 },                   /* the period is a whole segment: nothing guaranteed */
		{ ~0ull, 0, 0 },                     /* roundup(~0, 2048) wrapped to 0: it said 262144 */
		{ 0, 0xffff, 65536 },                /* 32-slot windows */
		{ 0xfff, 0xffff, 31 * 2048 - 2047 }, /* odd start: 31 slots of a window, less the offset */
		{ 0, 0x7ff, 2048 },                  /* one-slot windows */
		{ 0x1ff, 0x7ff, 2048 - 0x1ff },      /* ... less the in-slot offset */
		{ 0xfff, 0x7ff, 1 },                 /* ... the whole slot but a byte */
		{ 0, ~0ull, 262144 },
		{ 0, 0x3ff, 0 },                     /* a window inside a slot: every map is invalid */
		{ 0x1001, 0, 0 },                    /* not a low mask: invalid */
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct swiotlb_device d;
		make_dev(&d, "dev", 64, true);
		d.min_align_mask = t[i].min_align;
		d.seg_boundary_mask = t[i].boundary;
		size_t got = swiotlb_max_mapping_size(&d);
		if (got != t[i].want)
			fprintf(stderr, "min_align 0x%llx boundary 0x%llx: max_mapping_size %zu, want %zu\n",
				(unsigned long long)t[i].min_align, (unsigned long long)t[i].boundary, got, t[i].want);
		CHECK(got == t[i].want);
	}
	CHECK(swiotlb_max_mapping_size(NULL) == 0);
}

/* The copy table of §3.2, byte for byte. */
static void test_copy_rules(void)
{
	struct env e;
	struct swiotlb_device d;
	uint64_t dma = 0;
	const uint64_t O = 0x30000;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "dev", 64, true);

	for (int dir = 0; dir <= 2; dir++) {
		/* map copies original -> bounce in every direction (CVE-2022-0854) */
		env_fill(&e, P0, 8 * 2048, 0xee);
		env_fill(&e, O, 1000, 0xab);
		CHECK(env_map(&e, &d, O, 1000, dir, 0, 0, &dma) == 0);
		CHECK(env_differs(&e, dma, 1000, 0xab) == -1);
		/* the device writes the bounce buffer */
		env_fill(&e, dma, 1000, 0xcd);
		/* sync_for_device: copies orig->bounce for TO/BIDI, nothing for FROM */
		CHECK(swiotlb_sync_for_device(e.tlb, &d, dma, 1000, dir) == 0);
		if (dir == SWIOTLB_FROM_DEVICE)
			CHECK(env_differs(&e, dma, 1000, 0xcd) == -1);
		else
			CHECK(env_differs(&e, dma, 1000, 0xab) == -1);
		env_fill(&e, dma, 1000, 0xcd);
		/* sync_for_cpu: bounce->orig for FROM/BIDI, nothing for TO */
		CHECK(swiotlb_sync_for_cpu(e.tlb, &d, dma, 1000, dir) == 0);
		CHECK(env_differs(&e, O, 1000, dir == SWIOTLB_TO_DEVICE ? 0xab : 0xcd) == -1);
		/* unmap: bounce->orig for FROM/BIDI */
		env_fill(&e, O, 1000, 0xab);
		env_fill(&e, dma, 1000, 0x5a);
		CHECK(swiotlb_unmap(e.tlb, &d, dma, 1000, dir, 0) == 0);
		CHECK(env_differs(&e, O, 1000, dir == SWIOTLB_TO_DEVICE ? 0xab : 0x5a) == -1);
		/* unmap with SKIP_CPU_SYNC copies nothing back */
		CHECK(env_map(&e, &d, O, 1000, dir, 0, 0, &dma) == 0);
		env_fill(&e, dma, 1000, 0x77);
		CHECK(swiotlb_unmap(e.tlb, &d, dma, 1000, dir, SWIOTLB_ATTR_SKIP_CPU_SYNC) == 0);
		CHECK(env_differs(&e, O, 1000, dir == SWIOTLB_TO_DEVICE ? 0xab : 0x5a) == -1);
	}
	/* bytes outside the mapping are never touched */
	env_fill(&e, O - 16, 16, 0x11);
	env_fill(&e, O + 1000, 16, 0x22);
	CHECK(env_map(&e, &d, O, 1000, SWIOTLB_BIDIRECTIONAL, 0, 0, &dma) == 0);
	env_fill(&e, dma - (dma & 0x7ff), 2048, 0x99);
	CHECK(swiotlb_unmap(e.tlb, &d, dma, 1000, SWIOTLB_BIDIRECTIONAL, 0) == 0);
	CHECK(env_differs(&e, O - 16, 16, 0x11) == -1);
	CHECK(env_differs(&e, O + 1000, 16, 0x22) == -1);

	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, 0, &st);
	CHECK_EQ_U64(st.maps, 7);
	CHECK_EQ_U64(st.unmaps, 7);
	/* to device: 7 maps x 1000 + 2 sync_for_device x 1000 (TO, BIDI) */
	CHECK_EQ_U64(st.bytes_to_device, 9000);
	/* from device: sync_for_cpu FROM/BIDI + unmap FROM/BIDI + the last BIDI unmap */
	CHECK_EQ_U64(st.bytes_from_device, 5000);
	env_fini(&e);
}

/* Partial syncs, including an address in the first bytes of a later slot
 * (the kernel's signed adjustment, §2.6), and range errors. */
static void test_partial_sync(void)
{
	struct env e;
	struct swiotlb_device nvme;
	uint64_t dma;
	const uint64_t O = 0x52345; /* low 12 bits 0x345 */
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	swiotlb_device_init(&nvme, "nvme0", ~0ull);
	nvme.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	nvme.min_align_mask = 0xfff;

	env_fill(&e, O, 5000, 0x00);
	CHECK(env_map(&e, &nvme, O, 5000, SWIOTLB_FROM_DEVICE, 0, 0, &dma) == 0);
	CHECK_EQ_U64(dma, P0 + 0x345);
	uint8_t *bounce = env_mem(&e, dma, 5000);
	for (int i = 0; i < 5000; i++)
		bounce[i] = (uint8_t)(i * 7 + 1);
	/* second slot starts 2048 - 0x345 = 1211 bytes into the mapping; sync 100
	 * bytes from 16 bytes into that slot, which lies before the second slot's
	 * "aligned start" in the kernel's arithmetic */
	size_t rel = 2048 - 0x345 + 16;
	CHECK(swiotlb_sync_for_cpu(e.tlb, &nvme, dma + rel, 100, SWIOTLB_FROM_DEVICE) == 0);
	const uint8_t *orig = env_mem(&e, O, 5000);
	int bad = 0;
	for (size_t i = 0; i < 5000; i++) {
		uint8_t want = (i >= rel && i < rel + 100) ? (uint8_t)(i * 7 + 1) : 0;
		bad += orig[i] != want;
	}
	CHECK(bad == 0);
	/* out of range: past the end, before the start, too long */
	CHECK(swiotlb_sync_for_cpu(e.tlb, &nvme, dma + 4990, 11, SWIOTLB_FROM_DEVICE) == SWIOTLB_ERANGE);
	CHECK(swiotlb_sync_for_cpu(e.tlb, &nvme, dma - 1, 2, SWIOTLB_FROM_DEVICE) == SWIOTLB_ERANGE);
	CHECK(swiotlb_sync_for_device(e.tlb, &nvme, dma, 5001, SWIOTLB_FROM_DEVICE) == SWIOTLB_ERANGE);
	/* the last byte exactly */
	CHECK(swiotlb_sync_for_cpu(e.tlb, &nvme, dma + 4999, 1, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(orig[4999] == (uint8_t)(4999 * 7 + 1));
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.fail_range, 3);
	CHECK(swiotlb_unmap(e.tlb, &nvme, dma, 5000, SWIOTLB_FROM_DEVICE, 0) == 0);
	env_check(&e);
	env_fini(&e);
}

/* The kernel frees whatever the metadata says; we refuse and change nothing. */
static void test_validated_unmap(void)
{
	struct env e;
	struct swiotlb_device d, other;
	uint64_t a = 0, b = 0;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "dev", 64, true);
	make_dev(&other, "other", 64, true);
	CHECK(env_map(&e, &d, 0x5000, 3000, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0);
	CHECK(env_map(&e, &d, 0x6000, 100, SWIOTLB_BIDIRECTIONAL, 0, 0, &b) == 0);
	env_fill(&e, 0x6000, 100, 0x42);
	env_fill(&e, b, 100, 0x43);
	struct swiotlb_stats before, after;
	swiotlb_get_stats(e.tlb, 0, &before);

	CHECK(swiotlb_unmap(e.tlb, &d, a + 1, 2999, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);  /* not a start */
	CHECK(swiotlb_unmap(e.tlb, &d, a + 0x800, 952, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED); /* second slot */
	CHECK(swiotlb_unmap(e.tlb, &d, a, 2999, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);      /* wrong size */
	CHECK(swiotlb_unmap(e.tlb, &other, a, 3000, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);  /* wrong device */
	CHECK(swiotlb_unmap(e.tlb, &d, a, 3000, SWIOTLB_FROM_DEVICE, 0) == SWIOTLB_ENOTMAPPED);    /* wrong direction */
	CHECK(swiotlb_unmap(e.tlb, &d, P0 + 0x2000, 100, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED); /* free slot */
	CHECK(swiotlb_sync_for_cpu(e.tlb, &other, b, 10, SWIOTLB_BIDIRECTIONAL) == SWIOTLB_ENOTMAPPED);
	swiotlb_get_stats(e.tlb, 0, &after);
	CHECK_EQ_U64(after.used, before.used);
	CHECK_EQ_U64(after.bytes_from_device, before.bytes_from_device);
	CHECK(env_differs(&e, 0x6000, 100, 0x42) == -1); /* nothing copied back */
	env_check(&e);

	CHECK(swiotlb_unmap(e.tlb, &d, a, 3000, SWIOTLB_TO_DEVICE, 0) == 0);
	/* double unmap */
	CHECK(swiotlb_unmap(e.tlb, &d, a, 3000, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);
	/* after reuse by someone else, the stale handle still cannot free it */
	uint64_t c = 0;
	CHECK(env_map(&e, &other, 0x7000, 3000, SWIOTLB_TO_DEVICE, 0, 0, &c) == 0);
	CHECK(swiotlb_unmap(e.tlb, &d, c, 3000, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);
	/* an address outside every pool is a direct mapping: nothing to do */
	CHECK(swiotlb_unmap(e.tlb, &d, 0x9000, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	swiotlb_get_stats(e.tlb, -1, &after);
	CHECK_EQ_U64(after.fail_not_mapped, 9);
	CHECK(swiotlb_unmap(e.tlb, &other, c, 3000, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(swiotlb_unmap(e.tlb, &d, b, 100, SWIOTLB_BIDIRECTIONAL, 0) == 0);
	CHECK(env_differs(&e, 0x6000, 100, 0x43) == -1);

	/* a one-slot record keeps size-1 in 11 bits with the direction above
	 * it: a claimed size past the slot must not carry into the direction */
	CHECK(env_map(&e, &d, 0x8000, 100, SWIOTLB_TO_DEVICE, 0, 0, &c) == 0);
	CHECK(swiotlb_unmap(e.tlb, &d, c, 100 + 2048, SWIOTLB_BIDIRECTIONAL, SWIOTLB_ATTR_SKIP_CPU_SYNC) ==
	      SWIOTLB_ENOTMAPPED);
	CHECK(swiotlb_unmap(e.tlb, &d, c, 100 + 4096, SWIOTLB_TO_DEVICE, SWIOTLB_ATTR_SKIP_CPU_SYNC) ==
	      SWIOTLB_ENOTMAPPED);
	CHECK(swiotlb_unmap(e.tlb, &d, c, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	env_check(&e);
	swiotlb_get_stats(e.tlb, 0, &after);
	CHECK_EQ_U64(after.used, 0);
	env_fini(&e);
}

/* The same checks under every policy: the fast one answers plain unmaps in
 * its express lane, which must refuse exactly what the general path does. */
static void test_validated_unmap_policies(void)
{
	static const char *const names[] = { "linux", "fast" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		env_policy = names[i];
		test_validated_unmap();
	}
	env_policy = "linux";
}

/* The bounce decision of §3.4 and transparent pool choice by device limit. */
static void test_bounce_decision_and_pools(void)
{
	struct env e;
	struct swiotlb_device d64, d32, d24, forced, bus;
	uint64_t dma;
	struct swiotlb_map_args a = { .size = 4096, .dir = SWIOTLB_TO_DEVICE, .cpu = 0 };
	struct swiotlb_map_result r;
	const uint64_t HI = 0x100100000ull;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "low", 0x1000000, 8, 1) == 0);
	REQUIRE(env_pool(&e, "high", HI, 8, 1) == 1);
	make_dev(&d64, "d64", 64, false);
	make_dev(&d32, "d32", 32, false);
	make_dev(&d24, "d24", 24, false);
	make_dev(&forced, "forced", 64, true);
	make_dev(&bus, "bus", 64, false);
	bus.bus_dma_limit = 0xffffffff;

	/* reachable and not forced: direct */
	a.orig = 0x200000000ull;
	CHECK(swiotlb_map_ex(e.tlb, &d64, &a, &r) == 0);
	CHECK(!r.bounced && r.dma == a.orig && r.pool == -1);
	CHECK(swiotlb_unmap(e.tlb, &d64, r.dma, 4096, SWIOTLB_TO_DEVICE, 0) == 0);
	/* above a 32-bit mask: bounced into the only pool it reaches */
	CHECK(swiotlb_map_ex(e.tlb, &d32, &a, &r) == 0);
	CHECK(r.bounced && r.pool == 0 && r.dma == 0x1000000 && r.slots == 2);
	/* the bus limit counts too (min_not_zero) */
	CHECK(swiotlb_map_ex(e.tlb, &bus, &a, &r) == 0);
	CHECK(r.bounced && r.pool == 0 && r.dma == 0x1001000); /* cursor 2, page aligned */
	/* a 64-bit forced device prefers the highest pool */
	a.orig = 0x3000;
	CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == 0);
	CHECK(r.bounced && r.pool == 1 && r.dma == HI);
	/* a device limit below every pool: unreachable */
	a.orig = 0x2000000;
	CHECK(swiotlb_map_ex(e.tlb, &d24, &a, &r) == SWIOTLB_EUNREACHABLE);
	/* high pool full -> falls back to low */
	for (int i = 0; i < 3; i++)
		CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == 0 && r.pool == 1);
	CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == 0);
	CHECK(r.pool == 0 && r.dma == 0x1002000); /* low pool cursor 4 */
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.fail_unreachable, 1);
	CHECK_EQ_U64(st.used, 14);
	env_check(&e);
	(void)dma;
	env_fini(&e);

	/* the same with fallback switched off: the high pool's failure is final */
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.no_fallback = true;
	env_init_cfg(&e, &cfg);
	REQUIRE(env_pool(&e, "low", 0x1000000, 8, 1) == 0);
	REQUIRE(env_pool(&e, "high", HI, 8, 1) == 1);
	a.orig = 0x3000;
	for (int i = 0; i < 4; i++)
		CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == 0 && r.pool == 1);
	CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == SWIOTLB_EFULL);
	env_fini(&e);
}

/* Fallback through the fast policy's express lane: the lane finds the high
 * pool full, and the general path goes on to the low one without searching
 * the high one again -- or, with fallback off, reports it full. */
static void test_express_fallback(void)
{
	struct env e;
	struct swiotlb_device forced;
	struct swiotlb_map_args a = { .orig = 0x3000, .size = 4096, .dir = SWIOTLB_TO_DEVICE, .cpu = 0 };
	struct swiotlb_map_result r;
	struct swiotlb_stats st;
	const uint64_t HI = 0x100100000ull;
	make_dev(&forced, "forced", 64, true);
	env_policy = "fast";
	for (int fallback = 1; fallback >= 0; fallback--) {
		struct swiotlb_config cfg;
		swiotlb_config_init(&cfg);
		cfg.npools = 0;
		cfg.no_fallback = !fallback;
		env_init_cfg(&e, &cfg);
		REQUIRE(env_pool(&e, "low", 0x1000000, 8, 1) == 0);
		REQUIRE(env_pool(&e, "high", HI, 8, 1) == 1);
		for (int i = 0; i < 4; i++)
			CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == 0 && r.pool == 1);
		if (fallback) {
			CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == 0 && r.pool == 0 && r.dma >= 0x1000000 &&
			      r.dma < 0x1004000);
			swiotlb_get_stats(e.tlb, -1, &st);
			CHECK_EQ_U64(st.used, 10);
			CHECK_EQ_U64(st.fail_full, 0);
		} else {
			CHECK(swiotlb_map_ex(e.tlb, &forced, &a, &r) == SWIOTLB_EFULL);
			swiotlb_get_stats(e.tlb, 1, &st);
			CHECK_EQ_U64(st.fail_full, 1); /* blamed on the pool that was full */
			swiotlb_get_stats(e.tlb, -1, &st);
			CHECK_EQ_U64(st.used, 8);
		}
		env_check(&e);
		env_fini(&e);
	}
	env_policy = "linux";
}

/* Areas: the CPU picks the first area tried. */
static void test_areas(void)
{
	struct env e;
	struct swiotlb_device d;
	uint64_t dma;
	const uint64_t B = 0x1000000;
	env_init(&e, 4);
	REQUIRE(env_pool(&e, "p", B, 512, 4) == 0);
	make_dev(&d, "dev", 64, true);
	struct swiotlb_pool_info info;
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nareas, 4);
	CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 2, &dma) == 0);
	CHECK_EQ_U64(dma, B + 256 * 2048);
	CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 7, &dma) == 0); /* 7 & 3 = 3 */
	CHECK_EQ_U64(dma, B + 384 * 2048);
	/* fill area 3 completely (127 slots left), then cpu 3 spills into area 0 */
	for (int i = 0; i < 127; i++)
		CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 3, NULL) == 0);
	CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 3, &dma) == 0);
	CHECK_EQ_U64(dma, B);
	env_check(&e);
	env_fini(&e);
}

/* Scatter-gather rolls back on the first failure. */
static void test_sg(void)
{
	struct env e;
	struct swiotlb_device d;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "dev", 64, true);
	struct swiotlb_sg sg[3] = { { .phys = 0x5000, .length = 2048 },
				    { .phys = 0x6000, .length = 4096 },
				    { .phys = 0x8000, .length = 2048 } };
	env_fill(&e, 0x5000, 0x4000, 0x61);
	CHECK(swiotlb_map_sg(e.tlb, &d, sg, 3, SWIOTLB_BIDIRECTIONAL, 0) == 3);
	CHECK_EQ_U64(sg[0].dma, P0);
	CHECK_EQ_U64(sg[1].dma, P0 + 0x1000); /* page aligned: slot 1 skipped */
	CHECK_EQ_U64(sg[2].dma, P0 + 0x2000);
	env_fill(&e, sg[1].dma, 4096, 0x62);
	CHECK(swiotlb_sync_sg_for_cpu(e.tlb, &d, sg, 3, SWIOTLB_BIDIRECTIONAL) == 0);
	CHECK(env_differs(&e, 0x6000, 4096, 0x62) == -1);
	CHECK(swiotlb_unmap_sg(e.tlb, &d, sg, 3, SWIOTLB_BIDIRECTIONAL, 0) == 0);

	/* third entry cannot fit: everything mapped so far is released, and the
	 * originals are not overwritten by the rollback */
	struct swiotlb_sg big[3] = { { .phys = 0x5000, .length = 2048 },
				     { .phys = 0x6000, .length = 2048 },
				     { .phys = 0x8000, .length = 300000 } };
	env_fill(&e, 0x5000, 0x1000, 0x71);
	CHECK(swiotlb_map_sg(e.tlb, &d, big, 3, SWIOTLB_FROM_DEVICE, 0) == SWIOTLB_ETOOLARGE);
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, 0, &st);
	CHECK_EQ_U64(st.used, 0);
	CHECK(env_differs(&e, 0x5000, 0x1000, 0x71) == -1);
	env_check(&e);
	env_fini(&e);
}

/* Statistics, hiwater reset, the bounce event. */
static int nevents;
static char last_event[256];
static void on_event(void *arg, const struct swiotlb_bounce_event *ev, const char *line)
{
	(void)arg;
	(void)ev;
	nevents++;
	snprintf(last_event, sizeof(last_event), "%s", line);
}

static void test_stats_and_events(void)
{
	struct env e;
	struct swiotlb_device d;
	uint64_t a = 0, b = 0;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	swiotlb_device_init(&d, "0000:00:04.0", 0xffffffff);
	d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	swiotlb_set_event_hook(e.tlb, on_event, NULL);
	CHECK(env_map(&e, &d, 0x5000, 3000, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0);
	/* the device is force-bounced (like a device bound to a force_bounce mem) */
	CHECK_STR(last_event, "dev_name: 0000:00:04.0 dma_mask=ffffffff dev_addr=5000 size=3000 FORCE");
	CHECK(env_map(&e, &d, 0x6000, 100, SWIOTLB_TO_DEVICE, 0, 0, &b) == 0);
	CHECK(swiotlb_unmap(e.tlb, &d, a, 3000, SWIOTLB_TO_DEVICE, 0) == 0);
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.used, 1);
	CHECK_EQ_U64(st.used_hiwater, 3);
	CHECK(swiotlb_reset_hiwater(e.tlb, 5) == SWIOTLB_EINVAL);
	CHECK(swiotlb_reset_hiwater(e.tlb, 0) == 0);
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.used_hiwater, 0);
	CHECK(env_map(&e, &d, 0x7000, 100, SWIOTLB_TO_DEVICE, 0, 0, NULL) == 0);
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.used_hiwater, 2);
	CHECK(nevents == 3);
	/* bounced for its mask, not forced: NORMAL; a direct mapping: no event */
	struct swiotlb_device d32;
	swiotlb_device_init(&d32, "d32", 0xffffffff);
	CHECK(env_map(&e, &d32, 0x100000000ull, 64, SWIOTLB_TO_DEVICE, 0, 0, NULL) == 0);
	CHECK_STR(last_event, "dev_name: d32 dma_mask=ffffffff dev_addr=100000000 size=64 NORMAL");
	CHECK(env_map(&e, &d32, 0x8000, 64, SWIOTLB_TO_DEVICE, 0, 0, NULL) == 0);
	CHECK(nevents == 4);

	char text[4096], json[8192];
	size_t n = swiotlb_stats_text(e.tlb, text, sizeof(text));
	CHECK(n < sizeof(text));
	CHECK(strstr(text, "io_tlb_nslabs 8\n") != NULL);
	CHECK(strstr(text, "io_tlb_used 3\n") != NULL);
	CHECK(strstr(text, "io_tlb_used_hiwater 3\n") != NULL);
	n = swiotlb_stats_json(e.tlb, json, sizeof(json));
	CHECK(n < sizeof(json));
	CHECK(strstr(json, "\"io_tlb_nslabs\":8") != NULL);
	/* a short buffer reports the length needed and stays terminated */
	char small[16];
	CHECK(swiotlb_stats_json(e.tlb, small, sizeof(small)) == n);
	CHECK(strlen(small) == sizeof(small) - 1);

	env_fini(&e);

	/* rate limiting: 10 "full" lines, then silence; NO_WARN prints none */
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "q", 0x800000, 1, 1) == 0);
	CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 0, NULL) == 0);
	e.nlog = 0;
	for (int i = 0; i < 12; i++)
		CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 0, NULL) == SWIOTLB_EFULL);
	CHECK(env_logged(&e, "swiotlb buffer is full") == 10);
	env_fini(&e);
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "q", 0x800000, 1, 1) == 0);
	CHECK(env_map(&e, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, 0, NULL) == 0);
	struct swiotlb_map_args nw = { .orig = 0x5000, .size = 100, .attrs = SWIOTLB_ATTR_NO_WARN, .cpu = -1 };
	struct swiotlb_map_result r;
	e.nlog = 0;
	CHECK(swiotlb_map_ex(e.tlb, &d, &nw, &r) == SWIOTLB_EFULL);
	CHECK(env_logged(&e, "swiotlb buffer is full") == 0);
	env_fini(&e);
}

/* Every public entry point rejects bad input without touching the pool. */
static void test_bad_input(void)
{
	struct env e;
	struct swiotlb_device d, uninit;
	struct swiotlb_map_args a = { .orig = 0x5000, .size = 100, .dir = SWIOTLB_TO_DEVICE, .cpu = -1 };
	struct swiotlb_map_result r;
	uint64_t dma;
	env_init(&e, 1);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "dev", 64, true);
	memset(&uninit, 0, sizeof(uninit));
	uninit.dma_mask = ~0ull;

	CHECK(swiotlb_map_ex(NULL, &d, &a, &r) == SWIOTLB_EINVAL);
	CHECK(swiotlb_map_ex(e.tlb, NULL, &a, &r) == SWIOTLB_EINVAL);
	CHECK(swiotlb_map_ex(e.tlb, &uninit, &a, &r) == SWIOTLB_EINVAL);
	CHECK(swiotlb_map_ex(e.tlb, &d, NULL, &r) == SWIOTLB_EINVAL);
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, NULL) == SWIOTLB_EINVAL);
	a.size = 0;
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	a.size = 100;
	a.dir = 3;
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	a.dir = 0;
	a.attrs = 0x80;
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	a.attrs = 0;
	a.alloc_align_mask = 0x1001;
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	a.alloc_align_mask = 0;
	a.orig = ~0ull - 10;
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	a.orig = P0 + 0x100; /* inside the pool itself */
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	a.orig = 0x5000;
	a.cpu = -2;
	CHECK(swiotlb_map_ex(e.tlb, &d, &a, &r) == SWIOTLB_EINVAL);
	d.min_align_mask = 0x1001;
	CHECK(swiotlb_map(e.tlb, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_EINVAL);
	d.min_align_mask = 0;
	d.seg_boundary_mask = 0x1234;
	CHECK(swiotlb_map(e.tlb, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_EINVAL);
	d.seg_boundary_mask = 0;
	d.dma_mask = 0;
	CHECK(swiotlb_map(e.tlb, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_EINVAL);
	d.dma_mask = ~0ull;
	CHECK(swiotlb_map(e.tlb, &d, 0x5000, 100, SWIOTLB_TO_DEVICE, 0, NULL) == SWIOTLB_EINVAL);
	CHECK(swiotlb_unmap(e.tlb, &d, P0, 0, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_EINVAL);
	CHECK(swiotlb_unmap(e.tlb, &d, P0, 10, 7, 0) == SWIOTLB_EINVAL);
	CHECK(swiotlb_sync_for_cpu(e.tlb, &d, P0, 0, SWIOTLB_TO_DEVICE) == SWIOTLB_EINVAL);
	CHECK(swiotlb_map_sg(e.tlb, &d, NULL, 1, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_EINVAL);
	CHECK(swiotlb_get_stats(e.tlb, 5, NULL) == SWIOTLB_EINVAL);
	CHECK(swiotlb_get_stats(e.tlb, 5, &(struct swiotlb_stats){ 0 }) == SWIOTLB_EINVAL);
	CHECK(swiotlb_pool_info(e.tlb, 3, &(struct swiotlb_pool_info){ 0 }) == SWIOTLB_EINVAL);

	/* an original the platform cannot reach (outside the phys span): the
	 * slots are given back and the error says the platform failed */
	uint64_t beyond = swiotlb_posix_span(e.px) + 0x1000;
	CHECK(swiotlb_map(e.tlb, &d, beyond, 100, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_EPLATFORM);
	CHECK(strcmp(swiotlb_errname(SWIOTLB_EPLATFORM), "platform") == 0);

	/* bad pools: duplicate name, overlap, unaligned base, bad areas, unknown policy */
	CHECK(env_pool(&e, "p", 0x900000, 8, 1) == SWIOTLB_EBADCONFIG);
	CHECK(env_pool(&e, "o", P0 + 0x1000, 8, 1) == SWIOTLB_EBADCONFIG);
	CHECK(env_pool(&e, "u", 0x900800, 8, 1) == SWIOTLB_EBADCONFIG);
	CHECK(env_pool(&e, "a", 0x900000, 8, 3) == SWIOTLB_EBADCONFIG);
	CHECK(env_pool(&e, "b", 0x900000, 12, 8) == SWIOTLB_EBADCONFIG);
	CHECK(env_pool(&e, "bad name", 0x900000, 8, 1) == SWIOTLB_EBADCONFIG);
	struct swiotlb_pool_config pc;
	memset(&pc, 0, sizeof(pc));
	strcpy(pc.name, "x");
	strcpy(pc.policy, "nonesuch");
	pc.nslabs = 8;
	pc.exact = true;
	CHECK(swiotlb_pool_add(e.tlb, &pc) == SWIOTLB_EBADCONFIG);
	CHECK(swiotlb_pool_count(e.tlb) == 1);
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, -1, &st);
	CHECK_EQ_U64(st.used, 0);
	CHECK_EQ_U64(st.maps, 0);
	env_check(&e);

	/* bad configurations and platforms */
	struct swiotlb_config cfg;
	struct swiotlb *t;
	swiotlb_config_init(&cfg);
	CHECK(swiotlb_create(&cfg, NULL, &t) == SWIOTLB_EINVAL);
	struct swiotlb_platform plat = e.plat;
	plat.pool_alloc = NULL;
	CHECK(swiotlb_create(&cfg, &plat, &t) == SWIOTLB_EINVAL);
	cfg.size = 3;
	CHECK(swiotlb_create(&cfg, &e.plat, &t) == SWIOTLB_EINVAL);
	swiotlb_config_init(&cfg);
	strcpy(cfg.policy, "nonesuch");
	CHECK(swiotlb_create(&cfg, &e.plat, &t) == SWIOTLB_EBADCONFIG);
	CHECK(strcmp(swiotlb_errname(SWIOTLB_ETOOLARGE), "too_large") == 0);
	CHECK(strcmp(swiotlb_errname(SWIOTLB_ENOTMAPPED), "not_mapped") == 0);
	CHECK(swiotlb_version() == SWIOTLB_VERSION);
	env_fini(&e);
}

int main(void)
{
	test_cursor_and_alignment();
	test_min_align_and_padding();
	test_too_large();
	test_door_masks_and_overlap();
	test_max_mapping_size();
	test_copy_rules();
	test_partial_sync();
	test_validated_unmap_policies();
	test_bounce_decision_and_pools();
	test_express_fallback();
	test_areas();
	test_sg();
	test_stats_and_events();
	test_bad_input();
	return check_done("test_map");
}
