/* SPDX-License-Identifier: MIT */
/*
 * The mapping layer: validation at the door, the bounce decision (§3.4),
 * pool selection from the device's limit, the copy table (§3.2), partial
 * syncs (§3.3), scatter-gather (§3.5) and validated unmaps.
 *
 * Pool selection: a pool is eligible when every device address of it lies
 * within the device's effective limit, min_not_zero(dma_mask, bus_dma_limit).
 * Eligible pools are tried from the highest-placed down, so low memory stays
 * free for the devices that need it; a full pool falls back to the next
 * lower one unless the instance disabled fallback.
 */
#include "debug.h"

static atomic_uint next_device_id;

void swiotlb_device_init(struct swiotlb_device *dev, const char *name, uint64_t dma_mask)
{
	if (!dev)
		return;
	tlb_memset(dev, 0, sizeof(*dev));
	dev->name = name;
	dev->dma_mask = dma_mask;
	unsigned id;
	do
		id = atomic_fetch_add(&next_device_id, 1) + 1;
	while ((id & 0xffff) == 0); /* tag 0 is never an owner */
	dev->id = id;
}

static inline bool low_mask(uint64_t m) { return (m & (m + 1)) == 0; }

static inline uint64_t dev_boundary(const struct swiotlb_device *dev)
{
	return dev->seg_boundary_mask ? dev->seg_boundary_mask : ~(uint64_t)0;
}

/*
 * The masks a map can honour: low masks, and a boundary window of at least
 * a slot -- placement works in whole slots, so a window inside one would be
 * crossed by a mapping that merely reaches past it (the kernel's block layer
 * never sets one below a page).  Unmaps and syncs check less (check_device):
 * a mapping made earlier must stay releasable.
 */
static inline int check_masks(const struct swiotlb_device *dev)
{
	if (!low_mask(dev->min_align_mask) || !low_mask(dev->seg_boundary_mask) ||
	    (dev->seg_boundary_mask && dev->seg_boundary_mask < SWIOTLB_SLOT_SIZE - 1))
		return SWIOTLB_EINVAL;
	return 0;
}

/*
 * The largest mapping an empty pool takes for this device whatever the
 * original, with no alloc_align_mask, in a pool whose segments lie on the
 * device's boundary windows (as a pool aligned to its size does).  A run
 * lies in one segment and one boundary window: min(window, 128) slots.  A
 * min_align_mask of P slots' period (its bits above the slot) may put the
 * first legal start min(P, window) - 1 slots into them, and its in-slot
 * bits may take all but one byte of the first slot.  The kernel's figure,
 * 128 slots less roundup(min_align_mask, 2048) (docs/kernel-semantics.md §3.1), is the
 * same bound a little rounded, so the result is the smaller of the two.
 * 0: nothing is guaranteed -- a device every map refuses (invalid masks),
 * or a min_align_mask whose period is a whole segment or more, so that only
 * originals of the right residue fit at all.  Overflow-free for any mask.
 */
size_t swiotlb_max_mapping_size(const struct swiotlb_device *dev)
{
	if (!dev || check_masks(dev))
		return 0;
	uint64_t m = dev->min_align_mask;
	uint64_t period = tlb_max_slots(m); /* 1 for masks inside a slot */
	if (period >= SWIOTLB_SEGSIZE)
		return 0;
	uint64_t window = tlb_max_slots(dev_boundary(dev));
	if (window > SWIOTLB_SEGSIZE)
		window = SWIOTLB_SEGSIZE;
	uint64_t run = window - (period < window ? period : window) + 1;
	uint64_t exact = (run << SWIOTLB_SLOT_SHIFT) - (m & (SWIOTLB_SLOT_SIZE - 1));
	uint64_t kernel = (uint64_t)(m ? SWIOTLB_SEGSIZE - period : SWIOTLB_SEGSIZE) << SWIOTLB_SLOT_SHIFT;
	return (size_t)(exact < kernel ? exact : kernel);
}

static inline int check_device(const struct swiotlb_device *dev)
{
	if (!dev || !dev->id || !dev->dma_mask)
		return SWIOTLB_EINVAL;
	if ((dev->min_align_mask & (dev->min_align_mask + 1)) | (dev->seg_boundary_mask & (dev->seg_boundary_mask + 1)) |
	    (dev->flags & ~SWIOTLB_DEV_FORCE_BOUNCE))
		return SWIOTLB_EINVAL;
	return 0;
}

static inline uint64_t dev_limit(const struct swiotlb_device *dev)
{
	return tlb_min_not_zero(dev->dma_mask, dev->bus_dma_limit);
}


/* dma_capable(): the whole range lies at or below the device's limit. */
static bool dma_capable(const struct swiotlb_device *dev, uint64_t dma, size_t size)
{
	uint64_t end = dma + size - 1;
	return end >= dma && end <= dev_limit(dev);
}

static inline bool dir_ok(uint32_t dir) { return dir <= SWIOTLB_FROM_DEVICE; }

void tlb_req_prepare(struct tlb_alloc_req *req, uint32_t page_size)
{
	uint64_t iotlb = req->min_align_mask;
	uint64_t align = req->alloc_align_mask;
	/* legacy page alignment, only when nobody asked for any other */
	if (!align && !iotlb && req->size >= page_size)
		align = page_size - 1;
	align |= SWIOTLB_SLOT_SIZE - 1;
	iotlb &= ~align;
	req->align = align;
	req->iotlb_mask = iotlb;
	req->stride = tlb_max_slots(align > iotlb ? align : iotlb);
	req->max_slots = tlb_max_slots(req->boundary_mask);
}

