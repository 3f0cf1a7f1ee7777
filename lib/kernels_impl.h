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
