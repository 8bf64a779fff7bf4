/* SPDX-License-Identifier: MIT */
/*
 * swiotlb blk: a fio-like load through the vhost-user-blk front end, every
 * byte bounced through libswiotlb (or, with --share-all, mapped directly as
 * the baseline; --compare runs both in one invocation).  The device is an
 * existing back end (--socket), the built-in one (--builtin), or a
 * qemu-storage-daemon this command starts on an image (--qsd).
 *
 * Output: a human report by default, one JSON object with --json (format
 * "swiotlb-blk", version 1, the configuration echoed); a progress line on
 * stderr only when it is a terminal.  Exit status: 0 success, 1 the run
 * failed (back end lost, mismatches, I/O errors, full pool with
 * --fail-fast), 2 usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common/number.h"
#include "json.h"
#include "opt.h"
#include "text.h"
#include "trace_write.h"
#include "swiotlb/vhost_blk.h"

struct blk_args {
	const char *socket, *qsd_image, *image, *serve, *qsd_opts, *trace;
	bool builtin;
	uint64_t image_size;
	int rw;
	uint64_t bs, iodepth, region, offset, nios, queues, rwmix, pool, queue_size, timeout_s, seed, fail_after, repeat;
	bool verify, fail_fast, share_all, compare, json, quiet, touch;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swiotlb blk (--socket PATH | --builtin | --qsd IMAGE) [options]\n"
		"       swiotlb blk --serve PATH [--image FILE | --image-size SIZE] [--fail-after N]\n"
		"\n"
		"Drive a vhost-user-blk device with every request bounced through libswiotlb:\n"
		"only the bounce pool and the virtqueue rings are shared with the device.\n"
		"\n"
		"device:\n"
		"  --socket PATH        connect to a running vhost-user-blk back end\n"
		"  --builtin            start the built-in back end (a memory image, or --image FILE)\n"
		"  --qsd IMAGE          start qemu-storage-daemon exporting the raw IMAGE (created or\n"
		"                       grown to --image-size when smaller)\n"
		"  --qsd-opts OPTS      extra options of the daemon's file driver, e.g. aio=io_uring\n"
		"                       or cache.direct=on,aio=native\n"
		"  --image FILE         the built-in back end's image file\n"
		"  --image-size SIZE    size of a created image or of the memory image (default 256M)\n"
		"  --serve PATH         run the built-in back end in the foreground on PATH\n"
		"  --fail-after N       the built-in back end drops the connection after N requests\n"
		"\n"
		"workload:\n"
		"  --rw MODE            read|write|randread|randwrite|randrw (default randread)\n"
		"  --bs SIZE            bytes per I/O (default 4k)\n"
		"  --iodepth N          requests in flight per queue (default 16)\n"
		"  --size SIZE          bytes of the device to cover (default: all of it)\n"
		"  --offset SIZE        first byte (default 0)\n"
		"  --number-ios N       I/Os in the main phase (default size / bs)\n"
		"  --queues N           virtqueues, one worker thread each (default 1)\n"
		"  --rwmixread PCT      reads in randrw (default 50)\n"
		"  --verify             write patterns, read them back and compare\n"
		"  --touch              fill write buffers and checksum read buffers (a program that\n"
		"                       produces and consumes its data; implied by --verify)\n"
		"  --seed N             pattern and order seed\n"
		"\n"
		"memory:\n"
		"  --pool SIZE          bounce pool (default: twice what the load keeps in flight,\n"
		"                       rounded up to a power of two, at least 4M; 64M is the kernel's)\n"
		"  --queue-size N       descriptors per virtqueue (default 256)\n"
		"  --share-all          share the workload's buffers and map directly: the baseline\n"
		"  --compare            run bounced, then --share-all, and report the ratio\n"
		"  --repeat N           with --compare: N rounds alternating the two modes, medians\n"
		"  --fail-fast          a full pool fails the run instead of waiting for completions\n"
		"  --timeout SEC        longest wait for the back end (default 30)\n"
		"\n"
		"output:\n"
		"  --json               one JSON object on stdout\n"
		"  --quiet              no progress line\n"
		"  --trace FILE         write every map and unmap as the kernel traces them\n"
		"                       (swiotlb_bounced, dma_map_phys, dma_unmap_phys) for swiotlb trace\n"
		"\n"
		"SIZE takes k, m, g, t suffixes (powers of 1024); numbers are decimal or 0x hex.\n"
		"Options may be written --opt=value or --opt value.  See docs/vhost-blk.md.\n");
}

#define BLK "swiotlb blk"

/*
 * The options.  The numeric ones carry the range they accept: a value
 * outside is refused with the option, the value and the range named, never
 * clamped or quietly replaced by a default.  A size (multiple != 0) takes
 * the size syntax, a count is a plain number (common/number.h).
 */
