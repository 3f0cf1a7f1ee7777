/*
 * kernels_cpu_tmpl.h - the CPU reference kernels for one precision.
 * Private: included twice by kernels.c with REAL (float or double) and
 * FN(name) (name##_f32 or name##_f64) defined.  Plain loops, written for
 * clarity; sums are accumulated in double.
 */

static void FN(gather_cols)(size_t rows, size_t n, const int64_t *base, const int64_t *stride,
			    const REAL *src, REAL *dst)
{
	for (size_t b = 0; b < rows; b++) {
		REAL *d = dst + b * n;

		for (size_t j = 0; j < n; j++)
			d[j] = base[j] < 0 ? (REAL)0 : src[base[j] + (int64_t)b * stride[j]];
	}
}

static void FN(gather_cols_backward)(size_t rows, size_t n_targets, const int64_t *tbase,
				     const int64_t *tstride, const int64_t *ptr, const int64_t *use,
				     size_t n_src, const REAL *src, REAL *dst)
{
	for (size_t b = 0; b < rows; b++) {
		const REAL *s = src + b * n_src;

		for (size_t c = 0; c < n_targets; c++) {
			double sum = 0;

			if (ptr[c] == ptr[c + 1])
				continue;
			for (int64_t k = ptr[c]; k < ptr[c + 1]; k++)
				sum += s[use[k]];
			dst[tbase[c] + (int64_t)b * tstride[c]] += (REAL)sum;
		}
	}
}

static void FN(add_row_vector)(size_t rows, size_t cols, REAL *x, const REAL *v)
{
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++)
			x[b * cols + j] += v[j];
}

static int FN(col_sum)(size_t rows, size_t cols, const REAL *x, REAL *out, int accumulate,
		       cp_error *err)
{
	double *acc = cp_calloc(cols ? cols : 1, sizeof *acc, err);

	if (!acc)
		return -1;
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++)
			acc[j] += x[b * cols + j];
	for (size_t j = 0; j < cols; j++)
		out[j] = (REAL)((accumulate ? out[j] : 0) + acc[j]);
	free(acc);
	return 0;
}

static int FN(batchnorm_forward)(size_t rows, size_t cols, const REAL *x, const REAL *gamma,
				 const REAL *beta, double eps, REAL *y, REAL *xhat, REAL *invstd,
				 REAL *mean, REAL *var, cp_error *err)
{
	double *sum = cp_calloc(cols ? 2 * cols : 1, sizeof *sum, err), *sq;
	uint8_t *constant = cp_malloc(cols ? cols : 1, 1, err);

	if (!sum || !constant) {
		free(sum);
		free(constant);
		return -1;
	}
	sq = sum + cols;
	memset(constant, 1, cols);
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++) {
			sum[j] += x[b * cols + j];
			if (x[b * cols + j] != x[j])
				constant[j] = 0;
		}
	for (size_t j = 0; j < cols; j++)
		sum[j] = constant[j] ? (double)x[j] : sum[j] / (double)rows;
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++) {
			double d = x[b * cols + j] - sum[j];

			sq[j] += d * d;
		}
	for (size_t j = 0; j < cols; j++) {
		double v = constant[j] ? 0.0 : sq[j] / (double)rows;

		mean[j] = (REAL)sum[j];
		var[j] = (REAL)v;
		invstd[j] = (REAL)(1.0 / sqrt(v + eps));
	}
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++) {
			size_t i = b * cols + j;
			REAL h = constant[j] ? (REAL)0 : (REAL)((x[i] - sum[j]) * (double)invstd[j]);

			xhat[i] = h;
			y[i] = gamma[j] * h + beta[j];
		}
	free(sum);
	free(constant);
	return 0;
}

static void FN(batchnorm_inference)(size_t rows, size_t cols, const REAL *x, const REAL *gamma,
				    const REAL *beta, const REAL *rmean, const REAL *rvar,
				    double eps, REAL *y)
{
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++) {
			size_t i = b * cols + j;

			y[i] = (REAL)(gamma[j] * (x[i] - rmean[j]) / sqrt((double)rvar[j] + eps) + beta[j]);
		}
}

static int FN(batchnorm_backward)(size_t rows, size_t cols, const REAL *xhat, const REAL *invstd,
				  const REAL *gamma, const REAL *dy, REAL *dx, REAL *dgamma,
				  REAL *dbeta, cp_error *err)
{
	double *sdy = cp_calloc(cols ? 2 * cols : 1, sizeof *sdy, err), *sdyx;

	if (!sdy)
		return -1;
	sdyx = sdy + cols;
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++) {
			size_t i = b * cols + j;

			sdy[j] += dy[i];
			sdyx[j] += (double)dy[i] * xhat[i];
		}
	for (size_t b = 0; b < rows; b++)
		for (size_t j = 0; j < cols; j++) {
			size_t i = b * cols + j;
			double k = (double)gamma[j] * invstd[j] / (double)rows;

			dx[i] = (REAL)(k * ((double)rows * dy[i] - sdy[j] - xhat[i] * sdyx[j]));
		}
	for (size_t j = 0; j < cols; j++) {
		dgamma[j] += (REAL)sdyx[j];
		dbeta[j] += (REAL)sdy[j];
	}
	free(sdy);
	return 0;
}

