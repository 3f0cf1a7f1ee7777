/*
 * exp_table.h - the experiments TSV as text: every phenotype source becomes this
 * table, and pert-mask reads it.
 *
 *   genes environment allele fitness fitness_std gene_interaction
 *   gene_interaction_p_value count id source
 *
 * genes        the deleted genes, systematic names joined by ',' (sorted)
 * environment  the condition, e.g. "30C", "26C" or "sorbitol [1 M]; SGA final
 *              selection medium"; empty when the source states none
 * allele       the kind of each gene's allele, in the order of genes, joined
 *              by ',': deletion, DAmP, ts (temperature-sensitive),
 *              suppressor (a deletion carrying a suppressor mutation), or
 *              empty when unknown; the whole cell is empty when all are
 * labels       the four labels of pert.h; NA when missing (never 0)
 * count        how many distinct measurements the row merges
 * id, source   the first merged measurement's identifier, and its source
 *
 * Lines starting with '#' are comments; a header line comes first.  When
 * reading, only genes is required; missing label columns are NA, a
 * missing count is 1, and other columns are ignored.
 *
 * Merging (exp_merger): rows with the same genes (in any case: SGD's names
 * are case-insensitive, so yal001c is YAL001C) and environment are one
 * experiment, spelled as its measurement with the smallest id spells it.  Labels are averaged (weighted by count), the
 * fitness_std becomes the standard deviation of the pooled measurements
 * (the mean of the variances plus the variance of the means), the p-value
 * the largest one (the merged interaction is significant only if every
 * measurement was), and count the sum.  A measurement whose four labels are
 * identical to another's in the group is the same measurement listed
 * twice (e.g. Costanzo 2016 lists one allele under a query and an array
 * strain id) and counts once.  Merged rows come out in a fixed
 * pseudo-random order: by the XXH64 of the genes cell in upper case (seed
 * EXP_ORDER_SEED), then by that cell and the environment, so experiments of one gene are
 * spread over the whole table and chunks and batches mix genes; the order
 * does not depend on the order of the input.
 */
#ifndef CP_EXP_TABLE_H
#define CP_EXP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "pert.h"
#include "textio.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EXP_MAX_GENES 16
#define EXP_ORDER_SEED 0x6f72646572ULL
#define EXP_MERGE_MEMORY_MIB 256	/* default sort buffer of exp_merger */

extern const char *const exp_columns[];	/* the column names, in order */
#define EXP_N_COLUMNS 10

/* The longest gene name a row may hold. */
#define EXP_MAX_NAME 255

typedef struct exp_row {
	size_t n_genes;
	const char *genes[EXP_MAX_GENES];
	const char *allele[EXP_MAX_GENES];	/* per gene; "" when unknown */
	const char *environment;		/* "" when none */
	const char *id;
	const char *source;
	double label[PERT_N_LABELS];		/* NaN when missing */
	int64_t count;				/* >= 1 */
} exp_row;

/* An empty row: no genes, "" strings, NaN labels, count 1. */
void exp_row_init(exp_row *row);
/* Sort the genes (alleles follow) by their upper case, then as spelled.
 * -1 when a gene is listed twice, in any case. */
int exp_row_sort(exp_row *row, cp_error *err);
/* Sort, then check a row fit to write: genes, a positive count, text
 * cells without tabs or line breaks (nor commas in genes and alleles),
 * labels finite or NaN, fitness_std not negative, the p-value in [0, 1]. */
int exp_row_check(exp_row *row, cp_error *err);
/* Append the genes cell ("A,B") to out.  Genes should be sorted. */
int exp_row_join_genes(const exp_row *row, cp_buf *out, cp_error *err);
/* The order of merged rows: XXH64 of the genes cell in upper case, then
 * that cell; cells that differ only in case compare equal. */
uint64_t exp_genes_hash(const char *genes_cell, size_t len);
int exp_genes_compare(const char *a, size_t alen, const char *b, size_t blen);

/* ---- writing --------------------------------------------------------------- */

/* Append the header line, or one row, with its "\n". */
int exp_format_header(cp_buf *out, cp_error *err);
int exp_format_row(const exp_row *row, cp_buf *out, cp_error *err);

/* ---- reading --------------------------------------------------------------- */

typedef struct exp_reader exp_reader;

/* Open an experiments TSV (plain, .gz or .zst; "-" = stdin) and read its
 * header.  Errors name FILE:LINE and the column. */
exp_reader *exp_reader_open(const char *path, cp_error *err);
/* The same for an input already open whose header line was read: the
 * reader takes in (closed also on failure); header is split in place. */
exp_reader *exp_reader_open_input(cp_input *in, char *header, cp_error *err);
/* 1 and a row with sorted genes (strings valid until the next call), 0 at
 * the end, -1 on error. */
int exp_reader_next(exp_reader *r, exp_row *row, cp_error *err);
const char *exp_reader_name(const exp_reader *r);
size_t exp_reader_line(const exp_reader *r);
/* Whether the header had the column (e.g. "count"). */
int exp_reader_has_column(const exp_reader *r, const char *name);
void exp_reader_close(exp_reader *r);

/* ---- merging --------------------------------------------------------------- */

typedef struct exp_merge_stats {
	size_t rows;		/* rows added */
	size_t identical;	/* rows that repeated another's labels in their group */
	size_t merged;		/* rows written (experiments) */
	size_t runs;		/* scratch runs of the external sort */
} exp_merge_stats;

typedef struct exp_merger exp_merger;

/* memory bounds the sort buffer (0 = the default of extsort.h); beyond
 * it rows are sorted in runs on scratch files. */
exp_merger *exp_merger_new(size_t memory, cp_error *err);
void exp_merger_free(exp_merger *m);
/* Add a row (genes in any order; strings are copied).  No field may hold a
 * tab or a newline. */
int exp_merger_add(exp_merger *m, const exp_row *row, cp_error *err);
int exp_merger_finish(exp_merger *m, cp_error *err);
/* 1 and the next merged row (valid until the next call), 0 at the end. */
int exp_merger_next(exp_merger *m, exp_row *row, cp_error *err);
const exp_merge_stats *exp_merger_stats(const exp_merger *m);

#ifdef __cplusplus
}
#endif

#endif
