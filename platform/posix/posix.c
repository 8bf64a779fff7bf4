/* SPDX-License-Identifier: MIT */
/*
 * The POSIX platform (see include/swiotlb/posix.h).
 *
 * Data structure: one mapping of the whole phys span; a sorted array of RAM
 * ranges (the memory map) and a sorted array of used ranges (pools and other
 * reservations).  The boot allocator scans RAM ranges from the top down and,
 * inside each, the gaps between used ranges from the top down -- memblock's
 * default direction -- so a "low" pool lands just below the top of low RAM
 * and an "any" pool at the top of memory.
 *
 * Invariants: ram[] and used[] are sorted and non-overlapping; every used
 * range lies inside the span.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) && defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define PX_HAVE_RSEQ 1
#endif
#endif

#include "swiotlb/posix.h"

#define MAX_USED 256

struct swiotlb_posix {
	uint8_t *base;
	uint64_t span;
	int fd;
	bool use_mutex;
	uint32_t nram;
	struct swiotlb_posix_range ram[SWIOTLB_POSIX_MAX_RANGES];
	uint32_t nused;
	struct swiotlb_posix_range used[MAX_USED];
	pthread_mutex_t lock; /* protects used[] */
	swiotlb_log_fn log;
	void *log_arg;
	unsigned (*cpu_fn)(void *);
	void *cpu_arg;
};

static const struct swiotlb_posix_range default_ram[] = {
	{ 0x100000ull, 0xc0000000ull },        /* 1 MiB .. 3 GiB (the PCI hole follows) */
	{ 0x100000000ull, 0x240000000ull },    /* 4 GiB .. 9 GiB */
};

int swiotlb_posix_create(const struct swiotlb_posix_opts *opts, struct swiotlb_posix **out)
{
	struct swiotlb_posix_opts def;
	if (!out)
		return SWIOTLB_EINVAL;
	*out = NULL;
	if (!opts) {
		memset(&def, 0, sizeof(def));
		opts = &def;
	}
	struct swiotlb_posix *px = calloc(1, sizeof(*px));
	if (!px)
		return SWIOTLB_ENOMEM;
	px->fd = -1;
	px->use_mutex = !opts->no_mutex;
	if (opts->nram) {
		if (opts->nram > SWIOTLB_POSIX_MAX_RANGES)
			goto bad;
		for (uint32_t i = 0; i < opts->nram; i++) {
			const struct swiotlb_posix_range *r = &opts->ram[i];
			if (r->end <= r->start || (i && r->start < opts->ram[i - 1].end))
				goto bad; /* ranges must be sorted and disjoint */
			px->ram[i] = *r;
		}
		px->nram = opts->nram;
	} else {
		memcpy(px->ram, default_ram, sizeof(default_ram));
		px->nram = sizeof(default_ram) / sizeof(default_ram[0]);
	}
	uint64_t top = px->ram[px->nram - 1].end;
	px->span = opts->span ? opts->span : (top > (4ull << 30) ? top : (4ull << 30));
	if (px->span < top)
		goto bad;
	px->span = (px->span + 0xfff) & ~0xfffull;
	int flags = MAP_NORESERVE;
	if (opts->memfd) {
		px->fd = memfd_create("swiotlb-phys", MFD_CLOEXEC);
		if (px->fd < 0 || ftruncate(px->fd, (off_t)px->span))
			goto nomem;
		flags |= MAP_SHARED;
	} else {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	}
	void *p = mmap(NULL, px->span, PROT_READ | PROT_WRITE, flags, px->fd, 0);
	if (p == MAP_FAILED)
		goto nomem;
	px->base = p;
	pthread_mutex_init(&px->lock, NULL);
	*out = px;
	return 0;
bad:
	free(px);
	return SWIOTLB_EINVAL;
nomem:
	if (px->fd >= 0)
		close(px->fd);
	free(px);
	return SWIOTLB_ENOMEM;
}

void swiotlb_posix_destroy(struct swiotlb_posix *px)
{
	if (!px)
		return;
	munmap(px->base, px->span);
	if (px->fd >= 0)
		close(px->fd);
	pthread_mutex_destroy(&px->lock);
	free(px);
}

