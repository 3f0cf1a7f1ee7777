/*
 * DCell: the sparse path equals the dense path (outputs, loss, every
 * gradient, running statistics) in float64, in training and inference
 * mode, for every configuration; the dense gradient equals finite
 * differences; serialisation round-trips.  On random DAGs built here;
 * with CELLPIPE_TEST_GO set (tests/data/dcell.sh), the sparse path against
 * the dense one on that real DAG instead.
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

#include "dcell.h"
#include "dcell_impl.h"

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

static size_t pick(size_t n)
{
	return (size_t)(next() % n);
}

/* ---- a random DAG satisfying go_dag_check -------------------------------- */

typedef struct {
	go_dag dag;
	char **names;
} test_dag;

static void random_dag(test_dag *td, size_t G, size_t T, uint64_t seed)
{
	go_dag *d = &td->dag;
	cp_arena *a = &d->arena;
	cp_error err;
	int32_t (*par)[2] = calloc(T, sizeof *par), *npar = calloc(T, sizeof *npar);
	int32_t *st = calloc(T, sizeof *st), *order = calloc(T, sizeof *order);
	int32_t *newi = calloc(T, sizeof *newi);
	uint8_t *has = calloc(T * G, 1);
	size_t words = (G + 63) / 64;
	uint64_t *bits;

	rng = seed;
	go_dag_init(d);
	for (size_t t = 0; t + 1 < T; t++) {
		npar[t] = 1;
		par[t][0] = (int32_t)(t + 1 + pick(T - 1 - t));
		if (t + 2 < T && unif() < 0.3) {
			int32_t p2 = (int32_t)(t + 1 + pick(T - 1 - t));

			if (p2 != par[t][0])
				par[t][npar[t]++] = p2;
		}
	}
	for (size_t t = 0; t < T; t++) {
		size_t ng = 1 + pick(3);

		if (t + 1 == T || unif() < 0.3)
			ng = t + 1 == T ? 0 : pick(2);	/* some internal terms without genes */
		for (size_t k = 0; k < ng; k++)
			has[t * G + pick(G)] = 1;
	}
	/* strata: children have lower original indices */
	for (size_t t = 0; t < T; t++)
		for (int k = 0; k < npar[t]; k++)
			if (st[par[t][k]] < st[t] + 1)
				st[par[t][k]] = st[t] + 1;
	/* order by (stratum, index) */
	for (size_t i = 0; i < T; i++)
		order[i] = (int32_t)i;
	for (size_t i = 1; i < T; i++)
		for (size_t k = i; k > 0 && st[order[k - 1]] > st[order[k]]; k--) {
			int32_t x = order[k];

			order[k] = order[k - 1];
			order[k - 1] = x;
		}
	for (size_t i = 0; i < T; i++)
		newi[order[i]] = (int32_t)i;
	d->n_genes = G;
	td->names = cp_arena_alloc(a, G * sizeof *td->names, &err);
	for (size_t g = 0; g < G; g++) {
		td->names[g] = cp_arena_alloc(a, 24, &err);
		snprintf(td->names[g], 24, "Y%04zu", g);
	}
	d->genes = (const char *const *)td->names;
	d->n_terms = T;
	{
		char **ids = cp_arena_alloc(a, T * sizeof *ids, &err);

		for (size_t i = 0; i < T; i++) {
			ids[i] = cp_arena_alloc(a, 16, &err);
			if (i + 1 == T)
				snprintf(ids[i], 16, "ROOT");
			else
				snprintf(ids[i], 16, "GO:%07d", order[i]);
		}
		d->term_id = (const char *const *)ids;
		d->term_name = (const char *const *)ids;
	}
	d->ns = cp_arena_alloc(a, T, &err);
	d->stratum = cp_arena_alloc(a, T * 4, &err);
	d->n_contained = cp_arena_alloc(a, T * 4, &err);
	d->parent_ptr = cp_arena_alloc(a, (T + 1) * 8, &err);
	d->parent = cp_arena_alloc(a, 2 * T * 4, &err);
	d->parent_rel = cp_arena_alloc(a, 2 * T, &err);
	d->gene_ptr = cp_arena_alloc(a, (T + 1) * 8, &err);
	d->gene = cp_arena_alloc(a, T * G * 4, &err);
	d->evidence = cp_arena_alloc(a, T * G, &err);
	d->date = cp_arena_alloc(a, T * G * 4, &err);
	static const char *codes[] = { "IDA" };
	d->n_evidence_codes = 1;
	d->evidence_codes = codes;
	d->parent_ptr[0] = d->gene_ptr[0] = 0;
	for (size_t i = 0; i < T; i++) {
		int32_t o = order[i];
		int64_t pp = d->parent_ptr[i], gp = d->gene_ptr[i];

		d->ns[i] = i + 1 == T ? GO_ROOT_NAMESPACE : GO_BIOLOGICAL_PROCESS;
		d->stratum[i] = st[o];
		/* parents in ascending new index */
		int32_t p[2];
		int np = npar[o];

		for (int k = 0; k < np; k++)
			p[k] = newi[par[o][k]];
		if (np == 2 && p[0] > p[1]) {
			int32_t x = p[0];

			p[0] = p[1], p[1] = x;
		}
		for (int k = 0; k < np; k++) {
			d->parent[pp] = p[k];
			d->parent_rel[pp++] = 0;
		}
		d->parent_ptr[i + 1] = pp;
		for (size_t g = 0; g < G; g++)
			if (has[(size_t)o * G + g]) {
				d->gene[gp] = (int32_t)g;
				d->evidence[gp] = 0;
				d->date[gp++] = 20100101;
			}
		d->gene_ptr[i + 1] = gp;
	}
	d->root = (int32_t)T - 1;
	d->n_strata = (size_t)st[order[T - 1]] + 1;
	d->stratum_ptr = cp_arena_alloc(a, (d->n_strata + 1) * 8, &err);
	memset(d->stratum_ptr, 0, (d->n_strata + 1) * 8);
	for (size_t i = 0; i < T; i++)
		d->stratum_ptr[d->stratum[i] + 1]++;
	for (size_t s = 0; s < d->n_strata; s++)
		d->stratum_ptr[s + 1] += d->stratum_ptr[s];
	bits = calloc(T * words, sizeof *bits);
	for (size_t i = 0; i < T; i++) {
		size_t c = 0;

		for (int64_t k = d->gene_ptr[i]; k < d->gene_ptr[i + 1]; k++)
			bits[i * words + (size_t)d->gene[k] / 64] |= 1ULL << (d->gene[k] % 64);
		for (size_t w = 0; w < words; w++)
			c += (size_t)__builtin_popcountll(bits[i * words + w]);
		d->n_contained[i] = (int32_t)c;
		for (int64_t k = d->parent_ptr[i]; k < d->parent_ptr[i + 1]; k++)
			for (size_t w = 0; w < words; w++)
				bits[(size_t)d->parent[k] * words + w] |= bits[i * words + w];
	}
	if (go_dag_check(d, "random", &err) < 0)
		fail_msg("random DAG: %s", err.msg);
	free(par), free(npar), free(st), free(order), free(newi), free(has), free(bits);
}

