/*
 * cpz-forge - write the corrupt-stream corpus and the format test vectors.
 *
 *   cpz-forge corrupt DIR   malformed streams, one defect each, and DIR/EXPECTED
 *                           (file <TAB> message fragment cpz verify must print)
 *   cpz-forge genome DIR    samples streams whose genome record parses but
 *                           does not hold, one of a genome alone, and
 *                           DIR/EXPECTED
 *   cpz-forge vectors DIR   small well-formed streams for formats/vectors
 *
 * Valid streams come from the library writer; defects are made by editing
 * its bytes or by packing msgpack by hand with msgpack-c and framing it
 * with zstd, so each file differs from a good stream in one known way.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <zstd.h>

#include "cpz.h"

static const char *outdir;
static FILE *expected;

static void die(const char *what)
{
	fprintf(stderr, "cpz-forge: %s\n", what);
	exit(1);
}

static void save(const char *name, const void *data, size_t len, const char *message)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", outdir, name);
	fp = fopen(path, "wb");
	if (!fp || (len && fwrite(data, 1, len, fp) != len) || fclose(fp) != 0)
		die(path);
	if (expected && message)
		fprintf(expected, "%s\t%s\n", name, message);
}

/* ---- hand-made frames -------------------------------------------------- */

typedef struct {
	cp_buf bytes;		/* the file */
	cp_hash64 hash;		/* over decompressed content, as the writer does */
	uint64_t content;
	int64_t records;
} forged;

static void forged_init(forged *f)
{
	memset(f, 0, sizeof *f);
	cp_hash64_init(&f->hash, 0);
}

static void add_frame(forged *f, const void *content, size_t len, int hashed)
{
	size_t cap = ZSTD_compressBound(len);
	void *out = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t n;

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(c, out, cap, content, len);
	if (ZSTD_isError(n))
		die("zstd");
	cp_buf_append(&f->bytes, out, n, NULL);
	if (hashed) {
		cp_hash64_update(&f->hash, content, len);
		f->content += len;
	}
	free(out);
	ZSTD_freeCCtx(c);
}

static void pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void add_header(forged *f, int major, int minor, const char *kind)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, kind ? 4 : 3);
	pk_str(&pk, "cpz");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, (uint64_t)major);
	msgpack_pack_uint64(&pk, (uint64_t)minor);
	if (kind) {
		pk_str(&pk, "kind");
		pk_str(&pk, kind);
	}
	pk_str(&pk, "producer");
	pk_str(&pk, "cpz-forge");
	pk_str(&pk, "command");
	pk_str(&pk, "cpz-forge corrupt");
	add_frame(f, sb.data, sb.size, 1);
	msgpack_sbuffer_destroy(&sb);
}

static void add_end(forged *f, int64_t count_delta, uint64_t checksum_xor)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "record");
	pk_str(&pk, "end");
	pk_str(&pk, "count");
	msgpack_pack_uint64(&pk, (uint64_t)(f->records + count_delta));
	pk_str(&pk, "bytes");
	msgpack_pack_uint64(&pk, f->content);
	pk_str(&pk, "checksum");
	msgpack_pack_uint64(&pk, cp_hash64_final(&f->hash) ^ checksum_xor);
	add_frame(f, sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
}

/* A record frame from raw msgpack bytes. */
static void add_raw_record(forged *f, const void *content, size_t len)
{
	add_frame(f, content, len, 1);
	f->records++;
}

/* Save a stream: header, one record of raw msgpack, end. */
static void one_record(const char *name, const void *content, size_t len, const char *message)
{
	forged f;

	forged_init(&f);
	add_header(&f, 1, 0, "table");
	add_raw_record(&f, content, len);
	add_end(&f, 0, 0);
	save(name, f.bytes.data, f.bytes.len, message);
	cp_buf_free(&f.bytes);
}

/* Pack a record {"record": "table", NAME: <tensor dtype/shape/data>} */
typedef struct {
	const char *dtype;
	int ndim;
	int64_t shape[12];
	const void *data;
	size_t len;
} tensor_spec;

static void pack_tensor(msgpack_packer *pk, const tensor_spec *t)
{
	msgpack_pack_map(pk, 3);
	pk_str(pk, "dtype");
	pk_str(pk, t->dtype);
	pk_str(pk, "shape");
	msgpack_pack_array(pk, (size_t)t->ndim);
	for (int d = 0; d < t->ndim; d++)
		msgpack_pack_int64(pk, t->shape[d]);
	pk_str(pk, "data");
	msgpack_pack_bin(pk, t->len);
	msgpack_pack_bin_body(pk, t->data, t->len);
}

