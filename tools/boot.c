/* SPDX-License-Identifier: MIT */
/*
 * swiotlb boot: boot a simulated guest and show what swiotlb did.
 *
 *   swiotlb boot --machine x86|sev|sev-snp|tdx|xen-pv --mem 20G [--cpus N]
 *                [--cmdline "..."] [--dialect mainline|rfc2021|named]
 *                [--machine-file FILE [--section NAME]] [--any|--no-any] [--json]
 *
 * Prints the boot log lines the kernel would print for swiotlb, the pools
 * with their guest-physical and device (machine) ranges, and the debugfs
 * statistics; with --json, one object holding machine, pools, force, log,
 * conversions and stats.  Exit status 0, or 2 when the machine or the
 * command line is wrong (the message names the line and the field).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "simcli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swiotlb boot --machine KIND --mem SIZE [options]\n"
		"       swiotlb boot --machine-file FILE [--section NAME] [options]\n"
		"  Boot a simulated guest and print the kernel's swiotlb lines, the pools and\n"
		"  their device addresses, and the debugfs statistics.\n\n"
		"  --machine KIND        x86, sev, sev-snp, tdx or xen-pv (default x86)\n"
		"  --mem SIZE            RAM of the preset PC layout (20G, 4096M, ...)\n"
		"  --low-mem SIZE        RAM below 4 GiB in the preset (default min(mem, 3G))\n"
		"  --cpus N              possible CPUs: the area count (default 4)\n"
		"  --cmdline TEXT        kernel command line (swiotlb=..., iommu=off|soft)\n"
		"  --dialect D           how swiotlb= is read: mainline, rfc2021, named\n"
		"  --lenient             ignore malformed swiotlb= values, as the kernel does\n"
		"  --any, --no-any       SEV/SEV-SNP/TDX: SWIOTLB_ANY placement (the 2026 x86\n"
		"                        patch) or low placement (mainline; the default)\n"
		"  --machine-file FILE   a machine file (docs/machines.md); options override it\n"
		"  --section NAME        the section of a file with several\n"
		"  --json                one JSON object instead of text\n");
}

int cmd_boot(int argc, char **argv)
{
	static const struct tool_opt opts[] = { SIMCLI_OPTIONS, { "help", 'h', false } };
	struct simcli c = { .cmd = "boot" };
	struct tool_getopt g;
	tool_getopt_init(&g, "swiotlb boot", opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int k; (k = tool_getopt(&g)) != OPT_END;) {
		if (k == 'h') {
			usage(stdout);
			simcli_free(&c);
			return 0;
		}
		if (k == OPT_ERROR || simcli_option(&c, &g, k)) {
			simcli_free(&c);
			return 2;
		}
	}
	if (tool_operands(&g) < argc) {
		tool_usage_error(&g, "unexpected argument '%s' (a machine file goes after --machine-file)",
				 argv[tool_operands(&g)]);
		simcli_free(&c);
		return 2;
	}
	struct swiotlb_sim_spec *specs;
	unsigned n;
	int status = simcli_specs(&c, false, &specs, &n);
	if (status) {
		simcli_free(&c);
		return status;
	}
	struct swiotlb_sim *sim;
	struct swiotlb *tlb;
	status = simcli_boot(&c, &specs[0], &sim, &tlb);
	if (!status) {
		if (c.json) {
			struct json j;
			json_init(&j);
			json_object_begin(&j);
			json_kv_u64(&j, "format", 1);
			json_kv_string(&j, "command", "boot");
			simcli_json_boot(&j, sim, tlb, &specs[0]);
			json_key(&j, "stats");
			simcli_json_stats(&j, tlb);
			json_object_end(&j);
			printf("%s\n", json_text(&j));
			json_free(&j);
		} else {
			simcli_print_boot(stdout, sim, tlb, &specs[0], true);
		}
		swiotlb_destroy(tlb);
		swiotlb_sim_destroy(sim);
	}
	free(specs);
	simcli_free(&c);
	return status;
}
