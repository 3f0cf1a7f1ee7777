/*
 * Unit tests of lib/go_build.h on the hand-made ontologies and annotations
 * of tests/fixtures/gaf2go: every filter and reconnection rule, with the
 * expected DAG derived by hand and asserted exactly.
 *
 * A DAG is compared as text, one line per term in output order:
 *   ID stratum contained PARENT[:part_of],... | GENE/EVIDENCE/DATE,...
 */
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

#include "go_build.h"

#define FIX "tests/fixtures/gaf2go/"

static char text[8192];
static int64_t stats[GO_STAT_COUNT];

static void render(const go_dag *d)
{
	size_t n = 0;

	text[0] = '\0';
	for (size_t t = 0; t < d->n_terms && n < sizeof text; t++) {
		n += (size_t)snprintf(text + n, sizeof text - n, "%s %d %d ", d->term_id[t],
				      d->stratum[t], d->n_contained[t]);
		for (int64_t k = d->parent_ptr[t]; k < d->parent_ptr[t + 1] && n < sizeof text; k++)
			n += (size_t)snprintf(text + n, sizeof text - n, "%s%s%s",
					      k > d->parent_ptr[t] ? "," : "", d->term_id[d->parent[k]],
					      d->parent_rel[k] ? ":part_of" : "");
		n += (size_t)snprintf(text + n, sizeof text - n, " |");
		for (int64_t k = d->gene_ptr[t]; k < d->gene_ptr[t + 1] && n < sizeof text; k++)
			n += (size_t)snprintf(text + n, sizeof text - n, " %s/%s/%d", d->genes[d->gene[k]],
					      d->evidence_codes[d->evidence[k]], d->date[k]);
		n += (size_t)snprintf(text + n, sizeof text - n, "\n");
	}
}

/* Build from FIX/NAME.obo and FIX/NAME.gaf; returns go_build's status and
 * leaves the rendering in text (or the error in text). */
static int run(const char *name, const go_build_options *opt)
{
	char obo_path[256], gaf_path[256];
	obo_ontology obo;
	genome g;
	go_dag d;
	cp_error err;
	int rc;

	snprintf(obo_path, sizeof obo_path, FIX "%s.obo", name);
	snprintf(gaf_path, sizeof gaf_path, FIX "%s.gaf", name);
	if (genome_load(&g, FIX "genes.tab", &err) < 0 || obo_read(&obo, obo_path, &err) < 0)
		fail_msg("%s", err.msg);
	rc = go_build(&obo, &g, gaf_path, opt, &d, stats, &err);
	if (rc == 0) {
		render(&d);
		go_dag_free(&d);
	} else {
		snprintf(text, sizeof text, "%s", err.msg);
	}
	obo_free(&obo);
	genome_free(&g);
	return rc;
}

static void options(go_build_options *opt, const char *filters)
{
	cp_error err;

	go_build_defaults(opt);
	assert_int_equal(go_build_set_filters(opt, filters, &err), 0);
}

/* b and e are annotated under unannotated a and c: the direct filter removes
 * a and c.  Reconnected to parents, d goes up through c and a to the root
 * and e keeps both its ancestries; tied to the root, e keeps only b, and b
 * and d, left without a path, are tied to biological_process. */
static void test_direct_reconnection(void **state)
{
	go_build_options opt;

	(void)state;
	options(&opt, "direct");
	assert_int_equal(run("reconnect", &opt), 0);
	assert_string_equal(text,
		"GO:0000004 0 1 GO:0008150 | YFX002W/IDA/20100101\n"
		"GO:0000005 0 1 GO:0000002,GO:0008150 | YFX003W/IDA/20100101\n"
		"GO:0000002 1 2 GO:0008150 | YFX001W/IDA/20100101\n"
		"GO:0008150 2 3 ROOT |\n"
		"ROOT 3 3  |\n");
	assert_int_equal(stats[GO_STAT_REMOVED_DIRECT], 2);
	assert_int_equal(stats[GO_STAT_TIED_DIRECT], 0);
	assert_int_equal(stats[GO_STAT_TERMS], 5);
	assert_int_equal(stats[GO_STAT_EDGES], 5);
	assert_int_equal(stats[GO_STAT_LEAVES], 2);
	assert_int_equal(stats[GO_STAT_STRATA], 4);

	opt.reconnect = GO_RECONNECT_ROOT;
	assert_int_equal(run("reconnect", &opt), 0);
	assert_string_equal(text,
		"GO:0000004 0 1 GO:0008150 | YFX002W/IDA/20100101\n"
		"GO:0000005 0 1 GO:0000002 | YFX003W/IDA/20100101\n"
		"GO:0000002 1 2 GO:0008150 | YFX001W/IDA/20100101\n"
		"GO:0008150 2 3 ROOT |\n"
		"ROOT 3 3  |\n");
	assert_int_equal(stats[GO_STAT_REMOVED_DIRECT], 2);
	assert_int_equal(stats[GO_STAT_TIED_DIRECT], 2);
}