enum {
	O_SOCKET = OPT_LONG, O_BUILTIN, O_QSD, O_QSD_OPTS, O_IMAGE, O_SERVE, O_RW,
	O_VERIFY, O_TOUCH, O_FAIL_FAST, O_SHARE_ALL, O_COMPARE, O_JSON, O_TRACE,
	O_NUM, /* the numeric options follow, in the order of num_opts[] */
};

struct num_opt {
	const char *name;
	size_t off; /* of the uint64_t in struct blk_args */
	uint64_t min, max;
	uint64_t multiple; /* the value must be a multiple of it (0: any, and not a size) */
	bool pow2;
};

#define NUM(n, field, lo, hi, mult, p2) {n, offsetof(struct blk_args, field), lo, hi, mult, p2}
static const struct num_opt num_opts[] = {
	NUM("image-size", image_size, SWIOTLB_VBLK_SECTOR, UINT64_MAX, SWIOTLB_VBLK_SECTOR, false),
	NUM("bs", bs, SWIOTLB_VBLK_SECTOR, 1u << 30, SWIOTLB_VBLK_SECTOR, false),
	NUM("iodepth", iodepth, 1, 4096, 0, false),
	NUM("size", region, 0, UINT64_MAX, SWIOTLB_VBLK_SECTOR, false),
	NUM("offset", offset, 0, UINT64_MAX, SWIOTLB_VBLK_SECTOR, false),
	NUM("number-ios", nios, 0, UINT64_MAX, 0, false),
	NUM("queues", queues, 1, SWIOTLB_VBLK_MAX_QUEUES, 0, false),
	NUM("rwmixread", rwmix, 0, 100, 0, false),
	NUM("pool", pool, SWIOTLB_MAX_SEGMENT, 64ull << 30, SWIOTLB_SLOT_SIZE, false),
	NUM("queue-size", queue_size, 4, 32768, 0, true),
	NUM("timeout", timeout_s, 1, 3600, 0, false),
	NUM("seed", seed, 0, UINT64_MAX, 0, false),
	NUM("fail-after", fail_after, 0, UINT64_MAX, 0, false),
	NUM("repeat", repeat, 1, 100, 0, false),
};
#undef NUM
#define NNUM (sizeof(num_opts) / sizeof(num_opts[0]))

