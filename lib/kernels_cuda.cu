/*
 * kernels_cuda.cu - the CUDA backend of kernels.h (built with make CUDA=1).
 *
 * Same names, arguments and layouts as the CPU backend in kernels.c, which
 * stays the reference: tests/unit/test_kernels.c runs both on the same
 * random inputs and compares.  Row-major GEMMs map onto column-major
 * cuBLAS by computing C^T = op(B)^T op(A)^T.
 */
#include "kernels_impl.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <math.h>
#include <stdlib.h>

typedef struct cuda_state {
	int device;
	cudaStream_t stream;
	cublasHandle_t blas;
	double *partial;	/* partial sums of the reductions, kept between calls */
	size_t partial_cap;
} cuda_state;

/* A failed runtime call: its error, which is then cleared, so that the
 * next op's check does not report it again under its own name. */
static int cuda_fail(cp_error *err, const char *what, cudaError_t rc)
{
	(void)cudaGetLastError();
	return cp_error_set(err, "cuda: %s: %s", what, cudaGetErrorString(rc));
}

static int blas_fail(cp_error *err, const char *what, cublasStatus_t rc)
{
	return cp_error_set(err, "cublas: %s: status %d", what, (int)rc);
}

/* After a launch: its error, if any.  A fault inside a kernel surfaces
 * only at a later synchronisation, under that op's name; with
 * CELLPIPE_CUDA_SYNC set in the environment every op waits for its
 * kernels, so the error names the op that caused it (slower; for
 * debugging). */
static int launched(cp_error *err, const char *what)
{
	static int sync_each = -1;
	cudaError_t rc = cudaGetLastError();

	if (sync_each < 0)
		sync_each = getenv("CELLPIPE_CUDA_SYNC") != NULL;
	if (rc == cudaSuccess && sync_each)
		rc = cudaDeviceSynchronize();
	return rc == cudaSuccess ? 0 : cuda_fail(err, what, rc);
}

static unsigned grid(size_t n)
{
	return (unsigned)((n + 255) / 256);
}

static cuda_state *state(cp_backend *be)
{
	return (cuda_state *)be->impl;
}

/* A free that fails leaves its error behind: cleared, so that the next
 * op does not report it under its own name (nothing here can report it). */
static void cuda_free(void *p)
{
	if (cudaFree(p) != cudaSuccess)
		(void)cudaGetLastError();
}

static void cuda_destroy(cp_backend *be)
{
	cuda_state *s = state(be);

	if (s) {
		if (s->blas)
			cublasDestroy(s->blas);
		if (s->stream)
			cudaStreamDestroy(s->stream);
		cuda_free(s->partial);
		free(s);
	}
	free(be);
}

static void *cuda_alloc(cp_backend *be, size_t bytes, cp_error *err)
{
	void *p = NULL;
	cudaError_t rc;

	(void)be;
	rc = cudaMalloc(&p, bytes ? bytes : 1);
	if (rc != cudaSuccess) {
		cuda_fail(err, "cudaMalloc", rc);
		return NULL;
	}
	return p;
}

static void cuda_release(cp_backend *be, void *p)
{
	(void)be;
	cuda_free(p);
}

/* The caller may free or reuse src as soon as this returns, and src is
 * pageable memory, for which CUDA promises that only of the synchronous
 * copy: wait for the copy. */
static int cuda_upload(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err)
{
	cudaError_t rc = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, state(be)->stream);

	if (rc == cudaSuccess)
		rc = cudaStreamSynchronize(state(be)->stream);
	return rc == cudaSuccess ? 0 : cuda_fail(err, "upload", rc);
}

static int cuda_download(cp_backend *be, void *dst, const void *src, size_t bytes,
			 cp_error *err)
{
	cudaError_t rc = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, state(be)->stream);

	if (rc == cudaSuccess)
		rc = cudaStreamSynchronize(state(be)->stream);
	return rc == cudaSuccess ? 0 : cuda_fail(err, "download", rc);
}

static int cuda_zero(cp_backend *be, void *p, size_t bytes, cp_error *err)
{
	cudaError_t rc = cudaMemsetAsync(p, 0, bytes, state(be)->stream);

	return rc == cudaSuccess ? 0 : cuda_fail(err, "memset", rc);
}

