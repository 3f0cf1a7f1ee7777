#!/bin/sh
# fit, predict and report on real data (from 00-pipeline.sh): DCell on the
# GO:0006281 subsystem learns the published interactions better than the
# training mean; runs are deterministic; a run killed with SIGKILL and
# resumed ends with the same bytes as an uninterrupted one; the sparse and
# dense paths predict alike; the baselines fit; the report is complete.
set -u
. "$TOP/tests/kill-at-epoch.sh"
T=$O/test-data
W=$(mktemp -d "${TMPDIR:-/tmp}/cellpipe-fit.XXXXXX")
trap 'rm -rf "$W"' EXIT
if [ ! -f "$T/gi6281.batches.cpz" ]; then
	echo "not ok - fit: no batches from 00-pipeline.sh"
	exit 0
fi
# identical working directories, so the command lines (kept in the model) agree
for d in a b c; do
	mkdir -p "$W/$d"
	ln -s "$T/go6281.cpz" "$W/$d/go.cpz"
	ln -s "$T/gi6281.batches.cpz" "$W/$d/train.cpz"
done
FIT="fit -q --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 --epochs 12 --seed 5 -o model.cpz"

if (cd "$W/a" && $FIT) 2> "$W/a.err"; then
	echo "ok - fit trains DCell on GO:0006281 ($(cpz dump "$W/a/model.cpz" progress.epoch) epochs)"
else
	echo "not ok - fit: $(cat "$W/a.err")"
fi
# (a run killed while it wrote its first checkpoint left a temporary file;
# the new run of that output removes it)
(cd "$W/b" && : > model.cpz.tmp.Ab12Cd && $FIT) 2> /dev/null
if cmp -s "$W/a/model.cpz" "$W/b/model.cpz"; then
	echo "ok - fit is deterministic: two runs give byte-identical models"
else
	echo "not ok - fit: two runs of the same command differ"
fi
# an empty $CPZ_LEVEL is no setting: the checkpoint's level stays 1
(cd "$W/c" && CPZ_LEVEL= $FIT) 2> /dev/null
if cmp -s "$W/a/model.cpz" "$W/c/model.cpz"; then
	echo "ok - fit: an empty \$CPZ_LEVEL writes the model as an unset one"
else
	echo "not ok - fit: an empty \$CPZ_LEVEL changes the model's bytes"
fi
if [ -e "$W/b/model.cpz.tmp.Ab12Cd" ]; then
	echo "not ok - fit: a new run left the temporary file of a killed run of its output"
else
	echo "ok - fit: a new run removes the temporary file a killed run of its output left"
fi

# samples whose stored affected terms do not follow from their genes (the
# first gene of experiment 0 changed): predict's exact path names the file,
# record, field and experiment
"$O/tests/aids/cpz-mutate" --set-element samples gene.idx 0 0 "$T/dcell_GO_0006281_test.cpz" \
	"$W/alt.cpz" > /dev/null
if ! predict -q --model "$W/a/model.cpz" "$W/alt.cpz" -o "$W/alt.pred.cpz" 2> "$W/err" &&
	[ ! -e "$W/alt.pred.cpz" ] && [ "$(grep -c '' "$W/err")" -eq 1 ] &&
	grep -q "alt.cpz: record 2 (samples): field 'term.idx': experiment 0: its affected GO terms differ" "$W/err"
then
	echo "ok - predict names the record, field and experiment whose affected terms its genes do not give"
else
	echo "not ok - predict on samples with altered terms: $(cat "$W/err")"
fi

# cpz verify checks a DCell model as the checkpoint fit --resume reads: a
# training state out of range passes predict's reader, not verify
"$O/tests/aids/cpz-mutate" --set training progress.epoch 99 "$W/a/model.cpz" "$W/e99.cpz" > /dev/null
if cpz verify -q "$W/a/model.cpz" && cpz verify -q - < "$W/a/model.cpz" &&
	! cpz verify - < "$W/e99.cpz" 2> /dev/null && ! cpz verify "$W/e99.cpz" 2> "$W/err" &&
	grep -q "e99.cpz: record 3 (training): field 'progress.epoch': 99 is out of range" "$W/err"; then
	echo "ok - cpz verify reads a DCell model as fit --resume does: $(cat "$W/err")"
else
	echo "not ok - cpz verify on a checkpoint with progress.epoch 99: $(cat "$W/err")"
fi
# a checkpoint whose cosine schedule would raise the rate is refused
"$O/tests/aids/cpz-mutate" --set training lr_min 1 "$W/a/model.cpz" "$W/lrmin.cpz" > /dev/null
if ! cpz verify "$W/lrmin.cpz" 2> "$W/err" &&
	grep -q "lrmin.cpz: record [0-9]* (training): field 'lr_min': 1 is above lr " "$W/err"; then
	echo "ok - a checkpoint with lr_min above lr is refused: $(cat "$W/err")"
else
	echo "not ok - a checkpoint with lr_min above lr: $(cat "$W/err")"
fi
# a config outside fit's option ranges (--bn-momentum is above 0) is refused
"$O/tests/aids/cpz-mutate" --set dcell config.bn_momentum 0 "$W/a/model.cpz" "$W/m0.cpz" > /dev/null
if ! cpz verify "$W/m0.cpz" 2> "$W/err" &&
	grep -q "m0.cpz: record [0-9]* (dcell): field 'config.bn_momentum': " "$W/err"; then
	echo "ok - a DCell model with config.bn_momentum 0 is refused: $(cat "$W/err")"
else
	echo "not ok - a DCell model with config.bn_momentum 0: $(cat "$W/err")"
fi
# a width out of range is named as the model holds it, not as clamped
"$O/tests/aids/cpz-mutate" --set dcell config.width_min -5 "$W/a/model.cpz" "$W/w.cpz" > /dev/null
if ! predict -q --model "$W/w.cpz" "$T/gi6281.batches.cpz" -o "$W/w.pred.cpz" 2> "$W/err" &&
	grep -q "w.cpz: record [0-9]* (dcell): field 'config.width_min': -5 is out of range" "$W/err"; then
	echo "ok - a DCell model with config.width_min -5 is refused naming -5"
else
	echo "not ok - a DCell model with config.width_min -5: $(cat "$W/err")"
fi

# the sparse path runs the terms of a stratum in parallel: any thread count
# trains the same parameters
(cd "$W/b" && rm -f model.cpz && $FIT --epochs 3 --threads 1 && mv model.cpz t1.cpz &&
	$FIT --epochs 3 --threads 3 && mv model.cpz t3.cpz) 2> "$W/t.err"
