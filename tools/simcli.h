/* SPDX-License-Identifier: MIT */
/*
 * What `swiotlb boot` and `swiotlb run` share: the machine options, turning
 * them (and a machine file) into checked specs, and printing a booted
 * machine as text or JSON.
 */
#ifndef SWIOTLB_TOOLS_SIMCLI_H
#define SWIOTLB_TOOLS_SIMCLI_H

#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "opt.h"
#include "swiotlb/sim.h"

#define SIMCLI_MAX_OVERRIDES 64
#define SIMCLI_MAX_SPECS 16

struct simcli_override {
	const char *option; /* "--mem" */
	char *line;         /* "mem 20G" (malloc'd) */
};

struct simcli {
	const char *cmd;     /* "boot" / "run", for messages */
	const char *file;    /* --machine-file or the scenario */
	const char *section; /* --section */
	const char *cmdline; /* --cmdline */
	bool json;
	unsigned noverride;
	struct simcli_override ov[SIMCLI_MAX_OVERRIDES];
	bool has_mem;
};

/*
 * The machine options, rows of a command's option table (opt.h): boot takes
 * SIMCLI_OPTIONS, run SIMCLI_OPTIONS and SIMCLI_RUN_OPTIONS.
 */
enum {
	SIMCLI_MACHINE = OPT_LONG + 100, SIMCLI_MEM, SIMCLI_LOW_MEM, SIMCLI_CPUS, SIMCLI_DIALECT,
	SIMCLI_CMDLINE, SIMCLI_MACHINE_FILE, SIMCLI_SECTION, SIMCLI_LENIENT, SIMCLI_ANY, SIMCLI_NO_ANY,
	SIMCLI_JSON, SIMCLI_DEVICE, SIMCLI_JOB, SIMCLI_END
};
#define SIMCLI_OPTIONS                                                                                      \
	{ "machine", SIMCLI_MACHINE, true }, { "mem", SIMCLI_MEM, true }, { "low-mem", SIMCLI_LOW_MEM, true }, \
	{ "cpus", SIMCLI_CPUS, true }, { "dialect", SIMCLI_DIALECT, true }, { "cmdline", SIMCLI_CMDLINE, true }, \
	{ "machine-file", SIMCLI_MACHINE_FILE, true }, { "section", SIMCLI_SECTION, true },                   \
	{ "lenient", SIMCLI_LENIENT, false }, { "any", SIMCLI_ANY, false }, { "no-any", SIMCLI_NO_ANY, false }, \
	{ "json", SIMCLI_JSON, false }
#define SIMCLI_RUN_OPTIONS { "device", SIMCLI_DEVICE, true }, { "job", SIMCLI_JOB, true }

/* Take machine option `key` (g->arg its value).  0, or -1 after an error. */
int simcli_option(struct simcli *c, const struct tool_getopt *g, int key);

/* The specs to run, each with the options applied and checked; `all`
 * allows several sections (run), else exactly one is required (boot).
 * Returns 0, or 2 after printing an error.  Free with free(). */
int simcli_specs(struct simcli *c, bool all, struct swiotlb_sim_spec **specs, unsigned *n);
void simcli_free(struct simcli *c);

/* Print "swiotlb CMD: message" to stderr. */
void simcli_error(const struct simcli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Human output of a booted machine: machine, boot log, pools, and the
 * debugfs files when `stats`. */
void simcli_print_boot(FILE *f, struct swiotlb_sim *sim, struct swiotlb *tlb, const struct swiotlb_sim_spec *spec,
		       bool stats);
/* swiotlb_stats_text in a malloc'd string (NULL when out of memory). */
char *simcli_stats_text(struct swiotlb *tlb);
/* "name value" debugfs lines under a title. */
void simcli_print_stats(FILE *f, const char *title, const char *text);
/* The same as members of the current JSON object. */
void simcli_json_boot(struct json *j, struct swiotlb_sim *sim, struct swiotlb *tlb, const struct swiotlb_sim_spec *spec);
/* Debugfs text as a JSON object of numbers. */
void simcli_json_stats_text(struct json *j, const char *text);
/* The library's statistics JSON (swiotlb_stats_json). */
void simcli_json_stats(struct json *j, struct swiotlb *tlb);
/* Build the machine and boot it: 0, or 2 after printing an error. */
int simcli_boot(const struct simcli *c, const struct swiotlb_sim_spec *spec, struct swiotlb_sim **sim,
		struct swiotlb **tlb);

#endif
