/* SPDX-License-Identifier: MIT */
/*
 * Instance creation from command lines: the area count, size rounding,
 * placement, the halving fallback and the kernel's log lines (docs/kernel-semantics.md
 * §1.6, §4.1, §7), several pools chosen by device limit, and fault
 * injection into every platform call that can fail.
 */
#include <pthread.h>
#include "testlib.h"

static struct swiotlb *make(struct env *e, const struct swiotlb_posix_opts *po, unsigned cpus, const char *line,
			    int dialect)
{
	struct swiotlb_config cfg;
	struct swiotlb_parse_opts opts = { .dialect = (uint32_t)dialect, .log = env_log, .log_arg = e };
	memset(e, 0, sizeof(*e));
	REQUIRE(swiotlb_posix_create(po, &e->px) == 0);
	swiotlb_posix_set_log(e->px, env_log, e);
	swiotlb_posix_platform(e->px, &e->plat);
	swiotlb_config_init(&cfg);
	cfg.ncpus = cpus;
	REQUIRE(swiotlb_parse_cmdline(line, &opts, &cfg) == 0);
	REQUIRE(swiotlb_create(&cfg, &e->plat, &e->tlb) == 0);
	return e->tlb;
}

static void expect_log(struct env *e, const char *line)
{
	int n = env_logged(e, line);
	if (n != 1) {
		fprintf(stderr, "expected exactly one log line containing: %s\n", line);
		env_dump_log(e);
	}
	CHECK(n == 1);
}

static void test_roundup_with_cpus(void)
{
	struct env e;
	struct swiotlb_pool_info info;
	make(&e, NULL, 4, "swiotlb=40000", SWIOTLB_DIALECT_MAINLINE);
	CHECK(swiotlb_pool_count(e.tlb) == 1);
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nslabs, 65536);
	CHECK_EQ_U64(info.nareas, 4);
	CHECK(info.placement == SWIOTLB_PLACE_LOW);
	CHECK(info.end <= 0x100000000ull);
	expect_log(&e, "software IO TLB: area num 4.");
	expect_log(&e, "software IO TLB: SWIOTLB bounce buffer size roundup to 128MB");
	/* top-down in low RAM [1 MiB, 3 GiB) */
	expect_log(&e, "software IO TLB: mapped [mem 0x00000000b8000000-0x00000000c0000000] (128MB)");
	CHECK(strcmp(e.log[0], "software IO TLB: area num 4.") == 0);
	CHECK(!swiotlb_force_bounce(e.tlb));
	env_fini(&e);

	/* the default: 64 MiB, already a power of two */
	make(&e, NULL, 3, "", SWIOTLB_DIALECT_MAINLINE);
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nslabs, 32768);
	CHECK_EQ_U64(info.nareas, 4);
	CHECK(env_logged(&e, "roundup") == 0);
	expect_log(&e, "(64MB)");
	env_fini(&e);

	/* a tiny size with many CPUs grows to 128 slots per area */
	make(&e, NULL, 8, "swiotlb=512", SWIOTLB_DIALECT_MAINLINE);
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nslabs, 1024);
	CHECK_EQ_U64(info.nareas, 8);
	expect_log(&e, "roundup to 2MB");
	env_fini(&e);
}

static void test_two_pools_rfc2021(void)
{
	struct env e;
	struct swiotlb_pool_info lo, hi;
	struct swiotlb_device d32, d64;
	struct swiotlb_map_args a = { .orig = 0x5000, .size = 4096, .dir = SWIOTLB_FROM_DEVICE, .cpu = 0 };
	struct swiotlb_map_result r;
	make(&e, NULL, 4, "swiotlb=65536,1048576,force", SWIOTLB_DIALECT_RFC2021);
	REQUIRE(swiotlb_pool_count(e.tlb) == 2);
	swiotlb_pool_info(e.tlb, 0, &lo);
	swiotlb_pool_info(e.tlb, 1, &hi);
	CHECK_EQ_U64(lo.nslabs, 65536);
	CHECK_EQ_U64(hi.nslabs, 1048576);
	CHECK_STR(hi.name, "highmem");
	CHECK(lo.end <= 0x100000000ull);
	CHECK(hi.base >= 0x100000000ull); /* RAM above 4 GiB is where "any" lands first */
	CHECK(swiotlb_force_bounce(e.tlb));
	expect_log(&e, "software IO TLB: Low Mem mapped [mem 0x00000000b8000000-0x00000000c0000000] (128MB)");
	expect_log(&e, "software IO TLB: High Mem mapped [mem 0x00000001c0000000-0x0000000240000000] (2048MB)");

	swiotlb_device_init(&d32, "d32", swiotlb_bit_mask(32));
	swiotlb_device_init(&d64, "nvme0", swiotlb_bit_mask(64));
	d64.min_align_mask = 0xfff;
	CHECK(swiotlb_map_ex(e.tlb, &d32, &a, &r) == 0);
	CHECK(r.bounced && r.pool == 0);
	CHECK(swiotlb_map_ex(e.tlb, &d64, &a, &r) == 0);
	CHECK(r.bounced && r.pool == 1 && r.dma >= hi.base && r.dma < hi.end);
	CHECK(swiotlb_map_ex(e.tlb, &d64, &a, &r) == 0 && r.pool == 1);

	char text[8192];
	swiotlb_stats_text(e.tlb, text, sizeof(text));
	CHECK(strstr(text, "io_tlb_nslabs 65536\n") != NULL);
	CHECK(strstr(text, "io_tlb_used 2\n") != NULL);
	CHECK(strstr(text, "io_tlb_nslabs-highmem 1048576\n") != NULL);
	CHECK(strstr(text, "io_tlb_used-highmem 4\n") != NULL);
	env_check(&e);
	env_fini(&e);
}

