/* SPDX-License-Identifier: MIT */
/*
 * The fio-like workload behind `swiotlb blk` (and the tests): phases of
 * I/O over a region of the device, one worker per queue, each keeping
 * `iodepth` requests in flight, with optional verification.
 *
 * Blocks.  The region is cut into blocks of bs bytes.  Worker w of Q takes
 * the I/Os whose global index i satisfies i % Q == w, so the workers touch
 * disjoint blocks in every sequential or random pass; random passes visit
 * every block exactly once per pass in an order given by a keyed Feistel
 * permutation (no map in memory).  randrw picks blocks at random among the
 * worker's own blocks (block % Q == w) and never issues two I/Os to one
 * block at once.
 *
 * Verification.  A write of block b stores a pattern derived from (seed, b,
 * generation); the block's generation is committed only when the device
 * completes the write with status OK.  A read of a block with a known
 * generation is compared with the pattern it must hold; the first 32 bytes
 * name the block and generation that were written, so a mismatch tells a
 * misdirected block (another block's data) from a stale or lost one.  A
 * write that never completed leaves its block unknown, and unverified.
 *
 * Faults.  A full bounce pool (-ENOBUFS) makes the worker reap completions
 * and retry the same request, unless fail_fast.  A dead back end ends the
 * run: the requests in flight come back failed and are counted as lost,
 * never as done.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hist.h"
#include "swiotlb/vhost_blk.h"

#define GEN_UNKNOWN 0xffffffffu
#define MAGIC 0x53574c4250415454ull /* "SWLBPATT" */
#define BATCH 64

const double swiotlb_vblk_percentiles[SWIOTLB_VBLK_NPCT] = {50, 90, 95, 99, 99.5, 99.9, 99.99};

static const char *const rw_names[] = {"read", "write", "randread", "randwrite", "randrw"};

int swiotlb_vblk_rw_from_name(const char *name)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, rw_names[i]))
			return i;
	return -1;
}

const char *swiotlb_vblk_rw_name(int rw)
{
	return rw >= 0 && rw < 5 ? rw_names[rw] : "?";
}

