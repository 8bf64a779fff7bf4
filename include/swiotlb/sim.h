/* SPDX-License-Identifier: MIT */
/*
 * The simulated-machine platform: a guest with an e820 memory map, a boot
 * allocator, a guest kind (plain x86, SEV, SEV-SNP, TDX, Xen PV), and
 * simulated devices that reach guest memory only through the bus the kind
 * defines.  It sits on the POSIX platform (one lazily committed mapping of
 * the guest-physical span, so a 20 GiB guest costs only the pages touched)
 * and adds what the POSIX platform does not model:
 *
 *   - e820 maps (usable RAM, reserved firmware ranges, the PCI hole) from a
 *     preset or a machine file, boot-time reservations (kernel image, the
 *     struct-page array) and the x86 rule for when a pool exists at all;
 *   - confidential guests: the C-bit (SEV, SEV-SNP) or the optional TDX
 *     shared bit in device addresses, pools converted to shared once with
 *     the conversions counted and costed, devices refused access to private
 *     memory;
 *   - Xen PV: a p2m table that scatters guest frames over machine memory,
 *     the exchange of each 128-slot chunk of a pool for machine-contiguous
 *     frames below a width that starts at 18 bits and widens, and bounce
 *     decisions taken on machine addresses.
 *
 * The same text format describes a machine and, optionally, a whole
 * experiment (command line, devices, jobs, expectations): see
 * docs/machines.md.  Every function that can fail returns 0 or a negative
 * enum swiotlb_error and writes a message naming the line and the field
 * into the caller's buffer.
 */
#ifndef SWIOTLB_SIM_H
#define SWIOTLB_SIM_H

#include "swiotlb/export.h"
#include "swiotlb/swiotlb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ machines */

enum swiotlb_sim_kind {
	SWIOTLB_SIM_X86 = 0,     /* plain x86-64 guest: a pool only with RAM above 4 GiB, or when forced */
	SWIOTLB_SIM_SEV = 1,     /* AMD SEV: C-bit, force bouncing, 6 % default size */
	SWIOTLB_SIM_SEV_SNP = 2, /* AMD SEV-SNP: as SEV */
	SWIOTLB_SIM_TDX = 3,     /* Intel TDX: shared memory, force bouncing, 6 % default size */
	SWIOTLB_SIM_XEN_PV = 4,  /* Xen PV dom0: p2m translation, machine-contiguous remap */
	SWIOTLB_SIM_NKINDS
};
/* "x86", "sev", "sev-snp", "tdx", "xen-pv"; NULL for an unknown kind. */
SWIOTLB_API const char *swiotlb_sim_kind_name(uint32_t kind);
/* The kind named `name`, or -1. */
SWIOTLB_API int swiotlb_sim_kind_from_name(const char *name);
/* SEV, SEV-SNP and TDX. */
SWIOTLB_API bool swiotlb_sim_kind_is_cc(uint32_t kind);

/* e820 range types (the kernel's numbers) and the PCI hole. */
enum swiotlb_sim_type {
	SWIOTLB_SIM_USABLE = 1,
	SWIOTLB_SIM_RESERVED = 2,
	SWIOTLB_SIM_ACPI = 3,     /* "ACPI data" */
	SWIOTLB_SIM_NVS = 4,      /* "ACPI NVS" */
	SWIOTLB_SIM_UNUSABLE = 5,
	SWIOTLB_SIM_PCI = 100,    /* not RAM: "available for PCI devices" */
};
/* The kernel's name of a type ("usable", "ACPI data", ...). */
SWIOTLB_API const char *swiotlb_sim_type_name(uint32_t type);

#define SWIOTLB_SIM_MAX_RANGES 64
#define SWIOTLB_SIM_MAX_RESERVE 32
#define SWIOTLB_SIM_NAME_MAX 24

struct swiotlb_sim_range {
	uint64_t start, end; /* guest-physical, end exclusive */
	uint32_t type;       /* enum swiotlb_sim_type (reservations: SWIOTLB_SIM_RESERVED) */
	uint32_t line;       /* where it was given (machine files), 0 for presets */
	char name[SWIOTLB_SIM_NAME_MAX];
};