/* Low memory too small: the kernel halves until it fits; SWIOTLB_ANY avoids it. */
static void test_halving_and_any(void)
{
	struct env e;
	struct swiotlb_pool_info info;
	make(&e, NULL, 1, "swiotlb=2097152", SWIOTLB_DIALECT_MAINLINE);
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nslabs, 1048576);
	expect_log(&e, "software IO TLB: swiotlb_memblock_alloc: Failed to allocate 4294967296 bytes tlb structure");
	expect_log(&e, "software IO TLB: SWIOTLB bounce buffer size adjusted 2097152 -> 1048576 slabs");
	expect_log(&e, "(2048MB)");
	env_fini(&e);

	/* named dialect, placement any: 4 GiB lands above 4 GiB at once */
	make(&e, NULL, 1, "swiotlb=pool=big:slots=2097152,any", SWIOTLB_DIALECT_NAMED);
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nslabs, 2097152);
	CHECK(info.base >= 0x100000000ull);
	CHECK(info.placement == SWIOTLB_PLACE_ANY);
	CHECK(env_logged(&e, "adjusted") == 0);
	expect_log(&e, "software IO TLB: pool big mapped [mem 0x0000000140000000-0x0000000240000000] (4096MB)");
	env_fini(&e);

	/* only 300 MiB of low RAM: 512 MiB -> 256 MiB */
	struct swiotlb_posix_opts po;
	memset(&po, 0, sizeof(po));
	po.nram = 1;
	po.ram[0].start = 0x100000;
	po.ram[0].end = 300ull << 20;
	make(&e, &po, 1, "swiotlb=262144", SWIOTLB_DIALECT_MAINLINE);
	swiotlb_pool_info(e.tlb, 0, &info);
	CHECK_EQ_U64(info.nslabs, 131072);
	expect_log(&e, "adjusted 262144 -> 131072 slabs");
	env_fini(&e);

	/* no RAM for even 512 slots: no pool, the kernel boots on */
	po.ram[0].end = 0x100000 + (512 << 10);
	make(&e, &po, 1, "swiotlb=4096", SWIOTLB_DIALECT_MAINLINE);
	CHECK(swiotlb_pool_count(e.tlb) == 0);
	expect_log(&e, "No low mem");
	struct swiotlb_device d;
	uint64_t dma;
	swiotlb_device_init(&d, "d", swiotlb_bit_mask(32));
	CHECK(swiotlb_map(e.tlb, &d, 0x100000000ull, 64, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_EUNREACHABLE);
	d.flags = SWIOTLB_DEV_FORCE_BOUNCE;
	CHECK(swiotlb_map(e.tlb, &d, 0x1000, 64, SWIOTLB_TO_DEVICE, 0, &dma) == SWIOTLB_ENOPOOL);
	env_fini(&e);
}

static void test_noforce_and_quiet(void)
{
	struct env e;
	make(&e, NULL, 2, "swiotlb=noforce", SWIOTLB_DIALECT_MAINLINE);
	CHECK(swiotlb_pool_count(e.tlb) == 0);
	CHECK(e.nlog == 0);
	env_fini(&e);
	make(&e, NULL, 2, "swiotlb=quiet", SWIOTLB_DIALECT_NAMED);
	CHECK(swiotlb_pool_count(e.tlb) == 1);
	CHECK(env_logged(&e, "mapped") == 0);
	env_fini(&e);
}

