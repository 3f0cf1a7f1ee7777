/* Unit tests of the tensor stream format (lib/cpz.h). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <msgpack.h>
#include <zstd.h>

#include "cpz.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "%s/cpz-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp(const char *name)
{
	static char path[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
	return path[k];
}

static cpz_writer *open_w(const char *path, const char *kind, const cpz_writer_options *opts)
{
	cp_error err;
	cpz_writer *w = cpz_writer_open(path, kind, "test 1.0", "test --flag", opts, &err);

	if (!w)
		fail_msg("%s", err.msg);
	return w;
}

static void close_w(cpz_writer *w)
{
	cp_error err;

	if (cpz_writer_close(w, &err) < 0)
		fail_msg("%s", err.msg);
}

static void write_rec(cpz_writer *w, cpz_record *rec)
{
	cp_error err;

	if (cpz_writer_write(w, rec, &err) < 0)
		fail_msg("%s", err.msg);
}

static cpz_reader *open_r(const char *path)
{
	cp_error err;
	cpz_reader *r = cpz_reader_open(path, &err);

	if (!r)
		fail_msg("%s", err.msg);
	return r;
}

static void next_ok(cpz_reader *r, cpz_record *rec)
{
	cp_error err;
	int rc = cpz_reader_next(r, rec, &err);

	if (rc != 1)
		fail_msg("expected a record, got %d: %s", rc, rc < 0 ? err.msg : "end");
}

static void end_ok(cpz_reader *r, cpz_record *rec)
{
	cp_error err;
	int rc = cpz_reader_next(r, rec, &err);

	if (rc != 0)
		fail_msg("expected the end, got %d: %s", rc, rc < 0 ? err.msg : "record");
}

/* cpz_reader_only: records of other types are read through in pieces,
 * come back with their type and no fields, and still count towards the
 * checksum, which catches a damaged one. */
