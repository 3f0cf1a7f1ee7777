/* pert_mask.c - the edges, reactions and GO terms a deletion changes. */
#define _GNU_SOURCE
#include "pert_mask.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gpr.h"

_Static_assert(CELL_GRAPH_MAX_RELATIONS == PERT_MAX_RELATIONS,
	       "a samples stream must be able to name every relation of a cell graph");

typedef struct {
	int32_t *v;
	size_t n, cap;
} index_list;

struct pert_mask {
	const cell_graph *cg;
	const go_dag *dag;
	size_t n_genes;
	uint8_t *deleted;		/* n_genes, 1 while a gene is deleted */
	int64_t *gene_rxn_ptr;		/* reactions whose rule names gene g */
	int32_t *gene_rxn;
	int64_t *gene_term_ptr;		/* terms containing gene g */
	int32_t *gene_term;
	char go_hash[17];
	/* two buffers per list: merges write into one, then the other */
	index_list edges[CELL_GRAPH_MAX_RELATIONS][2], candidates[2], terms[2], reactions;
};

static int reserve(index_list *l, size_t n, cp_error *err)
{
	int32_t *p;
	size_t cap = l->cap ? l->cap : 256;

	if (n <= l->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	p = cp_realloc(l->v, cap, sizeof *p, err);
	if (!p)
		return -1;
	l->v = p;
	l->cap = cap;
	return 0;
}

/* dst = the sorted union of sorted lists a and b; returns its length.
 * Branch-free: equal heads are written once and both advance. */
static size_t merge_even(const int32_t *a, size_t na, const int32_t *b, size_t nb, int32_t *dst)
{
	size_t i = 0, j = 0, m = 0;

	while (i < na && j < nb) {
		int32_t x = a[i], y = b[j];

		dst[m++] = x < y ? x : y;
		i += x <= y;
		j += y <= x;
	}
	memcpy(dst + m, a + i, (na - i) * sizeof *a);
	m += na - i;
	memcpy(dst + m, b + j, (nb - j) * sizeof *b);
	return m + nb - j;
}

/* The same when a is much longer than b (a hub gene's list beside a few
 * edges): find where each element of b goes by binary search and copy the
 * runs of a between them whole. */
static size_t merge_uneven(const int32_t *a, size_t na, const int32_t *b, size_t nb, int32_t *dst)
{
	size_t i = 0, m = 0;

	for (size_t j = 0; j < nb; j++) {
		size_t lo = i, hi = na;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (a[mid] < b[j])
				lo = mid + 1;
			else
				hi = mid;
		}
		memcpy(dst + m, a + i, (lo - i) * sizeof *a);
		m += lo - i;
		i = lo;
		if (i < na && a[i] == b[j])
			i++;
		dst[m++] = b[j];
	}
	memcpy(dst + m, a + i, (na - i) * sizeof *a);
	return m + na - i;
}

static size_t merge(const int32_t *a, size_t na, const int32_t *b, size_t nb, int32_t *dst)
{
	if (na > 16 * nb)
		return merge_uneven(a, na, b, nb, dst);
	if (nb > 16 * na)
		return merge_uneven(b, nb, a, na, dst);
	return merge_even(a, na, b, nb, dst);
}

/*
 * The sorted union of lists g of a CSR (ptr, idx) over the genes, in *list
 * and *len.  When only one gene has a list, that list is returned as it is
 * (no copy); otherwise lists are merged pairwise into buf[0] or buf[1]
 * (the result may be in either): a deletion has few genes.
 */
