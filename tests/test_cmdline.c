/* SPDX-License-Identifier: MIT */
/*
 * The swiotlb= command line in its three dialects (docs/cmdline.md),
 * strict and lenient, the defaults, and the architecture's size request.
 * Log lines are captured and compared as exact strings; every error path
 * checks its message and that the config was left untouched.
 */
#include <stdbool.h>
#include <stdint.h>

#include "swiotlb/swiotlb.h"
#include "check.h"

#define MAX_LINES 16

struct logcap {
	int n;
	int level[MAX_LINES];
	char line[MAX_LINES][256];
};

static void capture(void *arg, enum swiotlb_log_level level, const char *line)
{
	struct logcap *lc = arg;
	if (lc->n < MAX_LINES) {
		lc->level[lc->n] = (int)level;
		snprintf(lc->line[lc->n], sizeof(lc->line[0]), "%s", line);
	}
	lc->n++;
}

/* One parse: a fresh default config unless `keep`, captured log, error text. */
struct run {
	struct swiotlb_config cfg;
	struct logcap log;
	char err[256];
	int rc;
};

static int parse_into(struct run *r, uint32_t dialect, bool lenient, const char *line)
{
	struct swiotlb_parse_opts o;
	memset(&o, 0, sizeof(o));
	o.dialect = dialect;
	o.lenient = lenient;
	o.log = capture;
	o.log_arg = &r->log;
	o.err = r->err;
	o.err_len = sizeof(r->err);
	memset(&r->log, 0, sizeof(r->log));
	strcpy(r->err, "(stale)");
	r->rc = swiotlb_parse_cmdline(line, &o, &r->cfg);
	return r->rc;
}

static int parse(struct run *r, uint32_t dialect, bool lenient, const char *line)
{
	swiotlb_config_init(&r->cfg);
	return parse_into(r, dialect, lenient, line);
}

static struct swiotlb_config default_cfg(void)
{
	struct swiotlb_config c;
	swiotlb_config_init(&c);
	return c;
}

/* An error: the exact message, nothing logged, and the config untouched. */
static void expect_error(uint32_t dialect, bool lenient, const char *line, const char *msg)
{
	struct run r;
	struct swiotlb_config before;
	swiotlb_config_init(&r.cfg);
	r.cfg.ncpus = 7; /* something to notice if it were reset */
	memcpy(&before, &r.cfg, sizeof(before));
	parse_into(&r, dialect, lenient, line);
	CHECK_EQ_U64(r.rc, (uint64_t)(int64_t)SWIOTLB_EBADCONFIG);
	CHECK_STR(r.err, msg);
	CHECK(r.log.n == 0);
	CHECK(memcmp(&before, &r.cfg, sizeof(before)) == 0);
	if (r.rc != SWIOTLB_EBADCONFIG || strcmp(r.err, msg))
		fprintf(stderr, "  for %s\n", line);
}

/* Lenient mode ignores the whole parameter: nothing changes, nothing logged. */
static void expect_ignored(uint32_t dialect, const char *line)
{
	struct run r;
	struct swiotlb_config def = default_cfg();
	def.dialect = dialect;
	parse(&r, dialect, true, line);
	CHECK(r.rc == 0);
	CHECK_STR(r.err, "");
	CHECK(r.log.n == 0);
	CHECK(memcmp(&def, &r.cfg, sizeof(def)) == 0);
	if (r.rc || memcmp(&def, &r.cfg, sizeof(def)))
		fprintf(stderr, "  for %s\n", line);
}

#define ML SWIOTLB_DIALECT_MAINLINE
#define RFC SWIOTLB_DIALECT_RFC2021
#define NAMED SWIOTLB_DIALECT_NAMED

static void test_defaults(void)
{
	struct swiotlb_config c;
	memset(&c, 0xa5, sizeof(c));
	swiotlb_config_init(&c);
	CHECK_EQ_U64(c.size, sizeof(c));
	CHECK_EQ_U64(c.version, SWIOTLB_VERSION);
	CHECK_EQ_U64(c.ncpus, 1);
	CHECK_EQ_U64(c.nareas, 0);
	CHECK_EQ_U64(c.npools, 1);
	CHECK_STR(c.pools[0].name, "default");
	CHECK_EQ_U64(c.pools[0].nslabs, SWIOTLB_DEFAULT_NSLABS);
	CHECK_EQ_U64(c.pools[0].nslabs, 32768);
	CHECK_EQ_U64(c.pools[0].nareas, 0);
	CHECK_EQ_U64(c.pools[0].placement, SWIOTLB_PLACE_LOW);
	CHECK(!c.pools[0].has_base && !c.pools[0].exact && !c.pools[0].placement_set);
	CHECK_EQ_U64(c.pools[0].base, 0);
	CHECK_STR(c.pools[0].policy, "");
	CHECK_EQ_U64(c.pools[1].nslabs, 0);
	CHECK(!c.force && !c.noforce && !c.any && !c.no_fallback && !c.size_given);
	CHECK(c.verbose);
	CHECK_EQ_U64(c.dialect, SWIOTLB_DIALECT_MAINLINE);
	CHECK_STR(c.policy, "");

	CHECK(swiotlb_dialect_from_name("mainline") == SWIOTLB_DIALECT_MAINLINE);
	CHECK(swiotlb_dialect_from_name("rfc2021") == SWIOTLB_DIALECT_RFC2021);
	CHECK(swiotlb_dialect_from_name("named") == SWIOTLB_DIALECT_NAMED);
	CHECK(swiotlb_dialect_from_name("Mainline") == -1);
	CHECK(swiotlb_dialect_from_name("rfc") == -1);
	CHECK(swiotlb_dialect_from_name("") == -1);
	CHECK(swiotlb_dialect_from_name(NULL) == -1);
}

/* ------------------------------------------------------------- mainline */

