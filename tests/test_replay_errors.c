/* SPDX-License-Identifier: MIT */
/*
 * The replay command's argument checking and the tools' JSON writer.
 *
 * Every malformed statement must be reported as one JSON object with error
 * "syntax", the right line number and a message naming the problem, and
 * must stop the run with exit status 2 -- never crash, never run on.  The
 * test links the program's own code (swiotlb_tools, everything of the
 * `swiotlb` program but main) and drives it through the interfaces the
 * commands share: replay_stream() and cmd_replay() of commands.h, the JSON
 * writer and the text helpers.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "json_valid.h"

#include "commands.h"
#include "json.h"
#include "text.h"
#include "swiotlb/swiotlb.h"

static char out[1 << 16];

static size_t out_len;

/* Run `n` bytes of script in JSON or human (--echo) mode; capture standard
 * output into `out` (out_len bytes, NULs included). */
static int run_mode(const char *script, size_t n, bool json)
{
	FILE *in = fmemopen((void *)script, n, "r");
	REQUIRE(in != NULL);
	FILE *tmp = tmpfile();
	REQUIRE(tmp != NULL);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	REQUIRE(saved >= 0);
	REQUIRE(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	int status = replay_stream(in, "test", json, !json);
	fflush(stdout);
	REQUIRE(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	fclose(in);
	rewind(tmp);
	out_len = fread(out, 1, sizeof(out) - 1, tmp);
	out[out_len] = '\0';
	fclose(tmp);
	return status;
}

/* Run `script` with --json. */
static int run(const char *script)
{
	return run_mode(script, strlen(script), true);
}

static const char *last_line(void)
{
	size_t n = strlen(out);
	while (n && out[n - 1] == '\n')
		n--;
	while (n && out[n - 1] != '\n')
		n--;
	return out + n;
}

static int count_lines(void)
{
	int n = 0;
	for (const char *p = out; *p; p++)
		n += *p == '\n';
	return n;
}

struct bad {
	const char *stmt;
	const char *message; /* a substring of the reported message */
};

static const struct bad bad_statements[] = {
	{"frobnicate", "unknown statement 'frobnicate'"},
	{"pool p base=0x100000", "missing slots="},
	{"pool p slots=8 colour=red", "unknown key 'colour'"},
	{"pool p slots=8 slots=9", "slots= given twice"},
	{"pool p slots=8 placement=middle", "expected low or any"},
	{"pool p slots=0x", "slots=0x is not a number"},
	{"pool p slots=-1", "slots=-1 is not a number"},
	{"pool p slots=99999999999999999999", "is not a number"},
	{"pool p slots=010", "slots=010: a number has no leading zero"},
	{"pool p slots=00", "a number has no leading zero"},
	{"cpus 010", "not a CPU count"},
	{"pool averyveryveryverylongpoolname slots=8", "too long"},
	{"map a dev=d orig=0x1000 size=12x dir=to_device", "size=12x is not a number"},
	{"map a dev=d orig=0x1000 size=1 dir=sideways", "expected to_device, from_device or bidirectional"},
	{"map a orig=0x1000 size=1 dir=to_device", "missing dev="},
	{"map a dev=d size=1 dir=to_device", "missing orig="},
	{"map a dev=d orig=0x1000 size=1", "missing dir="},
	{"map a dev=d orig=0x1000 size=1 dir=to_device cpu=-1", "cpu=-1 is not a number"},
	{"map a dev=d orig=0x1000 size=1 dir=to_device turbo", "unexpected argument 'turbo'"},
	{"map", "missing NAME"},
	{"map dev=d", "missing NAME"},
	{"cmdline \"swiotlb=force", "unterminated quoted string"},
	{"cmdline swiotlb=4", "missing TEXT"},
	{"cmdline \"x\" dialect=klingon", "unknown dialect 'klingon'"},
	{"cmdline \"x\" strict lenient", "exclude each other"},
	{"cmdline \"x\"y", "text right after a closing quote"},
	{"cpus 0", "not a CPU count"},
	{"cpus many", "not a CPU count"},
	{"cpus", "missing COUNT"},
	{"device d mask=0x1g", "mask=0x1g is not a number"},
	{"device d mask=32 turbo", "unexpected argument 'turbo'"},
	{"fill orig=0x1000 map=a len=1 byte=1", "exactly one of orig= and map="},
	{"fill len=1 byte=1", "exactly one of orig= and map="},
	{"fill orig=0x1000 offset=1 len=1 byte=1", "offset= goes with map="},
	{"fill orig=0x1000 len=1 byte=0x100", "out of range"},
	{"fill orig=0x1000 byte=1", "missing len="},
	{"expect orig=0x1000 len=1", "missing byte="},
	{"expect orig=0x1000 len=1 byte=1 \"s\"", "unexpected argument 's'"},
	{"sync a for=gpu", "expected cpu or device"},
	{"sync a", "missing for="},
	{"unmap a size=big", "size=big is not a number"},
	{"stats now", "unexpected argument 'now'"},
	{"check x=1", "unknown key 'x'"},
	{"reset_hiwater value=", "value= has no value"},
	{"=5", "'=' without a key"},
	{"\"quoted\" x", "must start with a statement name"},
	{"map a dev=d\"x\"", "unexpected '\\\"' in the value of dev="},
	{"map a dev==d", "unexpected '='"},
	{"check a b c d e f g h i j k l m n o p q", "too many arguments"},
};

static void test_syntax_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_statements) / sizeof(bad_statements[0]); i++) {
		const struct bad *b = &bad_statements[i];
		char script[512];
		/* a comment, a good statement, the bad one, one that must not run */
		snprintf(script, sizeof(script), "# first\ncpus 2\n%s\ncpus 3\n", b->stmt);
		int status = run(script);
		const char *l = last_line();
		if (status != 2 || count_lines() != 2 || !strstr(l, "\"line\":3,\"ok\":false,\"error\":\"syntax\"") ||
		    !strstr(l, b->message)) {
			fprintf(stderr, "statement: %s\n  status %d, output:\n%s  want message containing: %s\n", b->stmt,
				status, out, b->message);
			check_failures++;
		}
		check_count++;
	}
}

