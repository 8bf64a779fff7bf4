/* SPDX-License-Identifier: MIT */
/*
 * `swiotlb trace --live [DIR]`: sample a running kernel's swiotlb debugfs
 * directory (default /sys/kernel/debug/swiotlb, with its per-pool
 * subdirectories) every --interval seconds, until --count samples,
 * --duration seconds or SIGINT.
 *
 * The samples are written in the debugfs-snapshot format the reader
 * already takes (docs/trace.md, "debugfs snapshots"): a time stamp in
 * epoch seconds, then one "swiotlb/[POOL/]io_tlb_NAME:VALUE" line per
 * counter, as `grep .` prints them, so a file of samples is input to every
 * other `swiotlb trace` command.  Each line written is also fed to the
 * model here, so the report and the plot at the end need no second read.
 * On a terminal a status line shows the progress and the current reading.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

#define LIVE_MAX_FILES 64

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

struct counter {
	char path[300];  /* under the directory: "io_tlb_used", "NODE/io_tlb_used" */
	char pool[64];   /* "" for the directory's own files */
	char name[64];
};

struct live {
	const struct trace_live_opts *o;
	FILE *out;
	struct counter c[LIVE_MAX_FILES];
	unsigned n;
	struct tev_parser ps;
	struct trace_model *m;
	double last_ts;
	bool any_ts;
	/* the current reading, for the status line */
	uint64_t val[LIVE_MAX_FILES];
	bool ok[LIVE_MAX_FILES];
};

static bool is_counter(const char *name)
{
	return !strncmp(name, "io_tlb_", 7);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->path, ((const struct counter *)b)->path);
}

/* debugfs is mounted at /sys/kernel/debug (per /proc/mounts)? */
static bool debugfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	if (!f)
		return false;
	char line[512];
	bool yes = false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " /sys/kernel/debug debugfs "))
			yes = true;
	fclose(f);
	return yes;
}

static const char mount_hint[] =
	"mount debugfs with 'mount -t debugfs none /sys/kernel/debug' (as root); the swiotlb directory also "
	"needs a kernel built with CONFIG_DEBUG_FS that has a bounce buffer";

/* The counters of DIR and of its subdirectories (one level: the
 * restricted and per-node pools).  0, or 2 with a message. */
static int scan(struct live *l, const char *dir)
{
	struct stat st;
	if (stat(dir, &st)) {
		int e = errno;
		if (e == ENOENT)
			fprintf(stderr, "swiotlb trace: --live: %s does not exist%s; %s.\n", dir,
				!strncmp(dir, "/sys/kernel/debug/", 18) && !debugfs_mounted()
					? ": debugfs is not mounted on /sys/kernel/debug"
					: "",
				mount_hint);
		else
			fprintf(stderr, "swiotlb trace: --live: %s: %s%s; %s.\n", dir, strerror(e),
				e == EACCES ? " (debugfs is readable by root only)" : "", mount_hint);
		return 2;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "swiotlb trace: --live: %s is not a directory: give the swiotlb directory of debugfs "
				"(default /sys/kernel/debug/swiotlb)\n", dir);
		return 2;
	}
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		fprintf(stderr, "swiotlb trace: --live: %s: %s%s; %s.\n", dir, strerror(e),
			e == EACCES ? " (debugfs is readable by root only: run as root)" : "", mount_hint);
		return 2;
	}
	struct dirent *de;
	while ((de = readdir(d)) && l->n < LIVE_MAX_FILES) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 64)
			continue;
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st))
			continue;
		if (S_ISREG(st.st_mode) && is_counter(de->d_name)) {
			struct counter *c = &l->c[l->n++];
			/* names were checked shorter than 64 */
			snprintf(c->path, sizeof(c->path), "%.63s", de->d_name);
			snprintf(c->name, sizeof(c->name), "%.63s", de->d_name);
			c->pool[0] = '\0';
		} else if (S_ISDIR(st.st_mode)) {
			DIR *sd = opendir(p);
			if (!sd)
				continue;
			struct dirent *se;
			while ((se = readdir(sd)) && l->n < LIVE_MAX_FILES) {
				if (!is_counter(se->d_name) || strlen(se->d_name) >= 64)
					continue;
				struct counter *c = &l->c[l->n++];
				snprintf(c->path, sizeof(c->path), "%.63s/%.63s", de->d_name, se->d_name);
				snprintf(c->name, sizeof(c->name), "%.63s", se->d_name);
				snprintf(c->pool, sizeof(c->pool), "%.63s", de->d_name);
			}
			closedir(sd);
		}
	}
	closedir(d);
	if (!l->n) {
		fprintf(stderr, "swiotlb trace: --live: no io_tlb_* files in %s: is it the swiotlb directory of debugfs "
				"(default /sys/kernel/debug/swiotlb)?\n", dir);
		return 2;
	}
	qsort(l->c, l->n, sizeof(l->c[0]), by_path);
	return 0;
}

/* One counter's value: the file holds a decimal number and a newline. */
static bool read_value(const char *dir, const struct counter *c, uint64_t *v)
{
	char p[600], buf[64];
	snprintf(p, sizeof(p), "%s/%s", dir, c->path);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (errno || end == buf || buf[0] == '-')
		return false;
	while (*end == '\n' || *end == ' ')
		end++;
	if (*end)
		return false;
	*v = x;
	return true;
}

