/* Unit tests of lib/pert_mask.h and lib/experiments.h: the masks of the
 * hand-made experiments of tests/fixtures/pert-mask, derived by hand. */
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

#include "cell_graph.h"
#include "edge_list.h"
#include "experiments.h"
#include "gem.h"
#include "go_dag.h"
#include "pert_mask.h"

#define FIX "tests/fixtures/graph-build/"
#define PFIX "tests/fixtures/pert-mask/"

/*
 * The fixture cell, by gene index: 0 COX1 1 TFC3 2 VPS8 3 YAL068W-A 4 ECM15
 * 5 GAL10 6 GAL1 7 DLD1 8 CYC7 9 DLD3 10 CYC1.
 *
 * physical (undirected): 0 (0,10) 1 (1,2) 2 (2,4) 3 (5,6) 4 (6,7) 5 (7,8) 6 (9,10)
 * regulatory (TF -> target): 0 (1,2) 1 (1,6) 2 (6,1) 3 (7,8) 4 (8,7)
 * reactions, as OR-of-ANDs:
 *   0 r_1 {7 8} {7 10} {8 9} {9 10}      5 r_6 {} (unknown genes only: never fails)
 *   1 r_2 {1 5} {1 6}   (A or B) and C   6 r_7 {0} {1 4} {1 5} {2 4} {2 5}
 *   2 r_3 {6}           absorbed          7 r_8 {2} {5 6}  (A and B) or C
 *   3 r_4 no genes                        8 r_9 no genes
 *   4 r_5 {2}           UNKNOWN1 present  9 r_10 {6}   SHARED (ambiguous) present
 * GO terms by index (children before parents): 0 B 1 D 2 E 3 A 4 C 5 ROOT,
 * with B under A, E under A and C, and direct genes A {7 9} B {8} C {5 6}
 * D {0} E {1}: a gene affects its terms and all their ancestors.
 */
typedef struct {
	const char *id;
	int32_t genes[4], physical[8], regulatory[8], reactions[8], terms[8];
	int n_genes, n_physical, n_regulatory, n_reactions, n_terms;
	float label[4];
} expected;

static const expected want[] = {
	/* losing DLD1: r_1 keeps {8 9} and {9 10} */
	{ "e1", { 7 }, { 4, 5 }, { 3, 4 }, { 0 }, { 3, 5 }, 1, 2, 2, 0, 2, { 0.9f, 0.05f, NAN, NAN } },
	/* DLD1 and DLD3: every clause of r_1 has one */
	{ "e2", { 7, 9 }, { 4, 5, 6 }, { 3, 4 }, { 0 }, { 3, 5 }, 2, 3, 2, 1, 2,
	  { 0.5f, NAN, -0.2f, NAN } },
	/* TFC3: r_2 = (GAL1 or GAL10) and TFC3 fails; r_7 keeps {0} */
	{ "e3", { 1 }, { 1 }, { 0, 1, 2 }, { 1 }, { 2, 3, 4, 5 }, 1, 1, 3, 1, 4, { NAN, NAN, NAN, NAN } },
	/* GAL1: r_2 keeps {1 5}, r_3 and r_10 fail, r_8 keeps {2} */
	{ "e4", { 6 }, { 3, 4 }, { 1, 2 }, { 2, 9 }, { 4, 5 }, 1, 2, 2, 2, 2, { 1.0f, 0.1f, 0.0f, NAN } },
	/* VPS8: r_5 fails (its unknown gene counts as present), r_8 keeps {5 6} */
	{ "e5", { 2 }, { 1, 2 }, { 0 }, { 4 }, { 0 }, 1, 2, 1, 1, 0, { 0.8f, 0.02f, 0.01f, NAN } },
	/* ECM15: r_6's empty clause keeps it, r_7 survives */
	{ "e6", { 4 }, { 2 }, { 0 }, { 0 }, { 0 }, 1, 1, 0, 0, 0, { NAN, NAN, NAN, NAN } },
	/* COX1, TFC3, VPS8: every clause of r_7 is hit */
	{ "e7", { 0, 1, 2 }, { 0, 1, 2 }, { 0, 1, 2 }, { 1, 4, 6 }, { 1, 2, 3, 4, 5 }, 3, 3, 3, 3, 5,
	  { 0.1f, 0.01f, -0.3f, NAN } },
	/* GAL10 and GAL1 by UniProt accession */
	{ "e8", { 5, 6 }, { 3, 4 }, { 1, 2 }, { 1, 2, 9 }, { 4, 5 }, 2, 2, 2, 3, 2,
	  { 0.7f, 0.03f, 0.05f, NAN } },
	/* a gene in no relation, no rule and no term */
	{ "e9", { 3 }, { 0 }, { 0 }, { 0 }, { 0 }, 1, 0, 0, 0, 0, { 1.01f, 0.02f, NAN, NAN } },
};

