/* graph-build - the genome, gene-gene relations and metabolism as one cell graph. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell_graph.h"
#include "cli.h"
#include "cpz.h"
#include "edge_list.h"
#include "gem.h"
#include "genome.h"
#include "gpr.h"

#define DEFAULT_DIRECTED "regulatory"
#define MAX_INPUTS 64

typedef struct {
	char *name;
	const char *path;
} edge_input;

typedef struct {
	const char *genes, *uniprot, *gem, *out, *unmapped, *directed;
	int directed_given;
	size_t max_clauses;
	edge_input edges[MAX_INPUTS];
	size_t n_edges;
} options;

static void usage(FILE *fp, int status)
{
	fprintf(fp,
		"Usage: graph-build --genes FILE [--edges NAME=FILE]... [--gem FILE] [options]\n"
		"Build the wild-type cell graph (kind cell-graph): the genome, gene-gene\n"
		"relations as canonical edge lists with incidence by gene, and metabolism from\n"
		"a yeast-GEM model with every gene-reaction rule in OR-of-ANDs form.\n"
		"\n"
		"  -g, --genes FILE       SGD features table, or a stream's genome (required)\n"
		"  -u, --uniprot FILE     also map UniProt accessions (yeast-GEM's\n"
		"                         SGD_with_Uniprot.csv)\n"
		"  -e, --edges NAME=FILE  relation NAME from an edge list: gene gene [weight];\n"
		"                         repeat for more relations, or more files for one\n"
		"  -d, --directed NAMES   comma-separated relations whose edges are directed\n"
		"                         [%s]\n"
		"  -m, --gem FILE         yeast-GEM, YAML or its text export (.txt): metabolites,\n"
		"                         reactions, gene-reaction rules\n"
		"      --max-clauses N    refuse a rule whose OR-of-ANDs form exceeds N clauses\n"
		"                         [%d]\n"
		"      --unmapped FILE    list every identifier that did not map (TSV)\n"
		"  -o, --output FILE      stream to write [-]\n"
		"  -q, --quiet            no summary on stderr\n"
		"  -v, --verbose          also time and memory\n"
		"  -h, --help             this help\n"
		"  -V, --version          print the version\n"
		"\n"
		"Inputs may be plain, .gz or .zst, and - for standard input.  Exit status:\n"
		"0 ok, 1 bad data, 2 usage.  See graph-build(1).\n",
		DEFAULT_DIRECTED, GPR_DEFAULT_MAX_CLAUSES);
	exit(status);
}

static int parse_edges(options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1]) {
		cli_error("--edges '%s': expected NAME=FILE", arg);
		return -1;
	}
	if (o->n_edges == MAX_INPUTS) {
		cli_error("--edges: at most %d edge lists", MAX_INPUTS);
		return -1;
	}
	o->edges[o->n_edges].name = strndup(arg, (size_t)(eq - arg));
	if (!o->edges[o->n_edges].name) {
		cli_error("out of memory");
		return -1;
	}
	o->edges[o->n_edges++].path = eq + 1;
	if (!cell_graph_valid_name(o->edges[o->n_edges - 1].name)) {
		cli_error("--edges '%s': a relation name is letters, digits, '_' and '-' (at most %d)",
			  arg, CELL_GRAPH_MAX_NAME);
		return -1;
	}
	{
		int names = 0;

		for (size_t i = 0; i < o->n_edges; i++) {
			int first = 1;

			for (size_t j = 0; j < i && first; j++)
				first = strcmp(o->edges[i].name, o->edges[j].name) != 0;
			names += first;
		}
		if (names > CELL_GRAPH_MAX_RELATIONS) {
			cli_error("--edges '%s': at most %d relations", arg, CELL_GRAPH_MAX_RELATIONS);
			return -1;
		}
	}
	return 0;
}

static int is_directed(const options *o, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = o->directed; *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, len) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The k identifiers of ids seen most often (ties by name), for messages. */
static void most_frequent(const cp_strmap *ids, char *buf, size_t size, int k)
{
	size_t n = ids ? cp_strmap_size(ids) : 0;
	const char **keys = n ? malloc(n * sizeof *keys) : NULL;
	int64_t *vals = n ? malloc(n * sizeof *vals) : NULL;
	size_t len = 0;

	buf[0] = '\0';
	if (!keys || !vals)
		goto out;
	cp_strmap_entries(ids, keys, vals);
	for (int shown = 0; shown < k && (size_t)shown < n; shown++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (vals[i] >= 0 && (best == n || (vals[i] >> 1) > (vals[best] >> 1)))
				best = i;
		if (best == n)
			break;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", shown ? ", " : "", keys[best]);
		vals[best] = -1;
		if (len >= size)
			break;
	}
out:
	free(keys);
	free(vals);
}