static void test_reader_only(void **state)
{
	static const char *const only[] = { "small", NULL };
	enum { N = 3 << 20 };	/* 12 MiB, many times the first buffer */
	float *x = malloc(N * sizeof *x);
	int64_t shape[1] = { N };
	uint32_t s = 1;
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;
	FILE *fp;
	long size;
	int c;

	(void)state;
	assert_non_null(x);
	for (size_t i = 0; i < N; i++)	/* incompressible, so the file is as long */
		x[i] = (float)((s = s * 1664525u + 1013904223u) >> 8);
	cpz_record_init(&rec);
	w = open_w(tmp("only.cpz"), "test", NULL);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(cpz_record_reset(&rec, k == 1 ? "small" : "big", &err), 0);
		if (k == 1)
			assert_int_equal(cpz_record_add_int(&rec, "n", 7, &err), 0);
		else
			assert_int_equal(cpz_record_add_tensor(&rec, "x", CPZ_F32, 1, shape, x, &err), 0);
		write_rec(w, &rec);
	}
	close_w(w);
	free(x);
	r = open_r(tmp("only.cpz"));
	cpz_reader_only(r, only);
	next_ok(r, &rec);
	assert_string_equal(rec.type, "big");
	assert_int_equal(rec.nfields, 0);
	next_ok(r, &rec);
	assert_string_equal(rec.type, "small");
	assert_non_null(cpz_record_field(&rec, "n"));
	next_ok(r, &rec);
	assert_string_equal(rec.type, "big");
	end_ok(r, &rec);
	assert_int_equal(cpz_reader_count(r), 3);
	cpz_reader_close(r);
	/* one byte of the first big record changed */
	fp = fopen(tmp("only.cpz"), "r+b");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fseek(fp, size / 4, SEEK_SET);
	c = fgetc(fp);
	fseek(fp, size / 4, SEEK_SET);
	fputc(c ^ 0x40, fp);
	fclose(fp);
	r = open_r(tmp("only.cpz"));
	cpz_reader_only(r, only);
	{
		int rc;

		while ((rc = cpz_reader_next(r, &rec, &err)) == 1)
			;
		assert_int_equal(rc, -1);
		if (!strstr(err.msg, "only.cpz: record 0: "))
			fail_msg("%s", err.msg);
	}
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* Every dtype survives a round trip bit for bit, special values included. */
static void test_dtype_round_trip(void **state)
{
	float f32[6] = { 1.5f, -0.0f, NAN, INFINITY, -INFINITY, 1e-45f };
	double f64[5] = { 0.1, -1e300, 4.9e-324, NAN, -0.0 };
	int32_t i32[3] = { INT32_MIN, 0, INT32_MAX };
	int64_t i64[3] = { INT64_MIN, -1, INT64_MAX };
	uint8_t u8[3] = { 0, 128, 255 }, bl[4] = { 1, 0, 0, 1 };
	const void *data[] = { f32, f64, i32, i64, u8, bl };
	const int64_t counts[] = { 6, 5, 3, 3, 3, 4 };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("dtypes.cpz"), "table", NULL);
	assert_int_equal(cpz_record_reset(&rec, "all", &err), 0);
	for (int d = 0; d < CPZ_DTYPE_COUNT; d++)
		assert_int_equal(cpz_record_add_tensor(&rec, cpz_dtype_name((cpz_dtype)d), (cpz_dtype)d, 1,
						       &counts[d], data[d], &err), 0);
	write_rec(w, &rec);
	close_w(w);

	r = open_r(tmp("dtypes.cpz"));
	next_ok(r, &rec);
	assert_string_equal(rec.type, "all");
	for (int d = 0; d < CPZ_DTYPE_COUNT; d++) {
		const cpz_tensor *t = cpz_record_tensor(&rec, cpz_dtype_name((cpz_dtype)d), (cpz_dtype)d,
							1, &err);

		assert_non_null(t);
		assert_int_equal(t->shape[0], counts[d]);
		assert_int_equal(t->nbytes, (size_t)counts[d] * cpz_dtype_size((cpz_dtype)d));
		assert_memory_equal(t->data, data[d], t->nbytes);
		assert_int_equal((uintptr_t)t->data % 64, 0);
	}
	end_ok(r, &rec);
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* Empty tensors, zero-length dimensions, 0-D scalars, empty string lists. */
static void test_empty_and_zero_length(void **state)
{
	int64_t s0[1] = { 0 }, s30[2] = { 3, 0 }, s03[2] = { 0, 3 };
	double scalar = 2.5;
	const char *strs[] = { "", "x", "" };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;
	const cpz_tensor *t;
	const char *const *list;
	size_t n;

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("empty.cpz"), "table", NULL);
	cpz_record_reset(&rec, "empties", &err);
	assert_int_equal(cpz_record_add_tensor(&rec, "zero", CPZ_F32, 1, s0, NULL, &err), 0);
	assert_int_equal(cpz_record_add_tensor(&rec, "rows", CPZ_I64, 2, s30, NULL, &err), 0);
	assert_int_equal(cpz_record_add_tensor(&rec, "cols", CPZ_U8, 2, s03, NULL, &err), 0);
	assert_int_equal(cpz_record_add_tensor(&rec, "scalar", CPZ_F64, 0, NULL, &scalar, &err), 0);
	assert_int_equal(cpz_record_add_strings(&rec, "none", 0, NULL, &err), 0);
	assert_int_equal(cpz_record_add_strings(&rec, "blanks", 3, strs, &err), 0);
	write_rec(w, &rec);
	cpz_record_reset(&rec, "nothing", &err);	/* a record with no fields */
	write_rec(w, &rec);
	close_w(w);

	r = open_r(tmp("empty.cpz"));
	next_ok(r, &rec);
	t = cpz_record_tensor(&rec, "zero", CPZ_F32, 1, &err);
	assert_non_null(t);
	assert_int_equal(t->count, 0);
	assert_non_null(t->data);
	t = cpz_record_tensor(&rec, "rows", CPZ_I64, 2, &err);
	assert_non_null(t);
	assert_int_equal(t->shape[0], 3);
	assert_int_equal(t->shape[1], 0);
	t = cpz_record_tensor(&rec, "cols", CPZ_U8, 2, &err);
	assert_non_null(t);
	assert_int_equal(t->shape[0], 0);
	assert_int_equal(t->shape[1], 3);
	t = cpz_record_tensor(&rec, "scalar", CPZ_F64, 0, &err);
	assert_non_null(t);
	assert_int_equal(t->count, 1);
	assert_true(*(double *)t->data == 2.5);
	list = cpz_record_strings(&rec, "none", &n, &err);
	assert_non_null(list);
	assert_int_equal(n, 0);
	list = cpz_record_strings(&rec, "blanks", &n, &err);
	assert_int_equal(n, 3);
	assert_string_equal(list[0], "");
	assert_string_equal(list[1], "x");
	next_ok(r, &rec);
	assert_string_equal(rec.type, "nothing");
	assert_int_equal(rec.nfields, 0);
	end_ok(r, &rec);
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* String lists: UTF-8, and lengths that need str8, str16 and str32. */
static void test_string_lists(void **state)
{
	size_t lens[] = { 0, 31, 32, 255, 256, 65535, 65536, 100000 };
	char *items[8];
	const char *fixed[] = { "YAL001C", "gène", "βγ", "tab\there" };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;
	const char *const *got;
	size_t n;

	(void)state;
	for (int i = 0; i < 8; i++) {
		items[i] = malloc(lens[i] + 1);
		for (size_t k = 0; k < lens[i]; k++)
			items[i][k] = (char)('a' + (k + (size_t)i) % 26);
		items[i][lens[i]] = '\0';
	}
	cpz_record_init(&rec);
	w = open_w(tmp("strings.cpz"), "table", NULL);
	cpz_record_reset(&rec, "strings", &err);
	assert_int_equal(cpz_record_add_strings(&rec, "long", 8, (const char *const *)items, &err), 0);
	assert_int_equal(cpz_record_add_strings(&rec, "names", 4, fixed, &err), 0);
	assert_int_equal(cpz_record_add_str(&rec, "one", "yeast", &err), 0);
	write_rec(w, &rec);
	close_w(w);

	r = open_r(tmp("strings.cpz"));
	next_ok(r, &rec);
	got = cpz_record_strings(&rec, "long", &n, &err);
	assert_int_equal(n, 8);
	for (int i = 0; i < 8; i++)
		assert_string_equal(got[i], items[i]);
	got = cpz_record_strings(&rec, "names", &n, &err);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(got[i], fixed[i]);
	assert_string_equal(cpz_record_str(&rec, "one", &err), "yeast");
	end_ok(r, &rec);
	cpz_reader_close(r);
	cpz_record_free(&rec);
	for (int i = 0; i < 8; i++)
		free(items[i]);
}

