/* Unit tests of lib/interaction.h: the definitions of epsilon and tau, and
 * the agreement statistics. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "interaction.h"

static void test_epsilon_tau(void **state)
{
	(void)state;
	/* no interaction: the multiplicative expectation */
	assert_true(fabs(gi_epsilon(0.72, 0.9, 0.8)) < 1e-12);
	assert_true(fabs(gi_epsilon(0.5, 0.9, 0.8) - (0.5 - 0.72)) < 1e-12);
	/* a triple whose fitness is explained by its pairs has tau 0 */
	{
		double fa = 0.9, fb = 0.8, fc = 0.7, eab = -0.1, eac = 0.05, ebc = 0.02;
		double fabc = fa * fb * fc + eab * fc + eac * fb + ebc * fa;

		assert_true(fabs(gi_tau(fabc, fa, fb, fc, eab, eac, ebc)) < 1e-12);
		assert_true(fabs(gi_tau(fabc - 0.1, fa, fb, fc, eab, eac, ebc) + 0.1) < 1e-12);
	}
	assert_true(isnan(gi_epsilon(NAN, 1, 1)));
}

static void test_agreement(void **state)
{
	gi_agreement a;
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 6, 8, 10 };

	(void)state;
	gi_agreement_init(&a);
	assert_true(isnan(gi_agreement_pearson(&a)));
	assert_true(isnan(gi_agreement_rms_diff(&a)));
	for (int i = 0; i < 5; i++)
		gi_agreement_add(&a, x[i], y[i]);
	gi_agreement_add(&a, NAN, 1);
	assert_int_equal(a.n, 5);
	assert_true(fabs(gi_agreement_pearson(&a) - 1) < 1e-12);
	assert_true(fabs(gi_agreement_mean_diff(&a) + 3) < 1e-12);
	assert_true(fabs(gi_agreement_rms_diff(&a) - sqrt(11)) < 1e-12);
	gi_agreement_init(&a);
	for (int i = 0; i < 5; i++)
		gi_agreement_add(&a, x[i], -y[i] * y[i]);
	/* r of x against -4 x^2 over 1..5, computed independently */
	assert_true(fabs(gi_agreement_pearson(&a) + 0.98110491) < 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epsilon_tau),
		cmocka_unit_test(test_agreement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
