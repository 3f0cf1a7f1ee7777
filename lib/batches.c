/* batches.c - splits, standardized labels and fixed-size batches. */
#define _GNU_SOURCE
#include "batches.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const batches_standardize_names[STANDARDIZE_COUNT] = { "none", "zscore", "robust" };

int batches_standardize_parse(const char *name, batches_standardize *out)
{
	for (int m = 0; m < STANDARDIZE_COUNT; m++)
		if (strcmp(name, batches_standardize_names[m]) == 0) {
			*out = (batches_standardize)m;
			return 0;
		}
	return -1;
}

/* ---- the context fields ------------------------------------------------------- */

int batches_info_to_record(const batches_info *info, cpz_record *rec, cp_error *err)
{
	int64_t four = PERT_N_LABELS, three = PERT_N_SPLITS, grid[2] = { PERT_N_SPLITS, PERT_N_LABELS };

	if (cpz_record_add_str(rec, "standardize", batches_standardize_names[info->standardize],
			       err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "label.center", CPZ_F64, 1, &four, info->center, err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "label.scale", CPZ_F64, 1, &four, info->scale, err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "label.nan", CPZ_I64, 2, grid, info->nan, err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "label.present", CPZ_I64, 2, grid, info->present, err) < 0 ||
	    cpz_record_add_str(rec, "split.method", split_method_names[info->split.method], err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "split.fractions", CPZ_F64, 1, &three,
				       info->split.fractions, err) < 0 ||
	    cpz_record_add_int(rec, "split.seed", (int64_t)info->split.seed, err) < 0 ||
	    cpz_record_add_tensor_copy(rec, "split.count", CPZ_I64, 1, &three, info->count, err) < 0 ||
	    cpz_record_add_int(rec, "split.dropped", info->dropped, err) < 0 ||
	    cpz_record_add_int(rec, "split.input", info->input, err) < 0 ||
	    cpz_record_add_int(rec, "batch_size", info->batch_size, err) < 0 ||
	    cpz_record_add_int(rec, "shuffle", info->shuffle, err) < 0)
		return -1;
	return 0;
}

/* Copy a tensor field of the given shape into out. */
static int read_tensor(const cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
		       const int64_t *shape, void *out, cp_error *err)
{
	const cpz_tensor *t = cpz_record_tensor(rec, name, dtype, ndim, err);

	if (!t)
		return -1;
	for (int d = 0; d < ndim; d++)
		if (cpz_record_check_dim(rec, name, t, d, shape[d], err) < 0)
			return -1;
	memcpy(out, t->data, t->nbytes);
	return 0;
}