/* Scalars and the header's fields. */
static void test_scalars_and_header(void **state)
{
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;
	int64_t i;
	double f;
	const cpz_header *h;
	const cpz_field *fb;

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("scalars.cpz"), "metrics", NULL);
	cpz_record_reset(&rec, "run", &err);
	cpz_record_add_int(&rec, "epochs", 12, &err);
	cpz_record_add_int(&rec, "negative", -5000000000LL, &err);
	cpz_record_add_float(&rec, "lr", 1e-3, &err);
	cpz_record_add_float(&rec, "missing", NAN, &err);
	cpz_record_add_bool(&rec, "flag", 1, &err);
	write_rec(w, &rec);
	assert_int_equal(cpz_writer_count(w), 1);
	close_w(w);

	r = open_r(tmp("scalars.cpz"));
	h = cpz_reader_header(r);
	assert_int_equal(h->major, CPZ_VERSION_MAJOR);
	assert_int_equal(h->minor, CPZ_VERSION_MINOR);
	assert_string_equal(h->kind, "metrics");
	assert_string_equal(h->producer, "test 1.0");
	assert_string_equal(h->command, "test --flag");
	assert_int_equal(cpz_reader_expect_kind(r, "metrics", &err), 0);
	assert_int_equal(cpz_reader_expect_kind(r, "go-dag", &err), -1);
	assert_non_null(strstr(err.msg, "expected a go-dag stream, found metrics"));
	next_ok(r, &rec);
	assert_int_equal(cpz_record_int(&rec, "epochs", &i, &err), 0);
	assert_int_equal(i, 12);
	assert_int_equal(cpz_record_int(&rec, "negative", &i, &err), 0);
	assert_true(i == -5000000000LL);
	assert_int_equal(cpz_record_float(&rec, "lr", &f, &err), 0);
	assert_true(f == 1e-3);
	assert_int_equal(cpz_record_float(&rec, "epochs", &f, &err), 0);	/* int as float */
	assert_true(f == 12.0);
	assert_int_equal(cpz_record_float(&rec, "missing", &f, &err), 0);
	assert_true(isnan(f));
	fb = cpz_record_field(&rec, "flag");
	assert_non_null(fb);
	assert_int_equal(fb->kind, CPZ_VALUE_BOOL);
	assert_int_equal(fb->b, 1);
	end_ok(r, &rec);
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* Lookups fail with messages that name the file, record and field. */
static void test_lookup_errors(void **state)
{
	int64_t s[2] = { 2, 2 };
	float x[4] = { 0 };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;
	int64_t i;

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("lookup.cpz"), "table", NULL);
	cpz_record_reset(&rec, "first", &err);
	write_rec(w, &rec);
	cpz_record_reset(&rec, "terms", &err);
	cpz_record_add_tensor(&rec, "x", CPZ_F32, 2, s, x, &err);
	cpz_record_add_str(&rec, "s", "v", &err);
	write_rec(w, &rec);
	close_w(w);

	r = open_r(tmp("lookup.cpz"));
	next_ok(r, &rec);
	next_ok(r, &rec);
	assert_null(cpz_record_tensor(&rec, "y", CPZ_F32, 2, &err));
	assert_non_null(strstr(err.msg, "lookup.cpz: record 1 (terms): field 'y': missing"));
	assert_null(cpz_record_tensor(&rec, "x", CPZ_I64, 2, &err));
	assert_non_null(strstr(err.msg, "field 'x': expected dtype i64, found f32"));
	assert_null(cpz_record_tensor(&rec, "x", CPZ_F32, 1, &err));
	assert_non_null(strstr(err.msg, "expected 1 dimension, found 2"));
	assert_non_null(cpz_record_tensor(&rec, "x", CPZ_ANY, -1, &err));
	assert_int_equal(cpz_record_int(&rec, "s", &i, &err), -1);
	assert_non_null(strstr(err.msg, "field 's': expected an integer, found a string"));
	assert_int_equal(cpz_record_check_dim(&rec, "x", &rec.fields[0].tensor, 1, 3, &err), -1);
	assert_non_null(strstr(err.msg, "dimension 1 is 2, expected 3"));
	end_ok(r, &rec);
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* Building records rejects what the format cannot hold. */
static void test_builder_rejects(void **state)
{
	int64_t bad[1] = { -1 }, huge[3] = { INT64_MAX, INT64_MAX, 2 }, ok[1] = { 1 };
	int64_t dims[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	float x = 0;
	cpz_record rec;
	cp_error err;

	(void)state;
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "r", &err);
	assert_int_equal(cpz_record_add_tensor(&rec, "a", CPZ_F32, 1, bad, &x, &err), -1);
	assert_int_equal(cpz_record_add_tensor(&rec, "a", CPZ_F32, 3, huge, &x, &err), -1);
	assert_int_equal(cpz_record_add_tensor(&rec, "a", CPZ_F32, 9, dims, &x, &err), -1);
	assert_int_equal(cpz_record_add_tensor(&rec, "a", CPZ_F32, 1, ok, NULL, &err), -1);
	assert_int_equal(cpz_record_add_tensor(&rec, "a", CPZ_F32, 1, ok, &x, &err), 0);
	assert_int_equal(cpz_record_add_int(&rec, "a", 1, &err), -1);
	assert_non_null(strstr(err.msg, "added twice"));
	assert_int_equal(cpz_record_add_int(&rec, "record", 1, &err), -1);
	assert_int_equal(cpz_record_add_int(&rec, "", 1, &err), -1);
	/* text that is not UTF-8 never reaches a stream its readers refuse */
	{
		const char *list[] = { "ok", "caf\xe9" };

		assert_int_equal(cpz_record_add_int(&rec, "b\xff", 1, &err), -1);
		assert_int_equal(cpz_record_add_str(&rec, "s", "\xc0\xaf", &err), -1);
		assert_non_null(strstr(err.msg, "field 's': '\\xc0\\xaf' is not UTF-8"));
		assert_int_equal(cpz_record_add_strings(&rec, "l", 2, list, &err), -1);
		assert_non_null(strstr(err.msg, "field 'l': string 1 ('caf\\xe9') is not UTF-8"));
		assert_int_equal(cpz_record_add_str(&rec, "s", "caf\xc3\xa9", &err), 0);
	}
	cpz_record_free(&rec);
}

/* A command line naming a file whose name is not UTF-8 goes into the
 * header with those bytes written \xNN, and the stream reads back. */
