/* SPDX-License-Identifier: MIT */
/*
 * The shared syntax and measures of the tools (common/): one number and
 * size syntax for replay scripts, machine files and options (no leading
 * zero, decimal or 0x hex, binary size suffixes), the size printer whose
 * option style reads back, and the latency histogram bench and vhost share
 * (exact below 128 ns, then within 1/64 of the value).
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "common/hist.h"
#include "common/number.h"

static void test_numbers(void)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t v;
	} cases[] = {
		{ "0", true, 0 },
		{ "10", true, 10 },
		{ "4096", true, 4096 },
		{ "0x1f", true, 31 },
		{ "0X1F", true, 31 },
		{ "0x0010", true, 16 }, /* the prefix makes the zeros harmless */
		{ "18446744073709551615", true, UINT64_MAX },
		{ "0xffffffffffffffff", true, UINT64_MAX },
		{ "010", false, 0 }, /* octal to C and the kernel, decimal to people */
		{ "00", false, 0 },
		{ "08", false, 0 },
		{ "18446744073709551616", false, 0 },
		{ "0x10000000000000000", false, 0 },
		{ "", false, 0 },
		{ "0x", false, 0 },
		{ "x1", false, 0 },
		{ "-1", false, 0 },
		{ "+1", false, 0 },
		{ " 1", false, 0 },
		{ "1 ", false, 0 },
		{ "1k", false, 0 },
		{ "0x1g", false, 0 },
		{ "1e3", false, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		bool ok = num_parse_u64(cases[i].text, &v);
		if (ok != cases[i].ok || v != (ok ? cases[i].v : 12345)) {
			fprintf(stderr, "num_parse_u64(\"%s\"): %d %" PRIu64 "\n", cases[i].text, ok, v);
			check_failures++;
		}
		check_count++;
	}
	CHECK(!num_parse_u64(NULL, NULL));
	CHECK(num_leading_zero("010") && num_leading_zero("00") && !num_leading_zero("0") && !num_leading_zero("0x10"));

	int64_t s;
	CHECK(num_parse_i64("-1", &s) && s == -1);
	CHECK(num_parse_i64("-9223372036854775808", &s) && s == INT64_MIN);
	CHECK(num_parse_i64("9223372036854775807", &s) && s == INT64_MAX);
	CHECK(!num_parse_i64("9223372036854775808", &s));
	CHECK(!num_parse_i64("-9223372036854775809", &s));
	CHECK(!num_parse_i64("--1", &s) && !num_parse_i64("-", &s) && !num_parse_i64("-010", &s));
}

static void test_sizes(void)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t v;
	} cases[] = {
		{ "4096", true, 4096 },
		{ "4k", true, 4096 },
		{ "4K", true, 4096 },
		{ "64M", true, 64ull << 20 },
		{ "2GiB", true, 2ull << 30 },
		{ "2gib", true, 2ull << 30 },
		{ "1TB", true, 1ull << 40 },
		{ "1b", false, 0 },
		{ "0x1000", true, 4096 },
		{ "0k", true, 0 },
		{ "16777215T", true, 16777215ull << 40 },
		{ "16777216T", false, 0 }, /* 2^64: does not fit */
		{ "0x1k", false, 0 },      /* hex takes no suffix */
		{ "04k", false, 0 },
		{ "4kk", false, 0 },
		{ "4KiBx", false, 0 },
		{ "k", false, 0 },
		{ "4 k", false, 0 },
		{ "1.5G", false, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		bool ok = num_parse_size(cases[i].text, &v);
		if (ok != cases[i].ok || v != (ok ? cases[i].v : 12345)) {
			fprintf(stderr, "num_parse_size(\"%s\"): %d %" PRIu64 "\n", cases[i].text, ok, v);
			check_failures++;
		}
		check_count++;
	}
}

