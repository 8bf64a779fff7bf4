/* SPDX-License-Identifier: MIT */
/*
 * `swiotlb trace`: reading real kernels' swiotlb evidence (kernel logs, DMA
 * trace text, debugfs snapshots) and turning it into explanations, a
 * reconstructed load, a replay through the library and a recommended
 * swiotlb= line.  The formats are described in docs/trace.md.
 *
 * The pieces, one file each:
 *   trace_read.c     buffered line reader; several files merged by time
 *   trace_parse.c    one line -> one struct tev (no allocation, no state
 *                    beyond a scratch area for scatter-gather arrays)
 *   trace_explain.c  the cause of a failure message and its advice
 *   trace_model.c    the reconstruction: devices, pools, live mappings,
 *                    peaks, histograms, leaks, failures, debugfs samples
 *   trace_replay.c   the reconstructed sequence through the library;
 *                    the search behind `advise`
 *   trace_report.c   human text and the swiotlb-trace JSON document
 *   trace_plot.c     the occupancy plot (gnuplot, SVG or PNG)
 *   trace_live.c     sampling a running kernel's debugfs directory
 *   trace.c          the command: options, passes, output
 */
#ifndef SWIOTLB_TOOLS_TRACE_H
#define SWIOTLB_TOOLS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------ events */

enum tev_kind {
	TEV_UNKNOWN = 0, /* not recognised: counted and skipped */
	TEV_HEADER,      /* trace header or '#' comment: skipped silently */
	/* kernel log */
	TEV_E820,        /* BIOS-e820: [mem A-B] TYPE  (a = start, b = end exclusive, u = usable) */
	TEV_CMDLINE,     /* Command line: ... (str) */
	TEV_MAPPED,      /* software IO TLB: [LABEL ]mapped [mem A-B] (NMB)  (a, b, label) */
	TEV_AREA_NUM,    /* area num N.  (a) */
	TEV_ADJUSTED_TO, /* SWIOTLB bounce buffer size adjusted to NMB  (a = MB) */
	TEV_ROUNDUP,     /* SWIOTLB bounce buffer size roundup to NMB  (a = MB) */
	TEV_ADJUSTED_SLABS, /* adjusted A -> B slabs */
	TEV_ALLOC_FAILED,   /* Failed to allocate / remap ... (a = bytes when given) */
	TEV_MEM_ENCRYPT,    /* Memory Encryption Features active: ... (str) */
	TEV_CPUS,           /* smpboot: Allowing N CPUs / nr_cpu_ids:N  (a) */
	TEV_MEMORY,         /* Memory: xK/yK available  (a = bytes of y) */
	TEV_SUPPRESSED,     /* swiotlb...: N callbacks suppressed (a) */
	TEV_FULL,           /* swiotlb buffer is full [(sz: N bytes)[, total T (slots), used U (slots)[, largest free run L (slots)]]] */
	TEV_OUT_OF_SPACE,   /* DMA: Out of SW-IOMMU space for N bytes at device D */
	TEV_COHERENT_FAILED,/* swiotlb: coherent allocation failed for device D size=N */
	TEV_NO_BUFFER,      /* Can not allocate SWIOTLB buffer earlier ... */
	TEV_NEVER_FIT,      /* libswiotlb: request can never fit (sz: N bytes ... */
	/* trace */
	TEV_LOST,           /* CPU:N [LOST M EVENTS]  (a = M) */
	TEV_BOUNCED,        /* swiotlb_bounced */
	TEV_MAP,            /* dma_map_page / dma_map_phys / dma_map_resource */
	TEV_UNMAP,          /* dma_unmap_page / dma_unmap_phys / dma_unmap_resource */
	TEV_MAP_SG,
	TEV_MAP_SG_ERR,
	TEV_UNMAP_SG,
	TEV_SYNC,           /* dma_sync_single_for_{cpu,device} */
	TEV_SYNC_SG,        /* dma_sync_sg_for_{cpu,device} */
	TEV_ALLOC,          /* dma_alloc, dma_alloc_pages, dma_alloc_sgt, dma_alloc_sgt_err */
	TEV_FREE,           /* dma_free, dma_free_pages, dma_free_sgt */
	/* debugfs */
	TEV_DEBUGFS,        /* [.../swiotlb/[POOL/]]io_tlb_NAME[-POOL]:VALUE  (str = counter, label = pool, a) */
	TEV_TIMESTAMP,      /* a time stamp line between debugfs snapshots (ts) */
	TEV_NKINDS
};

