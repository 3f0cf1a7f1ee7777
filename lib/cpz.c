/*
 * cpz.c - the tensor stream format: records, writer and reader.
 *
 * Writing packs with msgpack-c straight into a streaming zstd compressor,
 * one frame per record, so memory stays at the record being written.
 * Reading decompresses one frame at a time and decodes the msgpack with a
 * small bounds-checked decoder of our own: msgpack-c's unpacker reserves
 * room for a container from its declared count before the elements are
 * there, and a reader of untrusted files must not allocate from declared
 * sizes.
 */
#define _GNU_SOURCE
#include "cpz.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <zstd.h>
#include <zstd_errors.h>

#define DEFAULT_LEVEL 3
#define DEFAULT_CHUNK_BYTES ((size_t)1 << 30)
#define DEFAULT_MAX_RECORD ((size_t)32 << 30)
#define STAGE_BYTES (128 * 1024)
#define STAGE_DIRECT (32 * 1024)
#define READ_BYTES (1024 * 1024)
#define FIRST_RECORD_ALLOC ((size_t)1 << 20)
#define FRAME_HEADER_MAX 18	/* largest zstd frame header (format spec) */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CPZ_BIG_ENDIAN 1
#else
#define CPZ_BIG_ENDIAN 0
#endif

static const struct {
	const char *name;
	size_t size;
} dtype_info[CPZ_DTYPE_COUNT] = {
	[CPZ_F32] = { "f32", 4 }, [CPZ_F64] = { "f64", 8 }, [CPZ_I32] = { "i32", 4 },
	[CPZ_I64] = { "i64", 8 }, [CPZ_U8] = { "u8", 1 },   [CPZ_BOOL] = { "bool", 1 },
};

size_t cpz_dtype_size(cpz_dtype dtype)
{
	return dtype >= 0 && dtype < CPZ_DTYPE_COUNT ? dtype_info[dtype].size : 0;
}

const char *cpz_dtype_name(cpz_dtype dtype)
{
	return dtype >= 0 && dtype < CPZ_DTYPE_COUNT ? dtype_info[dtype].name : "?";
}

int cpz_dtype_parse(const char *name, cpz_dtype *out)
{
	for (int i = 0; i < CPZ_DTYPE_COUNT; i++)
		if (strcmp(name, dtype_info[i].name) == 0) {
			*out = (cpz_dtype)i;
			return 0;
		}
	return -1;
}

static const char *kind_name(cpz_value_kind k)
{
	switch (k) {
	case CPZ_VALUE_TENSOR: return "a tensor";
	case CPZ_VALUE_STRINGS: return "a string list";
	case CPZ_VALUE_INT: return "an integer";
	case CPZ_VALUE_FLOAT: return "a float";
	case CPZ_VALUE_STR: return "a string";
	case CPZ_VALUE_BOOL: return "a boolean";
	}
	return "?";
}

/* Product of a shape, and its size in bytes, with overflow checks. */
static int shape_bytes(cpz_dtype dtype, int ndim, const int64_t *shape, size_t *count,
		       size_t *nbytes)
{
	size_t c = 1;

	for (int d = 0; d < ndim; d++) {
		if (shape[d] < 0 || (uint64_t)shape[d] > SIZE_MAX)
			return -1;
		if (cp_mul_size(c, (size_t)shape[d], &c) < 0)
			return -1;
	}
	*count = c;
	return cp_mul_size(c, cpz_dtype_size(dtype), nbytes);
}

/* ---- records ----------------------------------------------------------- */

void cpz_record_init(cpz_record *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->type = "";
	rec->index = -1;
	cp_arena_init(&rec->arena);
}

int cpz_record_reset(cpz_record *rec, const char *type, cp_error *err)
{
	cp_arena_reset(&rec->arena);
	rec->nfields = 0;
	rec->cap = 0;
	rec->fields = NULL;
	rec->source = NULL;
	rec->index = -1;
	rec->type = cp_arena_strndup(&rec->arena, type, strlen(type), err);
	return rec->type ? 0 : -1;
}

void cpz_record_free(cpz_record *rec)
{
	if (!rec)
		return;
	cp_arena_free(&rec->arena);
	rec->fields = NULL;
	rec->nfields = rec->cap = 0;
	rec->type = "";
}

const cpz_field *cpz_record_field(const cpz_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->nfields; i++)
		if (strcmp(rec->fields[i].name, name) == 0)
			return &rec->fields[i];
	return NULL;
}

/* Text as cpz takes it: UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF) without NUL bytes.  NULL when it is, else what is
 * wrong with it. */
const char *cpz_text_defect(const char *text, size_t n)
{
	const uint8_t *p = (const uint8_t *)text;

	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];

		if (c == 0)
			return "contains a NUL byte";
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
			     c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		uint8_t lo = 0x80, hi = 0xbf;	/* the second byte's range */

		if (c == 0xe0)
			lo = 0xa0;	/* no overlong 3-byte form */
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
		else if (c == 0xf0)
			lo = 0x90;	/* no overlong 4-byte form */
		else if (c == 0xf4)
			hi = 0x8f;	/* nothing past U+10FFFF */
		if (!len || i + len > n || p[i + 1] < lo || p[i + 1] > hi)
			return "is not UTF-8";
		for (size_t k = 2; k < len; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return "is not UTF-8";
		i += len;
	}
	return NULL;
}

char *cpz_text_escape(const char *text, size_t n)
{
	size_t o = 0;
	char *out = malloc(4 * n + 1);

	if (!out)
		return NULL;
	if (!cpz_text_defect(text, n)) {	/* text as it is */
		memcpy(out, text, n);
		out[n] = '\0';
		return out;
	}
	for (size_t i = 0; i < n;) {
		size_t len = 1;

		while (len <= 4 && i + len <= n && cpz_text_defect(text + i, len))
			len++;
		if (text[i] == '\\') {
			out[o++] = '\\', out[o++] = '\\';
			i++;
		} else if (len <= 4 && i + len <= n) {	/* a whole character */
			memcpy(out + o, text + i, len);
			o += len, i += len;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)text[i]);
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

char *cpz_text_unescape(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *out = malloc(n + 1);
	static const char hex[] = "0123456789abcdef";

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *h1, *h2;

		if (text[i] == '\\' && text[i + 1] == '\\') {
			out[o++] = '\\';
			i++;
		} else if (text[i] == '\\' && text[i + 1] == 'x' && text[i + 2] && text[i + 3] &&
			   (h1 = strchr(hex, text[i + 2])) && (h2 = strchr(hex, text[i + 3]))) {
			out[o++] = (char)((h1 - hex) * 16 + (h2 - hex));
			i += 3;
		} else {
			out[o++] = text[i];
		}
	}
	out[o] = '\0';
	return out;
}

int cpz_record_add_text(cpz_record *rec, const char *name, const char *v, cp_error *err)
{
	char *e = cpz_text_escape(v, strlen(v));
	int rc;

	if (!e)
		return cp_error_set(err, "out of memory");
	rc = cpz_record_add_str(rec, name, e, err);
	free(e);
	return rc;
}

static cpz_field *record_new_field(cpz_record *rec, const char *name, cpz_value_kind kind,
				   cp_error *err)
{
	cpz_field *f;

	if (!*name || strcmp(name, "record") == 0 || cpz_text_defect(name, strlen(name)))
		return cp_error_set(err, "record %s: invalid field name '%s'", rec->type, name), NULL;
	if (cpz_record_field(rec, name))
		return cp_error_set(err, "record %s: field '%s' added twice", rec->type, name), NULL;
	if (rec->nfields == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 16;
		cpz_field *nf = cp_arena_alloc(&rec->arena, cap * sizeof *nf, err);

		if (!nf)
			return NULL;
		if (rec->nfields)
			memcpy(nf, rec->fields, rec->nfields * sizeof *nf);
		rec->fields = nf;
		rec->cap = cap;
	}
	f = &rec->fields[rec->nfields];
	memset(f, 0, sizeof *f);
	f->name = cp_arena_strndup(&rec->arena, name, strlen(name), err);
	if (!f->name)
		return NULL;
	f->kind = kind;
	rec->nfields++;
	return f;
}

static int record_add_tensor(cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
			     const int64_t *shape, const void *data, int copy, cp_error *err)
{
	cpz_field *f;
	size_t count, nbytes;

	if (dtype < 0 || dtype >= CPZ_DTYPE_COUNT)
		return cp_error_set(err, "record %s: field '%s': invalid dtype %d", rec->type, name,
				    (int)dtype);
	if (ndim < 0 || ndim > CPZ_MAX_DIMS)
		return cp_error_set(err, "record %s: field '%s': %d dimensions (at most %d)",
				    rec->type, name, ndim, CPZ_MAX_DIMS);
	if (shape_bytes(dtype, ndim, shape, &count, &nbytes) < 0)
		return cp_error_set(err, "record %s: field '%s': invalid or overflowing shape",
				    rec->type, name);
	if (nbytes && !data)
		return cp_error_set(err, "record %s: field '%s': no data", rec->type, name);
	f = record_new_field(rec, name, CPZ_VALUE_TENSOR, err);
	if (!f)
		return -1;
	f->tensor.dtype = dtype;
	f->tensor.ndim = ndim;
	for (int d = 0; d < ndim; d++)
		f->tensor.shape[d] = shape[d];
	f->tensor.count = count;
	f->tensor.nbytes = nbytes;
	if (copy) {
		void *p = cp_arena_alloc(&rec->arena, nbytes, err);

		if (!p)
			return -1;
		if (nbytes)
			memcpy(p, data, nbytes);
		f->tensor.data = p;
	} else {
		f->tensor.data = (void *)data;
	}
	return 0;
}

int cpz_record_add_tensor(cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
			  const int64_t *shape, const void *data, cp_error *err)
{
	return record_add_tensor(rec, name, dtype, ndim, shape, data, 0, err);
}

int cpz_record_add_tensor_copy(cpz_record *rec, const char *name, cpz_dtype dtype, int ndim,
			       const int64_t *shape, const void *data, cp_error *err)
{
	return record_add_tensor(rec, name, dtype, ndim, shape, data, 1, err);
}

/* A writer's refusal of text that is not UTF-8, the text shown escaped
 * (i: the string's place in a list, (size_t)-1 for one string). */
