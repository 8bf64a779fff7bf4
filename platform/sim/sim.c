/* SPDX-License-Identifier: MIT */
/*
 * The simulated machine behind the platform contract.
 *
 * Guest memory is the POSIX platform's lazily committed span (phys == offset),
 * restricted to the usable RAM of the e820 map: only RAM can hold a pool or
 * an original buffer, and the boot allocator only hands out RAM.  Before
 * swiotlb runs, the reservations of the map (the kernel image) are taken,
 * then the struct-page array top-down, as the kernel's early boot does.
 *
 * Address translation, by kind:
 *   x86      device address == guest-physical address.
 *   sev(-snp) private memory carries the C-bit; shared (pool) memory does
 *            not.  The bus refuses C-bit addresses and unshared pages.
 *   tdx      device addresses are guest-physical (Linux x86), or carry the
 *            shared bit when the machine sets one; the bus refuses pages
 *            that were not converted to shared.
 *   xen-pv   guest pfn -> machine frame through the p2m (4 bytes per page);
 *            machine frame -> pfn through the m2p.  The p2m is built from
 *            2 MiB machine extents picked at random, each cut into runs of
 *            1..p2m_run frames in shuffled order, so pages are scattered and
 *            only short runs are machine-contiguous.
 *
 * The Xen remap (docs/kernel-semantics.md §9): each 128-slot chunk of a new pool (64
 * frames) is exchanged for a free, 256 KiB-aligned machine chunk below
 * 2^bits, bits starting at 18 and widening to 32 when none is left; the old
 * frames return to the hypervisor.  The window comes from the pool_alloc
 * that preceded it: a pool the core places "low" must be machine-low, a pool
 * placed "any" takes chunks above 4 GiB first.  In pseudo-physical space the
 * pool goes anywhere (the kernel passes SWIOTLB_ANY for Xen).  The
 * hypervisor's heap is searched lowest-first with a cursor that only moves
 * up, so one remap costs O(machine chunks).
 *
 * Invariants: p2m[pfn] == mfn <=> m2p[mfn] == pfn for every guest RAM pfn;
 * chunk_used[c] counts the frames of chunk c whose m2p entry is not
 * M2P_FREE; shared[] holds disjoint ranges.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

uint64_t sim_splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ----------------------------------------------------------------- log */

static void log_add_locked(struct swiotlb_sim *sim, const char *line)
{
	if (sim->nlog >= SIM_MAX_LOG)
		return;
	if (sim->nlog == sim->caplog) {
		size_t cap = sim->caplog ? sim->caplog * 2 : 64;
		char **n = realloc(sim->log, cap * sizeof(*n));
		if (!n)
			return;
		sim->log = n;
		sim->caplog = cap;
	}
	char *copy = strdup(line);
	if (copy)
		sim->log[sim->nlog++] = copy;
}

void sim_log_add(struct swiotlb_sim *sim, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&sim->lock);
	log_add_locked(sim, line);
	pthread_mutex_unlock(&sim->lock);
}

size_t swiotlb_sim_log_count(const struct swiotlb_sim *sim)
{
	return sim ? sim->nlog : 0;
}

const char *swiotlb_sim_log_line(const struct swiotlb_sim *sim, size_t i)
{
	return sim && i < sim->nlog ? sim->log[i] : NULL;
}

/* ------------------------------------------------------------ Xen p2m */

static uint64_t xen_machine_chunk(uint64_t addr) { return addr >> (SIM_PAGE_SHIFT + XEN_CHUNK_SHIFT); }

static void xen_mark(struct swiotlb_sim *sim, uint64_t mfn, uint32_t val)
{
	bool was_free = sim->m2p[mfn] == M2P_FREE, now_free = val == M2P_FREE;
	sim->m2p[mfn] = val;
	if (was_free && !now_free)
		sim->chunk_used[mfn >> XEN_CHUNK_SHIFT]++;
	else if (!was_free && now_free)
		sim->chunk_used[mfn >> XEN_CHUNK_SHIFT]--;
}

