/* SPDX-License-Identifier: MIT */
/*
 * The JSON writer of the tools (see json.h).  State is a stack of open
 * containers, each remembering whether it is an object and whether it has
 * a member yet; that is all comma placement needs.
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static void json_die(const char *why)
{
	fprintf(stderr, "swiotlb: json writer: %s\n", why);
	abort();
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		while (j->len + n + 1 > cap)
			cap *= 2;
		char *p = realloc(j->buf, cap);
		if (!p)
			json_die("out of memory");
		j->buf = p;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

void json_reset(struct json *j, bool fragment)
{
	j->len = 0;
	if (j->buf)
		j->buf[0] = '\0';
	j->after_key = false;
	j->depth = fragment ? 1 : 0;
	j->in_object[0] = false;
	j->first[0] = true;
	j->in_object[1] = true;
	j->first[1] = true;
}

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
	json_reset(j, false);
}

void json_init_fragment(struct json *j)
{
	memset(j, 0, sizeof(*j));
	json_reset(j, true);
}

void json_free(struct json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

const char *json_text(const struct json *j)
{
	return j->buf ? j->buf : "";
}

size_t json_len(const struct json *j)
{
	return j->len;
}

bool json_empty(const struct json *j)
{
	return j->len == 0;
}

static void put_quoted(struct json *j, const char *s, size_t n);

/* Called before every value: the comma inside arrays, the key check inside objects. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->in_object[j->depth])
		json_die("value without a key inside an object");
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
}

void json_key(struct json *j, const char *key)
{
	if (!j->in_object[j->depth] || j->after_key)
		json_die("key outside an object or twice");
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	put_quoted(j, key, strlen(key));
	put(j, ":", 1);
	j->after_key = true;
}

static void open_container(struct json *j, bool object)
{
	before_value(j);
	if (j->depth >= JSON_MAX_DEPTH)
		json_die("nesting too deep");
	j->depth++;
	j->in_object[j->depth] = object;
	j->first[j->depth] = true;
	put(j, object ? "{" : "[", 1);
}

static void close_container(struct json *j, bool object)
{
	if (j->depth <= 0 || j->in_object[j->depth] != object || j->after_key)
		json_die("unbalanced close");
	j->depth--;
	put(j, object ? "}" : "]", 1);
}

void json_object_begin(struct json *j) { open_container(j, true); }
void json_object_end(struct json *j) { close_container(j, true); }
void json_array_begin(struct json *j) { open_container(j, false); }
void json_array_end(struct json *j) { close_container(j, false); }

/*
 * The escaped, quoted string, without the comma logic (used for keys too).
 * Names and messages reach here from scripts and machine files, so the
 * text is not trusted to be UTF-8: every byte that does not belong to a
 * valid sequence becomes U+FFFD, and the output is always valid JSON.
 */
static void put_quoted(struct json *j, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	put(j, "\"", 1);
	size_t run = 0; /* bytes that need no escape, written in one go */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = text_utf8_len(u + i, n - i, &cp);
		const char *esc = NULL;
		char e[7];
		if (!len) {
			esc = "\\ufffd";
			len = 1;
		} else {
			switch (cp) {
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case 0x2028: esc = "\\u2028"; break; /* valid JSON, but not inside JavaScript */
			case 0x2029: esc = "\\u2029"; break;
			default:
				if (cp < 0x20 || cp == 0x7f) {
					e[0] = '\\';
					e[1] = 'u';
					e[2] = '0';
					e[3] = '0';
					e[4] = hexd[cp >> 4];
					e[5] = hexd[cp & 15];
					e[6] = '\0';
					esc = e;
				}
			}
		}
		if (!esc) {
			run += len;
			i += len;
			continue;
		}
		put(j, s + i - run, run);
		run = 0;
		puts_(j, esc);
		i += len;
	}
	put(j, s + n - run, run);
	put(j, "\"", 1);
}

void json_string_n(struct json *j, const char *s, size_t n)
{
	before_value(j);
	put_quoted(j, s, n);
}

void json_string(struct json *j, const char *s)
{
	before_value(j);
	if (!s)
		puts_(j, "null");
	else
		put_quoted(j, s, strlen(s));
}

void json_u64(struct json *j, uint64_t v)
{
	char b[24];
	before_value(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void json_i64(struct json *j, int64_t v)
{
	char b[24];
	before_value(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void json_double(struct json *j, double v, int decimals)
{
	char b[64];
	before_value(j);
	/* JSON has no NaN or infinity (a quotient of nothing measured), and a
	 * magnitude beyond 1e30 would not fit `b` in fixed point: both are null */
	if (!isfinite(v) || fabs(v) >= 1e30) {
		puts_(j, "null");
		return;
	}
	snprintf(b, sizeof(b), "%.*f", decimals < 0 ? 0 : decimals > 17 ? 17 : decimals, v);
	puts_(j, b);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	before_value(j);
	puts_(j, "null");
}

void json_hex(struct json *j, uint64_t v)
{
	char b[24];
	before_value(j);
	snprintf(b, sizeof(b), "\"0x%" PRIx64 "\"", v);
	puts_(j, b);
}

void json_raw(struct json *j, const char *text, size_t n)
{
	before_value(j);
	put(j, text, n);
}

void json_members(struct json *j, const struct json *frag)
{
	if (!j->in_object[j->depth] || j->after_key)
		json_die("members outside an object");
	if (!frag->len)
		return;
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	put(j, frag->buf, frag->len);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_kv_double(struct json *j, const char *key, double v, int decimals)
{
	json_key(j, key);
	json_double(j, v, decimals);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kv_hex(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_hex(j, v);
}