static void test_mainline_examples(void)
{
	struct run r;

	/* the RFC's line on mainline: the second number is an area count */
	for (int lenient = 0; lenient < 2; lenient++) {
		CHECK(parse(&r, ML, lenient, "swiotlb=65536,1048576,force") == 0);
		CHECK_STR(r.err, "");
		CHECK_EQ_U64(r.cfg.npools, 1);
		CHECK_EQ_U64(r.cfg.nareas, 1048576);
		CHECK_EQ_U64(r.cfg.pools[0].nslabs, 134217728); /* 128 * 1048576 */
		CHECK(r.cfg.force && !r.cfg.noforce && r.cfg.size_given);
		CHECK_EQ_U64(r.cfg.dialect, ML);
		REQUIRE(r.log.n == 2);
		CHECK_STR(r.log.line[0], "software IO TLB: area num 1048576.");
		CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 262144MB");
		CHECK(r.log.level[0] == SWIOTLB_LOG_INFO && r.log.level[1] == SWIOTLB_LOG_INFO);
	}

	/* a size alone: aligned to 128, no area count yet, no rounding yet */
	CHECK(parse(&r, ML, false, "swiotlb=40000") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 40064);
	CHECK_EQ_U64(r.cfg.nareas, 0);
	CHECK(r.cfg.size_given && !r.cfg.force && !r.cfg.noforce);
	CHECK(r.log.n == 0);

	CHECK(parse(&r, ML, false, "swiotlb=40000,4") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	REQUIRE(r.log.n == 2);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 4.");
	CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 128MB");

	CHECK(parse(&r, ML, false, "swiotlb=0x1000") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4096);
	CHECK(parse(&r, ML, false, "swiotlb=0X1000") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4096);
	CHECK(parse(&r, ML, false, "swiotlb=010") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128); /* octal 8, aligned */
	CHECK(parse(&r, ML, false, "swiotlb=0200") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK(parse(&r, ML, false, "swiotlb=129") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 256);
	CHECK(parse(&r, ML, false, "swiotlb=4294967296") == 0); /* exactly 2^32 is allowed */
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4294967296ull);

	/* areas only: 3 -> 4, the default size is already a power of two */
	CHECK(parse(&r, ML, false, "swiotlb=,3") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(!r.cfg.size_given);
	REQUIRE(r.log.n == 1);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 4.");

	CHECK(parse(&r, ML, false, "swiotlb=100,0") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 1);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	REQUIRE(r.log.n == 1);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 1.");

	/* too small for the areas: raised to 128 per area */
	CHECK(parse(&r, ML, false, "swiotlb=128,16") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 2048);
	REQUIRE(r.log.n == 2);
	CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 4MB");

	/* the largest area count strict mode takes */
	CHECK(parse(&r, ML, false, "swiotlb=,33554432") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 33554432);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4294967296ull);
	REQUIRE(r.log.n == 2);
	CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 8388608MB");

	CHECK(parse(&r, ML, false, "swiotlb=noforce") == 0);
	CHECK(r.cfg.noforce && !r.cfg.force);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768); /* mainline noforce keeps the size */
	CHECK(parse(&r, ML, false, "swiotlb=force") == 0);
	CHECK(r.cfg.force && !r.cfg.noforce);
	CHECK(parse(&r, ML, false, "swiotlb=64,force") == 0);
	CHECK(r.cfg.force);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK(parse(&r, ML, false, "swiotlb=,force") == 0);
	CHECK(r.cfg.force);
	CHECK(parse(&r, ML, false, "swiotlb=,,noforce") == 0);
	CHECK(r.cfg.noforce);
	CHECK(parse(&r, ML, false, "swiotlb=64,4,") == 0); /* a trailing empty field */
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK(parse(&r, ML, false, "swiotlb=64,") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
}

static void test_mainline_lines(void)
{
	struct run r;

	/* a whole kernel command line */
	CHECK(parse(&r, ML, false, "root=/dev/sda ro swiotlb=65536,1048576,force quiet") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 134217728);
	CHECK_EQ_U64(r.cfg.nareas, 1048576);
	CHECK(r.cfg.force);
	CHECK(r.cfg.verbose); /* the kernel's "quiet" is not ours */

	/* two parameters, applied in order */
	CHECK(parse(&r, ML, false, "swiotlb=40000 console=ttyS0,115200 swiotlb=,4,force") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK(r.cfg.force && r.cfg.size_given);
	REQUIRE(r.log.n == 2);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 4.");
	CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 128MB");

	/* the other order: the size comes after the areas and is not re-rounded here */
	CHECK(parse(&r, ML, false, "swiotlb=,4 swiotlb=40000") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 40064);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	REQUIRE(r.log.n == 1);

	/* a later size overrides an earlier one */
	CHECK(parse(&r, ML, false, "swiotlb=1024 swiotlb=2048") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 2048);

	/* quotes, tabs, newlines */
	CHECK(parse(&r, ML, false, "swiotlb=\"65536,4\"") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK(parse(&r, ML, false, "\"swiotlb=force\"") == 0);
	CHECK(r.cfg.force);
	CHECK(parse(&r, ML, false, "dyndbg=\"file swiotlb.c +p\" swiotlb=noforce") == 0);
	CHECK(r.cfg.noforce);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(parse(&r, ML, false, "dyndbg=\"swiotlb=force\"\tswiotlb=1024\n") == 0);
	CHECK(!r.cfg.force);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1024);
	CHECK(parse(&r, ML, false, "  \t\r\n  ") == 0);
	CHECK(parse(&r, ML, false, "") == 0);
	{
		struct swiotlb_config def = default_cfg();
		CHECK(memcmp(&def, &r.cfg, sizeof(def)) == 0);
	}

	/* parameters that only look alike are someone else's */
	CHECK(parse(&r, ML, false, "swiotlbx=5 myswiotlb=4 swiotlb.x=1 SWIOTLB=force xswiotlb") == 0);
	{
		struct swiotlb_config def = default_cfg();
		CHECK(memcmp(&def, &r.cfg, sizeof(def)) == 0);
	}

	/* after "--" the line belongs to init */
	CHECK(parse(&r, ML, false, "swiotlb=force -- swiotlb=64M") == 0);
	CHECK(r.cfg.force);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);

	/* on a config that had none, a size creates the default pool */
	{
		swiotlb_config_init(&r.cfg);
		r.cfg.npools = 0;
		CHECK(parse_into(&r, ML, false, "swiotlb=1024") == 0);
		CHECK_EQ_U64(r.cfg.npools, 1);
		CHECK_STR(r.cfg.pools[0].name, "default");
		CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1024);
	}

	/* opts may be NULL (mainline, strict, silent) */
	{
		struct swiotlb_config c = default_cfg(), before;
		CHECK(swiotlb_parse_cmdline("swiotlb=40000,4", NULL, &c) == 0);
		CHECK_EQ_U64(c.pools[0].nslabs, 65536);
		memcpy(&before, &c, sizeof(c));
		CHECK(swiotlb_parse_cmdline("swiotlb=64M", NULL, &c) == SWIOTLB_EBADCONFIG);
		CHECK(memcmp(&before, &c, sizeof(c)) == 0);
	}
}

