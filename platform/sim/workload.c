/* SPDX-License-Identifier: MIT */
/*
 * Devices and an fio-like workload driven through the real mapping paths.
 *
 * A job spreads over the queues of its devices; each of its threads owns
 * some queues.  A queue is a ring of `depth` I/O slots, each with its own
 * original buffer in (private) guest RAM.  A thread keeps every queue full:
 * it completes the oldest I/O of a queue and submits a new one in its slot,
 * so `iodepth` mappings per queue are live at any time, as with a real
 * driver.  An I/O:
 *
 *   write (to the device): the CPU fills the buffer with a pattern, maps it
 *     (the library copies into the bounce slot), the device reads the bus
 *     address through swiotlb_sim_dma and checks the pattern, the CPU unmaps;
 *   read (from the device): the CPU maps the buffer, the device writes a
 *     pattern at the bus address, the CPU unmaps (a NIC first syncs for the
 *     CPU and unmaps with SKIP_CPU_SYNC) and checks the buffer.
 *
 * A map refused as "full" is retried once the queue has completed an I/O
 * (or, with nothing of its own in flight, after yielding to the others).
 * The debugfs text is captured by the thread that issues the middle I/O
 * (or at half the run time), while every queue is busy: the "while fio was
 * running" view of the proposals' experiments.
 *
 * With a hostile device the run is verified (verify.h): data carries its
 * owner, each I/O slot's bytes outside the I/O are private and checked after
 * every I/O, and every step above holds the verifier's lock shared, so that
 * the hostile device's attacks on the whole pools (hostile.c) run alone.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verify.h"

#define MAX_STALLS 200000
#define BUFFER_BUDGET (1ull << 30) /* guest RAM all queues' buffers may take */

static const char *const devtype_names[] = { "generic", "nvme", "scsi", "nic", "legacy" };

const char *swiotlb_sim_devtype_name(uint32_t type)
{
	return type < sizeof(devtype_names) / sizeof(devtype_names[0]) ? devtype_names[type] : NULL;
}

void swiotlb_sim_device_init(struct swiotlb_sim_device *d, const char *name, uint32_t type, uint32_t cpus)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "dev");
	d->type = type;
	d->dma_mask = ~0ull;
	d->queues = 1;
	d->depth = 32;
	uint32_t q = cpus ? cpus : 1;
	switch (type) {
	case SWIOTLB_SIM_DEV_NVME: /* one I/O queue pair per CPU, up to 16 */
		d->min_align = 0xfff;
		d->seg_boundary = 0xffffffffull;
		d->queues = q < 16 ? q : 16;
		d->depth = 128;
		break;
	case SWIOTLB_SIM_DEV_SCSI:
		d->seg_boundary = 0xffffffffull;
		d->queues = q < 4 ? q : 4;
		d->depth = 128;
		break;
	case SWIOTLB_SIM_DEV_NIC:
		d->seg_boundary = 0xffffffffull;
		d->queues = q < 8 ? q : 8;
		d->depth = 256;
		d->rx_sync = true;
		break;
	case SWIOTLB_SIM_DEV_LEGACY:
		d->dma_mask = 0xffffffffull;
		d->seg_boundary = 0xffffffffull;
		d->depth = 16;
		break;
	default:
		break;
	}
}

void swiotlb_sim_job_init(struct swiotlb_sim_job *j, const char *name)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name ? name : "job");
	j->rwmixread = 50;
	j->bs_min = j->bs_max = 64 * 1024;
	j->align = 4096;
	j->iodepth = 32;
	j->ios = 1000;
	j->threads = 1;
	j->seed = 1;
}

/* ------------------------------------------------------------ patterns */

static uint64_t pattern_seed(uint64_t job_seed, unsigned dev, uint64_t seq)
{
	uint64_t s = job_seed ^ ((uint64_t)dev << 48) ^ (seq * 0x9e3779b97f4a7c15ull);
	return sim_splitmix(&s) | 1;
}

static void pattern_fill(uint8_t *p, size_t n, uint64_t x)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
	if (i < n) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, n - i);
	}
}

