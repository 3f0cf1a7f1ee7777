/* screens.c - streaming readers of published phenotype screens. */
#define _GNU_SOURCE
#include "screens.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textio.h"

static const char *const format_names[SCREEN_FORMAT_COUNT] = {
	"auto", "costanzo2016-smf", "sga", "dcell", "kuzmin2018", "kuzmin2018-subset",
	"yeastphenome", "experiments"
};

const char *screen_format_name(screen_format f)
{
	return f >= 0 && f < SCREEN_FORMAT_COUNT ? format_names[f] : "?";
}

int screen_format_parse(const char *name, screen_format *out)
{
	for (int f = 0; f < SCREEN_FORMAT_COUNT; f++)
		if (strcmp(name, format_names[f]) == 0) {
			*out = (screen_format)f;
			return 0;
		}
	return -1;
}

/* The columns each format reads, by published name; "" = optional columns
 * follow.  Index into r->col[] by position in this list. */
enum { MAX_COLUMNS = 12 };
static const char *const format_columns[SCREEN_FORMAT_COUNT][MAX_COLUMNS] = {
	[SCREEN_COSTANZO2016_SMF] = { "Strain ID", "Systematic gene name",
				      "Single mutant fitness (26\xc2\xb0)",
				      "Single mutant fitness (26\xc2\xb0) stddev",
				      "Single mutant fitness (30\xc2\xb0)",
				      "Single mutant fitness (30\xc2\xb0) stddev" },
	[SCREEN_SGA] = { "Query Strain ID", "Array Strain ID", "Arraytype/Temp",
			 "Double mutant fitness", "Double mutant fitness standard deviation",
			 "Genetic interaction score (\xce\xb5)", "P-value" },
	[SCREEN_KUZMIN2018] = { "Query strain ID", "Array strain ID", "Combined mutant fitness",
				"Combined mutant fitness standard deviation",
				"Adjusted genetic interaction score (epsilon or tau)", "P-value", "",
				"Query allele name", "Array allele name", "Combined mutant type" },
	[SCREEN_KUZMIN2018_SUBSET] = { "", "Query strain ID", "Array strain ID",
				       "Combined mutant fitness",
				       "Combined mutant fitness standard deviation", "P-value", "g1",
				       "g2", "g3" },
	[SCREEN_YEASTPHENOME] = { "orf" },
};

/* Column roles, per format, as positions in format_columns. */
enum { SMF_STRAIN, SMF_GENE, SMF_F26, SMF_S26, SMF_F30, SMF_S30 };
enum { SGA_QUERY, SGA_ARRAY, SGA_TEMP, SGA_F, SGA_S, SGA_E, SGA_P };
enum { KZ_QUERY, KZ_ARRAY, KZ_F, KZ_S, KZ_E, KZ_P, KZ_OPTIONAL, KZ_QALLELE, KZ_AALLELE, KZ_TYPE };
enum { KS_ROW, KS_QUERY, KS_ARRAY, KS_F, KS_S, KS_P, KS_G1, KS_G2, KS_G3 };

#define STRAIN_MAX 256

struct screen_reader {
	screen_options opts;
	screen_format format;
	cp_input *in;
	exp_reader *exp;
	char *header;		/* copy of the header line */
	char **names;		/* header cells */
	size_t n_names;
	int col[MAX_COLUMNS];	/* input column of each role, -1 absent */
	size_t need;		/* fields a data line must have */
	char **fields;
	size_t n_fields;
	int have_line;
	size_t next;		/* next measurement of the current line */
	char *pending_line;	/* dcell: the first line, read to recognise the format */
	/* yeastphenome: per column, its environment, NULL for a skipped phenotype */
	char **environment;
	/* scratch for the current measurement's strings */
	char query[STRAIN_MAX], array[STRAIN_MAX], id[2 * STRAIN_MAX + 8];
	char qallele[STRAIN_MAX], aallele[STRAIN_MAX];
	char env[16];
	screen_stats stats;
	size_t row_ho;		/* HO dummies dropped from the current measurement */
};

