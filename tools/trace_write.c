/* SPDX-License-Identifier: MIT */
/*
 * A simulated run written as a kernel trace (trace_write.h).
 *
 * The lines have the layout of `cat /sys/kernel/tracing/trace`
 * ("COMM-PID [CPU] FLAGS SECONDS: EVENT: BODY") and the bodies the
 * TP_printk formats of current kernels (docs/trace.md, "Trace text"):
 * arrays in hex, an empty `attrs=` when no attribute is set, a failed map
 * with dma_addr=ffffffffffffffff.  The time is CLOCK_MONOTONIC, like the
 * kernel's trace clock counting from boot.
 *
 * Order is what makes a trace readable back: the run and the front end
 * report each call under one lock (dmatrace.h, frontend.c), and the
 * library's swiotlb_bounced, which fires inside a map before it allocates,
 * is held in a per-thread buffer and written just before that map's own
 * event, on the same CPU, as the kernel's would be.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace_write.h"

#define TW_MAX_DEVICES 64

struct trace_writer {
	FILE *f;
	bool own;
	bool error;
	int err;
	char comm[17];
	int pid;
	uint64_t lines;
	pthread_mutex_t lock;
	struct {
		char name[64];
		int style;
	} dev[TW_MAX_DEVICES];
};

/* the swiotlb_bounced of the map this thread is inside */
static _Thread_local struct {
	bool set;
	char line[320];
} pending;

