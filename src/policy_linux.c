/* SPDX-License-Identifier: MIT */
/*
 * The `linux` placement policy: a faithful model of the kernel's slot search
 * (docs/kernel-semantics.md §2.2-§2.7), so that one request sequence yields the kernel's
 * bounce addresses.
 *
 * Data structure
 * --------------
 * One struct linux_slot per slot (24 bytes, like the kernel's io_tlb_slot).
 * `list` holds, for a free slot, the number of free slots from it to the end
 * of its run region; 0 marks an allocated slot.  A run region is the slot's
 * 128-slot segment, further cut at its area's end and the pool's end.  (The
 * kernel cuts only at segment and pool ends; for the pools the kernel itself
 * creates -- areas a multiple of 128 slots -- the two are identical, and the
 * area cut keeps each area's state under its own lock for small explicit
 * pools.)
 *
 * Each area keeps a next-fit cursor (`index`, area-relative) and a count of
 * used slots.  A search starts at the cursor, steps slot by slot to the first
 * slot whose device address meets the alignment and min-align rules, then by
 * `stride`, wrapping to the area start, and gives up after area_nslabs slots.
 *
 * A mapping of n slots starting at `first` has pad_slots whole padding slots
 * (orig_addr invalid), then the head slot and its followers whose orig_addr
 * advances by 2048 per slot and whose head_delta counts back to the head.
 * Validation data the kernel does not keep (mapping size, in-slot offset,
 * direction, head flag) lives in the head slot, in bytes the kernel spends
 * on padding; the owner's device id is the pool layer's (pool->owner).
 *
 * One deliberate difference: a slot's alignment and min-align bits are
 * judged on its own device address (tlb_req_slot_addr), where the kernel
 * uses the pool's address masked by the boundary mask.  The two agree
 * unless a min_align_mask reaches above the boundary window, where the
 * kernel's choice would not keep the original's low bits.
 *
 * Invariants (linux_check)
 *   L1 free slot i: list[i] = 1 + (list[i+1] if i+1 is in the same run region
 *      and free, else 0)
 *   L2 every allocated slot belongs to exactly one mapping, whose slots are
 *      contiguous in one run region, and area.used counts them
 *   L3 alloc_size[first + k] = size - offset - k*2048 (the kernel's bookkeeping)
 */
#include "internal.h"

struct linux_slot {
	uint64_t orig_addr;   /* original byte matching this slot's mapped start; invalid: free/pad */
	uint32_t alloc_size;  /* bytes from here to the end of the padded allocation */
	uint32_t info;        /* head: mapping_size | offset << 19 | dir << 30 */
	uint16_t list;        /* free run length from here; 0 = allocated */
	uint16_t pad_slots;   /* head: padding slots before it */
	uint16_t spare;
	uint8_t head_delta;   /* mapped slots: distance back to the head */
	uint8_t flags;        /* LS_HEAD */
};
_Static_assert(sizeof(struct linux_slot) == 24, "the kernel's slot record is 24 bytes");

#define LS_HEAD 1u
#define INFO_SIZE_BITS 19
#define INFO_SIZE_MASK ((1u << INFO_SIZE_BITS) - 1)

static inline struct linux_slot *slots_of(const struct tlb_pool *pool)
{
	return (struct linux_slot *)pool->meta;
}

/* End (exclusive) of the run region holding slot i. */
static uint64_t run_end(const struct tlb_pool *pool, uint64_t i)
{
	uint64_t seg_end = (i | (SWIOTLB_SEGSIZE - 1)) + 1;
	uint64_t area_end = (i / pool->area_nslabs + 1) * pool->area_nslabs;
	uint64_t end = seg_end < area_end ? seg_end : area_end;
	return end < pool->nslabs ? end : pool->nslabs;
}

/* First slot of the run region holding slot i. */
static uint64_t run_start(const struct tlb_pool *pool, uint64_t i)
{
	uint64_t seg_start = i & ~(uint64_t)(SWIOTLB_SEGSIZE - 1);
	uint64_t area_start = i / pool->area_nslabs * pool->area_nslabs;
	return seg_start > area_start ? seg_start : area_start;
}

static size_t linux_meta_bytes(uint64_t nslabs, uint32_t nareas)
{
	(void)nareas;
	return (size_t)nslabs * sizeof(struct linux_slot);
}

