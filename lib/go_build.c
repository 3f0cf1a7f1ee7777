/* go_build.c - the filtered GO DAG from an ontology, a genome and a GAF. */
#define _GNU_SOURCE
#include "go_build.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gaf.h"
#include "strmap.h"

const char *const go_filter_names[GO_FILTER_COUNT] = { "direct", "redundancy", "containment" };

const char *const go_stat_names[GO_STAT_COUNT] = {
	"terms_read", "terms_obsolete", "edges_read", "edges_dropped", "tied_at_start",
	"rows", "rows_unmapped", "rows_ambiguous", "genes_unmapped", "rows_unknown_term",
	"rows_obsolete", "rows_replaced", "rows_alt_id", "rows_not", "rows_evidence", "rows_date",
	"rows_kept", "annotations_unique",
	"removed_direct", "removed_redundant", "removed_containment", "tied_direct",
	"annotations_dropped", "annotations_moved",
	"terms", "edges", "leaves", "strata", "annotations", "genes_annotated",
};

#define MAX_CODES 255

/* ---- options ------------------------------------------------------------- */

void go_build_defaults(go_build_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->relations = 1u << GO_IS_A;
	opt->n_exclude = 1;
	strcpy(opt->exclude[0], "IGI");
	opt->min_genes = 4;
	opt->n_filters = 3;
	opt->filters[0] = GO_FILTER_DIRECT;
	opt->filters[1] = GO_FILTER_REDUNDANCY;
	opt->filters[2] = GO_FILTER_CONTAINMENT;
	opt->redundancy = GO_REDUNDANT_CONTAINED;
	opt->reconnect = GO_RECONNECT_PARENTS;
}

/* The next comma-separated item of *p into buf (blanks trimmed).  Returns
 * 1, 0 at the end, -1 when an item does not fit. */
static int next_item(const char **p, char *buf, size_t n)
{
	const char *s = *p, *e;
	size_t len;

	if (!*s)
		return 0;
	e = s + strcspn(s, ",");
	*p = *e ? e + 1 : e;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	len = (size_t)(e - s);
	if (len >= n)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 1;
}

static int is_none(const char *list)
{
	return !*list || strcmp(list, "none") == 0;
}

/* Index of item in names, -1 when absent. */
static int name_index(const char *item, const char *const *names, int n)
{
	for (int k = 0; k < n; k++)
		if (strcmp(item, names[k]) == 0)
			return k;
	return -1;
}

int go_build_set_relations(go_build_options *opt, const char *list, cp_error *err)
{
	unsigned mask = 0;
	char item[32];
	int rc;

	while ((rc = next_item(&list, item, sizeof item)) == 1) {
		int k = name_index(item, go_relation_names, GO_RELATION_COUNT);

		if (k < 0)
			return cp_error_set(err, "'%s' is not a relation (is_a, part_of)", item);
		mask |= 1u << k;
	}
	if (rc < 0 || mask == 0)
		return cp_error_set(err, "expected relations such as is_a or is_a,part_of");
	if (!(mask & 1u << GO_IS_A))
		return cp_error_set(err, "part_of goes with is_a, the hierarchy's own relation "
				    "(is_a or is_a,part_of)");
	opt->relations = mask;
	return 0;
}

int go_build_set_evidence(go_build_options *opt, const char *list, cp_error *err)
{
	char item[16];
	int rc;

	opt->n_exclude = 0;
	if (is_none(list))
		return 0;
	while ((rc = next_item(&list, item, sizeof item)) == 1) {
		size_t len = strlen(item);

		for (size_t i = 0; i < len; i++)
			item[i] = (char)toupper((unsigned char)item[i]);
		if (!gaf_evidence_known(item))
			return cp_error_set(err, "'%s' is not a GO evidence code (EXP, IDA, IPI, IMP, IGI, "
					    "IEP, HTP, HDA, HMP, HGI, HEP, ISS, ISO, ISA, ISM, IGC, IBA, IBD, "
					    "IKR, IRD, IMR, RCA, TAS, NAS, IC, ND, IEA, NR)", item);
		if (opt->n_exclude == GO_BUILD_MAX_EVIDENCE)
			return cp_error_set(err, "more than %d evidence codes", GO_BUILD_MAX_EVIDENCE);
		strcpy(opt->exclude[opt->n_exclude++], item);
	}
	if (rc < 0)
		return cp_error_set(err, "an evidence code is longer than 8 letters");
	return 0;
}

int go_build_set_filters(go_build_options *opt, const char *list, cp_error *err)
{
	char item[32];
	int rc;

	opt->n_filters = 0;
	if (is_none(list))
		return 0;
	while ((rc = next_item(&list, item, sizeof item)) == 1) {
		int k = name_index(item, go_filter_names, GO_FILTER_COUNT);

		if (k < 0)
			return cp_error_set(err, "'%s' is not a filter (direct, redundancy, containment)",
					    item);
		for (size_t i = 0; i < opt->n_filters; i++)
			if (opt->filters[i] == (go_filter)k)
				return cp_error_set(err, "filter '%s' named twice", item);
		opt->filters[opt->n_filters++] = (go_filter)k;
	}
	if (rc < 0)
		return cp_error_set(err, "expected filters such as direct,redundancy,containment");
	return 0;
}

int go_build_set_before(go_build_options *opt, const char *date, cp_error *err)
{
	if (gaf_parse_date(date, &opt->before) < 0)
		return cp_error_set(err, "'%s' is not a date YYYY-MM-DD", date);
	return 0;
}

static void join(char *out, size_t n, size_t count, const char *(*item)(const go_build_options *, size_t),
		 const go_build_options *opt)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < count && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", item(opt, i));
	if (count == 0)
		snprintf(out, n, "none");
}

static const char *relation_item(const go_build_options *opt, size_t i)
{
	size_t seen = 0;

	for (int r = 0; r < GO_RELATION_COUNT; r++)
		if ((opt->relations & (1u << r)) && seen++ == i)
			return go_relation_names[r];
	return "";
}

static const char *evidence_item(const go_build_options *opt, size_t i)
{
	return opt->exclude[i];
}

static const char *filter_item(const go_build_options *opt, size_t i)
{
	return go_filter_names[opt->filters[i]];
}