static int text_refused(const cpz_record *rec, const char *name, size_t i, const char *text,
			cp_error *err)
{
	char *shown = cpz_text_escape(text, strlen(text));

	if (i == (size_t)-1)
		cp_error_set(err, "record %s: field '%s': '%s' is not UTF-8", rec->type, name,
			     shown ? shown : "?");
	else
		cp_error_set(err, "record %s: field '%s': string %zu ('%s') is not UTF-8", rec->type,
			     name, i, shown ? shown : "?");
	free(shown);
	return -1;
}

int cpz_record_add_strings(cpz_record *rec, const char *name, size_t n,
			   const char *const *items, cp_error *err)
{
	cpz_field *f;

	for (size_t i = 0; i < n; i++) {
		if (!items[i])
			return cp_error_set(err, "record %s: field '%s': string %zu is NULL", rec->type,
					    name, i);
		if (cpz_text_defect(items[i], strlen(items[i])))
			return text_refused(rec, name, i, items[i], err);
	}
	f = record_new_field(rec, name, CPZ_VALUE_STRINGS, err);
	if (!f)
		return -1;
	f->nstrings = n;
	f->strings = items;
	return 0;
}

int cpz_record_add_int(cpz_record *rec, const char *name, int64_t v, cp_error *err)
{
	cpz_field *f = record_new_field(rec, name, CPZ_VALUE_INT, err);

	if (!f)
		return -1;
	f->i = v;
	return 0;
}

int cpz_record_add_float(cpz_record *rec, const char *name, double v, cp_error *err)
{
	cpz_field *f = record_new_field(rec, name, CPZ_VALUE_FLOAT, err);

	if (!f)
		return -1;
	f->f = v;
	return 0;
}

int cpz_record_add_str(cpz_record *rec, const char *name, const char *v, cp_error *err)
{
	cpz_field *f;

	if (cpz_text_defect(v, strlen(v)))
		return text_refused(rec, name, (size_t)-1, v, err);
	f = record_new_field(rec, name, CPZ_VALUE_STR, err);

	if (!f)
		return -1;
	f->s = cp_arena_strndup(&rec->arena, v, strlen(v), err);
	return f->s ? 0 : -1;
}

int cpz_record_add_bool(cpz_record *rec, const char *name, int v, cp_error *err)
{
	cpz_field *f = record_new_field(rec, name, CPZ_VALUE_BOOL, err);

	if (!f)
		return -1;
	f->b = v != 0;
	return 0;
}

int cpz_record_error(const cpz_record *rec, const char *field, cp_error *err, const char *fmt,
		     ...)
{
	char what[768];
	char where[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (rec->index >= 0)
		snprintf(where, sizeof where, "%s: record %" PRId64 " (%s)",
			 rec->source ? rec->source : "?", rec->index, rec->type);
	else
		snprintf(where, sizeof where, "record (%s)", rec->type);
	if (field)
		return cp_error_set(err, "%s: field '%s': %s", where, field, what);
	return cp_error_set(err, "%s: %s", where, what);
}

static const cpz_field *record_need(const cpz_record *rec, const char *name,
				    cpz_value_kind kind, cp_error *err)
{
	const cpz_field *f = cpz_record_field(rec, name);

	if (!f) {
		cpz_record_error(rec, name, err, "missing");
		return NULL;
	}
	if (f->kind != kind) {
		cpz_record_error(rec, name, err, "expected %s, found %s", kind_name(kind),
				 kind_name(f->kind));
		return NULL;
	}
	return f;
}

const cpz_tensor *cpz_record_tensor(const cpz_record *rec, const char *name, cpz_dtype dtype,
				    int ndim, cp_error *err)
{
	const cpz_field *f = record_need(rec, name, CPZ_VALUE_TENSOR, err);

	if (!f)
		return NULL;
	if (dtype != CPZ_ANY && f->tensor.dtype != dtype) {
		cpz_record_error(rec, name, err, "expected dtype %s, found %s",
				 cpz_dtype_name(dtype), cpz_dtype_name(f->tensor.dtype));
		return NULL;
	}
	if (ndim >= 0 && f->tensor.ndim != ndim) {
		cpz_record_error(rec, name, err, "expected %d dimension%s, found %d", ndim,
				 ndim == 1 ? "" : "s", f->tensor.ndim);
		return NULL;
	}
	return &f->tensor;
}

const char *const *cpz_record_strings(const cpz_record *rec, const char *name, size_t *n,
				      cp_error *err)
{
	const cpz_field *f = record_need(rec, name, CPZ_VALUE_STRINGS, err);
	static const char *const empty[1] = { NULL };

	if (!f)
		return NULL;
	*n = f->nstrings;
	return f->strings ? f->strings : empty;
}

int cpz_record_int(const cpz_record *rec, const char *name, int64_t *out, cp_error *err)
{
	const cpz_field *f = record_need(rec, name, CPZ_VALUE_INT, err);

	if (!f)
		return -1;
	*out = f->i;
	return 0;
}

int cpz_record_float(const cpz_record *rec, const char *name, double *out, cp_error *err)
{
	const cpz_field *f = cpz_record_field(rec, name);

	if (f && f->kind == CPZ_VALUE_INT) {
		*out = (double)f->i;
		return 0;
	}
	f = record_need(rec, name, CPZ_VALUE_FLOAT, err);
	if (!f)
		return -1;
	*out = f->f;
	return 0;
}

const char *cpz_record_str(const cpz_record *rec, const char *name, cp_error *err)
{
	const cpz_field *f = record_need(rec, name, CPZ_VALUE_STR, err);

	return f ? f->s : NULL;
}

int cpz_record_check_dim(const cpz_record *rec, const char *name, const cpz_tensor *t, int d,
			 int64_t want, cp_error *err)
{
	if (d >= t->ndim)
		return cpz_record_error(rec, name, err, "has %d dimensions, needs at least %d",
					t->ndim, d + 1);
	if (t->shape[d] != want)
		return cpz_record_error(rec, name, err, "dimension %d is %" PRId64 ", expected %" PRId64,
					d, t->shape[d], want);
	return 0;
}

/* Deep-copy field f into dst under name. */
static int copy_field(cpz_record *dst, const cpz_field *f, const char *name, cp_error *err)
{
	switch (f->kind) {
	case CPZ_VALUE_TENSOR:
		return cpz_record_add_tensor_copy(dst, name, f->tensor.dtype, f->tensor.ndim,
						  f->tensor.shape, f->tensor.data, err);
	case CPZ_VALUE_STRINGS: {
		const char **items = cp_arena_alloc(&dst->arena, (f->nstrings + 1) * sizeof *items, err);

		if (!items)
			return -1;
		for (size_t k = 0; k < f->nstrings; k++) {
			items[k] = cp_arena_strndup(&dst->arena, f->strings[k], strlen(f->strings[k]), err);
			if (!items[k])
				return -1;
		}
		return cpz_record_add_strings(dst, name, f->nstrings, items, err);
	}
	case CPZ_VALUE_INT: return cpz_record_add_int(dst, name, f->i, err);
	case CPZ_VALUE_FLOAT: return cpz_record_add_float(dst, name, f->f, err);
	case CPZ_VALUE_STR: return cpz_record_add_str(dst, name, f->s, err);
	case CPZ_VALUE_BOOL: return cpz_record_add_bool(dst, name, f->b, err);
	}
	return cp_error_set(err, "invalid field kind");
}

int cpz_record_copy(cpz_record *dst, const cpz_record *src, cp_error *err)
{
	if (cpz_record_reset(dst, src->type, err) < 0)
		return -1;
	for (size_t i = 0; i < src->nfields; i++)
		if (copy_field(dst, &src->fields[i], src->fields[i].name, err) < 0)
			return -1;
	dst->source = src->source ? cp_arena_strndup(&dst->arena, src->source, strlen(src->source), err)
				  : NULL;
	dst->index = src->index;
	return 0;
}

int cpz_record_copy_fields(cpz_record *dst, const cpz_record *src, const char *from,
			   const char *to, cp_error *err)
{
	size_t flen = strlen(from), tlen = strlen(to);

	for (size_t i = 0; i < src->nfields; i++) {
		const cpz_field *f = &src->fields[i];
		size_t rest;
		char *name;

		if (strncmp(f->name, from, flen) != 0 || !f->name[flen])
			continue;
		rest = strlen(f->name + flen);
		name = cp_arena_alloc(&dst->arena, tlen + rest + 1, err);
		if (!name)
			return -1;
		memcpy(name, to, tlen);
		memcpy(name + tlen, f->name + flen, rest + 1);
		if (copy_field(dst, f, name, err) < 0)
			return -1;
	}
	return 0;
}

static int field_equal(const cpz_field *a, const cpz_field *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case CPZ_VALUE_TENSOR:
		if (a->tensor.dtype != b->tensor.dtype || a->tensor.ndim != b->tensor.ndim ||
		    memcmp(a->tensor.shape, b->tensor.shape, (size_t)a->tensor.ndim * sizeof *a->tensor.shape) != 0)
			return 0;
		return a->tensor.nbytes == b->tensor.nbytes &&
		       (a->tensor.nbytes == 0 || memcmp(a->tensor.data, b->tensor.data, a->tensor.nbytes) == 0);
	case CPZ_VALUE_STRINGS:
		if (a->nstrings != b->nstrings)
			return 0;
		for (size_t i = 0; i < a->nstrings; i++)
			if (strcmp(a->strings[i], b->strings[i]) != 0)
				return 0;
		return 1;
	case CPZ_VALUE_INT:
		return a->i == b->i;
	case CPZ_VALUE_FLOAT:	/* the same bits: a NaN equals itself */
		return memcmp(&a->f, &b->f, sizeof a->f) == 0;
	case CPZ_VALUE_STR:
		return strcmp(a->s, b->s) == 0;
	case CPZ_VALUE_BOOL:
		return !a->b == !b->b;
	}
	return 0;
}

const char *cpz_record_diff(const cpz_record *a, const cpz_record *b)
{
	for (size_t i = 0; i < a->nfields; i++) {
		const cpz_field *g = cpz_record_field(b, a->fields[i].name);

		if (!g || !field_equal(&a->fields[i], g))
			return a->fields[i].name;
	}
	for (size_t i = 0; i < b->nfields; i++)
		if (!cpz_record_field(a, b->fields[i].name))
			return b->fields[i].name;
	return NULL;
}

