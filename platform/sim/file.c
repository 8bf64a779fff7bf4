/* SPDX-License-Identifier: MIT */
/*
 * Machine and scenario files (the format is specified in docs/machines.md).
 *
 * One statement per line: a keyword and its arguments, '#' starts a
 * comment.  "[name]" starts a section; lines before the first section apply
 * to every section.  Lines copied from a kernel log ("BIOS-e820: [mem
 * 0x...-0x...] usable", with or without the "[    0.000000] " timestamp)
 * are memory-map lines too.  The command-line tools feed their options
 * through the same per-line entry point (`--device nvme0,type=nvme` is the
 * line `device nvme0 type=nvme`), so a file and a command line report
 * errors the same way: "WHERE: FIELD: what is wrong", WHERE being
 * "file:line" or the option.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/number.h"
#include "sim_internal.h"

#define MAX_TOKENS 48
#define LINE_MAX_LEN 4096
#define GiB (1ull << 30)

static int fail(char *err, size_t len, const char *where, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t len, const char *where, const char *fmt, ...)
{
	va_list ap;
	size_t off = 0;
	if (!err || !len)
		return SWIOTLB_EBADCONFIG;
	if (where && *where)
		off = (size_t)snprintf(err, len, "%s: ", where);
	if (off < len) {
		va_start(ap, fmt);
		vsnprintf(err + off, len - off, fmt, ap);
		va_end(ap);
	}
	return SWIOTLB_EBADCONFIG;
}

/* ------------------------------------------------------------- numbers */

/* Numbers and sizes have the syntax of every language of the project
 * (common/number.h): decimal or 0x hex, no leading zero, K/M/G/T sizes. */
static bool parse_u64(const char *s, uint64_t *out)
{
	return num_parse_u64(s, out);
}

bool swiotlb_sim_parse_size(const char *s, uint64_t *out)
{
	return num_parse_size(s, out);
}

struct unit {
	const char *suffix; /* "" for a bare number */
	uint64_t mul;
};

/* A decimal number with one of `units` (ending with a NULL suffix), at most `max`. */
static bool parse_scaled(const char *s, const struct unit *units, uint64_t max, uint64_t *out)
{
	uint64_t v;
	const char *end;
	if (!s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) || !num_digits(s, &v, &end))
		return false;
	for (; units->suffix; units++) {
		if (strcmp(end, units->suffix))
			continue;
		if (v > max / units->mul)
			return false;
		*out = v * units->mul;
		return true;
	}
	return false;
}

