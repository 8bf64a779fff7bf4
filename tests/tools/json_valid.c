/* SPDX-License-Identifier: MIT */
/*
 * json_valid [N]: exit 0 when standard input is valid JSON -- one or more
 * values, each on its own line(s), every string valid UTF-8 -- and, when N
 * is given, exactly N values; otherwise print why and exit 1.  Used by
 * messages.sh on the tools' --json output.
 */
#include <stdlib.h>

#include "../json_valid.h"

int main(int argc, char **argv)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return 2;
		size_t got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
	}
	unsigned values = 0;
	char why[160];
	bool ok = json_valid_stream(buf, n, &values, why, sizeof(why));
	free(buf);
	if (!ok) {
		printf("invalid JSON: %s\n", why[0] ? why : "no value");
		return 1;
	}
	if (argc > 1 && values != strtoul(argv[1], NULL, 10)) {
		printf("%u JSON values, wanted %s\n", values, argv[1]);
		return 1;
	}
	return 0;
}
