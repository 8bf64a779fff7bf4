/* SPDX-License-Identifier: MIT */
/*
 * `swiotlb trace --plot FILE`: slots in use over time per pool, with the
 * pool sizes and the failures marked, drawn by gnuplot (SVG or PNG).
 *
 * The picture comes from what the reconstruction kept (struct
 * trace_series: the largest value per time bucket), so it costs nothing
 * while reading.  gnuplot is a run-time dependency only: the script, with
 * its data inline, is written to a temporary file and gnuplot is started
 * on it; without gnuplot the script is kept next to the plot so that it
 * can be drawn elsewhere, and the message says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"

extern char **environ;

/* Is there an executable `name` on PATH?  (Checked first, so that a
 * missing gnuplot gets its own message rather than a failed spawn.) */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		return false;
	char buf[4096];
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n && n + strlen(name) + 2 <= sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = '/';
			strcpy(buf + n + 1, name);
			struct stat st;
			if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
				return true;
		}
		path += n + (path[n] == ':');
	}
	return false;
}

/* A gnuplot single-quoted string: '' stands for one quote. */
static void gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* The occupancy a series holds at time t: buckets without an event keep
 * the value of the last one before them (nothing changed in between). */
static bool series_at(const struct trace_series *s, double t, uint64_t *v)
{
	if (!s->started || !s->n)
		return false;
	double rel = (t - s->t0) / s->width;
	uint32_t i = rel <= 0 ? 0 : rel >= s->n ? s->n - 1 : (uint32_t)rel;
	for (;; i--) {
		if (s->set[i]) {
			*v = s->max[i];
			return true;
		}
		if (!i)
			return false;
	}
}

static uint64_t pool_size(const struct trace_pool *p)
{
	if (p->known && p->end > p->start)
		return (p->end - p->start) >> 11;
	return p->dbg ? p->dbg_nslabs : 0;
}

static bool plottable(const struct trace_pool *p)
{
	return p->series.started && p->series.n;
}

