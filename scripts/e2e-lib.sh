# The steps scripts/e2e.sh and scripts/e2e-discovery.sh share, sourced by
# both: a bounded run, a temporary folder that is shown on failure and
# removed, the app built unless PARLEY_BIN names it, and the checks on the
# apps' logs. It sources scripts/xvfb.sh. Callers `set -euo pipefail`.

# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh

# e2e_begin NAME SECONDS ARGS... runs the calling script again under
# timeout (E2E_TIMEOUT seconds, default SECONDS), then makes $tmp and sets
# the traps that stop every process, show the end of each log in $tmp on
# failure and remove $tmp. A caller's e2e_extra_cleanup function, if
# defined, runs in the cleanup too.
e2e_begin() {
  e2e_name=$1
  local seconds=$2
  shift 2
  if [ -z "${E2E_BOUNDED:-}" ]; then
    E2E_BOUNDED=1 exec timeout --kill-after=15 "${E2E_TIMEOUT:-$seconds}" "$0" "$@"
  fi
  tmp=$(mktemp -d)
  trap e2e_cleanup EXIT
  trap 'echo "$e2e_name: timed out or interrupted" >&2; exit 1' TERM INT
}

e2e_cleanup() {
  local status=$?
  stop_all
  stop_xvfb
  if declare -F e2e_extra_cleanup >/dev/null; then e2e_extra_cleanup; fi
  if [ $status -ne 0 ]; then
    for f in "$tmp"/*.log; do
      [ -e "$f" ] || continue
      echo "---- $(basename "$f")" >&2
      tail -n 30 "$f" >&2
    done
  fi
  rm -rf "$tmp"
  exit $status
}

fail() {
  echo "$e2e_name: FAIL: $*" >&2
  exit 1
}

# e2e_app sets $bin to the app: PARLEY_BIN, or a build in $tmp.
e2e_app() {
  bin=${PARLEY_BIN:-}
  if [ -z "$bin" ]; then
    echo "$e2e_name: building"
    go build -o "$tmp/parley" .
    bin=$tmp/parley
  fi
  bin=$(realpath "$bin")
}

# wait_log LOG PATTERN SECONDS waits until a line of LOG matches PATTERN.
wait_log() {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -q -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}

# seen LOG FROM BYTES: the window of LOG received a message from FROM of
# BYTES bytes (the log holds sizes, not text).
seen() {
  grep 'msg="message received"' "$1" | grep "from=$2 " | grep "own=false" | grep -q "bytes=$3\$"
}

# crossed A_LOG A B_LOG B FROM_A FROM_B fails unless, within 10 s, the
# window of A_LOG received FROM_B from B and the window of B_LOG received
# FROM_A from A.
crossed() {
  local a_log=$1 a=$2 b_log=$3 b=$4 from_a=$5 from_b=$6
  for _ in $(seq 1 100); do
    seen "$a_log" "$b" ${#from_b} && seen "$b_log" "$a" ${#from_a} && break
    sleep 0.1
  done
  seen "$a_log" "$b" ${#from_b} || fail "$a's window did not receive $b's message"
  seen "$b_log" "$a" ${#from_a} || fail "$b's window did not receive $a's message"
}

# quit PID NAME sends the app SIGTERM and fails unless it ends within 10 s.
quit() {
  kill -TERM "$1"
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then fail "$2 did not quit within 10 s of SIGTERM"; fi
}
