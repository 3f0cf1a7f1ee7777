/* kernels.c - backend dispatch and the CPU reference backend (OpenBLAS). */
#define _GNU_SOURCE
#include "kernels_impl.h"
#include "vmath.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#define REAL float
#define FN(name) name##_f32
#define SQRT sqrtf
#include "kernels_cpu_tmpl.h"
#undef REAL
#undef FN
#undef SQRT
#define REAL double
#define FN(name) name##_f64
#define SQRT sqrt
#include "kernels_cpu_tmpl.h"
#undef REAL
#undef FN
#undef SQRT

/* ---- dispatch ---------------------------------------------------------- */

void cp_backend_free(cp_backend *be)
{
	if (be)
		be->ops->destroy(be);
}

const char *cp_backend_name(const cp_backend *be)
{
	return be->ops->name;
}

int cp_backend_is_host(const cp_backend *be)
{
	return be->ops->is_host;
}

void *cp_buffer_alloc(cp_backend *be, size_t bytes, cp_error *err)
{
	return be->ops->alloc(be, bytes, err);
}

void cp_buffer_free(cp_backend *be, void *p)
{
	if (p)
		be->ops->release(be, p);
}

int cp_buffer_upload(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err)
{
	return be->ops->upload(be, dst, src, bytes, err);
}

int cp_buffer_download(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err)
{
	return be->ops->download(be, dst, src, bytes, err);
}

int cp_buffer_zero(cp_backend *be, void *p, size_t bytes, cp_error *err)
{
	return be->ops->zero(be, p, bytes, err);
}

int cp_backend_sync(cp_backend *be, cp_error *err)
{
	return be->ops->sync(be, err);
}

static int check_gemm(const cp_gemm *g, size_t i, cp_error *err)
{
	int rows_a = g->trans_a ? g->k : g->m, cols_a = g->trans_a ? g->m : g->k;
	int rows_b = g->trans_b ? g->n : g->k, cols_b = g->trans_b ? g->k : g->n;

	(void)rows_a, (void)rows_b;
	if (g->m < 0 || g->n < 0 || g->k < 0)
		return cp_error_set(err, "gemm %zu: negative size %dx%dx%d", i, g->m, g->n, g->k);
	if (g->lda < (cols_a > 1 ? cols_a : 1) || g->ldb < (cols_b > 1 ? cols_b : 1) ||
	    g->ldc < (g->n > 1 ? g->n : 1))
		return cp_error_set(err, "gemm %zu: leading dimension too small", i);
	return 0;
}

int cp_gemm_grouped(cp_backend *be, cp_precision prec, size_t count, const cp_gemm *g,
		    cp_error *err)
{
	for (size_t i = 0; i < count; i++)
		if (check_gemm(&g[i], i, err) < 0)
			return -1;
	return be->ops->gemm_grouped(be, prec, count, g, err);
}

int cp_tanh_forward(cp_backend *be, cp_precision prec, size_t n, const void *x, void *y,
		    cp_error *err)
{
	return be->ops->tanh_forward(be, prec, n, x, y, err);
}

int cp_tanh_backward(cp_backend *be, cp_precision prec, size_t n, const void *y,
		     const void *dy, void *dx, cp_error *err)
{
	return be->ops->tanh_backward(be, prec, n, y, dy, dx, err);
}

int cp_gather_cols(cp_backend *be, cp_precision prec, size_t rows, size_t n, const int64_t *base,
		   const int64_t *stride, const void *src, void *dst, cp_error *err)
{
	return be->ops->gather_cols(be, prec, rows, n, base, stride, src, dst, err);
}

int cp_gather_cols_backward(cp_backend *be, cp_precision prec, size_t rows, size_t n_targets,
			    const int64_t *tbase, const int64_t *tstride, const int64_t *ptr,
			    const int64_t *use, size_t n_src, const void *src, void *dst,
			    cp_error *err)
{
	return be->ops->gather_cols_backward(be, prec, rows, n_targets, tbase, tstride, ptr, use,
					     n_src, src, dst, err);
}

int cp_add_row_vector(cp_backend *be, cp_precision prec, size_t rows, size_t cols, void *x,
		      const void *v, cp_error *err)
{
	return be->ops->add_row_vector(be, prec, rows, cols, x, v, err);
}

int cp_col_sum(cp_backend *be, cp_precision prec, size_t rows, size_t cols, const void *x,
	       void *out, int accumulate, cp_error *err)
{
	return be->ops->col_sum(be, prec, rows, cols, x, out, accumulate, err);
}