static void test_size_text(void)
{
	char b[32];
	CHECK_STR(num_size_text(b, sizeof(b), 0, NUM_SIZE_HUMAN), "0 B");
	CHECK_STR(num_size_text(b, sizeof(b), 1000, NUM_SIZE_HUMAN), "1000 B");
	CHECK_STR(num_size_text(b, sizeof(b), 2048, NUM_SIZE_HUMAN), "2 KiB");
	CHECK_STR(num_size_text(b, sizeof(b), 128ull << 20, NUM_SIZE_HUMAN), "128 MiB");
	CHECK_STR(num_size_text(b, sizeof(b), 20ull << 30, NUM_SIZE_HUMAN), "20 GiB");
	CHECK_STR(num_size_text(b, sizeof(b), 3ull << 29, NUM_SIZE_HUMAN), "1536 MiB");
	CHECK_STR(num_size_text(b, sizeof(b), (1ull << 30) + 1, NUM_SIZE_HUMAN), "1.00 GiB");
	CHECK_STR(num_size_text(b, sizeof(b), 1536, NUM_SIZE_HUMAN), "1536 B");
	CHECK_STR(num_size_text(b, sizeof(b), 2000ull << 10, NUM_SIZE_HUMAN), "2000 KiB");
	CHECK_STR(num_size_text(b, sizeof(b), (10ull << 30) - (385 << 10), NUM_SIZE_HUMAN), "10.00 GiB");
	CHECK_STR(num_size_text(b, sizeof(b), 12345678, NUM_SIZE_HUMAN), "11.77 MiB");
	CHECK_STR(num_size_text(b, sizeof(b), UINT64_MAX, NUM_SIZE_HUMAN), "16777216.00 TiB");
	CHECK_STR(num_size_text(b, sizeof(b), 2ull << 40, NUM_SIZE_HUMAN), "2 TiB");
	CHECK_STR(num_size_text(b, sizeof(b), 0, NUM_SIZE_OPTION), "0");
	CHECK_STR(num_size_text(b, sizeof(b), 512, NUM_SIZE_OPTION), "512");
	CHECK_STR(num_size_text(b, sizeof(b), 256 << 10, NUM_SIZE_OPTION), "256k");
	CHECK_STR(num_size_text(b, sizeof(b), 1ull << 30, NUM_SIZE_OPTION), "1g");
	CHECK_STR(num_size_text(b, sizeof(b), 1ull << 50, NUM_SIZE_OPTION), "1024t");
	/* the option style reads back as the same size */
	static const uint64_t round[] = { 0, 1, 512, 1536, 4096, 65536 + 1024, 3ull << 30, UINT64_MAX, 1ull << 63 };
	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		uint64_t v = 0;
		CHECK(num_parse_size(num_size_text(b, sizeof(b), round[i], NUM_SIZE_OPTION), &v) && v == round[i]);
	}
}

static void test_hist(void)
{
	static struct hist h;
	/* every bucket's middle lies in the bucket: indexes and values agree */
	for (uint64_t v = 0; v < 5000; v++) {
		unsigned i = hist_index(v);
		CHECK(i < HIST_BUCKETS);
		if (v < HIST_EXACT)
			CHECK_EQ_U64(hist_value(i), v);
		else
			CHECK(hist_index(hist_value(i)) == i);
	}
	/* within 1/64 of the value, from 128 ns to the top of the range */
	for (unsigned sh = 7; sh < 64; sh++) {
		for (uint64_t v = 1ull << sh; v >= (1ull << sh) && v < (sh == 63 ? UINT64_MAX : 2ull << sh);
		     v += (1ull << sh) / 7 + 1) {
			uint64_t m = hist_value(hist_index(v));
			uint64_t d = m > v ? m - v : v - m;
			if (d > v / 64) {
				fprintf(stderr, "hist: %" PRIu64 " reads as %" PRIu64 "\n", v, m);
				check_failures++;
			}
			check_count++;
		}
	}
	CHECK(hist_index(UINT64_MAX) == HIST_BUCKETS - 1);

	/* percentiles: 1..1000 ns once each */
	hist_init(&h);
	CHECK_EQ_U64(hist_pct(&h, 50), 0);
	for (uint64_t v = 1000; v >= 1; v--)
		hist_add(&h, v);
	CHECK_EQ_U64(h.n, 1000);
	CHECK_EQ_U64(h.min, 1);
	CHECK_EQ_U64(h.max, 1000);
	CHECK_EQ_U64(h.sum, 500500);
	uint64_t p50 = hist_pct(&h, 50), p99 = hist_pct(&h, 99), p100 = hist_pct(&h, 100);
	CHECK(p50 >= 500 - 500 / 64 && p50 <= 500 + 500 / 64);
	CHECK(p99 >= 990 - 990 / 64 && p99 <= 990 + 990 / 64);
	CHECK(p100 <= 1000 && p100 >= 1000 - 1000 / 64); /* kept within what was seen */
	CHECK_EQ_U64(hist_pct(&h, 0.05), 1);
	/* merging two halves gives the whole */
	static struct hist a, b;
	hist_init(&a);
	hist_init(&b);
	for (uint64_t v = 1; v <= 1000; v++)
		hist_add(v & 1 ? &a : &b, v);
	hist_merge(&a, &b);
	CHECK(!memcmp(&a, &h, sizeof(h)));
}

int main(void)
{
	test_numbers();
	test_sizes();
	test_size_text();
	test_hist();
	return check_done("test_syntax");
}