const char *screen_allele_kind(const char *suffix)
{
	static const struct {
		const char *prefix, *kind;
	} kinds[] = {
		{ "damp", "DAmP" }, { "dma", "deletion" }, { "sn", "deletion" }, { "tsq", "ts" },
		{ "tsa", "ts" }, { "tm", "" }, { "S", "suppressor" },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		size_t n = strlen(kinds[i].prefix);
		const char *p = suffix + n;

		if (strncmp(suffix, kinds[i].prefix, n) != 0)
			continue;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p > suffix + n && !*p)
			return kinds[i].kind;
	}
	return NULL;
}

/* The kind of an allele from its name in Kuzmin's tables: "ntg1Δ" deletion,
 * "sec6_damp" DAmP, "mcm2-1" temperature-sensitive, else unknown. */
static const char *allele_name_kind(const char *name)
{
	if (strstr(name, "\xce\x94"))
		return "deletion";
	if (strcasestr(name, "damp"))
		return "DAmP";
	if (strcasestr(name, "supp"))
		return "suppressor";
	if (strchr(name, '-'))
		return "ts";
	return "";
}

static int line_error(const screen_reader *r, const char *column, cp_error *err, const char *fmt,
		      ...) CP_PRINTF(4, 5);

static int line_error(const screen_reader *r, const char *column, cp_error *err, const char *fmt,
		      ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (column)
		return cp_error_set(err, "%s:%zu: column '%s': %s", cp_input_name(r->in),
				    cp_input_lineno(r->in), column, msg);
	return cp_error_set(err, "%s:%zu: %s", cp_input_name(r->in), cp_input_lineno(r->in), msg);
}

static const char *role_name(const screen_reader *r, int role)
{
	return format_columns[r->format][role];
}

static const char *field(const screen_reader *r, int role)
{
	return r->col[role] >= 0 ? r->fields[r->col[role]] : "";
}

static int is_missing(const char *s)
{
	return !*s || strcmp(s, "NA") == 0 || cp_strcasecmp_ascii(s, "nan") == 0;
}

static int number(const screen_reader *r, int role, double *out, cp_error *err)
{
	const char *s = field(r, role);

	*out = NAN;
	if (is_missing(s))
		return 0;
	if (cp_parse_f64(s, out) < 0)
		return line_error(r, role_name(r, role), err, "'%s' is not a number", s);
	return 0;
}

/* The four labels from the columns of these roles (-1: not in the format). */
static int labels(const screen_reader *r, const int roles[PERT_N_LABELS], exp_row *row,
		  cp_error *err)
{
	for (int k = 0; k < PERT_N_LABELS; k++)
		if (roles[k] >= 0 && number(r, roles[k], &row->label[k], err) < 0)
			return -1;
	return 0;
}

/* ---- opening --------------------------------------------------------------- */

static int find_column(const screen_reader *r, const char *name)
{
	for (size_t i = 0; i < r->n_names; i++)
		if (strcmp(r->names[i], name) == 0)
			return (int)i;
	return -1;
}

static screen_format recognise(const screen_reader *r, const char *first_line)
{
	const char *p = first_line;

	if (find_column(r, "genes") >= 0)
		return SCREEN_EXPERIMENTS;
	if (find_column(r, "Strain ID") >= 0 && find_column(r, "Systematic gene name") >= 0)
		return SCREEN_COSTANZO2016_SMF;
	if (find_column(r, "Query Strain ID") >= 0)
		return SCREEN_SGA;
	if (find_column(r, "Query strain ID") >= 0)
		return find_column(r, "g1") >= 0 ? SCREEN_KUZMIN2018_SUBSET : SCREEN_KUZMIN2018;
	if (r->n_names && strcmp(r->names[0], "orf") == 0)
		return SCREEN_YEASTPHENOME;
	/* DCell: no header, a gene count first */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '1' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p == ' ' || *p == '\t')
			return SCREEN_DCELL;
	}
	return SCREEN_AUTO;
}

/* "ploidy | phenotype | condition [| medium] | reference" -> environment in
 * *env, NULL for a phenotype other than growth.  -1 when out of memory. */
