/* SPDX-License-Identifier: MIT */
/*
 * Pool setup, teardown and publication.  (The accounting is acct.c's.)
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
	if (!blk) {
		/* the kernel's message, with what this policy's metadata needs (the
		 * kernel's slot array is 24 bytes a slot) */
		tlb_log(tlb, SWIOTLB_LOG_WARN, "swiotlb_init_remap: Failed to allocate %llu bytes align=0x%x",
			(unsigned long long)total, TLB_CACHELINE);
		return SWIOTLB_ENOMEM;
	}
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
		pool->areas[a].pool = pool;
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

int tlb_pool_publish(struct swiotlb *tlb, struct tlb_pool *pool, const char **why)
{
	int rc = SWIOTLB_EBADCONFIG;
	tlb_spin_lock(&tlb->add_lock);
	int n = atomic_load_explicit(&tlb->npools, memory_order_relaxed);
	/* checked again here, where two adds of one name cannot both pass */
	for (int i = 0; i < n; i++)
		if (!tlb_strcmp(tlb->pools[i]->name, pool->name))
			*why = "the name is in use";
	if (n >= SWIOTLB_MAX_POOLS)
		*why = "the instance holds as many pools as it can";
	if (!*why) {
		pool->index = n;
		tlb->pools[n] = pool;
		/* release: a reader that sees the count sees the whole pool */
		atomic_store_explicit(&tlb->npools, n + 1, memory_order_release);
		rc = n;
	}
	tlb_spin_unlock(&tlb->add_lock);
	return rc;
}
