/*
 * cpz-mutate - one seeded random defect in a valid input, for the fuzz
 * tests (tests/fuzz.sh).
 *
 *   cpz-mutate IN OUT SEED          a cpz stream: one record changed
 *   cpz-mutate --text IN OUT SEED   a text table: one to three lines changed
 *   cpz-mutate --set TYPE FIELD N IN OUT
 *                                   a cpz stream: in the first record of
 *                                   type TYPE, the value of FIELD made the
 *                                   integer N (a defect placed, for tests)
 *   cpz-mutate --drop TYPE FIELD IN OUT
 *                                   a cpz stream: FIELD removed from the
 *                                   first record of type TYPE
 *   cpz-mutate --set-text TYPE FIELD TEXT IN OUT
 *                                   a cpz stream: the value of FIELD in the
 *                                   first record of type TYPE made the
 *                                   string TEXT (C escapes \t and \n
 *                                   decoded)
 *   cpz-mutate --set-element TYPE FIELD I N IN OUT
 *                                   a cpz stream: element I of the i32,
 *                                   i64 or f64 tensor FIELD (its data one
 *                                   bin) of the first record of type TYPE
 *                                   made N
 *
 * A stream keeps its framing and gets correct end records (count, bytes
 * and checksum recomputed), so a reader meets the defect in the record
 * itself, where its checks must catch it, not in the checksum.  One record
 * other than an end record is changed in one of three ways: bytes of its
 * msgpack overwritten; a value of one of its maps replaced (by an integer
 * at a limit, a non-finite or odd float, a string, nil or true, or bytes
 * overwritten inside a tensor's data); or any node replaced so, an array
 * shortened or emptied, or a key dropped from a map.  The text mode
 * deletes, repeats or swaps lines, replaces, drops or adds a field, puts
 * odd text inside a line, or cuts the file short.
 *
 * What was changed is printed on standard output, one line.  The same
 * input and seed always give the same output.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <zstd.h>

#include "cp_base.h"

static uint64_t rng;

static uint64_t next_random(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? (size_t)(next_random() % n) : 0;
}

static void die(const char *what, const char *name)
{
	fprintf(stderr, "cpz-mutate: %s%s%s\n", name ? name : "", name ? ": " : "", what);
	exit(1);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!fp)
		die("cannot open", path);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if (!(buf = realloc(buf, cap)))
				die("out of memory", NULL);
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	*len = n;
	return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		die("cannot write", path);
}

/* ---- streams -------------------------------------------------------------- */

/* Replacement values: integers at the limits readers must check. */
static const int64_t odd_ints[] = { 0, -1, 1, 2, 255, 65536, INT32_MAX, (int64_t)INT32_MAX + 1, INT32_MIN,
				    INT64_MAX, INT64_MIN, 1000000007 };
static const char *const odd_strings[] = { "", "x", "f64", "i64", "u8", "bool", "end", "GO:0000000",
					   "batches", "nan" };

typedef struct walk {
	int map_values;	/* count only the values of maps (not maps) */
	long count, target;
	int done;
	char path[1024];
	char what[256];
} walk;

