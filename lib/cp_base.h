/*
 * cp_base.h - the small things every cellpipe module needs.
 *
 * Errors: library functions never print and never exit.  They return a
 * status (0 on success, -1 on failure) and fill a caller-owned cp_error
 * with one line that names the file, the record or line, and the field.
 * Tools print that line after their own name.
 *
 * Ownership: a function that returns a pointer says who frees it.
 * Every *_free() accepts NULL.
 */
#ifndef CP_BASE_H
#define CP_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CELLPIPE_VERSION "0.1.0"

#if defined(__GNUC__) || defined(__clang__)
#define CP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CP_NORETURN __attribute__((noreturn))
#else
#define CP_PRINTF(a, b)
#define CP_NORETURN
#endif

/* One error message.  Long enough for a path, a record and a field. */
typedef struct cp_error {
	char msg[1024];
} cp_error;

/* Set the message (printf style).  Returns -1 so callers can write
 * `return cp_error_set(err, ...)`.  err may be NULL. */
int cp_error_set(cp_error *err, const char *fmt, ...) CP_PRINTF(2, 3);
int cp_error_vset(cp_error *err, const char *fmt, va_list ap);
/* Put "prefix: " in front of the existing message. */
int cp_error_prefix(cp_error *err, const char *fmt, ...) CP_PRINTF(2, 3);
/* Set the message from errno: "<what>: <strerror(errno)>". */
int cp_error_errno(cp_error *err, const char *what);

/* Checked size arithmetic: return 0 and store the result, or -1 on
 * overflow.  Every allocation whose size comes from input goes through
 * these first. */
int cp_mul_size(size_t a, size_t b, size_t *out);
int cp_add_size(size_t a, size_t b, size_t *out);

/* malloc/calloc/realloc that check the size product and set err. */
void *cp_malloc(size_t n, size_t size, cp_error *err);
void *cp_calloc(size_t n, size_t size, cp_error *err);
void *cp_realloc(void *p, size_t n, size_t size, cp_error *err);
char *cp_strdup(const char *s, cp_error *err);
/* Aligned allocation (align a power of two >= sizeof(void *)); free with
 * free(). */
void *cp_aligned_alloc(size_t align, size_t size, cp_error *err);
/* qsort, but nothing to do for fewer than two items: then base may be NULL
 * (an empty list never allocated), which qsort itself does not allow. */
static inline void cp_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}
/* n x size bytes for a large table read at random places: aligned to 2 MiB
 * and, where the system offers them, in huge pages (fewer TLB misses);
 * zeroed if zero is set; free with free(). */
void *cp_big_alloc(size_t n, size_t size, int zero, cp_error *err);

/* 64-bit XXH64 hash (Yann Collet's published algorithm), streaming.  Used
 * for the stream checksum and for genome-list fingerprints. */
typedef struct cp_hash64 {
	uint64_t v[4];
	uint64_t total;
	uint8_t buf[32];
	size_t buflen;
	uint64_t seed;
} cp_hash64;

void cp_hash64_init(cp_hash64 *h, uint64_t seed);
void cp_hash64_update(cp_hash64 *h, const void *data, size_t len);
uint64_t cp_hash64_final(const cp_hash64 *h);
uint64_t cp_hash64_bytes(const void *data, size_t len, uint64_t seed);

/* A region allocator: many small allocations, freed together.  Blocks
 * grow geometrically; a large request gets a block of its own.  Every
 * allocation is aligned to 64 bytes so tensor data can be used with SIMD
 * and BLAS directly. */
typedef struct cp_arena_block cp_arena_block;
typedef struct cp_arena {
	cp_arena_block *head;
	size_t total;	/* bytes handed out, for accounting */
} cp_arena;

void cp_arena_init(cp_arena *a);
void *cp_arena_alloc(cp_arena *a, size_t size, cp_error *err);
char *cp_arena_strndup(cp_arena *a, const char *s, size_t len, cp_error *err);
/* Forget every allocation but keep the first block for reuse. */
void cp_arena_reset(cp_arena *a);
void cp_arena_free(cp_arena *a);

/* Temporary output files.  A tool writes FILE.tmp.XXXXXX next to FILE and
 * renames it over FILE only when everything succeeded; on an error, or on
 * SIGINT/SIGTERM/SIGHUP/SIGPIPE, every registered temporary is removed (a
 * signal the program was started with ignored stays ignored).
 * cp_tmp_create returns an open descriptor and fills tmp_path (owned by
 * the caller, free()).  */