void go_build_format(const go_build_options *opt, char *relations, char *evidence, char *filters,
		     size_t n)
{
	size_t n_rel = 0;

	for (int r = 0; r < GO_RELATION_COUNT; r++)
		n_rel += (opt->relations >> r) & 1u;
	join(relations, n, n_rel, relation_item, opt);
	join(evidence, n, opt->n_exclude, evidence_item, opt);
	join(filters, n, opt->n_filters, filter_item, opt);
}

int go_build_stats_to_record(const int64_t *stats, cpz_record *rec, cp_error *err)
{
	char name[64];

	for (int s = 0; s < GO_STAT_COUNT; s++) {
		snprintf(name, sizeof name, "stats.%s", go_stat_names[s]);
		if (cpz_record_add_int(rec, name, stats[s], err) < 0)
			return -1;
	}
	return 0;
}

/* ---- the working graph --------------------------------------------------- */

typedef struct edge {
	int32_t child, parent;
	uint8_t relation;
} edge;

typedef struct annot {
	int32_t term, gene, date;
	uint8_t evidence;
	uint8_t rank;		/* the code's alphabetical rank, for ties */
} annot;

/* A growable list of (term, relation) entries, carved into per-term runs. */
typedef struct runs {
	int32_t *term;
	uint8_t *relation;
	size_t n, cap;
	size_t *begin, *end;	/* per term */
} runs;

typedef struct build {
	const obo_ontology *obo;
	const genome *g;
	const go_build_options *opt;
	int64_t *st;
	size_t n;		/* ontology terms + ROOT */
	int32_t root;
	uint8_t *keep, *is_ns_root, *removed;
	int8_t *ns;
	int32_t ns_root[GO_ROOT_NAMESPACE];
	/* parents: CSR over all n terms */
	int64_t *pptr;
	int32_t *pidx;
	uint8_t *prel;
	size_t n_edges;
	/* direct annotations, sorted by term, gene; aptr indexes them by term */
	annot *ann;
	size_t n_ann, cap_ann;
	int64_t *aptr;
	/* scratch */
	int32_t *order;		/* kept terms, children before parents */
	size_t n_order;
	int32_t *nchild;
	size_t words;
	uint64_t *bits;
	int32_t *count;		/* contained genes */
	int32_t *mark;
	size_t *pos;
	runs up;
	char codes[MAX_CODES][9];
	size_t n_codes;
} build;

static void build_free(build *b)
{
	free(b->keep);
	free(b->is_ns_root);
	free(b->removed);
	free(b->ns);
	free(b->pptr);
	free(b->pidx);
	free(b->prel);
	free(b->ann);
	free(b->aptr);
	free(b->order);
	free(b->nchild);
	free(b->bits);
	free(b->count);
	free(b->mark);
	free(b->pos);
	free(b->up.term);
	free(b->up.relation);
	free(b->up.begin);
	free(b->up.end);
}

static const char *term_id(const build *b, int32_t t)
{
	return t == b->root ? GO_ROOT_ID : b->obo->terms[t].id;
}

static int cmp_edge(const void *x, const void *y)
{
	const edge *a = x, *b = y;

	if (a->child != b->child)
		return a->child < b->child ? -1 : 1;
	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	return (a->relation > b->relation) - (a->relation < b->relation);
}

/* Replace the parents with edges (sorted here; a repeated edge keeps its
 * smallest relation, is_a). */
static int set_parents(build *b, edge *edges, size_t m, cp_error *err)
{
	size_t k = 0;

	cp_sort(edges, m, sizeof *edges, cmp_edge);
	free(b->pidx);
	free(b->prel);
	b->pidx = cp_malloc(m ? m : 1, sizeof *b->pidx, err);
	b->prel = cp_malloc(m ? m : 1, sizeof *b->prel, err);
	if (!b->pidx || !b->prel)
		return -1;
	memset(b->pptr, 0, (b->n + 1) * sizeof *b->pptr);
	for (size_t i = 0; i < m; i++) {
		if (i && edges[i].child == edges[i - 1].child && edges[i].parent == edges[i - 1].parent)
			continue;
		b->pidx[k] = edges[i].parent;
		b->prel[k++] = edges[i].relation;
		b->pptr[edges[i].child + 1]++;
	}
	for (size_t t = 0; t < b->n; t++)
		b->pptr[t + 1] += b->pptr[t];
	b->n_edges = k;
	return 0;
}

/* The current edges plus room for extra more, as a list. */
static edge *edge_list(const build *b, size_t extra, size_t *m, cp_error *err)
{
	edge *e = cp_malloc(b->n_edges + extra + 1, sizeof *e, err);

	if (!e)
		return NULL;
	*m = 0;
	for (size_t t = 0; t < b->n; t++)
		for (int64_t k = b->pptr[t]; k < b->pptr[t + 1]; k++)
			e[(*m)++] = (edge){ (int32_t)t, b->pidx[k], b->prel[k] };
	return e;
}

/* Report a cycle among the terms the children-first order could not place:
 * each of them has a child among them, so walking down children finds one. */
static int report_cycle(build *b, cp_error *err)
{
	int32_t *child_of = b->mark, *cycle = b->order, t = -1;
	size_t len = 0, used = 0;
	char msg[600];

	for (size_t i = 0; i < b->n; i++)
		child_of[i] = -1;
	for (size_t c = 0; c < b->n; c++)
		if (b->keep[c] && b->nchild[c] > 0)
			for (int64_t k = b->pptr[c]; k < b->pptr[c + 1]; k++)
				if (b->nchild[b->pidx[k]] > 0)
					child_of[b->pidx[k]] = (int32_t)c;
	for (size_t i = 0; i < b->n && t < 0; i++)
		if (b->keep[i] && b->nchild[i] > 0)
			t = (int32_t)i;
	/* n steps down surely end on the cycle; then go round it once */
	for (size_t i = 0; i < b->n; i++)
		t = child_of[t];
	do {
		cycle[len++] = t;
		t = child_of[t];
	} while (t != cycle[0] && len < b->n);
	msg[0] = '\0';
	for (size_t i = len; i-- > 0 && used < sizeof msg;)
		used += (size_t)snprintf(msg + used, sizeof msg - used, "%s -> ", term_id(b, cycle[i]));
	snprintf(msg + (used < sizeof msg ? used : sizeof msg - 1),
		 sizeof msg - (used < sizeof msg ? used : sizeof msg - 1), "%s",
		 term_id(b, cycle[len - 1]));
	return cp_error_set(err, "%s:%zu: a cycle in the ontology (child -> parent): %s",
			    b->obo->path, b->obo->terms[cycle[len - 1]].line, msg);
}