/* ---- genomes ----------------------------------------------------------- */

uint64_t cpz_genome_hash(size_t n, const char *const *names)
{
	cp_hash64 h;

	cp_hash64_init(&h, 0);
	for (size_t i = 0; i < n; i++) {
		if (i)
			cp_hash64_update(&h, "\n", 1);
		cp_hash64_update(&h, names[i], strlen(names[i]));
	}
	return cp_hash64_final(&h);
}

int cpz_record_add_genome(cpz_record *rec, size_t n, const char *const *names, cp_error *err)
{
	char hex[17];

	snprintf(hex, sizeof hex, "%016" PRIx64, cpz_genome_hash(n, names));
	if (cpz_record_add_strings(rec, "names", n, names, err) < 0)
		return -1;
	return cpz_record_add_str(rec, "hash", hex, err);
}

int cpz_genome_mismatch(cp_error *err, const char *path, uint64_t hash, const char *other,
			uint64_t other_hash)
{
	return cp_error_set(err, "%s: record 0 (genome): field 'hash': %016" PRIx64 ", but %s indexes "
			    "the genome %016" PRIx64 ": build both from the same genes", path, hash, other,
			    other_hash);
}

int cpz_record_genome(const cpz_record *rec, size_t *n, const char *const **names,
		      uint64_t *hash, cp_error *err)
{
	const char *hex;
	char want[17];
	uint64_t h;

	if (strcmp(rec->type, "genome") != 0)
		return cpz_record_error(rec, NULL, err, "expected a genome record");
	*names = cpz_record_strings(rec, "names", n, err);
	if (!*names)
		return -1;
	hex = cpz_record_str(rec, "hash", err);
	if (!hex)
		return -1;
	h = cpz_genome_hash(*n, *names);
	snprintf(want, sizeof want, "%016" PRIx64, h);
	if (strcmp(hex, want) != 0)
		return cpz_record_error(rec, "hash", err, "is %s but the names hash to %s", hex, want);
	/* the optional standard names and aliases, which streams carry on */
	if (cpz_record_field(rec, "standard")) {
		size_t ns;

		if (!cpz_record_strings(rec, "standard", &ns, err))
			return -1;
		if (ns != *n)
			return cpz_record_error(rec, "standard", err, "%zu names for %zu genes", ns, *n);
	}
	if (cpz_record_field(rec, "alias.name") || cpz_record_field(rec, "alias.gene")) {
		size_t na;
		const cpz_tensor *gene;

		if (!cpz_record_strings(rec, "alias.name", &na, err) ||
		    !(gene = cpz_record_tensor(rec, "alias.gene", CPZ_I32, 1, err)) ||
		    cpz_record_check_dim(rec, "alias.gene", gene, 0, (int64_t)na, err) < 0)
			return -1;
		for (size_t i = 0; i < na; i++) {
			int32_t g = ((const int32_t *)gene->data)[i];

			if (g < 0 || (size_t)g >= *n)
				return cpz_record_error(rec, "alias.gene", err, "entry %zu: gene %d out of range",
							i, g);
		}
	}
	if (hash)
		*hash = h;
	return 0;
}

int cpz_reader_segment_head(cpz_reader *r, cpz_record *rec, uint64_t genome_hash, const char *head,
			    cp_error *err)
{
	size_t n;
	const char *const *names;
	uint64_t hash;
	int rc;

	if (cpz_record_genome(rec, &n, &names, &hash, err) < 0)
		return -1;
	if (hash != genome_hash)
		return cpz_record_error(rec, NULL, err, "a second segment of another genome (hash %016"
					PRIx64 " vs %016" PRIx64 ")", hash, genome_hash);
	rc = cpz_reader_next(r, rec, err);
	if (rc == 0)
		return cp_error_set(err, "%s: a segment without a %s record", cpz_reader_name(r), head);
	if (rc < 0)
		return -1;
	if (strcmp(rec->type, head) != 0)
		return cpz_record_error(rec, NULL, err, "expected a %s record", head);
	return 0;
}

/* ---- writer ------------------------------------------------------------ */

struct cpz_writer {
	int fd;
	int own_fd;
	char *name;
	char *path, *tmp_path;
	ZSTD_CCtx *cctx;
	uint8_t *out;
	size_t out_cap;
	uint8_t *stage;
	size_t stage_len;
	size_t chunk_bytes;
	cp_hash64 hash;
	uint64_t bytes;
	int64_t count;
	uint64_t packed;	/* bytes packed into the current frame */
	int failed;
	cp_error *cb_err;	/* where the packer callback reports */
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int writer_compress(cpz_writer *w, const void *src, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { src, len, 0 };

	for (;;) {
		ZSTD_outBuffer out = { w->out, w->out_cap, 0 };
		size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);

		if (ZSTD_isError(left))
			return cp_error_set(w->cb_err, "%s: zstd: %s", w->name, ZSTD_getErrorName(left));
		if (out.pos && write_all(w->fd, w->out, out.pos) < 0)
			return cp_error_errno(w->cb_err, w->name);
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			return 0;
	}
}

static int writer_flush_stage(cpz_writer *w)
{
	int rc = 0;

	if (w->stage_len)
		rc = writer_compress(w, w->stage, w->stage_len, ZSTD_e_continue);
	w->stage_len = 0;
	return rc;
}

/* msgpack-c packer callback: bytes of the current record, in order. */
static int writer_sink(void *data, const char *buf, size_t len)
{
	cpz_writer *w = data;

	if (w->failed)
		return -1;
	if (len == 0)
		return 0;
	cp_hash64_update(&w->hash, buf, len);
	w->packed += len;
	if (len >= STAGE_DIRECT) {
		if (writer_flush_stage(w) < 0 || writer_compress(w, buf, len, ZSTD_e_continue) < 0)
			goto fail;
		return 0;
	}
	if (w->stage_len + len > STAGE_BYTES && writer_flush_stage(w) < 0)
		goto fail;
	memcpy(w->stage + w->stage_len, buf, len);
	w->stage_len += len;
	return 0;
fail:
	w->failed = 1;
	return -1;
}

