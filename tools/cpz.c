/* cpz - inspect, dump, build and verify cellpipe tensor streams. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cell_graph.h"
#include "cli.h"
#include "cpz.h"
#include "fit.h"
#include "genome.h"
#include "go_dag.h"
#include "kernels.h"
#include "model.h"
#include "pert.h"
#include "predictions.h"
#include "table.h"

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: cpz COMMAND [options] ...\n"
		"Inspect, dump, build and verify cellpipe tensor streams (cpz(5)).\n"
		"\n"
		"Commands:\n"
		"  cat [-p N] FILE...          summary of every record\n"
		"  head [-n N] [-p N] FILE     summary of the first N records [10]\n"
		"  dump [-r N] [-i] FILE NAME  a field as TSV (every record that has it)\n"
		"  pack [options] SPEC...      build a stream from TSV columns\n"
		"  verify [-q] FILE...         check everything; exit 1 on any defect\n"
		"\n"
		"Options:\n"
		"  -h, --help      this help (also after a command)\n"
		"  -V, --version   print the version\n"
		"\n"
		"FILE may be - for standard input.  Exit status: 0 ok, 1 bad data, 2 usage.\n"
		"See cpz(1) and cpz(5).\n");
	exit(status);
}

static int open_reader(const char *path, cpz_reader **r)
{
	cp_error err;

	*r = cpz_reader_open(path, &err);
	if (!*r) {
		cli_report(&err);
		return -1;
	}
	return 0;
}

static void print_header(const cpz_reader *r)
{
	const cpz_header *h = cpz_reader_header(r);

	printf("# %s: cpz %" PRIu64 ".%" PRIu64 ", kind %s, producer \"%s\"\n", cpz_reader_name(r),
	       h->major, h->minor, h->kind, h->producer);
	if (*h->command)
		printf("# command: %s\n", h->command);
}

/* "# segment N" for each stream concatenated to the one before that the
 * reader has begun since the last call (one without records too). */
static void mark_segments(const cpz_reader *r, int *seen)
{
	while (*seen < cpz_reader_segments(r))
		printf("# segment %d\n", ++*seen);
}

/* cat and head: one line per record.  limit < 0 means all. */
static int show_records(const char *path, long limit, int preview)
{
	cpz_reader *r;
	cpz_record rec;
	cp_buf line = { 0 };
	cp_error err;
	int rc, status = CLI_OK, seen_segments = 1;
	long shown = 0;

	if (open_reader(path, &r) < 0)
		return CLI_DATA_ERROR;
	cpz_record_init(&rec);
	print_header(r);
	while (limit < 0 || shown < limit) {
		rc = cpz_reader_next(r, &rec, &err);
		if (rc < 0) {
			fflush(stdout);
			cli_report(&err);
			status = CLI_DATA_ERROR;
			break;
		}
		if (rc == 0) {
			int segs = cpz_reader_segments(r);

			mark_segments(r, &seen_segments);
			if (segs > 1)	/* as verify gives it */
				printf("# end: %" PRId64 " record%s in %d segments, checksum %016" PRIx64
				       " (the segments' chained) ok\n", cpz_reader_count(r),
				       cpz_reader_count(r) == 1 ? "" : "s", segs,
				       cpz_reader_stream_checksum(r));
			else
				printf("# end: %" PRId64 " record%s, checksum %016" PRIx64 " ok\n",
				       cpz_reader_count(r), cpz_reader_count(r) == 1 ? "" : "s",
				       cpz_reader_checksum(r));
			break;
		}
		mark_segments(r, &seen_segments);
		line.len = 0;
		if (cpz_record_summary(&rec, preview, &line, &err) < 0) {
			cli_report(&err);
			status = CLI_DATA_ERROR;
			break;
		}
		printf("[%" PRId64 "] %s\n", rec.index, line.data);
		shown++;
	}
	cp_buf_free(&line);
	cpz_record_free(&rec);
	cpz_reader_close(r);
	return status;
}

