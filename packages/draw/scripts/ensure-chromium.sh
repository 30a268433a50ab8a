#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests of @stepwise/draw when it is missing.
# The tests drive /usr/bin/chromium through playwright-core; nothing downloads a browser.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

echo "ensure-chromium: /usr/bin/chromium is missing; installing Debian's chromium package" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2
