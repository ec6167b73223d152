#!/bin/sh
# The Lua scripts are read at run time next to the compiled src/redis/scripts.js
# (new URL('./scripts/…', import.meta.url)); tsc copies no .lua files, so this does.
# Usage: sh scripts/copy-lua.sh <outDir>   (dist, or the build's dist.next)
set -eu
cd "$(dirname "$0")/.."
out="${1:?usage: copy-lua.sh <outDir>}"
mkdir -p "$out/redis/scripts"
cp -R src/redis/scripts/. "$out/redis/scripts/"
