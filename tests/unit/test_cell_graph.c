/* Unit tests of lib/cell_graph.h, lib/edge_list.h and lib/gem.h on the
 * hand-made fixtures of tests/fixtures/graph-build. */
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
#include "gem.h"

#define FIX "tests/fixtures/graph-build/"

/* Genes by index: 0 COX1 1 TFC3 2 VPS8 3 YAL068W-A 4 ECM15 5 GAL10 6 GAL1
 * 7 DLD1 8 CYC7 9 DLD3 10 CYC1. */

static void load_genome(cell_graph *cg)
{
	cp_error err;
	size_t added, unmapped;

	cell_graph_init(cg);
	if (genome_load_sgd(&cg->genome, FIX "genes.tab", &err) < 0 ||
	    genome_add_uniprot(&cg->genome, FIX "uniprot.csv", &added, &unmapped, &err) < 0)
		fail_msg("%s", err.msg);
}

/* A temporary file holding text; the caller unlinks path. */
static void write_temp(char *path, const char *text)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_genome_fixture(void **state)
{
	cell_graph cg;

	(void)state;
	load_genome(&cg);
	/* ORFs only: not the CDS, the tRNA gene or the blocked reading frame */
	assert_int_equal(cg.genome.n, 11);
	assert_int_equal(genome_lookup(&cg.genome, "FLO8"), GENOME_UNKNOWN);
	assert_int_equal(genome_lookup(&cg.genome, "p04385"), 6);
	assert_int_equal(genome_lookup(&cg.genome, "P00046"), GENOME_AMBIGUOUS);
	cell_graph_free(&cg);
}

