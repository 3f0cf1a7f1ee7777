/*
 * dcell_sparse_tmpl.h - the sparse DCell numerics for one precision.
 * Private: included twice by dcell_sparse.c with REAL, FN(name), GEMM,
 * GEMV, GER, TANH and TANH_SIMD (the pragma for loops over TANH)
 * defined.  See dcell_sparse.c for the method.
 */

/* Vectors of 32 bytes (GCC and Clang's vector extension: AVX2 registers in
 * the AVX2 clones), NV values each; a panel of the inference weights is two
 * (PW units, 64 bytes). */
typedef REAL FN(vec) __attribute__((vector_size(32)));
typedef REAL FN(uvec) __attribute__((vector_size(32), aligned(sizeof(REAL)), may_alias));
#define NV ((int)(sizeof(FN(vec)) / sizeof(REAL)))
#define PW (2 * NV)
#define VLOAD(p) (*(const FN(uvec) *)(p))
#define VSTORE(p, v) (*(FN(uvec) *)(p) = (v))

/* Column index of term t in the per-term (all terms' columns) arrays. */
#define TCOL(m, t) ((size_t)((m)->act_off[(m)->stratum[t]] + (m)->col_off[t]))

/* The shared input vector of t: its children's shared outputs, then the
 * gene states every unaffected sample has. */
static void FN(shared_input)(const dcell *m, int32_t t, const REAL *osh, REAL *ish)
{
	int64_t off = 0;
	REAL gene_state = m->cfg.gene_present ? (REAL)1 : (REAL)0;

	for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++) {
		int32_t c = m->child[k];

		memcpy(ish + off, osh + TCOL(m, c), (size_t)m->width[c] * sizeof *ish);
		off += m->width[c];
	}
	for (int64_t k = m->gene_ptr[t]; k < m->gene_ptr[t + 1]; k++)
		ish[off++] = gene_state;
}

/* The wild type of one term in inference mode: its pre-activation,
 * activation, output and head outputs (its children's are done). */
static void FN(wild_type_term)(size_t item, int worker, void *ctx)
{
	dcell_sparse *sp = ctx;
	const dcell *m = sp->m;
	const REAL *P = sp->r->params, *Buf = sp->r->buffers;
	REAL *wz = sp->wz, *wa = sp->wa, *wo = sp->wo, *wy = sp->wy, *ish = sp->ws[worker].ish;
	size_t K = (size_t)m->cfg.n_outputs;
	double eps = m->cfg.bn_eps;
	int32_t t = sp->first + (int32_t)item;
	int32_t s = m->stratum[t];
	int L = m->width[t], in = m->in_dim[t];
	size_t col = TCOL(m, t), lc = (size_t)m->col_off[t];
	const REAL *W = P + m->w_off[t], *bias = P + m->bias_off[s] + lc;
	const REAL *gam = P + m->gamma_off[s] + lc, *bet = P + m->beta_off[s] + lc;
	const REAL *rm = Buf + m->rmean_off[s] + lc, *rv = Buf + m->rvar_off[s] + lc;
	const REAL *hw = P + m->head_w_off[s] + lc, *hb;
	size_t Ws = (size_t)m->stratum_width[s];

	REAL *Wp = (REAL *)sp->wtr + sp->wp_off[t], *sc = (REAL *)sp->bsc + col;

	FN(shared_input)(m, t, wo, ish);
	/* W_t in panels of PW units (the padding stays zero), then the
	 * pre-activation from them, each unit's sum in input order (not
	 * OpenBLAS's, which follows the kernels it picks for the CPU) */
	for (int j0 = 0; j0 < L; j0 += PW) {
		REAL *panel = Wp + (size_t)(j0 / PW) * (size_t)in * PW;
		double acc[PW] = { 0 };

		for (int j = j0; j < L && j < j0 + PW; j++)
			for (int k = 0; k < in; k++)
				panel[(size_t)k * PW + (size_t)(j - j0)] = W[(size_t)j * (size_t)in + (size_t)k];
		for (int k = 0; k < in; k++) {
			const REAL *w = panel + (size_t)k * PW;
			double x = ish[k];

#pragma omp simd
			for (int j = 0; j < PW; j++)
				acc[j] += x * w[j];
		}
		for (int j = j0; j < L && j < j0 + PW; j++)
			wz[col + j] = (REAL)(bias[j] + acc[j - j0]);
	}
	for (int j = 0; j < L; j++) {
		double z = wz[col + j], rinv = 1.0 / sqrt((double)rv[j] + eps);

		sc[j] = (REAL)(gam[j] * rinv);

		if (m->cfg.bn_before_tanh) {
			wa[col + j] = (REAL)(gam[j] * (z - rm[j]) * rinv + bet[j]);
			wo[col + j] = TANH(wa[col + j]);
		} else {
			wa[col + j] = TANH((REAL)z);
			wo[col + j] = (REAL)(gam[j] * (wa[col + j] - rm[j]) * rinv + bet[j]);
		}
	}
	hb = P + m->head_b_off[s] + (size_t)(t - m->stratum_ptr[s]) * K;
	for (size_t k = 0; k < K; k++) {
		double y = hb[k];

		for (int j = 0; j < L; j++)
			y += (double)hw[k * Ws + (size_t)j] * wo[col + (size_t)j];
		wy[(size_t)t * K + k] = (REAL)y;
	}
}

/* The wild type through the whole network, cached until the parameters
 * change. */
static void FN(wild_type)(dcell_sparse *sp)
{
	const dcell *m = sp->m;

	if (sp->wt_version == sp->r->params_version)
		return;
	for (size_t s = 0; s < m->n_strata; s++) {
		sp->first = (int32_t)m->stratum_ptr[s];
		cp_parallel_for(sp->r->be, (size_t)(m->stratum_ptr[s + 1] - m->stratum_ptr[s]),
				FN(wild_type_term), sp);
	}
	sp->wt_version = sp->r->params_version;
}

/* Label totals of the batch, then every term of each stratum (the terms of
 * one stratum in parallel: each writes only its own rows and columns). */
typedef struct {
	dcell_sparse *sp;
	const dcell_batch *b;
	int train;
	double *pred;
	int32_t first;		/* the stratum's first term */
	int need_loss;		/* inference: the auxiliary heads too */
} FN(term_job);

/* Training, step 3 of a term: its activation and the batch's BatchNorm
 * statistics, formed from the shared value (the B - nt unaffected
 * samples) and the nt affected rows; a column constant over the batch
 * normalises to exactly zero.  Row by row, the columns side by side (each
 * column's sums still add its rows in order), so every loop over the
 * columns vectorises without changing a result. */
CP_CLONES static void FN(train_normalise)(dcell_sparse *sp, sparse_ws *ws, int32_t t, size_t B, int64_t nt,
					  const REAL *restrict Z, REAL *restrict A, REAL *restrict X,
					  REAL *restrict dO)
{
	const dcell *m = sp->m;
	REAL *P = sp->r->params, *Buf = sp->r->buffers;
	int32_t s = m->stratum[t];
	int L = m->width[t], before = m->cfg.bn_before_tanh;
	size_t col = TCOL(m, t), lc = (size_t)m->col_off[t];
	const REAL *restrict gam = P + m->gamma_off[s] + lc, *restrict bet = P + m->beta_off[s] + lc;
	const REAL *zsh = (const REAL *)sp->zsh + col;
	REAL *restrict rmean = Buf + m->rmean_off[s] + lc, *restrict rvar = Buf + m->rvar_off[s] + lc;
	REAL *restrict ash = (REAL *)sp->ash + col, *restrict osh = (REAL *)sp->osh + col;
	REAL *restrict xhsh = (REAL *)sp->xhsh + col, *restrict mu = (REAL *)sp->mu + col;
	REAL *restrict is = (REAL *)sp->is + col;
	REAL *restrict vs = ws->vec;	/* the shared value of v, the normalised quantity */
	/* per column: sums, then the mean; squares; 1 while constant */
	double *restrict sum = ws->acc, *restrict sq = sum + L, *restrict cst = sq + L;
	double eps = m->cfg.bn_eps, mom = m->cfg.bn_momentum, un = (double)(B - (size_t)nt);

	if (before) {
		for (int j = 0; j < L; j++)
			vs[j] = zsh[j];
	} else {
		TANH_SIMD
		for (int j = 0; j < L; j++)
			vs[j] = TANH(zsh[j]);
		memcpy(ash, vs, (size_t)L * sizeof *vs);
	}
#pragma omp simd
	for (int j = 0; j < L; j++) {
		sum[j] = un * (double)vs[j];
		cst[j] = 1;
	}
	for (int64_t r = 0; r < nt; r++) {
		const REAL *restrict z = Z + r * L;
		REAL *restrict a = A + r * L;

		if (!before) {
			TANH_SIMD
			for (int j = 0; j < L; j++)
				a[j] = TANH(z[j]);
		}
		const REAL *v = before ? z : a;

#pragma omp simd
		for (int j = 0; j < L; j++) {
			cst[j] = v[j] == vs[j] ? cst[j] : 0;
			sum[j] += v[j];
		}
	}
#pragma omp simd
	for (int j = 0; j < L; j++) {
		double m_j = cst[j] != 0 ? (double)vs[j] : sum[j] / (double)B, d = (double)vs[j] - m_j;

		mu[j] = (REAL)m_j;
		sum[j] = m_j;
		sq[j] = cst[j] != 0 ? 0 : un * d * d;
	}
	for (int64_t r = 0; r < nt; r++) {
		const REAL *v = before ? Z + r * L : A + r * L;

#pragma omp simd
		for (int j = 0; j < L; j++) {
			double d = (double)v[j] - sum[j];

			sq[j] += cst[j] != 0 ? 0 : d * d;
		}
	}
	for (int j = 0; j < L; j++) {
		double var = cst[j] != 0 ? 0.0 : sq[j] / (double)B;

		is[j] = (REAL)(1.0 / sqrt(var + eps));
		xhsh[j] = cst[j] != 0 ? (REAL)0 : (REAL)(((double)vs[j] - sum[j]) * (double)is[j]);
		if (before) {
			ash[j] = (REAL)(gam[j] * xhsh[j] + bet[j]);	/* u, before tanh */
			osh[j] = TANH(ash[j]);
		} else {
			osh[j] = gam[j] * xhsh[j] + bet[j];
		}
		rmean[j] = (REAL)((1.0 - mom) * rmean[j] + mom * (double)mu[j]);
		rvar[j] = (REAL)((1.0 - mom) * rvar[j] +
				 mom * (B > 1 ? (double)B / (double)(B - 1) : 1.0) * (double)(REAL)var);
	}
	for (int64_t r = 0; r < nt; r++) {
		const REAL *v = before ? Z + r * L : A + r * L;
		REAL *restrict x = X + r * L, *restrict d = dO + r * L, *a = A + r * L;

#pragma omp simd
		for (int j = 0; j < L; j++)
			x[j] = cst[j] != 0 ? (REAL)0 : (REAL)(((double)v[j] - sum[j]) * (double)is[j]);
		if (before) {
			TANH_SIMD
			for (int j = 0; j < L; j++) {
				a[j] = TANH((gam[j] * x[j] + bet[j]));
				d[j] = a[j] - osh[j];
			}
		} else {
#pragma omp simd
			for (int j = 0; j < L; j++)
				d[j] = gam[j] * (x[j] - xhsh[j]);
		}
	}
}

