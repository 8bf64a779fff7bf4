/* SPDX-License-Identifier: MIT */
/*
 * The simulated-machine platform: presets and machine files, the boot
 * sequence of each guest kind, address translation and the bus, the Xen
 * p2m and remap, the workload engine, results and expectations.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "swiotlb/sim.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static bool logged(const struct swiotlb_sim *sim, const char *needle)
{
	for (size_t i = 0; i < swiotlb_sim_log_count(sim); i++)
		if (strstr(swiotlb_sim_log_line(sim, i), needle))
			return true;
	return false;
}

static void dump_log(const struct swiotlb_sim *sim)
{
	for (size_t i = 0; i < swiotlb_sim_log_count(sim); i++)
		fprintf(stderr, "  log: %s\n", swiotlb_sim_log_line(sim, i));
}

struct guest {
	struct swiotlb_sim *sim;
	struct swiotlb *tlb;
	struct swiotlb_platform plat;
};

static int boot_machine(struct guest *g, const struct swiotlb_sim_machine *m, const char *cmdline, uint32_t dialect)
{
	char err[400] = "";
	memset(g, 0, sizeof(*g));
	int rc = swiotlb_sim_create(m, &g->sim, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "create: %s\n", err);
		return rc;
	}
	struct swiotlb_sim_boot_opts o = { .cmdline = cmdline, .dialect = dialect };
	rc = swiotlb_sim_boot(g->sim, &o, &g->tlb, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "boot: %s\n", err);
		swiotlb_sim_destroy(g->sim);
		g->sim = NULL;
		return rc;
	}
	swiotlb_sim_platform(g->sim, &g->plat);
	return 0;
}

static int boot(struct guest *g, uint32_t kind, uint64_t mem, unsigned cpus, bool any, const char *cmdline,
		uint32_t dialect)
{
	struct swiotlb_sim_machine m;
	char err[300];
	swiotlb_sim_machine_init(&m, kind);
	m.cpus = cpus;
	m.any = any;
	REQUIRE(swiotlb_sim_preset(&m, mem, 0, err, sizeof(err)) == 0);
	return boot_machine(g, &m, cmdline, dialect);
}

static void shutdown(struct guest *g)
{
	swiotlb_destroy(g->tlb);
	swiotlb_sim_destroy(g->sim);
}

static struct swiotlb_pool_info pool(const struct guest *g, int i)
{
	struct swiotlb_pool_info pi;
	memset(&pi, 0, sizeof(pi));
	CHECK(swiotlb_pool_info(g->tlb, i, &pi) == 0);
	return pi;
}

/* ------------------------------------------------------------ machines */

