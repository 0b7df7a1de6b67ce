#!/usr/bin/env bash
# Measures the real window under Xvfb (docs/PERFORMANCE.md, "The GUI under
# load"):
#   - launch to first frame: from exec to the window showing drawn pixels;
#   - idle CPU of an open, joined window over IDLE seconds, focused (the
#     compose box's cursor blinks) and in the background;
#   - a flood: FLOOD messages (default 100,000) at RATE per second (default
#     1,000) from a scripted client through a headless server, with the
#     window keeping all of them (-max-messages); reports the window's CPU,
#     resident memory afterwards, and its own "ui load" statistics: the
#     longest flush and the longest delay of a due flush (a stall).
# Bounded: every wait has a limit; the whole run takes about
# FLOOD/RATE + IDLE + 90 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null

flood=${FLOOD:-100000}
rate=${RATE:-1000}
idle=${IDLE:-10}
tmp=$(mktemp -d)
# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh
trap 'stop_all; stop_xvfb; rm -rf "$tmp"' EXIT

go build -o "$tmp/parley" .
go build -o "$tmp/chatpeer" ./scripts/chatpeer
start_xvfb
export LANG=en_US.UTF-8
hz=$(getconf CLK_TCK)

cpu_ticks() { # PID: user+system clock ticks so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}
now_ms() { date +%s%3N; }

port=$(free_port)
"$tmp/parley" -server -no-history -addr "127.0.0.1:$port" -rate 0 -backlog 50 >"$tmp/server.log" 2>&1 &
pids+=($!)
wait_port "$port" 30

mkdir -p "$tmp/home"
start=$(now_ms)
HOME=$tmp/home "$tmp/parley" -connect "127.0.0.1:$port" -nick watcher -max-messages "$flood" \
  -log-level debug >"$tmp/app.log" 2>&1 &
app=$!
pids+=($app)
win=$(window_of "$app" 30)
mapped=$(now_ms)
first=
for _ in $(seq 1 200); do
  sd=$(import -window "$win" png:- 2>/dev/null | convert - -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)
  if awk -v s="$sd" 'BEGIN { exit !(s > 0.01) }'; then
    first=$(now_ms)
    break
  fi
  sleep 0.02
done
[ -n "$first" ] || { echo "gui-perf: the window never drew anything" >&2; exit 1; }
echo "launch to window mapped:  $((mapped - start)) ms"
echo "launch to first frame:    $((first - start)) ms (window content drawn; screenshot polling adds up to ~100 ms)"

for _ in $(seq 1 300); do grep -q 'msg=connected addr=' "$tmp/app.log" && break; sleep 0.1; done
sleep 2
idle_cpu() { # LABEL
  local t0 t1
  t0=$(cpu_ticks "$app")
  sleep "$idle"
  t1=$(cpu_ticks "$app")
  awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$idle" -v l="$1" 'BEGIN { printf "idle CPU, %-15s %.2f%% of one core over %d s\n", l ":", 100 * d / hz / s, s }'
}
idle_cpu "focused"
# Focus the root window, as when the user works in another program: the
# compose box's cursor stops blinking.
xdotool windowfocus "$(xwininfo -root | awk '/Window id/ {print $4}')" 2>/dev/null
sleep 1
idle_cpu "in background"
xdotool windowfocus "$win"
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$app/status")
echo "RSS joined, idle:         $((rss0 / 1024)) MiB"

t0=$(cpu_ticks "$app")
f0=$(now_ms)
"$tmp/chatpeer" -addr "127.0.0.1:$port" -nick flood -flood "$flood" -rate "$rate" \
  -timeout $((flood / rate * 3 + 60))s >"$tmp/flood.log" 2>&1
f1=$(now_ms)
for _ in $(seq 1 600); do
  grep -q "messages=$flood " "$tmp/app.log" && break
  sleep 0.1
done
sleep 6 # one more statistics period after the flood
t1=$(cpu_ticks "$app")
cat "$tmp/flood.log"
awk -v d=$((t1 - t0)) -v hz="$hz" -v ms=$((f1 - f0 + 6000)) 'BEGIN { printf "window CPU during flood:  %.0f%% of one core\n", 100 * d / hz / (ms / 1000) }'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$app/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$app/status")
echo "RSS after $flood msgs:   $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB; $(((rss - rss0) * 1024 / flood)) bytes per message over idle)"
sleep 65 # Fyne's text and texture caches let entries go after a minute
rss2=$(awk '/VmRSS/ {print $2}' "/proc/$app/status")
echo "RSS a minute later:       $((rss2 / 1024)) MiB ($(((rss2 - rss0) * 1024 / flood)) bytes per message over idle)"
echo "ui load statistics (every 5 s):"
grep 'msg="ui load"' "$tmp/app.log" | sed 's/^.*msg="ui load" /  /'
grep 'msg="ui load"' "$tmp/app.log" | sed -n 's/.*max_delay=\([0-9.]*\)\([µm]*s\).*/\1 \2/p' |
  awk '{ v = $1 * ($2 == "s" ? 1000 : $2 == "µs" ? 0.001 : 1); if (v > m) m = v }
       END { printf "worst flush delay (stall): %.1f ms\n", m }'