/* Products of a few sample rows with a block of weights.  With one to a
 * handful of rows, a BLAS call packs the whole block into a buffer it then
 * uses once or twice; these read the block in place and take the rows by
 * pointer (no gathering copies), which spares the memory bandwidth two
 * threads share.  Each result is a sum formed apart, in an order fixed by
 * the shapes, then added to its target (more rows go to BLAS, which may
 * round differently: results are repeatable, not those of BLAS). */
#define SMALL_ROWS 4		/* rows a pass of the dot and row kernels keeps in registers */
/* The most rows given to each kernel; past these BLAS was faster
 * (per-call timers on the real DAG, batches of 256). */
#define SMALL_DOTS_MAX 2
#define SMALL_ROWS_MAX 4
#define SMALL_OUTER_MAX 4

/* Sum of a vector's lanes, in lane order. */
CP_INLINE REAL FN(fold)(const FN(vec) *a)
{
	REAL s = (*a)[0];

	for (int l = 1; l < NV; l++)
		s += (*a)[l];
	return s;
}

/* z[i][j] += d[i] . W[j] (K values each, W's rows ldw apart) for i < R,
 * j < n: lane-wise partial sums over the input, folded, then the tail. */
CP_INLINE void FN(dots_pass)(int R, int n, int K, const REAL *const *d, const REAL *W, size_t ldw,
			     REAL *const *z)
{
	int kv = K - K % NV;

	for (int j = 0; j < n; j++) {
		const REAL *w = W + (size_t)j * ldw;
		FN(vec) a0 = { 0 }, a1 = a0, a2 = a0, a3 = a0;
		REAL s0, s1 = 0, s2 = 0, s3 = 0;

		for (int k = 0; k < kv; k += NV) {
			FN(vec) x = VLOAD(w + k);

			a0 += VLOAD(d[0] + k) * x;
			if (R > 1)
				a1 += VLOAD(d[1] + k) * x;
			if (R > 2)
				a2 += VLOAD(d[2] + k) * x;
			if (R > 3)
				a3 += VLOAD(d[3] + k) * x;
		}
		s0 = FN(fold)(&a0);
		if (R > 1)
			s1 = FN(fold)(&a1);
		if (R > 2)
			s2 = FN(fold)(&a2);
		if (R > 3)
			s3 = FN(fold)(&a3);
		for (int k = kv; k < K; k++) {
			s0 += d[0][k] * w[k];
			if (R > 1)
				s1 += d[1][k] * w[k];
			if (R > 2)
				s2 += d[2][k] * w[k];
			if (R > 3)
				s3 += d[3][k] * w[k];
		}
		z[0][j] += s0;
		if (R > 1)
			z[1][j] += s1;
		if (R > 2)
			z[2][j] += s2;
		if (R > 3)
			z[3][j] += s3;
	}
}

/* c[i][j] += sum_k a[i][k] W[k][j] (W's K rows ldw apart) for i < R,
 * j < n: each sum in input order, from zero. */
CP_INLINE void FN(rows_pass)(int R, int n, int K, const REAL *const *a, const REAL *W, size_t ldw,
			     REAL *const *c)
{
	int j = 0;

	for (; j + 2 * NV <= n; j += 2 * NV) {
		FN(vec) p0 = { 0 }, p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;

		for (int k = 0; k < K; k++) {
			const REAL *w = W + (size_t)k * ldw + j;
			FN(vec) x = VLOAD(w), y = VLOAD(w + NV);

			p0 += a[0][k] * x, q0 += a[0][k] * y;
			if (R > 1)
				p1 += a[1][k] * x, q1 += a[1][k] * y;
			if (R > 2)
				p2 += a[2][k] * x, q2 += a[2][k] * y;
			if (R > 3)
				p3 += a[3][k] * x, q3 += a[3][k] * y;
		}
		VSTORE(c[0] + j, VLOAD(c[0] + j) + p0), VSTORE(c[0] + j + NV, VLOAD(c[0] + j + NV) + q0);
		if (R > 1)
			VSTORE(c[1] + j, VLOAD(c[1] + j) + p1), VSTORE(c[1] + j + NV, VLOAD(c[1] + j + NV) + q1);
		if (R > 2)
			VSTORE(c[2] + j, VLOAD(c[2] + j) + p2), VSTORE(c[2] + j + NV, VLOAD(c[2] + j + NV) + q2);
		if (R > 3)
			VSTORE(c[3] + j, VLOAD(c[3] + j) + p3), VSTORE(c[3] + j + NV, VLOAD(c[3] + j + NV) + q3);
	}
	for (; j + NV <= n; j += NV) {
		FN(vec) p0 = { 0 }, p1 = p0, p2 = p0, p3 = p0;

		for (int k = 0; k < K; k++) {
			FN(vec) x = VLOAD(W + (size_t)k * ldw + j);

			p0 += a[0][k] * x;
			if (R > 1)
				p1 += a[1][k] * x;
			if (R > 2)
				p2 += a[2][k] * x;
			if (R > 3)
				p3 += a[3][k] * x;
		}
		VSTORE(c[0] + j, VLOAD(c[0] + j) + p0);
		if (R > 1)
			VSTORE(c[1] + j, VLOAD(c[1] + j) + p1);
		if (R > 2)
			VSTORE(c[2] + j, VLOAD(c[2] + j) + p2);
		if (R > 3)
			VSTORE(c[3] + j, VLOAD(c[3] + j) + p3);
	}
	for (; j < n; j++) {
		REAL s0 = 0, s1 = 0, s2 = 0, s3 = 0;

		for (int k = 0; k < K; k++) {
			REAL x = W[(size_t)k * ldw + (size_t)j];

			s0 += a[0][k] * x;
			if (R > 1)
				s1 += a[1][k] * x;
			if (R > 2)
				s2 += a[2][k] * x;
			if (R > 3)
				s3 += a[3][k] * x;
		}
		c[0][j] += s0;
		if (R > 1)
			c[1][j] += s1;
		if (R > 2)
			c[2][j] += s2;
		if (R > 3)
			c[3][j] += s3;
	}
}

/* The forward's children: z[i] += d[i] W^T for i < R (any R), W being n
 * rows of K inputs, ldw apart. */
CP_CLONES static void FN(small_dots)(int R, int n, int K, const REAL *const *d, const REAL *W, size_t ldw,
				     REAL *const *z)
{
	for (int i = 0; i < R; i += SMALL_ROWS) {
		switch (R - i < SMALL_ROWS ? R - i : SMALL_ROWS) {
		case 4: FN(dots_pass)(4, n, K, d + i, W, ldw, z + i); break;
		case 3: FN(dots_pass)(3, n, K, d + i, W, ldw, z + i); break;
		case 2: FN(dots_pass)(2, n, K, d + i, W, ldw, z + i); break;
		default: FN(dots_pass)(1, n, K, d + i, W, ldw, z + i); break;
		}
	}
}

/* The gradient from a parent: c[i] += a[i] W for i < R (any R), W being
 * K rows of n values, ldw apart. */
CP_CLONES static void FN(small_rows)(int R, int n, int K, const REAL *const *a, const REAL *W, size_t ldw,
				     REAL *const *c)
{
	for (int i = 0; i < R; i += SMALL_ROWS) {
		switch (R - i < SMALL_ROWS ? R - i : SMALL_ROWS) {
		case 4: FN(rows_pass)(4, n, K, a + i, W, ldw, c + i); break;
		case 3: FN(rows_pass)(3, n, K, a + i, W, ldw, c + i); break;
		case 2: FN(rows_pass)(2, n, K, a + i, W, ldw, c + i); break;
		default: FN(rows_pass)(1, n, K, a + i, W, ldw, c + i); break;
		}
	}
}

/* A weight gradient block: C[i][j] += sum_r g[r][i] o[r][j] for i < m,
 * j < n (C's rows ldc apart), each sum over the R rows in row order. */
CP_CLONES static void FN(small_outer)(int R, int m, int n, const REAL *const *g, const REAL *const *o, REAL *C,
				      size_t ldc)
{
	for (int i = 0; i < m; i++) {
		REAL *restrict c = C + (size_t)i * ldc;
		int j = 0;

		for (; j + NV <= n; j += NV) {
			FN(vec) acc = g[0][i] * VLOAD(o[0] + j);

			for (int r = 1; r < R; r++)
				acc += g[r][i] * VLOAD(o[r] + j);
			VSTORE(c + j, VLOAD(c + j) + acc);
		}
		for (; j < n; j++) {
			REAL s = g[0][i] * o[0][j];

			for (int r = 1; r < R; r++)
				s += g[r][i] * o[r][j];
			c[j] += s;
		}
	}
}