/* The summary, printed once everything succeeded: a failure prints only
 * its one line. */
static cp_buf report;

static void note(const char *fmt, ...) CP_PRINTF(1, 2);
static void note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	cp_buf_append(&report, line, strlen(line) + 1, NULL);
}

static void print_report(void)
{
	for (size_t at = 0; at < report.len; at += strlen(report.data + at) + 1)
		cli_info(1, "%s", report.data + at);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void report_unmapped(const char *what, size_t count, size_t distinct, size_t ambiguous,
			    size_t lines, const cp_strmap *ids)
{
	char examples[256], dropped[64] = "";

	if (!count)
		return;
	most_frequent(ids, examples, sizeof examples, 3);
	if (lines)
		snprintf(dropped, sizeof dropped, ", dropping %zu line%s", lines, plural(lines));
	note("%s: %zu identifier%s did not map (%zu distinct, %zu ambiguous; most often %s)%s",
	     what, count, plural(count), distinct, ambiguous, examples, dropped);
}

/* One TSV block of the --unmapped file. */
static int write_unmapped(FILE *fp, const char *what, const char *input, const cp_strmap *ids)
{
	size_t n = ids ? cp_strmap_size(ids) : 0;
	const char **keys = malloc((n + 1) * sizeof *keys);
	int64_t *vals = malloc((n + 1) * sizeof *vals);

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	if (n)
		cp_strmap_entries(ids, keys, vals);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s\t%s\t%s\t%" PRId64 "\t%s\n", what, input, keys[i], vals[i] >> 1,
			vals[i] & 1 ? "ambiguous" : "unknown");
	free(keys);
	free(vals);
	return 0;
}

typedef struct {
	FILE *fp;
	char *tmp;
} unmapped_file;

static int open_unmapped(unmapped_file *u, const char *path)
{
	cp_error err;
	int fd;

	u->fp = NULL;
	u->tmp = NULL;
	if (!path)
		return 0;
	if (strcmp(path, "-") == 0) {
		u->fp = stdout;
		return 0;
	}
	fd = cp_tmp_create(path, &u->tmp, &err);
	if (fd < 0 || !(u->fp = fdopen(fd, "w"))) {
		if (fd >= 0) {
			close(fd);
			cp_error_errno(&err, path);
		}
		cli_report(&err);
		cp_tmp_discard(u->tmp);
		free(u->tmp);
		u->tmp = NULL;
		return -1;
	}
	fprintf(u->fp, "relation\tfile\tidentifier\tcount\treason\n");
	return 0;
}

static int build_relation(cell_graph *cg, const options *o, const char *name, unmapped_file *u)
{
	edge_list el;
	cp_error err;
	int64_t lines = 0, unmapped = 0;
	int status = -1;
	char files[512] = "";	/* the relation's files, for its errors */

	edge_list_init(&el);
	for (size_t i = 0; i < o->n_edges; i++) {
		edge_list_stats st;
		char what[256];
		size_t used = strlen(files);

		if (strcmp(o->edges[i].name, name) != 0)
			continue;
		snprintf(files + used, sizeof files - used, "%s%s", used ? ", " : "",
			 cp_path_name(o->edges[i].path));
		edge_list_stats_init(&st);
		if (edge_list_read(&el, o->edges[i].path, &cg->genome, &st, &err) < 0) {
			cli_report(&err);
			edge_list_stats_free(&st);
			goto out;
		}
		snprintf(what, sizeof what, "%s: %s", name, o->edges[i].path);
		note("%s: %zu lines%s, %zu gene pairs", what, st.lines,
		     st.header ? " after a header" : "", st.pairs);
		report_unmapped(what, st.unmapped, edge_list_stats_distinct(&st), st.ambiguous,
				st.unmapped_lines, st.ids);
		if (u->fp && write_unmapped(u->fp, name, o->edges[i].path, st.ids) < 0) {
			cli_error("out of memory");
			edge_list_stats_free(&st);
			goto out;
		}
		lines += (int64_t)st.lines;
		unmapped += (int64_t)st.unmapped_lines;
		edge_list_stats_free(&st);
	}
	if (el.n == 0) {
		cli_error("%s: relation %s has no edges: %" PRId64 " data line%s, %" PRId64 " with an "
			  "identifier that does not map", files, name, lines, plural((size_t)lines), unmapped);
		goto out;
	}
	if (cell_graph_add_relation(cg, name, is_directed(o, name), el.n, el.src, el.dst, el.weight,
				    &err) < 0) {
		cli_error("%s: %s", files, err.msg);
		goto out;
	}
	{
		cell_relation *rel = &cg->relation[cg->n_relations - 1];

		rel->lines = lines;
		rel->unmapped = unmapped;
		note("%s: %" PRId64 " edges (%s%s); dropped %" PRId64 " self-loop%s, %" PRId64
		     " duplicate%s", name, rel->n_edges, rel->directed ? "directed" : "undirected",
		     rel->weight ? ", weighted" : "", rel->self_loops, plural((size_t)rel->self_loops),
		     rel->duplicates, plural((size_t)rel->duplicates));
	}
	status = 0;
out:
	edge_list_free(&el);
	return status;
}

