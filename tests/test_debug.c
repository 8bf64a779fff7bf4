/* SPDX-License-Identifier: MIT */
/*
 * The debug mode (docs/debug.md): each check shown catching the misuse it
 * is for -- a device writing outside its buffer (redzones), writing after its
 * unmap (poison), a CPU reading a from_device original too early (through a
 * platform hook, and on the simulator), a double unmap and a stale sync
 * (history, with both call sites), leaks at destroy -- and shown silent on
 * honest I/O.  Then that the mode changes no address: one seeded sequence
 * run with the flag off and on under both policies gives the same results,
 * and with the flag off nothing is poisoned or rendered.  Last, many threads
 * at once (run under ThreadSanitizer too).
 *
 * A library built without SWIOTLB_DEBUG refuses the flag (checked), and the
 * rest is skipped.
 */
#include <pthread.h>

#include "testlib.h"
#include "swiotlb/sim.h"

#define P0 0x100000ull /* an 8-slot pool: slots at P0 + i*0x800 */

static void env_init_debug(struct env *e, bool debug)
{
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = 1;
	cfg.debug = debug;
	env_init_cfg(e, &cfg);
}

static void make_dev(struct swiotlb_device *d, const char *name, unsigned bits)
{
	swiotlb_device_init(d, name, swiotlb_bit_mask(bits));
	d->flags |= SWIOTLB_DEV_FORCE_BOUNCE;
}

static struct swiotlb_stats stats(struct env *e, int pool)
{
	struct swiotlb_stats st;
	REQUIRE(swiotlb_get_stats(e->tlb, pool, &st) == 0);
	return st;
}

/* Is the debug mode built in?  If not, check that asking for it is refused. */
static bool debug_built_in(void)
{
	struct env e;
	struct swiotlb_config cfg;
	struct swiotlb *tlb = NULL;
	memset(&e, 0, sizeof(e));
	REQUIRE(swiotlb_posix_create(NULL, &e.px) == 0);
	swiotlb_posix_set_log(e.px, env_log, &e);
	swiotlb_posix_platform(e.px, &e.plat);
	swiotlb_config_init(&cfg);
	cfg.debug = true;
	int rc = swiotlb_create(&cfg, &e.plat, &tlb);
	if (rc) {
		CHECK(rc == SWIOTLB_EBADCONFIG && tlb == NULL);
		CHECK(env_logged(&e, "debug mode asked for, but this library was built without SWIOTLB_DEBUG") == 1);
	} else {
		CHECK(env_logged(&e, "debug mode: redzones, poison") == 1);
		swiotlb_destroy(tlb);
	}
	swiotlb_posix_destroy(e.px);
	return rc == 0;
}

/* ------------------------------------------------------------- redzones */

