#!/bin/sh
# Runs the official MCP conformance runner (@modelcontextprotocol/conformance, pinned in
# test/conformance/tools) against an MCP server URL and prints one line per spec version:
#
#   conformance <version> <label>: <P> passed, <F> failed (<N> scenarios)
#
# usage: scripts/conformance.sh (--url <url> | --fixture) [--spec-version <v>]... [--extension <id>] [--label <text>] [--json <file>]
#
#   --url <url>         the MCP endpoint to test (loopback only: the runner's DNS-rebinding
#                       scenario requires a localhost URL)
#   --fixture           start test/conformance/fixture-server.ts on a free loopback port and test it
#   --spec-version <v>  a revision the runner knows, e.g. 2025-11-25 or 2026-07-28; repeatable;
#                       default: both of those
#   --extension <id>    also run every server scenario of that extension, e.g. tasks (the
#                       runner's tasks-* scenarios), one by one, counted as the run 'extension-<id>'
#   --label <text>      names the run in the output lines and the JSON file (default: run)
#   --json <file>       write every scenario's outcome per version, to compare two runs
#
# Every server scenario the runner has for the version runs (--suite all: pending and draft
# scenarios too; extension scenarios such as tasks are not tied to a version: --extension).
# Exit 0 when the runner ran, whatever it found; non-zero only when it could not run.
# The runner needs Node >= 22 while the project runs on Node 20, so it runs on the Node 22 that
# test/conformance/tools installs from the npm registry (the `node` package), never on PATH's node.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'conformance: %s\n' "$*" >&2; }
usage() {
  say "usage: scripts/conformance.sh (--url <url> | --fixture) [--spec-version <v>]... [--extension <id>] [--label <text>] [--json <file>]"
  exit 2
}

. scripts/dir-lock.sh
tools=test/conformance/tools
node22="$tools/node_modules/node/bin/node"
runner="$tools/node_modules/@modelcontextprotocol/conformance/dist/index.js"

url='' fixture='' versions='' extension='' label='run' json=''
while [ $# -gt 0 ]; do
  case "$1" in
    --url) [ $# -ge 2 ] || usage; url=$2; shift 2 ;;
    --fixture) fixture=1; shift ;;
    --spec-version) [ $# -ge 2 ] || usage; versions="$versions $2"; shift 2 ;;
    --extension) [ $# -ge 2 ] || usage; extension=$2; shift 2 ;;
    --label) [ $# -ge 2 ] || usage; label=$2; shift 2 ;;
    --json) [ $# -ge 2 ] || usage; json=$2; shift 2 ;;
    -h | --help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
if [ -n "$url" ] && [ -n "$fixture" ]; then say "give --url or --fixture, not both"; usage; fi
if [ -z "$url" ] && [ -z "$fixture" ]; then usage; fi
[ -n "$versions" ] || versions='2025-11-25 2026-07-28'
for version in $versions; do
  case "$version" in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
    *) say "--spec-version takes a dated revision such as 2025-11-25 or 2026-07-28, not $version"; exit 2 ;;
  esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/airlock-conformance.XXXXXX")
fixture_pid=''
# Stops the fixture this script started (by its pid). A TERM that lands before the background
# child has exec'd node can be lost, so after 5 s it is killed outright.
stop_fixture() {
  [ -n "$fixture_pid" ] || return 0
  kill "$fixture_pid" 2>/dev/null || return 0
  waited=0
  while kill -0 "$fixture_pid" 2>/dev/null && [ "$waited" -lt 25 ]; do sleep 0.2; waited=$((waited + 1)); done
  kill -KILL "$fixture_pid" 2>/dev/null || true
  wait "$fixture_pid" 2>/dev/null || true
}
cleanup() {
  stop_fixture
  rm -rf "$work"
  # Only our own install lock, never another run's.
  if holds_dir_lock "$tools/.install.lock"; then rm -rf "$tools/.install.lock"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The runner and Node 22: install when missing, when the lock file changed since the last
#    install, or when the Node 22 binary does not run. Two runs at once (direct and through the
#    gateway) take turns, so neither sees a half-installed folder.
ensure_tools() {
  take_dir_lock "$tools/.install.lock"
  stamp="$tools/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ -n "$(find "$tools/package-lock.json" -newer "$stamp")" ] || ! "$node22" --version >/dev/null 2>&1; then
    say "installing the conformance runner and Node 22 (npm ci --prefix $tools)"
    npm ci --prefix "$tools" --no-audit --no-fund >&2 || { say "npm ci failed"; exit 2; }
  fi
  rm -rf "$tools/.install.lock"
  case "$("$node22" --version 2>/dev/null)" in
    v22.*) ;;
    *) say "$node22 is not a working Node 22"; exit 2 ;;
  esac
}
ensure_tools

