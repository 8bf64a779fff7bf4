/* SPDX-License-Identifier: MIT */
/*
 * swiotlb replay [--json] [--echo] [SCRIPT|-]
 *
 * Runs a script of statements against the library, one statement per line:
 *
 *     cpus 4
 *     cmdline "swiotlb=65536,1048576,force" dialect=rfc2021
 *     device nvme mask=64 min_align=0xfff
 *     map a dev=nvme orig=0x12345678 size=4096 dir=to_device
 *     expect map=a len=4096 byte=0
 *     unmap a
 *     stats
 *
 * The whole run shares one simulated physical address space
 * (swiotlb_posix, default memory map) in which every address of the span is
 * real memory, so `fill` and `expect` read and write actual bytes of the
 * original buffers and of the bounce slots.  At most one instance exists at
 * a time: `cmdline` replaces it, `pool` adds to it (creating an empty one
 * first if needed).  Devices outlive instances; mappings do not.
 *
 * Structure: read a line, tokenize it in place into a struct stmt (op,
 * positional argument, key=value pairs and bare flags), check the tokens
 * against the statement's row in `stmts[]`, run its handler, then emit one
 * result.  A handler first reads every argument (any malformed one is a
 * syntax error, which stops the run with exit status 2) and only then acts,
 * filling a struct res: the outcome (0, a library error, or a mismatch),
 * a message, the statement-specific JSON members and a human summary.
 * Log lines the library produces meanwhile are collected and attached.
 *
 * The format is a stable interface, documented in docs/replay.md and
 * swiotlb(1); tests/replay/ holds scripts with their expected output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/number.h"
#include "json.h"
#include "opt.h"
#include "text.h"
#include "replay_memory.h"
#include "swiotlb/posix.h"
#include "swiotlb/swiotlb.h"

#define MAX_ARGS 16
#define MAX_CPUS 4096

/* Outcomes that are not library errors. */
#define RES_SYNTAX 1000
#define RES_MISMATCH 1001

/* ------------------------------------------------------------ state */

struct arg {
	const char *key; /* NULL: a bare word or a quoted string */
	const char *val;
	bool quoted;
};

struct stmt_def;

struct stmt {
	const struct stmt_def *def;
	const char *op;
	const char *pos; /* the positional argument, when the statement has one */
	unsigned line;
	int nargs;
	struct arg args[MAX_ARGS];
};

struct dev_ent {
	char *name;
	struct swiotlb_device dev;
};

struct mapping {
	char *name;
	size_t dev;      /* index into devs */
	uint64_t dma;
	uint64_t orig;
	size_t size;
	uint32_t dir;
	bool bounced;
};

struct replay {
	struct swiotlb_posix *px;
	struct swiotlb_posix_opts po; /* the memory map px was made from (`memory`) */
	bool mem_given;
	struct swiotlb_platform plat;
	struct swiotlb *tlb;
	uint32_t ncpus;
	char policy[SWIOTLB_POLICY_NAME_MAX]; /* default policy of later instances: "linux" until a `policy` statement */
	bool debug;   /* later instances in debug mode (`debug on`) */
	unsigned cpu; /* what the platform's cpu_id reports */
	struct dev_ent *devs;
	size_t ndevs;
	struct mapping *maps;
	size_t nmaps;
	char **log;
	size_t nlog;
	bool json, echo;
	bool expect_failed;
	const char *label;
};

struct res {
	int rc;              /* 0, a negative enum swiotlb_error, RES_SYNTAX or RES_MISMATCH */
	char msg[1024];      /* detail appended to the error's description */
	const char *subject; /* printed after the op in human mode (a name) */
	char subject_buf[96];
	bool always_log;     /* emit "log" even when empty */
	struct json body;    /* statement-specific JSON members */
	FILE *h;             /* human summary */
	char *hbuf;
	size_t hlen;
};

typedef void (*stmt_fn)(struct replay *r, struct stmt *s, struct res *res);

struct stmt_def {
	const char *name;
	const char *pos;   /* name of the required positional argument, or NULL */
	const char *keys;  /* allowed keys, space separated */
	const char *flags; /* allowed bare words, space separated */
	stmt_fn run;
};

/* ---------------------------------------------------------- helpers */

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "swiotlb replay: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, word, n))
			return true;
		p = e ? e + 1 : p + len;
	}
	return false;
}

