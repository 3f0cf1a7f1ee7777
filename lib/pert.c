/* pert.c - chunks of experiments and their perturbations. */
#define _GNU_SOURCE
#include "pert.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batches.h"

const char *const pert_label_names[PERT_N_LABELS] = {
	"fitness", "fitness_std", "gene_interaction", "gene_interaction_p_value"
};
const char *const pert_split_names[PERT_N_SPLITS] = { "train", "val", "test" };

void pert_go_hash(size_t n_terms, const char *const *term_id, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, cpz_genome_hash(n_terms, term_id));
}

static int valid_relation_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

int pert_context_to_record(const pert_context *ctx, cpz_record *rec, cp_error *err)
{
	char name[128];

	if (cpz_record_add_strings(rec, "label_names", PERT_N_LABELS, pert_label_names, err) < 0 ||
	    cpz_record_add_strings(rec, "relations", ctx->n_relations, ctx->relation, err) < 0)
		return -1;
	for (size_t i = 0; i < ctx->n_relations; i++) {
		if (!valid_relation_name(ctx->relation[i]))
			return cp_error_set(err, "invalid relation name '%s'", ctx->relation[i]);
		snprintf(name, sizeof name, "relation.%s.edges", ctx->relation[i]);
		if (cpz_record_add_int(rec, name, ctx->relation_edges[i], err) < 0)
			return -1;
	}
	if (cpz_record_add_int(rec, "reactions", ctx->n_reactions, err) < 0 ||
	    cpz_record_add_int(rec, "go.terms", ctx->n_terms, err) < 0 ||
	    cpz_record_add_str(rec, "go.hash", ctx->go_hash, err) < 0 ||
	    cpz_record_add_int(rec, "chunk_size", ctx->chunk_size, err) < 0)
		return -1;
	return 0;
}

int pert_context_from_record(const cpz_record *rec, pert_context *ctx, cp_error *err)
{
	const char *const *labels, *const *rels;
	const char *hash;
	size_t n;
	char name[128];

	if (strcmp(rec->type, "context") != 0)
		return cpz_record_error(rec, NULL, err, "expected the context record");
	labels = cpz_record_strings(rec, "label_names", &n, err);
	if (!labels)
		return -1;
	if (n != PERT_N_LABELS)
		return cpz_record_error(rec, "label_names", err, "%zu labels, expected %d", n,
					PERT_N_LABELS);
	for (size_t i = 0; i < n; i++)
		if (strcmp(labels[i], pert_label_names[i]) != 0)
			return cpz_record_error(rec, "label_names", err, "label %zu is '%s', expected '%s'",
						i, labels[i], pert_label_names[i]);
	rels = cpz_record_strings(rec, "relations", &n, err);
	if (!rels)
		return -1;
	if (n > PERT_MAX_RELATIONS)
		return cpz_record_error(rec, "relations", err, "%zu relations (at most %d)", n,
					PERT_MAX_RELATIONS);
	ctx->n_relations = n;
	for (size_t i = 0; i < n; i++) {
		if (!valid_relation_name(rels[i]))
			return cpz_record_error(rec, "relations", err, "invalid name '%s'", rels[i]);
		ctx->relation[i] = rels[i];
		snprintf(name, sizeof name, "relation.%s.edges", rels[i]);
		if (cpz_record_int(rec, name, &ctx->relation_edges[i], err) < 0)
			return -1;
		if (ctx->relation_edges[i] < 0 || ctx->relation_edges[i] > INT32_MAX)
			return cpz_record_error(rec, name, err, "invalid edge count");
	}
	if (cpz_record_int(rec, "reactions", &ctx->n_reactions, err) < 0 ||
	    cpz_record_int(rec, "go.terms", &ctx->n_terms, err) < 0 ||
	    cpz_record_int(rec, "chunk_size", &ctx->chunk_size, err) < 0)
		return -1;
	if (ctx->n_reactions < -1 || ctx->n_reactions > INT32_MAX)
		return cpz_record_error(rec, "reactions", err, "invalid count");
	if (ctx->n_terms < -1 || ctx->n_terms > INT32_MAX)
		return cpz_record_error(rec, "go.terms", err, "invalid count");
	hash = cpz_record_str(rec, "go.hash", err);
	if (!hash)
		return -1;
	if (strlen(hash) > 16)
		return cpz_record_error(rec, "go.hash", err, "not a hash");
	snprintf(ctx->go_hash, sizeof ctx->go_hash, "%s", hash);
	return 0;
}

