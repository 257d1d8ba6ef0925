#!/bin/sh
# The one-command demo on a fresh Debian machine (no Docker needed):
#
#   scripts/demo.sh [--speed X] [--api-port N] [--city] [--city-meters N] [--city-days N]
#
# --city adds a simulated city over all 96 dongs (devstack/README.md "The city demo");
# the console says when its set-up ends and which pages to open.
#
# Installs what is missing (mosquitto, influxdb, nginx-light, socat, python3-venv, npm;
# as root or through sudo), makes .venv with the project installed, then runs
# `python -m devstack.demo`: local Mosquitto and InfluxDB, simulated phase-1
# meters, their edge agents, the collector, the rollups and the API with the
# citizens' portal (its URL is printed). Ctrl-C stops
# everything. Options are passed on; `scripts/demo.sh --help` lists them.
set -eu

cd "$(dirname "$0")/.."

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "run as root or install sudo" >&2; exit 1; }
    sudo_cmd=sudo
fi

have() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing=""
for pair in mosquitto:mosquitto mosquitto_passwd:mosquitto influxd:influxdb nginx:nginx-light socat:socat python3:python3 npm:npm; do
    have "${pair%%:*}" || missing="$missing ${pair#*:}"
done
if have python3 && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $sudo_cmd apt-get update -q
    # shellcheck disable=SC2086  # one word per package
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Python 3.11 or newer is needed (Debian 12 or later)" >&2
    exit 1
}

if [ ! -x .venv/bin/python ]; then
    echo "creating .venv"
    python3 -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
marker=.venv/.demo-installed
if [ ! -f "$marker" ] || [ pyproject.toml -nt "$marker" ]; then
    echo "installing the project into .venv (pip install -e .)"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e .
    touch "$marker"
fi

# The portal's browser libraries (ECharts, from npm with its lock file).
[ -f api/web/static/vendor/echarts-charts.min.js ] || scripts/web_assets.sh

exec .venv/bin/python -m devstack.demo "$@"