/*
 * Could the request fit in this pool were it empty?  Runs live inside one
 * segment of one area, must start on a slot meeting the alignment and
 * min-align rules, and must not cross a boundary window.  With the low masks
 * validated at the door, the eligible start slots are exactly one residue
 * modulo `stride`, so the first is computed and the rest stepped through for
 * one structural period.  Pathological shapes that would need a longer walk
 * answer "possible" and leave the verdict to the search (then "full").
 */
static bool fit_possible(const struct tlb_pool *pool, const struct tlb_alloc_req *req)
{
	uint64_t region = pool->area_nslabs < SWIOTLB_SEGSIZE ? pool->area_nslabs : SWIOTLB_SEGSIZE;
	if (req->nslots > region || req->nslots > req->max_slots || req->nslots > pool->nslabs)
		return false;
	uint64_t tbl = pool->dma_start & req->boundary_mask;
	if (pool->dma_start & (SWIOTLB_SLOT_SIZE - 1))
		return false; /* no slot start can be slot-aligned */
	/* both are low masks: their union gives the true period of legal
	 * starts (the kernel's stride, from their maximum, can be shorter);
	 * legal starts are judged on the slots' own device addresses, as the
	 * policies do (tlb_req_slot_addr) */
	uint64_t m = req->align | req->iotlb_mask;
	uint64_t stride = (m >> SWIOTLB_SLOT_SHIFT) + 1;
	uint64_t s0 = (((req->orig & req->iotlb_mask) - pool->dma_start) & m) >> SWIOTLB_SLOT_SHIFT;
	/* the usual shape -- areas of whole segments, boundary windows of whole
	 * segments aligned with them -- is decided by the first legal start */
	if (stride <= SWIOTLB_SEGSIZE && !(pool->area_nslabs % SWIOTLB_SEGSIZE) && req->max_slots >= SWIOTLB_SEGSIZE &&
	    !((tbl >> SWIOTLB_SLOT_SHIFT) & (SWIOTLB_SEGSIZE - 1)) && s0 + req->nslots <= SWIOTLB_SEGSIZE)
		return true;
	uint64_t period = stride > SWIOTLB_SEGSIZE ? stride : SWIOTLB_SEGSIZE;
	if (pool->area_nslabs > period && pool->area_nslabs % SWIOTLB_SEGSIZE)
		period = pool->area_nslabs;
	if (req->max_slots > period && req->max_slots <= pool->nslabs)
		period = req->max_slots;
	uint64_t steps = 0;
	for (uint64_t s = s0; s < pool->nslabs && s < s0 + period + SWIOTLB_SEGSIZE; s += stride) {
		if (++steps > 4096)
			return true;
		uint64_t area_end = (s / pool->area_nslabs + 1) * pool->area_nslabs;
		uint64_t seg_end = (s | (SWIOTLB_SEGSIZE - 1)) + 1;
		uint64_t end = seg_end < area_end ? seg_end : area_end;
		if (s + req->nslots <= end && s + req->nslots <= pool->nslabs &&
		    !tlb_req_crosses_boundary(req, tbl, s))
			return true;
	}
	return false;
}

/* Is every byte of the original [orig, orig+n) accessible to the CPU? */
static bool orig_accessible(struct swiotlb *tlb, uint64_t orig, size_t n)
{
	while (n) {
		size_t contig = 0;
		if (!tlb->plat.phys_to_cpu(tlb->plat.ctx, orig, n, &contig) || !contig || contig > n)
			return false;
		orig += contig;
		n -= contig;
	}
	return true;
}

static inline void copy_bytes(struct swiotlb *tlb, void *dst, const void *src, size_t n)
{
	if (tlb->plat.copy)
		tlb->plat.copy(tlb->plat.ctx, dst, src, n);
	else
		tlb_memcpy(dst, src, n);
}

/*
 * Copy between an original buffer and bounce memory.  All or nothing: the
 * whole original is translated before the first byte moves, so a buffer
 * the platform cannot reach fails with SWIOTLB_EPLATFORM having copied
 * nothing (only a platform whose translation changes between the two
 * passes could see a part copied; docs/reliability.md).
 */
static void warn_inaccessible(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t orig, size_t n)
{
	tlb_dev_warn_ratelimited(tlb, dev,
				 "swiotlb: original buffer 0x%016llx+%zu is not accessible to the CPU (the platform cannot translate it); nothing copied",
				 (unsigned long long)orig, n);
}

static int bounce_copy(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		       uint64_t bounce_phys, uint64_t orig, size_t n, bool to_bounce)
{
	uint8_t *b = pool->vaddr + (bounce_phys - pool->start);
	size_t contig = 0;
	uint8_t *o = tlb->plat.phys_to_cpu(tlb->plat.ctx, orig, n, &contig);
	if (o && contig == n) { /* the usual case: one piece */
		copy_bytes(tlb, to_bounce ? b : o, to_bounce ? o : b, n);
		return 0;
	}
	if (!orig_accessible(tlb, orig, n)) {
		warn_inaccessible(tlb, dev, orig, n);
		return SWIOTLB_EPLATFORM;
	}
	while (n) {
		o = tlb->plat.phys_to_cpu(tlb->plat.ctx, orig, n, &contig);
		if (!o || !contig || contig > n)
			return SWIOTLB_EPLATFORM;
		copy_bytes(tlb, to_bounce ? b : o, to_bounce ? o : b, contig);
		b += contig;
		orig += contig;
		n -= contig;
	}
	return 0;
}

