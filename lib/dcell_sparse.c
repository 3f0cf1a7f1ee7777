/*
 * dcell_sparse.c - DCell computed only where a deletion changes something.
 *
 * A batch's samples that do not touch term t all give t the same input,
 * so t has one shared value per batch (in inference: the wild type) and
 * per-sample deltas only for the samples S_t whose deleted genes it
 * contains.  Everything the dense path computes per sample is formed from
 * these:
 *  - forward: Z_t(shared) = b + W I(shared); for s in S_t the delta
 *    W (delta of the affected children's outputs, plus the deleted direct
 *    genes' columns);
 *  - BatchNorm statistics in training: mean and variance over the batch
 *    from (B - n) copies of the shared value and the n affected values; a
 *    column constant over the batch normalises to exactly zero;
 *  - losses and their gradients: the unaffected samples' part from label
 *    sums, the affected ones directly;
 *  - backward: only the SUM over unaffected samples of the gradient at a
 *    term's output is ever needed (BatchNorm, tanh and the linear map are
 *    linear in it there), so each term carries that sum plus one gradient
 *    row per affected sample; the weight gradient is the shared rank-1
 *    part plus the sparse corrections.  A term pulls the gradient at its
 *    output from its parents (all in higher strata).  With BatchNorm
 *    straight after the linear map, a term's gradient before it sums to
 *    zero over the batch, exactly in the maths (the normalisation removes
 *    the mean) and so here too, instead of the rounding noise a sum of
 *    the rows leaves: the bias gets no gradient, the rank-1 part vanishes
 *    and the weights have a gradient only in the input columns some
 *    sample changed (AdamW, which divides by the gradient's running size,
 *    would otherwise turn that noise into steps of up to the learning
 *    rate).
 * Every term of a stratum writes only its own rows and columns, so the
 * terms of a stratum run in parallel, with the same result for any number
 * of threads.  The numerics are in dcell_sparse_tmpl.h, instantiated for
 * float and double.
 */
#define _GNU_SOURCE
#include "dcell.h"
#include "dcell_impl.h"
#include "vmath.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

/* One thread's scratch. */
typedef struct {
	void *tmp;		/* the largest (samples x width) block */
	size_t tmp_cap;
	void *ish, *vec;	/* an input vector, a width vector */
	double *acc;		/* four width vectors */
	int64_t *pos, *sel, *loc;	/* batch size, twice that (or the batch's deletions), batch size */
	size_t pos_cap, sel_cap, loc_cap;
	int32_t *rng;		/* column ranges: 4 x (a term's most children + direct genes) */
	uint8_t *gseen;		/* a mark per direct gene of a term, all zero between uses */
	void *gp;		/* a pointer per gene of the batch */
	size_t gp_cap;
	double flops;
} sparse_ws;

