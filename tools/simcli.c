/* SPDX-License-Identifier: MIT */
/*
 * Shared by `swiotlb boot` and `swiotlb run` (see simcli.h).  Options become
 * lines of the machine-file format, applied after the file's own lines, so
 * an option overrides the file and reports errors the way a file line does.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "simcli.h"
#include "text.h"

/* Messages quote the machine file and the options: shown made safe. */
void simcli_error(const struct simcli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "swiotlb %s: ", c->cmd);
	va_start(ap, fmt);
	text_vprintf(stderr, false, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int add_override(struct simcli *c, const char *option, const char *keyword, const char *value)
{
	if (c->noverride >= SIMCLI_MAX_OVERRIDES) {
		simcli_error(c, "%s: too many options", option);
		return -1;
	}
	size_t n = strlen(keyword) + strlen(value) + 2;
	char *line = malloc(n);
	if (!line) {
		simcli_error(c, "out of memory");
		return -1;
	}
	snprintf(line, n, "%s %s", keyword, value);
	c->ov[c->noverride].option = option;
	c->ov[c->noverride].line = line;
	c->noverride++;
	return 0;
}

int simcli_option(struct simcli *c, const struct tool_getopt *g, int key)
{
	/* the machine-file keyword each option becomes, by key */
	static const char *const keyword[SIMCLI_END - SIMCLI_MACHINE] = {
		[SIMCLI_MACHINE - SIMCLI_MACHINE] = "kind",      [SIMCLI_MEM - SIMCLI_MACHINE] = "mem",
		[SIMCLI_LOW_MEM - SIMCLI_MACHINE] = "low-mem",   [SIMCLI_CPUS - SIMCLI_MACHINE] = "cpus",
		[SIMCLI_DIALECT - SIMCLI_MACHINE] = "dialect",   [SIMCLI_DEVICE - SIMCLI_MACHINE] = "device",
		[SIMCLI_JOB - SIMCLI_MACHINE] = "job",
	};
	/* the option as named in messages about the line it became: canonical,
	 * with static storage (the override outlives the parser) */
	static const char *const names[SIMCLI_END - SIMCLI_MACHINE] = {
		"--machine", "--mem", "--low-mem", "--cpus", "--dialect", "--cmdline", "--machine-file", "--section",
		"--lenient", "--any", "--no-any", "--json", "--device", "--job",
	};
	const char *v = g->arg;
	const char *name = names[key - SIMCLI_MACHINE];
	switch (key) {
	case SIMCLI_JSON: c->json = true; return 0;
	case SIMCLI_MACHINE_FILE: c->file = v; return 0;
	case SIMCLI_SECTION: c->section = v; return 0;
	case SIMCLI_CMDLINE: c->cmdline = v; return 0;
	case SIMCLI_LENIENT: return add_override(c, name, "lenient", "yes");
	case SIMCLI_ANY: return add_override(c, name, "any", "yes");
	case SIMCLI_NO_ANY: return add_override(c, name, "any", "no");
	case SIMCLI_MEM: c->has_mem = true; break;
	default: break;
	}
	return add_override(c, name, keyword[key - SIMCLI_MACHINE], v);
}

void simcli_free(struct simcli *c)
{
	for (unsigned i = 0; i < c->noverride; i++)
		free(c->ov[i].line);
	c->noverride = 0;
}

int simcli_specs(struct simcli *c, bool all, struct swiotlb_sim_spec **out, unsigned *nout)
{
	char err[600];
	unsigned n = 0;
	struct swiotlb_sim_spec *specs = calloc(SIMCLI_MAX_SPECS, sizeof(*specs));
	*out = NULL;
	*nout = 0;
	if (!specs) {
		simcli_error(c, "out of memory");
		return 2;
	}
	if (c->file) {
		if (swiotlb_sim_spec_load(c->file, specs, SIMCLI_MAX_SPECS, &n, err, sizeof(err))) {
			simcli_error(c, "%s", err);
			goto fail;
		}
	} else {
		swiotlb_sim_spec_init(&specs[0]);
		n = 1;
		if (!c->has_mem) {
			simcli_error(c, "--mem SIZE is required without a machine file (for example --mem 20G)");
			goto fail;
		}
	}
	if (c->section) {
		unsigned k = 0;
		while (k < n && strcmp(specs[k].section, c->section))
			k++;
		if (k == n) {
			char names[400] = "";
			size_t off = 0;
			for (unsigned s = 0; s < n && off < sizeof(names); s++)
				off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", s ? ", " : "",
							specs[s].section[0] ? specs[s].section : "(none)");
			simcli_error(c, "--section: %s has no section [%s] (sections: %s)", c->file ? c->file : "the command line",
				     c->section, names);
			goto fail;
		}
		if (k)
			memcpy(&specs[0], &specs[k], sizeof(specs[0]));
		n = 1;
	} else if (!all && n > 1) {
		char names[400] = "";
		size_t off = 0;
		for (unsigned s = 0; s < n && off < sizeof(names); s++)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", s ? ", " : "", specs[s].section);
		simcli_error(c, "%s has %u sections (%s): choose one with --section", c->file, n, names);
		goto fail;
	}
	for (unsigned s = 0; s < n; s++) {
		struct swiotlb_sim_spec *sp = &specs[s];
		for (unsigned k = 0; k < c->noverride; k++) {
			if (swiotlb_sim_spec_line(sp, c->ov[k].line, c->ov[k].option, 0, err, sizeof(err))) {
				simcli_error(c, "%s", err);
				goto fail;
			}
		}
		if (c->cmdline) {
			if (strlen(c->cmdline) >= sizeof(sp->cmdline)) {
				simcli_error(c, "--cmdline: longer than %zu characters", sizeof(sp->cmdline) - 1);
				goto fail;
			}
			snprintf(sp->cmdline, sizeof(sp->cmdline), "%s", c->cmdline);
			sp->cmdline_line = 0;
		}
		if (swiotlb_sim_spec_finish(sp, c->file ? c->file : "command line", err, sizeof(err))) {
			if (sp->section[0])
				simcli_error(c, "[%s] %s", sp->section, err);
			else
				simcli_error(c, "%s", err);
			goto fail;
		}
	}
	*out = specs;
	*nout = n;
	return 0;
fail:
	free(specs);
	return 2;
}

