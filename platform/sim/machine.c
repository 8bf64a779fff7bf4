/* SPDX-License-Identifier: MIT */
/*
 * Machines: guest kinds, e820 types, the preset PC-like memory map, and the
 * checks every map passes before a guest is built from it.
 *
 * Invariants after swiotlb_sim_machine_check:
 *   ranges[] is sorted by start and disjoint; every usable range holds at
 *   least one whole page; reserve[] entries lie inside usable RAM and are
 *   disjoint; the SEV C-bit and the TDX shared bit lie above every address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "swiotlb/sim.h"
#include "sim_internal.h"

static const char *const kind_names[SWIOTLB_SIM_NKINDS] = { "x86", "sev", "sev-snp", "tdx", "xen-pv" };

const char *swiotlb_sim_kind_name(uint32_t kind)
{
	return kind < SWIOTLB_SIM_NKINDS ? kind_names[kind] : NULL;
}

int swiotlb_sim_kind_from_name(const char *name)
{
	for (int i = 0; name && i < SWIOTLB_SIM_NKINDS; i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	return -1;
}

bool swiotlb_sim_kind_is_cc(uint32_t kind)
{
	return kind == SWIOTLB_SIM_SEV || kind == SWIOTLB_SIM_SEV_SNP || kind == SWIOTLB_SIM_TDX;
}

const char *swiotlb_sim_type_name(uint32_t type)
{
	switch (type) {
	case SWIOTLB_SIM_USABLE: return "usable";
	case SWIOTLB_SIM_RESERVED: return "reserved";
	case SWIOTLB_SIM_ACPI: return "ACPI data";
	case SWIOTLB_SIM_NVS: return "ACPI NVS";
	case SWIOTLB_SIM_UNUSABLE: return "unusable";
	case SWIOTLB_SIM_PCI: return "available for PCI devices";
	default: return "unknown";
	}
}

void swiotlb_sim_machine_init(struct swiotlb_sim_machine *m, uint32_t kind)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->kind = kind;
	m->cpus = 4;
	m->memmap = SWIOTLB_SIM_MEMMAP_AUTO;
	m->cbit = 47;
	/* Linux x86 TDX guests hand devices the GPA without the shared bit:
	 * the host knows which pages were converted. */
	m->shared_bit = 0;
	m->conversion_ns = SWIOTLB_SIM_COST_AUTO;
	m->p2m_seed = 1;
	m->p2m_run = 16;
	snprintf(m->name, sizeof(m->name), "%s", swiotlb_sim_kind_name(kind) ? swiotlb_sim_kind_name(kind) : "?");
}

static int add_range(struct swiotlb_sim_machine *m, uint64_t start, uint64_t end, uint32_t type, const char *name)
{
	if (m->nranges >= SWIOTLB_SIM_MAX_RANGES)
		return SWIOTLB_EINVAL;
	struct swiotlb_sim_range *r = &m->ranges[m->nranges++];
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
	r->type = type;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	return 0;
}

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define LOW_TOP_MAX 0xe0000000ull /* 3.5 GiB: the PCI hole needs the rest */
#define ACPI_BYTES 0x40000ull
#define KERNEL_BASE (16 * MiB)
#define KERNEL_BYTES (64 * MiB)

