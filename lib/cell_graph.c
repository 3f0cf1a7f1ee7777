/* cell_graph.c - the cell graph: canonical relations, stream I/O, invariants. */
#define _GNU_SOURCE
#include "cell_graph.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

void cell_graph_init(cell_graph *cg)
{
	memset(cg, 0, sizeof *cg);
	genome_init(&cg->genome);
	cpz_record_init(&cg->genome_rec);
	cpz_record_init(&cg->graph_rec);
	cpz_record_init(&cg->metabolism_rec);
	for (int r = 0; r < CELL_GRAPH_MAX_RELATIONS; r++)
		cpz_record_init(&cg->relation_rec[r]);
	cp_arena_init(&cg->arena);
}

void cell_graph_free(cell_graph *cg)
{
	if (!cg)
		return;
	genome_free(&cg->genome);
	cpz_record_free(&cg->genome_rec);
	cpz_record_free(&cg->graph_rec);
	cpz_record_free(&cg->metabolism_rec);
	for (int r = 0; r < CELL_GRAPH_MAX_RELATIONS; r++)
		cpz_record_free(&cg->relation_rec[r]);
	cp_arena_free(&cg->arena);
	memset(cg, 0, sizeof *cg);
}

int cell_graph_valid_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return 0;
	return n > 0 && n <= CELL_GRAPH_MAX_NAME;
}

int cell_graph_find_relation(const cell_graph *cg, const char *name)
{
	for (size_t r = 0; r < cg->n_relations; r++)
		if (strcmp(cg->relation[r].name, name) == 0)
			return (int)r;
	return -1;
}

/* ---- building ------------------------------------------------------------ */

typedef struct {
	uint64_t key;	/* source << 32 | target */
	float weight;
} edge_key;

static int cmp_edge_key(const void *a, const void *b)
{
	uint64_t x = ((const edge_key *)a)->key, y = ((const edge_key *)b)->key;

	return (x > y) - (x < y);
}

/* The incidence lists of a canonical edge list: for each gene, the ids of
 * the edges that touch it, ascending (edges are visited in id order). */
static int build_incidence(cp_arena *arena, size_t n_genes, int64_t n_edges, const int32_t *src,
			   const int32_t *dst, int64_t **ptr_out, int32_t **idx_out, cp_error *err)
{
	size_t total, ptr_bytes, idx_bytes;
	int64_t *ptr, *fill;
	int32_t *idx;

	if (cp_mul_size((size_t)n_edges, 2, &total) < 0 ||
	    cp_mul_size(n_genes + 1, sizeof *ptr, &ptr_bytes) < 0 ||
	    cp_mul_size(total ? total : 1, sizeof *idx, &idx_bytes) < 0)
		return cp_error_set(err, "incidence lists: size overflow");
	ptr = cp_arena_alloc(arena, ptr_bytes, err);
	idx = cp_arena_alloc(arena, idx_bytes, err);
	fill = cp_calloc(n_genes + 1, sizeof *fill, err);
	if (!ptr || !idx || !fill) {
		free(fill);
		return -1;
	}
	memset(ptr, 0, ptr_bytes);
	for (int64_t e = 0; e < n_edges; e++) {
		ptr[src[e] + 1]++;
		ptr[dst[e] + 1]++;
	}
	for (size_t g = 0; g < n_genes; g++)
		ptr[g + 1] += ptr[g];
	memcpy(fill, ptr, ptr_bytes);
	for (int64_t e = 0; e < n_edges; e++) {
		idx[fill[src[e]]++] = (int32_t)e;
		idx[fill[dst[e]]++] = (int32_t)e;
	}
	free(fill);
	*ptr_out = ptr;
	*idx_out = idx;
	return 0;
}