/* b->order: the kept terms, every child before its parents (Kahn's
 * algorithm, leaves in index order first).  A cycle is an error. */
static int order_terms(build *b, cp_error *err)
{
	size_t head = 0, kept = 0;

	memset(b->nchild, 0, b->n * sizeof *b->nchild);
	for (size_t c = 0; c < b->n; c++) {
		if (!b->keep[c])
			continue;
		kept++;
		for (int64_t k = b->pptr[c]; k < b->pptr[c + 1]; k++)
			b->nchild[b->pidx[k]]++;
	}
	b->n_order = 0;
	for (size_t t = 0; t < b->n; t++)
		if (b->keep[t] && b->nchild[t] == 0)
			b->order[b->n_order++] = (int32_t)t;
	while (head < b->n_order) {
		int32_t c = b->order[head++];

		for (int64_t k = b->pptr[c]; k < b->pptr[c + 1]; k++)
			if (--b->nchild[b->pidx[k]] == 0)
				b->order[b->n_order++] = b->pidx[k];
	}
	if (b->n_order != kept)
		return report_cycle(b, err);
	return 0;
}

/* ---- building the term graph ---------------------------------------------- */

static int alloc_graph(build *b, cp_error *err)
{
	b->n = b->obo->n_terms + 1;
	b->root = (int32_t)b->obo->n_terms;
	b->words = (b->g->n + 63) / 64;
	if (!(b->keep = cp_calloc(b->n, 1, err)) || !(b->is_ns_root = cp_calloc(b->n, 1, err)) ||
	    !(b->removed = cp_calloc(b->n, 1, err)) || !(b->ns = cp_calloc(b->n, 1, err)) ||
	    !(b->pptr = cp_calloc(b->n + 1, sizeof *b->pptr, err)) ||
	    !(b->aptr = cp_calloc(b->n + 1, sizeof *b->aptr, err)) ||
	    !(b->order = cp_malloc(b->n, sizeof *b->order, err)) ||
	    !(b->nchild = cp_malloc(b->n, sizeof *b->nchild, err)) ||
	    !(b->count = cp_malloc(b->n, sizeof *b->count, err)) ||
	    !(b->mark = cp_malloc(b->n, sizeof *b->mark, err)) ||
	    !(b->pos = cp_malloc(b->n, sizeof *b->pos, err)) ||
	    !(b->up.begin = cp_malloc(b->n, sizeof *b->up.begin, err)) ||
	    !(b->up.end = cp_malloc(b->n, sizeof *b->up.end, err)))
		return -1;
	return 0;
}

/* The namespace roots: per namespace, the parentless live term named like
 * the namespace, or else its only parentless term. */
static int find_namespace_roots(build *b, cp_error *err)
{
	const obo_ontology *o = b->obo;

	for (int k = 0; k < GO_ROOT_NAMESPACE; k++) {
		int32_t named = -1, first = -1, second = -1;

		for (size_t t = 0; t < o->n_terms; t++) {
			if (!b->keep[t] || b->ns[t] != k || b->pptr[t + 1] > b->pptr[t])
				continue;
			if (strcmp(o->terms[t].name, go_namespace_names[k]) == 0 && named < 0)
				named = (int32_t)t;
			if (first < 0)
				first = (int32_t)t;
			else if (second < 0)
				second = (int32_t)t;
		}
		b->ns_root[k] = named >= 0 ? named : second < 0 ? first : -1;
		if (named < 0 && second >= 0)
			return cp_error_set(err, "%s: %s and %s, both %s, have no parents and neither is "
					    "named %s: which is the root?", o->path, o->terms[first].id,
					    o->terms[second].id, go_namespace_names[k],
					    go_namespace_names[k]);
		if (b->ns_root[k] >= 0)
			b->is_ns_root[b->ns_root[k]] = 1;
	}
	return 0;
}

static int init_graph(build *b, cp_error *err)
{
	const obo_ontology *o = b->obo;
	edge *e;
	size_t m = 0;

	if (alloc_graph(b, err) < 0 || !(e = cp_malloc(o->n_edges + 1, sizeof *e, err)))
		return -1;
	for (size_t t = 0; t < o->n_terms; t++) {
		b->keep[t] = !o->terms[t].obsolete;
		b->ns[t] = (int8_t)o->terms[t].ns;
		if (!b->keep[t])
			continue;
		for (size_t k = o->terms[t].edge_begin; k < o->terms[t].edge_end; k++)
			if (b->opt->relations & (1u << o->edges[k].relation))
				e[m++] = (edge){ (int32_t)t, o->edges[k].parent, o->edges[k].relation };
	}
	b->st[GO_STAT_TERMS_READ] = (int64_t)o->n_terms;
	b->st[GO_STAT_TERMS_OBSOLETE] = (int64_t)o->n_obsolete;
	b->keep[b->root] = 1;
	b->ns[b->root] = GO_ROOT_NAMESPACE;
	if (set_parents(b, e, m, err) < 0) {
		free(e);
		return -1;
	}
	free(e);
	b->st[GO_STAT_EDGES_READ] = (int64_t)b->n_edges;
	b->st[GO_STAT_EDGES_DROPPED] = (int64_t)o->n_edges_dropped;
	if (find_namespace_roots(b, err) < 0)
		return -1;
	/* tie every parentless term to its namespace root, those to ROOT */
	if (!(e = edge_list(b, o->n_terms, &m, err)))
		return -1;
	for (size_t t = 0; t < o->n_terms; t++) {
		if (!b->keep[t] || b->pptr[t + 1] > b->pptr[t])
			continue;
		if (!b->is_ns_root[t])
			b->st[GO_STAT_TIED_AT_START]++;
		e[m++] = (edge){ (int32_t)t, b->is_ns_root[t] ? b->root : b->ns_root[b->ns[t]],
				 GO_IS_A };
	}
	if (set_parents(b, e, m, err) < 0) {
		free(e);
		return -1;
	}
	free(e);
	return order_terms(b, err);
}

/* ---- annotations ----------------------------------------------------------- */

/* The gene of a row: column 2, then 3, then each synonym of column 11; the
 * first identifier that names one gene.  GENOME_AMBIGUOUS when none does
 * but one named several. */
