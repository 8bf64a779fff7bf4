/* SPDX-License-Identifier: MIT */
/*
 * The `fast` placement policy: allocation and release in bounded time, best
 * fit with hot-slot reuse, per-CPU magazines for the common sizes, and less
 * than 8 bytes of metadata per slot (the kernel's record is 24) that still
 * carry everything a partial sync and a validated unmap need.
 *
 * Data structure
 * --------------
 * Each area is cut into regions: the parts of 128-slot segments that lie in
 * the area (for the pools the kernel itself makes, a region is a segment).
 * An allocation never leaves its region, as in the kernel.  Positions inside
 * a region count from its segment's first slot, so a position has the
 * parity of its absolute slot index.  Per region:
 *
 *   free[2]   128-bit map, 1 = free slot (positions outside the region: 0)
 *   head[2]   128-bit map, 1 = first slot of an allocation (padding included)
 *   words     128 packed 59-bit words, one per slot, holding the records
 *   le, lo    longest free run starting on an even / odd position
 *   links     the region's place in two doubly linked lists, E[le] and O[lo]
 *
 * Per area: for each family (E, O) and length L = 1..128 the head of the
 * list of regions whose longest even- (odd-) starting free run is exactly L,
 * and a 128-bit mask of the non-empty lists.  An allocation's extent is
 * derived, not stored: it runs from its head bit to the next head bit or
 * free slot.  A lookup from any slot finds the head as the highest head bit
 * at or below it.
 *
 * Records (59-bit words, in the allocation's own slots).  One slot:
 *   orig[0,39) size-1[39,50) dir[50,52) offmode[52], bits 53-58 zero
 * where offmode 1 means "the in-slot offset is orig & 2047" (a device whose
 * min_align_mask covers the slot) and 0 means offset 0.
 * Two or more slots (first two words):
 *   w0 = orig[0,59);  w1 = orig>>59 [0,5) size-1[5,23) offset[23,34)
 *        dir[34,36) pad[36,43), bits 43-58 zero
 * The owner's full device id is kept by the pool layer (pool->owner), so
 * ownership is exact for every mapping size.
 * A one-slot mapping that the short form cannot hold (original at or above
 * 2^39 = 512 GiB, or a min_align_mask covering only part of a slot) takes a
 * second slot for the long form.  Where no second slot can be had -- a
 * boundary window of one slot, a region of one slot, or none free next to
 * it -- the record goes to the area's spill table instead: the slot's word
 * keeps the short form's size with dir = 3 (no direction) and the
 * entry's index in the orig bits, and the entry holds orig, offset
 * and direction.  So a mapping an empty pool can hold is never refused for
 * its record; only when an area's 8 entries are all taken can such a
 * mapping find "full" where the linux policy finds room.
 *
 * Allocation (under the area lock)
 * --------------------------------
 * Legal first slots of a request form one residue class modulo its stride
 * (alignment and min-align bits, docs/kernel-semantics.md §2.2), so a request is (n slots,
 * stride st, residue r, boundary window W).  In order:
 *
 *  1. The magazine (per area, so per CPU): released extents kept allocated,
 *     in MAG_WAYS stacks of up to MAG_DEPTH extents of one size each.  The
 *     newest extent of the request's size whose alignment fits is taken
 *     back: no map or list is touched, and its slots are the ones the CPU
 *     and the device used last.  A way is found by comparing the request's
 *     size with all eight ways' sizes at once (one 64-bit word).
 *  2. The lists: a free run starting at a position of r's parity, of length
 *     >= G = n + max(st, 2) - 2, always holds a legal placement, so a region
 *     on E/O[L] with L >= G is a sure fit; the lowest such L is found with
 *     two word scans and its list head taken (best fit by region).  For
 *     st <= 2 (no alignment, 4 KiB pages, NVMe) G = n and the answer is
 *     exact.  Only when boundary windows cut regions, or st >= 4 leaves a
 *     gap between n and G, may a candidate fail; then at most FAST_PROBES
 *     more regions are tried in each class range (sure, then possible).
 *  3. Before reporting full, the magazine is emptied into the maps and 2
 *     runs again, so "full" is as exact as without a magazine.
 * Inside a region the free runs are walked (cut at boundary windows) and
 * the first legal placement is taken.  A region's le/lo change only where
 * a run changed: a release merges one run (two bit scans, the maxima can
 * only grow to it), an allocation shortens one (a recount only when that
 * run held a maximum).
 *
 * A magazine's extent keeps its head bit and sets its head slot's free bit:
 * free and head together mean "cached" -- searches use free & ~head, and a
 * lookup there finds no mapping.  Cached slots are not counted as used.
 *
 * Bounds: an area costs O(1) list and mask operations plus O(runs) per
 * region visited (a region has at most 64 runs), and at most
 * 2 * (1 + 2 * FAST_PROBES) regions are visited; nothing scans the area or
 * the pool.  Areas are tried from the CPU's own, as in the kernel, so the
 * worst case of an allocation is O(nareas * FAST_PROBES * 64) word
 * operations plus one magazine flush per area (at most MAG_WAYS * MAG_DEPTH
 * = 96 extents, O(1) each); a release is O(1) bit and list operations.
 *
 * Metadata (meta_bytes): per region 32 B of maps, 944 B of words, 2 B of
 * le/lo and 4 links of 1, 2 or 4 B (by the area's region count); per area a
 * 448 B descriptor with the magazine and 2 x 129 list heads.
 *
 * Invariants (fast_check)
 *   F1 free and head bits are 0 outside the region; inside, a position is
 *      free (free), a cached head (free and head), a mapping head (head) or
 *      the continuation of the allocation before it (neither, after a head
 *      or a continuation)
 *   F2 each mapping (head bit to the next head bit or free slot) decodes to
 *      a record that fits it: pad < slots, and pad*2048 + offset + mapping
 *      size <= slots*2048; the short form only for one slot
 *   F3 each cached head is held once by the magazine way of its extent's
 *      size, and every magazine entry is such a head; `held` sums their
 *      slots and stays within `cap`
 *   F4 le/lo equal the longest runs of free & ~head starting at even/odd
 *      positions
 *   F5 a region is on list E[le] iff le > 0 and on O[lo] iff lo > 0, on no
 *      other; the lists are well linked and the masks say which are non-empty
 *   F6 area.used equals the slots of the area's mappings
 *   F7 each taken spill entry is named by exactly one one-slot mapping, and
 *      every such mapping names a taken entry
 */
#include "internal.h"

#define SEG SWIOTLB_SEGSIZE
#define WBITS 59
#define WMASK ((UINT64_C(1) << WBITS) - 1)
#define REGION_U64 (4 + (SEG * WBITS) / 64) /* free[2] head[2] words[118] */
#define FAST_PROBES 16
#define MAG_WAYS 8   /* sizes a magazine holds at once */
#define MAG_DEPTH 12 /* extents per way */
#define SPILL_DIR 3u          /* the dir field of a one-slot word whose record is spilled */
#define SPILL_ENTRIES 8       /* per area: what fits the descriptor's last cache line */
#define SPILL_NONE 64u        /* no entry (indices live in the word's low 6 bits) */

_Static_assert((SEG * WBITS) % 64 == 0, "128 packed words fill whole u64s");

/*
 * The record layout (see the top of this file): each field's shift and
 * width, the one definition the encoder (fp_short_fields, fp_long_fields),
 * the decoder (fp_read_record) and the express unmap's comparison use.
 */
#define RS_ORIG_BITS 39  /* short form: orig [0, 39) */
#define RS_SIZE_SHIFT 39 /* size - 1 [39, 50) */
#define RS_SIZE_BITS 11
#define RS_DIR_SHIFT 50  /* dir [50, 52) */
#define RS_DIR_BITS 2
#define RS_MODE_SHIFT 52 /* offmode [52]: the in-slot offset is orig's */
#define RL_ORIG_BITS 5   /* long form, second word: orig >> WBITS [0, 5) */
#define RL_SIZE_SHIFT 5  /* size - 1 [5, 23) */
#define RL_SIZE_BITS 18
#define RL_OFF_SHIFT 23  /* offset [23, 34) */
#define RL_OFF_BITS 11
#define RL_DIR_SHIFT 34  /* dir [34, 36) */
#define RL_DIR_BITS 2
#define RL_PAD_SHIFT 36  /* pad [36, 43) */
#define RL_PAD_BITS 7
_Static_assert(RS_SIZE_SHIFT == RS_ORIG_BITS && RS_DIR_SHIFT == RS_SIZE_SHIFT + RS_SIZE_BITS &&
		       RS_MODE_SHIFT == RS_DIR_SHIFT + RS_DIR_BITS && RS_MODE_SHIFT < WBITS,
	       "the short form's fields follow each other inside a word");
