/* SPDX-License-Identifier: MIT */
/*
 * Differential test of the placement policies.  One seeded random sequence
 * of operations -- maps with random sizes, alignments, min_align masks,
 * boundary masks, directions and CPUs; device writes; partial syncs in both
 * directions; unmaps; invalid unmaps; hiwater resets -- is applied to one
 * instance per policy, each with the same pools in its own address space.
 * The policies may place mappings differently and one may find room where
 * the other does not, so each instance keeps its own model of its live
 * mappings; after every operation both must satisfy the same rules:
 *
 *   - no two reservations overlap; each lies in one pool, inside the device
 *     limit, in one segment-boundary window of its device;
 *   - the bounce address keeps the original's min_align bits, and the
 *     reservation starts on the alloc alignment (and the page for the
 *     kernel's legacy rule) and a slot;
 *   - every copy is byte-exact (map, sync for device, sync for CPU, unmap),
 *     refused operations change nothing, and the originals of a mapping live
 *     in both instances hold identical bytes;
 *   - io_tlb_used, its high-water mark (per pool and in total, including
 *     after resets), maps, unmaps and the bytes in each direction equal what
 *     the model computes;
 *   - swiotlb_check() passes.
 *
 * A second part checks that the high-water marks stay exact when two
 * threads map and unmap at once in their own areas (the accounting keeps no
 * counter both CPUs write, pool.c): at each barrier the mark must equal the
 * largest total seen so far, also after a reset.
 *
 * DIFF_SEEDS (default 6) and DIFF_STEPS (default 5000) scale the run;
 * DIFF_SEED picks the first seed.
 */
#include <pthread.h>
#include "testlib.h"

#define NPOL 2
#define NLIVE 96
#define NDEV 6
#define NPOOL 3
#define ORIG_BASE 0x180000000ull /* 6 GiB: above every pool */
#define ORIG_STRIDE 0x80000ull   /* 512 KiB per live index */

static const char *const policy_names[NPOL] = { "linux", "fast" };

struct pool_def {
	const char *name;
	uint64_t base, slots;
	uint32_t areas;
};
/* "odd" is page aligned but not segment aligned, so 1 MiB boundary windows
 * cut its segments; "high" lies above 4 GiB */
static const struct pool_def pools[NPOOL] = {
	{ "low", 0x1000000, 512, 2 },
	{ "odd", 0x3003000, 384, 1 },
	{ "high", 0x100000000ull, 256, 2 },
};

struct dev_def {
	const char *name;
	unsigned bits;
	uint64_t min_align, boundary;
};
static const struct dev_def devs[NDEV] = {
	{ "plain64", 64, 0, 0 },      { "d32", 32, 0, 0 },        { "nvme", 64, 0xfff, 0 },
	{ "bnd64k", 32, 0, 0xffff },  { "bnd1m", 32, 0x7ff, 0xfffff },
	{ "ma16k", 64, 0x3fff, 0x3ffff },
};

struct live {
	bool on;
	int dev;
	uint64_t orig, dma, align;
	size_t size;
	uint32_t dir, slots;
	int pool;
	uint8_t seed;
	int born; /* the step that mapped it */
};

struct inst {
	const char *policy;
	struct swiotlb_posix *px;
	struct swiotlb_platform plat;
	struct swiotlb *tlb;
	struct swiotlb_device dev[NDEV];
	struct live live[NLIVE];
	/* the model's statistics */
	uint64_t maps, unmaps, to_dev, from_dev, hiwater, pool_hiwater[NPOOL], fails, full;
};

static uint64_t rng_state;
static unsigned platform_cpu; /* what the platform's cpu_id reports: part of the sequence */
static unsigned cpu_of(void *arg)
{
	(void)arg;
	return platform_cpu;
}
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return rnd() % n; }

static uint8_t *mem(struct inst *in, uint64_t phys, size_t n)
{
	uint8_t *p = swiotlb_posix_ptr(in->px, phys, n);
	REQUIRE(p != NULL);
	return p;
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
}