#define SWIOTLB_SIM_MEMMAP_AUTO UINT64_MAX /* 64 bytes of struct page per 4 KiB of RAM */
#define SWIOTLB_SIM_COST_AUTO UINT64_MAX   /* the kind's default conversion cost */

struct swiotlb_sim_machine {
	uint32_t size;   /* sizeof(struct swiotlb_sim_machine), set by swiotlb_sim_machine_init */
	uint32_t kind;   /* enum swiotlb_sim_kind */
	char name[64];
	uint32_t cpus;   /* possible CPUs: fixes the area count */
	uint32_t nranges;
	struct swiotlb_sim_range ranges[SWIOTLB_SIM_MAX_RANGES]; /* the e820 map, sorted, disjoint */
	uint32_t nreserve;
	struct swiotlb_sim_range reserve[SWIOTLB_SIM_MAX_RESERVE]; /* boot reservations inside RAM */
	uint64_t memmap;        /* bytes the kernel takes top-down before swiotlb; SWIOTLB_SIM_MEMMAP_AUTO */
	bool any;               /* confidential guests: SWIOTLB_ANY placement (the 2026 x86 patch) */
	uint32_t cbit;          /* SEV, SEV-SNP: C-bit position (default 47) */
	uint32_t shared_bit;    /* TDX: bit set in device addresses of shared memory; 0 = none (Linux x86) */
	uint64_t conversion_ns; /* simulated cost of converting one 4 KiB page private <-> shared;
				   SWIOTLB_SIM_COST_AUTO: 1 us for SEV, 2.5 us for SEV-SNP and TDX */
	uint64_t machine_mem;   /* Xen: host machine memory; 0 = twice the guest's RAM */
	uint64_t p2m_seed;      /* Xen: seed of the frame scattering */
	uint32_t p2m_run;       /* Xen: longest run of machine-contiguous guest frames (1..512) */
};

/* Defaults for a kind, with an empty memory map. */
SWIOTLB_API void swiotlb_sim_machine_init(struct swiotlb_sim_machine *m, uint32_t kind);

/*
 * The preset memory map of a PC-like guest with `mem` bytes of RAM: `low`
 * bytes below 4 GiB (0: min(mem, 3 GiB)), the rest from 4 GiB up; the
 * legacy holes, ACPI tables at the top of low RAM, the PCI hole up to
 * 4 GiB, and the kernel image at 16 MiB.  Replaces the map and the
 * reservations of *m.
 */
SWIOTLB_API int swiotlb_sim_preset(struct swiotlb_sim_machine *m, uint64_t mem, uint64_t low, char *err, size_t len);

/* Check a machine: ranges sorted and disjoint, reservations inside RAM,
 * the C-bit above every address.  Sorts the ranges.  `label` prefixes
 * messages ("file.sim" for ranges that carry line numbers). */
SWIOTLB_API int swiotlb_sim_machine_check(struct swiotlb_sim_machine *m, const char *label, char *err, size_t len);

/* Bytes of usable RAM, and the end of the highest usable range. */
SWIOTLB_API uint64_t swiotlb_sim_ram_bytes(const struct swiotlb_sim_machine *m);
SWIOTLB_API uint64_t swiotlb_sim_ram_top(const struct swiotlb_sim_machine *m);

/* --------------------------------------------------------- the machine */

struct swiotlb_sim;

/* Build the guest: address space, RAM map, reservations, the Xen p2m. */
SWIOTLB_API int swiotlb_sim_create(const struct swiotlb_sim_machine *m, struct swiotlb_sim **out, char *err, size_t len);
SWIOTLB_API void swiotlb_sim_destroy(struct swiotlb_sim *sim);
SWIOTLB_API const struct swiotlb_sim_machine *swiotlb_sim_get_machine(const struct swiotlb_sim *sim);

/* The platform table of this machine (ctx = sim). */
SWIOTLB_API void swiotlb_sim_platform(struct swiotlb_sim *sim, struct swiotlb_platform *plat);

struct swiotlb_sim_boot_opts {
	const char *cmdline; /* the whole kernel command line; NULL = "" */
	uint32_t dialect;    /* enum swiotlb_dialect of swiotlb= */
	bool lenient;        /* ignore malformed swiotlb= values as the kernel does */
};

