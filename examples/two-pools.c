/* SPDX-License-Identifier: MIT */
/*
 * A user-space driver with two devices and two pools.
 *
 * The instance has a small pool below 4 GiB and a larger one placed
 * anywhere.  A 32-bit device and a 64-bit NVMe-like device (which needs the
 * low 12 address bits of each buffer kept, and whose every mapping is
 * bounced, as for an untrusted device) map buffers that lie above 4 GiB:
 * the library picks for each the highest pool the device can reach; the
 * driver never names a pool.  The program checks what it prints and exits 1
 * when something differs, so the tests run it.
 *
 *   cc two-pools.c $(pkg-config --cflags --libs swiotlb-posix)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <swiotlb/posix.h>
#include <swiotlb/swiotlb.h>

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "two-pools: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                   \
		}                                                                   \
	} while (0)

static void add_pool(struct swiotlb_config *cfg, const char *name, uint64_t slots, uint32_t placement)
{
	struct swiotlb_pool_config *p = &cfg->pools[cfg->npools++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->nslabs = slots;
	p->placement = placement;
	p->placement_set = true;
}

/* Map `len` bytes of a buffer for `dev`, and say where it went. */
static int map(struct swiotlb *tlb, const struct swiotlb_device *dev, uint64_t orig, size_t len,
	       enum swiotlb_dir dir, struct swiotlb_map_result *res)
{
	struct swiotlb_map_args args = {.orig = orig, .size = len, .dir = dir, .cpu = -1};
	int rc = swiotlb_map_ex(tlb, dev, &args, res);
	if (rc) {
		printf("%-6s map of %zu bytes: %s\n", dev->name, len, swiotlb_strerror(rc));
		return rc;
	}
	struct swiotlb_pool_info info = {0};
	if (res->bounced)
		swiotlb_pool_info(tlb, res->pool, &info);
	printf("%-6s buffer 0x%09" PRIx64 " -> dma 0x%09" PRIx64 " %s%s\n", dev->name, orig, res->dma,
	       res->bounced ? "bounced through pool " : "direct", info.name);
	return 0;
}

int main(void)
{
	struct swiotlb_posix *px;
	struct swiotlb_platform plat;
	struct swiotlb_config cfg;
	struct swiotlb *tlb;

	CHECK(swiotlb_posix_create(NULL, &px) == 0); /* RAM: [1 MiB, 3 GiB) and [4 GiB, 9 GiB) */
	swiotlb_posix_platform(px, &plat);
	swiotlb_config_init(&cfg);
	cfg.ncpus = 2;
	cfg.npools = 0;
	add_pool(&cfg, "low", 8192, SWIOTLB_PLACE_LOW);    /* 16 MiB below 4 GiB */
	add_pool(&cfg, "high", 32768, SWIOTLB_PLACE_ANY);  /* 64 MiB anywhere: at the top of RAM */
	CHECK(swiotlb_create(&cfg, &plat, &tlb) == 0);

	struct swiotlb_device legacy, nvme;
	swiotlb_device_init(&legacy, "legacy", swiotlb_bit_mask(32));
	swiotlb_device_init(&nvme, "nvme", swiotlb_bit_mask(64));
	nvme.min_align_mask = 0xfff;
	nvme.flags = SWIOTLB_DEV_FORCE_BOUNCE;

	/* Two buffers above 4 GiB, one of them at offset 0x200 of its page. */
	uint64_t tx, rx;
	CHECK(swiotlb_posix_alloc(px, 8192, 4096, 4ull << 30, UINT64_MAX, &tx) == 0);
	CHECK(swiotlb_posix_alloc(px, 3 * 4096, 4096, 4ull << 30, UINT64_MAX, &rx) == 0);
	rx += 0x200;
	memset(swiotlb_posix_ptr(px, tx, 8192), 'T', 8192);

	/* The 32-bit device cannot reach the buffer: it bounces, into the only
	 * pool below its limit; the map copied the packet in. */
	struct swiotlb_map_result a, b;
	CHECK(map(tlb, &legacy, tx, 8192, SWIOTLB_TO_DEVICE, &a) == 0);
	CHECK(a.bounced && a.pool == 0 && a.dma + 8192 - 1 <= legacy.dma_mask);
	CHECK(memcmp(swiotlb_posix_ptr(px, a.dma, 8192), swiotlb_posix_ptr(px, tx, 8192), 8192) == 0);

	/* The NVMe device reaches everything: the highest pool, with the
	 * buffer's low 12 bits kept in the bounce address. */
	CHECK(map(tlb, &nvme, rx, 8192, SWIOTLB_FROM_DEVICE, &b) == 0);
	CHECK(b.bounced && b.pool == 1 && (b.dma & 0xfff) == (rx & 0xfff));

	/* The device writes; the unmap copies back to the buffer. */
	memset(swiotlb_posix_ptr(px, b.dma, 8192), 'R', 8192);
	CHECK(swiotlb_unmap(tlb, &nvme, b.dma, 8192, SWIOTLB_FROM_DEVICE, 0) == 0);
	CHECK(((char *)swiotlb_posix_ptr(px, rx, 8192))[8191] == 'R');

	/* A driver bug: the legacy mapping unmapped with the wrong size, then by
	 * the wrong device.  Both are refused and change nothing. */
	int rc = swiotlb_unmap(tlb, &legacy, a.dma, 4096, SWIOTLB_TO_DEVICE, 0);
	printf("legacy unmap with the wrong size: %s\n", swiotlb_errname(rc));
	CHECK(rc == SWIOTLB_ENOTMAPPED);
	CHECK(swiotlb_unmap(tlb, &nvme, a.dma, 8192, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);
	CHECK(swiotlb_unmap(tlb, &legacy, a.dma, 8192, SWIOTLB_TO_DEVICE, 0) == 0);

	/* The kernel's debugfs counters, per pool: one mapping in each. */
	char text[2048];
	swiotlb_stats_text(tlb, text, sizeof(text));
	for (char *line = strtok(strcpy((char[sizeof(text)]){0}, text), "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "io_tlb_used", 11))
			printf("  %s\n", line);
	CHECK(strstr(text, "io_tlb_used_hiwater 4\n") && strstr(text, "io_tlb_used_hiwater-high 5\n"));
	char why[256];
	CHECK(swiotlb_check(tlb, why, sizeof(why)) == 0);

	swiotlb_destroy(tlb);
	swiotlb_posix_destroy(px);
	return 0;
}
