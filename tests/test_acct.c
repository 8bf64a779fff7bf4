/* SPDX-License-Identifier: MIT */
/*
 * The accounting (src/acct.c, invariant I5): exact high-water marks whose
 * slow path does not grow with the area count.  The platform's lock hooks
 * count area-lock round trips.  The same sequence of maps and unmaps -- a
 * mark that rises at every map, each on another CPU's area; releases on
 * some CPUs and maps on others at the mark; a reset; two pools -- runs on
 * pools of 4 and of 512 areas, and the marks, checked after every call
 * against a model of the kernel's counters, must be exact while the lock
 * round trips per call stay within a bound that does not depend on the
 * area count (a slow path that locked every area would take 512 per map).
 */
#include <stdatomic.h>
#include "testlib.h"

static atomic_ulong nlocks;

static void lk_init(void *ctx, void *l)
{
	(void)ctx;
	atomic_init((atomic_int *)l, 0);
}
static void lk_lock(void *ctx, void *l)
{
	(void)ctx;
	atomic_fetch_add(&nlocks, 1);
	while (atomic_exchange((atomic_int *)l, 1))
		;
}
static void lk_unlock(void *ctx, void *l)
{
	(void)ctx;
	atomic_store((atomic_int *)l, 0);
}

#define NPOOL 2
#define MAXMAP 4096

/* The kernel's counters, worked out call by call. */
struct model {
	uint64_t used[NPOOL], mark[NPOOL], total, tmark;
};

struct run {
	struct env e;
	struct swiotlb_device dev;
	struct model m;
	uint64_t dma[MAXMAP];
	int pool[MAXMAP];
	int nmap;
	unsigned long calls, locks, worst;
	const char *policy;
	unsigned nareas;
};

static void expect_marks(struct run *r, const char *what)
{
	struct swiotlb_stats st;
	for (int p = 0; p < NPOOL; p++) {
		REQUIRE(swiotlb_get_stats(r->e.tlb, p, &st) == 0);
		if (st.used != r->m.used[p] || st.used_hiwater != r->m.mark[p]) {
			fprintf(stderr, "%s, %u areas, %s: pool %d used %llu hiwater %llu, expected %llu %llu\n", r->policy,
				r->nareas, what, p, (unsigned long long)st.used, (unsigned long long)st.used_hiwater,
				(unsigned long long)r->m.used[p], (unsigned long long)r->m.mark[p]);
			CHECK(0);
		}
	}
	REQUIRE(swiotlb_get_stats(r->e.tlb, -1, &st) == 0);
	if (st.used != r->m.total || st.used_hiwater != r->m.tmark) {
		fprintf(stderr, "%s, %u areas, %s: used %llu hiwater %llu, expected %llu %llu\n", r->policy, r->nareas,
			what, (unsigned long long)st.used, (unsigned long long)st.used_hiwater,
			(unsigned long long)r->m.total, (unsigned long long)r->m.tmark);
		CHECK(0);
	}
}

static void counted(struct run *r, unsigned long before)
{
	unsigned long n = atomic_load(&nlocks) - before;
	r->calls++;
	r->locks += n;
	if (n > r->worst)
		r->worst = n;
}

/* Map 2 slots (4 KiB) for `cpu`; the device reaches only pool 0 when low. */
static void map_on(struct run *r, int cpu, bool low)
{
	REQUIRE(r->nmap < MAXMAP);
	struct swiotlb_device d = r->dev;
	if (low)
		d.dma_mask = 0x7fffffffull;
	struct swiotlb_map_args a = { .orig = 0x40000000ull + (uint64_t)r->nmap * 0x2000, .size = 4096,
				      .dir = SWIOTLB_TO_DEVICE, .cpu = cpu };
	struct swiotlb_map_result res;
	unsigned long before = atomic_load(&nlocks);
	int rc = swiotlb_map_ex(r->e.tlb, &d, &a, &res);
	counted(r, before);
	REQUIRE(rc == 0);
	CHECK(res.slots == 2);
	int p = res.pool;
	r->dma[r->nmap] = res.dma;
	r->pool[r->nmap++] = p;
	r->m.used[p] += 2;
	r->m.total += 2;
	if (r->m.used[p] > r->m.mark[p])
		r->m.mark[p] = r->m.used[p];
	if (r->m.total > r->m.tmark)
		r->m.tmark = r->m.total;
	expect_marks(r, "after a map");
}

