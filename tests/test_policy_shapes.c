/* SPDX-License-Identifier: MIT */
/*
 * Request shapes on empty pools, both policies side by side.  Random
 * shapes -- sizes from one byte to past a segment, min_align, alloc_align
 * and boundary masks drawn from the whole 64-bit range (invalid ones
 * included), originals at any in-slot offset, also beyond the platform's
 * memory and at the top of the address space -- are mapped into empty
 * pools of several geometries (one slot, one-slot areas, a pool off its
 * segment grid, several areas) under the linux and the fast policy.  For
 * every request:
 *
 *   - both policies give the same answer: fast maps iff linux maps.  The
 *     fast policy's documented difference (a one-slot mapping whose record
 *     it spills finds "full" when its area's spill entries are all taken)
 *     needs live mappings, so it cannot show on an empty pool.  The linux
 *     policy's can: its walk, the kernel's (docs/kernel-semantics.md §2.2), starts at the
 *     area's next-fit cursor, wraps to the area's start and counts the
 *     slots it stepped past the end, so from a cursor left mid-area by
 *     earlier mappings it may give up before reaching the one legal start
 *     and answer "full".  Where linux says full and fast maps, the same
 *     request must map on a fresh linux instance (cursors at 0, where the
 *     walk visits every legal start): that is the only difference allowed;
 *   - an empty pool never answers "full" from a fresh state, and the fast
 *     policy never does: a request it cannot hold is too_large (a caller
 *     that retries on full would loop for ever);
 *   - a mapping keeps every min_align_mask bit of its original (I3), starts
 *     its reservation on the alloc alignment and a slot, lies in one pool,
 *     one segment and one boundary window, and holds the original's bytes;
 *   - an invalid mask is refused before anything is reserved;
 *   - swiotlb_max_mapping_size() holds its promise: a mapping of exactly
 *     that size, from any original, fits an empty pool aligned to its size.
 *
 * SHAPES_TRIALS (default 20000) and SHAPES_SEED (default 1) scale the run.
 */
#include "testlib.h"

#define NPOL 2
#define NGEO 5
#define ORIG_BASE 0x180000000ull /* 6 GiB: inside the platform's memory, above every pool */

static const char *const policy_names[NPOL] = { "linux", "fast" };

struct geo {
	const char *name;
	uint64_t base, slots;
	uint32_t areas;
};
/* "big" is aligned to its size, which max_mapping_size assumes */
static const struct geo geos[NGEO] = {
	{ "eight", 0x100000, 8, 1 },     { "odd", 0x3003000, 384, 1 },     { "one", 0x200000, 1, 1 },
	{ "tiny_areas", 0x300000, 8, 8 }, { "big", 0x1000000, 512, 4 },
};
#define GEO_BIG 4

struct inst {
	struct env e[NGEO];
};

static int cursor_misses; /* linux "full" on an empty pool, from its cursor only */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static uint64_t below(uint64_t n) { return rnd() % n; }
static uint64_t low_ones(unsigned k) { return k >= 64 ? ~0ull : (1ull << k) - 1; }

static void inst_init(struct inst *in, const char *policy)
{
	env_policy = policy;
	for (int g = 0; g < NGEO; g++) {
		env_init(&in->e[g], 8);
		REQUIRE(env_pool(&in->e[g], geos[g].name, geos[g].base, geos[g].slots, geos[g].areas) == 0);
	}
	env_policy = "linux";
}

static void inst_fini(struct inst *in)
{
	for (int g = 0; g < NGEO; g++)
		env_fini(&in->e[g]);
}

struct shape {
	uint64_t min_align, boundary, align, orig;
	size_t size;
	uint32_t dir;
	int cpu;
};

static uint64_t random_mask(unsigned none_pct, unsigned lo, unsigned hi)
{
	if (below(100) < none_pct)
		return 0;
	return low_ones(lo + (unsigned)below(hi - lo + 1));
}

