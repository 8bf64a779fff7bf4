/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the swiotlb= parser in every dialect and mode.  Properties: no crash
 * or hang; lenient mainline/rfc2021 never fail (the kernel never does); a
 * failure leaves the config untouched; a success yields a config that
 * swiotlb_create accepts or rejects cleanly on a small machine.
 */
#include <stdlib.h>
#include <string.h>
#include "swiotlb/swiotlb.h"
#include "swiotlb/posix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct swiotlb_posix *px;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512];
	if (size >= sizeof(line))
		size = sizeof(line) - 1;
	memcpy(line, data, size);
	line[size] = 0;
	if (!px) {
		struct swiotlb_posix_opts po;
		memset(&po, 0, sizeof(po));
		po.nram = 1;
		po.ram[0].start = 1 << 20;
		/* creation must cope with little RAM: 4 MiB makes every default
		 * pool halve, and keeps a run cheap enough for long fuzzing */
		po.ram[0].end = 5 << 20;
		if (swiotlb_posix_create(&po, &px))
			abort();
	}
	for (int dialect = 0; dialect < 3; dialect++) {
		for (int lenient = 0; lenient < 2; lenient++) {
			struct swiotlb_config cfg, before;
			char err[256];
			struct swiotlb_parse_opts opts = { .dialect = (uint32_t)dialect, .lenient = lenient,
							   .err = err, .err_len = sizeof(err) };
			swiotlb_config_init(&cfg);
			before = cfg;
			int rc = swiotlb_parse_cmdline(line, &opts, &cfg);
			if (rc) {
				if (rc != SWIOTLB_EBADCONFIG || memcmp(&cfg, &before, sizeof(cfg)) || !err[0])
					abort();
				if (lenient && dialect != SWIOTLB_DIALECT_NAMED)
					abort();
				continue;
			}
			if (cfg.npools > SWIOTLB_MAX_POOLS)
				abort();
			/* keep creation cheap: only modest configurations are built */
			bool small = true;
			for (uint32_t i = 0; i < cfg.npools; i++)
				small &= cfg.pools[i].nslabs <= (1u << 16);
			if (!small || cfg.nareas > 64)
				continue;
			struct swiotlb_platform plat;
			struct swiotlb *tlb;
			swiotlb_posix_platform(px, &plat);
			cfg.ncpus = 4;
			if (swiotlb_create(&cfg, &plat, &tlb) == 0) {
				if (swiotlb_check(tlb, NULL, 0))
					abort();
				swiotlb_destroy(tlb);
			}
		}
	}
	return 0;
}