static bool has_pattern(const uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 7 + (i >> 9)))
			return false;
	return true;
}

static void inst_init(struct inst *in, const char *policy)
{
	memset(in, 0, sizeof(*in));
	in->policy = policy;
	REQUIRE(swiotlb_posix_create(NULL, &in->px) == 0);
	swiotlb_posix_set_cpu(in->px, cpu_of, NULL);
	swiotlb_posix_platform(in->px, &in->plat);
	in->plat.log = NULL;
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = 2;
	snprintf(cfg.policy, sizeof(cfg.policy), "%s", policy);
	REQUIRE(swiotlb_create(&cfg, &in->plat, &in->tlb) == 0);
	for (int i = 0; i < NPOOL; i++) {
		struct swiotlb_pool_config pc;
		memset(&pc, 0, sizeof(pc));
		snprintf(pc.name, sizeof(pc.name), "%s", pools[i].name);
		pc.base = pools[i].base;
		pc.has_base = pc.exact = pc.placement_set = true;
		pc.nslabs = pools[i].slots;
		pc.nareas = pools[i].areas;
		pc.placement = pools[i].base >= 0x100000000ull ? SWIOTLB_PLACE_ANY : SWIOTLB_PLACE_LOW;
		REQUIRE(swiotlb_pool_add(in->tlb, &pc) == i);
		struct swiotlb_pool_info info;
		REQUIRE(swiotlb_pool_info(in->tlb, i, &info) == 0);
		CHECK_STR(info.policy, policy);
	}
	for (int d = 0; d < NDEV; d++) {
		swiotlb_device_init(&in->dev[d], devs[d].name, swiotlb_bit_mask(devs[d].bits));
		in->dev[d].flags = SWIOTLB_DEV_FORCE_BOUNCE;
		in->dev[d].min_align_mask = devs[d].min_align;
		in->dev[d].seg_boundary_mask = devs[d].boundary;
	}
}

static void inst_fini(struct inst *in)
{
	swiotlb_destroy(in->tlb);
	swiotlb_posix_destroy(in->px);
}

static uint64_t reserved_start(const struct inst *in, const struct live *l)
{
	uint64_t off = l->orig & in->dev[l->dev].min_align_mask & (l->align | 2047);
	return l->dma - off;
}

/* Every placement rule for one live mapping. */
static void check_placement(struct inst *in, const struct live *l, int step)
{
	const struct swiotlb_device *d = &in->dev[l->dev];
	const struct pool_def *p = &pools[l->pool];
	uint64_t start = reserved_start(in, l), end = start + (uint64_t)l->slots * 2048;
	bool ok = true;
	ok &= start >= p->base && end <= p->base + p->slots * 2048;
	ok &= l->dma + l->size <= end;
	ok &= l->dma + l->size - 1 <= d->dma_mask;
	ok &= (l->dma & d->min_align_mask) == (l->orig & d->min_align_mask);
	ok &= (start & 2047) == 0;
	ok &= (start & l->align) == 0;
	if (!l->align && !d->min_align_mask && l->size >= 4096)
		ok &= (start & 4095) == 0; /* the kernel's legacy page alignment */
	ok &= ((start - p->base) >> 18) == ((end - 1 - p->base) >> 18); /* one 128-slot segment */
	if (d->seg_boundary_mask)
		ok &= (start & ~d->seg_boundary_mask) == ((end - 1) & ~d->seg_boundary_mask);
	if (!ok) {
		fprintf(stderr,
			"%s step %d: placement broken: dev %s orig 0x%llx size %zu align 0x%llx -> dma 0x%llx slots %u pool %s\n",
			in->policy, step, d->name, (unsigned long long)l->orig, l->size, (unsigned long long)l->align,
			(unsigned long long)l->dma, l->slots, p->name);
		CHECK(ok);
	}
}