int cell_graph_add_relation(cell_graph *cg, const char *name, int directed, size_t n,
			    const int32_t *src, const int32_t *dst, const float *weight,
			    cp_error *err)
{
	cell_relation *rel;
	edge_key *keys = NULL;
	size_t kept = 0, bytes;
	int32_t *edge_index;
	float *w = NULL;
	int64_t *ptr = NULL;
	int32_t *idx = NULL;
	char *copy;

	if (!cell_graph_valid_name(name))
		return cp_error_set(err, "relation name '%s': use letters, digits, '_' and '-' (at "
				    "most %d)", name, CELL_GRAPH_MAX_NAME);
	if (cell_graph_find_relation(cg, name) >= 0)
		return cp_error_set(err, "relation %s given twice", name);
	if (cg->n_relations == CELL_GRAPH_MAX_RELATIONS)
		return cp_error_set(err, "relation %s: at most %d relations", name,
				    CELL_GRAPH_MAX_RELATIONS);
	rel = &cg->relation[cg->n_relations];
	memset(rel, 0, sizeof *rel);
	keys = cp_malloc(n ? n : 1, sizeof *keys, err);
	if (!keys)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t a = (uint32_t)src[i], b = (uint32_t)dst[i];

		if (src[i] < 0 || dst[i] < 0 || (size_t)src[i] >= cg->genome.n ||
		    (size_t)dst[i] >= cg->genome.n) {
			free(keys);
			return cp_error_set(err, "relation %s: pair %zu: gene out of range", name, i);
		}
		if (a == b) {
			rel->self_loops++;
			continue;
		}
		if (!directed && a > b) {
			uint32_t t = a;

			a = b, b = t;
		}
		keys[kept].key = (uint64_t)a << 32 | b;
		keys[kept++].weight = weight ? weight[i] : 0.0f;
	}
	cp_sort(keys, kept, sizeof *keys, cmp_edge_key);
	{
		size_t out = 0;

		for (size_t i = 0; i < kept; i++) {
			if (out && keys[out - 1].key == keys[i].key) {
				rel->duplicates++;
				if (keys[i].weight > keys[out - 1].weight)
					keys[out - 1].weight = keys[i].weight;
				continue;
			}
			keys[out++] = keys[i];
		}
		kept = out;
	}
	if (kept == 0) {
		free(keys);
		if (n == 0)
			return cp_error_set(err, "relation %s has no edges: no gene pairs", name);
		return cp_error_set(err, "relation %s has no edges: its %zu gene pair%s %s self-loop%s",
				    name, n, n == 1 ? "" : "s", n == 1 ? "is a" : "are all",
				    n == 1 ? "" : "s");
	}
	if (kept > INT32_MAX / 2) {
		free(keys);
		return cp_error_set(err, "relation %s: %zu edges, more than edge ids can number", name,
				    kept);
	}
	if (cp_mul_size(kept, 2 * sizeof *edge_index, &bytes) < 0 ||
	    !(edge_index = cp_arena_alloc(&cg->arena, bytes, err)) ||
	    (weight && !(w = cp_arena_alloc(&cg->arena, kept * sizeof *w, err))) ||
	    !(copy = cp_arena_strndup(&cg->arena, name, strlen(name), err))) {
		free(keys);
		return -1;
	}
	for (size_t i = 0; i < kept; i++) {
		edge_index[i] = (int32_t)(keys[i].key >> 32);
		edge_index[kept + i] = (int32_t)(keys[i].key & 0xffffffffu);
		if (w)
			w[i] = keys[i].weight;
	}
	free(keys);
	if (build_incidence(&cg->arena, cg->genome.n, (int64_t)kept, edge_index, edge_index + kept,
			    &ptr, &idx, err) < 0)
		return -1;
	rel->name = copy;
	rel->directed = directed != 0;
	rel->n_edges = (int64_t)kept;
	rel->edge_index = edge_index;
	rel->weight = w;
	rel->incident_ptr = ptr;
	rel->incident = idx;
	cg->n_relations++;
	return 0;
}

/* ---- writing ------------------------------------------------------------- */

static int add_named_int(cpz_record *rec, const char *group, const char *member, int64_t v,
			 cp_error *err)
{
	char name[160];

	snprintf(name, sizeof name, "%s.%s", group, member);
	return cpz_record_add_int(rec, name, v, err);
}

static int add_named_tensor(cpz_record *rec, const char *group, const char *member,
			    cpz_dtype dtype, int ndim, const int64_t *shape, const void *data,
			    cp_error *err)
{
	char name[160];

	snprintf(name, sizeof name, "%s.%s", group, member);
	return cpz_record_add_tensor(rec, name, dtype, ndim, shape, data, err);
}