_Static_assert(RL_SIZE_SHIFT == RL_ORIG_BITS && RL_OFF_SHIFT == RL_SIZE_SHIFT + RL_SIZE_BITS &&
		       RL_DIR_SHIFT == RL_OFF_SHIFT + RL_OFF_BITS && RL_PAD_SHIFT == RL_DIR_SHIFT + RL_DIR_BITS &&
		       RL_PAD_SHIFT + RL_PAD_BITS <= WBITS && WBITS + RL_ORIG_BITS == 64,
	       "the long form's fields follow each other inside a word and hold a 64-bit orig");
_Static_assert((1u << RS_SIZE_BITS) == SWIOTLB_SLOT_SIZE && (1u << RL_OFF_BITS) == SWIOTLB_SLOT_SIZE &&
		       (1u << RL_SIZE_BITS) == SEG * SWIOTLB_SLOT_SIZE && (1u << RL_PAD_BITS) == SEG &&
		       (1u << RS_DIR_BITS) == 4 && RL_DIR_BITS == RS_DIR_BITS,
	       "fields wide enough for a slot's size, a segment's size and padding, and four directions");

static inline uint64_t fp_field(uint64_t v, unsigned shift, unsigned bits)
{
	return (v >> shift) & ((UINT64_C(1) << bits) - 1);
}

struct fast_area {
	alignas(TLB_CACHELINE) uint64_t mask[2][2]; /* [family][word]: bit L-1 set iff list (family, L) is non-empty */
	uint64_t first;       /* absolute slot of the area's start */
	uint64_t base;        /* first & ~127: absolute slot of region 0's position 0 */
	uint64_t end;         /* absolute slot just past the area */
	uint32_t nreg;
	uint32_t lw;          /* bytes per link: 1, 2 or 4 */
	uint32_t held, cap;   /* slots the magazine holds, and may hold */
	void *heads[2];       /* per family: [SEG + 1] links (region index + 1, 0 = none) */
	void *next[2], *prev[2]; /* per family: [nreg] links */
	uint8_t *lmax;        /* [nreg][2]: le, lo */
	uint64_t *reg;        /* [nreg][REGION_U64] */
	uint64_t spill_free;  /* bit i: entry i is free */
	uint64_t spill_orig[SPILL_ENTRIES];
	uint16_t spill_info[SPILL_ENTRIES]; /* offset | dir << 11 (the size is in the word) */
	uint64_t wsize;                       /* byte k: the slots of way k's extents, 0 = free way */
	uint8_t wtop[MAG_WAYS];               /* extents per way */
	uint32_t mag[MAG_WAYS][MAG_DEPTH];    /* region << 7 | position, oldest first */
};
_Static_assert(sizeof(struct fast_area) % TLB_CACHELINE == 0, "descriptors share no cache line");

/* ------------------------------------------------------------ bit helpers */

static inline unsigned fp_ctz64(uint64_t x) { return (unsigned)__builtin_ctzll(x); }
static inline unsigned fp_clz64(uint64_t x) { return (unsigned)__builtin_clzll(x); }

/* Lowest set bit at position >= i of a 128-bit map, or 128. */
static inline unsigned fp_next_set(uint64_t w0, uint64_t w1, unsigned i)
{
	if (i < 64) {
		uint64_t m = w0 & (~UINT64_C(0) << i);
		if (m)
			return fp_ctz64(m);
		i = 64;
	}
	if (i < 128) {
		uint64_t m = w1 & (~UINT64_C(0) << (i - 64));
		if (m)
			return 64 + fp_ctz64(m);
	}
	return 128;
}

/* Highest set bit at position <= i of a 128-bit map, or -1. */
static inline int fp_prev_set(uint64_t w0, uint64_t w1, unsigned i)
{
	if (i >= 64) {
		uint64_t m = w1 & (~UINT64_C(0) >> (127 - i));
		if (m)
			return 127 - (int)fp_clz64(m);
		i = 63;
	}
	uint64_t m = w0 & (~UINT64_C(0) >> (63 - i));
	return m ? 63 - (int)fp_clz64(m) : -1;
}

/* The low k bits of a word, k >= 0 (all of them from 64 on). */
static inline uint64_t fp_lowbits(unsigned k)
{
	uint64_t m = (UINT64_C(1) << (k & 63)) - 1;
	return k >= 64 ? ~UINT64_C(0) : m;
}

/* Positions [a, b) of a 128-bit map, 0 <= a <= b <= 128, as two words. */
static inline void fp_range(unsigned a, unsigned b, uint64_t *m0, uint64_t *m1)
{
	*m0 = fp_lowbits(b) & ~fp_lowbits(a);
	*m1 = fp_lowbits(b > 64 ? b - 64 : 0) & ~fp_lowbits(a > 64 ? a - 64 : 0);
}

static inline void fp_set_range(uint64_t *w, unsigned a, unsigned b)
{
	uint64_t m0, m1;
	fp_range(a, b, &m0, &m1);
	w[0] |= m0;
	w[1] |= m1;
}

static inline void fp_clear_range(uint64_t *w, unsigned a, unsigned b)
{
	uint64_t m0, m1;
	fp_range(a, b, &m0, &m1);
	w[0] &= ~m0;
	w[1] &= ~m1;
}

static inline bool fp_test_bit(const uint64_t *w, unsigned i) { return (w[i >> 6] >> (i & 63)) & 1; }

/* ------------------------------------------------------------ packed words */

static inline uint64_t fp_wget(const uint64_t *w, unsigned i)
{
	unsigned bit = i * WBITS, q = bit >> 6, sh = bit & 63;
	uint64_t v = w[q] >> sh;
	if (sh > 64 - WBITS)
		v |= w[q + 1] << (64 - sh);
	return v & WMASK;
}

static inline void fp_wput(uint64_t *w, unsigned i, uint64_t v)
{
	unsigned bit = i * WBITS, q = bit >> 6, sh = bit & 63;
	w[q] = (w[q] & ~(WMASK << sh)) | (v << sh);
	if (sh > 64 - WBITS)
		w[q + 1] = (w[q + 1] & ~(WMASK >> (64 - sh))) | (v >> (64 - sh));
}

/* ------------------------------------------------------------ layout */

static inline struct fast_area *fp_areas_of(const struct tlb_pool *pool) { return (struct fast_area *)pool->meta; }
static inline uint64_t *fp_free_of(const struct fast_area *fa, uint32_t r) { return fa->reg + (size_t)r * REGION_U64; }
static inline uint64_t *fp_head_of(const struct fast_area *fa, uint32_t r) { return fp_free_of(fa, r) + 2; }
static inline uint64_t *fp_words_of(const struct fast_area *fa, uint32_t r) { return fp_free_of(fa, r) + 4; }

static inline uint32_t fp_lk_get(const struct fast_area *fa, const void *arr, size_t i)
{
	switch (fa->lw) {
	case 1: return ((const uint8_t *)arr)[i];
	case 2: return ((const uint16_t *)arr)[i];
	default: return ((const uint32_t *)arr)[i];
	}
}
static inline void fp_lk_set(const struct fast_area *fa, void *arr, size_t i, uint32_t v)
{
	switch (fa->lw) {
	case 1: ((uint8_t *)arr)[i] = (uint8_t)v; break;
	case 2: ((uint16_t *)arr)[i] = (uint16_t)v; break;
	default: ((uint32_t *)arr)[i] = v; break;
	}
}

/* Valid positions [lo, hi) of region r. */
static inline void fp_region_span(const struct fast_area *fa, uint32_t r, unsigned *lo, unsigned *hi)
{
	uint64_t b = fa->base + (uint64_t)r * SEG;
	*lo = fa->first > b ? (unsigned)(fa->first - b) : 0;
	*hi = fa->end < b + SEG ? (unsigned)(fa->end - b) : SEG;
}