/* ---- batches ------------------------------------------------------------- */

typedef struct {
	dcell_batch b;
	int64_t ptr[257];
	int32_t genes[257 * 3];
	double target[256 * 2];
} test_batch;

static void random_batch(test_batch *tb, size_t n, size_t G, size_t K, int with_nan)
{
	size_t k = 0;

	tb->ptr[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t nd = 1 + pick(3);	/* 1-3 deletions, distinct, sorted */
		int32_t g[3];

		for (size_t j = 0; j < nd; j++) {
			g[j] = (int32_t)pick(G);
			for (size_t q = 0; q < j; q++)
				if (g[q] == g[j])
					g[j] = -1;
		}
		for (size_t a = 0; a < nd; a++)
			for (size_t c = a + 1; c < nd; c++)
				if (g[c] < g[a]) {
					int32_t x = g[a];

					g[a] = g[c], g[c] = x;
				}
		for (size_t j = 0; j < nd; j++)
			if (g[j] >= 0 && (k == (size_t)tb->ptr[i] || tb->genes[k - 1] != g[j]))
				tb->genes[k++] = g[j];
		tb->ptr[i + 1] = (int64_t)k;
		for (size_t q = 0; q < K; q++)
			tb->target[i * K + q] = with_nan && unif() < 0.2 ? NAN : 2 * unif() - 1;
	}
	tb->b.n = n;
	tb->b.gene_ptr = tb->ptr;
	tb->b.gene = tb->genes;
	tb->b.term_ptr = NULL;
	tb->b.term = NULL;
	tb->b.target = tb->target;
}

/* The first sample becomes the deletion of one gene of no term, when the
 * DAG has such a gene: it changes nothing, and the sparse path must see
 * that.  Returns the gene, or -1. */
static uint8_t *annotated(const go_dag *dag)
{
	uint8_t *in = calloc(dag->n_genes, 1);

	assert_non_null(in);
	for (int64_t k = 0; k < dag->gene_ptr[dag->n_terms]; k++)
		in[dag->gene[k]] = 1;
	return in;
}

static int32_t lone_gene_first(test_batch *tb, const go_dag *dag)
{
	uint8_t *in = annotated(dag);
	int32_t u = -1;
	int64_t c0 = tb->ptr[1] - tb->ptr[0];

	for (size_t g = 0; g < dag->n_genes && u < 0; g++)
		if (!in[g])
			u = (int32_t)g;
	free(in);
	if (u < 0)
		return -1;
	memmove(tb->genes + 1, tb->genes + c0, (size_t)(tb->ptr[tb->b.n] - c0) * sizeof *tb->genes);
	tb->genes[0] = u;
	for (size_t i = 1; i <= tb->b.n; i++)
		tb->ptr[i] -= c0 - 1;
	return u;
}

/* Random parameters in [-range, range] (each term's weights over the
 * square root of its inputs with fan_in, so that a wide term's
 * pre-activations keep the scale of a narrow one's), random BatchNorm
 * scales and running statistics. */
static void randomise(dcell *m, double range, int fan_in)
{
	double *p = m->params, *b = m->buffers;

	for (size_t i = 0; i < m->n_params; i++)
		p[i] = (2 * unif() - 1) * range;
	for (size_t t = 0; fan_in && t < m->n_terms; t++) {
		size_t n = (size_t)m->width[t] * (size_t)m->in_dim[t];
		double f = 1 / sqrt(m->in_dim[t] > 1 ? (double)m->in_dim[t] : 1.0);

		for (size_t i = 0; i < n; i++)
			p[(size_t)m->w_off[t] + i] *= f;
	}
	for (size_t s = 0; s < m->n_strata; s++)
		for (int64_t j = 0; j < m->stratum_width[s]; j++) {
			p[m->gamma_off[s] + j] = 0.5 + unif();
			b[m->rmean_off[s] + j] = unif() - 0.5;
			b[m->rvar_off[s] + j] = 0.5 + 1.5 * unif();
		}
}

static double rel(double a, double b)
{
	return fabs(a - b) / (1e-3 + fabs(a) + fabs(b));
}

/* Normwise comparison: max |a - b| against max |a|.  Elementwise relative
 * error is meaningless for values that are rounding noise in one path and
 * exactly zero in the other (a BatchNorm column constant over the batch). */
static void compare_arrays(const char *what, const double *a, const double *b, size_t n, double tol)
{
	double worst = 0, scale = 0;
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		double d = fabs(a[i] - b[i]);

		if (fabs(a[i]) > scale)
			scale = fabs(a[i]);
		if (d > worst || isnan(d))
			worst = d, at = i;
	}
	if (!(worst <= tol * (scale + 1e-300)))
		fail_msg("%s: max difference %g at %zu (%g vs %g), max magnitude %g", what, worst, at,
			 a[at], b[at], scale);
}

/* Two copies of one random model: m1 with a run for the dense path, m2
 * with a run and the sparse path. */
typedef struct {
	dcell m1, m2;
	dcell_run *r1, *r2;
	dcell_sparse *sp;
} twin;

static void twin_new(twin *tw, const go_dag *dag, const dcell_config *cfg, cp_backend *be, size_t n,
		     int fan_in)
{
	cp_error err;

	assert_int_equal(dcell_init(&tw->m1, dag, cfg, CP_F64, 7, &err), 0);
	randomise(&tw->m1, 0.4, fan_in);
	assert_int_equal(dcell_init(&tw->m2, dag, cfg, CP_F64, 7, &err), 0);
	memcpy(tw->m2.params, tw->m1.params, tw->m1.n_params * 8);
	memcpy(tw->m2.buffers, tw->m1.buffers, tw->m1.n_buffers * 8);
	tw->r1 = dcell_run_new(&tw->m1, be, n, &err);
	tw->r2 = dcell_run_new(&tw->m2, be, n, &err);
	assert_non_null(tw->r1);
	assert_non_null(tw->r2);
	tw->sp = dcell_sparse_new(tw->r2, &err);
	assert_non_null(tw->sp);
}