static void linux_init(struct tlb_pool *pool)
{
	struct linux_slot *s = slots_of(pool);
	for (uint64_t i = 0; i < pool->nslabs; i++) {
		s[i].list = (uint16_t)(run_end(pool, i) - i);
		s[i].orig_addr = TLB_INVALID_ADDR;
	}
	for (uint32_t a = 0; a < pool->nareas; a++)
		pool->areas[a].index = 0;
}

static uint64_t wrap_index(const struct tlb_pool *pool, uint64_t i)
{
	return i >= pool->area_nslabs ? 0 : i;
}

static void mark_allocated(struct tlb_pool *pool, const struct tlb_alloc_req *req, uint64_t first,
			   struct tlb_record *rec)
{
	struct linux_slot *s = slots_of(pool);
	uint64_t n = req->nslots;
	uint64_t sub = req->offset & (SWIOTLB_SLOT_SIZE - 1);
	for (uint64_t k = 0; k < n; k++) {
		s[first + k].list = 0;
		s[first + k].alloc_size = (uint32_t)(req->size - (sub + (k << SWIOTLB_SLOT_SHIFT)));
	}
	/* the free run that ended at `first` now ends just before it */
	uint16_t count = 0;
	uint64_t lo = run_start(pool, first);
	for (uint64_t i = first; i > lo && s[i - 1].list; i--)
		s[i - 1].list = ++count;

	uint32_t pad = (uint32_t)(req->offset >> SWIOTLB_SLOT_SHIFT);
	uint64_t head = first + pad;
	for (uint64_t k = 0; head + k < first + n; k++) {
		s[head + k].orig_addr = req->orig + (k << SWIOTLB_SLOT_SHIFT);
		s[head + k].head_delta = (uint8_t)k;
	}
	s[head].pad_slots = (uint16_t)pad;
	s[head].info = req->mapping_size | (uint32_t)sub << INFO_SIZE_BITS | req->dir << 30;
	s[head].flags = LS_HEAD;
	tlb_mapping_begin(pool, first, req->dev_id);

	rec->orig = req->orig;
	rec->first_slot = first;
	rec->nslots = (uint32_t)n;
	rec->pad_slots = pad;
	rec->offset = (uint32_t)sub;
	rec->mapping_size = req->mapping_size;
	rec->dev_id = req->dev_id;
	rec->dir = req->dir;
	rec->flags = 0;
}

/* §2.2: search one area; on success the slots are marked under the lock. */
static int search_area(struct tlb_pool *pool, uint32_t a, const struct tlb_alloc_req *req,
		       struct tlb_record *rec)
{
	struct tlb_area *area = &pool->areas[a];
	struct linux_slot *s = slots_of(pool);
	uint64_t tbl = pool->dma_start & req->boundary_mask;
	uint64_t nslots = req->nslots;
	uint64_t base = (uint64_t)a * pool->area_nslabs;
	int rc = SWIOTLB_EFULL;

	tlb_area_lock(pool, area);
	if (nslots > pool->area_nslabs - tlb_area_used(area))
		goto out; /* quick reject */
	uint64_t i = area->index;
	for (uint64_t checked = 0; checked < pool->area_nslabs;) {
		uint64_t slot = base + i;
		if (!tlb_req_slot_ok(req, tlb_req_slot_addr(pool, slot))) {
			i = wrap_index(pool, i + 1);
			checked++;
			continue;
		}
		if (!tlb_req_crosses_boundary(req, tbl, slot) && s[slot].list >= nslots) {
			if (!tlb_area_may_charge(pool, area, req->acct, nslots)) {
				rc = TLB_ECEILING; /* found, but it may raise a high-water mark */
				goto out;
			}
			mark_allocated(pool, req, slot, rec);
			area->index = wrap_index(pool, i + nslots);
			tlb_area_charge(area, nslots, req->mapping_size);
			rc = 0;
			goto out;
		}
		i = wrap_index(pool, i + req->stride);
		checked += req->stride;
	}
out:
	tlb_area_unlock(pool, area);
	return rc;
}

