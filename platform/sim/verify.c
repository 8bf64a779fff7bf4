/* SPDX-License-Identifier: MIT */
/*
 * Verified runs (see verify.h): owner-tagged data, private bytes around
 * every original, the registry of bytes in flight that a hostile
 * device may not write, and the checks that attribute every wrong byte.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

struct vrange {
	uint64_t phys, len;
	unsigned dev;
};

struct sim_verify {
	struct swiotlb_sim *sim;
	struct swiotlb *tlb;
	pthread_rwlock_t lock;
	struct vrange *live; /* by registry entry; len 0: nothing in flight */
	uint32_t nreg;
	struct vrange *sorted; /* the exclusive holder's scratch */
	struct {
		uint64_t base, end;
		uint8_t *cpu;
	} pool[SWIOTLB_MAX_POOLS];
	int npools;
	pthread_mutex_t note_lock;
	char first_problem[240];
};

int sim_verify_create(struct swiotlb_sim *sim, struct swiotlb *tlb, uint32_t nreg, struct sim_verify **out)
{
	struct sim_verify *v = calloc(1, sizeof(*v));
	if (!v)
		return SWIOTLB_ENOMEM;
	v->sim = sim;
	v->tlb = tlb;
	v->nreg = nreg;
	v->live = calloc(nreg ? nreg : 1, sizeof(*v->live));
	v->sorted = calloc(nreg ? nreg : 1, sizeof(*v->sorted));
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	/* honest threads take the lock for every step: a reader-preferring
	 * lock would starve the hostile device */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	int rc = pthread_rwlock_init(&v->lock, &a);
	pthread_rwlockattr_destroy(&a);
	if (rc || !v->live || !v->sorted) {
		if (!rc)
			pthread_rwlock_destroy(&v->lock);
		free(v->live);
		free(v->sorted);
		free(v);
		return SWIOTLB_ENOMEM;
	}
	pthread_mutex_init(&v->note_lock, NULL);
	int n = swiotlb_pool_count(tlb);
	for (int i = 0; i < n && v->npools < SWIOTLB_MAX_POOLS; i++) {
		struct swiotlb_pool_info pi;
		if (swiotlb_pool_info(tlb, i, &pi))
			continue;
		uint8_t *cpu = swiotlb_sim_ptr(sim, pi.base, (size_t)(pi.end - pi.base));
		if (!cpu)
			continue;
		v->pool[v->npools].base = pi.base;
		v->pool[v->npools].end = pi.end;
		v->pool[v->npools].cpu = cpu;
		v->npools++;
	}
	*out = v;
	return 0;
}

void sim_verify_destroy(struct sim_verify *v)
{
	if (!v)
		return;
	pthread_rwlock_destroy(&v->lock);
	pthread_mutex_destroy(&v->note_lock);
	free(v->live);
	free(v->sorted);
	free(v);
}

struct swiotlb *sim_verify_tlb(const struct sim_verify *v)
{
	return v->tlb;
}

struct swiotlb_sim *sim_verify_sim(const struct sim_verify *v)
{
	return v->sim;
}

void sim_verify_lock(struct sim_verify *v, bool exclusive)
{
	if (!v)
		return;
	if (exclusive)
		pthread_rwlock_wrlock(&v->lock);
	else
		pthread_rwlock_rdlock(&v->lock);
}

void sim_verify_unlock(struct sim_verify *v)
{
	if (v)
		pthread_rwlock_unlock(&v->lock);
}

void sim_verify_live(struct sim_verify *v, uint32_t reg, unsigned dev, uint64_t dma, uint32_t len)
{
	if (!v || reg >= v->nreg)
		return;
	uint64_t phys = sim_bus_to_phys(v->sim, dma);
	v->live[reg].phys = phys;
	v->live[reg].len = phys == ~0ull ? 0 : len;
	v->live[reg].dev = dev;
}

void sim_verify_dead(struct sim_verify *v, uint32_t reg)
{
	if (v && reg < v->nreg)
		v->live[reg].len = 0;
}

void sim_verify_note(struct sim_verify *v, const char *fmt, ...)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->note_lock);
	if (!v->first_problem[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->first_problem, sizeof(v->first_problem), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&v->note_lock);
}

const char *sim_verify_first_problem(const struct sim_verify *v)
{
	return v->first_problem;
}

/* ------------------------------------------------------------ patterns */

static uint64_t spread(uint8_t b)
{
	return b * 0x0101010101010101ull;
}

static uint8_t data_tag(unsigned dev)
{
	return (uint8_t)((dev + 1) << 4);
}

/* Patterns are built a block of words at a time, then copied: one copy per
 * block keeps the sanitizers' interception of memcpy off the hot path. */
#define FILL_WORDS 64

void sim_data_fill(uint8_t *p, size_t n, uint64_t x, unsigned dev)
{
	const uint64_t tag = spread(data_tag(dev)), low = spread(7);
	uint64_t w[FILL_WORDS];
	x |= 1;
	for (size_t i = 0; i < n; i += sizeof(w)) {
		size_t k = n - i < sizeof(w) ? n - i : sizeof(w);
		for (size_t j = 0; j < (k + 7) / 8; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[j] = (x & low) | tag;
		}
		memcpy(p + i, w, k);
	}
}

