/*
 * gem.h - genome-scale metabolic models (yeast-GEM) in their YAML form,
 * read with libyaml into the metabolism of a cell graph.
 *
 * The model is a YAML document whose top level maps section names to
 * values, as a mapping or as an ordered map (a sequence of one-pair
 * mappings, tagged !!omap, as yeast-GEM and cobrapy write it):
 *
 *   metaData:     defaultLB, defaultUB (used when a reaction gives no bound)
 *   metabolites:  a sequence of {id, name, compartment, ...}
 *   reactions:    a sequence of {id, name, metabolites: {METABOLITE: coefficient},
 *                 lower_bound, upper_bound, gene_reaction_rule, ...}
 *   compartments: {ID: name}
 *
 * Other sections and keys are ignored.  Metabolites and reactions keep the
 * model's order.  Coefficients are signed (negative: consumed); a reaction
 * is reversible when lower_bound < 0 < upper_bound.  Every gene-reaction
 * rule is parsed as a boolean expression (gpr.h); identifiers the genome
 * does not map are treated as present, counted, and listed.  A reaction
 * without a rule is kept and flagged no_genes.
 */
#ifndef CP_GEM_H
#define CP_GEM_H

#include <stddef.h>

#include "cell_graph.h"
#include "cp_base.h"
#include "strmap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gem_stats {
	size_t metabolites, reactions, compartments;
	size_t rules;		/* reactions with a rule */
	size_t no_genes;	/* reactions without */
	size_t clauses;		/* AND-clauses over all rules */
	size_t max_clauses;	/* the most in one rule */
	size_t unknown;		/* rule identifiers the genome does not map (occurrences) */
	size_t unknown_distinct;
	size_t ambiguous;	/* of the unknown, identifiers shared by several genes */
	size_t rules_always_true;	/* rules left with an empty clause by unknown genes */
	size_t genes;		/* distinct genome genes named in rules */
	/* every rule identifier the genome does not map -> (occurrences << 1 |
	 * ambiguous), owned */
	cp_strmap *ids;
} gem_stats;

void gem_stats_init(gem_stats *st);
void gem_stats_free(gem_stats *st);

/*
 * Read a yeast-GEM YAML file (plain, .gz or .zst; "-" for standard input)
 * into cg->metabolism, arrays in cg->arena; cg->genome must be loaded.
 * max_clauses bounds each rule's normal form (0: GPR_DEFAULT_MAX_CLAUSES).
 * st (initialised) gets the counts, or may be NULL.  Errors name the file and line: "yeast-GEM.yml:35151:
 * reaction r_0001: gene_reaction_rule: column 9: expected a gene or '(',
 * found ')'".
 */
int gem_load_yaml(cell_graph *cg, const char *path, size_t max_clauses, gem_stats *st,
		  cp_error *err);

#ifdef __cplusplus
}
#endif

#endif
