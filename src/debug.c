/* SPDX-License-Identifier: MIT */
/*
 * Debug mode: the checks the kernel's dma-debug makes, and some it cannot
 * (docs/debug.md says what each catches and what it costs).
 *
 *   redzones   the bytes of a mapping's reserved slots that are not its own
 *              (min-align and alloc-align padding before it, the rest of
 *              its last slot after it) are filled with DBG_REDZONE when the
 *              slots are reserved and compared at every sync and at unmap:
 *              a device that wrote outside its buffer is reported (mapping,
 *              first bad offset) and the zone refilled, so each overwrite is
 *              reported once;
 *   poison     a released mapping's slots are filled with DBG_POISON before
 *              the policy frees them; the next reservation of a poisoned slot
 *              compares it first, so a device that wrote after its unmap is
 *              reported, with the mapping last released there;
 *   CPU reads  a FROM_DEVICE or BIDIRECTIONAL original is armed through the
 *              platform's optional cpu_read_guard until sync_for_cpu or unmap
 *              copies the device's bytes back; a platform that sees the CPU
 *              read an armed range calls swiotlb_debug_cpu_read;
 *   history    every release is recorded in a ring; an unmap refused as
 *              not_mapped that repeats a recorded one exactly (device,
 *              address, size, direction), or a refused sync inside one, is a
 *              double unmap / stale sync, reported with the CPU, time and call
 *              site of both the earlier unmap and this call;
 *   leaks      live bounced mappings are tracked (device name, address,
 *              size, direction, where mapped) and listed by device at destroy.
 *
 * Data structure (one meta_alloc block, struct tlb_debug, plus chunks)
 * --------------
 *   live[]     hash table of tracked live mappings keyed by device address
 *              (DBG_BUCKETS chains of struct dbg_ent).  Entries come from
 *              chunks of DBG_CHUNK allocated with meta_alloc as needed, at
 *              most DBG_MAX_ENTRIES in all; a mapping that finds none is
 *              counted in debug_untracked and only its leak report is lost.
 *   hist[]     ring of the last DBG_HISTORY releases; hist_n counts them all.
 *   state[p]   one byte per slot of pool p (meta_alloc, at publication):
 *              DBG_POISONED when the slot was poisoned at its release.
 *   cnt[p][k]  counters of check k for pool p; row SWIOTLB_MAX_POOLS holds
 *              what belongs to no pool.
 *
 * Invariants
 * ----------
 *   D1  live, hist, hist_n and the free list change only under `lock`, and
 *       no platform callback other than log runs while it is held.
 *   D2  a slot's state byte and its bounce bytes are touched only by the
 *       thread that owns the slot's mapping: between the policy's alloc and
 *       release, both taken under the area lock, so ownership passes with
 *       that lock's ordering and no two threads touch them at once.
 *   D3  an entry is in live iff its mapping was created with debug mode on
 *       and not yet released; at most one entry per device address.
 *   D4  a slot is DBG_POISONED only while it is free (set at release,
 *       cleared at the next reservation).
 */
#include "debug.h"

#ifdef SWIOTLB_DEBUG

#define DBG_REDZONE 0xfdu
#define DBG_POISON 0x6bu
#define DBG_POISONED 1u
#define DBG_BUCKETS 1024u
#define DBG_CHUNK 256u
#define DBG_MAX_ENTRIES 65536u
#define DBG_HISTORY 512u
#define DBG_NAME 24
#define DBG_REPORTS 100u      /* lines per kind of report, then one "suppressed" line */
#define DBG_LEAK_LINES 16u    /* mappings listed per device in a leak report */

enum { K_REDZONE, K_POISON, K_CPU_READ, K_STALE, K_UNTRACKED, K_N };

struct dbg_site {
	uint64_t ns;
	const void *pc;
	uint32_t cpu;
};

