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

#include <stdlib.h>

typedef struct cuda_state {
	int device;
	cudaStream_t stream;
	cublasHandle_t blas;
} cuda_state;

static int cuda_fail(cp_error *err, const char *what, cudaError_t rc)
{
	return cp_error_set(err, "cuda: %s: %s", what, cudaGetErrorString(rc));
}

static int blas_fail(cp_error *err, const char *what, cublasStatus_t rc)
{
	return cp_error_set(err, "cublas: %s: status %d", what, (int)rc);
}

static cuda_state *state(cp_backend *be)
{
	return (cuda_state *)be->impl;
}

static void cuda_destroy(cp_backend *be)
{
	cuda_state *s = state(be);

	if (s) {
		if (s->blas)
			cublasDestroy(s->blas);
		if (s->stream)
			cudaStreamDestroy(s->stream);
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
	cudaFree(p);
}

static int cuda_upload(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err)
{
	cudaError_t rc = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, state(be)->stream);

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
	return 0;
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
	cudaError_t rc = cudaGetLastError();

	return rc == cudaSuccess ? 0 : cuda_fail(err, "tanh_forward", rc);
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
	cudaError_t rc = cudaGetLastError();

	return rc == cudaSuccess ? 0 : cuda_fail(err, "tanh_backward", rc);
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
