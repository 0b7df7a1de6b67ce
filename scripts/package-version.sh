#!/usr/bin/env bash
# Prints a field of FyneApp.toml's [Details] table, the one source of
# Parley's version: fyne package bakes it into the app's metadata, main
# embeds it for -version, and the packaging scripts name files after it.
#
#   scripts/package-version.sh [version|build|id|name]   (default: version)
#   scripts/package-version.sh check TAG                 fails unless TAG is vVERSION
set -euo pipefail
cd "$(dirname "$0")/.."

get() {
  local key=$1 v
  v=$(awk -v key="$key" '
    /^[[:space:]]*\[/ { details = ($0 ~ /^[[:space:]]*\[Details\][[:space:]]*$/); next }
    details && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
      sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]*(#.*)?$/, ""); gsub(/"/, ""); print; exit
    }' FyneApp.toml)
  if [ -z "$v" ]; then
    echo "package-version: FyneApp.toml has no $key in [Details]" >&2
    exit 1
  fi
  echo "$v"
}

case "${1:-version}" in
  version) get Version ;;
  build) get Build ;;
  id) get ID ;;
  name) get Name ;;
  check)
    want="v$(get Version)"
    if [ "${2:-}" != "$want" ]; then
      echo "package-version: tag '${2:-}' does not match FyneApp.toml's version ($want)" >&2
      exit 1
    fi
    echo "package-version: tag $want matches FyneApp.toml"
    ;;
  *) echo "usage: $0 [version|build|id|name] | check TAG" >&2; exit 2 ;;
esac