/* Contained sets: p equals its child q, w its child x, m its child n and n
 * its child o, so p, w, m and n go (their own annotations with them) and
 * their children join their parents; u and v contain nothing and stay.
 * Direct sets: only w = x and the chain m = n = o match. */
static void test_redundancy(void **state)
{
	go_build_options opt;

	(void)state;
	options(&opt, "redundancy");
	assert_int_equal(run("redundancy", &opt), 0);
	assert_string_equal(text,
		"GO:0000012 0 1 GO:0000011 | YFX001W/IDA/20100101\n"
		"GO:0000013 0 1 GO:0008150 | YFX002W/IDA/20100101\n"
		"GO:0000015 0 1 GO:0008150 | YFX003W/IDA/20100101\n"
		"GO:0000017 0 0 GO:0000016 |\n"
		"GO:0000020 0 1 GO:0008150 | YFX005W/IDA/20100101\n"
		"GO:0000011 1 2 GO:0008150 | YFX002W/IDA/20100101\n"
		"GO:0000016 1 0 GO:0008150 |\n"
		"GO:0008150 2 4 ROOT |\n"
		"ROOT 3 4  |\n");
	assert_int_equal(stats[GO_STAT_REMOVED_REDUNDANT], 4);
	assert_int_equal(stats[GO_STAT_ANNOTATIONS_DROPPED], 4);

	opt.redundancy = GO_REDUNDANT_DIRECT;
	assert_int_equal(run("redundancy", &opt), 0);
	assert_string_equal(text,
		"GO:0000012 0 1 GO:0000011 | YFX001W/IDA/20100101\n"
		"GO:0000013 0 1 GO:0000010 | YFX002W/IDA/20100101\n"
		"GO:0000015 0 1 GO:0008150 | YFX003W/IDA/20100101\n"
		"GO:0000017 0 0 GO:0000016 |\n"
		"GO:0000020 0 1 GO:0008150 | YFX005W/IDA/20100101\n"
		"GO:0000011 1 2 GO:0000010 | YFX002W/IDA/20100101\n"
		"GO:0000016 1 0 GO:0008150 |\n"
		"GO:0000010 2 2 GO:0008150 | YFX001W/IDA/20100101\n"
		"GO:0008150 3 4 ROOT |\n"
		"ROOT 4 4  |\n");
	assert_int_equal(stats[GO_STAT_REMOVED_REDUNDANT], 3);
	assert_int_equal(stats[GO_STAT_ANNOTATIONS_DROPPED], 3);
}

/* With two genes needed, c, d, e, f, h and i go; their genes move to the
 * nearest remaining ancestors (f's to both a and b).  Containment first
 * gives g two genes, so the direct filter keeps it; the direct filter first
 * removes g, and h's and i's genes then reach biological_process. */