static void count_copy(struct tlb_pool *pool, uint64_t slot, size_t n, bool to_device)
{
	struct tlb_area *area = &pool->areas[tlb_area_index(pool, slot)];
	tlb_uadd(to_device ? &area->bytes_to_device : &area->bytes_from_device, n);
}

/* out of line: the map path only tests tlb->event_fn */
static __attribute__((noinline)) void trace_bounce(struct swiotlb *tlb, const struct swiotlb_device *dev,
						   uint64_t orig, size_t size, bool force)
{
	if (!tlb->event_fn)
		return;
	struct swiotlb_bounce_event ev = {
		.dev_name = dev->name ? dev->name : "",
		.dma_mask = dev->dma_mask,
		.dev_addr = tlb_dma(tlb, orig, false),
		.size = size,
		.force = force,
	};
	char line[256];
	tlb_snprintf(line, sizeof(line), "dev_name: %s dma_mask=%llx dev_addr=%llx size=%zu %s", ev.dev_name,
		     (unsigned long long)ev.dma_mask, (unsigned long long)ev.dev_addr, ev.size,
		     force ? "FORCE" : "NORMAL");
	tlb->event_fn(tlb->event_arg, &ev, line);
}

/* Eligible pools, highest-placed first.  Returns how many. */
static inline int eligible_pools(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool **out)
{
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire), k = 0;
	uint64_t limit = dev_limit(dev);
	if (n == 1) { /* the usual instance */
		out[0] = tlb->pools[0];
		return out[0]->dma_hi - 1 <= limit;
	}
	for (int i = 0; i < n; i++) {
		struct tlb_pool *p = tlb->pools[i];
		if (p->dma_hi - 1 > limit)
			continue;
		int j = k++;
		while (j > 0 && out[j - 1]->dma_lo < p->dma_lo) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = p;
	}
	return k;
}

/* visit function: undo a reservation the map could not finish (the mapping
 * is still the one just made: nobody else knows its address yet). */
static int accept_rollback(struct tlb_pool *pool, const struct tlb_record *rec, void *arg)
{
	(void)pool;
	return rec->first_slot == *(const uint64_t *)arg ? 0 : SWIOTLB_ENOTMAPPED;
}

static void rollback_map(struct tlb_pool *pool, struct tlb_record *rec)
{
	uint64_t first = rec->first_slot;
	rec->flags = TLB_REC_ROLLBACK;
	pool->ops->visit(pool, tlb_record_head(rec), accept_rollback, &first, rec);
}

/*
 * The original of a map, translated once before any slot is taken: a
 * refused map changes nothing, not even a high-water mark, so a buffer the
 * platform cannot read is refused first.  `cpu` is its CPU pointer when it
 * is one piece, else NULL (the copy then goes piece by piece).
 */
struct map_src {
	const uint8_t *cpu;
	bool checked;
};

static int map_source(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		      struct map_src *src)
{
	if (src->checked)
		return 0;
	size_t contig = 0;
	const uint8_t *o = tlb->plat.phys_to_cpu(tlb->plat.ctx, a->orig, a->size, &contig);
	if (!o || contig != a->size) {
		o = (const uint8_t *)0;
		if (!orig_accessible(tlb, a->orig, a->size)) {
			warn_inaccessible(tlb, dev, a->orig, a->size);
			return SWIOTLB_EPLATFORM;
		}
	}
	src->cpu = o;
	src->checked = true;
	return 0;
}

/* A pool holds the mapping `rec`: check the device reaches it, copy in, and
 * fill the result; on failure undo the reservation. */
static int finish_map(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		      const struct map_src *src, struct swiotlb_map_result *res, struct tlb_pool *pool,
		      struct tlb_record *rec)
{
	uint64_t phys = pool->start + (tlb_record_head(rec) << SWIOTLB_SLOT_SHIFT) + rec->offset;
	uint64_t dma = tlb_dma(tlb, phys, true);
	/* the policy counted the map (and the bytes copied in below) under its
	 * area lock; a failure from here on undoes that with the rollback */
	if (!dma_capable(dev, dma, a->size)) {
		/* a pool inside the limit cannot produce this, but a platform with
		 * scattered machine frames can: free without copying back */
		rollback_map(pool, rec);
		tlb_uadd(&tlb->fail_unreachable, 1);
		tlb_dev_warn_once(tlb, TLB_ONCE_BOUNCE_OVERFLOW, dev,
				  "swiotlb addr 0x%016llx+%zu overflow (mask %llx, bus limit %llx).",
				  (unsigned long long)dma, a->size, (unsigned long long)dev->dma_mask,
				  (unsigned long long)dev->bus_dma_limit);
		return SWIOTLB_EUNREACHABLE;
	}
	/* Always copy in, whatever the direction: a device that writes only part
	 * of a FROM_DEVICE buffer must not expose stale bounce data (CVE-2022-0854). */
	tlb_dbg_reserved(tlb, pool, rec);
	if (src->cpu) {
		copy_bytes(tlb, pool->vaddr + (phys - pool->start), src->cpu, a->size);
	} else {
		int rc = bounce_copy(tlb, dev, pool, phys, a->orig, a->size, true);
		if (rc) { /* only if the platform's translation changed since map_ex */
			rollback_map(pool, rec);
			return rc;
		}
	}
	res->dma = dma;
	res->bounced = true;
	res->pool = pool->index;
	res->slots = rec->nslots;
	return 0;
}

/* The plain request shape the express lane takes (struct tlb_express). */
static inline bool express_shape(const struct swiotlb_device *dev, const struct swiotlb_map_args *a)
{
	return !(dev->min_align_mask | a->alloc_align_mask) && (dev->seg_boundary_mask + 1) <= 1 &&
	       a->size <= (size_t)SWIOTLB_SEGSIZE << SWIOTLB_SLOT_SHIFT;
}

