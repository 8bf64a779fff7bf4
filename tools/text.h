/* SPDX-License-Identifier: MIT */
/*
 * Showing untrusted text on a terminal.  Whatever the tools print that came
 * from their input (file names, names from a script or a machine file,
 * option values, error context that quotes any of them) goes through here,
 * so a file cannot move the cursor, retitle the window or hide text with
 * escape sequences, and a message always says which byte was odd.
 *
 * Shown escaped: the C0 controls and DEL (\n, \t, \r by name, the others as
 * \xNN), the C1 controls and the Unicode format characters that reorder or
 * break text (bidirectional overrides, line and paragraph separators) as
 * \u{NNNN}, and every byte that is not part of valid UTF-8 as \xNN.  Valid
 * printable UTF-8 is kept as it is.
 */
#ifndef SWIOTLB_TOOLS_TEXT_H
#define SWIOTLB_TOOLS_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Length of the valid UTF-8 sequence at s[0..n) (1 to 4), or 0 when s[0]
 * does not start one (a stray continuation byte, an overlong form, a
 * surrogate, a code point above U+10FFFF, a truncated sequence).  The code
 * point goes to *cp.  Shared with the JSON writer.
 */
size_t text_utf8_len(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * `s` (n bytes) made safe to show, into buf (always NUL-terminated; a text
 * too long for it ends in "..."); `newlines` keeps '\n' as a line break.
 * Returns buf.
 */
char *text_safe_n(char *buf, size_t size, const char *s, size_t n, bool newlines);

/*
 * `s` made safe to show, in one of a few per-thread buffers that are reused
 * in turn: for printf arguments, up to TEXT_SHOW_SLOTS in one call.  NULL
 * shows as "(null)".
 */
#define TEXT_SHOW_SLOTS 8
const char *text_show(const char *s);

/*
 * Print the formatted text to f with everything it contains made safe (so a
 * message that quotes input needs no care at its call site); '\n' is kept
 * only where `newlines`.
 */
void text_vprintf(FILE *f, bool newlines, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
void text_printf(FILE *f, bool newlines, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * An error message on stderr: "WHO: message\n" (WHO e.g. "swiotlb blk"),
 * the message made safe as a whole.
 */
void tool_error(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
