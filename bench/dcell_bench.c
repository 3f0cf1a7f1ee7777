/*
 * dcell_bench - DCell training and inference speed, dense and sparse, on a
 * real GO DAG with random 2-gene deletions.
 *
 *   dcell_bench GO.cpz [-b BATCH] [-n BATCHES] [-t THREADS] [-p f32|f64] [-s SEED]
 *               [-d] [-o tanh-bn|bn-tanh] [-m PATH] [-D cpu|cuda]
 *
 * Prints the model's size, the floating-point work each path does per
 * sample (multiply-add = 2), samples/s, the achieved GFLOP/s, and the mean
 * and median time of a batch.  -d: widths from direct genes; -o: the order
 * of the activation and BatchNorm (fit's --order) [tanh-bn]; -m: only one
 * path (0 dense training, 1 dense inference, 2 sparse training, 3 sparse
 * inference, 4 inference with the per-gene cache, which runs at least 200
 * batches); -D: the backend [cpu] (cuda: the dense paths only, each batch
 * timed to the end of its queued work, the peak a cuBLAS GEMM).  With
 * sparse training on the CPU it also times an AdamW pass over buffers the
 * model's size and prints a floor for a training step: the step's FLOPs at
 * the SGEMM peak, and the parameter traffic every exact step has (that pass,
 * and one read of the weights and one write of the gradient at its rate),
 * added up and fully overlapped.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "dcell.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n batch times, in ms (sorts them). */
static double median_ms(double *t, size_t n)
{
	qsort(t, n, sizeof *t, cmp_double);
	return n ? 1e3 * (n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2])) : 0;
}

static uint64_t rng = 12345;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Random pairs of distinct annotated genes (genes in some term). */
static void make_batch(const dcell *m, const int32_t *annotated, size_t n_ann, size_t B,
		       int64_t *ptr, int32_t *genes, double *target)
{
	ptr[0] = 0;
	for (size_t i = 0; i < B; i++) {
		int32_t a = annotated[next() % n_ann], b;

		do
			b = annotated[next() % n_ann];
		while (b == a);
		genes[2 * i] = a < b ? a : b;
		genes[2 * i + 1] = a < b ? b : a;
		ptr[i + 1] = (int64_t)(2 * i + 2);
		target[i] = (double)(next() % 1000) / 1000.0 - 0.5;
	}
	(void)m;
}

/* A backend's peak: the best of three 4096^3 GEMMs of zeros in its memory,
 * each to the end of its queued work. */
static int device_peak(cp_backend *be, cp_precision prec)
{
	int N = 4096;
	size_t bytes = (size_t)N * N * cp_precision_size(prec);
	void *a = NULL, *bm = NULL, *cm = NULL;
	cp_error err;
	double best = 1e30;
	int rc = -1;

	if (!(a = cp_buffer_alloc(be, bytes, &err)) || !(bm = cp_buffer_alloc(be, bytes, &err)) ||
	    !(cm = cp_buffer_alloc(be, bytes, &err)) || cp_buffer_zero(be, a, bytes, &err) < 0 ||
	    cp_buffer_zero(be, bm, bytes, &err) < 0 || cp_backend_sync(be, &err) < 0)
		goto out;
	for (int rep = 0; rep < 4; rep++) {
		cp_gemm g = { 0, 0, N, N, N, a, N, bm, N, cm, N, 1, 0 };
		double t0 = now();

		if (cp_gemm_grouped(be, prec, 1, &g, &err) < 0 || cp_backend_sync(be, &err) < 0)
			goto out;
		if (rep > 0 && now() - t0 < best)	/* the first warms up */
			best = now() - t0;
	}
	printf("machine peak (%s %s %dx%dx%d): %.1f GFLOP/s\n", cp_backend_name(be),
	       prec == CP_F64 ? "DGEMM" : "SGEMM", N, N, N, 2.0 * N * N * (double)N / best / 1e9);
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "dcell_bench: %s\n", err.msg);
	cp_buffer_free(be, a), cp_buffer_free(be, bm), cp_buffer_free(be, cm);
	return rc;
}