int swiotlb_sim_preset(struct swiotlb_sim_machine *m, uint64_t mem, uint64_t low, char *err, size_t len)
{
	if (mem < 128 * MiB || mem > SIM_MAX_RAM_TOP - 4 * GiB) {
		snprintf(err, len, "mem: %llu MiB is outside 128 MiB .. %llu GiB", (unsigned long long)(mem >> 20),
			 (unsigned long long)((SIM_MAX_RAM_TOP - 4 * GiB) >> 30));
		return SWIOTLB_EBADCONFIG;
	}
	if (!low)
		low = mem < 3 * GiB ? mem : 3 * GiB;
	if (low < 128 * MiB || low > LOW_TOP_MAX || low > mem || (low & (MiB - 1))) {
		snprintf(err, len,
			 "low-mem: %llu MiB must be a whole number of MiB from 128 MiB to 3584 MiB and at most mem",
			 (unsigned long long)(low >> 20));
		return SWIOTLB_EBADCONFIG;
	}
	m->nranges = 0;
	add_range(m, 0, 0x9fc00, SWIOTLB_SIM_USABLE, "");
	add_range(m, 0x9fc00, 0xa0000, SWIOTLB_SIM_RESERVED, "EBDA");
	add_range(m, 0xf0000, 0x100000, SWIOTLB_SIM_RESERVED, "BIOS");
	add_range(m, 0x100000, low - ACPI_BYTES, SWIOTLB_SIM_USABLE, "");
	add_range(m, low - ACPI_BYTES, low, SWIOTLB_SIM_ACPI, "ACPI tables");
	add_range(m, low, 0xfeffc000ull, SWIOTLB_SIM_PCI, "PCI hole");
	add_range(m, 0xfeffc000ull, 0xff000000ull, SWIOTLB_SIM_RESERVED, "");
	add_range(m, 0xfffc0000ull, 4 * GiB, SWIOTLB_SIM_RESERVED, "BIOS flash");
	if (mem > low)
		add_range(m, 4 * GiB, 4 * GiB + (mem - low), SWIOTLB_SIM_USABLE, "");
	/* the kernel image, as loaded at CONFIG_PHYSICAL_START; keep any
	 * reservation the caller made that does not collide with it */
	bool have_kernel = false;
	for (uint32_t i = 0; i < m->nreserve; i++)
		have_kernel |= !strcmp(m->reserve[i].name, "kernel");
	if (!have_kernel && m->nreserve < SWIOTLB_SIM_MAX_RESERVE) {
		struct swiotlb_sim_range *r = &m->reserve[m->nreserve++];
		memset(r, 0, sizeof(*r));
		r->start = KERNEL_BASE;
		r->end = KERNEL_BASE + KERNEL_BYTES;
		r->type = SWIOTLB_SIM_RESERVED;
		snprintf(r->name, sizeof(r->name), "kernel");
	}
	return 0;
}

static uint64_t page_up(uint64_t x) { return (x + SIM_PAGE - 1) & ~(SIM_PAGE - 1); }
static uint64_t page_down(uint64_t x) { return x & ~(SIM_PAGE - 1); }

/* The whole pages of a usable range: false when there are none. */
bool sim_usable_pages(const struct swiotlb_sim_range *r, uint64_t *start, uint64_t *end)
{
	if (r->type != SWIOTLB_SIM_USABLE)
		return false;
	*start = page_up(r->start);
	*end = page_down(r->end);
	return *end > *start;
}

uint64_t swiotlb_sim_ram_bytes(const struct swiotlb_sim_machine *m)
{
	uint64_t t = 0, s, e;
	for (uint32_t i = 0; i < m->nranges; i++)
		if (sim_usable_pages(&m->ranges[i], &s, &e))
			t += e - s;
	return t;
}

uint64_t swiotlb_sim_ram_top(const struct swiotlb_sim_machine *m)
{
	uint64_t top = 0, s, e;
	for (uint32_t i = 0; i < m->nranges; i++)
		if (sim_usable_pages(&m->ranges[i], &s, &e) && e > top)
			top = e;
	return top;
}

