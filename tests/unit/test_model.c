/* Unit tests of loading a baseline model (lib/model.h): a model as fit
 * writes it loads and predicts; one whose values are not finite, or that
 * lists a gene twice, is refused naming the record and field. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

static const char *genes[] = { "YAL001C", "YAL002W", "YAL003W" };
/* the labels the next model written predicts (fitness alone, unless set) */
static int32_t labels[2] = { PERT_FITNESS };
static int64_t n_labels = 1;

/*
 * A baseline model stream at path: model "mean" with mean[0] = value, or
 * "additive" with bias 0.5 and weights w for the genes g (n of them), or
 * "multiplicative" with single-mutant fitness w of those genes.
 */
static void write_model(const char *path, const char *model, double value, const int32_t *g,
			const double *w, int64_t n)
{
	cpz_record rec;
	cp_error err;
	int64_t one = 1;
	double bias = 0.5;
	cpz_writer *w_ = cpz_writer_open(path, "model", "test", "test", NULL, &err);

	assert_non_null(w_);
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	assert_int_equal(cpz_record_add_genome(&rec, 3, genes, &err), 0);
	assert_int_equal(cpz_writer_write(w_, &rec, &err), 0);
	cpz_record_reset(&rec, "baseline", &err);
	assert_int_equal(cpz_record_add_str(&rec, "model", model, &err), 0);
	assert_int_equal(cpz_record_add_tensor_copy(&rec, "labels", CPZ_I32, 1, &n_labels, labels, &err), 0);
	if (strcmp(model, "mean") == 0) {
		assert_int_equal(cpz_record_add_tensor_copy(&rec, "mean", CPZ_F64, 1, &one, &value, &err), 0);
	} else if (strcmp(model, "multiplicative") == 0) {
		assert_int_equal(cpz_record_add_tensor_copy(&rec, "gene", CPZ_I32, 1, &n, g, &err), 0);
		assert_int_equal(cpz_record_add_tensor_copy(&rec, "fitness", CPZ_F64, 1, &n, w, &err), 0);
	} else {
		assert_int_equal(cpz_record_add_tensor_copy(&rec, "bias", CPZ_F64, 1, &one, &bias, &err), 0);
		assert_int_equal(cpz_record_add_tensor_copy(&rec, "gene", CPZ_I32, 1, &n, g, &err), 0);
		assert_int_equal(cpz_record_add_tensor_copy(&rec, "weight", CPZ_F64, 1, &n, w, &err), 0);
	}
	assert_int_equal(cpz_writer_write(w_, &rec, &err), 0);
	cpz_record_reset(&rec, "training", &err);
	assert_int_equal(cpz_record_add_str(&rec, "train", "train.cpz", &err), 0);
	assert_int_equal(cpz_writer_write(w_, &rec, &err), 0);
	assert_int_equal(cpz_writer_close(w_, &err), 0);
	cpz_record_free(&rec);
}

/* Load the model at a fresh path; NULL when it loads, else the message. */
static const char *load(const char *model, double value, const int32_t *g, const double *w,
			int64_t n, cp_model *m, cp_error *err)
{
	/* a path of its own: a stream once read is an input, which no writer
	 * of this process may replace */
	char path[] = "/tmp/model.XXXXXX";
	int rc;

	close(mkstemp(path));
	write_model(path, model, value, g, w, n);
	rc = model_load(m, path, err);
	unlink(path);
	return rc == 0 ? NULL : err->msg;
}

static void test_good(void **state)
{
	const int32_t g[] = { 2, 0 };
	const double w[] = { 0.25, -0.125 };
	cp_model m;
	cp_error err;
	const char *why;

	(void)state;
	why = load("mean", 0.75, NULL, NULL, 0, &m, &err);
	if (why)
		fail_msg("mean: %s", why);
	assert_int_equal(m.kind, MODEL_MEAN);
	assert_true(m.mean[0] == 0.75);
	model_free(&m);
	why = load("additive", 0, g, w, 2, &m, &err);
	if (why)
		fail_msg("additive: %s", why);
	assert_int_equal(m.kind, MODEL_ADDITIVE);
	assert_true(m.gene_value[2] == 0.25 && m.gene_value[0] == -0.125 && m.gene_value[1] == 0);
	model_free(&m);
}

static void test_refused(void **state)
{
	const int32_t twice[] = { 1, 2, 1 }, g[] = { 0, 1 };
	const double w3[] = { 0.1, 0.2, 0.3 }, inf_w[] = { 0.1, INFINITY };
	cp_model m;
	cp_error err;
	const char *why;

	(void)state;
	why = load("mean", NAN, NULL, NULL, 0, &m, &err);
	if (!why || !strstr(why, "(baseline): field 'mean': value 0 is nan, not a finite number"))
		fail_msg("NaN mean: %s", why ? why : "loaded");
	why = load("additive", 0, twice, w3, 3, &m, &err);
	if (!why || !strstr(why, "(baseline): field 'gene': gene 1 listed twice"))
		fail_msg("a gene twice: %s", why ? why : "loaded");
	why = load("additive", 0, g, inf_w, 2, &m, &err);
	if (!why || !strstr(why, "(baseline): field 'weight': value 1 is inf, not a finite number"))
		fail_msg("an infinite weight: %s", why ? why : "loaded");
	/* labels as fit makes them: each once; a multiplicative model's fitness */
	why = load("multiplicative", 0, g, w3, 2, &m, &err);
	if (why)
		fail_msg("multiplicative: %s", why);
	model_free(&m);
	labels[0] = PERT_GENE_INTERACTION;
	why = load("multiplicative", 0, g, w3, 2, &m, &err);
	if (!why || !strstr(why, "(baseline): field 'labels': a multiplicative model predicts fitness alone"))
		fail_msg("a multiplicative model of gene_interaction: %s", why ? why : "loaded");
	labels[1] = PERT_GENE_INTERACTION, n_labels = 2;
	why = load("mean", 0.5, NULL, NULL, 0, &m, &err);
	if (!why || !strstr(why, "(baseline): field 'labels': label 2 listed twice"))
		fail_msg("a label twice: %s", why ? why : "loaded");
	labels[0] = PERT_FITNESS, n_labels = 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
