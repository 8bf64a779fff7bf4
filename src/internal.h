/* SPDX-License-Identifier: MIT */
/*
 * Internal structures of libswiotlb.  Freestanding: nothing here may pull in
 * libc beyond the freestanding headers.
 *
 * Ownership
 * ---------
 *   struct swiotlb (instance)  -- owns pools[], the platform table copy,
 *       instance-wide counters (total used, hiwater, failures that belong
 *       to no pool), the event hook and the message rate limiter.
 *   struct tlb_pool            -- one contiguous phys range of nslabs slots,
 *       split into nareas areas; owns its areas and the policy's metadata.
 *       Pools are only appended, never removed while the instance lives, so
 *       readers index pools[] without a lock once npools is published.
 *   struct tlb_area            -- a lock domain: area a covers slots
 *       [a*area_nslabs, (a+1)*area_nslabs).  The policy's per-slot state of
 *       an area is only touched with that area's lock held.
 *   policy (struct tlb_policy_ops) -- the placement algorithm and the
 *       free-space and record format of a pool; the mapping layer (map.c)
 *       sees mappings only as tlb_record, through visit().
 *   pool->owner, pool->claim -- per mapping, at its first reserved slot:
 *       the owner's full device id and the claim word of unmaps and syncs
 *       (map.c), for every policy.
 *
 * Invariants (checked by swiotlb_check through policy->check)
 * ----------
 *   I1  area.used == slots the policy marks allocated in that area; a
 *       pool's used is the sum over its areas, the instance's the sum over
 *       its pools (summed on read: no counter is shared between CPUs).
 *   I2  a mapping occupies slots [first, first+nslots) inside one area and
 *       one 128-slot segment; no two live mappings share a slot.
 *   I3  bounce address of a mapping = slot_phys(first + pad) + offset, and
 *       its low min_align_mask bits equal the original's.
 *   I4  metadata lives in meta_alloc memory, never inside the bounce range.
 *   I5  hiwater ceilings (acct.c): every area has used <= ceiling, and
 *       an area that is not listed has used == ceiling.  In each pool the
 *       ceilings plus the pool's bank sum to exactly pool.cap, over all
 *       pools the ceilings plus the instance's bank to exactly tlb.cap
 *       (slack taken from a bank is held by a listed area the moment it
 *       leaves it).  So an allocation under its area's ceiling cannot pass
 *       a cap, and when no area is listed (nlisted 0) the slots in use are
 *       exactly cap - bank: a cap is raised from that, in O(1), to the
 *       exact new total.  A mark (hiwater) equals its cap, or 0 from a
 *       reset until the next allocation in that pool (instance).
 *   I6  a mapping's slots are freed only when no call holds a use of it
 *       (claim & TLB_CLAIM_USERS is 0); once an unmap has marked it dying
 *       (TLB_CLAIM_DYING) no further unmap or sync may claim it.  So a copy
 *       outside the lock never touches slots another mapping may own.
 */
#ifndef SWIOTLB_INTERNAL_H
#define SWIOTLB_INTERNAL_H

#include <stdatomic.h>
#include <stdalign.h>
#include <stdarg.h>
#include "swiotlb/swiotlb.h"

#define TLB_CACHELINE 64
#define TLB_INVALID_ADDR (~(uint64_t)0)

/* -------------------------------------------------------------- helpers */

static inline uint64_t tlb_align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }
static inline bool tlb_is_pow2(uint64_t x) { return x && !(x & (x - 1)); }
static inline uint64_t tlb_roundup_pow2(uint64_t x)
{
	uint64_t p = 1;
	while (p < x)
		p <<= 1;
	return p;
}
/*
 * §1.6 step 3: once the area count is known, a pool size below `floor`
 * (128 slots per area) grows to it, any other size rounds up to a power of
 * two (0 if that overflows).  Returns true when the size changed.
 */
