/*
 * split.h - deterministic, streaming train/val/test splits of experiments.
 *
 * Each experiment's split is a function of its gene names and the seed
 * alone, so it is decided as the experiment streams past, the same in
 * every run and on every machine, and independent of the order of the
 * input and of the genome's indexing.  A "unit" (a gene set, a gene or a
 * query) is hashed with XXH64 (the seed as the hash seed, a domain tag and
 * the names joined by ',' as the data); the top 53 bits give u in [0, 1),
 * and u < f_train is train, u < f_train + f_val is val, else test.
 *
 *   random  the unit is the experiment's gene set: experiments split at
 *           random, and experiments of the same gene set (other
 *           environments, alleles) always share a split.  Genes are
 *           shared across splits; random splits overstate accuracy on
 *           unseen genes.
 *   gene    the unit is the gene: genes are split, and an experiment whose
 *           genes all fall in one split goes there.  An experiment whose
 *           genes fall in different splits (a held-out gene beside a
 *           training gene) is dropped (SPLIT_DROPPED): keeping it in any
 *           split would show a held-out gene in training or a training gene
 *           in test.  No val or test experiment shares a gene with any
 *           training experiment, and val and test share none either.  The
 *           fractions are over genes; a pair is kept in train with
 *           probability f_train^2 and so on.
 *   pair    the units are the queries: for an experiment of k >= 2 genes,
 *           each of its (k-1)-gene subsets (a gene of a pair, a pair of a
 *           triple: the query strain of an SGA or trigenic screen), and the
 *           experiment goes to the most held-out split among them (test
 *           before val before train).  A held-out query therefore never
 *           appears in a training experiment of the same size: the model is
 *           tested on queries whose combinations it never saw, as in
 *           query-held-out evaluations of interaction screens.  Single
 *           mutants split as in random.  Nothing is dropped.
 */
#ifndef CP_SPLIT_H
#define CP_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "pert.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum split_method { SPLIT_RANDOM = 0, SPLIT_GENE, SPLIT_PAIR, SPLIT_METHOD_COUNT } split_method;

extern const char *const split_method_names[SPLIT_METHOD_COUNT];
#define SPLIT_DROPPED (-1)

typedef struct split_spec {
	split_method method;
	double fractions[PERT_N_SPLITS];	/* train, val, test; sum 1 */
	uint64_t seed;
} split_spec;

/* 0 and the method, or -1 if name is not one. */
int split_method_parse(const char *name, split_method *out);
/* "0.8,0.1,0.1": three fractions in [0, 1] summing to 1 (to 1e-6; they are
 * then scaled to sum exactly). */
int split_parse_fractions(const char *text, double out[PERT_N_SPLITS], cp_error *err);

/* The split of one unit: a domain tag and names (joined by ','). */
int split_of_unit(const split_spec *s, const char *domain, size_t n, const char *const *names);
/* The split of an experiment whose gene names are given in strictly
 * ascending strcmp order (n may be 0): PERT_TRAIN, PERT_VAL, PERT_TEST or
 * SPLIT_DROPPED.  scratch must hold n pointers (pair mode). */
int split_assign(const split_spec *s, size_t n, const char *const *genes, const char **scratch);

#ifdef __cplusplus
}
#endif

#endif