static void res_set(struct res *res, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void res_set(struct res *res, int rc, const char *fmt, ...)
{
	res->rc = rc;
	res->msg[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
		va_end(ap);
	}
}

#define syntax(res, ...) res_set((res), RES_SYNTAX, __VA_ARGS__)

static bool res_ok(const struct res *res)
{
	return res->rc == 0;
}

static const char *dir_name(uint32_t dir)
{
	switch (dir) {
	case SWIOTLB_TO_DEVICE: return "to_device";
	case SWIOTLB_FROM_DEVICE: return "from_device";
	case SWIOTLB_BIDIRECTIONAL: return "bidirectional";
	default: return "?";
	}
}

/* ------------------------------------------------- argument access */

static const struct arg *find_arg(const struct stmt *s, const char *key)
{
	for (int i = 0; i < s->nargs; i++)
		if (s->args[i].key && !strcmp(s->args[i].key, key))
			return &s->args[i];
	return NULL;
}

static const char *opt_str(const struct stmt *s, const char *key)
{
	const struct arg *a = find_arg(s, key);
	return a ? a->val : NULL;
}

static bool has_flag(const struct stmt *s, const char *flag)
{
	for (int i = 0; i < s->nargs; i++)
		if (!s->args[i].key && !s->args[i].quoted && !strcmp(s->args[i].val, flag) &&
		    s->args[i].val != s->pos)
			return true;
	return false;
}

/* A number: decimal or 0x hex, no leading zero (common/number.h). */
static bool parse_u64(const char *text, uint64_t *out)
{
	return num_parse_u64(text, out);
}

/*
 * Key `key` as a number in [0, max].  Absent: *out = def, or a syntax error
 * when required.  Returns false (with res set) on error.
 */
static bool get_num(const struct stmt *s, struct res *res, const char *key, bool required,
		    uint64_t def, uint64_t max, uint64_t *out)
{
	const char *v = opt_str(s, key);
	if (!v) {
		if (required) {
			syntax(res, "%s: missing %s=", s->op, key);
			return false;
		}
		*out = def;
		return true;
	}
	if (!parse_u64(v, out)) {
		if (num_leading_zero(v))
			syntax(res, "%s: %s=%s: a number has no leading zero (decimal, or 0x for hex)", s->op, key, v);
		else
			syntax(res, "%s: %s=%s is not a number", s->op, key, v);
		return false;
	}
	if (*out > max) {
		syntax(res, "%s: %s=%s is out of range (at most %" PRIu64 ")", s->op, key, v, max);
		return false;
	}
	return true;
}

static bool get_dir(const struct stmt *s, struct res *res, const char *key, bool required,
		    uint32_t def, uint32_t *out)
{
	const char *v = opt_str(s, key);
	*out = def;
	if (!v) {
		if (required)
			syntax(res, "%s: missing %s=", s->op, key);
		return !required;
	}
	if (!strcmp(v, "to_device"))
		*out = SWIOTLB_TO_DEVICE;
	else if (!strcmp(v, "from_device"))
		*out = SWIOTLB_FROM_DEVICE;
	else if (!strcmp(v, "bidirectional"))
		*out = SWIOTLB_BIDIRECTIONAL;
	else {
		syntax(res, "%s: %s=%s: expected to_device, from_device or bidirectional", s->op, key, v);
		return false;
	}
	return true;
}

static bool name_fits(const struct stmt *s, struct res *res, const char *what, const char *v, size_t max)
{
	if (strlen(v) >= max) {
		syntax(res, "%s: %s '%s' is too long (at most %zu characters)", s->op, what, v, max - 1);
		return false;
	}
	return true;
}

/* ------------------------------------------------ devices, mappings */

static struct dev_ent *find_dev(struct replay *r, const char *name, size_t *idx)
{
	for (size_t i = 0; i < r->ndevs; i++)
		if (!strcmp(r->devs[i].name, name)) {
			if (idx)
				*idx = i;
			return &r->devs[i];
		}
	return NULL;
}

static struct mapping *find_map(struct replay *r, const char *name)
{
	for (size_t i = 0; i < r->nmaps; i++)
		if (!strcmp(r->maps[i].name, name))
			return &r->maps[i];
	return NULL;
}

static void forget_map(struct replay *r, struct mapping *m)
{
	free(m->name);
	*m = r->maps[--r->nmaps];
}

static void forget_all_maps(struct replay *r)
{
	while (r->nmaps)
		forget_map(r, &r->maps[0]);
}

static void drop_instance(struct replay *r)
{
	if (r->tlb)
		swiotlb_destroy(r->tlb);
	r->tlb = NULL;
	forget_all_maps(r);
}

/* The statement needs an instance; false (with res set) when there is none. */
static bool need_tlb(struct replay *r, const struct stmt *s, struct res *res)
{
	if (r->tlb)
		return true;
	res_set(res, SWIOTLB_EINVAL, "no instance yet: start the script with cmdline or pool (%s)", s->op);
	return false;
}

static struct dev_ent *need_dev(struct replay *r, struct res *res, const char *name, size_t *idx)
{
	struct dev_ent *d = find_dev(r, name, idx);
	if (!d)
		res_set(res, SWIOTLB_EINVAL, "unknown device '%s'", name);
	return d;
}

static struct mapping *need_map(struct replay *r, struct res *res, const char *name)
{
	struct mapping *m = find_map(r, name);
	if (!m)
		res_set(res, SWIOTLB_EINVAL, "no live mapping named '%s'", name);
	return m;
}

/*
 * The live mapping named by the statement's positional argument, and in *di
 * the device to act for: the mapping's own, or dev= to test another's.
 */
static struct mapping *live_map(struct replay *r, const struct stmt *s, struct res *res, size_t *di)
{
	const char *devname = opt_str(s, "dev");
	struct mapping *m;
	if (!need_tlb(r, s, res) || !(m = need_map(r, res, s->pos)))
		return NULL;
	*di = m->dev;
	if (devname && !need_dev(r, res, devname, di))
		return NULL;
	return m;
}

/* ------------------------------------------------------ callbacks */

static void collect_log(void *arg, enum swiotlb_log_level level, const char *line)
{
	struct replay *r = arg;
	(void)level;
	r->log = xrealloc(r->log, (r->nlog + 1) * sizeof(*r->log));
	r->log[r->nlog++] = xstrdup(line);
}

static unsigned replay_cpu(void *arg)
{
	const struct replay *r = arg;
	return r->cpu;
}

/* ------------------------------------------------ pool description */

static void describe_pools(struct replay *r, struct res *res)
{
	int n = swiotlb_pool_count(r->tlb);
	bool force = swiotlb_force_bounce(r->tlb);
	json_key(&res->body, "pools");
	json_array_begin(&res->body);
	fprintf(res->h, "%d pool%s%s", n, n == 1 ? "" : "s", force ? ", force" : "");
	for (int i = 0; i < n; i++) {
		struct swiotlb_pool_info pi;
		if (swiotlb_pool_info(r->tlb, i, &pi))
			continue;
		const char *place = pi.placement == SWIOTLB_PLACE_ANY ? "any" : "low";
		json_object_begin(&res->body);
		json_kv_string(&res->body, "name", pi.name);
		json_kv_hex(&res->body, "base", pi.base);
		json_kv_hex(&res->body, "end", pi.end);
		json_kv_u64(&res->body, "slots", pi.nslabs);
		json_kv_u64(&res->body, "areas", pi.nareas);
		json_kv_string(&res->body, "placement", place);
		json_kv_string(&res->body, "policy", pi.policy);
		json_object_end(&res->body);
		fprintf(res->h, "\n  pool %s: [mem 0x%016" PRIx64 "-0x%016" PRIx64 "] %" PRIu64 " slots (",
			pi.name, pi.base, pi.end, pi.nslabs);
		char sz[32];
		fprintf(res->h, "%s), %u area%s, %s, policy %s",
			num_size_text(sz, sizeof(sz), pi.nslabs * SWIOTLB_SLOT_SIZE, NUM_SIZE_HUMAN), pi.nareas,
			pi.nareas == 1 ? "" : "s", place, pi.policy);
	}
	json_array_end(&res->body);
	json_kv_bool(&res->body, "force", force);
}

/* --------------------------------------------------------- statements */

static void st_cpus(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t n;
	if (!parse_u64(s->pos, &n) || n < 1 || n > MAX_CPUS) {
		syntax(res, "cpus: '%s' is not a CPU count (1..%d)", s->pos, MAX_CPUS);
		return;
	}
	r->ncpus = (uint32_t)n;
	json_kv_u64(&res->body, "cpus", n);
	fprintf(res->h, "%" PRIu64, n);
}

/* `policy NAME`: the default placement policy of instances created later
 * (by cmdline, or by the first pool), e.g. `policy linux` for a script whose
 * expected addresses are the kernel's. */
static void st_policy(struct replay *r, struct stmt *s, struct res *res)
{
	struct swiotlb_config cfg;
	struct swiotlb *probe;
	if (strlen(s->pos) >= sizeof(r->policy)) {
		syntax(res, "policy: '%s' is longer than %zu characters", s->pos, sizeof(r->policy) - 1);
		return;
	}
	swiotlb_config_init(&cfg);
	cfg.npools = 0;
	strcpy(cfg.policy, s->pos);
	int rc = swiotlb_create(&cfg, &r->plat, &probe);
	if (rc) {
		char names[128] = "";
		for (int i = 0; swiotlb_policy_name(i); i++) {
			size_t len = strlen(names);
			snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "", swiotlb_policy_name(i));
		}
		res_set(res, rc, "no placement policy '%s' (policies: %s)", s->pos, names);
		return;
	}
	swiotlb_destroy(probe);
	strcpy(r->policy, s->pos);
	json_kv_string(&res->body, "policy", r->policy);
	fprintf(res->h, "%s", r->policy);
}

