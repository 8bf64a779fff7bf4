/* SPDX-License-Identifier: MIT */
/*
 * swiotlb bench [--profile NAME]... [--json] [--scale F] [--locks spin|mutex]
 * swiotlb bench dma-map [-t threads] [-s seconds] [-n node] [-g granule]
 *                       [-d dir] [-b bits] [-x delay_ns] [--policy NAME] [--json]
 *
 * The allocator benchmark of issue 4.  Every profile runs once per placement
 * policy in this process, on a fresh instance each time, and is printed side
 * by side with the ratio fast/linux, next to two floors measured in the same
 * run: memcpy of 4 KiB between hot buffers and malloc+free of 4 KiB (each the
 * fastest of five rounds).  Every
 * profile draws from a splitmix64 generator seeded with 42, so both policies
 * see the same sequence.
 *
 *   steady4k  64 MiB pool, 2,000,000 pairs of map 4096 B TO_DEVICE (copying
 *             4 KiB in) and unmap; ns per pair
 *   alloc4k   the same without the copy: the allocator alone
 *   mixed     64 MiB, no copy, up to 128 outstanding; 512 B 20 %, 4 KiB 50 %,
 *             16 KiB 15 %, 64 KiB 10 %, 256 KiB 5 %; at 128 outstanding one
 *             chosen uniformly is released before each map; 2,000,000 maps
 *   frag90    16 MiB, no copy, sizes uniform in 1..64 slots; fill to >= 90 %
 *             (a failure releases a random mapping), then 1,000,000 steps of
 *             release one at random and map until >= 90 % or a failure;
 *             failed/attempted maps, mean used fraction, ns per attempt
 *   threads2  steady4k on two threads at once, 1,000,000 pairs each, against
 *             one thread doing 1,000,000; pairs per second and the ratio.
 *             Both are measured three times, alternating, on fresh
 *             instances, and the best of each counts: on a shared machine a
 *             process that wakes on the second CPU halves one thread's speed,
 *             which says nothing about the allocator
 *   align     64 MiB, min_align_mask 0xfff, originals at 0x10000 + a random
 *             multiple of 8 below 4096, 4096 B, no copy, 1,000,000 pairs
 *
 * "No copy" keeps the whole mapping path (validation, pool choice, locks,
 * statistics) and only replaces the platform's copy routine with one that
 * does nothing.  Pools are touched before timing (the kernel's are resident),
 * every thread is pinned to its own CPU, and the instance has one area per
 * CPU, as the kernel sizes it.  Locks are the core's spinlock (the kernel's
 * choice) unless --locks mutex.
 *
 * The dma-map mode takes the flags of the kernel's dma_map_benchmark tool
 * (docs/kernel-semantics.md §10) and prints its output, then p50/p99.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "common/hist.h"
#include "json.h"
#include "opt.h"
#include "text.h"
#include "swiotlb/posix.h"
#include "swiotlb/swiotlb.h"

/* Append `name` to the ", "-separated list in buf. */
static void join(char *buf, size_t n, const char *name)
{
	size_t len = strlen(buf);
	snprintf(buf + len, n - len, "%s%s", len ? ", " : "", name);
}

/*
 * The policies measured: every one the library has (swiotlb_policy_name).
 * The table and its targets compare two of them by name, fast against the
 * kernel's linux: what issue 4 set out to measure.
 */
#define MAX_POLICIES 8
static const char *policies[MAX_POLICIES];
static int npolicies;

static void load_policies(void)
{
	for (npolicies = 0; npolicies < MAX_POLICIES && swiotlb_policy_name(npolicies); npolicies++)
		policies[npolicies] = swiotlb_policy_name(npolicies);
}

/* The index of policy `name`, or -1 (with a message naming the option) */
static int policy_index(struct tool_getopt *g, const char *name)
{
	char names[128] = "";
	for (int p = 0; p < npolicies; p++)
		if (!strcmp(policies[p], name))
			return p;
	for (int p = 0; p < npolicies; p++)
		join(names, sizeof(names), policies[p]);
	if (g)
		tool_usage_error(g, "%s: unknown policy '%s' (policies: %s)", g->as, name, names);
	return -1;
}

/* ------------------------------------------------------------- helpers */


static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct rng {
	uint64_t s;
};
static inline uint64_t splitmix64(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static inline uint64_t below(struct rng *r, uint64_t n) { return splitmix64(r) % n; }

static void pin_to(unsigned cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set); /* best effort */
}

static unsigned ncpus_online(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static void cpu_model(char *buf, size_t n)
{
	snprintf(buf, n, "unknown CPU");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			if (c) {
				c++;
				while (*c == ' ')
					c++;
				c[strcspn(c, "\n")] = 0;
				snprintf(buf, n, "%s", c);
			}
			break;
		}
	}
	fclose(f);
}

static void nocopy(void *ctx, void *dst, const void *src, size_t n)
{
	(void)ctx;
	(void)dst;
	(void)src;
	(void)n;
}

static void do_copy(void *ctx, void *dst, const void *src, size_t n)
{
	(void)ctx;
	memcpy(dst, src, n);
}

/* ------------------------------------------------------------- instances */

struct benv {
	struct swiotlb_posix *px;
	struct swiotlb_platform plat;
	struct swiotlb *tlb;
	struct swiotlb_device dev;
	uint64_t nslabs;
	uint32_t nareas;
	double meta_per_slot;
};

static bool use_mutex;
static const char *only_policy; /* --only: profile one policy (for callgrind) */