static int yeastphenome_environment(const screen_reader *r, size_t column, char **env,
				    cp_error *err)
{
	const char *header = r->names[column];
	char *copy = cp_strdup(header, err), *parts[8];
	size_t n;

	*env = NULL;
	if (!copy)
		return -1;
	n = 0;
	for (char *p = copy, *bar; n < 8; p = bar + 3) {
		parts[n++] = p;
		bar = strstr(p, " | ");
		if (!bar)
			break;
		*bar = '\0';
	}
	if (n < 4 || n > 5) {
		free(copy);
		return cp_error_set(err, "%s:%zu: column %zu: '%s' is not named ploidy | phenotype | "
				    "condition [| medium] | reference", cp_input_name(r->in),
				    cp_input_lineno(r->in), column + 1, header);
	}
	if (strncmp(parts[1], "growth", 6) != 0) {
		free(copy);
		return 0;
	}
	if (n == 5) {
		size_t len = strlen(parts[2]) + strlen(parts[3]) + 3;

		*env = cp_malloc(len, 1, err);
		if (*env)
			snprintf(*env, len, "%s; %s", parts[2], parts[3]);
	} else {
		*env = cp_strdup(parts[2], err);
	}
	free(copy);
	return *env ? 0 : -1;
}

static int setup_columns(screen_reader *r, cp_error *err)
{
	int optional = 0;

	r->need = 0;
	for (int role = 0; role < MAX_COLUMNS; role++) {
		const char *name = format_columns[r->format][role];

		r->col[role] = -1;
		if (!name)
			break;
		if (!*name) {
			/* "" marks the row-number column of the subset, or the start of
			 * the optional columns */
			if (r->format == SCREEN_KUZMIN2018_SUBSET)
				r->col[role] = 0;
			else
				optional = 1;
			continue;
		}
		r->col[role] = find_column(r, name);
		if (r->col[role] < 0 && !optional)
			return cp_error_set(err, "%s:%zu: no column '%s' in the header (format %s)",
					    cp_input_name(r->in), cp_input_lineno(r->in), name,
					    screen_format_name(r->format));
		for (size_t c = (size_t)r->col[role] + 1; r->col[role] >= 0 && c < r->n_names; c++)
			if (strcmp(r->names[c], name) == 0)
				return cp_error_set(err, "%s:%zu: column '%s' twice in the header",
						    cp_input_name(r->in), cp_input_lineno(r->in), name);
		if (r->col[role] >= 0 && (size_t)r->col[role] + 1 > r->need)
			r->need = (size_t)r->col[role] + 1;
	}
	if (r->format == SCREEN_YEASTPHENOME) {
		r->environment = cp_calloc(r->n_names, sizeof *r->environment, err);
		if (!r->environment)
			return -1;
		for (size_t c = 1; c < r->n_names; c++) {
			if (yeastphenome_environment(r, c, &r->environment[c], err) < 0)
				return -1;
			if (!r->environment[c])
				r->stats.skipped_columns++;
		}
		r->need = r->n_names;
	}
	return 0;
}

screen_reader *screen_open(const char *path, const screen_options *opts, cp_error *err)
{
	screen_reader *r = calloc(1, sizeof *r);
	char *line;
	size_t len;
	int rc;

	if (!r) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	if (opts)
		r->opts = *opts;
	if (!r->opts.environment)
		r->opts.environment = "";
	r->in = cp_input_open(path, err);
	if (!r->in)
		goto fail;
	while ((rc = cp_input_getline(r->in, &line, &len, err)) == 1)
		if (len && line[0] != '#')
			break;
	if (rc < 0)
		goto fail;
	if (rc == 0) {
		cp_error_set(err, "%s: empty", cp_input_name(r->in));
		goto fail;
	}
	r->header = cp_strdup(line, err);
	if (!r->header)
		goto fail;
	r->n_names = cp_split(r->header, '\t', NULL, 0);
	r->names = cp_malloc(r->n_names, sizeof *r->names, err);
	if (!r->names)
		goto fail;
	cp_split(r->header, '\t', r->names, r->n_names);
	r->format = r->opts.format;
	if (r->format == SCREEN_AUTO)
		r->format = recognise(r, line);
	switch (r->format) {
	case SCREEN_AUTO:
		cp_error_set(err, "%s: not a screen format I recognise from its first line "
			     "(give the format)", cp_input_name(r->in));
		goto fail;
	case SCREEN_EXPERIMENTS:
		r->exp = exp_reader_open_input(r->in, line, err);
		r->in = NULL;
		if (!r->exp)
			goto fail;
		return r;
	case SCREEN_DCELL:
		/* no header: the first line is data */
		r->pending_line = cp_strdup(line, err);
		if (!r->pending_line)
			goto fail;
		return r;
	default:
		break;
	}
	if (setup_columns(r, err) < 0)
		goto fail;
	r->fields = cp_malloc(r->n_names + 1, sizeof *r->fields, err);
	if (!r->fields)
		goto fail;
	return r;
fail:
	screen_close(r);
	return NULL;
}