struct dbg_ent {
	struct dbg_ent *next; /* hash chain, or the free list */
	uint64_t dma, orig;
	uint32_t size, dir, dev_id;
	int pool;
	bool listed; /* leak report: already counted under its device */
	struct dbg_site map;
	char dev[DBG_NAME];
};

struct dbg_hist {
	uint64_t dma, first_slot;
	uint32_t size, dir, dev_id, nslots;
	int pool;
	bool mapped_known; /* `map` holds the map's site (the mapping was tracked) */
	struct dbg_site map, unmap;
	char dev[DBG_NAME];
};

struct dbg_chunk {
	struct dbg_chunk *next;
	struct dbg_ent e[DBG_CHUNK];
};

struct tlb_debug {
	struct tlb_spinlock lock;
	struct dbg_ent *live[DBG_BUCKETS];
	struct dbg_ent *free;
	struct dbg_chunk *chunks;
	uint32_t nchunks;
	uint64_t nlive;
	uint64_t hist_n;
	struct dbg_hist hist[DBG_HISTORY];
	uint8_t *_Atomic state[SWIOTLB_MAX_POOLS];
	uint64_t nstate[SWIOTLB_MAX_POOLS];
	atomic_uint_least64_t cnt[SWIOTLB_MAX_POOLS + 1][K_N];
	atomic_uint reports[K_N];
	atomic_uint warned_untracked;
};

/* ------------------------------------------------------------ helpers */

static struct dbg_site here(struct swiotlb *tlb, const void *pc, int cpu)
{
	struct dbg_site s;
	s.ns = tlb->plat.now_ns ? tlb->plat.now_ns(tlb->plat.ctx) : 0;
	s.pc = pc;
	s.cpu = cpu >= 0 ? (uint32_t)cpu : (tlb->plat.cpu_id ? tlb->plat.cpu_id(tlb->plat.ctx) : 0);
	return s;
}

/* "cpu 1 at 12.000345678 s from 0x5566..." into buf */
static const char *site_text(char *buf, size_t n, const struct dbg_site *s)
{
	tlb_snprintf(buf, n, "cpu %u at %llu.%09llu s from %p", s->cpu, (unsigned long long)(s->ns / 1000000000u),
		     (unsigned long long)(s->ns % 1000000000u), s->pc);
	return buf;
}

static const char *dir_name(uint32_t dir)
{
	return dir == SWIOTLB_TO_DEVICE ? "to_device" : dir == SWIOTLB_FROM_DEVICE ? "from_device" : "bidirectional";
}

static bool from_device(uint32_t dir) { return dir == SWIOTLB_FROM_DEVICE || dir == SWIOTLB_BIDIRECTIONAL; }

static void copy_name(char *dst, const struct swiotlb_device *dev)
{
	tlb_strlcpy(dst, dev && dev->name ? dev->name : "(device)", DBG_NAME);
}

static void count(struct tlb_debug *d, int pool, unsigned k)
{
	int row = pool >= 0 && pool < SWIOTLB_MAX_POOLS ? pool : SWIOTLB_MAX_POOLS;
	tlb_uadd(&d->cnt[row][k], 1);
}

/* One report line "<dev>: swiotlb debug: ..." at error level, at most
 * DBG_REPORTS of a kind (the counters keep counting). */
static void report(struct swiotlb *tlb, unsigned k, const char *dev, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct swiotlb *tlb, unsigned k, const char *dev, const char *fmt, ...)
{
	char line[640];
	va_list ap;
	unsigned n = atomic_fetch_add_explicit(&tlb->dbg->reports[k], 1, memory_order_relaxed);
	if (!tlb->plat.log || n > DBG_REPORTS)
		return;
	if (n == DBG_REPORTS) {
		tlb_snprintf(line, sizeof(line), "%s: swiotlb debug: further reports of this kind suppressed (see the debug_ counters)",
			     dev);
		tlb->plat.log(tlb->plat.ctx, SWIOTLB_LOG_ERR, line);
		return;
	}
	size_t p = (size_t)tlb_snprintf(line, sizeof(line), "%s: swiotlb debug: ", dev);
	va_start(ap, fmt);
	if (p < sizeof(line))
		tlb_vsnprintf(line + p, sizeof(line) - p, fmt, ap);
	va_end(ap);
	tlb->plat.log(tlb->plat.ctx, SWIOTLB_LOG_ERR, line);
}