static void test_mainline_strict_errors(void)
{
	expect_error(ML, false, "swiotlb=force,4", "swiotlb=force,4: unexpected \",4\" after \"force\"");
	expect_error(ML, false, "swiotlb=noforce,force",
		     "swiotlb=noforce,force: unexpected \",force\" after \"noforce\"");
	expect_error(ML, false, "swiotlb=64M",
		     "swiotlb=64M: \"M\" after the number: mainline takes a slot count, not a size");
	expect_error(ML, false, "swiotlb=1G,force",
		     "swiotlb=1G,force: \"G\" after the number: mainline takes a slot count, not a size");
	expect_error(ML, false, "swiotlb=64,4k",
		     "swiotlb=64,4k: \"k\" after the number: mainline takes a slot count, not a size");
	expect_error(ML, false, "swiotlb=64MB",
		     "swiotlb=64MB: \"MB\" after the number: mainline takes a slot count, not a size");
	expect_error(ML, false, "swiotlb=64x", "swiotlb=64x: unexpected \"x\" after \"64\"");
	expect_error(ML, false, "swiotlb=0x", "swiotlb=0x: unexpected \"x\" after \"0\"");
	expect_error(ML, false, "swiotlb=0x1z", "swiotlb=0x1z: unexpected \"z\" after \"0x1\"");
	expect_error(ML, false, "swiotlb=64;force", "swiotlb=64;force: unexpected \";force\" after \"64\"");
	expect_error(ML, false, "swiotlb=08",
		     "swiotlb=08: \"8\" is not an octal digit (a leading 0 makes the number octal)");
	expect_error(ML, false, "swiotlb=,09",
		     "swiotlb=,09: \"9\" is not an octal digit (a leading 0 makes the number octal)");
	expect_error(ML, false, "swiotlb=99999999999999999999",
		     "swiotlb=99999999999999999999: \"99999999999999999999\" does not fit in 64 bits");
	expect_error(ML, false, "swiotlb=0x10000000000000000",
		     "swiotlb=0x10000000000000000: \"0x10000000000000000\" does not fit in 64 bits");
	expect_error(ML, false, "swiotlb=,18446744073709551616",
		     "swiotlb=,18446744073709551616: \"18446744073709551616\" does not fit in 64 bits");
	expect_error(ML, false, "swiotlb=", "swiotlb=: empty value (expected [<nslabs>][,<nareas>][,force|noforce])");
	expect_error(ML, false, "swiotlb=\"\"",
		     "swiotlb=: empty value (expected [<nslabs>][,<nareas>][,force|noforce])");
	expect_error(ML, false, "swiotlb=,",
		     "swiotlb=,: no number or keyword (expected [<nslabs>][,<nareas>][,force|noforce])");
	expect_error(ML, false, "swiotlb=4294967297",
		     "swiotlb=4294967297: \"4294967297\" gives 4294967297 slots, over the limit of 4294967296 "
		     "(2^32 slots, 8 TiB)");
	expect_error(ML, false, "swiotlb=0", "swiotlb=0: \"0\" gives an empty pool (0 slots)");
	expect_error(ML, false, "swiotlb=,33554433",
		     "swiotlb=,33554433: the area count \"33554433\" is over the limit of 33554432 "
		     "(128 slots per area, 2^32 slots)");
	expect_error(ML, false, "swiotlb=64,4,5",
		     "swiotlb=64,4,5: unexpected number \"5\" after \"64,4,\": mainline takes at most two "
		     "numbers, [<nslabs>][,<nareas>][,force|noforce]");
	expect_error(ML, false, "swiotlb=64,4,force,1", "swiotlb=64,4,force,1: unexpected \",1\" after \"force\"");
	expect_error(ML, false, "swiotlb=forse", "swiotlb=forse: unknown keyword \"forse\" (expected force or noforce)");
	expect_error(ML, false, "swiotlb=forcex",
		     "swiotlb=forcex: unknown keyword \"forcex\" (expected force or noforce)");
	expect_error(ML, false, "swiotlb=64,any", "swiotlb=64,any: unknown keyword \"any\" (expected force or noforce)");
	expect_error(ML, false, "swiotlb=pool=a:slots=1",
		     "swiotlb=pool=a:slots=1: unknown keyword \"pool=a:slots=1\" (expected force or noforce; "
		     "this looks like the named dialect)");
	expect_error(ML, false, "swiotlb=64,,,force", "swiotlb=64,,,force: unexpected \",force\" after \"64,,\"");
	expect_error(ML, false, "swiotlb=-5", "swiotlb=-5: unknown keyword \"-5\" (expected force or noforce)");
	expect_error(ML, false, "swiotlb", "swiotlb: missing \"=VALUE\"");
	expect_error(ML, false, "ro swiotlb quiet", "swiotlb: missing \"=VALUE\"");
	expect_error(ML, false, "swiotlb=\"force", "swiotlb=force: unterminated '\"'");
	expect_error(ML, false, "swiotlb=force swiotlb=noforce",
		     "swiotlb=noforce: noforce contradicts force given earlier");
	expect_error(ML, false, "swiotlb=noforce swiotlb=force",
		     "swiotlb=force: force contradicts noforce given earlier");
	/* the first bad parameter is reported even after good ones */
	expect_error(ML, false, "root=/dev/vda swiotlb=40000,4 swiotlb=64M quiet",
		     "swiotlb=64M: \"M\" after the number: mainline takes a slot count, not a size");
}