struct dcell_sparse {
	dcell_run *r;
	const dcell *m;
	sparse_ws *ws;
	int n_ws;
	int32_t first;		/* the stratum the wild type is computing */
	/* parents: term t feeds par[k] at input column par_cin[k], k in [par_ptr[t], par_ptr[t+1]) */
	int64_t *par_ptr, *par_cin;
	int32_t *par;
	double *term_loss;	/* per term, summed in order */
	/* the batch's sets: samples affecting t are s_idx[s_ptr[t] .. s_ptr[t+1]) */
	size_t n;
	int64_t *s_ptr;
	int32_t *s_idx;
	uint8_t *s_cnt;		/* how many of the sample's genes t contains (capped at 255) */
	size_t s_cap, s_cnt_cap;
	/* per row and gene of its sample (s_gmax slots a row): the gene's
	 * entry in cont_term (t's place in its list), -1 if t lacks it */
	int64_t *s_cont;
	size_t s_cont_cap, s_gmax;
	int64_t *e_off;		/* element offset of t's rows: sum of n_t * L_t before t */
	int32_t *mark;
	/* build_sets with two or more genes: per term, the sample's genes in
	 * it so far, and the first one's place (gene, cont_term entry) */
	uint8_t *hits;
	int32_t *first_k;
	int64_t *first_c;
	/* per (term, affected sample) rows, e_off indexed (REAL) */
	void *rz, *ra, *rxh, *rdo, *rg;
	size_t r_cap;
	void *rdy;		/* head gradients, s_ptr * K indexed */
	size_t rdy_cap;
	/* per term, over all terms' columns (act_off + col_off), REAL */
	void *zsh, *ash, *xhsh, *osh, *gun, *mu, *is, *dzs;
	void *ysh, *dyun;	/* T x K */
	/* the wild type, for inference */
	void *wz, *wa, *wo, *wy;
	long wt_version;
	/* inference: each W_t in panels of PW units (64 bytes), each panel
	 * in x PW with its input columns' values contiguous, at wp_off[t] (the
	 * last panel padded with zeros), so the rows a changed input column adds
	 * are streamed panel by panel; the normalisation's scale */
	void *wtr, *bsc;
	int64_t *wp_off;
	/* inference work items: rows [r0, r1) of term t, and their losses */
	struct infer_item {
		int32_t t;
		int32_t r0, r1;
		int32_t m0, m1;	/* cached path: t's rows [m0, m1), r0 and r1 its columns */
	} *items;
	size_t items_cap;
	double *item_loss;
	int32_t *t_left;	/* per term, its items not yet done (or 1 until it is) */
	int32_t *border;	/* the training backward's item order (2 T) */
	int32_t *forder;	/* the training forward's (T) */
	double *wsq;		/* per term, the squared norm of its weight gradient */
	/* BatchNorm straight after the linear map: each term's weight gradient
	 * is zero outside the input columns some sample changed.  At
	 * zr + zr_off[t], the columns t's last backward wrote: zr_n[t]
	 * (start, length) ranges of its children's, then zr_g[t] of its genes';
	 * valid while zr_version is the run's grad_version */
	int32_t *zr, *zr_n, *zr_g;
	int64_t *zr_off;
	long zr_version;
	/* the per-gene cache: gene g's block at gc_off[g] (-1: not cached)
	 * holds, for each term of cont_term[cont_ptr[g] ..], its change in
	 * pre-activation then in output (2 L_t values, at 2 gc_loff[entry]
	 * from the block's start); gc_y the root prediction, K per gene */
	int gc_on, use_cache;
	long gc_version;
	int64_t *gc_off, *gc_loff;
	void *gc, *gc_y;
	size_t gc_used, gc_cap;
	int32_t *gc_genes;	/* genes being added */
	int64_t *gc_ptr;
	int32_t *derived;
	/* label totals of the batch: count, sum, sum of squares per output */
	double tot_n[PERT_N_LABELS], tot_s[PERT_N_LABELS], tot_q[PERT_N_LABELS];
	int train;
	double flops, pairs;
};

