/* SPDX-License-Identifier: MIT */
/*
 * Fuzz operation sequences against a reference model.
 *
 * The input is a header (pools at odd bases and sizes, four devices whose
 * masks, bus limits, min_align and boundary masks are drawn from the whole
 * 64-bit range, ~0 and 2^63 and non-low masks included) followed by a stream
 * of operations: maps (originals that overlap pools partly or wholly, lie
 * beyond memory or wrap, every alloc_align_mask shape), legitimate and bogus
 * unmaps, syncs in every direction by the right and the wrong device, device
 * writes (honest and anywhere in the pools), CPU writes, random addresses,
 * hiwater resets and run-time pool additions.  The same input runs once per
 * policy.
 *
 * The model is a byte-exact shadow of every pool and of every original
 * buffer ever used, plus the set of live mappings.  After every call:
 *   - its return code is one the model allows (`invalid` exactly for bad
 *     arguments and for originals that overlap a pool anywhere; an unmap
 *     succeeds only for an exact owner/address/size/direction match, a sync
 *     only by the owner, inside the mapping's bytes, in its direction or on a
 *     bidirectional mapping; direct vs bounced by the device's limit and
 *     force flag);
 *   - memory equals the shadow, in which a successful call changed exactly
 *     the bytes it owns (map: its bounce bytes; unmap: its original; sync:
 *     the synced range one way) -- so every byte of every pool and original
 *     is checked after every call;
 *   - the refused-call property: after any error, every statistic except the
 *     failure counters is unchanged, the refused call's target is still live
 *     (probed with a copy-free sync), and swiotlb_check() holds;
 *   - a bounce buffer has at least the slots its size and offset need, lies
 *     in one pool the device reaches, keeps the min_align bits, its reserved
 *     start meets alloc_align_mask and stays in one boundary window, and
 *     overlaps no other live reservation;
 *   - `full` is never the answer when every reachable pool is empty, and a
 *     mapping no larger than swiotlb_max_mapping_size() fits an empty pool
 *     of whole segments.
 *
 * Wrong-device calls come from the owner's twins: devices equal to it except
 * for an id that differs by 64 or by 65536 (equal low 6 and 16 bits).
 *
 * Written while issue 9's defects were being fixed, it found defects 1, 2,
 * 5, 6 and 7 and a new one (a map refused for an unreadable original kept
 * its hiwater raise); docs/reliability.md, "Fuzzing", has the list.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "swiotlb/swiotlb.h"
#include "swiotlb/posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXMAP 16
#define MAXPOOLS 6
#define NDEV 4
#define MAXOPS 256
#define SHADOW_BYTES (1536u * SWIOTLB_SLOT_SIZE)      /* every pool together */
#define ORIG_LOW 0x40000000ull                         /* 1 GiB: 32-bit devices reach it */
#define ORIG_HIGH 0x200000000ull                       /* 8 GiB: they do not */
#define ORIG_STRIDE 0x200000ull                        /* per model slot */
#define MAX_OSIZE 0x50000ull                           /* largest original the model tracks */
#define SPAN 0x240000000ull                            /* the POSIX default map's 9 GiB */

static struct swiotlb_posix *px;

/* FUZZ_TRACE=1: print each call as a `swiotlb replay` statement (docs/replay.md),
 * the result as a comment, to turn a finding into a script. */
static bool tracing;
#define TRACE(...)                                   \
	do {                                         \
		if (tracing)                         \
			fprintf(stderr, __VA_ARGS__); \
	} while (0)
static const char *const dir_name[] = { "bidirectional", "to_device", "from_device", "3" };

static void violation(const char *what, long line)
{
	fprintf(stderr, "fuzz_ops: property violated at line %ld: %s\n", line, what);
	abort();
}
#define PROP(cond, what)                        \
	do {                                    \
		if (!(cond))                    \
			violation(what, __LINE__); \
	} while (0)

/* ------------------------------------------------------------------ input */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n)
			in->p++, in->n--;
	}
	return v;
}

static unsigned take8(struct input *in) { return (unsigned)take(in, 1); }

/* A 64-bit mask or limit: the shapes that break arithmetic, most often. */
static uint64_t draw_mask(struct input *in)
{
	unsigned s = take8(in);
	switch (s % 20) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return 1ull << 63;
	case 3: return (1ull << 63) - 1;
	case 4: return 0xffffffffull;
	case 5: return 0xffffffull;
	case 6: return 0x7ff;
	case 7: return 0xfff;
	case 8: return 0xffff;
	case 9: return 0x1ffff;
	case 10: return 0x3ffff;
	case 11: return 0x7ffff;
	case 12: return ~0ull << (take8(in) % 64);            /* high mask: never low */
	case 13: return swiotlb_bit_mask(1 + take8(in) % 64); /* any low mask */
	case 14: return 1ull << (take8(in) % 64);              /* one bit: low only for 1 */
	case 15: return take(in, 8);                           /* anything */
	case 16: return ~0ull - take8(in);                     /* near the top */
	case 17: return 0x1ff;
	case 18: return 0xfffffffffull;                        /* 36 bits */
	default: return 0x1fffffull;
	}
}

/* ------------------------------------------------------------------ model */

struct pool {
	uint64_t start, end; /* phys = dma on this platform */
	uint64_t nslabs;
	uint32_t nareas;
	uint8_t *shadow;
};

struct mapping {
	bool live, used;      /* used: the original is tracked (live or not) */
	bool bounced;
	int dev, pool;
	uint32_t dir, slots;
	uint64_t orig, dma, start; /* start: reserved start (padding included) */
	size_t size;
	uint8_t *mirror;      /* what the original must hold */
};

struct world {
	const char *policy;
	struct swiotlb *tlb;
	struct swiotlb_device dev[NDEV], twin64[NDEV], twin64k[NDEV];
	bool no_fallback;
	int npools;
	struct pool pool[MAXPOOLS];
	size_t shadow_used;
	struct mapping m[MAXMAP];
};

static uint8_t shadow_mem[SHADOW_BYTES];
static uint8_t mirror_mem[MAXMAP][MAX_OSIZE];

static uint8_t *mem(uint64_t phys, size_t n)
{
	uint8_t *p = swiotlb_posix_ptr(px, phys, n);
	if (!p)
		violation("the model addressed memory outside the span", __LINE__);
	return p;
}

static struct pool *pool_of(struct world *w, uint64_t a)
{
	for (int i = 0; i < w->npools; i++)
		if (a >= w->pool[i].start && a < w->pool[i].end)
			return &w->pool[i];
	return NULL;
}