static void test_preset(void)
{
	struct swiotlb_sim_machine m;
	char err[300];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_X86);
	REQUIRE(swiotlb_sim_preset(&m, 20 * GiB, 0, err, sizeof(err)) == 0);
	CHECK(swiotlb_sim_machine_check(&m, NULL, err, sizeof(err)) == 0);
	CHECK_EQ_U64(swiotlb_sim_ram_top(&m), 4 * GiB + 17 * GiB);
	/* 20 GiB less the legacy hole and the ACPI tables */
	CHECK_EQ_U64(swiotlb_sim_ram_bytes(&m), 20 * GiB - (0x100000 - 0x9f000) - 0x40000);
	bool pci = false;
	for (uint32_t i = 0; i < m.nranges; i++)
		pci |= m.ranges[i].type == SWIOTLB_SIM_PCI && m.ranges[i].start == 3 * GiB;
	CHECK(pci);
	CHECK(m.nreserve == 1 && !strcmp(m.reserve[0].name, "kernel"));

	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_X86);
	REQUIRE(swiotlb_sim_preset(&m, 2 * GiB, 0, err, sizeof(err)) == 0);
	CHECK(swiotlb_sim_ram_top(&m) < 4 * GiB);
	CHECK(swiotlb_sim_preset(&m, 64 * MiB, 0, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK(strstr(err, "mem: 64 MiB is outside") != NULL);
	CHECK(swiotlb_sim_preset(&m, 8 * GiB, 4 * GiB, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK(strstr(err, "low-mem:") != NULL);

	CHECK(swiotlb_sim_kind_from_name("sev-snp") == SWIOTLB_SIM_SEV_SNP);
	CHECK(swiotlb_sim_kind_from_name("arm") == -1);
	CHECK_STR(swiotlb_sim_kind_name(SWIOTLB_SIM_XEN_PV), "xen-pv");
	CHECK(swiotlb_sim_kind_is_cc(SWIOTLB_SIM_TDX) && !swiotlb_sim_kind_is_cc(SWIOTLB_SIM_XEN_PV));
}

static void test_sizes(void)
{
	uint64_t v;
	CHECK(swiotlb_sim_parse_size("20G", &v) && v == 20 * GiB);
	CHECK(swiotlb_sim_parse_size("512MiB", &v) && v == 512 * MiB);
	CHECK(swiotlb_sim_parse_size("4k", &v) && v == 4096);
	CHECK(swiotlb_sim_parse_size("0x1000", &v) && v == 4096);
	CHECK(swiotlb_sim_parse_size("123", &v) && v == 123);
	CHECK(!swiotlb_sim_parse_size("20Q", &v));
	CHECK(!swiotlb_sim_parse_size("G", &v));
	CHECK(!swiotlb_sim_parse_size("-1", &v));
	CHECK(!swiotlb_sim_parse_size("0x", &v));
	CHECK(!swiotlb_sim_parse_size("99999999999T", &v));
	CHECK(!swiotlb_sim_parse_size("1.5G", &v));
}

static void test_file(void)
{
	static const char text[] =
		"# prologue: applies to every section\n"
		"cpus 2\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
		"e820 4G+4G usable   # a comment\n"
		"e820 0xc0000000-0xfebfffff pci\n"
		"reserve initrd 0x70000000+64M\n"
		"device nvme0 type=nvme,depth=64\n"
		"device old type=legacy mask=0xffffff\n"
		"job fio devices=nvme0:old bs=4k-64k rwmixwrite=30 ios=100 threads=2\n"
		"cmdline \"swiotlb=65536,1048576 quiet\"\n"
		"\n"
		"[a]\n"
		"kind sev\n"
		"expect pool.default.slots >= 64M\n"
		"expect log \"AMD SEV\"\n"
		"[b]\n"
		"kind tdx\n"
		"any yes\n"
		"cpus 8\n";
	struct swiotlb_sim_spec *specs = calloc(4, sizeof(*specs));
	unsigned n = 0;
	char err[400] = "";
	int rc = swiotlb_sim_spec_parse(text, "t.sim", specs, 4, &n, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	REQUIRE(rc == 0 && n == 2);
	CHECK_STR(specs[0].section, "a");
	CHECK_STR(specs[1].section, "b");
	CHECK(specs[0].machine.kind == SWIOTLB_SIM_SEV && specs[1].machine.kind == SWIOTLB_SIM_TDX);
	CHECK(specs[0].machine.cpus == 2 && specs[1].machine.cpus == 8);
	CHECK(!specs[0].machine.any && specs[1].machine.any);
	CHECK(specs[0].machine.nranges == 4 && specs[0].has_e820);
	CHECK_EQ_U64(specs[0].machine.ranges[0].end, 0x9fc00);
	CHECK_EQ_U64(specs[0].machine.ranges[2].start, 4 * GiB);
	CHECK_EQ_U64(specs[0].machine.ranges[2].end, 8 * GiB);
	CHECK(specs[0].machine.ranges[2].line == 5);
	CHECK_STR(specs[0].cmdline, "swiotlb=65536,1048576 quiet");
	CHECK(specs[0].ndevices == 2 && specs[0].devices[0].depth == 64 && specs[0].devices[0].min_align == 0xfff);
	CHECK_EQ_U64(specs[0].devices[1].dma_mask, 0xffffff);
	CHECK(specs[0].njobs == 1 && specs[0].jobs[0].rwmixread == 70 && specs[0].jobs[0].bs_max == 65536);
	CHECK(specs[0].nexpect == 2 && specs[1].nexpect == 0);
	CHECK(swiotlb_sim_spec_key_line(&specs[1], "any") == 19);
	for (unsigned i = 0; i < n; i++) {
		rc = swiotlb_sim_spec_finish(&specs[i], "t.sim", err, sizeof(err));
		if (rc)
			fprintf(stderr, "%s\n", err);
		CHECK(rc == 0);
	}
	/* queues default from the CPU count, known only at the end */
	CHECK(specs[0].devices[0].queues == 2 && specs[1].devices[0].queues == 8);

	/* one line at a time, as the tools feed options */
	struct swiotlb_sim_spec *s = &specs[2];
	swiotlb_sim_spec_init(s);
	CHECK(swiotlb_sim_spec_line(s, "mem 0x80000000", "--mem", 0, err, sizeof(err)) == 0 && s->mem == 2 * GiB);
	CHECK(swiotlb_sim_spec_line(s, "device d,mask=70", "--device", 0, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK_STR(err, "--device: device d: mask: '70' is not a DMA mask (a bit count 1..64, or 0x followed by low ones such as 0xffffffff)");
	CHECK(swiotlb_sim_spec_line(s, "job j,runtime=500ms", "--job", 0, err, sizeof(err)) == 0);
	CHECK(s->jobs[0].runtime_ms == 500 && s->jobs[0].ios == 0);
	CHECK(swiotlb_sim_spec_line(s, "e820 0x1000-0x0fff usable", "x:9", 9, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK_STR(err, "x:9: e820: end 0xfff is below start 0x1000");
	CHECK(swiotlb_sim_spec_line(s, "conversion-cost 2us", "x", 1, err, sizeof(err)) == 0);
	CHECK_EQ_U64(s->machine.conversion_ns, 2000);
	CHECK(swiotlb_sim_spec_line(s, "conversion-cost 2s", "x:4", 4, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK(strstr(err, "x:4: conversion-cost: '2s' is not a time per page") == err);
	CHECK(swiotlb_sim_spec_line(s, "job t runtime=99999999999999h", "x", 1, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK(swiotlb_sim_spec_line(s, "  ", "x", 1, err, sizeof(err)) == 0);
	CHECK(swiotlb_sim_spec_line(s, "# only a comment", "x", 1, err, sizeof(err)) == 0);
	CHECK(swiotlb_sim_spec_line(s, "cpus", "x:3", 3, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK_STR(err, "x:3: cpus: takes one value, none given");

	/* errors carry the file and the line */
	rc = swiotlb_sim_spec_parse("mem 4G\n\n[s]\nkind sev\ncbit 99\n", "f.sim", specs, 4, &n, err, sizeof(err));
	CHECK(rc == SWIOTLB_EBADCONFIG);
	CHECK_STR(err, "f.sim:5: cbit: '99' is not a bit position (32..62)");
	rc = swiotlb_sim_spec_parse("[x]\n[y]\n[z]\n", "f.sim", specs, 2, &n, err, sizeof(err));
	CHECK(rc == SWIOTLB_EBADCONFIG && strstr(err, "f.sim:3: section [z]: more than 2 sections"));
	free(specs);
}

/* ---------------------------------------------------------------- boot */

static void test_x86(void)
{
	struct guest g;
	/* all RAM below 4 GiB: pci_swiotlb_detect wants no pool */
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 2 * GiB, 4, false, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(swiotlb_pool_count(g.tlb) == 0);
	CHECK(!swiotlb_sim_get_boot_info(g.sim)->enabled);
	CHECK(!logged(g.sim, "PCI-DMA"));
	shutdown(&g);

	/* RAM above 4 GiB: a 64 MiB pool at the top of low memory */
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 20 * GiB, 4, false, "quiet", SWIOTLB_DIALECT_MAINLINE) == 0);
	REQUIRE(swiotlb_pool_count(g.tlb) == 1);
	struct swiotlb_pool_info pi = pool(&g, 0);
	CHECK_EQ_U64(pi.nslabs, 32768);
	CHECK(pi.end <= 3 * GiB && pi.end > 3 * GiB - MiB);
	CHECK(pi.dma_base == pi.base); /* identity */
	CHECK(!swiotlb_force_bounce(g.tlb));
	CHECK(logged(g.sim, "PCI-DMA: Using software bounce buffering for IO (SWIOTLB)"));
	CHECK(logged(g.sim, "software IO TLB: mapped [mem 0x00000000bbfc0000-0x00000000bffc0000] (64MB)"));
	CHECK(logged(g.sim, "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable"));
	CHECK(logged(g.sim, "e820: [mem 0x00000000c0000000-0x00000000feffbfff] available for PCI devices"));
	CHECK(swiotlb_conversions(g.tlb) == 0);
	shutdown(&g);

	/* iommu=off: no automatic pool; swiotlb=force: a pool, but no PCI-DMA line */
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 20 * GiB, 4, false, "iommu=off", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(swiotlb_pool_count(g.tlb) == 0);
	shutdown(&g);
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 2 * GiB, 4, false, "swiotlb=force", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(swiotlb_pool_count(g.tlb) == 1 && swiotlb_force_bounce(g.tlb));
	CHECK(!logged(g.sim, "PCI-DMA") && !logged(g.sim, "mapped [mem"));
	shutdown(&g);
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 2 * GiB, 4, false, "iommu=soft", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(swiotlb_pool_count(g.tlb) == 1 && logged(g.sim, "PCI-DMA"));
	shutdown(&g);
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 20 * GiB, 4, false, "swiotlb=noforce", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(swiotlb_pool_count(g.tlb) == 0);
	shutdown(&g);

	/* a bad command line prints nothing and names the parameter */
	struct swiotlb_sim_machine m;
	char err[400];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_X86);
	REQUIRE(swiotlb_sim_preset(&m, 8 * GiB, 0, err, sizeof(err)) == 0);
	struct swiotlb_sim *sim;
	REQUIRE(swiotlb_sim_create(&m, &sim, err, sizeof(err)) == 0);
	struct swiotlb_sim_boot_opts o = { .cmdline = "ro swiotlb=64M" };
	struct swiotlb *tlb;
	CHECK(swiotlb_sim_boot(sim, &o, &tlb, err, sizeof(err)) == SWIOTLB_EBADCONFIG);
	CHECK(strstr(err, "cmdline: swiotlb=64M:") == err);
	CHECK(swiotlb_sim_log_count(sim) == 0);
	o.lenient = true;
	CHECK(swiotlb_sim_boot(sim, &o, &tlb, err, sizeof(err)) == 0);
	struct swiotlb *again;
	CHECK(swiotlb_sim_boot(sim, &o, &again, err, sizeof(err)) == SWIOTLB_EINVAL && !again); /* once */
	swiotlb_destroy(tlb);
	swiotlb_sim_destroy(sim);
}

static void test_cc_default_size(void)
{
	struct guest g;
	/* 6 % of 20 GiB is above the 1 GiB cap */
	REQUIRE(boot(&g, SWIOTLB_SIM_SEV, 20 * GiB, 4, false, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(logged(g.sim, "software IO TLB: SWIOTLB bounce buffer size adjusted to 1024MB"));
	CHECK(logged(g.sim, "Memory Encryption Features active: AMD SEV"));
	CHECK(swiotlb_force_bounce(g.tlb));
	CHECK_EQ_U64(pool(&g, 0).nslabs, 524288);
	CHECK(pool(&g, 0).end <= 4 * GiB);
	CHECK_EQ_U64(swiotlb_sim_get_boot_info(g.sim)->adjust_bytes, GiB);
	shutdown(&g);
	/* 6 % of (a little under) 4 GiB: 245 MB, then rounded up to a power of two */
	REQUIRE(boot(&g, SWIOTLB_SIM_TDX, 4 * GiB, 4, false, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(logged(g.sim, "SWIOTLB bounce buffer size adjusted to 245MB"));
	CHECK(logged(g.sim, "SWIOTLB bounce buffer size roundup to 256MB"));
	CHECK_EQ_U64(pool(&g, 0).nslabs, 131072);
	shutdown(&g);
	/* a small guest gets the 64 MiB floor */
	REQUIRE(boot(&g, SWIOTLB_SIM_SEV_SNP, 512 * MiB, 1, false, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(logged(g.sim, "adjusted to 64MB"));
	CHECK_EQ_U64(pool(&g, 0).nslabs, 32768);
	shutdown(&g);
	/* the user's size wins */
	REQUIRE(boot(&g, SWIOTLB_SIM_SEV, 20 * GiB, 4, false, "swiotlb=65536", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(!logged(g.sim, "adjusted to"));
	CHECK_EQ_U64(pool(&g, 0).nslabs, 65536);
	shutdown(&g);
}

static void test_any(void)
{
	static const uint32_t kinds[] = { SWIOTLB_SIM_TDX, SWIOTLB_SIM_SEV_SNP };
	for (int k = 0; k < 2; k++) {
		struct guest g;
		REQUIRE(boot(&g, kinds[k], 20 * GiB, 4, false, "swiotlb=2097152", SWIOTLB_DIALECT_MAINLINE) == 0);
		CHECK(logged(g.sim, "swiotlb_memblock_alloc: Failed to allocate 4294967296 bytes tlb structure"));
		CHECK(logged(g.sim, "SWIOTLB bounce buffer size adjusted 2097152 -> 1048576 slabs"));
		CHECK_EQ_U64(pool(&g, 0).nslabs, 1048576);
		CHECK(pool(&g, 0).end <= 4 * GiB && pool(&g, 0).placement == SWIOTLB_PLACE_LOW);
		CHECK(swiotlb_conversions(g.tlb) == 1);
		struct swiotlb_sim_counters c;
		swiotlb_sim_get_counters(g.sim, &c);
		CHECK_EQ_U64(c.shared_pages, 2 * GiB / 4096);
		CHECK_EQ_U64(c.conversion_ns, c.shared_pages * swiotlb_sim_get_machine(g.sim)->conversion_ns);
		shutdown(&g);

		REQUIRE(boot(&g, kinds[k], 20 * GiB, 4, true, "swiotlb=2097152", SWIOTLB_DIALECT_MAINLINE) == 0);
		CHECK(!logged(g.sim, "adjusted"));
		CHECK_EQ_U64(pool(&g, 0).nslabs, 2097152);
		CHECK(pool(&g, 0).base >= 4 * GiB && pool(&g, 0).placement == SWIOTLB_PLACE_ANY);
		/* below the struct-page array, which the kernel took first */
		CHECK(pool(&g, 0).end <= swiotlb_sim_ram_top(swiotlb_sim_get_machine(g.sim)) - 320 * MiB);
		swiotlb_destroy(g.tlb);
		struct swiotlb_sim_counters c2;
		swiotlb_sim_get_counters(g.sim, &c2);
		CHECK(c2.shares == 1 && c2.unshares == 1); /* re-encrypted on teardown */
		swiotlb_sim_destroy(g.sim);
	}
}

/* ---------------------------------------------------- translation, bus */

static void test_sev_bus(void)
{
	struct guest g;
	REQUIRE(boot(&g, SWIOTLB_SIM_SEV, 8 * GiB, 2, false, "swiotlb=65536,1048576", SWIOTLB_DIALECT_RFC2021) == 0);
	REQUIRE(swiotlb_pool_count(g.tlb) == 2);
	CHECK(logged(g.sim, "software IO TLB: Low Mem mapped [mem"));
	CHECK(logged(g.sim, "software IO TLB: High Mem mapped [mem"));
	CHECK(swiotlb_conversions(g.tlb) == 2);
	uint64_t c = 1ull << 47;
	/* private memory carries the C-bit, shared (pool) memory does not */
	CHECK_EQ_U64(g.plat.phys_to_dma(g.plat.ctx, 0x123456000, false), 0x123456000 | c);
	CHECK_EQ_U64(g.plat.phys_to_dma(g.plat.ctx, 0x123456000, true), 0x123456000);
	CHECK_EQ_U64(g.plat.dma_to_phys(g.plat.ctx, 0x123456000 | c), 0x123456000);
	struct swiotlb_pool_info hi = pool(&g, 1);
	CHECK(hi.dma_base == hi.base && hi.base >= 4 * GiB);

	uint8_t buf[8192];
	char why[200];
	memset(buf, 0x5a, sizeof(buf));
	/* the bus refuses private memory, with or without the C-bit */
	CHECK(swiotlb_sim_dma(g.sim, 0x123456000 | c, buf, 64, true, ~0ull, why, sizeof(why)) == SWIOTLB_EPLATFORM);
	CHECK(strstr(why, "carries the C-bit") != NULL);
	CHECK(swiotlb_sim_dma(g.sim, 0x123456000, buf, 64, true, ~0ull, why, sizeof(why)) == SWIOTLB_EPLATFORM);
	CHECK(strstr(why, "is private") != NULL);
	/* and a limit the device cannot reach */
	CHECK(swiotlb_sim_dma(g.sim, hi.base, buf, 64, true, 0xffffffff, why, sizeof(why)) == SWIOTLB_EPLATFORM);
	CHECK(strstr(why, "above the device's limit") != NULL);

	/* a mapping: the device sees the data through the shared pool */
	struct swiotlb_device dev;
	swiotlb_device_init(&dev, "virtio-scsi", ~0ull);
	uint64_t orig, dma;
	REQUIRE(swiotlb_sim_alloc(g.sim, 8192, ~0ull, &orig) == 0);
	uint8_t *p = swiotlb_sim_ptr(g.sim, orig, 8192);
	REQUIRE(p != NULL);
	for (int i = 0; i < 8192; i++)
		p[i] = (uint8_t)(i * 7);
	REQUIRE(swiotlb_map(g.tlb, &dev, orig, 8192, SWIOTLB_TO_DEVICE, 0, &dma) == 0);
	CHECK(dma >= hi.dma_base && dma < hi.dma_end); /* a 64-bit device: the high pool */
	CHECK(swiotlb_sim_dma(g.sim, dma, buf, 8192, false, ~0ull, why, sizeof(why)) == 0);
	CHECK(memcmp(buf, p, 8192) == 0);
	CHECK(swiotlb_unmap(g.tlb, &dev, dma, 8192, SWIOTLB_TO_DEVICE, 0) == 0);
	struct swiotlb_sim_counters cnt;
	swiotlb_sim_get_counters(g.sim, &cnt);
	CHECK(cnt.dma_faults == 3);
	/* memory outside RAM has no CPU pointer */
	CHECK(swiotlb_sim_ptr(g.sim, 3 * GiB + 4096, 16) == NULL);
	shutdown(&g);
}

static void test_tdx_shared_bit(void)
{
	struct swiotlb_sim_machine m;
	char err[300];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_TDX);
	REQUIRE(swiotlb_sim_preset(&m, 8 * GiB, 0, err, sizeof(err)) == 0);
	struct guest g;
	/* Linux x86: devices get the GPA, the host knows which pages are shared */
	REQUIRE(boot_machine(&g, &m, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(pool(&g, 0).dma_base == pool(&g, 0).base);
	CHECK(logged(g.sim, "Memory Encryption Features active: Intel TDX"));
	shutdown(&g);
	/* with a shared bit in device addresses, the pool is seen above it */
	m.shared_bit = 47;
	REQUIRE(boot_machine(&g, &m, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	struct swiotlb_pool_info pi = pool(&g, 0);
	CHECK_EQ_U64(pi.dma_base, pi.base | (1ull << 47));
	CHECK_EQ_U64(g.plat.dma_to_phys(g.plat.ctx, pi.dma_base), pi.base);
	uint8_t b[16];
	char why[200];
	CHECK(swiotlb_sim_dma(g.sim, pi.base, b, 16, false, ~0ull, why, sizeof(why)) == SWIOTLB_EPLATFORM);
	CHECK(strstr(why, "lacks the shared bit") != NULL);
	CHECK(swiotlb_sim_dma(g.sim, pi.dma_base, b, 16, false, ~0ull, why, sizeof(why)) == 0);
	/* a 32-bit device can then reach no pool */
	struct swiotlb_device dev;
	swiotlb_device_init(&dev, "old", 0xffffffff);
	uint64_t orig, dma;
	REQUIRE(swiotlb_sim_alloc(g.sim, 4096, 0xffffffff, &orig) == 0);
	CHECK(swiotlb_map(g.tlb, &dev, orig, 512, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_EUNREACHABLE);
	shutdown(&g);
}

/* ------------------------------------------------------------------ Xen */

static void test_xen(void)
{
	struct guest g;
	REQUIRE(boot(&g, SWIOTLB_SIM_XEN_PV, 4 * GiB, 4, false, "swiotlb=65536,262144", SWIOTLB_DIALECT_RFC2021) == 0);
	CHECK(logged(g.sim, "Booting paravirtualized kernel on Xen"));
	CHECK(logged(g.sim, "Xen: [mem 0x0000000000000000-0x000000000009fbff] usable"));
	REQUIRE(swiotlb_pool_count(g.tlb) == 2);
	CHECK(!swiotlb_force_bounce(g.tlb));

	/* the p2m scatters: few neighbouring pages are machine-neighbours */
	uint64_t contiguous = 0, total = 0;
	for (uint64_t a = 0x100000; a < 0x40000000; a += 4096, total++)
		contiguous += g.plat.phys_to_dma(g.plat.ctx, a + 4096, false) ==
			      g.plat.phys_to_dma(g.plat.ctx, a, false) + 4096;
	CHECK(contiguous < total * 15 / 16 && contiguous > total / 4);
	/* m2p is the inverse of the p2m */
	for (uint64_t a = 0x100000; a < 0x40000000; a += 4096 * 97) {
		uint64_t m = g.plat.phys_to_dma(g.plat.ctx, a + 123, false);
		CHECK_EQ_U64(g.plat.dma_to_phys(g.plat.ctx, m), a + 123);
	}
	/* non-RAM is 1:1 */
	CHECK_EQ_U64(g.plat.phys_to_dma(g.plat.ctx, 0xfec00000, false), 0xfec00000);

	/* the low pool: machine-contiguous 256 KiB chunks below 4 GiB, found
	 * by widening from 18 bits; pseudo-physically anywhere */
	for (int p = 0; p < 2; p++) {
		struct swiotlb_pool_info pi = pool(&g, p);
		bool low = p == 0;
		CHECK(low ? pi.dma_end <= 4 * GiB : pi.dma_base >= 4 * GiB);
		for (uint64_t off = 0; off < pi.end - pi.base; off += 256 * 1024) {
			uint64_t m = g.plat.phys_to_dma(g.plat.ctx, pi.base + off, true);
			CHECK((m & (256 * 1024 - 1)) == 0);
			CHECK(g.plat.dma_contiguous(g.plat.ctx, pi.base + off, 256 * 1024));
			CHECK_EQ_U64(g.plat.dma_to_phys(g.plat.ctx, m + 4096 * 63 + 5), pi.base + off + 4096 * 63 + 5);
		}
		uint32_t first, last;
		swiotlb_sim_xen_bits(g.sim, pi.base, &first, &last);
		if (low)
			CHECK(first >= 18 && first <= last && last <= 32);
		else
			CHECK(last == 64);
	}
	struct swiotlb_sim_counters c;
	swiotlb_sim_get_counters(g.sim, &c);
	CHECK_EQ_U64(c.xen_chunks, (65536 + 262144) / 128);

	/* bounce decisions on machine addresses: a 64-bit device maps a
	 * page directly, but a buffer whose frames are scattered bounces */
	struct swiotlb_device dev;
	swiotlb_device_init(&dev, "nvme", ~0ull);
	uint64_t buf = 0;
	bool found = false;
	for (uint64_t a = 0x10000000; a < 0x20000000 && !found; a += 65536)
		if (!g.plat.dma_contiguous(g.plat.ctx, a, 65536)) {
			buf = a;
			found = true;
		}
	REQUIRE(found);
	struct swiotlb_map_args args = { .orig = buf, .size = 4096, .dir = SWIOTLB_TO_DEVICE, .cpu = 0 };
	struct swiotlb_map_result res;
	CHECK(swiotlb_map_ex(g.tlb, &dev, &args, &res) == 0 && !res.bounced);
	CHECK_EQ_U64(res.dma, g.plat.phys_to_dma(g.plat.ctx, buf, false));
	args.size = 65536;
	CHECK(swiotlb_map_ex(g.tlb, &dev, &args, &res) == 0 && res.bounced && res.pool == 1);
	uint8_t *cpu = swiotlb_sim_ptr(g.sim, buf, 65536), data[65536];
	memset(cpu, 0x3c, 65536);
	CHECK(swiotlb_sync_for_device(g.tlb, &dev, res.dma, 65536, SWIOTLB_TO_DEVICE) == 0);
	char why[200];
	CHECK(swiotlb_sim_dma(g.sim, res.dma, data, sizeof(data), false, ~0ull, why, sizeof(why)) == 0);
	CHECK(data[0] == 0x3c && data[65535] == 0x3c);
	CHECK(swiotlb_unmap(g.tlb, &dev, res.dma, 65536, SWIOTLB_TO_DEVICE, 0) == 0);
	/* the device's view of the scattered buffer, read linearly on the bus,
	 * is not the buffer: that is why it had to bounce */
	for (int i = 0; i < 65536; i++)
		cpu[i] = (uint8_t)(0x80 | (i >> 12));
	uint64_t m0 = g.plat.phys_to_dma(g.plat.ctx, buf, false);
	CHECK(swiotlb_sim_dma(g.sim, m0, data, sizeof(data), false, ~0ull, why, sizeof(why)) != 0 ||
	      memcmp(data, cpu, sizeof(data)) != 0);
	shutdown(&g);
}

static void test_xen_remap_fallback(void)
{
	/* little free machine memory below 4 GiB: the low pool cannot be
	 * exchanged at its full size, so the core halves it */
	struct swiotlb_sim_machine m;
	char err[300];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_XEN_PV);
	REQUIRE(swiotlb_sim_preset(&m, 2560 * MiB, 0, err, sizeof(err)) == 0);
	m.machine_mem = 2688 * MiB;
	struct guest g;
	REQUIRE(boot_machine(&g, &m, "swiotlb=131072", SWIOTLB_DIALECT_MAINLINE) == 0);
	CHECK(logged(g.sim, "Failed to remap"));
	CHECK(logged(g.sim, "SWIOTLB bounce buffer size adjusted 131072 -> "));
	REQUIRE(swiotlb_pool_count(g.tlb) == 1);
	CHECK(pool(&g, 0).nslabs < 131072 && pool(&g, 0).dma_end <= 4 * GiB);
	struct swiotlb_sim_counters c;
	swiotlb_sim_get_counters(g.sim, &c);
	CHECK(c.xen_failed >= 1);
	if (check_failures)
		dump_log(g.sim);
	shutdown(&g);
}

static void test_big_xen_guest(void)
{
	/* a 20 GiB guest with the RFC's pools runs on a small host */
	struct guest g;
	REQUIRE(boot(&g, SWIOTLB_SIM_XEN_PV, 20 * GiB, 8, false, "swiotlb=65536,1048576,force",
		     SWIOTLB_DIALECT_RFC2021) == 0);
	CHECK(swiotlb_pool_count(g.tlb) == 2 && swiotlb_force_bounce(g.tlb));
	CHECK(pool(&g, 0).dma_end <= 4 * GiB);
	CHECK_EQ_U64(pool(&g, 1).nslabs, 1048576);
	shutdown(&g);
}

/* ------------------------------------------------------------ workload */

static void test_run(void)
{
	struct guest g;
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 8 * GiB, 2, false, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	struct swiotlb_sim_device devs[3];
	swiotlb_sim_device_init(&devs[0], "old", SWIOTLB_SIM_DEV_LEGACY, 2);
	swiotlb_sim_device_init(&devs[1], "nvme", SWIOTLB_SIM_DEV_NVME, 2);
	swiotlb_sim_device_init(&devs[2], "nic", SWIOTLB_SIM_DEV_NIC, 2);
	devs[2].bus_limit = 0xffffffff; /* a bus that cuts addresses at 4 GiB */
	struct swiotlb_sim_job jobs[2];
	swiotlb_sim_job_init(&jobs[0], "hi");
	jobs[0].bs_min = 512;
	jobs[0].bs_max = 16384;
	jobs[0].align = 512;
	jobs[0].ios = 600;
	jobs[0].threads = 2;
	swiotlb_sim_job_init(&jobs[1], "low");
	snprintf(jobs[1].devices, sizeof(jobs[1].devices), "old");
	jobs[1].low_buffers = true;
	jobs[1].ios = 50;
	jobs[1].bs_min = jobs[1].bs_max = 4096;
	struct swiotlb_sim_run_result *r = calloc(1, sizeof(*r));
	char err[300] = "";
	int rc = swiotlb_sim_run(g.sim, g.tlb, devs, 3, jobs, 2, NULL, r, err, sizeof(err));
	if (rc)
		fprintf(stderr, "run: %s\n", err);
	REQUIRE(rc == 0);
	for (int d = 0; d < 3; d++) {
		if (r->dev[d].first_error[0])
			fprintf(stderr, "%s: %s\n", devs[d].name, r->dev[d].first_error);
		CHECK(r->dev[d].verify_errors == 0 && r->dev[d].faults == 0 && r->dev[d].errors == 0);
	}
	CHECK_EQ_U64(r->dev[0].ios + r->dev[1].ios + r->dev[2].ios, 650);
	CHECK(r->dev[0].bounced > 0 && r->dev[0].direct > 0); /* high buffers bounce, low ones do not */
	CHECK(r->dev[1].bounced == 0 && r->dev[1].direct == r->dev[1].ios);
	CHECK(r->dev[2].bounced == r->dev[2].ios); /* the bus limit, not the mask, decides */
	CHECK(r->dev[2].reads > 0 && r->dev[2].writes > 0);
	CHECK(r->peak != NULL);

	struct swiotlb_sim_spec *spec = calloc(1, sizeof(*spec));
	swiotlb_sim_spec_init(spec);
	memcpy(spec->devices, devs, sizeof(devs));
	spec->ndevices = 3;
	struct swiotlb_sim_results *res = swiotlb_sim_results_collect(g.sim, g.tlb, spec, r);
	CHECK_STR(swiotlb_sim_results_get(res, "pools"), "1");
	CHECK_STR(swiotlb_sim_results_get(res, "pool.default.slots"), "32768");
	CHECK_STR(swiotlb_sim_results_get(res, "pool.default.placement"), "low");
	CHECK_STR(swiotlb_sim_results_get(res, "device.nvme.bounced"), "0");
	CHECK(swiotlb_sim_results_get(res, "stat.io_tlb_used_hiwater") != NULL);
	CHECK(swiotlb_sim_results_get(res, "peak.io_tlb_nslabs") != NULL);
	struct swiotlb_sim_expect e = { .line = 1, .key = "pool.default.end", .op = "<=", .value = "3G" };
	char msg[300];
	CHECK(swiotlb_sim_expect_check(res, g.sim, &e, msg, sizeof(msg)));
	snprintf(e.op, sizeof(e.op), ">");
	CHECK(!swiotlb_sim_expect_check(res, g.sim, &e, msg, sizeof(msg)));
	snprintf(e.key, sizeof(e.key), "pool.default.placement");
	snprintf(e.op, sizeof(e.op), "=");
	snprintf(e.value, sizeof(e.value), "low");
	CHECK(swiotlb_sim_expect_check(res, g.sim, &e, msg, sizeof(msg)));
	snprintf(e.op, sizeof(e.op), "<");
	CHECK(!swiotlb_sim_expect_check(res, g.sim, &e, msg, sizeof(msg)) && strstr(msg, "needs numbers"));
	snprintf(e.key, sizeof(e.key), "pool.nope.slots");
	CHECK(!swiotlb_sim_expect_check(res, g.sim, &e, msg, sizeof(msg)) && strstr(msg, "no result named"));
	struct swiotlb_sim_expect l = { .key = "log", .value = "PCI-DMA" };
	CHECK(swiotlb_sim_expect_check(res, g.sim, &l, msg, sizeof(msg)));
	snprintf(l.key, sizeof(l.key), "no-log");
	CHECK(!swiotlb_sim_expect_check(res, g.sim, &l, msg, sizeof(msg)));
	swiotlb_sim_results_free(res);
	free(spec);
	swiotlb_sim_run_free(r);

	/* unreachable and too large: counted as I/O errors, not crashes */
	swiotlb_sim_device_init(&devs[0], "tiny", SWIOTLB_SIM_DEV_GENERIC, 1);
	devs[0].dma_mask = 0xffffff; /* 16 MiB: below every pool */
	swiotlb_sim_job_init(&jobs[0], "j");
	jobs[0].ios = 10;
	rc = swiotlb_sim_run(g.sim, g.tlb, devs, 1, jobs, 1, NULL, r, err, sizeof(err));
	CHECK(rc == 0 && r->dev[0].errors == 10 && r->dev[0].ios == 0);
	CHECK(strstr(r->dev[0].first_error, "unreachable") || strstr(r->dev[0].first_error, "reach"));
	swiotlb_sim_run_free(r);
	/* a job naming no known device is refused up front */
	snprintf(jobs[0].devices, sizeof(jobs[0].devices), "ghost");
	CHECK(swiotlb_sim_run(g.sim, g.tlb, devs, 1, jobs, 1, NULL, r, err, sizeof(err)) == SWIOTLB_EINVAL);
	CHECK(strstr(err, "no device named 'ghost'") != NULL);
	free(r);
	shutdown(&g);
}

static void test_run_small_pool(void)
{
	/* four queues each holding part of a 2 MiB pool: a queue refused
	 * "full" must complete its own I/O rather than wait for the others */
	struct guest g;
	REQUIRE(boot(&g, SWIOTLB_SIM_X86, 8 * GiB, 2, false, "swiotlb=1024", SWIOTLB_DIALECT_MAINLINE) == 0);
	struct swiotlb_sim_device d;
	swiotlb_sim_device_init(&d, "old", SWIOTLB_SIM_DEV_LEGACY, 2);
	d.queues = 4;
	struct swiotlb_sim_job j;
	swiotlb_sim_job_init(&j, "j");
	j.ios = 800;
	j.iodepth = 16;
	j.threads = 2;
	struct swiotlb_sim_run_result *r = calloc(1, sizeof(*r));
	char err[200];
	REQUIRE(swiotlb_sim_run(g.sim, g.tlb, &d, 1, &j, 1, NULL, r, err, sizeof(err)) == 0);
	CHECK_EQ_U64(r->dev[0].ios, 800);
	CHECK(r->dev[0].retries > 0 && r->dev[0].errors == 0 && r->dev[0].verify_errors == 0);
	swiotlb_sim_run_free(r);
	free(r);
	shutdown(&g);
}

/* Mangled machine files never crash the parser: each either parses or
 * fails with a message that names a place. */
static void test_parser_fuzz(void)
{
	static const char *const seeds[] = {
		"e820 0x100000-0xbfffffff usable", "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
		"device nvme0 type=nvme mask=64 min-align=0xfff queues=4", "job fio devices=nvme0 bs=4k-64k ios=100",
		"expect pool.default.slots >= 64M", "expect log \"mapped\"", "reserve initrd 0x7c000000+64M",
		"cmdline \"swiotlb=65536,1048576,force\"", "mem 20G", "[sec]", "kind xen-pv", "cbit 47",
	};
	static const char junk[] = "[]\"#=,+-:0x9fGgk \t\\";
	struct swiotlb_sim_spec *specs = calloc(4, sizeof(*specs));
	uint64_t rng = 42;
	char text[600], err[600];
	int parsed = 0;
	for (int it = 0; it < 3000; it++) {
		size_t n = 0;
		for (int l = 0; l < 4; l++) {
			const char *sd = seeds[rng % (sizeof(seeds) / sizeof(seeds[0]))];
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			size_t len = strlen(sd);
			for (size_t i = 0; i < len && n < sizeof(text) - 4; i++) {
				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				unsigned r = (unsigned)(rng >> 33) % 40;
				if (r == 0)
					continue; /* drop */
				text[n++] = r == 1 ? junk[(rng >> 20) % (sizeof(junk) - 1)] : sd[i];
				if (r == 2 && n < sizeof(text) - 4)
					text[n++] = junk[(rng >> 24) % (sizeof(junk) - 1)];
			}
			text[n++] = '\n';
		}
		text[n] = 0;
		unsigned ns = 0;
		err[0] = 0;
		int rc = swiotlb_sim_spec_parse(text, "fuzz", specs, 4, &ns, err, sizeof(err));
		for (unsigned i = 0; !rc && i < ns; i++)
			rc = swiotlb_sim_spec_finish(&specs[i], "fuzz", err, sizeof(err));
		if (rc) {
			CHECK(strncmp(err, "fuzz", 4) == 0);
		} else {
			parsed++;
		}
	}
	CHECK(parsed > 0);
	free(specs);
}

static void test_run_time(void)
{
	struct guest g;
	REQUIRE(boot(&g, SWIOTLB_SIM_SEV, 4 * GiB, 2, false, "", SWIOTLB_DIALECT_MAINLINE) == 0);
	struct swiotlb_sim_device d;
	swiotlb_sim_device_init(&d, "nic", SWIOTLB_SIM_DEV_NIC, 2);
	struct swiotlb_sim_job j;
	swiotlb_sim_job_init(&j, "t");
	j.ios = 0;
	j.runtime_ms = 200;
	j.bs_min = j.bs_max = 1514;
	struct swiotlb_sim_run_result *r = calloc(1, sizeof(*r));
	char err[200];
	REQUIRE(swiotlb_sim_run(g.sim, g.tlb, &d, 1, &j, 1, NULL, r, err, sizeof(err)) == 0);
	CHECK(r->dev[0].ios > 100 && r->dev[0].verify_errors == 0 && r->dev[0].faults == 0);
	CHECK(r->dev[0].bounced == r->dev[0].ios); /* SEV: everything bounces */
	CHECK(r->elapsed_ns >= 200000000ull && r->elapsed_ns < 5000000000ull);
	swiotlb_sim_run_free(r);
	free(r);
	shutdown(&g);
}

int main(void)
{
	test_preset();
	test_sizes();
	test_file();
	test_x86();
	test_cc_default_size();
	test_any();
	test_sev_bus();
	test_tdx_shared_bit();
	test_xen();
	test_xen_remap_fallback();
	test_big_xen_guest();
	test_run();
	test_run_small_pool();
	test_run_time();
	test_parser_fuzz();
	return check_done("test_sim");
}
