/* SPDX-License-Identifier: MIT */
/*
 * Reading the inputs of `swiotlb trace`: each file in 256 KiB blocks, split
 * into lines in place (no copy unless a line straddles a block), and
 * several files merged by time.
 *
 * The merge is a streaming k-way merge: every file holds its next parsed
 * event, and the file whose event is earliest goes first.  A line without
 * a time stamp (a dmesg without times, a journal line, a debugfs counter)
 * takes its file's last time, so it stays next to its neighbours.  Time
 * stamps of different files are comparable when they share a clock: printk
 * and the trace's default clock both count from boot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define BLOCK (256u << 10)

int trace_src_open(struct trace_src *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->name = path;
	if (!strcmp(path, "-")) {
		s->f = stdin;
	} else {
		s->f = fopen(path, "rb");
		if (!s->f)
			return -1;
		s->own = true;
	}
	s->cap = BLOCK;
	s->buf = malloc(s->cap);
	if (!s->buf) {
		if (s->own)
			fclose(s->f);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void trace_src_close(struct trace_src *s)
{
	if (s->own && s->f)
		fclose(s->f);
	free(s->buf);
	s->buf = NULL;
	s->f = NULL;
}

/* Read more: keep the unconsumed tail, grow the buffer up to one line's
 * maximum.  False when nothing more arrived. */
static bool refill(struct trace_src *s)
{
	if (s->eof)
		return false;
	if (s->pos) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
	}
	if (s->len == s->cap) {
		size_t cap = s->cap * 2;
		char *b = realloc(s->buf, cap);
		if (!b)
			return false;
		s->buf = b;
		s->cap = cap;
	}
	size_t n = fread(s->buf + s->len, 1, s->cap - s->len, s->f);
	if (n == 0) {
		s->eof = true;
		return false;
	}
	s->len += n;
	return true;
}

bool trace_src_next(struct trace_src *s)
{
	size_t scanned = 0;
	for (;;) {
		char *start = s->buf + s->pos;
		size_t avail = s->len - s->pos;
		char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
		if (nl) {
			s->line = start;
			s->line_len = (size_t)(nl - start);
			s->pos += s->line_len + 1;
			s->overlong = false;
			break;
		}
		scanned = avail;
		if (avail >= TRACE_LINE_MAX) {
			/* too long to hold: hand out the first part, drop the rest of the line */
			s->line = start;
			s->line_len = TRACE_LINE_MAX;
			s->overlong = true;
			for (;;) {
				s->pos = s->len; /* consumed */
				char *q;
				if (!refill(s))
					break;
				q = memchr(s->buf, '\n', s->len);
				if (q) {
					/* the returned text lives at the start of a buffer we just
					 * overwrote; keep only the tail as the next data */
					s->pos = (size_t)(q - s->buf) + 1;
					break;
				}
			}
			s->line = "";
			s->line_len = 0;
			s->lineno++;
			s->binary = false;
			return true;
		}
		if (!refill(s)) {
			if (s->len > s->pos) { /* a last line without a newline */
				s->line = s->buf + s->pos;
				s->line_len = s->len - s->pos;
				s->pos = s->len;
				s->overlong = false;
				break;
			}
			return false;
		}
	}
	s->lineno++;
	s->binary = memchr(s->line, '\0', s->line_len) != NULL;
	return true;
}

/* ------------------------------------------------------------ one pass */

static void report_bad(struct trace_model *m, struct trace_src *s, uint32_t file, const char *why)
{
	m->malformed++;
	if (m->nmalformed_listed < TRACE_MAX_MALFORMED_LISTED) {
		struct trace_malformed *b = &m->malformed_list[m->nmalformed_listed++];
		b->file = file;
		b->line = s->lineno;
		b->name = TN_NONE;
		b->why = why;
	}
	if (!m->quiet_malformed && m->malformed_printed++ < 20)
		fprintf(stderr, "%s:%llu: %s\n", s->name, (unsigned long long)s->lineno, why);
}