static int benv_open(struct benv *e, const char *policy, uint64_t nslabs, bool copy, uint64_t min_align,
		     unsigned dma_bits)
{
	memset(e, 0, sizeof(*e));
	struct swiotlb_posix_opts o;
	memset(&o, 0, sizeof(o));
	o.no_mutex = !use_mutex;
	if (swiotlb_posix_create(&o, &e->px))
		return -1;
	swiotlb_posix_platform(e->px, &e->plat);
	e->plat.copy = copy ? do_copy : nocopy;
	e->plat.log = NULL;
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.ncpus = ncpus_online();
	cfg.pools[0].nslabs = nslabs;
	if (policy)
		snprintf(cfg.policy, sizeof(cfg.policy), "%s", policy);
	int rc = swiotlb_create(&cfg, &e->plat, &e->tlb);
	if (rc || swiotlb_pool_count(e->tlb) != 1) {
		fprintf(stderr, "swiotlb bench: cannot create a %" PRIu64 "-slot pool with policy %s: %s\n", nslabs,
			policy ? policy : "(default)", swiotlb_strerror(rc ? rc : SWIOTLB_ENOMEM));
		if (!rc)
			swiotlb_destroy(e->tlb);
		swiotlb_posix_destroy(e->px);
		return -1;
	}
	struct swiotlb_pool_info info;
	swiotlb_pool_info(e->tlb, 0, &info);
	e->nslabs = info.nslabs;
	e->nareas = info.nareas;
	e->meta_per_slot = (double)info.meta_bytes / (double)info.nslabs;
	/* the kernel's pool is resident: fault it in before timing */
	memset(swiotlb_posix_ptr(e->px, info.base, info.end - info.base), 0, info.end - info.base);
	swiotlb_device_init(&e->dev, "bench", swiotlb_bit_mask(dma_bits));
	e->dev.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	e->dev.min_align_mask = min_align;
	return 0;
}

static void benv_close(struct benv *e)
{
	swiotlb_destroy(e->tlb);
	swiotlb_posix_destroy(e->px);
}

static void touch(struct benv *e, uint64_t phys, size_t n)
{
	memset(swiotlb_posix_ptr(e->px, phys, n), 0x5a, n);
}

static inline int map1(struct benv *e, uint64_t orig, size_t size, uint32_t dir, uint64_t *dma, uint32_t *slots)
{
	struct swiotlb_map_args a = { .orig = orig, .size = size, .dir = dir, .attrs = SWIOTLB_ATTR_NO_WARN, .cpu = -1 };
	struct swiotlb_map_result r;
	int rc = swiotlb_map_ex(e->tlb, &e->dev, &a, &r);
	*dma = r.dma;
	if (slots)
		*slots = r.slots;
	return rc;
}

/* ------------------------------------------------------------- results */

struct result {
	const char *profile, *policy;
	bool ran; /* the profile ran to its end for this policy */
	double ns_per_op;
	uint64_t ops, attempts, failures;
	double mean_used;   /* frag90 */
	double pps, one_pps, ratio; /* threads2 */
	double meta_per_slot;
	uint32_t nareas;
	uint64_t nslabs;
};

struct floors {
	double memcpy_ns, malloc_ns;
	double lock_ns; /* one uncontended round trip of the core's spinlock: what each map and each unmap pays at least */
};

static double scale = 1.0;
static uint64_t scaled(uint64_t n)
{
	double v = (double)n * scale;
	return v < 1 ? 1 : (uint64_t)v;
}

/*
 * A floor is the best the machine does, so each is the fastest of FLOOR_ROUNDS
 * rounds: one round of 2,000,000 copies swung between 30 and 53 ns here when
 * another process woke on the same CPU, which says nothing about memcpy.
 */
#define FLOOR_ROUNDS 5

static void measure_floors(struct floors *f)
{
	static unsigned char src[4096] __attribute__((aligned(64))), dst[4096] __attribute__((aligned(64)));
	memset(src, 1, sizeof(src));
	memset(dst, 2, sizeof(dst));
	uint64_t n = scaled(2000000);
	for (int i = 0; i < 1000; i++) {
		memcpy(dst, src, sizeof(dst));
		__asm__ volatile("" ::: "memory");
	}
	static atomic_int lock;
	f->memcpy_ns = f->malloc_ns = f->lock_ns = 1e30;
	for (int round = 0; round < FLOOR_ROUNDS; round++) {
		uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < n; i++) {
			memcpy(dst, src, sizeof(dst));
			__asm__ volatile("" ::: "memory");
		}
		uint64_t t1 = now_ns();
		for (uint64_t i = 0; i < n; i++) {
			void *p = malloc(4096);
			__asm__ volatile("" : : "r"(p) : "memory");
			free(p);
		}
		uint64_t t2 = now_ns();
		f->memcpy_ns = fmin(f->memcpy_ns, (double)(t1 - t0) / (double)n);
		f->malloc_ns = fmin(f->malloc_ns, (double)(t2 - t1) / (double)n);
		/* the area lock's uncontended acquire (an exchange) and release */
		for (uint64_t i = 0; i < n; i++) {
			while (atomic_exchange_explicit(&lock, 1, memory_order_acquire))
				;
			__asm__ volatile("" ::: "memory");
			atomic_store_explicit(&lock, 0, memory_order_release);
		}
		uint64_t t3 = now_ns();
		f->lock_ns = fmin(f->lock_ns, (double)(t3 - t2) / (double)n);
	}
}

/* ------------------------------------------------------------- profiles */

#define ORIG0 0x10000ull

