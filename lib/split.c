/* split.c - train/val/test by hashing gene sets, genes or queries. */
#include "split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const split_method_names[SPLIT_METHOD_COUNT] = { "random", "gene", "pair" };

int split_method_parse(const char *name, split_method *out)
{
	for (int m = 0; m < SPLIT_METHOD_COUNT; m++)
		if (strcmp(name, split_method_names[m]) == 0) {
			*out = (split_method)m;
			return 0;
		}
	return -1;
}

int split_parse_fractions(const char *text, double out[PERT_N_SPLITS], cp_error *err)
{
	char copy[256], *parts[PERT_N_SPLITS + 1];
	size_t n;
	double sum = 0;

	if (strlen(text) >= sizeof copy)
		return cp_error_set(err, "'%s' is not three fractions", text);
	strcpy(copy, text);
	n = 0;
	for (char *p = copy, *comma;; p = comma + 1) {
		if (n == PERT_N_SPLITS + 1)
			break;
		parts[n++] = p;
		comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = '\0';
	}
	if (n != PERT_N_SPLITS)
		return cp_error_set(err, "'%s' is not three fractions train,val,test", text);
	for (size_t i = 0; i < n; i++) {
		if (cp_parse_f64(parts[i], &out[i]) < 0 || !(out[i] >= 0 && out[i] <= 1))
			return cp_error_set(err, "'%s' is not a fraction between 0 and 1", parts[i]);
		sum += out[i];
	}
	if (fabs(sum - 1) > 1e-6)
		return cp_error_set(err, "fractions %s sum to %g, not 1", text, sum);
	for (size_t i = 0; i < n; i++)
		out[i] /= sum;
	return 0;
}

int split_of_unit(const split_spec *s, const char *domain, size_t n, const char *const *names)
{
	cp_hash64 h;
	double u;

	cp_hash64_init(&h, s->seed);
	cp_hash64_update(&h, domain, strlen(domain));
	cp_hash64_update(&h, ":", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			cp_hash64_update(&h, ",", 1);
		cp_hash64_update(&h, names[i], strlen(names[i]));
	}
	u = (double)(cp_hash64_final(&h) >> 11) * 0x1p-53;
	if (u < s->fractions[PERT_TRAIN])
		return PERT_TRAIN;
	if (u < s->fractions[PERT_TRAIN] + s->fractions[PERT_VAL])
		return PERT_VAL;
	return PERT_TEST;
}

int split_assign(const split_spec *s, size_t n, const char *const *genes, const char **scratch)
{
	int split = -1;

	switch (s->method) {
	case SPLIT_GENE:
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			int g = split_of_unit(s, "gene", 1, &genes[i]);

			if (split >= 0 && g != split)
				return SPLIT_DROPPED;
			split = g;
		}
		return split;
	case SPLIT_PAIR:
		if (n < 2)
			break;
		for (size_t i = 0; i < n; i++) {
			int q;

			/* the query without gene i, still in ascending order */
			for (size_t j = 0, k = 0; j < n; j++)
				if (j != i)
					scratch[k++] = genes[j];
			q = split_of_unit(s, "query", n - 1, scratch);
			if (q > split)
				split = q;
		}
		return split;
	default:
		break;
	}
	return split_of_unit(s, "set", n, genes);
}
