/* edge_list.c - gene-gene edge lists from text. */
#define _GNU_SOURCE
#include "edge_list.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "textio.h"

void edge_list_stats_init(edge_list_stats *st)
{
	memset(st, 0, sizeof *st);
}

void edge_list_stats_free(edge_list_stats *st)
{
	if (!st)
		return;
	cp_strmap_free(st->ids);
	memset(st, 0, sizeof *st);
}

size_t edge_list_stats_distinct(const edge_list_stats *st)
{
	return st->ids ? cp_strmap_size(st->ids) : 0;
}

void edge_list_init(edge_list *el)
{
	memset(el, 0, sizeof *el);
	el->weighted = -1;
}

void edge_list_free(edge_list *el)
{
	if (!el)
		return;
	free(el->src);
	free(el->dst);
	free(el->weight);
	memset(el, 0, sizeof *el);
	el->weighted = -1;
}

static int grow(edge_list *el, cp_error *err)
{
	size_t cap = el->cap ? el->cap * 2 : 4096;
	void *p;

	if (!(p = cp_realloc(el->src, cap, sizeof *el->src, err)))
		return -1;
	el->src = p;
	if (!(p = cp_realloc(el->dst, cap, sizeof *el->dst, err)))
		return -1;
	el->dst = p;
	if (el->weighted == 1) {
		if (!(p = cp_realloc(el->weight, cap, sizeof *el->weight, err)))
			return -1;
		el->weight = p;
	}
	el->cap = cap;
	return 0;
}

static int note_unmapped(edge_list_stats *st, const char *id, int32_t gene, cp_error *err)
{
	int64_t v = 0;
	int ambiguous = gene == GENOME_AMBIGUOUS;

	if (!st->ids && !(st->ids = cp_strmap_new(0, err)))
		return -1;
	st->unmapped++;
	st->ambiguous += (size_t)ambiguous;
	cp_strmap_get(st->ids, id, &v);
	return cp_strmap_set(st->ids, id, ((v >> 1) + 1) << 1 | ambiguous, err);
}

/* A weight: a finite number. */
static int parse_weight(const char *s, float *out)
{
	double d;

	if (cp_parse_f64(s, &d) < 0 || !isfinite(d) || fabs(d) > 3.4e38)
		return -1;
	*out = (float)d;
	return 0;
}

int edge_list_read(edge_list *el, const char *path, const genome *g, edge_list_stats *st,
		   cp_error *err)
{
	cp_input *in = cp_input_open(path, err);
	char *line, *f[4];
	size_t len, nf, first = 1;
	int rc;

	if (!in)
		return -1;
	while ((rc = cp_input_getline(in, &line, &len, err)) == 1) {
		int32_t a, b;
		float w = 0;

		if (line[0] == '#')
			continue;
		nf = cp_split_ws(line, f, 4);
		if (nf == 0)
			continue;
		if (first) {
			first = 0;
			if (nf >= 2 && nf <= 3 && genome_lookup(g, f[0]) == GENOME_UNKNOWN &&
			    genome_lookup(g, f[1]) == GENOME_UNKNOWN && (nf == 2 || parse_weight(f[2], &w) < 0)) {
				st->header = 1;
				continue;
			}
		}
		if (nf < 2 || nf > 3) {
			cp_error_set(err, "%s:%zu: %zu column%s, expected 2 or 3 (gene gene [weight])%s",
				     cp_input_name(in), cp_input_lineno(in), nf, nf == 1 ? "" : "s",
				     nf == 1 && strchr(f[0], ';') ? "; convert ';'-separated tables with "
				     "pipelines/edges.mk" : "");
			goto fail;
		}
		if (el->weighted < 0) {
			el->weighted = nf == 3;
			if (el->weighted && el->cap &&
			    !(el->weight = cp_malloc(el->cap, sizeof *el->weight, err)))
				goto fail;
		} else if ((size_t)el->weighted + 2 != nf) {
			cp_error_set(err, "%s:%zu: %zu columns, but the edges before have %d", cp_input_name(in),
				     cp_input_lineno(in), nf, el->weighted + 2);
			goto fail;
		}
		if (nf == 3 && parse_weight(f[2], &w) < 0) {
			cp_error_set(err, "%s:%zu: weight '%.40s' is not a finite number", cp_input_name(in),
				     cp_input_lineno(in), f[2]);
			goto fail;
		}
		st->lines++;
		a = genome_lookup(g, f[0]);
		b = genome_lookup(g, f[1]);
		if ((a < 0 && note_unmapped(st, f[0], a, err) < 0) ||
		    (b < 0 && note_unmapped(st, f[1], b, err) < 0))
			goto fail;
		if (a < 0 || b < 0) {
			st->unmapped_lines++;
			continue;
		}
		if (el->n == el->cap && grow(el, err) < 0)
			goto fail;
		el->src[el->n] = a;
		el->dst[el->n] = b;
		if (el->weighted)
			el->weight[el->n] = w;
		el->n++;
		st->pairs++;
	}
	if (rc < 0)
		goto fail;
	cp_input_close(in);
	return 0;
fail:
	cp_input_close(in);
	return -1;
}
