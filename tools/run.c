/* SPDX-License-Identifier: MIT */
/*
 * swiotlb run: boot a simulated guest, drive its devices with an fio-like
 * workload through the real map/sync/unmap paths, verify every byte, and
 * show per-device counts and the debugfs statistics (while the I/O ran and
 * at the end).  A scenario file (docs/machines.md) may hold several
 * sections, each a machine with its devices, jobs and expectations; the run
 * fails when an expectation does not hold.
 *
 *   swiotlb run [SCENARIO] [--section NAME] [machine options]
 *               [--device SPEC]... [--job SPEC]... [--json] [--no-progress]
 *               [--trace FILE]
 *
 * Exit status: 0 all I/O verified and every expectation held; 1 data
 * arrived wrong, the bus refused a DMA, a hostile device got through (a
 * must-be-0 count of its verdict is not 0), an expectation failed, or (with
 * no expectations) an I/O failed; 2 the machine, command line or options
 * are wrong.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "simcli.h"
#include "text.h"
#include "trace_write.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swiotlb run [SCENARIO] [--section NAME] [options]\n"
		"  Boot a simulated guest, drive its devices with a verified fio-like workload\n"
		"  through map/sync/unmap, and print per-device counts and the debugfs statistics.\n\n"
		"  SCENARIO              a machine/scenario file (docs/machines.md); sections run in turn\n"
		"  --machine KIND, --mem SIZE, --low-mem SIZE, --cpus N, --cmdline TEXT,\n"
		"  --dialect D, --lenient, --any, --no-any, --machine-file FILE, --section NAME\n"
		"                        as for swiotlb boot\n"
		"  --device SPEC         NAME[,type=nvme|scsi|nic|legacy|generic][,mask=BITS|0xMASK]\n"
		"                        [,bus-limit=ADDR][,min-align=0xfff][,seg-boundary=MASK]\n"
		"                        [,queues=N][,depth=N][,rx-sync=yes|no]\n"
		"                        [,hostile=scribble:rewrite:double:lie:peek|all]  (default: nvme0,type=nvme)\n"
		"  --job SPEC            NAME[,devices=A:B][,rw=read|write|randrw][,rwmixread=PCT]\n"
		"                        [,bs=SIZE|MIN-MAX][,align=N][,iodepth=N][,ios=N|,runtime=10s]\n"
		"                        [,threads=N][,seed=N][,buffers=high|low]  (default: every device)\n"
		"  --json                one JSON object instead of text\n"
		"  --no-progress         no progress line (shown only on a terminal anyway)\n"
		"  --trace FILE          write every map, unmap and sync as the kernel traces them\n"
		"                        (swiotlb_bounced, dma_map_phys, dma_map_sg, ...) for\n"
		"                        swiotlb trace; the DMA calls are then made one at a time\n");
}

struct progress {
	bool on;
	const char *label;
};

static void show_progress(void *arg, uint64_t done, uint64_t total, uint64_t bytes, uint64_t ns)
{
	const struct progress *p = arg;
	if (!p->on)
		return;
	double s = (double)ns / 1e9;
	if (total)
		fprintf(stderr, "\r  %s: %" PRIu64 "/%" PRIu64 " I/Os, %.1f MiB, %.1f s, %.0f MiB/s \033[K", text_show(p->label), done,
			total, (double)bytes / 1048576.0, s, s > 0 ? (double)bytes / 1048576.0 / s : 0.0);
	else
		fprintf(stderr, "\r  %s: %" PRIu64 " I/Os, %.1f MiB, %.1f s \033[K", text_show(p->label), done,
			(double)bytes / 1048576.0, s);
	fflush(stderr);
}

static const char *mask_text(char *buf, size_t n, uint64_t mask)
{
	unsigned bits = 0;
	while (bits < 64 && (mask >> bits))
		bits++;
	if (mask == swiotlb_bit_mask(bits ? bits : 1))
		snprintf(buf, n, "%u-bit", bits);
	else
		snprintf(buf, n, "0x%" PRIx64, mask);
	return buf;
}

static const char *hostile_text(char *buf, size_t n, uint32_t hostile)
{
	size_t off = 0;
	buf[0] = 0;
	for (unsigned k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++)
		if (hostile & (1u << k))
			off += (size_t)snprintf(buf + off, off < n ? n - off : 0, "%s%s", off ? ", " : "",
						swiotlb_sim_hostile_name(k));
	return buf;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / 1048576.0;
}

/* The verdict of a run with a hostile device. */
static void print_verify(FILE *f, const struct swiotlb_sim_spec *sp, const struct swiotlb_sim_verify_result *v)
{
	char hb[80];
	unsigned n = 0;
	for (uint32_t d = 0; d < sp->ndevices; d++)
		n += sp->devices[d].hostile != 0;
	fprintf(f, "\nhostile device%s:", n > 1 ? "s" : "");
	for (uint32_t d = 0; d < sp->ndevices; d++)
		if (sp->devices[d].hostile)
			fprintf(f, " %s (%s)", sp->devices[d].name, hostile_text(hb, sizeof(hb), sp->devices[d].hostile));
	fprintf(f, "\n");
	fprintf(f, "  honest I/O     %.1f MiB verified, %" PRIu64 " bytes wrong\n", mib(v->verified_bytes),
		v->mismatch_bytes);
	fprintf(f, "  originals      %" PRIu64 " bytes of another device in any original; %.1f MiB of private bytes around them checked, %" PRIu64 " changed\n",
		v->leak_bytes, mib(v->guard_bytes), v->stray_bytes);
	fprintf(f, "  metadata       swiotlb_check %" PRIu64 " times, %" PRIu64 " failed\n", v->checks, v->check_failures);
	const struct swiotlb_sim_hostile_result *k = v->kind;
	fprintf(f, "  scribble       %" PRIu64 " times, %.1f MiB written over the pools\n",
		k[SWIOTLB_SIM_HOSTILE_SCRIBBLE].actions, mib(k[SWIOTLB_SIM_HOSTILE_SCRIBBLE].bytes));
	fprintf(f, "  rewrite        %" PRIu64 " bounce buffers rewritten between completion and unmap\n",
		k[SWIOTLB_SIM_HOSTILE_REWRITE].actions);
	fprintf(f, "  double         %" PRIu64 " I/Os completed twice: %" PRIu64 " calls, %" PRIu64 " refused, %" PRIu64 " unexpected\n",
		k[SWIOTLB_SIM_HOSTILE_DOUBLE].actions, k[SWIOTLB_SIM_HOSTILE_DOUBLE].probes,
		k[SWIOTLB_SIM_HOSTILE_DOUBLE].refused, k[SWIOTLB_SIM_HOSTILE_DOUBLE].unexpected);
	fprintf(f, "  lie            %" PRIu64 " wrong lengths: %" PRIu64 " calls, %" PRIu64 " refused, %" PRIu64 " accepted (shorter syncs), %" PRIu64 " unexpected; %" PRIu64 " bytes written past buffers\n",
		k[SWIOTLB_SIM_HOSTILE_LIE].actions, k[SWIOTLB_SIM_HOSTILE_LIE].probes, k[SWIOTLB_SIM_HOSTILE_LIE].refused,
		k[SWIOTLB_SIM_HOSTILE_LIE].accepted, k[SWIOTLB_SIM_HOSTILE_LIE].unexpected, k[SWIOTLB_SIM_HOSTILE_LIE].bytes);
	fprintf(f, "  peek           %" PRIu64 " times, %.1f MiB read: %.1f MiB of other devices' I/O data (shared by design), %" PRIu64 " private bytes\n",
		k[SWIOTLB_SIM_HOSTILE_PEEK].actions, mib(k[SWIOTLB_SIM_HOSTILE_PEEK].bytes), mib(v->peek_foreign_bytes),
		v->peek_private_bytes);
	if (swiotlb_sim_verify_ok(v))
		fprintf(f, "  verdict        kept: no byte reached another device's original, metadata intact, every honest byte right\n");
	else
		fprintf(f, "  verdict        BROKEN: %s\n", v->first_problem);
}