static inline uint64_t fp_up64(uint64_t x) { return (x + TLB_CACHELINE - 1) & ~(uint64_t)(TLB_CACHELINE - 1); }

struct fp_shape {
	uint64_t first, base, end;
	uint32_t nreg;
};

static void fp_area_shape(uint64_t nslabs, uint32_t nareas, uint32_t a, struct fp_shape *sh)
{
	uint64_t per = nslabs / nareas;
	sh->first = per * a;
	sh->end = sh->first + per;
	sh->base = sh->first & ~(uint64_t)(SEG - 1);
	sh->nreg = (uint32_t)((sh->end - sh->base + SEG - 1) / SEG);
}

/* Link width for an area of nreg regions (links hold index + 1, 0 = none). */
static inline uint32_t fp_link_width(uint32_t nreg) { return nreg < 0xff ? 1 : nreg < 0xffff ? 2 : 4; }

/* Bytes of one area's arrays after its descriptor. */
static uint64_t fp_area_bytes(uint32_t nreg)
{
	uint64_t lw = fp_link_width(nreg);
	return fp_up64(2 * (SEG + 1) * lw) + fp_up64(2 * (uint64_t)nreg) + fp_up64(4 * (uint64_t)nreg * lw) +
	       (uint64_t)nreg * REGION_U64 * 8;
}

static size_t fast_meta_bytes(uint64_t nslabs, uint32_t nareas)
{
	uint64_t total = (uint64_t)nareas * sizeof(struct fast_area);
	struct fp_shape sh;
	for (uint32_t a = 0; a < nareas; a++) {
		fp_area_shape(nslabs, nareas, a, &sh);
		total += fp_area_bytes(sh.nreg);
	}
	return (size_t)total;
}

/* ------------------------------------------------------------ lists */

static void fp_list_del(struct fast_area *fa, unsigned f, uint32_t r, unsigned L)
{
	void *next = fa->next[f], *prev = fa->prev[f];
	uint32_t n = fp_lk_get(fa, next, r), p = fp_lk_get(fa, prev, r);
	if (p)
		fp_lk_set(fa, next, p - 1, n);
	else
		fp_lk_set(fa, fa->heads[f], L, n);
	if (n)
		fp_lk_set(fa, prev, n - 1, p);
	else if (!p)
		fa->mask[f][(L - 1) >> 6] &= ~(UINT64_C(1) << ((L - 1) & 63));
}

static void fp_list_push(struct fast_area *fa, unsigned f, uint32_t r, unsigned L)
{
	uint32_t h = fp_lk_get(fa, fa->heads[f], L);
	fp_lk_set(fa, fa->next[f], r, h);
	fp_lk_set(fa, fa->prev[f], r, 0);
	if (h)
		fp_lk_set(fa, fa->prev[f], h - 1, r + 1);
	else
		fa->mask[f][(L - 1) >> 6] |= UINT64_C(1) << ((L - 1) & 63);
	fp_lk_set(fa, fa->heads[f], L, r + 1);
}

static inline uint32_t fp_list_first(const struct fast_area *fa, unsigned f, unsigned L)
{
	return fp_lk_get(fa, fa->heads[f], L);
}

static inline uint32_t fp_list_next(const struct fast_area *fa, unsigned f, uint32_t r)
{
	return fp_lk_get(fa, fa->next[f], r);
}

/* Longest runs of a 128-bit map starting at even and odd positions. */
static void fp_run_lengths(uint64_t f0, uint64_t f1, unsigned *le, unsigned *lo)
{
	unsigned e = 0, o = 0;
	unsigned a = fp_next_set(f0, f1, 0);
	while (a < SEG) {
		unsigned b = fp_next_set(~f0, ~f1, a);
		unsigned ea = a + (a & 1), oa = a + !(a & 1);
		if (ea < b && b - ea > e)
			e = b - ea;
		if (oa < b && b - oa > o)
			o = b - oa;
		if (b >= SEG)
			break;
		a = fp_next_set(f0, f1, b);
	}
	*le = e;
	*lo = o;
}

/* File region r under run lengths le/lo, moving it between lists. */
static void fp_region_set(struct fast_area *fa, uint32_t r, unsigned le, unsigned lo)
{
	uint8_t *lm = fa->lmax + 2 * (size_t)r;
	if (lm[0] != le) {
		if (lm[0])
			fp_list_del(fa, 0, r, lm[0]);
		if (le)
			fp_list_push(fa, 0, r, le);
		lm[0] = (uint8_t)le;
	}
	if (lm[1] != lo) {
		if (lm[1])
			fp_list_del(fa, 1, r, lm[1]);
		if (lo)
			fp_list_push(fa, 1, r, lo);
		lm[1] = (uint8_t)lo;
	}
}

/* Recompute a region's run lengths (of free & ~head: cached heads are not
 * free) and refile it. */
static void fp_region_update(struct fast_area *fa, uint32_t r)
{
	const uint64_t *fr = fp_free_of(fa, r);
	unsigned le, lo;
	fp_run_lengths(fr[0] & ~fr[2], fr[1] & ~fr[3], &le, &lo);
	fp_region_set(fa, r, le, lo);
}

/* The free run [*a, *b) of region r (free & ~head) holding position p. */
static inline void fp_run_around(const uint64_t *fr, unsigned p, unsigned *a, unsigned *b)
{
	uint64_t n0 = ~(fr[0] & ~fr[2]), n1 = ~(fr[1] & ~fr[3]); /* not free */
	int c = p ? fp_prev_set(n0, n1, p - 1) : -1;
	*a = (unsigned)(c + 1);
	*b = fp_next_set(n0, n1, p);
}

static inline unsigned fp_len_from(unsigned a, unsigned b, unsigned parity)
{
	unsigned s = a + ((a ^ parity) & 1); /* the first start of that parity */
	return s < b ? b - s : 0;
}

/*
 * Run lengths after a change, without a full recount where possible: a
 * release only merges the run around it, so the maxima can only grow to that
 * run's lengths; an allocation only shortens the run it came from, so the
 * maxima stay unless that run attained one of them.
 */
static void fp_region_freed(struct fast_area *fa, uint32_t r, unsigned p)
{
	unsigned a, b;
	fp_run_around(fp_free_of(fa, r), p, &a, &b);
	const uint8_t *lm = fa->lmax + 2 * (size_t)r;
	unsigned le = fp_len_from(a, b, 0), lo = fp_len_from(a, b, 1);
	fp_region_set(fa, r, le > lm[0] ? le : lm[0], lo > lm[1] ? lo : lm[1]);
}

/* ------------------------------------------------------------ init */

static void fast_init(struct tlb_pool *pool)
{
	struct fast_area *fas = fp_areas_of(pool);
	uint8_t *p = (uint8_t *)pool->meta + (size_t)pool->nareas * sizeof(struct fast_area);
	for (uint32_t a = 0; a < pool->nareas; a++) {
		struct fast_area *fa = &fas[a];
		struct fp_shape sh;
		fp_area_shape(pool->nslabs, pool->nareas, a, &sh);
		size_t lw = fp_link_width(sh.nreg);
		fa->first = sh.first;
		fa->base = sh.base;
		fa->end = sh.end;
		fa->nreg = sh.nreg;
		fa->lw = (uint32_t)lw;
		/* the magazine may hold 1/16 of the area (and at least a segment) */
		fa->cap = (uint32_t)((sh.end - sh.first) / 16 > SEG ? (sh.end - sh.first) / 16 : SEG);
		fa->heads[0] = p;
		fa->heads[1] = p + (SEG + 1) * lw;
		p += fp_up64(2 * (SEG + 1) * lw);
		fa->lmax = p;
		p += fp_up64(2 * (uint64_t)sh.nreg);
		for (unsigned f = 0; f < 2; f++) {
			fa->next[f] = p + (2 * f) * (size_t)sh.nreg * lw;
			fa->prev[f] = p + (2 * f + 1) * (size_t)sh.nreg * lw;
		}
		p += fp_up64(4 * (uint64_t)sh.nreg * lw);
		fa->reg = (uint64_t *)p;
		p += (size_t)sh.nreg * REGION_U64 * 8;
		fa->spill_free = fp_lowbits(SPILL_ENTRIES);
		/* every region free; pushed in reverse so region 0 heads each list */
		for (uint32_t r = sh.nreg; r-- > 0;) {
			unsigned lo, hi;
			fp_region_span(fa, r, &lo, &hi);
			fp_set_range(fp_free_of(fa, r), lo, hi);
			fp_region_update(fa, r);
		}
	}
}