/* The shadow bytes of [a, a+n), which must lie in one pool. */
static uint8_t *shadow_at(struct world *w, uint64_t a, size_t n)
{
	struct pool *p = pool_of(w, a);
	if (!p || a + n > p->end)
		violation("a bounce range leaves its pool", __LINE__);
	return p->shadow + (a - p->start);
}

static bool overlaps_pool(const struct world *w, uint64_t a, uint64_t last)
{
	for (int i = 0; i < w->npools; i++)
		if (a < w->pool[i].end && last >= w->pool[i].start)
			return true;
	return false;
}

static bool dev_valid(const struct swiotlb_device *d)
{
	return d->dma_mask && !(d->min_align_mask & (d->min_align_mask + 1)) &&
	       !(d->seg_boundary_mask & (d->seg_boundary_mask + 1)) && !(d->flags & ~SWIOTLB_DEV_FORCE_BOUNCE);
}

static uint64_t dev_limit(const struct swiotlb_device *d)
{
	return d->bus_dma_limit && d->bus_dma_limit < d->dma_mask ? d->bus_dma_limit : d->dma_mask;
}

/* Contents no shifted or misplaced copy can reproduce: each 1 KiB block is
 * taken from a different place in a table of random bytes. */
static uint8_t noise[8192];

static void pattern(uint8_t *p, size_t n, uint8_t seed, uint8_t step)
{
	if (!noise[0]) {
		uint64_t z = 0x9e3779b97f4a7c15ull;
		for (size_t i = 0; i < sizeof(noise); i++) {
			z ^= z << 13, z ^= z >> 7, z ^= z << 17;
			noise[i] = (uint8_t)(z >> 24);
		}
		noise[0] |= 1;
	}
	for (size_t b = 0; b < n; b += 1024) {
		size_t at = ((size_t)seed * 97 + (b >> 10) * (2u * step + 1) * 331) % 4096;
		memcpy(p + b, noise + at, n - b < 1024 ? n - b : 1024);
	}
}

/* --------------------------------------------------------- snapshots */

struct snap {
	struct swiotlb_stats tot, pool[MAXPOOLS];
};

static void snapshot(struct world *w, struct snap *s)
{
	PROP(swiotlb_get_stats(w->tlb, -1, &s->tot) == 0, "stats of the instance");
	for (int i = 0; i < w->npools; i++)
		PROP(swiotlb_get_stats(w->tlb, i, &s->pool[i]) == 0, "stats of a pool");
}

/* Every statistic but the failure counters. */
static bool same_state(const struct swiotlb_stats *a, const struct swiotlb_stats *b)
{
	struct swiotlb_stats x = *a, y = *b;
	x.fail_full = y.fail_full = x.fail_too_large = y.fail_too_large = 0;
	x.fail_unreachable = y.fail_unreachable = x.fail_not_mapped = y.fail_not_mapped = 0;
	x.fail_range = y.fail_range = 0;
	if (!memcmp(&x, &y, sizeof(x)))
		return true;
#define SHOW_DIFF(field, key, help)                                                                      \
	if (x.field != y.field)                                                                          \
		fprintf(stderr, "fuzz_ops: %s was %llu, now %llu\n", key, (unsigned long long)x.field, \
			(unsigned long long)y.field);
	SWIOTLB_STATS(SHOW_DIFF)
#undef SHOW_DIFF
	return false;
}

/* Every byte of every pool and every tracked original equals the model. */
static void check_memory(struct world *w)
{
	for (int i = 0; i < w->npools; i++) {
		struct pool *p = &w->pool[i];
		PROP(!memcmp(mem(p->start, p->end - p->start), p->shadow, p->end - p->start),
		     "pool bytes differ from the model");
	}
	for (int k = 0; k < MAXMAP; k++) {
		struct mapping *x = &w->m[k];
		if (x->used)
			PROP(!memcmp(mem(x->orig, x->size), x->mirror, x->size), "original bytes differ from the model");
	}
}

/*
 * Every byte the library writes to a pool or an original goes through the
 * platform's copy callback; this one logs each destination.  A refused call
 * must log nothing; after a successful one, each logged range and each range
 * the model changed is compared byte for byte.  The whole of memory is
 * compared every few calls and at the end of a run, which also catches a
 * write made some other way.
 */
#define WLOG_MAX 16
static struct {
	uint64_t phys;
	size_t n;
} wlog[WLOG_MAX];
static int nwlog;
static uint8_t *membase;

static void logging_copy(void *ctx, void *dst, const void *src, size_t n)
{
	(void)ctx;
	if (nwlog < WLOG_MAX) {
		wlog[nwlog].phys = (uint64_t)((uint8_t *)dst - membase);
		wlog[nwlog].n = n;
	}
	nwlog++;
	memcpy(dst, src, n);
}

/* [a, a+n) equals the model wherever the model tracks it; with `strict`,
 * every byte must be tracked (a write elsewhere is a stray write). */
static void check_range(struct world *w, uint64_t a, size_t n, bool strict)
{
	size_t covered = 0;
	for (int i = 0; i < w->npools; i++) {
		struct pool *p = &w->pool[i];
		uint64_t lo = a > p->start ? a : p->start, hi = a + n < p->end ? a + n : p->end;
		if (lo < hi) {
			PROP(!memcmp(mem(lo, hi - lo), p->shadow + (lo - p->start), hi - lo), "pool bytes differ from the model");
			covered += hi - lo;
		}
	}
	for (int k = 0; k < MAXMAP; k++) {
		struct mapping *x = &w->m[k];
		uint64_t lo = a > x->orig ? a : x->orig, hi = a + n < x->orig + x->size ? a + n : x->orig + x->size;
		if (x->used && lo < hi) {
			PROP(!memcmp(mem(lo, hi - lo), x->mirror + (lo - x->orig), hi - lo),
			     "original bytes differ from the model");
			covered += hi - lo;
		}
	}
	if (strict)
		PROP(covered >= n, "the library wrote outside every pool and tracked original");
}

static void begin_call(void) { nwlog = 0; }

/* After a successful call: what it wrote, and what the model says changed. */
static void check_writes(struct world *w, uint64_t a, size_t n)
{
	PROP(nwlog <= WLOG_MAX, "one call made more copies than expected");
	for (int i = 0; i < nwlog; i++)
		check_range(w, wlog[i].phys, wlog[i].n, true);
	if (n)
		check_range(w, a, n, false);
}