int simcli_boot(const struct simcli *c, const struct swiotlb_sim_spec *spec, struct swiotlb_sim **simp,
		struct swiotlb **tlbp)
{
	char err[600];
	struct swiotlb_sim *sim;
	*simp = NULL;
	*tlbp = NULL;
	if (swiotlb_sim_create(&spec->machine, &sim, err, sizeof(err))) {
		char key[16];
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(err, ": "), err);
		uint32_t at = swiotlb_sim_spec_key_line(spec, key);
		if (at && c->file)
			simcli_error(c, "%s:%u: %s", c->file, at, err);
		else
			simcli_error(c, "%s: %s", c->file ? c->file : "machine", err);
		return 2;
	}
	struct swiotlb_sim_boot_opts bo = { .cmdline = spec->cmdline, .dialect = spec->dialect, .lenient = spec->lenient };
	struct swiotlb *tlb;
	if (swiotlb_sim_boot(sim, &bo, &tlb, err, sizeof(err))) {
		if (spec->cmdline_line && c->file)
			simcli_error(c, "%s:%u: %s", c->file, spec->cmdline_line, err);
		else
			simcli_error(c, "%s: %s", c->cmdline || !c->file ? "--cmdline" : c->file, err);
		swiotlb_sim_destroy(sim);
		return 2;
	}
	*simp = sim;
	*tlbp = tlb;
	return 0;
}

/* ------------------------------------------------------------ output */

static const char *dialect_name(uint32_t d)
{
	return d == SWIOTLB_DIALECT_RFC2021 ? "rfc2021" : d == SWIOTLB_DIALECT_NAMED ? "named" : "mainline";
}

static unsigned addr_bits(uint64_t a)
{
	unsigned b = 0;
	while (b < 64 && (a >> b))
		b++;
	return b;
}

