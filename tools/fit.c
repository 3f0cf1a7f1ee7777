/* fit - train a model on samples or batches, with checkpoints. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baselines.h"
#include "cli.h"
#include "fit.h"

static fit_options opts;

static void usage(FILE *fp, int status)
{
	fit_options d;

	fit_options_default(&d);
	fprintf(fp,
		"Usage: fit --model dcell --go GO.cpz --train TRAIN.cpz [--val VAL.cpz] [options]\n"
		"           -o MODEL.cpz\n"
		"       fit --model mean|additive|multiplicative --train TRAIN.cpz -o MODEL.cpz\n"
		"       fit --resume MODEL.cpz [-o MODEL.cpz]\n"
		"Train a model on batches (batch-pack) or samples (pert-mask).  A batches stream\n"
		"given as --train supplies its own val split when --val is absent.\n"
		"\n"
		"Data and model:\n"
		"  -m, --model NAME         dcell, mean, additive or multiplicative (--train:\n"
		"                           single deletions) [dcell]\n"
		"  -g, --go FILE            the go-dag stream (dcell)\n"
		"  -t, --train FILE         training experiments (a batches stream's train split)\n"
		"  -e, --val FILE           validation experiments (the val split)\n"
		"  -l, --label LIST         labels to predict, comma-separated [fitness]\n"
		"  -o, --output FILE        the model stream, rewritten after every epoch\n"
		"  -r, --resume FILE        continue an interrupted run from its checkpoint\n"
		"\n"
		"Training:\n"
		"      --epochs N           [%d]\n"
		"  -b, --batch-size N       [%zu]\n"
		"      --lr X               peak learning rate [%g]\n"
		"      --lr-min X           final rate of the cosine schedule [lr/100]\n"
		"      --schedule NAME      cosine, plateau (halve after 2 epochs without\n"
		"                           improvement) or constant [cosine]\n"
		"      --weight-decay X     AdamW decoupled decay of the weights [%g]\n"
		"      --clip X             clip the gradient's L2 norm, 0 = off [%g]\n"
		"      --patience N         stop after N epochs without a better val loss,\n"
		"                           0 = off [%d]\n"
		"  -s, --seed N             initialisation and shuffling [%llu]\n"
		"      --shuffle-buffer N   experiments shuffled together [%zu]\n"
		"      --path NAME          sparse (CPU, exact) or dense [sparse]\n"
		"      --device NAME        cpu or cuda (dense path) [cpu]\n"
		"      --precision NAME     f32 or f64 [f32]\n"
		"      --threads N          threads: parallel terms, optimiser, OpenBLAS [cores]\n"
		"      --ridge X            additive model: ridge penalty [%g]\n"
		"\n"
		"DCell:\n"
		"      --width-min N        [%d]\n"
		"      --width-frac X       width = max(width-min, ceil(X * genes)) [%g]\n"
		"      --width-from NAME    contained or direct genes [contained]\n"
		"      --order NAME         tanh-bn (BatchNorm(tanh(Wx+b))) or bn-tanh [tanh-bn]\n"
		"      --alpha X            auxiliary loss weight [%g]\n"
		"      --alpha-mean         average the auxiliary losses instead of summing\n"
		"      --gene-state NAME    deleted (1 = deleted) or present (1 = present)\n"
		"                           [deleted]\n"
		"      --init-range X       weights uniform in [-X, X] [%g]\n"
		"      --bn-momentum X      BatchNorm's running statistics: each batch's weight\n"
		"                           [%g]\n"
		"\n"
		"  -q, --quiet   no epoch lines    -v, --verbose   also time and memory\n"
		"  -h, --help    this help         -V, --version\n"
		"Exit status: 0 ok, 1 bad data or training failure, 2 usage.  See fit(1).\n",
		d.epochs, d.batch_size, d.lr, d.weight_decay, d.clip, d.patience,
		(unsigned long long)d.seed, d.shuffle_buffer, BASELINE_RIDGE_DEFAULT, d.dcell.width_min,
		d.dcell.width_frac, d.dcell.alpha, d.dcell.init_range, d.dcell.bn_momentum);
	exit(status);
}

static void on_progress(int epoch, size_t done, size_t total, double loss, void *ctx)
{
	(void)ctx;
	if (total)
		cli_progress("epoch %d: %zu/%zu (%.0f%%) loss %.4f", epoch, done, total,
			     100.0 * (double)done / (double)total, loss);
	else
		cli_progress("epoch %d: %zu samples, loss %.4f", epoch, done, loss);
}

static void on_epoch(const fit_epoch *e, void *ctx)
{
	char val[256] = "";
	size_t o = 0;

	(void)ctx;
	if (!isnan(e->val_loss)) {
		o += (size_t)snprintf(val + o, sizeof val - o, "  val mse %.4f", e->val_loss);
		for (int k = 0; k < e->n_outputs && o < sizeof val; k++)
			o += (size_t)snprintf(val + o, sizeof val - o, "  r %.3f", e->val_pearson[k]);
	}
	cli_info(1, "epoch %d/%d  lr %.2e  loss %.4f%s  %.0f samples/s  %.1f s%s%s", e->epoch,
		 e->epochs, e->lr, e->train_loss, val, e->samples_per_s, e->elapsed,
		 e->improved ? "  *" : "", e->stopping ? "  (early stop)" : "");
}

/* A file that is standard output or error too (-o /dev/stdout > FILE):
 * written in place through that descriptor, where each checkpoint would
 * follow the one before. */
