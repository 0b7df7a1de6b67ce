#!/usr/bin/env bash
# Measures the real window under Xvfb (docs/PERFORMANCE.md, "The GUI under
# load" and "A light window"), in this order:
#   - launch to first frame: from exec to the window showing drawn pixels;
#   - CPU of an open, joined window: focused, in the 10 s after input
#     while the compose box's cursor blinks, then at rest over IDLE
#     seconds, focused and in the background;
#   - resident memory (RSS) idle, with where it is (see mem_breakdown);
#   - a flood: FLOOD messages (default 30,000) at RATE per second (default
#     1,000) from a scripted client (tools/chatpeer, the real client)
#     through a headless server, with the window keeping its default cap
#     of 10,000 messages (MAX_MESSAGES sets -max-messages); reports the
#     window's CPU during the flood, its peak RSS (sampled every 0.2 s),
#     how long a line typed into the window mid-flood takes to reach
#     another client, and the window's own "ui load" statistics;
#   - RSS right after the flood and QUIET seconds later (default 30), with
#     where it is, and the window's "memory" log lines.
# SHOT=FILE.png saves a screenshot of the window halfway through the flood.
# SCROLLED=1 scrolls the message list up 3 s into the flood, so that the
# flood arrives below the view.
# QUIET_FOCUS=0 takes the focus away from the window for the quiet period
# (as when the user works in another program). BIN uses a prebuilt parley
# binary instead of building this checkout (for A/B runs).
# Every figure is printed with what produced it. Bounded: every wait has
# a limit; the run takes about FLOOD/RATE + 2*IDLE + QUIET + 60 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null

flood=${FLOOD:-30000}
rate=${RATE:-1000}
idle=${IDLE:-10}
quiet=${QUIET:-30}
quiet_focus=${QUIET_FOCUS:-1}
tmp=$(mktemp -d)
# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh
trap 'stop_all; stop_xvfb; rm -rf "$tmp"' EXIT

if [ -n "${BIN:-}" ]; then
  cp "$BIN" "$tmp/parley"
else
  go build -o "$tmp/parley" .
fi
go build -o "$tmp/chatpeer" ./tools/chatpeer
start_xvfb
export LANG=en_US.UTF-8
hz=$(getconf CLK_TCK)

cpu_ticks() { # PID: user+system clock ticks so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}
now_ms() { date +%s%3N; }
rss_mib() { # PID
  awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"
}
# mem_breakdown PID: the resident memory by kind of mapping, from
# /proc/PID/smaps. Go's heap arenas are reserved from 0xc000000000 on
# amd64; [heap] is glibc malloc's main arena (brk); other anonymous
# mappings are glibc's per-thread arenas and large (mmap'd) allocations,
# Mesa's buffers, Go's runtime metadata and thread stacks; file-backed
# mappings are code and data of the binary and libraries (Mesa's llvmpipe
# and LLVM among them).
mem_breakdown() {
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / {
      split($1, a, "-"); path = $6
      if (path == "[heap]") kind = "C heap, main arena (brk)"
      else if (path ~ /^\[stack/) kind = "stacks"
      else if (path ~ /(gallium|swrast|LLVM|libGL|dri)/) kind = "Mesa and LLVM (files)"
      else if (path != "") kind = "other files (code, fonts, binary)"
      else if (length(a[1]) == 10 && substr(a[1], 1, 2) == "c0") kind = "Go heap arenas"
      else kind = "other anonymous (C arenas, mmap chunks, Go runtime)"
      next
    }
    /^Rss:/ { sum[kind] += $2; total += $2 }
    /^Anonymous:/ { anon += $2 }
    END {
      for (k in sum) printf "    %-55s %6.1f MiB\n", k, sum[k] / 1024
      printf "    %-55s %6.1f MiB (anonymous %.1f MiB)\n", "total", total / 1024, anon / 1024
    }' "/proc/$1/smaps" | sort -k1,1
}

port=$(free_port)
"$tmp/parley" -server -no-history -addr "127.0.0.1:$port" -rate 0 -backlog 50 >"$tmp/server.log" 2>&1 &
pids+=($!)
wait_port "$port" 30

mkdir -p "$tmp/home"
maxflag=()
[ -n "${MAX_MESSAGES:-}" ] && maxflag=(-max-messages "$MAX_MESSAGES")
start=$(now_ms)
HOME=$tmp/home "$tmp/parley" -connect "127.0.0.1:$port" -nick watcher "${maxflag[@]}" \
  -log-level debug >"$tmp/app.log" 2>&1 &
app=$!
pids+=($app)
echo "window: HOME=\$tmp $tmp/parley -connect 127.0.0.1:$port -nick watcher ${maxflag[*]} -log-level debug (pid $app)"
echo "server: parley -server -rate 0 -backlog 50; Xvfb ${XVFB_SIZE:-1280x900x24}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
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
  awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$idle" -v l="$1" 'BEGIN { printf "CPU at rest, %-14s %.2f%% of one core over %d s (/proc/PID/stat utime+stime)\n", l ":", 100 * d / hz / s, s }'
}
root=$(xwininfo -root 2>/dev/null | awk '/Window id/ {print $4}')
xdotool windowfocus "$win"
# The compose box's cursor blinks for 10 s after input (here: the focus
# coming back), then rests.
t0=$(cpu_ticks "$app")
sleep 10
t1=$(cpu_ticks "$app")
awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "CPU focused, first 10 s:   %.2f%% of one core (cursor blinking; /proc/PID/stat utime+stime)\n", 100 * d / hz / 10 }'
sleep 1
idle_cpu "focused"
# Focus the root window, as when the user works in another program: the
# compose box's cursor stops blinking.
xdotool windowfocus "$root" 2>/dev/null
sleep 1
idle_cpu "in background"
xdotool windowfocus "$win"
sleep 1
rss0=$(rss_mib "$app")
echo "RSS joined, idle:         $rss0 MiB (VmRSS)"
mem_breakdown "$app"