/* What the boot decided. */
struct swiotlb_sim_boot_info {
	bool enabled;        /* x86_swiotlb_enable: the arch wants a pool */
	bool force;          /* every mapping bounces */
	bool any;            /* pools placed anywhere (SWIOTLB_ANY) */
	bool iommu_off, iommu_soft;
	uint64_t adjust_bytes; /* the confidential-guest size request (6 % of RAM, clamped), or 0 */
	const char *reason;  /* why there is (or is not) a pool, one phrase */
};

/*
 * Boot: print the memory map and the kind's lines, parse the command line
 * (swiotlb= in the chosen dialect, iommu=off|soft), apply the kind's rules
 * (x86 detection, SEV/TDX force and 6 % size, Xen's remap) and create the
 * instance with the kernel's log lines.  Returns 0 and *tlb (possibly with
 * no pool), or SWIOTLB_EBADCONFIG with a message about the command line.
 * Once per machine.
 */
SWIOTLB_API int swiotlb_sim_boot(struct swiotlb_sim *sim, const struct swiotlb_sim_boot_opts *opts, struct swiotlb **tlb,
		     char *err, size_t len);
SWIOTLB_API const struct swiotlb_sim_boot_info *swiotlb_sim_get_boot_info(const struct swiotlb_sim *sim);

/* The boot log so far (and later library messages), one line each. */
SWIOTLB_API size_t swiotlb_sim_log_count(const struct swiotlb_sim *sim);
SWIOTLB_API const char *swiotlb_sim_log_line(const struct swiotlb_sim *sim, size_t i);

/* Counters of the simulated hardware and hypervisor. */
struct swiotlb_sim_counters {
	uint64_t shares, unshares;     /* conversions private -> shared and back */
	uint64_t shared_pages;         /* pages converted to shared, in total */
	uint64_t conversion_ns;        /* simulated time spent converting */
	uint64_t xen_chunks;           /* 128-slot chunks exchanged for contiguous frames */
	uint64_t xen_failed;           /* remaps that failed (the pool then halves) */
	uint32_t xen_bits_first;       /* width of the first exchange of the last remap */
	uint32_t xen_bits_last;        /* width it had widened to at its end */
	uint64_t dma_faults;           /* device accesses the bus refused */
	uint64_t cpu_read_early;       /* debug mode: CPU reads of an original a device still owned */
};
SWIOTLB_API void swiotlb_sim_get_counters(const struct swiotlb_sim *sim, struct swiotlb_sim_counters *c);

/* Per pool, the exchange widths of its Xen remap (0, 0 when none). */
SWIOTLB_API void swiotlb_sim_xen_bits(const struct swiotlb_sim *sim, uint64_t pool_base, uint32_t *first, uint32_t *last);

/* Guest memory: a CPU pointer to [phys, phys+len) of usable RAM, or NULL. */
SWIOTLB_API void *swiotlb_sim_ptr(struct swiotlb_sim *sim, uint64_t phys, size_t len);
/*
 * The simulated CPU reads [phys, phys+len) of guest memory.  In debug mode
 * (docs/debug.md) the library arms the originals devices are still writing;
 * a read of one is counted (cpu_read_early), logged and reported to the
 * instance (swiotlb_debug_cpu_read).  Returns true for such a read.
 */
SWIOTLB_API bool swiotlb_sim_cpu_read(struct swiotlb_sim *sim, uint64_t phys, size_t len);
/* Take guest RAM for buffers (top-down, page aligned, below `max` inclusive). */
SWIOTLB_API int swiotlb_sim_alloc(struct swiotlb_sim *sim, uint64_t bytes, uint64_t max, uint64_t *phys);

/*
 * A device's DMA: move `len` bytes between `buf` and bus address `dma`
 * (to_memory: the device writes memory).  The bus refuses an address above
 * `limit`, an address with the C-bit set (private memory), a page that is
 * not shared in a confidential guest, and a machine frame that is not the
 * guest's; Xen addresses are translated page by page through the m2p, so a
 * buffer that is not machine-contiguous lands on the wrong guest pages.
 * Returns 0, or SWIOTLB_EPLATFORM with the reason in `why`.
 */
