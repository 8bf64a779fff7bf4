/* SPDX-License-Identifier: MIT */
/*
 * The reconstruction behind `swiotlb trace`: events in, devices, pools,
 * live bounce mappings, peaks, histograms, failures and leaks out.
 *
 * Memory grows with the live mappings (two hash tables keyed by device and
 * address, and a slab of records with a free list), the devices, the pools
 * and the failures, never with the length of the input: occupancy over time
 * is kept in fixed-size series (struct trace_series).
 *
 * Bounce detection, in order (docs/trace.md, "Reconstructing the load"):
 * a map is bounced when its dma_addr lies in a pool learned from the log or
 * given with --pool; when no pool is known, when dma_addr differs from
 * phys_addr or a swiotlb_bounced of the same device and size came just
 * before on the same CPU.  The slots a bounced mapping holds follow from
 * its bounce address: pools start on a page, so dma_addr & 2047 is the
 * padding the kernel put before the data in its first slot.
 */
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct trace_live {
	uint64_t dma, phys, size, slots, id;
	double ts;
	uint32_t dev;
	int32_t pool;
	uint32_t next_free;
	bool bounced, sg, used, has_phys;
};

#define NONE32 UINT32_MAX

/* ------------------------------------------------------------ hash table */

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 29);
}

static void ht_free(struct trace_htab *t)
{
	free(t->ka);
	free(t->kb);
	free(t->val);
	memset(t, 0, sizeof(*t));
}

static bool ht_grow(struct trace_htab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	struct trace_htab n = {calloc(cap, 8), calloc(cap, 8), malloc(cap * 4), cap, 0};
	if (!n.ka || !n.kb || !n.val) {
		ht_free(&n);
		return false;
	}
	memset(n.val, 0xff, cap * 4);
	for (size_t i = 0; i < t->cap; i++) {
		if (t->val[i] == NONE32)
			continue;
		size_t j = mix(t->ka[i], t->kb[i]) & (cap - 1);
		while (n.val[j] != NONE32)
			j = (j + 1) & (cap - 1);
		n.ka[j] = t->ka[i];
		n.kb[j] = t->kb[i];
		n.val[j] = t->val[i];
	}
	n.n = t->n;
	ht_free(t);
	*t = n;
	return true;
}

static uint32_t ht_get(const struct trace_htab *t, uint64_t a, uint64_t b)
{
	if (!t->cap)
		return NONE32;
	size_t j = mix(a, b) & (t->cap - 1);
	while (t->val[j] != NONE32) {
		if (t->ka[j] == a && t->kb[j] == b)
			return t->val[j];
		j = (j + 1) & (t->cap - 1);
	}
	return NONE32;
}

static bool ht_put(struct trace_htab *t, uint64_t a, uint64_t b, uint32_t v)
{
	if ((t->n + 1) * 4 > t->cap * 3 && !ht_grow(t))
		return false;
	size_t j = mix(a, b) & (t->cap - 1);
	while (t->val[j] != NONE32) {
		if (t->ka[j] == a && t->kb[j] == b) {
			t->val[j] = v;
			return true;
		}
		j = (j + 1) & (t->cap - 1);
	}
	t->ka[j] = a;
	t->kb[j] = b;
	t->val[j] = v;
	t->n++;
	return true;
}

/* Linear probing deletes by shifting the rest of the cluster back. */
static void ht_del(struct trace_htab *t, uint64_t a, uint64_t b)
{
	if (!t->cap)
		return;
	size_t mask = t->cap - 1, j = mix(a, b) & mask;
	while (t->val[j] != NONE32 && !(t->ka[j] == a && t->kb[j] == b))
		j = (j + 1) & mask;
	if (t->val[j] == NONE32)
		return;
	t->val[j] = NONE32;
	t->n--;
	size_t i = j;
	for (;;) {
		i = (i + 1) & mask;
		if (t->val[i] == NONE32)
			return;
		size_t home = mix(t->ka[i], t->kb[i]) & mask;
		/* may the entry at i move to the hole at j? only if its home is not in (j, i] */
		bool stays = j <= i ? (home > j && home <= i) : (home > j || home <= i);
		if (stays)
			continue;
		t->ka[j] = t->ka[i];
		t->kb[j] = t->kb[i];
		t->val[j] = t->val[i];
		t->val[i] = NONE32;
		j = i;
	}
}

