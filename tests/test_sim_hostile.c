/* SPDX-License-Identifier: MIT */
/*
 * The hostile device of the simulator (docs/machines.md, "Hostile
 * devices"): a run with one keeps every promise, and each counter of its
 * verdict catches the defect it stands for.  The defects are planted in the
 * platform's copy routine, the one path every byte the library moves takes:
 * a copy-back from the wrong slot (a leak), a copy-back past the mapping (a
 * stray write), and the CVE-2022-0854 defect (no copy into the bounce
 * buffer at map, so stale pool bytes reach a short read's original).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "swiotlb/sim.h"

#define GiB (1ull << 30)

enum defect { HONEST, WRONG_SLOT, PAST_END, NO_MAP_COPY };

static struct {
	enum defect defect;
	const uint8_t *lo, *hi; /* the pool, as the CPU sees it */
	void (*copy)(void *ctx, void *dst, const void *src, size_t n);
} planted;

static bool in_pool(const void *p)
{
	return (const uint8_t *)p >= planted.lo && (const uint8_t *)p < planted.hi;
}

static void planted_copy(void *ctx, void *dst, const void *src, size_t n)
{
	const uint8_t *s = src;
	bool back = in_pool(src) && !in_pool(dst), in = in_pool(dst) && !in_pool(src);
	switch (planted.defect) {
	case WRONG_SLOT:
		if (back && s + SWIOTLB_SLOT_SIZE + n <= planted.hi)
			s += SWIOTLB_SLOT_SIZE;
		break;
	case PAST_END:
		if (back && s + n + 100 <= planted.hi)
			n += 100;
		break;
	case NO_MAP_COPY:
		if (in)
			return;
		break;
	default:
		break;
	}
	if (planted.copy)
		planted.copy(ctx, dst, s, n);
	else
		memcpy(dst, s, n);
}

struct outcome {
	struct swiotlb_sim_run_result r;
	char err[300];
	int rc;
};

/* Two honest devices and a hostile one on an x86 guest that bounces
 * everything, one submitting thread: the same run every time. */
static void run2(enum defect defect, uint32_t hostile, uint32_t nic_hostile, struct outcome *o)
{
	struct swiotlb_sim_machine m;
	char err[300];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_X86);
	m.cpus = 2;
	REQUIRE(swiotlb_sim_preset(&m, 2 * GiB, 0, err, sizeof(err)) == 0);
	struct swiotlb_sim *sim;
	REQUIRE(swiotlb_sim_create(&m, &sim, err, sizeof(err)) == 0);
	struct swiotlb_platform plat;
	swiotlb_sim_platform(sim, &plat);
	planted.copy = plat.copy;
	planted.defect = HONEST;
	plat.copy = planted_copy;
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.ncpus = 2;
	cfg.force = true;
	cfg.pools[0].nslabs = 1024;
	struct swiotlb *tlb;
	REQUIRE(swiotlb_create(&cfg, &plat, &tlb) == 0);
	struct swiotlb_pool_info pi;
	REQUIRE(swiotlb_pool_info(tlb, 0, &pi) == 0);
	planted.lo = swiotlb_sim_ptr(sim, pi.base, (size_t)(pi.end - pi.base));
	REQUIRE(planted.lo != NULL);
	planted.hi = planted.lo + (pi.end - pi.base);
	planted.defect = defect;

	struct swiotlb_sim_device d[3];
	swiotlb_sim_device_init(&d[0], "disk", SWIOTLB_SIM_DEV_NVME, 2);
	swiotlb_sim_device_init(&d[1], "nic", SWIOTLB_SIM_DEV_NIC, 2);
	swiotlb_sim_device_init(&d[2], "evil", SWIOTLB_SIM_DEV_GENERIC, 2);
	d[1].hostile = nic_hostile;
	d[2].hostile = hostile;
	for (int i = 0; i < 3; i++)
		d[i].depth = 16;
	struct swiotlb_sim_job j;
	swiotlb_sim_job_init(&j, "j");
	j.bs_min = 512;
	j.bs_max = 16384;
	j.align = 512;
	j.iodepth = 16;
	j.ios = 900;
	memset(o, 0, sizeof(*o));
	o->rc = swiotlb_sim_run(sim, tlb, d, 3, &j, 1, NULL, &o->r, o->err, sizeof(o->err));
	swiotlb_sim_run_free(&o->r);
	planted.defect = HONEST;
	swiotlb_destroy(tlb);
	swiotlb_sim_destroy(sim);
}

