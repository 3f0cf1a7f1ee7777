/* pert-mask - deletion experiments as masks against the wild-type cell graph. */
#define _GNU_SOURCE
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cell_graph.h"
#include "cli.h"
#include "cpz.h"
#include "experiments.h"
#include "go_dag.h"
#include "pert.h"
#include "pert_mask.h"

#define DEFAULT_CHUNK 4096
/* Samples streams are large and short-lived (batch-pack reads them once):
 * zstd level 1 writes them about twice as fast as the default 3, for
 * streams about a third larger. */
#define DEFAULT_LEVEL 1

typedef struct {
	const char *graph, *go, *input, *out;
	int64_t chunk, level;
	int skip_unknown, deletions_only;
} options;

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: pert-mask --graph cell.cpz [--go go.cpz] [options] [EXPERIMENTS.tsv]\n"
		"For each deletion experiment, list against the wild-type cell graph what the\n"
		"deletion changes: the deleted genes, the edges of each relation touching them,\n"
		"the reactions whose gene-reaction rule fails, and with --go the GO terms whose\n"
		"genes include a deleted gene.  Writes a samples stream, chunk by chunk.\n"
		"\n"
		"  -g, --graph FILE      the cell graph (graph-build) (required)\n"
		"  -G, --go FILE         a go-dag of the same genome (gaf2go): list the affected\n"
		"                        terms\n"
		"  -c, --chunk N         experiments per samples record [%d]\n"
		"  -l, --level N         zstd level of the stream [%d, or $CPZ_LEVEL when set]\n"
		"  -s, --skip-unknown    skip and count lines naming a gene the genome does not\n"
		"                        map, instead of failing\n"
		"  -D, --deletions-only  skip and count experiments whose allele is not a\n"
		"                        deletion (ts, DAmP), instead of modelling them as one\n"
		"  -o, --output FILE     stream to write [-]\n"
		"  -q, --quiet           no summary on stderr\n"
		"  -v, --verbose         also time and memory\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n"
		"\n"
		"EXPERIMENTS.tsv [-]: a header, then one experiment a line: column genes (deleted\n"
		"genes separated by ','), optional id source environment allele, labels fitness\n"
		"fitness_std gene_interaction gene_interaction_p_value (empty, NA or nan:\n"
		"missing); other columns are ignored.  Plain, .gz or .zst.  Exit status: 0 ok,\n"
		"1 bad data, 2 usage.  See pert-mask(1).\n",
		DEFAULT_CHUNK, DEFAULT_LEVEL);
	exit(status);
}

static int parse_options(int argc, char **argv, options *o)
{
	static const struct option opts[] = {
		{ "graph", required_argument, NULL, 'g' },
		{ "go", required_argument, NULL, 'G' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "level", required_argument, NULL, 'l' },
		{ "skip-unknown", no_argument, NULL, 's' },
		{ "deletions-only", no_argument, NULL, 'D' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "g:G:c:l:sDo:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o->graph = optarg; break;
		case 'G': o->go = optarg; break;
		case 'c':
			if (cp_parse_i64(optarg, &o->chunk) < 0 || o->chunk < 1 || o->chunk > 1 << 24) {
				cli_error("--chunk: '%s' is not a count from 1 to %d", optarg, 1 << 24);
				return -1;
			}
			break;
		case 'l':
			/* the levels CPZ_LEVEL takes; 0 would be "the default" */
			if (cp_parse_i64(optarg, &o->level) < 0 || o->level < ZSTD_minCLevel() ||
			    o->level > ZSTD_maxCLevel() || o->level == 0) {
				cli_error("--level: '%s' is not a zstd level (%d to %d, not 0)", optarg,
					  ZSTD_minCLevel(), ZSTD_maxCLevel());
				return -1;
			}
			break;
		case 's': o->skip_unknown = 1; break;
		case 'D': o->deletions_only = 1; break;
		case 'o': o->out = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); exit(CLI_OK);
		default: return -1;
		}
	}
	if (argc - optind > 1) {
		cli_error("one experiments table at most (try --help)");
		return -1;
	}
	if (optind < argc)
		o->input = argv[optind];
	if (!o->graph) {
		cli_error("--graph FILE is required (try --help)");
		return -1;
	}
	if ((strcmp(o->graph, "-") == 0) + (o->go && strcmp(o->go, "-") == 0) +
	    (strcmp(o->input, "-") == 0) > 1) {
		cli_error("only one input can be standard input (the experiments table is, unless named)");
		return -1;
	}
	return 0;
}

