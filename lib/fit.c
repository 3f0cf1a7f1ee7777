/* fit.c - the training loop, checkpoints and resumption. */
#define _GNU_SOURCE
#include "fit.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batches.h"
#include "cpz.h"
#include "loader.h"
#include "metrics.h"

void fit_options_default(fit_options *o)
{
	memset(o, 0, sizeof *o);
	dcell_config_default(&o->dcell);
	o->precision = CP_F32;
	o->epochs = 20;
	o->batch_size = 256;
	o->lr = 1e-3;
	o->lr_min = -1;	/* lr / 100 */
	o->weight_decay = 1e-4;
	o->clip = 5.0;
	o->seed = 1;
	o->patience = 5;
	o->schedule = FIT_SCHEDULE_COSINE;
	o->path = FIT_PATH_SPARSE;
	o->device = "cpu";
	o->shuffle_buffer = 65536;
}

static const char *schedule_names[] = { "cosine", "plateau", "constant" };
static const char *path_names[] = { "sparse", "dense" };

typedef struct {
	double *v;
	size_t n, cap;
} series;

static int series_push(series *s, double x, cp_error *err)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		double *p = cp_realloc(s->v, cap, sizeof *p, err);

		if (!p)
			return -1;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

typedef struct fit_state {
	fit_options o;
	cp_arena strings;
	char *producer, *command;
	go_dag dag;
	int have_dag;
	dcell net;
	int have_net;
	cp_backend *be;
	dcell_run *run;
	dcell_sparse *sp;
	sample_loader *train, *val;
	/* a --val stream's labels are brought to the training stream's scale:
	 * each stream's own standardization undone (where it has one), then
	 * the training stream's applied */
	int val_map, std[2];
	batches_info info[2];	/* training, validation */
	cpz_record data_ctx;
	/* the checksums of the training and validation streams a resumed
	 * checkpoint holds, until the loaders read them again */
	uint64_t sum[2];
	int have_sum[2];
	void *best_params, *best_buffers, *adam_m, *adam_v;
	long step;
	int epoch, best_epoch, bad, stopped;
	double best_val, lr_now;
	series h_epoch, h_lr, h_train, h_val, h_mse[PERT_N_LABELS], h_pearson[PERT_N_LABELS];
} fit_state;

static char *keep(fit_state *st, const char *s, cp_error *err)
{
	return s ? cp_arena_strndup(&st->strings, s, strlen(s), err) : NULL;
}

static void state_free(fit_state *st)
{
	dcell_sparse_free(st->sp);
	dcell_run_free(st->run);
	cp_backend_free(st->be);
	loader_close(st->train);
	loader_close(st->val);
	if (st->have_net)
		dcell_free(&st->net);
	if (st->have_dag)
		go_dag_free(&st->dag);
	cpz_record_free(&st->data_ctx);
	free(st->best_params), free(st->best_buffers), free(st->adam_m), free(st->adam_v);
	free(st->h_epoch.v), free(st->h_lr.v), free(st->h_train.v), free(st->h_val.v);
	for (int k = 0; k < PERT_N_LABELS; k++)
		free(st->h_mse[k].v), free(st->h_pearson[k].v);
	cp_arena_free(&st->strings);
}

static uint64_t epoch_seed(uint64_t seed, int epoch)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + (uint64_t)epoch + 1;

	s ^= s >> 31;
	s *= 0xBF58476D1CE4E5B9ULL;
	return s ^ (s >> 29);
}

static double schedule_lr(const fit_state *st, int epoch)
{
	const fit_options *o = &st->o;
	double lr_min = o->lr_min >= 0 ? o->lr_min : o->lr / 100.0;

	switch (o->schedule) {
	case FIT_SCHEDULE_COSINE:
		if (o->epochs <= 1)
			return o->lr;
		if (epoch >= o->epochs - 1)	/* the last, and after it (a finished run) */
			return lr_min;
		return lr_min + 0.5 * (o->lr - lr_min) * (1.0 + cos(M_PI * epoch / (double)(o->epochs - 1)));
	case FIT_SCHEDULE_PLATEAU:
		return st->lr_now;
	default:
		return o->lr;
	}
}

/* Host copies of parameters, running statistics and moments. */
static int download_state(fit_state *st, cp_error *err)
{
	/* no run: a resumed run that had ended, its values on the host */
	return st->run ? dcell_run_download(st->run, st->adam_m, st->adam_v, err) : 0;
}

/* Whether the n values at p, of precision prec, are all finite. */
static int all_finite(const void *p, size_t n, cp_precision prec)
{
	if (prec == CP_F64) {
		const double *d = p;

		for (size_t i = 0; i < n; i++)
			if (!isfinite(d[i]))
				return 0;
	} else {
		const float *f = p;

		for (size_t i = 0; i < n; i++)
			if (!isfinite(f[i]))
				return 0;
	}
	return 1;
}

/*
 * The first of the state's arrays holding a value that is not finite, or
 * NULL.  A run whose gradient grows past the range of its precision can go
 * on with finite weights while the second moment overflows, freezing the
 * weights it holds: such a run has diverged, and its state is no checkpoint.
 */
static const char *state_not_finite(const fit_state *st)
{
	const struct {
		const char *name;
		const void *p;
		size_t n;
	} a[] = {
		{ "params", st->net.params, st->net.n_params },
		{ "buffers", st->net.buffers, st->net.n_buffers },
		{ "adam_m", st->adam_m, st->net.n_params },
		{ "adam_v", st->adam_v, st->net.n_params },
		{ "best params", st->best_params, st->net.n_params },
		{ "best buffers", st->best_buffers, st->net.n_buffers },
	};

	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
		if (!all_finite(a[i].p, a[i].n, st->net.prec))
			return a[i].name;
	return NULL;
}