/* The first byte that differs from the pattern, or n. */
static size_t pattern_check(const uint8_t *p, size_t n, uint64_t x)
{
	size_t i = 0;
	for (; i < n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t k = n - i < 8 ? n - i : 8;
		if (memcmp(p + i, &x, k)) {
			const uint8_t *e = (const uint8_t *)&x;
			for (size_t b = 0; b < k; b++)
				if (p[i + b] != e[b])
					return i + b;
		}
	}
	return n;
}

/* --------------------------------------------------------------- state */

struct io_slot {
	bool prepared; /* chosen and filled, but refused "full": retried as is */
	bool write;
	bool bounced;
	uint32_t len;
	uint64_t orig;
	uint8_t *cpu;
	uint64_t dma;
	uint64_t seed;
	uint32_t index; /* in its queue's ring */
	uint32_t reg;   /* verified runs: its entry in the registry of bytes in flight */
};

struct run;
struct job_state;

struct queue {
	struct run *run;
	struct job_state *js;
	unsigned dev;          /* index into the run's devices */
	unsigned cpu;
	uint32_t depth;
	struct io_slot *slots;
	uint32_t head, inflight;
	uint64_t buf_phys;
	uint8_t *buf_cpu;
	uint32_t stride;
	uint64_t budget;       /* I/Os to issue; UINT64_MAX with a run time */
	uint64_t issued;
	uint64_t seq;
	uint64_t rng;
	uint64_t stalls;
	bool stop;
	bool full;             /* the last map was refused "full" */
	struct swiotlb_sim_dev_result res;
	struct sim_vq vq;      /* verified runs */
};

struct worker {
	pthread_t th;
	struct run *run;
	struct job_state *js;
	struct queue **q;
	unsigned nq;
	uint8_t *scratch;
	uint8_t *expect;       /* verified runs: the pattern a check compares with */
	bool started;
};

struct job_state {
	const struct swiotlb_sim_job *j;
	struct queue *queues;
	unsigned nq;
	struct worker *workers;
	unsigned nw;
	uint64_t deadline_ns;
	atomic_uint_least64_t end_ns;
};

