/* gpr.c - gene-reaction rules to disjunctive normal form. */
#define _GNU_SOURCE
#include "gpr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A formula in normal form while parsing: n clauses, each a sorted set. */
typedef struct {
	size_t n;
	int32_t **genes;
	size_t *len;
} dnf;

enum { TOK_END, TOK_OPEN, TOK_CLOSE, TOK_AND, TOK_OR, TOK_GENE, TOK_BAD };

typedef struct {
	gpr_rule *rule;
	const char *text;
	const genome *g;
	size_t max_clauses;
	size_t pos;		/* next character */
	int tok;
	size_t tok_at, tok_len;
	cp_error *err;
} parser;

void gpr_rule_init(gpr_rule *r)
{
	memset(r, 0, sizeof *r);
	cp_arena_init(&r->arena);
}

void gpr_rule_free(gpr_rule *r)
{
	if (!r)
		return;
	free(r->clause_ptr);
	free(r->gene);
	free(r->unknown_at);
	free(r->unknown_len);
	free(r->ambiguous);
	cp_arena_free(&r->arena);
	memset(r, 0, sizeof *r);
}

static int is_gene_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == ':' || c == '-';
}

static void next_token(parser *p)
{
	const char *s = p->text;

	while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')
		p->pos++;
	p->tok_at = p->pos;
	p->tok_len = 1;
	switch (s[p->pos]) {
	case '\0':
		p->tok = TOK_END;
		p->tok_len = 0;
		return;
	case '(':
		p->tok = TOK_OPEN;
		p->pos++;
		return;
	case ')':
		p->tok = TOK_CLOSE;
		p->pos++;
		return;
	}
	if (!is_gene_char(s[p->pos])) {
		p->tok = TOK_BAD;
		return;
	}
	while (is_gene_char(s[p->pos]))
		p->pos++;
	p->tok_len = p->pos - p->tok_at;
	if (p->tok_len == 3 && strncasecmp(s + p->tok_at, "and", 3) == 0)
		p->tok = TOK_AND;
	else if (p->tok_len == 2 && strncasecmp(s + p->tok_at, "or", 2) == 0)
		p->tok = TOK_OR;
	else
		p->tok = TOK_GENE;
}

static int syntax_error(parser *p, const char *what)
{
	const char *s = p->text + p->tok_at;

	if (p->tok == TOK_END)
		return cp_error_set(p->err, "column %zu: %s, found the end of the rule", p->tok_at + 1, what);
	if (p->tok == TOK_BAD)
		return cp_error_set(p->err, "column %zu: %s, found '%c'", p->tok_at + 1, what, *s);
	return cp_error_set(p->err, "column %zu: %s, found '%.*s'", p->tok_at + 1, what,
			    (int)(p->tok_len > 40 ? 40 : p->tok_len), s);
}

static int note_unknown(parser *p, int ambiguous)
{
	gpr_rule *r = p->rule;

	if (r->n_unknown == r->cap_unknown) {
		size_t cap = r->cap_unknown ? r->cap_unknown * 2 : 8;
		size_t *at = cp_realloc(r->unknown_at, cap, sizeof *at, p->err);

		if (!at)
			return -1;
		r->unknown_at = at;
		at = cp_realloc(r->unknown_len, cap, sizeof *at, p->err);
		if (!at)
			return -1;
		r->unknown_len = at;
		uint8_t *amb = cp_realloc(r->ambiguous, cap, 1, p->err);

		if (!amb)
			return -1;
		r->ambiguous = amb;
		r->cap_unknown = cap;
	}
	r->unknown_at[r->n_unknown] = p->tok_at;
	r->unknown_len[r->n_unknown] = p->tok_len;
	r->ambiguous[r->n_unknown++] = (uint8_t)ambiguous;
	return 0;
}

static int dnf_alloc(parser *p, dnf *d, size_t n)
{
	d->n = n;
	d->genes = cp_arena_alloc(&p->rule->arena, (n ? n : 1) * sizeof *d->genes, p->err);
	d->len = cp_arena_alloc(&p->rule->arena, (n ? n : 1) * sizeof *d->len, p->err);
	return d->genes && d->len ? 0 : -1;
}

/* A single gene, or "true" (one empty clause) for an unmapped identifier. */
static int parse_gene(parser *p, dnf *out)
{
	int32_t gene = genome_lookupn(p->g, p->text + p->tok_at, p->tok_len);

	if (dnf_alloc(p, out, 1) < 0)
		return -1;
	if (gene < 0) {
		out->len[0] = 0;
		out->genes[0] = NULL;
		return note_unknown(p, gene == GENOME_AMBIGUOUS);
	}
	out->genes[0] = cp_arena_alloc(&p->rule->arena, sizeof(int32_t), p->err);
	if (!out->genes[0])
		return -1;
	out->genes[0][0] = gene;
	out->len[0] = 1;
	return 0;
}