static int remember_best(fit_state *st, cp_error *err)
{
	size_t es = cp_precision_size(st->net.prec);

	if (dcell_run_download(st->run, NULL, NULL, err) < 0)
		return -1;
	memcpy(st->best_params, st->net.params, st->net.n_params * es);
	memcpy(st->best_buffers, st->net.buffers, st->net.n_buffers * es);
	return 0;
}

/* ---- the checkpoint --------------------------------------------------------- */

static int add_series(cpz_record *rec, const char *name, const series *s, cp_error *err)
{
	int64_t n = (int64_t)s->n;

	return cpz_record_add_tensor(rec, name, CPZ_F64, 1, &n, s->v ? (void *)s->v : (void *)"", err);
}

/* The checksum of the training (which 0) or validation (1) stream, as 16
 * hex digits: as the last pass read it, else as the resumed checkpoint
 * held it; "" while not known. */
static int add_checksum(cpz_record *rec, const char *name, const fit_state *st, int which, cp_error *err)
{
	const sample_loader *l = which ? st->val : st->train;
	uint64_t sum = st->sum[which], read;
	int known = st->have_sum[which];
	char hex[17] = "";

	if (l && loader_checksum(l, &read))
		sum = read, known = 1;
	if (known)
		snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sum);
	return cpz_record_add_str(rec, name, hex, err);
}

/* Read back what add_checksum wrote ("" or, from an older checkpoint,
 * no field: not known). */
static int read_checksum(const cpz_record *rec, const char *name, fit_state *st, int which, cp_error *err)
{
	const cpz_field *f = cpz_record_field(rec, name);
	uint64_t sum = 0;

	if (!f)
		return 0;
	if (f->kind != CPZ_VALUE_STR)
		return cpz_record_error(rec, name, err, "expected a string");
	if (!*f->s)
		return 0;
	for (int k = 0; k < 16; k++) {
		char c = f->s[k];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return cpz_record_error(rec, name, err, "'%s' is not 16 hex digits", f->s);
		sum = sum << 4 | (uint64_t)d;
	}
	if (f->s[16])
		return cpz_record_error(rec, name, err, "'%s' is not 16 hex digits", f->s);
	st->sum[which] = sum;
	st->have_sum[which] = 1;
	return 0;
}

static int write_checkpoint(fit_state *st, cp_error *err)
{
	const fit_options *o = &st->o;
	cpz_writer *w;
	cpz_record rec;
	cpz_dtype dt = st->net.prec == CP_F64 ? CPZ_F64 : CPZ_F32;
	int64_t np = (int64_t)st->net.n_params, nb = (int64_t)st->net.n_buffers;
	int K = st->net.cfg.n_outputs;
	char name[160];
	dcell best = st->net;
	const char *bad;
	/* zstd level 1 unless $CPZ_LEVEL chooses: the stream is mostly floats,
	 * which level 3 shrinks no further, and it is written every epoch (on
	 * the 2012 DAG level 1 takes about 40% less time and gives a file 0.5%
	 * smaller); an empty $CPZ_LEVEL is unset, as for every other writer */
	const char *level = getenv("CPZ_LEVEL");
	cpz_writer_options checkpoint_opts = { .level = level && *level ? 0 : 1 };

	if (download_state(st, err) < 0)
		return -1;
	if ((bad = state_not_finite(st)))
		return cp_error_set(err, "epoch %d: the run diverged (%s holds a value that is not "
				    "finite): lower the learning rate or clip the gradient", st->epoch, bad);
	w = cpz_writer_open(o->out_path, "model", st->producer, st->command, &checkpoint_opts, err);
	if (!w)
		return -1;
	cpz_record_init(&rec);
	if (go_dag_write(w, &st->dag, NULL, NULL, err) < 0)
		goto fail;
	best.params = st->best_params;
	best.buffers = st->best_buffers;
	if (cpz_record_reset(&rec, "dcell", err) < 0 || dcell_to_record(&best, &rec, err) < 0 ||
	    cpz_writer_write(w, &rec, err) < 0)
		goto fail;
	if (cpz_record_reset(&rec, "training", err) < 0 ||
	    cpz_record_add_text(&rec, "go", o->go_path, err) < 0 ||
	    cpz_record_add_text(&rec, "train", o->train_path, err) < 0 ||
	    cpz_record_add_text(&rec, "val", o->val_path ? o->val_path : "", err) < 0 ||
	    cpz_record_add_int(&rec, "epochs", o->epochs, err) < 0 ||
	    cpz_record_add_int(&rec, "batch_size", (int64_t)o->batch_size, err) < 0 ||
	    cpz_record_add_float(&rec, "lr", o->lr, err) < 0 ||
	    cpz_record_add_float(&rec, "lr_min", o->lr_min, err) < 0 ||
	    cpz_record_add_float(&rec, "weight_decay", o->weight_decay, err) < 0 ||
	    cpz_record_add_float(&rec, "clip", o->clip, err) < 0 ||
	    cpz_record_add_int(&rec, "seed", (int64_t)o->seed, err) < 0 ||
	    cpz_record_add_int(&rec, "patience", o->patience, err) < 0 ||
	    cpz_record_add_str(&rec, "schedule", schedule_names[o->schedule], err) < 0 ||
	    cpz_record_add_str(&rec, "path", path_names[o->path], err) < 0 ||
	    cpz_record_add_str(&rec, "device", o->device, err) < 0 ||
	    cpz_record_add_int(&rec, "shuffle_buffer", (int64_t)o->shuffle_buffer, err) < 0 ||
	    cpz_record_add_text(&rec, "command", st->command, err) < 0 ||
	    cpz_record_add_str(&rec, "producer", st->producer, err) < 0 ||
	    cpz_record_add_int(&rec, "progress.epoch", st->epoch, err) < 0 ||
	    cpz_record_add_int(&rec, "progress.step", st->step, err) < 0 ||
	    cpz_record_add_int(&rec, "progress.best_epoch", st->best_epoch, err) < 0 ||
	    cpz_record_add_float(&rec, "progress.best_val", st->best_val, err) < 0 ||
	    cpz_record_add_int(&rec, "progress.bad_epochs", st->bad, err) < 0 ||
	    cpz_record_add_float(&rec, "progress.lr", st->lr_now, err) < 0 ||
	    cpz_record_add_bool(&rec, "progress.stopped", st->stopped, err) < 0 ||
	    cpz_record_add_int(&rec, "rng.seed", (int64_t)o->seed, err) < 0)
		goto fail;
	if (cpz_record_copy_fields(&rec, &st->data_ctx, "", "data.", err) < 0 ||
	    add_checksum(&rec, "train_checksum", st, 0, err) < 0 ||
	    add_checksum(&rec, "val_checksum", st, 1, err) < 0)
		goto fail;
	if (cpz_writer_write(w, &rec, err) < 0)
		goto fail;
	if (cpz_record_reset(&rec, "history", err) < 0 ||
	    add_series(&rec, "epoch", &st->h_epoch, err) < 0 ||
	    add_series(&rec, "lr", &st->h_lr, err) < 0 ||
	    add_series(&rec, "train_loss", &st->h_train, err) < 0 ||
	    add_series(&rec, "val_loss", &st->h_val, err) < 0)
		goto fail;
	for (int k = 0; k < K; k++) {
		const char *label = pert_label_names[st->net.cfg.label[k]];

		snprintf(name, sizeof name, "val_mse.%s", label);
		if (add_series(&rec, name, &st->h_mse[k], err) < 0)
			goto fail;
		snprintf(name, sizeof name, "val_pearson.%s", label);
		if (add_series(&rec, name, &st->h_pearson[k], err) < 0)
			goto fail;
	}
	if (cpz_writer_write(w, &rec, err) < 0)
		goto fail;
	if (cpz_record_reset(&rec, "resume", err) < 0 ||
	    cpz_record_add_tensor(&rec, "params", dt, 1, &np, st->net.params, err) < 0 ||
	    cpz_record_add_tensor(&rec, "buffers", dt, 1, &nb, st->net.buffers, err) < 0 ||
	    cpz_record_add_tensor(&rec, "adam_m", dt, 1, &np, st->adam_m, err) < 0 ||
	    cpz_record_add_tensor(&rec, "adam_v", dt, 1, &np, st->adam_v, err) < 0 ||
	    cpz_writer_write(w, &rec, err) < 0)
		goto fail;
	cpz_record_free(&rec);
	return cpz_writer_close(w, err);
fail:
	cpz_record_free(&rec);
	cpz_writer_abort(w);
	return -1;
}

