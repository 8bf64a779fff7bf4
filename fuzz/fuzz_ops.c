/* SPDX-License-Identifier: MIT */
/*
 * Fuzz operation sequences against a reference model.  The input is read as
 * a stream of small operations (map, unmap, bogus unmap, partial sync,
 * device write) over two pools and three devices.  The model keeps every
 * live mapping with the bytes its original and bounce buffer must hold.
 * After every operation: return codes agree with the model, live bounce
 * ranges never overlap, each lies in a pool the device reaches, keeps the
 * min_align bits, copies are byte-exact, and swiotlb_check() holds.
 * Every registered policy is exercised on the same input.
 */
#include <stdlib.h>
#include <string.h>
#include "swiotlb/swiotlb.h"
#include "swiotlb/posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXLIVE 32
#define ORIG_BASE 0x200000000ull /* above 4 GiB */
#define ORIG_STRIDE 0x80000ull   /* 512 KiB per live slot */

struct model {
	bool live;
	uint64_t orig, dma;
	size_t size;
	int dir, dev;
	uint8_t seed;
};

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct input *in, unsigned bits)
{
	unsigned v = 0;
	for (unsigned i = 0; i < (bits + 7) / 8; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n)
			in->p++, in->n--;
	}
	return bits >= 32 ? v : v & ((1u << bits) - 1);
}

static struct swiotlb_posix *px;

static void fill(uint64_t phys, size_t n, uint8_t seed)
{
	uint8_t *p = swiotlb_posix_ptr(px, phys, n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static bool holds(uint64_t phys, size_t n, uint8_t seed)
{
	const uint8_t *p = swiotlb_posix_ptr(px, phys, n);
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 13))
			return false;
	return true;
}

