/* SPDX-License-Identifier: MIT */
/*
 * `swiotlb trace replay` and `advise`: the reconstructed bounce mappings,
 * in order, through libswiotlb.
 *
 * The files are read again (the model of the first pass is kept only for
 * the devices, the machine and the peaks), so a replay holds no more than
 * the live mappings, as the first pass.  Every device is marked
 * force-bounce: the replay repeats the bounces the kernel made, not the
 * decision to make them, and keeps each device's DMA mask so the pool
 * choice is the library's own.
 *
 * Original buffers are not where the kernel had them: each is moved into a
 * 64 MiB scratch window above the RAM, keeping its low 26 bits (so the
 * offset in the slot, which min_align_mask preserves, is the kernel's) and
 * touching at most the window's memory however long the trace.
 *
 * `advise` replays power-of-two sizes (the kernel rounds the default pool
 * to one) from the measured peak up, then down to the smallest that
 * replays with no failure, then applies the headroom.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "swiotlb/posix.h"
#include "swiotlb/swiotlb.h"
#include "trace.h"

#define WINDOW (64ull << 20)

struct rmap {
	uint64_t id, dma, size;
	uint32_t dev;
	int dir;
	uint32_t slots;
	uint32_t next;
};

struct rctx {
	struct swiotlb *tlb;
	struct swiotlb_device *devs;
	uint32_t ndevs;
	uint32_t ncpus;
	uint64_t scratch;
	struct trace_replay_result *r;
	/* live replayed mappings: open addressing on the map id */
	uint64_t *ids;
	uint32_t *slot;
	size_t cap, n;
	struct rmap *maps;
	uint32_t nmaps, capmaps, freel;
	uint64_t used, peak;
};

static uint64_t hid(uint64_t id)
{
	id *= 0x9e3779b97f4a7c15ull;
	return id ^ (id >> 31);
}

static void die_oom(void)
{
	fprintf(stderr, "swiotlb trace: out of memory\n");
	exit(2);
}

static void tab_grow(struct rctx *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	uint64_t *ids = calloc(cap, sizeof(*ids));
	uint32_t *slot = malloc(cap * sizeof(*slot));
	if (!ids || !slot)
		die_oom();
	memset(slot, 0xff, cap * sizeof(*slot));
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slot[i] == UINT32_MAX)
			continue;
		size_t j = hid(c->ids[i]) & (cap - 1);
		while (slot[j] != UINT32_MAX)
			j = (j + 1) & (cap - 1);
		ids[j] = c->ids[i];
		slot[j] = c->slot[i];
	}
	free(c->ids);
	free(c->slot);
	c->ids = ids;
	c->slot = slot;
	c->cap = cap;
}

static void tab_put(struct rctx *c, uint64_t id, uint32_t v)
{
	if ((c->n + 1) * 4 > c->cap * 3)
		tab_grow(c);
	size_t j = hid(id) & (c->cap - 1);
	while (c->slot[j] != UINT32_MAX)
		j = (j + 1) & (c->cap - 1);
	c->ids[j] = id;
	c->slot[j] = v;
	c->n++;
}

/* Remove and return the entry of `id`, or UINT32_MAX. */
static uint32_t tab_take(struct rctx *c, uint64_t id)
{
	if (!c->cap)
		return UINT32_MAX;
	size_t mask = c->cap - 1, j = hid(id) & mask;
	while (c->slot[j] != UINT32_MAX && c->ids[j] != id)
		j = (j + 1) & mask;
	if (c->slot[j] == UINT32_MAX)
		return UINT32_MAX;
	uint32_t v = c->slot[j];
	c->slot[j] = UINT32_MAX;
	c->n--;
	size_t i = j;
	for (;;) {
		i = (i + 1) & mask;
		if (c->slot[i] == UINT32_MAX)
			break;
		size_t home = hid(c->ids[i]) & mask;
		bool stays = j <= i ? (home > j && home <= i) : (home > j || home <= i);
		if (stays)
			continue;
		c->ids[j] = c->ids[i];
		c->slot[j] = c->slot[i];
		c->slot[i] = UINT32_MAX;
		j = i;
	}
	return v;
}