static void check_invariants(struct world *w)
{
	char why[256];
	if (swiotlb_check(w->tlb, why, sizeof(why))) {
		fprintf(stderr, "fuzz_ops: swiotlb_check: %s\n", why);
		violation("swiotlb_check", __LINE__);
	}
}

/* A refused call changed nothing. `target`: a live mapping it aimed at. */
static void check_refused(struct world *w, const struct snap *before, int target)
{
	struct snap after;
	snapshot(w, &after);
	PROP(same_state(&before->tot, &after.tot), "a refused call changed the instance's statistics");
	for (int i = 0; i < w->npools; i++)
		PROP(same_state(&before->pool[i], &after.pool[i]), "a refused call changed a pool's statistics");
	if (nwlog) {
		fprintf(stderr, "fuzz_ops: %d copies, the first %zu bytes to 0x%llx\n", nwlog, wlog[0].n,
			(unsigned long long)wlog[0].phys);
		violation("a refused call wrote memory", __LINE__);
	}
	if (target >= 0 && w->m[target].live && w->m[target].bounced) {
		/* still live: a sync that copies nothing for this direction */
		struct mapping *x = &w->m[target];
		const struct swiotlb_device *d = &w->dev[x->dev];
		int rc = x->dir == SWIOTLB_TO_DEVICE ? swiotlb_sync_for_cpu(w->tlb, d, x->dma, 1, SWIOTLB_TO_DEVICE)
			 : x->dir == SWIOTLB_FROM_DEVICE ? swiotlb_sync_for_device(w->tlb, d, x->dma, 1, SWIOTLB_FROM_DEVICE)
							 : 0;
		PROP(rc == 0, "a refused call ended its target mapping");
	}
	check_invariants(w);
}

static bool in_arena(uint64_t a)
{
	return (a >= ORIG_LOW && a < ORIG_LOW + MAXMAP * ORIG_STRIDE) ||
	       (a >= ORIG_HIGH && a < ORIG_HIGH + MAXMAP * ORIG_STRIDE);
}

/* Stop tracking an original; one outside the arenas is cleared, since a
 * later pool may be placed there and pool memory starts zeroed. */
static void untrack(struct mapping *x)
{
	if (x->used && !in_arena(x->orig))
		memset(mem(x->orig, x->size), 0, x->size);
	x->used = false;
}

/* ---------------------------------------------------------------- pools */

static void add_pool(struct world *w, struct input *in)
{
	static const uint64_t bases[] = { 0x0, 0x100000, 0x1000000, 0x4000000, 0xff000000, 0x100000000ull,
					  0x180000000ull, 0x1f0000000ull };
	/* small pools most often: each run touches every byte of its pools */
	static const uint64_t sizes[16] = { 1, 2, 3, 8, 8, 16, 16, 24, 24, 64, 64, 128, 130, 256, 3, 1 };
	unsigned b = take8(in), s = take8(in), a = take8(in);
	struct swiotlb_pool_config pc;
	memset(&pc, 0, sizeof(pc));
	pc.exact = pc.has_base = pc.placement_set = true;
	snprintf(pc.policy, sizeof(pc.policy), "%s", w->policy);
	snprintf(pc.name, sizeof(pc.name), "p%d", w->npools);
	if ((a & 0xc0) == 0xc0 && w->npools) /* a name in use: refused */
		snprintf(pc.name, sizeof(pc.name), "p0");
	pc.nslabs = sizes[s % 16];
	pc.nareas = (uint32_t[]){ 0, 1, 2, 4, 3, 8 }[(a & 0x3f) % 6];
	uint64_t bytes = (pc.nslabs * SWIOTLB_SLOT_SIZE + 0xfff) & ~0xfffull;
	if (b >> 4 == 15)
		pc.base = 0x100000000ull - bytes; /* ends exactly at 4 GiB */
	else
		pc.base = bases[b % 8] + ((b >> 3) & 1 ? (uint64_t)(s >> 4) * 0x1000 : 0); /* odd page offsets */
	if ((b & 0x70) == 0x70)
		pc.base += 0x800; /* not page aligned: refused */
	pc.placement = pc.base + bytes - 1 > 0xffffffffull ? SWIOTLB_PLACE_ANY : SWIOTLB_PLACE_LOW;
	if ((s & 0x0f) == 0x0f)
		pc.placement ^= 1; /* sometimes the wrong one: low above 4 GiB is refused */
	if (w->npools >= MAXPOOLS || w->shadow_used + bytes > SHADOW_BYTES)
		return;
	/* a pool may be placed over memory that held an original: the model
	 * stops tracking a dead one and does not try over a live one */
	for (int k = 0; k < MAXMAP; k++) {
		struct mapping *y = &w->m[k];
		if (y->used && pc.base < y->orig + y->size && y->orig < pc.base + bytes) {
			if (y->live)
				return;
			untrack(y);
		}
	}
	struct snap before;
	snapshot(w, &before);
	TRACE("pool p%d slots=%llu base=0x%llx areas=%u placement=%s policy=%s\n", w->npools,
	      (unsigned long long)pc.nslabs, (unsigned long long)pc.base, pc.nareas,
	      pc.placement ? "any" : "low", pc.policy);
	begin_call();
	int rc = swiotlb_pool_add(w->tlb, &pc);
	TRACE("# -> %s\n", rc < 0 ? swiotlb_errname(rc) : "ok");
	if (rc < 0) {
		PROP(swiotlb_pool_count(w->tlb) == w->npools, "a refused pool_add added a pool");
		check_refused(w, &before, -1);
		return;
	}
	PROP(rc == w->npools, "pool_add returned another index");
	struct swiotlb_pool_info info;
	PROP(swiotlb_pool_info(w->tlb, rc, &info) == 0, "pool_info");
	PROP(info.base == pc.base && info.nslabs == pc.nslabs, "pool placed elsewhere");
	PROP(!overlaps_pool(w, info.base, info.end - 1), "two pools overlap");
	struct pool *p = &w->pool[w->npools++];
	p->start = info.base;
	p->end = info.end;
	p->nslabs = info.nslabs;
	p->nareas = info.nareas;
	p->shadow = shadow_mem + w->shadow_used;
	w->shadow_used += info.end - info.base;
	/* memory outside the arenas is zero between runs (freed pools and
	 * originals next to pools are cleared) */
	memset(p->shadow, 0, p->end - p->start);
	check_writes(w, 0, 0);
	check_invariants(w);
}

/* ---------------------------------------------------------------- devices */

