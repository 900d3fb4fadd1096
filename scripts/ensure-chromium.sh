#!/bin/sh
# Makes sure Debian's chromium is installed for the browser test of report.html
# (test/report/html-browser.test.ts). Prints the browser's path and exits 0 when it is there;
# otherwise prints why not on stderr and exits 1 (the test then skips, loudly).
# Usable by CI on a clean machine: run as root (or with passwordless sudo) it runs
# `apt-get install -y chromium`; apt's own cache keeps a second install cheap.
set -u
BROWSER="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$BROWSER" ]; then
  echo "$BROWSER"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $BROWSER is missing and this is not a Debian/Ubuntu host (no apt-get): install chromium yourself, or set CHROMIUM_PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "ensure-chromium: $BROWSER is missing and installing it needs root: run 'apt-get install -y chromium' as root" >&2
    exit 1
  fi
fi
LOG="$(mktemp)"
echo "ensure-chromium: installing chromium with apt-get (once; a minute or two)" >&2
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium >"$LOG" 2>&1; then
  # The package lists may be missing on a fresh image: update them once and try again.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get update >>"$LOG" 2>&1
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium >>"$LOG" 2>&1; then
    echo "ensure-chromium: apt-get install chromium failed:" >&2
    tail -n 5 "$LOG" >&2
    rm -f "$LOG"
    exit 1
  fi
fi
rm -f "$LOG"
if [ -x "$BROWSER" ]; then
  echo "$BROWSER"
  exit 0
fi
echo "ensure-chromium: apt-get installed chromium but $BROWSER is not there" >&2
exit 1