static void run(enum defect defect, uint32_t hostile, struct outcome *o)
{
	run2(defect, hostile, 0, o);
}

static void show(const char *what, const struct swiotlb_sim_verify_result *v)
{
	fprintf(stderr,
		"  %s: verified %llu, mismatch %llu, leak %llu, stray %llu, checks %llu (%llu failed), peek private %llu: %s\n",
		what, (unsigned long long)v->verified_bytes, (unsigned long long)v->mismatch_bytes,
		(unsigned long long)v->leak_bytes, (unsigned long long)v->stray_bytes,
		(unsigned long long)v->checks, (unsigned long long)v->check_failures,
		(unsigned long long)v->peek_private_bytes, v->first_problem[0] ? v->first_problem : "-");
}

static void test_promises_kept(void)
{
	struct outcome *o = calloc(1, sizeof(*o));
	run(HONEST, SWIOTLB_SIM_HOSTILE_ALL, o);
	REQUIRE(o->rc == 0);
	const struct swiotlb_sim_verify_result *v = &o->r.verify;
	show("honest library", v);
	CHECK(v->active);
	CHECK(swiotlb_sim_verify_ok(v));
	CHECK_EQ_U64(v->mismatch_bytes, 0);
	CHECK_EQ_U64(v->leak_bytes, 0);
	CHECK_EQ_U64(v->stray_bytes, 0);
	CHECK_EQ_U64(v->check_failures, 0);
	CHECK_EQ_U64(v->peek_private_bytes, 0);
	CHECK(v->first_problem[0] == 0);
	/* the honest I/O really was verified, and every attack really ran */
	CHECK(v->verified_bytes > 0 && v->guard_bytes > 0);
	CHECK_EQ_U64(o->r.dev[0].ios + o->r.dev[1].ios + o->r.dev[2].ios, 900);
	CHECK_EQ_U64(v->verified_bytes, o->r.dev[0].verified_bytes + o->r.dev[1].verified_bytes);
	CHECK_EQ_U64(o->r.dev[2].verified_bytes, 0); /* a hostile device's data proves nothing */
	for (int k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++) {
		CHECK(v->kind[k].actions > 0);
		CHECK_EQ_U64(v->kind[k].unexpected, 0);
		CHECK_EQ_U64(v->kind[k].probes, v->kind[k].refused + v->kind[k].accepted + v->kind[k].unexpected);
	}
	const struct swiotlb_sim_hostile_result *h = v->kind;
	CHECK(h[SWIOTLB_SIM_HOSTILE_SCRIBBLE].bytes > 0);
	/* one check after each scribble, one at the end */
	CHECK_EQ_U64(v->checks, h[SWIOTLB_SIM_HOSTILE_SCRIBBLE].actions + 1);
	/* three calls per double completion, each refused */
	CHECK_EQ_U64(h[SWIOTLB_SIM_HOSTILE_DOUBLE].probes, 3 * h[SWIOTLB_SIM_HOSTILE_DOUBLE].actions);
	CHECK_EQ_U64(h[SWIOTLB_SIM_HOSTILE_DOUBLE].refused, h[SWIOTLB_SIM_HOSTILE_DOUBLE].probes);
	/* a lie costs a sync and an unmap; only a shorter sync is accepted */
	CHECK_EQ_U64(h[SWIOTLB_SIM_HOSTILE_LIE].probes, 2 * h[SWIOTLB_SIM_HOSTILE_LIE].actions);
	CHECK(h[SWIOTLB_SIM_HOSTILE_LIE].refused > h[SWIOTLB_SIM_HOSTILE_LIE].actions);
	CHECK(h[SWIOTLB_SIM_HOSTILE_LIE].accepted > 0 && h[SWIOTLB_SIM_HOSTILE_LIE].bytes > 0);
	/* the pools are shared: the peeks see other devices' data */
	CHECK(h[SWIOTLB_SIM_HOSTILE_PEEK].bytes > 0 && v->peek_foreign_bytes > 0);
	for (int d = 0; d < 3; d++) {
		CHECK_EQ_U64(o->r.dev[d].verify_errors, 0);
		CHECK_EQ_U64(o->r.dev[d].errors, 0);
		CHECK_EQ_U64(o->r.dev[d].faults, 0);
	}
	free(o);
}

