/* SPDX-License-Identifier: MIT */
/*
 * Untrusted text made safe to show (see text.h).
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

size_t text_utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (!n)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5..0xff */
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Code points a terminal acts on or that change how the text around them reads. */
static bool hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||     /* C1 controls: CSI, OSC, ... */
	       cp == 0x061c ||                    /* Arabic letter mark */
	       (cp >= 0x200b && cp <= 0x200f) ||  /* zero-width, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) ||  /* separators, bidi embeddings and overrides */
	       (cp >= 0x2060 && cp <= 0x206f) ||  /* invisible operators, bidi isolates */
	       cp == 0xfeff;                      /* zero-width no-break space */
}

char *text_safe_n(char *buf, size_t size, const char *s, size_t n, bool newlines)
{
	static const char hexd[] = "0123456789abcdef";
	static const char more[] = "...";
	if (!size)
		return buf;
	size_t o = 0, cut = 0;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		char esc[16];
		const char *piece = (const char *)u + i;
		size_t plen;
		uint32_t cp;
		size_t len = text_utf8_len(u + i, n - i, &cp);
		if (!len) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hexd[u[i] >> 4];
			esc[3] = hexd[u[i] & 15];
			piece = esc;
			plen = 4;
			len = 1;
		} else if (cp == '\n' && newlines) {
			plen = 1;
		} else if (cp == '\n' || cp == '\t' || cp == '\r') {
			esc[0] = '\\';
			esc[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
			piece = esc;
			plen = 2;
		} else if (cp < 0x20 || cp == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hexd[cp >> 4];
			esc[3] = hexd[cp & 15];
			piece = esc;
			plen = 4;
		} else if (hidden(cp)) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\u{%04x}", (unsigned)cp);
			piece = esc;
		} else {
			plen = len;
		}
		if (o + plen >= size) {
			/* a cut: back to the last whole piece that leaves room for "..." */
			o = cut;
			if (size > sizeof(more)) {
				memcpy(buf + o, more, sizeof(more) - 1);
				o += sizeof(more) - 1;
			}
			break;
		}
		memcpy(buf + o, piece, plen);
		o += plen;
		i += len;
		if (o + sizeof(more) <= size)
			cut = o;
	}
	buf[o] = '\0';
	return buf;
}

#define TEXT_SHOW_BYTES 2048

const char *text_show(const char *s)
{
	static _Thread_local char slots[TEXT_SHOW_SLOTS][TEXT_SHOW_BYTES];
	static _Thread_local unsigned next;
	char *buf = slots[next++ % TEXT_SHOW_SLOTS];
	if (!s)
		s = "(null)";
	return text_safe_n(buf, TEXT_SHOW_BYTES, s, strlen(s), false);
}

void text_vprintf(FILE *f, bool newlines, const char *fmt, va_list ap)
{
	char *raw = NULL;
	int n = vasprintf(&raw, fmt, ap);
	if (n < 0) {
		fputs("(out of memory)", f);
		return;
	}
	/* each input byte becomes at most 10 output bytes (\u{NNNN} for 3 bytes) */
	size_t size = 4 * (size_t)n + 1;
	char *safe = malloc(size);
	if (safe) {
		fputs(text_safe_n(safe, size, raw, (size_t)n, newlines), f);
		free(safe);
	} else {
		fputs("(out of memory)", f);
	}
	free(raw);
}

void text_printf(FILE *f, bool newlines, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	text_vprintf(f, newlines, fmt, ap);
	va_end(ap);
}

void tool_error(const char *who, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", who);
	va_start(ap, fmt);
	text_vprintf(stderr, false, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
