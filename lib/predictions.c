/* predictions.c - the predictions stream. */
#define _GNU_SOURCE
#include "predictions.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int pred_meta_to_record(const pred_meta *m, cpz_record *rec, cp_error *err)
{
	/* the record borrows string lists: keep the array in its arena */
	const char **labels = cp_arena_alloc(&rec->arena, PERT_N_LABELS * sizeof *labels, err);

	if (!labels)
		return -1;
	for (int k = 0; k < m->n_outputs; k++)
		labels[k] = pert_label_names[m->label[k]];
	if (cpz_record_add_str(rec, "model", m->model, err) < 0 ||
	    cpz_record_add_str(rec, "model_producer", m->model_producer, err) < 0 ||
	    cpz_record_add_text(rec, "input", m->input, err) < 0 ||
	    cpz_record_add_str(rec, "models", m->models ? m->models : "", err) < 0 ||
	    cpz_record_add_strings(rec, "labels", (size_t)m->n_outputs, labels, err) < 0 ||
	    cpz_record_add_strings(rec, "splits", PERT_N_SPLITS, pert_split_names, err) < 0)
		return -1;
	return 0;
}

int pred_chunk_to_record(const pred_meta *m, const pred_chunk *c, cpz_record *rec, cp_error *err)
{
	int64_t n = (int64_t)c->n, n1 = n + 1, total = c->gene_ptr[c->n];
	int64_t lshape[2] = { n, PERT_N_LABELS }, pshape[2] = { n, m->n_outputs };

	if (cpz_record_add_strings(rec, "id", c->n, c->id, err) < 0 ||
	    cpz_record_add_strings(rec, "source", c->n, c->source, err) < 0 ||
	    cpz_record_add_strings(rec, "environment", c->n, c->environment, err) < 0 ||
	    cpz_record_add_tensor(rec, "gene.ptr", CPZ_I64, 1, &n1, c->gene_ptr, err) < 0 ||
	    cpz_record_add_tensor(rec, "gene.idx", CPZ_I32, 1, &total, c->gene, err) < 0 ||
	    cpz_record_add_tensor(rec, "label", CPZ_F32, 2, lshape, c->label, err) < 0 ||
	    cpz_record_add_tensor(rec, "pred", CPZ_F32, 2, pshape, c->pred, err) < 0 ||
	    cpz_record_add_tensor(rec, "index", CPZ_I64, 1, &n, c->index, err) < 0 ||
	    cpz_record_add_tensor(rec, "split", CPZ_U8, 1, &n, c->split, err) < 0 ||
	    (c->pred_sd && cpz_record_add_tensor(rec, "pred_sd", CPZ_F32, 2, pshape, c->pred_sd, err) < 0))
		return -1;
	return 0;
}

struct pred_reader {
	cpz_reader *r;
	cpz_record genome, meta, chunk;
	size_t n_genes;
	const char *const *genes;
	uint64_t genome_hash;
	pred_meta m;
	pert_index_set seen;		/* the experiments read, to find one twice */
};

/* A meta record's fields into m (borrowing its strings), checked. */
static int meta_from_record(const cpz_record *rec, pred_meta *m, cp_error *err)
{
	const char *const *labels, *const *splits;
	size_t nl, ns;

	if (strcmp(rec->type, "meta") != 0)
		return cpz_record_error(rec, NULL, err, "expected the meta record");
	m->models = "";
	if (!(m->model = cpz_record_str(rec, "model", err)) ||
	    !(m->model_producer = cpz_record_str(rec, "model_producer", err)) ||
	    !(m->input = cpz_record_str(rec, "input", err)) ||
	    (cpz_record_field(rec, "models") && !(m->models = cpz_record_str(rec, "models", err))) ||
	    !(labels = cpz_record_strings(rec, "labels", &nl, err)) ||
	    !(splits = cpz_record_strings(rec, "splits", &ns, err)))
		return -1;
	/* the names of the chunks' split numbers, as every stream has them */
	for (size_t k = 0; k < ns || k < PERT_N_SPLITS; k++)
		if (k >= ns || k >= PERT_N_SPLITS || strcmp(splits[k], pert_split_names[k]) != 0)
			return cpz_record_error(rec, "splits", err, "expected %s, %s and %s", pert_split_names[0],
						pert_split_names[1], pert_split_names[2]);
	if (nl < 1 || nl > PERT_N_LABELS)
		return cpz_record_error(rec, "labels", err, "%zu labels", nl);
	m->n_outputs = (int)nl;
	for (size_t k = 0; k < nl; k++) {
		int found = -1;

		for (int i = 0; i < PERT_N_LABELS; i++)
			if (strcmp(labels[k], pert_label_names[i]) == 0)
				found = i;
		if (found < 0)
			return cpz_record_error(rec, "labels", err, "unknown label '%s'", labels[k]);
		m->label[k] = found;
	}
	return 0;
}