/*
 * `debug on|off`: the debug mode (docs/debug.md) of instances created later;
 * `debug report`: the current instance's live mappings by device, as its
 * destroy would report them as leaks.
 */
static void st_debug(struct replay *r, struct stmt *s, struct res *res)
{
	struct swiotlb_config cfg;
	struct swiotlb *probe;
	bool on = !strcmp(s->pos, "on");
	if (!strcmp(s->pos, "report")) {
		if (!need_tlb(r, s, res))
			return;
		res->always_log = true;
		int n = swiotlb_debug_report(r->tlb);
		if (n < 0) {
			res_set(res, n, "the instance is not in debug mode");
			return;
		}
		json_kv_u64(&res->body, "live", (uint64_t)n);
		fprintf(res->h, "%d live mapping%s", n, n == 1 ? "" : "s");
		return;
	}
	if (!on && strcmp(s->pos, "off")) {
		syntax(res, "debug: '%s': expected on, off or report", s->pos);
		return;
	}
	res->always_log = true;
	if (on) { /* a library built without SWIOTLB_DEBUG says so */
		swiotlb_config_init(&cfg);
		cfg.npools = 0;
		cfg.debug = true;
		int rc = swiotlb_create(&cfg, &r->plat, &probe);
		if (rc) {
			res_set(res, rc, "debug mode is not available");
			return;
		}
		swiotlb_destroy(probe);
	}
	r->debug = on;
	json_kv_bool(&res->body, "debug", on);
	fprintf(res->h, "%s", on ? "on" : "off");
}

static void st_cmdline(struct replay *r, struct stmt *s, struct res *res)
{
	struct swiotlb_parse_opts po = {0};
	const char *d = opt_str(s, "dialect");
	if (d) {
		int v = swiotlb_dialect_from_name(d);
		if (v < 0) {
			syntax(res, "cmdline: unknown dialect '%s' (mainline, rfc2021, named)", d);
			return;
		}
		po.dialect = (uint32_t)v;
	}
	if (has_flag(s, "strict") && has_flag(s, "lenient")) {
		syntax(res, "cmdline: strict and lenient exclude each other");
		return;
	}
	po.lenient = has_flag(s, "lenient");
	res->always_log = true;

	struct swiotlb_config cfg;
	char err[512] = "";
	swiotlb_config_init(&cfg);
	cfg.ncpus = r->ncpus;
	strcpy(cfg.policy, r->policy);
	cfg.debug = r->debug;
	po.log = collect_log;
	po.log_arg = r;
	po.err = err;
	po.err_len = sizeof(err);
	int rc = swiotlb_parse_cmdline(s->pos, &po, &cfg);
	if (rc) {
		res_set(res, rc, "%s", err);
		return;
	}
	drop_instance(r);
	rc = swiotlb_create(&cfg, &r->plat, &r->tlb);
	if (rc) {
		r->tlb = NULL;
		res_set(res, rc, "swiotlb_create failed");
		return;
	}
	describe_pools(r, res);
}

/* An instance without pools, for scripts that start with `pool`. */
static int create_empty(struct replay *r)
{
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	cfg.ncpus = r->ncpus;
	cfg.npools = 0;
	strcpy(cfg.policy, r->policy);
	cfg.debug = r->debug;
	return swiotlb_create(&cfg, &r->plat, &r->tlb);
}

static void st_pool(struct replay *r, struct stmt *s, struct res *res)
{
	struct swiotlb_pool_config pc;
	uint64_t slots, areas, base = 0;
	memset(&pc, 0, sizeof(pc));
	res->subject = s->pos;
	if (!name_fits(s, res, "pool name", s->pos, sizeof(pc.name)) ||
	    !get_num(s, res, "slots", true, 0, UINT64_MAX, &slots) ||
	    !get_num(s, res, "areas", false, 0, UINT32_MAX, &areas) ||
	    !get_num(s, res, "base", false, 0, UINT64_MAX, &base))
		return;
	const char *place = opt_str(s, "placement");
	if (place && strcmp(place, "low") && strcmp(place, "any")) {
		syntax(res, "pool: placement=%s: expected low or any", place);
		return;
	}
	const char *policy = opt_str(s, "policy");
	if (policy && !name_fits(s, res, "policy", policy, sizeof(pc.policy)))
		return;

	strcpy(pc.name, s->pos);
	pc.nslabs = slots;
	pc.nareas = (uint32_t)areas;
	pc.placement = place && !strcmp(place, "any") ? SWIOTLB_PLACE_ANY : SWIOTLB_PLACE_LOW;
	pc.placement_set = place != NULL;
	pc.has_base = opt_str(s, "base") != NULL;
	pc.base = base;
	pc.exact = true;
	if (policy)
		strcpy(pc.policy, policy);
	res->always_log = true;

	int rc = r->tlb ? 0 : create_empty(r);
	if (rc) {
		r->tlb = NULL;
		res_set(res, rc, "cannot create an empty instance");
		return;
	}
	rc = swiotlb_pool_add(r->tlb, &pc);
	if (rc < 0) {
		res_set(res, rc, "pool %s", pc.name);
		return;
	}
	fprintf(res->h, "added; ");
	describe_pools(r, res);
}