static inline uint32_t bucket_of(uint64_t dma) { return (uint32_t)((dma >> SWIOTLB_SLOT_SHIFT) & (DBG_BUCKETS - 1)); }

static inline uint64_t map_phys(const struct tlb_pool *pool, const struct tlb_record *rec)
{
	return pool->start + (tlb_record_head(rec) << SWIOTLB_SLOT_SHIFT) + rec->offset;
}

/* ----------------------------------------------------------- lifetime */

int tlb_debug_init(struct swiotlb *tlb)
{
	struct tlb_debug *d = tlb->plat.meta_alloc(tlb->plat.ctx, sizeof(*d));
	if (!d)
		return SWIOTLB_ENOMEM;
	tlb_memset(d, 0, sizeof(*d));
	tlb->dbg = d;
	tlb_log(tlb, SWIOTLB_LOG_INFO, "debug mode: redzones, poison, CPU read guard, unmap history (%u), leak report",
		DBG_HISTORY);
	return 0;
}

void tlb_debug_pool(struct swiotlb *tlb, const struct tlb_pool *pool)
{
	struct tlb_debug *d = tlb->dbg;
	if (pool->index < 0 || pool->index >= SWIOTLB_MAX_POOLS)
		return;
	uint8_t *s = tlb->plat.meta_alloc(tlb->plat.ctx, (size_t)pool->nslabs);
	if (!s) {
		tlb_log(tlb, SWIOTLB_LOG_WARN, "debug mode: no memory for pool %s's slot states: freed slots are poisoned but not checked",
			pool->name);
		return;
	}
	tlb_memset(s, 0, (size_t)pool->nslabs);
	d->nstate[pool->index] = pool->nslabs;
	atomic_store_explicit(&d->state[pool->index], s, memory_order_release);
}

static void free_all(struct swiotlb *tlb)
{
	struct tlb_debug *d = tlb->dbg;
	if (!tlb->plat.meta_free)
		return;
	for (int i = 0; i < SWIOTLB_MAX_POOLS; i++) {
		uint8_t *s = atomic_load_explicit(&d->state[i], memory_order_acquire);
		if (s)
			tlb->plat.meta_free(tlb->plat.ctx, s, (size_t)d->nstate[i]);
	}
	while (d->chunks) {
		struct dbg_chunk *c = d->chunks;
		d->chunks = c->next;
		tlb->plat.meta_free(tlb->plat.ctx, c, sizeof(*c));
	}
	tlb->plat.meta_free(tlb->plat.ctx, d, sizeof(*d));
}

/* -------------------------------------------------------- leak report */