struct trace_writer *trace_writer_open(const char *path, const char *comm)
{
	struct trace_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	if (!strcmp(path, "-")) {
		w->f = stdout;
	} else {
		w->f = fopen(path, "w");
		w->own = true;
	}
	if (!w->f) {
		int e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	/* a task name has no blanks and at most 15 characters, as in the kernel */
	size_t n = 0;
	for (const char *p = comm; *p && n < 15; p++)
		w->comm[n++] = (*p == ' ' || *p == '\t' || (unsigned char)*p < 0x20) ? '_' : *p;
	w->comm[n] = '\0';
	w->pid = (int)getpid();
	pthread_mutex_init(&w->lock, NULL);
	for (unsigned i = 0; i < TW_MAX_DEVICES; i++)
		snprintf(w->dev[i].name, sizeof(w->dev[i].name), "dev%u", i);
	/* the header of `cat trace`; '#' lines are skipped by readers */
	fprintf(w->f, "# tracer: nop\n#\n# written by libswiotlb's swiotlb tool: events swiotlb:swiotlb_bounced and dma:*\n"
		      "#\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		      "#              | |         |   |||||     |         |\n");
	return w;
}

int trace_writer_device(struct trace_writer *w, unsigned idx, const char *name, int style)
{
	if (idx >= TW_MAX_DEVICES)
		return -1;
	/* the device column is one word: a name with blanks would shift every field */
	size_t n = 0;
	for (const char *p = name; *p && n + 1 < sizeof(w->dev[idx].name); p++)
		w->dev[idx].name[n++] = (*p == ' ' || *p == '\t' || (unsigned char)*p < 0x20) ? '_' : *p;
	w->dev[idx].name[n] = '\0';
	w->dev[idx].style = style;
	return 0;
}

void trace_writer_hook(void *arg, const struct swiotlb_bounce_event *ev, const char *line)
{
	(void)arg;
	(void)ev;
	snprintf(pending.line, sizeof(pending.line), "%s", line);
	pending.set = true;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *dir_name(unsigned dir)
{
	static const char *const n[] = {"BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE", "NONE"};
	return dir < 4 ? n[dir] : "NONE";
}

/* The kernel's attrs decoder lists set flags joined by '|' in bit order
 * (DMA_ATTR_SKIP_CPU_SYNC before DMA_ATTR_NO_WARN), nothing when none. */
static const char *attrs_text(uint32_t attrs)
{
	if ((attrs & SWIOTLB_ATTR_SKIP_CPU_SYNC) && (attrs & SWIOTLB_ATTR_NO_WARN))
		return "SKIP_CPU_SYNC|NO_WARN";
	if (attrs & SWIOTLB_ATTR_SKIP_CPU_SYNC)
		return "SKIP_CPU_SYNC";
	if (attrs & SWIOTLB_ATTR_NO_WARN)
		return "NO_WARN";
	return "";
}

static void line(struct trace_writer *w, unsigned cpu, double t, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void line(struct trace_writer *w, unsigned cpu, double t, const char *event, const char *fmt, ...)
{
	char body[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (fprintf(w->f, "%16s-%-7d [%03u] ..... %12.6f: %s: %s\n", w->comm, w->pid, cpu, t, event, body) < 0 &&
	    !w->error) {
		w->error = true;
		w->err = errno;
	}
	w->lines++;
}

static bool as_sg(const struct trace_writer *w, const struct tw_call *c)
{
	int style = w->dev[c->dev].style;
	if (style == TW_NVME) /* one PRP pair when the buffer spans at most two pages */
		return (c->phys & 4095) + c->size > 8192;
	return style == TW_SG;
}

void trace_writer_call(struct trace_writer *w, const struct tw_call *c)
{
	if (c->dev >= TW_MAX_DEVICES)
		return;
	const char *d = w->dev[c->dev].name;
	const char *dir = dir_name(c->dir);
	const char *attrs = attrs_text(c->attrs);
	bool sg = as_sg(w, c);
	pthread_mutex_lock(&w->lock);
	double t = now_s();
	switch (c->op) {
	case TW_MAP:
		if (pending.set) {
			line(w, c->cpu, t, "swiotlb_bounced", "%s", pending.line);
			pending.set = false;
		}
		if (!sg)
			line(w, c->cpu, t, "dma_map_phys", "%s dir=%s dma_addr=%" PRIx64 " size=%" PRIu64 " phys_addr=%" PRIx64 " attrs=%s",
			     d, dir, c->rc ? UINT64_MAX : c->dma, c->size, c->phys, attrs);
		else if (c->rc) /* its dma_addrs are the physical addresses */
			line(w, c->cpu, t, "dma_map_sg_err", "%s dir=%s dma_addrs={0x%" PRIx64 "} err=%d attrs=%s", d, dir, c->phys,
			     c->rc == SWIOTLB_EFULL ? -ENOMEM : -EIO, attrs);
		else
			line(w, c->cpu, t, "dma_map_sg",
			     "%s dir=%s nents=1/1 ents=1/1 dma_addrs={0x%" PRIx64 "} sizes={0x%" PRIx64 "} phys_addrs={0x%" PRIx64 "} attrs=%s",
			     d, dir, c->dma, c->size, c->phys, attrs);
		break;
	case TW_UNMAP:
		if (!sg)
			line(w, c->cpu, t, "dma_unmap_phys", "%s dir=%s dma_addr=%" PRIx64 " size=%" PRIu64 " attrs=%s", d, dir, c->dma,
			     c->size, attrs);
		else /* dma_unmap_sg gives the physical addresses */
			line(w, c->cpu, t, "dma_unmap_sg", "%s dir=%s phys_addrs={0x%" PRIx64 "} attrs=%s", d, dir, c->phys, attrs);
		break;
	case TW_SYNC_FOR_CPU:
	case TW_SYNC_FOR_DEVICE: {
		bool cpu = c->op == TW_SYNC_FOR_CPU;
		if (!sg)
			line(w, c->cpu, t, cpu ? "dma_sync_single_for_cpu" : "dma_sync_single_for_device",
			     "%s dir=%s dma_addr=%" PRIx64 " size=%" PRIu64, d, dir, c->dma, c->size);
		else
			line(w, c->cpu, t, cpu ? "dma_sync_sg_for_cpu" : "dma_sync_sg_for_device",
			     "%s dir=%s dma_addrs={0x%" PRIx64 "} sizes={0x%" PRIx64 "}", d, dir, c->dma, c->size);
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&w->lock);
}

uint64_t trace_writer_lines(const struct trace_writer *w)
{
	return w->lines;
}

int trace_writer_close(struct trace_writer *w)
{
	if (!w)
		return 0;
	int rc = 0, e = w->err;
	if (fflush(w->f) && !w->error) {
		w->error = true;
		e = errno;
	}
	if (w->own && fclose(w->f) && !w->error) {
		w->error = true;
		e = errno;
	}
	if (w->error)
		rc = -1;
	pthread_mutex_destroy(&w->lock);
	free(w);
	errno = e;
	return rc;
}

#ifdef SWIOTLB_TOOL_SIM
void trace_writer_sim_event(void *arg, const struct swiotlb_sim_dma_event *ev)
{
	static const int op[] = {[SWIOTLB_SIM_DMA_MAP] = TW_MAP, [SWIOTLB_SIM_DMA_UNMAP] = TW_UNMAP,
				 [SWIOTLB_SIM_DMA_SYNC_FOR_CPU] = TW_SYNC_FOR_CPU,
				 [SWIOTLB_SIM_DMA_SYNC_FOR_DEVICE] = TW_SYNC_FOR_DEVICE};
	if (ev->op >= sizeof(op) / sizeof(op[0]))
		return;
	struct tw_call c = {.op = op[ev->op], .dev = ev->dev, .cpu = ev->cpu, .dir = ev->dir, .attrs = ev->attrs,
			    .rc = ev->rc, .phys = ev->phys, .dma = ev->dma, .size = ev->size};
	trace_writer_call(arg, &c);
}
#endif

#ifdef SWIOTLB_TOOL_VHOST
void trace_writer_vblk_event(void *arg, const struct swiotlb_vblk_dma_event *ev)
{
	struct tw_call c = {.op = ev->map ? TW_MAP : TW_UNMAP, .dev = 0, .cpu = ev->queue, .dir = ev->dir,
			    .attrs = ev->attrs, .rc = ev->rc, .phys = ev->phys, .dma = ev->dma, .size = ev->size};
	trace_writer_call(arg, &c);
}
#endif
