# Sourced by the tests that resume a killed fit.
# kill_at_epoch PID MODEL EPOCH: once MODEL's checkpoint has reached EPOCH
# (at most 30 s), kill -9 PID, a background job of the calling shell, and
# wait for it; killed_at is then the checkpoint's epoch.  Returns 1, with
# killed_at saying why, unless the kill landed mid-run: at EPOCH or later,
# before the last epoch and before early stopping (a kill after the end
# would leave nothing for a resume to do, and its test could not fail).
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
	last=$(cpz dump "$2" epochs 2>/dev/null || echo 0)
	stopped=$(cpz dump "$2" progress.stopped 2>/dev/null || echo 1)
	case $killed_at in '' | *[!0-9]*) killed_at="none (no checkpoint)"; return 1 ;; esac
	if [ "$killed_at" -lt "$3" ] || [ "$killed_at" -ge "$last" ] || [ "$stopped" != 0 ]; then
		killed_at="$killed_at, outside epochs $3 to $((last - 1)) or after early stopping"
		return 1
	fi
	return 0
}
