/* model.c - loading trained models and predicting with them. */
#define _GNU_SOURCE
#include "model.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_record(cpz_reader *r, cpz_record *rec, const char *want, const char *path,
		       cp_error *err)
{
	int rc = cpz_reader_next(r, rec, err);

	if (rc == 0)
		return cp_error_set(err, "%s: no %s record: not a model stream", path,
				    want ? want : "further");
	if (rc < 0)
		return -1;
	if (want && strcmp(rec->type, want) != 0)
		return cpz_record_error(rec, NULL, err, "expected a %s record", want);
	return 0;
}

static int read_labels(cp_model *m, const cpz_record *rec, const char *field, cp_error *err)
{
	const cpz_tensor *t = cpz_record_tensor(rec, field, CPZ_I32, 1, err);

	if (!t)
		return -1;
	if (t->shape[0] < 1 || t->shape[0] > PERT_N_LABELS)
		return cpz_record_error(rec, field, err, "%" PRId64 " labels", t->shape[0]);
	m->n_outputs = (int)t->shape[0];
	for (int k = 0; k < m->n_outputs; k++) {
		m->label[k] = ((const int32_t *)t->data)[k];
		if (m->label[k] < 0 || m->label[k] >= PERT_N_LABELS)
			return cpz_record_error(rec, field, err, "label %d out of range", m->label[k]);
		for (int j = 0; j < k; j++)
			if (m->label[j] == m->label[k])
				return cpz_record_error(rec, field, err, "label %d listed twice", m->label[k]);
	}
	return 0;
}

/* Per-gene values of a baseline: NaN (multiplicative) or 0 (additive)
 * where a gene has none. */
static int read_gene_values(cp_model *m, const cpz_record *rec, const char *values, double fill,
			    cp_error *err)
{
	const cpz_tensor *g = cpz_record_tensor(rec, "gene", CPZ_I32, 1, err);
	const cpz_tensor *v = cpz_record_tensor(rec, values, CPZ_F64, -1, err);
	size_t K = (size_t)m->n_outputs;
	unsigned char *seen;

	if (!g || !v)
		return -1;
	if (v->count != (size_t)g->shape[0] * K)
		return cpz_record_error(rec, values, err, "%zu values for %" PRId64 " genes and %zu labels",
					v->count, g->shape[0], K);
	if (dcell_check_values(rec, values, v, 0, err) < 0)
		return -1;
	m->gene_value = cp_malloc(m->n_genes * K, sizeof *m->gene_value, err);
	seen = cp_calloc(m->n_genes ? m->n_genes : 1, 1, err);
	if (!m->gene_value || !seen) {
		free(seen);
		return -1;
	}
	for (size_t i = 0; i < m->n_genes * K; i++)
		m->gene_value[i] = fill;
	for (int64_t i = 0; i < g->shape[0]; i++) {
		int32_t gene = ((const int32_t *)g->data)[i];

		if (gene < 0 || (size_t)gene >= m->n_genes || seen[gene]) {
			free(seen);
			return cpz_record_error(rec, "gene", err, gene < 0 || (size_t)gene >= m->n_genes
						? "gene %d out of range" : "gene %d listed twice", gene);
		}
		seen[gene] = 1;
		for (size_t k = 0; k < K; k++)
			m->gene_value[(size_t)gene * K + k] = ((const double *)v->data)[(size_t)i * K + k];
	}
	free(seen);
	return 0;
}

static int read_baseline(cp_model *m, const cpz_record *rec, cp_error *err)
{
	const char *name = cpz_record_str(rec, "model", err);

	if (!name || read_labels(m, rec, "labels", err) < 0)
		return -1;
	if (strcmp(name, "mean") == 0) {
		const cpz_tensor *t = cpz_record_tensor(rec, "mean", CPZ_F64, 1, err);

		if (!t || cpz_record_check_dim(rec, "mean", t, 0, m->n_outputs, err) < 0 ||
		    dcell_check_values(rec, "mean", t, 0, err) < 0)
			return -1;
		m->kind = MODEL_MEAN;
		m->name = "mean";
		memcpy(m->mean, t->data, t->nbytes);
		return 0;
	}
	if (strcmp(name, "additive") == 0) {
		const cpz_tensor *t = cpz_record_tensor(rec, "bias", CPZ_F64, 1, err);

		if (!t || cpz_record_check_dim(rec, "bias", t, 0, m->n_outputs, err) < 0 ||
		    dcell_check_values(rec, "bias", t, 0, err) < 0)
			return -1;
		m->kind = MODEL_ADDITIVE;
		m->name = "additive";
		memcpy(m->bias, t->data, t->nbytes);
		return read_gene_values(m, rec, "weight", 0.0, err);
	}
	if (strcmp(name, "multiplicative") == 0) {
		if (m->n_outputs != 1 || m->label[0] != PERT_FITNESS)	/* as fit makes it */
			return cpz_record_error(rec, "labels", err, "a multiplicative model predicts "
						"fitness alone");
		m->kind = MODEL_MULTIPLICATIVE;
		m->name = "multiplicative";
		return read_gene_values(m, rec, "fitness", NAN, err);
	}
	return cpz_record_error(rec, "model", err, "unknown model '%s'", name);
}

