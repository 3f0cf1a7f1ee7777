/* report - metrics, plots and an HTML page for predictions. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cpz.h"
#include "report.h"

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: report [-o DIR] [options] PREDICTIONS.cpz... [MODEL.cpz...]\n"
		"Write DIR/metrics.tsv (per run, label and split: n, MSE, RMSE, MAE, Pearson with\n"
		"its 95%% CI, Spearman, R2), plots as PNG and SVG (gnuplot) and DIR/report.html,\n"
		"one page comparing every run.  Inputs are predictions streams (predict), one run\n"
		"each, and model streams (fit), whose training histories are drawn (a baseline's\n"
		"has none).\n"
		"\n"
		"  -o, --output DIR     the report directory [report]\n"
		"  -t, --title TEXT     the page's title [cellpipe report]\n"
		"      --no-plots       metrics and tables only (no gnuplot needed)\n"
		"      --gnuplot PROG   the gnuplot program [gnuplot]\n"
		"  -q, --quiet          no summary    -v, --verbose   also time and memory\n"
		"  -h, --help           this help     -V, --version\n"
		"Exit status: 0 ok, 1 bad data or a failed plot, 2 usage.  See report(1).\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "title", required_argument, NULL, 't' },
		{ "no-plots", no_argument, NULL, 'n' },
		{ "gnuplot", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	report_options o = { "report", "cellpipe report", NULL, 0, NULL, 0, "gnuplot", 1 };
	report_summary sum = { 0 };
	static char out_name[PATH_MAX], gnuplot_path[PATH_MAX];
	const char **preds, **models;
	size_t np = 0, nm = 0;
	cp_error err;
	int c, rc;

	cli_init("report", argc, argv);
	while ((c = getopt_long(argc, argv, "o:t:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out_dir = optarg; break;
		case 't': o.title = optarg; break;
		case 'n': o.plots = 0; break;
		case 'g': o.gnuplot = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	if (optind >= argc) {
		cli_error("expected at least one predictions stream (try report --help)");
		return CLI_USAGE_ERROR;
	}
	if (strcmp(o.out_dir, "-") == 0) {
		cli_error("-o -: a report is a directory, not standard output (write -o ./- for one "
			  "named -)");
		return CLI_USAGE_ERROR;
	}
	/* the directory by its own name: "r/" and "r/." are r */
	{
		size_t len = strlen(o.out_dir);

		while (len > 1 && (o.out_dir[len - 1] == '/' ||
				   (len > 2 && o.out_dir[len - 1] == '.' && o.out_dir[len - 2] == '/')))
			len -= o.out_dir[len - 1] == '/' ? 1 : 2;
		if (len >= sizeof out_name) {
			cli_error("-o: '%s' is too long a name", o.out_dir);
			return CLI_USAGE_ERROR;
		}
		memcpy(out_name, o.out_dir, len);
		out_name[len] = '\0';
		const char *last = strrchr(out_name, '/');

		last = last ? last + 1 : out_name;
		if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
			cli_error("-o %s: name the report's directory, not . or .. or /", o.out_dir);
			return CLI_USAGE_ERROR;
		}
		o.out_dir = out_name;
	}
	/* a program named by a path relative to here, which gnuplot is run
	 * from the report's directory would not find */
	if (strchr(o.gnuplot, '/') && o.gnuplot[0] != '/') {
		if (realpath(o.gnuplot, gnuplot_path))
			o.gnuplot = gnuplot_path;
	}
	for (int i = optind; i < argc; i++)
		if (cli_read_once(argv[i])) {
			cli_error("%s: report reads each input twice, so it needs files, not %s", argv[i],
				  strcmp(argv[i], "-") == 0 ? "standard input" : "a pipe");
			return CLI_USAGE_ERROR;
		}
	preds = calloc((size_t)(argc - optind), sizeof *preds);
	models = calloc((size_t)(argc - optind), sizeof *models);
	if (!preds || !models) {
		cli_error("out of memory");
		free(preds), free(models);
		return CLI_DATA_ERROR;
	}
	/* sort the inputs by kind */
	for (int i = optind; i < argc; i++) {
		cpz_reader *r = cpz_reader_open(argv[i], &err);
		const char *kind;

		if (!r) {
			cli_report(&err);
			free(preds), free(models);
			return CLI_DATA_ERROR;
		}
		kind = cpz_reader_header(r)->kind;
		if (strcmp(kind, "predictions") == 0)
			preds[np++] = argv[i];
		else if (strcmp(kind, "model") == 0)
			models[nm++] = argv[i];
		else {
			cli_error("%s: a %s stream; expected predictions or a model", argv[i], kind);
			cpz_reader_close(r);
			free(preds), free(models);
			return CLI_DATA_ERROR;
		}
		cpz_reader_close(r);
	}
	if (np == 0) {
		cli_error("no predictions stream among the inputs");
		free(preds), free(models);
		return CLI_USAGE_ERROR;
	}
	o.predictions = preds;
	o.n_predictions = np;
	o.models = models;
	o.n_models = nm;
	rc = report_write(&o, &sum, &err);
	if (rc < 0) {
		cli_report(&err);
		free(preds), free(models);
		return CLI_DATA_ERROR;
	}
	cli_info(1, "%s: %zu run%s, %zu metric rows, %zu plots%s%s; open %s/report.html", o.out_dir,
		 sum.runs, sum.runs == 1 ? "" : "s", sum.rows, sum.plots,
		 sum.missing ? " (pairs with a missing label skipped)" : "",
		 sum.baselines ? " (a baseline's model has no training curve)" : "", o.out_dir);
	cli_resources(2);
	free(preds), free(models);
	return CLI_OK;
}