/* An SGD id: S and nine digits. */
static int is_sgd_id(const char *s)
{
	return s[0] == 'S' && strlen(s) == 10 && strspn(s + 1, "0123456789") == 9;
}

/* Whether the genome maps SGD ids (an SGD features table's does; a bare
 * list of names does not). */
static int genome_maps_sgd_ids(const genome *g, cp_error *err)
{
	size_t n = cp_strmap_size(g->ids);
	const char **keys = cp_malloc(n ? n : 1, sizeof *keys, err);
	int64_t *values = cp_malloc(n ? n : 1, sizeof *values, err);
	int found = 0;

	if (!keys || !values) {
		free(keys), free(values);
		return -1;
	}
	cp_strmap_entries(g->ids, keys, values);
	for (size_t i = 0; i < n && !found; i++)
		found = is_sgd_id(keys[i]);
	free(keys), free(values);
	return found;
}

/* The row's gene: by column 2's id, else its symbol, else a synonym.  An
 * SGD id in column 2 decides alone when the genome maps SGD ids: the id of
 * an RNA gene, or of a gene not in S288C, is not in the genome, and its
 * symbol may be another gene's alias (SCR1, the SRP RNA, is also an alias
 * of NTG1). */
static int32_t row_gene(const genome *g, const gaf_row *row, int sgd_ids)
{
	const char *ids[2] = { row->col[GAF_OBJECT_ID], row->col[GAF_SYMBOL] };
	const char *s = row->col[GAF_SYNONYMS];
	int32_t found = GENOME_UNKNOWN, x;

	if (sgd_ids && is_sgd_id(ids[0]))
		return genome_lookup(g, ids[0]);
	for (int i = 0; i < 2; i++) {
		x = *ids[i] ? genome_lookup(g, ids[i]) : GENOME_UNKNOWN;
		if (x >= 0)
			return x;
		if (x == GENOME_AMBIGUOUS)
			found = x;
	}
	while (*s) {
		size_t len = strcspn(s, "|");

		x = len ? genome_lookupn(g, s, len) : GENOME_UNKNOWN;
		if (x >= 0)
			return x;
		if (x == GENOME_AMBIGUOUS)
			found = x;
		s += len + (s[len] == '|');
	}
	return found;
}

static int excluded(const go_build_options *opt, const char *code)
{
	for (size_t i = 0; i < opt->n_exclude; i++)
		if (strcmp(opt->exclude[i], code) == 0)
			return 1;
	return 0;
}

static int evidence_index(build *b, const char *code, const gaf_reader *r, const gaf_row *row,
			  cp_error *err)
{
	for (size_t i = 0; i < b->n_codes; i++)
		if (strcmp(b->codes[i], code) == 0)
			return (int)i;
	if (b->n_codes == MAX_CODES)
		return cp_error_set(err, "%s:%zu: more than %d evidence codes", gaf_name(r), row->line,
				    MAX_CODES);
	strcpy(b->codes[b->n_codes], code);
	return (int)b->n_codes++;
}

static int add_annotation(build *b, annot a, cp_error *err)
{
	if (b->n_ann == b->cap_ann) {
		size_t cap = b->cap_ann ? b->cap_ann * 2 : 65536;
		annot *p = cp_realloc(b->ann, cap, sizeof *p, err);

		if (!p)
			return -1;
		b->ann = p;
		b->cap_ann = cap;
	}
	b->ann[b->n_ann++] = a;
	return 0;
}

/* Map the row's GO id to live terms (out and queue, room for every
 * replaced_by target of the ontology and one more), counting failures; *via is the statistic of a row mapped
 * through an alt_id or a replacement (-1 for neither), counted only when the
 * row is kept.  Returns how many terms; 0 when the row is dropped. */
static size_t row_terms(build *b, const gaf_row *row, int32_t *out, int32_t *queue, int *via)
{
	const obo_ontology *o = b->obo;
	int32_t t = obo_lookup(o, row->col[GAF_GO_ID]);
	size_t k;

	*via = -1;
	if (t < 0) {
		b->st[GO_STAT_ROWS_UNKNOWN_TERM]++;
		return 0;
	}
	if (!o->terms[t].obsolete) {
		if (strcmp(o->terms[t].id, row->col[GAF_GO_ID]) != 0)
			*via = GO_STAT_ROWS_ALT_ID;
		out[0] = t;
		return 1;
	}
	k = obo_replacements(o, t, out, o->n_replaced + 1, queue);
	if (k)
		*via = GO_STAT_ROWS_REPLACED;
	else
		b->st[GO_STAT_ROWS_OBSOLETE]++;
	return k;
}

static int read_annotations(build *b, const char *path, cp_error *err)
{
	gaf_reader *r = gaf_open(path, err);
	cp_strmap *unmapped = NULL;
	int32_t *terms = cp_malloc(2 * (b->obo->n_replaced + 1), sizeof *terms, err);
	gaf_row row;
	int rc = -1, got, sgd_ids;

	if (!r || !terms || !(unmapped = cp_strmap_new(0, err)) ||
	    (sgd_ids = genome_maps_sgd_ids(b->g, err)) < 0)
		goto out;
	while ((got = gaf_next(r, &row, err)) == 1) {
		int32_t gene = row_gene(b->g, &row, sgd_ids);
		size_t k;
		int ev, via;

		b->st[GO_STAT_ROWS]++;
		if (gene < 0) {
			b->st[gene == GENOME_AMBIGUOUS ? GO_STAT_ROWS_AMBIGUOUS : GO_STAT_ROWS_UNMAPPED]++;
			if (gene == GENOME_UNKNOWN &&
			    cp_strmap_put(unmapped, row.col[GAF_OBJECT_ID], 0, NULL, err) < 0)
				goto out;
			continue;
		}
		if (!(k = row_terms(b, &row, terms, terms + b->obo->n_replaced + 1, &via)))
			continue;
		if (row.negated) {
			b->st[GO_STAT_ROWS_NOT]++;
			continue;
		}
		if (excluded(b->opt, row.col[GAF_EVIDENCE])) {
			b->st[GO_STAT_ROWS_EVIDENCE]++;
			continue;
		}
		if (b->opt->before && row.date >= b->opt->before) {
			b->st[GO_STAT_ROWS_DATE]++;
			continue;
		}
		if ((ev = evidence_index(b, row.col[GAF_EVIDENCE], r, &row, err)) < 0)
			goto out;
		for (size_t i = 0; i < k; i++)
			if (add_annotation(b, (annot){ terms[i], gene, row.date, (uint8_t)ev, 0 }, err) < 0)
				goto out;
		b->st[GO_STAT_ROWS_KEPT]++;
		if (via >= 0)
			b->st[via]++;
	}
	if (got < 0)
		goto out;
	b->st[GO_STAT_GENES_UNMAPPED] = (int64_t)cp_strmap_size(unmapped);
	if (b->n_ann == 0) {
		cp_error_set(err, "%s: no annotation is left of %lld rows (%lld not in the genome, "
			     "%lld ambiguous, %lld unknown or obsolete terms, %lld NOT, %lld excluded "
			     "evidence, %lld too late)", gaf_name(r), (long long)b->st[GO_STAT_ROWS],
			     (long long)b->st[GO_STAT_ROWS_UNMAPPED],
			     (long long)b->st[GO_STAT_ROWS_AMBIGUOUS],
			     (long long)(b->st[GO_STAT_ROWS_UNKNOWN_TERM] + b->st[GO_STAT_ROWS_OBSOLETE]),
			     (long long)b->st[GO_STAT_ROWS_NOT], (long long)b->st[GO_STAT_ROWS_EVIDENCE],
			     (long long)b->st[GO_STAT_ROWS_DATE]);
		goto out;
	}
	rc = 0;
out:
	free(terms);
	cp_strmap_free(unmapped);
	gaf_close(r);
	return rc;
}

