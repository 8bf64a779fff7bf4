/* SPDX-License-Identifier: MIT */
/*
 * swiotlb trace [explain|replay|advise] [options] FILE...
 *
 * Reads kernel logs, DMA trace text and debugfs snapshots (auto-detected
 * per line, several files merged by time), explains every swiotlb failure,
 * reconstructs the bounce load, replays it through the library and
 * recommends a swiotlb= line.  docs/trace.md has the formats, the method
 * and the JSON document; swiotlb(1) the options.
 *
 * Exit status: 0 done; 1 `replay` saw failures; 2 bad options or
 * unreadable input.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "trace.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: swiotlb trace [explain] [options] FILE...   explain failures, reconstruct the load\n"
		"       swiotlb trace replay [options] FILE...      replay the load through libswiotlb\n"
		"       swiotlb trace advise [options] FILE...      recommend a swiotlb= line\n"
		"  FILE                  a kernel log (dmesg, journal, quoted mail), trace text (cat trace,\n"
		"                        trace_pipe, trace-cmd report) or debugfs snapshots; '-' is stdin\n"
		"  --json                one swiotlb-trace JSON document (docs/trace.md)\n"
		"  --pool NAME=START-END a pool the log does not show (also NAME=START+SIZE)\n"
		"  --cmdline TEXT        replay: the swiotlb= to replay with (default: the log's);\n"
		"                        explain/advise: used when the log has no command line\n"
		"  --dialect D           mainline (default), rfc2021 or named, for --cmdline\n"
		"  --policy P            the library's placement policy for the replay (fast, linux)\n"
		"  --cpus N              CPUs of the replayed machine (default: the log's, else the trace's)\n"
		"  --headroom PCT        advise: headroom over the replayed high-water mark (default 25)\n"
		"  --plot FILE           draw slots in use over time per pool, pool sizes and failures\n"
		"                        marked, with gnuplot (SVG, or PNG when FILE ends in .png)\n"
		"  --plot-format F       svg or png, whatever FILE's name\n"
		"\n"
		"usage: swiotlb trace --live [DIR] [--interval SEC] [--count N] [--duration SEC]\n"
		"                     [--output FILE] [--plot FILE] [--json]\n"
		"  sample a running kernel's swiotlb debugfs directory (default /sys/kernel/debug/swiotlb,\n"
		"  its pool subdirectories included) until N samples, SEC seconds or Ctrl-C; the samples go\n"
		"  to FILE (default stdout) as time-stamped debugfs snapshots, which every command reads;\n"
		"  progress and the current reading on a terminal; with --output, the report at the end\n"
		"  --interval SEC        between samples (default 1)\n"
		"  --count N             stop after N samples\n"
		"  --duration SEC        stop after SEC seconds\n"
		"  --output FILE         the samples' file (then the report follows on stdout)\n");
}

static int bad(const char *opt, const char *fmt, const char *val)
{
	fprintf(stderr, "swiotlb trace: %s: ", opt);
	fprintf(stderr, fmt, val);
	fprintf(stderr, "\n");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return false;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	if (mul != 1)
		end++;
	if (*end || (mul != 1 && x > UINT64_MAX / mul))
		return false;
	*v = x * mul;
	return true;
}

/* NAME=START-END (end exclusive) or NAME=START+SIZE */
static int parse_pool(struct trace_model *m, const char *arg)
{
	char buf[160];
	if (strlen(arg) >= sizeof(buf))
		return bad("--pool", "'%s' is too long", arg);
	strcpy(buf, arg);
	char *eq = strchr(buf, '=');
	if (!eq || eq == buf || eq - buf > 24)
		return bad("--pool", "'%s' is not NAME=START-END or NAME=START+SIZE", arg);
	*eq = '\0';
	char *r = eq + 1;
	char *sep = strpbrk(r + 1, "-+");
	if (!sep)
		return bad("--pool", "'%s' is not NAME=START-END or NAME=START+SIZE", arg);
	char op = *sep;
	*sep = '\0';
	uint64_t a, b;
	if (!parse_u64(r, &a) || !parse_u64(sep + 1, &b))
		return bad("--pool", "'%s' has an unreadable address or size", arg);
	if (op == '+') {
		if (b > UINT64_MAX - a)
			return bad("--pool", "'%s' wraps around", arg);
		b += a;
	}
	if (b <= a)
		return bad("--pool", "'%s' is empty", arg);
	if (trace_model_add_pool(m, buf, a, b, "--pool") < 0)
		return bad("--pool", "'%s': too many pools", arg);
	return 0;
}