static void json_verify(struct json *j, const struct swiotlb_sim_verify_result *v)
{
	json_key(j, "verify");
	json_object_begin(j);
	json_kv_bool(j, "ok", swiotlb_sim_verify_ok(v));
	json_kv_u64(j, "verified_bytes", v->verified_bytes);
	json_kv_u64(j, "mismatch_bytes", v->mismatch_bytes);
	json_kv_u64(j, "leak_bytes", v->leak_bytes);
	json_kv_u64(j, "guard_bytes", v->guard_bytes);
	json_kv_u64(j, "stray_bytes", v->stray_bytes);
	json_kv_u64(j, "checks", v->checks);
	json_kv_u64(j, "check_failures", v->check_failures);
	json_kv_u64(j, "peek_foreign_bytes", v->peek_foreign_bytes);
	json_kv_u64(j, "peek_private_bytes", v->peek_private_bytes);
	json_key(j, "hostile");
	json_object_begin(j);
	for (unsigned k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++) {
		const struct swiotlb_sim_hostile_result *h = &v->kind[k];
		json_key(j, swiotlb_sim_hostile_name(k));
		json_object_begin(j);
		json_kv_u64(j, "actions", h->actions);
		json_kv_u64(j, "bytes", h->bytes);
		json_kv_u64(j, "probes", h->probes);
		json_kv_u64(j, "refused", h->refused);
		json_kv_u64(j, "accepted", h->accepted);
		json_kv_u64(j, "unexpected", h->unexpected);
		json_object_end(j);
	}
	json_object_end(j);
	json_kv_string(j, "first_problem", v->first_problem);
	json_object_end(j);
}

