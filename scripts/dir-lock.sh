# Sourced by scripts that must not run a step twice at once (two terminals, two test runs):
# a directory lock, since mkdir is atomic. A lock whose holder died is taken over.
#
#   take_dir_lock <dir>   waits until <dir> is ours (records our pid in <dir>/pid)
#   holds_dir_lock <dir>  true when <dir> is ours (so a cleanup never removes another's)
take_dir_lock() {
  while ! mkdir "$1" 2>/dev/null; do
    holder=$(cat "$1/pid" 2>/dev/null || true)
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then rm -rf "$1"; continue; fi
    sleep 0.2
  done
  echo $$ > "$1/pid"
}

holds_dir_lock() {
  [ "$(cat "$1/pid" 2>/dev/null || true)" = "$$" ]
}