static void tensor_record(const char *name, const tensor_spec *t, const char *message)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "record");
	pk_str(&pk, "table");
	pk_str(&pk, "x");
	pack_tensor(&pk, t);
	one_record(name, sb.data, sb.size, message);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- a valid stream from the library, as bytes ---------------------------- */

static void valid_stream(cp_buf *out, const char *kind)
{
	char path[4096];
	cpz_writer *w;
	cpz_record rec;
	cp_error err;
	float x[64];
	const char *names[] = { "YAL001C", "YAL002W", "YAL003W" };
	int64_t shape[2] = { 8, 8 };
	FILE *fp;
	char buf[65536];
	size_t n;

	for (int i = 0; i < 64; i++)
		x[i] = (float)i * 0.25f;
	snprintf(path, sizeof path, "%s/.valid.tmp", outdir);
	w = cpz_writer_open(path, kind, "cpz-forge", "cpz-forge", NULL, &err);
	if (!w)
		die(err.msg);
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	if (cpz_record_add_genome(&rec, 3, names, &err) < 0 || cpz_writer_write(w, &rec, &err) < 0)
		die(err.msg);
	cpz_record_reset(&rec, "table", &err);
	if (cpz_record_add_tensor(&rec, "x", CPZ_F32, 2, shape, x, &err) < 0 ||
	    cpz_record_add_int(&rec, "n", 64, &err) < 0 || cpz_writer_write(w, &rec, &err) < 0)
		die(err.msg);
	if (cpz_writer_close(w, &err) < 0)
		die(err.msg);
	cpz_record_free(&rec);
	fp = fopen(path, "rb");
	if (!fp)
		die(path);
	out->len = 0;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		cp_buf_append(out, buf, n, NULL);
	fclose(fp);
	unlink(path);
}

/* Offsets where each zstd frame of a stream starts (and the end). */
static size_t frame_offsets(const cp_buf *s, size_t *offs, size_t max)
{
	size_t n = 0, pos = 0;

	while (pos < s->len && n < max) {
		size_t len = ZSTD_findFrameCompressedSize(s->data + pos, s->len - pos);

		if (ZSTD_isError(len))
			die("bad frame in a valid stream");
		offs[n++] = pos;
		pos += len;
	}
	offs[n] = pos;
	return n;
}

/* {"record": "table", "x": tensor DTYPE[N] whose data is the chunks of
 * CHUNKS, split at '|'} */
static void pack_chunked(msgpack_packer *pk, const char *dtype, uint64_t n, const char *chunks)
{
	size_t nchunks = 1;

	for (const char *c = chunks; *c; c++)
		nchunks += *c == '|';
	msgpack_pack_map(pk, 2);
	pk_str(pk, "record");
	pk_str(pk, "table");
	pk_str(pk, "x");
	msgpack_pack_map(pk, 3);
	pk_str(pk, "dtype");
	pk_str(pk, dtype);
	pk_str(pk, "shape");
	msgpack_pack_array(pk, 1);
	msgpack_pack_uint64(pk, n);
	pk_str(pk, "data");
	msgpack_pack_array(pk, nchunks);
	for (const char *c = chunks;; c++) {
		size_t len = strcspn(c, "|");

		msgpack_pack_bin(pk, len);
		msgpack_pack_bin_body(pk, c, len);
		c += len;
		if (!*c)
			break;
	}
}

