/* SPDX-License-Identifier: MIT */
/*
 * Statistics: gathered from the per-area and per-pool counters, rendered from
 * the one list in swiotlb/stats.h as debugfs-style text or JSON.  Counts
 * that the hot path keeps per area (used, maps, unmaps, bytes) are summed
 * here, on read; the high-water marks are kept exact by pool.c.
 *
 * Naming follows the 2021 two-pool proposal: the first pool's counters carry
 * the plain debugfs names (io_tlb_nslabs, io_tlb_used, ...), every other
 * pool's are suffixed with "-<pool name>" (io_tlb_nslabs-highmem).
 */
#include "debug.h"

static void pool_stats(const struct tlb_pool *p, struct swiotlb_stats *st)
{
	tlb_memset(st, 0, sizeof(*st));
	st->nslabs = p->nslabs;
	st->used_hiwater = tlb_uload(&p->hiwater);
	for (uint32_t a = 0; a < p->nareas; a++) {
		const struct tlb_area *ar = &p->areas[a];
		st->used += tlb_area_used(ar);
		st->maps += tlb_uload(&ar->maps);
		st->unmaps += tlb_uload(&ar->unmaps);
		st->bytes_to_device += tlb_uload(&ar->map_bytes) + tlb_uload(&ar->bytes_to_device);
		st->bytes_from_device += tlb_uload(&ar->bytes_from_device);
	}
	st->fail_full = tlb_uload(&p->fail_full);
	st->fail_too_large = tlb_uload(&p->fail_too_large);
	st->fail_not_mapped = tlb_uload(&p->fail_not_mapped);
	st->fail_range = tlb_uload(&p->fail_range);
	tlb_dbg_stats(p->tlb, p->index, st);
}

int swiotlb_get_stats(const struct swiotlb *tlb, int pool, struct swiotlb_stats *st)
{
	if (!tlb || !st)
		return SWIOTLB_EINVAL;
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	if (pool >= n || pool < -1)
		return SWIOTLB_EINVAL;
	if (pool >= 0) {
		pool_stats(tlb->pools[pool], st);
		return 0;
	}
	struct swiotlb_stats sum, one;
	tlb_memset(&sum, 0, sizeof(sum));
	for (int i = 0; i < n; i++) {
		pool_stats(tlb->pools[i], &one);
		sum.nslabs += one.nslabs;
		sum.used += one.used;
		sum.maps += one.maps;
		sum.unmaps += one.unmaps;
		sum.bytes_to_device += one.bytes_to_device;
		sum.bytes_from_device += one.bytes_from_device;
	}
	/* instance-wide counters: a failed map counts once, whichever pools it tried */
	sum.used_hiwater = tlb_uload(&tlb->hiwater);
	sum.fail_full = tlb_uload(&tlb->fail_full);
	sum.fail_too_large = tlb_uload(&tlb->fail_too_large);
	sum.fail_unreachable = tlb_uload(&tlb->fail_unreachable);
	sum.fail_not_mapped = tlb_uload(&tlb->fail_not_mapped);
	sum.fail_range = tlb_uload(&tlb->fail_range);
	tlb_dbg_stats(tlb, -1, &sum);
	*st = sum;
	return 0;
}

int swiotlb_reset_hiwater(struct swiotlb *tlb, uint64_t value)
{
	if (!tlb || value != 0)
		return SWIOTLB_EINVAL; /* as debugfs: only 0 may be written */
	tlb_hiwater_reset(tlb);
	return 0;
}

static void suffix_of(const struct tlb_pool *p, char *buf, size_t n)
{
	if (p->index == 0)
		buf[0] = 0;
	else
		tlb_snprintf(buf, n, "-%s", p->name);
}

/*
 * Every counter of the one list, as "prefix+key+suffix value" lines or as
 * JSON members; `first` says whether a JSON member needs a leading comma.
 */
static void render_counters(const struct swiotlb *tlb, struct tlb_buf *b, const struct swiotlb_stats *st,
			    const char *prefix, const char *sfx, bool json, bool first)
{
#define RENDER(field, key, help)                                                                         \
	if (json)                                                                                        \
		tlb_buf_printf(b, "%s\"%s%s%s\":%llu", first ? "" : ",", prefix, key, sfx,                    \
			       (unsigned long long)st->field);                                          \
	else                                                                                             \
		tlb_buf_printf(b, "%s%s%s %llu\n", prefix, key, sfx, (unsigned long long)st->field);        \
	first = false;
	SWIOTLB_STATS(RENDER)
	/* the debug mode's counters exist only in its output */
	if (tlb_dbg_on(tlb)) {
		SWIOTLB_DEBUG_STATS(RENDER)
	}
#undef RENDER
}

/* Each pool's counters under its debugfs names; returns how many pools. */
static int render_pools(const struct swiotlb *tlb, struct tlb_buf *b, bool json)
{
	struct swiotlb_stats st;
	char sfx[SWIOTLB_NAME_MAX + 2];
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++) {
		pool_stats(tlb->pools[i], &st);
		suffix_of(tlb->pools[i], sfx, sizeof(sfx));
		render_counters(tlb, b, &st, "", sfx, json, i == 0);
	}
	return n;
}

size_t swiotlb_stats_text(const struct swiotlb *tlb, char *buf, size_t len)
{
	struct tlb_buf b = { buf, len, 0 };
	struct swiotlb_stats st;
	if (buf && len)
		buf[0] = 0;
	if (!tlb)
		return 0;
	render_pools(tlb, &b, false);
	swiotlb_get_stats(tlb, -1, &st);
	render_counters(tlb, &b, &st, "total_", "", false, true);
	tlb_buf_printf(&b, "conversions %llu\n", (unsigned long long)swiotlb_conversions(tlb));
	tlb_buf_printf(&b, "leaked_bytes %llu\n", (unsigned long long)swiotlb_leaked_bytes(tlb));
	return b.len;
}

size_t swiotlb_stats_json(const struct swiotlb *tlb, char *buf, size_t len)
{
	struct tlb_buf b = { buf, len, 0 };
	struct swiotlb_stats st;
	if (buf && len)
		buf[0] = 0;
	if (!tlb)
		return 0;
	tlb_buf_printf(&b, "{");
	int n = render_pools(tlb, &b, true);
	tlb_buf_printf(&b, "%s\"pools\":[", n ? "," : "");
	for (int i = 0; i < n; i++) {
		const struct tlb_pool *p = tlb->pools[i];
		pool_stats(p, &st);
		tlb_buf_printf(&b, "%s{\"name\":\"%s\",\"base\":\"0x%llx\",\"end\":\"0x%llx\",\"areas\":%u,\"policy\":\"%s\",",
			       i ? "," : "", p->name, (unsigned long long)p->start, (unsigned long long)p->end,
			       p->nareas, p->ops->name);
		render_counters(tlb, &b, &st, "", "", true, true);
		tlb_buf_printf(&b, ",\"largest_free\":%llu}",
			       (unsigned long long)p->ops->largest_free((struct tlb_pool *)p));
	}
	swiotlb_get_stats(tlb, -1, &st);
	tlb_buf_printf(&b, "],\"total\":{");
	render_counters(tlb, &b, &st, "", "", true, true);
	tlb_buf_printf(&b, "},\"conversions\":%llu,\"leaked_bytes\":%llu}", (unsigned long long)swiotlb_conversions(tlb),
		       (unsigned long long)swiotlb_leaked_bytes(tlb));
	return b.len;
}
