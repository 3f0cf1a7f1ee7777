/*
 * gaf2go_bench - how fast the ontology and annotations are parsed, beside
 * plain decompression of the same files, and how long the whole build takes.
 *
 *   gaf2go_bench -O GO.obo.gz -G SGD.gaf.gz -g SGD_features.tab [-r REPEATS]
 *
 * Speeds are MB (10^6 bytes) of decompressed text per second, best of the
 * repeats; ratios compare figures of this one run.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gaf.h"
#include "genome.h"
#include "go_build.h"
#include "obo.h"
#include "textio.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const cp_error *err)
{
	fprintf(stderr, "gaf2go_bench: %s\n", err->msg);
	exit(1);
}

/* Decompress only: the floor any parser of the file stands on. */
static size_t decompress(const char *path)
{
	static char buf[1 << 16];
	cp_error err;
	cp_input *in = cp_input_open(path, &err);
	size_t total = 0;
	ssize_t n;

	if (!in)
		die(&err);
	while ((n = cp_input_read(in, buf, sizeof buf, &err)) > 0)
		total += (size_t)n;
	if (n < 0)
		die(&err);
	cp_input_close(in);
	return total;
}

static size_t parse_obo(const char *path)
{
	obo_ontology o;
	cp_error err;
	size_t bytes;

	if (obo_read(&o, path, &err) < 0)
		die(&err);
	bytes = o.bytes;
	obo_free(&o);
	return bytes;
}

static size_t parse_gaf(const char *path)
{
	cp_error err;
	gaf_reader *r = gaf_open(path, &err);
	gaf_row row;
	size_t bytes;
	int rc;

	if (!r)
		die(&err);
	while ((rc = gaf_next(r, &row, &err)) == 1)
		;
	if (rc < 0)
		die(&err);
	bytes = gaf_bytes(r);
	gaf_close(r);
	return bytes;
}

/* Best time of repeats calls; *bytes from the last. */
static double best(size_t (*fn)(const char *), const char *path, int repeats, size_t *bytes)
{
	double t_best = 1e30;

	for (int i = 0; i < repeats; i++) {
		double t0 = now();

		*bytes = fn(path);
		if (now() - t0 < t_best)
			t_best = now() - t0;
	}
	return t_best;
}

static double build_once(const char *obo_path, const char *gaf_path, const char *genes_path)
{
	double t0 = now();
	go_build_options opt;
	obo_ontology o;
	genome g;
	go_dag dag;
	cp_error err;

	go_build_defaults(&opt);
	if (genome_load(&g, genes_path, &err) < 0 || obo_read(&o, obo_path, &err) < 0 ||
	    go_build(&o, &g, gaf_path, &opt, &dag, NULL, &err) < 0)
		die(&err);
	go_dag_free(&dag);
	obo_free(&o);
	genome_free(&g);
	return now() - t0;
}

int main(int argc, char **argv)
{
	const char *obo = NULL, *gaf = NULL, *genes = NULL;
	int c, repeats = 5;
	size_t ob, gb, zo, zg;
	double t_zo, t_zg, t_o, t_g, t_build = 1e30;

	while ((c = getopt(argc, argv, "O:G:g:r:")) != -1) {
		switch (c) {
		case 'O': obo = optarg; break;
		case 'G': gaf = optarg; break;
		case 'g': genes = optarg; break;
		case 'r': repeats = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
		default: return 2;
		}
	}
	if (!obo || !gaf || !genes) {
		fprintf(stderr, "usage: gaf2go_bench -O GO.obo -G SGD.gaf -g SGD_features.tab [-r N]\n");
		return 2;
	}
	t_zo = best(decompress, obo, repeats, &zo);
	t_o = best(parse_obo, obo, repeats, &ob);
	t_zg = best(decompress, gaf, repeats, &zg);
	t_g = best(parse_gaf, gaf, repeats, &gb);
	for (int i = 0; i < repeats; i++) {
		double t = build_once(obo, gaf, genes);

		if (t < t_build)
			t_build = t;
	}
	printf("%-10s %9s %14s %10s %8s\n", "input", "MB", "decompress", "parse", "ratio");
	printf("%-10s %9.1f %9.0f MB/s %5.0f MB/s %8.2f\n", "ontology", ob / 1e6, zo / t_zo / 1e6,
	       ob / t_o / 1e6, t_zo / t_o);
	printf("%-10s %9.1f %9.0f MB/s %5.0f MB/s %8.2f\n", "GAF", gb / 1e6, zg / t_zg / 1e6,
	       gb / t_g / 1e6, t_zg / t_g);
	printf("%-10s %9.1f %9.0f MB/s %5.0f MB/s %8.2f\n", "both", (ob + gb) / 1e6,
	       (zo + zg) / (t_zo + t_zg) / 1e6, (ob + gb) / (t_o + t_g) / 1e6,
	       (t_zo + t_zg) / (t_o + t_g));
	printf("whole build in the library (genome, ontology, annotations, filters, strata, "
	       "checks): %.3f s, %.2f x the parse\n", t_build, t_build / (t_o + t_g));
	return 0;
}