static uint32_t rmap_alloc(struct rctx *c)
{
	if (c->freel != UINT32_MAX) {
		uint32_t i = c->freel;
		c->freel = c->maps[i].next;
		return i;
	}
	if (c->nmaps == c->capmaps) {
		uint32_t cap = c->capmaps ? c->capmaps * 2 : 1024;
		struct rmap *m = realloc(c->maps, cap * sizeof(*m));
		if (!m)
			die_oom();
		c->maps = m;
		c->capmaps = cap;
	}
	return c->nmaps++;
}

static enum swiotlb_dir dir_of(int d)
{
	return d == 1 ? SWIOTLB_TO_DEVICE : d == 2 ? SWIOTLB_FROM_DEVICE : SWIOTLB_BIDIRECTIONAL;
}

static void note_peak(struct rctx *c)
{
	struct trace_replay_result *r = c->r;
	if (c->used <= c->peak)
		return;
	c->peak = c->used;
	for (uint32_t i = 0; i < r->npools; i++)
		r->pools[i].largest_free_at_peak = swiotlb_pool_largest_free(c->tlb, (int)i);
}

static void classify_full(struct rctx *c, uint32_t dev, uint64_t slots)
{
	/* exhausted or fragmented: compare the free slots of the pools this
	 * device can reach with what it needed */
	struct trace_replay_result *r = c->r;
	uint64_t free_slots = 0;
	for (uint32_t i = 0; i < r->npools; i++) {
		struct swiotlb_pool_info info;
		struct swiotlb_stats st;
		if (swiotlb_pool_info(c->tlb, (int)i, &info) || swiotlb_get_stats(c->tlb, (int)i, &st))
			continue;
		if (info.dma_end - 1 > c->devs[dev].dma_mask)
			continue;
		free_slots += st.nslabs - st.used;
	}
	r->fail_cause[free_slots < slots ? CAUSE_EXHAUSTED : CAUSE_FRAGMENTED]++;
}

static void replay_op(void *arg, const struct trace_op *op)
{
	struct rctx *c = arg;
	struct trace_replay_result *r = c->r;
	if (op->dev >= c->ndevs)
		return;
	if (!op->map) {
		uint32_t i = tab_take(c, op->id);
		if (i == UINT32_MAX)
			return; /* its map failed in the replay */
		struct rmap *mp = &c->maps[i];
		int rc = swiotlb_unmap(c->tlb, &c->devs[mp->dev], mp->dma, (size_t)mp->size, dir_of(mp->dir), 0);
		if (rc)
			r->unmap_errors++;
		else
			r->unmaps++;
		c->used -= mp->slots;
		mp->next = c->freel;
		c->freel = i;
		return;
	}
	uint64_t orig = c->scratch + (op->size <= WINDOW ? (op->phys & (WINDOW - 1)) : 0);
	struct swiotlb_map_args a = {
		.orig = orig,
		.size = (size_t)op->size,
		.dir = dir_of(op->dir),
		.attrs = SWIOTLB_ATTR_NO_WARN,
		.cpu = op->cpu >= 0 ? (int)((uint32_t)op->cpu % c->ncpus) : 0,
	};
	struct swiotlb_map_result res;
	int rc = op->size && op->size <= (1u << 30) ? swiotlb_map_ex(c->tlb, &c->devs[op->dev], &a, &res)
						    : SWIOTLB_ETOOLARGE;
	if (rc == 0 && !res.bounced)
		rc = SWIOTLB_EINVAL; /* cannot happen: every device is force-bounce */
	if (rc) {
		r->failures++;
		switch (rc) {
		case SWIOTLB_EFULL:
			classify_full(c, op->dev, op->slots);
			break;
		case SWIOTLB_ETOOLARGE:
			r->fail_cause[CAUSE_TOO_LARGE]++;
			break;
		case SWIOTLB_ENOPOOL:
			r->fail_cause[CAUSE_NO_POOL]++;
			break;
		case SWIOTLB_EUNREACHABLE:
			r->fail_unreachable++;
			break;
		default:
			r->fail_other++;
			break;
		}
		return;
	}
	r->maps++;
	if (res.pool >= 0 && res.pool < 8 && op->dev < 64)
		r->pools[res.pool].served[op->dev]++;
	uint32_t i = rmap_alloc(c);
	c->maps[i] = (struct rmap){.id = op->id, .dma = res.dma, .size = op->size, .dev = op->dev,
				   .dir = op->dir, .slots = res.slots, .next = UINT32_MAX};
	tab_put(c, op->id, i);
	c->used += res.slots;
	note_peak(c);
}