static void check_all(struct inst *in, int step)
{
	uint64_t used = 0, pool_used[NPOOL] = { 0 };
	int live = 0;
	for (int k = 0; k < NLIVE; k++) {
		struct live *l = &in->live[k];
		if (!l->on)
			continue;
		live++;
		used += l->slots;
		pool_used[l->pool] += l->slots;
		check_placement(in, l, step);
		uint64_t s1 = reserved_start(in, l), e1 = s1 + (uint64_t)l->slots * 2048;
		for (int j = k + 1; j < NLIVE; j++) {
			struct live *m = &in->live[j];
			if (!m->on)
				continue;
			uint64_t s2 = reserved_start(in, m), e2 = s2 + (uint64_t)m->slots * 2048;
			if (s1 < e2 && s2 < e1) {
				fprintf(stderr, "%s step %d: live %d and %d overlap\n", in->policy, step, k, j);
				CHECK(false);
			}
		}
	}
	struct swiotlb_stats st;
	REQUIRE(swiotlb_get_stats(in->tlb, -1, &st) == 0);
	CHECK_EQ_U64(st.used, used);
	CHECK_EQ_U64(st.maps, in->maps);
	CHECK_EQ_U64(st.unmaps, in->unmaps);
	CHECK_EQ_U64(st.maps - st.unmaps, (uint64_t)live);
	CHECK_EQ_U64(st.bytes_to_device, in->to_dev);
	CHECK_EQ_U64(st.bytes_from_device, in->from_dev);
	CHECK_EQ_U64(st.used_hiwater, in->hiwater);
	for (int i = 0; i < NPOOL; i++) {
		REQUIRE(swiotlb_get_stats(in->tlb, i, &st) == 0);
		CHECK_EQ_U64(st.used, pool_used[i]);
		CHECK_EQ_U64(st.used_hiwater, in->pool_hiwater[i]);
	}
	char why[256];
	int rc = swiotlb_check(in->tlb, why, sizeof(why));
	if (rc)
		fprintf(stderr, "%s step %d: %s\n", in->policy, step, why);
	CHECK(rc == 0);
}

static uint64_t pool_used_now(struct inst *in, int pool)
{
	struct swiotlb_stats st;
	swiotlb_get_stats(in->tlb, pool, &st);
	return st.used;
}

/* The operations.  Each takes its random parameters from the caller so that
 * both instances see the same ones. */
struct op {
	int kind, k, dev, cpu;
	uint32_t dir;
	size_t size;
	uint64_t align, orig_off;
	uint8_t seed;
	uint64_t r1, r2;
};

static void do_map(struct inst *in, const struct op *o, int step)
{
	struct live *l = &in->live[o->k];
	if (l->on)
		return;
	uint64_t orig = ORIG_BASE + (uint64_t)o->k * ORIG_STRIDE + o->orig_off;
	pattern(mem(in, orig, o->size), o->size, o->seed);
	struct swiotlb_map_args a = { .orig = orig, .size = o->size, .dir = o->dir, .alloc_align_mask = o->align,
				      .cpu = o->cpu, .attrs = SWIOTLB_ATTR_NO_WARN };
	struct swiotlb_map_result r;
	int rc = swiotlb_map_ex(in->tlb, &in->dev[o->dev], &a, &r);
	if (rc == SWIOTLB_EFULL || rc == SWIOTLB_ETOOLARGE || rc == SWIOTLB_EUNREACHABLE) {
		in->fails++;
		in->full += rc == SWIOTLB_EFULL;
		return;
	}
	CHECK(rc == 0 && r.bounced && r.pool >= 0);
	if (rc)
		return;
	*l = (struct live){ true, o->dev, orig, r.dma, o->align, o->size, o->dir, r.slots, r.pool, o->seed, step };
	in->maps++;
	in->to_dev += o->size;
	uint64_t u = pool_used_now(in, r.pool), t = 0;
	for (int i = 0; i < NPOOL; i++)
		t += pool_used_now(in, i);
	if (u > in->pool_hiwater[r.pool])
		in->pool_hiwater[r.pool] = u;
	if (t > in->hiwater)
		in->hiwater = t;
	if (!has_pattern(mem(in, r.dma, o->size), o->size, o->seed)) {
		fprintf(stderr, "%s step %d: map did not copy the original in\n", in->policy, step);
		CHECK(false);
	}
	/* the device side writes what a device would (FROM_DEVICE may leave some untouched) */
	if (o->dir != SWIOTLB_TO_DEVICE)
		pattern(mem(in, r.dma, o->size), o->size, (uint8_t)(o->seed ^ 0x5a));
}

