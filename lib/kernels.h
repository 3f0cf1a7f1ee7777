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
#include <stdint.h>

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
/* OpenBLAS takes a buffer of 128 MiB in each thread that runs BLAS and,
 * when one does not fit in the address space, retries forever; the
 * threads it starts when the program loads (OPENBLAS_NUM_THREADS, or the
 * cores) take theirs at once, and its exit waits for them.  0 when the
 * address-space limit (ulimit -v) leaves room for them with this many
 * threads (<= 0: the count OpenBLAS started with), about 200 MiB for one
 * and 280 for each other; else -1 with a message.  A program that fails
 * this with the threads OpenBLAS started should leave with cli_quit, not
 * exit (which would wait for a thread that never ends).  cp_backend_cpu
 * checks its own count: its pool's threads run BLAS calls of their own. */
int cp_blas_check_limit(int threads, cp_error *err);
/* The same for a program that links OpenBLAS but makes no BLAS call of its
 * own (cpz): only the threads OpenBLAS starts as it loads besides the first
 * can wait forever, each for its one buffer, so the limit is checked
 * against those alone (far less than cp_blas_check_limit asks), and with
 * one thread there is nothing to check. */
int cp_blas_check_load_limit(cp_error *err);
/* The CUDA backend on a device.  NULL with a message when cellpipe was
 * built without CUDA or no GPU is present.  It makes the device current
 * for the calling thread once, when opened: use it from that thread, and
 * open one backend per process. */
cp_backend *cp_backend_cuda(int device, cp_error *err);
/* "cpu" or "cuda" (names accepted by --device). */
cp_backend *cp_backend_open(const char *name, cp_error *err);
void cp_backend_free(cp_backend *be);
const char *cp_backend_name(const cp_backend *be);
/* 1 when buffers live in host memory (pointers can be read directly). */
int cp_backend_is_host(const cp_backend *be);
/* The CPU backend's worker threads (1 for other backends). */
int cp_backend_threads(const cp_backend *be);
/* fn(item, worker, ctx) for every item in [0, n), handed out in order to
 * up to the backend's threads (worker numbers 0 .. threads-1).  OpenBLAS
 * runs single-threaded inside fn (and stays so until the backend's next
 * grouped GEMM), so each item's result is the same for any thread count. */
void cp_parallel_for(cp_backend *be, size_t n, void (*fn)(size_t item, int worker, void *ctx),
		     void *ctx);

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

/* ---- the operations of a stratum-batched network ------------------------
 * Index arrays (int64) live in backend memory like the data. */

/* dst[b*n + j] = src[base[j] + b*stride[j]], or 0 where base[j] < 0, for
 * b < rows, j < n: gathers the input columns of a stratum's terms. */
int cp_gather_cols(cp_backend *be, cp_precision prec, size_t rows, size_t n, const int64_t *base,
		   const int64_t *stride, const void *src, void *dst, cp_error *err);
/* The transpose of a gather, as a deterministic sum: for each target c <
 * n_targets and b < rows, dst[tbase[c] + b*tstride[c]] += sum over k in
 * [ptr[c], ptr[c+1]) of src[b*n_src + use[k]].  The destinations must be
 * distinct (a GPU adds to them in parallel). */
int cp_gather_cols_backward(cp_backend *be, cp_precision prec, size_t rows, size_t n_targets,
			    const int64_t *tbase, const int64_t *tstride, const int64_t *ptr,
			    const int64_t *use, size_t n_src, const void *src, void *dst,
			    cp_error *err);
/* x[b*cols + j] += v[j]. */
int cp_add_row_vector(cp_backend *be, cp_precision prec, size_t rows, size_t cols, void *x,
		      const void *v, cp_error *err);
/* out[j] = (accumulate ? out[j] : 0) + sum over b of x[b*cols + j]. */
int cp_col_sum(cp_backend *be, cp_precision prec, size_t rows, size_t cols, const void *x,
	       void *out, int accumulate, cp_error *err);