/* ---------------------------------------------------------- fault injection */

struct faulty {
	struct swiotlb_platform inner;
	int fail_at; /* the Nth fallible call fails (1-based); 0: never */
	int calls;
	long meta_live, pool_live, shared_live;
	int share_fail, remap_fail;
	int unshare_failed;
};
static struct faulty F;

static bool fail_now(void)
{
	return F.fail_at && ++F.calls == F.fail_at;
}

static int f_pool_alloc(void *ctx, uint64_t b, uint64_t al, uint64_t mn, uint64_t mx, uint64_t *p, void **c)
{
	(void)ctx;
	if (fail_now())
		return -1;
	int rc = F.inner.pool_alloc(F.inner.ctx, b, al, mn, mx, p, c);
	F.pool_live += !rc;
	return rc;
}
static void f_pool_free(void *ctx, uint64_t p, void *c, uint64_t b)
{
	(void)ctx;
	F.pool_live--;
	F.inner.pool_free(F.inner.ctx, p, c, b);
}
static void *f_meta_alloc(void *ctx, size_t b)
{
	(void)ctx;
	if (fail_now())
		return NULL;
	void *p = F.inner.meta_alloc(F.inner.ctx, b);
	F.meta_live += p != NULL;
	return p;
}
static void f_meta_free(void *ctx, void *p, size_t b)
{
	(void)ctx;
	F.meta_live--;
	F.inner.meta_free(F.inner.ctx, p, b);
}
static int f_share(void *ctx, uint64_t p, void *c, uint64_t b)
{
	(void)ctx, (void)p, (void)c, (void)b;
	/* a conversion that fails may have converted part of the range: the
	 * library must convert it back before the memory is reused */
	F.shared_live++;
	if (F.share_fail || fail_now())
		return -1;
	return 0;
}
static int f_unshare(void *ctx, uint64_t p, void *c, uint64_t b)
{
	(void)ctx, (void)p, (void)c, (void)b;
	if (fail_now()) {
		F.unshare_failed++;
		return -1; /* still shared: the library must never free it */
	}
	F.shared_live--;
	return 0;
}
static int f_remap(void *ctx, uint64_t p, void *c, uint64_t n)
{
	(void)ctx, (void)p, (void)c;
	/* accept only pools of at most remap_fail slots (0: all) */
	return (F.remap_fail && n > (uint64_t)F.remap_fail) ? -1 : 0;
}

static void faulty_platform(struct env *e, struct swiotlb_platform *p)
{
	F.inner = e->plat;
	*p = e->plat;
	p->pool_alloc = f_pool_alloc;
	p->pool_free = f_pool_free;
	p->meta_alloc = f_meta_alloc;
	p->meta_free = f_meta_free;
	p->share = f_share;
	p->unshare = f_unshare;
	p->remap = f_remap;
}