/* ------------------------------------------------------------ series */

void trace_series_add(struct trace_series *s, double t, uint64_t v, bool fail)
{
	if (!s->started) {
		s->started = true;
		s->t0 = t;
		s->width = 1e-3;
	}
	if (t < s->t0)
		t = s->t0; /* a file merged out of order: keep it at the start */
	double rel = (t - s->t0) / s->width;
	while (rel >= TRACE_SERIES_MAX) {
		for (uint32_t i = 0; i < TRACE_SERIES_MAX / 2; i++) {
			uint32_t a = 2 * i, b = 2 * i + 1;
			s->set[i] = s->set[a] || s->set[b];
			s->max[i] = s->max[a] > s->max[b] ? s->max[a] : s->max[b];
			s->fails[i] = s->fails[a] + s->fails[b];
			s->failed_maps[i] = s->failed_maps[a] + s->failed_maps[b];
		}
		memset(&s->set[TRACE_SERIES_MAX / 2], 0, TRACE_SERIES_MAX / 2 * sizeof(s->set[0]));
		memset(&s->max[TRACE_SERIES_MAX / 2], 0, TRACE_SERIES_MAX / 2 * sizeof(s->max[0]));
		memset(&s->fails[TRACE_SERIES_MAX / 2], 0, TRACE_SERIES_MAX / 2 * sizeof(s->fails[0]));
		memset(&s->failed_maps[TRACE_SERIES_MAX / 2], 0, TRACE_SERIES_MAX / 2 * sizeof(s->failed_maps[0]));
		s->width *= 2;
		rel = (t - s->t0) / s->width;
	}
	uint32_t i = (uint32_t)rel;
	if (!s->set[i] || v > s->max[i])
		s->max[i] = v;
	s->set[i] = true;
	if (fail)
		s->fails[i]++;
	if (i + 1 > s->n)
		s->n = i + 1;
}

void trace_series_failed_map(struct trace_series *s, double t, uint64_t v)
{
	trace_series_add(s, t, v, false);
	if (t < s->t0)
		t = s->t0;
	double rel = (t - s->t0) / s->width;
	uint32_t i = rel < TRACE_SERIES_MAX ? (uint32_t)rel : TRACE_SERIES_MAX - 1;
	s->failed_maps[i]++;
}

/* ------------------------------------------------------------ histograms */

unsigned trace_hist_bucket(uint64_t slots)
{
	unsigned b = 0;
	uint64_t lim = 1;
	while (b < TRACE_HIST_BUCKETS - 1 && slots > lim) {
		lim <<= 1;
		b++;
	}
	return b;
}

const char *trace_hist_label(unsigned bucket)
{
	static const char *const l[TRACE_HIST_BUCKETS] = {"1",     "2",      "3-4",    "5-8",    "9-16",
							   "17-32", "33-64", "65-128", "129-256", "257+"};
	return bucket < TRACE_HIST_BUCKETS ? l[bucket] : "?";
}

/* ------------------------------------------------------------ model */

void trace_model_init(struct trace_model *m)
{
	memset(m, 0, sizeof(*m));
	m->other_pool = -1;
	m->free_live = NONE32;
}

void trace_model_free(struct trace_model *m)
{
	for (uint32_t i = 0; i < m->ndevs; i++) {
		free(m->devs[i]->name);
		free(m->devs[i]);
	}
	free(m->devs);
	ht_free(&m->dev_by_name);
	ht_free(&m->by_dma);
	ht_free(&m->by_phys);
	free(m->live);
	free(m->lastb);
	free(m->fails);
	memset(m, 0, sizeof(*m));
}