static void make_devices(struct world *w, struct input *in)
{
	static const char *const names[NDEV] = { "d0", "d1", "d2", "d3" };
	for (int i = 0; i < NDEV; i++) {
		struct swiotlb_device *d = &w->dev[i];
		unsigned shape = take8(in);
		swiotlb_device_init(d, names[i], 0);
		switch (shape & 7) {
		case 0: d->dma_mask = 0xffffffffull; break;
		case 1: d->dma_mask = ~0ull; break;
		case 2: d->dma_mask = 0xffffffull; break;
		case 3: /* exactly the end of a pool, or one byte short of it */
			d->dma_mask = w->npools ? w->pool[take8(in) % w->npools].end - 1 - (shape >> 7) : 0xffffffff;
			break;
		default: d->dma_mask = draw_mask(in); break;
		}
		if (shape & 0x08)
			d->bus_dma_limit = draw_mask(in);
		if (shape & 0x10)
			d->min_align_mask = draw_mask(in);
		if (shape & 0x20)
			d->seg_boundary_mask = draw_mask(in);
		if (shape & 0x40)
			d->flags = SWIOTLB_DEV_FORCE_BOUNCE;
		if ((shape & 0xc0) == 0xc0 && (take8(in) & 7) == 0)
			d->flags |= 1u << 5; /* unknown flag: every call refused */
		TRACE("device %s mask=0x%llx bus_limit=0x%llx min_align=0x%llx boundary=0x%llx%s%s\n", d->name,
		      (unsigned long long)d->dma_mask, (unsigned long long)d->bus_dma_limit,
		      (unsigned long long)d->min_align_mask, (unsigned long long)d->seg_boundary_mask,
		      (d->flags & SWIOTLB_DEV_FORCE_BOUNCE) ? " force" : "",
		      (d->flags & ~SWIOTLB_DEV_FORCE_BOUNCE) ? " # and an unknown flag" : "");
		/* twins: the same device but for ids equal modulo 64 and 65536 */
		w->twin64[i] = *d;
		w->twin64[i].id = d->id + 64;
		w->twin64k[i] = *d;
		w->twin64k[i].id = d->id + 65536;
	}
}

/* Which device a call is made for: a real one or a twin of one. */
static const struct swiotlb_device *pick_dev(struct world *w, unsigned sel, int owner)
{
	unsigned i = (sel >> 2) % NDEV;
	switch (sel & 3) {
	case 0: return &w->dev[owner >= 0 ? owner : (int)i];
	case 1: return &w->twin64[owner >= 0 ? owner : (int)i];
	case 2: return &w->twin64k[owner >= 0 ? owner : (int)i];
	default: return &w->dev[i];
	}
}

static const char *dev_label(const struct world *w, const struct swiotlb_device *d)
{
	static char buf[16];
	for (int i = 0; i < NDEV; i++)
		if (d == &w->dev[i] || d == &w->twin64[i] || d == &w->twin64k[i]) {
			snprintf(buf, sizeof(buf), "d%d%s", i, d == &w->dev[i] ? "" : d == &w->twin64[i] ? "t64" : "t64k");
			return buf;
		}
	return "?";
}

static int owner_of(const struct world *w, const struct swiotlb_device *d)
{
	for (int i = 0; i < NDEV; i++)
		if (d == &w->dev[i])
			return i;
	return -1; /* a twin owns nothing */
}

/* -------------------------------------------------------------------- map */

static int free_slot(struct world *w, unsigned sel)
{
	for (int j = 0; j < MAXMAP; j++) {
		int k = (int)((sel + (unsigned)j) % MAXMAP);
		if (!w->m[k].live)
			return k;
	}
	return -1;
}

static size_t draw_size(struct input *in)
{
	unsigned s = take8(in);
	switch (s % 10) {
	case 0: return 1 + take8(in) % 64;
	case 3: /* rarely large: beyond a segment is always too large */
		return (s & 0xe0) ? 1 + take(in, 2) % 8192 : 1 + take(in, 3) % MAX_OSIZE;
	case 1: return 1 + take(in, 2) % 4096;
	case 2: return (size_t)SWIOTLB_SLOT_SIZE * (1 + take8(in) % 130) + (size_t)(take8(in) % 3) - 1;
	case 4: return (s & 0x80) ? 0 : 4096; /* 0: invalid */
	case 5: return (s & 0x80) ? (1u << 30) + 1 : 1u << 18;
	case 6: return 1 + take(in, 2) % 16384;
	default: return 1 + take8(in) % 2048;
	}
}

static uint64_t draw_align(struct input *in)
{
	unsigned s = take8(in);
	switch (s % 8) {
	case 0: case 1: case 2: return 0;
	case 3: return 0xfff;
	case 4: return swiotlb_bit_mask(1 + take8(in) % 20);
	default: {
		uint64_t m = draw_mask(in);
		return m;
	}
	}
}

/* Where the original lies: mostly its own arena slot, sometimes across a
 * pool, next to one, beyond memory, or wrapping.  Sets *trackable when the
 * buffer is ordinary memory the model can keep a copy of. */
static uint64_t draw_orig(struct world *w, struct input *in, int k, size_t *sizep, bool *trackable)
{
	size_t size = *sizep;
	unsigned s = take8(in);
	uint64_t off = take(in, 2) % 0x3000;
	*trackable = false;
	if (s % 16 < 11 || !w->npools) {
		*trackable = size <= MAX_OSIZE;
		return (s & 1 ? ORIG_HIGH : ORIG_LOW) + (uint64_t)k * ORIG_STRIDE + off;
	}
	const struct pool *p = &w->pool[take8(in) % w->npools];
	uint64_t orig;
	switch (s % 16) {
	case 11: return p->start + off % (p->end - p->start);    /* starts inside */
	case 12: return p->end - off % (p->end - p->start) - size; /* ends inside, starts before */
	case 13:
		/* spans the whole pool: its first and last bytes lie outside */
		*sizep = (size_t)(p->end - p->start) + 2 + 2 * (off % 0x1000);
		return p->start - 1 - off % 0x1000;
	case 14: /* touching a pool, not overlapping it */
		orig = (s & 0x80) ? p->end : p->start - size;
		*trackable = size <= MAX_OSIZE && orig < SPAN && size <= SPAN - orig &&
			     !overlaps_pool(w, orig, orig + size - 1);
		return orig;
	default: return (s & 0x80) ? ~0ull - off : 0x300000000ull + off * 0x1000; /* wraps / beyond memory */
	}
}

/* Track [orig, orig+size) as slot k's original: no longer track the dead
 * originals it overlaps; false if it overlaps a live one. */
