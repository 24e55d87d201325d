#!/usr/bin/env bash
# Install Prosody 0.12 and the community modules (Debian 12 packages) for the
# interop tests. Idempotent: does nothing when everything is installed.
#
# The tests run their own private Prosody (start.sh); the system service
# that the package sets up is stopped and disabled here so that nothing is
# left listening on the default ports.
#
# Note: on 0.12.3 `prosody --version` starts the server; ask dpkg instead.
set -euo pipefail

pkgs=(prosody prosody-modules lua-sec openssl)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "install.sh: needs root (or sudo)" >&2; exit 1; }
	sudo="sudo"
fi

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
		# Stale package lists: refresh once and try again.
		$sudo apt-get update
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
	fi
fi

# Keep the system service out of the way: stop it if the package started it
# and keep it from starting at boot. Each tool is optional; containers often
# have neither systemd nor a running service.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	$sudo systemctl disable --now prosody >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prosody ]; then
	if [ -f /run/prosody/prosody.pid ] && kill -0 "$(cat /run/prosody/prosody.pid)" 2>/dev/null; then
		$sudo /etc/init.d/prosody stop >/dev/null 2>&1 || true
	fi
	if command -v update-rc.d >/dev/null; then
		$sudo update-rc.d prosody disable >/dev/null 2>&1 || true
	fi
fi

version="$(dpkg-query -W -f='${Version}' prosody)"
modules="$(dpkg-query -W -f='${Version}' prosody-modules)"
echo "install.sh: prosody $version, prosody-modules $modules" >&2
case "$version" in
	0.12.*) ;;
	*) echo "install.sh: warning: the compat plugin was written for Prosody 0.12.3" >&2 ;;
esac
