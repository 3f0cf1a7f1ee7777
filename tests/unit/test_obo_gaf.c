/* Unit tests of lib/obo.h and lib/gaf.h: what is read, and every error. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "gaf.h"
#include "go_dag.h"
#include "obo.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/obo-gaf-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to a file of the scratch directory; returns its path. */
static const char *put(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	return path;
}

static const char *const sample_obo =
	"format-version: 1.4\n"
	"data-version: releases/2024-01-01\n"
	"default-namespace: biological_process\n"
	"\n"
	"[Term]\n"
	"id: GO:0000001\n"
	"name: root of it all\n"
	"\n"
	"[Term]\n"
	"id: GO:0000002\n"
	"name: a \\\"quoted\\\" \\{braced\\} name ! and a comment\n"
	"namespace: biological_process\n"
	"alt_id: GO:0000020\n"
	"alt_id: GO:0000021\n"
	"is_a: GO:0000001 {source=\"x\"} ! root of it all\n"
	"relationship: part_of GO:0000020 ! itself, through an alt_id\n"
	"relationship: regulates GO:0000001\n"
	"synonym: \"ignored\" EXACT []\n"
	"\n"
	"[Typedef]\n"
	"id: part_of\n"
	"is_a: something_else\n"
	"\n"
	"[Term]\n"
	"id: GO:0000003\n"
	"name: gone\n"
	"is_obsolete: true\n"
	"replaced_by: GO:0000004\n"
	"\n"
	"[Term]\n"
	"id: GO:0000004\n"
	"name: also gone\n"
	"is_obsolete: true\n"
	"replaced_by: GO:0000002\n"
	"replaced_by: GO:0000005\n"
	"replaced_by: GO:0009999\n"
	"\n"
	"[Term]\n"
	"id: GO:0000005\n"
	"name: function\n"
	"namespace: molecular_function\n"
	"is_a: GO:0000003 ! an obsolete parent: dropped\n"
	"is_a: all ! not defined: dropped\n";

static void check_sample(const obo_ontology *o)
{
	const obo_term *t;
	int32_t out[4], queue[16];

	assert_string_equal(o->format_version, "1.4");
	assert_string_equal(o->data_version, "releases/2024-01-01");
	assert_int_equal(o->n_terms, 5);
	assert_int_equal(o->n_obsolete, 2);
	assert_int_equal(o->n_alt_ids, 2);
	assert_int_equal(o->n_other_relations, 1);
	assert_int_equal(o->n_edges_dropped, 2);
	assert_int_equal(o->n_skipped_stanzas, 1);
	t = &o->terms[1];
	assert_string_equal(t->id, "GO:0000002");
	assert_string_equal(t->name, "a \"quoted\" {braced} name");
	assert_int_equal(t->ns, GO_BIOLOGICAL_PROCESS);
	assert_int_equal(t->line, 9);
	assert_int_equal(t->edge_end - t->edge_begin, 2);
	assert_int_equal(o->edges[t->edge_begin].parent, 0);
	assert_int_equal(o->edges[t->edge_begin].relation, GO_IS_A);
	assert_int_equal(o->edges[t->edge_begin + 1].parent, 1);
	assert_int_equal(o->edges[t->edge_begin + 1].relation, GO_PART_OF);
	assert_int_equal(o->edges[t->edge_begin + 1].line, 16);
	assert_int_equal(o->terms[0].ns, GO_BIOLOGICAL_PROCESS);	/* the default */
	assert_int_equal(o->terms[4].ns, GO_MOLECULAR_FUNCTION);
	assert_int_equal(o->terms[4].edge_end - o->terms[4].edge_begin, 0);
	assert_int_equal(obo_lookup(o, "GO:0000021"), 1);
	assert_int_equal(obo_lookup(o, "GO:0000005"), 4);
	assert_int_equal(obo_lookup(o, "GO:0000006"), -1);
	assert_int_equal(obo_lookup(o, "part_of"), -1);
	/* GO:0000003 -> GO:0000004 -> GO:0000002 and GO:0000005 */
	assert_true(o->n_replaced < 16);
	assert_int_equal(obo_replacements(o, 2, out, 4, queue), 2);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 4);
	assert_int_equal(obo_replacements(o, 2, out, 1, queue), 1);
	assert_int_equal(obo_replacements(o, 4, out, 4, queue), 1);
	assert_int_equal(out[0], 4);
}