static int xen_build(struct swiotlb_sim *sim, char *err, size_t len)
{
	const struct swiotlb_sim_machine *m = &sim->m;
	uint64_t mm = m->machine_mem;
	if (!mm) {
		mm = 2 * sim->ram_bytes;
		mm = (mm + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	}
	/* machine memory: [0, 3 GiB) and from 4 GiB up; Xen keeps the first 2 MiB */
	uint64_t low = mm < (3ull << 30) ? mm : (3ull << 30);
	sim->machine_top = mm > low ? (4ull << 30) + (mm - low) : low;
	sim->nmfn = sim->machine_top >> SIM_PAGE_SHIFT;
	sim->nchunks = (sim->nmfn + XEN_CHUNK_FRAMES - 1) >> XEN_CHUNK_SHIFT;
	sim->npfn = sim->ram_top >> SIM_PAGE_SHIFT;
	sim->m2p = malloc(sim->nmfn * sizeof(uint32_t));
	sim->p2m = malloc(sim->npfn * sizeof(uint32_t));
	sim->chunk_used = calloc(sim->nchunks, 1);
	uint64_t nextents = sim->nmfn / XEN_EXTENT_FRAMES;
	uint32_t *ext = malloc(nextents * sizeof(uint32_t));
	if (!sim->m2p || !sim->p2m || !sim->chunk_used || !ext) {
		free(ext);
		snprintf(err, len, "machine-mem: cannot allocate the p2m/m2p tables for %llu MiB of machine memory",
			 (unsigned long long)(mm >> 20));
		return SWIOTLB_ENOMEM;
	}
	for (uint64_t c = 0; c < sim->nchunks; c++)
		sim->chunk_used[c] = XEN_CHUNK_FRAMES;
	for (uint64_t f = 0; f < sim->nmfn; f++)
		sim->m2p[f] = M2P_HOLE;
	for (uint64_t f = (2ull << 20) >> SIM_PAGE_SHIFT; f < sim->nmfn; f++) {
		uint64_t a = f << SIM_PAGE_SHIFT;
		if (a < low || a >= (4ull << 30))
			xen_mark(sim, f, M2P_FREE);
	}
	for (uint64_t p = 0; p < sim->npfn; p++)
		sim->p2m[p] = P2M_IDENT;

	/* free 2 MiB extents, in random order */
	uint64_t n = 0;
	for (uint64_t e = 0; e < nextents; e++)
		if (!sim->chunk_used[e * (XEN_EXTENT_FRAMES / XEN_CHUNK_FRAMES)] &&
		    sim->m2p[e * XEN_EXTENT_FRAMES + XEN_EXTENT_FRAMES - 1] == M2P_FREE)
			ext[n++] = (uint32_t)e;
	uint64_t need = sim->ram_bytes >> SIM_PAGE_SHIFT;
	if (n * XEN_EXTENT_FRAMES < need + (64ull << 20 >> SIM_PAGE_SHIFT)) {
		free(ext);
		snprintf(err, len,
			 "machine-mem: %llu MiB of machine memory cannot hold the guest's %llu MiB of RAM and leave 64 MiB to the hypervisor",
			 (unsigned long long)(mm >> 20), (unsigned long long)(sim->ram_bytes >> 20));
		return SWIOTLB_EBADCONFIG;
	}
	uint64_t rng = m->p2m_seed;
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = sim_splitmix(&rng) % i;
		uint32_t t = ext[i - 1];
		ext[i - 1] = ext[j];
		ext[j] = t;
	}

	/* hand out the frames of each extent as shuffled runs */
	uint32_t order[XEN_EXTENT_FRAMES], run_start[XEN_EXTENT_FRAMES], run_len[XEN_EXTENT_FRAMES];
	uint32_t pos = XEN_EXTENT_FRAMES, nextext = 0;
	uint64_t base = 0;
	for (uint32_t r = 0; r < sim->nram; r++) {
		for (uint64_t pfn = sim->ram[r].start >> SIM_PAGE_SHIFT; pfn < sim->ram[r].end >> SIM_PAGE_SHIFT; pfn++) {
			if (pos == XEN_EXTENT_FRAMES) {
				uint32_t nruns = 0;
				for (uint32_t f = 0; f < XEN_EXTENT_FRAMES;) {
					uint32_t l = 1 + (uint32_t)(sim_splitmix(&rng) % m->p2m_run);
					if (l > XEN_EXTENT_FRAMES - f)
						l = XEN_EXTENT_FRAMES - f;
					run_start[nruns] = f;
					run_len[nruns++] = l;
					f += l;
				}
				for (uint32_t i = nruns; i > 1; i--) {
					uint32_t j = (uint32_t)(sim_splitmix(&rng) % i), ts = run_start[i - 1],
						 tl = run_len[i - 1];
					run_start[i - 1] = run_start[j];
					run_len[i - 1] = run_len[j];
					run_start[j] = ts;
					run_len[j] = tl;
				}
				uint32_t k = 0;
				for (uint32_t i = 0; i < nruns; i++)
					for (uint32_t f = 0; f < run_len[i]; f++)
						order[k++] = run_start[i] + f;
				base = (uint64_t)ext[nextext++] * XEN_EXTENT_FRAMES;
				pos = 0;
			}
			uint64_t mfn = base + order[pos++];
			sim->p2m[pfn] = (uint32_t)mfn;
			xen_mark(sim, mfn, (uint32_t)pfn);
		}
	}
	free(ext);
	return 0;
}

