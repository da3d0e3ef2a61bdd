#!/usr/bin/env bash
# Installs the independent WebSocket implementations the interop tests
# (./interop) run against:
#   - Node's ws and playwright-core, pinned in interop/node/package-lock.json
#     (npm ci; no browser is ever downloaded: Chromium comes from Debian);
#   - Debian's python3-websockets, for /usr/bin/python3;
#   - Debian's chromium, at /usr/bin/chromium.
# Idempotent: what is already there is left alone, and a run with nothing
# to do takes well under a second. Prints what it installed.
set -euo pipefail
cd "$(dirname "$0")/.."

installed=()

# --- Debian packages ---------------------------------------------------------
apt_missing=()
if ! /usr/bin/python3 -c 'import websockets' >/dev/null 2>&1; then
	apt_missing+=(python3-websockets)
fi
if [ ! -x /usr/bin/chromium ]; then
	apt_missing+=(chromium)
fi
if [ "${#apt_missing[@]}" -gt 0 ]; then
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "install-peers: need root (or sudo) to apt-get install ${apt_missing[*]}" >&2
			exit 1
		}
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt_install() {
		"${sudo[@]}" apt-get install -y -q --no-install-recommends "${apt_missing[@]}"
	}
	# Refresh the package lists only when the install needs it: when
	# apt knows no candidate for a package, or when the install fails
	# (for example on files the lists name that the mirror no longer has).
	need_update=0
	for p in "${apt_missing[@]}"; do
		policy=$(apt-cache policy "$p" 2>/dev/null || true)
		if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
			need_update=1
		fi
	done
	if [ "$need_update" -eq 1 ]; then
		"${sudo[@]}" apt-get update -q
	fi
	if ! apt_install; then
		"${sudo[@]}" apt-get update -q
		apt_install
	fi
	installed+=("apt: ${apt_missing[*]}")
fi
/usr/bin/python3 -c 'import websockets' || {
	echo "install-peers: /usr/bin/python3 still cannot import websockets" >&2
	exit 1
}
[ -x /usr/bin/chromium ] || {
	echo "install-peers: /usr/bin/chromium is still missing" >&2
	exit 1
}

# --- Node packages -----------------------------------------------------------
# npm ci only when node_modules does not hold exactly what the lock file
# pins: a copy of the lock file kept inside node_modules marks a finished
# install.
nodedir=interop/node
stamp=$nodedir/node_modules/.install-peers-lock
if ! command -v npm >/dev/null; then
	echo "install-peers: npm is not installed (Node.js with npm is needed for the Node and Chromium interop tests)" >&2
	exit 1
fi
if ! cmp -s "$nodedir/package-lock.json" "$stamp" ||
	[ ! -f "$nodedir/node_modules/ws/package.json" ] ||
	[ ! -f "$nodedir/node_modules/playwright-core/package.json" ]; then
	# --ignore-scripts and the skip variable: no package may download
	# anything (such as a browser) at install time.
	(cd "$nodedir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund)
	cp "$nodedir/package-lock.json" "$stamp"
	installed+=("npm: $(cd "$nodedir" && node -p "Object.entries(require('./package-lock.json').packages).filter(([k]) => k).map(([k, v]) => k.replace('node_modules/', '') + '@' + v.version).join(' ')")")
fi

if [ "${#installed[@]}" -eq 0 ]; then
	echo "install-peers: all peers already installed"
else
	for line in "${installed[@]}"; do
		echo "install-peers: installed $line"
	done
fi
echo "install-peers: node $(node --version), ws $(cd "$nodedir" && node -p "require('ws/package.json').version"), playwright-core $(cd "$nodedir" && node -p "require('playwright-core/package.json').version"), python3-websockets $(/usr/bin/python3 -c 'import websockets; print(websockets.__version__)'), $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium (version unknown)')"