/* Alphabetical rank of each evidence code, for ties between equal dates. */
static void rank_codes(build *b)
{
	uint8_t rank[MAX_CODES];

	for (size_t i = 0; i < b->n_codes; i++) {
		rank[i] = 0;
		for (size_t j = 0; j < b->n_codes; j++)
			rank[i] += strcmp(b->codes[j], b->codes[i]) < 0;
	}
	for (size_t i = 0; i < b->n_ann; i++)
		b->ann[i].rank = rank[b->ann[i].evidence];
}

static int cmp_annot(const void *x, const void *y)
{
	const annot *a = x, *c = y;

	if (a->term != c->term)
		return a->term < c->term ? -1 : 1;
	if (a->gene != c->gene)
		return a->gene < c->gene ? -1 : 1;
	if (a->date != c->date)
		return a->date < c->date ? -1 : 1;
	return (int)a->rank - (int)c->rank;
}

/* Drop the annotations of terms no longer kept, keep the earliest per
 * (term, gene), and index them by term. */
static void index_annotations(build *b)
{
	size_t k = 0;

	cp_sort(b->ann, b->n_ann, sizeof *b->ann, cmp_annot);
	for (size_t i = 0; i < b->n_ann; i++) {
		const annot *a = &b->ann[i];

		if (!b->keep[a->term])
			continue;
		if (k && b->ann[k - 1].term == a->term && b->ann[k - 1].gene == a->gene)
			continue;
		b->ann[k++] = *a;
	}
	b->n_ann = k;
	memset(b->aptr, 0, (b->n + 1) * sizeof *b->aptr);
	for (size_t i = 0; i < k; i++)
		b->aptr[b->ann[i].term + 1]++;
	for (size_t t = 0; t < b->n; t++)
		b->aptr[t + 1] += b->aptr[t];
}

/* ---- the term filters -------------------------------------------------------- */

/* Contained genes of every kept term: bit sets pushed from children to
 * parents in the current order; b->count holds their sizes. */
static int compute_contained(build *b, cp_error *err)
{
	size_t w = b->words ? b->words : 1, cells;

	if (!b->bits) {
		if (cp_mul_size(b->n, w, &cells) < 0)
			return cp_error_set(err, "%zu terms x %zu genes overflows", b->n, b->g->n);
		if (!(b->bits = cp_malloc(cells, sizeof *b->bits, err)))
			return -1;
	}
	memset(b->bits, 0, b->n * w * sizeof *b->bits);
	for (size_t i = 0; i < b->n_ann; i++)
		b->bits[(size_t)b->ann[i].term * w + (size_t)b->ann[i].gene / 64] |=
			1ULL << (b->ann[i].gene % 64);
	for (size_t i = 0; i < b->n_order; i++) {
		int32_t t = b->order[i], n = 0;
		const uint64_t *src = b->bits + (size_t)t * w;

		for (size_t k = 0; k < w; k++)
			n += __builtin_popcountll(src[k]);
		b->count[t] = n;
		for (int64_t k = b->pptr[t]; k < b->pptr[t + 1]; k++) {
			uint64_t *dst = b->bits + (size_t)b->pidx[k] * w;

			for (size_t j = 0; j < w; j++)
				dst[j] |= src[j];
		}
	}
	return 0;
}

/* Append (term, relation) to t's run in b->up, or lower the relation of an
 * entry already there (is_a wins). */
static int run_add(build *b, int32_t t, int32_t term, uint8_t relation, cp_error *err)
{
	runs *u = &b->up;

	if (b->mark[term] == t) {
		if (relation < u->relation[b->pos[term]])
			u->relation[b->pos[term]] = relation;
		return 0;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 65536;
		int32_t *p = cp_realloc(u->term, cap, sizeof *p, err);
		uint8_t *q;

		if (!p)
			return -1;
		u->term = p;
		if (!(q = cp_realloc(u->relation, cap, sizeof *q, err)))
			return -1;
		u->relation = q;
		u->cap = cap;
	}
	b->mark[term] = t;
	b->pos[term] = u->n;
	u->term[u->n] = term;
	u->relation[u->n++] = relation;
	return 0;
}

static void reset_marks(build *b)
{
	for (size_t i = 0; i < b->n; i++)
		b->mark[i] = -1;
	b->up.n = 0;
}

static size_t annotations_of_removed(const build *b)
{
	size_t n = 0;

	for (size_t t = 0; t < b->n; t++)
		if (b->removed[t])
			n += (size_t)(b->aptr[t + 1] - b->aptr[t]);
	return n;
}