static void replace(walk *wk, msgpack_object *o)
{
	const double odd_floats[] = { NAN, INFINITY, -INFINITY, -1, 0, 1e300, 0.5 };

	switch (below(5)) {
	case 0: {
		int64_t v = odd_ints[below(sizeof odd_ints / sizeof *odd_ints)];

		o->type = v < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
		if (v < 0)
			o->via.i64 = v;
		else
			o->via.u64 = (uint64_t)v;
		snprintf(wk->what, sizeof wk->what, "the integer %" PRId64, v);
		break;
	}
	case 1:
		o->type = MSGPACK_OBJECT_FLOAT64;
		o->via.f64 = odd_floats[below(sizeof odd_floats / sizeof *odd_floats)];
		snprintf(wk->what, sizeof wk->what, "the float %g", o->via.f64);
		break;
	case 2: {
		const char *s = odd_strings[below(sizeof odd_strings / sizeof *odd_strings)];

		o->type = MSGPACK_OBJECT_STR;
		o->via.str.ptr = s;
		o->via.str.size = (uint32_t)strlen(s);
		snprintf(wk->what, sizeof wk->what, "the string '%s'", s);
		break;
	}
	case 3:
		o->type = MSGPACK_OBJECT_NIL;
		snprintf(wk->what, sizeof wk->what, "nil");
		break;
	default:
		if (o->type == MSGPACK_OBJECT_BIN && o->via.bin.size) {
			/* bytes inside a tensor's data: indices out of range,
			 * non-finite floats, bools other than 0 and 1 */
			char *copy = malloc(o->via.bin.size);
			int k = 1 + (int)below(4);

			if (!copy)
				die("out of memory", NULL);
			memcpy(copy, o->via.bin.ptr, o->via.bin.size);
			for (int i = 0; i < k; i++)
				copy[below(o->via.bin.size)] = (char)(below(3) == 0 ? 0xff : next_random());
			o->via.bin.ptr = copy;
			snprintf(wk->what, sizeof wk->what, "%d bytes of its data overwritten", k);
		} else {
			o->type = MSGPACK_OBJECT_BOOLEAN;
			o->via.boolean = true;
			snprintf(wk->what, sizeof wk->what, "true");
		}
		break;
	}
}

static void visit(walk *wk, msgpack_object *o)
{
	size_t len = strlen(wk->path);

	if (wk->done)
		return;
	if (o->type == MSGPACK_OBJECT_MAP) {
		if (!wk->map_values && wk->count++ == wk->target && o->via.map.size) {
			uint32_t k = (uint32_t)below(o->via.map.size);

			memmove(&o->via.map.ptr[k], &o->via.map.ptr[k + 1],
				(o->via.map.size - k - 1) * sizeof *o->via.map.ptr);
			o->via.map.size--;
			snprintf(wk->what, sizeof wk->what, "one of its keys dropped");
			wk->done = 1;
			return;
		}
		for (uint32_t i = 0; i < o->via.map.size && !wk->done; i++) {
			msgpack_object *key = &o->via.map.ptr[i].key, *val = &o->via.map.ptr[i].val;

			if (key->type == MSGPACK_OBJECT_STR)
				snprintf(wk->path + len, sizeof wk->path - len, "%s%.*s", len ? "." : "",
					 (int)key->via.str.size, key->via.str.ptr);
			if (wk->map_values && val->type != MSGPACK_OBJECT_MAP) {
				if (wk->count++ == wk->target) {
					replace(wk, val);
					wk->done = 1;
					return;
				}
			} else {
				visit(wk, val);
			}
			if (!wk->done)
				wk->path[len] = 0;
		}
		return;
	}
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		if (!wk->map_values && wk->count++ == wk->target) {
			o->via.array.size = o->via.array.size && below(2) ? o->via.array.size - 1 : 0;
			snprintf(wk->what, sizeof wk->what, "an array cut to %u elements", o->via.array.size);
			wk->done = 1;
			return;
		}
		for (uint32_t i = 0; i < o->via.array.size && !wk->done; i++) {
			snprintf(wk->path + len, sizeof wk->path - len, "[%u]", i);
			visit(wk, &o->via.array.ptr[i]);
			if (!wk->done)
				wk->path[len] = 0;
		}
		return;
	}
	if (!wk->map_values && wk->count++ == wk->target) {
		replace(wk, o);
		wk->done = 1;
	}
}

/* Is this decoded frame an end record ({"record": "end", ...})? */
static int is_end_record(const unsigned char *data, size_t len)
{
	msgpack_unpacked u;
	size_t off = 0;
	int end = 0;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)data, len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size > 0) {
		const msgpack_object *k = &u.data.via.map.ptr[0].key, *v = &u.data.via.map.ptr[0].val;

		end = k->type == MSGPACK_OBJECT_STR && k->via.str.size == 6 && !memcmp(k->via.str.ptr, "record", 6) &&
		      v->type == MSGPACK_OBJECT_STR && v->via.str.size == 3 && !memcmp(v->via.str.ptr, "end", 3);
	}
	msgpack_unpacked_destroy(&u);
	return end;
}