static void st_device(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t mask, limit, min_align, boundary;
	if (!get_num(s, res, "mask", false, 32, UINT64_MAX, &mask) ||
	    !get_num(s, res, "bus_limit", false, 0, UINT64_MAX, &limit) ||
	    !get_num(s, res, "min_align", false, 0, UINT64_MAX, &min_align) ||
	    !get_num(s, res, "boundary", false, 0, UINT64_MAX, &boundary))
		return;
	res->subject = s->pos;
	json_kv_string(&res->body, "name", s->pos);
	if (find_dev(r, s->pos, NULL)) {
		res_set(res, SWIOTLB_EINVAL, "device '%s' is already defined", s->pos);
		return;
	}
	if (mask <= 64)
		mask = swiotlb_bit_mask((unsigned)mask);
	r->devs = xrealloc(r->devs, (r->ndevs + 1) * sizeof(*r->devs));
	struct dev_ent *d = &r->devs[r->ndevs++];
	d->name = xstrdup(s->pos);
	swiotlb_device_init(&d->dev, d->name, mask);
	d->dev.bus_dma_limit = limit;
	d->dev.min_align_mask = min_align;
	d->dev.seg_boundary_mask = boundary;
	if (has_flag(s, "force"))
		d->dev.flags |= SWIOTLB_DEV_FORCE_BOUNCE;

	size_t maxmap = swiotlb_max_mapping_size(&d->dev);
	json_kv_hex(&res->body, "mask", mask);
	json_kv_hex(&res->body, "bus_limit", limit);
	json_kv_hex(&res->body, "min_align", min_align);
	json_kv_hex(&res->body, "boundary", boundary);
	json_kv_bool(&res->body, "force", has_flag(s, "force"));
	json_kv_u64(&res->body, "max_mapping_size", maxmap);
	fprintf(res->h, "mask=0x%" PRIx64, mask);
	if (limit)
		fprintf(res->h, " bus_limit=0x%" PRIx64, limit);
	if (min_align)
		fprintf(res->h, " min_align=0x%" PRIx64, min_align);
	if (boundary)
		fprintf(res->h, " boundary=0x%" PRIx64, boundary);
	if (has_flag(s, "force"))
		fprintf(res->h, " force");
	fprintf(res->h, " max_mapping_size=%zu", maxmap);
}

static void st_map(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t orig, size, align, cpu;
	uint32_t dir;
	const char *devname = opt_str(s, "dev");
	if (!devname) {
		syntax(res, "map: missing dev=");
		return;
	}
	if (!get_num(s, res, "orig", true, 0, UINT64_MAX, &orig) ||
	    !get_num(s, res, "size", true, 0, SIZE_MAX, &size) ||
	    !get_dir(s, res, "dir", true, 0, &dir) ||
	    !get_num(s, res, "align", false, 0, UINT64_MAX, &align) ||
	    !get_num(s, res, "cpu", false, 0, INT32_MAX, &cpu))
		return;
	res->subject = s->pos;
	json_kv_string(&res->body, "name", s->pos);
	size_t di;
	struct dev_ent *d;
	if (!need_tlb(r, s, res) || !(d = need_dev(r, res, devname, &di)))
		return;
	if (find_map(r, s->pos)) {
		res_set(res, SWIOTLB_EINVAL, "mapping '%s' is still live", s->pos);
		return;
	}
	struct swiotlb_map_args a = {
		.orig = orig,
		.size = (size_t)size,
		.dir = dir,
		.attrs = (has_flag(s, "skip_sync") ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0) |
			 (has_flag(s, "no_warn") ? SWIOTLB_ATTR_NO_WARN : 0),
		.alloc_align_mask = align,
		.cpu = find_arg(s, "cpu") ? (int)cpu : -1,
	};
	struct swiotlb_map_result mr;
	memset(&mr, 0, sizeof(mr));
	int rc = swiotlb_map_ex(r->tlb, &d->dev, &a, &mr);
	if (rc) {
		json_kv_hex(&res->body, "orig", orig);
		json_kv_u64(&res->body, "size", size);
		/* the library refuses an original inside a pool as a bad argument:
		 * say which pool */
		struct swiotlb_pool_info pi;
		for (int i = 0; rc == SWIOTLB_EINVAL && size && orig + size - 1 >= orig &&
				swiotlb_pool_info(r->tlb, i, &pi) == 0; i++)
			if (orig < pi.end && orig + size > pi.base) {
				res_set(res, rc, "the original buffer [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps pool %s [0x%" PRIx64
						 ", 0x%" PRIx64 "): an original may not lie in bounce memory",
					orig, orig + size, pi.name, pi.base, pi.end);
				return;
			}
		res_set(res, rc, NULL);
		return;
	}
	r->maps = xrealloc(r->maps, (r->nmaps + 1) * sizeof(*r->maps));
	r->maps[r->nmaps++] = (struct mapping){
		.name = xstrdup(s->pos),
		.dev = di,
		.dma = mr.dma,
		.orig = orig,
		.size = (size_t)size,
		.dir = dir,
		.bounced = mr.bounced,
	};
	json_kv_bool(&res->body, "bounced", mr.bounced);
	json_kv_hex(&res->body, "dma", mr.dma);
	json_kv_hex(&res->body, "orig", orig);
	json_kv_u64(&res->body, "size", size);
	json_kv_string(&res->body, "dir", dir_name(dir));
	fprintf(res->h, "%s dma=0x%" PRIx64, mr.bounced ? "bounced" : "direct", mr.dma);
	if (mr.bounced) {
		struct swiotlb_pool_info pi;
		const char *pool = "?";
		if (!swiotlb_pool_info(r->tlb, mr.pool, &pi))
			pool = pi.name;
		json_kv_string(&res->body, "pool", pool);
		json_kv_u64(&res->body, "slots", mr.slots);
		fprintf(res->h, " pool=%s slots=%" PRIu32, pool, mr.slots);
	}
}