void screen_close(screen_reader *r)
{
	if (!r)
		return;
	cp_input_close(r->in);
	exp_reader_close(r->exp);
	if (r->environment)
		for (size_t c = 0; c < r->n_names; c++)
			free(r->environment[c]);
	free(r->environment);
	free(r->header);
	free(r->names);
	free(r->fields);
	free(r->pending_line);
	free(r);
}

screen_format screen_reader_format(const screen_reader *r)
{
	return r->format;
}

const screen_stats *screen_reader_stats(const screen_reader *r)
{
	return &r->stats;
}

size_t screen_reader_lineno(const screen_reader *r)
{
	if (r->format == SCREEN_EXPERIMENTS)
		return exp_reader_line(r->exp);
	return r->in ? cp_input_lineno(r->in) : r->stats.lines;
}

/* ---- strain ids ------------------------------------------------------------ */

/*
 * Parse a strain id "YAL001C_tsq508" or "YKL051W+YDL227C_tm3059" into buf:
 * the genes (split at '+') and the allele kind of its suffix.  Returns the
 * number of genes, or -1 with err set.
 */
static int parse_strain(screen_reader *r, int role, char *buf, const char **genes, size_t max,
			const char **kind, cp_error *err)
{
	const char *id = field(r, role);
	char *underscore, *p;
	size_t n = 0;

	if (strlen(id) >= STRAIN_MAX)
		return line_error(r, role_name(r, role), err, "strain id longer than %d bytes",
				  STRAIN_MAX - 1);
	strcpy(buf, id);
	underscore = strchr(buf, '_');
	*kind = "";
	if (underscore) {
		*underscore = '\0';
		*kind = screen_allele_kind(underscore + 1);
		if (!*kind) {
			r->stats.unknown_allele++;
			*kind = "";
		}
	}
	for (p = buf;;) {
		char *plus = strchr(p, '+');

		if (plus)
			*plus = '\0';
		if (!*p || n == max)
			return line_error(r, role_name(r, role), err, "'%s' is not a strain id", id);
		genes[n++] = p;
		if (!plus)
			break;
		p = plus + 1;
	}
	return (int)n;
}

/* Add a strain's genes to row, with the allele kinds of their names (Kuzmin)
 * or else the suffix's kind; drop_ho drops the HO dummy. */
static int add_strain(screen_reader *r, exp_row *row, int role, char *buf, int allele_role,
		      char *allele_buf, int drop_ho, cp_error *err)
{
	const char *genes[EXP_MAX_GENES], *names[EXP_MAX_GENES], *kind = "";
	int n = parse_strain(r, role, buf, genes, EXP_MAX_GENES, &kind, err);
	size_t n_names = 0;

	if (n < 0)
		return -1;
	if (allele_role >= 0 && r->col[allele_role] >= 0 && *field(r, allele_role)) {
		snprintf(allele_buf, STRAIN_MAX, "%s", field(r, allele_role));
		n_names = cp_split(allele_buf, '+', (char **)names, EXP_MAX_GENES);
		if (n_names != (size_t)n)
			return line_error(r, role_name(r, allele_role), err,
					  "%zu allele names for %d genes", n_names, n);
	}
	for (int i = 0; i < n; i++) {
		if (drop_ho && cp_strcasecmp_ascii(genes[i], SCREEN_HO) == 0) {
			r->row_ho++;
			continue;
		}
		if (row->n_genes == EXP_MAX_GENES)
			return line_error(r, NULL, err, "more than %d genes", EXP_MAX_GENES);
		row->genes[row->n_genes] = genes[i];
		row->allele[row->n_genes] = n_names ? allele_name_kind(names[i]) : kind;
		if (n_names && !*row->allele[row->n_genes])
			row->allele[row->n_genes] = kind;
		row->n_genes++;
	}
	return 0;
}

