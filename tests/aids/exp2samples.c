/*
 * exp2samples - a samples stream from an experiments TSV, for testing
 * batch-pack without pert-mask: genes are mapped with a genome (an SGD
 * features table or a stream's genome record); the context has no
 * relations, no metabolism and no GO DAG.  Experiments naming a gene the
 * genome lacks are skipped and counted on stderr, but for the genes cell
 * NONE, which makes an experiment that deletes no gene (a defect every
 * samples reader must refuse), and the genes cell CHUNK, which ends the
 * chunk there, written even when it holds no experiment (a chunk every
 * reader must pass over).
 *
 *   exp2samples GENOME EXPERIMENTS.tsv OUT.cpz [CHUNK]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpz.h"
#include "exp_table.h"
#include "genome.h"
#include "pert.h"

static int fail(const cp_error *err)
{
	fprintf(stderr, "exp2samples: %s\n", err->msg);
	return 1;
}

static int write_chunk(cpz_writer *w, const pert_context *ctx, pert_builder *b, cpz_record *rec,
		       cp_error *err)
{
	pert_batch chunk;

	pert_builder_batch(b, &chunk);
	if (cpz_record_reset(rec, "samples", err) < 0 || pert_batch_to_record(ctx, &chunk, rec, err) < 0 ||
	    cpz_writer_write(w, rec, err) < 0)
		return -1;
	pert_builder_clear(b);
	return 0;
}

int main(int argc, char **argv)
{
	genome g;
	pert_context ctx = { 0 };
	pert_builder *b = NULL;
	exp_reader *r = NULL;
	cpz_writer *w = NULL;
	cpz_record rec;
	exp_row row;
	cp_error err;
	size_t chunk = argc > 4 ? strtoul(argv[4], NULL, 10) : 4096, skipped = 0, kept = 0;
	int rc;

	if (argc < 4 || !chunk) {
		fprintf(stderr, "usage: exp2samples GENOME EXPERIMENTS.tsv OUT.cpz [CHUNK]\n");
		return 2;
	}
	genome_init(&g);
	cpz_record_init(&rec);
	if (genome_load(&g, argv[1], &err) < 0)
		return fail(&err);
	ctx.n_genes = g.n;
	ctx.genes = g.names;
	ctx.genome_hash = g.hash;
	ctx.n_reactions = ctx.n_terms = -1;
	ctx.chunk_size = (int64_t)chunk;
	if (!(b = pert_builder_new(&ctx, &err)) || !(r = exp_reader_open(argv[2], &err)) ||
	    !(w = cpz_writer_open(argv[3], "samples", "exp2samples", "exp2samples", NULL, &err)) ||
	    cpz_record_reset(&rec, "genome", &err) < 0 || genome_to_record(&g, &rec, 0, &err) < 0 ||
	    cpz_writer_write(w, &rec, &err) < 0 || cpz_record_reset(&rec, "context", &err) < 0 ||
	    pert_context_to_record(&ctx, &rec, &err) < 0 || cpz_writer_write(w, &rec, &err) < 0)
		goto out;
	while ((rc = exp_reader_next(r, &row, &err)) == 1) {
		int32_t genes[EXP_MAX_GENES];
		pert_experiment e = { .id = row.id, .source = row.source,
				      .environment = row.environment, .genes = genes,
				      .n_genes = row.n_genes };
		size_t i;

		if (row.n_genes == 1 && strcmp(row.genes[0], "CHUNK") == 0) {
			if (write_chunk(w, &ctx, b, &rec, &err) < 0)
				goto out;
			continue;
		}
		if (row.n_genes == 1 && strcmp(row.genes[0], "NONE") == 0)
			e.n_genes = row.n_genes = 0;
		for (i = 0; i < row.n_genes && (genes[i] = genome_lookup(&g, row.genes[i])) >= 0; i++)
			;
		if (i < row.n_genes) {
			skipped++;
			continue;
		}
		for (int k = 0; k < PERT_N_LABELS; k++)
			e.label[k] = (float)row.label[k];
		if (pert_builder_add(b, &e, &err) < 0 ||
		    (pert_builder_count(b) == chunk && write_chunk(w, &ctx, b, &rec, &err) < 0))
			goto out;
		kept++;
	}
	if (rc < 0 || (pert_builder_count(b) && write_chunk(w, &ctx, b, &rec, &err) < 0))
		goto out;
	rc = cpz_writer_close(w, &err);
	w = NULL;
	if (rc < 0)
		goto out;
	fprintf(stderr, "exp2samples: %zu experiments, %zu skipped for unknown genes\n", kept, skipped);
	err.msg[0] = '\0';
out:
	cpz_writer_abort(w);
	exp_reader_close(r);
	pert_builder_free(b);
	cpz_record_free(&rec);
	genome_free(&g);
	return err.msg[0] ? fail(&err) : 0;
}
