/* extsort.c - external merge sort of text lines. */
#define _GNU_SOURCE
#include "extsort.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	const char *p;
	size_t len;
} line_ref;

typedef struct {
	FILE *fp;
	char *line;	/* current line (getline buffer) */
	size_t cap;
	size_t len;
} run;

struct cp_extsort {
	size_t memory;
	char *bytes;		/* lines of the current buffer, each ending in NUL */
	size_t bytes_len, bytes_cap;
	line_ref *refs;
	size_t n_refs, refs_cap;
	size_t count;
	run *runs;
	size_t n_runs;
	int finished;
	size_t next_ref;	/* in-memory reading */
	size_t *heap;		/* run indices, smallest line on top */
	size_t heap_len;
	int pending;		/* run whose line was returned last, -1 none */
};

static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

static int compare_refs(const void *x, const void *y)
{
	const line_ref *a = x, *b = y;

	return compare_bytes(a->p, a->len, b->p, b->len);
}

/* three quarters for the bytes, the rest for the references */
static void set_memory(cp_extsort *s, size_t memory)
{
	s->memory = memory;
	s->bytes_cap = memory / 4 * 3;
	s->refs_cap = (memory - s->bytes_cap) / sizeof(line_ref);
}

cp_extsort *cp_extsort_new(size_t memory, cp_error *err)
{
	cp_extsort *s = calloc(1, sizeof *s);

	if (!s) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	if (!memory)
		memory = CP_EXTSORT_DEFAULT_MEMORY;
	if (memory < ((size_t)64 << 10))
		memory = (size_t)64 << 10;
	set_memory(s, memory);
	s->pending = -1;
	return s;
}

void cp_extsort_free(cp_extsort *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_runs; i++) {
		if (s->runs[i].fp)
			fclose(s->runs[i].fp);
		free(s->runs[i].line);
	}
	free(s->runs);
	free(s->bytes);
	free(s->refs);
	free(s->heap);
	free(s);
}

/* An anonymous scratch file: created, then unlinked at once. */
static FILE *scratch_file(cp_error *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *fp;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/cellpipe-sort.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0) {
		cp_error_errno(err, path);
		return NULL;
	}
	unlink(path);
	fp = fdopen(fd, "w+");
	if (!fp) {
		cp_error_errno(err, path);
		close(fd);
	}
	return fp;
}

static int spill(cp_extsort *s, cp_error *err)
{
	run *runs;
	FILE *fp;

	if (s->n_runs >= CP_EXTSORT_MAX_RUNS)
		return cp_error_set(err, "sorting needs more than %d scratch runs: give it more "
				    "memory", CP_EXTSORT_MAX_RUNS);
	cp_sort(s->refs, s->n_refs, sizeof *s->refs, compare_refs);
	fp = scratch_file(err);
	if (!fp)
		return -1;
	for (size_t i = 0; i < s->n_refs; i++) {
		if (fwrite(s->refs[i].p, 1, s->refs[i].len, fp) != s->refs[i].len ||
		    putc('\n', fp) == EOF) {
			cp_error_errno(err, "writing a sort scratch file");
			fclose(fp);
			return -1;
		}
	}
	if (fflush(fp) != 0) {
		cp_error_errno(err, "writing a sort scratch file");
		fclose(fp);
		return -1;
	}
	runs = realloc(s->runs, (s->n_runs + 1) * sizeof *runs);
	if (!runs) {
		fclose(fp);
		return cp_error_set(err, "out of memory");
	}
	s->runs = runs;
	memset(&s->runs[s->n_runs], 0, sizeof *s->runs);
	s->runs[s->n_runs++].fp = fp;
	s->n_refs = 0;
	s->bytes_len = 0;
	return 0;
}

