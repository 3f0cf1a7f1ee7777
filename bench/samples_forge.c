/*
 * samples_forge - a synthetic samples stream shaped like pert-mask's on the
 * yeast cell, for timing batch-pack.
 *
 *   samples_forge N OUT.cpz
 *
 * 6,000 genes; one relation of 150,000 edges; a GO DAG of 5,000 terms;
 * N experiments (a tenth single, most pairs, some triples), each removing
 * about 40 edges and affecting about 60 terms, with labels of which some are
 * NaN.  Deterministic.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpz.h"
#include "pert.h"

#define N_GENES 6000
#define CHUNK 4096

static uint32_t state = 2463534242u;

static uint32_t next(void)
{
	state ^= state << 13, state ^= state >> 17, state ^= state << 5;
	return state;
}

static int die(const cp_error *err)
{
	fprintf(stderr, "samples_forge: %s\n", err->msg);
	return 1;
}

int main(int argc, char **argv)
{
	static char names[N_GENES][8];
	static const char *genes[N_GENES];
	pert_context ctx = { 0 };
	pert_builder *b;
	cpz_writer *w;
	cpz_record rec;
	cp_error err;
	long n;

	if (argc != 3 || (n = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: samples_forge N OUT.cpz\n");
		return 2;
	}
	for (int i = 0; i < N_GENES; i++) {
		snprintf(names[i], sizeof names[i], "G%04d", i);
		genes[i] = names[i];
	}
	ctx.n_genes = N_GENES, ctx.genes = genes, ctx.genome_hash = cpz_genome_hash(N_GENES, genes);
	ctx.n_relations = 1, ctx.relation[0] = "physical", ctx.relation_edges[0] = 150000;
	ctx.n_reactions = -1, ctx.n_terms = 5000, ctx.chunk_size = CHUNK;
	cpz_record_init(&rec);
	b = pert_builder_new(&ctx, &err);
	w = cpz_writer_open(argv[2], "samples", "samples_forge", "samples_forge", NULL, &err);
	if (!b || !w || cpz_record_reset(&rec, "genome", &err) < 0 ||
	    cpz_record_add_genome(&rec, N_GENES, genes, &err) < 0 || cpz_writer_write(w, &rec, &err) < 0 ||
	    cpz_record_reset(&rec, "context", &err) < 0 || pert_context_to_record(&ctx, &rec, &err) < 0 ||
	    cpz_writer_write(w, &rec, &err) < 0)
		return die(&err);
	for (long i = 0; i <= n; i++) {
		if (i == n || (i && i % CHUNK == 0)) {
			pert_batch chunk;

			pert_builder_batch(b, &chunk);
			if (cpz_record_reset(&rec, "samples", &err) < 0 ||
			    pert_batch_to_record(&ctx, &chunk, &rec, &err) < 0 ||
			    cpz_writer_write(w, &rec, &err) < 0)
				return die(&err);
			pert_builder_clear(b);
		}
		if (i == n)
			break;
		int32_t g[3], edges[64], terms[96];
		size_t k = next() % 10 == 0 ? 1 : next() % 10 == 0 ? 3 : 2;
		pert_experiment e = { .id = "x", .source = "forge", .environment = "30C", .genes = g,
				      .n_genes = k, .terms = terms };

		g[0] = (int32_t)(next() % N_GENES);
		for (size_t j = 1; j < k; j++)
			g[j] = (int32_t)((g[j - 1] + 1 + next() % 100) % N_GENES);
		e.edges[0] = edges, e.n_edges[0] = 20 + next() % 40;
		for (size_t j = 0; j < e.n_edges[0]; j++)
			edges[j] = (int32_t)(next() % 150000);
		e.n_terms = 30 + next() % 60;
		for (size_t j = 0; j < e.n_terms; j++)
			terms[j] = (int32_t)(next() % 5000);
		for (int l = 0; l < PERT_N_LABELS; l++)
			e.label[l] = next() % 7 == 0 ? NAN : (float)(next() % 10000) / 10000.0f;
		if (pert_builder_add(b, &e, &err) < 0)
			return die(&err);
	}
	if (cpz_writer_close(w, &err) < 0)
		return die(&err);
	pert_builder_free(b);
	cpz_record_free(&rec);
	return 0;
}