/* Read the next line of `s` that carries an event into s->ev.  Lines that
 * carry none are counted here. */
static bool advance(struct trace_model *m, struct tev_parser *ps, struct trace_src *s, uint32_t file)
{
	while (trace_src_next(s)) {
		m->lines++;
		if (s->overlong) {
			m->overlong++;
			report_bad(m, s, file, "line longer than 1 MiB, skipped");
			continue;
		}
		if (s->binary) {
			m->binary++;
			m->skipped++;
			continue;
		}
		int k = tev_parse(ps, s->line, s->line_len, &s->ev);
		if (k == TEV_HEADER) {
			m->headers++;
			continue;
		}
		if (k == TEV_UNKNOWN) {
			m->skipped++;
			continue;
		}
		if (s->ev.malformed) {
			m->events[s->ev.name]++;
			m->malformed++;
			if (m->nmalformed_listed < TRACE_MAX_MALFORMED_LISTED) {
				struct trace_malformed *b = &m->malformed_list[m->nmalformed_listed++];
				b->file = file;
				b->line = s->lineno;
				b->name = s->ev.name;
				b->why = s->ev.why;
			}
			if (!m->quiet_malformed && m->malformed_printed++ < 20)
				fprintf(stderr, "%s:%llu: malformed %s line: %s\n", s->name,
					(unsigned long long)s->lineno, tev_name_str(s->ev.name), s->ev.why);
			continue;
		}
		if (s->ev.has_ts) {
			s->last_ts = s->ev.ts;
			s->any_ts = true;
		} else if (s->any_ts) {
			s->ev.ts = s->last_ts;
			s->ev.has_ts = true;
		}
		s->have = true;
		return true;
	}
	s->have = false;
	return false;
}

int trace_run_pass(struct trace_model *m, char **paths, int npaths)
{
	struct trace_src *src = calloc((size_t)npaths, sizeof(*src));
	struct tev_parser ps;
	int rc = 0;
	if (!src) {
		fprintf(stderr, "swiotlb trace: out of memory\n");
		return 2;
	}
	tev_parser_init(&ps);
	int opened = 0;
	for (int i = 0; i < npaths; i++, opened++) {
		if (trace_src_open(&src[i], paths[i])) {
			fprintf(stderr, "swiotlb trace: %s: %s\n", paths[i], strerror(errno));
			rc = 2;
			goto out;
		}
	}
	if (npaths == 1) {
		/* the common case needs no merge; the parser's scratch arrays stay valid */
		while (advance(m, &ps, &src[0], 0))
			trace_model_feed(m, 0, src[0].lineno, &src[0].ev);
	} else {
		/* each file has its own parser, so the scatter-gather arrays of its
		 * pending event stay valid while others advance; files are few, a
		 * linear scan for the earliest is enough */
		struct tev_parser *fps = calloc((size_t)npaths, sizeof(*fps));
		if (!fps) {
			rc = 2;
			goto out;
		}
		for (int i = 0; i < npaths; i++) {
			tev_parser_init(&fps[i]);
			advance(m, &fps[i], &src[i], (uint32_t)i);
		}
		for (;;) {
			int best = -1;
			for (int i = 0; i < npaths; i++) {
				if (!src[i].have)
					continue;
				if (best < 0 || (src[i].any_ts && (!src[best].any_ts || src[i].ev.ts < src[best].ev.ts)))
					best = i;
			}
			if (best < 0)
				break;
			trace_model_feed(m, (uint32_t)best, src[best].lineno, &src[best].ev);
			advance(m, &fps[best], &src[best], (uint32_t)best);
		}
		for (int i = 0; i < npaths; i++)
			tev_parser_free(&fps[i]);
		free(fps);
	}
	for (int i = 0; i < npaths; i++)
		if (ferror(src[i].f)) {
			fprintf(stderr, "swiotlb trace: %s: read error\n", src[i].name);
			rc = 2;
		}
out:
	for (int i = 0; i < opened; i++)
		trace_src_close(&src[i]);
	free(src);
	tev_parser_free(&ps);
	return rc;
}