static void st_unmap(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t size, dma;
	uint32_t dir;
	res->subject = s->pos;
	json_kv_string(&res->body, "name", s->pos);
	struct mapping *m = find_map(r, s->pos);
	/* Read every argument first: the defaults come from the mapping. */
	if (!get_num(s, res, "size", false, m ? m->size : 0, SIZE_MAX, &size) ||
	    !get_num(s, res, "dma", false, m ? m->dma : 0, UINT64_MAX, &dma) ||
	    !get_dir(s, res, "dir", false, m ? m->dir : 0, &dir))
		return;
	size_t di;
	if (!(m = live_map(r, s, res, &di)))
		return;
	uint32_t attrs = has_flag(s, "skip_sync") ? SWIOTLB_ATTR_SKIP_CPU_SYNC : 0;
	json_kv_hex(&res->body, "dma", dma);
	json_kv_u64(&res->body, "size", size);
	int rc = swiotlb_unmap(r->tlb, &r->devs[di].dev, dma, (size_t)size, dir, attrs);
	if (rc) {
		res_set(res, rc, NULL);
		return;
	}
	fprintf(res->h, "dma=0x%" PRIx64 " size=%" PRIu64, dma, size);
	if (dma == m->dma)
		forget_map(r, m);
}

static void st_sync(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t off, len;
	uint32_t dir;
	const char *target = opt_str(s, "for");
	if (!target) {
		syntax(res, "sync: missing for=");
		return;
	}
	bool for_cpu = !strcmp(target, "cpu");
	if (!for_cpu && strcmp(target, "device")) {
		syntax(res, "sync: for=%s: expected cpu or device", target);
		return;
	}
	res->subject = s->pos;
	json_kv_string(&res->body, "name", s->pos);
	struct mapping *m = find_map(r, s->pos);
	uint64_t dma_arg = 0;
	if (find_arg(s, "dma") && (find_arg(s, "offset") || !find_arg(s, "len"))) {
		syntax(res, "sync: dma= goes with len= and without offset=");
		return;
	}
	if (!get_num(s, res, "offset", false, 0, UINT64_MAX, &off) ||
	    !get_num(s, res, "dma", false, 0, UINT64_MAX, &dma_arg) ||
	    !get_num(s, res, "len", false, m && off <= m->size ? m->size - off : 0, SIZE_MAX, &len) ||
	    !get_dir(s, res, "dir", false, m ? m->dir : 0, &dir))
		return;
	size_t di;
	if (!(m = live_map(r, s, res, &di)))
		return;
	if (off > UINT64_MAX - m->dma) {
		res_set(res, SWIOTLB_ERANGE, "offset %" PRIu64 " wraps around the address space", off);
		return;
	}
	uint64_t dma = find_arg(s, "dma") ? dma_arg : m->dma + off;
	json_kv_string(&res->body, "for", target);
	json_kv_hex(&res->body, "dma", dma);
	json_kv_u64(&res->body, "len", len);
	const struct swiotlb_device *dev = &r->devs[di].dev;
	int rc = for_cpu ? swiotlb_sync_for_cpu(r->tlb, dev, dma, (size_t)len, dir)
			 : swiotlb_sync_for_device(r->tlb, dev, dma, (size_t)len, dir);
	if (rc) {
		res_set(res, rc, NULL);
		return;
	}
	fprintf(res->h, "for %s dma=0x%" PRIx64 " len=%" PRIu64, target, dma, len);
}

/*
 * The bytes `fill` and `expect` address: orig=ADDR (an original buffer), or
 * map=NAME [offset=N] (what the device sees: the bounce slots of a bounced
 * mapping, the original of a direct one).  Returns a pointer or NULL (res set).
 */

/* fill and expect reach the memory below the top of RAM (the span scripts
 * had before the sparse one) and the pools, wherever they are */
static bool in_world(const struct replay *r, uint64_t phys, uint64_t len)
{
	uint64_t top = r->po.nram ? r->po.ram[r->po.nram - 1].end : 9ull << 30;
	if (top < (4ull << 30))
		top = 4ull << 30;
	if (phys < top && len <= top - phys)
		return true;
	struct swiotlb_pool_info pi;
	for (int i = 0; r->tlb && swiotlb_pool_info(r->tlb, i, &pi) == 0; i++)
		if (phys >= pi.base && phys < pi.end && len <= pi.end - phys)
			return true;
	return false;
}

static unsigned char *target_bytes(struct replay *r, struct stmt *s, struct res *res, uint64_t *len,
				   uint64_t *byte)
{
	uint64_t orig = 0, off;
	const char *mname = opt_str(s, "map");
	bool has_orig = find_arg(s, "orig") != NULL;
	if (has_orig == (mname != NULL)) {
		syntax(res, "%s: give exactly one of orig= and map=", s->op);
		return NULL;
	}
	if (has_orig && find_arg(s, "offset")) {
		syntax(res, "%s: offset= goes with map=, not orig=", s->op);
		return NULL;
	}
	if ((has_orig && !get_num(s, res, "orig", true, 0, UINT64_MAX, &orig)) ||
	    !get_num(s, res, "offset", false, 0, UINT64_MAX, &off) ||
	    !get_num(s, res, "len", true, 0, SIZE_MAX, len) ||
	    !get_num(s, res, "byte", true, 0, 0xff, byte))
		return NULL;

	if (mname)
		snprintf(res->subject_buf, sizeof(res->subject_buf), "map=%s+%" PRIu64, mname, off);
	else
		snprintf(res->subject_buf, sizeof(res->subject_buf), "orig=0x%" PRIx64, orig);
	res->subject = res->subject_buf;
	uint64_t phys = orig;
	if (mname) {
		json_kv_string(&res->body, "map", mname);
		json_kv_u64(&res->body, "offset", off);
		struct mapping *m = need_map(r, res, mname);
		if (!m)
			return NULL;
		if (off > m->size || *len > m->size - off) {
			res_set(res, SWIOTLB_ERANGE, "offset %" PRIu64 " + len %" PRIu64
				" is beyond the %zu bytes of mapping '%s'", off, *len, m->size, mname);
			return NULL;
		}
		if (m->bounced)
			phys = (r->plat.dma_to_phys ? r->plat.dma_to_phys(r->plat.ctx, m->dma) : m->dma) + off;
		else
			phys = m->orig + off;
	}
	json_kv_hex(&res->body, "addr", phys);
	json_kv_u64(&res->body, "len", *len);
	static unsigned char nothing;
	if (!*len)
		return &nothing;
	unsigned char *p = in_world(r, phys, *len) ? swiotlb_posix_ptr(r->px, phys, (size_t)*len) : NULL;
	if (!p)
		res_set(res, SWIOTLB_EINVAL, "[0x%" PRIx64 ", +%" PRIu64 ") is outside the simulated phys space", phys, *len);
	return p;
}

