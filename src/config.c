/* SPDX-License-Identifier: MIT */
/*
 * Configuration: the defaults, the swiotlb= command line and the
 * architecture's early size request (docs/kernel-semantics.md §1.6 and §7).
 *
 * A command line is split into whitespace-separated parameters the way the
 * kernel splits its own (double quotes protect spaces; a parameter that is
 * exactly "--" ends the kernel's part of the line).  Every swiotlb=VALUE is
 * applied in order; every other parameter is ignored.  VALUE is read in one
 * of three dialects:
 *
 *   mainline  [<nslabs>][,[<nareas>]][,force|noforce]     (kernel v6.0+)
 *   rfc2021   [<low>][,[<high>]][,force|noforce]          (the 2021 RFC)
 *   named     comma-separated items, pool=NAME:ATTR:...   (ours)
 *
 * The two positional dialects share one reader that follows the kernel's
 * steps exactly (number, skip one comma, number, skip one comma, the whole
 * rest must be a keyword).  Lenient mode stops there, so anything the kernel
 * would silently ignore is ignored.  Strict mode (the default) checks each
 * step and reports the first thing the kernel would have skipped, quoting the
 * parameter.  The named dialect is always strict.
 *
 * Atomicity: the line is applied twice to a private copy of the config,
 * first without logging (to find any error), then with logging; only then
 * is the copy written back.  So an error leaves *cfg as it was and no log
 * line is printed for a command line that is rejected.
 */
#include "internal.h"

#define CFG_MAX_SLOTS ((uint64_t)1 << 32)                  /* 8 TiB of slots */
#define CFG_MAX_AREAS (CFG_MAX_SLOTS / SWIOTLB_SEGSIZE)    /* 2^25: 128 slots each */
#define CFG_BASE_ALIGN 4096u
#define CFG_QUOTE_MAX 64 /* characters of a quoted fragment in a message */

/* ------------------------------------------------------------ characters */

static bool cfg_is_digit(char c) { return c >= '0' && c <= '9'; }
static bool cfg_is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool cfg_is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool cfg_is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static unsigned cfg_digit_value(char c)
{
	if (cfg_is_digit(c))
		return (unsigned)(c - '0');
	if (cfg_is_lower(c))
		return (unsigned)(c - 'a') + 10;
	if (cfg_is_upper(c))
		return (unsigned)(c - 'A') + 10;
	return 99;
}

/* Does [p, p+n) spell `lit` exactly? */
static bool cfg_span_is(const char *p, size_t n, const char *lit)
{
	return n == tlb_strlen(lit) && !tlb_strncmp(p, lit, n);
}

/* Index of the first `c` in [p, p+n), or n. */
static size_t cfg_span_find(const char *p, size_t n, char c)
{
	size_t i = 0;
	while (i < n && p[i] != c)
		i++;
	return i;
}

/* Copy [p, p+n) into dst for a message, marking a cut with "...". */
static const char *cfg_span_text(char *dst, size_t cap, const char *p, size_t n)
{
	if (n < cap) {
		tlb_strlcpy(dst, p, n + 1);
	} else {
		tlb_strlcpy(dst, p, cap - 3);
		tlb_strlcpy(dst + cap - 4, "...", 4);
	}
	return dst;
}

/*
 * Read an unsigned number the way the kernel's simple_strtoul does with
 * base 0: "0x" followed by a hex digit selects hex, a leading 0 octal,
 * anything else decimal.  Returns the characters consumed (0 when p does not
 * start with a digit).  The value wraps modulo 2^64 like the kernel's;
 * *ovf says whether it did.
 */
static size_t cfg_scan_u64(const char *p, size_t n, uint64_t *out, bool *ovf)
{
	unsigned base = 10;
	size_t i = 0;
	uint64_t v = 0;

	*ovf = false;
	*out = 0;
	if (!n || !cfg_is_digit(p[0]))
		return 0;
	if (p[0] == '0') {
		base = 8;
		if (n > 2 && (p[1] == 'x' || p[1] == 'X') && cfg_digit_value(p[2]) < 16) {
			base = 16;
			i = 2;
		}
	}
	for (; i < n; i++) {
		unsigned d = cfg_digit_value(p[i]);
		if (d >= base)
			break;
		if (v > (UINT64_MAX - d) / base)
			*ovf = true;
		v = v * base + d;
	}
	*out = v;
	return i;
}

/* ------------------------------------------------- rounding and logging */

/*
 * §1.6 step 3 for the default pool.  `kernel_int` reproduces the kernel's
 * 32-bit product 128 * nareas (lenient mode only; strict mode rejects such
 * area counts).  Returns true when the size changed.
 */
static bool cfg_round_default_nslabs(uint64_t *nslabs, uint32_t nareas, bool kernel_int)
{
	uint64_t floor = (uint64_t)SWIOTLB_SEGSIZE * nareas;
	if (!nareas)
		return false;
	return tlb_round_to_areas(nslabs, kernel_int ? (uint32_t)floor : floor);
}