void swiotlb_posix_set_log(struct swiotlb_posix *px, swiotlb_log_fn fn, void *arg)
{
	px->log = fn;
	px->log_arg = arg;
}

void swiotlb_posix_set_cpu(struct swiotlb_posix *px, unsigned (*fn)(void *arg), void *arg)
{
	px->cpu_fn = fn;
	px->cpu_arg = arg;
}

void *swiotlb_posix_ptr(struct swiotlb_posix *px, uint64_t phys, size_t len)
{
	if (!px || phys >= px->span || len > px->span - phys)
		return NULL;
	return px->base + phys;
}

uint64_t swiotlb_posix_span(const struct swiotlb_posix *px)
{
	return px->span;
}

int swiotlb_posix_fd(const struct swiotlb_posix *px)
{
	return px->fd;
}

uint64_t swiotlb_posix_ram_bytes(const struct swiotlb_posix *px)
{
	uint64_t t = 0;
	for (uint32_t i = 0; i < px->nram; i++)
		t += px->ram[i].end - px->ram[i].start;
	return t;
}

/* caller holds px->lock */
static bool overlaps_used(const struct swiotlb_posix *px, uint64_t a, uint64_t b)
{
	for (uint32_t i = 0; i < px->nused; i++)
		if (a < px->used[i].end && px->used[i].start < b)
			return true;
	return false;
}

static int insert_used(struct swiotlb_posix *px, uint64_t a, uint64_t b)
{
	if (px->nused >= MAX_USED)
		return SWIOTLB_ENOMEM;
	uint32_t i = px->nused;
	while (i > 0 && px->used[i - 1].start > a) {
		px->used[i] = px->used[i - 1];
		i--;
	}
	px->used[i].start = a;
	px->used[i].end = b;
	px->nused++;
	return 0;
}

int swiotlb_posix_reserve(struct swiotlb_posix *px, uint64_t phys, uint64_t bytes)
{
	if (!px || !bytes || phys >= px->span || bytes > px->span - phys)
		return SWIOTLB_EINVAL;
	pthread_mutex_lock(&px->lock);
	int rc = overlaps_used(px, phys, phys + bytes) ? SWIOTLB_EINVAL : insert_used(px, phys, phys + bytes);
	pthread_mutex_unlock(&px->lock);
	return rc;
}

void swiotlb_posix_release(struct swiotlb_posix *px, uint64_t phys, uint64_t bytes)
{
	pthread_mutex_lock(&px->lock);
	for (uint32_t i = 0; i < px->nused; i++) {
		if (px->used[i].start == phys && px->used[i].end == phys + bytes) {
			memmove(&px->used[i], &px->used[i + 1], (px->nused - i - 1) * sizeof(px->used[0]));
			px->nused--;
			break;
		}
	}
	pthread_mutex_unlock(&px->lock);
	/* give the pages back: a freed pool must not keep host memory */
	if (phys < px->span && bytes <= px->span - phys)
		madvise(px->base + phys, bytes, MADV_DONTNEED);
}

int swiotlb_posix_alloc(struct swiotlb_posix *px, uint64_t bytes, uint64_t align, uint64_t min, uint64_t max,
			uint64_t *phys)
{
	if (!px || !bytes || !phys || (align & (align - 1)))
		return SWIOTLB_EINVAL;
	if (align < 4096)
		align = 4096;
	pthread_mutex_lock(&px->lock);
	int rc = SWIOTLB_ENOMEM;
	for (uint32_t r = px->nram; r-- > 0 && rc;) {
		uint64_t lo = px->ram[r].start > min ? px->ram[r].start : min;
		uint64_t hi = px->ram[r].end; /* exclusive */
		if (max != ~0ull && hi > max + 1)
			hi = max + 1;
		/* walk the free gaps of [lo, hi) from the top */
		while (hi > lo && hi - lo >= bytes) {
			uint64_t cand = (hi - bytes) & ~(align - 1);
			if (cand < lo)
				break;
			uint64_t blocker_start = 0;
			bool blocked = false;
			for (uint32_t i = 0; i < px->nused; i++) {
				if (cand < px->used[i].end && px->used[i].start < cand + bytes) {
					if (!blocked || px->used[i].start < blocker_start)
						blocker_start = px->used[i].start;
					blocked = true;
				}
			}
			if (!blocked) {
				rc = insert_used(px, cand, cand + bytes);
				if (!rc)
					*phys = cand;
				break;
			}
			hi = blocker_start;
		}
	}
	pthread_mutex_unlock(&px->lock);
	return rc;
}

