/* SPDX-License-Identifier: MIT */
/*
 * The memory map of `swiotlb replay`'s world (the `memory` statement,
 * docs/replay.md): RAM as a size, as ranges, or as BIOS-e820 lines pasted
 * from a kernel log, the way machine files take them.
 */
#ifndef SWIOTLB_TOOLS_REPLAY_MEMORY_H
#define SWIOTLB_TOOLS_REPLAY_MEMORY_H

#include <stddef.h>

#include "swiotlb/posix.h"

/* The span of the simulated phys space when nothing asks for more: every
 * address a guest with 46 physical address bits can use.  The mapping is
 * sparse (MAP_NORESERVE): only touched pages cost memory. */
#define REPLAY_DEFAULT_SPAN (1ull << 46)

/*
 * Apply one `memory` argument to *po:
 *   SIZE (1G, 0x40000000, 16G)    a PC-like map: RAM from 1 MiB up to 3 GiB, the rest from 4 GiB;
 *                                 replaces the map
 *   START-END                     one usable range, END inclusive (as e820 prints it)
 *   "BIOS-e820: [mem A-B] TYPE"   a kernel log line (a printk time stamp before it is fine);
 *                                 types other than usable are accepted and leave no RAM
 * The first range of a script replaces the default map (*ranges_given tracks it).
 * Ranges are kept sorted and must not overlap.  Returns 0, or -1 with a message.
 */
int replay_memory_apply(const char *arg, struct swiotlb_posix_opts *po, bool *ranges_given, char *err, size_t len);

#endif
