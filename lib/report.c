/* report.c - metrics.tsv, gnuplot plots and report.html for prediction runs. */
#define _GNU_SOURCE
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpz.h"
#include "metrics.h"
#include "predictions.h"

#define N_SPLIT_ROWS (PERT_N_SPLITS + 1)	/* train, val, test, all */
static const char *const split_row_names[N_SPLIT_ROWS] = { "train", "val", "test", "all" };

typedef struct {
	double *truth, *pred, *sd;	/* sd: an ensemble's spread, NaN without */
	int8_t *split;
	size_t n, cap;
	int has_sd;
} series2;

typedef struct {
	char name[96];
	char model[64];
	char input[512];
	int n_outputs;
	int label[PERT_N_LABELS];
	series2 s[PERT_N_LABELS];
	int has_split;
} run;

typedef struct {
	char name[96];
	size_t epochs;
	double *epoch, *train_loss, *val_loss, *val_pearson;
	char label[64];
} curve;

static int push(series2 *s, double t, double p, double sd, int8_t split, cp_error *err)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		void *a = cp_realloc(s->truth, cap, sizeof *s->truth, err);

		if (!a)
			return -1;
		s->truth = a;
		if (!(a = cp_realloc(s->pred, cap, sizeof *s->pred, err)))
			return -1;
		s->pred = a;
		if (!(a = cp_realloc(s->sd, cap, sizeof *s->sd, err)))
			return -1;
		s->sd = a;
		if (!(a = cp_realloc(s->split, cap, sizeof *s->split, err)))
			return -1;
		s->split = a;
		s->cap = cap;
	}
	s->truth[s->n] = t;
	s->pred[s->n] = p;
	s->sd[s->n] = sd;
	s->split[s->n++] = split;
	return 0;
}

/* name (room for 96 bytes) made unlike the n names before it (each at
 * stride bytes from first): its first 70 bytes and "-K", K its place
 * (1-based), then "-K-A" for attempts A = 1, 2, ... (a name taken that
 * way too), so each try is new and the loop ends */
static void unique_name(char *name, size_t place, const char *first, size_t stride, size_t n)
{
	char base[72];

	snprintf(base, sizeof base, "%.70s", name);
	for (unsigned attempt = 0;; attempt++) {
		size_t j = 0;

		while (j < n && strcmp(first + j * stride, name) != 0)
			j++;
		if (j == n)
			return;
		if (attempt == 0)
			snprintf(name, 96, "%s-%u", base, (unsigned)(place + 1) % 100000u);
		else
			snprintf(name, 96, "%s-%u-%u", base, (unsigned)(place + 1) % 100000u, attempt);
	}
}

static void base_name(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	size_t len;

	b = b ? b + 1 : path;
	len = strlen(b);
	if (len > 4 && strcmp(b + len - 4, ".cpz") == 0)
		len -= 4;
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = '\0';
	for (char *p = out; *p; p++)	/* names become file names */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
}

/* src into dst of n bytes as one line of a table: a control character a
 * space (a tab or a line break would split metrics.tsv's row), and cut, if
 * it must be, before a UTF-8 sequence that would not fit whole. */
static void text_copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;	/* src[len], where the cut falls, starts no sequence */
	}
	for (size_t i = 0; i < len; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
	dst[len] = '\0';
}

static int load_run(const char *path, run *r, cp_error *err)
{
	pred_reader *pr = pred_reader_open(path, err);
	const pred_meta *m;
	pred_chunk c;
	int rc;

	if (!pr)
		return -1;
	m = pred_reader_meta(pr);
	text_copy(r->model, sizeof r->model, m->model);
	text_copy(r->input, sizeof r->input, m->input);
	r->n_outputs = m->n_outputs;
	memcpy(r->label, m->label, sizeof r->label);
	while ((rc = pred_reader_next(pr, &c, err)) == 1)
		for (size_t i = 0; i < c.n; i++) {
			if (c.split[i] >= 0)
				r->has_split = 1;
			for (int k = 0; k < r->n_outputs; k++)
				if ((r->s[k].has_sd |= c.pred_sd != NULL,
				     push(&r->s[k], c.label[i * PERT_N_LABELS + (size_t)r->label[k]],
					  c.pred[i * (size_t)r->n_outputs + (size_t)k],
					  c.pred_sd ? c.pred_sd[i * (size_t)r->n_outputs + (size_t)k] : NAN,
					  c.split[i], err) < 0)) {
					pred_reader_close(pr);
					return -1;
				}
		}
	pred_reader_close(pr);
	if (rc == 0 && r->s[0].n == 0)	/* predict writes none such: a damaged stream */
		rc = cp_error_set(err, "%s: no predictions in the stream", path);
	return rc < 0 ? -1 : 0;
}

static void free_run(run *r)
{
	for (int k = 0; k < PERT_N_LABELS; k++)
		free(r->s[k].truth), free(r->s[k].pred), free(r->s[k].sd), free(r->s[k].split);
}

