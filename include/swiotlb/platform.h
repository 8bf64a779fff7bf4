/* SPDX-License-Identifier: MIT */
/*
 * libswiotlb platform contract.
 *
 * The core library touches nothing it was not handed: every environmental
 * service -- memory for pools and metadata, address translation, memory
 * sharing for confidential guests, locks, the CPU id, copying, the clock and
 * logging -- reaches it through one `struct swiotlb_platform`.  The core is
 * built freestanding (no libc, no malloc, no stdio); a port provides this
 * table and nothing else.
 *
 * Address spaces.  Three kinds of address appear:
 *   - phys: the CPU-physical (guest-physical) address of a byte.  Pools are
 *     contiguous in phys.  Original buffers are named by phys.
 *   - dma: what a device puts on the bus for a byte.  Obtained with
 *     phys_to_dma(); for a shared (decrypted) range `shared` is true, which
 *     lets a port drop the C-bit / set the TDX shared bit, or translate
 *     through a Xen p2m table.
 *   - cpu: a pointer the library dereferences to copy bytes.
 *
 * Every callback receives `ctx` first.  Unless said otherwise a callback may
 * be NULL, and the core then uses the documented default.
 */
#ifndef SWIOTLB_PLATFORM_H
#define SWIOTLB_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct swiotlb;

/* Log levels, numerically equal to the kernel's printk levels. */
enum swiotlb_log_level {
	SWIOTLB_LOG_ERR = 3,
	SWIOTLB_LOG_WARN = 4,
	SWIOTLB_LOG_INFO = 6,
	SWIOTLB_LOG_DEBUG = 7,
};

struct swiotlb_platform {
	/* sizeof(struct swiotlb_platform) as the caller compiled it; lets the
	 * table grow at its end without breaking older callers. */
	uint32_t size;
	uint32_t reserved;
	void *ctx;

	/*
	 * Reserve `bytes` (a multiple of the page size) of pool memory,
	 * aligned to `align` (a power of two >= page size), whose phys range
	 * lies within [min_phys, max_phys] (inclusive).  On success store the
	 * phys base and a CPU pointer to the whole range and return 0; on
	 * failure return a negative value (the core then halves and retries,
	 * as the kernel does).  Memory must read as zero.  REQUIRED.
	 */
	int (*pool_alloc)(void *ctx, uint64_t bytes, uint64_t align, uint64_t min_phys,
			  uint64_t max_phys, uint64_t *phys, void **cpu);
	/* Return memory obtained from pool_alloc or pool_claim. REQUIRED. */
	void (*pool_free)(void *ctx, uint64_t phys, void *cpu, uint64_t bytes);
	/*
	 * Claim an explicit phys range for a pool (pools whose base the caller
	 * fixes, such as restricted-DMA regions).  Returns 0 and a CPU pointer,
	 * or negative if the range is not usable.  NULL: explicit bases are
	 * refused.
	 */
	int (*pool_claim)(void *ctx, uint64_t phys, uint64_t bytes, void **cpu);

	/*
	 * Private (never device-visible) memory for metadata: slot arrays,
	 * areas, the instance itself.  Must be aligned to 64 bytes and zeroed.
	 * REQUIRED.
	 */
	void *(*meta_alloc)(void *ctx, size_t bytes);
	void (*meta_free)(void *ctx, void *p, size_t bytes);

	/*
	 * phys -> device address.  `shared` is true for bounce memory (which
	 * the core has shared with share()), false for original buffers.
	 * NULL: identity.
	 */
	uint64_t (*phys_to_dma)(void *ctx, uint64_t phys, bool shared);
	/* device address -> phys (inverse of the above).  NULL: identity. */
	uint64_t (*dma_to_phys)(void *ctx, uint64_t dma);
	/*
	 * CPU pointer for `len` bytes of an original buffer at `phys`.  Returns
	 * a pointer valid for *contig bytes (1 <= *contig <= len), so a port
	 * whose memory is not linearly mapped (highmem, foreign guests) can
	 * hand out one page at a time; the core loops.  A NULL return: the
	 * buffer is not accessible and the copy fails.  REQUIRED:
	 * swiotlb_create refuses a table without it.
	 */
	void *(*phys_to_cpu)(void *ctx, uint64_t phys, size_t len, size_t *contig);
	/*
	 * True when every byte of [phys, phys+len) is contiguous on the bus, so
	 * a direct mapping is possible (Xen PV: machine frames must follow
	 * each other).  NULL: always contiguous.
	 */
	bool (*dma_contiguous)(void *ctx, uint64_t phys, size_t len);

	/*
	 * Confidential computing: make [phys, phys+bytes) accessible to the
	 * host and devices (decrypt / convert to shared) and back.  Called once
	 * per pool at creation and at destruction.  NULL: nothing to do.
	 */
	int (*share)(void *ctx, uint64_t phys, void *cpu, uint64_t bytes);
	int (*unshare)(void *ctx, uint64_t phys, void *cpu, uint64_t bytes);
	/*
	 * Called after pool memory is allocated, before use (Xen's fixup that
	 * exchanges each 128-slot chunk for machine-contiguous frames).
	 * Negative: the core frees the memory and retries at half the size.
	 * NULL: no remap.
	 */
	int (*remap)(void *ctx, uint64_t phys, void *cpu, uint64_t nslabs);

	/*
	 * Locks.  lock_size bytes of 64-byte aligned storage are reserved per
	 * area and handed to lock_init.  All NULL (and lock_size 0): the core
	 * uses its own spinlock built on C11 atomics.
	 */
	size_t lock_size;
	void (*lock_init)(void *ctx, void *lock);
	void (*lock_destroy)(void *ctx, void *lock);
	void (*lock)(void *ctx, void *lock);
	void (*unlock)(void *ctx, void *lock);

	/* Current CPU number, used to pick the first area.  NULL: 0. */
	unsigned (*cpu_id)(void *ctx);
	/* Copy routine.  NULL: the core's own byte copy. */
	void (*copy)(void *ctx, void *dst, const void *src, size_t n);
	/* Monotonic nanoseconds, for message rate limiting.  NULL: no limit. */
	uint64_t (*now_ns)(void *ctx);
	/* A finished, newline-free log line.  NULL: messages are dropped. */
	void (*log)(void *ctx, enum swiotlb_log_level level, const char *line);
	/* Page size in bytes (power of two, >= 4096).  0 means 4096. */
	uint32_t page_size;
	uint32_t reserved2;

	/*
	 * Debug mode only (docs/debug.md).  armed: until the device's bytes
	 * are copied back (sync_for_cpu or unmap), the CPU must not read
	 * [phys, phys+len) -- part of the original buffer of a FROM_DEVICE or
	 * BIDIRECTIONAL mapping, whose contents are stale until then; !armed:
	 * it may again.  Ranges are disarmed exactly as they were armed, or in
	 * pieces of them (a partial sync).  A platform that can see CPU reads
	 * (page protection, a simulator) reports a read of an armed range with
	 * swiotlb_debug_cpu_read(tlb, ...).  Called without any library lock
	 * held.  NULL (the default): the check is off.
	 */
	void (*cpu_read_guard)(void *ctx, struct swiotlb *tlb, uint64_t phys, size_t len, bool armed);
};

#ifdef __cplusplus
}
#endif
#endif
