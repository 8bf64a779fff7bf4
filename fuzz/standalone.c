/* SPDX-License-Identifier: MIT */
/*
 * A driver for the fuzz targets without libFuzzer: runs each file named on
 * the command line, then FUZZ_RUNS (default 2000) seeded random inputs, so
 * the targets run in every CI build.  FUZZ_SEED picks the seed.  With
 * FUZZ_KEEP=PATH each random input is written to PATH before it runs, so
 * after a failure PATH holds the input that failed (rerun it as a file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	static uint8_t buf[4096];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	const char *r = getenv("FUZZ_RUNS"), *s = getenv("FUZZ_SEED"), *keep = getenv("FUZZ_KEEP");
	long runs = r ? atol(r) : 2000;
	uint64_t x = s ? strtoull(s, NULL, 0) : 42;
	for (long k = 0; k < runs; k++) {
		size_t n = 0;
		x += 0x9e3779b97f4a7c15ull;
		uint64_t z = x;
		size_t len = (size_t)(z % sizeof(buf));
		while (n < len) {
			z ^= z << 13, z ^= z >> 7, z ^= z << 17;
			buf[n++] = (uint8_t)z;
		}
		/* bias towards printable text for the command-line target */
		if (k & 1)
			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)",=:0x1234567890abcdefKMGswiotlbforcenoanypolsizeareaslinux "[buf[j] % 57];
		if (keep) {
			FILE *f = fopen(keep, "wb");
			if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
				perror(keep);
				return 1;
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%ld random inputs and %d files: no property violated\n", runs, argc - 1);
	return 0;
}
