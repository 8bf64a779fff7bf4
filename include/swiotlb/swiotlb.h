/* SPDX-License-Identifier: MIT */
/*
 * libswiotlb: a portable software IO TLB (bounce buffering for DMA).
 *
 * An instance (struct swiotlb) holds one or more pools of 2 KiB slots.  A
 * driver describes its device once (struct swiotlb_device: DMA mask, bus
 * limit, min_align_mask, segment boundary) and then maps buffers; the
 * library decides whether to bounce, picks a pool the device can reach, and
 * copies by the kernel's rules.  Drivers never name a pool.
 *
 * Conventions: functions that can fail return 0 (or a count) on success and
 * a negative enum swiotlb_error on failure; swiotlb_strerror() describes it
 * and swiotlb_errname() gives a stable short name.  Diagnostics go to the
 * platform's log callback; nothing prints on its own.
 */
#ifndef SWIOTLB_SWIOTLB_H
#define SWIOTLB_SWIOTLB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "swiotlb/export.h"
#include "swiotlb/platform.h"
#include "swiotlb/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SWIOTLB_VERSION_MAJOR 0
#define SWIOTLB_VERSION_MINOR 1
#define SWIOTLB_VERSION_PATCH 0
#define SWIOTLB_VERSION ((SWIOTLB_VERSION_MAJOR << 16) | (SWIOTLB_VERSION_MINOR << 8) | SWIOTLB_VERSION_PATCH)

/* Run-time version, to compare against SWIOTLB_VERSION. */
SWIOTLB_API unsigned swiotlb_version(void);

/* Kernel constants (docs/kernel-semantics.md §1.1). */
#define SWIOTLB_SLOT_SHIFT 11
#define SWIOTLB_SLOT_SIZE (1u << SWIOTLB_SLOT_SHIFT) /* 2048 */
#define SWIOTLB_SEGSIZE 128u                          /* slots per segment */
#define SWIOTLB_MAX_SEGMENT (SWIOTLB_SEGSIZE * SWIOTLB_SLOT_SIZE)
#define SWIOTLB_DEFAULT_NSLABS 32768u /* 64 MiB */
#define SWIOTLB_MIN_NSLABS 512u       /* floor of the halving fallback */
#define SWIOTLB_MAX_POOLS 16
#define SWIOTLB_NAME_MAX 24
#define SWIOTLB_POLICY_NAME_MAX 16

enum swiotlb_error {
	SWIOTLB_OK = 0,
	SWIOTLB_EINVAL = -1,      /* "invalid": a bad argument */
	SWIOTLB_EFULL = -2,       /* "full": no free run large enough now */
	SWIOTLB_ETOOLARGE = -3,   /* "too_large": can never fit, even in an empty pool */
	SWIOTLB_EUNREACHABLE = -4,/* "unreachable": the device can reach neither the buffer nor any pool */
	SWIOTLB_ENOTMAPPED = -5,  /* "not_mapped": not a live mapping (or wrong size / device) */
	SWIOTLB_ERANGE = -6,      /* "range": a sync outside the mapping's own bytes */
	SWIOTLB_EBADCONFIG = -7,  /* "bad_config": a configuration or command line is malformed */
	SWIOTLB_ENOMEM = -8,      /* "nomem": the platform could not provide memory */
	SWIOTLB_EPLATFORM = -9,   /* "platform": a platform callback failed (share, remap, access) */
	SWIOTLB_ENOPOOL = -10,    /* "no_pool": bouncing is needed but the instance has no pool */
};
SWIOTLB_API const char *swiotlb_strerror(int err);
SWIOTLB_API const char *swiotlb_errname(int err);

/* Transfer directions; values equal the kernel's enum dma_data_direction. */
enum swiotlb_dir {
	SWIOTLB_BIDIRECTIONAL = 0,
	SWIOTLB_TO_DEVICE = 1,
	SWIOTLB_FROM_DEVICE = 2,
};

/* Mapping attributes. */
#define SWIOTLB_ATTR_SKIP_CPU_SYNC (1u << 0) /* no copy at unmap (map always copies) */
#define SWIOTLB_ATTR_NO_WARN (1u << 1)       /* no "buffer is full" message */

