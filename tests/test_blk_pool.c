/* SPDX-License-Identifier: MIT */
/*
 * Pool exhaustion: with a bounce pool that holds only a few requests at a
 * time, a verified load waits for completions to free slots and finishes
 * with every byte right; with fail_fast the first refused map ends the run
 * with SWIOTLB_EFULL named; a pool that cannot hold even one request fails
 * at once instead of waiting forever.  Runs against qemu-storage-daemon,
 * or the built-in back end when the daemon is not installed.
 */
#include "blk_util.h"

#define IMAGE_BYTES (32ull << 20)

static struct swiotlb_vblk *open_small_pool(struct blk_env *e, uint64_t slots)
{
	struct swiotlb_vblk_opts o;
	swiotlb_vblk_opts_init(&o);
	o.pool_bytes = slots * SWIOTLB_SLOT_SIZE;
	o.pool_exact = true;
	struct swiotlb_vblk *vb = blk_open(e, &o);
	struct swiotlb_stats st;
	swiotlb_get_stats(swiotlb_vblk_tlb(vb), -1, &st);
	CHECK_EQ_U64(st.nslabs, slots);
	return vb;
}

static int load(struct swiotlb_vblk *vb, bool fail_fast, struct swiotlb_vblk_result *res)
{
	struct swiotlb_vblk_load_opts lo;
	swiotlb_vblk_load_opts_init(&lo);
	lo.rw = SWIOTLB_VBLK_RANDWRITE;
	lo.bs = 65536; /* 32 slots of data + header + status = 34 slots a request */
	lo.iodepth = 8;
	lo.region = 8ull << 20;
	lo.verify = true;
	lo.fail_fast = fail_fast;
	return swiotlb_vblk_load_run(vb, &lo, res);
}

int main(void)
{
	struct blk_env e;
	blk_env_init(&e);
	bool qsd = swiotlb_vblk_qsd_path() != NULL;
	if (qsd) {
		blk_make_image(&e, IMAGE_BYTES);
		blk_start_qsd(&e, 1);
	} else {
		blk_start_builtin(&e, IMAGE_BYTES, 0);
	}
	printf("device: %s\n", qsd ? "qemu-storage-daemon" : "built-in back end");

	/* 128 slots: three 34-slot requests fit, the other five wait.  A
	 * request maps its header, data and status one after another and
	 * undoes them when one is refused, and one thread submits: so the most
	 * ever mapped is three requests and the header of a fourth whose data
	 * found no room -- a fourth whole request would mean the pool was not
	 * the limit the test is about */
	struct swiotlb_vblk *vb = open_small_pool(&e, 128);
	struct swiotlb_vblk_result res;
	int rc = load(vb, false, &res);
	blk_print_result("wait", &res);
	CHECK_EQ_U64(rc, 0);
	CHECK_EQ_U64(res.mismatches, 0);
	CHECK_EQ_U64(res.writes_done, 128);
	CHECK_EQ_U64(res.verified, 128);
	CHECK(res.phase[0].pool_waits > 0);
	CHECK(res.phase[1].pool_waits > 0);
	CHECK(res.phase[0].tlb.used_hiwater <= 3 * 34 + 1);
	CHECK(res.phase[0].tlb.used_hiwater >= 3 * 34);
	CHECK(res.phase[0].tlb.fail_full > 0); /* the library refused, the front end waited */
	swiotlb_vblk_close(vb);

	/* the same with fail_fast: the run stops at the first refusal */
	vb = open_small_pool(&e, 128);
	rc = load(vb, true, &res);
	blk_print_result("fail-fast", &res);
	CHECK(rc == -ENOBUFS);
	CHECK(res.pool_full >= 1);
	CHECK(strstr(res.errmsg, "pool is full (full)") != NULL);
	CHECK(strstr(res.errmsg, "--fail-fast") != NULL);
	CHECK(res.writes_done < 128);
	CHECK_EQ_U64(res.lost, 0);       /* what was in flight completed */
	CHECK_EQ_U64(res.nphases, 1);
	struct swiotlb_stats st;
	swiotlb_get_stats(swiotlb_vblk_tlb(vb), -1, &st);
	CHECK_EQ_U64(st.used, 0);
	swiotlb_vblk_close(vb);

	/* 32 slots cannot hold one 34-slot request: an error, not a wait (a
	 * wait would be counted; one that never ended would hang the test
	 * until CTest's timeout -- no wall-clock bound, which a loaded machine
	 * can pass) */
	vb = open_small_pool(&e, 32);
	rc = load(vb, false, &res);
	blk_print_result("too small", &res);
	CHECK(rc == -ENOBUFS);
	CHECK(strstr(res.errmsg, "cannot hold one request") != NULL);
	CHECK_EQ_U64(res.phase[0].pool_waits, 0);
	CHECK_EQ_U64(res.writes_done, 0);
	swiotlb_vblk_close(vb);

	blk_env_fini(&e);
	return check_done("test_blk_pool");
}