static int steady(struct result *res, const char *policy, bool copy, uint64_t pairs)
{
	struct benv e;
	if (benv_open(&e, policy, 32768, copy, 0, 64))
		return -1;
	touch(&e, ORIG0, 4096);
	pin_to(0);
	uint64_t dma, fails = 0;
	for (uint64_t i = 0; i < 1000; i++) /* warm up */
		if (!map1(&e, ORIG0, 4096, SWIOTLB_TO_DEVICE, &dma, NULL))
			swiotlb_unmap(e.tlb, &e.dev, dma, 4096, SWIOTLB_TO_DEVICE, 0);
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < pairs; i++) {
		if (map1(&e, ORIG0, 4096, SWIOTLB_TO_DEVICE, &dma, NULL)) {
			fails++;
			continue;
		}
		swiotlb_unmap(e.tlb, &e.dev, dma, 4096, SWIOTLB_TO_DEVICE, 0);
	}
	uint64_t t1 = now_ns();
	res->ns_per_op = (double)(t1 - t0) / (double)pairs;
	res->ops = res->attempts = pairs;
	res->failures = fails;
	res->meta_per_slot = e.meta_per_slot;
	res->nareas = e.nareas;
	res->nslabs = e.nslabs;
	benv_close(&e);
	return 0;
}

static int prof_steady4k(struct result *r, const char *p) { return steady(r, p, true, scaled(2000000)); }
static int prof_alloc4k(struct result *r, const char *p) { return steady(r, p, false, scaled(2000000)); }

static size_t mixed_size(struct rng *g)
{
	unsigned c = (unsigned)below(g, 100);
	if (c < 20)
		return 512;
	if (c < 70)
		return 4096;
	if (c < 85)
		return 16384;
	if (c < 95)
		return 65536;
	return 262144;
}

struct livemap {
	uint64_t dma;
	uint32_t size, slots;
};

static int prof_mixed(struct result *res, const char *policy)
{
	struct benv e;
	if (benv_open(&e, policy, 32768, false, 0, 64))
		return -1;
	pin_to(0);
	struct rng g = { 42 };
	struct livemap live[128];
	unsigned n = 0;
	uint64_t maps = scaled(2000000), fails = 0;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < maps; i++) {
		if (n == 128) {
			unsigned j = (unsigned)below(&g, n);
			swiotlb_unmap(e.tlb, &e.dev, live[j].dma, live[j].size, SWIOTLB_TO_DEVICE, 0);
			live[j] = live[--n];
		}
		size_t size = mixed_size(&g);
		uint64_t orig = 0x1000000 + (i & 255) * 0x40000;
		if (map1(&e, orig, size, SWIOTLB_TO_DEVICE, &live[n].dma, &live[n].slots)) {
			fails++;
			continue;
		}
		live[n].size = (uint32_t)size;
		n++;
	}
	uint64_t t1 = now_ns();
	while (n) {
		n--;
		swiotlb_unmap(e.tlb, &e.dev, live[n].dma, live[n].size, SWIOTLB_TO_DEVICE, 0);
	}
	res->ns_per_op = (double)(t1 - t0) / (double)maps;
	res->ops = res->attempts = maps;
	res->failures = fails;
	res->meta_per_slot = e.meta_per_slot;
	res->nareas = e.nareas;
	res->nslabs = e.nslabs;
	benv_close(&e);
	return 0;
}

static int prof_frag90(struct result *res, const char *policy)
{
	struct benv e;
	if (benv_open(&e, policy, 8192, false, 0, 64))
		return -1;
	pin_to(0);
	struct rng g = { 42 };
	struct livemap *live = calloc(e.nslabs, sizeof(*live));
	if (!live) {
		benv_close(&e);
		return -1;
	}
	uint64_t n = 0, used = 0, target = (e.nslabs * 9 + 9) / 10, seq = 0;
	/* fill to >= 90 % */
	while (used < target) {
		uint32_t k = 1 + (uint32_t)below(&g, 64);
		uint64_t orig = 0x1000000 + (seq++ & 1023) * 0x20000;
		if (map1(&e, orig, k * 2048u, SWIOTLB_TO_DEVICE, &live[n].dma, &live[n].slots)) {
			if (n) {
				uint64_t j = below(&g, n);
				swiotlb_unmap(e.tlb, &e.dev, live[j].dma, live[j].size, SWIOTLB_TO_DEVICE, 0);
				used -= live[j].slots;
				live[j] = live[--n];
			}
			continue;
		}
		live[n].size = k * 2048u;
		used += live[n].slots;
		n++;
	}
	uint64_t steps = scaled(1000000), attempts = 0, fails = 0;
	double used_sum = 0;
	uint64_t t0 = now_ns();
	for (uint64_t s = 0; s < steps; s++) {
		if (n) {
			uint64_t j = below(&g, n);
			swiotlb_unmap(e.tlb, &e.dev, live[j].dma, live[j].size, SWIOTLB_TO_DEVICE, 0);
			used -= live[j].slots;
			live[j] = live[--n];
		}
		while (used < target) {
			uint32_t k = 1 + (uint32_t)below(&g, 64);
			uint64_t orig = 0x1000000 + (seq++ & 1023) * 0x20000;
			attempts++;
			if (map1(&e, orig, k * 2048u, SWIOTLB_TO_DEVICE, &live[n].dma, &live[n].slots)) {
				fails++;
				break;
			}
			live[n].size = k * 2048u;
			used += live[n].slots;
			n++;
		}
		used_sum += (double)used / (double)e.nslabs;
	}
	uint64_t t1 = now_ns();
	while (n) {
		n--;
		swiotlb_unmap(e.tlb, &e.dev, live[n].dma, live[n].size, SWIOTLB_TO_DEVICE, 0);
	}
	free(live);
	res->ns_per_op = attempts ? (double)(t1 - t0) / (double)attempts : 0;
	res->ops = steps;
	res->attempts = attempts;
	res->failures = fails;
	res->mean_used = used_sum / (double)steps;
	res->meta_per_slot = e.meta_per_slot;
	res->nareas = e.nareas;
	res->nslabs = e.nslabs;
	benv_close(&e);
	return 0;
}

