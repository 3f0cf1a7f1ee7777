/*
 * kernels.h - the compute kernels, declared once for every backend.
 *
 * A backend owns memory (host memory for "cpu", device memory for "cuda")
 * and runs the kernels on it.  The CPU backend (plain loops and OpenBLAS)
 * is the reference; `make CUDA=1` adds a CUDA backend of the same
 * interface, which the tests compare with the CPU on random inputs.
 *
 * Matrices are row-major, as in the tensor stream format.  Every kernel
 * takes a precision so the tests can run the same code in float64.
 */
#ifndef CP_KERNELS_H
#define CP_KERNELS_H

#include <stddef.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cp_precision { CP_F32 = 0, CP_F64 = 1 } cp_precision;

static inline size_t cp_precision_size(cp_precision p)
{
	return p == CP_F64 ? 8 : 4;
}

typedef struct cp_backend cp_backend;

/* The CPU backend; threads <= 0 uses OpenBLAS's default. */
cp_backend *cp_backend_cpu(int threads, cp_error *err);
/* The CUDA backend on a device.  NULL with a message when cellpipe was
 * built without CUDA or no GPU is present. */
cp_backend *cp_backend_cuda(int device, cp_error *err);
/* "cpu" or "cuda" (names accepted by --device). */
cp_backend *cp_backend_open(const char *name, cp_error *err);
void cp_backend_free(cp_backend *be);
const char *cp_backend_name(const cp_backend *be);
/* 1 when buffers live in host memory (pointers can be read directly). */
int cp_backend_is_host(const cp_backend *be);

/* Backend memory. */
void *cp_buffer_alloc(cp_backend *be, size_t bytes, cp_error *err);
void cp_buffer_free(cp_backend *be, void *p);
int cp_buffer_upload(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err);
int cp_buffer_download(cp_backend *be, void *dst, const void *src, size_t bytes,
		       cp_error *err);
int cp_buffer_zero(cp_backend *be, void *p, size_t bytes, cp_error *err);
/* Wait for queued work (a no-op on the CPU). */
int cp_backend_sync(cp_backend *be, cp_error *err);

/*
 * One GEMM of a group: C = alpha * op(A) * op(B) + beta * C, row-major,
 * op(X) = X or X^T.  op(A) is m x k, op(B) is k x n, C is m x n.  The
 * pointers are backend memory.
 */
typedef struct cp_gemm {
	int trans_a, trans_b;
	int m, n, k;
	const void *a;
	int lda;
	const void *b;
	int ldb;
	void *c;
	int ldc;
	double alpha, beta;
} cp_gemm;

/* Run a group of independent GEMMs (e.g. every term of a stratum) as one
 * call: the backend spreads them over its threads or streams.  The C
 * blocks must not overlap. */
int cp_gemm_grouped(cp_backend *be, cp_precision prec, size_t count, const cp_gemm *g,
		    cp_error *err);

/* y = tanh(x), elementwise over n values (x and y may alias). */
int cp_tanh_forward(cp_backend *be, cp_precision prec, size_t n, const void *x, void *y,
		    cp_error *err);
/* dx = dy * (1 - y^2), where y = tanh(x) (dx may alias dy). */
int cp_tanh_backward(cp_backend *be, cp_precision prec, size_t n, const void *y,
		     const void *dy, void *dx, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
