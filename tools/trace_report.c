/* SPDX-License-Identifier: MIT */
/*
 * What `swiotlb trace` prints: the human report and the swiotlb-trace JSON
 * document (format version 1, a stable interface described in
 * docs/trace.md: keys are only ever added).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "trace.h"

static const char *file_name(const struct trace_model *m, uint32_t f)
{
	return f < m->nfiles ? m->files[f] : "?";
}

static void human_bytes(char *buf, size_t n, uint64_t b)
{
	if (b >= (1ull << 30) && !(b % (1ull << 30)))
		snprintf(buf, n, "%" PRIu64 " GiB", b >> 30);
	else if (b >= (1ull << 20))
		snprintf(buf, n, "%.1f MiB", (double)b / 1048576.0);
	else if (b >= 1024)
		snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
	else
		snprintf(buf, n, "%" PRIu64 " bytes", b);
}

static const char *dev_name(const struct trace_model *m, int d)
{
	return d >= 0 && (uint32_t)d < m->ndevs ? m->devs[d]->name : "(no device named)";
}

/* ------------------------------------------------------------ text */

static void text_config(FILE *f, const struct trace_model *m)
{
	bool any = m->cmdline[0] || m->nknown || m->cpus || m->area_num || m->cc || m->has_adjusted_to ||
		   m->has_roundup || m->has_adjusted_slabs || m->alloc_failed || m->ne820;
	if (!any)
		return;
	char b[32];
	fprintf(f, "\nConfiguration shown by the log\n");
	if (m->cmdline[0])
		fprintf(f, "  command line       %s\n", m->cmdline);
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_pool *p = &m->pools[i];
		if (!p->known)
			continue;
		human_bytes(b, sizeof(b), p->end - p->start);
		fprintf(f, "  pool %-13s [0x%" PRIx64 "-0x%" PRIx64 ") %s = %" PRIu64 " slots (%s)\n", p->name, p->start,
			p->end, b, (p->end - p->start) >> 11, p->source);
	}
	if (m->ne820) {
		human_bytes(b, sizeof(b), m->e820_usable);
		fprintf(f, "  e820               %u ranges, %s usable\n", m->ne820, b);
	}
	if (m->cpus)
		fprintf(f, "  CPUs               %u\n", m->cpus);
	if (m->area_num)
		fprintf(f, "  areas              %u\n", m->area_num);
	if (m->cc)
		fprintf(f, "  memory encryption  %s\n", m->cc_what);
	if (m->has_adjusted_to)
		fprintf(f, "  size adjusted to   %" PRIu64 " MB (the confidential-guest 6 %% rule)\n", m->adjusted_to_mb);
	if (m->has_roundup)
		fprintf(f, "  size rounded up to %" PRIu64 " MB (a power of two for the areas)\n", m->roundup_mb);
	if (m->has_adjusted_slabs)
		fprintf(f, "  allocation halved  %" PRIu64 " -> %" PRIu64 " slots: low memory did not hold the pool\n",
			m->adjusted_from, m->adjusted_slabs);
	if (m->alloc_failed)
		fprintf(f, "  'Failed to allocate' lines: %" PRIu64 "\n", m->alloc_failed);
}

