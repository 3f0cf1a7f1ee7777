/*
 * strmap.h - string -> integer maps (gene names, GO ids, aliases).
 *
 * Open addressing with linear probing; keys are copied into the map.  A
 * case-insensitive map compares and hashes ASCII letters without case
 * (systematic names, standard names and aliases are matched that way).
 */
#ifndef CP_STRMAP_H
#define CP_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_strmap cp_strmap;

cp_strmap *cp_strmap_new(int case_insensitive, cp_error *err);
void cp_strmap_free(cp_strmap *m);
/*
 * Map key to value.  Returns 0 when the key was new, 1 when it was already
 * there (the old value is kept and stored in *existing if not NULL), -1 on
 * error.
 */
int cp_strmap_put(cp_strmap *m, const char *key, int64_t value, int64_t *existing,
		  cp_error *err);
/* Replace or insert; -1 on error. */
int cp_strmap_set(cp_strmap *m, const char *key, int64_t value, cp_error *err);
/* 1 and *value when found, 0 when not. */
int cp_strmap_get(const cp_strmap *m, const char *key, int64_t *value);
/* The same for a key of len bytes, not NUL-terminated. */
int cp_strmap_getn(const cp_strmap *m, const char *key, size_t len, int64_t *value);
size_t cp_strmap_size(const cp_strmap *m);
/* Every entry, keys in ascending byte order (deterministic output).  keys
 * and values must hold cp_strmap_size(m) entries; keys point into the map. */
void cp_strmap_entries(const cp_strmap *m, const char **keys, int64_t *values);

#ifdef __cplusplus
}
#endif

#endif