static cell_graph cg;
static go_dag dag;

static int setup(void **state)
{
	static const char *const edges[2][2] = { { "physical", FIX "physical.txt" },
						 { "regulatory", FIX "regulatory.tsv" } };
	cp_error err;
	size_t added, unmapped;

	(void)state;
	cell_graph_init(&cg);
	if (genome_load_sgd(&cg.genome, FIX "genes.tab", &err) < 0 ||
	    genome_add_uniprot(&cg.genome, FIX "uniprot.csv", &added, &unmapped, &err) < 0)
		goto fail;
	for (int r = 0; r < 2; r++) {
		edge_list el;
		edge_list_stats st;
		int rc;

		edge_list_init(&el);
		edge_list_stats_init(&st);
		rc = edge_list_read(&el, edges[r][1], &cg.genome, &st, &err);
		if (rc == 0)
			rc = cell_graph_add_relation(&cg, edges[r][0], r == 1, el.n, el.src, el.dst, el.weight,
						     &err);
		edge_list_stats_free(&st);
		edge_list_free(&el);
		if (rc < 0)
			goto fail;
	}
	if (gem_load(&cg, FIX "gem.yml", 0, NULL, &err) < 0 || go_dag_read(PFIX "go.cpz", &dag, &err) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "%s\n", err.msg);
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	go_dag_free(&dag);
	cell_graph_free(&cg);
	return 0;
}

static void expect_list(const char *what, const char *id, const int32_t *got, size_t n,
			const int32_t *want_list, int want_n)
{
	if (n != (size_t)want_n)
		fail_msg("%s %s: %zu entries, expected %d", id, what, n, want_n);
	for (size_t k = 0; k < n; k++)
		if (got[k] != want_list[k])
			fail_msg("%s %s: entry %zu is %d, expected %d", id, what, k, got[k], want_list[k]);
}

static int cmp_i32(const void *a, const void *b)
{
	return *(const int32_t *)a - *(const int32_t *)b;
}

static void test_hand_derived_masks(void **state)
{
	experiment_reader *rd;
	pert_mask *pm;
	pert_context ctx;
	experiment ex;
	cp_error err;
	size_t k = 0;
	int rc;

	(void)state;
	pm = pert_mask_new(&cg, "cell", &dag, "go", &err);
	if (!pm)
		fail_msg("%s", err.msg);
	pert_mask_context(pm, 4096, &ctx);
	assert_int_equal(ctx.n_relations, 2);
	assert_int_equal(ctx.relation_edges[0], 7);
	assert_int_equal(ctx.relation_edges[1], 5);
	assert_int_equal(ctx.n_reactions, 10);
	assert_int_equal(ctx.n_terms, 6);
	assert_int_equal(strlen(ctx.go_hash), 16);
	rd = experiment_reader_open(PFIX "experiments.tsv", &cg.genome, 0, &err);
	if (!rd)
		fail_msg("%s", err.msg);
	while ((rc = experiment_reader_next(rd, &ex, &err)) == 1) {
		const expected *w = &want[k++];
		pert_experiment e;
		int32_t genes[8];

		memset(&e, 0, sizeof e);
		assert_string_equal(ex.id, w->id);
		assert_string_equal(ex.source, k == 6 ? "" : "fixture");
		if (pert_mask_apply(pm, ex.genes, ex.n_genes, &e, &err) < 0)
			fail_msg("%s", err.msg);
		memcpy(genes, e.genes, e.n_genes * sizeof *genes);
		qsort(genes, e.n_genes, sizeof *genes, cmp_i32);
		expect_list("genes", w->id, genes, e.n_genes, w->genes, w->n_genes);
		expect_list("physical edges", w->id, e.edges[0], e.n_edges[0], w->physical, w->n_physical);
		expect_list("regulatory edges", w->id, e.edges[1], e.n_edges[1], w->regulatory,
			    w->n_regulatory);
		expect_list("reactions", w->id, e.reactions, e.n_reactions, w->reactions, w->n_reactions);
		expect_list("terms", w->id, e.terms, e.n_terms, w->terms, w->n_terms);
		for (int j = 0; j < PERT_N_LABELS; j++)
			if (isnan(w->label[j]) ? !isnan(ex.label[j]) : ex.label[j] != w->label[j])
				fail_msg("%s: label %d is %g, expected %g", w->id, j, ex.label[j], w->label[j]);
	}
	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(k, sizeof want / sizeof *want);
	assert_int_equal(experiment_reader_skipped(rd), 0);
	experiment_reader_close(rd);
	/* without a DAG or metabolism the lists are absent */
	{
		pert_mask *plain;
		pert_experiment e;
		int32_t gene = 7;
		cell_graph copy = cg;

		copy.has_metabolism = 0;
		plain = pert_mask_new(&copy, "cell", NULL, NULL, &err);
		assert_non_null(plain);
		pert_mask_context(plain, 16, &ctx);
		assert_int_equal(ctx.n_reactions, -1);
		assert_int_equal(ctx.n_terms, -1);
		assert_string_equal(ctx.go_hash, "");
		memset(&e, 0, sizeof e);
		assert_int_equal(pert_mask_apply(plain, &gene, 1, &e, &err), 0);
		assert_int_equal(e.n_edges[0], 2);
		assert_null(e.terms);
		assert_null(e.reactions);
		pert_mask_free(plain);
	}
	{
		int32_t twice[] = { 4, 4 };
		pert_experiment e;

		assert_int_equal(pert_mask_apply(pm, twice, 2, &e, &err), -1);
		assert_non_null(strstr(err.msg, "gene YBL001C deleted twice"));
	}
	pert_mask_free(pm);
}