static void print_run(FILE *f, struct swiotlb *tlb, const struct swiotlb_sim_spec *sp,
		      const struct swiotlb_sim_run_result *rr)
{
	char mb[32];
	fprintf(f, "\njobs:\n");
	for (uint32_t k = 0; k < sp->njobs; k++) {
		const struct swiotlb_sim_job *j = &sp->jobs[k];
		const struct swiotlb_sim_job_result *jr = &rr->job[k];
		double s = (double)jr->elapsed_ns / 1e9;
		fprintf(f, "  %s: %s, %u%% reads, bs %u", text_show(j->name), j->devices[0] ? text_show(j->devices) : "all devices",
			j->rwmixread,
			j->bs_min);
		if (j->bs_max != j->bs_min)
			fprintf(f, "-%u", j->bs_max);
		fprintf(f, ", iodepth %u, ", j->iodepth);
		if (j->ios)
			fprintf(f, "%" PRIu64 " I/Os", j->ios);
		else
			fprintf(f, "for %" PRIu64 " ms", j->runtime_ms);
		fprintf(f, ", %u thread%s over %u queue%s\n", jr->threads, jr->threads == 1 ? "" : "s", jr->queues,
			jr->queues == 1 ? "" : "s");
		fprintf(f, "    %" PRIu64 " I/Os, %.1f MiB in %.2f s: %.0f IOPS, %.1f MiB/s\n", jr->ios,
			(double)jr->bytes / 1048576.0, s, s > 0 ? (double)jr->ios / s : 0.0,
			s > 0 ? (double)jr->bytes / 1048576.0 / s : 0.0);
	}
	fprintf(f, "\ndevices:\n");
	for (uint32_t d = 0; d < sp->ndevices; d++) {
		const struct swiotlb_sim_device *dv = &sp->devices[d];
		const struct swiotlb_sim_dev_result *r = &rr->dev[d];
		fprintf(f, "  %s (%s, %s mask", text_show(dv->name), swiotlb_sim_devtype_name(dv->type),
			mask_text(mb, sizeof(mb), dv->dma_mask));
		if (dv->bus_limit)
			fprintf(f, ", bus limit 0x%" PRIx64, dv->bus_limit);
		if (dv->min_align)
			fprintf(f, ", min_align 0x%" PRIx64, dv->min_align);
		if (dv->hostile)
			fprintf(f, ", hostile");
		fprintf(f, ", %u queue%s x %u): %" PRIu64 " I/Os (%" PRIu64 " reads, %" PRIu64 " writes), %.1f MiB\n",
			dv->queues, dv->queues == 1 ? "" : "s", dv->depth, r->ios, r->reads, r->writes,
			(double)(r->bytes_read + r->bytes_written) / 1048576.0);
		fprintf(f, "    bounced %" PRIu64, r->bounced);
		bool first = true;
		for (int p = 0; p < swiotlb_pool_count(tlb); p++) {
			struct swiotlb_pool_info pi;
			if (!r->per_pool[p] || swiotlb_pool_info(tlb, p, &pi))
				continue;
			fprintf(f, "%s%s %" PRIu64, first ? " (" : ", ", text_show(pi.name), r->per_pool[p]);
			first = false;
		}
		fprintf(f, "%s, direct %" PRIu64 ", full retries %" PRIu64 ", errors %" PRIu64 ", verify errors %" PRIu64
			   ", bus faults %" PRIu64 "\n",
			first ? "" : ")", r->direct, r->retries, r->errors, r->verify_errors, r->faults);
		if (r->first_error[0])
			fprintf(f, "    first error: %s\n", text_show(r->first_error));
	}
	if (rr->verify.active)
		print_verify(f, sp, &rr->verify);
}