/* head's options; cat's are the same past the first (no --lines) */
static const struct option show_opts[] = {
	{ "lines", required_argument, NULL, 'n' },
	{ "preview", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_count(const char *s, const char *what, long *out)
{
	int64_t v;

	if (cp_parse_i64(s, &v) < 0 || v < 0 || v > 1000000000) {
		cli_error("%s: '%s' is not a count", what, s);
		return -1;
	}
	*out = (long)v;
	return 0;
}

static int cmd_cat(int argc, char **argv, int head)
{
	long limit = head ? 10 : -1, preview = 0;
	int c, status = CLI_OK;

	while ((c = getopt_long(argc, argv, head ? "n:p:h" : "p:h", head ? show_opts : show_opts + 1, NULL)) !=
	       -1) {
		switch (c) {
		case 'n':
			if (parse_count(optarg, "-n", &limit) < 0)
				return CLI_USAGE_ERROR;
			break;
		case 'p':
			if (parse_count(optarg, "-p", &preview) < 0)
				return CLI_USAGE_ERROR;
			break;
		case 'h':
			printf("Usage: cpz %s [-p N]%s FILE%s\n"
			       "Print a summary of each record%s: its type, then each field as\n"
			       "name=dtype[shape] (tensors), name=str[n] (string lists) or its value.\n"
			       "Fields named group.member are shown as group={member=...}.\n"
			       "  -p, --preview N  also show the first N values of each field [0]\n"
			       "%s",
			       head ? "head" : "cat", head ? " [-n N]" : "", head ? "" : "...",
			       head ? " among the first N" : "",
			       head ? "  -n, --lines N    records to show [10]\n" : "");
			return CLI_OK;
		default:
			return CLI_USAGE_ERROR;
		}
	}
	if (optind >= argc || (head && argc - optind > 1)) {
		cli_error("%s: expected %s (try cpz %s --help)", head ? "head" : "cat",
			  head ? "one FILE" : "FILE...", head ? "head" : "cat");
		return CLI_USAGE_ERROR;
	}
	for (int i = optind; i < argc; i++)
		if (show_records(argv[i], limit, (int)preview) != CLI_OK)
			status = CLI_DATA_ERROR;
	return status;
}

/* ---- dump ---------------------------------------------------------------- */

/* A string as one TSV cell: a control character written \xNN (each byte
 * of a C1 control, U+0080 to U+009F, which some terminals obey) and a
 * backslash \\, so that a tab or a line break in it cannot split the table. */
static void put_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fprintf(out, "\\xc2\\x%02x", *++p);
		else if (*p == '\\')
			fputs("\\\\", out);
		else
			fputc(*p, out);
	fputc('\n', out);
}

static void dump_field(FILE *out, const cpz_field *f, int with_index, int64_t *row)
{
	char num[64];

	switch (f->kind) {
	case CPZ_VALUE_TENSOR: {
		const cpz_tensor *t = &f->tensor;
		size_t cols = t->ndim >= 2 ? (size_t)t->shape[t->ndim - 1] : 1;
		size_t rows = cols ? t->count / cols : 0;

		if (t->ndim >= 2 && cols == 0) {
			/* rows of zero columns: still one (empty) line each */
			rows = 1;
			for (int d = 0; d < t->ndim - 1; d++)
				rows *= (size_t)t->shape[d];
		}
		for (size_t r = 0; r < rows; r++) {
			if (with_index)
				fprintf(out, "%" PRId64 "\t", (*row)++);
			for (size_t c = 0; c < cols; c++) {
				cpz_tensor_format(t, r * cols + c, num, sizeof num);
				fputs(num, out);
				fputc(c + 1 < cols ? '\t' : '\n', out);
			}
			if (cols == 0)
				fputc('\n', out);
		}
		break;
	}
	case CPZ_VALUE_STRINGS:
		for (size_t i = 0; i < f->nstrings; i++) {
			if (with_index)
				fprintf(out, "%" PRId64 "\t", (*row)++);
			put_text(out, f->strings[i]);
		}
		break;
	default:
		if (with_index)
			fprintf(out, "%" PRId64 "\t", (*row)++);
		switch (f->kind) {
		case CPZ_VALUE_INT: fprintf(out, "%" PRId64 "\n", f->i); break;
		case CPZ_VALUE_FLOAT: {
			cpz_tensor t = { .dtype = CPZ_F64, .count = 1, .data = (void *)&f->f };

			cpz_tensor_format(&t, 0, num, sizeof num);
			fprintf(out, "%s\n", num);
			break;
		}
		case CPZ_VALUE_STR: put_text(out, f->s); break;
		case CPZ_VALUE_BOOL: fprintf(out, "%d\n", f->b); break;
		default: break;
		}
	}
}

static int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "record", required_argument, NULL, 'r' },
		{ "index", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long only = -1;
	int c, with_index = 0, found = 0, status = CLI_OK, rc;
	int64_t row = 0, records = 0;
	cpz_reader *r;
	cpz_record rec;
	cp_error err;

	while ((c = getopt_long(argc, argv, "r:ih", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_count(optarg, "-r", &only) < 0)
				return CLI_USAGE_ERROR;
			break;
		case 'i':
			with_index = 1;
			break;
		case 'h':
			printf("Usage: cpz dump [-r N] [-i] FILE NAME\n"
			       "Write field NAME as tab-separated text: a 1-D tensor or string list one\n"
			       "value per line, a 2-D tensor one row per line (higher dimensions flattened\n"
			       "into rows of the last one), a scalar one line.  Records that have NAME are\n"
			       "written one after another, so chunked streams dump as one table.\n"
			       "  -r, --record N  only data record N (0-based)\n"
			       "  -i, --index     start each line with its row number\n");
			return CLI_OK;
		default:
			return CLI_USAGE_ERROR;
		}
	}
	if (argc - optind != 2) {
		cli_error("dump: expected FILE NAME (try cpz dump --help)");
		return CLI_USAGE_ERROR;
	}
	if (open_reader(argv[optind], &r) < 0)
		return CLI_DATA_ERROR;
	cpz_record_init(&rec);
	while ((rc = cpz_reader_next(r, &rec, &err)) == 1) {
		const cpz_field *f;

		records++;
		if (only >= 0 && rec.index != only)
			continue;
		f = cpz_record_field(&rec, argv[optind + 1]);
		if (!f)
			continue;
		dump_field(stdout, f, with_index, &row);
		found = 1;
	}
	if (rc < 0) {
		fflush(stdout);
		cli_report(&err);
		status = CLI_DATA_ERROR;
	} else if (only >= records) {
		cli_error("%s: no record %ld: the stream has %" PRId64 " data records", cpz_reader_name(r), only,
			  records);
		status = CLI_DATA_ERROR;
	} else if (!found) {
		cli_error("%s: no field '%s'%s", cpz_reader_name(r), argv[optind + 1],
			  only >= 0 ? " in that record" : "");
		status = CLI_DATA_ERROR;
	}
	cpz_record_free(&rec);
	cpz_reader_close(r);
	return status;	/* a failed write to standard output: cli's exit check */
}

