/* go_dag.c - the GO DAG: stream I/O and invariants. */
#define _GNU_SOURCE
#include "go_dag.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

const char *const go_namespace_names[GO_NAMESPACE_COUNT] = {
	"biological_process", "molecular_function", "cellular_component", "root"
};
const char *const go_relation_names[GO_RELATION_COUNT] = { "is_a", "part_of" };

void go_dag_init(go_dag *dag)
{
	memset(dag, 0, sizeof *dag);
	cpz_record_init(&dag->genome_rec);
	cpz_record_init(&dag->dag_rec);
	cp_arena_init(&dag->arena);
}

void go_dag_free(go_dag *dag)
{
	if (!dag)
		return;
	cpz_record_free(&dag->genome_rec);
	cpz_record_free(&dag->dag_rec);
	cp_arena_free(&dag->arena);
	memset(dag, 0, sizeof *dag);
}

int go_dag_to_record(const go_dag *dag, cpz_record *rec, cp_error *err)
{
	int64_t T = (int64_t)dag->n_terms, T1 = T + 1;
	int64_t E = dag->parent_ptr[dag->n_terms], A = dag->gene_ptr[dag->n_terms];
	int64_t S1 = (int64_t)dag->n_strata + 1;

	if (cpz_record_add_strings(rec, "term.id", dag->n_terms, dag->term_id, err) < 0 ||
	    cpz_record_add_strings(rec, "term.name", dag->n_terms, dag->term_name, err) < 0 ||
	    cpz_record_add_tensor(rec, "term.namespace", CPZ_U8, 1, &T, dag->ns, err) < 0 ||
	    cpz_record_add_tensor(rec, "term.stratum", CPZ_I32, 1, &T, dag->stratum, err) < 0 ||
	    cpz_record_add_tensor(rec, "term.contained", CPZ_I32, 1, &T, dag->n_contained, err) < 0 ||
	    cpz_record_add_tensor(rec, "parent.ptr", CPZ_I64, 1, &T1, dag->parent_ptr, err) < 0 ||
	    cpz_record_add_tensor(rec, "parent.idx", CPZ_I32, 1, &E, dag->parent, err) < 0 ||
	    cpz_record_add_tensor(rec, "parent.relation", CPZ_U8, 1, &E, dag->parent_rel, err) < 0 ||
	    cpz_record_add_tensor(rec, "gene.ptr", CPZ_I64, 1, &T1, dag->gene_ptr, err) < 0 ||
	    cpz_record_add_tensor(rec, "gene.idx", CPZ_I32, 1, &A, dag->gene, err) < 0 ||
	    cpz_record_add_tensor(rec, "gene.evidence", CPZ_U8, 1, &A, dag->evidence, err) < 0 ||
	    cpz_record_add_tensor(rec, "gene.date", CPZ_I32, 1, &A, dag->date, err) < 0 ||
	    cpz_record_add_strings(rec, "evidence_codes", dag->n_evidence_codes, dag->evidence_codes,
				   err) < 0 ||
	    cpz_record_add_tensor(rec, "stratum.ptr", CPZ_I64, 1, &S1, dag->stratum_ptr, err) < 0 ||
	    cpz_record_add_int(rec, "root", dag->root, err) < 0 ||
	    cpz_record_add_strings(rec, "namespaces", GO_NAMESPACE_COUNT, go_namespace_names, err) < 0 ||
	    cpz_record_add_strings(rec, "relations", GO_RELATION_COUNT, go_relation_names, err) < 0)
		return -1;
	return 0;
}

int go_dag_write(cpz_writer *w, const go_dag *dag,
		 int (*extra)(cpz_record *rec, void *ctx, cp_error *err), void *ctx, cp_error *err)
{
	cpz_record rec;
	int rc = -1;

	cpz_record_init(&rec);
	if (cpz_record_reset(&rec, "genome", err) < 0 ||
	    cpz_record_add_genome(&rec, dag->n_genes, dag->genes, err) < 0 ||
	    cpz_writer_write(w, &rec, err) < 0)
		goto out;
	if (cpz_record_reset(&rec, "go-dag", err) < 0 || go_dag_to_record(dag, &rec, err) < 0)
		goto out;
	if (extra && extra(&rec, ctx, err) < 0)
		goto out;
	if (cpz_writer_write(w, &rec, err) < 0)
		goto out;
	rc = 0;
out:
	cpz_record_free(&rec);
	return rc;
}