CP_CLONES static void FN(term_forward)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell_batch *b = job->b;
	int train = job->train;
	double *pred = job->pred;
	int32_t t = job->first + (int32_t)item;
	sparse_ws *ws = &sp->ws[worker];
	const dcell *m = sp->m;
	REAL *P = sp->r->params;
	size_t K = (size_t)m->cfg.n_outputs, B = b->n;
	REAL *zsh = sp->zsh, *osh = sp->osh, *ysh = sp->ysh, *ish = ws->ish, *tmp = ws->tmp;
	REAL *rz = sp->rz, *ra = sp->ra, *rxh = sp->rxh, *rdo = sp->rdo, *rdy = sp->rdy;
	REAL *dyun = sp->dyun;
	double total = 0;
	REAL delta = m->cfg.gene_present ? (REAL)-1 : (REAL)1;

	{
		int32_t s = m->stratum[t];
		int L = m->width[t], in = m->in_dim[t], ldw = in > 0 ? in : 1;
		size_t col = TCOL(m, t), lc = (size_t)m->col_off[t];
		size_t Ws = (size_t)m->stratum_width[s];
		const REAL *W = P + m->w_off[t];
		const REAL *hw = P + m->head_w_off[s] + lc;
		const REAL *hb = P + m->head_b_off[s] + (size_t)(t - m->stratum_ptr[s]) * K;
		int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t], cin = 0;
		const int32_t *rows = sp->s_idx + sp->s_ptr[t];
		REAL *Z = rz + sp->e_off[t], *A = ra + sp->e_off[t], *X = rxh + sp->e_off[t];
		REAL *dO = rdo + sp->e_off[t];

		/* 1. the shared pre-activation, this batch's */
		if (train) {
			FN(shared_input)(m, t, osh, ish);
			memcpy(zsh + col, P + m->bias_off[s] + lc, (size_t)L * sizeof *zsh);
			GEMV(CblasRowMajor, CblasNoTrans, L, in, 1, W, ldw, ish, 1, 1, zsh + col, 1);
			ws->flops += 2.0 * L * in;
		}
		/* 2. the affected samples' pre-activations */
		if (nt > 0) {
			memset(Z, 0, (size_t)(nt * L) * sizeof *Z);
			for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++) {
				int32_t c = m->child[k];
				int Lc = m->width[c];
				int64_t nc = sp->s_ptr[c + 1] - sp->s_ptr[c];

				if (nc > 0 && nc <= SMALL_DOTS_MAX) {
					const REAL *d[SMALL_DOTS_MAX];
					REAL *z[SMALL_DOTS_MAX];

					positions(sp, c, t, ws->pos);
					for (int64_t i = 0; i < nc; i++)
						d[i] = rdo + sp->e_off[c] + i * Lc, z[i] = Z + ws->pos[i] * L;
					FN(small_dots)((int)nc, L, Lc, d, W + cin, (size_t)in, z);
				} else if (nc > 0) {
					GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nc, L, Lc, 1,
					     rdo + sp->e_off[c], Lc, W + cin, in, 0, tmp, L);
					positions(sp, c, t, ws->pos);
					for (int64_t i = 0; i < nc; i++) {
						REAL *zr = Z + ws->pos[i] * L, *tr = tmp + i * L;

						for (int j = 0; j < L; j++)
							zr[j] += tr[j];
					}
				}
				ws->flops += 2.0 * (double)nc * L * Lc;
				cin += Lc;
			}
			for (int64_t r = 0; r < nt; r++) {
				int32_t i = rows[r];

				for (int64_t k = b->gene_ptr[i]; k < b->gene_ptr[i + 1]; k++) {
					int64_t q = gene_column(m, t, b->gene[k], cin);

					if (q < 0)
						continue;
					for (int j = 0; j < L; j++)
						Z[r * L + j] += delta * W[(size_t)j * (size_t)in + (size_t)q];
				}
				for (int j = 0; j < L; j++)
					Z[r * L + j] += zsh[col + j];
			}
		}
		/* 3. activation and normalisation */
		if (train)
			FN(train_normalise)(sp, ws, t, B, nt, Z, A, X, dO);
		/* 4. heads: the shared output, then the affected rows' deltas */
		if (train)
			for (size_t k = 0; k < K; k++) {
				double y = hb[k];

				for (int j = 0; j < L; j++)
					y += (double)hw[k * Ws + (size_t)j] * osh[col + (size_t)j];
				ysh[(size_t)t * K + k] = (REAL)y;
			}
		{
			REAL *Y = rdy + (size_t)sp->s_ptr[t] * K;	/* predictions first, gradients after */
			double scale = head_scale(m, t);

			if (nt > 0) {
				GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nt, (int)K, L, 1, dO, L, hw,
				     (int)Ws, 0, tmp, (int)K);
				ws->flops += 2.0 * (double)nt * L * (double)K;
			}
			for (size_t k = 0; k < K; k++) {
				double y0 = ysh[(size_t)t * K + k], aff_n = 0, aff_s = 0, aff_q = 0, lk = 0;
				double nk = sp->tot_n[k];

				for (int64_t r = 0; r < nt; r++) {
					double y = y0 + tmp[r * (int64_t)K + (int64_t)k];
					double target = b->target ? b->target[(size_t)rows[r] * K + k] : NAN;

					if ((size_t)t + 1 == m->n_terms && pred)
						pred[(size_t)rows[r] * K + k] = y;
					Y[(size_t)r * K + k] = (REAL)y;
					if (isnan(target) || nk == 0)
						continue;
					aff_n++, aff_s += target, aff_q += target * target;
					lk += (y - target) * (y - target);
				}
				if (nk > 0) {
					double un = nk - aff_n, t1 = sp->tot_s[k] - aff_s, t2 = sp->tot_q[k] - aff_q;

					lk += un * y0 * y0 - 2 * y0 * t1 + t2;
					total += scale * lk / nk;
					dyun[(size_t)t * K + k] = (REAL)(2 * scale * (un * y0 - t1) / nk);
				} else {
					dyun[(size_t)t * K + k] = 0;
				}
			}
			if ((size_t)t + 1 == m->n_terms && pred) {
				/* samples that touch no annotated gene keep the shared prediction */
				for (size_t i = 0, r = 0; i < B; i++) {
					if (r < (size_t)nt && rows[r] == (int32_t)i) {
						r++;
						continue;
					}
					for (size_t k = 0; k < K; k++)
						pred[i * K + k] = ysh[(size_t)t * K + k];
				}
			}
		}
	}
	sp->term_loss[t] = total;
}

/* Z's rows zr[0 .. n) (ldz apart, Z's first column being column zc0) +=
 * V's rows vr[0 .. n) (Lc values each) times the panels of weights wp (Lc
 * rows of PW values each, panels pst apart), columns [j0, j1) (j0 a
 * multiple of PW).  Each z[j] adds its Lc
 * products in input order, one multiply and one add each, so a row's
 * result depends neither on the other rows nor on the split of the
 * columns; four rows share each load of the weights. */
/* R rows (1 to 4; a constant once inlined) of one panel: z[q] (nv
 * vectors) += d[q][k] times the panel's row k, for k in input order.
 * Named accumulators, so that they stay in registers. */
CP_INLINE void FN(panel_rows)(REAL *const *z, const REAL *const *d, int R, int nv, const REAL *restrict w, int Lc)
{
	const REAL *d0 = d[0], *d1 = R > 1 ? d[1] : d0, *d2 = R > 2 ? d[2] : d0, *d3 = R > 3 ? d[3] : d0;
	FN(vec) a0 = VLOAD(z[0]), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;

	if (R > 1)
		a1 = VLOAD(z[1]);
	if (R > 2)
		a2 = VLOAD(z[2]);
	if (R > 3)
		a3 = VLOAD(z[3]);
	if (nv == 2) {
		c0 = VLOAD(z[0] + NV);
		if (R > 1)
			c1 = VLOAD(z[1] + NV);
		if (R > 2)
			c2 = VLOAD(z[2] + NV);
		if (R > 3)
			c3 = VLOAD(z[3] + NV);
	}
	for (int k = 0; k < Lc; k++) {
		FN(vec) w0 = VLOAD(w + (size_t)k * PW), w1 = w0;

		a0 += d0[k] * w0;
		if (R > 1)
			a1 += d1[k] * w0;
		if (R > 2)
			a2 += d2[k] * w0;
		if (R > 3)
			a3 += d3[k] * w0;
		if (nv == 2) {
			w1 = VLOAD(w + (size_t)k * PW + NV);
			c0 += d0[k] * w1;
			if (R > 1)
				c1 += d1[k] * w1;
			if (R > 2)
				c2 += d2[k] * w1;
			if (R > 3)
				c3 += d3[k] * w1;
		}
	}
	VSTORE(z[0], a0);
	if (R > 1)
		VSTORE(z[1], a1);
	if (R > 2)
		VSTORE(z[2], a2);
	if (R > 3)
		VSTORE(z[3], a3);
	if (nv == 2) {
		VSTORE(z[0] + NV, c0);
		if (R > 1)
			VSTORE(z[1] + NV, c1);
		if (R > 2)
			VSTORE(z[2] + NV, c2);
		if (R > 3)
			VSTORE(z[3] + NV, c3);
	}
}

