/* screen2exp - published phenotype screens to the experiments TSV. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exp_table.h"
#include "screens.h"
#include "textout.h"

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: screen2exp [options] FILE...\n"
		"Read published yeast phenotype screens and write one experiments TSV\n"
		"(genes, environment, allele, fitness, fitness_std, gene_interaction,\n"
		"gene_interaction_p_value, count, id, source) for pert-mask.  Measurements\n"
		"of the same genes and environment are merged into one row (their alleles\n"
		"joined).\n"
		"\n"
		"Options:\n"
		"  -f, --format NAME       input format [auto]: costanzo2016-smf sga dcell\n"
		"                          kuzmin2018 kuzmin2018-subset yeastphenome experiments\n"
		"  -s, --source NAME       source column [the format's name]\n"
		"  -e, --environment ENV   environment of formats that state none [\"\"]\n"
		"      --keep-ho           keep the HO (YDL227C) dummy of Kuzmin query strains\n"
		"      --no-merge          write every measurement as read (constant memory)\n"
		"  -m, --memory MIB        sort buffer before spilling to scratch files [%d]\n"
		"  -o, --output FILE       table to write [-]\n"
		"  -q, --quiet             no summary on standard error\n"
		"  -v, --verbose           also time and memory (anyway past 5 s)\n"
		"  -h, --help              this help\n"
		"  -V, --version           print the version\n"
		"\n"
		"FILE may be - for standard input (plain, .gz or .zst).  Exit status: 0 ok,\n"
		"1 bad data, 2 usage.  See screen2exp(1).\n",
		EXP_MERGE_MEMORY_MIB);
	exit(status);
}

/* What was read from one input, reported once everything succeeded (so a
 * failure prints one line only). */
typedef struct input_summary {
	screen_format format;
	screen_stats stats;
} input_summary;

static void report_stats(const char *path, const input_summary *sum)
{
	const screen_stats *s = &sum->stats;

	cli_info(1, "%s (%s): %zu lines, %zu measurements (%zu single, %zu double, %zu triple)",
		 path, screen_format_name(sum->format), s->lines, s->measurements,
		 s->by_genes[0], s->by_genes[1], s->by_genes[2] + s->by_genes[3]);
	if (s->no_label || s->same_gene || s->ho_removed || s->skipped_columns || s->unknown_allele)
		cli_info(1, "%s: skipped %zu without labels, %zu with one gene twice; dropped %zu HO "
			 "dummies; %zu non-growth columns; %zu unknown allele suffixes", path,
			 s->no_label, s->same_gene, s->ho_removed, s->skipped_columns,
			 s->unknown_allele);
}

typedef struct options {
	screen_options screen;
	int merge;
	size_t memory;
	const char *output;
} options;

/* Read every input into the merger, or straight to out without one. */
static int read_inputs(char **paths, int n, const options *o, exp_merger *merger, cp_textout *out,
		       size_t *measurements, input_summary *sums)
{
	cp_buf line = { 0 };
	cp_error err;
	exp_row row;
	int status = -1;

	for (int i = 0; i < n; i++) {
		screen_reader *r = screen_open(paths[i], &o->screen, &err);
		int rc;

		if (!r)
			goto fail;
		while ((rc = screen_next(r, &row, &err)) == 1) {
			(*measurements)++;
			if ((*measurements & 0xfffff) == 0)
				cli_progress("%s: %zu measurements", paths[i], *measurements);
			/* the row checked (as the merger does) before it is written */
			rc = merger ? exp_merger_add(merger, &row, &err) : exp_row_check(&row, &err);
			if (rc < 0) {
				cp_error_prefix(&err, "%s:%zu", paths[i], screen_reader_lineno(r));
			} else if (!merger) {
				rc = exp_format_row(&row, &line, &err);
				if (rc == 0 && line.len > 65536)
					rc = cp_textout_flush_buf(out, &line, &err);
			}
			if (rc < 0)
				break;
		}
		cli_progress_done();
		if (rc < 0) {
			screen_close(r);
			goto fail;
		}
		sums[i].format = screen_reader_format(r);
		sums[i].stats = *screen_reader_stats(r);
		screen_close(r);
	}
	if (!merger && cp_textout_flush_buf(out, &line, &err) < 0)
		goto fail;
	status = 0;
fail:
	if (status < 0)
		cli_report(&err);
	cp_buf_free(&line);
	return status;
}