if [ -f "$W/b/t1.cpz" ] && [ -f "$W/b/t3.cpz" ] &&
	[ "$(cpz dump "$W/b/t1.cpz" params | cksum)" = "$(cpz dump "$W/b/t3.cpz" params | cksum)" ]; then
	echo "ok - fit --threads 1 and --threads 3 train the same parameters"
else
	echo "not ok - fit --threads 1 and 3 differ: $(cat "$W/t.err")"
fi

# fit --resume -o never replaces one of the run's inputs, the DAG (kept in
# the checkpoint, not read again) as well, for an ended run too (copies)
mkdir "$W/in" && cp "$T/go6281.cpz" "$W/in/go.cpz" && cp "$T/gi6281.batches.cpz" "$W/in/train.cpz"
(cd "$W/in" && fit -q --go go.cpz --train train.cpz --label gene_interaction --epochs 1 -o m.cpz) 2> /dev/null
ok=1
for f in go train; do
	(cd "$W/in" && fit -q --resume m.cpz -o $f.cpz) 2> "$W/err" && ok=0
	grep -q "$f.cpz: the output is also an input" "$W/err" || ok=0
done
if [ $ok = 1 ] && cmp -s "$W/in/go.cpz" "$T/go6281.cpz" && cmp -s "$W/in/train.cpz" "$T/gi6281.batches.cpz"; then
	echo "ok - fit --resume -o refuses the run's DAG and training stream, which stay as they were"
else
	echo "not ok - fit --resume -o over an input of the run: $(cat "$W/err")"
fi

# file names that are not UTF-8 (here Latin-1): kept escaped (\\xNN) in
# the model and the predictions, which read back; a killed run resumes from
# the file itself, byte-identical to an uninterrupted one
nb=$(printf 'tr\351.cpz')
for d in u1 u2; do
	mkdir "$W/$d" && ln -s "$T/go6281.cpz" "$W/$d/go.cpz" && cp "$T/gi6281.batches.cpz" "$W/$d/$nb"
done
FITU="fit -q --go go.cpz --train $nb --label gene_interaction --batch-size 32 --epochs 12 --seed 5 -o model.cpz"
(cd "$W/u1" && exec $FITU) 2> /dev/null &
landed=0
kill_at_epoch $! "$W/u1/model.cpz" 3 && landed=1
(cd "$W/u2" && $FITU) 2> "$W/err"
if [ $landed = 1 ] && (cd "$W/u1" && fit -q --resume model.cpz) 2>> "$W/err" &&
	cmp -s "$W/u1/model.cpz" "$W/u2/model.cpz" &&
	[ "$(cpz dump "$W/u1/model.cpz" train)" = 'tr\\xe9.cpz' ] &&
	predict -q --model "$W/u2/model.cpz" "$W/u2/$nb" --split val -o "$W/u2/p$nb" 2>> "$W/err" &&
	cpz verify -q "$W/u2/p$nb" && [ "$(cpz dump "$W/u2/p$nb" input)" = "$W/u2/"'tr\\xe9.cpz' ]; then
	echo "ok - fit and predict keep a Latin-1 file name escaped; the run resumes from it byte-identical"
else
	echo "not ok - fit on a file name that is not UTF-8 (killed at $killed_at): $(cat "$W/err")"
fi

# a run whose --go was a pipe resumes (here an ended run, copied): the
# pipe, never read again, is not opened (it would wait for a writer)
mkdir "$W/fifo" && mkfifo "$W/fifo/go.fifo"
cat "$T/go6281.cpz" > "$W/fifo/go.fifo" &
if (cd "$W/fifo" && fit -q --go go.fifo --train "$T/gi6281.batches.cpz" --label gene_interaction \
	--epochs 1 -o m.cpz && timeout 60 fit -q --resume m.cpz -o m2.cpz) 2> "$W/err" && [ -f "$W/fifo/m2.cpz" ]
then
	echo "ok - fit --resume of a run whose --go was a pipe"
else
	echo "not ok - fit --resume with --go a pipe (124: it hung): $(cat "$W/err")"
fi

# a batches stream without a val split trains without validation, as fit(1)
# says, by the training loss and without early stopping
batch-pack -q -f 1,0,0 -b 64 --standardize -o "$W/noval.cpz" "$T/dcell_GO_0006281_train.cpz"
if fit -q --go "$T/go6281.cpz" --train "$W/noval.cpz" --label gene_interaction --epochs 4 \
	--patience 1 -o "$W/noval.model.cpz" 2> "$W/err" &&
	[ "$(cpz dump "$W/noval.model.cpz" val_loss | tr '\n' ' ')" = "nan nan nan nan " ] &&
	[ "$(cpz dump "$W/noval.model.cpz" train_loss | awk 'NR == 1 || $1 < m { m = $1; e = NR } END { print e }')" = \
		"$(cpz dump "$W/noval.model.cpz" progress.best_epoch)" ]; then
	echo "ok - fit trains on a batches stream without a val split, without validation"
else
	echo "not ok - fit on batches without a val split: $(cat "$W/err")"
fi

# --bn-momentum weighs each batch in BatchNorm's running statistics only:
# the parameters train alike, the running buffers differ, the config keeps it
(cd "$W/b" && rm -f model.cpz && $FIT --epochs 3 --threads 1 --bn-momentum 0.01 && mv model.cpz m01.cpz) \
	2> "$W/m.err"
m=$(cpz dump "$W/b/m01.cpz" config.bn_momentum 2> /dev/null)
if [ -f "$W/b/t1.cpz" ] && [ "$m" = 0.01 ] &&
	[ "$(cpz dump "$W/b/m01.cpz" params | cksum)" = "$(cpz dump "$W/b/t1.cpz" params | cksum)" ] &&
	[ "$(cpz dump "$W/b/m01.cpz" buffers | cksum)" != "$(cpz dump "$W/b/t1.cpz" buffers | cksum)" ]
then
	echo "ok - fit --bn-momentum 0.01 trains the same parameters, other running statistics"
else
	echo "not ok - fit --bn-momentum: config '$m' $(cat "$W/m.err")"
fi

