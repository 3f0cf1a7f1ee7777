/*
 * experiments_gen - random deletion experiments over a real genome, as the
 * experiments table pert-mask reads: half double, half triple deletions of
 * distinct genes drawn uniformly, with made-up fitness and interaction
 * labels.  For benchmarks: the same seed gives the same table.
 *
 *   experiments_gen -g SGD_features.tab|cell.cpz [-n N] [-s SEED]
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genome.h"

/* splitmix64: small, fast, and good enough to draw genes. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((next_random(state) >> 32) * (uint64_t)n) >> 32);
}

int main(int argc, char **argv)
{
	const char *genes = NULL;
	uint64_t n = 100000, seed = 1, state;
	genome g;
	cp_error err;
	int c;

	while ((c = getopt(argc, argv, "g:n:s:h")) != -1) {
		switch (c) {
		case 'g': genes = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: experiments_gen -g GENOME [-n N (100000)] [-s SEED (1)]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!genes) {
		fprintf(stderr, "experiments_gen: -g GENOME is required\n");
		return 2;
	}
	if (genome_load(&g, genes, &err) < 0) {
		fprintf(stderr, "experiments_gen: %s\n", err.msg);
		return 1;
	}
	state = seed;
	printf("genes\tfitness\tgene_interaction\n");
	for (uint64_t i = 0; i < n; i++) {
		uint32_t pick[3];
		int k = 2 + (int)(next_random(&state) & 1);

		for (int j = 0; j < k; j++) {
			int again;

			do {
				pick[j] = below(&state, (uint32_t)g.n);
				again = 0;
				for (int q = 0; q < j; q++)
					again |= pick[q] == pick[j];
			} while (again);
			fputs(g.names[pick[j]], stdout);
			putchar(j + 1 < k ? ',' : '\t');
		}
		printf("%.4f\t%.4f\n", (double)below(&state, 12000) / 10000,
		       ((double)below(&state, 4000) - 2000) / 10000);
	}
	genome_free(&g);
	return fflush(stdout) == 0 ? 0 : 1;
}
