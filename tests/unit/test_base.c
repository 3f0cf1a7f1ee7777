/* Unit tests of lib/cp_base.h, lib/textio.h and lib/table.h. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "cp_base.h"
#include "table.h"
#include "textio.h"

/* Published XXH64 values, and agreement with the checksum zstd itself
 * writes at the end of a frame (the low 32 bits of XXH64, seed 0). */
static void test_xxh64(void **state)
{
	uint8_t data[5000];
	uint32_t seed = 12345;

	(void)state;
	assert_true(cp_hash64_bytes("", 0, 0) == 0xEF46DB3751D8E999ULL);
	assert_true(cp_hash64_bytes("abc", 3, 0) == 0x44BC2CF5AD770999ULL);
	for (size_t i = 0; i < sizeof data; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	for (size_t len = 0; len < sizeof data; len += len < 70 ? 1 : 997) {
		uint8_t frame[6000];
		ZSTD_CCtx *c = ZSTD_createCCtx();
		size_t n;
		uint32_t stored;
		cp_hash64 h;

		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		n = ZSTD_compress2(c, frame, sizeof frame, data, len);
		assert_false(ZSTD_isError(n));
		memcpy(&stored, frame + n - 4, 4);
		assert_int_equal(stored, (uint32_t)cp_hash64_bytes(data, len, 0));
		/* streaming in odd pieces gives the same value */
		cp_hash64_init(&h, 0);
		for (size_t off = 0; off < len;) {
			size_t take = (off % 13) + 1;

			if (take > len - off)
				take = len - off;
			cp_hash64_update(&h, data + off, take);
			off += take;
		}
		assert_true(cp_hash64_final(&h) == cp_hash64_bytes(data, len, 0));
		ZSTD_freeCCtx(c);
	}
}

static void test_checked_sizes(void **state)
{
	size_t out;
	cp_error err;

	(void)state;
	assert_int_equal(cp_mul_size(SIZE_MAX / 2, 3, &out), -1);
	assert_int_equal(cp_mul_size(1000, 1000, &out), 0);
	assert_int_equal(out, 1000000);
	assert_int_equal(cp_add_size(SIZE_MAX, 1, &out), -1);
	assert_null(cp_malloc(SIZE_MAX / 4, 8, &err));
	assert_non_null(strstr(err.msg, "overflows"));
}

static void test_arena(void **state)
{
	cp_arena a;
	cp_error err;
	char *p[1000];

	(void)state;
	cp_arena_init(&a);
	for (int i = 0; i < 1000; i++) {
		size_t n = (size_t)(i % 17) * 100 + 1;

		p[i] = cp_arena_alloc(&a, n, &err);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 64, 0);
		memset(p[i], i & 0xff, n);
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal((uint8_t)p[i][0], i & 0xff);
	assert_non_null(cp_arena_alloc(&a, 10 << 20, &err));	/* a block of its own */
	cp_arena_reset(&a);
	assert_non_null(cp_arena_strndup(&a, "abcdef", 3, &err));
	assert_string_equal(cp_arena_strndup(&a, "abcdef", 3, &err), "abc");
	cp_arena_free(&a);
	cp_arena_free(&a);	/* safe twice */
}

static void test_parse_numbers(void **state)
{
	int64_t i;
	double d;

	(void)state;
	assert_int_equal(cp_parse_i64("-42", &i), 0);
	assert_int_equal(i, -42);
	assert_int_equal(cp_parse_i64("42x", &i), -1);
	assert_int_equal(cp_parse_i64("", &i), -1);
	assert_int_equal(cp_parse_i64(" 1", &i), -1);
	assert_int_equal(cp_parse_i64("99999999999999999999", &i), -1);
	assert_int_equal(cp_parse_f64("1e-3", &d), 0);
	assert_true(d == 1e-3);
	assert_int_equal(cp_parse_f64("1e999", &d), -1);
	assert_int_equal(cp_parse_f64("0.5.", &d), -1);
	assert_int_equal(cp_parse_f64("-2.5E+1", &d), 0);
	assert_true(d == -25.0);
	assert_int_equal(cp_parse_f64("0x1p3", &d), -1);
	assert_int_equal(cp_parse_f64("-0X10", &d), -1);
	assert_int_equal(cp_parse_f64("nan(1)", &d), -1);
	assert_int_equal(cp_parse_f64("NaN", &d), 0);
	assert_true(isnan(d));
	assert_int_equal(cp_parse_f64("0", &d), 0);
	assert_true(d == 0.0);
}

static char tmpdir[256];

/* The scratch directory of the file-reading tests, made by the first that
 * runs and removed by test_table (the last). */
static void need_tmpdir(void)
{
	if (tmpdir[0])
		return;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cp-base.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static const char text[] = "# comment\nYAL001C\t0.5\r\n\nYAL002W\t\n"
			   "last line without newline";

static void check_lines(const char *path)
{
	cp_error err;
	cp_input *in = cp_input_open(path, &err);
	char *line;
	size_t len;
	const char *want[] = { "# comment", "YAL001C\t0.5", "", "YAL002W\t",
			       "last line without newline" };

	if (!in)
		fail_msg("%s", err.msg);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(cp_input_getline(in, &line, &len, &err), 1);
		assert_string_equal(line, want[i]);
		assert_int_equal(len, strlen(want[i]));
		assert_int_equal(cp_input_lineno(in), (size_t)i + 1);
	}
	assert_int_equal(cp_input_getline(in, &line, &len, &err), 0);
	cp_input_close(in);
}

/* The same text read plain, gzip-compressed (two members) and zstd. */
static void test_textio_compressions(void **state)
{
	char plain[300], gz[300], zs[300];
	uint8_t buf[4096];
	size_t half = sizeof text / 2;

	(void)state;
	need_tmpdir();
	snprintf(plain, sizeof plain, "%s/t.txt", tmpdir);
	snprintf(gz, sizeof gz, "%s/t.gz", tmpdir);
	snprintf(zs, sizeof zs, "%s/t.zst", tmpdir);
	write_file(plain, text, sizeof text - 1);
	{
		gzFile g = gzopen(gz, "wb");

		gzwrite(g, text, (unsigned)half);
		gzclose(g);
		g = gzopen(gz, "ab");	/* a second member, as cat a.gz b.gz makes */
		gzwrite(g, text + half, (unsigned)(sizeof text - 1 - half));
		gzclose(g);
	}
	{
		size_t n = ZSTD_compress(buf, sizeof buf, text, sizeof text - 1, 3);

		write_file(zs, buf, n);
	}
	check_lines(plain);
	check_lines(gz);
	check_lines(zs);
	{
		cp_error err;

		assert_null(cp_input_open("/nonexistent/file", &err));
		assert_non_null(strstr(err.msg, "/nonexistent/file: No such file"));
	}
	{
		/* a truncated gzip file is an error, not a short read */
		FILE *fp = fopen(gz, "rb");
		size_t n = fread(buf, 1, sizeof buf, fp);
		char cut[300], *line;
		size_t len;
		cp_error err;
		cp_input *in;
		int rc;

		fclose(fp);
		snprintf(cut, sizeof cut, "%s/cut.gz", tmpdir);
		write_file(cut, buf, n / 2);
		in = cp_input_open(cut, &err);
		assert_non_null(in);
		while ((rc = cp_input_getline(in, &line, &len, &err)) == 1)
			;
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err.msg, "truncated gzip"));
		cp_input_close(in);
	}
}

