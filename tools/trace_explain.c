/* SPDX-License-Identifier: MIT */
/*
 * Why a mapping failed, from what its message says (docs/trace.md,
 * "Explaining failures").
 *
 * The kernel prints the padded request size and, since v5.2, the pool's
 * total and used slots; libswiotlb adds the largest free run.  That is
 * enough to tell the three real causes apart:
 *
 *   too_large   more slots than one 128-slot segment: no pool size helps;
 *   exhausted   fewer free slots than the request needs;
 *   fragmented  enough free slots, but no contiguous aligned run;
 *
 * and `unknown` when the message carries no counts.  `no_pool` is the
 * kernel saying it has no bounce buffer at all.
 */
#include "trace.h"

#include "swiotlb/swiotlb.h"

static const char *const cause_names[CAUSE_COUNT] = {
	[CAUSE_TOO_LARGE] = "too_large",
	[CAUSE_EXHAUSTED] = "exhausted",
	[CAUSE_FRAGMENTED] = "fragmented",
	[CAUSE_UNKNOWN] = "unknown",
	[CAUSE_NO_POOL] = "no_pool",
};

const char *trace_cause_name(int cause)
{
	return cause >= 0 && cause < CAUSE_COUNT ? cause_names[cause] : "unknown";
}

void trace_explain(int kind, bool has_size, uint64_t size, bool has_total, uint64_t total, bool has_used,
		   uint64_t used, bool has_largest, uint64_t largest, struct trace_explanation *out)
{
	(void)has_largest; /* reported, but the counts already decide */
	(void)largest;
	out->cause = CAUSE_UNKNOWN;
	out->has_slots = has_size;
	out->slots_needed = has_size ? (size + SWIOTLB_SLOT_SIZE - 1) / SWIOTLB_SLOT_SIZE : 0;
	if (kind == TEV_NO_BUFFER) {
		out->cause = CAUSE_NO_POOL;
		return;
	}
	if (!has_size)
		return;
	/* the size alone settles it: no run can span two segments */
	if (out->slots_needed > SWIOTLB_SEGSIZE || kind == TEV_NEVER_FIT) {
		out->cause = CAUSE_TOO_LARGE;
		return;
	}
	if (!has_total || !has_used)
		return;
	uint64_t free_slots = used < total ? total - used : 0;
	if (free_slots < out->slots_needed)
		out->cause = CAUSE_EXHAUSTED;
	else
		/* libswiotlb's largest free run, when given, is shorter than the
		 * request, or long enough but with no start meeting the alignment */
		out->cause = CAUSE_FRAGMENTED;
}

const char *trace_advice(int cause)
{
	switch (cause) {
	case CAUSE_TOO_LARGE:
		return "larger than one 128-slot (256 KiB) segment, so no swiotlb= size can ever serve it: the driver "
		       "must split its buffers to dma_max_mapping_size(), or the device must stop needing bounce "
		       "buffers (IOMMU, a wider DMA mask).";
	case CAUSE_EXHAUSTED:
		return "the pool had fewer free slots than the request needed: enlarge it (swiotlb trace advise "
		       "computes by how much), and if usage only ever grows, look for mappings that are never "
		       "unmapped.";
	case CAUSE_FRAGMENTED:
		return "enough slots were free, but no contiguous aligned run of them: a larger pool makes such runs "
		       "likelier; long-lived small mappings scattered over the pool cause this.";
	case CAUSE_NO_POOL:
		return "the kernel has no bounce buffer at all: it could not allocate one at boot (look for 'Failed "
		       "to allocate'), so lower swiotlb= until it fits in low memory.";
	default:
		return "the message carries no pool counts (kernels before 5.2), so exhaustion cannot be told from "
		       "fragmentation: enable the dma: trace events, or read io_tlb_used in debugfs when it happens.";
	}
}
