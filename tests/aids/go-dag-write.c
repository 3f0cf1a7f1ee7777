/*
 * go-dag-write - a small go-dag stream from a hand-written term table, for
 * tests of the programs that read one (pert-mask --go).
 *
 *   go-dag-write GENOME TERMS.tsv OUT.cpz
 *
 * GENOME is an SGD features table (or a stream's genome).  TERMS.tsv has one
 * term a line: id, namespace (biological_process, molecular_function or
 * cellular_component), parents (','-separated ids, or -) and directly
 * annotated genes (','-separated identifiers, or -).  Terms without a parent
 * hang from an added root.  Strata, term order and contained genes are
 * computed as go_dag.h defines them; the result must pass go_dag_check.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genome.h"
#include "go_dag.h"
#include "textio.h"

#define MAX_TERMS 256
#define MAX_LIST 64

typedef struct {
	char *id, *ns;
	int parents[MAX_LIST], n_parents;
	int32_t genes[MAX_LIST];
	int n_genes;
	int stratum;
} term;

static term terms[MAX_TERMS + 1];
static int n_terms;

static void die(const char *msg, const char *what)
{
	fprintf(stderr, "go-dag-write: %s%s%s\n", msg, what ? ": " : "", what ? what : "");
	exit(1);
}

static int find_term(const char *id)
{
	for (int t = 0; t < n_terms; t++)
		if (strcmp(terms[t].id, id) == 0)
			return t;
	return -1;
}

static int cmp_i32(const void *a, const void *b)
{
	return *(const int32_t *)a - *(const int32_t *)b;
}

static int stratum_of(int t, int depth)
{
	if (depth > MAX_TERMS)
		die("a cycle among the terms", terms[t].id);
	if (terms[t].stratum < 0) {
		int s = 0;

		/* 1 + the largest stratum of the children */
		for (int c = 0; c < n_terms; c++)
			for (int k = 0; k < terms[c].n_parents; k++)
				if (terms[c].parents[k] == t && stratum_of(c, depth + 1) + 1 > s)
					s = stratum_of(c, depth + 1) + 1;
		terms[t].stratum = s;
	}
	return terms[t].stratum;
}