/* ---------------------------------------------------------------- devices */

#define SWIOTLB_DEV_FORCE_BOUNCE (1u << 0) /* bounce every mapping of this device */

struct swiotlb_device {
	const char *name;           /* prefix of messages and events */
	uint64_t dma_mask;          /* highest address the device can generate; must be non-zero */
	uint64_t bus_dma_limit;     /* 0: none; else min_not_zero() with dma_mask */
	uint64_t min_align_mask;    /* low address bits a bounce buffer must preserve (NVMe: 0xfff); a low mask */
	uint64_t seg_boundary_mask; /* 0: no boundary (the kernel's ULONG_MAX default); else a low mask of
				     * at least 0x7ff (a slot): smaller windows make every map invalid */
	uint32_t flags;             /* SWIOTLB_DEV_* */
	uint32_t id;                /* set by swiotlb_device_init(); identifies the owner of a mapping */
};

/* DMA_BIT_MASK(bits), bits 1..64. */
static inline uint64_t swiotlb_bit_mask(unsigned bits)
{
	return bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
}

/* Initialise a device description with a DMA mask; other fields zero. */
SWIOTLB_API void swiotlb_device_init(struct swiotlb_device *dev, const char *name, uint64_t dma_mask);

/*
 * The largest mapping guaranteed to fit an empty pool (aligned to its size)
 * from any original, with no alloc_align_mask: the kernel's 256 KiB less
 * roundup(min_align_mask, 2048) (docs/kernel-semantics.md §3.1), bounded by what one
 * boundary window holds from the worst legal start.  0 when nothing is
 * guaranteed: a device every map refuses (NULL, masks that are not low
 * masks, a boundary inside a slot), or a min_align_mask whose period is a
 * whole segment or more.
 */
SWIOTLB_API size_t swiotlb_max_mapping_size(const struct swiotlb_device *dev);

/* ---------------------------------------------------------- configuration */

enum swiotlb_placement {
	SWIOTLB_PLACE_LOW = 0, /* below 4 GiB (the kernel's default) */
	SWIOTLB_PLACE_ANY = 1, /* anywhere (SWIOTLB_ANY) */
};

struct swiotlb_pool_config {
	char name[SWIOTLB_NAME_MAX];
	uint64_t nslabs;      /* slots */
	uint32_t nareas;      /* 0: from the instance's CPU count */
	uint32_t placement;   /* enum swiotlb_placement */
	uint64_t base;        /* explicit phys base when has_base */
	bool has_base;
	bool exact;           /* use nslabs/nareas as given: no kernel rounding, no fallback */
	bool placement_set;   /* placement was given explicitly */
	char policy[SWIOTLB_POLICY_NAME_MAX]; /* "" = the instance default */
};

enum swiotlb_dialect {
	SWIOTLB_DIALECT_MAINLINE = 0, /* swiotlb=[<nslabs>][,<nareas>][,force|noforce] */
	SWIOTLB_DIALECT_RFC2021 = 1,  /* swiotlb=<low>,<high>[,force|noforce] */
	SWIOTLB_DIALECT_NAMED = 2,    /* swiotlb=pool=NAME:slots=N:...,force,... */
};

struct swiotlb_config {
	uint32_t size;     /* sizeof(struct swiotlb_config), set by swiotlb_config_init */
	uint32_t version;  /* SWIOTLB_VERSION */
	uint32_t ncpus;    /* possible CPUs; fixes the area count when no pool sets one */
	uint32_t nareas;   /* area count from the command line; 0 = not chosen yet */
	uint32_t npools;
	struct swiotlb_pool_config pools[SWIOTLB_MAX_POOLS];
	bool force;        /* bounce every mapping */
	bool noforce;      /* never create a pool */
	bool any;          /* default placement anywhere (SWIOTLB_ANY) */
	bool verbose;      /* log "mapped [mem ...]" for each pool */
	bool no_fallback;  /* do not fall back to lower pools when the preferred one is full */
	bool size_given;   /* the user chose the default pool size (arch adjust is then ignored) */
	uint32_t dialect;  /* enum swiotlb_dialect the config came from */
	char policy[SWIOTLB_POLICY_NAME_MAX]; /* default placement policy; "" = library default */
	bool debug;        /* debug mode (docs/debug.md): needs a library built with SWIOTLB_DEBUG,
			    * else swiotlb_create fails with SWIOTLB_EBADCONFIG */
};

