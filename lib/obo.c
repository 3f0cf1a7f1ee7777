/* obo.c - the OBO 1.2/1.4 reader. */
#define _GNU_SOURCE
#include "obo.h"

#include <stdlib.h>
#include <string.h>

#include "go_dag.h"
#include "textio.h"

#define POOL_CHUNK (256 * 1024)

/* A tag naming another term, resolved once every id is known. */
typedef struct pending {
	int32_t term;
	uint8_t relation;	/* edges only */
	uint32_t line;
	const char *target;
} pending;

typedef struct pending_list {
	pending *items;
	size_t n, cap;
} pending_list;

typedef struct parser {
	obo_ontology *o;
	cp_input *in;
	const char *name;
	/* strings are carved from arena chunks, unaligned */
	char *chunk;
	size_t chunk_left;
	size_t terms_cap;
	pending_list edges, alts, replaced;
	/* the stanza being read */
	int in_term;
	int32_t term;		/* index of the open [Term], -1 before its id */
	size_t stanza_line;
	const char *ns_text;	/* its namespace tag, NULL when none yet */
	int obsolete;
	const char *name_text;
	const char *default_ns;
} parser;

void obo_init(obo_ontology *o)
{
	memset(o, 0, sizeof *o);
	o->format_version = o->data_version = "";
	cp_arena_init(&o->arena);
}

void obo_free(obo_ontology *o)
{
	if (!o)
		return;
	cp_strmap_free(o->ids);
	free(o->terms);
	free(o->path);
	cp_arena_free(&o->arena);
	obo_init(o);
}