static void json_run(struct json *j, struct swiotlb *tlb, const struct swiotlb_sim_spec *sp,
		     const struct swiotlb_sim_run_result *rr)
{
	json_key(j, "jobs");
	json_array_begin(j);
	for (uint32_t k = 0; k < sp->njobs; k++) {
		const struct swiotlb_sim_job *jb = &sp->jobs[k];
		const struct swiotlb_sim_job_result *jr = &rr->job[k];
		json_object_begin(j);
		json_kv_string(j, "name", jb->name);
		json_kv_string(j, "devices", jb->devices);
		json_kv_u64(j, "rwmixread", jb->rwmixread);
		json_kv_u64(j, "bs_min", jb->bs_min);
		json_kv_u64(j, "bs_max", jb->bs_max);
		json_kv_u64(j, "align", jb->align);
		json_kv_u64(j, "iodepth", jb->iodepth);
		json_kv_u64(j, "ios_requested", jb->ios);
		json_kv_u64(j, "runtime_ms", jb->runtime_ms);
		json_kv_u64(j, "seed", jb->seed);
		json_kv_string(j, "buffers", jb->low_buffers ? "low" : "high");
		json_kv_u64(j, "threads", jr->threads);
		json_kv_u64(j, "queues", jr->queues);
		json_kv_u64(j, "ios", jr->ios);
		json_kv_u64(j, "bytes", jr->bytes);
		json_kv_u64(j, "elapsed_ns", jr->elapsed_ns);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "devices");
	json_array_begin(j);
	for (uint32_t d = 0; d < sp->ndevices; d++) {
		const struct swiotlb_sim_device *dv = &sp->devices[d];
		const struct swiotlb_sim_dev_result *r = &rr->dev[d];
		json_object_begin(j);
		json_kv_string(j, "name", dv->name);
		json_kv_string(j, "type", swiotlb_sim_devtype_name(dv->type));
		json_kv_hex(j, "dma_mask", dv->dma_mask);
		json_kv_hex(j, "bus_limit", dv->bus_limit);
		json_kv_hex(j, "min_align_mask", dv->min_align);
		json_kv_hex(j, "seg_boundary_mask", dv->seg_boundary);
		json_kv_u64(j, "queues", dv->queues);
		json_kv_u64(j, "depth", dv->depth);
		json_kv_bool(j, "rx_sync", dv->rx_sync);
		char hb[80];
		json_kv_string(j, "hostile", hostile_text(hb, sizeof(hb), dv->hostile));
		json_kv_u64(j, "ios", r->ios);
		json_kv_u64(j, "reads", r->reads);
		json_kv_u64(j, "writes", r->writes);
		json_kv_u64(j, "bytes_read", r->bytes_read);
		json_kv_u64(j, "bytes_written", r->bytes_written);
		json_kv_u64(j, "bounced", r->bounced);
		json_kv_u64(j, "direct", r->direct);
		json_kv_u64(j, "retries", r->retries);
		json_kv_u64(j, "errors", r->errors);
		json_kv_u64(j, "verify_errors", r->verify_errors);
		json_kv_u64(j, "faults", r->faults);
		if (rr->verify.active) {
			json_kv_u64(j, "verified_bytes", r->verified_bytes);
			json_kv_u64(j, "mismatch_bytes", r->mismatch_bytes);
			json_kv_u64(j, "leak_bytes", r->leak_bytes);
			json_kv_u64(j, "stray_bytes", r->stray_bytes);
		}
		json_key(j, "pools");
		json_object_begin(j);
		for (int p = 0; p < swiotlb_pool_count(tlb); p++) {
			struct swiotlb_pool_info pi;
			if (!swiotlb_pool_info(tlb, p, &pi))
				json_kv_u64(j, pi.name, r->per_pool[p]);
		}
		json_object_end(j);
		json_kv_string(j, "first_error", r->first_error);
		json_object_end(j);
	}
	json_array_end(j);
	if (rr->verify.active)
		json_verify(j, &rr->verify);
}