static void twin_free(twin *tw)
{
	dcell_sparse_free(tw->sp);
	dcell_run_free(tw->r1);
	dcell_run_free(tw->r2);
	dcell_free(&tw->m1);
	dcell_free(&tw->m2);
}

/* Dense and sparse on two copies of one model of a DAG, a batch of n
 * random 1-3-gene deletions: equal everything. */
static void dense_vs_sparse_dag(const dcell_config *cfg, const go_dag *dag, size_t n, int fan_in)
{
	twin tw;
	cp_error err;
	cp_backend *be = cp_backend_cpu(1, &err);
	test_batch tb;
	size_t K = (size_t)cfg->n_outputs, G = dag->n_genes, T = dag->n_terms;
	double l1 = 0, l2 = 0, p1[256 * 2], p2[256 * 2];

	twin_new(&tw, dag, cfg, be, n, fan_in);
	random_batch(&tb, n, G, K, 1);
	lone_gene_first(&tb, dag);

	/* inference */
	if (dcell_dense_forward(tw.r1, &tb.b, 0, &l1, p1, &err) < 0 ||
	    dcell_sparse_forward(tw.sp, &tb.b, 0, &l2, p2, &err) < 0)
		fail_msg("%s", err.msg);
	compare_arrays("inference predictions", p1, p2, n * K, 1e-10);
	assert_true(rel(l1, l2) < 1e-10);
	/* with the per-gene cache: cold, then warm, the same predictions */
	assert_int_equal(dcell_sparse_cache(tw.sp, 1, (size_t)1 << 30, &err), 0);
	for (int pass = 0; pass < 2; pass++) {
		memset(p2, 0, sizeof p2);
		if (dcell_sparse_forward(tw.sp, &tb.b, 0, NULL, p2, &err) < 0)
			fail_msg("%s", err.msg);
		compare_arrays("cached inference predictions", p1, p2, n * K, 1e-10);
	}

	/* training: forward, backward */
	assert_int_equal(dcell_zero_grad(tw.r1, &err), 0);
	assert_int_equal(dcell_zero_grad(tw.r2, &err), 0);
	if (dcell_dense_forward(tw.r1, &tb.b, 1, &l1, p1, &err) < 0 ||
	    dcell_sparse_forward(tw.sp, &tb.b, 1, &l2, p2, &err) < 0 ||
	    dcell_dense_backward(tw.r1, &tb.b, &err) < 0 || dcell_sparse_backward(tw.sp, &tb.b, &err) < 0)
		fail_msg("%s", err.msg);
	compare_arrays("training predictions", p1, p2, n * K, 1e-9);
	if (!(rel(l1, l2) < 1e-9))
		fail_msg("training loss %.15g vs %.15g", l1, l2);
	if (getenv("DCELL_DEBUG")) {
		const double *g1 = dcell_run_grad(tw.r1, &err), *g2 = dcell_run_grad(tw.r2, &err);

		for (size_t s = 0; s < tw.m1.n_strata; s++) {
			double wb = 0, bb = 0, gb = 0, bt = 0, hw = 0, hb = 0;
			int64_t e = s + 1 < tw.m1.n_strata ? tw.m1.w_off[tw.m1.stratum_ptr[s + 1]]
							   : (int64_t)tw.m1.n_params;

			for (int64_t i = tw.m1.w_off[tw.m1.stratum_ptr[s]]; i < tw.m1.bias_off[s]; i++)
				wb = fmax(wb, rel(g1[i], g2[i]));
			for (int64_t i = tw.m1.bias_off[s]; i < tw.m1.gamma_off[s]; i++)
				bb = fmax(bb, rel(g1[i], g2[i]));
			for (int64_t i = tw.m1.gamma_off[s]; i < tw.m1.beta_off[s]; i++)
				gb = fmax(gb, rel(g1[i], g2[i]));
			for (int64_t i = tw.m1.beta_off[s]; i < tw.m1.head_w_off[s]; i++)
				bt = fmax(bt, rel(g1[i], g2[i]));
			for (int64_t i = tw.m1.head_w_off[s]; i < tw.m1.head_b_off[s]; i++)
				hw = fmax(hw, rel(g1[i], g2[i]));
			for (int64_t i = tw.m1.head_b_off[s]; i < e; i++)
				hb = fmax(hb, rel(g1[i], g2[i]));
			fprintf(stderr, "stratum %zu: W %g bias %g gamma %g beta %g headw %g headb %g\n", s, wb,
				bb, gb, bt, hw, hb);
		}
	}
	compare_arrays("gradients", dcell_run_grad(tw.r1, &err), dcell_run_grad(tw.r2, &err), tw.m1.n_params,
		       1e-7);
	assert_int_equal(dcell_run_download(tw.r1, NULL, NULL, &err), 0);
	assert_int_equal(dcell_run_download(tw.r2, NULL, NULL, &err), 0);
	compare_arrays("running statistics", tw.m1.buffers, tw.m2.buffers, tw.m1.n_buffers, 1e-10);
	/* the cache follows the changed running statistics */
	if (dcell_dense_forward(tw.r1, &tb.b, 0, NULL, p1, &err) < 0 ||
	    dcell_sparse_forward(tw.sp, &tb.b, 0, NULL, p2, &err) < 0)
		fail_msg("%s", err.msg);
	compare_arrays("cached inference after training", p1, p2, n * K, 1e-10);
	assert_int_equal(dcell_sparse_cache(tw.sp, 1, 1, &err), -1);	/* over the limit */
	assert_non_null(strstr(err.msg, "per-gene cache"));
	{
		double f, pairs;

		dcell_sparse_stats(tw.sp, &f, &pairs);
		/* the cached path computes the terms containing two or more of
		 * a sample's genes: some (the root at least) exactly when a
		 * sample has two annotated genes */
		uint8_t *in = annotated(dag);
		int two = 0;

		for (size_t i = 0; i < n; i++) {
			int c = 0;

			for (int64_t k = tb.ptr[i]; k < tb.ptr[i + 1]; k++)
				c += in[tb.genes[k]];
			two |= c >= 2;
		}
		free(in);
		assert_true(pairs >= 0 && pairs <= (double)n * (double)T);
		assert_true((pairs > 0) == two);
	}
	twin_free(&tw);
	cp_backend_free(be);
}