/* Totals for the summary. */
typedef struct {
	uint64_t experiments, chunks, genes, reactions, terms, edges[PERT_MAX_RELATIONS];
	uint64_t labelled[PERT_N_LABELS];
	uint64_t not_deletion;	/* experiments of another allele: kept, or skipped */
	size_t first_not_deletion;	/* its line */
	uint64_t tiny, tiny_zero;	/* labels below FLT_MIN; those of them stored as 0 */
	size_t first_tiny;		/* its line and label */
	int first_tiny_label;
} totals;

static int write_chunk(cpz_writer *w, pert_builder *b, const pert_context *ctx, cpz_record *rec,
		       totals *t, cp_error *err)
{
	pert_batch batch;

	pert_builder_batch(b, &batch);
	if (cpz_record_reset(rec, "samples", err) < 0 || pert_batch_to_record(ctx, &batch, rec, err) < 0 ||
	    cpz_writer_write(w, rec, err) < 0)
		return -1;
	t->chunks++;
	pert_builder_clear(b);
	return 0;
}

static void summary(const options *o, const pert_context *ctx, const totals *t,
		    const experiment_reader *rd)
{
	cp_buf line = { 0 };
	double n = (double)t->experiments;
	size_t skipped = experiment_reader_skipped(rd);

	if (t->experiments == 0) {
		cli_info(1, "no experiments%s", skipped ? "" : " in the table");
	} else {
		cp_buf_printf(&line, NULL, "%" PRIu64 " experiments in %" PRIu64 " chunk%s; per "
			      "experiment, %.2f genes deleted", t->experiments, t->chunks,
			      t->chunks == 1 ? "" : "s", (double)t->genes / n);
		for (size_t r = 0; r < ctx->n_relations; r++)
			cp_buf_printf(&line, NULL, ", %.2f %s edges", (double)t->edges[r] / n,
				      ctx->relation[r]);
		if (ctx->n_reactions >= 0)
			cp_buf_printf(&line, NULL, ", %.2f reactions", (double)t->reactions / n);
		cp_buf_printf(&line, NULL, " removed");
		if (ctx->n_terms >= 0)
			cp_buf_printf(&line, NULL, ", %.2f GO terms affected", (double)t->terms / n);
		for (int k = 0; k < PERT_N_LABELS; k++)
			cp_buf_printf(&line, NULL, "%s%s %" PRIu64, k ? ", " : "; labels present: ",
				      pert_label_names[k], t->labelled[k]);
		if (line.data)
			cli_info(1, "%s", line.data);
	}
	if (skipped)
		cli_info(1, "skipped %zu line%s naming genes that do not map (the first: %s)", skipped,
			 skipped == 1 ? "" : "s", experiment_reader_first_skip(rd));
	if (t->not_deletion)
		cli_info(1, "%s %" PRIu64 " experiment%s whose allele is not a deletion (ts, DAmP; the "
			 "first on line %zu)%s", o->deletions_only ? "skipped" : "kept", t->not_deletion,
			 t->not_deletion == 1 ? "" : "s", t->first_not_deletion,
			 o->deletions_only ? "" : ", each modelled as a deletion of its genes "
			 "(--deletions-only leaves them out)");
	if (t->tiny)
		cli_info(1, "%" PRIu64 " label value%s below single precision's normal range (%g) lost "
			 "precision, %" PRIu64 " of them stored as 0 (the first: line %zu, %s)", t->tiny,
			 t->tiny == 1 ? "" : "s", (double)FLT_MIN, t->tiny_zero, t->first_tiny,
			 pert_label_names[t->first_tiny_label]);
	cp_buf_free(&line);
}