/* Under the lock: list the live entries, grouped by device.  Returns how many. */
static uint64_t list_live(struct swiotlb *tlb, const char *when)
{
	struct tlb_debug *d = tlb->dbg;
	char where[128];
	uint64_t total = 0;
	if (!d->nlive)
		return 0;
	tlb_log(tlb, SWIOTLB_LOG_ERR, "debug: %llu bounced mapping%s live %s:", (unsigned long long)d->nlive,
		d->nlive == 1 ? "" : "s", when);
	for (uint32_t b = 0; b < DBG_BUCKETS; b++)
		for (struct dbg_ent *e = d->live[b]; e; e = e->next)
			e->listed = false;
	for (uint32_t b = 0; b < DBG_BUCKETS; b++) {
		for (struct dbg_ent *g = d->live[b]; g; g = g->next) {
			if (g->listed)
				continue;
			/* g starts a new device: count it, then list its mappings */
			uint64_t n = 0, bytes = 0;
			for (uint32_t c = b; c < DBG_BUCKETS; c++)
				for (struct dbg_ent *e = c == b ? g : d->live[c]; e; e = e->next)
					if (!e->listed && e->dev_id == g->dev_id) {
						n++;
						bytes += e->size;
					}
			tlb_log(tlb, SWIOTLB_LOG_ERR, "debug: leak: device %s: %llu mapping%s, %llu bytes", g->dev,
				(unsigned long long)n, n == 1 ? "" : "s", (unsigned long long)bytes);
			uint64_t shown = 0;
			for (uint32_t c = b; c < DBG_BUCKETS; c++)
				for (struct dbg_ent *e = c == b ? g : d->live[c]; e; e = e->next) {
					if (e->listed || e->dev_id != g->dev_id)
						continue;
					e->listed = true;
					if (shown++ < DBG_LEAK_LINES)
						tlb_log(tlb, SWIOTLB_LOG_ERR,
							"debug: leak:   %s 0x%016llx+%u %s (original 0x%llx), mapped on %s",
							e->dev, (unsigned long long)e->dma, e->size, dir_name(e->dir),
							(unsigned long long)e->orig, site_text(where, sizeof(where), &e->map));
				}
			if (shown > DBG_LEAK_LINES)
				tlb_log(tlb, SWIOTLB_LOG_ERR, "debug: leak:   %s: %llu more not listed", g->dev,
					(unsigned long long)(shown - DBG_LEAK_LINES));
			total += n;
		}
	}
	return total;
}

void tlb_debug_fini(struct swiotlb *tlb)
{
	struct tlb_debug *d = tlb->dbg;
	tlb_spin_lock(&d->lock);
	list_live(tlb, "at destroy (leaked: never unmapped)");
	tlb_spin_unlock(&d->lock);
	/* the platform must not keep guarding (and naming this instance for)
	 * originals of leaked mappings; destroy has no concurrent caller */
	if (tlb->plat.cpu_read_guard)
		for (uint32_t b = 0; b < DBG_BUCKETS; b++)
			for (struct dbg_ent *e = d->live[b]; e; e = e->next)
				if (from_device(e->dir))
					tlb->plat.cpu_read_guard(tlb->plat.ctx, tlb, e->orig, e->size, false);
	free_all(tlb);
	tlb->dbg = (struct tlb_debug *)0;
}

/* ------------------------------------------------------------ redzones */

/*
 * The first byte of [p, p+n) that is not `v`, or n.  Word-at-a-time: zones
 * and poisoned slots are whole slots for most mappings.
 */
static size_t first_not(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i = 0;
	while (i < n && ((uintptr_t)(p + i) & 7))
		if (p[i++] != v)
			return i - 1;
	typedef uint64_t __attribute__((may_alias)) word;
	uint64_t w = 0x0101010101010101ull * v;
	for (; i + 8 <= n; i += 8)
		if (*(const word *)(const void *)(p + i) != w)
			break;
	for (; i < n; i++)
		if (p[i] != v)
			return i;
	return n;
}

/* memset, a word at a time: tlb_memset is a byte loop, and the zones and
 * poisoned slots are often whole slots. */
static void fill(uint8_t *p, size_t n, uint8_t v)
{
	typedef uint64_t __attribute__((may_alias)) word;
	uint64_t w = 0x0101010101010101ull * v;
	while (n && ((uintptr_t)p & 7)) {
		*p++ = v;
		n--;
	}
	for (; n >= 8; n -= 8, p += 8)
		*(word *)(void *)p = w;
	while (n--)
		*p++ = v;
}

/* The mapping's zones: [0, lo) and [hi, end) of its reserved bytes. */
static uint8_t *zones(const struct tlb_pool *pool, const struct tlb_record *rec, size_t *lo, size_t *hi, size_t *end)
{
	*lo = ((size_t)rec->pad_slots << SWIOTLB_SLOT_SHIFT) + rec->offset;
	*hi = *lo + rec->mapping_size;
	*end = (size_t)rec->nslots << SWIOTLB_SLOT_SHIFT;
	return pool->vaddr + (rec->first_slot << SWIOTLB_SLOT_SHIFT);
}

