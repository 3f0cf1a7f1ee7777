/*
 * table.h - delimited tables (TSV, CSV) read row by row with libcsv, over
 * any input textio.h opens (plain, .gz, .zst, stdin).
 *
 * Fields are taken exactly as written (no trimming).  With quoting on, a
 * field in double quotes may hold the delimiter, newlines and "" for a
 * quote, as in RFC 4180; with it off, quotes are ordinary characters (the
 * IANA TSV convention).  Blank lines are skipped; lines starting with '#'
 * are skipped when comments are on.
 */
#ifndef CP_TABLE_H
#define CP_TABLE_H

#include <stddef.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_table cp_table;

typedef struct cp_table_options {
	char delim;		/* '\t' (default when 0) or ',' ... */
	int quoted;		/* honour "..." quoting */
	int comments;		/* skip lines starting with '#' */
} cp_table_options;

/* opts may be NULL: tab-separated, no quoting, '#' comments skipped. */
cp_table *cp_table_open(const char *path, const cp_table_options *opts, cp_error *err);
/*
 * Next row.  Returns 1 and sets *n and *fields (NUL-terminated strings,
 * valid until the next call), 0 at the end, -1 on error.
 */
int cp_table_next(cp_table *t, size_t *n, char ***fields, cp_error *err);
/* Line on which the row last returned started (1-based). */
size_t cp_table_lineno(const cp_table *t);
const char *cp_table_name(const cp_table *t);
void cp_table_close(cp_table *t);

#ifdef __cplusplus
}
#endif

#endif