static void test_exit_status(void)
{
	/* comments, blank lines and trailing comments are not statements */
	CHECK(run("\n   # nothing\n\t\ncpus 2 # two\n") == 0);
	CHECK_STR(out, "{\"op\":\"cpus\",\"line\":4,\"ok\":true,\"cpus\":2}\n");

	/* failed operations do not change the exit status ... */
	CHECK(run("pool p base=0x100000 slots=1\ndevice d mask=32 force\n"
		  "map a dev=d orig=0x200000 size=100 dir=to_device\n"
		  "map b dev=d orig=0x200000 size=100 dir=to_device\nunmap zz\n") == 0);
	CHECK(strstr(out, "\"error\":\"full\"") != NULL);
	CHECK(strstr(out, "no live mapping named 'zz'") != NULL);

	/* ... a failed expect does, and the run goes on */
	CHECK(run("fill orig=0x200000 len=4 byte=1\nexpect orig=0x200000 len=4 byte=2\ncpus 2\n") == 1);
	CHECK(strstr(out, "\"mismatch_at\":0,\"found\":\"0x01\"") != NULL);
	CHECK(count_lines() == 3);

	/* an expect that cannot even run counts as failed */
	CHECK(run("expect map=nothing len=1 byte=0\n") == 1);
	CHECK(strstr(out, "\"error\":\"invalid\"") != NULL);

	/* a statement that needs an instance says so */
	CHECK(run("check\n") == 0);
	CHECK(strstr(out, "no instance yet") != NULL);

	/* an unknown policy is refused with the library's list */
	CHECK(run("policy nosuch\ncpus 2\n") == 0);
	CHECK(strstr(out, "no placement policy 'nosuch' (policies: ") != NULL);
	for (int i = 0; swiotlb_policy_name(i); i++)
		CHECK(strstr(out, swiotlb_policy_name(i)) != NULL);

	/* the empty script */
	CHECK(run("") == 0);
	CHECK_STR(out, "");
}

static void test_command_line(void)
{
	char *missing[] = {"replay", "/nonexistent/script.swtl", NULL};
	CHECK(cmd_replay(2, missing) == 2);
	char *unknown[] = {"replay", "--frob", NULL};
	CHECK(cmd_replay(2, unknown) == 2);
	char *two[] = {"replay", "a.swtl", "b.swtl", NULL};
	CHECK(cmd_replay(3, two) == 2);
}