static int std_stream_file(const char *path)
{
	struct stat sb, std;

	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++)
		if (fstat(fd, &std) == 0 && std.st_dev == sb.st_dev && std.st_ino == sb.st_ino)
			return 1;
	return 0;
}

static int parse_double(const char *s, const char *name, double *out)
{
	if (cp_parse_f64(s, out) < 0 || !isfinite(*out)) {
		cli_error("%s: '%s' is not a number", name, s);
		return -1;
	}
	return 0;
}

/* A number above lo (above) or at least lo, and at most hi. */
static int parse_bounded(const char *s, const char *name, double lo, int above, double hi, double *out)
{
	if (parse_double(s, name, out) < 0)
		return -1;
	if ((above ? *out > lo : *out >= lo) && *out <= hi)
		return 0;
	if (isinf(hi))
		cli_error("%s: '%s' is not a number %s %g", name, s, above ? "above" : "of at least", lo);
	else if (above)
		cli_error("%s: '%s' is not a number above %g and at most %g", name, s, lo, hi);
	else
		cli_error("%s: '%s' is not a number from %g to %g", name, s, lo, hi);
	return -1;
}

static int parse_int(const char *s, const char *name, long long lo, long long hi, long long *out)
{
	int64_t v;

	if (cp_parse_i64(s, &v) < 0 || v < lo || v > hi) {
		cli_error("%s: '%s' is not an integer in [%lld, %lld]", name, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_labels(const char *s, dcell_config *cfg)
{
	char buf[256], *save = NULL, *tok;
	int k = 0;

	snprintf(buf, sizeof buf, "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int found = -1;

		for (int i = 0; i < PERT_N_LABELS; i++)
			if (strcmp(tok, pert_label_names[i]) == 0)
				found = i;
		if (found < 0) {
			cli_error("--label: unknown label '%s' (fitness, fitness_std, gene_interaction, "
				  "gene_interaction_p_value)", tok);
			return -1;
		}
		for (int i = 0; i < k; i++)
			if (cfg->label[i] == found) {
				cli_error("--label: '%s' given twice", tok);
				return -1;
			}
		if (k == PERT_N_LABELS)
			return -1;
		cfg->label[k++] = found;
	}
	if (k == 0) {
		cli_error("--label: no label");
		return -1;
	}
	cfg->n_outputs = k;
	return 0;
}

enum {
	OPT_EPOCHS = 256, OPT_LR, OPT_LR_MIN, OPT_SCHEDULE, OPT_WD, OPT_CLIP, OPT_PATIENCE,
	OPT_SHUFFLE, OPT_PATH, OPT_DEVICE, OPT_PRECISION, OPT_THREADS, OPT_WIDTH_MIN, OPT_WIDTH_FRAC,
	OPT_WIDTH_FROM, OPT_ORDER, OPT_ALPHA, OPT_ALPHA_MEAN, OPT_GENE_STATE, OPT_INIT, OPT_BN_MOMENTUM,
	OPT_RIDGE
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "go", required_argument, NULL, 'g' },
		{ "train", required_argument, NULL, 't' },
		{ "val", required_argument, NULL, 'e' },
		{ "label", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "resume", required_argument, NULL, 'r' },
		{ "epochs", required_argument, NULL, OPT_EPOCHS },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "lr", required_argument, NULL, OPT_LR },
		{ "lr-min", required_argument, NULL, OPT_LR_MIN },
		{ "schedule", required_argument, NULL, OPT_SCHEDULE },
		{ "weight-decay", required_argument, NULL, OPT_WD },
		{ "clip", required_argument, NULL, OPT_CLIP },
		{ "patience", required_argument, NULL, OPT_PATIENCE },
		{ "seed", required_argument, NULL, 's' },
		{ "shuffle-buffer", required_argument, NULL, OPT_SHUFFLE },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "precision", required_argument, NULL, OPT_PRECISION },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "ridge", required_argument, NULL, OPT_RIDGE },
		{ "width-min", required_argument, NULL, OPT_WIDTH_MIN },
		{ "width-frac", required_argument, NULL, OPT_WIDTH_FRAC },
		{ "width-from", required_argument, NULL, OPT_WIDTH_FROM },
		{ "order", required_argument, NULL, OPT_ORDER },
		{ "alpha", required_argument, NULL, OPT_ALPHA },
		{ "alpha-mean", no_argument, NULL, OPT_ALPHA_MEAN },
		{ "gene-state", required_argument, NULL, OPT_GENE_STATE },
		{ "init-range", required_argument, NULL, OPT_INIT },
		{ "bn-momentum", required_argument, NULL, OPT_BN_MOMENTUM },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *model = "dcell", *resume = NULL;
	int other_opts = 0, dcell_opt = 0, ridge_given = 0;
	double ridge = BASELINE_RIDGE_DEFAULT, x;
	long long n;
	int c;
	cp_error err;
	fit_callbacks cb = { on_epoch, on_progress, NULL };

	cli_init("fit", argc, argv);
	{
		cp_error berr;

		/* before anything, --help included: with too little address
		 * space, OpenBLAS's threads never end, nor would exit */
		if (cp_blas_check_limit(0, &berr) < 0) {
			cli_report(&berr);
			cli_quit(CLI_DATA_ERROR);
		}
	}
	fit_options_default(&opts);
	while ((c = getopt_long(argc, argv, "m:g:t:e:l:o:r:b:s:qvhV", longopts, NULL)) != -1) {
		/* what a resumed run may still be told */
		if (c != 'o' && c != 'r' && c != OPT_THREADS && c != 'q' && c != 'v')
			other_opts = 1;
		/* what only DCell's training takes (a baseline refuses it) */
		if (!dcell_opt && c != 'm' && c != 't' && c != 'e' && c != 'l' && c != 'o' &&
		    c != OPT_THREADS && c != OPT_RIDGE && c != 'q' && c != 'v' && c != 'h' && c != 'V' &&
		    c != '?' && c != ':')
			dcell_opt = c;
		ridge_given |= c == OPT_RIDGE;
		switch (c) {
		case 'm': model = optarg; break;
		case 'g': opts.go_path = optarg; break;
		case 't': opts.train_path = optarg; break;
		case 'e': opts.val_path = optarg; break;
		case 'l':
			if (parse_labels(optarg, &opts.dcell) < 0)
				return CLI_USAGE_ERROR;
			break;
		case 'o': opts.out_path = optarg; break;
		case 'r': resume = optarg; break;
		case OPT_EPOCHS:
			if (parse_int(optarg, "--epochs", 1, 1000000, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.epochs = (int)n;
			break;
		case 'b':
			if (parse_int(optarg, "--batch-size", 2, 1 << 20, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.batch_size = (size_t)n;
			break;
		case OPT_LR:
			if (parse_bounded(optarg, "--lr", 0, 1, INFINITY, &opts.lr) < 0)
				return CLI_USAGE_ERROR;
			break;
		case OPT_LR_MIN:
			if (parse_bounded(optarg, "--lr-min", 0, 0, INFINITY, &opts.lr_min) < 0)
				return CLI_USAGE_ERROR;
			break;
		case OPT_SCHEDULE:
			if (strcmp(optarg, "cosine") == 0)
				opts.schedule = FIT_SCHEDULE_COSINE;
			else if (strcmp(optarg, "plateau") == 0)
				opts.schedule = FIT_SCHEDULE_PLATEAU;
			else if (strcmp(optarg, "constant") == 0)
				opts.schedule = FIT_SCHEDULE_CONSTANT;
			else {
				cli_error("--schedule: '%s' is not cosine, plateau or constant", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_WD:
			if (parse_bounded(optarg, "--weight-decay", 0, 0, INFINITY, &opts.weight_decay) < 0)
				return CLI_USAGE_ERROR;
			break;
		case OPT_CLIP:
			if (parse_bounded(optarg, "--clip", 0, 0, INFINITY, &opts.clip) < 0)
				return CLI_USAGE_ERROR;
			break;
		case OPT_PATIENCE:
			if (parse_int(optarg, "--patience", 0, 1000000, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.patience = (int)n;
			break;
		case 's':
			if (parse_int(optarg, "--seed", 0, INT64_MAX, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.seed = (uint64_t)n;
			break;
		case OPT_SHUFFLE:
			if (parse_int(optarg, "--shuffle-buffer", 0, 1LL << 32, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.shuffle_buffer = (size_t)n;
			break;
		case OPT_PATH:
			if (strcmp(optarg, "sparse") == 0)
				opts.path = FIT_PATH_SPARSE;
			else if (strcmp(optarg, "dense") == 0)
				opts.path = FIT_PATH_DENSE;
			else {
				cli_error("--path: '%s' is not sparse or dense", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_DEVICE:
			if (strcmp(optarg, "cpu") != 0 && strcmp(optarg, "cuda") != 0) {
				cli_error("--device: '%s' is not cpu or cuda", optarg);
				return CLI_USAGE_ERROR;
			}
			opts.device = optarg;
			break;
		case OPT_PRECISION:
			if (strcmp(optarg, "f32") == 0)
				opts.precision = CP_F32;
			else if (strcmp(optarg, "f64") == 0)
				opts.precision = CP_F64;
			else {
				cli_error("--precision: '%s' is not f32 or f64", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_THREADS:
			if (parse_int(optarg, "--threads", 1, 1024, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.threads = (int)n;
			break;
		case OPT_RIDGE:
			if (parse_bounded(optarg, "--ridge", 0, 0, INFINITY, &ridge) < 0)
				return CLI_USAGE_ERROR;
			break;
		case OPT_WIDTH_MIN:
			if (parse_int(optarg, "--width-min", 1, 100000, &n) < 0)
				return CLI_USAGE_ERROR;
			opts.dcell.width_min = (int)n;
			break;
		case OPT_WIDTH_FRAC:
			if (parse_bounded(optarg, "--width-frac", 0, 0, 100, &x) < 0)
				return CLI_USAGE_ERROR;
			opts.dcell.width_frac = x;
			break;
		case OPT_WIDTH_FROM:
			if (strcmp(optarg, "contained") == 0)
				opts.dcell.width_from_direct = 0;
			else if (strcmp(optarg, "direct") == 0)
				opts.dcell.width_from_direct = 1;
			else {
				cli_error("--width-from: '%s' is not contained or direct", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "tanh-bn") == 0)
				opts.dcell.bn_before_tanh = 0;
			else if (strcmp(optarg, "bn-tanh") == 0)
				opts.dcell.bn_before_tanh = 1;
			else {
				cli_error("--order: '%s' is not tanh-bn or bn-tanh", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_ALPHA:
			if (parse_bounded(optarg, "--alpha", 0, 0, INFINITY, &opts.dcell.alpha) < 0)
				return CLI_USAGE_ERROR;
			break;
		case OPT_ALPHA_MEAN: opts.dcell.alpha_mean = 1; break;
		case OPT_GENE_STATE:
			if (strcmp(optarg, "deleted") == 0)
				opts.dcell.gene_present = 0;
			else if (strcmp(optarg, "present") == 0)
				opts.dcell.gene_present = 1;
			else {
				cli_error("--gene-state: '%s' is not deleted or present", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case OPT_INIT:
			if (parse_bounded(optarg, "--init-range", 0, 0, INFINITY, &x) < 0)
				return CLI_USAGE_ERROR;
			opts.dcell.init_range = x;
			break;
		case OPT_BN_MOMENTUM:
			if (parse_bounded(optarg, "--bn-momentum", 0, 1, 1, &x) < 0)
				return CLI_USAGE_ERROR;
			opts.dcell.bn_momentum = x;
			break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	if (optind != argc) {
		cli_error("unexpected argument '%s' (try fit --help)", argv[optind]);
		return CLI_USAGE_ERROR;
	}
	if (resume && other_opts) {
		cli_error("--resume continues the run with its saved options: only -o, --threads, "
			  "-q and -v go with it");
		return CLI_USAGE_ERROR;
	}
	if (!resume && strcmp(model, "dcell") != 0 && strcmp(model, "mean") != 0 &&
	    strcmp(model, "additive") != 0 && strcmp(model, "multiplicative") != 0) {
		cli_error("--model: '%s' is not dcell, mean, additive or multiplicative", model);
		return CLI_USAGE_ERROR;
	}
	if (opts.out_path && cli_read_once(opts.out_path) && (resume || strcmp(model, "dcell") == 0)) {
		cli_error("-o %s: a DCell model is rewritten after every epoch, so it needs a file%s",
			  opts.out_path, strcmp(opts.out_path, "-") == 0 ? "" : ", not a pipe");
		return CLI_USAGE_ERROR;
	}
	if (opts.out_path && std_stream_file(opts.out_path) && (resume || strcmp(model, "dcell") == 0)) {
		cli_error("-o %s: a DCell model is rewritten after every epoch, so it needs a file of "
			  "its own, not standard output or error", opts.out_path);
		return CLI_USAGE_ERROR;
	}
	/* without -o a resumed run goes on writing the checkpoint it read */
	if (resume && !opts.out_path && cli_read_once(resume)) {
		cli_error("--resume %s: the run goes on rewriting the checkpoint it reads, so it needs "
			  "a file, not %s: give -o FILE", resume,
			  strcmp(resume, "-") == 0 ? "standard input" : "a pipe");
		return CLI_USAGE_ERROR;
	}
	if (opts.out_path)
		cli_binary_output(opts.out_path);
	if (resume) {
		int rc = fit_resume(resume, opts.out_path, opts.threads, cli_producer(), &cb, &err);
		if (rc < 0) {
			cli_progress_done();
			cli_report(&err);
			return CLI_DATA_ERROR;
		}
		if (rc == 1)
			cli_info(1, "%s: the run had already ended: nothing to continue%s%s", resume,
				 opts.out_path && strcmp(opts.out_path, resume) != 0 ? "; its model copied to " : "",
				 opts.out_path && strcmp(opts.out_path, resume) != 0 ? opts.out_path : "");
		cli_progress_done();
		cli_resources(2);
		return CLI_OK;
	}
	if (!opts.train_path || !opts.out_path) {
		cli_error("needs --train and -o (try fit --help)");
		return CLI_USAGE_ERROR;
	}
	if (strcmp(model, "dcell") == 0) {
		if (ridge_given) {
			cli_error("--ridge: only the additive baseline has a ridge, not dcell");
			return CLI_USAGE_ERROR;
		}
		if (opts.schedule == FIT_SCHEDULE_COSINE && opts.lr_min > opts.lr) {
			cli_error("--lr-min: %g is above the learning rate %g: the cosine schedule "
				  "lowers the rate from --lr to --lr-min", opts.lr_min, opts.lr);
			return CLI_USAGE_ERROR;
		}
	}
	if (cli_read_once(opts.train_path) || (opts.val_path && *opts.val_path &&
					       cli_read_once(opts.val_path))) {
		int train = cli_read_once(opts.train_path);

		cli_error("%s %s: fit reads its training and validation streams more than once, so "
			  "they need files, not %s", train ? "--train" : "--val",
			  train ? opts.train_path : opts.val_path,
			  strcmp(train ? opts.train_path : opts.val_path, "-") == 0 ? "standard input"
										   : "a pipe");
		return CLI_USAGE_ERROR;
	}
	if (strcmp(model, "multiplicative") == 0 &&
	    (opts.dcell.n_outputs != 1 || opts.dcell.label[0] != PERT_FITNESS)) {
		cli_error("--model multiplicative predicts fitness only (--label fitness)");
		return CLI_USAGE_ERROR;
	}
	if (strcmp(model, "dcell") == 0) {
		if (!opts.go_path) {
			cli_error("--model dcell needs --go");
			return CLI_USAGE_ERROR;
		}
		if (fit_run(&opts, cli_producer(), cli_command(), &cb, &err) < 0) {
			cli_progress_done();
			cli_report(&err);
			return CLI_DATA_ERROR;
		}
	} else {	/* a baseline: mean, additive or multiplicative */
		baseline_options bo = { model, opts.train_path, opts.val_path, opts.out_path, ridge, opts.dcell };
		baseline_stats bs = { 0 };

		if (opts.val_path && *opts.val_path) {
			cli_error("--val: a baseline (%s) is fitted in closed form, without validation "
				  "experiments: leave --val out", model);
			return CLI_USAGE_ERROR;
		}
		if (dcell_opt) {
			const char *name = "?";

			for (const struct option *lo = longopts; lo->name; lo++)
				if (lo->val == dcell_opt)
					name = lo->name;
			cli_error("--%s: a baseline (%s) takes only --train, --label, -o, --threads, "
				  "-q and -v (and --ridge the additive one)", name, model);
			return CLI_USAGE_ERROR;
		}
		if (ridge_given && strcmp(model, "additive") != 0) {
			cli_error("--ridge: only the additive baseline has a ridge, not %s", model);
			return CLI_USAGE_ERROR;
		}
		if (baseline_fit(&bo, cli_producer(), cli_command(), &bs, &err) < 0) {
			cli_report(&err);
			return CLI_DATA_ERROR;
		}
		if (strcmp(model, "multiplicative") == 0)
			cli_info(1, "multiplicative: the fitness of %zu genes from %zu single-deletion "
				 "experiments; left out %zu of several genes and %zu without a fitness",
				 bs.genes, bs.used, bs.not_single, bs.no_value);
	}
	cli_progress_done();
	cli_resources(2);
	return CLI_OK;
}
