/*
 * metrics.h - how well predictions match labels: MSE, RMSE, MAE, Pearson
 * (with a 95 % confidence interval by Fisher's z), Spearman (average ranks
 * for ties) and R^2.  Pairs where either value is NaN are skipped and
 * counted.
 */
#ifndef CP_METRICS_H
#define CP_METRICS_H

#include <stddef.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_metrics {
	size_t n;		/* pairs used */
	size_t missing;		/* pairs skipped for a NaN */
	double mse, rmse, mae;
	double pearson, pearson_lo, pearson_hi;	/* NaN when undefined */
	double spearman;
	double r2;		/* 1 - SSE / SST about the labels' mean */
} cp_metrics;

/* truth and pred of n values each (stride 1). */
int cp_metrics_compute(const double *truth, const double *pred, size_t n, cp_metrics *out,
		       cp_error *err);
/* Pearson correlation alone (NaN pairs skipped); NaN when undefined. */
double cp_pearson(const double *x, const double *y, size_t n);
/* Average ranks (1-based; ties share their mean rank) of n values. */
int cp_ranks(const double *x, size_t n, double *rank, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