/* The kernel prints sizes as (slots << 11) >> 20 in an unsigned long. */
static unsigned long long cfg_slots_mb(uint64_t nslabs)
{
	return (unsigned long long)((uint64_t)(nslabs << SWIOTLB_SLOT_SHIFT) >> 20);
}

static void cfg_log_roundup(swiotlb_log_fn fn, void *arg, uint64_t nslabs)
{
	if (fn)
		tlb_emit(fn, arg, SWIOTLB_LOG_INFO,
			 "software IO TLB: SWIOTLB bounce buffer size roundup to %lluMB", cfg_slots_mb(nslabs));
}

static void cfg_default_pool_init(struct swiotlb_pool_config *p)
{
	tlb_memset(p, 0, sizeof(*p));
	tlb_strlcpy(p->name, "default", sizeof(p->name));
	p->nslabs = SWIOTLB_DEFAULT_NSLABS;
	p->placement = SWIOTLB_PLACE_LOW;
}

/* pools[0], created as the default pool when a config has none. */
static struct swiotlb_pool_config *cfg_default_pool(struct swiotlb_config *cfg)
{
	if (!cfg->npools) {
		cfg_default_pool_init(&cfg->pools[0]);
		cfg->npools = 1;
	}
	return &cfg->pools[0];
}

/* ------------------------------------------------------------ public API */

void swiotlb_config_init(struct swiotlb_config *cfg)
{
	if (!cfg)
		return;
	tlb_memset(cfg, 0, sizeof(*cfg));
	cfg->size = (uint32_t)sizeof(*cfg);
	cfg->version = SWIOTLB_VERSION;
	cfg->ncpus = 1;
	cfg->npools = 1;
	cfg_default_pool_init(&cfg->pools[0]);
	cfg->dialect = SWIOTLB_DIALECT_MAINLINE;
	cfg->verbose = true;
}

int swiotlb_dialect_from_name(const char *name)
{
	if (!name)
		return -1;
	if (!tlb_strcmp(name, "mainline"))
		return SWIOTLB_DIALECT_MAINLINE;
	if (!tlb_strcmp(name, "rfc2021"))
		return SWIOTLB_DIALECT_RFC2021;
	if (!tlb_strcmp(name, "named"))
		return SWIOTLB_DIALECT_NAMED;
	return -1;
}

void swiotlb_config_adjust_size(struct swiotlb_config *cfg, uint64_t bytes, swiotlb_log_fn log,
				void *log_arg)
{
	struct swiotlb_pool_config *p;
	uint64_t slots;

	if (!cfg || !cfg->npools || cfg->size_given || !bytes)
		return;
	p = &cfg->pools[0];
	if (p->exact || p->nslabs != SWIOTLB_DEFAULT_NSLABS)
		return;
	/* ALIGN(bytes, 2048) / 2048 without overflowing near 2^64 */
	slots = (bytes >> SWIOTLB_SLOT_SHIFT) + ((bytes & (SWIOTLB_SLOT_SIZE - 1)) != 0);
	p->nslabs = tlb_align_up(slots, SWIOTLB_SEGSIZE);
	/* the kernel re-rounds silently here and reports only the final size */
	cfg_round_default_nslabs(&p->nslabs, cfg->nareas, false);
	if (log)
		tlb_emit(log, log_arg, SWIOTLB_LOG_INFO,
			 "software IO TLB: SWIOTLB bounce buffer size adjusted to %lluMB", cfg_slots_mb(p->nslabs));
}

/* ---------------------------------------------------------------- parser */

struct cfg_parser {
	struct swiotlb_config *cfg; /* the private copy being built */
	uint32_t dialect;
	bool lenient;
	swiotlb_log_fn log;         /* NULL during the checking pass */
	void *log_arg;
	char *err;
	size_t err_len;
	const char *val;            /* the swiotlb= value being applied */
	size_t vlen;
	bool has_value;             /* false for a bare "swiotlb" */
	bool pool_replaced;         /* named: the first pool= has replaced pools[0] */
	bool saw_force, saw_noforce;
};

