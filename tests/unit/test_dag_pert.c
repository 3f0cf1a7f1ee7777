/* Unit tests of lib/go_dag.h and lib/pert.h: round trips and invariants. */
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

#include "go_dag.h"
#include "pert.h"

/*
 * A small DAG over genes g0..g4:
 *   A (stratum 0): g0 g1      B (stratum 0): g2
 *   C (stratum 1): g3, children A, B      D (stratum 0): g4 (part_of ROOT side)
 *   ROOT (stratum 2): children C, D
 */
static const char *genes[] = { "g0", "g1", "g2", "g3", "g4" };
static const char *ids[] = { "GO:A", "GO:B", "GO:D", "GO:C", "ROOT" };
static const char *names[] = { "a", "b", "d", "c", "root" };
static uint8_t ns[] = { 0, 0, 2, 0, 3 };
static int32_t stratum[] = { 0, 0, 0, 1, 2 };
static int32_t contained[] = { 2, 1, 1, 4, 5 };
static int64_t parent_ptr[] = { 0, 1, 2, 3, 4, 4 };
static int32_t parent[] = { 3, 3, 4, 4 };
static uint8_t parent_rel[] = { 0, 0, 1, 0 };
static int64_t gene_ptr[] = { 0, 2, 3, 4, 5, 5 };
static int32_t gene[] = { 0, 1, 2, 4, 3 };
static uint8_t evidence[] = { 0, 1, 0, 0, 1 };
static int32_t date[] = { 20100101, 20110101, 0, 20090505, 20100101 };
static const char *codes[] = { "IDA", "IMP" };
static int64_t stratum_ptr[] = { 0, 3, 4, 5 };

static void small_dag(go_dag *d)
{
	go_dag_init(d);
	d->n_genes = 5, d->genes = genes, d->n_terms = 5, d->term_id = ids, d->term_name = names;
	d->ns = ns, d->stratum = stratum, d->n_contained = contained;
	d->parent_ptr = parent_ptr, d->parent = parent, d->parent_rel = parent_rel;
	d->gene_ptr = gene_ptr, d->gene = gene, d->evidence = evidence, d->date = date;
	d->n_evidence_codes = 2, d->evidence_codes = codes;
	d->n_strata = 3, d->stratum_ptr = stratum_ptr, d->root = 4;
}