/* "10s", "500ms", "2m", "1h", a bare number is seconds (as fio): milliseconds. */
static bool parse_duration_ms(const char *s, uint64_t *ms)
{
	static const struct unit units[] = {
		{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { "h", 3600000 }, { NULL, 0 },
	};
	return parse_scaled(s, units, UINT64_MAX / 1000000, ms);
}

/* "1500", "1500ns", "2us", "1ms": nanoseconds. */
static bool parse_ns(const char *s, uint64_t *ns)
{
	static const struct unit units[] = {
		{ "", 1 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { NULL, 0 },
	};
	return parse_scaled(s, units, UINT64_MAX, ns);
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" }, *const no[] = { "no", "off", "false", "0" };
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* A DMA mask: a bit count 1..64, or a 0x mask of low ones. */
static bool parse_mask(const char *s, uint64_t *out)
{
	uint64_t v;
	if (!parse_u64(s, &v))
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!v || (v & (v + 1)))
			return false;
		*out = v;
		return true;
	}
	if (v < 1 || v > 64)
		return false;
	*out = swiotlb_bit_mask((unsigned)v);
	return true;
}

static bool low_ones(uint64_t v) { return (v & (v + 1)) == 0; }

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (!n || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* ----------------------------------------------------------- tokenizer */

/* Split `buf` in place; quotes group, '#' outside quotes ends the line. */
static int tokenize(char *buf, char **tok, int max, bool *bad_quote)
{
	int n = 0;
	char *p = buf;
	*bad_quote = false;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -1;
		if (*p == '"') {
			char *q = strchr(p + 1, '"');
			if (!q) {
				*bad_quote = true;
				return n;
			}
			*q = 0;
			tok[n++] = p + 1;
			p = q + 1;
			if (*p && !isspace((unsigned char)*p)) {
				*bad_quote = true;
				return n;
			}
			continue;
		}
		tok[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = 0;
	}
}

/* ------------------------------------------------------------ ranges */

/* "START-END" (END inclusive, as the kernel prints) or "START+SIZE". */
static int parse_range(const char *s, const char *where, const char *field, uint64_t *start, uint64_t *end,
		       char *err, size_t len)
{
	char a[64], b[64];
	const char *sep = strpbrk(s, "-+");
	if (!sep || sep == s || (size_t)(sep - s) >= sizeof(a) || strlen(sep + 1) >= sizeof(b) || !sep[1])
		return fail(err, len, where,
			    "%s: '%s' is not a range (START-END with END inclusive, as dmesg prints it, or START+SIZE)",
			    field, s);
	memcpy(a, s, (size_t)(sep - s));
	a[sep - s] = 0;
	snprintf(b, sizeof(b), "%s", sep + 1);
	uint64_t x, y;
	if (!swiotlb_sim_parse_size(a, &x))
		return fail(err, len, where, "%s: start '%s' is not an address (0x..., or a size such as 4G)", field, a);
	if (!swiotlb_sim_parse_size(b, &y))
		return fail(err, len, where, "%s: %s '%s' is not %s", field, *sep == '+' ? "size" : "end", b,
			    *sep == '+' ? "a size (4096, 0x1000, 16G)" : "an address (0x..., or a size such as 4G)");
	if (*sep == '+') {
		if (!y || x + y < x)
			return fail(err, len, where, "%s: size %s is %s", field, b, !y ? "zero" : "past the top of memory");
		*start = x;
		*end = x + y;
	} else {
		if (y < x)
			return fail(err, len, where, "%s: end 0x%llx is below start 0x%llx", field, (unsigned long long)y,
				    (unsigned long long)x);
		if (y == UINT64_MAX)
			return fail(err, len, where, "%s: end 0x%llx is the top of the address space", field,
				    (unsigned long long)y);
		*start = x;
		*end = y + 1;
	}
	if (*end > (1ull << 52))
		return fail(err, len, where, "%s: [0x%llx, 0x%llx) goes past 52 bits of physical address", field,
			    (unsigned long long)*start, (unsigned long long)*end);
	return 0;
}

static int parse_type(const char *text, const char *where, uint32_t *type, char *err, size_t len)
{
	static const struct {
		const char *name;
		uint32_t type;
	} types[] = {
		{ "usable", SWIOTLB_SIM_USABLE },     { "ram", SWIOTLB_SIM_USABLE },
		{ "reserved", SWIOTLB_SIM_RESERVED }, { "acpi", SWIOTLB_SIM_ACPI },
		{ "ACPI data", SWIOTLB_SIM_ACPI },    { "nvs", SWIOTLB_SIM_NVS },
		{ "ACPI NVS", SWIOTLB_SIM_NVS },      { "unusable", SWIOTLB_SIM_UNUSABLE },
		{ "pci", SWIOTLB_SIM_PCI },           { "available for PCI devices", SWIOTLB_SIM_PCI },
		{ "soft reserved", SWIOTLB_SIM_RESERVED }, { "persistent (type 7)", SWIOTLB_SIM_RESERVED },
		{ "persistent (type 12)", SWIOTLB_SIM_RESERVED },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcasecmp(text, types[i].name)) {
			*type = types[i].type;
			return 0;
		}
	}
	if (!strncasecmp(text, "type ", 5)) {
		*type = SWIOTLB_SIM_RESERVED;
		return 0;
	}
	return fail(err, len, where, "e820: type '%s' is unknown (usable, reserved, acpi, nvs, unusable or pci)", text);
}

static int add_e820(struct swiotlb_sim_spec *s, uint64_t start, uint64_t end, uint32_t type, const char *where,
		    uint32_t line, char *err, size_t len)
{
	struct swiotlb_sim_machine *m = &s->machine;
	if (!s->has_e820)
		m->nranges = 0; /* the first e820 line replaces whatever map there was */
	if (m->nranges >= SWIOTLB_SIM_MAX_RANGES)
		return fail(err, len, where, "e820: more than %d ranges", SWIOTLB_SIM_MAX_RANGES);
	struct swiotlb_sim_range *r = &m->ranges[m->nranges++];
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
	r->type = type;
	r->line = line;
	s->has_e820 = true;
	return 0;
}

/* Join tok[from..n) with single spaces. */
static void join(char *dst, size_t cap, char **tok, int from, int n)
{
	size_t off = 0;
	dst[0] = 0;
	for (int i = from; i < n && off < cap; i++)
		off += (size_t)snprintf(dst + off, cap - off, "%s%s", i > from ? " " : "", tok[i]);
}

/* "BIOS-e820: [mem 0x...-0x...] usable" */
static int dmesg_line(struct swiotlb_sim_spec *s, char **tok, int n, const char *where, uint32_t line, char *err,
		      size_t len)
{
	if (n < 4 || strcmp(tok[1], "[mem") || tok[2][strlen(tok[2]) - 1] != ']')
		return fail(err, len, where, "e820: expected '%s [mem 0xSTART-0xEND] TYPE' as the kernel prints it", tok[0]);
	tok[2][strlen(tok[2]) - 1] = 0;
	uint64_t a, b;
	uint32_t type = 0; /* set by parse_type on success; -O3 cannot see it */
	char t[128];
	int rc = parse_range(tok[2], where, "e820", &a, &b, err, len);
	if (rc)
		return rc;
	join(t, sizeof(t), tok, 3, n);
	if ((rc = parse_type(t, where, &type, err, len)) != 0)
		return rc;
	return add_e820(s, a, b, type, where, line, err, len);
}

/* ------------------------------------------------------------- devices */

static int device_line(struct swiotlb_sim_spec *s, char **tok, int n, const char *where, uint32_t line, char *err,
		       size_t len)
{
	if (n < 2)
		return fail(err, len, where, "device: needs a name (device NAME [type=nvme] [mask=64] ...)");
	const char *name = tok[1];
	if (!name_ok(name, SWIOTLB_SIM_NAME_MAX) || strchr(name, '='))
		return fail(err, len, where, "device: '%s' is not a device name (1-%d of A-Z a-z 0-9 _ - .)", name,
			    SWIOTLB_SIM_NAME_MAX - 1);
	for (uint32_t i = 0; i < s->ndevices; i++)
		if (!strcmp(s->devices[i].name, name))
			return fail(err, len, where, "device %s: defined twice", name);
	if (s->ndevices >= SWIOTLB_SIM_MAX_DEVICES)
		return fail(err, len, where, "device %s: more than %d devices", name, SWIOTLB_SIM_MAX_DEVICES);
	uint32_t type = SWIOTLB_SIM_DEV_GENERIC;
	for (int i = 2; i < n; i++) {
		if (strncmp(tok[i], "type=", 5))
			continue;
		int t = -1;
		for (uint32_t k = 0; swiotlb_sim_devtype_name(k); k++)
			if (!strcmp(tok[i] + 5, swiotlb_sim_devtype_name(k)))
				t = (int)k;
		if (t < 0)
			return fail(err, len, where, "device %s: type: '%s' is unknown (nvme, scsi, nic, legacy or generic)",
				    name, tok[i] + 5);
		type = (uint32_t)t;
	}
	struct swiotlb_sim_device d;
	swiotlb_sim_device_init(&d, name, type, 1);
	d.queues = 0; /* from the CPU count, at the end */
	d.line = line;
	for (int i = 2; i < n; i++) {
		char *eq = strchr(tok[i], '=');
		if (!eq || eq == tok[i] || !eq[1])
			return fail(err, len, where, "device %s: '%s' is not KEY=VALUE", name, tok[i]);
		*eq = 0;
		const char *k = tok[i], *v = eq + 1;
		uint64_t x;
		if (!strcmp(k, "type")) {
			continue;
		} else if (!strcmp(k, "mask")) {
			if (!parse_mask(v, &d.dma_mask))
				return fail(err, len, where,
					    "device %s: mask: '%s' is not a DMA mask (a bit count 1..64, or 0x followed by low ones such as 0xffffffff)",
					    name, v);
		} else if (!strcmp(k, "bus-limit")) {
			if (!swiotlb_sim_parse_size(v, &x))
				return fail(err, len, where, "device %s: bus-limit: '%s' is not an address (0 = none)", name, v);
			d.bus_limit = x;
		} else if (!strcmp(k, "min-align")) {
			if (!parse_u64(v, &x) || !low_ones(x) || x >= SWIOTLB_MAX_SEGMENT)
				return fail(err, len, where,
					    "device %s: min-align: '%s' is not a min_align_mask (low ones below 256 KiB, e.g. 0xfff)",
					    name, v);
			d.min_align = x;
		} else if (!strcmp(k, "seg-boundary")) {
			if (!parse_u64(v, &x) || !low_ones(x) || (x && x < 0xfff))
				return fail(err, len, where,
					    "device %s: seg-boundary: '%s' is not a boundary mask (0 = none, or low ones of at least 0xfff)",
					    name, v);
			d.seg_boundary = x;
		} else if (!strcmp(k, "queues")) {
			if (!parse_u64(v, &x) || !x || x > SWIOTLB_SIM_MAX_QUEUES)
				return fail(err, len, where, "device %s: queues: '%s' is not a queue count (1..%d)", name, v,
					    SWIOTLB_SIM_MAX_QUEUES);
			d.queues = (uint32_t)x;
		} else if (!strcmp(k, "depth")) {
			if (!parse_u64(v, &x) || !x || x > SWIOTLB_SIM_MAX_DEPTH)
				return fail(err, len, where, "device %s: depth: '%s' is not a queue depth (1..%d)", name, v,
					    SWIOTLB_SIM_MAX_DEPTH);
			d.depth = (uint32_t)x;
		} else if (!strcmp(k, "rx-sync")) {
			if (!parse_bool(v, &d.rx_sync))
				return fail(err, len, where, "device %s: rx-sync: '%s' is not yes or no", name, v);
		} else if (!strcmp(k, "hostile")) {
			if (!swiotlb_sim_parse_hostile(v, &d.hostile)) {
				/* name the word that is wrong, when one is */
				char word[32] = "";
				for (const char *p = v; !word[0];) {
					size_t w = strcspn(p, ":+");
					char one[32];
					uint32_t bits;
					snprintf(one, sizeof(one), "%.*s", (int)(w < sizeof(one) - 1 ? w : sizeof(one) - 1), p);
					if (one[0] && (!swiotlb_sim_parse_hostile(one, &bits) || !strcmp(one, "all") ||
						       !strcmp(one, "none")))
						snprintf(word, sizeof(word), "%s", one);
					if (!p[w])
						break;
					p += w + 1;
				}
				return fail(err, len, where,
					    "device %s: hostile: '%s' is not a behaviour (a list of scribble, rewrite, double, lie, peek joined by ':' or '+'; or all, none)",
					    name, word[0] ? word : v);
			}
		} else {
			return fail(err, len, where,
				    "device %s: unknown key '%s' (type, mask, bus-limit, min-align, seg-boundary, queues, depth, rx-sync, hostile)",
				    name, k);
		}
	}
	s->devices[s->ndevices++] = d;
	return 0;
}

/* ---------------------------------------------------------------- jobs */

static int job_line(struct swiotlb_sim_spec *s, char **tok, int n, const char *where, uint32_t line, char *err,
		    size_t len)
{
	if (n < 2)
		return fail(err, len, where, "job: needs a name (job NAME [rw=randrw] [bs=64k] ...)");
	const char *name = tok[1];
	if (!name_ok(name, SWIOTLB_SIM_NAME_MAX) || strchr(name, '='))
		return fail(err, len, where, "job: '%s' is not a job name (1-%d of A-Z a-z 0-9 _ - .)", name,
			    SWIOTLB_SIM_NAME_MAX - 1);
	for (uint32_t i = 0; i < s->njobs; i++)
		if (!strcmp(s->jobs[i].name, name))
			return fail(err, len, where, "job %s: defined twice", name);
	if (s->njobs >= SWIOTLB_SIM_MAX_JOBS)
		return fail(err, len, where, "job %s: more than %d jobs", name, SWIOTLB_SIM_MAX_JOBS);
	struct swiotlb_sim_job j;
	swiotlb_sim_job_init(&j, name);
	j.line = line;
	int mix = -1, mixed = 1; /* rw=read: 0, write: 2 */
	bool has_ios = false, has_runtime = false;
	for (int i = 2; i < n; i++) {
		char *eq = strchr(tok[i], '=');
		if (!eq || eq == tok[i] || !eq[1])
			return fail(err, len, where, "job %s: '%s' is not KEY=VALUE", name, tok[i]);
		*eq = 0;
		const char *k = tok[i], *v = eq + 1;
		uint64_t x;
		if (!strcmp(k, "devices")) {
			if (strlen(v) >= sizeof(j.devices))
				return fail(err, len, where, "job %s: devices: the list is too long", name);
			snprintf(j.devices, sizeof(j.devices), "%s", v);
		} else if (!strcmp(k, "rw") || !strcmp(k, "readwrite")) {
			if (!strcmp(v, "read") || !strcmp(v, "randread"))
				mixed = 0;
			else if (!strcmp(v, "write") || !strcmp(v, "randwrite"))
				mixed = 2;
			else if (!strcmp(v, "rw") || !strcmp(v, "readwrite") || !strcmp(v, "randrw"))
				mixed = 1;
			else
				return fail(err, len, where,
					    "job %s: rw: '%s' is not read, write, randread, randwrite, rw or randrw", name, v);
		} else if (!strcmp(k, "rwmixread") || !strcmp(k, "rwmixwrite")) {
			if (!parse_u64(v, &x) || x > 100)
				return fail(err, len, where, "job %s: %s: '%s' is not a percentage (0..100)", name, k, v);
			mix = k[5] == 'r' ? (int)x : 100 - (int)x;
		} else if (!strcmp(k, "bs") || !strcmp(k, "bsrange")) {
			char a[32];
			const char *dash = strchr(v, '-');
			uint64_t lo, hi;
			snprintf(a, sizeof(a), "%.*s", dash ? (int)(dash - v) : (int)strlen(v), v);
			if (!swiotlb_sim_parse_size(a, &lo) || (dash && !swiotlb_sim_parse_size(dash + 1, &hi)))
				return fail(err, len, where, "job %s: %s: '%s' is not a block size or range (64k, 4k-128k)",
					    name, k, v);
			if (!dash)
				hi = lo;
			if (!lo || hi < lo || hi > (1u << 30))
				return fail(err, len, where,
					    "job %s: %s: '%s' must be from 1 byte to 1 GiB with the smaller size first", name, k, v);
			j.bs_min = (uint32_t)lo;
			j.bs_max = (uint32_t)hi;
		} else if (!strcmp(k, "align") || !strcmp(k, "iomem_align")) {
			if (!swiotlb_sim_parse_size(v, &x) || !x || x > 4096 || (x & (x - 1)))
				return fail(err, len, where, "job %s: %s: '%s' is not a power of two from 1 to 4096", name, k, v);
			j.align = (uint32_t)x;
		} else if (!strcmp(k, "iodepth")) {
			if (!parse_u64(v, &x) || !x || x > SWIOTLB_SIM_MAX_DEPTH)
				return fail(err, len, where, "job %s: iodepth: '%s' is not a depth (1..%d)", name, v,
					    SWIOTLB_SIM_MAX_DEPTH);
			j.iodepth = (uint32_t)x;
		} else if (!strcmp(k, "ios") || !strcmp(k, "number_ios")) {
			if (!swiotlb_sim_parse_size(v, &x) || !x || x > (1ull << 40))
				return fail(err, len, where, "job %s: %s: '%s' is not an I/O count (1..2^40)", name, k, v);
			j.ios = x;
			has_ios = true;
		} else if (!strcmp(k, "runtime")) {
			if (!parse_duration_ms(v, &x) || !x || x > 24ull * 3600 * 1000)
				return fail(err, len, where, "job %s: runtime: '%s' is not a run time (10s, 500ms, 2m; up to 24h)",
					    name, v);
			j.runtime_ms = x;
			has_runtime = true;
		} else if (!strcmp(k, "threads") || !strcmp(k, "numjobs")) {
			if (!parse_u64(v, &x) || !x || x > SWIOTLB_SIM_MAX_THREADS)
				return fail(err, len, where, "job %s: %s: '%s' is not a thread count (1..%d)", name, k, v,
					    SWIOTLB_SIM_MAX_THREADS);
			j.threads = (uint32_t)x;
		} else if (!strcmp(k, "seed")) {
			if (!parse_u64(v, &x))
				return fail(err, len, where, "job %s: seed: '%s' is not a number", name, v);
			j.seed = x;
		} else if (!strcmp(k, "buffers")) {
			if (strcmp(v, "high") && strcmp(v, "low"))
				return fail(err, len, where, "job %s: buffers: '%s' is not high or low", name, v);
			j.low_buffers = !strcmp(v, "low");
		} else {
			return fail(err, len, where,
				    "job %s: unknown key '%s' (devices, rw, rwmixread, rwmixwrite, bs, align, iodepth, ios, runtime, threads, seed, buffers)",
				    name, k);
		}
	}
	if (has_ios && has_runtime)
		return fail(err, len, where, "job %s: ios and runtime: give one of them, not both", name);
	if (has_runtime)
		j.ios = 0;
	j.rwmixread = mixed == 0 ? 100 : mixed == 2 ? 0 : (mix >= 0 ? (uint32_t)mix : 50);
	s->jobs[s->njobs++] = j;
	return 0;
}

/* ------------------------------------------------------------ expect */

static int expect_line(struct swiotlb_sim_spec *s, char **tok, int n, const char *where, uint32_t line, char *err,
		       size_t len)
{
	if (s->nexpect >= SWIOTLB_SIM_MAX_EXPECT)
		return fail(err, len, where, "expect: more than %d expectations", SWIOTLB_SIM_MAX_EXPECT);
	struct swiotlb_sim_expect *e = &s->expect[s->nexpect];
	memset(e, 0, sizeof(*e));
	e->line = line;
	if (n >= 2 && (!strcmp(tok[1], "log") || !strcmp(tok[1], "no-log"))) {
		if (n != 3 || !tok[2][0])
			return fail(err, len, where, "expect %s: needs one text, quoted when it has spaces", tok[1]);
		snprintf(e->key, sizeof(e->key), "%s", tok[1]);
		snprintf(e->value, sizeof(e->value), "%s", tok[2]);
		s->nexpect++;
		return 0;
	}
	if (n != 4)
		return fail(err, len, where, "expect: needs KEY OP VALUE (e.g. expect pool.default.slots = 65536) or log \"TEXT\"");
	static const char *const ops[] = { "=", "==", "!=", "<", "<=", ">", ">=" };
	bool op_ok = false;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		op_ok |= !strcmp(tok[2], ops[i]);
	if (!op_ok)
		return fail(err, len, where, "expect: operator '%s' is not one of = != < <= > >=", tok[2]);
	for (const char *p = tok[1]; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-:", *p))
			return fail(err, len, where, "expect: '%s' is not a result key (such as stat.io_tlb_used-highmem)", tok[1]);
	if (strlen(tok[1]) >= sizeof(e->key) || strlen(tok[3]) >= sizeof(e->value))
		return fail(err, len, where, "expect: key or value too long");
	snprintf(e->key, sizeof(e->key), "%s", tok[1]);
	snprintf(e->op, sizeof(e->op), "%s", strcmp(tok[2], "==") ? tok[2] : "=");
	snprintf(e->value, sizeof(e->value), "%s", tok[3]);
	s->nexpect++;
	return 0;
}

/* -------------------------------------------------------------- lines */

void swiotlb_sim_spec_init(struct swiotlb_sim_spec *s)
{
	memset(s, 0, sizeof(*s));
	swiotlb_sim_machine_init(&s->machine, SWIOTLB_SIM_X86);
	s->machine.name[0] = 0;
	s->dialect = SWIOTLB_DIALECT_MAINLINE;
}

static const char *rest_after_keyword(const char *text)
{
	while (isspace((unsigned char)*text))
		text++;
	while (*text && !isspace((unsigned char)*text))
		text++;
	while (isspace((unsigned char)*text))
		text++;
	return text;
}

static int cmdline_line(struct swiotlb_sim_spec *s, const char *rest, const char *where, uint32_t line, char *err,
			size_t len)
{
	size_t n = strlen(rest);
	if (n && rest[0] == '"') {
		const char *q = strrchr(rest, '"');
		if (q == rest)
			return fail(err, len, where, "cmdline: unterminated '\"'");
		const char *after = q + 1;
		while (isspace((unsigned char)*after))
			after++;
		if (*after && *after != '#')
			return fail(err, len, where, "cmdline: text after the closing '\"'");
		n = (size_t)(q - rest - 1);
		rest++;
	} else {
		/* a comment starts at " #" */
		const char *c = strstr(rest, " #");
		if (rest[0] == '#')
			n = 0;
		else if (c)
			n = (size_t)(c - rest);
		while (n && isspace((unsigned char)rest[n - 1]))
			n--;
	}
	if (n >= SWIOTLB_SIM_CMDLINE_MAX)
		return fail(err, len, where, "cmdline: longer than %d characters", SWIOTLB_SIM_CMDLINE_MAX - 1);
	memcpy(s->cmdline, rest, n);
	s->cmdline[n] = 0;
	s->cmdline_line = line;
	return 0;
}

static void note_line(struct swiotlb_sim_spec *s, const char *key, uint32_t line)
{
	const size_t n = sizeof(s->keyline) / sizeof(s->keyline[0]);
	size_t i = 0;
	while (i < n && s->keyline[i].key[0] && strcmp(s->keyline[i].key, key))
		i++;
	if (i < n && line) {
		snprintf(s->keyline[i].key, sizeof(s->keyline[i].key), "%s", key);
		s->keyline[i].line = line;
	}
}

uint32_t swiotlb_sim_spec_key_line(const struct swiotlb_sim_spec *s, const char *key)
{
	for (size_t i = 0; i < sizeof(s->keyline) / sizeof(s->keyline[0]) && s->keyline[i].key[0]; i++)
		if (!strcmp(s->keyline[i].key, key))
			return s->keyline[i].line;
	return 0;
}

int swiotlb_sim_spec_line(struct swiotlb_sim_spec *s, const char *text, const char *where, uint32_t line, char *err,
			  size_t len)
{
	char buf[LINE_MAX_LEN];
	char *tok[MAX_TOKENS];
	bool bad_quote;
	struct swiotlb_sim_machine *m = &s->machine;

	if (strlen(text) >= sizeof(buf))
		return fail(err, len, where, "line longer than %d characters", LINE_MAX_LEN - 1);
	/* a kernel log line: drop the "[    0.000000] " timestamp */
	const char *t = text;
	while (isspace((unsigned char)*t))
		t++;
	if (t[0] == '[') {
		const char *close = strchr(t, ']');
		if (close && close[1] == ' ' && strspn(t + 1, " 0123456789.") == (size_t)(close - t - 1))
			t = close + 2;
	}
	snprintf(buf, sizeof(buf), "%s", t);
	/* devices and jobs take commas between their KEY=VALUEs, as on the command line */
	if (!strncmp(buf, "device", 6) || !strncmp(buf, "job", 3))
		for (char *p = buf; *p && *p != '#'; p++)
			if (*p == ',')
				*p = ' ';
	int n = tokenize(buf, tok, MAX_TOKENS, &bad_quote);
	if (n < 0)
		return fail(err, len, where, "more than %d words on one line", MAX_TOKENS);
	if (bad_quote)
		return fail(err, len, where, "%s: unbalanced '\"'", n ? tok[0] : "line");
	if (!n)
		return 0;
	const char *kw = tok[0];
	uint64_t x;
	int k;

	if (!strcmp(kw, "BIOS-e820:") || !strcmp(kw, "Xen:") || !strcmp(kw, "e820:") || !strcmp(kw, "user:"))
		return dmesg_line(s, tok, n, where, line, err, len);
	if (!strcmp(kw, "device"))
		return device_line(s, tok, n, where, line, err, len);
	if (!strcmp(kw, "job"))
		return job_line(s, tok, n, where, line, err, len);
	if (!strcmp(kw, "expect"))
		return expect_line(s, tok, n, where, line, err, len);
	if (!strcmp(kw, "cmdline"))
		return cmdline_line(s, rest_after_keyword(t), where, line, err, len);
	if (!strcmp(kw, "e820")) {
		if (n < 3)
			return fail(err, len, where, "e820: needs a range and a type (e820 0x100000-0xbfffffff usable)");
		uint64_t a, b;
		uint32_t type = 0;
		char ty[128];
		int rc = parse_range(tok[1], where, "e820", &a, &b, err, len);
		if (rc)
			return rc;
		join(ty, sizeof(ty), tok, 2, n);
		if ((rc = parse_type(ty, where, &type, err, len)) != 0)
			return rc;
		return add_e820(s, a, b, type, where, line, err, len);
	}
	if (!strcmp(kw, "reserve")) {
		if (n != 3)
			return fail(err, len, where, "reserve: needs a name and a range (reserve initrd 0x7c000000+64M)");
		if (!name_ok(tok[1], SWIOTLB_SIM_NAME_MAX))
			return fail(err, len, where, "reserve: '%s' is not a name (1-%d of A-Z a-z 0-9 _ - .)", tok[1],
				    SWIOTLB_SIM_NAME_MAX - 1);
		if (m->nreserve >= SWIOTLB_SIM_MAX_RESERVE)
			return fail(err, len, where, "reserve: more than %d reservations", SWIOTLB_SIM_MAX_RESERVE);
		struct swiotlb_sim_range *r = &m->reserve[m->nreserve];
		memset(r, 0, sizeof(*r));
		char field[48];
		snprintf(field, sizeof(field), "reserve %s", tok[1]);
		int rc = parse_range(tok[2], where, field, &r->start, &r->end, err, len);
		if (rc)
			return rc;
		r->type = SWIOTLB_SIM_RESERVED;
		r->line = line;
		snprintf(r->name, sizeof(r->name), "%s", tok[1]);
		m->nreserve++;
		return 0;
	}

	/* the rest take exactly one value */
	if (n != 2) {
		static const char *const known[] = { "kind", "machine", "name", "mem", "low-mem", "cpus", "memmap", "any",
						     "cbit", "shared-bit", "conversion-cost", "machine-mem", "p2m-seed",
						     "p2m-run", "dialect", "lenient" };
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(kw, known[i]))
				return fail(err, len, where, "%s: takes one value, %s", kw, n < 2 ? "none given" : "several given");
		return fail(err, len, where,
			    "'%s' is not a keyword (kind, name, mem, low-mem, cpus, e820, reserve, memmap, any, cbit, shared-bit, conversion-cost, machine-mem, p2m-seed, p2m-run, cmdline, dialect, lenient, device, job, expect)",
			    kw);
	}
	const char *v = tok[1];
	note_line(s, kw, line);
	if (!strcmp(kw, "kind") || !strcmp(kw, "machine")) {
		if ((k = swiotlb_sim_kind_from_name(v)) < 0)
			return fail(err, len, where, "%s: '%s' is not a guest kind (x86, sev, sev-snp, tdx or xen-pv)", kw, v);
		m->kind = (uint32_t)k;
	} else if (!strcmp(kw, "name")) {
		snprintf(m->name, sizeof(m->name), "%s", v);
	} else if (!strcmp(kw, "mem") || !strcmp(kw, "low-mem")) {
		if (!swiotlb_sim_parse_size(v, &x) || !x)
			return fail(err, len, where, "%s: '%s' is not a size (such as 20G, 512M or 0x80000000)", kw, v);
		if (kw[0] == 'm') {
			s->mem = x;
			s->mem_line = line;
		} else {
			s->low_mem = x;
		}
	} else if (!strcmp(kw, "cpus")) {
		if (!parse_u64(v, &x) || !x || x > SIM_MAX_CPUS)
			return fail(err, len, where, "cpus: '%s' is not a CPU count (1..%u)", v, SIM_MAX_CPUS);
		m->cpus = (uint32_t)x;
	} else if (!strcmp(kw, "memmap")) {
		if (!strcmp(v, "auto"))
			m->memmap = SWIOTLB_SIM_MEMMAP_AUTO;
		else if (!strcmp(v, "none"))
			m->memmap = 0;
		else if (swiotlb_sim_parse_size(v, &x) && x < SWIOTLB_SIM_MEMMAP_AUTO)
			m->memmap = x;
		else
			return fail(err, len, where, "memmap: '%s' is not auto, none or a size", v);
	} else if (!strcmp(kw, "any")) {
		if (!parse_bool(v, &m->any))
			return fail(err, len, where, "any: '%s' is not yes or no", v);
	} else if (!strcmp(kw, "cbit") || !strcmp(kw, "shared-bit")) {
		if (!strcmp(kw, "shared-bit") && !strcmp(v, "none"))
			x = 0;
		else if (!parse_u64(v, &x) || x < 32 || x > 62)
			return fail(err, len, where, "%s: '%s' is not a bit position (32..62%s)", kw, v,
				    kw[0] == 's' ? ", or none" : "");
		if (kw[0] == 'c')
			m->cbit = (uint32_t)x;
		else
			m->shared_bit = (uint32_t)x;
	} else if (!strcmp(kw, "conversion-cost")) {
		if (!parse_ns(v, &x))
			return fail(err, len, where, "conversion-cost: '%s' is not a time per page (2500, 2500ns, 2us)", v);
		m->conversion_ns = x;
	} else if (!strcmp(kw, "machine-mem")) {
		if (!swiotlb_sim_parse_size(v, &x) || x < (256ull << 20) || x > (256ull << 30))
			return fail(err, len, where, "machine-mem: '%s' is not a size from 256M to 256G", v);
		m->machine_mem = x;
	} else if (!strcmp(kw, "p2m-seed")) {
		if (!parse_u64(v, &x))
			return fail(err, len, where, "p2m-seed: '%s' is not a number", v);
		m->p2m_seed = x;
	} else if (!strcmp(kw, "p2m-run")) {
		if (!parse_u64(v, &x) || !x || x > XEN_EXTENT_FRAMES)
			return fail(err, len, where, "p2m-run: '%s' is not a run length (1..%u frames)", v, XEN_EXTENT_FRAMES);
		m->p2m_run = (uint32_t)x;
	} else if (!strcmp(kw, "dialect")) {
		if ((k = swiotlb_dialect_from_name(v)) < 0)
			return fail(err, len, where, "dialect: '%s' is not mainline, rfc2021 or named", v);
		s->dialect = (uint32_t)k;
	} else if (!strcmp(kw, "lenient")) {
		if (!parse_bool(v, &s->lenient))
			return fail(err, len, where, "lenient: '%s' is not yes or no", v);
	} else {
		return fail(err, len, where,
			    "'%s' is not a keyword (kind, name, mem, low-mem, cpus, e820, reserve, memmap, any, cbit, shared-bit, conversion-cost, machine-mem, p2m-seed, p2m-run, cmdline, dialect, lenient, device, job, expect)",
			    kw);
	}
	return 0;
}

/* ------------------------------------------------------------- files */

struct line_ref {
	const char *p;
	size_t n;
	uint32_t no;
};

/* "[name]" alone on a line (a trailing comment allowed): its name, or false. */
static bool section_header(const char *p, size_t n, char *name, size_t cap, bool *malformed)
{
	*malformed = false;
	while (n && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	if (!n || *p != '[')
		return false;
	const char *close = memchr(p, ']', n);
	if (!close)
		return false;
	const char *after = close + 1;
	while (after < p + n && isspace((unsigned char)*after))
		after++;
	if (after < p + n && *after != '#')
		return false; /* "[ 0.000] BIOS-e820: ..." */
	size_t len = (size_t)(close - p - 1);
	if (!len || len >= cap) {
		*malformed = true;
		return true;
	}
	memcpy(name, p + 1, len);
	name[len] = 0;
	*malformed = !name_ok(name, cap);
	return true;
}

static int apply(struct swiotlb_sim_spec *s, const struct line_ref *l, const char *label, char *err, size_t len)
{
	char line[LINE_MAX_LEN];
	char where[300];
	snprintf(where, sizeof(where), "%s:%u", label, l->no);
	if (l->n >= sizeof(line))
		return fail(err, len, where, "line longer than %d characters", LINE_MAX_LEN - 1);
	memcpy(line, l->p, l->n);
	line[l->n] = 0;
	if (memchr(line, 0, l->n))
		return fail(err, len, where, "a NUL byte: this is not a text file");
	return swiotlb_sim_spec_line(s, line, where, l->no, err, len);
}

int swiotlb_sim_spec_parse(const char *text, const char *label, struct swiotlb_sim_spec *specs, unsigned max,
			   unsigned *nspecs, char *err, size_t len)
{
	if (!text || !specs || !max || !nspecs)
		return SWIOTLB_EINVAL;
	label = label ? label : "(text)";
	*nspecs = 0;
	size_t nlines = 1;
	for (const char *p = text; *p; p++)
		nlines += *p == '\n';
	struct line_ref *lines = calloc(nlines, sizeof(*lines));
	if (!lines)
		return SWIOTLB_ENOMEM;
	size_t k = 0;
	for (const char *p = text;; k++) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		lines[k].p = p;
		lines[k].n = n && p[n - 1] == '\r' ? n - 1 : n;
		lines[k].no = (uint32_t)k + 1;
		if (!e)
			break;
		p = e + 1;
	}
	nlines = k + 1;

	int rc = 0;
	size_t *hdr = calloc(max + 1, sizeof(*hdr));
	if (!hdr) {
		free(lines);
		return SWIOTLB_ENOMEM;
	}
	char name[32];
	bool malformed;
	for (size_t i = 0; i < nlines; i++) {
		if (!section_header(lines[i].p, lines[i].n, name, sizeof(name), &malformed))
			continue;
		char where[300];
		snprintf(where, sizeof(where), "%s:%u", label, lines[i].no);
		if (malformed) {
			rc = fail(err, len, where, "section: the name between [ and ] must be 1-31 of A-Z a-z 0-9 _ - .");
			goto out;
		}
		for (unsigned j = 0; j < *nspecs; j++)
			if (!strcmp(specs[j].section, name)) {
				rc = fail(err, len, where, "section [%s]: given twice", name);
				goto out;
			}
		if (*nspecs >= max) {
			rc = fail(err, len, where, "section [%s]: more than %u sections", name, max);
			goto out;
		}
		hdr[*nspecs] = i;
		swiotlb_sim_spec_init(&specs[*nspecs]);
		snprintf(specs[*nspecs].section, sizeof(specs[0].section), "%s", name);
		(*nspecs)++;
	}
	size_t prologue_end = *nspecs ? hdr[0] : nlines;
	if (!*nspecs) {
		swiotlb_sim_spec_init(&specs[0]);
		*nspecs = 1;
		hdr[0] = nlines; /* no header: the prologue is everything */
	}
	hdr[*nspecs] = nlines;
	/* every section: the prologue, then its own lines */
	for (unsigned sec = 0; sec < *nspecs && !rc; sec++) {
		for (size_t i = 0; i < prologue_end && !rc; i++)
			rc = apply(&specs[sec], &lines[i], label, err, len);
		for (size_t i = hdr[sec] + 1; i < hdr[sec + 1] && !rc; i++)
			rc = apply(&specs[sec], &lines[i], label, err, len);
	}
out:
	free(hdr);
	free(lines);
	return rc;
}

int swiotlb_sim_spec_load(const char *path, struct swiotlb_sim_spec *specs, unsigned max, unsigned *nspecs,
			  char *err, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, len, path, "%s", strerror(errno));
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (16u << 20)) {
				free(buf);
				fclose(f);
				return fail(err, len, path, "larger than 16 MiB: not a machine file");
			}
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return SWIOTLB_ENOMEM;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	bool io_error = ferror(f);
	fclose(f);
	if (io_error) {
		free(buf);
		return fail(err, len, path, "read error");
	}
	buf[n] = 0;
	if (strlen(buf) != n) {
		free(buf);
		return fail(err, len, path, "contains a NUL byte: not a text file");
	}
	int rc = swiotlb_sim_spec_parse(buf, path, specs, max, nspecs, err, len);
	free(buf);
	return rc;
}

