/*
 * go-dag-check - test aid: read a go-dag stream (go_dag_read checks every
 * structural invariant), check the filter rules gaf2go promises, and print
 * the DAG as text for golden files.
 *
 *   go-dag-check [-m MIN_GENES] [-r contained|direct] [-p] [-c] FILE
 *
 * -m: every term but the root contains at least MIN_GENES genes.
 * -r: no term but the root and the namespace roots has the gene set
 *     (contained or direct, non-empty) of one of its children.
 * -p: print one line per term: id, stratum, contained genes, parents
 *     (":part_of" marks that relation), direct genes (name/evidence/date).
 * -c: print the counts: terms, edges, leaves, strata, annotations, genes.
 * Exit 0 when all holds, 1 with one message otherwise.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go_dag.h"

static int same_genes(const go_dag *d, int32_t a, int32_t b)
{
	int64_t n = d->gene_ptr[a + 1] - d->gene_ptr[a];

	if (n == 0 || n != d->gene_ptr[b + 1] - d->gene_ptr[b])
		return 0;
	return memcmp(d->gene + d->gene_ptr[a], d->gene + d->gene_ptr[b], (size_t)n * 4) == 0;
}

static int exempt(const go_dag *d, int32_t t)
{
	return t == d->root || strcmp(d->term_name[t], go_namespace_names[d->ns[t]]) == 0;
}

static int check_rules(const go_dag *d, long min_genes, const char *redundancy)
{
	for (size_t t = 0; t < d->n_terms; t++) {
		if ((int32_t)t != d->root && d->n_contained[t] < min_genes) {
			printf("term %s contains %d genes, fewer than %ld\n", d->term_id[t],
			       d->n_contained[t], min_genes);
			return 1;
		}
		for (int64_t k = d->parent_ptr[t]; k < d->parent_ptr[t + 1]; k++) {
			int32_t p = d->parent[k];
			int bad = 0;

			if (exempt(d, p) || !redundancy)
				continue;
			if (strcmp(redundancy, "direct") == 0)
				bad = same_genes(d, p, (int32_t)t);
			else
				bad = d->n_contained[t] > 0 && d->n_contained[t] == d->n_contained[p];
			if (bad) {
				printf("term %s has the %s genes of its child %s\n", d->term_id[p], redundancy,
				       d->term_id[t]);
				return 1;
			}
		}
	}
	return 0;
}

static void print_dag(const go_dag *d)
{
	for (size_t t = 0; t < d->n_terms; t++) {
		printf("%s\t%d\t%d\t", d->term_id[t], d->stratum[t], d->n_contained[t]);
		for (int64_t k = d->parent_ptr[t]; k < d->parent_ptr[t + 1]; k++)
			printf("%s%s%s", k > d->parent_ptr[t] ? "," : "", d->term_id[d->parent[k]],
			       d->parent_rel[k] == GO_PART_OF ? ":part_of" : "");
		printf("\t");
		for (int64_t k = d->gene_ptr[t]; k < d->gene_ptr[t + 1]; k++)
			printf("%s%s/%s/%d", k > d->gene_ptr[t] ? "," : "", d->genes[d->gene[k]],
			       d->evidence_codes[d->evidence[k]], d->date[k]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	const char *redundancy = NULL;
	long min_genes = 0;
	int c, print = 0, counts = 0, status;
	go_dag d;
	cp_error err;

	while ((c = getopt(argc, argv, "m:r:pc")) != -1) {
		switch (c) {
		case 'm': min_genes = atol(optarg); break;
		case 'r': redundancy = optarg; break;
		case 'p': print = 1; break;
		case 'c': counts = 1; break;
		default: return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: go-dag-check [-m N] [-r contained|direct] [-p] [-c] FILE\n");
		return 2;
	}
	if (go_dag_read(argv[optind], &d, &err) < 0) {
		printf("%s\n", err.msg);
		return 1;
	}
	status = check_rules(&d, min_genes, redundancy);
	if (print)
		print_dag(&d);
	if (counts) {
		size_t leaves = 0;

		for (size_t t = 0; t < d.n_terms; t++)
			leaves += d.stratum[t] == 0;
		printf("%zu terms, %lld edges, %zu leaves, %zu strata, %lld annotations, %d genes\n",
		       d.n_terms, (long long)d.parent_ptr[d.n_terms], leaves, d.n_strata,
		       (long long)d.gene_ptr[d.n_terms], d.n_contained[d.root]);
	}
	go_dag_free(&d);
	return status;
}