static void test_json_writer(void)
{
	struct json j;
	json_init(&j);
	json_object_begin(&j);
	json_kv_string(&j, "s", "a\"b\\c\n\t\x01\x7f\xc3\xa9");
	json_kv_u64(&j, "u", UINT64_MAX);
	json_kv_i64(&j, "i", -5);
	json_kv_bool(&j, "b", false);
	json_kv_hex(&j, "h", 0xabcdef);
	json_key(&j, "a");
	json_array_begin(&j);
	json_u64(&j, 1);
	json_object_begin(&j);
	json_object_end(&j);
	json_array_begin(&j);
	json_array_end(&j);
	json_null(&j);
	json_string(&j, NULL);
	json_array_end(&j);
	json_key(&j, "r");
	json_raw(&j, "{\"x\":1}", 7);

	struct json f;
	json_init_fragment(&f);
	CHECK(json_empty(&f));
	json_members(&j, &f); /* an empty fragment adds nothing */
	json_kv_u64(&f, "m", 1);
	json_kv_string(&f, "n", "two");
	json_members(&j, &f);
	json_object_end(&j);
	CHECK_STR(json_text(&j), "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\xc3\xa9\",\"u\":18446744073709551615,"
				 "\"i\":-5,\"b\":false,\"h\":\"0xabcdef\",\"a\":[1,{},[],null,null],"
				 "\"r\":{\"x\":1},\"m\":1,\"n\":\"two\"}");
	CHECK(j.depth == 0);

	json_reset(&j, false);
	json_array_begin(&j);
	for (int i = 0; i < 1000; i++)
		json_hex(&j, (uint64_t)i);
	json_array_end(&j);
	/* 16 of "0xN", 240 of "0xNN", 744 of "0xNNN", 999 commas, 2 brackets */
	CHECK_EQ_U64(json_len(&j), 16 * 5 + 240 * 6 + 744 * 7 + 999 + 2);
	CHECK(!strncmp(json_text(&j), "[\"0x0\",\"0x1\",", 13));
	json_free(&f);

	/* text that is not UTF-8: each stray byte is U+FFFD, good sequences stay */
	static const struct {
		const char *in, *want;
	} utf8[] = {
		{"\xff", "\"\\ufffd\""},
		{"a\x80" "b", "\"a\\ufffdb\""},                       /* a lone continuation byte */
		{"\xc3", "\"\\ufffd\""},                            /* a sequence cut short */
		{"\xc3(", "\"\\ufffd(\""},
		{"\xc0\x80", "\"\\ufffd\\ufffd\""},                 /* overlong NUL */
		{"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},       /* overlong '/' */
		{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},       /* a surrogate */
		{"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* above U+10FFFF */
		{"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9", "\"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9\""},
		{"\xe2\x80\xa8", "\"\\u2028\""},
		{"\x1b[2J", "\"\\u001b[2J\""},
	};
	for (size_t i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
		json_reset(&j, false);
		json_string(&j, utf8[i].in);
		CHECK_STR(json_text(&j), utf8[i].want);
		CHECK(json_valid_stream(json_text(&j), json_len(&j), NULL, NULL, 0));
	}
	/* keys too */
	json_reset(&j, false);
	json_object_begin(&j);
	json_kv_u64(&j, "k\xfe", 1);
	json_object_end(&j);
	CHECK_STR(json_text(&j), "{\"k\\ufffd\":1}");

	/* numbers JSON cannot write are null */
	json_reset(&j, false);
	json_array_begin(&j);
	json_double(&j, 1.5, 2);
	json_double(&j, 0.0 / 0.0, 2);
	json_double(&j, 1.0 / 0.0, 2);
	json_double(&j, -1e300, 2);
	json_double(&j, -0.25, 3);
	json_array_end(&j);
	CHECK_STR(json_text(&j), "[1.50,null,null,null,-0.250]");
	json_free(&j);
}

/*
 * Names and values from a script reach the JSON output and the terminal:
 * the JSON must stay valid whatever bytes they hold, and the human output
 * must carry no control byte of the script.
 */
static const char hostile_script[] =
	"device d\xff\xfe\x1b[31m mask=32 force\n"        /* invalid UTF-8 and an escape sequence */
	"device \"e\x07\x01\x7f\xc0\xaf\xed\xa0\x80\" mask=64\n" /* BEL, DEL, overlong, surrogate */
	"pool p base=0x100000 slots=8\n"
	"map m\x9b\xe2\x80\xae dev=d\xff\xfe\x1b[31m orig=0x200000 size=16 dir=to_device\n"
	"unmap m\x9b\xe2\x80\xae\n"
	"map x dev=nobody\x1b]0;title\x07 orig=0x200000 size=16 dir=to_device\n"
	"fill map=gone\x1b[2J len=1 byte=1\n";

static void test_hostile_names_json(void)
{
	run_mode(hostile_script, sizeof(hostile_script) - 1, true);
	char why[160];
	unsigned values = 0;
	bool valid = json_valid_stream(out, out_len, &values, why, sizeof(why));
	if (!valid)
		fprintf(stderr, "replay --json printed invalid JSON (%s):\n%s\n", why, out);
	CHECK(valid);
	CHECK_EQ_U64(values, 7);
	/* the stray bytes are replaced, the controls escaped, good UTF-8 kept */
	CHECK(strstr(out, "\"name\":\"d\\ufffd\\ufffd\\u001b[31m\"") != NULL);
	CHECK(strstr(out, "\"name\":\"e\\u0007\\u0001\\u007f\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"") != NULL);
	CHECK(strstr(out, "\"name\":\"m\\ufffd\xe2\x80\xae\"") != NULL);
	CHECK(strstr(out, "unknown device 'nobody\\u001b]0;title\\u0007'") != NULL);
}

static void test_hostile_names_terminal(void)
{
	run_mode(hostile_script, sizeof(hostile_script) - 1, false);
	bool raw = false;
	for (size_t i = 0; i < out_len; i++) {
		unsigned char c = (unsigned char)out[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f || c == 0x9b || c == 0xff || c == 0xfe)
			raw = true;
	}
	if (raw)
		fprintf(stderr, "replay --echo printed a raw control or stray byte:\n%s\n", out);
	CHECK(!raw);
	CHECK(strstr(out, "device d\\xff\\xfe\\x1b[31m: mask=0xffffffff force") != NULL);
	CHECK(strstr(out, "> map m\\x9b\\u{202e} dev=d\\xff\\xfe\\x1b[31m") != NULL);
	CHECK(strstr(out, "unknown device 'nobody\\x1b]0;title\\x07'") != NULL);
	CHECK(strstr(out, "fill map=gone\\x1b[2J+0: error") != NULL);
}

static void test_nul_byte(void)
{
	/* "unmap a\0 skip_sync" must not run as "unmap a" */
	static const char script[] = "cpus 2\nunmap a\0 skip_sync\ncpus 3\n";
	CHECK(run_mode(script, sizeof(script) - 1, true) == 2);
	CHECK(strstr(out, "\"line\":2,\"ok\":false,\"error\":\"syntax\",\"message\":\"the line contains a NUL byte\"") !=
	      NULL);
	CHECK(count_lines() == 2);
}

/* The one helper every command shows input text through (tools/text.c). */
static void test_text_safe(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"plain \xc3\xa9t\xc3\xa9 \xe2\x82\xac", "plain \xc3\xa9t\xc3\xa9 \xe2\x82\xac"},
		{"\x1b[2J", "\\x1b[2J"},
		{"a\tb\rc\nd\x7f", "a\\tb\\rc\\nd\\x7f"},
		{"\xc2\x9b" "31m", "\\u{009b}31m"},   /* C1 CSI */
		{"x\xe2\x80\xaey", "x\\u{202e}y"},     /* right-to-left override */
		{"\xff\xc3", "\\xff\\xc3"},            /* not UTF-8 */
		{"\xed\xa0\x80", "\\xed\\xa0\\x80"}, /* a surrogate */
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(text_safe_n(buf, sizeof(buf), cases[i].in, strlen(cases[i].in), false), cases[i].want);
	CHECK_STR(text_safe_n(buf, sizeof(buf), "a\nb", 3, true), "a\nb");
	/* a cut never splits an escape and says so */
	CHECK_STR(text_safe_n(buf, 10, "abcd\x1b\x1b", 6, false), "abcd...");
	CHECK_STR(text_safe_n(buf, 10, "abcdefghi", 9, false), "abcdefghi");
	CHECK_STR(text_safe_n(buf, 10, "abcdefghij", 10, false), "abcdef...");
	/* several in one call, each its own buffer */
	char two[64];
	snprintf(two, sizeof(two), "%s|%s", text_show("\x01"), text_show("\x02"));
	CHECK_STR(two, "\\x01|\\x02");
	CHECK_STR(text_show(NULL), "(null)");
}

int main(void)
{
	test_text_safe();
	test_hostile_names_json();
	test_hostile_names_terminal();
	test_nul_byte();
	test_syntax_errors();
	test_exit_status();
	test_command_line();
	test_json_writer();
	return check_done("test_replay_errors");
}