static void test_containment_and_order(void **state)
{
	go_build_options opt;

	(void)state;
	options(&opt, "containment,direct");
	opt.min_genes = 2;
	assert_int_equal(run("containment", &opt), 0);
	assert_string_equal(text,
		"GO:0000022 0 4 GO:0000021 | YFX002W/IDA/20100101 YFX003W/IDA/20100101 "
		"YFX005W/IDA/20100101 YFX006W/IDA/20100101\n"
		"GO:0000027 0 2 GO:0008150 | YFX007W/IDA/20100101 YFX008W/IDA/20100101\n"
		"GO:0000021 1 6 GO:0008150 | YFX001W/IDA/20100101 YFX004W/IDA/20100101 "
		"YFX006W/IDA/20100101\n"
		"GO:0008150 2 8 ROOT |\n"
		"ROOT 3 8  |\n");
	assert_int_equal(stats[GO_STAT_REMOVED_CONTAINMENT], 6);
	assert_int_equal(stats[GO_STAT_ANNOTATIONS_MOVED], 5);
	assert_int_equal(stats[GO_STAT_REMOVED_DIRECT], 0);

	options(&opt, "direct,containment");
	opt.min_genes = 2;
	assert_int_equal(run("containment", &opt), 0);
	assert_string_equal(text,
		"GO:0000022 0 4 GO:0000021 | YFX002W/IDA/20100101 YFX003W/IDA/20100101 "
		"YFX005W/IDA/20100101 YFX006W/IDA/20100101\n"
		"GO:0000021 1 6 GO:0008150 | YFX001W/IDA/20100101 YFX004W/IDA/20100101 "
		"YFX006W/IDA/20100101\n"
		"GO:0008150 2 8 ROOT | YFX007W/IDA/20100101 YFX008W/IDA/20100101\n"
		"ROOT 3 8  |\n");
	assert_int_equal(stats[GO_STAT_REMOVED_DIRECT], 2);
	assert_int_equal(stats[GO_STAT_REMOVED_CONTAINMENT], 5);
	assert_int_equal(stats[GO_STAT_ANNOTATIONS_MOVED], 5);
	assert_int_equal(stats[GO_STAT_GENES_ANNOTATED], 8);

	/* too many genes asked for: nothing but the root would be left */
	options(&opt, "containment");
	opt.min_genes = 9;
	assert_int_equal(run("containment", &opt), -1);
	assert_non_null(strstr(text, "containment.obo: no term is left after the filters"));
}

/* b's only parent is a part_of: with is_a alone it has no parent and is
 * tied to biological_process; with part_of, removing the unannotated b
 * joins c to a through a part_of.  e names a twice and keeps is_a. */
static void test_relations(void **state)
{
	go_build_options opt;
	cp_error err;

	(void)state;
	options(&opt, "none");
	assert_int_equal(run("partof", &opt), 0);
	assert_string_equal(text,
		"GO:0000053 0 1 GO:0000052 | YFX003W/IDA/20100101\n"
		"GO:0000055 0 1 GO:0000051 | YFX005W/IDA/20100101\n"
		"GO:0000051 1 2 GO:0008150 | YFX001W/IDA/20100101\n"
		"GO:0000052 1 1 GO:0008150 |\n"
		"GO:0008150 2 3 ROOT |\n"
		"ROOT 3 3  |\n");
	assert_int_equal(stats[GO_STAT_TIED_AT_START], 1);
	assert_int_equal(stats[GO_STAT_EDGES_READ], 3);

	options(&opt, "direct");
	assert_int_equal(go_build_set_relations(&opt, "is_a,part_of", &err), 0);
	assert_int_equal(run("partof", &opt), 0);
	assert_string_equal(text,
		"GO:0000053 0 1 GO:0000051:part_of | YFX003W/IDA/20100101\n"
		"GO:0000055 0 1 GO:0000051 | YFX005W/IDA/20100101\n"
		"GO:0000051 1 3 GO:0008150 | YFX001W/IDA/20100101\n"
		"GO:0008150 2 3 ROOT |\n"
		"ROOT 3 3  |\n");
	assert_int_equal(stats[GO_STAT_TIED_AT_START], 0);
	assert_int_equal(stats[GO_STAT_EDGES_READ], 4);	/* e -> a once */
}

