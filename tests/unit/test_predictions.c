/* Unit tests of the predictions stream (lib/predictions.h): what the
 * writer's records hold comes back, and a reader refuses a meta record
 * that does not name the splits as every stream does. */
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

#include "predictions.h"

static const char *genes[] = { "YAL001C", "YAL002W", "YAL003W" };

/* A stream of one chunk of two experiments; splits, if not NULL, replaces
 * the meta record's list of split names (n of them); sd, if not NULL, is
 * the chunk's pred_sd. */
static void write_stream_values(const char *path, const char *const *splits, size_t n,
				const float *sd, const float *labels_in, const float *pred_in);

static void write_stream(const char *path, const char *const *splits, size_t n, const float *sd)
{
	write_stream_values(path, splits, n, sd, NULL, NULL);
}

/* As write_stream, with the chunk's label (2 x 4) and pred (2) where not NULL. */
static void write_stream_values(const char *path, const char *const *splits, size_t n,
				const float *sd, const float *labels_in, const float *pred_in)
{
	pred_meta m = { "dcell", "fit 0.1.0", "batches.cpz", "", 1, { 2 } };
	const char *id[] = { "a", "b" }, *source[] = { "s", "s" }, *env[] = { "", "" };
	const int64_t gene_ptr[] = { 0, 2, 3 }, index[] = { 0, 1 };
	const int32_t gene[] = { 0, 1, 2 };
	const float label[] = { NAN, NAN, 0.1f, NAN, NAN, NAN, -0.2f, NAN }, pred[] = { 0.05f, -0.1f };
	const int8_t split[] = { 0, 2 };
	const char *labels[] = { "gene_interaction" };	/* borrowed until written */
	pred_chunk c = { 2, id, source, env, gene_ptr, gene, labels_in ? labels_in : label,
			 pred_in ? pred_in : pred, index, split, sd };
	cpz_record rec;
	cp_error err;
	cpz_writer *w = cpz_writer_open(path, "predictions", "test", "test", NULL, &err);

	assert_non_null(w);
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	assert_int_equal(cpz_record_add_genome(&rec, 3, genes, &err), 0);
	assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
	cpz_record_reset(&rec, "meta", &err);
	if (splits) {	/* as pred_meta_to_record writes it, but for the splits */
		assert_int_equal(cpz_record_add_str(&rec, "model", m.model, &err), 0);
		assert_int_equal(cpz_record_add_str(&rec, "model_producer", m.model_producer, &err), 0);
		assert_int_equal(cpz_record_add_str(&rec, "input", m.input, &err), 0);
		assert_int_equal(cpz_record_add_strings(&rec, "labels", 1, labels, &err), 0);
		assert_int_equal(cpz_record_add_strings(&rec, "splits", n, splits, &err), 0);
	} else {
		assert_int_equal(pred_meta_to_record(&m, &rec, &err), 0);
	}
	assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
	cpz_record_reset(&rec, "predictions", &err);
	assert_int_equal(pred_chunk_to_record(&m, &c, &rec, &err), 0);
	assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
	assert_int_equal(cpz_writer_close(w, &err), 0);
	cpz_record_free(&rec);
}

static void test_round_trip(void **state)
{
	char path[] = "/tmp/predictions.XXXXXX";
	pred_reader *r;
	pred_chunk c;
	cp_error err;

	(void)state;
	close(mkstemp(path));
	write_stream(path, NULL, 0, NULL);
	r = pred_reader_open(path, &err);
	if (!r)
		fail_msg("%s", err.msg);
	assert_string_equal(pred_reader_meta(r)->model, "dcell");
	assert_int_equal(pred_reader_meta(r)->label[0], 2);
	assert_int_equal(pred_reader_n_genes(r), 3);
	assert_int_equal(pred_reader_next(r, &c, &err), 1);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.gene_ptr[2], 3);
	assert_int_equal(c.split[1], 2);
	assert_true(c.pred[1] == -0.1f);
	assert_null(c.pred_sd);
	assert_int_equal(pred_reader_next(r, &c, &err), 0);
	pred_reader_close(r);
	unlink(path);
}

/* An ensemble's spread reads back; a negative or NaN one is refused, and
 * a label or a prediction is a finite number or NaN: an infinite one is
 * refused, naming the field and the experiment. */
static void test_values(void **state)
{
	const float good[] = { 0.01f, 0 }, negative[] = { 0.01f, -0.5f }, nan[] = { NAN, 0 };
	const float inf_label[] = { NAN, NAN, 0.1f, NAN, NAN, NAN, -INFINITY, NAN };
	const float inf_pred[] = { INFINITY, -0.1f }, inf_sd[] = { 0.01f, INFINITY };
	const struct {
		const float *sd, *label, *pred;
		const char *want;	/* NULL: read */
	} cases[] = {
		{ good, NULL, NULL, NULL },
		{ negative, NULL, NULL, "field 'pred_sd': entry 1 is -0.5, not a spread" },
		{ nan, NULL, NULL, "field 'pred_sd': entry 0 is nan, not a spread" },
		{ inf_sd, NULL, NULL, "field 'pred_sd': entry 1 is inf, not a spread" },
		{ NULL, inf_label, NULL, "field 'label': experiment 1: gene_interaction is -inf, not a value" },
		{ NULL, NULL, inf_pred, "field 'pred': experiment 0: inf is not a prediction" },
	};
	cp_error err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char path[] = "/tmp/predictions.XXXXXX";
		pred_reader *r;
		pred_chunk c;
		int rc;

		close(mkstemp(path));
		write_stream_values(path, NULL, 0, cases[i].sd, cases[i].label, cases[i].pred);
		r = pred_reader_open(path, &err);
		if (!r)
			fail_msg("%s", err.msg);
		rc = pred_reader_next(r, &c, &err);
		if (!cases[i].want) {
			assert_int_equal(rc, 1);
			assert_non_null(c.pred_sd);
			assert_true(c.pred_sd[0] == 0.01f && c.pred_sd[1] == 0);
		} else if (rc != -1 || !strstr(err.msg, cases[i].want)) {
			fail_msg("case %zu: %d %s", i, rc, rc < 0 ? err.msg : "");
		}
		pred_reader_close(r);
		unlink(path);
	}
}

/* The meta record names the chunks' split numbers: train, val and test,
 * in that order; any other list is refused, naming the field. */
static void test_meta_splits(void **state)
{
	const char *reordered[] = { "train", "test", "val" }, *short_list[] = { "train", "val" };
	const char *longer[] = { "train", "val", "test", "extra" };
	struct {
		const char *const *splits;
		size_t n;
	} cases[] = { { reordered, 3 }, { short_list, 2 }, { longer, 4 } };
	cp_error err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		/* a path of its own: a stream once read is an input, which no
		 * writer of this process may replace */
		char path[] = "/tmp/predictions.XXXXXX";

		close(mkstemp(path));
		write_stream(path, cases[i].splits, cases[i].n, NULL);
		assert_null(pred_reader_open(path, &err));
		if (!strstr(err.msg, "record 1 (meta): field 'splits': expected train, val and test"))
			fail_msg("case %zu: %s", i, err.msg);
		unlink(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_meta_splits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