static int cuda_sync(cp_backend *be, cp_error *err)
{
	cudaError_t rc = cudaStreamSynchronize(state(be)->stream);

	return rc == cudaSuccess ? 0 : cuda_fail(err, "synchronize", rc);
}

/* C (m x n, ldc apart) = beta C, and exactly 0 where beta is 0 (a BLAS
 * GEMM with k = 0 is not relied on to do either). */
template <typename T> __global__ void scale_c_kernel(int m, int n, T *c, int ldc, double beta)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= (size_t)m * (size_t)n)
		return;
	T *x = c + (i / (size_t)n) * (size_t)ldc + i % (size_t)n;

	*x = beta == 0 ? T(0) : (T)(*x * (T)beta);
}

static int cuda_gemm_grouped(cp_backend *be, cp_precision prec, size_t count, const cp_gemm *g,
			     cp_error *err)
{
	cuda_state *s = state(be);

	for (size_t i = 0; i < count; i++) {
		const cp_gemm *p = &g[i];
		cublasOperation_t op_a = p->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
		cublasOperation_t op_b = p->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
		cublasStatus_t rc;

		if (p->m == 0 || p->n == 0)
			continue;
		if (p->k == 0) {	/* C = beta C (0 where beta is 0), as the CPU does */
			size_t n = (size_t)p->m * (size_t)p->n;

			if (prec == CP_F64)
				scale_c_kernel<double><<<grid(n), 256, 0, s->stream>>>(
					p->m, p->n, (double *)p->c, p->ldc, p->beta);
			else
				scale_c_kernel<float><<<grid(n), 256, 0, s->stream>>>(
					p->m, p->n, (float *)p->c, p->ldc, p->beta);
			if (launched(err, "gemm") < 0)
				return -1;
			continue;
		}
		if (prec == CP_F64) {
			double alpha = p->alpha, beta = p->beta;

			rc = cublasDgemm(s->blas, op_b, op_a, p->n, p->m, p->k, &alpha,
					 (const double *)p->b, p->ldb, (const double *)p->a, p->lda,
					 &beta, (double *)p->c, p->ldc);
		} else {
			float alpha = (float)p->alpha, beta = (float)p->beta;

			rc = cublasSgemm(s->blas, op_b, op_a, p->n, p->m, p->k, &alpha,
					 (const float *)p->b, p->ldb, (const float *)p->a, p->lda,
					 &beta, (float *)p->c, p->ldc);
		}
		if (rc != CUBLAS_STATUS_SUCCESS)
			return blas_fail(err, "gemm", rc);
	}
	return launched(err, "gemm");
}

template <typename T> __global__ void tanh_forward_kernel(size_t n, const T *x, T *y)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		y[i] = tanh(x[i]);
}

template <typename T> __global__ void tanh_backward_kernel(size_t n, const T *y, const T *dy, T *dx)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		dx[i] = dy[i] * (T(1) - y[i] * y[i]);
}

static unsigned blocks_for(size_t n)
{
	return (unsigned)((n + 255) / 256);
}

static int cuda_tanh_forward(cp_backend *be, cp_precision prec, size_t n, const void *x, void *y,
			     cp_error *err)
{
	cudaStream_t st = state(be)->stream;

	if (n == 0)
		return 0;
	if (prec == CP_F64)
		tanh_forward_kernel<double><<<blocks_for(n), 256, 0, st>>>(n, (const double *)x,
									   (double *)y);
	else
		tanh_forward_kernel<float><<<blocks_for(n), 256, 0, st>>>(n, (const float *)x,
									  (float *)y);
	return launched(err, "tanh_forward");
}

static int cuda_tanh_backward(cp_backend *be, cp_precision prec, size_t n, const void *y,
			      const void *dy, void *dx, cp_error *err)
{
	cudaStream_t st = state(be)->stream;

	if (n == 0)
		return 0;
	if (prec == CP_F64)
		tanh_backward_kernel<double><<<blocks_for(n), 256, 0, st>>>(
			n, (const double *)y, (const double *)dy, (double *)dx);
	else
		tanh_backward_kernel<float><<<blocks_for(n), 256, 0, st>>>(
			n, (const float *)y, (const float *)dy, (float *)dx);
	return launched(err, "tanh_backward");
}


/* ---- stratum-batched network ops: one thread per output element or column,
 * fixed summation order so results do not depend on scheduling. ---- */


