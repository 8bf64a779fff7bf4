/* SPDX-License-Identifier: MIT */
/*
 * A strict JSON checker for the tests of the tools' output (RFC 8259):
 * structure, number syntax, string escapes, no raw control character in a
 * string, and every byte of the text valid UTF-8.  Written here rather
 * than borrowed from the tools' own code, so a bug there cannot hide.
 */
#ifndef SWIOTLB_TEST_JSON_VALID_H
#define SWIOTLB_TEST_JSON_VALID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct jv {
	const unsigned char *s;
	size_t n, i;
	int depth;
	char why[128];
};

static bool jv_fail(struct jv *v, const char *why)
{
	if (!v->why[0])
		snprintf(v->why, sizeof(v->why), "%s at byte %zu", why, v->i);
	return false;
}

static void jv_ws(struct jv *v)
{
	while (v->i < v->n && (v->s[v->i] == ' ' || v->s[v->i] == '\t' || v->s[v->i] == '\n' || v->s[v->i] == '\r'))
		v->i++;
}

/* One UTF-8 sequence at v->i (a byte >= 0x80), by the table of RFC 3629. */
static bool jv_utf8(struct jv *v)
{
	const unsigned char *p = v->s + v->i;
	size_t left = v->n - v->i;
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return jv_fail(v, "invalid UTF-8 lead byte");
	if (left < len || p[1] < lo || p[1] > hi)
		return jv_fail(v, "invalid UTF-8 sequence");
	for (size_t k = 2; k < len; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return jv_fail(v, "invalid UTF-8 continuation");
	v->i += len;
	return true;
}

static bool jv_hex4(struct jv *v)
{
	for (int k = 0; k < 4; k++, v->i++)
		if (v->i >= v->n || !strchr("0123456789abcdefABCDEF", v->s[v->i]) || !v->s[v->i])
			return jv_fail(v, "bad \\u escape");
	return true;
}

static bool jv_string(struct jv *v)
{
	v->i++; /* the opening quote */
	while (v->i < v->n) {
		unsigned char c = v->s[v->i];
		if (c == '"') {
			v->i++;
			return true;
		}
		if (c < 0x20)
			return jv_fail(v, "raw control character in a string");
		if (c == '\\') {
			v->i++;
			if (v->i >= v->n)
				break;
			c = v->s[v->i++];
			if (c == 'u') {
				if (!jv_hex4(v))
					return false;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				v->i--;
				return jv_fail(v, "bad escape");
			}
			continue;
		}
		if (c >= 0x80) {
			if (!jv_utf8(v))
				return false;
			continue;
		}
		v->i++;
	}
	return jv_fail(v, "unterminated string");
}

static bool jv_digits(struct jv *v)
{
	size_t start = v->i;
	while (v->i < v->n && v->s[v->i] >= '0' && v->s[v->i] <= '9')
		v->i++;
	return v->i > start;
}

static bool jv_number(struct jv *v)
{
	if (v->s[v->i] == '-')
		v->i++;
	if (v->i < v->n && v->s[v->i] == '0')
		v->i++;
	else if (!jv_digits(v))
		return jv_fail(v, "bad number");
	if (v->i < v->n && v->s[v->i] == '.') {
		v->i++;
		if (!jv_digits(v))
			return jv_fail(v, "bad fraction");
	}
	if (v->i < v->n && (v->s[v->i] == 'e' || v->s[v->i] == 'E')) {
		v->i++;
		if (v->i < v->n && (v->s[v->i] == '+' || v->s[v->i] == '-'))
			v->i++;
		if (!jv_digits(v))
			return jv_fail(v, "bad exponent");
	}
	return true;
}

static bool jv_value(struct jv *v);

static bool jv_container(struct jv *v, bool object)
{
	if (++v->depth > 256)
		return jv_fail(v, "nesting too deep");
	v->i++;
	jv_ws(v);
	if (v->i < v->n && v->s[v->i] == (object ? '}' : ']')) {
		v->i++;
		v->depth--;
		return true;
	}
	for (;;) {
		jv_ws(v);
		if (object) {
			if (v->i >= v->n || v->s[v->i] != '"')
				return jv_fail(v, "expected a key");
			if (!jv_string(v))
				return false;
			jv_ws(v);
			if (v->i >= v->n || v->s[v->i] != ':')
				return jv_fail(v, "expected ':'");
			v->i++;
		}
		if (!jv_value(v))
			return false;
		jv_ws(v);
		if (v->i < v->n && v->s[v->i] == ',') {
			v->i++;
			continue;
		}
		if (v->i < v->n && v->s[v->i] == (object ? '}' : ']')) {
			v->i++;
			v->depth--;
			return true;
		}
		return jv_fail(v, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static bool jv_word(struct jv *v, const char *w)
{
	size_t n = strlen(w);
	if (v->n - v->i < n || memcmp(v->s + v->i, w, n))
		return jv_fail(v, "unexpected text");
	v->i += n;
	return true;
}

static bool jv_value(struct jv *v)
{
	jv_ws(v);
	if (v->i >= v->n)
		return jv_fail(v, "expected a value");
	switch (v->s[v->i]) {
	case '{': return jv_container(v, true);
	case '[': return jv_container(v, false);
	case '"': return jv_string(v);
	case 't': return jv_word(v, "true");
	case 'f': return jv_word(v, "false");
	case 'n': return jv_word(v, "null");
	default:
		if (v->s[v->i] == '-' || (v->s[v->i] >= '0' && v->s[v->i] <= '9'))
			return jv_number(v);
		return jv_fail(v, "unexpected character");
	}
}

/*
 * True when `text` (n bytes) is one or more JSON values, each on its own
 * line or lines (the tools print one object per line); *nvalues counts
 * them.  Otherwise false with the reason in why.
 */
static inline bool json_valid_stream(const char *text, size_t n, unsigned *nvalues, char *why, size_t whylen)
{
	struct jv v = {(const unsigned char *)text, n, 0, 0, ""};
	unsigned count = 0;
	for (;;) {
		jv_ws(&v);
		if (v.i >= v.n)
			break;
		if (!jv_value(&v))
			break;
		count++;
		size_t end = v.i;
		while (v.i < v.n && (v.s[v.i] == ' ' || v.s[v.i] == '\t' || v.s[v.i] == '\r'))
			v.i++;
		if (v.i < v.n && v.s[v.i] != '\n') {
			v.i = end;
			jv_fail(&v, "text after a value on its line");
			break;
		}
	}
	if (nvalues)
		*nvalues = count;
	if (why && whylen)
		snprintf(why, whylen, "%s", v.why);
	return !v.why[0] && count > 0;
}

#endif
