/* interaction.c - epsilon and tau from fitness; agreement of two scores. */
#include "interaction.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_table.h"
#include "strmap.h"

double gi_epsilon(double f_ab, double f_a, double f_b)
{
	return f_ab - f_a * f_b;
}

double gi_tau(double f_abc, double f_a, double f_b, double f_c, double eps_ab, double eps_ac,
	      double eps_bc)
{
	return f_abc - f_a * f_b * f_c - eps_ab * f_c - eps_ac * f_b - eps_bc * f_a;
}

void gi_agreement_init(gi_agreement *a)
{
	*a = (gi_agreement){ 0 };
}

void gi_agreement_add(gi_agreement *a, double x, double y)
{
	double dx, dy;

	if (isnan(x) || isnan(y))
		return;
	a->n++;
	dx = x - a->mean_x;
	dy = y - a->mean_y;
	a->mean_x += dx / (double)a->n;
	a->mean_y += dy / (double)a->n;
	a->m2_x += dx * (x - a->mean_x);
	a->m2_y += dy * (y - a->mean_y);
	a->co += dx * (y - a->mean_y);
	a->sum_diff += x - y;
	a->sum_sq_diff += (x - y) * (x - y);
}

double gi_agreement_pearson(const gi_agreement *a)
{
	if (a->n < 2 || a->m2_x <= 0 || a->m2_y <= 0)
		return NAN;
	return a->co / sqrt(a->m2_x * a->m2_y);
}

double gi_agreement_mean_diff(const gi_agreement *a)
{
	return a->n ? a->sum_diff / (double)a->n : NAN;
}

double gi_agreement_rms_diff(const gi_agreement *a)
{
	return a->n ? sqrt(a->sum_sq_diff / (double)a->n) : NAN;
}

/* ---- checking ------------------------------------------------------------------ */

struct gi_singles {
	cp_strmap *index;	/* "gene<TAB>environment" -> position */
	double *fitness;
	size_t n, cap;
	cp_buf key;		/* lookup scratch */
};

/* The gene in upper case (gene names match in any case, as in screen2exp),
 * a tab, the environment as spelled. */
static int singles_key(cp_buf *key, const char *gene, const char *environment, cp_error *err)
{
	size_t n = strlen(gene);

	key->len = 0;
	if (cp_buf_printf(key, err, "%s\t%s", gene, environment) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (key->data[i] >= 'a' && key->data[i] <= 'z')
			key->data[i] = (char)(key->data[i] - 32);
	return 0;
}

gi_singles *gi_singles_load(const char *path, cp_error *err)
{
	gi_singles *s = calloc(1, sizeof *s);
	exp_reader *r = NULL;
	exp_row row;
	int rc;

	if (!s) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	if (!(s->index = cp_strmap_new(0, err)) || !(r = exp_reader_open(path, err)))
		goto fail;
	if (!exp_reader_has_column(r, "fitness")) {
		cp_error_set(err, "%s: no column 'fitness': not a single-mutant fitness table", path);
		goto fail;
	}
	while ((rc = exp_reader_next(r, &row, err)) == 1) {
		if (row.n_genes != 1 || isnan(row.label[0]))
			continue;
		if (singles_key(&s->key, row.genes[0], row.environment, err) < 0)
			goto fail;
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 4096;
			double *f = cp_realloc(s->fitness, cap, sizeof *f, err);

			if (!f)
				goto fail;
			s->fitness = f;
			s->cap = cap;
		}
		rc = cp_strmap_put(s->index, s->key.data, (int64_t)s->n, NULL, err);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			cp_error_set(err, "%s:%zu: gene %s in environment '%s' appears twice (merge "
				     "the table with screen2exp)", path, exp_reader_line(r), row.genes[0],
				     row.environment);
			goto fail;
		}
		s->fitness[s->n++] = row.label[0];
	}
	if (rc < 0)
		goto fail;
	exp_reader_close(r);
	return s;
fail:
	exp_reader_close(r);
	gi_singles_free(s);
	return NULL;
}

void gi_singles_free(gi_singles *s)
{
	if (!s)
		return;
	cp_strmap_free(s->index);
	free(s->fitness);
	cp_buf_free(&s->key);
	free(s);
}

size_t gi_singles_count(const gi_singles *s)
{
	return s->n;
}

double gi_singles_fitness(const gi_singles *s, const char *gene, const char *environment)
{
	cp_buf *key = &((gi_singles *)s)->key;
	int64_t i;

	if (singles_key(key, gene, environment, NULL) < 0 || !cp_strmap_get(s->index, key->data, &i))
		return NAN;
	return s->fitness[i];
}

/* One input of the join: its current row and that row's genes cell. */
typedef struct join_input {
	exp_reader *r;
	exp_row row;
	cp_buf genes, last;
	int live;
} join_input;

static int input_advance(join_input *in, cp_error *err)
{
	cp_buf t = in->last;
	int rc;

	in->last = in->genes;
	in->genes = t;
	in->genes.len = 0;
	rc = exp_reader_next(in->r, &in->row, err);
	if (rc <= 0) {
		in->live = 0;
		return rc;
	}
	if (exp_row_join_genes(&in->row, &in->genes, err) < 0)
		return -1;
	if (in->last.len && exp_genes_compare(in->last.data, in->last.len, in->genes.data,
					      in->genes.len) > 0)
		return cp_error_set(err, "%s:%zu: rows are not in screen2exp order (run screen2exp "
				    "-f experiments on the file first)", exp_reader_name(in->r),
				    exp_reader_line(in->r));
	return 1;
}

/* The sums of one gene pair in one environment over the rows of every
 * input. */