# kill -9 once a checkpoint of epoch 3 or later exists, then resume; with
# either order of the activation and BatchNorm (bn-tanh keeps per-term
# state of which gradient columns it wrote, which a resumed run rebuilds)
for order in tanh-bn bn-tanh; do
	rm -f "$W/c/model.cpz"
	(cd "$W/c" && exec $FIT --precision f64 --order $order) 2> /dev/null &
	landed=0
	kill_at_epoch $! "$W/c/model.cpz" 3 && landed=1
	: > "$W/c/model.cpz.tmp.Zq3xWv"	# as if killed while writing a checkpoint
	(cd "$W/b" && rm -f model.cpz && $FIT --precision f64 --order $order) 2> /dev/null
	if [ $landed = 0 ]; then
		echo "not ok - fit --order $order: the kill did not land mid-run (epoch $killed_at)"
	elif (cd "$W/c" && fit -q --resume model.cpz) 2> "$W/c.err" && cmp -s "$W/b/model.cpz" "$W/c/model.cpz"; then
		echo "ok - fit --order $order killed with SIGKILL after epoch $killed_at and resumed: byte-identical to an uninterrupted run"
		[ -e "$W/c/model.cpz.tmp.Zq3xWv" ] && echo "not ok - fit --resume left the killed run's temporary file"
	else
		echo "not ok - fit --order $order resume after SIGKILL at epoch $killed_at: $(cat "$W/c.err") (models differ)"
	fi
done
# a run resumes only on the data it began with: another batches stream
# (another split seed, so its context differs) is refused before any
# training, another samples stream of the same context once a pass has
# read its checksum; either way the checkpoint is left as it was
batch-pack -q -s random -f 0.9,0.1,0 -S 2 -b 128 --standardize -o "$W/other.batches.cpz" \
	"$T/dcell_GO_0006281_train.cpz"
for kind in batches samples; do
	d=$W/swap-$kind
	mkdir -p "$d"
	ln -s "$T/go6281.cpz" "$d/go.cpz"
	if [ $kind = batches ]; then
		cp "$T/gi6281.batches.cpz" "$d/train.cpz"
		other=$W/other.batches.cpz
	else
		cp "$T/dcell_GO_0006281_test.cpz" "$d/train.cpz"
		other=$T/dcell_GO_0006281_train.cpz
	fi
	(cd "$d" && exec fit -q --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 \
		--epochs 12 --seed 5 -o model.cpz) 2> /dev/null &
	if ! kill_at_epoch $! "$d/model.cpz" 2; then
		echo "not ok - fit --resume on another $kind stream: the kill did not land mid-run (epoch $killed_at)"
		continue
	fi
	cp "$d/model.cpz" "$d/keep.cpz"
	cp "$other" "$d/train.cpz"
	(cd "$d" && fit -q --resume model.cpz) 2> "$d/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(grep -c '' "$d/err")" -eq 1 ] && grep -q '^fit: train.cpz: .*the run' "$d/err" &&
		cmp -s "$d/model.cpz" "$d/keep.cpz"; then
		echo "ok - fit --resume refuses another $kind stream than the run began with: $(cat "$d/err")"
	else
		echo "not ok - fit --resume on another $kind stream: exit $rc, $(cat "$d/err") (or the checkpoint changed)"
	fi
done

ls "$W/c" | grep -q tmp && echo "not ok - fit left a temporary file behind: $(ls "$W/c" | grep tmp)" ||
	echo "ok - fit --resume removes the temporary checkpoint a killed run left behind"

# predictions on the held-out test pairs, DCell and the baselines
if predict -q --model "$W/a/model.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/dcell.cpz" &&
	predict -q --model "$W/a/model.cpz" --path dense "$T/dcell_GO_0006281_test.cpz" -o "$W/dense.cpz" &&
	cpz dump "$W/dcell.cpz" pred > "$W/sparse.txt" && cpz dump "$W/dense.cpz" pred > "$W/dense.txt" &&
	paste "$W/sparse.txt" "$W/dense.txt" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d
		if (tolower($0) ~ /nan|inf/) bad++ } END { exit !(NR == 2868 && m < 1e-5 && !bad) }'; then
	echo "ok - predict: the sparse path (per-gene cache) and the dense path agree on 2,868 test pairs"
else
	echo "not ok - predict: sparse and dense predictions differ, or not 2,868 of them"
fi
if predict -v --model "$W/a/model.cpz" --gene-cache 0 "$T/dcell_GO_0006281_test.cpz" -o "$W/plain.cpz" \
		2> "$W/plain.err" && ! grep -q "per-gene cache" "$W/plain.err" &&
	predict -v --model "$W/a/model.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/cached.cpz" 2> "$W/cached.err" &&
	grep -q "per-gene cache" "$W/cached.err" &&
	cpz dump "$W/plain.cpz" pred > "$W/plain.txt" &&
	paste "$W/sparse.txt" "$W/plain.txt" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d
		if (tolower($0) ~ /nan|inf/) bad++ } END { exit !(NR == 2868 && m < 1e-5 && !bad) }'; then
	echo "ok - predict: the sparse path agrees with and without the per-gene cache"
else
	echo "not ok - predict: the per-gene cache changes the predictions, or was not used"
fi
# the sparse path's predictions, with and without the cache, do not follow
# the kernels OpenBLAS picks for the CPU (on x86-64, its SSE3 ones)
if [ "$(uname -m)" = x86_64 ]; then
	if OPENBLAS_CORETYPE=Prescott predict -q --model "$W/a/model.cpz" "$T/dcell_GO_0006281_test.cpz" \
			-o "$W/sse3.cpz" &&
		OPENBLAS_CORETYPE=Prescott predict -q --model "$W/a/model.cpz" --gene-cache 0 \
			"$T/dcell_GO_0006281_test.cpz" -o "$W/sse3-plain.cpz" &&
		cpz dump "$W/sse3.cpz" pred | cmp -s - "$W/sparse.txt" &&
		cpz dump "$W/sse3-plain.cpz" pred | cmp -s - "$W/plain.txt"; then
		echo "ok - predict: the sparse path's predictions do not depend on OpenBLAS's kernels"
	else
		echo "not ok - predict: the sparse path's predictions change with OPENBLAS_CORETYPE=Prescott"
	fi
fi
if fit -q --model additive --train "$T/gi6281.batches.cpz" --label gene_interaction -o "$W/additive.model.cpz" &&
	fit -q --model mean --train "$T/gi6281.batches.cpz" --label gene_interaction -o "$W/mean.model.cpz" &&
	predict -q --model "$W/additive.model.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/additive.cpz" &&
	predict -q --model "$W/mean.model.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/mean.cpz"; then
	echo "ok - fit --model additive and mean, and their predictions"
else
	echo "not ok - the baselines did not fit or predict"
fi
# the additive model's bytes do not depend on OpenBLAS's threads (its
# factorisation ordered its sums by their count)
for n in 1 2; do
	OPENBLAS_NUM_THREADS=$n fit -q --model additive --threads $n --train "$T/gi6281.batches.cpz" \
		--label gene_interaction -o "$W/additive$n.cpz" 2> "$W/err"
	cpz dump "$W/additive$n.cpz" weight > "$W/additive$n.txt" 2>> "$W/err"
