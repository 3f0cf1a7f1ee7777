/* Unit tests of lib/gpr.h: gene-reaction rules to OR-of-ANDs form. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genome.h"
#include "gpr.h"

/* Genes of tests/fixtures/graph-build/genes.tab, by index:
 *   0 Q0045 COX1   1 YAL001C TFC3   2 YAL002W VPS8   3 YAL068W-A   4 YBL001C ECM15
 *   5 YBR019C GAL10   6 YBR020W GAL1   7 YDL174C DLD1   8 YEL039C CYC7
 *   9 YEL071W DLD3   10 YJR048W CYC1;  SHARED is an alias of GAL1 and GAL10. */
static genome g;

static int setup(void **state)
{
	cp_error err;

	(void)state;
	if (genome_load(&g, "tests/fixtures/graph-build/genes.tab", &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	genome_free(&g);
	return 0;
}

/* The clauses of r as text: "1 5|1 6" (genes of a clause separated by
 * spaces, clauses by '|'); "" for none. */
static const char *clauses(const gpr_rule *r)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t c = 0; c < r->n_clauses; c++) {
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", c ? "|" : "");
		for (int64_t k = r->clause_ptr[c]; k < r->clause_ptr[c + 1]; k++)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%d",
						k > r->clause_ptr[c] ? " " : "", r->gene[k]);
	}
	return buf;
}

/* rule's normal form under a clause limit of max_clauses (0: the default) */
static void expect_dnf_max(const char *rule, size_t max_clauses, const char *want)
{
	gpr_rule r;
	cp_error err;

	gpr_rule_init(&r);
	if (gpr_parse(&r, rule, &g, max_clauses, &err) < 0)
		fail_msg("'%s': %s", rule, err.msg);
	if (strcmp(clauses(&r), want) != 0)
		fail_msg("'%s' gave '%s', expected '%s'", rule, clauses(&r), want);
	gpr_rule_free(&r);
}

static void expect_dnf(const char *rule, const char *want)
{
	expect_dnf_max(rule, 0, want);
}

static void test_normal_form(void **state)
{
	(void)state;
	expect_dnf("", "");
	expect_dnf("   ", "");
	expect_dnf("YAL001C", "1");
	expect_dnf("(YAL001C)", "1");
	expect_dnf("YAL001C and YAL002W", "1 2");
	expect_dnf("YAL002W AND YAL001C", "1 2");
	expect_dnf("YAL001C or YAL002W", "1|2");
	/* and binds tighter than or */
	expect_dnf("YAL001C or YAL002W and YBL001C", "1|2 4");
	expect_dnf("(YAL001C or YAL002W) and YBL001C", "1 4|2 4");
	/* (A or B) and (C or D) multiplies out */
	expect_dnf("(YAL001C or YAL002W) and (YBL001C Or YBR019C)", "1 4|1 5|2 4|2 5");
	/* nested two levels */
	expect_dnf("((YAL001C or YAL002W) and (YBL001C or YBR019C)) or Q0045", "0|1 4|1 5|2 4|2 5");
	expect_dnf("YAL001C and (YAL002W or (YBL001C and (YBR019C or YBR020W)))", "1 2|1 4 5|1 4 6");
	/* standard names and other identifiers, any case */
	expect_dnf("tfc3 and VPS8", "1 2");
	/* repeated genes and clauses, absorption */
	expect_dnf("YAL001C and YAL001C", "1");
	expect_dnf("YAL001C or YAL001C", "1");
	expect_dnf("YBR020W or (YBR020W and YBR019C)", "6");
	expect_dnf("(YAL001C and YAL002W) or (YAL002W and YAL001C) or (YAL001C and YAL002W and Q0045)",
		   "1 2");
	/* yeast-GEM's r_0001 */
	expect_dnf("(YDL174C and YEL039C) or (YDL174C and YJR048W) or (YEL039C and YEL071W) or "
		   "(YEL071W and YJR048W)", "7 8|7 10|8 9|9 10");
}