static bool track(struct world *w, int k, uint64_t orig, size_t size)
{
	for (int j = 0; j < MAXMAP; j++) {
		struct mapping *y = &w->m[j];
		if (j == k || !y->used || orig >= y->orig + y->size || y->orig >= orig + size)
			continue;
		if (y->live)
			return false;
		untrack(y);
	}
	return true;
}

static uint8_t seed_of(struct input *in) { return (uint8_t)take8(in); }

static void op_map(struct world *w, struct input *in)
{
	int k = free_slot(w, take8(in));
	if (k < 0)
		return;
	struct mapping *x = &w->m[k];
	unsigned sel = take8(in);
	int di = (int)(sel % NDEV);
	const struct swiotlb_device *d = &w->dev[di];
	size_t size = draw_size(in);
	bool own;
	uint64_t orig = draw_orig(w, in, k, &size, &own);
	if (own && !track(w, k, orig, size))
		return;
	struct swiotlb_map_args a = {
		.orig = orig,
		.size = size,
		.dir = take8(in) % 4 == 3 && (sel & 0x40) ? 3u : take8(in) % 3,
		.attrs = (sel & 0x80) ? SWIOTLB_ATTR_NO_WARN : 0,
		.alloc_align_mask = draw_align(in),
		.cpu = (int[]){ -1, 0, 1, 3, 1000, -2, -1, 0 }[take8(in) % 8],
	};
	if ((sel & 0xc0) == 0xc0 && (take8(in) & 3) == 0)
		a.attrs |= 1u << 7; /* unknown attribute */
	uint64_t last = orig + size - 1;
	bool wraps = size && last < orig;
	bool bad = !dev_valid(d) || !size || size > (1u << 30) || a.dir > 2 ||
		   (a.attrs & ~(SWIOTLB_ATTR_SKIP_CPU_SYNC | SWIOTLB_ATTR_NO_WARN)) ||
		   (a.alloc_align_mask & (a.alloc_align_mask + 1)) || a.cpu < -1 || wraps || orig == ~0ull ||
		   /* no answer: an alignment of 2^64, a boundary window inside a slot */
		   a.alloc_align_mask == ~0ull || (d->seg_boundary_mask && d->seg_boundary_mask < SWIOTLB_SLOT_SIZE - 1);
	bool in_pool = !bad && overlaps_pool(w, orig, last);
	untrack(x);
	if (own) {
		x->used = true;
		x->orig = orig;
		x->size = size;
		x->mirror = mirror_mem[k];
		pattern(x->mirror, size, seed_of(in), (uint8_t)(1 + 2 * (sel & 7)));
		memcpy(mem(orig, size), x->mirror, size);
	}
	bool force = (d->flags & SWIOTLB_DEV_FORCE_BOUNCE) != 0;
	bool direct = !bad && !in_pool && !force && last <= dev_limit(d);
	bool any_eligible = false, all_empty = true, segment_pool_empty = false;
	/* the kernel's search (linux) gives up after area_nslabs slot steps, and
	 * when the area is not whole segments or the pool's start is not aligned
	 * as asked, a wrap to the area start loses the stride's phase: "full" on
	 * an empty pool is then the kernel's answer too */
	bool linux_policy = !strcmp(w->policy, "linux");
	uint64_t phase = a.alloc_align_mask | d->min_align_mask | (SWIOTLB_SLOT_SIZE - 1);
	bool kernel_shapes = !linux_policy || phase < (1u << 18);
	struct snap before;
	snapshot(w, &before);
	for (int i = 0; i < w->npools; i++) {
		if (w->pool[i].end - 1 > dev_limit(d))
			continue;
		any_eligible = true;
		all_empty &= before.pool[i].used == 0;
		if (linux_policy)
			kernel_shapes &= (w->pool[i].nslabs / w->pool[i].nareas) % 128 == 0 && !(w->pool[i].start & phase);
		if (before.pool[i].used == 0 && w->pool[i].nslabs >= 128 &&
		    (w->pool[i].nslabs / w->pool[i].nareas) % 128 == 0)
			segment_pool_empty = true;
	}

	struct swiotlb_map_result r;
	memset(&r, 0x5a, sizeof(r));
	TRACE("map m%d dev=d%d orig=0x%llx size=%zu dir=%s align=0x%llx cpu=%d%s\n", k, di,
	      (unsigned long long)orig, size, dir_name[a.dir & 3], (unsigned long long)a.alloc_align_mask, a.cpu,
	      (a.attrs & SWIOTLB_ATTR_NO_WARN) ? " no_warn" : "");
	begin_call();
	int rc = swiotlb_map_ex(w->tlb, d, &a, &r);
	TRACE("# -> %s dma=0x%llx slots=%u\n", swiotlb_errname(rc), (unsigned long long)r.dma, r.slots);

	if (bad || in_pool) {
		PROP(rc == SWIOTLB_EINVAL, in_pool ? "an original overlapping a pool was accepted"
						   : "a map with a bad argument was not refused as invalid");
		check_refused(w, &before, -1);
		return;
	}
	if (direct) {
		PROP(rc == 0 && !r.bounced && r.dma == orig, "a buffer the device reaches was not mapped directly");
		check_writes(w, 0, 0);
		return;
	}
	/* bouncing is needed */
	if (rc) {
		PROP(rc == SWIOTLB_EFULL || rc == SWIOTLB_ETOOLARGE || rc == SWIOTLB_EUNREACHABLE ||
			     rc == SWIOTLB_ENOPOOL || (rc == SWIOTLB_EPLATFORM && !own),
		     "a map failed with an unexpected error");
		PROP((rc == SWIOTLB_EUNREACHABLE || rc == SWIOTLB_ENOPOOL) == !any_eligible,
		     "unreachable iff no pool lies within the device's limit");
		PROP(!(rc == SWIOTLB_EFULL && all_empty && kernel_shapes), "full, with every reachable pool empty");
		/* without fallback only the first pool that could hold it is tried */
		if ((rc == SWIOTLB_EFULL || rc == SWIOTLB_ETOOLARGE) && segment_pool_empty && !w->no_fallback &&
		    !a.alloc_align_mask &&
		    (!d->seg_boundary_mask || d->seg_boundary_mask == ~0ull) && size <= swiotlb_max_mapping_size(d))
			PROP(0, "a mapping within max_mapping_size did not fit an empty pool of whole segments");
		check_refused(w, &before, -1);
		return;
	}
	PROP(own, "a map of an untracked original (beyond memory) succeeded");
	PROP(r.bounced && r.pool >= 0 && r.pool < w->npools, "a bounced map names no pool");
	struct pool *p = &w->pool[r.pool];
	uint64_t sub_mask = a.alloc_align_mask | (SWIOTLB_SLOT_SIZE - 1);
	uint64_t offset = orig & d->min_align_mask & sub_mask;
	uint64_t need = (size + offset + SWIOTLB_SLOT_SIZE - 1) / SWIOTLB_SLOT_SIZE;
	uint64_t start = r.dma - offset;
	uint64_t boundary = d->seg_boundary_mask ? d->seg_boundary_mask : ~0ull;
	PROP(r.slots >= need && r.slots >= 1, "fewer slots than the size and offset need");
	PROP(r.dma >= p->start && start >= p->start && start + (uint64_t)r.slots * SWIOTLB_SLOT_SIZE <= p->end,
	     "the reservation leaves its pool");
	PROP(!(start & (SWIOTLB_SLOT_SIZE - 1)), "the reserved start is not a slot");
	PROP(p->end - 1 <= dev_limit(d) && r.dma + size - 1 <= dev_limit(d), "bounced out of the device's reach");
	PROP(!((r.dma ^ orig) & d->min_align_mask & boundary), "min_align bits not preserved");
	PROP(!(start & a.alloc_align_mask & boundary), "reserved start not aligned to alloc_align_mask");
	if (!d->min_align_mask && !a.alloc_align_mask && size >= 4096)
		PROP(!(start & 0xfff & boundary), "a page-sized mapping not page aligned");
	if (boundary != ~0ull) {
		uint64_t window = boundary >= SWIOTLB_SLOT_SIZE - 1 ? (boundary >> 11) + 1 : 1;
		uint64_t s0 = start >> 11;
		PROP(s0 / window == (s0 + r.slots - 1) / window, "the reservation crosses a boundary window");
	}
	for (int j = 0; j < MAXMAP; j++) {
		struct mapping *y = &w->m[j];
		if (j != k && y->live && y->bounced &&
		    start < y->start + (uint64_t)y->slots * SWIOTLB_SLOT_SIZE &&
		    y->start < start + (uint64_t)r.slots * SWIOTLB_SLOT_SIZE)
			PROP(0, "two live reservations overlap");
	}
	struct snap after;
	snapshot(w, &after);
	PROP(after.tot.used == before.tot.used + r.slots, "used grew by other than the mapping's slots");
	x->live = x->bounced = true;
	x->dev = di;
	x->pool = r.pool;
	x->dir = a.dir;
	x->slots = r.slots;
	x->dma = r.dma;
	x->start = start;
	memcpy(shadow_at(w, r.dma, size), x->mirror, size); /* copied in, every direction */
	check_writes(w, r.dma, size);
}

