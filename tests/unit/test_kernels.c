/*
 * Kernel tests: the CPU backend against plain loops, gradients against
 * finite differences, and the CUDA backend against the CPU on the same
 * random inputs (skipped where cellpipe was built without CUDA or no GPU
 * is present).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "vmath.h"

static uint64_t rng = 88172645463325252ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* Naive row-major GEMM in double: the reference. */
static void ref_gemm(const cp_gemm *g, const double *a, const double *b, double *c)
{
	for (int i = 0; i < g->m; i++)
		for (int j = 0; j < g->n; j++) {
			double s = 0;

			for (int p = 0; p < g->k; p++) {
				double av = g->trans_a ? a[(size_t)p * g->lda + i] : a[(size_t)i * g->lda + p];
				double bv = g->trans_b ? b[(size_t)j * g->ldb + p] : b[(size_t)p * g->ldb + j];

				s += av * bv;
			}
			c[(size_t)i * g->ldc + j] = g->alpha * s + (g->beta == 0 ? 0 : g->beta * c[(size_t)i * g->ldc + j]);
		}
}

typedef struct {
	cp_gemm g;
	size_t na, nb, nc;
	double *a, *b, *c, *c_ref;
} problem;

static void make_problem(problem *p, int m, int n, int k, int ta, int tb, double alpha, double beta)
{
	memset(p, 0, sizeof *p);
	p->g = (cp_gemm){ .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k,
			  .alpha = alpha, .beta = beta };
	p->g.lda = (ta ? m : k) + 1;	/* padded leading dimensions */
	p->g.ldb = (tb ? k : n) + 2;
	p->g.ldc = n + 3;
	p->na = (size_t)(ta ? k : m) * (size_t)p->g.lda + 1;
	p->nb = (size_t)(tb ? n : k) * (size_t)p->g.ldb + 1;
	p->nc = (size_t)m * (size_t)p->g.ldc + 1;
	p->a = malloc(p->na * 8);
	p->b = malloc(p->nb * 8);
	p->c = malloc(p->nc * 8);
	p->c_ref = malloc(p->nc * 8);
	for (size_t i = 0; i < p->na; i++)
		p->a[i] = uniform();
	for (size_t i = 0; i < p->nb; i++)
		p->b[i] = uniform();
	for (size_t i = 0; i < p->nc; i++)
		p->c[i] = p->c_ref[i] = uniform();
	ref_gemm(&p->g, p->a, p->b, p->c_ref);
}

static void free_problem(problem *p)
{
	free(p->a);
	free(p->b);
	free(p->c);
	free(p->c_ref);
}

static void *to_prec(const double *x, size_t n, cp_precision prec)
{
	if (prec == CP_F64) {
		double *y = malloc(n * 8);

		memcpy(y, x, n * 8);
		return y;
	}
	float *y = malloc(n * 4);

	for (size_t i = 0; i < n; i++)
		y[i] = (float)x[i];
	return y;
}

static double at(const void *x, size_t i, cp_precision prec)
{
	return prec == CP_F64 ? ((const double *)x)[i] : ((const float *)x)[i];
}