/* 1: a curve read; 0: a baseline's model, which has none. */
static int load_curve(const char *path, curve *cv, cp_error *err)
{
	cpz_reader *r = cpz_reader_open(path, err);
	cpz_record rec;
	int rc, found = 0, baseline = 0;

	if (!r)
		return -1;
	static const char *const wanted[] = { "history", NULL };

	cpz_record_init(&rec);
	if (cpz_reader_expect_kind(r, "model", err) < 0)
		goto fail;
	/* the parameters, many times the history's size, are not held */
	cpz_reader_only(r, wanted);
	base_name(path, cv->name, sizeof cv->name);
	while ((rc = cpz_reader_next(r, &rec, err)) == 1) {
		const char *fields[3] = { "epoch", "train_loss", "val_loss" };
		double **dst[3] = { &cv->epoch, &cv->train_loss, &cv->val_loss };
		const cpz_tensor *t;

		if (strcmp(rec.type, "baseline") == 0)
			baseline = 1;
		if (strcmp(rec.type, "history") != 0)
			continue;
		if (found) {
			cpz_record_error(&rec, NULL, err, "a second model's history (concatenated streams?)");
			goto fail;
		}
		found = 1;
		for (int i = 0; i < 3; i++) {
			t = cpz_record_tensor(&rec, fields[i], CPZ_F64, 1, err);
			if (!t)
				goto fail;
			if (i == 0)
				cv->epochs = (size_t)t->shape[0];
			else if ((size_t)t->shape[0] != cv->epochs) {
				cpz_record_error(&rec, fields[i], err, "length differs from epoch's");
				goto fail;
			}
			*dst[i] = cp_malloc(cv->epochs ? cv->epochs : 1, sizeof **dst[i], err);
			if (!*dst[i])
				goto fail;
			memcpy(*dst[i], t->data, t->nbytes);
		}
		/* the first validation Pearson series */
		for (size_t f = 0; f < rec.nfields; f++)
			if (strncmp(rec.fields[f].name, "val_pearson.", 12) == 0 &&
			    rec.fields[f].kind == CPZ_VALUE_TENSOR && rec.fields[f].tensor.dtype == CPZ_F64 &&
			    (size_t)rec.fields[f].tensor.count == cv->epochs) {
				cv->val_pearson = cp_malloc(cv->epochs ? cv->epochs : 1, sizeof *cv->val_pearson, err);
				if (!cv->val_pearson)
					goto fail;
				memcpy(cv->val_pearson, rec.fields[f].tensor.data, rec.fields[f].tensor.nbytes);
				snprintf(cv->label, sizeof cv->label, "%s", rec.fields[f].name + 12);
				break;
			}
	}
	if (rc < 0)
		goto fail;
	if (!found && !baseline) {
		cp_error_set(err, "%s: no training history", path);
		goto fail;
	}
	cpz_record_free(&rec);
	cpz_reader_close(r);
	return found;
fail:
	cpz_record_free(&rec);
	cpz_reader_close(r);
	return -1;
}

/* The values of one split row (3 = all); sd may be NULL. */
static size_t select_split(const series2 *s, int row, double *t, double *p, double *sd)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		if (row == PERT_N_SPLITS || s->split[i] == row) {
			t[k] = s->truth[i];
			if (sd)
				sd[k] = s->sd[i];
			p[k++] = s->pred[i];
		}
	return k;
}

/* An ensemble's spread against its errors, over the pairs with a label:
 * the mean spread, and the Spearman correlation of the spread with the
 * absolute error (above 0 when the members disagree more where the mean is
 * further off).  NaN without a spread. */
static int spread_metrics(const double *t, const double *p, const double *sd, size_t n,
			  double *mean, double *rho, cp_error *err)
{
	double *x = cp_malloc(n ? 2 * n : 1, sizeof *x, err), *rx = NULL, *ry = NULL, sum = 0;
	size_t m = 0;
	int rc = -1;

	*mean = *rho = NAN;
	if (!x)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isnan(t[i]) && !isnan(p[i]) && !isnan(sd[i])) {
			x[m] = sd[i];
			x[n + m++] = fabs(p[i] - t[i]);
			sum += sd[i];
		}
	if (m) {
		*mean = sum / (double)m;
		if (!(rx = cp_malloc(m, sizeof *rx, err)) || !(ry = cp_malloc(m, sizeof *ry, err)) ||
		    cp_ranks(x, m, rx, err) < 0 || cp_ranks(x + n, m, ry, err) < 0)
			goto out;
		*rho = cp_pearson(rx, ry, m);
	}
	rc = 0;
out:
	free(x), free(rx), free(ry);
	return rc;
}

/* ---- files ------------------------------------------------------------------ */

/* Files are written in the report's temporary directory (OUT.tmp.XXXXXX,
 * renamed to OUT at the end); errors name them as they will be named. */
static void shown_name(char *buf, size_t n, const char *dir, const char *name)
{
	size_t len = strlen(dir);
	static const char tmp_suffix[] = ".tmp.XXXXXX";

	if (len >= sizeof tmp_suffix - 1 && strncmp(dir + len - (sizeof tmp_suffix - 1), ".tmp.", 5) == 0)
		len -= sizeof tmp_suffix - 1;
	snprintf(buf, n, "%.*s/%s", (int)len, dir, name);
}

static FILE *open_in(const char *dir, const char *name, cp_error *err)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp) {
		shown_name(path, sizeof path, dir, name);
		cp_error_errno(err, path);
	}
	return fp;
}

static int close_file(FILE *fp, const char *dir, const char *name, cp_error *err)
{
	char path[4096];
	int failed = fflush(fp) != 0 || ferror(fp);
	int e = errno;

	if (fclose(fp) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	if (!failed)
		return 0;
	shown_name(path, sizeof path, dir, name);
	errno = e;
	return cp_error_errno(err, path);
}

static void fmt(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "NA");
	else
		snprintf(buf, n, "%.6g", v);
}

/* The page's tables show four significant digits (metrics.tsv keeps six). */
static void fmt4(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "NA");
	else
		snprintf(buf, n, "%.4g", v);
}

/* ---- gnuplot -------------------------------------------------------------------- */

/*
 * The last non-blank line gnuplot wrote to its log, which is its error, into
 * buf; the log goes with the report's temporary directory, so a failure must
 * carry the reason itself.
 */
static void gnuplot_reason(const char *log, char *buf, size_t n)
{
	char line[512];
	FILE *fp = fopen(log, "r");

	snprintf(buf, n, "no message");
	if (!fp)
		return;
	while (fgets(line, sizeof line, fp)) {
		char *s = line, *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
			*--e = '\0';
		if (*s && strcmp(s, "^") != 0)
			snprintf(buf, n, "%s", s);
	}
	fclose(fp);
}