/* Private bytes depend on their address, so any span can be checked alone. */
static uint64_t private_word(uint64_t word_index, unsigned dev)
{
	uint64_t z = word_index * 0x9e3779b97f4a7c15ull + dev;
	z ^= z >> 31;
	z *= 0xbf58476d1ce4e5b9ull;
	z ^= z >> 29;
	return (z & spread(7)) | spread((uint8_t)(data_tag(dev) | 8));
}

void sim_private_fill(uint8_t *p, uint64_t phys, size_t n, unsigned dev)
{
	uint64_t w[FILL_WORDS + 1];
	size_t i = 0;
	while (i < n) {
		/* words from the one holding byte phys+i; start at its offset in that word */
		uint64_t a = phys + i;
		size_t skip = (size_t)(a & 7);
		size_t k = sizeof(w) - skip < n - i ? sizeof(w) - skip : n - i;
		for (size_t j = 0; j < (skip + k + 7) / 8; j++)
			w[j] = private_word((a >> 3) + j, dev);
		memcpy(p + i, (const uint8_t *)w + skip, k);
		i += k;
	}
}

/* Wrong bytes of p against `expect`; of those, how many belong to another device. */
static uint64_t compare(const uint8_t *p, const uint8_t *expect, size_t n, unsigned dev, uint64_t *foreign,
			size_t *first)
{
	uint64_t bad = 0;
	*foreign = 0;
	*first = n;
	for (size_t i = 0; i < n; i += 4096) {
		size_t k = n - i < 4096 ? n - i : 4096;
		if (!memcmp(p + i, expect + i, k))
			continue;
		for (size_t b = i; b < i + k; b++) {
			if (p[b] == expect[b])
				continue;
			if (*first == n)
				*first = b;
			bad++;
			unsigned o = sim_owner(p[b]);
			*foreign += o && o != dev + 1;
		}
	}
	return bad;
}

/* ------------------------------------------------------------ the I/O */

void sim_verify_prepare(const struct sim_vq *vq, const struct sim_vio *io)
{
	sim_data_fill(io->cpu, io->len, io->write ? io->seed : sim_preimage_seed(io->seed), vq->dev);
}

void sim_verify_unprepare(const struct sim_vq *vq, const struct sim_vio *io)
{
	sim_private_fill(io->cpu, io->region_phys + (uint64_t)(io->cpu - io->region), io->len, vq->dev);
}

uint64_t sim_verify_device_read(struct sim_verify *v, struct sim_vq *vq, const struct sim_vio *io, const uint8_t *got,
				uint8_t *expect)
{
	uint64_t foreign;
	size_t first;
	sim_data_fill(expect, io->len, io->seed, vq->dev);
	uint64_t bad = compare(got, expect, io->len, vq->dev, &foreign, &first);
	vq->res->verified_bytes += io->len;
	vq->res->mismatch_bytes += bad;
	if (bad)
		sim_verify_note(v, "device %s read %llu wrong bytes of a %u-byte write (bus 0x%llx, first at byte %zu: 0x%02x)",
				vq->d->name, (unsigned long long)bad, io->len, (unsigned long long)io->dma, first,
				got[first]);
	return bad;
}

/* The private bytes of the I/O slot outside [lo, hi). */
static void check_private(struct sim_verify *v, struct sim_vq *vq, const struct sim_vio *io, size_t lo, size_t hi,
			  uint8_t *expect)
{
	size_t spans[2][2] = { { 0, lo }, { hi, io->region_len } };
	for (int s = 0; s < 2; s++) {
		size_t a = spans[s][0], n = spans[s][1] - a;
		while (n) {
			size_t k = n < 65536 ? n : 65536;
			uint64_t foreign;
			size_t first;
			sim_private_fill(expect, io->region_phys + a, k, vq->dev);
			uint64_t bad = compare(io->region + a, expect, k, vq->dev, &foreign, &first);
			vq->guard_bytes += k;
			if (bad) {
				vq->res->stray_bytes += bad;
				vq->res->leak_bytes += foreign;
				uint8_t now = io->region[a + first];
				sim_verify_note(v,
						"device %s: %llu private bytes around an original changed, first at phys 0x%llx (now 0x%02x): a copy outside a mapping",
						vq->d->name, (unsigned long long)bad,
						(unsigned long long)(io->region_phys + a + first), now);
			}
			a += k;
			n -= k;
		}
	}
}