static void test_header_text(void **state)
{
	cpz_writer *w;
	cpz_reader *r;
	cpz_record rec;
	cp_error err;

	(void)state;
	cpz_record_init(&rec);
	w = cpz_writer_open(tmp("latin1.cpz"), "table", "test 1", "cpz pack -o caf\xe9.cpz \xc3\xa9t\xe9",
			    NULL, &err);
	assert_non_null(w);
	close_w(w);
	r = open_r(tmp("latin1.cpz"));
	assert_string_equal(cpz_reader_header(r)->command, "cpz pack -o caf\\xe9.cpz \xc3\xa9t\\xe9");
	end_ok(r, &rec);
	cpz_reader_close(r);
	assert_null(cpz_writer_open(tmp("bad-kind.cpz"), "t\xff", "test 1", "", NULL, &err));
	/* free text escaped only where it is not UTF-8, backslashes then too,
	 * and back */
	{
		const char *raw = "a\\b \xe9 \xc3\xa9", *plain = "a\\b \xc3\xa9";
		char *e = cpz_text_escape(raw, strlen(raw)), *p = cpz_text_escape(plain, strlen(plain));
		char *back = cpz_text_unescape(e);

		assert_string_equal(e, "a\\\\b \\xe9 \xc3\xa9");
		assert_string_equal(p, plain);
		assert_string_equal(back, raw);
		free(e), free(p), free(back);
		cpz_record_reset(&rec, "r", &err);
		assert_int_equal(cpz_record_add_text(&rec, "path", "tr\xe9.cpz", &err), 0);
		assert_string_equal(cpz_record_field(&rec, "path")->s, "tr\\xe9.cpz");
	}
	cpz_record_free(&rec);
}

