/* loader.c - shuffled mini-batches from a samples or batches stream. */
#define _GNU_SOURCE
#include "loader.h"

#include <stdlib.h>
#include <string.h>

struct sample_loader {
	char *path;
	loader_options opts;
	pert_reader *r;
	cpz_record context_copy;
	pert_context ctx;
	/* the current chunk and our position in it */
	pert_batch chunk;
	size_t chunk_pos;
	int have_chunk, at_end;
	int64_t next_index;	/* samples streams: experiment numbers */
	/* the shuffle buffer */
	size_t n, cap;
	int64_t *gptr;		/* n + 1 */
	int32_t *genes;
	size_t g_len, g_cap;
	float *labels;
	int64_t *index;
	size_t *order;
	size_t served;
	uint64_t rng;
	/* the mini-batch handed out */
	int64_t *out_ptr;
	int32_t *out_genes;
	size_t out_g_cap, out_cap;
	float *out_labels;
	int64_t *out_index;
	size_t count, pass_count;
	/* the stream's checksum: every pass must read the same one */
	uint64_t sum;
	int have_sum, pass_checked;
};

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

sample_loader *loader_open(const char *path, const loader_options *opts, cp_error *err)
{
	sample_loader *l = calloc(1, sizeof *l);

	if (!l) {
		cp_error_set(err, "out of memory");
		return NULL;
	}
	l->opts = *opts;
	l->path = strdup(path);
	cpz_record_init(&l->context_copy);
	if (!l->path) {
		cp_error_set(err, "out of memory");
		goto fail;
	}
	l->r = pert_reader_open(path, NULL, err);
	if (!l->r)
		goto fail;
	if (cpz_record_copy(&l->context_copy, pert_reader_context_record(l->r), err) < 0)
		goto fail;
	l->ctx = *pert_reader_context(l->r);
	l->at_end = 1;	/* a pass starts with loader_rewind */
	return l;
fail:
	loader_close(l);
	return NULL;
}

void loader_close(sample_loader *l)
{
	if (!l)
		return;
	pert_reader_close(l->r);
	cpz_record_free(&l->context_copy);
	free(l->path);
	free(l->gptr), free(l->genes), free(l->labels), free(l->index), free(l->order);
	free(l->out_ptr), free(l->out_genes), free(l->out_labels), free(l->out_index);
	free(l);
}

const pert_context *loader_context(const sample_loader *l)
{
	return &l->ctx;
}

const cpz_record *loader_context_record(const sample_loader *l)
{
	return &l->context_copy;
}

const cpz_record *loader_genome_record(const sample_loader *l)
{
	return pert_reader_genome_record(l->r);
}

const char *loader_kind(const sample_loader *l)
{
	return pert_reader_kind(l->r);
}

size_t loader_count(const sample_loader *l)
{
	return l->pass_count;
}

int loader_checksum(const sample_loader *l, uint64_t *sum)
{
	*sum = l->sum;
	return l->have_sum;
}

void loader_expect_checksum(sample_loader *l, uint64_t sum)
{
	l->sum = sum;
	l->have_sum = 1;
}

int loader_rewind(sample_loader *l, uint64_t seed, cp_error *err)
{
	pert_reader_close(l->r);
	l->r = pert_reader_open(l->path, NULL, err);
	if (!l->r)
		return -1;
	if (pert_reader_context(l->r)->genome_hash != l->ctx.genome_hash)
		return cp_error_set(err, "%s changed while training", l->path);
	l->ctx = *pert_reader_context(l->r);
	l->have_chunk = 0;
	l->at_end = 0;
	l->next_index = 0;
	l->n = l->served = 0;
	l->rng = seed;
	l->count = 0;
	l->pass_checked = 0;
	return 0;
}

/* Next experiment of the wanted split from the stream: 1, 0 at the end. */
static int next_experiment(sample_loader *l, size_t *i, cp_error *err)
{
	for (;;) {
		if (!l->have_chunk || l->chunk_pos == l->chunk.n) {
			int rc = pert_reader_next(l->r, &l->chunk, err);

			if (rc == 0 && !l->pass_checked) {
				uint64_t sum = pert_reader_checksum(l->r);

				l->pass_checked = 1;
				if (l->have_sum && sum != l->sum)
					return cp_error_set(err, "%s: not the stream the run began with: checksum %016llx, "
							    "the run's %016llx", l->path, (unsigned long long)sum,
							    (unsigned long long)l->sum);
				l->sum = sum;
				l->have_sum = 1;
			}
			if (rc <= 0)
				return rc;
			l->have_chunk = 1;
			l->chunk_pos = 0;
			if (l->chunk.n == 0)	/* a chunk without experiments */
				continue;
			if (l->opts.split >= 0 && l->chunk.split >= 0 && l->chunk.split != l->opts.split) {
				l->next_index += (int64_t)l->chunk.n;
				l->chunk_pos = l->chunk.n;	/* a whole batch of another split */
				continue;
			}
		}
		*i = l->chunk_pos++;
		return 1;
	}
}