static void dense_vs_sparse(const dcell_config *cfg, size_t G, size_t T, size_t n, uint64_t seed)
{
	test_dag td;

	random_dag(&td, G, T, seed);
	dense_vs_sparse_dag(cfg, &td.dag, n, 0);
	go_dag_free(&td.dag);
}

static void test_sparse_equals_dense(void **state)
{
	dcell_config cfg;

	(void)state;
	dcell_config_default(&cfg);
	dense_vs_sparse(&cfg, 40, 30, 16, 1);
	dense_vs_sparse(&cfg, 200, 120, 64, 2);
	/* a batch of one: train-mode BatchNorm maps every term to its beta,
	 * so the gradients are zero in both paths; what it checks is that edge
	 * and inference */
	dense_vs_sparse(&cfg, 15, 12, 1, 3);
	dense_vs_sparse(&cfg, 15, 12, 2, 3);	/* the smallest batch that trains */
}

static void test_sparse_equals_dense_options(void **state)
{
	dcell_config cfg;

	(void)state;
	dcell_config_default(&cfg);
	cfg.bn_before_tanh = 1;
	dense_vs_sparse(&cfg, 60, 40, 32, 4);
	dcell_config_default(&cfg);
	cfg.gene_present = 1;
	dense_vs_sparse(&cfg, 60, 40, 32, 5);
	dcell_config_default(&cfg);
	cfg.width_from_direct = 1;
	cfg.alpha_mean = 1;
	cfg.n_outputs = 2;
	cfg.label[1] = PERT_GENE_INTERACTION;
	dense_vs_sparse(&cfg, 60, 40, 32, 6);
	dcell_config_default(&cfg);
	cfg.width_min = 3;
	cfg.width_frac = 0.5;
	dense_vs_sparse(&cfg, 300, 80, 48, 7);
}

/* BatchNorm straight after the linear map: the sparse backward writes only
 * the weight columns some sample changed and keeps the rest of the
 * gradient zero.  Batch after batch, and after a dense backward has
 * written the whole gradient, it still equals the dense one, and the
 * biases' gradient (the mean the normalisation removes) is exactly zero. */
static void test_sparse_grad_columns(void **state)
{
	test_dag td;
	twin tw;
	dcell_config cfg;
	cp_error err;
	cp_backend *be = cp_backend_cpu(1, &err);
	test_batch ta, tb, tc;
	size_t G = 120, n = 24, K = 1;

	(void)state;
	dcell_config_default(&cfg);
	cfg.bn_before_tanh = 1;
	random_dag(&td, G, 70, 11);
	twin_new(&tw, &td.dag, &cfg, be, n, 0);
	random_batch(&ta, n, G, K, 0);
	random_batch(&tb, n, G, K, 1);
	random_batch(&tc, n, G, K, 0);
	/* the dense gradient of batch b */
	if (dcell_zero_grad(tw.r1, &err) < 0 || dcell_dense_forward(tw.r1, &tb.b, 1, NULL, NULL, &err) < 0 ||
	    dcell_dense_backward(tw.r1, &tb.b, &err) < 0)
		fail_msg("%s", err.msg);
	for (int round = 0; round < 2; round++) {
		const double *g;

		if (round == 0) {	/* batch a's columns, then b's */
			if (dcell_sparse_forward(tw.sp, &ta.b, 1, NULL, NULL, &err) < 0 ||
			    dcell_sparse_backward(tw.sp, &ta.b, &err) < 0)
				fail_msg("%s", err.msg);
		} else {		/* a dense backward writes every column, then b's */
			if (dcell_zero_grad(tw.r2, &err) < 0 ||
			    dcell_dense_forward(tw.r2, &tc.b, 1, NULL, NULL, &err) < 0 ||
			    dcell_dense_backward(tw.r2, &tc.b, &err) < 0)
				fail_msg("%s", err.msg);
		}
		if (dcell_sparse_forward(tw.sp, &tb.b, 1, NULL, NULL, &err) < 0 ||
		    dcell_sparse_backward(tw.sp, &tb.b, &err) < 0)
			fail_msg("%s", err.msg);
		compare_arrays(round ? "gradients after a dense backward" : "gradients of a second batch",
			       dcell_run_grad(tw.r1, &err), dcell_run_grad(tw.r2, &err), tw.m1.n_params, 1e-7);
		g = dcell_run_grad(tw.r2, &err);
		for (size_t s = 0; s < tw.m2.n_strata; s++)
			for (int64_t j = tw.m2.bias_off[s]; j < tw.m2.gamma_off[s]; j++)
				if (g[j] != 0.0)
					fail_msg("bias gradient %g at stratum %zu", g[j], s);
	}
	twin_free(&tw);
	go_dag_free(&td.dag);
	cp_backend_free(be);
}

/* The dense gradient against central differences of the training loss. */
static void test_gradient_check(void **state)
{
	test_dag td;
	dcell m;
	dcell_config cfg;
	cp_error err;
	cp_backend *be = cp_backend_cpu(1, &err);
	dcell_run *r;
	test_batch tb;
	double *grad, *saved_buffers, l0;

	(void)state;
	dcell_config_default(&cfg);
	cfg.width_min = 4;
	random_dag(&td, 30, 20, 11);
	assert_int_equal(dcell_init(&m, &td.dag, &cfg, CP_F64, 3, &err), 0);
	randomise(&m, 0.5, 0);
	r = dcell_run_new(&m, be, 12, &err);
	random_batch(&tb, 12, 30, 1, 1);
	saved_buffers = malloc(m.n_buffers * 8);
	memcpy(saved_buffers, m.buffers, m.n_buffers * 8);
	assert_int_equal(dcell_zero_grad(r, &err), 0);
	assert_int_equal(dcell_dense_forward(r, &tb.b, 1, &l0, NULL, &err), 0);
	assert_int_equal(dcell_dense_backward(r, &tb.b, &err), 0);
	grad = malloc(m.n_params * 8);
	memcpy(grad, dcell_run_grad(r, &err), m.n_params * 8);
	for (int trial = 0; trial < 200; trial++) {
		size_t i = pick(m.n_params);
		double h = 1e-6, lp, lm, *p = m.params, x = p[i];

		p[i] = x + h;
		memcpy(m.buffers, saved_buffers, m.n_buffers * 8);
		dcell_run_upload(r, NULL, NULL, &err);
		dcell_dense_forward(r, &tb.b, 1, &lp, NULL, &err);
		p[i] = x - h;
		memcpy(m.buffers, saved_buffers, m.n_buffers * 8);
		dcell_run_upload(r, NULL, NULL, &err);
		dcell_dense_forward(r, &tb.b, 1, &lm, NULL, &err);
		p[i] = x;
		if (fabs((lp - lm) / (2 * h) - grad[i]) > 1e-6 * (1 + fabs(grad[i])))
			fail_msg("parameter %zu: analytic %.10g, numeric %.10g", i, grad[i], (lp - lm) / (2 * h));
	}
	free(grad);
	free(saved_buffers);
	dcell_run_free(r);
	dcell_free(&m);
	go_dag_free(&td.dag);
	cp_backend_free(be);
}