static uint64_t xen_p2m(const struct swiotlb_sim *sim, uint64_t phys)
{
	uint64_t pfn = phys >> SIM_PAGE_SHIFT;
	if (pfn >= sim->npfn || sim->p2m[pfn] == P2M_IDENT)
		return phys;
	return ((uint64_t)sim->p2m[pfn] << SIM_PAGE_SHIFT) | (phys & (SIM_PAGE - 1));
}

/* machine address -> guest phys, or ~0 for a frame that is not the guest's */
static uint64_t xen_m2p(const struct swiotlb_sim *sim, uint64_t dma)
{
	uint64_t mfn = dma >> SIM_PAGE_SHIFT;
	if (mfn < sim->nmfn && sim->m2p[mfn] < M2P_HOLE)
		return ((uint64_t)sim->m2p[mfn] << SIM_PAGE_SHIFT) | (dma & (SIM_PAGE - 1));
	/* 1:1 regions of the guest (not RAM) */
	if (mfn < sim->npfn && sim->p2m[mfn] == P2M_IDENT)
		return dma;
	return ~0ull;
}

/* First free machine chunk in [*cursor, limit), advancing the cursor. */
static bool xen_find_chunk(struct swiotlb_sim *sim, uint64_t *cursor, uint64_t limit, uint64_t *chunk)
{
	if (limit > sim->nchunks)
		limit = sim->nchunks;
	for (uint64_t c = *cursor; c < limit; c++) {
		if (!sim->chunk_used[c]) {
			*chunk = c;
			*cursor = c + 1;
			return true;
		}
	}
	if (*cursor < limit)
		*cursor = limit;
	return false;
}

static void xen_exchange(struct swiotlb_sim *sim, uint64_t pfn0, uint64_t chunk)
{
	for (uint32_t k = 0; k < XEN_CHUNK_FRAMES; k++) {
		uint64_t pfn = pfn0 + k;
		uint32_t old = sim->p2m[pfn];
		if (old != P2M_IDENT)
			xen_mark(sim, old, M2P_FREE);
		uint64_t mfn = (chunk << XEN_CHUNK_SHIFT) + k;
		sim->p2m[pfn] = (uint32_t)mfn;
		xen_mark(sim, mfn, (uint32_t)pfn);
	}
}