/* A CSR pointer array: starts at 0, never decreases, ends at total. */
static int check_ptr(const cpz_record *rec, const char *name, const int64_t *ptr, size_t n,
		     int64_t total, cp_error *err)
{
	if (ptr[0] != 0)
		return cpz_record_error(rec, name, err, "does not start at 0");
	for (size_t i = 0; i < n; i++)
		if (ptr[i + 1] < ptr[i])
			return cpz_record_error(rec, name, err, "decreases at %zu", i + 1);
	if (ptr[n] != total)
		return cpz_record_error(rec, name, err, "ends at %" PRId64 " but there are %" PRId64
					" entries", ptr[n], total);
	return 0;
}

/* A 1-d tensor field of the given dtype and length (len < 0: any). */
static void *field(const cpz_record *rec, const char *name, cpz_dtype dtype, int64_t len,
		   int64_t *got, cp_error *err)
{
	const cpz_tensor *t = cpz_record_tensor(rec, name, dtype, 1, err);

	if (!t)
		return NULL;
	if (len >= 0 && cpz_record_check_dim(rec, name, t, 0, len, err) < 0)
		return NULL;
	if (got)
		*got = t->shape[0];
	return t->data;
}

/* A list of names that says what a u8 field's values mean: it must be the
 * one this reader gives them. */
static int check_names(const cpz_record *rec, const char *name, const char *const *want, size_t n_want,
		       cp_error *err)
{
	size_t n;
	const char *const *got = cpz_record_strings(rec, name, &n, err);

	if (!got)
		return -1;
	for (size_t i = 0; i < n || i < n_want; i++)
		if (i >= n || i >= n_want || strcmp(got[i], want[i]) != 0) {
			char list[256] = "";

			for (size_t k = 0; k < n_want; k++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
					 want[k]);
			return cpz_record_error(rec, name, err, "expected %s", list);
		}
	return 0;
}

static int read_dag_record(go_dag *dag, const cpz_record *rec, cp_error *err)
{
	size_t n, n_names;
	int64_t T, E, A, S1, root;

	dag->term_id = cpz_record_strings(rec, "term.id", &n, err);
	if (!dag->term_id)
		return -1;
	if (n == 0)
		return cpz_record_error(rec, "term.id", err, "no terms");
	dag->n_terms = n;
	T = (int64_t)n;
	dag->term_name = cpz_record_strings(rec, "term.name", &n_names, err);
	if (!dag->term_name)
		return -1;
	if (n_names != n)
		return cpz_record_error(rec, "term.name", err, "%zu names for %zu terms", n_names, n);
	if (!(dag->ns = field(rec, "term.namespace", CPZ_U8, T, NULL, err)) ||
	    !(dag->stratum = field(rec, "term.stratum", CPZ_I32, T, NULL, err)) ||
	    !(dag->n_contained = field(rec, "term.contained", CPZ_I32, T, NULL, err)) ||
	    !(dag->parent_ptr = field(rec, "parent.ptr", CPZ_I64, T + 1, NULL, err)) ||
	    !(dag->parent = field(rec, "parent.idx", CPZ_I32, -1, &E, err)) ||
	    !(dag->parent_rel = field(rec, "parent.relation", CPZ_U8, E, NULL, err)) ||
	    !(dag->gene_ptr = field(rec, "gene.ptr", CPZ_I64, T + 1, NULL, err)) ||
	    !(dag->gene = field(rec, "gene.idx", CPZ_I32, -1, &A, err)) ||
	    !(dag->evidence = field(rec, "gene.evidence", CPZ_U8, A, NULL, err)) ||
	    !(dag->date = field(rec, "gene.date", CPZ_I32, A, NULL, err)) ||
	    !(dag->stratum_ptr = field(rec, "stratum.ptr", CPZ_I64, -1, &S1, err)))
		return -1;
	if (check_ptr(rec, "parent.ptr", dag->parent_ptr, n, E, err) < 0 ||
	    check_ptr(rec, "gene.ptr", dag->gene_ptr, n, A, err) < 0)
		return -1;
	if (S1 < 2)
		return cpz_record_error(rec, "stratum.ptr", err, "has %" PRId64 " entries, needs 2 or more",
					S1);
	dag->n_strata = (size_t)S1 - 1;
	if (check_ptr(rec, "stratum.ptr", dag->stratum_ptr, dag->n_strata, T, err) < 0)
		return -1;
	dag->evidence_codes = cpz_record_strings(rec, "evidence_codes", &dag->n_evidence_codes, err);
	if (!dag->evidence_codes ||
	    check_names(rec, "namespaces", go_namespace_names, GO_NAMESPACE_COUNT, err) < 0 ||
	    check_names(rec, "relations", go_relation_names, GO_RELATION_COUNT, err) < 0)
		return -1;
	if (cpz_record_int(rec, "root", &root, err) < 0)
		return -1;
	if (root < 0 || root >= T)
		return cpz_record_error(rec, "root", err, "%" PRId64 " is not a term", root);
	dag->root = (int32_t)root;
	return 0;
}

