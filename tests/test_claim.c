/* SPDX-License-Identifier: MIT */
/*
 * Unmaps and syncs claim a mapping before they copy (docs/reliability.md):
 *
 *  - a second unmap of a mapping whose unmap is copying is refused before
 *    it writes a byte, and its slots go to nobody else until the copy ends
 *    (re-entering the library from the platform's copy callback makes the
 *    race deterministic);
 *  - an unmap that arrives while a sync copies waits for nothing and loses
 *    nothing: the slots are freed when the last of them is done;
 *  - ownership is exact: devices whose ids agree in their low 6 or 16 bits
 *    cannot unmap or sync each other's mappings, under either policy;
 *  - a sync in a direction the mapping does not allow is refused;
 *  - a copy that cannot reach the whole original copies nothing and leaves
 *    the mapping live (unmap, sync) or unmade (map), and says why;
 *  - a pool whose unshare fails at teardown is leaked, counted and logged.
 */
#include "testlib.h"

static const char *policies[] = { "linux", "fast" };

/* ---------------------------------------------------------------- fixture */

/* The platform's copy and translation, wrapped: a hook runs inside the copy
 * (to re-enter the library mid-operation), and a hole makes part of the
 * phys space untranslatable. */
static struct {
	struct swiotlb_platform real;
	void (*hook)(void);
	bool in_hook;
	uint64_t hole_lo, hole_hi;     /* [lo, hi) cannot be translated when lo < hi */
	uint8_t *watch;                /* count copies that write into [watch, watch+watch_len) */
	size_t watch_len;
	int watch_writes;
	int share_fail, unshare_fail;  /* fail the next share / unshare */
	int pool_frees;
} fx;

static void fx_copy(void *ctx, void *dst, const void *src, size_t n)
{
	if (fx.real.copy)
		fx.real.copy(ctx, dst, src, n);
	else
		memcpy(dst, src, n);
	if (fx.watch && (uint8_t *)dst < fx.watch + fx.watch_len && (uint8_t *)dst + n > fx.watch)
		fx.watch_writes++;
	if (fx.hook && !fx.in_hook) {
		fx.in_hook = true;
		fx.hook();
		fx.in_hook = false;
	}
}

static void *fx_phys_to_cpu(void *ctx, uint64_t phys, size_t len, size_t *contig)
{
	if (fx.hole_lo < fx.hole_hi) {
		if (phys >= fx.hole_lo && phys < fx.hole_hi)
			return NULL;
		if (phys < fx.hole_lo && phys + len > fx.hole_lo)
			len = (size_t)(fx.hole_lo - phys); /* up to the hole, then the caller asks again */
	}
	return fx.real.phys_to_cpu(ctx, phys, len, contig);
}

static int fx_share(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)ctx, (void)phys, (void)cpu, (void)bytes;
	return fx.share_fail-- > 0 ? -1 : 0;
}

static int fx_unshare(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)ctx, (void)phys, (void)cpu, (void)bytes;
	return fx.unshare_fail-- > 0 ? -1 : 0;
}

static void fx_pool_free(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	fx.pool_frees++;
	fx.real.pool_free(ctx, phys, cpu, bytes);
}

static struct env E;

static void fx_init(const char *policy, bool sharing)
{
	struct swiotlb_config cfg;
	memset(&fx, 0, sizeof(fx));
	memset(&E, 0, sizeof(E));
	REQUIRE(swiotlb_posix_create(NULL, &E.px) == 0);
	swiotlb_posix_set_log(E.px, env_log, &E);
	swiotlb_posix_platform(E.px, &E.plat);
	fx.real = E.plat;
	E.plat.copy = fx_copy;
	E.plat.phys_to_cpu = fx_phys_to_cpu;
	E.plat.pool_free = fx_pool_free;
	if (sharing) {
		E.plat.share = fx_share;
		E.plat.unshare = fx_unshare;
	}
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	REQUIRE(swiotlb_create(&cfg, &E.plat, &E.tlb) == 0);
	env_policy = policy;
	REQUIRE(env_pool(&E, "p", 0x100000, 8, 1) == 0);
}

static uint64_t used_slots(void)
{
	struct swiotlb_stats st;
	REQUIRE(swiotlb_get_stats(E.tlb, -1, &st) == 0);
	return st.used;
}

