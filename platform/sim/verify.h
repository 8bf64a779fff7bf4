/* SPDX-License-Identifier: MIT */
/*
 * Verified runs: what the workload does when one of its devices is hostile
 * (verify.c), and the hostile device itself (hostile.c).
 *
 * Every byte of data carries its owner: the high nibble is the device index
 * + 1 (0: nobody's, such as never-written memory), bit 3 says whether it is
 * private, the low 3 bits are a pattern of device, I/O number and offset.
 * I/O data (what a device reads or writes, and what an original holds before
 * a read) has bit 3 clear; the rest of each original buffer's I/O slot is
 * private (bit 3 set): no mapping covers it, so no copy may ever move it.
 *
 * A hostile device in a confidential guest can rewrite any byte of the pools
 * at any time, another device's data in flight included: no bounce-buffer
 * library can stop that (integrity in flight belongs to the layer above,
 * dm-integrity or TLS).  So the run keeps a registry of every device's bytes
 * in flight and lets a hostile device write every pool byte but the other
 * devices' ones.  Then any wrong byte in an honest original is the library's
 * doing, and so is any byte of one device in another's original.  The
 * registry is guarded by a reader-writer lock: every I/O step (map, the
 * device's DMA, sync, unmap) holds it shared, an attack on the whole pools
 * holds it exclusive.
 */
#ifndef SWIOTLB_SIM_VERIFY_H
#define SWIOTLB_SIM_VERIFY_H

#include "dmatrace.h"
#include "sim_internal.h"

struct sim_verify;

/* One device's queue, as the verifier and the hostile device see it. */
struct sim_vq {
	unsigned dev;                     /* device index: its owner tag is dev + 1 */
	uint32_t hostile;                 /* 1 << SWIOTLB_SIM_HOSTILE_*; 0: honest */
	uint64_t rng;                     /* the hostile device's choices */
	const struct swiotlb_device *d;
	uint64_t limit;                   /* highest bus address the device reaches */
	bool rx_sync;
	unsigned cpu;                     /* the queue's CPU (traces) */
	struct sim_dmatrace *trace;       /* the run's trace, NULL: not traced */
	struct swiotlb_sim_dev_result *res;
	uint64_t guard_bytes, checks, check_failures, peek_foreign, peek_private;
	struct swiotlb_sim_hostile_result kind[SWIOTLB_SIM_HOSTILE_KINDS];
};

/* One I/O. */
struct sim_vio {
	bool write;
	bool bounced;
	uint32_t len;
	uint64_t dma;
	uint64_t orig;         /* the original buffer's address */
	uint64_t seed;         /* of its data pattern */
	uint8_t *cpu;          /* its bytes in the original buffer */
	uint8_t *region;       /* its I/O slot: private bytes around cpu[0..len) */
	uint64_t region_phys;
	uint32_t region_len;
	uint32_t reg;          /* its entry in the registry of bytes in flight */
};

int sim_verify_create(struct swiotlb_sim *sim, struct swiotlb *tlb, uint32_t nreg, struct sim_verify **out);
void sim_verify_destroy(struct sim_verify *v);
struct swiotlb *sim_verify_tlb(const struct sim_verify *v);
struct swiotlb_sim *sim_verify_sim(const struct sim_verify *v);

/* The lock of the registry (no-ops when v is NULL). */
void sim_verify_lock(struct sim_verify *v, bool exclusive);
void sim_verify_unlock(struct sim_verify *v);

/* A mapping's bounce bytes are in flight / no more (lock held). */
void sim_verify_live(struct sim_verify *v, uint32_t reg, unsigned dev, uint64_t dma, uint32_t len);
void sim_verify_dead(struct sim_verify *v, uint32_t reg);

/* Tagged patterns. */
void sim_data_fill(uint8_t *p, size_t n, uint64_t seed, unsigned dev);
void sim_private_fill(uint8_t *p, uint64_t phys, size_t n, unsigned dev);
static inline unsigned sim_owner(uint8_t b) { return b >> 4; } /* 0: nobody, else device index + 1 */

/* Seeds: an honest read's original holds a pre-image before the device writes. */
static inline uint64_t sim_preimage_seed(uint64_t seed) { return seed ^ 0x5bd1e9955bd1e995ull; }

/* An I/O's original is about to be mapped: its bytes become data. */
void sim_verify_prepare(const struct sim_vq *vq, const struct sim_vio *io);
/* It will not be mapped after all: private again. */
void sim_verify_unprepare(const struct sim_vq *vq, const struct sim_vio *io);

/*
 * An honest device read `n` bytes of a write from the bus into `got`:
 * compared with the pattern, counted.  Returns the wrong bytes.
 */
uint64_t sim_verify_device_read(struct sim_verify *v, struct sim_vq *vq, const struct sim_vio *io, const uint8_t *got,
				uint8_t *expect);

/*
 * After an I/O's unmap: the original's I/O bytes (an honest read's are
 * compared with the pattern when `read_ok`; a write's must be unchanged; a
 * hostile read's must be its own) and the private bytes around them, then
 * the I/O bytes become private again.  Returns the wrong bytes of an honest
 * read.
 */
uint64_t sim_verify_after(struct sim_verify *v, struct sim_vq *vq, const struct sim_vio *io, bool read_ok,
			  uint8_t *expect);

/* swiotlb_check() of the whole instance, counted in vq (lock held exclusive or no I/O running). */
void sim_verify_check(struct sim_verify *v, struct sim_vq *vq, const char *when);

/* Remember the first problem of the run (the verdict's first_problem). */
void sim_verify_note(struct sim_verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sim_verify_first_problem(const struct sim_verify *v);

/*
 * The pools, for the hostile device (lock held exclusive): write its bytes
 * over [phys, phys+len) clipped to the pools, except other devices' bytes
 * in flight; returns the bytes written.  Read every pool byte, counting what
 * it sees.
 */
uint64_t sim_verify_pool_write(struct sim_verify *v, uint64_t phys, uint64_t len, unsigned dev, uint64_t seed);
void sim_verify_pool_peek(struct sim_verify *v, struct sim_vq *vq);

/* The hostile device's side and its driver's, for one I/O (hostile.c). */
void sim_hostile_complete(struct sim_verify *v, struct sim_vq *vq, struct sim_vio *io, uint8_t *scratch,
			  uint8_t *expect);

#endif