/* ---- pack ---------------------------------------------------------------- */

typedef struct column_spec {
	char *name;
	int is_str;
	cpz_dtype dtype;
	const char *column;	/* 1-based number or header name; NULL = by position */
	size_t index;		/* resolved 0-based input column */
	cp_buf data;		/* tensor bytes, or NUL-separated strings */
	size_t n;
} column_spec;

static int parse_spec(const char *text, size_t pos, column_spec *s)
{
	char *copy = strdup(text), *colon, *eq;

	if (!copy)
		return -1;
	memset(s, 0, sizeof *s);
	eq = strchr(copy, '=');
	if (eq) {
		*eq = '\0';
		s->column = eq + 1;
	}
	colon = strchr(copy, ':');
	if (!colon || colon == copy) {
		cli_error("pack: '%s': expected NAME:TYPE[=COLUMN]", text);
		free(copy);
		return -1;
	}
	*colon = '\0';
	if (strcmp(copy, "record") == 0 || cpz_text_defect(copy, strlen(copy))) {
		cli_error("pack: '%s': %s", text, strcmp(copy, "record") == 0 ?
			  "the field name 'record' is the record type's key" : "a field name is UTF-8 text");
		free(copy);
		return -1;
	}
	if (strcmp(colon + 1, "str") == 0) {
		s->is_str = 1;
	} else if (cpz_dtype_parse(colon + 1, &s->dtype) < 0) {
		cli_error("pack: '%s': unknown type '%s' (f32 f64 i32 i64 u8 bool str)", text,
			  colon + 1);
		free(copy);
		return -1;
	}
	s->name = copy;
	s->index = pos;
	return 0;
}