static void text_failures(FILE *f, const struct trace_model *m)
{
	if (!m->nfails) {
		if (m->events[TN_FULL] == 0)
			fprintf(f, "\nNo swiotlb failure message in the input.\n");
		return;
	}
	fprintf(f, "\nFailures: %zu", m->nfails);
	const char *sep = " (";
	for (int c = 0; c < CAUSE_COUNT; c++)
		if (m->causes[c]) {
			fprintf(f, "%s%s %" PRIu64, sep, trace_cause_name(c), m->causes[c]);
			sep = ", ";
		}
	fprintf(f, ")\n");
	/* grouped by device and cause: a quadratic pass over the groups is fine,
	 * there are few */
	bool *done = calloc(m->nfails, 1);
	for (size_t i = 0; i < m->nfails; i++) {
		if (done && done[i])
			continue;
		const struct trace_failure *a = &m->fails[i];
		uint64_t n = 0, smin = UINT64_MAX, smax = 0, nmin = UINT64_MAX, nmax = 0;
		const struct trace_failure *last = a;
		for (size_t j = i; j < m->nfails; j++) {
			const struct trace_failure *b = &m->fails[j];
			if (b->dev != a->dev || b->ex.cause != a->ex.cause)
				continue;
			if (done)
				done[j] = true;
			n++;
			last = b;
			if (b->has_size) {
				smin = b->size < smin ? b->size : smin;
				smax = b->size > smax ? b->size : smax;
				nmin = b->ex.slots_needed < nmin ? b->ex.slots_needed : nmin;
				nmax = b->ex.slots_needed > nmax ? b->ex.slots_needed : nmax;
			}
		}
		fprintf(f, "  %s: %s x%" PRIu64, dev_name(m, a->dev), trace_cause_name(a->ex.cause), n);
		if (smax) {
			if (smin == smax)
				fprintf(f, ", %" PRIu64 " bytes = %" PRIu64 " slots needed", smax, nmax);
			else
				fprintf(f, ", %" PRIu64 "-%" PRIu64 " bytes = %" PRIu64 "-%" PRIu64 " slots needed", smin,
					smax, nmin, nmax);
		}
		if (a->has_total)
			fprintf(f, "; pool %" PRIu64 " slots, %" PRIu64 " used", a->total, a->used);
		fprintf(f, "\n    %s:%" PRIu64, file_name(m, a->file), a->line);
		if (n > 1)
			fprintf(f, " ... %s:%" PRIu64, file_name(m, last->file), last->line);
		fprintf(f, "\n    %s\n", trace_advice(a->ex.cause));
	}
	free(done);
	if (m->suppressed)
		fprintf(f, "  %" PRIu64 " more messages were dropped by the kernel's rate limiter (callbacks suppressed).\n",
			m->suppressed);
}

static void text_devices(FILE *f, const struct trace_model *m)
{
	if (!m->ndevs)
		return;
	fprintf(f, "\nDevices\n  %-20s %-18s %8s %7s %9s %9s %9s %7s %6s %6s %9s\n", "name", "dma_mask", "bounced",
		"forced", "max size", "maps", "bounced", "failed", "peak", "leaks", "no map");
	fprintf(f, "  %-20s %-18s %8s %7s %9s %9s %9s %7s %6s %6s %9s\n", "", "", "events", "", "bytes", "", "maps",
		"maps", "slots", "", "unmaps");
	for (uint32_t i = 0; i < m->ndevs; i++) {
		const struct trace_device *d = m->devs[i];
		char mask[24];
		if (d->has_mask)
			snprintf(mask, sizeof(mask), "0x%" PRIx64, d->dma_mask);
		else
			snprintf(mask, sizeof(mask), "-");
		fprintf(f, "  %-20s %-18s %8" PRIu64 " %7" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64
			   " %6" PRIu64 " %6" PRIu64 " %9" PRIu64 "\n",
			d->name, mask, d->bounces, d->forced, d->max_size, d->maps, d->bounced_maps, d->failed_maps,
			d->peak_slots, d->leaks, d->unmatched_unmaps);
	}
}