static int parse_or(parser *p, dnf *out, int depth);

static int parse_atom(parser *p, dnf *out, int depth)
{
	if (p->tok == TOK_GENE) {
		if (parse_gene(p, out) < 0)
			return -1;
		next_token(p);
		return 0;
	}
	if (p->tok != TOK_OPEN)
		return syntax_error(p, "expected a gene or '('");
	if (depth >= GPR_MAX_DEPTH)
		return cp_error_set(p->err, "column %zu: parentheses nested deeper than %d", p->tok_at + 1,
				    GPR_MAX_DEPTH);
	size_t open_at = p->tok_at;

	next_token(p);
	if (parse_or(p, out, depth + 1) < 0)
		return -1;
	if (p->tok != TOK_CLOSE) {
		if (p->tok == TOK_END)
			return cp_error_set(p->err, "column %zu: '(' is never closed", open_at + 1);
		return syntax_error(p, "expected 'and', 'or' or ')'");
	}
	next_token(p);
	return 0;
}

/* Sorted union of two sorted sets into dst (room for na + nb). */
static size_t merge_sets(const int32_t *a, size_t na, const int32_t *b, size_t nb, int32_t *dst)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb) {
		if (a[i] < b[j])
			dst[k++] = a[i++];
		else if (b[j] < a[i])
			dst[k++] = b[j++];
		else
			dst[k++] = a[i++], j++;
	}
	while (i < na)
		dst[k++] = a[i++];
	while (j < nb)
		dst[k++] = b[j++];
	return k;
}

/* Clauses ordered by size, then gene by gene: subsets come first. */
typedef struct {
	const int32_t *genes;
	size_t len;
} clause_ref;

static int cmp_clause(const void *x, const void *y)
{
	const clause_ref *a = x, *b = y;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	for (size_t i = 0; i < a->len; i++)
		if (a->genes[i] != b->genes[i])
			return a->genes[i] < b->genes[i] ? -1 : 1;
	return 0;
}

/* Is sorted set a a subset of sorted set b? */
static int is_subset(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	size_t j = 0;

	for (size_t i = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			return 0;
		j++;
	}
	return 1;
}

/*
 * Reduce d to its minimal clauses: repeated ones and those containing
 * another (A or (A and B) is A) removed.  Every step of the expansion
 * does this, so the clause limit counts the normal form, not repeats.
 */
static int minimize(parser *p, dnf *d)
{
	clause_ref *c;
	size_t kept = 0;

	if (d->n < 2)
		return 0;
	c = cp_arena_alloc(&p->rule->arena, d->n * sizeof *c, p->err);
	if (!c)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		c[i].genes = d->genes[i], c[i].len = d->len[i];
	cp_sort(c, d->n, sizeof *c, cmp_clause);
	for (size_t i = 0; i < d->n; i++) {
		int absorbed = kept && cmp_clause(&c[kept - 1], &c[i]) == 0;	/* a repeat */

		for (size_t j = 0; j < kept && !absorbed && c[j].len < c[i].len; j++)
			absorbed = is_subset(c[j].genes, c[j].len, c[i].genes, c[i].len);
		if (!absorbed)
			c[kept++] = c[i];
	}
	for (size_t i = 0; i < kept; i++)
		d->genes[i] = (int32_t *)c[i].genes, d->len[i] = c[i].len;
	d->n = kept;
	return 0;
}

static int too_many(parser *p)
{
	return cp_error_set(p->err, "more than %zu clauses when expanded into an OR of ANDs (raise "
			    "the limit on clauses to accept it)", p->max_clauses);
}

/* A step's clauses before they are minimized: at most this many. */
static size_t work_limit(const parser *p)
{
	return p->max_clauses > SIZE_MAX / 4 ? SIZE_MAX : 4 * p->max_clauses;
}

/* The step's result, minimized, within the limit. */
static int settle(parser *p, dnf *d)
{
	if (minimize(p, d) < 0)
		return -1;
	return d->n > p->max_clauses ? too_many(p) : 0;
}