static int count_sink(void *data, const char *buf, size_t len)
{
	(void)buf;
	*(uint64_t *)data += len;
	return 0;
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

#if CPZ_BIG_ENDIAN
static void pack_swapped(msgpack_packer *pk, const cpz_tensor *t, const uint8_t *p, size_t n)
{
	size_t es = cpz_dtype_size(t->dtype);
	uint8_t tmp[4096];

	while (n) {
		size_t take = n < sizeof tmp ? n : sizeof tmp;

		for (size_t i = 0; i < take; i += es)
			for (size_t k = 0; k < es; k++)
				tmp[i + k] = p[i + es - 1 - k];
		msgpack_pack_bin_body(pk, tmp, take);
		p += take, n -= take;
	}
}
#endif

static void pack_tensor_data(msgpack_packer *pk, const cpz_tensor *t, const uint8_t *p, size_t n)
{
#if CPZ_BIG_ENDIAN
	if (cpz_dtype_size(t->dtype) > 1) {
		pack_swapped(pk, t, p, n);
		return;
	}
#else
	(void)t;
#endif
	msgpack_pack_bin_body(pk, p, n);
}

static void pack_record(msgpack_packer *pk, const cpz_record *rec, size_t chunk_bytes)
{
	msgpack_pack_map(pk, 1 + rec->nfields);
	pack_cstr(pk, "record");
	pack_cstr(pk, rec->type);
	for (size_t i = 0; i < rec->nfields; i++) {
		const cpz_field *f = &rec->fields[i];

		pack_cstr(pk, f->name);
		switch (f->kind) {
		case CPZ_VALUE_TENSOR: {
			const cpz_tensor *t = &f->tensor;
			const uint8_t *p = t->data;

			msgpack_pack_map(pk, 3);
			pack_cstr(pk, "dtype");
			pack_cstr(pk, cpz_dtype_name(t->dtype));
			pack_cstr(pk, "shape");
			msgpack_pack_array(pk, (size_t)t->ndim);
			for (int d = 0; d < t->ndim; d++)
				msgpack_pack_uint64(pk, (uint64_t)t->shape[d]);
			pack_cstr(pk, "data");
			if (t->nbytes <= chunk_bytes) {
				msgpack_pack_bin(pk, t->nbytes);
				pack_tensor_data(pk, t, p, t->nbytes);
			} else {
				size_t es = cpz_dtype_size(t->dtype);
				size_t step = chunk_bytes / es * es;
				size_t nchunks = (t->nbytes + step - 1) / step;

				msgpack_pack_array(pk, nchunks);
				for (size_t off = 0; off < t->nbytes; off += step) {
					size_t n = t->nbytes - off < step ? t->nbytes - off : step;

					msgpack_pack_bin(pk, n);
					pack_tensor_data(pk, t, p + off, n);
				}
			}
			break;
		}
		case CPZ_VALUE_STRINGS:
			msgpack_pack_array(pk, f->nstrings);
			for (size_t k = 0; k < f->nstrings; k++)
				pack_cstr(pk, f->strings[k]);
			break;
		case CPZ_VALUE_INT:
			msgpack_pack_int64(pk, f->i);
			break;
		case CPZ_VALUE_FLOAT:
			msgpack_pack_double(pk, f->f);
			break;
		case CPZ_VALUE_STR:
			pack_cstr(pk, f->s);
			break;
		case CPZ_VALUE_BOOL:
			if (f->b)
				msgpack_pack_true(pk);
			else
				msgpack_pack_false(pk);
			break;
		}
	}
}

/* Compress one frame whose msgpack content `pack` produces. */
typedef void (*pack_fn)(msgpack_packer *pk, const void *ctx, size_t chunk_bytes);

static int writer_frame(cpz_writer *w, pack_fn pack, const void *ctx, int hashed, cp_error *err)
{
	msgpack_packer pk;
	uint64_t size = 0;
	cp_hash64 saved = w->hash;

	/* A first pass counts the bytes (it never touches tensor data), so
	 * the frame header can carry the content size. */
	msgpack_packer_init(&pk, &size, count_sink);
	pack(&pk, ctx, w->chunk_bytes);

	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	ZSTD_CCtx_setPledgedSrcSize(w->cctx, size);
	w->cb_err = err;
	w->packed = 0;
	msgpack_packer_init(&pk, w, writer_sink);
	pack(&pk, ctx, w->chunk_bytes);
	if (w->failed)
		return -1;
	if (w->packed != size) {
		w->failed = 1;
		return cp_error_set(err, "%s: record size changed while writing", w->name);
	}
	if (writer_flush_stage(w) < 0 || writer_compress(w, "", 0, ZSTD_e_end) < 0) {
		w->failed = 1;
		return -1;
	}
	if (!hashed)
		w->hash = saved;
	else
		w->bytes += size;
	return 0;
}

typedef struct {
	const char *kind, *producer, *command;
} header_ctx;

static void pack_header(msgpack_packer *pk, const void *ctx, size_t chunk_bytes)
{
	const header_ctx *h = ctx;

	(void)chunk_bytes;
	msgpack_pack_map(pk, 4);
	pack_cstr(pk, "cpz");
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint64(pk, CPZ_VERSION_MAJOR);
	msgpack_pack_uint64(pk, CPZ_VERSION_MINOR);
	pack_cstr(pk, "kind");
	pack_cstr(pk, h->kind);
	pack_cstr(pk, "producer");
	pack_cstr(pk, h->producer);
	pack_cstr(pk, "command");
	pack_cstr(pk, h->command);
}

static void pack_record_fn(msgpack_packer *pk, const void *ctx, size_t chunk_bytes)
{
	pack_record(pk, ctx, chunk_bytes);
}

typedef struct {
	int64_t count;
	uint64_t bytes, checksum;
} end_ctx;

static void pack_end(msgpack_packer *pk, const void *ctx, size_t chunk_bytes)
{
	const end_ctx *e = ctx;

	(void)chunk_bytes;
	msgpack_pack_map(pk, 4);
	pack_cstr(pk, "record");
	pack_cstr(pk, "end");
	pack_cstr(pk, "count");
	msgpack_pack_uint64(pk, (uint64_t)e->count);
	pack_cstr(pk, "bytes");
	msgpack_pack_uint64(pk, e->bytes);
	pack_cstr(pk, "checksum");
	msgpack_pack_uint64(pk, e->checksum);
}

/*
 * The environment variable name as an integer from lo to hi into *out, or
 * fallback when it is unset or empty; -1 with err when it is set to
 * anything else, rather than ignoring the setting.
 */
static int env_i64(const char *name, int64_t lo, int64_t hi, int64_t fallback, int64_t *out,
		   cp_error *err)
{
	const char *s = getenv(name);

	*out = fallback;
	if (!s || !*s)
		return 0;
	if (cp_parse_i64(s, out) < 0 || *out < lo || *out > hi)
		return cp_error_set(err, "%s='%s' is not an integer from %" PRId64 " to %" PRId64, name, s,
				    lo, hi);
	return 0;
}

int cpz_env_check(cp_error *err)
{
	int64_t v;

	if (env_i64("CPZ_LEVEL", ZSTD_minCLevel(), ZSTD_maxCLevel(), DEFAULT_LEVEL, &v, err) < 0 ||
	    env_i64("CPZ_MAX_RECORD_BYTES", 1, INT64_MAX, (int64_t)DEFAULT_MAX_RECORD, &v, err) < 0)
		return -1;
	return 0;
}

static cpz_writer *writer_open(int fd, const char *name, const header_ctx *hp,
			       const cpz_writer_options *opts, cp_error *err)
{
	cpz_writer *w;
	int64_t level = opts ? opts->level : 0;
	header_ctx h = *hp;
	const char *kind = h.kind;

	if (!level && env_i64("CPZ_LEVEL", ZSTD_minCLevel(), ZSTD_maxCLevel(), DEFAULT_LEVEL, &level,
			      err) < 0)
		return NULL;

	if (!kind || !*kind || cpz_text_defect(kind, strlen(kind))) {
		cp_error_set(err, "%s: a stream needs a kind (UTF-8 text)", name);
		return NULL;
	}
	if (!(opts && opts->allow_tty) && isatty(fd)) {
		cp_error_set(err, "%s: refusing to write binary data to a terminal; use -o FILE or a pipe",
			     name);
		return NULL;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	w->fd = fd;
	w->name = strdup(name);
	w->chunk_bytes = opts && opts->chunk_bytes ? opts->chunk_bytes : DEFAULT_CHUNK_BYTES;
	w->out_cap = ZSTD_CStreamOutSize();
	w->out = malloc(w->out_cap);
	w->stage = malloc(STAGE_BYTES);
	w->cctx = ZSTD_createCCtx();
	if (!w->name || !w->out || !w->stage || !w->cctx) {
		cp_error_set(err, "out of memory");
		goto fail;
	}
	if (w->chunk_bytes < 8)
		w->chunk_bytes = 8;
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, (int)level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1);
	cp_hash64_init(&w->hash, 0);
	if (writer_frame(w, pack_header, &h, 1, err) < 0)
		goto fail;
	return w;
fail:
	ZSTD_freeCCtx(w->cctx);
	free(w->out);
	free(w->stage);
	free(w->name);
	free(w);
	return NULL;
}

cpz_writer *cpz_writer_open_fd(int fd, const char *name, const char *kind, const char *producer,
			       const char *command, const cpz_writer_options *opts, cp_error *err)
{
	cpz_writer *w;
	const char *p = producer ? producer : "cellpipe " CELLPIPE_VERSION, *c = command ? command : "";
	char *producer_text = cpz_text_escape(p, strlen(p)), *command_text = cpz_text_escape(c, strlen(c));
	header_ctx h = { kind, producer_text, command_text };

	if (!producer_text || !command_text) {
		free(producer_text), free(command_text);
		cp_error_set(err, "out of memory");
		return NULL;
	}
	w = writer_open(fd, name, &h, opts, err);
	free(producer_text), free(command_text);
	return w;
}

cpz_writer *cpz_writer_open(const char *path, const char *kind, const char *producer,
			    const char *command, const cpz_writer_options *opts, cp_error *err)
{
	cpz_writer *w;
	char *tmp = NULL;
	int fd;

	if (strcmp(path, "-") == 0)
		return cpz_writer_open_fd(STDOUT_FILENO, "<stdout>", kind, producer, command, opts,
					  err);
	cp_tmp_install_signal_handlers();
	fd = cp_tmp_create(path, &tmp, err);
	if (fd < 0)
		return NULL;
	w = cpz_writer_open_fd(fd, path, kind, producer, command, opts, err);
	if (!w) {
		close(fd);
		cp_tmp_discard(tmp);
		free(tmp);
		return NULL;
	}
	w->own_fd = 1;
	w->tmp_path = tmp;
	w->path = strdup(path);
	if (!w->path) {
		cp_error_set(err, "out of memory");
		cpz_writer_abort(w);
		return NULL;
	}
	return w;
}

int cpz_writer_write(cpz_writer *w, const cpz_record *rec, cp_error *err)
{
	if (w->failed)
		return cp_error_set(err, "%s: an earlier write failed", w->name);
	if (!rec->type || !*rec->type || strcmp(rec->type, "end") == 0 ||
	    strcmp(rec->type, "header") == 0)
		return cp_error_set(err, "%s: invalid record type '%s'", w->name,
				    rec->type ? rec->type : "");
	if (cpz_text_defect(rec->type, strlen(rec->type))) {
		char *shown = cpz_text_escape(rec->type, strlen(rec->type));

		cp_error_set(err, "%s: record type '%s': %s", w->name, shown ? shown : "?",
			     cpz_text_defect(rec->type, strlen(rec->type)));
		free(shown);
		return -1;
	}
	if (writer_frame(w, pack_record_fn, rec, 1, err) < 0)
		return -1;
	w->count++;
	return 0;
}

static void writer_free(cpz_writer *w)
{
	ZSTD_freeCCtx(w->cctx);
	free(w->out);
	free(w->stage);
	free(w->name);
	free(w->path);
	free(w->tmp_path);
	free(w);
}

int cpz_writer_close(cpz_writer *w, cp_error *err)
{
	end_ctx e;
	int rc = 0;

	if (w->failed) {
		cp_error_set(err, "%s: an earlier write failed", w->name);
		cpz_writer_abort(w);
		return -1;
	}
	e.count = w->count;
	e.bytes = w->bytes;
	e.checksum = cp_hash64_final(&w->hash);
	if (writer_frame(w, pack_end, &e, 0, err) < 0) {
		cpz_writer_abort(w);
		return -1;
	}
	if (w->own_fd) {
		if (close(w->fd) < 0) {
			cp_error_errno(err, w->name);
			w->fd = -1;
			cpz_writer_abort(w);
			return -1;
		}
		w->fd = -1;
		rc = cp_tmp_commit(w->tmp_path, w->path, err);
	}
	writer_free(w);
	return rc;
}

void cpz_writer_abort(cpz_writer *w)
{
	if (!w)
		return;
	if (w->own_fd) {
		if (w->fd >= 0)
			close(w->fd);
		cp_tmp_discard(w->tmp_path);
	}
	writer_free(w);
}

uint64_t cpz_writer_bytes(const cpz_writer *w)
{
	return w->bytes;
}

int64_t cpz_writer_count(const cpz_writer *w)
{
	return w->count;
}

/* ---- msgpack decoding -------------------------------------------------- */

typedef enum {
	MP_NIL, MP_BOOL, MP_UINT, MP_INT, MP_FLOAT, MP_STR, MP_BIN, MP_ARRAY, MP_MAP, MP_EXT
} mp_type;

typedef struct {
	mp_type type;
	uint64_t u;	/* MP_UINT value; container count; str/bin length */
	int64_t i;	/* MP_INT value (negative) */
	double f;
	int b;
	const uint8_t *ptr;	/* str/bin body */
} mp_item;

typedef struct {
	const uint8_t *p, *end;
} mp_cur;

static const char *mp_type_name(mp_type t)
{
	static const char *names[] = { "nil", "boolean", "integer", "integer", "float",
				       "string", "binary", "array", "map", "extension" };
	return names[t];
}

static inline uint64_t be_load(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int k = 0; k < n; k++)
		v = (v << 8) | p[k];
	return v;
}