SWIOTLB_API int swiotlb_sim_dma(struct swiotlb_sim *sim, uint64_t dma, void *buf, size_t len, bool to_memory, uint64_t limit,
		    char *why, size_t whylen);

/* --------------------------------------------------- devices and jobs */

enum swiotlb_sim_devtype {
	SWIOTLB_SIM_DEV_GENERIC = 0,
	SWIOTLB_SIM_DEV_NVME = 1,   /* 64-bit, min_align_mask 0xfff */
	SWIOTLB_SIM_DEV_SCSI = 2,   /* virtio-scsi / Hyper-V storvsc: 64-bit */
	SWIOTLB_SIM_DEV_NIC = 3,    /* 64-bit; receives are synced for the CPU, then unmapped without copy */
	SWIOTLB_SIM_DEV_LEGACY = 4, /* 32-bit */
};

#define SWIOTLB_SIM_MAX_DEVICES 16
#define SWIOTLB_SIM_MAX_JOBS 8
#define SWIOTLB_SIM_MAX_QUEUES 64
#define SWIOTLB_SIM_MAX_DEPTH 4096
#define SWIOTLB_SIM_MAX_THREADS 64

struct swiotlb_sim_device {
	char name[SWIOTLB_SIM_NAME_MAX];
	uint32_t type;          /* enum swiotlb_sim_devtype */
	uint64_t dma_mask;
	uint64_t bus_limit;     /* 0: none */
	uint64_t min_align;     /* min_align_mask */
	uint64_t seg_boundary;  /* 0: none */
	uint32_t queues, depth;
	bool rx_sync;           /* reads: sync_for_cpu, then unmap with SKIP_CPU_SYNC */
	uint32_t line;          /* where it was given (files), 0 otherwise */
	uint32_t hostile;       /* SWIOTLB_SIM_HOSTILE_* behaviours; 0: an honest device */
};

/*
 * A hostile device (docs/machines.md, "Hostile devices").  Its driver is
 * honest but believes the device; the device attacks through the pools,
 * which a confidential guest shares with the host.  A run with one
 * verifies every device's data by owner (see swiotlb_sim_verify_result).
 */
enum swiotlb_sim_hostile_kind {
	SWIOTLB_SIM_HOSTILE_SCRIBBLE = 0, /* writes every pool byte but other devices' data in flight */
	SWIOTLB_SIM_HOSTILE_REWRITE = 1,  /* rewrites its bounce buffer between its completion and the unmap */
	SWIOTLB_SIM_HOSTILE_DOUBLE = 2,   /* completes twice: unmap and syncs of the freed address */
	SWIOTLB_SIM_HOSTILE_LIE = 3,      /* reports a wrong length: a sync and an unmap with it, writes past its buffer */
	SWIOTLB_SIM_HOSTILE_PEEK = 4,     /* reads every byte of every pool, slots it was not given included */
	SWIOTLB_SIM_HOSTILE_KINDS = 5,
};
#define SWIOTLB_SIM_HOSTILE_ALL ((1u << SWIOTLB_SIM_HOSTILE_KINDS) - 1)
/* Devices in a run with a hostile one: each byte of data carries its owner in 4 bits. */
#define SWIOTLB_SIM_MAX_VERIFIED_DEVICES 15

/* "scribble", "rewrite", "double", "lie", "peek"; NULL past the last. */
SWIOTLB_API const char *swiotlb_sim_hostile_name(unsigned kind);
/* A list of behaviours separated by ':' or '+', or "all" / "none", as a bit
 * set (1 << kind).  false if a name is unknown. */
SWIOTLB_API bool swiotlb_sim_parse_hostile(const char *list, uint32_t *out);

struct swiotlb_sim_job {
	char name[SWIOTLB_SIM_NAME_MAX];
	char devices[160];      /* ':'-separated device names; "" = every device */
	uint32_t rwmixread;     /* percent of I/Os that are reads (device -> memory) */
	uint32_t bs_min, bs_max;/* bytes */
	uint32_t align;         /* buffer offset granularity inside a page (512: sector-aligned buffers) */
	uint32_t iodepth;       /* in flight per queue (capped by the device's depth) */
	uint64_t ios;           /* I/Os in all; 0 with runtime_ms */
	uint64_t runtime_ms;
	uint32_t threads;
	uint64_t seed;
	bool low_buffers;       /* original buffers below 4 GiB (default: high RAM) */
	uint32_t line;          /* where it was given (files), 0 otherwise */
};

