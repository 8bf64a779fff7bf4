/* SPDX-License-Identifier: MIT */
/*
 * The hostile device (docs/machines.md, "Hostile devices").  Its driver is
 * an ordinary one that believes what the device reports; the device
 * attacks through what a confidential guest shares with the host, the
 * pools.  On each of its I/Os it may, by its seeded choices:
 *
 *   scribble  write every pool byte except other devices' data in flight
 *             (verify.h says why), then swiotlb_check() must pass:
 *             the allocator's metadata lives outside the pools (I4);
 *   rewrite   rewrite its bounce buffer after its completion, before the
 *             unmap that copies it back;
 *   double    complete twice: its driver unmaps again and syncs the freed
 *             address both ways, and each call must be refused not_mapped;
 *   lie       report a length other than the mapping's: the driver syncs
 *             with it (longer: refused "range", shorter: copies only that)
 *             and unmaps with it (refused not_mapped, then the right
 *             unmap); a longer receive also writes past the buffer;
 *   peek      read every byte of every pool and count what it sees: other
 *             devices' data in flight or left there is shared by design,
 *             but a private byte must never be there.
 *
 * It writes only bytes tagged as its own, so any byte of another device in
 * any original is the library's doing.
 */
#include <stdio.h>
#include <string.h>

#include "verify.h"

static const char *const kind_names[SWIOTLB_SIM_HOSTILE_KINDS] = { "scribble", "rewrite", "double", "lie", "peek" };

const char *swiotlb_sim_hostile_name(unsigned kind)
{
	return kind < SWIOTLB_SIM_HOSTILE_KINDS ? kind_names[kind] : NULL;
}

bool swiotlb_sim_parse_hostile(const char *list, uint32_t *out)
{
	if (!list || !out || !*list)
		return false;
	if (!strcmp(list, "all")) {
		*out = SWIOTLB_SIM_HOSTILE_ALL;
		return true;
	}
	if (!strcmp(list, "none")) {
		*out = 0;
		return true;
	}
	uint32_t bits = 0;
	for (const char *p = list;;) {
		size_t n = strcspn(p, ":+");
		int k = -1;
		for (unsigned i = 0; i < SWIOTLB_SIM_HOSTILE_KINDS; i++)
			if (strlen(kind_names[i]) == n && !strncmp(kind_names[i], p, n))
				k = (int)i;
		if (k < 0)
			return false;
		bits |= 1u << k;
		if (!p[n])
			break;
		p += n + 1;
	}
	*out = bits;
	return true;
}

static const char *answer(int rc)
{
	return rc ? swiotlb_errname(rc) : "ok";
}

/* A library call the device provoked, and the one answer that keeps the promise. */
static void probe(struct sim_verify *v, struct sim_vq *vq, unsigned kind, const char *call, uint64_t dma,
		  uint32_t size, int rc, int want)
{
	struct swiotlb_sim_hostile_result *k = &vq->kind[kind];
	k->probes++;
	if (rc == want) {
		if (rc)
			k->refused++;
		else
			k->accepted++;
		return;
	}
	k->unexpected++;
	sim_verify_note(v, "device %s (%s): %s of 0x%llx+%u answered %s, expected %s", vq->d->name, kind_names[kind],
			call, (unsigned long long)dma, size, answer(rc), answer(want));
}

static bool chance(uint64_t *rng, uint32_t hostile, unsigned kind, unsigned one_in)
{
	return (hostile & (1u << kind)) && sim_splitmix(rng) % one_in == 0;
}

static void note_error(struct sim_vq *vq, const char *what, uint64_t dma, uint32_t len, int rc)
{
	vq->res->errors++;
	if (!vq->res->first_error[0])
		snprintf(vq->res->first_error, sizeof(vq->res->first_error), "%s of 0x%llx+%u: %s", what,
			 (unsigned long long)dma, len, swiotlb_strerror(rc));
}