/* The dense path's buffers follow the batches it is given, not the largest
 * it may take: a run for 4096 rows that first sees 3, then 20, gives what a
 * run for 20 gives (predictions, loss, gradient, running statistics), bit
 * for bit, and holds buffers for 20 rows. */
static void test_dense_grows(void **state)
{
	test_dag td;
	dcell m[2];
	dcell_config cfg;
	cp_error err;
	cp_backend *be = cp_backend_cpu(1, &err);
	dcell_run *r[2];
	test_batch small, big;
	double loss[2], pred[2][20], *grad[2];

	(void)state;
	dcell_config_default(&cfg);
	cfg.width_min = 4;
	random_dag(&td, 30, 20, 5);
	random_batch(&small, 3, 30, 1, 0);
	random_batch(&big, 20, 30, 1, 1);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(dcell_init(&m[k], &td.dag, &cfg, CP_F64, 3, &err), 0);
		r[k] = dcell_run_new(&m[k], be, k ? 4096 : 20, &err);
		assert_non_null(r[k]);
	}
	randomise(&m[0], 0.5, 0);
	memcpy(m[1].params, m[0].params, m[0].n_params * 8);
	memcpy(m[1].buffers, m[0].buffers, m[0].n_buffers * 8);
	assert_int_equal(dcell_run_upload(r[1], NULL, NULL, &err), 0);
	assert_int_equal(dcell_run_upload(r[0], NULL, NULL, &err), 0);
	if (dcell_dense_forward(r[1], &small.b, 0, NULL, pred[1], &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r[1]->cap, 3);
	for (int k = 0; k < 2; k++) {
		if (dcell_zero_grad(r[k], &err) < 0 ||
		    dcell_dense_forward(r[k], &big.b, 1, &loss[k], pred[k], &err) < 0 ||
		    dcell_dense_backward(r[k], &big.b, &err) < 0 || dcell_run_download(r[k], NULL, NULL, &err) < 0)
			fail_msg("%s", err.msg);
		grad[k] = malloc(m[k].n_params * 8);
		memcpy(grad[k], dcell_run_grad(r[k], &err), m[k].n_params * 8);
	}
	assert_int_equal(r[1]->cap, 20);
	assert_memory_equal(&loss[0], &loss[1], sizeof loss[0]);
	assert_memory_equal(pred[0], pred[1], sizeof pred[0]);
	assert_memory_equal(grad[0], grad[1], m[0].n_params * 8);
	assert_memory_equal(m[0].buffers, m[1].buffers, m[0].n_buffers * 8);
	for (int k = 0; k < 2; k++) {
		free(grad[k]);
		dcell_run_free(r[k]);
		dcell_free(&m[k]);
	}
	go_dag_free(&td.dag);
	cp_backend_free(be);
}

/* Training steps reduce the loss on a fixed batch, and two runs from the
 * same seed are bit-identical. */
static void test_training_steps(void **state)
{
	test_dag td;
	dcell_config cfg;
	cp_error err;
	cp_backend *be = cp_backend_cpu(1, &err);
	double final[2];

	(void)state;
	dcell_config_default(&cfg);
	random_dag(&td, 50, 40, 21);
	for (int run = 0; run < 2; run++) {
		dcell m;
		dcell_run *r;
		dcell_sparse *sp;
		test_batch tb;
		double first = 0, loss = 0;

		rng = 99;
		assert_int_equal(dcell_init(&m, &td.dag, &cfg, CP_F32, 5, &err), 0);
		r = dcell_run_new(&m, be, 32, &err);
		sp = dcell_sparse_new(r, &err);
		random_batch(&tb, 32, 50, 1, 0);
		for (long step = 1; step <= 30; step++) {
			assert_int_equal(dcell_zero_grad(r, &err), 0);
			assert_int_equal(dcell_sparse_forward(sp, &tb.b, 1, &loss, NULL, &err), 0);
			assert_int_equal(dcell_sparse_backward(sp, &tb.b, &err), 0);
			if (step == 1)
				first = loss;
			if (getenv("DCELL_DEBUG"))
				fprintf(stderr, "step %ld loss %g\n", step, loss);
			if (dcell_adamw_step(r, step, 0.01, 0.01, 1.0, NULL, &err) < 0)
				fail_msg("%s", err.msg);
		}
		assert_true(loss < 0.9 * first);
		final[run] = loss;
		dcell_sparse_free(sp);
		dcell_run_free(r);
		dcell_free(&m);
	}
	assert_true(final[0] == final[1]);
	go_dag_free(&td.dag);
	cp_backend_free(be);
}

/* The sparse path with 1 and with 3 threads (terms of a stratum in
 * parallel): the same loss, predictions and gradients, and so the same
 * parameters after a few AdamW steps, with either order of the activation
 * and BatchNorm. */