/* ------------------------------------------------------------ records */

/* What an allocation writes into its record. */
struct fp_rec_in {
	uint64_t orig;
	uint32_t size, offset, dir, dev_id;
	bool spill; /* one slot, record in the area's spill table */
};

static inline bool fp_compact_ok(uint64_t orig, uint64_t offset)
{
	return orig < (UINT64_C(1) << RS_ORIG_BITS) &&
	       (offset == 0 || offset == (orig & (SWIOTLB_SLOT_SIZE - 1)));
}

/* The short record of a one-slot mapping, and the second word of a long one,
 * without their orig bits: what an express unmap compares a claim with. */
static inline uint64_t fp_short_fields(uint64_t size, uint64_t dir, uint64_t mode)
{
	return (size - 1) << RS_SIZE_SHIFT | dir << RS_DIR_SHIFT | mode << RS_MODE_SHIFT;
}
static inline uint64_t fp_long_fields(uint64_t size, uint64_t off, uint64_t dir, uint64_t pad)
{
	return (size - 1) << RL_SIZE_SHIFT | off << RL_OFF_SHIFT | dir << RL_DIR_SHIFT | pad << RL_PAD_SHIFT;
}

static inline __attribute__((always_inline)) void fp_write_record(uint64_t *w, unsigned p, uint64_t n, const struct fp_rec_in *in)
{
	if (n == 1) {
		fp_wput(w, p, in->orig | fp_short_fields(in->size, in->dir, in->offset != 0));
		return;
	}
	uint64_t pad = in->offset >> SWIOTLB_SLOT_SHIFT, off = in->offset & (SWIOTLB_SLOT_SIZE - 1);
	fp_wput(w, p, in->orig & WMASK);
	fp_wput(w, p + 1, in->orig >> WBITS | fp_long_fields(in->size, off, in->dir, pad));
}

/* ------------------------------------------------------------ spilled records */

/* The spill entry a one-slot word names, or SPILL_NONE when it names none. */
static inline unsigned fp_spill_index(uint64_t v)
{
	return fp_field(v, RS_DIR_SHIFT, RS_DIR_BITS) == SPILL_DIR ? (unsigned)(v & 63) : SPILL_NONE;
}

/* Fill rec's orig, offset and direction from the entry word v names (the
 * size and tag are in the word itself).  An index past the table reads as
 * an impossible record, which fast_check reports. */
static inline void fp_spill_read(const struct fast_area *fa, uint64_t v, struct tlb_record *rec)
{
	unsigned i = fp_spill_index(v);
	if (i >= SPILL_ENTRIES) {
		rec->dir = SPILL_DIR;
		return;
	}
	rec->orig = fa->spill_orig[i];
	rec->offset = fa->spill_info[i] & (SWIOTLB_SLOT_SIZE - 1);
	rec->dir = (uint32_t)fa->spill_info[i] >> SWIOTLB_SLOT_SHIFT;
}

/* Take a free entry for `in` (one is known to be free) and write the word
 * naming it at position p. */
static void fp_spill_write(struct fast_area *fa, uint64_t *w, unsigned p, const struct fp_rec_in *in)
{
	unsigned i = fp_ctz64(fa->spill_free);
	fa->spill_free &= fa->spill_free - 1;
	fa->spill_orig[i] = in->orig;
	fa->spill_info[i] = (uint16_t)(in->offset | in->dir << SWIOTLB_SLOT_SHIFT);
	fp_wput(w, p, i | fp_short_fields(in->size, SPILL_DIR, 0));
}

/* A one-slot mapping at position p of region r is released: give back the
 * entry its word names, if any. */
static inline void fp_spill_release(struct fast_area *fa, uint32_t r, unsigned p)
{
	unsigned i = fp_spill_index(fp_wget(fp_words_of(fa, r), p));
	if (__builtin_expect(i < SPILL_ENTRIES, 0))
		fa->spill_free |= UINT64_C(1) << i;
}

/* Decode the allocation of n slots whose head is position h of region r. */
static inline void fp_read_record(const struct fast_area *fa, uint32_t r, unsigned h, unsigned n,
				  struct tlb_record *rec)
{
	const uint64_t *w = fp_words_of(fa, r);
	uint64_t v = fp_wget(w, h);
	rec->first_slot = fa->base + (uint64_t)r * SEG + h;
	rec->nslots = n;
	rec->flags = 0;
	if (n == 1) {
		rec->orig = fp_field(v, 0, RS_ORIG_BITS);
		rec->mapping_size = (uint32_t)fp_field(v, RS_SIZE_SHIFT, RS_SIZE_BITS) + 1;
		rec->dir = (uint32_t)fp_field(v, RS_DIR_SHIFT, RS_DIR_BITS);
		rec->offset = fp_field(v, RS_MODE_SHIFT, 1) ? (uint32_t)(rec->orig & (SWIOTLB_SLOT_SIZE - 1)) : 0;
		rec->pad_slots = 0;
		if (__builtin_expect(rec->dir == SPILL_DIR, 0))
			fp_spill_read(fa, v, rec);
		return;
	}
	uint64_t v1 = fp_wget(w, h + 1);
	rec->orig = v | fp_field(v1, 0, RL_ORIG_BITS) << WBITS;
	rec->mapping_size = (uint32_t)fp_field(v1, RL_SIZE_SHIFT, RL_SIZE_BITS) + 1;
	rec->offset = (uint32_t)fp_field(v1, RL_OFF_SHIFT, RL_OFF_BITS);
	rec->dir = (uint32_t)fp_field(v1, RL_DIR_SHIFT, RL_DIR_BITS);
	rec->pad_slots = (uint32_t)fp_field(v1, RL_PAD_SHIFT, RL_PAD_BITS);
}

/* Slots of the allocation whose head is position h of region r: it ends at
 * the next head or free slot, or at the region's end. */
static inline unsigned fp_extent_len(const struct fast_area *fa, uint32_t r, unsigned h)
{
	const uint64_t *fr = fp_free_of(fa, r), *hd = fr + 2;
	unsigned e = fp_next_set(hd[0] | fr[0], hd[1] | fr[1], h + 1);
	uint64_t b = fa->base + (uint64_t)r * SEG;
	if (b + e > fa->end)
		e = (unsigned)(fa->end - b);
	return e - h;
}

/* The allocation (mapping or cached extent) holding position p of region
 * r: its head and slot count.  False when p is free. */
static inline bool fp_extent_at(const struct fast_area *fa, uint32_t r, unsigned p, unsigned *h, unsigned *n)
{
	const uint64_t *fr = fp_free_of(fa, r), *hd = fr + 2;
	if (fp_test_bit(fr, p) && !fp_test_bit(hd, p))
		return false;
	int hp = fp_test_bit(hd, p) ? (int)p : fp_prev_set(hd[0], hd[1], p);
	if (hp < 0)
		return false;
	*h = (unsigned)hp;
	*n = fp_extent_len(fa, r, (unsigned)hp);
	return true;
}

static inline bool fp_is_cached(const struct fast_area *fa, uint32_t r, unsigned h)
{
	return fp_test_bit(fp_free_of(fa, r), h); /* free and head: a magazine's extent */
}

/* ------------------------------------------------------------ allocation */

/* A request as the search sees it. */
struct fp_want {
	uint64_t n;      /* slots */
	uint64_t st;     /* stride of legal first slots (power of two) */
	uint64_t rr;     /* their residue modulo st (absolute slot index) */
	uint64_t b0;     /* the pool's first slot in boundary-window units */
	uint64_t W;      /* slots per boundary window (power of two) */
	unsigned fam;    /* families to search: bit 0 = E, bit 1 = O */
	unsigned G;      /* run length that always holds a legal placement */
};

/* Do boundary windows cut any region of this area? */
static inline bool fp_area_cut(const struct fast_area *fa, const struct fp_want *q)
{
	if (q->W < SEG)
		return true;
	if (!((q->b0 + fa->base) & (SEG - 1)))
		return false; /* window edges fall on segment edges */
	uint64_t c0 = fa->first + ((-(q->b0 + fa->first)) & (q->W - 1));
	return c0 < fa->end;
}