static uint32_t replay_cpus(const struct trace_model *m, const struct trace_replay_opts *o)
{
	if (o->cpus)
		return o->cpus;
	if (m->cpus)
		return m->cpus;
	if (m->max_trace_cpu)
		return m->max_trace_cpu;
	return m->area_num ? m->area_num : 1;
}

/* The machine: the log's usable e820 ranges, else the POSIX default map. */
static int make_world(const struct trace_model *m, struct swiotlb_posix **px, uint64_t *scratch)
{
	struct swiotlb_posix_opts po;
	memset(&po, 0, sizeof(po));
	uint64_t top = 9ull << 30;
	if (m->ne820) {
		/* usable ranges, sorted, merged, page-trimmed */
		struct swiotlb_posix_range r[64];
		uint32_t n = 0;
		for (uint32_t i = 0; i < m->ne820; i++) {
			if (!m->e820_usable_flag[i])
				continue;
			uint64_t a = (m->e820_start[i] + 0xfff) & ~0xfffull, b = m->e820_end[i] & ~0xfffull;
			if (b > a && n < 64)
				r[n++] = (struct swiotlb_posix_range){a, b};
		}
		for (uint32_t i = 1; i < n; i++)
			for (uint32_t j = i; j > 0 && r[j].start < r[j - 1].start; j--) {
				struct swiotlb_posix_range t = r[j];
				r[j] = r[j - 1];
				r[j - 1] = t;
			}
		uint32_t k = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (k && r[i].start <= po.ram[k - 1].end) {
				if (r[i].end > po.ram[k - 1].end)
					po.ram[k - 1].end = r[i].end;
			} else {
				po.ram[k++] = r[i];
			}
		}
		po.nram = k;
		if (k)
			top = po.ram[k - 1].end;
	}
	if (top < (4ull << 30))
		top = 4ull << 30;
	*scratch = (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	po.span = *scratch + 2 * WINDOW;
	int rc = swiotlb_posix_create(&po, px);
	if (rc && po.nram) { /* a map we cannot hold: fall back to the default one */
		memset(&po, 0, sizeof(po));
		*scratch = 9ull << 30;
		po.span = *scratch + 2 * WINDOW;
		rc = swiotlb_posix_create(&po, px);
	}
	return rc;
}