/* ---- setting up ---------------------------------------------------------------- */

/* The standardization of a stream's labels: 1 and *info, or 0 (none). */
static int label_scale(const sample_loader *l, batches_info *info, cp_error *err)
{
	const cpz_record *ctx = loader_context_record(l);

	if (!cpz_record_field(ctx, "standardize"))
		return 0;
	if (batches_info_from_record(ctx, info, err) < 0)
		return -1;
	return info->standardize != STANDARDIZE_NONE;
}

/* The output can be written (its directory, its name, not an input):
 * found out before the first epoch, not after it.  A temporary file is
 * made there and removed. */
static int probe_output(const char *path, cp_error *err)
{
	char *tmp = NULL;
	struct stat sb;
	int fd, rc;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return cp_error_set(err, "%s: is a directory", path);
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
		return 0;	/* a pipe or a device, written in place: not opened twice */
	if ((fd = cp_tmp_create(path, &tmp, err)) < 0)
		return -1;
	close(fd);
	rc = cp_tmp_check(tmp, path, err);
	cp_tmp_discard(tmp);
	free(tmp);
	return rc;
}

/*
 * A batches stream counts its labels: a split without a value of a label
 * fitted is refused now, not after the first epoch.  The val split of the
 * training stream may hold no experiment (a run without validation); that
 * of a --val stream (required) may not.  A stream of one split (batch-pack
 * -O) counts the others' too: its val split is looked for first.
 */
static int check_counts(const fit_state *st, sample_loader *l, const char *path, int split,
			int required, cp_error *err)
{
	batches_info bi;
	loader_batch lb;
	int rc;

	if (strcmp(loader_kind(l), "batches") != 0)
		return 0;
	if (batches_info_from_record(loader_context_record(l), &bi, err) < 0)
		return -1;
	for (int k = 0; k < st->net.cfg.n_outputs; k++) {
		const char *label = pert_label_names[st->net.cfg.label[k]];

		if (bi.present[split][st->net.cfg.label[k]] > 0)
			continue;
		if (split == PERT_TRAIN)
			return cp_error_set(err, "%s: no training value of %s (split train)", path, label);
		if (bi.count[split] > 0) {
			if (loader_rewind(l, 0, err) < 0 || (rc = loader_next(l, 1, &lb, err)) < 0)
				return -1;
			if (rc == 1)
				return cp_error_set(err, "%s: no validation value of %s (split val)", path, label);
		}
		return required ? cp_error_set(err, "%s: no validation experiments (split val)", path) : 0;
	}
	return 0;
}