static void fill_redzones(const struct tlb_pool *pool, const struct tlb_record *rec)
{
	size_t lo, hi, end;
	uint8_t *b = zones(pool, rec, &lo, &hi, &end);
	fill(b, lo, DBG_REDZONE);
	if (hi < end)
		fill(b + hi, end - hi, DBG_REDZONE);
}

/* Compare the zones; report and refill them if a device wrote there. */
static void check_redzones(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
			   const struct tlb_record *rec, const char *when)
{
	size_t lo, hi, end;
	uint8_t *b = zones(pool, rec, &lo, &hi, &end);
	size_t before = first_not(b, lo, DBG_REDZONE);
	size_t after = hi < end ? first_not(b + hi, end - hi, DBG_REDZONE) : 0;
	bool bad_before = before < lo, bad_after = hi < end && after < end - hi;
	if (!bad_before && !bad_after)
		return;
	size_t changed = 0;
	for (size_t i = 0; i < lo; i++)
		changed += b[i] != DBG_REDZONE;
	for (size_t i = hi; i < end; i++)
		changed += b[i] != DBG_REDZONE;
	char name[DBG_NAME];
	copy_name(name, dev);
	uint64_t dma = tlb_dma(tlb, map_phys(pool, rec), true);
	count(tlb->dbg, pool->index, K_REDZONE);
	/* the offset of the first bad byte from the mapping's first byte */
	if (bad_before)
		report(tlb, K_REDZONE, name,
		       "device wrote outside its bounce buffer (found at %s): mapping 0x%016llx+%u %s in pool %s, first bad byte at offset -%zu (0x%02x, redzone 0x%02x), %zu redzone bytes changed",
		       when, (unsigned long long)dma, rec->mapping_size, dir_name(rec->dir), pool->name, lo - before,
		       b[before], DBG_REDZONE, changed);
	else
		report(tlb, K_REDZONE, name,
		       "device wrote outside its bounce buffer (found at %s): mapping 0x%016llx+%u %s in pool %s, first bad byte at offset +%zu (0x%02x, redzone 0x%02x), %zu redzone bytes changed",
		       when, (unsigned long long)dma, rec->mapping_size, dir_name(rec->dir), pool->name,
		       (size_t)rec->mapping_size + after, b[hi + after], DBG_REDZONE, changed);
	fill_redzones(pool, rec);
}

/* ------------------------------------------------------------- history */

/* Under the lock: the newest recorded release matching the refused call. */
static const struct dbg_hist *hist_find(const struct tlb_debug *d, uint32_t dev_id, uint64_t dma, size_t size,
					uint32_t dir, bool unmap)
{
	uint64_t n = d->hist_n < DBG_HISTORY ? d->hist_n : DBG_HISTORY;
	for (uint64_t i = 1; i <= n; i++) {
		const struct dbg_hist *h = &d->hist[(d->hist_n - i) % DBG_HISTORY];
		if (h->dev_id != dev_id || h->dir != dir)
			continue;
		if (unmap ? h->dma == dma && h->size == size : dma >= h->dma && size <= h->size && dma - h->dma <= h->size - size)
			return h;
	}
	return (const struct dbg_hist *)0;
}

/* Under the lock: the newest recorded release that held a pool's slot. */
static const struct dbg_hist *hist_find_slot(const struct tlb_debug *d, int pool, uint64_t slot)
{
	uint64_t n = d->hist_n < DBG_HISTORY ? d->hist_n : DBG_HISTORY;
	for (uint64_t i = 1; i <= n; i++) {
		const struct dbg_hist *h = &d->hist[(d->hist_n - i) % DBG_HISTORY];
		if (h->pool == pool && slot >= h->first_slot && slot - h->first_slot < h->nslots)
			return h;
	}
	return (const struct dbg_hist *)0;
}

