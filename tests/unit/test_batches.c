/* Unit tests of lib/batches.h: batch-pack end to end on a small samples
 * stream, for each split method, with and without standardization and
 * shuffling; and the context fields round trip. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batches.h"

#define N_GENES 60
#define MAX_EXP 2400

static char gene_names[N_GENES][8];
static const char *genes[N_GENES];

/* The experiments written, by input index. */
static struct {
	int n_genes;
	int32_t gene[3];
	float label[PERT_N_LABELS];
	int32_t edge[2];	/* edges of relation "physical": 3g, 3g+1 of the first gene */
	int32_t term;		/* one GO term: the first gene mod 7 */
} in[MAX_EXP];
static int n_in;
static char samples_path[64];

static pert_context context(void)
{
	pert_context ctx = { 0 };

	ctx.n_genes = N_GENES, ctx.genes = genes;
	ctx.n_relations = 1, ctx.relation[0] = "physical", ctx.relation_edges[0] = 3 * N_GENES;
	ctx.n_reactions = -1, ctx.n_terms = 7, ctx.chunk_size = 500;
	return ctx;
}

/* Pairs of the genes, singles, and triples; labels with NaN mixed in. */
static int setup(void **state)
{
	pert_context ctx = context();
	pert_builder *b;
	cpz_writer *w;
	cpz_record rec;
	cp_error err;
	uint32_t x = 12345;
	int fd;

	(void)state;
	for (int i = 0; i < N_GENES; i++) {
		snprintf(gene_names[i], sizeof gene_names[i], "G%02d", i);
		genes[i] = gene_names[i];
	}
	for (int a = 0; a < N_GENES; a++) {
		in[n_in].n_genes = 1, in[n_in++].gene[0] = a;
		for (int c = a + 1; c < N_GENES; c++) {
			in[n_in].n_genes = 2, in[n_in].gene[0] = a, in[n_in++].gene[1] = c;
			if ((a + c) % 9 == 0 && c + 1 < N_GENES) {
				in[n_in].n_genes = 3;
				in[n_in].gene[0] = a, in[n_in].gene[1] = c, in[n_in++].gene[2] = c + 1;
			}
		}
	}
	assert_true(n_in <= MAX_EXP);
	for (int i = 0; i < n_in; i++) {
		for (int k = 0; k < PERT_N_LABELS; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			in[i].label[k] = (x % 13 == 0) ? NAN : (float)(x % 1000) / 500.0f + (float)k;
		}
		in[i].edge[0] = 3 * in[i].gene[0], in[i].edge[1] = 3 * in[i].gene[0] + 1;
		in[i].term = in[i].gene[0] % 7;
	}
	strcpy(samples_path, "/tmp/batches-test.XXXXXX");
	fd = mkstemp(samples_path);
	close(fd);
	cpz_record_init(&rec);
	w = cpz_writer_open(samples_path, "samples", "test", "test", NULL, &err);
	assert_non_null(w);
	cpz_record_reset(&rec, "genome", &err);
	cpz_record_add_genome(&rec, N_GENES, genes, &err);
	assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
	cpz_record_reset(&rec, "context", &err);
	assert_int_equal(pert_context_to_record(&ctx, &rec, &err), 0);
	assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
	b = pert_builder_new(&ctx, &err);
	for (int i = 0; i <= n_in; i++) {
		if (i == n_in || (i && i % 500 == 0)) {
			pert_batch chunk;

			pert_builder_batch(b, &chunk);
			cpz_record_reset(&rec, "samples", &err);
			assert_int_equal(pert_batch_to_record(&ctx, &chunk, &rec, &err), 0);
			assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
			pert_builder_clear(b);
		}
		if (i < n_in) {
			pert_experiment e = { .id = "e", .source = "test", .genes = in[i].gene,
					      .n_genes = (size_t)in[i].n_genes, .terms = &in[i].term,
					      .n_terms = 1 };

			e.edges[0] = in[i].edge, e.n_edges[0] = 2;
			memcpy(e.label, in[i].label, sizeof e.label);
			assert_int_equal(pert_builder_add(b, &e, &err), 0);
		}
	}
	assert_int_equal(cpz_writer_close(w, &err), 0);
	pert_builder_free(b);
	cpz_record_free(&rec);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(samples_path);
	return 0;
}