static int open_data(fit_state *st, cp_error *err)
{
	loader_options lo = { PERT_TRAIN, st->o.shuffle_buffer };
	const char *val_path = st->o.val_path && *st->o.val_path ? st->o.val_path : NULL;

	st->train = loader_open(st->o.train_path, &lo, err);
	if (!st->train)
		return -1;
	if (loader_context(st->train)->genome_hash != st->dag.genome_hash)
		return cpz_genome_mismatch(err, st->o.train_path, loader_context(st->train)->genome_hash,
					   cp_path_name(st->o.go_path), st->dag.genome_hash);
	if (check_counts(st, st->train, st->o.train_path, PERT_TRAIN, 1, err) < 0)
		return -1;
	/* validation: --val, or the val split of a batches stream given as --train */
	lo.split = PERT_VAL;
	lo.buffer = 0;
	if (val_path) {
		st->val = loader_open(val_path, &lo, err);
		if (!st->val)
			return -1;
		if (loader_context(st->val)->genome_hash != st->dag.genome_hash)
			return cpz_genome_mismatch(err, val_path, loader_context(st->val)->genome_hash,
						   cp_path_name(st->o.go_path), st->dag.genome_hash);
		if (check_counts(st, st->val, val_path, PERT_VAL, 1, err) < 0)
			return -1;
		if ((st->std[0] = label_scale(st->train, &st->info[0], err)) < 0 ||
		    (st->std[1] = label_scale(st->val, &st->info[1], err)) < 0)
			return -1;
		st->val_map = st->std[0] || st->std[1];
	} else if (strcmp(loader_kind(st->train), "batches") == 0) {
		st->val = loader_open(st->o.train_path, &lo, err);
		if (!st->val || check_counts(st, st->val, st->o.train_path, PERT_VAL, 0, err) < 0)
			return -1;
	}
	return 0;
}

static int open_backend(fit_state *st, cp_error *err)
{
	const char *dev = st->o.device;

	if (strcmp(dev, "cpu") == 0)
		st->be = cp_backend_cpu(st->o.threads, err);
	else
		st->be = cp_backend_open(dev, err);
	if (!st->be)
		return -1;
	if (st->o.path == FIT_PATH_SPARSE && !cp_backend_is_host(st->be))
		return cp_error_set(err, "the sparse path runs on the CPU; use --path dense on %s", dev);
	st->run = dcell_run_new(&st->net, st->be, st->o.batch_size, err);
	if (!st->run)
		return -1;
	if (st->o.path == FIT_PATH_SPARSE) {
		st->sp = dcell_sparse_new(st->run, err);
		if (!st->sp)
			return -1;
	}
	return 0;
}

static int alloc_host_state(fit_state *st, cp_error *err)
{
	size_t es = cp_precision_size(st->net.prec);

	st->best_params = cp_malloc(st->net.n_params, es, err);
	st->best_buffers = cp_malloc(st->net.n_buffers ? st->net.n_buffers : 1, es, err);
	st->adam_m = cp_calloc(st->net.n_params, es, err);
	st->adam_v = cp_calloc(st->net.n_params, es, err);
	if (!st->best_params || !st->best_buffers || !st->adam_m || !st->adam_v)
		return -1;
	memcpy(st->best_params, st->net.params, st->net.n_params * es);
	memcpy(st->best_buffers, st->net.buffers, st->net.n_buffers * es);
	return 0;
}

/* ---- the loop --------------------------------------------------------------------- */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int to_dcell_batch(const fit_state *st, const loader_batch *lb, dcell_batch *db,
			  double *target)
{
	int K = st->net.cfg.n_outputs;

	db->n = lb->n;
	db->gene_ptr = lb->gene_ptr;
	db->gene = lb->gene;
	db->term_ptr = NULL;
	db->term = NULL;
	db->target = target;
	for (size_t i = 0; i < lb->n; i++)
		for (int k = 0; k < K; k++)
			target[i * (size_t)K + (size_t)k] = lb->label[i * PERT_N_LABELS + st->net.cfg.label[k]];
	return 0;
}

static int forward(fit_state *st, const dcell_batch *db, int train, double *loss, double *pred,
		   cp_error *err)
{
	if (st->sp)
		return dcell_sparse_forward(st->sp, db, train, loss, pred, err);
	return dcell_dense_forward(st->run, db, train, loss, pred, err);
}

static int backward(fit_state *st, const dcell_batch *db, cp_error *err)
{
	if (st->sp)
		return dcell_sparse_backward(st->sp, db, err);
	return dcell_dense_backward(st->run, db, err);
}

