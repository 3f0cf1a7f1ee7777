/* batch-pack - samples to split, standardized, fixed-size batches. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batches.h"
#include "cli.h"
#include "cpz.h"
#include "pert.h"

#define DEFAULT_FRACTIONS "0.8,0.1,0.1"
#define DEFAULT_SEED 1
#define DEFAULT_BATCH 256

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: batch-pack [options] SAMPLES\n"
		"Split the experiments of a samples stream (pert-mask) into train, val and\n"
		"test, standardize their labels with training statistics, and write them in\n"
		"batches of a fixed size (a batches stream, or one stream per split).\n"
		"\n"
		"Options:\n"
		"  -s, --split METHOD       random, gene or pair [random]; given fractions\n"
		"                           T,V,T instead, the same as --fractions\n"
		"  -f, --fractions T,V,T    train, val and test fractions [%s]\n"
		"  -S, --seed N             seed of the split and the shuffle [%d]\n"
		"  -b, --batch-size B       experiments per batch [%d]\n"
		"  -z, --standardize[=M]    z-score labels (M: zscore or robust) [none]\n"
		"  -w, --shuffle N          shuffle within a window of N experiments per\n"
		"                           split; 0 keeps the input order [0]\n"
		"  -o, --output FILE        batches stream to write [-]\n"
		"  -O, --output-prefix P    write P.train.cpz, P.val.cpz and P.test.cpz instead\n"
		"  -q, --quiet              no summary on standard error\n"
		"  -v, --verbose            also the label statistics, time and memory\n"
		"  -h, --help               this help\n"
		"  -V, --version            print the version\n"
		"\n"
		"SAMPLES may be - for standard input.  Exit status: 0 ok, 1 bad data, 2 usage.\n"
		"See batch-pack(1).\n",
		DEFAULT_FRACTIONS, DEFAULT_SEED, DEFAULT_BATCH);
	exit(status);
}

static void progress(void *ctx, int pass, int64_t experiments)
{
	(void)ctx;
	cli_progress("pass %d: %" PRId64 " experiments", pass, experiments);
}

/* The input read twice: a file by path, standard input or a pipe (by
 * name too) through an unlinked scratch copy. */
typedef struct input {
	const char *path;
	int fd;		/* scratch copy of stdin, or -1 */
} input;

static int spool(input *in, cp_error *err)
{
	const char *dir = getenv("TMPDIR");
	const char *name = cp_path_name(in->path);
	char path[4096], buf[1 << 16];
	ssize_t n;
	int src = strcmp(in->path, "-") == 0 ? STDIN_FILENO : open(in->path, O_RDONLY | O_CLOEXEC);

	if (src < 0)
		return cp_error_errno(err, name);
	/* standard input from a file is an input the output may not replace */
	cp_inputs_note(src, src == STDIN_FILENO ? NULL : in->path);
	snprintf(path, sizeof path, "%s/batch-pack.XXXXXX", dir && *dir ? dir : "/tmp");
	in->fd = mkstemp(path);
	if (in->fd < 0) {
		cp_error_errno(err, path);
		goto fail;
	}
	unlink(path);
	while ((n = read(src, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cp_error_errno(err, name);
			goto fail;
		}
		if (write(in->fd, buf, (size_t)n) != n) {
			cp_error_errno(err, "scratch copy of the input");
			goto fail;
		}
	}
	if (src != STDIN_FILENO)
		close(src);
	return 0;
fail:
	if (src != STDIN_FILENO)
		close(src);
	return -1;
}

static pert_reader *open_input(input *in, cp_error *err)
{
	if (in->fd < 0)
		return pert_reader_open(in->path, "samples", err);
	if (lseek(in->fd, 0, SEEK_SET) < 0) {
		cp_error_errno(err, "<stdin>");
		return NULL;
	}
	return pert_reader_open_fd(in->fd, cp_path_name(in->path), "samples",
				   err);
}

static int open_outputs(const char *output, const char *prefix, cpz_writer *out[PERT_N_SPLITS],
			cp_error *err)
{
	if (!prefix) {
		out[0] = out[1] = out[2] = cpz_writer_open(output, "batches", cli_producer(),
							   cli_command(), NULL, err);
		return out[0] ? 0 : -1;
	}
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		char path[4096];

		snprintf(path, sizeof path, "%s.%s.cpz", prefix, pert_split_names[s]);
		out[s] = cpz_writer_open(path, "batches", cli_producer(), cli_command(), NULL, err);
		if (!out[s])
			return -1;
	}
	return 0;
}