/* Run a group of problems on a backend; compare with the reference. */
static void run_group(cp_backend *be, cp_precision prec, double tol)
{
	enum { NP = 10 };
	const int dims[NP][5] = {
		{ 1, 1, 1, 0, 0 }, { 7, 5, 3, 0, 0 }, { 7, 5, 3, 1, 0 }, { 7, 5, 3, 0, 1 },
		{ 7, 5, 3, 1, 1 }, { 64, 33, 129, 0, 1 }, { 20, 20, 0, 0, 0 }, { 0, 5, 5, 0, 0 },
		{ 130, 1, 257, 1, 0 }, { 3, 200, 2, 0, 0 },
	};
	problem p[NP];
	cp_gemm g[NP];
	void *a[NP], *b[NP], *c[NP];
	cp_error err;

	for (int i = 0; i < NP; i++) {
		size_t es = cp_precision_size(prec);
		void *ha, *hb, *hc;

		make_problem(&p[i], dims[i][0], dims[i][1], dims[i][2], dims[i][3], dims[i][4],
			     i % 3 ? 1.0 : 0.5, i % 2 ? 0.0 : 0.75);
		ha = to_prec(p[i].a, p[i].na, prec);
		hb = to_prec(p[i].b, p[i].nb, prec);
		hc = to_prec(p[i].c, p[i].nc, prec);
		a[i] = cp_buffer_alloc(be, p[i].na * es, &err);
		b[i] = cp_buffer_alloc(be, p[i].nb * es, &err);
		c[i] = cp_buffer_alloc(be, p[i].nc * es, &err);
		assert_non_null(a[i]);
		assert_int_equal(cp_buffer_upload(be, a[i], ha, p[i].na * es, &err), 0);
		assert_int_equal(cp_buffer_upload(be, b[i], hb, p[i].nb * es, &err), 0);
		assert_int_equal(cp_buffer_upload(be, c[i], hc, p[i].nc * es, &err), 0);
		free(ha), free(hb), free(hc);
		g[i] = p[i].g;
		g[i].a = a[i], g[i].b = b[i], g[i].c = c[i];
	}
	if (cp_gemm_grouped(be, prec, NP, g, &err) < 0)
		fail_msg("%s", err.msg);
	for (int i = 0; i < NP; i++) {
		size_t es = cp_precision_size(prec);
		void *hc = malloc(p[i].nc * es);

		assert_int_equal(cp_buffer_download(be, hc, c[i], p[i].nc * es, &err), 0);
		for (int r = 0; r < p[i].g.m; r++)
			for (int col = 0; col < p[i].g.n; col++) {
				size_t idx = (size_t)r * p[i].g.ldc + col;
				double got = at(hc, idx, prec), want = p[i].c_ref[idx];

				if (fabs(got - want) > tol * (1 + fabs(want)))
					fail_msg("%s gemm %d (%dx%dx%d ta=%d tb=%d) at %d,%d: %g vs %g",
						 cp_backend_name(be), i, p[i].g.m, p[i].g.n, p[i].g.k,
						 p[i].g.trans_a, p[i].g.trans_b, r, col, got, want);
			}
		/* padding columns are untouched */
		for (int r = 0; r < p[i].g.m; r++)
			for (int col = p[i].g.n; col < p[i].g.ldc; col++) {
				size_t idx = (size_t)r * p[i].g.ldc + col;

				assert_true(fabs(at(hc, idx, prec) - p[i].c[idx]) < 1e-6);
			}
		free(hc);
		cp_buffer_free(be, a[i]);
		cp_buffer_free(be, b[i]);
		cp_buffer_free(be, c[i]);
		free_problem(&p[i]);
	}
}

static void test_cpu_gemm(void **state)
{
	cp_error err;
	cp_backend *be = cp_backend_cpu(0, &err);

	(void)state;
	assert_non_null(be);
	run_group(be, CP_F64, 1e-12);
	run_group(be, CP_F32, 1e-4);
	cp_backend_free(be);
}

static void test_gemm_checks_arguments(void **state)
{
	cp_error err;
	cp_backend *be = cp_backend_cpu(0, &err);
	double x[4] = { 0 };
	cp_gemm g = { .m = 2, .n = 2, .k = 2, .a = x, .lda = 1, .b = x, .ldb = 2, .c = x, .ldc = 2,
		      .alpha = 1 };

	(void)state;
	assert_int_equal(cp_gemm_grouped(be, CP_F64, 1, &g, &err), -1);
	assert_non_null(strstr(err.msg, "leading dimension"));
	cp_backend_free(be);
}