struct run {
	struct swiotlb_sim *sim;
	struct swiotlb *tlb;
	const struct swiotlb_sim_device *spec;
	struct swiotlb_device dev[SWIOTLB_SIM_MAX_DEVICES];
	unsigned ndevs;
	struct job_state js[SWIOTLB_SIM_MAX_JOBS];
	unsigned njobs;
	uint64_t start_ns;
	uint64_t total;          /* I/Os in all, 0 when some job runs by time */
	uint64_t half_ns;        /* with run times: when to take the snapshot */
	atomic_uint_least64_t issued, done, bytes;
	atomic_int peak_taken;
	char *peak;
	atomic_int running;
	bool verified;           /* some device is hostile */
	uint32_t nreg;           /* I/O slots of all queues */
	struct sim_verify *v;    /* a device is hostile: every byte is checked by owner */
	struct sim_dmatrace trace;
	bool traced;             /* the DMA API calls are reported (dmatrace.h) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void note_error(struct queue *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_error(struct queue *q, const char *fmt, ...)
{
	if (q->res.first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q->res.first_error, sizeof(q->res.first_error), fmt, ap);
	va_end(ap);
}

static char *stats_text(struct swiotlb *tlb)
{
	size_t n = swiotlb_stats_text(tlb, NULL, 0);
	char *buf = malloc(n + 1);
	if (buf)
		swiotlb_stats_text(tlb, buf, n + 1);
	return buf;
}

static void maybe_snapshot(struct run *r)
{
	bool due = r->total ? atomic_load(&r->issued) >= (r->total + 1) / 2 : now_ns() >= r->half_ns;
	if (due && !atomic_exchange(&r->peak_taken, 1))
		r->peak = stats_text(r->tlb);
}

static bool can_issue(struct queue *q)
{
	if (q->stop)
		return false;
	if (q->budget != UINT64_MAX) {
		q->stop = q->issued >= q->budget;
	} else if ((q->issued & 15) == 0) {
		q->stop = now_ns() >= q->js->deadline_ns;
	}
	return !q->stop;
}

static struct sim_vio vio_of(const struct queue *q, const struct io_slot *s)
{
	struct sim_vio io = { .write = s->write, .bounced = s->bounced, .len = s->len, .dma = s->dma, .orig = s->orig,
			      .seed = s->seed,
			      .cpu = s->cpu, .region = q->buf_cpu + (size_t)s->index * q->stride,
			      .region_phys = q->buf_phys + (uint64_t)s->index * q->stride, .region_len = q->stride,
			      .reg = s->reg };
	return io;
}

/* 0, SWIOTLB_EFULL (retry later), or another error (the I/O failed). */
static int submit(struct worker *w, struct queue *q, struct io_slot *s, uint32_t index)
{
	const struct swiotlb_sim_job *j = q->js->j;
	struct run *r = w->run;
	if (!s->prepared) {
		uint64_t x = sim_splitmix(&q->rng);
		s->write = x % 100 >= j->rwmixread;
		s->len = j->bs_min;
		if (j->bs_max > j->bs_min) {
			uint32_t unit = j->bs_min >= 512 ? 512 : 1;
			s->len += (uint32_t)(((x >> 8) % ((j->bs_max - j->bs_min) / unit + 1)) * unit);
		}
		uint32_t off = j->align < SIM_PAGE ? (uint32_t)((x >> 40) % (SIM_PAGE / j->align)) * j->align : 0;
		s->orig = q->buf_phys + (uint64_t)index * q->stride + off;
		s->cpu = q->buf_cpu + (size_t)index * q->stride + off;
		s->seed = pattern_seed(j->seed, q->dev, q->seq);
		if (r->v) {
			struct sim_vio io = vio_of(q, s);
			sim_verify_prepare(&q->vq, &io);
		} else if (s->write) {
			pattern_fill(s->cpu, s->len, s->seed);
		}
		s->prepared = true;
	}

	struct swiotlb_map_args a = { .orig = s->orig, .size = s->len,
				      .dir = s->write ? SWIOTLB_TO_DEVICE : SWIOTLB_FROM_DEVICE,
				      .attrs = SWIOTLB_ATTR_NO_WARN, .cpu = (int)q->cpu };
	struct swiotlb_map_result m;
	sim_verify_lock(r->v, false);
	int rc = sim_dma_map(q->vq.trace, r->tlb, &r->dev[q->dev], q->dev, &a, &m);
	if (!rc && m.bounced)
		sim_verify_live(r->v, s->reg, q->dev, m.dma, s->len);
	sim_verify_unlock(r->v);
	if (rc == SWIOTLB_EFULL)
		return rc;
	s->prepared = false;
	q->seq++;
	if (rc) {
		if (r->v) {
			struct sim_vio io = vio_of(q, s);
			sim_verify_unprepare(&q->vq, &io);
		}
		q->res.errors++;
		note_error(q, "map of %u bytes at 0x%llx (%s): %s", s->len, (unsigned long long)s->orig,
			   s->write ? "write" : "read", swiotlb_strerror(rc));
		return rc;
	}
	s->dma = m.dma;
	s->bounced = m.bounced;
	if (m.bounced) {
		q->res.bounced++;
		if (m.pool >= 0 && m.pool < SWIOTLB_MAX_POOLS)
			q->res.per_pool[m.pool]++;
	} else {
		q->res.direct++;
	}
	return 0;
}

static void account(struct run *r, struct queue *q, const struct io_slot *s)
{
	q->res.ios++;
	if (s->write) {
		q->res.writes++;
		q->res.bytes_written += s->len;
	} else {
		q->res.reads++;
		q->res.bytes_read += s->len;
	}
	atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->bytes, s->len, memory_order_relaxed);
}