/* ---------------------------------------------------------------- hooks */

void tlb_debug_reserved(struct swiotlb *tlb, struct tlb_pool *pool, const struct tlb_record *rec)
{
	struct tlb_debug *d = tlb->dbg;
	uint8_t *st = pool->index >= 0 ? atomic_load_explicit(&d->state[pool->index], memory_order_acquire)
				       : (uint8_t *)0;
	if (st) {
		bool reported = false;
		for (uint64_t s = rec->first_slot; s < rec->first_slot + rec->nslots; s++) {
			if (st[s] != DBG_POISONED)
				continue;
			st[s] = 0;
			const uint8_t *b = pool->vaddr + (s << SWIOTLB_SLOT_SHIFT);
			size_t bad = first_not(b, SWIOTLB_SLOT_SIZE, DBG_POISON);
			if (bad == SWIOTLB_SLOT_SIZE || reported)
				continue;
			reported = true;
			uint64_t dma = tlb_dma(tlb, pool->start + (s << SWIOTLB_SLOT_SHIFT) + bad, true);
			char name[DBG_NAME] = "(unknown)", u[128], m[128] = "";
			tlb_spin_lock(&d->lock);
			const struct dbg_hist *h = hist_find_slot(d, pool->index, s);
			if (h) {
				tlb_snprintf(name, sizeof(name), "%s", h->dev);
				tlb_snprintf(m, sizeof(m), " 0x%016llx+%u %s, unmapped on ", (unsigned long long)h->dma,
					     h->size, dir_name(h->dir));
				site_text(u, sizeof(u), &h->unmap);
			}
			bool known = h != (const struct dbg_hist *)0;
			tlb_spin_unlock(&d->lock);
			count(d, pool->index, K_POISON);
			report(tlb, K_POISON, name,
			       "freed bounce slot written after its unmap (found at a new map): pool %s slot %llu, byte 0x%016llx is 0x%02x, not the poison 0x%02x; last freed there:%s%s",
			       pool->name, (unsigned long long)s, (unsigned long long)dma, b[bad], DBG_POISON,
			       known ? m : " (no longer in the history)", known ? u : "");
		}
	}
	fill_redzones(pool, rec);
}

void tlb_debug_mapped(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		      const struct swiotlb_map_result *res, const void *site)
{
	struct tlb_debug *d = tlb->dbg;
	struct dbg_ent *e;
	struct dbg_site now = here(tlb, site, a->cpu);
	tlb_spin_lock(&d->lock);
	while (!(e = d->free) && d->nchunks * DBG_CHUNK < DBG_MAX_ENTRIES) {
		/* D1: no allocation under the lock */
		tlb_spin_unlock(&d->lock);
		struct dbg_chunk *c = tlb->plat.meta_alloc(tlb->plat.ctx, sizeof(*c));
		tlb_spin_lock(&d->lock);
		if (!c)
			break;
		tlb_memset(c, 0, sizeof(*c));
		c->next = d->chunks;
		d->chunks = c;
		d->nchunks++;
		for (uint32_t i = 0; i < DBG_CHUNK; i++) {
			c->e[i].next = d->free;
			d->free = &c->e[i];
		}
	}
	if (e) {
		d->free = e->next;
		e->dma = res->dma;
		e->orig = a->orig;
		e->size = (uint32_t)a->size;
		e->dir = a->dir;
		e->dev_id = dev->id;
		e->pool = res->pool;
		e->listed = false;
		e->map = now;
		copy_name(e->dev, dev);
		uint32_t b = bucket_of(res->dma);
		e->next = d->live[b];
		d->live[b] = e;
		d->nlive++;
	}
	tlb_spin_unlock(&d->lock);
	if (!e) {
		count(d, res->pool, K_UNTRACKED);
		if (!atomic_exchange(&d->warned_untracked, 1))
			tlb_log(tlb, SWIOTLB_LOG_WARN, "debug: no room to track more than %u live mappings; the rest are checked but not listed in leak reports",
				d->nchunks * DBG_CHUNK);
	}
	if (from_device(a->dir) && tlb->plat.cpu_read_guard)
		tlb->plat.cpu_read_guard(tlb->plat.ctx, tlb, a->orig, a->size, true);
}