static void test_genome_mismatch(void **state)
{
	go_dag other;
	cp_error err;

	(void)state;
	if (go_dag_read(PFIX "go-other-genome.cpz", &other, &err) < 0)
		fail_msg("%s", err.msg);
	assert_null(pert_mask_new(&cg, "cell.cpz", &other, "go.cpz", &err));
	assert_non_null(strstr(err.msg, "go.cpz: record 0 (genome): field 'hash': "));
	assert_non_null(strstr(err.msg, ", but cell.cpz indexes the genome "));
	go_dag_free(&other);
}

/* A table's text, read from a temporary file: returns the first error (or
 * "" when every line read), and the experiments read in *n. */
static const char *read_table(const char *text, int skip_unknown, size_t *n, size_t *skipped)
{
	static cp_error err;
	char path[] = "/tmp/experiments-test.XXXXXX";
	int fd = mkstemp(path);
	experiment_reader *rd;
	experiment ex;
	int rc = 0;

	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	err.msg[0] = '\0';
	*n = 0;
	rd = experiment_reader_open(path, &cg.genome, skip_unknown, &err);
	while (rd && (rc = experiment_reader_next(rd, &ex, &err)) == 1)
		(*n)++;
	if (rc == 0 && rd)
		err.msg[0] = '\0';
	if (skipped)
		*skipped = rd ? experiment_reader_skipped(rd) : 0;
	experiment_reader_close(rd);
	unlink(path);
	return err.msg;
}

static void expect_table_error(const char *text, const char *fragment)
{
	size_t n;
	const char *msg = read_table(text, 0, &n, NULL);

	if (!strstr(msg, fragment))
		fail_msg("expected '%s' in '%s'", fragment, msg);
}

static void test_table_errors(void **state)
{
	size_t n, skipped;

	(void)state;
	expect_table_error("", "empty: no header line");
	expect_table_error("# only a comment\n", "empty: no header line");
	expect_table_error("gene\tfitness\nTFC3\t1\n", ":1: no column 'genes' in the header");
	expect_table_error("genes\tgenes\n", ":1: column 'genes' appears twice");
	expect_table_error("genes\tfitness\nTFC3\t1\nYXX999W\t1\n", ":3: column 'genes': unknown gene 'YXX999W'");
	expect_table_error("genes\nTFC3,SHARED\n", ":2: column 'genes': ambiguous (several genes have the "
			   "name) gene 'SHARED'");
	expect_table_error("genes\nTFC3,YAL001C\n", ":2: column 'genes': gene YAL001C is deleted twice (as "
			   "'YAL001C')");
	expect_table_error("genes\nTFC3,,VPS8\n", ":2: column 'genes': an empty gene name");
	expect_table_error("genes\tid\n\tx\n", ":2: column 'genes': no deleted gene");
	expect_table_error("genes\tfitness\nTFC3\t1\t2\n", ":2: 3 fields, but the header has 2");
	expect_table_error("genes\tfitness\nTFC3\n", ":2: 1 fields, but the header has 2");
	expect_table_error("genes\tfitness\nTFC3\thigh\n", ":2: column 'fitness': 'high' is not a number");
	expect_table_error("genes\tgene_interaction\nTFC3\tinf\n",
			   ":2: column 'gene_interaction': 'inf' is not a number");
	/* skipping: unknown and ambiguous lines counted, duplicates still fail */
	assert_string_equal(read_table("genes\nTFC3\nYXX999W\nSHARED\nVPS8\n", 1, &n, &skipped), "");
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 2);
	assert_non_null(strstr(read_table("genes\nYXX999W\nTFC3,tfc3\n", 1, &n, &skipped),
			       ":3: column 'genes': gene YAL001C is deleted twice (as 'tfc3')"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_derived_masks),
		cmocka_unit_test(test_genome_mismatch),
		cmocka_unit_test(test_table_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
