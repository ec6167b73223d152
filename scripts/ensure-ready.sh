#!/bin/sh
# Makes a fresh clone runnable: dependencies installed, build current, redis-server available.
# Used by `npm start`, `npm test`, `npm run bench` and .ci/run, so all four agree on what "ready" is.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'airlock: %s\n' "$*" >&2; }

# Two terminals may run this at once (npm start in one, npm test in the other): one installs and
# builds while the other waits, so neither sees a half-installed node_modules or half-built dist.
. scripts/dir-lock.sh
lock=.ensure-ready.lock
take_dir_lock "$lock"
trap 'rm -rf "$lock"' EXIT
trap 'exit 130' INT TERM

# 1. Dependencies: install when missing or when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

# 2. Build: recompile when any source or compiler setting is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src standin tsconfig.json tsconfig.build.json package-lock.json -newer "$stamp" 2>/dev/null | head -n 1)" ]; then
  say "building (tsc)"
  # Built aside, then swapped in: a gateway already running from dist/ keeps its files meanwhile.
  rm -rf dist.next dist.old
  npx --no-install tsc -p tsconfig.build.json --outDir dist.next
  npx --no-install tsc -p standin/tsconfig.build.json --outDir dist.next/standin
  sh scripts/copy-lua.sh dist.next
  touch dist.next/.build-stamp
  if [ -d dist ]; then mv dist dist.old; fi
  mv dist.next dist
  rm -rf dist.old
fi

# 3. Redis: the embedded default and the tests run a local redis-server.
if [ -z "${AIRLOCK_SKIP_REDIS_CHECK:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(uname -s)" = "Linux" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "installing redis-server (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >&2; }
  elif [ "$(uname -s)" = "Darwin" ] && command -v brew >/dev/null 2>&1; then
    say "installing redis (brew)"
    brew install redis >&2
  else
    say "redis-server is not installed and cannot be installed automatically here."
    say "Install it, then run this command again:"
    say "  Debian/Ubuntu: sudo apt-get install -y redis-server"
    say "  Fedora/RHEL:   sudo dnf install -y redis"
    say "  macOS:         brew install redis"
    say "Or point Airlock at an existing Redis with \"redis\": {\"url\": ...} in airlock.config.json"
    say "and set AIRLOCK_SKIP_REDIS_CHECK=1."
    exit 1
  fi
  command -v redis-server >/dev/null 2>&1 || { say "redis-server still not found on PATH after installing"; exit 1; }
fi