/* Many records through a real pipe: a child writes, the parent reads. */
static void test_pipe_stream(void **state)
{
	int fds[2];
	pid_t pid;
	cpz_record rec;
	cp_error err;
	cpz_reader *r;
	int status;
	const int nrec = 200;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cpz_writer_options opts = { 0 };
		cpz_writer *w;

		close(fds[0]);
		opts.allow_tty = 1;
		w = cpz_writer_open_fd(fds[1], "<pipe>", "samples", "child", "", &opts, &err);
		if (!w)
			_exit(3);
		cpz_record_init(&rec);
		for (int k = 0; k < nrec; k++) {
			int64_t n = k % 7, shape[1];
			int32_t *v = malloc((size_t)(n ? n : 1) * 4 * 1000);

			shape[0] = n * 1000;
			for (int64_t i = 0; i < shape[0]; i++)
				v[i] = (int32_t)(k * 100000 + i);
			cpz_record_reset(&rec, "chunk", &err);
			cpz_record_add_tensor(&rec, "v", CPZ_I32, 1, shape, v, &err);
			cpz_record_add_int(&rec, "k", k, &err);
			if (cpz_writer_write(w, &rec, &err) < 0)
				_exit(4);
			free(v);
		}
		if (cpz_writer_close(w, &err) < 0)
			_exit(5);
		cpz_record_free(&rec);
		close(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	r = cpz_reader_open_fd(fds[0], "<pipe>", &err);
	if (!r)
		fail_msg("%s", err.msg);
	cpz_record_init(&rec);
	for (int k = 0; k < nrec; k++) {
		const cpz_tensor *t;
		int64_t got;

		next_ok(r, &rec);
		assert_int_equal(rec.index, k);
		assert_int_equal(cpz_record_int(&rec, "k", &got, &err), 0);
		assert_int_equal(got, k);
		t = cpz_record_tensor(&rec, "v", CPZ_I32, 1, &err);
		assert_non_null(t);
		assert_int_equal(t->shape[0], (k % 7) * 1000);
		for (int64_t i = 0; i < t->shape[0]; i++)
			assert_int_equal(((int32_t *)t->data)[i], k * 100000 + i);
	}
	end_ok(r, &rec);
	assert_int_equal(cpz_reader_count(r), nrec);
	cpz_reader_close(r);
	close(fds[0]);
	cpz_record_free(&rec);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void slurp(const char *path, cp_buf *b);

/* Tensor data above the chunk size is split into several bins and joined
 * again on reading: the path tensors over 4 GiB take. */
static void test_chunked_tensor(void **state)
{
	cpz_writer_options opts = { 0 };
	double v[1000];
	int64_t shape[2] = { 100, 10 };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;
	const cpz_tensor *t;

	(void)state;
	for (int i = 0; i < 1000; i++)
		v[i] = sin(i);
	opts.chunk_bytes = 100;	/* 12 doubles per chunk */
	cpz_record_init(&rec);
	w = open_w(tmp("chunked.cpz"), "table", &opts);
	cpz_record_reset(&rec, "big", &err);
	cpz_record_add_tensor(&rec, "v", CPZ_F64, 2, shape, v, &err);
	write_rec(w, &rec);
	close_w(w);
	{
		/* on disk: the record's second frame holds v's data as an array
		 * of bins of whole elements (96 bytes: 12 doubles) */
		cp_buf file = { 0 };
		size_t clen, total = 0;
		unsigned long long dlen;
		char *content;
		msgpack_unpacked u;
		size_t off = 0;
		msgpack_object data;

		slurp(tmp("chunked.cpz"), &file);
		clen = ZSTD_findFrameCompressedSize(file.data, file.len);	/* the header */
		assert_false(ZSTD_isError(clen));
		dlen = ZSTD_getFrameContentSize(file.data + clen, file.len - clen);
		assert_true(dlen != ZSTD_CONTENTSIZE_UNKNOWN && dlen != ZSTD_CONTENTSIZE_ERROR);
		content = malloc(dlen);
		assert_int_equal(ZSTD_decompress(content, dlen, file.data + clen,
						 ZSTD_findFrameCompressedSize(file.data + clen, file.len - clen)),
				 dlen);
		msgpack_unpacked_init(&u);
		assert_int_equal(msgpack_unpack_next(&u, content, dlen, &off), MSGPACK_UNPACK_SUCCESS);
		assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
		data = u.data.via.map.ptr[1].val.via.map.ptr[2].val;
		assert_int_equal(data.type, MSGPACK_OBJECT_ARRAY);
		assert_int_equal(data.via.array.size, (sizeof v + 95) / 96);
		for (uint32_t i = 0; i < data.via.array.size; i++) {
			assert_int_equal(data.via.array.ptr[i].type, MSGPACK_OBJECT_BIN);
			assert_int_equal(data.via.array.ptr[i].via.bin.size % 8, 0);
			total += data.via.array.ptr[i].via.bin.size;
		}
		assert_int_equal(total, sizeof v);
		msgpack_unpacked_destroy(&u);
		free(content);
		cp_buf_free(&file);
	}
	r = open_r(tmp("chunked.cpz"));
	next_ok(r, &rec);
	t = cpz_record_tensor(&rec, "v", CPZ_F64, 2, &err);
	assert_non_null(t);
	assert_memory_equal(t->data, v, sizeof v);
	end_ok(r, &rec);
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* Two streams of one kind concatenated read as one. */
static void test_concatenated_streams(void **state)
{
	char cmd[2048];
	cpz_record rec;
	cp_error err;
	cpz_reader *r;
	int64_t k;

	(void)state;
	cpz_record_init(&rec);
	for (int s = 0; s < 2; s++) {
		cpz_writer *w = open_w(tmp(s ? "part2.cpz" : "part1.cpz"), "samples", NULL);

		for (int i = 0; i < 3; i++) {
			cpz_record_reset(&rec, "chunk", &err);
			cpz_record_add_int(&rec, "k", s * 3 + i, &err);
			write_rec(w, &rec);
		}
		close_w(w);
	}
	snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", tmp("part1.cpz"), tmp("part2.cpz"),
		 tmp("both.cpz"));
	assert_int_equal(system(cmd), 0);
	r = open_r(tmp("both.cpz"));
	for (int i = 0; i < 6; i++) {
		next_ok(r, &rec);
		assert_int_equal(cpz_record_int(&rec, "k", &k, &err), 0);
		assert_int_equal(k, i);
	}
	end_ok(r, &rec);
	assert_int_equal(cpz_reader_segments(r), 2);
	assert_int_equal(cpz_reader_count(r), 6);
	/* the stream's checksum chains the segments' in order */
	{
		uint64_t c[2], both = cpz_reader_stream_checksum(r), reversed;
		uint8_t pair[16];

		for (int s = 0; s < 2; s++) {
			cpz_reader *one = open_r(tmp(s ? "part2.cpz" : "part1.cpz"));

			while (cpz_reader_next(one, &rec, &err) == 1)
				;
			c[s] = cpz_reader_checksum(one);
			assert_true(cpz_reader_stream_checksum(one) == c[s]);
			cpz_reader_close(one);
		}
		assert_true(cpz_reader_checksum(r) == c[1]);
		for (int b = 0; b < 8; b++) {
			pair[b] = (uint8_t)(c[0] >> (8 * b));
			pair[8 + b] = (uint8_t)(c[1] >> (8 * b));
		}
		assert_true(both == cp_hash64_bytes(pair, sizeof pair, 0));
		snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", tmp("part2.cpz"), tmp("part1.cpz"),
			 tmp("reversed.cpz"));
		assert_int_equal(system(cmd), 0);
		cpz_reader_close(r);
		r = open_r(tmp("reversed.cpz"));
		while (cpz_reader_next(r, &rec, &err) == 1)
			;
		reversed = cpz_reader_stream_checksum(r);
		assert_true(reversed != both && reversed != c[0] && reversed != c[1]);
	}
	cpz_reader_close(r);
	cpz_record_free(&rec);
}

/* cpz_record_diff names a field the two records do not hold alike, in
 * either direction, whatever the fields' order. */
static void test_record_diff(void **state)
{
	cpz_record a, b;
	cp_error err;
	const int64_t shape[1] = { 3 };
	const float x[3] = { 1, 2, 3 }, y[3] = { 1, 2, 4 };
	const char *names[2] = { "p", "q" }, *other[2] = { "p", "r" };

	(void)state;
	cpz_record_init(&a);
	cpz_record_init(&b);
	cpz_record_reset(&a, "context", &err);
	cpz_record_add_int(&a, "n", 5, &err);
	cpz_record_add_float(&a, "f", NAN, &err);
	cpz_record_add_str(&a, "s", "yes", &err);
	cpz_record_add_bool(&a, "b", 1, &err);
	cpz_record_add_tensor(&a, "t", CPZ_F32, 1, shape, x, &err);
	cpz_record_add_strings(&a, "l", 2, names, &err);
	/* the same values in another order, a NaN equal to itself */
	cpz_record_reset(&b, "context", &err);
	cpz_record_add_strings(&b, "l", 2, names, &err);
	cpz_record_add_tensor(&b, "t", CPZ_F32, 1, shape, x, &err);
	cpz_record_add_bool(&b, "b", 1, &err);
	cpz_record_add_str(&b, "s", "yes", &err);
	cpz_record_add_float(&b, "f", NAN, &err);
	cpz_record_add_int(&b, "n", 5, &err);
	assert_null(cpz_record_diff(&a, &b));
	assert_null(cpz_record_diff(&b, &a));
	/* a field b lacks, then one only b holds */
	cpz_record_add_int(&a, "extra", 1, &err);
	assert_string_equal(cpz_record_diff(&a, &b), "extra");
	assert_string_equal(cpz_record_diff(&b, &a), "extra");
	/* one value differs at a time */
	struct {
		const char *name;
		int kind;
	} cases[] = { { "n", 0 }, { "f", 1 }, { "s", 2 }, { "b", 3 }, { "t", 4 }, { "l", 5 }, { "n", 6 } };
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		cpz_record_reset(&b, "context", &err);
		cpz_record_add_int(&b, "extra", 1, &err);
		if (cases[k].kind == 6)	/* an integer where a float was */
			cpz_record_add_float(&b, "n", 5.0, &err);
		else
			cpz_record_add_int(&b, "n", cases[k].kind == 0 ? 6 : 5, &err);
		cpz_record_add_float(&b, "f", cases[k].kind == 1 ? 0.0 : NAN, &err);
		cpz_record_add_str(&b, "s", cases[k].kind == 2 ? "no" : "yes", &err);
		cpz_record_add_bool(&b, "b", cases[k].kind != 3, &err);
		cpz_record_add_tensor(&b, "t", CPZ_F32, 1, shape, cases[k].kind == 4 ? y : x, &err);
		cpz_record_add_strings(&b, "l", 2, cases[k].kind == 5 ? other : names, &err);
		assert_string_equal(cpz_record_diff(&a, &b), cases[k].name);
	}
	cpz_record_free(&a);
	cpz_record_free(&b);
}