static unsigned char pattern(uint64_t byte, bool inc, uint64_t i)
{
	return (unsigned char)(inc ? byte + i : byte);
}

static void st_fill(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t len, byte;
	unsigned char *p = target_bytes(r, s, res, &len, &byte);
	if (!p)
		return;
	bool inc = has_flag(s, "inc");
	for (uint64_t i = 0; i < len; i++)
		p[i] = pattern(byte, inc, i);
	fprintf(res->h, "%" PRIu64 " bytes of 0x%02x%s", len, (unsigned)byte, inc ? " (incrementing)" : "");
}

static void st_expect(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t len, byte;
	unsigned char *p = target_bytes(r, s, res, &len, &byte);
	if (!p)
		return;
	bool inc = has_flag(s, "inc");
	for (uint64_t i = 0; i < len; i++) {
		unsigned char want = pattern(byte, inc, i);
		if (p[i] != want) {
			json_kv_u64(&res->body, "mismatch_at", i);
			char hex[8];
			snprintf(hex, sizeof(hex), "0x%02x", p[i]);
			json_kv_string(&res->body, "found", hex);
			res_set(res, RES_MISMATCH, "byte %" PRIu64 " is %s, expected 0x%02x", i, hex, want);
			return;
		}
	}
	fprintf(res->h, "%" PRIu64 " bytes of 0x%02x%s", len, (unsigned)byte, inc ? " (incrementing)" : "");
}

static void st_stats(struct replay *r, struct stmt *s, struct res *res)
{
	if (!need_tlb(r, s, res))
		return;
	size_t n = swiotlb_stats_json(r->tlb, NULL, 0);
	char *buf = xrealloc(NULL, n + 1);
	swiotlb_stats_json(r->tlb, buf, n + 1);
	json_key(&res->body, "stats");
	json_raw(&res->body, buf, strlen(buf));
	n = swiotlb_stats_text(r->tlb, NULL, 0);
	buf = xrealloc(buf, n + 1);
	swiotlb_stats_text(r->tlb, buf, n + 1);
	/* one counter per line, indented under the statement */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(res->h, "\n  %s", line);
	free(buf);
}

static void st_reset_hiwater(struct replay *r, struct stmt *s, struct res *res)
{
	uint64_t v;
	if (!get_num(s, res, "value", false, 0, UINT64_MAX, &v) || !need_tlb(r, s, res))
		return;
	int rc = swiotlb_reset_hiwater(r->tlb, v);
	if (rc)
		res_set(res, rc, NULL);
}

static void st_check(struct replay *r, struct stmt *s, struct res *res)
{
	char why[512] = "";
	if (!need_tlb(r, s, res))
		return;
	int rc = swiotlb_check(r->tlb, why, sizeof(why));
	if (rc)
		res_set(res, rc, "%s", why);
	else
		fprintf(res->h, "invariants hold");
}

/* `memory SIZE | START-END | "BIOS-e820: [mem A-B] TYPE"`: the RAM of the
 * world, before any instance exists (replay_memory.h). */
static void st_memory(struct replay *r, struct stmt *s, struct res *res)
{
	char err[256];
	struct swiotlb_posix_opts po = r->po;
	bool given = r->mem_given;
	if (replay_memory_apply(s->pos, &po, &given, err, sizeof(err))) {
		syntax(res, "%s", err);
		return;
	}
	if (r->tlb) {
		res_set(res, SWIOTLB_EINVAL, "memory: give the memory map before cmdline and pool");
		return;
	}
	uint64_t top = po.nram ? po.ram[po.nram - 1].end : 0;
	po.span = top > REPLAY_DEFAULT_SPAN ? top : REPLAY_DEFAULT_SPAN;
	if (!po.nram) {
		res_set(res, SWIOTLB_EINVAL, "memory: no usable RAM yet");
		return;
	}
	/* one sparse span at a time: two would not fit in the address space */
	swiotlb_posix_destroy(r->px);
	int rc = swiotlb_posix_create(&po, &r->px);
	if (rc) {
		if (swiotlb_posix_create(&r->po, &r->px)) {
			fprintf(stderr, "swiotlb replay: cannot recreate the simulated address space\n");
			exit(2);
		}
		swiotlb_posix_set_log(r->px, collect_log, r);
		swiotlb_posix_set_cpu(r->px, replay_cpu, r);
		swiotlb_posix_platform(r->px, &r->plat);
		res_set(res, rc, "memory: the simulated address space cannot hold this map");
		return;
	}
	r->po = po;
	r->mem_given = given;
	swiotlb_posix_set_log(r->px, collect_log, r);
	swiotlb_posix_set_cpu(r->px, replay_cpu, r);
	swiotlb_posix_platform(r->px, &r->plat);
	json_key(&res->body, "ram");
	json_array_begin(&res->body);
	uint64_t total = 0;
	for (uint32_t i = 0; i < po.nram; i++) {
		json_object_begin(&res->body);
		json_kv_hex(&res->body, "start", po.ram[i].start);
		json_kv_hex(&res->body, "end", po.ram[i].end);
		json_object_end(&res->body);
		total += po.ram[i].end - po.ram[i].start;
	}
	json_array_end(&res->body);
	json_kv_u64(&res->body, "bytes", total);
	fprintf(res->h, "%" PRIu32 " RAM range%s, %" PRIu64 " MiB", po.nram, po.nram == 1 ? "" : "s", total >> 20);
}

static const struct stmt_def stmts[] = {
	{"memory", "MAP", "", "", st_memory},
	{"cpus", "COUNT", "", "", st_cpus},
	{"policy", "NAME", "", "", st_policy},
	{"debug", "on|off|report", "", "", st_debug},
	{"cmdline", "TEXT", "dialect", "strict lenient", st_cmdline},
	{"pool", "NAME", "base slots placement areas policy", "", st_pool},
	{"device", "NAME", "mask bus_limit min_align boundary", "force", st_device},
	{"map", "NAME", "dev orig size dir align cpu", "skip_sync no_warn", st_map},
	{"unmap", "NAME", "size dma dev dir", "skip_sync", st_unmap},
	{"sync", "NAME", "for offset len dma dev dir", "", st_sync},
	{"fill", NULL, "orig map offset len byte", "inc", st_fill},
	{"expect", NULL, "orig map offset len byte", "inc", st_expect},
	{"stats", NULL, "", "", st_stats},
	{"reset_hiwater", NULL, "value", "", st_reset_hiwater},
	{"check", NULL, "", "", st_check},
};

