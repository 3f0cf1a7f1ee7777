/* predict - a model's predictions for samples or batches. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batches.h"
#include "cli.h"
#include "model.h"
#include "predictions.h"

#define MAX_MODELS 16

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: predict --model MODEL.cpz [options] SAMPLES.cpz [-o PREDICTIONS.cpz]\n"
		"Predict every experiment of a samples (pert-mask) or batches (batch-pack) stream\n"
		"with a trained model; labels and predictions are written on their original\n"
		"scale.\n"
		"\n"
		"  -m, --model FILE      the model stream (fit); given up to 16 times, models of\n"
		"                        one kind and labels (say, DCell trained with several\n"
		"                        seeds) and their predictions averaged\n"
		"  -o, --output FILE     the predictions stream [-]\n"
		"      --split NAME      of a batches stream, only train, val or test [all]\n"
		"      --path NAME       DCell: sparse (exact, only what a deletion changes) or\n"
		"                        dense [sparse]\n"
		"      --gene-cache MB   sparse path: keep each gene's single-deletion change and\n"
		"                        compute only terms with two or more deleted genes, where\n"
		"                        the cache for every gene fits in MB MiB and at least\n"
		"                        halves the work; 0: off [1024]\n"
		"      --device NAME     cpu or cuda (dense path) [cpu]\n"
		"      --threads N       threads [the online cores]\n"
		"  -b, --batch-size N    experiments computed together [1024]\n"
		"  -q, --quiet           no summary     -v, --verbose  also time and memory\n"
		"  -h, --help            this help      -V, --version\n"
		"SAMPLES may be - for standard input.  Exit status: 0 ok, 1 bad data, 2 usage.\n"
		"See predict(1).\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "split", required_argument, NULL, 'S' },
		{ "path", required_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'D' },
		{ "gene-cache", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 'T' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model_path[MAX_MODELS], *out = "-", *path = "sparse", *device = "cpu";
	int c, threads = 0, only_split = -1, status = CLI_DATA_ERROR, n_models = 0, loaded = 0;
	size_t cache_mb = 1024;
	int64_t v;
	size_t batch = 1024, done = 0;
	cp_model models[MAX_MODELS], *model = &models[0];
	model_runner *runners[MAX_MODELS] = { NULL };
	pert_reader *in = NULL;
	cpz_writer *w = NULL;
	cpz_record rec;
	cp_error err;
	batches_info info;
	int have_info = 0;
	double *pred = NULL, *sum = NULL, *labels = NULL, *each = NULL;
	float *pred32 = NULL, *label32 = NULL, *sd32 = NULL;
	int8_t *split = NULL;
	int64_t *index = NULL, next_index = 0;
	size_t cap = 0;

	cli_init("predict", argc, argv);
	{
		cp_error berr;

		/* before anything, --help included: with too little address
		 * space, OpenBLAS's threads never end, nor would exit */
		if (cp_blas_check_limit(0, &berr) < 0) {
			cli_report(&berr);
			cli_quit(CLI_DATA_ERROR);
		}
	}
	while ((c = getopt_long(argc, argv, "m:o:b:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (n_models == MAX_MODELS) {
				cli_error("--model: at most %d models", MAX_MODELS);
				return CLI_USAGE_ERROR;
			}
			model_path[n_models++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'S':
			for (only_split = 0; only_split < PERT_N_SPLITS; only_split++)
				if (strcmp(optarg, pert_split_names[only_split]) == 0)
					break;
			if (only_split == PERT_N_SPLITS && strcmp(optarg, "all") != 0) {
				cli_error("--split: '%s' is not train, val, test or all", optarg);
				return CLI_USAGE_ERROR;
			}
			if (only_split == PERT_N_SPLITS)
				only_split = -1;
			break;
		case 'P':
			if (strcmp(optarg, "sparse") != 0 && strcmp(optarg, "dense") != 0) {
				cli_error("--path: '%s' is not sparse or dense", optarg);
				return CLI_USAGE_ERROR;
			}
			path = optarg;
			break;
		case 'D':
			if (strcmp(optarg, "cpu") != 0 && strcmp(optarg, "cuda") != 0) {
				cli_error("--device: '%s' is not cpu or cuda", optarg);
				return CLI_USAGE_ERROR;
			}
			device = optarg;
			break;
		case 'C':
			if (cp_parse_i64(optarg, &v) < 0 || v < 0 || v > (1 << 24)) {
				cli_error("--gene-cache: '%s' is not a size in MiB", optarg);
				return CLI_USAGE_ERROR;
			}
			cache_mb = (size_t)v;
			break;
		case 'T':
			if (cp_parse_i64(optarg, &v) < 0 || v < 1 || v > 1024) {
				cli_error("--threads: '%s' is not an integer in [1, 1024]", optarg);
				return CLI_USAGE_ERROR;
			}
			threads = (int)v;
			break;
		case 'b':
			if (cp_parse_i64(optarg, &v) < 0 || v < 1 || v > (1 << 20)) {
				cli_error("--batch-size: '%s' is not an integer in [1, 1048576]", optarg);
				return CLI_USAGE_ERROR;
			}
			batch = (size_t)v;
			break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	if (n_models == 0 || argc - optind != 1) {
		cli_error("needs --model and one SAMPLES file (try predict --help)");
		return CLI_USAGE_ERROR;
	}
	{
		int stdin_inputs = strcmp(argv[optind], "-") == 0;

		for (int i = 0; i < n_models; i++)
			stdin_inputs += strcmp(model_path[i], "-") == 0;
		if (stdin_inputs > 1) {
			cli_error("only one input can be standard input (-)");
			return CLI_USAGE_ERROR;
		}
	}
	cli_binary_output(out);
	cpz_record_init(&rec);
	for (; loaded < n_models; loaded++) {
		cp_model *mk = &models[loaded];

		if (model_load(mk, model_path[loaded], &err) < 0) {
			cli_report(&err);
			goto out;
		}
		if (loaded > 0 && (strcmp(mk->name, model->name) != 0 || mk->n_outputs != model->n_outputs ||
				   memcmp(mk->label, model->label, sizeof mk->label) != 0 ||
				   mk->genome_hash != model->genome_hash)) {
			cp_error_set(&err, "%s (%s) does not match %s (%s): only models of one kind, labels "
				     "and genome are averaged", cp_path_name(model_path[loaded]), mk->name,
				     cp_path_name(model_path[0]), model->name);
			loaded++;
			goto fail;
		}
	}
	in = pert_reader_open(argv[optind], NULL, &err);
	if (!in)
		goto fail;
	if (pert_reader_context(in)->genome_hash != model->genome_hash) {
		cpz_genome_mismatch(&err, cp_path_name(argv[optind]), pert_reader_context(in)->genome_hash,
				    cp_path_name(model_path[0]), model->genome_hash);
		goto fail;
	}
	if (only_split >= 0 && strcmp(pert_reader_kind(in), "batches") != 0) {
		cp_error_set(&err, "%s: a %s stream has no splits: --split needs batches (batch-pack)",
			     cp_path_name(argv[optind]), pert_reader_kind(in));
		goto fail;
	}
	/* the input's own standardization, to put labels back on their scale */
	if (cpz_record_field(pert_reader_context_record(in), "standardize")) {
		if (batches_info_from_record(pert_reader_context_record(in), &info, &err) < 0)
			goto fail;
		have_info = 1;
	}
	for (int k = 0; k < n_models; k++)
		if (!(runners[k] = model_runner_new(&models[k], path, device, threads, batch, cache_mb, &err)))
			goto fail;
	w = cpz_writer_open(out, "predictions", cli_producer(), cli_command(), NULL, &err);
	if (!w)
		goto fail;
	{
		char sums[MAX_MODELS * 17 + 1] = "";
		pred_meta meta = { model->name, model->producer, argv[optind], sums, model->n_outputs, { 0 } };

		/* which models, so that only segments of one run join */
		for (int k = 0, at = 0; k < n_models; k++)
			at += snprintf(sums + at, sizeof sums - (size_t)at, "%s%016" PRIx64, k ? "," : "",
				       models[k].checksum);

		memcpy(meta.label, model->label, sizeof meta.label);
		if (cpz_writer_write(w, pert_reader_genome_record(in), &err) < 0 ||
		    cpz_record_reset(&rec, "meta", &err) < 0 || pred_meta_to_record(&meta, &rec, &err) < 0 ||
		    cpz_writer_write(w, &rec, &err) < 0)
			goto fail;
		for (;;) {
			pert_batch b;
			pred_chunk pc;
			int rc = pert_reader_next(in, &b, &err);
			size_t K = (size_t)model->n_outputs;

			if (rc < 0)
				goto fail;
			if (rc == 0)
				break;
			if (only_split >= 0 && b.split >= 0 && b.split != only_split) {
				next_index += (int64_t)b.n;
				continue;
			}
			if (b.n > cap) {
				free(pred), free(sum), free(labels), free(pred32), free(label32), free(split), free(index);
				free(each), free(sd32);
				each = NULL, sd32 = NULL;
				cap = b.n;
				pred = cp_malloc(cap * K, sizeof *pred, &err);
				sum = cp_malloc(cap * K, sizeof *sum, &err);
				labels = cp_malloc(cap * PERT_N_LABELS, sizeof *labels, &err);
				pred32 = cp_malloc(cap * K, sizeof *pred32, &err);
				label32 = cp_malloc(cap * PERT_N_LABELS, sizeof *label32, &err);
				split = cp_malloc(cap, sizeof *split, &err);
				index = cp_malloc(cap, sizeof *index, &err);
				if (!pred || !sum || !labels || !pred32 || !label32 || !split || !index)
					goto fail;
				if (n_models > 1 && (!(each = cp_malloc(cap * K * (size_t)n_models, sizeof *each, &err)) ||
						     !(sd32 = cp_malloc(cap * K, sizeof *sd32, &err))))
					goto fail;
			}
			/* the models' mean, summed in the order given, and their
			 * spread: the standard deviation over the members */
			for (int k = 0; k < n_models; k++) {
				if (model_predict(runners[k], pert_reader_context(in), &b, k ? pred : sum, &err) < 0) {
					cp_error e = err;	/* named by the record it came from */

					cpz_record_error(pert_reader_record(in), NULL, &err, "%s", e.msg);
					goto fail;
				}
				if (n_models > 1)
					memcpy(each + (size_t)k * b.n * K, k ? pred : sum, b.n * K * sizeof *each);
				for (size_t i = 0; k && i < b.n * K; i++)
					sum[i] += pred[i];
			}
			for (size_t i = 0; i < b.n * K; i++)
				pred[i] = sum[i] / n_models;
			/* about the first member, so identical members spread 0 */
			for (size_t i = 0; n_models > 1 && i < b.n * K; i++) {
				double s1 = 0, s2 = 0, var;

				for (int k = 1; k < n_models; k++) {
					double d = each[(size_t)k * b.n * K + i] - each[i];

					s1 += d;
					s2 += d * d;
				}
				var = (s2 - s1 * s1 / n_models) / n_models;
				/* NaN where a member predicts none; members too far apart
				 * to square in double (inf - inf) spread beyond range */
				sd32[i] = isnan(pred[i]) ? NAN : !isfinite(var) ? INFINITY :
					  (float)sqrt(var > 0 ? var : 0);
			}
			model_restore_labels(have_info ? &info : NULL, &b, labels);
			for (size_t i = 0; i < b.n * K; i++) {
				pred32[i] = (float)pred[i];
				/* a stream holds finite numbers or NaN: an overflow is an error */
				if (isinf(pred32[i]) || (n_models > 1 && isinf(sd32[i]))) {
					cpz_record_error(pert_reader_record(in), NULL, &err, "experiment %zu: "
							 "the %s %g is beyond single precision's range",
							 i / K, isinf(pred32[i]) ? "prediction" : "members' spread",
							 isinf(pred32[i]) ? pred[i] : (double)sd32[i]);
					goto fail;
				}
			}
			for (size_t i = 0; i < b.n * PERT_N_LABELS; i++) {
				label32[i] = (float)labels[i];
				if (isinf(label32[i])) {	/* the input's scale put it there */
					cpz_record_error(pert_reader_record(in), "label", &err,
							 "experiment %zu: %s on its original scale, %g, is "
							 "beyond single precision's range", i / PERT_N_LABELS,
							 pert_label_names[i % PERT_N_LABELS], labels[i]);
					goto fail;
				}
			}
			for (size_t i = 0; i < b.n; i++) {
				split[i] = (int8_t)b.split;
				index[i] = b.index ? b.index[i] : next_index + (int64_t)i;
			}
			next_index += (int64_t)b.n;
			pc = (pred_chunk){ b.n, b.id, b.source, b.environment, b.gene_ptr, b.gene,
					   label32, pred32, index, split, n_models > 1 ? sd32 : NULL };
			if (cpz_record_reset(&rec, "predictions", &err) < 0 ||
			    pred_chunk_to_record(&meta, &pc, &rec, &err) < 0 ||
			    cpz_writer_write(w, &rec, &err) < 0)
				goto fail;
			done += b.n;
			cli_progress("%zu experiments", done);
		}
	}
	if (done == 0) {
		if (only_split >= 0)
			cp_error_set(&err, "%s: no experiments in split %s", cp_path_name(argv[optind]),
				     pert_split_names[only_split]);
		else
			cp_error_set(&err, "%s: no experiments", cp_path_name(argv[optind]));
		goto fail;
	}
	if (cpz_writer_close(w, &err) < 0) {
		w = NULL;
		goto fail;
	}
	w = NULL;
	cli_progress_done();
	if (n_models > 1)
		cli_info(1, "%zu experiments predicted with the mean of %d %s models%s", done, n_models,
			 model->name, model_runner_cached(runners[0]) ? " (per-gene cache)" : "");
	else
		cli_info(1, "%zu experiments predicted with the %s model%s", done, model->name,
			 model_runner_cached(runners[0]) ? " (per-gene cache)" : "");
	cli_resources(2);
	status = CLI_OK;
	goto out;
fail:
	cli_progress_done();
	cli_report(&err);
out:
	cpz_writer_abort(w);
	cpz_record_free(&rec);
	for (int k = 0; k < n_models; k++)
		model_runner_free(runners[k]);
	pert_reader_close(in);
	for (int k = 0; k < loaded; k++)
		model_free(&models[k]);
	free(pred), free(sum), free(labels), free(pred32), free(label32), free(split), free(index);
	free(each), free(sd32);
	return status;
}