/* "LABEL:LINE: " or "LABEL: " or "" */
static void where_of(char *buf, size_t n, const char *label, uint32_t line)
{
	if (label && line)
		snprintf(buf, n, "%s:%u: ", label, line);
	else if (label)
		snprintf(buf, n, "%s: ", label);
	else
		buf[0] = 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct swiotlb_sim_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

int swiotlb_sim_machine_check(struct swiotlb_sim_machine *m, const char *label, char *err, size_t len)
{
	char w[160], w2[160];
	if (!m || m->size != sizeof(*m) || m->kind >= SWIOTLB_SIM_NKINDS) {
		snprintf(err, len, "machine: not initialised by swiotlb_sim_machine_init");
		return SWIOTLB_EINVAL;
	}
	where_of(w, sizeof(w), label, 0);
	if (m->cpus < 1 || m->cpus > SIM_MAX_CPUS) {
		snprintf(err, len, "%scpus: %u is not a CPU count (1..%u)", w, m->cpus, SIM_MAX_CPUS);
		return SWIOTLB_EBADCONFIG;
	}
	qsort(m->ranges, m->nranges, sizeof(m->ranges[0]), cmp_range);
	uint32_t nusable = 0;
	for (uint32_t i = 0; i < m->nranges; i++) {
		const struct swiotlb_sim_range *r = &m->ranges[i];
		uint64_t s, e;
		if (i && r->start < m->ranges[i - 1].end) {
			const struct swiotlb_sim_range *p = &m->ranges[i - 1];
			const struct swiotlb_sim_range *early = r->line > p->line ? p : r;
			const struct swiotlb_sim_range *late = r->line > p->line ? r : p;
			where_of(w, sizeof(w), label, late->line);
			w2[0] = 0;
			if (early->line)
				snprintf(w2, sizeof(w2), " (line %u)", early->line);
			snprintf(err, len, "%se820: [mem 0x%016llx-0x%016llx] %s overlaps [mem 0x%016llx-0x%016llx] %s%s", w,
				 (unsigned long long)late->start, (unsigned long long)late->end - 1,
				 swiotlb_sim_type_name(late->type), (unsigned long long)early->start,
				 (unsigned long long)early->end - 1, swiotlb_sim_type_name(early->type), w2);
			return SWIOTLB_EBADCONFIG;
		}
		if (sim_usable_pages(r, &s, &e))
			nusable++;
	}
	if (!nusable) {
		snprintf(err, len, "%se820: no usable RAM (a usable range of at least one whole 4 KiB page)", w);
		return SWIOTLB_EBADCONFIG;
	}
	uint64_t top = swiotlb_sim_ram_top(m);
	uint64_t max_top = m->kind == SWIOTLB_SIM_XEN_PV ? SIM_MAX_XEN_TOP : SIM_MAX_RAM_TOP;
	if (top > max_top) {
		snprintf(err, len, "%se820: RAM reaches 0x%llx; the %s simulation supports RAM below %llu GiB", w,
			 (unsigned long long)top, swiotlb_sim_kind_name(m->kind), (unsigned long long)(max_top >> 30));
		return SWIOTLB_EBADCONFIG;
	}
	uint64_t addr_top = m->nranges ? m->ranges[m->nranges - 1].end : 0;
	if (addr_top < top)
		addr_top = top;
	if (m->kind == SWIOTLB_SIM_SEV || m->kind == SWIOTLB_SIM_SEV_SNP) {
		if (m->cbit < 32 || m->cbit > 62 || (1ull << m->cbit) < addr_top) {
			snprintf(err, len, "%scbit: bit %u must be from 32 to 62 and above every address of the map (top 0x%llx)",
				 w, m->cbit, (unsigned long long)addr_top);
			return SWIOTLB_EBADCONFIG;
		}
	}
	if (m->kind == SWIOTLB_SIM_TDX && m->shared_bit &&
	    (m->shared_bit < 32 || m->shared_bit > 62 || (1ull << m->shared_bit) < addr_top)) {
		snprintf(err, len, "%sshared-bit: bit %u must be from 32 to 62 and above every address of the map (top 0x%llx)",
			 w, m->shared_bit, (unsigned long long)addr_top);
		return SWIOTLB_EBADCONFIG;
	}
	if (m->p2m_run < 1 || m->p2m_run > 512) {
		snprintf(err, len, "%sp2m-run: %u is not a run length (1..512 frames)", w, m->p2m_run);
		return SWIOTLB_EBADCONFIG;
	}
	for (uint32_t i = 0; i < m->nreserve; i++) {
		const struct swiotlb_sim_range *r = &m->reserve[i];
		bool inside = false;
		for (uint32_t k = 0; k < m->nranges && !inside; k++) {
			uint64_t s, e;
			inside = sim_usable_pages(&m->ranges[k], &s, &e) && r->start >= s && r->end <= e;
		}
		where_of(w, sizeof(w), label, r->line);
		if (!inside) {
			snprintf(err, len, "%sreserve %s: [mem 0x%016llx-0x%016llx] is not inside one usable range of the map",
				 w, r->name, (unsigned long long)r->start, (unsigned long long)r->end - 1);
			return SWIOTLB_EBADCONFIG;
		}
		for (uint32_t k = 0; k < i; k++) {
			const struct swiotlb_sim_range *o = &m->reserve[k];
			if (r->start < o->end && o->start < r->end) {
				snprintf(err, len, "%sreserve %s: overlaps the reservation %s", w, r->name, o->name);
				return SWIOTLB_EBADCONFIG;
			}
		}
	}
	return 0;
}