static void test_edge_list(void **state)
{
	cell_graph cg;
	edge_list el;
	edge_list_stats st;
	cp_error err;
	int64_t v;

	(void)state;
	load_genome(&cg);
	edge_list_init(&el);
	edge_list_stats_init(&st);
	if (edge_list_read(&el, FIX "physical.txt", &cg.genome, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st.header, 1);
	assert_int_equal(st.lines, 12);
	assert_int_equal(st.pairs, 9);
	assert_int_equal(st.unmapped_lines, 3);
	assert_int_equal(st.unmapped, 3);
	assert_int_equal(st.ambiguous, 2);
	assert_int_equal(edge_list_stats_distinct(&st), 3);
	assert_int_equal(cp_strmap_get(st.ids, "SHARED", &v), 1);
	assert_int_equal(v, 1 << 1 | 1);	/* once, ambiguous */
	assert_int_equal(el.weighted, 1);
	assert_int_equal(el.n, 9);
	/* vps8 tfc3 0.9: the second pair, as written */
	assert_int_equal(el.src[1], 2);
	assert_int_equal(el.dst[1], 1);
	assert_true(el.weight[1] == 0.9f);
	/* a second file must agree on weights */
	edge_list_stats_free(&st);
	edge_list_stats_init(&st);
	assert_int_equal(edge_list_read(&el, FIX "regulatory.tsv", &cg.genome, &st, &err), -1);
	assert_non_null(strstr(err.msg, "regulatory.tsv:1: 2 columns, but the edges before have 3"));
	edge_list_stats_free(&st);
	edge_list_free(&el);
	cell_graph_free(&cg);
}

static void expect_edge_error(const char *text, const char *fragment)
{
	char path[] = "/tmp/edges-test.XXXXXX";
	cell_graph cg;
	edge_list el;
	edge_list_stats st;
	cp_error err;

	load_genome(&cg);
	write_temp(path, text);
	edge_list_init(&el);
	edge_list_stats_init(&st);
	assert_int_equal(edge_list_read(&el, path, &cg.genome, &st, &err), -1);
	if (!strstr(err.msg, fragment))
		fail_msg("expected '%s' in '%s'", fragment, err.msg);
	assert_non_null(strstr(err.msg, path));
	edge_list_stats_free(&st);
	edge_list_free(&el);
	cell_graph_free(&cg);
	unlink(path);
}

static void test_edge_list_errors(void **state)
{
	(void)state;
	expect_edge_error("TFC3 VPS8\nTFC3\n", ":2: 1 column, expected 2 or 3 (gene gene [weight])");
	expect_edge_error("TFC3;VPS8\n", ":1: 1 column, expected 2 or 3 (gene gene [weight]); convert "
			  "';'-separated tables with pipelines/edges.mk");
	expect_edge_error("# c\nTFC3 VPS8 1 2\n", ":2: 4 columns");
	expect_edge_error("TFC3 VPS8 0.5\nGAL1 GAL10 high\n", ":2: weight 'high' is not a finite number");
	expect_edge_error("TFC3 VPS8 0.5\nGAL1 GAL10 nan\n", ":2: weight 'nan' is not a finite number");
	expect_edge_error("TFC3 VPS8\nGAL1 GAL10 2\n", ":2: 3 columns, but the edges before have 2");
}

/* Undirected pairs in canonical form, self-loops and duplicates counted,
 * the largest weight kept, incidence by gene. */
static void test_add_relation(void **state)
{
	cell_graph cg;
	cp_error err;
	int32_t src[] = { 2, 1, 6, 1, 9, 10 }, dst[] = { 1, 2, 5, 1, 10, 9 };
	float w[] = { 0.5f, 0.9f, 0.7f, 0.3f, 0.1f, 0.2f };
	const cell_relation *rel;

	(void)state;
	load_genome(&cg);
	if (cell_graph_add_relation(&cg, "physical", 0, 6, src, dst, w, &err) < 0)
		fail_msg("%s", err.msg);
	rel = &cg.relation[0];
	assert_int_equal(rel->n_edges, 3);
	assert_int_equal(rel->self_loops, 1);
	assert_int_equal(rel->duplicates, 2);
	assert_memory_equal(rel->edge_index, ((int32_t[]){ 1, 5, 9, 2, 6, 10 }), 6 * sizeof(int32_t));
	assert_true(rel->weight[0] == 0.9f && rel->weight[1] == 0.7f && rel->weight[2] == 0.2f);
	assert_int_equal(rel->incident_ptr[1], 0);
	assert_int_equal(rel->incident_ptr[2], 1);	/* TFC3: edge 0 */
	assert_int_equal(rel->incident_ptr[3], 2);	/* VPS8: edge 0 */
	assert_int_equal(rel->incident_ptr[11], 6);
	/* directed: both directions are edges */
	if (cell_graph_add_relation(&cg, "regulatory", 1, 6, src, dst, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	rel = &cg.relation[1];
	assert_int_equal(rel->n_edges, 5);
	assert_int_equal(rel->duplicates, 0);
	assert_null(rel->weight);
	assert_memory_equal(rel->edge_index, ((int32_t[]){ 1, 2, 6, 9, 10, 2, 1, 5, 10, 9 }),
			    10 * sizeof(int32_t));
	/* TFC3's incidence lists edges 0 (out) and 1 (in) */
	assert_int_equal(rel->incident_ptr[2] - rel->incident_ptr[1], 2);
	assert_int_equal(cell_graph_check(&cg, "built", &err), 0);
	/* refusals */
	assert_int_equal(cell_graph_add_relation(&cg, "physical", 0, 6, src, dst, w, &err), -1);
	assert_non_null(strstr(err.msg, "relation physical given twice"));
	assert_int_equal(cell_graph_add_relation(&cg, "bad name", 0, 6, src, dst, w, &err), -1);
	assert_non_null(strstr(err.msg, "relation name 'bad name'"));
	assert_int_equal(cell_graph_add_relation(&cg, "loops", 0, 1, src + 3, dst + 3, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "relation loops has no edges: its 1 gene pair is a self-loop"));
	assert_int_equal(cell_graph_find_relation(&cg, "regulatory"), 1);
	assert_int_equal(cell_graph_find_relation(&cg, "loops"), -1);
	cell_graph_free(&cg);
}

static void test_gem(void **state)
{
	cell_graph cg;
	gem_stats st;
	cp_error err;
	const cell_metabolism *m = &cg.metabolism;

	(void)state;
	load_genome(&cg);
	gem_stats_init(&st);
	if (gem_load(&cg, FIX "gem.yml", 0, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st.metabolites, 5);
	assert_int_equal(st.reactions, 10);
	assert_int_equal(st.compartments, 2);
	assert_int_equal(st.rules, 8);
	assert_int_equal(st.no_genes, 2);
	assert_int_equal(st.clauses, 17);
	assert_int_equal(st.max_clauses, 5);
	assert_int_equal(st.unknown, 3);
	assert_int_equal(st.unknown_distinct, 3);
	assert_int_equal(st.ambiguous, 1);
	assert_int_equal(st.rules_always_true, 1);
	assert_int_equal(m->n_metabolites, 5);
	assert_string_equal(m->metabolite_name[3], "alpha-D-galactose 1-phosphate");
	assert_string_equal(m->metabolite_compartment[4], "e");
	assert_string_equal(m->reaction_id[6], "r_7");
	assert_string_equal(m->reaction_rule[1], "(YBR020W or YBR019C) and YAL001C");
	/* r_1 lists s_2 before s_1: stored by metabolite */
	assert_int_equal(m->stoichiometry_index[0], 0);
	assert_int_equal(m->stoichiometry_index[1], 1);
	assert_true(m->coefficient[0] == -1 && m->coefficient[1] == 1);
	assert_true(m->coefficient[4] == -1.5 && m->coefficient[5] == 0.75);
	/* bounds and reversibility: r_4 exchange, r_7 backward only, r_9 defaults */
	assert_true(m->reversible[3] && !m->reversible[6] && m->reversible[8]);
	assert_true(m->lower_bound[8] == -1000 && m->upper_bound[8] == 1000);
	assert_true(m->no_genes[3] && m->no_genes[8] && !m->no_genes[5]);
	/* r_6: a clause of unknown genes alone, always true */
	assert_int_equal(m->gpr_ptr[6] - m->gpr_ptr[5], 1);
	assert_int_equal(m->clause_ptr[m->gpr_ptr[5] + 1] - m->clause_ptr[m->gpr_ptr[5]], 0);
	assert_int_equal(m->n_unknown, 3);
	assert_string_equal(m->unknown[0], "SHARED");
	assert_string_equal(m->compartment_name[1], "extracellular");
	assert_int_equal(cell_graph_check(&cg, "gem", &err), 0);
	gem_stats_free(&st);
	cell_graph_free(&cg);
}

/* The same model written with plain mappings instead of ordered maps. */
static void test_gem_plain_mappings(void **state)
{
	char path[] = "/tmp/gem-test.XXXXXX";
	cell_graph cg;
	cp_error err;

	(void)state;
	write_temp(path, "metabolites:\n  - {id: a, name: A, compartment: c}\n  - {id: b}\n"
			 "reactions:\n  - id: r1\n    metabolites: {a: -1, b: 2}\n"
			 "    lower_bound: -.inf\n    upper_bound: .inf\n"
			 "    gene_reaction_rule: TFC3 or VPS8\ncompartments: {c: cytoplasm}\n");
	load_genome(&cg);
	if (gem_load(&cg, path, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cg.metabolism.n_reactions, 1);
	assert_true(isinf(cg.metabolism.lower_bound[0]) && cg.metabolism.lower_bound[0] < 0);
	assert_int_equal(cg.metabolism.reversible[0], 1);
	assert_int_equal(cg.metabolism.n_clauses, 2);
	assert_string_equal(cg.metabolism.metabolite_name[1], "");
	assert_int_equal(cg.metabolism.n_compartments, 1);
	cell_graph_free(&cg);
	unlink(path);
}

static void expect_gem_error(const char *text, const char *fragment)
{
	char path[] = "/tmp/gem-test.XXXXXX";
	cell_graph cg;
	cp_error err;

	write_temp(path, text);
	load_genome(&cg);
	assert_int_equal(gem_load(&cg, path, 0, NULL, &err), -1);
	if (!strstr(err.msg, fragment))
		fail_msg("expected '%s' in '%s'", fragment, err.msg);
	cell_graph_free(&cg);
	unlink(path);
}

static void test_gem_errors(void **state)
{
	(void)state;
	expect_gem_error("metabolites:\n  - id: a\nreactions:\n  - id: r1\n    lower_bound: 0\n"
			 "    upper_bound: 1\n    gene_reaction_rule: \"(TFC3 and\"\n",
			 ":7: reaction r1: gene_reaction_rule: column 10: expected a gene or '(', found the "
			 "end of the rule");
	expect_gem_error("metabolites:\n  - id: a\nreactions:\n  - id: r1\n    metabolites: {z: 1}\n"
			 "    lower_bound: 0\n    upper_bound: 1\n",
			 ":5: reaction r1: metabolite z is not among the metabolites");
	expect_gem_error("metabolites:\n  - id: a\n  - id: a\nreactions: []\n", ":3: metabolite a appears twice");
	expect_gem_error("metabolites:\n  - {id: a, compartment: c}\n  - {id: b, compartment: zz}\n"
			 "reactions: []\ncompartments: {c: cytoplasm}\n",
			 ":3: metabolite b: compartment 'zz' is not among the model's compartments");
	expect_gem_error("metabolites:\n  - {id: a, compartment: c}\nreactions: []\n",
			 ":2: metabolite a: compartment 'c', but the model declares no compartments");
	expect_gem_error("metabolites:\n  - id: a\nreactions:\n  - id: r1\n    upper_bound: 1\n",
			 "reaction r1: no lower_bound, and no default in metaData");
	expect_gem_error("metabolites:\n  - id: a\nreactions:\n  - id: r1\n    lower_bound: 5\n"
			 "    upper_bound: 1\n", "reaction r1: lower_bound above upper_bound");
	expect_gem_error("metabolites:\n  - id: a\nreactions:\n  - id: r1\n    metabolites: {a: x}\n"
			 "    lower_bound: 0\n    upper_bound: 1\n",
			 "reaction r1: coefficient of a is not a finite number");
	expect_gem_error("metabolites: [\n", "not valid YAML");
	expect_gem_error("genes: []\n", "no metabolites section: not a metabolic model in YAML");
	expect_gem_error("- a\n- b\n", ":1: expected a one-pair mapping in an ordered map");
}

/* The fixture's text form (yeast-GEM.txt's columns) gives the YAML's
 * metabolism: the same reactions, rules, bounds and stoichiometry, its
 * metabolites named NAME[COMPARTMENT] in order of first appearance. */
static void test_gem_text(void **state)
{
	cell_graph a, b;
	gem_stats sa, sb;
	cp_error err;
	const cell_metabolism *y = &a.metabolism, *t = &b.metabolism;

	(void)state;
	load_genome(&a);
	load_genome(&b);
	gem_stats_init(&sa);
	gem_stats_init(&sb);
	if (gem_load(&a, FIX "gem.yml", 0, &sa, &err) < 0 || gem_load(&b, FIX "gem.txt", 0, &sb, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(sb.metabolites, sa.metabolites);
	assert_int_equal(sb.reactions, sa.reactions);
	assert_int_equal(sb.compartments, sa.compartments);
	assert_int_equal(sb.rules, sa.rules);
	assert_int_equal(sb.no_genes, sa.no_genes);
	assert_int_equal(sb.clauses, sa.clauses);
	assert_int_equal(sb.unknown, sa.unknown);
	assert_int_equal(sb.ambiguous, sa.ambiguous);
	assert_int_equal(sb.rules_always_true, sa.rules_always_true);
	assert_int_equal(sb.genes, sa.genes);
	for (size_t k = 0; k < y->n_metabolites; k++) {
		char id[128];

		assert_string_equal(t->metabolite_name[k], y->metabolite_name[k]);
		assert_string_equal(t->metabolite_compartment[k], y->metabolite_compartment[k]);
		snprintf(id, sizeof id, "%s[%s]", y->metabolite_name[k], y->metabolite_compartment[k]);
		assert_string_equal(t->metabolite_id[k], id);
	}
	for (size_t r = 0; r < y->n_reactions; r++) {
		assert_string_equal(t->reaction_id[r], y->reaction_id[r]);
		assert_string_equal(t->reaction_rule[r], y->reaction_rule[r]);
		assert_string_equal(t->reaction_name[r], "");
		assert_true(t->lower_bound[r] == y->lower_bound[r] && t->upper_bound[r] == y->upper_bound[r]);
		assert_int_equal(t->reversible[r], y->reversible[r]);
		assert_int_equal(t->no_genes[r], y->no_genes[r]);
	}
	assert_int_equal(t->n_stoichiometry, y->n_stoichiometry);
	assert_memory_equal(t->stoichiometry_index, y->stoichiometry_index,
			    2 * (size_t)y->n_stoichiometry * sizeof *y->stoichiometry_index);
	assert_memory_equal(t->coefficient, y->coefficient, (size_t)y->n_stoichiometry * sizeof *y->coefficient);
	assert_int_equal(t->n_clauses, y->n_clauses);
	assert_memory_equal(t->gpr_ptr, y->gpr_ptr, (y->n_reactions + 1) * sizeof *y->gpr_ptr);
	assert_memory_equal(t->clause_ptr, y->clause_ptr, ((size_t)y->n_clauses + 1) * sizeof *y->clause_ptr);
	assert_memory_equal(t->clause_gene, y->clause_gene,
			    (size_t)y->clause_ptr[y->n_clauses] * sizeof *y->clause_gene);
	assert_int_equal(t->n_unknown, y->n_unknown);
	assert_string_equal(t->compartment_id[1], "e");
	assert_string_equal(t->compartment_name[1], "");
	assert_int_equal(cell_graph_check(&b, "gem", &err), 0);
	gem_stats_free(&sa);
	gem_stats_free(&sb);
	cell_graph_free(&a);
	cell_graph_free(&b);
}

/* Formulas: a metabolite on both sides keeps its net coefficient (none when
 * it cancels), <= runs right to left, columns are found by name. */
static void test_gem_text_formulas(void **state)
{
	char path[] = "/tmp/gem-test.XXXXXX";
	cell_graph cg;
	cp_error err;
	const cell_metabolism *m = &cg.metabolism;

	(void)state;
	/* a byte-order mark, a blank line, CR LF and a last line without LF */
	write_temp(path, "\xef\xbb\xbfUB\tLB\tFormula\tRxn name\tGene-reaction association\n"
			 "10\t0\tA[c] + H+[c] => B[c] + H+[c]\tr1\tTFC3\n"
			 "10\t-10\t2 A[c] + H+[c] => A[c] + 3 H+[c]\tr2\t\n"
			 "\n"
			 "0\t-5\tL-lysine-[histone][n] <= 1e-1 A[c]\tr3\tTFC3 or VPS8\r\n"
			 "10\t0\t0.1 A[c] + 0.2 A[c] => 0.3 A[c] + B[c]\tr4\t\r");
	load_genome(&cg);
	if (gem_load(&cg, path, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(m->n_reactions, 4);
	assert_int_equal(m->n_metabolites, 4);
	assert_string_equal(m->metabolite_id[3], "L-lysine-[histone][n]");
	assert_string_equal(m->metabolite_name[3], "L-lysine-[histone]");
	assert_string_equal(m->metabolite_compartment[3], "n");
	/* r1: A -1, B +1 (H+ cancelled); r2: A -1, H+ +2; r3: A -0.1, lysine +1;
	 * r4: B +1 (A cancelled up to rounding) */
	assert_int_equal(m->n_stoichiometry, 7);
	assert_int_equal(m->stoichiometry_index[6], 2);
	assert_int_equal(m->stoichiometry_index[7 + 6], 3);
	assert_true(m->coefficient[6] == 1);
	assert_true(m->upper_bound[3] == 10);
	assert_int_equal(m->stoichiometry_index[0], 0);
	assert_int_equal(m->stoichiometry_index[1], 2);
	assert_true(m->coefficient[0] == -1 && m->coefficient[1] == 1);
	assert_int_equal(m->stoichiometry_index[2], 0);
	assert_int_equal(m->stoichiometry_index[3], 1);
	assert_true(m->coefficient[2] == -1 && m->coefficient[3] == 2);
	assert_true(m->coefficient[4] == -0.1 && m->coefficient[5] == 1);
	assert_true(m->reversible[1] && !m->reversible[0] && !m->reversible[2]);
	assert_true(m->no_genes[1] && !m->no_genes[2]);
	assert_int_equal(m->n_compartments, 2);
	cell_graph_free(&cg);
	unlink(path);
}

static void test_gem_text_errors(void **state)
{
	static const char head[] = "Rxn name\tFormula\tGene-reaction association\tLB\tUB\n";
	static const struct {
		const char *rows, *fragment;
	} cases[] = {
		{ "r1\tA[c] B[c]\t\t0\t1\n", ":2: reaction r1: Formula: no arrow (=>, <=> or <=) in 'A[c] B[c]'" },
		{ "r1\tA[c] => B[c] => C[c]\t\t0\t1\n", ":2: reaction r1: Formula: more than one arrow" },
		{ "r1\tA => B[c]\t\t0\t1\n", ":2: reaction r1: Formula: 'A' is not NAME[COMPARTMENT]" },
		{ "r1\tA[] => B[c]\t\t0\t1\n", "Formula: 'A[]' is not NAME[COMPARTMENT]" },
		{ "r1\t0 A[c] => B[c]\t\t0\t1\n", "Formula: coefficient '0' is not a positive number" },
		{ "r1\tA[c] +  + B[c] => C[c]\t\t0\t1\n", "Formula: an empty term between '+' signs" },
		{ "r1\tA[c] => B[c]\t\tx\t1\n", ":2: reaction r1: LB: 'x' is not a number" },
		{ "r1\tA[c] => B[c]\t\t5\t1\n", ":2: reaction r1: LB above UB" },
		{ "r1\tA[c] => B[c]\t(TFC3 and\t0\t1\n",
		  ":2: reaction r1: Gene-reaction association: column 10: expected a gene or '('" },
		{ "r1\tA[c] => B[c]\t\t0\t1\nr1\tB[c] => A[c]\t\t0\t1\n", ":3: reaction r1: appears twice" },
		{ "r1\tA[c] => B[c]\t\t0\n", ":2: 4 fields, the header has 5" },
		{ "\tA[c] => B[c]\t\t0\t1\n", ":2: column 'Rxn name': a reaction without an id" },
	};
	char text[512];

	(void)state;
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		snprintf(text, sizeof text, "%s%s", head, cases[k].rows);
		expect_gem_error(text, cases[k].fragment);
	}
	expect_gem_error("Rxn name\tFormula\tLB\tUB\nr1\tA[c] => B[c]\t0\t1\n",
			 ":1: no column 'Gene-reaction association': not a yeast-GEM table");
	expect_gem_error("", "an empty YAML document");
	/* a YAML comment with a tab is still YAML */
	expect_gem_error("# a\tcomment\ngenes: []\n", "no metabolites section: not a metabolic model in YAML");
}

static void test_write_read(void **state)
{
	char path[] = "/tmp/cell-graph-test.XXXXXX";
	int fd = mkstemp(path);
	cell_graph cg, back;
	edge_list el;
	edge_list_stats st;
	cp_error err;
	cpz_writer *w;

	(void)state;
	close(fd);
	load_genome(&cg);
	edge_list_init(&el);
	edge_list_stats_init(&st);
	assert_int_equal(edge_list_read(&el, FIX "physical.txt", &cg.genome, &st, &err), 0);
	assert_int_equal(cell_graph_add_relation(&cg, "physical", 0, el.n, el.src, el.dst, el.weight,
						 &err), 0);
	cg.relation[0].lines = 12, cg.relation[0].unmapped = 3;
	assert_int_equal(gem_load(&cg, FIX "gem.yml", 0, NULL, &err), 0);
	w = cpz_writer_open(path, "cell-graph", "test", "test", NULL, &err);
	assert_non_null(w);
	assert_int_equal(cell_graph_write(w, &cg, &err), 0);
	assert_int_equal(cpz_writer_close(w, &err), 0);
	if (cell_graph_read(path, &back, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(back.genome.n, 11);
	assert_true(back.genome.hash == cg.genome.hash);
	/* identifiers map as they did, UniProt accessions included */
	assert_int_equal(genome_lookup(&back.genome, "P04385"), 6);
	assert_int_equal(back.n_relations, 1);
	assert_string_equal(back.relation[0].name, "physical");
	assert_int_equal(back.relation[0].n_edges, 7);
	assert_int_equal(back.relation[0].lines, 12);
	assert_memory_equal(back.relation[0].incident, cg.relation[0].incident, 14 * sizeof(int32_t));
	assert_true(back.has_metabolism);
	assert_int_equal(back.metabolism.n_clauses, 17);
	assert_string_equal(back.metabolism.reaction_name[0], "lactate dehydrogenase");
	cell_graph_free(&back);
	/* a graph whose invariants break is refused */
	{
		int32_t *edges = (int32_t *)cg.relation[0].edge_index;
		int64_t *ptr = (int64_t *)cg.relation[0].incident_ptr;

		edges[0] = 10;	/* (10, 10): a self-loop */
		assert_int_equal(cell_graph_check(&cg, "bad", &err), -1);
		if (!strstr(err.msg, "bad: field 'physical.edge_index': relation physical: edge 0 is a self-loop"))
			fail_msg("%s", err.msg);
		edges[0] = 0;
		edges[1] = 9;	/* (9, 2) after (0, 10): out of order */
		assert_int_equal(cell_graph_check(&cg, "bad", &err), -1);
		assert_non_null(strstr(err.msg, "source > target"));
		edges[1] = 1;
		ptr[1]++;
		assert_int_equal(cell_graph_check(&cg, "bad", &err), -1);
		assert_non_null(strstr(err.msg, "incident edges listed"));
		ptr[1]--;
		((uint8_t *)cg.metabolism.reversible)[0] = 1;
		assert_int_equal(cell_graph_check(&cg, "bad", &err), -1);
		assert_non_null(strstr(err.msg, "reaction r_1: reversible disagrees with bounds"));
		((uint8_t *)cg.metabolism.reversible)[0] = 0;
		((int32_t *)cg.metabolism.clause_gene)[1] = 7;
		assert_int_equal(cell_graph_check(&cg, "bad", &err), -1);
		assert_non_null(strstr(err.msg, "clause 0: genes not sorted and unique"));
		((int32_t *)cg.metabolism.clause_gene)[1] = 8;
		assert_int_equal(cell_graph_check(&cg, "restored", &err), 0);
	}
	/* the wrong kind of stream */
	assert_int_equal(cell_graph_read("formats/vectors/genome.cpz", &back, &err), -1);
	assert_non_null(strstr(err.msg, "expected a cell-graph stream"));
	edge_list_stats_free(&st);
	edge_list_free(&el);
	cell_graph_free(&cg);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genome_fixture),
		cmocka_unit_test(test_edge_list),
		cmocka_unit_test(test_edge_list_errors),
		cmocka_unit_test(test_add_relation),
		cmocka_unit_test(test_gem),
		cmocka_unit_test(test_gem_plain_mappings),
		cmocka_unit_test(test_gem_errors),
		cmocka_unit_test(test_gem_text),
		cmocka_unit_test(test_gem_text_formulas),
		cmocka_unit_test(test_gem_text_errors),
		cmocka_unit_test(test_write_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