static int union_of(const int64_t *ptr, const int32_t *idx, const int32_t *genes, size_t n,
		    index_list buf[2], const int32_t **list, size_t *len, cp_error *err)
{
	size_t total = 0, nonempty = 0, last = 0;

	for (size_t k = 0; k < n; k++) {
		size_t nk = (size_t)(ptr[genes[k] + 1] - ptr[genes[k]]);

		total += nk;
		if (nk)
			nonempty++, last = k;
	}
	if (nonempty <= 1) {
		*list = nonempty ? idx + ptr[genes[last]] : NULL;
		*len = total;
		return 0;
	}
	if (reserve(&buf[0], total, err) < 0 || reserve(&buf[1], total, err) < 0)
		return -1;
	/* cur starts as the first list itself; each merge writes into whichever
	 * buffer cur is not */
	{
		const int32_t *cur = NULL;
		size_t ncur = 0;

		for (size_t k = 0; k < n; k++) {
			const int32_t *b = idx + ptr[genes[k]];
			size_t nb = (size_t)(ptr[genes[k] + 1] - ptr[genes[k]]);
			int32_t *dst;

			if (nb == 0)
				continue;
			if (!cur) {
				cur = b, ncur = nb;
				continue;
			}
			dst = cur == buf[0].v ? buf[1].v : buf[0].v;
			ncur = merge(cur, ncur, b, nb, dst);
			cur = dst;
		}
		*list = cur;
		*len = ncur;
	}
	return 0;
}

/* gene -> reactions whose rule names the gene, each reaction once. */
static int index_reactions(pert_mask *pm, cp_error *err)
{
	const cell_metabolism *m = &pm->cg->metabolism;
	size_t G = pm->n_genes;
	int64_t *fill;
	int32_t *last;
	int rc = -1;

	pm->gene_rxn_ptr = cp_calloc(G + 1, sizeof *pm->gene_rxn_ptr, err);
	fill = cp_malloc(G + 1, sizeof *fill, err);
	last = cp_malloc(G + 1, sizeof *last, err);
	if (!pm->gene_rxn_ptr || !fill || !last)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t g = 0; g < G; g++)
			last[g] = -1;
		for (size_t r = 0; r < m->n_reactions; r++)
			for (int64_t c = m->gpr_ptr[r]; c < m->gpr_ptr[r + 1]; c++)
				for (int64_t k = m->clause_ptr[c]; k < m->clause_ptr[c + 1]; k++) {
					int32_t g = m->clause_gene[k];

					if (last[g] == (int32_t)r)
						continue;
					last[g] = (int32_t)r;
					if (pass == 0)
						pm->gene_rxn_ptr[g + 1]++;
					else
						pm->gene_rxn[fill[g]++] = (int32_t)r;
				}
		if (pass == 0) {
			for (size_t g = 0; g < G; g++)
				pm->gene_rxn_ptr[g + 1] += pm->gene_rxn_ptr[g];
			memcpy(fill, pm->gene_rxn_ptr, (G + 1) * sizeof *fill);
			pm->gene_rxn = cp_malloc((size_t)pm->gene_rxn_ptr[G] + 1, sizeof *pm->gene_rxn, err);
			if (!pm->gene_rxn)
				goto out;
		}
	}
	rc = 0;
out:
	free(fill);
	free(last);
	return rc;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* gene -> terms containing it: the terms annotated with the gene and all
 * their ancestors, found by walking up from each annotated term. */
