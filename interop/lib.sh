# Shared by the interop scripts: timing, and check() which runs one login
# and counts it as passed or failed.
#
# The sourcing script sets $work (a scratch directory) and ends with
# summary, which prints "N passed, N failed" and returns non-zero when
# anything failed.

passed=0
failed=0

ms() { date +%s%3N; }

# check NAME EXPECTED_REGEX... -- COMMAND...: run COMMAND, require exit
# status 0 and every regex to match a line of its standard output.
check() {
	local name="$1"; shift
	local patterns=()
	while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
	shift
	local t0 out rc ok=1 p
	t0=$(ms)
	out="$("$@" 2>"$work/stderr")"; rc=$?
	[ $rc -eq 0 ] || ok=0
	for p in "${patterns[@]}"; do
		grep -Eq -- "$p" <<<"$out" || ok=0
	done
	if [ $ok = 1 ]; then
		passed=$((passed + 1))
		printf 'ok   %-58s %5d ms\n' "$name" "$(( $(ms) - t0 ))"
	else
		failed=$((failed + 1))
		printf 'FAIL %s (exit %d)\n' "$name" "$rc"
		sed 's/^/     | /' <<<"$out"
		sed 's/^/     ! /' "$work/stderr" | tail -n 20
	fi
}

# wait_for FILE REGEX: wait up to 15 s for a line matching REGEX in FILE.
wait_for() {
	for _ in $(seq 1 150); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
