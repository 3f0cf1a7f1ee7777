/* metrics.c - regression metrics. */
#define _GNU_SOURCE
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double cp_pearson(const double *x, const double *y, size_t n)
{
	double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]) && !isnan(y[i])) {
			mx += x[i];
			my += y[i];
			k++;
		}
	if (k < 2)
		return NAN;
	mx /= (double)k;
	my /= (double)k;
	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]) && !isnan(y[i])) {
			double dx = x[i] - mx, dy = y[i] - my;

			sxx += dx * dx;
			syy += dy * dy;
			sxy += dx * dy;
		}
	if (sxx == 0 || syy == 0)
		return NAN;
	return sxy / sqrt(sxx * syy);
}

typedef struct {
	double v;
	size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	if (x->v < y->v)
		return -1;
	if (x->v > y->v)
		return 1;
	return (x->i > y->i) - (x->i < y->i);
}

int cp_ranks(const double *x, size_t n, double *rank, cp_error *err)
{
	ranked *r = cp_malloc(n ? n : 1, sizeof *r, err);

	if (!r)
		return -1;
	for (size_t i = 0; i < n; i++)
		r[i].v = x[i], r[i].i = i;
	cp_sort(r, n, sizeof *r, cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		for (size_t k = i; k <= j; k++)
			rank[r[k].i] = (double)(i + j) / 2.0 + 1.0;
		i = j + 1;
	}
	free(r);
	return 0;
}

int cp_metrics_compute(const double *truth, const double *pred, size_t n, cp_metrics *out,
		       cp_error *err)
{
	double *t = cp_malloc(n ? n : 1, sizeof *t, err), *p = cp_malloc(n ? n : 1, sizeof *p, err);
	double *rt = cp_malloc(n ? n : 1, sizeof *rt, err), *rp = cp_malloc(n ? n : 1, sizeof *rp, err);
	double sse = 0, sae = 0, mean = 0, sst = 0;
	size_t k = 0;

	memset(out, 0, sizeof *out);
	if (!t || !p || !rt || !rp) {
		free(t), free(p), free(rt), free(rp);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (isnan(truth[i]) || isnan(pred[i])) {
			out->missing++;
			continue;
		}
		t[k] = truth[i];
		p[k++] = pred[i];
	}
	out->n = k;
	for (size_t i = 0; i < k; i++) {
		double d = p[i] - t[i];

		sse += d * d;
		sae += fabs(d);
		mean += t[i];
	}
	if (k == 0) {
		out->mse = out->rmse = out->mae = out->r2 = NAN;
		out->pearson = out->pearson_lo = out->pearson_hi = out->spearman = NAN;
		goto done;
	}
	mean /= (double)k;
	for (size_t i = 0; i < k; i++)
		sst += (t[i] - mean) * (t[i] - mean);
	out->mse = sse / (double)k;
	out->rmse = sqrt(out->mse);
	out->mae = sae / (double)k;
	out->r2 = sst > 0 ? 1.0 - sse / sst : NAN;
	out->pearson = cp_pearson(t, p, k);
	if (!isnan(out->pearson) && k > 3) {
		/* Fisher's z: atanh(r) is close to normal with sd 1/sqrt(n-3) */
		double r = out->pearson > 0.9999999 ? 0.9999999 : out->pearson < -0.9999999 ? -0.9999999
											   : out->pearson;
		double z = atanh(r), h = 1.959963984540054 / sqrt((double)k - 3.0);

		out->pearson_lo = tanh(z - h);
		out->pearson_hi = tanh(z + h);
	} else {
		out->pearson_lo = out->pearson_hi = NAN;
	}
	if (cp_ranks(t, k, rt, err) < 0 || cp_ranks(p, k, rp, err) < 0) {
		free(t), free(p), free(rt), free(rp);
		return -1;
	}
	out->spearman = cp_pearson(rt, rp, k);
done:
	free(t), free(p), free(rt), free(rp);
	return 0;
}