pred_reader *pred_reader_open(const char *path, cp_error *err)
{
	pred_reader *pr = calloc(1, sizeof *pr);
	int rc;

	if (!pr) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	cpz_record_init(&pr->genome);
	cpz_record_init(&pr->meta);
	cpz_record_init(&pr->chunk);
	pr->r = cpz_reader_open(path, err);
	if (!pr->r || cpz_reader_expect_kind(pr->r, "predictions", err) < 0)
		goto fail;
	if ((rc = cpz_reader_next(pr->r, &pr->genome, err)) <= 0 ||
	    cpz_record_genome(&pr->genome, &pr->n_genes, &pr->genes, &pr->genome_hash, err) < 0) {
		if (rc == 0)
			cp_error_set(err, "%s: no genome record", path);
		goto fail;
	}
	if ((rc = cpz_reader_next(pr->r, &pr->meta, err)) <= 0) {
		if (rc == 0)
			cp_error_set(err, "%s: no meta record", path);
		goto fail;
	}
	if (meta_from_record(&pr->meta, &pr->m, err) < 0)
		goto fail;
	return pr;
fail:
	pred_reader_close(pr);
	return NULL;
}

/*
 * A genome record in place of a chunk: a concatenated stream's next
 * segment.  Segments of one run (the same genome, model, input and labels)
 * join into one; others are refused.  On success the record after the
 * segment's meta record is in pr->chunk.
 */
static int next_segment(pred_reader *pr, cp_error *err)
{
	pred_meta m;
	const char *field = NULL;
	int rc;

	do {
		if (cpz_reader_segment_head(pr->r, &pr->chunk, pr->genome_hash, "meta", err) < 0 ||
		    meta_from_record(&pr->chunk, &m, err) < 0)
			return -1;
		if (strcmp(m.model, pr->m.model) != 0)
			field = "model";
		else if (strcmp(m.model_producer, pr->m.model_producer) != 0)
			field = "model_producer";
		else if (strcmp(m.input, pr->m.input) != 0)
			field = "input";
		else if (strcmp(m.models, pr->m.models) != 0)
			field = "models";
		else if (m.n_outputs != pr->m.n_outputs ||
			 memcmp(m.label, pr->m.label, (size_t)m.n_outputs * sizeof *m.label) != 0)
			field = "labels";
		if (field)
			return cpz_record_error(&pr->chunk, field, err, "differs from the first segment's: "
						"another run's predictions (give each file on its own)");
		rc = cpz_reader_next(pr->r, &pr->chunk, err);
	} while (rc == 1 && strcmp(pr->chunk.type, "genome") == 0);
	return rc;
}

const pred_meta *pred_reader_meta(const pred_reader *r)
{
	return &r->m;
}

size_t pred_reader_n_genes(const pred_reader *r)
{
	return r->n_genes;
}

const char *const *pred_reader_genes(const pred_reader *r)
{
	return r->genes;
}

static const void *tensor(const cpz_record *rec, const char *name, cpz_dtype dt, int64_t d0,
			  int64_t d1, cp_error *err)
{
	const cpz_tensor *t = cpz_record_tensor(rec, name, dt, d1 >= 0 ? 2 : 1, err);

	if (!t || cpz_record_check_dim(rec, name, t, 0, d0, err) < 0 ||
	    (d1 >= 0 && cpz_record_check_dim(rec, name, t, 1, d1, err) < 0))
		return NULL;
	return t->data;
}