static void complete(struct worker *w, struct queue *q, struct io_slot *s)
{
	struct run *r = w->run;
	const struct swiotlb_device *dev = &r->dev[q->dev];
	const struct swiotlb_sim_device *ds = &r->spec[q->dev];
	uint64_t limit = ds->bus_limit && ds->bus_limit < ds->dma_mask ? ds->bus_limit : ds->dma_mask;
	char why[200];
	int rc;
	bool dev_ok;
	struct sim_vio io = vio_of(q, s);

	if (q->vq.hostile) {
		sim_hostile_complete(r->v, &q->vq, &io, w->scratch, w->expect);
		account(r, q, s);
		return;
	}
	sim_verify_lock(r->v, false);
	/* the device's side of the transfer */
	if (s->write) {
		rc = swiotlb_sim_dma(r->sim, s->dma, w->scratch, s->len, false, limit, why, sizeof(why));
		dev_ok = !rc;
		if (rc) {
			q->res.faults++;
			note_error(q, "device read of 0x%llx+%u refused: %s", (unsigned long long)s->dma, s->len, why);
		} else if (r->v) {
			if (sim_verify_device_read(r->v, &q->vq, &io, w->scratch, w->expect)) {
				q->res.verify_errors++;
				note_error(q, "device read wrong data of a %u-byte write (bus 0x%llx, buffer 0x%llx)",
					   s->len, (unsigned long long)s->dma, (unsigned long long)s->orig);
			}
		} else {
			size_t bad = pattern_check(w->scratch, s->len, s->seed);
			if (bad < s->len) {
				q->res.verify_errors++;
				note_error(q, "device read wrong data at byte %zu of a %u-byte write (bus 0x%llx, buffer 0x%llx)",
					   bad, s->len, (unsigned long long)s->dma, (unsigned long long)s->orig);
			}
		}
	} else {
		if (r->v)
			sim_data_fill(w->scratch, s->len, s->seed, q->dev);
		else
			pattern_fill(w->scratch, s->len, s->seed);
		rc = swiotlb_sim_dma(r->sim, s->dma, w->scratch, s->len, true, limit, why, sizeof(why));
		dev_ok = !rc;
		if (rc) {
			q->res.faults++;
			note_error(q, "device write of 0x%llx+%u refused: %s", (unsigned long long)s->dma, s->len, why);
		}
	}

	/* the CPU's side */
	enum swiotlb_dir dir = s->write ? SWIOTLB_TO_DEVICE : SWIOTLB_FROM_DEVICE;
	uint32_t attrs = 0;
	if (!s->write && ds->rx_sync) {
		rc = sim_dma_sync(q->vq.trace, r->tlb, dev, q->dev, q->cpu, s->orig, s->dma, s->len, dir, true);
		if (rc) {
			q->res.errors++;
			note_error(q, "sync_for_cpu of 0x%llx+%u: %s", (unsigned long long)s->dma, s->len,
				   swiotlb_strerror(rc));
		}
		attrs = SWIOTLB_ATTR_SKIP_CPU_SYNC;
	}
	rc = sim_dma_unmap(q->vq.trace, r->tlb, dev, q->dev, q->cpu, s->orig, s->dma, s->len, dir, attrs);
	if (rc) {
		q->res.errors++;
		note_error(q, "unmap of 0x%llx+%u: %s", (unsigned long long)s->dma, s->len, swiotlb_strerror(rc));
	}
	if (s->bounced)
		sim_verify_dead(r->v, s->reg);
	sim_verify_unlock(r->v);
	if (!s->write && dev_ok)
		swiotlb_sim_cpu_read(r->sim, s->orig, s->len); /* the debug mode's guard */
	if (r->v) {
		if (sim_verify_after(r->v, &q->vq, &io, dev_ok, w->expect)) {
			q->res.verify_errors++;
			note_error(q, "read returned wrong data (bus 0x%llx, buffer 0x%llx)", (unsigned long long)s->dma,
				   (unsigned long long)s->orig);
		}
	} else if (!s->write && dev_ok) {
		size_t bad = pattern_check(s->cpu, s->len, s->seed);
		if (bad < s->len) {
			q->res.verify_errors++;
			note_error(q, "read returned wrong data at byte %zu of %u (bus 0x%llx, buffer 0x%llx)", bad,
				   s->len, (unsigned long long)s->dma, (unsigned long long)s->orig);
		}
	}
	account(r, q, s);
}

static void complete_oldest(struct worker *w, struct queue *q)
{
	complete(w, q, &q->slots[q->head]);
	q->head = (q->head + 1) % q->depth;
	q->inflight--;
}

/*
 * One pass over a queue; false once it has nothing left to do.  A queue
 * that is full, has issued everything, or was refused "full" completes its
 * oldest I/O first: with every queue holding part of a small pool, waiting
 * for space without completing anything would never end.
 */