static inline bool tlb_round_to_areas(uint64_t *nslabs, uint64_t floor)
{
	uint64_t v = *nslabs;
	if (v < floor)
		v = floor;
	else if (tlb_is_pow2(v))
		return false;
	else
		v = v > ((uint64_t)1 << 63) ? 0 : tlb_roundup_pow2(v);
	*nslabs = v;
	return true;
}
/* §1.6 step 2: an area count of 0 means 1, any other rounds up to a power of two. */
static inline uint64_t tlb_fix_nareas(uint64_t n)
{
	return n ? tlb_roundup_pow2(n) : 1;
}
static inline uint64_t tlb_min_not_zero(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}
/* Slots covering `bytes` (no overflow near 2^64). */
static inline uint64_t tlb_nr_slots(uint64_t bytes)
{
	return (bytes >> SWIOTLB_SLOT_SHIFT) + ((bytes & (SWIOTLB_SLOT_SIZE - 1)) != 0);
}
/* Slots a boundary mask allows in one window, without overflow at ~0. */
static inline uint64_t tlb_max_slots(uint64_t mask)
{
	return (mask >> SWIOTLB_SLOT_SHIFT) + 1;
}

/* freestanding string helpers (str.c) */
size_t tlb_strlen(const char *s);
int tlb_strcmp(const char *a, const char *b);
int tlb_strncmp(const char *a, const char *b, size_t n);
void tlb_strlcpy(char *dst, const char *src, size_t n);
void tlb_memset(void *p, int c, size_t n);
void tlb_memcpy(void *dst, const void *src, size_t n);