static void slurp(const char *path, cp_buf *out)
{
	FILE *fp = fopen(path, "rb");
	char buf[65536];
	size_t n;

	assert_non_null(fp);
	out->len = 0;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		cp_buf_append(out, buf, n, NULL);
	fclose(fp);
}

/* The stream is standard zstd and standard msgpack: decode it with libzstd
 * and msgpack-c alone and find the documented structure. */
static void test_standard_zstd_and_msgpack(void **state)
{
	int32_t v[5] = { 5, 4, 3, 2, 1 };
	int64_t shape[1] = { 5 };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cp_buf file = { 0 };
	size_t pos = 0, frames = 0;

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("std.cpz"), "table", NULL);
	cpz_record_reset(&rec, "t", &err);
	cpz_record_add_tensor(&rec, "v", CPZ_I32, 1, shape, v, &err);
	write_rec(w, &rec);
	close_w(w);
	slurp(tmp("std.cpz"), &file);
	while (pos < file.len) {
		size_t clen = ZSTD_findFrameCompressedSize(file.data + pos, file.len - pos);
		unsigned long long dlen;
		char *content;
		msgpack_unpacked u;
		size_t off = 0;

		assert_false(ZSTD_isError(clen));
		dlen = ZSTD_getFrameContentSize(file.data + pos, clen);
		assert_true(dlen != ZSTD_CONTENTSIZE_UNKNOWN && dlen != ZSTD_CONTENTSIZE_ERROR);
		content = malloc(dlen);
		assert_int_equal(ZSTD_decompress(content, dlen, file.data + pos, clen), dlen);
		msgpack_unpacked_init(&u);
		assert_int_equal(msgpack_unpack_next(&u, content, dlen, &off), MSGPACK_UNPACK_SUCCESS);
		assert_int_equal(off, dlen);
		assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
		msgpack_object_kv *kv = u.data.via.map.ptr;

		if (frames == 0) {
			assert_int_equal(kv[0].key.via.str.size, 3);
			assert_memory_equal(kv[0].key.via.str.ptr, "cpz", 3);
		} else {
			assert_memory_equal(kv[0].key.via.str.ptr, "record", 6);
		}
		if (frames == 1) {
			msgpack_object t = kv[1].val;

			assert_int_equal(t.type, MSGPACK_OBJECT_MAP);
			assert_int_equal(t.via.map.size, 3);
			assert_int_equal(t.via.map.ptr[2].val.type, MSGPACK_OBJECT_BIN);
			assert_int_equal(t.via.map.ptr[2].val.via.bin.size, 20);
			/* little-endian on disk */
			assert_int_equal((uint8_t)t.via.map.ptr[2].val.via.bin.ptr[0], 5);
		}
		msgpack_unpacked_destroy(&u);
		free(content);
		pos += clen;
		frames++;
	}
	assert_int_equal(frames, 3);
	cp_buf_free(&file);
	cpz_record_free(&rec);
}

/* A header of version [1, MINOR] and its end record, framed by hand, in path. */
static void write_version(const char *path, uint64_t major, uint64_t minor)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint64_t sum, size;
	char frame[512];
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "cpz", 3);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, major);
	msgpack_pack_uint64(&pk, minor);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "kind", 4);
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "table", 5);
	sum = cp_hash64_bytes(sb.data, sb.size, 0);
	size = sb.size;
	fwrite(frame, 1, ZSTD_compress(frame, sizeof frame, sb.data, sb.size, 3), fp);
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str(&pk, 6);
	msgpack_pack_str_body(&pk, "record", 6);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "end", 3);
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "count", 5);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "bytes", 5);
	msgpack_pack_uint64(&pk, size);
	msgpack_pack_str(&pk, 8);
	msgpack_pack_str_body(&pk, "checksum", 8);
	msgpack_pack_uint64(&pk, sum);
	fwrite(frame, 1, ZSTD_compress(frame, sizeof frame, sb.data, sb.size, 3), fp);
	msgpack_sbuffer_destroy(&sb);
	assert_int_equal(fclose(fp), 0);
}

/* Any newer minor version reads (it may only add fields); any newer major
 * version is refused as newer. */