static int cfg_fail(struct cfg_parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write "swiotlb=VALUE: <what>" to the caller's buffer; returns EBADCONFIG. */
static int cfg_fail(struct cfg_parser *ps, const char *fmt, ...)
{
	char v[2 * CFG_QUOTE_MAX];
	size_t off;
	va_list ap;

	if (!ps->err || !ps->err_len)
		return SWIOTLB_EBADCONFIG;
	cfg_span_text(v, sizeof(v), ps->val, ps->vlen);
	off = (size_t)tlb_snprintf(ps->err, ps->err_len, "swiotlb%s%s: ", ps->has_value ? "=" : "", v);
	if (off < ps->err_len) {
		va_start(ap, fmt);
		tlb_vsnprintf(ps->err + off, ps->err_len - off, fmt, ap);
		va_end(ap);
	}
	return SWIOTLB_EBADCONFIG;
}

static bool cfg_looks_like_size_suffix(const char *p, size_t n)
{
	const char *units = "KkMmGgTtPp";
	return n >= 1 && n <= 3 && cfg_span_find(units, tlb_strlen(units), p[0]) < tlb_strlen(units);
}

/*
 * Report what follows a number: a digit the octal base cannot take, a size
 * suffix (explained by `size_hint`), or anything else.  `where` prefixes the
 * message ("" or `in "slots=64M", `).
 */
static int cfg_junk_after_number(struct cfg_parser *ps, const char *where, const char *num, size_t numlen,
				 const char *junk, size_t junklen, const char *size_hint)
{
	char j[CFG_QUOTE_MAX], t[CFG_QUOTE_MAX];
	bool octal = num[0] == '0' && !(numlen > 1 && (num[1] == 'x' || num[1] == 'X'));

	cfg_span_text(j, sizeof(j), junk, junklen);
	if (octal && cfg_is_digit(junk[0]))
		return cfg_fail(ps, "%s\"%c\" is not an octal digit (a leading 0 makes the number octal)", where,
				junk[0]);
	if (size_hint && cfg_looks_like_size_suffix(junk, junklen))
		return cfg_fail(ps, "%s\"%s\" after the number: %s", where, j, size_hint);
	return cfg_fail(ps, "%sunexpected \"%s\" after \"%s\"", where, j, cfg_span_text(t, sizeof(t), num, numlen));
}

/* A slot count: at least 1, at most 2^32.  `what` names it: `"40000"`, `size=0`. */
static int cfg_check_slots(struct cfg_parser *ps, const char *where, const char *what, uint64_t n)
{
	if (!n)
		return cfg_fail(ps, "%s%s gives an empty pool (0 slots)", where, what);
	if (n > CFG_MAX_SLOTS)
		return cfg_fail(ps, "%s%s gives %llu slots, over the limit of %llu (2^32 slots, 8 TiB)", where, what,
				(unsigned long long)n, (unsigned long long)CFG_MAX_SLOTS);
	return 0;
}

/* An area count after the kernel's rounding: 0 -> 1, else the next power of two. */
static int cfg_round_areas(struct cfg_parser *ps, uint64_t n, const char *what, const char *txt,
			   uint32_t *out)
{
	if (n > CFG_MAX_AREAS)
		return cfg_fail(ps, "%sthe area count %s is over the limit of %llu (128 slots per area, 2^32 slots)",
				what, txt, (unsigned long long)CFG_MAX_AREAS);
	*out = (uint32_t)tlb_fix_nareas(n);
	return 0;
}

/* §1.6 steps 2 and 3: fix the global area count and re-round pools[0]. */
static int cfg_apply_areas(struct cfg_parser *ps, uint64_t n, const char *what, const char *txt)
{
	struct swiotlb_config *cfg = ps->cfg;
	struct swiotlb_pool_config *p0;
	uint32_t nareas = 0;
	int rc;

	if (ps->lenient) {
		/* the kernel keeps an unsigned int and rounds in unsigned long */
		uint32_t a = (uint32_t)n;
		nareas = (uint32_t)tlb_fix_nareas(a);
	} else {
		rc = cfg_round_areas(ps, n, what, txt, &nareas);
		if (rc)
			return rc;
	}
	cfg->nareas = nareas;
	if (ps->log)
		tlb_emit(ps->log, ps->log_arg, SWIOTLB_LOG_INFO, "software IO TLB: area num %d.", (int)nareas);
	p0 = cfg_default_pool(cfg);
	if (!p0->exact && cfg_round_default_nslabs(&p0->nslabs, nareas, ps->lenient))
		cfg_log_roundup(ps->log, ps->log_arg, p0->nslabs);
	return 0;
}

static int cfg_set_force(struct cfg_parser *ps)
{
	if (ps->saw_noforce && !ps->lenient)
		return cfg_fail(ps, "force contradicts noforce given earlier");
	ps->saw_force = true;
	ps->cfg->force = true;
	return 0;
}

static int cfg_set_noforce(struct cfg_parser *ps)
{
	struct swiotlb_config *cfg = ps->cfg;

	if (ps->saw_force && !ps->lenient)
		return cfg_fail(ps, "noforce contradicts force given earlier");
	ps->saw_noforce = true;
	cfg->noforce = true;
	if (ps->dialect == SWIOTLB_DIALECT_RFC2021) {
		/* the RFC shrank both buffers to one slot */
		cfg_default_pool(cfg)->nslabs = 1;
		if (cfg->npools > 1)
			cfg->pools[1].nslabs = 1;
	}
	return 0;
}

/* ------------------------------------------- mainline and rfc2021 dialects */

static const char *cfg_positional_grammar(const struct cfg_parser *ps)
{
	return ps->dialect == SWIOTLB_DIALECT_RFC2021 ? "[<low>][,<high>][,force|noforce]"
						      : "[<nslabs>][,<nareas>][,force|noforce]";
}

/*
 * Read the number at *s.  Strict mode insists that a comma or the end
 * follows it and that it fits in 64 bits.  Lenient mode, like the kernel,
 * leaves whatever follows for the next step.
 */
static int cfg_positional_number(struct cfg_parser *ps, const char **s, const char *end, uint64_t *n,
				 char *txt, size_t txtcap)
{
	const char *num = *s;
	char q[CFG_QUOTE_MAX];
	bool ovf;
	size_t k = cfg_scan_u64(num, (size_t)(end - num), n, &ovf);

	*s = num + k;
	tlb_snprintf(txt, txtcap, "\"%s\"", cfg_span_text(q, sizeof(q), num, k));
	if (ps->lenient)
		return 0;
	if (*s < end && **s != ',') {
		size_t jl = cfg_span_find(*s, (size_t)(end - *s), ',');
		return cfg_junk_after_number(ps, "", num, k, *s, jl,
					     ps->dialect == SWIOTLB_DIALECT_RFC2021
					     ? "rfc2021 takes a slot count, not a size"
					     : "mainline takes a slot count, not a size");
	}
	if (ovf)
		return cfg_fail(ps, "%s does not fit in 64 bits", txt);
	return 0;
}

/* Strict mode: say what is wrong with the rest after the numeric fields. */
static int cfg_bad_tail(struct cfg_parser *ps, const char *s, const char *end)
{
	char a[CFG_QUOTE_MAX], b[CFG_QUOTE_MAX];
	size_t rest = (size_t)(end - s), f = cfg_span_find(s, rest, ',');

	if (f && f < rest && (cfg_span_is(s, f, "force") || cfg_span_is(s, f, "noforce")))
		return cfg_fail(ps, "unexpected \"%s\" after \"%s\"", cfg_span_text(a, sizeof(a), s + f, rest - f),
				cfg_span_text(b, sizeof(b), s, f));
	if (!f)
		return cfg_fail(ps, "unexpected \"%s\" after \"%s\"", cfg_span_text(a, sizeof(a), s, rest),
				cfg_span_text(b, sizeof(b), ps->val, (size_t)(s - ps->val)));
	cfg_span_text(a, sizeof(a), s, f);
	if (cfg_is_digit(s[0]))
		return cfg_fail(ps, "unexpected number \"%s\" after \"%s\": %s takes at most two numbers, %s", a,
				cfg_span_text(b, sizeof(b), ps->val, (size_t)(s - ps->val)),
				ps->dialect == SWIOTLB_DIALECT_RFC2021 ? "rfc2021" : "mainline",
				cfg_positional_grammar(ps));
	if (cfg_span_find(s, f, '=') < f || cfg_span_find(s, f, ':') < f)
		return cfg_fail(ps, "unknown keyword \"%s\" (expected force or noforce; "
				"this looks like the named dialect)", a);
	return cfg_fail(ps, "unknown keyword \"%s\" (expected force or noforce)", a);
}

/* rfc2021: the second number sizes a second pool anywhere in memory. */
static void cfg_set_high(struct cfg_parser *ps, uint64_t n)
{
	struct swiotlb_config *cfg = ps->cfg;
	struct swiotlb_pool_config *hi = &cfg->pools[1];
	uint64_t slots = tlb_align_up(n, SWIOTLB_SEGSIZE);

	cfg_default_pool(cfg);
	if (!slots) { /* lenient only: the RFC's "no high buffer" */
		cfg->npools = 1;
		return;
	}
	tlb_memset(hi, 0, sizeof(*hi));
	tlb_strlcpy(hi->name, "highmem", sizeof(hi->name));
	hi->nslabs = slots;
	hi->placement = SWIOTLB_PLACE_ANY;
	hi->placement_set = true;
	cfg->npools = 2;
}

static int cfg_parse_positional(struct cfg_parser *ps)
{
	const char *s = ps->val, *end = ps->val + ps->vlen;
	bool rfc = ps->dialect == SWIOTLB_DIALECT_RFC2021;
	bool given = false;
	char txt[CFG_QUOTE_MAX + 2];
	uint64_t n;
	int rc;

	/* 1: the slot count of the default (low) pool */
	if (s < end && cfg_is_digit(*s)) {
		rc = cfg_positional_number(ps, &s, end, &n, txt, sizeof(txt));
		if (!rc && !ps->lenient)
			rc = cfg_check_slots(ps, "", txt, n);
		if (rc)
			return rc;
		cfg_default_pool(ps->cfg)->nslabs = tlb_align_up(n, SWIOTLB_SEGSIZE);
		ps->cfg->size_given = true;
		given = true;
	}
	if (s < end && *s == ',')
		s++;
	/* 2: the area count (mainline) or the high pool's slot count (rfc2021) */
	if (s < end && cfg_is_digit(*s)) {
		rc = cfg_positional_number(ps, &s, end, &n, txt, sizeof(txt));
		if (!rc && rfc && !ps->lenient)
			rc = cfg_check_slots(ps, "", txt, n);
		if (rc)
			return rc;
		if (rfc)
			cfg_set_high(ps, n);
		else if ((rc = cfg_apply_areas(ps, n, "", txt)) != 0)
			return rc;
		given = true;
	}
	if (s < end && *s == ',')
		s++;
	/* 3: the whole rest is a keyword */
	if (cfg_span_is(s, (size_t)(end - s), "force")) {
		rc = cfg_set_force(ps);
		given = true;
	} else if (cfg_span_is(s, (size_t)(end - s), "noforce")) {
		rc = cfg_set_noforce(ps);
		given = true;
	} else {
		rc = s < end && !ps->lenient ? cfg_bad_tail(ps, s, end) : 0;
	}
	if (rc)
		return rc;
	if (!given && !ps->lenient)
		return cfg_fail(ps, "%s (expected %s)", ps->vlen ? "no number or keyword" : "empty value",
				cfg_positional_grammar(ps));
	return 0;
}

/* ---------------------------------------------------------- named dialect */

/* [a-z0-9_]+, at most SWIOTLB_POLICY_NAME_MAX - 1 characters. */
static int cfg_take_policy(struct cfg_parser *ps, const char *where, const char *p, size_t n, char *dst)
{
	char t[CFG_QUOTE_MAX];

	if (!n)
		return cfg_fail(ps, "%spolicy= needs a name", where);
	cfg_span_text(t, sizeof(t), p, n);
	if (n >= SWIOTLB_POLICY_NAME_MAX)
		return cfg_fail(ps, "%spolicy name \"%s\" is longer than %d characters", where, t,
				SWIOTLB_POLICY_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (!cfg_is_lower(p[i]) && !cfg_is_digit(p[i]) && p[i] != '_')
			return cfg_fail(ps, "%spolicy name \"%s\" has '%c': use a-z, 0-9 and '_'", where, t, p[i]);
	tlb_strlcpy(dst, p, n + 1);
	return 0;
}

/*
 * All of [p, p+n) as one number, with a K/M/G suffix when `suffixed`.
 * `item` is the whole "key=value" text, quoted in messages.
 */
static int cfg_take_number(struct cfg_parser *ps, const char *item, size_t itemlen, const char *p, size_t n,
			   bool suffixed, const char *size_hint, uint64_t *out)
{
	char it[CFG_QUOTE_MAX], where[CFG_QUOTE_MAX + 8];
	bool ovf;
	size_t k;

	cfg_span_text(it, sizeof(it), item, itemlen);
	tlb_snprintf(where, sizeof(where), "in \"%s\", ", it);
	k = cfg_scan_u64(p, n, out, &ovf);
	if (!k)
		return cfg_fail(ps, "%s\"%s\" is not a number", where, cfg_span_text(it, sizeof(it), p, n));
	if (k < n && suffixed && n - k == 1) {
		unsigned shift = 0;
		switch (p[k]) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		default: break;
		}
		if (shift) {
			if (*out > (UINT64_MAX >> shift))
				ovf = true;
			*out <<= shift;
			k++;
		}
	}
	if (k < n)
		return cfg_junk_after_number(ps, where, p, k, p + k, n - k, size_hint);
	if (ovf)
		return cfg_fail(ps, "%sthe number does not fit in 64 bits", where);
	return 0;
}

struct cfg_pool_attrs {
	uint64_t slots, size, areas, base;
	bool has_slots, has_size, has_areas, has_place, has_policy, has_base, exact;
};

/* pool=NAME: [A-Za-z0-9_-]+, at most SWIOTLB_NAME_MAX - 1 characters. */
static int cfg_check_pool_name(struct cfg_parser *ps, const char *p, size_t n)
{
	char t[CFG_QUOTE_MAX];

	if (!n)
		return cfg_fail(ps, "pool= needs a name");
	cfg_span_text(t, sizeof(t), p, n);
	if (n >= SWIOTLB_NAME_MAX)
		return cfg_fail(ps, "pool name \"%s\" is longer than %d characters", t, SWIOTLB_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if (!cfg_is_lower(p[i]) && !cfg_is_upper(p[i]) && !cfg_is_digit(p[i]) && p[i] != '_' && p[i] != '-')
			return cfg_fail(ps, "pool name \"%s\" has '%c': use A-Z, a-z, 0-9, '_' and '-'", t, p[i]);
	return 0;
}

/* One ATTR of pool=NAME:ATTR:...; `where` is `pool "NAME": `. */
static int cfg_pool_attr(struct cfg_parser *ps, const char *where, const char *a, size_t n,
			 struct swiotlb_pool_config *pc, struct cfg_pool_attrs *at)
{
	size_t eq = cfg_span_find(a, n, '=');
	const char *v = a + eq + (eq < n);
	size_t vn = eq < n ? n - eq - 1 : 0;
	char t[CFG_QUOTE_MAX];
	bool *seen = NULL;
	int rc = 0;

	cfg_span_text(t, sizeof(t), a, eq);
	if (!n)
		return cfg_fail(ps, "%sempty attribute (two ':' in a row, or a trailing ':')", where);
	if (cfg_span_is(a, eq, "exact")) {
		if (eq < n)
			return cfg_fail(ps, "%sexact takes no value", where);
		at->exact = true;
		return 0;
	}
	if (cfg_span_is(a, eq, "slots"))
		seen = &at->has_slots;
	else if (cfg_span_is(a, eq, "size"))
		seen = &at->has_size;
	else if (cfg_span_is(a, eq, "areas"))
		seen = &at->has_areas;
	else if (cfg_span_is(a, eq, "placement"))
		seen = &at->has_place;
	else if (cfg_span_is(a, eq, "policy"))
		seen = &at->has_policy;
	else if (cfg_span_is(a, eq, "base"))
		seen = &at->has_base;
	else
		return cfg_fail(ps,
				"%sunknown attribute \"%s\" (expected slots=, size=, areas=, placement=, "
				"policy=, base= or exact)", where, t);
	if (eq == n)
		return cfg_fail(ps, "%s%s needs a value (%s=...)", where, t, t);
	if (*seen)
		return cfg_fail(ps, "%s%s= given twice", where, t);
	*seen = true;

	if (seen == &at->has_slots)
		rc = cfg_take_number(ps, a, n, v, vn, false, "slots= takes a slot count; use size= for bytes",
				     &at->slots);
	else if (seen == &at->has_size)
		rc = cfg_take_number(ps, a, n, v, vn, true, "size= takes only a K, M or G suffix", &at->size);
	else if (seen == &at->has_areas)
		rc = cfg_take_number(ps, a, n, v, vn, false, NULL, &at->areas);
	else if (seen == &at->has_base)
		rc = cfg_take_number(ps, a, n, v, vn, true, "base= takes only a K, M or G suffix", &at->base);
	else if (seen == &at->has_policy)
		rc = cfg_take_policy(ps, where, v, vn, pc->policy);
	else if (cfg_span_is(v, vn, "low"))
		pc->placement = SWIOTLB_PLACE_LOW;
	else if (cfg_span_is(v, vn, "any"))
		pc->placement = SWIOTLB_PLACE_ANY;
	else
		return cfg_fail(ps, "%splacement \"%s\" (expected low or any)", where, cfg_span_text(t, sizeof(t), v, vn));
	if (seen == &at->has_place)
		pc->placement_set = true;
	return rc;
}

/* Turn the attributes into the pool's final shape, checking the whole. */
static int cfg_pool_finish(struct cfg_parser *ps, const char *where, struct swiotlb_pool_config *pc,
			   const struct cfg_pool_attrs *at)
{
	char txt[32];
	uint64_t slots = SWIOTLB_DEFAULT_NSLABS;
	uint32_t nareas = 0;
	int rc;

	if (at->has_slots && at->has_size)
		return cfg_fail(ps, "%sboth slots= and size= given", where);
	if (at->has_slots)
		slots = at->slots;
	if (at->has_size) {
		if (at->size % SWIOTLB_SLOT_SIZE)
			return cfg_fail(ps, "%ssize=%llu bytes is not a multiple of %u (one slot)", where,
					(unsigned long long)at->size, SWIOTLB_SLOT_SIZE);
		slots = at->size >> SWIOTLB_SLOT_SHIFT;
	}
	tlb_snprintf(txt, sizeof(txt), "%s=%llu", at->has_size ? "size" : "slots",
		     (unsigned long long)(at->has_size ? at->size : slots));
	if ((rc = cfg_check_slots(ps, where, txt, slots)) != 0)
		return rc;
	pc->nslabs = at->exact ? slots : tlb_align_up(slots, SWIOTLB_SEGSIZE);

	if (at->has_areas) {
		tlb_snprintf(txt, sizeof(txt), "\"%llu\"", (unsigned long long)at->areas);
		if (at->exact) {
			if (!at->areas || at->areas > CFG_MAX_AREAS || !tlb_is_pow2(at->areas))
				return cfg_fail(ps, "%san exact pool needs areas= to be a power of two from 1 to %llu, not %s",
						where, (unsigned long long)CFG_MAX_AREAS, txt);
			nareas = (uint32_t)at->areas;
		} else if ((rc = cfg_round_areas(ps, at->areas, where, txt, &nareas)) != 0) {
			return rc;
		}
		if (at->exact && pc->nslabs % nareas)
			return cfg_fail(ps, "%san exact pool of %llu slots cannot be split into %u areas", where,
					(unsigned long long)pc->nslabs, nareas);
	}
	pc->nareas = nareas;
	pc->exact = at->exact;

	if (at->has_base) {
		uint64_t bytes = pc->nslabs << SWIOTLB_SLOT_SHIFT;
		if (at->base % CFG_BASE_ALIGN)
			return cfg_fail(ps, "%sbase=0x%llx is not %u-aligned", where, (unsigned long long)at->base,
					CFG_BASE_ALIGN);
		if (at->base > UINT64_MAX - (bytes - 1))
			return cfg_fail(ps, "%sbase=0x%llx plus %llu slots goes past the top of the address space", where,
					(unsigned long long)at->base, (unsigned long long)pc->nslabs);
		pc->base = at->base;
		pc->has_base = true;
	}
	return 0;
}

/* pool=NAME(:ATTR)*: the first replaces pools[0], the others append. */
static int cfg_named_pool(struct cfg_parser *ps, const char *p, size_t n)
{
	struct swiotlb_config *cfg = ps->cfg;
	struct swiotlb_pool_config pc;
	struct cfg_pool_attrs at;
	size_t namelen = cfg_span_find(p, n, ':'), i;
	char where[SWIOTLB_NAME_MAX + 16];
	uint32_t slot;
	int rc;

	if ((rc = cfg_check_pool_name(ps, p, namelen)) != 0)
		return rc;
	tlb_memset(&pc, 0, sizeof(pc));
	tlb_memset(&at, 0, sizeof(at));
	tlb_strlcpy(pc.name, p, namelen + 1);
	tlb_snprintf(where, sizeof(where), "pool \"%s\": ", pc.name);
	pc.placement = SWIOTLB_PLACE_LOW;

	for (i = namelen; i < n;) {
		size_t len = cfg_span_find(p + i + 1, n - i - 1, ':');
		if ((rc = cfg_pool_attr(ps, where, p + i + 1, len, &pc, &at)) != 0)
			return rc;
		i += 1 + len;
	}
	if ((rc = cfg_pool_finish(ps, where, &pc, &at)) != 0)
		return rc;

	slot = ps->pool_replaced ? cfg->npools : 0;
	for (i = 0; i < cfg->npools; i++)
		if (i != slot && !tlb_strcmp(cfg->pools[i].name, pc.name))
			return cfg_fail(ps, "%sthe name is used twice", where);
	if (slot >= SWIOTLB_MAX_POOLS)
		return cfg_fail(ps, "%stoo many pools (at most %d)", where, SWIOTLB_MAX_POOLS);
	tlb_memcpy(&cfg->pools[slot], &pc, sizeof(pc));
	if (!ps->pool_replaced) {
		ps->pool_replaced = true;
		cfg->size_given = at.has_slots || at.has_size;
		if (!cfg->npools)
			cfg->npools = 1;
	} else {
		cfg->npools++;
	}
	return 0;
}

static int cfg_named_item(struct cfg_parser *ps, const char *p, size_t n, unsigned index)
{
	struct swiotlb_config *cfg = ps->cfg;
	size_t eq = cfg_span_find(p, n, '=');
	const char *v = p + eq + (eq < n);
	size_t vn = eq < n ? n - eq - 1 : 0;
	char t[CFG_QUOTE_MAX];
	static const char *const flags[] = { "force", "noforce", "any", "verbose", "quiet", "nofallback", "debug" };
	unsigned f;

	if (!n)
		return cfg_fail(ps, "item %u is empty (a comma with nothing before or after it)", index);
	cfg_span_text(t, sizeof(t), p, eq);
	for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		if (!cfg_span_is(p, eq, flags[f]))
			continue;
		if (eq < n)
			return cfg_fail(ps, "%s takes no value", t);
		switch (f) {
		case 0: return cfg_set_force(ps);
		case 1: return cfg_set_noforce(ps);
		case 2: cfg->any = true; return 0;
		case 3: cfg->verbose = true; return 0;
		case 4: cfg->verbose = false; return 0;
		case 5: cfg->no_fallback = true; return 0;
		default: cfg->debug = true; return 0; /* docs/debug.md */
		}
	}
	if (cfg_span_is(p, eq, "policy")) {
		if (eq == n)
			return cfg_fail(ps, "policy needs a value (policy=NAME)");
		return cfg_take_policy(ps, "", v, vn, cfg->policy);
	}
	if (cfg_span_is(p, eq, "areas")) {
		char num[CFG_QUOTE_MAX], q[CFG_QUOTE_MAX + 2];
		uint64_t a;
		int rc;
		if (eq == n)
			return cfg_fail(ps, "areas needs a value (areas=N)");
		rc = cfg_take_number(ps, p, n, v, vn, false, NULL, &a);
		if (rc)
			return rc;
		tlb_snprintf(q, sizeof(q), "\"%s\"", cfg_span_text(num, sizeof(num), v, vn));
		return cfg_apply_areas(ps, a, "", q);
	}
	if (cfg_span_is(p, eq, "pool")) {
		if (eq == n)
			return cfg_fail(ps, "pool needs a value (pool=NAME:ATTR...)");
		return cfg_named_pool(ps, v, vn);
	}
	cfg_span_text(t, sizeof(t), p, n);
	if (cfg_is_digit(p[0]))
		return cfg_fail(ps, "unknown item \"%s\": the named dialect has no positional numbers "
				"(use pool=NAME:slots=N or areas=N)", t);
	return cfg_fail(ps, "unknown item \"%s\" (expected force, noforce, any, verbose, quiet, nofallback, "
			"debug, policy=, areas= or pool=)", t);
}

static int cfg_parse_named(struct cfg_parser *ps)
{
	const char *s = ps->val, *end = ps->val + ps->vlen;
	unsigned index = 1;
	int rc;

	if (!ps->vlen)
		return cfg_fail(ps, "empty value (expected items such as force or pool=NAME:slots=N)");
	for (;;) {
		size_t len = cfg_span_find(s, (size_t)(end - s), ',');
		if ((rc = cfg_named_item(ps, s, len, index++)) != 0)
			return rc;
		if (s + len == end)
			return 0;
		s += len + 1;
	}
}

/* ------------------------------------------------------- the command line */

/* One parameter [tok, tok+n); `open_quote` when a quote ran to the end. */
static int cfg_apply_param(struct cfg_parser *ps, const char *tok, size_t n, bool open_quote)
{
	bool quoted = n && tok[0] == '"';
	const char *k = tok + quoted, *end = tok + n;
	size_t eq = cfg_span_find(k, (size_t)(end - k), '=');

	if (eq == (size_t)(end - k)) { /* no '=': "swiotlb" alone, or another parameter */
		size_t kn = eq - (quoted && eq && k[eq - 1] == '"');
		if (!cfg_span_is(k, kn, "swiotlb"))
			return 0;
		ps->val = "";
		ps->vlen = 0;
		ps->has_value = false;
		return ps->lenient ? 0 : cfg_fail(ps, "missing \"=VALUE\"");
	}
	if (!cfg_span_is(k, eq, "swiotlb"))
		return 0;
	ps->val = k + eq + 1;
	ps->vlen = (size_t)(end - ps->val);
	ps->has_value = true;
	/* quotes are not part of the value, as in the kernel */
	if (ps->vlen && ps->val[0] == '"') {
		ps->val++;
		ps->vlen--;
		quoted = true;
	}
	if (quoted && ps->vlen && ps->val[ps->vlen - 1] == '"')
		ps->vlen--;
	if (open_quote && !ps->lenient)
		return cfg_fail(ps, "unterminated '\"'");
	return ps->dialect == SWIOTLB_DIALECT_NAMED ? cfg_parse_named(ps) : cfg_parse_positional(ps);
}

static int cfg_apply_line(struct cfg_parser *ps, const char *line)
{
	const char *p = line;
	int rc;

	for (;;) {
		const char *tok;
		bool in_quote = false;

		while (cfg_is_space(*p))
			p++;
		if (!*p)
			return 0;
		tok = p;
		for (; *p && (in_quote || !cfg_is_space(*p)); p++)
			if (*p == '"')
				in_quote = !in_quote;
		if (cfg_span_is(tok, (size_t)(p - tok), "--"))
			return 0; /* what follows belongs to init */
		if ((rc = cfg_apply_param(ps, tok, (size_t)(p - tok), in_quote)) != 0)
			return rc;
	}
}

int swiotlb_parse_cmdline(const char *cmdline, const struct swiotlb_parse_opts *opts,
			  struct swiotlb_config *cfg)
{
	struct swiotlb_config work;
	struct cfg_parser ps;
	const char *bad = NULL;
	int rc;

	tlb_memset(&ps, 0, sizeof(ps));
	ps.dialect = opts ? opts->dialect : SWIOTLB_DIALECT_MAINLINE;
	/* the named dialect has no kernel behaviour to reproduce: always strict */
	ps.lenient = opts && opts->lenient && ps.dialect != SWIOTLB_DIALECT_NAMED;
	ps.err = opts ? opts->err : NULL;
	ps.err_len = opts ? opts->err_len : 0;
	ps.val = "";
	if (ps.err && ps.err_len)
		ps.err[0] = 0;
	if (!cmdline || !cfg)
		bad = "no command line or config";
	else if (cfg->size != sizeof(*cfg) || cfg->npools > SWIOTLB_MAX_POOLS)
		bad = "config not initialised by swiotlb_config_init";
	else if (ps.dialect > SWIOTLB_DIALECT_NAMED)
		bad = "unknown dialect";
	if (bad) {
		if (ps.err && ps.err_len)
			tlb_snprintf(ps.err, ps.err_len, "%s", bad);
		return SWIOTLB_EINVAL;
	}

	/* pass 1: find any error, print nothing */
	tlb_memcpy(&work, cfg, sizeof(work));
	ps.cfg = &work;
	if ((rc = cfg_apply_line(&ps, cmdline)) != 0)
		return rc;
	/* pass 2: the same steps again, now with the log */
	if (opts && opts->log) {
		tlb_memcpy(&work, cfg, sizeof(work));
		ps.log = opts->log;
		ps.log_arg = opts->log_arg;
		ps.pool_replaced = ps.saw_force = ps.saw_noforce = false;
		cfg_apply_line(&ps, cmdline);
	}
	work.dialect = ps.dialect;
	tlb_memcpy(cfg, &work, sizeof(work));
	return 0;
}