typedef struct frame {
	unsigned char *data;	/* decompressed */
	size_t len;
	int end;
} frame;

/* --set: the first record of this type, its field made this integer */
static const char *set_type, *set_field;
static int64_t set_value;
static int set_drop;	/* --drop: the field removed, not set */
static long long set_element = -1;	/* --set-element: this element of the tensor */
static const char *set_text;	/* --set-element: the value as given (an f64 tensor's) */
static char *set_string;	/* --set-text: the string */

/* Element set_element of the tensor map o made set_value. */
static int set_tensor_element(msgpack_object *o)
{
	msgpack_object *data = NULL;
	size_t es = 0;
	int is_f64 = 0;
	uint64_t bits = (uint64_t)set_value;

	if (o->type != MSGPACK_OBJECT_MAP)
		return 0;
	for (uint32_t k = 0; k < o->via.map.size; k++) {
		msgpack_object_kv *kv = &o->via.map.ptr[k];

		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 5 &&
		    memcmp(kv->key.via.str.ptr, "dtype", 5) == 0 && kv->val.type == MSGPACK_OBJECT_STR)
		{
			is_f64 = kv->val.via.str.size == 3 && memcmp(kv->val.via.str.ptr, "f64", 3) == 0;
			es = kv->val.via.str.size == 3 && memcmp(kv->val.via.str.ptr, "i32", 3) == 0 ? 4 :
			     kv->val.via.str.size == 3 && memcmp(kv->val.via.str.ptr, "i64", 3) == 0 ? 8 :
			     is_f64 ? 8 : 0;
		}
		if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 4 &&
		    memcmp(kv->key.via.str.ptr, "data", 4) == 0 && kv->val.type == MSGPACK_OBJECT_BIN)
			data = &kv->val;
	}
	if (!es || !data || (size_t)(set_element + 1) * es > data->via.bin.size)
		return 0;
	if (is_f64) {
		double d = strtod(set_text, NULL);

		memcpy(&bits, &d, 8);
	}
	char *copy = malloc(data->via.bin.size);

	if (!copy)
		die("out of memory", NULL);
	memcpy(copy, data->via.bin.ptr, data->via.bin.size);
	for (size_t b = 0; b < es; b++)	/* little-endian */
		copy[(size_t)set_element * es + b] = (char)(bits >> (8 * b));
	data->via.bin.ptr = copy;
	return 1;
}

