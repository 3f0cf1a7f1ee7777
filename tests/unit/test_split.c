/* Unit tests of lib/split.h: fractions, determinism, and the guarantee of
 * each method on random pairs and triples. */
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

#include "split.h"

#define N_GENES 300

static char names[N_GENES][8];
static const char *name[N_GENES];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < N_GENES; i++) {
		snprintf(names[i], sizeof names[i], "Y%04d", i);
		name[i] = names[i];
	}
	return 0;
}

static void test_fractions(void **state)
{
	double f[3];
	cp_error err;

	(void)state;
	assert_int_equal(split_parse_fractions("0.8,0.1,0.1", f, &err), 0);
	assert_true(fabs(f[0] - 0.8) < 1e-12 && fabs(f[0] + f[1] + f[2] - 1) < 1e-12);
	assert_int_equal(split_parse_fractions("1,0,0", f, &err), 0);
	assert_int_equal(split_parse_fractions("0.8,0.1", f, &err), -1);
	assert_int_equal(split_parse_fractions("0.8,0.1,0.2", f, &err), -1);
	assert_non_null(strstr(err.msg, "sum to 1.1"));
	assert_int_equal(split_parse_fractions("0.8,x,0.2", f, &err), -1);
	assert_int_equal(split_parse_fractions("1.5,-0.5,0", f, &err), -1);
	assert_int_equal(split_parse_fractions("0.5,0.5,0,0", f, &err), -1);
}

/* Random sets of k distinct genes, ascending. */
static void random_set(uint32_t *x, int k, const char **out)
{
	int idx[3];

	for (int i = 0; i < k; i++) {
		int dup;

		do {
			*x ^= *x << 13, *x ^= *x >> 17, *x ^= *x << 5;
			idx[i] = (int)(*x % N_GENES);
			dup = 0;
			for (int j = 0; j < i; j++)
				dup |= idx[j] == idx[i];
		} while (dup);
	}
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
			int t = idx[j];

			idx[j] = idx[j - 1], idx[j - 1] = t;
		}
	for (int i = 0; i < k; i++)
		out[i] = name[idx[i]];
}

static void test_random_fractions_and_determinism(void **state)
{
	split_spec s = { SPLIT_RANDOM, { 0.8, 0.1, 0.1 }, 7 };
	size_t count[3] = { 0 }, n = 30000;
	uint32_t x = 99;
	const char *set[3], *scratch[3];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		int a, b;

		random_set(&x, 2, set);
		a = split_assign(&s, 2, set, scratch);
		b = split_assign(&s, 2, set, scratch);
		assert_int_equal(a, b);
		count[a]++;
	}
	assert_true(fabs((double)count[0] / (double)n - 0.8) < 0.02);
	assert_true(fabs((double)count[1] / (double)n - 0.1) < 0.02);
	/* another seed, another split */
	s.seed = 8;
	{
		size_t same = 0;

		x = 99;
		for (size_t i = 0; i < 2000; i++) {
			split_spec t = s;
			int a, b;

			random_set(&x, 2, set);
			t.seed = 7;
			a = split_assign(&t, 2, set, scratch);
			b = split_assign(&s, 2, set, scratch);
			same += a == b;
		}
		assert_true(same < 1900);
	}
}

static void test_gene_is_disjoint(void **state)
{
	split_spec s = { SPLIT_GENE, { 0.6, 0.2, 0.2 }, 3 };
	int gene_split[N_GENES];
	size_t kept[3] = { 0 }, dropped = 0;
	uint32_t x = 5;
	const char *set[3], *scratch[3];

	(void)state;
	for (int i = 0; i < N_GENES; i++)
		gene_split[i] = -1;
	for (int i = 0; i < 20000; i++) {
		int k = 1 + i % 3, sp = split_assign(&s, (size_t)k, (random_set(&x, k, set), set), scratch);

		if (sp == SPLIT_DROPPED) {
			dropped++;
			continue;
		}
		kept[sp]++;
		/* every gene of a kept experiment is in its split, always the same */
		for (int j = 0; j < k; j++) {
			int g = atoi(set[j] + 1);

			if (gene_split[g] >= 0)
				assert_int_equal(gene_split[g], sp);
			gene_split[g] = sp;
		}
	}
	assert_true(kept[0] && kept[1] && kept[2] && dropped);
}

static void test_pair_holds_out_queries(void **state)
{
	split_spec s = { SPLIT_PAIR, { 0.7, 0.15, 0.15 }, 11 };
	static const char *sets[6000][3];
	int sp[6000];
	uint32_t x = 17;
	const char *scratch[3];
	size_t held = 0;

	(void)state;
	for (int i = 0; i < 6000; i++) {
		int k = 2 + i % 2;

		random_set(&x, k, sets[i]);
		sp[i] = split_assign(&s, (size_t)k, sets[i], scratch);
		assert_true(sp[i] >= 0);
	}
	/* each held-out experiment has a query (a subset of k-1 genes) that no
	 * training experiment of its size contains */
	for (int i = 0; i < 6000; i++) {
		int k = 2 + i % 2, found = 0;

		if (sp[i] == PERT_TRAIN)
			continue;
		held++;
		for (int omit = 0; omit < k && !found; omit++) {
			int in_train = 0;

			for (int j = 0; j < 6000 && !in_train; j++) {
				int matched = 0;

				if (sp[j] != PERT_TRAIN || 2 + j % 2 != k)
					continue;
				for (int a = 0; a < k; a++)
					for (int b = 0; b < k; b++)
						matched += a != omit && sets[i][a] == sets[j][b];
				in_train = matched == k - 1;
			}
			found = !in_train;
		}
		assert_true(found);
	}
	assert_true(held > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_random_fractions_and_determinism),
		cmocka_unit_test(test_gene_is_disjoint),
		cmocka_unit_test(test_pair_holds_out_queries),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
