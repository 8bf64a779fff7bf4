/* SPDX-License-Identifier: MIT */
/*
 * One line of swiotlb evidence -> one struct tev.
 *
 * A line is first stripped of what surrounds the kernel's text: mail
 * quoting ("> "), a journal prefix ("... kernel: "), a syslog priority
 * ("<4>") and a printk time stamp ("[  12.345678]").  Then, in this order:
 *
 *   - a trace line: "COMM-PID [CPU] FLAGS TS: EVENT: BODY" as `cat trace`,
 *     trace_pipe and `trace-cmd report` print it (FLAGS and a "(TGID)"
 *     column are optional).  BODY is split on blanks into the device and
 *     key=value tokens, so every generation of the formats in
 *     docs/trace.md parses with one loop and a field that moved or vanished
 *     between releases is simply absent;
 *   - a debugfs line: "[DIR/]io_tlb_NAME[-POOL]:VALUE" (grep . output) or
 *     "io_tlb_NAME VALUE", and the time stamps people put between snapshots;
 *   - a kernel log message, recognised by its fixed text.
 *
 * Speed matters (a trace can hold tens of millions of lines): nothing here
 * allocates except the scratch arrays of scatter-gather events, which grow
 * to the largest list seen and are reused.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"

static const char *const tn_names[TN_COUNT] = {
	[TN_NONE] = "unknown",
	[TN_E820] = "e820",
	[TN_CMDLINE] = "command_line",
	[TN_MAPPED] = "mapped",
	[TN_AREA_NUM] = "area_num",
	[TN_ADJUSTED_TO] = "size_adjusted_to",
	[TN_ROUNDUP] = "size_roundup",
	[TN_ADJUSTED_SLABS] = "size_adjusted_slabs",
	[TN_ALLOC_FAILED] = "failed_to_allocate",
	[TN_MEM_ENCRYPT] = "memory_encryption",
	[TN_CPUS] = "cpus",
	[TN_MEMORY] = "memory",
	[TN_SUPPRESSED] = "callbacks_suppressed",
	[TN_FULL] = "buffer_is_full",
	[TN_OUT_OF_SPACE] = "out_of_sw_iommu_space",
	[TN_COHERENT_FAILED] = "coherent_allocation_failed",
	[TN_NO_BUFFER] = "cannot_allocate_buffer",
	[TN_NEVER_FIT] = "request_can_never_fit",
	[TN_LOST] = "lost_events",
	[TN_SWIOTLB_BOUNCED] = "swiotlb_bounced",
	[TN_DMA_MAP_PAGE] = "dma_map_page",
	[TN_DMA_MAP_PHYS] = "dma_map_phys",
	[TN_DMA_MAP_RESOURCE] = "dma_map_resource",
	[TN_DMA_UNMAP_PAGE] = "dma_unmap_page",
	[TN_DMA_UNMAP_PHYS] = "dma_unmap_phys",
	[TN_DMA_UNMAP_RESOURCE] = "dma_unmap_resource",
	[TN_DMA_MAP_SG] = "dma_map_sg",
	[TN_DMA_MAP_SG_ERR] = "dma_map_sg_err",
	[TN_DMA_UNMAP_SG] = "dma_unmap_sg",
	[TN_DMA_SYNC_SINGLE_FOR_CPU] = "dma_sync_single_for_cpu",
	[TN_DMA_SYNC_SINGLE_FOR_DEVICE] = "dma_sync_single_for_device",
	[TN_DMA_SYNC_SG_FOR_CPU] = "dma_sync_sg_for_cpu",
	[TN_DMA_SYNC_SG_FOR_DEVICE] = "dma_sync_sg_for_device",
	[TN_DMA_ALLOC] = "dma_alloc",
	[TN_DMA_ALLOC_PAGES] = "dma_alloc_pages",
	[TN_DMA_ALLOC_SGT] = "dma_alloc_sgt",
	[TN_DMA_ALLOC_SGT_ERR] = "dma_alloc_sgt_err",
	[TN_DMA_FREE] = "dma_free",
	[TN_DMA_FREE_PAGES] = "dma_free_pages",
	[TN_DMA_FREE_SGT] = "dma_free_sgt",
	[TN_DEBUGFS] = "debugfs",
	[TN_TIMESTAMP] = "timestamp",
};

const char *tev_name_str(int name)
{
	return name >= 0 && name < TN_COUNT && tn_names[name] ? tn_names[name] : "unknown";
}

void tev_parser_init(struct tev_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void tev_parser_free(struct tev_parser *p)
{
	for (int i = 0; i < 3; i++)
		free(p->arr[i]);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------ scanning */

struct cur {
	const char *p, *e;
};

static bool starts(const struct cur *c, const char *lit, size_t n)
{
	return (size_t)(c->e - c->p) >= n && !memcmp(c->p, lit, n);
}
#define STARTS(c, lit) starts((c), lit, sizeof(lit) - 1)

