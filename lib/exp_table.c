/* exp_table.c - the experiments TSV: rows, reading, writing, merging. */
#define _GNU_SOURCE
#include "exp_table.h"

#include <inttypes.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extsort.h"
#include "textio.h"

const char *const exp_columns[EXP_N_COLUMNS] = {
	"genes", "environment", "allele", "fitness", "fitness_std", "gene_interaction",
	"gene_interaction_p_value", "count", "id", "source"
};

enum { COL_GENES, COL_ENVIRONMENT, COL_ALLELE, COL_LABEL0, COL_COUNT = COL_LABEL0 + PERT_N_LABELS,
       COL_ID, COL_SOURCE };

void exp_row_init(exp_row *row)
{
	memset(row, 0, sizeof *row);
	row->environment = row->id = row->source = "";
	for (int k = 0; k < PERT_N_LABELS; k++)
		row->label[k] = NAN;
	row->count = 1;
	for (int i = 0; i < EXP_MAX_GENES; i++)
		row->allele[i] = "";
}

static inline unsigned char upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c;
}

/* Compare n bytes of a and b as their ASCII upper-case. */
static int upper_compare(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = upper((unsigned char)a[i]), y = upper((unsigned char)b[i]);

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* Gene names in upper case first (SGD's names are case-insensitive), then
 * as spelled, so every spelling of a set of genes sorts alike. */
static int name_compare(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int c = upper_compare(a, b, la < lb ? la : lb);

	if (c)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int exp_row_sort(exp_row *row, cp_error *err)
{
	for (size_t i = 1; i < row->n_genes; i++) {
		const char *g = row->genes[i], *a = row->allele[i];
		size_t j = i;

		for (; j > 0 && name_compare(row->genes[j - 1], g) > 0; j--) {
			row->genes[j] = row->genes[j - 1];
			row->allele[j] = row->allele[j - 1];
		}
		row->genes[j] = g;
		row->allele[j] = a;
	}
	for (size_t i = 1; i < row->n_genes; i++)
		if (cp_strcasecmp_ascii(row->genes[i - 1], row->genes[i]) == 0) {
			if (strcmp(row->genes[i - 1], row->genes[i]) == 0)
				return cp_error_set(err, "gene %s listed twice", row->genes[i]);
			return cp_error_set(err, "gene %s listed twice (as %s)", row->genes[i - 1],
					    row->genes[i]);
		}
	return 0;
}

static int join_with(const char *const *items, size_t n, const char *sep, cp_buf *out,
		     cp_error *err)
{
	for (size_t i = 0; i < n; i++)
		if ((i && cp_buf_append(out, sep, 1, err) < 0) ||
		    cp_buf_append(out, items[i], strlen(items[i]), err) < 0)
			return -1;
	return 0;
}

static int join(const char *const *items, size_t n, cp_buf *out, cp_error *err)
{
	return join_with(items, n, ",", out, err);
}

int exp_row_join_genes(const exp_row *row, cp_buf *out, cp_error *err)
{
	return join(row->genes, row->n_genes, out, err);
}

/* The allele cell: empty when every allele is unknown. */
static int join_alleles(const exp_row *row, cp_buf *out, cp_error *err)
{
	for (size_t i = 0; i < row->n_genes; i++)
		if (row->allele[i][0])
			return join(row->allele, row->n_genes, out, err);
	return 0;
}

uint64_t exp_genes_hash(const char *genes_cell, size_t len)
{
	unsigned char chunk[256];
	cp_hash64 h;

	cp_hash64_init(&h, EXP_ORDER_SEED);
	while (len) {
		size_t n = len < sizeof chunk ? len : sizeof chunk;

		for (size_t i = 0; i < n; i++)
			chunk[i] = upper((unsigned char)genes_cell[i]);
		cp_hash64_update(&h, chunk, n);
		genes_cell += n;
		len -= n;
	}
	return cp_hash64_final(&h);
}

int exp_genes_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	uint64_t ha = exp_genes_hash(a, alen), hb = exp_genes_hash(b, blen);
	int c;

	if (ha != hb)
		return ha < hb ? -1 : 1;
	c = upper_compare(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

/* ---- writing --------------------------------------------------------------- */

int exp_format_header(cp_buf *out, cp_error *err)
{
	if (join_with(exp_columns, EXP_N_COLUMNS, "\t", out, err) < 0)
		return -1;
	return cp_buf_append(out, "\n", 1, err);
}

/* Decimal digits of n into out (no NUL); returns the count. */
static int u64_digits(uint64_t n, char *out)
{
	char tmp[24];
	int len = 0;

	do {
		tmp[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	for (int i = 0; i < len; i++)
		out[i] = tmp[len - 1 - i];
	return len;
}

/*
 * v as printf's "%.9g" writes it, without printf for the common case: a
 * value between 1e-4 and 1e9 whose shortest decimal form has at most nine
 * significant digits (r / 10^k == v exactly means the decimal r 10^-k reads
 * back as v, and rounding v to nine digits gives that decimal).  Tables of
 * millions of rows spend most of their time here otherwise.
 */
static int format_g9(double v, char out[32])
{
	static const double pow10[10] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
	double a = fabs(v);

	if (a >= 1e-4 && a < 1e9) {
		int int_digits = a >= 1 ? (int)floor(log10(a)) + 1 : 0;

		for (int k = 0; k <= 9 && int_digits + k <= 9; k++) {
			double r = nearbyint(a * pow10[k]);
			uint64_t n, whole, frac;
			int len = 0;

			if (r / pow10[k] != a)
				continue;
			n = (uint64_t)r;
			whole = n / (uint64_t)pow10[k];
			frac = n % (uint64_t)pow10[k];
			if (v < 0)
				out[len++] = '-';
			len += u64_digits(whole, out + len);
			out[len] = '\0';
			if (k) {
				char digits[16];
				int d = k;

				for (int i = k - 1; i >= 0; i--, frac /= 10)
					digits[i] = (char)('0' + frac % 10);
				while (d > 0 && digits[d - 1] == '0')
					d--;
				if (d) {
					out[len++] = '.';
					memcpy(out + len, digits, (size_t)d);
					len += d;
					out[len] = '\0';
				}
			}
			return len;
		}
	}
	return snprintf(out, 32, "%.9g", v);
}

static int append_str(cp_buf *out, const char *s, cp_error *err)
{
	return cp_buf_append(out, s, strlen(s), err);
}

static int format_number(cp_buf *out, double v, cp_error *err)
{
	char num[33];
	int n;

	if (isnan(v))
		return cp_buf_append(out, "\tNA", 3, err);
	num[0] = '\t';
	n = format_g9(v, num + 1);
	return cp_buf_append(out, num, (size_t)n + 1, err);
}

int exp_format_row(const exp_row *row, cp_buf *out, cp_error *err)
{
	char count[32];
	int n = 1;

	if (join(row->genes, row->n_genes, out, err) < 0 || append_str(out, "\t", err) < 0 ||
	    append_str(out, row->environment, err) < 0 || append_str(out, "\t", err) < 0 ||
	    join_alleles(row, out, err) < 0)
		return -1;
	for (int k = 0; k < PERT_N_LABELS; k++)
		if (format_number(out, row->label[k], err) < 0)
			return -1;
	count[0] = '\t';
	n += u64_digits((uint64_t)row->count, count + n);
	count[n++] = '\t';
	if (cp_buf_append(out, count, (size_t)n, err) < 0 || append_str(out, row->id, err) < 0 ||
	    append_str(out, "\t", err) < 0 || append_str(out, row->source, err) < 0)
		return -1;
	return cp_buf_append(out, "\n", 1, err);
}

/* ---- reading --------------------------------------------------------------- */

struct exp_reader {
	cp_input *in;
	int col[EXP_N_COLUMNS];	/* input column of each known column, -1 absent */
	size_t n_header;
	char **fields;
	char *alleles;		/* copy of the allele cell, split in place */
	size_t alleles_cap;
};

static int is_missing(const char *s)
{
	return !*s || strcmp(s, "NA") == 0 || cp_strcasecmp_ascii(s, "nan") == 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		*--e = '\0';
	return s;
}

exp_reader *exp_reader_open(const char *path, cp_error *err)
{
	cp_input *in = cp_input_open(path, err);
	char *line;
	size_t len;
	int rc;

	if (!in)
		return NULL;
	while ((rc = cp_input_getline(in, &line, &len, err)) == 1)
		if (len && line[0] != '#')
			break;
	if (rc == 0)
		cp_error_set(err, "%s: empty, no header line", path);
	if (rc <= 0) {
		cp_input_close(in);
		return NULL;
	}
	return exp_reader_open_input(in, line, err);
}

exp_reader *exp_reader_open_input(cp_input *in, char *header, cp_error *err)
{
	exp_reader *r = calloc(1, sizeof *r);

	if (!r) {
		cp_input_close(in);
		cp_error_set(err, "out of memory");
		return NULL;
	}
	r->in = in;
	r->n_header = cp_split(header, '\t', NULL, 0);
	r->fields = cp_malloc(r->n_header + 1, sizeof *r->fields, err);
	if (!r->fields)
		goto fail;
	cp_split(header, '\t', r->fields, r->n_header);
	for (int c = 0; c < EXP_N_COLUMNS; c++) {
		r->col[c] = -1;
		for (size_t i = 0; i < r->n_header; i++)
			if (strcmp(trim(r->fields[i]), exp_columns[c]) == 0) {
				if (r->col[c] >= 0) {
					cp_error_set(err, "%s:%zu: column '%s' appears twice",
						     cp_input_name(in), cp_input_lineno(in), exp_columns[c]);
					goto fail;
				}
				r->col[c] = (int)i;
			}
	}
	if (r->col[COL_GENES] < 0) {
		cp_error_set(err, "%s:%zu: no column 'genes' in the header", cp_input_name(in),
			     cp_input_lineno(in));
		goto fail;
	}
	return r;
fail:
	exp_reader_close(r);
	return NULL;
}

const char *exp_reader_name(const exp_reader *r)
{
	return cp_input_name(r->in);
}

size_t exp_reader_line(const exp_reader *r)
{
	return cp_input_lineno(r->in);
}

int exp_reader_has_column(const exp_reader *r, const char *name)
{
	for (int c = 0; c < EXP_N_COLUMNS; c++)
		if (strcmp(exp_columns[c], name) == 0)
			return r->col[c] >= 0;
	return 0;
}

void exp_reader_close(exp_reader *r)
{
	if (!r)
		return;
	cp_input_close(r->in);
	free(r->fields);
	free(r->alleles);
	free(r);
}

static int row_error(const exp_reader *r, int col, cp_error *err, const char *fmt, ...)
	CP_PRINTF(4, 5);

static int row_error(const exp_reader *r, int col, cp_error *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cp_error_set(err, "%s:%zu: column '%s': %s", exp_reader_name(r), exp_reader_line(r),
			    exp_columns[col], msg);
}

/* Split a comma list in place into at most EXP_MAX_GENES trimmed items. */
static int split_list(const exp_reader *r, int col, char *cell, const char **items, size_t *n,
		      cp_error *err)
{
	char *parts[EXP_MAX_GENES];
	size_t k = cp_split(cell, ',', parts, EXP_MAX_GENES);

	if (k > EXP_MAX_GENES)
		return row_error(r, col, err, "more than %d entries", EXP_MAX_GENES);
	for (size_t i = 0; i < k; i++)
		items[i] = trim(parts[i]);
	*n = k;
	return 0;
}

int exp_reader_next(exp_reader *r, exp_row *row, cp_error *err)
{
	char *line;
	size_t len, n;
	int rc;

	exp_row_init(row);
	while ((rc = cp_input_getline(r->in, &line, &len, err)) == 1)
		if (len && line[0] != '#')
			break;
	if (rc <= 0)
		return rc;
	n = cp_split(line, '\t', r->fields, r->n_header + 1);
	if (n != r->n_header)
		return cp_error_set(err, "%s:%zu: %zu fields, the header has %zu", exp_reader_name(r),
				    exp_reader_line(r), n, r->n_header);
	if (split_list(r, COL_GENES, r->fields[r->col[COL_GENES]], row->genes, &row->n_genes, err) < 0)
		return -1;
	for (size_t i = 0; i < row->n_genes; i++)
		if (!row->genes[i][0])
			return row_error(r, COL_GENES, err, "an empty gene name");
	if (r->col[COL_ALLELE] >= 0) {
		char *cell = r->fields[r->col[COL_ALLELE]];
		size_t na;

		if (*cell) {
			if (split_list(r, COL_ALLELE, cell, row->allele, &na, err) < 0)
				return -1;
			if (na != row->n_genes)
				return row_error(r, COL_ALLELE, err, "%zu alleles for %zu genes", na,
						 row->n_genes);
		}
	}
	for (int k = 0; k < PERT_N_LABELS; k++) {
		int c = r->col[COL_LABEL0 + k];
		const char *s;

		if (c < 0)
			continue;
		s = trim(r->fields[c]);
		if (!is_missing(s) && cp_parse_f64(s, &row->label[k]) < 0)
			return row_error(r, COL_LABEL0 + k, err, "'%s' is not a number", s);
	}
	if (r->col[COL_COUNT] >= 0) {
		const char *s = trim(r->fields[r->col[COL_COUNT]]);

		if (cp_parse_i64(s, &row->count) < 0 || row->count < 1)
			return row_error(r, COL_COUNT, err, "'%s' is not a count", s);
	}
	if (r->col[COL_ENVIRONMENT] >= 0)
		row->environment = trim(r->fields[r->col[COL_ENVIRONMENT]]);
	if (r->col[COL_ID] >= 0)
		row->id = r->fields[r->col[COL_ID]];
	if (r->col[COL_SOURCE] >= 0)
		row->source = r->fields[r->col[COL_SOURCE]];
	if (exp_row_sort(row, err) < 0)
		return cp_error_prefix(err, "%s:%zu: column 'genes'", exp_reader_name(r),
				       exp_reader_line(r));
	if (exp_row_check(row, err) < 0)
		return cp_error_prefix(err, "%s:%zu", exp_reader_name(r), exp_reader_line(r));
	return 1;
}

/* ---- merging --------------------------------------------------------------- */

/*
 * Rows travel through the external sort as lines:
 *   HASH GENES environment ORDER id source allele count label0..label3 genes
 * (tab-separated; GENES the genes cell in upper case, HASH its XXH64 and the
 * labels' IEEE bit patterns as 16 hex digits, so values come back exactly;
 * genes the cell as the row spells it, empty when that is GENES), so
 * sorting the lines groups each experiment's measurements (the key is the
 * first three fields) and orders the groups; within a group the measurement
 * with the smallest id comes first (ORDER: the id's natural-order key, see
 * append_order_key), and its spelling of the genes is the experiment's.
 */
enum { LINE_HASH, LINE_GENES, LINE_ENV, LINE_ORDER, LINE_ID, LINE_SOURCE, LINE_ALLELE, LINE_COUNT,
       LINE_LABEL0, LINE_SPELLED = LINE_LABEL0 + PERT_N_LABELS, LINE_FIELDS };

/*
 * The id as a key whose byte order is the ids' natural order: each run of
 * digits becomes its length without leading zeros (3 digits) and then those
 * digits, so S1:59672 sorts before S1:116945 and 9 before 10.  A length's
 * first byte is a digit, as the run's first byte was, so a run still sorts
 * against other characters as before.  Ids that differ only in leading
 * zeros tie here, and the id itself, the next field, settles them.
 */
static int append_order_key(cp_buf *out, const char *id, cp_error *err)
{
	while (*id) {
		size_t run = strspn(id, "0123456789"), zeros, len;
		char code[4];

		if (!run) {
			run = strcspn(id, "0123456789");
			if (cp_buf_append(out, id, run, err) < 0)
				return -1;
			id += run;
			continue;
		}
		for (zeros = 0; zeros + 1 < run && id[zeros] == '0'; zeros++)
			;
		len = run - zeros;
		snprintf(code, sizeof code, "%03zu", len < 999 ? len : 999);
		if (cp_buf_append(out, code, 3, err) < 0 || cp_buf_append(out, id + zeros, len, err) < 0)
			return -1;
		id += run;
	}
	return 0;
}

typedef struct {
	double label[PERT_N_LABELS];
	int64_t count;
} measurement;

struct exp_merger {
	cp_extsort *sort;
	cp_buf line;		/* line being built */
	cp_buf key;		/* the current group's key */
	cp_buf first;		/* the group's first line, split into the row's strings */
	cp_buf next;		/* the line read ahead */
	cp_buf scratch;		/* a line's tail, split */
	int have_next, done;
	measurement *group;
	size_t n_group, cap_group;
	size_t n_genes;
	cp_buf kinds[EXP_MAX_GENES];	/* allele kinds seen per gene, '|'-joined */
	cp_buf alleles;			/* the merged allele strings, NUL-separated */
	exp_merge_stats stats;
};

exp_merger *exp_merger_new(size_t memory, cp_error *err)
{
	exp_merger *m = calloc(1, sizeof *m);

	if (!m) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	m->sort = cp_extsort_new(memory, err);
	if (!m->sort) {
		free(m);
		return NULL;
	}
	return m;
}

void exp_merger_free(exp_merger *m)
{
	if (!m)
		return;
	cp_extsort_free(m->sort);
	cp_buf_free(&m->line);
	cp_buf_free(&m->key);
	cp_buf_free(&m->scratch);
	cp_buf_free(&m->first);
	cp_buf_free(&m->next);
	for (int i = 0; i < EXP_MAX_GENES; i++)
		cp_buf_free(&m->kinds[i]);
	cp_buf_free(&m->alleles);
	free(m->group);
	free(m);
}

static int check_text(const char *what, const char *s, const char *also, cp_error *err)
{
	const char *c;

	if (strpbrk(s, "\t\n\r"))
		return cp_error_set(err, "%s '%s' holds a tab or a line break", what, s);
	if (also && (c = strpbrk(s, also)))
		return cp_error_set(err, "%s '%s' holds a %s", what, s, *c == ',' ? "comma" : "space");
	return 0;
}

int exp_row_check(exp_row *row, cp_error *err)
{
	const double *l = row->label;

	if (row->n_genes == 0)
		return cp_error_set(err, "an experiment without genes");
	if (row->count < 1)
		return cp_error_set(err, "count %" PRId64 " is not positive", row->count);
	if (exp_row_sort(row, err) < 0)
		return -1;
	for (size_t i = 0; i < row->n_genes; i++) {
		size_t len = strlen(row->genes[i]);

		if (check_text("gene", row->genes[i], ", ", err) < 0 ||
		    check_text("allele", row->allele[i], ",", err) < 0)
			return -1;
		if (len > EXP_MAX_NAME)
			return cp_error_set(err, "gene '%.40s...': %zu characters, at most %d", row->genes[i],
					    len, EXP_MAX_NAME);
	}
	if (check_text("environment", row->environment, NULL, err) < 0 ||
	    check_text("id", row->id, NULL, err) < 0 || check_text("source", row->source, NULL, err) < 0)
		return -1;
	/* labels: NaN is missing; otherwise finite, a deviation not negative,
	 * a p-value a probability */
	for (int k = 0; k < PERT_N_LABELS; k++)
		if (isinf(l[k]) || fabs(l[k]) > FLT_MAX)
			return cp_error_set(err, "%s is %g, not a finite single-precision number",
					    pert_label_names[k], l[k]);
	if (l[PERT_FITNESS_STD] < 0)
		return cp_error_set(err, "%s %g is negative", pert_label_names[PERT_FITNESS_STD],
				    l[PERT_FITNESS_STD]);
	if (l[PERT_GENE_INTERACTION_P] < 0 || l[PERT_GENE_INTERACTION_P] > 1)
		return cp_error_set(err, "%s %g is not a probability in [0, 1]", pert_label_names[PERT_GENE_INTERACTION_P],
				    l[PERT_GENE_INTERACTION_P]);
	return 0;
}

int exp_merger_add(exp_merger *m, const exp_row *in, cp_error *err)
{
	exp_row row = *in;
	size_t genes_at, genes_len;
	char hash[17];
	int lower = 0;

	if (exp_row_check(&row, err) < 0)
		return -1;
	m->line.len = 0;
	if (cp_buf_append(&m->line, "0123456789abcdef\t", 17, err) < 0)
		return -1;
	genes_at = m->line.len;
	if (exp_row_join_genes(&row, &m->line, err) < 0)
		return -1;
	genes_len = m->line.len - genes_at;
	snprintf(hash, sizeof hash, "%016" PRIx64, exp_genes_hash(m->line.data + genes_at, genes_len));
	memcpy(m->line.data, hash, 16);
	for (size_t i = 0; i < genes_len; i++) {
		unsigned char c = (unsigned char)m->line.data[genes_at + i];

		lower |= c != upper(c);
		m->line.data[genes_at + i] = (char)upper(c);
	}
	if (append_str(&m->line, "\t", err) < 0 || append_str(&m->line, row.environment, err) < 0 ||
	    append_str(&m->line, "\t", err) < 0 || append_order_key(&m->line, row.id, err) < 0 ||
	    append_str(&m->line, "\t", err) < 0 || append_str(&m->line, row.id, err) < 0 ||
	    append_str(&m->line, "\t", err) < 0 || append_str(&m->line, row.source, err) < 0 ||
	    append_str(&m->line, "\t", err) < 0 || join_alleles(&row, &m->line, err) < 0)
		return -1;
	{
		char tail[32 + 17 * PERT_N_LABELS];
		int n = snprintf(tail, 32, "\t%" PRId64, row.count);

		for (int k = 0; k < PERT_N_LABELS; k++) {
			uint64_t bits;

			memcpy(&bits, &row.label[k], sizeof bits);
			tail[n++] = '\t';
			for (int i = 15; i >= 0; i--, bits >>= 4)
				tail[n + i] = "0123456789abcdef"[bits & 15];
			n += 16;
		}
		/* the spelling only when it is not the upper case already */
		if (cp_buf_append(&m->line, tail, (size_t)n, err) < 0 ||
		    cp_buf_append(&m->line, "\t", 1, err) < 0 ||
		    (lower && exp_row_join_genes(&row, &m->line, err) < 0))
			return -1;
	}
	m->stats.rows++;
	return cp_extsort_add(m->sort, m->line.data, m->line.len, err);
}

int exp_merger_finish(exp_merger *m, cp_error *err)
{
	if (cp_extsort_finish(m->sort, err) < 0)
		return -1;
	m->stats.runs = cp_extsort_runs(m->sort);
	return 0;
}

const exp_merge_stats *exp_merger_stats(const exp_merger *m)
{
	return &m->stats;
}

/* Length of the group key: the line up to the tab before the id's order key. */
static size_t key_length(const char *line, size_t len)
{
	int tabs = 0;

	for (size_t i = 0; i < len; i++)
		if (line[i] == '\t' && ++tabs == LINE_ORDER)
			return i;
	return len;
}

/* Add each '|'-separated kind of item to the gene's set. */
static int kinds_add(cp_buf *set, const char *item, size_t len, cp_error *err)
{
	while (len) {
		const char *bar = memchr(item, '|', len);
		size_t n = bar ? (size_t)(bar - item) : len;
		int seen = 0;

		for (const char *t = set->data; n && t && t < set->data + set->len;) {
			const char *e = memchr(t, '|', (size_t)(set->data + set->len - t));
			size_t tl = e ? (size_t)(e - t) : (size_t)(set->data + set->len - t);

			if (tl == n && !memcmp(t, item, n))
				seen = 1;
			t = e ? e + 1 : NULL;
		}
		if (n && !seen && ((set->len && cp_buf_append(set, "|", 1, err) < 0) ||
				   cp_buf_append(set, item, n, err) < 0))
			return -1;
		item += bar ? n + 1 : n;
		len -= bar ? n + 1 : n;
	}
	return 0;
}

/* The allele kinds of one line, gene by gene. */
static int group_kinds(exp_merger *m, const char *cell, size_t len, cp_error *err)
{
	size_t gene = 0;

	if (!len)
		return 0;
	for (;;) {
		const char *comma = memchr(cell, ',', len);
		size_t n = comma ? (size_t)(comma - cell) : len;

		if (gene >= m->n_genes)
			return cp_error_set(err, "malformed merge line");
		if (kinds_add(&m->kinds[gene++], cell, n, err) < 0)
			return -1;
		if (!comma)
			return 0;
		cell += n + 1;
		len -= n + 1;
	}
}

static int parse_measurement(exp_merger *m, const char *line, measurement *out, cp_error *err)
{
	char *f[LINE_FIELDS + 1];
	const char *p = line;
	size_t n;

	/* only the tail from the allele on is parsed */
	for (int tabs = 0; *p && tabs < LINE_ALLELE; p++)
		if (*p == '\t')
			tabs++;
	m->scratch.len = 0;
	if (cp_buf_append(&m->scratch, p, strlen(p) + 1, err) < 0)
		return -1;
	n = cp_split(m->scratch.data, '\t', f, LINE_FIELDS + 1);
	if (n != LINE_FIELDS - LINE_ALLELE || cp_parse_i64(f[1], &out->count) < 0)
		return cp_error_set(err, "malformed merge line");
	for (int k = 0; k < PERT_N_LABELS; k++) {
		char *end;
		uint64_t bits = strtoull(f[2 + k], &end, 16);

		if (*end || end - f[2 + k] != 16)
			return cp_error_set(err, "malformed merge line");
		memcpy(&out->label[k], &bits, sizeof bits);
	}
	return group_kinds(m, f[0], strlen(f[0]), err);
}

static int same_labels(const measurement *a, const measurement *b)
{
	for (int k = 0; k < PERT_N_LABELS; k++) {
		if (isnan(a->label[k]) != isnan(b->label[k]))
			return 0;
		if (!isnan(a->label[k]) && a->label[k] != b->label[k])
			return 0;
	}
	return 1;
}

static int group_add(exp_merger *m, const char *line, cp_error *err)
{
	measurement x;

	if (parse_measurement(m, line, &x, err) < 0)
		return -1;
	for (size_t i = 0; i < m->n_group; i++)
		if (same_labels(&m->group[i], &x)) {
			m->stats.identical++;
			return 0;
		}
	if (m->n_group == m->cap_group) {
		size_t cap = m->cap_group ? 2 * m->cap_group : 8;
		measurement *g = cp_realloc(m->group, cap, sizeof *g, err);

		if (!g)
			return -1;
		m->group = g;
		m->cap_group = cap;
	}
	m->group[m->n_group++] = x;
	return 0;
}

/* The merged labels of the current group. */
static void group_labels(const exp_merger *m, double label[PERT_N_LABELS], int64_t *count)
{
	double wsum[PERT_N_LABELS] = { 0 }, sum[PERT_N_LABELS] = { 0 };
	double sw = 0, ss = 0, sdev = 0, pmax = NAN;

	*count = 0;
	for (size_t i = 0; i < m->n_group; i++) {
		const measurement *x = &m->group[i];
		double w = (double)x->count;

		*count += x->count;
		for (int k = 0; k < PERT_N_LABELS; k++)
			if (!isnan(x->label[k])) {
				wsum[k] += w;
				sum[k] += w * x->label[k];
			}
		if (!isnan(x->label[PERT_FITNESS]) && !isnan(x->label[PERT_FITNESS_STD])) {
			sw += w;
			ss += w * x->label[PERT_FITNESS_STD] * x->label[PERT_FITNESS_STD];
		}
		if (!isnan(x->label[PERT_GENE_INTERACTION_P]) &&
		    !(x->label[PERT_GENE_INTERACTION_P] <= pmax))
			pmax = x->label[PERT_GENE_INTERACTION_P];
	}
	for (int k = 0; k < PERT_N_LABELS; k++)
		label[k] = wsum[k] > 0 ? sum[k] / wsum[k] : NAN;
	/* pooled spread: the mean of the variances (of the measurements that
	 * give one) plus the variance of the means (of all that give a fitness,
	 * about the fitness above); none without a variance to start from */
	label[PERT_FITNESS_STD] = NAN;
	if (sw > 0) {
		double mean = label[PERT_FITNESS];

		for (size_t i = 0; i < m->n_group; i++) {
			const measurement *x = &m->group[i];

			if (!isnan(x->label[PERT_FITNESS]))
				sdev += (double)x->count * (x->label[PERT_FITNESS] - mean) *
					(x->label[PERT_FITNESS] - mean);
		}
		label[PERT_FITNESS_STD] = sqrt(ss / sw + sdev / wsum[PERT_FITNESS]);
	}
	label[PERT_GENE_INTERACTION_P] = pmax;
}

static int compare_cstrings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each gene's kinds, sorted and '|'-joined, into m->alleles; pointers in row. */
static int group_alleles(exp_merger *m, exp_row *row, cp_error *err)
{
	size_t at[EXP_MAX_GENES];

	m->alleles.len = 0;
	for (size_t i = 0; i < m->n_genes; i++) {
		char *items[64];
		size_t n = 0;

		at[i] = m->alleles.len;
		if (m->kinds[i].len)
			n = cp_split(m->kinds[i].data, '|', items, 64);
		if (n > 64)
			return cp_error_set(err, "gene %s has more than 64 allele kinds", row->genes[i]);
		cp_sort(items, n, sizeof *items, compare_cstrings);
		if (join_with((const char *const *)items, n, "|", &m->alleles, err) < 0 ||
		    cp_buf_append(&m->alleles, "", 1, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < m->n_genes; i++)
		row->allele[i] = m->alleles.data + at[i];
	return 0;
}

/* Fill row from the group's first line (kept in m->first) and the group. */
static int group_row(exp_merger *m, exp_row *row, cp_error *err)
{
	char *f[LINE_FIELDS + 1];
	size_t n = cp_split(m->first.data, '\t', f, LINE_FIELDS + 1);

	exp_row_init(row);
	if (n != LINE_FIELDS)
		return cp_error_set(err, "malformed merge line");
	n = cp_split(*f[LINE_SPELLED] ? f[LINE_SPELLED] : f[LINE_GENES], ',', (char **)row->genes,
		     EXP_MAX_GENES);
	if (n != m->n_genes)
		return cp_error_set(err, "malformed merge line");
	row->n_genes = n;
	row->environment = f[LINE_ENV];
	row->id = f[LINE_ID];
	row->source = f[LINE_SOURCE];
	group_labels(m, row->label, &row->count);
	return group_alleles(m, row, err);
}

/* Start a group with the line read ahead. */
static int group_start(exp_merger *m, cp_error *err)
{
	size_t klen = key_length(m->next.data, m->next.len), genes = 1;

	m->first.len = 0;
	m->key.len = 0;
	m->n_group = 0;
	for (const char *p = m->next.data + 17; *p && *p != '\t'; p++)
		genes += *p == ',';
	if (genes > EXP_MAX_GENES)
		return cp_error_set(err, "malformed merge line");
	m->n_genes = genes;
	for (size_t i = 0; i < EXP_MAX_GENES; i++)
		m->kinds[i].len = 0;
	if (cp_buf_append(&m->first, m->next.data, m->next.len, err) < 0 ||
	    cp_buf_append(&m->key, m->next.data, klen, err) < 0)
		return -1;
	m->have_next = 0;
	return group_add(m, m->next.data, err);
}

static int read_ahead(exp_merger *m, const char *line, size_t len, cp_error *err)
{
	m->next.len = 0;
	if (cp_buf_append(&m->next, line, len, err) < 0)
		return -1;
	m->have_next = 1;
	return 0;
}

int exp_merger_next(exp_merger *m, exp_row *row, cp_error *err)
{
	const char *line;
	size_t len;
	int rc;

	if (!m->have_next) {
		if (m->done)
			return 0;
		rc = cp_extsort_next(m->sort, &line, &len, err);
		if (rc <= 0) {
			m->done = 1;
			return rc;
		}
		if (read_ahead(m, line, len, err) < 0)
			return -1;
	}
	if (group_start(m, err) < 0)
		return -1;
	while ((rc = cp_extsort_next(m->sort, &line, &len, err)) == 1) {
		if (key_length(line, len) != m->key.len || memcmp(line, m->key.data, m->key.len) != 0) {
			if (read_ahead(m, line, len, err) < 0)
				return -1;
			break;
		}
		if (group_add(m, line, err) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (rc == 0)
		m->done = 1;
	if (group_row(m, row, err) < 0)
		return -1;
	m->stats.merged++;
	return 1;
}
