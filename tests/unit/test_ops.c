/*
 * The network ops of kernels.h: each CPU op against its definition
 * (adjoint identities, finite differences, hand-computed values), then the
 * CUDA backend against the CPU on the same random inputs (skipped without
 * CUDA or a GPU).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double *randv(size_t n)
{
	double *x = malloc((n ? n : 1) * sizeof *x);

	for (size_t i = 0; i < n; i++)
		x[i] = uniform();
	return x;
}

static double dot(const double *a, const double *b, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static cp_backend *cpu(void)
{
	cp_error err;
	cp_backend *be = cp_backend_cpu(0, &err);

	assert_non_null(be);
	return be;
}

/* gather and its backward are adjoint: <G x, y> = <x, G^T y>; the
 * backward adds into its output, and a column used several times gets the
 * sum of its uses. */
static void test_gather_adjoint(void **state)
{
	cp_backend *be = cpu();
	cp_error err;
	enum { ROWS = 5, SRC = 40, N = 12 };
	/* source: rows x SRC, row-major: column c at base c, stride SRC */
	int64_t base[N], stride[N], use_ptr[SRC + 1], use[N], tbase[SRC], tstride[SRC];
	double *x = randv(ROWS * SRC), *y = randv(ROWS * N), *g0 = randv(ROWS * SRC), gx[ROWS * N];
	double gty[ROWS * SRC];

	(void)state;
	for (int j = 0; j < N; j++) {
		/* column 5 is a zero column; sources 0, 4 and 7 are used twice */
		base[j] = j == 5 ? -1 : (j * 7) % 10;
		stride[j] = SRC;
	}
	/* uses of each source column, in order */
	use_ptr[0] = 0;
	for (int c = 0, k = 0; c < SRC; c++) {
		for (int j = 0; j < N; j++)
			if (base[j] == c)
				use[k++] = j;
		use_ptr[c + 1] = k;
		tbase[c] = c;
		tstride[c] = SRC;
	}
	memcpy(gty, g0, sizeof gty);
	assert_int_equal(cp_gather_cols(be, CP_F64, ROWS, N, base, stride, x, gx, &err), 0);
	assert_int_equal(cp_gather_cols_backward(be, CP_F64, ROWS, SRC, tbase, tstride, use_ptr, use, N,
						 y, gty, &err), 0);
	for (int b = 0; b < ROWS; b++)
		assert_true(gx[b * N + 5] == 0);
	assert_true(fabs(dot(gx, y, ROWS * N) + dot(x, g0, ROWS * SRC) - dot(x, gty, ROWS * SRC)) < 1e-12);
	/* and entry by entry, from the definition */
	for (int b = 0; b < ROWS; b++)
		for (int c = 0; c < SRC; c++) {
			double want = g0[b * SRC + c];

			for (int j = 0; j < N; j++)
				if (base[j] == c)
					want += y[b * N + j];
			if (fabs(gty[b * SRC + c] - want) > 1e-12)
				fail_msg("gather backward [%d, %d]: %g, want %g", b, c, gty[b * SRC + c], want);
		}
	free(x), free(y), free(g0);
	cp_backend_free(be);
}

/* Batch normalisation: normalised columns, the constant-column rule, and
 * the backward against central differences of a random projection. */
