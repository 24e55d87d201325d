#!/usr/bin/env bash
# The interop suite: the library against independently written XMPP
# software, in both directions.
#
#   interop/run.sh
#
#   a. examples/client (this library's client) logs in to a private
#      Prosody 0.12.3 with the SASL2 community modules: SCRAM-SHA-1-PLUS
#      over tls-exporter, plain SCRAM-SHA-1, Bind 2; FAST with
#      HT-SHA-256-EXPR and -NONE, the token rotated on every login
#      (sasl2_fast_token_min_ttl = 0), and -logout;
#   b. xmpp.js 0.14.0 logs in to examples/server (SASL2 SCRAM-SHA-1,
#      Bind 2) and sends a message that a second client receives; FAST:
#      a token on the password login, then HT-SHA-256-NONE with a wrong
#      password given;
#   c. go-xmpp v0.4.1 logs in to examples/server with SCRAM-SHA-256-PLUS
#      and SCRAM-SHA-512-PLUS over tls-exporter, and Bind 2; FAST:
#      HT-SHA-256-EXPR with a wrong password given, then invalidation.
#
# Prints one line per check and "N passed, N failed"; exits non-zero when
# anything failed. KEEP=1 keeps the scratch directory, with the servers'
# logs, and says where. Needs what interop/prosody/install.sh installs, Go, and
# Node.js with npm.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
peers="$here/peers"
work="$(mktemp -d "${TMPDIR:-/tmp}/xmppauth-interop.XXXXXX")"
# shellcheck source=lib.sh
. "$here/lib.sh"