static bool skip_lit(struct cur *c, const char *lit, size_t n)
{
	if (!starts(c, lit, n))
		return false;
	c->p += n;
	return true;
}
#define SKIP(c, lit) skip_lit((c), lit, sizeof(lit) - 1)

static void skip_blanks(struct cur *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Hex digits with an optional 0x; at least one digit, at most 16. */
static bool get_hex(struct cur *c, uint64_t *v)
{
	const char *p = c->p;
	if (c->e - p >= 2 && p[0] == '0' && (p[1] | 0x20) == 'x')
		p += 2;
	uint64_t x = 0;
	int n = 0, d;
	while (p < c->e && (d = hexval(*p)) >= 0) {
		if (++n > 16)
			return false;
		x = x << 4 | (uint64_t)d;
		p++;
	}
	if (!n)
		return false;
	*v = x;
	c->p = p;
	return true;
}

static bool get_dec(struct cur *c, uint64_t *v)
{
	const char *p = c->p;
	uint64_t x = 0;
	int n = 0;
	while (p < c->e && *p >= '0' && *p <= '9') {
		uint64_t d = (uint64_t)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		p++;
		n++;
	}
	if (!n)
		return false;
	*v = x;
	c->p = p;
	return true;
}

/* "123.456789" (the fraction optional). */
static bool get_seconds(struct cur *c, double *t)
{
	uint64_t whole, frac = 0;
	if (!get_dec(c, &whole))
		return false;
	double f = 0, scale = 1;
	if (c->p < c->e && *c->p == '.') {
		c->p++;
		const char *s = c->p;
		while (c->p < c->e && *c->p >= '0' && *c->p <= '9') {
			if (c->p - s < 18) {
				frac = frac * 10 + (uint64_t)(*c->p - '0');
				scale *= 10;
			}
			c->p++;
		}
		f = (double)frac / scale;
	}
	*t = (double)whole + f;
	return true;
}

static const char *find(const struct cur *c, const char *needle, size_t n)
{
	return memmem(c->p, (size_t)(c->e - c->p), needle, n);
}
#define FIND(c, lit) find((c), lit, sizeof(lit) - 1)

static void set_malformed(struct tev *ev, const char *why)
{
	if (!ev->malformed) {
		ev->malformed = true;
		ev->why = why;
	}
}

/* ------------------------------------------------------------ arrays */

/* "{0x1000,0x200}" (elements hex, as __print_array prints every array). */
static bool get_array(struct tev_parser *ps, int which, struct cur *c, uint32_t *n, const uint64_t **out)
{
	if (c->p >= c->e || *c->p != '{')
		return false;
	c->p++;
	uint32_t k = 0;
	if (c->p < c->e && *c->p == '}') {
		c->p++;
		*n = 0;
		*out = ps->arr[which];
		return true;
	}
	for (;;) {
		uint64_t v;
		if (!get_hex(c, &v))
			return false;
		if (k == ps->cap[which]) {
			size_t cap = ps->cap[which] ? ps->cap[which] * 2 : 64;
			uint64_t *a = realloc(ps->arr[which], cap * sizeof(*a));
			if (!a)
				return false;
			ps->arr[which] = a;
			ps->cap[which] = cap;
		}
		ps->arr[which][k++] = v;
		if (c->p < c->e && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->e && *c->p == '}') {
			c->p++;
			break;
		}
		return false;
	}
	*n = k;
	*out = ps->arr[which];
	return true;
}

/* ------------------------------------------------------------ trace lines */

struct evname {
	const char *s;
	uint8_t len;
	uint8_t name;
	uint8_t kind;
};
#define EV(str, n, k) {str, sizeof(str) - 1, n, k}
static const struct evname evnames[] = {
	EV("swiotlb_bounced", TN_SWIOTLB_BOUNCED, TEV_BOUNCED),
	EV("dma_map_phys", TN_DMA_MAP_PHYS, TEV_MAP),
	EV("dma_unmap_phys", TN_DMA_UNMAP_PHYS, TEV_UNMAP),
	EV("dma_map_page", TN_DMA_MAP_PAGE, TEV_MAP),
	EV("dma_unmap_page", TN_DMA_UNMAP_PAGE, TEV_UNMAP),
	EV("dma_map_sg", TN_DMA_MAP_SG, TEV_MAP_SG),
	EV("dma_unmap_sg", TN_DMA_UNMAP_SG, TEV_UNMAP_SG),
	EV("dma_sync_single_for_cpu", TN_DMA_SYNC_SINGLE_FOR_CPU, TEV_SYNC),
	EV("dma_sync_single_for_device", TN_DMA_SYNC_SINGLE_FOR_DEVICE, TEV_SYNC),
	EV("dma_sync_sg_for_cpu", TN_DMA_SYNC_SG_FOR_CPU, TEV_SYNC_SG),
	EV("dma_sync_sg_for_device", TN_DMA_SYNC_SG_FOR_DEVICE, TEV_SYNC_SG),
	EV("dma_map_sg_err", TN_DMA_MAP_SG_ERR, TEV_MAP_SG_ERR),
	EV("dma_map_resource", TN_DMA_MAP_RESOURCE, TEV_MAP),
	EV("dma_unmap_resource", TN_DMA_UNMAP_RESOURCE, TEV_UNMAP),
	EV("dma_alloc", TN_DMA_ALLOC, TEV_ALLOC),
	EV("dma_alloc_pages", TN_DMA_ALLOC_PAGES, TEV_ALLOC),
	EV("dma_alloc_sgt", TN_DMA_ALLOC_SGT, TEV_ALLOC),
	EV("dma_alloc_sgt_err", TN_DMA_ALLOC_SGT_ERR, TEV_ALLOC),
	EV("dma_free", TN_DMA_FREE, TEV_FREE),
	EV("dma_free_pages", TN_DMA_FREE_PAGES, TEV_FREE),
	EV("dma_free_sgt", TN_DMA_FREE_SGT, TEV_FREE),
};

static int parse_dir(const char *p, size_t n)
{
	if (n == 9 && !memcmp(p, "TO_DEVICE", 9))
		return 1;
	if (n == 11 && !memcmp(p, "FROM_DEVICE", 11))
		return 2;
	if (n == 13 && !memcmp(p, "BIDIRECTIONAL", 13))
		return 0;
	if (n == 4 && !memcmp(p, "NONE", 4))
		return 3;
	return -2;
}

/* "a/b" */
static bool get_pair(struct cur *c, uint32_t *a, uint32_t *b)
{
	uint64_t x, y;
	if (!get_dec(c, &x) || c->p >= c->e || *c->p != '/')
		return false;
	c->p++;
	if (!get_dec(c, &y) || x > UINT32_MAX || y > UINT32_MAX)
		return false;
	*a = (uint32_t)x;
	*b = (uint32_t)y;
	return true;
}

/* The key=value tokens of a dma: event (and of swiotlb_bounced after its
 * "dev_name: NAME").  Unknown keys are ignored: later kernels add fields. */
static void parse_fields(struct tev_parser *ps, struct cur *c, struct tev *ev)
{
	while (c->p < c->e) {
		skip_blanks(c);
		if (c->p >= c->e)
			break;
		const char *tok = c->p;
		const char *eq = NULL;
		while (c->p < c->e && *c->p != ' ' && *c->p != '\t') {
			if (*c->p == '=' && !eq)
				eq = c->p;
			c->p++;
		}
		const char *tend = c->p;
		if (!eq) {
			size_t n = (size_t)(tend - tok);
			if (n == 5 && !memcmp(tok, "FORCE", 5))
				ev->force = TF_FORCE;
			else if (n == 6 && !memcmp(tok, "NORMAL", 6))
				ev->force = TF_NORMAL;
			else if (n == 8 && !memcmp(tok, "NO_FORCE", 8))
				ev->force = TF_NO_FORCE;
			else if (n == 11 && !memcmp(tok, "[TRUNCATED]", 11))
				ev->truncated = true;
			else if (ev->kind == TEV_BOUNCED)
				ev->force = TF_OTHER; /* the int of v3.13-v4.9, printed some way */
			continue;
		}
		size_t kl = (size_t)(eq - tok);
		struct cur v = {eq + 1, tend};
#define KEY(lit) (kl == sizeof(lit) - 1 && !memcmp(tok, lit, kl))
		if (KEY("dma_addr") || KEY("dev_addr")) {
			if (get_hex(&v, &ev->dma) && v.p == v.e)
				ev->has_dma = true;
			else
				set_malformed(ev, "unreadable dma_addr");
		} else if (KEY("size")) {
			if (get_dec(&v, &ev->size) && v.p == v.e)
				ev->has_size = true;
			else
				set_malformed(ev, "unreadable size");
		} else if (KEY("phys_addr")) {
			if (get_hex(&v, &ev->phys) && v.p == v.e)
				ev->has_phys = true;
			else
				set_malformed(ev, "unreadable phys_addr");
		} else if (KEY("dma_mask")) {
			if (get_hex(&v, &ev->mask) && v.p == v.e)
				ev->has_mask = true;
			else
				set_malformed(ev, "unreadable dma_mask");
		} else if (KEY("dir")) {
			int d = parse_dir(v.p, (size_t)(v.e - v.p));
			if (d == -2)
				set_malformed(ev, "unknown dir");
			else
				ev->dir = d;
		} else if (KEY("dma_addrs")) {
			if (!get_array(ps, 0, &v, &ev->n_dma, &ev->dmas) || v.p != v.e)
				set_malformed(ev, "unreadable dma_addrs array");
		} else if (KEY("sizes")) {
			if (!get_array(ps, 1, &v, &ev->n_size, &ev->sizes) || v.p != v.e)
				set_malformed(ev, "unreadable sizes array");
		} else if (KEY("phys_addrs")) {
			if (!get_array(ps, 2, &v, &ev->n_phys, &ev->physs) || v.p != v.e)
				set_malformed(ev, "unreadable phys_addrs array");
		} else if (KEY("nents")) {
			if (get_pair(&v, &ev->nents, &ev->full_nents) && v.p == v.e)
				ev->has_counts = true;
			else
				set_malformed(ev, "unreadable nents=a/b");
		} else if (KEY("ents")) {
			if (!get_pair(&v, &ev->ents, &ev->full_ents) || v.p != v.e)
				set_malformed(ev, "unreadable ents=c/d");
		} else if (KEY("err")) {
			uint64_t x;
			bool neg = v.p < v.e && *v.p == '-';
			if (neg)
				v.p++;
			if (get_dec(&v, &x) && x < 100000)
				ev->err = neg ? -(int)x : (int)x;
		}
#undef KEY
	}
}

/* `cat trace` / trace_pipe / trace-cmd report.  Returns false when the line
 * does not have the shape, leaving ev untouched. */
static bool parse_trace_line(struct tev_parser *ps, const char *s, const char *e, struct tev *ev)
{
	/* the CPU column: " [NNN]" */
	const char *p = s;
	const char *cpu_open = NULL;
	while ((p = memchr(p, '[', (size_t)(e - p))) != NULL) {
		if (p > s && p[-1] == ' ' && p + 2 < e && p[1] >= '0' && p[1] <= '9') {
			const char *q = p + 1;
			while (q < e && *q >= '0' && *q <= '9')
				q++;
			if (q < e && *q == ']') {
				cpu_open = p;
				break;
			}
		}
		p++;
	}
	if (!cpu_open)
		return false;
	struct cur c = {cpu_open + 1, e};
	uint64_t cpu;
	if (!get_dec(&c, &cpu) || cpu > 1u << 20)
		return false;
	c.p++; /* ']' */
	skip_blanks(&c);
	/* optional flags column ("d..2.", "b..2.", "....."), then "TS:" */
	double ts;
	struct cur t = c;
	if (!(get_seconds(&t, &ts) && t.p < t.e && *t.p == ':')) {
		while (c.p < c.e && *c.p != ' ' && *c.p != '\t')
			c.p++;
		skip_blanks(&c);
		t = c;
		if (!(get_seconds(&t, &ts) && t.p < t.e && *t.p == ':'))
			return false;
	}
	c.p = t.p + 1;
	skip_blanks(&c);
	const char *name = c.p;
	while (c.p < c.e && *c.p != ':' && *c.p != ' ')
		c.p++;
	if (c.p >= c.e || *c.p != ':' || c.p == name)
		return false;
	size_t nl = (size_t)(c.p - name);
	c.p++;
	skip_blanks(&c);

	memset(ev, 0, sizeof(*ev));
	ev->kind = TEV_UNKNOWN;
	ev->cpu = (int)cpu;
	ev->has_ts = true;
	ev->ts = ts;
	ev->dir = TEV_DIR_UNKNOWN;
	const struct evname *en = NULL;
	for (size_t i = 0; i < sizeof(evnames) / sizeof(evnames[0]); i++)
		if (evnames[i].len == nl && !memcmp(evnames[i].s, name, nl)) {
			en = &evnames[i];
			break;
		}
	if (!en)
		return true; /* another subsystem's event: unknown, skipped */
	ev->kind = en->kind;
	ev->name = en->name;

	if (ev->kind == TEV_BOUNCED) {
		if (!SKIP(&c, "dev_name:")) {
			set_malformed(ev, "no dev_name:");
			return true;
		}
		skip_blanks(&c);
	}
	/* the device: first token (the kernel prints dev_name(), which has no blanks) */
	ev->dev = c.p;
	while (c.p < c.e && *c.p != ' ' && *c.p != '\t')
		c.p++;
	ev->dev_len = (size_t)(c.p - ev->dev);
	if (!ev->dev_len || memchr(ev->dev, '=', ev->dev_len)) {
		set_malformed(ev, "no device name");
		ev->dev_len = 0;
		return true;
	}
	parse_fields(ps, &c, ev);

	switch (ev->kind) {
	case TEV_BOUNCED:
		if (!ev->has_mask || !ev->has_dma || !ev->has_size)
			set_malformed(ev, "swiotlb_bounced needs dma_mask, dev_addr and size");
		break;
	case TEV_MAP:
		if (!ev->has_dma || !ev->has_size)
			set_malformed(ev, "a map needs dma_addr and size");
		break;
	case TEV_UNMAP:
	case TEV_SYNC:
		if (!ev->has_dma || !ev->has_size)
			set_malformed(ev, "needs dma_addr and size");
		break;
	case TEV_MAP_SG:
		if (!ev->dmas || !ev->sizes)
			set_malformed(ev, "dma_map_sg needs dma_addrs and sizes");
		else if (ev->n_dma != ev->n_size)
			set_malformed(ev, "dma_addrs and sizes differ in length");
		break;
	case TEV_UNMAP_SG:
		if (!ev->physs)
			set_malformed(ev, "dma_unmap_sg needs phys_addrs");
		break;
	case TEV_SYNC_SG:
		if (!ev->dmas || !ev->sizes || ev->n_dma != ev->n_size)
			set_malformed(ev, "needs dma_addrs and sizes of one length");
		break;
	case TEV_MAP_SG_ERR:
		if (!ev->dmas) /* physical addresses, labelled dma_addrs by the kernel */
			set_malformed(ev, "dma_map_sg_err needs its address array");
		break;
	default:
		break;
	}
	return true;
}

/* ------------------------------------------------------------ debugfs */

static bool is_counter_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || ch == '_';
}