static uint8_t *bounce(uint64_t dma, size_t n)
{
	return env_mem(&E, dma, n); /* identity dma <-> phys on the POSIX platform */
}

/* ------------------------------------------- racing unmaps, deterministic */

static uint64_t A_dma, C_dma;
static int nested_unmap_rc, nested_sync_rc, nested_map_rc;

static struct swiotlb_device dev_a, dev_c;

/* Inside the copy-back of unmap(A): a duplicate unmap, a sync, and a map by
 * another device that would get A's slots if they were free already. */
static void hook_during_unmap(void)
{
	fx.hook = NULL;
	nested_unmap_rc = swiotlb_unmap(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE, 0);
	nested_sync_rc = swiotlb_sync_for_cpu(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE);
	env_fill(&E, 0x300000, 100, 0xcc);
	nested_map_rc = swiotlb_map(E.tlb, &dev_c, 0x300000, 100, SWIOTLB_TO_DEVICE, 0, &C_dma);
}

static void test_duplicate_unmap(const char *policy)
{
	fx_init(policy, false);
	swiotlb_device_init(&dev_a, "a", swiotlb_bit_mask(64));
	swiotlb_device_init(&dev_c, "c", swiotlb_bit_mask(64));
	dev_a.flags = dev_c.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	env_fill(&E, 0x200000, 100, 0x11);
	REQUIRE(swiotlb_map(E.tlb, &dev_a, 0x200000, 100, SWIOTLB_FROM_DEVICE, 0, &A_dma) == 0);
	memset(bounce(A_dma, 100), 0xaa, 100); /* the device writes */

	fx.watch = env_mem(&E, 0x200000, 100);
	fx.watch_len = 100;
	fx.hook = hook_during_unmap;
	int rc = swiotlb_unmap(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE, 0);
	fx.watch = NULL;
	CHECK_EQ_U64(rc, 0);
	CHECK_EQ_U64(nested_unmap_rc, SWIOTLB_ENOTMAPPED);
	CHECK_EQ_U64(nested_sync_rc, SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&E, "already being unmapped") == 2);
	CHECK_EQ_U64(fx.watch_writes, 1); /* only the winning unmap wrote A's original */
	CHECK(env_differs(&E, 0x200000, 100, 0xaa) == -1);
	CHECK_EQ_U64(nested_map_rc, 0);
	CHECK(C_dma != A_dma); /* A's slots were still A's */
	CHECK(env_differs(&E, C_dma, 100, 0xcc) == -1);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE, 0), SWIOTLB_ENOTMAPPED);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &dev_c, C_dma, 100, SWIOTLB_TO_DEVICE, 0), 0);
	CHECK_EQ_U64(used_slots(), 0);
	env_check(&E);
	env_fini(&E);
}

/* Inside the copy of sync_for_cpu(A): the driver unmaps A (with copy-back),
 * then another device maps.  The unmap succeeds; A's slots stay A's until
 * the sync is done, then are freed by it. */
static int nested_unmap_ok_rc;
static void hook_during_sync(void)
{
	fx.hook = NULL;
	nested_unmap_ok_rc = swiotlb_unmap(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE, 0);
	env_fill(&E, 0x300000, 100, 0xcc);
	nested_map_rc = swiotlb_map(E.tlb, &dev_c, 0x300000, 100, SWIOTLB_TO_DEVICE, 0, &C_dma);
}

static void test_unmap_during_sync(const char *policy)
{
	fx_init(policy, false);
	swiotlb_device_init(&dev_a, "a", swiotlb_bit_mask(64));
	swiotlb_device_init(&dev_c, "c", swiotlb_bit_mask(64));
	dev_a.flags = dev_c.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	REQUIRE(swiotlb_map(E.tlb, &dev_a, 0x200000, 100, SWIOTLB_FROM_DEVICE, 0, &A_dma) == 0);
	memset(bounce(A_dma, 100), 0xaa, 100);
	fx.hook = hook_during_sync;
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE), 0);
	CHECK_EQ_U64(nested_unmap_ok_rc, 0);
	CHECK_EQ_U64(nested_map_rc, 0);
	CHECK(C_dma != A_dma);
	CHECK(env_differs(&E, 0x200000, 100, 0xaa) == -1);
	CHECK_EQ_U64(used_slots(), 1); /* A freed by the sync's end; C lives */
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE), SWIOTLB_ENOTMAPPED);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &dev_c, C_dma, 100, SWIOTLB_TO_DEVICE, 0), 0);
	CHECK_EQ_U64(used_slots(), 0);
	struct swiotlb_stats st;
	REQUIRE(swiotlb_get_stats(E.tlb, -1, &st) == 0);
	CHECK_EQ_U64(st.unmaps, 2);
	env_check(&E);
	env_fini(&E);
}