template <typename T>
__global__ void gather_cols_kernel(size_t rows, size_t n, const int64_t *base, const int64_t *stride,
				   const T *src, T *dst)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= rows * n)
		return;
	size_t b = i / n, j = i % n;

	dst[i] = base[j] < 0 ? T(0) : src[base[j] + (int64_t)b * stride[j]];
}

template <typename T>
__global__ void gather_back_kernel(size_t rows, size_t nt, const int64_t *tbase, const int64_t *tstride,
				   const int64_t *ptr, const int64_t *use, size_t n_src, const T *src,
				   T *dst)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= rows * nt)
		return;
	size_t b = i / nt, c = i % nt;

	if (ptr[c] == ptr[c + 1])
		return;
	double sum = 0;

	for (int64_t k = ptr[c]; k < ptr[c + 1]; k++)
		sum += src[b * n_src + use[k]];
	dst[tbase[c] + (int64_t)b * tstride[c]] += (T)sum;
}

template <typename T> __global__ void add_row_kernel(size_t rows, size_t cols, T *x, const T *v)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < rows * cols)
		x[i] += v[i % cols];
}

template <typename T>
__global__ void col_sum_kernel(size_t rows, size_t cols, const T *x, T *out, int accumulate)
{
	size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (j >= cols)
		return;
	double s = 0;

	for (size_t b = 0; b < rows; b++)
		s += x[b * cols + j];
	out[j] = (T)((accumulate ? (double)out[j] : 0.0) + s);
}

template <typename T>
__global__ void bn_forward_kernel(size_t rows, size_t cols, const T *x, const T *gamma, const T *beta,
				  double eps, T *y, T *xhat, T *invstd, T *mean, T *var)
{
	size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (j >= cols)
		return;
	double sum = 0, sq = 0;
	int constant = 1;

	for (size_t b = 0; b < rows; b++) {
		sum += x[b * cols + j];
		if (x[b * cols + j] != x[j])
			constant = 0;
	}
	double m = constant ? (double)x[j] : sum / (double)rows;

	for (size_t b = 0; b < rows; b++) {
		double d = x[b * cols + j] - m;

		sq += d * d;
	}
	double v = constant ? 0.0 : sq / (double)rows;
	T is = (T)(1.0 / sqrt(v + eps));

	mean[j] = (T)m;
	var[j] = (T)v;
	invstd[j] = is;
	for (size_t b = 0; b < rows; b++) {
		size_t i = b * cols + j;
		T h = constant ? T(0) : (T)((x[i] - m) * (double)is);

		xhat[i] = h;
		y[i] = gamma[j] * h + beta[j];
	}
}

template <typename T>
__global__ void bn_inference_kernel(size_t rows, size_t cols, const T *x, const T *gamma, const T *beta,
				    const T *rmean, const T *rvar, double eps, T *y)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= rows * cols)
		return;
	size_t j = i % cols;

	y[i] = (T)(gamma[j] * (x[i] - rmean[j]) / sqrt((double)rvar[j] + eps) + beta[j]);
}

template <typename T>
__global__ void bn_backward_kernel(size_t rows, size_t cols, const T *xhat, const T *invstd,
				   const T *gamma, const T *dy, T *dx, T *dgamma, T *dbeta)
{
	size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (j >= cols)
		return;
	double sdy = 0, sdyx = 0;

	for (size_t b = 0; b < rows; b++) {
		sdy += dy[b * cols + j];
		sdyx += (double)dy[b * cols + j] * xhat[b * cols + j];
	}
	double k = (double)gamma[j] * invstd[j] / (double)rows;

	for (size_t b = 0; b < rows; b++) {
		size_t i = b * cols + j;

		dx[i] = (T)(k * ((double)rows * dy[i] - sdy - xhat[i] * sdyx));
	}
	dgamma[j] += (T)sdyx;
	dbeta[j] += (T)sdy;
}

template <typename T>
__global__ void lerp_kernel(size_t n, T *r, const T *v, double momentum, double v_scale)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		r[i] = (T)((1.0 - momentum) * r[i] + momentum * v_scale * v[i]);
}