static void test_redzone(void)
{
	struct env e;
	struct swiotlb_device d, n;
	uint64_t a, b;
	env_init_debug(&e, true);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "d", 64);
	env_fill(&e, 0x200000, 4096, 0x11);

	/* 100 bytes in slot 0: bytes 100..2047 of the slot are its redzone */
	REQUIRE(env_map(&e, &d, 0x200000, 100, SWIOTLB_FROM_DEVICE, 0, 0, &a) == 0);
	CHECK_EQ_U64(a, P0);
	CHECK(env_differs(&e, P0 + 100, 2048 - 100, 0xfd) == -1);
	/* an honest device writes its 100 bytes: nothing to report */
	env_fill(&e, P0, 100, 0x5a);
	CHECK(swiotlb_sync_for_cpu(e.tlb, &d, a, 100, SWIOTLB_FROM_DEVICE) == 0);
	CHECK_EQ_U64(stats(&e, -1).debug_redzone, 0);
	CHECK(env_logged(&e, "swiotlb debug") == 0);
	/* a device that writes past the end, twice */
	uint8_t *bounce = env_mem(&e, P0, 2048);
	bounce[100] = 0x77;
	bounce[2000] = 0x78;
	CHECK(swiotlb_sync_for_cpu(e.tlb, &d, a, 100, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(env_logged(&e, "d: swiotlb debug: device wrote outside its bounce buffer (found at sync_for_cpu): "
			     "mapping 0x0000000000100000+100 from_device in pool p, first bad byte at offset +100 "
			     "(0x77, redzone 0xfd), 2 redzone bytes changed") == 1);
	CHECK_EQ_U64(stats(&e, 0).debug_redzone, 1);
	CHECK_EQ_U64(stats(&e, -1).debug_redzone, 1);
	/* reported once: the zone was filled again */
	CHECK(env_differs(&e, P0 + 100, 2048 - 100, 0xfd) == -1);
	CHECK(swiotlb_sync_for_device(e.tlb, &d, a, 100, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(swiotlb_unmap(e.tlb, &d, a, 100, SWIOTLB_FROM_DEVICE, 0) == 0);
	CHECK_EQ_U64(stats(&e, -1).debug_redzone, 1);
	/* the copy-back took the mapping's bytes and nothing else */
	CHECK(env_differs(&e, 0x200000, 100, 0x5a) == -1);
	CHECK(env_differs(&e, 0x200000 + 100, 4096 - 100, 0x11) == -1);

	/* min_align padding is a redzone too: a write one byte before the buffer */
	make_dev(&n, "nvme", 64);
	n.min_align_mask = 0x7ff;
	REQUIRE(env_map(&e, &n, 0x300123, 200, SWIOTLB_TO_DEVICE, 0, 0, &b) == 0);
	CHECK_EQ_U64(b & 0x7ff, 0x123);
	CHECK(env_differs(&e, b - 0x123, 0x123, 0xfd) == -1);
	env_mem(&e, b - 1, 1)[0] = 0;
	e.nlog = 0;
	CHECK(swiotlb_unmap(e.tlb, &n, b, 200, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(env_logged(&e, "nvme: swiotlb debug: device wrote outside its bounce buffer (found at unmap)") == 1);
	CHECK(env_logged(&e, "first bad byte at offset -1 (0x00, redzone 0xfd), 1 redzone bytes changed") == 1);
	CHECK_EQ_U64(stats(&e, -1).debug_redzone, 2);

	/* the stats render the debug counters */
	char buf[8192];
	swiotlb_stats_text(e.tlb, buf, sizeof(buf));
	CHECK(strstr(buf, "\ndebug_redzone 2\n") != NULL);
	CHECK(strstr(buf, "\ntotal_debug_redzone 2\n") != NULL);
	swiotlb_stats_json(e.tlb, buf, sizeof(buf));
	CHECK(strstr(buf, "\"debug_redzone\":2") != NULL);
	env_check(&e);
	env_fini(&e);
}

/* --------------------------------------------------------------- poison */

static void test_poison(void)
{
	struct env e;
	struct swiotlb_device d, v;
	uint64_t a, x[8];
	env_init_debug(&e, true);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "culprit", 64);
	make_dev(&v, "victim", 64);

	env_fill(&e, 0x200000, 3000, 0x22);
	REQUIRE(env_map(&e, &d, 0x200000, 3000, SWIOTLB_TO_DEVICE, 0, 0, &a) == 0);
	CHECK_EQ_U64(a, P0);
	CHECK(swiotlb_unmap(e.tlb, &d, a, 3000, SWIOTLB_TO_DEVICE, 0) == 0);
	/* both slots poisoned: a stale device read sees 0x6b, not the data */
	CHECK(env_differs(&e, P0, 4096, 0x6b) == -1);
	CHECK_EQ_U64(stats(&e, -1).debug_poison, 0);
	/* the device writes into slot 0 after its unmap */
	env_mem(&e, P0 + 10, 1)[0] = 0;

	/* fill the pool: one of the maps reserves slot 0 and finds the write */
	env_fill(&e, 0x400000, 8 * 4096, 0x33);
	for (int i = 0; i < 8; i++)
		REQUIRE(env_map(&e, &v, 0x400000 + (uint64_t)i * 4096, 100, SWIOTLB_TO_DEVICE, 0, 0, &x[i]) == 0);
	CHECK(env_logged(&e, "culprit: swiotlb debug: freed bounce slot written after its unmap (found at a new "
			     "map): pool p slot 0, byte 0x000000000010000a is 0x00, not the poison 0x6b; last freed "
			     "there: 0x0000000000100000+3000 to_device, unmapped on cpu ") == 1);
	CHECK_EQ_U64(stats(&e, 0).debug_poison, 1); /* slot 1, untouched, is no finding */
	/* the new mapping's bytes were copied in after the check */
	for (int i = 0; i < 8; i++)
		CHECK(env_differs(&e, x[i], 100, 0x33) == -1);
	for (int i = 0; i < 8; i++)
		CHECK(swiotlb_unmap(e.tlb, &v, x[i], 100, SWIOTLB_TO_DEVICE, 0) == 0);
	env_check(&e);
	env_fini(&e);
}

/* --------------------------------------------------- double unmap, stale sync */

static unsigned test_cpu;
static unsigned get_cpu(void *arg)
{
	(void)arg;
	return test_cpu;
}

/* Two distinct call sites, each a real call (not a tail call), so the
 * reported return address lies inside the wrapper. */
static __attribute__((noinline)) int unmap_first(struct swiotlb *t, struct swiotlb_device *d, uint64_t dma, size_t n)
{
	int rc = swiotlb_unmap(t, d, dma, n, SWIOTLB_FROM_DEVICE, 0);
	__asm__ volatile("" ::: "memory");
	return rc;
}
static __attribute__((noinline)) int unmap_second(struct swiotlb *t, struct swiotlb_device *d, uint64_t dma, size_t n)
{
	int rc = swiotlb_unmap(t, d, dma, n, SWIOTLB_FROM_DEVICE, 0);
	__asm__ volatile("" ::: "memory");
	return rc;
}

/* "...<key>cpu N at S.NNNNNNNNN s from 0xPC" after `key` in a logged line. */
static bool site_after(const struct env *e, const char *key, unsigned *cpu, double *t, uintptr_t *pc)
{
	for (int i = 0; i < e->nlog; i++) {
		const char *p = strstr(e->log[i], key);
		if (p && sscanf(p + strlen(key), "cpu %u at %lf s from %" SCNxPTR, cpu, t, pc) == 3)
			return true;
	}
	return false;
}

static bool pc_in(uintptr_t pc, void *fn)
{
	uintptr_t f = (uintptr_t)fn;
	return pc > f && pc < f + 256;
}

static void test_double_unmap(void)
{
	struct env e;
	struct swiotlb_device d, o;
	uint64_t a, c, y;
	env_init_debug(&e, true);
	swiotlb_posix_set_cpu(e.px, get_cpu, NULL);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "d", 64);
	make_dev(&o, "other", 64);

	test_cpu = 1;
	REQUIRE(swiotlb_map(e.tlb, &d, 0x200000, 100, SWIOTLB_FROM_DEVICE, 0, &a) == 0);
	CHECK(unmap_first(e.tlb, &d, a, 100) == 0);
	test_cpu = 2;
	e.nlog = 0;
	CHECK(unmap_second(e.tlb, &d, a, 100) == SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&e, "d: swiotlb debug: double unmap of 0x0000000000100000+100 from_device: already "
			     "unmapped mapping 0x0000000000100000+100, unmapped on cpu 1 at ") == 1);
	CHECK(env_logged(&e, " (mapped on cpu 1 at ") == 1);
	unsigned c1 = 0, c2 = 0;
	double t1 = 0, t2 = 0;
	uintptr_t pc1 = 0, pc2 = 0;
	CHECK(site_after(&e, "unmapped on ", &c1, &t1, &pc1));
	CHECK(site_after(&e, "; this call on ", &c2, &t2, &pc2));
	CHECK(c1 == 1 && c2 == 2);
	CHECK(t1 > 0 && t1 <= t2);
	/* the call sites are the two calls of swiotlb_unmap */
	CHECK(pc_in(pc1, (void *)unmap_first));
	CHECK(pc_in(pc2, (void *)unmap_second));
	CHECK_EQ_U64(stats(&e, 0).debug_stale, 1);

	/* a sync inside the mapping after its unmap */
	e.nlog = 0;
	CHECK(swiotlb_sync_for_cpu(e.tlb, &d, a + 10, 20, SWIOTLB_FROM_DEVICE) == SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&e, "d: swiotlb debug: sync after unmap of 0x000000000010000a+20 from_device: inside "
			     "the unmapped mapping 0x0000000000100000+100, unmapped on cpu 1 at ") == 1);
	CHECK_EQ_U64(stats(&e, -1).debug_stale, 2);

	/* a double unmap after another device took the slots again: refused
	 * for the owner, and reported as what it is */
	for (int i = 0; i < 7; i++) /* walk the next-fit cursor round to slot 0 */
		REQUIRE(swiotlb_map(e.tlb, &o, 0x300000 + (uint64_t)i * 4096, 2048, SWIOTLB_TO_DEVICE, 0, &y) == 0);
	REQUIRE(swiotlb_map(e.tlb, &o, 0x400000, 100, SWIOTLB_FROM_DEVICE, 0, &c) == 0);
	CHECK_EQ_U64(c, a);
	e.nlog = 0;
	CHECK(swiotlb_unmap(e.tlb, &d, a, 100, SWIOTLB_FROM_DEVICE, 0) == SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&e, "the mapping belongs to another device") == 1);
	CHECK(env_logged(&e, "d: swiotlb debug: double unmap of 0x0000000000100000+100") == 1);
	CHECK_EQ_U64(stats(&e, -1).debug_stale, 3);

	/* a refused call that repeats no unmap is no finding: a wrong size */
	e.nlog = 0;
	CHECK(swiotlb_unmap(e.tlb, &o, c, 99, SWIOTLB_FROM_DEVICE, 0) == SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&e, "swiotlb debug") == 0);
	CHECK_EQ_U64(stats(&e, -1).debug_stale, 3);
	CHECK(swiotlb_unmap(e.tlb, &o, c, 100, SWIOTLB_FROM_DEVICE, 0) == 0);
	env_check(&e);
	env_fini(&e);
}

