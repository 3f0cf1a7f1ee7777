/* baselines.c - mean, additive (per-gene ridge) and multiplicative models. */
#define _GNU_SOURCE
#include "baselines.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batches.h"
#include "loader.h"
#include "pert.h"

/* LAPACK, as OpenBLAS provides it: Cholesky solve of a symmetric positive
 * definite system. */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
		   double *b, const int *ldb, int *info);
extern void openblas_set_num_threads(int threads);

static int write_model(const baseline_options *o, const cpz_record *genome,
		       const cpz_record *baseline, const cpz_record *data_ctx, const char *producer,
		       const char *command, cp_error *err)
{
	cpz_writer *w = cpz_writer_open(o->out_path, "model", producer, command, NULL, err);
	cpz_record rec;

	if (!w)
		return -1;
	cpz_record_init(&rec);
	if (cpz_writer_write(w, genome, err) < 0 || cpz_writer_write(w, baseline, err) < 0 ||
	    cpz_record_reset(&rec, "training", err) < 0 ||
	    cpz_record_add_text(&rec, "train", o->train_path, err) < 0 ||
	    cpz_record_add_text(&rec, "command", command, err) < 0)
		goto fail;
	if (cpz_record_copy_fields(&rec, data_ctx, "", "data.", err) < 0)
		goto fail;
	if (cpz_writer_write(w, &rec, err) < 0)
		goto fail;
	cpz_record_free(&rec);
	return cpz_writer_close(w, err);
fail:
	cpz_record_free(&rec);
	cpz_writer_abort(w);
	return -1;
}

static int add_labels(cpz_record *rec, const dcell_config *labels, cp_error *err)
{
	int64_t K = labels->n_outputs;
	int32_t ids[PERT_N_LABELS];

	for (int k = 0; k < labels->n_outputs; k++)
		ids[k] = labels->label[k];
	return cpz_record_add_tensor_copy(rec, "labels", CPZ_I32, 1, &K, ids, err);
}

/* Label k of experiment i of a mini-batch. */
static double label_of(const loader_batch *b, size_t i, int label)
{
	return b->label[i * PERT_N_LABELS + (size_t)label];
}

static int fit_mean(const baseline_options *o, sample_loader *l, cpz_record *rec, cp_error *err)
{
	int K = o->labels.n_outputs;
	double sum[PERT_N_LABELS] = { 0 }, count[PERT_N_LABELS] = { 0 }, mean[PERT_N_LABELS];
	int64_t k64 = K;
	loader_batch b;
	int rc;

	if (loader_rewind(l, 0, err) < 0)
		return -1;
	while ((rc = loader_next(l, 4096, &b, err)) == 1)
		for (size_t i = 0; i < b.n; i++)
			for (int k = 0; k < K; k++) {
				double y = label_of(&b, i, o->labels.label[k]);

				if (!isnan(y)) {
					sum[k] += y;
					count[k]++;
				}
			}
	if (rc < 0)
		return -1;
	for (int k = 0; k < K; k++) {
		if (count[k] == 0)
			return cp_error_set(err, "%s: no training value of %s", o->train_path,
					    pert_label_names[o->labels.label[k]]);
		mean[k] = sum[k] / count[k];
	}
	return cpz_record_add_tensor_copy(rec, "mean", CPZ_F64, 1, &k64, mean, err);
}