SWIOTLB_API void swiotlb_sim_device_init(struct swiotlb_sim_device *d, const char *name, uint32_t type, uint32_t cpus);
SWIOTLB_API void swiotlb_sim_job_init(struct swiotlb_sim_job *j, const char *name);
SWIOTLB_API const char *swiotlb_sim_devtype_name(uint32_t type);

struct swiotlb_sim_dev_result {
	uint64_t ios, reads, writes, bytes_read, bytes_written;
	uint64_t bounced, direct;           /* maps the library bounced / mapped directly */
	uint64_t retries;                   /* maps refused "full" and retried after completions */
	uint64_t errors;                    /* I/Os that failed to map */
	uint64_t verify_errors;             /* data that arrived wrong */
	uint64_t faults;                    /* DMA the bus refused */
	uint64_t per_pool[SWIOTLB_MAX_POOLS];/* bounced maps served by each pool */
	char first_error[200];
	/* runs with a hostile device (swiotlb_sim_verify_result) */
	uint64_t verified_bytes;            /* honest device: bytes compared with their pattern */
	uint64_t mismatch_bytes;            /* ... that were wrong */
	uint64_t leak_bytes;                /* bytes of another device found in this device's originals */
	uint64_t stray_bytes;               /* bytes of this device's originals changed outside a copy-back */
};

/* What one hostile behaviour did and how the library answered. */
struct swiotlb_sim_hostile_result {
	uint64_t actions;    /* I/Os (or moments) on which the device did it */
	uint64_t bytes;      /* bytes written (scribble, rewrite, lie) or read (peek) */
	uint64_t probes;     /* library calls it made the driver issue */
	uint64_t refused;    /* ... refused, as they must be */
	uint64_t accepted;   /* ... accepted, as they must be (a shorter sync) */
	uint64_t unexpected; /* ... answered otherwise: a library defect */
};

/*
 * The verdict of a run with a hostile device.  Every byte of data is tagged
 * with its owner: I/O data (a pattern of device, I/O number and offset) and
 * private bytes (the rest of each original buffer, which no mapping covers
 * and which must never reach a pool).  Must be 0 for the library to keep its
 * promises: mismatch_bytes, leak_bytes, stray_bytes, check_failures,
 * peek_private_bytes and every `unexpected`.
 */
struct swiotlb_sim_verify_result {
	bool active;                /* the run had a hostile device */
	uint64_t verified_bytes;    /* bytes of honest I/O compared with their pattern */
	uint64_t mismatch_bytes;    /* of those, wrong */
	uint64_t leak_bytes;        /* bytes of one device's data or private bytes found in another's original */
	uint64_t guard_bytes;       /* private bytes around originals checked after each I/O */
	uint64_t stray_bytes;       /* bytes of originals changed where no copy-back was due */
	uint64_t checks;            /* swiotlb_check() runs: after each scribble and at the end */
	uint64_t check_failures;
	uint64_t peek_foreign_bytes;/* other devices' I/O data the hostile device saw in the pools */
	uint64_t peek_private_bytes;/* private bytes it saw there */
	struct swiotlb_sim_hostile_result kind[SWIOTLB_SIM_HOSTILE_KINDS];
	char first_problem[240];    /* the first nonzero must-be-0 count, explained */
};

struct swiotlb_sim_job_result {
	uint64_t ios, bytes, elapsed_ns;
	uint32_t threads, queues;
};

/* One DMA API call of a run, for a trace (`swiotlb run --trace`). */
enum swiotlb_sim_dma_op {
	SWIOTLB_SIM_DMA_MAP = 0,
	SWIOTLB_SIM_DMA_UNMAP,
	SWIOTLB_SIM_DMA_SYNC_FOR_CPU,
	SWIOTLB_SIM_DMA_SYNC_FOR_DEVICE,
};