int batches_info_from_record(const cpz_record *rec, batches_info *info, cp_error *err)
{
	int64_t four = PERT_N_LABELS, three = PERT_N_SPLITS, grid[2] = { PERT_N_SPLITS, PERT_N_LABELS };
	int64_t seed;
	const char *s;
	int m;

	memset(info, 0, sizeof *info);
	if (!(s = cpz_record_str(rec, "standardize", err)))
		return -1;
	if (batches_standardize_parse(s, &info->standardize) < 0)
		return cpz_record_error(rec, "standardize", err, "unknown method '%s'", s);
	if (!(s = cpz_record_str(rec, "split.method", err)))
		return -1;
	if (split_method_parse(s, &info->split.method) < 0)
		return cpz_record_error(rec, "split.method", err, "unknown method '%s'", s);
	if (read_tensor(rec, "label.center", CPZ_F64, 1, &four, info->center, err) < 0 ||
	    read_tensor(rec, "label.scale", CPZ_F64, 1, &four, info->scale, err) < 0 ||
	    read_tensor(rec, "label.nan", CPZ_I64, 2, grid, info->nan, err) < 0 ||
	    read_tensor(rec, "label.present", CPZ_I64, 2, grid, info->present, err) < 0 ||
	    read_tensor(rec, "split.fractions", CPZ_F64, 1, &three, info->split.fractions, err) < 0 ||
	    read_tensor(rec, "split.count", CPZ_I64, 1, &three, info->count, err) < 0 ||
	    cpz_record_int(rec, "split.seed", &seed, err) < 0 ||
	    cpz_record_int(rec, "split.dropped", &info->dropped, err) < 0 ||
	    cpz_record_int(rec, "split.input", &info->input, err) < 0 ||
	    cpz_record_int(rec, "batch_size", &info->batch_size, err) < 0 ||
	    cpz_record_int(rec, "shuffle", &info->shuffle, err) < 0)
		return -1;
	info->split.seed = (uint64_t)seed;
	for (m = 0; m < PERT_N_LABELS; m++)
		if (!isfinite(info->center[m]) || !isfinite(info->scale[m]) || info->scale[m] <= 0)
			return cpz_record_error(rec, isfinite(info->center[m]) ? "label.scale" : "label.center",
						err, "label %d: center %g, scale %g cannot be undone", m,
						info->center[m], info->scale[m]);
	if (info->batch_size < 1)
		return cpz_record_error(rec, "batch_size", err, "%" PRId64 " is not positive",
					info->batch_size);
	/* the counts add up: each split's experiments have a label or not,
	 * and the splits and the dropped make the input */
	if (info->dropped < 0 || info->dropped > INT64_MAX / 4)
		return cpz_record_error(rec, "split.dropped", err, "%" PRId64 " experiments", info->dropped);
	{
		int64_t total = info->dropped;

		for (int sp = 0; sp < PERT_N_SPLITS; sp++) {
			if (info->count[sp] < 0 || info->count[sp] > INT64_MAX / 4)
				return cpz_record_error(rec, "split.count", err, "%s: %" PRId64 " experiments",
							pert_split_names[sp], info->count[sp]);
			total += info->count[sp];
			for (m = 0; m < PERT_N_LABELS; m++)
				if (info->nan[sp][m] < 0 || info->nan[sp][m] > info->count[sp] ||
				    info->present[sp][m] != info->count[sp] - info->nan[sp][m])
					return cpz_record_error(rec, "label.present", err,
								"%s, %s: %" PRId64 " present and %" PRId64
								" missing for %" PRId64 " experiments",
								pert_split_names[sp], pert_label_names[m],
								info->present[sp][m], info->nan[sp][m], info->count[sp]);
		}
		if (total != info->input)
			return cpz_record_error(rec, "split.input", err, "%" PRId64 " experiments, but the "
						"splits hold %" PRId64 " and %" PRId64 " were dropped",
						info->input, total - info->dropped, info->dropped);
	}
	return 0;
}

double batches_standardize_label(const batches_info *info, int label, double x)
{
	return (x - info->center[label]) / info->scale[label];
}

double batches_restore_label(const batches_info *info, int label, double z)
{
	return z * info->scale[label] + info->center[label];
}

/* ---- experiments of a chunk ------------------------------------------------------ */

/* Experiment i of chunk b as a pert_experiment (borrowing b's arrays). */
static void experiment_at(const pert_context *ctx, const pert_batch *b, size_t i, pert_experiment *e)
{
	memset(e, 0, sizeof *e);
	e->id = b->id[i];
	e->source = b->source[i];
	e->environment = b->environment[i];
	e->genes = b->gene + b->gene_ptr[i];
	e->n_genes = (size_t)(b->gene_ptr[i + 1] - b->gene_ptr[i]);
	memcpy(e->label, b->label + i * PERT_N_LABELS, sizeof e->label);
	for (size_t r = 0; r < ctx->n_relations; r++) {
		e->edges[r] = b->edge[r] + b->edge_ptr[r][i];
		e->n_edges[r] = (size_t)(b->edge_ptr[r][i + 1] - b->edge_ptr[r][i]);
	}
	if (b->reaction_ptr) {
		e->reactions = b->reaction + b->reaction_ptr[i];
		e->n_reactions = (size_t)(b->reaction_ptr[i + 1] - b->reaction_ptr[i]);
	}
	if (b->term_ptr) {
		e->terms = b->term + b->term_ptr[i];
		e->n_terms = (size_t)(b->term_ptr[i + 1] - b->term_ptr[i]);
	}
}