static void do_unmap(struct inst *in, const struct op *o, int step)
{
	struct live *l = &in->live[o->k];
	if (!l->on)
		return;
	bool skip = o->r1 & 1;
	int rc = swiotlb_unmap(in->tlb, &in->dev[l->dev], l->dma, l->size, l->dir, skip ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0);
	CHECK(rc == 0);
	bool back = !skip && l->dir != SWIOTLB_TO_DEVICE;
	uint8_t want = back ? (uint8_t)(l->seed ^ 0x5a) : l->seed;
	if (!has_pattern(mem(in, l->orig, l->size), l->size, want)) {
		fprintf(stderr, "%s step %d: unmap left the wrong bytes in the original\n", in->policy, step);
		CHECK(false);
	}
	if (back)
		in->from_dev += l->size;
	in->unmaps++;
	l->on = false;
}

/* Refused operations: each must return not_mapped and change nothing. */
static void do_bad_unmap(struct inst *in, const struct op *o, int step)
{
	struct live *l = &in->live[o->k];
	struct swiotlb_stats before, after;
	swiotlb_get_stats(in->tlb, -1, &before);
	int rc;
	if (!l->on) {
		/* a double unmap, or an address of a pool that holds no mapping of this size */
		uint64_t a = pools[o->r1 % NPOOL].base + (o->r2 % (pools[o->r1 % NPOOL].slots * 2048));
		bool hit = false;
		for (int j = 0; j < NLIVE; j++)
			hit |= in->live[j].on && in->live[j].dma == a;
		if (hit)
			return;
		rc = swiotlb_unmap(in->tlb, &in->dev[o->dev], a, 3, SWIOTLB_TO_DEVICE, 0);
	} else {
		switch (o->r1 % 4) {
		case 0: /* wrong size */
			rc = swiotlb_unmap(in->tlb, &in->dev[l->dev], l->dma, l->size + 1, l->dir, 0);
			break;
		case 1: /* wrong direction */
			rc = swiotlb_unmap(in->tlb, &in->dev[l->dev], l->dma, l->size, (l->dir + 1) % 3, 0);
			break;
		case 2: /* another device */
			rc = swiotlb_unmap(in->tlb, &in->dev[(l->dev + 1) % NDEV], l->dma, l->size, l->dir, 0);
			break;
		default: /* inside the mapping, not its start */
			if (l->size < 2)
				return;
			rc = swiotlb_unmap(in->tlb, &in->dev[l->dev], l->dma + 1 + o->r2 % (l->size - 1), 1, l->dir, 0);
			break;
		}
	}
	if (rc != SWIOTLB_ENOTMAPPED) {
		fprintf(stderr, "%s step %d: invalid unmap returned %d\n", in->policy, step, rc);
		CHECK(false);
	}
	swiotlb_get_stats(in->tlb, -1, &after);
	CHECK_EQ_U64(after.used, before.used);
	CHECK_EQ_U64(after.unmaps, before.unmaps);
	CHECK_EQ_U64(after.bytes_from_device, before.bytes_from_device);
	if (l->on && !has_pattern(mem(in, l->orig, l->size), l->size, l->seed)) {
		fprintf(stderr, "%s step %d: a refused unmap copied into the original\n", in->policy, step);
		CHECK(false);
	}
}