static void corrupt_corpus(void)
{
	cp_buf v = { 0 }, w = { 0 };
	size_t offs[16], nf;
	char path[4096];

	snprintf(path, sizeof path, "%s/EXPECTED", outdir);
	expected = fopen(path, "w");
	if (!expected)
		die(path);
	fprintf(expected, "# file\tfragment of the one-line message cpz verify must print (exit 1)\n");

	valid_stream(&v, "table");
	nf = frame_offsets(&v, offs, 15);	/* header, genome, table, end */
	if (nf != 4)
		die("expected 4 frames");

	save("empty.cpz", "", 0, "empty input");
	save("not-zstd.cpz", "gene\tfitness\nYAL001C\t0.5\n", 26, "no zstd frame at the start");

	/* truncations at several points */
	save("trunc-in-header.cpz", v.data, offs[0] + (offs[1] - offs[0]) / 2, "truncated");
	save("trunc-after-header.cpz", v.data, offs[1], "no end record after 0 records");
	save("trunc-in-record.cpz", v.data, offs[2] + (offs[3] - offs[2]) / 2,
	     "record 1 or the end record: truncated");
	save("trunc-before-end.cpz", v.data, offs[3], "no end record after 2 records");
	save("trunc-in-end.cpz", v.data, offs[3] + 5, "record 2 or the end record: truncated");
	save("trunc-last-byte.cpz", v.data, v.len - 1, "truncated");
	save("trunc-3-bytes.cpz", v.data, 3, "truncated (3 stray bytes");

	/* flipped bytes */
	cp_buf_append(&w, v.data, v.len, NULL);
	w.data[offs[2] + (offs[3] - offs[2]) / 2] ^= 0x5a;
	save("flip-in-record.cpz", w.data, w.len, "record 1: corrupt zstd frame");
	w.len = 0;
	cp_buf_append(&w, v.data, v.len, NULL);
	w.data[offs[1] - 2] ^= 0x01;	/* inside the header frame's checksum */
	save("flip-in-header.cpz", w.data, w.len, "header: corrupt zstd frame");
	w.len = 0;
	cp_buf_append(&w, v.data, v.len, NULL);
	w.data[0] ^= 0xff;
	save("flip-zstd-magic.cpz", w.data, w.len, "not a cpz stream");
	w.len = 0;
	cp_buf_append(&w, v.data, v.len, NULL);
	cp_buf_append(&w, "junk", 4, NULL);
	save("trailing-garbage.cpz", w.data, w.len, "after the end record");

	/* header defects */
	{
		forged f;
		msgpack_sbuffer sb;
		msgpack_packer pk;

		forged_init(&f);
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 2);
		pk_str(&pk, "cbz");
		msgpack_pack_array(&pk, 2);
		msgpack_pack_uint64(&pk, 1);
		msgpack_pack_uint64(&pk, 0);
		pk_str(&pk, "kind");
		pk_str(&pk, "table");
		add_frame(&f, sb.data, sb.size, 1);
		add_end(&f, 0, 0);
		save("bad-magic.cpz", f.bytes.data, f.bytes.len, "bad magic");
		cp_buf_free(&f.bytes);
		msgpack_sbuffer_destroy(&sb);

		forged_init(&f);
		add_frame(&f, "\x93\x01\x02\x03", 4, 1);
		save("header-not-map.cpz", f.bytes.data, f.bytes.len, "not a cpz header");
		cp_buf_free(&f.bytes);

		forged_init(&f);
		add_header(&f, 2, 0, "table");
		add_end(&f, 0, 0);
		save("future-version.cpz", f.bytes.data, f.bytes.len, "version 2.0 is newer");
		cp_buf_free(&f.bytes);

		forged_init(&f);
		add_header(&f, 1, 0, NULL);
		add_end(&f, 0, 0);
		save("missing-kind.cpz", f.bytes.data, f.bytes.len, "field 'kind': missing");
		cp_buf_free(&f.bytes);

		/* a header held to a record's rules: unique valid names, scalar
		 * cpz values, UTF-8 text, a version of two numbers */
		static const char kind_twice[] = "\x84\xa3" "cpz\x92\x01\x00\xa4kind\xa5table\xa4kind"
						 "\xa7samples\xa8producer\xa1x";
		static const char nil_value[] = "\x83\xa3" "cpz\x92\x01\x00\xa4kind\xa5table\xa5" "extra\xc0";
		static const char nul_name[] = "\x83\xa3" "cpz\x92\x01\x00\xa4kind\xa5table\xa3" "e\x00x\x01";
		static const char version_3[] = "\x82\xa3" "cpz\x93\x01\x00\x07\xa4kind\xa5table";
		static const char not_utf8[] = "\x82\xa3" "cpz\x92\x01\x00\xa4kind\xa5t\xff" "ble";
		static const struct {
			const char *name, *bytes;
			size_t len;
			const char *message;
		} heads[] = {
			{ "header-kind-twice.cpz", kind_twice, sizeof kind_twice - 1,
			  "header: field 'kind': appears twice" },
			{ "header-nil-value.cpz", nil_value, sizeof nil_value - 1,
			  "header: field 'extra': nil is not a scalar cpz value" },
			{ "header-nul-in-name.cpz", nul_name, sizeof nul_name - 1,
			  "header: field 2 has no valid name" },
			{ "header-version-3.cpz", version_3, sizeof version_3 - 1,
			  "header: field 'cpz': expected [major, minor]" },
			{ "header-not-utf8.cpz", not_utf8, sizeof not_utf8 - 1,
			  "header: field 'kind': is not UTF-8" },
		};
		for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
			forged_init(&f);
			add_frame(&f, heads[i].bytes, heads[i].len, 1);
			add_end(&f, 0, 0);
			save(heads[i].name, f.bytes.data, f.bytes.len, heads[i].message);
			cp_buf_free(&f.bytes);
		}
	}

	/* end-record defects */
	{
		static const uint8_t rec[] = "\x81\xa6record\xa5table";
		forged f;

		forged_init(&f);
		add_header(&f, 1, 0, "table");
		add_raw_record(&f, rec, sizeof rec - 1);
		add_end(&f, 4, 0);
		save("end-count.cpz", f.bytes.data, f.bytes.len, "5 records expected, 1 read");
		cp_buf_free(&f.bytes);

		forged_init(&f);
		add_header(&f, 1, 0, "table");
		add_raw_record(&f, rec, sizeof rec - 1);
		add_end(&f, 0, 0x10);
		save("end-checksum.cpz", f.bytes.data, f.bytes.len, "the stream is corrupt");
		cp_buf_free(&f.bytes);

		/* the count twice, a wrong one and then the right one */
		msgpack_sbuffer sb;
		msgpack_packer pk;

		forged_init(&f);
		add_header(&f, 1, 0, "table");
		add_raw_record(&f, rec, sizeof rec - 1);
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 5);
		pk_str(&pk, "record");
		pk_str(&pk, "end");
		pk_str(&pk, "count");
		msgpack_pack_uint64(&pk, 7);
		pk_str(&pk, "count");
		msgpack_pack_uint64(&pk, (uint64_t)f.records);
		pk_str(&pk, "bytes");
		msgpack_pack_uint64(&pk, f.content);
		pk_str(&pk, "checksum");
		msgpack_pack_uint64(&pk, cp_hash64_final(&f.hash));
		add_frame(&f, sb.data, sb.size, 0);
		save("end-count-twice.cpz", f.bytes.data, f.bytes.len,
		     "end record: field 'count': appears twice");
		cp_buf_free(&f.bytes);
		msgpack_sbuffer_destroy(&sb);

		/* two good streams of different kinds, concatenated */
		cp_buf x = { 0 };

		valid_stream(&x, "samples");
		w.len = 0;
		cp_buf_append(&w, v.data, v.len, NULL);
		cp_buf_append(&w, x.data, x.len, NULL);
		save("mixed-kinds.cpz", w.data, w.len, "different kinds");
		cp_buf_free(&x);
	}

	/* frame-level defects */
	{
		/* A zstd frame header that declares 1 TiB of content. */
		static const uint8_t big[] = {
			0x28, 0xb5, 0x2f, 0xfd,		/* magic */
			0xe0,				/* FCS 8 bytes, single segment */
			0, 0, 0, 0, 0, 1, 0, 0,		/* 2^40 */
			0x01, 0x00, 0x00		/* a raw block header */
		};
		forged f;

		forged_init(&f);
		add_header(&f, 1, 0, "table");
		cp_buf_append(&f.bytes, big, sizeof big, NULL);
		save("huge-declared-frame.cpz", f.bytes.data, f.bytes.len, "more than the limit");
		cp_buf_free(&f.bytes);

		/* A skippable frame cut short. */
		static const uint8_t skip[] = { 0x50, 0x2a, 0x4d, 0x18, 0x00, 0x10, 0x00, 0x00, 1, 2 };

		forged_init(&f);
		add_header(&f, 1, 0, "table");
		cp_buf_append(&f.bytes, skip, sizeof skip, NULL);
		save("trunc-skippable.cpz", f.bytes.data, f.bytes.len, "truncated skippable frame");
		cp_buf_free(&f.bytes);
	}

	/* msgpack defects inside a record */
	{
		static const uint8_t garbage[] = { 0x13, 0x37, 0xc0, 0xff, 0xee, 0x00, 0x42 };
		static const uint8_t invalid[] = "\x82\xa6record\xa5table\xa1x\xc1";
		static const uint8_t ext[] = "\x82\xa6record\xa5table\xa1x\xd4\x01\x02";
		static const uint8_t first_key[] = "\x81\xa4type\xa5table";
		static const uint8_t huge_array[] = "\x82\xa6record\xa5table\xa1s\xdd\xff\xff\xff\xff\xa1x";
		static const uint8_t huge_map[] = "\xdf\x7f\xff\xff\xff\xa6record\xa5table";
		static const uint8_t long_bin[] = "\x82\xa6record\xa5table\xa1x\x83\xa5" "dtype\xa2u8"
						  "\xa5shape\x91\x04\xa4" "data\xc6\x7f\x00\x00\x00\x01\x02";
		static const uint8_t dup[] = "\x83\xa6record\xa5table\xa1n\x01\xa1n\x02";
		static const uint8_t nul_name[] = "\x82\xa6record\xa5table\xa3n\x00m\x01";
		static const uint8_t trailing[] = "\x81\xa6record\xa5table\xc0";
		static const uint8_t str_list[] = "\x82\xa6record\xa5table\xa1s\x92\xa1" "a\x05";
		static const uint8_t nil_value[] = "\x82\xa6record\xa5table\xa1x\xc0";
		static const uint8_t big_uint[] = "\x82\xa6record\xa5table\xa1n\xcf\xff\xff\xff\xff\xff\xff\xff\xff";

		one_record("msgpack-garbage.cpz", garbage, sizeof garbage, "record 0: is integer, expected a map");
		one_record("invalid-byte.cpz", invalid, sizeof invalid - 1, "invalid msgpack byte");
		one_record("ext-value.cpz", ext, sizeof ext - 1, "extension");
		one_record("first-key.cpz", first_key, sizeof first_key - 1, "first key is not");
		one_record("huge-array.cpz", huge_array, sizeof huge_array - 1,
			   "declares more array elements than the record holds");
		one_record("huge-map.cpz", huge_map, sizeof huge_map - 1,
			   "declares more map entries than the record holds");
		one_record("bin-too-long.cpz", long_bin, sizeof long_bin - 1,
			   "binary data longer than the record");
		one_record("duplicate-field.cpz", dup, sizeof dup - 1, "field 'n': appears twice");
		one_record("nul-in-name.cpz", nul_name, sizeof nul_name - 1, "no valid name");
		one_record("trailing-bytes.cpz", trailing, sizeof trailing - 1, "after the record map");
		one_record("string-list-int.cpz", str_list, sizeof str_list - 1,
			   "element 1 is integer, expected a string");
		one_record("nil-value.cpz", nil_value, sizeof nil_value - 1, "nil is not a cpz value");
		one_record("integer-range.cpz", big_uint, sizeof big_uint - 1, "out of range");

		/* text that is not UTF-8: a lone byte, an overlong form, a surrogate */
		static const uint8_t bad_value[] = "\x82\xa6record\xa5table\xa1x\xa2\xff\xfe";
		static const uint8_t bad_name[] = "\x82\xa6record\xa5table\xa2\xc3\x28\x01";
		static const uint8_t overlong[] = "\x82\xa6record\xa5table\xa1s\x92\xa1" "a\xa2\xc0\xaf";
		static const uint8_t surrogate[] = "\x82\xa6record\xa5table\xa1x\xa3\xed\xa0\x80";

		one_record("not-utf8-value.cpz", bad_value, sizeof bad_value - 1, "field 'x': is not UTF-8");
		one_record("not-utf8-name.cpz", bad_name, sizeof bad_name - 1, "field 1 has no valid name");
		one_record("overlong-utf8.cpz", overlong, sizeof overlong - 1,
			   "field 's': string 1 is not UTF-8");
		one_record("surrogate-utf8.cpz", surrogate, sizeof surrogate - 1, "field 'x': is not UTF-8");
	}

	/* tensor defects */
	{
		float f[3] = { 1, 2, 3 };
		uint8_t b[4] = { 0, 1, 2, 1 };
		tensor_spec t;

		t = (tensor_spec){ "f32", 1, { 10 }, f, sizeof f };
		tensor_record("wrong-size.cpz", &t, "data is 12 bytes but shape [10] of f32 needs 40");
		t = (tensor_spec){ "f32", 2, { 2, 2 }, f, sizeof f };
		tensor_record("wrong-size-2d.cpz", &t, "shape [2, 2] of f32 needs 16");
		t = (tensor_spec){ "f64", 3, { 1LL << 40, 1LL << 40, 1LL << 40 }, f, sizeof f };
		tensor_record("shape-overflow.cpz", &t, "shape overflows");
		t = (tensor_spec){ "f16", 1, { 6 }, f, sizeof f };
		tensor_record("bad-dtype.cpz", &t, "unknown dtype 'f16'");
		t = (tensor_spec){ "bool", 1, { 4 }, b, sizeof b };
		tensor_record("bool-value.cpz", &t, "bool element 2 is 2");
		t = (tensor_spec){ "u8", 9, { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, b, 1 };
		tensor_record("too-many-dims.cpz", &t, "at most 8");
		t = (tensor_spec){ "u8", 1, { -1 }, b, 1 };
		tensor_record("negative-dim.cpz", &t, "shape[0] is not a size");
	}
	{
		msgpack_sbuffer sb;
		msgpack_packer pk;

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_map(&pk, 2);
		pk_str(&pk, "record");
		pk_str(&pk, "table");
		pk_str(&pk, "x");
		msgpack_pack_map(&pk, 3);
		pk_str(&pk, "dtype");
		pk_str(&pk, "u8");
		pk_str(&pk, "shape");
		pk_str(&pk, "[3]");
		pk_str(&pk, "data");
		msgpack_pack_bin(&pk, 3);
		msgpack_pack_bin_body(&pk, "abc", 3);
		one_record("shape-not-array.cpz", sb.data, sb.size, "shape is not an array");
		msgpack_sbuffer_clear(&sb);

		msgpack_pack_map(&pk, 2);
		pk_str(&pk, "record");
		pk_str(&pk, "table");
		pk_str(&pk, "x");
		msgpack_pack_map(&pk, 3);
		pk_str(&pk, "dtype");
		pk_str(&pk, "u8");
		pk_str(&pk, "shape");
		msgpack_pack_array(&pk, 1);
		msgpack_pack_uint64(&pk, 3);
		pk_str(&pk, "bytes");
		msgpack_pack_bin(&pk, 3);
		msgpack_pack_bin_body(&pk, "abc", 3);
		one_record("tensor-key.cpz", sb.data, sb.size, "unexpected tensor key 'bytes'");
		msgpack_sbuffer_clear(&sb);

		/* chunked data whose chunks do not add up */
		pack_chunked(&pk, "u8", 8, "abc|def");
		one_record("chunk-sizes.cpz", sb.data, sb.size, "data is 6 bytes but shape [8] of u8 needs 8");
		msgpack_sbuffer_clear(&sb);

		/* chunks that add up but split an element */
		pack_chunked(&pk, "f32", 3, "abcd|efghij|kl");
		one_record("chunk-split.cpz", sb.data, sb.size, "data chunk 1 is 6 bytes, not whole f32");
		msgpack_sbuffer_clear(&sb);

		/* a record of the type reserved for the header */
		msgpack_pack_map(&pk, 2);
		pk_str(&pk, "record");
		pk_str(&pk, "header");
		pk_str(&pk, "x");
		msgpack_pack_uint64(&pk, 1);
		one_record("reserved-type.cpz", sb.data, sb.size, "'header' is reserved");
		msgpack_sbuffer_destroy(&sb);
	}
	fclose(expected);
	cp_buf_free(&v);
	cp_buf_free(&w);
}