__device__ size_t segment_of(const int64_t *ptr, size_t nseg, int64_t j)
{
	size_t lo = 0, hi = nseg;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (ptr[mid] <= j)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

template <typename T>
__global__ void seg_forward_kernel(size_t rows, size_t nseg, size_t K, const int64_t *ptr, const T *x,
				   const T *w, const T *bias, T *y)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= rows * nseg * K)
		return;
	size_t k = i % K, s = (i / K) % nseg, b = i / (K * nseg), W = (size_t)ptr[nseg];
	double sum = bias[s * K + k];

	for (int64_t j = ptr[s]; j < ptr[s + 1]; j++)
		sum += (double)x[b * W + (size_t)j] * w[k * W + (size_t)j];
	y[i] = (T)sum;
}

template <typename T>
__global__ void seg_backward_dx_kernel(size_t rows, size_t nseg, size_t K, const int64_t *ptr,
				       const T *w, const T *dy, T *dx)
{
	size_t W = (size_t)ptr[nseg];
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= rows * W)
		return;
	size_t b = i / W, j = i % W, s = segment_of(ptr, nseg, (int64_t)j);
	double sum = 0;

	for (size_t k = 0; k < K; k++) {
		T g = dy[(b * nseg + s) * K + k];

		if (g != 0)	/* as the CPU: a zero gradient meets no Inf or NaN */
			sum += (double)g * w[k * W + j];
	}
	dx[i] += (T)sum;
}

template <typename T>
__global__ void seg_backward_dw_kernel(size_t rows, size_t nseg, size_t K, const int64_t *ptr,
				       const T *x, const T *dy, T *dw)
{
	size_t W = (size_t)ptr[nseg];
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= K * W)
		return;
	size_t k = i / W, j = i % W, s = segment_of(ptr, nseg, (int64_t)j);
	double sum = 0;

	for (size_t b = 0; b < rows; b++) {
		T g = dy[(b * nseg + s) * K + k];

		if (g != 0)
			sum += (double)g * x[b * W + j];
	}
	dw[i] += (T)sum;
}

template <typename T>
__global__ void seg_backward_db_kernel(size_t rows, size_t nseg, size_t K, const T *dy, T *dbias)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= nseg * K)
		return;
	double sum = 0;

	for (size_t b = 0; b < rows; b++)
		sum += dy[b * nseg * K + i];
	dbias[i] += (T)sum;
}

template <typename T>
__global__ void mse_kernel(size_t rows, size_t nseg, size_t K, const T *pred, const T *target,
			   double scale, T *grad, double *partial)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= nseg * K)
		return;
	size_t k = i % K;
	double count = 0, total = 0;

	for (size_t b = 0; b < rows; b++)
		if (!isnan((double)target[b * K + k]))
			count += 1;
	for (size_t b = 0; b < rows; b++) {
		size_t e = b * nseg * K + i;
		T t = target[b * K + k];

		if (isnan((double)t)) {
			grad[e] = T(0);
			continue;
		}
		double d = (double)pred[e] - t;

		total += d * d / count;
		grad[e] = (T)(2.0 * scale * d / count);
	}
	partial[i] = total;
}

/* partial[i] = the sum of squares of chunk i, for i < parts (the grid
 * rounds the thread count up: the threads past parts write nothing). */
template <typename T>
__global__ void sumsq_kernel(size_t n, const T *x, double *partial, size_t parts)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	double s = 0;

	if (i >= parts)
		return;
	/* strided, so that a warp's threads read neighbouring elements */
	for (size_t k = i; k < n; k += parts)
		s += (double)x[k] * x[k];
	partial[i] = s;
}

template <typename T> __global__ void scale_kernel(size_t n, T *x, double alpha)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		x[i] = (T)(x[i] * alpha);
}

template <typename T>
__global__ void adamw_kernel(size_t n, T *p, const T *g, double gscale, T *m, T *v, double lr,
			     double beta1, double beta2, double eps, double wd, double c1, double c2)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;

	if (i >= n)
		return;
	double gi = gscale * (double)g[i];
	double mi = beta1 * m[i] + (1.0 - beta1) * gi;
	double vi = beta2 * v[i] + (1.0 - beta2) * gi * gi;

	m[i] = (T)mi;
	v[i] = (T)vi;
	p[i] = (T)(p[i] - lr * ((mi / c1) / (sqrt(vi / c2) + eps) + wd * p[i]));
}

/* Each op: a template body for one element type, and the entry point that
 * picks float or double. */
#define BY_PRECISION(body_f64, body_f32) \
	do {                             \
		if (prec == CP_F64)      \
			body_f64;        \
		else                     \
			body_f32;        \
	} while (0)