int main(int argc, char **argv)
{
	static char *parent_text[MAX_TERMS];
	genome g;
	cp_error err;
	cp_input *in = NULL;
	char *line, *f[4];
	size_t len;
	int order[MAX_TERMS + 1], root;

	if (argc != 4)
		die("usage: go-dag-write GENOME TERMS.tsv OUT.cpz", NULL);
	if (genome_load(&g, argv[1], &err) < 0 || !(in = cp_input_open(argv[2], &err)))
		die(err.msg, NULL);
	while (cp_input_getline(in, &line, &len, &err) == 1) {
		term *t = &terms[n_terms];

		if (line[0] == '#' || !line[0])
			continue;
		if (cp_split(line, '\t', f, 4) != 4 || n_terms == MAX_TERMS)
			die("expected id, namespace, parents and genes", line);
		t->id = strdup(f[0]);
		t->ns = strdup(f[1]);
		parent_text[n_terms] = strdup(f[2]);
		t->stratum = -1;
		for (char *s = strtok(f[3], ","); s && strcmp(s, "-") != 0; s = strtok(NULL, ",")) {
			int32_t gene = genome_lookup(&g, s);

			if (gene < 0 || t->n_genes == MAX_LIST)
				die("unknown gene", s);
			t->genes[t->n_genes++] = gene;
		}
		qsort(t->genes, (size_t)t->n_genes, sizeof *t->genes, cmp_i32);
		n_terms++;
	}
	cp_input_close(in);
	root = n_terms;
	terms[root].id = GO_ROOT_ID;
	terms[root].ns = "root";
	terms[root].stratum = -1;
	n_terms++;
	for (int t = 0; t < root; t++) {
		for (char *s = strtok(parent_text[t], ","); s && strcmp(s, "-") != 0;
		     s = strtok(NULL, ",")) {
			int p = find_term(s);

			if (p < 0)
				die("unknown parent", s);
			terms[t].parents[terms[t].n_parents++] = p;
		}
		if (!terms[t].n_parents)
			terms[t].parents[terms[t].n_parents++] = root;
	}
	/* order: by stratum, then as listed */
	{
		int k = 0, max = stratum_of(root, 0);

		for (int s = 0; s <= max; s++)
			for (int t = 0; t < n_terms; t++)
				if (stratum_of(t, 0) == s)
					order[k++] = t;
	}
	{
		static const char *ids[MAX_TERMS + 1], *names[MAX_TERMS + 1];
		static uint8_t ns[MAX_TERMS + 1], rel[MAX_TERMS * MAX_LIST], evidence[MAX_TERMS * MAX_LIST];
		static int32_t stratum[MAX_TERMS + 1], contained[MAX_TERMS + 1], parent[MAX_TERMS * MAX_LIST];
		static int32_t gene[MAX_TERMS * MAX_LIST], date[MAX_TERMS * MAX_LIST];
		static int64_t parent_ptr[MAX_TERMS + 2], gene_ptr[MAX_TERMS + 2], stratum_ptr[MAX_TERMS + 2];
		static int position[MAX_TERMS + 1];
		static const char *codes[] = { "IDA" };
		go_dag dag;
		cpz_writer *w;
		int n_strata = terms[root].stratum + 1;

		for (int k = 0; k < n_terms; k++)
			position[order[k]] = k;
		for (int k = 0; k < n_terms; k++) {
			term *t = &terms[order[k]];
			uint8_t *seen = calloc(g.n + 1, 1);

			if (!seen)
				die("out of memory", NULL);
			ids[k] = t->id;
			names[k] = t->id;
			for (int n = 0; n < GO_NAMESPACE_COUNT; n++)
				if (strcmp(t->ns, go_namespace_names[n]) == 0)
					ns[k] = (uint8_t)n;
			stratum[k] = t->stratum;
			parent_ptr[k + 1] = parent_ptr[k];
			for (int p = 0; p < t->n_parents; p++)
				parent[parent_ptr[k + 1]++] = position[t->parents[p]];
			gene_ptr[k + 1] = gene_ptr[k];
			for (int q = 0; q < t->n_genes; q++)
				gene[gene_ptr[k + 1]++] = t->genes[q];
			/* contained genes: those of every term below, found by
			 * walking up from each term's genes */
			for (int c = 0; c < root; c++) {
				int stack[MAX_TERMS + 1], top = 0, hit = 0;
				uint8_t visited[MAX_TERMS + 1] = { 0 };

				stack[top++] = c;
				while (top && !hit) {
					int u = stack[--top];

					hit = u == order[k];
					for (int p = 0; p < terms[u].n_parents; p++)
						if (!visited[terms[u].parents[p]]) {
							visited[terms[u].parents[p]] = 1;
							stack[top++] = terms[u].parents[p];
						}
				}
				for (int q = 0; hit && q < terms[c].n_genes; q++)
					if (!seen[terms[c].genes[q]]++)
						contained[k]++;
			}
			free(seen);
		}
		for (int s = 0, k = 0; s < n_strata; s++) {
			while (k < n_terms && stratum[k] == s)
				k++;
			stratum_ptr[s + 1] = k;
		}
		go_dag_init(&dag);
		dag.n_genes = g.n, dag.genes = g.names, dag.genome_hash = g.hash;
		dag.n_terms = (size_t)n_terms, dag.term_id = ids, dag.term_name = names;
		dag.ns = ns, dag.stratum = stratum, dag.n_contained = contained;
		dag.parent_ptr = parent_ptr, dag.parent = parent, dag.parent_rel = rel;
		dag.gene_ptr = gene_ptr, dag.gene = gene, dag.evidence = evidence, dag.date = date;
		dag.n_evidence_codes = 1, dag.evidence_codes = codes;
		dag.n_strata = (size_t)n_strata, dag.stratum_ptr = stratum_ptr, dag.root = n_terms - 1;
		if (go_dag_check(&dag, argv[2], &err) < 0)
			die(err.msg, NULL);
		w = cpz_writer_open(argv[3], "go-dag", "go-dag-write", "go-dag-write", NULL, &err);
		if (!w || go_dag_write(w, &dag, NULL, NULL, &err) < 0 || cpz_writer_close(w, &err) < 0)
			die(err.msg, NULL);
	}
	genome_free(&g);
	return 0;
}