void tlb_debug_unmap(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		     const struct tlb_record *rec, const void *site)
{
	(void)site;
	check_redzones(tlb, dev, pool, rec, "unmap");
	if (from_device(rec->dir) && tlb->plat.cpu_read_guard)
		tlb->plat.cpu_read_guard(tlb->plat.ctx, tlb, rec->orig, rec->mapping_size, false);
}

void tlb_debug_release(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		       const struct tlb_record *rec, const void *site)
{
	struct tlb_debug *d = tlb->dbg;
	size_t lo, hi, end;
	uint8_t *b = zones(pool, rec, &lo, &hi, &end);
	fill(b, end, DBG_POISON);
	uint8_t *st = pool->index >= 0 ? atomic_load_explicit(&d->state[pool->index], memory_order_acquire)
				       : (uint8_t *)0;
	if (st)
		for (uint64_t s = rec->first_slot; s < rec->first_slot + rec->nslots; s++)
			st[s] = DBG_POISONED;

	uint64_t dma = tlb_dma(tlb, map_phys(pool, rec), true);
	struct dbg_site now = here(tlb, site, -1);
	tlb_spin_lock(&d->lock);
	struct dbg_hist *h = &d->hist[d->hist_n++ % DBG_HISTORY];
	h->dma = dma;
	h->first_slot = rec->first_slot;
	h->nslots = rec->nslots;
	h->size = rec->mapping_size;
	h->dir = rec->dir;
	h->dev_id = dev->id;
	h->pool = pool->index;
	h->unmap = now;
	h->mapped_known = false;
	copy_name(h->dev, dev);
	for (struct dbg_ent **pp = &d->live[bucket_of(dma)]; *pp; pp = &(*pp)->next) {
		struct dbg_ent *e = *pp;
		if (e->dma != dma)
			continue;
		h->map = e->map;
		h->mapped_known = true;
		*pp = e->next;
		e->next = d->free;
		d->free = e;
		d->nlive--;
		break;
	}
	tlb_spin_unlock(&d->lock);
}

void tlb_debug_sync(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		    const struct tlb_record *rec, uint64_t phys, size_t size, uint32_t dir, bool for_cpu)
{
	check_redzones(tlb, dev, pool, rec, for_cpu ? "sync_for_cpu" : "sync_for_device");
	if (!tlb->plat.cpu_read_guard || !from_device(rec->dir) || !from_device(dir))
		return;
	/* for the CPU: these bytes are the device's now; for the device: it
	 * owns them again until the next sync or the unmap */
	uint64_t orig = rec->orig + (phys - map_phys(pool, rec));
	tlb->plat.cpu_read_guard(tlb->plat.ctx, tlb, orig, size, !for_cpu);
}

void tlb_debug_refused(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
		       uint32_t dir, bool unmap, const void *site)
{
	struct tlb_debug *d = tlb->dbg;
	char name[DBG_NAME], m[160] = "", u[128], t[128];
	struct dbg_site now = here(tlb, site, -1);
	tlb_spin_lock(&d->lock);
	const struct dbg_hist *h = hist_find(d, dev->id, dma, size, dir, unmap);
	struct dbg_hist copy;
	if (h)
		copy = *h;
	tlb_spin_unlock(&d->lock);
	if (!h)
		return;
	copy_name(name, dev);
	if (copy.mapped_known) {
		char ms[128];
		tlb_snprintf(m, sizeof(m), " (mapped on %s)", site_text(ms, sizeof(ms), &copy.map));
	}
	count(d, copy.pool, K_STALE);
	report(tlb, K_STALE, name,
	       "%s of 0x%016llx+%zu %s: %s mapping 0x%016llx+%u, unmapped on %s%s; this call on %s",
	       unmap ? "double unmap" : "sync after unmap", (unsigned long long)dma, size, dir_name(dir),
	       unmap ? "already unmapped" : "inside the unmapped", (unsigned long long)copy.dma, copy.size,
	       site_text(u, sizeof(u), &copy.unmap), m, site_text(t, sizeof(t), &now));
}

