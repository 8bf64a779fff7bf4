/* SPDX-License-Identifier: MIT */
/*
 * Results of a boot or run as one flat table of KEY -> text, and the
 * expectations of scenario files checked against it.  Numbers are decimal,
 * addresses "0x..." hex; a comparison reads both sides as numbers (sizes
 * such as 4G allowed) when it can, else compares text (= and != only).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

struct kv {
	char *key, *val;
};

struct swiotlb_sim_results {
	struct kv *kv;
	size_t n, cap;
};

static void put(struct swiotlb_sim_results *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(struct swiotlb_sim_results *r, const char *key, const char *fmt, ...)
{
	char val[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct kv *n = realloc(r->kv, cap * sizeof(*n));
		if (!n)
			return;
		r->kv = n;
		r->cap = cap;
	}
	r->kv[r->n].key = strdup(key);
	r->kv[r->n].val = strdup(val);
	if (r->kv[r->n].key && r->kv[r->n].val)
		r->n++;
}

/* "name value" lines of the debugfs text, each as PREFIX.name */
static void put_text(struct swiotlb_sim_results *r, const char *prefix, const char *text)
{
	if (!text)
		return;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char line[256], key[300];
		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			char *sp = strchr(line, ' ');
			if (sp) {
				*sp = 0;
				snprintf(key, sizeof(key), "%s.%s", prefix, line);
				put(r, key, "%s", sp + 1);
			}
		}
		p += n + (e != NULL);
	}
}

static const char *key3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
	snprintf(buf, n, "%s.%s.%s", a, b, c);
	return buf;
}

static void put_verdict(struct swiotlb_sim_results *r, const struct swiotlb_sim_verify_result *v)
{
	const struct {
		const char *key;
		uint64_t value;
	} f[] = {
		{ "verify.bytes", v->verified_bytes },         { "verify.mismatch_bytes", v->mismatch_bytes },
		{ "verify.leak_bytes", v->leak_bytes },        { "verify.guard_bytes", v->guard_bytes },
		{ "verify.stray_bytes", v->stray_bytes },      { "verify.checks", v->checks },
		{ "verify.check_failures", v->check_failures }, { "hostile.peek.foreign_bytes", v->peek_foreign_bytes },
		{ "hostile.peek.private_bytes", v->peek_private_bytes },
	};
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
		put(r, f[k].key, "%llu", (unsigned long long)f[k].value);
	char key[96];
	for (unsigned k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++) {
		const struct swiotlb_sim_hostile_result *h = &v->kind[k];
		const char *nm = swiotlb_sim_hostile_name(k);
		put(r, key3(key, sizeof(key), "hostile", nm, "actions"), "%llu", (unsigned long long)h->actions);
		put(r, key3(key, sizeof(key), "hostile", nm, "bytes"), "%llu", (unsigned long long)h->bytes);
		put(r, key3(key, sizeof(key), "hostile", nm, "probes"), "%llu", (unsigned long long)h->probes);
		put(r, key3(key, sizeof(key), "hostile", nm, "refused"), "%llu", (unsigned long long)h->refused);
		put(r, key3(key, sizeof(key), "hostile", nm, "accepted"), "%llu", (unsigned long long)h->accepted);
		put(r, key3(key, sizeof(key), "hostile", nm, "unexpected"), "%llu", (unsigned long long)h->unexpected);
	}
}