/* Names of the events counted in the report (index = enum tev_name). */
enum tev_name {
	TN_NONE = 0,
	TN_E820, TN_CMDLINE, TN_MAPPED, TN_AREA_NUM, TN_ADJUSTED_TO, TN_ROUNDUP, TN_ADJUSTED_SLABS,
	TN_ALLOC_FAILED, TN_MEM_ENCRYPT, TN_CPUS, TN_MEMORY, TN_SUPPRESSED, TN_FULL, TN_OUT_OF_SPACE,
	TN_COHERENT_FAILED, TN_NO_BUFFER, TN_NEVER_FIT, TN_LOST,
	TN_SWIOTLB_BOUNCED, TN_DMA_MAP_PAGE, TN_DMA_MAP_PHYS, TN_DMA_MAP_RESOURCE, TN_DMA_UNMAP_PAGE,
	TN_DMA_UNMAP_PHYS, TN_DMA_UNMAP_RESOURCE, TN_DMA_MAP_SG, TN_DMA_MAP_SG_ERR, TN_DMA_UNMAP_SG,
	TN_DMA_SYNC_SINGLE_FOR_CPU, TN_DMA_SYNC_SINGLE_FOR_DEVICE, TN_DMA_SYNC_SG_FOR_CPU,
	TN_DMA_SYNC_SG_FOR_DEVICE, TN_DMA_ALLOC, TN_DMA_ALLOC_PAGES, TN_DMA_ALLOC_SGT,
	TN_DMA_ALLOC_SGT_ERR, TN_DMA_FREE, TN_DMA_FREE_PAGES, TN_DMA_FREE_SGT,
	TN_DEBUGFS, TN_TIMESTAMP,
	TN_COUNT
};
const char *tev_name_str(int name);

/* swiotlb_bounced's last field across the three generations. */
enum tev_force { TF_NONE = 0, TF_NORMAL, TF_FORCE, TF_NO_FORCE, TF_OTHER };

#define TEV_DIR_UNKNOWN (-1)

struct tev {
	int kind;         /* enum tev_kind */
	int name;         /* enum tev_name */
	bool malformed;   /* matched an event, but a field is missing or unreadable */
	const char *why;  /* what was wrong, when malformed */
	bool has_ts;
	double ts;        /* seconds (since boot for logs and traces, epoch for debugfs dates) */
	int cpu;          /* trace CPU, -1 when none */
	/* device: dev_name for trace events, the device of a log message */
	const char *dev;
	size_t dev_len;
	const char *drv;  /* a log message's driver ("nvme" of "nvme 0000:00:04.0: ...") */
	size_t drv_len;
	const char *str;  /* free text: command line, encryption features, debugfs counter */
	size_t str_len;
	const char *label;/* mapped: "Low Mem", "pool NAME"...; debugfs: pool directory or suffix */
	size_t label_len;
	uint64_t a, b;    /* see the kinds above */
	uint64_t dma, phys, size, mask;
	bool has_dma, has_phys, has_size, has_mask;
	bool has_total, has_used, has_largest;
	uint64_t total, used, largest;
	int dir;          /* 0 BIDIRECTIONAL, 1 TO_DEVICE, 2 FROM_DEVICE, 3 NONE, -1 not given */
	int force;        /* enum tev_force */
	/* scatter-gather arrays (parser scratch, valid until the next line) */
	uint32_t n_dma, n_size, n_phys;
	const uint64_t *dmas, *sizes, *physs;
	bool has_counts;  /* nents=a/b ents=c/d */
	uint32_t nents, full_nents, ents, full_ents;
	bool truncated;   /* " [TRUNCATED]" */
	int err;          /* dma_map_sg_err */
};

struct tev_parser {
	uint64_t *arr[3];
	size_t cap[3];
};

void tev_parser_init(struct tev_parser *p);
void tev_parser_free(struct tev_parser *p);
/* Parse one line (no newline; need not be NUL-terminated).  Returns ev->kind. */
int tev_parse(struct tev_parser *p, const char *line, size_t len, struct tev *ev);

/* ------------------------------------------------------------ reading */

/* One input file, read in large blocks; lines longer than TRACE_LINE_MAX
 * are returned cut, with `overlong` set. */
#define TRACE_LINE_MAX (1u << 20)