/* Validation: root predictions against labels, per output. */
static int validate(fit_state *st, fit_epoch *e, cp_error *err)
{
	int K = st->net.cfg.n_outputs;
	size_t B = st->o.batch_size, n = 0, cap = 0;
	double *truth = NULL, *pred = NULL, *target = NULL, *p = NULL;
	loader_batch lb;
	dcell_batch db;
	int rc, result = -1;

	e->val_loss = NAN;
	for (int k = 0; k < K; k++)
		e->val_mse[k] = e->val_pearson[k] = NAN;
	if (!st->val)
		return 0;
	target = cp_malloc(B * (size_t)K, sizeof *target, err);
	p = cp_malloc(B * (size_t)K, sizeof *p, err);
	if (!target || !p || loader_rewind(st->val, 0, err) < 0)
		goto out;
	while ((rc = loader_next(st->val, B, &lb, err)) == 1) {
		to_dcell_batch(st, &lb, &db, target);
		for (size_t i = 0; st->val_map && i < lb.n; i++)
			for (int k = 0; k < K; k++) {
				int label = st->net.cfg.label[k];
				double *y = &target[i * (size_t)K + (size_t)k];

				if (st->std[1])
					*y = batches_restore_label(&st->info[1], label, *y);
				if (st->std[0])
					*y = batches_standardize_label(&st->info[0], label, *y);
			}
		if (forward(st, &db, 0, NULL, p, err) < 0)
			goto out;
		if (n + lb.n > cap) {
			size_t c = cap ? cap * 2 : 4096;
			double *a, *b;

			while (c < n + lb.n)
				c *= 2;
			a = cp_realloc(truth, c * (size_t)K, sizeof *a, err);
			if (!a)
				goto out;
			truth = a;
			b = cp_realloc(pred, c * (size_t)K, sizeof *b, err);
			if (!b)
				goto out;
			pred = b;
			cap = c;
		}
		/* stored by output: truth[k * cap + i] would need moving on growth,
		 * so keep sample-major and stride when computing */
		memcpy(truth + n * (size_t)K, target, lb.n * (size_t)K * sizeof *truth);
		memcpy(pred + n * (size_t)K, p, lb.n * (size_t)K * sizeof *pred);
		n += lb.n;
	}
	if (rc < 0)
		goto out;
	e->val_samples = n;
	if (n == 0 && !(st->o.val_path && *st->o.val_path)) {
		/* a batches stream as --train without a val split (-f 1,0,0, or
		 * batch-pack -O's train stream): a run without validation */
		loader_close(st->val);
		st->val = NULL;
		result = 0;
		goto out;
	}
	if (n == 0) {
		cp_error_set(err, "%s: no validation experiments (split val)", st->o.val_path);
		goto out;
	}
	{
		double *t1 = cp_malloc(n, sizeof *t1, err), *p1 = cp_malloc(n, sizeof *p1, err), sum = 0;
		int counted = 0;

		if (!t1 || !p1) {
			free(t1), free(p1);
			goto out;
		}
		for (int k = 0; k < K; k++) {
			cp_metrics m;

			for (size_t i = 0; i < n; i++) {
				t1[i] = truth[i * (size_t)K + (size_t)k];
				p1[i] = pred[i * (size_t)K + (size_t)k];
			}
			if (cp_metrics_compute(t1, p1, n, &m, err) < 0) {
				free(t1), free(p1);
				goto out;
			}
			e->val_mse[k] = m.mse;
			e->val_pearson[k] = m.pearson;
			if (!isnan(m.mse)) {
				sum += m.mse;
				counted++;
			}
		}
		e->val_loss = counted ? sum / counted : NAN;
		free(t1), free(p1);
	}
	/* every label needs values, as in training */
	for (int k = 0; k < K; k++) {
		size_t have = 0;

		for (size_t i = 0; i < n; i++)
			have += !isnan(truth[i * (size_t)K + (size_t)k]);
		if (have == 0) {
			cp_error_set(err, "%s: no validation value of %s (split val)",
				     st->o.val_path && *st->o.val_path ? st->o.val_path : st->o.train_path,
				     pert_label_names[st->net.cfg.label[k]]);
			goto out;
		}
	}
	result = 0;
out:
	free(truth), free(pred), free(target), free(p);
	return result;
}

static int run_epochs(fit_state *st, const fit_callbacks *cb, cp_error *err)
{
	const fit_options *o = &st->o;
	int K = st->net.cfg.n_outputs;
	double *target = cp_malloc(o->batch_size * (size_t)K, sizeof *target, err);

	if (!target)
		return -1;
	while (st->epoch < o->epochs && !st->stopped) {
		fit_epoch e;
		loader_batch lb;
		dcell_batch db;
		double t0 = now_seconds(), loss_sum = 0;
		size_t batches = 0, samples = 0, left_out = 0, total = loader_count(st->train);
		size_t present[PERT_N_LABELS] = { 0 };
		int rc;

		memset(&e, 0, sizeof e);
		e.epoch = st->epoch + 1;
		e.epochs = o->epochs;
		e.n_outputs = K;
		e.lr = schedule_lr(st, st->epoch);
		if (loader_rewind(st->train, epoch_seed(o->seed, st->epoch), err) < 0)
			goto fail;
		while ((rc = loader_next(st->train, o->batch_size, &lb, err)) == 1) {
			double loss;

			if (lb.n < 2) {
				left_out += lb.n;	/* batch statistics need two samples */
				continue;
			}
			to_dcell_batch(st, &lb, &db, target);
			for (size_t i = 0; i < lb.n * (size_t)K; i++)
				present[i % (size_t)K] += !isnan(target[i]);
			if ((!st->sp && dcell_zero_grad(st->run, err) < 0) ||
			    forward(st, &db, 1, &loss, NULL, err) < 0 ||
			    backward(st, &db, err) < 0 ||
			    dcell_adamw_step(st->run, ++st->step, e.lr, o->weight_decay, o->clip, NULL, err) < 0)
				goto fail;
			loss_sum += loss;
			batches++;
			samples += lb.n;
			if (cb && cb->progress)
				cb->progress(e.epoch, samples, total, loss_sum / (double)batches, cb->ctx);
		}
		if (rc < 0)
			goto fail;
		if (batches == 0) {
			/* a last batch of one is left out: one experiment alone trains nothing */
			cp_error_set(err, left_out ? "%s: one training experiment (split train): a batch "
				     "needs two, for BatchNorm's statistics" : "%s: no training experiments "
				     "(split train)", o->train_path);
			goto fail;
		}
		for (int k = 0; k < K; k++)
			if (present[k] == 0) {
				cp_error_set(err, "%s: no training value of %s", o->train_path,
					     pert_label_names[st->net.cfg.label[k]]);
				goto fail;
			}
		e.train_loss = loss_sum / (double)batches;
		e.train_samples = samples;
		e.samples_per_s = (double)samples / (now_seconds() - t0);
		if (validate(st, &e, err) < 0)
			goto fail;
		{
			double score = st->val ? e.val_loss : e.train_loss;

			if (isnan(score)) {
				cp_error_set(err, "epoch %d: the loss is not a number", e.epoch);
				goto fail;
			}
			if (st->best_epoch == 0 || score < st->best_val) {
				st->best_val = score;
				st->best_epoch = e.epoch;
				st->bad = 0;
				e.improved = 1;
				if (remember_best(st, err) < 0)
					goto fail;
			} else {
				st->bad++;
				if (o->schedule == FIT_SCHEDULE_PLATEAU && st->bad % 2 == 0)
					st->lr_now *= 0.5;
			}
		}
		st->epoch++;
		if (o->schedule != FIT_SCHEDULE_PLATEAU)	/* the plateau's is its state */
			st->lr_now = schedule_lr(st, st->epoch);
		if (st->val && o->patience > 0 && st->bad >= o->patience)
			st->stopped = 1;
		e.stopping = st->stopped;
		if (series_push(&st->h_epoch, e.epoch, err) < 0 || series_push(&st->h_lr, e.lr, err) < 0 ||
		    series_push(&st->h_train, e.train_loss, err) < 0 ||
		    series_push(&st->h_val, e.val_loss, err) < 0)
			goto fail;
		for (int k = 0; k < K; k++)
			if (series_push(&st->h_mse[k], e.val_mse[k], err) < 0 ||
			    series_push(&st->h_pearson[k], e.val_pearson[k], err) < 0)
				goto fail;
		if (write_checkpoint(st, err) < 0)
			goto fail;
		e.elapsed = now_seconds() - t0;
		if (cb && cb->epoch)
			cb->epoch(&e, cb->ctx);
	}
	free(target);
	return 0;
fail:
	free(target);
	return -1;
}