/* An unmap that copies nothing, inside a sync's copy: it cannot free the
 * slots under the sync either. */
static void hook_skip_unmap(void)
{
	fx.hook = NULL;
	nested_unmap_ok_rc = swiotlb_unmap(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE, SWIOTLB_ATTR_SKIP_CPU_SYNC);
	nested_map_rc = swiotlb_map(E.tlb, &dev_c, 0x300000, 100, SWIOTLB_TO_DEVICE, 0, &C_dma);
}

static void test_skip_unmap_during_sync(const char *policy)
{
	fx_init(policy, false);
	swiotlb_device_init(&dev_a, "a", swiotlb_bit_mask(64));
	swiotlb_device_init(&dev_c, "c", swiotlb_bit_mask(64));
	dev_a.flags = dev_c.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	REQUIRE(swiotlb_map(E.tlb, &dev_a, 0x200000, 100, SWIOTLB_FROM_DEVICE, 0, &A_dma) == 0);
	fx.hook = hook_skip_unmap;
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &dev_a, A_dma, 100, SWIOTLB_FROM_DEVICE), 0);
	CHECK_EQ_U64(nested_unmap_ok_rc, 0);
	CHECK_EQ_U64(nested_map_rc, 0);
	CHECK(C_dma != A_dma);
	CHECK_EQ_U64(used_slots(), 1);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &dev_c, C_dma, 100, SWIOTLB_TO_DEVICE, 0), 0);
	env_check(&E);
	env_fini(&E);
}

/* ------------------------------------------------------- exact ownership */

static void test_exact_owner(const char *policy)
{
	static const size_t sizes[] = { 100, 2048, 3000, 9000 };
	static const enum swiotlb_dir dirs[] = { SWIOTLB_TO_DEVICE, SWIOTLB_FROM_DEVICE };
	fx_init(policy, false);
	struct swiotlb_device owner, low6, low16;
	swiotlb_device_init(&owner, "owner", swiotlb_bit_mask(64));
	low6 = owner;
	low16 = owner;
	owner.id = 0x12345;
	low6.id = owner.id + 64;        /* same low 6 bits */
	low16.id = owner.id + 0x10000;  /* same low 16 bits */
	low6.name = "low6";
	low16.name = "low16";
	owner.flags = low6.flags = low16.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t d = 0; d < 2; d++) {
			uint64_t dma;
			env_fill(&E, 0x200000, sizes[s], 0x11);
			REQUIRE(swiotlb_map(E.tlb, &owner, 0x200000, sizes[s], dirs[d], 0, &dma) == 0);
			memset(bounce(dma, sizes[s]), 0xee, sizes[s]);
			const struct swiotlb_device *others[] = { &low6, &low16 };
			for (int o = 0; o < 2; o++) {
				CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, others[o], dma, sizes[s], dirs[d]), SWIOTLB_ENOTMAPPED);
				CHECK_EQ_U64(swiotlb_sync_for_device(E.tlb, others[o], dma, sizes[s], dirs[d]),
					     SWIOTLB_ENOTMAPPED);
				CHECK_EQ_U64(swiotlb_unmap(E.tlb, others[o], dma, sizes[s], dirs[d], 0), SWIOTLB_ENOTMAPPED);
				CHECK_EQ_U64(swiotlb_unmap(E.tlb, others[o], dma, sizes[s], dirs[d], SWIOTLB_ATTR_SKIP_CPU_SYNC),
					     SWIOTLB_ENOTMAPPED);
			}
			CHECK(env_differs(&E, 0x200000, sizes[s], 0x11) == -1); /* no refused call wrote */
			CHECK(env_differs(&E, dma, sizes[s], 0xee) == -1);
			CHECK_EQ_U64(used_slots(), (sizes[s] + 2047) / 2048);
			CHECK_EQ_U64(swiotlb_unmap(E.tlb, &owner, dma, sizes[s], dirs[d], 0), 0);
		}
	}
	struct swiotlb_stats st;
	REQUIRE(swiotlb_get_stats(E.tlb, -1, &st) == 0);
	CHECK_EQ_U64(st.fail_not_mapped, 64);
	CHECK(env_logged(&E, "belongs to another device") >= 1);
	CHECK_EQ_U64(used_slots(), 0);
	env_check(&E);
	env_fini(&E);
}

