/*
 * report.h - metrics, plots and an HTML page for prediction runs.
 *
 * Inputs are predictions streams (one run each) and, optionally, model
 * streams (their training histories).  The output directory holds
 *   metrics.tsv   run, model, label, split, n, missing, mse, rmse, mae,
 *                 pearson with its 95 % CI, spearman, r2
 *   plots/        per run and label: predicted vs true with point density,
 *                 predictions binned by the true value (box plots), label and
 *                 prediction distributions; per model: training curves;
 *                 each as PNG and SVG, drawn by gnuplot
 *   data/         the numbers behind each plot, as TSV
 *   report.html   one self-contained page (images embedded) comparing the
 *                 runs side by side
 * The directory appears only when complete: it is built under a temporary
 * name and renamed.
 */
#ifndef CP_REPORT_H
#define CP_REPORT_H

#include <stddef.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct report_options {
	const char *out_dir;
	const char *title;
	const char *const *predictions;	/* paths */
	size_t n_predictions;
	const char *const *models;	/* model streams for training curves */
	size_t n_models;
	const char *gnuplot;		/* the program, "gnuplot" by default */
	int plots;			/* 0: metrics and HTML tables only */
} report_options;

/* Summary of what was written, for the tool's message. */
typedef struct report_summary {
	size_t runs, rows, plots, missing;
	size_t baselines;	/* model streams without a training curve */
} report_summary;

int report_write(const report_options *o, report_summary *summary, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
