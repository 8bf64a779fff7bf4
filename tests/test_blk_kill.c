/* SPDX-License-Identifier: MIT */
/*
 * The error paths against qemu-storage-daemon: the daemon killed in the
 * middle of a run, and a daemon that stops answering.  The run must end
 * promptly with a clear error, hand back every request still in flight as
 * failed, and never report as written a write that did not complete: each
 * write reported done is on the image afterwards.
 */
#include <pthread.h>
#include <sys/wait.h>

#include "blk_util.h"

#define IMAGE_BYTES (64ull << 20)
#define BS 4096u
#define DEPTH 16u
#define KILL_AFTER 3000u

static void fill(uint8_t *buf, uint64_t block)
{
	uint64_t *w = (uint64_t *)buf;
	for (unsigned i = 0; i < BS / 8; i++)
		w[i] = 0x4b494c4c00000000ull ^ (block << 12) ^ i;
}

/* Part 1: the raw API, with the test keeping its own ledger of completions. */
static void kill_with_ledger(struct blk_env *e)
{
	struct swiotlb_vblk *vb = blk_open(e, NULL);
	uint64_t nblocks = IMAGE_BYTES / BS;
	uint8_t *done_ok = calloc(nblocks, 1);
	struct swiotlb_vblk_req reqs[DEPTH];
	uint8_t *bufs[DEPTH];
	unsigned free_list[DEPTH], nfree = 0;
	for (unsigned i = 0; i < DEPTH; i++) {
		void *cpu;
		REQUIRE(swiotlb_vblk_alloc(vb, BS, 4096, &reqs[i].data, &cpu) == 0);
		bufs[i] = cpu;
		free_list[nfree++] = i;
	}
	uint64_t next = 0, completed = 0, failed = 0;
	int final = 0;
	bool killed = false;
	uint64_t t_kill = 0;
	for (;;) {
		while (nfree && next < nblocks && !final) {
			unsigned i = free_list[--nfree];
			struct swiotlb_vblk_req *r = &reqs[i];
			uint64_t data = r->data;
			memset(r, 0, sizeof(*r));
			r->type = SWIOTLB_VBLK_T_OUT;
			r->sector = next * (BS / 512);
			r->data = data;
			r->len = BS;
			r->cookie = (void *)(uintptr_t)i;
			fill(bufs[i], next);
			int rc = swiotlb_vblk_submit(vb, 0, r, true, NULL);
			if (rc) {
				free_list[nfree++] = i;
				final = rc;
				break;
			}
			next++;
		}
		struct swiotlb_vblk_req *done[DEPTH];
		int n = swiotlb_vblk_complete(vb, 0, done, DEPTH, -1);
		if (n < 0) {
			final = n;
			break;
		}
		if (n == 0 && (final || next >= nblocks))
			break;
		for (int k = 0; k < n; k++) {
			struct swiotlb_vblk_req *r = done[k];
			free_list[nfree++] = (unsigned)(uintptr_t)r->cookie;
			if (!r->error && r->status == SWIOTLB_VBLK_S_OK) {
				done_ok[r->sector / (BS / 512)] = 1;
				completed++;
			} else {
				CHECK(killed); /* failures only after the kill */
				CHECK(r->error != 0);
				CHECK_EQ_U64(r->status, 0xff);
				failed++;
			}
		}
		if (!killed && completed >= KILL_AFTER) {
			REQUIRE(kill(e->qsd, SIGKILL) == 0);
			killed = true;
			t_kill = blk_now_ms();
		}
	}
	uint64_t t_end = blk_now_ms();
	printf("ledger: %llu writes completed, %llu failed, ended with %d (%s) %llu ms after the kill\n",
	       (unsigned long long)completed, (unsigned long long)failed, final, swiotlb_vblk_errmsg(vb),
	       (unsigned long long)(t_end - t_kill));
	CHECK(killed);
	CHECK(final == -ECONNRESET || final == -EPIPE);
	CHECK(strstr(swiotlb_vblk_errmsg(vb), "closed the connection") != NULL);
	CHECK(t_end - t_kill < 5000);
	CHECK(failed <= DEPTH);
	CHECK(completed < nblocks);
	CHECK_EQ_U64(swiotlb_vblk_inflight(vb, 0), 0);
	/* the dead connection keeps failing, it does not hang */
	struct swiotlb_vblk_req again = reqs[0];
	again.type = SWIOTLB_VBLK_T_IN;
	CHECK(swiotlb_vblk_submit(vb, 0, &again, true, NULL) == final);
	/* every bounce slot came back */
	struct swiotlb_stats st;
	swiotlb_get_stats(swiotlb_vblk_tlb(vb), -1, &st);
	CHECK_EQ_U64(st.used, 0);
	swiotlb_vblk_close(vb);
	blk_stop_qsd(e);

	/* a new daemon on the same image: every write reported done is there */
	blk_start_qsd(e, 1);
	vb = blk_open(e, NULL);
	uint64_t phys;
	void *cpu;
	REQUIRE(swiotlb_vblk_alloc(vb, BS, 4096, &phys, &cpu) == 0);
	uint8_t *expect = malloc(BS);
	uint64_t checked = 0, bad = 0;
	for (uint64_t b = 0; b < nblocks; b++) {
		if (!done_ok[b])
			continue;
		struct swiotlb_vblk_req r = {.type = SWIOTLB_VBLK_T_IN, .sector = b * (BS / 512), .data = phys, .len = BS};
		REQUIRE(swiotlb_vblk_submit(vb, 0, &r, true, NULL) == 0);
		struct swiotlb_vblk_req *d;
		REQUIRE(swiotlb_vblk_complete(vb, 0, &d, 1, -1) == 1);
		CHECK_EQ_U64(r.status, SWIOTLB_VBLK_S_OK);
		fill(expect, b);
		bad += memcmp(cpu, expect, BS) != 0;
		checked++;
	}
	printf("ledger: %llu reported writes read back, %llu missing\n", (unsigned long long)checked,
	       (unsigned long long)bad);
	CHECK_EQ_U64(checked, completed);
	CHECK_EQ_U64(bad, 0);
	free(expect);
	free(done_ok);
	swiotlb_vblk_close(vb);
}