/* ----------------------------------------------------------- parsing */

/*
 * Read a quoted string starting at *pp (at the opening quote), unescaping
 * \" and \\ in place.  Returns its start, or NULL when unterminated.
 */
static char *read_quoted(char **pp)
{
	char *p = *pp + 1, *w = p, *start = p;
	for (;;) {
		if (!*p)
			return NULL;
		if (*p == '"')
			break;
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		*w++ = *p++;
	}
	*w = '\0';
	*pp = p + 1;
	return start;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/*
 * Split `line` (modified in place) into s->op and s->args.  Returns false
 * with a message in `err` on a lexical error; s->op is NULL for a line
 * with no statement.
 */
static bool tokenize(char *line, struct stmt *s, char *err, size_t errlen)
{
	char *p = line;
	s->op = NULL;
	s->nargs = 0;
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p || *p == '#')
			return true;
		struct arg a = {0};
		if (*p == '"') {
			a.quoted = true;
			if (!(a.val = read_quoted(&p))) {
				snprintf(err, errlen, "unterminated quoted string");
				return false;
			}
		} else {
			char *start = p;
			while (*p && !is_space(*p) && *p != '#' && *p != '=' && *p != '"')
				p++;
			if (*p == '"') {
				snprintf(err, errlen, "unexpected '\"' in '%.*s'", (int)(p - start + 1), start);
				return false;
			}
			if (*p == '=') {
				*p++ = '\0';
				a.key = start;
				if (!*a.key) {
					snprintf(err, errlen, "'=' without a key");
					return false;
				}
				if (*p == '"') {
					a.quoted = true;
					if (!(a.val = read_quoted(&p))) {
						snprintf(err, errlen, "unterminated quoted string");
						return false;
					}
				} else {
					a.val = p;
					while (*p && !is_space(*p) && *p != '#' && *p != '"' && *p != '=')
						p++;
					if (*p == '"' || *p == '=') {
						snprintf(err, errlen, "unexpected '%c' in the value of %s=", *p, a.key);
						return false;
					}
					if (p == a.val) {
						snprintf(err, errlen, "%s= has no value", a.key);
						return false;
					}
				}
			} else {
				a.val = start;
			}
		}
		/* terminate the token; a '#' right after it still starts a comment */
		char c = *p;
		if (c && !is_space(c) && c != '#') {
			snprintf(err, errlen, "text right after a closing quote");
			return false;
		}
		*p = '\0';
		bool stop = c == '#' || c == '\0';
		if (!s->op) {
			if (a.key || a.quoted) {
				snprintf(err, errlen, "a line must start with a statement name");
				return false;
			}
			s->op = a.val;
		} else {
			if (s->nargs == MAX_ARGS) {
				snprintf(err, errlen, "too many arguments (at most %d)", MAX_ARGS);
				return false;
			}
			s->args[s->nargs++] = a;
		}
		if (stop)
			return true;
		p++;
	}
}

/* Match the tokens against the statement's definition. */
static bool validate(struct stmt *s, char *err, size_t errlen)
{
	const struct stmt_def *d = NULL;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		if (!strcmp(stmts[i].name, s->op))
			d = &stmts[i];
	if (!d) {
		snprintf(err, errlen, "unknown statement '%s'", s->op);
		return false;
	}
	s->def = d;
	s->pos = NULL;
	int i = 0;
	if (d->pos) {
		if (!s->nargs || s->args[0].key) {
			snprintf(err, errlen, "%s: missing %s", s->op, d->pos);
			return false;
		}
		s->pos = s->args[0].val;
		i = 1;
	}
	for (; i < s->nargs; i++) {
		const struct arg *a = &s->args[i];
		if (!a->key) {
			if (a->quoted || !in_list(d->flags, a->val)) {
				snprintf(err, errlen, "%s: unexpected argument '%s'", s->op, a->val);
				return false;
			}
			continue;
		}
		if (!in_list(d->keys, a->key)) {
			snprintf(err, errlen, "%s: unknown key '%s'", s->op, a->key);
			return false;
		}
		for (int k = 0; k < i; k++)
			if (s->args[k].key && !strcmp(s->args[k].key, a->key)) {
				snprintf(err, errlen, "%s: %s= given twice", s->op, a->key);
				return false;
			}
	}
	return true;
}

/* ------------------------------------------------------------ output */

static void emit(struct replay *r, const struct stmt *s, const char *op, struct res *res)
{
	fflush(res->h);
	bool ok = res_ok(res);
	const char *ename = NULL;
	char message[1400] = "";
	if (!ok) {
		if (res->rc == RES_SYNTAX) {
			ename = "syntax";
			snprintf(message, sizeof(message), "%s", res->msg);
		} else if (res->rc == RES_MISMATCH) {
			ename = "mismatch";
			snprintf(message, sizeof(message), "%s", res->msg);
		} else {
			ename = swiotlb_errname(res->rc);
			snprintf(message, sizeof(message), "%s%s%s", swiotlb_strerror(res->rc),
				 res->msg[0] ? ": " : "", res->msg);
		}
	}
	if (r->json) {
		struct json j;
		json_init(&j);
		json_object_begin(&j);
		json_kv_string(&j, "op", op);
		json_kv_u64(&j, "line", s->line);
		json_kv_bool(&j, "ok", ok);
		if (!ok) {
			json_kv_string(&j, "error", ename);
			json_kv_string(&j, "message", message);
		}
		if (res->rc != RES_SYNTAX)
			json_members(&j, &res->body);
		if (res->rc != RES_SYNTAX && (r->nlog || res->always_log)) {
			json_key(&j, "log");
			json_array_begin(&j);
			for (size_t i = 0; i < r->nlog; i++)
				json_string(&j, r->log[i]);
			json_array_end(&j);
		}
		json_object_end(&j);
		printf("%s\n", json_text(&j));
		json_free(&j);
	} else if (res->rc == RES_SYNTAX) {
		text_printf(stderr, false, "%s:%u: syntax error: %s", r->label, s->line, message);
		fputc('\n', stderr);
	} else {
		/* "op subject: summary"; a summary may go on with indented lines.
		 * Names and messages quote the script: shown made safe, keeping
		 * only the summary's own line breaks (a script line has none). */
		text_printf(stdout, false, "%s%s%s:", op, res->subject ? " " : "", res->subject ? res->subject : "");
		if (!ok)
			text_printf(stdout, false, " error %s: %s", ename, message);
		else if (!res->hlen)
			printf(" ok");
		if (res->hlen)
			text_printf(stdout, true, "%s%s", res->hbuf[0] == '\n' ? "" : ok ? " " : "\n  ", res->hbuf);
		printf("\n");
		for (size_t i = 0; i < r->nlog; i++)
			printf("  log: %s\n", text_show(r->log[i]));
	}
	for (size_t i = 0; i < r->nlog; i++)
		free(r->log[i]);
	r->nlog = 0;
}