static void test_versions(void **state)
{
	cpz_reader *r;
	cpz_record rec;
	cp_error err;

	(void)state;
	cpz_record_init(&rec);
	write_version(tmp("minor.cpz"), 1, 5000);
	r = open_r(tmp("minor.cpz"));
	assert_true(cpz_reader_header(r)->minor == 5000);
	end_ok(r, &rec);
	cpz_reader_close(r);
	write_version(tmp("major.cpz"), 1001, 0);
	assert_null(cpz_reader_open(tmp("major.cpz"), &err));
	assert_non_null(strstr(err.msg, "version 1001.0 is newer than this reader"));
	cpz_record_free(&rec);
}

/* A failed or abandoned writer leaves no file behind; close renames. */
static void test_no_partial_output(void **state)
{
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	struct stat st;
	char cmd[1024];

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("partial.cpz"), "table", NULL);
	cpz_record_reset(&rec, "r", &err);
	write_rec(w, &rec);
	assert_int_equal(stat(tmp("partial.cpz"), &st), -1);	/* not there until close */
	snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '^partial\\.cpz\\.tmp'", tmpdir);
	assert_int_equal(system(cmd), 0);	/* its temporary is */
	cpz_writer_abort(w);
	assert_int_equal(stat(tmp("partial.cpz"), &st), -1);
	snprintf(cmd, sizeof cmd, "ls '%s' | grep -q partial", tmpdir);
	assert_int_not_equal(system(cmd), 0);	/* no temporary left either */
	w = open_w(tmp("partial.cpz"), "table", NULL);
	assert_int_equal(cpz_writer_write(w, &(cpz_record){ .type = "end" }, &err), -1);
	/* a type its readers would refuse (not UTF-8) is refused, shown escaped */
	assert_int_equal(cpz_writer_write(w, &(cpz_record){ .type = "t\xe9" }, &err), -1);
	assert_non_null(strstr(err.msg, "record type 't\\xe9': "));
	close_w(w);
	assert_int_equal(stat(tmp("partial.cpz"), &st), 0);
	cpz_record_free(&rec);
}

/* The record-size limit is checked before memory is taken. */
static void test_record_limit(void **state)
{
	uint8_t big[4096] = { 0 };
	int64_t shape[1] = { 4096 };
	cpz_record rec;
	cp_error err;
	cpz_writer *w;
	cpz_reader *r;

	(void)state;
	cpz_record_init(&rec);
	w = open_w(tmp("limit.cpz"), "table", NULL);
	cpz_record_reset(&rec, "r", &err);
	cpz_record_add_tensor(&rec, "x", CPZ_U8, 1, shape, big, &err);
	write_rec(w, &rec);
	close_w(w);
	r = open_r(tmp("limit.cpz"));
	cpz_reader_set_max_record(r, 1000);
	assert_int_equal(cpz_reader_next(r, &rec, &err), -1);
	assert_non_null(strstr(err.msg, "record 0: declares 4"));
	assert_non_null(strstr(err.msg, "more than the limit of 1000"));
	cpz_reader_close(r);

	/* the same frames without their content size (as zstd writes from a
	 * pipe): the limit holds as the record is decompressed */
	{
		cp_buf file = { 0 }, out = { 0 };
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		FILE *f;

		slurp(tmp("limit.cpz"), &file);
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
		for (size_t pos = 0; pos < file.len;) {
			size_t clen = ZSTD_findFrameCompressedSize(file.data + pos, file.len - pos);
			unsigned long long dlen = ZSTD_getFrameContentSize(file.data + pos, clen);
			size_t bound = ZSTD_compressBound(dlen), got;
			char *content = malloc(dlen + 1), *packed = malloc(bound);

			assert_int_equal(ZSTD_decompress(content, dlen, file.data + pos, clen), dlen);
			got = ZSTD_compress2(cc, packed, bound, content, dlen);
			assert_false(ZSTD_isError(got));
			assert_true(ZSTD_getFrameContentSize(packed, got) == ZSTD_CONTENTSIZE_UNKNOWN);
			assert_int_equal(cp_buf_append(&out, packed, got, &err), 0);
			free(content);
			free(packed);
			pos += clen;
		}
		f = fopen(tmp("limit-nosize.cpz"), "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
		fclose(f);
		r = open_r(tmp("limit-nosize.cpz"));
		next_ok(r, &rec);	/* no limit: the same stream */
		cpz_reader_close(r);
		r = open_r(tmp("limit-nosize.cpz"));
		cpz_reader_set_max_record(r, 1000);
		assert_int_equal(cpz_reader_next(r, &rec, &err), -1);
		assert_non_null(strstr(err.msg, "record 0: larger than the limit of 1000 bytes"));
		cpz_reader_close(r);
		ZSTD_freeCCtx(cc);
		cp_buf_free(&file);
		cp_buf_free(&out);
	}
	cpz_record_free(&rec);
}

/* Genome records: the hash follows the names, and a wrong one is caught. */
static void test_genome_record(void **state)
{
	const char *names[] = { "YAL001C", "YAL002W", "Q0010" };
	const char *other[] = { "YAL001C", "YAL002W" };
	const char *const *got;
	cpz_record rec;
	cp_error err;
	size_t n;
	uint64_t h;

	(void)state;
	assert_true(cpz_genome_hash(3, names) != cpz_genome_hash(2, other));
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	assert_int_equal(cpz_record_add_genome(&rec, 3, names, &err), 0);
	assert_int_equal(cpz_record_genome(&rec, &n, &got, &h, &err), 0);
	assert_int_equal(n, 3);
	assert_true(h == cpz_genome_hash(3, names));
	rec.fields[0].nstrings = 2;	/* names no longer match the hash */
	assert_int_equal(cpz_record_genome(&rec, &n, &got, &h, &err), -1);
	assert_non_null(strstr(err.msg, "field 'hash'"));
	/* the optional standard names and aliases must fit the names */
	{
		const char *standard[] = { "TFC3", "VPS8", "" }, *alias[] = { "FUN24", "x", "y" };
		const int32_t good[] = { 0, 2, 1 }, far[] = { 0, 3, 1 }, low[] = { -1, 0, 0 };
		const int64_t three = 3, two = 2;
		struct {
			int n_standard;
			const int32_t *gene;
			int64_t n_gene;
			int has_name;
			const char *message;	/* NULL: accepted */
		} cases[] = {
			{ 3, good, 3, 1, NULL },
			{ 2, good, 3, 1, "field 'standard': 2 names for 3 genes" },
			{ 3, far, 3, 1, "field 'alias.gene': entry 1: gene 3 out of range" },
			{ 3, low, 3, 1, "field 'alias.gene': entry 0: gene -1 out of range" },
			{ 3, good, 2, 1, "field 'alias.gene': dimension 0 is 2, expected 3" },
			{ 3, good, 3, 0, "field 'alias.name': missing" },
		};

		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			cpz_record_reset(&rec, "genome", &err);
			cpz_record_add_genome(&rec, 3, names, &err);
			cpz_record_add_strings(&rec, "standard", (size_t)cases[i].n_standard, standard, &err);
			if (cases[i].has_name)
				cpz_record_add_strings(&rec, "alias.name", 3, alias, &err);
			cpz_record_add_tensor(&rec, "alias.gene", CPZ_I32, 1, cases[i].n_gene == 3 ? &three : &two,
					      cases[i].gene, &err);
			if (!cases[i].message) {
				assert_int_equal(cpz_record_genome(&rec, &n, &got, &h, &err), 0);
				continue;
			}
			assert_int_equal(cpz_record_genome(&rec, &n, &got, &h, &err), -1);
			if (!strstr(err.msg, cases[i].message))
				fail_msg("case %zu: %s", i, err.msg);
		}
	}
	cpz_record_free(&rec);
}

