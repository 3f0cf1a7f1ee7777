/* gi-check - derived against published genetic interactions. */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "interaction.h"
#include "textout.h"

static const char *default_environment = "30C";

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: gi-check -s SINGLES [options] FILE...\n"
		"Derive the genetic interaction of every gene pair with a double-mutant\n"
		"fitness, epsilon = f_ab - f_a f_b with f_a and f_b from the single-mutant\n"
		"table SINGLES, and compare it with the published epsilon of the same pair\n"
		"in any FILE.  FILEs are experiments TSVs in screen2exp's order.  Writes one\n"
		"row per pair with both (genes, environment, derived, published, fitness_rows,\n"
		"interaction_rows) and the agreement (pairs, Pearson r, mean and RMS\n"
		"difference) on stderr.\n"
		"\n"
		"Options:\n"
		"  -s, --singles FILE      experiments TSV with single-mutant fitness (required)\n"
		"  -e, --environment ENV   singles' environment for rows that state none [%s]\n"
		"  -o, --output FILE       pair table to write [-]\n"
		"  -q, --quiet             no summary on standard error\n"
		"  -v, --verbose           also time and memory\n"
		"  -h, --help              this help\n"
		"  -V, --version           print the version\n"
		"\n"
		"Exit status: 0 ok, 1 bad data, 2 usage.  See gi-check(1).\n",
		default_environment);
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "singles", required_argument, NULL, 's' },
		{ "environment", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *singles_path = NULL, *output = "-";
	gi_singles *singles = NULL;
	cp_textout *out = NULL;
	gi_check_stats stats;
	cp_error err;
	int c;

	cli_init("gi-check", argc, argv);
	while ((c = getopt_long(argc, argv, "s:e:o:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 's': singles_path = optarg; break;
		case 'e': default_environment = optarg; break;
		case 'o': output = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	if (!singles_path || optind >= argc) {
		cli_error("expected -s SINGLES and at least one FILE (try gi-check --help)");
		return CLI_USAGE_ERROR;
	}
	{
		int stdin_inputs = strcmp(singles_path, "-") == 0;

		for (int i = optind; i < argc; i++)
			stdin_inputs += strcmp(argv[i], "-") == 0;
		if (stdin_inputs > 1) {
			cli_error("only one input can be standard input (-)");
			return CLI_USAGE_ERROR;
		}
	}
	if (!(singles = gi_singles_load(singles_path, &err)))
		goto fail;
	if (gi_singles_count(singles) == 0) {
		cp_error_set(&err, "%s: no single mutants: -s takes the single-mutant table, the FILEs "
			     "the pairs", cp_path_name(singles_path));
		goto fail;
	}
	if (!(out = cp_textout_open(output, &err)) ||
	    gi_check((const char *const *)argv + optind, (size_t)(argc - optind), singles,
		     default_environment, out, &stats, &err) < 0)
		goto fail;
	if (stats.fitness == 0 && stats.no_singles > 0) {
		cp_error_set(&err, "%s: none of the %zu double-mutant fitness rows found both singles "
			     "(in the row's environment, or '%s' for rows that state none)",
			     cp_path_name(singles_path), stats.no_singles,
			     default_environment);
		goto fail;
	}
	if (cp_textout_close(out, &err) < 0) {
		out = NULL;
		goto fail;
	}
	cli_info(1, "%zu singles; %zu pairs with a published epsilon, %zu with a double-mutant "
		 "fitness and both singles (%zu fitness rows lacked a single); %zu triples not "
		 "checked", gi_singles_count(singles), stats.published, stats.fitness,
		 stats.no_singles, stats.triples);
	if (stats.agreement.n == 0) {
		cli_info(1, "no pair with both a published and a derived epsilon");
	} else {
		double r = gi_agreement_pearson(&stats.agreement);
		char rs[64];

		/* one pair, or values all alike, have no correlation */
		if (isnan(r))
			snprintf(rs, sizeof rs, "undefined (%s)", stats.agreement.n < 2 ? "one pair" :
				 "no spread");
		else
			snprintf(rs, sizeof rs, "%.4f", r);
		cli_info(1, "%zu pairs with both: Pearson r %s, mean derived - published %.4f, RMS "
			 "difference %.4f", stats.agreement.n, rs, gi_agreement_mean_diff(&stats.agreement),
			 gi_agreement_rms_diff(&stats.agreement));
	}
	gi_singles_free(singles);
	cli_resources(2);
	return CLI_OK;
fail:
	cli_report(&err);
	cp_textout_abort(out);
	gi_singles_free(singles);
	return CLI_DATA_ERROR;
}
