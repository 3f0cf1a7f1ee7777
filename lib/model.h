/*
 * model.h - a trained model read back from its stream, whatever its kind
 * (DCell or a baseline), and its predictions on the original label scale.
 *
 * A model learned on standardized batches predicts standardized values;
 * model_predict undoes the standardization with the statistics the
 * training stream carried (batches.h), so predictions compare directly
 * with the published labels.
 */
#ifndef CP_MODEL_H
#define CP_MODEL_H

#include <stddef.h>

#include "batches.h"
#include "cp_base.h"
#include "cpz.h"
#include "dcell.h"
#include "go_dag.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum model_kind {
	MODEL_DCELL,
	MODEL_MEAN,
	MODEL_ADDITIVE,
	MODEL_MULTIPLICATIVE
} model_kind;

typedef struct cp_model {
	model_kind kind;
	const char *name;		/* "dcell", "mean", ... */
	int n_outputs;
	int label[PERT_N_LABELS];
	cpz_record genome;		/* the model's genome record */
	uint64_t genome_hash;
	size_t n_genes;
	/* the training data's statistics, to undo standardization */
	int standardized;
	batches_info info;
	/* DCell */
	go_dag dag;
	dcell net;
	int have_dag, have_net;
	/* baselines: per-output values, per-gene values (n_genes x K), NaN
	 * where unknown */
	double mean[PERT_N_LABELS], bias[PERT_N_LABELS];
	double *gene_value;
	/* history of training, for reports (empty record for baselines) */
	cpz_record training, history;
	char producer[128];
	uint64_t checksum;	/* of the stream, as cpz verify prints it */
} cp_model;

int model_load(cp_model *m, const char *path, cp_error *err);
void model_free(cp_model *m);

typedef struct model_runner model_runner;

/* path: "sparse" or "dense" (DCell); device "cpu" or "cuda".  The sparse
 * path uses the per-gene cache (dcell_sparse_cache) where it at least
 * halves the work (dcell_sparse_cache_gain) and the cache for every gene
 * fits in cache_mb MiB (0: never). */
model_runner *model_runner_new(cp_model *m, const char *path, const char *device, int threads,
			       size_t max_batch, size_t cache_mb, cp_error *err);
/* Whether the runner uses the per-gene cache. */
int model_runner_cached(const model_runner *r);
void model_runner_free(model_runner *r);
/* Predictions for a chunk (n x K, original label scale).  The chunk must
 * index the model's genome. */
int model_predict(model_runner *r, const pert_context *ctx, const pert_batch *b, double *pred,
		  cp_error *err);
/* The label values of a chunk on their original scale (n x PERT_N_LABELS),
 * undoing the chunk stream's own standardization (info NULL: none). */
void model_restore_labels(const batches_info *info, const pert_batch *b, double *out);

#ifdef __cplusplus
}
#endif

#endif