done
if [ -s "$W/additive1.txt" ] && cmp -s "$W/additive1.txt" "$W/additive2.txt"; then
	echo "ok - fit --model additive: the same weights on one OpenBLAS thread and on two"
else
	echo "not ok - fit --model additive: the weights differ with OpenBLAS's threads: $(cat "$W/err")"
fi

# predict refuses, with nothing written, a value beyond single precision
# when it would write it, not leaving it for its readers to refuse:
# predict_refuses WHAT PATTERN ARGS... (predict's arguments but -o)
predict_refuses() {
	what=$1 pattern=$2
	shift 2
	if ! predict -q "$@" -o "$W/huge.cpz" 2> "$W/err" && [ ! -e "$W/huge.cpz" ] &&
		grep -q "$pattern" "$W/err"; then
		echo "ok - predict refuses $what"
	else
		echo "not ok - predict of $what: $(cat "$W/err")"
	fi
}
M="$O/tests/aids/cpz-mutate"
# a prediction: a crafted mean of 1e300
"$M" --set-element baseline mean 0 1e300 "$W/mean.model.cpz" "$W/huge.model.cpz" > /dev/null
predict_refuses "a prediction beyond single precision" \
	"dcell_GO_0006281_test.cpz: record 2 (samples): experiment 0: the prediction .* is beyond single precision's range" \
	--model "$W/huge.model.cpz" "$T/dcell_GO_0006281_test.cpz"
# members of 1e300 and -1e300: a mean of 0, a spread beyond range (it came
# out NaN, which the predictions' readers refuse beside a value)
"$M" --set-element baseline mean 0 -1e300 "$W/mean.model.cpz" "$W/neg.model.cpz" > /dev/null
predict_refuses "members' spread beyond single precision" \
	"record 2 (samples): experiment 0: the members' spread inf is beyond single precision's range" \
	--model "$W/huge.model.cpz" --model "$W/neg.model.cpz" "$T/dcell_GO_0006281_test.cpz"
# a label that the input's scale puts beyond single precision
"$M" --set-element context label.scale 2 1e300 "$T/gi6281.batches.cpz" "$W/bigscale.cpz" > /dev/null
predict_refuses "a label its input's scale puts beyond single precision" \
	"bigscale.cpz: record [0-9]* (batch): field 'label': experiment 0: gene_interaction on its original scale, .* is beyond single precision's range" \
	--model "$W/mean.model.cpz" "$W/bigscale.cpz"

# several models' predictions averaged (DCell trained with two settings);
# models of another kind are refused, with nothing written
if predict -q --model "$W/b/t1.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/t1.pred.cpz" &&
	predict -q --model "$W/a/model.cpz" --model "$W/b/t1.cpz" "$T/dcell_GO_0006281_test.cpz" \
		-o "$W/mean2.cpz" &&
	cpz dump "$W/dcell.cpz" pred > "$W/p1" && cpz dump "$W/t1.pred.cpz" pred > "$W/p2" &&
	cpz dump "$W/mean2.cpz" pred > "$W/p3" &&
	paste "$W/p1" "$W/p2" "$W/p3" |
	awk '{ d = $3 - ($1 + $2) / 2; if (d < 0) d = -d; s = ($1 < 0 ? -$1 : $1) + ($2 < 0 ? -$2 : $2)
		if (d > 1e-6 * s + 1e-9 || tolower($0) ~ /nan|inf/) bad++; n++ } END { exit !(n == 2868 && bad == 0) }'; then
	echo "ok - predict --model A --model B: the mean of the two models' predictions, all 2,868"
else
	echo "not ok - predict with two models is not the mean of each one's predictions"
fi
# their spread: the standard deviation over the members, |a - b| / 2 for
# two; one model's predictions carry none
if cpz dump "$W/mean2.cpz" pred_sd > "$W/sd" 2> "$W/err" && paste "$W/p1" "$W/p2" "$W/sd" |
	awk '{ d = ($1 - $2) / 2; if (d < 0) d = -d; e = $3 - d; if (e < 0) e = -e
		s = ($1 < 0 ? -$1 : $1) + ($2 < 0 ? -$2 : $2)
		if (e > 1e-6 * s + 1e-9 || tolower($0) ~ /nan|inf/) bad++; n++ } END { exit !(n == 2868 && bad == 0) }' &&
	! cpz dump "$W/t1.pred.cpz" pred_sd > /dev/null 2>&1; then
	echo "ok - predict --model A --model B: pred_sd is the spread of the two models' predictions"
else
	echo "not ok - predict's pred_sd of two models is not |a - b| / 2: $(cat "$W/err")"
fi
# report gives an ensemble's mean spread and how it ranks the errors
# (spread_error_spearman, in [-1, 1]); NA for one model
if report -q --no-plots -o "$W/report-sd" "$W/mean2.cpz" "$W/t1.pred.cpz" 2> "$W/err" &&
	awk -F'\t' 'NR == FNR { s += $1; n++; next }
		FNR > 1 && $1 == "mean2" { ok += ($15 - s / n < 1e-5 * s / n && s / n - $15 < 1e-5 * s / n && $16 >= -1 && $16 <= 1) }
		FNR > 1 && $1 == "t1.pred" { ok += ($15 == "NA" && $16 == "NA") }
		END { exit !(ok == 2) }' "$W/sd" "$W/report-sd/metrics.tsv"; then
	echo "ok - report: the ensemble's spread $(awk -F'\t' '$1 == "mean2" { print $15 ", spread-error Spearman " $16 }' "$W/report-sd/metrics.tsv"); none for one model"
else
	echo "not ok - report's spread columns: $(cat "$W/err" "$W/report-sd/metrics.tsv")"
fi
# --no-plots: metrics.tsv and report.html only
if [ "$(ls -A "$W/report-sd" | tr '\n' ' ')" = "metrics.tsv report.html " ]; then
	echo "ok - report --no-plots writes metrics.tsv and report.html only"
else
	echo "not ok - report --no-plots wrote: $(ls -A "$W/report-sd" | tr '\n' ' ')"
fi
predict -q --model "$W/a/model.cpz" --model "$W/additive.model.cpz" "$T/dcell_GO_0006281_test.cpz" \
	-o "$W/mixed.cpz" 2> "$W/mixed.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c '' "$W/mixed.err")" -eq 1 ] && [ ! -e "$W/mixed.cpz" ]; then
	echo "ok - predict refuses to average models of different kinds: $(cat "$W/mixed.err")"
else
	echo "not ok - predict averaged a DCell and an additive model (exit $rc): $(cat "$W/mixed.err")"