/* Defaults: one pool "default" of 32768 slots below 4 GiB, 1 CPU. */
SWIOTLB_API void swiotlb_config_init(struct swiotlb_config *cfg);

/* Sink for log lines produced while parsing/creating (may be NULL). */
typedef void (*swiotlb_log_fn)(void *arg, enum swiotlb_log_level level, const char *line);

struct swiotlb_parse_opts {
	uint32_t dialect;  /* enum swiotlb_dialect */
	bool lenient;      /* reproduce the kernel's silent ignores instead of reporting */
	swiotlb_log_fn log;
	void *log_arg;
	char *err;         /* receives a message on SWIOTLB_EBADCONFIG; may be NULL */
	size_t err_len;
};

/*
 * Apply every swiotlb= parameter found in a kernel command line (a bare
 * "swiotlb=..." or a full line with other parameters) to *cfg.  Returns 0 or
 * SWIOTLB_EBADCONFIG (strict mode only) with *opts->err set; on error *cfg
 * is left as it was.
 */
SWIOTLB_API int swiotlb_parse_cmdline(const char *cmdline, const struct swiotlb_parse_opts *opts,
			  struct swiotlb_config *cfg);

/*
 * The architecture's early size request (x86 SEV/TDX pass 6% of RAM): ignored
 * when the user chose a size, else sets the default pool to `bytes`
 * (docs/kernel-semantics.md §1.6 step 4) and logs "SWIOTLB bounce buffer size adjusted to".
 */
SWIOTLB_API void swiotlb_config_adjust_size(struct swiotlb_config *cfg, uint64_t bytes, swiotlb_log_fn log,
				void *log_arg);

/* Look up a dialect by name ("mainline", "rfc2021", "named"); -1 if unknown. */
SWIOTLB_API int swiotlb_dialect_from_name(const char *name);

/*
 * The placement policies this library has, by index from 0: the name a
 * config's or a pool's `policy` field takes, or NULL past the last one (and
 * for a negative index).  Index 0 is the default policy.  For listing and
 * validating policy names without hard-coding them.
 */
SWIOTLB_API const char *swiotlb_policy_name(int i);

/* ------------------------------------------------------------- instances */

struct swiotlb;

/*
 * Create an instance: fix the area count, round sizes, allocate every
 * configured pool (halving on failure down to 512 slots, as the kernel does),
 * share it, and log the kernel's lines through platform->log.  A pool that
 * cannot be allocated at all is skipped with a warning, as in the kernel.
 * The platform table is copied.
 */
SWIOTLB_API int swiotlb_create(const struct swiotlb_config *cfg, const struct swiotlb_platform *platform,
		   struct swiotlb **out);
/* Tear down: unshare and free every pool.  Live mappings are abandoned. */
SWIOTLB_API void swiotlb_destroy(struct swiotlb *tlb);

/*
 * Add one pool at run time (e.g. a restricted-DMA region at a fixed base, or
 * an extra pool).  With exact set, nslabs and nareas are used as given.
 * Returns the new pool's index or a negative error.
 */
SWIOTLB_API int swiotlb_pool_add(struct swiotlb *tlb, const struct swiotlb_pool_config *pcfg);

