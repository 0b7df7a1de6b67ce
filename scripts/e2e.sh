#!/usr/bin/env bash
# End-to-end smoke test of the real app in a virtual display (make test
# runs it). Two windows on one machine: alice hosts (-host -local), bob
# joins (-connect). Each types a message on the keyboard with xdotool; a
# headless third participant (carol, tools/chatpeer, the real client)
# must receive both, and each window's own log must show the other's
# message arriving. Then alice quits, which must tell bob the host ended
# the chat, and both processes must exit cleanly. Bounded: the whole run
# is cut off after E2E_TIMEOUT seconds (default 180).
#
#   scripts/e2e.sh                 builds the app into a temporary folder
#   PARLEY_BIN=./parley scripts/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null
if [ -z "${E2E_BOUNDED:-}" ]; then
  E2E_BOUNDED=1 exec timeout --kill-after=15 "${E2E_TIMEOUT:-180}" "$0" "$@"
fi

tmp=$(mktemp -d)
# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh
cleanup() {
  local status=$?
  stop_all
  stop_xvfb
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
trap cleanup EXIT
trap 'echo "e2e: timed out or interrupted" >&2; exit 1' TERM INT

fail() {
  echo "e2e: FAIL: $*" >&2
  exit 1
}

bin=${PARLEY_BIN:-}
if [ -z "$bin" ]; then
  echo "e2e: building"
  go build -o "$tmp/parley" .
  bin=$tmp/parley
fi
go build -o "$tmp/chatpeer" ./tools/chatpeer
start_xvfb
port=$(free_port)
export LANG=en_US.UTF-8

mkdir -p "$tmp/alice" "$tmp/bob"
HOME=$tmp/alice "$bin" -host -local -no-discovery -port "$port" -nick alice -room E2E -log-level debug >"$tmp/alice.log" 2>&1 &
alice=$!
pids+=($alice)
wait_port "$port" 30 || fail "alice's window did not start hosting on port $port"
HOME=$tmp/bob "$bin" -connect "127.0.0.1:$port" -no-discovery -nick bob -log-level debug >"$tmp/bob.log" 2>&1 &
bob=$!
pids+=($bob)

from_bob="hello from bob's keyboard $RANDOM"
from_alice="and alice types back $RANDOM"
"$tmp/chatpeer" -addr "127.0.0.1:$port" -nick carol -wait-user bob \
  -expect "$from_bob" -expect "$from_alice" -timeout 90s >"$tmp/carol.log" 2>&1 &
carol=$!
pids+=($carol)

alice_win=$(window_of "$alice" 30) || fail "alice has no window"
bob_win=$(window_of "$bob" 30) || fail "bob has no window"
for _ in $(seq 1 300); do
  grep -q '^ready' "$tmp/carol.log" && break
  kill -0 "$carol" 2>/dev/null || fail "carol gave up before bob joined"
  sleep 0.1
done
grep -q '^ready' "$tmp/carol.log" || fail "bob never joined"
echo "e2e: both windows in the chat on port $port; typing"

type_into "$bob_win" "$from_bob"
type_into "$alice_win" "$from_alice"
wait "$carol" || fail "carol did not receive both typed messages"
echo "e2e: carol received both: $(grep -c '^got' "$tmp/carol.log") messages"

# Each window saw the other's message (the log holds sizes, not text).
seen() { # LOG FROM BYTES
  grep 'msg="message received"' "$1" | grep "from=$2 " | grep "own=false" | grep -q "bytes=$3\$"
}
for _ in $(seq 1 100); do
  seen "$tmp/alice.log" bob ${#from_bob} && seen "$tmp/bob.log" alice ${#from_alice} && break
  sleep 0.1
done
seen "$tmp/alice.log" bob ${#from_bob} || fail "alice's window did not receive bob's message"
seen "$tmp/bob.log" alice ${#from_alice} || fail "bob's window did not receive alice's message"
echo "e2e: each window received the other's message"

# Quitting the host ends the chat for bob, who is told so and stays put.
kill -TERM "$alice"
for _ in $(seq 1 100); do kill -0 "$alice" 2>/dev/null || break; sleep 0.1; done
kill -0 "$alice" 2>/dev/null && fail "alice did not quit within 10 s of SIGTERM"
wait "$alice" || fail "alice exited with status $?"
# A signal quits the window through Fyne's main loop (gui.go): Fyne says
# so on stderr when a window call comes from the wrong goroutine.
clean_quit() { # LOG NAME
  if grep -q 'Error in Fyne call thread' "$1"; then
    grep -A3 'Error in Fyne call thread' "$1" >&2
    fail "$2's window was closed off Fyne's main goroutine on SIGTERM"
  fi
}
clean_quit "$tmp/alice.log" alice
for _ in $(seq 1 100); do
  grep -q 'the host ended the chat' "$tmp/bob.log" && break
  sleep 0.1
done
grep -q 'the host ended the chat' "$tmp/bob.log" || fail "bob was not told the host ended the chat"
kill -0 "$bob" 2>/dev/null || fail "bob's window closed when the host left"
kill -TERM "$bob"
for _ in $(seq 1 100); do kill -0 "$bob" 2>/dev/null || break; sleep 0.1; done
kill -0 "$bob" 2>/dev/null && fail "bob did not quit within 10 s of SIGTERM"
wait "$bob" || fail "bob exited with status $?"
clean_quit "$tmp/bob.log" bob
pids=()
echo "e2e: part 1 passed: typed messages crossed both ways; quitting the host ended the chat"

# Part 2: the server restarts under a window.
port=$(free_port)
"$bin" -server -no-history -addr "127.0.0.1:$port" -room Restart >"$tmp/server1.log" 2>&1 &
srv=$!
pids+=($srv)
wait_port "$port" 30 || fail "the headless server did not start"
mkdir -p "$tmp/dan"
HOME=$tmp/dan "$bin" -connect "127.0.0.1:$port" -no-discovery -nick dan -log-level debug >"$tmp/dan.log" 2>&1 &
dan=$!
pids+=($dan)
dan_win=$(window_of "$dan" 30) || fail "dan has no window"
wait_log() { # LOG PATTERN SECONDS
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -q -- "$2" "$1" && return 0
    sleep 0.1
  done
  return 1
}
wait_log "$tmp/dan.log" 'msg=connected addr=' 30 || fail "dan's window did not join"
kill -TERM "$srv"
wait "$srv" || fail "the server did not stop cleanly"
wait_log "$tmp/dan.log" 'msg=disconnected addr=.*retry=[1-9]' 15 || fail "dan's window did not notice the server going"
down="typed while the server was down $RANDOM"
type_into "$dan_win" "$down"
"$bin" -server -no-history -addr "127.0.0.1:$port" -room Restart >"$tmp/server2.log" 2>&1 &
pids+=($!)
wait_port "$port" 30 || fail "the headless server did not start again"
after="from the new server $RANDOM"
"$tmp/chatpeer" -addr "127.0.0.1:$port" -nick eve -wait-user dan -expect "$down" -say "$after" -linger 2s \
  -timeout 60s >"$tmp/eve.log" 2>&1 || fail "eve did not get dan's message from after the restart"
wait_log "$tmp/dan.log" 'msg=connected addr=.*reset=true' 5 || fail "dan's window did not report the restart"
count() { # LOG FROM OWN BYTES
  grep 'msg="message received"' "$1" | grep "from=$2 " | grep "own=$3" | grep -c "bytes=$4\$" || true
}
wait_log "$tmp/dan.log" "from=eve own=false raw=false bytes=${#after}\$" 10 || fail "dan's window did not get eve's message"
sleep 1
n=$(count "$tmp/dan.log" dan true ${#down})
[ "$n" = 1 ] || fail "dan's own message came back $n times, want 1"
n=$(count "$tmp/dan.log" eve false ${#after})
[ "$n" = 1 ] || fail "eve's message arrived $n times, want 1"
echo "e2e: part 2 passed: the window recovered from a server restart; nothing lost or doubled"
echo "e2e: PASS"