static void do_sync(struct inst *in, const struct op *o, int step)
{
	struct live *l = &in->live[o->k];
	if (!l->on)
		return;
	size_t off = o->r1 % l->size, len = 1 + o->r2 % (l->size - off);
	bool for_cpu = (o->r1 >> 32) & 1;
	const struct swiotlb_device *d = &in->dev[l->dev];
	uint8_t *orig = mem(in, l->orig, l->size), *bounce = mem(in, l->dma, l->size);
	if (for_cpu) {
		/* the device writes the range; syncing copies exactly it back for FROM/BIDI */
		pattern(bounce, l->size, (uint8_t)(l->seed ^ 0x33));
		CHECK(swiotlb_sync_for_cpu(in->tlb, d, l->dma + off, len, l->dir) == 0);
		bool copies = l->dir != SWIOTLB_TO_DEVICE;
		int bad = 0;
		for (size_t i = 0; i < l->size; i++) {
			bool in_range = copies && i >= off && i < off + len;
			uint8_t want = (uint8_t)((in_range ? l->seed ^ 0x33 : l->seed) + i * 7 + (i >> 9));
			bad += orig[i] != want;
		}
		if (bad) {
			fprintf(stderr, "%s step %d: partial sync for cpu copied wrong bytes (%d)\n", in->policy, step, bad);
			CHECK(false);
		}
		if (copies)
			in->from_dev += len;
		pattern(orig, l->size, l->seed);
		pattern(bounce, l->size, l->dir == SWIOTLB_TO_DEVICE ? l->seed : (uint8_t)(l->seed ^ 0x5a));
	} else {
		/* the CPU updates the original; syncing copies the range in for TO/BIDI */
		pattern(orig, l->size, (uint8_t)(l->seed ^ 0x77));
		CHECK(swiotlb_sync_for_device(in->tlb, d, l->dma + off, len, l->dir) == 0);
		bool copies = l->dir != SWIOTLB_FROM_DEVICE;
		int bad = 0;
		for (size_t i = off; i < off + len; i++) {
			uint8_t want = copies ? (uint8_t)((l->seed ^ 0x77) + i * 7 + (i >> 9))
					      : (uint8_t)(((l->dir == SWIOTLB_TO_DEVICE) ? l->seed : l->seed ^ 0x5a) + i * 7 + (i >> 9));
			bad += bounce[i] != want;
		}
		if (bad) {
			fprintf(stderr, "%s step %d: partial sync for device copied wrong bytes (%d)\n", in->policy, step,
				bad);
			CHECK(false);
		}
		if (copies)
			in->to_dev += len;
		pattern(orig, l->size, l->seed);
		pattern(bounce, l->size, l->dir == SWIOTLB_TO_DEVICE ? l->seed : (uint8_t)(l->seed ^ 0x5a));
	}
	/* a sync that runs one byte past the mapping is refused */
	CHECK(swiotlb_sync_for_cpu(in->tlb, d, l->dma + off, l->size - off + 1, l->dir) == SWIOTLB_ERANGE);
}

static void do_reset(struct inst *in)
{
	CHECK(swiotlb_reset_hiwater(in->tlb, 0) == 0);
	in->hiwater = 0;
	for (int i = 0; i < NPOOL; i++)
		in->pool_hiwater[i] = 0;
}

static size_t random_size(void)
{
	unsigned c = (unsigned)below(100);
	if (c < 40)
		return 1 + below(2048);
	if (c < 70)
		return 2049 + below(16384 - 2048);
	if (c < 90)
		return 1 + below(65536);
	return 1 + below(262144);
}