/* May an extent of q->n slots at absolute slot s hold q? */
static inline bool fp_fits_at(const struct fp_want *q, uint64_t s, bool cut)
{
	return !((s - q->rr) & (q->st - 1)) && (!cut || ((q->b0 + s) & (q->W - 1)) + q->n <= q->W);
}

/* The lowest placement of q in region r, or -1.  (The region itself was
 * chosen best-fit; inside it, first fit is as dense in the profiles and
 * stops at the first run that fits.) */
static int fp_place_in(const struct fast_area *fa, uint32_t r, const struct fp_want *q, bool cut)
{
	const uint64_t *fr = fp_free_of(fa, r);
	uint64_t f0 = fr[0] & ~fr[2], f1 = fr[1] & ~fr[3]; /* cached heads are not free */
	uint64_t B = fa->base + (uint64_t)r * SEG;
	unsigned a = fp_next_set(f0, f1, 0);
	while (a < SEG) {
		unsigned b = fp_next_set(~f0, ~f1, a);
		for (unsigned x = a; x < b;) {
			unsigned y = b;
			if (cut) {
				uint64_t rem = q->W - ((q->b0 + B + x) & (q->W - 1));
				if (rem < y - x)
					y = x + (unsigned)rem;
			}
			uint64_t p = x + ((q->rr - (B + x)) & (q->st - 1));
			if (p + q->n <= y)
				return (int)p;
			x = y;
		}
		if (b >= SEG)
			break;
		a = fp_next_set(f0, f1, b);
	}
	return -1;
}

/* ------------------------------------------------------------ the magazine */

/* Really free the n slots at p of region r (lock held). */
static void fp_free_extent(struct fast_area *fa, uint32_t r, unsigned p, unsigned n)
{
	uint64_t *fr = fp_free_of(fa, r);
	fp_set_range(fr, p, p + n);
	fr[2 + (p >> 6)] &= ~(UINT64_C(1) << (p & 63));
	fp_region_freed(fa, r, p);
}

static inline unsigned fp_way_size(const struct fast_area *fa, unsigned k) { return (fa->wsize >> (8 * k)) & 0xff; }

/* The way holding extents of n slots (1..128; 0: a free way), or MAG_WAYS. */
static inline unsigned fp_way_of(const struct fast_area *fa, unsigned n)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	uint64_t x = fa->wsize ^ (ones * n); /* zero bytes where the size is n */
	uint64_t z = (x - ones) & ~x & (ones << 7);
	return z ? fp_ctz64(z) >> 3 : MAG_WAYS;
}

/* Give way k's extents back to the maps and free the way. */
static void fp_way_drain(struct fast_area *fa, unsigned k)
{
	unsigned n = fp_way_size(fa, k);
	for (unsigned i = 0; i < fa->wtop[k]; i++)
		fp_free_extent(fa, fa->mag[k][i] >> 7, fa->mag[k][i] & (SEG - 1), n);
	fa->held -= n * fa->wtop[k];
	fa->wtop[k] = 0;
	fa->wsize &= ~(UINT64_C(0xff) << (8 * k));
}

static void fp_mag_flush(struct fast_area *fa)
{
	for (unsigned k = 0; k < MAG_WAYS; k++)
		if (fa->wtop[k])
			fp_way_drain(fa, k);
	fa->wsize = 0;
}

/* Keep a released extent (its mapping already checked), or free it. */
static inline __attribute__((always_inline)) void fp_mag_put(struct fast_area *fa, uint32_t r, unsigned p, unsigned n)
{
	if (n == 1) /* every release passes here: the one place a spilled record is given back */
		fp_spill_release(fa, r, p);
	unsigned k = fp_way_of(fa, n);
	if (k == MAG_WAYS) {
		/* a free way for this size; with none, sizes that are being reused
		 * keep theirs and this extent goes straight back to the maps */
		k = fp_way_of(fa, 0);
		if (k == MAG_WAYS || n > fa->cap)
			goto free;
		fa->wsize |= (uint64_t)n << (8 * k);
	}
	uint32_t *st = fa->mag[k];
	if (fa->wtop[k] == MAG_DEPTH) { /* full: the oldest goes back to the maps */
		fp_free_extent(fa, st[0] >> 7, st[0] & (SEG - 1), n);
		for (unsigned i = 1; i < MAG_DEPTH; i++)
			st[i - 1] = st[i];
		fa->wtop[k]--;
		fa->held -= n;
	}
	if (fa->held + n > fa->cap)
		goto free;
	st[fa->wtop[k]++] = r << 7 | p;
	fa->held += n;
	fp_free_of(fa, r)[p >> 6] |= UINT64_C(1) << (p & 63); /* free + head: cached */
	return;
free:
	fp_free_extent(fa, r, p, n);
}

/* Does the magazine hold an extent that fits q?  (What fp_mag_get would take.) */
static bool fp_mag_fits(const struct fast_area *fa, const struct fp_want *q, bool cut)
{
	unsigned k = fp_way_of(fa, (unsigned)q->n);
	for (unsigned i = k < MAG_WAYS ? fa->wtop[k] : 0; i-- > 0;)
		if (fp_fits_at(q, fa->base + fa->mag[k][i], cut))
			return true;
	return false;
}

/* Take back the newest cached extent that fits q: its position, region in *r; or -1. */
static inline int fp_mag_get(struct fast_area *fa, const struct fp_want *q, bool cut, uint32_t *r)
{
	unsigned k = fp_way_of(fa, (unsigned)q->n);
	if (k == MAG_WAYS)
		return -1;
	unsigned top = fa->wtop[k];
	uint32_t *st = fa->mag[k];
	for (unsigned i = top; i-- > 0;) {
		uint32_t e = st[i];
		if (!fp_fits_at(q, fa->base + e, cut)) /* e = region * 128 + position */
			continue;
		for (unsigned j = i + 1; j < top; j++)
			st[j - 1] = st[j];
		fa->wtop[k] = (uint8_t)(top - 1);
		if (top == 1)
			fa->wsize &= ~(UINT64_C(0xff) << (8 * k)); /* an empty way is free again */
		fa->held -= (uint32_t)q->n;
		*r = e >> 7;
		unsigned p = e & (SEG - 1);
		fp_free_of(fa, *r)[p >> 6] &= ~(UINT64_C(1) << (p & 63));
		return (int)p;
	}
	return -1;
}

/* ------------------------------------------------------------ the lists */

/* Lowest L >= from (1..128) set in the union of the families' masks, or 0. */
static unsigned fp_lowest_class(const struct fast_area *fa, unsigned fam, unsigned from, unsigned to)
{
	if (from > to)
		return 0;
	uint64_t m0 = 0, m1 = 0;
	if (fam & 1) {
		m0 |= fa->mask[0][0];
		m1 |= fa->mask[0][1];
	}
	if (fam & 2) {
		m0 |= fa->mask[1][0];
		m1 |= fa->mask[1][1];
	}
	unsigned b = fp_next_set(m0, m1, from - 1);
	return b < to ? b + 1 : 0;
}

/*
 * Walk the lists of classes [from, to] (ascending) of the families in q,
 * trying at most `budget` regions; returns the region index or -1 and the
 * placement in *pos.
 */
static int64_t fp_search_classes(const struct fast_area *fa, const struct fp_want *q, bool cut, unsigned from,
				 unsigned to, unsigned budget, int *pos)
{
	for (unsigned L = fp_lowest_class(fa, q->fam, from, to); L; L = fp_lowest_class(fa, q->fam, L + 1, to)) {
		for (unsigned f = 0; f < 2; f++) {
			if (!(q->fam & (1u << f)))
				continue;
			for (uint32_t r1 = fp_list_first(fa, f, L); r1; r1 = fp_list_next(fa, f, r1 - 1)) {
				int p = fp_place_in(fa, r1 - 1, q, cut);
				if (p >= 0) {
					*pos = p;
					return r1 - 1;
				}
				if (!--budget)
					return -1;
			}
		}
	}
	return -1;
}