struct swiotlb_sim_results *swiotlb_sim_results_collect(struct swiotlb_sim *sim, struct swiotlb *tlb,
							const struct swiotlb_sim_spec *spec,
							const struct swiotlb_sim_run_result *run)
{
	struct swiotlb_sim_results *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	const struct swiotlb_sim_boot_info *bi = swiotlb_sim_get_boot_info(sim);
	struct swiotlb_sim_counters c;
	swiotlb_sim_get_counters(sim, &c);
	char key[160];
	int n = swiotlb_pool_count(tlb);

	put(r, "kind", "%s", swiotlb_sim_kind_name(swiotlb_sim_get_machine(sim)->kind));
	put(r, "enabled", "%d", bi->enabled);
	put(r, "force", "%d", swiotlb_force_bounce(tlb));
	put(r, "any", "%d", bi->any);
	put(r, "pools", "%d", n);
	put(r, "conversions", "%llu", (unsigned long long)swiotlb_conversions(tlb));
	put(r, "shared_pages", "%llu", (unsigned long long)c.shared_pages);
	put(r, "conversion_ns", "%llu", (unsigned long long)c.conversion_ns);
	put(r, "dma_faults", "%llu", (unsigned long long)c.dma_faults);
	put(r, "xen_chunks", "%llu", (unsigned long long)c.xen_chunks);
	for (int i = 0; i < n; i++) {
		struct swiotlb_pool_info pi;
		if (swiotlb_pool_info(tlb, i, &pi))
			continue;
		const char *nm = pi.name;
		put(r, key3(key, sizeof(key), "pool", nm, "slots"), "%llu", (unsigned long long)pi.nslabs);
		put(r, key3(key, sizeof(key), "pool", nm, "bytes"), "%llu",
		    (unsigned long long)(pi.nslabs << SWIOTLB_SLOT_SHIFT));
		put(r, key3(key, sizeof(key), "pool", nm, "areas"), "%u", pi.nareas);
		put(r, key3(key, sizeof(key), "pool", nm, "placement"), "%s",
		    pi.placement == SWIOTLB_PLACE_ANY ? "any" : "low");
		put(r, key3(key, sizeof(key), "pool", nm, "base"), "0x%llx", (unsigned long long)pi.base);
		put(r, key3(key, sizeof(key), "pool", nm, "end"), "0x%llx", (unsigned long long)pi.end);
		put(r, key3(key, sizeof(key), "pool", nm, "dma_base"), "0x%llx", (unsigned long long)pi.dma_base);
		put(r, key3(key, sizeof(key), "pool", nm, "dma_end"), "0x%llx", (unsigned long long)pi.dma_end);
		uint32_t first, last;
		swiotlb_sim_xen_bits(sim, pi.base, &first, &last);
		if (last)
			put(r, key3(key, sizeof(key), "pool", nm, "xen_bits"), "%u", last);
	}
	size_t tn = swiotlb_stats_text(tlb, NULL, 0);
	char *text = malloc(tn + 1);
	if (text) {
		swiotlb_stats_text(tlb, text, tn + 1);
		put_text(r, "stat", text);
		free(text);
	}
	if (run && spec) {
		put_text(r, "peak", run->peak);
		for (uint32_t d = 0; d < spec->ndevices; d++) {
			const struct swiotlb_sim_dev_result *dr = &run->dev[d];
			const char *dn = spec->devices[d].name;
			const struct {
				const char *field;
				uint64_t value;
			} f[] = {
				{ "ios", dr->ios },         { "reads", dr->reads },
				{ "writes", dr->writes },   { "bytes", dr->bytes_read + dr->bytes_written },
				{ "bounced", dr->bounced }, { "direct", dr->direct },
				{ "retries", dr->retries }, { "errors", dr->errors },
				{ "verify_errors", dr->verify_errors }, { "faults", dr->faults },
				{ "verified_bytes", dr->verified_bytes }, { "mismatch_bytes", dr->mismatch_bytes },
				{ "leak_bytes", dr->leak_bytes },         { "stray_bytes", dr->stray_bytes },
			};
			/* the byte-level counts exist only in runs with a hostile device */
			size_t nf = sizeof(f) / sizeof(f[0]) - (run->verify.active ? 0 : 4);
			for (size_t k = 0; k < nf; k++)
				put(r, key3(key, sizeof(key), "device", dn, f[k].field), "%llu",
				    (unsigned long long)f[k].value);
			for (int i = 0; i < n; i++) {
				struct swiotlb_pool_info pi;
				if (swiotlb_pool_info(tlb, i, &pi))
					continue;
				snprintf(key, sizeof(key), "device.%s.pool.%s", dn, pi.name);
				put(r, key, "%llu", (unsigned long long)dr->per_pool[i]);
			}
		}
		if (run->verify.active)
			put_verdict(r, &run->verify);
	}
	return r;
}

