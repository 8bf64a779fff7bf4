/* SPDX-License-Identifier: MIT */
/*
 * The option parser of every `swiotlb` command: a table of options read by
 * getopt_long, so all of them take `--opt=value` and `--opt value`, short
 * options their value attached or not (`-t2`, `-t 2`), unambiguous
 * abbreviations of long ones (`--prof`), options and operands in any order,
 * and `--` to end the options.  Whatever is wrong is reported here, the same
 * way for every command, naming the option as written:
 *
 *   swiotlb blk: unknown option '--bogus'
 *   swiotlb blk: --socket needs a value
 *   swiotlb blk: --json takes no value (given '1')
 *   swiotlb bench: ambiguous option '--s' (--scale, --seed)
 *
 * followed by "Run `swiotlb blk --help` for the options."  Values are
 * checked by the command, with the helpers below for numbers and sizes
 * (the syntax of common/number.h), whose messages name the option too.
 */
#ifndef SWIOTLB_TOOLS_OPT_H
#define SWIOTLB_TOOLS_OPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One option: a long name, a short letter, or both. */
struct tool_opt {
	const char *name; /* without "--"; NULL for a short option only */
	int key;          /* the short letter, or OPT_LONG + n for a long option only */
	bool value;       /* takes a value */
};

#define OPT_LONG 256
#define OPT_END (-1)
#define OPT_ERROR (-2)
#define TOOL_OPTS_MAX 64

struct tool_getopt {
	const char *who; /* "swiotlb blk": every message starts with it */
	const struct tool_opt *opts;
	size_t nopts;
	int argc;
	char **argv;
	const char *arg; /* the value of the option just returned */
	char as[72];     /* that option as named: "--bs", "-t" */
	struct option longopts[TOOL_OPTS_MAX + 1];
	char shortopts[3 * TOOL_OPTS_MAX + 2];
};

/* Start reading argv[1..argc) (argv[0] is the command) against opts[0..n). */
void tool_getopt_init(struct tool_getopt *g, const char *who, const struct tool_opt *opts, size_t n, int argc,
		      char **argv);

/*
 * The next option: its key (g->arg holds its value, g->as its name), OPT_END
 * when the options are done (the operands are then argv[tool_operands(g) ..
 * argc), in order), or OPT_ERROR after the error was printed.
 */
int tool_getopt(struct tool_getopt *g);
int tool_operands(const struct tool_getopt *g);

/* "WHO: message" on stderr, then the pointer to --help.  Returns 2. */
int tool_usage_error(const struct tool_getopt *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The current value as a number or a size (common/number.h).  On a malformed
 * one they print "WHO: --opt: 'value' is not a number" (or "a size") and
 * return false.  The range is the caller's to check.
 */
bool tool_opt_u64(struct tool_getopt *g, uint64_t *out);
bool tool_opt_i64(struct tool_getopt *g, int64_t *out);
bool tool_opt_size(struct tool_getopt *g, uint64_t *out);

#endif