CP_INLINE void FN(add_rows)(REAL *restrict Z, int ldz, int zc0, const int64_t *zr, const int64_t *vr, int n,
			    const REAL *restrict V, const REAL *restrict wp, size_t pst, int Lc, int j0, int j1)
{
	for (int j = j0; j < j1; j += PW) {
		const REAL *w = wp + (size_t)(j / PW) * pst;
		int nj = j1 - j < PW ? j1 - j : PW, nv = nj > NV ? 2 : 1;
		REAL zb[4][PW];	/* a last panel's rows, nj used */

		if (n > 0 && j + PW < j1)
			for (int k = 0; k < Lc; k++)
				__builtin_prefetch(w + pst + (size_t)k * PW, 0, 1);
		for (int i = 0; i < n; i += 4) {
			int R = n - i < 4 ? n - i : 4;
			REAL *z[4];
			const REAL *d[4];

			for (int q = 0; q < R; q++) {
				z[q] = Z + zr[i + q] * ldz + (j - zc0);
				d[q] = V + vr[i + q] * Lc;
				if (nj < PW) {
					memcpy(zb[q], z[q], (size_t)nj * sizeof **zb);
					z[q] = zb[q];
				}
			}
			if (nv == 2) {
				switch (R) {
				case 4: FN(panel_rows)(z, d, 4, 2, w, Lc); break;
				case 3: FN(panel_rows)(z, d, 3, 2, w, Lc); break;
				case 2: FN(panel_rows)(z, d, 2, 2, w, Lc); break;
				default: FN(panel_rows)(z, d, 1, 2, w, Lc); break;
				}
			} else {
				switch (R) {
				case 4: FN(panel_rows)(z, d, 4, 1, w, Lc); break;
				case 3: FN(panel_rows)(z, d, 3, 1, w, Lc); break;
				case 2: FN(panel_rows)(z, d, 2, 1, w, Lc); break;
				default: FN(panel_rows)(z, d, 1, 1, w, Lc); break;
				}
			}
			if (nj < PW)
				for (int q = 0; q < R; q++)
					memcpy(Z + zr[i + q] * ldz + (j - zc0), zb[q], (size_t)nj * sizeof **zb);
		}
	}
}

/* z[0 .. L) += x times input column q of the panels wp (pst apart). */
CP_INLINE void FN(add_input)(REAL *restrict z, REAL x, const REAL *restrict wp, size_t pst, int q, int L)
{
	for (int j0 = 0; j0 < L; j0 += PW) {
		const REAL *w = wp + (size_t)(j0 / PW) * pst + (size_t)q * PW;
		int nj = L - j0 < PW ? L - j0 : PW;

#pragma omp simd
		for (int j = 0; j < nj; j++)
			z[j0 + j] += x * w[j];
	}
}

/* Inference: a term's output and its change from the wild type for
 * columns [j0, j1) of one row, from its change in pre-activation z. */
CP_INLINE void FN(activate)(const dcell *m, const REAL *restrict z, REAL *restrict a, REAL *restrict d,
			    const REAL *zw, const REAL *sc, const REAL *rmean, const REAL *bet,
			    const REAL *aw, const REAL *ow, int j0, int j1)
{
	if (m->cfg.bn_before_tanh) {
		TANH_SIMD
		for (int j = j0; j < j1; j++) {
			a[j] = TANH(sc[j] * ((zw[j] + z[j]) - rmean[j]) + bet[j]);	/* the output itself */
			d[j] = a[j] - ow[j];
		}
	} else {
		TANH_SIMD
		for (int j = j0; j < j1; j++) {
			a[j] = TANH(zw[j] + z[j]);
			d[j] = sc[j] * (a[j] - aw[j]);
		}
	}
}

/* Columns [j0, j1) of one row of term t (wild type at column col). */
CP_INLINE void FN(activate_cols)(const dcell_sparse *sp, int32_t t, const REAL *z, REAL *a, REAL *d, int j0,
				 int j1)
{
	const dcell *m = sp->m;
	const REAL *P = sp->r->params, *Buf = sp->r->buffers;
	int32_t s = m->stratum[t];
	size_t col = TCOL(m, t), lc = (size_t)m->col_off[t];
	const REAL *zw = (const REAL *)sp->wz + col, *aw = (const REAL *)sp->wa + col;
	const REAL *ow = (const REAL *)sp->wo + col, *sc = (const REAL *)sp->bsc + col;
	const REAL *bet = P + m->beta_off[s] + lc, *rmean = Buf + m->rmean_off[s] + lc;

	FN(activate)(m, z, a, d, zw, sc, rmean, bet, aw, ow, j0, j1);
}

/* One row of term t: whole vectors, then the last 8 again (the same
 * values), so there is no scalar tail. */
CP_INLINE void FN(activate_row)(const dcell_sparse *sp, int32_t t, const REAL *z, REAL *a, REAL *d)
{
	int L = sp->m->width[t];

	if (L < 8) {
		FN(activate_cols)(sp, t, z, a, d, 0, L);
		return;
	}
	FN(activate_cols)(sp, t, z, a, d, 0, L & ~7);
	if (L & 7)
		FN(activate_cols)(sp, t, z, a, d, L - 8, L);
}

/* Inference: the rows r0 <= r < r1 of t (at: sample -> t's row) whose
 * samples change child c's output, and, with a cache, delete two or more
 * of c's genes (a child's genes are its parent's: two there, two here):
 * the rows written to (loc[r - r0], or r without loc) in sel[0 .. n), c's
 * rows in sel[B ..]; their number n. */
CP_INLINE int FN(child_rows)(const dcell_sparse *sp, int32_t t, int32_t c, const int64_t *at, const int64_t *loc,
			      int64_t r0, int64_t r1, int64_t *sel, size_t B)
{
	const int32_t *rows = sp->s_idx + sp->s_ptr[t], *cs = sp->s_idx + sp->s_ptr[c];
	const uint8_t *cc = sp->s_cnt + sp->s_ptr[c];
	int64_t nc = sp->s_ptr[c + 1] - sp->s_ptr[c];
	int n = 0, min = loc ? 2 : 0;

	for (int64_t i = 0; i < nc; i++) {
		int64_t r = at[cs[i]];

		if (cc[i] < min || r < r0 || r >= r1 || rows[r] != cs[i])
			continue;
		sel[n] = loc ? loc[r - r0] : r;
		sel[B + (size_t)n++] = i;
	}
	return n;
}

/* Inference: Z (rows ldz apart, Z's first column being column j0) += each
 * changed child's rows of V (rdo or rg) times its weights, columns
 * [j0, j1) (see child_rows for the rows).  Each child with rows is found
 * one ahead, so that its first panel of weights is on its way while the
 * one before is added; sel holds 4 x B.  Returns the children's width,
 * where t's gene columns start. */
CP_INLINE int64_t FN(add_children)(const dcell_sparse *sp, int32_t t, REAL *Z, int ldz, int j0, int j1,
				   const int64_t *at, const int64_t *loc, int64_t r0, int64_t r1, const REAL *V,
				   int64_t *sel_buf, size_t B, double *flops)
{
	const dcell *m = sp->m;
	const REAL *Wp = (const REAL *)sp->wtr + sp->wp_off[t];
	size_t pst = (size_t)m->in_dim[t] * PW;	/* panel to panel */
	int64_t k = m->child_ptr[t], ke = m->child_ptr[t + 1], cin = 0, *sel[2] = { sel_buf, sel_buf + 2 * B };
	int cur = 0, n = 0;

	for (; k < ke; cin += m->width[m->child[k++]])
		if ((n = FN(child_rows)(sp, t, m->child[k], at, loc, r0, r1, sel[cur], B)) > 0)
			break;
	while (k < ke) {
		int32_t c = m->child[k];
		int Lc = m->width[c], nn = 0;
		int64_t kn = k + 1, cn = cin + Lc;

		for (; kn < ke; cn += m->width[m->child[kn++]])
			if ((nn = FN(child_rows)(sp, t, m->child[kn], at, loc, r0, r1, sel[!cur], B)) > 0)
				break;
		if (kn < ke)
			for (int q = 0, Ln = m->width[m->child[kn]]; q < Ln; q++)
				__builtin_prefetch(Wp + (size_t)(j0 / PW) * pst + (size_t)(cn + q) * PW, 0, 1);
		FN(add_rows)(Z, ldz, j0, sel[cur], sel[cur] + B, n, V + sp->e_off[c], Wp + (size_t)cin * PW, pst, Lc,
			     j0, j1);
		*flops += 2.0 * Lc * (j1 - j0) * n;
		k = kn, cin = cn, n = nn, cur = !cur;
	}
	for (; k < ke; k++)
		cin += m->width[m->child[k]];
	return cin;
}

/* Inference, one work item: rows [r0, r1) of term t's affected samples,
 * from the wild type and the changed children's output deltas.  Rows are
 * independent here (BatchNorm uses its running statistics), so a wide
 * term's rows are split over several items; each row is computed the same
 * way in any split, on any thread. */
CP_CLONES static void FN(infer_item)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell_batch *b = job->b;
	const struct infer_item *it = &sp->items[item];
	const dcell *m = sp->m;
	const REAL *P = sp->r->params, *wy = sp->wy;
	int32_t t = it->t, s = m->stratum[t];
	int64_t r0 = it->r0, r1 = it->r1, nt = sp->s_ptr[t + 1] - sp->s_ptr[t], cin = 0;
	int L = m->width[t];
	size_t K = (size_t)m->cfg.n_outputs, B = b->n, Ws = (size_t)m->stratum_width[s];
	size_t lc = (size_t)m->col_off[t];
	const REAL *Wp = (const REAL *)sp->wtr + sp->wp_off[t];
	size_t pst = (size_t)m->in_dim[t] * PW;	/* panel to panel */
	const REAL *hw = P + m->head_w_off[s] + lc;
	const int32_t *rows = sp->s_idx + sp->s_ptr[t];
	REAL *Z = (REAL *)sp->rz + sp->e_off[t], *A = (REAL *)sp->ra + sp->e_off[t];
	REAL *dO = (REAL *)sp->rdo + sp->e_off[t];
	REAL delta = m->cfg.gene_present ? (REAL)-1 : (REAL)1;
	int64_t *at = sp->ws[worker].pos;	/* sample -> row, valid for this item's rows */
	int64_t *zr = sp->ws[worker].sel;	/* the children's rows (add_children) */
	int root = (size_t)t + 1 == m->n_terms;
	double total = 0, flops = 0;

	for (int64_t r = r0; r < r1; r++) {
		at[rows[r]] = r;
		memset(Z + r * L, 0, (size_t)L * sizeof *Z);
	}
	/* 1. the changed children's columns, then the deleted direct genes' */
	cin = FN(add_children)(sp, t, Z, L, 0, L, at, NULL, r0, r1, (const REAL *)sp->rdo, zr, B, &flops);
	for (int64_t r = r0; r < r1; r++) {
		int32_t i = rows[r];
		REAL *z = Z + r * L;

		for (int64_t k = b->gene_ptr[i]; k < b->gene_ptr[i + 1]; k++) {
			int64_t q = gene_column(m, t, b->gene[k], cin);

			if (q >= 0)
				FN(add_input)(z, delta, Wp, pst, (int)q, L);
		}
		/* 2. activation and normalisation with the running statistics */
		FN(activate_row)(sp, t, z, A + r * L, dO + r * L);
	}
	/* 3. heads: the root's always (the predictions), the others' for the loss */
	if (root || job->need_loss) {
		double scale = head_scale(m, t);

		for (size_t k = 0; k < K; k++) {
			const REAL *h = hw + k * Ws;
			double y0 = wy[(size_t)t * K + k], nk = sp->tot_n[k], lk = 0;

			for (int64_t r = r0; r < r1; r++) {
				const REAL *d = dO + r * L;
				double y = y0, target = b->target ? b->target[(size_t)rows[r] * K + k] : NAN;

				for (int j = 0; j < L; j++)
					y += (double)h[j] * d[j];
				if (root && job->pred)
					job->pred[(size_t)rows[r] * K + k] = y;
				if (!isnan(target) && nk > 0)
					lk += (y - target) * (y - target) - (y0 - target) * (y0 - target);
			}
			/* the first item of t: every sample at the wild type's value */
			if (r0 == 0 && nk > 0)
				lk += nk * y0 * y0 - 2 * y0 * sp->tot_s[k] + sp->tot_q[k];
			if (nk > 0)
				total += scale * lk / nk;
			if (root && job->pred && r0 == 0)
				for (size_t i = 0, r = 0; i < B; i++) {
					if (r < (size_t)nt && rows[r] == (int32_t)i) {
						r++;
						continue;
					}
					job->pred[i * K + k] = y0;
				}
		}
	}
	sp->item_loss[item] = total;
	sp->ws[worker].flops += flops;
}