/* Run both passes into path; alter, if not NULL, edits what the first found. */
static void pack_altered(const batch_pack_options *o, const char *path, batches_info *info,
			 void (*alter)(batches_info *))
{
	pert_reader *r = pert_reader_open(samples_path, "samples", NULL);
	cpz_writer *w;
	int64_t batches[3];
	cp_error err;

	assert_non_null(r);
	if (batch_pack_scan(r, o, info, &err) < 0)
		fail_msg("%s", err.msg);
	pert_reader_close(r);
	if (alter)
		alter(info);
	r = pert_reader_open(samples_path, "samples", NULL);
	w = cpz_writer_open(path, "batches", "test", "test", NULL, &err);
	cpz_writer *out[3] = { w, w, w };
	if (batch_pack_write(r, o, info, out, batches, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cpz_writer_close(w, &err), 0);
	pert_reader_close(r);
}

static void pack(const batch_pack_options *o, const char *path, batches_info *info)
{
	pack_altered(o, path, info, NULL);
}

static int contains(const int32_t *set, int n, int32_t g)
{
	for (int i = 0; i < n; i++)
		if (set[i] == g)
			return 1;
	return 0;
}

/* Read the batches back and check everything against the input. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void check(const batch_pack_options *o, const char *path)
{
	pert_reader *r = pert_reader_open(path, "batches", NULL);
	static int split_of[MAX_EXP];
	int64_t count[3] = { 0 }, last_short[3] = { 0 };
	int gene_in[3][N_GENES] = { { 0 } };
	batches_info info;
	pert_batch b;
	cp_error err;
	int rc;
	double sum = 0, sum2 = 0;
	int n_train_fit = 0;

	assert_non_null(r);
	if (batches_info_from_record(pert_reader_context_record(r), &info, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(info.input, n_in);
	assert_int_equal(info.count[0] + info.count[1] + info.count[2] + info.dropped, n_in);
	assert_int_equal(pert_reader_context(r)->chunk_size, o->batch_size);
	for (int i = 0; i < n_in; i++)
		split_of[i] = -1;
	while ((rc = pert_reader_next(r, &b, &err)) == 1) {
		assert_true(b.split >= 0 && b.index);
		assert_true(b.n >= 1 && (int64_t)b.n <= o->batch_size);
		/* only the last batch of a split may be short */
		assert_int_equal(last_short[b.split], 0);
		last_short[b.split] = (int64_t)b.n < o->batch_size;
		for (size_t i = 0; i < b.n; i++) {
			int64_t x = b.index[i];
			int n = (int)(b.gene_ptr[i + 1] - b.gene_ptr[i]);

			assert_true(x >= 0 && x < n_in);
			assert_int_equal(split_of[x], -1);	/* each experiment once */
			split_of[x] = b.split;
			count[b.split]++;
			assert_int_equal(n, in[x].n_genes);
			for (int k = 0; k < n; k++) {
				assert_true(contains(in[x].gene, n, b.gene[b.gene_ptr[i] + k]));
				gene_in[b.split][b.gene[b.gene_ptr[i] + k]] = 1;
			}
			assert_int_equal(b.edge_ptr[0][i + 1] - b.edge_ptr[0][i], 2);
			assert_int_equal(b.edge[0][b.edge_ptr[0][i]], in[x].edge[0]);
			assert_int_equal(b.term[b.term_ptr[i]], in[x].term);
			for (int k = 0; k < PERT_N_LABELS; k++) {
				double z = b.label[i * PERT_N_LABELS + k], orig = in[x].label[k];

				if (isnan(orig)) {
					assert_true(isnan(z));
					continue;
				}
				assert_true(fabs(batches_restore_label(&info, k, z) - orig) <
					    1e-5 * (1 + fabs(orig)));
			}
			if (b.split == PERT_TRAIN && !isnan(b.label[i * PERT_N_LABELS])) {
				sum += b.label[i * PERT_N_LABELS];
				sum2 += b.label[i * PERT_N_LABELS] * b.label[i * PERT_N_LABELS];
				n_train_fit++;
			}
		}
	}
	assert_int_equal(rc, 0);
	for (int s = 0; s < 3; s++) {
		assert_int_equal(count[s], info.count[s]);
		assert_true(count[s] > 0);
	}
	if (o->standardize == STANDARDIZE_ZSCORE) {
		double mean = sum / n_train_fit, var = sum2 / n_train_fit - mean * mean;

		assert_true(fabs(mean) < 1e-4 && fabs(var - 1) < 0.01);
	}
	/* fitness and gene_interaction: center and scale from the training
	 * split's labels, by the definitions (z-score: mean and sample standard
	 * deviation; robust: median and 1.4826 x the median absolute deviation) */
	for (int j = 0; j < 2 && o->standardize != STANDARDIZE_NONE; j++) {
		int k = j ? PERT_GENE_INTERACTION : PERT_FITNESS, nv = 0;
		double *v = malloc((size_t)n_in * sizeof *v), c = 0, sc = 0;

		assert_non_null(v);
		for (int i = 0; i < n_in; i++)
			if (split_of[i] == PERT_TRAIN && !isnan(in[i].label[k]))
				v[nv++] = in[i].label[k];
		assert_true(nv >= 2);
		if (o->standardize == STANDARDIZE_ZSCORE) {
			for (int i = 0; i < nv; i++)
				c += v[i] / nv;
			for (int i = 0; i < nv; i++)
				sc += (v[i] - c) * (v[i] - c) / (nv - 1);
			sc = sqrt(sc);
		} else {
			qsort(v, (size_t)nv, sizeof *v, cmp_double);
			c = nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2;
			for (int i = 0; i < nv; i++)
				v[i] = fabs(v[i] - c);
			qsort(v, (size_t)nv, sizeof *v, cmp_double);
			sc = 1.4826 * (nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2);
		}
		if (fabs(info.center[k] - c) > 1e-5 * (1 + fabs(c)) || fabs(info.scale[k] - sc) > 1e-5 * sc)
			fail_msg("label %d: center %g scale %g, want %g and %g", k, info.center[k],
				 info.scale[k], c, sc);
		free(v);
	}
	if (o->standardize == STANDARDIZE_NONE)
		for (int k = 0; k < PERT_N_LABELS; k++)
			assert_true(info.center[k] == 0 && info.scale[k] == 1);
	assert_true(info.center[PERT_FITNESS_STD] == 0 && info.center[PERT_GENE_INTERACTION_P] == 0 &&
		    info.scale[PERT_GENE_INTERACTION_P] == 1 &&
		    info.scale[PERT_FITNESS_STD] == info.scale[PERT_FITNESS]);
	/* disjointness */
	for (int i = 0; i < n_in; i++) {
		if (o->split.method == SPLIT_GENE) {
			if (split_of[i] < 0)
				continue;
			for (int s = 0; s < 3; s++)
				for (int k = 0; k < in[i].n_genes; k++)
					if (s != split_of[i])
						assert_false(gene_in[s][in[i].gene[k]]);
		} else {
			assert_true(split_of[i] >= 0);	/* nothing dropped */
		}
		if (o->split.method == SPLIT_PAIR && split_of[i] > 0 && in[i].n_genes >= 2) {
			int k = in[i].n_genes, found = 0;

			for (int omit = 0; omit < k && !found; omit++) {
				int in_train = 0;

				for (int j = 0; j < n_in && !in_train; j++) {
					int matched = 0;

					if (split_of[j] != PERT_TRAIN || in[j].n_genes != k)
						continue;
					for (int a = 0; a < k; a++)
						matched += a != omit && contains(in[j].gene, k, in[i].gene[a]);
					in_train = matched == k - 1;
				}
				found = !in_train;
			}
			assert_true(found);
		}
	}
	if (o->split.method == SPLIT_GENE)
		assert_true(info.dropped > 0);
	pert_reader_close(r);
}