# Sample the RSS during the flood for its peak.
(
  peak=0
  while kill -0 "$app" 2>/dev/null && [ ! -e "$tmp/stop-sampler" ]; do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$app/status" 2>/dev/null || echo 0)
    [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$tmp/peak"
    sleep 0.2
  done
) &
sampler=$!
pids+=($sampler)

t0=$(cpu_ticks "$app")
f0=$(now_ms)
echo "flood: chatpeer -flood $flood -rate $rate"
"$tmp/chatpeer" -addr "127.0.0.1:$port" -nick flood -flood "$flood" -rate "$rate" \
  -timeout $((flood / rate * 3 + 60))s >"$tmp/flood.log" 2>&1 &
flooder=$!
pids+=($flooder)
if [ "${SCROLLED:-0}" = 1 ]; then
  # Three seconds in, scroll the message list up with the mouse wheel, as
  # a reader of older lines would: the flood then arrives below the view.
  sleep 3
  xdotool mousemove --window "$win" 300 200 click --repeat 15 --delay 30 4
  echo "flood below the view: list scrolled up 3 s in (xdotool wheel)"
  sleep $((flood / rate / 2 - 3))
else
  sleep $((flood / rate / 2))
fi
# SHOT=FILE.png saves a screenshot of the window halfway through.
[ -n "${SHOT:-}" ] && import -window "$win" "$SHOT"
# Halfway through, type a line into the window and time its arrival at
# another client.
"$tmp/chatpeer" -addr "127.0.0.1:$port" -nick observer -expect "typed during the flood" \
  -timeout 60s >"$tmp/observer.log" 2>&1 &
observer=$!
pids+=($observer)
for _ in $(seq 1 100); do grep -q ready "$tmp/observer.log" && break; sleep 0.1; done
type_into "$win" "typed during the flood" >/dev/null 2>&1
typed=$(now_ms)
typed_ok=0
wait "$observer" && typed_ok=1
crossed=$(now_ms)
wait "$flooder"
f1=$(now_ms)
sleep 2 # the window drains what it queued
t1=$(cpu_ticks "$app")
touch "$tmp/stop-sampler"
wait "$sampler" || true
cat "$tmp/flood.log"
if [ "$typed_ok" = 1 ]; then
  echo "typed line mid-flood:     reached another client $((crossed - typed)) ms after Enter (xdotool; includes the observer's exit)"
else
  echo "typed line mid-flood:     NOT received: $(cat "$tmp/observer.log")"
fi
ms=$((f1 - f0 + 2000))
awk -v d=$((t1 - t0)) -v hz="$hz" -v ms="$ms" 'BEGIN { printf "CPU during the flood:      %.0f%% of one core over %.1f s (flood and 2 s after)\n", 100 * d / hz / (ms / 1000), ms / 1000 }'
rss1=$(rss_mib "$app")
hwm=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$app/status")
echo "RSS peak during flood:    $(awk '{printf "%.0f", $1 / 1024}' "$tmp/peak") MiB (VmRSS sampled every 0.2 s; VmHWM $hwm MiB)"
echo "RSS right after flood:    $rss1 MiB"
mem_breakdown "$app"
if [ "$quiet_focus" = 0 ]; then
  xdotool windowfocus "$root" 2>/dev/null
  echo "quiet period in the background"
else
  echo "quiet period focused"
fi
sleep "$quiet"
rss2=$(rss_mib "$app")
awk -v a="$rss2" -v b="$rss0" -v q="$quiet" 'BEGIN { printf "RSS %d s after the flood: %d MiB (%.2f x idle)\n", q, a, a / b }'
mem_breakdown "$app"
echo "ui load statistics (every 5 s):"
grep 'msg="ui load"' "$tmp/app.log" | sed 's/^.*msg="ui load" /  /'
grep 'msg="ui load"' "$tmp/app.log" | sed -n 's/.*max_delay=\([0-9.]*\)\([µm]*s\).*/\1 \2/p' |
  awk '{ v = $1 * ($2 == "s" ? 1000 : $2 == "µs" ? 0.001 : 1); if (v > m) m = v }
       END { printf "worst flush delay (stall): %.1f ms\n", m }'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "memory log lines of the window:"
grep 'msg=memory' "$tmp/app.log" | sed 's/^.*msg=memory /  /' || echo "  (none)"