/* ---------------------------------------------------------- unmap / sync */

/* The live mapping an unmap with these arguments must end, -1 for none. */
static int unmap_target(struct world *w, const struct swiotlb_device *d, uint64_t dma, size_t size, uint32_t dir)
{
	int owner = owner_of(w, d);
	for (int k = 0; k < MAXMAP; k++) {
		struct mapping *x = &w->m[k];
		if (x->live && x->dma == dma && x->size == size && x->dir == dir && x->dev == owner)
			return k;
	}
	return -1;
}

/* The live mapping whose reserved slots hold `a`, -1 for none. */
static int holder(struct world *w, uint64_t a)
{
	for (int k = 0; k < MAXMAP; k++) {
		struct mapping *x = &w->m[k];
		if (x->live && a >= x->start && a < x->start + (uint64_t)x->slots * SWIOTLB_SLOT_SIZE)
			return k;
	}
	return -1;
}

static void do_unmap(struct world *w, const struct swiotlb_device *d, uint64_t dma, size_t size, uint32_t dir,
		     uint32_t attrs)
{
	bool bad = !dev_valid(d) || !size || dir > 2 || (attrs & ~(SWIOTLB_ATTR_SKIP_CPU_SYNC | SWIOTLB_ATTR_NO_WARN));
	int t = bad ? -1 : unmap_target(w, d, dma, size, dir);
	int near = holder(w, dma);
	struct snap before;
	snapshot(w, &before);
	TRACE("%sunmap m%d dma=0x%llx size=%zu dev=%s dir=%s%s\n", near < 0 && t < 0 ? "# " : "", t >= 0 ? t : near,
	      (unsigned long long)dma, size, dev_label(w, d), dir_name[dir & 3],
	      (attrs & SWIOTLB_ATTR_SKIP_CPU_SYNC) ? " skip_sync" : "");
	begin_call();
	int rc = swiotlb_unmap(w->tlb, d, dma, size, (enum swiotlb_dir)dir, attrs);
	TRACE("# -> %s\n", swiotlb_errname(rc));
	if (bad) {
		PROP(rc == SWIOTLB_EINVAL, "an unmap with a bad argument was not refused as invalid");
		check_refused(w, &before, near);
		return;
	}
	if (!pool_of(w, dma)) {
		PROP(rc == 0, "an unmap outside every pool (a direct mapping) failed");
		check_refused(w, &before, -1); /* and did nothing */
		return;
	}
	if (t < 0) {
		PROP(rc == SWIOTLB_ENOTMAPPED, "an unmap that matches no live mapping was not refused");
		check_refused(w, &before, near);
		return;
	}
	PROP(rc == 0, "an unmap of a live mapping failed");
	struct mapping *x = &w->m[t];
	struct snap after;
	snapshot(w, &after);
	PROP(after.tot.used + x->slots == before.tot.used, "used fell by other than the mapping's slots");
	if (!(attrs & SWIOTLB_ATTR_SKIP_CPU_SYNC) && dir != SWIOTLB_TO_DEVICE)
		memcpy(x->mirror, shadow_at(w, x->dma, x->size), x->size);
	x->live = false;
	check_writes(w, x->orig, x->size);
}