/* ---- test vectors ------------------------------------------------------ */

static void write_vector(const char *name, const char *kind, size_t chunk,
			 void (*fill)(cpz_writer *w))
{
	char path[4096];
	cpz_writer_options opts = { 0 };
	cp_error err;
	cpz_writer *w;

	opts.chunk_bytes = chunk;
	opts.allow_tty = 1;
	snprintf(path, sizeof path, "%s/%s", outdir, name);
	w = cpz_writer_open(path, kind, "cpz-forge " CELLPIPE_VERSION, "cpz-forge vectors", &opts, &err);
	if (!w)
		die(err.msg);
	fill(w);
	if (cpz_writer_close(w, &err) < 0)
		die(err.msg);
}

static void put(cpz_writer *w, cpz_record *rec)
{
	cp_error err;

	if (cpz_writer_write(w, rec, &err) < 0)
		die(err.msg);
}

static void fill_dtypes(cpz_writer *w)
{
	float f32[4] = { 1.5f, -0.0f, NAN, INFINITY };
	double f64[4] = { 0.1, -1e300, 4.9e-324, -INFINITY };
	int32_t i32[3] = { -2147483647 - 1, 0, 2147483647 };
	int64_t i64[2] = { INT64_MIN, INT64_MAX };
	uint8_t u8[3] = { 0, 128, 255 }, bl[3] = { 1, 0, 1 };
	int64_t s4[1] = { 4 }, s3[1] = { 3 }, s2[1] = { 2 }, s23[2] = { 2, 3 }, s0[1] = { 0 },
		s30[2] = { 3, 0 };
	float m[6] = { 1, 2, 3, 4, 5, 6 };
	float scalar = 42.0f;
	cpz_record rec;
	cp_error err;

	cpz_record_init(&rec);
	cpz_record_reset(&rec, "dtypes", &err);
	cpz_record_add_tensor(&rec, "f32", CPZ_F32, 1, s4, f32, &err);
	cpz_record_add_tensor(&rec, "f64", CPZ_F64, 1, s4, f64, &err);
	cpz_record_add_tensor(&rec, "i32", CPZ_I32, 1, s3, i32, &err);
	cpz_record_add_tensor(&rec, "i64", CPZ_I64, 1, s2, i64, &err);
	cpz_record_add_tensor(&rec, "u8", CPZ_U8, 1, s3, u8, &err);
	cpz_record_add_tensor(&rec, "bool", CPZ_BOOL, 1, s3, bl, &err);
	put(w, &rec);
	cpz_record_reset(&rec, "shapes", &err);
	cpz_record_add_tensor(&rec, "matrix", CPZ_F32, 2, s23, m, &err);
	cpz_record_add_tensor(&rec, "scalar", CPZ_F32, 0, NULL, &scalar, &err);
	cpz_record_add_tensor(&rec, "empty", CPZ_I64, 1, s0, NULL, &err);
	cpz_record_add_tensor(&rec, "no_columns", CPZ_F64, 2, s30, NULL, &err);
	put(w, &rec);
	cpz_record_free(&rec);
}