static int add_csr(cpz_record *rec, const char *base, size_t n, const int64_t *ptr,
		   const int32_t *idx, cp_error *err)
{
	char name[160];
	int64_t n1 = (int64_t)n + 1, total = ptr[n];

	snprintf(name, sizeof name, "%s.ptr", base);
	if (cpz_record_add_tensor(rec, name, CPZ_I64, 1, &n1, ptr, err) < 0)
		return -1;
	snprintf(name, sizeof name, "%s.idx", base);
	return cpz_record_add_tensor(rec, name, CPZ_I32, 1, &total, idx, err);
}

int pert_batch_to_record(const pert_context *ctx, const pert_batch *b, cpz_record *rec,
			 cp_error *err)
{
	int64_t lshape[2] = { (int64_t)b->n, PERT_N_LABELS }, n = (int64_t)b->n;
	char base[128];

	if (cpz_record_add_strings(rec, "id", b->n, b->id, err) < 0 ||
	    cpz_record_add_strings(rec, "source", b->n, b->source, err) < 0 ||
	    cpz_record_add_strings(rec, "environment", b->n, b->environment, err) < 0 ||
	    add_csr(rec, "gene", b->n, b->gene_ptr, b->gene, err) < 0 ||
	    cpz_record_add_tensor(rec, "label", CPZ_F32, 2, lshape, b->label, err) < 0)
		return -1;
	for (size_t r = 0; r < ctx->n_relations; r++) {
		snprintf(base, sizeof base, "edge.%s", ctx->relation[r]);
		if (add_csr(rec, base, b->n, b->edge_ptr[r], b->edge[r], err) < 0)
			return -1;
	}
	if (ctx->n_reactions >= 0 && add_csr(rec, "reaction", b->n, b->reaction_ptr, b->reaction, err) < 0)
		return -1;
	if (ctx->n_terms >= 0 && add_csr(rec, "term", b->n, b->term_ptr, b->term, err) < 0)
		return -1;
	if (b->index && b->split >= 0) {
		if (cpz_record_add_tensor(rec, "index", CPZ_I64, 1, &n, b->index, err) < 0 ||
		    cpz_record_add_int(rec, "split", b->split, err) < 0)
			return -1;
	}
	return 0;
}

/* A CSR list of n rows, entries in [0, limit), strictly increasing per row. */
static int read_csr(const cpz_record *rec, const char *base, size_t n, int64_t limit,
		    const char *what, const int64_t **ptr_out, const int32_t **idx_out, cp_error *err)
{
	char pname[160], iname[160];
	const cpz_tensor *pt, *it;
	const int64_t *ptr;
	const int32_t *idx;

	snprintf(pname, sizeof pname, "%s.ptr", base);
	snprintf(iname, sizeof iname, "%s.idx", base);
	pt = cpz_record_tensor(rec, pname, CPZ_I64, 1, err);
	if (!pt || cpz_record_check_dim(rec, pname, pt, 0, (int64_t)n + 1, err) < 0)
		return -1;
	it = cpz_record_tensor(rec, iname, CPZ_I32, 1, err);
	if (!it)
		return -1;
	ptr = pt->data;
	idx = it->data;
	if (ptr[0] != 0)
		return cpz_record_error(rec, pname, err, "does not start at 0");
	for (size_t i = 0; i < n; i++) {
		if (ptr[i + 1] < ptr[i] || ptr[i + 1] > it->shape[0])
			return cpz_record_error(rec, pname, err, "invalid at experiment %zu", i);
		for (int64_t k = ptr[i]; k < ptr[i + 1]; k++) {
			if (idx[k] < 0 || idx[k] >= limit)
				return cpz_record_error(rec, iname, err, "experiment %zu: %s %d out of range "
							"[0, %" PRId64 ")", i, what, idx[k], limit);
			if (k > ptr[i] && idx[k] <= idx[k - 1])
				return cpz_record_error(rec, iname, err, "experiment %zu: %ss not sorted "
							"and unique", i, what);
		}
	}
	if (ptr[n] != it->shape[0])
		return cpz_record_error(rec, pname, err, "ends at %" PRId64 " but %s has %" PRId64,
					ptr[n], iname, it->shape[0]);
	*ptr_out = ptr;
	*idx_out = idx;
	return 0;
}