static void test_dag_check_and_round_trip(void **state)
{
	char path[] = "/tmp/dag-test.XXXXXX";
	int fd = mkstemp(path);
	go_dag d, back;
	cp_error err;
	cpz_writer *w;

	(void)state;
	close(fd);
	small_dag(&d);
	if (go_dag_check(&d, "small", &err) < 0)
		fail_msg("%s", err.msg);
	w = cpz_writer_open(path, "go-dag", "test", "test", NULL, &err);
	assert_non_null(w);
	assert_int_equal(go_dag_write(w, &d, NULL, NULL, &err), 0);
	assert_int_equal(cpz_writer_close(w, &err), 0);
	if (go_dag_read(path, &back, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(back.n_terms, 5);
	assert_int_equal(back.n_strata, 3);
	assert_string_equal(back.term_id[3], "GO:C");
	assert_memory_equal(back.gene, gene, sizeof gene);
	assert_int_equal(go_dag_find(&back, "GO:D"), 2);
	{
		int64_t *cptr;
		int32_t *child;

		assert_int_equal(go_dag_children(&back, &cptr, &child, &err), 0);
		assert_int_equal(cptr[3 + 1] - cptr[3], 2);	/* C has A and B */
		assert_int_equal(child[cptr[3]], 0);
		assert_int_equal(child[cptr[3] + 1], 1);
		assert_int_equal(cptr[4 + 1] - cptr[4], 2);	/* ROOT has D and C */
	}
	go_dag_free(&back);
	/* the names of the namespace and relation numbers must be this
	 * reader's, in its order */
	{
		const char *const swapped[] = { "part_of", "is_a" };
		const char *const three[] = { "biological_process", "molecular_function", "cellular_component" };
		struct {
			const char *field;
			const char *const *list;
			size_t n;
			const char *message;
		} cases[] = {
			{ "relations", swapped, 2, "field 'relations': expected is_a, part_of" },
			{ "namespaces", three, 3,
			  "field 'namespaces': expected biological_process, molecular_function, cellular_component, root" },
		};
		cpz_record genome, rec, bad;

		cpz_record_init(&genome);
		cpz_record_init(&rec);
		cpz_record_init(&bad);
		cpz_record_reset(&genome, "genome", &err);
		assert_int_equal(cpz_record_add_genome(&genome, 5, genes, &err), 0);
		cpz_record_reset(&rec, "go-dag", &err);
		assert_int_equal(go_dag_to_record(&d, &rec, &err), 0);
		for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
			cpz_record_reset(&bad, "go-dag", &err);
			for (size_t f = 0; f < rec.nfields; f++) {
				const cpz_field *x = &rec.fields[f];
				const int64_t *shape = x->tensor.shape;

				if (strcmp(x->name, cases[i].field) == 0)
					cpz_record_add_strings(&bad, x->name, cases[i].n, cases[i].list, &err);
				else if (x->kind == CPZ_VALUE_TENSOR)
					cpz_record_add_tensor(&bad, x->name, x->tensor.dtype, x->tensor.ndim, shape,
							      x->tensor.data, &err);
				else if (x->kind == CPZ_VALUE_STRINGS)
					cpz_record_add_strings(&bad, x->name, x->nstrings, x->strings, &err);
				else if (x->kind == CPZ_VALUE_INT)
					cpz_record_add_int(&bad, x->name, x->i, &err);
			}
			assert_int_equal(go_dag_from_records(&back, &genome, &bad, &err), -1);
			if (!strstr(err.msg, cases[i].message))
				fail_msg("case %zu: %s", i, err.msg);
			go_dag_free(&back);
		}
		cpz_record_reset(&bad, "go-dag", &err);
		assert_int_equal(go_dag_to_record(&d, &bad, &err), 0);
		if (go_dag_from_records(&back, &genome, &bad, &err) < 0)
			fail_msg("%s", err.msg);
		go_dag_free(&back);
		cpz_record_free(&genome);
		cpz_record_free(&rec);
		cpz_record_free(&bad);
	}
	unlink(path);
}

static void expect_bad(go_dag *d, const char *fragment)
{
	cp_error err;

	assert_int_equal(go_dag_check(d, "bad", &err), -1);
	if (!strstr(err.msg, fragment))
		fail_msg("expected '%s' in '%s'", fragment, err.msg);
}

static void test_dag_invariants(void **state)
{
	go_dag d;

	(void)state;
	small_dag(&d);
	contained[3] = 3;
	expect_bad(&d, "GO:C contains 4 genes, not 3");
	contained[3] = 4;
	stratum[4] = 3;
	expect_bad(&d, "sits in stratum 2");
	stratum[4] = 2;
	parent[0] = 0;	/* A its own parent: a cycle */
	expect_bad(&d, "is not above child");
	parent[0] = 3;
	gene[1] = 0;
	expect_bad(&d, "not sorted and unique");
	gene[1] = 1;
	gene[4] = 7;
	expect_bad(&d, "field 'gene.idx': term GO:C: gene index 7 out of range");
	gene[4] = 3;
	parent_ptr[4] = 3;	/* C loses its parent */
	expect_bad(&d, "no parent but is not the root");
	parent_ptr[4] = 4;
	ids[1] = "GO:A";
	expect_bad(&d, "appears twice");
	ids[1] = "";
	expect_bad(&d, "field 'term.id': term 1 has an empty id");
	ids[1] = "GO:B";
	/* no stratum may be empty */
	stratum[3] = 2, stratum[4] = 3;
	{
		int64_t sp[] = { 0, 3, 3, 4, 5 };

		d.stratum_ptr = sp;
		d.n_strata = 4;
		expect_bad(&d, "stratum 1 is empty");
	}
	stratum[3] = 1, stratum[4] = 2;
	small_dag(&d);
	/* a term's stratum is exactly 1 + the largest of its children's: D,
	 * with no children, one stratum up (beside C, below the root) */
	stratum[2] = 1, stratum_ptr[1] = 2;
	expect_bad(&d, "GO:D has stratum 1, but 1 + its children's largest is 0");
	stratum[2] = 0, stratum_ptr[1] = 3;
	{
		cp_error err;

		assert_int_equal(go_dag_check(&d, "restored", &err), 0);
	}
}

/* The sub-DAG of GO:C: A and B below it, C as the root. */
static void test_dag_subtree(void **state)
{
	go_dag d, sub;
	cp_error err;

	(void)state;
	small_dag(&d);
	if (go_dag_subtree(&d, "GO:C", &sub, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(sub.n_terms, 3);
	assert_int_equal(sub.n_strata, 2);
	assert_string_equal(sub.term_id[0], "GO:A");
	assert_string_equal(sub.term_id[1], "GO:B");
	assert_string_equal(sub.term_id[2], "GO:C");
	assert_int_equal(sub.root, 2);
	assert_int_equal(sub.ns[2], GO_ROOT_NAMESPACE);
	assert_int_equal(sub.n_contained[2], 4);
	assert_int_equal(sub.parent_ptr[3], 2);	/* A and B have C as parent; C none */
	assert_int_equal(sub.gene_ptr[3] - sub.gene_ptr[2], 1);	/* C keeps g3 */
	go_dag_free(&sub);
	assert_int_equal(go_dag_subtree(&d, "GO:A", &sub, &err), -1);
	assert_non_null(strstr(err.msg, "no descendants"));
	assert_int_equal(go_dag_subtree(&d, "GO:Z", &sub, &err), -1);
	assert_non_null(strstr(err.msg, "no term GO:Z"));
}

/* Write a samples stream of the builder's experiments to path; fix, if
 * not NULL, may change the chunk before it is written. */
static void write_samples(const char *path, const pert_context *ctx, pert_builder *b,
			  void (*fix)(pert_batch *batch))
{
	pert_batch batch;
	cpz_writer *w;
	cpz_record rec;
	cp_error err;

	cpz_record_init(&rec);
	w = cpz_writer_open(path, "samples", "test", "test", NULL, &err);
	assert_non_null(w);
	cpz_record_reset(&rec, "genome", &err);
	cpz_record_add_genome(&rec, 5, genes, &err);
	cpz_writer_write(w, &rec, &err);
	cpz_record_reset(&rec, "context", &err);
	assert_int_equal(pert_context_to_record(ctx, &rec, &err), 0);
	cpz_writer_write(w, &rec, &err);
	pert_builder_batch(b, &batch);
	if (fix)
		fix(&batch);
	cpz_record_reset(&rec, "samples", &err);
	assert_int_equal(pert_batch_to_record(ctx, &batch, &rec, &err), 0);
	assert_int_equal(cpz_writer_write(w, &rec, &err), 0);
	assert_int_equal(cpz_writer_close(w, &err), 0);
	cpz_record_free(&rec);
}

static void test_pert_round_trip(void **state)
{
	char path[] = "/tmp/pert-test.XXXXXX";
	int fd = mkstemp(path);
	pert_context ctx = { 0 };
	pert_builder *b;
	pert_batch batch;
	pert_reader *r;
	cp_error err;
	int32_t g1[] = { 3, 1 }, g2[] = { 4 }, e1[] = { 7, 2, 7 }, t1[] = { 4, 3, 0 };

	(void)state;
	close(fd);
	ctx.n_genes = 5, ctx.genes = genes;
	ctx.n_relations = 1, ctx.relation[0] = "physical", ctx.relation_edges[0] = 10;
	ctx.n_reactions = -1, ctx.n_terms = 5, ctx.chunk_size = 2;
	pert_go_hash(5, ids, ctx.go_hash);
	b = pert_builder_new(&ctx, &err);
	assert_non_null(b);
	{
		pert_experiment e = { .id = "x1", .source = "test", .genes = g1, .n_genes = 2,
				      .label = { 0.5f, 0.1f, NAN, NAN } };

		e.edges[0] = e1, e.n_edges[0] = 3, e.terms = t1, e.n_terms = 3;
		assert_int_equal(pert_builder_add(b, &e, &err), 0);
		e.id = "x2", e.genes = g2, e.n_genes = 1, e.n_edges[0] = 0, e.n_terms = 1;
		e.environment = "37C";
		assert_int_equal(pert_builder_add(b, &e, &err), 0);
		e.genes = (int32_t[]){ 2, 2 }, e.n_genes = 2;
		assert_int_equal(pert_builder_add(b, &e, &err), -1);
		assert_non_null(strstr(err.msg, "deleted gene 2 listed twice"));
	}
	write_samples(path, &ctx, b, NULL);
	pert_builder_free(b);

	r = pert_reader_open(path, "samples", &err);
	if (!r)
		fail_msg("%s", err.msg);
	assert_int_equal(pert_reader_context(r)->n_relations, 1);
	if (pert_reader_next(r, &batch, &err) != 1)
		fail_msg("%s", err.msg);
	assert_int_equal(batch.n, 2);
	assert_string_equal(batch.id[1], "x2");
	assert_string_equal(batch.environment[1], "37C");
	assert_string_equal(batch.environment[0], "");
	assert_int_equal(batch.gene_ptr[1], 2);
	assert_int_equal(batch.gene[0], 1);	/* sorted */
	assert_int_equal(batch.gene[1], 3);
	assert_int_equal(batch.edge_ptr[0][1], 2);	/* 7 listed twice: kept once */
	assert_int_equal(batch.edge[0][0], 2);
	assert_int_equal(batch.term_ptr[2], 4);
	assert_true(isnan(batch.label[2]));
	assert_true(batch.label[4] == 0.5f);
	assert_null(batch.reaction_ptr);
	assert_int_equal(pert_reader_next(r, &batch, &err), 0);
	pert_reader_close(r);

	/* an index out of range is refused with the field named */
	ctx.relation_edges[0] = 5;
	{
		cpz_reader *cr = cpz_reader_open(path, &err);
		cpz_record rr;

		cpz_record_init(&rr);
		cpz_reader_next(cr, &rr, &err);
		cpz_reader_next(cr, &rr, &err);
		cpz_reader_next(cr, &rr, &err);
		assert_int_equal(pert_batch_from_record(&ctx, &rr, &batch, &err), -1);
		assert_non_null(strstr(err.msg, "field 'edge.physical.idx': experiment 0: edge 7 out of range"));
		/* a string list one short is named itself, against label's rows */
		ctx.relation_edges[0] = 10;
		for (size_t f = 0; f < rr.nfields; f++)
			if (strcmp(rr.fields[f].name, "id") == 0)
				rr.fields[f].nstrings--;
		assert_int_equal(pert_batch_from_record(&ctx, &rr, &batch, &err), -1);
		if (!strstr(err.msg, "field 'id': 1 entries for 2 experiments (the rows of label)"))
			fail_msg("%s", err.msg);
		for (size_t f = 0; f < rr.nfields; f++)
			if (strcmp(rr.fields[f].name, "id") == 0)
				rr.fields[f].nstrings++;
		cpz_record_free(&rr);
		cpz_reader_close(cr);
	}
	unlink(path);
}

/* An infinite label is refused where a chunk is read: NaN marks a missing
 * label, infinity is no value (a writer that let one through, or a
 * damaged stream, must not reach training). */
static void infinite_label(pert_batch *batch)
{
	((float *)batch->label)[PERT_N_LABELS + 2] = -INFINITY;	/* x2's gene_interaction */
}

static void test_pert_infinite_label(void **state)
{
	char path[] = "/tmp/pert-test.XXXXXX";
	int fd = mkstemp(path);
	pert_context ctx = { 0 };
	pert_builder *b;
	pert_batch batch;
	pert_reader *r;
	cp_error err;
	int32_t g1[] = { 3, 1 };
	pert_experiment e = { .id = "x1", .source = "test", .genes = g1, .n_genes = 2,
			      .label = { 0.5f, NAN, NAN, NAN } };

	(void)state;
	close(fd);
	ctx.n_genes = 5, ctx.genes = genes;
	ctx.n_reactions = -1, ctx.n_terms = -1, ctx.chunk_size = 2;
	b = pert_builder_new(&ctx, &err);
	assert_non_null(b);
	assert_int_equal(pert_builder_add(b, &e, &err), 0);
	e.id = "x2";
	assert_int_equal(pert_builder_add(b, &e, &err), 0);
	write_samples(path, &ctx, b, infinite_label);
	pert_builder_free(b);

	r = pert_reader_open(path, "samples", &err);
	if (!r)
		fail_msg("%s", err.msg);
	assert_int_equal(pert_reader_next(r, &batch, &err), -1);
	if (!strstr(err.msg, "record 2") || !strstr(err.msg, "'label'") ||
	    !strstr(err.msg, "experiment 1: gene_interaction is -inf, not a value"))
		fail_msg("%s", err.msg);
	pert_reader_close(r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dag_check_and_round_trip),
		cmocka_unit_test(test_dag_invariants),
		cmocka_unit_test(test_dag_subtree),
		cmocka_unit_test(test_pert_round_trip),
		cmocka_unit_test(test_pert_infinite_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
