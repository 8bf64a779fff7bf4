/* SPDX-License-Identifier: MIT */
/*
 * Booting a simulated guest: the part of an x86 kernel's boot that decides
 * about swiotlb, in the kernel's order (docs/kernel-semantics.md §1.6, §4.1, §9):
 *
 *   1. the firmware memory map ("BIOS-e820: [mem ...] usable", or "Xen:"
 *      for a PV guest) and the kind's banner;
 *   2. early parameters: swiotlb= (in the chosen dialect) and iommu=;
 *   3. setup_arch: a confidential guest asks for 6 % of RAM, clamped to
 *      [64 MiB, 1 GiB] (swiotlb_config_adjust_size, ignored when the user
 *      gave a size);
 *   4. pci_swiotlb_detect: plain x86 wants a pool when RAM reaches above
 *      4 GiB or iommu=soft (not with iommu=off); SEV/TDX want one and force
 *      bouncing, with SWIOTLB_ANY when the machine says `any` (the 2026
 *      patch); Xen PV always wants one, remapped;
 *   5. swiotlb_init: pools, halving on failure, with the kernel's lines;
 *      a pool exists without the arch's wish only under swiotlb=force;
 *   6. pci_iommu_init: "PCI-DMA: Using software bounce buffering for IO
 *      (SWIOTLB)" and the "mapped [mem ...]" lines, when the arch wanted a
 *      pool.
 */
#include <stdio.h>
#include <string.h>

#include "sim_internal.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static void collect(void *arg, enum swiotlb_log_level lvl, const char *line)
{
	(void)lvl;
	sim_log_add(arg, "%s", line);
}

/* iommu=off / iommu=soft anywhere on the line (comma lists as the kernel reads them). */
static void scan_iommu(const char *cmdline, bool *off, bool *soft)
{
	const char *p = cmdline;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		size_t n = (size_t)(p - tok);
		if (n == 2 && !strncmp(tok, "--", 2))
			return;
		if (n <= 6 || strncmp(tok, "iommu=", 6))
			continue;
		for (const char *v = tok + 6; v < p;) {
			const char *e = v;
			while (e < p && *e != ',')
				e++;
			if (e - v == 3 && !strncmp(v, "off", 3))
				*off = true;
			else if (e - v == 4 && !strncmp(v, "soft", 4))
				*soft = true;
			v = e < p ? e + 1 : e;
		}
	}
}

static void print_map(struct swiotlb_sim *sim)
{
	const struct swiotlb_sim_machine *m = &sim->m;
	const char *src = m->kind == SWIOTLB_SIM_XEN_PV ? "Xen" : "BIOS-e820";
	sim_log_add(sim, "BIOS-provided physical RAM map:");
	for (uint32_t i = 0; i < m->nranges; i++) {
		const struct swiotlb_sim_range *r = &m->ranges[i];
		if (r->type != SWIOTLB_SIM_PCI)
			sim_log_add(sim, "%s: [mem 0x%016llx-0x%016llx] %s", src, (unsigned long long)r->start,
				    (unsigned long long)r->end - 1, swiotlb_sim_type_name(r->type));
	}
	for (uint32_t i = 0; i < m->nranges; i++) {
		const struct swiotlb_sim_range *r = &m->ranges[i];
		if (r->type == SWIOTLB_SIM_PCI)
			sim_log_add(sim, "e820: [mem 0x%016llx-0x%016llx] available for PCI devices",
				    (unsigned long long)r->start, (unsigned long long)r->end - 1);
	}
}

static void print_banner(struct swiotlb_sim *sim)
{
	switch (sim->m.kind) {
	case SWIOTLB_SIM_SEV: sim_log_add(sim, "Memory Encryption Features active: AMD SEV"); break;
	case SWIOTLB_SIM_SEV_SNP:
		sim_log_add(sim, "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP");
		break;
	case SWIOTLB_SIM_TDX: sim_log_add(sim, "Memory Encryption Features active: Intel TDX"); break;
	case SWIOTLB_SIM_XEN_PV: sim_log_add(sim, "Booting paravirtualized kernel on Xen"); break;
	default: break;
	}
}

/* "Low Mem " / "High Mem " (rfc2021), "pool NAME " (named), "" (mainline). */
static void mapped_label(uint32_t dialect, const char *name, char *buf, size_t n)
{
	if (dialect == SWIOTLB_DIALECT_RFC2021)
		snprintf(buf, n, "%s", strcmp(name, "highmem") ? "Low Mem " : "High Mem ");
	else if (dialect == SWIOTLB_DIALECT_NAMED)
		snprintf(buf, n, "pool %s ", name);
	else
		buf[0] = 0;
}

