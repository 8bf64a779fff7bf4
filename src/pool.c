/* SPDX-License-Identifier: MIT */
/*
 * Pool setup and shared accounting.
 *
 * A pool's private metadata is one meta_alloc block:
 *   [struct tlb_pool][areas: nareas x struct tlb_area][locks]
 *   [owner: nslabs x u32][claim: nslabs x u16][policy metadata]
 * each part 64-byte aligned.  None of it lies in the bounce range, so a
 * device that writes the pool cannot corrupt allocator state (invariant I4).
 */
#include "internal.h"

static size_t up64(size_t x) { return (x + TLB_CACHELINE - 1) & ~(size_t)(TLB_CACHELINE - 1); }

static size_t lock_stride(const struct swiotlb *tlb)
{
	size_t sz = tlb->plat.lock ? tlb->plat.lock_size : sizeof(struct tlb_spinlock);
	return up64(sz ? sz : 1);
}

uint32_t tlb_limit_nareas(uint32_t nareas, uint64_t nslots)
{
	if (nslots < (uint64_t)nareas * SWIOTLB_SEGSIZE)
		nareas = (uint32_t)(nslots / SWIOTLB_SEGSIZE);
	return nareas ? nareas : 1;
}

int tlb_pool_setup(struct swiotlb *tlb, const char *name, uint64_t phys, void *cpu, uint64_t nslabs,
		   uint32_t nareas, uint32_t placement, const struct tlb_policy_ops *ops,
		   struct tlb_pool **out)
{
	if (!nslabs || !nareas || !tlb_is_pow2(nareas) || nslabs % nareas)
		return SWIOTLB_EBADCONFIG;
	size_t off_areas = up64(sizeof(struct tlb_pool));
	size_t off_locks = off_areas + up64(sizeof(struct tlb_area) * nareas);
	size_t off_owner = off_locks + lock_stride(tlb) * nareas;
	size_t off_claim = off_owner + up64(sizeof(uint32_t) * nslabs);
	size_t off_meta = off_claim + up64(sizeof(uint16_t) * nslabs);
	size_t meta = up64(ops->meta_bytes(nslabs, nareas));
	size_t total = off_meta + meta;
	uint8_t *blk = tlb->plat.meta_alloc(tlb->plat.ctx, total);
	if (!blk)
		return SWIOTLB_ENOMEM;
	tlb_memset(blk, 0, off_meta); /* the policy block is zeroed by meta_alloc's contract */

	struct tlb_pool *pool = (struct tlb_pool *)blk;
	pool->tlb = tlb;
	tlb_strlcpy(pool->name, name, sizeof(pool->name));
	pool->start = phys;
	pool->end = phys + (nslabs << SWIOTLB_SLOT_SHIFT);
	pool->vaddr = cpu;
	pool->nslabs = nslabs;
	pool->nareas = nareas;
	pool->area_nslabs = nslabs / nareas;
	pool->area_shift = tlb_is_pow2(pool->area_nslabs) ? (uint32_t)__builtin_ctzll(pool->area_nslabs) : 64;
	pool->placement = placement;
	pool->ops = ops;
	pool->areas = (struct tlb_area *)(blk + off_areas);
	pool->locks = blk + off_locks;
	pool->owner = (uint32_t *)(blk + off_owner);
	pool->claim = (uint16_t *)(blk + off_claim);
	pool->meta = blk + off_meta;
	pool->meta_bytes = meta;
	pool->total_meta_bytes = total;
	pool->index = -1;

	/* The device-visible extent: translate each segment, as a Xen p2m may
	 * scatter 128-slot chunks anywhere in machine memory. */
	pool->dma_start = tlb_dma(tlb, phys, true);
	pool->dma_lo = ~(uint64_t)0;
	pool->dma_hi = 0;
	for (uint64_t s = 0; s < nslabs; s += SWIOTLB_SEGSIZE) {
		uint64_t n = nslabs - s < SWIOTLB_SEGSIZE ? nslabs - s : SWIOTLB_SEGSIZE;
		uint64_t lo = tlb_dma(tlb, phys + (s << SWIOTLB_SLOT_SHIFT), true);
		uint64_t hi = tlb_dma(tlb, phys + ((s + n) << SWIOTLB_SLOT_SHIFT) - 1, true) + 1;
		if (lo < pool->dma_lo)
			pool->dma_lo = lo;
		if (hi > pool->dma_hi)
			pool->dma_hi = hi;
	}

