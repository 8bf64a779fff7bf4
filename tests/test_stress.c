/* SPDX-License-Identifier: MIT */
/*
 * Seeded multi-threaded stress: several threads map, sync and unmap through
 * two pools and several areas at once, each with devices of different masks
 * and min_align masks; the device side writes and reads the bounce memory;
 * every unmap checks the original byte for byte against what the direction
 * says it must now hold.  Run under ThreadSanitizer in CI.
 *
 * STRESS_ITERS (per thread) and STRESS_SEED override the defaults.
 */
#include <pthread.h>
#include "testlib.h"

#define THREADS 4
#define OUTSTANDING 24
#define REGION (16ull << 20)

struct live {
	uint64_t orig, dma;
	size_t size;
	int dir;
	int slot; /* which 1/OUTSTANDING of the thread's region holds the original */
	uint8_t seed;
	const struct swiotlb_device *dev;
};

struct worker {
	struct env *e;
	int id;
	uint64_t rng;
	long iters, maps, fails, errors;
	struct swiotlb_device devs[3];
	struct live live[OUTSTANDING];
	int nlive;
};

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 31 + (i >> 8));
}

static bool has_pattern(const uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 31 + (i >> 8)))
			return false;
	return true;
}

static void finish(struct worker *w, int k)
{
	struct live *l = &w->live[k];
	uint8_t *bounce = swiotlb_posix_ptr(w->e->px, l->dma, l->size);
	uint8_t *orig = swiotlb_posix_ptr(w->e->px, l->orig, l->size);
	/* the device writes its answer */
	if (l->dir != SWIOTLB_TO_DEVICE)
		pattern(bounce, l->size, (uint8_t)(l->seed ^ 0x5a));
	if (swiotlb_unmap(w->e->tlb, l->dev, l->dma, l->size, l->dir, 0) != 0)
		w->errors++;
	bool ok = l->dir == SWIOTLB_TO_DEVICE ? has_pattern(orig, l->size, l->seed)
					      : has_pattern(orig, l->size, (uint8_t)(l->seed ^ 0x5a));
	if (!ok)
		w->errors++;
	w->live[k] = w->live[--w->nlive];
}

static void *run(void *arg)
{
	struct worker *w = arg;
	/* above 4 GiB: the 32-bit device must bounce, the 64-bit ones are forced to */
	uint64_t base = 0x200000000ull + (uint64_t)w->id * REGION;
	for (long it = 0; it < w->iters; it++) {
		if (w->nlive == OUTSTANDING || (w->nlive && next(&w->rng) % 3 == 0)) {
			finish(w, (int)(next(&w->rng) % (uint64_t)w->nlive));
			continue;
		}
		/* a slot of this thread's region, one per outstanding mapping, so
		 * originals never overlap */
		int slot = -1;
		for (int s = 0; s < OUTSTANDING && slot < 0; s++) {
			bool used = false;
			for (int k = 0; k < w->nlive; k++)
				used |= w->live[k].slot == s;
			if (!used)
				slot = s;
		}
		if (slot < 0)
			abort(); /* not REQUIRE: its counter is not thread-safe */
		uint64_t r = next(&w->rng);
		size_t size = 1 + (size_t)(r % (r & 1 ? 4096 : 200000));
		uint64_t orig = base + (uint64_t)slot * (REGION / OUTSTANDING) + ((r >> 20) & 0xfff);
		struct live l = { .orig = orig, .size = size, .dir = (int)((r >> 40) % 3), .slot = slot,
				  .seed = (uint8_t)(r >> 48),
				  .dev = &w->devs[(r >> 56) % 3] };
		uint8_t *o = swiotlb_posix_ptr(w->e->px, orig, size);
		pattern(o, size, l.seed);
		int rc = swiotlb_map(w->e->tlb, l.dev, orig, size, l.dir, 0, &l.dma);
		if (rc == SWIOTLB_EFULL || rc == SWIOTLB_ETOOLARGE) {
			w->fails++;
			continue;
		}
		if (rc) {
			w->errors++;
			continue;
		}
		w->maps++;
		/* map copies in for every direction */
		if (!has_pattern(swiotlb_posix_ptr(w->e->px, l.dma, size), size, l.seed))
			w->errors++;
		if ((l.dma & l.dev->min_align_mask) != (orig & l.dev->min_align_mask))
			w->errors++;
		if (l.dma + size - 1 > l.dev->dma_mask)
			w->errors++;
		/* a partial sync for the CPU of the device's bytes */
		if (size > 64 && l.dir != SWIOTLB_TO_DEVICE && (r & 0x300) == 0) {
			uint8_t *b = swiotlb_posix_ptr(w->e->px, l.dma, size);
			b[size / 2] ^= 0xff;
			if (swiotlb_sync_for_cpu(w->e->tlb, l.dev, l.dma + size / 2, 1, l.dir) || o[size / 2] != b[size / 2])
				w->errors++;
		}
		w->live[w->nlive++] = l;
	}
	while (w->nlive)
		finish(w, w->nlive - 1);
	return NULL;
}

