/* SPDX-License-Identifier: MIT */
/*
 * The built-in back end: every workload mode verified over one and two
 * queues, GET_ID, the device never handed an address outside the shared
 * regions, the progress callback, and its two fault modes: dropping the
 * connection after N requests, and dying (SIGKILL) as a separate process.
 */
#include <sys/wait.h>

#include "blk_util.h"

#define MEM_BYTES (32ull << 20)

static unsigned progress_calls;

static void on_progress(void *arg, const char *phase, uint64_t done, uint64_t total, uint64_t bytes, uint64_t ns)
{
	(void)arg;
	(void)phase;
	(void)bytes;
	(void)ns;
	CHECK(done <= total);
	progress_calls++;
}

static int load(struct swiotlb_vblk *vb, int rw, uint32_t bs, uint64_t region, uint64_t nios,
		struct swiotlb_vblk_result *res)
{
	struct swiotlb_vblk_load_opts lo;
	swiotlb_vblk_load_opts_init(&lo);
	lo.rw = rw;
	lo.bs = bs;
	lo.iodepth = 8;
	lo.region = region;
	lo.nios = nios;
	lo.verify = true;
	lo.progress = on_progress;
	lo.progress_ms = 1;
	int rc = swiotlb_vblk_load_run(vb, &lo, res);
	blk_print_result(swiotlb_vblk_rw_name(rw), res);
	return rc;
}

static void modes(struct blk_env *e, unsigned queues)
{
	struct swiotlb_vblk_opts o;
	swiotlb_vblk_opts_init(&o);
	o.num_queues = queues;
	o.pool_bytes = 4ull << 20;
	struct swiotlb_vblk *vb = blk_open(e, &o);
	struct swiotlb_vblk_info in;
	swiotlb_vblk_info(vb, &in);
	CHECK_EQ_U64(in.num_queues, queues);
	CHECK_EQ_U64(in.capacity, MEM_BYTES);
	struct swiotlb_vblk_result res;
	for (int rw = SWIOTLB_VBLK_READ; rw <= SWIOTLB_VBLK_RANDRW; rw++) {
		CHECK_EQ_U64(load(vb, rw, rw == SWIOTLB_VBLK_READ ? 131072 : 4096, 4ull << 20, 0, &res), 0);
		CHECK_EQ_U64(res.mismatches, 0);
		CHECK(res.verified > 0);
		CHECK_EQ_U64(res.lost + res.io_errors, 0);
	}
	/* 1 MiB requests: four 256 KiB bounce segments each */
	CHECK_EQ_U64(load(vb, SWIOTLB_VBLK_WRITE, 1u << 20, 8ull << 20, 0, &res), 0);
	CHECK_EQ_U64(res.verified, 8);

	uint64_t phys;
	void *cpu;
	REQUIRE(swiotlb_vblk_alloc(vb, 512, 512, &phys, &cpu) == 0);
	struct swiotlb_vblk_req id = {.type = SWIOTLB_VBLK_T_GET_ID, .data = phys, .len = SWIOTLB_VBLK_ID_BYTES};
	REQUIRE(swiotlb_vblk_submit(vb, queues - 1, &id, true, NULL) == 0);
	struct swiotlb_vblk_req *d;
	REQUIRE(swiotlb_vblk_complete(vb, queues - 1, &d, 1, -1) == 1);
	CHECK(d == &id);
	CHECK_EQ_U64(id.status, SWIOTLB_VBLK_S_OK);
	CHECK_STR((const char *)cpu, "swiotlb-builtin");
	swiotlb_vblk_release(vb, phys);
	swiotlb_vblk_close(vb);
}

static void fail_after(void)
{
	struct blk_env e;
	blk_env_init(&e);
	blk_start_builtin(&e, MEM_BYTES, 1000);
	struct swiotlb_vblk *vb = blk_open(&e, NULL);
	struct swiotlb_vblk_result res;
	int rc = load(vb, SWIOTLB_VBLK_RANDWRITE, 4096, MEM_BYTES, 0, &res);
	CHECK(rc == -ECONNRESET || rc == -EPIPE);
	CHECK(res.writes_done <= 1000);
	CHECK(res.writes_done >= 1000 - 8);
	CHECK(res.lost >= 1 && res.lost <= 8);
	CHECK(strstr(res.errmsg, "closed the connection") != NULL);
	swiotlb_vblk_close(vb);
	blk_env_fini(&e);
}

/* The back end as its own process, killed in the middle of the run. */
static void killed_process(void)
{
	struct blk_env e;
	blk_env_init(&e);
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		struct swiotlb_vblk_backend_opts bo;
		swiotlb_vblk_backend_opts_init(&bo);
		bo.socket = e.sock;
		bo.mem_bytes = MEM_BYTES;
		_exit(swiotlb_vblk_backend_serve(&bo) ? 1 : 0);
	}
	struct swiotlb_vblk *vb = blk_open(&e, NULL); /* connect retries until it listens */
	struct swiotlb_vblk_result res;
	/* a first run completes; then the process is killed during a second */
	CHECK_EQ_U64(load(vb, SWIOTLB_VBLK_RANDWRITE, 4096, 4ull << 20, 0, &res), 0);
	uint64_t t0 = blk_now_ms();
	pid_t killer = fork();
	REQUIRE(killer >= 0);
	if (killer == 0) {
		usleep(200000);
		kill(child, SIGKILL);
		_exit(0);
	}
	int rc = load(vb, SWIOTLB_VBLK_RANDWRITE, 4096, MEM_BYTES, 100000000, &res);
	CHECK(rc == -ECONNRESET || rc == -EPIPE);
	CHECK(blk_now_ms() - t0 < 10000);
	CHECK(res.lost <= 8);
	swiotlb_vblk_close(vb);
	int st;
	waitpid(killer, &st, 0);
	waitpid(child, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	blk_env_fini(&e);
}

int main(void)
{
	killed_process(); /* first: fork before any thread exists */

	struct blk_env e;
	blk_env_init(&e);
	blk_start_builtin(&e, MEM_BYTES, 0);
	modes(&e, 1);
	modes(&e, 2);
	struct swiotlb_vblk_backend_stats st;
	swiotlb_vblk_backend_stats(e.be, &st);
	printf("builtin: %llu connections, %llu requests, %llu bytes read, %llu written, %llu bad addresses\n",
	       (unsigned long long)st.connections, (unsigned long long)st.requests,
	       (unsigned long long)st.bytes_read, (unsigned long long)st.bytes_written,
	       (unsigned long long)st.bad_addresses);
	CHECK_EQ_U64(st.connections, 2);
	CHECK_EQ_U64(st.bad_addresses, 0);
	CHECK(st.bytes_written > 0 && st.bytes_read > 0);
	CHECK(progress_calls > 0);
	blk_env_fini(&e);

	fail_after();
	return check_done("test_blk_builtin");
}