static void test_batchnorm(void **state)
{
	cp_backend *be = cpu();
	cp_error err;
	enum { R = 7, C = 4 };
	double x[R * C], gamma[C] = { 1.5, -0.5, 1, 2 }, beta[C] = { 0.1, 0.2, 0.3, -1 };
	double y[R * C], xhat[R * C], invstd[C], mean[C], var[C], dy[R * C], dx[R * C];
	double dgamma[C] = { 0 }, dbeta[C] = { 0 };

	(void)state;
	for (int i = 0; i < R * C; i++)
		x[i] = i % C == 2 ? 0.7 : uniform();	/* column 2 constant */
	assert_int_equal(cp_batchnorm_forward(be, CP_F64, R, C, x, gamma, beta, 1e-5, y, xhat, invstd,
					      mean, var, &err), 0);
	for (int j = 0; j < C; j++) {
		double m = 0, v = 0, xm = 0, xv = 0;

		/* the batch's mean and (biased) variance, as the running
		 * statistics take them */
		for (int b = 0; b < R; b++)
			xm += x[b * C + j] / R;
		for (int b = 0; b < R; b++)
			xv += (x[b * C + j] - xm) * (x[b * C + j] - xm) / R;
		assert_true(fabs(mean[j] - xm) < 1e-12 && fabs(var[j] - xv) < 1e-12);
		for (int b = 0; b < R; b++)
			m += xhat[b * C + j] / R;
		for (int b = 0; b < R; b++)
			v += (xhat[b * C + j] - m) * (xhat[b * C + j] - m) / R;
		assert_true(fabs(m) < 1e-12);
		if (j == 2) {
			assert_true(var[j] == 0);
			for (int b = 0; b < R; b++)
				assert_true(xhat[b * C + j] == 0 && y[b * C + j] == beta[j]);
		} else {
			assert_true(fabs(v - var[j] / (var[j] + 1e-5)) < 1e-9);
		}
	}
	/* backward: L = <y, dy> */
	for (int i = 0; i < R * C; i++)
		dy[i] = uniform();
	assert_int_equal(cp_batchnorm_backward(be, CP_F64, R, C, xhat, invstd, gamma, dy, dx, dgamma,
					       dbeta, &err), 0);
	for (int i = 0; i < R * C; i++) {
		double h = 1e-6, lp, lm, xp[R * C], yy[R * C], xh[R * C], is[C], mm[C], vv[C];

		if (i % C == 2)
			continue;	/* the constant column's derivative is a limit case */
		memcpy(xp, x, sizeof x);
		xp[i] += h;
		cp_batchnorm_forward(be, CP_F64, R, C, xp, gamma, beta, 1e-5, yy, xh, is, mm, vv, &err);
		lp = dot(yy, dy, R * C);
		xp[i] -= 2 * h;
		cp_batchnorm_forward(be, CP_F64, R, C, xp, gamma, beta, 1e-5, yy, xh, is, mm, vv, &err);
		lm = dot(yy, dy, R * C);
		if (fabs((lp - lm) / (2 * h) - dx[i]) > 1e-6)
			fail_msg("bn dx[%d]: %g vs %g", i, dx[i], (lp - lm) / (2 * h));
	}
	for (int j = 0; j < C; j++) {
		double sg = 0, sb = 0;

		for (int b = 0; b < R; b++) {
			sg += dy[b * C + j] * xhat[b * C + j];
			sb += dy[b * C + j];
		}
		assert_true(fabs(dgamma[j] - sg) < 1e-12 && fabs(dbeta[j] - sb) < 1e-12);
	}
	cp_backend_free(be);
}