static void test_obo_sample(void **state)
{
	obo_ontology o;
	cp_error err;

	(void)state;
	if (obo_read(&o, put("sample.obo", sample_obo), &err) < 0)
		fail_msg("%s", err.msg);
	check_sample(&o);
	obo_free(&o);
	obo_free(&o);	/* twice is harmless */
}

/* A replaced_by chain of any length reaches its live term: 200 obsolete
 * terms, each replaced by the one before, the first by a live one. */
static void test_obo_long_chain(void **state)
{
	enum { N = 200 };
	obo_ontology o;
	cp_error err;
	cp_buf text = { 0 };
	int32_t out[4], queue[N + 1];

	(void)state;
	assert_int_equal(cp_buf_printf(&text, &err, "format-version: 1.2\n\n[Term]\nid: GO:0008150\n"
				       "name: biological_process\nnamespace: biological_process\n"), 0);
	for (int i = 1; i <= N; i++)
		assert_int_equal(cp_buf_printf(&text, &err, "\n[Term]\nid: GO:%07d\nname: t%d\n"
					       "is_obsolete: true\nreplaced_by: GO:%07d\n", 1000000 + i, i,
					       i == 1 ? 8150 : 1000000 + i - 1), 0);
	assert_int_equal(cp_buf_append(&text, "", 1, &err), 0);
	if (obo_read(&o, put("chain.obo", text.data), &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(o.n_replaced, N);
	assert_int_equal(obo_replacements(&o, obo_lookup(&o, "GO:1000200"), out, 4, queue), 1);
	assert_int_equal(out[0], obo_lookup(&o, "GO:0008150"));
	obo_free(&o);
	cp_buf_free(&text);
}

/* The same text gzip- and zstd-compressed reads the same. */
static void test_obo_compressed(void **state)
{
	char path[128];
	obo_ontology o;
	cp_error err;
	size_t n = strlen(sample_obo), cap = ZSTD_compressBound(n);
	void *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, sample_obo, n, 3);
	gzFile gz;
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/sample.obo.gz", dir);
	gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, sample_obo, (unsigned)n), (int)n);
	gzclose(gz);
	if (obo_read(&o, path, &err) < 0)
		fail_msg("%s", err.msg);
	check_sample(&o);
	obo_free(&o);
	assert_false(ZSTD_isError(zn));
	snprintf(path, sizeof path, "%s/sample.obo.zst", dir);
	f = fopen(path, "wb");
	assert_int_equal(fwrite(z, 1, zn, f), zn);
	fclose(f);
	free(z);
	if (obo_read(&o, path, &err) < 0)
		fail_msg("%s", err.msg);
	check_sample(&o);
	obo_free(&o);
}