/* Step 2: the lists.  Returns the region or -1. */
static int64_t fp_search(struct fast_area *fa, struct fp_want *q, bool cut, int *pos)
{
	if (q->st == 1) {
		q->fam = 3;
		q->G = (unsigned)q->n;
	} else {
		q->fam = 1u << (q->rr & 1);
		q->G = (unsigned)(q->n + q->st - 2 < 2 * SEG ? q->n + q->st - 2 : 2 * SEG);
	}
	int64_t r = -1;
	if (q->G <= SEG)
		r = fp_search_classes(fa, q, cut, q->G, SEG, cut ? FAST_PROBES : 1, pos);
	if (r < 0 && q->n < q->G)
		r = fp_search_classes(fa, q, cut, (unsigned)q->n, q->G - 1 < SEG ? q->G - 1 : SEG, FAST_PROBES, pos);
	return r;
}

/* Commit n slots at position pos of region r (already taken out of the
 * maps or the magazine) to the record `in`. */
static inline __attribute__((always_inline)) void fp_commit(struct tlb_pool *pool, struct fast_area *fa, struct tlb_area *area,
							    uint32_t r, unsigned pos, unsigned n,
							    const struct fp_rec_in *in, uint64_t *first)
{
	if (__builtin_expect(in->spill, 0))
		fp_spill_write(fa, fp_words_of(fa, r), pos, in);
	else
		fp_write_record(fp_words_of(fa, r), pos, n, in);
	tlb_area_charge(area, n, in->size);
	*first = fa->base + (uint64_t)r * SEG + pos;
	tlb_mapping_begin(pool, *first, in->dev_id);
}

/* Area lock held: reserve q->n slots in this area.  0 with the first slot,
 * SWIOTLB_EFULL or TLB_ECEILING. */
static int fp_alloc_locked(struct tlb_pool *pool, struct fast_area *fa, struct tlb_area *area, bool acct,
			   struct fp_want *q, const struct fp_rec_in *in, uint64_t *first)
{
	unsigned n = (unsigned)q->n;
	int pos = -1;
	uint32_t mr;
	TLB_ASSERT_LOCKED(area);
	if (in->spill && !fa->spill_free)
		return SWIOTLB_EFULL; /* no entry for the record here */
	/* n more slots under the ceiling?  If not, the search still runs and
	 * the charge is decided once the placement is certain (borrowing slack
	 * for an area where nothing fits would strand it there) */
	bool allowed = tlb_area_within(area, n);
	bool cut = fp_area_cut(fa, q);
	if (!allowed && fa->wsize && fp_mag_fits(fa, q, cut)) {
		if (!tlb_area_may_charge(pool, area, acct, n))
			return TLB_ECEILING;
		allowed = true;
	}
	if (allowed && fa->wsize && (pos = fp_mag_get(fa, q, cut, &mr)) >= 0) {
		fp_commit(pool, fa, area, mr, (unsigned)pos, n, in, first); /* allocated and headed already */
		return 0;
	}
	int64_t r = fp_search(fa, q, cut, &pos);
	if (r < 0 && fa->held) {
		fp_mag_flush(fa); /* before "full": the cached extents are free space */
		r = fp_search(fa, q, cut, &pos);
	}
	if (r < 0)
		return SWIOTLB_EFULL;
	if (!allowed && !tlb_area_may_charge(pool, area, acct, n))
		return TLB_ECEILING; /* it fits, but may raise a high-water mark */
	uint64_t *fr = fp_free_of(fa, (uint32_t)r);
	unsigned ra, rb;
	fp_run_around(fr, (unsigned)pos, &ra, &rb);
	const uint8_t *lm = fa->lmax + 2 * (size_t)r;
	bool was_max = fp_len_from(ra, rb, 0) >= lm[0] || fp_len_from(ra, rb, 1) >= lm[1];
	fp_clear_range(fr, (unsigned)pos, (unsigned)pos + n);
	fr[2 + (pos >> 6)] |= UINT64_C(1) << (pos & 63); /* the head bit */
	if (was_max) /* else the maxima live in other runs and stay */
		fp_region_update(fa, (uint32_t)r);
	fp_commit(pool, fa, area, (uint32_t)r, (unsigned)pos, n, in, first);
	return 0;
}

/* Reserve q->n slots in area a, under its lock. */
static int fp_alloc_area(struct tlb_pool *pool, uint32_t a, bool acct, struct fp_want *q,
			 const struct fp_rec_in *in, uint64_t *first)
{
	struct fast_area *fa = &fp_areas_of(pool)[a];
	struct tlb_area *area = &pool->areas[a];
	tlb_area_lock(pool, area);
	int rc = fp_alloc_locked(pool, fa, area, acct, q, in, first);
	tlb_area_unlock(pool, area);
	return rc;
}

/* Try `count` areas from area a on, wrapping: from the CPU's own, as the
 * kernel does. */
static int fp_alloc_from(struct tlb_pool *pool, uint32_t a, uint32_t count, bool acct, struct fp_want *q,
			 const struct fp_rec_in *in, uint64_t *first)
{
	for (uint32_t i = 0; i < count; i++) {
		int rc = fp_alloc_area(pool, (a + i) & (pool->nareas - 1), acct, q, in, first);
		if (rc != SWIOTLB_EFULL)
			return rc;
	}
	return SWIOTLB_EFULL;
}

static int fast_alloc(struct tlb_pool *pool, const struct tlb_alloc_req *req, struct tlb_record *rec)
{
	uint64_t tbl = pool->dma_start & req->boundary_mask;
	if (pool->dma_start & (SWIOTLB_SLOT_SIZE - 1))
		return SWIOTLB_EFULL; /* no slot of this pool can start aligned */
	struct fp_want q;
	q.n = req->nslots;
	if (q.n > SEG)
		return SWIOTLB_EFULL;
	/* both are low masks, so their union is one too (the kernel's stride,
	 * from their maximum, can be shorter than the true period); legal
	 * starts are judged on the slots' own addresses (tlb_req_slot_addr) */
	uint64_t m = req->align | req->iotlb_mask;
	q.st = (m >> SWIOTLB_SLOT_SHIFT) + 1;
	q.b0 = tbl >> SWIOTLB_SLOT_SHIFT;
	q.rr = (((req->orig & req->iotlb_mask) - pool->dma_start) & m) >> SWIOTLB_SLOT_SHIFT;
	q.W = req->max_slots;
	struct fp_rec_in in = { req->orig, req->mapping_size, (uint32_t)req->offset, req->dir, req->dev_id, false };
	uint64_t first;
	int rc = SWIOTLB_EFULL;
	if (q.n == 1 && !fp_compact_ok(req->orig, req->offset)) {
		q.n = 2; /* the long record needs a second word */
		if (q.W >= q.n)
			rc = fp_alloc_from(pool, req->cpu, pool->nareas, req->acct, &q, &in, &first);
		if (rc != SWIOTLB_EFULL)
			goto done;
		q.n = 1; /* no second slot anywhere: spill the record */
		in.spill = true;
	}
	if (q.W >= q.n)
		rc = fp_alloc_from(pool, req->cpu, pool->nareas, req->acct, &q, &in, &first);
done:
	if (rc)
		return rc;
	rec->orig = req->orig;
	rec->first_slot = first;
	rec->nslots = (uint32_t)q.n;
	rec->pad_slots = (uint32_t)(req->offset >> SWIOTLB_SLOT_SHIFT);
	rec->offset = (uint32_t)(req->offset & (SWIOTLB_SLOT_SIZE - 1));
	rec->mapping_size = req->mapping_size;
	rec->dev_id = req->dev_id;
	rec->dir = req->dir;
	rec->flags = 0;
	return 0;
}

/*
 * The express lane's map: fast_alloc's request with no masks, derived in a
 * few operations, and the magazine's newest extent of the size taken with
 * no search when it starts on a legal slot (the usual case: the slots this
 * CPU released last).
 */
