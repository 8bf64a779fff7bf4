/* SPDX-License-Identifier: MIT */
/*
 * Concurrent refused calls, checked against a model (run under
 * ThreadSanitizer in CI).  Each round, device d's mapping X (from_device,
 * all 16 slots of the pool, its bounce buffer written by the device) is
 * raced by:
 *   - two unmaps of X by d: exactly one succeeds, the other is not_mapped;
 *   - a reuser that maps device e's buffers into the slots X frees, has the
 *     device write them, syncs and unmaps them;
 *   - a thread that keeps syncing X as d (for the device while the unmaps
 *     run, for the CPU once one has returned, when the slots may be e's),
 *     and unmapping and syncing it as d's twins (ids equal to d's modulo 64
 *     and modulo 65536), until the others are done.
 * Properties: a refused call copies no byte into any original (every copy
 * is logged with the calling thread through the platform's copy callback);
 * no wrong-device call succeeds; X's original ends holding exactly what the
 * device wrote to X, each of e's originals what the device wrote to it, and
 * an original never mapped is never written (every byte checksummed); the
 * pool is empty and its invariants hold after every round.
 *
 * CONC_ROUNDS overrides the number of rounds per policy.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "testlib.h"

#define SIZE 0x8000u                  /* 16 slots */
#define POOL_BASE 0x1000000ull
#define ORIG_X 0x200000000ull
#define ORIG_Y 0x200100000ull         /* 4 of e's originals, 64 KiB apart */
#define ORIG_NEVER 0x200200000ull     /* never mapped */
#define ORIGS_END 0x200300000ull
#define NY 4

static struct env e;
static uint8_t *membase;
static struct swiotlb_device d, ey, twin64, twin64k;
static pthread_barrier_t start, done;
static uint64_t dma_x;
static int rc_unmap[2];
static atomic_int finished, failures, wrong_device_ok, refused_wrote, syncs_ok;
static atomic_bool stop, x_unmapped;
static unsigned round_no;

/* Copies into originals made by this thread since the last reset. */
static _Thread_local int copies_into_orig;

static void logging_copy(void *ctx, void *dst, const void *src, size_t n)
{
	(void)ctx;
	uint64_t phys = (uint64_t)((uint8_t *)dst - membase);
	if (phys < ORIGS_END && phys + n > ORIG_X)
		copies_into_orig++;
	memcpy(dst, src, n);
}

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t pattern_sum(size_t n, unsigned seed)
{
	static uint8_t buf[SIZE];
	pattern(buf, n, seed);
	return checksum(buf, n);
}

static void fail(const char *what)
{
	fprintf(stderr, "round %u: %s\n", round_no, what);
	atomic_fetch_add(&failures, 1);
}

/* A call whose result says it was refused must not have copied. */
static void refused_copies_nothing(int rc)
{
	if (rc != 0 && copies_into_orig)
		atomic_fetch_add(&refused_wrote, 1);
}

static void *unmapper(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (;;) {
		pthread_barrier_wait(&start);
		if (atomic_load(&stop))
			return NULL;
		copies_into_orig = 0;
		rc_unmap[me] = swiotlb_unmap(e.tlb, &d, dma_x, SIZE, SWIOTLB_FROM_DEVICE, 0);
		refused_copies_nothing(rc_unmap[me]);
		if (rc_unmap[me] == 0)
			atomic_store(&x_unmapped, true);
		atomic_fetch_add(&finished, 1);
		pthread_barrier_wait(&done);
	}
}

static void *reuser(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&start);
		if (atomic_load(&stop))
			return NULL;
		for (unsigned j = 0; j < NY; j++) {
			uint64_t orig = ORIG_Y + j * 0x10000, dma;
			unsigned seed = round_no * 8 + j + 1;
			pattern(env_mem(&e, orig, SIZE), SIZE, seed + 100);
			/* full until the winning unmap frees X's slots */
			int rc;
			while ((rc = env_map(&e, &ey, orig, SIZE, SWIOTLB_FROM_DEVICE, 0, 0, &dma)) == SWIOTLB_EFULL)
				sched_yield();
			if (rc) {
				fail("the reuser could not map");
				continue;
			}
			pattern(env_mem(&e, dma, SIZE), SIZE, seed); /* the device writes */
			copies_into_orig = 0;
			if (swiotlb_sync_for_cpu(e.tlb, &ey, dma + 100, 1000, SWIOTLB_FROM_DEVICE) != 0 ||
			    swiotlb_unmap(e.tlb, &ey, dma, SIZE, SWIOTLB_FROM_DEVICE, 0) != 0)
				fail("the reuser's sync or unmap failed");
			if (checksum(env_mem(&e, orig, SIZE), SIZE) != pattern_sum(SIZE, seed))
				fail("a reused original does not hold what its device wrote");
		}
		atomic_fetch_add(&finished, 1);
		pthread_barrier_wait(&done);
	}
}