/* "[/sys/kernel/debug/swiotlb/[POOL/]]io_tlb_NAME[-POOL](:| )VALUE" */
static bool parse_debugfs(const char *s, const char *e, struct tev *ev)
{
	const char *it = memmem(s, (size_t)(e - s), "io_tlb_", 7);
	if (!it)
		return false;
	if (it > s && it[-1] != '/')
		return false;
	const char *dir_end = it > s ? it - 1 : NULL;
	const char *n = it + 7;
	while (n < e && is_counter_char(*n))
		n++;
	const char *name_end = n;
	const char *suffix = NULL;
	if (n < e && *n == '-') {
		suffix = n + 1;
		while (n < e && *n != ':' && *n != ' ' && *n != '\t')
			n++;
	}
	const char *suffix_end = n;
	if (n >= e || (*n != ':' && *n != ' ' && *n != '\t'))
		return false;
	n++;
	struct cur c = {n, e};
	skip_blanks(&c);
	uint64_t v;
	if (!get_dec(&c, &v))
		return false;
	skip_blanks(&c);
	if (c.p != c.e)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->kind = TEV_DEBUGFS;
	ev->name = TN_DEBUGFS;
	ev->cpu = -1;
	ev->dir = TEV_DIR_UNKNOWN;
	ev->str = it;
	ev->str_len = (size_t)(name_end - it);
	ev->a = v;
	if (suffix && suffix_end > suffix) {
		ev->label = suffix;
		ev->label_len = (size_t)(suffix_end - suffix);
	} else if (dir_end) {
		/* the directory holding the file: a restricted pool's node name, unless
		 * it is the swiotlb directory itself */
		const char *d = dir_end;
		while (d > s && d[-1] != '/')
			d--;
		size_t dl = (size_t)(dir_end - d);
		if (dl && !(dl == 7 && !memcmp(d, "swiotlb", 7))) {
			ev->label = d;
			ev->label_len = dl;
		}
	}
	return true;
}

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A time stamp between snapshots: seconds since the epoch ("1767225600",
 * "1767225600.25"), ISO 8601 ("2026-01-01T00:00:00", optional zone ignored)
 * or date(1)'s default ("Thu Jan  1 00:00:00 UTC 2026").  Local zones are
 * ignored: only differences between stamps matter. */
