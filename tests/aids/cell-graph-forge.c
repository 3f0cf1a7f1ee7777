/*
 * cell-graph-forge - cell-graph streams with one broken invariant each, for
 * the bad-input corpus of the programs that read them (pert-mask --graph).
 *
 *   cell-graph-forge DIR
 *
 * Builds the fixture cell of tests/fixtures/graph-build, then for each
 * defect changes one value, writes DIR/NAME.cpz with the library writer
 * (which does not check), restores the value, and lists NAME.cpz with the
 * message fragment a reader must report in DIR/EXPECTED.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell_graph.h"
#include "edge_list.h"
#include "gem.h"

#define FIX "tests/fixtures/graph-build/"

static cell_graph cg;
static const char *dir;
static FILE *expected;

static void die(const char *msg)
{
	fprintf(stderr, "cell-graph-forge: %s\n", msg);
	exit(1);
}

static void forge(const char *name, const char *fragment)
{
	char path[4096];
	cp_error err;
	cpz_writer *w;

	snprintf(path, sizeof path, "%s/%s.cpz", dir, name);
	w = cpz_writer_open(path, "cell-graph", "cell-graph-forge", "cell-graph-forge", NULL, &err);
	if (!w || cell_graph_write(w, &cg, &err) < 0 || cpz_writer_close(w, &err) < 0)
		die(err.msg);
	fprintf(expected, "%s.cpz\t%s\n", name, fragment);
}

static void add_relation(const char *name, const char *path, int directed)
{
	edge_list el;
	edge_list_stats st;
	cp_error err;

	edge_list_init(&el);
	edge_list_stats_init(&st);
	if (edge_list_read(&el, path, &cg.genome, &st, &err) < 0 ||
	    cell_graph_add_relation(&cg, name, directed, el.n, el.src, el.dst, el.weight, &err) < 0)
		die(err.msg);
	edge_list_stats_free(&st);
	edge_list_free(&el);
}

int main(int argc, char **argv)
{
	char path[4096];
	cp_error err;
	size_t added, unmapped;
	int32_t *edges, *genes, *stoich;
	int64_t *incident_ptr, *gpr_ptr;
	uint8_t *reversible;
	float *weight;

	if (argc != 2)
		die("usage: cell-graph-forge DIR");
	dir = argv[1];
	snprintf(path, sizeof path, "%s/EXPECTED", dir);
	expected = fopen(path, "w");
	if (!expected)
		die("cannot write EXPECTED");
	fprintf(expected, "# file\tfragment of the one-line message a cell-graph reader must print\n");
	cell_graph_init(&cg);
	if (genome_load_sgd(&cg.genome, FIX "genes.tab", &err) < 0 ||
	    genome_add_uniprot(&cg.genome, FIX "uniprot.csv", &added, &unmapped, &err) < 0)
		die(err.msg);
	add_relation("physical", FIX "physical.txt", 0);
	add_relation("regulatory", FIX "regulatory.tsv", 1);
	if (gem_load(&cg, FIX "gem.yml", 0, NULL, &err) < 0)
		die(err.msg);
	if (cell_graph_check(&cg, "fixture", &err) < 0)
		die(err.msg);

	/* physical edges: 0 (0,10) 1 (1,2) 2 (2,4) 3 (5,6) 4 (6,7) 5 (7,8) 6 (9,10) */
	edges = (int32_t *)cg.relation[0].edge_index;
	weight = (float *)cg.relation[0].weight;
	incident_ptr = (int64_t *)cg.relation[0].incident_ptr;
	edges[7 + 1] = 1;
	forge("self-loop", "relation physical: edge 1 is a self-loop");
	edges[7 + 1] = 2;
	edges[1] = 3;
	forge("edge-order", "relation physical: undirected edge 1 has source > target");
	edges[1] = 1;
	edges[2] = 0;
	forge("edges-unsorted", "relation physical: edges not sorted and unique at 2");
	edges[2] = 2;
	edges[7 + 6] = 11;
	forge("gene-out-of-range", "relation physical: edge 6: gene out of range");
	edges[7 + 6] = 10;
	weight[3] = 1.0f / 0.0f;
	forge("weight-infinite", "relation physical: weight of edge 3 is not finite");
	weight[3] = 0.7f;
	incident_ptr[2]++;
	forge("incidence-count", "relation physical: gene YAL001C has 2 incident edges listed, 1 in the edges");
	incident_ptr[2]--;
	((int32_t *)cg.relation[0].incident)[0] = 1;
	forge("incidence-entry", "relation physical: incidence list of Q0045 is wrong at entry 0");
	((int32_t *)cg.relation[0].incident)[0] = 0;

	/* metabolism */
	genes = (int32_t *)cg.metabolism.clause_gene;
	genes[0] = 11;
	forge("clause-gene-range", "clause 0: gene 11 out of range");
	genes[0] = 7;
	reversible = (uint8_t *)cg.metabolism.reversible;
	reversible[2] = 1;
	forge("reversible", "reaction r_3: reversible disagrees with bounds [0, 1000]");
	reversible[2] = 0;
	stoich = (int32_t *)cg.metabolism.stoichiometry_index;
	stoich[0] = 5;
	forge("stoichiometry-range", "stoichiometry entry 0 out of range");
	stoich[0] = 0;
	((double *)cg.metabolism.coefficient)[3] = 0;
	forge("coefficient-zero", "reaction r_2: coefficient of s_4 is 0");
	((double *)cg.metabolism.coefficient)[3] = 1;
	gpr_ptr = (int64_t *)cg.metabolism.gpr_ptr;
	gpr_ptr[10] = 16;
	forge("gpr-end", "field 'gpr.ptr': ends at 16 but there are 17 clauses");
	gpr_ptr[10] = 17;
	((uint8_t *)cg.metabolism.no_genes)[0] = 1;
	forge("no-genes-flag", "reaction r_1: no_genes disagrees with its 4 clauses");
	((uint8_t *)cg.metabolism.no_genes)[0] = 0;
	if (cell_graph_check(&cg, "restored", &err) < 0)
		die(err.msg);
	fclose(expected);
	cell_graph_free(&cg);
	return 0;
}