/* Without a hostile device the run is the ordinary one: no verdict. */
static void test_no_hostile(void)
{
	struct outcome *o = calloc(1, sizeof(*o));
	run(HONEST, 0, o);
	REQUIRE(o->rc == 0);
	CHECK(!o->r.verify.active);
	CHECK(swiotlb_sim_verify_ok(&o->r.verify));
	CHECK_EQ_U64(o->r.dev[0].verified_bytes, 0);
	free(o);
}

/* Two hostile devices: each writes over the other's bounce buffers, which
 * is their own business, never the library's leak. */
static void test_two_hostile(void)
{
	struct outcome *o = calloc(1, sizeof(*o));
	run2(HONEST, SWIOTLB_SIM_HOSTILE_ALL, SWIOTLB_SIM_HOSTILE_ALL, o);
	REQUIRE(o->rc == 0);
	show("two hostile devices", &o->r.verify);
	CHECK(swiotlb_sim_verify_ok(&o->r.verify));
	CHECK(o->r.verify.verified_bytes > 0 && o->r.verify.verified_bytes == o->r.dev[0].verified_bytes);
	CHECK(o->r.verify.kind[SWIOTLB_SIM_HOSTILE_SCRIBBLE].actions > 0);
	free(o);
}

/* Every planted defect is caught, by the counter meant for it. */
static void test_defects_caught(void)
{
	struct outcome *o = calloc(1, sizeof(*o));

	run(WRONG_SLOT, SWIOTLB_SIM_HOSTILE_ALL, o);
	REQUIRE(o->rc == 0);
	show("copy-back from the next slot", &o->r.verify);
	CHECK(!swiotlb_sim_verify_ok(&o->r.verify));
	CHECK(o->r.verify.mismatch_bytes > 0);
	CHECK(o->r.verify.leak_bytes > 0); /* other devices' bytes, attributed as such */
	CHECK(o->r.dev[0].verify_errors + o->r.dev[1].verify_errors > 0);

	run(PAST_END, SWIOTLB_SIM_HOSTILE_ALL, o);
	REQUIRE(o->rc == 0);
	show("copy-back 100 bytes too long", &o->r.verify);
	CHECK(!swiotlb_sim_verify_ok(&o->r.verify));
	CHECK(o->r.verify.stray_bytes > 0);
	CHECK(o->r.dev[0].stray_bytes > 0 && o->r.dev[2].stray_bytes > 0);
	CHECK(strstr(o->r.verify.first_problem, "private bytes around an original changed") != NULL);

	run(NO_MAP_COPY, SWIOTLB_SIM_HOSTILE_ALL, o);
	REQUIRE(o->rc == 0);
	show("no copy at map (CVE-2022-0854)", &o->r.verify);
	CHECK(!swiotlb_sim_verify_ok(&o->r.verify));
	/* the hostile device's short reads carry stale pool bytes of the others home */
	CHECK(o->r.dev[2].leak_bytes > 0);

	/* the same defect with a device that only lies: the leak is still seen */
	run(NO_MAP_COPY, 1u << SWIOTLB_SIM_HOSTILE_LIE, o);
	REQUIRE(o->rc == 0);
	show("no copy at map, a lying device", &o->r.verify);
	CHECK(o->r.dev[2].leak_bytes > 0);
	free(o);
}