/* The cached change of gene g's single deletion at term t: in
 * pre-activation (out = 0) or output (out = 1); NULL if t lacks g. */
static const REAL *FN(cached)(const dcell_sparse *sp, int32_t g, int32_t t, int out)
{
	const dcell *m = sp->m;
	int64_t lo = m->cont_ptr[g], hi = m->cont_ptr[g + 1];

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (m->cont_term[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->cont_ptr[g + 1] || m->cont_term[lo] != t)
		return NULL;
	return (const REAL *)sp->gc + sp->gc_off[g] + 2 * sp->gc_loff[lo] + (out ? m->width[t] : 0);
}

/* Inference with the per-gene cache, one work item: columns [r0, r1) of
 * term t for those of its rows [m0, m1) whose samples delete two or more
 * of t's genes.  The change in pre-activation is the sum of those genes'
 * cached changes, plus, for each child that also contains two or more, the
 * child's weights times its output change less its genes' cached output
 * changes.  Only that last quantity (what t's parents need) is kept, in rg,
 * and the root's output change (the predictions'), in rdo; the change in
 * pre-activation lives in the thread's scratch.  Wide terms are split by
 * columns, so each item reads only its part of the weights; narrow ones
 * with many rows (the root) by rows. */
CP_CLONES static void FN(infer_cached_item)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell_batch *b = job->b;
	const struct infer_item *it = &sp->items[item];
	const dcell *m = sp->m;
	int32_t t = it->t;
	int j0 = it->r0, j1 = it->r1, nj = j1 - j0;
	int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t], m0 = it->m0, m1 = it->m1, nm = 0;
	int L = m->width[t], root = (size_t)t + 1 == m->n_terms;
	const int32_t *rows = sp->s_idx + sp->s_ptr[t];
	const uint8_t *cnt = sp->s_cnt + sp->s_ptr[t];
	REAL *Z = sp->ws[worker].tmp;	/* the item's rows, nj columns each */
	REAL *dO = (REAL *)sp->rdo + sp->e_off[t], *dC = (REAL *)sp->rg + sp->e_off[t];
	int64_t *at = sp->ws[worker].pos;	/* sample -> row, valid for t's rows */
	int64_t *loc = sp->ws[worker].loc;	/* row - m0 -> the item's row */
	int64_t *zr = sp->ws[worker].sel;	/* two children's rows, 2 x B each (add_children) */
	const REAL **gp = (const REAL **)sp->ws[worker].gp;	/* per gene of the batch: its cached block at t */
	double flops = 0;

	/* the genes' cached changes, scattered over memory: found and asked for
	 * all at once (pre-activation and output, this item's columns), then
	 * summed: z the pre-activation's, dC less the output's */
	for (int64_t r = 0; r < nt; r++)
		at[rows[r]] = r;
	for (int64_t r = m0; r < m1; r++) {
		if (cnt[r] < 2)
			continue;
		loc[r - m0] = nm++;
		for (int64_t k = b->gene_ptr[rows[r]]; k < b->gene_ptr[rows[r] + 1]; k++) {
			/* t's place in the gene's list, from build_sets */
			int64_t c = sp->s_cont[(size_t)(sp->s_ptr[t] + r) * sp->s_gmax +
					       (size_t)(k - b->gene_ptr[rows[r]])];
			const REAL *dz = gp[k] = c < 0 ? NULL
							: (const REAL *)sp->gc + sp->gc_off[b->gene[k]] +
								  2 * sp->gc_loff[c];

			for (int j = j0; dz && j < j1; j += 64 / (int)sizeof(REAL)) {
				__builtin_prefetch(dz + j, 0, 1);
				__builtin_prefetch(dz + L + j, 0, 1);
			}
		}
	}
	for (int64_t r = m0; r < m1; r++) {
		if (cnt[r] < 2)
			continue;

		REAL *restrict z = Z + loc[r - m0] * nj, *restrict v = dC + r * L + j0;
		int first = 1;

		for (int64_t k = b->gene_ptr[rows[r]]; k < b->gene_ptr[rows[r] + 1]; k++) {
			const REAL *restrict dz, *restrict dg;

			if (!gp[k])
				continue;
			dz = gp[k] + j0, dg = gp[k] + L + j0;
			if (first) {
#pragma omp simd
				for (int j = 0; j < nj; j++) {
					z[j] = dz[j];
					v[j] = -dg[j];
				}
				first = 0;
				continue;
			}
#pragma omp simd
			for (int j = 0; j < nj; j++) {
				z[j] += dz[j];
				v[j] -= dg[j];
			}
		}
	}
	FN(add_children)(sp, t, Z, nj, j0, j1, at, loc, m0, m1, (const REAL *)sp->rg, zr, b->n, &flops);
	{
		const REAL *P = sp->r->params, *Buf = sp->r->buffers;
		int32_t s = m->stratum[t];
		size_t col = TCOL(m, t), lc = (size_t)m->col_off[t];
		const REAL *restrict zw = (const REAL *)sp->wz + col + j0, *restrict aw = (const REAL *)sp->wa + col + j0;
		const REAL *restrict ow = (const REAL *)sp->wo + col + j0, *restrict sc = (const REAL *)sp->bsc + col + j0;
		const REAL *restrict bet = P + m->beta_off[s] + lc + j0;
		const REAL *restrict rmean = Buf + m->rmean_off[s] + lc + j0;
		int before = m->cfg.bn_before_tanh;

		/* the output's change (the root's kept), and what the parents add:
		 * that change less the genes' cached changes */
		for (int64_t r = m0; r < m1; r++) {
			if (cnt[r] < 2)
				continue;

			const REAL *restrict z = Z + loc[r - m0] * nj;
			REAL *restrict v = dC + r * L + j0, *restrict o = dO + r * L + j0;

			if (before) {
				TANH_SIMD
				for (int j = 0; j < nj; j++) {
					REAL d = TANH(sc[j] * ((zw[j] + z[j]) - rmean[j]) + bet[j]) - ow[j];

					v[j] += d;
					if (root)
						o[j] = d;
				}
			} else {
				TANH_SIMD
				for (int j = 0; j < nj; j++) {
					REAL d = sc[j] * (TANH(zw[j] + z[j]) - aw[j]);

					v[j] += d;
					if (root)
						o[j] = d;
				}
			}
		}
	}
	sp->ws[worker].flops += flops;
}

/* An item of the cached path once its term's children that have items
 * are done: items are taken in stratum order, so what it waits for is
 * done or being done by another thread.  Each term's count of items left
 * falls as they finish. */
static void FN(infer_cached_after)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell *m = sp->m;
	int32_t t = sp->items[item].t;

	for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++)
		while (__atomic_load_n(&sp->t_left[m->child[k]], __ATOMIC_ACQUIRE) > 0)
			CP_PAUSE();
	FN(infer_cached_item)(item, worker, ctx);
	__atomic_fetch_sub(&sp->t_left[t], 1, __ATOMIC_RELEASE);
}

/* Root predictions with the cache: two or more genes in the root from its
 * computed row (the sets hold only those, build_sets' multi), one from
 * that gene's cached prediction, none: wild type. */
static void FN(cached_predictions)(dcell_sparse *sp, const dcell_batch *b, double *pred)
{
	const dcell *m = sp->m;
	int32_t t = (int32_t)m->n_terms - 1, s = m->stratum[t];
	size_t K = (size_t)m->cfg.n_outputs, Ws = (size_t)m->stratum_width[s];
	const REAL *hw = (const REAL *)sp->r->params + m->head_w_off[s] + m->col_off[t];
	const REAL *wy = sp->wy, *gy = sp->gc_y, *dO = (const REAL *)sp->rdo + sp->e_off[t];
	const int32_t *rows = sp->s_idx + sp->s_ptr[t];
	int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t];
	int L = m->width[t];

	for (size_t i = 0, r = 0; i < b->n; i++) {
		int in_root = r < (size_t)nt && rows[r] == (int32_t)i;

		for (size_t k = 0; k < K; k++) {
			double y = wy[(size_t)t * K + k];

			if (in_root) {
				for (int j = 0; j < L; j++)
					y += (double)hw[k * Ws + (size_t)j] * dO[r * (size_t)L + (size_t)j];
			} else {
				/* the root is every term's ancestor: the last in its
				 * genes' lists */
				for (int64_t q = b->gene_ptr[i]; q < b->gene_ptr[i + 1]; q++) {
					int32_t g = b->gene[q];

					if (m->cont_ptr[g + 1] > m->cont_ptr[g] && m->cont_term[m->cont_ptr[g + 1] - 1] == t)
						y = gy[(size_t)g * K + k];
				}
			}
			pred[i * K + k] = y;
		}
		r += (size_t)in_root;
	}
}