/* Every way a GAF row is mapped or dropped, counted once each. */
static void test_annotations(void **state)
{
	go_build_options opt;
	cp_error err;

	(void)state;
	options(&opt, "none");
	assert_int_equal(go_build_set_before(&opt, "2012-01-01", &err), 0);
	assert_int_equal(run("annotations", &opt), 0);
	assert_string_equal(text,
		"GO:0000031 0 4 GO:0008150 | YFX001W/TAS/20050101 YFX002W/IMP/20090101 "
		"YFX003W/IDA/20100101 YFX004W/IDA/20100101\n"
		"GO:0000032 0 4 GO:0008150 | YFX001W/IDA/20100101 YFX004W/IDA/20100101 "
		"YFX005W/IDA/20100101 YFX007W/IDA/20100101\n"
		"GO:0000041 0 1 GO:0003674 | YFX006W/IDA/20100101\n"
		"GO:0005575 0 0 ROOT |\n"
		"GO:0003674 1 1 ROOT |\n"
		"GO:0008150 1 6 ROOT |\n"
		"ROOT 2 7  |\n");
	assert_int_equal(stats[GO_STAT_TERMS_READ], 10);
	assert_int_equal(stats[GO_STAT_TERMS_OBSOLETE], 4);
	assert_int_equal(stats[GO_STAT_ROWS], 18);
	assert_int_equal(stats[GO_STAT_ROWS_UNMAPPED], 1);
	assert_int_equal(stats[GO_STAT_GENES_UNMAPPED], 1);
	assert_int_equal(stats[GO_STAT_ROWS_AMBIGUOUS], 1);
	assert_int_equal(stats[GO_STAT_ROWS_UNKNOWN_TERM], 1);
	assert_int_equal(stats[GO_STAT_ROWS_OBSOLETE], 1);
	assert_int_equal(stats[GO_STAT_ROWS_REPLACED], 2);
	assert_int_equal(stats[GO_STAT_ROWS_ALT_ID], 1);
	assert_int_equal(stats[GO_STAT_ROWS_NOT], 2);
	assert_int_equal(stats[GO_STAT_ROWS_EVIDENCE], 1);
	assert_int_equal(stats[GO_STAT_ROWS_DATE], 1);
	assert_int_equal(stats[GO_STAT_ROWS_KEPT], 10);
	assert_int_equal(stats[GO_STAT_ANNOTATIONS_UNIQUE], 9);
	assert_int_equal(stats[GO_STAT_ANNOTATIONS], 9);

	/* no evidence excluded and no cutoff: the IGI row is the earlier of
	 * two annotations of YFX003W to the second term */
	options(&opt, "none");
	assert_int_equal(go_build_set_evidence(&opt, "none", &err), 0);
	assert_int_equal(run("annotations", &opt), 0);
	assert_non_null(strstr(text, "YFX003W/IGI/20100101"));
	assert_int_equal(stats[GO_STAT_ROWS_KEPT], 12);

	/* everything excluded: an error that says why */
	assert_int_equal(go_build_set_evidence(&opt, "IDA,IMP,TAS,IGI", &err), 0);
	assert_int_equal(run("annotations", &opt), -1);
	assert_non_null(strstr(text, "annotations.gaf: no annotation is left of 18 rows"));
}

static void test_options(void **state)
{
	go_build_options opt;
	char rel[64], ev[64], filters[64];
	cp_error err;

	(void)state;
	go_build_defaults(&opt);
	go_build_format(&opt, rel, ev, filters, sizeof rel);
	assert_string_equal(rel, "is_a");
	assert_string_equal(ev, "IGI");
	assert_string_equal(filters, "direct,redundancy,containment");
	assert_int_equal(opt.min_genes, 4);
	assert_int_equal(go_build_set_relations(&opt, " part_of , is_a", &err), 0);
	assert_int_equal(go_build_set_evidence(&opt, "igi,IEA", &err), 0);
	assert_int_equal(go_build_set_filters(&opt, "containment,redundancy", &err), 0);
	go_build_format(&opt, rel, ev, filters, sizeof rel);
	assert_string_equal(rel, "is_a,part_of");
	assert_string_equal(ev, "IGI,IEA");
	assert_string_equal(filters, "containment,redundancy");
	assert_int_equal(go_build_set_filters(&opt, "", &err), 0);
	assert_int_equal(go_build_set_evidence(&opt, "none", &err), 0);
	go_build_format(&opt, rel, ev, filters, sizeof rel);
	assert_string_equal(ev, "none");
	assert_string_equal(filters, "none");
	assert_int_equal(go_build_set_relations(&opt, "regulates", &err), -1);
	assert_string_equal(err.msg, "'regulates' is not a relation (is_a, part_of)");
	assert_int_equal(go_build_set_relations(&opt, "", &err), -1);
	assert_int_equal(go_build_set_filters(&opt, "direct,direct", &err), -1);
	assert_string_equal(err.msg, "filter 'direct' named twice");
	assert_int_equal(go_build_set_filters(&opt, "slim", &err), -1);
	assert_int_equal(go_build_set_evidence(&opt, "I-G-I", &err), -1);
	assert_int_equal(go_build_set_before(&opt, "2017-07-19", &err), 0);
	assert_int_equal(opt.before, 20170719);
	assert_int_equal(go_build_set_before(&opt, "20170719", &err), 0);
	assert_int_equal(go_build_set_before(&opt, "2017-02-30", &err), -1);
	assert_int_equal(go_build_set_before(&opt, "2017-7-19", &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_reconnection),
		cmocka_unit_test(test_redundancy),
		cmocka_unit_test(test_containment_and_order),
		cmocka_unit_test(test_relations),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
