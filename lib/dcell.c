/* dcell.c - DCell: structure, parameters, the dense path, optimiser, streams. */
#define _GNU_SOURCE
#include "dcell.h"
#include "dcell_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dcell_config_default(dcell_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->width_min = 20;
	cfg->width_frac = 0.3;
	cfg->alpha = 0.3;
	cfg->init_range = 0.001;
	cfg->bn_eps = 1e-5;
	cfg->bn_momentum = 0.1;
	cfg->n_outputs = 1;
	cfg->label[0] = PERT_FITNESS;
}

/* splitmix64: small, fast, and enough for initialisation and shuffling */
uint64_t dcell_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *state)
{
	return (double)(dcell_rng_next(state) >> 11) / 9007199254740992.0;
}

static void *arena_array(cp_arena *a, size_t n, size_t size, cp_error *err)
{
	size_t bytes;
	void *p;

	if (cp_mul_size(n ? n : 1, size, &bytes) < 0) {
		cp_error_set(err, "array of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = cp_arena_alloc(a, bytes, err);
	if (p)
		memset(p, 0, bytes);
	return p;
}

static void set_value(void *v, cp_precision prec, size_t i, double x)
{
	if (prec == CP_F64)
		((double *)v)[i] = x;
	else
		((float *)v)[i] = (float)x;
}

/* Children CSR and gene containment from the DAG. */
static int build_structure(dcell *m, const go_dag *dag, cp_error *err)
{
	size_t T = dag->n_terms, G = dag->n_genes, words = (G + 63) / 64;
	int64_t E = dag->parent_ptr[T];
	int64_t *fill = NULL;
	uint64_t *bits = NULL;
	int rc = -1;

	m->child_ptr = arena_array(&m->arena, T + 1, sizeof *m->child_ptr, err);
	m->child = arena_array(&m->arena, (size_t)E, sizeof *m->child, err);
	m->gene_ptr = arena_array(&m->arena, T + 1, sizeof *m->gene_ptr, err);
	m->gene = arena_array(&m->arena, (size_t)dag->gene_ptr[T], sizeof *m->gene, err);
	m->n_child = arena_array(&m->arena, T, sizeof *m->n_child, err);
	m->stratum = arena_array(&m->arena, T, sizeof *m->stratum, err);
	m->stratum_ptr = arena_array(&m->arena, dag->n_strata + 1, sizeof *m->stratum_ptr, err);
	m->cont_ptr = arena_array(&m->arena, G + 1, sizeof *m->cont_ptr, err);
	fill = cp_calloc(T + 1, sizeof *fill, err);
	bits = cp_calloc(T * (words ? words : 1), sizeof *bits, err);
	if (!m->child_ptr || !m->child || !m->gene_ptr || !m->gene || !m->n_child || !m->stratum ||
	    !m->stratum_ptr || !m->cont_ptr || !fill || !bits)
		goto out;
	for (int64_t k = 0; k < E; k++)
		m->child_ptr[dag->parent[k] + 1]++;
	for (size_t t = 0; t < T; t++)
		m->child_ptr[t + 1] += m->child_ptr[t];
	memcpy(fill, m->child_ptr, (T + 1) * sizeof *fill);
	for (size_t c = 0; c < T; c++)
		for (int64_t k = dag->parent_ptr[c]; k < dag->parent_ptr[c + 1]; k++)
			m->child[fill[dag->parent[k]]++] = (int32_t)c;
	for (size_t t = 0; t < T; t++)
		m->n_child[t] = (int32_t)(m->child_ptr[t + 1] - m->child_ptr[t]);
	memcpy(m->gene_ptr, dag->gene_ptr, (T + 1) * sizeof *m->gene_ptr);
	memcpy(m->gene, dag->gene, (size_t)dag->gene_ptr[T] * sizeof *m->gene);
	memcpy(m->stratum, dag->stratum, T * sizeof *m->stratum);
	memcpy(m->stratum_ptr, dag->stratum_ptr, (dag->n_strata + 1) * sizeof *m->stratum_ptr);

	/* contained genes, leaves first, pushed up to the parents */
	for (size_t t = 0; t < T; t++) {
		for (int64_t k = dag->gene_ptr[t]; k < dag->gene_ptr[t + 1]; k++)
			bits[t * words + (size_t)dag->gene[k] / 64] |= 1ULL << (dag->gene[k] % 64);
		for (int64_t k = dag->parent_ptr[t]; k < dag->parent_ptr[t + 1]; k++)
			for (size_t w = 0; w < words; w++)
				bits[(size_t)dag->parent[k] * words + w] |= bits[t * words + w];
	}
	for (size_t t = 0; t < T; t++)
		for (size_t w = 0; w < words; w++)
			for (uint64_t x = bits[t * words + w]; x; x &= x - 1)
				m->cont_ptr[w * 64 + (size_t)__builtin_ctzll(x) + 1]++;
	for (size_t g = 0; g < G; g++)
		m->cont_ptr[g + 1] += m->cont_ptr[g];
	m->cont_term = arena_array(&m->arena, (size_t)m->cont_ptr[G], sizeof *m->cont_term, err);
	if (!m->cont_term)
		goto out;
	memcpy(fill, m->cont_ptr, (G < T ? G : T) * sizeof *fill);
	{
		int64_t *gfill = cp_malloc(G + 1, sizeof *gfill, err);

		if (!gfill)
			goto out;
		memcpy(gfill, m->cont_ptr, (G + 1) * sizeof *gfill);
		for (size_t t = 0; t < T; t++)	/* ascending t, so each list is sorted */
			for (size_t w = 0; w < words; w++)
				for (uint64_t x = bits[t * words + w]; x; x &= x - 1)
					m->cont_term[gfill[w * 64 + (size_t)__builtin_ctzll(x)]++] = (int32_t)t;
		free(gfill);
	}
	rc = 0;
out:
	free(fill);
	free(bits);
	return rc;
}

static int layout(dcell *m, const go_dag *dag, cp_error *err)
{
	size_t T = m->n_terms, S = m->n_strata;
	int K = m->cfg.n_outputs;
	int64_t p = 0, b = 0, act = 0;

	m->width = arena_array(&m->arena, T, sizeof *m->width, err);
	m->in_dim = arena_array(&m->arena, T, sizeof *m->in_dim, err);
	m->col_off = arena_array(&m->arena, T, sizeof *m->col_off, err);
	m->in_off = arena_array(&m->arena, T, sizeof *m->in_off, err);
	m->w_off = arena_array(&m->arena, T, sizeof *m->w_off, err);
	m->stratum_width = arena_array(&m->arena, S, sizeof *m->stratum_width, err);
	m->stratum_in = arena_array(&m->arena, S, sizeof *m->stratum_in, err);
	m->act_off = arena_array(&m->arena, S + 1, sizeof *m->act_off, err);
	m->bias_off = arena_array(&m->arena, S, sizeof *m->bias_off, err);
	m->gamma_off = arena_array(&m->arena, S, sizeof *m->gamma_off, err);
	m->beta_off = arena_array(&m->arena, S, sizeof *m->beta_off, err);
	m->head_w_off = arena_array(&m->arena, S, sizeof *m->head_w_off, err);
	m->head_b_off = arena_array(&m->arena, S, sizeof *m->head_b_off, err);
	m->rmean_off = arena_array(&m->arena, S, sizeof *m->rmean_off, err);
	m->rvar_off = arena_array(&m->arena, S, sizeof *m->rvar_off, err);
	if (!m->width || !m->in_dim || !m->col_off || !m->in_off || !m->w_off || !m->stratum_width ||
	    !m->stratum_in || !m->act_off || !m->bias_off || !m->gamma_off || !m->beta_off ||
	    !m->head_w_off || !m->head_b_off || !m->rmean_off || !m->rvar_off)
		return -1;
	for (size_t t = 0; t < T; t++) {
		double genes = m->cfg.width_from_direct ? (double)(dag->gene_ptr[t + 1] - dag->gene_ptr[t])
							: (double)dag->n_contained[t];
		double w = ceil(m->cfg.width_frac * genes);

		m->width[t] = w > m->cfg.width_min ? (int32_t)w : m->cfg.width_min;
	}
	for (size_t t = 0; t < T; t++) {
		int64_t in = dag->gene_ptr[t + 1] - dag->gene_ptr[t];

		for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++)
			in += m->width[m->child[k]];
		if (in > INT32_MAX)
			return cp_error_set(err, "term %s has %" PRId64 " inputs", dag->term_id[t], in);
		m->in_dim[t] = (int32_t)in;
	}
	for (size_t s = 0; s < S; s++) {
		int64_t col = 0, in = 0;

		for (int64_t t = m->stratum_ptr[s]; t < m->stratum_ptr[s + 1]; t++) {
			m->col_off[t] = col;
			m->in_off[t] = in;
			col += m->width[t];
			in += m->in_dim[t];
			m->w_off[t] = p;
			p += (int64_t)m->width[t] * m->in_dim[t];
		}
		m->stratum_width[s] = col;
		m->stratum_in[s] = in;
		m->act_off[s] = act;
		act += col;
		m->bias_off[s] = p, p += col;
		m->gamma_off[s] = p, p += col;
		m->beta_off[s] = p, p += col;
		m->head_w_off[s] = p, p += (int64_t)K * col;
		m->head_b_off[s] = p, p += (m->stratum_ptr[s + 1] - m->stratum_ptr[s]) * K;
		m->rmean_off[s] = b, b += col;
		m->rvar_off[s] = b, b += col;
	}
	m->act_off[S] = act;
	m->total_width = act;
	m->n_params = (size_t)p;
	m->n_buffers = (size_t)b;
	return 0;
}

int dcell_init(dcell *m, const go_dag *dag, const dcell_config *cfg, cp_precision prec,
	       uint64_t seed, cp_error *err)
{
	size_t es = cp_precision_size(prec);
	uint64_t rng = seed;

	memset(m, 0, sizeof *m);
	cp_arena_init(&m->arena);
	m->cfg = *cfg;
	m->prec = prec;
	if (cfg->n_outputs < 1 || cfg->n_outputs > PERT_N_LABELS)
		return cp_error_set(err, "dcell: %d outputs (1 to %d)", cfg->n_outputs, PERT_N_LABELS);
	if (cfg->width_min < 1 || cfg->width_frac < 0)
		return cp_error_set(err, "dcell: invalid width rule");
	if (dag->n_strata < 2)
		return cp_error_set(err, "dcell: the DAG has only a root");
	m->n_terms = dag->n_terms;
	m->n_strata = dag->n_strata;
	m->n_genes = dag->n_genes;
	m->genome_hash = dag->genome_hash;
	pert_go_hash(dag->n_terms, dag->term_id, m->go_hash);
	if (build_structure(m, dag, err) < 0 || layout(m, dag, err) < 0)
		goto fail;
	m->params = cp_aligned_alloc(64, m->n_params * es, err);
	m->buffers = cp_aligned_alloc(64, m->n_buffers * es, err);
	if (!m->params || !m->buffers)
		goto fail;
	/* initialise in layout order, so a seed fixes every value */
	for (size_t s = 0; s < m->n_strata; s++) {
		int64_t W = m->stratum_width[s];
		int64_t nt = m->stratum_ptr[s + 1] - m->stratum_ptr[s];

		for (int64_t t = m->stratum_ptr[s]; t < m->stratum_ptr[s + 1]; t++)
			for (int64_t i = 0; i < (int64_t)m->width[t] * m->in_dim[t]; i++)
				set_value(m->params, prec, (size_t)(m->w_off[t] + i),
					  (2 * rng_uniform(&rng) - 1) * cfg->init_range);
		for (int64_t j = 0; j < W; j++) {
			set_value(m->params, prec, (size_t)(m->bias_off[s] + j), 0);
			set_value(m->params, prec, (size_t)(m->gamma_off[s] + j), 1);
			set_value(m->params, prec, (size_t)(m->beta_off[s] + j), 0);
			set_value(m->buffers, prec, (size_t)(m->rmean_off[s] + j), 0);
			set_value(m->buffers, prec, (size_t)(m->rvar_off[s] + j), 1);
		}
		for (int64_t j = 0; j < cfg->n_outputs * W; j++)
			set_value(m->params, prec, (size_t)(m->head_w_off[s] + j),
				  (2 * rng_uniform(&rng) - 1) * cfg->init_range);
		for (int64_t j = 0; j < nt * cfg->n_outputs; j++)
			set_value(m->params, prec, (size_t)(m->head_b_off[s] + j), 0);
	}
	return 0;
fail:
	dcell_free(m);
	return -1;
}

void dcell_free(dcell *m)
{
	if (!m)
		return;
	free(m->params);
	free(m->buffers);
	cp_arena_free(&m->arena);
	memset(m, 0, sizeof *m);
}

double dcell_dense_flops(const dcell *m)
{
	double f = 0;

	for (size_t t = 0; t < m->n_terms; t++)
		f += 2.0 * m->width[t] * m->in_dim[t] + 2.0 * m->cfg.n_outputs * m->width[t];
	return f;
}

size_t dcell_decay_ranges(const dcell *m, const int64_t **ranges)
{
	/* per stratum: [first W, bias) and [head_w, head_b) */
	int64_t *r = cp_arena_alloc((cp_arena *)&m->arena, 4 * m->n_strata * sizeof *r, NULL);

	if (!r)
		return 0;
	for (size_t s = 0; s < m->n_strata; s++) {
		r[4 * s] = m->w_off[m->stratum_ptr[s]];
		r[4 * s + 1] = m->bias_off[s];
		r[4 * s + 2] = m->head_w_off[s];
		r[4 * s + 3] = m->head_b_off[s];
	}
	*ranges = r;
	return 2 * m->n_strata;
}

int dcell_batch_from_pert(const dcell *m, const pert_context *ctx, const pert_batch *b,
			  dcell_batch *out, cp_arena *arena, cp_error *err)
{
	int K = m->cfg.n_outputs;

	memset(out, 0, sizeof *out);
	if (ctx->genome_hash != m->genome_hash)
		return cp_error_set(err, "the samples index another genome than the model's DAG "
				    "(hash %016" PRIx64 " vs %016" PRIx64 ")", ctx->genome_hash,
				    m->genome_hash);
	out->n = b->n;
	out->gene_ptr = b->gene_ptr;
	out->gene = b->gene;
	if (b->term_ptr && ctx->n_terms == (int64_t)m->n_terms && strcmp(ctx->go_hash, m->go_hash) == 0) {
		out->term_ptr = b->term_ptr;
		out->term = b->term;
	}
	out->target = arena_array(arena, b->n * (size_t)K, sizeof *out->target, err);
	if (!out->target)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		for (int k = 0; k < K; k++)
			out->target[i * (size_t)K + (size_t)k] = b->label[i * PERT_N_LABELS + m->cfg.label[k]];
	return 0;
}

/* ---- the dense path --------------------------------------------------------- */

/* Order (base, place) pairs of int64_t. */
static int cmp_base_place(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Per-stratum index arrays for the gather and its backward, host side. */
static int build_gather(const dcell *m, size_t max_batch, size_t s, int64_t **base_out,
			int64_t **stride_out, int64_t **tbase_out, int64_t **tstride_out,
			int64_t **uptr_out, int64_t **use_out, size_t *n_targets, cp_error *err)
{
	size_t n = (size_t)m->stratum_in[s], G = m->n_genes, nt = 0;
	int64_t *base = cp_malloc(n ? n : 1, sizeof *base, err);
	int64_t *stride = cp_malloc(n ? n : 1, sizeof *stride, err);
	int64_t *order = cp_malloc(2 * (n ? n : 1), sizeof *order, err);	/* (base, place) */
	int64_t *tbase = cp_malloc(n ? n : 1, sizeof *tbase, err);
	int64_t *tstride = cp_malloc(n ? n : 1, sizeof *tstride, err);
	int64_t *uptr = cp_malloc(n + 1, sizeof *uptr, err);
	int64_t *use = cp_malloc(n ? n : 1, sizeof *use, err);
	size_t j = 0, nu = 0;

	if (!base || !stride || !order || !tbase || !tstride || !uptr || !use)
		goto fail;
	for (int64_t t = m->stratum_ptr[s]; t < m->stratum_ptr[s + 1]; t++) {
		for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++) {
			int32_t c = m->child[k];
			int32_t cs = m->stratum[c];

			for (int32_t i = 0; i < m->width[c]; i++, j++) {
				base[j] = (int64_t)max_batch * ((int64_t)G + m->act_off[cs]) + m->col_off[c] + i;
				stride[j] = m->stratum_width[cs];
			}
		}
		for (int64_t k = m->gene_ptr[t]; k < m->gene_ptr[t + 1]; k++, j++) {
			base[j] = m->gene[k];
			stride[j] = (int64_t)G;
		}
	}
	/* backward: each term column used, with its uses in input order (the
	 * inputs sorted by base, then by place) */
	for (size_t i = 0; i < n; i++) {
		order[2 * i] = base[i];
		order[2 * i + 1] = (int64_t)i;
	}
	cp_sort(order, n, 2 * sizeof *order, cmp_base_place);
	uptr[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t x = order[2 * i + 1];

		if (base[x] < (int64_t)(max_batch * G))
			continue;	/* a gene state (the first block): no gradient wanted */
		if (nt == 0 || tbase[nt - 1] != base[x]) {
			tbase[nt] = base[x];
			tstride[nt] = stride[x];
			nt++;
			uptr[nt] = uptr[nt - 1];
		}
		use[nu++] = x;
		uptr[nt]++;
	}
	free(order);
	*base_out = base, *stride_out = stride, *tbase_out = tbase, *tstride_out = tstride;
	*uptr_out = uptr, *use_out = use, *n_targets = nt;
	return 0;
fail:
	free(base), free(stride), free(order), free(tbase), free(tstride), free(uptr), free(use);
	return -1;
}

/* The dense path's buffers and gathers, for another layout or the end. */
static void dense_free(dcell_run *r)
{
	cp_backend *be = r->be;

	cp_buffer_free(be, r->H);
	cp_buffer_free(be, r->dH);
	cp_buffer_free(be, r->Z);
	cp_buffer_free(be, r->A);
	cp_buffer_free(be, r->xhat);
	cp_buffer_free(be, r->invstd);
	cp_buffer_free(be, r->mean);
	cp_buffer_free(be, r->var);
	cp_buffer_free(be, r->I);
	cp_buffer_free(be, r->dI);
	cp_buffer_free(be, r->scratch);
	cp_buffer_free(be, r->pred);
	cp_buffer_free(be, r->dpred);
	cp_buffer_free(be, r->target);
	if (r->strata)
		for (size_t s = 0; s < r->m->n_strata; s++) {
			dcell_stratum_run *sr = &r->strata[s];

			cp_buffer_free(be, sr->base);
			cp_buffer_free(be, sr->stride);
			cp_buffer_free(be, sr->tbase);
			cp_buffer_free(be, sr->tstride);
			cp_buffer_free(be, sr->uptr);
			cp_buffer_free(be, sr->use);
			sr->base = sr->stride = sr->tbase = sr->tstride = sr->uptr = sr->use = NULL;
			sr->n_targets = 0;
		}
	free(r->host_genes);
	free(r->host_target);
	free(r->host_pred);
	r->H = r->dH = r->Z = r->A = r->xhat = r->invstd = r->mean = r->var = NULL;
	r->I = r->dI = r->scratch = r->pred = r->dpred = r->target = NULL;
	r->host_genes = r->host_target = r->host_pred = NULL;
	r->cap = 0;
}

static void run_free_buffers(dcell_run *r)
{
	cp_backend *be = r->be;

	dense_free(r);
	cp_buffer_free(be, r->params);
	cp_buffer_free(be, r->grad);
	cp_buffer_free(be, r->adam_m);
	cp_buffer_free(be, r->adam_v);
	cp_buffer_free(be, r->buffers);
	if (r->strata)
		for (size_t s = 0; s < r->m->n_strata; s++) {
			cp_buffer_free(be, r->strata[s].seg_ptr);
			free(r->strata[s].gemm);
		}
	free(r->strata);
}

void dcell_run_free(dcell_run *r)
{
	if (!r)
		return;
	run_free_buffers(r);
	free(r);
}

static void *dev_alloc(dcell_run *r, size_t n, size_t es, cp_error *err)
{
	size_t bytes;
	void *p;

	if (cp_mul_size(n ? n : 1, es, &bytes) < 0) {
		cp_error_set(err, "buffer of %zu elements overflows", n);
		return NULL;
	}
	p = cp_buffer_alloc(r->be, bytes, err);
	if (p && cp_buffer_zero(r->be, p, bytes, err) < 0) {
		cp_buffer_free(r->be, p);
		return NULL;
	}
	return p;
}

static void *dev_upload(dcell_run *r, const void *host, size_t bytes, cp_error *err)
{
	void *p = cp_buffer_alloc(r->be, bytes ? bytes : 1, err);

	if (p && bytes && cp_buffer_upload(r->be, p, host, bytes, err) < 0) {
		cp_buffer_free(r->be, p);
		return NULL;
	}
	return p;
}

dcell_run *dcell_run_new(dcell *m, cp_backend *be, size_t max_batch, cp_error *err)
{
	dcell_run *r = calloc(1, sizeof *r);
	size_t max_in = 0, max_w = 0, es = cp_precision_size(m->prec);

	if (!r) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	r->m = m;
	r->be = be;
	r->max_batch = max_batch;
	if (max_batch < 1) {
		cp_error_set(err, "dcell: batch size must be at least 1");
		goto fail;
	}
	for (size_t s = 0; s < m->n_strata; s++) {
		if ((size_t)m->stratum_in[s] > max_in)
			max_in = (size_t)m->stratum_in[s];
		if ((size_t)m->stratum_width[s] > max_w)
			max_w = (size_t)m->stratum_width[s];
	}
	if (!(r->params = dev_upload(r, m->params, m->n_params * es, err)) ||
	    !(r->buffers = dev_upload(r, m->buffers, m->n_buffers * es, err)))
		goto fail;
	/* the gradient and the moments are allocated when training first needs
	 * them (dcell_run_train_buffers); the dense path's activations, gathers
	 * and host staging (a batch's rows over the whole genome) when it first
	 * runs, for the rows it then has */
	r->max_in = max_in;
	r->max_w = max_w;
	r->strata = cp_calloc(m->n_strata, sizeof *r->strata, err);
	if (!r->strata)
		goto fail;
	for (size_t s = 0; s < m->n_strata; s++) {
		dcell_stratum_run *sr = &r->strata[s];
		size_t terms = (size_t)(m->stratum_ptr[s + 1] - m->stratum_ptr[s]);
		int64_t *seg = cp_malloc(terms + 1, sizeof *seg, err);

		if (!seg)
			goto fail;
		for (size_t i = 0; i <= terms; i++)
			seg[i] = i < terms ? m->col_off[m->stratum_ptr[s] + (int64_t)i] : m->stratum_width[s];
		sr->seg_ptr = dev_upload(r, seg, (terms + 1) * 8, err);
		free(seg);
		sr->gemm = cp_calloc(terms ? terms : 1, sizeof *sr->gemm, err);
		if (!sr->seg_ptr || !sr->gemm)
			goto fail;
	}
	return r;
fail:
	dcell_run_free(r);
	return NULL;
}

/* Inference never touches the gradient and the moments, three times the
 * parameters' memory. */
int dcell_run_train_buffers(dcell_run *r, cp_error *err)
{
	size_t n = r->m->n_params, es = cp_precision_size(r->m->prec);

	if (r->grad)
		return 0;
	if (!(r->adam_m = dev_alloc(r, n, es, err)) || !(r->adam_v = dev_alloc(r, n, es, err)) ||
	    !(r->grad = dev_alloc(r, n, es, err))) {
		cp_buffer_free(r->be, r->adam_m);
		cp_buffer_free(r->be, r->adam_v);
		r->adam_m = r->adam_v = NULL;
		return -1;
	}
	return 0;
}

/* Element pointer into a backend buffer. */
static void *at(const dcell_run *r, void *base, size_t i)
{
	return (char *)base + i * cp_precision_size(r->m->prec);
}

/* The dense path's activation buffers and gathers, on first use (the
 * sparse path needs none of them), for at least n rows: as many as the
 * first batch has, or twice as many as before, at most max_batch (a
 * --batch-size far above the data's count asks for no memory it never
 * uses).  The GEMMs' shapes follow the batch, not this layout, so the
 * results do not depend on it. */
static int dense_buffers(dcell_run *r, size_t n, cp_error *err)
{
	const dcell *m = r->m;
	size_t es = cp_precision_size(m->prec), K = (size_t)m->cfg.n_outputs;
	size_t G = m->n_genes, TW = (size_t)m->total_width, B;

	if (r->H && n <= r->cap)
		return 0;
	B = r->cap && 2 * r->cap > n ? 2 * r->cap : n;
	if (B > r->max_batch)
		B = r->max_batch;
	dense_free(r);
	for (size_t s = 0; s < m->n_strata; s++) {
		dcell_stratum_run *sr = &r->strata[s];
		int64_t *base, *stride, *tbase, *tstride, *uptr, *use;
		size_t nt, in = (size_t)m->stratum_in[s];

		if (build_gather(m, B, s, &base, &stride, &tbase, &tstride, &uptr, &use, &nt, err) < 0)
			return -1;
		sr->n_targets = nt;
		sr->base = dev_upload(r, base, in * 8, err);
		sr->stride = dev_upload(r, stride, in * 8, err);
		sr->tbase = dev_upload(r, tbase, nt * 8, err);
		sr->tstride = dev_upload(r, tstride, nt * 8, err);
		sr->uptr = dev_upload(r, uptr, (nt + 1) * 8, err);
		sr->use = dev_upload(r, use, (size_t)uptr[nt] * 8, err);
		free(base), free(stride), free(tbase), free(tstride), free(uptr), free(use);
		if (!sr->base || !sr->stride || !sr->tbase || !sr->tstride || !sr->uptr || !sr->use)
			return -1;
	}
	if (!(r->host_genes = cp_malloc(B * G, es, err)) ||
	    !(r->host_target = cp_malloc(B * K, es, err)) ||
	    !(r->host_pred = cp_malloc(B * K, es, err)) ||
	    !(r->H = dev_alloc(r, B * (G + TW), es, err)) ||
	    !(r->dH = dev_alloc(r, B * (G + TW), es, err)) || !(r->Z = dev_alloc(r, B * TW, es, err)) ||
	    !(r->A = dev_alloc(r, B * TW, es, err)) || !(r->xhat = dev_alloc(r, B * TW, es, err)) ||
	    !(r->invstd = dev_alloc(r, TW, es, err)) || !(r->mean = dev_alloc(r, TW, es, err)) ||
	    !(r->var = dev_alloc(r, TW, es, err)) || !(r->I = dev_alloc(r, B * r->max_in, es, err)) ||
	    !(r->dI = dev_alloc(r, B * r->max_in, es, err)) ||
	    !(r->scratch = dev_alloc(r, B * r->max_w, es, err)) ||
	    !(r->pred = dev_alloc(r, B * m->n_terms * K, es, err)) ||
	    !(r->dpred = dev_alloc(r, B * m->n_terms * K, es, err)) ||
	    !(r->target = dev_alloc(r, B * K, es, err)))
		return -1;
	r->cap = B;
	return 0;
}

static int upload_inputs(dcell_run *r, const dcell_batch *b, cp_error *err)
{
	const dcell *m = r->m;
	size_t es = cp_precision_size(m->prec), G = m->n_genes, K = (size_t)m->cfg.n_outputs;
	double on = m->cfg.gene_present ? 0.0 : 1.0, off = m->cfg.gene_present ? 1.0 : 0.0;

	if (b->n == 0 || b->n > r->max_batch)
		return cp_error_set(err, "dcell: batch of %zu samples (1 to %zu)", b->n, r->max_batch);
	for (size_t i = 0; i < b->n * G; i++)
		set_value(r->host_genes, m->prec, i, off);
	for (size_t i = 0; i < b->n; i++)
		for (int64_t k = b->gene_ptr[i]; k < b->gene_ptr[i + 1]; k++) {
			if (b->gene[k] < 0 || (size_t)b->gene[k] >= G)
				return cp_error_set(err, "dcell: sample %zu: gene %d out of range", i, b->gene[k]);
			set_value(r->host_genes, m->prec, i * G + (size_t)b->gene[k], on);
		}
	if (cp_buffer_upload(r->be, r->H, r->host_genes, b->n * G * es, err) < 0)
		return -1;
	if (b->target) {
		for (size_t i = 0; i < b->n * K; i++)
			set_value(r->host_target, m->prec, i, b->target[i]);
		if (cp_buffer_upload(r->be, r->target, r->host_target, b->n * K * es, err) < 0)
			return -1;
	}
	return 0;
}

/* The stratum's GEMMs: forward (Z = I W^T), weight gradient (dW += dZ^T I)
 * or input gradient (dI = dZ W). */
enum { GEMM_FORWARD, GEMM_WEIGHT_GRAD, GEMM_INPUT_GRAD };

static int stratum_gemms(dcell_run *r, size_t s, size_t n, int which, cp_error *err)
{
	const dcell *m = r->m;
	dcell_stratum_run *sr = &r->strata[s];
	size_t W = (size_t)m->stratum_width[s], IN = (size_t)m->stratum_in[s], k = 0;
	void *Z = at(r, r->Z, n * (size_t)m->act_off[s]);

	for (int64_t t = m->stratum_ptr[s]; t < m->stratum_ptr[s + 1]; t++, k++) {
		cp_gemm *g = &sr->gemm[k];
		int L = m->width[t], in = m->in_dim[t], ldw = in > 0 ? in : 1;
		void *I = at(r, which == GEMM_INPUT_GRAD ? r->dI : r->I, (size_t)m->in_off[t]);
		void *Wt = at(r, which == GEMM_WEIGHT_GRAD ? r->grad : r->params, (size_t)m->w_off[t]);
		void *z = at(r, which == GEMM_FORWARD ? Z : r->scratch, (size_t)m->col_off[t]);

		memset(g, 0, sizeof *g);
		switch (which) {
		case GEMM_FORWARD:	/* Z[n x L] = I[n x in] W^T */
			*g = (cp_gemm){ 0, 1, (int)n, L, in, I, IN ? (int)IN : 1, Wt, ldw, z, (int)W, 1.0, 0.0 };
			break;
		case GEMM_WEIGHT_GRAD:	/* dW[L x in] += dZ^T[L x n] I[n x in] */
			*g = (cp_gemm){ 1, 0, L, in, (int)n, z, (int)W, I, IN ? (int)IN : 1, Wt, ldw, 1.0, 1.0 };
			break;
		default:		/* dI[n x in] = dZ[n x L] W[L x in] */
			*g = (cp_gemm){ 0, 0, (int)n, in, L, z, (int)W, Wt, ldw, I, IN ? (int)IN : 1, 1.0, 0.0 };
			break;
		}
	}
	return cp_gemm_grouped(r->be, m->prec, k, sr->gemm, err);
}

static double aux_scale(const dcell *m, size_t s)
{
	if (s + 1 == m->n_strata)
		return 1.0;	/* the root's head: the prediction */
	return m->cfg.alpha_mean ? m->cfg.alpha / (double)(m->n_terms - 1) : m->cfg.alpha;
}

int dcell_dense_forward(dcell_run *r, const dcell_batch *b, int train, double *loss,
			double *pred, cp_error *err)
{
	const dcell *m = r->m;
	cp_backend *be = r->be;
	cp_precision p = m->prec;
	size_t n = b->n, G = m->n_genes, K = (size_t)m->cfg.n_outputs;
	size_t pred_off = 0;
	double total = 0;

	if (b->n == 0 || b->n > r->max_batch)
		return cp_error_set(err, "dcell: batch of %zu samples (1 to %zu)", b->n, r->max_batch);
	if (dcell_run_settle(r, err) < 0 || dense_buffers(r, b->n, err) < 0 ||
	    upload_inputs(r, b, err) < 0)
		return -1;
	if (train)
		r->params_version++;	/* the running statistics change */
	for (size_t s = 0; s < m->n_strata; s++) {
		dcell_stratum_run *sr = &r->strata[s];
		size_t W = (size_t)m->stratum_width[s], IN = (size_t)m->stratum_in[s];
		size_t terms = (size_t)(m->stratum_ptr[s + 1] - m->stratum_ptr[s]);
		size_t a0 = n * (size_t)m->act_off[s];
		void *Z = at(r, r->Z, a0), *A = at(r, r->A, a0), *X = at(r, r->xhat, a0);
		void *O = at(r, r->H, r->cap * (G + (size_t)m->act_off[s]));
		void *gam = at(r, r->params, (size_t)m->gamma_off[s]);
		void *bet = at(r, r->params, (size_t)m->beta_off[s]);
		void *rm = at(r, r->buffers, (size_t)m->rmean_off[s]);
		void *rv = at(r, r->buffers, (size_t)m->rvar_off[s]);
		void *is = at(r, r->invstd, (size_t)m->act_off[s]);
		void *mu = at(r, r->mean, (size_t)m->act_off[s]);
		void *va = at(r, r->var, (size_t)m->act_off[s]);
		void *P = at(r, r->pred, pred_off), *dP = at(r, r->dpred, pred_off);
		/* the normalised quantity: tanh(Z) by default, Z itself before tanh */
		void *norm_in = m->cfg.bn_before_tanh ? Z : A;
		void *norm_out = m->cfg.bn_before_tanh ? A : O;

		if (cp_gather_cols(be, p, n, IN, sr->base, sr->stride, r->H, r->I, err) < 0 ||
		    stratum_gemms(r, s, n, GEMM_FORWARD, err) < 0 ||
		    cp_add_row_vector(be, p, n, W, Z, at(r, r->params, (size_t)m->bias_off[s]), err) < 0)
			return -1;
		if (!m->cfg.bn_before_tanh && cp_tanh_forward(be, p, n * W, Z, A, err) < 0)
			return -1;
		if (train) {
			if (cp_batchnorm_forward(be, p, n, W, norm_in, gam, bet, m->cfg.bn_eps, norm_out, X,
						 is, mu, va, err) < 0 ||
			    cp_lerp(be, p, W, rm, mu, m->cfg.bn_momentum, 1.0, err) < 0 ||
			    cp_lerp(be, p, W, rv, va, m->cfg.bn_momentum,
				    n > 1 ? (double)n / (double)(n - 1) : 1.0, err) < 0)
				return -1;
		} else if (cp_batchnorm_inference(be, p, n, W, norm_in, gam, bet, rm, rv, m->cfg.bn_eps,
						  norm_out, err) < 0) {
			return -1;
		}
		if (m->cfg.bn_before_tanh && cp_tanh_forward(be, p, n * W, A, O, err) < 0)
			return -1;
		if (cp_segment_linear_forward(be, p, n, terms, K, sr->seg_ptr, O,
					      at(r, r->params, (size_t)m->head_w_off[s]),
					      at(r, r->params, (size_t)m->head_b_off[s]), P, err) < 0)
			return -1;
		if (b->target) {
			double l;

			if (cp_masked_mse(be, p, n, terms, K, P, r->target, aux_scale(m, s), dP, &l, err) < 0)
				return -1;
			total += l;
		}
		pred_off += n * terms * K;
	}
	r->trained_forward = train;
	if (loss)
		*loss = total;
	if (pred) {
		size_t es = cp_precision_size(p);

		/* the root's stratum is last: its head outputs are the predictions */
		if (cp_buffer_download(be, r->host_pred, at(r, r->pred, pred_off - n * K), n * K * es,
				       err) < 0)
			return -1;
		for (size_t i = 0; i < n * K; i++)
			pred[i] = p == CP_F64 ? ((double *)r->host_pred)[i] : ((float *)r->host_pred)[i];
	}
	return 0;
}

int dcell_dense_backward(dcell_run *r, const dcell_batch *b, cp_error *err)
{
	const dcell *m = r->m;
	cp_backend *be = r->be;
	cp_precision p = m->prec;
	size_t n = b->n, G = m->n_genes, K = (size_t)m->cfg.n_outputs, es = cp_precision_size(p);
	size_t pred_off = n * m->n_terms * K;

	if (!r->trained_forward)
		return cp_error_set(err, "dcell: backward needs a training forward first");
	if (dcell_run_train_buffers(r, err) < 0)
		return -1;
	if (dcell_run_settle(r, err) < 0)
		return -1;
	r->w_sumsq_valid = 0;
	r->grad_version++;
	if (cp_buffer_zero(be, r->dH, r->cap * (G + (size_t)m->total_width) * es, err) < 0)
		return -1;
	for (size_t s = m->n_strata; s-- > 0;) {
		dcell_stratum_run *sr = &r->strata[s];
		size_t W = (size_t)m->stratum_width[s], IN = (size_t)m->stratum_in[s];
		size_t terms = (size_t)(m->stratum_ptr[s + 1] - m->stratum_ptr[s]);
		size_t a0 = n * (size_t)m->act_off[s];
		void *A = at(r, r->A, a0), *X = at(r, r->xhat, a0);
		size_t o0 = r->cap * (G + (size_t)m->act_off[s]);
		void *O = at(r, r->H, o0), *dO = at(r, r->dH, o0);
		void *gam = at(r, r->params, (size_t)m->gamma_off[s]);
		void *is = at(r, r->invstd, (size_t)m->act_off[s]);
		void *dZ = r->scratch;

		pred_off -= n * terms * K;
		if (cp_segment_linear_backward(be, p, n, terms, K, sr->seg_ptr, O,
					       at(r, r->params, (size_t)m->head_w_off[s]),
					       at(r, r->dpred, pred_off), dO,
					       at(r, r->grad, (size_t)m->head_w_off[s]),
					       at(r, r->grad, (size_t)m->head_b_off[s]), err) < 0)
			return -1;
		if (!m->cfg.bn_before_tanh) {
			/* O = BN(A), A = tanh(Z) */
			if (cp_batchnorm_backward(be, p, n, W, X, is, gam, dO, dZ,
						  at(r, r->grad, (size_t)m->gamma_off[s]),
						  at(r, r->grad, (size_t)m->beta_off[s]), err) < 0 ||
			    cp_tanh_backward(be, p, n * W, A, dZ, dZ, err) < 0)
				return -1;
		} else {
			/* O = tanh(A), A = BN(Z) */
			if (cp_tanh_backward(be, p, n * W, O, dO, dZ, err) < 0 ||
			    cp_batchnorm_backward(be, p, n, W, X, is, gam, dZ, dZ,
						  at(r, r->grad, (size_t)m->gamma_off[s]),
						  at(r, r->grad, (size_t)m->beta_off[s]), err) < 0)
				return -1;
		}
		if (cp_col_sum(be, p, n, W, dZ, at(r, r->grad, (size_t)m->bias_off[s]), 1, err) < 0 ||
		    cp_gather_cols(be, p, n, IN, sr->base, sr->stride, r->H, r->I, err) < 0 ||
		    stratum_gemms(r, s, n, GEMM_WEIGHT_GRAD, err) < 0 ||
		    stratum_gemms(r, s, n, GEMM_INPUT_GRAD, err) < 0 ||
		    cp_gather_cols_backward(be, p, n, sr->n_targets, sr->tbase, sr->tstride, sr->uptr,
					    sr->use, IN, r->dI, r->dH, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- parameters, gradients, optimiser ----------------------------------------- */

int dcell_zero_grad(dcell_run *r, cp_error *err)
{
	if (dcell_run_train_buffers(r, err) < 0 || dcell_run_settle(r, err) < 0)
		return -1;
	r->w_sumsq_valid = 0;
	return cp_buffer_zero(r->be, r->grad, r->m->n_params * cp_precision_size(r->m->prec), err);
}

int dcell_grad_norm(dcell_run *r, double *norm, cp_error *err)
{
	const dcell *m = r->m;
	double ss = 0, part;

	if (dcell_run_train_buffers(r, err) < 0)
		return -1;
	if (!r->w_sumsq_valid) {
		if (cp_sum_squares(r->be, m->prec, m->n_params, r->grad, &ss, err) < 0)
			return -1;
		*norm = sqrt(ss);
		return 0;
	}
	/* the weights' from the sparse backward's per-term sums (in term
	 * order), the rest of each stratum read */
	for (size_t t = 0; t < m->n_terms; t++)
		ss += r->w_sumsq[t];
	for (size_t s = 0; s < m->n_strata; s++) {
		size_t lo = (size_t)m->bias_off[s];
		size_t hi = s + 1 < m->n_strata ? (size_t)m->w_off[m->stratum_ptr[s + 1]] : m->n_params;

		if (cp_sum_squares(r->be, m->prec, hi - lo, at(r, r->grad, lo), &part, err) < 0)
			return -1;
		ss += part;
	}
	*norm = sqrt(ss);
	return 0;
}

int dcell_adamw_step(dcell_run *r, long t, double lr, double weight_decay, double max_norm,
		     double *grad_norm, cp_error *err)
{
	const dcell *m = r->m;
	const int64_t *ranges;
	size_t nr = dcell_decay_ranges(m, &ranges);
	int64_t pos = 0;
	double norm, gscale;

	if (nr == 0)
		return cp_error_set(err, "out of memory");
	if (dcell_run_settle(r, err) < 0 || dcell_grad_norm(r, &norm, err) < 0)
		return -1;
	if (grad_norm)
		*grad_norm = norm;
	if (!isfinite(norm))
		return cp_error_set(err, "the gradient is not finite (norm %g): lower the learning rate",
				    norm);
	/* clipping scales the gradient inside the update */
	gscale = max_norm > 0 && norm > max_norm ? max_norm / norm : 1.0;
	if (r->defer_ok)
		r->pend = (__typeof__(r->pend)){ 1, t, gscale, lr, weight_decay };
	/* alternate undecayed and decayed ranges, in layout order (the even
	 * decayed ones are strata's weights: left to the next training
	 * forward when deferred) */
	for (size_t i = 0; i <= nr; i++) {
		int64_t start = i < nr ? ranges[2 * i] : (int64_t)m->n_params;
		int64_t end = i < nr ? ranges[2 * i + 1] : (int64_t)m->n_params;

		if (start > pos &&
		    cp_adamw(r->be, m->prec, (size_t)(start - pos), at(r, r->params, (size_t)pos),
			     at(r, r->grad, (size_t)pos), gscale, at(r, r->adam_m, (size_t)pos),
			     at(r, r->adam_v, (size_t)pos), lr, 0.9, 0.999, 1e-8, 0.0, t, err) < 0)
			return -1;
		if (end > start && !(r->pend.on && i % 2 == 0 && i < nr) &&
		    cp_adamw(r->be, m->prec, (size_t)(end - start), at(r, r->params, (size_t)start),
			     at(r, r->grad, (size_t)start), gscale, at(r, r->adam_m, (size_t)start),
			     at(r, r->adam_v, (size_t)start), lr, 0.9, 0.999, 1e-8, weight_decay, t,
			     err) < 0)
			return -1;
		pos = end;
	}
	r->params_version++;
	return 0;
}

void dcell_run_settle_term(dcell_run *r, size_t t)
{
	const dcell *m = r->m;
	size_t o = (size_t)m->w_off[t], n = (size_t)m->width[t] * (size_t)m->in_dim[t];

	cp_adamw_host(m->prec, n, at(r, r->params, o), at(r, r->grad, o), r->pend.gscale, at(r, r->adam_m, o),
		      at(r, r->adam_v, o), r->pend.lr, 0.9, 0.999, 1e-8, r->pend.wd, r->pend.t);
}

int dcell_run_settle(dcell_run *r, cp_error *err)
{
	const dcell *m = r->m;

	if (!r->pend.on)
		return 0;
	for (size_t s = 0; s < m->n_strata; s++) {
		size_t lo = (size_t)m->w_off[m->stratum_ptr[s]], hi = (size_t)m->bias_off[s];

		if (hi > lo && cp_adamw(r->be, m->prec, hi - lo, at(r, r->params, lo), at(r, r->grad, lo),
					r->pend.gscale, at(r, r->adam_m, lo), at(r, r->adam_v, lo), r->pend.lr,
					0.9, 0.999, 1e-8, r->pend.wd, r->pend.t, err) < 0)
			return -1;
	}
	r->pend.on = 0;
	return 0;
}

int dcell_run_download(dcell_run *r, void *adam_m, void *adam_v, cp_error *err)
{
	const dcell *m = r->m;
	size_t es = cp_precision_size(m->prec);

	if (((adam_m || adam_v) && dcell_run_train_buffers(r, err) < 0) ||
	    dcell_run_settle(r, err) < 0)
		return -1;
	if (cp_buffer_download(r->be, m->params, r->params, m->n_params * es, err) < 0 ||
	    cp_buffer_download(r->be, m->buffers, r->buffers, m->n_buffers * es, err) < 0)
		return -1;
	if (adam_m && cp_buffer_download(r->be, adam_m, r->adam_m, m->n_params * es, err) < 0)
		return -1;
	if (adam_v && cp_buffer_download(r->be, adam_v, r->adam_v, m->n_params * es, err) < 0)
		return -1;
	return 0;
}

int dcell_run_upload(dcell_run *r, const void *adam_m, const void *adam_v, cp_error *err)
{
	const dcell *m = r->m;
	size_t es = cp_precision_size(m->prec);

	if (((adam_m || adam_v) && dcell_run_train_buffers(r, err) < 0) ||
	    dcell_run_settle(r, err) < 0)
		return -1;
	if (cp_buffer_upload(r->be, r->params, m->params, m->n_params * es, err) < 0 ||
	    cp_buffer_upload(r->be, r->buffers, m->buffers, m->n_buffers * es, err) < 0)
		return -1;
	if (adam_m && cp_buffer_upload(r->be, r->adam_m, adam_m, m->n_params * es, err) < 0)
		return -1;
	if (adam_v && cp_buffer_upload(r->be, r->adam_v, adam_v, m->n_params * es, err) < 0)
		return -1;
	r->params_version++;
	return 0;
}

const void *dcell_run_grad(dcell_run *r, cp_error *err)
{
	if (dcell_run_train_buffers(r, err) < 0 || dcell_run_settle(r, err) < 0)
		return NULL;
	if (!cp_backend_is_host(r->be)) {
		cp_error_set(err, "dcell: the gradient lives on the device");
		return NULL;
	}
	return r->grad;
}

/* ---- streams ------------------------------------------------------------------ */

int dcell_to_record(const dcell *m, cpz_record *rec, cp_error *err)
{
	int64_t T = (int64_t)m->n_terms, np = (int64_t)m->n_params, nb = (int64_t)m->n_buffers;
	int64_t K = m->cfg.n_outputs;
	int32_t *labels = cp_arena_alloc(&rec->arena, PERT_N_LABELS * sizeof *labels, err);
	cpz_dtype dt = m->prec == CP_F64 ? CPZ_F64 : CPZ_F32;

	if (!labels)
		return -1;
	for (int k = 0; k < PERT_N_LABELS; k++)
		labels[k] = k < K ? m->cfg.label[k] : -1;
	if (cpz_record_add_str(rec, "model", "dcell", err) < 0 ||
	    cpz_record_add_int(rec, "config.width_min", m->cfg.width_min, err) < 0 ||
	    cpz_record_add_float(rec, "config.width_frac", m->cfg.width_frac, err) < 0 ||
	    cpz_record_add_bool(rec, "config.width_from_direct", m->cfg.width_from_direct, err) < 0 ||
	    cpz_record_add_bool(rec, "config.bn_before_tanh", m->cfg.bn_before_tanh, err) < 0 ||
	    cpz_record_add_float(rec, "config.alpha", m->cfg.alpha, err) < 0 ||
	    cpz_record_add_bool(rec, "config.alpha_mean", m->cfg.alpha_mean, err) < 0 ||
	    cpz_record_add_bool(rec, "config.gene_present", m->cfg.gene_present, err) < 0 ||
	    cpz_record_add_float(rec, "config.init_range", m->cfg.init_range, err) < 0 ||
	    cpz_record_add_float(rec, "config.bn_eps", m->cfg.bn_eps, err) < 0 ||
	    cpz_record_add_float(rec, "config.bn_momentum", m->cfg.bn_momentum, err) < 0 ||
	    cpz_record_add_int(rec, "config.outputs", K, err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "config.labels", CPZ_I32, 1, &K, labels, err) < 0 ||
	    cpz_record_add_str(rec, "go.hash", m->go_hash, err) < 0 ||
	    cpz_record_add_str(rec, "precision", m->prec == CP_F64 ? "f64" : "f32", err) < 0 ||
	    cpz_record_add_tensor(rec, "term.width", CPZ_I32, 1, &T, m->width, err) < 0 ||
	    cpz_record_add_tensor(rec, "params", dt, 1, &np, m->params, err) < 0 ||
	    cpz_record_add_tensor(rec, "buffers", dt, 1, &nb, m->buffers, err) < 0)
		return -1;
	return 0;
}

static int record_bool(const cpz_record *rec, const char *name, int *out, cp_error *err)
{
	const cpz_field *f = cpz_record_field(rec, name);

	if (!f || f->kind != CPZ_VALUE_BOOL)
		return cpz_record_error(rec, name, err, "missing or not a boolean");
	*out = f->b;
	return 0;
}

int dcell_check_values(const cpz_record *rec, const char *name, const cpz_tensor *t, int nonneg,
		       cp_error *err)
{
	for (size_t i = 0; i < t->count; i++) {
		double x = t->dtype == CPZ_F64 ? ((const double *)t->data)[i] : ((const float *)t->data)[i];

		if (!isfinite(x) || (nonneg && x < 0))
			return cpz_record_error(rec, name, err, "value %zu is %g, not a %s number", i, x,
						nonneg ? "finite, non-negative" : "finite");
	}
	return 0;
}

int dcell_check_buffers(const dcell *m, const cpz_record *rec, const char *name, const cpz_tensor *t,
			cp_error *err)
{
	if (dcell_check_values(rec, name, t, 0, err) < 0)
		return -1;
	/* the running variances, after each stratum's running means */
	for (size_t s = 0; s < m->n_strata; s++)
		for (int64_t i = m->rvar_off[s]; i < 2 * m->rvar_off[s] - m->rmean_off[s]; i++) {
			double x = t->dtype == CPZ_F64 ? ((const double *)t->data)[i] : ((const float *)t->data)[i];

			if (x < 0)
				return cpz_record_error(rec, name, err, "value %" PRId64 " is %g, a negative "
							"running variance", i, x);
		}
	return 0;
}

/* A config value in [lo, hi] (above lo when above is set), finite. */
static int config_range(const cpz_record *rec, const char *name, double x, double lo, int above, double hi,
			cp_error *err)
{
	if (!isfinite(x) || !(above ? x > lo : x >= lo) || !(x <= hi))
		return cpz_record_error(rec, name, err, "%g is out of range", x);
	return 0;
}

int dcell_from_record(dcell *m, const go_dag *dag, const cpz_record *rec, cp_error *err)
{
	dcell_config cfg;
	int64_t v, K;
	const char *s, *hash;
	const cpz_tensor *labels, *width, *params, *buffers;
	cp_precision prec;
	char want[17];

	dcell_config_default(&cfg);
	s = cpz_record_str(rec, "model", err);
	if (!s)
		return -1;
	if (strcmp(s, "dcell") != 0)
		return cpz_record_error(rec, "model", err, "'%s' is not a dcell model", s);
	if (cpz_record_int(rec, "config.width_min", &v, err) < 0)
		return -1;
	if (v < 1 || v > 100000)	/* fit's --width-min */
		return cpz_record_error(rec, "config.width_min", err, "%" PRId64 " is out of range", v);
	cfg.width_min = (int)v;
	if (cpz_record_float(rec, "config.width_frac", &cfg.width_frac, err) < 0 ||
	    record_bool(rec, "config.width_from_direct", &cfg.width_from_direct, err) < 0 ||
	    record_bool(rec, "config.bn_before_tanh", &cfg.bn_before_tanh, err) < 0 ||
	    cpz_record_float(rec, "config.alpha", &cfg.alpha, err) < 0 ||
	    record_bool(rec, "config.alpha_mean", &cfg.alpha_mean, err) < 0 ||
	    record_bool(rec, "config.gene_present", &cfg.gene_present, err) < 0 ||
	    cpz_record_float(rec, "config.init_range", &cfg.init_range, err) < 0 ||
	    cpz_record_float(rec, "config.bn_eps", &cfg.bn_eps, err) < 0 ||
	    cpz_record_float(rec, "config.bn_momentum", &cfg.bn_momentum, err) < 0 ||
	    cpz_record_int(rec, "config.outputs", &K, err) < 0)
		return -1;
	if (K < 1 || K > PERT_N_LABELS)
		return cpz_record_error(rec, "config.outputs", err, "%" PRId64 " is not 1 to %d", K,
					PERT_N_LABELS);
	/* the ranges fit's options take */
	if (config_range(rec, "config.width_frac", cfg.width_frac, 0, 0, 100, err) < 0 ||
	    config_range(rec, "config.alpha", cfg.alpha, 0, 0, INFINITY, err) < 0 ||
	    config_range(rec, "config.init_range", cfg.init_range, 0, 0, INFINITY, err) < 0 ||
	    config_range(rec, "config.bn_eps", cfg.bn_eps, 0, 1, INFINITY, err) < 0 ||
	    config_range(rec, "config.bn_momentum", cfg.bn_momentum, 0, 1, 1, err) < 0)
		return -1;
	cfg.n_outputs = (int)K;
	labels = cpz_record_tensor(rec, "config.labels", CPZ_I32, 1, err);
	if (!labels || cpz_record_check_dim(rec, "config.labels", labels, 0, K, err) < 0)
		return -1;
	for (int k = 0; k < (int)K; k++) {
		cfg.label[k] = ((const int32_t *)labels->data)[k];
		if (cfg.label[k] < 0 || cfg.label[k] >= PERT_N_LABELS)
			return cpz_record_error(rec, "config.labels", err, "label %d out of range",
						cfg.label[k]);
		for (int j = 0; j < k; j++)
			if (cfg.label[j] == cfg.label[k])
				return cpz_record_error(rec, "config.labels", err, "label %d listed twice",
							cfg.label[k]);
	}
	hash = cpz_record_str(rec, "go.hash", err);
	s = cpz_record_str(rec, "precision", err);
	if (!hash || !s)
		return -1;
	pert_go_hash(dag->n_terms, dag->term_id, want);
	if (strcmp(hash, want) != 0)
		return cpz_record_error(rec, "go.hash", err, "the model was trained on another GO DAG "
					"(%s, this one is %s)", hash, want);
	if (strcmp(s, "f32") == 0)
		prec = CP_F32;
	else if (strcmp(s, "f64") == 0)
		prec = CP_F64;
	else
		return cpz_record_error(rec, "precision", err, "'%s' is not f32 or f64", s);
	if (dcell_init(m, dag, &cfg, prec, 0, err) < 0)
		return -1;
	width = cpz_record_tensor(rec, "term.width", CPZ_I32, 1, err);
	params = cpz_record_tensor(rec, "params", prec == CP_F64 ? CPZ_F64 : CPZ_F32, 1, err);
	buffers = cpz_record_tensor(rec, "buffers", prec == CP_F64 ? CPZ_F64 : CPZ_F32, 1, err);
	if (!width || !params || !buffers ||
	    cpz_record_check_dim(rec, "term.width", width, 0, (int64_t)m->n_terms, err) < 0 ||
	    cpz_record_check_dim(rec, "params", params, 0, (int64_t)m->n_params, err) < 0 ||
	    cpz_record_check_dim(rec, "buffers", buffers, 0, (int64_t)m->n_buffers, err) < 0)
		goto fail;
	if (memcmp(width->data, m->width, m->n_terms * sizeof *m->width) != 0) {
		cpz_record_error(rec, "term.width", err, "widths differ from those the DAG gives");
		goto fail;
	}
	if (dcell_check_values(rec, "params", params, 0, err) < 0 ||
	    dcell_check_buffers(m, rec, "buffers", buffers, err) < 0)
		goto fail;
	memcpy(m->params, params->data, params->nbytes);
	memcpy(m->buffers, buffers->data, buffers->nbytes);
	return 0;
fail:
	dcell_free(m);
	return -1;
}
