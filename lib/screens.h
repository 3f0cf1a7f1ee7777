/*
 * screens.h - readers of published yeast phenotype screens, turning each
 * row into measurements of the experiments TSV (experiments.h).
 *
 * Every reader streams: one line in memory at a time, whatever the size of
 * the file (the full Costanzo 2016 screens have 20 M rows).  Columns are
 * found by their published header names, so a reordered file still reads;
 * a missing column is an error that names it.  Numbers that are empty, NA
 * or NaN are missing (NaN), never 0.
 *
 * Formats (screen_format_name):
 *   costanzo2016-smf  Costanzo 2016 Data File S1, strain ids and single mutant
 *                     fitness: "Strain ID", "Systematic gene name",
 *                     "Single mutant fitness (26°)" and "... (30°)" with their
 *                     "stddev"; two measurements per strain, environments 26C
 *                     and 30C.
 *   sga               Costanzo 2016 SGA_ExE.txt, SGA_NxN.txt, SGA_ExN_NxE.txt,
 *                     SGA_DAmP.txt: "Query Strain ID", "Array Strain ID",
 *                     "Arraytype/Temp" (DMA30, TSA26, ...: environment 30C,
 *                     26C), "Genetic interaction score (ε)", "P-value",
 *                     "Double mutant fitness" and its "standard deviation".
 *   dcell             DCell's Costanzo 2016 subsets: "K ORF1 .. ORFK score",
 *                     whitespace-separated, the score being the genetic
 *                     interaction; no environment.
 *   kuzmin2018        Kuzmin 2018 Data S1 (trigenic screens): "Query strain ID"
 *                     (genes joined by '+'), "Array strain ID", "Combined mutant
 *                     type", "Adjusted genetic interaction score (epsilon or
 *                     tau)", "P-value", "Combined mutant fitness" and its
 *                     "standard deviation"; allele kinds from the allele names
 *                     when present.
 *   kuzmin2018-subset a subset of Data S1 published with
 *                     kg-box-emb: row number, "Query strain ID", "Array strain
 *                     ID", "P-value", "Combined mutant fitness" (+ std) and the
 *                     sorted genes g1 g2 g3, checked against the strain ids.
 *   yeastphenome      yeastphenome.org value tables: "orf", then one column per
 *                     condition "ploidy | phenotype | condition [| medium] |
 *                     reference"; growth phenotypes become fitness in the
 *                     environment "condition[; medium]", other phenotypes (cell
 *                     size, shape) are skipped.
 *   experiments       an experiments TSV, to merge several or re-sort one.
 *
 * Strain ids end in an allele suffix: _sn, _dma (deletion), _tsq, _tsa
 * (ts), _damp (DAmP), _S (suppressor), _tm (Kuzmin query strain); the part
 * before the first '_' holds the systematic name(s).
 *
 * The HO dummy.  Kuzmin 2018 query strains carry a deletion of HO
 * (YDL227C), the mating-type switch endonuclease, which is silent in these
 * haploid strains; it is there so that digenic and trigenic query strains
 * carry the same markers.  It is not a perturbation of interest: the
 * deleted set is the query gene(s) plus the array gene, so YDL227C is
 * dropped from query strains (counted in ho_removed) unless keep_ho is set.
 */
#ifndef CP_SCREENS_H
#define CP_SCREENS_H

#include <stddef.h>

#include "cp_base.h"
#include "exp_table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum screen_format {
	SCREEN_AUTO = 0,
	SCREEN_COSTANZO2016_SMF,
	SCREEN_SGA,
	SCREEN_DCELL,
	SCREEN_KUZMIN2018,
	SCREEN_KUZMIN2018_SUBSET,
	SCREEN_YEASTPHENOME,
	SCREEN_EXPERIMENTS,
	SCREEN_FORMAT_COUNT
} screen_format;

#define SCREEN_HO "YDL227C"

const char *screen_format_name(screen_format f);
/* 0 and the format for a name ("auto" included), -1 if unknown. */
int screen_format_parse(const char *name, screen_format *out);

typedef struct screen_options {
	screen_format format;		/* SCREEN_AUTO: recognised by the header */
	const char *source;		/* source column; NULL: the format's name */
	const char *environment;	/* for formats without one; NULL: "" */
	int keep_ho;			/* keep YDL227C in Kuzmin query strains */
} screen_options;

typedef struct screen_stats {
	size_t lines;		/* data lines read */
	size_t measurements;	/* measurements returned */
	size_t no_label;	/* measurements without any label, skipped */
	size_t same_gene;	/* both alleles of one gene (e.g. a ts query x a DAmP
				   array of the same gene), skipped */
	size_t ho_removed;	/* HO dummy deletions dropped from measurements returned */
	size_t skipped_columns;	/* yeastphenome: non-growth phenotypes */
	size_t unknown_allele;	/* strain ids with an unrecognised suffix */
	size_t by_genes[4];	/* measurements with 1, 2, 3 and more genes */
} screen_stats;

typedef struct screen_reader screen_reader;

screen_reader *screen_open(const char *path, const screen_options *opts, cp_error *err);
void screen_close(screen_reader *r);
screen_format screen_reader_format(const screen_reader *r);
const screen_stats *screen_reader_stats(const screen_reader *r);
/* The input line the last measurement came from (1 = the first line). */
size_t screen_reader_lineno(const screen_reader *r);
/* 1 and the next measurement (genes sorted; strings valid until the next
 * call), 0 at the end, -1 on error ("FILE:LINE: column 'X': ..."). */
int screen_next(screen_reader *r, exp_row *row, cp_error *err);

/* The allele kind of a strain id's suffix ("dma909" -> "deletion"),
 * NULL when unrecognised. */
const char *screen_allele_kind(const char *suffix);

#ifdef __cplusplus
}
#endif

#endif