static int parse_num(struct tool_getopt *g, const struct num_opt *o, struct blk_args *a)
{
	uint64_t v;
	char lo[32], hi[32], m[32];
	if (!(o->multiple ? tool_opt_size(g, &v) : tool_opt_u64(g, &v)))
		return -1;
	if (v < o->min || v > o->max) {
		if (o->multiple) { /* the limits read as the options are written: "1g" */
			num_size_text(lo, sizeof(lo), o->min, NUM_SIZE_OPTION);
			num_size_text(hi, sizeof(hi), o->max, NUM_SIZE_OPTION);
		} else {
			snprintf(lo, sizeof(lo), "%llu", (unsigned long long)o->min);
			snprintf(hi, sizeof(hi), "%llu", (unsigned long long)o->max);
		}
		if (o->max == UINT64_MAX)
			tool_usage_error(g, "%s %s: must be at least %s", g->as, g->arg, lo);
		else
			tool_usage_error(g, "%s %s: out of range (%s to %s)", g->as, g->arg, lo, hi);
		return -1;
	}
	if (o->multiple && v % o->multiple) {
		tool_usage_error(g, "%s %s: must be a multiple of %s bytes", g->as, g->arg,
				 num_size_text(m, sizeof(m), o->multiple, NUM_SIZE_OPTION));
		return -1;
	}
	if (o->pow2 && (v & (v - 1))) {
		tool_usage_error(g, "%s %s: must be a power of two", g->as, g->arg);
		return -1;
	}
	*(uint64_t *)((char *)a + o->off) = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct blk_args *a)
{
	struct tool_opt opts[O_NUM - OPT_LONG + NNUM + 2] = {
		{ "socket", O_SOCKET, true },     { "builtin", O_BUILTIN, false }, { "qsd", O_QSD, true },
		{ "qsd-opts", O_QSD_OPTS, true }, { "image", O_IMAGE, true },      { "serve", O_SERVE, true },
		{ "rw", O_RW, true },             { "verify", O_VERIFY, false },   { "touch", O_TOUCH, false },
		{ "fail-fast", O_FAIL_FAST, false }, { "share-all", O_SHARE_ALL, false },
		{ "compare", O_COMPARE, false },  { "json", O_JSON, false },     { "trace", O_TRACE, true },
		{ "quiet", 'q', false },          { "help", 'h', false },
	};
	const size_t nfixed = O_NUM - OPT_LONG + 2;
	for (size_t k = 0; k < NNUM; k++)
		opts[nfixed + k] = (struct tool_opt){ num_opts[k].name, O_NUM + (int)k, true };
	memset(a, 0, sizeof(*a));
	a->rw = SWIOTLB_VBLK_RANDREAD;
	a->bs = 4096;
	a->iodepth = 16;
	a->queues = 1;
	a->rwmix = 50;
	a->pool = 0; /* auto: see pool_bytes() */
	a->queue_size = 256;
	a->timeout_s = 30;
	a->image_size = 256ull << 20;
	a->repeat = 1;
	bool given_image_size = false, given_fail_after = false;
	struct tool_getopt gs, *g = &gs;
	tool_getopt_init(g, BLK, opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int c; (c = tool_getopt(g)) != OPT_END;) {
		const char **str = NULL;
		switch (c) {
		case OPT_ERROR: return -1;
		case 'h': usage(stdout); exit(0);
		case O_BUILTIN: a->builtin = true; continue;
		case O_VERIFY: a->verify = true; continue;
		case O_TOUCH: a->touch = true; continue;
		case O_FAIL_FAST: a->fail_fast = true; continue;
		case O_SHARE_ALL: a->share_all = true; continue;
		case O_COMPARE: a->compare = true; continue;
		case O_JSON: a->json = true; continue;
		case 'q': a->quiet = true; continue;
		case O_RW:
			a->rw = swiotlb_vblk_rw_from_name(g->arg);
			if (a->rw < 0) {
				tool_usage_error(g, "--rw: '%s' is not read, write, randread, randwrite or randrw", g->arg);
				return -1;
			}
			continue;
		case O_SOCKET: str = &a->socket; break;
		case O_QSD: str = &a->qsd_image; break;
		case O_QSD_OPTS: str = &a->qsd_opts; break;
		case O_IMAGE: str = &a->image; break;
		case O_SERVE: str = &a->serve; break;
		case O_TRACE: str = &a->trace; break;
		default: {
			const struct num_opt *o = &num_opts[c - O_NUM];
			if (parse_num(g, o, a))
				return -1;
			given_image_size |= o->off == offsetof(struct blk_args, image_size);
			given_fail_after |= o->off == offsetof(struct blk_args, fail_after);
			continue;
		}
		}
		if (!*g->arg) {
			tool_usage_error(g, "%s: the value is empty", g->as);
			return -1;
		}
		*str = g->arg;
	}
	if (tool_operands(g) < argc) {
		tool_usage_error(g, "unexpected argument '%s'", argv[tool_operands(g)]);
		return -1;
	}
	/* an option the chosen device does not use would be ignored without a word */
	int devices = !!a->socket + !!a->builtin + !!a->qsd_image;
	if (a->serve) {
		if (devices) {
			tool_usage_error(g, "--serve runs only the back end: it takes no %s",
				         a->socket ? "--socket" : a->builtin ? "--builtin" : "--qsd");
			return -1;
		}
	} else if (devices != 1) {
		tool_usage_error(g, devices ? "name one device, not several: --socket PATH, --builtin or --qsd IMAGE"
					      : "name one device: --socket PATH, --builtin or --qsd IMAGE");
		return -1;
	}
	bool own_backend = a->builtin || a->serve;
	if (a->image && !own_backend) {
		tool_usage_error(g, "--image is the built-in back end's image: it goes with --builtin or --serve%s",
			         a->qsd_image ? " (--qsd takes its image itself)" : "");
		return -1;
	}
	if (given_fail_after && !own_backend) {
		tool_usage_error(g, "--fail-after goes with --builtin or --serve");
		return -1;
	}
	if (a->qsd_opts && !a->qsd_image) {
		tool_usage_error(g, "--qsd-opts goes with --qsd");
		return -1;
	}
	if (given_image_size && (a->socket || a->image)) {
		tool_usage_error(g, "--image-size: %s", a->socket ? "a running back end (--socket) has its own size"
							      : "the --image file has its own size");
		return -1;
	}
	if (a->trace && (a->serve || a->compare)) {
		tool_error(BLK, "--trace: traces one run, not %s", a->serve ? "--serve" : "--compare");
		return -1;
	}
	if (a->serve)
		return 0;
	if (a->repeat > 1 && !a->compare) {
		tool_usage_error(g, "--repeat %llu goes with --compare", (unsigned long long)a->repeat);
		return -1;
	}
	if (a->share_all && a->compare) {
		tool_usage_error(g, "--compare already runs --share-all");
		return -1;
	}
	/* a request takes a header, a data and a status descriptor at least */
	if (a->iodepth * 3 > a->queue_size) {
		tool_usage_error(g, "--iodepth %llu does not fit --queue-size %llu: each request takes at least 3 "
				      "descriptors, so at most %llu requests are in flight",
			         (unsigned long long)a->iodepth, (unsigned long long)a->queue_size,
			         (unsigned long long)(a->queue_size / 3));
		return -1;
	}
	if (a->region && a->region < a->bs) {
		tool_usage_error(g, "--size %llu is smaller than --bs %llu", (unsigned long long)a->region,
			         (unsigned long long)a->bs);
		return -1;
	}
	if (a->offset % a->bs) {
		tool_usage_error(g, "--offset %llu is not a multiple of --bs %llu", (unsigned long long)a->offset,
			         (unsigned long long)a->bs);
		return -1;
	}
	return 0;
}