static void test_sparse_threads(void **state)
{
	test_dag td;
	dcell_config cfg;
	cp_error err;
	double *grad[2], *params[2], loss[2], pred[2][64];
	size_t np = 0;

	(void)state;
	random_dag(&td, 120, 90, 31);
	for (int order = 0; order < 2; order++) {	/* tanh-bn, bn-tanh */
		dcell_config_default(&cfg);
		cfg.bn_before_tanh = order;
		for (int run = 0; run < 2; run++) {
			cp_backend *be = cp_backend_cpu(run == 0 ? 1 : 3, &err);
			dcell m;
			dcell_run *r;
			dcell_sparse *sp;
			test_batch tb;

			rng = 77;
			assert_int_equal(cp_backend_threads(be), run == 0 ? 1 : 3);
			assert_int_equal(dcell_init(&m, &td.dag, &cfg, CP_F64, 5, &err), 0);
			randomise(&m, 0.4, 0);
			r = dcell_run_new(&m, be, 64, &err);
			sp = dcell_sparse_new(r, &err);
			assert_non_null(sp);
			for (long step = 1; step <= 3; step++) {	/* a new batch each step */
				random_batch(&tb, 64, 120, 1, 4);
				assert_int_equal(dcell_sparse_forward(sp, &tb.b, 1, &loss[run], pred[run], &err), 0);
				assert_int_equal(dcell_sparse_backward(sp, &tb.b, &err), 0);
				if (step < 3)
					assert_int_equal(dcell_adamw_step(r, step, 0.01, 0.01, 1.0, NULL, &err), 0);
			}
			np = m.n_params;
			grad[run] = malloc(np * 8);
			params[run] = malloc(np * 8);
			memcpy(grad[run], dcell_run_grad(r, &err), np * 8);
			assert_int_equal(dcell_run_download(r, NULL, NULL, &err), 0);
			memcpy(params[run], m.params, np * 8);
			dcell_sparse_free(sp);
			dcell_run_free(r);
			dcell_free(&m);
			cp_backend_free(be);
		}
		assert_true(loss[0] == loss[1]);
		assert_memory_equal(pred[0], pred[1], sizeof pred[0]);
		compare_arrays("gradients, 1 vs 3 threads", grad[0], grad[1], np, 1e-12);
		compare_arrays("parameters, 1 vs 3 threads", params[0], params[1], np, 1e-12);
		for (int run = 0; run < 2; run++)
			free(grad[run]), free(params[run]);
	}
	go_dag_free(&td.dag);
}

/* AdamW's update of the terms' weights left to the next training forward
 * (each term's block updated as its item starts) gives the same bits as
 * the update done at once: parameters, moments and losses after several
 * steps, with an inference forward (which applies the update first) and a
 * checkpoint-style download between steps; with either order of the
 * activation and BatchNorm and a new batch each step. */
static void deferred_update(int before)
{
	test_dag td;
	dcell_config cfg;
	cp_error err;
	float *params[2], *mom[2][2], pred[2][48];
	double loss[2][5];
	size_t np = 0;

	dcell_config_default(&cfg);
	cfg.bn_before_tanh = before;
	random_dag(&td, 120, 90, 41);
	for (int run = 0; run < 2; run++) {
		cp_backend *be = cp_backend_cpu(2, &err);
		dcell m;
		dcell_run *r;
		dcell_sparse *sp;
		test_batch tb, tv;
		double p64[48];

		rng = 55;
		assert_int_equal(dcell_init(&m, &td.dag, &cfg, CP_F32, 5, &err), 0);
		r = dcell_run_new(&m, be, 48, &err);
		sp = dcell_sparse_new(r, &err);
		assert_non_null(sp);
		r->defer_ok = run;	/* run 0: every update at once */
		np = m.n_params;
		random_batch(&tv, 48, 120, 1, 0);
		for (long step = 1; step <= 5; step++) {
			random_batch(&tb, 48, 120, 1, 3);
			assert_int_equal(dcell_sparse_forward(sp, &tb.b, 1, &loss[run][step - 1], NULL, &err), 0);
			assert_int_equal(dcell_sparse_backward(sp, &tb.b, &err), 0);
			assert_int_equal(dcell_adamw_step(r, step, 0.02, 0.01, 0.5, NULL, &err), 0);
			assert_int_equal(r->pend.on, run);
			if (step == 2) {
				assert_int_equal(dcell_sparse_forward(sp, &tv.b, 0, NULL, p64, &err), 0);
				assert_int_equal(r->pend.on, 0);
				for (int i = 0; i < 48; i++)
					pred[run][i] = (float)p64[i];
			}
			if (step == 3)
				assert_int_equal(dcell_run_download(r, NULL, NULL, &err), 0);
		}
		/* the last step's update is still pending in run 1 */
		params[run] = malloc(np * sizeof(float));
		mom[run][0] = malloc(np * sizeof(float));
		mom[run][1] = malloc(np * sizeof(float));
		assert_int_equal(dcell_run_download(r, mom[run][0], mom[run][1], &err), 0);
		assert_int_equal(r->pend.on, 0);
		memcpy(params[run], m.params, np * sizeof(float));
		dcell_sparse_free(sp);
		dcell_run_free(r);
		dcell_free(&m);
		cp_backend_free(be);
	}
	assert_memory_equal(loss[0], loss[1], sizeof loss[0]);
	assert_memory_equal(pred[0], pred[1], sizeof pred[0]);
	assert_memory_equal(params[0], params[1], np * sizeof(float));
	assert_memory_equal(mom[0][0], mom[1][0], np * sizeof(float));
	assert_memory_equal(mom[0][1], mom[1][1], np * sizeof(float));
	for (int run = 0; run < 2; run++)
		free(params[run]), free(mom[run][0]), free(mom[run][1]);
	go_dag_free(&td.dag);
}

static void test_deferred_update(void **state)
{
	(void)state;
	deferred_update(0);
	deferred_update(1);
}

/* Sparse inference, plain and with the per-gene cache, in both precisions:
 * the same bits with 1 and 3 threads (wide terms are split into several
 * work items, by rows or by columns), and the dense path's values. */