int go_dag_read(const char *path, go_dag *dag, cp_error *err)
{
	cpz_reader *r = cpz_reader_open(path, err);
	cpz_record extra;
	int rc;

	go_dag_init(dag);
	if (!r)
		return -1;
	cpz_record_init(&extra);
	if (cpz_reader_expect_kind(r, "go-dag", err) < 0)
		goto fail;
	rc = cpz_reader_next(r, &dag->genome_rec, err);
	if (rc <= 0) {
		if (rc == 0)
			cp_error_set(err, "%s: no genome record", path);
		goto fail;
	}
	if (cpz_record_genome(&dag->genome_rec, &dag->n_genes, &dag->genes, &dag->genome_hash, err) < 0)
		goto fail;
	rc = cpz_reader_next(r, &dag->dag_rec, err);
	if (rc <= 0) {
		if (rc == 0)
			cp_error_set(err, "%s: no go-dag record", path);
		goto fail;
	}
	if (strcmp(dag->dag_rec.type, "go-dag") != 0) {
		cpz_record_error(&dag->dag_rec, NULL, err, "expected a go-dag record");
		goto fail;
	}
	if (read_dag_record(dag, &dag->dag_rec, err) < 0)
		goto fail;
	/* read to the end so the checksum is verified; a go-dag stream holds
	 * one DAG, so a further genome or go-dag record is a second one */
	while ((rc = cpz_reader_next(r, &extra, err)) == 1)
		if (strcmp(extra.type, "genome") == 0 || strcmp(extra.type, "go-dag") == 0) {
			cpz_record_error(&extra, NULL, err,
					 "a second GO DAG follows the first (concatenated streams?)");
			goto fail;
		}
	if (rc < 0)
		goto fail;
	{
		char what[4200];

		snprintf(what, sizeof what, "%s: record 1 (go-dag)", path);
		if (go_dag_check(dag, what, err) < 0)
			goto fail;
	}
	cpz_record_free(&extra);
	cpz_reader_close(r);
	return 0;
fail:
	cpz_record_free(&extra);
	cpz_reader_close(r);
	go_dag_free(dag);
	return -1;
}

int go_dag_from_records(go_dag *dag, const cpz_record *genome_rec, const cpz_record *dag_rec,
			cp_error *err)
{
	go_dag_init(dag);
	if (cpz_record_copy(&dag->genome_rec, genome_rec, err) < 0 ||
	    cpz_record_copy(&dag->dag_rec, dag_rec, err) < 0)
		goto fail;
	if (cpz_record_genome(&dag->genome_rec, &dag->n_genes, &dag->genes, &dag->genome_hash, err) < 0 ||
	    read_dag_record(dag, &dag->dag_rec, err) < 0 ||
	    go_dag_check(dag, dag_rec->source ? dag_rec->source : "go-dag record", err) < 0)
		goto fail;
	return 0;
fail:
	go_dag_free(dag);
	return -1;
}