int main(int argc, char **argv)
{
	size_t B = 256, nb = 4;
	int threads = 0, c, only = -1, direct = 0, bn_first = 0, host;
	const char *device = "cpu";
	cp_precision prec = CP_F32;
	go_dag dag;
	dcell m;
	dcell_config cfg;
	cp_error err;
	cp_backend *be;
	dcell_run *run;
	dcell_sparse *sp = NULL;

	while ((c = getopt(argc, argv, "b:n:t:p:s:m:do:D:")) != -1) {
		switch (c) {
		case 'b': B = (size_t)atol(optarg); break;
		case 'n': nb = (size_t)atol(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'p': prec = strcmp(optarg, "f64") == 0 ? CP_F64 : CP_F32; break;
		case 's': rng = (uint64_t)atoll(optarg); break;
		case 'm': only = atoi(optarg); break;
		case 'd': direct = 1; break;
		case 'D': device = optarg; break;
		case 'o':
			if (strcmp(optarg, "bn-tanh") != 0 && strcmp(optarg, "tanh-bn") != 0) {
				fprintf(stderr, "dcell_bench: -o: '%s' is not tanh-bn or bn-tanh\n", optarg);
				return 2;
			}
			bn_first = strcmp(optarg, "bn-tanh") == 0;
			break;
		default:
			fprintf(stderr, "usage: dcell_bench GO.cpz [-b BATCH] [-n BATCHES] [-t THREADS] [-p f32|f64] [-s SEED] [-d] [-o tanh-bn|bn-tanh] [-m PATH] [-D cpu|cuda]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: dcell_bench GO.cpz [-b BATCH] [-n BATCHES] [-t THREADS] [-p f32|f64] [-s SEED] [-d] [-o tanh-bn|bn-tanh] [-m PATH] [-D cpu|cuda]\n");
		return 2;
	}
	if (go_dag_read(argv[optind], &dag, &err) < 0) {
		fprintf(stderr, "dcell_bench: %s\n", err.msg);
		return 1;
	}
	dcell_config_default(&cfg);
	cfg.width_from_direct = direct;
	cfg.bn_before_tanh = bn_first;
	be = strcmp(device, "cpu") == 0 ? cp_backend_cpu(threads, &err) : cp_backend_open(device, &err);
	if (!be || dcell_init(&m, &dag, &cfg, prec, 1, &err) < 0 || !(run = dcell_run_new(&m, be, B, &err)) ||
	    ((host = cp_backend_is_host(be)) && !(sp = dcell_sparse_new(run, &err)))) {
		fprintf(stderr, "dcell_bench: %s\n", err.msg);
		return 1;
	}
	/* genes annotated to some term */
	int32_t *annotated = malloc(m.n_genes * sizeof *annotated);
	size_t n_ann = 0;

	for (size_t g = 0; g < m.n_genes; g++)
		if (m.cont_ptr[g + 1] > m.cont_ptr[g])
			annotated[n_ann++] = (int32_t)g;
	int64_t *ptr = malloc((B + 1) * sizeof *ptr);
	int32_t *genes = malloc(2 * B * sizeof *genes);
	double *target = malloc(B * sizeof *target), *pred = malloc(B * sizeof *pred);
	dcell_batch b = { B, ptr, genes, NULL, NULL, target, 0 };
	double dense_flops = dcell_dense_flops(&m), loss, peak = 0, adamw_s = 0;
	size_t max_w = 0;

	for (size_t t = 0; t < m.n_terms; t++)
		if ((size_t)m.width[t] > max_w)
			max_w = (size_t)m.width[t];
	printf("DCell on %s (widths from %s genes, %s): %zu terms, %zu strata, %zu genes annotated; widest term %zu; %zu parameters (%s)\n",
	       argv[optind], direct ? "direct" : "contained", bn_first ? "bn-tanh" : "tanh-bn", m.n_terms,
	       m.n_strata, n_ann, max_w, m.n_params, prec == CP_F64 ? "f64" : "f32");
	printf("dense forward: %.1f MFLOP per sample\n", dense_flops / 1e6);
	/* the machine's practical peak: a large square SGEMM/DGEMM through OpenBLAS */
	if (!host) {
		if (device_peak(be, prec) < 0)
			return 1;
	} else {
		int N = 2048;
		size_t es = prec == CP_F64 ? 8 : 4;
		void *a = malloc((size_t)N * N * es), *bm = malloc((size_t)N * N * es);
		void *cm = calloc((size_t)N * N, es);
		double t0, best = 1e30;

		memset(a, 0, (size_t)N * N * es);
		memset(bm, 0, (size_t)N * N * es);
		for (int rep = 0; rep < 3; rep++) {
			t0 = now();
			if (prec == CP_F64)
				cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, bm, N, 0,
					    cm, N);
			else
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, bm, N, 0,
					    cm, N);
			if (now() - t0 < best)
				best = now() - t0;
		}
		peak = 2.0 * N * N * (double)N / best;
		printf("machine peak (OpenBLAS %s %dx%dx%d): %.1f GFLOP/s\n", prec == CP_F64 ? "DGEMM" : "SGEMM",
		       N, N, N, peak / 1e9);
		free(a), free(bm), free(cm);
	}
	/* the machine's memory side, for training: exact AdamW reads the
	 * weights, gradient and both moments of every parameter and writes three
	 * of them each step, whatever the batch; timed alone (best of five
	 * passes of cp_adamw over buffers the model's size, the backend's
	 * threads), it gives the bandwidth such a pass reaches here */
	if (host && (only < 0 || only == 2)) {
		size_t es = prec == CP_F64 ? 8 : 4, bytes = m.n_params * es;
		void *bp = cp_buffer_alloc(be, bytes, &err), *bg = cp_buffer_alloc(be, bytes, &err);
		void *bm1 = cp_buffer_alloc(be, bytes, &err), *bv = cp_buffer_alloc(be, bytes, &err);
		double t0, best = 1e30;

		if (!bp || !bg || !bm1 || !bv || cp_buffer_zero(be, bp, bytes, &err) < 0 ||
		    cp_buffer_zero(be, bg, bytes, &err) < 0 || cp_buffer_zero(be, bm1, bytes, &err) < 0 ||
		    cp_buffer_zero(be, bv, bytes, &err) < 0)
			goto fail;
		for (long rep = 1; rep <= 5; rep++) {
			t0 = now();
			if (cp_adamw(be, prec, m.n_params, bp, bg, 1.0, bm1, bv, 1e-4, 0.9, 0.999, 1e-8, 0.01,
				     rep, &err) < 0)
				goto fail;
			if (now() - t0 < best)
				best = now() - t0;
		}
		adamw_s = best;
		printf("memory: an AdamW pass over the %zu parameters alone (cp_adamw): %.1f ms, %.1f GB/s "
		       "(7 arrays)\n", m.n_params, 1e3 * best, 7.0 * (double)bytes / best / 1e9);
		cp_buffer_free(be, bp), cp_buffer_free(be, bg), cp_buffer_free(be, bm1), cp_buffer_free(be, bv);
	}

	/* affected terms per sample, over a few batches */
	if (host) {
		double pairs = 0, flops = 0;

		for (size_t k = 0; k < nb && k < 4; k++) {
			double f, p;

			make_batch(&m, annotated, n_ann, B, ptr, genes, target);
			dcell_sparse_forward(sp, &b, 0, &loss, pred, &err);
			dcell_sparse_stats(sp, &f, &p);
			pairs += p;
			flops += f;
		}
		printf("sparse inference: %.1f terms changed per sample (of %zu), %.2f MFLOP per sample\n",
		       pairs / (double)((nb < 4 ? nb : 4) * B), m.n_terms, flops / (double)((nb < 4 ? nb : 4) * B) / 1e6);
	}
	/* the cached path takes a few ms a batch: at least 200 batches of it */
	size_t nbc = nb > 200 ? nb : 200;
	double *bt = malloc(nbc * sizeof *bt), bt0;
	double *ph = malloc(3 * nbc * sizeof *ph), pt;	/* forward, backward, optimiser */

	/* ms/batch: the mean; median: the median batch, less sensitive to
	 * other work on the machine */
	printf("%-28s %12s %12s %10s %8s\n", "path (batch)", "samples/s", "GFLOP/s", "ms/batch", "median");
	/* inference with the per-gene cache: filled first for every annotated
	 * gene (timed apart), then the same random pairs */
	double cache_fill_s = -1, cache_rate = 0, cache_gflops = 0, cache_ms = 0, cache_med = 0;
	double gain = dcell_sparse_cache_gain(&m);

	if (host && ((only < 0 && gain >= 2.0) || only == 4)) {
		int32_t *one = malloc(B * sizeof *one);
		int64_t *one_ptr = malloc((B + 1) * sizeof *one_ptr);
		double t0, f, flops_total = 0;

		if (dcell_sparse_cache(sp, 1, (size_t)4 << 30, &err) < 0)
			goto fail;
		t0 = now();
		for (size_t g0 = 0; g0 < n_ann; g0 += B) {
			dcell_batch sb = { n_ann - g0 < B ? n_ann - g0 : B, one_ptr, one, NULL, NULL, NULL, 0 };

			for (size_t i = 0; i <= sb.n; i++)
				one_ptr[i] = (int64_t)i;
			for (size_t i = 0; i < sb.n; i++)
				one[i] = annotated[g0 + i];
			if (dcell_sparse_forward(sp, &sb, 0, NULL, pred, &err) < 0)
				goto fail;
		}
		cache_fill_s = now() - t0;
		t0 = now();
		for (size_t k = 0; k < nbc; k++) {
			make_batch(&m, annotated, n_ann, B, ptr, genes, target);
			bt0 = now();
			if (dcell_sparse_forward(sp, &b, 0, NULL, pred, &err) < 0)
				goto fail;
			bt[k] = now() - bt0;
			dcell_sparse_stats(sp, &f, NULL);
			flops_total += f;
		}
		cache_ms = now() - t0;
		cache_rate = (double)(nbc * B) / cache_ms;
		cache_gflops = flops_total / cache_ms / 1e9;
		cache_ms = 1e3 * cache_ms / (double)nbc;
		cache_med = median_ms(bt, nbc);
		dcell_sparse_cache(sp, 0, 0, &err);
		free(one), free(one_ptr);
	}
	for (int path = 0; path < 2; path++)
		for (int train = 1; train >= 0; train--) {
			double t0, t, flops_total = 0;

			if ((only >= 0 && only != path * 2 + (1 - train)) || (path == 1 && !host))
				continue;

			make_batch(&m, annotated, n_ann, B, ptr, genes, target);
			/* warm up once */
			if (path == 0) {
				dcell_dense_forward(run, &b, train, &loss, pred, &err);
			} else {
				dcell_sparse_forward(sp, &b, train, &loss, pred, &err);
			}
			t0 = now();
			for (size_t k = 0; k < nb; k++) {
				make_batch(&m, annotated, n_ann, B, ptr, genes, target);
				bt0 = now();
				pt = bt0;
				if (train && path == 0)	/* the sparse backward writes every gradient (as in fit) */
					dcell_zero_grad(run, &err);
				if (path == 0) {
					if (dcell_dense_forward(run, &b, train, &loss, pred, &err) < 0 ||
					    (train && dcell_dense_backward(run, &b, &err) < 0))
						goto fail;
					flops_total += (train ? 3.0 : 1.0) * dense_flops * (double)B;
				} else {
					double f1, f2;

					if (dcell_sparse_forward(sp, &b, train, &loss, pred, &err) < 0)
						goto fail;
					dcell_sparse_stats(sp, &f1, NULL);
					ph[k] = now() - pt;
					pt = now();
					if (train && dcell_sparse_backward(sp, &b, &err) < 0)
						goto fail;
					ph[nbc + k] = now() - pt;
					pt = now();
					dcell_sparse_stats(sp, &f2, NULL);
					flops_total += train ? f1 + f2 : f1;
				}
				if (train && dcell_adamw_step(run, (long)k + 1, 1e-4, 0, 0, NULL, &err) < 0)
					goto fail;
				if (cp_backend_sync(be, &err) < 0)	/* a GPU's queued work */
					goto fail;
				ph[2 * nbc + k] = now() - pt;
				bt[k] = now() - bt0;
			}
			t = now() - t0;
			printf("%-6s %-10s (%4zu)       %12.0f %12.2f %10.1f %8.1f\n", path ? "sparse" : "dense",
			       train ? "training" : "inference", B, (double)(nb * B) / t, flops_total / t / 1e9,
			       1e3 * t / (double)nb, median_ms(bt, nb));
			if (train && path == 1)
				printf("  (medians: forward %.1f ms, backward %.1f ms, optimiser %.1f ms)\n",
				       median_ms(ph, nb), median_ms(ph + nbc, nb), median_ms(ph + 2 * nbc, nb));
			if (train && path == 1 && peak > 0 && adamw_s > 0) {
				/* a floor for the step: the arithmetic at the peak, and the
				 * parameter traffic no exact step avoids (the AdamW pass, and
				 * the backward reading the weights and writing the gradient
				 * once, 2 arrays at the AdamW pass's rate) */
				double arith = flops_total / (double)nb / peak, traffic = adamw_s * 9.0 / 7.0;
				double seq = arith + traffic, ovl = arith > traffic ? arith : traffic;

				printf("  (floor per step: arithmetic at the peak %.1f ms, parameter traffic %.1f ms; "
				       "in sequence %.1f ms, %.0f samples/s; fully overlapped %.1f ms, %.0f samples/s)\n",
				       1e3 * arith, 1e3 * traffic, 1e3 * seq, (double)B / seq, 1e3 * ovl, (double)B / ovl);
			}
		}
	if (!host) {
		printf("(sparse and cached paths: not run, they need the CPU backend)\n");
	} else if (cache_fill_s >= 0) {
		printf("%-6s %-10s (%4zu)       %12.0f %12.2f %10.1f %8.2f\n", "cached", "inference", B, cache_rate,
		       cache_gflops, cache_ms, cache_med);
		printf("(cached: the per-gene cache filled first for all %zu annotated genes in %.2f s; "
		       "estimated gain %.2f)\n", n_ann, cache_fill_s, gain);
	} else {
		printf("(cached: not run, the per-gene cache would cut the work only %.2f-fold)\n", gain);
	}
	return 0;
fail:
	fprintf(stderr, "dcell_bench: %s\n", err.msg);
	return 1;
}