static void test_split(void **state)
{
	char line[] = "a\tb\t\tc";
	char ws[] = "  YAL001C   YAL002W\t0.5  ";
	char *f[8];

	(void)state;
	assert_int_equal(cp_split(line, '\t', f, 8), 4);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[2], "");
	assert_string_equal(f[3], "c");
	char line2[] = "a\tb\tc\td";

	assert_int_equal(cp_split(line2, '\t', f, 2), 4);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "b\tc\td");
	assert_int_equal(cp_split_ws(ws, f, 8), 3);
	assert_string_equal(f[0], "YAL001C");
	assert_string_equal(f[1], "YAL002W");
	assert_string_equal(f[2], "0.5");
}

/* Tables: TSV taken literally, CSV with quotes and embedded newlines. */
static void test_table(void **state)
{
	char tsv[300], csv[300];
	cp_table_options csv_opts = { ',', 1, 0 };
	cp_table *t;
	cp_error err;
	size_t n;
	char **f;

	(void)state;
	need_tmpdir();
	snprintf(tsv, sizeof tsv, "%s/t.tsv", tmpdir);
	snprintf(csv, sizeof csv, "%s/t.csv", tmpdir);
	static const char tsv_text[] = "# header comment\nid\tname\n1\t \"quoted\" \n\n2\t\n";
	static const char csv_text[] = "a,b\n\"x, y\",\"multi\nline\"\n3,\"say \"\"hi\"\"\"\n";

	write_file(tsv, tsv_text, strlen(tsv_text));
	write_file(csv, csv_text, strlen(csv_text));
	t = cp_table_open(tsv, NULL, &err);
	assert_non_null(t);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 1);
	assert_int_equal(n, 2);
	assert_string_equal(f[1], "name");
	assert_int_equal(cp_table_lineno(t), 2);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 1);
	assert_string_equal(f[1], " \"quoted\" ");	/* literal: no trimming, no quoting */
	assert_int_equal(cp_table_next(t, &n, &f, &err), 1);
	assert_int_equal(n, 2);
	assert_string_equal(f[0], "2");
	assert_string_equal(f[1], "");
	assert_int_equal(cp_table_lineno(t), 5);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 0);
	cp_table_close(t);

	t = cp_table_open(csv, &csv_opts, &err);
	assert_non_null(t);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 1);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 1);
	assert_int_equal(n, 2);
	assert_string_equal(f[0], "x, y");
	assert_string_equal(f[1], "multi\nline");
	assert_int_equal(cp_table_lineno(t), 2);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 1);
	assert_string_equal(f[1], "say \"hi\"");
	assert_int_equal(cp_table_lineno(t), 4);
	assert_int_equal(cp_table_next(t, &n, &f, &err), 0);
	cp_table_close(t);
	{
		char cmd[400];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		assert_int_equal(system(cmd), 0);
		tmpdir[0] = 0;
	}
}