/*
 * Remove the terms marked in b->removed.  A remaining term's new parents
 * are, for each old parent, the parent itself when it remains, else (with
 * GO_RECONNECT_PARENTS) the removed parent's own new parents, found the same
 * way; the relation of such an edge is part_of when either step is.  With
 * move, a removed term's annotations go to its nearest remaining ancestors.
 * The annotations of removed terms are then dropped.
 */
static int splice(build *b, go_reconnect mode, int move, cp_error *err)
{
	runs *u = &b->up;
	edge *e = NULL;
	size_t m = 0, n_ann = b->n_ann;

	reset_marks(b);
	for (size_t i = b->n_order; i-- > 0;) {
		int32_t t = b->order[i];

		u->begin[t] = u->n;
		for (int64_t k = b->pptr[t]; k < b->pptr[t + 1]; k++) {
			int32_t p = b->pidx[k];
			uint8_t r = b->prel[k];

			if (!b->removed[p]) {
				if (run_add(b, t, p, r, err) < 0)
					return -1;
				continue;
			}
			if (mode == GO_RECONNECT_ROOT && !b->removed[t])
				continue;
			for (size_t j = u->begin[p]; j < u->end[p]; j++)
				if (run_add(b, t, u->term[j], r > u->relation[j] ? r : u->relation[j],
					    err) < 0)
					return -1;
		}
		u->end[t] = u->n;
	}
	if (!(e = cp_malloc(u->n + 1, sizeof *e, err)))
		return -1;
	for (size_t i = 0; i < b->n_order; i++) {
		int32_t t = b->order[i];

		if (b->removed[t])
			continue;
		for (size_t j = u->begin[t]; j < u->end[t]; j++)
			e[m++] = (edge){ t, u->term[j], u->relation[j] };
	}
	if (set_parents(b, e, m, err) < 0) {
		free(e);
		return -1;
	}
	free(e);
	for (size_t i = 0; move && i < n_ann; i++) {
		annot a = b->ann[i];

		if (!b->removed[a.term])
			continue;
		for (size_t j = u->begin[a.term]; j < u->end[a.term]; j++) {
			annot up = a;

			up.term = u->term[j];
			if (add_annotation(b, up, err) < 0)
				return -1;
		}
	}
	for (size_t t = 0; t < b->n; t++) {
		if (b->removed[t])
			b->keep[t] = 0;
		b->removed[t] = 0;
	}
	index_annotations(b);
	return order_terms(b, err);
}

/* Tie each kept term without a path to its namespace root to it (to ROOT
 * when that root is gone).  Returns the number tied, -1 on error. */
static int64_t tie_to_roots(build *b, cp_error *err)
{
	uint8_t *reach = b->removed;	/* all zero between filters */
	size_t m;
	int64_t tied = 0;
	edge *e = edge_list(b, b->n_order, &m, err);

	if (!e)
		return -1;
	for (size_t i = b->n_order; i-- > 0;) {
		int32_t t = b->order[i], target;
		uint8_t r = 0, need;

		if (t == b->root) {
			reach[t] = 8;
			continue;
		}
		for (int64_t k = b->pptr[t]; k < b->pptr[t + 1]; k++)
			r |= reach[b->pidx[k]];
		if (b->is_ns_root[t])
			r |= (uint8_t)(1u << b->ns[t]);
		target = b->ns_root[b->ns[t]];
		if (target < 0 || !b->keep[target])
			target = b->root;
		need = target == b->root ? 8 : (uint8_t)(1u << b->ns[t]);
		if (!(r & need)) {
			e[m++] = (edge){ t, target, GO_IS_A };
			r |= need | 8;
			tied++;
		}
		reach[t] = r;
	}
	memset(reach, 0, b->n);
	if (set_parents(b, e, m, err) < 0) {
		free(e);
		return -1;
	}
	free(e);
	if (order_terms(b, err) < 0)
		return -1;
	return tied;
}

static int filter_direct(build *b, cp_error *err)
{
	int64_t n = 0, tied;

	for (size_t t = 0; t < b->n; t++)
		if (b->keep[t] && (int32_t)t != b->root && !b->is_ns_root[t] &&
		    b->aptr[t + 1] == b->aptr[t]) {
			b->removed[t] = 1;
			n++;
		}
	b->st[GO_STAT_REMOVED_DIRECT] += n;
	if (splice(b, b->opt->reconnect, 0, err) < 0 || (tied = tie_to_roots(b, err)) < 0)
		return -1;
	b->st[GO_STAT_TIED_DIRECT] += tied;
	return 0;
}

static int same_direct(const build *b, int32_t s, int32_t t)
{
	int64_t n = b->aptr[s + 1] - b->aptr[s];

	if (n == 0 || n != b->aptr[t + 1] - b->aptr[t])
		return 0;
	for (int64_t k = 0; k < n; k++)
		if (b->ann[b->aptr[s] + k].gene != b->ann[b->aptr[t] + k].gene)
			return 0;
	return 1;
}

/* Redundancy on direct sets: children first, a term is compared with its
 * nearest remaining descendants (its children, or for a removed child that
 * child's own nearest remaining descendants). */
static int mark_direct_redundant(build *b, cp_error *err)
{
	runs *u = &b->up;
	int64_t *cptr = cp_calloc(b->n + 1, sizeof *cptr, err);
	int32_t *child = cp_malloc(b->n_edges + 1, sizeof *child, err);
	int rc = -1;

	if (!cptr || !child)
		goto out;
	for (size_t k = 0; k < b->n_edges; k++)
		cptr[b->pidx[k] + 1]++;
	for (size_t t = 0; t < b->n; t++)
		cptr[t + 1] += cptr[t];
	for (size_t c = 0; c < b->n; c++)
		for (int64_t k = b->pptr[c]; k < b->pptr[c + 1]; k++)
			child[cptr[b->pidx[k]]++] = (int32_t)c;
	for (size_t t = b->n; t-- > 0;)	/* shift the ends back into starts */
		cptr[t + 1] = cptr[t];
	cptr[0] = 0;
	reset_marks(b);
	for (size_t i = 0; i < b->n_order; i++) {
		int32_t t = b->order[i];
		int match = 0;

		u->begin[t] = u->end[t] = u->n;
		if (t == b->root || b->is_ns_root[t] || b->aptr[t + 1] == b->aptr[t])
			continue;
		for (int64_t k = cptr[t]; k < cptr[t + 1]; k++) {
			int32_t c = child[k];

			if (!b->removed[c]) {
				match |= same_direct(b, t, c);
				if (run_add(b, t, c, 0, err) < 0)
					goto out;
				continue;
			}
			for (size_t j = u->begin[c]; j < u->end[c]; j++) {
				match |= same_direct(b, t, u->term[j]);
				if (run_add(b, t, u->term[j], 0, err) < 0)
					goto out;
			}
		}
		if (match) {
			b->removed[t] = 1;
			u->end[t] = u->n;
		} else {
			u->n = u->begin[t];
		}
	}
	rc = 0;
out:
	free(cptr);
	free(child);
	return rc;
}