int trace_plot(const struct trace_model *m, const char *path, int format)
{
	/* the time span of what is drawn */
	bool any = false;
	double t_lo = 0, t_hi = 0;
	uint64_t y_max = 0;
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_series *s = &m->pools[i].series;
		if (!plottable(&m->pools[i]))
			continue;
		double a = s->t0, b = s->t0 + s->n * s->width;
		if (!any || a < t_lo)
			t_lo = a;
		if (!any || b > t_hi)
			t_hi = b;
		any = true;
		for (uint32_t k = 0; k < s->n; k++)
			if (s->set[k] && s->max[k] > y_max)
				y_max = s->max[k];
	}
	uint64_t nfail_ts = 0;
	for (size_t k = 0; k < m->nfails; k++) {
		const struct trace_failure *fl = &m->fails[k];
		if (!fl->has_ts)
			continue;
		nfail_ts++;
		if (!any || fl->ts < t_lo)
			t_lo = fl->ts;
		if (!any || fl->ts > t_hi)
			t_hi = fl->ts;
		any = true;
		if (fl->has_used && fl->used > y_max)
			y_max = fl->used;
	}
	if (!any) {
		fprintf(stderr, "swiotlb trace: --plot: nothing to plot: no occupancy over time (it needs dma: map/unmap "
				"events or time-stamped debugfs snapshots) and no time-stamped failure\n");
		return 2;
	}
	if (t_hi <= t_lo)
		t_hi = t_lo + 1e-3;
	/* the axis counts from the first event: trace clocks are seconds since
	 * boot (long numbers differing in the last digits), debugfs snapshots
	 * carry dates */
	bool epoch = t_lo > 1e8;
	double x0 = t_lo;

	char gp[4200];
	bool have = on_path("gnuplot");
	FILE *f;
	char tmpl[] = "/tmp/swiotlb-plot-XXXXXX";
	if (have) {
		int fd = mkstemp(tmpl);
		f = fd < 0 ? NULL : fdopen(fd, "w");
		snprintf(gp, sizeof(gp), "%s", tmpl);
	} else {
		snprintf(gp, sizeof(gp), "%s.gp", path);
		f = fopen(gp, "w");
	}
	if (!f) {
		fprintf(stderr, "swiotlb trace: --plot: %s: %s\n", gp, strerror(errno));
		return 2;
	}

	fprintf(f, "# swiotlb trace: slots in use over time per pool (docs/trace.md)\n");
	if (format == TRACE_PLOT_PNG)
		fprintf(f, "set terminal pngcairo size 1000,560 font 'sans,10'\n");
	else
		fprintf(f, "set terminal svg size 1000,560 font 'sans,11' background rgb 'white'\n");
	fprintf(f, "set output ");
	gp_string(f, path);
	fprintf(f, "\nset title ");
	char title[600];
	int off = snprintf(title, sizeof(title), "swiotlb slots in use per pool:");
	for (uint32_t i = 0; i < m->nfiles && off < (int)sizeof(title) - 1; i++)
		off += snprintf(title + off, sizeof(title) - (size_t)off, " %s", m->files[i]);
	gp_string(f, title);
	fprintf(f, " noenhanced\n");
	if (epoch) {
		char when[64];
		time_t t = (time_t)x0;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(f, "set xlabel 'seconds from %s'\n", when);
	} else {
		fprintf(f, "set xlabel 'seconds from %.6f s (the trace clock)'\n", x0);
	}
	fprintf(f, "set ylabel 'slots in use (2 KiB each)'\n"
		   "set key outside below noenhanced\n"
		   "set grid\n"
		   "set format x '%%g'\n");

	/* pool sizes far above the load would flatten it: those are named in
	 * the key instead of drawn */
	uint64_t top = y_max ? y_max : 1;
	for (uint32_t i = 0; i < m->npools; i++) {
		uint64_t sz = pool_size(&m->pools[i]);
		if (plottable(&m->pools[i]) && sz && sz <= 4 * (y_max ? y_max : 1) && sz > top)
			top = sz;
	}
	fprintf(f, "set xrange [%.9g:%.9g]\nset yrange [0:%" PRIu64 "]\n", t_lo - x0, t_hi - x0,
		top + top / 10 + 1);

	/* the data: a step per bucket, filled forward */
	int nplots = 0;
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_pool *p = &m->pools[i];
		if (!plottable(p))
			continue;
		const struct trace_series *s = &p->series;
		fprintf(f, "$pool%u << EOD\n", i);
		bool have_prev = false;
		uint64_t prev = 0;
		for (uint32_t k = 0; k < s->n; k++) {
			/* a step per bucket (a gap is no change), or the readings */
			if (!s->set[k] && (!have_prev || !p->has_peak))
				continue;
			uint64_t v = s->set[k] ? s->max[k] : prev;
			fprintf(f, "%.9g %" PRIu64 "\n", s->t0 + k * s->width - x0, v);
			prev = v;
			have_prev = true;
		}
		if (p->has_peak)
			fprintf(f, "%.9g %" PRIu64 "\n", s->t0 + s->n * s->width - x0, prev);
		fprintf(f, "EOD\n");
		nplots++;
	}
	/* maps traced as failed (the pool was full, or another DMA error) */
	uint64_t nfailed_maps = 0;
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_series *s = &m->pools[i].series;
		if (!plottable(&m->pools[i]))
			continue;
		for (uint32_t k = 0; k < s->n; k++) {
			if (!s->failed_maps[k])
				continue;
			if (!nfailed_maps)
				fprintf(f, "$failed_maps << EOD\n");
			nfailed_maps += s->failed_maps[k];
			fprintf(f, "%.9g %" PRIu64 "\n", s->t0 + (k + 0.5) * s->width - x0, s->max[k]);
		}
	}
	if (nfailed_maps)
		fprintf(f, "EOD\n");
	if (nfail_ts) {
		fprintf(f, "$failures << EOD\n");
		for (size_t k = 0; k < m->nfails; k++) {
			const struct trace_failure *fl = &m->fails[k];
			if (!fl->has_ts)
				continue;
			uint64_t y = 0;
			if (fl->has_used)
				y = fl->used;
			else if (m->npools)
				series_at(&m->pools[0].series, fl->ts, &y);
			fprintf(f, "%.9g %" PRIu64 "\n", fl->ts - x0, y);
		}
		fprintf(f, "EOD\n");
	}

	fprintf(f, "plot ");
	const char *sep = "";
	for (uint32_t i = 0; i < m->npools; i++) {
		const struct trace_pool *p = &m->pools[i];
		if (!plottable(p))
			continue;
		uint64_t sz = pool_size(p);
		char key[160];
		uint64_t peak = p->has_peak ? p->peak_slots : p->dbg_used_max;
		if (sz && sz <= 4 * (y_max ? y_max : 1))
			snprintf(key, sizeof(key), "pool %s: slots in use (peak %" PRIu64 ")", p->name, peak);
		else if (sz)
			snprintf(key, sizeof(key), "pool %s: slots in use (peak %" PRIu64 " of %" PRIu64 " slots, %.1f %%)",
				 p->name, peak, sz, 100.0 * (double)peak / (double)sz);
		else
			snprintf(key, sizeof(key), "pool %s: slots in use (peak %" PRIu64 ", size unknown)", p->name, peak);
		/* map/unmap events change the count where drawn; debugfs samples are
		 * readings, shown as such */
		fprintf(f, "%s$pool%u using 1:2 with %s lw 2 lc %u title ", sep, i,
			p->has_peak ? "steps" : "linespoints pt 7 ps 0.7", i + 1);
		gp_string(f, key);
		sep = ", \\\n     ";
		if (sz && sz <= 4 * (y_max ? y_max : 1)) {
			snprintf(key, sizeof(key), "pool %s: size %" PRIu64 " slots", p->name, sz);
			fprintf(f, "%s%" PRIu64 " with lines dt 2 lw 1.5 lc %u title ", sep, sz, i + 1);
			gp_string(f, key);
		}
	}
	if (nfailed_maps) {
		char key[96];
		snprintf(key, sizeof(key), "failed maps (%" PRIu64 ")", nfailed_maps);
		fprintf(f, "%s$failed_maps using 1:2 with points pt 2 ps 0.9 lc rgb '#e07000' title ", sep);
		gp_string(f, key);
		sep = ", \\\n     ";
	}
	if (nfail_ts) {
		char key[96];
		snprintf(key, sizeof(key), "failures (%" PRIu64 ")", nfail_ts);
		fprintf(f, "%s$failures using 1:2 with points pt 7 ps 1.3 lc rgb '#d00000' title ", sep);
		gp_string(f, key);
	}
	fprintf(f, "\n");
	if (fclose(f)) {
		fprintf(stderr, "swiotlb trace: --plot: %s: %s\n", gp, strerror(errno));
		if (have)
			unlink(gp);
		return 2;
	}
	(void)nplots;
	if (!have) {
		fprintf(stderr,
			"swiotlb trace: --plot: gnuplot is not installed, so %s was not drawn (Debian/Ubuntu: "
			"apt-get install gnuplot-nox).  Its gnuplot script, data included, is in %s: run "
			"'gnuplot %s' where gnuplot is installed.\n",
			path, gp, gp);
		return 2;
	}
	pid_t pid;
	char *argv[] = {(char *)"gnuplot", gp, NULL};
	int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	int status = 0;
	if (rc == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	unlink(gp);
	if (rc) {
		fprintf(stderr, "swiotlb trace: --plot: cannot start gnuplot: %s\n", strerror(rc));
		return 2;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "swiotlb trace: --plot: gnuplot failed drawing %s (see its message above)\n", path);
		return 2;
	}
	return 0;
}