int fit_run(const fit_options *o, const char *producer, const char *command,
	    const fit_callbacks *cb, cp_error *err)
{
	fit_state st;
	int rc = -1;

	memset(&st, 0, sizeof st);
	cp_arena_init(&st.strings);
	cpz_record_init(&st.data_ctx);
	st.o = *o;
	if (!(st.producer = keep(&st, producer, err)) || !(st.command = keep(&st, command, err)))
		goto out;
	if (o->epochs < 1 || o->batch_size < 2 || !(o->lr > 0))
		return cp_error_set(err, "fit: needs epochs >= 1, batch size >= 2 and lr > 0");
	if (go_dag_read(o->go_path, &st.dag, err) < 0)
		goto out;
	st.have_dag = 1;
	if (dcell_init(&st.net, &st.dag, &o->dcell, o->precision, o->seed, err) < 0)
		goto out;
	st.have_net = 1;
	if (open_data(&st, err) < 0 || probe_output(o->out_path, err) < 0 ||
	    cpz_record_copy(&st.data_ctx, loader_context_record(st.train), err) < 0 ||
	    open_backend(&st, err) < 0 || alloc_host_state(&st, err) < 0)
		goto out;
	/* what a run of this output killed while it wrote its first checkpoint
	 * left: there was nothing to resume, so the run began again */
	cp_tmp_sweep(o->out_path);
	st.lr_now = o->lr;
	rc = run_epochs(&st, cb, err);
out:
	state_free(&st);
	return rc;
}

/* ---- resuming ------------------------------------------------------------------- */

static char *str_field(const cpz_record *rec, const char *name, fit_state *st, cp_error *err)
{
	const char *s = cpz_record_str(rec, name, err);

	return s ? keep(st, s, err) : NULL;
}

/* A path as the training record keeps it: escaped where the name is not
 * UTF-8 (cpz_text_escape), so the file is the unescaped name where the
 * text itself names none. */
static char *path_field(const cpz_record *rec, const char *name, fit_state *st, cp_error *err)
{
	const char *s = cpz_record_str(rec, name, err);
	struct stat sb;
	char *raw, *kept;

	if (!s)
		return NULL;
	if (!*s || stat(s, &sb) == 0 || !strstr(s, "\\x") || !(raw = cpz_text_unescape(s)))
		return keep(st, s, err);
	kept = keep(st, stat(raw, &sb) == 0 ? raw : s, err);
	free(raw);
	return kept;
}

static int int_field(const cpz_record *rec, const char *name, int64_t lo, int64_t hi, int64_t *out,
		     cp_error *err)
{
	if (cpz_record_int(rec, name, out, err) < 0)
		return -1;
	if (*out < lo || *out > hi)
		return cpz_record_error(rec, name, err, "%" PRId64 " is out of range", *out);
	return 0;
}

/* A finite float of at least lo (above lo when above is set); allow, if not
 * NaN, is one more value taken as is (-1 for "the default"). */
static int float_field(const cpz_record *rec, const char *name, double lo, int above, double allow,
		       double *out, cp_error *err)
{
	if (cpz_record_float(rec, name, out, err) < 0)
		return -1;
	if (*out == allow)
		return 0;
	if (!isfinite(*out) || (above ? *out <= lo : *out < lo))
		return cpz_record_error(rec, name, err, "%g is not a number %s %g", *out,
					above ? "above" : "of at least", lo);
	return 0;
}

static int name_index(const cpz_record *rec, const char *name, const char *const *names, int n,
		      int *out, cp_error *err)
{
	const char *s = cpz_record_str(rec, name, err);

	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return cpz_record_error(rec, name, err, "unknown value '%s'", s);
}