static void do_sync(struct world *w, const struct swiotlb_device *d, uint64_t a, size_t len, uint32_t dir,
		    bool for_cpu)
{
	bool bad = !dev_valid(d) || !len || dir > 2;
	int k = holder(w, a);
	struct snap before;
	snapshot(w, &before);
	TRACE("%ssync m%d for=%s dma=0x%llx len=%zu dev=%s dir=%s\n", k < 0 ? "# " : "", k, for_cpu ? "cpu" : "device",
	      (unsigned long long)a, len, dev_label(w, d), dir_name[dir & 3]);
	begin_call();
	int rc = for_cpu ? swiotlb_sync_for_cpu(w->tlb, d, a, len, (enum swiotlb_dir)dir)
			 : swiotlb_sync_for_device(w->tlb, d, a, len, (enum swiotlb_dir)dir);
	TRACE("# -> %s\n", swiotlb_errname(rc));
	if (bad) {
		PROP(rc == SWIOTLB_EINVAL, "a sync with a bad argument was not refused as invalid");
		check_refused(w, &before, k);
		return;
	}
	if (!pool_of(w, a)) {
		PROP(rc == 0, "a sync outside every pool (a direct mapping) failed");
		check_refused(w, &before, -1);
		return;
	}
	struct mapping *x = k >= 0 ? &w->m[k] : NULL;
	bool owner = x && owner_of(w, d) == x->dev;
	bool inside = x && a >= x->dma && len <= x->size && a - x->dma <= x->size - len;
	/* a bidirectional mapping may be synced either way (as dma-debug allows) */
	bool dir_ok = x && (x->dir == SWIOTLB_BIDIRECTIONAL || x->dir == dir);
	if (!x || !owner || !dir_ok || !inside) {
		if (!x || !owner)
			PROP(rc == SWIOTLB_ENOTMAPPED, x ? "a sync by another device was not refused"
							 : "a sync of no live mapping was not refused");
		else if (!dir_ok)
			PROP(rc < 0, "a sync in another direction than the mapping's was not refused");
		else if (a >= x->dma && a < x->dma + x->size)
			PROP(rc == SWIOTLB_ERANGE, "a sync beyond the mapping's bytes was not refused as range");
		else
			PROP(rc < 0, "a sync outside the mapping's bytes was not refused");
		check_refused(w, &before, k);
		return;
	}
	PROP(rc == 0, "a valid sync failed");
	uint64_t off = a - x->dma;
	if (for_cpu && dir != SWIOTLB_TO_DEVICE)
		memcpy(x->mirror + off, shadow_at(w, a, len), len);
	else if (!for_cpu && dir != SWIOTLB_FROM_DEVICE)
		memcpy(shadow_at(w, a, len), x->mirror + off, len);
	struct snap after;
	snapshot(w, &after);
	PROP(after.tot.used == before.tot.used && after.tot.maps == before.tot.maps, "a sync changed the allocation");
	check_writes(w, for_cpu ? x->orig + off : a, len);
}

static int live_slot(struct world *w, unsigned sel)
{
	for (int j = 0; j < MAXMAP; j++) {
		int k = (int)((sel + (unsigned)j) % MAXMAP);
		if (w->m[k].live)
			return k;
	}
	return -1;
}

/* The device writes (part of) a mapping's bounce buffer. */
static void device_writes(struct world *w, struct mapping *x, uint8_t seed)
{
	uint8_t *s = shadow_at(w, x->dma, x->size);
	pattern(s, x->size, seed, 7);
	TRACE("# the device writes m? at 0x%llx+%zu\n", (unsigned long long)x->dma, x->size);
	memcpy(mem(x->dma, x->size), s, x->size);
}

static void op_unmap(struct world *w, struct input *in)
{
	int k = live_slot(w, take8(in));
	if (k < 0)
		return;
	struct mapping *x = &w->m[k];
	unsigned sel = take8(in);
	if (x->dir != SWIOTLB_TO_DEVICE && (sel & 1))
		device_writes(w, x, seed_of(in));
	do_unmap(w, &w->dev[x->dev], x->dma, x->size, x->dir, (sel & 2) ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0);
}

static void op_bogus_unmap(struct world *w, struct input *in)
{
	int k = live_slot(w, take8(in));
	if (k < 0)
		return;
	struct mapping *x = &w->m[k];
	unsigned v = take8(in), extra = take8(in);
	const struct swiotlb_device *d = &w->dev[x->dev];
	uint64_t dma = x->dma;
	size_t size = x->size;
	uint32_t dir = x->dir, attrs = (extra & 1) ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0;
	switch (v % 12) {
	case 0: size += 1 + extra % 4096; break;
	case 1: size -= 1; break; /* 0 for a 1-byte mapping: invalid */
	case 2: dma += 1 + extra % 4096; break;
	case 3: dma -= 1 + extra % 4096; break;
	case 4: dma = x->start; break;            /* the padding before it, if any */
	case 5: dma += x->size; break;            /* just past it */
	case 6: dir = (dir + 1 + extra % 2) % 3; break;
	case 7: dir = 3; break;
	case 8: d = pick_dev(w, extra, -1); break;
	case 9: d = pick_dev(w, extra | 1, x->dev); break; /* a twin, or another */
	case 10: attrs |= 1u << 6; break;
	default: d = pick_dev(w, extra & ~3u, -1); dma = x->start + (extra % (x->slots * 2)) * 1024; break;
	}
	do_unmap(w, d, dma, size, dir, attrs);
}

static void op_sync(struct world *w, struct input *in)
{
	int k = live_slot(w, take8(in));
	if (k < 0)
		return;
	struct mapping *x = &w->m[k];
	unsigned v = take8(in), extra = take8(in);
	bool for_cpu = v & 1;
	const struct swiotlb_device *d = &w->dev[x->dev];
	uint32_t dir = x->dir;
	size_t off = take(in, 3) % x->size;
	size_t len = 1 + take(in, 3) % (x->size - off);
	uint64_t a = x->dma + off;
	if (x->dir != SWIOTLB_TO_DEVICE && (v & 2))
		device_writes(w, x, seed_of(in));
	switch ((v >> 2) % 8) {
	case 0: case 1: case 2: break; /* valid */
	case 3: dir = (dir + 1 + extra % 2) % 3; break;
	case 4: len = x->size - off + 1 + extra % 64; break; /* beyond the end */
	case 5: a = x->start + extra % (x->dma - x->start + 1); len = 1 + extra % 8; break; /* before / padding */
	case 6: d = pick_dev(w, extra, x->dev); break;
	default: dir = extra % 16 == 0 ? 3 : dir; len = extra % 16 == 1 ? 0 : len; break;
	}
	do_sync(w, d, a, len, dir, for_cpu);
}

/* A hostile device writes anywhere in a pool: the library keeps no state
 * there, and what a later copy-back delivers is what the device wrote. */
static void op_device_writes(struct world *w, struct input *in)
{
	unsigned v = take8(in);
	int k = live_slot(w, take8(in));
	if ((v & 1) && k >= 0) {
		device_writes(w, &w->m[k], seed_of(in));
		return;
	}
	if (!w->npools)
		return;
	struct pool *p = &w->pool[take8(in) % w->npools];
	uint64_t off = take(in, 3) % (p->end - p->start);
	size_t n = 1 + take(in, 2) % 4096;
	if (n > p->end - p->start - off)
		n = (size_t)(p->end - p->start - off);
	pattern(p->shadow + off, n, seed_of(in), 3);
	memcpy(mem(p->start + off, n), p->shadow + off, n);
	TRACE("# a device writes the pool at 0x%llx+%zu\n", (unsigned long long)(p->start + off), n);
	check_invariants(w);
}