# 2. Optionally our own fixture, on the project's Node (tsx from the root node_modules).
if [ -n "$fixture" ]; then
  : > "$work/fixture.log"
  node --import tsx test/conformance/fixture-server.ts --http 0 2>> "$work/fixture.log" &
  fixture_pid=$!
  tries=0
  while [ -z "$url" ]; do
    url=$(sed -n 's/^conformance fixture listening on \(http:[^ ]*\)$/\1/p' "$work/fixture.log")
    [ -n "$url" ] && break
    tries=$((tries + 1))
    if [ $tries -gt 150 ] || ! kill -0 "$fixture_pid" 2>/dev/null; then
      say "the fixture did not start:"; cat "$work/fixture.log" >&2; exit 2
    fi
    sleep 0.2
  done
fi

# 3. Nothing answering at the URL means the runner cannot run (rather than 0 passed).
if ! "$node22" -e 'fetch(process.argv[1], { method: "GET" }).then(() => process.exit(0), () => process.exit(1))' "$url"; then
  say "nothing answers HTTP at $url"; exit 2
fi

# 4. One runner invocation per version; the runner exits 1 when a check failed, which still
#    counts as having run. The summary step decides from what the runner printed.
set --
for version in $versions; do
  out="$work/$version.out" results="$work/$version.results"
  mkdir -p "$results"
  say "running every server scenario at $version against $url"
  rc=0
  "$node22" "$runner" server --url "$url" --suite all --spec-version "$version" -o "$results" > "$out" 2>&1 || rc=$?
  if [ "$rc" -gt 1 ]; then say "the runner exited $rc at $version:"; tail -n 20 "$out" >&2; exit 2; fi
  set -- "$@" "$version=$out,$results"
done

# 5. An extension's scenarios one at a time (the runner has no suite for them), summarised in the
#    runner's own SUMMARY format so one summary step reads every run.
if [ -n "$extension" ]; then
  out="$work/extension.out" results="$work/extension.results"
  mkdir -p "$results"
  scenarios=$("$node22" "$runner" list --server | sed -n "s/^ *- \($extension-[a-z0-9-]*\) \[extension\]\$/\1/p")
  [ -n "$scenarios" ] || { say "the runner lists no server scenarios of the extension '$extension'"; exit 2; }
  say "running the $extension extension's server scenarios against $url"
  summary="=== SUMMARY ==="
  for scenario in $scenarios; do
    rc=0
    "$node22" "$runner" server --url "$url" --scenario "$scenario" -o "$results" > "$work/scenario.out" 2>&1 || rc=$?
    if [ "$rc" -gt 1 ]; then say "the runner exited $rc on $scenario:"; tail -n 20 "$work/scenario.out" >&2; exit 2; fi
    counts=$(sed -n 's/^Passed: \([0-9]*\)\/[0-9]*, \([0-9]*\) failed.*/\1 \2/p' "$work/scenario.out" | tail -n 1)
    [ -n "$counts" ] || { say "no result line for $scenario:"; tail -n 20 "$work/scenario.out" >&2; exit 2; }
    set -- $counts "$@"
    mark='✓'; [ "$2" -eq 0 ] || mark='✗'
    summary="$summary
$mark $scenario: $1 passed, $2 failed"
    shift 2
  done
  printf '%s\n' "$summary" > "$out"
  set -- "$@" "extension-$extension=$out,$results"
fi

if [ -n "$json" ]; then set -- --json "$json" "$@"; fi
runner_version=$("$node22" -p 'require(process.argv[1]).version' "$(pwd)/$tools/node_modules/@modelcontextprotocol/conformance/package.json")
"$node22" test/conformance/summarize.ts --label "$label" --url "$url" \
  --runner "@modelcontextprotocol/conformance@$runner_version" "$@" || exit 2
