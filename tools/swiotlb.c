/* SPDX-License-Identifier: MIT */
/*
 * swiotlb: the command-line front end of libswiotlb.
 *
 *   swiotlb <command> [args]
 *
 * Every command lives in its own tools/<name>.c and is registered by the
 * module it needs in tools/CMakeLists.txt, which generates the table this
 * file reads (commands.inc); `help`, `--help` and `--version` are handled
 * here.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "text.h"
#include "swiotlb/swiotlb.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* The commands of the modules that were built, in the order `help` lists them. */
static const struct command commands[] = {
#define COMMAND(name, help) { #name, cmd_##name, help },
#include "commands.inc"
#undef COMMAND
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: swiotlb <command> [args]\n"
		   "       swiotlb help [command] | --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun `swiotlb <command> --help` for a command's options; see swiotlb(1).\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void print_version(void)
{
	unsigned v = swiotlb_version();
	printf("swiotlb %u.%u.%u (libswiotlb, built against %d.%d.%d)\n", (v >> 16) & 0xff,
	       (v >> 8) & 0xff, v & 0xff, SWIOTLB_VERSION_MAJOR, SWIOTLB_VERSION_MINOR,
	       SWIOTLB_VERSION_PATCH);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		print_version();
		return 0;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		if (!strcmp(name, "help") && argc > 2) {
			const struct command *c = find(argv[2]);
			if (!c) {
				tool_error("swiotlb", "unknown command '%s'", argv[2]);
				usage(stderr);
				return 2;
			}
			char *args[] = {argv[2], "--help", NULL};
			return c->fn(2, args);
		}
		usage(stdout);
		return 0;
	}
	const struct command *c = find(name);
	if (!c) {
		tool_error("swiotlb", "unknown command '%s'", name);
		usage(stderr);
		return 2;
	}
	return c->fn(argc - 1, argv + 1);
}