static void test_fault_injection(void)
{
	struct env e;
	struct swiotlb_config cfg;
	struct swiotlb_platform plat;
	struct swiotlb_parse_opts opts = { .dialect = SWIOTLB_DIALECT_NAMED };
	swiotlb_config_init(&cfg);
	cfg.ncpus = 2;
	REQUIRE(swiotlb_parse_cmdline("swiotlb=pool=a:slots=1024,pool=b:slots=2048:placement=any,force", &opts, &cfg) == 0);
	REQUIRE(cfg.npools == 2);

	/* fail each fallible call in turn (teardown's unshares too): creation
	 * never crashes, never leaks, and what it builds is consistent; the one
	 * pool whose unshare fails is kept, still shared, never freed */
	int complete = 0;
	for (int n = 1; n < 40 && !complete; n++) {
		memset(&e, 0, sizeof(e));
		REQUIRE(swiotlb_posix_create(NULL, &e.px) == 0);
		swiotlb_posix_platform(e.px, &e.plat);
		memset(&F, 0, sizeof(F));
		faulty_platform(&e, &plat);
		F.fail_at = n;
		struct swiotlb *t = NULL;
		int rc = swiotlb_create(&cfg, &plat, &t);
		if (rc) {
			CHECK(rc == SWIOTLB_ENOMEM);
			CHECK(t == NULL);
		} else {
			char why[256];
			CHECK(swiotlb_check(t, why, sizeof(why)) == 0);
			CHECK(F.shared_live == swiotlb_pool_count(t));
			CHECK((uint64_t)swiotlb_pool_count(t) == swiotlb_conversions(t));
			complete = F.calls < n; /* nothing failed: every call was tried */
			if (complete)
				CHECK(swiotlb_pool_count(t) == 2);
			swiotlb_destroy(t);
		}
		CHECK(F.meta_live == 0);
		CHECK(F.pool_live == F.shared_live);
		CHECK(F.shared_live == (F.unshare_failed ? 1 : 0));
		swiotlb_posix_destroy(e.px);
	}
	CHECK(complete);

	/* a share failure drops the pool and returns its memory */
	memset(&e, 0, sizeof(e));
	REQUIRE(swiotlb_posix_create(NULL, &e.px) == 0);
	swiotlb_posix_set_log(e.px, env_log, &e);
	swiotlb_posix_platform(e.px, &e.plat);
	memset(&F, 0, sizeof(F));
	faulty_platform(&e, &plat);
	F.share_fail = 1;
	struct swiotlb *t = NULL;
	CHECK(swiotlb_create(&cfg, &plat, &t) == 0);
	CHECK(swiotlb_pool_count(t) == 0);
	CHECK(env_logged(&e, "Failed to share") == 2);
	swiotlb_destroy(t);
	CHECK(F.meta_live == 0 && F.pool_live == 0);

	/* a remap that only accepts 512 slots halves the pool down to it */
	e.nlog = 0;
	memset(&F, 0, sizeof(F));
	faulty_platform(&e, &plat);
	F.remap_fail = 512;
	swiotlb_config_init(&cfg);
	cfg.ncpus = 1;
	cfg.pools[0].nslabs = 2048;
	CHECK(swiotlb_create(&cfg, &plat, &t) == 0);
	struct swiotlb_pool_info info;
	CHECK(swiotlb_pool_info(t, 0, &info) == 0);
	CHECK_EQ_U64(info.nslabs, 512);
	CHECK(env_logged(&e, "swiotlb_memblock_alloc: Failed to remap 4194304 bytes") == 1);
	CHECK(env_logged(&e, "swiotlb_memblock_alloc: Failed to remap 2097152 bytes") == 1);
	CHECK(env_logged(&e, "adjusted 2048 -> 512 slabs") == 1);
	swiotlb_destroy(t);
	CHECK(F.meta_live == 0 && F.pool_live == 0);
	swiotlb_posix_destroy(e.px);
}

/*
 * Two swiotlb_pool_add calls of one name at once: both pass the early name
 * check (the platform's pool_alloc holds each until the other is there
 * too), so only the check at publication can refuse the second.
 */
static pthread_barrier_t add_meet;
static int (*real_pool_alloc)(void *, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t *, void **);

static int meeting_pool_alloc(void *ctx, uint64_t bytes, uint64_t align, uint64_t min, uint64_t max, uint64_t *phys,
			      void **cpu)
{
	pthread_barrier_wait(&add_meet);
	return real_pool_alloc(ctx, bytes, align, min, max, phys, cpu);
}

struct adder {
	struct swiotlb *tlb;
	int rc;
};

static void *add_twin(void *arg)
{
	struct adder *a = arg;
	struct swiotlb_pool_config pc;
	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "twin");
	pc.nslabs = 1024;
	a->rc = swiotlb_pool_add(a->tlb, &pc);
	return NULL;
}

static void test_concurrent_add_same_name(void)
{
	struct env e;
	struct swiotlb_config cfg;
	memset(&e, 0, sizeof(e));
	REQUIRE(swiotlb_posix_create(NULL, &e.px) == 0);
	swiotlb_posix_set_log(e.px, env_log, &e);
	swiotlb_posix_platform(e.px, &e.plat);
	real_pool_alloc = e.plat.pool_alloc;
	e.plat.pool_alloc = meeting_pool_alloc;
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	REQUIRE(swiotlb_create(&cfg, &e.plat, &e.tlb) == 0);
	REQUIRE(pthread_barrier_init(&add_meet, NULL, 2) == 0);
	struct adder a[2] = { { e.tlb, 0 }, { e.tlb, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&th[i], NULL, add_twin, &a[i]) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&add_meet);
	CHECK((a[0].rc == 0 && a[1].rc == SWIOTLB_EBADCONFIG) || (a[1].rc == 0 && a[0].rc == SWIOTLB_EBADCONFIG));
	CHECK(swiotlb_pool_count(e.tlb) == 1);
	expect_log(&e, "pool twin refused: the name is in use");
	env_check(&e);
	env_fini(&e);
}

int main(void)
{
	test_concurrent_add_same_name();
	test_roundup_with_cpus();
	test_two_pools_rfc2021();
	test_halving_and_any();
	test_noforce_and_quiet();
	test_fault_injection();
	return check_done("test_create");
}