uint64_t sim_verify_after(struct sim_verify *v, struct sim_vq *vq, const struct sim_vio *io, bool read_ok,
			  uint8_t *expect)
{
	uint64_t bad = 0, foreign = 0;
	size_t first = 0;
	if (io->write) {
		/* no copy-back is due: the original is as the CPU left it */
		sim_data_fill(expect, io->len, io->seed, vq->dev);
		uint64_t changed = compare(io->cpu, expect, io->len, vq->dev, &foreign, &first);
		vq->res->stray_bytes += changed;
		vq->res->leak_bytes += foreign;
		if (changed)
			sim_verify_note(v, "device %s: %llu bytes of a to_device original changed by its unmap (bus 0x%llx)",
					vq->d->name, (unsigned long long)changed, (unsigned long long)io->dma);
	} else if (!vq->hostile && read_ok) {
		sim_data_fill(expect, io->len, io->seed, vq->dev);
		bad = compare(io->cpu, expect, io->len, vq->dev, &foreign, &first);
		vq->res->verified_bytes += io->len;
		vq->res->mismatch_bytes += bad;
		vq->res->leak_bytes += foreign;
		if (bad)
			sim_verify_note(v,
					"device %s: a %u-byte read returned %llu wrong bytes, %llu of another device (bus 0x%llx, first at byte %zu: 0x%02x)",
					vq->d->name, io->len, (unsigned long long)bad, (unsigned long long)foreign,
					(unsigned long long)io->dma, first, io->cpu[first]);
	} else if (vq->hostile) {
		/* whatever the device wrote is its own; nothing else may arrive */
		for (uint32_t i = 0; i < io->len; i++) {
			unsigned o = sim_owner(io->cpu[i]);
			foreign += o && o != vq->dev + 1;
		}
		vq->res->leak_bytes += foreign;
		if (foreign)
			sim_verify_note(v, "device %s: %llu bytes of other devices reached its %u-byte read (bus 0x%llx)",
					vq->d->name, (unsigned long long)foreign, io->len, (unsigned long long)io->dma);
	}
	size_t lo = (size_t)(io->cpu - io->region);
	check_private(v, vq, io, lo, lo + io->len, expect);
	sim_verify_unprepare(vq, io);
	return bad;
}

void sim_verify_check(struct sim_verify *v, struct sim_vq *vq, const char *when)
{
	char why[200] = "";
	vq->checks++;
	if (swiotlb_check(v->tlb, why, sizeof(why))) {
		vq->check_failures++;
		sim_verify_note(v, "swiotlb_check %s: %s", when, why);
	}
}

/* ------------------------------------------------------------ the pools */

static int by_phys(const void *a, const void *b)
{
	const struct vrange *x = a, *y = b;
	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

uint64_t sim_verify_pool_write(struct sim_verify *v, uint64_t phys, uint64_t len, unsigned dev, uint64_t seed)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < v->nreg; i++)
		if (v->live[i].len && v->live[i].dev != dev)
			v->sorted[n++] = v->live[i];
	qsort(v->sorted, n, sizeof(*v->sorted), by_phys);
	uint64_t written = 0;
	for (int p = 0; p < v->npools; p++) {
		uint64_t a = phys > v->pool[p].base ? phys : v->pool[p].base;
		uint64_t e = phys + len < v->pool[p].end ? phys + len : v->pool[p].end;
		uint32_t k = 0;
		while (a < e) {
			while (k < n && v->sorted[k].phys + v->sorted[k].len <= a)
				k++;
			if (k < n && v->sorted[k].phys <= a) { /* inside another device's bytes in flight */
				a = v->sorted[k].phys + v->sorted[k].len;
				continue;
			}
			uint64_t stop = k < n && v->sorted[k].phys < e ? v->sorted[k].phys : e;
			sim_data_fill(v->pool[p].cpu + (a - v->pool[p].base), (size_t)(stop - a), seed ^ a, dev);
			written += stop - a;
			a = stop;
		}
	}
	return written;
}

void sim_verify_pool_peek(struct sim_verify *v, struct sim_vq *vq)
{
	uint64_t foreign = 0, priv = 0, total = 0;
	for (int p = 0; p < v->npools; p++) {
		const uint8_t *c = v->pool[p].cpu;
		uint64_t n = v->pool[p].end - v->pool[p].base; /* whole slots */
		uint64_t blk[SWIOTLB_SLOT_SIZE / 8];
		for (uint64_t i = 0; i < n; i += sizeof(blk)) {
			memcpy(blk, c + i, sizeof(blk)); /* a word at a time below, not a byte */
			for (size_t j = 0; j < sizeof(blk) / 8; j++) {
				uint64_t w = blk[j];
				for (int k = 0; k < 8; k++, w >>= 8) {
					uint8_t b = (uint8_t)w;
					unsigned o = sim_owner(b);
					if (!o)
						continue;
					if (b & 8)
						priv++;
					else if (o != vq->dev + 1)
						foreign++;
				}
			}
		}
		total += n;
	}
	vq->kind[SWIOTLB_SIM_HOSTILE_PEEK].bytes += total;
	vq->peek_foreign += foreign;
	vq->peek_private += priv;
	if (priv)
		sim_verify_note(v, "device %s saw %llu private bytes in the pools: bytes no mapping covers were copied there",
				vq->d->name, (unsigned long long)priv);
}