static int same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca, cb, same = 1;

	do {
		ca = fgetc(fa), cb = fgetc(fb);
		same = ca == cb;
	} while (same && ca != EOF);
	fclose(fa);
	fclose(fb);
	return same;
}

static void run_method(split_method m, batches_standardize z, size_t shuffle)
{
	batch_pack_options o = { .split = { m, { 0.6, 0.2, 0.2 }, 5 }, .batch_size = 32,
				 .standardize = z, .shuffle = shuffle };
	char a[] = "/tmp/batches-a.XXXXXX", b[] = "/tmp/batches-b.XXXXXX";
	batches_info info;

	close(mkstemp(a));
	close(mkstemp(b));
	pack(&o, a, &info);
	check(&o, a);
	pack(&o, b, &info);
	assert_true(same_file(a, b));	/* byte-identical for the same seed */
	o.split.seed = 6;
	pack(&o, b, &info);
	assert_false(same_file(a, b));
	unlink(a);
	unlink(b);
}

static void test_random(void **state)
{
	(void)state;
	run_method(SPLIT_RANDOM, STANDARDIZE_ZSCORE, 0);
}

static void test_gene(void **state)
{
	(void)state;
	run_method(SPLIT_GENE, STANDARDIZE_ROBUST, 0);
}

static void test_pair(void **state)
{
	(void)state;
	run_method(SPLIT_PAIR, STANDARDIZE_NONE, 0);
}