/* Whether a msgpack string object equals s. */
static int str_is(const msgpack_object *o, const char *s)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
	       memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void mutate_stream(const char *in, const char *out)
{
	size_t n, off = 0, nf = 0, cap = 0, nc = 0, victim;
	unsigned char *src = read_file(in, &n);
	frame *f = NULL;
	size_t *cand;
	char what[1400];
	cp_buf outbuf = { 0 };
	cp_hash64 h;
	uint64_t bytes = 0, count = 0;
	int in_segment = 0;

	while (off < n) {
		size_t clen = ZSTD_findFrameCompressedSize(src + off, n - off);
		unsigned long long dlen;

		if (ZSTD_isError(clen))
			die("not a stream of zstd frames", in);
		dlen = ZSTD_getFrameContentSize(src + off, clen);
		if (dlen == ZSTD_CONTENTSIZE_UNKNOWN || dlen == ZSTD_CONTENTSIZE_ERROR)
			die("a frame without its content size", in);
		if (nf == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(f = realloc(f, cap * sizeof *f)))
				die("out of memory", NULL);
		}
		f[nf].data = malloc(dlen ? dlen : 1);
		if (!f[nf].data)
			die("out of memory", NULL);
		f[nf].len = ZSTD_decompress(f[nf].data, dlen, src + off, clen);
		if (ZSTD_isError(f[nf].len))
			die("a frame does not decode", in);
		f[nf].end = is_end_record(f[nf].data, f[nf].len);
		nf++;
		off += clen;
	}
	if (!(cand = malloc((nf ? nf : 1) * sizeof *cand)))
		die("out of memory", NULL);
	for (size_t i = 0; i < nf; i++)
		if (!f[i].end)
			cand[nc++] = i;
	if (nc == 0)
		die("no record to change", in);
	victim = cand[below(nc)];
	if (set_type) {
		msgpack_unpacked u;
		msgpack_sbuffer sb;
		msgpack_packer pk;
		int done = 0;

		msgpack_unpacked_init(&u);
		for (size_t i = 0; i < nc && !done; i++) {
			size_t at = 0;
			msgpack_object_map *m;

			victim = cand[i];
			if (msgpack_unpack_next(&u, (const char *)f[victim].data, f[victim].len, &at) !=
			    MSGPACK_UNPACK_SUCCESS || u.data.type != MSGPACK_OBJECT_MAP)
				continue;
			m = &u.data.via.map;
			if (m->size == 0 || !str_is(&m->ptr[0].val, set_type))
				continue;
			for (uint32_t k = 0; k < m->size; k++)
				if (str_is(&m->ptr[k].key, set_field) && set_drop) {
					memmove(&m->ptr[k], &m->ptr[k + 1], (m->size - k - 1) * sizeof *m->ptr);
					m->size--;
					done = 1;
					break;
				} else if (str_is(&m->ptr[k].key, set_field) && set_element >= 0) {
					done = set_tensor_element(&m->ptr[k].val);
				} else if (str_is(&m->ptr[k].key, set_field) && set_string) {
					m->ptr[k].val.type = MSGPACK_OBJECT_STR;
					m->ptr[k].val.via.str.ptr = set_string;
					m->ptr[k].val.via.str.size = (uint32_t)strlen(set_string);
					done = 1;
				} else if (str_is(&m->ptr[k].key, set_field)) {
					msgpack_object *o = &m->ptr[k].val;

					o->type = set_value < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER
								: MSGPACK_OBJECT_POSITIVE_INTEGER;
					if (set_value < 0)
						o->via.i64 = set_value;
					else
						o->via.u64 = (uint64_t)set_value;
					done = 1;
				}
			if (!done)
				break;
		}
		if (!done)
			die("no such record and field", in);
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_object(&pk, u.data);
		f[victim].data = (unsigned char *)sb.data;
		f[victim].len = sb.size;
		if (set_drop)
			snprintf(what, sizeof what, "frame %zu: %s dropped", victim, set_field);
		else if (set_element >= 0)
			snprintf(what, sizeof what, "frame %zu: %s[%lld]: %s", victim, set_field,
				 set_element, set_text);
		else if (set_string)
			snprintf(what, sizeof what, "frame %zu: %s: a string", victim, set_field);
		else
			snprintf(what, sizeof what, "frame %zu: %s: the integer %" PRId64, victim, set_field,
				 set_value);
	} else if (below(3) == 0) {
		int k = 1 + (int)below(3);

		for (int i = 0; i < k; i++) {
			size_t at = below(f[victim].len);

			f[victim].data[at] = below(2) ? (unsigned char)next_random()
						      : (unsigned char)(f[victim].data[at] ^ (1u << below(8)));
		}
		snprintf(what, sizeof what, "frame %zu: %d bytes of its msgpack overwritten", victim, k);
	} else {
		msgpack_unpacked u;
		msgpack_sbuffer sb;
		msgpack_packer pk;
		size_t at = 0;
		walk wk = { 0 };

		msgpack_unpacked_init(&u);
		if (msgpack_unpack_next(&u, (const char *)f[victim].data, f[victim].len, &at) !=
		    MSGPACK_UNPACK_SUCCESS)
			die("a record is not msgpack", in);
		wk.map_values = below(2);
		wk.target = -1;
		visit(&wk, &u.data);	/* count */
		wk.target = wk.map_values ? (long)below((size_t)wk.count) : 1 + (long)below((size_t)(wk.count - 1));
		wk.count = 0;
		wk.path[0] = 0;
		visit(&wk, &u.data);
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_object(&pk, u.data);
		f[victim].data = (unsigned char *)sb.data;	/* the input buffers leak: a short-lived aid */
		f[victim].len = sb.size;
		snprintf(what, sizeof what, "frame %zu: %s: %s", victim, wk.done ? wk.path : "(nothing)",
			 wk.done ? wk.what : "unchanged");
	}
	/* frame again, each segment's end record recomputed */
	for (size_t i = 0; i < nf; i++) {
		size_t bound, clen;
		void *c = NULL;
		ZSTD_CCtx *cctx = ZSTD_createCCtx();

		if (f[i].end) {
			msgpack_sbuffer sb;
			msgpack_packer pk;

			msgpack_sbuffer_init(&sb);
			msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
			msgpack_pack_map(&pk, 4);
			msgpack_pack_str_with_body(&pk, "record", 6);
			msgpack_pack_str_with_body(&pk, "end", 3);
			msgpack_pack_str_with_body(&pk, "count", 5);
			msgpack_pack_uint64(&pk, count);
			msgpack_pack_str_with_body(&pk, "bytes", 5);
			msgpack_pack_uint64(&pk, bytes);
			msgpack_pack_str_with_body(&pk, "checksum", 8);
			msgpack_pack_uint64(&pk, cp_hash64_final(&h));
			f[i].data = (unsigned char *)sb.data;
			f[i].len = sb.size;
			in_segment = 0;
		} else {
			if (!in_segment) {	/* a header */
				cp_hash64_init(&h, 0);
				bytes = count = 0;
				in_segment = 1;
			} else {
				count++;
			}
			cp_hash64_update(&h, f[i].data, f[i].len);
			bytes += f[i].len;
		}
		bound = ZSTD_compressBound(f[i].len);
		if (!cctx || !(c = malloc(bound)))
			die("out of memory", NULL);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
		clen = ZSTD_compress2(cctx, c, bound, f[i].data, f[i].len);
		if (ZSTD_isError(clen) || cp_buf_append(&outbuf, c, clen, NULL) < 0)
			die("cannot compress", NULL);
		free(c);
		ZSTD_freeCCtx(cctx);
	}
	write_file(out, outbuf.data, outbuf.len);
	printf("%s\n", what);
}