static int grow(void **p, size_t *cap, size_t need, size_t es, cp_error *err)
{
	void *q;

	if (need <= *cap && *p)
		return 0;
	need = need < 1024 ? 1024 : need + need / 2;
	q = cp_realloc(*p, need, es, err);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

/* Terms by size (weights), largest first, then by index. */
static int cmp_term_size(const void *a, const void *b, void *ctx)
{
	const dcell *m = ctx;
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	int64_t sx = (int64_t)m->width[x] * m->in_dim[x], sy = (int64_t)m->width[y] * m->in_dim[y];

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return (x > y) - (x < y);
}

dcell_sparse *dcell_sparse_new(dcell_run *r, cp_error *err)
{
	dcell_sparse *sp;
	const dcell *m = r->m;
	size_t es = cp_precision_size(m->prec), T = m->n_terms, TW = (size_t)m->total_width;
	size_t K = (size_t)m->cfg.n_outputs, max_in = 0, max_w = 0;
	int64_t max_rng = 0, max_genes = 0;

	if (!cp_backend_is_host(r->be)) {
		cp_error_set(err, "dcell: the sparse path runs on the CPU backend");
		return NULL;
	}
	sp = calloc(1, sizeof *sp);
	if (!sp) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	sp->r = r;
	sp->m = m;
	sp->wt_version = -1;
	r->defer_ok = 1;	/* see dcell_impl.h */
	for (size_t t = 0; t < T; t++) {
		if ((size_t)m->in_dim[t] > max_in)
			max_in = (size_t)m->in_dim[t];
		if ((size_t)m->width[t] > max_w)
			max_w = (size_t)m->width[t];
	}
	sp->s_ptr = cp_calloc(T + 1, sizeof *sp->s_ptr, err);
	sp->e_off = cp_calloc(T + 1, sizeof *sp->e_off, err);
	sp->mark = cp_malloc(T, sizeof *sp->mark, err);
	sp->hits = cp_malloc(T, sizeof *sp->hits, err);
	sp->first_k = cp_malloc(T, sizeof *sp->first_k, err);
	sp->first_c = cp_malloc(T, sizeof *sp->first_c, err);
	sp->derived = cp_malloc(T, sizeof *sp->derived, err);
	sp->zsh = cp_calloc(TW, es, err);
	sp->ash = cp_calloc(TW, es, err);
	sp->xhsh = cp_calloc(TW, es, err);
	sp->osh = cp_calloc(TW, es, err);
	sp->gun = cp_calloc(TW, es, err);
	sp->mu = cp_calloc(TW, es, err);
	sp->is = cp_calloc(TW, es, err);
	sp->wz = cp_calloc(TW, es, err);
	sp->wa = cp_calloc(TW, es, err);
	sp->wo = cp_calloc(TW, es, err);
	sp->ysh = cp_calloc(T * K, es, err);
	sp->dyun = cp_calloc(T * K, es, err);
	sp->wy = cp_calloc(T * K, es, err);
	sp->bsc = cp_calloc(TW, es, err);
	sp->dzs = cp_calloc(TW, es, err);
	sp->term_loss = cp_calloc(T, sizeof *sp->term_loss, err);
	sp->t_left = cp_calloc(T ? T : 1, sizeof *sp->t_left, err);
	sp->border = cp_calloc(T ? 2 * T : 1, sizeof *sp->border, err);
	sp->forder = cp_calloc(T ? T : 1, sizeof *sp->forder, err);
	sp->wsq = cp_calloc(T ? T : 1, sizeof *sp->wsq, err);
	sp->zr_n = cp_calloc(T ? T : 1, sizeof *sp->zr_n, err);
	sp->zr_g = cp_calloc(T ? T : 1, sizeof *sp->zr_g, err);
	sp->zr_off = cp_calloc(T + 1, sizeof *sp->zr_off, err);
	sp->zr_version = -1;
	if (sp->zr_off) {
		for (size_t t = 0; t < T; t++) {
			int64_t n = m->n_child[t] + (m->gene_ptr[t + 1] - m->gene_ptr[t]);

			sp->zr_off[t + 1] = sp->zr_off[t] + 2 * n;
			if (n > max_rng)
				max_rng = n;
			if (m->gene_ptr[t + 1] - m->gene_ptr[t] > max_genes)
				max_genes = m->gene_ptr[t + 1] - m->gene_ptr[t];
		}
		sp->zr = cp_malloc(sp->zr_off[T] ? (size_t)sp->zr_off[T] : 1, sizeof *sp->zr, err);
	}
	r->w_sumsq = sp->wsq;
	r->w_sumsq_valid = 0;
	if (sp->border && sp->forder) {
		/* the forward: strata from the bottom, each stratum's terms
		 * largest first (so the longest start first); the backward: strata
		 * from the top, a stratum's terms, then the weight gradients of the
		 * stratum above; the lowest's at the end */
		size_t n = 0, S = m->n_strata;

		for (size_t t = 0; t < T; t++)
			sp->forder[t] = (int32_t)t;
		for (size_t s = 0; s < S; s++)
			qsort_r(sp->forder + m->stratum_ptr[s], (size_t)(m->stratum_ptr[s + 1] - m->stratum_ptr[s]),
				sizeof *sp->forder, cmp_term_size, (void *)m);
		for (size_t s = S; s-- > 0;) {
			for (int64_t i = m->stratum_ptr[s]; i < m->stratum_ptr[s + 1]; i++)
				sp->border[n++] = sp->forder[i];
			for (int64_t i = s + 1 < S ? m->stratum_ptr[s + 1] : 0;
			     s + 1 < S && i < m->stratum_ptr[s + 2]; i++)
				sp->border[n++] = (int32_t)(T + (size_t)sp->forder[i]);
		}
		for (int64_t i = 0; S > 0 && i < m->stratum_ptr[1]; i++)
			sp->border[n++] = (int32_t)(T + (size_t)sp->forder[i]);
	}
	sp->wp_off = cp_malloc(T + 1, sizeof *sp->wp_off, err);
	if (sp->wp_off) {
		int64_t pw = (int64_t)(64 / es);

		sp->wp_off[0] = 0;
		for (size_t t = 0; t < T; t++)
			sp->wp_off[t + 1] = sp->wp_off[t] + (int64_t)m->in_dim[t] * ((m->width[t] + pw - 1) / pw * pw);
	}
	sp->n_ws = cp_backend_threads(r->be);
	if (sp->n_ws > 16)
		sp->n_ws = 16;
	sp->ws = cp_calloc((size_t)sp->n_ws, sizeof *sp->ws, err);
	if (!sp->s_ptr || !sp->e_off || !sp->mark || !sp->hits || !sp->first_k || !sp->first_c || !sp->derived ||
	    !sp->zsh ||
	    !sp->ash || !sp->xhsh || !sp->osh || !sp->gun || !sp->mu || !sp->is || !sp->wz || !sp->wa ||
	    !sp->wo || !sp->bsc || !sp->ysh || !sp->dyun || !sp->wy || !sp->dzs || !sp->term_loss || !sp->t_left || !sp->border || !sp->forder || !sp->wsq || !sp->wp_off || !sp->ws ||
	    !sp->zr_n || !sp->zr_g || !sp->zr_off || !sp->zr)
		goto fail;
	for (int w = 0; w < sp->n_ws; w++) {
		sp->ws[w].ish = cp_calloc(max_in ? max_in : 1, es, err);
		sp->ws[w].vec = cp_calloc(max_w ? max_w : 1, es, err);
		sp->ws[w].acc = cp_calloc(max_w ? 4 * max_w : 1, sizeof(double), err);
		sp->ws[w].rng = cp_malloc(max_rng ? 4 * (size_t)max_rng : 1, sizeof *sp->ws[w].rng, err);
		sp->ws[w].gseen = cp_calloc(max_genes ? (size_t)max_genes : 1, 1, err);
		if (!sp->ws[w].ish || !sp->ws[w].vec || !sp->ws[w].acc || !sp->ws[w].rng || !sp->ws[w].gseen)
			goto fail;
	}
	/* the parents of each term, with the input column each feeds */
	sp->par_ptr = cp_calloc(T + 1, sizeof *sp->par_ptr, err);
	if (!sp->par_ptr)
		goto fail;
	for (size_t t = 0; t < T; t++)
		for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++)
			sp->par_ptr[m->child[k] + 1]++;
	for (size_t t = 0; t < T; t++)
		sp->par_ptr[t + 1] += sp->par_ptr[t];
	{
		size_t np = (size_t)sp->par_ptr[T];
		int64_t *fill = cp_malloc(T ? T : 1, sizeof *fill, err);

		sp->par = cp_malloc(np ? np : 1, sizeof *sp->par, err);
		sp->par_cin = cp_malloc(np ? np : 1, sizeof *sp->par_cin, err);
		if (!fill || !sp->par || !sp->par_cin) {
			free(fill);
			goto fail;
		}
		memcpy(fill, sp->par_ptr, T * sizeof *fill);
		for (size_t t = 0; t < T; t++) {
			int64_t cin = 0;

			for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++) {
				int32_t c = m->child[k];

				sp->par[fill[c]] = (int32_t)t;
				sp->par_cin[fill[c]++] = cin;
				cin += m->width[c];
			}
		}
		free(fill);
	}
	return sp;