static void test_shuffle(void **state)
{
	batch_pack_options o = { .split = { SPLIT_RANDOM, { 0.6, 0.2, 0.2 }, 5 }, .batch_size = 32 };
	char a[] = "/tmp/batches-a.XXXXXX", b[] = "/tmp/batches-b.XXXXXX";
	batches_info info;

	(void)state;
	run_method(SPLIT_RANDOM, STANDARDIZE_ZSCORE, 100);
	run_method(SPLIT_GENE, STANDARDIZE_NONE, 5000);
	/* the window changes the order, not the content (checked above) */
	close(mkstemp(a));
	close(mkstemp(b));
	pack(&o, a, &info);
	o.shuffle = 100;
	pack(&o, b, &info);
	assert_false(same_file(a, b));
	unlink(a);
	unlink(b);
}

static void test_info_round_trip(void **state)
{
	batches_info info = { 0 }, back;
	cpz_record rec;
	cp_error err;

	(void)state;
	info.split = (split_spec){ SPLIT_PAIR, { 0.5, 0.25, 0.25 }, 42 };
	info.batch_size = 64, info.shuffle = 10, info.standardize = STANDARDIZE_ROBUST;
	for (int k = 0; k < PERT_N_LABELS; k++)
		info.center[k] = k * 0.5, info.scale[k] = 1 + k;
	info.count[0] = 100, info.count[1] = 9, info.count[2] = 7, info.dropped = 3, info.input = 119;
	for (int s = 0; s < PERT_N_SPLITS; s++)
		for (int k = 0; k < PERT_N_LABELS; k++) {
			info.nan[s][k] = s == 2 ? 7 : s == 0 ? k : 0;
			info.present[s][k] = info.count[s] - info.nan[s][k];
		}
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "context", &err);
	assert_int_equal(batches_info_to_record(&info, &rec, &err), 0);
	assert_int_equal(batches_info_from_record(&rec, &back, &err), 0);
	assert_memory_equal(&info, &back, sizeof info);
	assert_true(fabs(batches_restore_label(&back, 2, batches_standardize_label(&back, 2, 0.3)) -
			 0.3) < 1e-12);
	/* counts that do not add up: a label both present and missing, splits
	 * and dropped experiments that do not make the input */
	{
		struct {
			int64_t *at, value;
			const char *message;
		} bad[] = {
			{ &info.present[1][2], 10, "'label.present': val, gene_interaction: 10 present and 0 missing for 9" },
			{ &info.nan[0][1], -1, "'label.present': train, fitness_std: 99 present and -1 missing" },
			{ &info.input, 118, "'split.input': 118 experiments, but the splits hold 116 and 3 were dropped" },
			{ &info.dropped, -2, "'split.dropped': -2 experiments" },
			{ &info.count[2], -7, "'split.count': test: -7 experiments" },
		};

		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			int64_t keep = *bad[i].at;

			*bad[i].at = bad[i].value;
			cpz_record_reset(&rec, "context", &err);
			batches_info_to_record(&info, &rec, &err);
			assert_int_equal(batches_info_from_record(&rec, &back, &err), -1);
			if (!strstr(err.msg, bad[i].message))
				fail_msg("case %zu: %s", i, err.msg);
			*bad[i].at = keep;
		}
	}
	/* a scale of 0 cannot be undone */
	info.scale[1] = 0;
	cpz_record_reset(&rec, "context", &err);
	batches_info_to_record(&info, &rec, &err);
	assert_int_equal(batches_info_from_record(&rec, &back, &err), -1);
	assert_non_null(strstr(err.msg, "cannot be undone"));
	cpz_record_free(&rec);
}

static void scale_nan(batches_info *info)
{
	info->scale[2] = NAN;
}

/* A batches stream whose standardization cannot be undone (a scale that
 * is not a positive number) is refused when opened, naming the field. */