/* ---- text ----------------------------------------------------------------- */

static const char *const odd_cells[] = {
	"", "NaN", "nan", "inf", "-inf", "1e309", "-1", "0", "99999999999999999999", "GO:", "GO:9999999",
	"YAL001C", "\xc3\xa9", "\xff\xfe", " ", "\"", "!", "0.5", "-0", "1e-320", "|", ";", "\"a\tb\"",
	"[Term]", "id: GO:0000001", "is_a: GO:0000001", "\r", "-", "+", "1", "2", "3", "YAL001C;YBR002C",
	"YAL001C+YBR002C", "a\0b"
};

typedef struct line {
	char *s;
	size_t len;
} line;

static void set_line(line *l, const char *s, size_t len)
{
	l->s = malloc(len + 1);
	if (!l->s)
		die("out of memory", NULL);
	memcpy(l->s, s, len);
	l->s[len] = 0;
	l->len = len;
}

static void odd_cell(const char **s, size_t *len)
{
	size_t k = below(sizeof odd_cells / sizeof *odd_cells + 1);

	if (k == sizeof odd_cells / sizeof *odd_cells) {	/* a very long cell */
		static char *long_cell;

		if (!long_cell) {
			long_cell = malloc(70001);
			if (!long_cell)
				die("out of memory", NULL);
			memset(long_cell, 'x', 70000);
			long_cell[70000] = 0;
		}
		*s = long_cell;
		*len = 70000;
		return;
	}
	*s = odd_cells[k];
	*len = strcmp(*s, "a") == 0 ? 3 : strlen(*s);	/* "a\0b" keeps its NUL */
}

