/* SPDX-License-Identifier: MIT */
/*
 * The one number and size syntax of the project's own languages: replay
 * scripts, machine and scenario files, and the options of every `swiotlb`
 * command (docs/replay.md, docs/machines.md, swiotlb(1)).  Header-only and
 * private: the simulator module and the tools include it, it is never
 * installed, and it has no symbol of its own, so a program may link both.
 *
 * The `swiotlb=` command line is not one of our languages: src/config.c
 * reads its numbers the way the kernel does (base 0, so 010 is octal there).
 *
 * A number is decimal digits, or 0x/0X and hex digits; no sign, no blanks,
 * nothing after it.  A leading zero followed by more digits (010, 007) is
 * refused: C and the kernel's command line read it as octal, most people as
 * decimal, and a script that means one must not silently get the other.
 * 0x0010 is fine (the prefix says it all); 0 alone is fine.
 *
 * A size is a number, or a decimal number with a binary suffix K, M, G or T
 * (either case, optionally followed by iB or B: 4k, 64M, 2GiB, 1TB all mean
 * powers of 1024).  A hex number takes no suffix (0x1b is a number, not
 * 1 byte).
 */
#ifndef SWIOTLB_COMMON_NUMBER_H
#define SWIOTLB_COMMON_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The digits of s[0..) as a number; *end is the first byte after them. */
static inline bool num_digits(const char *s, uint64_t *out, const char **end)
{
	unsigned base = 10;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
		return false; /* an ambiguous leading zero */
	}
	const char *first = p;
	uint64_t v = 0;
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false; /* too large */
		v = v * base + d;
	}
	if (p == first)
		return false;
	*out = v;
	*end = p;
	return true;
}

/* The text starts with the refused leading zero: callers say why. */
static inline bool num_leading_zero(const char *s)
{
	return s && s[0] == '0' && s[1] >= '0' && s[1] <= '9';
}

/* A whole text as a number (see above).  false, *out untouched, if not one. */
static inline bool num_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *end;
	if (!s || !num_digits(s, &v, &end) || *end)
		return false;
	*out = v;
	return true;
}

/* A number with an optional leading '-' (options such as `-n -1`). */
static inline bool num_parse_i64(const char *s, int64_t *out)
{
	uint64_t v;
	bool neg = s && s[0] == '-';
	if (!s || !num_parse_u64(s + neg, &v))
		return false;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* A whole text as a size (see above). */
static inline bool num_parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *end;
	if (!s || !num_digits(s, &v, &end))
		return false;
	unsigned shift = 0;
	if (*end && !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return false;
		}
		end++;
		if ((end[0] == 'i' || end[0] == 'I') && (end[1] == 'b' || end[1] == 'B'))
			end += 2;
		else if (end[0] == 'b' || end[0] == 'B')
			end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}

enum num_size_style {
	/* for people: exact in the largest unit that divides it while under
	 * 10000 of them ("64 MiB", "1536 MiB", "6 KiB"), else rounded to two
	 * decimals in the largest unit not above it ("10.00 GiB") */
	NUM_SIZE_HUMAN,
	/* as an option is written, exact and read back by num_parse_size:
	 * "1g", "256k", "1000" */
	NUM_SIZE_OPTION,
};

/* `bytes` as text into buf (always NUL-terminated); returns buf. */
static inline const char *num_size_text(char *buf, size_t n, uint64_t bytes, enum num_size_style style)
{
	static const char *const human[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	static const char option[] = " kmgt";
	unsigned u = 0;
	if (style == NUM_SIZE_OPTION) {
		while (bytes && !(bytes & 1023) && u < 4) {
			bytes >>= 10;
			u++;
		}
		if (u)
			snprintf(buf, n, "%llu%c", (unsigned long long)bytes, option[u]);
		else
			snprintf(buf, n, "%llu", (unsigned long long)bytes);
		return buf;
	}
	/* exact in the largest unit that divides it, while that stays short */
	while (u < 4 && bytes && !(bytes & ((1ull << (10 * (u + 1))) - 1)))
		u++;
	if ((bytes >> (10 * u)) < 10000) {
		snprintf(buf, n, "%llu %s", (unsigned long long)(bytes >> (10 * u)), human[u]);
		return buf;
	}
	while (u < 4 && bytes >> (10 * (u + 1)))
		u++; /* else rounded, in the largest unit not above it */
	snprintf(buf, n, "%.2f %s", (double)bytes / (double)(1ull << (10 * u)), human[u]);
	return buf;
}

#endif