template <typename T>
static void gather_cols_t(cudaStream_t st, size_t rows, size_t n, const int64_t *base,
			  const int64_t *stride, const void *src, void *dst)
{
	gather_cols_kernel<T><<<grid(rows * n), 256, 0, st>>>(rows, n, base, stride, (const T *)src,
							      (T *)dst);
}

static int cuda_gather_cols(cp_backend *be, cp_precision prec, size_t rows, size_t n,
			    const int64_t *base, const int64_t *stride, const void *src, void *dst,
			    cp_error *err)
{
	if (rows * n == 0)
		return 0;
	BY_PRECISION(gather_cols_t<double>(state(be)->stream, rows, n, base, stride, src, dst),
		     gather_cols_t<float>(state(be)->stream, rows, n, base, stride, src, dst));
	return launched(err, "gather_cols");
}

template <typename T>
static void gather_back_t(cudaStream_t st, size_t rows, size_t nt, const int64_t *tbase,
			  const int64_t *tstride, const int64_t *ptr, const int64_t *use, size_t n_src,
			  const void *src, void *dst)
{
	gather_back_kernel<T><<<grid(rows * nt), 256, 0, st>>>(rows, nt, tbase, tstride, ptr, use,
							       n_src, (const T *)src, (T *)dst);
}

static int cuda_gather_cols_backward(cp_backend *be, cp_precision prec, size_t rows,
				     size_t n_targets, const int64_t *tbase, const int64_t *tstride,
				     const int64_t *ptr, const int64_t *use, size_t n_src,
				     const void *src, void *dst, cp_error *err)
{
	if (rows * n_targets == 0)
		return 0;
	BY_PRECISION(gather_back_t<double>(state(be)->stream, rows, n_targets, tbase, tstride, ptr,
					   use, n_src, src, dst),
		     gather_back_t<float>(state(be)->stream, rows, n_targets, tbase, tstride, ptr, use,
					  n_src, src, dst));
	return launched(err, "gather_cols_backward");
}

template <typename T>
static void add_row_t(cudaStream_t st, size_t rows, size_t cols, void *x, const void *v)
{
	add_row_kernel<T><<<grid(rows * cols), 256, 0, st>>>(rows, cols, (T *)x, (const T *)v);
}

static int cuda_add_row_vector(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			       void *x, const void *v, cp_error *err)
{
	if (rows * cols == 0)
		return 0;
	BY_PRECISION(add_row_t<double>(state(be)->stream, rows, cols, x, v),
		     add_row_t<float>(state(be)->stream, rows, cols, x, v));
	return launched(err, "add_row_vector");
}

template <typename T>
static void col_sum_t(cudaStream_t st, size_t rows, size_t cols, const void *x, void *out, int acc)
{
	col_sum_kernel<T><<<grid(cols), 256, 0, st>>>(rows, cols, (const T *)x, (T *)out, acc);
}

static int cuda_col_sum(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			const void *x, void *out, int accumulate, cp_error *err)
{
	if (cols == 0)
		return 0;
	BY_PRECISION(col_sum_t<double>(state(be)->stream, rows, cols, x, out, accumulate),
		     col_sum_t<float>(state(be)->stream, rows, cols, x, out, accumulate));
	return launched(err, "col_sum");
}

template <typename T>
static void bn_forward_t(cudaStream_t st, size_t rows, size_t cols, const void *x, const void *gamma,
			 const void *beta, double eps, void *y, void *xhat, void *invstd, void *mean,
			 void *var)
{
	bn_forward_kernel<T><<<grid(cols), 256, 0, st>>>(rows, cols, (const T *)x, (const T *)gamma,
							 (const T *)beta, eps, (T *)y, (T *)xhat,
							 (T *)invstd, (T *)mean, (T *)var);
}

static int cuda_batchnorm_forward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				  const void *x, const void *gamma, const void *beta, double eps,
				  void *y, void *xhat, void *invstd, void *mean, void *var,
				  cp_error *err)
{
	if (cols == 0)
		return 0;
	BY_PRECISION(bn_forward_t<double>(state(be)->stream, rows, cols, x, gamma, beta, eps, y, xhat,
					  invstd, mean, var),
		     bn_forward_t<float>(state(be)->stream, rows, cols, x, gamma, beta, eps, y, xhat,
					 invstd, mean, var));
	return launched(err, "batchnorm_forward");
}

