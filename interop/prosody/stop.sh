#!/usr/bin/env bash
# Stop a private Prosody started by start.sh:  interop/prosody/stop.sh DIR
#
# Sends SIGTERM to the pid recorded in DIR/server.pid (Prosody then closes
# its streams and exits, usually within two seconds), waits, and only if it
# is still running after PROSODY_STOP_TIMEOUT seconds (default 10) sends
# SIGKILL. The directory is kept; remove it yourself when done.
set -euo pipefail

dir="${1:-${PROSODY_DIR:-}}"
[ -n "$dir" ] || { echo "usage: stop.sh DIR" >&2; exit 2; }
pidfile="$dir/server.pid"
[ -f "$pidfile" ] || { echo "stop.sh: no $pidfile" >&2; exit 0; }
pid="$(cat "$pidfile")"

# Only signal the process if it is the Prosody started with this directory.
if ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$dir/prosody.cfg.lua"; then
	rm -f "$pidfile"
	exit 0
fi

kill -TERM "$pid"
timeout="${PROSODY_STOP_TIMEOUT:-10}"
for _ in $(seq 1 $(( timeout * 20 ))); do
	kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; exit 0; }
	sleep 0.05
done
echo "stop.sh: prosody (pid $pid) did not stop within ${timeout}s, killing it" >&2
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pidfile"