fail:
	dcell_sparse_free(sp);
	return NULL;
}

void dcell_sparse_free(dcell_sparse *sp)
{
	if (!sp)
		return;
	sp->r->defer_ok = 0;	/* a pending update stays until settled */
	free(sp->s_ptr), free(sp->s_idx), free(sp->e_off), free(sp->mark), free(sp->derived);
	free(sp->hits), free(sp->first_k), free(sp->first_c);
	free(sp->rz), free(sp->ra), free(sp->rxh), free(sp->rdo), free(sp->rg), free(sp->rdy);
	free(sp->zsh), free(sp->ash), free(sp->xhsh), free(sp->osh), free(sp->gun), free(sp->mu);
	free(sp->is), free(sp->ysh), free(sp->dyun);
	free(sp->wz), free(sp->wa), free(sp->wo), free(sp->wy), free(sp->wtr), free(sp->bsc);
	free(sp->wp_off);
	free(sp->items), free(sp->item_loss), free(sp->s_cnt), free(sp->s_cont);
	free(sp->gc_off), free(sp->gc_loff), free(sp->gc), free(sp->gc_y), free(sp->gc_genes);
	free(sp->gc_ptr);
	if (sp->r && sp->r->w_sumsq == sp->wsq) {
		sp->r->w_sumsq = NULL;
		sp->r->w_sumsq_valid = 0;
	}
	free(sp->wsq);
	free(sp->zr), free(sp->zr_n), free(sp->zr_g), free(sp->zr_off);
	free(sp->dzs), free(sp->term_loss), free(sp->t_left), free(sp->border), free(sp->forder), free(sp->par_ptr), free(sp->par), free(sp->par_cin);
	for (int w = 0; sp->ws && w < sp->n_ws; w++)
		free(sp->ws[w].tmp), free(sp->ws[w].ish), free(sp->ws[w].vec), free(sp->ws[w].pos), free(sp->ws[w].loc),
			free(sp->ws[w].sel), free(sp->ws[w].gp), free(sp->ws[w].acc), free(sp->ws[w].rng),
			free(sp->ws[w].gseen);
	free(sp->ws);
	free(sp);
}