static void run(const uint8_t *data, size_t size, const char *policy)
{
	struct swiotlb_platform plat;
	struct swiotlb_config cfg;
	struct swiotlb *tlb;
	struct swiotlb_device dev[3];
	struct model m[MAXLIVE];
	struct input in = { data, size };

	swiotlb_posix_platform(px, &plat);
	plat.log = NULL;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = 2;
	if (swiotlb_create(&cfg, &plat, &tlb))
		abort();
	struct swiotlb_pool_config pc;
	memset(&pc, 0, sizeof(pc));
	pc.exact = pc.has_base = pc.placement_set = true;
	strcpy(pc.policy, policy);
	strcpy(pc.name, "low");
	pc.base = 0x1000000;
	pc.nslabs = 256;
	pc.nareas = 2;
	if (swiotlb_pool_add(tlb, &pc) != 0)
		abort();
	strcpy(pc.name, "high");
	pc.base = 0x100000000ull;
	pc.placement = SWIOTLB_PLACE_ANY;
	pc.nslabs = 512;
	if (swiotlb_pool_add(tlb, &pc) != 1)
		abort();
	swiotlb_device_init(&dev[0], "d32", 0xffffffffull);
	swiotlb_device_init(&dev[1], "nvme", ~0ull);
	dev[1].min_align_mask = 0xfff;
	dev[1].flags = SWIOTLB_DEV_FORCE_BOUNCE;
	swiotlb_device_init(&dev[2], "bounded", ~0ull);
	dev[2].seg_boundary_mask = 0xffff;
	dev[2].flags = SWIOTLB_DEV_FORCE_BOUNCE;
	memset(m, 0, sizeof(m));

	while (in.n) {
		unsigned op = take(&in, 8) % 6, k = take(&in, 8) % MAXLIVE;
		struct model *x = &m[k];
		if (op <= 1 && !x->live) { /* map */
			x->dev = (int)(take(&in, 8) % 3);
			x->dir = (int)(take(&in, 8) % 3);
			unsigned sz = take(&in, 24);
			x->size = 1 + (sz % (op ? 300000 : 9000));
			x->orig = ORIG_BASE + k * ORIG_STRIDE + take(&in, 16) % 0x1000;
			x->seed = (uint8_t)take(&in, 8);
			if (x->size > ORIG_STRIDE - 0x1000)
				x->size = ORIG_STRIDE - 0x1000;
			uint64_t align = (take(&in, 8) & 3) == 0 ? 0xfff : 0;
			struct swiotlb_map_args a = { .orig = x->orig, .size = x->size, .dir = (uint32_t)x->dir,
						      .alloc_align_mask = align, .cpu = (int)(k & 1) };
			struct swiotlb_map_result r;
			fill(x->orig, x->size, x->seed);
			int rc = swiotlb_map_ex(tlb, &dev[x->dev], &a, &r);
			if (rc == SWIOTLB_EFULL || rc == SWIOTLB_ETOOLARGE)
				continue;
			if (rc || !r.bounced)
				abort(); /* every device here must bounce these */
			x->dma = r.dma;
			x->live = true;
			const struct swiotlb_device *d = &dev[x->dev];
			if ((x->dma & d->min_align_mask) != (x->orig & d->min_align_mask))
				abort();
			/* the reserved start (before the preserved low bits) is 4 KiB aligned */
			if (align && ((x->dma - (x->orig & d->min_align_mask & 0xfff)) & 0xfff))
				abort();
			if (x->dma + x->size - 1 > d->dma_mask)
				abort();
			if (d->seg_boundary_mask && (x->dma >> 16) != ((x->dma + x->size - 1) >> 16) &&
			    x->size <= 0x10000 && (x->dma & 0xffff) + x->size <= 0x10000)
				abort();
			for (int j = 0; j < MAXLIVE; j++)
				if (j != (int)k && m[j].live && x->dma < m[j].dma + m[j].size && m[j].dma < x->dma + x->size)
					abort(); /* overlap */
			if (!holds(x->dma, x->size, x->seed)) /* map copies in, every direction */
				abort();
		} else if (op <= 2 && x->live) { /* the device writes, then unmap */
			if (x->dir != SWIOTLB_TO_DEVICE)
				fill(x->dma, x->size, (uint8_t)(x->seed ^ 0xa5));
			if (swiotlb_unmap(tlb, &dev[x->dev], x->dma, x->size, x->dir, 0))
				abort();
			if (!holds(x->orig, x->size, x->dir == SWIOTLB_TO_DEVICE ? x->seed : (uint8_t)(x->seed ^ 0xa5)))
				abort();
			x->live = false;
		} else if (op == 3 && x->live) { /* bogus unmaps: all refused, nothing changes */
			struct swiotlb_stats before, after;
			swiotlb_get_stats(tlb, -1, &before);
			int other = (x->dev + 1) % 3;
			if (swiotlb_unmap(tlb, &dev[x->dev], x->dma, x->size + 1, x->dir, 0) != SWIOTLB_ENOTMAPPED ||
			    swiotlb_unmap(tlb, &dev[other], x->dma, x->size, x->dir, 0) != SWIOTLB_ENOTMAPPED ||
			    (x->size > 1 &&
			     swiotlb_unmap(tlb, &dev[x->dev], x->dma + 1, x->size - 1, x->dir, 0) != SWIOTLB_ENOTMAPPED))
				abort();
			swiotlb_get_stats(tlb, -1, &after);
			if (after.used != before.used)
				abort();
		} else if (op == 4 && x->live) { /* partial sync for the CPU */
			size_t off = take(&in, 16) % x->size, len = 1 + take(&in, 16) % (x->size - off);
			fill(x->dma, x->size, (uint8_t)(x->seed ^ 0x3c));
			int rc = swiotlb_sync_for_cpu(tlb, &dev[x->dev], x->dma + off, len, x->dir);
			if (rc)
				abort();
			const uint8_t *o = swiotlb_posix_ptr(px, x->orig, x->size);
			for (size_t i = 0; i < x->size; i++) {
				bool synced = x->dir != SWIOTLB_TO_DEVICE && i >= off && i < off + len;
				uint8_t want = (uint8_t)((synced ? x->seed ^ 0x3c : x->seed) + i * 13);
				if (o[i] != want)
					abort();
			}
			fill(x->orig, x->size, x->seed);
			/* out of range is refused */
			if (swiotlb_sync_for_cpu(tlb, &dev[x->dev], x->dma + off, x->size - off + 1, x->dir) != SWIOTLB_ERANGE)
				abort();
		} else if (op == 5) { /* an address in a pool that may or may not be mapped */
			uint64_t a = 0x1000000 + (uint64_t)take(&in, 16) * 8;
			int rc = swiotlb_unmap(tlb, &dev[1], a, 1, SWIOTLB_TO_DEVICE, SWIOTLB_ATTR_SKIP_CPU_SYNC);
			bool hit = false;
			for (int j = 0; j < MAXLIVE; j++)
				hit |= m[j].live && m[j].dma == a && m[j].size == 1 && m[j].dev == 1 &&
				       m[j].dir == SWIOTLB_TO_DEVICE;
			if (hit)
				abort(); /* the model would lose track: cannot happen with these sizes */
			if (rc != SWIOTLB_ENOTMAPPED)
				abort();
		}
		if (swiotlb_check(tlb, NULL, 0))
			abort();
	}
	for (int j = 0; j < MAXLIVE; j++)
		if (m[j].live && swiotlb_unmap(tlb, &dev[m[j].dev], m[j].dma, m[j].size, m[j].dir, 0))
			abort();
	struct swiotlb_stats st;
	swiotlb_get_stats(tlb, -1, &st);
	if (st.used || swiotlb_check(tlb, NULL, 0))
		abort();
	swiotlb_destroy(tlb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!px && swiotlb_posix_create(NULL, &px))
		abort();
	/* every policy the library has, each against the same model */
	for (int i = 0; swiotlb_policy_name(i); i++)
		run(data, size, swiotlb_policy_name(i));
	return 0;
}