/* Segment heads: forward by hand, backward by finite differences. */
static void test_segment_linear(void **state)
{
	cp_backend *be = cpu();
	cp_error err;
	enum { R = 3, NS = 3, K = 2, W = 9 };
	int64_t ptr[NS + 1] = { 0, 2, 7, 9 };
	double *x = randv(R * W), *w = randv(K * W), *bias = randv(NS * K), *dy = randv(R * NS * K);
	double y[R * NS * K], dx[R * W] = { 0 }, dw[K * W] = { 0 }, db[NS * K] = { 0 };

	(void)state;
	assert_int_equal(cp_segment_linear_forward(be, CP_F64, R, NS, K, ptr, x, w, bias, y, &err), 0);
	{
		/* row 1, segment 1, output 1 by hand */
		double s = bias[1 * K + 1];

		for (int j = 2; j < 7; j++)
			s += x[1 * W + j] * w[1 * W + j];
		assert_true(fabs(y[(1 * NS + 1) * K + 1] - s) < 1e-12);
	}
	assert_int_equal(cp_segment_linear_backward(be, CP_F64, R, NS, K, ptr, x, w, dy, dx, dw, db,
						    &err), 0);
	/* the map is bilinear, so the gradient of <y, dy> is exact: check it */
	for (int i = 0; i < R * W; i++) {
		double h = 1e-3, lp, lm;

		x[i] += h;
		cp_segment_linear_forward(be, CP_F64, R, NS, K, ptr, x, w, bias, y, &err);
		lp = dot(y, dy, R * NS * K);
		x[i] -= 2 * h;
		cp_segment_linear_forward(be, CP_F64, R, NS, K, ptr, x, w, bias, y, &err);
		lm = dot(y, dy, R * NS * K);
		x[i] += h;
		assert_true(fabs((lp - lm) / (2 * h) - dx[i]) < 1e-9);
	}
	for (int i = 0; i < K * W; i++) {
		double h = 1e-3, lp, lm;

		w[i] += h;
		cp_segment_linear_forward(be, CP_F64, R, NS, K, ptr, x, w, bias, y, &err);
		lp = dot(y, dy, R * NS * K);
		w[i] -= 2 * h;
		cp_segment_linear_forward(be, CP_F64, R, NS, K, ptr, x, w, bias, y, &err);
		lm = dot(y, dy, R * NS * K);
		w[i] += h;
		assert_true(fabs((lp - lm) / (2 * h) - dw[i]) < 1e-9);
	}
	/* each segment's bias: the sum of its outputs' gradients over the rows */
	for (int s = 0; s < NS; s++)
		for (int k = 0; k < K; k++) {
			double want = 0;

			for (int r = 0; r < R; r++)
				want += dy[(r * NS + s) * K + k];
			assert_true(fabs(db[s * K + k] - want) < 1e-12);
		}
	/* the backward adds to what its outputs hold */
	{
		double dx2[R * W], dw2[K * W], db2[NS * K];

		memcpy(dx2, dx, sizeof dx), memcpy(dw2, dw, sizeof dw), memcpy(db2, db, sizeof db);
		assert_int_equal(cp_segment_linear_backward(be, CP_F64, R, NS, K, ptr, x, w, dy, dx, dw,
							    db, &err), 0);
		for (int i = 0; i < R * W; i++)
			assert_true(fabs(dx[i] - 2 * dx2[i]) < 1e-12);
		for (int i = 0; i < K * W; i++)
			assert_true(fabs(dw[i] - 2 * dw2[i]) < 1e-12);
		for (int i = 0; i < NS * K; i++)
			assert_true(fabs(db[i] - 2 * db2[i]) < 1e-12);
	}
	free(x), free(w), free(bias), free(dy);
	cp_backend_free(be);
}