static const char *const *read_strings(const cpz_record *rec, const char *name, size_t n,
				       cp_error *err)
{
	size_t got;
	const char *const *s = cpz_record_strings(rec, name, &got, err);

	if (s && got != n) {
		cpz_record_error(rec, name, err, "%zu entries for %zu experiments (the rows of label)", got, n);
		return NULL;
	}
	return s;
}

int pert_batch_from_record(const pert_context *ctx, const cpz_record *rec, pert_batch *b,
			   cp_error *err)
{
	const cpz_tensor *t;
	size_t n;
	char base[128];

	memset(b, 0, sizeof *b);
	b->split = -1;
	/* the experiments: the rows of label, which every field must match */
	t = cpz_record_tensor(rec, "label", CPZ_F32, 2, err);
	if (!t)
		return -1;
	b->n = n = (size_t)t->shape[0];
	if (!(b->id = read_strings(rec, "id", n, err)) || !(b->source = read_strings(rec, "source", n, err)) ||
	    !(b->environment = read_strings(rec, "environment", n, err)))
		return -1;
	if (read_csr(rec, "gene", n, (int64_t)ctx->n_genes, "gene", &b->gene_ptr, &b->gene, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)	/* an experiment deletes one gene or more */
		if (b->gene_ptr[i + 1] == b->gene_ptr[i])
			return cpz_record_error(rec, "gene.ptr", err, "experiment %zu deletes no gene", i);
	t = cpz_record_tensor(rec, "label", CPZ_F32, 2, err);
	if (!t || cpz_record_check_dim(rec, "label", t, 0, (int64_t)n, err) < 0 ||
	    cpz_record_check_dim(rec, "label", t, 1, PERT_N_LABELS, err) < 0)
		return -1;
	b->label = t->data;
	for (size_t i = 0; i < n * PERT_N_LABELS; i++)	/* NaN marks a missing label */
		if (isinf(b->label[i]))
			return cpz_record_error(rec, "label", err, "experiment %zu: %s is %g, not a value",
						i / PERT_N_LABELS, pert_label_names[i % PERT_N_LABELS],
						(double)b->label[i]);
	for (size_t r = 0; r < ctx->n_relations; r++) {
		snprintf(base, sizeof base, "edge.%s", ctx->relation[r]);
		if (read_csr(rec, base, n, ctx->relation_edges[r], "edge", &b->edge_ptr[r], &b->edge[r],
			     err) < 0)
			return -1;
	}
	if (ctx->n_reactions >= 0 &&
	    read_csr(rec, "reaction", n, ctx->n_reactions, "reaction", &b->reaction_ptr,
		     &b->reaction, err) < 0)
		return -1;
	if (ctx->n_terms >= 0 &&
	    read_csr(rec, "term", n, ctx->n_terms, "term", &b->term_ptr, &b->term, err) < 0)
		return -1;
	/* a batch names its experiments and its split; a samples chunk may not */
	if (strcmp(rec->type, "batch") == 0 || cpz_record_field(rec, "index")) {
		int64_t split;

		t = cpz_record_tensor(rec, "index", CPZ_I64, 1, err);
		if (!t || cpz_record_check_dim(rec, "index", t, 0, (int64_t)n, err) < 0)
			return -1;
		b->index = t->data;
		for (size_t i = 0; i < n; i++)
			if (b->index[i] < 0)
				return cpz_record_error(rec, "index", err, "negative at %zu", i);
		if (cpz_record_int(rec, "split", &split, err) < 0)
			return -1;
		if (split < 0 || split >= PERT_N_SPLITS)
			return cpz_record_error(rec, "split", err, "%" PRId64 " is not 0, 1 or 2", split);
		b->split = (int)split;
	}
	return 0;
}

/* ---- builder ------------------------------------------------------------- */

typedef struct {
	int64_t *ptr;
	int32_t *idx;
	size_t len, cap;	/* idx entries */
} csr_buf;

struct pert_builder {
	pert_context ctx;
	size_t n, cap;
	cp_arena strings;
	const char **id, **source, **environment;
	float *label;
	int64_t *index;
	csr_buf gene, edge[PERT_MAX_RELATIONS], reaction, term;
	int32_t *scratch;
	size_t scratch_cap;
};

static int csr_reserve_rows(csr_buf *c, size_t rows, cp_error *err)
{
	int64_t *p = cp_realloc(c->ptr, rows + 1, sizeof *p, err);

	if (!p)
		return -1;
	c->ptr = p;
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* Append row `row` of a CSR from an unsorted list: sorted, duplicates
 * removed (or refused when unique_required).  A list already strictly
 * ascending (what readers and batch-pack pass on) is copied as it is. */
static int csr_append(pert_builder *b, csr_buf *c, size_t row, const int32_t *v, size_t n,
		      int unique_required, const char *what, cp_error *err)
{
	const int32_t *src = v;
	size_t kept = n, i;

	for (i = 1; i < n && v[i] > v[i - 1]; i++)
		;
	if (i < n) {
		if (n > b->scratch_cap) {
			int32_t *s = cp_realloc(b->scratch, n, sizeof *s, err);

			if (!s)
				return -1;
			b->scratch = s;
			b->scratch_cap = n;
		}
		memcpy(b->scratch, v, n * sizeof *v);
		cp_sort(b->scratch, n, sizeof *b->scratch, cmp_i32);
		kept = 0;
		for (i = 0; i < n; i++) {
			if (kept && b->scratch[i] == b->scratch[kept - 1]) {
				if (unique_required)
					return cp_error_set(err, "%s %d listed twice", what, b->scratch[i]);
				continue;
			}
			b->scratch[kept++] = b->scratch[i];
		}
		src = b->scratch;
	}
	if (c->len + kept > c->cap) {
		size_t cap = c->cap ? c->cap : 256;
		int32_t *p;

		while (cap < c->len + kept)
			cap *= 2;
		p = cp_realloc(c->idx, cap, sizeof *p, err);
		if (!p)
			return -1;
		c->idx = p;
		c->cap = cap;
	}
	if (kept)
		memcpy(c->idx + c->len, src, kept * sizeof *c->idx);
	c->len += kept;
	c->ptr[row + 1] = (int64_t)c->len;
	return 0;
}

pert_builder *pert_builder_new(const pert_context *ctx, cp_error *err)
{
	pert_builder *b = calloc(1, sizeof *b);

	if (!b) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	b->ctx = *ctx;
	cp_arena_init(&b->strings);
	return b;
}

static void csr_free(csr_buf *c)
{
	free(c->ptr);
	free(c->idx);
}

void pert_builder_free(pert_builder *b)
{
	if (!b)
		return;
	cp_arena_free(&b->strings);
	free(b->id);
	free(b->source);
	free(b->environment);
	free(b->label);
	free(b->index);
	csr_free(&b->gene);
	for (int r = 0; r < PERT_MAX_RELATIONS; r++)
		csr_free(&b->edge[r]);
	csr_free(&b->reaction);
	csr_free(&b->term);
	free(b->scratch);
	free(b);
}

static int builder_grow(pert_builder *b, cp_error *err)
{
	size_t cap = b->cap ? b->cap * 2 : 1024;
	void *p;

#define GROW(field, size)                                  \
	do {                                               \
		p = cp_realloc(b->field, cap, size, err);  \
		if (!p)                                    \
			return -1;                         \
		b->field = p;                              \
	} while (0)
	GROW(id, sizeof *b->id);
	GROW(source, sizeof *b->source);
	GROW(environment, sizeof *b->environment);
	GROW(label, PERT_N_LABELS * sizeof *b->label);
	GROW(index, sizeof *b->index);
#undef GROW
	if (csr_reserve_rows(&b->gene, cap, err) < 0 || csr_reserve_rows(&b->reaction, cap, err) < 0 ||
	    csr_reserve_rows(&b->term, cap, err) < 0)
		return -1;
	for (size_t r = 0; r < b->ctx.n_relations; r++)
		if (csr_reserve_rows(&b->edge[r], cap, err) < 0)
			return -1;
	b->cap = cap;
	return 0;
}

static const char *keep_string(pert_builder *b, const char *s, cp_error *err)
{
	if (!s || !*s)
		return "";
	return cp_arena_strndup(&b->strings, s, strlen(s), err);
}

int pert_builder_add(pert_builder *b, const pert_experiment *e, cp_error *err)
{
	size_t i = b->n;

	if (b->n == b->cap && builder_grow(b, err) < 0)
		return -1;
	for (size_t k = 0; k < e->n_genes; k++)
		if (e->genes[k] < 0 || (size_t)e->genes[k] >= b->ctx.n_genes)
			return cp_error_set(err, "gene index %d out of range", e->genes[k]);
	if (!(b->id[i] = keep_string(b, e->id, err)) ||
	    !(b->source[i] = keep_string(b, e->source, err)) ||
	    !(b->environment[i] = keep_string(b, e->environment, err)))
		return -1;
	if (i == 0) {
		b->gene.ptr[0] = b->reaction.ptr[0] = b->term.ptr[0] = 0;
		for (size_t r = 0; r < b->ctx.n_relations; r++)
			b->edge[r].ptr[0] = 0;
	}
	if (csr_append(b, &b->gene, i, e->genes, e->n_genes, 1, "deleted gene", err) < 0)
		return -1;
	for (size_t r = 0; r < b->ctx.n_relations; r++)
		if (csr_append(b, &b->edge[r], i, e->edges[r], e->n_edges[r], 0, "edge", err) < 0)
			return -1;
	if (b->ctx.n_reactions >= 0 &&
	    csr_append(b, &b->reaction, i, e->reactions, e->n_reactions, 0, "reaction", err) < 0)
		return -1;
	if (b->ctx.n_terms >= 0 && csr_append(b, &b->term, i, e->terms, e->n_terms, 0, "term", err) < 0)
		return -1;
	memcpy(b->label + i * PERT_N_LABELS, e->label, sizeof e->label);
	b->index[i] = e->index;
	b->n++;
	return 0;
}

size_t pert_builder_count(const pert_builder *b)
{
	return b->n;
}

void pert_builder_batch(pert_builder *b, pert_batch *out)
{
	static const int64_t zero[1] = { 0 };

	memset(out, 0, sizeof *out);
	out->n = b->n;
	out->id = b->id;
	out->source = b->source;
	out->environment = b->environment;
	out->gene_ptr = b->n ? b->gene.ptr : zero;
	out->gene = b->gene.idx;
	out->label = b->label;
	for (size_t r = 0; r < b->ctx.n_relations; r++) {
		out->edge_ptr[r] = b->n ? b->edge[r].ptr : zero;
		out->edge[r] = b->edge[r].idx;
	}
	if (b->ctx.n_reactions >= 0) {
		out->reaction_ptr = b->n ? b->reaction.ptr : zero;
		out->reaction = b->reaction.idx;
	}
	if (b->ctx.n_terms >= 0) {
		out->term_ptr = b->n ? b->term.ptr : zero;
		out->term = b->term.idx;
	}
	out->index = b->index;
	out->split = -1;
}

void pert_builder_clear(pert_builder *b)
{
	b->n = 0;
	b->gene.len = b->reaction.len = b->term.len = 0;
	for (size_t r = 0; r < b->ctx.n_relations; r++)
		b->edge[r].len = 0;
	cp_arena_reset(&b->strings);
}

/* ---- reader -------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int pert_index_set_add(pert_index_set *s, int64_t v, cp_error *err)
{
	if (v == INT64_MAX) {
		int had = s->has_max;

		s->has_max = 1;
		return !had;
	}
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		int64_t *slot = cp_calloc(cap, sizeof *slot, err);

		if (!slot)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t j = (size_t)mix64((uint64_t)s->slot[i]) & (cap - 1);

				while (slot[j])
					j = (j + 1) & (cap - 1);
				slot[j] = s->slot[i];
			}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	{
		int64_t key = v + 1;
		size_t j = (size_t)mix64((uint64_t)key) & (s->cap - 1);

		while (s->slot[j]) {
			if (s->slot[j] == key)
				return 0;
			j = (j + 1) & (s->cap - 1);
		}
		s->slot[j] = key;
		s->n++;
	}
	return 1;
}

void pert_index_set_free(pert_index_set *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
	s->has_max = 0;
}

struct pert_reader {
	cpz_reader *r;
	cpz_record genome, context, chunk;
	pert_context ctx;
	char kind[16];
	/* a batches stream: experiments per split, as its context says and as read */
	int64_t count[PERT_N_SPLITS], seen[PERT_N_SPLITS];
	int64_t input;		/* the experiments of its input: the numbers below */
	pert_index_set read;	/* the experiment numbers read, as many as read
				 * (whatever split.input says), until a bit per
				 * number below split.input takes less: then */
	uint8_t *bits;
};

/* A batch's experiment numbers, each below the input's count and read
 * once: a stream that repeats one would train on it twice and give
 * predictions that their readers refuse. */
static int check_numbers(pert_reader *r, const pert_batch *b, cp_error *err)
{
	for (size_t i = 0; i < b->n; i++) {
		int64_t x = b->index[i];
		int added;

		if (x >= r->input)
			return cpz_record_error(&r->chunk, "index", err, "experiment %" PRId64 " at %zu, "
						"but the input held %" PRId64 " (split.input)", x, i,
						r->input);
		if (r->bits) {
			added = !(r->bits[x >> 3] & (1u << (x & 7)));
			r->bits[x >> 3] |= (uint8_t)(1u << (x & 7));
		} else if ((added = pert_index_set_add(&r->read, x, err)) < 0) {
			return -1;
		} else if (r->read.cap * sizeof *r->read.slot > (size_t)(r->input >> 3)) {
			if (!(r->bits = cp_calloc((size_t)(r->input >> 3) + 1, 1, err)))
				return -1;
			for (size_t k = 0; k < r->read.cap; k++) {
				int64_t y = r->read.slot[k] - 1;	/* (slot 0: empty) */

				if (y >= 0)
					r->bits[y >> 3] |= (uint8_t)(1u << (y & 7));
			}
			pert_index_set_free(&r->read);
		}
		if (!added)
			return cpz_record_error(&r->chunk, "index", err, "experiment %" PRId64 " (%s) "
						"appears twice", x, b->id[i]);
	}
	return 0;
}

/* Read the header, genome and context of a stream opened as cr. */
static pert_reader *reader_start(cpz_reader *cr, const char *kind, cp_error *err)
{
	pert_reader *pr = calloc(1, sizeof *pr);
	const char *k, *name = cpz_reader_name(cr);
	int rc;

	if (!pr) {
		cpz_reader_close(cr);
		cp_error_set(err, "out of memory");
		return NULL;
	}
	cpz_record_init(&pr->genome);
	cpz_record_init(&pr->context);
	cpz_record_init(&pr->chunk);
	pr->r = cr;
	k = cpz_reader_header(pr->r)->kind;
	if (kind) {
		if (cpz_reader_expect_kind(pr->r, kind, err) < 0)
			goto fail;
	} else if (strcmp(k, "samples") != 0 && strcmp(k, "batches") != 0) {
		cp_error_set(err, "%s: expected a samples or batches stream, found %s", name, k);
		goto fail;
	}
	snprintf(pr->kind, sizeof pr->kind, "%s", k);
	rc = cpz_reader_next(pr->r, &pr->genome, err);
	if (rc == 0)
		cp_error_set(err, "%s: no genome record", name);
	if (rc <= 0)
		goto fail;
	if (cpz_record_genome(&pr->genome, &pr->ctx.n_genes, &pr->ctx.genes, &pr->ctx.genome_hash,
			      err) < 0)
		goto fail;
	rc = cpz_reader_next(pr->r, &pr->context, err);
	if (rc == 0)
		cp_error_set(err, "%s: no context record", name);
	if (rc <= 0)
		goto fail;
	if (pert_context_from_record(&pr->context, &pr->ctx, err) < 0)
		goto fail;
	if (strcmp(k, "batches") == 0) {	/* its standardization must be one that can be undone */
		batches_info info;

		if (batches_info_from_record(&pr->context, &info, err) < 0)
			goto fail;
		memcpy(pr->count, info.count, sizeof pr->count);
		pr->input = info.input;
	}
	return pr;
fail:
	pert_reader_close(pr);
	return NULL;
}

pert_reader *pert_reader_open(const char *path, const char *kind, cp_error *err)
{
	cpz_reader *cr = cpz_reader_open(path, err);

	return cr ? reader_start(cr, kind, err) : NULL;
}

pert_reader *pert_reader_open_fd(int fd, const char *name, const char *kind, cp_error *err)
{
	cpz_reader *cr = cpz_reader_open_fd(fd, name, err);

	return cr ? reader_start(cr, kind, err) : NULL;
}

const cpz_record *pert_reader_genome_record(const pert_reader *r)
{
	return &r->genome;
}

const pert_context *pert_reader_context(const pert_reader *r)
{
	return &r->ctx;
}

const cpz_record *pert_reader_context_record(const pert_reader *r)
{
	return &r->context;
}

const char *pert_reader_kind(const pert_reader *r)
{
	return r->kind;
}

/* The field in which context b differs from a, or NULL. */
static const char *context_differs(const pert_context *a, const pert_context *b)
{
	if (a->n_relations != b->n_relations)
		return "relations";
	for (size_t i = 0; i < a->n_relations; i++)
		if (strcmp(a->relation[i], b->relation[i]) != 0)
			return "relations";
		else if (a->relation_edges[i] != b->relation_edges[i])
			return "relation";
	if (a->n_reactions != b->n_reactions)
		return "reactions";
	if (a->n_terms != b->n_terms || strcmp(a->go_hash, b->go_hash) != 0)
		return "go";
	return NULL;
}

/*
 * A genome record in place of a chunk: a concatenated stream's next segment.
 * Samples streams of one genome and context join into one (the segments'
 * experiments in turn); batches streams do not, each being one split with
 * its own statistics.  On success the record after the segment's context
 * is in r->chunk.
 */
static int next_segment(pert_reader *r, cp_error *err)
{
	pert_context ctx;
	const char *field;
	int rc;

	do {
		if (strcmp(r->kind, "batches") == 0)
			return cpz_record_error(&r->chunk, NULL, err, "a second batches stream follows the "
						"first (concatenated streams? pack their samples together)");
		if (cpz_reader_segment_head(r->r, &r->chunk, r->ctx.genome_hash, "context", err) < 0 ||
		    pert_context_from_record(&r->chunk, &ctx, err) < 0)
			return -1;
		if ((field = context_differs(&r->ctx, &ctx)))
			return cpz_record_error(&r->chunk, field, err, "differs from the first segment's: "
						"the segments come from other graphs or DAGs");
		rc = cpz_reader_next(r->r, &r->chunk, err);
	} while (rc == 1 && strcmp(r->chunk.type, "genome") == 0);
	return rc;
}

int pert_reader_next(pert_reader *r, pert_batch *b, cp_error *err)
{
	const char *want = strcmp(r->kind, "batches") == 0 ? "batch" : "samples";
	int rc = cpz_reader_next(r->r, &r->chunk, err);

	if (rc == 1 && strcmp(r->chunk.type, "genome") == 0)
		rc = next_segment(r, err);

	if (rc == 0 && strcmp(r->kind, "batches") == 0)
		/* at the end: the context's counts are those of the batches, for
		 * each split the stream holds (batch-pack -O writes each split to
		 * a stream of its own, with the context of all three) */
		for (int sp = 0; sp < PERT_N_SPLITS; sp++)
			if (r->seen[sp] && r->seen[sp] != r->count[sp])
				return cp_error_set(err, "%s: record 1 (context): field 'split.count': says %"
						    PRId64 " %s experiments, but the batches of that split hold %"
						    PRId64, cpz_reader_name(r->r), r->count[sp],
						    pert_split_names[sp], r->seen[sp]);
	if (rc <= 0)
		return rc;
	if (strcmp(r->chunk.type, want) != 0)
		return cpz_record_error(&r->chunk, NULL, err, "expected a %s record", want);
	if (pert_batch_from_record(&r->ctx, &r->chunk, b, err) < 0 ||
	    (b->index && strcmp(r->kind, "batches") == 0 && check_numbers(r, b, err) < 0))
		return -1;
	if (b->split >= 0 && b->split < PERT_N_SPLITS)
		r->seen[b->split] += (int64_t)b->n;
	return 1;
}

const cpz_record *pert_reader_record(const pert_reader *r)
{
	return &r->chunk;
}

uint64_t pert_reader_checksum(const pert_reader *r)
{
	return cpz_reader_stream_checksum(r->r);
}

void pert_reader_close(pert_reader *r)
{
	if (!r)
		return;
	cpz_reader_close(r->r);
	cpz_record_free(&r->genome);
	cpz_record_free(&r->context);
	cpz_record_free(&r->chunk);
	pert_index_set_free(&r->read);
	free(r->bits);
	free(r);
}
