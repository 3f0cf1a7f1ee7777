/*
 * edge_list.h - reading gene-gene edge lists: two or three columns (gene,
 * gene, optional weight) separated by spaces or tabs, plain, gzip or zstd,
 * from a path or "-" for standard input.
 *
 * Lines starting with '#' and blank lines are skipped.  The first other
 * line is a header, and skipped, when neither of its first two fields is an
 * identifier the genome knows and its third field, if any, is not a
 * number.  Every data line must have as many columns as the first one (two,
 * or three with a finite number as weight).  Identifiers map through the
 * genome (any identifier it knows, case-insensitively); a line with an
 * identifier that does not map (unknown, or ambiguous between genes) is
 * dropped, and counted, as is each such identifier.
 *
 * Other shapes (";"-separated tables, index lists) are converted with
 * standard tools first; see pipelines/edges.mk.
 */
#ifndef CP_EDGE_LIST_H
#define CP_EDGE_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "genome.h"
#include "strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one input held. */
typedef struct edge_list_stats {
	size_t lines;		/* data lines (comments, blanks and a header excluded) */
	int header;		/* 1 when the first line was taken as a header */
	size_t pairs;		/* lines whose two identifiers mapped */
	size_t unmapped_lines;	/* lines dropped for an identifier that did not map */
	size_t unmapped;	/* identifiers that did not map (occurrences) */
	size_t ambiguous;	/* of which ambiguous between genes */
	/* every identifier that did not map -> (occurrences << 1 | ambiguous) */
	cp_strmap *ids;
} edge_list_stats;

void edge_list_stats_init(edge_list_stats *st);
void edge_list_stats_free(edge_list_stats *st);
/* Distinct identifiers that did not map. */
size_t edge_list_stats_distinct(const edge_list_stats *st);

/* Gene pairs read so far, in input order; arrays owned by the list. */
typedef struct edge_list {
	size_t n, cap;
	int32_t *src, *dst;
	float *weight;		/* n weights when weighted, else NULL */
	int weighted;		/* -1 until the first data line, then 0 or 1 */
} edge_list;

void edge_list_init(edge_list *el);
void edge_list_free(edge_list *el);

/*
 * Append the pairs of one file to el; st (initialised by the caller) gets
 * its counts.  Every file appended to one list must agree on weights.
 * Errors name the file and line: "ppi.txt:12: 4 columns, expected 2 or 3
 * (gene gene [weight])".
 */
int edge_list_read(edge_list *el, const char *path, const genome *g, edge_list_stats *st,
		   cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
