/* experiments.c - the experiments table, one experiment at a time. */
#define _GNU_SOURCE
#include "experiments.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpz.h"
#include "textio.h"

enum { COL_GENES, COL_ID, COL_SOURCE, COL_ENVIRONMENT, COL_ALLELE, COL_LABEL0,
       N_COLUMNS = COL_LABEL0 + PERT_N_LABELS };
static const char *const column_names[COL_LABEL0] = { "genes", "id", "source", "environment", "allele" };

/*
 * Identifiers seen before, by their exact text: a direct-mapped cache in
 * front of the genome's map.  The map is large and case-insensitive, and a
 * lookup in it costs two cache misses; screens name the same few thousand
 * genes again and again, and this table fits in a core's L2 cache.
 */
#define ID_CACHE_BITS 14
#define ID_CACHE_LEN 16
typedef struct {
	char id[ID_CACHE_LEN];
	int32_t gene;		/* -1: empty */
} id_cache_entry;

struct experiment_reader {
	cp_input *in;
	const genome *g;
	int skip_unknown;
	size_t n_columns;		/* in the header */
	long column[N_COLUMNS];		/* index of each known column, -1 if absent */
	char **fields;			/* n_columns + 1 */
	int32_t *genes;
	size_t cap_genes;
	size_t skipped;
	cp_error first_skip;
	id_cache_entry *cache;	/* 1 << ID_CACHE_BITS */
};

static const char *column_name(int c)
{
	return c < COL_LABEL0 ? column_names[c] : pert_label_names[c - COL_LABEL0];
}

static int read_header(experiment_reader *r, cp_error *err)
{
	char *line;
	size_t len;
	int rc;

	while ((rc = cp_input_getline(r->in, &line, &len, err)) == 1)
		if (line[0] != '#' && line[strspn(line, " \t")] != '\0')
			break;
	if (rc < 0)
		return -1;
	if (rc == 0)
		return cp_error_set(err, "%s: empty: no header line (the columns: genes, and optionally "
				    "id source environment allele and the labels)", cp_input_name(r->in));
	r->n_columns = cp_split(line, '\t', NULL, 0);
	r->fields = cp_calloc(r->n_columns + 1, sizeof *r->fields, err);
	if (!r->fields)
		return -1;
	cp_split(line, '\t', r->fields, r->n_columns);
	for (int c = 0; c < N_COLUMNS; c++)
		r->column[c] = -1;
	for (size_t k = 0; k < r->n_columns; k++)
		for (int c = 0; c < N_COLUMNS; c++) {
			if (strcmp(r->fields[k], column_name(c)) != 0)
				continue;
			if (r->column[c] >= 0)
				return cp_error_set(err, "%s:%zu: column '%s' appears twice in the header",
						    cp_input_name(r->in), cp_input_lineno(r->in), column_name(c));
			r->column[c] = (long)k;
		}
	if (r->column[COL_GENES] < 0)
		return cp_error_set(err, "%s:%zu: no column 'genes' in the header (the deleted genes, "
				    "separated by ',')", cp_input_name(r->in), cp_input_lineno(r->in));
	return 0;
}

experiment_reader *experiment_reader_open(const char *path, const genome *g, int skip_unknown,
					  cp_error *err)
{
	experiment_reader *r = cp_calloc(1, sizeof *r, err);

	if (!r)
		return NULL;
	r->g = g;
	r->skip_unknown = skip_unknown;
	r->cache = cp_malloc((size_t)1 << ID_CACHE_BITS, sizeof *r->cache, err);
	if (!r->cache) {
		free(r);
		return NULL;
	}
	for (size_t k = 0; k < (size_t)1 << ID_CACHE_BITS; k++)
		r->cache[k].gene = -1;
	r->in = cp_input_open(path, err);
	if (!r->in || read_header(r, err) < 0) {
		experiment_reader_close(r);
		return NULL;
	}
	return r;
}

void experiment_reader_close(experiment_reader *r)
{
	if (!r)
		return;
	cp_input_close(r->in);
	free(r->fields);
	free(r->genes);
	free(r->cache);
	free(r);
}

