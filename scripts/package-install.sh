#!/usr/bin/env bash
# Installs or uninstalls the Linux package that scripts/package.sh built:
# the binary, the .desktop file (so Parley shows up in the desktop's menu)
# and the icon.
#
#   scripts/package-install.sh install|uninstall
#
# As a normal user: into ~/.local (bin, share/applications, share/icons).
# As root: into $PREFIX, by default /usr/local.
# DESTDIR is honoured for staged installs (as in make install DESTDIR=...).
#
# Installing runs the Makefile inside fyne's tarball (user-install or
# install), so the layout is fyne's own; uninstalling removes exactly the
# files that put there, and needs no tarball.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

action=${1:-}
case "$action" in install | uninstall) ;; *) echo "usage: $0 install|uninstall" >&2; exit 2 ;; esac

version=$(scripts/package-version.sh version)
app_id=$(scripts/package-version.sh id)
tarball=dist/parley-$version-linux-amd64.tar.xz
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}

if [ "$(id -u)" -eq 0 ]; then
  where="$DESTDIR$PREFIX"
  files=("$where/bin/parley" "$where/share/applications/$app_id.desktop" "$where/share/pixmaps/$app_id.png")
  apps=$where/share/applications
else
  where="$DESTDIR$HOME/.local"
  files=("$where/bin/parley" "$where/share/applications/$app_id.desktop" "$where/share/icons/$app_id.png")
  apps=$where/share/applications
fi

# refresh tells the desktop about the change when the tools for it exist;
# menus pick up new .desktop files by themselves on most desktops anyway.
refresh() {
  if [ -z "$DESTDIR" ] && command -v update-desktop-database >/dev/null && [ -d "$apps" ]; then
    update-desktop-database -q "$apps" || true
  fi
}

case "$action" in
install)
  if [ ! -f "$tarball" ]; then
    echo "install: $tarball is missing: run make package-linux first" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tar -xJf "$tarball" -C "$tmp"
  if [ "$(id -u)" -eq 0 ]; then
    make -s -C "$tmp/parley" install DESTDIR="$DESTDIR" PREFIX="$PREFIX"
  else
    make -s -C "$tmp/parley" user-install DESTDIR="$DESTDIR"
  fi
  for f in "${files[@]}"; do
    [ -e "$f" ] || { echo "install: $f was not installed" >&2; exit 1; }
  done
  refresh
  echo "install: Parley $version installed under $where"
  if [ -z "$DESTDIR" ]; then
    case ":$PATH:" in
      *":$where/bin:"*) ;;
      *) echo "install: note: $where/bin is not on your PATH; the menu entry works regardless" ;;
    esac
  fi
  ;;
uninstall)
  removed=0
  for f in "${files[@]}"; do
    if [ -e "$f" ]; then rm -f -- "$f" && removed=$((removed + 1)); fi
  done
  refresh
  echo "uninstall: removed $removed file(s) from $where"
  ;;
esac
