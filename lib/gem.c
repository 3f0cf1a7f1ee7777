/* gem.c - yeast-GEM (YAML, with libyaml, or its tab-separated text) to the
 * metabolism of a cell graph. */
#define _GNU_SOURCE
#include "gem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "gpr.h"
#include "strmap.h"
#include "textio.h"

typedef struct {
	yaml_document_t doc;
	const char *name;	/* the input, for messages */
	cp_error *err;
} model_doc;

typedef struct {
	const char *id, *name, *compartment;
} metabolite;

typedef struct {
	const char *id, *name, *rule;
	double lb, ub;
} reaction;

typedef struct {
	int32_t met, rxn;
	double coef;
} stoich_entry;

typedef struct {
	const char *id, *name;
} compartment;

/* Arrays that grow while the model is read; copied into the graph's arena
 * at the end.  clause_ptr[c] is where clause c starts in clause_gene;
 * gpr_ptr[r] is the first clause of reaction r. */
typedef struct {
	size_t n_met, cap_met, n_rxn, cap_rxn, n_st, cap_st, n_comp, cap_comp;
	metabolite *met;
	reaction *rxn;
	stoich_entry *st;
	compartment *comp;
	size_t n_cl, cap_cl, cap_gpr, n_gene, cap_gene;
	int64_t *gpr_ptr, *clause_ptr;
	int32_t *clause_gene;
	cp_strmap *met_index, *rxn_seen, *unknown;
	uint8_t *gene_used;
	const char *default_lb, *default_ub;
} model;

