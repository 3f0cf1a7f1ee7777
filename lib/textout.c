/* textout.c - whole-or-nothing text outputs. */
#define _GNU_SOURCE
#include "textout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cp_textout {
	FILE *fp;
	char *path, *tmp;	/* tmp NULL for standard output */
};

cp_textout *cp_textout_open(const char *path, cp_error *err)
{
	cp_textout *t = calloc(1, sizeof *t);
	int fd;

	if (!t) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		t->fp = stdout;
		return t;
	}
	t->path = cp_strdup(path, err);
	if (!t->path)
		goto fail;
	fd = cp_tmp_create(path, &t->tmp, err);
	if (fd < 0)
		goto fail;
	t->fp = fdopen(fd, "w");
	if (!t->fp) {
		cp_error_errno(err, path);
		close(fd);
		goto fail;
	}
	return t;
fail:
	cp_textout_abort(t);
	return NULL;
}

int cp_textout_write(cp_textout *t, const void *data, size_t len, cp_error *err)
{
	if (len && fwrite(data, 1, len, t->fp) != len)
		return cp_error_errno(err, t->path ? t->path : "standard output");
	return 0;
}

int cp_textout_flush_buf(cp_textout *t, cp_buf *b, cp_error *err)
{
	int rc = cp_textout_write(t, b->data, b->len, err);

	b->len = 0;
	return rc;
}

int cp_textout_close(cp_textout *t, cp_error *err)
{
	int rc = 0;

	if (!t)
		return 0;
	if (!t->tmp) {
		if (fflush(t->fp) != 0 || ferror(t->fp))
			rc = cp_error_errno(err, "standard output");
		free(t);
		return rc;
	}
	if (fclose(t->fp) != 0) {
		t->fp = NULL;
		cp_error_errno(err, t->path);
		cp_textout_abort(t);
		return -1;
	}
	t->fp = NULL;
	rc = cp_tmp_commit(t->tmp, t->path, err);
	free(t->tmp);
	free(t->path);
	free(t);
	return rc;
}

void cp_textout_abort(cp_textout *t)
{
	if (!t)
		return;
	if (t->tmp) {
		if (t->fp)
			fclose(t->fp);
		cp_tmp_discard(t->tmp);
		free(t->tmp);
	}
	free(t->path);
	free(t);
}