size_t experiment_reader_skipped(const experiment_reader *r)
{
	return r->skipped;
}

const char *experiment_reader_first_skip(const experiment_reader *r)
{
	return r->first_skip.msg;
}

const char *experiment_reader_name(const experiment_reader *r)
{
	return cp_input_name(r->in);
}

static const char *cell(const experiment_reader *r, int c)
{
	return r->column[c] >= 0 ? r->fields[r->column[c]] : "";
}

/* The gene of an identifier of len bytes, through the cache. */
static int32_t lookup(experiment_reader *r, const char *id, size_t len)
{
	char key[ID_CACHE_LEN] = { 0 };
	uint64_t a, b, h;
	id_cache_entry *e;
	int32_t gene;

	if (len >= ID_CACHE_LEN)
		return genome_lookupn(r->g, id, len);
	memcpy(key, id, len);
	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	h = (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL);
	e = &r->cache[(h ^ (h >> 29)) >> (64 - ID_CACHE_BITS)];
	if (e->gene >= 0 && memcmp(e->id, key, ID_CACHE_LEN) == 0)
		return e->gene;
	gene = genome_lookupn(r->g, id, len);
	if (gene >= 0) {
		memcpy(e->id, key, ID_CACHE_LEN);
		e->gene = gene;
	}
	return gene;
}

/* Parse the genes cell into r->genes.  Returns 0, -1 on error, or 1 for an
 * identifier that did not map (err says which). */
static int parse_genes(experiment_reader *r, char *text, size_t *n_out, cp_error *err)
{
	const char *name = cp_input_name(r->in);
	size_t line = cp_input_lineno(r->in), n = 0;
	char *p = text;

	for (;;) {
		char *start = p, *end;
		int32_t gene;

		p += strcspn(p, ",");
		end = p;
		while (*start == ' ')
			start++;
		while (end > start && end[-1] == ' ')
			end--;
		if (end == start)
			return cp_error_set(err, "%s:%zu: column 'genes': %s", name, line,
					    *text ? "an empty gene name (',' twice, or at an end)" :
					    "no deleted gene");
		gene = lookup(r, start, (size_t)(end - start));
		if (gene < 0) {
			cp_error_set(err, "%s:%zu: column 'genes': %s gene '%.*s'", name, line,
				     gene == GENOME_AMBIGUOUS ? "ambiguous (several genes have the name)" :
				     "unknown", (int)(end - start > 100 ? 100 : end - start), start);
			return 1;
		}
		for (size_t k = 0; k < n; k++)
			if (r->genes[k] == gene)
				return cp_error_set(err, "%s:%zu: column 'genes': gene %s is deleted twice "
						    "(as '%.*s')", name, line, r->g->names[gene],
						    (int)(end - start > 100 ? 100 : end - start), start);
		if (n == r->cap_genes) {
			size_t cap = r->cap_genes ? r->cap_genes * 2 : 8;
			int32_t *q = cp_realloc(r->genes, cap, sizeof *q, err);

			if (!q)
				return -1;
			r->genes = q;
			r->cap_genes = cap;
		}
		r->genes[n++] = gene;
		if (!*p)
			break;
		p++;
	}
	*n_out = n;
	return 0;
}

/* Whether a number's text has a digit other than 0 before its exponent. */
static int nonzero_mantissa(const char *text)
{
	for (; *text && *text != 'e' && *text != 'E'; text++)
		if (*text >= '1' && *text <= '9')
			return 1;
	return 0;
}

