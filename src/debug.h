/* SPDX-License-Identifier: MIT */
/*
 * The debug mode's interface to the rest of the core (the checks themselves
 * and their data structure are in debug.c; docs/debug.md says what each one
 * catches).
 *
 * Two switches.  The build option SWIOTLB_DEBUG (CMake -DSWIOTLB_DEBUG=ON)
 * compiles the hooks in; without it every hook below is an empty inline
 * function, TLB_SITE() is a null constant and struct swiotlb carries no
 * debug pointer, so the library is the same code as before.  With it, the
 * run-time flag (swiotlb_config.debug, the named dialect's `debug`) makes
 * swiotlb_create allocate a struct tlb_debug; an instance without one pays
 * one predictable branch per hook.
 *
 * The hooks sit at fixed points of the mapping paths (map.c), each a single
 * call, so they move with the code around them:
 *   tlb_dbg_reserved  finish_map: slots reserved, before the copy-in
 *   tlb_dbg_mapped    the public map entry, after a successful bounce
 *   tlb_dbg_unmap     unmap: mapping validated, before the copy-back
 *   tlb_dbg_release   unmap: after the copy-back, right before release()
 *   tlb_dbg_sync      sync: range validated, before the copy
 *   tlb_dbg_refused   an unmap or sync refused as not_mapped
 * and in create.c: tlb_dbg_init (instance), tlb_dbg_pool (after a pool is
 * published), tlb_dbg_fini (destroy, before the pools go).  An unmap in
 * debug mode always takes the general path (lookup, check, copy, release):
 * tlb_dbg_on() turns the express lane and take() off, since they free slots
 * inside the policy where nothing can poison them first.
 */
#ifndef SWIOTLB_DEBUG_INTERNAL_H
#define SWIOTLB_DEBUG_INTERNAL_H

#include "internal.h"

#ifdef SWIOTLB_DEBUG

/* The caller of the public entry point that evaluates it. */
#define TLB_SITE() ((const void *)__builtin_return_address(0))

int tlb_debug_init(struct swiotlb *tlb);
void tlb_debug_pool(struct swiotlb *tlb, const struct tlb_pool *pool);
void tlb_debug_fini(struct swiotlb *tlb);
void tlb_debug_reserved(struct swiotlb *tlb, struct tlb_pool *pool, const struct tlb_record *rec);
void tlb_debug_mapped(struct swiotlb *tlb, const struct swiotlb_device *dev, const struct swiotlb_map_args *a,
		      const struct swiotlb_map_result *res, const void *site);
void tlb_debug_unmap(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		     const struct tlb_record *rec, const void *site);
void tlb_debug_release(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		       const struct tlb_record *rec, const void *site);
void tlb_debug_sync(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
		    const struct tlb_record *rec, uint64_t phys, size_t size, uint32_t dir, bool for_cpu);
void tlb_debug_refused(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
		       uint32_t dir, bool unmap, const void *site);
void tlb_debug_stats(const struct swiotlb *tlb, int pool, struct swiotlb_stats *st);

static inline bool tlb_dbg_on(const struct swiotlb *tlb) { return __builtin_expect(tlb->dbg != 0, 0); }

/* swiotlb_create: set up the debug state when the configuration asks for it. */
static inline int tlb_dbg_create(struct swiotlb *tlb, bool want) { return want ? tlb_debug_init(tlb) : 0; }
static inline void tlb_dbg_pool(struct swiotlb *tlb, const struct tlb_pool *pool)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_pool(tlb, pool);
}
static inline void tlb_dbg_destroy(struct swiotlb *tlb)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_fini(tlb);
}
/* The debug counters of a pool (or the total, pool -1); false when the
 * instance has no debug state (the counters are then not rendered). */