void swiotlb_vblk_load_opts_init(struct swiotlb_vblk_load_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->rw = SWIOTLB_VBLK_READ;
	o->bs = 4096;
	o->iodepth = 1;
	o->rwmix_read = 50;
	o->progress_ms = 500;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The latency histogram is the one of common/hist.h, shared with bench. */

/* ------------------------------------------------------------ patterns */

static void pattern_fill(uint64_t *w, size_t words, uint64_t seed, uint64_t block, uint32_t gen)
{
	w[0] = MAGIC ^ seed;
	w[1] = block;
	w[2] = gen;
	w[3] = seed;
	uint64_t x = mix64(seed ^ mix64(block * 0x9e3779b97f4a7c15ull + gen)) | 1;
	for (size_t i = 4; i < words; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

/* 0: the block holds (block, gen); else describe the mismatch in why. */
static int pattern_check(const uint64_t *w, size_t words, uint64_t seed, uint64_t block, uint32_t gen,
			 bool *misdirected, char *why, size_t len)
{
	*misdirected = false;
	bool head_ok = w[0] == (MAGIC ^ seed) && w[1] == block && w[2] == gen && w[3] == seed;
	if (head_ok) {
		uint64_t x = mix64(seed ^ mix64(block * 0x9e3779b97f4a7c15ull + gen)) | 1;
		for (size_t i = 4; i < words; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (w[i] != x) {
				snprintf(why, len, "block %llu gen %u: byte %zu differs", (unsigned long long)block, gen,
					 i * 8);
				return 1;
			}
		}
		return 0;
	}
	if (w[0] == (MAGIC ^ seed) && w[1] != block) {
		*misdirected = true;
		snprintf(why, len, "block %llu gen %u holds block %llu gen %llu (misdirected)",
			 (unsigned long long)block, gen, (unsigned long long)w[1], (unsigned long long)w[2]);
	} else if (w[0] == (MAGIC ^ seed)) {
		snprintf(why, len, "block %llu holds generation %llu, expected %u (stale: a write was lost)",
			 (unsigned long long)block, (unsigned long long)w[2], gen);
	} else {
		snprintf(why, len, "block %llu gen %u holds no pattern (first word 0x%llx: lost)",
			 (unsigned long long)block, gen, (unsigned long long)w[0]);
	}
	return 1;
}

/* ------------------------------------------------------------ permutation */

/* A keyed bijection of [0, n): Feistel rounds on 2k bits, cycle walking. */
struct perm {
	uint64_t n, key;
	unsigned half;
	uint64_t mask;
};

static void perm_init(struct perm *p, uint64_t n, uint64_t key)
{
	p->n = n;
	p->key = key;
	unsigned bits = 2;
	while ((1ull << bits) < n)
		bits++;
	bits += bits & 1;
	p->half = bits / 2;
	p->mask = (1ull << p->half) - 1;
}

static uint64_t perm_at(const struct perm *p, uint64_t x)
{
	if (p->n <= 1)
		return 0;
	do {
		uint64_t l = x >> p->half, r = x & p->mask;
		for (unsigned round = 0; round < 4; round++) {
			uint64_t f = mix64(r ^ (p->key + round * 0x9e3779b97f4a7c15ull)) & p->mask;
			uint64_t t = l ^ f;
			l = r;
			r = t;
		}
		x = (l << p->half) | r;
	} while (x >= p->n);
	return x;
}

/* ------------------------------------------------------------ the run */

enum kind { K_SEQ, K_RAND, K_MIX, K_VERIFY_ALL };

struct phase_def {
	const char *name;
	enum kind kind;
	bool write;     /* K_SEQ / K_RAND */
	uint64_t nios;  /* K_SEQ / K_RAND / K_MIX */
	uint64_t key;   /* permutation key */
};

struct io {
	struct swiotlb_vblk_req r;
	uint64_t block;
	uint32_t gen;
	bool write;
	uint64_t t0;
	uint64_t phys;
	uint8_t *buf;
};

struct load;

struct worker {
	struct load *L;
	unsigned q;
	pthread_t thread;
	struct io *ios;
	unsigned *free_ios;
	unsigned nfree;
	struct hist hist;
	uint64_t rng;
	uint64_t next;        /* next global I/O index (K_SEQ / K_RAND) or count (K_MIX) */
	uint64_t reads, writes, bytes, pool_waits;
	uint64_t checksum;    /* of the data read with touch (keeps the reads real) */
	struct io *pending;   /* prepared but not yet accepted by the queue */
	int ret;
};

struct load {
	struct swiotlb_vblk *vb;
	struct swiotlb_vblk_load_opts o;
	struct swiotlb_vblk_result *res;
	unsigned nq;
	uint64_t nblocks, base_sector;
	uint32_t sectors;     /* per block */
	uint32_t *gen;        /* per block: committed generation, 0 never written, GEN_UNKNOWN */
	uint8_t *busy;        /* per block: an I/O is in flight (owner worker only) */
	const struct phase_def *ph;
	struct perm perm;
	_Atomic uint64_t done, bytes_done;
	_Atomic int stop;     /* first error */
	_Atomic uint64_t writes_done, reads_done, verified, mismatches, misdirected, io_errors, lost, pool_full;
	pthread_mutex_t lock; /* errmsg, first_mismatch */
	uint64_t phase_start;
	uint64_t phase_total;
};

static void fail(struct load *L, int err, const char *msg)
{
	int expected = 0;
	pthread_mutex_lock(&L->lock);
	if (atomic_compare_exchange_strong(&L->stop, &expected, err))
		snprintf(L->res->errmsg, sizeof(L->res->errmsg), "%.*s", (int)sizeof(L->res->errmsg) - 1, msg);
	pthread_mutex_unlock(&L->lock);
}

/* The block of global I/O index i in the current phase. */
static uint64_t block_of(struct load *L, uint64_t i)
{
	uint64_t b = i % L->nblocks;
	if (L->ph->kind == K_RAND) {
		struct perm p = L->perm;
		p.key ^= mix64(i / L->nblocks); /* a new order each pass */
		b = perm_at(&p, b);
	}
	return b;
}

/* Prepare the worker's next I/O; NULL when its share of the phase is done. */
static struct io *next_io(struct worker *w)
{
	struct load *L = w->L;
	if (w->pending)
		return w->pending;
	if (!w->nfree)
		return NULL;
	uint64_t block;
	bool write;
	const struct phase_def *ph = L->ph;
	if (ph->kind == K_SEQ || ph->kind == K_RAND) {
		if (w->next >= ph->nios)
			return NULL;
		block = block_of(L, w->next);
		write = ph->write;
		w->next += L->nq;
	} else if (ph->kind == K_VERIFY_ALL) {
		for (;;) {
			if (w->next >= L->nblocks)
				return NULL;
			block = w->next;
			w->next += L->nq;
			uint32_t g = L->gen[block];
			if (g && g != GEN_UNKNOWN)
				break;
		}
		write = false;
	} else {
		/* K_MIX: a random idle block of this worker's own */
		uint64_t mine = (L->nblocks - w->q + L->nq - 1) / L->nq;
		if (w->next >= (ph->nios + L->nq - 1 - w->q) / L->nq || !mine)
			return NULL;
		w->rng = mix64(w->rng);
		uint64_t k = w->rng % mine;
		for (uint64_t tries = 0; L->busy[w->q + k * L->nq]; tries++) {
			if (tries >= mine)
				return NULL; /* cannot happen: iodepth < blocks is checked */
			k = (k + 1) % mine;
		}
		block = w->q + k * L->nq;
		w->rng = mix64(w->rng);
		write = (w->rng % 100) >= L->o.rwmix_read;
		w->next++;
	}
	struct io *io = &w->ios[w->free_ios[--w->nfree]];
	io->block = block;
	io->write = write;
	io->r.type = write ? SWIOTLB_VBLK_T_OUT : SWIOTLB_VBLK_T_IN;
	io->r.sector = L->base_sector + block * L->sectors;
	io->r.data = io->phys;
	io->r.len = L->o.bs;
	io->r.cookie = io;
	if (write) {
		uint32_t g = L->gen[block];
		io->gen = (g == GEN_UNKNOWN ? 0 : g) + 1;
		if (io->gen == GEN_UNKNOWN)
			io->gen = 1;
		if (L->o.verify)
			pattern_fill((uint64_t *)io->buf, L->o.bs / 8, L->o.seed, block, io->gen);
		else if (L->o.touch)
			memset(io->buf, (int)(block & 0xff), L->o.bs);
	} else {
		io->gen = L->gen[block];
	}
	L->busy[block] = 1;
	w->pending = io;
	return io;
}

static void finish_io(struct worker *w, struct io *io, uint64_t t)
{
	struct load *L = w->L;
	struct swiotlb_vblk_req *r = &io->r;
	L->busy[io->block] = 0;
	w->free_ios[w->nfree++] = (unsigned)(io - w->ios);
	if (r->error) {
		atomic_fetch_add(&L->lost, 1);
		if (io->write)
			L->gen[io->block] = GEN_UNKNOWN; /* it may or may not have reached the disk */
		return;
	}
	hist_add(&w->hist, t - io->t0);
	atomic_fetch_add(&L->done, 1);
	if (r->status != SWIOTLB_VBLK_S_OK) {
		atomic_fetch_add(&L->io_errors, 1);
		if (io->write)
			L->gen[io->block] = GEN_UNKNOWN;
		return;
	}
	atomic_fetch_add(&L->bytes_done, r->len);
	w->bytes += r->len;
	if (io->write) {
		w->writes++;
		atomic_fetch_add(&L->writes_done, 1);
		L->gen[io->block] = io->gen;
		return;
	}
	w->reads++;
	atomic_fetch_add(&L->reads_done, 1);
	if (L->o.touch && !L->o.verify) {
		const uint64_t *p = (const uint64_t *)io->buf;
		uint64_t sum = 0;
		for (size_t i = 0; i < L->o.bs / 8; i++)
			sum ^= p[i];
		w->checksum ^= sum;
	}
	if (!L->o.verify || !io->gen || io->gen == GEN_UNKNOWN)
		return;
	atomic_fetch_add(&L->verified, 1);
	bool mis;
	char why[160];
	if (pattern_check((const uint64_t *)io->buf, L->o.bs / 8, L->o.seed, io->block, io->gen, &mis, why,
			  sizeof(why))) {
		if (atomic_fetch_add(&L->mismatches, 1) == 0) {
			pthread_mutex_lock(&L->lock);
			snprintf(L->res->first_mismatch, sizeof(L->res->first_mismatch), "%s", why);
			pthread_mutex_unlock(&L->lock);
		}
		if (mis)
			atomic_fetch_add(&L->misdirected, 1);
	}
}

static void maybe_progress(struct worker *w, uint64_t *last)
{
	struct load *L = w->L;
	if (w->q != 0 || !L->o.progress)
		return;
	uint64_t t = now_ns();
	if (t - *last < (uint64_t)L->o.progress_ms * 1000000ull)
		return;
	*last = t;
	L->o.progress(L->o.progress_arg, L->ph->name, atomic_load(&L->done), L->phase_total,
		      atomic_load(&L->bytes_done), t - L->phase_start);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct load *L = w->L;
	struct swiotlb_vblk_req *done[BATCH];
	uint64_t last_progress = now_ns(), stuck_since = 0;
	char msg[300];
	for (;;) {
		bool stopping = atomic_load(&L->stop) != 0;
		unsigned submitted = 0;
		while (!stopping && swiotlb_vblk_inflight(L->vb, w->q) < L->o.iodepth) {
			struct io *io = next_io(w);
			if (!io)
				break;
			io->t0 = now_ns();
			int serr = 0;
			int rc = swiotlb_vblk_submit(L->vb, w->q, &io->r, false, &serr);
			if (rc == 0) {
				stuck_since = 0;
				w->pending = NULL;
				submitted++;
				continue;
			}
			if (rc == -ENOBUFS) {
				unsigned inflight = swiotlb_vblk_inflight(L->vb, w->q);
				if (!inflight && !L->o.fail_fast && L->nq > 1) {
					/* the other queues hold the slots: let them complete */
					uint64_t t = now_ns();
					if (!stuck_since)
						stuck_since = t;
					if (t - stuck_since < 5000000000ull) {
						w->pool_waits++;
						struct timespec ts = {0, 50000};
						nanosleep(&ts, NULL);
						continue;
					}
				}
				if (L->o.fail_fast || inflight == 0) {
					atomic_fetch_add(&L->pool_full, 1);
					snprintf(msg, sizeof(msg),
						 "the bounce pool is full (%s) with %u request(s) in flight on queue %u%s",
						 swiotlb_errname(serr), inflight, w->q,
						 inflight ? "; --fail-fast" : ": it cannot hold one request");
					fail(L, -ENOBUFS, msg);
				} else {
					w->pool_waits++; /* wait for completions to free slots */
				}
				break;
			}
			if (rc == -EAGAIN)
				break; /* ring full: reap first */
			if (rc == -E2BIG || rc == -EINVAL || rc == -EROFS || rc == -EIO)
				snprintf(msg, sizeof(msg), "submit on queue %u: %s", w->q,
					 rc == -E2BIG ? "the request is larger than the device or the pool allows"
						      : strerror(-rc));
			else /* the connection is gone: its own message says why */
				snprintf(msg, sizeof(msg), "%s", swiotlb_vblk_errmsg(L->vb));
			fail(L, rc, msg);
			break;
		}
		if (submitted && swiotlb_vblk_kick(L->vb, w->q))
			fail(L, -EPIPE, "cannot notify the back end");
		unsigned inflight = swiotlb_vblk_inflight(L->vb, w->q);
		if (!inflight) {
			if (atomic_load(&L->stop) || !next_io(w))
				break; /* done, or stopped with nothing left in flight */
			continue;
		}
		int n = swiotlb_vblk_complete(L->vb, w->q, done, BATCH, -1);
		if (n < 0) {
			snprintf(msg, sizeof(msg), "%s", swiotlb_vblk_errmsg(L->vb));
			fail(L, n, msg);
			break;
		}
		uint64_t t = now_ns();
		for (int i = 0; i < n; i++)
			finish_io(w, done[i]->cookie, t);
		maybe_progress(w, &last_progress);
	}
	if (w->pending) { /* prepared, never submitted */
		L->busy[w->pending->block] = 0;
		w->free_ios[w->nfree++] = (unsigned)(w->pending - w->ios);
		w->pending = NULL;
	}
	return NULL;
}

static void stats_delta(struct swiotlb_stats *d, const struct swiotlb_stats *a, const struct swiotlb_stats *b)
{
#define DELTA(field, key, help) d->field = b->field - a->field;
	SWIOTLB_STATS(DELTA)
#undef DELTA
	d->nslabs = b->nslabs;
	d->used = b->used;
	d->used_hiwater = b->used_hiwater;
	d->transient_nslabs = b->transient_nslabs;
}

static int run_phase(struct load *L, struct worker *ws, const struct phase_def *ph)
{
	struct swiotlb_vblk_result *res = L->res;
	struct swiotlb_vblk_phase *P = &res->phase[res->nphases++];
	snprintf(P->name, sizeof(P->name), "%s", ph->name);
	L->ph = ph;
	perm_init(&L->perm, L->nblocks, ph->key);
	atomic_store(&L->done, 0);
	atomic_store(&L->bytes_done, 0);
	L->phase_total = ph->kind == K_VERIFY_ALL ? 0 : ph->nios;
	if (ph->kind == K_VERIFY_ALL)
		for (uint64_t b = 0; b < L->nblocks; b++)
			L->phase_total += L->gen[b] && L->gen[b] != GEN_UNKNOWN;
	struct swiotlb *tlb = swiotlb_vblk_tlb(L->vb);
	struct swiotlb_stats before, after;
	swiotlb_reset_hiwater(tlb, 0);
	swiotlb_get_stats(tlb, -1, &before);
	for (unsigned q = 0; q < L->nq; q++) {
		struct worker *w = &ws[q];
		hist_init(&w->hist);
		w->next = ph->kind == K_MIX ? 0 : q;
		w->reads = w->writes = w->bytes = w->pool_waits = 0;
	}
	L->phase_start = now_ns();
	for (unsigned q = 1; q < L->nq; q++)
		if (pthread_create(&ws[q].thread, NULL, worker_main, &ws[q]))
			ws[q].thread = 0;
	worker_main(&ws[0]);
	for (unsigned q = 1; q < L->nq; q++) {
		if (ws[q].thread)
			pthread_join(ws[q].thread, NULL);
		else
			worker_main(&ws[q]); /* no thread: run it here */
	}
	P->ns = now_ns() - L->phase_start;
	swiotlb_get_stats(tlb, -1, &after);
	stats_delta(&P->tlb, &before, &after);
	struct hist *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (unsigned q = 0; q < L->nq; q++) {
		hist_merge(h, &ws[q].hist);
		P->reads += ws[q].reads;
		P->writes += ws[q].writes;
		P->bytes += ws[q].bytes;
		P->pool_waits += ws[q].pool_waits;
	}
	P->ios = h->n;
	P->lat_min_ns = h->min;
	P->lat_max_ns = h->max;
	P->lat_mean_ns = h->n ? h->sum / h->n : 0;
	for (int i = 0; i < SWIOTLB_VBLK_NPCT; i++)
		P->lat_pct_ns[i] = hist_pct(h, swiotlb_vblk_percentiles[i]);
	free(h);
	return atomic_load(&L->stop);
}

int swiotlb_vblk_load_run(struct swiotlb_vblk *vb, const struct swiotlb_vblk_load_opts *o,
			  struct swiotlb_vblk_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!vb || !o || o->size != sizeof(*o) || o->rw < 0 || o->rw > SWIOTLB_VBLK_RANDRW) {
		snprintf(res->errmsg, sizeof(res->errmsg), "bad workload options");
		return res->error = -EINVAL;
	}
	struct swiotlb_vblk_info info;
	swiotlb_vblk_info(vb, &info);
	struct load *L = calloc(1, sizeof(*L));
	if (!L)
		return res->error = -ENOMEM;
	L->vb = vb;
	L->o = *o;
	L->res = res;
	pthread_mutex_init(&L->lock, NULL);
	if (!L->o.bs)
		L->o.bs = 4096;
	if (!L->o.iodepth)
		L->o.iodepth = 1;
	if (!L->o.rwmix_read && o->rw == SWIOTLB_VBLK_RANDRW)
		L->o.rwmix_read = 50;
	if (!L->o.seed)
		L->o.seed = 0x5eed5eed;
	if (!L->o.progress_ms)
		L->o.progress_ms = 500;
	L->nq = info.num_queues;
	int rc = 0;
	uint64_t region = o->region ? o->region : (info.capacity > o->offset ? info.capacity - o->offset : 0);
	if (L->o.bs % SWIOTLB_VBLK_SECTOR || L->o.bs % info.blk_size || o->offset % L->o.bs ||
	    o->offset > info.capacity || region > info.capacity - o->offset || region < L->o.bs) {
		snprintf(res->errmsg, sizeof(res->errmsg),
			 "bs %u, offset %llu and region %llu do not fit the device (%llu bytes, block size %u)", L->o.bs,
			 (unsigned long long)o->offset, (unsigned long long)region, (unsigned long long)info.capacity,
			 info.blk_size);
		rc = -EINVAL;
		goto out;
	}
	if (L->o.bs > info.max_request_bytes) {
		snprintf(res->errmsg, sizeof(res->errmsg), "bs %u is above the largest request the device takes (%llu)",
			 L->o.bs, (unsigned long long)info.max_request_bytes);
		rc = -EINVAL;
		goto out;
	}
	L->nblocks = region / L->o.bs;
	L->sectors = L->o.bs / SWIOTLB_VBLK_SECTOR;
	L->base_sector = o->offset / SWIOTLB_VBLK_SECTOR;
	if (L->nblocks < (uint64_t)L->o.iodepth * L->nq && o->rw == SWIOTLB_VBLK_RANDRW) {
		snprintf(res->errmsg, sizeof(res->errmsg), "randrw needs more blocks than iodepth x queues");
		rc = -EINVAL;
		goto out;
	}
	L->gen = calloc(L->nblocks, sizeof(uint32_t));
	L->busy = calloc(L->nblocks, 1);
	struct worker *ws = calloc(L->nq, sizeof(*ws));
	void *mark_cpu;
	uint64_t arena_mark = 0;
	if (swiotlb_vblk_alloc(vb, 0, 4096, &arena_mark, &mark_cpu))
		arena_mark = 0;
	if (!L->gen || !L->busy || !ws) {
		free(ws);
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned q = 0; q < L->nq && !rc; q++) {
		struct worker *w = &ws[q];
		w->L = L;
		w->q = q;
		w->rng = mix64(L->o.seed + q + 1);
		w->ios = calloc(L->o.iodepth, sizeof(struct io));
		w->free_ios = calloc(L->o.iodepth, sizeof(unsigned));
		if (!w->ios || !w->free_ios) {
			rc = -ENOMEM;
			break;
		}
		for (unsigned i = 0; i < L->o.iodepth; i++) {
			void *cpu;
			if (swiotlb_vblk_alloc(vb, L->o.bs, 4096, &w->ios[i].phys, &cpu)) {
				snprintf(res->errmsg, sizeof(res->errmsg),
					 "the arena cannot hold %u x %u x %u bytes of buffers", L->nq, L->o.iodepth, L->o.bs);
				rc = -ENOMEM;
				break;
			}
			w->ios[i].buf = cpu;
			memset(cpu, 0, L->o.bs); /* fault the buffer in before the clock starts */
			w->free_ios[w->nfree++] = L->o.iodepth - 1 - i;
		}
	}
	if (!rc) {
		uint64_t nios = o->nios ? o->nios : L->nblocks;
		struct phase_def defs[SWIOTLB_VBLK_MAX_PHASES];
		int nd = 0;
		uint64_t key = mix64(L->o.seed ^ 0xabcdef);
		bool rnd = o->rw == SWIOTLB_VBLK_RANDREAD || o->rw == SWIOTLB_VBLK_RANDWRITE;
		const char *wname = rnd ? "randwrite" : "write", *rname = rnd ? "randread" : "read";
		if (o->rw == SWIOTLB_VBLK_RANDRW) {
			defs[nd++] = (struct phase_def){"randrw", K_MIX, false, nios, key};
			if (o->verify)
				defs[nd++] = (struct phase_def){"verify", K_VERIFY_ALL, false, 0, key};
		} else if (o->verify) {
			/* write the patterns, then read the same blocks back in a new order */
			defs[nd++] = (struct phase_def){wname, rnd ? K_RAND : K_SEQ, true, nios, key};
			defs[nd++] = (struct phase_def){rname, rnd ? K_RAND : K_SEQ, false, nios, mix64(key)};
		} else {
			bool wr = o->rw == SWIOTLB_VBLK_WRITE || o->rw == SWIOTLB_VBLK_RANDWRITE;
			defs[nd++] = (struct phase_def){wr ? wname : rname, rnd ? K_RAND : K_SEQ, wr, nios, key};
		}
		for (int i = 0; i < nd && !rc; i++)
			rc = run_phase(L, ws, &defs[i]);
	}
	for (unsigned q = 0; q < L->nq; q++) {
		free(ws[q].ios);
		free(ws[q].free_ios);
	}
	free(ws);
	swiotlb_vblk_release(vb, arena_mark); /* the buffers go back to the arena */
out:
	res->writes_done = atomic_load(&L->writes_done);
	res->reads_done = atomic_load(&L->reads_done);
	res->verified = atomic_load(&L->verified);
	res->mismatches = atomic_load(&L->mismatches);
	res->misdirected = atomic_load(&L->misdirected);
	res->io_errors = atomic_load(&L->io_errors);
	res->lost = atomic_load(&L->lost);
	res->pool_full = atomic_load(&L->pool_full);
	if (!rc && res->mismatches) {
		rc = -EILSEQ;
		snprintf(res->errmsg, sizeof(res->errmsg), "%llu mismatch(es); first: %s",
			 (unsigned long long)res->mismatches, res->first_mismatch);
	} else if (!rc && res->io_errors) {
		rc = -EIO;
		snprintf(res->errmsg, sizeof(res->errmsg), "%llu request(s) completed with an error status",
			 (unsigned long long)res->io_errors);
	}
	res->error = rc;
	free(L->gen);
	free(L->busy);
	pthread_mutex_destroy(&L->lock);
	free(L);
	return rc;
}
