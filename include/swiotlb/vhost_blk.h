/* SPDX-License-Identifier: MIT */
/*
 * libswiotlb vhost-user-blk front end (module swiotlb_vhost, POSIX only).
 *
 * A confidential guest in one process: every byte of its simulated RAM is
 * private (anonymous memory) until it is explicitly shared.  The front end
 * creates a libswiotlb instance whose bounce pool is shared with the device,
 * allocates the virtqueue rings from shared memory as coherent DMA
 * allocations are, and connects to a vhost-user-blk back end (for example
 * qemu-storage-daemon) over its unix socket.  The memory table it sends
 * names only the shared ranges, each backed by its own memfd, so the back
 * end cannot see the workload's buffers at all: each request's header, data
 * and status byte are mapped through libswiotlb and the descriptors carry
 * bounce addresses.  With share_all the workload arena is shared too and
 * the mappings are direct: the no-bounce baseline.
 *
 * Conventions: functions return 0 (or a count) or a negative errno;
 * swiotlb_vblk_errmsg() holds a sentence about the last failure.  One thread
 * at a time per queue; different queues may be driven from different
 * threads.  SIGPIPE is never raised (MSG_NOSIGNAL).  See docs/vhost-blk.md.
 */
#ifndef SWIOTLB_VHOST_BLK_H
#define SWIOTLB_VHOST_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "swiotlb/export.h"
#include "swiotlb/swiotlb.h"