bool swiotlb_sim_verify_ok(const struct swiotlb_sim_verify_result *v)
{
	if (!v || !v->active)
		return true;
	uint64_t bad = v->mismatch_bytes | v->leak_bytes | v->stray_bytes | v->check_failures | v->peek_private_bytes;
	for (unsigned k = 0; k < SWIOTLB_SIM_HOSTILE_KINDS; k++)
		bad |= v->kind[k].unexpected;
	return !bad;
}

void swiotlb_sim_results_free(struct swiotlb_sim_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->kv[i].key);
		free(r->kv[i].val);
	}
	free(r->kv);
	free(r);
}

const char *swiotlb_sim_results_get(const struct swiotlb_sim_results *r, const char *key)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (!strcmp(r->kv[i].key, key))
			return r->kv[i].val;
	return NULL;
}

size_t swiotlb_sim_results_count(const struct swiotlb_sim_results *r)
{
	return r ? r->n : 0;
}

const char *swiotlb_sim_results_key(const struct swiotlb_sim_results *r, size_t i)
{
	return r && i < r->n ? r->kv[i].key : NULL;
}

/* Keys sharing the first two components of `key`, for a "did you mean". */
static void similar(const struct swiotlb_sim_results *r, const char *key, char *out, size_t len)
{
	size_t cut = strcspn(key, ".");
	out[0] = 0;
	size_t off = 0;
	int shown = 0;
	for (size_t i = 0; i < r->n && shown < 6; i++) {
		if (strncmp(r->kv[i].key, key, cut) || r->kv[i].key[cut] != key[cut])
			continue;
		off += (size_t)snprintf(out + off, off < len ? len - off : 0, "%s%s", shown ? ", " : "", r->kv[i].key);
		shown++;
	}
}

bool swiotlb_sim_expect_check(const struct swiotlb_sim_results *r, const struct swiotlb_sim *sim,
			      const struct swiotlb_sim_expect *e, char *msg, size_t len)
{
	if (!strcmp(e->key, "log") || !strcmp(e->key, "no-log")) {
		bool want = e->key[0] == 'l';
		const char *hit = NULL;
		for (size_t i = 0; i < swiotlb_sim_log_count(sim) && !hit; i++)
			if (strstr(swiotlb_sim_log_line(sim, i), e->value))
				hit = swiotlb_sim_log_line(sim, i);
		if (hit)
			snprintf(msg, len, "logged: %s", hit);
		else
			snprintf(msg, len, "no log line contains \"%s\"", e->value);
		return want == (hit != NULL);
	}
	const char *v = swiotlb_sim_results_get(r, e->key);
	if (!v) {
		char sim_keys[400];
		similar(r, e->key, sim_keys, sizeof(sim_keys));
		snprintf(msg, len, "no result named %s%s%s%s", e->key, sim_keys[0] ? " (there are: " : "", sim_keys,
			 sim_keys[0] ? ", ...)" : "");
		return false;
	}
	uint64_t a, b;
	int cmp;
	if (swiotlb_sim_parse_size(v, &a) && swiotlb_sim_parse_size(e->value, &b)) {
		cmp = a < b ? -1 : a > b;
	} else if (!strcmp(e->op, "=") || !strcmp(e->op, "!=")) {
		cmp = strcmp(v, e->value) ? 1 : 0;
	} else {
		snprintf(msg, len, "%s is %s: %s needs numbers", e->key, v, e->op);
		return false;
	}
	bool ok = !strcmp(e->op, "=")    ? cmp == 0
		  : !strcmp(e->op, "!=") ? cmp != 0
		  : !strcmp(e->op, "<")  ? cmp < 0
		  : !strcmp(e->op, "<=") ? cmp <= 0
		  : !strcmp(e->op, ">")  ? cmp > 0
					 : cmp >= 0;
	snprintf(msg, len, "%s is %s", e->key, v);
	return ok;
}
