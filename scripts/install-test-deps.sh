#!/usr/bin/env bash
# Installs the real peers and tools that the interop tests drive, when they are missing:
#   Debian: python3-websockets (for /usr/bin/python3), curl, wrk, chromium (headless), nodejs + npm,
#           zlib1g (libz.so.1, which permessage-deflate binds for window bits below 15);
#   npm:    ws, pinned by Rx.WebSockets.Tests/Interop/peers/node/package-lock.json (npm ci).
# Idempotent: a machine that has everything installs nothing. Needs root for apt-get (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || missing+=(python3-websockets)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
ldconfig -p 2>/dev/null | grep -q 'libz\.so\.1 ' || missing+=(zlib1g)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: root is needed to install ${missing[*]} (run as root, or install them first)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

# npm ci again whenever the lock file changed since the last install (a copy of it is the stamp).
node_peer=Rx.WebSockets.Tests/Interop/peers/node
stamp="$node_peer/node_modules/.rx-websockets-lock"
if [ ! -d "$node_peer/node_modules/ws" ] || ! cmp -s "$node_peer/package-lock.json" "$stamp"; then
  echo "install-test-deps: npm ci in $node_peer"
  npm ci --prefix "$node_peer" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$node_peer/package-lock.json" "$stamp"
fi

echo "install-test-deps: python3-websockets $(/usr/bin/python3 -c 'import websockets; print(websockets.__version__)'), $(curl --version | head -n1 | cut -d' ' -f1-2), wrk $(wrk -v 2>&1 | head -n1 | cut -d' ' -f2), $(/usr/bin/chromium --version 2>/dev/null | head -n1), node $(node --version), ws $(node -p "require('./$node_peer/node_modules/ws/package.json').version")"