static void test_sparse_inference_threads(void **state)
{
	test_dag td;
	dcell_config cfg;
	cp_error err;
	size_t n = 200;
	double pred[2][3][256], dense[256], trained[256];

	(void)state;
	dcell_config_default(&cfg);
	cfg.width_min = 21;	/* not a whole number of vectors */
	cfg.width_frac = 0.7;
	random_dag(&td, 300, 80, 41);
	memset(pred, 0, sizeof pred);
	for (int prec = 0; prec < 2; prec++) {
		for (int run = 0; run < 2; run++) {
			cp_backend *be = cp_backend_cpu(run == 0 ? 1 : 3, &err);
			dcell m;
			dcell_run *r;
			dcell_sparse *sp;
			test_batch tb;

			rng = 91;
			assert_int_equal(dcell_init(&m, &td.dag, &cfg, CP_F64, 5, &err), 0);
			randomise(&m, 0.4, 0);
			if (prec == 1) {	/* the same model in float */
				dcell m32;

				assert_int_equal(dcell_init(&m32, &td.dag, &cfg, CP_F32, 5, &err), 0);
				for (size_t i = 0; i < m.n_params; i++)
					((float *)m32.params)[i] = (float)((double *)m.params)[i];
				for (size_t i = 0; i < m.n_buffers; i++)
					((float *)m32.buffers)[i] = (float)((double *)m.buffers)[i];
				dcell_free(&m);
				m = m32;
			}
			r = dcell_run_new(&m, be, n, &err);
			sp = dcell_sparse_new(r, &err);
			assert_non_null(sp);
			random_batch(&tb, n, 300, 1, 0);
			if (run == 0 && dcell_dense_forward(r, &tb.b, 0, NULL, dense, &err) < 0)
				fail_msg("%s", err.msg);
			if (dcell_sparse_forward(sp, &tb.b, 0, NULL, pred[run][0], &err) < 0)
				fail_msg("%s", err.msg);
			assert_int_equal(dcell_sparse_cache(sp, 1, (size_t)1 << 30, &err), 0);
			for (int pass = 1; pass < 3; pass++)	/* filling the cache, then from it */
				if (dcell_sparse_forward(sp, &tb.b, 0, NULL, pred[run][pass], &err) < 0)
					fail_msg("%s", err.msg);
			for (int k = 0; k < 3; k++)
				compare_arrays(k ? "cached inference vs dense" : "sparse inference vs dense", dense,
					       pred[run][k], n, prec ? 1e-5 : 1e-10);
			/* inference, dense and sparse, allocates no gradient nor
			 * moments; the first training forward does */
			assert_null(r->grad);
			assert_null(r->adam_m);
			assert_null(r->adam_v);
			if (dcell_sparse_forward(sp, &tb.b, 1, NULL, trained, &err) < 0)
				fail_msg("%s", err.msg);
			assert_non_null(r->grad);
			assert_non_null(r->adam_m);
			assert_non_null(r->adam_v);
			dcell_sparse_free(sp);
			dcell_run_free(r);
			dcell_free(&m);
			cp_backend_free(be);
		}
		assert_memory_equal(pred[0], pred[1], sizeof pred[0]);
	}
	go_dag_free(&td.dag);
}