struct swiotlb_pool_info {
	char name[SWIOTLB_NAME_MAX];
	char policy[SWIOTLB_POLICY_NAME_MAX];
	uint64_t base, end;         /* phys, end exclusive */
	uint64_t dma_base, dma_end; /* lowest and highest+1 device address of the pool */
	uint64_t nslabs;
	uint32_t nareas;
	uint32_t placement;
	size_t meta_bytes;          /* private metadata held for the pool */
};
SWIOTLB_API int swiotlb_pool_count(const struct swiotlb *tlb);
SWIOTLB_API int swiotlb_pool_info(const struct swiotlb *tlb, int pool, struct swiotlb_pool_info *info);
SWIOTLB_API bool swiotlb_force_bounce(const struct swiotlb *tlb);
/* Slots of the longest free run in a pool (what "full" vs "fragmented" hinges on). */
SWIOTLB_API uint64_t swiotlb_pool_largest_free(const struct swiotlb *tlb, int pool);
/* Pool shares (conversions) performed by the platform over the instance's life. */
SWIOTLB_API uint64_t swiotlb_conversions(const struct swiotlb *tlb);
/* Bytes of pool memory kept on purpose because unshare failed: memory the
 * host may still reach is never handed back to the platform. */
SWIOTLB_API uint64_t swiotlb_leaked_bytes(const struct swiotlb *tlb);

/* ---------------------------------------------------------------- mapping */

struct swiotlb_map_args {
	uint64_t orig;             /* phys of the original buffer */
	size_t size;               /* bytes */
	uint32_t dir;              /* enum swiotlb_dir */
	uint32_t attrs;            /* SWIOTLB_ATTR_* */
	uint64_t alloc_align_mask; /* bounce start alignment - 1 (0: none; IOMMU granule case); a low
				    * mask other than ~0 (an alignment of 2^64 is invalid) */
	int cpu;                   /* CPU for the area choice; -1: the platform's cpu_id */
};

struct swiotlb_map_result {
	uint64_t dma;     /* device address to program */
	bool bounced;     /* false: a direct mapping of the original */
	int pool;         /* pool index when bounced, else -1 */
	uint32_t slots;   /* slots reserved, padding included */
};

/*
 * Map a buffer for DMA: decide whether to bounce (force, or the device
 * cannot reach the buffer), choose a pool, reserve slots and copy
 * original -> bounce (always, in every direction: the CVE-2022-0854 rule).
 * SWIOTLB_EINVAL, with nothing changed, for bad arguments -- among them an
 * original that overlaps any pool (logged with the pool's name) and the
 * masks swiotlb_device and swiotlb_map_args call invalid.
 */
SWIOTLB_API int swiotlb_map_ex(struct swiotlb *tlb, const struct swiotlb_device *dev,
		   const struct swiotlb_map_args *args, struct swiotlb_map_result *res);
SWIOTLB_API int swiotlb_map(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t orig, size_t size,
		enum swiotlb_dir dir, uint32_t attrs, uint64_t *dma);

/*
 * Unmap: `dma`, `size` and `dir` must be those of a live mapping of `dev`;
 * otherwise SWIOTLB_ENOTMAPPED and the pool is untouched.  Copies
 * bounce -> original for FROM_DEVICE / BIDIRECTIONAL unless SKIP_CPU_SYNC.
 * An address outside every pool is a direct mapping: nothing to do, 0.
 */
SWIOTLB_API int swiotlb_unmap(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
		  enum swiotlb_dir dir, uint32_t attrs);

/*
 * Sync all or part of a mapping: [dma, dma+size) must lie inside the
 * mapping's own bytes (else SWIOTLB_ERANGE, nothing copied).
 * for_cpu copies bounce -> original for FROM_DEVICE / BIDIRECTIONAL;
 * for_device copies original -> bounce for TO_DEVICE / BIDIRECTIONAL and
 * nothing for FROM_DEVICE (the ath9k rule).
 */
SWIOTLB_API int swiotlb_sync_for_cpu(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma,
			 size_t size, enum swiotlb_dir dir);
SWIOTLB_API int swiotlb_sync_for_device(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma,
			    size_t size, enum swiotlb_dir dir);

/* Scatter-gather: one bounce buffer per entry. */
struct swiotlb_sg {
	uint64_t phys;    /* in */
	uint32_t length;  /* in */
	uint32_t dma_length; /* out */
	uint64_t dma;     /* out */
};
/* Returns the number of entries mapped (= nents) or a negative error, in
 * which case the entries already mapped were unmapped without copy-back. */
SWIOTLB_API int swiotlb_map_sg(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg,
		   int nents, enum swiotlb_dir dir, uint32_t attrs);
