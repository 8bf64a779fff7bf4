/* SPDX-License-Identifier: MIT */
/* The DMA API calls of a traced run, in the library's order (dmatrace.h). */
#include <string.h>

#include "dmatrace.h"

int sim_dma_map(struct sim_dmatrace *t, struct swiotlb *tlb, const struct swiotlb_device *d, unsigned dev,
		const struct swiotlb_map_args *a, struct swiotlb_map_result *res)
{
	if (!t)
		return swiotlb_map_ex(tlb, d, a, res);
	pthread_mutex_lock(&t->lock);
	/* the library's event hook, if any, fires in here on this thread */
	int rc = swiotlb_map_ex(tlb, d, a, res);
	struct swiotlb_sim_dma_event ev = {
		.op = SWIOTLB_SIM_DMA_MAP, .dev = dev, .cpu = a->cpu >= 0 ? (uint32_t)a->cpu : 0, .dir = a->dir,
		.attrs = a->attrs, .rc = rc, .phys = a->orig, .dma = rc ? 0 : res->dma, .size = a->size,
		.bounced = !rc && res->bounced,
	};
	t->fn(t->arg, &ev);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int sim_dma_unmap(struct sim_dmatrace *t, struct swiotlb *tlb, const struct swiotlb_device *d, unsigned dev,
		  unsigned cpu, uint64_t phys, uint64_t dma, size_t len, enum swiotlb_dir dir, uint32_t attrs)
{
	if (!t)
		return swiotlb_unmap(tlb, d, dma, len, dir, attrs);
	pthread_mutex_lock(&t->lock);
	int rc = swiotlb_unmap(tlb, d, dma, len, dir, attrs);
	struct swiotlb_sim_dma_event ev = {
		.op = SWIOTLB_SIM_DMA_UNMAP, .dev = dev, .cpu = cpu, .dir = dir, .attrs = attrs, .rc = rc,
		.phys = phys, .dma = dma, .size = len,
	};
	t->fn(t->arg, &ev);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int sim_dma_sync(struct sim_dmatrace *t, struct swiotlb *tlb, const struct swiotlb_device *d, unsigned dev,
		 unsigned cpu, uint64_t phys, uint64_t dma, size_t len, enum swiotlb_dir dir, bool for_cpu)
{
	if (!t)
		return for_cpu ? swiotlb_sync_for_cpu(tlb, d, dma, len, dir) : swiotlb_sync_for_device(tlb, d, dma, len, dir);
	pthread_mutex_lock(&t->lock);
	int rc = for_cpu ? swiotlb_sync_for_cpu(tlb, d, dma, len, dir) : swiotlb_sync_for_device(tlb, d, dma, len, dir);
	struct swiotlb_sim_dma_event ev = {
		.op = for_cpu ? SWIOTLB_SIM_DMA_SYNC_FOR_CPU : SWIOTLB_SIM_DMA_SYNC_FOR_DEVICE, .dev = dev, .cpu = cpu,
		.dir = dir, .rc = rc, .phys = phys, .dma = dma, .size = len,
	};
	t->fn(t->arg, &ev);
	pthread_mutex_unlock(&t->lock);
	return rc;
}