/*
 * The built-in back end's image, checked here so that a wrong path is
 * reported with its name rather than as the back end failing to start.
 */
static int check_image(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		tool_error(BLK, "--image %s: %s", path, strerror(e));
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		tool_error(BLK, "--image %s: not a regular file", path);
		return -1;
	}
	if (st.st_size < SWIOTLB_VBLK_SECTOR) {
		tool_error(BLK, "--image %s: %lld bytes, smaller than one %u-byte sector", path, (long long)st.st_size,
			   SWIOTLB_VBLK_SECTOR);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ output */

static bool progress_on;

static void progress(void *arg, const char *phase, uint64_t done, uint64_t total, uint64_t bytes, uint64_t ns)
{
	(void)arg;
	double s = (double)ns / 1e9;
	fprintf(stderr, "\r\033[K  %s: %5.1f%% %llu/%llu I/Os, %.0f IOPS, %.1f MB/s, %.1f s", phase,
		total ? 100.0 * (double)done / (double)total : 0.0, (unsigned long long)done,
		(unsigned long long)total, s > 0 ? (double)done / s : 0.0, s > 0 ? (double)bytes / s / 1e6 : 0.0, s);
	fflush(stderr);
}

static void progress_clear(void)
{
	if (progress_on) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

static double mbps(const struct swiotlb_vblk_phase *p)
{
	return p->ns ? (double)p->bytes / ((double)p->ns / 1e9) / 1e6 : 0;
}

static double iops(const struct swiotlb_vblk_phase *p)
{
	return p->ns ? (double)p->ios / ((double)p->ns / 1e9) : 0;
}

struct run {
	const char *mode;
	bool ok_open;
	struct swiotlb_vblk_info info;
	struct swiotlb_vblk_result res;
	uint64_t conversions;   /* by the library: pool shares */
	struct swiotlb_stats total;
	char open_err[256];
};

static void print_run_human(const struct blk_args *a, const struct run *r)
{
	char b1[32], b2[32], b3[32];
	const struct swiotlb_vblk_info *in = &r->info;
	num_size_text(b1, sizeof(b1), in->capacity, NUM_SIZE_HUMAN);
	num_size_text(b2, sizeof(b2), in->shared_bytes, NUM_SIZE_HUMAN);
	printf("[%s] device %s, %u queue(s) x %u, features 0x%llx; shared with the device: %s in %u memfd "
	       "region(s)%s\n",
	       r->mode, b1, in->num_queues, in->queue_size, (unsigned long long)in->features, b2, in->nregions,
	       in->share_all ? " (pool none; rings + the workload arena)" : " (bounce pool + rings; buffers private)");
	for (uint32_t i = 0; i < r->res.nphases; i++) {
		const struct swiotlb_vblk_phase *p = &r->res.phase[i];
		num_size_text(b1, sizeof(b1), p->bytes, NUM_SIZE_HUMAN);
		printf("  %-9s bs=%llu iodepth=%llu: %llu I/Os, %s in %.2f s: %.0f IOPS, %.1f MB/s\n", p->name,
		       (unsigned long long)a->bs, (unsigned long long)a->iodepth, (unsigned long long)p->ios, b1,
		       (double)p->ns / 1e9, iops(p), mbps(p));
		printf("            lat (us): min %.1f, mean %.1f", (double)p->lat_min_ns / 1e3,
		       (double)p->lat_mean_ns / 1e3);
		for (int k = 0; k < SWIOTLB_VBLK_NPCT; k++)
			printf(", p%g %.1f", swiotlb_vblk_percentiles[k], (double)p->lat_pct_ns[k] / 1e3);
		printf(", max %.1f\n", (double)p->lat_max_ns / 1e3);
		num_size_text(b1, sizeof(b1), p->tlb.bytes_to_device, NUM_SIZE_HUMAN);
		num_size_text(b2, sizeof(b2), p->tlb.bytes_from_device, NUM_SIZE_HUMAN);
		num_size_text(b3, sizeof(b3), p->tlb.bytes_to_device + p->tlb.bytes_from_device, NUM_SIZE_HUMAN);
		printf("            swiotlb: bounced %s (%s to device, %s from device), %llu maps, used %llu / "
		       "hiwater %llu of %llu slots, %llu pool waits\n",
		       b3, b1, b2, (unsigned long long)p->tlb.maps, (unsigned long long)p->tlb.used,
		       (unsigned long long)p->tlb.used_hiwater, (unsigned long long)p->tlb.nslabs,
		       (unsigned long long)p->pool_waits);
	}
	const struct swiotlb_vblk_result *res = &r->res;
	printf("  done: %llu writes, %llu reads completed", (unsigned long long)res->writes_done,
	       (unsigned long long)res->reads_done);
	if (a->verify)
		printf("; verified %llu reads: %llu mismatch(es), %llu misdirected", (unsigned long long)res->verified,
		       (unsigned long long)res->mismatches, (unsigned long long)res->misdirected);
	printf("; %llu lost, %llu I/O errors\n", (unsigned long long)res->lost, (unsigned long long)res->io_errors);
	num_size_text(b1, sizeof(b1), r->total.bytes_to_device + r->total.bytes_from_device, NUM_SIZE_HUMAN);
	printf("  swiotlb total: bounced %s, hiwater %llu slots, conversions %llu (pool) + %llu (coherent)\n", b1,
	       (unsigned long long)r->total.used_hiwater, (unsigned long long)r->conversions,
	       (unsigned long long)in->coherent_conversions);
	if (res->error)
		printf("  error: %s\n", text_show(res->errmsg));
}

static void json_stats(struct json *j, const struct swiotlb_stats *st)
{
	json_object_begin(j);
#define STAT_KV(field, key, help) json_kv_u64(j, #field, st->field);
	SWIOTLB_STATS(STAT_KV)
#undef STAT_KV
	json_kv_u64(j, "bounced_bytes", st->bytes_to_device + st->bytes_from_device);
	json_object_end(j);
}

static void json_run(struct json *j, const struct run *r)
{
	json_object_begin(j);
	json_kv_string(j, "mode", r->mode);
	const struct swiotlb_vblk_info *in = &r->info;
	json_key(j, "device");
	json_object_begin(j);
	json_kv_u64(j, "capacity", in->capacity);
	json_kv_u64(j, "blk_size", in->blk_size);
	json_kv_u64(j, "seg_max", in->seg_max);
	json_kv_u64(j, "num_queues", in->num_queues);
	json_kv_u64(j, "queue_size", in->queue_size);
	json_kv_hex(j, "features", in->features);
	json_kv_hex(j, "protocol_features", in->protocol_features);
	json_kv_u64(j, "shared_regions", in->nregions);
	json_kv_u64(j, "shared_bytes", in->shared_bytes);
	json_kv_u64(j, "private_bytes", in->private_bytes);
	json_object_end(j);
	json_key(j, "phases");
	json_array_begin(j);
	for (uint32_t i = 0; i < r->res.nphases; i++) {
		const struct swiotlb_vblk_phase *p = &r->res.phase[i];
		json_object_begin(j);
		json_kv_string(j, "name", p->name);
		json_kv_u64(j, "ios", p->ios);
		json_kv_u64(j, "reads", p->reads);
		json_kv_u64(j, "writes", p->writes);
		json_kv_u64(j, "bytes", p->bytes);
		json_kv_u64(j, "ns", p->ns);
		json_kv_u64(j, "iops", (uint64_t)(iops(p) + 0.5));
		json_kv_u64(j, "bw_bytes_per_s", (uint64_t)(mbps(p) * 1e6 + 0.5));
		json_key(j, "lat_ns");
		json_object_begin(j);
		json_kv_u64(j, "min", p->lat_min_ns);
		json_kv_u64(j, "mean", p->lat_mean_ns);
		json_kv_u64(j, "max", p->lat_max_ns);
		json_key(j, "percentiles");
		json_object_begin(j);
		for (int k = 0; k < SWIOTLB_VBLK_NPCT; k++) {
			char key[16];
			snprintf(key, sizeof(key), "%g", swiotlb_vblk_percentiles[k]);
			json_kv_u64(j, key, p->lat_pct_ns[k]);
		}
		json_object_end(j);
		json_object_end(j);
		json_kv_u64(j, "pool_waits", p->pool_waits);
		json_key(j, "swiotlb");
		json_stats(j, &p->tlb);
		json_object_end(j);
	}
	json_array_end(j);
	const struct swiotlb_vblk_result *res = &r->res;
	json_key(j, "result");
	json_object_begin(j);
	json_kv_u64(j, "writes_done", res->writes_done);
	json_kv_u64(j, "reads_done", res->reads_done);
	json_kv_u64(j, "verified", res->verified);
	json_kv_u64(j, "mismatches", res->mismatches);
	json_kv_u64(j, "misdirected", res->misdirected);
	json_kv_u64(j, "io_errors", res->io_errors);
	json_kv_u64(j, "lost", res->lost);
	json_kv_u64(j, "pool_full", res->pool_full);
	if (res->first_mismatch[0])
		json_kv_string(j, "first_mismatch", res->first_mismatch);
	json_object_end(j);
	json_key(j, "swiotlb");
	json_stats(j, &r->total);
	json_kv_u64(j, "conversions", r->conversions);
	json_kv_u64(j, "coherent_conversions", in->coherent_conversions);
	if (res->error || !r->ok_open)
		json_kv_string(j, "error", r->ok_open ? res->errmsg : r->open_err);
	else {
		json_key(j, "error");
		json_null(j);
	}
	json_object_end(j);
}

/*
 * Per phase: the median bandwidth and IOPS of each mode over the rounds,
 * and the median of the per-round ratios (bounce / share-all of the two
 * runs of one round, back to back), which a load that drifts over the
 * whole measurement disturbs least.
 */
struct cmp {
	const char *name;
	double bounce, share, bounce_iops, share_iops;
	double ratio, ratio_min, ratio_max;
};

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int compare_runs(const struct run *runs, int nruns, struct cmp *out)
{
	int rounds = nruns / 2;
	if (rounds < 1 || rounds > 100)
		return 0;
	uint32_t nph = runs[0].res.nphases;
	double v[5][100];
	for (uint32_t p = 0; p < nph; p++) {
		for (int r = 0; r < rounds; r++) {
			const struct run *b = &runs[2 * r], *s = &runs[2 * r + 1];
			if (b->info.share_all) {
				const struct run *t = b;
				b = s;
				s = t;
			}
			if (b->info.share_all || !s->info.share_all || b->res.nphases <= p || s->res.nphases <= p)
				return 0;
			v[0][r] = mbps(&b->res.phase[p]);
			v[1][r] = iops(&b->res.phase[p]);
			v[2][r] = mbps(&s->res.phase[p]);
			v[3][r] = iops(&s->res.phase[p]);
			v[4][r] = v[2][r] > 0 ? v[0][r] / v[2][r] : 0;
		}
		out[p].name = runs[0].res.phase[p].name;
		out[p].bounce = median(v[0], rounds);
		out[p].bounce_iops = median(v[1], rounds);
		out[p].share = median(v[2], rounds);
		out[p].share_iops = median(v[3], rounds);
		out[p].ratio = median(v[4], rounds); /* sorts v[4] */
		out[p].ratio_min = v[4][0];
		out[p].ratio_max = v[4][rounds - 1];
	}
	return (int)nph;
}

/* ------------------------------------------------------------ running */

static void log_stderr(void *arg, enum swiotlb_log_level lvl, const char *line)
{
	static char last[320];
	(void)arg;
	if (lvl <= SWIOTLB_LOG_WARN && strcmp(line, last)) { /* each run repeats the pool's notice */
		snprintf(last, sizeof(last), "%s", line);
		progress_clear();
		tool_error(BLK, "%s", line);
	}
}

/*
 * The default pool: twice the slots the load can hold at once (data plus a
 * header and a status slot per request), a power of two, 4 MiB at least.
 * The linux placement policy allocates next-fit, so the bounce buffers
 * cycle through the whole pool: a pool much larger than the load leaves
 * the caches cold (docs/performance.md measures it).
 */
static uint64_t pool_bytes(const struct blk_args *a)
{
	if (a->pool)
		return a->pool;
	uint64_t per_req = ((a->bs + SWIOTLB_SLOT_SIZE - 1) / SWIOTLB_SLOT_SIZE + 2) * SWIOTLB_SLOT_SIZE;
	uint64_t want = 2 * a->queues * a->iodepth * per_req, pool = 4ull << 20;
	while (pool < want && pool < (1ull << 30))
		pool <<= 1;
	return pool;
}

static int do_run(const struct blk_args *a, const char *socket, bool share_all, struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->mode = share_all ? "share-all" : "bounce";
	struct swiotlb_vblk_opts o;
	swiotlb_vblk_opts_init(&o);
	o.socket = socket;
	o.num_queues = (uint32_t)a->queues;
	o.queue_size = (uint32_t)a->queue_size;
	o.pool_bytes = pool_bytes(a);
	o.share_all = share_all;
	o.timeout_ms = (int)a->timeout_s * 1000;
	o.arena_bytes = a->queues * a->iodepth * ((a->bs + 4095) & ~4095ull) +
			a->queues * ((a->queue_size * 17 + 4095) & ~4095ull) + (1u << 20);
	o.log = log_stderr;
	struct trace_writer *tw = NULL;
	if (a->trace) {
		if (!(tw = trace_writer_open(a->trace, "swiotlb-blk"))) {
			snprintf(r->open_err, sizeof(r->open_err), "--trace: %s: %s", a->trace, strerror(errno));
			return -EINVAL;
		}
		/* the front end's device, as its swiotlb_bounced names it */
		trace_writer_device(tw, 0, "vhost-blk", TW_SINGLE);
		o.dma_event = trace_writer_vblk_event;
		o.dma_event_arg = tw;
	}
	struct swiotlb_vblk *vb;
	int rc = swiotlb_vblk_open(&o, &vb, r->open_err, sizeof(r->open_err));
	if (rc) {
		r->res.error = rc;
		snprintf(r->res.errmsg, sizeof(r->res.errmsg), "%s", r->open_err);
		trace_writer_close(tw);
		return rc;
	}
	if (tw)
		swiotlb_set_event_hook(swiotlb_vblk_tlb(vb), trace_writer_hook, tw);
	r->ok_open = true;
	swiotlb_vblk_info(vb, &r->info);
	struct swiotlb_vblk_load_opts lo;
	swiotlb_vblk_load_opts_init(&lo);
	lo.rw = a->rw;
	lo.bs = (uint32_t)a->bs;
	lo.iodepth = (uint32_t)a->iodepth;
	lo.region = a->region;
	lo.offset = a->offset;
	lo.nios = a->nios;
	lo.rwmix_read = (uint32_t)a->rwmix;
	lo.verify = a->verify;
	lo.fail_fast = a->fail_fast;
	lo.touch = a->touch;
	lo.seed = a->seed;
	if (progress_on)
		lo.progress = progress;
	rc = swiotlb_vblk_load_run(vb, &lo, &r->res);
	progress_clear();
	struct swiotlb *tlb = swiotlb_vblk_tlb(vb);
	swiotlb_get_stats(tlb, -1, &r->total);
	r->total.used_hiwater = 0;
	for (uint32_t i = 0; i < r->res.nphases; i++)
		if (r->res.phase[i].tlb.used_hiwater > r->total.used_hiwater)
			r->total.used_hiwater = r->res.phase[i].tlb.used_hiwater;
	r->conversions = swiotlb_conversions(tlb);
	swiotlb_vblk_close(vb);
	if (tw && trace_writer_close(tw)) {
		tool_error(BLK, "--trace: %s: %s", a->trace, strerror(errno));
		if (!rc)
			rc = -EIO;
	}
	return rc;
}

static int make_image(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) || ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size)))
		rc = -errno;
	close(fd);
	return rc;
}