static inline bool tlb_dbg_stats(const struct swiotlb *tlb, int pool, struct swiotlb_stats *st)
{
	if (!tlb_dbg_on(tlb))
		return false;
	tlb_debug_stats(tlb, pool, st);
	return true;
}
static inline void tlb_dbg_reserved(struct swiotlb *tlb, struct tlb_pool *pool, const struct tlb_record *rec)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_reserved(tlb, pool, rec);
}
static inline void tlb_dbg_mapped(struct swiotlb *tlb, const struct swiotlb_device *dev,
				  const struct swiotlb_map_args *a, const struct swiotlb_map_result *res,
				  const void *site)
{
	if (tlb_dbg_on(tlb) && res->bounced)
		tlb_debug_mapped(tlb, dev, a, res, site);
}
static inline void tlb_dbg_unmap(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
				 const struct tlb_record *rec, const void *site)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_unmap(tlb, dev, pool, rec, site);
}
static inline void tlb_dbg_release(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
				   const struct tlb_record *rec, const void *site)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_release(tlb, dev, pool, rec, site);
}
static inline void tlb_dbg_sync(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
				const struct tlb_record *rec, uint64_t phys, size_t size, uint32_t dir, bool for_cpu)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_sync(tlb, dev, pool, rec, phys, size, dir, for_cpu);
}
static inline void tlb_dbg_refused(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
				   uint32_t dir, bool unmap, const void *site)
{
	if (tlb_dbg_on(tlb))
		tlb_debug_refused(tlb, dev, dma, size, dir, unmap, site);
}

#else /* !SWIOTLB_DEBUG: nothing at all */

#define TLB_SITE() ((const void *)0)

static inline bool tlb_dbg_on(const struct swiotlb *tlb) { (void)tlb; return false; }
static inline int tlb_dbg_create(struct swiotlb *tlb, bool want)
{
	if (!want)
		return 0;
	tlb_log(tlb, SWIOTLB_LOG_ERR, "debug mode asked for, but this library was built without SWIOTLB_DEBUG");
	return SWIOTLB_EBADCONFIG;
}
static inline void tlb_dbg_pool(struct swiotlb *tlb, const struct tlb_pool *pool) { (void)tlb, (void)pool; }
static inline void tlb_dbg_destroy(struct swiotlb *tlb) { (void)tlb; }
static inline bool tlb_dbg_stats(const struct swiotlb *tlb, int pool, struct swiotlb_stats *st)
{
	(void)tlb, (void)pool, (void)st;
	return false;
}
static inline void tlb_dbg_reserved(struct swiotlb *tlb, struct tlb_pool *pool, const struct tlb_record *rec)
{
	(void)tlb, (void)pool, (void)rec;
}
static inline void tlb_dbg_mapped(struct swiotlb *tlb, const struct swiotlb_device *dev,
				  const struct swiotlb_map_args *a, const struct swiotlb_map_result *res,
				  const void *site)
{
	(void)tlb, (void)dev, (void)a, (void)res, (void)site;
}
static inline void tlb_dbg_unmap(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
				 const struct tlb_record *rec, const void *site)
{
	(void)tlb, (void)dev, (void)pool, (void)rec, (void)site;
}
static inline void tlb_dbg_release(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
				   const struct tlb_record *rec, const void *site)
{
	(void)tlb, (void)dev, (void)pool, (void)rec, (void)site;
}
static inline void tlb_dbg_sync(struct swiotlb *tlb, const struct swiotlb_device *dev, struct tlb_pool *pool,
				const struct tlb_record *rec, uint64_t phys, size_t size, uint32_t dir, bool for_cpu)
{
	(void)tlb, (void)dev, (void)pool, (void)rec, (void)phys, (void)size, (void)dir, (void)for_cpu;
}
static inline void tlb_dbg_refused(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t dma, size_t size,
				   uint32_t dir, bool unmap, const void *site)
{
	(void)tlb, (void)dev, (void)dma, (void)size, (void)dir, (void)unmap, (void)site;
}

#endif /* SWIOTLB_DEBUG */
#endif