static void fill_values(cpz_writer *w)
{
	const char *names[] = { "YAL001C", "", "gène", "tab\there" };
	cpz_record rec;
	cp_error err;

	cpz_record_init(&rec);
	cpz_record_reset(&rec, "values", &err);
	cpz_record_add_strings(&rec, "names", 4, names, &err);
	cpz_record_add_strings(&rec, "none", 0, NULL, &err);
	cpz_record_add_int(&rec, "count", -7, &err);
	cpz_record_add_float(&rec, "alpha", 0.3, &err);
	cpz_record_add_str(&rec, "label", "fitness", &err);
	cpz_record_add_bool(&rec, "standardized", 1, &err);
	cpz_record_add_int(&rec, "group.a", 1, &err);
	cpz_record_add_int(&rec, "group.b", 2, &err);
	put(w, &rec);
	cpz_record_free(&rec);
}

static void fill_chunked(cpz_writer *w)
{
	int32_t v[10];
	int64_t s[1] = { 10 };
	cpz_record rec;
	cp_error err;

	for (int i = 0; i < 10; i++)
		v[i] = i * i;
	cpz_record_init(&rec);
	cpz_record_reset(&rec, "chunked", &err);
	cpz_record_add_tensor(&rec, "squares", CPZ_I32, 1, s, v, &err);
	put(w, &rec);
	cpz_record_free(&rec);
}

