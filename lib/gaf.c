/* gaf.c - the GAF reader. */
#define _GNU_SOURCE
#include "gaf.h"

#include <stdlib.h>
#include <string.h>

#include "textio.h"

struct gaf_reader {
	cp_input *in;
	char version[32];
};

static const char *const column_names[GAF_COLUMNS] = {
	"DB", "DB object id", "DB object symbol", "qualifier", "GO id", "reference",
	"evidence code", "with/from", "aspect", "DB object name", "synonyms",
	"DB object type", "taxon", "date", "assigned by", "annotation extension",
	"gene product form id"
};

gaf_reader *gaf_open(const char *path, cp_error *err)
{
	gaf_reader *r = calloc(1, sizeof *r);

	if (!r) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	r->in = cp_input_open(path, err);
	if (!r->in) {
		free(r);
		return NULL;
	}
	return r;
}

void gaf_close(gaf_reader *r)
{
	if (!r)
		return;
	cp_input_close(r->in);
	free(r);
}

const char *gaf_name(const gaf_reader *r)
{
	return cp_input_name(r->in);
}

const char *gaf_version(const gaf_reader *r)
{
	return r->version;
}

size_t gaf_bytes(const gaf_reader *r)
{
	return cp_input_bytes(r->in);
}

int gaf_parse_date(const char *text, int32_t *out)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int digits[8], n = 0, dashed = strlen(text) == 10;
	int year, month, day;

	for (const char *p = text; *p; p++) {
		int dash_here = dashed && (p - text == 4 || p - text == 7);

		if (dash_here) {
			if (*p != '-')
				return -1;
			continue;
		}
		if (*p < '0' || *p > '9' || n == 8)
			return -1;
		digits[n++] = *p - '0';
	}
	if (n != 8)
		return -1;
	year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
	month = digits[4] * 10 + digits[5];
	day = digits[6] * 10 + digits[7];
	if (year < 1 || month < 1 || month > 12 || day < 1 || day > days[month - 1])
		return -1;
	if (month == 2 && day == 29 && (year % 4 || (year % 100 == 0 && year % 400)))
		return -1;	/* not a leap year */
	*out = year * 10000 + month * 100 + day;
	return 0;
}

/* "!gaf-version: 2.0" */
static int header_line(gaf_reader *r, const char *line, cp_error *err)
{
	const char *v;
	size_t n;

	if (strncmp(line, "!gaf-version:", 13) != 0)
		return 0;
	v = line + 13 + strspn(line + 13, " \t");
	n = strcspn(v, " \t");
	if (n >= sizeof r->version)
		n = sizeof r->version - 1;
	memcpy(r->version, v, n);
	r->version[n] = '\0';
	if (r->version[0] != '1' && r->version[0] != '2')
		return cp_error_set(err, "%s:%zu: gaf-version %s is not supported (1.x or 2.x)",
				    gaf_name(r), cp_input_lineno(r->in), r->version);
	return 0;
}

static int column_error(const gaf_reader *r, int c, const char *what, const char *value,
			cp_error *err)
{
	return cp_error_set(err, "%s:%zu: column %d (%s): '%.40s' %s", gaf_name(r),
			    cp_input_lineno(r->in), c + 1, column_names[c], value, what);
}

/* The qualifiers of GAF 2.0 and 2.1 and the relations of GAF 2.2 (NOT
 * apart); case matters, so 'not' is refused rather than read as positive. */
static int known_qualifier(const char *q, size_t n)
{
	static const char *const known[] = {
		"contributes_to", "colocalizes_with", "enables", "involved_in", "part_of",
		"located_in", "is_active_in", "acts_upstream_of", "acts_upstream_of_positive_effect",
		"acts_upstream_of_negative_effect", "acts_upstream_of_or_within",
		"acts_upstream_of_or_within_positive_effect",
		"acts_upstream_of_or_within_negative_effect",
	};

	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strlen(known[i]) == n && strncmp(q, known[i], n) == 0)
			return 1;
	return 0;
}

/* The Gene Ontology's evidence codes, current and retired (NR, IMR). */
static const char *const evidence_codes[] = {
	"EXP", "IDA", "IPI", "IMP", "IGI", "IEP", "HTP", "HDA", "HMP", "HGI", "HEP", "ISS", "ISO",
	"ISA", "ISM", "IGC", "IBA", "IBD", "IKR", "IRD", "IMR", "RCA", "TAS", "NAS", "IC", "ND",
	"IEA", "NR",
};

int gaf_evidence_known(const char *code)
{
	for (size_t i = 0; i < sizeof evidence_codes / sizeof *evidence_codes; i++)
		if (strcmp(code, evidence_codes[i]) == 0)
			return 1;
	return 0;
}

/* GAF's column 5 holds a GO id as GO defines it: "GO:" and seven digits. */
static int is_go_id(const char *s)
{
	return strncmp(s, "GO:", 3) == 0 && strlen(s) == 10 && strspn(s + 3, "0123456789") == 7;
}

static int check_row(const gaf_reader *r, gaf_row *row, cp_error *err)
{
	char **col = row->col;
	const char *q;

	if (!*col[GAF_OBJECT_ID])
		return column_error(r, GAF_OBJECT_ID, "is empty", "", err);
	if (!is_go_id(col[GAF_GO_ID]))
		return column_error(r, GAF_GO_ID, "is not a GO id (GO: and seven digits)",
				    col[GAF_GO_ID], err);
	if (!gaf_evidence_known(col[GAF_EVIDENCE]))
		return column_error(r, GAF_EVIDENCE, "is not a GO evidence code", col[GAF_EVIDENCE],
				    err);
	if (strlen(col[GAF_ASPECT]) != 1 || !strchr("PFC", col[GAF_ASPECT][0]))
		return column_error(r, GAF_ASPECT, "is not P, F or C", col[GAF_ASPECT], err);
	if (gaf_parse_date(col[GAF_DATE], &row->date) < 0 || strlen(col[GAF_DATE]) != 8)
		return column_error(r, GAF_DATE, "is not a date YYYYMMDD", col[GAF_DATE], err);
	row->negated = 0;
	for (q = col[GAF_QUALIFIER]; *q; q += strcspn(q, "|"), q += *q == '|') {
		size_t n = strcspn(q, "|");

		if (n == 3 && strncmp(q, "NOT", 3) == 0)
			row->negated = 1;
		else if (!known_qualifier(q, n))
			return column_error(r, GAF_QUALIFIER, "is not NOT or a GAF 2.x qualifier",
					    col[GAF_QUALIFIER], err);
	}
	return 0;
}

int gaf_next(gaf_reader *r, gaf_row *row, cp_error *err)
{
	char *line;
	size_t len, n;
	int rc;

	while ((rc = cp_input_getline(r->in, &line, &len, err)) == 1) {
		if (line[0] == '!') {
			if (header_line(r, line, err) < 0)
				return -1;
			continue;
		}
		if (len == 0)
			continue;
		n = cp_split(line, '\t', row->col, GAF_COLUMNS);
		if (n < 15 || n > GAF_COLUMNS)
			return cp_error_set(err, "%s:%zu: %zu columns, a GAF row has 17 (15 in GAF 1.0)",
					    gaf_name(r), cp_input_lineno(r->in), n);
		for (size_t c = n; c < GAF_COLUMNS; c++)
			row->col[c] = line + len;	/* "" */
		row->line = cp_input_lineno(r->in);
		return check_row(r, row, err) < 0 ? -1 : 1;
	}
	return rc;
}
