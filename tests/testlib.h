/* SPDX-License-Identifier: MIT */
/* Shared fixtures: a POSIX address space, an instance, captured log lines. */
#ifndef SWIOTLB_TESTLIB_H
#define SWIOTLB_TESTLIB_H

#include <string.h>
#include "check.h"
#include "swiotlb/swiotlb.h"
#include "swiotlb/posix.h"

#define ENV_LOG_MAX 256

struct env {
	struct swiotlb_posix *px;
	struct swiotlb_platform plat;
	struct swiotlb *tlb;
	int nlog;
	char log[ENV_LOG_MAX][320];
};

static inline void env_log(void *arg, enum swiotlb_log_level lvl, const char *line)
{
	struct env *e = arg;
	(void)lvl;
	if (e->nlog < ENV_LOG_MAX)
		snprintf(e->log[e->nlog++], sizeof(e->log[0]), "%s", line);
}

/* How many captured lines contain `needle`. */
static inline int env_logged(const struct env *e, const char *needle)
{
	int n = 0;
	for (int i = 0; i < e->nlog; i++)
		n += strstr(e->log[i], needle) != NULL;
	return n;
}

static inline void env_dump_log(const struct env *e)
{
	for (int i = 0; i < e->nlog; i++)
		fprintf(stderr, "  log: %s\n", e->log[i]);
}

/* An instance with no pools yet (pools come from env_pool). */
static inline void env_init_cfg(struct env *e, const struct swiotlb_config *cfg)
{
	memset(e, 0, sizeof(*e));
	REQUIRE(swiotlb_posix_create(NULL, &e->px) == 0);
	swiotlb_posix_set_log(e->px, env_log, e);
	swiotlb_posix_platform(e->px, &e->plat);
	REQUIRE(swiotlb_create(cfg, &e->plat, &e->tlb) == 0);
}

static inline void env_init(struct env *e, unsigned ncpus)
{
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = ncpus;
	env_init_cfg(e, &cfg);
}

/* The policy env_pool gives its pools: the kernel's unless a test that
 * checks no kernel addresses runs itself again under another. */
static const char *env_policy = "linux";

static inline int env_pool(struct env *e, const char *name, uint64_t base, uint64_t slots, uint32_t areas)
{
	struct swiotlb_pool_config pc;
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "%s", name);
	pc.base = base;
	pc.has_base = true;
	pc.nslabs = slots;
	pc.nareas = areas;
	pc.exact = true;
	/* exact addresses in these tests are the kernel's: pin its policy */
	snprintf(pc.policy, sizeof(pc.policy), "%s", env_policy);
	pc.placement = base + slots * 2048 - 1 > 0xffffffffull ? SWIOTLB_PLACE_ANY : SWIOTLB_PLACE_LOW;
	pc.placement_set = true;
	return swiotlb_pool_add(e->tlb, &pc);
}

static inline void env_fini(struct env *e)
{
	swiotlb_destroy(e->tlb);
	swiotlb_posix_destroy(e->px);
}

static inline uint8_t *env_mem(struct env *e, uint64_t phys, size_t len)
{
	uint8_t *p = swiotlb_posix_ptr(e->px, phys, len);
	REQUIRE(p != NULL);
	return p;
}

static inline void env_fill(struct env *e, uint64_t phys, size_t len, int byte)
{
	memset(env_mem(e, phys, len), byte, len);
}

/* First offset in [phys, phys+len) whose byte differs from `byte`, or -1. */
static inline long env_differs(struct env *e, uint64_t phys, size_t len, int byte)
{
	const uint8_t *p = env_mem(e, phys, len);
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)byte)
			return (long)i;
	return -1;
}

static inline void env_check(struct env *e)
{
	char why[256];
	int rc = swiotlb_check(e->tlb, why, sizeof(why));
	if (rc)
		fprintf(stderr, "invariant broken: %s\n", why);
	CHECK(rc == 0);
}

static inline int env_map(struct env *e, const struct swiotlb_device *dev, uint64_t orig, size_t size,
			  enum swiotlb_dir dir, uint64_t align, int cpu, uint64_t *dma)
{
	struct swiotlb_map_args a = { .orig = orig, .size = size, .dir = dir, .alloc_align_mask = align, .cpu = cpu };
	struct swiotlb_map_result r;
	int rc = swiotlb_map_ex(e->tlb, dev, &a, &r);
	if (!rc && dma)
		*dma = r.dma;
	return rc;
}

#endif