	for (uint32_t a = 0; a < nareas; a++) {
		void *lock = (uint8_t *)pool->locks + lock_stride(tlb) * a;
		pool->areas[a].lock = lock;
		if (tlb->plat.lock_init)
			tlb->plat.lock_init(tlb->plat.ctx, lock);
	}
	ops->init(pool);
	*out = pool;
	return 0;
}

/*
 * Memory still shared with the host must never go back to the platform: it
 * would be handed out again as private memory the host can read and write.
 * So a pool whose unshare fails is leaked on purpose, as the kernel does,
 * counted in leaked_bytes and logged.
 */
void tlb_pool_teardown(struct swiotlb *tlb, struct tlb_pool *pool)
{
	uint64_t bytes = tlb_align_up(pool->nslabs << SWIOTLB_SLOT_SHIFT, tlb_page_size(tlb));
	int rc = 0;
	if (pool->shared && tlb->plat.unshare)
		rc = tlb->plat.unshare(tlb->plat.ctx, pool->start, pool->vaddr, bytes);
	if (rc) {
		tlb_uadd(&tlb->leaked_bytes, bytes);
		tlb_log(tlb, SWIOTLB_LOG_ERR,
			"swiotlb: pool %s: unshare of %llu bytes at 0x%016llx failed (%d): leaking DMA memory that can't be re-encrypted",
			pool->name, (unsigned long long)bytes, (unsigned long long)pool->start, rc);
	} else {
		tlb->plat.pool_free(tlb->plat.ctx, pool->start, pool->vaddr, bytes);
	}
	for (uint32_t a = 0; a < pool->nareas; a++)
		if (tlb->plat.lock_destroy)
			tlb->plat.lock_destroy(tlb->plat.ctx, pool->areas[a].lock);
	if (tlb->plat.meta_free)
		tlb->plat.meta_free(tlb->plat.ctx, pool, pool->total_meta_bytes);
}

int tlb_pool_publish(struct swiotlb *tlb, struct tlb_pool *pool)
{
	int rc = SWIOTLB_EBADCONFIG;
	tlb_spin_lock(&tlb->add_lock);
	int n = atomic_load_explicit(&tlb->npools, memory_order_relaxed);
	if (n < SWIOTLB_MAX_POOLS) {
		pool->index = n;
		tlb->pools[n] = pool;
		/* release: a reader that sees the count sees the whole pool */
		atomic_store_explicit(&tlb->npools, n + 1, memory_order_release);
		rc = n;
	}
	tlb_spin_unlock(&tlb->add_lock);
	return rc;
}


/* ------------------------------------------------------------ accounting
 *
 * Used counts live in the areas (written under each area's lock), so the
 * hot path touches no counter another CPU writes; pool and instance counts
 * are sums taken on read.  High-water marks stay exact with ceilings (I5):
 * an area may grow to its ceiling without telling anyone, because the
 * ceilings sum to at most the marks.  An allocation that would pass its
 * area's ceiling comes here instead: with the accounting lock and every
 * area lock held, the sums are exact at that instant, so the marks are the
 * maximum of the totals over a linearisation of all maps and unmaps.
 * Frees only lower a count and never come here.
 *
 * Slack moves between areas through two banks, the pool's and the
 * instance's: an area that would pass its ceiling first tries to take slack
 * from both (two atomic operations on lines no fast path touches), and an
 * area that released much more than it uses gives most of its unused
 * ceiling back.  So a pool that runs at its high-water mark -- frees on one
 * CPU, allocations on another -- comes here only when a mark must rise.
 *
 * Lock order: acct_lock, then areas by pool index and area index.  The fast
 * path holds at most one area lock and never waits for acct_lock, so the
 * slow path cannot deadlock with it.
 */