/* Masked MSE: NaN targets ignored, each label averaged over its own count. */
static void test_masked_mse(void **state)
{
	cp_backend *be = cpu();
	cp_error err;
	/* 3 rows, 2 segments, 2 outputs */
	double pred[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	double target[6] = { 0, NAN, 1, 1, NAN, 2 };
	double grad[12], loss;

	(void)state;
	assert_int_equal(cp_masked_mse(be, CP_F64, 3, 2, 2, pred, target, 0.5, grad, &loss, &err), 0);
	/* label 0 has rows 0 and 1 (count 2): (1-0)^2 + (3-0)^2 + (5-1)^2 + (7-1)^2 over 2 */
	/* label 1 has rows 1 and 2 (count 2): (6-1)^2 + (8-1)^2 + (10-2)^2 + (12-2)^2 over 2 */
	double want = 0.5 * ((1 + 9 + 16 + 36) / 2.0 + (25 + 49 + 64 + 100) / 2.0);

	assert_true(fabs(loss - want) < 1e-12);
	/* every entry: scale * 2 (pred - target) / count, zero where the target is NaN */
	for (int b = 0; b < 3; b++)
		for (int sg = 0; sg < 2; sg++)
			for (int k = 0; k < 2; k++) {
				int i = (b * 2 + sg) * 2 + k;
				double t = target[b * 2 + k], g = isnan(t) ? 0 : 2 * 0.5 * (pred[i] - t) / 2.0;

				if (fabs(grad[i] - g) > 1e-12)
					fail_msg("masked MSE grad[%d]: %g, want %g", i, grad[i], g);
			}
	cp_backend_free(be);
}

static void test_adamw_and_reductions(void **state)
{
	cp_backend *be = cpu();
	cp_error err;
	double p[2] = { 1.0, -2.0 }, g[2] = { 0.5, 0.0 }, m[2] = { 0 }, v[2] = { 0 }, s;
	double r[2] = { 1, 1 }, val[2] = { 3, 5 };

	(void)state;
	assert_int_equal(cp_adamw(be, CP_F64, 2, p, g, 1.0, m, v, 0.1, 0.9, 0.999, 1e-8, 0.01, 1, &err), 0);
	/* first step: mhat = g, vhat = g^2, so the step is lr * sign(g) (+ decay) */
	assert_true(fabs(p[0] - (1.0 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.01))) < 1e-12);
	assert_true(fabs(p[1] - (-2.0 - 0.1 * 0.01 * -2.0)) < 1e-12);
	assert_int_equal(cp_adamw(be, CP_F64, 2, p, g, 1.0, m, v, 0.1, 0.9, 0.999, 1e-8, 0, 0, &err), -1);
	/* the gradient scale is the same as scaling the gradient first */
	{
		double p1[3] = { 1, 2, 3 }, p2[3] = { 1, 2, 3 }, m1[3] = { 0.1, 0, -0.2 }, m2[3] = { 0.1, 0, -0.2 };
		double v1[3] = { 0.01, 0.02, 0.03 }, v2[3] = { 0.01, 0.02, 0.03 };
		double g1[3] = { 0.4, -1.0, 2.0 }, g2[3] = { 0.1, -0.25, 0.5 };

		assert_int_equal(cp_adamw(be, CP_F64, 3, p1, g1, 0.25, m1, v1, 0.1, 0.9, 0.999, 1e-8, 0.01, 3,
					  &err), 0);
		assert_int_equal(cp_adamw(be, CP_F64, 3, p2, g2, 1.0, m2, v2, 0.1, 0.9, 0.999, 1e-8, 0.01, 3,
					  &err), 0);
		for (int i = 0; i < 3; i++) {
			assert_true(fabs(p1[i] - p2[i]) < 1e-14);
			assert_true(fabs(m1[i] - m2[i]) < 1e-15 && fabs(v1[i] - v2[i]) < 1e-15);
		}
		assert_true(p1[0] != 1 && p1[2] != 3);
	}
	assert_int_equal(cp_sum_squares(be, CP_F64, 2, val, &s, &err), 0);
	assert_true(s == 34);
	assert_int_equal(cp_scale(be, CP_F64, 2, val, 0.5, &err), 0);
	assert_true(val[1] == 2.5);
	assert_int_equal(cp_lerp(be, CP_F64, 2, r, val, 0.1, 2.0, &err), 0);
	assert_true(fabs(r[0] - (0.9 + 0.1 * 2 * 1.5)) < 1e-12);
	cp_backend_free(be);
}

/* ---- the CUDA backend against the CPU -------------------------------------- */

typedef struct {
	cp_backend *be;
	cp_precision prec;
} dev;

static void *put(dev *d, const double *x, size_t n)
{
	cp_error err;
	size_t es = cp_precision_size(d->prec);
	void *h = malloc((n ? n : 1) * es), *p = cp_buffer_alloc(d->be, (n ? n : 1) * es, &err);

	for (size_t i = 0; i < n; i++) {
		if (d->prec == CP_F64)
			((double *)h)[i] = x[i];
		else
			((float *)h)[i] = (float)x[i];
	}
	assert_non_null(p);
	assert_int_equal(cp_buffer_upload(d->be, p, h, n * es, &err), 0);
	free(h);
	return p;
}