/* Training, one job over all terms instead of a pass per stratum: items
 * are taken in order (the forward's leaves to root, the backward's root to
 * leaves), so what an item waits for is done or being done by another
 * thread.  t_left[t] falls to 0 when term t is done. */
static void FN(term_forward_after)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell *m = sp->m;
	int32_t t = sp->forder[item];

	/* the last step's update of t's weights, if left to now (see
	 * dcell_impl.h): it needs no child, fills what would be a wait, and
	 * leaves the block in cache for the term */
	if (sp->r->pend.on)
		dcell_run_settle_term(sp->r, (size_t)t);
	for (int64_t k = m->child_ptr[t]; k < m->child_ptr[t + 1]; k++)
		while (__atomic_load_n(&sp->t_left[m->child[k]], __ATOMIC_ACQUIRE) > 0)
			CP_PAUSE();
	FN(term_forward)((size_t)t, worker, ctx);
	__atomic_store_n(&sp->t_left[t], 0, __ATOMIC_RELEASE);
}

static int FN(sparse_forward)(dcell_sparse *sp, const dcell_batch *b, int train, double *loss,
			      double *pred, cp_error *err)
{
	const dcell *m = sp->m;
	size_t K = (size_t)m->cfg.n_outputs, B = b->n;
	double total = 0;
	FN(term_job) job = { sp, b, train, pred, 0, 0 };

	(void)err;
	if (!train)
		FN(wild_type)(sp);
	/* label totals of the batch */
	for (size_t k = 0; k < K; k++) {
		sp->tot_n[k] = sp->tot_s[k] = sp->tot_q[k] = 0;
		if (!b->target)
			continue;
		for (size_t i = 0; i < B; i++) {
			double y = b->target[i * K + k];

			if (!isnan(y)) {
				sp->tot_n[k]++;
				sp->tot_s[k] += y;
				sp->tot_q[k] += y * y;
			}
		}
	}
	for (int w = 0; w < sp->n_ws; w++)
		sp->ws[w].flops = 0;
	job.need_loss = loss != NULL;
	if (train) {
		/* every term, in stratum order, each once its children are done */
		for (size_t t = 0; t < m->n_terms; t++)
			sp->t_left[t] = 1;
		cp_parallel_for(sp->r->be, m->n_terms, FN(term_forward_after), &job);
		sp->r->pend.on = 0;	/* every term's block is updated */
	}
	for (size_t s = 0; s < m->n_strata && !train; s++) {
		/* inference: the stratum's affected rows as items of similar work,
		 * a split that depends on the batch only */
		size_t n_items = 0;

		if (sp->use_cache) {
			/* every stratum's items at once, in stratum order (its largest
			 * terms first); an item waits for its children's (see
			 * infer_cached_after) */
			if (s > 0)
				continue;
			for (int64_t i = 0; i < (int64_t)m->n_terms; i++) {
				int64_t t = sp->forder[i];
				int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t], L = m->width[t], multi = 0;
				const uint8_t *cnt = sp->s_cnt + sp->s_ptr[t];
				int64_t per, pc, pr;

				for (int64_t r = 0; r < nt; r++)
					multi += cnt[r] >= 2;
				sp->t_left[t] = 0;
				if (multi == 0)
					continue;
				int64_t parts = (multi * L + INFER_ITEM_WORK - 1) / INFER_ITEM_WORK;

				/* by columns, in multiples of 16 (each part reads only
				 * its slice of the weights), then by rows where the
				 * term is too narrow for that */
				parts = parts < 4 * sp->n_ws ? parts : 4 * sp->n_ws;
				pc = L / 16 < parts ? (L / 16 > 1 ? L / 16 : 1) : parts;
				pr = (parts + pc - 1) / pc;
				pr = pr < multi ? pr : multi;
				per = pc > 1 ? ((L + pc - 1) / pc + 15) / 16 * 16 : L;
				for (int64_t q = 0, m0 = 0, seen = 0; q < pr; q++) {
					int64_t m1 = m0, want = multi * (q + 1) / pr;

					while (m1 < nt && seen < want)
						seen += cnt[m1++] >= 2;
					if (q + 1 == pr)
						m1 = nt;
					for (int64_t j0 = 0, j1; j0 < L; j0 = j1) {
						j1 = L - (j0 + per) < 16 ? L : j0 + per;	/* no part under 16 */
						sp->items[n_items++] = (struct infer_item){
							(int32_t)t, (int32_t)j0, (int32_t)j1, (int32_t)m0, (int32_t)m1 };
						sp->t_left[t]++;
					}
					m0 = m1;
				}
			}
			cp_parallel_for(sp->r->be, n_items, FN(infer_cached_after), &job);
			continue;
		}

		for (int64_t t = m->stratum_ptr[s]; t < m->stratum_ptr[s + 1]; t++) {
			int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t], L = m->width[t];
			int64_t parts = (nt * L + INFER_ITEM_WORK - 1) / INFER_ITEM_WORK, per;

			/* rows are computed alike in any split: as many parts as keep
			 * the threads busy, no more (each part reads the weights) */
			parts = parts < 4 * sp->n_ws ? parts : 4 * sp->n_ws;
			per = parts > 1 ? (nt + parts - 1) / parts : nt;

			if (nt == 0) {
				if ((size_t)t + 1 == m->n_terms || job.need_loss)
					sp->items[n_items++] = (struct infer_item){ (int32_t)t, 0, 0, 0, 0 };
				continue;
			}
			for (int64_t r0 = 0; r0 < nt; r0 += per)
				sp->items[n_items++] = (struct infer_item){
					(int32_t)t, (int32_t)r0, (int32_t)(r0 + per < nt ? r0 + per : nt), 0, 0 };
		}
		cp_parallel_for(sp->r->be, n_items, FN(infer_item), &job);
		/* in item order, so the same with any number of threads */
		for (size_t i = 0; i < n_items; i++)
			total += sp->item_loss[i];
	}
	if (train)
		for (size_t t = 0; t < m->n_terms; t++)	/* in term order, likewise */
			total += sp->term_loss[t];
	if (!train && sp->use_cache && pred)
		FN(cached_predictions)(sp, b, pred);
	sp->flops = 0;
	for (int w = 0; w < sp->n_ws; w++)
		sp->flops += sp->ws[w].flops;
	sp->pairs = (double)sp->s_ptr[m->n_terms];
	if (loss)
		*loss = total;
	return 0;
}