static inline unsigned map_cpu(struct swiotlb *tlb, const struct swiotlb_map_args *a)
{
	return a->cpu >= 0 ? (unsigned)a->cpu : (tlb->plat.cpu_id ? tlb->plat.cpu_id(tlb->plat.ctx) : 0);
}

/*
 * The express lane (struct tlb_express) on the first eligible pool.  Returns
 * what finish_map returns, or SWIOTLB_EFULL with that pool in *full (the
 * general path does not search it again), or TLB_EXPRESS_PASS.
 */
static int map_express(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		       struct map_src *src, struct swiotlb_map_result *res, const struct tlb_pool **full)
{
	struct tlb_pool *cand[SWIOTLB_MAX_POOLS];
	if (!eligible_pools(tlb, dev, cand) || !cand[0]->ops->express_map)
		return TLB_EXPRESS_PASS;
	struct tlb_pool *pool = cand[0];
	uint32_t page = tlb_page_size(tlb);
	struct tlb_express x = {
		.orig = a->orig,
		.size = (uint32_t)a->size,
		.nslots = (uint32_t)tlb_nr_slots(a->size),
		.stride = a->size >= page ? ((page - 1) >> SWIOTLB_SLOT_SHIFT) + 1 : 1,
		.dev_id = dev->id,
		.dir = a->dir,
		.cpu = map_cpu(tlb, a),
	};
	uint64_t first;
	uint32_t nslots;
	int rc = map_source(tlb, dev, a, src);
	if (rc)
		return rc;
	rc = pool->ops->express_map(pool, &x, &first, &nslots);
	if (rc == SWIOTLB_EFULL)
		*full = pool;
	if (rc)
		return rc;
	struct tlb_record rec = {
		.orig = a->orig,
		.first_slot = first,
		.nslots = nslots,
		.mapping_size = x.size,
		.dev_id = dev->id,
		.dir = a->dir,
	};
	return finish_map(tlb, dev, a, src, res, pool, &rec);
}

/*
 * ALIGN(bytes, mask + 1) for bytes >= 1, saturated at UINT64_MAX (which no
 * pool holds) instead of wrapping.  bytes = size + offset cannot wrap: the
 * door refuses mask ~0, so offset <= orig & (2^63 - 1) < 2^63.
 */
static inline uint64_t reserve_bytes(uint64_t bytes, uint64_t mask)
{
	uint64_t v = (bytes - 1) | mask;
	return v == ~(uint64_t)0 ? v : v + 1;
}

/* The general path.  `searched`: a pool the express lane found full, whose
 * search is not repeated (NULL: none). */
static int bounce_map(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		      struct map_src *src, struct swiotlb_map_result *res, const struct tlb_pool *searched)
{
	struct tlb_pool *cand[SWIOTLB_MAX_POOLS];
	struct tlb_record rec;
	int n = eligible_pools(tlb, dev, cand);
	uint64_t min_align = dev->min_align_mask;
	uint64_t offset = a->orig & min_align & (a->alloc_align_mask | (SWIOTLB_SLOT_SIZE - 1));
	uint64_t size = reserve_bytes(a->size + offset, a->alloc_align_mask);
	/* every member set here (no byte-wise clearing on the hot path) */
	struct tlb_alloc_req req = {
		.orig = a->orig,
		.size = size,
		.nslots = tlb_nr_slots(size),
		.offset = offset,
		.alloc_align_mask = a->alloc_align_mask,
		.min_align_mask = min_align,
		.boundary_mask = dev_boundary(dev),
		.mapping_size = (uint32_t)a->size,
		.dev_id = dev->id,
		.dir = a->dir,
		.cpu = map_cpu(tlb, a),
		.acct = false,
	};
	tlb_req_prepare(&req, tlb_page_size(tlb));

	if (a->alloc_align_mask > tlb_page_size(tlb) - 1)
		tlb_dev_warn_once(tlb, TLB_ONCE_ALIGN, dev,
				  "Alloc alignment may prevent fulfilling requests with max mapping_size");

	if (!n) {
		tlb_uadd(&tlb->fail_unreachable, 1);
		tlb_dev_warn_ratelimited(tlb, dev,
					 "swiotlb: no bounce pool lies within the device's DMA limit 0x%llx (sz: %zu bytes)",
					 (unsigned long long)dev_limit(dev), a->size);
		return SWIOTLB_EUNREACHABLE;
	}

	struct tlb_pool *pool = (struct tlb_pool *)0, *blamed = (struct tlb_pool *)0;
	uint64_t total = 0, used = 0, largest = 0;
	int tried = 0;
	unsigned tried_mask = 0;
	if (req.nslots <= SWIOTLB_SEGSIZE) {
		int src_rc = map_source(tlb, dev, a, src);
		if (src_rc)
			return src_rc;
		for (int i = 0; i < n; i++) {
			/* try first: whether the pool could hold the request at all
			 * (a refusal "too large" rather than "full") matters only
			 * when it cannot hold it now */
			int arc = cand[i] == searched ? SWIOTLB_EFULL /* the lane searched it */
						       : cand[i]->ops->alloc(cand[i], &req, &rec);
			if (arc == TLB_ECEILING) /* it may raise a high-water mark */
				arc = tlb_alloc_slow(cand[i], &req, &rec);
			if (arc == 0) {
				pool = cand[i];
				break;
			}
			if (!fit_possible(cand[i], &req))
				continue;
			if (!blamed)
				blamed = cand[i];
			tried++;
			tried_mask |= 1u << i;
			total += cand[i]->nslabs;
			if (!tlb->fallback)
				break;
		}
	}
	if (!pool && !tried) {
		tlb_uadd(&tlb->fail_too_large, 1);
		tlb_uadd(&cand[0]->fail_too_large, 1);
		if (req.size == ~(uint64_t)0) /* reserve_bytes saturated */
			tlb_dev_warn_ratelimited(tlb, dev,
						 "swiotlb: request can never fit (sz: 2^64 bytes or more after padding to alloc_align_mask 0x%llx; max mapping size %zu)",
						 (unsigned long long)a->alloc_align_mask, swiotlb_max_mapping_size(dev));
		else if (req.nslots > SWIOTLB_SEGSIZE)
			tlb_dev_warn_ratelimited(tlb, dev,
						 "swiotlb: request can never fit (sz: %llu bytes = %llu slots after padding and alignment, more than a segment's %u; max mapping size %zu)",
						 (unsigned long long)req.size, (unsigned long long)req.nslots, SWIOTLB_SEGSIZE,
						 swiotlb_max_mapping_size(dev));
		else
			tlb_dev_warn_ratelimited(tlb, dev,
						 "swiotlb: request can never fit (sz: %llu bytes = %llu slots): no start slot meeting its alignment leaves that many contiguous slots in a segment, area or boundary window of a reachable pool (max mapping size %zu)",
						 (unsigned long long)req.size, (unsigned long long)req.nslots,
						 swiotlb_max_mapping_size(dev));
		return SWIOTLB_ETOOLARGE;
	}
	if (!pool) {
		tlb_uadd(&tlb->fail_full, 1);
		tlb_uadd(&blamed->fail_full, 1);
		if (!(a->attrs & SWIOTLB_ATTR_NO_WARN)) {
			for (int i = 0; i < n; i++) {
				if (tried_mask & (1u << i)) /* the kernel's "used": of the pools tried */
					used += tlb_pool_used(cand[i]);
				uint64_t l = cand[i]->ops->largest_free(cand[i]);
				if (l > largest)
					largest = l;
			}
			tlb_dev_warn_ratelimited(tlb, dev,
						 "swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots), largest free run %lu (slots)",
						 (size_t)req.size, (unsigned long)total, (unsigned long)used,
						 (unsigned long)largest);
		}
		return SWIOTLB_EFULL;
	}

	return finish_map(tlb, dev, a, src, res, pool, &rec);
}