static int gnuplot_run(const report_options *o, const char *dir, const char *script, cp_error *err)
{
	char log[4096];
	pid_t pid;
	int status;

	snprintf(log, sizeof log, "%s/data/gnuplot.log", dir);
	pid = cp_tmp_fork();
	if (pid < 0)
		return cp_error_errno(err, "fork");
	if (pid == 0) {
		FILE *fp = freopen(log, "a", stderr);

		(void)fp;
		if (chdir(dir) < 0)
			_exit(126);
		execlp(o->gnuplot, o->gnuplot, script, (char *)NULL);
		/* not found: 127; found but not run (memory, permission): 126 */
		if (errno == ENOENT)
			_exit(127);
		fprintf(stderr, "cannot start: %s\n", strerror(errno));
		_exit(126);
	}
	if (waitpid(pid, &status, 0) < 0) {
		cp_tmp_child(0);
		return cp_error_errno(err, "waitpid");
	}
	cp_tmp_child(0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char why[256];

		gnuplot_reason(log, why, sizeof why);
		/* the dynamic loader, too, exits 127, when the program's
		 * libraries do not load (under a memory limit, say) */
		if (strstr(why, "Cannot allocate memory") || strstr(why, "failed to map segment") ||
		    strstr(why, "cannot allocate memory"))
			return cp_error_set(err, "out of memory: %s could not start (%s)", o->gnuplot, why);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && strcmp(why, "no message") == 0)
			return cp_error_set(err, "cannot run %s: install gnuplot (Debian: gnuplot-nox) or "
					    "use --no-plots", o->gnuplot);
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127))
			return cp_error_set(err, "%s could not start: %s", o->gnuplot, why);
		/* a crash under an address-space limit: a failed allocation it
		 * did not check, most likely (GLib's threads, say) */
		struct rlimit rl;

		if (WIFSIGNALED(status) && getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur < ((rlim_t)1 << 30))
			return cp_error_set(err, "out of memory, most likely: %s died of %s on %s under the "
					    "address-space limit (ulimit -v %llu)", o->gnuplot,
					    strsignal(WTERMSIG(status)), script,
					    (unsigned long long)rl.rlim_cur / 1024);
		return cp_error_set(err, "%s failed on %s: %s", o->gnuplot, script, why);
	}
	return 0;
}

/* s as a gnuplot double-quoted string: '"', '\\' and '`' (which would run
 * the text between two as a command) escaped and a control character a
 * space (a line break would end the command); longer than
 * wrap characters, broken in two lines at the space that best halves it,
 * one after a ':' or before a '(' preferred.  Returns the length of the
 * longer line. */
static size_t gp_string(FILE *fp, const char *s, size_t wrap)
{
	size_t len = strlen(s), cut = len;

	if (len > wrap)
		for (size_t i = 1, best = SIZE_MAX; i + 1 < len; i++) {
			size_t worse = i > len - i - 1 ? i : len - i - 1;

			if (s[i - 1] != ':' && s[i + 1] != '(')
				worse += 16;
			if (s[i] == ' ' && worse < best)
				best = worse, cut = i;
		}
	fputc('"', fp);
	for (size_t i = 0; i < len; i++) {
		if (i == cut) {
			fputs("\\n", fp);
			continue;
		}
		if (s[i] == '"' || s[i] == '\\' || s[i] == '`')
			fputc('\\', fp);
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i], fp);
	}
	fputc('"', fp);
	return cut < len ? (cut > len - cut - 1 ? cut : len - cut - 1) : len;
}

/* Header of a plot script that draws PNG and SVG versions of one plot;
 * a title too long for the 640-pixel width takes two lines. */
static void plot_header(FILE *fp, const char *name, const char *title, const char *xlabel,
			const char *ylabel)
{
	size_t longest;

	fprintf(fp,
		"set terminal pngcairo size 640,480 font 'sans,10'\n"
		"set output 'plots/%s.png'\n"
		"set title ", name);
	longest = gp_string(fp, title, 80);
	/* a line still too long (a long run name) in a smaller font */
	if (longest > 84)
		fprintf(fp, " font \",%d\"", longest > 140 ? 6 : (int)(10 * 84 / longest));
	fputs(" noenhanced\nset xlabel ", fp);
	gp_string(fp, xlabel, SIZE_MAX);
	fputs(" noenhanced\nset ylabel ", fp);
	gp_string(fp, ylabel, SIZE_MAX);
	fputs(" noenhanced\nset grid lc rgb '#dddddd'\nset key top left noenhanced\n", fp);
}

static void plot_footer(FILE *fp, const char *name)
{
	fprintf(fp, "set terminal svg size 640,480 font 'sans,10'\nset output 'plots/%s.svg'\nreplot\n",
		name);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double f = pos - (double)i;

	if (n == 0)
		return NAN;
	return i + 1 < n ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[n - 1];
}

/* The cell of v among cells of width w from lo, values beyond the range in the edge cells. */
static int edge_cell(double v, double lo, double w, int cells)
{
	double c = floor((v - lo) / w);

	return c < 0 ? 0 : c >= cells ? cells - 1 : (int)c;
}