/* Devices and jobs when the spec names none. */
static void add_defaults(struct swiotlb_sim_spec *sp)
{
	if (!sp->ndevices) {
		swiotlb_sim_device_init(&sp->devices[0], "nvme0", SWIOTLB_SIM_DEV_NVME, sp->machine.cpus);
		sp->ndevices = 1;
	}
	if (!sp->njobs) {
		swiotlb_sim_job_init(&sp->jobs[0], "fio");
		sp->njobs = 1;
	}
}

/* One section: boot, run, check.  0 pass, 1 fail, 2 could not run. */
static int run_one(struct simcli *c, struct swiotlb_sim_spec *sp, bool progress_on, struct json *j,
		   struct trace_writer *tw)
{
	struct swiotlb_sim *sim;
	struct swiotlb *tlb;
	int status = simcli_boot(c, sp, &sim, &tlb);
	if (status)
		return status;
	if (!c->json)
		simcli_print_boot(stdout, sim, tlb, sp, false);
	fflush(stdout);

	struct progress pg = { .on = progress_on, .label = sp->section[0] ? sp->section : "run" };
	struct swiotlb_sim_run_opts ro = { .progress = show_progress, .progress_arg = &pg };
	if (tw) {
		/* how each kind of driver maps its buffers (docs/trace.md) */
		for (uint32_t d = 0; d < sp->ndevices; d++) {
			uint32_t t = sp->devices[d].type;
			trace_writer_device(tw, d, sp->devices[d].name,
					    t == SWIOTLB_SIM_DEV_NVME ? TW_NVME
					    : t == SWIOTLB_SIM_DEV_SCSI || t == SWIOTLB_SIM_DEV_GENERIC ? TW_SG
					    : TW_SINGLE);
		}
		swiotlb_set_event_hook(tlb, trace_writer_hook, tw);
		ro.dma_event = trace_writer_sim_event;
		ro.dma_event_arg = tw;
	}
	struct swiotlb_sim_run_result *rr = calloc(1, sizeof(*rr));
	char err[600] = "";
	if (!rr || swiotlb_sim_run(sim, tlb, sp->devices, sp->ndevices, sp->jobs, sp->njobs, &ro, rr, err, sizeof(err))) {
		simcli_error(c, "%s%s%s", sp->section[0] ? sp->section : "", sp->section[0] ? ": " : "",
			     rr ? err : "out of memory");
		free(rr);
		swiotlb_destroy(tlb);
		swiotlb_sim_destroy(sim);
		return 2;
	}
	if (progress_on)
		fprintf(stderr, "\r\033[K");