static int fast_express_map(struct tlb_pool *pool, const struct tlb_express *x, uint64_t *first, uint32_t *nslots)
{
	if (pool->dma_start & (SWIOTLB_SLOT_SIZE - 1))
		return TLB_EXPRESS_PASS;
	struct fp_want q;
	unsigned n = x->nslots == 1 && x->orig >= (UINT64_C(1) << RS_ORIG_BITS) ? 2 : x->nslots;
	q.n = n;
	q.st = x->stride;
	q.b0 = pool->dma_start >> SWIOTLB_SLOT_SHIFT;
	q.rr = (0 - q.b0) & (q.st - 1);
	q.W = tlb_max_slots(~(uint64_t)0);
	struct fp_rec_in in = { x->orig, x->size, 0, x->dir, x->dev_id, false };
	uint32_t a = x->cpu & (pool->nareas - 1);
	struct fast_area *fa = &fp_areas_of(pool)[a];
	struct tlb_area *area = &pool->areas[a];
	int rc;
	*nslots = n;
	tlb_area_lock(pool, area);
	unsigned k = fp_way_of(fa, n);
	if (k < MAG_WAYS && tlb_area_within(area, n)) {
		unsigned top = fa->wtop[k];
		uint32_t e = top ? fa->mag[k][top - 1] : 0;
		if (top && !((q.b0 + fa->base + e) & (q.st - 1)) && !fp_area_cut(fa, &q)) {
			fa->wtop[k] = (uint8_t)(top - 1);
			if (top == 1)
				fa->wsize &= ~(UINT64_C(0xff) << (8 * k)); /* an empty way is free again */
			fa->held -= n;
			uint32_t r = e >> 7;
			unsigned p = e & (SEG - 1);
			fp_free_of(fa, r)[p >> 6] &= ~(UINT64_C(1) << (p & 63)); /* cached -> mapped */
			fp_commit(pool, fa, area, r, p, n, &in, first);
			tlb_area_unlock(pool, area);
			return 0;
		}
	}
	rc = fp_alloc_locked(pool, fa, area, false, &q, &in, first);
	tlb_area_unlock(pool, area);
	if (rc == SWIOTLB_EFULL) /* the CPU's own area is full: the others */
		rc = fp_alloc_from(pool, a + 1, pool->nareas - 1, false, &q, &in, first);
	/* the slow path belongs to the general way, and so does a record that
	 * found no second slot (it may spill there) */
	return rc == TLB_ECEILING || (rc == SWIOTLB_EFULL && n != x->nslots) ? TLB_EXPRESS_PASS : rc;
}

/* ------------------------------------------------------------ lookup, release */

struct fp_loc {
	struct tlb_pool *pool;
	struct fast_area *fa;
	struct tlb_area *area;
	uint32_t r;
	unsigned p;
};

static inline void fp_locate(const struct tlb_pool *pool, uint64_t slot, struct fp_loc *L)
{
	uint32_t a = tlb_area_index(pool, slot);
	L->pool = (struct tlb_pool *)pool;
	L->fa = &fp_areas_of(pool)[a];
	L->area = &pool->areas[a];
	L->r = (uint32_t)((slot - L->fa->base) / SEG);
	L->p = (unsigned)(slot & (SEG - 1));
}

/* The mapping whose head slot or later slots hold L's slot; area lock held. */
static inline int fp_lookup_locked(const struct fp_loc *L, struct tlb_record *rec)
{
	TLB_ASSERT_LOCKED(L->area);
	unsigned h, n;
	if (!fp_extent_at(L->fa, L->r, L->p, &h, &n) || fp_is_cached(L->fa, L->r, h))
		return SWIOTLB_ENOTMAPPED;
	fp_read_record(L->fa, L->r, h, n, rec);
	if (L->p < h + rec->pad_slots)
		return SWIOTLB_ENOTMAPPED; /* a padding slot */
	rec->dev_id = L->pool->owner[rec->first_slot];
	return 0;
}

static int fast_visit(struct tlb_pool *pool, uint64_t slot, tlb_visit_fn fn, void *arg, struct tlb_record *rec)
{
	struct fp_loc L;
	uint32_t flags = rec->flags;
	fp_locate(pool, slot, &L);
	tlb_area_lock(pool, L.area);
	int rc = fp_lookup_locked(&L, rec);
	if (!rc) {
		rec->flags = flags;
		rc = fn(pool, rec, arg);
		if (!rc) {
			fp_mag_put(L.fa, L.r, (unsigned)(rec->first_slot & (SEG - 1)), rec->nslots);
			tlb_area_uncharge(pool, L.area, rec);
		} else if (rc == TLB_VISIT_KEEP) {
			rc = 0;
		}
	}
	tlb_area_unlock(pool, L.area);
	return rc;
}

/*
 * The express lane's unmap: a plain mapping (no padding, offset 0) whose head
 * is `slot`, released when its size, direction and owner match and no call
 * is using it.  One
 * locked section, and no record is decoded: the claim is encoded the way the
 * map wrote it and compared whole.
 */
static int fast_express_unmap(struct tlb_pool *pool, uint64_t slot, const struct tlb_express *x)
{
	struct fp_loc L;
	int rc = TLB_EXPRESS_PASS;
	fp_locate(pool, slot, &L);
	const uint64_t *fr = fp_free_of(L.fa, L.r), *hd = fr + 2;
	uint64_t bit = UINT64_C(1) << (L.p & 63);
	tlb_area_lock(pool, L.area);
	/* a mapping's head, not a cached one, that nobody else is using */
	if (((hd[L.p >> 6] & ~fr[L.p >> 6]) & bit) && pool->owner[slot] == x->dev_id && !pool->claim[slot]) {
		unsigned n = fp_extent_len(L.fa, L.r, L.p);
		const uint64_t *w = fr + 4;
		bool match = x->size <= n * SWIOTLB_SLOT_SIZE; /* else its bits would spill into the next field */
		if (!match)
			;
		else if (n == 1)
			match = (fp_wget(w, L.p) >> RS_ORIG_BITS) == fp_short_fields(x->size, x->dir, 0) >> RS_ORIG_BITS;
		else
			match = (fp_wget(w, L.p + 1) >> RL_ORIG_BITS) == fp_long_fields(x->size, 0, x->dir, 0) >> RL_ORIG_BITS;
		if (match) {
			fp_mag_put(L.fa, L.r, L.p, n);
			tlb_area_uncharge_unmap(pool, L.area, n);
			rc = 0;
		}
	}
	tlb_area_unlock(pool, L.area);
	return rc;
}

/* Longest free run of region r counting the magazine's extents as free. */
static unsigned fp_region_free_run(const struct fast_area *fa, uint32_t r)
{
	const uint64_t *fr = fp_free_of(fa, r);
	uint64_t f[2] = { fr[0] & ~fr[2], fr[1] & ~fr[3] };
	for (unsigned k = 0; k < MAG_WAYS; k++)
		for (unsigned i = 0; i < fa->wtop[k]; i++)
			if (fa->mag[k][i] >> 7 == r)
				fp_set_range(f, fa->mag[k][i] & (SEG - 1), (fa->mag[k][i] & (SEG - 1)) + fp_way_size(fa, k));
	unsigned le, lo;
	fp_run_lengths(f[0], f[1], &le, &lo);
	return le > lo ? le : lo;
}

static uint64_t fast_largest_free(struct tlb_pool *pool)
{
	uint64_t best = 0;
	for (uint32_t a = 0; a < pool->nareas; a++) {
		struct fast_area *fa = &fp_areas_of(pool)[a];
		tlb_area_lock(pool, &pool->areas[a]);
		for (unsigned f = 0; f < 2; f++) {
			int b = fp_prev_set(fa->mask[f][0], fa->mask[f][1], SEG - 1);
			if (b + 1 > (int)best)
				best = (uint64_t)(b + 1);
		}
		/* a magazine's extents are free space too: count their regions
		 * with the extents freed */
		for (unsigned k = 0; k < MAG_WAYS; k++)
			for (unsigned i = 0; i < fa->wtop[k]; i++) {
				unsigned l = fp_region_free_run(fa, fa->mag[k][i] >> 7);
				best = l > best ? l : best;
			}
		tlb_area_unlock(pool, &pool->areas[a]);
	}
	return best;
}

/* ------------------------------------------------------------ check */

#define FP_FAIL(...)                                 \
	do {                                         \
		tlb_snprintf(why, len, __VA_ARGS__); \
		return SWIOTLB_EINVAL;               \
	} while (0)