static void *put_i64(dev *d, const int64_t *x, size_t n)
{
	cp_error err;
	void *p = cp_buffer_alloc(d->be, (n ? n : 1) * 8, &err);

	assert_int_equal(cp_buffer_upload(d->be, p, x, n * 8, &err), 0);
	return p;
}

static double *get(dev *d, const void *p, size_t n)
{
	cp_error err;
	size_t es = cp_precision_size(d->prec);
	void *h = malloc((n ? n : 1) * es);
	double *x = malloc((n ? n : 1) * sizeof *x);

	assert_int_equal(cp_buffer_download(d->be, h, p, n * es, &err), 0);
	for (size_t i = 0; i < n; i++)
		x[i] = d->prec == CP_F64 ? ((double *)h)[i] : ((float *)h)[i];
	free(h);
	return x;
}

/* Run the whole op sequence of a small network layer on one backend and
 * return every result, concatenated. */
static double *run_ops(dev *d, size_t *n_out)
{
	enum { R = 16, SRC = 50, N = 30, NS = 4, K = 2 };
	cp_error err;
	uint64_t saved = rng;
	int64_t base[N], stride[N], tbase[SRC], tstride[SRC], uptr[SRC + 1], use[N];
	int64_t sptr[NS + 1] = { 0, 5, 12, 20, 30 };
	double *src = randv(R * SRC), *gamma = randv(N), *beta = randv(N), *bias = randv(N);
	double *w = randv(K * N), *sb = randv(NS * K), *target = randv(R * K), *dy = randv(R * N);
	double *out = malloc(sizeof(double) * (R * N * 4 + N * 6 + R * NS * K * 2 + R * SRC + 8));
	size_t o = 0;

	target[3] = NAN;
	for (int j = 0; j < N; j++) {
		base[j] = j % 7 == 3 ? -1 : (j * 11) % SRC;
		stride[j] = SRC;
	}
	uptr[0] = 0;
	for (int c = 0, k = 0; c < SRC; c++) {
		for (int j = 0; j < N; j++)
			if (base[j] == c)
				use[k++] = j;
		uptr[c + 1] = k;
		tbase[c] = c, tstride[c] = SRC;
	}
	void *dsrc = put(d, src, R * SRC), *dg = put(d, gamma, N), *dbeta = put(d, beta, N);
	void *dbias = put(d, bias, N), *dw = put(d, w, K * N), *dsb = put(d, sb, NS * K);
	void *dt = put(d, target, R * K), *ddy = put(d, dy, R * N);
	void *db = put_i64(d, base, N), *ds = put_i64(d, stride, N), *dtb = put_i64(d, tbase, SRC);
	void *dts = put_i64(d, tstride, SRC), *dup = put_i64(d, uptr, SRC + 1), *du = put_i64(d, use, N);
	void *dptr = put_i64(d, sptr, NS + 1);
	double zeros[R * SRC] = { 0 };
	void *x = put(d, zeros, R * N), *a = put(d, zeros, R * N), *y = put(d, zeros, R * N);
	void *xh = put(d, zeros, R * N), *is = put(d, zeros, N), *mean = put(d, zeros, N);
	void *var = put(d, zeros, N), *dx = put(d, zeros, R * N), *dgm = put(d, zeros, N);
	void *dbt = put(d, zeros, N), *hy = put(d, zeros, R * NS * K), *grad = put(d, zeros, R * NS * K);
	void *hdx = put(d, zeros, R * N), *hdw = put(d, zeros, K * N), *hdb = put(d, zeros, NS * K);
	void *dsrc_grad = put(d, zeros, R * SRC), *colsum = put(d, zeros, N), *rm = put(d, zeros, N);
	double loss, ss;

#define OK(call) do { if ((call) < 0) fail_msg("%s: %s", cp_backend_name(d->be), err.msg); } while (0)
	OK(cp_gather_cols(d->be, d->prec, R, N, db, ds, dsrc, x, &err));
	OK(cp_add_row_vector(d->be, d->prec, R, N, x, dbias, &err));
	OK(cp_tanh_forward(d->be, d->prec, R * N, x, a, &err));
	OK(cp_batchnorm_forward(d->be, d->prec, R, N, a, dg, dbeta, 1e-5, y, xh, is, mean, var, &err));
	OK(cp_lerp(d->be, d->prec, N, rm, mean, 0.1, 1.0, &err));
	OK(cp_segment_linear_forward(d->be, d->prec, R, NS, K, dptr, y, dw, dsb, hy, &err));
	OK(cp_masked_mse(d->be, d->prec, R, NS, K, hy, dt, 0.3, grad, &loss, &err));
	OK(cp_segment_linear_backward(d->be, d->prec, R, NS, K, dptr, y, dw, grad, hdx, hdw, hdb, &err));
	OK(cp_batchnorm_backward(d->be, d->prec, R, N, xh, is, dg, ddy, dx, dgm, dbt, &err));
	OK(cp_tanh_backward(d->be, d->prec, R * N, a, dx, dx, &err));
	OK(cp_col_sum(d->be, d->prec, R, N, dx, colsum, 0, &err));
	OK(cp_gather_cols_backward(d->be, d->prec, R, SRC, dtb, dts, dup, du, N, dx, dsrc_grad, &err));
	OK(cp_sum_squares(d->be, d->prec, R * N, dx, &ss, &err));
	OK(cp_backend_sync(d->be, &err));
#undef OK
	void *bufs[] = { y, hy, hdx, hdw, hdb, dx, dgm, dbt, colsum, dsrc_grad, rm };
	size_t lens[] = { R * N, R * NS * K, R * N, K * N, NS * K, R * N, N, N, N, R * SRC, N };

	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		double *h = get(d, bufs[i], lens[i]);

		memcpy(out + o, h, lens[i] * sizeof *h);
		o += lens[i];
		free(h);
	}
	out[o++] = loss;
	out[o++] = ss;
	void *all[] = { dsrc, dg, dbeta, dbias, dw, dsb, dt, ddy, db, ds, dtb, dts, dup, du, dptr,
			x, a, y, xh, is, mean, var, dx, dgm, dbt, hy, grad, hdx, hdw, hdb, dsrc_grad,
			colsum, rm };

	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		cp_buffer_free(d->be, all[i]);
	free(src), free(gamma), free(beta), free(bias), free(w), free(sb), free(target), free(dy);
	rng = saved;
	*n_out = o;
	return out;
}

