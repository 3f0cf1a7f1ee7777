#!/bin/sh
# Usage: dcell-layout.sh MODEL.cpz SAMPLES.cpz PREDICTIONS.cpz DIR
# Recomputes, in awk, a DCell model's prediction of every experiment of a
# samples stream (labels not standardized) in evaluation mode from the
# model's params and buffers alone, read by the layout fit(1) documents
# under OUTPUT, and compares each with predict's.  Prints one line; exits
# 1 where the layout does not account for every value or a prediction
# differs.  DIR is scratch space.
set -eu
model=$1 samples=$2 pred=$3 dir=$4
f() { cpz dump -r "$1" "$2" "$3" > "$dir/$4"; }
f 1 "$model" term.stratum stratum
f 1 "$model" stratum.ptr sptr
f 1 "$model" parent.ptr pptr
f 1 "$model" parent.idx pidx
f 1 "$model" gene.ptr gptr
f 1 "$model" gene.idx gidx
f 2 "$model" term.width width
f 2 "$model" params params
f 2 "$model" buffers buffers
cpz dump "$samples" gene.ptr > "$dir/eptr"
cpz dump "$samples" gene.idx > "$dir/eidx"
cpz dump "$pred" pred > "$dir/pred"
c() { cpz dump -r 2 "$model" "config.$1"; }
exec awk -v dir="$dir" -v K="$(c outputs)" -v eps="$(c bn_eps)" \
	-v bn_first="$(c bn_before_tanh)" -v present="$(c gene_present)" \
	-v root="$(cpz dump -r 1 "$model" root)" '
function load(name, a,   n, line) {
	n = 0
	while ((getline line < (dir "/" name)) > 0)
		a[n++] = line
	close(dir "/" name)
	return n
}
function tanh(x) {
	if (x > 20) return 1
	if (x < -20) return -1
	return (exp(2 * x) - 1) / (exp(2 * x) + 1)
}
BEGIN {
	T = load("width", width); load("stratum", stratum); S = load("sptr", sptr) - 1
	load("pptr", pptr); load("pidx", pidx); load("gptr", gptr); load("gidx", gidx)
	np = load("params", P); nb = load("buffers", B)
	n = load("eptr", eptr) - 1; load("eidx", eidx); load("pred", pred)
	bn_first = bn_first == 1; present = present == 1
	for (c = 0; c < T; c++)		# children in ascending term order
		for (k = pptr[c]; k < pptr[c + 1]; k++)
			child[pidx[k], nch[pidx[k]]++] = c
	p = 0; b = 0
	for (s = 0; s < S; s++) {
		col = 0
		for (t = sptr[s]; t < sptr[s + 1]; t++) {
			in_dim[t] = gptr[t + 1] - gptr[t]
			for (j = 0; j < nch[t]; j++)
				in_dim[t] += width[child[t, j]]
			w_off[t] = p; p += width[t] * in_dim[t]
			col_off[t] = col; col += width[t]
		}
		bias[s] = p; p += col; gamma[s] = p; p += col; beta[s] = p; p += col
		head_w[s] = p; p += K * col; head_b[s] = p; p += (sptr[s + 1] - sptr[s]) * K
		units[s] = col; rmean[s] = b; b += col; rvar[s] = b; b += col
	}
	if (p != np || b != nb) {
		printf "the layout has %d params and %d buffers, the model %d and %d\n", p, b, np, nb
		exit 1
	}
	worst = 0
	for (e = 0; e < n; e++) {
		split("", deleted)
		for (k = eptr[e]; k < eptr[e + 1]; k++)
			deleted[eidx[k]] = 1
		for (s = 0; s < S; s++)
			for (t = sptr[s]; t < sptr[s + 1]; t++)
				for (i = 0; i < width[t]; i++) {
					u = col_off[t] + i; z = P[bias[s] + u]; j = 0
					row = w_off[t] + i * in_dim[t]
					for (h = 0; h < nch[t]; h++)
						for (v = 0; v < width[child[t, h]]; v++)
							z += P[row + j++] * out[child[t, h], v]
					for (k = gptr[t]; k < gptr[t + 1]; k++) {
						x = (gidx[k] in deleted) ? 1 : 0
						z += P[row + j++] * (present ? 1 - x : x)
					}
					a = bn_first ? z : tanh(z)
					y = P[gamma[s] + u] * (a - B[rmean[s] + u]) / sqrt(B[rvar[s] + u] + eps) + P[beta[s] + u]
					out[t, i] = bn_first ? tanh(y) : y
				}
		s = S - 1; split(pred[e], got, "\t")
		for (k = 0; k < K; k++) {
			y = P[head_b[s] + (root - sptr[s]) * K + k]
			for (i = 0; i < width[root]; i++)
				y += P[head_w[s] + k * units[s] + col_off[root] + i] * out[root, i]
			d = y - got[k + 1]; d = d < 0 ? -d : d
			m = y < 0 ? -y : y; d /= m > 1e-3 ? m : 1e-3
			if (d > worst || (d "") ~ /nan/)	# NaN: unordered in gawk, equal to all in mawk
				worst = d
		}
	}
	if (!(worst < 1e-5)) {	# a NaN too
		printf "predictions differ from the layout by %g (relative)\n", worst
		exit 1
	}
	printf "%d experiments, %d labels: predict agrees with the params and buffers\n", n, K
}'
