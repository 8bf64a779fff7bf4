/* SPDX-License-Identifier: MIT */
/*
 * Tests are small programs: exit 0 pass, 1 fail, 77 skip (CTest's
 * SKIP_RETURN_CODE).  CHECK records a failure and goes on, so one run shows
 * every broken rule; REQUIRE stops the test.
 */
#ifndef SWIOTLB_TEST_CHECK_H
#define SWIOTLB_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		check_count++;                                                          \
		if (!(cond)) {                                                          \
			check_failures++;                                               \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                       \
	} while (0)

#define REQUIRE(cond)                                                                     \
	do {                                                                              \
		check_count++;                                                            \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                          \
		}                                                                         \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                        \
	do {                                                                                      \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                      \
		check_count++;                                                                    \
		if (check_a_ != check_b_) {                                                       \
			check_failures++;                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);                  \
		}                                                                                 \
	} while (0)

#define CHECK_STR(a, b)                                                                          \
	do {                                                                                     \
		const char *check_a_ = (a), *check_b_ = (b);                                     \
		check_count++;                                                                   \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {                      \
			check_failures++;                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n",    \
				__FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",      \
				check_b_ ? check_b_ : "(null)");                                 \
		}                                                                                \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