/* The kernel's files (io_tlb_*, suffixed per pool) as `cat` shows them,
 * then the library's other counters that are not zero, several a line. */
void simcli_print_stats(FILE *f, const char *title, const char *text)
{
	fprintf(f, "%s\n", title);
	for (int pass = 0; pass < 2; pass++) {
		int col = 0;
		for (const char *p = text ? text : ""; *p;) {
			const char *e = strchr(p, '\n');
			int n = e ? (int)(e - p) : (int)strlen(p);
			const char *sp = memchr(p, ' ', (size_t)n);
			bool kernel = !strncmp(p, "io_tlb_", 7);
			bool zero = sp && sp + 2 == p + n && sp[1] == '0';
			if (pass == 0 && kernel) {
				fprintf(f, "  %.*s\n", n, p);
			} else if (pass == 1 && !kernel && !zero) {
				if (!col)
					fprintf(f, "  other counters:");
				fprintf(f, "%s %.*s", col && col % 4 == 0 ? "\n                 " : "", n, p);
				col++;
			}
			p += n + (e != NULL);
		}
		if (pass == 1 && col)
			fprintf(f, "\n");
	}
}

char *simcli_stats_text(struct swiotlb *tlb)
{
	size_t n = swiotlb_stats_text(tlb, NULL, 0);
	char *buf = malloc(n + 1);
	if (buf)
		swiotlb_stats_text(tlb, buf, n + 1);
	return buf;
}

void simcli_print_boot(FILE *f, struct swiotlb_sim *sim, struct swiotlb *tlb, const struct swiotlb_sim_spec *spec,
		       bool stats)
{
	const struct swiotlb_sim_machine *m = swiotlb_sim_get_machine(sim);
	const struct swiotlb_sim_boot_info *bi = swiotlb_sim_get_boot_info(sim);
	struct swiotlb_sim_counters cnt;
	struct swiotlb_platform plat;
	char sz[32];
	swiotlb_sim_get_counters(sim, &cnt);
	swiotlb_sim_platform(sim, &plat);

	num_size_text(sz, sizeof(sz), swiotlb_sim_ram_bytes(m), NUM_SIZE_HUMAN);
	/* the name, the command line and the boot log quote the machine file */
	fprintf(f, "machine %s: %s guest, %u CPU%s, %s of RAM up to 0x%" PRIx64 "\n", text_show(m->name),
		swiotlb_sim_kind_name(m->kind), m->cpus, m->cpus == 1 ? "" : "s", sz, swiotlb_sim_ram_top(m));
	fprintf(f, "command line (%s): %s\n", dialect_name(spec->dialect),
		spec->cmdline[0] ? text_show(spec->cmdline) : "(empty)");
	fprintf(f, "\nboot log:\n");
	for (size_t i = 0; i < swiotlb_sim_log_count(sim); i++)
		fprintf(f, "  %s\n", text_show(swiotlb_sim_log_line(sim, i)));

	int n = swiotlb_pool_count(tlb);
	fprintf(f, "\npools: %d%s%s (%s)\n", n, swiotlb_force_bounce(tlb) ? ", every mapping bounces" : "",
		bi->any ? ", placed anywhere (SWIOTLB_ANY)" : "", bi->reason ? text_show(bi->reason) : "");
	for (int i = 0; i < n; i++) {
		struct swiotlb_pool_info pi;
		if (swiotlb_pool_info(tlb, i, &pi))
			continue;
		num_size_text(sz, sizeof(sz), pi.nslabs << SWIOTLB_SLOT_SHIFT, NUM_SIZE_HUMAN);
		fprintf(f, "  %-8s %8" PRIu64 " slots %9s  %s, %u area%s\n", text_show(pi.name), pi.nslabs, sz,
			pi.placement == SWIOTLB_PLACE_ANY ? "any" : "low", pi.nareas, pi.nareas == 1 ? "" : "s");
		fprintf(f, "           guest-physical [0x%016" PRIx64 ", 0x%016" PRIx64 ")\n", pi.base, pi.end);
		fprintf(f, "           device         [0x%016" PRIx64 ", 0x%016" PRIx64 ")%s\n", pi.dma_base, pi.dma_end,
			m->kind == SWIOTLB_SIM_XEN_PV ? " machine frames" : "");
		if (m->kind == SWIOTLB_SIM_XEN_PV) {
			uint64_t a = plat.phys_to_dma(plat.ctx, pi.base, true);
			uint64_t b = plat.phys_to_dma(plat.ctx, pi.end - 1, true);
			uint32_t first, last;
			swiotlb_sim_xen_bits(sim, pi.base, &first, &last);
			fprintf(f, "           0x%016" PRIx64 " is mapped to 0x%016" PRIx64 " (%s machine address)\n", pi.base,
				a, addr_bits(a) <= 32 ? "32-bit" : "64-bit");
			fprintf(f, "           0x%016" PRIx64 "-1 is mapped to 0x%016" PRIx64 " (%s machine address)\n", pi.end,
				b, addr_bits(b) <= 32 ? "32-bit" : "64-bit");
			if (last == 64)
				fprintf(f, "           remapped: %" PRIu64 " chunks exchanged for machine frames above 4 GiB first\n",
					pi.nslabs / SWIOTLB_SEGSIZE);
			else if (last)
				fprintf(f, "           remapped: %" PRIu64 " chunks exchanged below 2^%u, widened to 2^%u\n",
					pi.nslabs / SWIOTLB_SEGSIZE, first, last);
		}
	}
	if (swiotlb_sim_kind_is_cc(m->kind))
		fprintf(f, "conversions to shared: %" PRIu64 " (%" PRIu64 " pages, %.3f s simulated at %" PRIu64 " ns a page)\n",
			swiotlb_conversions(tlb), cnt.shared_pages, (double)cnt.conversion_ns / 1e9, m->conversion_ns);
	if (stats) {
		char *text = simcli_stats_text(tlb);
		fprintf(f, "\n");
		simcli_print_stats(f, "/sys/kernel/debug/swiotlb:", text);
		free(text);
	}
}

