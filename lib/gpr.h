/*
 * gpr.h - gene-reaction rules: a boolean expression over gene identifiers
 * ("(YDL174C and YEL039C) or YEL071W") parsed into disjunctive normal form.
 *
 * Grammar (the COBRA convention: `and` binds tighter than `or`; the
 * keywords are case-insensitive; parentheses nest):
 *
 *     rule   := or | (empty)
 *     or     := and { "or" and }
 *     and    := atom { "and" atom }
 *     atom   := GENE | "(" or ")"
 *     GENE   := one or more of [A-Za-z0-9_.:-]
 *
 * The result is an OR of AND-clauses: a reaction keeps working when every
 * gene of at least one clause is present.  Clauses are minimal: genes
 * sorted and unique within a clause, no clause repeated, none a superset
 * of another (absorption: "A or (A and B)" is "A").  This is exactly the
 * rule's truth function, so evaluating the clauses on a set of deleted
 * genes gives what evaluating the expression would.
 *
 * Identifiers that the genome does not map (unknown or ambiguous) are
 * treated as always present: they drop out of their clause.  A clause left
 * empty is always true, so such a rule can never fail.  They are listed in
 * the result so callers can count and report them.
 *
 * Expanding "(A or B) and (C or D) and ..." multiplies clauses; a rule
 * whose normal form would exceed max_clauses is refused rather than
 * allowed to explode.
 */
#ifndef CP_GPR_H
#define CP_GPR_H

#include <stddef.h>
#include <stdint.h>

#include "cp_base.h"
#include "genome.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GPR_DEFAULT_MAX_CLAUSES 4096
#define GPR_MAX_DEPTH 100

/* One parsed rule.  Arrays are owned by the rule and reused by the next
 * gpr_parse into it. */
typedef struct gpr_rule {
	size_t n_clauses;
	int64_t *clause_ptr;	/* n_clauses + 1: genes of clause c are gene[ptr[c] .. ptr[c+1]) */
	int32_t *gene;
	/* identifiers the genome does not map, as (offset, length) in the text,
	 * in order of appearance; ambiguous[k] is 1 when the genome knows the
	 * identifier but for several genes */
	size_t n_unknown;
	size_t *unknown_at, *unknown_len;
	uint8_t *ambiguous;
	/* scratch */
	cp_arena arena;
	size_t cap_clauses, cap_genes, cap_unknown;
} gpr_rule;

void gpr_rule_init(gpr_rule *r);
void gpr_rule_free(gpr_rule *r);

/*
 * Parse text into r.  max_clauses (0 = GPR_DEFAULT_MAX_CLAUSES) bounds the
 * normal form.  An empty or blank rule gives zero clauses (no genes).  On
 * error, err says "column N: ..." (1-based), for the caller to prefix with
 * the file, line and reaction.
 */
int gpr_parse(gpr_rule *r, const char *text, const genome *g, size_t max_clauses, cp_error *err);

/*
 * Evaluate clauses [ptr[0], ptr[n]) of a rule in CSR form against deleted
 * genes (deleted[g] != 0): 1 when some clause has no deleted gene, 0 when
 * every clause has one.  A rule without clauses is 1 (nothing to lose).
 */
int gpr_survives(const int64_t *clause_ptr, size_t n_clauses, const int32_t *gene,
		 const uint8_t *deleted);

#ifdef __cplusplus
}
#endif

#endif