	struct swiotlb_sim_results *res = swiotlb_sim_results_collect(sim, tlb, sp, rr);
	uint64_t bad_data = 0, io_errors = 0;
	for (uint32_t d = 0; d < sp->ndevices; d++) {
		bad_data += rr->dev[d].verify_errors + rr->dev[d].faults;
		io_errors += rr->dev[d].errors;
	}
	bool kept = swiotlb_sim_verify_ok(&rr->verify);
	bool ok = !bad_data && kept && (sp->nexpect || !io_errors);
	unsigned failed = 0;
	char msg[600];

	char *final_text = simcli_stats_text(tlb);

	if (c->json) {
		json_object_begin(j);
		json_kv_string(j, "section", sp->section);
		simcli_json_boot(j, sim, tlb, sp);
		json_run(j, tlb, sp, rr);
		json_key(j, "peak");
		simcli_json_stats_text(j, rr->peak);
		json_key(j, "stats");
		simcli_json_stats(j, tlb);
		json_key(j, "results");
		json_object_begin(j);
		for (size_t i = 0; i < swiotlb_sim_results_count(res); i++)
			json_kv_string(j, swiotlb_sim_results_key(res, i),
				       swiotlb_sim_results_get(res, swiotlb_sim_results_key(res, i)));
		json_object_end(j);
		json_key(j, "expect");
		json_array_begin(j);
	} else {
		print_run(stdout, tlb, sp, rr);
		printf("\n");
		simcli_print_stats(stdout, "/sys/kernel/debug/swiotlb while the I/O ran (half of it issued):", rr->peak);
		printf("\n");
		simcli_print_stats(stdout, "/sys/kernel/debug/swiotlb after the run:", final_text);
		if (sp->nexpect)
			printf("\nexpectations:\n");
	}
	for (uint32_t k = 0; k < sp->nexpect; k++) {
		const struct swiotlb_sim_expect *e = &sp->expect[k];
		bool hold = swiotlb_sim_expect_check(res, sim, e, msg, sizeof(msg));
		failed += !hold;
		char text[300];
		if (e->op[0])
			snprintf(text, sizeof(text), "%s %s %s", e->key, e->op, e->value);
		else
			snprintf(text, sizeof(text), "%s \"%s\"", e->key, e->value);
		if (c->json) {
			json_object_begin(j);
			json_kv_u64(j, "line", e->line);
			json_kv_string(j, "expect", text);
			json_kv_bool(j, "ok", hold);
			json_kv_string(j, "found", msg);
			json_object_end(j);
		} else {
			char at[32] = "";
			if (e->line)
				snprintf(at, sizeof(at), "line %u: ", e->line);
			printf("  %-4s %s%s  [%s]\n", hold ? "ok" : "FAIL", at, text_show(text), text_show(msg));
		}
	}
	ok = ok && !failed;
	if (c->json) {
		json_array_end(j);
		json_kv_bool(j, "ok", ok);
		json_object_end(j);
	} else {
		printf("\nresult: %s", ok ? "PASS" : "FAIL");
		if (bad_data)
			printf(" (%" PRIu64 " I/Os arrived wrong or were refused by the bus)", bad_data);
		else if (!kept)
			printf(" (the hostile device got through: %s)", rr->verify.first_problem);
		else if (failed)
			printf(" (%u of %u expectations failed)", failed, sp->nexpect);
		else if (!ok)
			printf(" (%" PRIu64 " I/Os failed)", io_errors);
		else
			printf(" (every byte verified%s)", sp->nexpect ? ", every expectation held" : "");
		printf("\n");
	}
	free(final_text);
	swiotlb_sim_results_free(res);
	swiotlb_sim_run_free(rr);
	free(rr);
	swiotlb_destroy(tlb);
	swiotlb_sim_destroy(sim);
	return ok ? 0 : 1;
}

