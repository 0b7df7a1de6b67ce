#!/usr/bin/env bash
# Builds Parley's release packages into dist/ (see README, "Installing").
#
#   scripts/package.sh [linux] [windows] [server]   (no argument: all three)
#
#   linux    dist/parley-VERSION-linux-amd64.tar.xz   fyne package -os linux
#   windows  dist/parley-VERSION-windows-amd64.exe    fyne package -os windows,
#            cross-compiled with Debian's x86_64-w64-mingw32-gcc
#   server   dist/parley-server-VERSION-{linux-amd64,linux-arm64,windows-amd64.exe}
#            static, CGO_ENABLED=0 -tags nogui: the headless server only
#
# VERSION and the build number come from FyneApp.toml, which fyne package
# also bakes into the app's metadata. fyne package writes a generated .go
# file into the source directory while it builds and bumps Build in
# FyneApp.toml afterwards, so it runs on a copy of the working tree under
# build/pkg/: the checkout (and anyone building in it) is never touched.
# Checks of the results: scripts/package-check.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux windows server)
# register_scheme makes the Linux package open parley:// join links: the
# .desktop file fyne writes gets MimeType=x-scheme-handler/parley; (fyne's
# template has no such field) and %u on its Exec line, so that the desktop
# passes the link as the argument (parley parley://HOST:PORT joins it).
register_scheme() {
  local tarball=$1 tmp desktop
  tmp=$(mktemp -d)
  tar -xJf "$tarball" -C "$tmp"
  desktop=$(find "$tmp" -name '*.desktop' | head -n 1)
  if [ -z "$desktop" ]; then
    echo "package: no .desktop file in $tarball" >&2
    rm -rf "$tmp"
    exit 1
  fi
  grep -q '^Exec=.*%u' "$desktop" || sed -i -E 's/^(Exec=.*[^ ]) *$/\1 %u/' "$desktop"
  # In the [Desktop Entry] group, not after fyne's [X-Fyne Source].
  grep -q '^MimeType=' "$desktop" || sed -i '/^Exec=/a MimeType=x-scheme-handler/parley;' "$desktop"
  (cd "$tmp" && tar -cJf - -- *) >"$tarball.new"
  mv "$tarball.new" "$tarball"
  rm -rf "$tmp"
}

for t in "${targets[@]}"; do
  case "$t" in
    linux | windows | server) ;;
    *) echo "package: unknown target '$t' (want linux, windows or server)" >&2; exit 2 ;;
  esac
done

version=$(scripts/package-version.sh version)
build=$(scripts/package-version.sh build)
echo "package: Parley $version (build $build)"

mkdir -p dist build/pkg

# The fyne tool runs on this machine whatever the target, so build it (once,
# cached by go) with the host's environment and call the binary directly.
fyne=$(go tool -n -modfile=scripts/fyne.mod fyne)

# stage DIR copies the working tree (tracked and untracked files, not the
# ignored ones) into DIR, fresh.
stage() {
  rm -rf "$1"
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$1"
}

for t in "${targets[@]}"; do
  case "$t" in
  linux)
    src=build/pkg/linux
    stage "$src"
    echo "package: linux: fyne package -os linux --release (a cold cgo build takes minutes)"
    (cd "$src" && "$fyne" package -os linux --release)
    out=dist/parley-$version-linux-amd64.tar.xz
    mv "$src/Parley.tar.xz" "$out"
    register_scheme "$out"
    echo "package: wrote $out"
    ;;
  windows)
    if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
      echo "package: windows needs x86_64-w64-mingw32-gcc: run scripts/setup.sh package" >&2
      exit 1
    fi
    src=build/pkg/windows
    stage "$src"
    echo "package: windows: fyne package -os windows --release, CC=x86_64-w64-mingw32-gcc"
    # icon-256: fyne writes the icon as the .ico's only entry, and an ICO
    # entry cannot declare more than 256 px.
    (cd "$src" && CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ GOARCH=amd64 \
      "$fyne" package -os windows --release --icon assets/icon-256.png)
    out=dist/parley-$version-windows-amd64.exe
    mv "$src/Parley.exe" "$out"
    echo "package: wrote $out"
    ;;
  server)
    src=build/pkg/server
    stage "$src"
    for p in linux/amd64 linux/arm64 windows/amd64; do
      os=${p%/*} arch=${p#*/} ext=""
      [ "$os" = windows ] && ext=.exe
      out=dist/parley-server-$version-$os-$arch$ext
      echo "package: server: $os/$arch, CGO_ENABLED=0 -tags nogui"
      (cd "$src" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch \
        go build -trimpath -tags nogui -ldflags "-s -w" -o "$root/$out" .)
      echo "package: wrote $out"
    done
    ;;
  esac
done

(cd dist && sha256sum -- parley-*"$version"* >SHA256SUMS)
echo "package: wrote dist/SHA256SUMS"