static bool parse_timestamp(const char *s, const char *e, struct tev *ev)
{
	struct cur c = {s, e};
	double t;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (e - s >= 9 && isdigit((unsigned char)s[0]) && get_seconds(&c, &t) && c.p == c.e) {
		if (t < 1e8) /* a bare small number is not a date */
			return false;
		goto ok;
	}
	c.p = s;
	uint64_t y, mo, d, h, mi, se;
	if (get_dec(&c, &y) && y >= 1970 && y < 3000 && SKIP(&c, "-") && get_dec(&c, &mo) && SKIP(&c, "-") &&
	    get_dec(&c, &d) && (SKIP(&c, "T") || SKIP(&c, " ")) && get_dec(&c, &h) && SKIP(&c, ":") &&
	    get_dec(&c, &mi) && SKIP(&c, ":") && get_dec(&c, &se) && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	    h < 24 && mi < 60 && se < 61) {
		double frac = 0;
		if (c.p < c.e && (*c.p == '.' || *c.p == ',')) {
			struct cur f = {c.p + 1, c.e};
			uint64_t x;
			const char *fs = f.p;
			if (get_dec(&f, &x) && f.p - fs <= 9) {
				double sc = 1;
				for (const char *q = fs; q < f.p; q++)
					sc *= 10;
				frac = (double)x / sc;
			}
			c.p = f.p;
		}
		if (c.p < c.e && !(*c.p == 'Z' || *c.p == '+' || *c.p == '-' || *c.p == ' '))
			return false;
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = (int)mo - 1;
		tm.tm_mday = (int)d;
		tm.tm_hour = (int)h;
		tm.tm_min = (int)mi;
		tm.tm_sec = (int)se;
		t = (double)timegm(&tm) + frac;
		goto ok;
	}
	/* "Thu Jan  1 00:00:00 UTC 2026" */
	c.p = s;
	if (e - s < 24 || !isalpha((unsigned char)s[0]) || s[3] != ' ')
		return false;
	c.p = s + 4;
	int mon = -1;
	for (int i = 0; i < 12; i++)
		if (starts(&c, months[i], 3))
			mon = i;
	if (mon < 0)
		return false;
	c.p += 3;
	skip_blanks(&c);
	if (!(get_dec(&c, &d) && SKIP(&c, " ") && get_dec(&c, &h) && SKIP(&c, ":") && get_dec(&c, &mi) &&
	      SKIP(&c, ":") && get_dec(&c, &se)))
		return false;
	/* the zone is optional; the year ends the line */
	const char *q = e;
	while (q > c.p && q[-1] == ' ')
		q--;
	const char *ys = q;
	while (ys > c.p && isdigit((unsigned char)ys[-1]))
		ys--;
	struct cur yc = {ys, q};
	if (!get_dec(&yc, &y) || y < 1970 || y >= 3000 || d < 1 || d > 31 || h >= 24 || mi >= 60 || se > 60)
		return false;
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)se;
	t = (double)timegm(&tm);