static char *keep(parser *p, const char *s, size_t len, cp_error *err)
{
	char *dst;

	if (len + 1 > p->chunk_left) {
		size_t size = len + 1 > POOL_CHUNK / 4 ? len + 1 : POOL_CHUNK;

		p->chunk = cp_arena_alloc(&p->o->arena, size, err);
		if (!p->chunk)
			return NULL;
		p->chunk_left = size;
	}
	dst = p->chunk;
	memcpy(dst, s, len);
	dst[len] = '\0';
	p->chunk += len + 1;
	p->chunk_left -= len + 1;
	return dst;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Clean a tag's value in place: undo backslash escapes, stop at an
 * unescaped '!' (a comment), drop a trailing unescaped {...} block (OBO 1.4
 * qualifiers) and surrounding blanks.  Returns the new length.
 */
static size_t clean_value(char *v)
{
	size_t w = 0, r = 0;
	long open = -1, close = -1;

	while (is_blank(v[r]))
		r++;
	for (; v[r]; r++) {
		char c = v[r];

		if (c == '\\' && v[r + 1]) {
			c = v[++r];
			v[w++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'W' ? ' ' : c;
			continue;
		}
		if (c == '!')
			break;
		if (c == '{')
			open = (long)w;
		if (c == '}')
			close = (long)w;
		v[w++] = c;
	}
	while (w && is_blank(v[w - 1]))
		w--;
	if (open >= 0 && close == (long)w - 1 && close > open) {
		w = (size_t)open;
		while (w && is_blank(v[w - 1]))
			w--;
	}
	v[w] = '\0';
	return w;
}

/* The next blank-separated word of *s (advanced past it), or NULL. */
static char *next_word(char **s)
{
	char *p = *s, *start;

	while (is_blank(*p))
		p++;
	if (!*p)
		return NULL;
	start = p;
	while (*p && !is_blank(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return start;
}

static int grow(void **items, size_t *cap, size_t n, size_t size, cp_error *err)
{
	void *q;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 1024;
	q = cp_realloc(*items, want, size, err);
	if (!q)
		return -1;
	*items = q;
	*cap = want;
	return 0;
}

static int add_pending(parser *p, pending_list *list, const char *target, uint8_t relation,
		       cp_error *err)
{
	pending *e;

	if (grow((void **)&list->items, &list->cap, list->n, sizeof *list->items, err) < 0)
		return -1;
	e = &list->items[list->n];
	e->term = p->term;
	e->relation = relation;
	e->line = (uint32_t)cp_input_lineno(p->in);
	e->target = keep(p, target, strlen(target), err);
	if (!e->target)
		return -1;
	list->n++;
	return 0;
}

static int parse_namespace(const char *text)
{
	for (int k = 0; k < GO_ROOT_NAMESPACE; k++)
		if (strcmp(text, go_namespace_names[k]) == 0)
			return k;
	return -1;
}

/* Close the open [Term] stanza: it needs an id, a name (OBO 1.2 requires
 * one) and, when live, a namespace. */
static int end_stanza(parser *p, cp_error *err)
{
	obo_term *t;
	const char *ns_text;

	if (!p->in_term)
		return 0;
	p->in_term = 0;
	if (p->term < 0)
		return cp_error_set(err, "%s:%zu: [Term] without id", p->name, p->stanza_line);
	t = &p->o->terms[p->term];
	t->obsolete = p->obsolete;
	if (!p->name_text || !*p->name_text)
		return cp_error_set(err, "%s:%zu: term %s has no name", p->name, p->stanza_line, t->id);
	t->name = p->name_text;
	ns_text = p->ns_text ? p->ns_text : p->default_ns;
	t->ns = ns_text ? parse_namespace(ns_text) : -1;
	if (p->obsolete) {
		p->o->n_obsolete++;
		return 0;
	}
	if (!ns_text)
		return cp_error_set(err, "%s:%zu: term %s has no namespace", p->name, p->stanza_line,
				    t->id);
	if (t->ns < 0)
		return cp_error_set(err, "%s:%zu: term %s: namespace '%s' is not biological_process, "
				    "molecular_function or cellular_component", p->name, p->stanza_line,
				    t->id, ns_text);
	return 0;
}

static int start_term(parser *p, const char *id, cp_error *err)
{
	obo_ontology *o = p->o;
	obo_term *t;

	if (p->term >= 0)
		return cp_error_set(err, "%s:%zu: [Term] with a second id '%s'", p->name,
				    cp_input_lineno(p->in), id);
	if (!*id || strpbrk(id, " \t"))
		return cp_error_set(err, "%s:%zu: id '%s' is not an identifier", p->name,
				    cp_input_lineno(p->in), id);
	if (o->n_terms >= INT32_MAX)
		return cp_error_set(err, "%s:%zu: too many terms", p->name, cp_input_lineno(p->in));
	if (grow((void **)&o->terms, &p->terms_cap, o->n_terms, sizeof *o->terms, err) < 0)
		return -1;
	t = &o->terms[o->n_terms];
	memset(t, 0, sizeof *t);
	t->line = p->stanza_line;
	t->id = keep(p, id, strlen(id), err);
	if (!t->id)
		return -1;
	p->term = (int32_t)o->n_terms++;
	return 0;
}

/* One "tag: value" line inside a [Term] stanza. */
static int term_tag(parser *p, const char *tag, char *value, cp_error *err)
{
	size_t line = cp_input_lineno(p->in);
	char *rest = value, *word;

	if (strcmp(tag, "id") == 0)
		return start_term(p, value, err);
	if (p->term < 0 && (strcmp(tag, "is_a") == 0 || strcmp(tag, "relationship") == 0 ||
			    strcmp(tag, "alt_id") == 0 || strcmp(tag, "replaced_by") == 0))
		return cp_error_set(err, "%s:%zu: %s before the term's id", p->name, line, tag);
	if (strcmp(tag, "name") == 0) {
		if (!p->name_text && !(p->name_text = keep(p, value, strlen(value), err)))
			return -1;
		return 0;
	}
	if (strcmp(tag, "namespace") == 0) {
		if (p->ns_text)
			return cp_error_set(err, "%s:%zu: a second namespace in the stanza (one term has one)",
					    p->name, line);
		p->ns_text = keep(p, value, strlen(value), err);
		return p->ns_text ? 0 : -1;
	}
	if (strcmp(tag, "is_obsolete") == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return cp_error_set(err, "%s:%zu: is_obsolete is '%s', not true or false", p->name,
					    line, value);
		p->obsolete = strcmp(value, "true") == 0;
		return 0;
	}
	if (strcmp(tag, "is_a") == 0 || strcmp(tag, "alt_id") == 0 ||
	    strcmp(tag, "replaced_by") == 0) {
		word = next_word(&rest);
		if (!word)
			return cp_error_set(err, "%s:%zu: %s without a term id", p->name, line, tag);
		if (tag[0] == 'i')
			return add_pending(p, &p->edges, word, GO_IS_A, err);
		if (tag[0] == 'a') {
			p->o->n_alt_ids++;
			return add_pending(p, &p->alts, word, 0, err);
		}
		return add_pending(p, &p->replaced, word, 0, err);
	}
	if (strcmp(tag, "relationship") == 0) {
		char *type = next_word(&rest);

		word = next_word(&rest);
		if (!type || !word)
			return cp_error_set(err, "%s:%zu: relationship needs a type and a term id",
					    p->name, line);
		if (strcmp(type, "part_of") != 0) {
			p->o->n_other_relations++;
			return 0;
		}
		return add_pending(p, &p->edges, word, GO_PART_OF, err);
	}
	return 0;
}

static int header_tag(parser *p, const char *tag, const char *value, cp_error *err)
{
	const char **slot = strcmp(tag, "format-version") == 0 ? &p->o->format_version :
			    strcmp(tag, "data-version") == 0 ? &p->o->data_version :
			    strcmp(tag, "default-namespace") == 0 ? &p->default_ns : NULL;

	if (!slot)
		return 0;
	*slot = keep(p, value, strlen(value), err);
	return *slot ? 0 : -1;
}

/* The tags read; values of the others are never looked at. */
static const char *const term_tags[] = {
	"id", "name", "namespace", "is_a", "relationship", "alt_id", "is_obsolete", "replaced_by",
	NULL
};
static const char *const header_tags[] = {
	"format-version", "data-version", "default-namespace", NULL
};

static int name_in(const char *tag, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(tag, *names) == 0)
			return 1;
	return 0;
}

static int read_line(parser *p, char *line, cp_error *err)
{
	char *colon, *tag;
	size_t n;

	while (is_blank(*line))
		line++;
	if (!*line || *line == '!')
		return 0;
	if (*line == '[') {
		n = strlen(line);
		while (n && is_blank(line[n - 1]))
			n--;
		if (n < 3 || line[n - 1] != ']')
			return cp_error_set(err, "%s:%zu: malformed stanza header '%s'", p->name,
					    cp_input_lineno(p->in), line);
		if (end_stanza(p, err) < 0)
			return -1;
		line[n - 1] = '\0';
		p->stanza_line = cp_input_lineno(p->in);
		if (strcmp(line + 1, "Term") == 0) {
			p->in_term = 1;
			p->term = -1;
			p->ns_text = p->name_text = NULL;
			p->obsolete = 0;
		} else {
			p->o->n_skipped_stanzas++;
		}
		return 0;
	}
	colon = strchr(line, ':');
	if (!colon || colon == line)
		return cp_error_set(err, "%s:%zu: not a 'tag: value' line: '%.40s'", p->name,
				    cp_input_lineno(p->in), line);
	*colon = '\0';
	tag = line;
	n = strlen(tag);
	while (n && is_blank(tag[n - 1]))
		tag[--n] = '\0';
	if (!(p->in_term ? name_in(tag, term_tags) : p->stanza_line == 0 && name_in(tag, header_tags)))
		return 0;	/* def, synonym, xref ...; or inside a skipped stanza */
	clean_value(colon + 1);
	if (p->in_term)
		return term_tag(p, tag, colon + 1 + strspn(colon + 1, " \t"), err);
	return header_tag(p, tag, colon + 1 + strspn(colon + 1, " \t"), err);
}

static int build_ids(parser *p, cp_error *err)
{
	obo_ontology *o = p->o;
	int64_t old;
	int rc;

	o->ids = cp_strmap_new(0, err);
	if (!o->ids)
		return -1;
	for (size_t i = 0; i < o->n_terms; i++) {
		rc = cp_strmap_put(o->ids, o->terms[i].id, (int64_t)i, &old, err);
		if (rc < 0)
			return -1;
		if (rc)
			return cp_error_set(err, "%s:%zu: term %s is defined twice (first at line %zu)",
					    p->name, o->terms[i].line, o->terms[i].id,
					    o->terms[old].line);
	}
	for (size_t i = 0; i < p->alts.n; i++) {
		const pending *a = &p->alts.items[i];

		rc = cp_strmap_put(o->ids, a->target, a->term, &old, err);
		if (rc < 0)
			return -1;
		if (rc)
			return cp_error_set(err, "%s:%u: alt_id %s of %s is already an id of %s", p->name,
					    a->line, a->target, o->terms[a->term].id, o->terms[old].id);
	}
	return 0;
}

static int build_edges(parser *p, cp_error *err)
{
	obo_ontology *o = p->o;

	o->edges = cp_arena_alloc(&o->arena, (p->edges.n ? p->edges.n : 1) * sizeof *o->edges, err);
	o->replaced_by = cp_arena_alloc(&o->arena, (p->replaced.n ? p->replaced.n : 1) *
					sizeof *o->replaced_by, err);
	if (!o->edges || !o->replaced_by)
		return -1;
	for (size_t i = 0; i < p->edges.n; i++) {
		const pending *e = &p->edges.items[i];
		obo_term *child = &o->terms[e->term];
		int32_t parent = obo_lookup(o, e->target);

		if (i == 0 || p->edges.items[i - 1].term != e->term)
			child->edge_begin = child->edge_end = o->n_edges;
		if (parent < 0 || o->terms[parent].obsolete) {
			o->n_edges_dropped++;
			continue;
		}
		o->edges[o->n_edges].parent = parent;
		o->edges[o->n_edges].relation = e->relation;
		o->edges[o->n_edges].line = e->line;
		child->edge_end = ++o->n_edges;
	}
	for (size_t i = 0; i < p->replaced.n; i++) {
		const pending *e = &p->replaced.items[i];
		obo_term *t = &o->terms[e->term];
		int32_t target = obo_lookup(o, e->target);

		if (i == 0 || p->replaced.items[i - 1].term != e->term)
			t->replaced_begin = t->replaced_end = o->n_replaced;
		if (target < 0)
			continue;
		o->replaced_by[o->n_replaced] = target;
		t->replaced_end = ++o->n_replaced;
	}
	return 0;
}

int obo_read(obo_ontology *o, const char *path, cp_error *err)
{
	parser p;
	char *line;
	size_t len;
	int rc = -1, got;

	obo_init(o);
	memset(&p, 0, sizeof p);
	p.o = o;
	p.term = -1;
	p.in = cp_input_open(path, err);
	if (!p.in)
		return -1;
	p.name = cp_input_name(p.in);
	o->path = cp_strdup(p.name, err);
	if (!o->path)
		goto out;
	while ((got = cp_input_getline(p.in, &line, &len, err)) == 1)
		if (read_line(&p, line, err) < 0)
			goto out;
	if (got < 0 || end_stanza(&p, err) < 0)
		goto out;
	o->bytes = cp_input_bytes(p.in);
	if (o->n_terms == 0) {
		cp_error_set(err, "%s: no [Term] stanzas: not an OBO file?", p.name);
		goto out;
	}
	if (build_ids(&p, err) < 0 || build_edges(&p, err) < 0)
		goto out;
	rc = 0;
out:
	free(p.edges.items);
	free(p.alts.items);
	free(p.replaced.items);
	cp_input_close(p.in);
	if (rc < 0)
		obo_free(o);
	return rc;
}

int32_t obo_lookupn(const obo_ontology *o, const char *id, size_t len)
{
	int64_t v;

	if (!o->ids || !cp_strmap_getn(o->ids, id, len, &v))
		return -1;
	return (int32_t)v;
}

int32_t obo_lookup(const obo_ontology *o, const char *id)
{
	return obo_lookupn(o, id, strlen(id));
}

static int contains(const int32_t *list, size_t n, int32_t x)
{
	for (size_t k = 0; k < n; k++)
		if (list[k] == x)
			return 1;
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

size_t obo_replacements(const obo_ontology *o, int32_t term, int32_t *out, size_t max,
			int32_t *queue)
{
	/* breadth first over replaced_by, every term once: the queue holds the
	 * term and distinct replaced_by targets, so n_replaced + 1 at most */
	size_t head = 0, tail = 0, n = 0;

	queue[tail++] = term;
	while (head < tail) {
		int32_t cur = queue[head++];
		const obo_term *t = &o->terms[cur];

		if (!t->obsolete) {
			if (n < max && !contains(out, n, cur))
				out[n++] = cur;
			continue;
		}
		for (size_t r = t->replaced_begin; r < t->replaced_end; r++)
			if (!contains(queue, tail, o->replaced_by[r]))
				queue[tail++] = o->replaced_by[r];
	}
	cp_sort(out, n, sizeof *out, cmp_i32);
	return n;
}