static void unmap_at(struct run *r, int i)
{
	unsigned long before = atomic_load(&nlocks);
	int rc = swiotlb_unmap(r->e.tlb, &r->dev, r->dma[i], 4096, SWIOTLB_TO_DEVICE, 0);
	counted(r, before);
	REQUIRE(rc == 0);
	r->m.used[r->pool[i]] -= 2;
	r->m.total -= 2;
	r->dma[i] = r->dma[--r->nmap];
	r->pool[i] = r->pool[r->nmap];
	expect_marks(r, "after an unmap");
}

/* Returns the most lock round trips of one call, and the mean in *mean. */
static unsigned long scenario(const char *policy, unsigned nareas, double *mean)
{
	struct run *r = calloc(1, sizeof(*r));
	REQUIRE(r != NULL);
	r->policy = policy;
	r->nareas = nareas;
	struct env *e = &r->e;
	REQUIRE(swiotlb_posix_create(NULL, &e->px) == 0);
	swiotlb_posix_set_log(e->px, env_log, e);
	swiotlb_posix_platform(e->px, &e->plat);
	e->plat.lock_size = sizeof(atomic_int);
	e->plat.lock_init = lk_init;
	e->plat.lock_destroy = NULL;
	e->plat.lock = lk_lock;
	e->plat.unlock = lk_unlock;
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = nareas;
	REQUIRE(swiotlb_create(&cfg, &e->plat, &e->tlb) == 0);
	env_policy = policy;
	/* 128 slots per area: the low pool under 2 GiB, the high one above 4 GiB */
	REQUIRE(env_pool(e, "low", 0x10000000ull, (uint64_t)nareas * 128, nareas) == 0);
	REQUIRE(env_pool(e, "high", 0x100000000ull, (uint64_t)nareas * 128, nareas) == 1);
	swiotlb_device_init(&r->dev, "acct", ~0ull);
	r->dev.flags = SWIOTLB_DEV_FORCE_BOUNCE;

	/* a mark that rises at every map, each on the next CPU */
	for (unsigned i = 0; i < 2 * 64; i++)
		map_on(r, (int)(i * 7 % nareas), i % 4 == 3);
	env_check(e);
	/* at the mark: release on some CPUs, map on others, rise again */
	for (unsigned round = 0; round < 8; round++) {
		for (int k = 0; k < 24 && r->nmap; k++)
			unmap_at(r, (int)((round * 31 + (unsigned)k * 17) % (unsigned)r->nmap));
		for (unsigned k = 0; k < 24 + round; k++)
			map_on(r, (int)((round * 97 + k * 13) % nareas), k % 3 == 0);
	}
	env_check(e);
	/* reset: 0 until the next map, then the total after it */
	CHECK(swiotlb_reset_hiwater(e->tlb, 0) == 0);
	memset(r->m.mark, 0, sizeof(r->m.mark));
	r->m.tmark = 0;
	expect_marks(r, "after a reset");
	env_check(e);
	for (int k = 0; k < 40 && r->nmap; k++)
		unmap_at(r, k % r->nmap);
	map_on(r, 5 % (int)nareas, true); /* the low pool's mark and the instance's; the high pool's stays 0 */
	for (unsigned k = 0; k < 64; k++)
		map_on(r, (int)(k * 5 % nareas), false);
	while (r->nmap)
		unmap_at(r, 0);
	env_check(e);

	*mean = (double)r->locks / (double)r->calls;
	unsigned long worst = r->worst;
	printf("%s, %u areas: %lu calls, %.2f area-lock round trips per call, at most %lu\n", policy, nareas, r->calls,
	       *mean, worst);
	env_fini(e);
	free(r);
	return worst;
}

int main(void)
{
	static const char *const policies[] = { "linux", "fast" };
	for (int p = 0; p < 2; p++) {
		double m4, m512;
		unsigned long w4 = scenario(policies[p], 4, &m4);
		unsigned long w512 = scenario(policies[p], 512, &m512);
		/* a search walks areas until one has room (the kernel's order), so a
		 * call may lock several; the accounting adds a handful at most */
		CHECK(m512 <= m4 + 4.0);
		CHECK(m512 <= 12.0);
		/* one slow path may reclaim many listed areas (each listed by an
		 * earlier call, which the mean pays for), never all of them */
		CHECK(w4 <= 64 && w512 <= 128);
	}
	return check_done("test_acct");
}