void simcli_json_stats_text(struct json *j, const char *text)
{
	json_object_begin(j);
	for (const char *p = text ? text : ""; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *sp = memchr(p, ' ', n);
		if (sp) {
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)(sp - p), p);
			json_key(j, key);
			json_u64(j, strtoull(sp + 1, NULL, 10));
		}
		p += n + (e != NULL);
	}
	json_object_end(j);
}

void simcli_json_stats(struct json *j, struct swiotlb *tlb)
{
	size_t n = swiotlb_stats_json(tlb, NULL, 0);
	char *buf = malloc(n + 1);
	if (!buf) {
		json_null(j);
		return;
	}
	swiotlb_stats_json(tlb, buf, n + 1);
	json_raw(j, buf, strlen(buf));
	free(buf);
}

void simcli_json_boot(struct json *j, struct swiotlb_sim *sim, struct swiotlb *tlb, const struct swiotlb_sim_spec *spec)
{
	const struct swiotlb_sim_machine *m = swiotlb_sim_get_machine(sim);
	const struct swiotlb_sim_boot_info *bi = swiotlb_sim_get_boot_info(sim);
	struct swiotlb_sim_counters cnt;
	swiotlb_sim_get_counters(sim, &cnt);

	json_key(j, "machine");
	json_object_begin(j);
	json_kv_string(j, "name", m->name);
	json_kv_string(j, "kind", swiotlb_sim_kind_name(m->kind));
	json_kv_u64(j, "cpus", m->cpus);
	json_kv_u64(j, "ram_bytes", swiotlb_sim_ram_bytes(m));
	json_kv_hex(j, "ram_top", swiotlb_sim_ram_top(m));
	json_kv_bool(j, "any", m->any);
	if (m->kind == SWIOTLB_SIM_SEV || m->kind == SWIOTLB_SIM_SEV_SNP)
		json_kv_u64(j, "cbit", m->cbit);
	if (m->kind == SWIOTLB_SIM_TDX)
		json_kv_u64(j, "shared_bit", m->shared_bit);
	json_key(j, "e820");
	json_array_begin(j);
	for (uint32_t i = 0; i < m->nranges; i++) {
		json_object_begin(j);
		json_kv_hex(j, "start", m->ranges[i].start);
		json_kv_hex(j, "end", m->ranges[i].end);
		json_kv_string(j, "type", swiotlb_sim_type_name(m->ranges[i].type));
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "reserve");
	json_array_begin(j);
	for (uint32_t i = 0; i < m->nreserve; i++) {
		json_object_begin(j);
		json_kv_string(j, "name", m->reserve[i].name);
		json_kv_hex(j, "start", m->reserve[i].start);
		json_kv_hex(j, "end", m->reserve[i].end);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);

	json_kv_string(j, "cmdline", spec->cmdline);
	json_kv_string(j, "dialect", dialect_name(spec->dialect));
	json_kv_bool(j, "enabled", bi->enabled);
	json_kv_string(j, "reason", bi->reason ? bi->reason : "");
	json_kv_bool(j, "force", swiotlb_force_bounce(tlb));
	json_kv_bool(j, "any", bi->any);
	if (bi->adjust_bytes)
		json_kv_u64(j, "adjust_bytes", bi->adjust_bytes);

	struct swiotlb_platform plat;
	swiotlb_sim_platform(sim, &plat);
	json_key(j, "pools");
	json_array_begin(j);
	for (int i = 0; i < swiotlb_pool_count(tlb); i++) {
		struct swiotlb_pool_info pi;
		if (swiotlb_pool_info(tlb, i, &pi))
			continue;
		json_object_begin(j);
		json_kv_string(j, "name", pi.name);
		json_kv_u64(j, "slots", pi.nslabs);
		json_kv_u64(j, "bytes", pi.nslabs << SWIOTLB_SLOT_SHIFT);
		json_kv_u64(j, "areas", pi.nareas);
		json_kv_string(j, "placement", pi.placement == SWIOTLB_PLACE_ANY ? "any" : "low");
		json_kv_string(j, "policy", pi.policy);
		json_kv_hex(j, "base", pi.base);
		json_kv_hex(j, "end", pi.end);
		json_kv_hex(j, "dma_base", pi.dma_base);
		json_kv_hex(j, "dma_end", pi.dma_end);
		if (m->kind == SWIOTLB_SIM_XEN_PV) {
			uint32_t first, last;
			swiotlb_sim_xen_bits(sim, pi.base, &first, &last);
			json_kv_hex(j, "dma_first_byte", plat.phys_to_dma(plat.ctx, pi.base, true));
			json_kv_hex(j, "dma_last_byte", plat.phys_to_dma(plat.ctx, pi.end - 1, true));
			json_kv_u64(j, "xen_bits_first", first);
			json_kv_u64(j, "xen_bits_last", last);
		}
		json_object_end(j);
	}
	json_array_end(j);

	json_key(j, "log");
	json_array_begin(j);
	for (size_t i = 0; i < swiotlb_sim_log_count(sim); i++)
		json_string(j, swiotlb_sim_log_line(sim, i));
	json_array_end(j);

	json_kv_u64(j, "conversions", swiotlb_conversions(tlb));
	json_key(j, "conversion");
	json_object_begin(j);
	json_kv_u64(j, "shares", cnt.shares);
	json_kv_u64(j, "unshares", cnt.unshares);
	json_kv_u64(j, "shared_pages", cnt.shared_pages);
	json_kv_u64(j, "ns_per_page", m->conversion_ns);
	json_kv_u64(j, "simulated_ns", cnt.conversion_ns);
	json_object_end(j);
	if (m->kind == SWIOTLB_SIM_XEN_PV) {
		json_key(j, "xen");
		json_object_begin(j);
		json_kv_u64(j, "chunks_exchanged", cnt.xen_chunks);
		json_kv_u64(j, "remaps_failed", cnt.xen_failed);
		json_object_end(j);
	}
}
