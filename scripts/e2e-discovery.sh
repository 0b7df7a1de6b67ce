#!/usr/bin/env bash
# End-to-end test of finding a chat on the network, with the real app in a
# virtual display and two network namespaces joined by a veth pair (root
# needed; multicast stays inside them). Alice's window, in namespace A,
# hosts a chat for the network, which announces it; bob's window, in
# namespace B, opens with the connect dialog, which must list the chat;
# a click on the row joins it, and a message typed in each window must
# reach the other; Ctrl+Q in alice's window must then ask before ending
# the chat for bob. With OUT set, keeps the screenshot of the dialog
# listing the chat as $OUT/screenshot-connect.png (the README's is from
# OUT=docs). Bounded by E2E_TIMEOUT seconds (default 120).
#
#   scripts/e2e-discovery.sh
#   PARLEY_BIN=./parley OUT=docs scripts/e2e-discovery.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test >/dev/null
# shellcheck source=scripts/e2e-lib.sh
. scripts/e2e-lib.sh
e2e_begin e2e-discovery 120 "$@"
if [ "$(id -u)" -ne 0 ]; then
  echo "e2e-discovery: needs root for network namespaces" >&2
  exit 1
fi

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
nsA=plA$id nsB=plB$id ifA=pla$id ifB=plb$id
net=10.$((16 + 0x${id:0:2} % 200)).$((0x${id:2:2}))
e2e_extra_cleanup() {
  ip netns del "$nsA" 2>/dev/null || true
  ip netns del "$nsB" 2>/dev/null || true
}
e2e_app

ip netns add "$nsA"
ip netns add "$nsB"
ip link add "$ifA" type veth peer name "$ifB"
ip link set "$ifA" netns "$nsA"
ip link set "$ifB" netns "$nsB"
ip -n "$nsA" addr add "$net.1/24" dev "$ifA"
ip -n "$nsB" addr add "$net.2/24" dev "$ifB"
for ns in "$nsA" "$nsB"; do ip -n "$ns" link set lo up; done
ip -n "$nsA" link set "$ifA" up
ip -n "$nsB" link set "$ifB" up

# The display's socket is a file, which both namespaces reach.
start_xvfb
export LANG=en_US.UTF-8 FYNE_SCALE=1 FYNE_THEME=light
room="Book club"
mkdir -p "$tmp/alice" "$tmp/bob"
touch "$tmp/alice.log" "$tmp/bob.log"
HOME=$tmp/alice ip netns exec "$nsA" "$bin" -host -port 2000 -nick alice -room "$room" -log-level debug >"$tmp/alice.log" 2>&1 &
alice=$!
pids+=($alice)
wait_log "$tmp/alice.log" 'msg="announcing on the local network"' 30 || fail "alice's window did not announce the chat"
grep -q "ifaces=$ifA" "$tmp/alice.log" || fail "alice did not announce on $ifA: $(grep announcing "$tmp/alice.log")"
alice_win=$(window_of "$alice" 30) || fail "alice has no window"

HOME=$tmp/bob ip netns exec "$nsB" "$bin" -nick bob -log-level debug >"$tmp/bob.log" 2>&1 &
bob=$!
pids+=($bob)
bob_win=$(window_of "$bob" 30) || fail "bob has no window"
wait_log "$tmp/bob.log" "msg=\"chat listed\" text=\"$room · 1 person" 30 || fail "bob's connect dialog did not list alice's chat"
line=$(grep "msg=\"chat listed\" text=\"$room" "$tmp/bob.log" | tail -n 1)
echo "e2e-discovery: listed: ${line#*msg=}"
val() { sed -E "s/.* $1=([0-9]+).*/\\1/" <<<"$line"; }
x=$(val x) y=$(val y) w=$(val w) h=$(val h)
grep -Eq "addr=\"?$net.1:2000[?\" ]" <<<"$line" || fail "the listing's address is not alice's $net.1:2000"
# Alice hosts encrypted (the window's default): the listing carries her
# key, so that bob's first connection is checked against it.
grep -Eq "addr=\"?$net.1:2000\?fp=[a-z2-7]+" <<<"$line" || fail "the listing does not carry alice's key"

xdotool windowactivate --sync "$bob_win" 2>/dev/null || xdotool windowfocus --sync "$bob_win"
sleep 0.3
import -window "$bob_win" "$tmp/connect.png"
echo "e2e-discovery: one click on the row at $((x + w / 2)),$((y + h / 2))"
xdotool mousemove --window "$bob_win" $((x + w / 2)) $((y + h / 2)) click 1
wait_log "$tmp/bob.log" "msg=connected addr=\"\?$net.1:2000" 20 || fail "bob's click did not join alice's chat"

from_bob="found you on the network $RANDOM"
from_alice="welcome, bob $RANDOM"
sleep 0.5
type_into "$bob_win" "$from_bob"
type_into "$alice_win" "$from_alice"
crossed "$tmp/alice.log" alice "$tmp/bob.log" bob "$from_alice" "$from_bob"
echo "e2e-discovery: typed messages crossed both ways"

# A join link on the command line, as a desktop's URL handler passes it,
# joins directly.
mkdir -p "$tmp/carl"
touch "$tmp/carl.log"
HOME=$tmp/carl ip netns exec "$nsB" "$bin" -nick carl -log-level debug "parley://$net.1:2000" >"$tmp/carl.log" 2>&1 &
carl=$!
pids+=($carl)
wait_log "$tmp/carl.log" "msg=connected addr=$net.1:2000" 30 || fail "parley parley://$net.1:2000 did not join"
quit "$carl" carl
echo "e2e-discovery: parley parley://$net.1:2000 joined directly"

if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  cp "$tmp/connect.png" "$OUT/screenshot-connect.png"
  echo "e2e-discovery: kept $OUT/screenshot-connect.png"
fi

# Ctrl+Q in the host's window while bob is in the chat asks first: the
# window stays, and says how many would be disconnected.
xdotool windowraise "$alice_win"
xdotool windowfocus --sync "$alice_win"
xdotool key ctrl+q
wait_log "$tmp/alice.log" 'msg=asking title="Quit and end the chat?" text=".*ends for 1 other person' 10 ||
  fail "Ctrl+Q with bob in the chat did not ask alice first"
kill -0 "$alice" 2>/dev/null || fail "Ctrl+Q ended alice's hosted chat"
sleep 0.5
import -window "$alice_win" "$tmp/quit.png"
echo "e2e-discovery: Ctrl+Q with a guest in the chat asked first"

quit "$alice" alice
quit "$bob" bob
pids=()
echo "e2e-discovery: PASS"
