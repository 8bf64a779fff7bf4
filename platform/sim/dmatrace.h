/* SPDX-License-Identifier: MIT */
/*
 * The DMA API calls of a run, reported for a trace (swiotlb run --trace;
 * struct swiotlb_sim_dma_event in include/swiotlb/sim.h).
 *
 * A trace is only worth reading back when its order is the order in which
 * the library allocated and freed: an unmap written after a map that
 * reused its slots shows both live at once.  So while a run is traced,
 * every map, unmap and sync is made and reported under one lock: the run
 * is serialized at the DMA API (the library's own locking is unchanged,
 * only never contended).  Without a trace the calls go straight through.
 */
#ifndef SWIOTLB_SIM_DMATRACE_H
#define SWIOTLB_SIM_DMATRACE_H

#include "sim_internal.h"

struct sim_dmatrace {
	void (*fn)(void *arg, const struct swiotlb_sim_dma_event *ev);
	void *arg;
	pthread_mutex_t lock;
};

/* `t` NULL: not traced.  `dev` is the run's device index, `cpu` the caller's. */
int sim_dma_map(struct sim_dmatrace *t, struct swiotlb *tlb, const struct swiotlb_device *d, unsigned dev,
		const struct swiotlb_map_args *a, struct swiotlb_map_result *res);
int sim_dma_unmap(struct sim_dmatrace *t, struct swiotlb *tlb, const struct swiotlb_device *d, unsigned dev,
		  unsigned cpu, uint64_t phys, uint64_t dma, size_t len, enum swiotlb_dir dir, uint32_t attrs);
int sim_dma_sync(struct sim_dmatrace *t, struct swiotlb *tlb, const struct swiotlb_device *d, unsigned dev,
		 unsigned cpu, uint64_t phys, uint64_t dma, size_t len, enum swiotlb_dir dir, bool for_cpu);

#endif