int swiotlb_sim_boot(struct swiotlb_sim *sim, const struct swiotlb_sim_boot_opts *opts, struct swiotlb **out,
		     char *err, size_t len)
{
	if (!sim || !out)
		return SWIOTLB_EINVAL;
	*out = NULL;
	if (sim->booted) {
		snprintf(err, len, "this machine has already booted");
		return SWIOTLB_EINVAL;
	}
	const struct swiotlb_sim_machine *m = &sim->m;
	const char *cmdline = opts && opts->cmdline ? opts->cmdline : "";
	uint32_t dialect = opts ? opts->dialect : SWIOTLB_DIALECT_MAINLINE;
	struct swiotlb_sim_boot_info *bi = &sim->boot;
	memset(bi, 0, sizeof(*bi));

	/* parse first, so a bad line prints nothing */
	struct swiotlb_config cfg;
	struct swiotlb_parse_opts po;
	char perr[400] = "";
	swiotlb_config_init(&cfg);
	cfg.ncpus = m->cpus;
	memset(&po, 0, sizeof(po));
	po.dialect = dialect;
	po.lenient = opts && opts->lenient;
	po.err = perr;
	po.err_len = sizeof(perr);
	int rc = swiotlb_parse_cmdline(cmdline, &po, &cfg);
	if (rc) {
		snprintf(err, len, "cmdline: %s", perr);
		return rc;
	}
	sim->booted = true;
	print_map(sim);
	print_banner(sim);
	sim_log_add(sim, "Kernel command line: %s", cmdline);
	/* again, now printing what the kernel prints while parsing */
	swiotlb_config_init(&cfg);
	cfg.ncpus = m->cpus;
	po.log = collect;
	po.log_arg = sim;
	swiotlb_parse_cmdline(cmdline, &po, &cfg);
	scan_iommu(cmdline, &bi->iommu_off, &bi->iommu_soft);

	bool cc = swiotlb_sim_kind_is_cc(m->kind);
	if (cc) {
		uint64_t size = sim->ram_bytes * 6 / 100;
		if (size < 64 * MiB)
			size = 64 * MiB;
		if (size > GiB)
			size = GiB;
		bi->adjust_bytes = size;
		swiotlb_config_adjust_size(&cfg, size, collect, sim);
	}

	switch (m->kind) {
	case SWIOTLB_SIM_X86:
		bi->enabled = !bi->iommu_off && (sim->ram_top > 4 * GiB || bi->iommu_soft);
		bi->reason = bi->iommu_off    ? "iommu=off: no automatic pool"
			     : bi->enabled    ? (bi->iommu_soft ? "iommu=soft" : "RAM above 4 GiB")
					      : "all RAM below 4 GiB: no pool needed";
		break;
	case SWIOTLB_SIM_XEN_PV:
		bi->enabled = true;
		bi->reason = "Xen PV: machine frames need remapping";
		break;
	default:
		bi->enabled = true;
		cfg.force = true;
		if (m->any)
			cfg.any = true;
		bi->reason = m->any ? "memory encryption: force bouncing, SWIOTLB_ANY"
				    : "memory encryption: force bouncing";
		break;
	}
	if (cfg.noforce) {
		bi->reason = "swiotlb=noforce: never a pool";
	} else if (!bi->enabled) {
		if (cfg.force)
			bi->reason = "swiotlb=force: a pool although the arch did not ask";
		else
			cfg.npools = 0; /* swiotlb_init returns early: no pool */
	}
	bi->force = cfg.force && !cfg.noforce;
	bi->any = cfg.any;

	bool print_info = cfg.verbose;
	cfg.verbose = false; /* printed below, after PCI-DMA, as x86 does */
	struct swiotlb_platform plat;
	swiotlb_sim_platform(sim, &plat);
	struct swiotlb *tlb;
	rc = swiotlb_create(&cfg, &plat, &tlb);
	if (rc) {
		snprintf(err, len, "swiotlb_create: %s", swiotlb_strerror(rc));
		return rc;
	}
	if (bi->enabled) {
		sim_log_add(sim, "PCI-DMA: Using software bounce buffering for IO (SWIOTLB)");
		int n = swiotlb_pool_count(tlb);
		if (print_info && !n)
			sim_log_add(sim, "software IO TLB: No low mem");
		for (int i = 0; print_info && i < n; i++) {
			struct swiotlb_pool_info pi;
			char label[SWIOTLB_NAME_MAX + 8];
			swiotlb_pool_info(tlb, i, &pi);
			mapped_label(cfg.dialect, pi.name, label, sizeof(label));
			sim_log_add(sim, "software IO TLB: %smapped [mem 0x%016llx-0x%016llx] (%lluMB)", label,
				    (unsigned long long)pi.base, (unsigned long long)pi.end,
				    (unsigned long long)((pi.nslabs << SWIOTLB_SLOT_SHIFT) >> 20));
		}
	}
	*out = tlb;
	return 0;
}
