/*
 * dcell.h - DCell (Ma et al. 2018): a neural network shaped by the GO DAG.
 *
 * One subsystem per term, leaves to root.  The input of term t is the
 * outputs of its children, then the states of the genes annotated directly
 * to it (1 = deleted, 0 = wild type; or the reverse with gene_present).
 * Its width is L_t = max(width_min, ceil(width_frac * genes)), counting the
 * genes the term contains (or, as an option, only its direct genes), and
 *   Z_t = W_t I_t + b_t,   O_t = BatchNorm(tanh(Z_t))   (or tanh(BatchNorm(Z_t)))
 * The root's output feeds a linear head (the prediction); every other term
 * has an auxiliary linear head.  Loss = MSE(root) + alpha * sum_t MSE(aux_t)
 * (or the mean over terms), with NaN labels masked; weight decay is
 * applied by the optimiser to the weight matrices and heads.
 *
 * Two exact computations of the same function:
 *  - dense: every stratum's terms in one gathered input and one grouped
 *    GEMM on a kernel backend (CPU/OpenBLAS or CUDA);
 *  - sparse (CPU): a deletion changes only the terms containing a deleted
 *    gene.  The batch's shared value of every term is computed once (a
 *    single-sample pass), each sample only on the terms it changes, and
 *    BatchNorm statistics and every gradient are formed from the shared
 *    value and the sparse deltas.  Same outputs, loss and gradients as the
 *    dense path, to rounding.
 *
 * Parameters live in one flat vector (precision f32 or f64), laid out by
 * stratum: the W_t of its terms, then bias, gamma, beta, head weights
 * (K x width) and head biases (terms x K).  Running BatchNorm statistics
 * live in a second vector.
 */
#ifndef CP_DCELL_H
#define CP_DCELL_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "go_dag.h"
#include "kernels.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dcell_config {
	int width_min;		/* 20 */
	double width_frac;	/* 0.3 */
	int width_from_direct;	/* 0: genes the term contains; 1: its direct genes */
	int bn_before_tanh;	/* 0: BatchNorm(tanh(Z)) (DESIGN); 1: tanh(BatchNorm(Z)) */
	double alpha;		/* auxiliary loss weight, 0.3 */
	int alpha_mean;		/* 0: alpha * sum over terms; 1: alpha * mean over terms */
	int gene_present;	/* 0: state 1 = deleted; 1: state 1 = present */
	double init_range;	/* weights uniform in [-r, r], 0.001 */
	double bn_eps;		/* 1e-5 */
	double bn_momentum;	/* 0.1 */
	int n_outputs;		/* K labels predicted together */
	int label[PERT_N_LABELS];	/* which labels (pert.h indices) */
} dcell_config;

void dcell_config_default(dcell_config *cfg);

typedef struct dcell {
	dcell_config cfg;
	cp_precision prec;

	/* structure, from the DAG */
	size_t n_terms, n_strata;
	size_t n_genes;		/* genome size */
	uint64_t genome_hash;
	char go_hash[17];
	int32_t *width;		/* L_t */
	int32_t *in_dim;	/* children widths + direct genes */
	int32_t *n_child;	/* children of t */
	int64_t *child_ptr;	/* children CSR (DAG order) */
	int32_t *child;
	int64_t *gene_ptr;	/* direct genes CSR, genome indices, sorted */
	int32_t *gene;
	int32_t *stratum;	/* of each term */
	int64_t *stratum_ptr;	/* terms of stratum s: [ptr[s], ptr[s+1]) */
	int64_t *col_off;	/* column of t in its stratum's block */
	int64_t *in_off;	/* first input column of t in its stratum's input */
	int64_t *stratum_width;	/* sum of widths */
	int64_t *stratum_in;	/* sum of input dims */
	int64_t *act_off;	/* per stratum, column offset in the stacked activations */
	int64_t total_width;

	/* parameter layout (element offsets into params) */
	int64_t *w_off;		/* per term: W_t, width x in_dim, row-major */
	int64_t *bias_off, *gamma_off, *beta_off;	/* per stratum: width */
	int64_t *head_w_off;	/* per stratum: K x width */
	int64_t *head_b_off;	/* per stratum: terms x K */
	int64_t *rmean_off, *rvar_off;	/* per stratum, into buffers */
	size_t n_params, n_buffers;

	/* values, host memory (f32 or f64 by prec) */
	void *params;
	void *buffers;

	/* gene -> term containment, for the sparse path: the terms containing
	 * gene g are cont_term[cont_ptr[g] .. cont_ptr[g+1]), ascending */
	int64_t *cont_ptr;
	int32_t *cont_term;

	cp_arena arena;
} dcell;

/* Build the network for a DAG and initialise its parameters from seed:
 * weights and heads uniform in [-init_range, init_range], biases 0,
 * gamma 1, beta 0, running mean 0 and variance 1. */
int dcell_init(dcell *m, const go_dag *dag, const dcell_config *cfg, cp_precision prec,
	       uint64_t seed, cp_error *err);
void dcell_free(dcell *m);

/* Floating-point operations of one sample through the dense network
 * (forward), counting a multiply-add as 2. */
double dcell_dense_flops(const dcell *m);

/* The ranges of params that weight decay applies to (weights and heads),
 * as [start, end) pairs; returns the count and sets *ranges (arena). */
size_t dcell_decay_ranges(const dcell *m, const int64_t **ranges);

/* ---- a batch ---------------------------------------------------------- */