static void test_obo_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "[Term]\nname: x\n\n[Term]\nid: GO:1\nname: a\nnamespace: biological_process\n",
		  "bad.obo:1: [Term] without id" },
		{ "[Term]\nid: GO:1\nname: a\nnamespace: biological_process\n\n[Term]\nname: last\n",
		  "bad.obo:6: [Term] without id" },
		{ "[Term]\nid: GO:1\nid: GO:2\n", "bad.obo:3: [Term] with a second id 'GO:2'" },
		{ "[Term]\nid: GO 1\n", "bad.obo:2: id 'GO 1' is not an identifier" },
		{ "[Term]\nid: GO:1\nname: a\nnamespace: biological_process\n[Term]\nid: GO:1\n"
		  "name: a\nnamespace: biological_process\n",
		  "bad.obo:5: term GO:1 is defined twice (first at line 1)" },
		{ "[Term]\nid: GO:1\nname: a\nnamespace: biological_process\n[Term]\nid: GO:2\n"
		  "name: b\nnamespace: biological_process\nalt_id: GO:1\n",
		  "bad.obo:9: alt_id GO:1 of GO:2 is already an id of GO:1" },
		{ "[Term]\nid: GO:1\nname: a\nnamespace: gene_ontology\n",
		  "bad.obo:1: term GO:1: namespace 'gene_ontology' is not biological_process" },
		{ "[Term]\nid: GO:1\nname: x\n", "bad.obo:1: term GO:1 has no namespace" },
		{ "[Term]\nid: GO:1\nnamespace: biological_process\n", "bad.obo:1: term GO:1 has no name" },
		{ "[Term]\nid: GO:1\nname:\nnamespace: biological_process\n",
		  "bad.obo:1: term GO:1 has no name" },
		{ "[Term]\nid: GO:1\nname: a\nnamespace: biological_process\nnamespace: molecular_function\n",
		  "bad.obo:5: a second namespace in the stanza" },
		{ "[Term\nid: GO:1\n", "bad.obo:1: malformed stanza header '[Term'" },
		{ "[Term]\nid: GO:1\njust words\n", "bad.obo:3: not a 'tag: value' line" },
		{ "[Term]\nid: GO:1\nis_a: ! nothing\n", "bad.obo:3: is_a without a term id" },
		{ "[Term]\nid: GO:1\nrelationship: part_of\n",
		  "bad.obo:3: relationship needs a type and a term id" },
		{ "[Term]\nis_a: GO:2\nid: GO:1\n", "bad.obo:2: is_a before the term's id" },
		{ "[Term]\nid: GO:1\nis_obsolete: maybe\n",
		  "bad.obo:3: is_obsolete is 'maybe', not true or false" },
		{ "format-version: 1.2\n", "bad.obo: no [Term] stanzas: not an OBO file?" },
		{ "", "bad.obo: no [Term] stanzas" },
	};
	obo_ontology o;
	cp_error err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		assert_int_equal(obo_read(&o, put("bad.obo", cases[i].text), &err), -1);
		if (!strstr(err.msg, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].message);
	}
	assert_int_equal(obo_read(&o, "/nonexistent/go.obo", &err), -1);
	assert_string_equal(err.msg, "/nonexistent/go.obo: No such file or directory");
}

static const char *row17(const char *qualifier, const char *date)
{
	static char line[512];

	snprintf(line, sizeof line,
		 "SGD\tS000000001\tGENA\t%s\tGO:0000001\tPMID:1\tIDA\t\tP\tname\tYFX001W|A1\tgene\t"
		 "taxon:4932\t%s\tSGD\t\t\n", qualifier, date);
	return line;
}

static void test_gaf_rows(void **state)
{
	char text[2048];
	gaf_reader *r;
	gaf_row row;
	cp_error err;

	(void)state;
	/* row17 reuses one buffer: append each row before the next */
	snprintf(text, sizeof text, "!gaf-version: 2.1\n! comment\n");
	strcat(text, row17("", "20100101"));
	strcat(text, row17("NOT|contributes_to", "19991231"));
	strcat(text, row17("contributes_to|colocalizes_with", "20000229"));
	strcat(text, "\nSGD\tS2\tB\t\tGO:0000002\tREF\tTAS\t\tC\t\t\tgene\ttaxon:4932\t20010101\tSGD\n");
	r = gaf_open(put("rows.gaf", text), &err);
	assert_non_null(r);
	assert_int_equal(gaf_next(r, &row, &err), 1);
	assert_string_equal(gaf_version(r), "2.1");
	assert_int_equal(row.line, 3);
	assert_string_equal(row.col[GAF_OBJECT_ID], "S000000001");
	assert_string_equal(row.col[GAF_SYNONYMS], "YFX001W|A1");
	assert_int_equal(row.negated, 0);
	assert_int_equal(row.date, 20100101);
	assert_int_equal(gaf_next(r, &row, &err), 1);
	assert_int_equal(row.negated, 1);
	assert_int_equal(row.date, 19991231);
	assert_int_equal(gaf_next(r, &row, &err), 1);
	assert_int_equal(row.negated, 0);	/* qualifiers other than NOT */
	assert_int_equal(gaf_next(r, &row, &err), 1);	/* 15 columns, after a blank line */
	assert_int_equal(row.line, 7);
	assert_string_equal(row.col[GAF_ASPECT], "C");
	assert_string_equal(row.col[GAF_EXTENSION], "");
	assert_string_equal(row.col[GAF_PRODUCT_FORM], "");
	assert_int_equal(gaf_next(r, &row, &err), 0);
	assert_true(gaf_bytes(r) == strlen(text));
	gaf_close(r);
	gaf_close(NULL);
}