/* tanh against libm, and its backward against central differences. */
static void tanh_checks(cp_backend *be, cp_precision prec, double tol)
{
	enum { N = 1000 };
	double x[N], dy[N];
	size_t es = cp_precision_size(prec);
	void *hx, *hdy, *dev_x, *dev_y, *dev_dy, *dev_dx;
	void *y = malloc(N * es), *dx = malloc(N * es);
	cp_error err;

	for (int i = 0; i < N; i++) {
		x[i] = 4 * uniform();
		dy[i] = uniform();
	}
	hx = to_prec(x, N, prec);
	hdy = to_prec(dy, N, prec);
	dev_x = cp_buffer_alloc(be, N * es, &err);
	dev_y = cp_buffer_alloc(be, N * es, &err);
	dev_dy = cp_buffer_alloc(be, N * es, &err);
	dev_dx = cp_buffer_alloc(be, N * es, &err);
	cp_buffer_upload(be, dev_x, hx, N * es, &err);
	cp_buffer_upload(be, dev_dy, hdy, N * es, &err);
	assert_int_equal(cp_tanh_forward(be, prec, N, dev_x, dev_y, &err), 0);
	assert_int_equal(cp_tanh_backward(be, prec, N, dev_y, dev_dy, dev_dx, &err), 0);
	cp_buffer_download(be, y, dev_y, N * es, &err);
	cp_buffer_download(be, dx, dev_dx, N * es, &err);
	for (int i = 0; i < N; i++) {
		double xi = at(hx, (size_t)i, prec), h = 1e-6;
		double numeric = (tanh(xi + h) - tanh(xi - h)) / (2 * h) * at(hdy, (size_t)i, prec);

		assert_true(fabs(at(y, (size_t)i, prec) - tanh(xi)) < tol);
		if (fabs(at(dx, (size_t)i, prec) - numeric) > tol * 10)
			fail_msg("%s tanh backward at %g: %g vs %g", cp_backend_name(be), xi,
				 at(dx, (size_t)i, prec), numeric);
	}
	cp_buffer_free(be, dev_x);
	cp_buffer_free(be, dev_y);
	cp_buffer_free(be, dev_dy);
	cp_buffer_free(be, dev_dx);
	free(hx), free(hdy), free(y), free(dx);
}

static void test_cpu_tanh(void **state)
{
	cp_error err;
	cp_backend *be = cp_backend_cpu(0, &err);

	(void)state;
	tanh_checks(be, CP_F64, 1e-9);
	tanh_checks(be, CP_F32, 1e-5);
	cp_backend_free(be);
}

/* The vectorisable float tanh: within 1.6 ulp of tanh in double on every
 * 61st float in [-20, 20] (about 18 million), odd, and NaN stays NaN. */
static void test_tanhf_ulps(void **state)
{
	double worst = 0, at_x = 0;

	(void)state;
	for (uint32_t b = 0; b <= 0x41a00000u; b += 61) {
		float x, r, t, up;
		double ulps;

		memcpy(&x, &b, sizeof x);
		r = cp_tanhf(x);
		t = (float)tanh((double)x);
		if (cp_tanhf(-x) != -r)
			fail_msg("cp_tanhf is not odd at %a", (double)x);
		up = nextafterf(t, INFINITY) - t;
		ulps = fabs((double)r - tanh((double)x)) / (up > 0 ? (double)up : 1e-45);
		if (ulps > worst)
			worst = ulps, at_x = x;
	}
	printf("# cp_tanhf: worst %.2f ulp at %a\n", worst, at_x);
	assert_true(worst < 1.6);
	assert_true(isnan(cp_tanhf(NAN)));
	assert_true(cp_tanhf(INFINITY) == 1.0f && cp_tanhf(-INFINITY) == -1.0f);
	assert_true(cp_tanhf(0.0f) == 0.0f && signbit(cp_tanhf(-0.0f)));
}

/* The CUDA backend gives what the CPU backend gives. */
static void test_cuda_matches_cpu(void **state)
{
	cp_error err;
	cp_backend *be = cp_backend_cuda(0, &err);

	(void)state;
	if (!be) {
		printf("# SKIP CUDA: %s\n", err.msg);
		skip();
	}
	assert_string_equal(cp_backend_name(be), "cuda");
	assert_int_equal(cp_backend_is_host(be), 0);
	run_group(be, CP_F64, 1e-12);
	run_group(be, CP_F32, 1e-4);
	tanh_checks(be, CP_F64, 1e-9);
	tanh_checks(be, CP_F32, 1e-5);
	cp_backend_free(be);
}

static void test_open_by_name(void **state)
{
	cp_error err;
	cp_backend *be = cp_backend_open("cpu", &err);

	(void)state;
	assert_non_null(be);
	assert_string_equal(cp_backend_name(be), "cpu");
	cp_backend_free(be);
	assert_null(cp_backend_open("tpu", &err));
	assert_non_null(strstr(err.msg, "unknown device 'tpu'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_gemm),
		cmocka_unit_test(test_gemm_checks_arguments),
		cmocka_unit_test(test_cpu_tanh),
		cmocka_unit_test(test_tanhf_ulps),
		cmocka_unit_test(test_open_by_name),
		cmocka_unit_test(test_cuda_matches_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
