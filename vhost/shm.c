/* SPDX-License-Identifier: MIT */
/*
 * The front end's guest memory (see shm.h).  The instance's platform table
 * is the POSIX platform's, each callback forwarded with the POSIX context,
 * plus share/unshare, which convert ranges by remapping them onto memfds.
 *
 * Invariant: regions[] holds every shared range exactly once; a range is
 * mapped MAP_SHARED from its memfd while listed and private anonymous
 * memory otherwise.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm.h"

#define INNER(ctx) (((struct vshm *)(ctx))->inner)
#define PX(ctx) (INNER(ctx).ctx)

static int t_pool_alloc(void *ctx, uint64_t bytes, uint64_t align, uint64_t min, uint64_t max, uint64_t *phys,
			void **cpu)
{
	return INNER(ctx).pool_alloc(PX(ctx), bytes, align, min, max, phys, cpu);
}

static void t_pool_free(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	INNER(ctx).pool_free(PX(ctx), phys, cpu, bytes);
}

static int t_pool_claim(void *ctx, uint64_t phys, uint64_t bytes, void **cpu)
{
	return INNER(ctx).pool_claim(PX(ctx), phys, bytes, cpu);
}

static void *t_meta_alloc(void *ctx, size_t bytes)
{
	return INNER(ctx).meta_alloc(PX(ctx), bytes);
}

static void t_meta_free(void *ctx, void *p, size_t bytes)
{
	INNER(ctx).meta_free(PX(ctx), p, bytes);
}

static void *t_phys_to_cpu(void *ctx, uint64_t phys, size_t len, size_t *contig)
{
	return INNER(ctx).phys_to_cpu(PX(ctx), phys, len, contig);
}

static void t_lock_init(void *ctx, void *lock)
{
	INNER(ctx).lock_init(PX(ctx), lock);
}

static void t_lock_destroy(void *ctx, void *lock)
{
	INNER(ctx).lock_destroy(PX(ctx), lock);
}

static void t_lock(void *ctx, void *lock)
{
	INNER(ctx).lock(PX(ctx), lock);
}

static void t_unlock(void *ctx, void *lock)
{
	INNER(ctx).unlock(PX(ctx), lock);
}

static unsigned t_cpu_id(void *ctx)
{
	return INNER(ctx).cpu_id(PX(ctx));
}

static void t_copy(void *ctx, void *dst, const void *src, size_t n)
{
	INNER(ctx).copy(PX(ctx), dst, src, n);
}

static uint64_t t_now_ns(void *ctx)
{
	return INNER(ctx).now_ns(PX(ctx));
}

static void t_log(void *ctx, enum swiotlb_log_level level, const char *line)
{
	INNER(ctx).log(PX(ctx), level, line);
}

static int t_share(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)cpu;
	return vshm_share(ctx, phys, bytes);
}

static int t_unshare(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)cpu;
	return vshm_unshare(ctx, phys, bytes);
}

int vshm_init(struct vshm *s, swiotlb_log_fn log, void *log_arg)
{
	memset(s, 0, sizeof(*s));
	int rc = swiotlb_posix_create(NULL, &s->px); /* private anonymous RAM */
	if (rc)
		return -ENOMEM;
	swiotlb_posix_set_log(s->px, log, log_arg);
	swiotlb_posix_platform(s->px, &s->inner);
	pthread_mutex_init(&s->lock, NULL);

	struct swiotlb_platform *p = &s->plat;
	*p = s->inner;
	p->ctx = s;
#define WRAP(f) p->f = s->inner.f ? t_##f : NULL
	WRAP(pool_alloc);
	WRAP(pool_free);
	WRAP(pool_claim);
	WRAP(meta_alloc);
	WRAP(meta_free);
	WRAP(phys_to_cpu);
	WRAP(lock_init);
	WRAP(lock_destroy);
	WRAP(lock);
	WRAP(unlock);
	WRAP(cpu_id);
	WRAP(copy);
	WRAP(now_ns);
	WRAP(log);
#undef WRAP
	/* translation and contiguity stay identity; NULL there means so */
	p->phys_to_dma = NULL;
	p->dma_to_phys = NULL;
	p->dma_contiguous = NULL;
	p->remap = NULL;
	p->share = t_share;
	p->unshare = t_unshare;
	return 0;
}

void vshm_fini(struct vshm *s)
{
	for (int i = 0; i < s->nregions; i++)
		close(s->regions[i].fd);
	s->nregions = 0;
	swiotlb_posix_destroy(s->px);
	pthread_mutex_destroy(&s->lock);
}

int vshm_share(struct vshm *s, uint64_t phys, uint64_t bytes)
{
	if (!bytes || (phys | bytes) & 0xfff)
		return -EINVAL;
	void *cpu = swiotlb_posix_ptr(s->px, phys, bytes);
	if (!cpu)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	int rc = 0;
	int fd = -1;
	if (s->nregions >= VSHM_MAX_REGIONS) {
		rc = -ENOSPC;
		goto out;
	}
	for (int i = 0; i < s->nregions; i++) {
		const struct vshm_region *r = &s->regions[i];
		if (phys < r->phys + r->bytes && r->phys < phys + bytes) {
			rc = -EEXIST;
			goto out;
		}
	}
	fd = memfd_create("swiotlb-shared", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)bytes)) {
		rc = -errno;
		goto out;
	}
	/* populated now: a shared page is then never first touched (allocated
	 * and zeroed) on the I/O path, ours or the device's */
	if (mmap(cpu, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	s->regions[s->nregions++] = (struct vshm_region){phys, bytes, cpu, fd};
	s->conversions++;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int vshm_unshare(struct vshm *s, uint64_t phys, uint64_t bytes)
{
	pthread_mutex_lock(&s->lock);
	int rc = -ENOENT;
	for (int i = 0; i < s->nregions; i++) {
		struct vshm_region *r = &s->regions[i];
		if (r->phys != phys || r->bytes != bytes)
			continue;
		/* back to private memory: the shared pages go with the memfd */
		if (mmap(r->cpu, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
			 -1, 0) == MAP_FAILED) {
			rc = -errno;
			break;
		}
		close(r->fd);
		memmove(r, r + 1, (size_t)(s->nregions - i - 1) * sizeof(*r));
		s->nregions--;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int vshm_alloc(struct vshm *s, uint64_t bytes, uint64_t *phys, void **cpu)
{
	bytes = (bytes + 0xfff) & ~0xfffull;
	if (swiotlb_posix_alloc(s->px, bytes, 4096, 0, ~0ull, phys))
		return -ENOMEM;
	*cpu = swiotlb_posix_ptr(s->px, *phys, bytes);
	return 0;
}

void vshm_free(struct vshm *s, uint64_t phys, uint64_t bytes)
{
	swiotlb_posix_release(s->px, phys, (bytes + 0xfff) & ~0xfffull);
}

int vshm_regions(struct vshm *s, struct vshm_region *out, int max)
{
	pthread_mutex_lock(&s->lock);
	int n = s->nregions < max ? s->nregions : max;
	memcpy(out, s->regions, (size_t)n * sizeof(*out));
	pthread_mutex_unlock(&s->lock);
	return n;
}
