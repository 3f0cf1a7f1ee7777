/*
 * textio.h - reading text inputs: plain, gzip or zstd (recognised by their
 * magic bytes, so pipes work too), from a path or "-" for stdin, line by
 * line with line numbers for messages.
 */
#ifndef CP_TEXTIO_H
#define CP_TEXTIO_H

#include <stddef.h>
#include <sys/types.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_input cp_input;

typedef enum cp_compression { CP_PLAIN, CP_GZIP, CP_ZSTD } cp_compression;

/* Open path ("-" = stdin).  NULL with err set ("path: No such file"). */
cp_input *cp_input_open(const char *path, cp_error *err);
void cp_input_close(cp_input *in);
const char *cp_input_name(const cp_input *in);
cp_compression cp_input_compression(const cp_input *in);

/* Read up to n decompressed bytes; returns the count, 0 at end, -1 on error. */
ssize_t cp_input_read(cp_input *in, void *buf, size_t n, cp_error *err);

/*
 * Next line without its "\n" (and without a "\r" before it).  Returns 1
 * and sets *line and *len (valid until the next call; the line is
 * NUL-terminated and may be modified by the caller), 0 at the end, -1 on
 * error.  A line with a NUL byte is an error (binary input).  A UTF-8 byte
 * order mark before the first line is skipped.
 */
int cp_input_getline(cp_input *in, char **line, size_t *len, cp_error *err);
/* 1-based number of the line last returned. */
size_t cp_input_lineno(const cp_input *in);
/* Decompressed bytes consumed so far. */
size_t cp_input_bytes(const cp_input *in);

/* Split a line in place on one delimiter character.  Fills at most max
 * field pointers and returns the number of fields in the line (which may
 * exceed max: the excess is not split). */
size_t cp_split(char *line, char delim, char **fields, size_t max);
/* Split on runs of spaces and tabs (leading/trailing blanks ignored). */
size_t cp_split_ws(char *line, char **fields, size_t max);

#ifdef __cplusplus
}
#endif

#endif