template <typename T>
static void bn_inference_t(cudaStream_t st, size_t rows, size_t cols, const void *x,
			   const void *gamma, const void *beta, const void *rmean, const void *rvar,
			   double eps, void *y)
{
	bn_inference_kernel<T><<<grid(rows * cols), 256, 0, st>>>(
		rows, cols, (const T *)x, (const T *)gamma, (const T *)beta, (const T *)rmean,
		(const T *)rvar, eps, (T *)y);
}

static int cuda_batchnorm_inference(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				    const void *x, const void *gamma, const void *beta,
				    const void *rmean, const void *rvar, double eps, void *y,
				    cp_error *err)
{
	if (rows * cols == 0)
		return 0;
	BY_PRECISION(bn_inference_t<double>(state(be)->stream, rows, cols, x, gamma, beta, rmean, rvar,
					    eps, y),
		     bn_inference_t<float>(state(be)->stream, rows, cols, x, gamma, beta, rmean, rvar,
					   eps, y));
	return launched(err, "batchnorm_inference");
}

template <typename T>
static void bn_backward_t(cudaStream_t st, size_t rows, size_t cols, const void *xhat,
			  const void *invstd, const void *gamma, const void *dy, void *dx, void *dgamma,
			  void *dbeta)
{
	bn_backward_kernel<T><<<grid(cols), 256, 0, st>>>(rows, cols, (const T *)xhat,
							  (const T *)invstd, (const T *)gamma,
							  (const T *)dy, (T *)dx, (T *)dgamma,
							  (T *)dbeta);
}

static int cuda_batchnorm_backward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				   const void *xhat, const void *invstd, const void *gamma,
				   const void *dy, void *dx, void *dgamma, void *dbeta, cp_error *err)
{
	if (cols == 0)
		return 0;
	BY_PRECISION(bn_backward_t<double>(state(be)->stream, rows, cols, xhat, invstd, gamma, dy, dx,
					   dgamma, dbeta),
		     bn_backward_t<float>(state(be)->stream, rows, cols, xhat, invstd, gamma, dy, dx,
					  dgamma, dbeta));
	return launched(err, "batchnorm_backward");
}

template <typename T>
static void lerp_t(cudaStream_t st, size_t n, void *r, const void *v, double momentum, double vs)
{
	lerp_kernel<T><<<grid(n), 256, 0, st>>>(n, (T *)r, (const T *)v, momentum, vs);
}

static int cuda_lerp(cp_backend *be, cp_precision prec, size_t n, void *r, const void *v,
		     double momentum, double v_scale, cp_error *err)
{
	if (n == 0)
		return 0;
	BY_PRECISION(lerp_t<double>(state(be)->stream, n, r, v, momentum, v_scale),
		     lerp_t<float>(state(be)->stream, n, r, v, momentum, v_scale));
	return launched(err, "lerp");
}

template <typename T>
static void seg_forward_t(cudaStream_t st, size_t rows, size_t nseg, size_t K, const int64_t *ptr,
			  const void *x, const void *w, const void *bias, void *y)
{
	seg_forward_kernel<T><<<grid(rows * nseg * K), 256, 0, st>>>(
		rows, nseg, K, ptr, (const T *)x, (const T *)w, (const T *)bias, (T *)y);
}

static int cuda_segment_linear_forward(cp_backend *be, cp_precision prec, size_t rows,
				       size_t nseg, size_t K, const int64_t *ptr, const void *x,
				       const void *w, const void *bias, void *y, cp_error *err)
{
	if (rows * nseg * K == 0)
		return 0;
	BY_PRECISION(seg_forward_t<double>(state(be)->stream, rows, nseg, K, ptr, x, w, bias, y),
		     seg_forward_t<float>(state(be)->stream, rows, nseg, K, ptr, x, w, bias, y));
	return launched(err, "segment_linear_forward");
}

