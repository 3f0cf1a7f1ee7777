/* gaf2go - the filtered Gene Ontology DAG from an OBO ontology, a GAF and a genome. */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "genome.h"
#include "go_build.h"
#include "go_dag.h"
#include "obo.h"

static void usage(FILE *fp, int status)
{
	go_build_options d;
	char rel[128], ev[512], filters[128];

	go_build_defaults(&d);
	go_build_format(&d, rel, ev, filters, sizeof rel);
	fprintf(fp,
		"Usage: gaf2go --obo FILE --gaf FILE --genes FILE [options]\n"
		"Build the filtered Gene Ontology DAG, with strata, as a go-dag stream.\n"
		"\n"
		"Inputs (plain, .gz or .zst; one of them may be - for standard input):\n"
		"      --obo FILE               the ontology, OBO 1.2 or 1.4\n"
		"      --gaf FILE               the annotations, GAF 2.x\n"
		"      --genes FILE             the genome: an SGD features table, or a cpz\n"
		"                               stream that carries a genome\n"
		"  -o, --output FILE            the go-dag stream [-]\n"
		"\n"
		"Annotations (NOT annotations are always dropped):\n"
		"      --exclude-evidence LIST  evidence codes to drop, or none [%s]\n"
		"      --before YYYY-MM-DD      keep annotations dated before this day [all]\n"
		"\n"
		"Terms:\n"
		"      --relations LIST         is_a, or is_a,part_of [%s]\n"
		"      --filters LIST           term filters in the order they run, or none\n"
		"                               [%s]; DCell's paper:\n"
		"                               --filters containment,redundancy --min-genes 6\n"
		"      --min-genes N            containment: fewest genes a term contains [%d]\n"
		"      --redundancy SETS        compare contained or direct gene sets [contained]\n"
		"      --reconnect MODE         direct filter: parents (a removed term's children\n"
		"                               join its parents) or root (they are tied to their\n"
		"                               namespace root when left without a path)\n"
		"                               [parents]\n"
		"      --subtree GO:ID          keep only this term and its descendants, the term\n"
		"                               as the root (one DCell subsystem) [the whole DAG]\n"
		"\n"
		"  -q, --quiet     no summary        -v, --verbose  also time and memory\n"
		"  -h, --help      this help         -V, --version  print the version\n"
		"\n"
		"Exit status: 0 ok, 1 bad data, 2 usage.  See gaf2go(1).\n",
		ev, rel, filters, d.min_genes);
	exit(status);
}

enum { OPT_OBO = 256, OPT_GAF, OPT_GENES, OPT_EXCLUDE, OPT_BEFORE, OPT_RELATIONS, OPT_FILTERS,
       OPT_MIN_GENES, OPT_REDUNDANCY, OPT_RECONNECT, OPT_SUBTREE };

