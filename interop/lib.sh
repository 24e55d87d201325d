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
# status 0 and every regex to match a line of its standard output. A regex
# written with a leading "!" must match no line.
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
		if [ "${p:0:1}" = "!" ]; then
			! grep -Eq -- "${p:1}" <<<"$out" || ok=0
		else
			grep -Eq -- "$p" <<<"$out" || ok=0
		fi
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

port_in_use() {
	[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# free_port prints a free TCP port on 127.0.0.1: the kernel's choice when
# python3 is at hand, otherwise a probe of the high range.
free_port() {
	local p
	if command -v python3 >/dev/null 2>&1; then
		p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || true)"
		if [ -n "$p" ] && ! port_in_use "$p"; then echo "$p"; return; fi
	fi
	for _ in $(seq 1 200); do
		p=$(( 20000 + RANDOM % 30000 ))
		if ! port_in_use "$p"; then echo "$p"; return; fi
	done
	echo "no free port found" >&2
	return 1
}