static bool queue_step(struct worker *w, struct queue *q)
{
	struct run *r = w->run;
	if (q->inflight && (q->inflight == q->depth || q->full || !can_issue(q)))
		complete_oldest(w, q);
	q->full = false;
	while (q->inflight < q->depth && can_issue(q)) {
		uint32_t idx = (q->head + q->inflight) % q->depth;
		int rc = submit(w, q, &q->slots[idx], idx);
		if (rc == SWIOTLB_EFULL) {
			q->res.retries++;
			q->full = true;
			if (!q->inflight && ++q->stalls > MAX_STALLS) {
				/* nothing of ours to wait for and the pools stay full */
				q->res.errors++;
				q->issued++;
				q->seq++;
				q->slots[idx].prepared = false;
				if (r->v) {
					struct sim_vio io = vio_of(q, &q->slots[idx]);
					sim_verify_unprepare(&q->vq, &io);
				}
				atomic_fetch_add(&r->issued, 1);
				note_error(q, "map of %u bytes stayed full after %d retries", q->slots[idx].len, MAX_STALLS);
				q->stalls = 0;
			} else if (!q->inflight) {
				sched_yield();
			}
			break;
		}
		q->stalls = 0;
		q->issued++;
		atomic_fetch_add(&r->issued, 1);
		if (!rc)
			q->inflight++;
		maybe_snapshot(r);
	}
	return q->inflight || can_issue(q);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	bool busy = true;
	while (busy) {
		busy = false;
		for (unsigned i = 0; i < w->nq; i++)
			busy |= queue_step(w, w->q[i]);
	}
	uint64_t t = now_ns(), prev = atomic_load(&w->js->end_ns);
	while (prev < t && !atomic_compare_exchange_weak(&w->js->end_ns, &prev, t))
		;
	atomic_fetch_sub(&w->run->running, 1);
	return NULL;
}

/* ----------------------------------------------------------- the run */

static int find_device(const struct swiotlb_sim_device *devs, unsigned ndevs, const char *name, size_t n)
{
	for (unsigned i = 0; i < ndevs; i++)
		if (strlen(devs[i].name) == n && !strncmp(devs[i].name, name, n))
			return (int)i;
	return -1;
}

static void free_run(struct run *r)
{
	for (unsigned k = 0; k < r->njobs; k++) {
		struct job_state *js = &r->js[k];
		for (unsigned i = 0; i < js->nw; i++) {
			free(js->workers[i].scratch);
			free(js->workers[i].expect);
			free(js->workers[i].q);
		}
		for (unsigned i = 0; i < js->nq; i++)
			free(js->queues[i].slots);
		free(js->workers);
		free(js->queues);
	}
	sim_verify_destroy(r->v);
	if (r->traced)
		pthread_mutex_destroy(&r->trace.lock);
}