static int build_metabolism(cell_graph *cg, const options *o, unmapped_file *u)
{
	gem_stats st;
	cp_error err;
	int status = -1;

	gem_stats_init(&st);
	if (gem_load(cg, o->gem, o->max_clauses, &st, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	note("metabolism: %zu metabolites in %zu compartments, %zu reactions (%zu without "
	     "genes); %zu rules as %zu AND-clauses (at most %zu in one) over %zu genes", st.metabolites,
	     st.compartments, st.reactions, st.no_genes, st.rules, st.clauses, st.max_clauses, st.genes);
	report_unmapped("metabolism: rules", st.unknown, st.unknown_distinct, st.ambiguous, 0, st.ids);
	if (st.rules_always_true)
		note("metabolism: %zu rule%s always true: a clause of only unmapped genes",
		     st.rules_always_true, plural(st.rules_always_true));
	if (u->fp && write_unmapped(u->fp, "metabolism", o->gem, st.ids) < 0) {
		cli_error("out of memory");
		goto out;
	}
	status = 0;
out:
	gem_stats_free(&st);
	return status;
}

static int load_genome(cell_graph *cg, const options *o)
{
	cp_error err;

	if (genome_load(&cg->genome, o->genes, &err) < 0) {
		cli_report(&err);
		return -1;
	}
	note("genome: %zu genes from %s, %zu other identifiers (%zu ambiguous)", cg->genome.n,
	     o->genes, cg->genome.n_aliases, cg->genome.n_ambiguous);
	if (o->uniprot) {
		size_t added = 0, unmapped = 0;

		if (genome_add_uniprot(&cg->genome, o->uniprot, &added, &unmapped, &err) < 0) {
			cli_report(&err);
			return -1;
		}
		note("genome: %zu UniProt accessions from %s (%zu row%s for genes not in the "
		     "genome)", added, o->uniprot, unmapped, plural(unmapped));
	}
	return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
	static const struct option opts[] = {
		{ "genes", required_argument, NULL, 'g' },
		{ "uniprot", required_argument, NULL, 'u' },
		{ "edges", required_argument, NULL, 'e' },
		{ "directed", required_argument, NULL, 'd' },
		{ "gem", required_argument, NULL, 'm' },
		{ "max-clauses", required_argument, NULL, 'C' },
		{ "unmapped", required_argument, NULL, 'U' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "g:u:e:d:m:o:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o->genes = optarg; break;
		case 'u': o->uniprot = optarg; break;
		case 'e':
			if (parse_edges(o, optarg) < 0)
				return -1;
			break;
		case 'd': o->directed = optarg, o->directed_given = 1; break;
		case 'm': o->gem = optarg; break;
		case 'C': {
			int64_t v;

			if (cp_parse_i64(optarg, &v) < 0 || v < 1 || v > 1000000) {
				cli_error("--max-clauses: '%s' is not a count from 1 to 1000000", optarg);
				return -1;
			}
			o->max_clauses = (size_t)v;
			break;
		}
		case 'U': o->unmapped = optarg; break;
		case 'o': o->out = optarg; break;
		case 'q': cli_verbosity = 0; break;
		case 'v': cli_verbosity++; break;
		case 'h': usage(stdout, CLI_OK); break;
		case 'V': cli_print_version(); exit(CLI_OK);
		default: return -1;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s' (inputs are given with options; try --help)",
			  argv[optind]);
		return -1;
	}
	if (!o->genes) {
		cli_error("--genes FILE is required (try --help)");
		return -1;
	}
	{
		int stdin_inputs = (strcmp(o->genes, "-") == 0) + (o->uniprot && strcmp(o->uniprot, "-") == 0) +
				   (o->gem && strcmp(o->gem, "-") == 0);

		for (size_t i = 0; i < o->n_edges; i++)
			stdin_inputs += strcmp(o->edges[i].path, "-") == 0;
		if (stdin_inputs > 1) {
			cli_error("only one input can be standard input (-)");
			return -1;
		}
	}
	/* each relation named as directed is one given with --edges */
	for (const char *p = o->directed; o->directed_given && *p;) {
		size_t n = strcspn(p, ","), i = 0;

		while (i < o->n_edges && (strlen(o->edges[i].name) != n || strncmp(p, o->edges[i].name, n) != 0))
			i++;
		if (i == o->n_edges) {
			cli_error("--directed: no relation '%.*s' among the --edges inputs", (int)n, p);
			return -1;
		}
		p += n + (p[n] == ',');
	}
	if (o->unmapped && strcmp(o->unmapped, "-") == 0 && strcmp(o->out, "-") == 0) {
		cli_error("--unmapped - needs the stream in a file (-o FILE)");
		return -1;
	}
	if (o->unmapped && strcmp(o->unmapped, "-") != 0 && strcmp(o->out, "-") != 0 &&
	    cp_same_output(o->unmapped, o->out)) {
		cli_error("--unmapped %s: the same file as the output (-o): give another name", o->unmapped);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	options o = { .out = "-", .directed = DEFAULT_DIRECTED,
		      .max_clauses = GPR_DEFAULT_MAX_CLAUSES };
	unmapped_file u = { NULL, NULL };
	cpz_writer *w = NULL;
	cell_graph cg;
	cp_error err;
	int status = CLI_DATA_ERROR;

	cli_init("graph-build", argc, argv);
	cell_graph_init(&cg);
	if (parse_options(argc, argv, &o) < 0) {
		status = CLI_USAGE_ERROR;
		goto out;
	}
	cli_binary_output(o.out);
	if (load_genome(&cg, &o) < 0 || open_unmapped(&u, o.unmapped) < 0)
		goto out;
	for (size_t i = 0; i < o.n_edges; i++) {
		size_t first = 0;

		while (strcmp(o.edges[first].name, o.edges[i].name) != 0)
			first++;
		if (first == i && build_relation(&cg, &o, o.edges[i].name, &u) < 0)
			goto out;
	}
	if (o.gem && build_metabolism(&cg, &o, &u) < 0)
		goto out;
	if (cell_graph_check(&cg, "graph-build", &err) < 0) {
		cli_report(&err);
		goto out;
	}
	w = cpz_writer_open(o.out, "cell-graph", cli_producer(), cli_command(), NULL, &err);
	if (!w || cell_graph_write(w, &cg, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	/* both outputs checked before either is committed */
	if (u.tmp && cp_tmp_check(u.tmp, o.unmapped, &err) < 0) {
		cli_report(&err);
		goto out;
	}
	if (u.fp && u.fp != stdout) {
		int bad = ferror(u.fp);

		bad = (fclose(u.fp) != 0 || bad) ? (errno ? errno : EIO) : 0;
		u.fp = NULL;
		if (bad) {
			cli_error("%s: %s", o.unmapped, strerror(bad));
			goto out;
		}
	}
	if (cpz_writer_close(w, &err) < 0) {
		w = NULL;
		cli_report(&err);
		goto out;
	}
	w = NULL;
	if (u.tmp) {
		if (cp_tmp_commit(u.tmp, o.unmapped, &err) < 0) {
			cli_report(&err);
			goto out;
		}
		free(u.tmp);
		u.tmp = NULL;
	}
	print_report();
	cli_info(1, "wrote %zu genes, %zu relation%s%s to %s", cg.genome.n, cg.n_relations,
		 plural(cg.n_relations), cg.has_metabolism ? " and metabolism" : "",
		 strcmp(o.out, "-") == 0 ? "standard output" : o.out);
	cli_resources(2);
	status = CLI_OK;
out:
	cpz_writer_abort(w);
	if (u.fp && u.fp != stdout)
		fclose(u.fp);
	if (u.tmp) {
		cp_tmp_discard(u.tmp);
		free(u.tmp);
	}
	for (size_t i = 0; i < o.n_edges; i++)
		free(o.edges[i].name);
	cell_graph_free(&cg);
	cp_buf_free(&report);
	return status;
}
