#!/bin/sh
# The programs the test suite runs besides Node and redis-server (scripts/ensure-ready.sh has
# those). Used by `npm test` (and so by .ci/run): missing ones are installed from Debian's
# packages as root; otherwise it says what to install and stops. AIRLOCK_SKIP_TEST_TOOLS=1 skips it.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'airlock: %s\n' "$*" >&2; }

# One tool a line: its command, its Debian package, what needs it.
TOOLS='
haproxy haproxy the load-balancer test (test/integration/load-balancer.test.ts)
chromium chromium the console browser tests (test/integration/console-browser.test.ts)
'

# Debian installs some tools in /usr/sbin, which a non-root PATH may lack; the tests look there too.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }

# "<command> <package> <why>" lines of the tools not installed.
missing_tools() {
  printf '%s\n' "$TOOLS" | while read -r command package why; do
    if [ -n "$command" ] && ! have "$command"; then printf '%s %s %s\n' "$command" "$package" "$why"; fi
  done
}

# The packages of such lines, space-separated.
packages_of() { printf '%s\n' "$1" | awk 'NF { printf "%s%s", sep, $2; sep = " " }'; }

[ -z "${AIRLOCK_SKIP_TEST_TOOLS:-}" ] || exit 0
[ -n "$(missing_tools)" ] || exit 0

if [ "$(uname -s)" = "Linux" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  # Two test runs at once: one installs, the other waits and then finds everything there.
  . scripts/dir-lock.sh
  mkdir -p .airlock
  lock=.airlock/ensure-test-tools.lock
  take_dir_lock "$lock"
  trap 'if holds_dir_lock "$lock"; then rm -rf "$lock"; fi' EXIT
  trap 'exit 130' INT TERM
  packages=$(packages_of "$(missing_tools)")
  if [ -n "$packages" ]; then
    say "installing $packages (apt-get)"
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y $packages >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y $packages >&2; } \
      || say "apt-get could not install $packages"
  fi
fi

still=$(missing_tools)
if [ -n "$still" ]; then
  say "the test suite needs programs that are not installed and cannot be installed automatically here:"
  printf '%s\n' "$still" | while read -r command package why; do say "  $command, for $why"; done
  say "Install them (the Debian/Ubuntu packages; other systems name theirs alike), then run this again:"
  say "  sudo apt-get install -y $(packages_of "$still")"
  say "Or set AIRLOCK_SKIP_TEST_TOOLS=1 to run the suite without them (the tests that need them fail)."
  exit 1
fi