/* Plots of one run and label, from (t, p) pairs of n values (NaN-free). */
static int plot_run_label(const report_options *o, const char *dir, const char *stem,
			  const char *title, const char *label, double *t, double *p, size_t n,
			  size_t *plots, cp_error *err)
{
	enum { GRID = 60, BINS = 10, HIST = 50 };
	double *st = NULL, *all = NULL, lo, hi;
	size_t outside = 0;	/* experiments with a value beyond [lo, hi] */
	char name[320], file[400], script[400];
	FILE *fp;
	int rc = -1;

	if (n < 2)
		return 0;
	all = cp_malloc(2 * n, sizeof *all, err);
	st = cp_malloc(n, sizeof *st, err);
	if (!all || !st)
		goto out;
	memcpy(all, t, n * sizeof *t);
	memcpy(all + n, p, n * sizeof *p);
	cp_sort(all, 2 * n, sizeof *all, cmp_double);
	lo = quantile(all, 2 * n, 0.002);
	hi = quantile(all, 2 * n, 0.998);
	/* the scripts write the axes' range to six significant digits, and
	 * gnuplot refuses one they show empty: values all alike, or alike to
	 * six digits, get a wider one */
	if (!(hi - lo > 1e-5 * fmax(fabs(lo), fabs(hi))))
		hi = lo + fmax(1, 1e-4 * fabs(lo));
	for (size_t i = 0; i < n; i++)
		outside += t[i] < lo || t[i] > hi || p[i] < lo || p[i] > hi;

	/* 1. predicted vs true, binned counts (point density) */
	{
		unsigned *count = cp_calloc(GRID * GRID, sizeof *count, err);
		double w = (hi - lo) / GRID;
		unsigned most = 1;	/* the colour range [0.5, most]: a cell of one is never blank */

		if (!count)
			goto out;
		for (size_t i = 0; i < n; i++) {
			count[edge_cell(p[i], lo, w, GRID) * GRID + edge_cell(t[i], lo, w, GRID)]++;
		}
		snprintf(name, sizeof name, "%s.density", stem);
		snprintf(file, sizeof file, "data/%s.tsv", name);
		fp = open_in(dir, file, err);
		if (!fp) {
			free(count);
			goto out;
		}
		fprintf(fp, "# true_center\tpred_center\tcount\n");
		for (int y = 0; y < GRID; y++)
			for (int x = 0; x < GRID; x++)
				if (count[y * GRID + x]) {
					fprintf(fp, "%.6g\t%.6g\t%u\n", lo + (x + 0.5) * w, lo + (y + 0.5) * w,
						count[y * GRID + x]);
					if (count[y * GRID + x] > most)
						most = count[y * GRID + x];
				}
		free(count);
		if (close_file(fp, dir, file, err) < 0)
			goto out;
		snprintf(script, sizeof script, "data/%s.gp", name);
		fp = open_in(dir, script, err);
		if (!fp)
			goto out;
		{
			char ttl[512], xl[128], yl[128];

			if (outside)
				snprintf(ttl, sizeof ttl, "%s: predicted vs true (n = %zu, %zu beyond the "
					 "axes drawn at the edge)", title, n, outside);
			else
				snprintf(ttl, sizeof ttl, "%s: predicted vs true (n = %zu)", title, n);
			snprintf(xl, sizeof xl, "true %s", label);
			snprintf(yl, sizeof yl, "predicted %s", label);
			plot_header(fp, name, ttl, xl, yl);
		}
		fprintf(fp,
			"set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\nset size ratio -1\n"
			"set logscale cb\nset cbrange [0.5:%u]\nset cblabel 'experiments per cell'\n"
			"set palette defined (0 '#ffffcc', 1 '#a1dab4', 2 '#41b6c4', 3 '#2c7fb8', 4 '#253494')\n"
			"plot '%s' using 1:2:(%.6g):(%.6g):3 with boxxyerror fs solid 1.0 noborder lc palette "
			"notitle, x with lines lc rgb '#cc3333' dt 2 title 'y = x'\n",
			lo, hi, lo, hi, most, file, w / 2, w / 2);
		plot_footer(fp, name);
		if (close_file(fp, dir, script, err) < 0 || gnuplot_run(o, dir, script, err) < 0)
			goto out;
		(*plots)++;
	}

	/* 2. predictions binned by the true value: box plots */
	{
		size_t *idx = cp_malloc(n, sizeof *idx, err);
		double *bin = cp_malloc(n, sizeof *bin, err);

		if (!idx || !bin) {
			free(idx), free(bin);
			goto out;
		}
		memcpy(st, t, n * sizeof *t);
		cp_sort(st, n, sizeof *st, cmp_double);
		snprintf(name, sizeof name, "%s.boxes", stem);
		snprintf(file, sizeof file, "data/%s.tsv", name);
		fp = open_in(dir, file, err);
		if (!fp) {
			free(idx), free(bin);
			goto out;
		}
		fprintf(fp, "# bin\ttrue_median\tlow_whisker\tq1\tmedian\tq3\thigh_whisker\tn\n");
		for (int b = 0; b < BINS; b++) {
			double edge_lo = quantile(st, n, (double)b / BINS), edge_hi = quantile(st, n, (double)(b + 1) / BINS);
			size_t k = 0, kt = 0;
			double *tv = cp_malloc(n, sizeof *tv, err);

			if (!tv) {
				fclose(fp);
				free(idx), free(bin);
				goto out;
			}
			for (size_t i = 0; i < n; i++)
				if (t[i] >= edge_lo && (b == BINS - 1 ? t[i] <= edge_hi : t[i] < edge_hi)) {
					bin[k++] = p[i];
					tv[kt++] = t[i];
				}
			if (k >= 1) {
				double q1, med, q3, iqr, wl, wh;

				cp_sort(bin, k, sizeof *bin, cmp_double);
				cp_sort(tv, kt, sizeof *tv, cmp_double);
				q1 = quantile(bin, k, 0.25);
				med = quantile(bin, k, 0.5);
				q3 = quantile(bin, k, 0.75);
				iqr = q3 - q1;
				wl = q1, wh = q3;
				for (size_t i = 0; i < k; i++) {
					if (bin[i] >= q1 - 1.5 * iqr && bin[i] < wl)
						wl = bin[i];
					if (bin[i] <= q3 + 1.5 * iqr && bin[i] > wh)
						wh = bin[i];
				}
				fprintf(fp, "%d\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%zu\n", b + 1,
					quantile(tv, kt, 0.5), wl, q1, med, q3, wh, k);
			}
			free(tv);
		}
		free(idx), free(bin);
		if (close_file(fp, dir, file, err) < 0)
			goto out;
		snprintf(script, sizeof script, "data/%s.gp", name);
		fp = open_in(dir, script, err);
		if (!fp)
			goto out;
		{
			char ttl[512], xl[128], yl[128];

			snprintf(ttl, sizeof ttl, "%s: predictions by decile of the true value", title);
			snprintf(xl, sizeof xl, "true %s (bin median)", label);
			snprintf(yl, sizeof yl, "predicted %s", label);
			plot_header(fp, name, ttl, xl, yl);
		}
		fprintf(fp,
			"set boxwidth 0.6 relative\nset style fill solid 0.4\nset xrange [0.4:%d.6]\n"
			"plot '%s' using 1:4:3:7:6:xticlabels(sprintf('%%.2g', $2)) with candlesticks "
			"whiskerbars lc rgb '#2c7fb8' title 'quartiles and 1.5 IQR', '' using 1:5:5:5:5 with "
			"candlesticks lc rgb '#08306b' lw 2 notitle\n",
			BINS, file);
		plot_footer(fp, name);
		if (close_file(fp, dir, script, err) < 0 || gnuplot_run(o, dir, script, err) < 0)
			goto out;
		(*plots)++;
	}

	/* 3. distributions of labels and predictions */
	{
		unsigned ht[HIST] = { 0 }, hp[HIST] = { 0 };
		double w = (hi - lo) / HIST;

		for (size_t i = 0; i < n; i++) {
			ht[edge_cell(t[i], lo, w, HIST)]++;
			hp[edge_cell(p[i], lo, w, HIST)]++;
		}
		snprintf(name, sizeof name, "%s.hist", stem);
		snprintf(file, sizeof file, "data/%s.tsv", name);
		fp = open_in(dir, file, err);
		if (!fp)
			goto out;
		/* one row per bin, so that each column sums to the experiments */
		fprintf(fp, "# bin_left\tbin_right\tlabels\tpredictions\n");
		for (int b = 0; b < HIST; b++)
			fprintf(fp, "%.6g\t%.6g\t%u\t%u\n", lo + b * w, b + 1 < HIST ? lo + (b + 1) * w : hi,
				ht[b], hp[b]);
		if (close_file(fp, dir, file, err) < 0)
			goto out;
		snprintf(script, sizeof script, "data/%s.gp", name);
		fp = open_in(dir, script, err);
		if (!fp)
			goto out;
		{
			char ttl[512];

			if (outside)
				snprintf(ttl, sizeof ttl, "%s: distributions (%zu beyond the axis counted "
					 "in the end bins)", title, outside);
			else
				snprintf(ttl, sizeof ttl, "%s: distributions", title);
			plot_header(fp, name, ttl, label, "experiments");
		}
		fprintf(fp, "set key top right\nplot '%s' using (($1+$2)/2):3 with histeps lw 2 "
			"lc rgb '#555555' title 'labels', '' using (($1+$2)/2):4 with histeps lw 2 "
			"lc rgb '#2c7fb8' title 'predictions'\n", file);
		plot_footer(fp, name);
		if (close_file(fp, dir, script, err) < 0 || gnuplot_run(o, dir, script, err) < 0)
			goto out;
		(*plots)++;
	}
	rc = 0;
out:
	free(all);
	free(st);
	return rc;
}