struct swiotlb_sim_dma_event {
	uint32_t op;      /* enum swiotlb_sim_dma_op */
	uint32_t dev;     /* index into the run's devices */
	uint32_t cpu;     /* the simulated CPU that made the call */
	uint32_t dir;     /* enum swiotlb_dir */
	uint32_t attrs;   /* SWIOTLB_ATTR_* */
	int rc;           /* the call's result: 0 or a SWIOTLB_E* code */
	uint64_t phys;    /* the original buffer */
	uint64_t dma;     /* the device address (a failed map: 0) */
	uint64_t size;
	bool bounced;     /* a map that bounced */
};

struct swiotlb_sim_run_opts {
	/* called from the calling thread about every 250 ms (NULL: none) */
	void (*progress)(void *arg, uint64_t done, uint64_t total, uint64_t bytes, uint64_t elapsed_ns);
	void *progress_arg;
	/* called for every map, unmap and sync of the run, from the thread that
	 * made it, in the order the library performed them: while set, each
	 * such call and its event are made under one lock (the run is
	 * serialized at the DMA API).  A map's swiotlb_bounced event (the
	 * instance's event hook) fires on the same thread just before the
	 * map's own.  NULL: none. */
	void (*dma_event)(void *arg, const struct swiotlb_sim_dma_event *ev);
	void *dma_event_arg;
};

struct swiotlb_sim_run_result {
	struct swiotlb_sim_dev_result dev[SWIOTLB_SIM_MAX_DEVICES];
	struct swiotlb_sim_job_result job[SWIOTLB_SIM_MAX_JOBS];
	char *peak;          /* debugfs text taken when half the I/Os were issued (malloc'd; may be NULL) */
	uint64_t elapsed_ns;
	struct swiotlb_sim_verify_result verify; /* runs with a hostile device */
};

/*
 * Drive the devices with the jobs through the real map/sync/unmap paths:
 * every write is a pattern the device checks on the bus, every read a
 * pattern the CPU checks after the unmap.  Returns 0 when the run could be
 * set up (I/O failures are counted in *res), or a negative error with a
 * message.  Free res->peak with swiotlb_sim_run_free.
 */
SWIOTLB_API int swiotlb_sim_run(struct swiotlb_sim *sim, struct swiotlb *tlb, const struct swiotlb_sim_device *devs,
		    unsigned ndevs, const struct swiotlb_sim_job *jobs, unsigned njobs,
		    const struct swiotlb_sim_run_opts *opts, struct swiotlb_sim_run_result *res, char *err, size_t len);
SWIOTLB_API void swiotlb_sim_run_free(struct swiotlb_sim_run_result *res);

/* ---------------------------------------------- machine / scenario files */

#define SWIOTLB_SIM_MAX_EXPECT 64
#define SWIOTLB_SIM_CMDLINE_MAX 1024

struct swiotlb_sim_expect {
	uint32_t line;
	char key[96];   /* a result key (see swiotlb_sim_results), or "log" / "no-log" */
	char op[4];     /* = != < <= > >= */
	char value[160];
};

/* One section of a file (or the whole file): a machine and an experiment. */
struct swiotlb_sim_spec {
	char section[32];
	struct swiotlb_sim_machine machine;
	uint64_t mem, low_mem;     /* preset layout, when the file gives no e820 lines */
	uint32_t mem_line;         /* line of `mem` (0: not given) */
	bool has_e820;
	char cmdline[SWIOTLB_SIM_CMDLINE_MAX];
	uint32_t cmdline_line;     /* line of `cmdline` (0: not from a file) */
	uint32_t dialect;
	bool lenient;
	struct {
		char key[16];
		uint32_t line;
	} keyline[24];             /* the line each one-value keyword was last given on */
	uint32_t ndevices, njobs, nexpect;
	struct swiotlb_sim_device devices[SWIOTLB_SIM_MAX_DEVICES];
	struct swiotlb_sim_job jobs[SWIOTLB_SIM_MAX_JOBS];
	struct swiotlb_sim_expect expect[SWIOTLB_SIM_MAX_EXPECT];
};

/* An empty spec: kind x86, 4 CPUs, no memory map yet. */
SWIOTLB_API void swiotlb_sim_spec_init(struct swiotlb_sim_spec *s);