/* ------------------------------------------------------- sync direction */

static void test_sync_direction(const char *policy)
{
	fx_init(policy, false);
	struct swiotlb_device d;
	swiotlb_device_init(&d, "d", swiotlb_bit_mask(64));
	d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	uint64_t dma, bidi;
	env_fill(&E, 0x200000, 300, 0x11);
	REQUIRE(swiotlb_map(E.tlb, &d, 0x200000, 300, SWIOTLB_TO_DEVICE, 0, &dma) == 0);
	memset(bounce(dma, 300), 0xee, 300);
	/* device bytes must not reach a TO_DEVICE original through a sync that
	 * claims another direction */
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &d, dma, 300, SWIOTLB_FROM_DEVICE), SWIOTLB_ENOTMAPPED);
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &d, dma, 300, SWIOTLB_BIDIRECTIONAL), SWIOTLB_ENOTMAPPED);
	CHECK_EQ_U64(swiotlb_sync_for_device(E.tlb, &d, dma + 10, 20, SWIOTLB_FROM_DEVICE), SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&E, "direction differs from the mapping's") == 3);
	CHECK(env_differs(&E, 0x200000, 300, 0x11) == -1);
	CHECK(env_differs(&E, dma, 300, 0xee) == -1);
	/* its own direction is fine (and copies nothing back for the CPU) */
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &d, dma, 300, SWIOTLB_TO_DEVICE), 0);
	CHECK(env_differs(&E, 0x200000, 300, 0x11) == -1);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &d, dma, 300, SWIOTLB_TO_DEVICE, 0), 0);

	/* a bidirectional mapping may be synced either way */
	REQUIRE(swiotlb_map(E.tlb, &d, 0x200000, 300, SWIOTLB_BIDIRECTIONAL, 0, &bidi) == 0);
	memset(bounce(bidi, 300), 0x77, 300);
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &d, bidi, 300, SWIOTLB_FROM_DEVICE), 0);
	CHECK(env_differs(&E, 0x200000, 300, 0x77) == -1);
	env_fill(&E, 0x200000, 300, 0x22);
	CHECK_EQ_U64(swiotlb_sync_for_device(E.tlb, &d, bidi, 300, SWIOTLB_TO_DEVICE), 0);
	CHECK(env_differs(&E, bidi, 300, 0x22) == -1);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &d, bidi, 300, SWIOTLB_BIDIRECTIONAL, SWIOTLB_ATTR_SKIP_CPU_SYNC), 0);
	env_check(&E);
	env_fini(&E);
}

/* ----------------------------------------------- copies that cannot reach */