static int relation_to_record(const cell_graph *cg, const cell_relation *rel, cpz_record *rec,
			      cp_error *err)
{
	int64_t E = rel->n_edges, shape[2] = { 2, E }, G1 = (int64_t)cg->genome.n + 1, E2 = 2 * E;

	if (cpz_record_add_str(rec, "name", rel->name, err) < 0 ||
	    cpz_record_add_bool(rec, "directed", rel->directed, err) < 0 ||
	    add_named_tensor(rec, rel->name, "edge_index", CPZ_I32, 2, shape, rel->edge_index, err) < 0 ||
	    (rel->weight &&
	     add_named_tensor(rec, rel->name, "weight", CPZ_F32, 1, &E, rel->weight, err) < 0) ||
	    add_named_tensor(rec, rel->name, "incident.ptr", CPZ_I64, 1, &G1, rel->incident_ptr, err) < 0 ||
	    add_named_tensor(rec, rel->name, "incident.edge", CPZ_I32, 1, &E2, rel->incident, err) < 0 ||
	    add_named_int(rec, rel->name, "lines", rel->lines, err) < 0 ||
	    add_named_int(rec, rel->name, "unmapped", rel->unmapped, err) < 0 ||
	    add_named_int(rec, rel->name, "self_loops", rel->self_loops, err) < 0 ||
	    add_named_int(rec, rel->name, "duplicates", rel->duplicates, err) < 0)
		return -1;
	return 0;
}

static int metabolism_to_record(const cell_metabolism *m, cpz_record *rec, cp_error *err)
{
	int64_t R = (int64_t)m->n_reactions, R1 = R + 1;
	int64_t S[2] = { 2, m->n_stoichiometry }, C1 = m->n_clauses + 1;
	int64_t N = m->clause_ptr[m->n_clauses];

	if (cpz_record_add_strings(rec, "metabolite.id", m->n_metabolites, m->metabolite_id, err) < 0 ||
	    cpz_record_add_strings(rec, "metabolite.name", m->n_metabolites, m->metabolite_name, err) < 0 ||
	    cpz_record_add_strings(rec, "metabolite.compartment", m->n_metabolites,
				   m->metabolite_compartment, err) < 0 ||
	    cpz_record_add_strings(rec, "reaction.id", m->n_reactions, m->reaction_id, err) < 0 ||
	    cpz_record_add_strings(rec, "reaction.name", m->n_reactions, m->reaction_name, err) < 0 ||
	    cpz_record_add_strings(rec, "reaction.rule", m->n_reactions, m->reaction_rule, err) < 0 ||
	    cpz_record_add_tensor(rec, "reaction.lower_bound", CPZ_F64, 1, &R, m->lower_bound, err) < 0 ||
	    cpz_record_add_tensor(rec, "reaction.upper_bound", CPZ_F64, 1, &R, m->upper_bound, err) < 0 ||
	    cpz_record_add_tensor(rec, "reaction.reversible", CPZ_BOOL, 1, &R, m->reversible, err) < 0 ||
	    cpz_record_add_tensor(rec, "reaction.no_genes", CPZ_BOOL, 1, &R, m->no_genes, err) < 0 ||
	    cpz_record_add_tensor(rec, "stoichiometry.edge_index", CPZ_I32, 2, S,
				  m->stoichiometry_index, err) < 0 ||
	    cpz_record_add_tensor(rec, "stoichiometry.coefficient", CPZ_F64, 1, &S[1], m->coefficient,
				  err) < 0 ||
	    cpz_record_add_tensor(rec, "gpr.ptr", CPZ_I64, 1, &R1, m->gpr_ptr, err) < 0 ||
	    cpz_record_add_tensor(rec, "gpr.clause_ptr", CPZ_I64, 1, &C1, m->clause_ptr, err) < 0 ||
	    cpz_record_add_tensor(rec, "gpr.gene", CPZ_I32, 1, &N, m->clause_gene, err) < 0 ||
	    cpz_record_add_strings(rec, "gpr.unknown", m->n_unknown, m->unknown, err) < 0 ||
	    cpz_record_add_strings(rec, "compartment.id", m->n_compartments, m->compartment_id, err) < 0 ||
	    cpz_record_add_strings(rec, "compartment.name", m->n_compartments, m->compartment_name,
				   err) < 0)
		return -1;
	return 0;
}