template <typename T>
static int seg_backward_t(cp_backend *be, size_t rows, size_t nseg, size_t K, const int64_t *ptr,
			  const void *x, const void *w, const void *dy, void *dx, void *dw,
			  void *dbias, cp_error *err)
{
	cudaStream_t st = state(be)->stream;
	int64_t W = 0;
	cudaError_t rc = cudaMemcpyAsync(&W, ptr + nseg, sizeof W, cudaMemcpyDeviceToHost, st);

	if (rc == cudaSuccess)
		rc = cudaStreamSynchronize(st);
	if (rc != cudaSuccess)
		return cuda_fail(err, "segment_linear_backward", rc);
	if (rows > 0 && W > 0)
		seg_backward_dx_kernel<T><<<grid(rows * (size_t)W), 256, 0, st>>>(
			rows, nseg, K, ptr, (const T *)w, (const T *)dy, (T *)dx);
	if (K > 0 && W > 0)
		seg_backward_dw_kernel<T><<<grid(K * (size_t)W), 256, 0, st>>>(
			rows, nseg, K, ptr, (const T *)x, (const T *)dy, (T *)dw);
	seg_backward_db_kernel<T><<<grid(nseg * K), 256, 0, st>>>(rows, nseg, K, (const T *)dy,
								  (T *)dbias);
	return launched(err, "segment_linear_backward");
}

static int cuda_segment_linear_backward(cp_backend *be, cp_precision prec, size_t rows,
					size_t nseg, size_t K, const int64_t *ptr, const void *x,
					const void *w, const void *dy, void *dx, void *dw,
					void *dbias, cp_error *err)
{
	if (nseg * K == 0)
		return 0;
	if (prec == CP_F64)
		return seg_backward_t<double>(be, rows, nseg, K, ptr, x, w, dy, dx, dw, dbias, err);
	return seg_backward_t<float>(be, rows, nseg, K, ptr, x, w, dy, dx, dw, dbias, err);
}

/* Room for n partial sums on the device (allocating and freeing on every
 * call would synchronise the device each training step). */
static double *partials(cp_backend *be, size_t n, cp_error *err)
{
	cuda_state *s = state(be);
	cudaError_t rc;

	if (n <= s->partial_cap)
		return s->partial;
	cuda_free(s->partial);
	s->partial = NULL, s->partial_cap = 0;
	rc = cudaMalloc(&s->partial, n * sizeof *s->partial);
	if (rc != cudaSuccess) {
		s->partial = NULL;
		cuda_fail(err, "partial sums", rc);
		return NULL;
	}
	s->partial_cap = n;
	return s->partial;
}

/* Per-block partial sums come back to the host and are added there in a
 * fixed order, so the total does not depend on scheduling. */
static int host_total(cp_backend *be, const double *partial, size_t n, double *out, cp_error *err)
{
	double *h = (double *)malloc((n ? n : 1) * sizeof *h);
	cudaError_t rc;

	if (!h)
		return cp_error_set(err, "out of memory");
	rc = cudaMemcpyAsync(h, partial, n * sizeof *h, cudaMemcpyDeviceToHost, state(be)->stream);
	if (rc == cudaSuccess)
		rc = cudaStreamSynchronize(state(be)->stream);
	if (rc != cudaSuccess) {
		free(h);
		return cuda_fail(err, "download partial sums", rc);
	}
	*out = 0;
	for (size_t i = 0; i < n; i++)
		*out += h[i];
	free(h);
	return 0;
}

static int cuda_masked_mse(cp_backend *be, cp_precision prec, size_t rows, size_t nseg, size_t K,
			   const void *pred, const void *target, double scale, void *grad,
			   double *loss, cp_error *err)
{
	size_t n = nseg * K;
	double *partial;
	int result;

	*loss = 0;
	if (n == 0)
		return 0;
	if (!(partial = partials(be, n, err)))
		return -1;
	if (prec == CP_F64)
		mse_kernel<double><<<grid(n), 256, 0, state(be)->stream>>>(
			rows, nseg, K, (const double *)pred, (const double *)target, scale, (double *)grad,
			partial);
	else
		mse_kernel<float><<<grid(n), 256, 0, state(be)->stream>>>(
			rows, nseg, K, (const float *)pred, (const float *)target, scale, (float *)grad,
			partial);
	result = launched(err, "masked_mse");
	if (result == 0)
		result = host_total(be, partial, n, loss, err);
	*loss *= scale;
	return result;
}

static int cuda_sum_squares(cp_backend *be, cp_precision prec, size_t n, const void *x,
			    double *out, cp_error *err)
{
	/* about 4,096 elements a thread, a fixed order for each n */
	size_t parts = (n + 4095) / 4096;
	double *partial;
	int result;

	*out = 0;
	if (n == 0)
		return 0;
	if (!(partial = partials(be, parts, err)))
		return -1;
	if (prec == CP_F64)
		sumsq_kernel<double><<<grid(parts), 256, 0, state(be)->stream>>>(n, (const double *)x, partial,
										  parts);
	else
		sumsq_kernel<float><<<grid(parts), 256, 0, state(be)->stream>>>(n, (const float *)x, partial,
										 parts);
	result = launched(err, "sum_squares");
	if (result == 0)
		result = host_total(be, partial, parts, out, err);
	return result;
}