static void test_bad_context(void **state)
{
	batch_pack_options o = { .split = { SPLIT_RANDOM, { 0.6, 0.2, 0.2 }, 5 }, .batch_size = 32,
				 .standardize = STANDARDIZE_ZSCORE };
	char a[] = "/tmp/batches-a.XXXXXX";
	batches_info info;
	cp_error err;

	(void)state;
	close(mkstemp(a));
	pack_altered(&o, a, &info, scale_nan);
	assert_null(pert_reader_open(a, NULL, &err));
	if (!strstr(err.msg, a) || !strstr(err.msg, "'label.scale'") || !strstr(err.msg, "cannot be undone"))
		fail_msg("%s", err.msg);
	unlink(a);
}

/* The context moves a training experiment to the validation split. */
static void move_one(batches_info *info)
{
	info->count[PERT_TRAIN]--;
	info->count[PERT_VAL]++;
	for (int m = 0; m < PERT_N_LABELS; m++) {
		if (info->nan[PERT_TRAIN][m] > 0)
			info->nan[PERT_TRAIN][m]--;
		else
			info->present[PERT_TRAIN][m]--;
		info->nan[PERT_VAL][m]++;
	}
}

/* A batches stream whose context's counts are not its batches' (a batch
 * lost, or moved) is refused at its end. */
static void test_count_mismatch(void **state)
{
	batch_pack_options o = { .split = { SPLIT_RANDOM, { 0.6, 0.2, 0.2 }, 5 }, .batch_size = 32 };
	char a[] = "/tmp/batches-a.XXXXXX", want[160];
	batches_info info;
	pert_reader *r;
	pert_batch b;
	cp_error err;
	int rc;

	(void)state;
	close(mkstemp(a));
	pack_altered(&o, a, &info, move_one);
	r = pert_reader_open(a, NULL, &err);
	if (!r)
		fail_msg("%s", err.msg);
	while ((rc = pert_reader_next(r, &b, &err)) == 1)
		;
	assert_int_equal(rc, -1);
	snprintf(want, sizeof want, "%s: record 1 (context): field 'split.count': says %" PRId64 " train "
		 "experiments, but the batches of that split hold %" PRId64, a, info.count[PERT_TRAIN],
		 info.count[PERT_TRAIN] + 1);
	if (strcmp(err.msg, want) != 0)
		fail_msg("%s", err.msg);
	pert_reader_close(r);
	unlink(a);
}

/* Streams of one split each (batch-pack -O) carry the context of all three
 * and read to their ends. */
static void test_split_streams(void **state)
{
	batch_pack_options o = { .split = { SPLIT_RANDOM, { 0.6, 0.2, 0.2 }, 5 }, .batch_size = 32 };
	char path[PERT_N_SPLITS][32];
	cpz_writer *out[PERT_N_SPLITS];
	batches_info info;
	pert_reader *r;
	pert_batch b;
	int64_t batches[3];
	cp_error err;
	int rc;

	(void)state;
	r = pert_reader_open(samples_path, "samples", NULL);
	assert_non_null(r);
	assert_int_equal(batch_pack_scan(r, &o, &info, &err), 0);
	pert_reader_close(r);
	r = pert_reader_open(samples_path, "samples", NULL);
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		snprintf(path[s], sizeof path[s], "/tmp/batches-s.XXXXXX");
		close(mkstemp(path[s]));
		out[s] = cpz_writer_open(path[s], "batches", "test", "test", NULL, &err);
		assert_non_null(out[s]);
	}
	assert_int_equal(batch_pack_write(r, &o, &info, out, batches, &err), 0);
	pert_reader_close(r);
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		int64_t n = 0;

		assert_int_equal(cpz_writer_close(out[s], &err), 0);
		r = pert_reader_open(path[s], NULL, &err);
		assert_non_null(r);
		while ((rc = pert_reader_next(r, &b, &err)) == 1)
			n += (int64_t)b.n;
		if (rc != 0)
			fail_msg("%s: %s", pert_split_names[s], err.msg);
		assert_int_equal(n, info.count[s]);
		pert_reader_close(r);
		unlink(path[s]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_gene),
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_shuffle),
		cmocka_unit_test(test_info_round_trip),
		cmocka_unit_test(test_bad_context),
		cmocka_unit_test(test_count_mismatch),
		cmocka_unit_test(test_split_streams),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
