/* SPDX-License-Identifier: MIT */
/*
 * The POSIX platform: a simulated physical address space backed by host
 * memory, plus pthread locks, sched_getcpu, the monotonic clock and a log
 * callback.
 *
 * The whole phys span [0, span) is one lazily committed mapping
 * (MAP_NORESERVE, or a sparse memfd when `memfd` is set so ranges of it can
 * be handed to another process), so phys -> CPU pointer is base + phys, a
 * 2 GiB pool costs only the pages it touches, and a 20 GiB guest fits on a
 * smaller host.  A memory map of RAM ranges drives a top-down boot allocator
 * (like memblock): pools placed "low" come from RAM below 4 GiB, pools placed
 * "any" from the highest RAM that fits, so placement really fails when the
 * RAM is not there.
 */
#ifndef SWIOTLB_POSIX_H
#define SWIOTLB_POSIX_H

#include "swiotlb/export.h"
#include "swiotlb/swiotlb.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SWIOTLB_POSIX_MAX_RANGES 64

struct swiotlb_posix_range {
	uint64_t start, end; /* phys, end exclusive */
};

struct swiotlb_posix_opts {
	uint64_t span;     /* bytes of phys space; 0: just above the highest RAM byte, at least 4 GiB */
	uint32_t nram;     /* 0: the default map, RAM [1 MiB, 3 GiB) + [4 GiB, 9 GiB) */
	struct swiotlb_posix_range ram[SWIOTLB_POSIX_MAX_RANGES];
	bool memfd;        /* back the span with a memfd (see swiotlb_posix_fd) */
	bool no_mutex;     /* use the core's C11 spinlock instead of pthread mutexes */
};

struct swiotlb_posix;

SWIOTLB_API int swiotlb_posix_create(const struct swiotlb_posix_opts *opts, struct swiotlb_posix **out);
SWIOTLB_API void swiotlb_posix_destroy(struct swiotlb_posix *px);

/* Fill a platform table whose ctx is px. */
SWIOTLB_API void swiotlb_posix_platform(struct swiotlb_posix *px, struct swiotlb_platform *plat);

/* Messages of the library arrive here (default: dropped). */
SWIOTLB_API void swiotlb_posix_set_log(struct swiotlb_posix *px, swiotlb_log_fn fn, void *arg);
/* Override the CPU id (default sched_getcpu()). */
SWIOTLB_API void swiotlb_posix_set_cpu(struct swiotlb_posix *px, unsigned (*fn)(void *arg), void *arg);

/* CPU pointer for [phys, phys+len), or NULL when outside the span. */
SWIOTLB_API void *swiotlb_posix_ptr(struct swiotlb_posix *px, uint64_t phys, size_t len);
SWIOTLB_API uint64_t swiotlb_posix_span(const struct swiotlb_posix *px);
/* The memfd behind the span (offset == phys), or -1. */
SWIOTLB_API int swiotlb_posix_fd(const struct swiotlb_posix *px);

/* Boot allocator, also used by the platform's pool_alloc: top-down, page
 * aligned, inside RAM and [min, max].  0 or SWIOTLB_ENOMEM. */
SWIOTLB_API int swiotlb_posix_alloc(struct swiotlb_posix *px, uint64_t bytes, uint64_t align, uint64_t min,
			uint64_t max, uint64_t *phys);
/* Mark [phys, phys+bytes) used (no RAM check); SWIOTLB_EINVAL on overlap or outside the span. */
SWIOTLB_API int swiotlb_posix_reserve(struct swiotlb_posix *px, uint64_t phys, uint64_t bytes);
SWIOTLB_API void swiotlb_posix_release(struct swiotlb_posix *px, uint64_t phys, uint64_t bytes);
/* Total bytes of RAM in the memory map. */
SWIOTLB_API uint64_t swiotlb_posix_ram_bytes(const struct swiotlb_posix *px);

#ifdef __cplusplus
}
#endif
#endif