/* Text forms of values: shortest round-trip floats, parsing back. */
static void test_text_values(void **state)
{
	float f[4] = { 0.1f, 1.0f / 3.0f, NAN, -INFINITY };
	double d[2] = { 0.1, 1.0 / 3.0 };
	cpz_tensor tf = { .dtype = CPZ_F32, .count = 4, .data = f };
	cpz_tensor td = { .dtype = CPZ_F64, .count = 2, .data = d };
	char buf[64];
	float back;
	double backd;
	uint8_t b;
	int32_t i;

	(void)state;
	cpz_tensor_format(&tf, 0, buf, sizeof buf);
	assert_string_equal(buf, "0.1");
	for (int k = 0; k < 2; k++) {
		cpz_tensor_format(&tf, (size_t)k, buf, sizeof buf);
		assert_int_equal(cpz_parse_value(CPZ_F32, buf, &back), 0);
		assert_true(back == f[k]);
		cpz_tensor_format(&td, (size_t)k, buf, sizeof buf);
		assert_int_equal(cpz_parse_value(CPZ_F64, buf, &backd), 0);
		assert_true(backd == d[k]);
	}
	cpz_tensor_format(&tf, 2, buf, sizeof buf);
	assert_string_equal(buf, "nan");
	cpz_tensor_format(&tf, 3, buf, sizeof buf);
	assert_string_equal(buf, "-inf");
	assert_int_equal(cpz_parse_value(CPZ_F32, "", &back), 0);
	assert_true(isnan(back));
	assert_int_equal(cpz_parse_value(CPZ_F32, "NA", &back), 0);
	assert_true(isnan(back));
	assert_int_equal(cpz_parse_value(CPZ_F32, "1.5x", &back), -1);
	assert_int_equal(cpz_parse_value(CPZ_BOOL, "true", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(cpz_parse_value(CPZ_BOOL, "2", &b), -1);
	assert_int_equal(cpz_parse_value(CPZ_I32, "2147483648", &i), -1);
	assert_int_equal(cpz_parse_value(CPZ_I32, "", &i), -1);
	assert_int_equal(cpz_parse_value(CPZ_U8, "256", &b), -1);
}

/* The summary line groups "a.b" fields. */
static void test_summary(void **state)
{
	int64_t s[2] = { 2, 144211 };
	cpz_record rec;
	cp_error err;
	cp_buf out = { 0 };

	(void)state;
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "cell-graph", &err);
	cpz_record_add_int(&rec, "gene.num_nodes", 6607, &err);
	cpz_record_add_tensor(&rec, "physical.edge_index", CPZ_I32, 2, s, NULL, &err);
	cpz_record_add_str(&rec, "name", "x", &err);
	cpz_record_add_int(&rec, "gene.mask", 1, &err);
	/* NULL data with a non-zero shape is refused, so add_tensor failed: */
	assert_null(cpz_record_field(&rec, "physical.edge_index"));
	assert_int_equal(cpz_record_summary(&rec, 0, &out, &err), 0);
	assert_string_equal(out.data, "cell-graph: gene={num_nodes=6607, mask=1}, name=\"x\"");
	cp_buf_free(&out);
	cpz_record_free(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dtype_round_trip),
		cmocka_unit_test(test_empty_and_zero_length),
		cmocka_unit_test(test_string_lists),
		cmocka_unit_test(test_scalars_and_header),
		cmocka_unit_test(test_lookup_errors),
		cmocka_unit_test(test_builder_rejects),
		cmocka_unit_test(test_header_text),
		cmocka_unit_test(test_pipe_stream),
		cmocka_unit_test(test_chunked_tensor),
		cmocka_unit_test(test_concatenated_streams),
		cmocka_unit_test(test_record_diff),
		cmocka_unit_test(test_standard_zstd_and_msgpack),
		cmocka_unit_test(test_no_partial_output),
		cmocka_unit_test(test_record_limit),
		cmocka_unit_test(test_genome_record),
		cmocka_unit_test(test_text_values),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_reader_only),
		cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
