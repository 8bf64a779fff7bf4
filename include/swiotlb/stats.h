/* SPDX-License-Identifier: MIT */
/*
 * The statistics of libswiotlb, defined once.
 *
 * Each X(field, key, help) line generates a member of struct swiotlb_stats,
 * its debugfs-style name (the kernel's where the kernel has one) and its
 * JSON key.  Add a counter here and it appears everywhere.
 */
#ifndef SWIOTLB_STATS_H
#define SWIOTLB_STATS_H

#include <stdint.h>

#define SWIOTLB_STATS(X)                                                                      \
	X(nslabs, "io_tlb_nslabs", "slots in the pool (non-transient)")                        \
	X(used, "io_tlb_used", "slots currently allocated")                                     \
	X(used_hiwater, "io_tlb_used_hiwater", "most slots ever allocated at once since reset") \
	X(transient_nslabs, "io_tlb_transient_nslabs", "slots held by transient pools")        \
	X(maps, "maps", "bounced mappings created")                                             \
	X(unmaps, "unmaps", "bounced mappings released")                                        \
	X(bytes_to_device, "bytes_to_device", "bytes copied original -> bounce")                \
	X(bytes_from_device, "bytes_from_device", "bytes copied bounce -> original")            \
	X(fail_full, "fail_full", "maps refused: no free run large enough")                     \
	X(fail_too_large, "fail_too_large", "maps refused: can never fit")                      \
	X(fail_unreachable, "fail_unreachable", "maps refused: no pool within the device limit") \
	X(fail_not_mapped, "fail_not_mapped", "unmaps/syncs of an address that is not mapped")  \
	X(fail_range, "fail_range", "syncs outside the mapping's bytes")

/*
 * The debug mode's counters (docs/debug.md): members of struct
 * swiotlb_stats like the rest, rendered only by instances in debug mode.
 */
#define SWIOTLB_DEBUG_STATS(X)                                                                            \
	X(debug_redzone, "debug_redzone", "checks that found a device wrote outside its bounce buffer")     \
	X(debug_poison, "debug_poison", "maps that found freed slots written after their release")         \
	X(debug_cpu_read, "debug_cpu_read", "CPU reads of a from_device original before sync/unmap")       \
	X(debug_stale, "debug_stale", "refused unmaps/syncs of a recently unmapped mapping (double unmap)") \
	X(debug_untracked, "debug_untracked", "mappings the debug table had no room to track")

struct swiotlb_stats {
#define SWIOTLB_STATS_MEMBER(field, key, help) uint64_t field;
	SWIOTLB_STATS(SWIOTLB_STATS_MEMBER)
	SWIOTLB_DEBUG_STATS(SWIOTLB_STATS_MEMBER)
#undef SWIOTLB_STATS_MEMBER
};

#endif