static void random_shape(struct shape *s)
{
	s->min_align = random_mask(30, 1, 64);
	/* boundaries below a slot are invalid: rarely */
	s->boundary = below(20) ? random_mask(30, 11, 64) : random_mask(0, 1, 10);
	s->align = random_mask(55, 1, 64);
	unsigned c = (unsigned)below(100);
	s->size = c < 45 ? 1 + below(2048) : c < 75 ? 1 + below(16384) : c < 97 ? 1 + below(300000) : 1 + below(1u << 30);
	c = (unsigned)below(100);
	if (c < 90)
		s->orig = ORIG_BASE + below(1ull << 24); /* any in-slot offset */
	else if (c < 97)
		s->orig = (1ull << 39) + below(1ull << 50); /* beyond memory: the copy fails after placement */
	else
		s->orig = ~0ull - below(1ull << 20); /* the top: may wrap */
	s->dir = (uint32_t)below(3);
	s->cpu = (int)below(9) - 1;
}

/* Every placement rule for one mapping of shape s on geometry g. */
static bool placement_ok(const struct shape *s, const struct swiotlb_device *d, int g,
			 const struct swiotlb_map_result *r)
{
	uint64_t off = s->orig & s->min_align & (s->align | 2047);
	uint64_t start = r->dma - off, end = start + (uint64_t)r->slots * 2048;
	uint64_t B = d->seg_boundary_mask ? d->seg_boundary_mask : ~0ull;
	bool ok = r->bounced && r->pool == 0 && r->slots >= 1;
	ok &= (r->dma & s->min_align) == (s->orig & s->min_align);
	ok &= !(start & 2047) && !(start & s->align);
	ok &= start >= geos[g].base && end <= geos[g].base + geos[g].slots * 2048;
	ok &= r->dma + s->size <= end;
	ok &= ((start - geos[g].base) >> 18) == ((end - 1 - geos[g].base) >> 18);
	ok &= (start & ~B) == ((end - 1) & ~B);
	if (!s->align && !s->min_align && s->size >= 4096)
		ok &= !(start & 4095); /* the kernel's legacy page alignment */
	return ok;
}

static void dump_shape(const char *what, int trial, int g, const struct shape *s, const int *rc)
{
	fprintf(stderr,
		"trial %d on %s: %s: min_align 0x%llx boundary 0x%llx align 0x%llx orig 0x%llx size %zu -> linux %s, fast %s\n",
		trial, geos[g].name, what, (unsigned long long)s->min_align, (unsigned long long)s->boundary,
		(unsigned long long)s->align, (unsigned long long)s->orig, s->size, swiotlb_errname(rc[0]),
		swiotlb_errname(rc[1]));
}

/* Map s on geometry g of each policy; the answers, placements and the
 * state afterwards are checked.  Returns linux's answer. */
static int try_shape(struct inst *in, int g, const struct shape *s, int trial)
{
	int rc[NPOL];
	for (int p = 0; p < NPOL; p++) {
		struct env *e = &in[p].e[g];
		struct swiotlb_device d;
		swiotlb_device_init(&d, "shape", ~0ull);
		d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
		d.min_align_mask = s->min_align;
		d.seg_boundary_mask = s->boundary;
		struct swiotlb_map_args a = { .orig = s->orig, .size = s->size, .dir = s->dir,
					      .alloc_align_mask = s->align, .cpu = s->cpu,
					      .attrs = SWIOTLB_ATTR_NO_WARN };
		struct swiotlb_map_result r;
		bool in_mem = s->orig >= ORIG_BASE && s->orig < ORIG_BASE + (1ull << 25) &&
			      s->size <= ORIG_BASE + (1ull << 25) - s->orig;
		if (in_mem)
			for (size_t i = 0; i < s->size; i += 4093)
				env_mem(e, s->orig + i, 1)[0] = (uint8_t)(i * 7 + trial);
		rc[p] = swiotlb_map_ex(e->tlb, &d, &a, &r);
		if (rc[p] == 0) {
			if (!placement_ok(s, &d, g, &r)) {
				fprintf(stderr, "%s: dma 0x%llx slots %u\n", policy_names[p], (unsigned long long)r.dma,
					r.slots);
				dump_shape("placement broken", trial, g, s, rc);
				CHECK(false);
			}
			for (size_t i = 0; in_mem && i < s->size; i += 4093)
				CHECK(env_mem(e, r.dma + i, 1)[0] == (uint8_t)(i * 7 + trial));
			CHECK(swiotlb_unmap(e->tlb, &d, r.dma, s->size, s->dir, SWIOTLB_ATTR_SKIP_CPU_SYNC) == 0);
		}
		struct swiotlb_stats st;
		swiotlb_get_stats(e->tlb, -1, &st);
		CHECK_EQ_U64(st.used, 0);
		char why[256];
		if (swiotlb_check(e->tlb, why, sizeof(why))) {
			fprintf(stderr, "%s: %s\n", policy_names[p], why);
			CHECK(false);
		}
	}
	if (rc[0] == SWIOTLB_EFULL && (rc[1] == 0 || rc[1] == SWIOTLB_EPLATFORM)) { /* fast placed it */
		/* the kernel's cursor effect, or a real difference? */
		struct env fresh;
		env_policy = "linux";
		env_init(&fresh, 8);
		REQUIRE(env_pool(&fresh, geos[g].name, geos[g].base, geos[g].slots, geos[g].areas) == 0);
		struct swiotlb_device d;
		swiotlb_device_init(&d, "shape", ~0ull);
		d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
		d.min_align_mask = s->min_align;
		d.seg_boundary_mask = s->boundary;
		struct swiotlb_map_args a = { .orig = s->orig, .size = s->size, .dir = s->dir,
					      .alloc_align_mask = s->align, .cpu = s->cpu };
		struct swiotlb_map_result r;
		int frc = swiotlb_map_ex(fresh.tlb, &d, &a, &r);
		env_fini(&fresh);
		if (frc == rc[1]) {
			cursor_misses++;
			return frc;
		}
		rc[0] = frc;
	}
	if (rc[0] != rc[1]) {
		dump_shape("the policies disagree", trial, g, s, rc);
		CHECK(false);
	}
	if (rc[0] == SWIOTLB_EFULL || rc[1] == SWIOTLB_EFULL) {
		dump_shape("an empty pool answered full", trial, g, s, rc);
		CHECK(false);
	}
	bool bad_mask = s->align == ~0ull || (s->boundary && s->boundary < 2047);
	if (bad_mask && (rc[0] != SWIOTLB_EINVAL || rc[1] != SWIOTLB_EINVAL)) {
		dump_shape("an impossible mask was not refused", trial, g, s, rc);
		CHECK(false);
	}
	return rc[0];
}