int cp_tmp_create(const char *final_path, char **tmp_path, cp_error *err);
/* Rename tmp_path over final_path and forget it. */
int cp_tmp_commit(const char *tmp_path, const char *final_path, cp_error *err);
/* Remove tmp_path and forget it.  Safe on NULL. */
void cp_tmp_discard(const char *tmp_path);
/* -1 with err set when final_path is now one of the inputs (below): for a
 * program with two outputs, which checks both before committing either. */
int cp_tmp_check(const char *tmp_path, const char *final_path, cp_error *err);
/* Whether two output paths name the same file (the same name, the same
 * existing file, or the same place once directories and symbolic links
 * are resolved). */
int cp_same_output(const char *a, const char *b);

/* Remove what a writer of final_path killed mid-write left behind: the
 * files named final_path.tmp.XXXXXX (XXXXXX six characters; beside the
 * file, for a symbolic link to one), but not one that a run writing the
 * same output now holds (cp_tmp_create locks it until cp_tmp_commit or
 * cp_tmp_discard).  For a program resuming that output; returns how many
 * it removed. */
int cp_tmp_sweep(const char *final_path);
/* Temporary output directories, the same way: cp_tmp_dir_create makes
 * FINAL.tmp.XXXXXX (tmp_dir owned by the caller; removed with everything
 * in it on the handled signals); cp_tmp_dir_commit puts it in place of
 * final_dir, replacing what was there in one step where the file system
 * can (renameat2 RENAME_EXCHANGE), and removes the old one; on failure it
 * removes tmp_dir.  Neither frees tmp_dir. */
int cp_tmp_dir_create(const char *final_dir, char **tmp_dir, cp_error *err);
int cp_tmp_dir_commit(const char *tmp_dir, const char *final_dir, cp_error *err);
/* Remove tmp_dir with everything in it and forget it.  Safe on NULL. */
void cp_tmp_dir_discard(const char *tmp_dir);
/* fork() for a child that writes in a temporary: the signal handlers kill
 * it and wait for it before removing the temporaries, from the moment it
 * exists (the signals are held over the fork); in the child, the handled
 * signals are back to their defaults.  Once the child is waited for, say
 * so with cp_tmp_child(0). */
pid_t cp_tmp_fork(void);
/* Remove every registered temporary now, for a process about to _exit
 * from a thread that cannot unwind the others. */
void cp_tmp_abandon(void);
void cp_tmp_child(pid_t pid);
/* Remove a file, or a directory with everything in it (not following
 * symbolic links); async-signal-safe.  0, or -1 with errno. */
int cp_remove_tree(const char *path);
/* Install the signal handlers that remove registered temporaries (for the
 * handled signals not ignored at start, as under nohup), and
 * ignore SIGXFSZ so that a write past the file-size limit fails (EFBIG)
 * and is reported like any other write error.  Idempotent. */
void cp_tmp_install_signal_handlers(void);
/* An output never replaces an input: readers note each regular file they
 * open (cp_inputs_note; path NULL for standard input), and cp_tmp_create
 * and cp_tmp_commit refuse a final_path that is one of them, unless a
 * program that rewrites its input on purpose forgets it first
 * (cp_inputs_forget).  A final_path that is a device or a pipe, or
 * standard output or error under another name (/dev/stdout), is written
 * in place (tmp_path is then "", and commit and discard do nothing); a
 * symbolic link to a file has that file replaced, not the link. */
void cp_inputs_note(int fd, const char *path);
void cp_inputs_forget(const char *path);

/* An input path as messages name it: "<stdin>" for "-", else the path. */
const char *cp_path_name(const char *path);

/* Parse helpers: whole-string conversions with range checks.  Return 0 on
 * success, -1 if the text is not a number of that kind.  cp_parse_f64
 * takes decimal text, "inf", "infinity" and "nan" in any case (callers
 * that need a finite value check for it), never a hexadecimal float. */
int cp_parse_i64(const char *s, int64_t *out);
int cp_parse_f64(const char *s, double *out);
/* Lower-case ASCII copy compare. */
int cp_strcasecmp_ascii(const char *a, const char *b);

/* Dynamic array of bytes (growable buffer). */
typedef struct cp_buf {
	char *data;
	size_t len, cap;
} cp_buf;
int cp_buf_reserve(cp_buf *b, size_t need, cp_error *err);
int cp_buf_append(cp_buf *b, const void *p, size_t n, cp_error *err);
int cp_buf_printf(cp_buf *b, cp_error *err, const char *fmt, ...) CP_PRINTF(3, 4);
void cp_buf_free(cp_buf *b);

#ifdef __cplusplus
}
#endif

#endif