/* ---- per-format measurements ----------------------------------------------- */

/* Each returns 1 with the k-th measurement of the current line in row, 0
 * when the line has no more, -1 on error. */

static int measure_smf(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	const char *kind;

	if (k >= 2)
		return 0;
	row->genes[0] = field(r, SMF_GENE);
	if (!*row->genes[0])
		return line_error(r, role_name(r, SMF_GENE), err, "empty");
	row->n_genes = 1;
	snprintf(r->query, sizeof r->query, "%s", field(r, SMF_STRAIN));
	{
		/* the strain id starts with its gene: YAL001C_damp174 */
		size_t n = strcspn(r->query, "_");

		if (strlen(row->genes[0]) != n || strncasecmp(r->query, row->genes[0], n) != 0)
			return line_error(r, role_name(r, SMF_STRAIN), err,
					  "strain '%s' is not one of gene %s", r->query, row->genes[0]);
	}
	kind = strchr(r->query, '_') ? screen_allele_kind(strchr(r->query, '_') + 1) : "";
	if (!kind) {
		if (k == 0)
			r->stats.unknown_allele++;
		kind = "";
	}
	row->allele[0] = kind;
	row->environment = k == 0 ? "26C" : "30C";
	row->id = field(r, SMF_STRAIN);
	return labels(r, k == 0 ? (const int[]){ SMF_F26, SMF_S26, -1, -1 }
				: (const int[]){ SMF_F30, SMF_S30, -1, -1 }, row, err) < 0 ? -1 : 1;
}

/* "DMA30" -> "30C" */
static int temperature(screen_reader *r, int role, char *out, size_t n, cp_error *err)
{
	const char *s = field(r, role), *p = s;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
		return line_error(r, role_name(r, role), err, "'%s' is not an array type and "
				  "temperature such as DMA30", s);
	snprintf(out, n, "%sC", p);
	return 0;
}

static void pair_id(screen_reader *r, int query, int array)
{
	snprintf(r->id, sizeof r->id, "%s:%s", field(r, query), field(r, array));
}

static int measure_sga(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	if (k >= 1)
		return 0;
	if (add_strain(r, row, SGA_QUERY, r->query, -1, NULL, 0, err) < 0 ||
	    add_strain(r, row, SGA_ARRAY, r->array, -1, NULL, 0, err) < 0 ||
	    temperature(r, SGA_TEMP, r->env, sizeof r->env, err) < 0)
		return -1;
	row->environment = r->env;
	pair_id(r, SGA_QUERY, SGA_ARRAY);
	row->id = r->id;
	return labels(r, (const int[]){ SGA_F, SGA_S, SGA_E, SGA_P }, row, err) < 0 ? -1 : 1;
}

static int measure_kuzmin(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	const char *type;

	if (k >= 1)
		return 0;
	if (add_strain(r, row, KZ_QUERY, r->query, KZ_QALLELE, r->qallele, !r->opts.keep_ho, err) < 0 ||
	    add_strain(r, row, KZ_ARRAY, r->array, KZ_AALLELE, r->aallele, 0, err) < 0)
		return -1;
	type = field(r, KZ_TYPE);
	if (*type && !r->opts.keep_ho) {
		size_t want = strcmp(type, "digenic") == 0 ? 2 : strcmp(type, "trigenic") == 0 ? 3 : 0;

		if (!want)
			return line_error(r, role_name(r, KZ_TYPE), err, "'%s' is not digenic or "
					  "trigenic", type);
		if (row->n_genes != want)
			return line_error(r, role_name(r, KZ_TYPE), err, "%s, but the strains "
					  "delete %zu genes", type, row->n_genes);
	}
	row->environment = r->opts.environment;
	pair_id(r, KZ_QUERY, KZ_ARRAY);
	row->id = r->id;
	return labels(r, (const int[]){ KZ_F, KZ_S, KZ_E, KZ_P }, row, err) < 0 ? -1 : 1;
}