static void test_model_record(void **state)
{
	test_dag td;
	dcell m, back;
	dcell_config cfg;
	cpz_record rec;
	cp_error err;

	(void)state;
	dcell_config_default(&cfg);
	cfg.bn_before_tanh = 1;
	random_dag(&td, 30, 25, 31);
	assert_int_equal(dcell_init(&m, &td.dag, &cfg, CP_F32, 5, &err), 0);
	/* values of its own in every parameter and running statistic */
	for (size_t i = 0; i < m.n_params; i++)
		((float *)m.params)[i] = (float)(2 * unif() - 1);
	for (size_t i = 0; i < m.n_buffers; i++)
		((float *)m.buffers)[i] = (float)(0.5 + unif());
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "dcell", &err);
	assert_int_equal(dcell_to_record(&m, &rec, &err), 0);
	if (dcell_from_record(&back, &td.dag, &rec, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(back.n_params, m.n_params);
	assert_int_equal(back.cfg.bn_before_tanh, 1);
	assert_memory_equal(back.params, m.params, m.n_params * 4);
	assert_int_equal(back.n_buffers, m.n_buffers);
	assert_memory_equal(back.buffers, m.buffers, m.n_buffers * 4);
	dcell_free(&back);
	/* another DAG is refused */
	{
		test_dag other;

		random_dag(&other, 30, 26, 32);
		assert_int_equal(dcell_from_record(&back, &other.dag, &rec, &err), -1);
		assert_non_null(strstr(err.msg, "another GO DAG"));
		go_dag_free(&other.dag);
	}
	/* a NaN weight (every prediction NaN) and an epsilon of BatchNorm
	 * below 0 are refused, naming the field */
	((float *)m.params)[7] = NAN;
	cpz_record_reset(&rec, "dcell", &err);
	assert_int_equal(dcell_to_record(&m, &rec, &err), 0);
	assert_int_equal(dcell_from_record(&back, &td.dag, &rec, &err), -1);
	if (!strstr(err.msg, "'params'") || !strstr(err.msg, "value 7 is nan, not a finite number"))
		fail_msg("%s", err.msg);
	((float *)m.params)[7] = 0;
	m.cfg.bn_eps = -1;
	cpz_record_reset(&rec, "dcell", &err);
	assert_int_equal(dcell_to_record(&m, &rec, &err), 0);
	assert_int_equal(dcell_from_record(&back, &td.dag, &rec, &err), -1);
	if (!strstr(err.msg, "'config.bn_eps'") || !strstr(err.msg, "-1 is out of range"))
		fail_msg("%s", err.msg);
	m.cfg.bn_eps = INFINITY;	/* every output would be beta */
	cpz_record_reset(&rec, "dcell", &err);
	assert_int_equal(dcell_to_record(&m, &rec, &err), 0);
	assert_int_equal(dcell_from_record(&back, &td.dag, &rec, &err), -1);
	if (!strstr(err.msg, "'config.bn_eps'") || !strstr(err.msg, "inf is out of range"))
		fail_msg("%s", err.msg);
	/* a negative running variance: x / sqrt(var + eps) is NaN */
	m.cfg.bn_eps = 1e-5;
	((float *)m.buffers)[m.rvar_off[1] + 2] = -1;
	cpz_record_reset(&rec, "dcell", &err);
	assert_int_equal(dcell_to_record(&m, &rec, &err), 0);
	assert_int_equal(dcell_from_record(&back, &td.dag, &rec, &err), -1);
	if (!strstr(err.msg, "'buffers'") || !strstr(err.msg, "a negative running variance"))
		fail_msg("%s", err.msg);
	((float *)m.buffers)[m.rmean_off[1] + 2] = -1;	/* a mean may be negative */
	((float *)m.buffers)[m.rvar_off[1] + 2] = 0;
	cpz_record_reset(&rec, "dcell", &err);
	assert_int_equal(dcell_to_record(&m, &rec, &err), 0);
	if (dcell_from_record(&back, &td.dag, &rec, &err) < 0)
		fail_msg("%s", err.msg);
	dcell_free(&back);
	cpz_record_free(&rec);
	dcell_free(&m);
	go_dag_free(&td.dag);
}

/* The dense path on CUDA against the CPU, skipped without a GPU: a
 * training step (forward, backward, AdamW with clipping and decay), then
 * an inference forward, in float64 on a random DAG, with either order of
 * the activation and BatchNorm: predictions, losses, parameters, moments
 * and running statistics agree to rounding. */
/* Parameters after one AdamW step from the same gradient g (the CPU's).
 * A gradient entry that is zero in exact arithmetic (a column constant
 * over the batch, a bias before BatchNorm) comes out as rounding noise,
 * which differs with the order of the sums; the first step turns any
 * nonzero gradient into a step of about lr, so there the two may differ
 * by up to a step each way.  Elsewhere they must agree to tol. */
static void compare_steps(const char *what, const double *a, const double *b, const double *g, size_t n,
			  double lr, double tol)
{
	double gmax = 0, scale = 0;

	for (size_t i = 0; i < n; i++) {
		gmax = fabs(g[i]) > gmax ? fabs(g[i]) : gmax;
		scale = fabs(a[i]) > scale ? fabs(a[i]) : scale;
	}
	for (size_t i = 0; i < n; i++) {
		double d = fabs(a[i] - b[i]);
		int noise = fabs(g[i]) <= 1e-6 * gmax;

		if (!(d <= (noise ? 2.5 * lr : tol * scale)))
			fail_msg("%s: difference %g at %zu (%g vs %g; gradient %g of at most %g)", what, d, i,
				 a[i], b[i], g[i], gmax);
	}
}

static void test_cuda_dense_matches_cpu(void **state)
{
	cp_error err;
	cp_backend *gpu = cp_backend_cuda(0, &err), *host;
	test_dag td;

	(void)state;
	if (!gpu) {
		printf("# SKIP CUDA: %s\n", err.msg);
		skip();
	}
	host = cp_backend_cpu(1, &err);
	random_dag(&td, 120, 90, 51);
	for (int before = 0; before < 2; before++) {
		dcell_config cfg;
		dcell m[2];
		dcell_run *r[2];
		double loss[2][2], pred[2][2][48], *mom[2][2], *grad[2];
		test_batch tb;

		dcell_config_default(&cfg);
		cfg.bn_before_tanh = before;
		for (int k = 0; k < 2; k++) {
			assert_int_equal(dcell_init(&m[k], &td.dag, &cfg, CP_F64, 7, &err), 0);
			rng = 77;
			randomise(&m[k], 0.4, 0);
			r[k] = dcell_run_new(&m[k], k ? gpu : host, 48, &err);
			if (!r[k])
				fail_msg("%s", err.msg);
			random_batch(&tb, 48, 120, 1, 1);
			grad[k] = malloc(m[k].n_params * sizeof(double));
			/* a training step, with an inference forward before the update */
			if (dcell_zero_grad(r[k], &err) < 0 ||
			    dcell_dense_forward(r[k], &tb.b, 1, &loss[k][0], pred[k][0], &err) < 0 ||
			    dcell_dense_backward(r[k], &tb.b, &err) < 0 ||
			    cp_buffer_download(r[k]->be, grad[k], r[k]->grad, m[k].n_params * sizeof(double), &err) < 0 ||
			    dcell_dense_forward(r[k], &tb.b, 0, &loss[k][1], pred[k][1], &err) < 0 ||
			    dcell_adamw_step(r[k], 1, 0.01, 0.01, 1.0, NULL, &err) < 0)
				fail_msg("%s: %s", k ? "cuda" : "cpu", err.msg);
			mom[k][0] = malloc(m[k].n_params * sizeof(double));
			mom[k][1] = malloc(m[k].n_params * sizeof(double));
			assert_int_equal(dcell_run_download(r[k], mom[k][0], mom[k][1], &err), 0);
		}
		compare_arrays("cuda: training predictions", pred[0][0], pred[1][0], 48, 1e-9);
		compare_arrays("cuda: inference predictions", pred[0][1], pred[1][1], 48, 1e-9);
		compare_arrays("cuda: losses", loss[0], loss[1], 2, 1e-9);
		compare_arrays("cuda: gradients", grad[0], grad[1], m[0].n_params, 1e-8);
		compare_steps("cuda: parameters after a step", m[0].params, m[1].params, grad[0], m[0].n_params, 0.01,
			      1e-9);
		compare_arrays("cuda: first moments", mom[0][0], mom[1][0], m[0].n_params, 1e-9);
		compare_arrays("cuda: second moments", mom[0][1], mom[1][1], m[0].n_params, 1e-9);
		compare_arrays("cuda: running statistics", m[0].buffers, m[1].buffers, m[0].n_buffers, 1e-9);
		for (int k = 0; k < 2; k++) {
			dcell_run_free(r[k]);
			dcell_free(&m[k]);
			free(mom[k][0]), free(mom[k][1]), free(grad[k]);
		}
	}
	go_dag_free(&td.dag);
	cp_backend_free(host);
	cp_backend_free(gpu);
}

/* The real GO DAG, read from the go stream CELLPIPE_TEST_GO names (the
 * data suite sets it to gaf2go's whole 2012 DAG: 2,145 terms, 5,794
 * genes), with the main job's widths (from direct genes): both orders of
 * the activation and BatchNorm, deletions of any of the DAG's genes. */
static void test_real_dag(void **state)
{
	const char *path = getenv("CELLPIPE_TEST_GO");
	go_dag dag;
	cp_error err;
	dcell_config cfg;

	(void)state;
	if (go_dag_read(path, &dag, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(dag.n_terms > 1000);
	for (int before = 0; before < 2; before++) {
		dcell_config_default(&cfg);
		cfg.width_from_direct = 1;
		cfg.bn_before_tanh = before;
		dense_vs_sparse_dag(&cfg, &dag, 48, 1);
	}
	go_dag_free(&dag);
}

int main(void)
{
	/* the data suite's run: the real DAG only */
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_dag),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_equals_dense),
		cmocka_unit_test(test_sparse_equals_dense_options),
		cmocka_unit_test(test_sparse_grad_columns),
		cmocka_unit_test(test_gradient_check),
		cmocka_unit_test(test_dense_grows),
		cmocka_unit_test(test_training_steps),
		cmocka_unit_test(test_sparse_threads),
		cmocka_unit_test(test_deferred_update),
		cmocka_unit_test(test_sparse_inference_threads),
		cmocka_unit_test(test_model_record),
		cmocka_unit_test(test_cuda_dense_matches_cpu),
	};

	if (getenv("CELLPIPE_TEST_GO"))
		return cmocka_run_group_tests(real, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
