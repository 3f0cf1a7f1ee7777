/* cpz_text.c - records and values as text (cpz cat/dump/pack). */
#define _GNU_SOURCE
#include "cpz.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The shortest text that reads back as the same value (as Python's repr). */
static int format_double(double v, int is_float, char *buf, size_t n)
{
	if (isnan(v))
		return snprintf(buf, n, "nan");
	if (isinf(v))
		return snprintf(buf, n, v > 0 ? "inf" : "-inf");
	/* %g drops trailing zeros, so from 6 (15) digits up finds the shortest
	 * of a normal value; a subnormal holds fewer digits, and is tried from 1 */
	int subnormal = v != 0 && fabs(v) < (is_float ? FLT_MIN : DBL_MIN);

	for (int digits = subnormal ? 1 : is_float ? 6 : 15; digits < (is_float ? 9 : 17); digits++) {
		int len = snprintf(buf, n, "%.*g", digits, v);

		if (is_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			return len;
	}
	return snprintf(buf, n, "%.*g", is_float ? 9 : 17, v);
}

int cpz_tensor_format(const cpz_tensor *t, size_t i, char *buf, size_t n)
{
	const char *p = (const char *)t->data + i * cpz_dtype_size(t->dtype);

	switch (t->dtype) {
	case CPZ_F32: {
		float v;

		memcpy(&v, p, 4);
		return format_double(v, 1, buf, n);
	}
	case CPZ_F64: {
		double v;

		memcpy(&v, p, 8);
		return format_double(v, 0, buf, n);
	}
	case CPZ_I32: {
		int32_t v;

		memcpy(&v, p, 4);
		return snprintf(buf, n, "%" PRId32, v);
	}
	case CPZ_I64: {
		int64_t v;

		memcpy(&v, p, 8);
		return snprintf(buf, n, "%" PRId64, v);
	}
	case CPZ_U8:
		return snprintf(buf, n, "%u", (unsigned)*(const uint8_t *)p);
	case CPZ_BOOL:
		return snprintf(buf, n, "%u", (unsigned)*(const uint8_t *)p);
	default:
		return snprintf(buf, n, "?");
	}
}

int cpz_parse_value(cpz_dtype dtype, const char *text, void *out)
{
	int64_t i;
	double d;

	switch (dtype) {
	case CPZ_F32:
	case CPZ_F64:
		if (!*text || strcasecmp(text, "nan") == 0 || strcmp(text, "NA") == 0)
			d = NAN;
		else if (cp_parse_f64(text, &d) < 0)
			return -1;
		if (dtype == CPZ_F32) {
			float f = (float)d;

			if (isinf(f) && !isinf(d))
				return -1;	/* finite, but beyond float's range */
			memcpy(out, &f, 4);
		} else {
			memcpy(out, &d, 8);
		}
		return 0;
	case CPZ_I32:
		if (cp_parse_i64(text, &i) < 0 || i < INT32_MIN || i > INT32_MAX)
			return -1;
		{
			int32_t v = (int32_t)i;

			memcpy(out, &v, 4);
		}
		return 0;
	case CPZ_I64:
		if (cp_parse_i64(text, &i) < 0)
			return -1;
		memcpy(out, &i, 8);
		return 0;
	case CPZ_U8:
		if (cp_parse_i64(text, &i) < 0 || i < 0 || i > 255)
			return -1;
		*(uint8_t *)out = (uint8_t)i;
		return 0;
	case CPZ_BOOL:
		if (strcmp(text, "1") == 0 || strcasecmp(text, "true") == 0)
			*(uint8_t *)out = 1;
		else if (strcmp(text, "0") == 0 || strcasecmp(text, "false") == 0)
			*(uint8_t *)out = 0;
		else
			return -1;
		return 0;
	default:
		return -1;
	}
}

static int append_quoted(cp_buf *out, const char *s, cp_error *err)
{
	if (cp_buf_append(out, "\"", 1, err) < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[12];

		if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof esc, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof esc, "\\x%02x", *p);
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)	/* a C1 control */
			snprintf(esc, sizeof esc, "\\xc2\\x%02x", *++p);
		else
			esc[0] = (char)*p, esc[1] = '\0';
		if (cp_buf_append(out, esc, strlen(esc), err) < 0)
			return -1;
	}
	return cp_buf_append(out, "\"", 1, err);
}

