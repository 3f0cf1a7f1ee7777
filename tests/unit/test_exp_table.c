/* Unit tests of lib/experiments.h: rows, the TSV both ways, merging. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp_table.h"

static exp_row make(const char *a, const char *b, const char *env, const char *id, double f,
		    double s, double e, double p)
{
	exp_row r;

	exp_row_init(&r);
	r.genes[0] = a;
	r.n_genes = 1;
	if (b) {
		r.genes[1] = b;
		r.n_genes = 2;
	}
	r.environment = env;
	r.id = id;
	r.source = "test";
	r.label[0] = f, r.label[1] = s, r.label[2] = e, r.label[3] = p;
	return r;
}

static void test_row_sort(void **state)
{
	exp_row r = make("YB", "YA", "", "x", 1, NAN, NAN, NAN);
	cp_error err;

	(void)state;
	r.allele[0] = "ts";
	assert_int_equal(exp_row_sort(&r, &err), 0);
	assert_string_equal(r.genes[0], "YA");
	assert_string_equal(r.allele[1], "ts");
	r.genes[1] = "YA";
	assert_int_equal(exp_row_sort(&r, &err), -1);
	assert_non_null(strstr(err.msg, "gene YA listed twice"));
	/* names compare in any case: ybr sorts after YAL, tP(...) before YAL */
	r = make("ybr001c", "YAL001C", "", "x", 1, NAN, NAN, NAN);
	assert_int_equal(exp_row_sort(&r, &err), 0);
	assert_string_equal(r.genes[0], "YAL001C");
	r = make("YAL001C", "tP(UGG)A", "", "x", 1, NAN, NAN, NAN);
	assert_int_equal(exp_row_sort(&r, &err), 0);
	assert_string_equal(r.genes[0], "tP(UGG)A");
	r = make("yal001c", "YAL001C", "", "x", 1, NAN, NAN, NAN);
	assert_int_equal(exp_row_sort(&r, &err), -1);
	assert_non_null(strstr(err.msg, "gene YAL001C listed twice (as yal001c)"));
}

static void test_genes_compare_case(void **state)
{
	(void)state;
	assert_true(exp_genes_hash("YAL001C,ybl023c", 15) == exp_genes_hash("yal001c,YBL023C", 15));
	assert_true(exp_genes_hash("YAL001C,YBL023C", 15) != exp_genes_hash("YAL001C,YBL024C", 15));
	assert_int_equal(exp_genes_compare("YAL001C,ybl023c", 15, "yal001c,YBL023C", 15), 0);
	assert_int_not_equal(exp_genes_compare("YAL001C", 7, "YAL001C,YBL023C", 15), 0);
	assert_int_equal(exp_genes_compare("YAL001C", 7, "YAL001C,YBL023C", 15),
			 -exp_genes_compare("YAL001C,YBL023C", 15, "YAL001C", 7));
	/* longer than the hash's 256-byte chunks: still one hash of the whole */
	{
		char a[600], b[600];

		memset(a, 'y', sizeof a);
		memset(b, 'Y', sizeof b);
		assert_true(exp_genes_hash(a, sizeof a) == exp_genes_hash(b, sizeof b));
		b[599] = 'Z';
		assert_true(exp_genes_hash(a, sizeof a) != exp_genes_hash(b, sizeof b));
	}
}