static int parse_labels(experiment_reader *r, experiment *e, cp_error *err)
{
	for (int k = 0; k < PERT_N_LABELS; k++) {
		const char *text = cell(r, COL_LABEL0 + k);
		double d;
		float f;

		if (cpz_parse_value(CPZ_F64, text, &d) < 0 || isinf(d))
			return cp_error_set(err, "%s:%zu: column '%s': '%.40s' is not a number (empty, NA or "
					    "nan for a missing value)", cp_input_name(r->in),
					    cp_input_lineno(r->in), pert_label_names[k], text);
		f = (float)d;
		if (isinf(f))
			return cp_error_set(err, "%s:%zu: column '%s': %.40s is beyond single precision's "
					    "range (%g)", cp_input_name(r->in), cp_input_lineno(r->in),
					    pert_label_names[k], text, (double)FLT_MAX);
		e->label[k] = f;
		/* stored as a subnormal or as 0 though not 0 in the table (also
		 * when already double precision's range ends above it) */
		if ((f != 0 && fabsf(f) < FLT_MIN) || (f == 0 && nonzero_mantissa(text)))
			e->tiny |= 1u << k;
	}
	if (e->label[PERT_FITNESS_STD] < 0)
		return cp_error_set(err, "%s:%zu: column '%s': %g is negative", cp_input_name(r->in),
				    cp_input_lineno(r->in), pert_label_names[PERT_FITNESS_STD],
				    e->label[PERT_FITNESS_STD]);
	if (e->label[PERT_GENE_INTERACTION_P] < 0 || e->label[PERT_GENE_INTERACTION_P] > 1)
		return cp_error_set(err, "%s:%zu: column '%s': %g is not a probability in [0, 1]",
				    cp_input_name(r->in), cp_input_lineno(r->in),
				    pert_label_names[PERT_GENE_INTERACTION_P], e->label[PERT_GENE_INTERACTION_P]);
	return 0;
}

static size_t allele_entries(const char *a)
{
	size_t n = 1;

	for (; *a; a++)
		n += *a == ',';
	return n;
}

int experiment_is_deletion(const experiment *e)
{
	const char *a = e->allele ? e->allele : "";

	/* one entry per gene, joined by ','; a gene's kinds joined by '|'; an
	 * empty entry (or NA) is not stated; blanks around a kind are not
	 * part of it */
	for (;;) {
		size_t len = strcspn(a, ",|"), start = strspn(a, " "), end = len;

		while (end > start && a[end - 1] == ' ')
			end--;
		if (end > start && !(end - start == 8 && strncasecmp(a + start, "deletion", 8) == 0) &&
		    !(end - start == 2 && strncasecmp(a + start, "NA", 2) == 0))
			return 0;
		if (!a[len])
			return 1;
		a += len + 1;
	}
}

int experiment_reader_next(experiment_reader *r, experiment *e, cp_error *err)
{
	char *line;
	size_t len, nf;
	int rc;

	while ((rc = cp_input_getline(r->in, &line, &len, err)) == 1) {
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		nf = cp_split(line, '\t', r->fields, r->n_columns);
		if (nf != r->n_columns)
			return cp_error_set(err, "%s:%zu: %zu fields, but the header has %zu",
					    cp_input_name(r->in), cp_input_lineno(r->in), nf, r->n_columns);
		rc = parse_genes(r, r->fields[r->column[COL_GENES]], &e->n_genes, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			if (!r->skip_unknown)
				return -1;
			if (r->skipped++ == 0)
				r->first_skip = *err;
			continue;
		}
		e->tiny = 0;
		if (parse_labels(r, e, err) < 0)
			return -1;
		e->line = cp_input_lineno(r->in);
		e->genes = r->genes;
		e->id = cell(r, COL_ID);
		e->source = cell(r, COL_SOURCE);
		e->environment = cell(r, COL_ENVIRONMENT);
		e->allele = cell(r, COL_ALLELE);
		if (*e->allele && allele_entries(e->allele) != e->n_genes)
			return cp_error_set(err, "%s:%zu: column 'allele': %zu entr%s for %zu gene%s (one per "
					    "gene, in their order, joined by commas; empty when not stated)",
					    cp_input_name(r->in), cp_input_lineno(r->in),
					    allele_entries(e->allele), allele_entries(e->allele) == 1 ? "y" : "ies",
					    e->n_genes, e->n_genes == 1 ? "" : "s");
		/* the text the samples carry is UTF-8: said here, by line and column */
		for (int c = COL_ID; c <= COL_ALLELE; c++)
			if (cpz_text_defect(cell(r, c), strlen(cell(r, c))))
				return cp_error_set(err, "%s:%zu: column '%s': not UTF-8 text",
						    cp_input_name(r->in), cp_input_lineno(r->in),
						    column_names[c]);
		return 1;
	}
	return rc;
}