/* ------------------------------------------------------ platform callbacks */

static int px_pool_alloc(void *ctx, uint64_t bytes, uint64_t align, uint64_t min, uint64_t max, uint64_t *phys,
			 void **cpu)
{
	struct swiotlb_posix *px = ctx;
	int rc = swiotlb_posix_alloc(px, bytes, align, min, max, phys);
	if (!rc)
		*cpu = px->base + *phys;
	return rc;
}

static void px_pool_free(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)cpu;
	swiotlb_posix_release(ctx, phys, bytes);
}

static int px_pool_claim(void *ctx, uint64_t phys, uint64_t bytes, void **cpu)
{
	struct swiotlb_posix *px = ctx;
	int rc = swiotlb_posix_reserve(px, phys, bytes);
	if (!rc)
		*cpu = px->base + phys;
	return rc;
}

static void *px_meta_alloc(void *ctx, size_t bytes)
{
	(void)ctx;
	void *p = NULL;
	if (posix_memalign(&p, 64, bytes ? bytes : 1))
		return NULL;
	memset(p, 0, bytes);
	return p;
}

static void px_meta_free(void *ctx, void *p, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(p);
}

static void *px_phys_to_cpu(void *ctx, uint64_t phys, size_t len, size_t *contig)
{
	void *p = swiotlb_posix_ptr(ctx, phys, len);
	*contig = p ? len : 0;
	return p;
}

static void px_lock_init(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_init(lock, NULL);
}

static void px_lock_destroy(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_destroy(lock);
}

static void px_lock(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_lock(lock);
}

static void px_unlock(void *ctx, void *lock)
{
	(void)ctx;
	pthread_mutex_unlock(lock);
}

/*
 * The CPU id is read on every map, so where glibc registered an rseq area
 * (glibc 2.35 and later on Linux) it is one load from the thread's own
 * area; sched_getcpu() does the same behind a call and its checks.
 */
static unsigned px_cpu_id(void *ctx)
{
	struct swiotlb_posix *px = ctx;
	if (px->cpu_fn)
		return px->cpu_fn(px->cpu_arg);
#if defined(PX_HAVE_RSEQ) && (defined(__x86_64__) || defined(__aarch64__))
	if (__rseq_size) {
		char *tp;
#if defined(__x86_64__)
		__asm__("mov %%fs:0, %0" : "=r"(tp));
#else
		__asm__("mrs %0, tpidr_el0" : "=r"(tp));
#endif
		const struct rseq *rs = (const struct rseq *)(tp + __rseq_offset);
		int32_t c = (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
		if (c >= 0)
			return (unsigned)c;
	}
#endif
	int c = sched_getcpu();
	return c < 0 ? 0 : (unsigned)c;
}

static void px_copy(void *ctx, void *dst, const void *src, size_t n)
{
	(void)ctx;
	memcpy(dst, src, n);
}

static uint64_t px_now_ns(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void px_log(void *ctx, enum swiotlb_log_level lvl, const char *line)
{
	struct swiotlb_posix *px = ctx;
	if (px->log)
		px->log(px->log_arg, lvl, line);
}

void swiotlb_posix_platform(struct swiotlb_posix *px, struct swiotlb_platform *p)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->ctx = px;
	p->pool_alloc = px_pool_alloc;
	p->pool_free = px_pool_free;
	p->pool_claim = px_pool_claim;
	p->meta_alloc = px_meta_alloc;
	p->meta_free = px_meta_free;
	p->phys_to_cpu = px_phys_to_cpu;
	if (px->use_mutex) {
		p->lock_size = sizeof(pthread_mutex_t);
		p->lock_init = px_lock_init;
		p->lock_destroy = px_lock_destroy;
		p->lock = px_lock;
		p->unlock = px_unlock;
	}
	p->cpu_id = px_cpu_id;
	p->copy = px_copy;
	p->now_ns = px_now_ns;
	p->log = px_log;
	p->page_size = 4096;
}
