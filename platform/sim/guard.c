/* SPDX-License-Identifier: MIT */
/*
 * The debug mode's CPU read guard on simulated machines (docs/debug.md).
 *
 * The library arms, through the platform's cpu_read_guard, the part of an
 * original buffer a device is still writing (a FROM_DEVICE or
 * BIDIRECTIONAL mapping before sync_for_cpu or unmap) and disarms it when
 * the device's bytes have been copied back.  The simulated CPU's reads go
 * through swiotlb_sim_cpu_read, which checks them against the armed ranges:
 * a hit is counted (cpu_read_early), logged, and reported to the instance
 * that armed the range, which names the mapping and counts it too.
 *
 * The armed ranges are a flat array under guard_lock: few are live at once
 * (one per in-flight read I/O), and the guard runs only in debug mode.  A
 * disarm may cover part of an armed range (a partial sync): the range is
 * trimmed or split.
 */
#include <stdlib.h>

#include "sim_internal.h"

static bool guard_push(struct swiotlb_sim *sim, struct swiotlb *tlb, uint64_t start, uint64_t end)
{
	if (sim->nguards == sim->capguards) {
		size_t cap = sim->capguards ? 2 * sim->capguards : 64;
		struct sim_guard *g = realloc(sim->guards, cap * sizeof(*g));
		if (!g)
			return false;
		sim->guards = g;
		sim->capguards = cap;
	}
	sim->guards[sim->nguards++] = (struct sim_guard){ tlb, start, end };
	return true;
}

void sim_cpu_read_guard(void *ctx, struct swiotlb *tlb, uint64_t phys, size_t len, bool armed)
{
	struct swiotlb_sim *sim = ctx;
	uint64_t s = phys, e = phys + len;
	if (!len || e < s)
		return;
	pthread_mutex_lock(&sim->guard_lock);
	if (armed) {
		if (!guard_push(sim, tlb, s, e))
			sim->guard_dropped++; /* out of memory: this range goes unguarded */
	} else {
		for (size_t i = 0; i < sim->nguards;) {
			struct sim_guard *g = &sim->guards[i];
			if (g->tlb != tlb || g->end <= s || e <= g->start) {
				i++;
				continue;
			}
			struct sim_guard old = *g;
			/* keep what lies outside [s, e): up to two pieces */
			sim->guards[i] = sim->guards[--sim->nguards];
			if (old.start < s)
				guard_push(sim, tlb, old.start, s);
			if (e < old.end)
				guard_push(sim, tlb, e, old.end);
			/* the pieces were appended: the entry now at i is unvisited */
		}
	}
	atomic_store_explicit(&sim->nguards_live, sim->nguards, memory_order_release);
	pthread_mutex_unlock(&sim->guard_lock);
}

bool swiotlb_sim_cpu_read(struct swiotlb_sim *sim, uint64_t phys, size_t len)
{
	if (!sim || !len || !atomic_load_explicit(&sim->nguards_live, memory_order_acquire))
		return false;
	struct sim_guard hit = { 0 };
	bool found = false;
	pthread_mutex_lock(&sim->guard_lock);
	for (size_t i = 0; i < sim->nguards && !found; i++) {
		const struct sim_guard *g = &sim->guards[i];
		if (phys < g->end && g->start < phys + len) {
			hit = *g;
			found = true;
		}
	}
	pthread_mutex_unlock(&sim->guard_lock);
	if (!found)
		return false;
	pthread_mutex_lock(&sim->lock);
	sim->cnt.cpu_read_early++;
	pthread_mutex_unlock(&sim->lock);
	sim_log_add(sim, "sim: CPU read of [mem 0x%016llx-0x%016llx] while a device still owns [mem 0x%016llx-0x%016llx]",
		    (unsigned long long)phys, (unsigned long long)(phys + len - 1), (unsigned long long)hit.start,
		    (unsigned long long)(hit.end - 1));
	/* no lock held: the library takes its own */
	swiotlb_debug_cpu_read(hit.tlb, phys, len);
	return true;
}

void sim_guard_free(struct swiotlb_sim *sim)
{
	free(sim->guards);
	sim->guards = NULL;
	sim->nguards = sim->capguards = 0;
	pthread_mutex_destroy(&sim->guard_lock);
}