static int fp_check_region(const struct tlb_pool *pool, const struct fast_area *fa, uint32_t r, uint64_t *used,
			   unsigned *cached, uint64_t *cached_slots, uint64_t *spilled, char *why, size_t len)
{
	const uint64_t *fr = fp_free_of(fa, r), *hd = fp_head_of(fa, r);
	unsigned lo, hi;
	fp_region_span(fa, r, &lo, &hi);
	uint64_t B = fa->base + (uint64_t)r * SEG;
	for (unsigned p = 0; p < SEG; p++)
		if ((p < lo || p >= hi) && (fp_test_bit(fr, p) || fp_test_bit(hd, p)))
			FP_FAIL("pool %s slot %llu: free or head bit outside its region", pool->name,
				(unsigned long long)(B + p));
	for (unsigned p = lo; p < hi;) {
		bool f = fp_test_bit(fr, p), h = fp_test_bit(hd, p);
		if (f && !h) {
			p++;
			continue;
		}
		if (!h)
			FP_FAIL("pool %s slot %llu: an allocation without a head", pool->name, (unsigned long long)(B + p));
		unsigned hh, n;
		if (!fp_extent_at(fa, r, p, &hh, &n) || hh != p || n == 0)
			FP_FAIL("pool %s slot %llu: allocation extent broken", pool->name, (unsigned long long)(B + p));
		if (f) { /* a cached extent: one magazine entry, of its size */
			unsigned found = 0, wrong = 0;
			for (unsigned k = 0; k < MAG_WAYS; k++)
				for (unsigned i = 0; i < fa->wtop[k]; i++)
					if (fa->mag[k][i] == (r << 7 | p)) {
						found++;
						wrong += fp_way_size(fa, k) != n;
					}
			if (found != 1 || wrong)
				FP_FAIL("pool %s slot %llu: cached extent of %u slots held %u times by its magazine, %u of them in a way of another size",
					pool->name, (unsigned long long)(B + p), n, found, wrong);
			++*cached;
			*cached_slots += n;
			p += n;
			continue;
		}
		struct tlb_record rec;
		fp_read_record(fa, r, p, n, &rec);
		if (rec.pad_slots >= n || rec.offset >= SWIOTLB_SLOT_SIZE || !rec.mapping_size ||
		    (uint64_t)rec.pad_slots * SWIOTLB_SLOT_SIZE + rec.offset + rec.mapping_size >
			    (uint64_t)n * SWIOTLB_SLOT_SIZE || rec.dir > SWIOTLB_FROM_DEVICE)
			FP_FAIL("pool %s slot %llu: record of %u slots does not fit (pad %u, offset %u, size %u, dir %u)",
				pool->name, (unsigned long long)(B + p), n, rec.pad_slots, rec.offset, rec.mapping_size,
				rec.dir);
		unsigned si = n == 1 ? fp_spill_index(fp_wget(fp_words_of(fa, r), p)) : SPILL_NONE;
		if (si < SPILL_NONE) {
			if (si >= SPILL_ENTRIES || ((fa->spill_free | *spilled) >> si & 1))
				FP_FAIL("pool %s slot %llu: names spill entry %u, which is %s", pool->name,
					(unsigned long long)(B + p), si,
					si >= SPILL_ENTRIES ? "past the table" : "free or named twice");
			*spilled |= UINT64_C(1) << si;
		}
		*used += n;
		p += n;
	}
	unsigned le, lod;
	fp_run_lengths(fr[0] & ~hd[0], fr[1] & ~hd[1], &le, &lod);
	if (fa->lmax[2 * r] != le || fa->lmax[2 * r + 1] != lod)
		FP_FAIL("pool %s region at slot %llu: run lengths %u/%u recorded, %u/%u found", pool->name,
			(unsigned long long)(B + lo), fa->lmax[2 * r], fa->lmax[2 * r + 1], le, lod);
	return 0;
}

static int fp_check_lists(const struct tlb_pool *pool, const struct fast_area *fa, uint32_t a, char *why, size_t len)
{
	for (unsigned f = 0; f < 2; f++) {
		const void *prev = fa->prev[f];
		uint64_t members = 0, expect = 0;
		for (uint32_t r = 0; r < fa->nreg; r++)
			expect += fa->lmax[2 * r + f] != 0;
		for (unsigned L = 1; L <= SEG; L++) {
			bool bit = (fa->mask[f][(L - 1) >> 6] >> ((L - 1) & 63)) & 1;
			uint32_t r1 = fp_list_first(fa, f, L), before = 0;
			if (bit != (r1 != 0))
				FP_FAIL("pool %s area %u: list %c[%u] and its mask bit disagree", pool->name, a, "EO"[f], L);
			for (uint64_t steps = 0; r1; r1 = fp_list_next(fa, f, r1 - 1)) {
				if (r1 > fa->nreg || ++steps > fa->nreg)
					FP_FAIL("pool %s area %u: list %c[%u] is broken", pool->name, a, "EO"[f], L);
				if (fa->lmax[2 * (r1 - 1) + f] != L || fp_lk_get(fa, prev, r1 - 1) != before)
					FP_FAIL("pool %s area %u: region %u misfiled in list %c[%u]", pool->name, a, r1 - 1,
						"EO"[f], L);
				before = r1;
				members++;
			}
		}
		if (members != expect)
			FP_FAIL("pool %s area %u: %llu regions on the %c lists, %llu expected", pool->name, a,
				(unsigned long long)members, "EO"[f], (unsigned long long)expect);
	}
	return 0;
}

static int fast_check(struct tlb_pool *pool, char *why, size_t len)
{
	for (uint32_t a = 0; a < pool->nareas; a++) {
		const struct fast_area *fa = &fp_areas_of(pool)[a];
		struct tlb_area *area = &pool->areas[a];
		uint64_t used = 0, cached_slots = 0, spilled = 0;
		unsigned cached = 0, entries = 0;
		int rc = 0;
		tlb_area_lock(pool, area);
		for (uint32_t r = 0; r < fa->nreg && !rc; r++)
			rc = fp_check_region(pool, fa, r, &used, &cached, &cached_slots, &spilled, why, len);
		if (!rc && (spilled | fa->spill_free) != fp_lowbits(SPILL_ENTRIES)) {
			tlb_snprintf(why, len, "pool %s area %u: spill entries taken 0x%llx, named by mappings 0x%llx",
				     pool->name, a, (unsigned long long)(~fa->spill_free & fp_lowbits(SPILL_ENTRIES)),
				     (unsigned long long)spilled);
			rc = SWIOTLB_EINVAL;
		}
		for (unsigned k = 0; k < MAG_WAYS && !rc; k++) {
			entries += fa->wtop[k];
			if (fa->wtop[k] > MAG_DEPTH || (fa->wtop[k] && !fp_way_size(fa, k))) {
				tlb_snprintf(why, len, "pool %s area %u: magazine way %u holds %u extents of %u slots", pool->name,
					     a, k, fa->wtop[k], fp_way_size(fa, k));
				rc = SWIOTLB_EINVAL;
			}
			for (unsigned j = 0; j < k && !rc; j++)
				if (fp_way_size(fa, k) && fp_way_size(fa, k) == fp_way_size(fa, j)) {
					tlb_snprintf(why, len, "pool %s area %u: magazine ways %u and %u both hold %u-slot extents",
						     pool->name, a, j, k, fp_way_size(fa, k));
					rc = SWIOTLB_EINVAL;
				}
		}
		if (!rc && (cached != entries || cached_slots != fa->held || fa->held > fa->cap)) {
			tlb_snprintf(why, len, "pool %s area %u: magazine holds %u extents (%u slots, cap %u), %u found",
				     pool->name, a, entries, fa->held, fa->cap, cached);
			rc = SWIOTLB_EINVAL;
		}
		if (!rc)
			rc = fp_check_lists(pool, fa, a, why, len);
		if (!rc && used != tlb_area_used(area)) {
			tlb_snprintf(why, len, "pool %s area %u: %llu slots mapped but area.used is %llu", pool->name, a,
				     (unsigned long long)used, (unsigned long long)tlb_area_used(area));
			rc = SWIOTLB_EINVAL;
		}
		tlb_area_unlock(pool, area);
		if (rc)
			return rc;
	}
	return 0;
}

#undef FP_FAIL

const struct tlb_policy_ops tlb_policy_fast = {
	.name = "fast",
	.meta_bytes = fast_meta_bytes,
	.init = fast_init,
	.alloc = fast_alloc,
	.visit = fast_visit,
	.express_map = fast_express_map,
	.express_unmap = fast_express_unmap,
	.largest_free = fast_largest_free,
	.check = fast_check,
};