/* The ops and cases run_ops leaves out: a cleared buffer, scaling, running
 * statistics with a scale, an accumulating column sum, a column constant
 * over the batch and dx written over dy in BatchNorm, its inference mode,
 * AdamW with clipping and decay, GEMMs with k = 0 (beta 0 and not), an
 * empty head segment, targets summing several sources, and a sum of
 * squares over many partial sums. */
static double *run_ops2(dev *d, size_t *n_out)
{
	enum { R = 12, N = 30, NS = 4, K = 2, NT = 10, NP = 1234567 };
	cp_error err;
	uint64_t saved = rng;
	int64_t sptr[NS + 1] = { 0, 7, 7, 19, 30 }, tbase[NT], tstride[NT], uptr[NT + 1], use[3 * NT];
	double *x0 = randv(R * N), *gamma = randv(N), *beta = randv(N), *dy = randv(R * N);
	double *w = randv(K * N), *sb = randv(NS * K), *rmean = randv(N), *rvar = randv(N);
	double *pp = randv(N), *pg = randv(N), *pm = randv(N), *pv = randv(N), *big = randv(NP);
	double *c0 = randv(R * N);
	double *out = malloc(sizeof(double) * (R * N * 8 + N * 12 + R * NS * K + R * NT + 8));
	size_t o = 0;

	for (int j = 0; j < N; j++) {
		x0[5 * N + j] = x0[j];	/* rows agree ... */
		rvar[j] = 0.2 + fabs(rvar[j]);
		pv[j] = fabs(pv[j]);
	}
	for (int r = 0; r < R; r++)
		x0[r * N + 4] = 0.375;	/* ... and column 4 is constant */
	uptr[0] = 0;
	for (int c = 0; c < NT; c++) {
		for (int q = 0; q < 3; q++)
			use[3 * c + q] = c + NT * q;
		uptr[c + 1] = 3 * c + 3;
		tbase[c] = c, tstride[c] = NT;
	}
	double zeros[R * N] = { 0 };
	void *x = put(d, x0, R * N), *dg = put(d, gamma, N), *dbeta = put(d, beta, N), *ddy = put(d, dy, R * N);
	void *dw = put(d, w, K * N), *dsb = put(d, sb, NS * K), *drm = put(d, rmean, N), *drv = put(d, rvar, N);
	void *dp = put(d, pp, N), *dpg = put(d, pg, N), *dpm = put(d, pm, N), *dpv = put(d, pv, N);
	void *dbig = put(d, big, NP), *c1 = put(d, c0, R * N), *c2 = put(d, c0, R * N);
	void *y = put(d, zeros, R * N), *xh = put(d, zeros, R * N), *is = put(d, zeros, N);
	void *mean = put(d, zeros, N), *var = put(d, zeros, N), *dgm = put(d, zeros, N), *dbt = put(d, zeros, N);
	void *yi = put(d, x0, R * N), *hy = put(d, zeros, R * NS * K), *colsum = put(d, pg, N);
	void *tg = put(d, x0, R * NT), *rs = put(d, rmean, N);
	void *dptr = put_i64(d, sptr, NS + 1), *dtb = put_i64(d, tbase, NT), *dts = put_i64(d, tstride, NT);
	void *dup = put_i64(d, uptr, NT + 1), *du = put_i64(d, use, 3 * NT);
	cp_gemm g0[2] = { { 0, 1, R, N, 0, x, N, x, N, c1, N, 1.0, 0.0 },
			  { 1, 0, R, N, 0, x, N, x, N, c2, N, 1.0, 0.5 } };
	double ss;

#define OK(call) do { if ((call) < 0) fail_msg("%s: %s", cp_backend_name(d->be), err.msg); } while (0)
	OK(cp_buffer_zero(d->be, xh, R * N * cp_precision_size(d->prec), &err));
	OK(cp_batchnorm_forward(d->be, d->prec, R, N, x, dg, dbeta, 1e-5, y, xh, is, mean, var, &err));
	OK(cp_lerp(d->be, d->prec, N, rs, var, 0.1, (double)R / (R - 1), &err));
	OK(cp_batchnorm_backward(d->be, d->prec, R, N, xh, is, dg, ddy, ddy, dgm, dbt, &err));
	OK(cp_batchnorm_inference(d->be, d->prec, R, N, yi, dg, dbeta, drm, drv, 1e-5, yi, &err));
	OK(cp_col_sum(d->be, d->prec, R, N, ddy, colsum, 1, &err));
	OK(cp_scale(d->be, d->prec, R * N, y, -0.75, &err));
	OK(cp_segment_linear_forward(d->be, d->prec, R, NS, K, dptr, y, dw, dsb, hy, &err));
	OK(cp_gather_cols_backward(d->be, d->prec, R, NT, dtb, dts, dup, du, N, ddy, tg, &err));
	OK(cp_adamw(d->be, d->prec, N, dp, dpg, 0.4, dpm, dpv, 0.01, 0.9, 0.999, 1e-8, 0.1, 3, &err));
	OK(cp_gemm_grouped(d->be, d->prec, 2, g0, &err));
	OK(cp_sum_squares(d->be, d->prec, NP, dbig, &ss, &err));
	OK(cp_backend_sync(d->be, &err));
#undef OK
	void *bufs[] = { y, xh, is, mean, var, rs, ddy, dgm, dbt, yi, colsum, hy, tg, dp, dpm, dpv, c1, c2 };
	size_t lens[] = { R * N, R * N, N, N, N, N, R * N, N, N, R * N, N, R * NS * K, R * NT, N, N, N,
			  R * N, R * N };

	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		double *h = get(d, bufs[i], lens[i]);

		memcpy(out + o, h, lens[i] * sizeof *h);
		o += lens[i];
		free(h);
	}
	out[o++] = ss / NP;
	void *all[] = { x, dg, dbeta, ddy, dw, dsb, drm, drv, dp, dpg, dpm, dpv, dbig, c1, c2, y, xh, is,
			mean, var, dgm, dbt, yi, hy, colsum, tg, rs, dptr, dtb, dts, dup, du };

	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		cp_buffer_free(d->be, all[i]);
	free(x0), free(gamma), free(beta), free(dy), free(w), free(sb), free(rmean), free(rvar);
	free(pp), free(pg), free(pm), free(pv), free(big), free(c0);
	rng = saved;
	*n_out = o;
	return out;
}