static void stress(bool spinlock, long iters, uint64_t seed)
{
	struct env e;
	struct swiotlb_posix_opts po;
	struct swiotlb_config cfg;
	memset(&po, 0, sizeof(po));
	po.no_mutex = spinlock;
	memset(&e, 0, sizeof(e));
	REQUIRE(swiotlb_posix_create(&po, &e.px) == 0);
	swiotlb_posix_platform(e.px, &e.plat);
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = THREADS;
	REQUIRE(swiotlb_create(&cfg, &e.plat, &e.tlb) == 0);
	REQUIRE(env_pool(&e, "low", 0x1000000, 2048, 4) == 0);
	REQUIRE(env_pool(&e, "high", 0x100000000ull, 4096, 4) == 1);

	struct worker w[THREADS];
	pthread_t th[THREADS];
	for (int t = 0; t < THREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].e = &e;
		w[t].id = t;
		w[t].rng = seed * 1000 + (uint64_t)t;
		w[t].iters = iters;
		swiotlb_device_init(&w[t].devs[0], "d32", swiotlb_bit_mask(32));
		swiotlb_device_init(&w[t].devs[1], "nvme", swiotlb_bit_mask(64));
		w[t].devs[1].min_align_mask = 0xfff;
		/* forced: it reaches every original, and a direct mapping would
		 * leave its min_align and copy checks nothing to check */
		w[t].devs[1].flags = SWIOTLB_DEV_FORCE_BOUNCE;
		swiotlb_device_init(&w[t].devs[2], "forced", swiotlb_bit_mask(64));
		w[t].devs[2].flags = SWIOTLB_DEV_FORCE_BOUNCE;
		REQUIRE(pthread_create(&th[t], NULL, run, &w[t]) == 0);
	}
	long maps = 0, fails = 0, errors = 0;
	for (int t = 0; t < THREADS; t++) {
		pthread_join(th[t], NULL);
		maps += w[t].maps;
		fails += w[t].fails;
		errors += w[t].errors;
	}
	struct swiotlb_stats st;
	swiotlb_get_stats(e.tlb, -1, &st);
	printf("stress(%s, %s): %ld maps, %ld failed (full/too large), %ld errors, hiwater %llu\n",
	       env_policy, spinlock ? "spinlock" : "mutex", maps, fails, errors, (unsigned long long)st.used_hiwater);
	CHECK(errors == 0);
	CHECK(maps > iters); /* every map bounces: the pools were really used */
	CHECK_EQ_U64(st.maps, (uint64_t)maps);
	CHECK_EQ_U64(st.used, 0);
	CHECK(st.used_hiwater > 0);
	env_check(&e);
	env_fini(&e);
}

int main(void)
{
	const char *s = getenv("STRESS_ITERS");
	const char *sd = getenv("STRESS_SEED");
	long iters = s ? atol(s) : 20000;
	uint64_t seed = sd ? strtoull(sd, NULL, 0) : 42;
	/* both policies: fast answers the d32 and forced devices' plain
	 * mappings in its express lane, nvme's in the general path */
	static const char *const policies[] = { "linux", "fast" };
	for (unsigned p = 0; p < 2; p++) {
		env_policy = policies[p];
		stress(false, iters, seed);
		stress(true, iters, seed + 1);
	}
	return check_done("test_stress");
}
