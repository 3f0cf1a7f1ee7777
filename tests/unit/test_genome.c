/* Unit tests of lib/genome.h on a hand-written features table. */
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

#include "genome.h"

#define FIX "tests/fixtures/genome/"

static void test_sgd_table(void **state)
{
	genome g;
	cp_error err;
	size_t added, unmapped;

	(void)state;
	if (genome_load(&g, FIX "SGD_features_small.tab", &err) < 0)
		fail_msg("%s", err.msg);
	/* ORFs only (not the CDS or the rRNA gene), sorted by name */
	assert_int_equal(g.n, 4);
	assert_string_equal(g.names[0], "Q0010");
	assert_string_equal(g.names[1], "YAL001C");
	assert_string_equal(g.names[3], "YAL068W-A");
	assert_string_equal(g.standard[1], "TFC3");
	assert_string_equal(g.standard[3], "");
	assert_int_equal(genome_lookup(&g, "tfc3"), 1);		/* standard beats alias */
	assert_int_equal(genome_lookup(&g, "VPS8"), 2);
	assert_int_equal(genome_lookup(&g, "fun15"), 2);
	assert_int_equal(genome_lookup(&g, "S000000002"), 2);
	assert_int_equal(genome_lookup(&g, "S000099991"), 1);	/* secondary SGD id */
	assert_int_equal(genome_lookup(&g, "SHARED"), GENOME_AMBIGUOUS);
	assert_int_equal(genome_lookup(&g, "RDN15-1"), GENOME_UNKNOWN);
	assert_int_equal(genome_lookup(&g, "15S_RRNA"), GENOME_UNKNOWN);
	assert_int_equal(g.n_ambiguous, 1);
	assert_int_equal(genome_add_uniprot(&g, FIX "uniprot_small.csv", &added, &unmapped, &err), 0);
	assert_int_equal(added, 2);
	assert_int_equal(unmapped, 1);
	assert_int_equal(genome_lookup(&g, "p39702"), 2);
	genome_free(&g);
}

/* Written with aliases and read back, identifiers map the same way. */
static void test_record_round_trip(void **state)
{
	genome g, back;
	cp_error err;
	cpz_record rec;
	const char *probe[] = { "tfc3", "FUN24", "TSV115", "S000000002", "SHARED", "Q0010", "nope" };

	(void)state;
	assert_int_equal(genome_load_sgd(&g, FIX "SGD_features_small.tab", &err), 0);
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	if (genome_to_record(&g, &rec, 1, &err) < 0)
		fail_msg("%s", err.msg);
	assert_non_null(cpz_record_field(&rec, "alias.name"));
	if (genome_from_record(&back, &rec, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(back.n, g.n);
	assert_true(back.hash == g.hash);
	/* every identifier maps as before, a shared one stays ambiguous */
	for (size_t i = 0; i < sizeof probe / sizeof *probe; i++)
		assert_int_equal(genome_lookup(&back, probe[i]), genome_lookup(&g, probe[i]));
	assert_int_equal(genome_lookup(&back, "SHARED"), GENOME_AMBIGUOUS);
	assert_int_equal(back.n_ambiguous, g.n_ambiguous);
	genome_free(&back);
	cpz_record_free(&rec);
	genome_free(&g);
}

/* A genome without a shared identifier writes and reads back as well. */
static void test_record_nothing_shared(void **state)
{
	char path[] = "/tmp/genome.XXXXXX";
	int fd = mkstemp(path);
	const char rows[] =
		"S000000001\tORF\tVerified\tYAL001C\tTFC3\tFUN24\tchromosome 1\t\t1\t1\t2\tC\t\t"
		"2011-03-03\t1996-07-31\tx\n"
		"S000000002\tORF\tVerified\tYAL002W\tVPS8\tFUN15\tchromosome 1\t\t1\t3\t4\tW\t\t"
		"2011-03-03\t1996-07-31\tx\n";
	genome g, back;
	cpz_record rec;
	cp_error err;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, rows, sizeof rows - 1), (ssize_t)(sizeof rows - 1));
	close(fd);
	assert_int_equal(genome_load_sgd(&g, path, &err), 0);
	unlink(path);
	assert_int_equal(g.n_ambiguous, 0);
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	if (genome_to_record(&g, &rec, 1, &err) < 0 || genome_from_record(&back, &rec, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(genome_lookup(&back, "fun15"), 1);
	assert_int_equal(back.n_ambiguous, 0);
	genome_free(&back);
	cpz_record_free(&rec);
	genome_free(&g);
}

static void test_bad_table(void **state)
{
	genome g;
	cp_error err;
	char path[] = "/tmp/genome-bad.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(write(fd, "S1\tORF\n", 7), 7);
	close(fd);
	assert_int_equal(genome_load_sgd(&g, path, &err), -1);
	assert_non_null(strstr(err.msg, ":1: 2 columns"));
	unlink(path);
	/* an ORF listed twice: both lines named */
	{
		static const char twice[] = "S1\tORF\tVerified\tYAL001C\tTFC3\t\tI\t\n"
					    "S2\tORF\tVerified\tYAL002W\tVPS8\t\tI\t\n"
					    "S3\tORF\tVerified\tYAL001C\t\t\tI\t\n";
		char path2[] = "/tmp/genome-bad.XXXXXX";

		fd = mkstemp(path2);
		assert_int_equal(write(fd, twice, sizeof twice - 1), (ssize_t)(sizeof twice - 1));
		close(fd);
		assert_int_equal(genome_load_sgd(&g, path2, &err), -1);
		assert_non_null(strstr(err.msg, ":3: column 4 (feature name): ORF YAL001C appears twice "
					       "(first on line 1)"));
		unlink(path2);
	}
	assert_int_equal(genome_load(&g, "/nonexistent", &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sgd_table),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_nothing_shared),
		cmocka_unit_test(test_bad_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