struct delayed_signal {
	pid_t pid;
	int sig;
	unsigned ms;
};

static void *send_later(void *arg)
{
	struct delayed_signal *d = arg;
	usleep(d->ms * 1000);
	kill(d->pid, d->sig);
	return NULL;
}

/* Part 2 and 3: the load engine, the daemon killed or frozen from another thread. */
static void load_with_signal(struct blk_env *e, int sig)
{
	struct swiotlb_vblk_opts o;
	swiotlb_vblk_opts_init(&o);
	o.timeout_ms = 1000;
	struct swiotlb_vblk *vb = blk_open(e, &o);
	struct swiotlb_vblk_load_opts lo;
	swiotlb_vblk_load_opts_init(&lo);
	lo.rw = SWIOTLB_VBLK_RANDWRITE;
	lo.bs = BS;
	lo.iodepth = DEPTH;
	lo.nios = 100000000; /* far more than can finish before the signal */
	lo.verify = true;
	struct delayed_signal d = {e->qsd, sig, 300};
	pthread_t t;
	REQUIRE(pthread_create(&t, NULL, send_later, &d) == 0);
	struct swiotlb_vblk_result res;
	uint64_t t0 = blk_now_ms();
	int rc = swiotlb_vblk_load_run(vb, &lo, &res);
	uint64_t took = blk_now_ms() - t0;
	pthread_join(t, NULL);
	blk_print_result(sig == SIGKILL ? "killed" : "frozen", &res);
	printf("  ended after %llu ms\n", (unsigned long long)took);
	CHECK_EQ_U64(rc, res.error);
	if (sig == SIGKILL) {
		CHECK(rc == -ECONNRESET || rc == -EPIPE);
		CHECK(strstr(res.errmsg, "closed the connection") != NULL);
		CHECK(took < 10000);
	} else {
		CHECK(rc == -ETIMEDOUT);
		CHECK(strstr(res.errmsg, "completed none") != NULL);
		CHECK(took < 10000);
	}
	CHECK(res.writes_done > 0);
	CHECK(res.writes_done < lo.nios);
	CHECK(res.lost <= DEPTH);
	CHECK_EQ_U64(res.mismatches, 0);
	CHECK_EQ_U64(res.nphases, 1); /* no verify phase after a failure */
	swiotlb_vblk_close(vb);
	if (sig == SIGSTOP) {
		kill(e->qsd, SIGKILL);
		kill(e->qsd, SIGCONT);
	}
	blk_stop_qsd(e);
}

int main(void)
{
	blk_need_qsd();
	struct blk_env e;
	blk_env_init(&e);
	blk_make_image(&e, IMAGE_BYTES);
	uint64_t t0 = blk_now_ms();

	blk_start_qsd(&e, 1);
	kill_with_ledger(&e);
	blk_stop_qsd(&e);

	blk_start_qsd(&e, 1);
	load_with_signal(&e, SIGKILL);

	blk_start_qsd(&e, 1);
	load_with_signal(&e, SIGSTOP);

	blk_env_fini(&e);
	printf("elapsed %llu ms\n", (unsigned long long)(blk_now_ms() - t0));
	return check_done("test_blk_kill");
}