static int filter_redundancy(build *b, cp_error *err)
{
	int64_t n = 0;

	if (b->opt->redundancy == GO_REDUNDANT_DIRECT) {
		if (mark_direct_redundant(b, err) < 0)
			return -1;
	} else {
		/* a child's contained genes are a subset of its parent's, so
		 * equal sizes mean equal sets */
		if (compute_contained(b, err) < 0)
			return -1;
		for (size_t c = 0; c < b->n; c++)
			if (b->keep[c])
				for (int64_t k = b->pptr[c]; k < b->pptr[c + 1]; k++) {
					int32_t p = b->pidx[k];

					if (!b->is_ns_root[p] && p != b->root && b->count[c] > 0 &&
					    b->count[p] == b->count[c])
						b->removed[p] = 1;
				}
	}
	for (size_t t = 0; t < b->n; t++)
		n += b->removed[t];
	b->st[GO_STAT_REMOVED_REDUNDANT] += n;
	b->st[GO_STAT_ANNOTATIONS_DROPPED] += (int64_t)annotations_of_removed(b);
	return splice(b, GO_RECONNECT_PARENTS, 0, err);
}

static int filter_containment(build *b, cp_error *err)
{
	int64_t n = 0;

	if (compute_contained(b, err) < 0)
		return -1;
	for (size_t t = 0; t < b->n; t++)
		if (b->keep[t] && (int32_t)t != b->root && b->count[t] < b->opt->min_genes) {
			b->removed[t] = 1;
			n++;
		}
	b->st[GO_STAT_REMOVED_CONTAINMENT] += n;
	b->st[GO_STAT_ANNOTATIONS_MOVED] += (int64_t)annotations_of_removed(b);
	return splice(b, GO_RECONNECT_PARENTS, 1, err);
}

/* ---- the result -------------------------------------------------------------- */

typedef struct placed {
	int32_t term, stratum;
	const char *id;
} placed;

static int cmp_placed(const void *x, const void *y)
{
	const placed *a = x, *b = y;

	if (a->stratum != b->stratum)
		return a->stratum < b->stratum ? -1 : 1;
	return strcmp(a->id, b->id);
}

static void *dag_alloc(go_dag *dag, size_t n, size_t size, cp_error *err)
{
	size_t bytes;

	if (cp_mul_size(n ? n : 1, size, &bytes) < 0) {
		cp_error_set(err, "%zu x %zu bytes overflows", n, size);
		return NULL;
	}
	return cp_arena_alloc(&dag->arena, bytes, err);
}

/* Copies of n strings in the DAG's arena. */
static const char **copy_strings(go_dag *dag, size_t n, const char *const *src, cp_error *err)
{
	const char **out = dag_alloc(dag, n, sizeof *out, err);

	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = cp_arena_strndup(&dag->arena, src[i], strlen(src[i]), err)))
			return NULL;
	return out;
}