static const struct option long_opts[] = {
	{ "obo", required_argument, NULL, OPT_OBO },
	{ "gaf", required_argument, NULL, OPT_GAF },
	{ "genes", required_argument, NULL, OPT_GENES },
	{ "output", required_argument, NULL, 'o' },
	{ "exclude-evidence", required_argument, NULL, OPT_EXCLUDE },
	{ "before", required_argument, NULL, OPT_BEFORE },
	{ "relations", required_argument, NULL, OPT_RELATIONS },
	{ "filters", required_argument, NULL, OPT_FILTERS },
	{ "min-genes", required_argument, NULL, OPT_MIN_GENES },
	{ "redundancy", required_argument, NULL, OPT_REDUNDANCY },
	{ "reconnect", required_argument, NULL, OPT_RECONNECT },
	{ "subtree", required_argument, NULL, OPT_SUBTREE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* An option's value through a library parser; a usage error when it fails. */
static void set_option(int (*set)(go_build_options *, const char *, cp_error *),
		       go_build_options *opt, const char *name, const char *value)
{
	cp_error err;

	if (set(opt, value, &err) < 0) {
		cli_error("%s: %s", name, err.msg);
		exit(CLI_USAGE_ERROR);
	}
}

static int choose(const char *name, const char *value, const char *a, const char *b)
{
	if (strcmp(value, a) == 0)
		return 0;
	if (strcmp(value, b) == 0)
		return 1;
	cli_error("%s: '%s' is neither %s nor %s", name, value, a, b);
	exit(CLI_USAGE_ERROR);
}

static int add_stats(cpz_record *rec, void *ctx, cp_error *err)
{
	return go_build_stats_to_record(ctx, rec, err);
}

static void summary(const obo_ontology *obo, const char *gaf, const go_build_options *opt,
		    const char *subtree, const int64_t *s)
{
	char rel[128], ev[512], filters[128], date[64] = "";

	go_build_format(opt, rel, ev, filters, sizeof rel);
	if (opt->before)
		snprintf(date, sizeof date, " dated on or after %04d-%02d-%02d", opt->before / 10000,
			 opt->before / 100 % 100, opt->before % 100);
	cli_info(1, "ontology %s%s%s%s: %" PRId64 " terms, %" PRId64 " obsolete; %" PRId64
		 " %s edges, %" PRId64 " dropped (to obsolete or undefined terms); %" PRId64
		 " terms without parents tied to their namespace root", obo->path,
		 *obo->data_version ? " (data-version " : "", obo->data_version,
		 *obo->data_version ? ")" : "", s[GO_STAT_TERMS_READ], s[GO_STAT_TERMS_OBSOLETE],
		 s[GO_STAT_EDGES_READ], rel, s[GO_STAT_EDGES_DROPPED], s[GO_STAT_TIED_AT_START]);
	cli_info(1, "annotations %s: %" PRId64 " rows; dropped: %" PRId64 " gene not in the genome (%"
		 PRId64 " ids), %" PRId64 " gene ambiguous, %" PRId64 " GO id unknown, %" PRId64
		 " obsolete term, %" PRId64 " NOT, %" PRId64 " evidence %s, %" PRId64 "%s; kept %"
		 PRId64 " (%" PRId64 " through replaced_by, %" PRId64 " by alt_id) as %" PRId64
		 " gene-term annotations", gaf, s[GO_STAT_ROWS], s[GO_STAT_ROWS_UNMAPPED],
		 s[GO_STAT_GENES_UNMAPPED], s[GO_STAT_ROWS_AMBIGUOUS], s[GO_STAT_ROWS_UNKNOWN_TERM],
		 s[GO_STAT_ROWS_OBSOLETE], s[GO_STAT_ROWS_NOT], s[GO_STAT_ROWS_EVIDENCE], ev,
		 s[GO_STAT_ROWS_DATE], opt->before ? date : " too late (no date cutoff)", s[GO_STAT_ROWS_KEPT],
		 s[GO_STAT_ROWS_REPLACED], s[GO_STAT_ROWS_ALT_ID], s[GO_STAT_ANNOTATIONS_UNIQUE]);
	for (size_t i = 0; i < opt->n_filters; i++) {
		switch (opt->filters[i]) {
		case GO_FILTER_DIRECT:
			cli_info(1, "filter direct: removed %" PRId64 " terms; tied %" PRId64
				 " to their namespace root", s[GO_STAT_REMOVED_DIRECT],
				 s[GO_STAT_TIED_DIRECT]);
			break;
		case GO_FILTER_REDUNDANCY:
			cli_info(1, "filter redundancy (%s gene sets): removed %" PRId64 " terms and "
				 "their %" PRId64 " annotations",
				 opt->redundancy == GO_REDUNDANT_DIRECT ? "direct" : "contained",
				 s[GO_STAT_REMOVED_REDUNDANT], s[GO_STAT_ANNOTATIONS_DROPPED]);
			break;
		default:
			cli_info(1, "filter containment (at least %d genes): removed %" PRId64
				 " terms; moved their %" PRId64 " annotations up", opt->min_genes,
				 s[GO_STAT_REMOVED_CONTAINMENT], s[GO_STAT_ANNOTATIONS_MOVED]);
			break;
		}
	}
	cli_info(1, "%s%s: %" PRId64 " terms, %" PRId64 " edges, %" PRId64 " leaves, %" PRId64
		 " strata, %" PRId64 " annotations of %" PRId64 " genes", subtree ? "subtree " : "DAG",
		 subtree ? subtree : "", s[GO_STAT_TERMS],
		 s[GO_STAT_EDGES], s[GO_STAT_LEAVES], s[GO_STAT_STRATA], s[GO_STAT_ANNOTATIONS],
		 s[GO_STAT_GENES_ANNOTATED]);
}

int main(int argc, char **argv)
{
	const char *obo_path = NULL, *gaf_path = NULL, *genes_path = NULL, *out = "-", *subtree = NULL;
	go_build_options opt;
	int64_t stats[GO_STAT_COUNT];
	obo_ontology obo;
	genome g;
	go_dag dag;
	cpz_writer *w = NULL;
	cp_error err;
	int c, rc, status = CLI_DATA_ERROR;

	cli_init("gaf2go", argc, argv);
	go_build_defaults(&opt);
	while ((c = getopt_long(argc, argv, "o:qvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_OBO: obo_path = optarg; break;
		case OPT_GAF: gaf_path = optarg; break;
		case OPT_GENES: genes_path = optarg; break;
		case 'o': out = optarg; break;
		case OPT_EXCLUDE: set_option(go_build_set_evidence, &opt, "--exclude-evidence", optarg); break;
		case OPT_BEFORE: set_option(go_build_set_before, &opt, "--before", optarg); break;
		case OPT_RELATIONS: set_option(go_build_set_relations, &opt, "--relations", optarg); break;
		case OPT_FILTERS: set_option(go_build_set_filters, &opt, "--filters", optarg); break;
		case OPT_MIN_GENES: {
			int64_t v;

			if (cp_parse_i64(optarg, &v) < 0 || v < 0 || v > INT32_MAX) {
				cli_error("--min-genes: '%s' is not a count", optarg);
				return CLI_USAGE_ERROR;
			}
			opt.min_genes = (int32_t)v;
			break;
		}
		case OPT_REDUNDANCY:
			opt.redundancy = choose("--redundancy", optarg, "contained", "direct") ?
					 GO_REDUNDANT_DIRECT : GO_REDUNDANT_CONTAINED;
			break;
		case OPT_RECONNECT:
			opt.reconnect = choose("--reconnect", optarg, "parents", "root") ?
					GO_RECONNECT_ROOT : GO_RECONNECT_PARENTS;
			break;
		case OPT_SUBTREE: subtree = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); return CLI_OK;
		default: exit(CLI_USAGE_ERROR);	/* getopt said why, in one line */
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s' (try gaf2go --help)", argv[optind]);
		return CLI_USAGE_ERROR;
	}
	if (!obo_path || !gaf_path || !genes_path) {
		cli_error("--obo, --gaf and --genes are all needed (try gaf2go --help)");
		return CLI_USAGE_ERROR;
	}
	if ((strcmp(obo_path, "-") == 0) + (strcmp(gaf_path, "-") == 0) +
	    (strcmp(genes_path, "-") == 0) > 1) {
		cli_error("only one input can be standard input");
		return CLI_USAGE_ERROR;
	}
	cli_binary_output(out);
	go_dag_init(&dag);
	genome_init(&g);
	obo_init(&obo);
	cli_progress("reading the genome %s", genes_path);
	if (genome_load(&g, genes_path, &err) < 0)
		goto failed;
	cli_progress("reading the ontology %s", obo_path);
	if (obo_read(&obo, obo_path, &err) < 0)
		goto failed;
	cli_progress("reading %s and filtering", gaf_path);
	if (go_build(&obo, &g, gaf_path, &opt, &dag, stats, &err) < 0)
		goto failed;
	if (subtree) {
		go_dag sub;

		if (go_dag_subtree(&dag, subtree, &sub, &err) < 0) {
			cp_error_prefix(&err, "--subtree");
			goto failed;
		}
		go_dag_free(&dag);
		dag = sub;
		/* the counts describe the DAG written */
		go_build_count(&dag, stats);
	}
	cli_progress_done();
	w = cpz_writer_open(out, "go-dag", cli_producer(), cli_command(), NULL, &err);
	if (!w || go_dag_write(w, &dag, add_stats, stats, &err) < 0)
		goto failed;
	rc = cpz_writer_close(w, &err);
	w = NULL;	/* closed, or removed on failure */
	if (rc < 0)
		goto failed;
	summary(&obo, cp_path_name(gaf_path), &opt, subtree, stats);
	cli_resources(2);
	status = CLI_OK;
	goto out;
failed:
	cli_progress_done();
	cli_report(&err);
out:
	cpz_writer_abort(w);
	go_dag_free(&dag);
	obo_free(&obo);
	genome_free(&g);
	return status;
}