void dcell_sparse_stats(const dcell_sparse *sp, double *flops, double *pairs)
{
	if (flops)
		*flops = sp->flops;
	if (pairs)
		*pairs = sp->pairs;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The samples affecting each term: every term containing a deleted gene,
 * or with multi (the per-gene cache's inference) only those containing
 * two or more of the sample's genes. */
static int build_sets(dcell_sparse *sp, const dcell_batch *b, int multi, cp_error *err)
{
	const dcell *m = sp->m;
	size_t T = m->n_terms, es = cp_precision_size(m->prec), K = (size_t)m->cfg.n_outputs;
	int64_t total = 0;

	sp->n = b->n;
	memset(sp->s_ptr, 0, (T + 1) * sizeof *sp->s_ptr);
	for (size_t t = 0; t < T; t++)
		sp->mark[t] = -1;
	for (size_t i = 0; i < b->n; i++) {
		size_t nd = 0;

		for (int64_t k = b->gene_ptr[i]; k < b->gene_ptr[i + 1]; k++) {
			int32_t g = b->gene[k];

			if (g < 0 || (size_t)g >= m->n_genes)
				return cp_error_set(err, "dcell: sample %zu: gene %d out of range", i, g);
			for (int64_t c = m->cont_ptr[g]; c < m->cont_ptr[g + 1]; c++) {
				int32_t t = m->cont_term[c];

				if (sp->mark[t] != (int32_t)i) {
					sp->mark[t] = (int32_t)i;
					sp->hits[t] = 1;
					sp->s_ptr[t + 1] += !multi;
					sp->derived[nd++] = t;
				} else if (multi && sp->hits[t] == 1) {
					sp->hits[t] = 2;
					sp->s_ptr[t + 1]++;	/* the second gene */
				}
			}
		}
		if (b->term_ptr) {
			/* the samples' own lists must name exactly these terms */
			int64_t k0 = b->term_ptr[i], k1 = b->term_ptr[i + 1];

			cp_sort(sp->derived, nd, sizeof *sp->derived, cmp_i32);
			if ((size_t)(k1 - k0) != nd || (nd && memcmp(sp->derived, b->term + k0,
								       nd * sizeof *sp->derived) != 0))
				return cp_error_set(err, "field 'term.idx': experiment %zu: its affected GO "
						    "terms differ from those the model's DAG gives its "
						    "genes (the samples were made with another DAG of the "
						    "same terms, or altered)", b->first + i);
		}
	}
	for (size_t t = 0; t < T; t++)
		sp->s_ptr[t + 1] += sp->s_ptr[t];
	sp->s_gmax = 1;
	for (size_t i = 0; i < b->n; i++)
		if ((size_t)(b->gene_ptr[i + 1] - b->gene_ptr[i]) > sp->s_gmax)
			sp->s_gmax = (size_t)(b->gene_ptr[i + 1] - b->gene_ptr[i]);
	if (grow((void **)&sp->s_idx, &sp->s_cap, (size_t)sp->s_ptr[T], sizeof *sp->s_idx, err) < 0 ||
	    grow((void **)&sp->s_cnt, &sp->s_cnt_cap, (size_t)sp->s_ptr[T], sizeof *sp->s_cnt, err) < 0 ||
	    grow((void **)&sp->s_cont, &sp->s_cont_cap, (size_t)sp->s_ptr[T] * sp->s_gmax, sizeof *sp->s_cont,
		 err) < 0)
		return -1;
	{
		int64_t *fill = cp_malloc(T, sizeof *fill, err);

		if (!fill)
			return -1;
		memcpy(fill, sp->s_ptr, T * sizeof *fill);
		for (size_t t = 0; t < T; t++)
			sp->mark[t] = -1;
		for (size_t i = 0; i < b->n; i++)
			for (int64_t k = b->gene_ptr[i]; k < b->gene_ptr[i + 1]; k++)
				for (int64_t c = m->cont_ptr[b->gene[k]]; c < m->cont_ptr[b->gene[k] + 1]; c++) {
					int32_t t = m->cont_term[c];
					int64_t *slot;
					size_t gk = (size_t)(k - b->gene_ptr[i]);

					if (sp->mark[t] != (int32_t)i) {
						sp->mark[t] = (int32_t)i;
						sp->hits[t] = 1;
						if (multi) {	/* a row only at the second gene */
							sp->first_k[t] = (int32_t)gk;
							sp->first_c[t] = c;
							continue;
						}
					} else if (sp->hits[t] < 255) {
						sp->hits[t]++;
					}
					if (sp->hits[t] == (multi ? 2 : 1)) {
						slot = sp->s_cont + (size_t)fill[t] * sp->s_gmax;
						for (size_t j = 0; j < sp->s_gmax; j++)
							slot[j] = -1;
						if (multi)
							slot[sp->first_k[t]] = sp->first_c[t];
						sp->s_idx[fill[t]++] = (int32_t)i;
					}
					if (multi && sp->hits[t] < 2)
						continue;
					sp->s_cnt[fill[t] - 1] = sp->hits[t];
					sp->s_cont[(size_t)(fill[t] - 1) * sp->s_gmax + gk] = c;
				}
		free(fill);
	}
	for (size_t t = 0; t < T; t++) {
		sp->e_off[t] = total;
		total += (sp->s_ptr[t + 1] - sp->s_ptr[t]) * m->width[t];
	}
	sp->e_off[T] = total;
	{
		size_t cap = sp->r_cap, need = (size_t)total;

		if (need > cap || !sp->rz) {
			size_t c1 = cap, c2 = cap, c3 = cap, c4 = cap, c5 = cap;

			if (grow(&sp->rz, &c1, need, es, err) < 0 || grow(&sp->ra, &c2, need, es, err) < 0 ||
			    grow(&sp->rxh, &c3, need, es, err) < 0 || grow(&sp->rdo, &c4, need, es, err) < 0 ||
			    grow(&sp->rg, &c5, need, es, err) < 0)
				return -1;
			sp->r_cap = c1;
		}
	}
	if (grow(&sp->rdy, &sp->rdy_cap, (size_t)sp->s_ptr[T] * K, es, err) < 0)
		return -1;
	/* each thread's scratch: positions, and the largest (samples x width) block */
	for (int w = 0; w < sp->n_ws; w++)
		if (grow((void **)&sp->ws[w].pos, &sp->ws[w].pos_cap, b->n, sizeof(int64_t), err) < 0 ||
		    grow((void **)&sp->ws[w].loc, &sp->ws[w].loc_cap, b->n, sizeof(int64_t), err) < 0 ||
		    grow((void **)&sp->ws[w].sel, &sp->ws[w].sel_cap,
			 4 * (b->n > (size_t)b->gene_ptr[b->n] ? b->n : (size_t)b->gene_ptr[b->n]), sizeof(int64_t),
			 err) < 0 ||
		    grow(&sp->ws[w].gp, &sp->ws[w].gp_cap, (size_t)b->gene_ptr[b->n] + 1, sizeof(void *), err) < 0)
			return -1;
	{
		size_t need = 0;

		for (size_t t = 0; t < T; t++) {
			size_t nt = (size_t)(sp->s_ptr[t + 1] - sp->s_ptr[t]);
			size_t w = (size_t)m->width[t];

			if (nt * w > need)
				need = nt * w;
			if (nt * K > need)
				need = nt * K;
		}
		for (int w = 0; w < sp->n_ws; w++)
			if (grow(&sp->ws[w].tmp, &sp->ws[w].tmp_cap, need, es, err) < 0)
				return -1;
	}
	return 0;
}

/* Positions of the samples of the child's list within the parent's (the
 * child's samples are a subset: a parent contains its child's genes). */
static void positions(const dcell_sparse *sp, int32_t c, int32_t t, int64_t *pos)
{
	const int32_t *cs = sp->s_idx + sp->s_ptr[c], *ts = sp->s_idx + sp->s_ptr[t];
	int64_t nc = sp->s_ptr[c + 1] - sp->s_ptr[c], k = 0;

	for (int64_t i = 0; i < nc; i++) {
		while (ts[k] != cs[i])
			k++;
		pos[i] = k;
	}
}

/* Column of gene g among t's direct genes (after its children's inputs), -1 if absent. */
static int64_t gene_column(const dcell *m, int32_t t, int32_t g, int64_t children_in)
{
	int64_t lo = m->gene_ptr[t], hi = m->gene_ptr[t + 1];

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (m->gene[mid] < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->gene_ptr[t + 1] && m->gene[lo] == g)
		return children_in + (lo - m->gene_ptr[t]);
	return -1;
}

/* Append columns [start, start + n) to a list of (start, length) ranges,
 * joining it to the last when they meet. */
static void add_range(int32_t *r, int *n, int32_t start, int32_t len)
{
	if (*n > 0 && r[2 * *n - 2] + r[2 * *n - 1] == start) {
		r[2 * *n - 1] += len;
	} else {
		r[2 * *n] = start;
		r[2 * *n + 1] = len;
		++*n;
	}
}

/* (row, input column) of each deleted gene of t, over t's affected rows;
 * children_in: the width of t's children's columns.  Their number. */
static int64_t gene_pairs(const dcell_sparse *sp, const dcell_batch *b, int32_t t, int64_t children_in,
			  int64_t *pair)
{
	const int32_t *rows = sp->s_idx + sp->s_ptr[t];
	int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t], n = 0;

	for (int64_t r = 0; r < nt; r++)
		for (int64_t k = b->gene_ptr[rows[r]]; k < b->gene_ptr[rows[r] + 1]; k++) {
			int64_t q = gene_column(sp->m, t, b->gene[k], children_in);

			if (q >= 0) {
				pair[2 * n] = r;
				pair[2 * n++ + 1] = q;
			}
		}
	return n;
}

static double head_scale(const dcell *m, int32_t t)
{
	if ((size_t)t + 1 == m->n_terms)
		return 1.0;
	return m->cfg.alpha_mean ? m->cfg.alpha / (double)(m->n_terms - 1) : m->cfg.alpha;
}

/* Before an inference forward (after build_sets): the weights in panels,
 * and room for a stratum's work items. */
static int infer_prepare(dcell_sparse *sp, cp_error *err)
{
	size_t need = sp->m->n_terms * (size_t)(8 * sp->n_ws + 1) + (size_t)sp->s_ptr[sp->m->n_terms];
	size_t cap = sp->items_cap;
	size_t np = (size_t)sp->wp_off[sp->m->n_terms];

	if (!sp->wtr && !(sp->wtr = cp_big_alloc(np ? np : 1, cp_precision_size(sp->m->prec), 1, err)))
		return -1;
	if (grow((void **)&sp->items, &sp->items_cap, need, sizeof *sp->items, err) < 0 ||
	    grow((void **)&sp->item_loss, &cap, need, sizeof *sp->item_loss, err) < 0)
		return -1;
	return 0;
}

/* The per-gene cache adds new genes' single deletions this many at a time. */
#define CACHE_CHUNK 256

/* Inference splits a term's affected rows into items of about this many
 * (rows x width) elements, so that one wide term does not hold up a
 * stratum. */
#define INFER_ITEM_WORK 4096

#define REAL float
#define FN(name) name##_f32
#define GEMM cblas_sgemm
#define GEMV cblas_sgemv
#define GER cblas_sger
#define TANH cp_tanhf
#define TANH_SIMD _Pragma("omp simd")
#include "dcell_sparse_tmpl.h"
#undef REAL
#undef FN
#undef GEMM
#undef GEMV
#undef GER
#undef TANH
#undef TANH_SIMD
#define REAL double
#define FN(name) name##_f64
#define GEMM cblas_dgemm
#define GEMV cblas_dgemv
#define GER cblas_dger
#define TANH tanh
#define TANH_SIMD
#include "dcell_sparse_tmpl.h"
#undef REAL
#undef FN
#undef GEMM
#undef GEMV
#undef GER
#undef TANH
#undef TANH_SIMD

/* No sample names a gene twice (the cache adds each gene's change once). */
static int distinct_genes(const dcell_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		for (int64_t k = b->gene_ptr[i]; k < b->gene_ptr[i + 1]; k++)
			for (int64_t q = b->gene_ptr[i]; q < k; q++)
				if (b->gene[q] == b->gene[k])
					return 0;
	return 1;
}

int dcell_sparse_forward(dcell_sparse *sp, const dcell_batch *b, int train, double *loss,
			 double *pred, cp_error *err)
{
	int rc, sets = 0;	/* sets: the batch's sets are built */

	if (b->n == 0)
		return cp_error_set(err, "dcell: an empty batch");
	/* a training forward applies a deferred update itself, term by term */
	if (!train && dcell_run_settle(sp->r, err) < 0)
		return -1;
	sp->use_cache = 0;
	if (!train && sp->gc_on && !loss && distinct_genes(b)) {
		if (build_sets(sp, b, 1, err) < 0)	/* checks the genes first */
			return -1;
		/* 1: new genes were computed, with sets of their own */
		rc = sp->m->prec == CP_F64 ? cache_fill_f64(sp, b, err) : cache_fill_f32(sp, b, err);
		if (rc < 0)
			return -1;
		sets = rc == 0;
		sp->use_cache = 1;
	}
	if ((!sets && build_sets(sp, b, sp->use_cache, err) < 0) || (!train && infer_prepare(sp, err) < 0))
		return -1;
	sp->train = train;
	if (train && dcell_run_train_buffers(sp->r, err) < 0)
		return -1;
	if (train)
		sp->r->params_version++;	/* the running statistics change */
	rc = sp->m->prec == CP_F64 ? sparse_forward_f64(sp, b, train, loss, pred, err)
				   : sparse_forward_f32(sp, b, train, loss, pred, err);
	sp->use_cache = 0;
	return rc;
}

double dcell_sparse_cache_gain(const dcell *m)
{
	size_t T = m->n_terms, n_ann = 0;
	uint8_t *cnt = calloc(T ? T : 1, 1);
	int32_t *ann = malloc((m->n_genes ? m->n_genes : 1) * sizeof *ann);
	uint64_t state = 20121224;
	double plain = 0, cached = 0;

	if (!cnt || !ann) {
		free(cnt), free(ann);
		return 1.0;
	}
	for (size_t g = 0; g < m->n_genes; g++)
		if (m->cont_ptr[g + 1] > m->cont_ptr[g])
			ann[n_ann++] = (int32_t)g;
	for (int n = 0; n < 2000 && n_ann > 1; n++) {
		int32_t pair[2];

		pair[0] = ann[dcell_rng_next(&state) % n_ann];
		do
			pair[1] = ann[dcell_rng_next(&state) % n_ann];
		while (pair[1] == pair[0]);
		for (int q = 0; q < 2; q++)
			for (int64_t c = m->cont_ptr[pair[q]]; c < m->cont_ptr[pair[q] + 1]; c++)
				cnt[m->cont_term[c]]++;
		for (size_t t = 0; t < T; t++) {
			double in = 1, multi_in = 2;

			if (!cnt[t])
				continue;
			for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++) {
				int32_t c = m->child[k];

				in += cnt[c] ? m->width[c] : 0;
				multi_in += cnt[c] >= 2 ? m->width[c] : 0;
			}
			plain += in * m->width[t];
			cached += cnt[t] >= 2 ? multi_in * m->width[t] : 0;
		}
		for (int q = 0; q < 2; q++)
			for (int64_t c = m->cont_ptr[pair[q]]; c < m->cont_ptr[pair[q] + 1]; c++)
				cnt[m->cont_term[c]] = 0;
	}
	free(cnt), free(ann);
	return cached > 0 ? plain / cached : 1.0;
}