int go_dag_check(const go_dag *dag, const char *what, cp_error *err)
{
	size_t T = dag->n_terms, words;
	int32_t *need = NULL;
	uint64_t *bits = NULL;
	cp_strmap *ids = NULL;
	int rc = -1;

	if (T == 0)
		return cp_error_set(err, "%s: the DAG has no terms", what);
	if (dag->root != (int32_t)T - 1)
		return cp_error_set(err, "%s: the root is term %d, not the last (%zu)", what, dag->root,
				    T - 1);
	if (dag->ns[dag->root] != GO_ROOT_NAMESPACE)
		return cp_error_set(err, "%s: the root's namespace is not 'root'", what);
	if (dag->stratum_ptr[0] != 0 || dag->stratum_ptr[dag->n_strata] != (int64_t)T)
		return cp_error_set(err, "%s: stratum.ptr does not span the terms", what);
	for (size_t s = 0; s < dag->n_strata; s++) {
		if (dag->stratum_ptr[s + 1] <= dag->stratum_ptr[s])
			return cp_error_set(err, "%s: stratum %zu is empty", what, s);
		for (int64_t t = dag->stratum_ptr[s]; t < dag->stratum_ptr[s + 1]; t++)
			if (dag->stratum[t] != (int32_t)s)
				return cp_error_set(err, "%s: field 'term.stratum': term %s has stratum %d but "
						    "sits in stratum %zu", what, dag->term_id[t], dag->stratum[t], s);
	}
	need = calloc(T, sizeof *need);
	words = (dag->n_genes + 63) / 64;
	bits = calloc(T * (words ? words : 1), sizeof *bits);
	ids = cp_strmap_new(0, err);
	if (!need || !bits || !ids) {
		if (need && bits)
			cp_error_set(err, "out of memory");
		goto out;
	}
	for (size_t t = 0; t < T; t++) {
		int64_t b = dag->parent_ptr[t], e = dag->parent_ptr[t + 1];

		if (dag->ns[t] >= GO_NAMESPACE_COUNT ||
		    (dag->ns[t] == GO_ROOT_NAMESPACE) != (t == (size_t)dag->root)) {
			cp_error_set(err, "%s: field 'term.namespace': term %s has an invalid namespace", what,
				     dag->term_id[t]);
			goto out;
		}
		if (!dag->term_id[t][0]) {
			cp_error_set(err, "%s: field 'term.id': term %zu has an empty id", what, t);
			goto out;
		}
		int dup = cp_strmap_put(ids, dag->term_id[t], (int64_t)t, NULL, err);

		if (dup < 0)
			goto out;
		if (dup) {
			cp_error_set(err, "%s: term id %s appears twice", what, dag->term_id[t]);
			goto out;
		}
		if ((t == (size_t)dag->root) != (b == e)) {
			cp_error_set(err, "%s: term %s %s", what, dag->term_id[t],
				     b == e ? "has no parent but is not the root" : "is the root but has parents");
			goto out;
		}
		for (int64_t k = b; k < e; k++) {
			int32_t p = dag->parent[k];

			if (p < 0 || (size_t)p >= T) {
				cp_error_set(err, "%s: field 'parent.idx': term %s has parent %d, out of range", what,
					     dag->term_id[t], p);
				goto out;
			}
			if (dag->parent_rel[k] >= GO_RELATION_COUNT) {
				cp_error_set(err, "%s: field 'parent.relation': term %s: invalid relation %u", what,
					     dag->term_id[t], dag->parent_rel[k]);
				goto out;
			}
			for (int64_t j = b; j < k; j++)
				if (dag->parent[j] == p) {
					cp_error_set(err, "%s: term %s has parent %s twice", what,
						     dag->term_id[t], dag->term_id[p]);
					goto out;
				}
			if (dag->stratum[p] <= dag->stratum[t]) {
				cp_error_set(err, "%s: parent %s (stratum %d) is not above child %s "
					     "(stratum %d)", what, dag->term_id[p], dag->stratum[p],
					     dag->term_id[t], dag->stratum[t]);
				goto out;
			}
			if (need[p] < dag->stratum[t] + 1)
				need[p] = dag->stratum[t] + 1;
		}
		for (int64_t k = dag->gene_ptr[t]; k < dag->gene_ptr[t + 1]; k++) {
			int32_t g = dag->gene[k];

			if (g < 0 || (size_t)g >= dag->n_genes) {
				cp_error_set(err, "%s: field 'gene.idx': term %s: gene index %d out of range", what,
					     dag->term_id[t], g);
				goto out;
			}
			if (k > dag->gene_ptr[t] && dag->gene[k - 1] >= g) {
				cp_error_set(err, "%s: term %s: genes not sorted and unique", what,
					     dag->term_id[t]);
				goto out;
			}
			if (dag->evidence[k] >= dag->n_evidence_codes) {
				cp_error_set(err, "%s: field 'gene.evidence': term %s: evidence index %u out of "
					     "range", what, dag->term_id[t], dag->evidence[k]);
				goto out;
			}
			bits[t * words + (size_t)g / 64] |= 1ULL << (g % 64);
		}
	}
	/* children precede parents: push each term's gene set up one level */
	for (size_t t = 0; t < T; t++) {
		size_t count = 0;

		if (dag->stratum[t] != need[t]) {
			cp_error_set(err, "%s: field 'term.stratum': term %s has stratum %d, but 1 + its children's largest is %d",
				     what, dag->term_id[t], dag->stratum[t], need[t]);
			goto out;
		}
		for (size_t w = 0; w < words; w++)
			count += (size_t)__builtin_popcountll(bits[t * words + w]);
		if ((size_t)dag->n_contained[t] != count) {
			cp_error_set(err, "%s: field 'term.contained': term %s contains %zu genes, not %d as stored", what,
				     dag->term_id[t], count, dag->n_contained[t]);
			goto out;
		}
		for (int64_t k = dag->parent_ptr[t]; k < dag->parent_ptr[t + 1]; k++) {
			uint64_t *dst = bits + (size_t)dag->parent[k] * words, *src = bits + t * words;

			for (size_t w = 0; w < words; w++)
				dst[w] |= src[w];
		}
	}
	rc = 0;
out:
	free(need);
	free(bits);
	cp_strmap_free(ids);
	return rc;
}

