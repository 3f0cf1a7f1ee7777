/* Unit tests of lib/extsort.h: order, runs on scratch files, duplicates. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extsort.h"

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* n pseudo-random lines, some repeated, some prefixes of others. */
static char **make_lines(size_t n)
{
	char **lines = malloc(n * sizeof *lines);
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < n; i++) {
		char buf[64];
		int len;

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		len = snprintf(buf, sizeof buf, "%u\tline %u", x % 5000, x % 7);
		if (i % 11 == 0)
			buf[len / 2] = '\0';
		lines[i] = strdup(buf);
	}
	return lines;
}

static void sort_and_compare(size_t n, size_t memory, int expect_runs)
{
	char **lines = make_lines(n), **want = malloc(n * sizeof *want);
	cp_extsort *s;
	cp_error err;
	const char *line;
	size_t len, i = 0;
	int rc;

	s = cp_extsort_new(memory, &err);
	assert_non_null(s);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(cp_extsort_add(s, lines[k], strlen(lines[k]), &err), 0);
	assert_int_equal(cp_extsort_finish(s, &err), 0);
	if (expect_runs)
		assert_true(cp_extsort_runs(s) > 3);
	else
		assert_int_equal(cp_extsort_runs(s), 0);
	memcpy(want, lines, n * sizeof *want);
	qsort(want, n, sizeof *want, compare_lines);
	while ((rc = cp_extsort_next(s, &line, &len, &err)) == 1) {
		assert_true(i < n);
		assert_int_equal(len, strlen(want[i]));
		assert_string_equal(line, want[i]);
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, n);
	assert_int_equal(cp_extsort_count(s), n);
	cp_extsort_free(s);
	for (size_t k = 0; k < n; k++)
		free(lines[k]);
	free(lines);
	free(want);
}

static void test_in_memory(void **state)
{
	(void)state;
	sort_and_compare(5000, 0, 0);
}

static void test_runs_on_disk(void **state)
{
	(void)state;
	/* 64 KiB buffer: 60,000 lines need tens of runs */
	sort_and_compare(60000, 1, 1);
}

static void test_empty_and_misuse(void **state)
{
	cp_extsort *s = cp_extsort_new(0, NULL);
	const char *line;
	size_t len;
	cp_error err;

	(void)state;
	assert_int_equal(cp_extsort_next(s, &line, &len, &err), -1);
	assert_int_equal(cp_extsort_add(s, "a\nb", 3, &err), -1);
	assert_non_null(strstr(err.msg, "newline"));
	assert_int_equal(cp_extsort_finish(s, &err), 0);
	assert_int_equal(cp_extsort_next(s, &line, &len, &err), 0);
	assert_int_equal(cp_extsort_add(s, "a", 1, &err), -1);
	cp_extsort_free(s);
	cp_extsort_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory),
		cmocka_unit_test(test_runs_on_disk),
		cmocka_unit_test(test_empty_and_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
