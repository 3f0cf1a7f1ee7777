/*
 * interaction.h - genetic interaction scores as the screens define them,
 * and the agreement between derived and published scores.
 *
 * Under the multiplicative model a double mutant is expected to have the
 * fitness f_a f_b; the digenic interaction is what is left over,
 *     epsilon_ab = f_ab - f_a f_b                  (Costanzo et al. 2010, 2016)
 * and for a triple mutant, what is left after the digenic terms,
 *     tau_abc = f_abc - f_a f_b f_c - epsilon_ab f_c - epsilon_ac f_b - epsilon_bc f_a
 *                                                  (Kuzmin et al. 2018)
 * Published scores are estimated with screen-specific corrections, so a
 * derived score agrees with the published one only approximately; the
 * agreement (Pearson r, mean and RMS difference) is what gi-check reports.
 * A NaN argument gives NaN.
 */
#ifndef CP_INTERACTION_H
#define CP_INTERACTION_H

#include <stddef.h>

#include "cp_base.h"
#include "textout.h"

#ifdef __cplusplus
extern "C" {
#endif

double gi_epsilon(double f_ab, double f_a, double f_b);
double gi_tau(double f_abc, double f_a, double f_b, double f_c, double eps_ab, double eps_ac,
	      double eps_bc);

/* Paired values (x derived, y published), accumulated in one pass with
 * Welford's updates so long streams lose no precision. */
typedef struct gi_agreement {
	size_t n;
	double mean_x, mean_y;
	double m2_x, m2_y, co;	/* sums of squared deviations and co-deviations */
	double sum_diff, sum_sq_diff;
} gi_agreement;

void gi_agreement_init(gi_agreement *a);
/* Pairs with a NaN are ignored. */
void gi_agreement_add(gi_agreement *a, double x, double y);
/* Pearson's r; NaN with fewer than two pairs or a constant side. */
double gi_agreement_pearson(const gi_agreement *a);
/* Mean of x - y and root mean square of x - y; NaN without pairs. */
double gi_agreement_mean_diff(const gi_agreement *a);
double gi_agreement_rms_diff(const gi_agreement *a);

/* ---- checking published scores against derived ones --------------------- */

/* Single-mutant fitness by gene and environment, from an experiments TSV
 * (its one-gene rows with a fitness; a gene twice in one environment is an
 * error: merge the table with screen2exp first). */
typedef struct gi_singles gi_singles;

gi_singles *gi_singles_load(const char *path, cp_error *err);
void gi_singles_free(gi_singles *s);
size_t gi_singles_count(const gi_singles *s);
/* NaN when the table lacks the gene in that environment. */
double gi_singles_fitness(const gi_singles *s, const char *gene, const char *environment);

typedef struct gi_check_stats {
	size_t published;	/* pairs with a published epsilon */
	size_t fitness;		/* pairs with a double-mutant fitness and both singles */
	size_t no_singles;	/* fitness rows whose singles were missing */
	size_t triples;		/* rows of three genes, not checked */
	gi_agreement agreement;	/* derived (x) against published (y), pair by pair */
} gi_check_stats;

/*
 * Join experiments TSVs in exp_merger's order (an unordered file is an
 * error) on their gene pairs (names in any case), each pair apart in each
 * environment (a row's, or default_environment where it states none).
 * For each pair and environment, the published epsilon is the
 * mean of its gene_interaction over every row that has one, and the
 * derived epsilon the mean of f_ab - f_a f_b over every row with a
 * fitness, f_a and f_b taken in the row's environment or, when it states
 * none, in default_environment.  Pairs with both are written to out as
 *   genes environment derived published fitness_rows interaction_rows
 * (with a header) and added to stats.
 */
int gi_check(const char *const *paths, size_t n_paths, const gi_singles *singles,
	     const char *default_environment, cp_textout *out, gi_check_stats *stats,
	     cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