static int prof_align(struct result *res, const char *policy)
{
	struct benv e;
	if (benv_open(&e, policy, 32768, false, 0xfff, 64))
		return -1;
	pin_to(0);
	struct rng g = { 42 };
	uint64_t pairs = scaled(1000000), fails = 0, dma;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; i < pairs; i++) {
		uint64_t orig = 0x10000 + 8 * below(&g, 512);
		if (map1(&e, orig, 4096, SWIOTLB_TO_DEVICE, &dma, NULL)) {
			fails++;
			continue;
		}
		swiotlb_unmap(e.tlb, &e.dev, dma, 4096, SWIOTLB_TO_DEVICE, 0);
	}
	uint64_t t1 = now_ns();
	res->ns_per_op = (double)(t1 - t0) / (double)pairs;
	res->ops = res->attempts = pairs;
	res->failures = fails;
	res->meta_per_slot = e.meta_per_slot;
	res->nareas = e.nareas;
	res->nslabs = e.nslabs;
	benv_close(&e);
	return 0;
}

struct worker {
	struct benv *e;
	unsigned cpu;
	uint64_t orig, pairs, fails;
	atomic_int *go;
	pthread_t th;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	pin_to(w->cpu);
	uint64_t dma;
	for (int i = 0; i < 1000; i++)
		if (!map1(w->e, w->orig, 4096, SWIOTLB_TO_DEVICE, &dma, NULL))
			swiotlb_unmap(w->e->tlb, &w->e->dev, dma, 4096, SWIOTLB_TO_DEVICE, 0);
	atomic_fetch_add(w->go, 1);
	while (atomic_load(w->go) >= 0)
		;
	for (uint64_t i = 0; i < w->pairs; i++) {
		if (map1(w->e, w->orig, 4096, SWIOTLB_TO_DEVICE, &dma, NULL)) {
			w->fails++;
			continue;
		}
		swiotlb_unmap(w->e->tlb, &w->e->dev, dma, 4096, SWIOTLB_TO_DEVICE, 0);
	}
	return NULL;
}

/* nthreads threads doing `pairs` each; returns wall ns, or 0 on error. */
static uint64_t run_threads(struct benv *e, unsigned nthreads, uint64_t pairs, uint64_t *fails)
{
	struct worker w[2];
	atomic_int go = 0;
	unsigned ncpu = ncpus_online();
	for (unsigned t = 0; t < nthreads; t++) {
		w[t] = (struct worker){ e, t % ncpu, ORIG0 + t * 0x100000ull, pairs, 0, &go, 0 };
		touch(e, w[t].orig, 4096);
		if (pthread_create(&w[t].th, NULL, worker_main, &w[t]))
			return 0;
	}
	while (atomic_load(&go) != (int)nthreads)
		;
	uint64_t t0 = now_ns();
	atomic_store(&go, -1);
	for (unsigned t = 0; t < nthreads; t++) {
		pthread_join(w[t].th, NULL);
		*fails += w[t].fails;
	}
	return now_ns() - t0;
}

static int prof_threads2(struct result *res, const char *policy)
{
	uint64_t pairs = scaled(1000000), fails = 0, one = 0, two = 0;
	struct benv e;
	for (int trial = 0; trial < 3; trial++) {
		for (unsigned nt = 1; nt <= 2; nt++) {
			if (benv_open(&e, policy, 32768, true, 0, 64))
				return -1;
			uint64_t f = 0, t = run_threads(&e, nt, pairs, &f);
			if (!t) {
				benv_close(&e);
				return -1;
			}
			uint64_t *best = nt == 1 ? &one : &two;
			if (!*best || t < *best) {
				*best = t;
				if (nt == 2)
					fails = f;
			}
			if (trial < 2 || nt == 1)
				benv_close(&e);
		}
	}
	res->one_pps = (double)pairs * 1e9 / (double)one;
	res->pps = (double)(2 * pairs) * 1e9 / (double)two;
	res->ratio = res->pps / res->one_pps;
	res->ns_per_op = (double)two / (double)(2 * pairs);
	res->ops = res->attempts = 2 * pairs;
	res->failures = fails;
	res->meta_per_slot = e.meta_per_slot;
	res->nareas = e.nareas;
	res->nslabs = e.nslabs;
	benv_close(&e);
	return 0;
}

struct profile {
	const char *name;
	int (*run)(struct result *, const char *policy);
	const char *unit;
};