static int xen_remap(void *ctx, uint64_t phys, void *cpu, uint64_t nslabs)
{
	struct swiotlb_sim *sim = ctx;
	(void)cpu;
	if (nslabs % SWIOTLB_SEGSIZE || (phys & (SIM_PAGE - 1)))
		return -1;
	pthread_mutex_lock(&sim->lock);
	uint64_t nchunk = nslabs / SWIOTLB_SEGSIZE, pfn = phys >> SIM_PAGE_SHIFT;
	bool low = sim->window_max <= SIM_LOW_LIMIT;
	uint32_t bits = low ? XEN_FIRST_BITS : 64, first = 0;
	uint64_t cursor = low ? 0 : xen_machine_chunk(4ull << 30), high_cursor = 0;
	int rc = 0;
	for (uint64_t i = 0; i < nchunk; i++, pfn += XEN_CHUNK_FRAMES) {
		uint64_t c;
		bool ok;
		if (low) {
			/* widen the window one bit at a time, as the kernel's fixup does */
			while (!(ok = xen_find_chunk(sim, &cursor, xen_machine_chunk(1ull << bits), &c)) &&
			       bits < XEN_MAX_BITS)
				bits++;
		} else {
			ok = xen_find_chunk(sim, &cursor, sim->nchunks, &c) ||
			     xen_find_chunk(sim, &high_cursor, xen_machine_chunk(4ull << 30), &c);
		}
		if (!ok) {
			rc = -1;
			break;
		}
		if (!first)
			first = bits;
		xen_exchange(sim, pfn, c);
		sim->cnt.xen_chunks++;
	}
	if (rc)
		sim->cnt.xen_failed++;
	sim->cnt.xen_bits_first = first;
	sim->cnt.xen_bits_last = bits;
	if (!rc && sim->nremap < sizeof(sim->remap) / sizeof(sim->remap[0])) {
		sim->remap[sim->nremap].base = phys;
		sim->remap[sim->nremap].first = first;
		sim->remap[sim->nremap].last = bits;
		sim->nremap++;
	}
	pthread_mutex_unlock(&sim->lock);
	return rc;
}

void swiotlb_sim_xen_bits(const struct swiotlb_sim *sim, uint64_t base, uint32_t *first, uint32_t *last)
{
	*first = *last = 0;
	for (uint32_t i = sim->nremap; i-- > 0;) {
		if (sim->remap[i].base == base) {
			*first = sim->remap[i].first;
			*last = sim->remap[i].last;
			return;
		}
	}
}

/* --------------------------------------------------------- the machine */

const struct swiotlb_sim_machine *swiotlb_sim_get_machine(const struct swiotlb_sim *sim)
{
	return &sim->m;
}

const struct swiotlb_sim_boot_info *swiotlb_sim_get_boot_info(const struct swiotlb_sim *sim)
{
	return &sim->boot;
}

void swiotlb_sim_get_counters(const struct swiotlb_sim *sim, struct swiotlb_sim_counters *c)
{
	pthread_mutex_lock((pthread_mutex_t *)&sim->lock);
	*c = sim->cnt;
	pthread_mutex_unlock((pthread_mutex_t *)&sim->lock);
	c->dma_faults = atomic_load(&sim->faults);
}

