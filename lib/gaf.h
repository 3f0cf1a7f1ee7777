/*
 * gaf.h - GO annotation files (GAF 2.x; 1.0 also reads), row by row, from
 * a plain, .gz or .zst file or "-" for standard input.
 *
 * A row is 17 tab-separated columns (15 in GAF 1.0; trailing empty
 * columns may be missing); lines starting with '!' are comments, and a
 * "!gaf-version: X" comment names the version (major 1 or 2 accepted).
 * Each row is checked: the object id (column 2), GO id (5), evidence code
 * (7, one of GO's), aspect (9, P, F or C) and date (14, YYYYMMDD) must be
 * present and well formed.  An error names the file, the line and the column.
 */
#ifndef CP_GAF_H
#define CP_GAF_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	GAF_DB = 0, GAF_OBJECT_ID, GAF_SYMBOL, GAF_QUALIFIER, GAF_GO_ID, GAF_REFERENCE,
	GAF_EVIDENCE, GAF_WITH, GAF_ASPECT, GAF_OBJECT_NAME, GAF_SYNONYMS, GAF_OBJECT_TYPE,
	GAF_TAXON, GAF_DATE, GAF_ASSIGNED_BY, GAF_EXTENSION, GAF_PRODUCT_FORM, GAF_COLUMNS
};

/* One row.  The strings point into the reader's line buffer and are valid
 * until the next gaf_next; missing trailing columns are "". */
typedef struct gaf_row {
	char *col[GAF_COLUMNS];
	int negated;		/* the qualifier column holds NOT */
	int32_t date;		/* column 14 as YYYYMMDD */
	size_t line;
} gaf_row;

typedef struct gaf_reader gaf_reader;

gaf_reader *gaf_open(const char *path, cp_error *err);
/* 1 and the next row, 0 at the end, -1 on a malformed row or read error. */
int gaf_next(gaf_reader *r, gaf_row *row, cp_error *err);
const char *gaf_name(const gaf_reader *r);
/* The "!gaf-version" value, "" when the file has none. */
const char *gaf_version(const gaf_reader *r);
/* Decompressed bytes consumed so far. */
size_t gaf_bytes(const gaf_reader *r);
void gaf_close(gaf_reader *r);

/* Whether code is one of the Gene Ontology's evidence codes, current or
 * retired (EXP, IDA, ... IEA, NR); case matters. */
int gaf_evidence_known(const char *code);

/* A date as YYYYMMDD or YYYY-MM-DD into the integer YYYYMMDD; -1 if the
 * text is not a calendar date. */
int gaf_parse_date(const char *text, int32_t *out);

#ifdef __cplusplus
}
#endif

#endif
