/* table.c - row-by-row delimited tables on libcsv. */
#define _GNU_SOURCE
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "textio.h"

struct cp_table {
	cp_input *in;
	struct csv_parser csv;
	int csv_ready;
	int comments;
	/* the row being assembled by the callbacks */
	cp_buf text;		/* field bytes, each NUL-terminated */
	size_t *offsets;
	size_t nfields, cap;
	char **fields;
	size_t fields_cap;
	int row_done;
	int failed;
	size_t row_line, cur_line;
	int at_eof;
};

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void on_field(void *s, size_t len, void *data)
{
	cp_table *t = data;

	if (t->failed)
		return;
	if (t->nfields == 0)
		t->row_line = t->cur_line;
	if (t->nfields == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		size_t *p = realloc(t->offsets, cap * sizeof *p);

		if (!p) {
			t->failed = 1;
			return;
		}
		t->offsets = p;
		t->cap = cap;
	}
	t->offsets[t->nfields++] = t->text.len;
	if (cp_buf_append(&t->text, s ? s : "", s ? len : 0, NULL) < 0 ||
	    cp_buf_append(&t->text, "", 1, NULL) < 0)
		t->failed = 1;
}

static void on_row(int c, void *data)
{
	cp_table *t = data;

	(void)c;
	t->row_done = 1;
}

/* libcsv's message, with its strict-mode parse error said plainly */
static const char *csv_message(struct csv_parser *p)
{
	if (csv_error(p) == CSV_EPARSE)
		return "a quote out of place or never closed";
	return csv_strerror(csv_error(p));
}

cp_table *cp_table_open(const char *path, const cp_table_options *opts, cp_error *err)
{
	cp_table *t = calloc(1, sizeof *t);

	if (!t) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	t->in = cp_input_open(path, err);
	if (!t->in) {
		free(t);
		return NULL;
	}
	if (csv_init(&t->csv, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
		cp_error_set(err, "out of memory");
		cp_table_close(t);
		return NULL;
	}
	t->csv_ready = 1;
	csv_set_delim(&t->csv, (unsigned char)(opts && opts->delim ? opts->delim : '\t'));
	csv_set_quote(&t->csv, opts && opts->quoted ? CSV_QUOTE : 0);
	csv_set_space_func(&t->csv, no_space);
	/* libcsv grows a field's buffer by this much at a time (128 bytes by
	 * default): with a realloc that always moves, as a sanitizer's does, a
	 * long field then costs time quadratic in its length */
	csv_set_blk_size(&t->csv, (size_t)1 << 16);
	t->comments = opts ? opts->comments : 1;
	return t;
}

int cp_table_next(cp_table *t, size_t *n, char ***fields, cp_error *err)
{
	t->nfields = 0;
	t->text.len = 0;
	t->row_done = 0;
	while (!t->row_done) {
		char *line;
		size_t len;
		int rc;

		if (t->at_eof)
			return 0;
		rc = cp_input_getline(t->in, &line, &len, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			t->at_eof = 1;
			if (csv_fini(&t->csv, on_field, on_row, t) != 0)
				return cp_error_set(err, "%s:%zu: %s", cp_input_name(t->in), t->cur_line,
						    csv_message(&t->csv));
			if (!t->row_done)
				return 0;
			break;
		}
		t->cur_line = cp_input_lineno(t->in);
		/* (a line's CR LF end is gone: libcsv would end a row at any other CR) */
		if (memchr(line, '\r', len))
			return cp_error_set(err, "%s:%zu: a carriage return (CR) inside the line",
					    cp_input_name(t->in), t->cur_line);
		/* pstate 0: no row begun, so a '#' here starts a comment line */
		if (t->comments && t->csv.pstate == 0 && t->nfields == 0 && line[0] == '#')
			continue;
		line[len] = '\n';
		if (csv_parse(&t->csv, line, len + 1, on_field, on_row, t) != len + 1)
			return cp_error_set(err, "%s:%zu: %s", cp_input_name(t->in), t->cur_line,
					    csv_message(&t->csv));
		line[len] = '\0';
		if (t->failed)
			return cp_error_set(err, "out of memory");
	}
	if (t->nfields > t->fields_cap) {
		char **p = realloc(t->fields, t->nfields * sizeof *p);

		if (!p)
			return cp_error_set(err, "out of memory");
		t->fields = p;
		t->fields_cap = t->nfields;
	}
	for (size_t i = 0; i < t->nfields; i++)
		t->fields[i] = t->text.data + t->offsets[i];
	*n = t->nfields;
	*fields = t->fields;
	return 1;
}

size_t cp_table_lineno(const cp_table *t)
{
	return t->row_line;
}

const char *cp_table_name(const cp_table *t)
{
	return cp_input_name(t->in);
}

void cp_table_close(cp_table *t)
{
	if (!t)
		return;
	if (t->csv_ready)
		csv_free(&t->csv);
	cp_input_close(t->in);
	cp_buf_free(&t->text);
	free(t->offsets);
	free(t->fields);
	free(t);
}