/* The CPU rewrites an original between syncs. */
static void op_cpu_writes(struct world *w, struct input *in)
{
	int k = live_slot(w, take8(in));
	if (k < 0)
		return;
	struct mapping *x = &w->m[k];
	pattern(x->mirror, x->size, seed_of(in), 5);
	memcpy(mem(x->orig, x->size), x->mirror, x->size);
	TRACE("# the CPU writes the original of m%d\n", k);
}

/* Addresses anywhere in a pool, with any size, device and direction. */
static void op_random(struct world *w, struct input *in)
{
	if (!w->npools)
		return;
	struct pool *p = &w->pool[take8(in) % w->npools];
	unsigned v = take8(in);
	uint64_t a = p->start + take(in, 3) % (p->end - p->start + 2) - (v & 0x80 ? 1 : 0);
	size_t len = 1 + take(in, 2) % 4096;
	const struct swiotlb_device *d = pick_dev(w, take8(in), -1);
	uint32_t dir = take8(in) % 3;
	switch (v % 3) {
	case 0: do_unmap(w, d, a, len, dir, 0); break;
	case 1: do_sync(w, d, a, len, dir, true); break;
	default: do_sync(w, d, a, len, dir, false); break;
	}
}

static void op_admin(struct world *w, struct input *in)
{
	unsigned v = take8(in);
	if (v & 1) {
		add_pool(w, in);
		return;
	}
	uint64_t value = (v & 2) ? 0 : draw_mask(in);
	struct snap before;
	snapshot(w, &before);
	TRACE("reset_hiwater value=0x%llx\n", (unsigned long long)value);
	begin_call();
	int rc = swiotlb_reset_hiwater(w->tlb, value);
	if (value) {
		PROP(rc == SWIOTLB_EINVAL, "a non-zero hiwater reset was accepted");
		check_refused(w, &before, -1);
	} else {
		PROP(rc == 0, "a hiwater reset failed");
		check_writes(w, 0, 0);
	}
}

/* ------------------------------------------------------------------- run */

/*
 * Pools at fixed bases are claimed here rather than from the POSIX
 * platform, whose release gives the pages back with MADV_DONTNEED: that
 * TLB flush per destroyed pool cost more than the rest of a run.  Freed pool
 * memory is cleared instead, so a claim still reads as zero.
 */
static struct {
	uint64_t start, end;
} claims[MAXPOOLS * 2];
static int nclaims;

static int claim_pool(void *ctx, uint64_t phys, uint64_t bytes, void **cpu)
{
	(void)ctx;
	if (phys >= SPAN || bytes > SPAN - phys || nclaims == MAXPOOLS * 2)
		return -1;
	for (int i = 0; i < nclaims; i++)
		if (phys < claims[i].end && claims[i].start < phys + bytes)
			return -1;
	claims[nclaims].start = phys;
	claims[nclaims++].end = phys + bytes;
	*cpu = membase + phys;
	return 0;
}

static void free_pool(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)ctx;
	for (int i = 0; i < nclaims; i++)
		if (claims[i].start == phys && claims[i].end == phys + bytes) {
			claims[i] = claims[--nclaims];
			memset(cpu, 0, bytes);
			return;
		}
	violation("the library freed a pool it did not claim", __LINE__);
}

static unsigned cpu0(void *arg)
{
	(void)arg;
	return 0;
}

static void run(const uint8_t *data, size_t size, const char *policy)
{
	static struct world w;
	struct input in = { data, size };
	struct swiotlb_platform plat;
	struct swiotlb_config cfg;

	memset(&w, 0, sizeof(w));
	w.policy = policy;
	swiotlb_posix_platform(px, &plat);
	plat.log = NULL;
	plat.copy = logging_copy;
	plat.pool_claim = claim_pool;
	plat.pool_free = free_pool;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	unsigned h = take8(&in);
	TRACE("# run under policy %s%s\npolicy %s\ncpus %u\n", policy, (h & 4) ? " (no fallback: not expressible)" : "",
	      policy, 1 + (h & 3));
	cfg.ncpus = 1 + (h & 3);
	cfg.no_fallback = w.no_fallback = (h & 4) != 0;
	if (swiotlb_create(&cfg, &plat, &w.tlb))
		abort();
	for (unsigned i = 0, n = 1 + (h >> 3) % 3; i < n; i++)
		add_pool(&w, &in);
	make_devices(&w, &in);

	for (int ops = 0; in.n && ops < MAXOPS; ops++) {
		switch (take8(&in) % 11) {
		case 0: case 1: case 2: op_map(&w, &in); break;
		case 3: op_unmap(&w, &in); break;
		case 4: op_bogus_unmap(&w, &in); break;
		case 5: case 6: op_sync(&w, &in); break;
		case 7: op_device_writes(&w, &in); break;
		case 8: op_cpu_writes(&w, &in); break;
		case 9: op_random(&w, &in); break;
		default: op_admin(&w, &in); break;
		}
		if (ops % 32 == 31) {
			check_memory(&w);
			check_invariants(&w);
		}
	}
	for (int k = 0; k < MAXMAP; k++)
		if (w.m[k].live)
			do_unmap(&w, &w.dev[w.m[k].dev], w.m[k].dma, w.m[k].size, w.m[k].dir, 0);
	struct swiotlb_stats st;
	swiotlb_get_stats(w.tlb, -1, &st);
	PROP(st.used == 0, "slots still used after every mapping was unmapped");
	check_memory(&w);
	check_invariants(&w);
	for (int k = 0; k < MAXMAP; k++) /* the next run's pools may lie here */
		untrack(&w.m[k]);
	swiotlb_destroy(w.tlb);
	PROP(nclaims == 0, "destroy did not free every pool");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!px) {
		tracing = getenv("FUZZ_TRACE") != NULL;
		if (swiotlb_posix_create(NULL, &px))
			abort();
		swiotlb_posix_set_cpu(px, cpu0, NULL);
		membase = swiotlb_posix_ptr(px, 0, 1);
	}
	/* every policy the library has, each against the same model */
	for (int i = 0; swiotlb_policy_name(i); i++)
		run(data, size, swiotlb_policy_name(i));
	return 0;
}