static void test_gaf_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "SGD\tS1\tA\t\tGO:0000001\n", "bad.gaf:1: 5 columns, a GAF row has 17 (15 in GAF 1.0)" },
		{ "!gaf-version: 3.0\n", "bad.gaf:1: gaf-version 3.0 is not supported" },
		{ "SGD\t\tA\t\tGO:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 2 (DB object id): '' is empty" },
		{ "SGD\tS1\tA\t\tGO1\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 5 (GO id): 'GO1' is not a GO id" },
		{ "SGD\tS1\tA\t\tGO:123\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 5 (GO id): 'GO:123' is not a GO id (GO: and seven digits)" },
		{ "SGD\tS1\tA\t\tGO:00000011\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 5 (GO id): 'GO:00000011' is not a GO id" },
		{ "SGD\tS1\tA\t\tgo:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 5 (GO id): 'go:0000001' is not a GO id" },
		{ "SGD\tS1\tA\t\tGO:0000001\tR\tida\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 7 (evidence code): 'ida' is not a GO evidence code" },
		{ "SGD\tS1\tA\t\tGO:0000001\tR\tZZZ\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 7 (evidence code): 'ZZZ' is not a GO evidence code" },
		{ "SGD\tS1\tA\t\tGO:0000001\tR\tIDA\t\tX\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 9 (aspect): 'X' is not P, F or C" },
		{ "SGD\tS1\tA\t\tGO:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t2010-01-01\tSGD\t\t\n",
		  "bad.gaf:1: column 14 (date): '2010-01-01' is not a date YYYYMMDD" },
		{ "SGD\tS1\tA\t\tGO:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t20101301\tSGD\t\t\n",
		  "bad.gaf:1: column 14 (date): '20101301' is not a date" },
		{ "!\nSGD\tS1\tA\t\tGO:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\tx\tx\n",
		  "bad.gaf:2: 19 columns" },
		/* NOTE is not NOT, nor is not: a qualifier GAF does not define is refused */
		{ "SGD\tS1\tA\tcontributes_to|NOTE\tGO:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 4 (qualifier): 'contributes_to|NOTE' is not NOT or a GAF 2.x qualifier" },
		{ "SGD\tS1\tA\tnot\tGO:0000001\tR\tIDA\t\tP\t\t\tgene\tt\t20100101\tSGD\t\t\n",
		  "bad.gaf:1: column 4 (qualifier): 'not' is not NOT" },
	};
	gaf_reader *r;
	gaf_row row;
	cp_error err;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		r = gaf_open(put("bad.gaf", cases[i].text), &err);
		assert_non_null(r);
		assert_int_equal(gaf_next(r, &row, &err), -1);
		if (!strstr(err.msg, cases[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].message);
		gaf_close(r);
	}
}

static void test_dates(void **state)
{
	int32_t d = 0;

	(void)state;
	assert_int_equal(gaf_parse_date("20000229", &d), 0);
	assert_int_equal(d, 20000229);
	assert_int_equal(gaf_parse_date("2017-07-19", &d), 0);
	assert_int_equal(d, 20170719);
	assert_int_equal(gaf_parse_date("19000229", &d), -1);	/* not a leap year */
	assert_int_equal(gaf_parse_date("20010229", &d), -1);
	assert_int_equal(gaf_parse_date("20000431", &d), -1);
	assert_int_equal(gaf_parse_date("20000001", &d), -1);
	assert_int_equal(gaf_parse_date("2000010", &d), -1);
	assert_int_equal(gaf_parse_date("200001011", &d), -1);
	assert_int_equal(gaf_parse_date("2000/01/01", &d), -1);
	assert_int_equal(gaf_parse_date("", &d), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_obo_sample),
		cmocka_unit_test(test_obo_long_chain),
		cmocka_unit_test(test_obo_compressed),
		cmocka_unit_test(test_obo_errors),
		cmocka_unit_test(test_gaf_rows),
		cmocka_unit_test(test_gaf_errors),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