/* ---------------------------------------------------------------- leaks */

static void test_leaks(void)
{
	struct env e;
	struct swiotlb_device n, l;
	uint64_t a;
	env_init_debug(&e, true);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&n, "nvme0", 64);
	make_dev(&l, "legacy0", 32);

	REQUIRE(swiotlb_map(e.tlb, &n, 0x200000, 100, SWIOTLB_TO_DEVICE, 0, &a) == 0);
	REQUIRE(swiotlb_map(e.tlb, &n, 0x300000, 5000, SWIOTLB_FROM_DEVICE, 0, &a) == 0);
	REQUIRE(swiotlb_map(e.tlb, &l, 0x400000, 300, SWIOTLB_BIDIRECTIONAL, 0, &a) == 0);
	REQUIRE(swiotlb_map(e.tlb, &l, 0x500000, 10, SWIOTLB_TO_DEVICE, 0, &a) == 0);
	CHECK(swiotlb_unmap(e.tlb, &l, a, 10, SWIOTLB_TO_DEVICE, 0) == 0); /* not a leak */

	e.nlog = 0;
	CHECK(swiotlb_debug_report(e.tlb) == 3);
	CHECK(env_logged(&e, "debug: 3 bounced mappings live now:") == 1);
	CHECK(env_logged(&e, "debug: leak: device nvme0: 2 mappings, 5100 bytes") == 1);
	CHECK(env_logged(&e, "debug: leak: device legacy0: 1 mapping, 300 bytes") == 1);
	CHECK(env_logged(&e, "debug: leak:   legacy0 0x") == 1);
	CHECK(env_logged(&e, "+300 bidirectional (original 0x400000), mapped on cpu ") == 1);
	CHECK(env_logged(&e, "+5000 from_device (original 0x300000)") == 1);

	e.nlog = 0;
	swiotlb_destroy(e.tlb);
	CHECK(env_logged(&e, "debug: 3 bounced mappings live at destroy (leaked: never unmapped):") == 1);
	CHECK(env_logged(&e, "debug: leak: device nvme0: 2 mappings, 5100 bytes") == 1);
	swiotlb_posix_destroy(e.px);

	/* nothing live: nothing said */
	env_init_debug(&e, true);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	REQUIRE(swiotlb_map(e.tlb, &n, 0x200000, 100, SWIOTLB_TO_DEVICE, 0, &a) == 0);
	CHECK(swiotlb_unmap(e.tlb, &n, a, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(swiotlb_debug_report(e.tlb) == 0);
	e.nlog = 0;
	swiotlb_destroy(e.tlb);
	CHECK(env_logged(&e, "leak") == 0);
	swiotlb_posix_destroy(e.px);
}

/* ------------------------------------------------------- CPU read guard */

struct guard_ev {
	struct swiotlb *tlb;
	uint64_t phys;
	size_t len;
	bool armed;
};
static struct guard_ev gev[32];
static int ngev;

static void guard_hook(void *ctx, struct swiotlb *tlb, uint64_t phys, size_t len, bool armed)
{
	(void)ctx;
	if (ngev < 32)
		gev[ngev++] = (struct guard_ev){ tlb, phys, len, armed };
}

static bool ev_is(int i, struct swiotlb *tlb, uint64_t phys, size_t len, bool armed)
{
	return i < ngev && gev[i].tlb == tlb && gev[i].phys == phys && gev[i].len == len && gev[i].armed == armed;
}

static void guard_env(struct env *e, bool debug)
{
	struct swiotlb_config cfg;
	memset(e, 0, sizeof(*e));
	REQUIRE(swiotlb_posix_create(NULL, &e->px) == 0);
	swiotlb_posix_set_log(e->px, env_log, e);
	swiotlb_posix_platform(e->px, &e->plat);
	e->plat.cpu_read_guard = guard_hook;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.debug = debug;
	REQUIRE(swiotlb_create(&cfg, &e->plat, &e->tlb) == 0);
	REQUIRE(env_pool(e, "p", P0, 8, 1) == 0);
}

static void test_cpu_read_guard(void)
{
	struct env e;
	struct swiotlb_device d;
	uint64_t a, b;
	make_dev(&d, "d", 64);

	guard_env(&e, true);
	ngev = 0;
	REQUIRE(swiotlb_map(e.tlb, &d, 0x200000, 4096, SWIOTLB_FROM_DEVICE, 0, &a) == 0);
	CHECK(ngev == 1 && ev_is(0, e.tlb, 0x200000, 4096, true));
	REQUIRE(swiotlb_map(e.tlb, &d, 0x300000, 100, SWIOTLB_TO_DEVICE, 0, &b) == 0);
	CHECK(ngev == 1); /* the CPU may read what it gave the device */
	/* a partial sync hands those bytes to the CPU, and back */
	CHECK(swiotlb_sync_for_cpu(e.tlb, &d, a + 512, 512, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(ngev == 2 && ev_is(1, e.tlb, 0x200200, 512, false));
	CHECK(swiotlb_sync_for_device(e.tlb, &d, a + 512, 512, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(ngev == 3 && ev_is(2, e.tlb, 0x200200, 512, true));

	/* the platform saw the CPU read the armed original */
	e.nlog = 0;
	CHECK(swiotlb_debug_cpu_read(e.tlb, 0x200010, 4) == 0);
	CHECK(env_logged(&e, "d: swiotlb debug: CPU read 0x200010+4 of the original of mapping "
			     "0x0000000000100000+4096 from_device (original 0x200000) before sync_for_cpu or unmap, "
			     "on cpu ") == 1);
	CHECK_EQ_U64(stats(&e, 0).debug_cpu_read, 1);
	CHECK_EQ_U64(stats(&e, -1).debug_cpu_read, 1);

	CHECK(swiotlb_unmap(e.tlb, &d, a, 4096, SWIOTLB_FROM_DEVICE, 0) == 0);
	CHECK(ngev == 4 && ev_is(3, e.tlb, 0x200000, 4096, false));
	CHECK(swiotlb_unmap(e.tlb, &d, b, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(ngev == 4);
	env_fini(&e);

	/* debug mode off: the hook is never called, and reports are refused */
	guard_env(&e, false);
	ngev = 0;
	REQUIRE(swiotlb_map(e.tlb, &d, 0x200000, 4096, SWIOTLB_FROM_DEVICE, 0, &a) == 0);
	CHECK(swiotlb_sync_for_cpu(e.tlb, &d, a, 4096, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(swiotlb_unmap(e.tlb, &d, a, 4096, SWIOTLB_FROM_DEVICE, 0) == 0);
	CHECK(ngev == 0);
	CHECK(swiotlb_debug_cpu_read(e.tlb, 0x200010, 4) == SWIOTLB_EINVAL);
	CHECK(swiotlb_debug_report(e.tlb) == SWIOTLB_EINVAL);
	env_fini(&e);
}

static bool sim_logged(const struct swiotlb_sim *sim, const char *needle)
{
	for (size_t i = 0; i < swiotlb_sim_log_count(sim); i++)
		if (strstr(swiotlb_sim_log_line(sim, i), needle))
			return true;
	return false;
}

/* The simulator checks its CPU's reads against the armed originals. */
static void test_sim_guard(void)
{
	struct swiotlb_sim_machine m;
	struct swiotlb_sim *sim;
	struct swiotlb *tlb;
	char err[300];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_X86);
	m.cpus = 2;
	REQUIRE(swiotlb_sim_preset(&m, 4ull << 30, 0, err, sizeof(err)) == 0);
	REQUIRE(swiotlb_sim_create(&m, &sim, err, sizeof(err)) == 0);
	struct swiotlb_sim_boot_opts o = { .cmdline = "swiotlb=pool=lo:slots=1024,force,debug",
					   .dialect = SWIOTLB_DIALECT_NAMED };
	REQUIRE(swiotlb_sim_boot(sim, &o, &tlb, err, sizeof(err)) == 0);

	struct swiotlb_device nic;
	struct swiotlb_sim_counters cnt;
	struct swiotlb_stats st;
	uint64_t orig, dma, dma2;
	swiotlb_device_init(&nic, "nic0", ~0ull);
	REQUIRE(swiotlb_sim_alloc(sim, 16384, ~0ull, &orig) == 0);
	REQUIRE(swiotlb_map(tlb, &nic, orig, 8192, SWIOTLB_FROM_DEVICE, 0, &dma) == 0);
	REQUIRE(swiotlb_map(tlb, &nic, orig + 8192, 100, SWIOTLB_TO_DEVICE, 0, &dma2) == 0);

	CHECK(swiotlb_sim_cpu_read(sim, orig + 100, 8)); /* too early */
	CHECK(!swiotlb_sim_cpu_read(sim, orig + 8192, 100)); /* its own to_device data */
	swiotlb_sim_get_counters(sim, &cnt);
	CHECK_EQ_U64(cnt.cpu_read_early, 1);
	swiotlb_get_stats(tlb, -1, &st);
	CHECK_EQ_U64(st.debug_cpu_read, 1);
	CHECK(sim_logged(sim, "sim: CPU read of [mem "));
	CHECK(sim_logged(sim, "nic0: swiotlb debug: CPU read "));

	/* the first half synced for the CPU: readable; the second not yet */
	CHECK(swiotlb_sync_for_cpu(tlb, &nic, dma, 4096, SWIOTLB_FROM_DEVICE) == 0);
	CHECK(!swiotlb_sim_cpu_read(sim, orig + 100, 8));
	CHECK(swiotlb_sim_cpu_read(sim, orig + 5000, 8));
	/* a read straddling both halves touches the guarded one */
	CHECK(swiotlb_sim_cpu_read(sim, orig + 4000, 200));
	CHECK(swiotlb_unmap(tlb, &nic, dma, 8192, SWIOTLB_FROM_DEVICE, SWIOTLB_ATTR_SKIP_CPU_SYNC) == 0);
	CHECK(!swiotlb_sim_cpu_read(sim, orig, 8192));
	CHECK(swiotlb_unmap(tlb, &nic, dma2, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	swiotlb_sim_get_counters(sim, &cnt);
	CHECK_EQ_U64(cnt.cpu_read_early, 3);
	swiotlb_get_stats(tlb, -1, &st);
	CHECK_EQ_U64(st.debug_cpu_read, 3);
	/* a mapping leaked at destroy stops being guarded with its instance */
	REQUIRE(swiotlb_map(tlb, &nic, orig, 8192, SWIOTLB_FROM_DEVICE, 0, &dma) == 0);
	CHECK(swiotlb_sim_cpu_read(sim, orig, 8));
	swiotlb_destroy(tlb);
	CHECK(!swiotlb_sim_cpu_read(sim, orig, 8));
	swiotlb_sim_get_counters(sim, &cnt);
	CHECK_EQ_U64(cnt.cpu_read_early, 4);
	swiotlb_sim_destroy(sim);
}

/* ---------------------------------------------- the mode changes no address */

struct outcome {
	int rc;
	uint64_t dma;
};

#define SEQ_OPS 3000
#define SEQ_LIVE 64

struct live {
	uint64_t dma;
	size_t size;
	uint32_t dir;
	int d;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One seeded sequence of maps, syncs and unmaps; the outcome of each. */
static void run_sequence(const char *policy, bool debug, struct outcome *out, char *stats_buf, size_t len)
{
	struct env e;
	struct swiotlb_device dev[3];
	struct live live[SEQ_LIVE];
	int nlive = 0;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	const char *saved = env_policy;
	env_policy = policy;
	env_init_debug(&e, debug);
	REQUIRE(env_pool(&e, "p", P0, 256, 2) == 0);
	make_dev(&dev[0], "plain", 64);
	make_dev(&dev[1], "nvme", 64);
	dev[1].min_align_mask = 0xfff;
	make_dev(&dev[2], "bounded", 64);
	dev[2].seg_boundary_mask = 0xffff;
	for (int i = 0; i < SEQ_OPS; i++) {
		uint64_t x = rnd(&s);
		struct outcome o = { 0, 0 };
		if (nlive < SEQ_LIVE && (x % 3 || !nlive)) {
			int d = (int)((x >> 8) % 3);
			size_t size = 1 + (size_t)((x >> 16) % (x & 0x100 ? 20000 : 3000));
			uint32_t dir = (uint32_t)((x >> 40) % 3);
			uint64_t align = (x >> 44) % 8 == 0 ? 0xfff : 0;
			uint64_t orig = 0x40000000 + ((x >> 20) & 0xffff000) + ((x >> 48) & 0xfff);
			o.rc = env_map(&e, &dev[d], orig, size, dir, align, (int)((x >> 50) % 2), &o.dma);
			if (!o.rc)
				live[nlive++] = (struct live){ o.dma, size, dir, d };
		} else {
			int k = (int)((x >> 8) % (uint64_t)nlive);
			if ((x >> 20) % 4 == 0)
				o.rc = swiotlb_sync_for_cpu(e.tlb, &dev[live[k].d], live[k].dma, live[k].size, live[k].dir);
			uint32_t attrs = (x >> 24) % 2 ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0;
			int rc = swiotlb_unmap(e.tlb, &dev[live[k].d], live[k].dma, live[k].size, live[k].dir, attrs);
			o.rc = o.rc ? o.rc : rc;
			o.dma = live[k].dma;
			live[k] = live[--nlive];
		}
		out[i] = o;
	}
	swiotlb_stats_text(e.tlb, stats_buf, len);
	while (nlive) {
		nlive--;
		CHECK(swiotlb_unmap(e.tlb, &dev[live[nlive].d], live[nlive].dma, live[nlive].size, live[nlive].dir,
				    0) == 0);
	}
	env_check(&e);
	env_fini(&e);
	env_policy = saved;
}

static void test_same_addresses(void)
{
	static struct outcome off[SEQ_OPS], on[SEQ_OPS];
	static char st_off[16384], st_on[16384];
	const char *policies[] = { "linux", "fast" };
	for (int p = 0; p < 2; p++) {
		run_sequence(policies[p], false, off, st_off, sizeof(st_off));
		run_sequence(policies[p], true, on, st_on, sizeof(st_on));
		int maps = 0, diffs = 0;
		for (int i = 0; i < SEQ_OPS; i++) {
			maps += off[i].rc == 0 && off[i].dma != 0;
			if (off[i].rc != on[i].rc || off[i].dma != on[i].dma) {
				if (!diffs++)
					fprintf(stderr, "%s: op %d: off rc %d dma 0x%" PRIx64 ", on rc %d dma 0x%" PRIx64 "\n",
						policies[p], i, off[i].rc, off[i].dma, on[i].rc, on[i].dma);
			}
		}
		CHECK(diffs == 0);
		CHECK(maps > SEQ_OPS / 2); /* the sequence did map and unmap */
		/* the same counters; only the debug instance renders its own */
		CHECK(strstr(st_off, "debug_") == NULL);
		CHECK(strstr(st_on, "\ndebug_redzone 0\n") != NULL);
		CHECK(strstr(st_on, "\ndebug_stale 0\n") != NULL);
		char *cut = strstr(st_on, "debug_redzone");
		REQUIRE(cut != NULL);
		CHECK(strncmp(st_off, st_on, (size_t)(cut - st_on)) == 0);
	}

	/* flag off: a freed slot keeps its bytes, nothing is filled */
	struct env e;
	struct swiotlb_device d;
	uint64_t a;
	env_init_debug(&e, false);
	REQUIRE(env_pool(&e, "p", P0, 8, 1) == 0);
	make_dev(&d, "d", 64);
	env_fill(&e, 0x200000, 100, 0x44);
	REQUIRE(swiotlb_map(e.tlb, &d, 0x200000, 100, SWIOTLB_TO_DEVICE, 0, &a) == 0);
	CHECK(env_differs(&e, P0 + 100, 2048 - 100, 0) == -1); /* no redzone */
	CHECK(swiotlb_unmap(e.tlb, &d, a, 100, SWIOTLB_TO_DEVICE, 0) == 0);
	CHECK(env_differs(&e, P0, 100, 0x44) == -1); /* no poison */
	e.nlog = 0;
	CHECK(swiotlb_unmap(e.tlb, &d, a, 100, SWIOTLB_TO_DEVICE, 0) == SWIOTLB_ENOTMAPPED);
	CHECK(env_logged(&e, "swiotlb debug") == 0);
	env_fini(&e);
}

/* ------------------------------------------------- memory the mode cannot get */

static struct {
	struct swiotlb_platform inner;
	int fail_at, calls;
	long live;
} M;

static void *m_alloc(void *ctx, size_t b)
{
	(void)ctx;
	if (M.fail_at && ++M.calls == M.fail_at)
		return NULL;
	void *p = M.inner.meta_alloc(M.inner.ctx, b);
	M.live += p != NULL;
	return p;
}
static void m_free(void *ctx, void *p, size_t b)
{
	(void)ctx;
	M.live--;
	M.inner.meta_free(M.inner.ctx, p, b);
}

/* Fail each metadata allocation in turn: the debug state, a pool's slot
 * states, a chunk of tracking entries.  Nothing crashes or leaks, and what
 * the mode could not get it says. */
static void test_no_memory(void)
{
	int complete = 0, refused = 0, no_state = 0, no_entry = 0;
	for (int n = 1; n < 12 && !complete; n++) {
		struct env e;
		struct swiotlb_config cfg;
		struct swiotlb_platform plat;
		struct swiotlb_device d;
		uint64_t a, b;
		memset(&e, 0, sizeof(e));
		REQUIRE(swiotlb_posix_create(NULL, &e.px) == 0);
		swiotlb_posix_set_log(e.px, env_log, &e);
		swiotlb_posix_platform(e.px, &e.plat);
		memset(&M, 0, sizeof(M));
		M.inner = e.plat;
		plat = e.plat;
		plat.meta_alloc = m_alloc;
		plat.meta_free = m_free;
		M.fail_at = n;
		swiotlb_config_init(&cfg);
		cfg.npools = 0;
		cfg.debug = true;
		int rc = swiotlb_create(&cfg, &plat, &e.tlb);
		if (rc) {
			CHECK(rc == SWIOTLB_ENOMEM && e.tlb == NULL);
			refused++;
		} else if (env_pool(&e, "p", P0, 8, 1) >= 0) {
			make_dev(&d, "d", 64);
			REQUIRE(swiotlb_map(e.tlb, &d, 0x200000, 100, SWIOTLB_TO_DEVICE, 0, &a) == 0);
			REQUIRE(swiotlb_map(e.tlb, &d, 0x300000, 100, SWIOTLB_FROM_DEVICE, 0, &b) == 0);
			CHECK(swiotlb_unmap(e.tlb, &d, a, 100, SWIOTLB_TO_DEVICE, 0) == 0);
			struct swiotlb_stats st = stats(&e, -1);
			bool untracked = env_logged(&e, "debug: no room to track more than 0 live mappings") == 1;
			/* a failed chunk costs the one mapping; the next map tries again */
			CHECK(st.debug_untracked == (untracked ? 1u : 0u));
			no_entry += untracked;
			if (env_logged(&e, "debug mode: no memory for pool p's slot states") == 0)
				CHECK(env_differs(&e, a, 100, 0x6b) == -1);
			else
				no_state++;
			complete = M.calls < n; /* nothing failed: every allocation was tried */
			e.nlog = 0;
			swiotlb_destroy(e.tlb);
			CHECK(env_logged(&e, "debug: leak: device d: 1 mapping, 100 bytes") == 1);
			e.tlb = NULL;
		}
		if (e.tlb)
			swiotlb_destroy(e.tlb);
		CHECK(M.live == 0);
		swiotlb_posix_destroy(e.px);
	}
	CHECK(complete);
	/* the instance and its debug state, a pool's slot states, an entry chunk */
	CHECK(refused == 2 && no_state == 1 && no_entry == 1);
}

/* ------------------------------------------------------------- threads */

#define THREADS 4
#define THREAD_OPS 1500

struct worker {
	struct env *e;
	int id;
	uint64_t orig;
	uint8_t *buf; /* 64 KiB at orig, taken before the threads start */
	int stale; /* double unmaps made on purpose */
	int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct swiotlb_device d;
	char name[16];
	snprintf(name, sizeof(name), "w%d", w->id);
	make_dev(&d, name, 64);
	uint64_t s = 0x1234567ull * (uint64_t)(w->id + 1);
	uint64_t orig = w->orig;
	uint8_t *buf = w->buf;
	for (int i = 0; i < THREAD_OPS; i++) {
		uint64_t x = rnd(&s), dma;
		size_t size = 1 + (size_t)(x % 9000);
		uint32_t dir = (uint32_t)((x >> 20) % 3);
		memset(buf, (uint8_t)i, size);
		int rc = swiotlb_map(w->e->tlb, &d, orig, size, dir, 0, &dma);
		if (rc == SWIOTLB_EFULL)
			continue;
		if (rc) {
			w->errors++;
			continue;
		}
		if (dir != SWIOTLB_TO_DEVICE && swiotlb_sync_for_cpu(w->e->tlb, &d, dma, size, dir))
			w->errors++;
		if (swiotlb_unmap(w->e->tlb, &d, dma, size, dir, 0))
			w->errors++;
		if ((x >> 40) % 16 == 0) {
			w->stale++;
			if (swiotlb_unmap(w->e->tlb, &d, dma, size, dir, 0) != SWIOTLB_ENOTMAPPED)
				w->errors++;
		}
	}
	return NULL;
}

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static void locked_log(void *arg, enum swiotlb_log_level lvl, const char *line)
{
	pthread_mutex_lock(&log_mutex);
	env_log(arg, lvl, line);
	pthread_mutex_unlock(&log_mutex);
}

static void test_threads(void)
{
	struct env e;
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = THREADS;
	cfg.debug = true;
	env_init_cfg(&e, &cfg);
	swiotlb_posix_set_log(e.px, locked_log, &e);
	REQUIRE(env_pool(&e, "p", P0, 512, 4) == 0);
	for (int i = 0; i < THREADS; i++) {
		uint64_t orig = 0x40000000ull + (uint64_t)i * 0x1000000;
		w[i] = (struct worker){ &e, i, orig, env_mem(&e, orig, 65536), 0, 0 };
		REQUIRE(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
	}
	int stale = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].errors == 0);
		stale += w[i].stale;
	}
	struct swiotlb_stats st = stats(&e, -1);
	CHECK(stale > 0);
	CHECK_EQ_U64(st.debug_stale, stale); /* every one recognised, nothing else */
	CHECK_EQ_U64(st.debug_redzone, 0);
	CHECK_EQ_U64(st.debug_poison, 0);
	CHECK_EQ_U64(st.used, 0);
	CHECK(swiotlb_debug_report(e.tlb) == 0);
	env_check(&e);
	env_fini(&e);
}

int main(void)
{
	if (!debug_built_in()) {
		fprintf(stderr, "test_debug: the library was built without SWIOTLB_DEBUG: refusal checked, rest skipped\n");
		return check_failures ? 1 : 77;
	}
	test_redzone();
	test_poison();
	test_double_unmap();
	test_leaks();
	test_cpu_read_guard();
	test_sim_guard();
	test_same_addresses();
	test_no_memory();
	test_threads();
	return check_done("test_debug");
}