/* gene names in any case, as SGD's are */
static int compare_names(const void *a, const void *b)
{
	return cp_strcasecmp_ascii(*(const char *const *)a, *(const char *const *)b);
}

static int measure_kuzmin_subset(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	const char *listed[3], *from_ids[EXP_MAX_GENES];
	size_t n_listed = 0, n_query, kept = 0;

	if (k >= 1)
		return 0;
	/* every gene of the strains, HO included, to check g1 g2 g3 */
	if (add_strain(r, row, KS_QUERY, r->query, -1, NULL, 0, err) < 0)
		return -1;
	n_query = row->n_genes;
	if (add_strain(r, row, KS_ARRAY, r->array, -1, NULL, 0, err) < 0)
		return -1;
	for (int g = KS_G1; g <= KS_G3; g++)
		if (*field(r, g))
			listed[n_listed++] = field(r, g);
	memcpy(from_ids, row->genes, row->n_genes * sizeof *from_ids);
	cp_sort(from_ids, row->n_genes, sizeof *from_ids, compare_names);
	cp_sort(listed, n_listed, sizeof *listed, compare_names);
	for (size_t i = 0; i < row->n_genes || i < n_listed; i++)
		if (row->n_genes != n_listed || cp_strcasecmp_ascii(from_ids[i], listed[i]) != 0)
			return line_error(r, "g1", err, "the genes g1 g2 g3 differ from the strain ids");
	for (size_t i = 0; i < row->n_genes; i++) {
		if (i < n_query && !r->opts.keep_ho && cp_strcasecmp_ascii(row->genes[i], SCREEN_HO) == 0) {
			r->row_ho++;
			continue;
		}
		row->genes[kept] = row->genes[i];
		row->allele[kept++] = row->allele[i];
	}
	row->n_genes = kept;
	row->environment = r->opts.environment;
	snprintf(r->id, sizeof r->id, "S1:%s", field(r, KS_ROW));
	row->id = r->id;
	return labels(r, (const int[]){ KS_F, KS_S, -1, KS_P }, row, err) < 0 ? -1 : 1;
}

static int measure_yeastphenome(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	size_t c = k < 1 ? 1 : k;
	const char *s;

	while (c < r->n_names && !r->environment[c])
		c++;
	if (c >= r->n_names)
		return 0;
	r->next = c;	/* the caller adds 1 */
	row->genes[0] = r->fields[0];
	if (!*row->genes[0])
		return line_error(r, "orf", err, "empty");
	row->n_genes = 1;
	row->environment = r->environment[c];
	row->id = r->fields[0];
	s = r->fields[c];
	if (!is_missing(s) && cp_parse_f64(s, &row->label[PERT_FITNESS]) < 0)
		return line_error(r, NULL, err, "column %zu (%s): '%s' is not a number", c + 1,
				  r->environment[c], s);
	return 1;
}

static int measure_dcell(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	int64_t n;

	if (k >= 1)
		return 0;
	if (cp_parse_i64(r->fields[0], &n) < 0 || n < 1 || n > EXP_MAX_GENES)
		return line_error(r, NULL, err, "'%s' is not a gene count", r->fields[0]);
	if (r->n_fields != (size_t)n + 2)
		return line_error(r, NULL, err, "%zu fields, expected %d genes and a score",
				  r->n_fields, (int)n);
	for (int64_t i = 0; i < n; i++)
		row->genes[i] = r->fields[1 + i];
	row->n_genes = (size_t)n;
	row->environment = r->opts.environment;
	snprintf(r->id, sizeof r->id, "%zu", cp_input_lineno(r->in));
	row->id = r->id;
	if (cp_parse_f64(r->fields[n + 1], &row->label[PERT_GENE_INTERACTION]) < 0 &&
	    !is_missing(r->fields[n + 1]))
		return line_error(r, NULL, err, "score '%s' is not a number", r->fields[n + 1]);
	return 1;
}

