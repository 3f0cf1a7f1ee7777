/* kernels.c - backend dispatch and the CPU reference backend (OpenBLAS). */
#define _GNU_SOURCE
#include "kernels_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

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

static void cpu_destroy(cp_backend *be)
{
	free(be);
}

static void *cpu_alloc(cp_backend *be, size_t bytes, cp_error *err)
{
	(void)be;
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

static int cpu_zero(cp_backend *be, void *p, size_t bytes, cp_error *err)
{
	(void)be, (void)err;
	if (bytes)
		memset(p, 0, bytes);
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
	(void)be, (void)err;
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

		for (size_t i = 0; i < n; i++)
			ys[i] = tanhf(xs[i]);
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
};

cp_backend *cp_backend_cpu(int threads, cp_error *err)
{
	cp_backend *be = calloc(1, sizeof *be);

	if (!be) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	be->ops = &cpu_ops;
	if (threads > 0)
		openblas_set_num_threads(threads);
	return be;
}