ok:
	memset(ev, 0, sizeof(*ev));
	ev->kind = TEV_TIMESTAMP;
	ev->name = TN_TIMESTAMP;
	ev->cpu = -1;
	ev->dir = TEV_DIR_UNKNOWN;
	ev->has_ts = true;
	ev->ts = t;
	return true;
}

/* ------------------------------------------------------------ kernel log */

/* "(sz: N bytes)" and the counts that follow it in later kernels, and the
 * largest free run libswiotlb adds. */
static void parse_full(struct cur *c, struct tev *ev)
{
	skip_blanks(c);
	if (!SKIP(c, "(sz:"))
		return;
	skip_blanks(c);
	if (!get_dec(c, &ev->size) || !SKIP(c, " bytes)")) {
		set_malformed(ev, "unreadable (sz: N bytes)");
		return;
	}
	ev->has_size = true;
	if (!SKIP(c, ", total "))
		return;
	if (!get_dec(c, &ev->total) || !SKIP(c, " (slots), used ") || !get_dec(c, &ev->used) ||
	    !SKIP(c, " (slots)")) {
		set_malformed(ev, "unreadable total/used counts");
		return;
	}
	ev->has_total = ev->has_used = true;
	if (SKIP(c, ", largest free run ")) {
		if (get_dec(c, &ev->largest) && SKIP(c, " (slots)"))
			ev->has_largest = true;
		else
			set_malformed(ev, "unreadable largest free run");
	}
}