int dcell_sparse_cache(dcell_sparse *sp, int on, size_t max_bytes, cp_error *err)
{
	const dcell *m = sp->m;
	size_t G = m->n_genes, K = (size_t)m->cfg.n_outputs, es = cp_precision_size(m->prec), values = 0;
	double bytes = (double)(G * K * es);

	sp->gc_on = 0;
	if (!on)
		return 0;
	if (!sp->gc_off) {
		sp->gc_off = cp_malloc(G ? G : 1, sizeof *sp->gc_off, err);
		sp->gc_loff = cp_malloc(m->cont_ptr[G] ? (size_t)m->cont_ptr[G] : 1, sizeof *sp->gc_loff, err);
		sp->gc_y = cp_calloc(G * K > 0 ? G * K : 1, es, err);
		sp->gc_genes = cp_malloc(G ? G : 1, sizeof *sp->gc_genes, err);
		sp->gc_ptr = cp_malloc(CACHE_CHUNK + 1, sizeof *sp->gc_ptr, err);
		if (!sp->gc_off || !sp->gc_loff || !sp->gc_y || !sp->gc_genes || !sp->gc_ptr)
			return -1;
		for (size_t i = 0; i <= CACHE_CHUNK; i++)
			sp->gc_ptr[i] = (int64_t)i;
		for (size_t g = 0; g < G; g++) {
			int64_t acc = 0;

			sp->gc_off[g] = -1;
			for (int64_t c = m->cont_ptr[g]; c < m->cont_ptr[g + 1]; c++) {
				sp->gc_loff[c] = acc;
				acc += m->width[m->cont_term[c]];
			}
		}
		sp->gc_version = -1;
	}
	for (size_t g = 0; g < G; g++)
		if (m->cont_ptr[g + 1] > m->cont_ptr[g]) {
			int64_t last = m->cont_ptr[g + 1] - 1;

			values += 2 * (size_t)(sp->gc_loff[last] + m->width[m->cont_term[last]]);
		}
	bytes += (double)values * (double)es;
	if (bytes > (double)max_bytes)
		return cp_error_set(err, "dcell: the per-gene cache would take %.0f MiB (limit %.0f MiB)",
				    bytes / 1048576.0, (double)max_bytes / 1048576.0);
	/* room for every gene at once, in huge pages where offered (its blocks
	 * are read at random); pages are only taken as genes are added */
	if (!sp->gc || sp->gc_cap < values) {
		free(sp->gc);
		sp->gc_cap = 0;
		if (!(sp->gc = cp_big_alloc(values ? values : 1, es, 0, err)))
			return -1;
		sp->gc_cap = values ? values : 1;
		sp->gc_version = -1;
	}
	sp->gc_on = 1;
	return 0;
}

int dcell_sparse_backward(dcell_sparse *sp, const dcell_batch *b, cp_error *err)
{
	if (!sp->train || sp->n != b->n)
		return cp_error_set(err, "dcell: sparse backward needs a training forward of this batch");
	if (dcell_run_train_buffers(sp->r, err) < 0 || dcell_run_settle(sp->r, err) < 0)
		return -1;
	return sp->m->prec == CP_F64 ? sparse_backward_f64(sp, b, err) : sparse_backward_f32(sp, b, err);
}