struct trace_src {
	FILE *f;
	const char *name;   /* as given ("-" is stdin) */
	bool own;           /* fclose at the end */
	char *buf;
	size_t cap, len, pos;
	bool eof;
	uint64_t lineno;
	/* the current line, valid until the next read */
	const char *line;
	size_t line_len;
	bool overlong;
	bool binary;        /* the line holds a NUL byte */
	/* merge state */
	struct tev ev;
	bool have;          /* ev holds the next line's event */
	double last_ts;     /* the last time stamp of this file (lines without inherit it) */
	bool any_ts;
};

int trace_src_open(struct trace_src *s, const char *path);
void trace_src_close(struct trace_src *s);
/* Next line; false at the end of the file (or on a read error, with errno). */
bool trace_src_next(struct trace_src *s);

/* ------------------------------------------------------------ explaining */

enum trace_cause {
	CAUSE_TOO_LARGE = 0, /* more slots than a segment (128): no pool size helps */
	CAUSE_EXHAUSTED,     /* fewer free slots than needed */
	CAUSE_FRAGMENTED,    /* enough free slots, no contiguous aligned run */
	CAUSE_UNKNOWN,       /* the message lacks the counts */
	CAUSE_NO_POOL,       /* the kernel has no bounce buffer at all */
	CAUSE_COUNT
};
const char *trace_cause_name(int cause);

struct trace_explanation {
	int cause;
	bool has_slots;
	uint64_t slots_needed;
};
/* Classify one failure from what its message says. */
void trace_explain(int kind, bool has_size, uint64_t size, bool has_total, uint64_t total, bool has_used,
		   uint64_t used, bool has_largest, uint64_t largest, struct trace_explanation *out);
/* One sentence of advice for a cause (never NULL). */
const char *trace_advice(int cause);

/* ------------------------------------------------------------ the model */

#define TRACE_HIST_BUCKETS 10 /* request slots: 1, 2, 3-4, 5-8, ..., 129+ */
#define TRACE_SERIES_MAX 1024

/* Occupancy over time with bounded memory: at most TRACE_SERIES_MAX buckets
 * of width `width` seconds from `t0`, each holding the largest value seen in
 * it; when time runs past the last bucket, pairs merge and the width doubles. */
struct trace_series {
	double t0, width;
	bool started;
	uint32_t n;
	uint64_t max[TRACE_SERIES_MAX];
	bool set[TRACE_SERIES_MAX];
	uint32_t fails[TRACE_SERIES_MAX];       /* failure messages */
	uint32_t failed_maps[TRACE_SERIES_MAX]; /* maps traced as failed (dma: events) */
};

struct trace_pool {
	char name[32];
	uint64_t start, end;   /* phys, end exclusive; start == end: bounds unknown */
	bool known;            /* from the log or --pool */
	const char *source;    /* "log", "--pool", "trace" */
	uint64_t live_slots, live_bytes, live_maps;
	uint64_t peak_slots, peak_bytes;
	double peak_time;
	bool has_peak;
	uint64_t maps;
	struct trace_series series;
	/* debugfs */
	bool dbg;
	uint64_t dbg_nslabs, dbg_used, dbg_hiwater, dbg_transient, dbg_used_max;
	uint64_t dbg_samples;
};

struct trace_device {
	char *name;
	bool has_mask;
	uint64_t dma_mask;
	uint64_t bounces;      /* swiotlb_bounced events */
	uint64_t forced;       /* of which FORCE */
	uint64_t max_size;     /* largest bounced (or mapped-and-bounced) size */
	uint64_t maps, bounced_maps, failed_maps, unmaps, syncs, allocs, frees;
	uint64_t live_slots, peak_slots, live_maps, peak_maps;
	double peak_time;
	uint64_t hist[TRACE_HIST_BUCKETS];
	double first_ts, last_ts;
	bool any_ts;
	uint64_t unmatched_unmaps;
	uint64_t leaks, leaked_slots;
	/* replay inference */
	uint64_t off_maps;        /* bounced maps with a non-zero offset in their slot */
	uint64_t bit11_same, bit11_diff;
	uint64_t pool_maps[8];    /* bounced maps per pool index (first 8 pools) */
	uint32_t idx;
};

struct trace_failure {
	uint32_t file;       /* index into the model's file names */
	uint64_t line;
	int dev;             /* device index, -1 when the message names none */
	int kind;            /* enum tev_kind of the message */
	bool has_size, has_total, has_used, has_largest;
	uint64_t size, total, used, largest;
	struct trace_explanation ex;
	double ts;
	bool has_ts;
};

struct trace_malformed {
	uint32_t file;
	uint64_t line;
	int name;
	const char *why;
};