static void run(uint64_t seed, int steps)
{
	struct inst in[NPOL];
	for (int p = 0; p < NPOL; p++)
		inst_init(&in[p], policy_names[p]);
	rng_state = seed;
	int same_live = 0;
	for (int step = 0; step < steps; step++) {
		struct op o;
		memset(&o, 0, sizeof(o));
		unsigned kind = (unsigned)below(100);
		o.kind = kind < 40 ? 0 : kind < 65 ? 1 : kind < 75 ? 2 : kind < 94 ? 3 : 4;
		if (kind == 99)
			o.kind = 5;
		o.k = (int)below(NLIVE);
		o.dev = (int)below(NDEV);
		o.cpu = (int)below(5) - 1; /* -1: the platform's CPU id */
		platform_cpu = (unsigned)below(4);
		o.dir = (uint32_t)below(3);
		o.size = random_size();
		unsigned al = (unsigned)below(10);
		o.align = al < 7 ? 0 : al < 9 ? 0xfff : 0x3fff;
		o.orig_off = below(4096);
		if (below(4) == 0)
			o.orig_off &= ~7ull;
		o.seed = (uint8_t)rnd();
		o.r1 = rnd();
		o.r2 = rnd();
		if (getenv("DIFF_TRACE"))
			fprintf(stderr, "step %d: kind %d k %d dev %d cpu %d dir %u size %zu align 0x%llx\n", step, o.kind, o.k,
				o.dev, o.cpu, o.dir, o.size, (unsigned long long)o.align);
		for (int p = 0; p < NPOL; p++) {
			switch (o.kind) {
			case 0: do_map(&in[p], &o, step); break;
			case 1: do_unmap(&in[p], &o, step); break;
			case 2: do_bad_unmap(&in[p], &o, step); break;
			case 3: do_sync(&in[p], &o, step); break;
			case 4: do_map(&in[p], &o, step); break;
			default: do_reset(&in[p]); break;
			}
			check_all(&in[p], step);
		}
		/* a mapping live in both instances: the originals hold the same bytes */
		struct live *a = &in[0].live[o.k], *b = &in[1].live[o.k];
		if (a->on && b->on && a->born == b->born) {
			same_live++;
			CHECK(a->size == b->size && memcmp(mem(&in[0], a->orig, a->size), mem(&in[1], b->orig, b->size),
							   a->size) == 0);
		}
		if (check_failures) {
			fprintf(stderr, "seed %llu: stopping at step %d\n", (unsigned long long)seed, step);
			break;
		}
	}
	printf("seed %llu: %d steps; failed maps (full) linux %llu (%llu), fast %llu (%llu); %d comparisons of common mappings\n",
	       (unsigned long long)seed, steps, (unsigned long long)in[0].fails, (unsigned long long)in[0].full,
	       (unsigned long long)in[1].fails, (unsigned long long)in[1].full, same_live);
	for (int p = 0; p < NPOL; p++) {
		for (int k = 0; k < NLIVE; k++)
			if (in[p].live[k].on)
				CHECK(swiotlb_unmap(in[p].tlb, &in[p].dev[in[p].live[k].dev], in[p].live[k].dma,
						    in[p].live[k].size, in[p].live[k].dir, 0) == 0);
		struct swiotlb_stats st;
		swiotlb_get_stats(in[p].tlb, -1, &st);
		CHECK_EQ_U64(st.used, 0);
		CHECK(swiotlb_check(in[p].tlb, NULL, 0) == 0);
		inst_fini(&in[p]);
	}
}

/* ---------------------------------------------- concurrent high-water marks */

#define HW_THREADS 2
#define HW_MAX 96

struct hw_shared {
	struct swiotlb *tlb;
	struct swiotlb_posix *px;
	struct swiotlb_device dev;
	pthread_barrier_t bar;
	int rounds;
	int k[64];
};

struct hw_thread {
	struct hw_shared *sh;
	int id;
	uint64_t dma[HW_MAX];
	int bad;
};

static void *hw_main(void *arg)
{
	struct hw_thread *t = arg;
	struct hw_shared *sh = t->sh;
	for (int r = 0; r < sh->rounds; r++) {
		int k = sh->k[r];
		for (int i = 0; i < k; i++) {
			struct swiotlb_map_args a = { .orig = 0x10000000ull + (uint64_t)(t->id * HW_MAX + i) * 0x2000,
						      .size = 4096, .dir = SWIOTLB_TO_DEVICE, .cpu = t->id };
			struct swiotlb_map_result res;
			t->bad += swiotlb_map_ex(sh->tlb, &sh->dev, &a, &res) != 0;
			t->dma[i] = res.dma;
		}
		pthread_barrier_wait(&sh->bar); /* everything mapped: the main thread reads */
		pthread_barrier_wait(&sh->bar);
		for (int i = 0; i < k; i++)
			t->bad += swiotlb_unmap(sh->tlb, &sh->dev, t->dma[i], 4096, SWIOTLB_TO_DEVICE, 0) != 0;
		pthread_barrier_wait(&sh->bar); /* everything released */
		pthread_barrier_wait(&sh->bar);
	}
	return NULL;
}