/* Read one item.  For str/bin the body is consumed and bounds-checked;
 * for containers only the header, with the count checked against the
 * bytes left (every element takes at least one byte). */
static int mp_next(mp_cur *c, mp_item *it, const char **why)
{
	const uint8_t *p = c->p;
	size_t left = (size_t)(c->end - p);
	uint8_t b;
	int n = 0;

	if (left < 1) {
		*why = "ends early";
		return -1;
	}
	b = *p++;
	left--;
#define NEED(k) do { if (left < (size_t)(k)) { *why = "ends early"; return -1; } } while (0)
	if (b <= 0x7f) {
		it->type = MP_UINT, it->u = b;
	} else if (b >= 0xe0) {
		it->type = MP_INT, it->i = (int8_t)b;
	} else if ((b & 0xf0) == 0x80) {
		it->type = MP_MAP, it->u = b & 0x0f;
	} else if ((b & 0xf0) == 0x90) {
		it->type = MP_ARRAY, it->u = b & 0x0f;
	} else if ((b & 0xe0) == 0xa0) {
		it->type = MP_STR, it->u = b & 0x1f;
	} else {
		switch (b) {
		case 0xc0: it->type = MP_NIL; break;
		case 0xc2: it->type = MP_BOOL, it->b = 0; break;
		case 0xc3: it->type = MP_BOOL, it->b = 1; break;
		case 0xc4: n = 1; it->type = MP_BIN; goto len;
		case 0xc5: n = 2; it->type = MP_BIN; goto len;
		case 0xc6: n = 4; it->type = MP_BIN; goto len;
		case 0xd9: n = 1; it->type = MP_STR; goto len;
		case 0xda: n = 2; it->type = MP_STR; goto len;
		case 0xdb: n = 4; it->type = MP_STR; goto len;
		case 0xdc: n = 2; it->type = MP_ARRAY; goto len;
		case 0xdd: n = 4; it->type = MP_ARRAY; goto len;
		case 0xde: n = 2; it->type = MP_MAP; goto len;
		case 0xdf: n = 4; it->type = MP_MAP; goto len;
		len:
			NEED(n);
			it->u = be_load(p, n);
			p += n, left -= (size_t)n;
			break;
		case 0xca: {
			uint32_t v;
			float f;

			NEED(4);
			v = (uint32_t)be_load(p, 4);
			memcpy(&f, &v, 4);
			it->type = MP_FLOAT, it->f = f;
			p += 4, left -= 4;
			break;
		}
		case 0xcb: {
			uint64_t v;

			NEED(8);
			v = be_load(p, 8);
			memcpy(&it->f, &v, 8);
			it->type = MP_FLOAT;
			p += 8, left -= 8;
			break;
		}
		case 0xcc: case 0xcd: case 0xce: case 0xcf:
			n = 1 << (b - 0xcc);
			NEED(n);
			it->type = MP_UINT, it->u = be_load(p, n);
			p += n, left -= (size_t)n;
			break;
		case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
			uint64_t v;

			n = 1 << (b - 0xd0);
			NEED(n);
			v = be_load(p, n);
			/* sign-extend from n bytes */
			if (n < 8 && (v >> (8 * n - 1)) & 1)
				v |= ~(uint64_t)0 << (8 * n);
			it->i = (int64_t)v;
			if (it->i >= 0)
				it->type = MP_UINT, it->u = (uint64_t)it->i;
			else
				it->type = MP_INT;
			p += n, left -= (size_t)n;
			break;
		}
		case 0xc7: case 0xc8: case 0xc9:
		case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
			it->type = MP_EXT;
			*why = "has a msgpack extension value, which cpz does not use";
			return -1;
		default:
			*why = "has an invalid msgpack byte";
			return -1;
		}
	}
	if (it->type == MP_STR || it->type == MP_BIN) {
		if (it->u > left) {
			*why = it->type == MP_STR ? "has a string longer than the record"
						  : "has binary data longer than the record";
			return -1;
		}
		it->ptr = p;
		p += it->u;
	} else if (it->type == MP_ARRAY && it->u > left) {
		*why = "declares more array elements than the record holds";
		return -1;
	} else if (it->type == MP_MAP && it->u > left / 2) {
		*why = "declares more map entries than the record holds";
		return -1;
	}
#undef NEED
	c->p = p;
	return 0;
}

/* ---- reader ------------------------------------------------------------ */

struct cpz_reader {
	int fd, own_fd;
	char *name;
	uint8_t *in;
	size_t in_pos, in_len, in_cap;
	int eof;
	ZSTD_DCtx *dctx;
	uint8_t *rec;
	size_t rec_len, rec_cap;
	size_t max_record;
	cpz_header header;
	cp_arena harena;
	int64_t seg_count;	/* data records in the current segment */
	int64_t total;		/* data records in all segments */
	int segments;
	int ended;		/* the current segment's end record was read */
	uint64_t bytes;
	cp_hash64 hash;
	uint64_t last_checksum;
	uint64_t stream_checksum;	/* every segment's, chained */
	int64_t frame_no;	/* frames read, for messages about undecodable frames */
	const char *const *only;	/* cpz_reader_only: the types kept, NULL for all */
	char skipped[64];	/* the last frame's type, when only its checksum was taken */
};

static int reader_fill(cpz_reader *r, size_t want, cp_error *err)
{
	if (r->in_len - r->in_pos >= want || r->eof)
		return 0;
	if (r->in_pos) {
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	while (r->in_len < want && !r->eof) {
		ssize_t n = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cp_error_errno(err, r->name);
		}
		if (n == 0)
			r->eof = 1;
		r->in_len += (size_t)n;
	}
	return 0;
}

/* Where are we, for messages: "record N" or "header".  A frame cut short
 * by the end of the input cannot be decoded, so it may as well have been
 * the end record (tail = 1 says so). */
static void reader_where(const cpz_reader *r, int tail, char *buf, size_t n)
{
	if (r->frame_no == 0 && r->segments > 0)
		snprintf(buf, n, "header %d", r->segments + 1);
	else if (r->frame_no == 0 || (r->ended && r->frame_no > 0))
		snprintf(buf, n, "header");
	else
		snprintf(buf, n, "record %" PRId64 "%s", r->total, tail ? " or the end record" : "");
}

/* Read one zstd frame into r->rec.  1 = frame, 0 = clean end of input. */
static int expect_str(mp_cur *c, const char *want)
{
	mp_item it;
	const char *why;

	if (mp_next(c, &it, &why) < 0 || it.type != MP_STR)
		return -1;
	return strlen(want) == it.u && memcmp(it.ptr, want, it.u) == 0 ? 0 : -1;
}

/* Whether a record that cpz_reader_only leaves out starts so (a map whose
 * first pair is "record" and a type not kept): its type, in r->skipped. */
static int skip_type(cpz_reader *r, const uint8_t *p, size_t len)
{
	mp_cur c = { p, p + len };
	mp_item it;
	const char *why;

	if (mp_next(&c, &it, &why) < 0 || it.type != MP_MAP || it.u == 0 || expect_str(&c, "record") < 0 ||
	    mp_next(&c, &it, &why) < 0 || it.type != MP_STR || it.u == 0 || it.u >= sizeof r->skipped ||
	    memchr(it.ptr, '\0', it.u) || (it.u == 3 && memcmp(it.ptr, "end", 3) == 0) ||
	    (it.u == 6 && memcmp(it.ptr, "header", 6) == 0))
		return 0;	/* the end record, or one that decoding refuses */
	for (const char *const *k = r->only; *k; k++)
		if (strlen(*k) == it.u && memcmp(*k, it.ptr, it.u) == 0)
			return 0;
	memcpy(r->skipped, it.ptr, it.u);
	r->skipped[it.u] = '\0';
	return 1;
}