/* A mapping of max_mapping_size from any original fits the size-aligned pool. */
static void try_max_mapping(struct inst *in, const struct shape *s0, int trial)
{
	struct swiotlb_device d;
	swiotlb_device_init(&d, "max", ~0ull);
	d.min_align_mask = s0->min_align;
	d.seg_boundary_mask = s0->boundary;
	size_t max = swiotlb_max_mapping_size(&d);
	if (!max)
		return;
	struct shape s = *s0;
	s.align = 0;
	s.size = max;
	s.orig = ORIG_BASE + below(1ull << 24);
	if (try_shape(in, GEO_BIG, &s, trial) != 0) {
		fprintf(stderr, "trial %d: max_mapping_size %zu does not fit (min_align 0x%llx boundary 0x%llx orig 0x%llx)\n",
			trial, max, (unsigned long long)s.min_align, (unsigned long long)s.boundary,
			(unsigned long long)s.orig);
		CHECK(false);
	}
}

int main(void)
{
	const char *t = getenv("SHAPES_TRIALS"), *sd = getenv("SHAPES_SEED");
	int trials = t ? atoi(t) : 20000;
	rng_state = sd ? strtoull(sd, NULL, 0) : 1;
	struct inst in[NPOL];
	for (int p = 0; p < NPOL; p++)
		inst_init(&in[p], policy_names[p]);
	int mapped = 0, too_large = 0, invalid = 0, other = 0;
	for (int i = 0; i < trials && check_failures < 20; i++) {
		struct shape s;
		random_shape(&s);
		int rc = try_shape(in, (int)below(NGEO), &s, i);
		mapped += rc == 0;
		too_large += rc == SWIOTLB_ETOOLARGE;
		invalid += rc == SWIOTLB_EINVAL;
		other += rc && rc != SWIOTLB_ETOOLARGE && rc != SWIOTLB_EINVAL;
		try_max_mapping(in, &s, i);
	}
	printf("%d shapes: %d mapped, %d too_large, %d invalid, %d other (platform, unreachable); "
	       "%d linux cursor misses\n",
	       trials, mapped, too_large, invalid, other, cursor_misses);
	/* the shapes must exercise every outcome, or the comparison says little */
	CHECK(mapped > trials / 10 && too_large > trials / 10 && invalid > 0 && other > 0);
	for (int p = 0; p < NPOL; p++)
		inst_fini(&in[p]);
	return check_done("test_policy_shapes");
}
