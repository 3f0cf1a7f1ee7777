/*
 * dcell_impl.h - private: the dense run's buffers, shared by dcell.c and
 * the sparse path.  Not part of the public API.
 */
#ifndef CP_DCELL_IMPL_H
#define CP_DCELL_IMPL_H

#include "dcell.h"

typedef struct dcell_stratum_run {
	/* backend arrays: the gather of the stratum's inputs and its backward
	 * (the dense path's, laid out for cap rows) */
	int64_t *base, *stride;
	size_t n_targets;
	int64_t *tbase, *tstride, *uptr, *use;
	int64_t *seg_ptr;	/* head segments: term columns */
	cp_gemm *gemm;		/* host descriptors, one per term */
} dcell_stratum_run;

struct dcell_run {
	dcell *m;
	cp_backend *be;
	size_t max_batch;
	size_t cap;		/* rows the dense path's buffers hold (0: none yet) */
	size_t max_in, max_w;	/* widest stratum input and output */
	/* backend buffers; grad and the moments NULL until training first
	 * needs them (dcell_run_train_buffers) */
	void *params, *grad, *adam_m, *adam_v, *buffers;
	void *H, *dH;		/* [genes | strata] activations, cap rows per block */
	void *Z, *A, *xhat;	/* per stratum, n rows, stacked */
	void *invstd, *mean, *var;
	void *I, *dI, *scratch;
	void *pred, *dpred, *target;
	dcell_stratum_run *strata;
	/* host staging */
	void *host_genes, *host_target, *host_pred;
	int trained_forward;
	long grad_version;	/* bumped by every backward (see dcell_sparse.c's zr) */
	long params_version;	/* bumped whenever parameters change */
	/* set by a sparse path: the squared norm of each term's weight
	 * gradient, valid after its backward until the gradient changes */
	const double *w_sumsq;
	int w_sumsq_valid;
	/* Set by a sparse path on the CPU: dcell_adamw_step may leave the
	 * terms' weights (nearly all the parameters) to the next training
	 * forward, which updates each term's block just before it reads it
	 * (the memory-bound update then overlaps the other thread's work and
	 * the block is in cache for its use).  pend holds the step's
	 * arguments until then; everything else that reads the parameters,
	 * the moments or the gradient first calls dcell_run_settle. */
	int defer_ok;
	struct {
		int on;
		long t;
		double gscale, lr, wd;
	} pend;
};

/* Apply a deferred weight update, all of it (settle) or term t's block
 * (on the calling thread; the caller then clears pend.on once every
 * term's is done). */
int dcell_run_settle(dcell_run *r, cp_error *err);
void dcell_run_settle_term(dcell_run *r, size_t t);
/* Allocate the gradient and AdamW's moments, zeroed, if not yet done:
 * every path that trains calls it first, so inference never pays for
 * them. */
int dcell_run_train_buffers(dcell_run *r, cp_error *err);

uint64_t dcell_rng_next(uint64_t *state);

#endif
