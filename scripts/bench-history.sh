#!/usr/bin/env bash
# The cost of history on disk: Parley's headless server with its history
# in memory (-no-history), in SQLite with -sync full (the default) and
# with -sync normal, under the fan-out and chat-room loads of make bench,
# interleaved over ROUNDS rounds (default 2). Prints one line per run.
#
#   scripts/bench-history.sh
#   ROUNDS=3 MODES="memory full" SCENARIOS=chatroom scripts/bench-history.sh
#
# MODES may also name "baseline": the server binary BASELINE (built from
# another commit, such as the one an issue's target refers to) with its
# history in memory, run the same way beside the others:
#
#   git worktree add /tmp/w1 33c6df5
#   (cd /tmp/w1 && CGO_ENABLED=0 go build -tags nogui -o /tmp/parley-w1 .)
#   BASELINE=/tmp/parley-w1 MODES="baseline memory full" SCENARIOS=fanout ROUNDS=5 scripts/bench-history.sh
#
# Each server runs on CPU 0 and the load generator on CPU 1 (taskset), as
# in scripts/bench.sh; PIN=0 lets both run on any core. The SQLite runs
# start from an empty data folder in a temporary directory (the disk /tmp
# is on).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
MODES=${MODES:-memory full normal}
SCENARIOS=${SCENARIOS:-fanout chatroom}
work=$(mktemp -d /tmp/parley-bench-history.XXXXXX)
trap 'rm -rf "$work"' EXIT

CGO_ENABLED=0 go build -tags nogui -o "$work/parley-server" .
CGO_ENABLED=0 go build -o "$work/loadgen" ./tools/loadgen
pin_server=() pin_gen=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 0) pin_gen=(taskset -c 1)
fi
port=$((20000 + RANDOM % 10000))

for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    for sc in $SCENARIOS; do
      rm -rf "$work/data"
      bin=$work/parley-server
      case $mode in
        memory) flags=(-no-history) ;;
        baseline) bin=${BASELINE:?MODES has baseline: set BASELINE to a parley binary} flags=() ;;
        *) flags=(-data "$work/data" -sync "$mode") ;;
      esac
      "${pin_server[@]}" "$bin" -server -addr "127.0.0.1:$port" -rate 0 -log-level warn \
        "${flags[@]}" >"$work/server.log" 2>&1 &
      pid=$!
      for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
      "${pin_gen[@]}" "$work/loadgen" -scenario "$sc" -addr "127.0.0.1:$port" -pid "$pid" >"$work/out.txt" 2>&1 || true
      kill -TERM "$pid"; wait "$pid" || true
      printf 'round %s %-8s %-6s %s | %s | %s\n' "$round" "$sc" "$mode" \
        "$(awk '/^rate/ {print $2, $3}' "$work/out.txt")" \
        "$(sed -n '/^latency/{s/^latency *//; s/ (.*//; p}' "$work/out.txt")" \
        "$(sed -n '/^cpu/{s/^cpu *//; p}' "$work/out.txt")"
    done
  done
done
