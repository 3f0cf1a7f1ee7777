/*
 * extsort.h - sorting more lines of text than fit in memory.
 *
 * Lines are collected in a buffer of bounded size; when it is full, the
 * buffer is sorted and written to a scratch file (a "run") and refilled.
 * Reading merges the runs with a heap, so memory stays within the budget
 * whatever the number of lines, and the scratch files live only as long
 * as the sorter: they are created in $TMPDIR (or /tmp) and unlinked at
 * once, so nothing is left behind, also when the program is killed.
 *
 * Order: bytewise (memcmp), a shorter line before a longer one it
 * begins.  Equal lines are identical, so the order is total and the output
 * does not depend on the order lines were added in.
 */
#ifndef CP_EXTSORT_H
#define CP_EXTSORT_H

#include <stddef.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CP_EXTSORT_DEFAULT_MEMORY ((size_t)256 << 20)
/* More runs than this need a larger budget (each run holds an open file). */
#define CP_EXTSORT_MAX_RUNS 512

typedef struct cp_extsort cp_extsort;

/* memory: bytes for lines and their bookkeeping; 0 = the default.  At
 * least 64 KiB is used. */
cp_extsort *cp_extsort_new(size_t memory, cp_error *err);
void cp_extsort_free(cp_extsort *s);

/* Add one line of len bytes (no '\n' inside; it is not needed at the end). */
int cp_extsort_add(cp_extsort *s, const char *line, size_t len, cp_error *err);

/* End the input and prepare to read in order. */
int cp_extsort_finish(cp_extsort *s, cp_error *err);

/* The next line in order: 1 with *line (NUL-terminated, valid until the
 * next call) and *len, 0 at the end, -1 on error. */
int cp_extsort_next(cp_extsort *s, const char **line, size_t *len, cp_error *err);

/* Lines added, and runs written to scratch files (0: all fitted in memory). */
size_t cp_extsort_count(const cp_extsort *s);
size_t cp_extsort_runs(const cp_extsort *s);

#ifdef __cplusplus
}
#endif

#endif