static void touch(const char *dir, const char *name)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("x\n", fp);
	fclose(fp);
}

/* cp_tmp_sweep removes exactly the temporaries of one output: the files
 * named OUTPUT.tmp. and six characters, in OUTPUT's folder, that no
 * writer holds open. */
static void test_tmp_sweep(void **state)
{
	char dir[] = "/tmp/cellpipe-sweep.XXXXXX", path[256], out[256];
	const char *gone[] = { "m.cpz.tmp.Ab3dEf", "m.cpz.tmp.zzzzzz" };
	const char *kept[] = { "m.cpz", "m.cpz.tmp.abc", "m.cpz.tmp.abcdefg", "n.cpz.tmp.Ab3dEf", "xm.cpz.tmp.Ab3dEf" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, gone[i]);
		fclose(fopen(path, "w"));
	}
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
		fclose(fopen(path, "w"));
	}
	snprintf(out, sizeof out, "%s/m.cpz", dir);
	assert_int_equal(cp_tmp_sweep(out), 2);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, gone[i]);
		assert_int_equal(access(path, F_OK), -1);
	}
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
		assert_int_equal(access(path, F_OK), 0);
		unlink(path);
	}
	assert_int_equal(cp_tmp_sweep(out), 0);
	/* one a writer holds is another run's, writing now: kept until that
	 * writer is gone, closed but not yet renamed too (a writer closes
	 * its temporary, then renames it) */
	{
		cp_error err;
		char *tmp = NULL;
		int fd = cp_tmp_create(out, &tmp, &err), status;
		pid_t pid;

		assert_true(fd >= 0);
		assert_int_equal(cp_tmp_sweep(out), 0);
		assert_int_equal(access(tmp, F_OK), 0);
		close(fd);
		assert_int_equal(cp_tmp_sweep(out), 0);
		assert_int_equal(cp_tmp_commit(tmp, out, &err), 0);
		assert_int_equal(access(out, F_OK), 0);
		unlink(out);
		free(tmp);
		/* a writer killed mid-write */
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(cp_tmp_create(out, &tmp, &err) < 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_int_equal(cp_tmp_sweep(out), 1);
	}
	/* an output that is a symbolic link: those beside its file, where
	 * they are written */
	snprintf(path, sizeof path, "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	touch(path, "m.cpz");
	touch(path, "m.cpz.tmp.Ab3dEf");
	snprintf(path, sizeof path, "%s/link.cpz", dir);
	assert_int_equal(symlink("sub/m.cpz", path), 0);
	assert_int_equal(cp_tmp_sweep(path), 1);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub/m.cpz.tmp.Ab3dEf", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/sub/m.cpz", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

/* A sweep running beside a writer never takes its temporary, however the
 * two interleave: not between its creation and its lock either (a
 * temporary of each try, closed and renamed while another process sweeps
 * without pause; a few thousand tries meet that moment several times). */
static void test_tmp_sweep_beside_writer(void **state)
{
	char dir[] = "/tmp/cellpipe-sweep.XXXXXX", out[256];
	int failed = 0, status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof out, "%s/m.cpz", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		for (;;)
			cp_tmp_sweep(out);
	for (int i = 0; i < 5000 && !failed; i++) {
		cp_error err;
		char *tmp = NULL;
		int fd = cp_tmp_create(out, &tmp, &err);

		failed = fd < 0 || close(fd) < 0 || cp_tmp_commit(tmp, out, &err) < 0;
		free(tmp);
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(failed);
	unlink(out);
	rmdir(dir);
}

/* cp_remove_tree empties and removes a tree (files, nested and empty
 * directories, more entries than one read of the directory returns) and
 * never follows a symbolic link: what links point to is left as it was,
 * and a path that is itself a link loses only the link. */
static void test_remove_tree(void **state)
{
	char base[] = "/tmp/cellpipe-tree.XXXXXX", tree[300], path[600], outside[300];

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(outside, sizeof outside, "%s/outside", base);
	assert_int_equal(mkdir(outside, 0755), 0);
	touch(outside, "keep.txt");
	snprintf(tree, sizeof tree, "%s/tree", base);
	assert_int_equal(mkdir(tree, 0755), 0);
	for (int i = 0; i < 300; i++) {	/* several getdents64 reads */
		char name[64];

		snprintf(name, sizeof name, "file-with-a-longish-name-%03d.tsv", i);
		touch(tree, name);
	}
	snprintf(path, sizeof path, "%s/a", tree);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/a/b", tree);
	assert_int_equal(mkdir(path, 0755), 0);
	touch(path, "deep.txt");
	snprintf(path, sizeof path, "%s/a/empty", tree);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/a/b/to-outside", tree);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof path, "%s/to-file", tree);
	{
		char target[600];

		snprintf(target, sizeof target, "%s/keep.txt", outside);
		assert_int_equal(symlink(target, path), 0);
	}
	assert_int_equal(cp_remove_tree(tree), 0);
	assert_int_equal(access(tree, F_OK), -1);
	snprintf(path, sizeof path, "%s/keep.txt", outside);
	assert_int_equal(access(path, F_OK), 0);
	/* a link to a directory, given as the path: only the link goes */
	snprintf(path, sizeof path, "%s/link", base);
	assert_int_equal(symlink(outside, path), 0);
	assert_int_equal(cp_remove_tree(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/keep.txt", outside);
	assert_int_equal(access(path, F_OK), 0);
	/* a plain file; a missing path is an error */
	assert_int_equal(cp_remove_tree(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(cp_remove_tree(path), -1);
	assert_int_equal(rmdir(outside), 0);
	assert_int_equal(rmdir(base), 0);
}

/* The input registry: an output is refused over a file read as input
 * (named, or on standard input) until it is forgotten; a forgotten entry
 * leaves nothing behind for the next (a stale path once freed twice). */
static void test_inputs_registry(void **state)
{
	char dir[] = "/tmp/cellpipe-inputs.XXXXXX", a[256], b[256], *tmp = NULL;
	cp_error err;
	int fa, fb, saved, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	fclose(fopen(a, "w"));
	fclose(fopen(b, "w"));
	fa = open(a, O_RDONLY);
	cp_inputs_note(fa, a);
	assert_int_equal(cp_tmp_create(a, &tmp, &err), -1);
	assert_non_null(strstr(err.msg, "the output is also an input"));
	cp_inputs_forget(a);
	/* b as standard input, noted without a path */
	fb = open(b, O_RDONLY);
	saved = dup(STDIN_FILENO);
	assert_true(fb >= 0 && saved >= 0 && dup2(fb, STDIN_FILENO) == STDIN_FILENO);
	cp_inputs_note(STDIN_FILENO, NULL);
	assert_int_equal(cp_tmp_create(b, &tmp, &err), -1);
	cp_inputs_forget(b);
	cp_inputs_forget(b);
	dup2(saved, STDIN_FILENO);
	close(saved), close(fb), close(fa);
	/* both free again: written and renamed as usual */
	fd = cp_tmp_create(b, &tmp, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cp_tmp_commit(tmp, b, &err), 0);
	free(tmp);
	fd = cp_tmp_create(a, &tmp, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cp_tmp_commit(tmp, a, &err), 0);
	free(tmp);
	unlink(a), unlink(b);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xxh64),
		cmocka_unit_test(test_checked_sizes),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_textio_compressions),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_tmp_sweep),
		cmocka_unit_test(test_tmp_sweep_beside_writer),
		cmocka_unit_test(test_remove_tree),
		cmocka_unit_test(test_inputs_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