/* a small vsnprintf: %s %c %d %i %u %x %X %p with l/ll/z, width, '0' and '-' flags */
int tlb_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int tlb_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* An append-only text buffer that counts what would have been written. */
struct tlb_buf {
	char *p;
	size_t cap, len;
};
void tlb_buf_printf(struct tlb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- locks */

struct tlb_spinlock {
	atomic_int held;
};

/* ----------------------------------------------------------- structures */

struct tlb_pool;

/* What the mapping layer asks of a policy. */
struct tlb_alloc_req {
	uint64_t orig;             /* original phys; 0 disables min-align matching */
	uint64_t size;             /* bytes to reserve: ALIGN(mapping_size + offset, alloc_align + 1) */
	uint64_t nslots;           /* tlb_nr_slots(size) */
	uint64_t offset;           /* orig & min_align & (alloc_align | 2047): pre-padding */
	uint64_t alloc_align_mask; /* as requested */
	uint64_t min_align_mask;   /* the device's */
	uint64_t boundary_mask;    /* the device's, ~0 when none */
	uint32_t mapping_size;
	uint32_t dev_id;
	uint32_t dir;
	unsigned cpu;
	bool acct;                 /* the caller holds tlb->acct_lock (accounting slow path) */
	/* derived once by tlb_req_prepare (docs/kernel-semantics.md §2.2 steps 1-5) */
	uint64_t align;            /* every start address has these bits zero */
	uint64_t iotlb_mask;       /* bits a start address must share with orig */
	uint64_t stride;           /* slots to step after a misfit on an aligned slot */
	uint64_t max_slots;        /* slots per segment-boundary window */
};

/* Fill the derived fields of a request (map.c). */
void tlb_req_prepare(struct tlb_alloc_req *req, uint32_t page_size);
/*
 * The device address a slot's alignment is judged on: the slot's own.  (The
 * kernel judges pool_dma & boundary_mask + slot * 2048, which agrees on every
 * bit of a mask inside the boundary window -- always so for alloc_align,
 * which otherwise cannot fit at all -- but breaks the min-align guarantee
 * (I3) for a min_align_mask reaching above the window.)
 */
static inline uint64_t tlb_req_slot_addr(const struct tlb_pool *pool, uint64_t slot);
/* Does the slot starting at device address `a` satisfy the request's
 * alignment and min-align rules? */
static inline bool tlb_req_slot_ok(const struct tlb_alloc_req *req, uint64_t a)
{
	return !(a & req->align) && (a & req->iotlb_mask) == (req->orig & req->iotlb_mask);
}
/* Would [slot, slot+nslots) cross a segment-boundary window of a pool whose
 * (masked) device address starts at tbl? */
static inline bool tlb_req_crosses_boundary(const struct tlb_alloc_req *req, uint64_t tbl, uint64_t slot)
{
	uint64_t off = (tlb_nr_slots(tbl) + slot) & (req->max_slots - 1);
	return off + req->nslots > req->max_slots;
}

/* A live mapping as the mapping layer sees it. */
struct tlb_record {
	uint64_t orig;          /* phys of the original's first mapped byte */
	uint64_t first_slot;    /* first reserved slot, padding included */
	uint32_t nslots;        /* reserved slots, padding included */
	uint32_t pad_slots;     /* whole padding slots before the head slot */
	uint32_t offset;        /* bytes from the head slot's start to the first mapped byte (< 2048) */
	uint32_t mapping_size;
	uint32_t dev_id;        /* the owner's full device id (pool->owner, exact) */
	uint32_t dir;
	uint32_t flags;         /* TLB_REC_* (set by the mapping layer before release) */
};

/* release() of a mapping whose map failed after its slots were reserved:
 * undo the map's counters instead of counting an unmap. */
#define TLB_REC_ROLLBACK 1u

/* Returned by policy->alloc when it found a fit but committing it would
 * pass the area's hiwater ceiling (I5) and it could not raise the caps:
 * nothing changed; the mapping layer retries through tlb_alloc_slow().
 * Never leaves the library. */
#define TLB_ECEILING (-1000)

#define TLB_CLAIM_DYING 0x8000u
#define TLB_CLAIM_USERS 0x7fffu

static inline uint64_t tlb_record_head(const struct tlb_record *r) { return r->first_slot + r->pad_slots; }

/*
 * The express lane.  Most I/O has the plain shape: no min-align or
 * alloc-align mask, no segment boundary, at most a segment.  For it the
 * mapping layer skips building a request and a record, and a policy that
 * offers express_map/express_unmap maps and unmaps in one short locked
 * section.  Whatever the lane does not finish -- a failure, a mapping of
 * another shape, a claim that does not match -- it leaves untouched and
 * answers TLB_EXPRESS_PASS, and the general path does it again with its
 * full checks and diagnostics, so the lane never decides an error.
 */
struct tlb_express {
	uint64_t orig;    /* original phys (map only) */
	uint32_t size;    /* mapping bytes */
	uint32_t nslots;  /* tlb_nr_slots(size), 1..SWIOTLB_SEGSIZE (map only) */
	uint32_t stride;  /* legal first slots are every stride-th: page slots for size >= page, else 1 */
	uint32_t dev_id;
	uint32_t dir;
	unsigned cpu;     /* map only */
};
#define TLB_EXPRESS_PASS (-1001)

#define TLB_VISIT_KEEP 1
typedef int (*tlb_visit_fn)(struct tlb_pool *pool, const struct tlb_record *rec, void *arg);

struct tlb_policy_ops {
	const char *name;
	/* Private metadata bytes for a pool of this shape. */
	size_t (*meta_bytes)(uint64_t nslabs, uint32_t nareas);
	/* Initialise pool->meta (already zeroed) for an empty pool. */
	void (*init)(struct tlb_pool *pool);
	/*
	 * Reserve req->nslots slots honouring every constraint, write the
	 * mapping's metadata and fill *rec, all under the area lock (taken
	 * with tlb_area_lock, one area at a time).  Before committing,
	 * tlb_area_may_charge() must allow it -- or, with req->acct, once the
	 * placement is certain, tlb_area_raise() -- else return TLB_ECEILING
	 * having changed nothing a mapping can see (a request that does not
	 * fit returns SWIOTLB_EFULL either way); on commit tlb_area_charge().
	 * Returns 0, SWIOTLB_EFULL or TLB_ECEILING.
	 */
	int (*alloc)(struct tlb_pool *pool, const struct tlb_alloc_req *req, struct tlb_record *rec);
	/*
	 * Under the area lock of `slot`: find the live mapping whose mapped
	 * bytes hold `slot` and fill *rec (its flags kept from the caller's
	 * *rec), then ask fn what to do with it.  fn returns 0 to release the
	 * mapping now (counted as an unmap, or undone as a map when rec->flags
	 * has TLB_REC_ROLLBACK), TLB_VISIT_KEEP to leave it, or a negative error
	 * having changed nothing.  visit returns SWIOTLB_ENOTMAPPED (no mapping
	 * there: a free, cached or padding slot; fn is not called), fn's error,
	 * or 0.  fn runs with the area lock held: it may read and write the
	 * mapping's state (pool->claim) and must not call back into the library.
	 */
	int (*visit)(struct tlb_pool *pool, uint64_t slot, tlb_visit_fn fn, void *arg, struct tlb_record *rec);
	/*
	 * Optional express lane (see struct tlb_express).  express_map: 0 with
	 * the first reserved slot and the slot count in *first and *nslots (no
	 * padding, offset 0), SWIOTLB_EFULL when no area holds it, or
	 * TLB_EXPRESS_PASS.  express_unmap: release the mapping starting
	 * exactly at slot if it is a plain one matching size, direction and
	 * owner, and no call is using it (pool->claim is 0): 0, or
	 * TLB_EXPRESS_PASS with nothing changed.
	 */
	int (*express_map)(struct tlb_pool *pool, const struct tlb_express *x, uint64_t *first, uint32_t *nslots);
	int (*express_unmap)(struct tlb_pool *pool, uint64_t slot, const struct tlb_express *x);
	/* Longest run of free slots an allocation could use (racy snapshot). */
	uint64_t (*largest_free)(struct tlb_pool *pool);
	/* Full consistency walk (takes every area lock).  0 or SWIOTLB_EINVAL. */
	int (*check)(struct tlb_pool *pool, char *why, size_t len);
};

const struct tlb_policy_ops *tlb_policy_find(const char *name);
const char *tlb_policy_default_name(void);
extern const struct tlb_policy_ops tlb_policy_linux;
extern const struct tlb_policy_ops tlb_policy_fast;

/*
 * Per-area state, on cache lines of its own so that CPUs working in their
 * own areas share nothing.  The first group is written only with the area lock
 * held (a relaxed load and store: no locked instruction) and read anywhere;
 * the RMW counters take the bytes copied outside the lock (syncs, copy-back).
 */
struct tlb_area {
	alignas(TLB_CACHELINE) void *lock;
	atomic_uint_least64_t used;      /* slots allocated in this area */
	atomic_uint_least64_t maps;      /* bounced mappings created here */
	atomic_uint_least64_t unmaps;    /* ... and released */
	atomic_uint_least64_t map_bytes; /* bytes copied in by those maps */
	uint64_t ceiling;                /* used may grow to this without the slow path (I5) */
	uint64_t index;                  /* next-fit cursor, area-relative (linux policy) */
	atomic_uint_least64_t bytes_to_device, bytes_from_device; /* atomic adds */
	/* accounting (acct.c), under the area lock: may the area hold slack
	 * (ceiling above used)?  Then it is counted in nlisted and linked on
	 * the instance's list through lnext until the slow path reclaims it. */
	bool listed;
	struct tlb_area *lnext;
	struct tlb_pool *pool;
#ifdef SWIOTLB_DEBUG
	atomic_int dbg_held; /* the lock is held (TLB_ASSERT_LOCKED) */
#endif
};
_Static_assert(sizeof(struct tlb_area) % TLB_CACHELINE == 0, "areas share no cache line");

struct tlb_pool {
	struct swiotlb *tlb;
	int index;
	char name[SWIOTLB_NAME_MAX];
	uint64_t start, end;       /* phys, end exclusive */
	uint64_t dma_start;        /* phys_to_dma(start, shared) */
	uint64_t dma_lo, dma_hi;   /* lowest / highest device address of any byte */
	uint8_t *vaddr;
	uint64_t nslabs;
	uint32_t nareas;
	uint64_t area_nslabs;
	uint32_t area_shift;       /* log2(area_nslabs) when a power of two, else 64 */
	uint32_t placement;
	bool shared;               /* share() succeeded */
	const struct tlb_policy_ops *ops;
	struct tlb_area *areas;
	void *locks;
	void *meta;
	/* Per-slot mapping state the pool layer keeps for every policy, valid at
	 * a live mapping's first reserved slot only and written under its area
	 * lock (tlb_mapping_begin at commit, the mapping layer's visit functions
	 * after): owner is the full device id, so ownership checks are exact;
	 * claim counts the calls copying outside the lock (TLB_CLAIM_USERS) and
	 * marks a mapping an unmap has taken (TLB_CLAIM_DYING).  Slots of a
	 * claimed mapping are freed only once no call uses them (map.c). */
	uint32_t *owner;
	uint16_t *claim;
	size_t meta_bytes;
	size_t total_meta_bytes;
	/* the high-water mark (I5): written under tlb->acct_lock only */
	atomic_uint_least64_t hiwater;
	uint64_t cap;
	atomic_bool reset;             /* hiwater was reset and nothing allocated here since */
	atomic_uint_least64_t fail_full, fail_too_large, fail_not_mapped, fail_range;
	/* slack under pool.cap no area holds, and the pool's listed areas
	 * (I5): changed with atomics by an area holding its lock, rarely */
	alignas(TLB_CACHELINE) atomic_uint_least64_t bank;
	atomic_uint_least64_t nlisted;
};

struct tlb_ratelimit {
	uint64_t begin_ns;
	unsigned printed, missed;
	struct tlb_spinlock lock;
};

struct swiotlb {
	struct swiotlb_platform plat;
	uint32_t ncpus;
	uint32_t default_nareas;
	bool force;
	bool fallback;
	bool verbose;
	const struct tlb_policy_ops *default_policy;
	atomic_int npools;
	struct tlb_pool *pools[SWIOTLB_MAX_POOLS];
	struct tlb_spinlock add_lock;
	/* The accounting slow path (acct.c): its holder may raise a cap and
	 * reclaim listed areas, one area lock at a time. */
	struct tlb_spinlock acct_lock;
	atomic_uint_least64_t hiwater; /* instance-wide, written like pool.hiwater */
	uint64_t cap;
	atomic_bool reset;
	atomic_bool frozen;            /* the slow path is reclaiming: no area may list itself */
	/* slack under tlb.cap, the listed areas of every pool and their list (I5) */
	alignas(TLB_CACHELINE) atomic_uint_least64_t bank;
	atomic_uint_least64_t nlisted;
	_Atomic(struct tlb_area *) listed;
	atomic_uint_least64_t fail_unreachable, fail_not_mapped, fail_range, fail_too_large, fail_full;
	atomic_uint_least64_t conversions;
	atomic_uint_least64_t leaked_bytes; /* pools whose unshare failed: never freed */
	atomic_uint warned; /* one-time warnings already printed, TLB_ONCE_* bits */
	struct tlb_ratelimit rl;
	swiotlb_event_fn event_fn;
	void *event_arg;
#ifdef SWIOTLB_DEBUG
	struct tlb_debug *dbg; /* debug mode's state (debug.c); NULL: off */
#endif
};

enum {
	TLB_ONCE_ALIGN = 1u << 1,
	TLB_ONCE_ENCRYPT = 1u << 2,
	TLB_ONCE_UNREACHABLE = 1u << 3,
	TLB_ONCE_BOUNCE_OVERFLOW = 1u << 4,
};

/* ------------------------------------------------------------ services */

void tlb_lock(struct swiotlb *tlb, void *lock);
void tlb_unlock(struct swiotlb *tlb, void *lock);
void tlb_spin_lock(struct tlb_spinlock *l);
void tlb_spin_unlock(struct tlb_spinlock *l);

/* log.c */
void tlb_log(struct swiotlb *tlb, enum swiotlb_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* device-prefixed, rate-limited (kernel default: 10 per 5 s) */
void tlb_dev_warn_ratelimited(struct swiotlb *tlb, const struct swiotlb_device *dev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* device-prefixed, printed once per instance per `bit` */
void tlb_dev_warn_once(struct swiotlb *tlb, unsigned bit, const struct swiotlb_device *dev,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void tlb_emit(swiotlb_log_fn fn, void *arg, enum swiotlb_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* pool.c */
int tlb_pool_setup(struct swiotlb *tlb, const char *name, uint64_t phys, void *cpu, uint64_t nslabs,
		   uint32_t nareas, uint32_t placement, const struct tlb_policy_ops *ops,
		   struct tlb_pool **out);
void tlb_pool_teardown(struct swiotlb *tlb, struct tlb_pool *pool);
/* Append a pool to the instance: its index, or SWIOTLB_EBADCONFIG with the
 * reason in *why (NULL on entry). */
int tlb_pool_publish(struct swiotlb *tlb, struct tlb_pool *pool, const char **why);
/* The pool holding phys, or NULL. */
static inline struct tlb_pool *tlb_pool_by_phys(const struct swiotlb *tlb, uint64_t phys)
{
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++) {
		struct tlb_pool *p = tlb->pools[i];
		if (phys >= p->start && phys < p->end)
			return p;
	}
	return (struct tlb_pool *)0;
}
static inline uint64_t tlb_req_slot_addr(const struct tlb_pool *pool, uint64_t slot)
{
	return pool->dma_start + (slot << SWIOTLB_SLOT_SHIFT);
}
/* The area holding a slot (no division for the usual power-of-two areas). */
static inline uint32_t tlb_area_index(const struct tlb_pool *p, uint64_t slot)
{
	return (uint32_t)(p->area_shift < 64 ? slot >> p->area_shift : slot / p->area_nslabs);
}
uint32_t tlb_limit_nareas(uint32_t nareas, uint64_t nslots);
static inline uint64_t tlb_uload(const atomic_uint_least64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}
static inline void tlb_uadd(atomic_uint_least64_t *a, uint64_t v)
{
	atomic_fetch_add_explicit(a, v, memory_order_relaxed);
}
/* Add to a counter whose only writer holds a lock: no locked instruction. */
static inline void tlb_uadd_locked(atomic_uint_least64_t *a, uint64_t v)
{
	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + v, memory_order_relaxed);
}

/*
 * Debug builds check "under the area lock" where a comment says so: that
 * someone holds the lock (not who), which catches a path that took none.
 */
#ifdef SWIOTLB_DEBUG
void tlb_dbg_not_locked(const struct tlb_area *a, const char *where) __attribute__((noreturn));
#define TLB_ASSERT_LOCKED(a)                                                     \
	do {                                                                     \
		if (!atomic_load_explicit(&(a)->dbg_held, memory_order_relaxed)) \
			tlb_dbg_not_locked((a), __func__);                       \
	} while (0)
#else
#define TLB_ASSERT_LOCKED(a) ((void)0)
#endif

/* ------------------------------------------------ accounting (acct.c) */

/* Slots allocated in a pool / the instance (sums of the areas' counts). */
uint64_t tlb_pool_used(const struct tlb_pool *pool);
uint64_t tlb_total_used(const struct swiotlb *tlb);
/*
 * The accounting slow path, for an allocation a policy answered with
 * TLB_ECEILING: take tlb->acct_lock and run pool->ops->alloc again with
 * req->acct set, reclaiming the listed areas' slack between tries, until it
 * answers something else.  Returns what alloc returned (0 or SWIOTLB_EFULL).
 */
int tlb_alloc_slow(struct tlb_pool *pool, struct tlb_alloc_req *req, struct tlb_record *rec);
/* reset_hiwater: marks to 0 until the next allocation (I5). */
void tlb_hiwater_reset(struct swiotlb *tlb);
/* The accounting part of swiotlb_check (I5), quiescent callers only. */
int tlb_check_accounting(struct swiotlb *tlb, char *why, size_t len);

static inline void tlb_area_lock(struct tlb_pool *pool, struct tlb_area *a);
static inline void tlb_area_unlock(struct tlb_pool *pool, struct tlb_area *a);
static inline uint64_t tlb_area_used(const struct tlb_area *a)
{
	return atomic_load_explicit(&a->used, memory_order_relaxed);
}
/* tlb_area_may_charge past the ceiling: borrow from the banks, or with
 * `acct` raise the caps. */
bool tlb_area_charge_slow(struct tlb_pool *pool, struct tlb_area *a, bool acct, uint64_t n);
/* Under the area lock: give the banks back most of a's unused ceiling. */
void tlb_area_donate(struct tlb_pool *pool, struct tlb_area *a);
/* Under the area lock: n slots of an area that is not listed are free. */
void tlb_area_unuse_unlisted(struct tlb_pool *pool, struct tlb_area *a, uint64_t n);
/* An area keeps up to this many unused slots of ceiling after a release. */
#define TLB_AREA_KEEP (SWIOTLB_SEGSIZE / 2)
/* Under the area lock: do n more slots fit under a's ceiling as it is? */
static inline bool tlb_area_within(const struct tlb_area *a, uint64_t n)
{
	TLB_ASSERT_LOCKED(a);
	return tlb_area_used(a) + n <= a->ceiling;
}
/*
 * Under the area lock, once the placement of n slots in a is certain: may
 * they be committed?  Yes under the ceiling, or when slack can be borrowed
 * from the banks; with `acct` (the caller holds tlb->acct_lock: the slow
 * path) also when the caps can be raised, which needs every other area's
 * slack back in the banks.  No: the policy answers TLB_ECEILING.
 */
static inline bool tlb_area_may_charge(struct tlb_pool *pool, struct tlb_area *a, bool acct, uint64_t n)
{
	return tlb_area_within(a, n) || tlb_area_charge_slow(pool, a, acct, n);
}
/* Under the area lock: count a committed allocation of n slots (one map,
 * whose `bytes` the mapping layer copies in). */
static inline void tlb_area_charge(struct tlb_area *a, uint64_t n, uint64_t bytes)
{
	TLB_ASSERT_LOCKED(a);
	tlb_uadd_locked(&a->used, n);
	tlb_uadd_locked(&a->maps, 1);
	tlb_uadd_locked(&a->map_bytes, bytes);
}
/* Under the area lock, as a policy commits a mapping whose first reserved
 * slot is `first`: record its owner; no call is using it yet. */
static inline void tlb_mapping_begin(struct tlb_pool *pool, uint64_t first, uint32_t owner)
{
	TLB_ASSERT_LOCKED(&pool->areas[tlb_area_index(pool, first)]);
	pool->owner[first] = owner;
	pool->claim[first] = 0;
}
/* Under the area lock: n slots are free again; give back excess ceiling. */
static inline void tlb_area_unuse(struct tlb_pool *pool, struct tlb_area *a, uint64_t n)
{
	TLB_ASSERT_LOCKED(a);
	if (__builtin_expect(!a->listed, 0)) {
		tlb_area_unuse_unlisted(pool, a, n);
		return;
	}
	tlb_uadd_locked(&a->used, -n);
	if (a->ceiling > tlb_area_used(a) + 2 * TLB_AREA_KEEP)
		tlb_area_donate(pool, a);
}
/* Under the area lock: count an unmap that released n slots. */
static inline void tlb_area_uncharge_unmap(struct tlb_pool *pool, struct tlb_area *a, uint64_t n)
{
	tlb_area_unuse(pool, a, n);
	tlb_uadd_locked(&a->unmaps, 1);
}
/* Under the area lock: count a released mapping (or undo a failed map). */
static inline void tlb_area_uncharge(struct tlb_pool *pool, struct tlb_area *a, const struct tlb_record *rec)
{
	if (!(rec->flags & TLB_REC_ROLLBACK)) {
		tlb_area_uncharge_unmap(pool, a, rec->nslots);
		return;
	}
	tlb_area_unuse(pool, a, rec->nslots);
	tlb_uadd_locked(&a->maps, -(uint64_t)1);
	tlb_uadd_locked(&a->map_bytes, -(uint64_t)rec->mapping_size);
}
static inline uint64_t tlb_dma(const struct swiotlb *tlb, uint64_t phys, bool shared)
{
	return tlb->plat.phys_to_dma ? tlb->plat.phys_to_dma(tlb->plat.ctx, phys, shared) : phys;
}
static inline uint64_t tlb_phys(const struct swiotlb *tlb, uint64_t dma)
{
	return tlb->plat.dma_to_phys ? tlb->plat.dma_to_phys(tlb->plat.ctx, dma) : dma;
}
static inline uint32_t tlb_page_size(const struct swiotlb *tlb)
{
	return tlb->plat.page_size ? tlb->plat.page_size : 4096;
}

/* tlb_lock / tlb_unlock with the core spinlock's uncontended case inline. */
static inline void tlb_lock_fast(struct swiotlb *tlb, void *lock)
{
	if (tlb->plat.lock || atomic_exchange_explicit(&((struct tlb_spinlock *)lock)->held, 1, memory_order_acquire))
		tlb_lock(tlb, lock);
}
static inline void tlb_unlock_fast(struct swiotlb *tlb, void *lock)
{
	if (tlb->plat.unlock)
		tlb->plat.unlock(tlb->plat.ctx, lock);
	else
		atomic_store_explicit(&((struct tlb_spinlock *)lock)->held, 0, memory_order_release);
}
/* Every area lock is taken and released through these two. */
static inline void tlb_area_lock(struct tlb_pool *pool, struct tlb_area *a)
{
	tlb_lock_fast(pool->tlb, a->lock);
#ifdef SWIOTLB_DEBUG
	atomic_store_explicit(&a->dbg_held, 1, memory_order_relaxed);
#endif
}
static inline void tlb_area_unlock(struct tlb_pool *pool, struct tlb_area *a)
{
#ifdef SWIOTLB_DEBUG
	atomic_store_explicit(&a->dbg_held, 0, memory_order_relaxed);
#endif
	tlb_unlock_fast(pool->tlb, a->lock);
}

#endif
