/*
 * batches.h - the "batches" kind (batch-pack): experiments split into
 * train, val and test, labels standardized with training statistics, in
 * batches of a fixed size; and what fit, predict and report need to read
 * it back and undo the standardization.
 *
 * Stream layout (see pert.h for the shared fields):
 *   record "genome"   copied from the samples stream
 *   record "context"  the samples' context (chunk_size = the batch size) and
 *     standardize        str      "none", "zscore" or "robust"
 *     label.center       f64[4]   per label: a value is stored as
 *     label.scale        f64[4]     (x - center) / scale
 *     label.nan          i64[3,4] NaN labels per split (rows) and label
 *     label.present      i64[3,4] non-NaN labels per split and label
 *     split.method       str      "random", "gene" or "pair" (split.h)
 *     split.fractions    f64[3]   train, val, test
 *     split.seed         int
 *     split.count        i64[3]   experiments per split
 *     split.dropped      int      gene mode: experiments spanning splits
 *     split.input        int      experiments read
 *     batch_size         int
 *     shuffle            int      shuffle window, 0 = input order
 *   records "batch": one split each (field split), experiments numbered in
 *     the input (field index), labels standardized; the last batch of each
 *     split may be short.
 *
 * Standardization (statistics of the training split only, NaN skipped):
 *   fitness                 zscore: mean and standard deviation; robust:
 *                           median and 1.4826 x the median absolute deviation
 *   fitness_std             scaled by fitness's scale, not centred (it is a
 *                           spread of fitness)
 *   gene_interaction        as fitness, with its own statistics
 *   gene_interaction_p_value  unchanged (center 0, scale 1)
 * A label with fewer than two training values, or no spread, keeps scale 1
 * (and center 0 without values).  NaN stays NaN.
 */
#ifndef CP_BATCHES_H
#define CP_BATCHES_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"
#include "pert.h"
#include "split.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum batches_standardize {
	STANDARDIZE_NONE = 0,
	STANDARDIZE_ZSCORE,
	STANDARDIZE_ROBUST,
	STANDARDIZE_COUNT
} batches_standardize;

extern const char *const batches_standardize_names[STANDARDIZE_COUNT];
int batches_standardize_parse(const char *name, batches_standardize *out);

typedef struct batches_info {
	split_spec split;
	int64_t batch_size;
	int64_t shuffle;
	batches_standardize standardize;
	double center[PERT_N_LABELS], scale[PERT_N_LABELS];
	int64_t count[PERT_N_SPLITS];
	int64_t nan[PERT_N_SPLITS][PERT_N_LABELS];
	int64_t present[PERT_N_SPLITS][PERT_N_LABELS];
	int64_t dropped;
	int64_t input;
} batches_info;

/* Add the fields above to a context record (type "context"); the record
 * copies them. */
int batches_info_to_record(const batches_info *info, cpz_record *rec, cp_error *err);
/* Read them from a batches stream's context record, checked. */
int batches_info_from_record(const cpz_record *rec, batches_info *info, cp_error *err);

/* x -> (x - center) / scale, and back.  NaN stays NaN. */
double batches_standardize_label(const batches_info *info, int label, double x);
double batches_restore_label(const batches_info *info, int label, double z);

/* ---- packing ------------------------------------------------------------------ */

typedef struct batch_pack_options {
	split_spec split;
	int64_t batch_size;		/* >= 1 */
	batches_standardize standardize;
	size_t shuffle;			/* window per split; 0 keeps the input order */
	/* called every 65,536 experiments, pass 1 (scan) or 2 (write); may be NULL */
	void (*progress)(void *ctx, int pass, int64_t experiments);
	void *progress_ctx;
} batch_pack_options;

/*
 * Pass 1: read every experiment of a samples stream, assign its split,
 * count splits and NaN labels, and compute the training statistics.  The
 * robust method keeps the training labels in memory (8 bytes an
 * experiment); everything else streams.
 */
int batch_pack_scan(pert_reader *in, const batch_pack_options *o, batches_info *info,
		    cp_error *err);

/*
 * Pass 2: read the same stream again and write the genome and context
 * records and the batches.  out[PERT_TRAIN..PERT_TEST] are the writers of
 * each split; pass the same writer three times for one stream.  Within a
 * split, experiments keep their input order, or with a shuffle window W
 * are drawn at random from the last W (seeded by the split seed), so the
 * output is the same for the same input and options.  Batches are written
 * as they fill, the partial ones at the end (train, val, test).
 */
int batch_pack_write(pert_reader *in, const batch_pack_options *o, const batches_info *info,
		     cpz_writer *const out[PERT_N_SPLITS], int64_t batches[PERT_N_SPLITS],
		     cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
