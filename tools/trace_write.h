/* SPDX-License-Identifier: MIT */
/*
 * Writing what the library did as a kernel trace (`swiotlb run --trace`,
 * `swiotlb blk --trace`): swiotlb_bounced from the instance's event hook,
 * and the dma: events of current kernels (dma_map_phys, dma_unmap_phys,
 * dma_map_sg, dma_map_sg_err, dma_unmap_sg, the syncs) in their text
 * format, so that `swiotlb trace` reads a simulated run as it reads a real
 * one.  docs/trace.md, "Tracing a simulated run", says what is written.
 */
#ifndef SWIOTLB_TOOLS_TRACE_WRITE_H
#define SWIOTLB_TOOLS_TRACE_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "swiotlb/swiotlb.h"
#ifdef SWIOTLB_TOOL_SIM
#include "swiotlb/sim.h"
#endif
#ifdef SWIOTLB_TOOL_VHOST
#include "swiotlb/vhost_blk.h"
#endif

struct trace_writer;

/* How a device's driver maps: one buffer (dma_map_phys), or a
 * scatter-gather list (dma_map_sg), or one buffer when it fits in two
 * pages and a list otherwise (NVMe's simple path). */
enum { TW_SINGLE = 0, TW_SG, TW_NVME };

enum { TW_MAP = 0, TW_UNMAP, TW_SYNC_FOR_CPU, TW_SYNC_FOR_DEVICE };

struct tw_call {
	int op;            /* TW_MAP ... */
	unsigned dev;      /* index given to trace_writer_device */
	unsigned cpu;
	unsigned dir;      /* enum swiotlb_dir */
	uint32_t attrs;    /* SWIOTLB_ATTR_* */
	int rc;            /* the call's result */
	uint64_t phys, dma, size;
};

/* Create PATH ("-" is stdout); `comm` names the task in every line.
 * NULL with errno on failure. */
struct trace_writer *trace_writer_open(const char *path, const char *comm);
/* Device `idx` is called `name` in the events and maps in `style`. */
int trace_writer_device(struct trace_writer *w, unsigned idx, const char *name, int style);
/* For swiotlb_set_event_hook(tlb, trace_writer_hook, w): the line is held
 * (per thread) and written just before the map it belongs to. */
void trace_writer_hook(void *w, const struct swiotlb_bounce_event *ev, const char *line);
void trace_writer_call(struct trace_writer *w, const struct tw_call *c);
/* Lines written so far. */
uint64_t trace_writer_lines(const struct trace_writer *w);
/* Close; 0, or -1 with errno when a write failed. */
int trace_writer_close(struct trace_writer *w);

#ifdef SWIOTLB_TOOL_SIM
/* For swiotlb_sim_run_opts.dma_event. */
void trace_writer_sim_event(void *w, const struct swiotlb_sim_dma_event *ev);
#endif
#ifdef SWIOTLB_TOOL_VHOST
/* For swiotlb_vblk_opts.dma_event: device 0, the queue as the CPU. */
void trace_writer_vblk_event(void *w, const struct swiotlb_vblk_dma_event *ev);
#endif

#endif