SWIOTLB_API int swiotlb_unmap_sg(struct swiotlb *tlb, const struct swiotlb_device *dev, struct swiotlb_sg *sg,
		     int nents, enum swiotlb_dir dir, uint32_t attrs);
SWIOTLB_API int swiotlb_sync_sg_for_cpu(struct swiotlb *tlb, const struct swiotlb_device *dev,
			    struct swiotlb_sg *sg, int nents, enum swiotlb_dir dir);
SWIOTLB_API int swiotlb_sync_sg_for_device(struct swiotlb *tlb, const struct swiotlb_device *dev,
			       struct swiotlb_sg *sg, int nents, enum swiotlb_dir dir);

/* Is `dma` (a device address) inside a pool of this instance? */
SWIOTLB_API bool swiotlb_is_bounce(const struct swiotlb *tlb, uint64_t dma);

/* ------------------------------------------------------------ statistics */

/* Per pool (pool >= 0) or the instance total (pool == -1). */
SWIOTLB_API int swiotlb_get_stats(const struct swiotlb *tlb, int pool, struct swiotlb_stats *st);
/* Like the kernel's io_tlb_used_hiwater: only 0 may be written. */
SWIOTLB_API int swiotlb_reset_hiwater(struct swiotlb *tlb, uint64_t value);

/*
 * Render the statistics as debugfs-style "name value" lines (the first pool
 * unsuffixed, the others suffixed "-<pool name>", e.g. io_tlb_nslabs-highmem)
 * or as one JSON object.  Return the length the full text needs (like
 * snprintf); the buffer is always NUL-terminated when len > 0.
 */
SWIOTLB_API size_t swiotlb_stats_text(const struct swiotlb *tlb, char *buf, size_t len);
SWIOTLB_API size_t swiotlb_stats_json(const struct swiotlb *tlb, char *buf, size_t len);

/* ---------------------------------------------------------------- events */

/* The swiotlb_bounced tracepoint (docs/kernel-semantics.md §8.2). */
struct swiotlb_bounce_event {
	const char *dev_name;
	uint64_t dma_mask;
	uint64_t dev_addr; /* device address of the original buffer */
	size_t size;
	bool force;
};
/* `line` is the event in the kernel's trace format:
 * "dev_name: %s dma_mask=%llx dev_addr=%llx size=%zu %s" (FORCE/NORMAL). */
typedef void (*swiotlb_event_fn)(void *arg, const struct swiotlb_bounce_event *ev, const char *line);
SWIOTLB_API void swiotlb_set_event_hook(struct swiotlb *tlb, swiotlb_event_fn fn, void *arg);

/* ------------------------------------------------------------ debug mode */

/*
 * Debug mode (swiotlb_config.debug; docs/debug.md): redzones around every
 * bounce buffer, poison in freed slots, a history of recent unmaps for
 * double-unmap and stale-sync reports, and a leak report at destroy.
 *
 * swiotlb_debug_cpu_read: a platform that trapped a CPU read inside a range
 * armed with its cpu_read_guard callback reports it here; the library
 * names the mapping, logs and counts it (debug_cpu_read).  Returns 0, or
 * SWIOTLB_EINVAL when the instance is not in debug mode.
 *
 * swiotlb_debug_report: log the live bounced mappings, grouped by device
 * (what destroy reports as leaks).  Returns how many, or SWIOTLB_EINVAL when
 * the instance is not in debug mode.
 */
SWIOTLB_API int swiotlb_debug_cpu_read(struct swiotlb *tlb, uint64_t phys, size_t len);
SWIOTLB_API int swiotlb_debug_report(struct swiotlb *tlb);

/* ------------------------------------------------------------ invariants */

/*
 * Walk every pool and check the allocator's invariants (free-run counts,
 * area usage, mapping records, statistics).  Returns 0, or SWIOTLB_EINVAL
 * with a description in `why`.  Not for hot paths: O(slots).
 */
SWIOTLB_API int swiotlb_check(const struct swiotlb *tlb, char *why, size_t len);

#ifdef __cplusplus
}
#endif
#endif