int cmd_run(int argc, char **argv)
{
	enum { NO_PROGRESS = SIMCLI_END, TRACE };
	static const struct tool_opt opts[] = {
		SIMCLI_OPTIONS, SIMCLI_RUN_OPTIONS, { "no-progress", NO_PROGRESS, false }, { "trace", TRACE, true },
		{ "help", 'h', false },
	};
	struct simcli c = { .cmd = "run" };
	bool no_progress = false;
	const char *trace = NULL;
	struct tool_getopt g;
	tool_getopt_init(&g, "swiotlb run", opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int k; (k = tool_getopt(&g)) != OPT_END;) {
		if (k == 'h') {
			usage(stdout);
			simcli_free(&c);
			return 0;
		}
		if (k == NO_PROGRESS) {
			no_progress = true;
			continue;
		}
		if (k == TRACE) {
			trace = g.arg;
			if (!*trace) {
				tool_usage_error(&g, "--trace: needs a file name");
				simcli_free(&c);
				return 2;
			}
			continue;
		}
		if (k == OPT_ERROR || simcli_option(&c, &g, k)) {
			simcli_free(&c);
			return 2;
		}
	}
	/* the scenario: one operand, or --machine-file */
	for (int i = tool_operands(&g); i < argc; i++) {
		if (c.file) {
			tool_usage_error(&g, "one scenario at a time ('%s' and '%s')", c.file, argv[i]);
			simcli_free(&c);
			return 2;
		}
		c.file = argv[i];
	}
	struct swiotlb_sim_spec *specs;
	unsigned n;
	int status = simcli_specs(&c, true, &specs, &n);
	if (status) {
		simcli_free(&c);
		return status;
	}
	if (trace && n > 1) {
		simcli_error(&c, "--trace: the scenario has %u sections: trace one at a time (--section NAME)", n);
		free(specs);
		simcli_free(&c);
		return 2;
	}
	struct trace_writer *tw = NULL;
	if (trace && !(tw = trace_writer_open(trace, "swiotlb-run"))) {
		simcli_error(&c, "--trace: %s: %s", trace, strerror(errno));
		free(specs);
		simcli_free(&c);
		return 2;
	}
	bool progress_on = !no_progress && !c.json && isatty(STDERR_FILENO);
	struct json j;
	json_init(&j);
	if (c.json) {
		json_object_begin(&j);
		json_kv_u64(&j, "format", 1);
		json_kv_string(&j, "command", "run");
		json_key(&j, "runs");
		json_array_begin(&j);
	}
	unsigned passed = 0;
	for (unsigned s = 0; s < n && status != 2; s++) {
		add_defaults(&specs[s]);
		if (!c.json && (n > 1 || specs[s].section[0]))
			printf("%s==== [%s] ====\n\n", s ? "\n" : "", text_show(specs[s].section));
		int r = run_one(&c, &specs[s], progress_on, &j, tw);
		if (r > status)
			status = r;
		passed += r == 0;
	}
	if (c.json && status != 2) {
		json_array_end(&j);
		json_kv_bool(&j, "ok", status == 0);
		json_object_end(&j);
		printf("%s\n", json_text(&j));
	} else if (!c.json && n > 1 && status != 2) {
		printf("\n%u of %u sections passed\n", passed, n);
	}
	json_free(&j);
	if (tw && trace_writer_close(tw)) {
		simcli_error(&c, "--trace: %s: %s", trace, strerror(errno));
		status = 2;
	}
	free(specs);
	simcli_free(&c);
	return status;
}
