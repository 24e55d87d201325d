#!/usr/bin/env bash
# Start a private Prosody 0.12.3 for the interop tests.
#
#   eval "$(interop/prosody/start.sh [DIR])"
#
# Writes a config, a fresh self-signed certificate for "localhost" and the
# account data into DIR (a new temporary directory when omitted), starts
# `prosody -F --config DIR/prosody.cfg.lua` in the background, waits until
# the c2s port accepts connections and prints shell-sourceable lines:
#
#   PROSODY_DIR=...        PROSODY_CONFIG=...     PROSODY_LOG=...
#   PROSODY_DOMAIN=localhost
#   PROSODY_PORT=...       (STARTTLS c2s port on 127.0.0.1)
#   PROSODY_TLS_PORT=...   (direct TLS port; only with PROSODY_DIRECT_TLS=1)
#   PROSODY_CERT=...       (the certificate to trust; also the CA file)
#   PROSODY_PID=...
#
# The same lines are saved in DIR/env. Stop it with stop.sh DIR.
# It never touches the system service or its config and listens on
# 127.0.0.1 only.
#
# Environment knobs (all optional):
#   PROSODY_PORT                 fixed c2s port instead of a free one
#   PROSODY_DIRECT_TLS=1         also listen for direct TLS (XEP-0368)
#   PROSODY_TLS_PORT             fixed direct TLS port
#   PROSODY_TLS_PROTOCOL         LuaSec protocol, e.g. "tlsv1_2" to force TLS 1.2
#                                (default "tlsv1_2+", which negotiates TLS 1.3)
#   PROSODY_FAST_TOKEN_MIN_TTL   sasl2_fast_token_min_ttl (0 = rotate the token
#                                on every FAST login)
#   PROSODY_FAST_TOKEN_TTL       sasl2_fast_token_ttl (token lifetime, seconds)
#   PROSODY_USERS                accounts to create (default "alice bob")
#   PROSODY_PASSWORD             their password (default "lab-password")
#   PROSODY_LOG_LEVEL            debug | info (default) | warn
#   PROSODY_START_TIMEOUT        seconds to wait for the port (default 15)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugins="$here/plugins"