int swiotlb_sim_create(const struct swiotlb_sim_machine *mach, struct swiotlb_sim **out, char *err, size_t len)
{
	if (!out || !mach)
		return SWIOTLB_EINVAL;
	*out = NULL;
	struct swiotlb_sim *sim = calloc(1, sizeof(*sim));
	if (!sim) {
		snprintf(err, len, "out of memory");
		return SWIOTLB_ENOMEM;
	}
	sim->m = *mach;
	pthread_mutex_init(&sim->lock, NULL);
	pthread_rwlock_init(&sim->shared_lock, NULL);
	pthread_mutex_init(&sim->guard_lock, NULL);
	int rc = swiotlb_sim_machine_check(&sim->m, NULL, err, len);
	if (rc)
		goto fail;

	struct swiotlb_posix_opts po;
	memset(&po, 0, sizeof(po));
	for (uint32_t i = 0; i < sim->m.nranges; i++) {
		uint64_t s, e;
		if (!sim_usable_pages(&sim->m.ranges[i], &s, &e))
			continue;
		/* ranges that touch after page trimming are one RAM range */
		if (sim->nram && sim->ram[sim->nram - 1].end == s) {
			sim->ram[sim->nram - 1].end = e;
		} else {
			sim->ram[sim->nram].start = s;
			sim->ram[sim->nram].end = e;
			sim->nram++;
		}
		sim->ram_bytes += e - s;
	}
	sim->ram_top = sim->ram[sim->nram - 1].end;
	po.nram = sim->nram;
	for (uint32_t i = 0; i < sim->nram; i++) {
		po.ram[i].start = sim->ram[i].start;
		po.ram[i].end = sim->ram[i].end;
	}
	rc = swiotlb_posix_create(&po, &sim->px);
	if (rc) {
		snprintf(err, len, "cannot map %llu MiB of guest-physical space: %s",
			 (unsigned long long)(sim->ram_top >> 20), swiotlb_strerror(rc));
		goto fail;
	}
	swiotlb_posix_platform(sim->px, &sim->pxp);

	for (uint32_t i = 0; i < sim->m.nreserve; i++) {
		const struct swiotlb_sim_range *r = &sim->m.reserve[i];
		uint64_t s = r->start & ~(SIM_PAGE - 1), e = (r->end + SIM_PAGE - 1) & ~(SIM_PAGE - 1);
		if (swiotlb_posix_reserve(sim->px, s, e - s)) {
			snprintf(err, len, "reserve %s: cannot reserve [mem 0x%016llx-0x%016llx]", r->name,
				 (unsigned long long)s, (unsigned long long)e - 1);
			rc = SWIOTLB_EBADCONFIG;
			goto fail;
		}
	}
	/* the struct-page array, taken top-down before swiotlb (sparse init) */
	uint64_t mm = sim->m.memmap;
	if (mm == SWIOTLB_SIM_MEMMAP_AUTO)
		mm = (sim->ram_bytes >> SIM_PAGE_SHIFT) * 64;
	mm = (mm + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	if (mm) {
		if (swiotlb_posix_alloc(sim->px, mm, 2ull << 20, 0, ~0ull, &sim->memmap_base)) {
			snprintf(err, len, "memmap: no room for %llu MiB of struct pages in RAM",
				 (unsigned long long)(mm >> 20));
			rc = SWIOTLB_EBADCONFIG;
			goto fail;
		}
		sim->memmap_bytes = mm;
	}
	if (sim->m.kind == SWIOTLB_SIM_XEN_PV) {
		rc = xen_build(sim, err, len);
		if (rc)
			goto fail;
	}
	/* a guess at set_memory_decrypted per page (page-state change and TLB
	 * flush; SNP adds the RMP update); machines set it with conversion-cost */
	if (sim->m.conversion_ns == SWIOTLB_SIM_COST_AUTO)
		sim->m.conversion_ns = sim->m.kind == SWIOTLB_SIM_SEV ? 1000 : 2500;
	if (!sim->m.name[0])
		snprintf(sim->m.name, sizeof(sim->m.name), "%s", swiotlb_sim_kind_name(sim->m.kind));
	sim->window_max = ~0ull;
	*out = sim;
	return 0;
fail:
	swiotlb_sim_destroy(sim);
	return rc;
}

void swiotlb_sim_destroy(struct swiotlb_sim *sim)
{
	if (!sim)
		return;
	if (sim->px)
		swiotlb_posix_destroy(sim->px);
	for (size_t i = 0; i < sim->nlog; i++)
		free(sim->log[i]);
	free(sim->log);
	free(sim->p2m);
	free(sim->m2p);
	free(sim->chunk_used);
	pthread_mutex_destroy(&sim->lock);
	pthread_rwlock_destroy(&sim->shared_lock);
	sim_guard_free(sim);
	free(sim);
}

/* ------------------------------------------------------- guest memory */

/* The RAM range holding phys, or NULL. */
static const struct sim_range *ram_of(const struct swiotlb_sim *sim, uint64_t phys)
{
	for (uint32_t i = 0; i < sim->nram; i++)
		if (phys >= sim->ram[i].start && phys < sim->ram[i].end)
			return &sim->ram[i];
	return NULL;
}

void *swiotlb_sim_ptr(struct swiotlb_sim *sim, uint64_t phys, size_t len)
{
	const struct sim_range *r = ram_of(sim, phys);
	if (!r || len > r->end - phys)
		return NULL;
	return swiotlb_posix_ptr(sim->px, phys, len);
}

int swiotlb_sim_alloc(struct swiotlb_sim *sim, uint64_t bytes, uint64_t max, uint64_t *phys)
{
	bytes = (bytes + SIM_PAGE - 1) & ~(SIM_PAGE - 1);
	return swiotlb_posix_alloc(sim->px, bytes, SIM_PAGE, 0, max, phys);
}

/* ------------------------------------------------- platform callbacks */

static int sim_pool_alloc(void *ctx, uint64_t bytes, uint64_t align, uint64_t min, uint64_t max, uint64_t *phys,
			  void **cpu)
{
	struct swiotlb_sim *sim = ctx;
	if (sim->m.kind == SWIOTLB_SIM_XEN_PV) {
		/* pseudo-physical placement does not matter; the window is the
		 * machine window of the remap that follows */
		sim->window_max = max;
		min = 0;
		max = ~0ull;
	}
	return sim->pxp.pool_alloc(sim->pxp.ctx, bytes, align, min, max, phys, cpu);
}

static void sim_pool_free(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	struct swiotlb_sim *sim = ctx;
	sim->pxp.pool_free(sim->pxp.ctx, phys, cpu, bytes);
}

static int sim_pool_claim(void *ctx, uint64_t phys, uint64_t bytes, void **cpu)
{
	struct swiotlb_sim *sim = ctx;
	const struct sim_range *r = ram_of(sim, phys);
	if (!r || bytes > r->end - phys)
		return SWIOTLB_EINVAL; /* a pool must be RAM */
	/* Xen: a pool the caller placed below 4 GiB wants machine-low frames */
	sim->window_max = phys + bytes - 1 <= SIM_LOW_LIMIT ? SIM_LOW_LIMIT : ~0ull;
	return sim->pxp.pool_claim(sim->pxp.ctx, phys, bytes, cpu);
}

static void *sim_meta_alloc(void *ctx, size_t bytes)
{
	struct swiotlb_sim *sim = ctx;
	return sim->pxp.meta_alloc(sim->pxp.ctx, bytes);
}

static void sim_meta_free(void *ctx, void *p, size_t bytes)
{
	struct swiotlb_sim *sim = ctx;
	sim->pxp.meta_free(sim->pxp.ctx, p, bytes);
}

static void *sim_phys_to_cpu(void *ctx, uint64_t phys, size_t len, size_t *contig)
{
	struct swiotlb_sim *sim = ctx;
	const struct sim_range *r = ram_of(sim, phys);
	*contig = 0;
	if (!r)
		return NULL;
	size_t n = len < r->end - phys ? len : (size_t)(r->end - phys);
	void *p = swiotlb_posix_ptr(sim->px, phys, n);
	if (p)
		*contig = n;
	return p;
}

static uint64_t cc_bit(const struct swiotlb_sim *sim)
{
	switch (sim->m.kind) {
	case SWIOTLB_SIM_SEV:
	case SWIOTLB_SIM_SEV_SNP: return 1ull << sim->m.cbit;
	case SWIOTLB_SIM_TDX: return sim->m.shared_bit ? 1ull << sim->m.shared_bit : 0;
	default: return 0;
	}
}

static uint64_t sim_phys_to_dma(void *ctx, uint64_t phys, bool shared)
{
	struct swiotlb_sim *sim = ctx;
	switch (sim->m.kind) {
	case SWIOTLB_SIM_SEV:
	case SWIOTLB_SIM_SEV_SNP: return shared ? phys : phys | cc_bit(sim); /* the C-bit marks private */
	case SWIOTLB_SIM_TDX: return shared ? phys | cc_bit(sim) : phys;      /* the shared bit marks shared */
	case SWIOTLB_SIM_XEN_PV: return xen_p2m(sim, phys);
	default: return phys;
	}
}

static uint64_t sim_dma_to_phys(void *ctx, uint64_t dma)
{
	struct swiotlb_sim *sim = ctx;
	if (sim->m.kind == SWIOTLB_SIM_XEN_PV)
		return xen_m2p(sim, dma);
	return dma & ~cc_bit(sim);
}

uint64_t sim_bus_to_phys(struct swiotlb_sim *sim, uint64_t dma)
{
	return sim_dma_to_phys(sim, dma);
}

static bool sim_dma_contiguous(void *ctx, uint64_t phys, size_t len)
{
	struct swiotlb_sim *sim = ctx;
	uint64_t first = xen_p2m(sim, phys) >> SIM_PAGE_SHIFT;
	uint64_t npages = ((phys & (SIM_PAGE - 1)) + len + SIM_PAGE - 1) >> SIM_PAGE_SHIFT;
	for (uint64_t i = 1; i < npages; i++)
		if (xen_p2m(sim, phys + (i << SIM_PAGE_SHIFT)) >> SIM_PAGE_SHIFT != first + i)
			return false;
	return true;
}

static int sim_share(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	struct swiotlb_sim *sim = ctx;
	(void)cpu;
	int rc = 0;
	pthread_rwlock_wrlock(&sim->shared_lock);
	pthread_mutex_lock(&sim->lock);
	if (sim->nshared >= SIM_MAX_SHARED) {
		rc = SWIOTLB_ENOMEM;
	} else {
		sim->shared[sim->nshared].start = phys;
		sim->shared[sim->nshared].end = phys + bytes;
		sim->nshared++;
		uint64_t pages = bytes >> SIM_PAGE_SHIFT;
		sim->cnt.shares++;
		sim->cnt.shared_pages += pages;
		sim->cnt.conversion_ns += pages * sim->m.conversion_ns;
	}
	pthread_mutex_unlock(&sim->lock);
	pthread_rwlock_unlock(&sim->shared_lock);
	return rc;
}

static int sim_unshare(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	struct swiotlb_sim *sim = ctx;
	(void)cpu;
	pthread_rwlock_wrlock(&sim->shared_lock);
	pthread_mutex_lock(&sim->lock);
	for (uint32_t i = 0; i < sim->nshared; i++) {
		if (sim->shared[i].start == phys && sim->shared[i].end == phys + bytes) {
			sim->shared[i] = sim->shared[--sim->nshared];
			sim->cnt.unshares++;
			sim->cnt.conversion_ns += (bytes >> SIM_PAGE_SHIFT) * sim->m.conversion_ns;
			break;
		}
	}
	pthread_mutex_unlock(&sim->lock);
	pthread_rwlock_unlock(&sim->shared_lock);
	return 0;
}

static void sim_lock_init(void *ctx, void *lock)
{
	struct swiotlb_sim *sim = ctx;
	sim->pxp.lock_init(sim->pxp.ctx, lock);
}

static void sim_lock_destroy(void *ctx, void *lock)
{
	struct swiotlb_sim *sim = ctx;
	sim->pxp.lock_destroy(sim->pxp.ctx, lock);
}

static void sim_lock(void *ctx, void *lock)
{
	struct swiotlb_sim *sim = ctx;
	sim->pxp.lock(sim->pxp.ctx, lock);
}

static void sim_unlock(void *ctx, void *lock)
{
	struct swiotlb_sim *sim = ctx;
	sim->pxp.unlock(sim->pxp.ctx, lock);
}

static unsigned sim_cpu_id(void *ctx)
{
	struct swiotlb_sim *sim = ctx;
	return sim->pxp.cpu_id(sim->pxp.ctx) % sim->m.cpus;
}

static void sim_copy(void *ctx, void *dst, const void *src, size_t n)
{
	(void)ctx;
	memcpy(dst, src, n);
}

static uint64_t sim_now_ns(void *ctx)
{
	struct swiotlb_sim *sim = ctx;
	return sim->pxp.now_ns(sim->pxp.ctx);
}

static void sim_log(void *ctx, enum swiotlb_log_level lvl, const char *line)
{
	(void)lvl;
	sim_log_add(ctx, "%s", line);
}

void swiotlb_sim_platform(struct swiotlb_sim *sim, struct swiotlb_platform *p)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	p->ctx = sim;
	p->pool_alloc = sim_pool_alloc;
	p->pool_free = sim_pool_free;
	p->pool_claim = sim_pool_claim;
	p->meta_alloc = sim_meta_alloc;
	p->meta_free = sim_meta_free;
	p->phys_to_cpu = sim_phys_to_cpu;
	if (sim->m.kind != SWIOTLB_SIM_X86) {
		p->phys_to_dma = sim_phys_to_dma;
		p->dma_to_phys = sim_dma_to_phys;
	}
	if (sim->m.kind == SWIOTLB_SIM_XEN_PV) {
		p->dma_contiguous = sim_dma_contiguous;
		p->remap = xen_remap;
	}
	if (swiotlb_sim_kind_is_cc(sim->m.kind)) {
		p->share = sim_share;
		p->unshare = sim_unshare;
	}
	if (sim->pxp.lock) {
		p->lock_size = sim->pxp.lock_size;
		p->lock_init = sim_lock_init;
		p->lock_destroy = sim_lock_destroy;
		p->lock = sim_lock;
		p->unlock = sim_unlock;
	}
	p->cpu_id = sim_cpu_id;
	p->copy = sim_copy;
	p->now_ns = sim_now_ns;
	p->log = sim_log;
	p->page_size = SIM_PAGE;
	p->cpu_read_guard = sim_cpu_read_guard; /* called in debug mode only */
}