int cp_batchnorm_forward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			 const void *x, const void *gamma, const void *beta, double eps, void *y,
			 void *xhat, void *invstd, void *mean, void *var, cp_error *err)
{
	if (rows == 0)
		return cp_error_set(err, "batch normalisation of an empty batch");
	return be->ops->batchnorm_forward(be, prec, rows, cols, x, gamma, beta, eps, y, xhat, invstd,
					  mean, var, err);
}

int cp_batchnorm_inference(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			   const void *x, const void *gamma, const void *beta, const void *rmean,
			   const void *rvar, double eps, void *y, cp_error *err)
{
	return be->ops->batchnorm_inference(be, prec, rows, cols, x, gamma, beta, rmean, rvar, eps, y,
					    err);
}

int cp_batchnorm_backward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			  const void *xhat, const void *invstd, const void *gamma, const void *dy,
			  void *dx, void *dgamma, void *dbeta, cp_error *err)
{
	return be->ops->batchnorm_backward(be, prec, rows, cols, xhat, invstd, gamma, dy, dx, dgamma,
					   dbeta, err);
}

int cp_lerp(cp_backend *be, cp_precision prec, size_t n, void *r, const void *v, double momentum,
	    double v_scale, cp_error *err)
{
	return be->ops->lerp(be, prec, n, r, v, momentum, v_scale, err);
}

int cp_segment_linear_forward(cp_backend *be, cp_precision prec, size_t rows, size_t nseg,
			      size_t K, const int64_t *ptr, const void *x, const void *w,
			      const void *bias, void *y, cp_error *err)
{
	return be->ops->segment_linear_forward(be, prec, rows, nseg, K, ptr, x, w, bias, y, err);
}

int cp_segment_linear_backward(cp_backend *be, cp_precision prec, size_t rows, size_t nseg,
			       size_t K, const int64_t *ptr, const void *x, const void *w,
			       const void *dy, void *dx, void *dw, void *dbias, cp_error *err)
{
	return be->ops->segment_linear_backward(be, prec, rows, nseg, K, ptr, x, w, dy, dx, dw, dbias,
						err);
}

int cp_masked_mse(cp_backend *be, cp_precision prec, size_t rows, size_t nseg, size_t K,
		  const void *pred, const void *target, double scale, void *grad, double *loss,
		  cp_error *err)
{
	return be->ops->masked_mse(be, prec, rows, nseg, K, pred, target, scale, grad, loss, err);
}

int cp_sum_squares(cp_backend *be, cp_precision prec, size_t n, const void *x, double *out,
		   cp_error *err)
{
	return be->ops->sum_squares(be, prec, n, x, out, err);
}

int cp_scale(cp_backend *be, cp_precision prec, size_t n, void *x, double alpha, cp_error *err)
{
	return be->ops->scale(be, prec, n, x, alpha, err);
}

int cp_adamw(cp_backend *be, cp_precision prec, size_t n, void *p, const void *g, double gscale,
	     void *m, void *v, double lr, double beta1, double beta2, double eps, double wd, long t,
	     cp_error *err)
{
	if (t < 1)
		return cp_error_set(err, "adamw: step %ld, counting starts at 1", t);
	return be->ops->adamw(be, prec, n, p, g, gscale, m, v, lr, beta1, beta2, eps, wd, t, err);
}

cp_backend *cp_backend_cuda(int device, cp_error *err)
{
#ifdef CP_HAVE_CUDA
	return cp_cuda_backend_create(device, err);
#else
	(void)device;
	cp_error_set(err, "cellpipe was built without CUDA (rebuild with make CUDA=1)");
	return NULL;
#endif
}

cp_backend *cp_backend_open(const char *name, cp_error *err)
{
	if (strcmp(name, "cpu") == 0)
		return cp_backend_cpu(0, err);
	if (strcmp(name, "cuda") == 0)
		return cp_backend_cuda(0, err);
	cp_error_set(err, "unknown device '%s' (expected cpu or cuda)", name);
	return NULL;
}

/* ---- CPU backend -------------------------------------------------------- */

/*
 * Elementwise work over long vectors (the optimiser, norms, zeroing) is
 * split into fixed chunks spread over the backend's threads.  The chunks
 * do not depend on the thread count, and partial sums are added in chunk
 * order, so results are the same with any number of threads.
 */
#define CHUNK_ELEMENTS ((size_t)1 << 18)