static void fill_genome(cpz_writer *w)
{
	const char *names[] = { "YAL001C", "YAL002W", "YAL003W", "Q0010" };
	int32_t idx[3] = { 0, 3, 1 };
	int64_t s[1] = { 3 };
	cpz_record rec;
	cp_error err;

	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	cpz_record_add_genome(&rec, 4, names, &err);
	put(w, &rec);
	cpz_record_reset(&rec, "deletions", &err);
	cpz_record_add_tensor(&rec, "gene", CPZ_I32, 1, s, idx, &err);
	put(w, &rec);
	cpz_record_free(&rec);
}

static void fill_empty(cpz_writer *w)
{
	(void)w;
}

/* ---- genome records that parse but do not hold ------------------------- */

static const char *const g_names[] = { "YAL001C", "YAL002W", "YAL003W" };
static const char *g_hash, *const *g_standard;
static size_t g_nstandard;
static const char *const *g_alias;
static const int32_t *g_alias_gene;
static size_t g_nalias;

static void fill_bad_genome(cpz_writer *w)
{
	cpz_record rec;
	cp_error err;
	int64_t s[1] = { (int64_t)g_nalias };

	cpz_record_init(&rec);
	cpz_record_reset(&rec, "genome", &err);
	if (cpz_record_add_strings(&rec, "names", 3, g_names, &err) < 0 ||
	    cpz_record_add_str(&rec, "hash", g_hash, &err) < 0 ||
	    (g_standard && cpz_record_add_strings(&rec, "standard", g_nstandard, g_standard, &err) < 0) ||
	    (g_alias && (cpz_record_add_strings(&rec, "alias.name", g_nalias, g_alias, &err) < 0 ||
			 cpz_record_add_tensor_copy(&rec, "alias.gene", CPZ_I32, 1, s, g_alias_gene,
						    &err) < 0)))
		die(err.msg);
	put(w, &rec);
	cpz_record_free(&rec);
}