fi

# the progress line: on a terminal (script(1) gives one), redrawn in place
# and at most ten times a second, far fewer than the 498 batches; never
# when standard error is a file
if command -v script > /dev/null 2>&1; then
	(cd "$W/a" && script -qec "fit --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 --epochs 2 --seed 5 -o tty.cpz" "$W/tty.log" > /dev/null)
	# the first epoch does not know its length yet ("N samples"), the
	# second does ("N/7953 (P%)"); the first call always draws
	draws=$(tr '\r' '\n' < "$W/tty.log" | grep -Ec '^fit: epoch [12]: [0-9]+(/7953 \([0-9]+%\))? ?(samples,)? loss [0-9.]+.\[K')
	ends=$(tr '\r' '\n' < "$W/tty.log" | grep -Ec '^(.\[K)?fit: epoch [12]/2 ')
	(cd "$W/a" && fit --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 --epochs 2 --seed 5 -o file.cpz 2> "$W/file.err")
	plain=$(grep -c "$(printf '\r')" "$W/file.err")
	[ "$(grep -c '^fit: epoch [12]/2 ' "$W/file.err")" -eq 2 ] || plain="no epoch lines,"
	if [ "$draws" -ge 1 ] && [ "$draws" -lt 249 ] && [ "$ends" -eq 2 ] && [ "$plain" -eq 0 ]; then
		echo "ok - fit's progress line on a terminal: $draws redraws over 2 epochs of 249 batches, then each epoch's line; none to a file"
	else
		echo "not ok - fit's progress line: $draws redraws, $ends epoch lines, $plain CRs in a file"
	fi
else
	echo "ok - fit's progress line # SKIP script(1) not installed"
fi

# the report: metrics for each run, every plot, one page
if report -q -o "$W/report" "$W/dcell.cpz" "$W/additive.cpz" "$W/mean.cpz" "$W/a/model.cpz" 2> "$W/report.err"; then
	rows=$(awk -F'\t' 'NR > 1' "$W/report/metrics.tsv" | wc -l)
	pngs=$(ls "$W/report/plots" | grep -c '\.png$')
	svgs=$(ls "$W/report/plots" | grep -c '\.svg$')
	[ "$rows" -eq 3 ] && [ "$pngs" -eq 10 ] && [ "$svgs" -eq 10 ] &&
		echo "ok - report: 3 metric rows, 10 PNG and 10 SVG plots" ||
		echo "not ok - report: $rows rows, $pngs PNG, $svgs SVG"
	awk -F'\t' '$1 == "dcell" { d = $10 } $1 == "mean" { m = $7 } $1 == "dcell" { dm = $7 }
		END { exit !(d > 0.15 && dm < m) }' "$W/report/metrics.tsv" &&
		echo "ok - DCell predicts held-out interactions: $(awk -F'\t' '$1 == "dcell" { print "Pearson " $10 ", MSE " $7 }' "$W/report/metrics.tsv") (training mean MSE $(awk -F'\t' '$1 == "mean" { print $7 }' "$W/report/metrics.tsv"))" ||
		echo "not ok - DCell does not beat the training mean: $(cat "$W/report/metrics.tsv")"
	# the page shows the table's numbers, to four significant digits
	shown=$(awk -F'\t' '$1 == "dcell" { printf "<td><b>%.4g</b></td><td>[%.4g, %.4g]</td>", $10, $11, $12 }' \
		"$W/report/metrics.tsv")
	[ -n "$shown" ] && grep -qF "$shown" "$W/report/report.html" &&
		echo "ok - report.html shows DCell's Pearson and its interval: $shown" ||
		echo "not ok - report.html lacks '$shown'"
else
	echo "not ok - report: $(cat "$W/report.err")"
fi

# the page renders: a screenshot in headless Chromium is not blank
if command -v chromium > /dev/null 2>&1; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$W/chromium" --window-size=1200,1600 --screenshot="$W/shot.png" \
		"file://$W/report/report.html" > /dev/null 2>&1
	stats=$("$O/tests/aids/png-stats" "$W/shot.png" 2>&1)
	echo "$stats" | awk '{ exit !($3 > 50 && $4 > 3) }' &&
		echo "ok - report.html renders in Chromium (colours, % not background: $(echo "$stats" | cut -d' ' -f3,4))" ||
		echo "not ok - report.html screenshot looks blank: $stats"
else
	echo "ok - report.html in Chromium # SKIP chromium not installed"
fi

# a run's name from any file name (made safe for file names and gnuplot),
# and a title too long for the plot's width on two lines
odd='a "quoted\\ run" named at length for its plots titles'
cp "$W/dcell.cpz" "$W/$odd.cpz"
if report -q -o "$W/report-odd" "$W/$odd.cpz" 2> "$W/err" &&
	[ "$(ls "$W/report-odd/plots" | grep -c '^a__quoted___run__named.*\.png$')" -eq 3 ] &&
	grep -q '^set title "a__quoted___run__named_at_length_for_its_plots_titles ([^"]*):\\n[^"]*" noenhanced$' \
		"$W/report-odd/data/"*density.gp; then
	echo "ok - report: a run named with quotes and spaces plots, its long titles on two lines"
else
	echo "not ok - report on '$odd': $(cat "$W/err"; grep -h 'set title' "$W/report-odd/data/"*.gp)"
fi

# a model trained without validation has a training curve alone; two
# models of one file name each a plot; -o DIR/ is DIR; a --gnuplot named
# relative to here is found from the report's directory too
mkdir -p "$W/m1" "$W/m2" "$W/gp"
cp "$W/noval.model.cpz" "$W/m1/m.cpz" && cp "$W/a/model.cpz" "$W/m2/m.cpz"
printf '#!/bin/sh\nexec gnuplot "$@"\n' > "$W/gp/gnuplot" && chmod +x "$W/gp/gnuplot"
if (cd "$W" && report -q --gnuplot gp/gnuplot -o report-m/ dcell.cpz m1/m.cpz m2/m.cpz) 2> "$W/err" &&
	[ -f "$W/report-m/plots/m.training.png" ] && [ -f "$W/report-m/plots/m-2.training.png" ] &&
	! grep -q "validation" "$W/report-m/data/m.training.gp" &&
	grep -q "validation Pearson" "$W/report-m/data/m-2.training.gp"; then
	echo "ok - report: a model without validation, two models of one name, -o DIR/, a relative --gnuplot"
else
	echo "not ok - report on models without validation or of one name: $(cat "$W/err"; ls "$W/report-m/plots" 2>&1)"
fi

