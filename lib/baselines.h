/*
 * baselines.h - the models every learned model is reported beside.
 *
 *   mean            the training mean of each label
 *   additive        per-gene ridge regression: y = b + sum over deleted genes
 *                   of w_g, solved in closed form ((X'X + lambda I) w = X'y,
 *                   Cholesky in LAPACK, intercept unpenalised); genes never
 *                   deleted in training get w = 0
 *   multiplicative  fitness of a set of deletions = product of the genes'
 *                   single-mutant fitness (NaN when one is unknown); no
 *                   training, only a table of single mutants
 *
 * Streams (kind "model"): genome, then a "baseline" record (model, labels,
 * values), then "training" (the data's context fields under "data.").
 */
#ifndef CP_BASELINES_H
#define CP_BASELINES_H

#include "cp_base.h"
#include "dcell.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BASELINE_RIDGE_DEFAULT 1.0

typedef struct baseline_options {
	const char *model;	/* "mean", "additive" or "multiplicative" */
	const char *train_path;	/* batches or samples; for multiplicative, single mutants */
	const char *val_path;	/* unused by the closed forms; kept for the record */
	const char *out_path;
	double ridge;
	dcell_config labels;	/* n_outputs and label[] */
} baseline_options;

/* What the multiplicative model used: single-deletion experiments with a
 * fitness, of how many genes; those of several genes or without a fitness
 * left out. */
typedef struct baseline_stats {
	size_t used, genes, not_single, no_value;
} baseline_stats;

int baseline_fit(const baseline_options *o, const char *producer, const char *command,
		 baseline_stats *st, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
