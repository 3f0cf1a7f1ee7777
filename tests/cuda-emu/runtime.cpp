/*
 * runtime.cpp - the emulated CUDA runtime and cuBLAS (tests/cuda-emu; see
 * cuda_runtime.h).  One device, one thread of control.
 */
#include <cmath>
#include "cublas_v2.h"

#include <cstring>

thread_local emu_dim3 blockIdx, threadIdx, blockDim, gridDim;

static cudaError_t last_error = cudaSuccess;
static int stream_obj, blas_obj;
static cudaStream_t blas_stream;

static void die(const char *what)
{
	fprintf(stderr, "cuda-emu: %s\n", what);
	abort();
}

void emu_check_launch(const emu_config &c)
{
	if (c.stream == nullptr)
		die("a launch on the default stream (the backend uses its own)");
	if (c.grid == 0 || c.grid > 0x7fffffffUL || c.block == 0 || c.block > 1024)
		die("a launch configuration CUDA refuses (grid 1 to 2^31 - 1, block 1 to 1024)");
}

const char *cudaGetErrorString(cudaError_t rc)
{
	return rc == cudaSuccess ? "no error" : rc == cudaErrorMemoryAllocation ? "out of memory" : "error";
}

cudaError_t cudaGetLastError(void)
{
	cudaError_t rc = last_error;

	last_error = cudaSuccess;
	return rc;
}

cudaError_t cudaDeviceSynchronize(void)
{
	return last_error;
}

cudaError_t cudaStreamSynchronize(cudaStream_t st)
{
	if (st == nullptr)
		die("a synchronisation of the default stream");
	return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *st)
{
	*st = (cudaStream_t)&stream_obj;
	return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t st)
{
	(void)st;
	return cudaSuccess;
}

cudaError_t cudaSetDevice(int device)
{
	return device == 0 ? cudaSuccess : (last_error = cudaErrorInvalidConfiguration);
}

/* CUDA_EMU_NO_GPU set: no device, as on a machine without one. */
cudaError_t cudaGetDeviceCount(int *n)
{
	*n = getenv("CUDA_EMU_NO_GPU") ? 0 : 1;
	return cudaSuccess;
}

cudaError_t cudaMalloc(void **p, size_t bytes)
{
	if (bytes == 0) {
		*p = nullptr;
		return cudaSuccess;
	}
	if (!(*p = malloc(bytes)))
		return last_error = cudaErrorMemoryAllocation;
	memset(*p, 0xff, bytes);	/* NaN in float and double */
	return cudaSuccess;
}

cudaError_t cudaFree(void *p)
{
	free(p);
	return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t st)
{
	(void)kind;
	if (st == nullptr)
		die("a copy on the default stream");
	if (bytes)
		memcpy(dst, src, bytes);
	return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t st)
{
	if (st == nullptr)
		die("a memset on the default stream");
	if (bytes)
		memset(p, value, bytes);
	return cudaSuccess;
}

cublasStatus_t cublasCreate(cublasHandle_t *h)
{
	*h = (cublasHandle_t)&blas_obj;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t h)
{
	(void)h;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t st)
{
	(void)h;
	blas_stream = st;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode)
{
	(void)h, (void)mode;
	return CUBLAS_STATUS_SUCCESS;
}

/* C = alpha op(A) op(B) + beta C, column-major, as cuBLAS defines it,
 * with its argument checks (INVALID_VALUE); C is not read when beta is 0. */
template <typename T>
static cublasStatus_t gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const T *alpha,
			   const T *a, int lda, const T *b, int ldb, const T *beta, T *c, int ldc)
{
	int rows_a = ta == CUBLAS_OP_N ? m : k, rows_b = tb == CUBLAS_OP_N ? k : n;

	if (blas_stream == nullptr)
		die("cuBLAS on the default stream");
	if (m < 0 || n < 0 || k < 0 || lda < (rows_a > 1 ? rows_a : 1) || ldb < (rows_b > 1 ? rows_b : 1) ||
	    ldc < (m > 1 ? m : 1)) {
		fprintf(stderr, "cuda-emu: gemm: invalid value (m %d n %d k %d lda %d ldb %d ldc %d)\n", m, n, k,
			lda, ldb, ldc);
		return CUBLAS_STATUS_INVALID_VALUE;
	}
	/* sums in T, as cuBLAS does (in pedantic mode, float sums in float):
	 * a double sum would make float results look more exact here than on
	 * the hardware or on the CPU */
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			T s = 0;

			for (int l = 0; l < k; l++) {
				T x = ta == CUBLAS_OP_N ? a[i + (size_t)l * lda] : a[l + (size_t)i * lda];
				T y = tb == CUBLAS_OP_N ? b[l + (size_t)j * ldb] : b[j + (size_t)l * ldb];

				s = std::fma(x, y, s);
			}
			T *z = &c[i + (size_t)j * ldc];

			*z = *beta == 0 ? *alpha * s : *alpha * s + *beta * *z;
		}
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
			   const float *alpha, const float *a, int lda, const float *b, int ldb, const float *beta,
			   float *c, int ldc)
{
	(void)h;
	return gemm<float>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
			   const double *alpha, const double *a, int lda, const double *b, int ldb,
			   const double *beta, double *c, int ldc)
{
	(void)h;
	return gemm<double>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