static void test_mainline_lenient(void)
{
	struct run r;

	/* exactly the kernel: anything unexpected is silently skipped */
	expect_ignored(ML, "swiotlb=force,4");
	expect_ignored(ML, "swiotlb=noforce,force");
	expect_ignored(ML, "swiotlb=forse");
	expect_ignored(ML, "swiotlb=");
	expect_ignored(ML, "swiotlb=,");
	expect_ignored(ML, "swiotlb");
	expect_ignored(ML, "swiotlb=-5");
	expect_ignored(ML, "swiotlb=pool=a:slots=1");

	/* the number is taken, what follows it is not */
	CHECK(parse(&r, ML, true, "swiotlb=64M") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK(r.cfg.size_given && r.log.n == 0);
	CHECK(parse(&r, ML, true, "swiotlb=64M,force") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK(!r.cfg.force);
	CHECK(parse(&r, ML, true, "swiotlb=64,4,5") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 512);

	/* "08": octal 0, then "8" is read as the area count, as the kernel does */
	CHECK(parse(&r, ML, true, "swiotlb=08") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 8);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1024);
	REQUIRE(r.log.n == 2);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 8.");
	CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 2MB");

	/* zero slots are stored, numbers wrap modulo 2^64 */
	CHECK(parse(&r, ML, true, "swiotlb=0") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 0);
	CHECK(parse(&r, ML, true, "swiotlb=99999999999999999999") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 7766279631452241920ull);
	CHECK(parse(&r, ML, true, "swiotlb=4294967297") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4294967424ull);

	/* the kernel's unsigned int area count */
	CHECK(parse(&r, ML, true, "swiotlb=,4294967296") == 0); /* truncates to 0 -> 1 */
	CHECK_EQ_U64(r.cfg.nareas, 1);
	REQUIRE(r.log.n == 1);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 1.");
	CHECK(parse(&r, ML, true, "swiotlb=,3000000000") == 0); /* rounds to 2^32, truncates to 0 */
	CHECK_EQ_U64(r.cfg.nareas, 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	REQUIRE(r.log.n == 1);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 0.");
	CHECK(parse(&r, ML, true, "swiotlb=,33554432") == 0); /* 128 * 2^25 is 0 in 32 bits */
	CHECK_EQ_U64(r.cfg.nareas, 33554432);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	REQUIRE(r.log.n == 1);
	CHECK(parse(&r, ML, true, "swiotlb=,2147483648") == 0);
	REQUIRE(r.log.n == 1);
	CHECK_STR(r.log.line[0], "software IO TLB: area num -2147483648.");

	/* both keywords across parameters: both flags, like the kernel */
	CHECK(parse(&r, ML, true, "swiotlb=force swiotlb=noforce") == 0);
	CHECK(r.cfg.force && r.cfg.noforce);

	/* an open quote runs to the end of the line */
	CHECK(parse(&r, ML, true, "swiotlb=\"force") == 0);
	CHECK(r.cfg.force);

	/* good parameters around a bad one still apply */
	CHECK(parse(&r, ML, true, "swiotlb=40000 swiotlb=force,4 swiotlb=,4") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK(!r.cfg.force);
}

/* ---------------------------------------------------------------- rfc2021 */

static void test_rfc2021(void)
{
	struct run r;

	for (int lenient = 0; lenient < 2; lenient++) {
		CHECK(parse(&r, RFC, lenient, "swiotlb=65536,1048576,force") == 0);
		CHECK_EQ_U64(r.cfg.dialect, RFC);
		CHECK_EQ_U64(r.cfg.npools, 2);
		CHECK_STR(r.cfg.pools[0].name, "default");
		CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
		CHECK_EQ_U64(r.cfg.pools[0].placement, SWIOTLB_PLACE_LOW);
		CHECK(!r.cfg.pools[0].placement_set);
		CHECK_STR(r.cfg.pools[1].name, "highmem");
		CHECK_EQ_U64(r.cfg.pools[1].nslabs, 1048576);
		CHECK_EQ_U64(r.cfg.pools[1].placement, SWIOTLB_PLACE_ANY);
		CHECK(r.cfg.pools[1].placement_set);
		CHECK_EQ_U64(r.cfg.pools[1].nareas, 0);
		CHECK(!r.cfg.pools[1].exact && !r.cfg.pools[1].has_base);
		CHECK_EQ_U64(r.cfg.nareas, 0); /* no area count in this dialect */
		CHECK(r.cfg.force && !r.cfg.noforce && r.cfg.size_given);
		CHECK(r.log.n == 0);
	}

	/* default low + 1 GiB high */
	CHECK(parse(&r, RFC, false, "swiotlb=,524288,force") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(!r.cfg.size_given);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 524288);

	/* the 2022 respin's example */
	CHECK(parse(&r, RFC, false, "swiotlb=327680,3145728,force") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 327680);
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 3145728);

	CHECK(parse(&r, RFC, false, "swiotlb=100,200") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 256);
	CHECK(!r.cfg.force);

	CHECK(parse(&r, RFC, false, "swiotlb=40000") == 0);
	CHECK_EQ_U64(r.cfg.npools, 1);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 40064); /* no area rounding */

	/* noforce shrinks both buffers to one slot */
	CHECK(parse(&r, RFC, false, "swiotlb=65536,1048576,noforce") == 0);
	CHECK(r.cfg.noforce);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1);
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 1);
	CHECK(parse(&r, RFC, false, "swiotlb=noforce") == 0);
	CHECK_EQ_U64(r.cfg.npools, 1);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1);

	/* in a full line, twice */
	CHECK(parse(&r, RFC, false, "ro swiotlb=65536,1048576 iommu=soft swiotlb=,2048,force") == 0);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 2048);
	CHECK(r.cfg.force);

	expect_error(RFC, false, "swiotlb=64M", "swiotlb=64M: \"M\" after the number: rfc2021 takes a slot count, not a size");
	expect_error(RFC, false, "swiotlb=64,1G", "swiotlb=64,1G: \"G\" after the number: rfc2021 takes a slot count, not a size");
	expect_error(RFC, false, "swiotlb=1,2,3",
		     "swiotlb=1,2,3: unexpected number \"3\" after \"1,2,\": rfc2021 takes at most two numbers, "
		     "[<low>][,<high>][,force|noforce]");
	expect_error(RFC, false, "swiotlb=force,4", "swiotlb=force,4: unexpected \",4\" after \"force\"");
	expect_error(RFC, false, "swiotlb=65536,0", "swiotlb=65536,0: \"0\" gives an empty pool (0 slots)");
	expect_error(RFC, false, "swiotlb=,4294967297",
		     "swiotlb=,4294967297: \"4294967297\" gives 4294967297 slots, over the limit of 4294967296 "
		     "(2^32 slots, 8 TiB)");
	expect_error(RFC, false, "swiotlb=", "swiotlb=: empty value (expected [<low>][,<high>][,force|noforce])");
	expect_error(RFC, false, "swiotlb=1,99999999999999999999x",
		     "swiotlb=1,99999999999999999999x: unexpected \"x\" after \"99999999999999999999\"");

	expect_ignored(RFC, "swiotlb=force,4");
	expect_ignored(RFC, "swiotlb=lowmem");
	CHECK(parse(&r, RFC, true, "swiotlb=65536,0") == 0); /* the RFC's "no high buffer" */
	CHECK_EQ_U64(r.cfg.npools, 1);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK(parse(&r, RFC, true, "swiotlb=1024,2048 swiotlb=,0") == 0);
	CHECK_EQ_U64(r.cfg.npools, 1);
	CHECK(parse(&r, RFC, true, "swiotlb=64M,2048") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK_EQ_U64(r.cfg.npools, 1); /* "M" stops the kernel's reading before ",2048" is a number */
}

/* ------------------------------------------------------------------ named */

