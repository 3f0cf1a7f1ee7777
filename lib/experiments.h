/*
 * experiments.h - the experiments table: deletion experiments and their
 * labels as tab-separated text (plain, .gz or .zst; "-" for standard
 * input), read one experiment at a time so memory does not grow with the
 * number of experiments.
 *
 *   # comments start with '#'; blank lines are skipped
 *   genes<TAB>environment<TAB>fitness<TAB>...     the header: names the columns
 *   YAL001C,YBR002W<TAB>30C<TAB>0.81<TAB>...
 *
 * Columns are found by their header name, in any order:
 *   genes                       required: the deleted genes, one or more,
 *                               separated by ',' (blanks around them are
 *                               ignored), any identifier the genome maps
 *   id, source, environment, allele
 *                               optional text ("" when the column is absent);
 *                               allele as screen2exp writes it: "deletion",
 *                               "ts", "DAmP", joined by '|' when merged
 *   fitness, fitness_std, gene_interaction, gene_interaction_p_value
 *                               optional labels: an absent column, an empty
 *                               cell, NA or nan is NaN (missing), never 0
 * Other columns are ignored.  Every line has as many fields as the header.
 *
 * A gene that does not map (unknown, or ambiguous between genes) is an
 * error naming the line, unless skipping is asked for: then the line is
 * skipped and counted.  A gene listed twice in one experiment (under any of
 * its identifiers) is always an error.
 */
#ifndef CP_EXPERIMENTS_H
#define CP_EXPERIMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "genome.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One experiment as read; pointers valid until the next read. */
typedef struct experiment {
	size_t line;			/* 1-based line number */
	const char *id, *source, *environment, *allele;
	size_t n_genes;
	const int32_t *genes;		/* gene indices, in the order listed */
	float label[PERT_N_LABELS];	/* pert_label_names order; NaN when missing */
	unsigned tiny;			/* bit k: label k, not 0 in the table, is a
					 * subnormal or 0 in label[k] */
} experiment;

typedef struct experiment_reader experiment_reader;

/* Open the table and read its header.  g maps identifiers and must outlive
 * the reader.  With skip_unknown, lines naming a gene the genome does not
 * map are skipped and counted. */
experiment_reader *experiment_reader_open(const char *path, const genome *g, int skip_unknown,
					  cp_error *err);
/* 1 and the next experiment, 0 at the end, -1 on error ("exp.tsv:12:
 * column 'genes': unknown gene 'YXX999W'"). */
int experiment_reader_next(experiment_reader *r, experiment *e, cp_error *err);
/* Whether e deletes its genes: every gene's allele (entries joined by ',',
 * in gene order; a merged row's kinds of one gene joined by '|') is empty
 * (not stated) or "deletion"; ts and DAmP are partial losses of function. */
int experiment_is_deletion(const experiment *e);
/* Lines skipped for unmapped genes so far, and the message for the first
 * ("" when none). */
size_t experiment_reader_skipped(const experiment_reader *r);
const char *experiment_reader_first_skip(const experiment_reader *r);
const char *experiment_reader_name(const experiment_reader *r);
void experiment_reader_close(experiment_reader *r);

#ifdef __cplusplus
}
#endif

#endif
