/*
 * kernels_impl.h - private: how a backend plugs into kernels.h.  Only
 * lib/kernels*.c and lib/kernels*.cu include this.
 */
#ifndef CP_KERNELS_IMPL_H
#define CP_KERNELS_IMPL_H

#include "kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_backend_ops {
	const char *name;
	int is_host;
	void (*destroy)(cp_backend *be);
	void *(*alloc)(cp_backend *be, size_t bytes, cp_error *err);
	void (*release)(cp_backend *be, void *p);
	int (*upload)(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err);
	int (*download)(cp_backend *be, void *dst, const void *src, size_t bytes, cp_error *err);
	int (*zero)(cp_backend *be, void *p, size_t bytes, cp_error *err);
	int (*sync)(cp_backend *be, cp_error *err);
	int (*gemm_grouped)(cp_backend *be, cp_precision prec, size_t count, const cp_gemm *g,
			    cp_error *err);
	int (*tanh_forward)(cp_backend *be, cp_precision prec, size_t n, const void *x, void *y,
			    cp_error *err);
	int (*tanh_backward)(cp_backend *be, cp_precision prec, size_t n, const void *y,
			     const void *dy, void *dx, cp_error *err);
	int (*gather_cols)(cp_backend *be, cp_precision prec, size_t rows, size_t n,
			   const int64_t *base, const int64_t *stride, const void *src, void *dst,
			   cp_error *err);
	int (*gather_cols_backward)(cp_backend *be, cp_precision prec, size_t rows,
				    size_t n_targets, const int64_t *tbase, const int64_t *tstride,
				    const int64_t *ptr, const int64_t *use, size_t n_src,
				    const void *src, void *dst, cp_error *err);
	int (*add_row_vector)(cp_backend *be, cp_precision prec, size_t rows, size_t cols, void *x,
			      const void *v, cp_error *err);
	int (*col_sum)(cp_backend *be, cp_precision prec, size_t rows, size_t cols, const void *x,
		       void *out, int accumulate, cp_error *err);
	int (*batchnorm_forward)(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				 const void *x, const void *gamma, const void *beta, double eps,
				 void *y, void *xhat, void *invstd, void *mean, void *var,
				 cp_error *err);
	int (*batchnorm_inference)(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				   const void *x, const void *gamma, const void *beta,
				   const void *rmean, const void *rvar, double eps, void *y,
				   cp_error *err);
	int (*batchnorm_backward)(cp_backend *be, cp_precision prec, size_t rows, size_t cols,
				  const void *xhat, const void *invstd, const void *gamma,
				  const void *dy, void *dx, void *dgamma, void *dbeta, cp_error *err);
	int (*lerp)(cp_backend *be, cp_precision prec, size_t n, void *r, const void *v,
		    double momentum, double v_scale, cp_error *err);
	int (*segment_linear_forward)(cp_backend *be, cp_precision prec, size_t rows, size_t nseg,
				      size_t K, const int64_t *ptr, const void *x, const void *w,
				      const void *bias, void *y, cp_error *err);
	int (*segment_linear_backward)(cp_backend *be, cp_precision prec, size_t rows,
				       size_t nseg, size_t K, const int64_t *ptr, const void *x,
				       const void *w, const void *dy, void *dx, void *dw,
				       void *dbias, cp_error *err);
	int (*masked_mse)(cp_backend *be, cp_precision prec, size_t rows, size_t nseg, size_t K,
			  const void *pred, const void *target, double scale, void *grad,
			  double *loss, cp_error *err);
	int (*sum_squares)(cp_backend *be, cp_precision prec, size_t n, const void *x, double *out,
			   cp_error *err);
	int (*scale)(cp_backend *be, cp_precision prec, size_t n, void *x, double alpha,
		     cp_error *err);
	int (*adamw)(cp_backend *be, cp_precision prec, size_t n, void *p, const void *g,
		     double gscale, void *m, void *v, double lr, double beta1, double beta2, double eps, double wd, long t,
		     cp_error *err);
} cp_backend_ops;

struct cp_backend {
	const cp_backend_ops *ops;
	void *impl;	/* backend-private state */
};

#ifdef CP_HAVE_CUDA
cp_backend *cp_cuda_backend_create(int device, cp_error *err);
#endif

#ifdef __cplusplus
}
#endif

#endif