/* Merge rows given in the order of idx; return the merged rows as text. */
static char *merge_text(exp_row *rows, size_t n, const size_t *idx, size_t memory)
{
	exp_merger *m = exp_merger_new(memory, NULL);
	cp_buf out = { 0 };
	cp_error err;
	exp_row r;
	int rc;

	assert_non_null(m);
	for (size_t i = 0; i < n; i++)
		if (exp_merger_add(m, &rows[idx[i]], &err) < 0)
			fail_msg("%s", err.msg);
	assert_int_equal(exp_merger_finish(m, &err), 0);
	while ((rc = exp_merger_next(m, &r, &err)) == 1)
		assert_int_equal(exp_format_row(&r, &out, &err), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(exp_merger_stats(m)->rows, n);
	exp_merger_free(m);
	return out.data;
}

static void test_merge(void **state)
{
	exp_row rows[6];
	size_t fwd[] = { 0, 1, 2, 3, 4, 5 }, rev[] = { 5, 4, 3, 2, 1, 0 };
	char *a, *b, *line;

	(void)state;
	rows[0] = make("YB", "YA", "30C", "m2", 0.8, 0.1, NAN, 0.2);
	rows[0].allele[0] = "deletion";
	rows[1] = make("YA", "YB", "30C", "m1", 0.6, 0.05, -0.1, 0.01);
	rows[1].allele[1] = "ts";
	/* the first measurement again, listed under another id and allele */
	rows[2] = make("YA", "YB", "30C", "m3", 0.8, 0.1, NAN, 0.2);
	rows[2].allele[0] = "DAmP";
	/* another environment is another experiment */
	rows[3] = make("YA", "YB", "26C", "m4", 0.5, NAN, NAN, NAN);
	/* counts weigh */
	rows[4] = make("YC", NULL, "", "s1", 1.0, NAN, NAN, NAN);
	rows[4].count = 3;
	rows[5] = make("YC", NULL, "", "s2", 0.0, NAN, NAN, NAN);
	a = merge_text(rows, 6, fwd, 0);
	b = merge_text(rows, 6, rev, 0);
	assert_string_equal(a, b);	/* the input order does not matter */
	line = strstr(a, "YA,YB\t30C\t");
	assert_non_null(line);
	/* mean 0.7; pooled std sqrt((0.01 + 0.0025) / 2 + 0.01); epsilon of the one
	 * that has it; the largest p; two distinct measurements; alleles united */
	assert_memory_equal(line, "YA,YB\t30C\tDAmP,deletion|ts\t0.7\t0.127475488\t-0.1\t0.2\t2\tm1\ttest\n",
			    strlen("YA,YB\t30C\tDAmP,deletion|ts\t0.7\t0.127475488\t-0.1\t0.2\t2\tm1\ttest\n"));
	assert_non_null(strstr(a, "YA,YB\t26C\t\t0.5\tNA\tNA\tNA\t1\tm4\ttest\n"));
	assert_non_null(strstr(a, "YC\t\t\t0.75\tNA\tNA\tNA\t4\ts1\ttest\n"));
	free(b);
	/* the same through scratch runs */
	b = merge_text(rows, 6, rev, 1);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* Gene names merge in any case; the smallest id's spelling is kept, and
 * alleles follow their genes whatever the spelling. */
static void test_merge_case(void **state)
{
	exp_row rows[3];
	size_t fwd[] = { 0, 1, 2 }, rev[] = { 2, 1, 0 };
	char *a, *b;

	(void)state;
	rows[0] = make("yb", "YA", "", "k2", 0.4, NAN, NAN, NAN);
	rows[0].allele[0] = "ts";
	rows[1] = make("YB", "ya", "", "k1", 0.8, NAN, NAN, NAN);
	rows[1].allele[1] = "DAmP";
	rows[2] = make("YA", NULL, "", "k3", 0.9, NAN, NAN, NAN);
	a = merge_text(rows, 3, fwd, 0);
	assert_int_equal(strlen(a), strlen("ya,YB\t\tDAmP,ts\t0.6\tNA\tNA\tNA\t2\tk1\ttest\n"
					   "YA\t\t\t0.9\tNA\tNA\tNA\t1\tk3\ttest\n"));
	assert_non_null(strstr(a, "ya,YB\t\tDAmP,ts\t0.6\tNA\tNA\tNA\t2\tk1\ttest\n"));
	assert_non_null(strstr(a, "YA\t\t\t0.9\tNA\tNA\tNA\t1\tk3\ttest\n"));
	b = merge_text(rows, 3, rev, 0);
	assert_string_equal(a, b);
	free(b);
	b = merge_text(rows, 3, rev, 1);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_merge_refuses(void **state)
{
	exp_merger *m = exp_merger_new(0, NULL);
	exp_row r = make("YA", NULL, "a\tb", "x", 1, NAN, NAN, NAN);
	cp_error err;

	(void)state;
	assert_int_equal(exp_merger_add(m, &r, &err), -1);
	assert_non_null(strstr(err.msg, "environment"));
	r = make("Y,A", NULL, "", "x", 1, NAN, NAN, NAN);
	assert_int_equal(exp_merger_add(m, &r, &err), -1);
	assert_non_null(strstr(err.msg, "gene 'Y,A' holds"));
	r.n_genes = 0;
	assert_int_equal(exp_merger_add(m, &r, &err), -1);
	assert_non_null(strstr(err.msg, "without genes"));
	exp_merger_free(m);
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/exp-test.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_read_back(void **state)
{
	exp_row rows[2], r;
	cp_buf text = { 0 };
	cp_error err;
	exp_reader *rd;
	char *path;

	(void)state;
	rows[0] = make("YA", "YB", "30C", "m1", 0.123456789, NAN, -0.5, 1e-7);
	rows[0].allele[0] = "ts";
	rows[1] = make("YC", NULL, "sorbitol [1 M]; YPD", "s", NAN, NAN, 0.25, NAN);
	assert_int_equal(exp_format_header(&text, &err), 0);
	cp_buf_printf(&text, &err, "# a comment\n");
	assert_int_equal(exp_format_row(&rows[0], &text, &err), 0);
	assert_int_equal(exp_format_row(&rows[1], &text, &err), 0);
	path = write_temp(text.data);
	rd = exp_reader_open(path, &err);
	assert_non_null(rd);
	assert_true(exp_reader_has_column(rd, "count"));
	assert_int_equal(exp_reader_next(rd, &r, &err), 1);
	assert_int_equal(r.n_genes, 2);
	assert_string_equal(r.allele[0], "ts");
	assert_string_equal(r.allele[1], "");
	assert_true(r.label[0] == 0.123456789 && isnan(r.label[1]) && r.label[3] == 1e-7);
	assert_int_equal(exp_reader_next(rd, &r, &err), 1);
	assert_string_equal(r.environment, "sorbitol [1 M]; YPD");
	assert_true(isnan(r.label[0]) && r.label[2] == 0.25);
	assert_int_equal(exp_reader_next(rd, &r, &err), 0);
	exp_reader_close(rd);
	unlink(path);
	free(path);
	cp_buf_free(&text);
}

static void expect_read_error(const char *text, const char *fragment)
{
	char *path = write_temp(text);
	exp_reader *rd = exp_reader_open(path, NULL);
	cp_error err;
	exp_row r;
	int rc = -1;

	if (rd) {
		while ((rc = exp_reader_next(rd, &r, &err)) == 1)
			;
		exp_reader_close(rd);
	} else {
		exp_reader_close(exp_reader_open(path, &err));
	}
	assert_int_equal(rc, -1);
	if (!strstr(err.msg, fragment))
		fail_msg("expected '%s' in '%s'", fragment, err.msg);
	unlink(path);
	free(path);
}

static void test_read_errors(void **state)
{
	(void)state;
	expect_read_error("gene\tfitness\nYA\t1\n", "no column 'genes'");
	expect_read_error("genes\tfitness\nYA\t1\nYB\t0.9x\n", ":3: column 'fitness': '0.9x' is not a number");
	expect_read_error("genes\tallele\nYA,YB\tts\n", "1 alleles for 2 genes");
	expect_read_error("genes\tcount\nYA\t0\n", "'0' is not a count");
	expect_read_error("genes\nYA,,YB\n", "an empty gene name");
	expect_read_error("genes\nYA,YA\n", "gene YA listed twice");
	expect_read_error("genes\tfitness\nYA\n", "1 fields, the header has 2");
}

/* Numbers are written exactly as printf's %.9g would write them. */
static void test_number_format(void **state)
{
	double fixed[] = { 0, -0.0, 1, -1, 0.7319, 9.8799999999999999E-2, 0.0001, 0.00012345,
			   0.000123456789, 99999.5, 123456789, 999999999, 1e9, 1e-5, 0.1 + 0.2,
			   -32.6926535, 5.0290539999999995, 2174.9284075, 1.0 / 3, 4e-06, 0.5, 1e300 };
	uint32_t x = 77;
	cp_error err;

	(void)state;
	for (size_t i = 0; i < 20000 + sizeof fixed / sizeof *fixed; i++) {
		double v;
		exp_row r = make("YA", NULL, "", "x", NAN, NAN, NAN, NAN);
		cp_buf out = { 0 };
		char want[64], *got;

		if (i < sizeof fixed / sizeof *fixed) {
			v = fixed[i];
		} else {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			/* short decimals like the screens' and arbitrary doubles */
			v = (i % 2) ? (double)(int32_t)x / 10000.0 : (double)x * 1e-7 / (1 + (x % 97));
			if (i % 5 == 0)
				v = -v * 1e-3;
		}
		r.label[0] = v;
		assert_int_equal(exp_format_row(&r, &out, &err), 0);
		got = strchr(strchr(out.data, '\t') + 1, '\t') + 2;
		*strchr(got, '\t') = '\0';
		snprintf(want, sizeof want, "%.9g", v);
		if (strcmp(got, want) != 0)
			fail_msg("%.17g written as %s, printf says %s", v, got, want);
		cp_buf_free(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_sort),
		cmocka_unit_test(test_genes_compare_case),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_case),
		cmocka_unit_test(test_merge_refuses),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_number_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
