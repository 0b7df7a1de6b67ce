# Helpers for running the real app in a virtual X display, sourced by
# scripts/screenshot.sh, scripts/gui-perf.sh and scripts/e2e-lib.sh. They
# expect `set -euo pipefail` and a $tmp directory, and record every process they start in $pids so
# that the caller's trap can stop them (by process id, never by name).

pids=()
xvfb_pid= # start_xvfb sets it; a trap that runs stop_xvfb before then finds it empty, not unset

# stop_all stops every process started through these helpers, newest
# first, and waits for them.
stop_all() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    wait "${pids[i]}" 2>/dev/null || true
  done
  pids=()
}

# stop_xvfb stops the display started by start_xvfb.
stop_xvfb() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
    xvfb_pid=
  fi
}

# start_xvfb starts Xvfb on the first free display from :90 and exports
# DISPLAY. Fyne needs GLX, which Xvfb provides through Mesa.
start_xvfb() {
  local n
  for n in $(seq 90 130); do
    if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then
      Xvfb ":$n" -screen 0 "${XVFB_SIZE:-1280x900x24}" -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
      xvfb_pid=$!
      export DISPLAY=":$n"
      local i
      for i in $(seq 1 100); do
        if xdpyinfo >/dev/null 2>&1; then return 0; fi
        sleep 0.1
      done
      echo "xvfb: display :$n did not come up" >&2
      cat "$tmp/xvfb.log" >&2
      return 1
    fi
  done
  echo "xvfb: no free display number" >&2
  return 1
}

# free_port prints a loopback TCP port nothing listens on.
free_port() {
  # Below the kernel's ephemeral range, so that no outgoing connection
  # (a load test, a browser) can hold the port between this check and the
  # app's listen; the check binds the port rather than connecting to it.
  local lo=32768 p
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
  fi
  [ "$lo" -gt 11000 ] || lo=32768
  for _ in $(seq 1 50); do
    p=$((10000 + RANDOM % (lo - 10000)))
    if port_bindable "$p"; then
      echo "$p"
      return 0
    fi
  done
  echo "free_port: none found" >&2
  return 1
}

# port_bindable PORT succeeds when 127.0.0.1:PORT can be listened on now.
port_bindable() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# wait_port PORT SECONDS waits until something accepts on 127.0.0.1:PORT.
wait_port() {
  local i
  for i in $(seq 1 $(($2 * 10))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on port $1 after $2 s" >&2
  return 1
}

# window_of PID SECONDS prints the X window id of the process's window.
window_of() {
  local i w
  for i in $(seq 1 $(($2 * 10))); do
    w=$(xdotool search --onlyvisible --pid "$1" 2>/dev/null | head -n1 || true)
    if [ -n "$w" ]; then
      echo "$w"
      return 0
    fi
    sleep 0.1
  done
  echo "process $1 showed no window after $2 s" >&2
  return 1
}

# type_into WINDOW TEXT focuses the window, clicks its compose box (at the
# bottom left) and types TEXT followed by Enter, as a person would.
type_into() {
  local w=$1 text=$2 geo height
  xdotool windowfocus --sync "$w"
  geo=$(xdotool getwindowgeometry "$w" | awk '/Geometry/ {print $2}')
  height=${geo#*x}
  xdotool mousemove --window "$w" 200 $((height - 30)) click 1
  sleep 0.2
  xdotool type --delay 25 -- "$text"
  xdotool key Return
}