static void text_load(FILE *f, const struct trace_model *m)
{
	char b[32];
	if (!m->dma_events) {
		if (m->events[TN_SWIOTLB_BOUNCED]) {
			fprintf(f, "\nLoad: the input has swiotlb_bounced events only.  They show which devices bounce, "
				   "their masks and sizes,\nbut no kernel traces an unmap, so occupancy needs the dma: "
				   "events (Linux 6.12 and later):\n"
				   "  echo 1 > /sys/kernel/tracing/events/dma/enable\n"
				   "  echo 1 > /sys/kernel/tracing/events/swiotlb/enable\n"
				   "  cat /sys/kernel/tracing/trace_pipe > dma.trace\n");
			double span = m->any_ts ? m->last_ts - m->first_ts : 0;
			if (span > 0)
				fprintf(f, "  bounce rate: %.0f/s over %.3f s\n",
					(double)m->events[TN_SWIOTLB_BOUNCED] / span, span);
		}
	} else {
		fprintf(f, "\nLoad reconstructed from the dma: events\n");
		fprintf(f, "  maps %" PRIu64 " (bounced %" PRIu64 ", failed %" PRIu64 "), unmaps %" PRIu64
			   ", unmaps with no map %" PRIu64 "\n",
			m->maps, m->bounced_maps, m->failed_maps, m->unmaps, m->unmatched_unmaps);
		human_bytes(b, sizeof(b), m->peak_total_slots * 2048);
		fprintf(f, "  peak in use: %" PRIu64 " slots (%s of slots, %" PRIu64 " bytes mapped) at %.6f s\n",
			m->peak_total_slots, b, m->peak_total_bytes, m->peak_total_time);
		for (uint32_t i = 0; i < m->npools; i++) {
			const struct trace_pool *p = &m->pools[i];
			if (!p->maps)
				continue;
			fprintf(f, "  pool %-12s peak %" PRIu64 " slots", p->name, p->peak_slots);
			if (p->known)
				fprintf(f, " of %" PRIu64 " (%.1f %%)", (p->end - p->start) >> 11,
					100.0 * (double)p->peak_slots / (double)((p->end - p->start) >> 11));
			fprintf(f, " at %.6f s, %" PRIu64 " bounced maps\n", p->peak_time, p->maps);
		}
		double span = m->dma_last_ts - m->dma_first_ts;
		if (span > 0)
			fprintf(f, "  bounced map rate: %.0f/s over %.3f s\n", (double)m->bounced_maps / span, span);
		if (m->bounced_maps) {
			fprintf(f, "  request sizes (slots):");
			for (unsigned k = 0; k < TRACE_HIST_BUCKETS; k++)
				if (m->hist[k])
					fprintf(f, " %s:%" PRIu64, trace_hist_label(k), m->hist[k]);
			fprintf(f, "\n");
		}
		uint64_t leaks = 0, lslots = 0;
		for (uint32_t i = 0; i < m->ndevs; i++) {
			leaks += m->devs[i]->leaks;
			lslots += m->devs[i]->leaked_slots;
		}
		if (leaks)
			fprintf(f, "  never unmapped (mapped before the last tenth of the trace): %" PRIu64 " mappings, %" PRIu64
				   " slots; a count that grows with the run is a driver leak, which no pool size fixes\n",
				leaks, lslots);
		if (m->sg_truncated)
			fprintf(f, "  %" PRIu64 " dma_map_sg events were [TRUNCATED] at 128 entries: their other entries are "
				   "unknown\n",
				m->sg_truncated);
		if (m->remapped)
			fprintf(f, "  %" PRIu64 " device addresses were mapped again while live: their unmaps are missing\n",
				m->remapped);
	}
	if (m->lost_events)
		fprintf(f, "  the trace lost %" PRIu64 " events (ring buffer overrun): counts are lower bounds\n",
			m->lost_events);
	bool dbg_header = false;
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_pool *p = &m->pools[i];
		if (!p->dbg)
			continue;
		if (!dbg_header)
			fprintf(f, "\ndebugfs snapshots (%" PRIu64 " lines)\n", m->events[TN_DEBUGFS]);
		dbg_header = true;
		fprintf(f, "  %-12s io_tlb_nslabs %" PRIu64 ", io_tlb_used up to %" PRIu64
			   ", io_tlb_used_hiwater %" PRIu64,
			p->name, p->dbg_nslabs, p->dbg_used_max, p->dbg_hiwater);
		if (p->dbg_transient)
			fprintf(f, ", io_tlb_transient_nslabs %" PRIu64, p->dbg_transient);
		fprintf(f, "\n");
	}
}

void trace_report_text(FILE *f, const struct trace_model *m)
{
	fprintf(f, "swiotlb trace: %u file%s, %" PRIu64 " lines: %" PRIu64 " unknown (skipped), %" PRIu64 " malformed\n",
		m->nfiles, m->nfiles == 1 ? "" : "s", m->lines, m->skipped, m->malformed);
	text_config(f, m);
	text_failures(f, m);
	text_devices(f, m);
	text_load(f, m);
}