static int measure(screen_reader *r, size_t k, exp_row *row, cp_error *err)
{
	switch (r->format) {
	case SCREEN_COSTANZO2016_SMF: return measure_smf(r, k, row, err);
	case SCREEN_SGA: return measure_sga(r, k, row, err);
	case SCREEN_DCELL: return measure_dcell(r, k, row, err);
	case SCREEN_KUZMIN2018: return measure_kuzmin(r, k, row, err);
	case SCREEN_KUZMIN2018_SUBSET: return measure_kuzmin_subset(r, k, row, err);
	case SCREEN_YEASTPHENOME: return measure_yeastphenome(r, k, row, err);
	default: return cp_error_set(err, "no reader for format %s", screen_format_name(r->format));
	}
}

/* ---- reading ------------------------------------------------------------------ */

static int read_line(screen_reader *r, cp_error *err)
{
	char *line;
	size_t len;
	int rc;

	if (r->pending_line) {
		/* the DCell line read to recognise the format; it is line 1 */
		line = r->pending_line;
		r->pending_line = NULL;
		free(r->header);
		r->header = line;
	} else {
		while ((rc = cp_input_getline(r->in, &line, &len, err)) == 1)
			if (len && line[0] != '#')
				break;
		if (rc <= 0)
			return rc;
	}
	if (r->format == SCREEN_DCELL) {
		char *f[EXP_MAX_GENES + 3];

		r->n_fields = cp_split_ws(line, f, EXP_MAX_GENES + 3);
		if (r->n_fields > EXP_MAX_GENES + 2)
			return line_error(r, NULL, err, "more than %d genes", EXP_MAX_GENES);
		if (!r->fields) {
			r->fields = cp_malloc(EXP_MAX_GENES + 3, sizeof *r->fields, err);
			if (!r->fields)
				return -1;
		}
		memcpy(r->fields, f, r->n_fields * sizeof *f);
		return 1;
	}
	r->n_fields = cp_split(line, '\t', r->fields, r->n_names + 1);
	if (r->n_fields < r->need || r->n_fields > r->n_names)
		return line_error(r, NULL, err, "%zu fields, the header has %zu", r->n_fields,
				  r->n_names);
	return 1;
}

/* Neither a fitness nor an interaction score: a spread or a p-value alone
 * describes nothing to learn, so the measurement is skipped. */
static int all_missing(const exp_row *row)
{
	return isnan(row->label[PERT_FITNESS]) && isnan(row->label[PERT_GENE_INTERACTION]);
}

int screen_next(screen_reader *r, exp_row *row, cp_error *err)
{
	int rc;

	if (r->format == SCREEN_EXPERIMENTS) {
		for (;;) {
			rc = exp_reader_next(r->exp, row, err);
			if (rc != 1)
				return rc;
			r->stats.lines++;
			if (!all_missing(row))
				break;
			r->stats.no_label++;
		}
		r->stats.measurements++;
		r->stats.by_genes[row->n_genes < 4 ? row->n_genes - 1 : 3]++;
		if (r->opts.source)
			row->source = r->opts.source;
		return 1;
	}
	for (;;) {
		if (!r->have_line) {
			rc = read_line(r, err);
			if (rc <= 0)
				return rc;
			r->stats.lines++;
			r->have_line = 1;
			r->next = 0;
		}
		exp_row_init(row);
		r->row_ho = 0;
		rc = measure(r, r->next, row, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			r->have_line = 0;
			continue;
		}
		r->next++;
		row->source = r->opts.source ? r->opts.source : screen_format_name(r->format);
		if (all_missing(row)) {
			r->stats.no_label++;
			continue;
		}
		if (row->n_genes == 0)
			return line_error(r, NULL, err, "no gene left to delete");
		if (exp_row_sort(row, err) < 0) {
			r->stats.same_gene++;
			continue;
		}
		r->stats.measurements++;
		r->stats.by_genes[row->n_genes < 4 ? row->n_genes - 1 : 3]++;
		r->stats.ho_removed += r->row_ho;	/* only of measurements kept */
		return 1;
	}
}