# two runs of one long name that already ends as "-K" would: a name each
long=$(printf 'a%.0s' $(seq 80))-2
mkdir -p "$W/l1" "$W/l2" && cp "$W/dcell.cpz" "$W/l1/$long.cpz" && cp "$W/dcell.cpz" "$W/l2/$long.cpz"
if timeout 60 report -q --no-plots -o "$W/report-long" "$W/l1/$long.cpz" "$W/l2/$long.cpz" 2> "$W/err" &&
	[ "$(cut -f1 "$W/report-long/metrics.tsv" | sort -u | grep -c "^a")" -eq 2 ]; then
	echo "ok - report: two runs of one long name ending in -2 get a name each"
else
	echo "not ok - report on two long names (124: it looped): $(cat "$W/err")"
fi

# report replaces only a report: never a file, a directory of other files,
# or a directory holding one of its inputs; an older report it does
mkdir "$W/notes" && echo keep > "$W/notes/notes.txt" && : > "$W/afile"
cp "$W/dcell.cpz" "$W/report/in.cpz"
bad=""
refused() {	# refused OUT INPUT MESSAGE
	if report -q --no-plots -o "$1" "$2" 2> "$W/err"; then
		bad="$bad $1 written;"
	elif ! grep -q "$3" "$W/err"; then
		bad="$bad $(cat "$W/err");"
	fi
}
refused "$W/notes" "$W/dcell.cpz" 'a directory of other files'
refused "$W/afile" "$W/dcell.cpz" 'exists and is not a directory'
refused "$W/report" "$W/report/in.cpz" 'an input inside'
[ -f "$W/notes/notes.txt" ] && [ -f "$W/afile" ] && [ -f "$W/report/in.cpz" ] || bad="$bad (something replaced)"
rm "$W/report/in.cpz"
report -q --no-plots -o "$W/report" "$W/dcell.cpz" 2> "$W/err" && [ -f "$W/report/metrics.tsv" ] ||
	bad="$bad rerun:$(cat "$W/err")"
[ -z "$bad" ] && echo "ok - report replaces only a report, never its inputs or other files" ||
	echo "not ok - report's output directory:$bad"
# a batch runs on across refills of the shuffle buffer: a buffer of one
# experiment trains on full batches in the stream's order, as no shuffling does
(cd "$W/a" && fit -q --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 --epochs 2 \
	--seed 5 --shuffle-buffer 1 -o "$W/buf1.cpz") 2> "$W/err"
(cd "$W/a" && fit -q --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 --epochs 2 \
	--seed 5 --shuffle-buffer 0 -o "$W/buf0.cpz") 2>> "$W/err"
if [ -f "$W/buf1.cpz" ] && [ -f "$W/buf0.cpz" ] &&
	cpz dump "$W/buf1.cpz" params > "$W/p1" && cpz dump "$W/buf0.cpz" params > "$W/p0" && cmp -s "$W/p1" "$W/p0"; then
	echo "ok - fit --shuffle-buffer 1 trains on full batches, as --shuffle-buffer 0"
else
	echo "not ok - fit --shuffle-buffer 1 and 0 differ: $(cat "$W/err")"
fi
# a run pushed past its precision's range (near lr 20,000 here the second
# moment overflows while the weights stay finite) stops with one line; it
# never leaves a checkpoint holding a value that is not finite
bad=""
for lr in 20500 20800 21500; do
	rm -f "$W/div.cpz"
	(cd "$W/a" && fit -q --go go.cpz --train train.cpz --label gene_interaction --batch-size 32 \
		--epochs 3 --lr $lr --clip 0 --seed 1 -o "$W/div.cpz") 2> "$W/err"
	rc=$?
	[ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ "$(wc -l < "$W/err")" -eq 1 ]; } || bad="$bad lr $lr: exit $rc $(cat "$W/err");"
	[ -f "$W/div.cpz" ] || continue
	for f in params buffers adam_m adam_v; do
		n=$(cpz dump "$W/div.cpz" $f | grep -ci 'inf\|nan')
		[ "$n" -eq 0 ] || bad="$bad lr $lr: $n values of $f not finite;"
	done
done
[ -z "$bad" ] && echo "ok - a diverging run leaves no checkpoint with values that are not finite" ||
	echo "not ok - a diverging run:$bad"
# a run of two experiments (a constant prediction, one label beyond the
# plotted range) still gets every plot, each counting both (its baseline
# model, given too, has no training curve to add); a plotting program's
# failure is reported with its own message
head -3 "$T/datasets/dcell_GO_0006281_test.tsv" > "$W/two.tsv"
if pert-mask -q --graph "$T/cell.cpz" --go "$T/go6281.cpz" "$W/two.tsv" -o "$W/two.cpz" &&
	predict -q --model "$W/mean.model.cpz" "$W/two.cpz" -o "$W/two.pred.cpz" &&
	report -q -o "$W/two" "$W/two.pred.cpz" "$W/mean.model.cpz" 2> "$W/err"; then
	cells=$(awk '!/^#/ { n += $3 } END { print n + 0 }' "$W/two/data/two.pred.gene_interaction.density.tsv")
	bins=$(awk '!/^#/ { t += $3; p += $4 } END { print t, p }' \
		"$W/two/data/two.pred.gene_interaction.hist.tsv")
	pngs=$(ls "$W/two/plots" | grep -c '\.png$')
	[ "$cells" = 2 ] && [ "$bins" = "2 2" ] && [ "$pngs" -eq 3 ] &&
		echo "ok - report plots a run of two experiments: both in the density and the histogram" ||
		echo "not ok - report of two experiments: density counts $cells, histogram $bins, $pngs PNG"
else
	echo "not ok - report of two experiments: $(cat "$W/err")"