static void test_named(void)
{
	struct run r;

	CHECK(parse(&r, NAMED, false, "swiotlb=force,any,quiet,nofallback,policy=first_fit") == 0);
	CHECK_EQ_U64(r.cfg.dialect, NAMED);
	CHECK(r.cfg.force && r.cfg.any && !r.cfg.verbose && r.cfg.no_fallback && !r.cfg.noforce);
	CHECK_STR(r.cfg.policy, "first_fit");
	CHECK_EQ_U64(r.cfg.npools, 1);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(r.log.n == 0);
	CHECK(!r.cfg.debug); /* off unless asked for */
	CHECK(parse(&r, NAMED, false, "swiotlb=quiet,debug") == 0);
	CHECK(r.cfg.debug && !r.cfg.force);
	expect_error(NAMED, false, "swiotlb=debug=1", "swiotlb=debug=1: debug takes no value");

	CHECK(parse(&r, NAMED, false, "swiotlb=quiet,verbose,noforce") == 0);
	CHECK(r.cfg.verbose && r.cfg.noforce);

	CHECK(parse(&r, NAMED, false,
		    "swiotlb=pool=low:slots=65536,pool=high:size=2G:placement=any:areas=8,areas=4") == 0);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK_STR(r.cfg.pools[0].name, "low");
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK_EQ_U64(r.cfg.pools[0].nareas, 0);
	CHECK_EQ_U64(r.cfg.pools[0].placement, SWIOTLB_PLACE_LOW);
	CHECK(!r.cfg.pools[0].placement_set);
	CHECK_STR(r.cfg.pools[1].name, "high");
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 1048576);
	CHECK_EQ_U64(r.cfg.pools[1].placement, SWIOTLB_PLACE_ANY);
	CHECK(r.cfg.pools[1].placement_set);
	CHECK_EQ_U64(r.cfg.pools[1].nareas, 8);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	CHECK(r.cfg.size_given);
	REQUIRE(r.log.n == 1);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 4.");

	/* global areas re-round pools[0] as in mainline */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:slots=40000,areas=3") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	CHECK_EQ_U64(r.cfg.nareas, 4);
	REQUIRE(r.log.n == 2);
	CHECK_STR(r.log.line[0], "software IO TLB: area num 4.");
	CHECK_STR(r.log.line[1], "software IO TLB: SWIOTLB bounce buffer size roundup to 128MB");
	CHECK(parse(&r, NAMED, false, "swiotlb=areas=0") == 0);
	CHECK_EQ_U64(r.cfg.nareas, 1);
	/* ... but never an exact one */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:slots=1000:exact,areas=4") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1000);
	REQUIRE(r.log.n == 1);

	/* slots, size, exact */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:slots=1000") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1024);
	CHECK(!r.cfg.pools[0].exact);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:slots=1000:exact") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1000);
	CHECK(r.cfg.pools[0].exact);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:exact:slots=0x3e8") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1000);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:size=64M") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(r.cfg.size_given);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:size=0x100000") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 512);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:size=4K") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:size=4k:exact") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 2);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:size=1g") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 524288);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:size=010000") == 0); /* octal: 4096 bytes */
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 128);

	/* a pool without a size: 32768 slots, and the arch may still adjust it */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a") == 0);
	CHECK_STR(r.cfg.pools[0].name, "a");
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(!r.cfg.size_given);

	/* areas per pool: rounded unless exact */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:areas=3") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nareas, 4);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:areas=0") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nareas, 1);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:slots=1024:areas=4:exact") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nareas, 4);
	CHECK(r.log.n == 0);

	/* base, placement, policy */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=r:slots=512:base=0x80000000:exact:placement=low:policy=linux") == 0);
	CHECK(r.cfg.pools[0].has_base);
	CHECK_EQ_U64(r.cfg.pools[0].base, 0x80000000ull);
	CHECK_EQ_U64(r.cfg.pools[0].placement, SWIOTLB_PLACE_LOW);
	CHECK(r.cfg.pools[0].placement_set);
	CHECK_STR(r.cfg.pools[0].policy, "linux");
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=r:base=4G") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].base, 4ull << 30);

	/* the first pool= replaces the default pool, the others append */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=x,pool=default") == 0);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK_STR(r.cfg.pools[0].name, "x");
	CHECK_STR(r.cfg.pools[1].name, "default");
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=default:slots=1024") == 0);
	CHECK_EQ_U64(r.cfg.npools, 1);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 1024);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:slots=1024 root=/dev/sda swiotlb=pool=b:slots=2048,force") == 0);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK_STR(r.cfg.pools[0].name, "a");
	CHECK_STR(r.cfg.pools[1].name, "b");
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 2048);
	CHECK(r.cfg.force);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=Aa_Z-9") == 0);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=abcdefghijklmnopqrstuvw") == 0); /* 23 characters */

	/* up to SWIOTLB_MAX_POOLS */
	{
		char line[1024] = "swiotlb=";
		for (int i = 0; i < SWIOTLB_MAX_POOLS; i++)
			sprintf(line + strlen(line), "%spool=p%d:slots=128", i ? "," : "", i);
		CHECK(parse(&r, NAMED, false, line) == 0);
		CHECK_EQ_U64(r.cfg.npools, SWIOTLB_MAX_POOLS);
		CHECK_STR(r.cfg.pools[SWIOTLB_MAX_POOLS - 1].name, "p15");
		strcat(line, ",pool=p16");
		char msg[1200];
		/* the quoted value is cut after 124 characters, with "..." */
		snprintf(msg, sizeof(msg), "%.132s...: pool \"p16\": too many pools (at most 16)", line);
		expect_error(NAMED, false, line, msg);
	}

	/* the examples of docs/cmdline.md */
	CHECK(parse(&r, NAMED, false,
		    "swiotlb=pool=low:slots=65536,pool=high:size=2G:placement=any:areas=8,areas=4,force") == 0);
	CHECK(r.cfg.force);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK(parse(&r, NAMED, false,
		    "swiotlb=pool=dma32:size=64M,pool=restricted:slots=512:base=0x80000000:exact,nofallback") == 0);
	CHECK_EQ_U64(r.cfg.npools, 2);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK_STR(r.cfg.pools[1].name, "restricted");
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 512);
	CHECK(r.cfg.pools[1].exact && r.cfg.pools[1].has_base && r.cfg.no_fallback);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a swiotlb=pool=b") == 0);
	CHECK_EQ_U64(r.cfg.npools, 2);

	/* lenient changes nothing in the named dialect */
	expect_error(NAMED, true, "swiotlb=force,4",
		     "swiotlb=force,4: unknown item \"4\": the named dialect has no positional numbers "
		     "(use pool=NAME:slots=N or areas=N)");
	CHECK(parse(&r, NAMED, true, "swiotlb=pool=a:size=8M") == 0);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4096);
}