void sim_hostile_complete(struct sim_verify *v, struct sim_vq *vq, struct sim_vio *io, uint8_t *scratch,
			  uint8_t *expect)
{
	struct swiotlb *tlb = sim_verify_tlb(v);
	struct swiotlb_sim *sim = sim_verify_sim(v);
	const struct swiotlb_device *d = vq->d;
	const uint32_t h = vq->hostile, len = io->len;
	/* a direct mapping is the device's own memory: nothing to attack through */
	const bool bounced = io->bounced;
	bool scribble = chance(&vq->rng, h, SWIOTLB_SIM_HOSTILE_SCRIBBLE, 8);
	bool peek = chance(&vq->rng, h, SWIOTLB_SIM_HOSTILE_PEEK, 8);
	bool twice = bounced && chance(&vq->rng, h, SWIOTLB_SIM_HOSTILE_DOUBLE, 4);
	bool lie = bounced && chance(&vq->rng, h, SWIOTLB_SIM_HOSTILE_LIE, 3);
	bool rewrite = bounced && chance(&vq->rng, h, SWIOTLB_SIM_HOSTILE_REWRITE, 2);
	uint64_t x = sim_splitmix(&vq->rng);
	bool longer = lie && (len < 2 || (x & 1));
	uint32_t claimed = len;
	if (lie)
		claimed = longer ? len + 1 + (uint32_t)((x >> 1) % (2 * SWIOTLB_SLOT_SIZE)) : 1 + (uint32_t)((x >> 1) % (len - 1));
	/* the whole pools, or past its own buffer: nobody else may be mid-step */
	bool exclusive = scribble || peek || twice || (longer && !io->write);
	char why[200];
	sim_verify_lock(v, exclusive);

	/* the device's side */
	if (io->write) {
		if (swiotlb_sim_dma(sim, io->dma, scratch, len, false, vq->limit, why, sizeof(why)))
			vq->res->faults++;
	} else {
		uint32_t n = claimed < len ? claimed : len;
		sim_data_fill(scratch, n, sim_splitmix(&vq->rng), vq->dev);
		if (swiotlb_sim_dma(sim, io->dma, scratch, n, true, vq->limit, why, sizeof(why)))
			vq->res->faults++;
		if (longer) {
			uint64_t phys = sim_bus_to_phys(sim, io->dma);
			if (phys != ~0ull)
				vq->kind[SWIOTLB_SIM_HOSTILE_LIE].bytes +=
					sim_verify_pool_write(v, phys + len, claimed - len, vq->dev, x);
		}
	}

	/* its driver's side, believing the completion */
	const enum swiotlb_dir dir = io->write ? SWIOTLB_TO_DEVICE : SWIOTLB_FROM_DEVICE;
	const uint32_t attrs = !io->write && vq->rx_sync ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0;
	bool mapped = true;
	int rc;
	if (lie) {
		vq->kind[SWIOTLB_SIM_HOSTILE_LIE].actions++;
		if (io->write)
			rc = sim_dma_sync(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, claimed, dir, false);
		else
			rc = sim_dma_sync(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, claimed, dir, true);
		probe(v, vq, SWIOTLB_SIM_HOSTILE_LIE, io->write ? "sync_for_device" : "sync_for_cpu", io->dma, claimed, rc,
		      longer ? SWIOTLB_ERANGE : 0);
	} else if (!io->write && vq->rx_sync) {
		rc = sim_dma_sync(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, len, dir, true);
		if (rc)
			note_error(vq, "sync_for_cpu", io->dma, len, rc);
	}
	if (rewrite) {
		vq->kind[SWIOTLB_SIM_HOSTILE_REWRITE].actions++;
		sim_data_fill(scratch, len, sim_splitmix(&vq->rng), vq->dev);
		if (swiotlb_sim_dma(sim, io->dma, scratch, len, true, vq->limit, why, sizeof(why)))
			vq->res->faults++;
		else
			vq->kind[SWIOTLB_SIM_HOSTILE_REWRITE].bytes += len;
	}
	if (lie) {
		rc = sim_dma_unmap(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, claimed, dir, attrs);
		probe(v, vq, SWIOTLB_SIM_HOSTILE_LIE, "unmap", io->dma, claimed, rc, SWIOTLB_ENOTMAPPED);
		mapped = rc != 0;
	}
	if (mapped) {
		rc = sim_dma_unmap(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, len, dir, attrs);
		if (rc)
			note_error(vq, "unmap", io->dma, len, rc);
	}
	if (bounced)
		sim_verify_dead(v, io->reg);
	if (twice) {
		/* exclusive: nothing can have been mapped there since */
		vq->kind[SWIOTLB_SIM_HOSTILE_DOUBLE].actions++;
		rc = sim_dma_unmap(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, len, dir, attrs);
		probe(v, vq, SWIOTLB_SIM_HOSTILE_DOUBLE, "second unmap", io->dma, len, rc, SWIOTLB_ENOTMAPPED);
		rc = sim_dma_sync(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, len, dir, true);
		probe(v, vq, SWIOTLB_SIM_HOSTILE_DOUBLE, "sync_for_cpu after unmap", io->dma, len, rc, SWIOTLB_ENOTMAPPED);
		rc = sim_dma_sync(vq->trace, tlb, d, vq->dev, vq->cpu, io->orig, io->dma, len, dir, false);
		probe(v, vq, SWIOTLB_SIM_HOSTILE_DOUBLE, "sync_for_device after unmap", io->dma, len, rc,
		      SWIOTLB_ENOTMAPPED);
	}
	if (scribble) {
		vq->kind[SWIOTLB_SIM_HOSTILE_SCRIBBLE].actions++;
		vq->kind[SWIOTLB_SIM_HOSTILE_SCRIBBLE].bytes +=
			sim_verify_pool_write(v, 0, ~0ull, vq->dev, sim_splitmix(&vq->rng));
		sim_verify_check(v, vq, "after the hostile device wrote the pools");
	}
	if (peek) {
		vq->kind[SWIOTLB_SIM_HOSTILE_PEEK].actions++;
		sim_verify_pool_peek(v, vq);
	}
	sim_verify_unlock(v);
	sim_verify_after(v, vq, io, false, expect);
}