/* One reconstructed bounce operation, handed to a sink (the replay). */
struct trace_op {
	bool map;            /* else unmap */
	uint32_t dev;
	uint64_t id;         /* pairs an unmap with its map */
	uint64_t phys, size, slots;
	uint64_t dma;
	int cpu;
	int dir;
	int pool;            /* the model's pool index, -1 none */
};
typedef void (*trace_op_fn)(void *arg, const struct trace_op *op);

#define TRACE_MAX_POOLS 16
#define TRACE_MAX_MALFORMED_LISTED 100

struct trace_live;   /* a live mapping (trace_model.c) */
struct trace_htab {  /* open addressing on (a, b) -> value (trace_model.c) */
	uint64_t *ka, *kb;
	uint32_t *val;
	size_t cap, n;
};

struct trace_model {
	/* inputs */
	char **files;
	uint32_t nfiles;
	uint64_t lines, skipped, malformed, headers, overlong, binary, lost_events;
	uint64_t events[TN_COUNT];
	struct trace_malformed malformed_list[TRACE_MAX_MALFORMED_LISTED];
	uint32_t nmalformed_listed;
	bool quiet_malformed;      /* no stderr report (the replay's extra passes) */
	uint32_t malformed_printed;
	/* what the log says */
	uint64_t e820_usable;      /* bytes of usable RAM in BIOS-e820 lines */
	uint32_t ne820;
	uint64_t e820_start[64], e820_end[64];
	bool e820_usable_flag[64];
	uint64_t mem_total;        /* Memory: .../yK available */
	uint32_t cpus;             /* the log's CPU count, 0 unknown */
	uint32_t max_trace_cpu;    /* highest CPU seen in the trace + 1 */
	uint32_t area_num;
	char cmdline[512];         /* the swiotlb= parameter of the command line, "" none */
	bool cc;                   /* memory encryption active */
	char cc_what[96];
	uint64_t adjusted_to_mb, roundup_mb, adjusted_from, adjusted_slabs;
	bool has_adjusted_to, has_roundup, has_adjusted_slabs;
	uint64_t alloc_failed, suppressed;
	bool forced_cmdline;
	/* pools */
	struct trace_pool pools[TRACE_MAX_POOLS];
	uint32_t npools, nknown;
	int other_pool;            /* index of the pool of bounces outside every known pool, -1 */
	/* devices */
	struct trace_device **devs;
	uint32_t ndevs, cap_devs;
	struct trace_htab dev_by_name;
	/* live mappings */
	struct trace_live *live;
	uint32_t nlive_slab, cap_live;
	uint32_t free_live;        /* free list head, UINT32_MAX none */
	struct trace_htab by_dma;  /* (dev, dma) -> live */
	struct trace_htab by_phys; /* (dev, phys) -> live, scatter-gather entries */
	uint64_t next_id;
	uint64_t live_bounced, peak_live_bounced;
	/* per CPU: the last swiotlb_bounced (for pairing with a map) */
	struct { uint32_t dev; uint64_t size; bool set; } *lastb;
	uint32_t ncpu_lastb;
	/* failures */
	struct trace_failure *fails;
	size_t nfails, cap_fails;
	uint64_t causes[CAUSE_COUNT];
	/* totals */
	uint64_t maps, bounced_maps, unmaps, unmatched_unmaps, failed_maps, sg_truncated, remapped;
	uint64_t hist[TRACE_HIST_BUCKETS];
	double first_ts, last_ts;
	bool any_ts;
	uint64_t total_slots, peak_total_slots, peak_total_bytes, live_total_bytes;
	double peak_total_time;
	bool dma_events;           /* any dma: map/unmap seen */
	double dma_first_ts, dma_last_ts; /* the span of the map/unmap events (rates) */
	/* output sink */
	trace_op_fn op_fn;
	void *op_arg;
	/* options */
	uint32_t nuser_pools;
};

void trace_model_init(struct trace_model *m);
void trace_model_free(struct trace_model *m);
/* Add a pool named NAME with bounds (from --pool, before any input). */
int trace_model_add_pool(struct trace_model *m, const char *name, uint64_t start, uint64_t end, const char *source);
/* Feed one event, read from file `file` at `line`. */
void trace_model_feed(struct trace_model *m, uint32_t file, uint64_t line, const struct tev *ev);
/* End of input: count leaks. */
void trace_model_finish(struct trace_model *m);
void trace_series_add(struct trace_series *s, double t, uint64_t v, bool fail);
/* A map traced as failed at t, with v slots in use (the plot marks it). */
void trace_series_failed_map(struct trace_series *s, double t, uint64_t v);
/* Slots a mapping of `size` bytes starting `off` bytes into its first slot holds. */
static inline uint64_t trace_slots(uint64_t off, uint64_t size)
{
	return (off + size + 2047) >> 11;
}
/* Bucket of a request of `slots` slots in the histograms. */
unsigned trace_hist_bucket(uint64_t slots);
const char *trace_hist_label(unsigned bucket);

