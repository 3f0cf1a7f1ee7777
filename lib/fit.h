/*
 * fit.h - training a model: AdamW with decoupled weight decay, gradient
 * clipping, a learning-rate schedule, early stopping on validation loss,
 * a checkpoint after every epoch and exact resumption.
 *
 * The output is a "model" stream:
 *   record "genome"    the DAG's genome
 *   record "go-dag"    the DAG (so a model is self-contained)
 *   record "dcell"     configuration and the best parameters (dcell.h)
 *   record "training"  options, progress (epoch, step, best epoch and loss,
 *                      patience count, learning rate), the data's context
 *                      fields under "data." (label statistics), the command
 *   record "history"   per-epoch metrics
 *   record "resume"    the current parameters, running statistics and
 *                      AdamW moments, to continue after an interruption
 * The shuffle of epoch e is fixed by (seed, e) and every other state is in
 * the checkpoint, so a run killed and resumed ends with the same bytes as
 * an uninterrupted one.
 */
#ifndef CP_FIT_H
#define CP_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "dcell.h"
#include "go_dag.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { FIT_SCHEDULE_COSINE, FIT_SCHEDULE_PLATEAU, FIT_SCHEDULE_CONSTANT };
enum { FIT_PATH_SPARSE, FIT_PATH_DENSE };

typedef struct fit_options {
	const char *go_path, *train_path, *val_path, *out_path;
	dcell_config dcell;
	cp_precision precision;
	int epochs;
	size_t batch_size;
	double lr, lr_min, weight_decay, clip;
	uint64_t seed;
	int patience;		/* epochs without improvement before stopping; 0 = never */
	int schedule;
	int path;		/* sparse (CPU) or dense */
	const char *device;	/* "cpu" or "cuda" */
	int threads;		/* OpenBLAS threads; 0 = its default */
	size_t shuffle_buffer;
} fit_options;

void fit_options_default(fit_options *o);

/* What one epoch did, for the tool's line on stderr. */
typedef struct fit_epoch {
	int epoch, epochs;
	double lr;
	double train_loss;	/* mean training loss per batch */
	double val_loss;	/* root MSE on validation, mean over labels; NaN without */
	double val_mse[PERT_N_LABELS], val_pearson[PERT_N_LABELS];
	int n_outputs;
	double samples_per_s, elapsed;
	int improved, stopping;
	size_t train_samples, val_samples;
} fit_epoch;

typedef struct fit_callbacks {
	void (*epoch)(const fit_epoch *e, void *ctx);
	/* progress within an epoch: samples done of total (0 when unknown) */
	void (*progress)(int epoch, size_t done, size_t total, double loss, void *ctx);
	void *ctx;
} fit_callbacks;

/* Train as o says.  producer and command go into the stream header. */
int fit_run(const fit_options *o, const char *producer, const char *command,
	    const fit_callbacks *cb, cp_error *err);
/* Continue the run saved in checkpoint (options come from it), writing to
 * out_path (NULL: the checkpoint itself).  Returns 0 after training, 1
 * when the run had already ended (its model then copied to a different
 * out_path), -1 on error. */
int fit_resume(const char *checkpoint, const char *out_path, int threads, const char *producer,
	       const fit_callbacks *cb, cp_error *err);
/* Check a DCell model stream as fit_resume would read it (every record and
 * field a resumed run needs), opening no data and changing no file. */
int fit_checkpoint_check(const char *checkpoint, cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