uint64_t tlb_pool_used(const struct tlb_pool *pool)
{
	uint64_t u = 0;
	for (uint32_t a = 0; a < pool->nareas; a++)
		u += tlb_area_used(&pool->areas[a]);
	return u;
}

uint64_t tlb_total_used(const struct swiotlb *tlb)
{
	uint64_t u = 0;
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++)
		u += tlb_pool_used(tlb->pools[i]);
	return u;
}

static void lock_everything(struct swiotlb *tlb, int n)
{
	for (int i = 0; i < n; i++)
		for (uint32_t a = 0; a < tlb->pools[i]->nareas; a++)
			tlb_lock(tlb, tlb->pools[i]->areas[a].lock);
}

static void unlock_everything(struct swiotlb *tlb, int n)
{
	for (int i = n; i-- > 0;)
		for (uint32_t a = tlb->pools[i]->nareas; a-- > 0;)
			tlb_unlock(tlb, tlb->pools[i]->areas[a].lock);
}

static inline uint64_t umax(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint64_t umin(uint64_t a, uint64_t b) { return a < b ? a : b; }

static bool pool_in_reset(const struct tlb_pool *p)
{
	for (uint32_t a = 0; a < p->nareas; a++)
		if (p->areas[a].ceiling)
			return false;
	return true;
}

/*
 * Every lock held and `hot` (an area of hot_pool) just allocated: raise the
 * hot pool's mark and the instance's to the exact sums (the kernel raises a
 * mark only when something is allocated, so other pools' marks stay), then
 * give out ceilings.  Other areas keep theirs when the instance mark allows,
 * so a CPU that did not ask is not sent here next time; otherwise they are
 * cut to what they use.  The hot area gets the slack that is left.  A pool
 * still in its reset state (every ceiling 0) keeps it until it allocates.
 */
static void rebalance(struct swiotlb *tlb, int n, struct tlb_area *hot, struct tlb_pool *hot_pool)
{
	uint64_t total = 0, hot_used = tlb_pool_used(hot_pool);
	for (int i = 0; i < n; i++)
		total += tlb->pools[i] == hot_pool ? hot_used : tlb_pool_used(tlb->pools[i]);
	if (hot_used > tlb_uload(&hot_pool->hiwater))
		atomic_store_explicit(&hot_pool->hiwater, hot_used, memory_order_relaxed);
	if (total > tlb_uload(&tlb->hiwater))
		atomic_store_explicit(&tlb->hiwater, total, memory_order_relaxed);

	/* the hot pool: everyone at least what they use (the sum is hot_used,
	 * within its mark), the others keep their slack if the mark allows */
	uint64_t pool_sum = 0;
	for (uint32_t a = 0; a < hot_pool->nareas; a++) {
		struct tlb_area *ar = &hot_pool->areas[a];
		uint64_t u = tlb_area_used(ar);
		/* others keep up to TLB_AREA_KEEP of unused ceiling (so CPUs busy in
		 * their own areas are not sent here again); the rest goes to the
		 * banks, where the area that needs it takes it */
		ar->ceiling = ar == hot ? u : umax(umin(ar->ceiling, u + TLB_AREA_KEEP), u);
		pool_sum += ar->ceiling;
	}
	if (pool_sum > tlb_uload(&hot_pool->hiwater)) {
		pool_sum = 0;
		for (uint32_t a = 0; a < hot_pool->nareas; a++) {
			struct tlb_area *ar = &hot_pool->areas[a];
			ar->ceiling = tlb_area_used(ar);
			pool_sum += ar->ceiling;
		}
	}
	/* what every pool may reach without the slow path: its ceilings, or
	 * for a pool in its reset state what it uses (it can only shrink) */
	uint64_t all = 0;
	for (int i = 0; i < n; i++) {
		const struct tlb_pool *p = tlb->pools[i];
		if (p != hot_pool && pool_in_reset(p)) {
			all += tlb_pool_used(p);
			continue;
		}
		for (uint32_t a = 0; a < p->nareas; a++)
			all += p->areas[a].ceiling;
	}
	if (all > tlb_uload(&tlb->hiwater)) {
		/* cut everyone to what they use: that sums to the total, within the mark */
		all = 0;
		pool_sum = 0;
		for (int i = 0; i < n; i++) {
			struct tlb_pool *p = tlb->pools[i];
			if (p != hot_pool && pool_in_reset(p)) {
				all += tlb_pool_used(p);
				continue;
			}
			for (uint32_t a = 0; a < p->nareas; a++) {
				struct tlb_area *ar = &p->areas[a];
				ar->ceiling = tlb_area_used(ar);
				all += ar->ceiling;
				if (p == hot_pool)
					pool_sum += ar->ceiling;
			}
		}
	}
	/* the hot area gets a batch of the slack, the banks the rest */
	uint64_t give = umin(umin(tlb_uload(&hot_pool->hiwater) - pool_sum, tlb_uload(&tlb->hiwater) - all),
			     SWIOTLB_SEGSIZE);
	hot->ceiling += give;
	all += give;
	for (int i = 0; i < n; i++) {
		struct tlb_pool *p = tlb->pools[i];
		uint64_t sum = 0;
		for (uint32_t a = 0; a < p->nareas; a++)
			sum += p->areas[a].ceiling;
		bool reset = p != hot_pool && pool_in_reset(p);
		atomic_store_explicit(&p->bank, reset ? 0 : tlb_uload(&p->hiwater) - sum, memory_order_relaxed);
	}
	atomic_store_explicit(&tlb->bank, tlb_uload(&tlb->hiwater) - all, memory_order_relaxed);
}

/* Take between lo and hi from a bank (all it has, up to hi), or 0. */
static uint64_t bank_take(atomic_uint_least64_t *bank, uint64_t lo, uint64_t hi)
{
	uint64_t cur = atomic_load_explicit(bank, memory_order_relaxed), t;
	do {
		if (cur < lo)
			return 0;
		t = cur < hi ? cur : hi;
	} while (!atomic_compare_exchange_weak_explicit(bank, &cur, cur - t, memory_order_relaxed,
							 memory_order_relaxed));
	return t;
}

bool tlb_area_borrow(struct tlb_pool *pool, struct tlb_area *a, uint64_t need)
{
	/* a batch beyond the need, so the next allocations stay on the fast path */
	uint64_t got = bank_take(&pool->bank, need, need + SWIOTLB_SEGSIZE);
	if (!got)
		return false;
	uint64_t got2 = bank_take(&pool->tlb->bank, need, got);
	if (got2 < got)
		tlb_uadd(&pool->bank, got - got2);
	if (!got2)
		return false;
	a->ceiling += got2;
	return true;
}

void tlb_area_donate(struct tlb_pool *pool, struct tlb_area *a)
{
	uint64_t keep = tlb_area_used(a) + TLB_AREA_KEEP;
	uint64_t d = a->ceiling - keep;
	a->ceiling = keep;
	tlb_uadd(&pool->bank, d);
	tlb_uadd(&pool->tlb->bank, d);
}

int tlb_alloc_slow(struct tlb_pool *pool, struct tlb_alloc_req *req, struct tlb_record *rec)
{
	struct swiotlb *tlb = pool->tlb;
	tlb_spin_lock(&tlb->acct_lock);
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	lock_everything(tlb, n);
	req->locked = true;
	int rc = pool->ops->alloc(pool, req, rec);
	req->locked = false;
	if (rc == 0)
		rebalance(tlb, n, &pool->areas[rec->first_slot / pool->area_nslabs], pool);
	unlock_everything(tlb, n);
	tlb_spin_unlock(&tlb->acct_lock);
	return rc;
}

void tlb_hiwater_reset(struct swiotlb *tlb)
{
	tlb_spin_lock(&tlb->acct_lock);
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	lock_everything(tlb, n);
	atomic_store_explicit(&tlb->hiwater, 0, memory_order_relaxed);
	atomic_store_explicit(&tlb->bank, 0, memory_order_relaxed);
	for (int i = 0; i < n; i++) {
		struct tlb_pool *p = tlb->pools[i];
		atomic_store_explicit(&p->hiwater, 0, memory_order_relaxed);
		atomic_store_explicit(&p->bank, 0, memory_order_relaxed);
		for (uint32_t a = 0; a < p->nareas; a++)
			p->areas[a].ceiling = 0; /* every next allocation takes the slow path */
	}
	unlock_everything(tlb, n);
	tlb_spin_unlock(&tlb->acct_lock);
}

static int check_pool_accounting(struct tlb_pool *p, char *why, size_t len, uint64_t *ceilings, bool *in_reset)
{
	struct swiotlb *tlb = p->tlb;
	tlb_spin_lock(&tlb->acct_lock);
	uint64_t used = 0, ceil = 0;
	bool all_zero = true, under = true;
	for (uint32_t a = 0; a < p->nareas; a++) {
		struct tlb_area *ar = &p->areas[a];
		tlb_lock(tlb, ar->lock);
		uint64_t u = tlb_area_used(ar);
		used += u;
		ceil += ar->ceiling;
		all_zero &= ar->ceiling == 0;
		under &= u <= ar->ceiling;
		if (tlb_uload(&ar->unmaps) > tlb_uload(&ar->maps)) {
			tlb_unlock(tlb, ar->lock);
			tlb_spin_unlock(&tlb->acct_lock);
			tlb_snprintf(why, len, "pool %s area %u: %llu unmaps but only %llu maps", p->name, a,
				     (unsigned long long)tlb_uload(&ar->unmaps), (unsigned long long)tlb_uload(&ar->maps));
			return SWIOTLB_EINVAL;
		}
		tlb_unlock(tlb, ar->lock);
	}
	uint64_t hw = tlb_uload(&p->hiwater), bank = tlb_uload(&p->bank);
	tlb_spin_unlock(&tlb->acct_lock);
	*ceilings += all_zero ? used : ceil; /* what the pool can reach without the slow path */
	if (all_zero && bank && hw < used) {
		tlb_snprintf(why, len, "pool %s: a bank of %llu in the reset state", p->name, (unsigned long long)bank);
		return SWIOTLB_EINVAL;
	}
	ceil += bank;
	*in_reset = all_zero;
	/* a pool in its reset state (every ceiling 0) sends every allocation to
	 * the slow path, whatever it uses */
	if (!under && !all_zero) {
		tlb_snprintf(why, len, "pool %s: an area uses more slots than its hiwater ceiling", p->name);
		return SWIOTLB_EINVAL;
	}
	if (ceil > hw) {
		tlb_snprintf(why, len, "pool %s: ceilings and bank sum to %llu, above hiwater %llu", p->name,
			     (unsigned long long)ceil, (unsigned long long)hw);
		return SWIOTLB_EINVAL;
	}
	if (!all_zero && hw < used) {
		tlb_snprintf(why, len, "pool %s: hiwater %llu below used %llu", p->name, (unsigned long long)hw,
			     (unsigned long long)used);
		return SWIOTLB_EINVAL;
	}
	return 0;
}

int tlb_check_accounting(struct swiotlb *tlb, char *why, size_t len)
{
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	uint64_t ceilings = 0;
	bool all_reset = true;
	for (int i = 0; i < n; i++) {
		bool in_reset;
		int rc = check_pool_accounting(tlb->pools[i], why, len, &ceilings, &in_reset);
		if (rc)
			return rc;
		all_reset &= in_reset;
	}
	/* right after a reset every allocation takes the slow path anyway */
	ceilings += tlb_uload(&tlb->bank);
	if (!all_reset && ceilings > tlb_uload(&tlb->hiwater)) {
		tlb_snprintf(why, len, "pools may reach %llu slots without the slow path, above the instance hiwater %llu",
			     (unsigned long long)ceilings, (unsigned long long)tlb_uload(&tlb->hiwater));
		return SWIOTLB_EINVAL;
	}
	return 0;
}