/* §2.4 (non-dynamic): the CPU's area first, then the others in order. */
static int linux_alloc(struct tlb_pool *pool, const struct tlb_alloc_req *req, struct tlb_record *rec)
{
	uint32_t start = req->cpu & (pool->nareas - 1);
	uint32_t a = start;
	do {
		int rc = search_area(pool, a, req, rec);
		if (rc != SWIOTLB_EFULL)
			return rc;
		if (++a >= pool->nareas)
			a = 0;
	} while (a != start);
	return SWIOTLB_EFULL;
}

/* Reconstruct the mapping whose head is `head`; caller holds the area lock. */
static int record_at_head(const struct tlb_pool *pool, uint64_t head, struct tlb_record *rec)
{
	TLB_ASSERT_LOCKED(&pool->areas[tlb_area_index(pool, head)]);
	const struct linux_slot *s = slots_of(pool);
	const struct linux_slot *h = &s[head];
	if (!(h->flags & LS_HEAD) || h->orig_addr == TLB_INVALID_ADDR || h->pad_slots > head)
		return SWIOTLB_ENOTMAPPED;
	uint64_t first = head - h->pad_slots;
	uint32_t sub = (h->info >> INFO_SIZE_BITS) & (SWIOTLB_SLOT_SIZE - 1);
	rec->orig = h->orig_addr;
	rec->first_slot = first;
	rec->nslots = (uint32_t)tlb_nr_slots((uint64_t)s[first].alloc_size + sub);
	rec->pad_slots = h->pad_slots;
	rec->offset = sub;
	rec->mapping_size = h->info & INFO_SIZE_MASK;
	rec->dev_id = pool->owner[first];
	rec->dir = h->info >> 30;
	rec->flags = 0;
	return 0;
}

/* §2.7: free [first, first+n) and merge the free-run counts; caller holds
 * the area lock and has checked the mapping. */
static void free_slots(struct tlb_pool *pool, struct tlb_area *area, const struct tlb_record *rec)
{
	TLB_ASSERT_LOCKED(area);
	struct linux_slot *s = slots_of(pool);
	uint64_t first = rec->first_slot, n = rec->nslots;
	uint16_t count = 0;
	uint64_t end = run_end(pool, first);
	if (first + n < end)
		count = s[first + n].list;
	for (uint64_t k = first + n; k-- > first;) {
		s[k].list = ++count;
		s[k].orig_addr = TLB_INVALID_ADDR;
		s[k].alloc_size = 0;
		s[k].pad_slots = 0;
		s[k].info = 0;
		s[k].head_delta = 0;
		s[k].flags = 0;
	}
	uint64_t lo = run_start(pool, first);
	for (uint64_t i = first; i > lo && s[i - 1].list; i--)
		s[i - 1].list = ++count;
	tlb_area_uncharge(pool, area, rec);
}

static int lookup_locked(const struct tlb_pool *pool, uint64_t slot, struct tlb_record *rec)
{
	const struct linux_slot *s = slots_of(pool);
	if (s[slot].list == 0 && s[slot].orig_addr != TLB_INVALID_ADDR && s[slot].head_delta <= slot)
		return record_at_head(pool, slot - s[slot].head_delta, rec);
	return SWIOTLB_ENOTMAPPED;
}

static int linux_visit(struct tlb_pool *pool, uint64_t slot, tlb_visit_fn fn, void *arg, struct tlb_record *rec)
{
	struct tlb_area *area = &pool->areas[tlb_area_index(pool, slot)];
	uint32_t flags = rec->flags;
	tlb_area_lock(pool, area);
	int rc = lookup_locked(pool, slot, rec);
	if (!rc) {
		rec->flags = flags;
		rc = fn(pool, rec, arg);
		if (!rc)
			free_slots(pool, area, rec);
		else if (rc == TLB_VISIT_KEEP)
			rc = 0;
	}
	tlb_area_unlock(pool, area);
	return rc;
}

static uint64_t linux_largest_free(struct tlb_pool *pool)
{
	const struct linux_slot *s = slots_of(pool);
	uint64_t best = 0;
	for (uint32_t a = 0; a < pool->nareas; a++) {
		struct tlb_area *area = &pool->areas[a];
		tlb_area_lock(pool, area);
		for (uint64_t i = a * pool->area_nslabs; i < (a + 1) * pool->area_nslabs; i++)
			if (s[i].list > best)
				best = s[i].list;
		tlb_area_unlock(pool, area);
	}
	return best;
}