static void test_named_errors(void)
{
	expect_error(NAMED, false, "swiotlb=", "swiotlb=: empty value (expected items such as force or pool=NAME:slots=N)");
	expect_error(NAMED, false, "swiotlb=65536",
		     "swiotlb=65536: unknown item \"65536\": the named dialect has no positional numbers "
		     "(use pool=NAME:slots=N or areas=N)");
	expect_error(NAMED, false, "swiotlb=forse",
		     "swiotlb=forse: unknown item \"forse\" (expected force, noforce, any, verbose, quiet, "
		     "nofallback, debug, policy=, areas= or pool=)");
	expect_error(NAMED, false, "swiotlb=force,,quiet",
		     "swiotlb=force,,quiet: item 2 is empty (a comma with nothing before or after it)");
	expect_error(NAMED, false, "swiotlb=force,",
		     "swiotlb=force,: item 2 is empty (a comma with nothing before or after it)");
	expect_error(NAMED, false, "swiotlb=,force",
		     "swiotlb=,force: item 1 is empty (a comma with nothing before or after it)");
	expect_error(NAMED, false, "swiotlb=force=1", "swiotlb=force=1: force takes no value");
	expect_error(NAMED, false, "swiotlb=quiet=", "swiotlb=quiet=: quiet takes no value");
	expect_error(NAMED, false, "swiotlb=force,noforce", "swiotlb=force,noforce: noforce contradicts force given earlier");
	expect_error(NAMED, false, "swiotlb=policy", "swiotlb=policy: policy needs a value (policy=NAME)");
	expect_error(NAMED, false, "swiotlb=policy=", "swiotlb=policy=: policy= needs a name");
	expect_error(NAMED, false, "swiotlb=policy=Linux",
		     "swiotlb=policy=Linux: policy name \"Linux\" has 'L': use a-z, 0-9 and '_'");
	expect_error(NAMED, false, "swiotlb=policy=abcdefghijklmnop",
		     "swiotlb=policy=abcdefghijklmnop: policy name \"abcdefghijklmnop\" is longer than 15 characters");
	expect_error(NAMED, false, "swiotlb=areas", "swiotlb=areas: areas needs a value (areas=N)");
	expect_error(NAMED, false, "swiotlb=areas=4x", "swiotlb=areas=4x: in \"areas=4x\", unexpected \"x\" after \"4\"");
	expect_error(NAMED, false, "swiotlb=areas=x", "swiotlb=areas=x: in \"areas=x\", \"x\" is not a number");
	expect_error(NAMED, false, "swiotlb=areas=", "swiotlb=areas=: in \"areas=\", \"\" is not a number");
	expect_error(NAMED, false, "swiotlb=areas=33554433",
		     "swiotlb=areas=33554433: the area count \"33554433\" is over the limit of 33554432 "
		     "(128 slots per area, 2^32 slots)");
	expect_error(NAMED, false, "swiotlb=pool", "swiotlb=pool: pool needs a value (pool=NAME:ATTR...)");
	expect_error(NAMED, false, "swiotlb=pool=", "swiotlb=pool=: pool= needs a name");
	expect_error(NAMED, false, "swiotlb=pool=:slots=1", "swiotlb=pool=:slots=1: pool= needs a name");
	expect_error(NAMED, false, "swiotlb=pool=a.b",
		     "swiotlb=pool=a.b: pool name \"a.b\" has '.': use A-Z, a-z, 0-9, '_' and '-'");
	expect_error(NAMED, false, "swiotlb=pool=abcdefghijklmnopqrstuvwx",
		     "swiotlb=pool=abcdefghijklmnopqrstuvwx: pool name \"abcdefghijklmnopqrstuvwx\" is longer than "
		     "23 characters");
	expect_error(NAMED, false, "swiotlb=pool=a,pool=a", "swiotlb=pool=a,pool=a: pool \"a\": the name is used twice");
	expect_error(NAMED, false, "swiotlb=pool=a swiotlb=pool=a",
		     "swiotlb=pool=a: pool \"a\": the name is used twice");
	expect_error(NAMED, false, "swiotlb=pool=a:", "swiotlb=pool=a:: pool \"a\": empty attribute (two ':' in a row, or a trailing ':')");
	expect_error(NAMED, false, "swiotlb=pool=a::exact",
		     "swiotlb=pool=a::exact: pool \"a\": empty attribute (two ':' in a row, or a trailing ':')");
	expect_error(NAMED, false, "swiotlb=pool=a:color=red",
		     "swiotlb=pool=a:color=red: pool \"a\": unknown attribute \"color\" (expected slots=, size=, "
		     "areas=, placement=, policy=, base= or exact)");
	expect_error(NAMED, false, "swiotlb=pool=a:exact=1", "swiotlb=pool=a:exact=1: pool \"a\": exact takes no value");
	expect_error(NAMED, false, "swiotlb=pool=a:slots", "swiotlb=pool=a:slots: pool \"a\": slots needs a value (slots=...)");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=1:slots=2",
		     "swiotlb=pool=a:slots=1:slots=2: pool \"a\": slots= given twice");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=1:size=2048",
		     "swiotlb=pool=a:slots=1:size=2048: pool \"a\": both slots= and size= given");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=abc",
		     "swiotlb=pool=a:slots=abc: in \"slots=abc\", \"abc\" is not a number");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=64M",
		     "swiotlb=pool=a:slots=64M: in \"slots=64M\", \"M\" after the number: slots= takes a slot count; "
		     "use size= for bytes");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=08",
		     "swiotlb=pool=a:slots=08: in \"slots=08\", \"8\" is not an octal digit (a leading 0 makes the "
		     "number octal)");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=0", "swiotlb=pool=a:slots=0: pool \"a\": slots=0 gives an empty pool (0 slots)");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=4294967297",
		     "swiotlb=pool=a:slots=4294967297: pool \"a\": slots=4294967297 gives 4294967297 slots, over the "
		     "limit of 4294967296 (2^32 slots, 8 TiB)");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=18446744073709551616",
		     "swiotlb=pool=a:slots=18446744073709551616: in \"slots=18446744073709551616\", the number does "
		     "not fit in 64 bits");
	expect_error(NAMED, false, "swiotlb=pool=a:size=1000",
		     "swiotlb=pool=a:size=1000: pool \"a\": size=1000 bytes is not a multiple of 2048 (one slot)");
	expect_error(NAMED, false, "swiotlb=pool=a:size=0", "swiotlb=pool=a:size=0: pool \"a\": size=0 gives an empty pool (0 slots)");
	expect_error(NAMED, false, "swiotlb=pool=a:size=16T",
		     "swiotlb=pool=a:size=16T: in \"size=16T\", \"T\" after the number: size= takes only a K, M or G suffix");
	expect_error(NAMED, false, "swiotlb=pool=a:size=1KB",
		     "swiotlb=pool=a:size=1KB: in \"size=1KB\", \"KB\" after the number: size= takes only a K, M or G "
		     "suffix");
	expect_error(NAMED, false, "swiotlb=pool=a:size=16384G",
		     "swiotlb=pool=a:size=16384G: pool \"a\": size=17592186044416 gives 8589934592 slots, over the "
		     "limit of 4294967296 (2^32 slots, 8 TiB)");
	expect_error(NAMED, false, "swiotlb=pool=a:size=17179869184G",
		     "swiotlb=pool=a:size=17179869184G: in \"size=17179869184G\", the number does not fit in 64 bits");
	expect_error(NAMED, false, "swiotlb=pool=a:areas=33554433",
		     "swiotlb=pool=a:areas=33554433: pool \"a\": the area count \"33554433\" is over the limit of "
		     "33554432 (128 slots per area, 2^32 slots)");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=1024:areas=3:exact",
		     "swiotlb=pool=a:slots=1024:areas=3:exact: pool \"a\": an exact pool needs areas= to be a power "
		     "of two from 1 to 33554432, not \"3\"");
	expect_error(NAMED, false, "swiotlb=pool=a:slots=1000:areas=16:exact",
		     "swiotlb=pool=a:slots=1000:areas=16:exact: pool \"a\": an exact pool of 1000 slots cannot be "
		     "split into 16 areas");
	expect_error(NAMED, false, "swiotlb=pool=a:placement=high",
		     "swiotlb=pool=a:placement=high: pool \"a\": placement \"high\" (expected low or any)");
	expect_error(NAMED, false, "swiotlb=pool=a:policy=Best",
		     "swiotlb=pool=a:policy=Best: pool \"a\": policy name \"Best\" has 'B': use a-z, 0-9 and '_'");
	expect_error(NAMED, false, "swiotlb=pool=a:base=0x1234",
		     "swiotlb=pool=a:base=0x1234: pool \"a\": base=0x1234 is not 4096-aligned");
	expect_error(NAMED, false, "swiotlb=pool=a:base=0xfffffffffffff000:slots=128",
		     "swiotlb=pool=a:base=0xfffffffffffff000:slots=128: pool \"a\": base=0xfffffffffffff000 plus 128 "
		     "slots goes past the top of the address space");
	expect_error(NAMED, false, "swiotlb=pool=a,65536,4",
		     "swiotlb=pool=a,65536,4: unknown item \"65536\": the named dialect has no positional numbers "
		     "(use pool=NAME:slots=N or areas=N)");
	expect_error(NAMED, false, "swiotlb=\"pool=a", "swiotlb=pool=a: unterminated '\"'");
	expect_error(NAMED, false, "swiotlb", "swiotlb: missing \"=VALUE\"");
}