static int reader_frame(cpz_reader *r, cp_error *err)
{
	char where[64], tail[64];
	unsigned long long declared;
	uint32_t magic;

	reader_where(r, 0, where, sizeof where);
	reader_where(r, 1, tail, sizeof tail);
	for (;;) {
		if (reader_fill(r, 8, err) < 0)
			return -1;
		size_t avail = r->in_len - r->in_pos;

		if (avail == 0)
			return 0;
		if (avail < 4)
			return cp_error_set(err, "%s: %s: truncated (%zu stray bytes at the end)",
					    r->name, tail, avail);
		magic = (uint32_t)r->in[r->in_pos] | (uint32_t)r->in[r->in_pos + 1] << 8 |
			(uint32_t)r->in[r->in_pos + 2] << 16 | (uint32_t)r->in[r->in_pos + 3] << 24;
		if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
			/* Skippable frames carry nothing for us, as for zstd -d. */
			uint64_t skip;

			if (avail < 8)
				return cp_error_set(err, "%s: %s: truncated skippable frame", r->name,
						    tail);
			skip = (uint64_t)r->in[r->in_pos + 4] | (uint64_t)r->in[r->in_pos + 5] << 8 |
			       (uint64_t)r->in[r->in_pos + 6] << 16 |
			       (uint64_t)r->in[r->in_pos + 7] << 24;
			r->in_pos += 8;
			while (skip) {
				if (reader_fill(r, 1, err) < 0)
					return -1;
				size_t have = r->in_len - r->in_pos;

				if (have == 0)
					return cp_error_set(err, "%s: %s: truncated skippable frame",
							    r->name, tail);
				size_t take = have < skip ? have : (size_t)skip;

				r->in_pos += take;
				skip -= take;
			}
			continue;
		}
		if (magic != ZSTD_MAGICNUMBER) {
			if (r->frame_no == 0 && r->segments > 0)
				return cp_error_set(err, "%s: data after the end record is not a cpz "
						    "stream (magic %08x)", r->name, magic);
			if (r->frame_no == 0)
				return cp_error_set(err,
						    "%s: not a cpz stream (no zstd frame at the start: "
						    "magic %08x)", r->name, magic);
			return cp_error_set(err, "%s: %s: not a zstd frame (magic %08x): corrupt or "
					    "not written by cellpipe", r->name, where, magic);
		}
		break;
	}
	if (reader_fill(r, FRAME_HEADER_MAX, err) < 0)
		return -1;
	declared = ZSTD_getFrameContentSize(r->in + r->in_pos, r->in_len - r->in_pos);
	if (declared == ZSTD_CONTENTSIZE_ERROR && r->eof && r->in_len - r->in_pos < FRAME_HEADER_MAX)
		return cp_error_set(err, "%s: %s: truncated (the stream ends in a frame header)",
				    r->name, tail);
	if (declared == ZSTD_CONTENTSIZE_ERROR)
		return cp_error_set(err, "%s: %s: corrupt zstd frame header", r->name, where);
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > r->max_record)
		return cp_error_set(err, "%s: %s: declares %llu bytes, more than the limit of %zu "
				    "(raise CPZ_MAX_RECORD_BYTES if this is real)",
				    r->name, where, declared, r->max_record);

	size_t want = declared != ZSTD_CONTENTSIZE_UNKNOWN ? (size_t)declared : FIRST_RECORD_ALLOC;

	if (want > FIRST_RECORD_ALLOC && want > r->rec_cap)
		want = FIRST_RECORD_ALLOC;	/* grow as data really arrives */
	if (r->rec_cap < want || !r->rec) {
		uint8_t *p = realloc(r->rec, want ? want : 1);

		if (!p)
			return cp_error_set(err, "%s: %s: out of memory", r->name, where);
		r->rec = p;
		r->rec_cap = want ? want : 1;
	}
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	r->rec_len = 0;
	r->skipped[0] = '\0';

	int peeked = !r->only, skipping = 0;	/* the type is known, or need not be */
	size_t streamed = 0;	/* bytes of a skipped record already hashed */

	for (;;) {
		ZSTD_inBuffer in = { r->in, r->in_len, r->in_pos };
		ZSTD_outBuffer out = { r->rec, r->rec_cap, r->rec_len };
		size_t ret = ZSTD_decompressStream(r->dctx, &out, &in);

		r->in_pos = in.pos;
		r->rec_len = out.pos;
		if (!peeked && !ZSTD_isError(ret) && (ret == 0 || r->rec_len >= 256 || out.pos == out.size)) {
			peeked = 1;
			skipping = skip_type(r, r->rec, r->rec_len);
		}
		if (skipping && !ZSTD_isError(ret) && (ret == 0 || out.pos == out.size)) {
			/* a record not kept: its bytes only hashed and counted */
			cp_hash64_update(&r->hash, r->rec, r->rec_len);
			streamed += r->rec_len;
			r->rec_len = 0;
			if (streamed > r->max_record)
				return cp_error_set(err, "%s: %s: larger than the limit of %zu bytes "
						    "(raise CPZ_MAX_RECORD_BYTES if this is real)",
						    r->name, where, r->max_record);
			if (ret == 0) {
				r->bytes += streamed;
				break;
			}
			continue;
		}
		if (ZSTD_isError(ret) && ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation)
			return cp_error_set(err, "%s: %s: out of memory decompressing", r->name, where);
		if (ZSTD_isError(ret))
			return cp_error_set(err, "%s: %s: corrupt zstd frame: %s", r->name, where,
					    ZSTD_getErrorName(ret));
		if (ret == 0) {
			if (r->rec_len > r->max_record)	/* no size declared, and in the first buffer */
				return cp_error_set(err, "%s: %s: larger than the limit of %zu bytes "
						    "(raise CPZ_MAX_RECORD_BYTES if this is real)",
						    r->name, where, r->max_record);
			break;
		}
		if (out.pos == out.size) {
			size_t cap;

			if (r->rec_cap >= r->max_record)
				return cp_error_set(err, "%s: %s: larger than the limit of %zu bytes "
						    "(raise CPZ_MAX_RECORD_BYTES if this is real)",
						    r->name, where, r->max_record);
			cap = r->rec_cap > r->max_record / 2 ? r->max_record : r->rec_cap * 2;
			if (declared != ZSTD_CONTENTSIZE_UNKNOWN && cap > declared && declared > r->rec_cap)
				cap = (size_t)declared;
			uint8_t *p = realloc(r->rec, cap);

			if (!p)
				return cp_error_set(err, "%s: %s: out of memory (%zu bytes)", r->name,
						    where, cap);
			r->rec = p;
			r->rec_cap = cap;
			continue;
		}
		if (in.pos == in.size) {
			if (reader_fill(r, 1, err) < 0)
				return -1;
			if (r->in_len == r->in_pos)
				return cp_error_set(err, "%s: %s: truncated (the stream ends inside it)",
						    r->name, tail);
		}
	}
	r->frame_no++;
	return 1;
}


#define HEADER_MAX_KEYS 256

static int decode_header(cpz_reader *r, cpz_header *h, cp_error *err)
{
	mp_cur c = { r->rec, r->rec + r->rec_len };
	mp_item it, v;
	const char *why = "is malformed";
	const char **slot;
	char where[32];	/* "header", "header 2" for a second segment's */

	if (r->segments > 0)
		snprintf(where, sizeof where, "header %d", r->segments + 1);
	else
		snprintf(where, sizeof where, "header");
	memset(h, 0, sizeof *h);
	if (mp_next(&c, &it, &why) < 0 || it.type != MP_MAP || it.u == 0)
		return r->segments > 0 ?
		       cp_error_set(err, "%s: %s: the frame after an end record is not a cpz header",
				    r->name, where) :
		       cp_error_set(err, "%s: not a cpz stream (the first frame is not a cpz header)",
				    r->name);
	uint64_t n = it.u;

	if (expect_str(&c, "cpz") < 0)
		return r->segments > 0 ?
		       cp_error_set(err, "%s: %s: the frame after an end record is not a cpz header "
				    "(it does not start with \"cpz\")", r->name, where) :
		       cp_error_set(err, "%s: not a cpz stream (bad magic: the header does not start "
				    "with \"cpz\")", r->name);
	if (mp_next(&c, &it, &why) < 0 || it.type != MP_ARRAY || it.u != 2)
		return cp_error_set(err, "%s: %s: field 'cpz': expected [major, minor]", r->name, where);
	mp_item maj, min;

	if (mp_next(&c, &maj, &why) < 0 || maj.type != MP_UINT ||
	    mp_next(&c, &min, &why) < 0 || min.type != MP_UINT)
		return cp_error_set(err, "%s: %s: field 'cpz': expected [major, minor]", r->name, where);
	h->major = maj.u;
	h->minor = min.u;
	if (h->major > CPZ_VERSION_MAJOR)
		return cp_error_set(err, "%s: %s: format version %" PRIu64 ".%" PRIu64 " is newer than "
				    "this reader (%d.%d); upgrade cellpipe", r->name, where, h->major,
				    h->minor, CPZ_VERSION_MAJOR, CPZ_VERSION_MINOR);
	if (h->major < 1)
		return cp_error_set(err, "%s: %s: format version %" PRIu64 ".%" PRIu64 " is not valid",
				    r->name, where, h->major, h->minor);
	if (n > HEADER_MAX_KEYS)
		return cp_error_set(err, "%s: %s: %llu fields, more than %d", r->name, where,
				    (unsigned long long)n, HEADER_MAX_KEYS);
	mp_item keys[HEADER_MAX_KEYS];

	for (uint64_t i = 1; i < n; i++) {
		mp_item key;
		const char *bad;

		if (mp_next(&c, &key, &why) < 0)
			return cp_error_set(err, "%s: %s: %s", r->name, where, why);
		if (key.type != MP_STR || key.u == 0 || cpz_text_defect((const char *)key.ptr, key.u))
			return cp_error_set(err, "%s: %s: field %llu has no valid name", r->name, where,
					    (unsigned long long)i);
		keys[i] = key;
		for (uint64_t j = 1; j < i; j++)	/* "cpz", key 0, has been matched */
			if (keys[j].u == key.u && memcmp(keys[j].ptr, key.ptr, key.u) == 0)
				return cp_error_set(err, "%s: %s: field '%.*s': appears twice",
						    r->name, where, (int)key.u, (const char *)key.ptr);
		if (key.u == 3 && memcmp(key.ptr, "cpz", 3) == 0)
			return cp_error_set(err, "%s: %s: field 'cpz': appears twice", r->name, where);
		slot = NULL;
		if (key.u == 4 && memcmp(key.ptr, "kind", 4) == 0)
			slot = &h->kind;
		else if (key.u == 8 && memcmp(key.ptr, "producer", 8) == 0)
			slot = &h->producer;
		else if (key.u == 7 && memcmp(key.ptr, "command", 7) == 0)
			slot = &h->command;
		if (mp_next(&c, &v, &why) < 0)
			return cp_error_set(err, "%s: %s: %s", r->name, where, why);
		if (!slot) {
			/* Unknown header fields are allowed within a major version,
			 * but only scalar cpz values, so skipping is trivial. */
			if (v.type != MP_STR && v.type != MP_UINT && v.type != MP_INT &&
			    v.type != MP_FLOAT && v.type != MP_BOOL)
				return cp_error_set(err, "%s: %s: field '%.*s': %s is not a scalar "
						    "cpz value", r->name, where, (int)key.u,
						    (const char *)key.ptr, mp_type_name(v.type));
			if (v.type == MP_UINT && v.u > (uint64_t)INT64_MAX)
				return cp_error_set(err, "%s: %s: field '%.*s': integer %llu is out of range",
						    r->name, where, (int)key.u, (const char *)key.ptr,
						    (unsigned long long)v.u);
			if (v.type == MP_STR && (bad = cpz_text_defect((const char *)v.ptr, v.u)))
				return cp_error_set(err, "%s: %s: field '%.*s': %s", r->name, where,
						    (int)key.u, (const char *)key.ptr, bad);
			continue;
		}
		if (v.type != MP_STR)
			return cp_error_set(err, "%s: %s: field '%.*s': expected a string",
					    r->name, where, (int)key.u, (const char *)key.ptr);
		if ((bad = cpz_text_defect((const char *)v.ptr, v.u)) && slot == &h->kind)
			return cp_error_set(err, "%s: %s: field '%.*s': %s", r->name, where, (int)key.u,
					    (const char *)key.ptr, bad);
		if (bad) {	/* free text a writer before UTF-8 was required left as it was */
			char *e = cpz_text_escape((const char *)v.ptr, v.u);

			*slot = e ? cp_arena_strndup(&r->harena, e, strlen(e), err) : NULL;
			free(e);
			if (!e)
				return cp_error_set(err, "%s: out of memory", r->name);
		} else {
			*slot = cp_arena_strndup(&r->harena, (const char *)v.ptr, v.u, err);
		}
		if (!*slot)
			return -1;
	}
	if (c.p != c.end)
		return cp_error_set(err, "%s: %s: %zu bytes after the header map", r->name, where,
				    (size_t)(c.end - c.p));
	if (!h->kind || !*h->kind)
		return cp_error_set(err, "%s: %s: field 'kind': missing", r->name, where);
	if (!h->producer)
		h->producer = "";
	if (!h->command)
		h->command = "";
	return 0;
}