int trace_replay(const struct trace_model *m, char **paths, int npaths, const struct trace_replay_opts *o,
		 struct trace_replay_result *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->cmdline, sizeof(r->cmdline), "%s", o->cmdline ? o->cmdline : "");
	struct rctx c;
	memset(&c, 0, sizeof(c));
	c.freel = UINT32_MAX;
	c.r = r;
	c.ncpus = replay_cpus(m, o);
	struct swiotlb_posix *px = NULL;
	if (make_world(m, &px, &c.scratch)) {
		snprintf(r->error, sizeof(r->error), "cannot create the simulated memory map");
		return -1;
	}
	struct swiotlb_platform plat;
	swiotlb_posix_platform(px, &plat);
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.ncpus = c.ncpus;
	char perr[200] = "";
	struct swiotlb_parse_opts popts = {.dialect = SWIOTLB_DIALECT_MAINLINE, .err = perr, .err_len = sizeof(perr)};
	if (o->dialect) {
		int d = swiotlb_dialect_from_name(o->dialect);
		if (d < 0) {
			snprintf(r->error, sizeof(r->error), "--dialect: '%s' is not a dialect (mainline, rfc2021, named)",
				 o->dialect);
			swiotlb_posix_destroy(px);
			return -1;
		}
		popts.dialect = (uint32_t)d;
	}
	if (o->cmdline && *o->cmdline && swiotlb_parse_cmdline(o->cmdline, &popts, &cfg)) {
		snprintf(r->error, sizeof(r->error), "--cmdline: %s", perr[0] ? perr : "not a valid swiotlb= line");
		swiotlb_posix_destroy(px);
		return -1;
	}
	if (o->policy) {
		if (strlen(o->policy) >= sizeof(cfg.policy)) {
			snprintf(r->error, sizeof(r->error), "--policy: '%s' is too long", o->policy);
			swiotlb_posix_destroy(px);
			return -1;
		}
		strcpy(cfg.policy, o->policy);
	}
	int rc = swiotlb_create(&cfg, &plat, &c.tlb);
	if (rc) {
		snprintf(r->error, sizeof(r->error), "the library refused the configuration: %s (%s)",
			 swiotlb_errname(rc), swiotlb_strerror(rc));
		swiotlb_posix_destroy(px);
		return -1;
	}
	int np = swiotlb_pool_count(c.tlb);
	r->npools = np < 8 ? (uint32_t)np : 8;
	for (uint32_t i = 0; i < r->npools; i++) {
		struct swiotlb_pool_info info;
		swiotlb_pool_info(c.tlb, (int)i, &info);
		snprintf(r->pools[i].name, sizeof(r->pools[i].name), "%s", info.name);
		r->pools[i].nslabs = info.nslabs;
		r->pools[i].base = info.base;
		r->pools[i].end = info.end;
		r->pools[i].largest_free_at_peak = info.nslabs;
	}
	r->ok = true;

	c.ndevs = m->ndevs;
	c.devs = calloc(m->ndevs ? m->ndevs : 1, sizeof(*c.devs));
	if (!c.devs)
		die_oom();
	for (uint32_t i = 0; i < m->ndevs; i++) {
		const struct trace_device *d = m->devs[i];
		swiotlb_device_init(&c.devs[i], d->name, d->has_mask ? d->dma_mask : ~0ull);
		c.devs[i].flags |= SWIOTLB_DEV_FORCE_BOUNCE;
		/* a non-zero offset in the slot means a min_align_mask; bit 11 kept
		 * on every bounce means it reaches past one slot (NVMe's 0xfff) */
		if (d->off_maps)
			c.devs[i].min_align_mask = 0x7ff | (d->bit11_same >= 8 && !d->bit11_diff ? 0x800 : 0);
	}

	struct trace_model pass;
	trace_model_init(&pass);
	pass.quiet_malformed = true;
	for (uint32_t i = 0; i < m->npools; i++)
		if (m->pools[i].known && !strcmp(m->pools[i].source, "--pool"))
			trace_model_add_pool(&pass, m->pools[i].name, m->pools[i].start, m->pools[i].end, "--pool");
	pass.op_fn = replay_op;
	pass.op_arg = &c;
	int prc = trace_run_pass(&pass, paths, npaths);
	trace_model_free(&pass);

	struct swiotlb_stats st;
	if (!swiotlb_get_stats(c.tlb, -1, &st))
		r->hiwater = st.used_hiwater;
	for (uint32_t i = 0; i < r->npools; i++)
		if (!swiotlb_get_stats(c.tlb, (int)i, &st))
			r->pools[i].hiwater = st.used_hiwater;
	swiotlb_destroy(c.tlb);
	swiotlb_posix_destroy(px);
	free(c.devs);
	free(c.ids);
	free(c.slot);
	free(c.maps);
	if (prc) {
		snprintf(r->error, sizeof(r->error), "the input could not be read again");
		r->ok = false;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ advise */

static uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;
	while (p < x && p < (1ull << 62))
		p <<= 1;
	return p;
}

uint64_t trace_kernel_round(uint64_t nslabs, uint32_t nareas)
{
	/* swiotlb=N aligns N to a segment, then fixing the area count (from the
	 * command line or the CPUs) makes it a power of two of at least one
	 * segment per area (docs/trace.md, "Sizes") */
	uint64_t a = pow2_up(nareas ? nareas : 1);
	uint64_t n = (nslabs + 127) & ~127ull;
	if (n < 128 * a)
		return 128 * a;
	return pow2_up(n);
}

static uint64_t fixable_failures(const struct trace_replay_result *r)
{
	return r->failures - r->fail_cause[CAUSE_TOO_LARGE];
}

static void row(struct trace_advice *a, const char *label, const char *cmd, uint64_t slots)
{
	struct trace_advice_row *w = &a->rows[a->nrows++];
	memset(w, 0, sizeof(*w));
	snprintf(w->label, sizeof(w->label), "%s", label);
	snprintf(w->cmdline, sizeof(w->cmdline), "%s", cmd);
	w->slots = slots;
	w->bytes = slots * 2048;
	w->applicable = true;
}