static void test_copy_fault(const char *policy)
{
	fx_init(policy, false);
	struct swiotlb_device d;
	swiotlb_device_init(&d, "d", swiotlb_bit_mask(64));
	d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	uint64_t dma;
	env_fill(&E, 0x200000, 8192, 0x11);

	/* map: the original's second page cannot be reached */
	fx.hole_lo = 0x201000, fx.hole_hi = 0x202000;
	CHECK_EQ_U64(swiotlb_map(E.tlb, &d, 0x200000, 8192, SWIOTLB_TO_DEVICE, 0, &dma), SWIOTLB_EPLATFORM);
	CHECK_EQ_U64(used_slots(), 0);
	CHECK(env_logged(&E, "is not accessible") == 1);
	/* refused before a slot was taken: not even the high-water mark moved */
	struct swiotlb_stats st;
	REQUIRE(swiotlb_get_stats(E.tlb, -1, &st) == 0);
	CHECK_EQ_U64(st.used_hiwater, 0);
	CHECK_EQ_U64(st.maps, 0);
	REQUIRE(swiotlb_get_stats(E.tlb, 0, &st) == 0);
	CHECK_EQ_U64(st.used_hiwater, 0);

	/* unmap: nothing copied back, the mapping stays live and can be unmapped
	 * again once the original is reachable */
	fx.hole_lo = fx.hole_hi = 0;
	REQUIRE(swiotlb_map(E.tlb, &d, 0x200000, 8192, SWIOTLB_FROM_DEVICE, 0, &dma) == 0);
	memset(bounce(dma, 8192), 0xee, 8192);
	fx.hole_lo = 0x201000, fx.hole_hi = 0x202000;
	CHECK_EQ_U64(swiotlb_sync_for_cpu(E.tlb, &d, dma, 8192, SWIOTLB_FROM_DEVICE), SWIOTLB_EPLATFORM);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &d, dma, 8192, SWIOTLB_FROM_DEVICE, 0), SWIOTLB_EPLATFORM);
	fx.hole_lo = fx.hole_hi = 0;
	CHECK(env_differs(&E, 0x200000, 8192, 0x11) == -1); /* not one byte of the first page */
	CHECK_EQ_U64(used_slots(), 4);
	env_check(&E);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &d, dma, 8192, SWIOTLB_FROM_DEVICE, 0), 0);
	CHECK(env_differs(&E, 0x200000, 8192, 0xee) == -1);
	CHECK_EQ_U64(used_slots(), 0);

	/* the other way out: drop the data */
	REQUIRE(swiotlb_map(E.tlb, &d, 0x200000, 8192, SWIOTLB_FROM_DEVICE, 0, &dma) == 0);
	fx.hole_lo = 0x200000, fx.hole_hi = 0x201000;
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &d, dma, 8192, SWIOTLB_FROM_DEVICE, 0), SWIOTLB_EPLATFORM);
	CHECK_EQ_U64(swiotlb_unmap(E.tlb, &d, dma, 8192, SWIOTLB_FROM_DEVICE, SWIOTLB_ATTR_SKIP_CPU_SYNC), 0);
	fx.hole_lo = fx.hole_hi = 0;
	CHECK_EQ_U64(used_slots(), 0);
	env_check(&E);
	env_fini(&E);
}

/* --------------------------------------------------- a failed unshare */

static void test_unshare_failure(void)
{
	fx_init("fast", true);
	int frees = fx.pool_frees;
	/* a share that fails may have converted part of the range: it is
	 * converted back before the memory is freed ... */
	fx.share_fail = 1;
	CHECK_EQ_U64(env_pool(&E, "x", 0x400000, 8, 1), SWIOTLB_EPLATFORM);
	CHECK_EQ_U64(fx.pool_frees, frees + 1);
	CHECK_EQ_U64(swiotlb_leaked_bytes(E.tlb), 0);
	/* ... and when that fails too, kept: never handed back while shared */
	fx.share_fail = 1;
	fx.unshare_fail = 1;
	CHECK_EQ_U64(env_pool(&E, "y", 0x400000, 8, 1), SWIOTLB_EPLATFORM);
	CHECK_EQ_U64(fx.pool_frees, frees + 1);
	CHECK_EQ_U64(swiotlb_leaked_bytes(E.tlb), 16384);
	CHECK(env_logged(&E, "leaking DMA memory that can't be re-encrypted") == 1);
	char text[8192];
	swiotlb_stats_text(E.tlb, text, sizeof(text));
	CHECK(strstr(text, "leaked_bytes 16384") != NULL);
	/* the instance still works, and its pool is intact */
	CHECK_EQ_U64(swiotlb_pool_count(E.tlb), 1);
	env_check(&E);

	/* at destroy: a pool whose unshare fails is kept, not freed */
	REQUIRE(env_pool(&E, "z", 0x500000, 8, 1) == 1);
	fx.unshare_fail = 1;
	frees = fx.pool_frees;
	swiotlb_destroy(E.tlb);
	CHECK_EQ_U64(fx.pool_frees, frees + 1);
	CHECK(env_logged(&E, "leaking DMA memory that can't be re-encrypted") == 2);
	swiotlb_posix_destroy(E.px);
}

int main(void)
{
	for (int p = 0; p < 2; p++) {
		test_duplicate_unmap(policies[p]);
		test_unmap_during_sync(policies[p]);
		test_skip_unmap_during_sync(policies[p]);
		test_exact_owner(policies[p]);
		test_sync_direction(policies[p]);
		test_copy_fault(policies[p]);
	}
	test_unshare_failure();
	return check_done("test_claim");
}