static int cuda_scale(cp_backend *be, cp_precision prec, size_t n, void *x, double alpha,
		      cp_error *err)
{
	if (n == 0)
		return 0;
	if (prec == CP_F64)
		scale_kernel<double><<<grid(n), 256, 0, state(be)->stream>>>(n, (double *)x, alpha);
	else
		scale_kernel<float><<<grid(n), 256, 0, state(be)->stream>>>(n, (float *)x, alpha);
	return launched(err, "scale");
}

static int cuda_adamw(cp_backend *be, cp_precision prec, size_t n, void *p, const void *g,
		      double gscale, void *m, void *v, double lr, double beta1, double beta2, double eps,
		      double wd, long t, cp_error *err)
{
	double c1 = 1.0 - pow(beta1, (double)t), c2 = 1.0 - pow(beta2, (double)t);

	if (n == 0)
		return 0;
	if (prec == CP_F64)
		adamw_kernel<double><<<grid(n), 256, 0, state(be)->stream>>>(
			n, (double *)p, (const double *)g, gscale, (double *)m, (double *)v, lr, beta1,
			beta2, eps, wd, c1, c2);
	else
		adamw_kernel<float><<<grid(n), 256, 0, state(be)->stream>>>(
			n, (float *)p, (const float *)g, gscale, (float *)m, (float *)v, lr, beta1, beta2,
			eps, wd, c1, c2);
	return launched(err, "adamw");
}

static const cp_backend_ops cuda_ops = {
	"cuda",
	0,
	cuda_destroy,
	cuda_alloc,
	cuda_release,
	cuda_upload,
	cuda_download,
	cuda_zero,
	cuda_sync,
	cuda_gemm_grouped,
	cuda_tanh_forward,
	cuda_tanh_backward,
	cuda_gather_cols,
	cuda_gather_cols_backward,
	cuda_add_row_vector,
	cuda_col_sum,
	cuda_batchnorm_forward,
	cuda_batchnorm_inference,
	cuda_batchnorm_backward,
	cuda_lerp,
	cuda_segment_linear_forward,
	cuda_segment_linear_backward,
	cuda_masked_mse,
	cuda_sum_squares,
	cuda_scale,
	cuda_adamw,
};

extern "C" cp_backend *cp_cuda_backend_create(int device, cp_error *err)
{
	int n = 0;
	cudaError_t rc = cudaGetDeviceCount(&n);
	cp_backend *be;
	cuda_state *s;

	if (rc != cudaSuccess || n == 0) {
		cp_error_set(err, "no CUDA device present%s%s", rc != cudaSuccess ? ": " : "",
			     rc != cudaSuccess ? cudaGetErrorString(rc) : "");
		return NULL;
	}
	if (device < 0 || device >= n) {
		cp_error_set(err, "CUDA device %d does not exist (%d present)", device, n);
		return NULL;
	}
	be = (cp_backend *)calloc(1, sizeof *be);
	s = (cuda_state *)calloc(1, sizeof *s);
	if (!be || !s) {
		free(be);
		free(s);
		cp_error_set(err, "out of memory");
		return NULL;
	}
	be->ops = &cuda_ops;
	be->impl = s;
	s->device = device;
	rc = cudaSetDevice(device);
	if (rc == cudaSuccess)
		rc = cudaStreamCreate(&s->stream);
	if (rc != cudaSuccess) {
		cuda_fail(err, "init", rc);
		cuda_destroy(be);
		return NULL;
	}
	cublasStatus_t brc = cublasCreate(&s->blas);

	if (brc == CUBLAS_STATUS_SUCCESS)
		brc = cublasSetStream(s->blas, s->stream);
	if (brc == CUBLAS_STATUS_SUCCESS)
		brc = cublasSetMathMode(s->blas, CUBLAS_PEDANTIC_MATH);
	if (brc != CUBLAS_STATUS_SUCCESS) {
		blas_fail(err, "init", brc);
		cuda_destroy(be);
		return NULL;
	}
	return be;
}