int cell_graph_write(cpz_writer *w, const cell_graph *cg, cp_error *err)
{
	const char *names[CELL_GRAPH_MAX_RELATIONS];
	cpz_record rec;
	int rc = -1;

	cpz_record_init(&rec);
	for (size_t r = 0; r < cg->n_relations; r++)
		names[r] = cg->relation[r].name;
	if (cpz_record_reset(&rec, "genome", err) < 0 || genome_to_record(&cg->genome, &rec, 1, err) < 0 ||
	    cpz_writer_write(w, &rec, err) < 0)
		goto out;
	if (cpz_record_reset(&rec, "cell-graph", err) < 0 ||
	    cpz_record_add_int(&rec, "gene.num_nodes", (int64_t)cg->genome.n, err) < 0 ||
	    cpz_record_add_int(&rec, "gene.identifiers", (int64_t)cg->genome.n_aliases, err) < 0 ||
	    cpz_record_add_strings(&rec, "relations", cg->n_relations, names, err) < 0 ||
	    cpz_record_add_bool(&rec, "metabolism", cg->has_metabolism, err) < 0)
		goto out;
	if (cg->has_metabolism &&
	    (cpz_record_add_int(&rec, "metabolite.num_nodes", (int64_t)cg->metabolism.n_metabolites,
				err) < 0 ||
	     cpz_record_add_int(&rec, "reaction.num_nodes", (int64_t)cg->metabolism.n_reactions, err) < 0))
		goto out;
	if (cpz_writer_write(w, &rec, err) < 0)
		goto out;
	for (size_t r = 0; r < cg->n_relations; r++)
		if (cpz_record_reset(&rec, "relation", err) < 0 ||
		    relation_to_record(cg, &cg->relation[r], &rec, err) < 0 ||
		    cpz_writer_write(w, &rec, err) < 0)
			goto out;
	if (cg->has_metabolism &&
	    (cpz_record_reset(&rec, "metabolism", err) < 0 ||
	     metabolism_to_record(&cg->metabolism, &rec, err) < 0 || cpz_writer_write(w, &rec, err) < 0))
		goto out;
	rc = 0;
out:
	cpz_record_free(&rec);
	return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* A tensor field of dtype with ndim dimensions; dims[d] >= 0 must match. */
static const void *tensor_field(const cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
				const int64_t *dims, int64_t *last, cp_error *err)
{
	const cpz_tensor *t = cpz_record_tensor(rec, name, dtype, ndim, err);

	if (!t)
		return NULL;
	for (int d = 0; d < ndim; d++)
		if (dims[d] >= 0 && cpz_record_check_dim(rec, name, t, d, dims[d], err) < 0)
			return NULL;
	if (last)
		*last = t->shape[ndim - 1];
	return t->data;
}

static const char *const *string_field(const cpz_record *rec, const char *name, int64_t want,
				       size_t *got, cp_error *err)
{
	size_t n;
	const char *const *s = cpz_record_strings(rec, name, &n, err);

	if (!s)
		return NULL;
	if (want >= 0 && (int64_t)n != want) {
		cpz_record_error(rec, name, err, "%zu entries, expected %" PRId64, n, want);
		return NULL;
	}
	if (got)
		*got = n;
	return s;
}

static int read_relation(cell_graph *cg, const cpz_record *rec, const char *want, cell_relation *rel,
			 cp_error *err)
{
	const cpz_field *f;
	char name[160];
	int64_t any[2] = { 2, -1 }, E, dims[1];

	if (strcmp(rec->type, "relation") != 0)
		return cpz_record_error(rec, NULL, err, "expected the relation record of %s", want);
	rel->name = cpz_record_str(rec, "name", err);
	if (!rel->name)
		return -1;
	if (strcmp(rel->name, want) != 0)
		return cpz_record_error(rec, "name", err, "'%s', but the cell-graph record lists %s here",
					rel->name, want);
	f = cpz_record_field(rec, "directed");
	if (!f || f->kind != CPZ_VALUE_BOOL)
		return cpz_record_error(rec, "directed", err, "missing or not a boolean");
	rel->directed = f->b;
	snprintf(name, sizeof name, "%s.edge_index", want);
	rel->edge_index = tensor_field(rec, name, CPZ_I32, 2, any, &E, err);
	if (!rel->edge_index)
		return -1;
	rel->n_edges = E;
	snprintf(name, sizeof name, "%s.weight", want);
	dims[0] = E;
	if (cpz_record_field(rec, name) &&
	    !(rel->weight = tensor_field(rec, name, CPZ_F32, 1, dims, NULL, err)))
		return -1;
	snprintf(name, sizeof name, "%s.incident.ptr", want);
	dims[0] = (int64_t)cg->genome.n + 1;
	if (!(rel->incident_ptr = tensor_field(rec, name, CPZ_I64, 1, dims, NULL, err)))
		return -1;
	snprintf(name, sizeof name, "%s.incident.edge", want);
	dims[0] = 2 * E;
	if (!(rel->incident = tensor_field(rec, name, CPZ_I32, 1, dims, NULL, err)))
		return -1;
	{
		static const char *const stat[] = { "lines", "unmapped", "self_loops", "duplicates" };
		int64_t *dst[] = { &rel->lines, &rel->unmapped, &rel->self_loops, &rel->duplicates };

		for (int i = 0; i < 4; i++) {
			snprintf(name, sizeof name, "%s.%s", want, stat[i]);
			if (cpz_record_int(rec, name, dst[i], err) < 0)
				return -1;
		}
	}
	return 0;
}

static int read_metabolism(cell_metabolism *m, const cpz_record *rec, int64_t M, int64_t R,
			   cp_error *err)
{
	int64_t dims[2], S, C1, N;

	if (strcmp(rec->type, "metabolism") != 0)
		return cpz_record_error(rec, NULL, err, "expected the metabolism record");
	m->n_metabolites = (size_t)M;
	m->n_reactions = (size_t)R;
	if (!(m->metabolite_id = string_field(rec, "metabolite.id", M, NULL, err)) ||
	    !(m->metabolite_name = string_field(rec, "metabolite.name", M, NULL, err)) ||
	    !(m->metabolite_compartment = string_field(rec, "metabolite.compartment", M, NULL, err)) ||
	    !(m->reaction_id = string_field(rec, "reaction.id", R, NULL, err)) ||
	    !(m->reaction_name = string_field(rec, "reaction.name", R, NULL, err)) ||
	    !(m->reaction_rule = string_field(rec, "reaction.rule", R, NULL, err)) ||
	    !(m->unknown = string_field(rec, "gpr.unknown", -1, &m->n_unknown, err)) ||
	    !(m->compartment_id = string_field(rec, "compartment.id", -1, &m->n_compartments, err)) ||
	    !(m->compartment_name = string_field(rec, "compartment.name", (int64_t)m->n_compartments,
						 NULL, err)))
		return -1;
	dims[0] = R;
	if (!(m->lower_bound = tensor_field(rec, "reaction.lower_bound", CPZ_F64, 1, dims, NULL, err)) ||
	    !(m->upper_bound = tensor_field(rec, "reaction.upper_bound", CPZ_F64, 1, dims, NULL, err)) ||
	    !(m->reversible = tensor_field(rec, "reaction.reversible", CPZ_BOOL, 1, dims, NULL, err)) ||
	    !(m->no_genes = tensor_field(rec, "reaction.no_genes", CPZ_BOOL, 1, dims, NULL, err)))
		return -1;
	dims[0] = 2, dims[1] = -1;
	if (!(m->stoichiometry_index = tensor_field(rec, "stoichiometry.edge_index", CPZ_I32, 2, dims,
						    &S, err)))
		return -1;
	m->n_stoichiometry = S;
	dims[0] = S;
	if (!(m->coefficient = tensor_field(rec, "stoichiometry.coefficient", CPZ_F64, 1, dims, NULL,
					    err)))
		return -1;
	dims[0] = R + 1;
	if (!(m->gpr_ptr = tensor_field(rec, "gpr.ptr", CPZ_I64, 1, dims, NULL, err)))
		return -1;
	dims[0] = -1;
	if (!(m->clause_ptr = tensor_field(rec, "gpr.clause_ptr", CPZ_I64, 1, dims, &C1, err)) ||
	    !(m->clause_gene = tensor_field(rec, "gpr.gene", CPZ_I32, 1, dims, &N, err)))
		return -1;
	if (C1 < 1)
		return cpz_record_error(rec, "gpr.clause_ptr", err, "empty (needs at least one entry)");
	m->n_clauses = C1 - 1;
	if (m->gpr_ptr[R] != m->n_clauses)
		return cpz_record_error(rec, "gpr.ptr", err, "ends at %" PRId64 " but there are %" PRId64
					" clauses", m->gpr_ptr[R], m->n_clauses);
	if (m->clause_ptr[m->n_clauses] != N)
		return cpz_record_error(rec, "gpr.clause_ptr", err, "ends at %" PRId64 " but gpr.gene has %"
					PRId64, m->clause_ptr[m->n_clauses], N);
	return 0;
}

static int read_graph_record(cell_graph *cg, const cpz_record *rec, int64_t *M, int64_t *R,
			     cp_error *err)
{
	const char *const *names;
	const cpz_field *f;
	int64_t genes;
	size_t n;

	if (strcmp(rec->type, "cell-graph") != 0)
		return cpz_record_error(rec, NULL, err, "expected the cell-graph record");
	if (cpz_record_int(rec, "gene.num_nodes", &genes, err) < 0)
		return -1;
	if (genes != (int64_t)cg->genome.n)
		return cpz_record_error(rec, "gene.num_nodes", err, "%" PRId64 ", but the genome has %zu",
					genes, cg->genome.n);
	names = cpz_record_strings(rec, "relations", &n, err);
	if (!names)
		return -1;
	if (n > CELL_GRAPH_MAX_RELATIONS)
		return cpz_record_error(rec, "relations", err, "%zu relations (at most %d)", n,
					CELL_GRAPH_MAX_RELATIONS);
	for (size_t r = 0; r < n; r++) {
		if (!cell_graph_valid_name(names[r]))
			return cpz_record_error(rec, "relations", err, "invalid name '%s'", names[r]);
		for (size_t q = 0; q < r; q++)
			if (strcmp(names[q], names[r]) == 0)
				return cpz_record_error(rec, "relations", err, "%s listed twice", names[r]);
		cg->relation[r].name = names[r];
	}
	cg->n_relations = n;
	f = cpz_record_field(rec, "metabolism");
	if (!f || f->kind != CPZ_VALUE_BOOL)
		return cpz_record_error(rec, "metabolism", err, "missing or not a boolean");
	cg->has_metabolism = f->b;
	if (cg->has_metabolism) {
		if (cpz_record_int(rec, "metabolite.num_nodes", M, err) < 0 ||
		    cpz_record_int(rec, "reaction.num_nodes", R, err) < 0)
			return -1;
		if (*M < 0 || *M > INT32_MAX)
			return cpz_record_error(rec, "metabolite.num_nodes", err, "invalid count");
		if (*R < 0 || *R > INT32_MAX)
			return cpz_record_error(rec, "reaction.num_nodes", err, "invalid count");
	}
	return 0;
}

/* The next record, which must exist. */
static int next_record(cpz_reader *r, cpz_record *rec, const char *path, const char *what,
		       cp_error *err)
{
	int rc = cpz_reader_next(r, rec, err);

	if (rc == 0)
		cp_error_set(err, "%s: the stream ends before the %s record", path, what);
	return rc == 1 ? 0 : -1;
}

int cell_graph_read(const char *path, cell_graph *cg, cp_error *err)
{
	cpz_reader *r;
	cpz_record extra;
	int64_t M = 0, R = 0;
	int rc;

	cell_graph_init(cg);
	cpz_record_init(&extra);
	r = cpz_reader_open(path, err);
	if (!r)
		return -1;
	path = cpz_reader_name(r);	/* "<stdin>" for "-" */
	if (cpz_reader_expect_kind(r, "cell-graph", err) < 0 ||
	    next_record(r, &cg->genome_rec, path, "genome", err) < 0)
		goto fail;
	if (strcmp(cg->genome_rec.type, "genome") != 0) {
		cpz_record_error(&cg->genome_rec, NULL, err, "expected the genome record");
		goto fail;
	}
	if (genome_from_record(&cg->genome, &cg->genome_rec, err) < 0 ||
	    next_record(r, &cg->graph_rec, path, "cell-graph", err) < 0 ||
	    read_graph_record(cg, &cg->graph_rec, &M, &R, err) < 0)
		goto fail;
	for (size_t k = 0; k < cg->n_relations; k++) {
		const char *want = cg->relation[k].name;

		if (next_record(r, &cg->relation_rec[k], path, want, err) < 0 ||
		    read_relation(cg, &cg->relation_rec[k], want, &cg->relation[k], err) < 0)
			goto fail;
	}
	if (cg->has_metabolism &&
	    (next_record(r, &cg->metabolism_rec, path, "metabolism", err) < 0 ||
	     read_metabolism(&cg->metabolism, &cg->metabolism_rec, M, R, err) < 0))
		goto fail;
	rc = cpz_reader_next(r, &extra, err);
	if (rc < 0)
		goto fail;
	if (rc == 1) {
		cpz_record_error(&extra, NULL, err, "unexpected record after the cell graph");
		goto fail;
	}
	if (cell_graph_check(cg, path, err) < 0)
		goto fail;
	cpz_record_free(&extra);
	cpz_reader_close(r);
	return 0;
fail:
	cpz_record_free(&extra);
	cpz_reader_close(r);
	cell_graph_free(cg);
	return -1;
}

/* ---- invariants ---------------------------------------------------------- */

static int check_relation(const cell_graph *cg, const cell_relation *rel, const char *what,
			  cp_error *err)
{
	int64_t E = rel->n_edges, G = (int64_t)cg->genome.n;
	const int32_t *src = rel->edge_index, *dst = rel->edge_index + E;
	const int64_t *ptr = rel->incident_ptr;
	int64_t *degree;

	if (E < 1 || E > INT32_MAX / 2)
		return cp_error_set(err, "%s: field '%s.edge_index': relation %s: %" PRId64 " edges", what, rel->name, rel->name, E);
	for (int64_t e = 0; e < E; e++) {
		if (src[e] < 0 || src[e] >= G || dst[e] < 0 || dst[e] >= G)
			return cp_error_set(err, "%s: field '%s.edge_index': relation %s: edge %" PRId64 ": gene out of range",
					    what, rel->name, rel->name, e);
		if (src[e] == dst[e])
			return cp_error_set(err, "%s: field '%s.edge_index': relation %s: edge %" PRId64 " is a self-loop",
					    what, rel->name, rel->name, e);
		if (!rel->directed && src[e] > dst[e])
			return cp_error_set(err, "%s: field '%s.edge_index': relation %s: undirected edge %" PRId64
					    " has source > target", what, rel->name, rel->name, e);
		if (e && (src[e] < src[e - 1] || (src[e] == src[e - 1] && dst[e] <= dst[e - 1])))
			return cp_error_set(err, "%s: field '%s.edge_index': relation %s: edges not sorted and unique at %" PRId64,
					    what, rel->name, rel->name, e);
		if (rel->weight && !isfinite(rel->weight[e]))
			return cp_error_set(err, "%s: field '%s.weight': relation %s: weight of edge %" PRId64 " is not finite",
					    what, rel->name, rel->name, e);
	}
	if (ptr[0] != 0 || ptr[G] != 2 * E)
		return cp_error_set(err, "%s: field '%s.incident.ptr': relation %s: incidence lists do not span the edges",
				    what, rel->name, rel->name);
	degree = cp_calloc((size_t)G + 1, sizeof *degree, err);
	if (!degree)
		return -1;
	for (int64_t e = 0; e < E; e++)
		degree[src[e]]++, degree[dst[e]]++;
	/* Right length, ascending, and every entry touches its gene: then each
	 * list is exactly the set of edges touching the gene. */
	for (int64_t g = 0; g < G; g++) {
		if (ptr[g + 1] - ptr[g] != degree[g]) {
			int64_t want = degree[g];

			free(degree);
			return cp_error_set(err, "%s: field '%s.incident.ptr': relation %s: gene %s has %" PRId64
					    " incident edges listed, %" PRId64 " in the edges", what, rel->name, rel->name,
					    cg->genome.names[g], ptr[g + 1] - ptr[g], want);
		}
		for (int64_t k = ptr[g]; k < ptr[g + 1]; k++) {
			int32_t e = rel->incident[k];

			if (e < 0 || e >= E || (src[e] != g && dst[e] != g) ||
			    (k > ptr[g] && e <= rel->incident[k - 1])) {
				free(degree);
				return cp_error_set(err, "%s: field '%s.incident.edge': relation %s: incidence list of %s is wrong at "
						    "entry %" PRId64, what, rel->name, rel->name, cg->genome.names[g],
						    k - ptr[g]);
			}
		}
	}
	free(degree);
	return 0;
}

/* Every string of list unique; kind names it in the message. */
static int check_unique(const char *const *list, size_t n, const char *what, const char *kind,
			cp_error *err)
{
	cp_strmap *seen = cp_strmap_new(0, err);
	int rc = 0;

	if (!seen)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int dup = cp_strmap_put(seen, list[i], (int64_t)i, NULL, err);

		if (dup < 0)
			rc = -1;
		else if (dup)
			rc = cp_error_set(err, "%s: field '%s.id': %s id '%s' appears twice", what, kind, kind,
					  list[i]);
	}
	cp_strmap_free(seen);
	return rc;
}