static int fill(sample_loader *l, cp_error *err)
{
	size_t limit = l->opts.buffer ? l->opts.buffer : 4096;
	size_t i = 0;
	int rc = 0;

	l->n = l->served = 0;
	l->g_len = 0;
	while (l->n < limit && (rc = next_experiment(l, &i, err)) == 1) {
		const pert_batch *b = &l->chunk;
		int64_t ng = b->gene_ptr[i + 1] - b->gene_ptr[i];

		if (l->n + 1 >= l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 1024;
			void *p;

			if (!(p = cp_realloc(l->gptr, cap + 1, sizeof *l->gptr, err)))
				return -1;
			l->gptr = p;
			if (!(p = cp_realloc(l->labels, cap, PERT_N_LABELS * sizeof *l->labels, err)))
				return -1;
			l->labels = p;
			if (!(p = cp_realloc(l->index, cap, sizeof *l->index, err)))
				return -1;
			l->index = p;
			if (!(p = cp_realloc(l->order, cap, sizeof *l->order, err)))
				return -1;
			l->order = p;
			l->cap = cap;
		}
		if (l->g_len + (size_t)ng > l->g_cap) {
			size_t cap = l->g_cap ? l->g_cap * 2 : 4096;
			int32_t *p;

			while (cap < l->g_len + (size_t)ng)
				cap *= 2;
			if (!(p = cp_realloc(l->genes, cap, sizeof *p, err)))
				return -1;
			l->genes = p;
			l->g_cap = cap;
		}
		l->gptr[l->n] = (int64_t)l->g_len;
		if (ng)	/* (the readers refuse none, but b->gene may then be NULL) */
			memcpy(l->genes + l->g_len, b->gene + b->gene_ptr[i], (size_t)ng * sizeof *l->genes);
		l->g_len += (size_t)ng;
		memcpy(l->labels + l->n * PERT_N_LABELS, b->label + i * PERT_N_LABELS,
		       PERT_N_LABELS * sizeof *l->labels);
		l->index[l->n] = b->index ? b->index[i] : l->next_index + (int64_t)i;
		l->order[l->n] = l->n;
		l->n++;
		if (l->chunk_pos == b->n)
			l->next_index += (int64_t)b->n;
	}
	if (rc < 0)	/* also after some experiments: a defect past the last chunk */
		return -1;
	if (l->n && l->gptr)
		l->gptr[l->n] = (int64_t)l->g_len;
	if (l->n == 0) {
		l->at_end = 1;
		return 0;
	}
	if (l->opts.buffer)
		for (size_t k = l->n - 1; k > 0; k--) {	/* Fisher-Yates */
			size_t j = (size_t)(mix(&l->rng) % (k + 1)), t = l->order[k];

			l->order[k] = l->order[j];
			l->order[j] = t;
		}
	return 1;
}

/*
 * The next batch of up to max experiments.  A batch runs on across refills
 * of the shuffle buffer, so every batch but a pass's last has max
 * experiments whatever the buffer's size.
 */
int loader_next(sample_loader *l, size_t max, loader_batch *out, cp_error *err)
{
	size_t n = 0;

	if (l->at_end)
		return 0;
	if (max > l->out_cap || !l->out_ptr) {
		void *p;

		if (!(p = cp_realloc(l->out_ptr, max + 1, sizeof *l->out_ptr, err)))
			return -1;
		l->out_ptr = p;
		if (!(p = cp_realloc(l->out_labels, max, PERT_N_LABELS * sizeof *l->out_labels, err)))
			return -1;
		l->out_labels = p;
		if (!(p = cp_realloc(l->out_index, max, sizeof *l->out_index, err)))
			return -1;
		l->out_index = p;
		l->out_cap = max;
	}
	l->out_ptr[0] = 0;
	while (n < max) {
		size_t i;
		int64_t len;

		if (l->served == l->n) {
			int rc = fill(l, err);

			if (rc < 0)
				return -1;
			if (rc == 0) {
				l->pass_count = l->count + n;
				break;
			}
		}
		i = l->order[l->served++];
		len = l->gptr[i + 1] - l->gptr[i];
		if ((size_t)l->out_ptr[n] + (size_t)len > l->out_g_cap || !l->out_genes) {
			size_t cap = l->out_g_cap ? l->out_g_cap : 64;
			int32_t *p;

			while (cap < (size_t)l->out_ptr[n] + (size_t)len)
				cap *= 2;
			if (!(p = cp_realloc(l->out_genes, cap, sizeof *p, err)))
				return -1;
			l->out_genes = p;
			l->out_g_cap = cap;
		}
		memcpy(l->out_genes + l->out_ptr[n], l->genes + l->gptr[i], (size_t)len * sizeof *l->genes);
		l->out_ptr[n + 1] = l->out_ptr[n] + len;
		memcpy(l->out_labels + n * PERT_N_LABELS, l->labels + i * PERT_N_LABELS,
		       PERT_N_LABELS * sizeof *l->labels);
		l->out_index[n] = l->index[i];
		n++;
	}
	l->count += n;
	if (n == 0)
		return 0;
	out->n = n;
	out->gene_ptr = l->out_ptr;
	out->gene = l->out_genes;
	out->label = l->out_labels;
	out->index = l->out_index;
	return 1;
}