static int load_series(const cpz_record *rec, const char *name, series *s, size_t n, cp_error *err)
{
	const cpz_tensor *t = cpz_record_tensor(rec, name, CPZ_F64, 1, err);

	if (!t || cpz_record_check_dim(rec, name, t, 0, (int64_t)n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (series_push(s, ((const double *)t->data)[i], err) < 0)
			return -1;
	return 0;
}

static int restore_values(fit_state *st, const cpz_record *rec, cp_error *err)
{
	cpz_dtype dt = st->net.prec == CP_F64 ? CPZ_F64 : CPZ_F32;
	int64_t np = (int64_t)st->net.n_params, nb = (int64_t)st->net.n_buffers;
	const cpz_tensor *p = cpz_record_tensor(rec, "params", dt, 1, err);
	const cpz_tensor *b = cpz_record_tensor(rec, "buffers", dt, 1, err);
	const cpz_tensor *m = cpz_record_tensor(rec, "adam_m", dt, 1, err);
	const cpz_tensor *v = cpz_record_tensor(rec, "adam_v", dt, 1, err);

	if (!p || !b || !m || !v || cpz_record_check_dim(rec, "params", p, 0, np, err) < 0 ||
	    cpz_record_check_dim(rec, "buffers", b, 0, nb, err) < 0 ||
	    cpz_record_check_dim(rec, "adam_m", m, 0, np, err) < 0 ||
	    cpz_record_check_dim(rec, "adam_v", v, 0, np, err) < 0 ||
	    dcell_check_values(rec, "params", p, 0, err) < 0 ||
	    dcell_check_buffers(&st->net, rec, "buffers", b, err) < 0 ||
	    dcell_check_values(rec, "adam_m", m, 0, err) < 0 || dcell_check_values(rec, "adam_v", v, 1, err) < 0)
		return -1;
	/* the dcell record held the best values: keep them aside first */
	memcpy(st->best_params, st->net.params, p->nbytes);
	memcpy(st->best_buffers, st->net.buffers, b->nbytes);
	memcpy(st->net.params, p->data, p->nbytes);
	memcpy(st->net.buffers, b->data, b->nbytes);
	memcpy(st->adam_m, m->data, m->nbytes);
	memcpy(st->adam_v, v->data, v->nbytes);
	return 0;
}

/* fit_resume, or with check_only, its reading of the checkpoint alone:
 * every record and field a resumed run needs, checked, nothing written or
 * removed, no data opened. */
static int resume(const char *checkpoint, const char *out_path, int threads, const fit_callbacks *cb,
		  int check_only, cp_error *err)
{
	fit_state st;
	cpz_reader *r;
	cpz_record genome, dagrec, net, training, history, resume;
	int rc = -1;
	int64_t v;

	memset(&st, 0, sizeof st);
	cp_arena_init(&st.strings);
	cpz_record_init(&st.data_ctx);
	cpz_record_init(&genome), cpz_record_init(&dagrec), cpz_record_init(&net);
	cpz_record_init(&training), cpz_record_init(&history), cpz_record_init(&resume);
	fit_options_default(&st.o);
	r = cpz_reader_open(checkpoint, err);
	if (!r)
		goto out;
	if (cpz_reader_expect_kind(r, "model", err) < 0)
		goto out;
	{
		cpz_record *recs[] = { &genome, &dagrec, &net, &training, &history, &resume };
		const char *types[] = { "genome", "go-dag", "dcell", "training", "history", "resume" };

		for (int i = 0; i < 6; i++) {
			int got = cpz_reader_next(r, recs[i], err);

			if (got == 0)
				cp_error_set(err, "%s: no %s record: not a checkpoint of fit", checkpoint, types[i]);
			if (got <= 0)
				goto out;
			if (i == 1 && strcmp(recs[i]->type, "baseline") == 0) {
				cpz_record_error(recs[i], NULL, err, "a baseline's model, fitted in one "
						 "step: nothing to resume (a DCell run's checkpoint "
						 "is)");
				goto out;
			}
			if (strcmp(recs[i]->type, types[i]) != 0) {
				cpz_record_error(recs[i], NULL, err, "expected a %s record", types[i]);
				goto out;
			}
		}
		cpz_record extra;

		cpz_record_init(&extra);
		/* to the end, so the checksum is verified: nothing may follow */
		while ((rc = cpz_reader_next(r, &extra, err)) == 1) {
			cpz_record_error(&extra, NULL, err,
					 "a record after the checkpoint's last (concatenated streams?)");
			rc = -1;
			break;
		}
		cpz_record_free(&extra);
	}
	if (rc < 0)
		goto out;
	rc = -1;
	/* options */
	if (!(st.o.go_path = path_field(&training, "go", &st, err)) ||
	    !(st.o.train_path = path_field(&training, "train", &st, err)) ||
	    !(st.o.val_path = path_field(&training, "val", &st, err)) ||
	    !(st.command = str_field(&training, "command", &st, err)) ||
	    !(st.producer = str_field(&training, "producer", &st, err)))
		goto out;
	if (int_field(&training, "epochs", 1, 1000000, &v, err) < 0)
		goto out;
	st.o.epochs = (int)v;
	if (int_field(&training, "batch_size", 2, 1 << 24, &v, err) < 0)
		goto out;
	st.o.batch_size = (size_t)v;
	/* the ranges fit's options take */
	if (float_field(&training, "lr", 0, 1, NAN, &st.o.lr, err) < 0 ||
	    float_field(&training, "lr_min", 0, 0, -1, &st.o.lr_min, err) < 0 ||
	    float_field(&training, "weight_decay", 0, 0, NAN, &st.o.weight_decay, err) < 0 ||
	    float_field(&training, "clip", 0, 0, NAN, &st.o.clip, err) < 0 ||
	    int_field(&training, "seed", 0, INT64_MAX, &v, err) < 0)
		goto out;
	st.o.seed = (uint64_t)v;
	if (int_field(&training, "patience", 0, 1000000, &v, err) < 0)
		goto out;
	st.o.patience = (int)v;
	if (name_index(&training, "schedule", schedule_names, 3, &st.o.schedule, err) < 0 ||
	    name_index(&training, "path", path_names, 2, &st.o.path, err) < 0 ||
	    !(st.o.device = str_field(&training, "device", &st, err)) ||
	    int_field(&training, "shuffle_buffer", 0, INT64_MAX, &v, err) < 0)
		goto out;
	if (st.o.schedule == FIT_SCHEDULE_COSINE && st.o.lr_min > st.o.lr) {
		cpz_record_error(&training, "lr_min", err, "%g is above lr %g (the cosine schedule "
				 "lowers the rate)", st.o.lr_min, st.o.lr);
		goto out;
	}
	st.o.shuffle_buffer = (size_t)v;
	st.o.threads = threads;
	st.o.out_path = out_path ? out_path : checkpoint;
	if (!check_only) {
		/* by default the run goes on writing the checkpoint it read */
		cp_inputs_forget(checkpoint);
		/* the checkpoint a killed run was writing when it died */
		cp_tmp_sweep(checkpoint);
		if (strcmp(st.o.out_path, checkpoint) != 0)
			cp_tmp_sweep(st.o.out_path);
	}
	/* the network and its values */
	if (go_dag_from_records(&st.dag, &genome, &dagrec, err) < 0)
		goto out;
	st.have_dag = 1;
	if (dcell_from_record(&st.net, &st.dag, &net, err) < 0)
		goto out;
	st.have_net = 1;
	st.o.dcell = st.net.cfg;
	st.o.precision = st.net.prec;
	if (alloc_host_state(&st, err) < 0 || restore_values(&st, &resume, err) < 0)
		goto out;
	/* progress */
	if (int_field(&training, "progress.epoch", 0, st.o.epochs, &v, err) < 0)
		goto out;
	st.epoch = (int)v;
	if (int_field(&training, "progress.step", 0, INT64_MAX, &v, err) < 0)
		goto out;
	st.step = (long)v;
	if (int_field(&training, "progress.best_epoch", 0, st.o.epochs, &v, err) < 0)
		goto out;
	st.best_epoch = (int)v;
	if (int_field(&training, "progress.bad_epochs", 0, st.o.epochs, &v, err) < 0)
		goto out;
	st.bad = (int)v;
	if (cpz_record_float(&training, "progress.best_val", &st.best_val, err) < 0 ||
	    float_field(&training, "progress.lr", 0, 0, NAN, &st.lr_now, err) < 0)
		goto out;
	{
		const cpz_field *f = cpz_record_field(&training, "progress.stopped");

		if (!f || f->kind != CPZ_VALUE_BOOL) {
			cpz_record_error(&training, "progress.stopped", err, "missing");
			goto out;
		}
		st.stopped = f->b;
	}
	/* the data's context and checksums, as they were saved */
	if (read_checksum(&training, "train_checksum", &st, 0, err) < 0 ||
	    read_checksum(&training, "val_checksum", &st, 1, err) < 0 ||
	    cpz_record_reset(&st.data_ctx, "context", err) < 0)
		goto out;
	if (cpz_record_copy_fields(&st.data_ctx, &training, "data.", "", err) < 0)
		goto out;
	/* history */
	{
		size_t n = (size_t)st.epoch;
		char name[160];

		if (load_series(&history, "epoch", &st.h_epoch, n, err) < 0 ||
		    load_series(&history, "lr", &st.h_lr, n, err) < 0 ||
		    load_series(&history, "train_loss", &st.h_train, n, err) < 0 ||
		    load_series(&history, "val_loss", &st.h_val, n, err) < 0)
			goto out;
		for (int k = 0; k < st.net.cfg.n_outputs; k++) {
			const char *label = pert_label_names[st.net.cfg.label[k]];

			snprintf(name, sizeof name, "val_mse.%s", label);
			if (load_series(&history, name, &st.h_mse[k], n, err) < 0)
				goto out;
			snprintf(name, sizeof name, "val_pearson.%s", label);
			if (load_series(&history, name, &st.h_pearson[k], n, err) < 0)
				goto out;
		}
	}
	if (check_only) {
		rc = 0;
		goto out;
	}
	/* the run's inputs, read again or not (the DAG is in the checkpoint),
	 * are still inputs: -o may not replace one */
	{
		const char *paths[3] = { st.o.go_path, st.o.train_path, st.o.val_path };

		for (int i = 0; i < 3; i++) {
			struct stat sb;
			/* a regular file only: a pipe given as --go would block open */
			int fd = *paths[i] && stat(paths[i], &sb) == 0 && S_ISREG(sb.st_mode)
					 ? open(paths[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;

			if (fd >= 0) {
				cp_inputs_note(fd, paths[i]);
				close(fd);
			}
		}
	}
	if (st.epoch >= st.o.epochs || st.stopped) {
		/* nothing to continue: the model still goes where -o says */
		rc = strcmp(st.o.out_path, checkpoint) == 0 || write_checkpoint(&st, err) == 0 ? 1 : -1;
		goto out;
	}
	/* the paths are the run's, as given where it began: say so where one
	 * is not found (resumed from another directory) */
	{
		const char *fields[2] = { "train", "val" };
		const char *paths[2] = { st.o.train_path, st.o.val_path };

		for (int i = 0; i < 2; i++)
			if (*paths[i] && strcmp(paths[i], "-") != 0 && access(paths[i], F_OK) < 0 &&
			    errno == ENOENT) {
				cpz_record_error(&training, fields[i], err, "%s: %s (the path the run was "
						 "given%s)", paths[i], strerror(ENOENT),
						 *paths[i] == '/' ? "" : ", from the directory it began in");
				goto out;
			}
	}
	if (open_data(&st, err) < 0 || probe_output(st.o.out_path, err) < 0)
		goto out;
	if (st.have_sum[0])
		loader_expect_checksum(st.train, st.sum[0]);
	if (st.have_sum[1] && st.val)
		loader_expect_checksum(st.val, st.sum[1]);
	{
		/* the run goes on only with the data it began with */
		const cpz_record *now = loader_context_record(st.train);
		const char *field = cpz_record_diff(now, &st.data_ctx);

		if (field) {
			cpz_record_error(now, field, err,
					 "differs from the training data of the run in %s: --resume needs the stream the run began with",
					 checkpoint);
			goto out;
		}
	}
	if (open_backend(&st, err) < 0 || dcell_run_upload(st.run, st.adam_m, st.adam_v, err) < 0)
		goto out;
	rc = run_epochs(&st, cb, err);
out:
	cpz_reader_close(r);
	cpz_record_free(&genome), cpz_record_free(&dagrec), cpz_record_free(&net);
	cpz_record_free(&training), cpz_record_free(&history), cpz_record_free(&resume);
	state_free(&st);
	return rc;
}

int fit_resume(const char *checkpoint, const char *out_path, int threads, const char *producer,
	       const fit_callbacks *cb, cp_error *err)
{
	(void)producer;
	return resume(checkpoint, out_path, threads, cb, 0, err);
}

int fit_checkpoint_check(const char *checkpoint, cp_error *err)
{
	return resume(checkpoint, NULL, 1, NULL, 1, err);
}
