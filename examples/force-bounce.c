/* SPDX-License-Identifier: MIT */
/*
 * A confidential guest (SEV/TDX style): all of its memory is private to it,
 * and a device -- really the host -- can touch only memory the guest has
 * explicitly shared.  So every DMA is bounced through one pool that is
 * shared once, when it is created, instead of converting each I/O buffer
 * back and forth.
 *
 * The platform is the POSIX one with four callbacks replaced: share and
 * unshare record which ranges the "host" may access, and device addresses of
 * shared memory carry a shared bit, as TDX's do.  The "host" device below
 * refuses any address that is not shared.  The program checks what it
 * prints and exits 1 when something differs, so the tests run it.
 *
 *   cc force-bounce.c $(pkg-config --cflags --libs swiotlb-posix)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <swiotlb/posix.h>
#include <swiotlb/swiotlb.h>

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "force-bounce: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                      \
		}                                                                      \
	} while (0)

#define SHARED_BIT (1ull << 47)

/* The guest's view of what it shared: the hooks get the POSIX platform's
 * context, so this state is the program's own. */
static struct {
	struct swiotlb_posix *px;
	uint64_t start[8], end[8];
	int n;
	unsigned conversions;
} guest;

static int share(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)ctx, (void)cpu;
	if (guest.n == 8)
		return -1;
	guest.start[guest.n] = phys;
	guest.end[guest.n++] = phys + bytes;
	guest.conversions++;
	return 0;
}

static int unshare(void *ctx, uint64_t phys, void *cpu, uint64_t bytes)
{
	(void)ctx, (void)cpu, (void)bytes;
	for (int i = 0; i < guest.n; i++)
		if (guest.start[i] == phys)
			guest.start[i] = guest.end[i] = 0;
	guest.conversions++;
	return 0;
}

static uint64_t phys_to_dma(void *ctx, uint64_t phys, bool shared)
{
	(void)ctx;
	return shared ? phys | SHARED_BIT : phys;
}

static uint64_t dma_to_phys(void *ctx, uint64_t dma)
{
	(void)ctx;
	return dma & ~SHARED_BIT;
}

/* The host side of a device: it moves bytes at a device address, but only
 * inside memory the guest shared, and only by the shared alias. */
static void *host_access(uint64_t dma, size_t len)
{
	if (!(dma & SHARED_BIT))
		return NULL;
	uint64_t phys = dma & ~SHARED_BIT;
	for (int i = 0; i < guest.n; i++)
		if (phys >= guest.start[i] && phys + len <= guest.end[i])
			return swiotlb_posix_ptr(guest.px, phys, len);
	return NULL;
}

static void log_line(void *arg, enum swiotlb_log_level level, const char *line)
{
	(void)arg, (void)level;
	printf("  guest kernel: %s\n", line);
}

int main(void)
{
	struct swiotlb_platform plat;
	struct swiotlb_config cfg;
	struct swiotlb_parse_opts opts = {.dialect = SWIOTLB_DIALECT_MAINLINE};
	struct swiotlb *tlb;

	CHECK(swiotlb_posix_create(NULL, &guest.px) == 0);
	swiotlb_posix_set_log(guest.px, log_line, NULL);
	swiotlb_posix_platform(guest.px, &plat);
	plat.share = share;
	plat.unshare = unshare;
	plat.phys_to_dma = phys_to_dma;
	plat.dma_to_phys = dma_to_phys;

	/* What the guest kernel does at boot: force bouncing, and size the pool
	 * at 6 % of RAM, between 64 MiB and 1 GiB (docs/kernel-semantics.md §1.6). */
	swiotlb_config_init(&cfg);
	cfg.ncpus = 4;
	cfg.verbose = true;
	CHECK(swiotlb_parse_cmdline("console=ttyS0 swiotlb=force", &opts, &cfg) == 0);
	uint64_t want = swiotlb_posix_ram_bytes(guest.px) * 6 / 100;
	want = want < (64ull << 20) ? 64ull << 20 : want > (1ull << 30) ? 1ull << 30 : want;
	swiotlb_config_adjust_size(&cfg, want, log_line, NULL);
	CHECK(swiotlb_create(&cfg, &plat, &tlb) == 0);
	CHECK(swiotlb_force_bounce(tlb) && guest.conversions == 1);

	struct swiotlb_device vda;
	swiotlb_device_init(&vda, "virtio-blk", swiotlb_bit_mask(64));

	/* A write: the data sits in private memory the host cannot read. */
	uint64_t buf;
	CHECK(swiotlb_posix_alloc(guest.px, 16384, 4096, 0, UINT64_MAX, &buf) == 0);
	char *cpu = swiotlb_posix_ptr(guest.px, buf, 16384);
	memset(cpu, 'w', 16384);
	CHECK(host_access(buf, 16384) == NULL);
	uint64_t dma;
	CHECK(swiotlb_map(tlb, &vda, buf, 16384, SWIOTLB_TO_DEVICE, 0, &dma) == 0);
	char *seen = host_access(dma, 16384);
	printf("write: buffer 0x%" PRIx64 " is private; the device reads dma 0x%" PRIx64 " (shared)\n", buf, dma);
	CHECK(seen && seen[0] == 'w' && seen[16383] == 'w');
	CHECK(swiotlb_unmap(tlb, &vda, dma, 16384, SWIOTLB_TO_DEVICE, 0) == 0);

	/* A read: the device fills the bounce buffer; the driver looks at the
	 * first sector early with a partial sync, the unmap brings the rest. */
	memset(cpu, 0, 16384);
	CHECK(swiotlb_map(tlb, &vda, buf, 16384, SWIOTLB_FROM_DEVICE, 0, &dma) == 0);
	seen = host_access(dma, 16384);
	CHECK(seen != NULL);
	memset(seen, 'r', 16384);
	CHECK(swiotlb_sync_for_cpu(tlb, &vda, dma, 512, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(cpu[511] == 'r' && cpu[512] == 0);
	CHECK(swiotlb_unmap(tlb, &vda, dma, 16384, SWIOTLB_FROM_DEVICE, 0) == 0);
	CHECK(cpu[16383] == 'r');
	printf("read: 512 bytes synced early, 16384 after the unmap\n");

	/* One conversion for the whole pool, none per I/O. */
	printf("conversions to shared: %" PRIu64 "\n", swiotlb_conversions(tlb));
	CHECK(swiotlb_conversions(tlb) == 1 && guest.conversions == 1);
	swiotlb_destroy(tlb);
	CHECK(guest.conversions == 2); /* made private again before it is freed */
	swiotlb_posix_destroy(guest.px);
	return 0;
}