int cp_extsort_add(cp_extsort *s, const char *line, size_t len, cp_error *err)
{
	if (s->finished)
		return cp_error_set(err, "line added after the sort finished");
	if (memchr(line, '\n', len))
		return cp_error_set(err, "a line to sort holds a newline");
	if (len >= s->bytes_cap)
		return cp_error_set(err, "a line of %zu bytes is longer than the sort buffer", len);
	if (s->n_refs == s->refs_cap || s->bytes_len + len + 1 > s->bytes_cap) {
		if (spill(s, err) < 0)
			return -1;
	}
	if (!s->bytes) {
		/* the buffer asked for or, where the memory will not hold it,
		 * the largest half, quarter, ... of it down to 1 MiB that it
		 * will: a smaller one only spills more often (the order is the
		 * same, every line compared whole) */
		while (!(s->bytes = malloc(s->bytes_cap)) ||
		       !(s->refs = malloc(s->refs_cap * sizeof *s->refs))) {
			size_t asked = s->memory;

			free(s->bytes);
			s->bytes = NULL;
			if (s->memory / 2 < ((size_t)1 << 20))
				return cp_error_set(err, "out of memory for a sort buffer of %zu bytes "
						    "(nor half of it, down to 1 MiB)", asked);
			set_memory(s, s->memory / 2);
		}
		if (len >= s->bytes_cap)
			return cp_error_set(err, "a line of %zu bytes is longer than the sort buffer", len);
	}
	memcpy(s->bytes + s->bytes_len, line, len);
	s->bytes[s->bytes_len + len] = '\0';
	s->refs[s->n_refs].p = s->bytes + s->bytes_len;
	s->refs[s->n_refs].len = len;
	s->n_refs++;
	s->bytes_len += len + 1;
	s->count++;
	return 0;
}

static int run_compare(const cp_extsort *s, size_t a, size_t b)
{
	return compare_bytes(s->runs[a].line, s->runs[a].len, s->runs[b].line, s->runs[b].len);
}

static void sift_down(cp_extsort *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < s->heap_len && run_compare(s, s->heap[l], s->heap[m]) < 0)
			m = l;
		if (r < s->heap_len && run_compare(s, s->heap[r], s->heap[m]) < 0)
			m = r;
		if (m == i)
			return;
		t = s->heap[i], s->heap[i] = s->heap[m], s->heap[m] = t;
		i = m;
	}
}

/* Read the next line of run r: 1, 0 at its end, -1 on error. */
static int run_advance(run *r, cp_error *err)
{
	ssize_t n;

	errno = 0;
	n = getline(&r->line, &r->cap, r->fp);
	if (n < 0) {
		if (ferror(r->fp))
			return cp_error_errno(err, "reading a sort scratch file");
		return 0;
	}
	if (n > 0 && r->line[n - 1] == '\n')
		r->line[--n] = '\0';
	r->len = (size_t)n;
	return 1;
}

int cp_extsort_finish(cp_extsort *s, cp_error *err)
{
	if (s->finished)
		return 0;
	s->finished = 1;
	if (s->n_runs == 0) {
		if (s->n_refs)
			cp_sort(s->refs, s->n_refs, sizeof *s->refs, compare_refs);
		return 0;
	}
	if (s->n_refs && spill(s, err) < 0)
		return -1;
	free(s->bytes);
	free(s->refs);
	s->bytes = NULL;
	s->refs = NULL;
	s->heap = cp_malloc(s->n_runs, sizeof *s->heap, err);
	if (!s->heap)
		return -1;
	for (size_t i = 0; i < s->n_runs; i++) {
		int rc;

		if (fseek(s->runs[i].fp, 0, SEEK_SET) != 0)
			return cp_error_errno(err, "rewinding a sort scratch file");
		rc = run_advance(&s->runs[i], err);
		if (rc < 0)
			return -1;
		if (rc)
			s->heap[s->heap_len++] = i;
	}
	for (size_t i = s->heap_len; i-- > 0;)
		sift_down(s, i);
	return 0;
}

int cp_extsort_next(cp_extsort *s, const char **line, size_t *len, cp_error *err)
{
	if (!s->finished)
		return cp_error_set(err, "sorted lines read before the sort finished");
	if (s->n_runs == 0) {
		if (s->next_ref == s->n_refs)
			return 0;
		*line = s->refs[s->next_ref].p;
		*len = s->refs[s->next_ref].len;
		s->next_ref++;
		return 1;
	}
	if (s->pending >= 0) {
		int rc = run_advance(&s->runs[s->pending], err);

		if (rc < 0)
			return -1;
		if (!rc)
			s->heap[0] = s->heap[--s->heap_len];
		sift_down(s, 0);
		s->pending = -1;
	}
	if (s->heap_len == 0)
		return 0;
	s->pending = (int)s->heap[0];
	*line = s->runs[s->pending].line;
	*len = s->runs[s->pending].len;
	return 1;
}

size_t cp_extsort_count(const cp_extsort *s)
{
	return s->count;
}

size_t cp_extsort_runs(const cp_extsort *s)
{
	return s->n_runs;
}