/* ------------------------------------------------------------ the bus */

static int fault(struct swiotlb_sim *sim, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fault(struct swiotlb_sim *sim, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	atomic_fetch_add(&sim->faults, 1);
	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return SWIOTLB_EPLATFORM;
}

static bool is_shared_locked(const struct swiotlb_sim *sim, uint64_t phys, uint64_t len)
{
	for (uint32_t i = 0; i < sim->nshared; i++)
		if (phys >= sim->shared[i].start && phys + len <= sim->shared[i].end)
			return true;
	return false;
}

int swiotlb_sim_dma(struct swiotlb_sim *sim, uint64_t dma, void *buf, size_t len, bool to_memory, uint64_t limit,
		    char *why, size_t whylen)
{
	if (!len)
		return 0;
	if (dma + len - 1 < dma || dma + len - 1 > limit)
		return fault(sim, why, whylen, "bus address 0x%llx+%zu is above the device's limit 0x%llx",
			     (unsigned long long)dma, len, (unsigned long long)limit);
	bool cc = swiotlb_sim_kind_is_cc(sim->m.kind);
	uint8_t *b = buf;
	int rc = 0;
	if (cc)
		pthread_rwlock_rdlock(&sim->shared_lock);
	while (len) {
		size_t piece = SIM_PAGE - (dma & (SIM_PAGE - 1));
		if (piece > len)
			piece = len;
		uint64_t phys = dma;
		switch (sim->m.kind) {
		case SWIOTLB_SIM_SEV:
		case SWIOTLB_SIM_SEV_SNP:
			if (dma & cc_bit(sim)) {
				rc = fault(sim, why, whylen,
					   "bus address 0x%llx carries the C-bit: private memory the device cannot read",
					   (unsigned long long)dma);
				goto out;
			}
			break;
		case SWIOTLB_SIM_TDX:
			if (cc_bit(sim) && !(dma & cc_bit(sim))) {
				rc = fault(sim, why, whylen,
					   "bus address 0x%llx lacks the shared bit: private memory the device cannot read",
					   (unsigned long long)dma);
				goto out;
			}
			phys = dma & ~cc_bit(sim);
			break;
		case SWIOTLB_SIM_XEN_PV:
			phys = xen_m2p(sim, dma);
			if (phys == ~0ull) {
				rc = fault(sim, why, whylen, "machine frame 0x%llx is not this guest's",
					   (unsigned long long)(dma >> SIM_PAGE_SHIFT));
				goto out;
			}
			break;
		default:
			break;
		}
		if (cc && !is_shared_locked(sim, phys, piece)) {
			rc = fault(sim, why, whylen, "guest page 0x%llx is private (not converted to shared)",
				   (unsigned long long)(phys & ~(SIM_PAGE - 1)));
			goto out;
		}
		uint8_t *p = swiotlb_sim_ptr(sim, phys, piece);
		if (!p) {
			rc = fault(sim, why, whylen, "bus address 0x%llx is not guest RAM", (unsigned long long)dma);
			goto out;
		}
		if (to_memory)
			memcpy(p, b, piece);
		else
			memcpy(b, p, piece);
		b += piece;
		dma += piece;
		len -= piece;
	}
out:
	if (cc)
		pthread_rwlock_unlock(&sim->shared_lock);
	return rc;
}