/* -------------------------------------------------------------- adjust_size */

static void test_adjust_size(void)
{
	struct logcap lc;
	struct swiotlb_config c;
	struct run r;

	/* the default size replaced, no area count yet: no rounding */
	swiotlb_config_init(&c);
	memset(&lc, 0, sizeof(lc));
	swiotlb_config_adjust_size(&c, 256ull << 20, capture, &lc);
	CHECK_EQ_U64(c.pools[0].nslabs, 131072);
	REQUIRE(lc.n == 1);
	CHECK_STR(lc.line[0], "software IO TLB: SWIOTLB bounce buffer size adjusted to 256MB");
	CHECK(lc.level[0] == SWIOTLB_LOG_INFO);

	/* area count fixed on the command line: rounded silently, and the one
	 * "adjusted" line reports the final size (as the kernel does) */
	CHECK(parse(&r, ML, false, "swiotlb=,4") == 0);
	memset(&lc, 0, sizeof(lc));
	swiotlb_config_adjust_size(&r.cfg, 100ull << 20, capture, &lc);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	REQUIRE(lc.n == 1);
	CHECK_STR(lc.line[0], "software IO TLB: SWIOTLB bounce buffer size adjusted to 128MB");

	/* already a power of two: adjusted only */
	CHECK(parse(&r, ML, false, "swiotlb=,4") == 0);
	memset(&lc, 0, sizeof(lc));
	swiotlb_config_adjust_size(&r.cfg, 128ull << 20, capture, &lc);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 65536);
	REQUIRE(lc.n == 1);

	/* too small for the areas */
	CHECK(parse(&r, ML, false, "swiotlb=,64") == 0);
	memset(&lc, 0, sizeof(lc));
	swiotlb_config_adjust_size(&r.cfg, 1 << 20, capture, &lc);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 8192);
	REQUIRE(lc.n == 1);
	CHECK_STR(lc.line[0], "software IO TLB: SWIOTLB bounce buffer size adjusted to 16MB");

	/* bytes are aligned to a slot, slots to a segment */
	swiotlb_config_init(&c);
	memset(&lc, 0, sizeof(lc));
	swiotlb_config_adjust_size(&c, 1000, capture, &lc);
	CHECK_EQ_U64(c.pools[0].nslabs, 128);
	REQUIRE(lc.n == 1);
	CHECK_STR(lc.line[0], "software IO TLB: SWIOTLB bounce buffer size adjusted to 0MB");
	swiotlb_config_init(&c);
	swiotlb_config_adjust_size(&c, (129ull * 2048) + 1, NULL, NULL);
	CHECK_EQ_U64(c.pools[0].nslabs, 256);
	swiotlb_config_init(&c);
	swiotlb_config_adjust_size(&c, UINT64_MAX, NULL, NULL);
	CHECK_EQ_U64(c.pools[0].nslabs, 1ull << 53);

	/* ignored: a size from the user, even 32768; a non-default size; 0; exact */
	{
		const char *lines[] = { "swiotlb=40000", "swiotlb=32768", "swiotlb=0x8000,force" };
		for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			CHECK(parse(&r, ML, false, lines[i]) == 0);
			struct swiotlb_config before = r.cfg;
			memset(&lc, 0, sizeof(lc));
			swiotlb_config_adjust_size(&r.cfg, 256ull << 20, capture, &lc);
			CHECK(memcmp(&before, &r.cfg, sizeof(before)) == 0);
			CHECK(lc.n == 0);
		}
	}
	swiotlb_config_init(&c);
	c.pools[0].nslabs = 65536;
	memset(&lc, 0, sizeof(lc));
	swiotlb_config_adjust_size(&c, 256ull << 20, capture, &lc);
	CHECK_EQ_U64(c.pools[0].nslabs, 65536);
	CHECK(lc.n == 0);
	swiotlb_config_init(&c);
	swiotlb_config_adjust_size(&c, 0, capture, &lc);
	CHECK_EQ_U64(c.pools[0].nslabs, 32768);
	CHECK(lc.n == 0);
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a:exact") == 0);
	swiotlb_config_adjust_size(&r.cfg, 256ull << 20, capture, &lc);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 32768);
	CHECK(lc.n == 0);
	/* a named pool without a size is still the default size */
	CHECK(parse(&r, NAMED, false, "swiotlb=pool=a") == 0);
	swiotlb_config_adjust_size(&r.cfg, 256ull << 20, NULL, NULL);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 131072);
	/* rfc2021's empty low field keeps the default size adjustable */
	CHECK(parse(&r, RFC, false, "swiotlb=,524288") == 0);
	swiotlb_config_adjust_size(&r.cfg, 256ull << 20, NULL, NULL);
	CHECK_EQ_U64(r.cfg.pools[0].nslabs, 131072);
	CHECK_EQ_U64(r.cfg.pools[1].nslabs, 524288);
	swiotlb_config_adjust_size(NULL, 1, NULL, NULL); /* no crash */
}

