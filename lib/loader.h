/*
 * loader.h - experiments for training, streamed from a samples or batches
 * stream in mini-batches, shuffled within a bounded buffer.
 *
 * Memory is bounded by the shuffle buffer, never by the dataset: each pass
 * reopens the file and reads it chunk by chunk.  The shuffle of pass e is
 * fixed by (seed, e), so a run resumed at pass e sees the same order.
 */
#ifndef CP_LOADER_H
#define CP_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sample_loader sample_loader;

typedef struct loader_options {
	int split;		/* PERT_TRAIN.. to keep one split of a batches stream; -1 all */
	size_t buffer;		/* experiments shuffled together (0: keep file order) */
} loader_options;

/* A mini-batch: genome indices of the deleted genes, labels (n x 4), and
 * each experiment's number in the stream. */
typedef struct loader_batch {
	size_t n;
	const int64_t *gene_ptr;
	const int32_t *gene;
	const float *label;
	const int64_t *index;
} loader_batch;

sample_loader *loader_open(const char *path, const loader_options *opts, cp_error *err);
void loader_close(sample_loader *l);
const pert_context *loader_context(const sample_loader *l);
const cpz_record *loader_context_record(const sample_loader *l);
const cpz_record *loader_genome_record(const sample_loader *l);
/* "samples" or "batches". */
const char *loader_kind(const sample_loader *l);
/* Start a pass; shuffle with seed (ignored when the buffer is 0). */
int loader_rewind(sample_loader *l, uint64_t seed, cp_error *err);
/* The next mini-batch of max samples (fewer only at the end of a pass, across
 * refills of the buffer): 1, 0 at the end of the pass, -1 on error. */
int loader_next(sample_loader *l, size_t max, loader_batch *out, cp_error *err);
/* Experiments kept in the last complete pass. */
size_t loader_count(const sample_loader *l);
/* The stream's checksum (pert_reader_checksum), known once a pass has
 * read it to the end: 1 and *sum, or 0.  Every later pass must read the
 * same one, or it fails naming the file; expect sets the one to match (a
 * run resumed from a checkpoint). */
int loader_checksum(const sample_loader *l, uint64_t *sum);
void loader_expect_checksum(sample_loader *l, uint64_t sum);

#ifdef __cplusplus
}
#endif

#endif