static void FN(lerp)(size_t n, REAL *r, const REAL *v, double momentum, double v_scale)
{
	for (size_t i = 0; i < n; i++)
		r[i] = (REAL)((1.0 - momentum) * r[i] + momentum * v_scale * v[i]);
}

static void FN(segment_linear_forward)(size_t rows, size_t nseg, size_t K, const int64_t *ptr,
				       const REAL *x, const REAL *w, const REAL *bias, REAL *y)
{
	size_t W = (size_t)ptr[nseg];

	for (size_t b = 0; b < rows; b++)
		for (size_t s = 0; s < nseg; s++)
			for (size_t k = 0; k < K; k++) {
				double sum = bias[s * K + k];

				for (int64_t j = ptr[s]; j < ptr[s + 1]; j++)
					sum += (double)x[b * W + (size_t)j] * w[k * W + (size_t)j];
				y[(b * nseg + s) * K + k] = (REAL)sum;
			}
}

static void FN(segment_linear_backward)(size_t rows, size_t nseg, size_t K, const int64_t *ptr,
					const REAL *x, const REAL *w, const REAL *dy, REAL *dx,
					REAL *dw, REAL *dbias)
{
	size_t W = (size_t)ptr[nseg];

	for (size_t b = 0; b < rows; b++)
		for (size_t s = 0; s < nseg; s++)
			for (size_t k = 0; k < K; k++) {
				REAL g = dy[(b * nseg + s) * K + k];

				if (g == 0)
					continue;
				dbias[s * K + k] += g;
				for (int64_t j = ptr[s]; j < ptr[s + 1]; j++) {
					dx[b * W + (size_t)j] += g * w[k * W + (size_t)j];
					dw[k * W + (size_t)j] += g * x[b * W + (size_t)j];
				}
			}
}

static int FN(masked_mse)(size_t rows, size_t nseg, size_t K, const REAL *pred, const REAL *target,
			  double scale, REAL *grad, double *loss, cp_error *err)
{
	size_t *count = cp_calloc(K ? K : 1, sizeof *count, err);
	double total = 0;

	if (!count)
		return -1;
	for (size_t b = 0; b < rows; b++)
		for (size_t k = 0; k < K; k++)
			if (!isnan(target[b * K + k]))
				count[k]++;
	for (size_t b = 0; b < rows; b++)
		for (size_t s = 0; s < nseg; s++)
			for (size_t k = 0; k < K; k++) {
				size_t i = (b * nseg + s) * K + k;
				REAL t = target[b * K + k];

				if (isnan(t)) {
					grad[i] = 0;
					continue;
				}
				double d = (double)pred[i] - t;

				total += d * d / (double)count[k];
				grad[i] = (REAL)(2.0 * scale * d / (double)count[k]);
			}
	*loss = scale * total;
	free(count);
	return 0;
}


static void FN(scale)(size_t n, REAL *x, double alpha)
{
#pragma omp simd
	for (size_t i = 0; i < n; i++)
		x[i] = (REAL)(x[i] * alpha);
}

CP_CLONES static void FN(adamw)(size_t n, REAL *p, const REAL *g, double gscale, REAL *m, REAL *v, double lr,
		      double beta1, double beta2, double eps, double wd, long t)
{
	/* in the working precision, so the loop vectorises */
	const REAL b1 = (REAL)beta1, b2 = (REAL)beta2;
	const REAL a1 = (REAL)((1.0 - beta1) * gscale), a2 = (REAL)((1.0 - beta2) * gscale * gscale);
	const REAL ic1 = (REAL)(1.0 / (1.0 - pow(beta1, (double)t)));
	const REAL ic2 = (REAL)(1.0 / (1.0 - pow(beta2, (double)t)));
	const REAL step = (REAL)lr, decay = (REAL)(lr * wd), e = (REAL)eps;

#pragma omp simd
	for (size_t i = 0; i < n; i++) {
		REAL mi = b1 * m[i] + a1 * g[i];
		REAL vi = b2 * v[i] + a2 * g[i] * g[i];

		m[i] = mi;
		v[i] = vi;
		p[i] = p[i] - step * (mi * ic1) / (SQRT(vi * ic2) + e) - decay * p[i];
	}
}