static int index_terms(pert_mask *pm, cp_error *err)
{
	const go_dag *dag = pm->dag;
	size_t G = pm->n_genes, T = dag->n_terms, total = 0, cap = 0;
	int64_t *direct_ptr = cp_calloc(G + 1, sizeof *direct_ptr, err), *fill = NULL;
	int32_t *direct = NULL, *stack = NULL, *visit = NULL;
	int rc = -1;

	pm->gene_term_ptr = cp_calloc(G + 1, sizeof *pm->gene_term_ptr, err);
	if (!direct_ptr || !pm->gene_term_ptr)
		goto out;
	for (size_t t = 0; t < T; t++)
		for (int64_t k = dag->gene_ptr[t]; k < dag->gene_ptr[t + 1]; k++)
			direct_ptr[dag->gene[k] + 1]++;
	for (size_t g = 0; g < G; g++)
		direct_ptr[g + 1] += direct_ptr[g];
	direct = cp_malloc((size_t)direct_ptr[G] + 1, sizeof *direct, err);
	fill = cp_malloc(G + 1, sizeof *fill, err);
	stack = cp_malloc(T + 1, sizeof *stack, err);
	visit = cp_malloc(T + 1, sizeof *visit, err);
	if (!direct || !fill || !stack || !visit)
		goto out;
	memcpy(fill, direct_ptr, (G + 1) * sizeof *fill);
	for (size_t t = 0; t < T; t++)
		for (int64_t k = dag->gene_ptr[t]; k < dag->gene_ptr[t + 1]; k++)
			direct[fill[dag->gene[k]]++] = (int32_t)t;
	for (size_t t = 0; t < T; t++)
		visit[t] = -1;
	for (size_t g = 0; g < G; g++) {
		size_t top = 0, first = total;

		for (int64_t k = direct_ptr[g]; k < direct_ptr[g + 1]; k++)
			if (visit[direct[k]] != (int32_t)g) {
				visit[direct[k]] = (int32_t)g;
				stack[top++] = direct[k];
			}
		while (top) {
			int32_t t = stack[--top];

			if (total == cap) {
				int32_t *p = cp_realloc(pm->gene_term, cap ? cap * 2 : 65536, sizeof *p, err);

				if (!p)
					goto out;
				pm->gene_term = p;
				cap = cap ? cap * 2 : 65536;
			}
			pm->gene_term[total++] = t;
			for (int64_t k = dag->parent_ptr[t]; k < dag->parent_ptr[t + 1]; k++)
				if (visit[dag->parent[k]] != (int32_t)g) {
					visit[dag->parent[k]] = (int32_t)g;
					stack[top++] = dag->parent[k];
				}
		}
		if (total > first)	/* gene_term is NULL until some gene has a term */
			cp_sort(pm->gene_term + first, total - first, sizeof *pm->gene_term, cmp_i32);
		pm->gene_term_ptr[g + 1] = (int64_t)total;
	}
	rc = 0;
out:
	free(direct_ptr);
	free(direct);
	free(fill);
	free(stack);
	free(visit);
	return rc;
}

pert_mask *pert_mask_new(const cell_graph *cg, const char *graph_name, const go_dag *dag,
			 const char *dag_name, cp_error *err)
{
	pert_mask *pm = cp_calloc(1, sizeof *pm, err);

	if (!pm)
		return NULL;
	pm->cg = cg;
	pm->dag = dag;
	pm->n_genes = cg->genome.n;
	if (dag && (dag->genome_hash != cg->genome.hash || dag->n_genes != cg->genome.n)) {
		cpz_genome_mismatch(err, dag_name, dag->genome_hash, graph_name, cg->genome.hash);
		goto fail;
	}
	pm->deleted = cp_calloc(pm->n_genes + 1, 1, err);
	if (!pm->deleted)
		goto fail;
	if (cg->has_metabolism && index_reactions(pm, err) < 0)
		goto fail;
	if (dag) {
		if (index_terms(pm, err) < 0)
			goto fail;
		pert_go_hash(dag->n_terms, dag->term_id, pm->go_hash);
	}
	return pm;
fail:
	pert_mask_free(pm);
	return NULL;
}

void pert_mask_free(pert_mask *pm)
{
	if (!pm)
		return;
	free(pm->deleted);
	free(pm->gene_rxn_ptr);
	free(pm->gene_rxn);
	free(pm->gene_term_ptr);
	free(pm->gene_term);
	for (int k = 0; k < 2; k++) {
		for (int r = 0; r < CELL_GRAPH_MAX_RELATIONS; r++)
			free(pm->edges[r][k].v);
		free(pm->candidates[k].v);
		free(pm->terms[k].v);
	}
	free(pm->reactions.v);
	free(pm);
}

