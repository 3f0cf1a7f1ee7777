/*
 * textout.h - text outputs (TSV tables) written whole or not at all.
 *
 * A path is written through a temporary file next to it (cp_tmp_create)
 * that replaces it only when cp_textout_close succeeds, so an error or a
 * signal never leaves a partial table; "-" is standard output.
 */
#ifndef CP_TEXTOUT_H
#define CP_TEXTOUT_H

#include <stddef.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_textout cp_textout;

cp_textout *cp_textout_open(const char *path, cp_error *err);
int cp_textout_write(cp_textout *t, const void *data, size_t len, cp_error *err);
/* Write a buffer and empty it. */
int cp_textout_flush_buf(cp_textout *t, cp_buf *b, cp_error *err);
/* Flush and move the file into place; frees t in every case. */
int cp_textout_close(cp_textout *t, cp_error *err);
/* Give up: remove the temporary file.  Safe on NULL. */
void cp_textout_abort(cp_textout *t);

#ifdef __cplusplus
}
#endif

#endif