/* The device prefix of a dev_warn(): "DRIVER DEVICE: " (or just "DEVICE: "). */
static void device_prefix(const char *s, const char *msg, struct tev *ev)
{
	const char *q = msg;
	while (q > s && (q[-1] == ' ' || q[-1] == ':'))
		q--;
	if (q == s)
		return;
	const char *d = q;
	while (d > s && d[-1] != ' ')
		d--;
	ev->dev = d;
	ev->dev_len = (size_t)(q - d);
	const char *r = d;
	while (r > s && r[-1] == ' ')
		r--;
	if (r > s) {
		const char *dr = r;
		while (dr > s && dr[-1] != ' ')
			dr--;
		ev->drv = dr;
		ev->drv_len = (size_t)(r - dr);
	}
}

static void setk(struct tev *ev, int kind, int name)
{
	ev->kind = kind;
	ev->name = name;
}

/* "[mem 0xA-0xB]" -> a, b+1 (exclusive); with `inclusive` false the end is
 * already exclusive (swiotlb's own line prints start + size). */
static bool get_mem_range(struct cur *c, struct tev *ev, bool inclusive)
{
	uint64_t a, b;
	if (!SKIP(c, "[mem ") || !get_hex(c, &a) || !SKIP(c, "-") || !get_hex(c, &b) || !SKIP(c, "]"))
		return false;
	if (inclusive) {
		if (b == UINT64_MAX || b < a)
			return false;
		b++;
	} else if (b < a) {
		return false;
	}
	ev->a = a;
	ev->b = b;
	return true;
}

static void parse_swiotlb_msg(struct cur *c, struct tev *ev)
{
	/* "[LABEL ]mapped [mem A-B] (NMB)": LABEL is "", "Low Mem", "High Mem"
	 * or "pool NAME" */
	const char *mapped = FIND(c, "mapped [mem ");
	if (mapped) {
		setk(ev, TEV_MAPPED, TN_MAPPED);
		const char *l = c->p, *le = mapped;
		while (le > l && le[-1] == ' ')
			le--;
		ev->label = l;
		ev->label_len = (size_t)(le - l);
		c->p = mapped + 7;
		if (!get_mem_range(c, ev, false))
			set_malformed(ev, "unreadable [mem START-END]");
		return;
	}
	if (SKIP(c, "area num ")) {
		setk(ev, TEV_AREA_NUM, TN_AREA_NUM);
		if (!get_dec(c, &ev->a) || !ev->a || ev->a > (1u << 20))
			set_malformed(ev, "unreadable area count");
		return;
	}
	if (FIND(c, "Failed to allocate") || FIND(c, "Failed to remap")) {
		setk(ev, TEV_ALLOC_FAILED, TN_ALLOC_FAILED);
		const char *f = FIND(c, "allocate ");
		if (f) {
			struct cur n = {f + 9, c->e};
			get_dec(&n, &ev->a);
		}
		return;
	}
}

