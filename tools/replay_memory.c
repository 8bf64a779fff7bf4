/* SPDX-License-Identifier: MIT */
/*
 * The `memory` statement of `swiotlb replay` (see replay_memory.h).
 */
#include "replay_memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool num(const char *s, const char **end, uint64_t *v)
{
	if (*s < '0' || *s > '9')
		return false;
	char *e;
	errno = 0;
	unsigned long long x = strtoull(s, &e, 0);
	if (errno)
		return false;
	*v = x;
	*end = e;
	return true;
}

static bool size_arg(const char *s, uint64_t *v)
{
	const char *e;
	if (!num(s, &e, v))
		return false;
	uint64_t mul = 1;
	if (*e == 'K')
		mul = 1ull << 10;
	else if (*e == 'M')
		mul = 1ull << 20;
	else if (*e == 'G')
		mul = 1ull << 30;
	else if (*e == 'T')
		mul = 1ull << 40;
	if (mul != 1)
		e++;
	if (*e || *v > UINT64_MAX / mul)
		return false;
	*v *= mul;
	return true;
}

static int add_range(struct swiotlb_posix_opts *po, bool *ranges_given, uint64_t a, uint64_t b_incl, bool usable,
		     char *err, size_t len)
{
	if (b_incl < a || b_incl == UINT64_MAX) {
		snprintf(err, len, "memory: [0x%" PRIx64 "-0x%" PRIx64 "] is empty or wraps", a, b_incl);
		return -1;
	}
	if (!*ranges_given) {
		po->nram = 0; /* the first range replaces the default map */
		*ranges_given = true;
	}
	if (!usable)
		return 0;
	/* whole pages only, as the kernel's memblock would use them */
	uint64_t s = (a + 0xfff) & ~0xfffull, e = (b_incl + 1) & ~0xfffull;
	if (e <= s)
		return 0;
	if (po->nram == SWIOTLB_POSIX_MAX_RANGES) {
		snprintf(err, len, "memory: more than %d ranges", SWIOTLB_POSIX_MAX_RANGES);
		return -1;
	}
	uint32_t i = po->nram;
	while (i > 0 && po->ram[i - 1].start > s)
		i--;
	if ((i > 0 && po->ram[i - 1].end > s) || (i < po->nram && po->ram[i].start < e)) {
		snprintf(err, len, "memory: [0x%" PRIx64 "-0x%" PRIx64 "] overlaps a range given before", a, b_incl);
		return -1;
	}
	memmove(&po->ram[i + 1], &po->ram[i], (po->nram - i) * sizeof(po->ram[0]));
	po->ram[i].start = s;
	po->ram[i].end = e;
	po->nram++;
	return 0;
}

int replay_memory_apply(const char *arg, struct swiotlb_posix_opts *po, bool *ranges_given, char *err, size_t len)
{
	const char *p = arg, *e;
	uint64_t a, b;
	/* a pasted log line: "[  0.000000] BIOS-e820: [mem 0x...-0x...] usable" */
	const char *m = strstr(arg, "[mem ");
	if (strstr(arg, "e820") || m) {
		if (!m || !num(m + 5, &e, &a) || *e != '-' || !num(e + 1, &e, &b) || *e != ']') {
			snprintf(err, len, "memory: '%s' is not a 'BIOS-e820: [mem 0xSTART-0xEND] TYPE' line", arg);
			return -1;
		}
		while (*++e == ' ')
			;
		return add_range(po, ranges_given, a, b, !strcmp(e, "usable"), err, len);
	}
	if (num(p, &e, &a) && *e == '-') {
		if (!num(e + 1, &e, &b) || *e) {
			snprintf(err, len, "memory: '%s' is not a range START-END (END inclusive)", arg);
			return -1;
		}
		return add_range(po, ranges_given, a, b, true, err, len);
	}
	uint64_t size;
	if (!size_arg(arg, &size) || size < (2ull << 20) || size > (1ull << 46)) {
		snprintf(err, len, "memory: '%s' is not a size (2M..64T), a range START-END or a BIOS-e820 line", arg);
		return -1;
	}
	uint64_t low = size < (3ull << 30) - (1ull << 20) ? size : (3ull << 30) - (1ull << 20);
	po->nram = 0;
	po->ram[po->nram++] = (struct swiotlb_posix_range){1ull << 20, (1ull << 20) + low};
	if (size > low)
		po->ram[po->nram++] = (struct swiotlb_posix_range){4ull << 30, (4ull << 30) + (size - low)};
	*ranges_given = true;
	return 0;
}