static int map_ex(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		  struct swiotlb_map_result *res)
{
	if (!tlb || !a || !res || check_device(dev))
		return SWIOTLB_EINVAL;
	if (!a->size || a->size > (1u << 30) || !dir_ok(a->dir) ||
	    (a->attrs & ~(SWIOTLB_ATTR_SKIP_CPU_SYNC | SWIOTLB_ATTR_NO_WARN)) ||
	    !low_mask(a->alloc_align_mask) || a->cpu < -1 || a->orig + a->size - 1 < a->orig ||
	    a->orig == TLB_INVALID_ADDR)
		return SWIOTLB_EINVAL;
	/* masks whose arithmetic has no answer: an alignment of 2^64 (the +1
	 * of the reservation's round-up wraps to 0), a window inside a slot */
	if (a->alloc_align_mask == ~(uint64_t)0 || check_masks(dev)) {
		tlb_dev_warn_ratelimited(tlb, dev,
					 "swiotlb: map of 0x%016llx+%zu rejected: %s", (unsigned long long)a->orig,
					 a->size,
					 a->alloc_align_mask == ~(uint64_t)0
						 ? "alloc_align_mask 0xffffffffffffffff asks for an alignment of 2^64"
						 : "seg_boundary_mask is smaller than a 2048-byte slot");
		return SWIOTLB_EINVAL;
	}
	/* an original overlapping a pool would be bounced onto itself or onto
	 * other mappings' slots, and its copy-back would overwrite them */
	uint64_t last = a->orig + a->size - 1;
	int np = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < np; i++) {
		const struct tlb_pool *p = tlb->pools[i];
		if (a->orig < p->end && last >= p->start) {
			tlb_dev_warn_ratelimited(tlb, dev,
						 "swiotlb: map of 0x%016llx+%zu rejected: the original overlaps pool %s [mem 0x%016llx-0x%016llx]",
						 (unsigned long long)a->orig, a->size, p->name, (unsigned long long)p->start,
						 (unsigned long long)p->end - 1);
			return SWIOTLB_EINVAL;
		}
	}

	res->dma = 0;
	res->bounced = false;
	res->pool = -1;
	res->slots = 0;

	bool force = tlb->force || (dev->flags & SWIOTLB_DEV_FORCE_BOUNCE);
	if (!force) {
		uint64_t dma = tlb_dma(tlb, a->orig, false);
		bool contiguous = !tlb->plat.dma_contiguous || tlb->plat.dma_contiguous(tlb->plat.ctx, a->orig, a->size);
		if (dma_capable(dev, dma, a->size) && contiguous) {
			res->dma = dma;
			return 0;
		}
	}
	if (atomic_load_explicit(&tlb->npools, memory_order_acquire) == 0) {
		tlb_uadd(&tlb->fail_unreachable, 1);
		if (force) {
			/* swiotlb was asked to bounce but has no memory (§2.8) */
			tlb_dev_warn_ratelimited(tlb, dev,
						 "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer");
			return SWIOTLB_ENOPOOL;
		}
		/* dma-direct's overflow warning, once, as dev_WARN_ONCE prints it */
		tlb_dev_warn_once(tlb, TLB_ONCE_UNREACHABLE, dev, "DMA addr 0x%016llx+%zu overflow (mask %llx, bus limit %llx).",
				  (unsigned long long)tlb_dma(tlb, a->orig, false), a->size,
				  (unsigned long long)dev->dma_mask, (unsigned long long)dev->bus_dma_limit);
		return SWIOTLB_EUNREACHABLE;
	}
	struct map_src src = { (const uint8_t *)0, false };
	if (tlb->event_fn)
		trace_bounce(tlb, dev, a->orig, a->size, tlb->force || (dev->flags & SWIOTLB_DEV_FORCE_BOUNCE));
	if (tlb->plat.share && !(atomic_load_explicit(&tlb->warned, memory_order_relaxed) & TLB_ONCE_ENCRYPT))
		tlb_dev_warn_once(tlb, TLB_ONCE_ENCRYPT, (const struct swiotlb_device *)0,
				  "Memory encryption is active and system is using DMA bounce buffers");
	const struct tlb_pool *searched = (const struct tlb_pool *)0;
	if (express_shape(dev, a)) {
		int rc = map_express(tlb, dev, a, &src, res, &searched);
		if (rc != TLB_EXPRESS_PASS && rc != SWIOTLB_EFULL)
			return rc;
	}
	return bounce_map(tlb, dev, a, &src, res, searched);
}