static int serve(const struct blk_args *a)
{
	struct swiotlb_vblk_backend_opts bo;
	swiotlb_vblk_backend_opts_init(&bo);
	bo.socket = a->serve;
	bo.image = a->image;
	bo.mem_bytes = a->image_size;
	bo.fail_after = a->fail_after;
	bo.num_queues = a->queues > 1 ? (uint32_t)a->queues : 4;
	bo.log = log_stderr;
	if (a->image && check_image(a->image))
		return 2;
	tool_error(BLK, "serving %s on %s (SIGTERM or ^C to stop)", a->image ? a->image : "a memory image", a->serve);
	int rc = swiotlb_vblk_backend_serve(&bo);
	if (rc) {
		tool_error(BLK, "--serve %s: %s", a->serve, strerror(-rc));
		return 2;
	}
	return 0;
}

int cmd_blk(int argc, char **argv)
{
	struct blk_args a;
	if (parse_args(argc, argv, &a))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (a.serve)
		return serve(&a);
	progress_on = !a.json && !a.quiet && isatty(2);

	char dir[] = "/tmp/swiotlb-blk-XXXXXX";
	char sock[sizeof(dir) + 16], qlog[sizeof(dir) + 16];
	const char *socket = a.socket;
	struct swiotlb_vblk_backend *be = NULL;
	pid_t qsd = 0;
	int status = 0;
	struct run *runs = NULL;
	if (!a.socket) {
		if (!mkdtemp(dir)) {
			perror("swiotlb blk: mkdtemp");
			return 2;
		}
		snprintf(sock, sizeof(sock), "%s/sock", dir);
		snprintf(qlog, sizeof(qlog), "%s/qsd.log", dir);
		socket = sock;
	}
	if (a.builtin) {
		if (a.image && check_image(a.image)) {
			status = 2;
			goto out;
		}
		struct swiotlb_vblk_backend_opts bo;
		swiotlb_vblk_backend_opts_init(&bo);
		bo.socket = sock;
		bo.image = a.image;
		bo.mem_bytes = a.image_size;
		bo.fail_after = a.fail_after;
		bo.num_queues = (uint32_t)a.queues;
		bo.log = log_stderr;
		int rc = swiotlb_vblk_backend_start(&bo, &be);
		if (rc) {
			tool_error(BLK, "cannot start the built-in back end on %s: %s", sock, strerror(-rc));
			status = 2;
			goto out;
		}
	} else if (a.qsd_image) {
		int rc = make_image(a.qsd_image, a.image_size);
		if (!rc)
			rc = swiotlb_vblk_qsd_spawn(a.qsd_image, sock, (unsigned)a.queues, a.qsd_opts, qlog, &qsd);
		if (rc) {
			tool_error(BLK, "cannot start qemu-storage-daemon on %s: %s%s%s", a.qsd_image,
				rc == -ENOENT ? "not installed (apt-get install qemu-system-common)" : strerror(-rc),
				rc == -ENOENT ? "" : "; see ", rc == -ENOENT ? "" : qlog);
			status = 2;
			goto out;
		}
	}

	int wanted = a.compare ? 2 * (int)a.repeat : 1;
	runs = calloc((size_t)wanted, sizeof(*runs));
	int nruns = 0;
	if (!runs) {
		status = 2;
		goto out;
	}
	for (int i = 0; i < wanted; i++) {
		/* rounds alternate which mode goes first, so drift hits both alike */
		bool share = a.compare ? ((i & 1) ^ ((i / 2) & 1)) : a.share_all;
		struct run *r = &runs[nruns++];
		int rc = do_run(&a, socket, share, r);
		if (rc) {
			status = r->ok_open ? 1 : 2;
			if (!r->ok_open)
				tool_error(BLK, "%s", r->open_err);
			break;
		}
	}
	struct cmp cmp[SWIOTLB_VBLK_MAX_PHASES];
	int ncmp = status ? 0 : compare_runs(runs, nruns, cmp);

	if (a.json) {
		struct json j;
		json_init(&j);
		json_object_begin(&j);
		json_kv_string(&j, "format", "swiotlb-blk");
		json_kv_u64(&j, "version", 1);
		json_key(&j, "config");
		json_object_begin(&j);
		json_kv_string(&j, "device", a.socket ? "socket" : a.builtin ? "builtin" : "qemu-storage-daemon");
		if (a.qsd_image || a.image)
			json_kv_string(&j, "image", a.qsd_image ? a.qsd_image : a.image);
		json_kv_string(&j, "rw", swiotlb_vblk_rw_name(a.rw));
		json_kv_u64(&j, "bs", a.bs);
		json_kv_u64(&j, "iodepth", a.iodepth);
		json_kv_u64(&j, "queues", a.queues);
		json_kv_u64(&j, "size", a.region);
		json_kv_u64(&j, "offset", a.offset);
		json_kv_u64(&j, "number_ios", a.nios);
		json_kv_bool(&j, "verify", a.verify);
		json_kv_bool(&j, "touch", a.touch);
		json_kv_bool(&j, "fail_fast", a.fail_fast);
		json_kv_u64(&j, "pool", pool_bytes(&a));
		json_kv_string(&j, "modes", a.compare ? "bounce,share-all" : a.share_all ? "share-all" : "bounce");
		json_object_end(&j);
		json_key(&j, "runs");
		json_array_begin(&j);
		for (int i = 0; i < nruns; i++)
			json_run(&j, &runs[i]);
		json_array_end(&j);
		if (ncmp) {
			json_key(&j, "comparison");
			json_array_begin(&j);
			for (int p = 0; p < ncmp; p++) {
				json_object_begin(&j);
				json_kv_string(&j, "phase", cmp[p].name);
				json_kv_u64(&j, "rounds", a.repeat);
				json_kv_u64(&j, "bounce_bytes_per_s", (uint64_t)(cmp[p].bounce * 1e6));
				json_kv_u64(&j, "share_all_bytes_per_s", (uint64_t)(cmp[p].share * 1e6));
				json_kv_u64(&j, "bounce_iops", (uint64_t)cmp[p].bounce_iops);
				json_kv_u64(&j, "share_all_iops", (uint64_t)cmp[p].share_iops);
				json_kv_double(&j, "ratio", cmp[p].ratio, 3);
				json_kv_double(&j, "ratio_min", cmp[p].ratio_min, 3);
				json_kv_double(&j, "ratio_max", cmp[p].ratio_max, 3);
				json_object_end(&j);
			}
			json_array_end(&j);
		}
		json_kv_u64(&j, "exit_status", (uint64_t)status);
		json_object_end(&j);
		printf("%s\n", json_text(&j));
		json_free(&j);
	} else {
		for (int i = 0; i < nruns; i++)
			if (runs[i].ok_open)
				print_run_human(&a, &runs[i]);
		if (ncmp) {
			printf("bounce vs share-all (same device, same run; medians of %llu round(s)):\n",
			       (unsigned long long)a.repeat);
			for (int p = 0; p < ncmp; p++)
				printf("  %-9s bounce %.1f MB/s %.0f IOPS, share-all %.1f MB/s %.0f IOPS: %.3fx "
				       "(rounds %.3f..%.3f)\n",
				       cmp[p].name, cmp[p].bounce, cmp[p].bounce_iops, cmp[p].share, cmp[p].share_iops,
				       cmp[p].ratio, cmp[p].ratio_min, cmp[p].ratio_max);
		}
		if (status == 1)
			tool_error(BLK, "the run failed: %s", runs[nruns - 1].res.errmsg);
	}
out:
	free(runs);
	if (be)
		swiotlb_vblk_backend_stop(be);
	if (qsd) {
		int st = swiotlb_vblk_qsd_stop(qsd);
		(void)st;
	}
	if (!a.socket) {
		unlink(sock);
		if (status != 2 || !a.qsd_image)
			unlink(qlog);
		rmdir(dir);
	}
	return status;
}