static int write_merged(exp_merger *merger, cp_textout *out)
{
	cp_buf line = { 0 };
	cp_error err;
	exp_row row;
	int rc;

	if (exp_merger_finish(merger, &err) < 0)
		goto fail;
	while ((rc = exp_merger_next(merger, &row, &err)) == 1) {
		if (exp_format_row(&row, &line, &err) < 0)
			goto fail;
		if (line.len > 65536 && cp_textout_flush_buf(out, &line, &err) < 0)
			goto fail;
	}
	if (rc < 0 || cp_textout_flush_buf(out, &line, &err) < 0)
		goto fail;
	cp_buf_free(&line);
	return 0;
fail:
	cli_report(&err);
	cp_buf_free(&line);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "source", required_argument, NULL, 's' },
		{ "environment", required_argument, NULL, 'e' },
		{ "keep-ho", no_argument, NULL, 'H' },
		{ "no-merge", no_argument, NULL, 'M' },
		{ "memory", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	options o = { .merge = 1, .memory = (size_t)EXP_MERGE_MEMORY_MIB << 20, .output = "-" };
	exp_merger *merger = NULL;
	cp_textout *out = NULL;
	cp_buf header = { 0 };
	input_summary *sums = NULL;
	size_t measurements = 0;
	cp_error err;
	int c, status = CLI_DATA_ERROR;
	int64_t mib;

	cli_init("screen2exp", argc, argv);
	while ((c = getopt_long(argc, argv, "f:s:e:m:o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (screen_format_parse(optarg, &o.screen.format) < 0) {
				cli_error("unknown format '%s' (try screen2exp --help)", optarg);
				return CLI_USAGE_ERROR;
			}
			break;
		case 's':
		case 'e':
			if (optarg[strcspn(optarg, "\t\r\n")]) {
				cli_error("--%s: '%s' holds a tab or a line break, which a table cannot",
					  c == 's' ? "source" : "environment", optarg);
				return CLI_USAGE_ERROR;
			}
			*(c == 's' ? &o.screen.source : &o.screen.environment) = optarg;
			break;
		case 'H': o.screen.keep_ho = 1; break;
		case 'M': o.merge = 0; break;
		case 'm':
			if (cp_parse_i64(optarg, &mib) < 0 || mib < 1 || mib > (1 << 20)) {
				cli_error("--memory: '%s' is not a size from 1 to %d MiB", optarg, 1 << 20);
				return CLI_USAGE_ERROR;
			}
			o.memory = (size_t)mib << 20;
			break;
		case 'o': o.output = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	if (optind >= argc) {
		cli_error("expected at least one FILE (try screen2exp --help)");
		return CLI_USAGE_ERROR;
	}
	{
		int stdin_inputs = 0;

		for (int i = optind; i < argc; i++)
			stdin_inputs += strcmp(argv[i], "-") == 0;
		if (stdin_inputs > 1) {
			cli_error("only one input can be standard input (-)");
			return CLI_USAGE_ERROR;
		}
	}
	if (o.merge && !(merger = exp_merger_new(o.memory, &err))) {
		cli_report(&err);
		return CLI_DATA_ERROR;
	}
	if (!(out = cp_textout_open(o.output, &err)) || exp_format_header(&header, &err) < 0 ||
	    cp_textout_flush_buf(out, &header, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	sums = calloc((size_t)(argc - optind), sizeof *sums);
	if (!sums || read_inputs(argv + optind, argc - optind, &o, merger, out, &measurements, sums) < 0)
		goto out;
	if (merger && write_merged(merger, out) < 0)
		goto out;
	if (cp_textout_close(out, &err) < 0) {
		out = NULL;
		cli_report(&err);
		goto out;
	}
	out = NULL;
	for (int i = optind; i < argc; i++)
		report_stats(argv[i], &sums[i - optind]);
	if (merger) {
		const exp_merge_stats *s = exp_merger_stats(merger);

		cli_info(1, "%zu measurements -> %zu experiments (%zu repeated identical labels; "
			 "%zu sort runs)", measurements, s->merged, s->identical, s->runs);
	}
	status = CLI_OK;
	cli_resources(cli_elapsed() > 5.0 ? 1 : 2);
out:
	cp_textout_abort(out);
	exp_merger_free(merger);
	cp_buf_free(&header);
	free(sums);
	return status;
}