/* A replay reads its input again, so stdin is first copied to a file. */
static int spool_stdin(char **path)
{
	char tmpl[] = "/tmp/swiotlb-trace-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	unlink(tmpl);
	FILE *out = fdopen(fd, "w+b");
	if (!out) {
		close(fd);
		return -1;
	}
	char buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			fclose(out);
			return -1;
		}
	fflush(out);
	/* the file stays reachable through /proc/self/fd while `out` is open */
	static char procpath[64];
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
	*path = procpath;
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	enum { O_JSON = 256, O_POOL, O_CMDLINE, O_DIALECT, O_POLICY, O_CPUS, O_HEADROOM, O_DYNAMIC, O_PLOT, O_PLOT_FORMAT,
	       O_LIVE, O_INTERVAL, O_COUNT, O_DURATION, O_OUTPUT };
	static const struct option opts[] = {
		{"json", no_argument, NULL, O_JSON},
		{"pool", required_argument, NULL, O_POOL},
		{"cmdline", required_argument, NULL, O_CMDLINE},
		{"dialect", required_argument, NULL, O_DIALECT},
		{"policy", required_argument, NULL, O_POLICY},
		{"cpus", required_argument, NULL, O_CPUS},
		{"headroom", required_argument, NULL, O_HEADROOM},
		{"dynamic", required_argument, NULL, O_DYNAMIC},
		{"plot", required_argument, NULL, O_PLOT},
		{"plot-format", required_argument, NULL, O_PLOT_FORMAT},
		{"live", optional_argument, NULL, O_LIVE},
		{"interval", required_argument, NULL, O_INTERVAL},
		{"count", required_argument, NULL, O_COUNT},
		{"duration", required_argument, NULL, O_DURATION},
		{"output", required_argument, NULL, O_OUTPUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *command = "explain";
	int first = 1;
	if (argc > 1 && (!strcmp(argv[1], "explain") || !strcmp(argv[1], "replay") || !strcmp(argv[1], "advise"))) {
		command = argv[1];
		first = 2;
	}
	struct trace_model m;
	trace_model_init(&m);
	struct trace_replay_opts ro = {0};
	bool json = false;
	double headroom = 0.25;
	const char *plot = NULL;
	int plot_format = -1;
	bool live = false;
	struct trace_live_opts lo = {.interval = 1};
	const char *live_opt = NULL; /* the first sampling option given, for messages */
	int rc = 0;

	/* getopt_long over the arguments after the subcommand */
	int gargc = argc - first + 1;
	char **gargv = argv + first - 1;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(gargc, gargv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case O_JSON:
			json = true;
			break;
		case O_POOL:
			if ((rc = parse_pool(&m, optarg)))
				goto out;
			break;
		case O_CMDLINE:
			ro.cmdline = optarg;
			break;
		case O_DIALECT:
			ro.dialect = optarg;
			break;
		case O_POLICY:
			ro.policy = optarg;
			break;
		case O_CPUS: {
			uint64_t v;
			if (!parse_u64(optarg, &v) || !v || v > 4096) {
				rc = bad("--cpus", "'%s' is not a CPU count (1..4096)", optarg);
				goto out;
			}
			ro.cpus = (uint32_t)v;
			break;
		}
		case O_HEADROOM: {
			char *end;
			double v = strtod(optarg, &end);
			if (end == optarg || *end || !(v >= 0 && v <= 1000)) {
				rc = bad("--headroom", "'%s' is not a percentage (0..1000)", optarg);
				goto out;
			}
			headroom = v / 100;
			break;
		}
		case O_DYNAMIC:
			rc = bad("--dynamic", "'%s': libswiotlb has no dynamic (growing) pools, so a dynamic kernel "
					      "cannot be replayed; replay a static size instead",
				 optarg);
			goto out;
		case O_PLOT:
			if (!*optarg) {
				rc = bad("--plot", "'%s' is not a file name", optarg);
				goto out;
			}
			plot = optarg;
			break;
		case O_PLOT_FORMAT:
			if (!strcmp(optarg, "svg"))
				plot_format = TRACE_PLOT_SVG;
			else if (!strcmp(optarg, "png"))
				plot_format = TRACE_PLOT_PNG;
			else {
				rc = bad("--plot-format", "'%s' is not svg or png", optarg);
				goto out;
			}
			break;
		case O_LIVE:
			live = true;
			lo.dir = optarg && *optarg ? optarg : NULL;
			break;
		case O_INTERVAL:
		case O_DURATION: {
			const char *name = ch == O_INTERVAL ? "--interval" : "--duration";
			char *end;
			double v = strtod(optarg, &end);
			if (end == optarg || *end || !(v >= 0.001 && v <= 86400 * 365)) {
				rc = bad(name, "'%s' is not a number of seconds (0.001 or more)", optarg);
				goto out;
			}
			if (ch == O_INTERVAL)
				lo.interval = v;
			else
				lo.duration = v;
			live_opt = live_opt ? live_opt : name;
			break;
		}
		case O_COUNT: {
			uint64_t v;
			if (!parse_u64(optarg, &v) || !v) {
				rc = bad("--count", "'%s' is not a number of samples (1 or more)", optarg);
				goto out;
			}
			lo.count = v;
			live_opt = live_opt ? live_opt : "--count";
			break;
		}
		case O_OUTPUT:
			if (!*optarg) {
				rc = bad("--output", "'%s' is not a file name", optarg);
				goto out;
			}
			lo.output = optarg;
			live_opt = live_opt ? live_opt : "--output";
			break;
		case 'h':
			usage(stdout);
			goto out;
		case ':':
			fprintf(stderr, "swiotlb trace: %s: needs a value\n", gargv[optind - 1]);
			rc = 2;
			goto out;
		default:
			if (optopt)
				fprintf(stderr, "swiotlb trace: -%c: unknown option\n", optopt);
			else
				fprintf(stderr, "swiotlb trace: %s: unknown option\n", gargv[optind - 1]);
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	int npaths = gargc - optind;
	char **paths = gargv + optind;
	if (live_opt && !live) {
		rc = bad(live_opt, "goes with --live%s", "");
		goto out;
	}
	if (live) {
		if (strcmp(command, "explain")) {
			rc = bad("--live", "samples a running kernel: it goes with no %s", command);
			goto out;
		}
		if (npaths > 1 || (npaths == 1 && lo.dir)) {
			rc = bad("--live", "takes one directory (given '%s' too)", paths[npaths - 1]);
			goto out;
		}
		if (npaths == 1)
			lo.dir = paths[0];
		if (plot_format >= 0 && !plot) {
			rc = bad("--plot-format", "'%s' needs --plot FILE", plot_format ? "png" : "svg");
			goto out;
		}
		if (plot && plot_format < 0) {
			size_t n = strlen(plot);
			plot_format = n > 4 && !strcasecmp(plot + n - 4, ".png") ? TRACE_PLOT_PNG : TRACE_PLOT_SVG;
		}
		char *name = (char *)(lo.output ? lo.output : "(stdout)");
		m.files = &name;
		m.nfiles = 1;
		rc = trace_live(&lo, &m);
		if (rc)
			goto out;
		trace_model_finish(&m);
		/* the report follows the samples only when they went to a file */
		if (lo.output) {
			if (json)
				trace_report_json(stdout, &m, command, NULL, NULL);
			else
				trace_report_text(stdout, &m);
		}
		if (plot) {
			fflush(stdout);
			rc = trace_plot(&m, plot, plot_format);
		}
		goto out;
	}
	if (npaths <= 0) {
		fprintf(stderr, "swiotlb trace: no input file (give FILE..., or - for stdin)\n");
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (plot_format >= 0 && !plot) {
		rc = bad("--plot-format", "'%s' needs --plot FILE", plot_format ? "png" : "svg");
		goto out;
	}
	if (plot && plot_format < 0) {
		size_t n = strlen(plot);
		plot_format = n > 4 && !strcasecmp(plot + n - 4, ".png") ? TRACE_PLOT_PNG : TRACE_PLOT_SVG;
	}
	if (ro.dialect && !ro.cmdline) {
		rc = bad("--dialect", "'%s' needs --cmdline", ro.dialect);
		goto out;
	}
	bool replaying = strcmp(command, "explain") != 0;
	int nstdin = 0;
	for (int i = 0; i < npaths; i++)
		nstdin += !strcmp(paths[i], "-");
	if (nstdin > 1) {
		fprintf(stderr, "swiotlb trace: '-' (stdin) given more than once\n");
		rc = 2;
		goto out;
	}
	char **use = paths;
	char **copy = NULL;
	if (replaying && nstdin) {
		copy = malloc((size_t)npaths * sizeof(*copy));
		if (!copy) {
			rc = 2;
			goto out;
		}
		for (int i = 0; i < npaths; i++) {
			copy[i] = paths[i];
			if (!strcmp(paths[i], "-") && spool_stdin(&copy[i])) {
				fprintf(stderr, "swiotlb trace: -: cannot copy stdin for the replay: %s\n", strerror(errno));
				rc = 2;
				free(copy);
				goto out;
			}
		}
		use = copy;
	}
	m.files = paths;
	m.nfiles = (uint32_t)npaths;
	rc = trace_run_pass(&m, use, npaths);
	if (rc)
		goto done;
	trace_model_finish(&m);
	if (!m.cmdline[0] && ro.cmdline)
		snprintf(m.cmdline, sizeof(m.cmdline), "%s", ro.cmdline);

	struct trace_replay_result res;
	struct trace_advice adv;
	bool have_res = false, have_adv = false;
	if (!strcmp(command, "replay")) {
		struct trace_replay_opts o = ro;
		if (!o.cmdline && m.cmdline[0])
			o.cmdline = m.cmdline;
		trace_replay(&m, use, npaths, &o, &res);
		have_res = true;
		if (!res.ok) {
			fprintf(stderr, "swiotlb trace replay: %s\n", res.error);
			rc = 2;
		} else if (res.failures) {
			rc = 1;
		}
	} else if (!strcmp(command, "advise")) {
		if (trace_advise(&m, use, npaths, &ro, headroom, &adv)) {
			fprintf(stderr, "swiotlb trace advise: %s\n", adv.why);
			rc = 2;
		}
		have_adv = true;
	}
	if (json) {
		trace_report_json(stdout, &m, command, have_res ? &res : NULL, have_adv ? &adv : NULL);
	} else {
		trace_report_text(stdout, &m);
		if (have_res)
			trace_report_replay_text(stdout, &m, &res);
		if (have_adv)
			trace_report_advice_text(stdout, &m, &adv);
	}
	if (plot) {
		fflush(stdout);
		int prc = trace_plot(&m, plot, plot_format);
		if (prc > rc)
			rc = prc;
	}
done:
	free(copy);
out:
	trace_model_free(&m);
	return rc;
}
