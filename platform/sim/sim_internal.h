/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the simulated-machine platform. */
#ifndef SWIOTLB_SIM_INTERNAL_H
#define SWIOTLB_SIM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "swiotlb/posix.h"
#include "swiotlb/sim.h"

#define SIM_PAGE 4096ull
#define SIM_PAGE_SHIFT 12
#define SIM_MAX_CPUS 4096u
#define SIM_MAX_RAM_TOP (1ull << 40) /* 1 TiB of guest-physical span */
#define SIM_MAX_XEN_TOP (64ull << 30) /* the p2m costs 4 bytes per guest page */
#define SIM_MAX_SHARED 64
#define SIM_MAX_LOG 20000
#define SIM_LOW_LIMIT 0xffffffffull

/* Xen: 128 slots = 256 KiB = 64 frames per exchanged chunk. */
#define XEN_CHUNK_FRAMES 64u
#define XEN_CHUNK_SHIFT 6
#define XEN_EXTENT_FRAMES 512u /* the p2m hands out 2 MiB extents */
#define XEN_FIRST_BITS 18u     /* order(256 KiB) + PAGE_SHIFT */
#define XEN_MAX_BITS 32u
#define P2M_IDENT 0xffffffffu  /* pfn not RAM: 1:1 with the machine address */
#define M2P_FREE 0xffffffffu   /* machine frame free in the hypervisor's heap */
#define M2P_HOLE 0xfffffffeu   /* machine frame that is not RAM, or the hypervisor's own */

struct sim_range {
	uint64_t start, end;
};

/* A range the CPU must not read (guard.c). */
struct sim_guard {
	struct swiotlb *tlb;
	uint64_t start, end;
};

struct sim_remap_rec {
	uint64_t base;
	uint32_t first, last;
};

struct swiotlb_sim {
	struct swiotlb_sim_machine m;
	struct swiotlb_posix *px;
	struct swiotlb_platform pxp; /* the POSIX table we forward to */
	uint32_t nram;
	struct sim_range ram[SWIOTLB_SIM_MAX_RANGES]; /* whole pages of usable RAM */
	uint64_t ram_bytes, ram_top;
	uint64_t memmap_base, memmap_bytes;

	pthread_mutex_t lock; /* log, shared ranges, counters, Xen state */
	char **log;
	size_t nlog, caplog;
	pthread_rwlock_t shared_lock; /* shared[]: written at pool creation, read by the bus */
	struct sim_range shared[SIM_MAX_SHARED];
	uint32_t nshared;
	struct swiotlb_sim_counters cnt;
	atomic_uint_least64_t faults;

	/* Xen PV */
	uint32_t *p2m; /* guest pfn -> machine frame, P2M_IDENT */
	uint64_t npfn;
	uint32_t *m2p; /* machine frame -> guest pfn, M2P_FREE, M2P_HOLE */
	uint64_t nmfn;
	uint8_t *chunk_used; /* per 64-frame machine chunk: frames not free */
	uint64_t nchunks;
	uint64_t machine_top;
	uint64_t window_max; /* [min, max] of the last pool_alloc: the remap's machine window */
	uint32_t nremap;
	struct sim_remap_rec remap[4 * SWIOTLB_MAX_POOLS];

	bool booted;
	struct swiotlb_sim_boot_info boot;

	/* the debug mode's CPU read guard (guard.c) */
	pthread_mutex_t guard_lock;
	struct sim_guard *guards;
	size_t nguards, capguards;
	atomic_size_t nguards_live; /* nguards, for a lock-free "nothing armed" */
	uint64_t guard_dropped;     /* ranges left unguarded for lack of memory */
};

void sim_log_add(struct swiotlb_sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_cpu_read_guard(void *ctx, struct swiotlb *tlb, uint64_t phys, size_t len, bool armed);
void sim_guard_free(struct swiotlb_sim *sim);
bool sim_usable_pages(const struct swiotlb_sim_range *r, uint64_t *start, uint64_t *end);
uint64_t sim_splitmix(uint64_t *state);
/* The guest-physical address a bus address reaches (Xen: through the m2p; ~0 if none). */
uint64_t sim_bus_to_phys(struct swiotlb_sim *sim, uint64_t dma);

#endif