/* Write one line and feed it to the model, as the reader would. */
static void emit(struct live *l, const char *line)
{
	fprintf(l->out, "%s\n", line);
	struct trace_model *m = l->m;
	m->lines++;
	struct tev ev;
	int k = tev_parse(&l->ps, line, strlen(line), &ev);
	if (k == TEV_HEADER) {
		m->headers++;
		return;
	}
	if (k == TEV_UNKNOWN || ev.malformed) {
		m->skipped++;
		return;
	}
	if (ev.has_ts) {
		l->last_ts = ev.ts;
		l->any_ts = true;
	} else if (l->any_ts) {
		ev.ts = l->last_ts;
		ev.has_ts = true;
	}
	trace_model_feed(m, 0, m->lines, &ev);
}

static double realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample(struct live *l, const char *dir)
{
	char line[400];
	snprintf(line, sizeof(line), "%.3f", realtime());
	emit(l, line);
	for (unsigned i = 0; i < l->n; i++) {
		/* a file gone since the scan (a pool removed) is left out of this sample */
		l->ok[i] = read_value(dir, &l->c[i], &l->val[i]);
		if (!l->ok[i])
			continue;
		snprintf(line, sizeof(line), "swiotlb/%s:%" PRIu64, l->c[i].path, l->val[i]);
		emit(l, line);
	}
	fflush(l->out);
}

/* "default: used 120 of 32768 (hiwater 400)  NODE: used 3 of 1024" */
static void status(const struct live *l, uint64_t k, double elapsed)
{
	char buf[512];
	int off = snprintf(buf, sizeof(buf), "\r  sample %" PRIu64, k);
	if (l->o->count)
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "/%" PRIu64, l->o->count);
	off += snprintf(buf + off, sizeof(buf) - (size_t)off, ", %.1f s:", elapsed);
	for (unsigned i = 0; i < l->n && off < (int)sizeof(buf) - 80; i++) {
		if (strcmp(l->c[i].name, "io_tlb_used") || !l->ok[i])
			continue;
		const char *pool = l->c[i].pool[0] ? l->c[i].pool : "default";
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "  %s used %" PRIu64, pool, l->val[i]);
		for (unsigned j = 0; j < l->n; j++)
			if (l->ok[j] && !strcmp(l->c[j].pool, l->c[i].pool) && !strcmp(l->c[j].name, "io_tlb_nslabs"))
				off += snprintf(buf + off, sizeof(buf) - (size_t)off, " of %" PRIu64, l->val[j]);
		for (unsigned j = 0; j < l->n; j++)
			if (l->ok[j] && !strcmp(l->c[j].pool, l->c[i].pool) && !strcmp(l->c[j].name, "io_tlb_used_hiwater"))
				off += snprintf(buf + off, sizeof(buf) - (size_t)off, " (hiwater %" PRIu64 ")", l->val[j]);
	}
	fprintf(stderr, "%s\033[K", buf);
	fflush(stderr);
}

int trace_live(const struct trace_live_opts *o, struct trace_model *m)
{
	static struct live l;
	memset(&l, 0, sizeof(l));
	l.o = o;
	l.m = m;
	const char *dir = o->dir ? o->dir : "/sys/kernel/debug/swiotlb";
	int rc = scan(&l, dir);
	if (rc)
		return rc;
	if (o->output) {
		l.out = fopen(o->output, "w");
		if (!l.out) {
			fprintf(stderr, "swiotlb trace: --output: %s: %s\n", o->output, strerror(errno));
			return 2;
		}
	} else {
		l.out = stdout;
	}
	tev_parser_init(&l.ps);
	/* the samples on a terminal would be overwritten by the status line */
	bool tty = isatty(STDERR_FILENO) && !(l.out == stdout && isatty(STDOUT_FILENO));

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	struct sigaction old_int, old_term;
	sigaction(SIGINT, &sa, &old_int); /* no SA_RESTART: the sleep ends at once */
	sigaction(SIGTERM, &sa, &old_term);
	stop_sig = 0;

	char head[700];
	snprintf(head, sizeof(head), "# swiotlb trace --live %s: a sample every %g s (epoch seconds, then grep . of the counters)",
		 dir, o->interval);
	emit(&l, head);
	double start = monotonic();
	uint64_t k = 0;
	while (!stop_sig) {
		sample(&l, dir); /* a signal now still lets the sample finish */
		k++;
		double now = monotonic();
		if (tty)
			status(&l, k, now - start);
		if (o->count && k >= o->count)
			break;
		/* the next sample on the interval's grid, so that slow reads do not drift it */
		double next = start + (double)k * o->interval;
		if (o->duration > 0 && next - start > o->duration + 1e-9)
			break;
		while (!stop_sig && (now = monotonic()) < next) {
			double left = next - now;
			struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (tty)
		fprintf(stderr, "\r\033[K");
	int werr = ferror(l.out);
	if (l.out != stdout) {
		if (fclose(l.out))
			werr = 1;
	} else if (fflush(stdout)) {
		werr = 1;
	}
	tev_parser_free(&l.ps);
	fprintf(stderr, "swiotlb trace: --live: %" PRIu64 " sample%s of %s in %.1f s%s%s%s\n", k, k == 1 ? "" : "s",
		dir, monotonic() - start, o->output ? " written to " : "", o->output ? o->output : "",
		stop_sig == SIGINT ? " (stopped by SIGINT)" : stop_sig == SIGTERM ? " (stopped by SIGTERM)" : "");
	if (werr) {
		fprintf(stderr, "swiotlb trace: --live: writing %s failed\n", o->output ? o->output : "stdout");
		return 2;
	}
	return 0;
}