static int plot_curve(const report_options *o, const char *dir, const curve *cv, size_t *plots,
		      cp_error *err)
{
	char name[128], file[256], script[256], ttl[256];
	FILE *fp;

	snprintf(name, sizeof name, "%s.training", cv->name);
	snprintf(file, sizeof file, "data/%s.tsv", name);
	fp = open_in(dir, file, err);
	if (!fp)
		return -1;
	fprintf(fp, "# epoch\ttrain_loss\tval_loss\tval_pearson\n");
	for (size_t e = 0; e < cv->epochs; e++) {
		char a[32], b[32], c[32];

		fmt(a, sizeof a, cv->train_loss[e]);
		fmt(b, sizeof b, cv->val_loss[e]);
		fmt(c, sizeof c, cv->val_pearson ? cv->val_pearson[e] : NAN);
		fprintf(fp, "%g\t%s\t%s\t%s\n", cv->epoch[e], a, b, c);
	}
	if (close_file(fp, dir, file, err) < 0)
		return -1;
	snprintf(script, sizeof script, "data/%s.gp", name);
	fp = open_in(dir, script, err);
	if (!fp)
		return -1;
	snprintf(ttl, sizeof ttl, "%s: training", cv->name);
	plot_header(fp, name, ttl, "epoch", "loss");
	int have_mse = 0, have_r = 0;	/* a run without validation has neither */

	for (size_t e = 0; e < cv->epochs; e++) {
		have_mse |= isfinite(cv->val_loss[e]);
		have_r |= cv->val_pearson && isfinite(cv->val_pearson[e]);
	}
	fprintf(fp, "set datafile missing 'NA'\nset key top right\n");
	if (have_r) {	/* the label as the stream names it: text to escape */
		char y2[96];

		snprintf(y2, sizeof y2, "validation Pearson %s", cv->label);
		fputs("set y2label ", fp);
		gp_string(fp, y2, SIZE_MAX);
		fputs(" noenhanced\nset y2tics\nset ytics nomirror\n", fp);
	}
	fprintf(fp, "plot '%s' using 1:2 with linespoints lw 2 lc rgb '#555555' title 'training loss'%s%s\n",
		file, have_mse ? ", '' using 1:3 with linespoints lw 2 lc rgb '#2c7fb8' title 'validation MSE'"
			       : "",
		have_r ? ", '' using 1:4 axes x1y2 with linespoints lw 2 lc rgb '#cc3333' title 'validation "
			 "Pearson'" : "");
	plot_footer(fp, name);
	if (close_file(fp, dir, script, err) < 0 || gnuplot_run(o, dir, script, err) < 0)
		return -1;
	(*plots)++;
	return 0;
}