static int check_csr(const int64_t *ptr, size_t n, int64_t total, const char *what,
		     const char *name, cp_error *err)
{
	if (ptr[0] != 0)
		return cp_error_set(err, "%s: %s does not start at 0", what, name);
	for (size_t i = 0; i < n; i++)
		if (ptr[i + 1] < ptr[i])
			return cp_error_set(err, "%s: %s decreases at %zu", what, name, i + 1);
	if (ptr[n] != total)
		return cp_error_set(err, "%s: %s ends at %" PRId64 ", not %" PRId64, what, name, ptr[n],
				    total);
	return 0;
}

static int check_metabolism(const cell_graph *cg, const cell_metabolism *m, const char *what,
			    cp_error *err)
{
	int64_t M = (int64_t)m->n_metabolites, R = (int64_t)m->n_reactions, S = m->n_stoichiometry;
	const int32_t *met = m->stoichiometry_index, *rxn = m->stoichiometry_index + S;

	if (check_unique(m->metabolite_id, m->n_metabolites, what, "metabolite", err) < 0 ||
	    check_unique(m->reaction_id, m->n_reactions, what, "reaction", err) < 0)
		return -1;
	for (int64_t r = 0; r < R; r++) {
		double lb = m->lower_bound[r], ub = m->upper_bound[r];

		if (isnan(lb) || isnan(ub) || lb > ub)
			return cp_error_set(err, "%s: field 'reaction.lower_bound': reaction %s: bounds [%g, %g] out of order", what,
					    m->reaction_id[r], lb, ub);
		if (m->reversible[r] != (lb < 0 && ub > 0))
			return cp_error_set(err, "%s: field 'reaction.reversible': reaction %s: reversible disagrees with bounds [%g, %g]",
					    what, m->reaction_id[r], lb, ub);
		if (m->no_genes[r] != (m->gpr_ptr[r + 1] == m->gpr_ptr[r]))
			return cp_error_set(err, "%s: field 'reaction.no_genes': reaction %s: no_genes disagrees with its %" PRId64
					    " clauses", what, m->reaction_id[r],
					    m->gpr_ptr[r + 1] - m->gpr_ptr[r]);
	}
	for (int64_t k = 0; k < S; k++) {
		if (met[k] < 0 || met[k] >= M || rxn[k] < 0 || rxn[k] >= R)
			return cp_error_set(err, "%s: field 'stoichiometry.edge_index': stoichiometry entry %" PRId64 " out of range", what, k);
		if (k && (rxn[k] < rxn[k - 1] || (rxn[k] == rxn[k - 1] && met[k] <= met[k - 1])))
			return cp_error_set(err, "%s: field 'stoichiometry.edge_index': stoichiometry not sorted and unique at entry %" PRId64,
					    what, k);
		if (!isfinite(m->coefficient[k]) || m->coefficient[k] == 0)
			return cp_error_set(err, "%s: field 'stoichiometry.coefficient': reaction %s: coefficient of %s is %g", what,
					    m->reaction_id[rxn[k]], m->metabolite_id[met[k]],
					    m->coefficient[k]);
	}
	if (check_csr(m->gpr_ptr, m->n_reactions, m->n_clauses, what, "gpr.ptr", err) < 0 ||
	    check_csr(m->clause_ptr, (size_t)m->n_clauses, m->clause_ptr[m->n_clauses], what,
		      "gpr.clause_ptr", err) < 0)
		return -1;
	for (int64_t c = 0; c < m->n_clauses; c++)
		for (int64_t k = m->clause_ptr[c]; k < m->clause_ptr[c + 1]; k++) {
			int32_t g = m->clause_gene[k];

			if (g < 0 || (size_t)g >= cg->genome.n)
				return cp_error_set(err, "%s: field 'gpr.gene': clause %" PRId64 ": gene %d out of range", what, c,
						    g);
			if (k > m->clause_ptr[c] && g <= m->clause_gene[k - 1])
				return cp_error_set(err, "%s: field 'gpr.gene': clause %" PRId64 ": genes not sorted and unique",
						    what, c);
		}
	return 0;
}