static void oom(void)
{
	fprintf(stderr, "swiotlb trace: out of memory\n");
	exit(2);
}

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static uint32_t device(struct trace_model *m, const char *name, size_t len)
{
	uint64_t h = name_hash(name, len);
	uint32_t i = ht_get(&m->dev_by_name, h, len);
	if (i != NONE32 && !strncmp(m->devs[i]->name, name, len) && !m->devs[i]->name[len])
		return i;
	if (i != NONE32) /* a 64-bit hash collision: fall back to a scan */
		for (uint32_t k = 0; k < m->ndevs; k++)
			if (!strncmp(m->devs[k]->name, name, len) && !m->devs[k]->name[len])
				return k;
	if (m->ndevs == m->cap_devs) {
		uint32_t cap = m->cap_devs ? m->cap_devs * 2 : 16;
		struct trace_device **d = realloc(m->devs, cap * sizeof(*d));
		if (!d)
			oom();
		m->devs = d;
		m->cap_devs = cap;
	}
	struct trace_device *d = calloc(1, sizeof(*d));
	if (!d || !(d->name = strndup(name, len)))
		oom();
	d->idx = m->ndevs;
	m->devs[m->ndevs] = d;
	if (i == NONE32 && !ht_put(&m->dev_by_name, h, len, m->ndevs))
		oom();
	return m->ndevs++;
}

static struct trace_pool *pool_named(struct trace_model *m, const char *name, size_t len, int *idx)
{
	for (uint32_t i = 0; i < m->npools; i++)
		if (strlen(m->pools[i].name) == len && !memcmp(m->pools[i].name, name, len)) {
			if (idx)
				*idx = (int)i;
			return &m->pools[i];
		}
	if (m->npools == TRACE_MAX_POOLS)
		return NULL;
	struct trace_pool *p = &m->pools[m->npools];
	memset(p, 0, sizeof(*p));
	if (len >= sizeof(p->name))
		len = sizeof(p->name) - 1;
	memcpy(p->name, name, len);
	p->source = "trace";
	if (idx)
		*idx = (int)m->npools;
	m->npools++;
	return p;
}

int trace_model_add_pool(struct trace_model *m, const char *name, uint64_t start, uint64_t end, const char *source)
{
	if (end <= start)
		return -1;
	for (uint32_t i = 0; i < m->npools; i++)
		if (m->pools[i].known && m->pools[i].start == start && m->pools[i].end == end)
			return (int)i;
	char unique[32];
	snprintf(unique, sizeof(unique), "%s", name);
	for (int k = 2; k < 100; k++) {
		bool taken = false;
		for (uint32_t i = 0; i < m->npools; i++)
			if (!strcmp(m->pools[i].name, unique) && m->pools[i].known)
				taken = true;
		if (!taken)
			break;
		snprintf(unique, sizeof(unique), "%.20s-%d", name, k);
	}
	int idx;
	struct trace_pool *p = pool_named(m, unique, strlen(unique), &idx);
	if (!p)
		return -1;
	p->start = start;
	p->end = end;
	p->known = true;
	p->source = source;
	m->nknown++;
	return idx;
}

/* The known pool holding device address `dma`.  Confidential guests may
 * set a bit above the RAM in device addresses of shared memory (the SEV
 * C-bit cleared, a TDX shared bit set), so bits from 47 up are tried off. */
static int pool_of(const struct trace_model *m, uint64_t dma)
{
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < m->npools; i++) {
			const struct trace_pool *p = &m->pools[i];
			if (p->known && dma >= p->start && dma < p->end)
				return (int)i;
		}
		if (dma < (1ull << 47))
			break;
		dma &= (1ull << 47) - 1;
	}
	return -1;
}

static int other_pool(struct trace_model *m)
{
	if (m->other_pool < 0) {
		const char *n = m->nknown ? "unknown" : "default";
		int idx;
		struct trace_pool *p = pool_named(m, n, strlen(n), &idx);
		m->other_pool = p ? idx : -1;
	}
	return m->other_pool;
}