static void parse_log(const char *s, const char *e, struct tev *ev)
{
	struct cur c = {s, e};
	/* the x86 SEV/TDX and generic size lines, with or without the prefix */
	const char *sw = FIND(&c, "SWIOTLB bounce buffer size ");
	if (sw) {
		struct cur d = {sw + 27, e};
		if (SKIP(&d, "adjusted to ")) {
			setk(ev, TEV_ADJUSTED_TO, TN_ADJUSTED_TO);
			if (!get_dec(&d, &ev->a) || !SKIP(&d, "MB"))
				set_malformed(ev, "unreadable size in MB");
			return;
		}
		if (SKIP(&d, "roundup to ")) {
			setk(ev, TEV_ROUNDUP, TN_ROUNDUP);
			if (!get_dec(&d, &ev->a) || !SKIP(&d, "MB"))
				set_malformed(ev, "unreadable size in MB");
			return;
		}
		if (SKIP(&d, "adjusted ")) {
			setk(ev, TEV_ADJUSTED_SLABS, TN_ADJUSTED_SLABS);
			if (!get_dec(&d, &ev->a) || !SKIP(&d, " -> ") || !get_dec(&d, &ev->b))
				set_malformed(ev, "unreadable 'adjusted A -> B slabs'");
			return;
		}
	}
	if (SKIP(&c, "software IO TLB: ")) {
		parse_swiotlb_msg(&c, ev);
		return;
	}
	if (SKIP(&c, "software IO TLB [mem ")) { /* before v3.15: "... (64MB) mapped at [...]" */
		c.p -= 5;
		setk(ev, TEV_MAPPED, TN_MAPPED);
		if (!get_mem_range(&c, ev, true))
			set_malformed(ev, "unreadable [mem START-END]");
		return;
	}
	if (SKIP(&c, "BIOS-e820: ") || SKIP(&c, "Xen: ")) {
		setk(ev, TEV_E820, TN_E820);
		if (!get_mem_range(&c, ev, true)) {
			set_malformed(ev, "unreadable [mem START-END]");
			return;
		}
		skip_blanks(&c);
		ev->str = c.p;
		ev->str_len = (size_t)(c.e - c.p);
		ev->dma = ev->str_len == 6 && !memcmp(c.p, "usable", 6);
		return;
	}
	if (SKIP(&c, "Command line: ") || SKIP(&c, "Kernel command line: ")) {
		setk(ev, TEV_CMDLINE, TN_CMDLINE);
		ev->str = c.p;
		ev->str_len = (size_t)(c.e - c.p);
		return;
	}
	if (SKIP(&c, "Memory Encryption Features active:")) {
		setk(ev, TEV_MEM_ENCRYPT, TN_MEM_ENCRYPT);
		skip_blanks(&c);
		ev->str = c.p;
		ev->str_len = (size_t)(c.e - c.p);
		return;
	}
	if (SKIP(&c, "smpboot: Allowing ")) {
		setk(ev, TEV_CPUS, TN_CPUS);
		if (!get_dec(&c, &ev->a) || !ev->a)
			set_malformed(ev, "unreadable CPU count");
		return;
	}
	if (SKIP(&c, "setup_percpu: ")) {
		const char *n = FIND(&c, "nr_cpu_ids:");
		if (n) {
			setk(ev, TEV_CPUS, TN_CPUS);
			c.p = n + 11;
			if (!get_dec(&c, &ev->a) || !ev->a)
				set_malformed(ev, "unreadable nr_cpu_ids");
		}
		return;
	}
	if (SKIP(&c, "Memory: ")) {
		uint64_t avail, total;
		if (get_dec(&c, &avail) && SKIP(&c, "K/") && get_dec(&c, &total) && SKIP(&c, "K available")) {
			setk(ev, TEV_MEMORY, TN_MEMORY);
			ev->a = total << 10;
		}
		return;
	}
	if (SKIP(&c, "DMA: Out of SW-IOMMU space for ")) {
		setk(ev, TEV_OUT_OF_SPACE, TN_OUT_OF_SPACE);
		if (!get_dec(&c, &ev->size) || !SKIP(&c, " bytes")) {
			set_malformed(ev, "unreadable size");
			return;
		}
		ev->has_size = true;
		if (SKIP(&c, " at device ")) {
			ev->dev = c.p;
			while (c.p < c.e && *c.p != ' ')
				c.p++;
			ev->dev_len = (size_t)(c.p - ev->dev);
		}
		return;
	}
	if (SKIP(&c, "swiotlb: coherent allocation failed for device ")) {
		setk(ev, TEV_COHERENT_FAILED, TN_COHERENT_FAILED);
		ev->dev = c.p;
		while (c.p < c.e && *c.p != ' ')
			c.p++;
		ev->dev_len = (size_t)(c.p - ev->dev);
		if (!SKIP(&c, " size=") || !get_dec(&c, &ev->size))
			set_malformed(ev, "unreadable size=");
		else
			ev->has_size = true;
		return;
	}
	const char *full = FIND(&c, "swiotlb buffer is full");
	if (full) {
		setk(ev, TEV_FULL, TN_FULL);
		device_prefix(s, full, ev);
		c.p = full + 22;
		parse_full(&c, ev);
		return;
	}
	const char *never = FIND(&c, "swiotlb: request can never fit (sz: ");
	if (never) {
		setk(ev, TEV_NEVER_FIT, TN_NEVER_FIT);
		device_prefix(s, never, ev);
		c.p = never + 36;
		if (get_dec(&c, &ev->size) && SKIP(&c, " bytes"))
			ev->has_size = true;
		else
			set_malformed(ev, "unreadable size");
		return;
	}
	const char *nobuf = FIND(&c, "Can not allocate SWIOTLB buffer earlier");
	if (nobuf) {
		setk(ev, TEV_NO_BUFFER, TN_NO_BUFFER);
		device_prefix(s, nobuf, ev);
		return;
	}
	const char *sup = FIND(&c, " callbacks suppressed");
	if (sup && (FIND(&c, "swiotlb") || FIND(&c, "SWIOTLB"))) {
		/* "swiotlb_tbl_map_single: 12 callbacks suppressed" */
		const char *d = sup;
		while (d > s && isdigit((unsigned char)d[-1]))
			d--;
		struct cur n = {d, sup};
		if (d < sup && get_dec(&n, &ev->a))
			setk(ev, TEV_SUPPRESSED, TN_SUPPRESSED);
		return;
	}
}