static int resolve_columns(column_spec *specs, size_t nspecs, char **header, size_t nheader,
			   const char *input)
{
	for (size_t i = 0; i < nspecs; i++) {
		column_spec *s = &specs[i];
		const char *want = s->column ? s->column : (header ? s->name : NULL);
		int64_t num;

		if (!want)
			continue;	/* by position */
		if (cp_parse_i64(want, &num) == 0) {
			if (num < 1) {
				cli_error("pack: column %s: columns are numbered from 1", want);
				return -1;
			}
			s->index = (size_t)(num - 1);
			continue;
		}
		if (!header) {
			cli_error("pack: column '%s' by name needs --header", want);
			return -1;
		}
		size_t k;

		for (k = 0; k < nheader && strcmp(header[k], want) != 0; k++)
			;
		if (k == nheader) {
			cli_error("pack: %s: no column named '%s' in the header", input, want);
			return -1;
		}
		for (size_t j = k + 1; j < nheader; j++)
			if (strcmp(header[j], want) == 0) {
				cli_error("pack: %s: two columns named '%s' in the header", input, want);
				return -1;
			}
		s->index = k;
	}
	return 0;
}

static int pack_flush(cpz_writer *w, const char *type, column_spec *specs, size_t nspecs,
		      size_t rows)
{
	cpz_record rec;
	cp_error err;
	const char **strs = NULL;
	int rc = -1;

	cpz_record_init(&rec);
	if (cpz_record_reset(&rec, type, &err) < 0)
		goto out;
	for (size_t i = 0; i < nspecs; i++) {
		column_spec *s = &specs[i];

		if (s->is_str) {
			const char **list = cp_arena_alloc(&rec.arena, (rows ? rows : 1) * sizeof *list,
							  &err);
			const char *p = s->data.data;

			if (!list)
				goto out;
			for (size_t k = 0; k < rows; k++) {
				list[k] = p;
				p += strlen(p) + 1;
			}
			if (cpz_record_add_strings(&rec, s->name, rows, list, &err) < 0)
				goto out;
		} else {
			int64_t shape[1] = { (int64_t)rows };

			if (cpz_record_add_tensor(&rec, s->name, s->dtype, 1, shape,
						  s->data.data ? s->data.data : "", &err) < 0)
				goto out;
		}
	}
	if (cpz_writer_write(w, &rec, &err) < 0)
		goto out;
	rc = 0;
	for (size_t i = 0; i < nspecs; i++)
		specs[i].data.len = 0;
out:
	if (rc < 0)
		cli_report(&err);
	free(strs);
	cpz_record_free(&rec);
	return rc;
}