/* ---- HTML ----------------------------------------------------------------------- */

static void html_escape(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", fp);
		else if (*s == '>')
			fputs("&gt;", fp);
		else if (*s == '&')
			fputs("&amp;", fp);
		else if (*s == '"')
			fputs("&quot;", fp);
		else
			fputc(*s, fp);
	}
}

/* An image file as a base64 data URI. */
static int html_image(FILE *out, const char *dir, const char *name, const char *alt, cp_error *err)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char path[4096];
	unsigned char buf[3 * 1024];
	FILE *in;
	size_t n;

	snprintf(path, sizeof path, "%s/plots/%s.png", dir, name);
	in = fopen(path, "rb");
	if (!in)
		return cp_error_errno(err, path);
	fputs("<figure><img alt=\"", out);
	html_escape(out, alt);
	fputs("\" src=\"data:image/png;base64,", out);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned)buf[i] << 16 | (i + 1 < n ? (unsigned)buf[i + 1] << 8 : 0) |
				     (i + 2 < n ? buf[i + 2] : 0);

			fputc(b64[v >> 18 & 63], out);
			fputc(b64[v >> 12 & 63], out);
			fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', out);
			fputc(i + 2 < n ? b64[v & 63] : '=', out);
		}
	}
	fclose(in);
	fputs("\"><figcaption><a href=\"plots/", out);
	html_escape(out, name);
	fputs(".svg\">SVG</a></figcaption></figure>\n", out);
	return 0;
}

typedef struct {
	int run, k, split;
	cp_metrics m;
	double spread, spread_rho;	/* spread_metrics; NaN without a spread */
} metric_row;

static int write_html(const report_options *o, const char *dir, run *runs, size_t nr,
		      const metric_row *rows, size_t nrows, curve *curves, size_t nc, int plots,
		      cp_error *err)
{
	FILE *fp = open_in(dir, "report.html", err);
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32];
	int spread = 0;

	if (!fp)
		return -1;
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
	html_escape(fp, o->title);
	fprintf(fp, "</title>\n<style>\n"
		"body{font-family:sans-serif;margin:2em;color:#222;background:#fff}\n"
		".wide{overflow-x:auto}table{border-collapse:collapse;margin:1em 0;font-size:90%%}"
		"th,td{border:1px solid #ccc;padding:3px 6px;"
		"text-align:right;white-space:nowrap}th{background:#eef3f8}td.l,th.l{text-align:left}\n"
		".runs{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}img{width:480px}\n"
		"h2{border-bottom:2px solid #2c7fb8;padding-bottom:3px}\n</style></head><body>\n<h1>");
	html_escape(fp, o->title);
	fprintf(fp, "</h1>\n<p>%zu run%s:", nr, nr == 1 ? "" : "s");
	for (size_t i = 0; i < nr; i++) {
		fputs(i ? ", <b>" : " <b>", fp);
		html_escape(fp, runs[i].name);
		fputs("</b> (", fp);
		html_escape(fp, runs[i].model);
		fputs(" on ", fp);
		html_escape(fp, runs[i].input);
		fputs(")", fp);
	}
	for (size_t i = 0; i < nrows; i++)
		spread |= !isnan(rows[i].spread);
	fputs(".</p>\n<h2>Metrics</h2>\n<div class=wide><table><tr><th class=l>run</th>"
	      "<th class=l>model</th><th class=l>label</th><th class=l>split</th><th>n</th><th>missing</th><th>MSE</th><th>RMSE</th><th>MAE</th><th>Pearson</th>"
	      "<th>95% CI</th><th>Spearman</th><th>R&sup2;</th>", fp);
	if (spread)	/* an ensemble's: its members' spread, and how it ranks the errors */
		fputs("<th>spread</th><th>spread&ndash;|error| Spearman</th>", fp);
	fputs("</tr>\n", fp);
	for (size_t i = 0; i < nrows; i++) {
		const metric_row *r = &rows[i];

		fmt4(a, sizeof a, r->m.mse), fmt4(b, sizeof b, r->m.rmse), fmt4(c, sizeof c, r->m.mae);
		fmt4(d, sizeof d, r->m.pearson), fmt4(e, sizeof e, r->m.pearson_lo);
		fmt4(f, sizeof f, r->m.pearson_hi), fmt4(g, sizeof g, r->m.spearman);
		fputs("<tr><td class=l>", fp);
		html_escape(fp, runs[r->run].name);
		fputs("</td><td class=l>", fp);
		html_escape(fp, runs[r->run].model);
		fprintf(fp, "</td><td class=l>%s</td><td class=l>%s</td><td>%zu</td><td>%zu</td><td>%s</td>"
			"<td>%s</td><td>%s</td><td><b>%s</b></td><td>[%s, %s]</td><td>%s</td>",
			pert_label_names[runs[r->run].label[r->k]], split_row_names[r->split], r->m.n,
			r->m.missing, a, b, c, d, e, f, g);
		fmt4(a, sizeof a, r->m.r2);
		fprintf(fp, "<td>%s</td>", a);
		if (spread) {
			fmt4(a, sizeof a, r->spread), fmt4(b, sizeof b, r->spread_rho);
			fprintf(fp, "<td>%s</td><td>%s</td>", a, b);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table></div>\n", fp);
	if (plots) {
		/* per label: each run's plots side by side */
		for (int label = 0; label < PERT_N_LABELS; label++) {
			int any = 0;

			for (size_t i = 0; i < nr; i++)
				for (int k = 0; k < runs[i].n_outputs; k++)
					if (runs[i].label[k] == label && runs[i].s[k].n >= 2)
						any = 1;
			if (!any)
				continue;
			fprintf(fp, "<h2>%s</h2>\n", pert_label_names[label]);
			for (const char *kind[] = { "density", "boxes", "hist", NULL }, **kd = kind; *kd; kd++) {
				fputs("<div class=runs>\n", fp);
				for (size_t i = 0; i < nr; i++)
					for (int k = 0; k < runs[i].n_outputs; k++) {
						char name[256];

						if (runs[i].label[k] != label || runs[i].s[k].n < 2)
							continue;
						snprintf(name, sizeof name, "%s.%s.%s", runs[i].name,
							 pert_label_names[label], *kd);
						char path[4096];

						snprintf(path, sizeof path, "%s/plots/%s.png", dir, name);
						if (access(path, F_OK) < 0)
							continue;	/* too few values */
						if (html_image(fp, dir, name, name, err) < 0) {
							fclose(fp);
							return -1;
						}
					}
				fputs("</div>\n", fp);
			}
		}
		if (nc) {
			fputs("<h2>Training</h2>\n<div class=runs>\n", fp);
			for (size_t i = 0; i < nc; i++) {
				char name[256];

				snprintf(name, sizeof name, "%s.training", curves[i].name);
				if (html_image(fp, dir, name, name, err) < 0) {
					fclose(fp);
					return -1;
				}
			}
			fputs("</div>\n", fp);
		}
	}
	fprintf(fp, "<p>Made by cellpipe " CELLPIPE_VERSION "; numbers in metrics.tsv%s.</p>\n"
		"</body></html>\n", o->plots ? ", plot data in data/" : "");
	return close_file(fp, dir, "report.html", err);
}

/* ---- the report --------------------------------------------------------------- */

/* An input at path lies inside the directory real_dir (a resolved path). */
static int inside(const char *path, const char *real_dir)
{
	char *real = realpath(path, NULL);
	size_t len = strlen(real_dir);
	int in = real && strncmp(real, real_dir, len) == 0 && (real[len] == '/' || real_dir[len - 1] == '/');

	free(real);
	return in;
}

/* What -o may replace: nothing yet, an empty directory, or a report (a
 * directory holding report.html or metrics.tsv) none of the inputs lies
 * in; never a file or anything else. */
static int check_out_dir(const report_options *o, cp_error *err)
{
	struct stat sb;
	struct dirent *e;
	DIR *d;
	int empty = 1, report = 0, rc = 0;
	char *real;

	if (lstat(o->out_dir, &sb) < 0)
		return errno == ENOENT ? 0 : cp_error_errno(err, o->out_dir);
	if (!S_ISDIR(sb.st_mode))
		return cp_error_set(err, "%s: exists and is not a directory (report writes a directory): "
				    "give a new name", o->out_dir);
	if (!(d = opendir(o->out_dir)))
		return cp_error_errno(err, o->out_dir);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = 0;
			report |= strcmp(e->d_name, "report.html") == 0 || strcmp(e->d_name, "metrics.tsv") == 0;
		}
	closedir(d);
	if (!empty && !report)
		return cp_error_set(err, "%s: a directory of other files (no report.html or metrics.tsv), "
				    "which the report would replace: give a new or empty directory", o->out_dir);
	if (!(real = realpath(o->out_dir, NULL)))
		return cp_error_errno(err, o->out_dir);
	for (size_t i = 0; rc == 0 && i < o->n_predictions + o->n_models; i++) {
		const char *in = i < o->n_predictions ? o->predictions[i] : o->models[i - o->n_predictions];

		if (inside(in, real))
			rc = cp_error_set(err, "%s: an input inside %s, which the report replaces", in,
					  o->out_dir);
	}
	free(real);
	return rc;
}