static void concurrent_hiwater(const char *policy)
{
	struct hw_shared sh;
	memset(&sh, 0, sizeof(sh));
	REQUIRE(swiotlb_posix_create(NULL, &sh.px) == 0);
	struct swiotlb_platform plat;
	swiotlb_posix_platform(sh.px, &plat);
	plat.log = NULL;
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.ncpus = HW_THREADS;
	cfg.pools[0].nslabs = 1024;
	snprintf(cfg.policy, sizeof(cfg.policy), "%s", policy);
	REQUIRE(swiotlb_create(&cfg, &plat, &sh.tlb) == 0);
	swiotlb_device_init(&sh.dev, "hw", ~0ull);
	sh.dev.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	const char *r = getenv("DIFF_SEED");
	rng_state = r ? strtoull(r, NULL, 0) : 7;
	sh.rounds = 40;
	for (int i = 0; i < sh.rounds; i++)
		sh.k[i] = 1 + (int)below(HW_MAX);
	pthread_barrier_init(&sh.bar, NULL, HW_THREADS + 1);
	struct hw_thread t[HW_THREADS];
	pthread_t th[HW_THREADS];
	for (int i = 0; i < HW_THREADS; i++) {
		t[i] = (struct hw_thread){ .sh = &sh, .id = i };
		REQUIRE(pthread_create(&th[i], NULL, hw_main, &t[i]) == 0);
	}
	uint64_t peak = 0;
	for (int i = 0; i < sh.rounds; i++) {
		pthread_barrier_wait(&sh.bar);
		struct swiotlb_stats st;
		swiotlb_get_stats(sh.tlb, -1, &st);
		uint64_t now = (uint64_t)HW_THREADS * sh.k[i] * 2;
		if (now > peak)
			peak = now;
		CHECK_EQ_U64(st.used, now);
		CHECK_EQ_U64(st.used_hiwater, peak);
		CHECK(swiotlb_check(sh.tlb, NULL, 0) == 0);
		pthread_barrier_wait(&sh.bar);
		pthread_barrier_wait(&sh.bar);
		swiotlb_get_stats(sh.tlb, -1, &st);
		CHECK_EQ_U64(st.used, 0);
		CHECK_EQ_U64(st.used_hiwater, peak);
		if (i % 8 == 7) { /* reset: the next round's peak is the mark again */
			CHECK(swiotlb_reset_hiwater(sh.tlb, 0) == 0);
			peak = 0;
		}
		pthread_barrier_wait(&sh.bar);
	}
	for (int i = 0; i < HW_THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(t[i].bad == 0);
	}
	pthread_barrier_destroy(&sh.bar);
	printf("concurrent high-water marks (%s): %d rounds exact\n", policy, sh.rounds);
	swiotlb_destroy(sh.tlb);
	swiotlb_posix_destroy(sh.px);
}

int main(void)
{
	const char *s = getenv("DIFF_SEEDS"), *n = getenv("DIFF_STEPS"), *f = getenv("DIFF_SEED");
	int seeds = s ? atoi(s) : 6, steps = n ? atoi(n) : 5000;
	uint64_t first = f ? strtoull(f, NULL, 0) : 1;
	for (int i = 0; i < seeds && !check_failures; i++)
		run(first + (uint64_t)i, steps);
	for (int p = 0; p < NPOL && !check_failures; p++)
		concurrent_hiwater(policy_names[p]);
	return check_done("test_policy_diff");
}
