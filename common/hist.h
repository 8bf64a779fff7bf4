/* SPDX-License-Identifier: MIT */
/*
 * The one latency histogram of the project: `swiotlb bench dma-map` and the
 * vhost-user-blk workload (vhost/load.c) both record nanoseconds in it and
 * read their percentiles from it.  Header-only and private (see number.h).
 *
 * Log-linear buckets: exact below 128 ns, then 64 per power of two, so a
 * value is known to within 1/64 (1.6 %) of itself; a percentile reports its
 * bucket's middle, kept within the smallest and largest value seen.  4 KiB
 * of counters per power of two, 30 KiB in all.
 */
#ifndef SWIOTLB_COMMON_HIST_H
#define SWIOTLB_COMMON_HIST_H

#include <stdint.h>
#include <string.h>

#define HIST_SUB_BITS 6                            /* 64 buckets per power of two */
#define HIST_EXACT (2u << HIST_SUB_BITS)           /* values below are exact */
#define HIST_BUCKETS (HIST_EXACT + (64 - HIST_SUB_BITS - 1) * (1u << HIST_SUB_BITS))

struct hist {
	uint64_t n, sum, min, max;
	uint64_t b[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t v)
{
	if (v < HIST_EXACT)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned top = (unsigned)(v >> (msb - HIST_SUB_BITS)); /* 64..127 */
	return HIST_EXACT + (msb - HIST_SUB_BITS - 1) * (1u << HIST_SUB_BITS) + (top - (1u << HIST_SUB_BITS));
}

/* The middle of bucket idx. */
static inline uint64_t hist_value(unsigned idx)
{
	if (idx < HIST_EXACT)
		return idx;
	unsigned msb = (idx - HIST_EXACT) / (1u << HIST_SUB_BITS) + HIST_SUB_BITS + 1;
	uint64_t top = (idx - HIST_EXACT) % (1u << HIST_SUB_BITS) + (1u << HIST_SUB_BITS);
	unsigned shift = msb - HIST_SUB_BITS;
	return (top << shift) + ((1ull << shift) >> 1);
}

static inline void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	if (!h->n || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += v;
	h->b[hist_index(v)]++;
}

static inline void hist_merge(struct hist *into, const struct hist *h)
{
	if (!h->n)
		return;
	if (!into->n || h->min < into->min)
		into->min = h->min;
	if (h->max > into->max)
		into->max = h->max;
	into->n += h->n;
	into->sum += h->sum;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += h->b[i];
}

/* The value below which pct percent (0..100] of the values lie; 0 when empty. */
static inline uint64_t hist_pct(const struct hist *h, double pct)
{
	if (!h->n)
		return 0;
	uint64_t want = (uint64_t)((double)h->n * pct / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want) {
			uint64_t v = hist_value(i);
			return v > h->max ? h->max : v < h->min ? h->min : v;
		}
	}
	return h->max;
}

#endif