void trace_report_replay_text(FILE *f, const struct trace_model *m, const struct trace_replay_result *r)
{
	fprintf(f, "\nReplay through libswiotlb with %s\n", r->cmdline[0] ? r->cmdline : "the default configuration");
	if (!r->ok) {
		fprintf(f, "  not run: %s\n", r->error);
		return;
	}
	for (uint32_t i = 0; i < r->npools; i++) {
		fprintf(f, "  pool %-10s %" PRIu64 " slots at [0x%" PRIx64 "-0x%" PRIx64 "): high-water %" PRIu64
			   ", largest free run at the peak %" PRIu64 "\n",
			r->pools[i].name, r->pools[i].nslabs, r->pools[i].base, r->pools[i].end, r->pools[i].hiwater,
			r->pools[i].largest_free_at_peak);
		for (uint32_t d = 0; d < m->ndevs && d < 64; d++)
			if (r->pools[i].served[d])
				fprintf(f, "    served %s: %" PRIu64 " maps\n", m->devs[d]->name, r->pools[i].served[d]);
	}
	fprintf(f, "  maps %" PRIu64 ", unmaps %" PRIu64 ", failures %" PRIu64, r->maps, r->unmaps, r->failures);
	for (int c = 0; c < CAUSE_COUNT; c++)
		if (r->fail_cause[c])
			fprintf(f, ", %s %" PRIu64, trace_cause_name(c), r->fail_cause[c]);
	if (r->fail_unreachable)
		fprintf(f, ", unreachable %" PRIu64, r->fail_unreachable);
	if (r->fail_other)
		fprintf(f, ", other %" PRIu64, r->fail_other);
	fprintf(f, "\n");
}

void trace_report_advice_text(FILE *f, const struct trace_model *m, const struct trace_advice *a)
{
	(void)m;
	fprintf(f, "\nRecommendation\n");
	if (a->recommended < 0) {
		fprintf(f, "  none: %s\n", a->why);
		return;
	}
	fprintf(f, "  %-32s %-24s %10s %12s %9s %9s\n", "configuration", "command line", "slots", "size", "failures",
		"hiwater");
	for (uint32_t i = 0; i < a->nrows; i++) {
		const struct trace_advice_row *w = &a->rows[i];
		char b[32];
		human_bytes(b, sizeof(b), w->bytes);
		fprintf(f, "  %-32s %-24s %10" PRIu64 " %12s", w->label, w->cmdline, w->slots, b);
		if (w->res.ok)
			fprintf(f, " %9" PRIu64 " %9" PRIu64, w->res.failures, w->res.hiwater);
		else
			fprintf(f, " %9s %9s", "-", "-");
		fprintf(f, "\n");
		if (w->note[0])
			fprintf(f, "  %-32s (%s)\n", "", w->note);
	}
	const struct trace_advice_row *r = &a->rows[a->recommended];
	char b[32];
	human_bytes(b, sizeof(b), r->bytes);
	fprintf(f, "\n  %s\n", a->why);
	fprintf(f, "  Put on the kernel command line:\n\n      %s\n\n", r->cmdline);
	fprintf(f, "  That is %" PRIu64 " slots of 2 KiB = %" PRIu64 " bytes (%s); swiotlb= counts slots, not bytes.\n",
		r->slots, r->bytes, b);
	if (a->headroom_got > 0)
		fprintf(f, "  Headroom over the %s: %.0f %% (asked: %.0f %%).\n",
			a->from_dma ? "replayed high-water mark" : "demand the input shows", a->headroom_got * 100,
			a->headroom * 100);
	if (a->low_ram && r->bytes > a->low_ram / 2)
		fprintf(f, "  Caution: the pool is allocated below 4 GiB, where this machine has %" PRIu64
			   " MiB of usable RAM;\n  the kernel halves a pool that does not fit, and guests before 5.19 "
			   "panic instead.\n",
			a->low_ram >> 20);
	if (a->too_large)
		fprintf(f, "  %" PRIu64 " failures were too_large: no size fixes them (see above).\n", a->too_large);
}

/* ------------------------------------------------------------ JSON */

static void kv_opt_u64(struct json *j, const char *k, bool has, uint64_t v)
{
	json_key(j, k);
	if (has)
		json_u64(j, v);
	else
		json_null(j);
}

