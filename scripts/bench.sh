#!/usr/bin/env bash
# Side-by-side load benchmark: Parley's headless server against gorilla's
# examples/chat, under the same loads, interleaved over several rounds.
#
#   scripts/bench.sh                 3 rounds of every scenario (about 10 minutes)
#   ROUNDS=1 scripts/bench.sh        one quick round
#   SCENARIOS=chatroom,fanout scripts/bench.sh
#   RICH=1 scripts/bench.sh          also Parley in rich mode (parley.v1)
#   PIN=0 scripts/bench.sh           no CPU pinning
#   FREE=burst,overload              after the pinned comparison, run these scenarios
#                                    again unpinned (the default; FREE= skips it)
#   PARLEY_BIN=./parley-server scripts/bench.sh   use this server binary (make bench does)
#   PROFILE=/tmp/prof scripts/bench.sh   instead: each scenario once against
#                                    tools/profserver, saving Parley's CPU and heap
#                                    profiles there (go tool pprof -top …)
#   Extra arguments go to the load generator: scripts/bench.sh -duration 4s
#
# Pinning: with two or more cores, each server runs on CPU 0 and the load
# generator on CPU 1 (taskset), so that neither steals the other's core
# and both servers are measured under the same split. Go reads its CPU
# affinity at start, so each side runs with GOMAXPROCS=1.
#
# The peer is built from the Go module cache in a temporary folder and
# deleted afterwards; its code is never copied into this repository.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-chatroom,burst,overload,fanout,bigroom,idle,large}
FREE=${FREE-burst,overload}
PIN=${PIN:-1}
GORILLA=github.com/gorilla/websocket@v1.5.3

work=$(mktemp -d /tmp/parley-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "bench: building Parley's headless server, the peer and the load generator" >&2
if [ -n "${PARLEY_BIN:-}" ]; then
  # make bench has built it already (make server).
  cp "$PARLEY_BIN" "$work/parley-server"
else
  CGO_ENABLED=0 go build -tags nogui -o "$work/parley-server" .
fi
CGO_ENABLED=0 go build -o "$work/loadgen" ./tools/loadgen

go mod download "$GORILLA"
src="$(go env GOMODCACHE)/github.com/gorilla/websocket@v1.5.3/examples/chat"
mkdir -p "$work/chat"
cp "$src"/*.go "$src"/home.html "$work/chat/"
chmod -R u+w "$work/chat"
cat >"$work/chat/go.mod" <<MOD
module gorillachat

go 1.20

require github.com/gorilla/websocket v1.5.3
MOD
grep '^github.com/gorilla/websocket v1.5.3' go.sum >"$work/chat/go.sum"
(cd "$work/chat" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o chat .)

# Parley's per-connection rate limit is for people, not for a load test;
# history on disk is measured apart (PARLEY_FLAGS="-rate 0 -data DIR").
parley_flags=${PARLEY_FLAGS:--rate 0 -no-history}

run=("$work/loadgen")
extra=()
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
  run=(taskset -c 1 "$work/loadgen")
  extra=(-server-cpu 0)
fi
if [ "${RICH:-0}" = 1 ]; then
  extra+=(-rich)
fi

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ -n "${PROFILE:-}" ]; then
  # Profile Parley under each scenario: the same server code with pprof on
  # a second loopback port (tools/profserver), pinned like the comparison.
  go build -o "$work/profserver" ./tools/profserver
  mkdir -p "$PROFILE"
  pin0=()
  if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then pin0=(taskset -c 0); fi
  for sc in ${SCENARIOS//,/ }; do
    port=$(free_port)
    pport=$(free_port)
    "${pin0[@]}" "$work/profserver" -addr "127.0.0.1:$port" -pprof "127.0.0.1:$pport" \
      ${PROFSERVER_FLAGS:-} 2>"$PROFILE/$sc-server.log" &
    pid=$!
    for _ in $(seq 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
      sleep 0.1
    done
    "${run[@]}" -v -scenario "$sc" -addr "127.0.0.1:$port" -pid "$pid" \
      -pprof-url "http://127.0.0.1:$pport" -pprof-dir "$PROFILE" "$@" | tee "$PROFILE/$sc.txt"
    kill "$pid"
    wait "$pid" || true
  done
  echo "bench: profiles in $PROFILE (read them with go tool pprof -top FILE)" >&2
  exit 0
fi

echo "bench: $(nproc) CPUs, $(go version | cut -d' ' -f3), rounds=$ROUNDS, pinning=$PIN" >&2
"${run[@]}" -compare -rounds "$ROUNDS" -scenarios "$SCENARIOS" \
  -parley "$work/parley-server -server -addr {addr} $parley_flags" \
  -gorilla "$work/chat/chat -addr {addr}" \
  -logdir "$work" -json "${JSON_OUT:-/tmp/parley-bench.json}" "${extra[@]}" "$@"

# The bursts and the overload again with both processes free to use both
# cores (GOMAXPROCS=2 for each), as a server without pinning runs.
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && [ -n "$FREE" ]; then
  free=()
  for sc in ${FREE//,/ }; do
    case ",$SCENARIOS," in *",$sc,"*) free+=("$sc") ;; esac
  done
  if [ ${#free[@]} -gt 0 ]; then
    list=$(IFS=,; echo "${free[*]}")
    echo "bench: the same unpinned: $list" >&2
    unpinned=()
    if [ "${RICH:-0}" = 1 ]; then unpinned+=(-rich); fi
    "$work/loadgen" -compare -rounds "$ROUNDS" -scenarios "$list" \
      -parley "$work/parley-server -server -addr {addr} $parley_flags" \
      -gorilla "$work/chat/chat -addr {addr}" \
      -logdir "$work" -json "${JSON_OUT_FREE:-/tmp/parley-bench-unpinned.json}" "${unpinned[@]}" "$@"
  fi
fi