/*
 * Apply one line of the format (without a [section] header) to a spec.
 * `where` prefixes messages: "file.sim:12" or "--device".  `line` is
 * recorded for ranges and expectations.
 */
SWIOTLB_API int swiotlb_sim_spec_line(struct swiotlb_sim_spec *s, const char *text, const char *where, uint32_t line, char *err,
			  size_t len);

/*
 * Parse a whole file: lines before the first [section] apply to every
 * section; a file without sections is one unnamed section.  Fills up to
 * `max` specs.  `label` names the file in messages.
 */
SWIOTLB_API int swiotlb_sim_spec_parse(const char *text, const char *label, struct swiotlb_sim_spec *specs, unsigned max,
			   unsigned *nspecs, char *err, size_t len);
/* Read and parse a file. */
SWIOTLB_API int swiotlb_sim_spec_load(const char *path, struct swiotlb_sim_spec *specs, unsigned max, unsigned *nspecs,
			  char *err, size_t len);

/* The line `key` (a one-value keyword such as "cbit") was last given on, or 0. */
SWIOTLB_API uint32_t swiotlb_sim_spec_key_line(const struct swiotlb_sim_spec *s, const char *key);

/* Fill in what the lines left open (the preset map from mem/low-mem, device
 * queue counts from the CPUs) and check the whole.  `label` as above. */
SWIOTLB_API int swiotlb_sim_spec_finish(struct swiotlb_sim_spec *s, const char *label, char *err, size_t len);

/* Size "20G", "512M", "4096", "0x1000" (K/M/G/T, optional "iB"/"B"; no
 * leading zero: "010" is refused).  false if malformed. */
SWIOTLB_API bool swiotlb_sim_parse_size(const char *s, uint64_t *out);

/* ------------------------------------------------- results and checks */

/*
 * A flat table of everything a run produced, for expectations:
 *   pools, enabled, force, any, conversions, shared_pages, conversion_ns,
 *   pool.NAME.{slots,bytes,areas,base,end,dma_base,dma_end,xen_bits},
 *   stat.KEY and peak.KEY (debugfs names, e.g. stat.io_tlb_used-highmem),
 *   device.NAME.{ios,reads,writes,bytes,bounced,direct,retries,errors,
 *   verify_errors,faults,pool.POOL}, dma_faults; with a hostile device also
 *   device.NAME.{verified_bytes,mismatch_bytes,leak_bytes,stray_bytes},
 *   verify.{bytes,mismatch_bytes,leak_bytes,guard_bytes,stray_bytes,checks,
 *   check_failures}, hostile.peek.{foreign_bytes,private_bytes} and
 *   hostile.KIND.{actions,bytes,probes,refused,accepted,unexpected}.
 */
struct swiotlb_sim_results;
SWIOTLB_API struct swiotlb_sim_results *swiotlb_sim_results_collect(struct swiotlb_sim *sim, struct swiotlb *tlb,
							const struct swiotlb_sim_spec *spec,
							const struct swiotlb_sim_run_result *run);
SWIOTLB_API void swiotlb_sim_results_free(struct swiotlb_sim_results *r);
/* The value of `key` as text, or NULL. */
SWIOTLB_API const char *swiotlb_sim_results_get(const struct swiotlb_sim_results *r, const char *key);
/* Every key, in the order collected. */
SWIOTLB_API size_t swiotlb_sim_results_count(const struct swiotlb_sim_results *r);
SWIOTLB_API const char *swiotlb_sim_results_key(const struct swiotlb_sim_results *r, size_t i);

/* A run with a hostile device kept every promise: each must-be-0 count of
 * the verdict is 0 (true when the run had no hostile device). */
SWIOTLB_API bool swiotlb_sim_verify_ok(const struct swiotlb_sim_verify_result *v);

/* Check one expectation; true when it holds.  `msg` says what was found. */
SWIOTLB_API bool swiotlb_sim_expect_check(const struct swiotlb_sim_results *r, const struct swiotlb_sim *sim,
			      const struct swiotlb_sim_expect *e, char *msg, size_t len);

#ifdef __cplusplus
}
#endif
#endif