log() { printf 'start.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Prosody must be installed; install.sh is idempotent and quick when it is.
if ! dpkg-query -W -f='${Status}' prosody 2>/dev/null | grep -q 'install ok installed' \
	|| ! dpkg-query -W -f='${Status}' prosody-modules 2>/dev/null | grep -q 'install ok installed'; then
	log "prosody not installed, running install.sh"
	"$here/install.sh" >&2
fi
command -v openssl >/dev/null || die "openssl is required"

# The community modules: Debian puts them next to Prosody's own modules;
# other layouts keep them in a folder of their own.
community=""
for d in /usr/lib/prosody/modules /usr/lib/prosody-modules /usr/share/prosody-modules \
	/usr/local/lib/prosody/modules /usr/local/lib/prosody-modules; do
	if [ -f "$d/mod_sasl2/mod_sasl2.lua" ]; then community="$d"; break; fi
done
[ -n "$community" ] || die "mod_sasl2 not found; is prosody-modules installed?"

dir="${1:-}"
if [ -z "$dir" ]; then
	dir="$(mktemp -d "${TMPDIR:-/tmp}/prosody-interop.XXXXXX")"
else
	mkdir -p "$dir"
	dir="$(cd "$dir" && pwd)"
fi
if [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
	die "a Prosody from $dir is already running (pid $(cat "$dir/server.pid")); stop.sh $dir first"
fi

domain=localhost
users="${PROSODY_USERS:-alice bob}"
password="${PROSODY_PASSWORD:-lab-password}"
level="${PROSODY_LOG_LEVEL:-info}"

# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

port="${PROSODY_PORT:-$(free_port)}"
tls_port=""
if [ "${PROSODY_DIRECT_TLS:-0}" = 1 ] || [ -n "${PROSODY_TLS_PORT:-}" ]; then
	tls_port="${PROSODY_TLS_PORT:-$(free_port)}"
	[ "$tls_port" != "$port" ] || tls_port="$(free_port)"
fi

mkdir -p "$dir/data" "$dir/certs"
rm -f "$dir/prosody.log" "$dir/prosody.out"

# Fresh self-signed certificate for the test domain (EC P-256, 7 days). It
# also names 127.0.0.1, for direct-TLS clients that verify the address they
# dialled (xmpp.js with xmpps://127.0.0.1:PORT).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$dir/certs/$domain.key" -out "$dir/certs/$domain.crt" -days 7 \
	-subj "/CN=$domain" -addext "subjectAltName=DNS:$domain,IP:127.0.0.1" \
	-addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1 \
	|| die "openssl could not create the certificate"
chmod 600 "$dir/certs/$domain.key"

lua_list() { # space-separated words -> Lua string list items
	local out="" w
	for w in "$@"; do out="$out\"$w\", "; done
	printf '%s' "$out"
}

plugin_paths="\"$plugins\""
if [ "$community" != /usr/lib/prosody/modules ]; then
	plugin_paths="$plugin_paths, \"$community\""
fi

{
	echo "-- Private Prosody for the interop tests; written by interop/prosody/start.sh."
	echo "-- Do not edit: every start rewrites it."
	echo
	if [ "$(id -u)" = 0 ]; then echo "run_as_root = true"; fi
	echo "data_path = \"$dir/data\""
	echo "pidfile = \"$dir/prosody.pid\""
	echo "plugin_paths = { $plugin_paths }"
	echo
	echo "-- Loopback only, on our own ports; no s2s, components or HTTP."
	echo "interfaces = { \"127.0.0.1\" }"
	echo "local_interfaces = { \"127.0.0.1\" }"
	echo "c2s_ports = { $port }"
	if [ -n "$tls_port" ]; then
		echo "c2s_direct_tls_ports = { $tls_port }"
	else
		echo "c2s_direct_tls_ports = { }"
	fi
	echo "s2s_ports = { }"
	echo "s2s_direct_tls_ports = { }"
	echo "component_ports = { }"
	echo "http_ports = { }"
	echo "https_ports = { }"
	echo "legacy_ssl_ports = { }"
	echo
	echo "-- Without this Prosody's reply to the post-TLS stream header waits for"
	echo "-- the client's delayed ACK (about 45 ms per login)."
	echo "network_settings = { nagle = false }"
	echo
	echo "modules_enabled = {"
	echo "  \"xmppauth_compat\";"
	echo "  \"roster\"; \"saslauth\"; \"tls\"; \"disco\"; \"ping\"; \"time\"; \"version\";"
	echo "  \"carbons\"; \"smacks\"; \"csi_simple\";"
	echo "  \"sasl2\"; \"sasl2_bind2\"; \"sasl2_fast\"; \"sasl2_sm\";"
	echo "}"
	echo "modules_disabled = { \"s2s\" }"
	echo
	echo "authentication = \"internal_hashed\""
	echo "storage = \"internal\""
	echo "c2s_require_encryption = true"
	echo "allow_registration = false"
	if [ -n "${PROSODY_FAST_TOKEN_MIN_TTL:-}" ]; then
		echo "sasl2_fast_token_min_ttl = ${PROSODY_FAST_TOKEN_MIN_TTL}"
	fi
	if [ -n "${PROSODY_FAST_TOKEN_TTL:-}" ]; then
		echo "sasl2_fast_token_ttl = ${PROSODY_FAST_TOKEN_TTL}"
	fi
	echo
	echo "log = { { levels = { min = \"$level\" }, to = \"file\", filename = \"$dir/prosody.log\" } }"
	echo
	echo "ssl = {"
	echo "  certificate = \"$dir/certs/$domain.crt\";"
	echo "  key = \"$dir/certs/$domain.key\";"
	if [ -n "${PROSODY_TLS_PROTOCOL:-}" ]; then
		echo "  protocol = \"${PROSODY_TLS_PROTOCOL}\";"
	fi
	echo "}"
	echo
	echo "VirtualHost \"$domain\""
} > "$dir/prosody.cfg.lua"

config="$dir/prosody.cfg.lua"

for u in $users; do
	prosodyctl --config "$config" register "$u" "$domain" "$password" >>"$dir/prosody.out" 2>&1 \
		|| { cat "$dir/prosody.out" >&2; die "could not register $u@$domain"; }
done

# Start in the foreground mode (-F) as our own background child; the system
# service and its config are never involved.
nohup prosody -F --config "$config" >>"$dir/prosody.out" 2>&1 </dev/null &
pid=$!
echo "$pid" > "$dir/server.pid"

timeout="${PROSODY_START_TIMEOUT:-15}"
deadline=$(( $(date +%s) + timeout ))
wait_port() {
	local p="$1"
	until (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$dir/prosody.out" "$dir/prosody.log" >&2 2>/dev/null || true
			die "prosody exited during startup"
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			tail -n 30 "$dir/prosody.log" >&2 2>/dev/null || true
			kill "$pid" 2>/dev/null || true
			die "port $p did not open within ${timeout}s"
		fi
		sleep 0.02
	done
}
wait_port "$port"
[ -z "$tls_port" ] || wait_port "$tls_port"

{
	echo "PROSODY_DIR=$dir"
	echo "PROSODY_CONFIG=$config"
	echo "PROSODY_LOG=$dir/prosody.log"
	echo "PROSODY_DOMAIN=$domain"
	echo "PROSODY_PORT=$port"
	[ -z "$tls_port" ] || echo "PROSODY_TLS_PORT=$tls_port"
	echo "PROSODY_CERT=$dir/certs/$domain.crt"
	echo "PROSODY_PID=$pid"
} | tee "$dir/env"