static void note_time(struct trace_model *m, const struct tev *ev)
{
	if (!ev->has_ts)
		return;
	if (!m->any_ts || ev->ts < m->first_ts)
		m->first_ts = ev->ts;
	if (!m->any_ts || ev->ts > m->last_ts)
		m->last_ts = ev->ts;
	m->any_ts = true;
}

static void dev_time(struct trace_device *d, const struct tev *ev)
{
	if (!ev->has_ts)
		return;
	if (!d->any_ts)
		d->first_ts = ev->ts;
	d->last_ts = ev->ts;
	d->any_ts = true;
}

static uint32_t live_alloc(struct trace_model *m)
{
	if (m->free_live != NONE32) {
		uint32_t i = m->free_live;
		m->free_live = m->live[i].next_free;
		return i;
	}
	if (m->nlive_slab == m->cap_live) {
		uint32_t cap = m->cap_live ? m->cap_live * 2 : 1024;
		struct trace_live *l = realloc(m->live, cap * sizeof(*l));
		if (!l)
			oom();
		m->live = l;
		m->cap_live = cap;
	}
	return m->nlive_slab++;
}

static void live_release(struct trace_model *m, uint32_t i, const struct tev *ev)
{
	struct trace_live *l = &m->live[i];
	ht_del(&m->by_dma, l->dev, l->dma);
	if (l->sg && l->has_phys && ht_get(&m->by_phys, l->dev, l->phys) == i)
		ht_del(&m->by_phys, l->dev, l->phys);
	if (l->bounced) {
		struct trace_device *d = m->devs[l->dev];
		d->live_slots -= l->slots;
		d->live_maps--;
		m->live_bounced--;
		m->total_slots -= l->slots;
		m->live_total_bytes -= l->size;
		if (l->pool >= 0) {
			struct trace_pool *p = &m->pools[l->pool];
			p->live_slots -= l->slots;
			p->live_bytes -= l->size;
			p->live_maps--;
			if (ev && ev->has_ts)
				trace_series_add(&p->series, ev->ts, p->live_slots, false);
		}
		if (m->op_fn) {
			struct trace_op op = {.map = false, .dev = l->dev, .id = l->id, .phys = l->phys,
					      .size = l->size, .slots = l->slots, .dma = l->dma,
					      .cpu = ev ? ev->cpu : -1, .dir = ev ? ev->dir : -1, .pool = l->pool};
			m->op_fn(m->op_arg, &op);
		}
	}
	l->used = false;
	l->next_free = m->free_live;
	m->free_live = i;
}

