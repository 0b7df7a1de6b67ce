#!/usr/bin/env bash
# Takes the README's screenshots of the real app: it builds ./parley, runs
# it under Xvfb hosting a chat, lets a scripted participant (bob, the real
# client in tools/chatpeer) say a few things (a link, a long message that
# wraps, a multi-line one), types a reply into the window with xdotool, and
# saves docs/screenshot-light.png and docs/screenshot-dark.png. The third
# shot, docs/screenshot-private.png, is a private conversation: alice sets
# the topic, dave (tools/chatpeer -private) writes to her privately, she
# answers with /msg (which opens his tab), and a click on dave in the
# people list opens his menu.
#
#   scripts/screenshot.sh            all three: light, dark, private
#   scripts/screenshot.sh dark       one of them (light, dark or private)
#   OUT=/tmp/shots scripts/screenshot.sh   somewhere else than docs/
#   PARLEY_BIN=./parley scripts/screenshot.sh   an app already built
set -euo pipefail
cd "$(dirname "$0")/.."
shots=("$@")
[ ${#shots[@]} -gt 0 ] || shots=(light dark private)
for shot in "${shots[@]}"; do
  case $shot in
  light | dark | private) ;;
  *)
    echo "screenshot: unknown shot $shot (light, dark or private)" >&2
    exit 2
    ;;
  esac
done
scripts/setup.sh test >/dev/null

tmp=$(mktemp -d)
# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh
trap 'stop_all; stop_xvfb; rm -rf "$tmp"' EXIT

out=${OUT:-docs}
mkdir -p "$out"

bin=${PARLEY_BIN:-}
if [ -z "$bin" ]; then
  echo "screenshot: building"
  go build -o "$tmp/parley" .
  bin=$tmp/parley
fi
go build -o "$tmp/chatpeer" ./tools/chatpeer
start_xvfb

# start_app THEME NAME starts alice hosting "Design review" in THEME with
# fresh preferences, and sets $port and $win.
start_app() {
  local theme=$1 name=$2 app
  port=$(free_port)
  local home="$tmp/home-$name" # fresh preferences every time
  mkdir -p "$home"
  HOME=$home LANG=en_US.UTF-8 FYNE_THEME=$theme \
    "$bin" -host -no-discovery -port "$port" -nick alice -room "Design review" >"$tmp/parley-$name.log" 2>&1 &
  app=$!
  pids+=($app)
  wait_port "$port" 20
  win=$(window_of "$app" 20)
}

# wait_log FILE PATTERN SECONDS waits until a participant's output has a
# line matching PATTERN.
wait_log() {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    if grep -q -- "$2" "$1"; then return 0; fi
    sleep 0.1
  done
  echo "screenshot: no \"$2\" in $1 after $3 s:" >&2
  cat "$1" >&2
  return 1
}

# shot_theme THEME: the room with bob's lines and alice's reply.
shot_theme() {
  local theme=$1
  start_app "$theme" "$theme"
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
}

# presence_dots IMAGE prints "x y", top to bottom, the centre of each
# presence dot in the right half of a window's image (the people list):
# the runs of rows holding the theme's success colour, #43F436 in Fyne's
# light and dark themes alike, which nothing else in the window uses.
presence_dots() {
  local w
  w=$(identify -format %w "$1")
  convert "$1" -crop "$((w - w / 2))x100000+$((w / 2))+0" +repage txt:- |
    awk -v off=$((w / 2)) 'toupper($0) ~ /#43F436/ {
        split($1, p, /[,:]/); x = p[1] + off; y = p[2]
        if (n == 0 || y > last + 1) { if (n) print int(sx / c), int((top + last) / 2); n++; top = y; sx = 0; c = 0 }
        last = y; sx += x; c++
      }
      END { if (n) print int(sx / c), int((top + last) / 2) }'
}

# shot_private: the private conversation with dave and his menu.
shot_private() {
  # At scale 1 whatever the display says, so that the sizes below hold.
  FYNE_SCALE=1 start_app light private
  # Taller than the default window, so that dave's menu fits below him.
  xdotool windowsize --sync "$win" 860 620 || xdotool windowsize "$win" 860 620
  "$tmp/chatpeer" -addr "127.0.0.1:$port" -nick bob -wait-user alice -timeout 30s -linger 120s \
    >"$tmp/bob-private.log" 2>&1 &
  pids+=($!)
  wait_log "$tmp/bob-private.log" '^ready' 20
  type_into "$win" "/topic Release 1.4 today: tag at 3 pm"
  # dave joins after the topic is typed and writes to alice; chatpeer
  # prints "private to" once the server has delivered it.
  "$tmp/chatpeer" -addr "127.0.0.1:$port" -nick dave -wait-user alice -timeout 30s -linger 120s \
    -private "alice:Can I take the screenshots after lunch?" >"$tmp/dave-private.log" 2>&1 &
  pids+=($!)
  wait_log "$tmp/dave-private.log" '^private to alice' 20
  sleep 1 # the window draws dave's message and the third row
  type_into "$win" "/msg dave Yes, after lunch is fine. Thanks!"
  # alice's topic went to the server before her answer on the same
  # connection: once dave has her answer, the topic is set too.
  wait_log "$tmp/dave-private.log" '^private from alice' 20
  sleep 1 # the window draws the answer in dave's tab
  # Click on dave's row: the people list is in alphabetical order (alice,
  # bob, dave), so his dot is the third; the click lands on his name,
  # right of the dot, where a person would click.
  import -window "$win" "$tmp/before-private.png"
  local dots
  mapfile -t dots < <(presence_dots "$tmp/before-private.png")
  if [ ${#dots[@]} -ne 3 ]; then
    echo "screenshot: want 3 presence dots (alice, bob, dave) in the people list, found ${#dots[@]}: ${dots[*]}" >&2
    return 1
  fi
  local x y
  read -r x y <<<"${dots[2]}"
  xdotool mousemove --window "$win" $((x + 40)) "$y" click 1
  sleep 1 # the menu opens
  import -window "$win" "$out/screenshot-private.png"
  echo "screenshot: $out/screenshot-private.png"
}

for shot in "${shots[@]}"; do
  case $shot in
  private) shot_private ;;
  *) shot_theme "$shot" ;;
  esac
  stop_all
done