static int fit_additive(const baseline_options *o, sample_loader *l, cpz_record *rec,
			cp_error *err)
{
	const pert_context *ctx = loader_context(l);
	int K = o->labels.n_outputs;
	int32_t *col = cp_malloc(ctx->n_genes, sizeof *col, err), *genes = NULL;
	double *A = NULL, *rhs = NULL, *weight = NULL, bias[PERT_N_LABELS];
	size_t M = 0, D;
	loader_batch b;
	int rc, result = -1;

	if (!col)
		return -1;
	for (size_t g = 0; g < ctx->n_genes; g++)
		col[g] = -1;
	/* pass 1: the genes deleted in training */
	if (loader_rewind(l, 0, err) < 0)
		goto out;
	while ((rc = loader_next(l, 4096, &b, err)) == 1)
		for (int64_t k = 0; k < b.gene_ptr[b.n]; k++)
			if (col[b.gene[k]] < 0)
				col[b.gene[k]] = 0;
	if (rc < 0)
		goto out;
	genes = cp_malloc(ctx->n_genes, sizeof *genes, err);
	if (!genes)
		goto out;
	for (size_t g = 0; g < ctx->n_genes; g++)
		if (col[g] == 0) {
			col[g] = (int32_t)M;
			genes[M++] = (int32_t)g;
		}
	if (M == 0) {
		cp_error_set(err, "%s: no training experiments", o->train_path);
		goto out;
	}
	D = M + 1;	/* the last column is the intercept */
	if (D > 46340) {
		cp_error_set(err, "additive: %zu genes is too many for the closed form", M);
		goto out;
	}
	A = cp_malloc(D * D, sizeof *A, err);
	rhs = cp_malloc(D, sizeof *rhs, err);
	weight = cp_malloc(M * (size_t)K, sizeof *weight, err);
	if (!A || !rhs || !weight)
		goto out;
	for (int k = 0; k < K; k++) {
		int n = (int)D, one = 1, info = 0;
		size_t used = 0;

		memset(A, 0, D * D * sizeof *A);
		memset(rhs, 0, D * sizeof *rhs);
		if (loader_rewind(l, 0, err) < 0)
			goto out;
		while ((rc = loader_next(l, 4096, &b, err)) == 1)
			for (size_t i = 0; i < b.n; i++) {
				double y = label_of(&b, i, o->labels.label[k]);

				if (isnan(y))
					continue;
				used++;
				for (int64_t p = b.gene_ptr[i]; p < b.gene_ptr[i + 1]; p++) {
					size_t ci = (size_t)col[b.gene[p]];

					for (int64_t q = b.gene_ptr[i]; q < b.gene_ptr[i + 1]; q++)
						A[ci * D + (size_t)col[b.gene[q]]] += 1;
					A[ci * D + M] += 1;
					A[M * D + ci] += 1;
					rhs[ci] += y;
				}
				A[M * D + M] += 1;
				rhs[M] += y;
			}
		if (rc < 0)
			goto out;
		if (used == 0) {
			cp_error_set(err, "%s: no training value of %s", o->train_path,
				     pert_label_names[o->labels.label[k]]);
			goto out;
		}
		for (size_t i = 0; i < M; i++)
			A[i * D + i] += o->ridge;
		/* on one thread: OpenBLAS orders the factorisation's sums by its
		 * thread count, which would make the model's bytes depend on the
		 * machine's cores or $OPENBLAS_NUM_THREADS */
		openblas_set_num_threads(1);
		dposv_("U", &n, &one, A, &n, rhs, &n, &info);
		if (info != 0) {
			cp_error_set(err, "additive: the normal equations are singular (LAPACK info %d); "
				     "use --ridge > 0", info);
			goto out;
		}
		for (size_t i = 0; i < M; i++)
			weight[i * (size_t)K + (size_t)k] = rhs[i];
		bias[k] = rhs[M];
	}
	{
		int64_t m64 = (int64_t)M, shape[2] = { (int64_t)M, K }, k64 = K;

		if (cpz_record_add_tensor_copy(rec, "gene", CPZ_I32, 1, &m64, genes, err) < 0 ||
		    cpz_record_add_tensor_copy(rec, "weight", CPZ_F64, 2, shape, weight, err) < 0 ||
		    cpz_record_add_tensor_copy(rec, "bias", CPZ_F64, 1, &k64, bias, err) < 0 ||
		    cpz_record_add_float(rec, "ridge", o->ridge, err) < 0)
			goto out;
	}
	result = 0;
out:
	free(col), free(genes), free(A), free(rhs), free(weight);
	return result;
}

/* Single-mutant fitness per gene: the mean over the single-deletion
 * experiments of the stream (all environments). */
/*
 * Each gene's single-mutant fitness: the mean of its single-deletion
 * experiments (a batches stream's train split only), on the original scale
 * when the stream is standardized.  The singles must share one environment
 * per gene: fitness at 26C and at 30C are not one gene's value.
 */
