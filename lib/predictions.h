/*
 * predictions.h - the "predictions" kind: per experiment its genes, its
 * labels and a model's predictions, both on the original label scale.
 *
 * Stream layout:
 *   record "genome"
 *   record "meta"         model (dcell, mean, ...), model_producer, labels
 *                         (names of the K predicted labels), input (the samples
 *                         or batches file), splits (train, val, test),
 *                         models (the checksums of the model streams, as
 *                         cpz verify prints them, joined by ',')
 *   records "predictions" id, source, environment str[n]; gene.ptr i64[n+1],
 *                         gene.idx i32[]; label f32[n, 4] (all four labels,
 *                         NaN = missing); pred f32[n, K]; index i64[n]
 *                         (experiment number in the input); split u8[n]
 *                         (0 train, 1 val, 2 test, 255 not split); from an
 *                         ensemble, pred_sd f32[n, K] (the spread of its
 *                         members' predictions)
 */
#ifndef CP_PREDICTIONS_H
#define CP_PREDICTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pred_meta {
	const char *model;
	const char *model_producer;
	const char *input;
	const char *models;	/* the model streams' checksums, joined by ','
				 * ("" in a stream from before they were kept) */
	int n_outputs;
	int label[PERT_N_LABELS];
} pred_meta;

typedef struct pred_chunk {
	size_t n;
	const char *const *id, *const *source, *const *environment;
	const int64_t *gene_ptr;
	const int32_t *gene;
	const float *label;	/* n x 4 */
	const float *pred;	/* n x K */
	const int64_t *index;
	const int8_t *split;
	const float *pred_sd;	/* n x K, or NULL: no ensemble */
} pred_chunk;

int pred_meta_to_record(const pred_meta *m, cpz_record *rec, cp_error *err);
int pred_chunk_to_record(const pred_meta *m, const pred_chunk *c, cpz_record *rec, cp_error *err);

typedef struct pred_reader pred_reader;

pred_reader *pred_reader_open(const char *path, cp_error *err);
const pred_meta *pred_reader_meta(const pred_reader *r);
size_t pred_reader_n_genes(const pred_reader *r);
const char *const *pred_reader_genes(const pred_reader *r);
/* 1 and a checked chunk (valid until the next call), 0 at the end, -1 on error. */
int pred_reader_next(pred_reader *r, pred_chunk *c, cp_error *err);
void pred_reader_close(pred_reader *r);

#ifdef __cplusplus
}
#endif

#endif