/* `site`: the public entry point's caller, for the debug mode's reports. */
static int map_at(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		  struct swiotlb_map_result *res, const void *site)
{
	int rc = map_ex(tlb, dev, a, res);
	if (!rc)
		tlb_dbg_mapped(tlb, dev, a, res, site);
	return rc;
}

int swiotlb_map_ex(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		   struct swiotlb_map_result *res)
{
	return map_at(tlb, dev, a, res, TLB_SITE());
}

static int map_one(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t orig, size_t size,
		   enum swiotlb_dir dir, uint32_t attrs, uint64_t *dma, const void *site)
{
	struct swiotlb_map_args a = { .orig = orig, .size = size, .dir = dir, .attrs = attrs, .cpu = -1 };
	struct swiotlb_map_result r;
	if (!dma)
		return SWIOTLB_EINVAL;
	int rc = map_at(tlb, dev, &a, &r, site);
	if (!rc)
		*dma = r.dma;
	return rc;
}

int swiotlb_map(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t orig, size_t size,
		enum swiotlb_dir dir, uint32_t attrs, uint64_t *dma)
{
	return map_one(tlb, dev, orig, size, dir, attrs, dma, TLB_SITE());
}

static inline uint64_t mapping_phys(const struct tlb_pool *pool, const struct tlb_record *rec)
{
	return pool->start + (tlb_record_head(rec) << SWIOTLB_SLOT_SHIFT) + rec->offset;
}

/*
 * Unmaps and syncs: claim, copy, let go.
 *
 * A call that copies between bounce slots and an original does so outside
 * the area lock, so it must know the slots stay this mapping's until it is
 * done.  Under the lock it first checks its claim against the record and
 * the mapping's state (pool->claim) and takes a use; it copies; then it
 * drops the use under the lock again.  An unmap marks the mapping dying, so
 * a second unmap or a later sync of it is refused before it copies a byte;
 * the slots are freed by whichever call drops the last use of a dying
 * mapping.  So no call ever copies from or into slots that another mapping
 * may own, whatever the interleaving, and a refused call has changed
 * nothing.  A call that copies nothing checks and acts in one locked step.
 */
struct claim {
	const struct swiotlb_device *dev;
	uint64_t phys;     /* the bounce byte the call names */
	size_t size;
	uint32_t dir;
	const char *what;  /* "unmap", "sync_for_cpu" or "sync_for_device" */
	bool unmap;        /* else a sync */
	bool hold;         /* the call works on the mapping outside the lock: take a use */
	const void *site;  /* the caller, for the debug mode */
	const char *why;   /* set when refused for the mapping's shape or state */
	bool detail;       /* the refusal names the mapping's start and size */
};

static bool sync_dir_ok(uint32_t mapped, uint32_t asked)
{
	/* a bidirectional mapping may be synced either way (as dma-debug
	 * allows); any other only in its own direction */
	return mapped == SWIOTLB_BIDIRECTIONAL || mapped == asked;
}

/* visit function: check a claim and take the mapping or a use of it. */
static int claim_mapping(struct tlb_pool *pool, const struct tlb_record *rec, void *arg)
{
	struct claim *c = arg;
	uint16_t *st = &pool->claim[rec->first_slot];
	TLB_ASSERT_LOCKED(&pool->areas[tlb_area_index(pool, rec->first_slot)]);
	uint64_t start = mapping_phys(pool, rec);
	c->detail = false;
	c->why = (const char *)0;
	if (rec->dev_id != c->dev->id) {
		c->why = "the mapping belongs to another device";
	} else if (*st & TLB_CLAIM_DYING) {
		c->why = "the mapping is already being unmapped";
	} else if (c->unmap) {
		c->detail = true;
		if (c->phys != start)
			c->why = "not the start of a mapping";
		else if (c->size != rec->mapping_size)
			c->why = "size differs from the mapping's";
		else if (c->dir != rec->dir)
			c->why = "direction differs from the mapping's";
		else
			c->detail = false;
	} else if (!sync_dir_ok(rec->dir, c->dir)) {
		c->detail = true;
		c->why = "direction differs from the mapping's";
	} else if (c->phys < start || c->size > rec->mapping_size || c->phys - start > rec->mapping_size - c->size) {
		return SWIOTLB_ERANGE;
	}
	if (!c->why && c->hold && (*st & TLB_CLAIM_USERS) == TLB_CLAIM_USERS)
		c->why = "too many calls are using the mapping at once";
	if (c->why)
		return SWIOTLB_ENOTMAPPED;
	if (c->hold)
		*st = (uint16_t)((*st & ~TLB_CLAIM_USERS) | ((*st & TLB_CLAIM_USERS) + 1));
	if (!c->unmap)
		return TLB_VISIT_KEEP;
	*st |= TLB_CLAIM_DYING;
	/* free now unless a call (this one, or a sync) is still copying: the
	 * last of them frees it */
	if (*st & TLB_CLAIM_USERS)
		return TLB_VISIT_KEEP;
	tlb_dbg_release(pool->tlb, c->dev, pool, rec, c->site);
	return 0;
}

