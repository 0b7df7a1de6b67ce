#!/usr/bin/env bash
# Checks the packages scripts/package.sh wrote into dist/, one by one, and
# fails on the first thing that is wrong.
#
#   scripts/package-check.sh [linux] [windows] [server]   (no argument: all three)
#
# linux    lists the tarball; checks the binary, .desktop file (validated,
#          Categories Network;Chat), icon and Makefile are there; runs the
#          packaged binary with -version (DISPLAY unset) against FyneApp.toml;
#          installs and uninstalls with the tarball's Makefile into a scratch
#          DESTDIR, both system-wide and per user.
# windows  `file` must say PE32+ GUI (no console window); lists the resources
#          with wrestool; the icon, the version information (FyneApp.toml's
#          version and build) and the manifest must be there.
# server   `file` on each static binary; runs the linux/amd64 one with -version.
# ok cannot fail, so `test && ok ... || bad ...` is an if-then-else here;
# sed indents multi-line output.
# shellcheck disable=SC2015,SC2001
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux windows server)

version=$(scripts/package-version.sh version)
build=$(scripts/package-version.sh build)
app_id=$(scripts/package-version.sh id)

fails=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; fails=$((fails + 1)); }
need() { [ -e "$1" ] || { echo "package-check: $1 is missing: run make package" >&2; exit 1; }; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# check_version BIN: BIN -version must name FyneApp.toml's version and
# build. DISPLAY and WAYLAND_DISPLAY are unset: -version must not need a
# display (and on a build box there is none). LANG is set because Fyne logs
# an error when it cannot parse a bare C locale.
check_version() {
  local out
  if ! out=$(env -u DISPLAY -u WAYLAND_DISPLAY LANG=en_US.UTF-8 timeout 20 "$1" -version 2>&1); then
    bad "$1 -version failed: $out"
    return
  fi
  echo "       \$ $(basename "$1") -version"
  echo "$out" | sed 's/^/       /'
  if echo "$out" | grep -qw -- "$version" && echo "$out" | grep -qw -- "$build"; then
    ok "-version reports $version build $build, as FyneApp.toml says"
  else
    bad "-version does not report version $version and build $build"
  fi
}

for t in "${targets[@]}"; do
  case "$t" in
  linux)
    tarball=dist/parley-$version-linux-amd64.tar.xz
    need "$tarball"
    echo "== $tarball ($(du -h "$tarball" | cut -f1))"
    tar -tvJf "$tarball" | sed 's/^/       /'
    mkdir "$scratch/linux"
    tar -xJf "$tarball" -C "$scratch/linux"
    top=$scratch/linux/parley
    # fyne puts the tree under usr/local when the packaging machine has a
    # /usr/local, else under usr.
    usr=$top/usr/local
    [ -d "$usr" ] || usr=$top/usr
    bin=$usr/bin/parley
    desktop=$usr/share/applications/$app_id.desktop
    icon=$usr/share/pixmaps/$app_id.png
    for f in "$bin" "$desktop" "$icon" "$top/Makefile"; do
      if [ -e "$f" ]; then ok "has ${f#"$scratch/linux/"}"; else bad "no ${f#"$scratch/linux/"}"; fi
    done
    if [ -x "$bin" ]; then
      echo "       $(file -b "$bin" | cut -c1-110)"
      check_version "$bin"
    fi
    if [ -f "$desktop" ]; then
      sed 's/^/       /' "$desktop"
      if out=$(desktop-file-validate "$desktop" 2>&1) && [ -z "$out" ]; then
        ok "desktop-file-validate is silent"
      else
        bad "desktop-file-validate: $out"
      fi
      grep -qx 'Categories=Network;Chat;' "$desktop" && ok "Categories=Network;Chat;" || bad "Categories is not Network;Chat;"
      grep -qx "Icon=$app_id" "$desktop" && ok "Icon=$app_id" || bad "Icon is not $app_id"
      grep -qx 'Exec=parley %u' "$desktop" && ok "Exec=parley %u" || bad "Exec is not parley %u"
      grep -qx 'MimeType=x-scheme-handler/parley;' "$desktop" && ok "opens parley:// links (MimeType)" ||
        bad "no MimeType=x-scheme-handler/parley;"
    fi
    if [ -f "$icon" ]; then
      cmp -s "$icon" assets/icon.png && ok "icon is assets/icon.png ($(file -b "$icon" | cut -d, -f2 | xargs))" ||
        bad "packaged icon differs from assets/icon.png"
    fi
    # The tarball's own Makefile is what make install runs: try it.
    dest=$scratch/root
    if make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr/local >/dev/null &&
      [ -x "$dest/usr/local/bin/parley" ] &&
      [ -f "$dest/usr/local/share/applications/$app_id.desktop" ] &&
      [ -f "$dest/usr/local/share/pixmaps/$app_id.png" ]; then
      make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
      if [ -z "$(find "$dest" -type f)" ]; then ok "system install and uninstall (DESTDIR)"; else bad "uninstall left $(find "$dest" -type f)"; fi
    else
      bad "system install into DESTDIR"
    fi
    home=$scratch/home
    mkdir -p "$home"
    if HOME=$home make -s -C "$top" user-install >/dev/null &&
      [ -x "$home/.local/bin/parley" ] &&
      grep -qx "Exec=$home/.local/bin/parley %u" "$home/.local/share/applications/$app_id.desktop"; then
      apps=$home/.local/share/applications
      if update-desktop-database "$apps" 2>/dev/null &&
        grep -qx "x-scheme-handler/parley=$app_id.desktop;" "$apps/mimeinfo.cache"; then
        ok "the desktop database sends parley:// links to Parley"
      else
        bad "update-desktop-database did not map x-scheme-handler/parley to $app_id.desktop"
      fi
      rm -f "$apps/mimeinfo.cache"
      HOME=$home make -s -C "$top" user-uninstall >/dev/null 2>&1
      if [ -z "$(find "$home" -type f)" ]; then ok "user install and uninstall (HOME=scratch)"; else bad "user-uninstall left $(find "$home" -type f)"; fi
    else
      bad "user install into a scratch HOME"
    fi
    ;;
  windows)
    exe=dist/parley-$version-windows-amd64.exe
    need "$exe"
    echo "== $exe ($(du -h "$exe" | cut -f1))"
    kind=$(file -b "$exe")
    echo "       file: $kind"
    case "$kind" in
      "PE32+ executable (GUI) x86-64"*) ok "PE32+ GUI subsystem: no console window" ;;
      *) bad "not a PE32+ x86-64 GUI executable" ;;
    esac
    echo "       resources (wrestool -l):"
    wrestool -l "$exe" | sed 's/^/         /'
    wrestool -l "$exe" | grep -q -- '--type=14' && ok "has an icon group" || bad "no icon group (RT_GROUP_ICON)"
    wrestool -l "$exe" | grep -q -- '--type=24' && ok "has a manifest" || bad "no manifest (RT_MANIFEST)"
    mkdir "$scratch/win"
    wrestool -x --type=14 -o "$scratch/win/app.ico" "$exe" 2>/dev/null || true
    if [ -s "$scratch/win/app.ico" ]; then
      echo "       icon: $(file -b "$scratch/win/app.ico")"
      # The icon must be Parley's. fyne re-encodes it through premultiplied
      # RGBA, which rounds semi-transparent edge pixels by a step or two:
      # allow 2 % per pixel, no more.
      if command -v compare >/dev/null; then
        diff=$(compare -metric AE -fuzz 2% "ico:$scratch/win/app.ico" assets/icon-256.png null: 2>&1 || true)
        [ "$diff" = 0 ] && ok "icon is assets/icon-256.png (within 2 % per pixel)" || bad "icon differs from assets/icon-256.png ($diff pixels)"
      else
        ok "icon extracts as an .ico (imagemagick missing: pixels not compared)"
      fi
    else
      bad "icon does not extract"
    fi
    # VS_VERSIONINFO strings are UTF-16: strings -el reads them.
    wrestool -x -R --type=16 "$exe" >"$scratch/win/version.res" 2>/dev/null || true
    vstrings=$(strings -el "$scratch/win/version.res" | tr '\n' ' ')
    echo "       version info: $vstrings"
    want_fv="$version"
    case "$version" in *.*.*) ;; *.*) want_fv=$version.0 ;; *) want_fv=$version.0.0 ;; esac
    if echo "$vstrings" | grep -q "ProductVersion $want_fv.$build"; then
      ok "ProductVersion $want_fv.$build"
    else
      bad "ProductVersion is not $want_fv.$build"
    fi
    echo "$vstrings" | grep -q "ProductName Parley" && ok "ProductName Parley" || bad "ProductName is not Parley"
    manifest=$(wrestool -x -R --type=24 "$exe" 2>/dev/null | tr -d '\r')
    echo "$manifest" | grep -q "version=\"$want_fv.$build\"" && ok "manifest assemblyIdentity version $want_fv.$build" ||
      bad "manifest does not carry version $want_fv.$build"
    ;;
  server)
    for f in "dist/parley-server-$version-linux-amd64" "dist/parley-server-$version-linux-arm64" \
      "dist/parley-server-$version-windows-amd64.exe"; do
      need "$f"
      echo "== $f ($(du -h "$f" | cut -f1))"
      kind=$(file -b "$f")
      echo "       file: $kind"
      case "$f:$kind" in
        *linux-amd64:*x86-64*statically\ linked*) ok "static x86-64 ELF" ;;
        *linux-arm64:*aarch64*statically\ linked*) ok "static aarch64 ELF" ;;
        *windows-amd64.exe:"PE32+ executable (console) x86-64"*) ok "PE32+ console: logs go to the terminal" ;;
        *) bad "unexpected file type" ;;
      esac
    done
    check_version "dist/parley-server-$version-linux-amd64"
    ;;
  *) echo "package-check: unknown target '$t'" >&2; exit 2 ;;
  esac
done

if [ "$fails" -gt 0 ]; then
  echo "package-check: $fails check(s) failed" >&2
  exit 1
fi
echo "package-check: all checks passed"
