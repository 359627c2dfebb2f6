#!/usr/bin/env bash
# Makes sure Chromium is there for the dashboard's browser tests (tests/dashboard), before `npm test`.
# Installs Debian's `chromium` package when it is missing and we run as root (CI, containers); otherwise
# says how to install it and carries on: the browser tests then fail with the same advice, the rest run.
set -euo pipefail

CHROMIUM="${SAGAFLOW_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium package" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
  echo "ensure-chromium: installed chromium, but $CHROMIUM is still missing; set SAGAFLOW_CHROMIUM to its path" >&2
  exit 0
fi

cat >&2 <<MSG
ensure-chromium: Chromium is not installed at $CHROMIUM, and the dashboard's browser tests need it.
  Debian/Ubuntu: sudo apt-get install -y chromium
  elsewhere:     install Chromium and set SAGAFLOW_CHROMIUM=/path/to/chromium
MSG