/* Read every file through the model (one pass).  Returns 0, or 2 when a
 * file cannot be opened (message printed). */
int trace_run_pass(struct trace_model *m, char **paths, int npaths);

/* ------------------------------------------------------------ replay */

struct trace_replay_opts {
	const char *cmdline;     /* swiotlb=... */
	const char *dialect;     /* mainline (default), rfc2021, named */
	const char *policy;      /* fast, linux, ... (NULL: library default) */
	uint32_t cpus;           /* 0: the log's CPU count, or the trace's */
	bool quiet;
};

struct trace_replay_result {
	bool ok;                 /* the instance was created */
	char error[256];
	uint64_t maps, unmaps, failures, fail_cause[CAUSE_COUNT];
	uint64_t fail_unreachable, fail_other, unmap_errors;
	uint32_t npools;
	struct {
		char name[32];
		uint64_t nslabs, base, end, hiwater, largest_free_at_peak;
		uint64_t served[64];  /* bounced maps per device (first 64 devices) */
	} pools[8];
	uint64_t hiwater;        /* instance total */
	char cmdline[256];
};

/* Replay the model's reconstructed sequence by re-reading `paths`.  `m` is
 * the model of the first pass (devices, masks, machine). */
int trace_replay(const struct trace_model *m, char **paths, int npaths, const struct trace_replay_opts *o,
		 struct trace_replay_result *r);

struct trace_advice_row {
	char label[48];
	char cmdline[128];
	bool applicable;
	char note[160];
	uint64_t slots, bytes;
	struct trace_replay_result res;
};

struct trace_advice {
	uint32_t nrows;
	struct trace_advice_row rows[6];
	int recommended;         /* row index */
	double headroom;         /* requested, fraction */
	double headroom_got;
	uint64_t too_large;      /* failures no size can fix */
	bool from_dma;           /* the load came from dma: events (else from failures only) */
	uint64_t low_ram;        /* usable RAM below 4 GiB in the log's e820 map, 0 unknown */
	char why[256];
};

int trace_advise(const struct trace_model *m, char **paths, int npaths, const struct trace_replay_opts *o,
		 double headroom, struct trace_advice *a);

/* Round a slot count as the kernel rounds the default pool with `nareas` areas. */
uint64_t trace_kernel_round(uint64_t nslabs, uint32_t nareas);

/* ------------------------------------------------------------ output */

void trace_report_text(FILE *f, const struct trace_model *m);
void trace_report_replay_text(FILE *f, const struct trace_model *m, const struct trace_replay_result *r);
void trace_report_advice_text(FILE *f, const struct trace_model *m, const struct trace_advice *a);
/* The whole swiotlb-trace JSON document; `r` and `a` may be NULL. */
void trace_report_json(FILE *f, const struct trace_model *m, const char *command,
		       const struct trace_replay_result *r, const struct trace_advice *a);

/* ------------------------------------------------------------ plot */

enum { TRACE_PLOT_SVG = 0, TRACE_PLOT_PNG };
/* Draw slots in use over time per pool (sizes and failures marked) into
 * `path` with gnuplot.  Returns 0, or 2 with a message (no data, no
 * gnuplot: its script is then left in PATH.gp). */
int trace_plot(const struct trace_model *m, const char *path, int format);

/* ------------------------------------------------------------ live */

struct trace_live_opts {
	const char *dir;       /* NULL: /sys/kernel/debug/swiotlb */
	double interval;       /* seconds between samples */
	uint64_t count;        /* stop after this many samples (0: no limit) */
	double duration;       /* stop after this many seconds (0: no limit) */
	const char *output;    /* the samples' file (NULL: stdout) */
};
/* Sample until count, duration or SIGINT/SIGTERM, feeding every line
 * written to `m` (file 0).  Returns 0, or 2 with a message (the directory
 * missing or unreadable: how to mount debugfs). */
int trace_live(const struct trace_live_opts *o, struct trace_model *m);

#endif