static int append_value(cp_buf *out, const cpz_field *f, int preview, cp_error *err)
{
	char num[64];

	switch (f->kind) {
	case CPZ_VALUE_TENSOR: {
		const cpz_tensor *t = &f->tensor;

		if (cp_buf_printf(out, err, "%s[", cpz_dtype_name(t->dtype)) < 0)
			return -1;
		for (int d = 0; d < t->ndim; d++)
			if (cp_buf_printf(out, err, "%s%" PRId64, d ? ", " : "", t->shape[d]) < 0)
				return -1;
		if (cp_buf_append(out, "]", 1, err) < 0)
			return -1;
		if (preview > 0 && t->count) {
			size_t n = t->count < (size_t)preview ? t->count : (size_t)preview;

			if (cp_buf_append(out, " (", 2, err) < 0)
				return -1;
			for (size_t i = 0; i < n; i++) {
				cpz_tensor_format(t, i, num, sizeof num);
				if (cp_buf_printf(out, err, "%s%s", i ? ", " : "", num) < 0)
					return -1;
			}
			if (cp_buf_printf(out, err, "%s)", n < t->count ? ", ..." : "") < 0)
				return -1;
		}
		return 0;
	}
	case CPZ_VALUE_STRINGS:
		if (cp_buf_printf(out, err, "str[%zu]", f->nstrings) < 0)
			return -1;
		if (preview > 0 && f->nstrings) {
			size_t n = f->nstrings < (size_t)preview ? f->nstrings : (size_t)preview;

			if (cp_buf_append(out, " (", 2, err) < 0)
				return -1;
			for (size_t i = 0; i < n; i++) {
				if ((i && cp_buf_append(out, ", ", 2, err) < 0) ||
				    append_quoted(out, f->strings[i], err) < 0)
					return -1;
			}
			if (cp_buf_printf(out, err, "%s)", n < f->nstrings ? ", ..." : "") < 0)
				return -1;
		}
		return 0;
	case CPZ_VALUE_INT:
		return cp_buf_printf(out, err, "%" PRId64, f->i);
	case CPZ_VALUE_FLOAT:
		format_double(f->f, 0, num, sizeof num);
		return cp_buf_append(out, num, strlen(num), err);
	case CPZ_VALUE_STR:
		return append_quoted(out, f->s, err);
	case CPZ_VALUE_BOOL:
		return cp_buf_printf(out, err, "%s", f->b ? "true" : "false");
	}
	return 0;
}

/* Length of the group prefix of a field name ("a.b" -> 1), 0 if none. */
static size_t group_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot != name && dot[1] ? (size_t)(dot - name) : 0;
}

int cpz_record_summary(const cpz_record *rec, int preview, cp_buf *out, cp_error *err)
{
	char *done = calloc(rec->nfields ? rec->nfields : 1, 1);
	int first = 1, rc = -1;

	if (!done)
		return cp_error_set(err, "out of memory");
	if (cp_buf_printf(out, err, "%s:", rec->type) < 0)
		goto out;
	for (size_t i = 0; i < rec->nfields; i++) {
		const cpz_field *f = &rec->fields[i];
		size_t g = group_len(f->name);

		if (done[i])
			continue;
		if (cp_buf_append(out, first ? " " : ", ", first ? 1 : 2, err) < 0)
			goto out;
		first = 0;
		if (!g) {
			if (cp_buf_printf(out, err, "%s=", f->name) < 0 || append_value(out, f, preview, err) < 0)
				goto out;
			continue;
		}
		if (cp_buf_printf(out, err, "%.*s={", (int)g, f->name) < 0)
			goto out;
		for (size_t j = i, k = 0; j < rec->nfields; j++) {
			const cpz_field *m = &rec->fields[j];

			if (done[j] || group_len(m->name) != g || strncmp(m->name, f->name, g) != 0)
				continue;
			done[j] = 1;
			if (cp_buf_printf(out, err, "%s%s=", k++ ? ", " : "", m->name + g + 1) < 0 ||
			    append_value(out, m, preview, err) < 0)
				goto out;
		}
		if (cp_buf_append(out, "}", 1, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(done);
	return rc;
}
