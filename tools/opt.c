/* SPDX-License-Identifier: MIT */
/*
 * The commands' option parser over getopt_long (see opt.h).
 */
#include "opt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "text.h"

void tool_getopt_init(struct tool_getopt *g, const char *who, const struct tool_opt *opts, size_t n, int argc,
		      char **argv)
{
	memset(g, 0, sizeof(*g));
	if (n > TOOL_OPTS_MAX)
		abort(); /* a command's table outgrew the parser: a programming error */
	g->who = who;
	g->opts = opts;
	g->nopts = n;
	g->argc = argc;
	g->argv = argv;
	/* ':' first: a missing value is told apart from an unknown option */
	size_t s = 0, l = 0;
	g->shortopts[s++] = ':';
	for (size_t i = 0; i < n; i++) {
		if (opts[i].key < OPT_LONG) {
			g->shortopts[s++] = (char)opts[i].key;
			if (opts[i].value)
				g->shortopts[s++] = ':';
		}
		if (opts[i].name)
			g->longopts[l++] = (struct option){ opts[i].name, opts[i].value ? required_argument : no_argument,
							    NULL, opts[i].key };
	}
	g->shortopts[s] = '\0';
	/* every command parses from the start: glibc re-initializes at 0 */
	optind = 0;
	opterr = 0;
}

int tool_operands(const struct tool_getopt *g)
{
	(void)g;
	return optind;
}

int tool_usage_error(const struct tool_getopt *g, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", g->who);
	va_start(ap, fmt);
	text_vprintf(stderr, false, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun `%s --help` for the options.\n", g->who);
	return 2;
}

static const struct tool_opt *find_key(const struct tool_getopt *g, int key)
{
	for (size_t i = 0; i < g->nopts; i++)
		if (g->opts[i].key == key)
			return &g->opts[i];
	return NULL;
}

/* The long options `name` (n bytes) abbreviates, listed into buf; their count. */
static unsigned abbreviates(const struct tool_getopt *g, const char *name, size_t n, char *buf, size_t len)
{
	unsigned count = 0;
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < g->nopts; i++) {
		const char *o = g->opts[i].name;
		if (!o || strncmp(o, name, n))
			continue;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s--%s", count ? ", " : "", o);
		count++;
	}
	return count;
}

static int report(struct tool_getopt *g, int c)
{
	/* the element getopt stopped at: a long option always moves past it */
	const char *text = optind > 0 && optind <= g->argc ? g->argv[optind - 1] : "";
	bool is_long = !strncmp(text, "--", 2);
	size_t n = is_long ? strcspn(text + 2, "=") : 0;
	if (c == ':') {
		if (is_long)
			return tool_usage_error(g, "--%.*s needs a value", (int)n, text + 2);
		return tool_usage_error(g, "-%c needs a value", optopt);
	}
	const struct tool_opt *o = optopt ? find_key(g, optopt) : NULL;
	if (is_long && o && o->name && !o->value && text[2 + n] == '=')
		return tool_usage_error(g, "--%s takes no value (given '%s')", o->name, text + 3 + n);
	if (is_long) {
		char list[256];
		if (abbreviates(g, text + 2, n, list, sizeof(list)) > 1)
			return tool_usage_error(g, "ambiguous option '--%.*s' (%s)", (int)n, text + 2, list);
		return tool_usage_error(g, "unknown option '--%.*s'", (int)n, text + 2);
	}
	return tool_usage_error(g, "unknown option '-%c'", optopt);
}

int tool_getopt(struct tool_getopt *g)
{
	int idx = -1;
	optopt = 0;
	int c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, &idx);
	g->arg = optarg;
	if (c == -1)
		return OPT_END;
	if (c == '?' || c == ':') {
		report(g, c);
		return OPT_ERROR;
	}
	if (idx >= 0)
		snprintf(g->as, sizeof(g->as), "--%s", g->longopts[idx].name);
	else
		snprintf(g->as, sizeof(g->as), "-%c", c);
	return c;
}

bool tool_opt_u64(struct tool_getopt *g, uint64_t *out)
{
	if (num_parse_u64(g->arg, out))
		return true;
	tool_usage_error(g, "%s: '%s' is not a number", g->as, g->arg);
	return false;
}

bool tool_opt_i64(struct tool_getopt *g, int64_t *out)
{
	if (num_parse_i64(g->arg, out))
		return true;
	tool_usage_error(g, "%s: '%s' is not a number", g->as, g->arg);
	return false;
}

bool tool_opt_size(struct tool_getopt *g, uint64_t *out)
{
	if (num_parse_size(g->arg, out))
		return true;
	tool_usage_error(g, "%s: '%s' is not a size", g->as, g->arg);
	return false;
}