struct drop {
	const struct claim *c;
	bool undo_dying; /* the unmap that set "dying" failed to copy: the mapping stays live */
};

/* visit function: drop the use claim_mapping took; free the mapping when
 * it was the last use of a dying one. */
static int drop_use(struct tlb_pool *pool, const struct tlb_record *rec, void *arg)
{
	const struct drop *d = arg;
	uint16_t *st = &pool->claim[rec->first_slot];
	TLB_ASSERT_LOCKED(&pool->areas[tlb_area_index(pool, rec->first_slot)]);
	if (!(*st & TLB_CLAIM_USERS))
		return SWIOTLB_ENOTMAPPED; /* unreachable: a used mapping is never freed */
	uint16_t users = (uint16_t)((*st & TLB_CLAIM_USERS) - 1);
	uint16_t dying = d->undo_dying ? 0 : (uint16_t)(*st & TLB_CLAIM_DYING);
	*st = (uint16_t)(dying | users);
	if (!dying || users)
		return TLB_VISIT_KEEP;
	tlb_dbg_release(pool->tlb, d->c->dev, pool, rec, d->c->site);
	return 0;
}

static void let_go(struct tlb_pool *pool, uint64_t slot, const struct claim *c, bool undo_dying)
{
	struct tlb_record rec;
	struct drop d = { c, undo_dying };
	rec.flags = 0;
	pool->ops->visit(pool, slot, drop_use, &d, &rec);
}

/* Count and report a refused unmap or sync (rc from visit). */
static int refuse(struct swiotlb *tlb, struct tlb_pool *pool, const struct claim *c, uint64_t dma,
		  const struct tlb_record *rec, int rc)
{
	const char *what = c->what;
	if (rc == SWIOTLB_ERANGE) {
		tlb_uadd(&pool->fail_range, 1);
		tlb_uadd(&tlb->fail_range, 1);
		tlb_dev_warn_ratelimited(tlb, c->dev,
					 "swiotlb: sync of 0x%016llx+%zu rejected: outside the mapping 0x%016llx+%u",
					 (unsigned long long)dma, c->size,
					 (unsigned long long)tlb_dma(tlb, mapping_phys(pool, rec), true), rec->mapping_size);
		return rc;
	}
	tlb_uadd(&pool->fail_not_mapped, 1);
	tlb_uadd(&tlb->fail_not_mapped, 1);
	tlb_dbg_refused(tlb, c->dev, dma, c->size, c->dir, c->unmap, c->site);
	if (c->why && c->detail)
		tlb_dev_warn_ratelimited(tlb, c->dev,
					 "swiotlb: %s of 0x%016llx+%zu rejected: %s (mapping 0x%016llx+%u)", what,
					 (unsigned long long)dma, c->size, c->why,
					 (unsigned long long)tlb_dma(tlb, mapping_phys(pool, rec), true), rec->mapping_size);
	else
		tlb_dev_warn_ratelimited(tlb, c->dev, "swiotlb: %s of 0x%016llx rejected: %s", what,
					 (unsigned long long)dma,
					 c->why ? c->why : "no live mapping there (free or padding slot)");
	return rc;
}

static int unmap_at(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
		    enum swiotlb_dir dir, uint32_t attrs, const void *site)
{
	struct tlb_record rec;
	if (!tlb || check_device(dev) || !size || !dir_ok(dir) ||
	    (attrs & ~(SWIOTLB_ATTR_SKIP_CPU_SYNC | SWIOTLB_ATTR_NO_WARN)))
		return SWIOTLB_EINVAL;
	uint64_t phys = tlb_phys(tlb, dma);
	struct tlb_pool *pool = tlb_pool_by_phys(tlb, phys);
	if (!pool)
		return 0; /* a direct mapping: nothing to do */
	uint64_t slot = (phys - pool->start) >> SWIOTLB_SLOT_SHIFT;
	bool copy_back = !(attrs & SWIOTLB_ATTR_SKIP_CPU_SYNC) &&
			 (dir == SWIOTLB_FROM_DEVICE || dir == SWIOTLB_BIDIRECTIONAL);

	/* the lane frees inside the policy, where the debug mode cannot poison */
	if (!copy_back && !tlb_dbg_on(tlb) && pool->ops->express_unmap &&
	    !((phys - pool->start) & (SWIOTLB_SLOT_SIZE - 1)) && size <= UINT32_MAX) {
		struct tlb_express x = { .size = (uint32_t)size, .dir = dir, .dev_id = dev->id };
		if (pool->ops->express_unmap(pool, slot, &x) == 0)
			return 0;
	}
	struct claim c = {
		.dev = dev, .phys = phys, .size = size, .dir = dir, .site = site, .what = "unmap", .unmap = true,
		.hold = copy_back || tlb_dbg_on(tlb), /* the debug mode checks the slots before they go */
	};
	rec.flags = 0;
	int rc = pool->ops->visit(pool, slot, claim_mapping, &c, &rec);
	if (rc)
		return refuse(tlb, pool, &c, dma, &rec, rc);
	if (!c.hold)
		return 0;
	tlb_dbg_unmap(tlb, dev, pool, &rec, site);
	if (copy_back) {
		rc = bounce_copy(tlb, dev, pool, phys, rec.orig, rec.mapping_size, false);
		if (!rc)
			count_copy(pool, tlb_record_head(&rec), rec.mapping_size, false);
	}
	/* a copy that failed leaves the mapping live (docs/reliability.md) */
	let_go(pool, slot, &c, rc != 0);
	return rc;
}

