/* SPDX-License-Identifier: MIT */
/*
 * swiotlb demo: the project's point in one screen.  A built-in replay
 * script creates the 2021 RFC's two pools from its command line, then maps
 * for a 32-bit device and a 64-bit NVMe-like device: the library picks the
 * pool each device can reach (drivers never name a pool), keeps the NVMe
 * device's low address bits, and copies by the kernel's rules.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "opt.h"

static const char demo_script[] =
	"# Four CPUs, and the 2021 RFC's command line: 65536 slots (128 MiB) below\n"
	"# 4 GiB, 1048576 slots (2 GiB) anywhere, and bounce every mapping.\n"
	"cpus 4\n"
	"cmdline \"swiotlb=65536,1048576,force\" dialect=rfc2021\n"
	"\n"
	"# A legacy 32-bit device and an NVMe-like 64-bit device that needs the\n"
	"# low 12 address bits of each buffer preserved.\n"
	"device legacy mask=32\n"
	"device nvme mask=64 min_align=0xfff\n"
	"\n"
	"# The CPU prepares a 4 KiB packet above 4 GiB for the legacy device:\n"
	"# it lands in the low pool, and the map copies it into the bounce buffer.\n"
	"fill orig=0x123456000 len=4096 byte=0x11 inc\n"
	"map tx dev=legacy orig=0x123456000 size=4096 dir=to_device\n"
	"expect map=tx len=4096 byte=0x11 inc\n"
	"\n"
	"# The NVMe device reads 8 KiB into a buffer at offset 0x200 of its page:\n"
	"# it lands in the high pool at an address ending in the same 12 bits.\n"
	"map rd dev=nvme orig=0x123460200 size=8192 dir=from_device\n"
	"fill map=rd len=8192 byte=0xcd\n"
	"# Until the unmap, the data is only in the bounce buffer.\n"
	"expect orig=0x123460200 len=8192 byte=0\n"
	"\n"
	"# The unmap copies it back.  The counters show one mapping in each pool:\n"
	"# io_tlb_used_hiwater 2 (low) and io_tlb_used_hiwater-highmem 5 (high).\n"
	"unmap rd\n"
	"expect orig=0x123460200 len=8192 byte=0xcd\n"
	"unmap tx\n"
	"check\n"
	"stats\n";

int cmd_demo(int argc, char **argv)
{
	static const struct tool_opt opts[] = {
		{ "script", OPT_LONG + 0, false },
		{ "help", 'h', false },
	};
	struct tool_getopt g;
	tool_getopt_init(&g, "swiotlb demo", opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int c; (c = tool_getopt(&g)) != OPT_END;) {
		switch (c) {
		case OPT_LONG + 0:
			fputs(demo_script, stdout);
			return 0;
		case 'h':
			printf("usage: swiotlb demo [--script]\n"
			       "  Run a built-in replay script showing two pools chosen by device mask.\n"
			       "  --script  print the script instead of running it\n");
			return 0;
		default:
			return 2;
		}
	}
	if (tool_operands(&g) < argc)
		return tool_usage_error(&g, "unexpected argument '%s'", argv[tool_operands(&g)]);
	FILE *in = fmemopen((void *)demo_script, sizeof(demo_script) - 1, "r");
	if (!in) {
		perror("swiotlb demo: fmemopen");
		return 2;
	}
	int status = replay_stream(in, "demo", false, true);
	fclose(in);
	return status;
}