void pert_mask_context(const pert_mask *pm, int64_t chunk_size, pert_context *ctx)
{
	const cell_graph *cg = pm->cg;

	memset(ctx, 0, sizeof *ctx);
	ctx->n_genes = cg->genome.n;
	ctx->genes = cg->genome.names;
	ctx->genome_hash = cg->genome.hash;
	ctx->n_relations = cg->n_relations;
	for (size_t r = 0; r < cg->n_relations; r++) {
		ctx->relation[r] = cg->relation[r].name;
		ctx->relation_edges[r] = cg->relation[r].n_edges;
	}
	ctx->n_reactions = cg->has_metabolism ? (int64_t)cg->metabolism.n_reactions : -1;
	ctx->n_terms = pm->dag ? (int64_t)pm->dag->n_terms : -1;
	memcpy(ctx->go_hash, pm->go_hash, sizeof ctx->go_hash);
	ctx->chunk_size = chunk_size;
}

static int failed_reactions(pert_mask *pm, const int32_t *genes, size_t n, cp_error *err)
{
	const cell_metabolism *m = &pm->cg->metabolism;

	const int32_t *candidates;
	size_t n_candidates;

	if (union_of(pm->gene_rxn_ptr, pm->gene_rxn, genes, n, pm->candidates, &candidates,
		     &n_candidates, err) < 0 ||
	    reserve(&pm->reactions, n_candidates, err) < 0)
		return -1;
	pm->reactions.n = 0;
	for (size_t k = 0; k < n_candidates; k++) {
		int32_t r = candidates[k];

		if (!gpr_survives(m->clause_ptr + m->gpr_ptr[r], (size_t)(m->gpr_ptr[r + 1] - m->gpr_ptr[r]),
				  m->clause_gene, pm->deleted))
			pm->reactions.v[pm->reactions.n++] = r;
	}
	return 0;
}

int pert_mask_apply(pert_mask *pm, const int32_t *genes, size_t n, pert_experiment *e,
		    cp_error *err)
{
	const cell_graph *cg = pm->cg;
	size_t marked = 0;
	int rc = -1;

	for (; marked < n; marked++) {
		int32_t g = genes[marked];

		if (g < 0 || (size_t)g >= pm->n_genes) {
			cp_error_set(err, "gene index %d out of range", g);
			goto out;
		}
		if (pm->deleted[g]) {
			cp_error_set(err, "gene %s deleted twice", cg->genome.names[g]);
			goto out;
		}
		pm->deleted[g] = 1;
	}
	e->genes = genes;
	e->n_genes = n;
	/* The lists of random genes are far apart in memory: ask for all of
	 * them at once so the cache misses overlap. */
	for (size_t r = 0; r < cg->n_relations; r++)
		for (size_t k = 0; k < n; k++)
			__builtin_prefetch(cg->relation[r].incident_ptr + genes[k]);
	for (size_t r = 0; r < cg->n_relations; r++)
		for (size_t k = 0; k < n; k++)
			__builtin_prefetch(cg->relation[r].incident + cg->relation[r].incident_ptr[genes[k]]);
	for (size_t r = 0; r < cg->n_relations; r++) {
		const cell_relation *rel = &cg->relation[r];

		if (union_of(rel->incident_ptr, rel->incident, genes, n, pm->edges[r], &e->edges[r],
			     &e->n_edges[r], err) < 0)
			goto out;
	}
	e->reactions = NULL, e->n_reactions = 0;
	if (cg->has_metabolism) {
		if (failed_reactions(pm, genes, n, err) < 0)
			goto out;
		e->reactions = pm->reactions.v;
		e->n_reactions = pm->reactions.n;
	}
	e->terms = NULL, e->n_terms = 0;
	if (pm->dag) {
		if (union_of(pm->gene_term_ptr, pm->gene_term, genes, n, pm->terms, &e->terms,
			     &e->n_terms, err) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t k = 0; k < marked; k++)
		pm->deleted[genes[k]] = 0;
	return rc;
}