int model_load(cp_model *m, const char *path, cp_error *err)
{
	cpz_reader *r;
	cpz_record rec, ctx;
	int rc;

	memset(m, 0, sizeof *m);
	cpz_record_init(&m->genome);
	cpz_record_init(&m->training);
	cpz_record_init(&m->history);
	cpz_record_init(&rec);
	cpz_record_init(&ctx);
	r = cpz_reader_open(path, err);
	if (!r)
		goto fail;
	if (cpz_reader_expect_kind(r, "model", err) < 0)
		goto fail;
	snprintf(m->producer, sizeof m->producer, "%s", cpz_reader_header(r)->producer);
	if (read_record(r, &m->genome, "genome", path, err) < 0)
		goto fail;
	{
		size_t n;
		const char *const *names;

		if (cpz_record_genome(&m->genome, &n, &names, &m->genome_hash, err) < 0)
			goto fail;
		m->n_genes = n;
	}
	if (read_record(r, &rec, NULL, path, err) < 0)
		goto fail;
	if (strcmp(rec.type, "go-dag") == 0) {
		cpz_record net;

		cpz_record_init(&net);
		if (go_dag_from_records(&m->dag, &m->genome, &rec, err) < 0) {
			cpz_record_free(&net);
			goto fail;
		}
		m->have_dag = 1;
		if (read_record(r, &net, "dcell", path, err) < 0 ||
		    dcell_from_record(&m->net, &m->dag, &net, err) < 0) {
			cpz_record_free(&net);
			goto fail;
		}
		cpz_record_free(&net);
		m->have_net = 1;
		m->kind = MODEL_DCELL;
		m->name = "dcell";
		m->n_outputs = m->net.cfg.n_outputs;
		memcpy(m->label, m->net.cfg.label, sizeof m->label);
	} else if (strcmp(rec.type, "baseline") == 0) {
		if (read_baseline(m, &rec, err) < 0)
			goto fail;
	} else {
		cpz_record_error(&rec, NULL, err, "expected a go-dag or baseline record");
		goto fail;
	}
	if (read_record(r, &m->training, "training", path, err) < 0)
		goto fail;
	/* the rest: history (DCell), resume state; read to the end for the
	 * checksum.  A model stream holds one model: a further genome record
	 * starts a second, a second history is one's */
	while ((rc = cpz_reader_next(r, &rec, err)) == 1) {
		if (strcmp(rec.type, "genome") == 0 ||
		    (strcmp(rec.type, "history") == 0 && m->history.type[0])) {
			cpz_record_error(&rec, NULL, err, "a second model follows the first (concatenated streams?)");
			goto fail;
		}
		if (strcmp(rec.type, "history") == 0 && cpz_record_copy(&m->history, &rec, err) < 0)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	m->checksum = cpz_reader_stream_checksum(r);
	/* the training data's standardization, if any */
	if (cpz_record_reset(&ctx, "context", err) < 0 ||
	    cpz_record_copy_fields(&ctx, &m->training, "data.", "", err) < 0)
		goto fail;
	if (cpz_record_field(&ctx, "standardize")) {
		/* messages name the training record and its data. field */
		ctx.source = m->training.source;
		ctx.index = m->training.index;
		ctx.type = "training";
		if (batches_info_from_record(&ctx, &m->info, err) < 0) {
			char why[sizeof err->msg], *f = strstr(err->msg, "field '");

			if (f) {
				snprintf(why, sizeof why, "%.*sfield 'data.%s", (int)(f - err->msg), err->msg,
					 f + 7);
				snprintf(err->msg, sizeof err->msg, "%s", why);
			}
			goto fail;
		}
		m->standardized = m->info.standardize != STANDARDIZE_NONE;
	}
	cpz_record_free(&rec);
	cpz_record_free(&ctx);
	cpz_reader_close(r);
	return 0;
fail:
	cpz_record_free(&rec);
	cpz_record_free(&ctx);
	cpz_reader_close(r);
	model_free(m);
	return -1;
}

void model_free(cp_model *m)
{
	if (!m)
		return;
	if (m->have_net)
		dcell_free(&m->net);
	if (m->have_dag)
		go_dag_free(&m->dag);
	free(m->gene_value);
	cpz_record_free(&m->genome);
	cpz_record_free(&m->training);
	cpz_record_free(&m->history);
	memset(m, 0, sizeof *m);
}

struct model_runner {
	cp_model *m;
	cp_backend *be;
	dcell_run *run;
	dcell_sparse *sp;
	size_t max_batch;
	int cached;
	double *z;
};

model_runner *model_runner_new(cp_model *m, const char *path, const char *device, int threads,
			       size_t max_batch, size_t cache_mb, cp_error *err)
{
	model_runner *r = calloc(1, sizeof *r);

	if (!r) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	r->m = m;
	r->max_batch = max_batch ? max_batch : 1024;
	r->z = cp_malloc(r->max_batch * PERT_N_LABELS, sizeof *r->z, err);
	if (!r->z)
		goto fail;
	if (m->kind != MODEL_DCELL)
		return r;
	r->be = strcmp(device, "cpu") == 0 ? cp_backend_cpu(threads, err) : cp_backend_open(device, err);
	if (!r->be)
		goto fail;
	r->run = dcell_run_new(&m->net, r->be, r->max_batch, err);
	if (!r->run)
		goto fail;
	if (strcmp(path, "sparse") == 0) {
		cp_error ignored;

		r->sp = dcell_sparse_new(r->run, err);
		if (!r->sp)
			goto fail;
		/* the cache where it at least halves the work; too large a cache
		 * only means running without it */
		r->cached = cache_mb > 0 && dcell_sparse_cache_gain(&m->net) >= 2.0 &&
			    dcell_sparse_cache(r->sp, 1, cache_mb << 20, &ignored) == 0;
	} else if (strcmp(path, "dense") != 0) {
		cp_error_set(err, "unknown path '%s' (sparse or dense)", path);
		goto fail;
	}
	return r;
fail:
	model_runner_free(r);
	return NULL;
}

int model_runner_cached(const model_runner *r)
{
	return r->cached;
}

void model_runner_free(model_runner *r)
{
	if (!r)
		return;
	dcell_sparse_free(r->sp);
	dcell_run_free(r->run);
	cp_backend_free(r->be);
	free(r->z);
	free(r);
}

static double restore(const cp_model *m, int k, double z)
{
	if (!m->standardized || m->kind == MODEL_MULTIPLICATIVE)
		return z;
	return batches_restore_label(&m->info, m->label[k], z);
}

int model_predict(model_runner *r, const pert_context *ctx, const pert_batch *b, double *pred,
		  cp_error *err)
{
	cp_model *m = r->m;
	size_t K = (size_t)m->n_outputs;

	if (ctx->genome_hash != m->genome_hash)
		return cp_error_set(err, "the samples index another genome than the model "
				    "(hash %016" PRIx64 " vs %016" PRIx64 ")", ctx->genome_hash,
				    m->genome_hash);
	switch (m->kind) {
	case MODEL_DCELL: {
		int use_terms = b->term_ptr && ctx->n_terms == (int64_t)m->net.n_terms &&
				strcmp(ctx->go_hash, m->net.go_hash) == 0;

		for (size_t start = 0; start < b->n; start += r->max_batch) {
			size_t n = b->n - start < r->max_batch ? b->n - start : r->max_batch;
			dcell_batch db = { n, b->gene_ptr + start, b->gene,
					   use_terms ? b->term_ptr + start : NULL, b->term, NULL, start };
			int rc = r->sp ? dcell_sparse_forward(r->sp, &db, 0, NULL, r->z, err)
				       : dcell_dense_forward(r->run, &db, 0, NULL, r->z, err);

			if (rc < 0)
				return -1;
			for (size_t i = 0; i < n * K; i++)
				pred[start * K + i] = restore(m, (int)(i % K), r->z[i]);
		}
		return 0;
	}
	case MODEL_MEAN:
		for (size_t i = 0; i < b->n; i++)
			for (size_t k = 0; k < K; k++)
				pred[i * K + k] = restore(m, (int)k, m->mean[k]);
		return 0;
	case MODEL_ADDITIVE:
		for (size_t i = 0; i < b->n; i++)
			for (size_t k = 0; k < K; k++) {
				double y = m->bias[k];

				for (int64_t p = b->gene_ptr[i]; p < b->gene_ptr[i + 1]; p++)
					y += m->gene_value[(size_t)b->gene[p] * K + k];
				pred[i * K + k] = restore(m, (int)k, y);
			}
		return 0;
	case MODEL_MULTIPLICATIVE:
		for (size_t i = 0; i < b->n; i++) {
			double y = 1;

			for (int64_t p = b->gene_ptr[i]; p < b->gene_ptr[i + 1]; p++)
				y *= m->gene_value[b->gene[p]];
			pred[i] = y;
		}
		return 0;
	}
	return cp_error_set(err, "unknown model kind");
}

void model_restore_labels(const batches_info *info, const pert_batch *b, double *out)
{
	for (size_t i = 0; i < b->n; i++)
		for (int k = 0; k < PERT_N_LABELS; k++) {
			double z = b->label[i * PERT_N_LABELS + (size_t)k];

			out[i * PERT_N_LABELS + (size_t)k] =
				info && info->standardize != STANDARDIZE_NONE ? batches_restore_label(info, k, z) : z;
		}
}