/* Gene names of an experiment, in strcmp order, and its split. */
typedef struct assigner {
	const char **names, **scratch;
	size_t cap;
} assigner;

static int assign(assigner *a, const split_spec *s, const pert_context *ctx, const pert_experiment *e,
		  cp_error *err)
{
	if (e->n_genes > a->cap) {
		size_t cap = e->n_genes * 2;
		const char **n = cp_realloc(a->names, cap, sizeof *n, err);

		if (!n)
			return -2;
		a->names = n;
		n = cp_realloc(a->scratch, cap, sizeof *n, err);
		if (!n)
			return -2;
		a->scratch = n;
		a->cap = cap;
	}
	for (size_t i = 0; i < e->n_genes; i++) {
		const char *g = ctx->genes[e->genes[i]];
		size_t j = i;

		for (; j > 0 && strcmp(a->names[j - 1], g) > 0; j--)
			a->names[j] = a->names[j - 1];
		a->names[j] = g;
	}
	return split_assign(s, e->n_genes, a->names, a->scratch);
}

static void assigner_free(assigner *a)
{
	free(a->names);
	free(a->scratch);
}

/* ---- pass 1 ------------------------------------------------------------------ */

typedef struct label_values {
	float *v;
	size_t n, cap;
} label_values;

static int values_add(label_values *lv, float x, cp_error *err)
{
	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? 2 * lv->cap : 4096;
		float *v = cp_realloc(lv->v, cap, sizeof *v, err);

		if (!v)
			return -1;
		lv->v = v;
		lv->cap = cap;
	}
	lv->v[lv->n++] = x;
	return 0;
}

static int compare_floats(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static double median(float *v, size_t n)
{
	cp_sort(v, n, sizeof *v, compare_floats);
	return n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + (double)v[n / 2]);
}

/* Median and 1.4826 x MAD (the normal-consistent scale). */
static void robust_stats(label_values *lv, double *center, double *scale)
{
	double med = median(lv->v, lv->n);

	for (size_t i = 0; i < lv->n; i++)
		lv->v[i] = fabsf(lv->v[i] - (float)med);
	*center = med;
	*scale = 1.4826 * median(lv->v, lv->n);
}

typedef struct welford {
	size_t n;
	double mean, m2;
} welford;

static void welford_add(welford *w, double x)
{
	double d = x - w->mean;

	w->n++;
	w->mean += d / (double)w->n;
	w->m2 += d * (x - w->mean);
}