/* What a message names: the record a part came from, when it was read. */
static const char *record_where(const char *what, const cpz_record *rec, const char *type, char *buf,
				size_t n)
{
	if (rec->index < 0 || strcmp(rec->type, type) != 0)
		return what;
	snprintf(buf, n, "%s: record %" PRId64 " (%s)", what, rec->index, type);
	return buf;
}

int cell_graph_check(const cell_graph *cg, const char *what, cp_error *err)
{
	char where[4200];

	for (size_t r = 0; r < cg->n_relations; r++) {
		if (!cell_graph_valid_name(cg->relation[r].name))
			return cp_error_set(err, "%s: invalid relation name '%s'", what, cg->relation[r].name);
		for (size_t q = 0; q < r; q++)
			if (strcmp(cg->relation[q].name, cg->relation[r].name) == 0)
				return cp_error_set(err, "%s: relation %s appears twice", what,
						    cg->relation[r].name);
		if (check_relation(cg, &cg->relation[r], record_where(what, &cg->relation_rec[r], "relation",
									  where, sizeof where), err) < 0)
			return -1;
	}
	if (cg->has_metabolism &&
	    check_metabolism(cg, &cg->metabolism, record_where(what, &cg->metabolism_rec, "metabolism",
								where, sizeof where), err) < 0)
		return -1;
	return 0;
}