fi
# concatenated streams (cpz(5)): samples of one graph and DAG join, as do
# predictions of one run; others, and batches, are refused naming the field
cat "$W/two.cpz" "$W/two.cpz" > "$W/2x.cpz"
cat "$W/two.cpz" "$T/kuzmin.cpz" > "$W/mixed.cpz"
cat "$T/gi6281.batches.cpz" "$T/gi6281.batches.cpz" > "$W/2b.cpz"
bad=""
if predict -q --model "$W/mean.model.cpz" "$W/2x.cpz" -o "$W/2x.pred.cpz" 2> "$W/err"; then
	[ "$(cpz dump "$W/2x.pred.cpz" index | wc -l)" -eq 4 ] || bad="$bad predict: not 4 experiments;"
	# a run's segments join (here its train and val splits, predicted apart);
	# a segment repeated would count its experiments twice, and is refused
	predict -q --model "$W/mean.model.cpz" --split train "$T/gi6281.batches.cpz" -o "$W/tr.pred.cpz" &&
		predict -q --model "$W/mean.model.cpz" --split val "$T/gi6281.batches.cpz" -o "$W/va.pred.cpz" &&
		cat "$W/tr.pred.cpz" "$W/va.pred.cpz" > "$W/trva.pred.cpz" &&
		report -q --no-plots -o "$W/trva" "$W/trva.pred.cpz" 2> "$W/err" &&
		[ "$(awk -F'\t' '$4 == "all" { print $5 }' "$W/trva/metrics.tsv")" = \
			"$(cpz dump "$T/gi6281.batches.cpz" split.count | awk '{ n += $1 } END { print n }')" ] ||
		bad="$bad report of two splits: $(cat "$W/err");"
	cat "$W/2x.pred.cpz" "$W/2x.pred.cpz" > "$W/4x.pred.cpz"
	report -q --no-plots -o "$W/4x" "$W/4x.pred.cpz" 2> "$W/err" ||
		grep -q "4x.pred.cpz: record [0-9]* (predictions): field 'index': experiment 0 (.*) appears twice" "$W/err" ||
		bad="$bad repeated segment: $(cat "$W/err");"
	[ -e "$W/4x" ] && bad="$bad a repeated segment reported;"
else
	bad="$bad predict: $(cat "$W/err");"
fi
# two models of one kind (or one and an ensemble with it) are two runs
predict -q --model "$W/a/model.cpz" --split train "$T/gi6281.batches.cpz" -o "$W/tr.a.cpz" &&
	predict -q --model "$W/a/model.cpz" --model "$W/b/t1.cpz" --split val "$T/gi6281.batches.cpz" \
		-o "$W/va.ab.cpz" && cat "$W/tr.a.cpz" "$W/va.ab.cpz" > "$W/seeds.cpz" ||
	bad="$bad predict with two DCell models;"
report -q --no-plots -o "$W/seeds" "$W/seeds.cpz" 2> "$W/err" ||
	grep -q "seeds.cpz: record [0-9]* (meta): field 'models': differs from the first segment's" "$W/err" ||
	bad="$bad two model sets: $(cat "$W/err");"
[ -e "$W/seeds" ] && bad="$bad two model sets reported as one run;"
cat "$W/two.pred.cpz" "$W/dcell.cpz" > "$W/runs.cpz"
report -q --no-plots -o "$W/runs" "$W/runs.cpz" 2> "$W/err" ||
	grep -q "runs.cpz: record 4 (meta): field 'model': differs from the first segment's" "$W/err" ||
	bad="$bad two runs: $(cat "$W/err");"
[ -e "$W/runs" ] && bad="$bad two runs reported;"
predict -q --model "$W/mean.model.cpz" "$W/mixed.cpz" -o "$W/mixed.pred.cpz" 2> "$W/err" ||
	grep -q "mixed.cpz: record 4 (context): field 'go': differs from the first segment's" "$W/err" ||
	bad="$bad two DAGs: $(cat "$W/err");"
[ -e "$W/mixed.pred.cpz" ] && bad="$bad two DAGs predicted;"
fit -q --model mean --train "$W/2b.cpz" -o "$W/2b.model.cpz" 2> "$W/err" ||
	grep -q "a second batches stream follows the first" "$W/err" || bad="$bad batches: $(cat "$W/err");"
[ -e "$W/2b.model.cpz" ] && bad="$bad concatenated batches fitted;"
[ -z "$bad" ] && echo "ok - concatenated samples and predictions of one run join; other runs, repeats and batches are refused" ||
	echo "not ok - concatenated streams:$bad"
printf '#!/bin/sh\necho "line 3: all points y value undefined!" >&2\nexit 1\n' > "$W/bad-gnuplot"
chmod +x "$W/bad-gnuplot"
if report -q --gnuplot "$W/bad-gnuplot" -o "$W/bad" "$W/two.pred.cpz" 2> "$W/err"; then
	echo "not ok - report succeeded with a failing plotting program"
elif [ "$(wc -l < "$W/err")" -eq 1 ] && grep -q 'bad-gnuplot failed on data/two.pred.*: line 3: all points y value undefined!$' "$W/err" &&
	[ ! -e "$W/bad" ]; then
	echo "ok - report names the plotting program's own error: $(cat "$W/err")"
else
	echo "not ok - report with a failing plotting program: $(cat "$W/err")"
fi
# a run that had ended has nothing to continue: resumed to another file, its
# model is copied there; other options cannot go with --resume
if fit --resume "$W/a/model.cpz" -o "$W/ended.cpz" 2> "$W/err" && cmp -s "$W/a/model.cpz" "$W/ended.cpz" &&
	grep -q 'had already ended' "$W/err"; then
	echo "ok - resuming an ended run copies its model: $(cat "$W/err")"
else
	echo "not ok - resuming an ended run: $(cat "$W/err")"
fi
# a label without a training value is named, not found as a NaN loss; a
# batches stream counts its labels, so before the first epoch
if fit -q --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" --label fitness --epochs 1 -o "$W/nolabel.cpz" \
	2> "$W/err"; then
	echo "not ok - fit trained on a label without values"
else
	grep -q 'no training value of fitness (split train)' "$W/err" && [ ! -e "$W/nolabel.cpz" ] &&
		echo "ok - fit names a label without training values: $(cat "$W/err")" ||
		echo "not ok - fit, a label without values: $(cat "$W/err")"
fi