int batch_pack_scan(pert_reader *in, const batch_pack_options *o, batches_info *info,
		    cp_error *err)
{
	static const int scaled[2] = { PERT_FITNESS, PERT_GENE_INTERACTION };
	const pert_context *ctx = pert_reader_context(in);
	welford w[PERT_N_LABELS] = { 0 };
	label_values lv[PERT_N_LABELS] = { 0 };
	assigner a = { 0 };
	pert_batch b;
	int rc;

	memset(info, 0, sizeof *info);
	info->split = o->split;
	info->batch_size = o->batch_size;
	info->shuffle = (int64_t)o->shuffle;
	info->standardize = o->standardize;
	while ((rc = pert_reader_next(in, &b, err)) == 1) {
		for (size_t i = 0; i < b.n; i++, info->input++) {
			pert_experiment e;
			int s;

			experiment_at(ctx, &b, i, &e);
			s = assign(&a, &o->split, ctx, &e, err);
			if (s == -2)
				goto fail;
			if (s == SPLIT_DROPPED) {
				info->dropped++;
				continue;
			}
			info->count[s]++;
			for (int k = 0; k < PERT_N_LABELS; k++) {
				int nan = isnan(e.label[k]);

				info->nan[s][k] += nan;
				info->present[s][k] += !nan;
				if (nan || s != PERT_TRAIN)
					continue;
				welford_add(&w[k], e.label[k]);
				if (o->standardize == STANDARDIZE_ROBUST &&
				    (k == PERT_FITNESS || k == PERT_GENE_INTERACTION) &&
				    values_add(&lv[k], e.label[k], err) < 0)
					goto fail;
			}
			if (o->progress && (info->input & 0xffff) == 0)
				o->progress(o->progress_ctx, 1, info->input);
		}
	}
	if (rc < 0)
		goto fail;
	for (int k = 0; k < PERT_N_LABELS; k++) {
		info->center[k] = 0;
		info->scale[k] = 1;
	}
	if (o->standardize != STANDARDIZE_NONE)
		for (int j = 0; j < 2; j++) {
			int k = scaled[j];
			double center = w[k].n ? w[k].mean : 0, scale = 1;

			if (w[k].n >= 2 && o->standardize == STANDARDIZE_ZSCORE)
				scale = sqrt(w[k].m2 / (double)(w[k].n - 1));
			else if (w[k].n >= 2)
				robust_stats(&lv[k], &center, &scale);
			info->center[k] = center;
			info->scale[k] = isfinite(scale) && scale > 0 ? scale : 1;
		}
	info->scale[PERT_FITNESS_STD] = info->scale[PERT_FITNESS];
	rc = 0;
	goto out;
fail:
	rc = -1;
out:
	for (int k = 0; k < PERT_N_LABELS; k++)
		free(lv[k].v);
	assigner_free(&a);
	return rc;
}

/* ---- pass 2 ------------------------------------------------------------------- */

/* An experiment copied out of its chunk, for the shuffle window. */
typedef struct slot {
	char *text;		/* id, source, environment, each NUL-terminated */
	size_t text_cap;
	int32_t *ints;		/* genes, edges of each relation, reactions, terms */
	size_t ints_cap;
	pert_experiment e;	/* counts, labels and index; pointers set on use */
} slot;

typedef struct window {
	slot *slots;
	size_t n, cap;
	uint64_t rng;
} window;

