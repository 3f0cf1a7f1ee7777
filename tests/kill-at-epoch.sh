# Sourced by the tests that resume a killed fit.
# kill_at_epoch PID MODEL EPOCH: once MODEL's checkpoint has reached EPOCH
# (at most 30 s), kill -9 PID, a background job of the calling shell, and
# wait for it; killed_at is then the checkpoint's epoch ("none" if none).
kill_at_epoch() {
	n=0
	while [ $n -lt 600 ]; do
		e=$(cpz dump "$2" progress.epoch 2>/dev/null || echo 0)
		[ "$e" -ge "$3" ] && break
		sleep 0.05
		n=$((n + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	killed_at=$(cpz dump "$2" progress.epoch 2>/dev/null || echo none)
}