int pred_reader_next(pred_reader *pr, pred_chunk *c, cp_error *err)
{
	size_t n, k;
	int rc = cpz_reader_next(pr->r, &pr->chunk, err);
	const cpz_record *rec = &pr->chunk;
	const cpz_tensor *gi, *lt;

	if (rc == 1 && strcmp(rec->type, "genome") == 0)
		rc = next_segment(pr, err);
	if (rc <= 0)
		return rc;
	memset(c, 0, sizeof *c);
	if (strcmp(rec->type, "predictions") != 0)
		return cpz_record_error(rec, NULL, err, "expected a predictions record");
	/* the experiments: the rows of label, which every field must match */
	if (!(lt = cpz_record_tensor(rec, "label", CPZ_F32, 2, err)))
		return -1;
	c->n = n = (size_t)lt->shape[0];
	{
		const char *names[3] = { "id", "source", "environment" };
		const char *const **lists[3] = { &c->id, &c->source, &c->environment };

		for (int f = 0; f < 3; f++) {
			if (!(*lists[f] = cpz_record_strings(rec, names[f], &k, err)))
				return -1;
			if (k != n)
				return cpz_record_error(rec, names[f], err, "%zu entries for %zu experiments "
							"(the rows of label)", k, n);
		}
	}
	if (!(c->gene_ptr = tensor(rec, "gene.ptr", CPZ_I64, (int64_t)n + 1, -1, err)) ||
	    !(gi = cpz_record_tensor(rec, "gene.idx", CPZ_I32, 1, err)) ||
	    !(c->label = tensor(rec, "label", CPZ_F32, (int64_t)n, PERT_N_LABELS, err)) ||
	    !(c->pred = tensor(rec, "pred", CPZ_F32, (int64_t)n, pr->m.n_outputs, err)) ||
	    !(c->index = tensor(rec, "index", CPZ_I64, (int64_t)n, -1, err)) ||
	    !(c->split = tensor(rec, "split", CPZ_U8, (int64_t)n, -1, err)))
		return -1;
	c->gene = gi->data;
	/* a value is a finite number, or NaN where it is missing */
	for (size_t i = 0; i < n * PERT_N_LABELS; i++)
		if (isinf(c->label[i]))
			return cpz_record_error(rec, "label", err, "experiment %zu: %s is %g, not a value "
						"(a finite number, or NaN when missing)", i / PERT_N_LABELS,
						pert_label_names[i % PERT_N_LABELS], (double)c->label[i]);
	for (size_t i = 0; i < n * (size_t)pr->m.n_outputs; i++)
		if (isinf(c->pred[i]))
			return cpz_record_error(rec, "pred", err, "experiment %zu: %g is not a prediction "
						"(a finite number, or NaN)", i / (size_t)pr->m.n_outputs,
						(double)c->pred[i]);
	if (cpz_record_field(rec, "pred_sd")) {
		if (!(c->pred_sd = tensor(rec, "pred_sd", CPZ_F32, (int64_t)n, pr->m.n_outputs, err)))
			return -1;
		for (size_t i = 0; i < n * (size_t)pr->m.n_outputs; i++)
			if (!(c->pred_sd[i] >= 0 && !isinf(c->pred_sd[i])) &&
			    !(isnan(c->pred_sd[i]) && isnan(c->pred[i])))
				return cpz_record_error(rec, "pred_sd", err, "entry %zu is %g, not a spread (a "
							"number >= 0; NaN only where pred is)", i,
							(double)c->pred_sd[i]);
	}
	if (c->gene_ptr[0] != 0 || c->gene_ptr[n] != gi->shape[0])
		return cpz_record_error(rec, "gene.ptr", err, "does not span gene.idx");
	for (size_t i = 0; i < n; i++) {
		if (c->gene_ptr[i + 1] < c->gene_ptr[i])
			return cpz_record_error(rec, "gene.ptr", err, "decreases at %zu", i + 1);
		if (c->split[i] < -1 || c->split[i] >= PERT_N_SPLITS)
			return cpz_record_error(rec, "split", err, "invalid split %d", c->split[i]);
		if (c->index[i] < 0)
			return cpz_record_error(rec, "index", err, "negative at %zu", i);
	}
	for (int64_t i = 0; i < gi->shape[0]; i++)
		if (c->gene[i] < 0 || (size_t)c->gene[i] >= pr->n_genes)
			return cpz_record_error(rec, "gene.idx", err, "gene %d out of range", c->gene[i]);
	/* each experiment once: segments of one run that repeat one would
	 * count it twice in every metric */
	for (size_t i = 0; i < n; i++) {
		int added = pert_index_set_add(&pr->seen, c->index[i], err);

		if (added < 0)
			return -1;
		if (!added)
			return cpz_record_error(rec, "index", err, "experiment %" PRId64 " (%s) appears twice "
						"(a segment repeated?)", c->index[i], c->id[i]);
	}
	return 1;
}

void pred_reader_close(pred_reader *r)
{
	if (!r)
		return;
	cpz_reader_close(r->r);
	cpz_record_free(&r->genome);
	cpz_record_free(&r->meta);
	cpz_record_free(&r->chunk);
	pert_index_set_free(&r->seen);
	free(r);
}