int go_dag_children(go_dag *dag, int64_t **child_ptr, int32_t **child, cp_error *err)
{
	size_t T = dag->n_terms;
	int64_t E = dag->parent_ptr[T];
	int64_t *ptr = cp_arena_alloc(&dag->arena, (T + 1) * sizeof *ptr, err);
	int32_t *idx = cp_arena_alloc(&dag->arena, (size_t)E * sizeof *idx, err);
	int64_t *fill;

	if (!ptr || !idx)
		return -1;
	memset(ptr, 0, (T + 1) * sizeof *ptr);
	for (int64_t k = 0; k < E; k++)
		ptr[dag->parent[k] + 1]++;
	for (size_t t = 0; t < T; t++)
		ptr[t + 1] += ptr[t];
	fill = malloc((T + 1) * sizeof *fill);
	if (!fill)
		return cp_error_set(err, "out of memory");
	memcpy(fill, ptr, (T + 1) * sizeof *fill);
	for (size_t c = 0; c < T; c++)
		for (int64_t k = dag->parent_ptr[c]; k < dag->parent_ptr[c + 1]; k++)
			idx[fill[dag->parent[k]]++] = (int32_t)c;
	free(fill);
	*child_ptr = ptr;
	*child = idx;
	return 0;
}

int32_t go_dag_find(const go_dag *dag, const char *id)
{
	for (size_t t = 0; t < dag->n_terms; t++)
		if (strcmp(dag->term_id[t], id) == 0)
			return (int32_t)t;
	return -1;
}

typedef struct {
	int32_t stratum;
	const char *id;
	int32_t old;
} subtree_key;