static void test_unknown_genes(void **state)
{
	gpr_rule r;
	cp_error err;
	const char *rule = "YAL002W and UNKNOWN1 or (unknown2 and SHARED)";

	(void)state;
	gpr_rule_init(&r);
	assert_int_equal(gpr_parse(&r, rule, &g, 0, &err), 0);
	/* unknown and ambiguous identifiers are present: they drop out, and the
	 * second clause is left empty, always true, absorbing the first */
	assert_string_equal(clauses(&r), "");
	assert_int_equal(r.n_clauses, 1);
	assert_int_equal(r.n_unknown, 3);
	assert_int_equal(r.unknown_at[0], 12);
	assert_int_equal(r.unknown_len[0], 8);
	assert_int_equal(r.ambiguous[0], 0);
	assert_int_equal(r.unknown_at[2], 38);
	assert_int_equal(r.ambiguous[2], 1);
	assert_int_equal(gpr_parse(&r, "YAL002W and UNKNOWN1", &g, 0, &err), 0);
	assert_string_equal(clauses(&r), "2");
	gpr_rule_free(&r);
}

static void expect_error(const char *rule, size_t max_clauses, const char *fragment)
{
	gpr_rule r;
	cp_error err;

	gpr_rule_init(&r);
	if (gpr_parse(&r, rule, &g, max_clauses, &err) == 0)
		fail_msg("'%s' parsed", rule);
	if (!strstr(err.msg, fragment))
		fail_msg("'%s': expected '%s' in '%s'", rule, fragment, err.msg);
	gpr_rule_free(&r);
}

static void test_syntax_errors(void **state)
{
	char deep[512];

	(void)state;
	expect_error("YAL001C and", 0, "column 12: expected a gene or '(', found the end of the rule");
	expect_error("and YAL001C", 0, "column 1: expected a gene or '(', found 'and'");
	expect_error("(YAL001C or YAL002W", 0, "column 1: '(' is never closed");
	expect_error("YAL001C)", 0, "column 8: ')' without a matching '('");
	expect_error("YAL001C YAL002W", 0, "column 9: expected 'and', 'or' or the end, found 'YAL002W'");
	expect_error("()", 0, "column 2: expected a gene or '(', found ')'");
	expect_error("YAL001C, YAL002W", 0, "column 8: expected 'and', 'or' or the end, found ','");
	expect_error("(YAL001C or YAL002W YBL001C)", 0, "expected 'and', 'or' or ')', found 'YBL001C'");
	expect_error("YAL001C & YAL002W", 0, "found '&'");
	memset(deep, '(', 200);
	strcpy(deep + 200, "YAL001C");
	expect_error(deep, 0, "nested deeper than 100");
	/* 100 levels are the most */
	memset(deep, '(', 100);
	strcpy(deep + 100, "YAL001C");
	memset(deep + 107, ')', 100);
	deep[207] = '\0';
	expect_dnf(deep, "1");
	memmove(deep + 1, deep, 208);
	strcat(deep, ")");
	expect_error(deep, 0, "column 101: parentheses nested deeper than 100");
	/* the explosion guard: 2 x 2 x 2 = 8 clauses */
	expect_error("(YAL001C or YAL002W) and (YBL001C or YBR019C) and (YBR020W or Q0045)", 4,
		     "more than 4 clauses");
	expect_dnf("(YAL001C or YAL002W) and (YBL001C or YBR019C) and (YBR020W or Q0045)",
		   "0 1 4|0 1 5|0 2 4|0 2 5|1 4 6|1 5 6|2 4 6|2 5 6");
	/* the limit counts the normal form, repeats and absorbed clauses gone:
	 * (A or B) and (A or B) is A or B, whatever its 4 products */
	expect_dnf_max("(YAL001C or YAL002W) and (YAL001C or YAL002W)", 2, "1|2");
	expect_dnf_max("(YAL001C or YAL002W) and (YAL002W or YAL001C) and (YAL001C or YAL002W)", 2, "1|2");
	expect_dnf_max("YAL001C or YAL001C or YAL001C or YAL001C or YAL001C or YAL001C", 2, "1");
	expect_dnf_max("YAL001C or (YAL001C and YAL002W) or (YAL001C and YBL001C) or YAL002W", 2, "1|2");
	expect_dnf_max("(YAL001C or YAL002W) and (YAL001C or YBL001C)", 2, "1|2 4");
	expect_error("(YAL001C or YAL002W) and (YBL001C or YBR019C)", 3, "more than 3 clauses");
}

/* Append a random rule over genes 0..5 to buf at *len (depth at most 4:
 * at most 16 genes, well within the buffer). */