/* Queues, buffers and threads of one job. */
static int setup_job(struct run *r, struct job_state *js, const struct swiotlb_sim_job *j, uint64_t *buffer_bytes,
		     char *err, size_t len)
{
	int idx[SWIOTLB_SIM_MAX_DEVICES];
	unsigned nidx = 0, nq = 0;
	js->j = j;
	if (!j->devices[0]) {
		for (unsigned i = 0; i < r->ndevs; i++)
			idx[nidx++] = (int)i;
	} else {
		for (const char *p = j->devices; *p;) {
			size_t n = strcspn(p, ":");
			int d = find_device(r->spec, r->ndevs, p, n);
			if (d < 0) {
				snprintf(err, len, "job %s: devices: no device named '%.*s'", j->name, (int)n, p);
				return SWIOTLB_EINVAL;
			}
			if (nidx < SWIOTLB_SIM_MAX_DEVICES)
				idx[nidx++] = d;
			p += n + (p[n] == ':');
		}
	}
	if (!nidx) {
		snprintf(err, len, "job %s: no device to drive", j->name);
		return SWIOTLB_EINVAL;
	}
	if (!j->bs_min || j->bs_max < j->bs_min || !j->iodepth || !j->threads || (!j->ios && !j->runtime_ms) ||
	    !j->align || (j->align & (j->align - 1)) || j->rwmixread > 100) {
		snprintf(err, len, "job %s: inconsistent parameters", j->name);
		return SWIOTLB_EINVAL;
	}
	for (unsigned i = 0; i < nidx; i++)
		nq += r->spec[idx[i]].queues;
	js->queues = calloc(nq, sizeof(*js->queues));
	if (!js->queues)
		return SWIOTLB_ENOMEM;
	js->nq = nq;
	uint32_t stride = (uint32_t)(((uint64_t)j->bs_max + 2 * SIM_PAGE - 1) & ~(SIM_PAGE - 1));
	unsigned k = 0;
	for (unsigned i = 0; i < nidx; i++) {
		const struct swiotlb_sim_device *d = &r->spec[idx[i]];
		for (uint32_t qi = 0; qi < d->queues; qi++, k++) {
			struct queue *q = &js->queues[k];
			q->run = r;
			q->js = js;
			q->dev = (unsigned)idx[i];
			q->cpu = qi % swiotlb_sim_get_machine(r->sim)->cpus;
			q->depth = j->iodepth < d->depth ? j->iodepth : d->depth;
			q->stride = stride;
			q->rng = j->seed * 0x100000001b3ull + (uint64_t)idx[i] * 977 + qi;
			q->seq = (uint64_t)qi << 40;
			q->slots = calloc(q->depth, sizeof(*q->slots));
			if (!q->slots)
				return SWIOTLB_ENOMEM;
			for (uint32_t n = 0; n < q->depth; n++) {
				q->slots[n].index = n;
				q->slots[n].reg = r->nreg++;
			}
			q->vq.dev = (unsigned)idx[i];
			q->vq.hostile = d->hostile;
			q->vq.rng = (j->seed ^ 0x4057113ull) * 0x9e3779b97f4a7c15ull + (uint64_t)idx[i] * 7919 + qi;
			q->vq.d = &r->dev[idx[i]];
			q->vq.limit = d->bus_limit && d->bus_limit < d->dma_mask ? d->bus_limit : d->dma_mask;
			q->vq.rx_sync = d->rx_sync;
			q->vq.cpu = q->cpu;
			q->vq.trace = r->traced ? &r->trace : NULL;
			q->vq.res = &q->res;
			uint64_t bytes = (uint64_t)q->depth * stride;
			*buffer_bytes += bytes;
			if (*buffer_bytes > BUFFER_BUDGET) {
				snprintf(err, len,
					 "job %s: the I/O buffers of all queues would take more than %llu MiB of guest RAM (lower iodepth, bs or queues)",
					 j->name, (unsigned long long)(BUFFER_BUDGET >> 20));
				return SWIOTLB_EINVAL;
			}
			if (swiotlb_sim_alloc(r->sim, bytes, j->low_buffers ? SIM_LOW_LIMIT : ~0ull, &q->buf_phys) ||
			    !(q->buf_cpu = swiotlb_sim_ptr(r->sim, q->buf_phys, bytes))) {
				snprintf(err, len, "job %s: no guest RAM%s left for %llu KiB of I/O buffers", j->name,
					 j->low_buffers ? " below 4 GiB" : "", (unsigned long long)(bytes >> 10));
				return SWIOTLB_ENOMEM;
			}
			if (j->ios)
				q->budget = j->ios / nq + (k < j->ios % nq);
			else
				q->budget = UINT64_MAX;
		}
	}
	unsigned nw = j->threads < nq ? j->threads : nq;
	js->workers = calloc(nw, sizeof(*js->workers));
	if (!js->workers)
		return SWIOTLB_ENOMEM;
	js->nw = nw;
	for (unsigned t = 0; t < nw; t++) {
		struct worker *w = &js->workers[t];
		w->run = r;
		w->js = js;
		w->q = calloc(nq / nw + 1, sizeof(*w->q));
		w->scratch = malloc(j->bs_max);
		if (r->verified)
			w->expect = malloc(j->bs_max > 65536 ? j->bs_max : 65536);
		if (!w->q || !w->scratch || (r->verified && !w->expect))
			return SWIOTLB_ENOMEM;
		for (unsigned i = t; i < nq; i += nw)
			w->q[w->nq++] = &js->queues[i];
	}
	return 0;
}

/* The registry of bytes in flight, and every original's I/O slot private. */
static int start_verified(struct run *r)
{
	int rc = sim_verify_create(r->sim, r->tlb, r->nreg, &r->v);
	if (rc)
		return rc;
	for (unsigned k = 0; k < r->njobs; k++)
		for (unsigned i = 0; i < r->js[k].nq; i++) {
			struct queue *q = &r->js[k].queues[i];
			sim_private_fill(q->buf_cpu, q->buf_phys, (size_t)q->depth * q->stride, q->dev);
		}
	return 0;
}