static const struct profile profiles[] = {
	{ "steady4k", prof_steady4k, "ns/pair" },
	{ "alloc4k", prof_alloc4k, "ns/pair" },
	{ "mixed", prof_mixed, "ns/pair" },
	{ "frag90", prof_frag90, "ns/attempt" },
	{ "threads2", prof_threads2, "ns/pair" },
	{ "align", prof_align, "ns/pair" },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

/* ------------------------------------------------------------- output */

/* One result as one JSON line, through the writer: the CPU model string
 * comes from /proc/cpuinfo and a ratio of nothing measured is not a number. */
static void json_result(const struct result *r, const struct floors *f, const char *cpu)
{
	struct json j;
	json_init(&j);
	json_object_begin(&j);
	json_kv_u64(&j, "format_version", 1);
	json_kv_string(&j, "profile", r->profile);
	json_kv_string(&j, "policy", r->policy);
	json_kv_double(&j, "ns_per_op", r->ns_per_op, 2);
	json_kv_u64(&j, "failures", r->failures);
	json_kv_u64(&j, "attempts", r->attempts);
	json_kv_u64(&j, "ops", r->ops);
	json_kv_double(&j, "floor_ns", f->memcpy_ns, 2);
	json_kv_double(&j, "malloc_floor_ns", f->malloc_ns, 2);
	json_kv_double(&j, "lock_floor_ns", f->lock_ns, 2);
	json_kv_double(&j, "meta_bytes_per_slot", r->meta_per_slot, 3);
	json_kv_u64(&j, "slots", r->nslabs);
	json_kv_u64(&j, "areas", r->nareas);
	if (!strcmp(r->profile, "frag90")) {
		json_kv_double(&j, "mean_used", r->mean_used, 4);
		json_kv_double(&j, "failure_rate", r->attempts ? (double)r->failures / (double)r->attempts : 0.0, 4);
	}
	if (!strcmp(r->profile, "threads2")) {
		json_kv_double(&j, "pairs_per_sec", r->pps, 0);
		json_kv_double(&j, "one_thread_pairs_per_sec", r->one_pps, 0);
		json_kv_double(&j, "ratio_to_one_thread", r->ratio, 3);
	}
	json_kv_string(&j, "locks", use_mutex ? "mutex" : "spin");
	json_kv_string(&j, "cpu", cpu);
	json_object_end(&j);
	printf("%s\n", json_text(&j));
	json_free(&j);
}

static const char *verdict(bool ok) { return ok ? "met" : "MISSED"; }

/*
 * A result measured something: the profile ran for the policy and at least
 * one of its operations succeeded (a run whose every map failed is fast at
 * nothing).  A target is judged only when every number it compares was
 * measured; otherwise it is "not measured", never "met".
 */
static bool measured(const struct result *r)
{
	return r->ran && r->attempts > r->failures && r->ns_per_op > 0;
}

static void human_row(const struct profile *p, const struct result r[MAX_POLICIES], const struct floors *f)
{
	static const struct result none; /* a policy this library does not have did not run */
	const struct result *L = &none, *F = &none;
	for (int i = 0; i < npolicies; i++) {
		if (!strcmp(policies[i], "linux"))
			L = &r[i];
		if (!strcmp(policies[i], "fast"))
			F = &r[i];
	}
	char extra[160] = "", lcol[16] = "-", fcol[16] = "-", rcol[16] = "-";
	double ratio = L->ns_per_op > 0 ? F->ns_per_op / L->ns_per_op : 0;
	if (measured(L))
		snprintf(lcol, sizeof(lcol), "%.1f", L->ns_per_op);
	if (measured(F))
		snprintf(fcol, sizeof(fcol), "%.1f", F->ns_per_op);
	if (measured(L) && measured(F))
		snprintf(rcol, sizeof(rcol), "%.3f", ratio);
	/* which policies each target compares: fast alone, or fast against linux */
	bool alone = !strcmp(p->name, "steady4k") || !strcmp(p->name, "threads2");
	if (!measured(F) || (!alone && !measured(L))) {
		snprintf(extra, sizeof(extra), "target not measured (%s did not run%s)",
			 !measured(F) ? "fast" : "linux",
			 (F->ran && !measured(F)) || (L->ran && !measured(L)) ? " or every operation failed" : "");
	} else if (!strcmp(p->name, "steady4k")) {
		snprintf(extra, sizeof(extra), "fast = %.2f x memcpy floor (target <= 1.25): %s", F->ns_per_op / f->memcpy_ns,
			 verdict(F->ns_per_op <= 1.25 * f->memcpy_ns));
	} else if (!strcmp(p->name, "alloc4k")) {
		snprintf(extra, sizeof(extra), "target fast/linux <= 0.25: %s", verdict(ratio <= 0.25));
	} else if (!strcmp(p->name, "mixed")) {
		snprintf(extra, sizeof(extra), "failed maps %" PRIu64 " / %" PRIu64 "; target <= 0.5, no more failures: %s",
			 L->failures, F->failures, verdict(ratio <= 0.5 && F->failures <= L->failures));
	} else if (!strcmp(p->name, "frag90")) {
		double lf = L->attempts ? (double)L->failures / (double)L->attempts : 0;
		double ff = F->attempts ? (double)F->failures / (double)F->attempts : 0;
		snprintf(extra, sizeof(extra), "used %.1f%% / %.1f%%, failed %.2f%% / %.2f%%; target <= 0.05: %s",
			 100 * L->mean_used, 100 * F->mean_used, 100 * lf, 100 * ff,
			 verdict(ratio <= 0.05 && F->mean_used >= L->mean_used && ff <= lf));
	} else if (!strcmp(p->name, "threads2")) {
		snprintf(extra, sizeof(extra), "2 threads / 1 thread: %.2f / %.2f; target fast >= 1.8: %s", L->ratio,
			 F->ratio, verdict(F->ratio >= 1.8));
	}
	printf("%-9s %-10s %10s %10s %8s  %s\n", p->name, p->unit, lcol, fcol, rcol, extra);
}

/* ------------------------------------------------------------- dma-map */

/* Latencies go to the histogram of common/hist.h, the one vhost/load.c uses. */

struct dm_args {
	int threads, seconds, node, granule, dir, bits, delay;
	uint64_t loops; /* ours: stop after this many loops per thread instead of the time */
};

struct dm_thread {
	struct benv *e;
	const struct dm_args *a;
	unsigned idx;
	atomic_int *stop;
	uint64_t loops, fails;
	uint64_t map_sum, map_sq, unmap_sum, unmap_sq; /* 100-ns units, as the kernel */
	struct hist *hmap, *hunmap;
	pthread_t th;
};

static void *dm_main(void *arg)
{
	struct dm_thread *t = arg;
	const struct dm_args *a = t->a;
	size_t size = (size_t)a->granule * 4096;
	uint64_t orig = 0x1000000ull + (uint64_t)t->idx * (size + 0x100000);
	uint8_t *buf = swiotlb_posix_ptr(t->e->px, orig, size);
	pin_to(t->idx % ncpus_online());
	while (!atomic_load_explicit(t->stop, memory_order_relaxed) && (!a->loops || t->loops < a->loops)) {
		if (a->dir != SWIOTLB_FROM_DEVICE)
			memset(buf, 0x66, size);
		uint64_t dma, t0 = now_ns();
		int rc = map1(t->e, orig, size, (uint32_t)a->dir, &dma, NULL);
		uint64_t t1 = now_ns();
		if (rc) {
			t->fails++;
			t->loops++;
			continue;
		}
		if (a->delay) {
			uint64_t until = now_ns() + (uint64_t)a->delay;
			while (now_ns() < until)
				;
		}
		uint64_t t2 = now_ns();
		swiotlb_unmap(t->e->tlb, &t->e->dev, dma, size, (uint32_t)a->dir, 0);
		uint64_t t3 = now_ns();
		uint64_t m = (t1 - t0) / 100, u = (t3 - t2) / 100; /* truncated 100-ns units */
		t->map_sum += m;
		t->map_sq += m * m;
		t->unmap_sum += u;
		t->unmap_sq += u * u;
		hist_add(t->hmap, t1 - t0);
		hist_add(t->hunmap, t3 - t2);
		t->loops++;
	}
	return NULL;
}

static uint64_t isqrt64(uint64_t x)
{
	uint64_t r = (uint64_t)sqrt((double)x);
	while (r * r > x)
		r--;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

static void dma_map_usage(void)
{
	printf("usage: swiotlb bench dma-map [-t threads] [-s seconds] [-n node] [-g granule] [-d dir]\n"
	       "                             [-b dma_bits] [-x delay_ns] [--policy NAME] [--loops N] [--json]\n"
	       "  The kernel's dma_map_benchmark against libswiotlb (every mapping bounced):\n"
	       "  -t threads (1), -s seconds (20), -n node (-1), -g granule in pages (1),\n"
	       "  -d 0 BIDIRECTIONAL | 1 TO_DEVICE | 2 FROM_DEVICE (0), -b DMA address bits (32),\n"
	       "  -x transfer delay in ns (0).  Prints the kernel tool's lines, then p50/p99.\n"
	       "  Values attach or follow (-t2, -t 2), as getopt reads them.\n");
}

static int dma_map_mode(int argc, char **argv)
{
	enum { LOOPS = OPT_LONG, POLICY, JSON };
	static const struct tool_opt opts[] = {
		{ NULL, 't', true }, { NULL, 's', true }, { NULL, 'n', true }, { NULL, 'g', true },
		{ NULL, 'd', true }, { NULL, 'b', true }, { NULL, 'x', true },
		{ "loops", LOOPS, true }, { "policy", POLICY, true }, { "json", JSON, false }, { "help", 'h', false },
	};
	/* the numeric options, with the ranges and the words of the kernel's
	 * dma_map_benchmark (docs/performance.md) */
	static const struct {
		int key;
		const char *what;
		long long min, max;
	} nums[] = {
		{ 't', "invalid number of threads, must be in 1-1024", 1, 1024 },
		{ 's', "invalid duration seconds, must be in 1-300", 1, 300 },
		{ 'n', "invalid numa node, must be -1 or 0", -1, 0 },
		{ 'g', "invalid granule size, must be in 1-1024", 1, 1024 },
		{ 'd', "invalid dma direction, must be 0, 1 or 2", 0, 2 },
		{ 'b', "invalid dma mask bit, must be in 20-64", 20, 64 },
		{ 'x', "invalid transmit delay, must be in 0-10000000 ns", 0, 10000000 },
		{ LOOPS, "invalid loop count, must be in 0-1000000000000 (0: run for -s seconds)", 0, 1000000000000ll },
	};
	struct dm_args a = { 1, 20, -1, 1, 0, 32, 0, 0 };
	const char *policy = NULL;
	bool json = false;
	struct tool_getopt g;
	tool_getopt_init(&g, "swiotlb bench dma-map", opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int c; (c = tool_getopt(&g)) != OPT_END;) {
		if (c == OPT_ERROR)
			return 2;
		if (c == 'h') {
			dma_map_usage();
			return 0;
		}
		if (c == JSON) {
			json = true;
			continue;
		}
		if (c == POLICY) {
			int p = policy_index(&g, g.arg);
			if (p < 0)
				return 2;
			policy = policies[p];
			continue;
		}
		size_t k = 0;
		while (nums[k].key != c)
			k++;
		int64_t n;
		if (!tool_opt_i64(&g, &n))
			return 2;
		if (n < nums[k].min || n > nums[k].max)
			return tool_usage_error(&g, "%s %s: %s", g.as, g.arg, nums[k].what);
		switch (c) {
		case 't': a.threads = (int)n; break;
		case 's': a.seconds = (int)n; break;
		case 'n': a.node = (int)n; break;
		case 'g': a.granule = (int)n; break;
		case 'd': a.dir = (int)n; break;
		case 'b': a.bits = (int)n; break;
		case 'x': a.delay = (int)n; break;
		default: a.loops = (uint64_t)n; break;
		}
	}
	if (tool_operands(&g) < argc)
		return tool_usage_error(&g, "unexpected argument '%s'", argv[tool_operands(&g)]);
	struct benv e;
	if (benv_open(&e, policy, 32768, true, 0, (unsigned)a.bits))
		return 1;
	struct dm_thread *t = calloc((size_t)a.threads, sizeof(*t));
	struct hist *hm = calloc(1, sizeof(*hm)), *hu = calloc(1, sizeof(*hu));
	atomic_int stop = 0;
	if (!t || !hm || !hu)
		return 1;
	for (int i = 0; i < a.threads; i++) {
		t[i].e = &e;
		t[i].a = &a;
		t[i].idx = (unsigned)i;
		t[i].stop = &stop;
		t[i].hmap = calloc(1, sizeof(struct hist));
		t[i].hunmap = calloc(1, sizeof(struct hist));
		if (!t[i].hmap || !t[i].hunmap || pthread_create(&t[i].th, NULL, dm_main, &t[i]))
			return 1;
	}
	if (!a.loops) {
		struct timespec ts = { a.seconds, 0 };
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		atomic_store(&stop, 1);
	}
	uint64_t loops = 0, fails = 0, ms = 0, mq = 0, us = 0, uq = 0;
	for (int i = 0; i < a.threads; i++) {
		pthread_join(t[i].th, NULL);
		loops += t[i].loops - t[i].fails;
		fails += t[i].fails;
		ms += t[i].map_sum;
		mq += t[i].map_sq;
		us += t[i].unmap_sum;
		uq += t[i].unmap_sq;
		hist_merge(hm, t[i].hmap);
		hist_merge(hu, t[i].hunmap);
		free(t[i].hmap);
		free(t[i].hunmap);
	}
	uint64_t avg_map = loops ? ms / loops : 0, avg_unmap = loops ? us / loops : 0;
	uint64_t sd_map = loops ? isqrt64(mq / loops - avg_map * avg_map) : 0;
	uint64_t sd_unmap = loops ? isqrt64(uq / loops - avg_unmap * avg_unmap) : 0;
	static const char *const dirs[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE" };
	struct swiotlb_pool_info info;
	swiotlb_pool_info(e.tlb, 0, &info);
	uint64_t p50m = hist_pct(hm, 50), p99m = hist_pct(hm, 99);
	uint64_t p50u = hist_pct(hu, 50), p99u = hist_pct(hu, 99);
	if (json) {
		struct json j;
		json_init(&j);
		json_object_begin(&j);
		json_kv_u64(&j, "format_version", 1);
		json_kv_string(&j, "mode", "dma-map");
		json_kv_string(&j, "policy", info.policy);
		json_kv_i64(&j, "threads", a.threads);
		json_kv_i64(&j, "seconds", a.seconds);
		json_kv_i64(&j, "node", a.node);
		json_kv_string(&j, "dir", dirs[a.dir]);
		json_kv_i64(&j, "granule", a.granule);
		json_kv_i64(&j, "dma_bits", a.bits);
		json_kv_i64(&j, "delay_ns", a.delay);
		json_kv_u64(&j, "loops", loops);
		json_kv_u64(&j, "failures", fails);
		json_kv_u64(&j, "avg_map_100ns", avg_map);
		json_kv_u64(&j, "map_stddev", sd_map);
		json_kv_u64(&j, "avg_unmap_100ns", avg_unmap);
		json_kv_u64(&j, "unmap_stddev", sd_unmap);
		json_kv_u64(&j, "map_p50_ns", p50m);
		json_kv_u64(&j, "map_p99_ns", p99m);
		json_kv_u64(&j, "unmap_p50_ns", p50u);
		json_kv_u64(&j, "unmap_p99_ns", p99u);
		json_object_end(&j);
		printf("%s\n", json_text(&j));
		json_free(&j);
	} else {
		printf("dma mapping benchmark: threads:%d seconds:%d node:%d dir:%s granule: %d\n", a.threads, a.seconds,
		       a.node, dirs[a.dir], a.granule);
		printf("average map latency(us):%.1f standard deviation:%.1f\n", avg_map / 10.0, sd_map / 10.0);
		printf("average unmap latency(us):%.1f standard deviation:%.1f\n", avg_unmap / 10.0, sd_unmap / 10.0);
		printf("map latency(us) p50:%.3f p99:%.3f\n", (double)p50m / 1000, (double)p99m / 1000);
		printf("unmap latency(us) p50:%.3f p99:%.3f\n", (double)p50u / 1000, (double)p99u / 1000);
		printf("policy:%s loops:%" PRIu64 " failed maps:%" PRIu64 "\n", info.policy, loops, fails);
	}
	free(t);
	free(hm);
	free(hu);
	benv_close(&e);
	return fails && !loops ? 1 : 0;
}

/* ------------------------------------------------------------- main */

static void bench_usage(FILE *f)
{
	fprintf(f, "usage: swiotlb bench [--profile NAME]... [--json] [--scale F] [--locks spin|mutex]\n"
		   "       swiotlb bench dma-map [-t threads] [-s seconds] [-g granule] [-d dir] [-b bits] [-x ns]\n"
		   "  Run the allocator profiles once per policy, linux and fast side by side with\n"
		   "  the ratio fast/linux and the floors (memcpy, malloc, lock round trip) measured in the same run.\n"
		   "  Profiles: steady4k alloc4k mixed frag90 threads2 align (default: all).\n"
		   "  --json        one JSON object per profile and policy (one per line)\n"
		   "  --scale F     multiply every iteration count by F (e.g. 0.001 for a smoke run)\n"
		   "  --locks KIND  the area locks: the core's spinlock (default) or pthread mutexes\n"
		   "  --only NAME   run one policy only (for profiling with callgrind);\n"
		   "                the other's column and the targets then read \"not measured\"\n"
		   "  A progress line goes to standard error when it is a terminal.\n");
	fprintf(f, "  Policies (swiotlb_policy_name):");
	for (int p = 0; p < npolicies; p++)
		fprintf(f, " %s", policies[p]);
	fprintf(f, "\n");
}

int cmd_bench(int argc, char **argv)
{
	load_policies();
	if (argc > 1 && !strcmp(argv[1], "dma-map"))
		return dma_map_mode(argc - 1, argv + 1);
	enum { PROFILE = OPT_LONG, JSON, SCALE, ONLY, LOCKS };
	static const struct tool_opt opts[] = {
		{ "profile", PROFILE, true }, { "json", JSON, false }, { "scale", SCALE, true },
		{ "only", ONLY, true },       { "locks", LOCKS, true }, { "help", 'h', false },
	};
	bool json = false, want[NPROFILES] = { false }, any = false;
	struct tool_getopt g;
	tool_getopt_init(&g, "swiotlb bench", opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int c; (c = tool_getopt(&g)) != OPT_END;) {
		const char *v = g.arg;
		switch (c) {
		case 'h':
			bench_usage(stdout);
			return 0;
		case JSON:
			json = true;
			break;
		case PROFILE: {
			size_t k = 0;
			while (k < NPROFILES && strcmp(profiles[k].name, v))
				k++;
			if (k == NPROFILES) {
				char names[128] = "";
				for (size_t n = 0; n < NPROFILES; n++)
					join(names, sizeof(names), profiles[n].name);
				return tool_usage_error(&g, "--profile: unknown profile '%s' (profiles: %s)", v, names);
			}
			want[k] = any = true;
			break;
		}
		case SCALE: {
			char *end;
			scale = strtod(v, &end);
			if (!*v || *end || !(scale > 0) || scale > 100)
				return tool_usage_error(&g, "--scale: '%s' is not a number in (0, 100]", v);
			break;
		}
		case ONLY: {
			int p = policy_index(&g, v);
			if (p < 0)
				return 2;
			only_policy = policies[p];
			break;
		}
		case LOCKS:
			if (strcmp(v, "spin") && strcmp(v, "mutex"))
				return tool_usage_error(&g, "--locks: '%s' is not spin or mutex", v);
			use_mutex = !strcmp(v, "mutex");
			break;
		default:
			return 2;
		}
	}
	if (tool_operands(&g) < argc)
		return tool_usage_error(&g, "unexpected argument '%s'", argv[tool_operands(&g)]);
	if (!any)
		for (size_t k = 0; k < NPROFILES; k++)
			want[k] = true;

	bool tty = isatty(2);
	char cpu[128];
	cpu_model(cpu, sizeof(cpu));
	struct floors fl;
	measure_floors(&fl);
	if (!json) {
		printf("swiotlb bench: %s, %u CPUs, %s locks, scale %g\n", text_show(cpu), ncpus_online(),
		       use_mutex ? "mutex" : "spin", scale);
		printf("floors: memcpy 4 KiB (hot) %.1f ns, malloc+free 4 KiB %.1f ns, lock round trip %.1f ns\n\n",
		       fl.memcpy_ns, fl.malloc_ns, fl.lock_ns);
		printf("%-9s %-10s %10s %10s %8s\n", "profile", "unit", "linux", "fast", "fast/lx");
	}
	int status = 0;
	unsigned done = 0, total = 0;
	for (size_t k = 0; k < NPROFILES; k++)
		total += want[k] ? (unsigned)npolicies : 0;
	for (size_t k = 0; k < NPROFILES; k++) {
		if (!want[k])
			continue;
		struct result r[MAX_POLICIES];
		memset(r, 0, sizeof(r));
		for (int p = 0; p < npolicies; p++) {
			if (tty) {
				fprintf(stderr, "\r[%u/%u] %s %s ...        ", ++done, total, profiles[k].name, policies[p]);
				fflush(stderr);
			}
			r[p].profile = profiles[k].name;
			r[p].policy = policies[p];
			if (only_policy && strcmp(only_policy, policies[p]))
				continue;
			if (profiles[k].run(&r[p], policies[p])) {
				status = 1;
				continue;
			}
			r[p].ran = true;
			if (json)
				json_result(&r[p], &fl, cpu);
		}
		if (tty)
			fprintf(stderr, "\r%60s\r", "");
		if (!json)
			human_row(&profiles[k], r, &fl);
		fflush(stdout);
	}
	if (!json) {
		struct benv e;
		printf("\nmetadata per slot (64 MiB pool, every byte the pool holds outside the bounce memory):\n");
		for (int p = 0; p < npolicies; p++) {
			if (benv_open(&e, policies[p], 32768, false, 0, 64))
				continue;
			printf("  %-6s %6.2f B/slot%s\n", policies[p], e.meta_per_slot,
			       strcmp(policies[p], "fast") ? ""
			       : e.meta_per_slot <= 8 ? "  (target <= 8: met)" : "  (target <= 8: MISSED)");
			benv_close(&e);
		}
	}
	return status;
}