/* ------------------------------------------------------------ dispatch */

int tev_parse(struct tev_parser *ps, const char *line, size_t len, struct tev *ev)
{
	const char *s = line, *e = line + len;
	while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	/* mail quoting, possibly nested */
	for (;;) {
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (s < e && *s == '>') {
			s++;
			continue;
		}
		break;
	}
	memset(ev, 0, sizeof(*ev));
	ev->cpu = -1;
	ev->dir = TEV_DIR_UNKNOWN;
	if (s == e)
		return ev->kind = TEV_UNKNOWN;
	if (*s == '#') {
		ev->kind = TEV_HEADER;
		return ev->kind;
	}
	/* "CPU:3 [LOST 120 EVENTS]" */
	if (e - s > 6 && s[0] == 'C' && !memcmp(s, "CPU:", 4)) {
		const char *l = memmem(s, (size_t)(e - s), "[LOST ", 6);
		if (l) {
			struct cur c = {l + 6, e};
			if (get_dec(&c, &ev->a)) {
				ev->kind = TEV_LOST;
				ev->name = TN_LOST;
				return ev->kind;
			}
		}
	}
	/* trace-cmd report's header lines */
	if ((e - s >= 9 && !memcmp(s, "version =", 9)) || (e - s > 4 && !memcmp(s, "cpus=", 5)) ||
	    (e - s > 4 && !memcmp(s, "CPU ", 4) && memmem(s, (size_t)(e - s), " is empty", 9))) {
		ev->kind = TEV_HEADER;
		return ev->kind;
	}
	/* "<idle>-0 [000] ..." is a trace line; "<4>[ 1.0] ..." a syslog one */
	bool prio = *s == '<' && e - s > 1 && isdigit((unsigned char)s[1]);
	if (*s != '[' && !prio && parse_trace_line(ps, s, e, ev))
		return ev->kind;

	/* journal: "Mar 03 12:00:00 host kernel: ..." */
	if (isalpha((unsigned char)*s) || isdigit((unsigned char)*s)) {
		size_t win = (size_t)(e - s) < 160 ? (size_t)(e - s) : 160;
		const char *k = memmem(s, win, " kernel: ", 9);
		if (k)
			s = k + 9;
	}
	/* syslog priority "<4>" */
	if (s < e && *s == '<') {
		const char *q = s + 1;
		while (q < e && isdigit((unsigned char)*q))
			q++;
		if (q < e && *q == '>' && q > s + 1)
			s = q + 1;
	}
	/* printk time stamp "[  12.345678]" (dmesg -T's "[Mon Jan 1 ...]" has no usable time) */
	if (s < e && *s == '[') {
		struct cur c = {s + 1, e};
		skip_blanks(&c);
		double t;
		if (get_seconds(&c, &t) && c.p < c.e && *c.p == ']') {
			ev->has_ts = true;
			ev->ts = t;
			s = c.p + 1;
		} else {
			const char *q = memchr(s, ']', (size_t)(e - s));
			if (q && q - s < 40)
				s = q + 1;
		}
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
	}
	if (s == e)
		return ev->kind = TEV_UNKNOWN;
	if (memchr(s, 'i', (size_t)(e - s)) && parse_debugfs(s, e, ev))
		return ev->kind;
	if (!ev->has_ts) {
		struct tev t;
		if (parse_timestamp(s, e, &t)) {
			*ev = t;
			return ev->kind;
		}
	}
	bool has_ts = ev->has_ts;
	double ts = ev->ts;
	parse_log(s, e, ev);
	ev->has_ts = has_ts;
	ev->ts = ts;
	return ev->kind;
}
