/* SPDX-License-Identifier: MIT */
/*
 * A tiny JSON writer for the swiotlb tools: objects, arrays, strings (with
 * escaping), unsigned and signed integers, fixed-point numbers, booleans,
 * null, 64-bit values as hex strings ("0x1f"), and already-formed JSON text
 * spliced in as a value.  Its output is always valid JSON: strings need not
 * be valid UTF-8 (each stray byte becomes U+FFFD), control characters are
 * escaped, a number that is not finite is written as null.
 *
 * Output goes to a growable memory buffer; json_text() returns it, always
 * NUL-terminated.  The writer inserts commas itself: inside an object call
 * json_key() before each value (or use the json_kv_* helpers), inside an
 * array just write values.  Misuse (a value without a key inside an object,
 * nesting deeper than JSON_MAX_DEPTH) is a programming error and aborts.
 *
 * A writer may also start as an object *fragment* (json_init_fragment): it
 * accepts members without the surrounding braces, and json_members() later
 * splices those members into another object.  The replay command builds a
 * statement's result fields that way and emits them after "op", "line" and
 * "ok", whose values are known only at the end.
 */
#ifndef SWIOTLB_TOOLS_JSON_H
#define SWIOTLB_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

struct json {
	char *buf;
	size_t len, cap;
	int depth;                              /* open containers */
	bool in_object[JSON_MAX_DEPTH + 1];     /* per level: object (true) or array */
	bool first[JSON_MAX_DEPTH + 1];         /* per level: no member written yet */
	bool after_key;                         /* a key was written, its value is due */
};

/* An empty writer expecting one top-level value. */
void json_init(struct json *j);
/* An empty writer already inside an object whose braces it never writes. */
void json_init_fragment(struct json *j);
void json_free(struct json *j);
/* Back to the state json_init / json_init_fragment left (keeps the buffer). */
void json_reset(struct json *j, bool fragment);

/* The text written so far ("" when nothing). */
const char *json_text(const struct json *j);
size_t json_len(const struct json *j);
/* True when a fragment holds no member yet. */
bool json_empty(const struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t n);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
/* A fixed-point number with `decimals` digits after the point; null when
 * not finite (JSON has no NaN or infinity). */
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
void json_hex(struct json *j, uint64_t v); /* "0x..." lower case, no padding */
/* `text` must be one complete JSON value; it is copied verbatim. */
void json_raw(struct json *j, const char *text, size_t n);
/* Splice every member of the fragment `frag` into the current object. */
void json_members(struct json *j, const struct json *frag);

/* key + value shorthands for objects */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_double(struct json *j, const char *key, double v, int decimals);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_hex(struct json *j, const char *key, uint64_t v);

#endif