CP_CLONES static void FN(term_backward)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell_batch *b = job->b;
	int32_t t = job->first + (int32_t)item;
	sparse_ws *ws = &sp->ws[worker];
	const dcell *m = sp->m;
	REAL *P = sp->r->params, *Gr = sp->r->grad;
	size_t K = (size_t)m->cfg.n_outputs, B = b->n;
	REAL *ash = sp->ash, *osh = sp->osh, *xhsh = sp->xhsh, *is = sp->is, *gun = sp->gun;
	REAL *tmp = ws->tmp, *vec = sp->dzs, *vt = ws->vec, *dyun = sp->dyun;
	REAL *ra = sp->ra, *rxh = sp->rxh, *rdo = sp->rdo, *rg = sp->rg, *rdy = sp->rdy;
	int32_t s = m->stratum[t];
	int L = m->width[t];
	size_t col = TCOL(m, t), lc = (size_t)m->col_off[t], Ws = (size_t)m->stratum_width[s];
	const REAL *gam = P + m->gamma_off[s] + lc;
	const REAL *hw = P + m->head_w_off[s] + lc;
	REAL *db = Gr + m->bias_off[s] + lc;
	REAL *dgam = Gr + m->gamma_off[s] + lc, *dbet = Gr + m->beta_off[s] + lc;
	REAL *dhw = Gr + m->head_w_off[s] + lc;
	REAL *dhb = Gr + m->head_b_off[s] + (size_t)(t - m->stratum_ptr[s]) * K;
	int64_t nt = sp->s_ptr[t + 1] - sp->s_ptr[t];
	const int32_t *rows = sp->s_idx + sp->s_ptr[t];
	REAL *A = ra + sp->e_off[t], *X = rxh + sp->e_off[t], *dO = rdo + sp->e_off[t];
	REAL *G = rg + sp->e_off[t], *g0 = gun + col;
	REAL *Y = rdy + (size_t)sp->s_ptr[t] * K;
	double scale = head_scale(m, t);
	/* BatchNorm straight after the linear map: a term's dZ sums to zero
	 * over the batch (the normalisation removes the mean; the rows
	 * computed below add up to rounding noise), so the sum is taken as
	 * exactly zero: the bias has no gradient, the weights none outside the
	 * columns some sample changed (term_weight_grad_cols) */
	int zero_sum = m->cfg.bn_before_tanh;

	vec += col;
	/* 0. the gradient at t's output, from its parents (all in higher strata,
	 * done): their dZ rows times the block of their weights t feeds */
	memset(g0, 0, (size_t)L * sizeof *g0);
	memset(G, 0, (size_t)(nt * L) * sizeof *G);
	for (int64_t k = sp->par_ptr[t]; k < sp->par_ptr[t + 1]; k++) {
		int32_t p = sp->par[k];
		int Lp = m->width[p], inp = m->in_dim[p];
		const REAL *Wp = P + m->w_off[p] + sp->par_cin[k], *Gp = rg + sp->e_off[p];
		const REAL *vp = (const REAL *)sp->dzs + TCOL(m, p);

		if (nt > 0) {
			positions(sp, t, p, ws->pos);
			if (nt <= SMALL_ROWS_MAX) {
				const REAL *a[SMALL_ROWS_MAX];
				REAL *c[SMALL_ROWS_MAX];

				for (int64_t i = 0; i < nt; i++)
					a[i] = Gp + ws->pos[i] * Lp, c[i] = G + i * L;
				FN(small_rows)((int)nt, L, Lp, a, Wp, (size_t)inp, c);
			} else {
				for (int64_t i = 0; i < nt; i++)
					memcpy(tmp + i * Lp, Gp + ws->pos[i] * Lp, (size_t)Lp * sizeof *tmp);
				GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nt, L, Lp, 1, tmp, Lp, Wp,
				     inp, 1, G, L);
			}
			ws->flops += 2.0 * (double)nt * Lp * L;
			if (zero_sum)
				continue;	/* g0 from G's rows below */
			/* t's unaffected samples: the parent's total minus t's affected rows */
			memcpy(vt, vp, (size_t)Lp * sizeof *vt);
			for (int64_t i = 0; i < nt; i++) {
				const REAL *restrict ti = Gp + ws->pos[i] * Lp;

#pragma omp simd
				for (int j = 0; j < Lp; j++)
					vt[j] -= ti[j];
			}
			GEMV(CblasRowMajor, CblasTrans, Lp, L, 1, Wp, inp, vt, 1, 1, g0, 1);
			ws->flops += 2.0 * Lp * L;
		} else if (!zero_sum) {
			GEMV(CblasRowMajor, CblasTrans, Lp, L, 1, Wp, inp, vp, 1, 1, g0, 1);
			ws->flops += 2.0 * Lp * L;
		}
	}
	/* zero_sum: every parent's dZ sums to zero over the batch, so t's
	 * unaffected samples receive minus what its affected rows did */
	for (int64_t r = 0; zero_sum && r < nt; r++) {
		const REAL *restrict gr = G + r * L;

#pragma omp simd
		for (int j = 0; j < L; j++)
			g0[j] -= gr[j];
	}
	/* 1. the head: turn the stored predictions into gradients, then
	 * propagate them to the term's output */
	for (size_t k = 0; k < K; k++) {
		double nk = sp->tot_n[k], dsum = dyun[(size_t)t * K + k];

		for (int64_t r = 0; r < nt; r++) {
			double target = b->target[(size_t)rows[r] * K + k];
			double g = (isnan(target) || nk == 0)
					   ? 0.0 : 2 * scale * ((double)Y[(size_t)r * K + k] - target) / nk;

			Y[(size_t)r * K + k] = (REAL)g;
			dsum += g;
		}
		dhb[k] = (REAL)dsum;
		for (int j = 0; j < L; j++) {
			dhw[k * Ws + (size_t)j] = (REAL)(dsum * osh[col + (size_t)j]);
			g0[j] += dyun[(size_t)t * K + k] * hw[k * Ws + (size_t)j];
		}
	}
	if (nt > 0) {
		GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, L, (int)nt, 1, Y, (int)K, dO, L, 1,
		     dhw, (int)Ws);
		GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nt, L, (int)K, 1, Y, (int)K, hw,
		     (int)Ws, 1, G, L);
	}
	/* 2. normalisation and activation backward: G rows become dZ rows,
	 * g0 (the unaffected samples' sum) becomes their dZ sum.  Row by row,
	 * the columns side by side (each column's sums add its rows in order;
	 * the loops over the columns vectorise without changing a result). */
	{
		double *restrict gu = ws->acc, *restrict sg = gu + L, *restrict sgx = sg + L, *restrict kj = sgx + L;
		double un = (double)(B - (size_t)nt), Bd = (double)B;
		const REAL *restrict oc = osh + col, *restrict xc = xhsh + col, *restrict ac = ash + col;
		const REAL *restrict ic = is + col;
		int before = m->cfg.bn_before_tanh;

#pragma omp simd
		for (int j = 0; j < L; j++) {
			/* before: O = tanh(u), to u first */
			gu[j] = before ? (double)g0[j] * (1.0 - (double)oc[j] * oc[j]) : (double)g0[j];
			sg[j] = gu[j];
			sgx[j] = (double)xc[j] * gu[j];
		}
		for (int64_t r = 0; r < nt; r++) {
			REAL *restrict g = G + r * L;
			const REAL *restrict a = A + r * L, *restrict x = X + r * L;

			if (before) {
#pragma omp simd
				for (int j = 0; j < L; j++)
					g[j] = (REAL)((double)g[j] * (1.0 - (double)a[j] * a[j]));
			}
#pragma omp simd
			for (int j = 0; j < L; j++) {
				sg[j] += g[j];
				sgx[j] += (double)g[j] * x[j];
			}
		}
#pragma omp simd
		for (int j = 0; j < L; j++) {
			double d_un;

			dgam[j] = (REAL)sgx[j];
			dbet[j] = (REAL)sg[j];
			kj[j] = (double)gam[j] * ic[j] / Bd;
			d_un = kj[j] * (Bd * gu[j] - un * (sg[j] + xc[j] * sgx[j]));
			if (!before)
				d_un *= 1.0 - (double)ac[j] * ac[j];
			vec[j] = (REAL)d_un;
		}
		for (int64_t r = 0; r < nt; r++) {
			REAL *restrict g = G + r * L;
			const REAL *restrict a = A + r * L, *restrict x = X + r * L;

#pragma omp simd
			for (int j = 0; j < L; j++) {
				double d = kj[j] * (Bd * g[j] - sg[j] - x[j] * sgx[j]);

				if (!before)
					d *= 1.0 - (double)a[j] * a[j];
				g[j] = (REAL)d;
			}
		}
	}
	/* vec: the total dZ over the batch (kept for the children's pull) */
	if (zero_sum)
		memset(vec, 0, (size_t)L * sizeof *vec);
	for (int64_t r = 0; !zero_sum && r < nt; r++) {
		const REAL *restrict g = G + r * L;

#pragma omp simd
		for (int j = 0; j < L; j++)
			vec[j] += g[j];
	}
	for (int j = 0; j < L; j++)
		db[j] = vec[j];
}

/* Training: add to dWc, the L_t x L_c block of t's weight gradient child c
 * feeds (leading dimension in_t), t's dZ rows of the samples c's output
 * changed for, transposed, times those changes. */
static void FN(child_weight_grad)(dcell_sparse *sp, sparse_ws *ws, int32_t t, int32_t c, REAL *dWc)
{
	const dcell *m = sp->m;
	REAL *tmp = ws->tmp;
	const REAL *G = (const REAL *)sp->rg + sp->e_off[t];
	int L = m->width[t], Lc = m->width[c];
	int64_t nc = sp->s_ptr[c + 1] - sp->s_ptr[c];

	positions(sp, c, t, ws->pos);
	if (nc <= SMALL_OUTER_MAX) {
		const REAL *g[SMALL_OUTER_MAX], *o[SMALL_OUTER_MAX];

		for (int64_t i = 0; i < nc; i++)
			g[i] = G + ws->pos[i] * L, o[i] = (const REAL *)sp->rdo + sp->e_off[c] + i * Lc;
		FN(small_outer)((int)nc, L, Lc, g, o, dWc, (size_t)m->in_dim[t]);
	} else {
		for (int64_t i = 0; i < nc; i++)
			memcpy(tmp + i * L, G + ws->pos[i] * L, (size_t)L * sizeof *tmp);
		GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, L, Lc, (int)nc, 1, tmp, L,
		     (const REAL *)sp->rdo + sp->e_off[c], Lc, 1, dWc, m->in_dim[t]);
	}
	ws->flops += 2.0 * (double)nc * L * Lc;
}

/* The weight gradient with BatchNorm straight after the linear map: the
 * batch's dZ sums to zero (term_backward), so sum_b dz_b x_b^T is
 * sum_b dz_b (x_b - x_shared)^T, nonzero only in the columns of the
 * children some sample changed and of the deleted genes.  The rest of the
 * block stays zero: the columns the last backward wrote are cleared (the
 * whole block when they are not known), then this batch's are written. */
CP_CLONES static void FN(term_weight_grad_cols)(dcell_sparse *sp, const dcell_batch *b, int32_t t,
						 int worker, int known)
{
	sparse_ws *ws = &sp->ws[worker];
	const dcell *m = sp->m;
	REAL delta = m->cfg.gene_present ? (REAL)-1 : (REAL)1;
	int L = m->width[t], in = m->in_dim[t], nch = m->n_child[t];
	REAL *dW = (REAL *)sp->r->grad + m->w_off[t];
	const REAL *G = (const REAL *)sp->rg + sp->e_off[t];
	int64_t cin = 0, n_gene = 0;
	int64_t *gpair = ws->sel;	/* (row, column) of each deleted gene of t */
	/* the last batch's children ranges (start, length) and gene columns;
	 * this batch's; the ranges to clear (written last time, not now) */
	int32_t *pr = sp->zr + sp->zr_off[t], *pg = pr + 2 * sp->zr_n[t];
	int32_t *nr = ws->rng, *cr = nr + 2 * nch, *ng = cr + 2 * nch;
	int n_prev = known ? sp->zr_n[t] : 0, n_pg = known ? sp->zr_g[t] : 0;
	int n_nr = 0, n_cr = 0, n_ng = 0, k = 0;
	double ss = 0;

	for (int64_t kk = m->child_ptr[t]; kk < m->child_ptr[t + 1]; kk++) {
		int32_t c = m->child[kk];
		int Lc = m->width[c], was, now = sp->s_ptr[c + 1] > sp->s_ptr[c];

		while (k < n_prev && pr[2 * k] + pr[2 * k + 1] <= cin)
			k++;
		was = k < n_prev && pr[2 * k] <= cin;
		if (now)
			add_range(nr, &n_nr, (int32_t)cin, Lc);
		if (now || was)
			add_range(cr, &n_cr, (int32_t)cin, Lc);
		cin += Lc;
	}
	n_gene = gene_pairs(sp, b, t, cin, gpair);
	for (int64_t p = 0; p < n_gene; p++) {	/* each gene column once */
		int64_t col = gpair[2 * p + 1];

		if (!ws->gseen[col - cin]) {
			ws->gseen[col - cin] = 1;
			ng[n_ng++] = (int32_t)col;
		}
	}
	for (int q = 0; q < n_ng; q++)
		ws->gseen[ng[q] - cin] = 0;
	cp_sort(ng, (size_t)n_ng, sizeof *ng, cmp_i32);
	/* clear the columns the last batch wrote and this one's (or the whole
	 * block when the last's are not known); add the genes' columns and
	 * their squares */
	if (!known)
		memset(dW, 0, (size_t)L * (size_t)in * sizeof *dW);
	for (int i = 0; i < L; i++) {
		REAL *restrict row = dW + (size_t)i * (size_t)in;

		for (int q = 0; q < n_cr; q++) {
			REAL *restrict w = row + cr[2 * q];
			int n = cr[2 * q + 1];

#pragma omp simd
			for (int j = 0; j < n; j++)
				w[j] = 0;
		}
		for (int q = 0; q < n_pg; q++)
			row[pg[q]] = 0;
		for (int q = 0; q < n_ng; q++)
			row[ng[q]] = 0;
		for (int64_t p = 0; p < n_gene; p++)
			row[gpair[2 * p + 1]] += delta * G[gpair[2 * p] * L + i];
		for (int q = 0; q < n_ng; q++)
			ss += (double)row[ng[q]] * row[ng[q]];
	}
	/* the changed children's columns */
	cin = 0;
	for (int64_t kk = m->child_ptr[t]; kk < m->child_ptr[t + 1]; kk++) {
		int32_t c = m->child[kk];
		int Lc = m->width[c];
		int64_t nc = sp->s_ptr[c + 1] - sp->s_ptr[c];

		if (nc > 0) {
			FN(child_weight_grad)(sp, ws, t, c, dW + cin);
			for (int i = 0; i < L; i++)	/* its squares, while in cache */
				ss += FN(cp_sum_squares)((size_t)Lc, dW + (size_t)i * (size_t)in + cin);
		}
		cin += Lc;
	}
	sp->wsq[t] = ss;
	memcpy(pr, nr, (size_t)n_nr * 2 * sizeof *pr);
	memcpy(pr + 2 * n_nr, ng, (size_t)n_ng * sizeof *pr);
	sp->zr_n[t] = n_nr;
	sp->zr_g[t] = n_ng;
}

