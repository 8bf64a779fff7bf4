/* SPDX-License-Identifier: MIT */
/*
 * A program that uses libswiotlb the way an outside project does: the
 * installed headers, the installed library, nothing from the source tree.
 * Bounces one 4 KiB buffer (force) and checks the copy in and out.
 */
#include <stdio.h>
#include <string.h>

#include <swiotlb/posix.h>
#include <swiotlb/swiotlb.h>

#define FAIL(...) (fprintf(stderr, "consumer (C): " __VA_ARGS__), fputc('\n', stderr), 1)

int main(void)
{
	struct swiotlb_posix *px;
	struct swiotlb_platform plat;
	struct swiotlb_config cfg;
	struct swiotlb_parse_opts opts = {0};
	struct swiotlb *tlb;
	struct swiotlb_device dev;
	uint64_t orig, dma;
	unsigned char *cpu, *bounce;
	int rc;

	if (swiotlb_version() != SWIOTLB_VERSION)
		return FAIL("header version %#x, library %#x", SWIOTLB_VERSION, swiotlb_version());
	if (swiotlb_posix_create(NULL, &px))
		return FAIL("swiotlb_posix_create");
	swiotlb_posix_platform(px, &plat);
	swiotlb_config_init(&cfg);
	if (swiotlb_parse_cmdline("swiotlb=1024,force", &opts, &cfg))
		return FAIL("swiotlb_parse_cmdline");
	if ((rc = swiotlb_create(&cfg, &plat, &tlb)))
		return FAIL("swiotlb_create: %s", swiotlb_errname(rc));

	if (swiotlb_posix_alloc(px, 4096, 4096, 0, UINT64_MAX, &orig))
		return FAIL("no memory for the buffer");
	cpu = swiotlb_posix_ptr(px, orig, 4096);
	memset(cpu, 0x5a, 4096);
	swiotlb_device_init(&dev, "consumer", swiotlb_bit_mask(64));
	if ((rc = swiotlb_map(tlb, &dev, orig, 4096, SWIOTLB_BIDIRECTIONAL, 0, &dma)))
		return FAIL("swiotlb_map: %s", swiotlb_errname(rc));
	if (!swiotlb_is_bounce(tlb, dma) || dma == orig)
		return FAIL("force did not bounce");
	bounce = swiotlb_posix_ptr(px, dma, 4096); /* the POSIX platform's dma is phys */
	if (bounce[0] != 0x5a || bounce[4095] != 0x5a)
		return FAIL("map did not copy the buffer in");
	memset(bounce, 0xa5, 4096); /* the "device" writes */
	if ((rc = swiotlb_unmap(tlb, &dev, dma, 4096, SWIOTLB_BIDIRECTIONAL, 0)))
		return FAIL("swiotlb_unmap: %s", swiotlb_errname(rc));
	if (cpu[0] != 0xa5 || cpu[4095] != 0xa5)
		return FAIL("unmap did not copy the buffer back");
	if (swiotlb_unmap(tlb, &dev, dma, 4096, SWIOTLB_BIDIRECTIONAL, 0) != SWIOTLB_ENOTMAPPED)
		return FAIL("a second unmap was not refused");

	swiotlb_destroy(tlb);
	swiotlb_posix_destroy(px);
	printf("consumer (C): libswiotlb %u.%u.%u works\n", SWIOTLB_VERSION_MAJOR, SWIOTLB_VERSION_MINOR,
	       SWIOTLB_VERSION_PATCH);
	return 0;
}