/* The message prefix for a record being decoded. */
#define REC_ERR(...) cpz_record_error(rec, NULL, err, __VA_ARGS__)
#define FIELD_ERR(fname, ...) cpz_record_error(rec, fname, err, __VA_ARGS__)

static int decode_tensor(mp_cur *c, uint64_t nkeys, cpz_record *rec, const char *fname,
			 cpz_tensor *t, cp_error *err)
{
	const char *why = "is malformed";
	int have_dtype = 0, have_shape = 0, have_data = 0;
	const uint8_t *single = NULL;
	size_t data_len = 0, nchunks = 0;
	mp_cur chunks = { 0 };

	if (nkeys != 3)
		return FIELD_ERR(fname, "a tensor map has %llu keys, expected dtype, shape and data",
				 (unsigned long long)nkeys);
	memset(t, 0, sizeof *t);
	for (uint64_t k = 0; k < nkeys; k++) {
		mp_item key, v;

		if (mp_next(c, &key, &why) < 0)
			return FIELD_ERR(fname, "%s", why);
		if (key.type != MP_STR)
			return FIELD_ERR(fname, "a tensor key is not a string");
		if (key.u == 5 && memcmp(key.ptr, "dtype", 5) == 0 && !have_dtype) {
			char name[8];

			if (mp_next(c, &v, &why) < 0)
				return FIELD_ERR(fname, "dtype %s", why);
			if (v.type != MP_STR || v.u >= sizeof name)
				return FIELD_ERR(fname, "dtype is not a dtype name");
			memcpy(name, v.ptr, v.u);
			name[v.u] = '\0';
			if (cpz_dtype_parse(name, &t->dtype) < 0)
				return FIELD_ERR(fname, "unknown dtype '%s'", name);
			have_dtype = 1;
		} else if (key.u == 5 && memcmp(key.ptr, "shape", 5) == 0 && !have_shape) {
			if (mp_next(c, &v, &why) < 0)
				return FIELD_ERR(fname, "shape %s", why);
			if (v.type != MP_ARRAY)
				return FIELD_ERR(fname, "shape is not an array");
			if (v.u > CPZ_MAX_DIMS)
				return FIELD_ERR(fname, "shape has %llu dimensions (at most %d)",
						 (unsigned long long)v.u, CPZ_MAX_DIMS);
			t->ndim = (int)v.u;
			for (int d = 0; d < t->ndim; d++) {
				mp_item dim;

				if (mp_next(c, &dim, &why) < 0)
					return FIELD_ERR(fname, "shape %s", why);
				if (dim.type != MP_UINT || dim.u > (uint64_t)INT64_MAX)
					return FIELD_ERR(fname, "shape[%d] is not a size", d);
				t->shape[d] = (int64_t)dim.u;
			}
			have_shape = 1;
		} else if (key.u == 4 && memcmp(key.ptr, "data", 4) == 0 && !have_data) {
			if (mp_next(c, &v, &why) < 0)
				return FIELD_ERR(fname, "data %s", why);
			if (v.type == MP_BIN) {
				single = v.ptr;
				data_len = v.u;
			} else if (v.type == MP_ARRAY) {
				chunks = *c;
				nchunks = v.u;
				for (size_t i = 0; i < nchunks; i++) {
					mp_item ch;

					if (mp_next(c, &ch, &why) < 0)
						return FIELD_ERR(fname, "data chunk %zu %s", i, why);
					if (ch.type != MP_BIN)
						return FIELD_ERR(fname, "data chunk %zu is not binary", i);
					if (cp_add_size(data_len, ch.u, &data_len) < 0)
						return FIELD_ERR(fname, "data length overflows");
				}
			} else {
				return FIELD_ERR(fname, "data is %s, expected binary",
						 mp_type_name(v.type));
			}
			have_data = 1;
		} else {
			return FIELD_ERR(fname, "unexpected tensor key '%.*s'", (int)key.u,
					 (const char *)key.ptr);
		}
	}
	if (!have_dtype || !have_shape || !have_data)
		return FIELD_ERR(fname, "tensor lacks %s", !have_dtype ? "dtype" :
				 !have_shape ? "shape" : "data");
	if (shape_bytes(t->dtype, t->ndim, t->shape, &t->count, &t->nbytes) < 0)
		return FIELD_ERR(fname, "shape overflows");
	if (!single && cpz_dtype_size(t->dtype) > 1) {	/* each chunk holds whole elements */
		mp_cur cc = chunks;
		size_t es = cpz_dtype_size(t->dtype);

		for (size_t i = 0; i < nchunks; i++) {
			mp_item ch;
			const char *w2;

			mp_next(&cc, &ch, &w2);	/* checked above */
			if (ch.u % es)
				return FIELD_ERR(fname, "data chunk %zu is %zu bytes, not whole %s elements",
						 i, (size_t)ch.u, cpz_dtype_name(t->dtype));
		}
	}
	if (data_len != t->nbytes) {
		char shp[160];
		size_t o = 0;

		o += (size_t)snprintf(shp + o, sizeof shp - o, "[");
		for (int d = 0; d < t->ndim && o < sizeof shp - 24; d++)
			o += (size_t)snprintf(shp + o, sizeof shp - o, "%s%" PRId64, d ? ", " : "",
					      t->shape[d]);
		snprintf(shp + o, sizeof shp - o, "]");
		return FIELD_ERR(fname, "data is %zu bytes but shape %s of %s needs %zu", data_len,
				 shp, cpz_dtype_name(t->dtype), t->nbytes);
	}
	/* Sizes agree with bytes really present: now allocate. */
	t->data = cp_arena_alloc(&rec->arena, t->nbytes, err);
	if (!t->data)
		return -1;
	if (single) {
		if (t->nbytes)
			memcpy(t->data, single, t->nbytes);
	} else {
		uint8_t *dst = t->data;

		for (size_t i = 0; i < nchunks; i++) {
			mp_item ch;
			const char *w2;

			mp_next(&chunks, &ch, &w2);	/* checked above */
			memcpy(dst, ch.ptr, ch.u);
			dst += ch.u;
		}
	}
#if CPZ_BIG_ENDIAN
	{
		size_t es = cpz_dtype_size(t->dtype);
		uint8_t *p = t->data;

		if (es > 1)
			for (size_t i = 0; i < t->nbytes; i += es)
				for (size_t k = 0; k < es / 2; k++) {
					uint8_t tmp = p[i + k];

					p[i + k] = p[i + es - 1 - k];
					p[i + es - 1 - k] = tmp;
				}
	}
#endif
	if (t->dtype == CPZ_BOOL) {
		const uint8_t *p = t->data;

		for (size_t i = 0; i < t->count; i++)
			if (p[i] > 1)
				return FIELD_ERR(fname, "bool element %zu is %u, not 0 or 1", i, p[i]);
	}
	return 0;
}