static void json_replay(struct json *j, const struct trace_model *m, const struct trace_replay_result *r)
{
	json_object_begin(j);
	json_kv_string(j, "cmdline", r->cmdline);
	json_kv_bool(j, "ok", r->ok);
	if (!r->ok) {
		json_kv_string(j, "error", r->error);
		json_object_end(j);
		return;
	}
	json_kv_u64(j, "maps", r->maps);
	json_kv_u64(j, "unmaps", r->unmaps);
	json_kv_u64(j, "failures", r->failures);
	json_key(j, "causes");
	json_object_begin(j);
	for (int c = 0; c < CAUSE_COUNT; c++)
		json_kv_u64(j, trace_cause_name(c), r->fail_cause[c]);
	json_kv_u64(j, "unreachable", r->fail_unreachable);
	json_kv_u64(j, "other", r->fail_other);
	json_object_end(j);
	json_kv_u64(j, "hiwater", r->hiwater);
	json_key(j, "pools");
	json_array_begin(j);
	for (uint32_t i = 0; i < r->npools; i++) {
		json_object_begin(j);
		json_kv_string(j, "name", r->pools[i].name);
		json_kv_u64(j, "slots", r->pools[i].nslabs);
		json_kv_hex(j, "base", r->pools[i].base);
		json_kv_hex(j, "end", r->pools[i].end);
		json_kv_u64(j, "hiwater", r->pools[i].hiwater);
		json_kv_u64(j, "largest_free_at_peak", r->pools[i].largest_free_at_peak);
		json_key(j, "served");
		json_object_begin(j);
		for (uint32_t d = 0; d < m->ndevs && d < 64; d++)
			if (r->pools[i].served[d])
				json_kv_u64(j, m->devs[d]->name, r->pools[i].served[d]);
		json_object_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void json_peak(struct json *j, uint64_t slots, uint64_t bytes, double t, bool has_t)
{
	json_object_begin(j);
	json_kv_u64(j, "slots", slots);
	json_kv_u64(j, "bytes", bytes);
	json_key(j, "time");
	if (has_t) {
		char b[40];
		int n = snprintf(b, sizeof(b), "%.6f", t);
		json_raw(j, b, (size_t)n);
	} else {
		json_null(j);
	}
	json_object_end(j);
}

void trace_report_json(FILE *f, const struct trace_model *m, const char *command, const struct trace_replay_result *r,
		       const struct trace_advice *a)
{
	struct json j;
	json_init(&j);
	json_object_begin(&j);
	json_kv_string(&j, "format", "swiotlb-trace");
	json_kv_u64(&j, "version", 1);
	json_kv_string(&j, "command", command);
	json_key(&j, "files");
	json_array_begin(&j);
	for (uint32_t i = 0; i < m->nfiles; i++)
		json_string(&j, m->files[i]);
	json_array_end(&j);
	json_kv_u64(&j, "lines", m->lines);
	json_kv_u64(&j, "skipped", m->skipped);
	json_kv_u64(&j, "malformed", m->malformed);
	json_key(&j, "malformed_lines");
	json_array_begin(&j);
	for (uint32_t i = 0; i < m->nmalformed_listed; i++) {
		const struct trace_malformed *b = &m->malformed_list[i];
		json_object_begin(&j);
		json_kv_string(&j, "file", file_name(m, b->file));
		json_kv_u64(&j, "line", b->line);
		json_kv_string(&j, "event", tev_name_str(b->name));
		json_kv_string(&j, "why", b->why);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "events");
	json_object_begin(&j);
	for (int i = 1; i < TN_COUNT; i++)
		if (m->events[i])
			json_kv_u64(&j, tev_name_str(i), m->events[i]);
	json_object_end(&j);
	json_kv_u64(&j, "lost_events", m->lost_events);

	json_key(&j, "config");
	json_object_begin(&j);
	json_key(&j, "cmdline");
	if (m->cmdline[0])
		json_string(&j, m->cmdline);
	else
		json_null(&j);
	kv_opt_u64(&j, "cpus", m->cpus != 0, m->cpus);
	kv_opt_u64(&j, "area_num", m->area_num != 0, m->area_num);
	kv_opt_u64(&j, "memory_bytes", m->mem_total || m->e820_usable, m->mem_total ? m->mem_total : m->e820_usable);
	json_key(&j, "memory_encryption");
	if (m->cc)
		json_string(&j, m->cc_what);
	else
		json_null(&j);
	kv_opt_u64(&j, "adjusted_to_mb", m->has_adjusted_to, m->adjusted_to_mb);
	kv_opt_u64(&j, "roundup_mb", m->has_roundup, m->roundup_mb);
	kv_opt_u64(&j, "adjusted_slabs", m->has_adjusted_slabs, m->adjusted_slabs);
	json_kv_u64(&j, "alloc_failed", m->alloc_failed);
	json_object_end(&j);

	json_key(&j, "devices");
	json_array_begin(&j);
	for (uint32_t i = 0; i < m->ndevs; i++) {
		const struct trace_device *d = m->devs[i];
		json_object_begin(&j);
		json_kv_string(&j, "name", d->name);
		json_key(&j, "dma_mask");
		if (d->has_mask)
			json_hex(&j, d->dma_mask);
		else
			json_null(&j);
		json_kv_u64(&j, "bounces", d->bounces);
		json_kv_u64(&j, "max_size", d->max_size);
		json_kv_u64(&j, "forced", d->forced);
		json_kv_u64(&j, "maps", d->maps);
		json_kv_u64(&j, "bounced_maps", d->bounced_maps);
		json_kv_u64(&j, "failed_maps", d->failed_maps);
		json_kv_u64(&j, "unmaps", d->unmaps);
		json_kv_u64(&j, "unmatched_unmaps", d->unmatched_unmaps);
		json_kv_u64(&j, "syncs", d->syncs);
		json_kv_u64(&j, "peak_slots", d->peak_slots);
		json_kv_u64(&j, "leaks", d->leaks);
		json_kv_u64(&j, "leaked_slots", d->leaked_slots);
		json_key(&j, "histogram");
		json_object_begin(&j);
		for (unsigned k = 0; k < TRACE_HIST_BUCKETS; k++)
			if (d->hist[k])
				json_kv_u64(&j, trace_hist_label(k), d->hist[k]);
		json_object_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "failures");
	json_array_begin(&j);
	for (size_t i = 0; i < m->nfails; i++) {
		const struct trace_failure *x = &m->fails[i];
		json_object_begin(&j);
		json_kv_string(&j, "file", file_name(m, x->file));
		json_kv_u64(&j, "line", x->line);
		json_key(&j, "device");
		if (x->dev >= 0)
			json_string(&j, m->devs[x->dev]->name);
		else
			json_null(&j);
		json_kv_string(&j, "message", tev_name_str(x->kind == TEV_FULL ? TN_FULL
						       : x->kind == TEV_OUT_OF_SPACE ? TN_OUT_OF_SPACE
						       : x->kind == TEV_COHERENT_FAILED ? TN_COHERENT_FAILED
						       : x->kind == TEV_NO_BUFFER ? TN_NO_BUFFER
										  : TN_NEVER_FIT));
		kv_opt_u64(&j, "size", x->has_size, x->size);
		kv_opt_u64(&j, "total", x->has_total, x->total);
		kv_opt_u64(&j, "used", x->has_used, x->used);
		kv_opt_u64(&j, "largest_free", x->has_largest, x->largest);
		json_kv_string(&j, "cause", trace_cause_name(x->ex.cause));
		kv_opt_u64(&j, "slots_needed", x->ex.has_slots, x->ex.slots_needed);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "causes");
	json_object_begin(&j);
	for (int c = 0; c < CAUSE_COUNT; c++) {
		json_key(&j, trace_cause_name(c));
		json_object_begin(&j);
		json_kv_u64(&j, "count", m->causes[c]);
		json_kv_string(&j, "advice", trace_advice(c));
		json_object_end(&j);
	}
	json_object_end(&j);
	json_kv_u64(&j, "suppressed", m->suppressed);

	json_key(&j, "pools");
	json_array_begin(&j);
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_pool *p = &m->pools[i];
		json_object_begin(&j);
		json_kv_string(&j, "name", p->name);
		json_kv_string(&j, "source", p->known ? p->source : p->dbg ? "debugfs" : "trace");
		if (p->known) {
			json_kv_hex(&j, "start", p->start);
			json_kv_hex(&j, "end", p->end);
			json_kv_u64(&j, "slots", (p->end - p->start) >> 11);
			json_kv_u64(&j, "bytes", p->end - p->start);
		} else {
			json_key(&j, "start");
			json_null(&j);
			json_key(&j, "end");
			json_null(&j);
			kv_opt_u64(&j, "slots", p->dbg_nslabs != 0, p->dbg_nslabs);
			kv_opt_u64(&j, "bytes", p->dbg_nslabs != 0, p->dbg_nslabs * 2048);
		}
		json_kv_u64(&j, "bounced_maps", p->maps);
		json_key(&j, "debugfs");
		if (p->dbg) {
			json_object_begin(&j);
			json_kv_u64(&j, "io_tlb_nslabs", p->dbg_nslabs);
			json_kv_u64(&j, "io_tlb_used_max", p->dbg_used_max);
			json_kv_u64(&j, "io_tlb_used_hiwater", p->dbg_hiwater);
			json_kv_u64(&j, "io_tlb_transient_nslabs", p->dbg_transient);
			json_object_end(&j);
		} else {
			json_null(&j);
		}
		json_object_end(&j);
	}
	json_array_end(&j);

	json_key(&j, "peak");
	json_object_begin(&j);
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_pool *p = &m->pools[i];
		if (!p->has_peak)
			continue;
		json_key(&j, p->name);
		json_peak(&j, p->peak_slots, p->peak_bytes, p->peak_time, m->any_ts);
	}
	json_object_end(&j);
	json_key(&j, "load");
	json_object_begin(&j);
	json_kv_bool(&j, "dma_events", m->dma_events);
	json_kv_u64(&j, "maps", m->maps);
	json_kv_u64(&j, "bounced_maps", m->bounced_maps);
	json_kv_u64(&j, "failed_maps", m->failed_maps);
	json_kv_u64(&j, "unmaps", m->unmaps);
	json_kv_u64(&j, "unmatched_unmaps", m->unmatched_unmaps);
	json_kv_u64(&j, "remapped_while_live", m->remapped);
	json_kv_u64(&j, "sg_truncated", m->sg_truncated);
	{
		double span = m->dma_last_ts - m->dma_first_ts;
		char b[48];
		int n = snprintf(b, sizeof(b), "%.1f", span > 0 ? (double)m->bounced_maps / span : 0.0);
		json_key(&j, "bounced_maps_per_second");
		json_raw(&j, b, (size_t)n);
	}
	json_key(&j, "peak");
	json_peak(&j, m->peak_total_slots, m->peak_total_bytes, m->peak_total_time, m->any_ts && m->peak_total_slots);
	json_key(&j, "histogram");
	json_object_begin(&j);
	for (unsigned k = 0; k < TRACE_HIST_BUCKETS; k++)
		if (m->hist[k])
			json_kv_u64(&j, trace_hist_label(k), m->hist[k]);
	json_object_end(&j);
	json_object_end(&j);

	if (r) {
		json_key(&j, "replay");
		json_replay(&j, m, r);
	}
	if (a) {
		json_key(&j, "advise");
		json_object_begin(&j);
		json_key(&j, "recommended");
		if (a->recommended >= 0) {
			const struct trace_advice_row *w = &a->rows[a->recommended];
			json_object_begin(&j);
			json_kv_string(&j, "cmdline", w->cmdline);
			json_kv_u64(&j, "slots", w->slots);
			json_kv_u64(&j, "bytes", w->bytes);
			json_object_end(&j);
		} else {
			json_null(&j);
		}
		json_kv_string(&j, "why", a->why);
		char b[32];
		int n = snprintf(b, sizeof(b), "%.4f", a->headroom);
		json_key(&j, "headroom");
		json_raw(&j, b, (size_t)n);
		json_kv_bool(&j, "from_dma_events", a->from_dma);
		json_kv_u64(&j, "too_large", a->too_large);
		json_key(&j, "candidates");
		json_array_begin(&j);
		for (uint32_t i = 0; i < a->nrows; i++) {
			const struct trace_advice_row *w = &a->rows[i];
			json_object_begin(&j);
			json_kv_string(&j, "label", w->label);
			json_kv_string(&j, "cmdline", w->cmdline);
			json_kv_u64(&j, "slots", w->slots);
			json_kv_u64(&j, "bytes", w->bytes);
			if (w->note[0])
				json_kv_string(&j, "note", w->note);
			json_key(&j, "replay");
			if (w->res.ok || w->res.error[0])
				json_replay(&j, m, &w->res);
			else
				json_null(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_object_end(&j);
	fprintf(f, "%s\n", json_text(&j));
	json_free(&j);
}