static int fit_multiplicative(const baseline_options *o, cpz_record *rec, baseline_stats *st,
			      cp_error *err)
{
	pert_reader *r = pert_reader_open(o->train_path, NULL, err);
	const pert_context *ctx;
	double *sum = NULL, *count = NULL, *fit = NULL;
	char **env = NULL;
	int32_t *genes = NULL;
	size_t M = 0;
	batches_info info;
	int standardized = 0, rc, result = -1;
	pert_batch b;

	if (!r)
		return -1;
	ctx = pert_reader_context(r);
	if (cpz_record_field(pert_reader_context_record(r), "standardize")) {
		if (batches_info_from_record(pert_reader_context_record(r), &info, err) < 0)
			goto out;
		standardized = info.standardize != STANDARDIZE_NONE;
	}
	sum = cp_calloc(ctx->n_genes, sizeof *sum, err);
	count = cp_calloc(ctx->n_genes, sizeof *count, err);
	env = cp_calloc(ctx->n_genes, sizeof *env, err);
	if (!sum || !count || !env)
		goto out;
	while ((rc = pert_reader_next(r, &b, err)) == 1) {
		if (b.split >= 0 && b.split != PERT_TRAIN)
			continue;
		for (size_t i = 0; i < b.n; i++) {
			double y = b.label[i * PERT_N_LABELS + PERT_FITNESS];
			const char *e = b.environment[i] ? b.environment[i] : "";
			int32_t g;

			if (b.gene_ptr[i + 1] - b.gene_ptr[i] != 1) {
				st->not_single++;
				continue;
			}
			if (isnan(y)) {
				st->no_value++;
				continue;
			}
			g = b.gene[b.gene_ptr[i]];
			if (!env[g]) {
				if (!(env[g] = strdup(e))) {
					cp_error_set(err, "out of memory");
					goto out;
				}
			} else if (strcmp(env[g], e) != 0) {
				cp_error_set(err, "%s: gene %s has single-mutant fitness in environments '%s' and "
					     "'%s': give the singles of one environment", o->train_path,
					     ctx->genes[g], env[g], e);
				goto out;
			}
			sum[g] += standardized ? batches_restore_label(&info, PERT_FITNESS, y) : y;
			count[g]++;
			st->used++;
		}
	}
	if (rc < 0)
		goto out;
	genes = cp_malloc(ctx->n_genes, sizeof *genes, err);
	fit = cp_malloc(ctx->n_genes, sizeof *fit, err);
	if (!genes || !fit)
		goto out;
	for (size_t g = 0; g < ctx->n_genes; g++)
		if (count[g] > 0) {
			genes[M] = (int32_t)g;
			fit[M++] = sum[g] / count[g];
		}
	st->genes = M;
	if (M == 0) {
		cp_error_set(err, "%s: no single-deletion experiment with a fitness", o->train_path);
		goto out;
	}
	{
		int64_t m64 = (int64_t)M;

		if (cpz_record_add_tensor_copy(rec, "gene", CPZ_I32, 1, &m64, genes, err) < 0 ||
		    cpz_record_add_tensor_copy(rec, "fitness", CPZ_F64, 1, &m64, fit, err) < 0)
			goto out;
	}
	result = 0;
out:
	if (env)
		for (size_t g = 0; g < ctx->n_genes; g++)
			free(env[g]);
	free(env), free(sum), free(count), free(genes), free(fit);
	pert_reader_close(r);
	return result;
}

int baseline_fit(const baseline_options *o, const char *producer, const char *command,
		 baseline_stats *st, cp_error *err)
{
	int multiplicative = strcmp(o->model, "multiplicative") == 0;
	loader_options lo = { PERT_TRAIN, 0 };
	sample_loader *l = loader_open(o->train_path, &lo, err);
	cpz_record rec, genome;
	dcell_config labels = o->labels;
	int rc = -1;

	if (!l)
		return -1;
	cpz_record_init(&rec);
	cpz_record_init(&genome);
	if (multiplicative) {
		labels.n_outputs = 1;
		labels.label[0] = PERT_FITNESS;
	}
	if (cpz_record_copy(&genome, loader_genome_record(l), err) < 0 ||
	    cpz_record_reset(&rec, "baseline", err) < 0 ||
	    cpz_record_add_str(&rec, "model", o->model, err) < 0 || add_labels(&rec, &labels, err) < 0)
		goto out;
	if (strcmp(o->model, "mean") == 0)
		rc = fit_mean(o, l, &rec, err);
	else if (strcmp(o->model, "additive") == 0)
		rc = fit_additive(o, l, &rec, err);
	else if (multiplicative)
		rc = fit_multiplicative(o, &rec, st, err);
	else
		rc = cp_error_set(err, "unknown baseline '%s'", o->model);
	if (rc == 0)
		rc = write_model(o, &genome, &rec, loader_context_record(l), producer, command, err);
out:
	cpz_record_free(&rec);
	cpz_record_free(&genome);
	loader_close(l);
	return rc;
}