int swiotlb_unmap(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
		  enum swiotlb_dir dir, uint32_t attrs)
{
	return unmap_at(tlb, dev, dma, size, dir, attrs, TLB_SITE());
}

static int sync_one(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
		    uint32_t dir, bool for_cpu, const void *site)
{
	struct tlb_record rec;
	if (!tlb || check_device(dev) || !size || !dir_ok(dir))
		return SWIOTLB_EINVAL;
	uint64_t phys = tlb_phys(tlb, dma);
	struct tlb_pool *pool = tlb_pool_by_phys(tlb, phys);
	if (!pool)
		return 0; /* a direct mapping: nothing to do */
	uint64_t slot = (phys - pool->start) >> SWIOTLB_SLOT_SHIFT;
	/* for the CPU: bounce -> original after the device wrote; for the
	 * device: original -> bounce before it reads (nothing for FROM_DEVICE,
	 * the ath9k rule) */
	bool copy = for_cpu ? dir != SWIOTLB_TO_DEVICE : dir != SWIOTLB_FROM_DEVICE;
	struct claim c = {
		.dev = dev, .phys = phys, .size = size, .dir = dir, .site = site,
		.what = for_cpu ? "sync_for_cpu" : "sync_for_device", .unmap = false, .hold = copy,
	};
	rec.flags = 0;
	int rc = pool->ops->visit(pool, slot, claim_mapping, &c, &rec);
	if (rc)
		return refuse(tlb, pool, &c, dma, &rec, rc);
	tlb_dbg_sync(tlb, dev, pool, &rec, phys, size, dir, for_cpu);
	if (!copy)
		return 0;
	/* The original byte for bounce byte `phys` is the same distance into the
	 * mapping: the kernel's per-slot adjustment (docs/kernel-semantics.md) made
	 * explicit. */
	uint64_t orig = rec.orig + (phys - mapping_phys(pool, &rec));
	rc = bounce_copy(tlb, dev, pool, phys, orig, size, !for_cpu);
	if (!rc)
		count_copy(pool, slot, size, !for_cpu);
	let_go(pool, slot, &c, false);
	return rc;
}

int swiotlb_sync_for_cpu(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
			 enum swiotlb_dir dir)
{
	return sync_one(tlb, dev, dma, size, dir, true, TLB_SITE());
}

int swiotlb_sync_for_device(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
			    enum swiotlb_dir dir)
{
	return sync_one(tlb, dev, dma, size, dir, false, TLB_SITE());
}

int swiotlb_map_sg(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg, int nents,
		   enum swiotlb_dir dir, uint32_t attrs)
{
	const void *site = TLB_SITE();
	if (!sg || nents <= 0)
		return SWIOTLB_EINVAL;
	for (int i = 0; i < nents; i++) {
		uint64_t dma;
		int rc = map_one(tlb, dev, sg[i].phys, sg[i].length, dir, attrs, &dma, site);
		if (rc) {
			/* roll back what was mapped, without copying back */
			for (int j = 0; j < i; j++)
				unmap_at(tlb, dev, sg[j].dma, sg[j].length, dir, attrs | SWIOTLB_ATTR_SKIP_CPU_SYNC, site);
			for (int j = 0; j < i; j++)
				sg[j].dma_length = 0;
			return rc;
		}
		sg[i].dma = dma;
		sg[i].dma_length = sg[i].length;
	}
	return nents;
}

int swiotlb_unmap_sg(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg, int nents,
		     enum swiotlb_dir dir, uint32_t attrs)
{
	int first = 0;
	const void *site = TLB_SITE();
	if (!sg || nents <= 0)
		return SWIOTLB_EINVAL;
	for (int i = 0; i < nents; i++) {
		int rc = unmap_at(tlb, dev, sg[i].dma, sg[i].length, dir, attrs, site);
		if (rc && !first)
			first = rc;
	}
	return first;
}

static int sync_sg(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg, int nents,
		   enum swiotlb_dir dir, bool for_cpu, const void *site)
{
	int first = 0;
	if (!sg || nents <= 0)
		return SWIOTLB_EINVAL;
	for (int i = 0; i < nents; i++) {
		int rc = sync_one(tlb, dev, sg[i].dma, sg[i].length, dir, for_cpu, site);
		if (rc && !first)
			first = rc;
	}
	return first;
}

int swiotlb_sync_sg_for_cpu(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg,
			    int nents, enum swiotlb_dir dir)
{
	return sync_sg(tlb, dev, sg, nents, dir, true, TLB_SITE());
}

int swiotlb_sync_sg_for_device(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg,
			       int nents, enum swiotlb_dir dir)
{
	return sync_sg(tlb, dev, sg, nents, dir, false, TLB_SITE());
}

bool swiotlb_is_bounce(const struct swiotlb *tlb, uint64_t dma)
{
	return tlb && tlb_pool_by_phys(tlb, tlb_phys(tlb, dma)) != (struct tlb_pool *)0;
}