static void summary(const batches_info *info, const int64_t batches[PERT_N_SPLITS])
{
	cli_info(1, "%" PRId64 " experiments: train %" PRId64 ", val %" PRId64 ", test %" PRId64
		 " (split %s, seed %" PRIu64 "); %" PRId64 " dropped with genes in two splits",
		 info->input, info->count[0], info->count[1], info->count[2],
		 split_method_names[info->split.method], info->split.seed, info->dropped);
	cli_info(1, "batches of %" PRId64 ": train %" PRId64 ", val %" PRId64 ", test %" PRId64
		 "; labels standardized: %s", info->batch_size, batches[0], batches[1], batches[2],
		 batches_standardize_names[info->standardize]);
	for (int k = 0; k < PERT_N_LABELS; k++)
		cli_info(2, "%s: center %.6g, scale %.6g; NaN train %" PRId64 ", val %" PRId64
			 ", test %" PRId64, pert_label_names[k], info->center[k], info->scale[k],
			 info->nan[0][k], info->nan[1][k], info->nan[2][k]);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "split", required_argument, NULL, 's' },
		{ "fractions", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 'S' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "standardize", optional_argument, NULL, 'z' },
		{ "shuffle", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "output-prefix", required_argument, NULL, 'O' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	batch_pack_options o = { .batch_size = DEFAULT_BATCH, .progress = progress };
	const char *output = NULL, *prefix = NULL;
	cpz_writer *out[PERT_N_SPLITS] = { NULL, NULL, NULL };
	input in = { .fd = -1 };
	pert_reader *r = NULL;
	int64_t batches[PERT_N_SPLITS], v;
	batches_info info;
	cp_error err;
	int c, status = CLI_DATA_ERROR;

	cli_init("batch-pack", argc, argv);
	o.split.seed = DEFAULT_SEED;
	split_parse_fractions(DEFAULT_FRACTIONS, o.split.fractions, NULL);
	while ((c = getopt_long(argc, argv, "s:f:S:b:z::w:o:O:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			/* fractions are taken here too: --split 0.8,0.1,0.1 */
			if (strchr(optarg, ',')) {
				if (split_parse_fractions(optarg, o.split.fractions, &err) < 0) {
					cli_error("--split: %s", err.msg);
					return CLI_USAGE_ERROR;
				}
			} else if (split_method_parse(optarg, &o.split.method) < 0) {
				cli_error("--split: '%s' is not random, gene, pair or fractions T,V,T", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case 'f':
			if (split_parse_fractions(optarg, o.split.fractions, &err) < 0) {
				cli_error("--fractions: %s", err.msg);
				return CLI_USAGE_ERROR;
			}
			break;
		case 'S':
			if (cp_parse_i64(optarg, &v) < 0 || v < 0) {
				cli_error("--seed: '%s' is not an integer in [0, %" PRId64 "]", optarg,
					  INT64_MAX);
				return CLI_USAGE_ERROR;
			}
			o.split.seed = (uint64_t)v;
			break;
		case 'b':
			if (cp_parse_i64(optarg, &v) < 0 || v < 1 || v > (1 << 24)) {
				cli_error("--batch-size: '%s' is not a size from 1 to %d", optarg, 1 << 24);
				return CLI_USAGE_ERROR;
			}
			o.batch_size = v;
			break;
		case 'z':
			o.standardize = STANDARDIZE_ZSCORE;
			if (optarg && (batches_standardize_parse(optarg, &o.standardize) < 0 ||
				       o.standardize == STANDARDIZE_NONE)) {
				cli_error("--standardize: '%s' is not zscore or robust", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case 'w':
			if (cp_parse_i64(optarg, &v) < 0 || v < 0 || v > (1 << 26)) {
				cli_error("--shuffle: '%s' is not a window from 0 to %d", optarg, 1 << 26);
				return CLI_USAGE_ERROR;
			}
			o.shuffle = (size_t)v;
			break;
		case 'o': output = optarg; break;
		case 'O': prefix = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	{
		/* -z's argument is optional, so "-z robust" leaves "robust" an
		 * operand, taken for the input where no such file is */
		struct stat st;

		for (int i = optind; i < argc; i++)
			if ((!strcmp(argv[i], "zscore") || !strcmp(argv[i], "robust")) &&
			    stat(argv[i], &st) != 0) {
				cli_error("'%s' is no file here: -z takes its method attached, "
					  "--standardize=%s or -z%s", argv[i], argv[i], argv[i]);
				return CLI_USAGE_ERROR;
			}
	}
	if (argc - optind != 1) {
		cli_error("expected one SAMPLES stream (try batch-pack --help)");
		return CLI_USAGE_ERROR;
	}
	if (output && prefix) {
		cli_error("-o and -O: one output, a file or a prefix for three");
		return CLI_USAGE_ERROR;
	}
	if (prefix && !*prefix) {
		cli_error("-O: an empty prefix");
		return CLI_USAGE_ERROR;
	}
	if (!output && !prefix)
		output = "-";
	if (output)
		cli_binary_output(output);
	in.path = argv[optind];
	if (cli_read_once(in.path) && spool(&in, &err) < 0)
		goto fail;
	if (!(r = open_input(&in, &err)) || batch_pack_scan(r, &o, &info, &err) < 0)
		goto fail;
	pert_reader_close(r);
	if (!(r = open_input(&in, &err)) || open_outputs(output, prefix, out, &err) < 0 ||
	    batch_pack_write(r, &o, &info, out, batches, &err) < 0)
		goto fail;
	cli_progress_done();
	for (int s = 0; s < PERT_N_SPLITS; s++) {
		cpz_writer *w = out[s];

		if (!prefix)
			out[0] = out[1] = out[2] = NULL;
		out[s] = NULL;
		if (w && cpz_writer_close(w, &err) < 0)
			goto fail;
	}
	summary(&info, batches);
	cli_resources(cli_elapsed() > 5.0 ? 1 : 2);
	status = CLI_OK;
	goto done;
fail:
	cli_progress_done();
	cli_report(&err);
done:
	for (int s = 0; s < PERT_N_SPLITS; s++)
		if (out[s] && !(s && out[s] == out[s - 1]))
			cpz_writer_abort(out[s]);
	pert_reader_close(r);
	if (in.fd >= 0)
		close(in.fd);
	return status;
}