/* ---------------------------------------------------------- the run */

static void replay_free(struct replay *r)
{
	drop_instance(r);
	if (r->px)
		swiotlb_posix_destroy(r->px);
	for (size_t i = 0; i < r->ndevs; i++)
		free(r->devs[i].name);
	free(r->devs);
	free(r->maps);
	for (size_t i = 0; i < r->nlog; i++)
		free(r->log[i]);
	free(r->log);
}

static void echo_line(const char *line)
{
	size_t n = strlen(line);
	while (n && is_space(line[n - 1]))
		n--;
	size_t i = 0;
	while (i < n && is_space(line[i]))
		i++;
	if (i == n)
		printf("\n");
	else if (line[i] == '#')
		text_printf(stdout, false, "%.*s", (int)(n - i), line + i);
	else
		text_printf(stdout, false, "> %.*s", (int)(n - i), line + i);
	if (i < n)
		printf("\n");
}

int replay_stream(FILE *in, const char *label, bool json, bool echo)
{
	struct replay r;
	memset(&r, 0, sizeof(r));
	/* replay checks kernel behaviour: its addresses are the kernel's unless a
	 * script asks for another policy (`policy fast`) */
	strcpy(r.policy, "linux");
	r.json = json;
	r.echo = echo && !json;
	r.label = label;
	r.ncpus = 1;

	/* the default RAM map in a sparse span that holds any 46-bit address, so
	 * pools may sit where real kernels put them (`pool p base=0x1000123000`) */
	r.po.span = REPLAY_DEFAULT_SPAN;
	int rc = swiotlb_posix_create(&r.po, &r.px);
	if (rc) {
		r.po.span = 0;
		rc = swiotlb_posix_create(&r.po, &r.px);
	}
	if (rc) {
		fprintf(stderr, "swiotlb replay: cannot create the simulated address space: %s\n",
			swiotlb_strerror(rc));
		return 2;
	}
	swiotlb_posix_set_log(r.px, collect_log, &r);
	swiotlb_posix_set_cpu(r.px, replay_cpu, &r);
	swiotlb_posix_platform(r.px, &r.plat);

	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int status = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (r.echo)
			echo_line(line);
		struct stmt s;
		char err[512];
		memset(&s, 0, sizeof(s));
		s.line = lineno;
		/* the statement would end at the NUL and the rest of the line be
		 * dropped unseen: a script with one is not text */
		bool lexed = !memchr(line, '\0', (size_t)got);
		if (!lexed)
			snprintf(err, sizeof(err), "the line contains a NUL byte");
		else
			lexed = tokenize(line, &s, err, sizeof(err));
		if (lexed && !s.op)
			continue;

		struct res res;
		memset(&res, 0, sizeof(res));
		json_init_fragment(&res.body);
		res.h = open_memstream(&res.hbuf, &res.hlen);
		if (!res.h) {
			fprintf(stderr, "swiotlb replay: out of memory\n");
			exit(2);
		}
		const char *op = s.op ? s.op : "?";
		if (!lexed || !validate(&s, err, sizeof(err)))
			syntax(&res, "%s", err);
		else
			s.def->run(&r, &s, &res);
		if (s.def && s.def->run == st_expect && !res_ok(&res))
			r.expect_failed = true;
		emit(&r, &s, op, &res);
		fclose(res.h);
		free(res.hbuf);
		json_free(&res.body);
		if (res.rc == RES_SYNTAX) {
			status = 2;
			break;
		}
	}
	free(line);
	if (!status && ferror(in)) {
		tool_error(label, "read error");
		status = 2;
	}
	if (!status && r.expect_failed)
		status = 1;
	replay_free(&r);
	fflush(stdout);
	return status;
}

static void replay_usage(FILE *f)
{
	fprintf(f, "usage: swiotlb replay [--json] [--echo] [SCRIPT|-]\n"
		   "  Run a statement script (default: standard input) against libswiotlb.\n"
		   "  --json  one JSON object per statement on standard output\n"
		   "  --echo  print each statement before its result (human mode)\n"
		   "  Exit status: 0 ok, 1 an expect failed, 2 syntax or usage error.\n"
		   "  Statements: cpus policy debug cmdline pool device map unmap sync fill expect\n"
		   "              stats reset_hiwater check (see swiotlb(1) and docs/replay.md)\n");
}

int cmd_replay(int argc, char **argv)
{
	static const struct tool_opt opts[] = {
		{ "json", OPT_LONG + 0, false },
		{ "echo", OPT_LONG + 1, false },
		{ "help", 'h', false },
	};
	bool json = false, echo = false;
	struct tool_getopt g;
	tool_getopt_init(&g, "swiotlb replay", opts, sizeof(opts) / sizeof(opts[0]), argc, argv);
	for (int c; (c = tool_getopt(&g)) != OPT_END;) {
		switch (c) {
		case OPT_LONG + 0: json = true; break;
		case OPT_LONG + 1: echo = true; break;
		case 'h': replay_usage(stdout); return 0;
		default: return 2;
		}
	}
	int i = tool_operands(&g);
	const char *path = i < argc ? argv[i] : NULL;
	if (i + 1 < argc)
		return tool_usage_error(&g, "more than one script given ('%s' and '%s')", argv[i], argv[i + 1]);
	if (!path || !strcmp(path, "-"))
		return replay_stream(stdin, "<stdin>", json, echo);
	FILE *f = fopen(path, "r");
	if (!f) {
		tool_error("swiotlb replay", "%s: %s", path, strerror(errno));
		return 2;
	}
	int status = replay_stream(f, path, json, echo);
	fclose(f);
	return status;
}