void tlb_debug_stats(const struct swiotlb *tlb, int pool, struct swiotlb_stats *st)
{
	const struct tlb_debug *d = tlb->dbg;
	uint64_t v[K_N] = { 0 };
	for (int r = 0; r <= SWIOTLB_MAX_POOLS; r++) {
		if (pool >= 0 && r != pool)
			continue;
		for (unsigned k = 0; k < K_N; k++)
			v[k] += tlb_uload(&d->cnt[r][k]);
	}
	st->debug_redzone = v[K_REDZONE];
	st->debug_poison = v[K_POISON];
	st->debug_cpu_read = v[K_CPU_READ];
	st->debug_stale = v[K_STALE];
	st->debug_untracked = v[K_UNTRACKED];
}

/* -------------------------------------------------------------- public */

int swiotlb_debug_cpu_read(struct swiotlb *tlb, uint64_t phys, size_t len)
{
	if (!tlb || !tlb->dbg || !len)
		return SWIOTLB_EINVAL;
	struct tlb_debug *d = tlb->dbg;
	struct dbg_ent found;
	bool hit = false;
	struct dbg_site now = here(tlb, (const void *)0, -1);
	tlb_spin_lock(&d->lock);
	for (uint32_t b = 0; b < DBG_BUCKETS && !hit; b++)
		for (struct dbg_ent *e = d->live[b]; e; e = e->next)
			if (from_device(e->dir) && phys < e->orig + e->size && e->orig < phys + len) {
				found = *e;
				hit = true;
				break;
			}
	tlb_spin_unlock(&d->lock);
	char m[128], t[128];
	tlb_snprintf(t, sizeof(t), "cpu %u at %llu.%09llu s", now.cpu, (unsigned long long)(now.ns / 1000000000u),
		     (unsigned long long)(now.ns % 1000000000u));
	count(d, hit ? found.pool : -1, K_CPU_READ);
	if (hit)
		report(tlb, K_CPU_READ, found.dev,
		       "CPU read 0x%llx+%zu of the original of mapping 0x%016llx+%u %s (original 0x%llx) before sync_for_cpu or unmap, on %s; mapped on %s",
		       (unsigned long long)phys, len, (unsigned long long)found.dma, found.size, dir_name(found.dir),
		       (unsigned long long)found.orig, t, site_text(m, sizeof(m), &found.map));
	else
		report(tlb, K_CPU_READ, "(device)",
		       "CPU read 0x%llx+%zu of a guarded original before sync_for_cpu or unmap, on %s (mapping not tracked)",
		       (unsigned long long)phys, len, t);
	return 0;
}

int swiotlb_debug_report(struct swiotlb *tlb)
{
	if (!tlb || !tlb->dbg)
		return SWIOTLB_EINVAL;
	tlb_spin_lock(&tlb->dbg->lock);
	uint64_t n = list_live(tlb, "now");
	tlb_spin_unlock(&tlb->dbg->lock);
	return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

#else /* !SWIOTLB_DEBUG */

int swiotlb_debug_cpu_read(struct swiotlb *tlb, uint64_t phys, size_t len)
{
	(void)tlb, (void)phys, (void)len;
	return SWIOTLB_EINVAL;
}

int swiotlb_debug_report(struct swiotlb *tlb)
{
	(void)tlb;
	return SWIOTLB_EINVAL;
}

#endif
