#!/usr/bin/env bash
# Installs what Parley's build and tests need on Debian/Ubuntu, only when missing.
#   scripts/setup.sh            the packages for Fyne's cgo build
#   scripts/setup.sh test       plus Xvfb, xdotool and the interop client
#   scripts/setup.sh package    plus the Windows cross-compiler
set -euo pipefail

want=(make gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev)
for extra in "$@"; do
  case "$extra" in
    test) want+=(xvfb xdotool x11-utils imagemagick python3-websockets python3-zeroconf iproute2) ;;
    package) want+=(gcc-mingw-w64-x86-64 xz-utils file osslsigncode icoutils desktop-file-utils) ;;
    run) ;;
    *) echo "setup: unknown set '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#want[@]} Debian packages already installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: installed ${#missing[@]} package(s)"
fi

echo "setup: downloading Go modules"
go mod download
