#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: the Debian packages the platform
# and its tests run on, and a virtual environment with the project installed.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
for pkg in mosquitto mosquitto-clients influxdb nginx-light socat mbpoll python3-venv \
  chromium fonts-noto-cjk nodejs postgresql; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# npm may come with nodejs (e.g. NodeSource) rather than as its own Debian package.
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
# The portal's browser libraries (ECharts; axe-core for the browser tests) from npm.
scripts/web_assets.sh
echo "set-up done: .venv is ready"