static void add_verdict(struct swiotlb_sim_verify_result *v, const struct sim_vq *vq)
{
	v->active = true;
	v->verified_bytes += vq->res->verified_bytes;
	v->mismatch_bytes += vq->res->mismatch_bytes;
	v->leak_bytes += vq->res->leak_bytes;
	v->stray_bytes += vq->res->stray_bytes;
	v->guard_bytes += vq->guard_bytes;
	v->checks += vq->checks;
	v->check_failures += vq->check_failures;
	v->peek_foreign_bytes += vq->peek_foreign;
	v->peek_private_bytes += vq->peek_private;
	for (int k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++) {
		const struct swiotlb_sim_hostile_result *a = &vq->kind[k];
		struct swiotlb_sim_hostile_result *t = &v->kind[k];
		t->actions += a->actions;
		t->bytes += a->bytes;
		t->probes += a->probes;
		t->refused += a->refused;
		t->accepted += a->accepted;
		t->unexpected += a->unexpected;
	}
}

int swiotlb_sim_run(struct swiotlb_sim *sim, struct swiotlb *tlb, const struct swiotlb_sim_device *devs,
		    unsigned ndevs, const struct swiotlb_sim_job *jobs, unsigned njobs,
		    const struct swiotlb_sim_run_opts *opts, struct swiotlb_sim_run_result *res, char *err, size_t len)
{
	if (!sim || !tlb || !devs || !jobs || !res || !ndevs || !njobs || ndevs > SWIOTLB_SIM_MAX_DEVICES ||
	    njobs > SWIOTLB_SIM_MAX_JOBS) {
		snprintf(err, len, "run: %s", !ndevs ? "no devices" : !njobs ? "no jobs" : "bad arguments");
		return SWIOTLB_EINVAL;
	}
	memset(res, 0, sizeof(*res));
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		return SWIOTLB_ENOMEM;
	r->sim = sim;
	r->tlb = tlb;
	r->spec = devs;
	r->ndevs = ndevs;
	int rc = 0;
	for (unsigned i = 0; i < ndevs; i++) {
		const struct swiotlb_sim_device *d = &devs[i];
		if (!d->dma_mask || !d->queues || d->queues > SWIOTLB_SIM_MAX_QUEUES || !d->depth ||
		    d->depth > SWIOTLB_SIM_MAX_DEPTH) {
			snprintf(err, len, "device %s: inconsistent parameters", d->name);
			free(r);
			return SWIOTLB_EINVAL;
		}
		swiotlb_device_init(&r->dev[i], d->name, d->dma_mask);
		r->dev[i].bus_dma_limit = d->bus_limit;
		r->dev[i].min_align_mask = d->min_align;
		r->dev[i].seg_boundary_mask = d->seg_boundary;
		r->verified |= d->hostile != 0;
	}
	if (r->verified && ndevs > SWIOTLB_SIM_MAX_VERIFIED_DEVICES) {
		snprintf(err, len, "run: a run with a hostile device takes at most %d devices (%u given)",
			 SWIOTLB_SIM_MAX_VERIFIED_DEVICES, ndevs);
		free(r);
		return SWIOTLB_EINVAL;
	}
	if (opts && opts->dma_event) {
		r->trace.fn = opts->dma_event;
		r->trace.arg = opts->dma_event_arg;
		pthread_mutex_init(&r->trace.lock, NULL);
		r->traced = true;
	}
	uint64_t buffer_bytes = 0, max_runtime = 0;
	unsigned nthreads = 0;
	bool timed = false;
	for (unsigned k = 0; k < njobs && !rc; k++) {
		r->njobs = k + 1;
		rc = setup_job(r, &r->js[k], &jobs[k], &buffer_bytes, err, len);
		nthreads += r->js[k].nw;
		r->total += jobs[k].ios;
		timed |= !jobs[k].ios;
		if (jobs[k].runtime_ms > max_runtime)
			max_runtime = jobs[k].runtime_ms;
	}
	if (!rc && nthreads > SWIOTLB_SIM_MAX_THREADS) {
		snprintf(err, len, "run: %u threads in all, at most %u", nthreads, SWIOTLB_SIM_MAX_THREADS);
		rc = SWIOTLB_EINVAL;
	}
	if (!rc && r->verified)
		rc = start_verified(r);
	if (rc) {
		if (rc == SWIOTLB_ENOMEM && !err[0])
			snprintf(err, len, "run: out of memory");
		free_run(r);
		free(r);
		return rc;
	}
	if (timed)
		r->total = 0;

	r->start_ns = now_ns();
	r->half_ns = r->start_ns + max_runtime * 1000000ull / 2;
	for (unsigned k = 0; k < r->njobs; k++)
		r->js[k].deadline_ns = r->start_ns + r->js[k].j->runtime_ms * 1000000ull;
	atomic_store(&r->running, (int)nthreads);
	for (unsigned k = 0; k < r->njobs; k++) {
		for (unsigned t = 0; t < r->js[k].nw; t++) {
			struct worker *w = &r->js[k].workers[t];
			if (pthread_create(&w->th, NULL, worker_main, w) == 0) {
				w->started = true;
			} else {
				atomic_fetch_sub(&r->running, 1);
				worker_main(w); /* no thread to be had: run it here */
			}
		}
	}
	uint64_t last = r->start_ns;
	while (atomic_load(&r->running) > 0) {
		usleep(20000);
		uint64_t t = now_ns();
		if (opts && opts->progress && t - last >= 250000000ull) {
			last = t;
			opts->progress(opts->progress_arg, atomic_load(&r->done), r->total, atomic_load(&r->bytes),
				       t - r->start_ns);
		}
	}
	for (unsigned k = 0; k < r->njobs; k++)
		for (unsigned t = 0; t < r->js[k].nw; t++)
			if (r->js[k].workers[t].started)
				pthread_join(r->js[k].workers[t].th, NULL);
	res->elapsed_ns = now_ns() - r->start_ns;
	if (!r->peak)
		r->peak = stats_text(tlb);
	res->peak = r->peak;
	if (r->v)
		/* every I/O completed: the allocator must be whole */
		sim_verify_check(r->v, &r->js[0].queues[0].vq, "at the end of the run");

	for (unsigned k = 0; k < r->njobs; k++) {
		struct job_state *js = &r->js[k];
		struct swiotlb_sim_job_result *jr = &res->job[k];
		jr->threads = js->nw;
		jr->queues = js->nq;
		uint64_t end = atomic_load(&js->end_ns);
		jr->elapsed_ns = end > r->start_ns ? end - r->start_ns : 0;
		for (unsigned i = 0; i < js->nq; i++) {
			const struct queue *q = &js->queues[i];
			struct swiotlb_sim_dev_result *d = &res->dev[q->dev];
			jr->ios += q->res.ios;
			jr->bytes += q->res.bytes_read + q->res.bytes_written;
			d->ios += q->res.ios;
			d->reads += q->res.reads;
			d->writes += q->res.writes;
			d->bytes_read += q->res.bytes_read;
			d->bytes_written += q->res.bytes_written;
			d->bounced += q->res.bounced;
			d->direct += q->res.direct;
			d->retries += q->res.retries;
			d->errors += q->res.errors;
			d->verify_errors += q->res.verify_errors;
			d->faults += q->res.faults;
			for (int p = 0; p < SWIOTLB_MAX_POOLS; p++)
				d->per_pool[p] += q->res.per_pool[p];
			if (!d->first_error[0] && q->res.first_error[0])
				snprintf(d->first_error, sizeof(d->first_error), "%s", q->res.first_error);
			d->verified_bytes += q->res.verified_bytes;
			d->mismatch_bytes += q->res.mismatch_bytes;
			d->leak_bytes += q->res.leak_bytes;
			d->stray_bytes += q->res.stray_bytes;
			if (r->v)
				add_verdict(&res->verify, &q->vq);
		}
	}
	if (r->v)
		snprintf(res->verify.first_problem, sizeof(res->verify.first_problem), "%s",
			 sim_verify_first_problem(r->v));
	free_run(r);
	free(r);
	return 0;
}

void swiotlb_sim_run_free(struct swiotlb_sim_run_result *res)
{
	if (res) {
		free(res->peak);
		res->peak = NULL;
	}
}