static int decode_record(cpz_reader *r, cpz_record *rec, cp_error *err, int *is_end,
			 end_ctx *end)
{
	mp_cur c = { r->rec, r->rec + r->rec_len };
	mp_item it, v;
	const char *why = "is malformed";
	char where[64];

	*is_end = 0;
	snprintf(where, sizeof where, "record %" PRId64, r->total);
	if (cpz_record_reset(rec, "?", err) < 0)
		return -1;
	rec->source = cp_arena_strndup(&rec->arena, r->name, strlen(r->name), err);
	if (!rec->source)
		return -1;
	rec->index = r->total;
	if (mp_next(&c, &it, &why) < 0)
		return cp_error_set(err, "%s: %s: %s", r->name, where, why);
	if (it.type != MP_MAP)
		return cp_error_set(err, "%s: %s: is %s, expected a map", r->name, where,
				    mp_type_name(it.type));
	uint64_t n = it.u;

	if (n == 0 || expect_str(&c, "record") < 0)
		return cp_error_set(err, "%s: %s: the first key is not \"record\"", r->name, where);
	if (mp_next(&c, &v, &why) < 0 || v.type != MP_STR || v.u == 0)
		return cp_error_set(err, "%s: %s: field 'record': expected the record type",
				    r->name, where);
	if (cpz_text_defect((const char *)v.ptr, v.u))
		return cp_error_set(err, "%s: %s: field 'record': %s", r->name, where,
				    cpz_text_defect((const char *)v.ptr, v.u));
	rec->type = cp_arena_strndup(&rec->arena, (const char *)v.ptr, v.u, err);
	if (!rec->type)
		return -1;
	if (strcmp(rec->type, "header") == 0)
		return cp_error_set(err, "%s: %s: field 'record': 'header' is reserved for the stream's "
				    "first frame", r->name, where);
	if (strcmp(rec->type, "end") == 0) {
		int got = 0;

		*is_end = 1;
		memset(end, 0, sizeof *end);
		for (uint64_t i = 1; i < n; i++) {
			mp_item key, val;
			int bit = 0;

			if (mp_next(&c, &key, &why) < 0 || key.type != MP_STR ||
			    mp_next(&c, &val, &why) < 0 || val.type != MP_UINT)
				return cp_error_set(err, "%s: end record: malformed", r->name);
			if (key.u == 5 && memcmp(key.ptr, "count", 5) == 0)
				end->count = (int64_t)val.u, bit = 1;
			else if (key.u == 5 && memcmp(key.ptr, "bytes", 5) == 0)
				end->bytes = val.u, bit = 2;
			else if (key.u == 8 && memcmp(key.ptr, "checksum", 8) == 0)
				end->checksum = val.u, bit = 4;
			if (got & bit)	/* two values, one of them wrong */
				return cp_error_set(err, "%s: end record: field '%.*s': appears twice",
						    r->name, (int)key.u, (const char *)key.ptr);
			got |= bit;
		}
		if (got != 7)
			return cp_error_set(err, "%s: end record: needs count, bytes and checksum",
					    r->name);
		if (c.p != c.end)
			return cp_error_set(err, "%s: end record: trailing bytes", r->name);
		return 0;
	}
	for (uint64_t i = 1; i < n; i++) {
		mp_item key;
		char *fname;
		cpz_field *f;

		if (mp_next(&c, &key, &why) < 0)
			return REC_ERR("field %llu %s", (unsigned long long)i, why);
		if (key.type != MP_STR || key.u == 0 || cpz_text_defect((const char *)key.ptr, key.u))
			return REC_ERR("field %llu has no valid name", (unsigned long long)i);
		fname = cp_arena_strndup(&rec->arena, (const char *)key.ptr, key.u, err);
		if (!fname)
			return -1;
		if (mp_next(&c, &v, &why) < 0)
			return FIELD_ERR(fname, "%s", why);
		switch (v.type) {
		case MP_MAP: {
			cpz_tensor t;

			if (decode_tensor(&c, v.u, rec, fname, &t, err) < 0)
				return -1;
			f = record_new_field(rec, fname, CPZ_VALUE_TENSOR, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->tensor = t;
			break;
		}
		case MP_ARRAY: {
			const char **items = NULL;

			if (v.u) {
				items = cp_arena_alloc(&rec->arena, v.u * sizeof *items, err);
				if (!items)
					return -1;
			}
			for (uint64_t k = 0; k < v.u; k++) {
				mp_item s;

				if (mp_next(&c, &s, &why) < 0)
					return FIELD_ERR(fname, "string %llu %s", (unsigned long long)k,
							 why);
				if (s.type != MP_STR)
					return FIELD_ERR(fname, "element %llu is %s, expected a string",
							 (unsigned long long)k, mp_type_name(s.type));
				if (cpz_text_defect((const char *)s.ptr, s.u))
					return FIELD_ERR(fname, "string %llu %s", (unsigned long long)k,
							 cpz_text_defect((const char *)s.ptr, s.u));
				items[k] = cp_arena_strndup(&rec->arena, (const char *)s.ptr, s.u, err);
				if (!items[k])
					return -1;
			}
			f = record_new_field(rec, fname, CPZ_VALUE_STRINGS, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->nstrings = v.u;
			f->strings = items;
			break;
		}
		case MP_UINT:
			if (v.u > (uint64_t)INT64_MAX)
				return FIELD_ERR(fname, "integer %llu is out of range",
						 (unsigned long long)v.u);
			f = record_new_field(rec, fname, CPZ_VALUE_INT, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->i = (int64_t)v.u;
			break;
		case MP_INT:
			f = record_new_field(rec, fname, CPZ_VALUE_INT, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->i = v.i;
			break;
		case MP_FLOAT:
			f = record_new_field(rec, fname, CPZ_VALUE_FLOAT, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->f = v.f;
			break;
		case MP_STR:
			if (cpz_text_defect((const char *)v.ptr, v.u))
				return FIELD_ERR(fname, "%s", cpz_text_defect((const char *)v.ptr, v.u));
			f = record_new_field(rec, fname, CPZ_VALUE_STR, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->s = cp_arena_strndup(&rec->arena, (const char *)v.ptr, v.u, err);
			if (!f->s)
				return -1;
			break;
		case MP_BOOL:
			f = record_new_field(rec, fname, CPZ_VALUE_BOOL, err);
			if (!f)
				return FIELD_ERR(fname, "appears twice");
			f->b = v.b;
			break;
		default:
			return FIELD_ERR(fname, "%s is not a cpz value", mp_type_name(v.type));
		}
	}
	if (c.p != c.end)
		return REC_ERR("%zu byte%s after the record map", (size_t)(c.end - c.p),
			       c.end - c.p == 1 ? "" : "s");
	return 0;
}

static int reader_start_segment(cpz_reader *r, cp_error *err)
{
	cpz_header h;
	int rc;

	r->frame_no = 0;
	rc = reader_frame(r, err);
	if (rc < 0)
		return -1;
	if (rc == 0 && r->segments > 0)	/* only skippable frames after the end */
		return cp_error_set(err, "%s: data after the end record is not a cpz stream", r->name);
	if (rc == 0)
		return cp_error_set(err, "%s: empty input: not a cpz stream", r->name);
	if (decode_header(r, &h, err) < 0)
		return -1;
	if (r->segments > 0) {
		if (strcmp(h.kind, r->header.kind) != 0)
			return cp_error_set(err, "%s: header %d: field 'kind': concatenated streams of different kinds (%s, %s)",
					    r->name, r->segments + 1, r->header.kind, h.kind);
	} else {
		r->header = h;
	}
	r->segments++;
	r->ended = 0;
	r->seg_count = 0;
	cp_hash64_init(&r->hash, 0);
	cp_hash64_update(&r->hash, r->rec, r->rec_len);
	r->bytes = r->rec_len;
	return 0;
}

cpz_reader *cpz_reader_open_fd(int fd, const char *name, cp_error *err)
{
	cpz_reader *r = calloc(1, sizeof *r);

	if (!r) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	r->fd = fd;
	r->name = strdup(name);
	r->in_cap = READ_BYTES;
	r->in = malloc(r->in_cap);
	r->dctx = ZSTD_createDCtx();
	cp_arena_init(&r->harena);
	if (!r->name || !r->in || !r->dctx) {
		cp_error_set(err, "out of memory");
		goto fail;
	}
	{
		int64_t max;

		if (env_i64("CPZ_MAX_RECORD_BYTES", 1, INT64_MAX, (int64_t)DEFAULT_MAX_RECORD, &max, err) < 0)
			goto fail;
		r->max_record = (size_t)max;
	}
	if (reader_start_segment(r, err) < 0)
		goto fail;
	return r;
fail:
	r->own_fd = 0;
	cpz_reader_close(r);
	return NULL;
}

cpz_reader *cpz_reader_open(const char *path, cp_error *err)
{
	cpz_reader *r;
	int fd;

	if (strcmp(path, "-") == 0) {
		cp_inputs_note(STDIN_FILENO, NULL);
		return cpz_reader_open_fd(STDIN_FILENO, "<stdin>", err);
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		cp_error_errno(err, path);
		return NULL;
	}
	cp_inputs_note(fd, path);
	r = cpz_reader_open_fd(fd, path, err);
	if (!r) {
		close(fd);
		return NULL;
	}
	r->own_fd = 1;
	return r;
}

const cpz_header *cpz_reader_header(const cpz_reader *r)
{
	return &r->header;
}

const char *cpz_reader_name(const cpz_reader *r)
{
	return r->name;
}

int cpz_reader_expect_kind(const cpz_reader *r, const char *kind, cp_error *err)
{
	if (strcmp(r->header.kind, kind) != 0)
		return cp_error_set(err, "%s: expected a %s stream, found %s", r->name, kind,
				    r->header.kind);
	return 0;
}

int cpz_reader_next(cpz_reader *r, cpz_record *rec, cp_error *err)
{
	end_ctx end;
	int is_end, rc;

	for (;;) {
		if (r->ended) {
			/* After an end record: the input ends, or another stream
			 * of the same kind follows. */
			if (reader_fill(r, 1, err) < 0)
				return -1;
			if (r->in_len == r->in_pos && r->eof)
				return 0;
			if (reader_start_segment(r, err) < 0)
				return -1;
			continue;
		}
		rc = reader_frame(r, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cp_error_set(err, "%s: truncated: no end record after %" PRId64
					    " record%s (the writer did not finish)", r->name,
					    r->seg_count, r->seg_count == 1 ? "" : "s");
		if (r->skipped[0]) {	/* hashed and counted as it was read */
			if (cpz_record_reset(rec, r->skipped, err) < 0)
				return -1;
			rec->source = cp_arena_strndup(&rec->arena, r->name, strlen(r->name), err);
			if (!rec->source)
				return -1;
			rec->index = r->total;
			r->seg_count++;
			r->total++;
			return 1;
		}
		if (decode_record(r, rec, err, &is_end, &end) < 0)
			return -1;
		if (is_end) {
			uint64_t sum = cp_hash64_final(&r->hash);

			if (end.count != r->seg_count)
				return cp_error_set(err, "%s: end record: %" PRId64 " records expected, "
						    "%" PRId64 " read", r->name, end.count, r->seg_count);
			if (end.bytes != r->bytes)
				return cp_error_set(err, "%s: end record: %llu bytes expected, %llu read",
						    r->name, (unsigned long long)end.bytes,
						    (unsigned long long)r->bytes);
			if (end.checksum != sum)
				return cp_error_set(err, "%s: end record: checksum %016llx, computed "
						    "%016llx: the stream is corrupt", r->name,
						    (unsigned long long)end.checksum,
						    (unsigned long long)sum);
			r->ended = 1;
			r->last_checksum = sum;
			if (r->segments > 1) {
				uint8_t pair[16];

				for (int k = 0; k < 8; k++) {
					pair[k] = (uint8_t)(r->stream_checksum >> (8 * k));
					pair[8 + k] = (uint8_t)(sum >> (8 * k));
				}
				r->stream_checksum = cp_hash64_bytes(pair, sizeof pair, 0);
			} else {
				r->stream_checksum = sum;
			}
			cpz_record_reset(rec, "end", err);
			continue;
		}
		cp_hash64_update(&r->hash, r->rec, r->rec_len);
		r->bytes += r->rec_len;
		r->seg_count++;
		r->total++;
		return 1;
	}
}

void cpz_reader_only(cpz_reader *r, const char *const *types)
{
	r->only = types;
}

int64_t cpz_reader_count(const cpz_reader *r)
{
	return r->total;
}

int cpz_reader_segments(const cpz_reader *r)
{
	return r->segments;
}

uint64_t cpz_reader_checksum(const cpz_reader *r)
{
	return r->last_checksum;
}

uint64_t cpz_reader_stream_checksum(const cpz_reader *r)
{
	return r->stream_checksum;
}

void cpz_reader_set_max_record(cpz_reader *r, size_t bytes)
{
	r->max_record = bytes;
}

void cpz_reader_close(cpz_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->in);
	free(r->rec);
	free(r->name);
	cp_arena_free(&r->harena);
	free(r);
}