/* One mapping that the device got: single or one scatter-gather entry. */
static void add_mapping(struct trace_model *m, const struct tev *ev, uint32_t dev, uint64_t dma, uint64_t size,
			bool has_phys, uint64_t phys, bool sg)
{
	struct trace_device *d = m->devs[dev];
	d->maps++;
	m->maps++;
	int pool = pool_of(m, dma);
	bool bounced = pool >= 0;
	if (!bounced && !m->nknown) {
		bool paired = ev->cpu >= 0 && (uint32_t)ev->cpu < m->ncpu_lastb && m->lastb[ev->cpu].set &&
			      m->lastb[ev->cpu].dev == dev && m->lastb[ev->cpu].size == size;
		if ((has_phys && dma != phys) || paired)
			bounced = true;
	} else if (!bounced) {
		/* a known pool set, and this address outside it: bounced only when the
		 * swiotlb_bounced just before says so (a pool the log did not show) */
		bounced = ev->cpu >= 0 && (uint32_t)ev->cpu < m->ncpu_lastb && m->lastb[ev->cpu].set &&
			  m->lastb[ev->cpu].dev == dev && m->lastb[ev->cpu].size == size;
	}
	if (ev->cpu >= 0 && (uint32_t)ev->cpu < m->ncpu_lastb)
		m->lastb[ev->cpu].set = false;
	if (bounced && pool < 0)
		pool = other_pool(m);

	uint32_t old = ht_get(&m->by_dma, dev, dma);
	if (old != NONE32) {
		/* the same device address live twice: its unmap was lost */
		m->remapped++;
		live_release(m, old, ev);
	}
	uint32_t i = live_alloc(m);
	struct trace_live *l = &m->live[i];
	memset(l, 0, sizeof(*l));
	l->dma = dma;
	l->phys = phys;
	l->has_phys = has_phys;
	l->size = size;
	l->dev = dev;
	l->pool = bounced ? pool : -1;
	l->bounced = bounced;
	l->sg = sg;
	l->used = true;
	l->ts = ev->has_ts ? ev->ts : 0;
	l->id = ++m->next_id;
	if (!ht_put(&m->by_dma, dev, dma, i))
		oom();
	if (sg && has_phys && !ht_put(&m->by_phys, dev, phys, i))
		oom();
	if (!bounced)
		return;

	l->slots = trace_slots(dma & 2047, size);
	d->bounced_maps++;
	m->bounced_maps++;
	if (size > d->max_size)
		d->max_size = size;
	if (dma & 2047)
		d->off_maps++;
	if (has_phys) {
		if (((dma ^ phys) & 0x800) == 0)
			d->bit11_same++;
		else
			d->bit11_diff++;
	}
	unsigned b = trace_hist_bucket(l->slots);
	d->hist[b]++;
	m->hist[b]++;
	d->live_slots += l->slots;
	d->live_maps++;
	if (d->live_slots > d->peak_slots) {
		d->peak_slots = d->live_slots;
		d->peak_time = l->ts;
	}
	if (d->live_maps > d->peak_maps)
		d->peak_maps = d->live_maps;
	if (pool >= 0 && pool < 8)
		d->pool_maps[pool]++;
	m->live_bounced++;
	if (m->live_bounced > m->peak_live_bounced)
		m->peak_live_bounced = m->live_bounced;
	m->total_slots += l->slots;
	m->live_total_bytes += size;
	if (m->total_slots > m->peak_total_slots) {
		m->peak_total_slots = m->total_slots;
		m->peak_total_bytes = m->live_total_bytes;
		m->peak_total_time = l->ts;
	}
	if (pool >= 0) {
		struct trace_pool *p = &m->pools[pool];
		p->maps++;
		p->live_slots += l->slots;
		p->live_bytes += size;
		p->live_maps++;
		if (!p->has_peak || p->live_slots > p->peak_slots) {
			p->has_peak = true;
			p->peak_slots = p->live_slots;
			p->peak_bytes = p->live_bytes;
			p->peak_time = l->ts;
		}
		if (ev->has_ts)
			trace_series_add(&p->series, ev->ts, p->live_slots, false);
	}
	if (m->op_fn) {
		struct trace_op op = {.map = true, .dev = dev, .id = l->id, .phys = phys, .size = size,
				      .slots = l->slots, .dma = dma, .cpu = ev->cpu, .dir = ev->dir, .pool = pool};
		m->op_fn(m->op_arg, &op);
	}
}

/* A map traced as failed, on the plot: the pool of the bounces (the
 * event does not say which pool refused, so the first known one). */
static void failed_map_mark(struct trace_model *m, const struct tev *ev)
{
	if (!ev->has_ts)
		return;
	int pi = -1;
	for (uint32_t i = 0; i < m->npools && pi < 0; i++)
		if (m->pools[i].known)
			pi = (int)i;
	if (pi < 0)
		pi = m->other_pool;
	if (pi >= 0)
		trace_series_failed_map(&m->pools[pi].series, ev->ts, m->pools[pi].live_slots);
}

static void dma_time(struct trace_model *m, const struct tev *ev)
{
	if (!ev->has_ts)
		return;
	if (!m->dma_events)
		m->dma_first_ts = ev->ts;
	m->dma_last_ts = ev->ts;
	m->dma_events = true;
}

static void unmatched(struct trace_model *m, uint32_t dev)
{
	m->unmatched_unmaps++;
	m->devs[dev]->unmatched_unmaps++;
}