static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int grow(void **p, size_t *cap, size_t need, size_t size, cp_error *err)
{
	void *q;

	if (need <= *cap)
		return 0;
	q = cp_realloc(*p, need, size, err);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

static int slot_fill(slot *s, size_t n_relations, const pert_experiment *e, cp_error *err)
{
	size_t lens[3] = { strlen(e->id), strlen(e->source), strlen(e->environment) };
	size_t n = e->n_genes + e->n_reactions + e->n_terms, at = 0;

	for (size_t r = 0; r < n_relations; r++)
		n += e->n_edges[r];
	if (grow((void **)&s->text, &s->text_cap, lens[0] + lens[1] + lens[2] + 3, 1, err) < 0 ||
	    grow((void **)&s->ints, &s->ints_cap, n ? n : 1, sizeof *s->ints, err) < 0)
		return -1;
	memcpy(s->text, e->id, lens[0] + 1);
	memcpy(s->text + lens[0] + 1, e->source, lens[1] + 1);
	memcpy(s->text + lens[0] + lens[1] + 2, e->environment, lens[2] + 1);
	s->e = *e;
#define KEEP(ptr, count)                                                  \
	do {                                                              \
		if (count)                                                \
			memcpy(s->ints + at, ptr, (count) * sizeof(int32_t)); \
		at += (count);                                            \
	} while (0)
	KEEP(e->genes, e->n_genes);
	for (size_t r = 0; r < n_relations; r++)
		KEEP(e->edges[r], e->n_edges[r]);
	KEEP(e->reactions, e->n_reactions);
	KEEP(e->terms, e->n_terms);
#undef KEEP
	return 0;
}

/* The slot as an experiment, pointing into its storage. */
static void slot_view(slot *s, size_t n_relations, pert_experiment *e)
{
	size_t at = 0;

	*e = s->e;
	e->id = s->text;
	e->source = s->text + strlen(s->text) + 1;
	e->environment = e->source + strlen(e->source) + 1;
	e->genes = s->ints + at;
	at += e->n_genes;
	for (size_t r = 0; r < n_relations; r++) {
		e->edges[r] = s->ints + at;
		at += e->n_edges[r];
	}
	e->reactions = s->ints + at;
	at += e->n_reactions;
	e->terms = s->ints + at;
}

typedef struct packer {
	const batch_pack_options *o;
	const pert_context *ctx;
	pert_context out_ctx;
	pert_builder *builder[PERT_N_SPLITS];
	window win[PERT_N_SPLITS];
	cpz_writer *const *out;
	cpz_record rec;
	int64_t *batches;
} packer;

static int flush(packer *p, int split, cp_error *err)
{
	pert_batch b;

	pert_builder_batch(p->builder[split], &b);
	b.split = split;
	if (cpz_record_reset(&p->rec, "batch", err) < 0 ||
	    pert_batch_to_record(&p->out_ctx, &b, &p->rec, err) < 0 ||
	    cpz_writer_write(p->out[split], &p->rec, err) < 0)
		return -1;
	pert_builder_clear(p->builder[split]);
	p->batches[split]++;
	return 0;
}

static int emit(packer *p, int split, const pert_experiment *e, cp_error *err)
{
	if (pert_builder_add(p->builder[split], e, err) < 0)
		return cp_error_prefix(err, "experiment %" PRId64, e->index);
	if ((int64_t)pert_builder_count(p->builder[split]) == p->o->batch_size)
		return flush(p, split, err);
	return 0;
}

/* Into the window; when full, a random experiment of it goes out first. */
static int window_push(packer *p, int split, const pert_experiment *e, cp_error *err)
{
	window *w = &p->win[split];
	size_t nrel = p->ctx->n_relations;

	if (w->n < p->o->shuffle) {
		if (w->n == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 256;

			if (cap > p->o->shuffle)
				cap = p->o->shuffle;
			if (grow((void **)&w->slots, &w->cap, cap, sizeof *w->slots, err) < 0)
				return -1;
			memset(w->slots + w->n, 0, (w->cap - w->n) * sizeof *w->slots);
		}
		return slot_fill(&w->slots[w->n++], nrel, e, err);
	}
	{
		size_t j = (size_t)(next_random(&w->rng) % w->n);
		pert_experiment out;

		slot_view(&w->slots[j], nrel, &out);
		if (emit(p, split, &out, err) < 0)
			return -1;
		return slot_fill(&w->slots[j], nrel, e, err);
	}
}

static int window_drain(packer *p, int split, cp_error *err)
{
	window *w = &p->win[split];

	while (w->n) {
		size_t j = (size_t)(next_random(&w->rng) % w->n);
		pert_experiment out;
		slot t;

		slot_view(&w->slots[j], p->ctx->n_relations, &out);
		if (emit(p, split, &out, err) < 0)
			return -1;
		t = w->slots[j];
		w->slots[j] = w->slots[w->n - 1];
		w->slots[w->n - 1] = t;
		w->n--;
	}
	return 0;
}

/* Add every field of src to dst, borrowing its data. */
static int copy_fields(const cpz_record *src, cpz_record *dst, cp_error *err)
{
	for (size_t i = 0; i < src->nfields; i++) {
		const cpz_field *f = &src->fields[i];
		int rc;

		switch (f->kind) {
		case CPZ_VALUE_TENSOR:
			rc = cpz_record_add_tensor(dst, f->name, f->tensor.dtype, f->tensor.ndim,
						   f->tensor.shape, f->tensor.data, err);
			break;
		case CPZ_VALUE_STRINGS:
			rc = cpz_record_add_strings(dst, f->name, f->nstrings, f->strings, err);
			break;
		case CPZ_VALUE_INT: rc = cpz_record_add_int(dst, f->name, f->i, err); break;
		case CPZ_VALUE_FLOAT: rc = cpz_record_add_float(dst, f->name, f->f, err); break;
		case CPZ_VALUE_STR: rc = cpz_record_add_str(dst, f->name, f->s, err); break;
		default: rc = cpz_record_add_bool(dst, f->name, f->b, err); break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Genome and context records to each distinct writer. */
static int write_heads(packer *p, pert_reader *in, const batches_info *info, cp_error *err)
{
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		if ((s > 0 && p->out[s] == p->out[0]) || (s > 1 && p->out[s] == p->out[1]))
			continue;
		if (cpz_record_reset(&p->rec, "genome", err) < 0 ||
		    copy_fields(pert_reader_genome_record(in), &p->rec, err) < 0 ||
		    cpz_writer_write(p->out[s], &p->rec, err) < 0 ||
		    cpz_record_reset(&p->rec, "context", err) < 0 ||
		    pert_context_to_record(&p->out_ctx, &p->rec, err) < 0 ||
		    batches_info_to_record(info, &p->rec, err) < 0 ||
		    cpz_writer_write(p->out[s], &p->rec, err) < 0)
			return -1;
	}
	return 0;
}

int batch_pack_write(pert_reader *in, const batch_pack_options *o, const batches_info *info,
		     cpz_writer *const out[PERT_N_SPLITS], int64_t batches[PERT_N_SPLITS],
		     cp_error *err)
{
	packer p = { .o = o, .ctx = pert_reader_context(in), .out = out, .batches = batches };
	assigner a = { 0 };
	int64_t index = 0;
	pert_batch b;
	int rc = -1;

	cpz_record_init(&p.rec);
	p.out_ctx = *p.ctx;
	p.out_ctx.chunk_size = o->batch_size;
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		batches[s] = 0;
		p.win[s].rng = cp_hash64_bytes("shuffle", 7, o->split.seed) + (uint64_t)s;
		if (!(p.builder[s] = pert_builder_new(&p.out_ctx, err)))
			goto out;
	}
	if (write_heads(&p, in, info, err) < 0)
		goto out;
	while ((rc = pert_reader_next(in, &b, err)) == 1) {
		rc = -1;
		for (size_t i = 0; i < b.n; i++, index++) {
			pert_experiment e;
			int s;

			experiment_at(p.ctx, &b, i, &e);
			s = assign(&a, &o->split, p.ctx, &e, err);
			if (s == -2)
				goto out;
			if (s == SPLIT_DROPPED)
				continue;
			for (int k = 0; k < PERT_N_LABELS; k++) {
				double z = batches_standardize_label(info, k, e.label[k]);

				e.label[k] = (float)z;
				/* a stream holds finite numbers or NaN: a training
				 * spread near 0 can put a label beyond them */
				if (isinf(e.label[k])) {
					cpz_record_error(pert_reader_record(in), "label", err, "experiment %zu: %s "
							 "standardized (center %g, scale %g) is %g, beyond single "
							 "precision's range", i, pert_label_names[k], info->center[k],
							 info->scale[k], z);
					goto out;
				}
			}
			e.index = index;
			if ((o->shuffle ? window_push(&p, s, &e, err) : emit(&p, s, &e, err)) < 0)
				goto out;
			if (o->progress && (index & 0xffff) == 0)
				o->progress(o->progress_ctx, 2, index);
		}
	}
	if (rc < 0)
		goto out;
	rc = -1;
	if (index != info->input) {
		cp_error_set(err, "%s experiments on the second reading, %" PRId64 " on the first",
			     index < info->input ? "fewer" : "more", info->input);
		goto out;
	}
	for (int s = 0; s < PERT_N_SPLITS; s++)
		if (window_drain(&p, s, err) < 0 ||
		    (pert_builder_count(p.builder[s]) && flush(&p, s, err) < 0))
			goto out;
	rc = 0;
out:
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		pert_builder_free(p.builder[s]);
		for (size_t j = 0; j < p.win[s].cap; j++) {
			free(p.win[s].slots[j].text);
			free(p.win[s].slots[j].ints);
		}
		free(p.win[s].slots);
	}
	assigner_free(&a);
	cpz_record_free(&p.rec);
	return rc;
}