static int run(const options *o, const cell_graph *cg, const go_dag *dag)
{
	pert_mask *pm = NULL;
	pert_builder *b = NULL;
	experiment_reader *rd = NULL;
	cpz_writer *w = NULL;
	cpz_writer_options wopts = { 0 };
	pert_context ctx;
	cpz_record rec;
	experiment ex;
	totals t;
	cp_error err;
	int rc, status = CLI_DATA_ERROR;

	memset(&t, 0, sizeof t);
	cpz_record_init(&rec);
	pm = pert_mask_new(cg, cp_path_name(o->graph), dag, o->go ? cp_path_name(o->go) : NULL, &err);
	if (!pm)
		goto fail;
	pert_mask_context(pm, o->chunk, &ctx);
	if (!(b = pert_builder_new(&ctx, &err)) ||
	    !(rd = experiment_reader_open(o->input, &cg->genome, o->skip_unknown, &err)))
		goto fail;
	wopts.level = (int)(o->level ? o->level : getenv("CPZ_LEVEL") ? 0 : DEFAULT_LEVEL);
	w = cpz_writer_open(o->out, "samples", cli_producer(), cli_command(), &wopts, &err);
	if (!w || cpz_writer_write(w, &cg->genome_rec, &err) < 0 ||
	    cpz_record_reset(&rec, "context", &err) < 0 || pert_context_to_record(&ctx, &rec, &err) < 0 ||
	    cpz_writer_write(w, &rec, &err) < 0)
		goto fail;
	while ((rc = experiment_reader_next(rd, &ex, &err)) == 1) {
		pert_experiment e;

		if (!experiment_is_deletion(&ex)) {
			if (t.not_deletion++ == 0)
				t.first_not_deletion = ex.line;
			if (o->deletions_only)
				continue;
		}
		memset(&e, 0, sizeof e);
		if (pert_mask_apply(pm, ex.genes, ex.n_genes, &e, &err) < 0) {
			cp_error_prefix(&err, "%s:%zu", experiment_reader_name(rd), ex.line);
			goto fail;
		}
		e.id = ex.id, e.source = ex.source, e.environment = ex.environment;
		e.index = (int64_t)t.experiments;
		memcpy(e.label, ex.label, sizeof e.label);
		if (pert_builder_add(b, &e, &err) < 0)
			goto fail;
		t.experiments++;
		t.genes += e.n_genes;
		for (size_t r = 0; r < ctx.n_relations; r++)
			t.edges[r] += e.n_edges[r];
		t.reactions += e.n_reactions;
		t.terms += e.n_terms;
		for (int k = 0; k < PERT_N_LABELS; k++) {
			t.labelled[k] += !isnan(e.label[k]);
			if (ex.tiny >> k & 1) {
				if (t.tiny++ == 0) {
					t.first_tiny = ex.line;
					t.first_tiny_label = k;
				}
				t.tiny_zero += e.label[k] == 0;
			}
		}
		if (pert_builder_count(b) == (size_t)o->chunk) {
			if (write_chunk(w, b, &ctx, &rec, &t, &err) < 0)
				goto fail;
			if ((t.chunks & 63) == 0)
				cli_progress("%" PRIu64 " experiments", t.experiments);
		}
	}
	if (rc < 0)
		goto fail;
	if (pert_builder_count(b) && write_chunk(w, b, &ctx, &rec, &t, &err) < 0)
		goto fail;
	cli_progress_done();
	rc = cpz_writer_close(w, &err);
	w = NULL;
	if (rc < 0)
		goto fail;
	summary(o, &ctx, &t, rd);
	cli_resources(cli_elapsed() > 5.0 ? 1 : 2);
	status = CLI_OK;
	goto out;
fail:
	cli_progress_done();
	cli_report(&err);
out:
	cpz_writer_abort(w);
	experiment_reader_close(rd);
	pert_builder_free(b);
	pert_mask_free(pm);
	cpz_record_free(&rec);
	return status;
}

int main(int argc, char **argv)
{
	options o = { .input = "-", .out = "-", .chunk = DEFAULT_CHUNK };
	cell_graph cg;
	go_dag dag;
	cp_error err;
	int status = CLI_DATA_ERROR, have_dag = 0;

	cli_init("pert-mask", argc, argv);
	cell_graph_init(&cg);
	go_dag_init(&dag);
	if (parse_options(argc, argv, &o) < 0) {
		status = CLI_USAGE_ERROR;
		goto out;
	}
	cli_binary_output(o.out);
	if (cell_graph_read(o.graph, &cg, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	if (o.go) {
		if (go_dag_read(o.go, &dag, &err) < 0) {
			cli_report(&err);
			goto out;
		}
		have_dag = 1;
	}
	status = run(&o, &cg, have_dag ? &dag : NULL);
out:
	go_dag_free(&dag);
	cell_graph_free(&cg);
	return status;
}