static void genome_corpus(void)
{
	static const char *const standard[] = { "TFC3", "VPS8" };
	static const char *const alias[] = { "FUN24" };
	static const int32_t gene_bad[] = { 7 };
	char path[4096];
	cpz_record rec;
	cp_error err;
	const char *good;

	cpz_record_init(&rec);
	if (cpz_record_add_genome(&rec, 3, g_names, &err) < 0)
		die(err.msg);
	good = cpz_record_str(&rec, "hash", &err);
	snprintf(path, sizeof path, "%s/EXPECTED", outdir);
	expected = fopen(path, "w");
	if (!good || !expected)
		die(path);
	fprintf(expected, "# file\tfragment of the one-line message a reader of samples prints (exit 1)\n");
	g_hash = "0000000000000000";
	write_vector("hash.cpz", "samples", 0, fill_bad_genome);
	fprintf(expected, "hash.cpz\tfield 'hash': is 0000000000000000 but the names hash to %s\n", good);
	g_hash = good;
	g_standard = standard, g_nstandard = 2;
	write_vector("standard-count.cpz", "samples", 0, fill_bad_genome);
	fprintf(expected, "standard-count.cpz\tfield 'standard': 2 names for 3 genes\n");
	g_standard = NULL;
	g_alias = alias, g_alias_gene = gene_bad, g_nalias = 1;
	write_vector("alias-range.cpz", "samples", 0, fill_bad_genome);
	fprintf(expected, "alias-range.cpz\tfield 'alias.gene': entry 0: gene 7 out of range\n");
	g_alias = NULL, g_nalias = 0;
	write_vector("genome-only.cpz", "samples", 0, fill_bad_genome);
	fprintf(expected, "genome-only.cpz\tno context record\n");
	fclose(expected);
	cpz_record_free(&rec);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		die("usage: cpz-forge corrupt|genome|vectors DIR");
	outdir = argv[2];
	if (strcmp(argv[1], "corrupt") == 0) {
		corrupt_corpus();
	} else if (strcmp(argv[1], "genome") == 0) {
		genome_corpus();
	} else if (strcmp(argv[1], "vectors") == 0) {
		write_vector("dtypes.cpz", "table", 0, fill_dtypes);
		write_vector("values.cpz", "table", 0, fill_values);
		write_vector("chunked.cpz", "table", 16, fill_chunked);
		write_vector("genome.cpz", "table", 0, fill_genome);
		write_vector("empty.cpz", "table", 0, fill_empty);
		{
			/* as writers wrote before text had to be UTF-8: a command
			 * line naming a Latin-1 file, which readers show escaped */
			static const char head[] = "\x84\xa3" "cpz\x92\x01\x00\xa4kind\xa5table\xa8producer"
						   "\xa9" "cpz 0.1.0\xa7" "command\xb4" "cpz pack -o caf\xe9.cpz";
			static const char rec[] = "\x82\xa6record\xa5table\xa1n\x07";
			forged f;

			forged_init(&f);
			add_frame(&f, head, sizeof head - 1, 1);
			add_raw_record(&f, rec, sizeof rec - 1);
			add_end(&f, 0, 0);
			save("latin1-command.cpz", f.bytes.data, f.bytes.len, NULL);
			cp_buf_free(&f.bytes);
		}
	} else {
		die("usage: cpz-forge corrupt|genome|vectors DIR");
	}
	return 0;
}