static int cmp_subtree(const void *a, const void *b)
{
	const subtree_key *x = a, *y = b;

	if (x->stratum != y->stratum)
		return x->stratum < y->stratum ? -1 : 1;
	return strcmp(x->id, y->id);
}

int go_dag_subtree(const go_dag *src, const char *term_id, go_dag *out, cp_error *err)
{
	size_t T = src->n_terms, nk = 0;
	int32_t top = go_dag_find(src, term_id), *newi = NULL, *stratum = NULL;
	uint8_t *keep = NULL;
	subtree_key *keys = NULL;
	int64_t E = 0, A = 0;
	cp_arena *a;

	go_dag_init(out);
	a = &out->arena;
	if (top < 0)
		return cp_error_set(err, "no term %s in the DAG", term_id);
	keep = cp_calloc(T, 1, err);
	newi = cp_malloc(T, sizeof *newi, err);
	stratum = cp_calloc(T, sizeof *stratum, err);
	keys = cp_malloc(T, sizeof *keys, err);
	if (!keep || !newi || !stratum || !keys)
		goto fail;
	/* descendants: terms come children first, so walk down from top by
	 * scanning terms in reverse and keeping those with a kept parent */
	keep[top] = 1;
	for (size_t t = (size_t)top; t-- > 0;)
		for (int64_t k = src->parent_ptr[t]; k < src->parent_ptr[t + 1]; k++)
			if (keep[src->parent[k]]) {
				keep[t] = 1;
				break;
			}
	/* new strata from the kept children only */
	for (size_t t = 0; t <= (size_t)top; t++) {
		if (!keep[t] || t == (size_t)top)
			continue;
		for (int64_t k = src->parent_ptr[t]; k < src->parent_ptr[t + 1]; k++)
			if (keep[src->parent[k]] && stratum[src->parent[k]] < stratum[t] + 1)
				stratum[src->parent[k]] = stratum[t] + 1;
	}
	for (size_t t = 0; t < T; t++)
		if (keep[t]) {
			keys[nk].stratum = t == (size_t)top ? INT32_MAX : stratum[t];
			keys[nk].id = src->term_id[t];
			keys[nk++].old = (int32_t)t;
		}
	cp_sort(keys, nk, sizeof *keys, cmp_subtree);
	for (size_t i = 0; i < nk; i++)
		newi[keys[i].old] = (int32_t)i;
	for (size_t i = 0; i < nk; i++) {
		int32_t o = keys[i].old;

		for (int64_t k = src->parent_ptr[o]; k < src->parent_ptr[o + 1]; k++)
			if (o != top && keep[src->parent[k]])
				E++;
		A += src->gene_ptr[o + 1] - src->gene_ptr[o];
	}
	out->n_genes = src->n_genes;
	out->genes = src->genes;
	out->genome_hash = src->genome_hash;
	out->n_terms = nk;
	{
		const char **ids = cp_arena_alloc(a, nk * sizeof *ids, err);
		const char **names = cp_arena_alloc(a, nk * sizeof *names, err);
		const char **genes = cp_arena_alloc(a, (src->n_genes ? src->n_genes : 1) * sizeof *genes,
						    err);
		const char **codes = cp_arena_alloc(a, (src->n_evidence_codes + 1) * sizeof *codes, err);

		if (!ids || !names || !genes || !codes)
			goto fail;
		for (size_t g = 0; g < src->n_genes; g++)
			if (!(genes[g] = cp_arena_strndup(a, src->genes[g], strlen(src->genes[g]), err)))
				goto fail;
		for (size_t c = 0; c < src->n_evidence_codes; c++)
			if (!(codes[c] = cp_arena_strndup(a, src->evidence_codes[c],
							  strlen(src->evidence_codes[c]), err)))
				goto fail;
		for (size_t i = 0; i < nk; i++) {
			int32_t o = keys[i].old;

			if (!(ids[i] = cp_arena_strndup(a, src->term_id[o], strlen(src->term_id[o]), err)) ||
			    !(names[i] = cp_arena_strndup(a, src->term_name[o], strlen(src->term_name[o]), err)))
				goto fail;
		}
		out->term_id = ids;
		out->term_name = names;
		out->genes = genes;
		out->evidence_codes = codes;
		out->n_evidence_codes = src->n_evidence_codes;
	}
	out->ns = cp_arena_alloc(a, nk, err);
	out->stratum = cp_arena_alloc(a, nk * sizeof *out->stratum, err);
	out->n_contained = cp_arena_alloc(a, nk * sizeof *out->n_contained, err);
	out->parent_ptr = cp_arena_alloc(a, (nk + 1) * sizeof *out->parent_ptr, err);
	out->parent = cp_arena_alloc(a, (size_t)(E ? E : 1) * sizeof *out->parent, err);
	out->parent_rel = cp_arena_alloc(a, (size_t)(E ? E : 1), err);
	out->gene_ptr = cp_arena_alloc(a, (nk + 1) * sizeof *out->gene_ptr, err);
	out->gene = cp_arena_alloc(a, (size_t)(A ? A : 1) * sizeof *out->gene, err);
	out->evidence = cp_arena_alloc(a, (size_t)(A ? A : 1), err);
	out->date = cp_arena_alloc(a, (size_t)(A ? A : 1) * sizeof *out->date, err);
	if (!out->ns || !out->stratum || !out->n_contained || !out->parent_ptr || !out->parent ||
	    !out->parent_rel || !out->gene_ptr || !out->gene || !out->evidence || !out->date)
		goto fail;
	out->parent_ptr[0] = out->gene_ptr[0] = 0;
	for (size_t i = 0; i < nk; i++) {
		int32_t o = keys[i].old;
		int64_t pp = out->parent_ptr[i], gp = out->gene_ptr[i];

		out->ns[i] = o == top ? GO_ROOT_NAMESPACE : src->ns[o];
		out->stratum[i] = o == top ? stratum[top] : stratum[o];
		out->n_contained[i] = src->n_contained[o];
		if (o != top)
			for (int64_t k = src->parent_ptr[o]; k < src->parent_ptr[o + 1]; k++)
				if (keep[src->parent[k]]) {
					out->parent[pp] = newi[src->parent[k]];
					out->parent_rel[pp++] = src->parent_rel[k];
				}
		/* parents in ascending order, as a built DAG has them */
		for (int64_t x = out->parent_ptr[i] + 1; x < pp; x++)
			for (int64_t y = x; y > out->parent_ptr[i] && out->parent[y - 1] > out->parent[y]; y--) {
				int32_t tp = out->parent[y];
				uint8_t tr = out->parent_rel[y];

				out->parent[y] = out->parent[y - 1], out->parent_rel[y] = out->parent_rel[y - 1];
				out->parent[y - 1] = tp, out->parent_rel[y - 1] = tr;
			}
		out->parent_ptr[i + 1] = pp;
		for (int64_t k = src->gene_ptr[o]; k < src->gene_ptr[o + 1]; k++) {
			out->gene[gp] = src->gene[k];
			out->evidence[gp] = src->evidence[k];
			out->date[gp++] = src->date[k];
		}
		out->gene_ptr[i + 1] = gp;
	}
	out->root = (int32_t)nk - 1;
	out->n_strata = (size_t)stratum[top] + 1;
	out->stratum_ptr = cp_arena_alloc(a, (out->n_strata + 1) * sizeof *out->stratum_ptr, err);
	if (!out->stratum_ptr)
		goto fail;
	memset(out->stratum_ptr, 0, (out->n_strata + 1) * sizeof *out->stratum_ptr);
	for (size_t i = 0; i < nk; i++)
		out->stratum_ptr[out->stratum[i] + 1]++;
	for (size_t st = 0; st < out->n_strata; st++)
		out->stratum_ptr[st + 1] += out->stratum_ptr[st];
	if (nk < 2) {
		cp_error_set(err, "term %s has no descendants", term_id);
		goto fail;
	}
	free(keep), free(newi), free(stratum), free(keys);
	return go_dag_check(out, term_id, err);
fail:
	free(keep), free(newi), free(stratum), free(keys);
	go_dag_free(out);
	return -1;
}
