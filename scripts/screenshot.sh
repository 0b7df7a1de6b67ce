#!/usr/bin/env bash
# Takes the README's screenshots of the real app: it builds ./parley, runs
# it under Xvfb hosting a chat, lets a scripted participant (bob, the real
# client in tools/chatpeer) say a few things (a link, a long message that
# wraps, a multi-line one), types a reply into the window with xdotool, and
# saves docs/screenshot-light.png and docs/screenshot-dark.png.
#
#   scripts/screenshot.sh            both themes
#   scripts/screenshot.sh dark       one theme
#   OUT=/tmp/shots scripts/screenshot.sh   somewhere else than docs/
#   PARLEY_BIN=./parley scripts/screenshot.sh   an app already built
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null

tmp=$(mktemp -d)
# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh
trap 'stop_all; stop_xvfb; rm -rf "$tmp"' EXIT

out=${OUT:-docs}
mkdir -p "$out"
themes=("$@")
[ ${#themes[@]} -gt 0 ] || themes=(light dark)

bin=${PARLEY_BIN:-}
if [ -z "$bin" ]; then
  echo "screenshot: building"
  go build -o "$tmp/parley" .
  bin=$tmp/parley
fi
go build -o "$tmp/chatpeer" ./tools/chatpeer
start_xvfb

for theme in "${themes[@]}"; do
  port=$(free_port)
  home="$tmp/home-$theme" # fresh preferences every time
  mkdir -p "$home"
  HOME=$home LANG=en_US.UTF-8 FYNE_THEME=$theme \
    "$bin" -host -no-discovery -port "$port" -nick alice -room "Design review" >"$tmp/parley-$theme.log" 2>&1 &
  app=$!
  pids+=($app)
  wait_port "$port" 20
  win=$(window_of "$app" 20)

  "$tmp/chatpeer" -addr "127.0.0.1:$port" -nick bob -wait-user alice -gap 400ms -timeout 30s -linger 120s \
    -say "Morning! Did last night's build go green?" \
    -say "It did: the report is at https://ci.example.com/builds/1234 and all 312 tests passed." \
    -say "The flaky network test turned out to be a real bug in the reconnect backoff: it doubled without a cap after the tenth attempt, so a laptop waking from sleep could wait minutes before it rejoined. It is capped at thirty seconds now, with jitter." \
    -say 'Checklist for today:\n1. tag the release\n2. update the screenshots\n3. tell the team' \
    >"$tmp/bob-$theme.log" 2>&1 &
  pids+=($!)
  "$tmp/chatpeer" -addr "127.0.0.1:$port" -nick carol -wait-user bob -timeout 30s -linger 120s \
    >"$tmp/carol-$theme.log" 2>&1 &
  pids+=($!)

  # Wait until bob has said everything (his last line has 4 lines), then
  # answer from the window's keyboard.
  sleep 3
  type_into "$win" "Great news, thanks Bob! I'll do the screenshots."
  sleep 1.5
  import -window "$win" "$out/screenshot-$theme.png"
  echo "screenshot: $out/screenshot-$theme.png"

  stop_all
done