int swiotlb_sim_spec_finish(struct swiotlb_sim_spec *s, const char *label, char *err, size_t len)
{
	struct swiotlb_sim_machine *m = &s->machine;
	char where[300];
	label = label ? label : "machine";
	if (!s->has_e820) {
		if (!s->mem)
			return fail(err, len, label,
				    "mem: the machine has no memory map: give mem SIZE (the preset PC layout) or e820 lines");
		if (s->mem_line)
			snprintf(where, sizeof(where), "%s:%u", label, s->mem_line);
		else
			snprintf(where, sizeof(where), "%s", label);
		char e[300];
		if (swiotlb_sim_preset(m, s->mem, s->low_mem, e, sizeof(e)))
			return fail(err, len, where, "%s", e);
	} else if (s->mem || s->low_mem) {
		if (s->mem_line)
			snprintf(where, sizeof(where), "%s:%u", label, s->mem_line);
		else
			snprintf(where, sizeof(where), "%s", label);
		return fail(err, len, where,
			    "%s: this machine's RAM comes from its e820 lines; drop mem/low-mem or the e820 lines",
			    s->mem ? "mem" : "low-mem");
	}
	if (!m->name[0])
		snprintf(m->name, sizeof(m->name), "%s", swiotlb_sim_kind_name(m->kind));
	int rc = swiotlb_sim_machine_check(m, NULL, err, len);
	if (rc) {
		/* name the line of the field the message starts with, when known */
		char msg[600];
		size_t f = strcspn(err, ": ");
		char key[16];
		snprintf(key, sizeof(key), "%.*s", (int)(f < sizeof(key) ? f : sizeof(key) - 1), err);
		uint32_t at = swiotlb_sim_spec_key_line(s, key);
		snprintf(msg, sizeof(msg), "%s", err);
		if (at)
			return fail(err, len, NULL, "%s:%u: %s", label, at, msg);
		if (strncmp(msg, "e820", 4) && strncmp(msg, "reserve", 7))
			return fail(err, len, NULL, "%s: %s", label, msg);
		/* range messages carry their own line: re-run with the label */
		return swiotlb_sim_machine_check(m, label, err, len);
	}
	for (uint32_t i = 0; i < s->ndevices; i++) {
		struct swiotlb_sim_device *d = &s->devices[i];
		if (!d->queues) {
			struct swiotlb_sim_device def;
			swiotlb_sim_device_init(&def, d->name, d->type, m->cpus);
			d->queues = def.queues;
		}
	}
	for (uint32_t i = 0; i < s->njobs; i++) {
		const struct swiotlb_sim_job *j = &s->jobs[i];
		if (j->line)
			snprintf(where, sizeof(where), "%s:%u", label, j->line);
		else
			snprintf(where, sizeof(where), "--job");
		for (const char *p = j->devices; *p;) {
			size_t n = strcspn(p, ":");
			bool found = false;
			for (uint32_t d = 0; d < s->ndevices && !found; d++)
				found = strlen(s->devices[d].name) == n && !strncmp(s->devices[d].name, p, n);
			if (!found) {
				char names[200] = "";
				size_t off = 0;
				for (uint32_t d = 0; d < s->ndevices && off < sizeof(names); d++)
					off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", d ? ", " : "",
								s->devices[d].name);
				return fail(err, len, where, "job %s: devices: no device named '%.*s' (devices: %s)", j->name,
					    (int)n, p, s->ndevices ? names : "none");
			}
			p += n + (p[n] == ':');
		}
	}
	return 0;
}