server_pid=""
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null
	"$here/prosody/stop.sh" "$work/prosody" >/dev/null 2>&1 || true
	[ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fatal() { echo "FAIL $*"; failed=$((failed + 1)); summary; exit 1; }

password=lab-password
pw() { printf '%s\n' "$password" | "$@"; }
# both runs COMMAND with its standard error on standard output, since the
# example client reports its mechanism there.
both() { "$@" 2>&1; }

t0=$(ms)
(cd "$root" && go build -o "$work/server" ./examples/server && go build -o "$work/client" ./examples/client) \
	|| fatal "go build of the examples"
(cd "$peers/goxmpp" && go build -o "$work/goxmpp" .) || fatal "go build of the go-xmpp driver"
if [ ! -d "$peers/xmppjs/node_modules/@xmpp/client" ]; then
	(cd "$peers/xmppjs" && npm install --no-audit --no-fund --loglevel=error >/dev/null) \
		|| fatal "npm install of xmpp.js"
fi
echo "built in $(( $(ms) - t0 )) ms"

# The example server, with two accounts, on free loopback ports.
for u in alice bob; do
	pw "$work/server" -data "$work/data" adduser "$u@localhost" >/dev/null 2>&1 \
		|| fatal "adduser $u"
done
port=$(free_port) && tls_port=$(free_port) || fatal "no free port"
"$work/server" -data "$work/data" -addr "127.0.0.1:$port" -tls-addr "127.0.0.1:$tls_port" \
	>"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 150); do port_in_use "$port" && port_in_use "$tls_port" && break; sleep 0.1; done
port_in_use "$port" || { cat "$work/server.log"; fatal "examples/server did not start"; }
cert="$work/data/cert.pem"
echo "examples/server on 127.0.0.1:$port (direct TLS $tls_port)"

# A private Prosody that rotates the FAST token on every FAST login.
t0=$(ms)
PROSODY_FAST_TOKEN_MIN_TTL=0 "$here/prosody/start.sh" "$work/prosody" >"$work/prosody.env" \
	|| fatal "Prosody did not start"
# shellcheck disable=SC1091
. "$work/prosody.env"
echo "Prosody on 127.0.0.1:$PROSODY_PORT, started in $(( $(ms) - t0 )) ms"

# The example client keeps its user-agent id and FAST tokens in -data.
client() { both "$work/client" -jid alice@localhost -data "$work/client-data" "$@"; }
goxmpp() { "$work/goxmpp" -addr "127.0.0.1:$port" -cafile "$cert" "$@"; }
xmppjs() { node "$peers/xmppjs/login.mjs" --service "xmpp://127.0.0.1:$port" --domain localhost --cafile "$cert" "$@"; }

echo "--- a. examples/client against Prosody 0.12.3"
prosody() { client -addr "127.0.0.1:$PROSODY_PORT" -cafile "$PROSODY_CERT" "$@"; }
# Password logins: -mechanism keeps the client off the FAST token that
# each of them also obtains.
check "SCRAM-SHA-1-PLUS over tls-exporter, Bind 2" \
	'^alice@localhost/xmppauth-client~' 'authenticated with SCRAM-SHA-1-PLUS \(tls-exporter\) over TLS 1\.3' -- \
	pw prosody -mechanism SCRAM-SHA-1-PLUS
check "the same resource again with the same user-agent id" \
	"^$(pw prosody -mechanism SCRAM-SHA-1-PLUS 2>/dev/null | grep -m1 '^alice@localhost/' | sed 's/[.[\*^$+?(){}|]/\\&/g')\$" -- \
	pw prosody -mechanism SCRAM-SHA-1-PLUS
check "plain SCRAM-SHA-1, Bind 2" \
	'^alice@localhost/xmppauth-client~' 'authenticated with SCRAM-SHA-1 over' -- \
	pw prosody -mechanism SCRAM-SHA-1
check "a wrong password is refused" 'not-authorized' -- \
	sh -c '! printf "wrong\n" | "$@" 2>&1' _ "$work/client" -jid alice@localhost \
	-data "$work/client-wrong" -addr "127.0.0.1:$PROSODY_PORT" -cafile "$PROSODY_CERT"

# FAST, each mechanism in a data directory of its own. Standard input is
# empty where no password may be read; a refused token would say so.
fast() { local d="$1"; shift; prosody -data "$work/client-$d" "$@"; }
for m in EXPR NONE; do
	flag=()
	[ $m = EXPR ] || flag=(-fast-mechanism HT-SHA-256-$m)
	check "HT-SHA-256-$m: the password login obtains a token" \
		'authenticated with SCRAM-SHA-1-PLUS' "kept a new FAST token for HT-SHA-256-$m," -- \
		pw fast $m "${flag[@]}"
	check "HT-SHA-256-$m: reconnection without the password, rotated" \
		"authenticated with HT-SHA-256-$m " "kept a new FAST token for HT-SHA-256-$m," '!refused' -- \
		fast $m "${flag[@]}" </dev/null
	check "HT-SHA-256-$m: again with the rotated token" \
		"authenticated with HT-SHA-256-$m " "kept a new FAST token for HT-SHA-256-$m," '!refused' -- \
		fast $m "${flag[@]}" </dev/null
done
check "-logout invalidates the token" 'authenticated with HT-SHA-256-EXPR ' '^logged out' -- \
	fast EXPR -logout </dev/null
check "after -logout the password is needed" 'no password on standard input' -- \
	sh -c '! "$@" </dev/null 2>&1' _ "$work/client" -jid alice@localhost -data "$work/client-EXPR" \
	-addr "127.0.0.1:$PROSODY_PORT" -cafile "$PROSODY_CERT"
check "and the password login works again" 'authenticated with SCRAM-SHA-1-PLUS' -- \
	pw fast EXPR

echo "--- b. xmpp.js 0.14.0 against examples/server"
tag="m$RANDOM$RANDOM"
pw xmppjs --username bob --wait 15 --expect-body "js-to-js $tag" >"$work/bob-js.out" 2>"$work/bob-js.err" &
bob=$!
wait_for "$work/bob-js.out" '^login_ms='
check "SASL2 SCRAM-SHA-1, Bind 2, a message to bob" \
	'^alice@localhost/' '^mechanism=SCRAM-SHA-1$' '^sent to=bob@localhost$' -- \
	pw xmppjs --username alice --to bob@localhost --message "js-to-js $tag"
wait "$bob"; rc=$?
check "the second xmpp.js client receives it" "^received from=alice@localhost/.* body=js-to-js $tag\$" -- \
	sh -c 'cat "$0"; cat "$2" >&2; exit "$1"' "$work/bob-js.out" "$rc" "$work/bob-js.err"
check "direct TLS, SCRAM-SHA-1" '^mechanism=SCRAM-SHA-1$' -- \
	pw node "$peers/xmppjs/login.mjs" --service "xmpps://127.0.0.1:$tls_port" --domain localhost \
	--cafile "$cert" --username alice
check "a wrong password is refused" '^expected-failure=' -- \
	sh -c 'printf "wrong\n" | "$@"' _ node "$peers/xmppjs/login.mjs" --service "xmpp://127.0.0.1:$port" \
	--domain localhost --cafile "$cert" --username alice --expect-fail
check "FAST: the password login obtains a token" \
	'^mechanism=SCRAM-SHA-1$' '^fast=issued mechanism=HT-SHA-256-NONE ' -- \
	pw xmppjs --username alice --fast-token-file "$work/xmppjs-token.json"
check "FAST: reconnection with the token, a wrong password given" \
	'^alice@localhost/' '^mechanism=HT-SHA-256-NONE$' '^fast=used$' -- \
	xmppjs --username alice --fast-token-file "$work/xmppjs-token.json" --password wrong

echo "--- c. go-xmpp v0.4.1 against examples/server"
for m in SCRAM-SHA-256-PLUS SCRAM-SHA-512-PLUS; do
	check "$m over tls-exporter, Bind 2" '^alice@localhost/goxmpp-interop' "^mechanism=$m\$" -- \
		pw goxmpp -jid alice@localhost -mechanism "$m"
done
check "direct TLS, the strongest mechanism offered" '^alice@localhost/goxmpp-interop' '^mechanism=SCRAM-SHA-512-PLUS$' -- \
	pw "$work/goxmpp" -addr "127.0.0.1:$tls_port" -directtls -cafile "$cert" -jid alice@localhost
check "TLS 1.2: SCRAM-SHA-256-PLUS" '^alice@localhost/goxmpp-interop' '^mechanism=SCRAM-SHA-256-PLUS$' -- \
	pw goxmpp -jid alice@localhost -mechanism SCRAM-SHA-256-PLUS -tls-max 1.2
check "a wrong password is refused" '^expected-failure=' -- \
	sh -c 'printf "wrong\n" | "$@"' _ "$work/goxmpp" -addr "127.0.0.1:$port" -cafile "$cert" \
	-jid alice@localhost -mechanism SCRAM-SHA-256-PLUS -expect-fail
token="$work/goxmpp-token.json"
check "FAST: the SCRAM login obtains a token" \
	'^mechanism=SCRAM-SHA-512-PLUS$' '^fast=issued mechanism=HT-SHA-256-EXPR ' -- \
	pw goxmpp -jid alice@localhost -fast-token-file "$token"
check "FAST: reconnection with the token, a wrong password given" \
	'^alice@localhost/goxmpp-interop' '^mechanism=HT-SHA-256-EXPR$' '^fast=used$' -- \
	goxmpp -jid alice@localhost -fast-token-file "$token" -password wrong
cp "$token" "$work/goxmpp-token-copy.json"
check "FAST: invalidation" '^mechanism=HT-SHA-256-EXPR$' '^fast=invalidated$' -- \
	goxmpp -jid alice@localhost -fast-token-file "$token" -password wrong -fast-invalidate
check "FAST: the invalidated token is refused" '^expected-failure=.*credentials-expired' -- \
	goxmpp -jid alice@localhost -fast-token-file "$work/goxmpp-token-copy.json" -password wrong -expect-fail
pw xmppjs --username bob --wait 15 --expect-body "go-to-js $tag" >"$work/bob-js.out" 2>"$work/bob-js.err" &
bob=$!
wait_for "$work/bob-js.out" '^login_ms='
check "go-xmpp sends to bob on xmpp.js" '^sent to=bob@localhost$' -- \
	pw goxmpp -jid alice@localhost -to bob@localhost -message "go-to-js $tag"
wait "$bob"; rc=$?
check "xmpp.js receives it" "^received from=alice@localhost/goxmpp-interop.* body=go-to-js $tag\$" -- \
	sh -c 'cat "$0"; cat "$2" >&2; exit "$1"' "$work/bob-js.out" "$rc" "$work/bob-js.err"

if grep -q 'level=ERROR' "$work/server.log"; then
	echo "note: errors in the server log:"; grep 'level=ERROR' "$work/server.log" | head -n 10
fi
summary
