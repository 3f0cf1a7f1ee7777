/*
 * pert.h - experiments and their perturbations, in chunks: the "samples"
 * kind (pert-mask) and the "batches" kind (batch-pack).
 *
 * An experiment deletes a set of genes and has up to four labels (NaN when
 * missing, never 0).  Against the wild-type cell it perturbs, it lists the
 * edges of each relation that touch a deleted gene, the reactions whose
 * gene-reaction rule fails, and the GO terms whose DCell input changes.
 * Everything is an index list against the wild type, never a copy of the
 * graph, and experiments travel in chunks so memory stays flat.
 *
 * Stream layout:
 *   record "genome"    names, hash
 *   record "context"   label_names, relations, relation.NAME.edges, reactions,
 *                      go.terms, go.hash, chunk_size (+ batch-pack's fields)
 *   records "samples" (kind samples) or "batch" (kind batches), each:
 *     id, source, environment             str[n]
 *     gene.ptr i64[n+1], gene.idx i32[]   deleted genes, sorted per experiment
 *     label f32[n, 4]                     fitness fitness_std gene_interaction
 *                                         gene_interaction_p_value
 *     edge.NAME.ptr, edge.NAME.idx        removed edges per relation (sorted)
 *     reaction.ptr, reaction.idx          removed reactions (when metabolism)
 *     term.ptr, term.idx                  affected GO terms (with --go)
 *     index i64[n], split (batches)       experiment number, 0 train 1 val 2 test
 */
#ifndef CP_PERT_H
#define CP_PERT_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "cpz.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	PERT_FITNESS = 0,
	PERT_FITNESS_STD = 1,
	PERT_GENE_INTERACTION = 2,
	PERT_GENE_INTERACTION_P = 3,
	PERT_N_LABELS = 4
};
extern const char *const pert_label_names[PERT_N_LABELS];

enum { PERT_TRAIN = 0, PERT_VAL = 1, PERT_TEST = 2, PERT_N_SPLITS = 3 };
extern const char *const pert_split_names[PERT_N_SPLITS];

#define PERT_MAX_RELATIONS 16

/* What the index lists of a stream refer to (its "context" record). */
typedef struct pert_context {
	size_t n_genes;
	const char *const *genes;
	uint64_t genome_hash;
	size_t n_relations;
	const char *relation[PERT_MAX_RELATIONS];
	int64_t relation_edges[PERT_MAX_RELATIONS];
	int64_t n_reactions;	/* -1: no metabolism */
	int64_t n_terms;	/* -1: no GO DAG */
	char go_hash[17];	/* XXH64 of the DAG's term ids, "" without */
	int64_t chunk_size;
} pert_context;

/* One chunk of experiments.  Arrays are borrowed (from a record that was
 * read, or from a builder). */
typedef struct pert_batch {
	size_t n;
	const char *const *id;
	const char *const *source;
	const char *const *environment;
	const int64_t *gene_ptr;	/* n + 1 */
	const int32_t *gene;
	const float *label;		/* n x PERT_N_LABELS */
	const int64_t *edge_ptr[PERT_MAX_RELATIONS];
	const int32_t *edge[PERT_MAX_RELATIONS];
	const int64_t *reaction_ptr;	/* NULL when the context has no metabolism */
	const int32_t *reaction;
	const int64_t *term_ptr;	/* NULL when the context has no GO DAG */
	const int32_t *term;
	const int64_t *index;		/* batches: experiment numbers, else NULL */
	int split;			/* batches: PERT_TRAIN.., else -1 */
} pert_batch;

/* The hash of a DAG's term ids, as go.hash records it. */
void pert_go_hash(size_t n_terms, const char *const *term_id, char out[17]);

/* Add the context fields to rec (type "context"). */
int pert_context_to_record(const pert_context *ctx, cpz_record *rec, cp_error *err);
/* Read them back; genes come from the genome record already read. */
int pert_context_from_record(const cpz_record *rec, pert_context *ctx, cp_error *err);

/* Add a chunk's fields to rec (whose type the caller set); borrows arrays.
 * index and split are written only for a batch (split >= 0). */
int pert_batch_to_record(const pert_context *ctx, const pert_batch *b, cpz_record *rec,
			 cp_error *err);
/* Read a chunk and check it against the context: CSR arrays well formed,
 * every index in range, genes sorted and unique per experiment, labels of
 * shape [n, 4].  The batch borrows from rec. */
int pert_batch_from_record(const pert_context *ctx, const cpz_record *rec, pert_batch *b,
			   cp_error *err);

/* ---- building chunks ----------------------------------------------------- */

typedef struct pert_builder pert_builder;

/* One experiment to add.  Lists need not be sorted; they are sorted and
 * checked for duplicates (a duplicate deleted gene is an error). */
typedef struct pert_experiment {
	const char *id, *source, *environment;
	const int32_t *genes;
	size_t n_genes;
	float label[PERT_N_LABELS];
	const int32_t *edges[PERT_MAX_RELATIONS];
	size_t n_edges[PERT_MAX_RELATIONS];
	const int32_t *reactions;
	size_t n_reactions;
	const int32_t *terms;
	size_t n_terms;
	int64_t index;		/* batches */
} pert_experiment;

pert_builder *pert_builder_new(const pert_context *ctx, cp_error *err);
void pert_builder_free(pert_builder *b);
int pert_builder_add(pert_builder *b, const pert_experiment *e, cp_error *err);
size_t pert_builder_count(const pert_builder *b);
/* The chunk built so far (valid until the next add or clear). */
void pert_builder_batch(pert_builder *b, pert_batch *out);
void pert_builder_clear(pert_builder *b);

/* ---- reading streams ----------------------------------------------------- */

/* A set of experiment indices, none negative (open addressing; slot 0
 * holds "empty", so index i is stored as i + 1, and INT64_MAX apart). */
typedef struct {
	int64_t *slot;
	size_t cap, n;
	int has_max;
} pert_index_set;

/* 1 when v was new, 0 when the set held it, -1 without memory. */
int pert_index_set_add(pert_index_set *s, int64_t v, cp_error *err);
void pert_index_set_free(pert_index_set *s);

typedef struct pert_reader pert_reader;

/* Open a samples or batches stream (kind NULL accepts either) and read its
 * genome and context. */
pert_reader *pert_reader_open(const char *path, const char *kind, cp_error *err);
/* The same from an open descriptor (not closed by the reader); name is used
 * in messages. */
pert_reader *pert_reader_open_fd(int fd, const char *name, const char *kind, cp_error *err);
const pert_context *pert_reader_context(const pert_reader *r);
/* The context record itself, for fields a tool added (e.g. label statistics). */
const cpz_record *pert_reader_context_record(const pert_reader *r);
/* The genome record as read (names, hash and any aliases), to copy on. */
const cpz_record *pert_reader_genome_record(const pert_reader *r);
const char *pert_reader_kind(const pert_reader *r);
/* cpz_reader_stream_checksum of the stream (valid after next() == 0). */
uint64_t pert_reader_checksum(const pert_reader *r);
/* 1 and a checked chunk (valid until the next call), 0 at the end, -1 on error. */
int pert_reader_next(pert_reader *r, pert_batch *b, cp_error *err);
/* The data record the last pert_reader_next read, for messages about it. */
const cpz_record *pert_reader_record(const pert_reader *r);
void pert_reader_close(pert_reader *r);

#ifdef __cplusplus
}
#endif

#endif