typedef struct pair_sums {
	double derived, published;
	size_t n_derived, n_published;
	char *environment;
} pair_sums;

/* The sums of one gene pair, one per environment. */
typedef struct pair_group {
	pair_sums *env;
	size_t n, cap;
} pair_group;

static pair_sums *group_env(pair_group *g, const char *env, cp_error *err)
{
	pair_sums *p;

	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->env[i].environment, env) == 0)
			return &g->env[i];
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4;

		if (!(p = cp_realloc(g->env, cap, sizeof *p, err)))
			return NULL;
		g->env = p;
		g->cap = cap;
	}
	p = &g->env[g->n];
	memset(p, 0, sizeof *p);
	if (!(p->environment = cp_strdup(env, err)))
		return NULL;
	g->n++;
	return p;
}

static void group_clear(pair_group *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->env[i].environment);
	g->n = 0;
}

static int env_order(const void *a, const void *b)
{
	return strcmp(((const pair_sums *)a)->environment, ((const pair_sums *)b)->environment);
}

/* A row of the pair: its published epsilon, and the derived one where its
 * fitness and both singles exist, under the row's environment (or the
 * default). */
static int pair_add(const exp_row *row, const gi_singles *singles, const char *default_env,
		    pair_group *g, gi_check_stats *stats, cp_error *err)
{
	const char *env = *row->environment ? row->environment : default_env;
	pair_sums *p;
	double fa, fb;

	if (isnan(row->label[2]) && isnan(row->label[0]))
		return 0;
	if (!(p = group_env(g, env, err)))
		return -1;
	if (!isnan(row->label[2])) {
		p->published += row->label[2];
		p->n_published++;
	}
	if (isnan(row->label[0]))
		return 0;
	fa = gi_singles_fitness(singles, row->genes[0], env);
	fb = gi_singles_fitness(singles, row->genes[1], env);
	if (isnan(fa) || isnan(fb)) {
		stats->no_singles++;
		return 0;
	}
	p->derived += gi_epsilon(row->label[0], fa, fb);
	p->n_derived++;
	return 0;
}

static join_input *smallest(join_input *in, size_t n)
{
	join_input *min = NULL;

	for (size_t i = 0; i < n; i++)
		if (in[i].live && (!min || exp_genes_compare(in[i].genes.data, in[i].genes.len,
							     min->genes.data, min->genes.len) < 0))
			min = &in[i];
	return min;
}

static int join_pairs(join_input *in, size_t n, const gi_singles *singles, const char *default_env,
		      cp_textout *out, gi_check_stats *stats, cp_error *err)
{
	cp_buf line = { 0 }, key = { 0 };
	pair_group g = { 0 };
	join_input *min;
	int rc = -1;

	if (cp_buf_printf(&line, err, "genes\tenvironment\tderived\tpublished\tfitness_rows\t"
			  "interaction_rows\n") < 0)
		goto out;
	while ((min = smallest(in, n))) {
		key.len = 0;
		if (cp_buf_append(&key, min->genes.data, min->genes.len, err) < 0)
			goto out;
		/* the pair's rows in every input, its genes in any case */
		for (size_t i = 0; i < n; i++)
			while (in[i].live && exp_genes_compare(in[i].genes.data, in[i].genes.len, key.data,
							       key.len) == 0) {
				if (in[i].row.n_genes == 2) {
					if (pair_add(&in[i].row, singles, default_env, &g, stats, err) < 0)
						goto out;
				} else if (in[i].row.n_genes == 3) {
					stats->triples++;
				}
				if (input_advance(&in[i], err) < 0)
					goto out;
			}
		qsort(g.env, g.n, sizeof *g.env, env_order);
		for (size_t e = 0; e < g.n; e++) {
			const pair_sums *p = &g.env[e];

			stats->published += p->n_published > 0;
			stats->fitness += p->n_derived > 0;
			if (p->n_derived && p->n_published) {
				double derived = p->derived / (double)p->n_derived;
				double published = p->published / (double)p->n_published;

				gi_agreement_add(&stats->agreement, derived, published);
				if (cp_buf_printf(&line, err, "%s\t%s\t%.6g\t%.6g\t%zu\t%zu\n", key.data,
						  p->environment, derived, published, p->n_derived,
						  p->n_published) < 0)
					goto out;
			}
		}
		group_clear(&g);
		if (line.len > 65536 && cp_textout_flush_buf(out, &line, err) < 0)
			goto out;
	}
	rc = cp_textout_flush_buf(out, &line, err);
out:
	group_clear(&g);
	free(g.env);
	cp_buf_free(&line);
	cp_buf_free(&key);
	return rc;
}

int gi_check(const char *const *paths, size_t n_paths, const gi_singles *singles,
	     const char *default_environment, cp_textout *out, gi_check_stats *stats,
	     cp_error *err)
{
	join_input *in = cp_calloc(n_paths ? n_paths : 1, sizeof *in, err);
	int rc = -1;

	if (!in)
		return -1;
	memset(stats, 0, sizeof *stats);
	gi_agreement_init(&stats->agreement);
	for (size_t i = 0; i < n_paths; i++) {
		in[i].r = exp_reader_open(paths[i], err);
		in[i].live = 1;
		if (!in[i].r || input_advance(&in[i], err) < 0)
			goto out;
	}
	rc = join_pairs(in, n_paths, singles, default_environment, out, stats, err);
out:
	for (size_t i = 0; i < n_paths; i++) {
		exp_reader_close(in[i].r);
		cp_buf_free(&in[i].genes);
		cp_buf_free(&in[i].last);
	}
	free(in);
	return rc;
}
