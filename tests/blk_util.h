/* SPDX-License-Identifier: MIT */
/*
 * Fixtures for the vhost-user-blk tests: a scratch directory, a raw image,
 * qemu-storage-daemon or the built-in back end on a socket in it, and a
 * front end connected to that socket.  A test that needs the daemon exits
 * 77 (skip) when it is not installed.
 */
#ifndef SWIOTLB_TEST_BLK_UTIL_H
#define SWIOTLB_TEST_BLK_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "swiotlb/vhost_blk.h"

struct blk_env {
	char dir[64];
	char sock[96];
	char image[96];
	char log[96];
	pid_t qsd;
	struct swiotlb_vblk_backend *be;
};

static inline uint64_t blk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void blk_log(void *arg, enum swiotlb_log_level lvl, const char *line)
{
	(void)arg;
	if (lvl <= SWIOTLB_LOG_WARN)
		fprintf(stderr, "  log: %s\n", line);
}

static inline void blk_env_init(struct blk_env *e)
{
	memset(e, 0, sizeof(*e));
	signal(SIGPIPE, SIG_IGN);
	snprintf(e->dir, sizeof(e->dir), "/tmp/swiotlb-test-XXXXXX");
	REQUIRE(mkdtemp(e->dir) != NULL);
	snprintf(e->sock, sizeof(e->sock), "%s/sock", e->dir);
	snprintf(e->image, sizeof(e->image), "%s/disk.img", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/qsd.log", e->dir);
}

/* Exit 77 when qemu-storage-daemon is not installed. */
static inline void blk_need_qsd(void)
{
	if (!swiotlb_vblk_qsd_path()) {
		printf("qemu-storage-daemon is not installed (apt-get install qemu-system-common): skipped\n");
		exit(77);
	}
}

static inline void blk_make_image(struct blk_env *e, uint64_t bytes)
{
	int fd = open(e->image, O_RDWR | O_CREAT | O_TRUNC, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, (off_t)bytes) == 0);
	close(fd);
}

static inline void blk_start_qsd(struct blk_env *e, unsigned queues)
{
	int rc = swiotlb_vblk_qsd_spawn(e->image, e->sock, queues, NULL, e->log, &e->qsd);
	if (rc) {
		fprintf(stderr, "qemu-storage-daemon did not start: %s; its log:\n", strerror(-rc));
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "cat %s >&2", e->log);
		if (system(cmd)) {
			/* the log is only a courtesy */
		}
		exit(1);
	}
}

static inline void blk_stop_qsd(struct blk_env *e)
{
	if (e->qsd > 0)
		swiotlb_vblk_qsd_stop(e->qsd);
	e->qsd = 0;
}

static inline void blk_start_builtin(struct blk_env *e, uint64_t mem_bytes, uint64_t fail_after)
{
	struct swiotlb_vblk_backend_opts bo;
	swiotlb_vblk_backend_opts_init(&bo);
	bo.socket = e->sock;
	bo.mem_bytes = mem_bytes;
	bo.fail_after = fail_after;
	bo.log = blk_log;
	REQUIRE(swiotlb_vblk_backend_start(&bo, &e->be) == 0);
}

static inline struct swiotlb_vblk *blk_open(struct blk_env *e, const struct swiotlb_vblk_opts *base)
{
	struct swiotlb_vblk_opts o;
	if (base)
		o = *base;
	else
		swiotlb_vblk_opts_init(&o);
	o.socket = e->sock;
	o.log = blk_log;
	struct swiotlb_vblk *vb;
	char err[256];
	int rc = swiotlb_vblk_open(&o, &vb, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "swiotlb_vblk_open: %s (%d)\n", err, rc);
		exit(1);
	}
	return vb;
}

static inline void blk_env_fini(struct blk_env *e)
{
	blk_stop_qsd(e);
	if (e->be)
		swiotlb_vblk_backend_stop(e->be);
	e->be = NULL;
	unlink(e->sock);
	unlink(e->image);
	unlink(e->log);
	rmdir(e->dir);
}

static inline void blk_print_result(const char *what, const struct swiotlb_vblk_result *r)
{
	printf("%s: %u phase(s), %llu writes, %llu reads, %llu verified, %llu mismatches, %llu lost, error %d%s%s\n",
	       what, r->nphases, (unsigned long long)r->writes_done, (unsigned long long)r->reads_done,
	       (unsigned long long)r->verified, (unsigned long long)r->mismatches, (unsigned long long)r->lost,
	       r->error, r->error ? ": " : "", r->error ? r->errmsg : "");
}

#endif