/* The CPU backend's threads: started on the first parallel call and kept,
 * so a parallel call costs a wake-up, not a thread start.  Workers spin a
 * little after a job (the sparse DCell makes one call per stratum, back to
 * back), then sleep.  A job's items are handed out through one counter;
 * the caller is worker 0 and works too.  Not reentrant: a job must not
 * start another. */
#define POOL_SPIN 20000


typedef struct {
	pthread_t tid[15];
	int n;			/* workers besides the caller */
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	unsigned long gen;	/* bumped for each job */
	int open;		/* the job still takes workers */
	int in_job;		/* workers inside it */
	int stop;
	void (*run)(void *job, int worker);
	void *job;
} cpu_pool;

typedef struct {
	cpu_pool *pool;
	int worker;
} pool_arg;

typedef struct cpu_state {
	int threads;
	int blas_threads;	/* OpenBLAS's own count, for the grouped GEMMs */
	int blas_now;		/* what OpenBLAS is set to now */
	cpu_pool *pool;
	pool_arg args[15];
} cpu_state;

static void *pool_worker(void *arg)
{
	pool_arg *a = arg;
	cpu_pool *p = a->pool;
	unsigned long seen = 0;

	for (;;) {
		void (*run)(void *, int);
		void *job;

		for (int i = 0; i < POOL_SPIN && __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE) == seen; i++)
			CP_PAUSE();
		pthread_mutex_lock(&p->lock);
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		seen = p->gen;
		if (!p->open) {	/* woke after the job was done */
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		p->in_job++;
		run = p->run, job = p->job;
		pthread_mutex_unlock(&p->lock);
		run(job, a->worker);
		pthread_mutex_lock(&p->lock);
		if (--p->in_job == 0 && !p->open)
			pthread_cond_signal(&p->done);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Runs run(job, worker) on the caller (worker 0) and the pool's workers
 * (1 .. threads-1) that join in time; returns when all that joined are
 * done.  run takes work from the job until there is none. */
/* The pool, started on first use with threads - 1 workers (at most 15). */
static cpu_pool *pool_get(cpu_state *st, int threads)
{
	cpu_pool *p = st ? st->pool : NULL;

	if (st && threads > 1 && !p && (p = calloc(1, sizeof *p))) {
		pthread_mutex_init(&p->lock, NULL);
		pthread_cond_init(&p->wake, NULL);
		pthread_cond_init(&p->done, NULL);
		for (int w = 1; w < threads && w <= 15; w++) {
			st->args[p->n] = (pool_arg){ p, w };
			if (pthread_create(&p->tid[p->n], NULL, pool_worker, &st->args[p->n]) != 0)
				break;
			p->n++;
		}
		st->pool = p;
	}
	return p;
}

static void pool_run(cpu_state *st, int threads, void (*run)(void *, int), void *job)
{
	cpu_pool *p = pool_get(st, threads);

	if (!p || p->n == 0 || threads <= 1) {
		run(job, 0);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->run = run, p->job = job, p->open = 1;
	__atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	run(job, 0);
	pthread_mutex_lock(&p->lock);
	p->open = 0;
	pthread_mutex_unlock(&p->lock);
	/* the workers are finishing their last items: wait briefly without
	 * sleeping, then on the condition */
	for (int i = 0; i < POOL_SPIN && __atomic_load_n(&p->in_job, __ATOMIC_ACQUIRE) > 0; i++)
		CP_PAUSE();
	pthread_mutex_lock(&p->lock);
	while (p->in_job > 0)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void pool_free(cpu_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->tid[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->done);
	free(p);
}

typedef struct {
	void (*fn)(size_t lo, size_t hi, size_t chunk, void *ctx);
	void *ctx;
	size_t n, chunks, next_chunk;
} chunk_job;

static void chunk_run(void *arg, int worker)
{
	chunk_job *job = arg;

	(void)worker;
	for (;;) {
		size_t c = __atomic_fetch_add(&job->next_chunk, 1, __ATOMIC_RELAXED);

		if (c >= job->chunks)
			return;
		job->fn(c * CHUNK_ELEMENTS,
			(c + 1) * CHUNK_ELEMENTS < job->n ? (c + 1) * CHUNK_ELEMENTS : job->n, c, job->ctx);
	}
}

static void parallel_chunks(cp_backend *be, size_t n, void (*fn)(size_t, size_t, size_t, void *),
			    void *ctx)
{
	cpu_state *st = be->impl;
	chunk_job job = { fn, ctx, n, (n + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS, 0 };
	int threads = st ? st->threads : 1;

	pool_run(st, (size_t)threads < job.chunks ? threads : (int)job.chunks, chunk_run, &job);
}

/* Set OpenBLAS's thread count only when it changes: setting it wakes
 * OpenBLAS's idle threads, which then spin for a while on the cores the
 * work needs. */
static void blas_use(cpu_state *st, int threads)
{
	if (!st) {
		openblas_set_num_threads(threads);
		return;
	}
	if (st->blas_now != threads) {
		openblas_set_num_threads(threads);
		st->blas_now = threads;
	}
}

int cp_backend_threads(const cp_backend *be)
{
	const cpu_state *st = be->ops->is_host ? be->impl : NULL;

	return st ? st->threads : 1;
}

typedef struct {
	void (*fn)(size_t item, int worker, void *ctx);
	void *ctx;
	size_t n, next;
} item_job;

static void item_run(void *arg, int worker)
{
	item_job *job = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);

		if (i >= job->n)
			return;
		job->fn(i, worker, job->ctx);
	}
}

void cp_parallel_for(cp_backend *be, size_t n, void (*fn)(size_t item, int worker, void *ctx),
		     void *ctx)
{
	cpu_state *st = be->ops->is_host ? be->impl : NULL;
	int threads = st ? st->threads : 1;
	item_job job = { fn, ctx, n, 0 };

	if (threads > 16)
		threads = 16;
	if ((size_t)threads > n)
		threads = (int)n;
	blas_use(st, 1);
	if (threads <= 1) {
		for (size_t i = 0; i < n; i++)
			fn(i, 0, ctx);
		return;
	}
	pool_run(st, threads, item_run, &job);
}

static void cpu_destroy(cp_backend *be)
{
	cpu_state *st = be->impl;

	pool_free(st->pool);
	free(be->impl);
	free(be);
}

static void *cpu_alloc(cp_backend *be, size_t bytes, cp_error *err)
{
	(void)be;
	/* large buffers (a model's parameters, gradient and moments) in huge
	 * pages where offered: strided reads of a weight matrix's columns
	 * otherwise miss the TLB on nearly every element */
	if (bytes >= ((size_t)2 << 20))
		return cp_big_alloc(bytes, 1, 0, err);
	return cp_aligned_alloc(64, bytes, err);
}

static void cpu_release(cp_backend *be, void *p)
{
	(void)be;
	free(p);
}

static int cpu_copy(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err)
{
	(void)be, (void)err;
	if (bytes)
		memmove(dst, src, bytes);
	return 0;
}

static void zero_chunk(size_t lo, size_t hi, size_t c, void *ctx)
{
	(void)c;
	memset((char *)ctx + lo, 0, hi - lo);
}

static int cpu_zero(cp_backend *be, void *p, size_t bytes, cp_error *err)
{
	(void)err;
	if (bytes)
		parallel_chunks(be, bytes, zero_chunk, p);
	return 0;
}

static int cpu_sync(cp_backend *be, cp_error *err)
{
	(void)be, (void)err;
	return 0;
}

static int cpu_gemm_grouped(cp_backend *be, cp_precision prec, size_t count, const cp_gemm *g,
			    cp_error *err)
{
	cpu_state *st = be->impl;

	(void)err;
	blas_use(st, st->blas_threads);
	for (size_t i = 0; i < count; i++) {
		const cp_gemm *p = &g[i];

		if (p->m == 0 || p->n == 0)
			continue;
		if (p->k == 0) {
			/* BLAS leaves C untouched only when beta == 1. */
			for (int r = 0; r < p->m; r++)
				for (int c = 0; c < p->n; c++) {
					if (prec == CP_F64) {
						double *cc = (double *)p->c + (size_t)r * p->ldc + c;

						*cc = p->beta == 0 ? 0 : *cc * p->beta;
					} else {
						float *cc = (float *)p->c + (size_t)r * p->ldc + c;

						*cc = p->beta == 0 ? 0 : *cc * (float)p->beta;
					}
				}
			continue;
		}
		if (prec == CP_F64)
			cblas_dgemm(CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans,
				    p->trans_b ? CblasTrans : CblasNoTrans, p->m, p->n, p->k, p->alpha,
				    p->a, p->lda, p->b, p->ldb, p->beta, p->c, p->ldc);
		else
			cblas_sgemm(CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans,
				    p->trans_b ? CblasTrans : CblasNoTrans, p->m, p->n, p->k,
				    (float)p->alpha, p->a, p->lda, p->b, p->ldb, (float)p->beta, p->c,
				    p->ldc);
	}
	return 0;
}

static int cpu_tanh_forward(cp_backend *be, cp_precision prec, size_t n, const void *x, void *y,
			    cp_error *err)
{
	(void)be, (void)err;
	if (prec == CP_F64) {
		const double *xs = x;
		double *ys = y;

		for (size_t i = 0; i < n; i++)
			ys[i] = tanh(xs[i]);
	} else {
		const float *xs = x;
		float *ys = y;

#pragma omp simd
		for (size_t i = 0; i < n; i++)
			ys[i] = cp_tanhf(xs[i]);
	}
	return 0;
}

static int cpu_tanh_backward(cp_backend *be, cp_precision prec, size_t n, const void *y,
			     const void *dy, void *dx, cp_error *err)
{
	(void)be, (void)err;
	if (prec == CP_F64) {
		const double *ys = y, *dys = dy;
		double *dxs = dx;

		for (size_t i = 0; i < n; i++)
			dxs[i] = dys[i] * (1.0 - ys[i] * ys[i]);
	} else {
		const float *ys = y, *dys = dy;
		float *dxs = dx;

		for (size_t i = 0; i < n; i++)
			dxs[i] = dys[i] * (1.0f - ys[i] * ys[i]);
	}
	return 0;
}

/* The CPU ops: dispatch on precision to the template instances. */
#define CPU_DISPATCH(call_f32, call_f64) \
	do {                              \
		if (prec == CP_F64)       \
			call_f64;         \
		else                      \
			call_f32;         \
	} while (0)

static int cpu_gather_cols(cp_backend *be, cp_precision prec, size_t rows, size_t n,
			   const int64_t *base, const int64_t *stride, const void *src, void *dst,
			   cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(gather_cols_f32(rows, n, base, stride, src, dst),
		     gather_cols_f64(rows, n, base, stride, src, dst));
	return 0;
}

static int cpu_gather_cols_backward(cp_backend *be, cp_precision prec, size_t rows,
				    size_t n_targets, const int64_t *tbase, const int64_t *tstride,
				    const int64_t *ptr, const int64_t *use, size_t n_src,
				    const void *src, void *dst, cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(gather_cols_backward_f32(rows, n_targets, tbase, tstride, ptr, use, n_src, src, dst),
		     gather_cols_backward_f64(rows, n_targets, tbase, tstride, ptr, use, n_src, src, dst));
	return 0;
}

static int cpu_add_row_vector(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
			      void *x, const void *v, cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(add_row_vector_f32(rows, cols, x, v), add_row_vector_f64(rows, cols, x, v));
	return 0;
}

static int cpu_col_sum(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
		       const void *x, void *out, int accumulate, cp_error *err)
{
	(void)be;
	return prec == CP_F64 ? col_sum_f64(rows, cols, x, out, accumulate, err)
			      : col_sum_f32(rows, cols, x, out, accumulate, err);
}

static int cpu_batchnorm_forward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				 const void *x, const void *gamma, const void *beta, double eps,
				 void *y, void *xhat, void *invstd, void *mean, void *var,
				 cp_error *err)
{
	(void)be;
	return prec == CP_F64
		? batchnorm_forward_f64(rows, cols, x, gamma, beta, eps, y, xhat, invstd, mean, var, err)
		: batchnorm_forward_f32(rows, cols, x, gamma, beta, eps, y, xhat, invstd, mean, var, err);
}

static int cpu_batchnorm_inference(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				   const void *x, const void *gamma, const void *beta,
				   const void *rmean, const void *rvar, double eps, void *y,
				   cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(batchnorm_inference_f32(rows, cols, x, gamma, beta, rmean, rvar, eps, y),
		     batchnorm_inference_f64(rows, cols, x, gamma, beta, rmean, rvar, eps, y));
	return 0;
}

static int cpu_batchnorm_backward(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				  const void *xhat, const void *invstd, const void *gamma,
				  const void *dy, void *dx, void *dgamma, void *dbeta, cp_error *err)
{
	(void)be;
	return prec == CP_F64
		? batchnorm_backward_f64(rows, cols, xhat, invstd, gamma, dy, dx, dgamma, dbeta, err)
		: batchnorm_backward_f32(rows, cols, xhat, invstd, gamma, dy, dx, dgamma, dbeta, err);
}

static int cpu_lerp(cp_backend *be, cp_precision prec, size_t n, void *r, const void *v,
		    double momentum, double v_scale, cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(lerp_f32(n, r, v, momentum, v_scale), lerp_f64(n, r, v, momentum, v_scale));
	return 0;
}

static int cpu_segment_linear_forward(cp_backend *be, cp_precision prec, size_t rows, size_t nseg,
				      size_t K, const int64_t *ptr, const void *x, const void *w,
				      const void *bias, void *y, cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(segment_linear_forward_f32(rows, nseg, K, ptr, x, w, bias, y),
		     segment_linear_forward_f64(rows, nseg, K, ptr, x, w, bias, y));
	return 0;
}

static int cpu_segment_linear_backward(cp_backend *be, cp_precision prec, size_t rows,
				       size_t nseg, size_t K, const int64_t *ptr, const void *x,
				       const void *w, const void *dy, void *dx, void *dw,
				       void *dbias, cp_error *err)
{
	(void)be, (void)err;
	CPU_DISPATCH(segment_linear_backward_f32(rows, nseg, K, ptr, x, w, dy, dx, dw, dbias),
		     segment_linear_backward_f64(rows, nseg, K, ptr, x, w, dy, dx, dw, dbias));
	return 0;
}

static int cpu_masked_mse(cp_backend *be, cp_precision prec, size_t rows, size_t nseg, size_t K,
			  const void *pred, const void *target, double scale, void *grad,
			  double *loss, cp_error *err)
{
	(void)be;
	return prec == CP_F64 ? masked_mse_f64(rows, nseg, K, pred, target, scale, grad, loss, err)
			      : masked_mse_f32(rows, nseg, K, pred, target, scale, grad, loss, err);
}

typedef struct {
	cp_precision prec;
	const void *x;
	double *partial;
} sumsq_job;

static void sumsq_chunk(size_t lo, size_t hi, size_t c, void *ctx)
{
	sumsq_job *j = ctx;

	j->partial[c] = j->prec == CP_F64 ? cp_sum_squares_f64(hi - lo, (const double *)j->x + lo)
					  : cp_sum_squares_f32(hi - lo, (const float *)j->x + lo);
}

static int cpu_sum_squares(cp_backend *be, cp_precision prec, size_t n, const void *x,
			   double *out, cp_error *err)
{
	size_t chunks = (n + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS;
	sumsq_job j = { prec, x, cp_calloc(chunks ? chunks : 1, sizeof(double), err) };

	if (!j.partial)
		return -1;
	parallel_chunks(be, n, sumsq_chunk, &j);
	*out = 0;
	for (size_t c = 0; c < chunks; c++)
		*out += j.partial[c];
	free(j.partial);
	return 0;
}

typedef struct {
	cp_precision prec;
	void *x;
	double alpha;
} scale_job;

static void scale_chunk(size_t lo, size_t hi, size_t c, void *ctx)
{
	scale_job *j = ctx;

	(void)c;
	if (j->prec == CP_F64)
		scale_f64(hi - lo, (double *)j->x + lo, j->alpha);
	else
		scale_f32(hi - lo, (float *)j->x + lo, j->alpha);
}

static int cpu_scale(cp_backend *be, cp_precision prec, size_t n, void *x, double alpha,
		     cp_error *err)
{
	scale_job j = { prec, x, alpha };

	(void)err;
	parallel_chunks(be, n, scale_chunk, &j);
	return 0;
}

typedef struct {
	cp_precision prec;
	void *p, *m, *v;
	const void *g;
	double gscale, lr, beta1, beta2, eps, wd;
	long t;
} adamw_job;

static void adamw_chunk(size_t lo, size_t hi, size_t c, void *ctx)
{
	adamw_job *j = ctx;

	(void)c;
	if (j->prec == CP_F64)
		adamw_f64(hi - lo, (double *)j->p + lo, (const double *)j->g + lo, j->gscale,
			  (double *)j->m + lo, (double *)j->v + lo, j->lr, j->beta1, j->beta2, j->eps, j->wd, j->t);
	else
		adamw_f32(hi - lo, (float *)j->p + lo, (const float *)j->g + lo, j->gscale,
			  (float *)j->m + lo, (float *)j->v + lo, j->lr, j->beta1, j->beta2, j->eps, j->wd, j->t);
}

void cp_adamw_host(cp_precision prec, size_t n, void *p, const void *g, double gscale, void *m, void *v,
		   double lr, double beta1, double beta2, double eps, double wd, long t)
{
	adamw_job j = { prec, p, m, v, g, gscale, lr, beta1, beta2, eps, wd, t };

	adamw_chunk(0, n, 0, &j);
}

static int cpu_adamw(cp_backend *be, cp_precision prec, size_t n, void *p, const void *g,
		     double gscale, void *m, void *v, double lr, double beta1, double beta2, double eps,
		     double wd, long t, cp_error *err)
{
	adamw_job j = { prec, p, m, v, g, gscale, lr, beta1, beta2, eps, wd, t };

	(void)err;
	parallel_chunks(be, n, adamw_chunk, &j);
	return 0;
}

static const cp_backend_ops cpu_ops = {
	.name = "cpu",
	.is_host = 1,
	.destroy = cpu_destroy,
	.alloc = cpu_alloc,
	.release = cpu_release,
	.upload = cpu_copy,
	.download = cpu_copy,
	.zero = cpu_zero,
	.sync = cpu_sync,
	.gemm_grouped = cpu_gemm_grouped,
	.tanh_forward = cpu_tanh_forward,
	.tanh_backward = cpu_tanh_backward,
	.gather_cols = cpu_gather_cols,
	.gather_cols_backward = cpu_gather_cols_backward,
	.add_row_vector = cpu_add_row_vector,
	.col_sum = cpu_col_sum,
	.batchnorm_forward = cpu_batchnorm_forward,
	.batchnorm_inference = cpu_batchnorm_inference,
	.batchnorm_backward = cpu_batchnorm_backward,
	.lerp = cpu_lerp,
	.segment_linear_forward = cpu_segment_linear_forward,
	.segment_linear_backward = cpu_segment_linear_backward,
	.masked_mse = cpu_masked_mse,
	.sum_squares = cpu_sum_squares,
	.scale = cpu_scale,
	.adamw = cpu_adamw,
};

int cp_blas_check_load_limit(cp_error *err)
{
	/* as it loads, OpenBLAS starts threads - 1 threads, each mapping one
	 * 128 MiB buffer beside its stack; the program itself, about 50 MiB:
	 * a program that makes no BLAS call needs no more (with 2 threads,
	 * about 180 MiB, not the 480 MiB of cp_blas_check_limit) */
	struct rlimit rl, stack;
	unsigned long long need_mib, limit_kib, stack_mib = 8;
	int threads = openblas_get_num_threads();

	if (threads <= 1 || getrlimit(RLIMIT_AS, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (getrlimit(RLIMIT_STACK, &stack) == 0 && stack.rlim_cur != RLIM_INFINITY &&
	    stack.rlim_cur / (1024 * 1024) + 1 > stack_mib)
		stack_mib = stack.rlim_cur / (1024 * 1024) + 1;
	need_mib = 64 + (128 + stack_mib + 8) * (unsigned long long)(threads - 1);
	limit_kib = (unsigned long long)rl.rlim_cur / 1024;
	if (limit_kib >= need_mib * 1024)
		return 0;
	return cp_error_set(err, "the address-space limit (ulimit -v %llu) is too low for OpenBLAS with %d "
			    "threads (about %llu MiB for the threads it starts, which would wait forever): "
			    "raise it to %llu or more, or set OPENBLAS_NUM_THREADS=1", limit_kib, threads,
			    need_mib, need_mib * 1024);
}

int cp_blas_check_limit(int threads, cp_error *err)
{
	struct rlimit rl;
	unsigned long long need_mib, limit_kib;
	int started = threads <= 0;

	if (started)
		threads = openblas_get_num_threads();
	if (threads < 1)
		threads = 1;
	if (getrlimit(RLIMIT_AS, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	need_mib = 200 + 280ull * (unsigned long long)(threads - 1);
	limit_kib = (unsigned long long)rl.rlim_cur / 1024;
	if (limit_kib >= need_mib * 1024)
		return 0;
	return cp_error_set(err, "the address-space limit (ulimit -v %llu) is too low for OpenBLAS with %d "
			    "thread%s (about %llu MiB for its buffers, which it would wait for forever): "
			    "raise it to %llu or more%s", limit_kib, threads, threads == 1 ? "" : "s", need_mib,
			    need_mib * 1024,
			    threads == 1 ? ""
			    : started    ? ", or set OPENBLAS_NUM_THREADS=1"
					 : ", or use fewer threads (--threads)");
}

/* OpenBLAS's buffer allocator (exported, not in cblas.h).  Each call
 * takes a buffer slot (128 MiB here, mapped on first use and kept for
 * reuse) until freed; in a build with thread-local slots, the thread's. */
extern void *blas_memory_alloc(int procpos);
extern void blas_memory_free(void *buffer);

typedef struct {
	pthread_barrier_t all_hold;
} blas_warm_job;

static void blas_warm_run(void *arg, int worker)
{
	blas_warm_job *job = arg;
	void *buffer = blas_memory_alloc(1);

	(void)worker;
	/* every thread holds one at once, so that as many are mapped */
	pthread_barrier_wait(&job->all_hold);
	blas_memory_free(buffer);
}

/* A watchdog over the warm-up: OpenBLAS retries a buffer it cannot map
 * forever, so a warm-up not done in WARM_LIMIT seconds (it takes
 * milliseconds) is a limit too low for the buffers: one line, the
 * temporaries removed, exit 1. */
enum { WARM_LIMIT = 30 };

typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
} warm_watch;

static void *warm_watch_run(void *arg)
{
	warm_watch *w = arg;
	struct timespec until;
	int done;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += WARM_LIMIT;
	pthread_mutex_lock(&w->lock);
	while (!w->done && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT)
		;
	done = w->done;
	pthread_mutex_unlock(&w->lock);
	if (!done) {
		fprintf(stderr, "%s: out of memory: OpenBLAS cannot map its buffers (128 MiB a thread) "
			"under the address-space limit (ulimit -v): raise it or use fewer threads\n",
			program_invocation_short_name);
		cp_tmp_abandon();
		_exit(1);
	}
	return NULL;
}

/* Have OpenBLAS map the buffers of the pool's threads now, which each
 * thread's BLAS calls reuse: mapped later, after the model's arrays, a
 * buffer that no longer fits in an address-space limit would make
 * OpenBLAS retry forever, where the arrays' own allocation fails with a
 * message.  (Its own threads take theirs when they start: a product on
 * all of them waits for those too.)  The watchdog turns a wait that does
 * not end into an error. */
static void blas_warm(cpu_state *st)
{
	cpu_pool *p = pool_get(st, st->threads);
	int n = p ? 1 + p->n : 1;
	blas_warm_job job;
	warm_watch w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	pthread_t watch;
	struct rlimit rl;
	int watching = 0, limited = getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;

	/* only a limit makes OpenBLAS wait; the deadline on the monotonic
	 * clock, which a change of the time does not move */
	if (limited && pthread_condattr_init(&cattr) != 0) {
		limited = 0;
	} else if (limited) {
		if (pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC) != 0 ||
		    pthread_cond_init(&w.cond, &cattr) != 0)
			limited = 0;
		pthread_condattr_destroy(&cattr);
	}
	/* a small stack where the threads' static storage allows (OpenBLAS's
	 * is large), the default otherwise */
	if (limited && pthread_attr_init(&attr) == 0) {
		pthread_attr_setstacksize(&attr, (size_t)1 << 20);
		watching = pthread_create(&watch, &attr, warm_watch_run, &w) == 0;
		pthread_attr_destroy(&attr);
	}
	if (limited && !watching)
		watching = pthread_create(&watch, NULL, warm_watch_run, &w) == 0;
	if (pthread_barrier_init(&job.all_hold, NULL, (unsigned)n) == 0) {
		pool_run(st, n, blas_warm_run, &job);
		pthread_barrier_destroy(&job.all_hold);
	}
	{	/* a product large enough for every OpenBLAS thread */
		enum { D = 256 };
		float *a = calloc((size_t)3 * D * D, sizeof *a);

		if (a) {
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, D, D, D, 1.0f, a, D,
				    a + D * D, D, 0.0f, a + 2 * D * D, D);
			free(a);
		}
	}
	if (watching) {
		pthread_mutex_lock(&w.lock);
		w.done = 1;
		pthread_cond_signal(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(watch, NULL);
	}
}

cp_backend *cp_backend_cpu(int threads, cp_error *err)
{
	cp_backend *be = calloc(1, sizeof *be);
	cpu_state *st = calloc(1, sizeof *st);
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (!be || !st) {
		free(be);
		free(st);
		cp_error_set(err, "out of memory");
		return NULL;
	}
	st->threads = threads > 0 ? threads : online > 0 ? (int)online : 1;
	/* each of the pool's threads runs BLAS calls of its own, and with
	 * more threads than OpenBLAS started it starts the others: each
	 * thread takes its buffer */
	if (cp_blas_check_limit(st->threads > openblas_get_num_threads() ? st->threads
									 : openblas_get_num_threads(),
				err) < 0) {
		free(be);
		free(st);
		return NULL;
	}
	be->ops = &cpu_ops;
	be->impl = st;
	if (threads > 0)
		openblas_set_num_threads(threads);
	st->blas_threads = st->blas_now = openblas_get_num_threads();
	blas_warm(st);
	return be;
}
