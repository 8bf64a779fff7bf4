/* SPDX-License-Identifier: MIT */
/*
 * The guest's memory for the vhost front end: a POSIX address space whose
 * RAM is private (anonymous memory nobody else can map) until a range is
 * converted to shared.  Conversion is the platform's share() callback, as a
 * confidential guest converts its swiotlb pool: the range is remapped in
 * place onto a fresh memfd of its own, which is what the memory table later
 * hands to the back end.  One memfd per shared range, so holding it grants
 * nothing beyond that range.
 */
#ifndef SWIOTLB_VHOST_SHM_H
#define SWIOTLB_VHOST_SHM_H

#include <pthread.h>

#include "swiotlb/posix.h"

#define VSHM_MAX_REGIONS 8

struct vshm_region {
	uint64_t phys, bytes;
	void *cpu;
	int fd;
};

struct vshm {
	struct swiotlb_posix *px;
	struct swiotlb_platform inner; /* the POSIX platform's own table */
	struct swiotlb_platform plat;  /* what the instance gets: inner + share/unshare, ctx = this */
	pthread_mutex_t lock;          /* protects regions[] */
	int nregions;
	struct vshm_region regions[VSHM_MAX_REGIONS];
	uint64_t conversions;          /* shares done by vshm_share (the pool's included) */
};

int vshm_init(struct vshm *s, swiotlb_log_fn log, void *log_arg);
void vshm_fini(struct vshm *s);
/* Convert [phys, phys+bytes) (page aligned) to shared; it then reads as zero. */
int vshm_share(struct vshm *s, uint64_t phys, uint64_t bytes);
int vshm_unshare(struct vshm *s, uint64_t phys, uint64_t bytes);
/* Private RAM from the boot allocator (page aligned, anywhere). */
int vshm_alloc(struct vshm *s, uint64_t bytes, uint64_t *phys, void **cpu);
void vshm_free(struct vshm *s, uint64_t phys, uint64_t bytes);
/* Copy of the shared regions, for the memory table; returns the count. */
int vshm_regions(struct vshm *s, struct vshm_region *out, int max);

#endif