static int cmd_pack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "input", required_argument, NULL, 'f' },
		{ "kind", required_argument, NULL, 'k' },
		{ "type", required_argument, NULL, 't' },
		{ "rows", required_argument, NULL, 'r' },
		{ "header", no_argument, NULL, 'H' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "-", *input = "-", *kind = "table", *type = "table";
	long rows_per = 0;
	int c, header = 0, status = CLI_DATA_ERROR;
	cp_table_options topts = { '\t', 0, 1 };
	column_spec *specs = NULL;
	size_t nspecs = 0, rows = 0;
	cp_table *t = NULL;
	cpz_writer *w = NULL;
	cp_error err;

	while ((c = getopt_long(argc, argv, "o:f:k:t:r:Hd:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': input = optarg; break;
		case 'k': kind = optarg; break;
		case 't': type = optarg; break;
		case 'r':
			if (parse_count(optarg, "--rows", &rows_per) < 0)
				return CLI_USAGE_ERROR;
			break;
		case 'H': header = 1; break;
		case 'd':
			if (strlen(optarg) != 1 && strcmp(optarg, "\\t") != 0) {
				cli_error("pack: --delimiter takes one character");
				return CLI_USAGE_ERROR;
			}
			topts.delim = strcmp(optarg, "\\t") == 0 ? '\t' : optarg[0];
			break;
		case 'c': topts.delim = ','; topts.quoted = 1; break;
		case 'h':
			printf("Usage: cpz pack [options] NAME:TYPE[=COLUMN]...\n"
			       "Build a stream from the columns of a delimited table.  Each SPEC makes\n"
			       "field NAME, a 1-D tensor of TYPE (f32 f64 i32 i64 u8 bool) or a string\n"
			       "list (str), from COLUMN: a 1-based number or, with --header, a header\n"
			       "name.  Without =COLUMN, the header column called NAME, or else the\n"
			       "SPEC's own position.  Empty, NA and nan float cells are NaN.\n"
			       "  -f, --input FILE     table to read (plain, .gz or .zst) [-]\n"
			       "  -o, --output FILE    stream to write [-]\n"
			       "  -H, --header         the first row names the columns\n"
			       "  -d, --delimiter C    field separator [\\t]\n"
			       "  -c, --csv            comma-separated with \"quoting\"\n"
			       "  -k, --kind KIND      stream kind in the header [table]\n"
			       "  -t, --type TYPE      record type [table]\n"
			       "  -r, --rows N         rows per record, 0 = all in one [0]\n");
			return CLI_OK;
		default:
			return CLI_USAGE_ERROR;
		}
	}
	if (optind >= argc) {
		cli_error("pack: expected at least one NAME:TYPE (try cpz pack --help)");
		return CLI_USAGE_ERROR;
	}
	if (!*kind || cpz_text_defect(kind, strlen(kind))) {
		cli_error("pack: --kind: a stream needs a kind%s", *kind ? " in UTF-8 text" : "");
		return CLI_USAGE_ERROR;
	}
	if (cpz_text_defect(type, strlen(type))) {
		cli_error("pack: --type: a record type is UTF-8 text");
		return CLI_USAGE_ERROR;
	}
	if (!*type || strcmp(type, "end") == 0 || strcmp(type, "header") == 0) {
		cli_error("pack: --type: '%s' is not a record type (end and header are the format's own)",
			  type);
		return CLI_USAGE_ERROR;
	}
	nspecs = (size_t)(argc - optind);
	specs = calloc(nspecs, sizeof *specs);
	if (!specs)
		return CLI_DATA_ERROR;
	for (size_t i = 0; i < nspecs; i++) {
		if (parse_spec(argv[optind + (int)i], i, &specs[i]) < 0) {
			status = CLI_USAGE_ERROR;
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(specs[k].name, specs[i].name) == 0) {
				cli_error("pack: field '%s' given twice", specs[i].name);
				status = CLI_USAGE_ERROR;
				goto out;
			}
	}
	cli_binary_output(out);
	t = cp_table_open(input, &topts, &err);
	if (!t) {
		cli_report(&err);
		goto out;
	}
	{
		size_t n;
		char **fields;
		int rc;

		if (header) {
			rc = cp_table_next(t, &n, &fields, &err);
			if (rc < 0) {
				cli_report(&err);
				goto out;
			}
			if (rc == 0) {
				cli_error("pack: %s: empty input, no header", cp_table_name(t));
				goto out;
			}
			if (resolve_columns(specs, nspecs, fields, n, cp_table_name(t)) < 0) {
				status = CLI_USAGE_ERROR;
				goto out;
			}
		} else if (resolve_columns(specs, nspecs, NULL, 0, cp_table_name(t)) < 0) {
			status = CLI_USAGE_ERROR;
			goto out;
		}
		w = cpz_writer_open(out, kind, cli_producer(), cli_command(), NULL, &err);
		if (!w) {
			cli_report(&err);
			goto out;
		}
		while ((rc = cp_table_next(t, &n, &fields, &err)) == 1) {
			for (size_t i = 0; i < nspecs; i++) {
				column_spec *s = &specs[i];
				uint8_t value[8];

				if (s->index >= n) {
					cli_error("%s:%zu: column %zu (%s): missing (the row has %zu)",
						  cp_table_name(t), cp_table_lineno(t), s->index + 1, s->name,
						  n);
					goto out;
				}
				if (s->is_str) {
					if (cpz_text_defect(fields[s->index], strlen(fields[s->index]))) {
						cli_error("%s:%zu: column %zu (%s): not UTF-8 text",
							  cp_table_name(t), cp_table_lineno(t), s->index + 1,
							  s->name);
						goto out;
					}
					if (cp_buf_append(&s->data, fields[s->index],
							  strlen(fields[s->index]) + 1, &err) < 0) {
						cli_report(&err);
						goto out;
					}
				} else {
					if (cpz_parse_value(s->dtype, fields[s->index], value) < 0) {
						cli_error("%s:%zu: column %zu (%s): '%.40s' is not %s",
							  cp_table_name(t), cp_table_lineno(t), s->index + 1,
							  s->name, fields[s->index], cpz_dtype_name(s->dtype));
						goto out;
					}
					if (cp_buf_append(&s->data, value, cpz_dtype_size(s->dtype), &err) < 0) {
						cli_report(&err);
						goto out;
					}
				}
			}
			rows++;
			if (rows_per && rows == (size_t)rows_per) {
				if (pack_flush(w, type, specs, nspecs, rows) < 0)
					goto out;
				rows = 0;
			}
		}
		if (rc < 0) {
			cli_report(&err);
			goto out;
		}
	}
	if ((rows || !rows_per || cpz_writer_count(w) == 0) &&
	    pack_flush(w, type, specs, nspecs, rows) < 0)
		goto out;
	if (cpz_writer_close(w, &err) < 0) {
		w = NULL;
		cli_report(&err);
		goto out;
	}
	w = NULL;
	status = CLI_OK;
out:
	cpz_writer_abort(w);
	cp_table_close(t);
	for (size_t i = 0; i < nspecs; i++) {
		free(specs[i].name);
		cp_buf_free(&specs[i].data);
	}
	free(specs);
	return status;
}

/* ---- verify -------------------------------------------------------------- */

/* Back to where the stream starts, for another pass: standard input to
 * start (a file opened again needs nothing). */
static int rewind_input(const char *path, off_t start, cp_error *err)
{
	if (strcmp(path, "-") == 0 && lseek(STDIN_FILENO, start, SEEK_SET) < 0)
		return cp_error_errno(err, "<stdin>");
	return 0;
}

/* A second pass over a stream of a kind the tools read, with the reader
 * they use: the content checks of each kind (the genome record's hash and
 * names, a DAG's strata, a graph's indices, a model's shapes, ...).  1 when
 * checked, 0 for a kind of no tool's, -1 on a defect.  Standard input must
 * seek: start is where the stream begins in it. */
static int check_content(const char *path, const char *kind, off_t start, cp_error *err)
{
	int rc = 1;

	if (rewind_input(path, start, err) < 0)
		return -1;

	if (strcmp(kind, "go-dag") == 0) {
		go_dag dag;

		rc = go_dag_read(path, &dag, err) < 0 ? -1 : 1;
		go_dag_free(&dag);
	} else if (strcmp(kind, "cell-graph") == 0) {
		cell_graph cg;

		cell_graph_init(&cg);
		rc = cell_graph_read(path, &cg, err) < 0 ? -1 : 1;
		cell_graph_free(&cg);
	} else if (strcmp(kind, "model") == 0) {
		cp_model m;

		rc = model_load(&m, path, err) < 0 ? -1 : 1;
		/* a DCell model is also the checkpoint fit --resume reads */
		if (rc == 1 && m.have_net &&
		    (rewind_input(path, start, err) < 0 || fit_checkpoint_check(path, err) < 0))
			rc = -1;
		model_free(&m);
	} else if (strcmp(kind, "samples") == 0 || strcmp(kind, "batches") == 0) {
		pert_reader *r = pert_reader_open(path, kind, err);
		pert_batch b;

		if (!r)
			return -1;
		while ((rc = pert_reader_next(r, &b, err)) == 1)
			;
		pert_reader_close(r);
		rc = rc < 0 ? -1 : 1;
	} else if (strcmp(kind, "predictions") == 0) {
		pred_reader *r = pred_reader_open(path, err);
		pred_chunk c;

		if (!r)
			return -1;
		while ((rc = pred_reader_next(r, &c, err)) == 1)
			;
		pred_reader_close(r);
		rc = rc < 0 ? -1 : 1;
	} else {	/* a kind of no program's: its genome records */
		cpz_reader *r = cpz_reader_open(path, err);
		cpz_record rec;

		if (!r)
			return -1;
		cpz_record_init(&rec);
		rc = 0;
		while (rc >= 0) {
			int got = cpz_reader_next(r, &rec, err);

			if (got <= 0) {
				rc = got < 0 ? -1 : rc;
				break;
			}
			if (strcmp(rec.type, "genome") == 0) {
				genome g;

				genome_init(&g);
				rc = genome_from_record(&g, &rec, err) < 0 ? -1 : 1;
				genome_free(&g);
			}
		}
		cpz_record_free(&rec);
		cpz_reader_close(r);
	}
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, quiet = 0, status = CLI_OK;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h':
			printf("Usage: cpz verify [-q] FILE...\n"
			       "Read each stream to the end and check everything: zstd frames and their\n"
			       "checksums, the header and its version, every record and field, tensor\n"
			       "sizes against their shapes, the end record's count and checksum; then,\n"
			       "for a kind the tools read (go-dag, cell-graph, samples, batches, model,\n"
			       "predictions), its content as they check it, in a second pass (not on a\n"
			       "pipe or other input that is read once).\n"
			       "Prints FILE: ok ... for a good stream; exit 1 if any is defective.\n"
			       "  -q, --quiet  print only errors\n");
			return CLI_OK;
		default:
			return CLI_USAGE_ERROR;
		}
	}
	if (optind >= argc) {
		cli_error("verify: expected FILE... (try cpz verify --help)");
		return CLI_USAGE_ERROR;
	}
	for (int i = optind; i < argc; i++) {
		cpz_reader *r;
		cpz_record rec;
		cp_error err;
		int is_stdin = strcmp(argv[i], "-") == 0;
		struct stat st;
		/* where a second pass starts; -1 when the input is read once */
		off_t start = is_stdin ? lseek(STDIN_FILENO, 0, SEEK_CUR) :
			stat(argv[i], &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
		int rc;

		if (open_reader(argv[i], &r) < 0) {
			status = CLI_DATA_ERROR;
			continue;
		}
		cpz_record_init(&rec);
		while ((rc = cpz_reader_next(r, &rec, &err)) == 1)
			;
		if (rc == 0 && start >= 0)
			rc = check_content(argv[i], cpz_reader_header(r)->kind, start, &err) < 0 ? -1 : 0;
		if (rc < 0) {
			cli_report(&err);
			status = CLI_DATA_ERROR;
		} else if (!quiet) {
			printf("%s: ok: kind %s, %" PRId64 " record%s, %d segment%s, checksum %016" PRIx64
			       "%s\n", cpz_reader_name(r), cpz_reader_header(r)->kind, cpz_reader_count(r),
			       cpz_reader_count(r) == 1 ? "" : "s", cpz_reader_segments(r),
			       cpz_reader_segments(r) == 1 ? "" : "s", cpz_reader_stream_checksum(r),
			       start < 0 ? " (content not checked: the input is read once)" : "");
		}
		cpz_record_free(&rec);
		cpz_reader_close(r);
	}
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd;

	cli_init("cpz", argc, argv);
	{
		cp_error berr;

		/* OpenBLAS, linked for the models cpz verify checks, starts its
		 * threads as the program loads: under too low an address-space
		 * limit they never end, nor would exit (--help included) */
		if (cp_blas_check_load_limit(&berr) < 0) {
			cli_report(&berr);
			cli_quit(CLI_DATA_ERROR);
		}
	}
	if (argc < 2) {
		cli_error("no command: cat, head, dump, pack or verify (try cpz --help)");
		return CLI_USAGE_ERROR;
	}
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0)
		usage(stdout, CLI_OK);
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		cli_print_version();
		return CLI_OK;
	}
	argc--, argv++;
	optind = 1;
	{
		/* getopt's messages name "cpz COMMAND" */
		static char name[32];

		snprintf(name, sizeof name, "cpz %s", cmd);
		argv[0] = name;
	}
	if (strcmp(cmd, "cat") == 0)
		return cmd_cat(argc, argv, 0);
	if (strcmp(cmd, "head") == 0)
		return cmd_cat(argc, argv, 1);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc, argv);
	if (strcmp(cmd, "pack") == 0)
		return cmd_pack(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc, argv);
	cli_error("unknown command '%s' (try cpz --help)", cmd);
	return CLI_USAGE_ERROR;
}