static yaml_node_t *node_at(model_doc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

static size_t line_of(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int node_error(model_doc *d, const yaml_node_t *n, const char *fmt, const char *a,
		      const char *b)
{
	char msg[512];

	snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
	return cp_error_set(d->err, "%s:%zu: %s", d->name, line_of(n), msg);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* The pairs of a mapping, or of an ordered map (a sequence of one-pair
 * mappings).  Returns 1 with *key and *value, 0 after the last, -1 on
 * error.  *i starts at 0. */
static int pair_next(model_doc *d, yaml_node_t *map, size_t *i, const char **key,
		     yaml_node_t **value)
{
	yaml_node_pair_t *pair;

	if (map->type == YAML_MAPPING_NODE) {
		if (*i >= (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start))
			return 0;
		pair = map->data.mapping.pairs.start + (*i)++;
	} else if (map->type == YAML_SEQUENCE_NODE) {
		yaml_node_t *item;

		if (*i >= seq_len(map))
			return 0;
		item = node_at(d, map->data.sequence.items.start[(*i)++]);
		if (!item || item->type != YAML_MAPPING_NODE ||
		    item->data.mapping.pairs.top - item->data.mapping.pairs.start != 1)
			return node_error(d, item ? item : map, "expected a one-pair mapping in an ordered "
					  "map%s%s", NULL, NULL);
		pair = item->data.mapping.pairs.start;
	} else {
		return node_error(d, map, "expected a mapping%s%s", NULL, NULL);
	}
	*key = scalar(node_at(d, pair->key));
	*value = node_at(d, pair->value);
	if (!*key || !*value)
		return node_error(d, map, "a key that is not a plain value%s%s", NULL, NULL);
	/* a key given twice: YAML leaves it to the reader, and the second
	 * would silently win or be lost */
	for (size_t j = 0; j + 1 < *i; j++) {
		yaml_node_pair_t *q;
		const char *k;

		if (map->type == YAML_MAPPING_NODE) {
			q = map->data.mapping.pairs.start + j;
		} else {
			yaml_node_t *item = node_at(d, map->data.sequence.items.start[j]);

			q = item->data.mapping.pairs.start;
		}
		k = scalar(node_at(d, q->key));
		if (k && strcmp(k, *key) == 0)
			return node_error(d, *value, "key '%s' given twice in one mapping%s", *key, NULL);
	}
	return 1;
}

/* p with room for element n: p itself or a larger copy; NULL on failure. */
static void *room_for(void *p, size_t n, size_t *cap, size_t size, cp_error *err)
{
	size_t c = *cap ? *cap : 1024;

	if (p && n < *cap)
		return p;
	while (c <= n)
		c *= 2;
	p = cp_realloc(p, c, size, err);
	if (p)
		*cap = c;
	return p;
}

static const char *keep(cell_graph *cg, const char *s, cp_error *err)
{
	return cp_arena_strndup(&cg->arena, s ? s : "", s ? strlen(s) : 0, err);
}

/* A YAML number, with its spellings of infinity. */
static int yaml_number(const char *s, double *out)
{
	const char *p = s;
	int neg = 0;

	if (!s)
		return -1;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcasecmp(p, ".inf") == 0) {
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (cp_parse_f64(s, out) < 0 || isnan(*out))
		return -1;
	return 0;
}

static int has_compartment(const model *m, const char *id)
{
	for (size_t k = 0; k < m->n_comp; k++)
		if (strcmp(m->comp[k].id, id) == 0)
			return 1;
	return 0;
}

/* The metabolites; each one's compartment must be one the model declares
 * (read first), so a file cut short, which loses the compartments at its
 * end, is not taken for a smaller model. */
static int read_metabolites(model_doc *d, model *m, cell_graph *cg, yaml_node_t *list)
{
	cp_error *err = d->err;

	if (list->type != YAML_SEQUENCE_NODE)
		return node_error(d, list, "metabolites: expected a sequence%s%s", NULL, NULL);
	for (size_t k = 0; k < seq_len(list); k++) {
		yaml_node_t *entry = node_at(d, list->data.sequence.items.start[k]), *v;
		const char *key, *id = NULL, *name = NULL, *comp = NULL;
		metabolite *met;
		size_t i = 0;
		int rc, dup;

		while ((rc = pair_next(d, entry, &i, &key, &v)) == 1) {
			if (strcmp(key, "id") == 0)
				id = scalar(v);
			else if (strcmp(key, "name") == 0)
				name = scalar(v);
			else if (strcmp(key, "compartment") == 0)
				comp = scalar(v);
		}
		if (rc < 0)
			return -1;
		if (!id || !*id)
			return node_error(d, entry, "a metabolite without an id%s%s", NULL, NULL);
		if (comp && *comp && !has_compartment(m, comp))
			return node_error(d, entry, m->n_comp ? "metabolite %s: compartment '%s' is not among "
						 "the model's compartments"
							      : "metabolite %s: compartment '%s', but the model "
								"declares no compartments (a file cut short?)",
					  id, comp);
		dup = cp_strmap_put(m->met_index, id, (int64_t)m->n_met, NULL, err);
		if (dup < 0)
			return -1;
		if (dup)
			return node_error(d, entry, "metabolite %s appears twice%s", id, NULL);
		if (!(met = room_for(m->met, m->n_met, &m->cap_met, sizeof *met, err)))
			return -1;
		m->met = met;
		met += m->n_met;
		if (!(met->id = keep(cg, id, err)) || !(met->name = keep(cg, name, err)) ||
		    !(met->compartment = keep(cg, comp, err)))
			return -1;
		m->n_met++;
	}
	return 0;
}

static int read_compartments(model_doc *d, model *m, cell_graph *cg, yaml_node_t *map)
{
	const char *key;
	yaml_node_t *v;
	size_t i = 0;
	int rc;

	while ((rc = pair_next(d, map, &i, &key, &v)) == 1) {
		compartment *c = room_for(m->comp, m->n_comp, &m->cap_comp, sizeof *c, d->err);

		if (!c)
			return -1;
		m->comp = c;
		c += m->n_comp;
		if (!(c->id = keep(cg, key, d->err)) || !(c->name = keep(cg, scalar(v), d->err)))
			return -1;
		m->n_comp++;
	}
	return rc;
}

static int cmp_stoich(const void *a, const void *b)
{
	int32_t x = ((const stoich_entry *)a)->met, y = ((const stoich_entry *)b)->met;

	return (x > y) - (x < y);
}

static int read_stoichiometry(model_doc *d, model *m, yaml_node_t *map, const char *rxn)
{
	size_t i = 0, first = m->n_st;
	const char *key;
	yaml_node_t *v;
	int rc;

	while ((rc = pair_next(d, map, &i, &key, &v)) == 1) {
		stoich_entry *e;
		int64_t met;
		double coef;

		if (!cp_strmap_get(m->met_index, key, &met))
			return node_error(d, v, "reaction %s: metabolite %s is not among the metabolites", rxn,
					  key);
		if (yaml_number(scalar(v), &coef) < 0 || !isfinite(coef))
			return node_error(d, v, "reaction %s: coefficient of %s is not a finite number", rxn,
					  key);
		if (coef == 0)
			return node_error(d, v, "reaction %s: coefficient of %s is 0", rxn, key);
		if (!(e = room_for(m->st, m->n_st, &m->cap_st, sizeof *e, d->err)))
			return -1;
		m->st = e;
		e += m->n_st++;
		e->met = (int32_t)met, e->rxn = (int32_t)m->n_rxn, e->coef = coef;
	}
	if (rc < 0)
		return -1;
	cp_sort(m->st + first, m->n_st - first, sizeof *m->st, cmp_stoich);
	for (size_t k = first + 1; k < m->n_st; k++)
		if (m->st[k].met == m->st[k - 1].met)
			return node_error(d, map, "reaction %s: metabolite %s listed twice", rxn,
					  m->met[m->st[k].met].id);
	return 0;
}

/* Append a parsed rule's clauses, and note its unmapped identifiers. */
static int add_rule(model *m, gpr_rule *r, const char *text, gem_stats *st, cp_error *err)
{

	for (size_t c = 0; c < r->n_clauses; c++) {
		int64_t *ptr = room_for(m->clause_ptr, m->n_cl + 1, &m->cap_cl, sizeof *ptr, err);

		if (!ptr)
			return -1;
		m->clause_ptr = ptr;
		for (int64_t k = r->clause_ptr[c]; k < r->clause_ptr[c + 1]; k++) {
			int32_t *genes = room_for(m->clause_gene, m->n_gene, &m->cap_gene, sizeof *genes, err);

			if (!genes)
				return -1;
			m->clause_gene = genes;
			m->clause_gene[m->n_gene++] = r->gene[k];
			m->gene_used[r->gene[k]] = 1;
		}
		m->clause_ptr[++m->n_cl] = (int64_t)m->n_gene;
		if (r->clause_ptr[c + 1] == r->clause_ptr[c])
			st->rules_always_true++;
	}
	for (size_t u = 0; u < r->n_unknown; u++) {
		char id[256];
		int64_t count = 0;
		size_t len = r->unknown_len[u] < sizeof id ? r->unknown_len[u] : sizeof id - 1;

		memcpy(id, text + r->unknown_at[u], len);
		id[len] = '\0';
		cp_strmap_get(m->unknown, id, &count);
		if (cp_strmap_set(m->unknown, id, ((count >> 1) + 1) << 1 | r->ambiguous[u], err) < 0)
			return -1;
		st->unknown++;
		st->ambiguous += r->ambiguous[u];
	}
	st->clauses += r->n_clauses;
	if (r->n_clauses > st->max_clauses)
		st->max_clauses = r->n_clauses;
	return 0;
}

/* A bound: the value of node v, or the model's default when v is NULL.
 * entry (the reaction) gives the line when there is no v. */
static int read_bound(model_doc *d, yaml_node_t *v, yaml_node_t *entry, const char *fallback,
		      const char *which, const char *rxn, double *out)
{
	const char *text = v ? scalar(v) : fallback;

	if (!text)
		return node_error(d, v ? v : entry, v ? "reaction %s: %s is not a number" :
				  "reaction %s: no %s, and no default in metaData", rxn, which);
	if (yaml_number(text, out) < 0)
		return node_error(d, v ? v : entry, "reaction %s: %s is not a number", rxn, which);
	return 0;
}

static int read_reaction(model_doc *d, model *m, cell_graph *cg, yaml_node_t *entry, gpr_rule *rule,
			 size_t max_clauses, gem_stats *st)
{
	yaml_node_t *v = NULL, *mets = NULL, *lb = NULL, *ub = NULL, *rule_node = NULL;
	const char *key = NULL, *id = NULL, *name = NULL, *text = NULL;
	cp_error *err = d->err;
	size_t i = 0;
	reaction *rxn;
	int64_t *gpr;
	int rc, dup;

	while ((rc = pair_next(d, entry, &i, &key, &v)) == 1) {
		if (strcmp(key, "id") == 0)
			id = scalar(v);
		else if (strcmp(key, "name") == 0)
			name = scalar(v);
		else if (strcmp(key, "metabolites") == 0)
			mets = v;
		else if (strcmp(key, "lower_bound") == 0)
			lb = v;
		else if (strcmp(key, "upper_bound") == 0)
			ub = v;
		else if (strcmp(key, "gene_reaction_rule") == 0)
			rule_node = v, text = scalar(v);
	}
	if (rc < 0)
		return -1;
	if (!id || !*id)
		return node_error(d, entry, "a reaction without an id%s%s", NULL, NULL);
	dup = cp_strmap_put(m->rxn_seen, id, (int64_t)m->n_rxn, NULL, err);
	if (dup < 0)
		return -1;
	if (dup)
		return node_error(d, entry, "reaction %s appears twice%s", id, NULL);
	if (rule_node && !text)
		return node_error(d, rule_node, "reaction %s: gene_reaction_rule is not a string%s", id,
				  NULL);
	if (!(rxn = room_for(m->rxn, m->n_rxn, &m->cap_rxn, sizeof *rxn, err)))
		return -1;
	m->rxn = rxn;
	rxn += m->n_rxn;
	if (!(gpr = room_for(m->gpr_ptr, m->n_rxn + 1, &m->cap_gpr, sizeof *gpr, err)))
		return -1;
	m->gpr_ptr = gpr;
	if (read_bound(d, lb, entry, m->default_lb, "lower_bound", id, &rxn->lb) < 0 ||
	    read_bound(d, ub, entry, m->default_ub, "upper_bound", id, &rxn->ub) < 0)
		return -1;
	if (rxn->lb > rxn->ub)
		return node_error(d, lb ? lb : entry, "reaction %s: lower_bound above upper_bound%s", id,
				  NULL);
	if (mets && read_stoichiometry(d, m, mets, id) < 0)
		return -1;
	if (gpr_parse(rule, text ? text : "", &cg->genome, max_clauses, err) < 0) {
		char why[sizeof err->msg];

		snprintf(why, sizeof why, "%s", err->msg);
		return cp_error_set(err, "%s:%zu: reaction %s: gene_reaction_rule: %s", d->name,
				    line_of(rule_node), id, why);
	}
	if (rule->n_clauses)
		st->rules++;
	else
		st->no_genes++;
	if (add_rule(m, rule, text, st, err) < 0)
		return -1;
	m->gpr_ptr[m->n_rxn + 1] = (int64_t)m->n_cl;
	if (!(rxn->id = keep(cg, id, err)) || !(rxn->name = keep(cg, name, err)) ||
	    !(rxn->rule = keep(cg, text, err)))
		return -1;
	m->n_rxn++;
	return 0;
}

static int read_reactions(model_doc *d, model *m, cell_graph *cg, yaml_node_t *list,
			  size_t max_clauses, gem_stats *st)
{
	gpr_rule rule;
	int rc = 0;

	if (list->type != YAML_SEQUENCE_NODE)
		return node_error(d, list, "reactions: expected a sequence%s%s", NULL, NULL);
	if (!(m->gpr_ptr = room_for(NULL, 0, &m->cap_gpr, sizeof *m->gpr_ptr, d->err)) ||
	    !(m->clause_ptr = room_for(NULL, 0, &m->cap_cl, sizeof *m->clause_ptr, d->err)))
		return -1;
	m->gpr_ptr[0] = 0;
	m->clause_ptr[0] = 0;
	gpr_rule_init(&rule);
	for (size_t k = 0; rc == 0 && k < seq_len(list); k++)
		rc = read_reaction(d, m, cg, node_at(d, list->data.sequence.items.start[k]), &rule,
				   max_clauses, st);
	gpr_rule_free(&rule);
	return rc;
}

static int read_meta(model_doc *d, model *m, yaml_node_t *map)
{
	const char *key;
	yaml_node_t *v;
	size_t i = 0;
	int rc;

	while ((rc = pair_next(d, map, &i, &key, &v)) == 1) {
		if (strcmp(key, "defaultLB") == 0)
			m->default_lb = scalar(v);
		else if (strcmp(key, "defaultUB") == 0)
			m->default_ub = scalar(v);
	}
	return rc;
}

/* Room for n elements of size bytes in the arena (at least one byte). */
static void *arena_array(cell_graph *cg, size_t n, size_t size, cp_error *err)
{
	size_t bytes;

	if (cp_mul_size(n ? n : 1, size, &bytes) < 0) {
		cp_error_set(err, "size overflow");
		return NULL;
	}
	return cp_arena_alloc(&cg->arena, bytes, err);
}

/* The metabolism in the graph's layout: one array per field. */
static int finish(model *m, cell_graph *cg, gem_stats *st, cp_error *err)
{
	cell_metabolism *out = &cg->metabolism;
	size_t M = m->n_met, R = m->n_rxn, S = m->n_st, K = m->n_comp, U = cp_strmap_size(m->unknown);
	const char **met_id, **met_name, **met_comp, **rxn_id, **rxn_name, **rxn_rule, **comp_id;
	const char **comp_name, **unknown;
	double *lb, *ub, *coef;
	uint8_t *reversible, *no_genes;
	int32_t *index, *genes;
	int64_t *gpr_ptr, *clause_ptr, *counts;

	if (!(met_id = arena_array(cg, M, sizeof *met_id, err)) ||
	    !(met_name = arena_array(cg, M, sizeof *met_name, err)) ||
	    !(met_comp = arena_array(cg, M, sizeof *met_comp, err)) ||
	    !(rxn_id = arena_array(cg, R, sizeof *rxn_id, err)) ||
	    !(rxn_name = arena_array(cg, R, sizeof *rxn_name, err)) ||
	    !(rxn_rule = arena_array(cg, R, sizeof *rxn_rule, err)) ||
	    !(lb = arena_array(cg, R, sizeof *lb, err)) || !(ub = arena_array(cg, R, sizeof *ub, err)) ||
	    !(reversible = arena_array(cg, R, 1, err)) || !(no_genes = arena_array(cg, R, 1, err)) ||
	    !(index = arena_array(cg, 2 * S, sizeof *index, err)) ||
	    !(coef = arena_array(cg, S, sizeof *coef, err)) ||
	    !(gpr_ptr = arena_array(cg, R + 1, sizeof *gpr_ptr, err)) ||
	    !(clause_ptr = arena_array(cg, m->n_cl + 1, sizeof *clause_ptr, err)) ||
	    !(genes = arena_array(cg, m->n_gene, sizeof *genes, err)) ||
	    !(comp_id = arena_array(cg, K, sizeof *comp_id, err)) ||
	    !(comp_name = arena_array(cg, K, sizeof *comp_name, err)) ||
	    !(unknown = arena_array(cg, U, sizeof *unknown, err)) ||
	    !(counts = arena_array(cg, U, sizeof *counts, err)))
		return -1;
	for (size_t k = 0; k < M; k++)
		met_id[k] = m->met[k].id, met_name[k] = m->met[k].name, met_comp[k] = m->met[k].compartment;
	for (size_t r = 0; r < R; r++) {
		rxn_id[r] = m->rxn[r].id, rxn_name[r] = m->rxn[r].name, rxn_rule[r] = m->rxn[r].rule;
		lb[r] = m->rxn[r].lb, ub[r] = m->rxn[r].ub;
		reversible[r] = lb[r] < 0 && ub[r] > 0;
		no_genes[r] = m->gpr_ptr[r + 1] == m->gpr_ptr[r];
	}
	for (size_t k = 0; k < S; k++)
		index[k] = m->st[k].met, index[S + k] = m->st[k].rxn, coef[k] = m->st[k].coef;
	memcpy(gpr_ptr, m->gpr_ptr, (R + 1) * sizeof *gpr_ptr);
	memcpy(clause_ptr, m->clause_ptr, (m->n_cl + 1) * sizeof *clause_ptr);
	if (m->n_gene)
		memcpy(genes, m->clause_gene, m->n_gene * sizeof *genes);
	for (size_t k = 0; k < K; k++)
		comp_id[k] = m->comp[k].id, comp_name[k] = m->comp[k].name;
	/* keys point into the map, which goes: copy them */
	cp_strmap_entries(m->unknown, unknown, counts);
	for (size_t k = 0; k < U; k++)
		if (!(unknown[k] = keep(cg, unknown[k], err)))
			return -1;
	memset(out, 0, sizeof *out);
	out->n_metabolites = M;
	out->metabolite_id = met_id, out->metabolite_name = met_name;
	out->metabolite_compartment = met_comp;
	out->n_reactions = R;
	out->reaction_id = rxn_id, out->reaction_name = rxn_name, out->reaction_rule = rxn_rule;
	out->lower_bound = lb, out->upper_bound = ub;
	out->reversible = reversible, out->no_genes = no_genes;
	out->n_stoichiometry = (int64_t)S;
	out->stoichiometry_index = index, out->coefficient = coef;
	out->n_clauses = (int64_t)m->n_cl;
	out->gpr_ptr = gpr_ptr, out->clause_ptr = clause_ptr, out->clause_gene = genes;
	out->n_unknown = U, out->unknown = unknown;
	out->n_compartments = K, out->compartment_id = comp_id, out->compartment_name = comp_name;
	cg->has_metabolism = 1;
	st->metabolites = M;
	st->reactions = R;
	st->compartments = K;
	st->unknown_distinct = U;
	for (size_t g = 0; g < cg->genome.n; g++)
		st->genes += m->gene_used[g];
	st->ids = m->unknown;
	m->unknown = NULL;
	return 0;
}

static void model_free(model *m)
{
	free(m->met);
	free(m->rxn);
	free(m->st);
	free(m->comp);
	free(m->gpr_ptr);
	free(m->clause_ptr);
	free(m->clause_gene);
	cp_strmap_free(m->met_index);
	cp_strmap_free(m->rxn_seen);
	cp_strmap_free(m->unknown);
	free(m->gene_used);
}

/* Parse the whole text into d->doc. */
static int load_document(model_doc *d, const char *text, size_t len, cp_error *err)
{
	yaml_parser_t parser;
	int ok;

	if (!yaml_parser_initialize(&parser))
		return cp_error_set(err, "%s: cannot start the YAML parser", d->name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ok = yaml_parser_load(&parser, &d->doc);
	if (ok) {
		/* one document: a second one would be ignored */
		yaml_document_t next;

		ok = yaml_parser_load(&parser, &next);
		if (ok && yaml_document_get_root_node(&next)) {
			cp_error_set(err, "%s:%zu: a second YAML document (one model per file)", d->name,
				     (size_t)next.start_mark.line + 1);
			yaml_document_delete(&next);
			yaml_document_delete(&d->doc);
			yaml_parser_delete(&parser);
			return -1;
		}
		if (ok)
			yaml_document_delete(&next);
		else
			yaml_document_delete(&d->doc);
	}
	if (!ok && parser.error == YAML_MEMORY_ERROR)
		cp_error_set(err, "%s: out of memory parsing the YAML", d->name);
	else if (!ok)
		cp_error_set(err, "%s:%zu: not valid YAML: %s%s%s", d->name, parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "error", parser.context ? " " : "",
			     parser.context ? parser.context : "");
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}

void gem_stats_init(gem_stats *st)
{
	memset(st, 0, sizeof *st);
}

void gem_stats_free(gem_stats *st)
{
	if (!st)
		return;
	cp_strmap_free(st->ids);
	memset(st, 0, sizeof *st);
}

/* The YAML form, from text already read: the model in m, or -1. */
static int load_yaml(model_doc *d, model *m, cell_graph *cg, const char *text, size_t len,
		     size_t max_clauses, gem_stats *st)
{
	yaml_node_t *root, *v, *sections[4] = { NULL, NULL, NULL, NULL };
	static const char *const section_names[4] = { "metaData", "metabolites", "reactions",
						      "compartments" };
	cp_error *err = d->err;
	const char *key;
	size_t i = 0;
	int rc = -1;

	if (load_document(d, text, len, err) < 0)
		return -1;
	root = yaml_document_get_root_node(&d->doc);
	if (!root) {
		cp_error_set(err, "%s: an empty YAML document, not a metabolic model", d->name);
		goto out;
	}
	while ((rc = pair_next(d, root, &i, &key, &v)) == 1)
		for (int s = 0; s < 4; s++)
			if (strcmp(key, section_names[s]) == 0)
				sections[s] = v;
	if (rc < 0)
		goto out;
	rc = -1;
	if (!sections[1] || !sections[2]) {
		cp_error_set(err, "%s: no %s section: not a metabolic model in YAML", d->name,
			     sections[1] ? "reactions" : "metabolites");
		goto out;
	}
	if ((sections[0] && read_meta(d, m, sections[0]) < 0) ||
	    (sections[3] && read_compartments(d, m, cg, sections[3]) < 0) ||
	    read_metabolites(d, m, cg, sections[1]) < 0 ||
	    read_reactions(d, m, cg, sections[2], max_clauses, st) < 0)
		goto out;
	rc = 0;	/* what the model keeps was copied into the graph's arena */
out:
	yaml_document_delete(&d->doc);
	return rc;
}

/* ---- the tab-separated form ----------------------------------------- */

/* Columns of the text export, found by their header names (any case): the
 * reaction id (its header is "Rxn name" in yeast-GEM's export), the
 * formula, the rule and the bounds. */
enum { COL_ID, COL_FORMULA, COL_RULE, COL_LB, COL_UB, N_COLS };

static const char *const col_names[N_COLS][4] = {
	{ "Rxn name", "ID", "Reaction ID", NULL },
	{ "Formula", "Equation", "Reaction formula", NULL },
	{ "Gene-reaction association", "GPR", "gene_reaction_rule", "grRules" },
	{ "LB", "Lower bound", "lower_bound", NULL },
	{ "UB", "Upper bound", "upper_bound", NULL },
};

typedef struct {
	const char *name;	/* the input, for messages */
	size_t line;
	const char *rxn;	/* the reaction being read, or NULL */
	cp_error *err;
	cp_strmap *comp_index;
	cp_buf key;
} tsv_src;

CP_PRINTF(2, 3) static int tsv_error(tsv_src *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (t->rxn)
		return cp_error_set(t->err, "%s:%zu: reaction %s: %s", t->name, t->line, t->rxn, msg);
	return cp_error_set(t->err, "%s:%zu: %s", t->name, t->line, msg);
}

static char *trim(char *p)
{
	char *e = p + strlen(p);

	while (*p == ' ' || *p == '\t')
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return p;
}

/* The metabolite "NAME[COMPARTMENT]": its index, added at first sight
 * (with its compartment) under the id "NAME[COMPARTMENT]". */
static int tsv_metabolite(tsv_src *t, model *m, cell_graph *cg, char *term, int32_t *out)
{
	size_t len = strlen(term);
	char *open = NULL, *name = term, *comp;
	int64_t idx;

	if (len && term[len - 1] == ']')
		open = memrchr(term, '[', len - 1);
	if (!open || open == term || open + 2 >= term + len)
		return tsv_error(t, "Formula: '%s' is not NAME[COMPARTMENT]", term);
	term[len - 1] = '\0';
	*open = '\0';
	comp = open + 1;
	name = trim(name);
	if (!*name)
		return tsv_error(t, "Formula: a metabolite without a name in compartment %s", comp);
	t->key.len = 0;
	if (cp_buf_printf(&t->key, t->err, "%s[%s]", name, comp) < 0)
		return -1;
	if (!cp_strmap_get(m->met_index, t->key.data, &idx)) {
		metabolite *met = room_for(m->met, m->n_met, &m->cap_met, sizeof *met, t->err);
		int64_t c;

		if (!met)
			return -1;
		m->met = met;
		met += m->n_met;
		if (!(met->id = keep(cg, t->key.data, t->err)) || !(met->name = keep(cg, name, t->err)) ||
		    !(met->compartment = keep(cg, comp, t->err)) ||
		    cp_strmap_set(m->met_index, t->key.data, (int64_t)m->n_met, t->err) < 0)
			return -1;
		idx = (int64_t)m->n_met++;
		if (!cp_strmap_get(t->comp_index, comp, &c)) {
			compartment *k = room_for(m->comp, m->n_comp, &m->cap_comp, sizeof *k, t->err);

			if (!k)
				return -1;
			m->comp = k;
			k += m->n_comp;
			/* the table names compartments by id alone */
			if (!(k->id = keep(cg, comp, t->err)) || !(k->name = keep(cg, "", t->err)) ||
			    cp_strmap_set(t->comp_index, comp, (int64_t)m->n_comp, t->err) < 0)
				return -1;
			m->n_comp++;
		}
	}
	*out = (int32_t)idx;
	return 0;
}

/* One side of a formula: terms "[COEFFICIENT ]NAME[COMPARTMENT]" joined by
 * " + ", each entered with its coefficient times sign. */
static int tsv_side(tsv_src *t, model *m, cell_graph *cg, char *side, double sign)
{
	char *p = trim(side);

	if (!*p)
		return 0;
	for (;;) {
		char *next = strstr(p, " + "), *term, *sp;
		double coef = 1;
		stoich_entry *e;
		int32_t met = 0;

		if (next)
			*next = '\0';
		term = trim(p);
		if (!*term)
			return tsv_error(t, "Formula: an empty term between '+' signs");
		/* a leading number and a space: the coefficient */
		sp = strchr(term, ' ');
		if (sp && ((*term >= '0' && *term <= '9') || *term == '.')) {
			double c;

			*sp = '\0';
			if (cp_parse_f64(term, &c) == 0) {
				if (!isfinite(c) || c <= 0)
					return tsv_error(t, "Formula: coefficient '%s' is not a positive number",
							 term);
				coef = c;
				term = trim(sp + 1);
			} else {
				*sp = ' ';
			}
		}
		if (tsv_metabolite(t, m, cg, term, &met) < 0)
			return -1;
		if (!(e = room_for(m->st, m->n_st, &m->cap_st, sizeof *e, t->err)))
			return -1;
		m->st = e;
		e += m->n_st++;
		e->met = met, e->rxn = (int32_t)m->n_rxn, e->coef = sign * coef;
		if (!next)
			return 0;
		p = next + 3;
	}
}

/* A formula "LEFT ARROW RIGHT": => (left to right), <=> (either way) or
 * <= (right to left); the left side is consumed unless the arrow is <=.
 * A metabolite on both sides keeps its net coefficient (none when it
 * cancels). */
static int tsv_formula(tsv_src *t, model *m, cell_graph *cg, const char *formula)
{
	static const char *const arrows[3] = { " <=> ", " => ", " <= " };
	size_t first = m->n_st, out, n;
	char *text, *at = NULL;
	int arrow = -1, rc;

	t->key.len = 0;
	if (cp_buf_printf(&t->key, t->err, " %s ", formula) < 0 || !(text = strdup(t->key.data)))
		return cp_error_set(t->err, "out of memory");
	for (int a = 0; a < 3; a++) {
		char *hit = strstr(text, arrows[a]);

		if (hit && (!at || hit < at))
			at = hit, arrow = a;
	}
	if (!at) {
		free(text);
		return tsv_error(t, "Formula: no arrow (=>, <=> or <=) in '%s'", formula);
	}
	*at = '\0';
	for (int a = 0; a < 3; a++)
		if (strstr(at + strlen(arrows[arrow]) - 1, arrows[a])) {
			free(text);
			return tsv_error(t, "Formula: more than one arrow in '%s'", formula);
		}
	rc = tsv_side(t, m, cg, text, arrow == 2 ? 1.0 : -1.0);
	if (rc == 0)
		rc = tsv_side(t, m, cg, at + strlen(arrows[arrow]) - 1, arrow == 2 ? -1.0 : 1.0);
	free(text);
	if (rc < 0)
		return -1;
	/* by metabolite, as the YAML form stores them; repeats summed in order */
	n = m->n_st - first;
	cp_sort(m->st + first, n, sizeof *m->st, cmp_stoich);
	out = first;
	for (size_t k = first; k < m->n_st; k++) {
		if (out > first && m->st[out - 1].met == m->st[k].met) {
			double a = m->st[out - 1].coef, b = m->st[k].coef;

			m->st[out - 1].coef = a + b;
			/* cancelled, up to the rounding of decimal text: drop it */
			if (fabs(a + b) <= 1e-9 * (fabs(a) + fabs(b)))
				out--;
		} else {
			m->st[out++] = m->st[k];
		}
	}
	m->n_st = out;
	return 0;
}

static int tsv_bound(tsv_src *t, const char *text, const char *which, double *out)
{
	if (cp_parse_f64(text, out) < 0 || isnan(*out))
		return tsv_error(t, "%s: '%s' is not a number", which, text);
	return 0;
}

static int tsv_header(tsv_src *t, char *line, int *col, size_t *n_fields)
{
	char *f[256];
	size_t n = cp_split(line, '\t', f, 256);

	for (int c = 0; c < N_COLS; c++)
		col[c] = -1;
	for (size_t k = 0; k < n && k < 256; k++)
		for (int c = 0; c < N_COLS; c++)
			for (int a = 0; a < 4 && col_names[c][a]; a++)
				if (col[c] < 0 && strcasecmp(trim(f[k]), col_names[c][a]) == 0)
					col[c] = (int)k;
	for (int c = 0; c < N_COLS; c++)
		if (col[c] < 0)
			return tsv_error(t, "no column '%s': not a yeast-GEM table (%s, %s, %s, %s, %s)",
					 col_names[c][0], col_names[COL_ID][0], col_names[COL_FORMULA][0],
					 col_names[COL_RULE][0], col_names[COL_LB][0], col_names[COL_UB][0]);
	*n_fields = n;
	return 0;
}

/* The tab-separated form: a header, then a reaction a line. */
static int load_tsv(const char *name, model *m, cell_graph *cg, char *text, size_t max_clauses,
		    gem_stats *st, cp_error *err)
{
	tsv_src t = { name, 0, NULL, err, NULL, { 0 } };
	int col[N_COLS], rc = -1;
	size_t n_header = 0;
	gpr_rule rule;
	char *line = text;

	gpr_rule_init(&rule);
	if (!(t.comp_index = cp_strmap_new(0, err)) ||
	    !(m->gpr_ptr = room_for(NULL, 0, &m->cap_gpr, sizeof *m->gpr_ptr, err)) ||
	    !(m->clause_ptr = room_for(NULL, 0, &m->cap_cl, sizeof *m->clause_ptr, err)))
		goto out;
	m->gpr_ptr[0] = 0;
	m->clause_ptr[0] = 0;
	while (line && *line) {
		char *end = strchr(line, '\n'), *f[256];
		size_t n;
		reaction *rxn;
		int64_t *gpr;

		if (end)
			*end = '\0';
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		t.line++;
		t.rxn = NULL;
		if (t.line == 1) {
			if (tsv_header(&t, line, col, &n_header) < 0)
				goto out;
			line = end ? end + 1 : NULL;
			continue;
		}
		if (line[strspn(line, " \t")] == '\0') {	/* a blank line */
			line = end ? end + 1 : NULL;
			continue;
		}
		n = cp_split(line, '\t', f, 256);
		if (n != n_header) {
			tsv_error(&t, "%zu fields, the header has %zu", n, n_header);
			goto out;
		}
		for (int c = 0; c < N_COLS; c++)
			f[col[c]] = trim(f[col[c]]);
		if (!*f[col[COL_ID]]) {
			tsv_error(&t, "column '%s': a reaction without an id", col_names[COL_ID][0]);
			goto out;
		}
		t.rxn = f[col[COL_ID]];
		switch (cp_strmap_put(m->rxn_seen, t.rxn, (int64_t)m->n_rxn, NULL, err)) {
		case -1: goto out;
		case 1: tsv_error(&t, "appears twice"); goto out;
		}
		if (!(rxn = room_for(m->rxn, m->n_rxn, &m->cap_rxn, sizeof *rxn, err)))
			goto out;
		m->rxn = rxn;
		rxn += m->n_rxn;
		if (!(gpr = room_for(m->gpr_ptr, m->n_rxn + 1, &m->cap_gpr, sizeof *gpr, err)))
			goto out;
		m->gpr_ptr = gpr;
		if (tsv_bound(&t, f[col[COL_LB]], "LB", &rxn->lb) < 0 ||
		    tsv_bound(&t, f[col[COL_UB]], "UB", &rxn->ub) < 0)
			goto out;
		if (rxn->lb > rxn->ub) {
			tsv_error(&t, "LB above UB");
			goto out;
		}
		if (tsv_formula(&t, m, cg, f[col[COL_FORMULA]]) < 0)
			goto out;
		if (gpr_parse(&rule, f[col[COL_RULE]], &cg->genome, max_clauses, err) < 0) {
			char why[sizeof err->msg];

			snprintf(why, sizeof why, "%s", err->msg);
			tsv_error(&t, "%s: %s", col_names[COL_RULE][0], why);
			goto out;
		}
		if (rule.n_clauses)
			st->rules++;
		else
			st->no_genes++;
		if (add_rule(m, &rule, f[col[COL_RULE]], st, err) < 0)
			goto out;
		m->gpr_ptr[m->n_rxn + 1] = (int64_t)m->n_cl;
		if (!(rxn->id = keep(cg, t.rxn, err)) || !(rxn->name = keep(cg, "", err)) ||
		    !(rxn->rule = keep(cg, f[col[COL_RULE]], err)))
			goto out;
		m->n_rxn++;
		line = end ? end + 1 : NULL;
	}
	if (t.line == 0) {
		cp_error_set(err, "%s: empty: not a metabolic model", name);
		goto out;
	}
	rc = 0;
out:
	gpr_rule_free(&rule);
	cp_strmap_free(t.comp_index);
	cp_buf_free(&t.key);
	return rc;
}

/* The whole input, NUL-terminated; NUL bytes in it are refused. */
static int read_all(cp_input *in, cp_buf *b, cp_error *err)
{
	for (;;) {
		ssize_t n;

		if (cp_buf_reserve(b, 1 << 16, err) < 0)
			return -1;
		n = cp_input_read(in, b->data + b->len, 1 << 16, err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (cp_buf_reserve(b, 1, err) < 0)
		return -1;
	b->data[b->len] = '\0';
	if (strlen(b->data) != b->len)
		return cp_error_set(err, "%s: a NUL byte at offset %zu: binary, not a metabolic model",
				    cp_input_name(in), strlen(b->data));
	return 0;
}

int gem_load(cell_graph *cg, const char *path, size_t max_clauses, gem_stats *st, cp_error *err)
{
	model_doc d = { .err = err };
	model m = { 0 };
	gem_stats local;
	cp_input *in = cp_input_open(path, err);
	cp_buf text = { 0 };
	size_t first_line, start;
	int rc = -1;

	if (!st) {
		gem_stats_init(&local);
		st = &local;
	}
	gem_stats_free(st);
	if (!in)
		return -1;
	d.name = cp_input_name(in);
	if (read_all(in, &text, err) < 0)
		goto out;
	if (!(m.met_index = cp_strmap_new(0, err)) || !(m.rxn_seen = cp_strmap_new(0, err)) ||
	    !(m.unknown = cp_strmap_new(0, err)) ||
	    !(m.gene_used = cp_calloc(cg->genome.n + 1, 1, err)))
		goto out;
	/* a UTF-8 byte-order mark (libyaml takes one too) */
	start = strncmp(text.data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	/* a tab on the first line: the table (YAML indents with spaces only;
	 * its comments, directives and document start may hold one) */
	first_line = strcspn(text.data + start, "\n");
	if (memchr(text.data + start, '\t', first_line) && text.data[start] != '#' && text.data[start] != '%' &&
	    strncmp(text.data + start, "---", 3) != 0) {
		if (load_tsv(d.name, &m, cg, text.data + start, max_clauses, st, err) < 0)
			goto out;
	} else if (load_yaml(&d, &m, cg, text.data, text.len, max_clauses, st) < 0) {
		goto out;
	}
	if (m.n_rxn == 0) {
		cp_error_set(err, "%s: no reactions: not a metabolic model", d.name);
		goto out;
	}
	if (finish(&m, cg, st, err) < 0)
		goto out;
	rc = 0;
out:
	model_free(&m);
	cp_buf_free(&text);
	cp_input_close(in);
	if (st == &local)
		gem_stats_free(&local);
	return rc;
}