/* Inputs and targets of one batch, on the host. */
typedef struct dcell_batch {
	size_t n;		/* samples */
	const int64_t *gene_ptr;	/* deleted genes per sample (genome indices), n + 1 */
	const int32_t *gene;
	const int64_t *term_ptr;	/* affected terms per sample (checked against the
					   model's own derivation), or NULL */
	const int32_t *term;
	double *target;		/* n x K, NaN = missing; NULL without labels */
	size_t first;		/* the first sample's place in its chunk, for messages */
} dcell_batch;

/* A batch from a chunk of samples (labels chosen by cfg.label); the target
 * array is allocated in *arena.  The chunk's affected-term lists are used
 * when its context's go.hash matches the model's. */
int dcell_batch_from_pert(const dcell *m, const pert_context *ctx, const pert_batch *b,
			  dcell_batch *out, cp_arena *arena, cp_error *err);

/* ---- dense path on a backend ---------------------------------------------- */

typedef struct dcell_run dcell_run;

/* Buffers on a backend for batches of up to max_batch samples; parameters
 * and running statistics are uploaded from the model. */
dcell_run *dcell_run_new(dcell *m, cp_backend *be, size_t max_batch, cp_error *err);
void dcell_run_free(dcell_run *r);

/* Forward through every stratum.  train: batch statistics (and running
 * statistics updated); else running statistics.  With targets, *loss is
 * set (NULL allowed).  pred (host, n x K) receives the root predictions if
 * not NULL. */
int dcell_dense_forward(dcell_run *r, const dcell_batch *b, int train, double *loss,
			double *pred, cp_error *err);
/* Backward after a training forward: gradients are added to the gradient
 * vector (zero it with dcell_zero_grad). */
int dcell_dense_backward(dcell_run *r, const dcell_batch *b, cp_error *err);

/* ---- sparse path (host) --------------------------------------------------- */

typedef struct dcell_sparse dcell_sparse;

dcell_sparse *dcell_sparse_new(dcell_run *r, cp_error *err);
void dcell_sparse_free(dcell_sparse *s);
/* The same contracts as the dense calls, except that the sparse backward
 * sets every gradient (no zeroing needed) where the dense one adds to them;
 * the run's backend must be the CPU. */
int dcell_sparse_forward(dcell_sparse *s, const dcell_batch *b, int train, double *loss,
			 double *pred, cp_error *err);
int dcell_sparse_backward(dcell_sparse *s, const dcell_batch *b, cp_error *err);
/* Inference with a per-gene cache (off by default): the first time a gene
 * is seen, its single deletion's change at every term containing it is
 * kept (pre-activation and output); a sample then computes only the terms
 * containing two or more of its genes, each from its genes' cached changes
 * plus its children that also contain two or more (the layer is linear in
 * its children's outputs).  Exact up to rounding; the cache is dropped when
 * the parameters change.  Not used for inference calls that ask for the
 * loss.  Refused (-1) where the cache for every gene would exceed
 * max_bytes. */
int dcell_sparse_cache(dcell_sparse *s, int on, size_t max_bytes, cp_error *err);
/* How many times less work inference does with the per-gene cache than
 * without, estimated from the multiply-adds of 2,000 random pairs of
 * annotated genes (a fixed seed): about 4.8 on the 2012 GO DAG with widths
 * from direct genes, 1.8 with widths from contained genes, where the terms
 * containing both genes hold most of the work. */
double dcell_sparse_cache_gain(const dcell *m);
/* Work counters of the last sparse call: floating-point operations (a
 * multiply-add counts 2) of that forward or backward, and the number of
 * (sample, term) pairs the last forward computed. */
void dcell_sparse_stats(const dcell_sparse *s, double *flops, double *pairs);

/* ---- parameters, gradients, optimiser ------------------------------------- */

int dcell_zero_grad(dcell_run *r, cp_error *err);
/* Global L2 norm of the gradient. */
int dcell_grad_norm(dcell_run *r, double *norm, cp_error *err);
/* AdamW step t (>= 1) with gradient clipping to max_norm (0 = none). */
int dcell_adamw_step(dcell_run *r, long t, double lr, double weight_decay, double max_norm,
		     double *grad_norm, cp_error *err);
/* Copy parameters, running statistics and optimiser moments between the
 * backend and host arrays (the model's params/buffers; m and v of n_params). */
int dcell_run_download(dcell_run *r, void *adam_m, void *adam_v, cp_error *err);
int dcell_run_upload(dcell_run *r, const void *adam_m, const void *adam_v, cp_error *err);
/* Host pointers to the gradient (after download for non-host backends). */
const void *dcell_run_grad(dcell_run *r, cp_error *err);

/* ---- streams -------------------------------------------------------------- */

/* Add the model's configuration, structure and values to rec (type
 * "dcell"). */
int dcell_to_record(const dcell *m, cpz_record *rec, cp_error *err);
/* Rebuild a model for dag from such a record; checks that the record was
 * made for this DAG (term ids, widths) and restores the values. */
int dcell_from_record(dcell *m, const go_dag *dag, const cpz_record *rec, cp_error *err);
/* Error unless every value of t (f32 or f64) is finite, and at least 0
 * when nonneg: a NaN weight makes every prediction NaN. */
int dcell_check_values(const cpz_record *rec, const char *name, const cpz_tensor *t, int nonneg,
		       cp_error *err);
/* The same for m's buffers (n_buffers values), whose running variances
 * must also be at least 0. */
int dcell_check_buffers(const dcell *m, const cpz_record *rec, const char *name, const cpz_tensor *t,
			cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
