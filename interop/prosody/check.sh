#!/usr/bin/env bash
# End-to-end check of the private Prosody with both independent clients:
#
#   interop/prosody/check.sh
#
# Starts a private Prosody (STARTTLS and direct TLS, FAST tokens rotated on
# every FAST login), builds the go-xmpp driver, installs xmpp.js when
# node_modules is missing, runs the logins below, stops Prosody and prints
# "N passed, N failed". Exit status 0 only when every check passed.
# Needs: the Debian packages (install.sh), Go, Node 20 and npm.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="$(cd "$here/../peers" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/prosody-check.XXXXXX")"

cleanup() {
	"$here/stop.sh" "$work/prosody" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../lib.sh
. "$here/../lib.sh"

t0=$(ms)
if ! env PROSODY_DIRECT_TLS=1 PROSODY_FAST_TOKEN_MIN_TTL=0 "$here/start.sh" "$work/prosody" >"$work/env"; then
	echo "FAIL start.sh"; echo "0 passed, 1 failed"; exit 1
fi
# shellcheck disable=SC1091
. "$work/env"
echo "prosody started in $(( $(ms) - t0 )) ms on 127.0.0.1:$PROSODY_PORT (direct TLS $PROSODY_TLS_PORT)"

t0=$(ms)
(cd "$peers/goxmpp" && go build -o "$work/goxmpp" .) || { echo "FAIL go build"; echo "0 passed, 1 failed"; exit 1; }
echo "go-xmpp driver built in $(( $(ms) - t0 )) ms"
if [ ! -d "$peers/xmppjs/node_modules/@xmpp/client" ]; then
	t0=$(ms)
	(cd "$peers/xmppjs" && npm install --no-audit --no-fund --loglevel=error >/dev/null) \
		|| { echo "FAIL npm install"; echo "0 passed, 1 failed"; exit 1; }
	echo "xmpp.js installed in $(( $(ms) - t0 )) ms"
fi

pw() { printf 'lab-password\n' | "$@"; }
go_() { "$work/goxmpp" -addr "127.0.0.1:$PROSODY_PORT" -cafile "$PROSODY_CERT" "$@"; }
go_tls() { "$work/goxmpp" -addr "127.0.0.1:$PROSODY_TLS_PORT" -directtls -cafile "$PROSODY_CERT" "$@"; }
js() { node "$peers/xmppjs/login.mjs" --service "xmpp://127.0.0.1:$PROSODY_PORT" --domain localhost --cafile "$PROSODY_CERT" "$@"; }
js_tls() { node "$peers/xmppjs/login.mjs" --service "xmpps://127.0.0.1:$PROSODY_TLS_PORT" --domain localhost --cafile "$PROSODY_CERT" "$@"; }
jid_re='^alice@localhost/'

echo "--- go-xmpp v0.4.1"
check "SASL2 SCRAM-SHA-1-PLUS tls-exporter + Bind2 + FAST request" \
	"${jid_re}goxmpp-interop~" '^mechanism=SCRAM-SHA-1-PLUS$' '^fast=issued mechanism=HT-SHA-256-EXPR ' -- \
	pw go_ -jid alice@localhost -mechanism SCRAM-SHA-1-PLUS -fast-token-file "$work/go-token.json"
check "FAST HT-SHA-256-EXPR reconnection (token rotated)" \
	"${jid_re}goxmpp-interop~" '^mechanism=HT-SHA-256-EXPR$' '^fast=rotated ' -- \
	go_ -jid alice@localhost -fast-token-file "$work/go-token.json" </dev/null
check "FAST HT-SHA-256-EXPR with the rotated token, invalidate" \
	'^mechanism=HT-SHA-256-EXPR$' '^fast=invalidated$' -- \
	go_ -jid alice@localhost -fast-token-file "$work/go-token.json" -fast-invalidate </dev/null
check "direct TLS SCRAM-SHA-1-PLUS" \
	"${jid_re}goxmpp-interop~" '^mechanism=SCRAM-SHA-1-PLUS$' -- \
	pw go_tls -jid alice@localhost
check "TLS 1.2: SCRAM-SHA-1-PLUS tls-unique + FAST request" \
	'^mechanism=SCRAM-SHA-1-PLUS$' '^fast=issued mechanism=HT-SHA-256-UNIQ ' -- \
	pw go_ -jid alice@localhost -tls-max 1.2 -fast-token-file "$work/go-token12.json"
check "TLS 1.2: FAST HT-SHA-256-UNIQ reconnection" \
	'^mechanism=HT-SHA-256-UNIQ$' -- \
	go_ -jid alice@localhost -tls-max 1.2 -fast-token-file "$work/go-token12.json" </dev/null
check "wrong password is refused" \
	'^expected-failure=' -- \
	sh -c 'printf "wrong\n" | "$0" "$@"' "$work/goxmpp" -addr "127.0.0.1:$PROSODY_PORT" -cafile "$PROSODY_CERT" -jid alice@localhost -expect-fail
check "non-PLUS SCRAM refused client-side (XEP-0440 rule 5)" \
	'^expected-failure=channel-binding types were offered' -- \
	pw go_ -jid alice@localhost -mechanism SCRAM-SHA-1 -expect-fail

echo "--- xmpp.js 0.14.0"
check "SASL2 SCRAM-SHA-1 + Bind2 + FAST request" \
	"${jid_re}xmppjs-interop~" '^mechanism=SCRAM-SHA-1$' '^fast=issued mechanism=HT-SHA-256-NONE ' -- \
	pw js --username alice --fast-token-file "$work/js-token.json"
check "FAST HT-SHA-256-NONE, new process (token rotated)" \
	"${jid_re}xmppjs-interop~" '^mechanism=HT-SHA-256-NONE$' '^fast=rotated ' -- \
	js --username alice --fast-token-file "$work/js-token.json" </dev/null
check "FAST reconnection with the same client object" \
	'^login=2$' '^mechanism=HT-SHA-256-NONE$' -- \
	pw js --username alice --logins 2
check "direct TLS SCRAM-SHA-1" \
	"${jid_re}xmppjs-interop~" '^mechanism=SCRAM-SHA-1$' -- \
	pw js_tls --username alice
check "bogus FAST token refused (no same-stream retry on Prosody)" \
	'^expected-failure=' -- \
	sh -c 'printf "{\"token\":\"secret-token:bogus\",\"mechanism\":\"HT-SHA-256-NONE\",\"expiry\":\"2099-01-01T00:00:00Z\"}\n" > "$0" && node "$1/xmppjs/login.mjs" --service "xmpp://127.0.0.1:$2" --domain localhost --cafile "$3" --username alice --password lab-password --fast-token-file "$0" --expect-fail' \
	"$work/js-bogus.json" "$peers" "$PROSODY_PORT" "$PROSODY_CERT"

echo "--- messages between the clients"
tag="m$RANDOM$RANDOM"
js --username bob --password lab-password --wait 15 --expect-body "go-to-js $tag" >"$work/bob-js.out" 2>"$work/bob-js.err" &
bob=$!
for _ in $(seq 1 150); do grep -q '^login_ms=' "$work/bob-js.out" 2>/dev/null && break; sleep 0.1; done
check "go-xmpp sends to bob (xmpp.js)" '^sent to=bob@localhost$' -- \
	pw go_ -jid alice@localhost -to bob@localhost -message "go-to-js $tag"
wait "$bob"; rc=$?
check "xmpp.js receives it" "^received from=alice@localhost/goxmpp-interop~.* body=go-to-js $tag\$" -- \
	sh -c 'cat "$0"; exit "$1"' "$work/bob-js.out" "$rc"

pw go_ -jid bob@localhost -wait 15s -expect-body "js-to-go $tag" >"$work/bob-go.out" 2>"$work/bob-go.err" &
bob=$!
for _ in $(seq 1 150); do grep -q '^login_ms=' "$work/bob-go.out" 2>/dev/null && break; sleep 0.1; done
check "xmpp.js sends to bob (go-xmpp)" '^sent to=bob@localhost$' -- \
	pw js --username alice --to bob@localhost --message "js-to-go $tag"
wait "$bob"; rc=$?
check "go-xmpp receives it" "^received from=alice@localhost/xmppjs-interop~.* body=js-to-go $tag\$" -- \
	sh -c 'cat "$0"; exit "$1"' "$work/bob-go.out" "$rc"

t0=$(ms)
"$here/stop.sh" "$work/prosody"
echo "prosody stopped in $(( $(ms) - t0 )) ms"
if grep -q 'Traceback\|	error	' "$PROSODY_LOG" 2>/dev/null; then
	echo "note: errors in the Prosody log:"; grep 'Traceback\|	error	' "$PROSODY_LOG" | head -n 10
fi

summary