static void mutate_text(const char *in, const char *out)
{
	size_t n, nl = 0, cap = 0, start = 0;
	unsigned char *src = read_file(in, &n);
	line *l = NULL;
	cp_buf buf = { 0 }, said = { 0 };
	int k = 1 + (int)below(3);

	for (size_t i = 0; i <= n; i++)
		if (i == n || src[i] == '\n') {
			if (nl + 2 >= cap) {
				cap = cap ? cap * 2 : 256;
				if (!(l = realloc(l, cap * sizeof *l)))
					die("out of memory", NULL);
			}
			set_line(&l[nl++], (const char *)src + start, i - start);
			start = i + 1;
		}
	for (int step = 0; step < k; step++) {
		size_t i = below(nl), j = below(nl);
		char note[96];

		switch (below(9)) {
		case 0:	/* delete a line */
			if (nl > 1) {
				memmove(&l[i], &l[i + 1], (nl - i - 1) * sizeof *l);
				nl--;
			}
			snprintf(note, sizeof note, "line %zu deleted", i + 1);
			break;
		case 1:	/* repeat a line */
			if (nl + 1 >= cap && !(l = realloc(l, (cap *= 2) * sizeof *l)))
				die("out of memory", NULL);
			memmove(&l[i + 1], &l[i], (nl - i) * sizeof *l);
			set_line(&l[i], l[j + (j >= i)].s, l[j + (j >= i)].len);
			nl++;
			snprintf(note, sizeof note, "a line repeated at %zu", i + 1);
			break;
		case 2: {	/* swap two lines */
			line t = l[i];

			l[i] = l[j];
			l[j] = t;
			snprintf(note, sizeof note, "lines %zu and %zu swapped", i + 1, j + 1);
			break;
		}
		case 3:
		case 4:
		case 5: {	/* a field replaced, dropped or added */
			char sep = memchr(l[i].s, '\t', l[i].len) ? '\t' : memchr(l[i].s, ',', l[i].len) ? ',' : ' ';
			size_t fields = 1, f, a = 0, b, op = below(3);
			cp_buf nb = { 0 };
			const char *cell;
			size_t cell_len;

			for (size_t q = 0; q < l[i].len; q++)
				fields += l[i].s[q] == sep;
			f = below(fields);
			for (size_t q = 0, seen = 0; q < l[i].len && seen < f; q++)
				if (l[i].s[q] == sep && ++seen == f)
					a = q + 1;
			for (b = a; b < l[i].len && l[i].s[b] != sep; b++)
				;
			odd_cell(&cell, &cell_len);
			cp_buf_append(&nb, l[i].s, a, NULL);
			if (op == 0) {
				cp_buf_append(&nb, cell, cell_len, NULL);
				cp_buf_append(&nb, l[i].s + b, l[i].len - b, NULL);
			} else if (op == 1) {
				cp_buf_append(&nb, l[i].s + b + (b < l[i].len), l[i].len - b - (b < l[i].len), NULL);
			} else {
				cp_buf_append(&nb, cell, cell_len, NULL);
				cp_buf_append(&nb, &sep, 1, NULL);
				cp_buf_append(&nb, l[i].s + a, l[i].len - a, NULL);
			}
			set_line(&l[i], nb.data ? nb.data : "", nb.len);
			free(nb.data);
			snprintf(note, sizeof note, "line %zu: field %zu %s", i + 1, f + 1,
				 op == 0 ? "replaced" : op == 1 ? "dropped" : "added before");
			break;
		}
		case 6: {	/* odd text inside a line, or a byte changed */
			size_t at = below(l[i].len + 1);
			cp_buf nb = { 0 };

			if (below(2)) {
				const char *cell;
				size_t cell_len;

				odd_cell(&cell, &cell_len);
				cp_buf_append(&nb, l[i].s, at, NULL);
				cp_buf_append(&nb, cell, cell_len, NULL);
				cp_buf_append(&nb, l[i].s + at, l[i].len - at, NULL);
				set_line(&l[i], nb.data, nb.len);
				free(nb.data);
			} else if (l[i].len) {
				l[i].s[below(l[i].len)] = (char)next_random();
			}
			snprintf(note, sizeof note, "line %zu: changed inside", i + 1);
			break;
		}
		case 7:	/* a carriage return at the end */
			set_line(&l[i], l[i].s, l[i].len);
			l[i].s = realloc(l[i].s, l[i].len + 2);
			if (!l[i].s)
				die("out of memory", NULL);
			l[i].s[l[i].len++] = '\r';
			snprintf(note, sizeof note, "line %zu: a CR added", i + 1);
			break;
		default:	/* cut short, maybe inside a line */
			nl = i + 1;
			l[i].len = below(l[i].len + 1);
			snprintf(note, sizeof note, "cut inside line %zu", i + 1);
			step = k;
			break;
		}
		if (said.len)
			cp_buf_append(&said, "; ", 2, NULL);
		cp_buf_append(&said, note, strlen(note), NULL);
	}
	for (size_t i = 0; i < nl; i++) {
		cp_buf_append(&buf, l[i].s, l[i].len, NULL);
		if (i + 1 < nl)
			cp_buf_append(&buf, "\n", 1, NULL);
	}
	write_file(out, buf.data ? buf.data : "", buf.len);
	printf("%.*s\n", (int)said.len, said.data ? said.data : "");
}