/* ------------------------------------------------------------ the API edges */

static void test_api_edges(void)
{
	struct swiotlb_config c, before;
	struct swiotlb_parse_opts o;
	char err[64];

	memset(&o, 0, sizeof(o));
	o.err = err;
	o.err_len = sizeof(err);
	swiotlb_config_init(&c);
	CHECK(swiotlb_parse_cmdline(NULL, &o, &c) == SWIOTLB_EINVAL);
	CHECK(err[0] != 0);
	CHECK(swiotlb_parse_cmdline("swiotlb=force", &o, NULL) == SWIOTLB_EINVAL);
	o.dialect = 3;
	CHECK(swiotlb_parse_cmdline("swiotlb=force", &o, &c) == SWIOTLB_EINVAL);
	CHECK_STR(err, "unknown dialect");
	CHECK(!c.force);
	o.dialect = ML;
	memset(&c, 0, sizeof(c)); /* never initialised */
	CHECK(swiotlb_parse_cmdline("swiotlb=force", &o, &c) == SWIOTLB_EINVAL);
	CHECK_STR(err, "config not initialised by swiotlb_config_init");
	CHECK(!c.force);
	swiotlb_config_init(&c);
	c.npools = SWIOTLB_MAX_POOLS + 1;
	CHECK(swiotlb_parse_cmdline("swiotlb=force", &o, &c) == SWIOTLB_EINVAL);

	/* a successful parse clears a stale message */
	swiotlb_config_init(&c);
	strcpy(err, "stale");
	CHECK(swiotlb_parse_cmdline("swiotlb=force", &o, &c) == 0);
	CHECK_STR(err, "");

	/* a short buffer is cut and terminated */
	{
		char small[12];
		memset(small, 'z', sizeof(small));
		o.err = small;
		o.err_len = sizeof(small);
		CHECK(swiotlb_parse_cmdline("swiotlb=64M", &o, &c) == SWIOTLB_EBADCONFIG);
		CHECK_STR(small, "swiotlb=64M");
		o.err_len = 1;
		small[0] = 'z';
		CHECK(swiotlb_parse_cmdline("swiotlb=64M", &o, &c) == SWIOTLB_EBADCONFIG);
		CHECK(small[0] == 0);
		o.err_len = 0;
		small[0] = 'z';
		CHECK(swiotlb_parse_cmdline("swiotlb=64M", &o, &c) == SWIOTLB_EBADCONFIG);
		CHECK(small[0] == 'z');
		o.err = NULL;
		CHECK(swiotlb_parse_cmdline("swiotlb=64M", &o, &c) == SWIOTLB_EBADCONFIG);
	}

	/* a long parameter is quoted cut, with "..." */
	{
		char line[400] = "swiotlb=pool=a:slots=128";
		for (int i = 0; i < 20; i++)
			strcat(line, ":exact");
		strcat(line, ":bogus");
		char msg[256];
		struct run r;
		swiotlb_config_init(&r.cfg);
		parse_into(&r, NAMED, false, line);
		CHECK(r.rc == SWIOTLB_EBADCONFIG);
		snprintf(msg, sizeof(msg), "%.132s...: pool \"a\": unknown attribute \"bogus\"", line);
		CHECK(strncmp(r.err, msg, strlen(msg)) == 0);
	}

	/* errors leave a config that was already changed exactly as it was */
	{
		struct run r;
		CHECK(parse(&r, ML, false, "swiotlb=40000,4,force") == 0);
		memcpy(&before, &r.cfg, sizeof(before));
		parse_into(&r, ML, false, "swiotlb=1024 swiotlb=,8 swiotlb=1G");
		CHECK(r.rc == SWIOTLB_EBADCONFIG);
		CHECK(r.log.n == 0);
		CHECK(memcmp(&before, &r.cfg, sizeof(before)) == 0);
		parse_into(&r, NAMED, false, "swiotlb=pool=a:slots=1,pool=b,pool=a");
		CHECK(r.rc == SWIOTLB_EBADCONFIG);
		CHECK(memcmp(&before, &r.cfg, sizeof(before)) == 0);
		parse_into(&r, RFC, false, "swiotlb=1,2 swiotlb=3,4,5");
		CHECK(r.rc == SWIOTLB_EBADCONFIG);
		CHECK(memcmp(&before, &r.cfg, sizeof(before)) == 0);
	}

	/* the parse works on what the caller already set */
	{
		struct run r;
		swiotlb_config_init(&r.cfg);
		r.cfg.ncpus = 8;
		r.cfg.pools[0].nslabs = 4096;
		CHECK(parse_into(&r, ML, false, "swiotlb=,2") == 0);
		CHECK_EQ_U64(r.cfg.ncpus, 8);
		CHECK_EQ_U64(r.cfg.pools[0].nslabs, 4096);
		CHECK_EQ_U64(r.cfg.nareas, 2);
		CHECK(r.log.n == 1);
	}
}

int main(void)
{
	test_defaults();
	test_mainline_examples();
	test_mainline_lines();
	test_mainline_strict_errors();
	test_mainline_lenient();
	test_rfc2021();
	test_named();
	test_named_errors();
	test_adjust_size();
	test_api_edges();
	return check_done("test_cmdline");
}
