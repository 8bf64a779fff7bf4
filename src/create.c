/* SPDX-License-Identifier: MIT */
/*
 * Instance and pool creation (docs/kernel-semantics.md §1.6, §4.1): the area count, the
 * power-of-two size rounding, placement below 4 GiB or anywhere, the halving
 * fallback down to 512 slots, sharing with the host, and the kernel's log
 * lines.
 */
#include "debug.h"

#define LOW_LIMIT 0xffffffffull /* ARCH_LOW_ADDRESS_LIMIT on x86 */

static bool name_ok(const char *n, size_t max)
{
	size_t len = 0;
	for (; n[len]; len++) {
		char c = n[len];
		if (len + 1 >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return len > 0;
}

static bool platform_ok(const struct swiotlb_platform *p)
{
	if (!p || p->size < sizeof(struct swiotlb_platform) || !p->pool_alloc || !p->pool_free ||
	    !p->meta_alloc || !p->phys_to_cpu)
		return false;
	/* locks come all together or not at all */
	bool any = p->lock || p->unlock;
	if (any && (!p->lock || !p->unlock))
		return false;
	if (p->page_size && (p->page_size < 4096 || !tlb_is_pow2(p->page_size)))
		return false;
	return true;
}

static void print_mapped(struct swiotlb *tlb, const struct tlb_pool *pool, const char *label)
{
	tlb_log(tlb, SWIOTLB_LOG_INFO, "%smapped [mem 0x%016llx-0x%016llx] (%lluMB)", label,
		(unsigned long long)pool->start, (unsigned long long)pool->end,
		(unsigned long long)((pool->nslabs << SWIOTLB_SLOT_SHIFT) >> 20));
}

/*
 * Allocate (or claim) memory for one pool, set it up, share it, publish it.
 * `label` prefixes the "mapped" line ("", "Low Mem ", "pool NAME ").
 */
static int make_pool(struct swiotlb *tlb, const struct swiotlb_pool_config *pc, uint32_t default_nareas,
		     bool any, const char *label)
{
	const char *name = name_ok(pc->name, SWIOTLB_NAME_MAX) ? pc->name : "(invalid)";
#define REFUSE(...)                                                      \
	do {                                                             \
		char why_[160];                                          \
		tlb_snprintf(why_, sizeof(why_), __VA_ARGS__);           \
		tlb_log(tlb, SWIOTLB_LOG_ERR, "pool %s refused: %s", name, why_); \
		return SWIOTLB_EBADCONFIG;                               \
	} while (0)
	if (name[0] == '(')
		REFUSE("the name must be 1-%d characters of [A-Za-z0-9_-]", SWIOTLB_NAME_MAX - 1);
	const struct tlb_policy_ops *ops = pc->policy[0] ? tlb_policy_find(pc->policy) : tlb->default_policy;
	if (!ops)
		REFUSE("unknown placement policy");
	if (!pc->nslabs || pc->nslabs > (1ull << 32))
		REFUSE("%llu slots (1 to 2^32 allowed)", (unsigned long long)pc->nslabs);
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (!tlb_strcmp(tlb->pools[i]->name, pc->name))
			REFUSE("the name is in use");
	if (n >= SWIOTLB_MAX_POOLS)
		REFUSE("an instance holds at most %d pools", SWIOTLB_MAX_POOLS);

	uint64_t page = tlb_page_size(tlb);
	uint64_t nslabs = pc->nslabs;
	uint32_t nareas = pc->nareas ? (uint32_t)tlb_fix_nareas(pc->nareas) : default_nareas;
	uint32_t placement = pc->placement_set ? pc->placement : (any ? SWIOTLB_PLACE_ANY : SWIOTLB_PLACE_LOW);
	if (placement > SWIOTLB_PLACE_ANY)
		REFUSE("unknown placement %u", placement);
	if (pc->exact) {
		if (pc->nareas && (!tlb_is_pow2(pc->nareas) || nslabs % pc->nareas))
			REFUSE("%u areas: an exact pool needs a power of two dividing its %llu slots", pc->nareas,
			       (unsigned long long)nslabs);
		nareas = pc->nareas ? pc->nareas : tlb_limit_nareas(default_nareas, nslabs);
		while (nslabs % nareas)
			nareas >>= 1; /* an explicit pool's default area count must divide it */
	} else {
		if (tlb_round_to_areas(&nslabs, (uint64_t)SWIOTLB_SEGSIZE * nareas))
			tlb_log(tlb, SWIOTLB_LOG_INFO, "SWIOTLB bounce buffer size roundup to %lluMB",
				(unsigned long long)((nslabs << SWIOTLB_SLOT_SHIFT) >> 20));
		nareas = tlb_limit_nareas(nareas, nslabs);
	}

	uint64_t phys = 0, bytes = 0;
	void *cpu = (void *)0;
	uint64_t asked = nslabs;
	for (;;) {
		bytes = tlb_align_up(nslabs << SWIOTLB_SLOT_SHIFT, page);
		int rc;
		if (pc->has_base) {
			if (pc->base & (page - 1))
				REFUSE("base 0x%llx is not page aligned", (unsigned long long)pc->base);
			if (pc->base + bytes < pc->base)
				REFUSE("base 0x%llx + %llu bytes wraps", (unsigned long long)pc->base,
				       (unsigned long long)bytes);
			if (placement == SWIOTLB_PLACE_LOW && pc->base + bytes - 1 > LOW_LIMIT)
				REFUSE("placement low, but [0x%llx-0x%llx) reaches above 4 GiB",
				       (unsigned long long)pc->base, (unsigned long long)(pc->base + bytes));
			if (!tlb->plat.pool_claim)
				REFUSE("the platform cannot place a pool at a fixed base");
			if (tlb->plat.pool_claim(tlb->plat.ctx, pc->base, bytes, &cpu))
				REFUSE("the platform cannot provide [0x%llx-0x%llx) (in use or outside its memory)",
				       (unsigned long long)pc->base, (unsigned long long)(pc->base + bytes));
			rc = 0;
			phys = pc->base;
		} else {
			rc = tlb->plat.pool_alloc(tlb->plat.ctx, bytes, page, 0,
						  placement == SWIOTLB_PLACE_LOW ? LOW_LIMIT : ~(uint64_t)0, &phys, &cpu);
			if (rc)
				tlb_log(tlb, SWIOTLB_LOG_WARN, "swiotlb_memblock_alloc: Failed to allocate %llu bytes tlb structure",
					(unsigned long long)bytes);
		}
		if (!rc && tlb->plat.remap && tlb->plat.remap(tlb->plat.ctx, phys, cpu, nslabs) < 0) {
			tlb->plat.pool_free(tlb->plat.ctx, phys, cpu, bytes);
			tlb_log(tlb, SWIOTLB_LOG_WARN, "swiotlb_memblock_alloc: Failed to remap %llu bytes",
				(unsigned long long)bytes);
			rc = -1;
			if (pc->has_base)
				return SWIOTLB_EPLATFORM;
		}
		if (!rc)
			break;
		if (pc->exact || nslabs <= SWIOTLB_MIN_NSLABS) {
			if (placement == SWIOTLB_PLACE_LOW)
				tlb_log(tlb, SWIOTLB_LOG_WARN, "No low mem");
			return SWIOTLB_ENOMEM;
		}
		nslabs = tlb_align_up(nslabs / 2, SWIOTLB_SEGSIZE);
		nareas = tlb_limit_nareas(nareas, nslabs);
	}
	if (nslabs != asked)
		tlb_log(tlb, SWIOTLB_LOG_INFO, "SWIOTLB bounce buffer size adjusted %llu -> %llu slabs",
			(unsigned long long)asked, (unsigned long long)nslabs);

	struct tlb_pool *pool;
	int rc = tlb_pool_setup(tlb, pc->name, phys, cpu, nslabs, nareas, placement, ops, &pool);
	if (rc) {
		tlb->plat.pool_free(tlb->plat.ctx, phys, cpu, bytes);
		return rc;
	}
	if (tlb->plat.share) {
		if (tlb->plat.share(tlb->plat.ctx, phys, cpu, bytes)) {
			tlb_log(tlb, SWIOTLB_LOG_ERR, "Failed to share %llu bytes at 0x%016llx with the host",
				(unsigned long long)bytes, (unsigned long long)phys);
			/* a failed conversion may have shared part of the range:
			 * convert it all back before the memory may be reused */
			pool->shared = true;
			tlb_pool_teardown(tlb, pool);
			return SWIOTLB_EPLATFORM;
		}
		pool->shared = true;
		tlb_uadd(&tlb->conversions, 1);
	}
	const char *why = (const char *)0;
	rc = tlb_pool_publish(tlb, pool, &why);
	if (rc < 0) {
		tlb_pool_teardown(tlb, pool);
		REFUSE("%s", why);
	}
	tlb_dbg_pool(tlb, pool);
	if (tlb->verbose)
		print_mapped(tlb, pool, label);
	return rc;
#undef REFUSE
}

int swiotlb_create(const struct swiotlb_config *cfg, const struct swiotlb_platform *plat, struct swiotlb **out)
{
	if (!out)
		return SWIOTLB_EINVAL;
	*out = (struct swiotlb *)0;
	if (!cfg || cfg->size != sizeof(*cfg) || cfg->npools > SWIOTLB_MAX_POOLS || !platform_ok(plat))
		return SWIOTLB_EINVAL;
	const struct tlb_policy_ops *def = tlb_policy_find(cfg->policy);
	if (!def)
		return SWIOTLB_EBADCONFIG;
	for (uint32_t i = 0; i < cfg->npools; i++) {
		const struct swiotlb_pool_config *pc = &cfg->pools[i];
		if (!name_ok(pc->name, SWIOTLB_NAME_MAX) || (pc->policy[0] && !tlb_policy_find(pc->policy)))
			return SWIOTLB_EBADCONFIG;
		for (uint32_t j = 0; j < i; j++)
			if (!tlb_strcmp(cfg->pools[j].name, pc->name))
				return SWIOTLB_EBADCONFIG;
	}

	struct swiotlb *tlb = plat->meta_alloc(plat->ctx, sizeof(*tlb));
	if (!tlb)
		return SWIOTLB_ENOMEM;
	tlb_memset(tlb, 0, sizeof(*tlb));
	tlb_memcpy(&tlb->plat, plat, sizeof(*plat));
	tlb->ncpus = cfg->ncpus ? cfg->ncpus : 1;
	tlb->force = cfg->force && !cfg->noforce;
	tlb->fallback = !cfg->no_fallback;
	tlb->verbose = cfg->verbose;
	tlb->default_policy = def;
	int drc = tlb_dbg_create(tlb, cfg->debug);
	if (drc) {
		if (plat->meta_free)
			plat->meta_free(plat->ctx, tlb, sizeof(*tlb));
		return drc;
	}

	/* §1.6: the area count not fixed by the command line comes from the CPUs */
	uint32_t nareas = cfg->nareas;
	if (!nareas) {
		nareas = (uint32_t)tlb_fix_nareas(tlb->ncpus);
		if (!cfg->noforce && cfg->npools)
			tlb_log(tlb, SWIOTLB_LOG_INFO, "area num %u.", nareas);
	}
	tlb->default_nareas = nareas;

	if (!cfg->noforce) {
		for (uint32_t i = 0; i < cfg->npools; i++) {
			char label[SWIOTLB_NAME_MAX + 8] = "";
			if (cfg->dialect == SWIOTLB_DIALECT_RFC2021)
				tlb_strlcpy(label, i == 0 ? "Low Mem " : "High Mem ", sizeof(label));
			else if (cfg->dialect == SWIOTLB_DIALECT_NAMED)
				tlb_snprintf(label, sizeof(label), "pool %s ", cfg->pools[i].name);
			/* a pool that cannot be had at all is skipped, as the kernel
			 * boots on without one */
			make_pool(tlb, &cfg->pools[i], nareas, cfg->any, label);
		}
	}
	*out = tlb;
	return 0;
}

int swiotlb_pool_add(struct swiotlb *tlb, const struct swiotlb_pool_config *pc)
{
	if (!tlb || !pc)
		return SWIOTLB_EINVAL;
	char label[SWIOTLB_NAME_MAX + 8];
	tlb_snprintf(label, sizeof(label), "pool %s ", pc->name);
	return make_pool(tlb, pc, tlb->default_nareas, false, label);
}

void swiotlb_destroy(struct swiotlb *tlb)
{
	if (!tlb)
		return;
	tlb_dbg_destroy(tlb); /* the leak report, while the pools are there */
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = n; i-- > 0;)
		tlb_pool_teardown(tlb, tlb->pools[i]);
	if (tlb->plat.meta_free)
		tlb->plat.meta_free(tlb->plat.ctx, tlb, sizeof(*tlb));
}

int swiotlb_pool_count(const struct swiotlb *tlb)
{
	return tlb ? atomic_load_explicit(&tlb->npools, memory_order_acquire) : SWIOTLB_EINVAL;
}

static const struct tlb_pool *pool_at(const struct swiotlb *tlb, int i)
{
	if (!tlb || i < 0 || i >= atomic_load_explicit(&tlb->npools, memory_order_acquire))
		return (const struct tlb_pool *)0;
	return tlb->pools[i];
}

int swiotlb_pool_info(const struct swiotlb *tlb, int i, struct swiotlb_pool_info *info)
{
	const struct tlb_pool *p = pool_at(tlb, i);
	if (!p || !info)
		return SWIOTLB_EINVAL;
	tlb_memset(info, 0, sizeof(*info));
	tlb_strlcpy(info->name, p->name, sizeof(info->name));
	tlb_strlcpy(info->policy, p->ops->name, sizeof(info->policy));
	info->base = p->start;
	info->end = p->end;
	info->dma_base = p->dma_lo;
	info->dma_end = p->dma_hi;
	info->nslabs = p->nslabs;
	info->nareas = p->nareas;
	info->placement = p->placement;
	info->meta_bytes = p->total_meta_bytes;
	return 0;
}

bool swiotlb_force_bounce(const struct swiotlb *tlb)
{
	return tlb && tlb->force;
}

uint64_t swiotlb_pool_largest_free(const struct swiotlb *tlb, int i)
{
	const struct tlb_pool *p = pool_at(tlb, i);
	return p ? p->ops->largest_free((struct tlb_pool *)p) : 0;
}

uint64_t swiotlb_conversions(const struct swiotlb *tlb)
{
	return tlb ? tlb_uload(&tlb->conversions) : 0;
}

uint64_t swiotlb_leaked_bytes(const struct swiotlb *tlb)
{
	return tlb ? tlb_uload(&tlb->leaked_bytes) : 0;
}

void swiotlb_set_event_hook(struct swiotlb *tlb, swiotlb_event_fn fn, void *arg)
{
	if (!tlb)
		return;
	tlb->event_fn = fn;
	tlb->event_arg = arg;
}

int swiotlb_check(const struct swiotlb *tlb, char *why, size_t len)
{
	char dummy[8];
	if (!why || !len) {
		why = dummy;
		len = sizeof(dummy);
	}
	why[0] = 0;
	if (!tlb)
		return SWIOTLB_EINVAL;
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++) {
		struct tlb_pool *p = tlb->pools[i];
		int rc = p->ops->check(p, why, len);
		if (rc)
			return rc;
	}
	return tlb_check_accounting((struct swiotlb *)tlb, why, len);
}