# damaged inputs fail cleanly, with one line naming the file, and leave nothing
size=$(wc -c < "$W/a/model.cpz")
head -c $((size / 2)) "$W/a/model.cpz" > "$W/cut.model.cpz"
head -c $(($(wc -c < "$W/dcell.cpz") - 10)) "$W/dcell.cpz" > "$W/cut.predictions.cpz"
# a stream with a stray frame after its end record (a zstd skippable frame)
{ cat "$T/dcell_GO_0006281_test.cpz"; printf 'P*M\030\004\000\000\000abcd'; } > "$W/cut.samples.cpz"
# two models, or two GO DAGs, concatenated (one stream each, as the format allows)
cat "$W/a/model.cpz" "$W/a/model.cpz" > "$W/cut.two-models.cpz"
cat "$T/go6281.cpz" "$T/go.cpz" > "$W/cut.two-dags.cpz"
for cmd in "predict --model $W/cut.model.cpz $T/dcell_GO_0006281_test.cpz -o $W/out.cpz" \
	"fit --resume $W/cut.model.cpz -o $W/out.cpz" \
	"report -o $W/out $W/cut.predictions.cpz" \
	"predict --model $W/a/model.cpz $W/cut.model.cpz -o $W/out.cpz" \
	"fit -q --model mean --train $W/cut.samples.cpz --label gene_interaction -o $W/out.cpz" \
	"fit -q --go $T/go6281.cpz --train $T/gi6281.batches.cpz --val $W/cut.samples.cpz --label gene_interaction --epochs 1 -o $W/out.cpz" \
	"predict --model $W/cut.two-models.cpz $T/dcell_GO_0006281_test.cpz -o $W/out.cpz" \
	"fit --resume $W/cut.two-models.cpz -o $W/out.cpz" \
	"report --no-plots -o $W/out $W/dcell.cpz $W/cut.two-models.cpz" \
	"pert-mask -q -g $T/cell.cpz --go $W/cut.two-dags.cpz $T/datasets/dcell_GO_0006281_test.tsv -o $W/out.cpz"; do
	$cmd > /dev/null 2> "$W/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(grep -c '' "$W/err")" -eq 1 ] && grep -q 'cut\.' "$W/err" &&
		! ls "$W" | grep -q '^out'; then
		echo "ok - a damaged input fails cleanly: $(cat "$W/err")"
	else
		echo "not ok - ${cmd%% *} on a damaged input: exit $rc: $(cat "$W/err")"
	fi
done
# an empty selection is refused, not written as zero predictions
if predict -q --model "$W/a/model.cpz" --split test "$T/gi6281.batches.cpz" -o "$W/none.cpz" 2> "$W/err"; then
	echo "not ok - predict wrote predictions of an empty split"
elif grep -q 'no experiments in split test' "$W/err" && [ ! -e "$W/none.cpz" ]; then
	echo "ok - predict refuses an empty split: $(cat "$W/err")"
else
	echo "not ok - predict, empty split: $(cat "$W/err")"
fi
# another genome's samples are refused
printf 'genes\tfitness\nYAL001C,YAL002W\t0.5\n' > "$W/other.tsv"
"$O/tests/aids/exp2samples" tests/fixtures/genome/SGD_features_small.tab "$W/other.tsv" "$W/other.cpz" 2>/dev/null
if predict --model "$W/a/model.cpz" "$W/other.cpz" -o "$W/out.cpz" 2> "$W/err"; then
	echo "not ok - predict accepted samples of another genome"
else
	grep -q "other.cpz: record 0 (genome): field 'hash': [0-9a-f]\{16\}, but .*model.cpz indexes the genome" \
		"$W/err" && [ ! -e "$W/out.cpz" ] && echo "ok - predict refuses samples of another genome" ||
		echo "not ok - predict, another genome: $(cat "$W/err")"
fi
# a --val stream is scored on the training stream's scale, whatever its own:
# raw labels (samples), or batches standardized by their own statistics
V="fit -q --go $T/go6281.cpz --train $T/gi6281.batches.cpz --label gene_interaction --epochs 1 --batch-size 64"
batch-pack -q -f 0,1,0 -z -o "$W/val.batches.cpz" "$T/dcell_GO_0006281_test.cpz" 2> "$W/err" &&
	$V --val "$T/dcell_GO_0006281_test.cpz" -o "$W/v1.cpz" 2>> "$W/err" &&
	$V --val "$W/val.batches.cpz" -o "$W/v2.cpz" 2>> "$W/err" &&
	predict -q --model "$W/v1.cpz" "$T/dcell_GO_0006281_test.cpz" -o "$W/v1.pred.cpz" 2>> "$W/err"
v1=$(cpz dump "$W/v1.cpz" val_mse.gene_interaction 2> /dev/null)
v2=$(cpz dump "$W/v2.cpz" val_mse.gene_interaction 2> /dev/null)
c=$(cpz dump "$T/gi6281.batches.cpz" label.center 2> /dev/null | sed -n 3p)
s=$(cpz dump "$T/gi6281.batches.cpz" label.scale 2> /dev/null | sed -n 3p)
cpz dump "$W/v1.pred.cpz" pred > "$W/p" 2> /dev/null
mine=$(cpz dump "$W/v1.pred.cpz" label 2> /dev/null | cut -f3 | paste - "$W/p" |
	awk -F'\t' -v c="$c" -v s="$s" '{ d = ($1 - $2) / s; t += d * d; n++ } END { if (n) printf "%.9g", t / n }')
if awk -v a="$v1" -v b="$v2" -v m="$mine" 'BEGIN {
	r1 = (a - m) / m; r2 = (b - m) / m
	exit !(a != "" && b != "" && m > 0.3 && r1 < 1e-4 && r1 > -1e-4 && r2 < 1e-4 && r2 > -1e-4) }'; then
	echo "ok - fit scores a --val stream on the training scale: raw $v1, own standardization $v2, predict's $mine"
else
	echo "not ok - fit's validation MSE of a --val stream: raw '$v1', standardized '$v2', predict's '$mine': $(cat "$W/err")"
fi
# an output that cannot be written is refused before the first epoch: a
# missing directory, a directory, an input (the training stream, cut short,
# would stop the first epoch with another message)
size=$(wc -c < "$T/gi6281.batches.cpz")
head -c $((size * 9 / 10)) "$T/gi6281.batches.cpz" > "$W/cut.cpz"
bad=""
for o in "$W/missing/m.cpz" "$W" "$W/cut.cpz"; do
	if fit --go "$T/go6281.cpz" --train "$W/cut.cpz" --label gene_interaction --epochs 2 \
		-o "$o" 2> "$W/err"; then
		bad="$bad $o written;"
	elif [ "$(grep -c '' "$W/err")" -ne 1 ] || ! grep -qF "fit: $o: " "$W/err"; then
		bad="$bad $o: $(tr '\n' ' ' < "$W/err");"
	fi
done
[ -z "$bad" ] && echo "ok - fit refuses an output it cannot write before training" ||
	echo "not ok - fit, an output it cannot write:$bad"
# a DCell model is rewritten after every epoch: a pipe cannot take it (the
# second epoch's checkpoint waited for a reader forever), so it is refused
# as -o - is, before any work
rm -f "$W/out.fifo" && mkfifo "$W/out.fifo"
timeout 120 fit -q --epochs 2 --go "$T/go6281.cpz" --train "$T/gi6281.batches.cpz" --label gene_interaction \
	-o "$W/out.fifo" 2> "$W/err"
rc=$?
[ $rc -eq 2 ] && grep -q "out.fifo: a DCell model is rewritten after every epoch, so it needs a file, not a pipe" "$W/err" &&
	echo "ok - fit refuses a pipe as a DCell model's output" ||
	echo "not ok - fit -o FIFO: exit $rc: $(cat "$W/err")"