static void *intruder(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&start);
		if (atomic_load(&stop))
			return NULL;
		for (unsigned k = 0; atomic_load(&finished) < 3; k++) {
			int rc;
			copies_into_orig = 0;
			switch (k % 4) {
			case 0:
				/* the owner syncs while X is being unmapped: for the device
				 * (a from_device mapping copies nothing, so a winning sync
				 * does not race the copy-back over X's original, which would
				 * be the caller's race); once the unmap has returned, for the
				 * CPU, which must be refused while e reuses the slots */
				if (atomic_load(&x_unmapped)) {
					rc = swiotlb_sync_for_cpu(e.tlb, &d, dma_x + (k % 64) * 16, 512, SWIOTLB_FROM_DEVICE);
					if (rc == 0)
						fail("a sync after the unmap returned succeeded");
				} else {
					rc = swiotlb_sync_for_device(e.tlb, &d, dma_x + (k % 64) * 16, 512, SWIOTLB_FROM_DEVICE);
					if (rc == 0)
						atomic_fetch_add(&syncs_ok, 1);
				}
				break;
			case 1:
				rc = swiotlb_unmap(e.tlb, &twin64, dma_x, SIZE, SWIOTLB_FROM_DEVICE, 0);
				break;
			case 2:
				rc = swiotlb_unmap(e.tlb, &twin64k, dma_x, SIZE, SWIOTLB_FROM_DEVICE, 0);
				break;
			default:
				rc = swiotlb_sync_for_cpu(e.tlb, (k & 4) ? &twin64 : &twin64k, dma_x, SIZE,
							  SWIOTLB_FROM_DEVICE);
				break;
			}
			if (k % 4 && rc == 0)
				atomic_fetch_add(&wrong_device_ok, 1);
			refused_copies_nothing(rc);
		}
		pthread_barrier_wait(&done);
	}
}

static void run_policy(const char *policy, unsigned rounds)
{
	env_policy = policy;
	/* env_init, with the logging copy */
	memset(&e, 0, sizeof(e));
	REQUIRE(swiotlb_posix_create(NULL, &e.px) == 0);
	swiotlb_posix_platform(e.px, &e.plat);
	e.plat.copy = logging_copy;
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	cfg.ncpus = 1;
	REQUIRE(swiotlb_create(&cfg, &e.plat, &e.tlb) == 0);
	/* exactly X's slots: every reuse takes the slots X frees */
	REQUIRE(env_pool(&e, "p", POOL_BASE, 16, 1) == 0);
	membase = env_mem(&e, 0, 1);

	swiotlb_device_init(&d, "d", ~0ull);
	d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	swiotlb_device_init(&ey, "e", ~0ull);
	ey.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	twin64 = d;
	twin64.id = d.id + 64;
	twin64k = d;
	twin64k.id = d.id + 65536;

	pattern(env_mem(&e, ORIG_NEVER, 0x100000), 0x100000, 77);
	uint64_t never_sum = checksum(env_mem(&e, ORIG_NEVER, 0x100000), 0x100000);

	atomic_store(&stop, false);
	pthread_t th[4];
	REQUIRE(pthread_barrier_init(&start, NULL, 5) == 0);
	REQUIRE(pthread_barrier_init(&done, NULL, 5) == 0);
	REQUIRE(pthread_create(&th[0], NULL, unmapper, (void *)0) == 0);
	REQUIRE(pthread_create(&th[1], NULL, unmapper, (void *)1) == 0);
	REQUIRE(pthread_create(&th[2], NULL, reuser, NULL) == 0);
	REQUIRE(pthread_create(&th[3], NULL, intruder, NULL) == 0);

	int both_ok = 0, none_ok = 0;
	for (round_no = 0; round_no < rounds; round_no++) {
		unsigned seed = round_no * 8 + 5;
		pattern(env_mem(&e, ORIG_X, SIZE), SIZE, seed + 50);
		REQUIRE(env_map(&e, &d, ORIG_X, SIZE, SWIOTLB_FROM_DEVICE, 0, 0, &dma_x) == 0);
		pattern(env_mem(&e, dma_x, SIZE), SIZE, seed); /* the device writes X */
		atomic_store(&finished, 0);
		atomic_store(&x_unmapped, false);
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		int ok = (rc_unmap[0] == 0) + (rc_unmap[1] == 0);
		both_ok += ok == 2;
		none_ok += ok == 0;
		if (ok == 1 && rc_unmap[0] + rc_unmap[1] != SWIOTLB_ENOTMAPPED)
			fail("the duplicate unmap was refused with another error than not_mapped");
		if (checksum(env_mem(&e, ORIG_X, SIZE), SIZE) != pattern_sum(SIZE, seed))
			fail("X's original does not hold exactly what the device wrote to X");
		struct swiotlb_stats st;
		REQUIRE(swiotlb_get_stats(e.tlb, -1, &st) == 0);
		if (st.used)
			fail("slots still used after the round");
		if (round_no % 16 == 0)
			env_check(&e);
	}
	atomic_store(&stop, true);
	pthread_barrier_wait(&start);
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&start);
	pthread_barrier_destroy(&done);

	printf("%s: %u rounds, %d owner syncs won the race, failures %d, wrong-device successes %d, "
	       "refused calls that copied %d\n",
	       policy, rounds, atomic_load(&syncs_ok), atomic_load(&failures), atomic_load(&wrong_device_ok),
	       atomic_load(&refused_wrote));
	CHECK_EQ_U64(both_ok, 0);
	CHECK_EQ_U64(none_ok, 0);
	CHECK_EQ_U64(atomic_load(&failures), 0);
	CHECK_EQ_U64(atomic_load(&wrong_device_ok), 0);
	CHECK_EQ_U64(atomic_load(&refused_wrote), 0);
	CHECK(checksum(env_mem(&e, ORIG_NEVER, 0x100000), 0x100000) == never_sum);
	env_check(&e);
	env_fini(&e);
	atomic_store(&failures, 0);
	atomic_store(&wrong_device_ok, 0);
	atomic_store(&refused_wrote, 0);
	atomic_store(&syncs_ok, 0);
}

int main(void)
{
	const char *r = getenv("CONC_ROUNDS");
	unsigned rounds = r ? (unsigned)atoi(r) : 400;
	static const char *const policies[] = { "linux", "fast" };
	for (int p = 0; p < 2; p++)
		run_policy(policies[p], rounds);
	return check_failures ? 1 : 0;
}