#define FAIL(...)                                           \
	do {                                                \
		tlb_snprintf(why, len, __VA_ARGS__);        \
		rc = SWIOTLB_EINVAL;                        \
		goto unlock;                                \
	} while (0)

static int linux_check(struct tlb_pool *pool, char *why, size_t len)
{
	const struct linux_slot *s = slots_of(pool);
	int rc = 0;
	for (uint32_t a = 0; a < pool->nareas && !rc; a++) {
		struct tlb_area *area = &pool->areas[a];
		uint64_t lo = a * pool->area_nslabs, hi = lo + pool->area_nslabs, used = 0;
		tlb_area_lock(pool, area);
		if (area->index >= pool->area_nslabs)
			FAIL("pool %s area %u: cursor %llu outside the area", pool->name, a,
			     (unsigned long long)area->index);
		for (uint64_t i = lo; i < hi;) {
			if (s[i].list) {
				uint64_t next = i + 1 < run_end(pool, i) ? s[i + 1].list : 0;
				if (s[i].list != next + 1)
					FAIL("pool %s slot %llu: free count %u, expected %llu", pool->name,
					     (unsigned long long)i, s[i].list, (unsigned long long)next + 1);
				if (s[i].orig_addr != TLB_INVALID_ADDR || s[i].flags)
					FAIL("pool %s slot %llu: free slot carries a mapping", pool->name,
					     (unsigned long long)i);
				i++;
				continue;
			}
			/* an allocation starts here: skip padding to its head */
			uint64_t head = i;
			while (head < hi && s[head].list == 0 && s[head].orig_addr == TLB_INVALID_ADDR)
				head++;
			struct tlb_record r;
			if (head >= hi || record_at_head(pool, head, &r) || r.first_slot != i)
				FAIL("pool %s slot %llu: allocated slot without a valid mapping head", pool->name,
				     (unsigned long long)i);
			if (i + r.nslots > run_end(pool, i))
				FAIL("pool %s slot %llu: mapping of %u slots crosses a segment or area", pool->name,
				     (unsigned long long)i, r.nslots);
			for (uint64_t k = 0; k < r.nslots; k++) {
				const struct linux_slot *x = &s[i + k];
				uint64_t sub = r.offset;
				if (x->list != 0)
					FAIL("pool %s slot %llu: free inside a mapping", pool->name,
					     (unsigned long long)(i + k));
				if (k >= r.pad_slots && (x->orig_addr != r.orig + ((k - r.pad_slots) << SWIOTLB_SLOT_SHIFT) ||
							 x->head_delta != k - r.pad_slots))
					FAIL("pool %s slot %llu: original address chain broken", pool->name,
					     (unsigned long long)(i + k));
				if (k > 0 && x->alloc_size + SWIOTLB_SLOT_SIZE != s[i + k - 1].alloc_size)
					FAIL("pool %s slot %llu: alloc_size %u does not follow %u", pool->name,
					     (unsigned long long)(i + k), x->alloc_size, s[i + k - 1].alloc_size);
				(void)sub;
			}
			if (r.mapping_size + r.offset + ((uint64_t)r.pad_slots << SWIOTLB_SLOT_SHIFT) >
			    (uint64_t)r.nslots << SWIOTLB_SLOT_SHIFT)
				FAIL("pool %s slot %llu: mapping of %u bytes overflows its %u slots", pool->name,
				     (unsigned long long)i, r.mapping_size, r.nslots);
			used += r.nslots;
			i += r.nslots;
		}
		if (used != tlb_area_used(area))
			FAIL("pool %s area %u: %llu slots allocated but area.used is %llu", pool->name, a,
			     (unsigned long long)used, (unsigned long long)tlb_area_used(area));
unlock:
		tlb_area_unlock(pool, area);
	}
	return rc;
}

const struct tlb_policy_ops tlb_policy_linux = {
	.name = "linux",
	.meta_bytes = linux_meta_bytes,
	.init = linux_init,
	.alloc = linux_alloc,
	.visit = linux_visit,
	.largest_free = linux_largest_free,
	.check = linux_check,
};