static int run_row(const struct trace_model *m, char **paths, int npaths, const struct trace_replay_opts *o,
		   struct trace_advice_row *w, const char *dialect)
{
	struct trace_replay_opts ro = *o;
	ro.cmdline = w->cmdline;
	ro.dialect = dialect;
	if (trace_replay(m, paths, npaths, &ro, &w->res)) {
		snprintf(w->note, sizeof(w->note), "%.159s", w->res.error);
		return -1;
	}
	return 0;
}

/* The slots the log's own configuration gave the default pool. */
static uint64_t log_slots(const struct trace_model *m)
{
	for (uint32_t i = 0; i < m->npools; i++)
		if (m->pools[i].known && !strcmp(m->pools[i].source, "log"))
			return (m->pools[i].end - m->pools[i].start) >> 11;
	return 0;
}

int trace_advise(const struct trace_model *m, char **paths, int npaths, const struct trace_replay_opts *o,
		 double headroom, struct trace_advice *a)
{
	memset(a, 0, sizeof(*a));
	a->headroom = headroom;
	a->recommended = -1;
	a->from_dma = m->bounced_maps > 0;
	a->too_large = m->causes[CAUSE_TOO_LARGE];
	for (uint32_t i = 0; i < m->ne820; i++)
		if (m->e820_usable_flag[i] && m->e820_start[i] < (4ull << 30))
			a->low_ram += (m->e820_end[i] < (4ull << 30) ? m->e820_end[i] : (4ull << 30)) - m->e820_start[i];
	uint32_t cpus = replay_cpus(m, o);
	uint32_t nareas = m->area_num ? m->area_num : cpus;
	char cmd[128];

	/* what the log shows was used */
	uint64_t used = log_slots(m);
	if (m->cmdline[0] || used) {
		if (used)
			snprintf(cmd, sizeof(cmd), "swiotlb=%" PRIu64, used);
		else
			snprintf(cmd, sizeof(cmd), "%.127s", m->cmdline);
		row(a, "the log's configuration", cmd, used);
		if (!used)
			a->rows[a->nrows - 1].slots = 0;
	}
	row(a, "kernel default (64 MiB)", "swiotlb=32768", 32768);
	/* confidential guests: 6 % of RAM, clamped to [64 MiB, 1 GiB] */
	uint64_t ram = m->mem_total ? m->mem_total : m->e820_usable;
	if (ram) {
		uint64_t bytes = ram * 6 / 100;
		if (bytes < (64ull << 20))
			bytes = 64ull << 20;
		if (bytes > (1ull << 30))
			bytes = 1ull << 30;
		uint64_t slots = trace_kernel_round(((bytes + 2047) >> 11), nareas);
		snprintf(cmd, sizeof(cmd), "swiotlb=%" PRIu64, slots);
		row(a, "confidential-guest 6 % rule", cmd, slots);
		if (!m->cc)
			snprintf(a->rows[a->nrows - 1].note, sizeof(a->rows[0].note),
				 "applies only to SEV/TDX guests; this log shows none");
	}

	if (!a->from_dma) {
		/* no dma: events: the messages bound the demand from below */
		uint64_t need = 0;
		for (size_t i = 0; i < m->nfails; i++) {
			const struct trace_failure *f = &m->fails[i];
			if (f->ex.cause != CAUSE_EXHAUSTED && f->ex.cause != CAUSE_FRAGMENTED)
				continue;
			uint64_t d = f->used + f->ex.slots_needed;
			if (d > need)
				need = d;
		}
		for (uint32_t i = 0; i < m->npools; i++)
			if (m->pools[i].dbg_hiwater > need)
				need = m->pools[i].dbg_hiwater;
		for (uint32_t i = 0; i < m->npools; i++)
			if (m->pools[i].dbg_used_max > need)
				need = m->pools[i].dbg_used_max;
		if (!need) {
			snprintf(a->why, sizeof(a->why),
				 "the input shows no demand: no dma: map events, no failure with counts, no debugfs "
				 "io_tlb_used; enable the dma: events (docs/trace.md) and trace the workload");
			return 0;
		}
		uint64_t s = trace_kernel_round((uint64_t)((double)need * (1 + headroom) + 0.999), nareas);
		snprintf(cmd, sizeof(cmd), "swiotlb=%" PRIu64, s);
		row(a, "recommended", cmd, s);
		a->recommended = (int)a->nrows - 1;
		a->headroom_got = (double)s / (double)need - 1;
		snprintf(a->why, sizeof(a->why),
			 "a lower bound: the largest demand the messages or debugfs show is %" PRIu64
			 " slots; without the dma: events the load cannot be replayed",
			 need);
		for (uint32_t i = 0; i < a->nrows; i++)
			a->rows[i].applicable = a->rows[i].slots != 0;
		return 0;
	}

	/* from the measured peak up to the first size that replays cleanly ... */
	uint64_t peak = m->peak_total_slots ? m->peak_total_slots : 1;
	uint64_t s = trace_kernel_round(peak, nareas);
	struct trace_replay_result res;
	struct trace_replay_opts ro = *o;
	ro.dialect = "mainline";
	uint64_t good = 0, good_hw = 0;
	for (; s <= (1ull << 24); s = trace_kernel_round(s * 2, nareas)) {
		snprintf(cmd, sizeof(cmd), "swiotlb=%" PRIu64, s);
		ro.cmdline = cmd;
		if (trace_replay(m, paths, npaths, &ro, &res)) {
			snprintf(a->why, sizeof(a->why), "%s", res.error);
			return -1;
		}
		if (!fixable_failures(&res)) {
			good = s;
			good_hw = res.hiwater;
			break;
		}
	}
	if (!good) {
		snprintf(a->why, sizeof(a->why), "no size up to 32 GiB replays without failures");
		return 0;
	}
	/* ... then the headroom */
	uint64_t want = (uint64_t)((double)good_hw * (1 + headroom) + 0.999);
	uint64_t rec = good;
	while (rec < want)
		rec = trace_kernel_round(rec * 2, nareas);
	snprintf(cmd, sizeof(cmd), "swiotlb=%" PRIu64, rec);
	row(a, "recommended", cmd, rec);
	a->recommended = (int)a->nrows - 1;
	a->headroom_got = good_hw ? (double)rec / (double)good_hw - 1 : 0;
	snprintf(a->why, sizeof(a->why),
		 "the smallest size the kernel can have (a power of two, at least one segment per area) that replays "
		 "with no failure is %" PRIu64 " slots, high-water %" PRIu64 "; the headroom asked for makes it %" PRIu64,
		 good, good_hw, rec);

	/* a 32-bit device present: its own low pool, the rest anywhere */
	uint64_t low = 0, high = 0;
	bool narrow = false, wide = false;
	for (uint32_t i = 0; i < m->ndevs; i++) {
		const struct trace_device *d = m->devs[i];
		if (!d->bounced_maps)
			continue;
		if (d->has_mask && d->dma_mask <= 0xffffffffull) {
			narrow = true;
			low += d->peak_slots;
		} else {
			wide = true;
			high += d->peak_slots;
		}
	}
	if (narrow && wide) {
		uint64_t l = trace_kernel_round((uint64_t)((double)low * (1 + headroom) + 0.999), nareas);
		uint64_t h = trace_kernel_round((uint64_t)((double)high * (1 + headroom) + 0.999), nareas);
		snprintf(cmd, sizeof(cmd), "swiotlb=%" PRIu64 ",%" PRIu64, l, h);
		row(a, "two pools (libswiotlb rfc2021)", cmd, l + h);
		snprintf(a->rows[a->nrows - 1].note, sizeof(a->rows[0].note),
			 "a low pool for the 32-bit devices, a high one for the rest: libswiotlb's two-pool "
			 "dialect, not a mainline kernel option");
	}

	for (uint32_t i = 0; i < a->nrows; i++) {
		struct trace_advice_row *w = &a->rows[i];
		bool two = !strncmp(w->label, "two pools", 9);
		if (!w->slots && i == 0 && !strchr(w->cmdline, '=')) {
			w->applicable = false;
			continue;
		}
		run_row(m, paths, npaths, o, w, two ? "rfc2021" : "mainline");
		if (w->res.ok && w->res.npools) {
			uint64_t t = 0;
			for (uint32_t k = 0; k < w->res.npools; k++)
				t += w->res.pools[k].nslabs;
			w->slots = t;
			w->bytes = t * 2048;
		}
	}
	return 0;
}
