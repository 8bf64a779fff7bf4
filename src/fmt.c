/* SPDX-License-Identifier: MIT */
/*
 * A small vsnprintf for messages, statistics text and JSON.  Supports
 * %s %c %d %i %u %x %X %p %% with the h/l/ll/z/j length modifiers, a width,
 * and the '0' and '-' flags: enough for the kernel's message formats.
 */
#include "internal.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;
	if (!left)
		while (fill-- > 0)
			put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		while (fill-- > 0)
			put(o, ' ');
}

static size_t utoa(char *tmp, uint64_t v, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	size_t n = 0, i;
	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

int tlb_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		int width = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t, 4 intmax */
		if (*fmt == 'h') {
			fmt++;
			if (*fmt == 'h')
				fmt++;
		} else if (*fmt == 'l') {
			fmt++;
			lng = 1;
			if (*fmt == 'l')
				fmt++, lng = 2;
		} else if (*fmt == 'z') {
			fmt++;
			lng = 3;
		} else if (*fmt == 'j') {
			fmt++;
			lng = 4;
		}
		char tmp[32];
		size_t n;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			put_padded(&o, s, tlb_strlen(s), width, left, ' ');
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			break;
		case 'd':
		case 'i': {
			int64_t v;
			if (lng == 1)
				v = va_arg(ap, long);
			else if (lng == 2)
				v = va_arg(ap, long long);
			else if (lng == 3)
				v = (int64_t)va_arg(ap, size_t); /* %zd: ssize_t has size_t's size */
			else if (lng == 4)
				v = va_arg(ap, int64_t);
			else
				v = va_arg(ap, int);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			size_t off = 0;
			if (v < 0)
				tmp[off++] = '-';
			n = off + utoa(tmp + off, mag, 10, false);
			if (v < 0 && pad == '0' && !left) {
				put(&o, '-');
				put_padded(&o, tmp + 1, n - 1, width - 1, left, pad);
			} else {
				put_padded(&o, tmp, n, width, left, pad);
			}
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'p': {
			uint64_t v;
			if (*fmt == 'p') {
				v = (uintptr_t)va_arg(ap, void *);
				put(&o, '0');
				put(&o, 'x');
			} else if (lng == 1)
				v = va_arg(ap, unsigned long);
			else if (lng == 2)
				v = va_arg(ap, unsigned long long);
			else if (lng == 3)
				v = va_arg(ap, size_t);
			else if (lng == 4)
				v = va_arg(ap, uint64_t);
			else
				v = va_arg(ap, unsigned);
			n = utoa(tmp, v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
			put_padded(&o, tmp, n, width, left, pad);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case 0:
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = 0;
	return (int)o.len;
}

int tlb_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tlb_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

void tlb_buf_printf(struct tlb_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = b->len < b->cap ? b->cap - b->len : 0;
	int r = tlb_vsnprintf(room ? b->p + b->len : (char *)0, room, fmt, ap);
	va_end(ap);
	b->len += (size_t)r;
}