/* The ids and names of the placed terms, copied into the DAG. */
static int fill_terms(const build *b, go_dag *dag, const placed *terms, cp_error *err)
{
	size_t T = dag->n_terms;
	const char **text = cp_malloc(T, sizeof *text, err);
	int rc = -1;

	if (!text)
		return -1;
	for (size_t i = 0; i < T; i++)
		text[i] = term_id(b, terms[i].term);
	if (!(dag->term_id = copy_strings(dag, T, text, err)))
		goto out;
	for (size_t i = 0; i < T; i++)
		text[i] = terms[i].term == b->root ? "root" : b->obo->terms[terms[i].term].name;
	if (!(dag->term_name = copy_strings(dag, T, text, err)))
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

/* Parents of each placed term as new indices, ascending. */
static int fill_parents(const build *b, go_dag *dag, const placed *terms, const int32_t *index,
			cp_error *err)
{
	size_t T = dag->n_terms, e = 0;

	dag->parent_ptr = dag_alloc(dag, T + 1, sizeof *dag->parent_ptr, err);
	dag->parent = dag_alloc(dag, b->n_edges, sizeof *dag->parent, err);
	dag->parent_rel = dag_alloc(dag, b->n_edges, sizeof *dag->parent_rel, err);
	if (!dag->parent_ptr || !dag->parent || !dag->parent_rel)
		return -1;
	dag->parent_ptr[0] = 0;
	for (size_t i = 0; i < T; i++) {
		int32_t t = terms[i].term;
		size_t first = e;

		for (int64_t k = b->pptr[t]; k < b->pptr[t + 1]; k++) {
			size_t j = e++;

			/* insertion keeps the few parents sorted */
			while (j > first && dag->parent[j - 1] > index[b->pidx[k]]) {
				dag->parent[j] = dag->parent[j - 1];
				dag->parent_rel[j] = dag->parent_rel[j - 1];
				j--;
			}
			dag->parent[j] = index[b->pidx[k]];
			dag->parent_rel[j] = b->prel[k];
		}
		dag->parent_ptr[i + 1] = (int64_t)e;
	}
	return 0;
}

/* Annotations of each placed term, with the evidence codes in use renumbered
 * alphabetically. */
static int fill_genes(const build *b, go_dag *dag, const placed *terms, cp_error *err)
{
	size_t T = dag->n_terms, a = 0, n_used = 0;
	uint8_t renumber[MAX_CODES];
	int used[MAX_CODES] = { 0 };
	const char **codes;

	for (size_t i = 0; i < b->n_ann; i++)
		used[b->ann[i].evidence] = 1;
	codes = dag_alloc(dag, b->n_codes, sizeof *codes, err);
	dag->gene_ptr = dag_alloc(dag, T + 1, sizeof *dag->gene_ptr, err);
	dag->gene = dag_alloc(dag, b->n_ann, sizeof *dag->gene, err);
	dag->evidence = dag_alloc(dag, b->n_ann, sizeof *dag->evidence, err);
	dag->date = dag_alloc(dag, b->n_ann, sizeof *dag->date, err);
	if (!codes || !dag->gene_ptr || !dag->gene || !dag->evidence || !dag->date)
		return -1;
	for (size_t c = 0; c < b->n_codes; c++) {
		uint8_t rank = 0;

		if (!used[c])
			continue;
		for (size_t d = 0; d < b->n_codes; d++)
			rank += used[d] && strcmp(b->codes[d], b->codes[c]) < 0;
		renumber[c] = rank;
		if (!(codes[rank] = cp_arena_strndup(&dag->arena, b->codes[c], strlen(b->codes[c]),
						     err)))
			return -1;
		n_used++;
	}
	dag->evidence_codes = codes;
	dag->n_evidence_codes = n_used;
	dag->gene_ptr[0] = 0;
	for (size_t i = 0; i < T; i++) {
		int32_t t = terms[i].term;

		for (int64_t k = b->aptr[t]; k < b->aptr[t + 1]; k++, a++) {
			dag->gene[a] = b->ann[k].gene;
			dag->evidence[a] = renumber[b->ann[k].evidence];
			dag->date[a] = b->ann[k].date;
		}
		dag->gene_ptr[i + 1] = (int64_t)a;
	}
	return 0;
}

void go_build_count(const go_dag *dag, int64_t *st)
{
	int64_t leaves = 0;

	for (size_t i = 0; i < dag->n_terms; i++)
		leaves += dag->stratum[i] == 0;
	st[GO_STAT_TERMS] = (int64_t)dag->n_terms;
	st[GO_STAT_EDGES] = dag->parent_ptr[dag->n_terms];
	st[GO_STAT_LEAVES] = leaves;
	st[GO_STAT_STRATA] = (int64_t)dag->n_strata;
	st[GO_STAT_ANNOTATIONS] = dag->gene_ptr[dag->n_terms];
	st[GO_STAT_GENES_ANNOTATED] = dag->n_contained[dag->root];
}

static int finish(build *b, go_dag *dag, cp_error *err)
{
	size_t T = b->n_order;
	placed *terms = NULL;
	int32_t *index = b->mark;
	int rc = -1;

	if (T <= 1)
		return cp_error_set(err, "%s: no term is left after the filters", b->obo->path);
	if (compute_contained(b, err) < 0 || !(terms = cp_malloc(T, sizeof *terms, err)))
		return -1;
	/* strata: children come first in the order, so a term's is final
	 * before it is pushed to its parents */
	memset(b->nchild, 0, b->n * sizeof *b->nchild);
	for (size_t i = 0; i < T; i++) {
		int32_t t = b->order[i];

		for (int64_t k = b->pptr[t]; k < b->pptr[t + 1]; k++)
			if (b->nchild[b->pidx[k]] < b->nchild[t] + 1)
				b->nchild[b->pidx[k]] = b->nchild[t] + 1;
		terms[i] = (placed){ t, b->nchild[t], term_id(b, t) };
	}
	cp_sort(terms, T, sizeof *terms, cmp_placed);
	for (size_t i = 0; i < T; i++)
		index[terms[i].term] = (int32_t)i;
	dag->n_genes = b->g->n;
	dag->genome_hash = b->g->hash;
	dag->n_terms = T;
	dag->root = (int32_t)T - 1;
	dag->n_strata = (size_t)terms[T - 1].stratum + 1;
	if (!(dag->genes = copy_strings(dag, b->g->n, b->g->names, err)) ||
	    fill_terms(b, dag, terms, err) < 0 ||
	    !(dag->ns = dag_alloc(dag, T, sizeof *dag->ns, err)) ||
	    !(dag->stratum = dag_alloc(dag, T, sizeof *dag->stratum, err)) ||
	    !(dag->n_contained = dag_alloc(dag, T, sizeof *dag->n_contained, err)) ||
	    !(dag->stratum_ptr = dag_alloc(dag, dag->n_strata + 1, sizeof *dag->stratum_ptr, err)))
		goto out;
	memset(dag->stratum_ptr, 0, (dag->n_strata + 1) * sizeof *dag->stratum_ptr);
	for (size_t i = 0; i < T; i++) {
		dag->ns[i] = (uint8_t)b->ns[terms[i].term];
		dag->stratum[i] = terms[i].stratum;
		dag->n_contained[i] = b->count[terms[i].term];
		dag->stratum_ptr[terms[i].stratum + 1]++;
	}
	for (size_t s = 0; s < dag->n_strata; s++)
		dag->stratum_ptr[s + 1] += dag->stratum_ptr[s];
	if (fill_parents(b, dag, terms, index, err) < 0 || fill_genes(b, dag, terms, err) < 0)
		goto out;
	go_build_count(dag, b->st);
	if (dag->gene_ptr[T] == 0) {
		cp_error_set(err, "%s: no annotation is left after the filters", b->obo->path);
		goto out;
	}
	rc = go_dag_check(dag, "the built DAG", err);
out:
	free(terms);
	return rc;
}

int go_build(const obo_ontology *obo, const genome *g, const char *gaf_path,
	     const go_build_options *opt, go_dag *dag, int64_t *stats, cp_error *err)
{
	int64_t local[GO_STAT_COUNT];
	build b;
	int rc = -1;

	go_dag_init(dag);
	memset(&b, 0, sizeof b);
	b.obo = obo;
	b.g = g;
	b.opt = opt;
	b.st = stats ? stats : local;
	memset(b.st, 0, GO_STAT_COUNT * sizeof *b.st);
	if (init_graph(&b, err) < 0 || read_annotations(&b, gaf_path, err) < 0)
		goto out;
	rank_codes(&b);
	index_annotations(&b);
	b.st[GO_STAT_ANNOTATIONS_UNIQUE] = (int64_t)b.n_ann;
	for (size_t i = 0; i < opt->n_filters; i++) {
		int r = opt->filters[i] == GO_FILTER_DIRECT ? filter_direct(&b, err) :
			opt->filters[i] == GO_FILTER_REDUNDANCY ? filter_redundancy(&b, err) :
			filter_containment(&b, err);

		if (r < 0)
			goto out;
	}
	rc = finish(&b, dag, err);
out:
	build_free(&b);
	if (rc < 0)
		go_dag_free(dag);
	return rc;
}