int report_write(const report_options *o, report_summary *summary, cp_error *err)
{
	run *runs = cp_calloc(o->n_predictions ? o->n_predictions : 1, sizeof *runs, err);
	curve *curves = cp_calloc(o->n_models ? o->n_models : 1, sizeof *curves, err);
	metric_row *rows = NULL;
	size_t nrows = 0, cap = 0, plots = 0, n_curves = 0;
	char *tmp = NULL;
	double *t = NULL, *p = NULL, *sd = NULL;
	int rc = -1;

	memset(summary, 0, sizeof *summary);
	if (!runs || !curves || check_out_dir(o, err) < 0)
		goto out;
	for (size_t i = 0; i < o->n_predictions; i++) {
		if (load_run(o->predictions[i], &runs[i], err) < 0)
			goto out;
		base_name(o->predictions[i], runs[i].name, sizeof runs[i].name);
		unique_name(runs[i].name, i, runs[0].name, sizeof *runs, i);
	}
	for (size_t i = 0; i < o->n_models; i++) {	/* the curves first, baselines left out */
		int got = load_curve(o->models[i], &curves[n_curves], err);

		if (got < 0)
			goto out;
		if (got)	/* each model's plot a file of its own */
			unique_name(curves[n_curves].name, i, curves[0].name, sizeof *curves, n_curves);
		n_curves += (size_t)got;
	}
	/* metrics */
	for (size_t i = 0; i < o->n_predictions; i++)
		for (int k = 0; k < runs[i].n_outputs; k++) {
			series2 *s = &runs[i].s[k];

			free(t), free(p), free(sd);
			t = cp_malloc(s->n ? s->n : 1, sizeof *t, err);
			p = cp_malloc(s->n ? s->n : 1, sizeof *p, err);
			sd = cp_malloc(s->n ? s->n : 1, sizeof *sd, err);
			if (!t || !p || !sd)
				goto out;
			int splits_present = 0;

			for (int row = 0; row < PERT_N_SPLITS; row++)
				if (runs[i].has_split && select_split(s, row, t, p, NULL) > 0)
					splits_present++;
			for (int row = 0; row < N_SPLIT_ROWS; row++) {
				size_t n;

				if (row < PERT_N_SPLITS && !runs[i].has_split)
					continue;
				/* "all" repeats the only split there is */
				if (row == PERT_N_SPLITS && splits_present == 1)
					continue;
				n = select_split(s, row, t, p, sd);
				if (row < PERT_N_SPLITS && n == 0)
					continue;
				if (nrows == cap) {
					metric_row *q;

					cap = cap ? cap * 2 : 32;
					q = cp_realloc(rows, cap, sizeof *q, err);
					if (!q)
						goto out;
					rows = q;
				}
				rows[nrows].run = (int)i, rows[nrows].k = k, rows[nrows].split = row;
				if (cp_metrics_compute(t, p, n, &rows[nrows].m, err) < 0)
					goto out;
				rows[nrows].spread = rows[nrows].spread_rho = NAN;
				if (s->has_sd && spread_metrics(t, p, sd, n, &rows[nrows].spread,
								&rows[nrows].spread_rho, err) < 0)
					goto out;
				summary->missing += rows[nrows].m.missing;
				nrows++;
			}
		}
	/* the directory, built under a temporary name */
	if (cp_tmp_dir_create(o->out_dir, &tmp, err) < 0)
		goto out;
	if (o->plots) {
		char path[4096];

		snprintf(path, sizeof path, "%s/plots", tmp);
		if (mkdir(path, 0755) < 0) {
			cp_error_errno(err, path);
			goto out;
		}
		snprintf(path, sizeof path, "%s/data", tmp);
		if (mkdir(path, 0755) < 0) {
			cp_error_errno(err, path);
			goto out;
		}
	}
	{
		FILE *fp = open_in(tmp, "metrics.tsv", err);
		char a[32], b[32], c[32], d[32], e[32], f[32], g[32], h[32], u[32], v[32];

		if (!fp)
			goto out;
		fprintf(fp, "run\tmodel\tlabel\tsplit\tn\tmissing\tmse\trmse\tmae\tpearson\tpearson_lo\t"
			"pearson_hi\tspearman\tr2\tspread\tspread_error_spearman\n");
		for (size_t i = 0; i < nrows; i++) {
			const metric_row *r = &rows[i];

			fmt(a, sizeof a, r->m.mse), fmt(b, sizeof b, r->m.rmse), fmt(c, sizeof c, r->m.mae);
			fmt(d, sizeof d, r->m.pearson), fmt(e, sizeof e, r->m.pearson_lo);
			fmt(f, sizeof f, r->m.pearson_hi), fmt(g, sizeof g, r->m.spearman);
			fmt(h, sizeof h, r->m.r2);
			fmt(u, sizeof u, r->spread), fmt(v, sizeof v, r->spread_rho);
			fprintf(fp, "%s\t%s\t%s\t%s\t%zu\t%zu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				runs[r->run].name, runs[r->run].model,
				pert_label_names[runs[r->run].label[r->k]], split_row_names[r->split], r->m.n,
				r->m.missing, a, b, c, d, e, f, g, h, u, v);
		}
		if (close_file(fp, tmp, "metrics.tsv", err) < 0)
			goto out;
	}
	if (o->plots) {
		for (size_t i = 0; i < o->n_predictions; i++)
			for (int k = 0; k < runs[i].n_outputs; k++) {
				series2 *s = &runs[i].s[k];
				size_t n = 0;
				int row = runs[i].has_split ? PERT_TEST : PERT_N_SPLITS;
				char stem[256], title[256];

				free(t), free(p);
				t = cp_malloc(s->n ? s->n : 1, sizeof *t, err);
				p = cp_malloc(s->n ? s->n : 1, sizeof *p, err);
				if (!t || !p)
					goto out;
				if (runs[i].has_split && select_split(s, PERT_TEST, t, p, NULL) == 0)
					row = PERT_N_SPLITS;	/* no test split: plot everything */
				{
					size_t m = select_split(s, row, t, p, NULL);

					for (size_t j = 0; j < m; j++)	/* drop NaN pairs */
						if (!isnan(t[j]) && !isnan(p[j])) {
							t[n] = t[j];
							p[n++] = p[j];
						}
				}
				snprintf(stem, sizeof stem, "%s.%s", runs[i].name,
					 pert_label_names[runs[i].label[k]]);
				snprintf(title, sizeof title, "%s (%s, %s split)", runs[i].name, runs[i].model,
					 split_row_names[row]);
				if (plot_run_label(o, tmp, stem, title, pert_label_names[runs[i].label[k]], t, p, n,
						   &plots, err) < 0)
					goto out;
			}
		for (size_t i = 0; i < n_curves; i++)
			if (plot_curve(o, tmp, &curves[i], &plots, err) < 0)
				goto out;
	}
	if (write_html(o, tmp, runs, o->n_predictions, rows, nrows, curves, n_curves, o->plots,
		       err) < 0)
		goto out;
	/* into place, replacing an older report */
	rc = cp_tmp_dir_commit(tmp, o->out_dir, err);
	free(tmp);
	tmp = NULL;
	if (rc < 0)
		goto out;
	summary->runs = o->n_predictions;
	summary->rows = nrows;
	summary->plots = plots;
	summary->baselines = o->n_models - n_curves;
	rc = 0;
out:
	cp_tmp_dir_discard(tmp);
	free(tmp), free(t), free(p), free(sd), free(rows);
	if (runs)
		for (size_t i = 0; i < o->n_predictions; i++)
			free_run(&runs[i]);
	if (curves)
		for (size_t i = 0; i < o->n_models; i++)
			free(curves[i].epoch), free(curves[i].train_loss), free(curves[i].val_loss),
				free(curves[i].val_pearson);
	free(runs);
	free(curves);
	return rc;
}