/* argument s as an integer of at least lo, or exit 2 naming what it is not */
static long long integer_arg(const char *s, long long lo, const char *what)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*end || !*s || v < lo) {
		fprintf(stderr, "cpz-mutate: '%s' is not %s\n", s, what);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int text = argc == 5 && strcmp(argv[1], "--text") == 0;
	char *end;

	if (argc == 7 && strcmp(argv[1], "--set") == 0) {
		set_type = argv[2], set_field = argv[3];
		set_value = integer_arg(argv[4], LLONG_MIN, "an integer");
		mutate_stream(argv[5], argv[6]);
		return 0;
	}
	if (argc == 8 && strcmp(argv[1], "--set-element") == 0) {
		set_type = argv[2], set_field = argv[3];
		set_element = integer_arg(argv[4], 0, "an element number");
		set_text = argv[5];	/* a number for an f64 tensor, else an integer */
		set_value = strtoll(argv[5], NULL, 10);
		mutate_stream(argv[6], argv[7]);
		return 0;
	}
	if (argc == 7 && strcmp(argv[1], "--set-text") == 0) {
		char *w;

		set_type = argv[2], set_field = argv[3];
		set_string = w = argv[4];
		for (const char *r = argv[4]; *r; r++)	/* \t and \n decoded */
			if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n'))
				*w++ = *++r == 't' ? '\t' : '\n';
			else
				*w++ = *r;
		*w = '\0';
		mutate_stream(argv[5], argv[6]);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "--drop") == 0) {
		set_type = argv[2], set_field = argv[3], set_drop = 1;
		mutate_stream(argv[4], argv[5]);
		return 0;
	}
	if (argc != 4 + text) {
		fprintf(stderr, "usage: cpz-mutate [--text] IN OUT SEED | --set TYPE FIELD N IN OUT | "
				"--drop TYPE FIELD IN OUT | --set-text TYPE FIELD TEXT IN OUT | "
				"--set-element TYPE FIELD I N IN OUT\n");
		return 2;
	}
	rng = strtoull(argv[3 + text], &end, 10);
	if (*end || !*argv[3 + text]) {
		fprintf(stderr, "cpz-mutate: '%s' is not a seed\n", argv[3 + text]);
		return 2;
	}
	rng = rng * 0x2545F4914F6CDD1DULL + 1;
	if (text)
		mutate_text(argv[2], argv[3]);
	else
		mutate_stream(argv[1], argv[2]);
	return 0;
}