/*
 * Batch normalisation over the rows of each column (training mode):
 * mean and biased variance per column, xhat = (x - mean) / sqrt(var + eps),
 * y = gamma * xhat + beta.  A column whose values are all equal has
 * xhat = 0 exactly (its variance is zero in exact arithmetic).  Saves
 * xhat, invstd, and mean and var for the running statistics.
 */
int cp_batchnorm_forward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			 const void *x, const void *gamma, const void *beta, double eps, void *y,
			 void *xhat, void *invstd, void *mean, void *var, cp_error *err);
/* Inference mode: y = gamma * (x - rmean) / sqrt(rvar + eps) + beta. */
int cp_batchnorm_inference(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			   const void *x, const void *gamma, const void *beta, const void *rmean,
			   const void *rvar, double eps, void *y, cp_error *err);
/* Training-mode backward: dx = gamma*invstd/rows * (rows*dy - sum(dy) -
 * xhat*sum(dy*xhat)); dgamma += sum(dy*xhat); dbeta += sum(dy). */
int cp_batchnorm_backward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			  const void *xhat, const void *invstd, const void *gamma, const void *dy,
			  void *dx, void *dgamma, void *dbeta, cp_error *err);
/* r = (1 - momentum) * r + momentum * v, over n values (running statistics). */
int cp_lerp(cp_backend *be, cp_precision prec, size_t n, void *r, const void *v, double momentum,
	    double v_scale, cp_error *err);

/*
 * Per-segment linear heads (one small head per term): the columns of x
 * (rows x W, W = ptr[nseg]) are split into nseg segments, and
 * y[(b*nseg + s)*K + k] = bias[s*K + k] + sum over j in segment s of
 * x[b*W + j] * w[k*W + j].
 */
int cp_segment_linear_forward(cp_backend *be, cp_precision prec, size_t rows, size_t nseg,
			      size_t K, const int64_t *ptr, const void *x, const void *w,
			      const void *bias, void *y, cp_error *err);
/* Its gradients, accumulated: dx += ..., dw += ..., dbias += ... */
int cp_segment_linear_backward(cp_backend *be, cp_precision prec, size_t rows, size_t nseg,
			       size_t K, const int64_t *ptr, const void *x, const void *w,
			       const void *dy, void *dx, void *dw, void *dbias, cp_error *err);

/*
 * Masked mean squared error of nseg predictions per row against one
 * target per row and output: pred is rows x nseg x K, target rows x K (NaN
 * = missing, ignored).  loss = scale * sum over s, k of the mean over the
 * rows with a target of (pred - target)^2, and grad (same shape as pred)
 * its gradient.  *loss is returned to the host.
 */
int cp_masked_mse(cp_backend *be, cp_precision prec, size_t rows, size_t nseg, size_t K,
		  const void *pred, const void *target, double scale, void *grad, double *loss,
		  cp_error *err);

/* Optimiser helpers. */
/* *out = sum of x[i]^2 (host double). */
int cp_sum_squares(cp_backend *be, cp_precision prec, size_t n, const void *x, double *out,
		   cp_error *err);
/* x *= alpha. */
int cp_scale(cp_backend *be, cp_precision prec, size_t n, void *x, double alpha, cp_error *err);
/* AdamW step over n parameters with bias correction for step t >= 1 and
 * decoupled weight decay wd: p -= lr * (mhat / (sqrt(vhat) + eps) + wd * p),
 * on the gradient gscale * g (gradient clipping without a separate pass). */
int cp_adamw(cp_backend *be, cp_precision prec, size_t n, void *p, const void *g, double gscale,
	     void *m, void *v, double lr, double beta1, double beta2, double eps, double wd, long t,
	     cp_error *err);
/* The same step on the calling thread, on host memory (a CPU backend's
 * buffers), for a caller that spreads the update over its own work items;
 * each parameter comes out as cp_adamw makes it. */
void cp_adamw_host(cp_precision prec, size_t n, void *p, const void *g, double gscale, void *m, void *v,
		   double lr, double beta1, double beta2, double eps, double wd, long t);

#ifdef __cplusplus
}
#endif

#endif