/* a and b: every clause of a joined with every clause of b. */
static int conjoin(parser *p, const dnf *a, const dnf *b, dnf *out)
{
	size_t k = 0;

	if (a->n && b->n > work_limit(p) / a->n)
		return too_many(p);
	if (dnf_alloc(p, out, a->n * b->n) < 0)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++, k++) {
			size_t room = a->len[i] + b->len[j];

			out->genes[k] = cp_arena_alloc(&p->rule->arena, (room ? room : 1) * sizeof(int32_t),
						       p->err);
			if (!out->genes[k])
				return -1;
			out->len[k] = merge_sets(a->genes[i], a->len[i], b->genes[j], b->len[j], out->genes[k]);
		}
	return settle(p, out);
}

static int disjoin(parser *p, const dnf *a, const dnf *b, dnf *out)
{
	if (a->n + b->n > work_limit(p))
		return too_many(p);
	if (dnf_alloc(p, out, a->n + b->n) < 0)
		return -1;
	memcpy(out->genes, a->genes, a->n * sizeof *a->genes);
	memcpy(out->len, a->len, a->n * sizeof *a->len);
	memcpy(out->genes + a->n, b->genes, b->n * sizeof *b->genes);
	memcpy(out->len + a->n, b->len, b->n * sizeof *b->len);
	return settle(p, out);
}

static int parse_and(parser *p, dnf *out, int depth)
{
	dnf left, right, both;

	if (parse_atom(p, &left, depth) < 0)
		return -1;
	while (p->tok == TOK_AND) {
		next_token(p);
		if (parse_atom(p, &right, depth) < 0 || conjoin(p, &left, &right, &both) < 0)
			return -1;
		left = both;
	}
	*out = left;
	return 0;
}

static int parse_or(parser *p, dnf *out, int depth)
{
	dnf left, right, both;

	if (parse_and(p, &left, depth) < 0)
		return -1;
	while (p->tok == TOK_OR) {
		next_token(p);
		if (parse_and(p, &right, depth) < 0 || disjoin(p, &left, &right, &both) < 0)
			return -1;
		left = both;
	}
	*out = left;
	return 0;
}

/* Store the minimal clauses of d in the rule's CSR arrays. */
static int store(parser *p, dnf *d)
{
	gpr_rule *r = p->rule;
	size_t kept, genes = 0;

	if (minimize(p, d) < 0)
		return -1;
	kept = d->n;
	for (size_t i = 0; i < kept; i++)
		genes += d->len[i];
	if (kept + 1 > r->cap_clauses) {
		int64_t *ptr = cp_realloc(r->clause_ptr, kept + 1, sizeof *ptr, p->err);

		if (!ptr)
			return -1;
		r->clause_ptr = ptr;
		r->cap_clauses = kept + 1;
	}
	if (genes > r->cap_genes) {
		int32_t *g = cp_realloc(r->gene, genes, sizeof *g, p->err);

		if (!g)
			return -1;
		r->gene = g;
		r->cap_genes = genes;
	}
	r->clause_ptr[0] = 0;
	for (size_t i = 0; i < kept; i++) {
		if (d->len[i])
			memcpy(r->gene + r->clause_ptr[i], d->genes[i], d->len[i] * sizeof *r->gene);
		r->clause_ptr[i + 1] = r->clause_ptr[i] + (int64_t)d->len[i];
	}
	r->n_clauses = kept;
	return 0;
}

int gpr_parse(gpr_rule *r, const char *text, const genome *g, size_t max_clauses, cp_error *err)
{
	parser p = { r, text, g, max_clauses ? max_clauses : GPR_DEFAULT_MAX_CLAUSES, 0, 0, 0, 0, err };
	dnf d = { 0, NULL, NULL };

	cp_arena_reset(&r->arena);
	r->n_clauses = 0;
	r->n_unknown = 0;
	next_token(&p);
	if (p.tok != TOK_END) {
		if (parse_or(&p, &d, 0) < 0)
			return -1;
		if (p.tok == TOK_CLOSE)
			return cp_error_set(err, "column %zu: ')' without a matching '('", p.tok_at + 1);
		if (p.tok != TOK_END)
			return syntax_error(&p, "expected 'and', 'or' or the end");
	}
	return store(&p, &d);
}

int gpr_survives(const int64_t *clause_ptr, size_t n_clauses, const int32_t *gene,
		 const uint8_t *deleted)
{
	if (n_clauses == 0)
		return 1;
	for (size_t c = 0; c < n_clauses; c++) {
		int64_t k = clause_ptr[c], end = clause_ptr[c + 1];

		while (k < end && !deleted[gene[k]])
			k++;
		if (k == end)
			return 1;
	}
	return 0;
}