static void add_failure(struct trace_model *m, uint32_t file, uint64_t line, const struct tev *ev)
{
	int dev = ev->dev_len ? (int)device(m, ev->dev, ev->dev_len) : -1;
	/* 4.x kernels print "Out of SW-IOMMU space" right after "buffer is full"
	 * for the same request: one failure, not two */
	if (ev->kind == TEV_OUT_OF_SPACE && m->nfails) {
		struct trace_failure *f = &m->fails[m->nfails - 1];
		if (f->kind == TEV_FULL && f->file == file && line - f->line <= 3 &&
		    (!f->has_size || f->size == ev->size)) {
			if (f->dev < 0)
				f->dev = dev;
			if (!f->has_size) { /* the bare message of old kernels: take the size from here */
				m->causes[f->ex.cause]--;
				f->has_size = true;
				f->size = ev->size;
				trace_explain(f->kind, true, f->size, f->has_total, f->total, f->has_used, f->used,
					      f->has_largest, f->largest, &f->ex);
				m->causes[f->ex.cause]++;
			}
			return;
		}
	}
	if (m->nfails == m->cap_fails) {
		size_t cap = m->cap_fails ? m->cap_fails * 2 : 64;
		struct trace_failure *f = realloc(m->fails, cap * sizeof(*f));
		if (!f)
			oom();
		m->fails = f;
		m->cap_fails = cap;
	}
	struct trace_failure *f = &m->fails[m->nfails++];
	memset(f, 0, sizeof(*f));
	f->file = file;
	f->line = line;
	f->dev = dev;
	f->kind = ev->kind;
	f->has_size = ev->has_size;
	f->size = ev->size;
	f->has_total = ev->has_total;
	f->total = ev->total;
	f->has_used = ev->has_used;
	f->used = ev->used;
	f->has_largest = ev->has_largest;
	f->largest = ev->largest;
	f->has_ts = ev->has_ts;
	f->ts = ev->ts;
	trace_explain(ev->kind, ev->has_size, ev->size, ev->has_total, ev->total, ev->has_used, ev->used,
		      ev->has_largest, ev->largest, &f->ex);
	m->causes[f->ex.cause]++;
	if (m->npools && ev->has_ts)
		trace_series_add(&m->pools[0].series, ev->ts, m->pools[0].live_slots, true);
}

static void set_lastb(struct trace_model *m, int cpu, uint32_t dev, uint64_t size)
{
	if (cpu < 0 || cpu >= 65536)
		return;
	if ((uint32_t)cpu >= m->ncpu_lastb) {
		uint32_t n = (uint32_t)cpu + 1 < 64 ? 64 : (uint32_t)cpu + 1;
		void *p = realloc(m->lastb, n * sizeof(*m->lastb));
		if (!p)
			oom();
		m->lastb = p;
		memset(&m->lastb[m->ncpu_lastb], 0, (n - m->ncpu_lastb) * sizeof(*m->lastb));
		m->ncpu_lastb = n;
	}
	m->lastb[cpu].dev = dev;
	m->lastb[cpu].size = size;
	m->lastb[cpu].set = true;
}

static void cmdline(struct trace_model *m, const char *s, size_t n)
{
	/* the last swiotlb= wins, as in the kernel */
	for (size_t i = 0; i + 8 <= n; i++) {
		if ((i == 0 || s[i - 1] == ' ') && !memcmp(s + i, "swiotlb=", 8)) {
			size_t j = i;
			while (j < n && s[j] != ' ')
				j++;
			size_t len = j - i < sizeof(m->cmdline) - 1 ? j - i : sizeof(m->cmdline) - 1;
			memcpy(m->cmdline, s + i, len);
			m->cmdline[len] = '\0';
		}
	}
}