static void random_rule(char *buf, size_t *len, unsigned *seed, int depth)
{
	int kind = depth > 3 ? 0 : (int)(rand_r(seed) % 3);

	if (kind == 0) {
		static const char *ids[] = { "Q0045", "YAL001C", "YAL002W", "YAL068W-A", "YBL001C", "GAL10" };

		*len += (size_t)sprintf(buf + *len, "%s", ids[rand_r(seed) % 6]);
		return;
	}
	buf[(*len)++] = '(';
	random_rule(buf, len, seed, depth + 1);
	*len += (size_t)sprintf(buf + *len, " %s ", kind == 1 ? "and" : "or");
	random_rule(buf, len, seed, depth + 1);
	buf[(*len)++] = ')';
	buf[*len] = '\0';
}

/* Evaluate the expression text directly: the reference. */
static int eval_or(const char **p, const uint8_t *deleted);

static int eval_atom(const char **p, const uint8_t *deleted)
{
	int v;

	while (**p == ' ')
		(*p)++;
	if (**p == '(') {
		(*p)++;
		v = eval_or(p, deleted);
		while (**p == ' ')
			(*p)++;
		(*p)++;	/* ')' */
		return v;
	}
	{
		char id[32];
		size_t n = strcspn(*p, " ()");

		memcpy(id, *p, n);
		id[n] = '\0';
		*p += n;
		return !deleted[genome_lookup(&g, id)];
	}
}

static int eval_and(const char **p, const uint8_t *deleted)
{
	int v = eval_atom(p, deleted);

	for (;;) {
		while (**p == ' ')
			(*p)++;
		if (strncmp(*p, "and ", 4) != 0)
			return v;
		*p += 4;
		v = eval_atom(p, deleted) && v;
	}
}

static int eval_or(const char **p, const uint8_t *deleted)
{
	int v = eval_and(p, deleted);

	for (;;) {
		while (**p == ' ')
			(*p)++;
		if (strncmp(*p, "or ", 3) != 0)
			return v;
		*p += 3;
		v = eval_and(p, deleted) || v;
	}
}

/* The normal form agrees with the expression on every set of deleted genes. */
static void test_agrees_with_expression(void **state)
{
	unsigned seed = 7;
	gpr_rule r;
	cp_error err;
	char rule[8192];

	(void)state;
	gpr_rule_init(&r);
	for (int trial = 0; trial < 300; trial++) {
		size_t len = 0;

		random_rule(rule, &len, &seed, 0);
		if (gpr_parse(&r, rule, &g, 0, &err) < 0)
			fail_msg("'%s': %s", rule, err.msg);
		for (unsigned set = 0; set < 64; set++) {
			uint8_t deleted[11] = { 0 };
			const char *p = rule;

			for (int k = 0; k < 6; k++)
				deleted[k] = (set >> k) & 1;
			if (gpr_survives(r.clause_ptr, r.n_clauses, r.gene, deleted) != eval_or(&p, deleted))
				fail_msg("'%s' with deleted set %#x: normal form '%s' disagrees", rule, set,
					 clauses(&r));
		}
	}
	gpr_rule_free(&r);
}

static void test_survives(void **state)
{
	gpr_rule r;
	cp_error err;
	uint8_t deleted[11] = { 0 };

	(void)state;
	gpr_rule_init(&r);
	/* (A and B) or C survives the loss of A */
	assert_int_equal(gpr_parse(&r, "(YAL001C and YAL002W) or YBL001C", &g, 0, &err), 0);
	deleted[1] = 1;
	assert_int_equal(gpr_survives(r.clause_ptr, r.n_clauses, r.gene, deleted), 1);
	deleted[4] = 1;
	assert_int_equal(gpr_survives(r.clause_ptr, r.n_clauses, r.gene, deleted), 0);
	memset(deleted, 0, sizeof deleted);
	/* (A or B) and C does not survive the loss of C */
	assert_int_equal(gpr_parse(&r, "(YAL001C or YAL002W) and YBL001C", &g, 0, &err), 0);
	deleted[1] = 1;
	assert_int_equal(gpr_survives(r.clause_ptr, r.n_clauses, r.gene, deleted), 1);
	deleted[1] = 0, deleted[4] = 1;
	assert_int_equal(gpr_survives(r.clause_ptr, r.n_clauses, r.gene, deleted), 0);
	/* no rule: nothing to lose */
	assert_int_equal(gpr_parse(&r, "", &g, 0, &err), 0);
	assert_int_equal(gpr_survives(r.clause_ptr, r.n_clauses, r.gene, deleted), 1);
	gpr_rule_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_form),
		cmocka_unit_test(test_unknown_genes),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_agrees_with_expression),
		cmocka_unit_test(test_survives),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