#ifdef __cplusplus
extern "C" {
#endif

/* virtio-blk request types and status values (virtio 1.x, 5.2.6). */
#define SWIOTLB_VBLK_T_IN 0u
#define SWIOTLB_VBLK_T_OUT 1u
#define SWIOTLB_VBLK_T_FLUSH 4u
#define SWIOTLB_VBLK_T_GET_ID 8u
#define SWIOTLB_VBLK_S_OK 0u
#define SWIOTLB_VBLK_S_IOERR 1u
#define SWIOTLB_VBLK_S_UNSUPP 2u
#define SWIOTLB_VBLK_ID_BYTES 20u
#define SWIOTLB_VBLK_SECTOR 512u

#define SWIOTLB_VBLK_MAX_QUEUES 16

/* ------------------------------------------------------------ front end */

/* One map or unmap of a request's header, data or status (opts.dma_event). */
struct swiotlb_vblk_dma_event {
	bool map;         /* else an unmap */
	uint32_t queue;   /* the virtqueue whose request it is */
	uint32_t dir;     /* enum swiotlb_dir */
	uint32_t attrs;   /* SWIOTLB_ATTR_* */
	int rc;           /* the call's result: 0 or a SWIOTLB_E* code */
	uint64_t phys;    /* the original buffer */
	uint64_t dma;     /* the device address (a failed map: 0) */
	uint64_t size;
	bool bounced;     /* a map that bounced */
};

struct swiotlb_vblk_opts {
	uint32_t size;          /* sizeof(struct swiotlb_vblk_opts) */
	const char *socket;     /* the back end's unix socket */
	uint32_t num_queues;    /* 0: 1; clamped to what the back end offers */
	uint32_t queue_size;    /* descriptors per queue, power of two; 0: 256 */
	uint64_t pool_bytes;    /* bounce pool; 0: 64 MiB */
	bool pool_exact;        /* pool_bytes / 2048 slots exactly (tests make tiny pools) */
	uint64_t arena_bytes;   /* private memory for the workload's buffers; 0: 64 MiB */
	bool share_all;         /* share the arena too and map directly: the baseline */
	int timeout_ms;         /* longest wait for the back end; 0: 30000 */
	int connect_timeout_ms; /* retry connect() this long; 0: 5000 */
	swiotlb_log_fn log;     /* library and front-end messages; may be NULL */
	void *log_arg;
	/* every map and unmap of the data path (swiotlb run/blk --trace), from
	 * the thread that made it, in the order the library performed them:
	 * while set, each such call and its event are made under one lock.  A
	 * map's swiotlb_bounced event (the instance's event hook) fires on the
	 * same thread just before the map's own.  NULL: none. */
	void (*dma_event)(void *arg, const struct swiotlb_vblk_dma_event *ev);
	void *dma_event_arg;
};
SWIOTLB_API void swiotlb_vblk_opts_init(struct swiotlb_vblk_opts *o);

struct swiotlb_vblk;

/*
 * Build the guest (address space, pool, rings, arena), connect, negotiate
 * and start every queue.  On failure *out is NULL and, when err is not
 * NULL, err receives the reason.
 */
SWIOTLB_API int swiotlb_vblk_open(const struct swiotlb_vblk_opts *o, struct swiotlb_vblk **out, char *err,
		      size_t errlen);
/* Stop the rings (GET_VRING_BASE) if the back end is alive, disconnect, free all. */
SWIOTLB_API void swiotlb_vblk_close(struct swiotlb_vblk *vb);

struct swiotlb_vblk_info {
	uint64_t features;           /* negotiated virtio feature bits */
	uint64_t protocol_features;  /* negotiated vhost-user protocol feature bits */
	uint64_t capacity;           /* bytes */
	uint32_t blk_size;           /* logical block size (512 when not offered) */
	uint32_t seg_max;            /* data segments per request (0: no limit offered) */
	uint32_t size_max;           /* bytes per segment (0: no limit offered) */
	uint32_t num_queues;         /* queues in use */
	uint32_t queue_size;
	bool read_only;
	bool share_all;
	uint32_t nregions;           /* regions in the memory table */
	uint64_t shared_bytes;       /* bytes the back end can see (pool + rings [+ arena]) */
	uint64_t private_bytes;      /* the arena, when it is not shared */
	uint64_t coherent_conversions; /* shares done for the rings (and the arena) */
	uint64_t max_request_bytes;  /* largest data length one request may carry */
};
SWIOTLB_API int swiotlb_vblk_info(const struct swiotlb_vblk *vb, struct swiotlb_vblk_info *info);
SWIOTLB_API struct swiotlb *swiotlb_vblk_tlb(struct swiotlb_vblk *vb);
SWIOTLB_API const char *swiotlb_vblk_errmsg(const struct swiotlb_vblk *vb);

/*
 * Carve `bytes` (rounded up to `align`, a power of two) from the arena:
 * private memory, or shared under share_all.  Returns 0 with the phys
 * address and a CPU pointer, or -ENOMEM.
 */
SWIOTLB_API int swiotlb_vblk_alloc(struct swiotlb_vblk *vb, size_t bytes, size_t align, uint64_t *phys, void **cpu);
/* Give back `phys` and everything allocated after it (the arena is a stack). */
SWIOTLB_API void swiotlb_vblk_release(struct swiotlb_vblk *vb, uint64_t phys);

/*
 * One request.  The caller owns the struct until it comes back from
 * swiotlb_vblk_complete(); `data` is the phys address of an arena buffer.
 */
struct swiotlb_vblk_req {
	uint32_t type;      /* SWIOTLB_VBLK_T_* */
	uint64_t sector;    /* 512-byte units */
	uint64_t data;      /* phys of the buffer (arena) */
	uint32_t len;       /* bytes; a multiple of 512 for IN/OUT */
	void *cookie;       /* the caller's */
	/* results */
	uint8_t status;     /* SWIOTLB_VBLK_S_*, or 0xff when never completed */
	int error;          /* 0, or negative errno: the request did not complete */
	uint32_t used_len;  /* bytes the device reported writing */
	/* private to the module */
	uint16_t head;
	uint16_t ndesc;
};

/*
 * Map the header, data and status through libswiotlb and publish the chain
 * on queue q; the back end is notified by swiotlb_vblk_kick() (batching) or
 * at once when kick is true.  Errors: -ENOBUFS the bounce pool is full now
 * (nothing was queued; *swiotlb_err holds the library's code), -EAGAIN the
 * ring has no free descriptors, -E2BIG the request can never fit,
 * -EINVAL, and the connection's error (-EPIPE, -ECONNRESET, -ETIMEDOUT,
 * -EPROTO) once the back end is gone.
 */
SWIOTLB_API int swiotlb_vblk_submit(struct swiotlb_vblk *vb, unsigned q, struct swiotlb_vblk_req *r, bool kick,
			int *swiotlb_err);
SWIOTLB_API int swiotlb_vblk_kick(struct swiotlb_vblk *vb, unsigned q);

/*
 * Reap up to `max` completed requests of queue q into done[], waiting up to
 * timeout_ms (-1: the connection's timeout) when none is ready.  Returns
 * the count, 0 when nothing is in flight or when a wait shorter than the
 * connection's timeout ran out, or a negative errno.  A wait as long as the
 * connection's timeout that sees no completion declares the back end dead
 * (-ETIMEDOUT).  Once the back end is dead, the requests still in flight
 * come back with error set (their bounce slots released without copying:
 * nothing is reported as done that was not), then the error is returned.
 */
SWIOTLB_API int swiotlb_vblk_complete(struct swiotlb_vblk *vb, unsigned q, struct swiotlb_vblk_req **done, int max,
			  int timeout_ms);
/* Requests submitted and not yet returned on queue q. */
SWIOTLB_API unsigned swiotlb_vblk_inflight(const struct swiotlb_vblk *vb, unsigned q);

/* ------------------------------------------------------ built-in back end */

struct swiotlb_vblk_backend_opts {
	uint32_t size;          /* sizeof(struct swiotlb_vblk_backend_opts) */
	const char *socket;     /* path to listen on (replaced if it exists) */
	const char *image;      /* raw image file; NULL: a memory image */
	uint64_t mem_bytes;     /* size of the memory image; 0: 64 MiB */
	uint32_t num_queues;    /* offered; 0: 4 */
	uint32_t seg_max;       /* offered; 0: 128 */
	bool read_only;
	uint64_t fail_after;    /* 0: never; else close the connection when this many requests were served */
	bool once;              /* serve one connection, then return */
	swiotlb_log_fn log;
	void *log_arg;
};
SWIOTLB_API void swiotlb_vblk_backend_opts_init(struct swiotlb_vblk_backend_opts *o);

struct swiotlb_vblk_backend_stats {
	uint64_t connections;
	uint64_t requests;
	uint64_t bytes_read, bytes_written;
	uint64_t bad_addresses; /* descriptors naming memory outside the shared regions */
};

struct swiotlb_vblk_backend;
/* Listen (the socket exists when this returns) and serve from a thread. */
SWIOTLB_API int swiotlb_vblk_backend_start(const struct swiotlb_vblk_backend_opts *o, struct swiotlb_vblk_backend **out);
SWIOTLB_API void swiotlb_vblk_backend_stop(struct swiotlb_vblk_backend *be);
SWIOTLB_API void swiotlb_vblk_backend_stats(struct swiotlb_vblk_backend *be, struct swiotlb_vblk_backend_stats *st);
/* Serve in the calling thread until SIGTERM/SIGINT (or one connection with once). */
SWIOTLB_API int swiotlb_vblk_backend_serve(const struct swiotlb_vblk_backend_opts *o);

/* --------------------------------------------------- qemu-storage-daemon */

/* The daemon's path from $SWIOTLB_QSD or $PATH, or NULL when not installed. */
SWIOTLB_API const char *swiotlb_vblk_qsd_path(void);
/*
 * Spawn qemu-storage-daemon exporting the raw `image` as vhost-user-blk on
 * `socket` with num_queues queues, and wait (up to 10 s) until the socket
 * exists.  `file_opts` are extra options of QEMU's file driver, e.g.
 * "aio=io_uring" or "cache.direct=on,aio=native" (NULL: its defaults).
 * Its output goes to `logfile` (NULL: /dev/null).  Returns 0 and the pid,
 * -ENOENT when the daemon is not installed, -ECHILD when it exited (see
 * the log), or another -errno.
 */
SWIOTLB_API int swiotlb_vblk_qsd_spawn(const char *image, const char *socket, unsigned num_queues, const char *file_opts,
			   const char *logfile, pid_t *pid);
/* SIGTERM, then SIGKILL after 5 s; reaps the child.  Returns its wait status. */
SWIOTLB_API int swiotlb_vblk_qsd_stop(pid_t pid);

/* ---------------------------------------------------------- the workload */

enum swiotlb_vblk_rw {
	SWIOTLB_VBLK_READ = 0,
	SWIOTLB_VBLK_WRITE,
	SWIOTLB_VBLK_RANDREAD,
	SWIOTLB_VBLK_RANDWRITE,
	SWIOTLB_VBLK_RANDRW,
};
/* "read", "write", ... -> enum, or -1. */
SWIOTLB_API int swiotlb_vblk_rw_from_name(const char *name);
SWIOTLB_API const char *swiotlb_vblk_rw_name(int rw);

struct swiotlb_vblk_load;
typedef void (*swiotlb_vblk_progress_fn)(void *arg, const char *phase, uint64_t done, uint64_t total,
					 uint64_t bytes, uint64_t elapsed_ns);

struct swiotlb_vblk_load_opts {
	uint32_t size;        /* sizeof(struct swiotlb_vblk_load_opts) */
	int rw;               /* enum swiotlb_vblk_rw */
	uint32_t bs;          /* bytes per I/O, multiple of 512; 0: 4096 */
	uint32_t iodepth;     /* per queue; 0: 1 */
	uint64_t offset;      /* bytes, first byte of the region; multiple of bs */
	uint64_t region;      /* bytes of the device to cover; 0: capacity - offset */
	uint64_t nios;        /* I/Os of the main phase; 0: region / bs */
	uint32_t rwmix_read;  /* percent of reads for randrw; 0: 50 */
	bool verify;          /* write patterns, read back, compare */
	bool fail_fast;       /* a full bounce pool fails the run instead of waiting */
	bool touch;           /* without verify: fill each write buffer and checksum each read
			       * buffer, as a program producing and consuming its data would */
	uint64_t seed;        /* 0: fixed default */
	swiotlb_vblk_progress_fn progress; /* called about every progress_ms from one worker */
	void *progress_arg;
	uint32_t progress_ms; /* 0: 500 */
};
SWIOTLB_API void swiotlb_vblk_load_opts_init(struct swiotlb_vblk_load_opts *o);

#define SWIOTLB_VBLK_MAX_PHASES 3
#define SWIOTLB_VBLK_NPCT 7

struct swiotlb_vblk_phase {
	char name[16];        /* "write", "read", "randrw", "verify" */
	uint64_t ios, reads, writes;
	uint64_t bytes;
	uint64_t ns;          /* wall time of the phase */
	uint64_t lat_min_ns, lat_max_ns, lat_mean_ns;
	uint64_t lat_pct_ns[SWIOTLB_VBLK_NPCT]; /* at swiotlb_vblk_percentiles[] */
	uint64_t pool_waits;  /* submissions that waited for bounce slots */
	struct swiotlb_stats tlb;      /* library counters accumulated during the phase */
};
SWIOTLB_API extern const double swiotlb_vblk_percentiles[SWIOTLB_VBLK_NPCT];

struct swiotlb_vblk_result {
	uint32_t nphases;
	struct swiotlb_vblk_phase phase[SWIOTLB_VBLK_MAX_PHASES];
	uint64_t writes_done;     /* writes the device completed with status OK */
	uint64_t reads_done;
	uint64_t verified;        /* reads compared */
	uint64_t mismatches;      /* reads whose data differed from what was written */
	uint64_t misdirected;     /* ... of which held another block's data */
	uint64_t io_errors;       /* requests completed with a non-OK status */
	uint64_t lost;            /* requests in flight when the back end went away */
	uint64_t pool_full;       /* submissions refused for a full pool (fail_fast) */
	int error;                /* 0, or the negative errno that ended the run */
	char errmsg[256];
	char first_mismatch[160];
};

/* Run the workload on every queue of vb (one thread per queue). */
SWIOTLB_API int swiotlb_vblk_load_run(struct swiotlb_vblk *vb, const struct swiotlb_vblk_load_opts *o,
			  struct swiotlb_vblk_result *res);

#ifdef __cplusplus
}
#endif
#endif