static void debugfs(struct trace_model *m, const struct tev *ev)
{
	const char *name = ev->label_len ? ev->label : (m->npools ? m->pools[0].name : "default");
	size_t len = ev->label_len ? ev->label_len : strlen(name);
	struct trace_pool *p = pool_named(m, name, len, NULL);
	if (!p)
		return;
	p->dbg = true;
#define CTR(lit) (ev->str_len == sizeof(lit) - 1 && !memcmp(ev->str, lit, ev->str_len))
	if (CTR("io_tlb_nslabs")) {
		p->dbg_nslabs = ev->a;
		p->dbg_samples++;
	} else if (CTR("io_tlb_used")) {
		p->dbg_used = ev->a;
		if (ev->a > p->dbg_used_max)
			p->dbg_used_max = ev->a;
		if (ev->has_ts)
			trace_series_add(&p->series, ev->ts, ev->a, false);
	} else if (CTR("io_tlb_used_hiwater")) {
		if (ev->a > p->dbg_hiwater)
			p->dbg_hiwater = ev->a;
	} else if (CTR("io_tlb_transient_nslabs")) {
		p->dbg_transient = ev->a;
	}
#undef CTR
}

void trace_model_feed(struct trace_model *m, uint32_t file, uint64_t line, const struct tev *ev)
{
	m->events[ev->name]++;
	note_time(m, ev);
	if (ev->cpu >= 0 && (uint32_t)ev->cpu + 1 > m->max_trace_cpu)
		m->max_trace_cpu = (uint32_t)ev->cpu + 1;
	switch (ev->kind) {
	case TEV_E820:
		if (m->ne820 < 64) {
			m->e820_start[m->ne820] = ev->a;
			m->e820_end[m->ne820] = ev->b;
			m->e820_usable_flag[m->ne820] = ev->dma != 0;
			m->ne820++;
		}
		if (ev->dma)
			m->e820_usable += ev->b - ev->a;
		break;
	case TEV_CMDLINE:
		cmdline(m, ev->str, ev->str_len);
		break;
	case TEV_MAPPED: {
		const char *name = "default";
		char buf[32];
		if (ev->label_len == 8 && !memcmp(ev->label, "High Mem", 8))
			name = "highmem";
		else if (ev->label_len > 5 && !memcmp(ev->label, "pool ", 5)) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(ev->label_len - 5), ev->label + 5);
			name = buf;
		}
		trace_model_add_pool(m, name, ev->a, ev->b, "log");
		break;
	}
	case TEV_AREA_NUM:
		m->area_num = (uint32_t)ev->a;
		break;
	case TEV_ADJUSTED_TO:
		m->has_adjusted_to = true;
		m->adjusted_to_mb = ev->a;
		break;
	case TEV_ROUNDUP:
		m->has_roundup = true;
		m->roundup_mb = ev->a;
		break;
	case TEV_ADJUSTED_SLABS:
		m->has_adjusted_slabs = true;
		m->adjusted_from = ev->a;
		m->adjusted_slabs = ev->b;
		break;
	case TEV_ALLOC_FAILED:
		m->alloc_failed++;
		break;
	case TEV_MEM_ENCRYPT:
		m->cc = true;
		snprintf(m->cc_what, sizeof(m->cc_what), "%.*s", (int)ev->str_len, ev->str);
		break;
	case TEV_CPUS:
		m->cpus = (uint32_t)ev->a;
		break;
	case TEV_MEMORY:
		m->mem_total = ev->a;
		break;
	case TEV_SUPPRESSED:
		m->suppressed += ev->a;
		break;
	case TEV_FULL:
	case TEV_OUT_OF_SPACE:
	case TEV_COHERENT_FAILED:
	case TEV_NO_BUFFER:
	case TEV_NEVER_FIT:
		add_failure(m, file, line, ev);
		break;
	case TEV_LOST:
		m->lost_events += ev->a;
		break;
	case TEV_BOUNCED: {
		uint32_t dev = device(m, ev->dev, ev->dev_len);
		struct trace_device *d = m->devs[dev];
		dev_time(d, ev);
		d->bounces++;
		if (ev->force == TF_FORCE)
			d->forced++;
		if (ev->mask) {
			d->has_mask = true;
			d->dma_mask = ev->mask;
		}
		if (ev->size > d->max_size)
			d->max_size = ev->size;
		set_lastb(m, ev->cpu, dev, ev->size);
		break;
	}
	case TEV_MAP: {
		dma_time(m, ev);
		m->dma_events = true;
		uint32_t dev = device(m, ev->dev, ev->dev_len);
		dev_time(m->devs[dev], ev);
		if (ev->dma == UINT64_MAX) { /* DMA_MAPPING_ERROR: the map failed */
			m->devs[dev]->failed_maps++;
			m->failed_maps++;
			failed_map_mark(m, ev);
			if (ev->cpu >= 0 && (uint32_t)ev->cpu < m->ncpu_lastb)
				m->lastb[ev->cpu].set = false;
			break;
		}
		add_mapping(m, ev, dev, ev->dma, ev->size, ev->has_phys, ev->phys, false);
		break;
	}
	case TEV_MAP_SG: {
		dma_time(m, ev);
		m->dma_events = true;
		uint32_t dev = device(m, ev->dev, ev->dev_len);
		dev_time(m->devs[dev], ev);
		if (ev->truncated)
			m->sg_truncated++;
		/* dma-direct maps every entry on its own, so phys_addrs[i] pairs with
		 * dma_addrs[i]; an IOMMU may merge entries (fewer dma than phys) */
		bool pairs = ev->n_phys == ev->n_dma;
		for (uint32_t i = 0; i < ev->n_dma; i++)
			add_mapping(m, ev, dev, ev->dmas[i], ev->sizes[i], pairs, pairs ? ev->physs[i] : 0, true);
		break;
	}
	case TEV_MAP_SG_ERR: {
		uint32_t dev = device(m, ev->dev, ev->dev_len);
		m->devs[dev]->failed_maps++;
		m->failed_maps++;
		failed_map_mark(m, ev);
		break;
	}
	case TEV_UNMAP: {
		dma_time(m, ev);
		m->dma_events = true;
		uint32_t dev = device(m, ev->dev, ev->dev_len);
		struct trace_device *d = m->devs[dev];
		dev_time(d, ev);
		d->unmaps++;
		m->unmaps++;
		uint32_t i = ht_get(&m->by_dma, dev, ev->dma);
		if (i == NONE32)
			unmatched(m, dev);
		else
			live_release(m, i, ev);
		break;
	}
	case TEV_UNMAP_SG: {
		dma_time(m, ev);
		m->dma_events = true;
		uint32_t dev = device(m, ev->dev, ev->dev_len);
		struct trace_device *d = m->devs[dev];
		dev_time(d, ev);
		for (uint32_t k = 0; k < ev->n_phys; k++) {
			d->unmaps++;
			m->unmaps++;
			uint32_t i = ht_get(&m->by_phys, dev, ev->physs[k]);
			if (i == NONE32)
				unmatched(m, dev);
			else
				live_release(m, i, ev);
		}
		break;
	}
	case TEV_SYNC:
	case TEV_SYNC_SG:
		m->devs[device(m, ev->dev, ev->dev_len)]->syncs++;
		break;
	case TEV_ALLOC:
		m->devs[device(m, ev->dev, ev->dev_len)]->allocs++;
		break;
	case TEV_FREE:
		m->devs[device(m, ev->dev, ev->dev_len)]->frees++;
		break;
	case TEV_DEBUGFS:
		debugfs(m, ev);
		break;
	default:
		break;
	}
}

void trace_model_finish(struct trace_model *m)
{
	/* a mapping still live at the end is a leak when it is old: anything
	 * mapped in the last tenth of the trace (at least the last second) may
	 * just be in flight */
	double span = m->any_ts ? m->last_ts - m->first_ts : 0;
	double young = span / 10 > 1 ? span / 10 : 1;
	for (uint32_t i = 0; i < m->nlive_slab; i++) {
		const struct trace_live *l = &m->live[i];
		if (!l->used || !l->bounced)
			continue;
		if (m->any_ts && m->last_ts - l->ts < young)
			continue;
		m->devs[l->dev]->leaks++;
		m->devs[l->dev]->leaked_slots += l->slots;
	}
}