static void test_parse(void)
{
	uint32_t h = 0;
	CHECK(swiotlb_sim_parse_hostile("all", &h) && h == SWIOTLB_SIM_HOSTILE_ALL);
	CHECK(swiotlb_sim_parse_hostile("none", &h) && h == 0);
	CHECK(swiotlb_sim_parse_hostile("peek+lie", &h) &&
	      h == ((1u << SWIOTLB_SIM_HOSTILE_PEEK) | (1u << SWIOTLB_SIM_HOSTILE_LIE)));
	CHECK(swiotlb_sim_parse_hostile("scribble:rewrite:double:lie:peek", &h) && h == SWIOTLB_SIM_HOSTILE_ALL);
	h = 7;
	CHECK(!swiotlb_sim_parse_hostile("scribble:bogus", &h) && h == 7);
	CHECK(!swiotlb_sim_parse_hostile("", &h));
	CHECK(!swiotlb_sim_parse_hostile("peek:", &h));
	for (unsigned k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++)
		CHECK(swiotlb_sim_hostile_name(k) != NULL);
	CHECK(swiotlb_sim_hostile_name(SWIOTLB_SIM_HOSTILE_KINDS) == NULL);

	struct swiotlb_sim_spec *s = calloc(1, sizeof(*s));
	char err[400];
	swiotlb_sim_spec_init(s);
	CHECK(swiotlb_sim_spec_line(s, "device evil hostile=scribble+peek queues=2", "t.sim:1", 1, err, sizeof(err)) == 0);
	CHECK(s->ndevices == 1 &&
	      s->devices[0].hostile == ((1u << SWIOTLB_SIM_HOSTILE_SCRIBBLE) | (1u << SWIOTLB_SIM_HOSTILE_PEEK)));
	CHECK(swiotlb_sim_spec_line(s, "device bad hostile=steal", "t.sim:2", 2, err, sizeof(err)) != 0);
	CHECK(strstr(err, "t.sim:2") && strstr(err, "hostile: 'steal' is not a behaviour"));
	CHECK(s->ndevices == 1);
	free(s);
}

/* Each byte names its owner in 4 bits: at most 15 devices beside a hostile one. */
static void test_device_limit(void)
{
	struct swiotlb_sim_machine m;
	char err[300];
	swiotlb_sim_machine_init(&m, SWIOTLB_SIM_X86);
	REQUIRE(swiotlb_sim_preset(&m, 2 * GiB, 0, err, sizeof(err)) == 0);
	struct swiotlb_sim *sim;
	REQUIRE(swiotlb_sim_create(&m, &sim, err, sizeof(err)) == 0);
	struct swiotlb_sim_boot_opts bo = { .cmdline = "swiotlb=1024,force" };
	struct swiotlb *tlb;
	REQUIRE(swiotlb_sim_boot(sim, &bo, &tlb, err, sizeof(err)) == 0);
	struct swiotlb_sim_device d[SWIOTLB_SIM_MAX_DEVICES];
	for (int i = 0; i < SWIOTLB_SIM_MAX_DEVICES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "d%d", i);
		swiotlb_sim_device_init(&d[i], name, SWIOTLB_SIM_DEV_GENERIC, 1);
		d[i].depth = 2;
	}
	d[3].hostile = SWIOTLB_SIM_HOSTILE_ALL;
	struct swiotlb_sim_job j;
	swiotlb_sim_job_init(&j, "j");
	j.ios = 32;
	j.bs_min = j.bs_max = 4096;
	struct swiotlb_sim_run_result *r = calloc(1, sizeof(*r));
	CHECK(swiotlb_sim_run(sim, tlb, d, SWIOTLB_SIM_MAX_DEVICES, &j, 1, NULL, r, err, sizeof(err)) == SWIOTLB_EINVAL);
	CHECK(strstr(err, "at most 15 devices") != NULL);
	CHECK(swiotlb_sim_run(sim, tlb, d, SWIOTLB_SIM_MAX_VERIFIED_DEVICES, &j, 1, NULL, r, err, sizeof(err)) == 0);
	CHECK(r->verify.active && swiotlb_sim_verify_ok(&r->verify));
	swiotlb_sim_run_free(r);
	free(r);
	swiotlb_destroy(tlb);
	swiotlb_sim_destroy(sim);
}

int main(void)
{
	test_parse();
	test_promises_kept();
	test_no_hostile();
	test_two_hostile();
	test_defects_caught();
	test_device_limit();
	return check_done("test_sim_hostile");
}
