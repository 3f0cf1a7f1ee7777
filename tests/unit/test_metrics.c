/* Metrics against values computed by hand (and, for the longer cases, by an
 * independent implementation, with the numbers written here). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "metrics.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-12)

static void test_perfect_scaled(void **state)
{
	double t[5] = { 1, 2, 3, 4, 5 }, p[5] = { 2, 4, 6, 8, 10 };
	cp_metrics m;
	cp_error err;

	(void)state;
	assert_int_equal(cp_metrics_compute(t, p, 5, &m, &err), 0);
	assert_int_equal(m.n, 5);
	CLOSE(m.mse, 11.0);		/* (1 + 4 + 9 + 16 + 25) / 5 */
	CLOSE(m.rmse, sqrt(11.0));
	CLOSE(m.mae, 3.0);
	CLOSE(m.pearson, 1.0);
	CLOSE(m.spearman, 1.0);
	CLOSE(m.r2, 1.0 - 55.0 / 10.0);	/* SSE 55, SST 10 */
}

static void test_ties_and_missing(void **state)
{
	/* x ranks 1, 2.5, 2.5, 4; y ranks 1, 3, 2, 4: rho = 4.5 / sqrt(4.5 * 5) */
	double t[6] = { 1, 2, NAN, 2, 3, 7 }, p[6] = { 1, 3, 5, 2, 4, NAN };
	double r[4], x[4] = { 1, 2, 2, 3 };
	cp_metrics m;
	cp_error err;

	(void)state;
	assert_int_equal(cp_ranks(x, 4, r, &err), 0);
	CLOSE(r[0], 1), CLOSE(r[1], 2.5), CLOSE(r[2], 2.5), CLOSE(r[3], 4);
	assert_int_equal(cp_metrics_compute(t, p, 6, &m, &err), 0);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.missing, 2);
	CLOSE(m.spearman, 4.5 / sqrt(22.5));
}

static void test_reference_values(void **state)
{
	double t[8] = { 0.1, 0.5, 0.2, 0.9, 0.4, 0.7, 0.3, 0.8 };
	double p[8] = { 0.2, 0.4, 0.1, 0.7, 0.5, 0.9, 0.2, 0.6 };
	cp_metrics m;
	cp_error err;

	(void)state;
	assert_int_equal(cp_metrics_compute(t, p, 8, &m, &err), 0);
	CLOSE(m.pearson, 0.8601603088151037);
	CLOSE(m.pearson_lo, 0.39476996234291095);
	CLOSE(m.pearson_hi, 0.9742870108944197);
	CLOSE(m.mse, 0.02125);
	CLOSE(m.mae, 0.1375);
	CLOSE(m.r2, 0.711252653927813);
	CLOSE(m.spearman, 0.8622909085775465);	/* p has a tie (0.2, 0.2) */
}

static void test_degenerate(void **state)
{
	double t[3] = { 1, 1, 1 }, p[3] = { 1, 2, 3 };
	cp_metrics m;
	cp_error err;

	(void)state;
	assert_int_equal(cp_metrics_compute(t, p, 3, &m, &err), 0);
	assert_true(isnan(m.pearson));	/* constant truth: undefined */
	assert_true(isnan(m.r2));
	assert_int_equal(cp_metrics_compute(t, p, 0, &m, &err), 0);
	assert_int_equal(m.n, 0);
	assert_true(isnan(m.mse));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfect_scaled),
		cmocka_unit_test(test_ties_and_missing),
		cmocka_unit_test(test_reference_values),
		cmocka_unit_test(test_degenerate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
