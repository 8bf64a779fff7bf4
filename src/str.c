/* SPDX-License-Identifier: MIT */
/* Freestanding string and memory helpers: the core links against no libc. */
#include "internal.h"

size_t tlb_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int tlb_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int tlb_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

void tlb_strlcpy(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	if (!n)
		return;
	for (; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

void tlb_memset(void *p, int c, size_t n)
{
	volatile unsigned char *d = p; /* volatile: keep the compiler from calling memset */
	while (n--)
		*d++ = (unsigned char)c;
}

void tlb_memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	/* word copies when both are aligned: the default copy must not be absurdly slow */
	if ((((uintptr_t)d | (uintptr_t)s) & (sizeof(uint64_t) - 1)) == 0) {
		for (; n >= sizeof(uint64_t); n -= sizeof(uint64_t), d += sizeof(uint64_t), s += sizeof(uint64_t))
			*(uint64_t *)(void *)d = *(const uint64_t *)(const void *)s;
	}
	while (n--)
		*d++ = *s++;
}