/* Training, the weight gradient of term t (after its backward): the
 * shared rank-1 part, then the affected corrections.  Needed by no other
 * term's backward, so it runs as an item of its own. */
CP_CLONES static void FN(term_weight_grad)(dcell_sparse *sp, const dcell_batch *b, int32_t t, int worker)
{
	sparse_ws *ws = &sp->ws[worker];
	const dcell *m = sp->m;
	REAL *Gr = sp->r->grad, *osh = sp->osh, *ish = ws->ish, *rg = sp->rg;
	REAL delta = m->cfg.gene_present ? (REAL)-1 : (REAL)1;
	int L = m->width[t], in = m->in_dim[t];
	const REAL *vec = (const REAL *)sp->dzs + TCOL(m, t);
	REAL *dW = Gr + m->w_off[t], *G = rg + sp->e_off[t];
	int64_t cin = 0;
	int64_t *gpair = ws->sel, n_gene = 0;	/* (row, column) of each deleted gene of t */

	FN(shared_input)(m, t, osh, ish);
	for (int64_t kk = m->child_ptr[t]; kk < m->child_ptr[t + 1]; kk++)
		cin += m->width[m->child[kk]];
	n_gene = gene_pairs(sp, b, t, cin, gpair);
	cin = 0;
	/* the shared rank-1 part, and the genes' columns (which the children's
	 * corrections below do not touch) while the row is in cache */
	for (int i = 0; i < L; i++) {
		REAL *restrict row = dW + (size_t)i * (size_t)in, vi = vec[i];
		const REAL *restrict x = ish;

#pragma omp simd
		for (int j = 0; j < in; j++)
			row[j] = vi * x[j];
		for (int64_t p = 0; p < n_gene; p++)
			row[gpair[2 * p + 1]] += delta * G[gpair[2 * p] * L + i];
	}
	ws->flops += (double)L * in;
	for (int64_t kk = m->child_ptr[t]; kk < m->child_ptr[t + 1]; kk++) {
		int32_t c = m->child[kk];
		int Lc = m->width[c];
		int64_t nc = sp->s_ptr[c + 1] - sp->s_ptr[c];

		if (nc > 0)
			FN(child_weight_grad)(sp, ws, t, c, dW + cin);
		cin += Lc;
	}
	/* its squared norm, while the block is fresh in cache */
	sp->wsq[t] = FN(cp_sum_squares)((size_t)L * (size_t)in, dW);
}


/* The backward's items: item i is order[i], a term t (its backward, once
 * its parents' are done) or T + t (its weight gradient, once its backward
 * is done).  t_left[t] falls to 0 when t's backward is done. */
static void FN(term_backward_after)(size_t item, int worker, void *ctx)
{
	FN(term_job) *job = ctx;
	dcell_sparse *sp = job->sp;
	const dcell *m = sp->m;
	int32_t t = sp->border[item];

	if ((size_t)t >= m->n_terms) {
		t -= (int32_t)m->n_terms;
		while (__atomic_load_n(&sp->t_left[t], __ATOMIC_ACQUIRE) > 0)
			CP_PAUSE();
		if (m->cfg.bn_before_tanh)
			FN(term_weight_grad_cols)(sp, job->b, t, worker, sp->zr_version == sp->r->grad_version);
		else
			FN(term_weight_grad)(sp, job->b, t, worker);
		return;
	}
	for (int64_t k = sp->par_ptr[t]; k < sp->par_ptr[t + 1]; k++)
		while (__atomic_load_n(&sp->t_left[sp->par[k]], __ATOMIC_ACQUIRE) > 0)
			CP_PAUSE();
	FN(term_backward)((size_t)t, worker, ctx);
	__atomic_store_n(&sp->t_left[t], 0, __ATOMIC_RELEASE);
}

static int FN(sparse_backward)(dcell_sparse *sp, const dcell_batch *b, cp_error *err)
{
	const dcell *m = sp->m;
	FN(term_job) job = { sp, b, 1, NULL, 0, 0 };

	(void)err;
	for (int w = 0; w < sp->n_ws; w++)
		sp->ws[w].flops = 0;
	/* every term, in reverse stratum order, each once its parents are done;
	 * a stratum's weight gradients after the next stratum's backward, to
	 * fill the waits */
	for (size_t t = 0; t < m->n_terms; t++)
		sp->t_left[t] = 1;
	cp_parallel_for(sp->r->be, 2 * m->n_terms, FN(term_backward_after), &job);
	sp->r->w_sumsq_valid = 1;
	sp->zr_version = ++sp->r->grad_version;
	sp->flops = 0;
	for (int w = 0; w < sp->n_ws; w++)
		sp->flops += sp->ws[w].flops;
	return 0;
}

/* Add the batch's genes not yet cached: their single deletions, a chunk at
 * a time, through the plain inference path.  1 if it computed any (the
 * sets are then the last chunk's), 0 if all were cached, -1 on error. */
static int FN(cache_fill)(dcell_sparse *sp, const dcell_batch *b, cp_error *err)
{
	const dcell *m = sp->m;
	size_t K = (size_t)m->cfg.n_outputs, n_new = 0;
	double *pred = NULL;
	int rc = -1;

	if (sp->gc_version != sp->r->params_version) {
		for (size_t g = 0; g < m->n_genes; g++)
			sp->gc_off[g] = -1;
		sp->gc_used = 0;
		sp->gc_version = sp->r->params_version;
	}
	for (size_t k = 0; k < (size_t)b->gene_ptr[b->n]; k++) {
		int32_t g = b->gene[k];

		if (sp->gc_off[g] == -1 && m->cont_ptr[g + 1] > m->cont_ptr[g]) {
			sp->gc_off[g] = -2;	/* queued */
			sp->gc_genes[n_new++] = g;
		}
	}
	if (n_new == 0)
		return 0;	/* the batch's sets stand */
	pred = cp_malloc(CACHE_CHUNK * K, sizeof *pred, err);
	if (!pred)
		return -1;
	for (size_t c0 = 0; c0 < n_new; c0 += CACHE_CHUNK) {
		size_t n = n_new - c0 < CACHE_CHUNK ? n_new - c0 : CACHE_CHUNK, need = sp->gc_used;
		const int32_t *genes = sp->gc_genes + c0;
		dcell_batch sb = { n, sp->gc_ptr, genes, NULL, NULL, NULL, 0 };

		if (build_sets(sp, &sb, 0, err) < 0 || infer_prepare(sp, err) < 0 ||
		    FN(sparse_forward)(sp, &sb, 0, NULL, pred, err) < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			int32_t g = genes[i];
			int64_t last = m->cont_ptr[g + 1] - 1;

			sp->gc_off[g] = (int64_t)need;
			need += 2 * (size_t)(sp->gc_loff[last] + m->width[m->cont_term[last]]);
			for (size_t k = 0; k < K; k++)
				((REAL *)sp->gc_y)[(size_t)g * K + k] = (REAL)pred[i * K + k];
		}
		if (grow(&sp->gc, &sp->gc_cap, need, sizeof(REAL), err) < 0)
			goto out;
		sp->gc_used = need;
		for (size_t t = 0; t < m->n_terms; t++) {
			int L = m->width[t];

			for (int64_t r = 0; r < sp->s_ptr[t + 1] - sp->s_ptr[t]; r++) {
				int32_t g = genes[sp->s_idx[sp->s_ptr[t] + r]];
				REAL *dst = (REAL *)FN(cached)(sp, g, (int32_t)t, 0);
				size_t e = (size_t)(sp->e_off[t] + r * L);

				memcpy(dst, (const REAL *)sp->rz + e, (size_t)L * sizeof *dst);
				memcpy(dst + L, (const REAL *)sp->rdo + e, (size_t)L * sizeof *dst);
			}
		}
	}
	rc = 1;	/* the sets are the last chunk's */
out:
	if (rc < 0)
		sp->gc_version = -1;	/* start again next time */
	free(pred);
	return rc;
}

#undef TCOL
#undef NV
#undef PW
#undef VLOAD
#undef VSTORE
