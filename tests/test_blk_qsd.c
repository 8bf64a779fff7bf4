/* SPDX-License-Identifier: MIT */
/*
 * End to end against the real device: qemu-storage-daemon exports a raw
 * image as vhost-user-blk; the front end shares only the bounce pool and
 * the rings; verified random and sequential loads complete with no
 * mismatch and every byte bounced; the share-all baseline moves the same
 * data without bouncing; the image holds what was written.
 */
#include "blk_util.h"

#define IMAGE_BYTES (64ull << 20)

static void check_info(struct swiotlb_vblk *vb, bool share_all)
{
	struct swiotlb_vblk_info in;
	REQUIRE(swiotlb_vblk_info(vb, &in) == 0);
	CHECK_EQ_U64(in.capacity, IMAGE_BYTES);
	CHECK(in.features & (1ull << 32)); /* VIRTIO_F_VERSION_1 */
	CHECK_EQ_U64(in.nregions, 2);      /* pool + rings, or arena + rings */
	CHECK(in.share_all == share_all);
	if (share_all) {
		CHECK_EQ_U64(in.private_bytes, 0);
	} else {
		CHECK(in.private_bytes > 0);
		/* what the device sees: the pool (64 MiB) and the rings, nothing else */
		CHECK(in.shared_bytes >= (64ull << 20) && in.shared_bytes < (64ull << 20) + (1u << 20));
	}
}

static void run(struct swiotlb_vblk *vb, int rw, uint32_t bs, uint32_t depth, uint64_t region,
		struct swiotlb_vblk_result *res)
{
	struct swiotlb_vblk_load_opts lo;
	swiotlb_vblk_load_opts_init(&lo);
	lo.rw = rw;
	lo.bs = bs;
	lo.iodepth = depth;
	lo.region = region;
	lo.verify = true;
	lo.seed = 42 + (uint64_t)rw;
	int rc = swiotlb_vblk_load_run(vb, &lo, res);
	blk_print_result(swiotlb_vblk_rw_name(rw), res);
	CHECK_EQ_U64(rc, 0);
	CHECK_EQ_U64(res->mismatches, 0);
	CHECK_EQ_U64(res->lost, 0);
	CHECK_EQ_U64(res->io_errors, 0);
	if (rw == SWIOTLB_VBLK_RANDRW) {
		/* the mixed phase, then a verify pass over every block written */
		CHECK_EQ_U64(res->phase[0].ios, region / bs);
		CHECK(res->phase[1].ios > 0 && res->phase[1].ios <= res->phase[0].writes);
		CHECK(res->verified >= res->phase[1].ios);
	} else {
		CHECK_EQ_U64(res->writes_done, region / bs);
		CHECK_EQ_U64(res->verified, region / bs);
	}
}

/* GET_ID and FLUSH through the raw request API. */
static void misc_requests(struct swiotlb_vblk *vb)
{
	uint64_t phys;
	void *cpu;
	REQUIRE(swiotlb_vblk_alloc(vb, 512, 512, &phys, &cpu) == 0);
	struct swiotlb_vblk_req id = {.type = SWIOTLB_VBLK_T_GET_ID, .data = phys, .len = SWIOTLB_VBLK_ID_BYTES};
	struct swiotlb_vblk_req fl = {.type = SWIOTLB_VBLK_T_FLUSH};
	CHECK_EQ_U64(swiotlb_vblk_submit(vb, 0, &id, false, NULL), 0);
	CHECK_EQ_U64(swiotlb_vblk_submit(vb, 0, &fl, true, NULL), 0);
	struct swiotlb_vblk_req *done[4];
	int got = 0;
	while (got < 2) {
		int n = swiotlb_vblk_complete(vb, 0, done + got, 4 - got, -1);
		REQUIRE(n > 0);
		got += n;
	}
	CHECK_EQ_U64(id.status, SWIOTLB_VBLK_S_OK);
	CHECK_EQ_U64(fl.status, SWIOTLB_VBLK_S_OK);
	CHECK_EQ_U64(swiotlb_vblk_inflight(vb, 0), 0);
	/* a request beyond the end of the disk is refused before it is queued */
	struct swiotlb_vblk_req past = {.type = SWIOTLB_VBLK_T_IN, .sector = IMAGE_BYTES / 512, .data = phys, .len = 512};
	CHECK(swiotlb_vblk_submit(vb, 0, &past, true, NULL) == -EINVAL);
	swiotlb_vblk_release(vb, phys);
}

int main(void)
{
	blk_need_qsd();
	struct blk_env e;
	blk_env_init(&e);
	blk_make_image(&e, IMAGE_BYTES);
	blk_start_qsd(&e, 2);
	uint64_t t0 = blk_now_ms();

	/* bounced: every byte through the pool */
	struct swiotlb_vblk_opts o;
	swiotlb_vblk_opts_init(&o);
	o.num_queues = 2;
	struct swiotlb_vblk *vb = blk_open(&e, &o);
	check_info(vb, false);
	misc_requests(vb);
	struct swiotlb_vblk_result res;
	run(vb, SWIOTLB_VBLK_RANDWRITE, 4096, 16, 16ull << 20, &res);
	CHECK_EQ_U64(res.nphases, 2);
	/* 4096 writes bounced to the device, 4096 reads bounced back */
	CHECK(res.phase[0].tlb.bytes_to_device >= 16ull << 20);
	CHECK(res.phase[1].tlb.bytes_from_device >= 16ull << 20);
	CHECK(res.phase[0].tlb.maps >= 3 * 4096); /* header, data, status */
	CHECK_EQ_U64(res.phase[1].tlb.used, 0);  /* every slot came back */
	CHECK(res.phase[1].tlb.used_hiwater > 0);
	run(vb, SWIOTLB_VBLK_WRITE, 65536, 8, 32ull << 20, &res);
	run(vb, SWIOTLB_VBLK_RANDRW, 8192, 8, 8ull << 20, &res);
	CHECK(swiotlb_conversions(swiotlb_vblk_tlb(vb)) >= 1);
	char why[200];
	CHECK_EQ_U64(swiotlb_check(swiotlb_vblk_tlb(vb), why, sizeof(why)), 0);
	swiotlb_vblk_close(vb);

	/* the baseline: the arena shared, nothing bounced; a new connection to the same daemon */
	o.share_all = true;
	vb = blk_open(&e, &o);
	check_info(vb, true);
	run(vb, SWIOTLB_VBLK_RANDWRITE, 4096, 16, 8ull << 20, &res);
	CHECK_EQ_U64(res.phase[0].tlb.bytes_to_device, 0);
	CHECK_EQ_U64(res.phase[1].tlb.bytes_from_device, 0);
	swiotlb_vblk_close(vb);

	/* the data is in the image: block 0 of the last randwrite pattern */
	int fd = open(e.image, O_RDONLY);
	REQUIRE(fd >= 0);
	uint64_t w[4];
	CHECK(pread(fd, w, sizeof(w), 0) == (ssize_t)sizeof(w));
	CHECK_EQ_U64(w[1], 0); /* block number */
	CHECK_EQ_U64(w[2], 1); /* generation */
	close(fd);

	blk_env_fini(&e);
	printf("elapsed %llu ms\n", (unsigned long long)(blk_now_ms() - t0));
	return check_done("test_blk_qsd");
}