static void compare_runs(const char *what, const double *a, const double *b, size_t n, double tol)
{
	for (size_t i = 0; i < n; i++)
		if (!(fabs(a[i] - b[i]) <= tol * (1 + fabs(a[i]))))
			fail_msg("%s value %zu: cpu %g, cuda %g", what, i, a[i], b[i]);
}

static void test_cuda_ops_match_cpu(void **state)
{
	cp_error err;
	cp_backend *gpu = cp_backend_cuda(0, &err), *host;

	(void)state;
	if (!gpu) {
		printf("# SKIP CUDA: %s\n", err.msg);
		skip();
	}
	host = cpu();
	for (int p = 0; p < 2; p++) {
		dev dh = { host, p ? CP_F32 : CP_F64 }, dg = { gpu, p ? CP_F32 : CP_F64 };
		size_t nh, ng;
		double *a = run_ops(&dh, &nh), *b = run_ops(&dg, &ng);
		double tol = p ? 1e-4 : 1e-10;

		assert_int_equal(nh, ng);
		compare_runs(p ? "f32" : "f64", a, b, nh, tol);
		free(a);
		free(b);
		a = run_ops2(&dh, &nh);
		b = run_ops2(&dg, &ng);
		assert_int_equal(nh, ng);
		compare_runs(p ? "f32, second sequence" : "f64, second sequence", a, b, nh, tol);
		free(a);
		free(b);
	}
	cp_backend_free(host);
	cp_backend_free(gpu);
}

/* The CPU op sequence is itself deterministic: two runs agree bit for bit. */
static void test_ops_deterministic(void **state)
{
	cp_backend *be = cpu();
	dev d = { be, CP_F32 };
	size_t n1, n2;
	double *a, *b;

	(void)state;
	a = run_ops(&d, &n1);
	b = run_ops(&d, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1 * sizeof *a);
	free(a);
	free(b);
	a = run_ops2(&d, &n1);
	b = run_ops2(&d, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(a, b, n1 * sizeof *a);
	/* the constant column normalises to exactly zero */
	for (int r = 0; r < 12; r++)
		assert_true(a[12 * 30 + r * 30 + 4] == 0);
	free(a);
	free(b);
	cp_backend_free(be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gather_adjoint),
		cmocka_unit_test(test_batchnorm),
		cmocka_unit_test(test_segment_linear),
		cmocka_unit_test(test_masked_mse),
		cmocka_unit_test(test_adamw_and_reductions),
		cmocka_unit_test(test_ops_deterministic),
		cmocka_unit_test(test_cuda_ops_match_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
